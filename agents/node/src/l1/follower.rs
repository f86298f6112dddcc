//! Follows the Rollup and Staking events block by block and keeps what every agent needs: the
//! staker set, the pending and proven chain, an L1 clock, and per-slot seeds and schedules.
//!
//! Events are applied once their L1 block has `confirmations` blocks on top. The follower keeps
//! the hashes of the last processed blocks and checks each poll that the newest one is still
//! canonical: after a reorg it rebuilds the state from the canonical logs and tells the agents
//! what changed ([`spn_core::chain::reorg_events`]). A chain that lost the deployment (reset,
//! restarted, another chain behind the same URL) stops the follower: [`ChainView::failed`].

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use alloy::rpc::types::Log;
use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_sol_types::Eip712Domain;
use spn_bindings::{Rollup, Staking};
use spn_core::chain::TrainingWheel;
use spn_core::{Chain, ChainState};
use spn_protocol::{BlsPublicKey, Clock, Header, Params, SlotSchedule};
use tokio::sync::{broadcast, watch};

pub use spn_core::chain::{L1Event, SlotCtx, StakerRecord};

use super::{Deployment, L1};
use crate::error::{Error, Result};

/// Processed blocks whose hashes are kept to detect a reorg (one per poll that made progress).
const KEPT_BLOCKS: usize = 128;
/// How often the deployment block's hash and the Rollup's code are checked.
const RESET_CHECK: Duration = Duration::from_secs(10);
/// While L1 is unreachable, a warning at most this often.
const WARN_EVERY: Duration = Duration::from_secs(30);
/// Blocks per `eth_getLogs`.
const LOG_RANGE: u64 = 2_000;

#[derive(Debug, Default)]
struct Head {
    number: u64,
    ts: u64,
    seen: Option<Instant>,
}

/// What went wrong in one poll.
enum SyncError {
    /// An RPC failure: retried next poll.
    Rpc(Error),
    /// The deployment is gone from the chain: the follower stops.
    Reset(String),
}

impl From<Error> for SyncError {
    fn from(e: Error) -> Self {
        Self::Rpc(e)
    }
}

/// The follower task's own bookkeeping.
#[derive(Debug)]
struct Follow {
    /// Next L1 block to read.
    next: u64,
    /// `(number, hash)` of processed blocks, oldest first.
    recent: VecDeque<(u64, B256)>,
    /// `(L1 block, key)` of the logs applied in the blocks of `recent` (to tell a reorg's new
    /// events from the ones the agents already have).
    applied: VecDeque<(u64, B256)>,
    /// Hash of the deployment block when the follower started.
    deployment_hash: B256,
    last_reset_check: Instant,
}

/// Shared, continuously updated view of the L1 state of one deployment.
#[derive(Debug)]
pub struct ChainView {
    l1: L1,
    deployment: Deployment,
    deployment_file: OnceLock<PathBuf>,
    params: Params,
    clock: Clock,
    domain: Eip712Domain,
    confirmations: u64,
    /// The Rollup's training wheel, read once at start (immutables).
    wheel: Option<TrainingWheel>,
    head: Mutex<Head>,
    /// The events folded by the agent core's rules (shared with the simulator).
    state: Mutex<ChainState>,
    events: broadcast::Sender<L1Event>,
    reorgs: AtomicU64,
    failure: watch::Sender<Option<String>>,
}

impl ChainView {
    /// Reads every event since the deployment block, then follows new blocks every `poll`,
    /// applying the events of a block once `confirmations` blocks are on top of it.
    /// The follower task stops when the returned view is dropped by everyone else, or when the
    /// chain lost the deployment ([`Self::failed`]).
    pub async fn start(
        l1: L1,
        deployment: Deployment,
        params: Params,
        genesis_time: u64,
        poll: Duration,
        confirmations: u64,
    ) -> Result<Arc<Self>> {
        let clock = Clock::from_params(genesis_time, &params)?;
        let (events, _) = broadcast::channel(16_384);
        let (failure, _) = watch::channel(None);
        let wheel = l1.training_wheel(&deployment).await?;
        let view = Arc::new(Self {
            domain: spn_protocol::eip712::domain(deployment.chain_id, deployment.rollup),
            state: Mutex::new(Self::empty_state(&params, clock, &deployment, wheel)),
            wheel,
            l1,
            deployment,
            deployment_file: OnceLock::new(),
            params,
            clock,
            confirmations,
            head: Mutex::new(Head::default()),
            events,
            reorgs: AtomicU64::new(0),
            failure,
        });
        let b = view.deployment.deployment_block;
        let deployment_hash = view.l1.block_hash(b).await?.ok_or_else(|| {
            Error::Config(view.reset_reason(format!("the chain has no block {b} yet")))
        })?;
        let mut f = Follow {
            next: b,
            recent: VecDeque::new(),
            applied: VecDeque::new(),
            deployment_hash,
            last_reset_check: Instant::now(),
        };
        match view.sync(&mut f).await {
            Ok(()) => {}
            Err(SyncError::Rpc(e)) => return Err(e),
            Err(SyncError::Reset(r)) => return Err(Error::Config(r)),
        }
        let weak = Arc::downgrade(&view);
        tokio::spawn(async move {
            let mut down: Option<Outage> = None;
            loop {
                tokio::time::sleep(poll).await;
                let Some(v) = weak.upgrade() else { break };
                match v.sync(&mut f).await {
                    Ok(()) => {
                        if let Some(o) = down.take() {
                            tracing::info!(target: "spn::l1", "L1 reachable again after {:.0} s ({} failed polls)", o.since.elapsed().as_secs_f64(), o.failures);
                        }
                    }
                    Err(SyncError::Rpc(e)) => match &mut down {
                        None => {
                            tracing::warn!(target: "spn::l1", "following L1 failed: {e} (retrying every {poll:?}; next warning in 30 s if it persists)");
                            down = Some(Outage {
                                since: Instant::now(),
                                warned: Instant::now(),
                                failures: 1,
                            });
                        }
                        Some(o) => {
                            o.failures += 1;
                            if o.warned.elapsed() >= WARN_EVERY {
                                o.warned = Instant::now();
                                tracing::warn!(target: "spn::l1", "following L1 still fails after {:.0} s ({} failed polls): {e}", o.since.elapsed().as_secs_f64(), o.failures);
                            }
                        }
                    },
                    Err(SyncError::Reset(reason)) => {
                        tracing::error!(target: "spn::l1", "{reason}");
                        v.failure.send_replace(Some(reason));
                        break;
                    }
                }
            }
        });
        Ok(view)
    }

    fn empty_state(
        params: &Params,
        clock: Clock,
        d: &Deployment,
        wheel: Option<TrainingWheel>,
    ) -> ChainState {
        let mut s = ChainState::new(params.clone(), clock, d.chain_id, d.rollup, d.staking);
        s.set_training_wheel(wheel);
        s
    }

    /// Names the deployment file in the messages of a chain reset.
    pub fn set_deployment_file(&self, path: PathBuf) {
        let _ = self.deployment_file.set(path);
    }

    /// Reorgs followed so far.
    pub fn reorgs(&self) -> u64 {
        self.reorgs.load(Ordering::Relaxed)
    }

    /// Why the follower stopped (the chain lost the deployment), if it did.
    pub fn failure(&self) -> Option<String> {
        self.failure.borrow().clone()
    }

    /// Waits until the follower stops because the chain lost the deployment; the reason.
    pub async fn failed(&self) -> String {
        let mut rx = self.failure.subscribe();
        loop {
            if let Some(r) = rx.borrow_and_update().clone() {
                return r;
            }
            if rx.changed().await.is_err() {
                // The sender lives in `self`: unreachable while `self` is borrowed.
                std::future::pending::<()>().await;
            }
        }
    }

    fn reset_reason(&self, what: String) -> String {
        let d = &self.deployment;
        let file = match self.deployment_file.get() {
            Some(p) => format!("deployment file {}", p.display()),
            None => "the deployment".to_string(),
        };
        format!(
            "L1 chain reset: {what}; {file} (Rollup {}, block {}) is not on the chain of the RPC {} any more (redeploy, or point to the right RPC)",
            d.rollup,
            d.deployment_block,
            self.l1.url()
        )
    }

    /// Whether the chain still holds the deployment: the deployment block's hash and the
    /// Rollup's code.
    async fn check_reset(&self, f: &mut Follow) -> std::result::Result<(), SyncError> {
        f.last_reset_check = Instant::now();
        let b = self.deployment.deployment_block;
        match self.l1.block_hash(b).await? {
            None => {
                return Err(SyncError::Reset(self.reset_reason(format!(
                    "the head is below the deployment block {b}"
                ))))
            }
            Some(h) if h != f.deployment_hash => {
                return Err(SyncError::Reset(self.reset_reason(format!(
                    "block {b} now has hash {h} (was {})",
                    f.deployment_hash
                ))))
            }
            Some(_) => {}
        }
        if !self.l1.has_code(self.deployment.rollup).await? {
            return Err(SyncError::Reset(
                self.reset_reason("no code at the Rollup address".into()),
            ));
        }
        Ok(())
    }

    /// One poll: the head, the continuity of what was processed (a reorg is rolled back), then
    /// the events of the blocks with enough confirmations.
    async fn sync(&self, f: &mut Follow) -> std::result::Result<(), SyncError> {
        let (head, ts, head_hash) = self.l1.head_block().await?;
        {
            // The clock never goes back: after a reorg the head may be an older block.
            let mut h = self.head.lock().unwrap();
            if h.seen.is_none() || ts > h.ts {
                h.ts = ts;
                h.seen = Some(Instant::now());
            }
            h.number = head;
        }
        let hash_at = |n: u64| async move {
            if n == head {
                Ok(Some(head_hash))
            } else {
                self.l1.block_hash(n).await
            }
        };
        let behind = f.recent.back().is_some_and(|&(n, _)| n > head);
        if head < self.deployment.deployment_block
            || behind
            || f.last_reset_check.elapsed() >= RESET_CHECK
        {
            self.check_reset(f).await?;
        }
        if let Some(&(n, h)) = f.recent.back() {
            if hash_at(n).await? != Some(h) {
                self.check_reset(f).await?;
                return self.roll_back(f, head).await;
            }
        }
        let target = head.saturating_sub(self.confirmations);
        if target < f.next {
            return Ok(());
        }
        let Some(before) = hash_at(target).await? else {
            return Ok(());
        };
        let logs = self.read_logs(f.next, target).await?;
        // The range must be one chain: the target unchanged while the logs were read, and the
        // last processed block still its ancestor (else the next poll rolls back).
        if self.l1.block_hash(target).await? != Some(before) {
            return Ok(());
        }
        if let Some(&(n, h)) = f.recent.back() {
            if self.l1.block_hash(n).await? != Some(h) {
                return Ok(());
            }
        }
        let slot_now = self.current_slot();
        let mut out = Vec::new();
        {
            let mut state = self.state.lock().unwrap();
            for log in &logs {
                let (block, tx) = position(log);
                f.applied.push_back((block, log_key(log)));
                out.extend(state.apply_log(&log.inner, block, tx, slot_now));
            }
        }
        for e in out {
            let _ = self.events.send(e);
        }
        f.recent.push_back((target, before));
        while f.recent.len() > KEPT_BLOCKS {
            f.recent.pop_front();
        }
        let oldest = f.recent.front().map_or(0, |r| r.0);
        while f.applied.front().is_some_and(|a| a.0 <= oldest) {
            f.applied.pop_front();
        }
        f.next = target + 1;
        Ok(())
    }

    /// Logs of the Rollup and Staking in `from..=to`, in ranges of [`LOG_RANGE`] blocks.
    async fn read_logs(&self, from: u64, to: u64) -> Result<Vec<Log>> {
        let mut logs = Vec::new();
        let mut start = from;
        while start <= to {
            let end = to.min(start.saturating_add(LOG_RANGE - 1));
            logs.extend(
                self.l1
                    .logs(
                        vec![self.deployment.rollup, self.deployment.staking],
                        start,
                        end,
                    )
                    .await?,
            );
            start = end + 1;
        }
        Ok(logs)
    }

    /// A processed block is no longer canonical: finds the newest kept block that still is,
    /// rebuilds the state from the canonical logs and tells the agents what changed.
    async fn roll_back(&self, f: &mut Follow, head: u64) -> std::result::Result<(), SyncError> {
        let Some(&(tip, tip_hash)) = f.recent.back() else {
            return Ok(());
        };
        let mut fork = None;
        for &(n, h) in f.recent.iter().rev().skip(1) {
            if n <= head && self.l1.block_hash(n).await? == Some(h) {
                fork = Some(n);
                break;
            }
        }
        let b = self.deployment.deployment_block;
        // Past every kept block: from the deployment (whose hash check_reset just confirmed).
        let fork = fork.unwrap_or(b.saturating_sub(1));
        let now_at_tip = self.l1.block_hash(tip).await?;
        let target = head.saturating_sub(self.confirmations).max(fork);
        let Some(target_hash) = self.l1.block_hash(target).await? else {
            return Ok(());
        };
        let logs = self.read_logs(b, target).await?;
        if self.l1.block_hash(target).await? != Some(target_hash) {
            return Ok(()); // reorganised again while reading: next poll
        }
        // What the agents already have: the logs applied above the fork.
        let mut known: HashMap<B256, u32> = HashMap::new();
        for &(block, key) in &f.applied {
            if block > fork {
                *known.entry(key).or_default() += 1;
            }
        }
        let mut state = Self::empty_state(&self.params, self.clock, &self.deployment, self.wheel);
        let slot_now = self.current_slot();
        let mut proposals = BTreeMap::new();
        let mut fresh = Vec::new();
        let mut applied = VecDeque::new();
        for log in &logs {
            let (block, tx) = position(log);
            let key = log_key(log);
            let Some(ev) = state.apply_log(&log.inner, block, tx, slot_now) else {
                continue;
            };
            if let L1Event::Proposed { header, .. } = &ev {
                proposals.insert(header.number, ev.clone());
            }
            if block > fork {
                applied.push_back((block, key));
                match known.get_mut(&key) {
                    Some(c) if *c > 0 => *c -= 1,
                    _ => fresh.push(ev),
                }
            }
        }
        let delivered: HashSet<B256> = fresh
            .iter()
            .filter_map(|e| match e {
                L1Event::Proposed { hash, .. } => Some(*hash),
                _ => None,
            })
            .collect();
        let told = {
            let mut cur = self.state.lock().unwrap();
            let told = spn_core::chain::reorg_events(&cur, &state, &proposals, &delivered);
            *cur = state;
            told
        };
        let depth = tip.saturating_sub(fork);
        self.reorgs.fetch_add(1, Ordering::Relaxed);
        let now_at_tip = now_at_tip.map_or("none".to_string(), |h| h.to_string());
        tracing::warn!(target: "spn::l1", "L1 reorg of depth {depth}: block {tip} was {tip_hash}, now {now_at_tip}; state rebuilt from the canonical logs up to block {target} ({} new events, {} for the agents to forget or redo)", fresh.len(), told.len());
        for e in told.into_iter().chain(fresh) {
            let _ = self.events.send(e);
        }
        f.recent.retain(|&(n, _)| n <= fork);
        f.recent.push_back((target, target_hash));
        f.applied.retain(|&(n, _)| n <= fork);
        f.applied.extend(applied);
        f.next = target + 1;
        Ok(())
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
    fn training_wheel(&self) -> Option<TrainingWheel> {
        self.wheel
    }
    fn bls_key(&self, key: Address) -> Option<BlsPublicKey> {
        self.state.lock().unwrap().bls_key(key)
    }
    fn pre_state_root(&self, number: u64) -> Option<B256> {
        self.state.lock().unwrap().pre_state_root(number)
    }
}

fn to_u64(x: U256) -> u64 {
    u64::try_from(x).unwrap_or(u64::MAX)
}

/// L1 block and transaction of a log.
fn position(log: &Log) -> (u64, B256) {
    (
        log.block_number.unwrap_or_default(),
        log.transaction_hash.unwrap_or_default(),
    )
}

/// Identity of a log across a reorg: the same transaction emitting the same event (its block
/// may differ).
fn log_key(log: &Log) -> B256 {
    let mut b = Vec::with_capacity(64 + log.inner.data.data.len());
    b.extend_from_slice(log.transaction_hash.unwrap_or_default().as_slice());
    b.extend_from_slice(log.inner.address.as_slice());
    for t in log.inner.data.topics() {
        b.extend_from_slice(t.as_slice());
    }
    b.extend_from_slice(&log.inner.data.data);
    keccak256(b)
}

/// An unreachable L1, for the follower's rate-limited warnings.
struct Outage {
    since: Instant,
    warned: Instant,
    failures: u64,
}
