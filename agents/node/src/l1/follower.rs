//! Follows the Rollup and Staking events block by block and keeps what every agent needs: the
//! staker set, the pending and proven chain, an L1 clock, and per-slot seeds and schedules.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::Eip712Domain;
use spn_bindings::{Rollup, Staking};
use spn_core::{Chain, ChainState};
use spn_protocol::{Clock, Header, Params, SlotSchedule};
use tokio::sync::broadcast;

pub use spn_core::chain::{L1Event, SlotCtx, StakerRecord};

use super::{Deployment, L1};
use crate::error::{Error, Result};

#[derive(Debug, Default)]
struct Head {
    number: u64,
    ts: u64,
    seen: Option<Instant>,
}

/// Shared, continuously updated view of the L1 state of one deployment.
#[derive(Debug)]
pub struct ChainView {
    l1: L1,
    deployment: Deployment,
    params: Params,
    clock: Clock,
    domain: Eip712Domain,
    head: Mutex<Head>,
    /// The events folded by the agent core's rules (shared with the simulator).
    state: Mutex<ChainState>,
    events: broadcast::Sender<L1Event>,
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
        let state = ChainState::new(
            params.clone(),
            clock,
            deployment.chain_id,
            deployment.rollup,
            deployment.staking,
        );
        let view = Arc::new(Self {
            domain: spn_protocol::eip712::domain(deployment.chain_id, deployment.rollup),
            l1,
            deployment,
            params,
            clock,
            head: Mutex::new(Head::default()),
            state: Mutex::new(state),
            events,
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
            let mut h = self.head.lock().unwrap();
            if head != h.number || h.seen.is_none() {
                h.number = head;
                h.ts = ts;
                h.seen = Some(Instant::now());
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
        let slot_now = self.current_slot();
        let event = self
            .state
            .lock()
            .unwrap()
            .apply_log(&log.inner, l1_block, tx, slot_now);
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
        let h = self.head.lock().unwrap();
        let elapsed = h.seen.map(|t| t.elapsed().as_secs_f64()).unwrap_or(0.0);
        h.ts as f64 + elapsed
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
        self.head.lock().unwrap().number
    }

    /// Whether the block is on the pending chain now.
    pub fn is_canonical(&self, hash: &B256) -> bool {
        self.header(hash)
            .is_some_and(|h| self.hash_of(h.number) == Some(*hash))
    }

    /// Every registered staker.
    pub fn stakers(&self) -> Vec<StakerRecord> {
        self.state.lock().unwrap().stakers().to_vec()
    }

    /// Reads the per-epoch values of `slot`'s epoch from L1 if the state lacks them, so the
    /// agent core can read the slot synchronously. Values of an epoch not yet started are not
    /// final and are never kept.
    pub async fn warm(&self, slot: u64) -> Result<()> {
        let epoch = self.clock.epoch_of(slot);
        if self.state.lock().unwrap().has_epoch(epoch) {
            return Ok(());
        }
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
        if epoch <= self.clock.epoch_of(self.current_slot()) {
            self.state
                .lock()
                .unwrap()
                .set_epoch(epoch, epoch_seed, to_u64(active));
        }
        Ok(())
    }

    /// Seed, N and active keys of `slot` (read from L1 if needed).
    pub async fn slot_ctx(&self, slot: u64) -> Result<Arc<SlotCtx>> {
        self.warm(slot).await?;
        self.state
            .lock()
            .unwrap()
            .slot_ctx_mut(slot)
            .ok_or_else(|| Error::Config(format!("slot {slot}: its epoch has not started")))
    }

    /// The work schedule of a block of `height` in `slot`.
    pub async fn schedule(&self, slot: u64, height: u8) -> Result<Arc<SlotSchedule>> {
        self.warm(slot).await?;
        self.state
            .lock()
            .unwrap()
            .schedule_mut(slot, height)
            .ok_or_else(|| Error::Config(format!("slot {slot}: no schedule of height {height}")))
    }
}

impl Chain for ChainView {
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
        self.state.lock().unwrap().slot_ctx_mut(slot)
    }
    fn schedule(&self, slot: u64, height: u8) -> Option<Arc<SlotSchedule>> {
        self.state.lock().unwrap().schedule_mut(slot, height)
    }
    fn tips(&self) -> (u64, u64) {
        self.state.lock().unwrap().tips()
    }
    fn hash_of(&self, number: u64) -> Option<B256> {
        self.state.lock().unwrap().hash_of(number)
    }
    fn header(&self, hash: &B256) -> Option<Header> {
        self.state.lock().unwrap().header(hash)
    }
    fn last_rollup_event_slot(&self) -> Option<u64> {
        self.state.lock().unwrap().last_rollup_event_slot()
    }
    fn staker(&self, key: Address) -> Option<StakerRecord> {
        self.state.lock().unwrap().staker(key)
    }
}

fn to_u64(x: U256) -> u64 {
    u64::try_from(x).unwrap_or(u64::MAX)
}
