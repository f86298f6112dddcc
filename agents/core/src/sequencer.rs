//! The sequencer role: in each slot where the key is sequencer-eligible it builds a block from
//! the pool, announces it, serves its body, collects attestations and proposes with at least M
//! of them (§11). Lower-ranked sequencers wait and only propose if no better proposal was
//! announced (§3.4).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use alloy_primitives::{Address, Bytes, B256, U256};
use spn_bindings::{rollup::IRollup, Rollup};
use spn_protocol::{schedule, selection, tree::BlockTree, CompactSignature, Header, StakingKey};

use crate::faults::Faults;
use crate::io::{Cx, L1Call, Msg, Note, Output, Timer};
use crate::messages::{self, AttestationMsg, ProposalMsg};
use crate::proving::{short, short_hash};

/// Seconds into its slot a first-ranked sequencer waits before it proposes (the L1 clock must be
/// safely inside the slot); each rank below waits [`RANK_DELAY`] more.
const PROPOSE_AT: f64 = 0.4;
const RANK_DELAY: f64 = 1.0;
/// Slots of proposal scores kept.
const HORIZON: u64 = 16;

#[derive(Debug)]
struct MyProposal {
    header: Header,
    txs: Arc<Vec<Bytes>>,
    attestations: BTreeMap<Address, CompactSignature>,
    committee: usize,
    quorum: usize,
    sent: bool,
}

/// The sequencer role of one key.
#[derive(Debug)]
pub struct Sequencer {
    me: Address,
    attest_wait: f64,
    height: Option<u8>,
    last_slot: Option<u64>,
    proposals: HashMap<B256, MyProposal>,
    /// Best proposal score seen per slot.
    best_seen: HashMap<u64, U256>,
    /// Transaction ids in flight: id -> block hash.
    in_flight: HashMap<u64, B256>,
}

/// What a new proposal needs from the runtime's pool before it can be built.
#[derive(Debug)]
pub struct Built {
    /// The header.
    pub header: Header,
    /// Its hash.
    pub hash: B256,
    /// The body.
    pub body: Arc<Vec<Bytes>>,
}

impl Sequencer {
    /// The role for `me`; `height` fixes the tree height instead of the policy of §8.7.
    pub fn new(me: Address, attest_wait: f64, height: Option<u8>) -> Self {
        Self {
            me,
            attest_wait,
            height,
            last_slot: None,
            proposals: HashMap::new(),
            best_seen: HashMap::new(),
            in_flight: HashMap::new(),
        }
    }

    /// A valid proposal with `score` was seen for `slot`.
    pub fn saw_proposal(&mut self, slot: u64, score: U256) {
        let best = self.best_seen.entry(slot).or_insert(U256::ZERO);
        *best = (*best).max(score);
    }

    /// At each new slot: if the key is eligible, sets the timer of its proposal.
    pub fn on_tick(&mut self, cx: &mut Cx<'_>, halted: bool) {
        let slot = cx.current_slot();
        if self.last_slot == Some(slot) {
            return;
        }
        self.last_slot = Some(slot);
        let horizon = slot.saturating_sub(HORIZON);
        self.best_seen.retain(|&s, _| s >= horizon);
        if halted {
            return;
        }
        let p = cx.chain.params();
        let Some(sched) = cx.chain.schedule(slot, p.min_height) else {
            tracing::debug!(target: "spn::sequencer", "slot {slot}: no slot context yet");
            return;
        };
        let Some(rank) = sched.sequencers().iter().position(|m| m.address == self.me) else {
            return;
        };
        let wait = (PROPOSE_AT - cx.into_slot(slot)).max(0.0) + rank as f64 * RANK_DELAY;
        cx.after(wait, Timer::TryPropose(slot));
    }

    /// The proposal timer of `slot` fired: asks the pool for transactions unless a better
    /// proposal exists.
    pub fn on_try_propose(&mut self, cx: &mut Cx<'_>, slot: u64) {
        if cx.current_slot() != slot {
            return;
        }
        let Some(ctx) = cx.chain.slot_ctx(slot) else {
            return;
        };
        let my_score = selection::score(self.me, ctx.seed);
        if self.best_seen.get(&slot).is_some_and(|&s| s > my_score) {
            tracing::debug!(target: "spn::sequencer", agent = %short(self.me), "slot {slot}: a better proposal exists");
            return;
        }
        let p = cx.chain.params();
        let cap = schedule::policy_cap(p, ctx.active_count);
        let fixed = self.height.map(|h| h.clamp(p.min_height, p.max_height));
        cx.emit(Output::TakeTxs {
            slot,
            max: 1usize << fixed.unwrap_or(cap),
        });
    }

    /// The pool answered: builds, announces and serves the block.
    pub fn on_txs(
        &mut self,
        cx: &mut Cx<'_>,
        key: &StakingKey,
        faults: &Faults,
        slot: u64,
        txs: Vec<Bytes>,
    ) -> Option<Built> {
        let give_back = |cx: &mut Cx<'_>, txs: Vec<Bytes>| {
            if !txs.is_empty() {
                cx.emit(Output::Requeue(Arc::new(txs)));
            }
        };
        if cx.current_slot() != slot {
            give_back(cx, txs);
            return None;
        }
        let Some(ctx) = cx.chain.slot_ctx(slot) else {
            give_back(cx, txs);
            return None;
        };
        let p = cx.chain.params().clone();
        // Number and parent as the Rollup derives them: replace the pending tip if it is of
        // this slot and unproven, else extend it.
        let (pending, proven) = cx.chain.tips();
        let tip_slot = cx
            .chain
            .hash_of(pending)
            .and_then(|h| cx.chain.header(&h))
            .map(|h| h.slot);
        let number = if pending > proven && tip_slot == Some(slot) {
            pending
        } else {
            pending.saturating_add(1)
        };
        let Some(parent) = number.checked_sub(1).and_then(|n| cx.chain.hash_of(n)) else {
            give_back(cx, txs);
            return None;
        };
        // Height: the smallest tree holding the pool, at most m + floor(log2(N / 2R)) (§8.7).
        let cap = schedule::policy_cap(&p, ctx.active_count);
        let fixed = self.height.map(|h| h.clamp(p.min_height, p.max_height));
        let height = fixed.unwrap_or_else(|| {
            schedule::leaves_height(txs.len() as u64).clamp(p.min_height, cap.max(p.min_height))
        });
        let tree = match BlockTree::from_transactions(u32::from(height), &txs) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(target: "spn::sequencer", "slot {slot}: {e}");
                give_back(cx, txs);
                return None;
            }
        };
        let header = Header {
            number,
            parentHash: parent,
            slot,
            proposer: self.me,
            txRoot: tree.root(),
            height,
        };
        let hash = header.hash();
        let body = Arc::new(txs);
        let withheld = faults.take_withhold();
        if withheld {
            tracing::warn!(target: "spn::sequencer", agent = %short(self.me), "slot {slot}: fault injection: withholding the body of block {number} ({})", short_hash(hash));
        } else {
            cx.emit(Output::ServeBody {
                hash,
                txs: body.clone(),
            });
        }
        cx.note(Note::Announced {
            hash,
            slot,
            withheld,
        });
        let sig = key.sign_digest(messages::proposal_digest(cx.chain.domain(), slot, hash));
        cx.emit(Output::Publish(Msg::Proposal(ProposalMsg {
            header: header.clone(),
            sig,
        })));
        self.best_seen
            .insert(slot, selection::score(self.me, ctx.seed));
        let committee = cx
            .chain
            .schedule(slot, height)
            .map(|s| s.attesters().len())
            .unwrap_or(0);
        tracing::info!(target: "spn::sequencer", agent = %short(self.me),
            "slot {slot}: announced block {number} ({}) n={height} txs={} attesters={committee}",
            short_hash(hash), body.len());
        self.proposals.insert(
            hash,
            MyProposal {
                header: header.clone(),
                txs: body.clone(),
                attestations: BTreeMap::new(),
                committee,
                quorum: p.attestation_quorum as usize,
                sent: false,
            },
        );
        cx.after(self.attest_wait.max(0.5), Timer::AttestDeadline(hash));
        Some(Built { header, hash, body })
    }

    /// An attestation from the network; only those for own proposals matter.
    pub fn on_attestation(&mut self, cx: &mut Cx<'_>, a: &AttestationMsg) -> Result<(), String> {
        // Cheap local checks first (§15.2): the slot against the local clock, then the block,
        // which must be one of this key's own proposals (nobody else uses it).
        messages::check_slot_window(a.slot, cx.current_slot())?;
        match self.proposals.get(&a.block_hash) {
            None => return Ok(()),
            Some(p) if p.header.slot != a.slot => return Err("attestation for another slot".into()),
            Some(_) => {}
        }
        let ctx = cx
            .chain
            .slot_ctx(a.slot)
            .ok_or_else(|| format!("no context for slot {}", a.slot))?;
        if !ctx.is_active(&a.signer) {
            return Err(format!("attester {} not active", a.signer));
        }
        let score = selection::score(a.signer, ctx.seed);
        if !selection::in_attestation_committee(score, cx.chain.params(), ctx.active_count) {
            return Err(format!(
                "{} not in the attestation committee of slot {}",
                a.signer, a.slot
            ));
        }
        if let Some(p) = self.proposals.get_mut(&a.block_hash) {
            p.attestations.insert(a.signer, a.sig);
            self.maybe_propose(cx, a.block_hash, false);
        }
        Ok(())
    }

    /// Proposes on L1 once every attester answered, or at the deadline with a quorum.
    pub fn maybe_propose(&mut self, cx: &mut Cx<'_>, hash: B256, deadline: bool) {
        let Some(prop) = self.proposals.get_mut(&hash) else {
            return;
        };
        if prop.sent {
            return;
        }
        let got = prop.attestations.len();
        if got < prop.committee && !deadline {
            return;
        }
        prop.sent = true;
        let slot = prop.header.slot;
        if got < prop.quorum {
            tracing::warn!(target: "spn::sequencer", agent = %short(self.me),
                "slot {slot}: no quorum for block {} ({got} of {} attestations, {} needed); not proposing",
                short_hash(hash), prop.committee, prop.quorum);
            cx.note(Note::NoQuorum(hash));
            // The transactions go back to the pool for the next block.
            cx.emit(Output::Requeue(prop.txs.clone()));
            return;
        }
        if cx.current_slot() != slot {
            return;
        }
        // Strictly ascending signers (the BTreeMap's order).
        let attestations: Vec<IRollup::Signature> = prop
            .attestations
            .values()
            .map(|s| IRollup::Signature { r: s.r, vs: s.vs })
            .collect();
        let call = Rollup::proposeCall {
            args: IRollup::ProposeArgs {
                slot,
                txRoot: prop.header.txRoot,
                height: prop.header.height,
            },
            attestations,
        };
        let id = tx_id(hash);
        self.in_flight.insert(id, hash);
        cx.emit(Output::Send {
            id,
            call: L1Call::Propose { hash, call },
            gas_limit: None,
        });
    }

    /// A transaction finished; returns true if it was this role's.
    pub fn on_tx_done(&mut self, id: u64, result: &Result<crate::io::TxOutcome, String>) -> bool {
        let Some(hash) = self.in_flight.remove(&id) else {
            return false;
        };
        if let Err(e) = result {
            tracing::warn!(target: "spn::sequencer", agent = %short(self.me), "propose of {} failed: {e}", short_hash(hash));
        }
        self.proposals.remove(&hash);
        true
    }

    /// Attestations collected for an own proposal.
    pub fn attestations_of(&self, hash: &B256) -> Option<usize> {
        self.proposals.get(hash).map(|p| p.attestations.len())
    }
}

/// A transaction id derived from a block hash (unique per block and role).
fn tx_id(hash: B256) -> u64 {
    u64::from_be_bytes(hash.0[..8].try_into().expect("8 bytes")) >> 2
}
