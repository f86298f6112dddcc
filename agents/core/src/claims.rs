//! The claiming part of the prover role: for every proven block whose committee the key was on,
//! it rebuilds the rewards tree from the block's transcript, checks its root against the
//! `BlockProven` event, and claims its shares in batches (§13.3).

use std::collections::HashMap;
use std::sync::Arc;

use alloy_primitives::{Address, B256, U256};
use spn_bindings::{rollup::IRollup, Rollup};
use spn_protocol::{transcript, SlotSchedule, Transcript};

use crate::io::{Cx, L1Call, Output};
use crate::proving::short;
use crate::reporter::Defence;

/// Claim transaction ids have this bit set (other roles' ids never do).
const CLAIM_ID: u64 = 1 << 63;

#[derive(Debug)]
struct Pending {
    sched: Arc<SlotSchedule>,
    rewards_root: B256,
}

/// The claim of `me` on proven block `number` (§13.3): the rewards tree rebuilt from the block's
/// transcript, checked against the `rewardsRoot` of its `BlockProven` event, and `me`'s leaf with
/// its proof; `None` when the transcript credits `me` nothing.
pub fn claim_item(
    me: Address,
    number: u64,
    t: &Transcript,
    schedule: &spn_protocol::Schedule,
    rewards_root: B256,
) -> Result<Option<IRollup::ClaimItem>, String> {
    let leaves: Vec<(Address, u64)> = t
        .provers
        .iter()
        .map(|pr| {
            let cost = pr
                .contributions
                .iter()
                .map(|c| schedule.job_cost(c.job).unwrap_or(0))
                .sum();
            (pr.prover, cost)
        })
        .collect();
    let hashes: Vec<B256> = leaves
        .iter()
        .map(|&(pr, c)| transcript::rewards_leaf(pr, c))
        .collect();
    if transcript::rewards_root(&hashes) != rewards_root {
        return Err(format!("block {number}: rewards root mismatch"));
    }
    let Some(index) = leaves.iter().position(|&(pr, _)| pr == me) else {
        return Ok(None);
    };
    let proof =
        transcript::rewards_proof(&hashes, index).map_err(|e| format!("block {number}: {e}"))?;
    Ok(Some(IRollup::ClaimItem {
        blockNumber: number,
        cost: leaves[index].1,
        proof,
    }))
}

/// The claims of one key.
#[derive(Debug)]
pub struct Claims {
    me: Address,
    recipient: Address,
    batch: usize,
    pending: HashMap<u64, Pending>,
    unclaimed: Vec<IRollup::ClaimItem>,
    /// Items of a failed batch, claimed one by one: one already claimed (by `spn claim`, or a
    /// previous run of the key) reverts a whole batch and must not cost the others.
    singles: Vec<IRollup::ClaimItem>,
    in_flight: Option<(u64, Vec<IRollup::ClaimItem>)>,
    next_id: u64,
    proven_seen: u64,
    /// `ClaimNow` requests: answered once every share up to the block is claimed.
    waiting: usize,
    upto: Option<u64>,
    paid: U256,
    defence: Defence,
    clearing: Option<u64>,
}

impl Claims {
    /// Claims of `me`, paid to `recipient`, in batches of `batch` blocks.
    pub fn new(me: Address, recipient: Address, batch: usize) -> Self {
        Self {
            me,
            recipient,
            batch: batch.max(1),
            pending: HashMap::new(),
            unclaimed: Vec::new(),
            singles: Vec::new(),
            in_flight: None,
            next_id: 0,
            proven_seen: 0,
            waiting: 0,
            upto: None,
            paid: U256::ZERO,
            defence: Defence::default(),
            clearing: None,
        }
    }

    /// Block `number` was proven; with `share` (the key was on its committee) its transcript
    /// is fetched to build the claim.
    pub fn on_proven(
        &mut self,
        cx: &mut Cx<'_>,
        number: u64,
        tx: B256,
        rewards_root: B256,
        share: Option<Arc<SlotSchedule>>,
    ) {
        self.proven_seen = self.proven_seen.max(number);
        // After an L1 reorg the same proof can be seen twice: one share per block, or the
        // batch holding it twice reverts.
        let held = self.pending.contains_key(&number)
            || self.unclaimed.iter().any(|i| i.blockNumber == number);
        if let Some(sched) = share.filter(|_| !held) {
            self.pending.insert(
                number,
                Pending {
                    sched,
                    rewards_root,
                },
            );
            cx.emit(Output::FetchTranscript { number, tx });
        }
        self.check_request(cx);
    }

    /// The transcript of block `number` arrived.
    pub fn on_transcript(
        &mut self,
        cx: &mut Cx<'_>,
        number: u64,
        t: Result<Arc<Transcript>, String>,
    ) {
        let Some(p) = self.pending.remove(&number) else {
            return;
        };
        match t {
            Ok(t) => {
                if let Some(item) = self.item(number, &t, &p) {
                    self.unclaimed.push(item);
                    if self.unclaimed.len() >= self.batch {
                        self.claim(cx);
                    }
                }
            }
            Err(e) => {
                tracing::warn!(target: "spn::prover", agent = %short(self.me), "block {number}: transcript unavailable: {e}")
            }
        }
        self.check_request(cx);
    }

    fn item(&mut self, number: u64, t: &Transcript, p: &Pending) -> Option<IRollup::ClaimItem> {
        match claim_item(self.me, number, t, p.sched.schedule(), p.rewards_root) {
            Ok(Some(item)) => {
                self.defence.credited(number, item.cost, item.proof.clone());
                Some(item)
            }
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(target: "spn::prover", "{e}");
                None
            }
        }
    }

    /// Claims every outstanding share once block `upto` is seen proven.
    pub fn claim_now(&mut self, cx: &mut Cx<'_>, upto: u64) {
        self.waiting += 1;
        self.upto = Some(self.upto.unwrap_or(0).max(upto));
        self.check_request(cx);
    }

    fn check_request(&mut self, cx: &mut Cx<'_>) {
        let Some(upto) = self.upto else {
            return;
        };
        if self.proven_seen < upto || !self.pending.is_empty() || self.in_flight.is_some() {
            return;
        }
        if !self.unclaimed.is_empty() || !self.singles.is_empty() {
            self.claim(cx);
            return;
        }
        self.upto = None;
        let paid = std::mem::take(&mut self.paid);
        for _ in 0..std::mem::take(&mut self.waiting) {
            cx.emit(Output::ClaimAnswered(paid));
        }
    }

    fn claim(&mut self, cx: &mut Cx<'_>) {
        if self.in_flight.is_some() {
            return;
        }
        let items = match self.singles.pop() {
            Some(one) => vec![one],
            None if !self.unclaimed.is_empty() => std::mem::take(&mut self.unclaimed),
            None => return,
        };
        let id = CLAIM_ID | self.next_id;
        self.next_id += 1;
        self.in_flight = Some((id, items.clone()));
        cx.emit(Output::Send {
            id,
            call: L1Call::Claim(Rollup::claimCall {
                recipient: self.recipient,
                items,
            }),
            gas_limit: None,
        });
    }

    /// The key signed `result` (an eligible job) for block `header`, whose body is `body`: kept
    /// as evidence against a report.
    pub fn signed(
        &mut self,
        header: spn_protocol::Header,
        result: crate::messages::JobResultMsg,
        body: Arc<Vec<alloy_primitives::Bytes>>,
    ) {
        self.defence.signed(header, result, body);
    }

    /// The key was reported for block `block` (§14.3): clears the report with its latest
    /// credited leaf at or before it.
    pub fn on_reported(&mut self, cx: &mut Cx<'_>, block: u64) {
        match self.defence.answer(cx, self.me, block) {
            Ok(call) => {
                let id = CLAIM_ID | self.next_id;
                self.next_id += 1;
                self.clearing = Some(id);
                tracing::info!(target: "spn::prover", agent = %short(self.me), "reported for block {block}: clearing the report");
                cx.emit(Output::Send {
                    id,
                    call,
                    gas_limit: None,
                });
            }
            Err(e) => {
                tracing::warn!(target: "spn::prover", agent = %short(self.me), "reported for block {block} and cannot clear: {e}")
            }
        }
    }

    /// A transaction finished; returns true if it was a claim or a clear.
    pub fn on_tx_done(
        &mut self,
        cx: &mut Cx<'_>,
        id: u64,
        result: &Result<crate::io::TxOutcome, String>,
    ) -> bool {
        if self.clearing == Some(id) {
            self.clearing = None;
            if let Err(e) = result {
                tracing::warn!(target: "spn::prover", agent = %short(self.me), "clearing a report failed: {e}");
            }
            return true;
        }
        let Some(items) = self
            .in_flight
            .take_if(|(flying, _)| *flying == id)
            .map(|(_, items)| items)
        else {
            return false;
        };
        match result {
            Ok(o) => {
                self.paid += o.paid;
                tracing::info!(target: "spn::prover", agent = %short(self.me), "claimed {} (gas {})", o.paid, o.gas_used);
            }
            Err(e) if items.len() > 1 => {
                tracing::warn!(target: "spn::prover", agent = %short(self.me), "claim of {} blocks failed ({e}); claiming them one by one", items.len());
                self.singles.extend(items);
            }
            Err(e) => {
                let number = items.first().map(|i| i.blockNumber).unwrap_or_default();
                tracing::warn!(target: "spn::prover", agent = %short(self.me), "claim of block {number} failed: {e}")
            }
        }
        if !self.singles.is_empty() {
            self.claim(cx);
        }
        self.check_request(cx);
        true
    }
}
