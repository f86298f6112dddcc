//! The reporter role (§14): it files inactivity reports against round-1 committee members of a
//! proven block who published no result for it, and finalises the reports whose grace is over;
//! the defence of a key against reports ([`Defence`]) clears them with the key's credited leaf.
//!
//! Reports pay nobody (§14.4), so filing is opt-in and bounded per block; a report is only an
//! accusation, which a member that worked refutes within `graceSlots`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use alloy_primitives::{Address, Bytes, B256};
use spn_protocol::{tree::BlockTree, Header};

use crate::messages::JobResultMsg;

use crate::io::{Cx, L1Call, Output};
use crate::L1Event;

/// Reporter transaction ids have this bit set (the submitter's own ids never do).
const REPORT_ID: u64 = 1 << 62;

/// The reporter.
#[derive(Debug)]
pub struct Reporter {
    max_per_block: usize,
    /// Reports pending on L1: staker -> (reported block, slot it was seen in).
    pending: BTreeMap<Address, (u64, u64)>,
    /// Stakers whose report or finalisation this reporter has in flight (no duplicates).
    reporting: BTreeSet<Address>,
    finalising: BTreeSet<Address>,
    in_flight: BTreeMap<u64, Address>,
    next_id: u64,
}

impl Reporter {
    /// Files at most `max_per_block` reports per proven block.
    pub fn new(max_per_block: usize) -> Self {
        Self {
            max_per_block,
            pending: BTreeMap::new(),
            reporting: BTreeSet::new(),
            finalising: BTreeSet::new(),
            in_flight: BTreeMap::new(),
            next_id: 0,
        }
    }

    /// Follows reports on L1 (anyone's).
    pub fn on_event(&mut self, cx: &mut Cx<'_>, ev: &L1Event) {
        match ev {
            L1Event::Reported { staker, block, .. } => {
                self.pending.insert(*staker, (*block, cx.current_slot()));
                self.reporting.remove(staker);
            }
            L1Event::Cleared { staker, .. } | L1Event::Struck { staker, .. } => {
                self.pending.remove(staker);
                self.finalising.remove(staker);
            }
            _ => {}
        }
    }

    /// Block `header` was proven; `members` are its round-1 committee, `worked` the provers
    /// seen publishing a valid result for it. Reports the members that did not.
    pub fn on_proven(
        &mut self,
        cx: &mut Cx<'_>,
        header: &Header,
        members: impl Iterator<Item = Address>,
        worked: &HashSet<Address>,
    ) {
        let missing: Vec<Address> = members
            .filter(|m| {
                !worked.contains(m) && !self.pending.contains_key(m) && !self.reporting.contains(m)
            })
            .take(self.max_per_block)
            .collect();
        for staker in missing {
            self.reporting.insert(staker);
            self.send(
                cx,
                staker,
                L1Call::ReportMissed {
                    staker,
                    header: header.clone(),
                },
            );
        }
    }

    /// Finalises every pending report whose grace is over.
    pub fn on_tick(&mut self, cx: &mut Cx<'_>) {
        let grace = cx.chain.params().grace_slots;
        let slot = cx.current_slot();
        let due: Vec<Address> = self
            .pending
            .iter()
            .filter(|(a, (_, at))| slot > at.saturating_add(grace) && !self.finalising.contains(*a))
            .map(|(a, _)| *a)
            .collect();
        for staker in due {
            self.finalising.insert(staker);
            self.send(cx, staker, L1Call::FinaliseReport(staker));
        }
    }

    fn send(&mut self, cx: &mut Cx<'_>, staker: Address, call: L1Call) {
        let id = REPORT_ID | self.next_id;
        self.next_id += 1;
        self.in_flight.insert(id, staker);
        cx.emit(Output::Send {
            id,
            call,
            gas_limit: None,
        });
    }

    /// A transaction finished; returns true if it was the reporter's. A failed one may be
    /// retried later (the report was cleared, struck, or raced by another reporter).
    pub fn on_tx_done(&mut self, id: u64, result: &Result<crate::io::TxOutcome, String>) -> bool {
        let Some(staker) = self.in_flight.remove(&id) else {
            return false;
        };
        if let Err(e) = result {
            tracing::debug!(target: "spn::reporter", "report transaction for {staker} failed: {e}");
            self.reporting.remove(&staker);
            self.finalising.remove(&staker);
        }
        true
    }
}

/// A key's defence against reports: the blocks in which it was credited (its claim leaves,
/// shown with `clearWithReward`), and the results it signed (shown with `clearWithJobResult`
/// when a transcript left them out).
#[derive(Debug, Default)]
pub struct Defence {
    /// Credited blocks: number -> (cost, proof), the latest few.
    evidence: BTreeMap<u64, (u64, Vec<B256>)>,
    /// Signed results: number -> (header, result, the block's body).
    signed: BTreeMap<u64, (Header, JobResultMsg, Arc<Vec<Bytes>>)>,
}

/// Credited blocks kept as evidence (a report concerns a block after the last cleared one).
const EVIDENCE_KEPT: usize = 256;
/// Signed results kept (each holds its block's body).
const SIGNED_KEPT: usize = 16;

/// `clearWithJobResult` evidence: the signed result and its path to the block's root.
fn job_result_evidence(
    cx: &Cx<'_>,
    me: Address,
    header: &Header,
    result: &JobResultMsg,
    body: &[Bytes],
) -> Result<L1Call, String> {
    let sched = cx
        .chain
        .schedule(header.slot, header.height)
        .ok_or("no schedule for the evidence block")?;
    let s = sched.schedule();
    let (round, index) = s.job_position(result.job).map_err(|e| e.to_string())?;
    let tree =
        BlockTree::from_transactions(u32::from(header.height), body).map_err(|e| e.to_string())?;
    let siblings = tree
        .proof(s.level(round), u64::from(index))
        .map_err(|e| e.to_string())?;
    Ok(L1Call::ClearWithJobResult {
        staker: me,
        header: header.clone(),
        result: *result,
        siblings,
    })
}

impl Defence {
    /// The key was credited `cost` in block `number`, with this proof of its leaf.
    pub fn credited(&mut self, number: u64, cost: u64, proof: Vec<B256>) {
        self.evidence.insert(number, (cost, proof));
        while self.evidence.len() > EVIDENCE_KEPT {
            self.evidence.pop_first();
        }
    }

    /// The key signed `result` for block `header` (whose body is `body`).
    pub fn signed(&mut self, header: Header, result: JobResultMsg, body: Arc<Vec<Bytes>>) {
        self.signed.insert(header.number, (header, result, body));
        while self.signed.len() > SIGNED_KEPT {
            self.signed.pop_first();
        }
    }

    /// `me` was reported for block `block`: clears with the latest credited block at or before
    /// it, else with the latest result it signed at or before it. Returns the call, or why there
    /// is none.
    pub fn answer(&self, cx: &Cx<'_>, me: Address, block: u64) -> Result<L1Call, String> {
        let credited = self.evidence.range(..=block).next_back();
        let signed = self.signed.range(..=block).next_back();
        let Some((&number, (cost, proof))) = credited else {
            let (_, (header, result, body)) = signed.ok_or_else(|| {
                format!("no credited block or signed result at or before {block} to clear with")
            })?;
            return job_result_evidence(cx, me, header, result, body);
        };
        // A later signed result is closer to the reported block (and above any cleared one).
        if let Some((&n, (header, result, body))) = signed {
            if n > number {
                return job_result_evidence(cx, me, header, result, body);
            }
        }
        let header = cx
            .chain
            .hash_of(number)
            .and_then(|h| cx.chain.header(&h))
            .ok_or_else(|| format!("header of block {number} unknown"))?;
        Ok(L1Call::ClearWithReward {
            staker: me,
            header,
            cost: *cost,
            proof: proof.clone(),
        })
    }
}
