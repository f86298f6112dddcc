//! Follows the Rollup and Staking events block by block and keeps what every agent needs: the
//! staker set, the pending and proven chain, an L1 clock, and per-slot seeds and schedules.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolEventInterface;
use spn_bindings::{
    rollup::Rollup::RollupEvents, staking::Staking::StakingEvents, Rollup, Staking,
};
use spn_protocol::{selection, Clock, Header, Params, SlotSchedule};
use tokio::sync::broadcast;

use super::{Deployment, L1};
use crate::error::{Error, Result};

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
        /// Paid to the submitter.
        submitter_reward: U256,
        /// Paid to the proposer's withdrawer.
        sequencer_reward: U256,
        /// Reserved for the provers' claims.
        provers_reserved: U256,
        /// Transaction (its input holds the transcript).
        tx: B256,
        /// Gas of the submission is not in the log; L1 block of the proof.
        l1_block: u64,
    },
    /// `BlocksPruned`: blocks `from..=to` were dropped; the pending tip is `from - 1`.
    Pruned {
        /// First dropped number.
        from: u64,
        /// Last dropped number (the pending tip before pruning).
        to: u64,
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

#[derive(Debug, Default)]
struct Inner {
    stakers: Vec<StakerRecord>,
    head_number: u64,
    head_ts: u64,
    head_seen: Option<Instant>,
    pending_tip: u64,
    proven_tip: u64,
    hashes: BTreeMap<u64, B256>,
    headers: HashMap<B256, Header>,
    last_rollup_event_slot: Option<u64>,
}

/// Shared, continuously updated view of the L1 state of one deployment.
#[derive(Debug)]
pub struct ChainView {
    l1: L1,
    deployment: Deployment,
    params: Params,
    clock: Clock,
    inner: Mutex<Inner>,
    events: broadcast::Sender<L1Event>,
    slots: Mutex<HashMap<u64, Arc<SlotCtx>>>,
    schedules: Mutex<HashMap<(u64, u8), Arc<SlotSchedule>>>,
}

impl ChainView {
    /// Reads every event since the deployment block, then follows new blocks every `poll`.
    /// The follower task stops when the returned view is dropped by everyone else.
    pub async fn start(
        l1: L1,
        deployment: Deployment,
        params: Params,
        genesis_time: u64,
        poll: Duration,
    ) -> Result<Arc<Self>> {
        let clock = Clock::from_params(genesis_time, &params)?;
        let (events, _) = broadcast::channel(16_384);
        let view = Arc::new(Self {
            l1,
            deployment,
            params,
            clock,
            inner: Mutex::new(Inner {
                hashes: BTreeMap::from([(0, spn_protocol::eip712::genesis_hash())]),
                ..Inner::default()
            }),
            events,
            slots: Mutex::new(HashMap::new()),
            schedules: Mutex::new(HashMap::new()),
        });
        let mut next = view.deployment.deployment_block;
        next = view.sync(next).await?;
        let weak = Arc::downgrade(&view);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(poll).await;
                let Some(v) = weak.upgrade() else { break };
                match v.sync(next).await {
                    Ok(n) => next = n,
                    Err(e) => tracing::warn!(target: "spn::l1", "following L1: {e}"),
                }
            }
        });
        Ok(view)
    }

    /// Processes blocks `from..=head`; returns the next block to read.
    async fn sync(&self, from: u64) -> Result<u64> {
        let (head, ts) = self.l1.head().await?;
        {
            let mut i = self.inner.lock().unwrap();
            if head != i.head_number || i.head_seen.is_none() {
                i.head_number = head;
                i.head_ts = ts;
                i.head_seen = Some(Instant::now());
            }
        }
        let mut start = from;
        while start <= head {
            let end = head.min(start + 2_000);
            let logs = self
                .l1
                .logs(
                    vec![self.deployment.rollup, self.deployment.staking],
                    start,
                    end,
                )
                .await?;
            for log in logs {
                self.apply(&log);
            }
            start = end + 1;
        }
        Ok(head + 1)
    }

    fn apply(&self, log: &alloy::rpc::types::Log) {
        let tx = log.transaction_hash.unwrap_or_default();
        let l1_block = log.block_number.unwrap_or_default();
        if log.address() == self.deployment.staking {
            let Ok(ev) = StakingEvents::decode_log(&log.inner) else {
                return;
            };
            let mut i = self.inner.lock().unwrap();
            match ev.data {
                StakingEvents::Deposited(d) => i.stakers.push(StakerRecord {
                    key: d.key,
                    withdrawer: d.withdrawer,
                    activation_epoch: to_u64(d.activationEpoch),
                    exit_epoch: spn_protocol::time::NO_EXIT,
                }),
                StakingEvents::ExitInitiated(e) => {
                    if let Some(s) = i.stakers.iter_mut().find(|s| s.key == e.key) {
                        s.exit_epoch = to_u64(e.exitEpoch);
                    }
                }
                _ => {}
            }
            return;
        }
        let Ok(ev) = RollupEvents::decode_log(&log.inner) else {
            return;
        };
        let slot_now = self.current_slot();
        let event = {
            let mut i = self.inner.lock().unwrap();
            i.last_rollup_event_slot = Some(slot_now);
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
                    i.pending_tip = header.number;
                    let n = header.number;
                    i.hashes.retain(|&k, _| k < n);
                    i.hashes.insert(n, p.blockHash);
                    i.headers.insert(p.blockHash, header.clone());
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
                    i.pending_tip = from.saturating_sub(1);
                    i.hashes.retain(|&k, _| k < from);
                    Some(L1Event::Pruned { from, to })
                }
                RollupEvents::BlockProven(p) => {
                    i.proven_tip = to_u64(p.number);
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
                RollupEvents::RewardsClaimed(c) => Some(L1Event::Claimed {
                    prover: c.prover,
                    recipient: c.recipient,
                    amount: c.amount,
                    blocks: to_u64(c.blocks),
                }),
                _ => None,
            }
        };
        if let Some(e) = event {
            let _ = self.events.send(e);
        }
    }

    /// A receiver of every Rollup event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<L1Event> {
        self.events.subscribe()
    }

    /// The L1 connection.
    pub fn l1(&self) -> &L1 {
        &self.l1
    }

    /// The deployment.
    pub fn deployment(&self) -> &Deployment {
        &self.deployment
    }

    /// The protocol parameters read from the contracts.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The slot clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Estimated L1 time now: the latest block's timestamp plus the time since it was seen.
    pub fn now(&self) -> f64 {
        let i = self.inner.lock().unwrap();
        let elapsed = i
            .head_seen
            .map(|t| t.elapsed().as_secs_f64())
            .unwrap_or(0.0);
        i.head_ts as f64 + elapsed
    }

    /// Current slot by [`Self::now`].
    pub fn current_slot(&self) -> u64 {
        self.clock.slot_at(self.now() as u64).unwrap_or(0)
    }

    /// Seconds since the start of `slot` (negative before it).
    pub fn into_slot(&self, slot: u64) -> f64 {
        let start = self.clock.slot_start(slot).unwrap_or(u64::MAX) as f64;
        self.now() - start
    }

    /// Latest L1 block number seen.
    pub fn head_number(&self) -> u64 {
        self.inner.lock().unwrap().head_number
    }

    /// `(pendingTip, provenTip)` as followed.
    pub fn tips(&self) -> (u64, u64) {
        let i = self.inner.lock().unwrap();
        (i.pending_tip, i.proven_tip)
    }

    /// Hash of a pending or proven number.
    pub fn hash_of(&self, number: u64) -> Option<B256> {
        self.inner.lock().unwrap().hashes.get(&number).copied()
    }

    /// Header of a proposed block.
    pub fn header(&self, hash: &B256) -> Option<Header> {
        self.inner.lock().unwrap().headers.get(hash).cloned()
    }

    /// Whether the block is on the pending chain now.
    pub fn is_canonical(&self, hash: &B256) -> bool {
        let i = self.inner.lock().unwrap();
        i.headers
            .get(hash)
            .is_some_and(|h| i.hashes.get(&h.number) == Some(hash))
    }

    /// Slot of the latest Rollup event seen, if any.
    pub fn last_rollup_event_slot(&self) -> Option<u64> {
        self.inner.lock().unwrap().last_rollup_event_slot
    }

    /// Every registered staker.
    pub fn stakers(&self) -> Vec<StakerRecord> {
        self.inner.lock().unwrap().stakers.clone()
    }

    /// The staker record of `key`.
    pub fn staker(&self, key: Address) -> Option<StakerRecord> {
        self.inner
            .lock()
            .unwrap()
            .stakers
            .iter()
            .find(|s| s.key == key)
            .copied()
    }

    /// Seed, N and active keys of `slot` (cached once its epoch has started, when they are final).
    pub async fn slot_ctx(&self, slot: u64) -> Result<Arc<SlotCtx>> {
        if let Some(c) = self.slots.lock().unwrap().get(&slot) {
            return Ok(c.clone());
        }
        let epoch = self.clock.epoch_of(slot);
        let d = &self.deployment;
        let epoch_seed = self
            .l1
            .view(
                d.rollup,
                Rollup::epochSeedCall {
                    epoch: U256::from(epoch),
                },
            )
            .await?;
        let active = self
            .l1
            .view(
                d.staking,
                Staking::activeCountCall {
                    epoch: U256::from(epoch),
                },
            )
            .await?;
        let stakers: Vec<Address> = self
            .stakers()
            .iter()
            .filter(|s| spn_protocol::time::is_active(s.activation_epoch, s.exit_epoch, epoch))
            .map(|s| s.key)
            .collect();
        let ctx = Arc::new(SlotCtx {
            slot,
            epoch,
            seed: selection::slot_seed(epoch_seed, slot),
            active_count: to_u64(active),
            stakers,
        });
        if epoch <= self.clock.epoch_of(self.current_slot()) {
            self.slots.lock().unwrap().insert(slot, ctx.clone());
        }
        Ok(ctx)
    }

    /// The work schedule of a block of `height` in `slot`.
    pub async fn schedule(&self, slot: u64, height: u8) -> Result<Arc<SlotSchedule>> {
        if let Some(s) = self.schedules.lock().unwrap().get(&(slot, height)) {
            return Ok(s.clone());
        }
        let ctx = self.slot_ctx(slot).await?;
        let s = Arc::new(
            SlotSchedule::build(
                &self.params,
                height,
                ctx.seed,
                ctx.active_count,
                &ctx.stakers,
            )
            .map_err(Error::from)?,
        );
        let mut cache = self.schedules.lock().unwrap();
        if cache.len() > 512 {
            cache.retain(|(s, _), _| s + 64 > slot);
        }
        cache.insert((slot, height), s.clone());
        Ok(s)
    }
}

fn to_u64(x: U256) -> u64 {
    u64::try_from(x).unwrap_or(u64::MAX)
}
