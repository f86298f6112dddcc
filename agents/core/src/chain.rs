//! What the agent core knows of L1: the Rollup and Staking events, in L1 order, folded into a
//! [`ChainState`] (staker set, pending and proven chain, headers), and per-slot seeds and
//! schedules. No RPC here: the runtime reads logs and the two per-epoch values the state cannot
//! derive (`Rollup.epochSeed`, `Staking.activeCount`) and hands them in; the core reads the state
//! through [`Chain`].

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use alloy_primitives::{Address, Log, B256, U256};
use alloy_sol_types::{Eip712Domain, SolEventInterface};
use spn_bindings::{rollup::Rollup::RollupEvents, staking::Staking::StakingEvents};
use spn_protocol::bls::{self, BlsPublicKey, TransitionContext};
use spn_protocol::{eip712, selection, Clock, Header, Params, SlotSchedule};

/// The BLS training wheel of a deployment (`Rollup.trainingWheel() != 0`, design §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrainingWheel {
    /// `trainingWheelBps`: signers required, in basis points of the expected round-1 committee.
    pub bps: u64,
    /// `trainingWheelUntil`: the first L2 block number proven without the wheel (saturated to
    /// `u64::MAX`, which no block number reaches).
    pub until: u64,
}

impl TrainingWheel {
    /// Whether the wheel covers block `number` (`number < trainingWheelUntil`).
    pub fn covers(&self, number: u64) -> bool {
        number < self.until
    }
}

/// The deployment's training wheel if it covers block `number`.
pub fn wheel_for(chain: &dyn Chain, number: u64) -> Option<TrainingWheel> {
    chain.training_wheel().filter(|w| w.covers(number))
}

/// The training wheel's context of pending block `hash` (design §3.4): what its round-1 members
/// sign ([`TransitionContext::digest`]) and what the submitter's transition is checked against.
/// `active_count` is the block's schedule's N. An error says which part is missing: the wheel
/// does not cover the block, the slot is unknown, or the block is not pending.
pub fn transition_context(
    chain: &dyn Chain,
    hash: B256,
    header: &Header,
    active_count: u64,
) -> Result<TransitionContext, String> {
    let number = header.number;
    let wheel = wheel_for(chain, number)
        .ok_or_else(|| format!("the training wheel does not cover block {number}"))?;
    let slot = chain
        .slot_ctx(header.slot)
        .ok_or_else(|| format!("no slot context for slot {}", header.slot))?;
    let pre = chain
        .pre_state_root(number)
        .ok_or_else(|| format!("no pre-state for block {number} (not pending)"))?;
    let params = chain.params();
    Ok(TransitionContext {
        domain_separator: chain.domain().separator(),
        block_hash: hash,
        tx_root: header.txRoot,
        pre_state_root: pre,
        slot_seed: slot.seed,
        epoch: slot.epoch,
        active_count,
        height: header.height,
        round_height: params.round_height,
        redundancy: params.redundancy,
        threshold_bps: wheel.bps,
    })
}

/// A registered staking key and its activity window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StakerRecord {
    /// The staking key.
    pub key: Address,
    /// Where its stake and rewards go.
    pub withdrawer: Address,
    /// First active epoch.
    pub activation_epoch: u64,
    /// First inactive epoch after an exit (`u32::MAX` while not exiting).
    pub exit_epoch: u64,
}

/// A decoded Rollup event, in L1 order.
#[derive(Debug, Clone)]
pub enum L1Event {
    /// `BlockProposed` (also for a replacement).
    Proposed {
        /// The full header (hashes to `hash`).
        header: Header,
        /// Block hash.
        hash: B256,
        /// L1 block it was mined in.
        l1_block: u64,
        /// Transaction.
        tx: B256,
    },
    /// `BlockReplaced`: a higher score took the slot.
    Replaced {
        /// Block number.
        number: u64,
        /// Hash of the dropped block.
        old: B256,
    },
    /// `BlockProven`.
    Proven {
        /// Block number.
        number: u64,
        /// Block hash.
        hash: B256,
        /// Who submitted.
        submitter: Address,
        /// Rewards root.
        rewards_root: B256,
        /// Distinct provers credited.
        distinct_provers: u64,
        /// Committee jobs nobody was credited for.
        unfilled_jobs: u64,
        /// Credited to the submitter.
        submitter_reward: U256,
        /// Credited to the proposer's withdrawer.
        sequencer_reward: U256,
        /// Reserved for the provers' claims.
        provers_reserved: U256,
        /// Transaction (its input holds the transcript).
        tx: B256,
        /// L1 block of the proof.
        l1_block: u64,
    },
    /// `BlocksPruned`: blocks `from..=to` were dropped; the pending tip is `from - 1`.
    Pruned {
        /// First dropped number.
        from: u64,
        /// Last dropped number (the pending tip before pruning).
        to: u64,
    },
    /// `MissReported`: `staker` is accused of missing its work in block `block`.
    Reported {
        /// The accused staking key.
        staker: Address,
        /// The reported block.
        block: u64,
        /// Who reported.
        reporter: Address,
    },
    /// `ReportCleared`: the staker showed a contribution.
    Cleared {
        /// The staking key.
        staker: Address,
        /// The reported block.
        block: u64,
    },
    /// `StrikeFinalised`: a report stood; the staker was struck (and maybe slashed, ejected).
    Struck {
        /// The staking key.
        staker: Address,
        /// The reported block.
        block: u64,
        /// Consecutive strikes.
        strikes: u64,
        /// Stake slashed.
        slashed: U256,
        /// Whether this strike ejected it.
        ejected: bool,
    },
    /// `RewardsClaimed`.
    Claimed {
        /// Staking key that claimed.
        prover: Address,
        /// Recipient.
        recipient: Address,
        /// Amount paid.
        amount: U256,
        /// Blocks in the claim.
        blocks: u64,
    },
}

/// Seed, active count and active keys of one slot.
#[derive(Debug, Clone)]
pub struct SlotCtx {
    /// The slot.
    pub slot: u64,
    /// Its epoch.
    pub epoch: u64,
    /// `slotSeed(slot)`.
    pub seed: B256,
    /// `activeCount(epoch)`.
    pub active_count: u64,
    /// Active keys, in registration order.
    pub stakers: Vec<Address>,
}

impl SlotCtx {
    /// Whether `key` is active in the slot's epoch.
    pub fn is_active(&self, key: &Address) -> bool {
        self.stakers.contains(key)
    }
}

/// Read access to L1 as the core needs it; every answer comes from state already held, never
/// from a request.
pub trait Chain {
    /// Protocol parameters of the deployment.
    fn params(&self) -> &Params;
    /// The L1 slot clock.
    fn clock(&self) -> &Clock;
    /// The EIP-712 domain (chain id and Rollup).
    fn domain(&self) -> &Eip712Domain;
    /// Seed, N and active keys of `slot`, if known.
    fn slot_ctx(&self, slot: u64) -> Option<Arc<SlotCtx>>;
    /// The work schedule of a block of `height` in `slot`, if the slot is known.
    fn schedule(&self, slot: u64, height: u8) -> Option<Arc<SlotSchedule>>;
    /// `(pendingTip, provenTip)`.
    fn tips(&self) -> (u64, u64);
    /// Hash of pending block `number`.
    fn hash_of(&self, number: u64) -> Option<B256>;
    /// Header of a block seen on L1.
    fn header(&self, hash: &B256) -> Option<Header>;
    /// Slot of the latest Rollup event (for seed sampling, §6.4).
    fn last_rollup_event_slot(&self) -> Option<u64>;
    /// The staker record of `key`.
    fn staker(&self, key: Address) -> Option<StakerRecord>;
    /// The deployment's BLS training wheel, if it has one.
    fn training_wheel(&self) -> Option<TrainingWheel>;
    /// The BLS public key `key` registered (`BlsKeyRegistered`), if any.
    fn bls_key(&self, key: Address) -> Option<BlsPublicKey>;
    /// The state root before pending block `number` (`stateRoot(number - 1)`, design §1.1): the
    /// proven state root folded with [`bls::state_root_next`] over the `txRoot`s of the pending
    /// blocks below `number`. `None` unless `provenTip < number <= pendingTip` and every header
    /// below is known.
    fn pre_state_root(&self, number: u64) -> Option<B256>;
}

/// The unproven blocks on L1, oldest first, as the `BlockProposed` events an agent that was not
/// running when they were mined would have seen: a (re)started agent replays them to resume its
/// work instead of leaving it to fallbacks.
pub fn pending_proposals(chain: &dyn Chain) -> Vec<L1Event> {
    let (pending, proven) = chain.tips();
    (proven.saturating_add(1)..=pending)
        .filter_map(|number| {
            let hash = chain.hash_of(number)?;
            let header = chain.header(&hash)?;
            Some(L1Event::Proposed {
                header,
                hash,
                l1_block: 0,
                tx: B256::ZERO,
            })
        })
        .collect()
}

/// The state folded from a deployment's events, and its per-slot caches.
#[derive(Debug, Clone)]
pub struct ChainState {
    params: Params,
    clock: Clock,
    domain: Eip712Domain,
    rollup: Address,
    staking: Address,
    stakers: Vec<StakerRecord>,
    pending_tip: u64,
    proven_tip: u64,
    hashes: BTreeMap<u64, B256>,
    headers: HashMap<B256, Header>,
    last_rollup_event_slot: Option<u64>,
    /// `(epochSeed, activeCount)` per epoch, handed in by the runtime.
    epochs: HashMap<u64, (U256, u64)>,
    slots: HashMap<u64, Arc<SlotCtx>>,
    schedules: HashMap<(u64, u8), Arc<SlotSchedule>>,
    wheel: Option<TrainingWheel>,
    /// BLS keys from `BlsKeyRegistered`, validated.
    bls_keys: HashMap<Address, BlsPublicKey>,
    /// `Rollup.provenStateRoot`: advanced by every proof the wheel covers.
    proven_state_root: B256,
}

impl ChainState {
    /// An empty state of the deployment at `rollup`/`staking` on `chain_id`.
    pub fn new(
        params: Params,
        clock: Clock,
        chain_id: u64,
        rollup: Address,
        staking: Address,
    ) -> Self {
        Self {
            params,
            clock,
            domain: eip712::domain(chain_id, rollup),
            rollup,
            staking,
            stakers: Vec::new(),
            pending_tip: 0,
            proven_tip: 0,
            hashes: BTreeMap::from([(0, eip712::genesis_hash())]),
            headers: HashMap::new(),
            last_rollup_event_slot: None,
            epochs: HashMap::new(),
            slots: HashMap::new(),
            schedules: HashMap::new(),
            wheel: None,
            bls_keys: HashMap::new(),
            proven_state_root: B256::ZERO,
        }
    }

    /// Sets the deployment's training wheel (read from the Rollup by the runtime; none: off).
    pub fn set_training_wheel(&mut self, wheel: Option<TrainingWheel>) {
        self.wheel = wheel;
    }

    /// Records a BLS key known without its `BlsKeyRegistered` log (a runtime that registered
    /// the keys itself, as the simulator may).
    pub fn add_bls_key(&mut self, key: Address, public: BlsPublicKey) {
        self.bls_keys.entry(key).or_insert(public);
    }

    /// `Rollup.provenStateRoot` as folded from the logs (zero before the first signed proof).
    pub fn proven_state_root(&self) -> B256 {
        self.proven_state_root
    }

    /// Every registered staker, in registration order.
    pub fn stakers(&self) -> &[StakerRecord] {
        &self.stakers
    }

    /// Adds a staker known without its `Deposited` log (a runtime that registered the keys
    /// itself, as the simulator does).
    pub fn add_staker(&mut self, record: StakerRecord) {
        self.stakers.push(record);
    }

    /// Whether the per-epoch values of `epoch` are known.
    pub fn has_epoch(&self, epoch: u64) -> bool {
        self.epochs.contains_key(&epoch)
    }

    /// Records `Rollup.epochSeed(epoch)` and `Staking.activeCount(epoch)`; the runtime calls it
    /// once the epoch has started (when both are final).
    pub fn set_epoch(&mut self, epoch: u64, epoch_seed: U256, active_count: u64) {
        self.epochs.insert(epoch, (epoch_seed, active_count));
        if self.slots.len() > 4096 {
            self.slots.clear();
        }
        if self.schedules.len() > 512 {
            let newest = self.schedules.keys().map(|k| k.0).max().unwrap_or(0);
            self.schedules.retain(|(s, _), _| s + 64 > newest);
        }
    }

    /// Applies one log of the Rollup or the Staking contract, mined in `l1_block` by `tx`, seen
    /// in `slot_now`; returns the Rollup event it is, if the agents act on it.
    pub fn apply_log(
        &mut self,
        log: &Log,
        l1_block: u64,
        tx: B256,
        slot_now: u64,
    ) -> Option<L1Event> {
        if log.address == self.staking {
            match StakingEvents::decode_log(log).map(|l| l.data) {
                Ok(StakingEvents::Deposited(d)) => self.stakers.push(StakerRecord {
                    key: d.key,
                    withdrawer: d.withdrawer,
                    activation_epoch: to_u64(d.activationEpoch),
                    exit_epoch: spn_protocol::time::NO_EXIT,
                }),
                Ok(StakingEvents::ExitInitiated(e)) => {
                    if let Some(s) = self.stakers.iter_mut().find(|s| s.key == e.key) {
                        s.exit_epoch = to_u64(e.exitEpoch);
                    }
                }
                Ok(StakingEvents::BlsKeyRegistered(e)) => self.apply_bls_key(e.key, &e.publicKey),
                _ => {}
            }
            // The active set of an epoch changes only at epoch boundaries; cached contexts of
            // epochs not yet started are never kept, so nothing cached goes stale here.
            return None;
        }
        if log.address != self.rollup {
            return None;
        }
        let ev = RollupEvents::decode_log(log).ok()?;
        self.last_rollup_event_slot = Some(slot_now);
        match ev.data {
            RollupEvents::BlockProposed(p) => {
                let header = Header {
                    number: to_u64(p.number),
                    parentHash: p.parentHash,
                    slot: to_u64(p.slot),
                    proposer: p.proposer,
                    txRoot: p.txRoot,
                    height: p.height,
                };
                self.pending_tip = header.number;
                let n = header.number;
                self.hashes.retain(|&k, _| k < n);
                self.hashes.insert(n, p.blockHash);
                self.headers.insert(p.blockHash, header.clone());
                Some(L1Event::Proposed {
                    header,
                    hash: p.blockHash,
                    l1_block,
                    tx,
                })
            }
            RollupEvents::BlockReplaced(r) => Some(L1Event::Replaced {
                number: to_u64(r.number),
                old: r.oldBlockHash,
            }),
            RollupEvents::BlocksPruned(p) => {
                let (from, to) = (to_u64(p.fromNumber), to_u64(p.toNumber));
                self.pending_tip = from.saturating_sub(1);
                self.hashes.retain(|&k, _| k < from);
                Some(L1Event::Pruned { from, to })
            }
            RollupEvents::BlockProven(p) => {
                self.proven_tip = to_u64(p.number);
                // A proof the wheel covers went through submitSignedProof, which advanced the
                // state root (TransitionSigned, right after, says the same).
                if self.wheel.is_some_and(|w| w.covers(self.proven_tip)) {
                    if let Some(h) = self.headers.get(&p.blockHash) {
                        self.proven_state_root =
                            bls::state_root_next(self.proven_state_root, h.txRoot);
                    }
                }
                Some(L1Event::Proven {
                    number: to_u64(p.number),
                    hash: p.blockHash,
                    submitter: p.submitter,
                    rewards_root: p.rewardsRoot,
                    distinct_provers: to_u64(p.distinctProvers),
                    unfilled_jobs: to_u64(p.unfilledJobs),
                    submitter_reward: p.submitterReward,
                    sequencer_reward: p.sequencerReward,
                    provers_reserved: p.proversReserved,
                    tx,
                    l1_block,
                })
            }
            RollupEvents::MissReported(r) => Some(L1Event::Reported {
                staker: r.staker,
                block: to_u64(r.blockNumber),
                reporter: r.reporter,
            }),
            RollupEvents::ReportCleared(r) => Some(L1Event::Cleared {
                staker: r.staker,
                block: to_u64(r.pendingBlock),
            }),
            RollupEvents::StrikeFinalised(r) => Some(L1Event::Struck {
                staker: r.staker,
                block: to_u64(r.blockNumber),
                strikes: to_u64(r.strikes),
                slashed: r.slashed,
                ejected: r.ejected,
            }),
            RollupEvents::TransitionSigned(t) => {
                self.proven_state_root = t.postStateRoot;
                None
            }
            RollupEvents::RewardsClaimed(c) => Some(L1Event::Claimed {
                prover: c.prover,
                recipient: c.recipient,
                amount: c.amount,
                blocks: to_u64(c.blocks),
            }),
            _ => None,
        }
    }

    /// Folds a `BlsKeyRegistered` log: the first valid key of each staker (Staking sets it once;
    /// a key that is no G1 point, which the proof of possession excludes, is ignored).
    fn apply_bls_key(&mut self, key: Address, public_key: &[u8]) {
        match BlsPublicKey::from_bytes(public_key) {
            Ok(pk) => {
                self.bls_keys.entry(key).or_insert(pk);
            }
            Err(e) => {
                tracing::warn!(target: "spn::l1", "BlsKeyRegistered of {key}: {e}");
            }
        }
    }

    /// The context of `slot`, built (and cached) from the epoch's values if they are known.
    pub fn slot_ctx_mut(&mut self, slot: u64) -> Option<Arc<SlotCtx>> {
        if let Some(c) = self.slots.get(&slot) {
            return Some(c.clone());
        }
        let c = Arc::new(self.build_ctx(slot)?);
        self.slots.insert(slot, c.clone());
        Some(c)
    }

    /// The schedule of `(slot, height)`, built (and cached) if the slot's context is known.
    pub fn schedule_mut(&mut self, slot: u64, height: u8) -> Option<Arc<SlotSchedule>> {
        if let Some(s) = self.schedules.get(&(slot, height)) {
            return Some(s.clone());
        }
        let ctx = self.slot_ctx_mut(slot)?;
        let s = self.build_schedule(&ctx, height)?;
        self.schedules.insert((slot, height), s.clone());
        Some(s)
    }

    fn build_schedule(&self, ctx: &SlotCtx, height: u8) -> Option<Arc<SlotSchedule>> {
        SlotSchedule::build(
            &self.params,
            height,
            ctx.seed,
            ctx.active_count,
            &ctx.stakers,
        )
        .ok()
        .map(Arc::new)
    }

    fn build_ctx(&self, slot: u64) -> Option<SlotCtx> {
        let epoch = self.clock.epoch_of(slot);
        let &(epoch_seed, active_count) = self.epochs.get(&epoch)?;
        let stakers = self
            .stakers
            .iter()
            .filter(|s| spn_protocol::time::is_active(s.activation_epoch, s.exit_epoch, epoch))
            .map(|s| s.key)
            .collect();
        Some(SlotCtx {
            slot,
            epoch,
            seed: selection::slot_seed(epoch_seed, slot),
            active_count,
            stakers,
        })
    }
}

/// The events that bring agent cores which followed `old` to `new`, after an L1 reorg made the
/// runtime rebuild `new` from the canonical logs. Cores forget the blocks the reorg dropped and
/// track again the pending blocks they had finished or forgotten:
///
/// - `Pruned { from, to }`, `from` the first number above `new`'s proven tip whose hash differs
///   between the two states and `to` `old`'s pending tip (when `from <= to`);
/// - then `Proposed` (taken from `proposals`, the latest proposal event of each number in
///   `new`) of every block of `new`'s pending chain at or above `from`, or whose proof the
///   reorg dropped (at or below `old`'s proven tip), unless its hash is in `delivered`: the
///   runtime sends the new branch's own events after these, in L1 order.
pub fn reorg_events(
    old: &ChainState,
    new: &ChainState,
    proposals: &BTreeMap<u64, L1Event>,
    delivered: &HashSet<B256>,
) -> Vec<L1Event> {
    let (old_pending, old_proven) = old.tips();
    let (new_pending, new_proven) = new.tips();
    let top = old_pending.max(new_pending);
    let from = (new_proven.saturating_add(1)..=top).find(|&n| old.hash_of(n) != new.hash_of(n));
    let mut out = Vec::new();
    if let Some(from) = from.filter(|&f| f <= old_pending) {
        out.push(L1Event::Pruned {
            from,
            to: old_pending,
        });
    }
    for n in new_proven.saturating_add(1)..=new_pending {
        let changed = from.is_some_and(|f| n >= f);
        if !changed && n > old_proven {
            continue;
        }
        let Some(hash) = new.hash_of(n) else { continue };
        if delivered.contains(&hash) {
            continue;
        }
        if let Some(ev @ L1Event::Proposed { hash: h, .. }) = proposals.get(&n) {
            if *h == hash {
                out.push(ev.clone());
            }
        }
    }
    out
}

impl Chain for ChainState {
    fn params(&self) -> &Params {
        &self.params
    }
    fn clock(&self) -> &Clock {
        &self.clock
    }
    fn domain(&self) -> &Eip712Domain {
        &self.domain
    }
    fn slot_ctx(&self, slot: u64) -> Option<Arc<SlotCtx>> {
        match self.slots.get(&slot) {
            Some(c) => Some(c.clone()),
            None => self.build_ctx(slot).map(Arc::new),
        }
    }
    fn schedule(&self, slot: u64, height: u8) -> Option<Arc<SlotSchedule>> {
        if let Some(s) = self.schedules.get(&(slot, height)) {
            return Some(s.clone());
        }
        let ctx = self.slot_ctx(slot)?;
        self.build_schedule(&ctx, height)
    }
    fn tips(&self) -> (u64, u64) {
        (self.pending_tip, self.proven_tip)
    }
    fn hash_of(&self, number: u64) -> Option<B256> {
        self.hashes.get(&number).copied()
    }
    fn header(&self, hash: &B256) -> Option<Header> {
        self.headers.get(hash).cloned()
    }
    fn last_rollup_event_slot(&self) -> Option<u64> {
        self.last_rollup_event_slot
    }
    fn staker(&self, key: Address) -> Option<StakerRecord> {
        self.stakers.iter().find(|s| s.key == key).copied()
    }
    fn training_wheel(&self) -> Option<TrainingWheel> {
        self.wheel
    }
    fn bls_key(&self, key: Address) -> Option<BlsPublicKey> {
        self.bls_keys.get(&key).copied()
    }
    fn pre_state_root(&self, number: u64) -> Option<B256> {
        let (pending, proven) = self.tips();
        if number <= proven || number > pending {
            return None;
        }
        let mut root = self.proven_state_root;
        for n in proven.checked_add(1)?..number {
            let h = self.headers.get(&self.hash_of(n)?)?;
            root = bls::state_root_next(root, h.txRoot);
        }
        Some(root)
    }
}

fn to_u64(x: U256) -> u64 {
    u64::try_from(x).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_sol_types::SolEvent;
    use spn_bindings::rollup::Rollup;

    const ROLLUP: Address = Address::repeat_byte(0xaa);
    const STAKING: Address = Address::repeat_byte(0xbb);

    fn state() -> ChainState {
        let p = Params::devnet();
        let clock = Clock::from_params(1_000_000, &p).unwrap();
        ChainState::new(p, clock, 31337, ROLLUP, STAKING)
    }

    fn log<E: SolEvent>(ev: E) -> Log {
        Log {
            address: ROLLUP,
            data: ev.encode_log_data(),
        }
    }

    /// Proposes block `pending + 1` with a `salt` that tells branches apart.
    fn propose(s: &mut ChainState, salt: u8, events: &mut BTreeMap<u64, L1Event>) -> B256 {
        let (pending, _) = s.tips();
        let header = Header {
            number: pending + 1,
            parentHash: s.hash_of(pending).unwrap(),
            slot: pending + 1,
            proposer: Address::repeat_byte(salt),
            txRoot: B256::repeat_byte(salt),
            height: 3,
        };
        let hash = header.hash();
        let ev = s.apply_log(
            &log(Rollup::BlockProposed {
                number: U256::from(header.number),
                blockHash: hash,
                slot: U256::from(header.slot),
                proposer: header.proposer,
                parentHash: header.parentHash,
                txRoot: header.txRoot,
                height: 3,
            }),
            1,
            B256::ZERO,
            0,
        );
        events.insert(header.number, ev.unwrap());
        hash
    }

    fn prove(s: &mut ChainState, n: u64) {
        let hash = s.hash_of(n).unwrap();
        s.apply_log(
            &log(Rollup::BlockProven {
                number: U256::from(n),
                blockHash: hash,
                submitter: Address::ZERO,
                rewardsRoot: B256::ZERO,
                distinctProvers: U256::ZERO,
                unfilledJobs: U256::ZERO,
                submitterReward: U256::ZERO,
                sequencerReward: U256::ZERO,
                proversReserved: U256::ZERO,
            }),
            1,
            B256::ZERO,
            0,
        );
    }

    fn proposed(evs: &[L1Event]) -> Vec<u64> {
        evs.iter()
            .filter_map(|e| match e {
                L1Event::Proposed { header, .. } => Some(header.number),
                _ => None,
            })
            .collect()
    }

    fn staking_log<E: SolEvent>(ev: E) -> Log {
        Log {
            address: STAKING,
            data: ev.encode_log_data(),
        }
    }

    fn bls_pk(i: u64) -> BlsPublicKey {
        *spn_protocol::BlsSecretKey::from_bytes(&B256::from(U256::from(i)))
            .unwrap()
            .public_key()
    }

    /// `BlsKeyRegistered` gives each staker its key once; bytes that are no G1 point (which
    /// the contract's proof of possession excludes) and logs of other contracts are ignored.
    #[test]
    fn bls_keys_are_folded_from_staking_logs() {
        let mut s = state();
        let (a, b, c) = (
            Address::repeat_byte(1),
            Address::repeat_byte(2),
            Address::repeat_byte(3),
        );
        let reg = |key: Address, pk: Vec<u8>| spn_bindings::staking::Staking::BlsKeyRegistered {
            key,
            publicKey: pk.into(),
        };
        assert!(s
            .apply_log(
                &staking_log(reg(a, bls_pk(5).to_bytes().to_vec())),
                1,
                B256::ZERO,
                0
            )
            .is_none());
        assert_eq!(s.bls_key(a), Some(bls_pk(5)));
        // A second registration (Staking refuses it) does not replace the key.
        s.apply_log(
            &staking_log(reg(a, bls_pk(6).to_bytes().to_vec())),
            1,
            B256::ZERO,
            0,
        );
        assert_eq!(s.bls_key(a), Some(bls_pk(5)));
        // Not a point, wrong length, infinity.
        s.apply_log(&staking_log(reg(b, vec![0x11; 96])), 1, B256::ZERO, 0);
        s.apply_log(&staking_log(reg(b, vec![0x11; 95])), 1, B256::ZERO, 0);
        s.apply_log(&staking_log(reg(b, vec![0; 96])), 1, B256::ZERO, 0);
        assert_eq!(s.bls_key(b), None);
        // The same event from another contract.
        s.apply_log(
            &log(reg(c, bls_pk(7).to_bytes().to_vec())),
            1,
            B256::ZERO,
            0,
        );
        assert_eq!(s.bls_key(c), None);
        // A runtime that registers keys itself.
        s.add_bls_key(c, bls_pk(7));
        assert_eq!(s.bls_key(c), Some(bls_pk(7)));
    }

    fn transition_signed(number: u64, root: B256) -> Log {
        log(Rollup::TransitionSigned {
            number: U256::from(number),
            postStateRoot: root,
            signers: U256::from(1),
        })
    }

    /// The state root chain: `provenStateRoot` advances with each proof the wheel covers
    /// (TransitionSigned has the last word), and the pre-state of a pending block folds the
    /// pending blocks below it; proofs past `trainingWheelUntil`, or without a wheel, leave it.
    #[test]
    fn the_state_root_chain_follows_signed_proofs() {
        let tx = |salt: u8| B256::repeat_byte(salt);
        let next = bls::state_root_next;
        let mut s = state();
        s.set_training_wheel(Some(TrainingWheel {
            bps: 5000,
            until: 3,
        }));
        let mut props = BTreeMap::new();
        for salt in 1..=4 {
            propose(&mut s, salt, &mut props);
        }
        assert_eq!(s.pre_state_root(0), None);
        assert_eq!(s.pre_state_root(1), Some(B256::ZERO));
        assert_eq!(s.pre_state_root(2), Some(next(B256::ZERO, tx(1))));
        assert_eq!(
            s.pre_state_root(4),
            Some(next(next(next(B256::ZERO, tx(1)), tx(2)), tx(3)))
        );
        assert_eq!(s.pre_state_root(5), None, "above the pending tip");
        prove(&mut s, 1);
        let r1 = next(B256::ZERO, tx(1));
        assert_eq!(s.proven_state_root(), r1);
        assert_eq!(s.pre_state_root(1), None, "proven");
        assert_eq!(s.pre_state_root(2), Some(r1));
        // The event of the same transaction carries the contract's value.
        assert!(s
            .apply_log(&transition_signed(1, r1), 1, B256::ZERO, 0)
            .is_none());
        assert_eq!(s.proven_state_root(), r1);
        prove(&mut s, 2);
        let r2 = next(r1, tx(2));
        assert_eq!(s.proven_state_root(), r2);
        assert_eq!(s.pre_state_root(3), Some(r2));
        // Block 3 is past the wheel: proven with submitProof, the root stays.
        prove(&mut s, 3);
        assert_eq!(s.proven_state_root(), r2);
        // The contract's value wins over the fold.
        s.apply_log(&transition_signed(2, tx(0xaa)), 1, B256::ZERO, 0);
        assert_eq!(s.proven_state_root(), tx(0xaa));
        assert_eq!(
            wheel_for(&s, 2),
            Some(TrainingWheel {
                bps: 5000,
                until: 3
            })
        );
        assert_eq!(wheel_for(&s, 3), None);

        // Without a wheel nothing moves.
        let mut off = state();
        let mut p = BTreeMap::new();
        propose(&mut off, 1, &mut p);
        prove(&mut off, 1);
        assert_eq!(off.proven_state_root(), B256::ZERO);
        assert_eq!(wheel_for(&off, 1), None);
    }

    /// Pruned and replaced pending blocks leave the pre-state chain: it follows the pending
    /// chain of the moment, and a state rebuilt from the canonical logs (a reorg) agrees.
    #[test]
    fn the_pre_state_follows_the_pending_chain_across_prunes_and_reorgs() {
        let next = bls::state_root_next;
        let wheel = Some(TrainingWheel {
            bps: 5000,
            until: u64::MAX,
        });
        let mut s = state();
        s.set_training_wheel(wheel);
        let mut props = BTreeMap::new();
        propose(&mut s, 1, &mut props);
        propose(&mut s, 2, &mut props);
        propose(&mut s, 3, &mut props);
        s.apply_log(
            &log(Rollup::BlocksPruned {
                fromNumber: U256::from(2),
                toNumber: U256::from(3),
            }),
            1,
            B256::ZERO,
            0,
        );
        assert_eq!(s.pre_state_root(3), None);
        propose(&mut s, 7, &mut props);
        propose(&mut s, 8, &mut props);
        let want = next(next(B256::ZERO, B256::repeat_byte(1)), B256::repeat_byte(7));
        assert_eq!(s.pre_state_root(3), Some(want));
        // The same logs replayed into a fresh state (what the follower does after a reorg).
        let mut rebuilt = state();
        rebuilt.set_training_wheel(wheel);
        let mut p = BTreeMap::new();
        propose(&mut rebuilt, 1, &mut p);
        propose(&mut rebuilt, 7, &mut p);
        propose(&mut rebuilt, 8, &mut p);
        assert_eq!(rebuilt.pre_state_root(3), Some(want));
        prove(&mut rebuilt, 1);
        prove(&mut s, 1);
        assert_eq!(rebuilt.proven_state_root(), s.proven_state_root());
    }

    /// A reorg that replaced blocks 3 and 4 by another block 3 and dropped the proof of block 2:
    /// the cores forget 3..=4, track 2 again, and learn the new block 3 from the new branch.
    #[test]
    fn a_reorg_prunes_the_dropped_branch_and_re_announces_unproven_blocks() {
        let mut base = state();
        let mut props = BTreeMap::new();
        propose(&mut base, 1, &mut props);
        prove(&mut base, 1);
        propose(&mut base, 2, &mut props);
        // Common ancestor: block 2 pending. The old branch proves 2 and proposes 3 and 4.
        let mut old = base.clone();
        let mut old_props = props.clone();
        prove(&mut old, 2);
        propose(&mut old, 3, &mut old_props);
        propose(&mut old, 4, &mut old_props);
        // The new branch proposes another block 3 (delivered as a new event).
        let mut new = base.clone();
        let new3 = propose(&mut new, 9, &mut props);
        let delivered = HashSet::from([new3]);
        let evs = reorg_events(&old, &new, &props, &delivered);
        assert!(
            matches!(evs[0], L1Event::Pruned { from: 3, to: 4 }),
            "{evs:?}"
        );
        assert_eq!(proposed(&evs), vec![2]);
        // Nothing changed: nothing to say.
        assert!(reorg_events(&old, &old, &old_props, &HashSet::new()).is_empty());
        // A reorg that only dropped block 4: prune it, keep 3.
        let mut shorter = base.clone();
        let mut p2 = props.clone();
        prove(&mut shorter, 2);
        propose(&mut shorter, 3, &mut p2);
        let evs = reorg_events(&old, &shorter, &p2, &HashSet::new());
        assert_eq!(evs.len(), 1);
        assert!(matches!(evs[0], L1Event::Pruned { from: 4, to: 4 }));
    }
}
