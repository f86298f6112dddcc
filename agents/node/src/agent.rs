//! A staker's agent: sequencer and prover of one staking key (the `node` of the seed).
//!
//! Sequencer: in each slot where the key is sequencer-eligible it builds a block from the pool,
//! announces it, serves its body, collects attestations and proposes with at least M of them;
//! for its L1 block it proves the root job, and the jobs nobody can fill, and from
//! `slot + proofWindow/2` every job still missing (unpaid fallback).
//! Prover: attests to bodies it fetched and checked; for every L1 block whose committee it is in
//! it proves its own jobs as soon as their inputs are published, fills neighbourhood jobs whose
//! owners are missing (after `fillDelay`, in score order), publishes signed results, and claims
//! its rewards in batches from the staking key.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::{Eip712Domain, SolCall};
use spn_bindings::rollup::IRollup;
use spn_bindings::Rollup;
use spn_protocol::{
    eip712, rewards, schedule, selection, transcript, tree::BlockTree, CompactSignature, Header,
    SlotSchedule, StakingKey, Transcript,
};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::cost::CostModel;
use crate::l1::{ChainView, L1Event, Sender};
use crate::metrics::{Faults, Metrics};
use crate::net::messages::{self, AttestationMsg, JobResultMsg, ProposalMsg};
use crate::net::{Inbound, Network, Topic};
use crate::pool::TxPool;
use crate::work::{check_job_result, children};

/// What a staker agent does.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Propose blocks when sequencer-eligible.
    pub sequencer: bool,
    /// Attest and prove when on a committee.
    pub prover: bool,
    /// How long a sequencer waits for attestations after announcing.
    pub attest_wait: Duration,
    /// Claim once this many proven blocks owe the key a share.
    pub claim_batch: usize,
    /// Fixed tree height instead of the policy of §8.7.
    pub height: Option<u8>,
    /// The simulated proving cost.
    pub cost: CostModel,
}

impl Default for AgentConfig {
    fn default() -> Self {
        Self {
            sequencer: true,
            prover: true,
            attest_wait: Duration::from_millis(2_500),
            claim_batch: 4,
            height: None,
            cost: CostModel::default(),
        }
    }
}

/// Commands from the process running the agent.
#[derive(Debug)]
pub enum Command {
    /// Once the agent has seen block `upto` proven, claim every outstanding share; answers with
    /// the amount claimed.
    ClaimNow(u64, oneshot::Sender<U256>),
}

#[derive(Debug)]
enum Internal {
    TryPropose(u64),
    AttestDeadline(B256),
    Proposed(B256, Result<u64, String>),
    Body {
        hash: B256,
        header: Header,
        txs: Result<Vec<Bytes>, String>,
    },
    FillCheck(B256, u32),
    ProveDone(B256, u32),
    Fallback(B256),
    /// The children of job `.1` are late: request them (`job-results/1`).
    ChildrenLate(B256, u32),
    /// Results received by request; `then_fallback` when requested before the fallback.
    Results {
        hash: B256,
        payloads: Result<Vec<Bytes>, String>,
        then_fallback: bool,
    },
    Claimable(Option<IRollup::ClaimItem>),
    Claimed(Result<U256, String>),
}

#[derive(Debug)]
struct MyProposal {
    header: Header,
    txs: Arc<Vec<Bytes>>,
    attestations: BTreeMap<Address, CompactSignature>,
    committee: usize,
    quorum: usize,
    sent: bool,
}

#[derive(Debug)]
struct Work {
    header: Header,
    sched: Arc<SlotSchedule>,
    my_score: U256,
    in_committee: bool,
    proposer: bool,
    outputs: Option<Vec<B256>>,
    /// Jobs with a valid published result (anyone's, including ours).
    done: HashSet<u32>,
    /// Jobs we started (or scheduled a fill check for).
    started: HashSet<u32>,
    fallback: bool,
    body_tries: u32,
    /// Jobs whose late children were requested, with the number of requests.
    children_asked: HashMap<u32, u32>,
    /// Whether missing results were requested before the fallback.
    fallback_asked: bool,
}

/// One staker's agent.
pub struct StakerAgent {
    view: Arc<ChainView>,
    domain: Eip712Domain,
    key: StakingKey,
    me: Address,
    withdrawer: Address,
    sender: Arc<Sender>,
    net: Arc<dyn Network>,
    inbox: mpsc::UnboundedReceiver<Inbound>,
    events: broadcast::Receiver<L1Event>,
    commands: mpsc::UnboundedReceiver<Command>,
    cfg: AgentConfig,
    pool: Option<Arc<TxPool>>,
    metrics: Arc<Metrics>,
    faults: Arc<Faults>,
    tx: mpsc::UnboundedSender<Internal>,
    rx: mpsc::UnboundedReceiver<Internal>,
    last_slot: Option<u64>,
    proposals: HashMap<B256, MyProposal>,
    best_seen: HashMap<u64, U256>,
    attested: HashMap<u64, U256>,
    bodies: HashMap<B256, Arc<Vec<Bytes>>>,
    announced: HashMap<B256, Header>,
    /// Peer that gossiped each proposal (asked first for the body).
    announcer: HashMap<B256, String>,
    blocks: HashMap<B256, Work>,
    held: Vec<(Instant, JobResultMsg)>,
    unclaimed: Vec<IRollup::ClaimItem>,
    claiming: bool,
    claim_waiters: Vec<oneshot::Sender<U256>>,
    claim_upto: Option<u64>,
    claim_paid: U256,
    preparing: usize,
    proven_seen: u64,
}

/// Handle to a running agent.
#[derive(Debug, Clone)]
pub struct AgentHandle {
    /// The staking key.
    pub address: Address,
    commands: mpsc::UnboundedSender<Command>,
}

impl AgentHandle {
    /// Claims every outstanding share once block `upto` is seen proven; returns the amount paid.
    pub async fn claim_now(&self, upto: u64) -> U256 {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::ClaimNow(upto, tx)).is_err() {
            return U256::ZERO;
        }
        rx.await.unwrap_or_default()
    }
}

/// Everything an agent is built from.
pub struct AgentParts {
    /// L1 view.
    pub view: Arc<ChainView>,
    /// The staking key.
    pub key: StakingKey,
    /// Transaction sender of the staking key.
    pub sender: Arc<Sender>,
    /// Network handle.
    pub net: Arc<dyn Network>,
    /// Its inbox.
    pub inbox: mpsc::UnboundedReceiver<Inbound>,
    /// Configuration.
    pub cfg: AgentConfig,
    /// Transaction pool (sequencers).
    pub pool: Option<Arc<TxPool>>,
    /// Shared metrics.
    pub metrics: Arc<Metrics>,
    /// Fault injection.
    pub faults: Arc<Faults>,
}

impl StakerAgent {
    /// Starts the agent; it runs until the process ends.
    pub fn spawn(p: AgentParts) -> AgentHandle {
        let me = p.key.address();
        let d = p.view.deployment();
        let domain = eip712::domain(d.chain_id, d.rollup);
        let withdrawer = p.view.staker(me).map(|s| s.withdrawer).unwrap_or(me);
        let (ctx, crx) = mpsc::unbounded_channel();
        let (tx, rx) = mpsc::unbounded_channel();
        let agent = Self {
            events: p.view.subscribe(),
            view: p.view,
            domain,
            key: p.key,
            me,
            withdrawer,
            sender: p.sender,
            net: p.net,
            inbox: p.inbox,
            commands: crx,
            cfg: p.cfg,
            pool: p.pool,
            metrics: p.metrics,
            faults: p.faults,
            tx,
            rx,
            last_slot: None,
            proposals: HashMap::new(),
            best_seen: HashMap::new(),
            attested: HashMap::new(),
            bodies: HashMap::new(),
            announced: HashMap::new(),
            announcer: HashMap::new(),
            blocks: HashMap::new(),
            held: Vec::new(),
            unclaimed: Vec::new(),
            claiming: false,
            claim_waiters: Vec::new(),
            claim_upto: None,
            claim_paid: U256::ZERO,
            preparing: 0,
            proven_seen: 0,
        };
        tokio::spawn(agent.run());
        AgentHandle {
            address: me,
            commands: ctx,
        }
    }

    fn short(&self) -> String {
        short(self.me)
    }

    async fn run(mut self) {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut commands_closed = false;
        loop {
            tokio::select! {
                _ = tick.tick() => self.on_tick().await,
                ev = self.events.recv() => match ev {
                    Ok(ev) => self.on_l1(ev).await,
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(target: "spn::agent", agent = %self.short(), "missed {n} L1 events");
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                Some(m) = self.inbox.recv() => self.on_message(m).await,
                Some(i) = self.rx.recv() => self.on_internal(i).await,
                cmd = self.commands.recv(), if !commands_closed => match cmd {
                    Some(Command::ClaimNow(upto, reply)) => {
                        self.claim_waiters.push(reply);
                        self.claim_upto = Some(self.claim_upto.unwrap_or(0).max(upto));
                        self.check_claim_request();
                    }
                    // Nobody holds the handle (a standalone node): keep running.
                    None => commands_closed = true,
                },
            }
        }
    }

    fn after(&self, delay: Duration, msg: Internal) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let _ = tx.send(msg);
        });
    }

    // ------------------------------------------------------------------ slots (sequencer)

    async fn on_tick(&mut self) {
        let slot = self.view.current_slot();
        if self.last_slot == Some(slot) {
            return;
        }
        self.last_slot = Some(slot);
        let horizon = slot.saturating_sub(16);
        self.best_seen.retain(|&s, _| s >= horizon);
        self.attested.retain(|&s, _| s >= horizon);
        self.held
            .retain(|(t, _)| t.elapsed() < Duration::from_secs(12));
        if !self.cfg.sequencer || self.faults.halted() {
            return;
        }
        let p = self.view.params().clone();
        let sched = match self.view.schedule(slot, p.min_height).await {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!(target: "spn::sequencer", "slot {slot}: {e}");
                return;
            }
        };
        let Some(rank) = sched.sequencers().iter().position(|m| m.address == self.me) else {
            return;
        };
        // Wait until the L1 clock is safely inside the slot; lower-ranked sequencers wait longer
        // and only propose if no better proposal was announced (§3.4, highest score wins).
        let into = self.view.into_slot(slot);
        let wait = (0.4 - into).max(0.0) + rank as f64 * 1.0;
        self.after(Duration::from_secs_f64(wait), Internal::TryPropose(slot));
    }

    async fn try_propose(&mut self, slot: u64) {
        if self.view.current_slot() != slot {
            return;
        }
        let p = self.view.params().clone();
        let ctx = match self.view.slot_ctx(slot).await {
            Ok(c) => c,
            Err(_) => return,
        };
        let my_score = selection::score(self.me, ctx.seed);
        if self.best_seen.get(&slot).is_some_and(|&s| s > my_score) {
            tracing::debug!(target: "spn::sequencer", agent = %self.short(), "slot {slot}: a better proposal exists");
            return;
        }
        // Number and parent from L1 itself (the Rollup derives them the same way).
        let r = self.view.deployment().rollup;
        let l1 = self.sender.l1();
        let tips = match l1.view(r, Rollup::chainCall {}).await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(target: "spn::sequencer", "slot {slot}: {e}");
                return;
            }
        };
        let (pending, proven) = (tips.pendingTip, tips.provenTip);
        let tip = match l1
            .view(
                r,
                Rollup::getBlockCall {
                    number: U256::from(pending),
                },
            )
            .await
        {
            Ok(b) => b,
            Err(_) => return,
        };
        let number = if pending > proven && tip.slot == slot {
            pending
        } else {
            pending + 1
        };
        let parent = match l1
            .view(
                r,
                Rollup::blockHashOfCall {
                    number: U256::from(number - 1),
                },
            )
            .await
        {
            Ok(h) => h,
            Err(_) => return,
        };

        // Height: the smallest tree holding the pool, at most m + floor(log2(N / 2R)) (§8.7).
        // The policy lives in spn_protocol::schedule, shared with the capacity model (`spn model`).
        let cap = schedule::policy_cap(&p, ctx.active_count);
        let fixed = self.cfg.height.map(|h| h.clamp(p.min_height, p.max_height));
        let txs = self
            .pool
            .as_ref()
            .map(|pool| pool.take(1usize << fixed.unwrap_or(cap)))
            .unwrap_or_default();
        let height = fixed.unwrap_or_else(|| {
            schedule::leaves_height(txs.len() as u64).clamp(p.min_height, cap.max(p.min_height))
        });
        let tree = match BlockTree::from_transactions(u32::from(height), &txs) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(target: "spn::sequencer", "slot {slot}: {e}");
                return;
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
        if self.faults.take_withhold() {
            tracing::warn!(target: "spn::sequencer", agent = %self.short(), "slot {slot}: fault injection: withholding the body of block {number} ({})", short_hash(hash));
            self.metrics.withheld(hash, slot);
        } else {
            self.net.serve_body(hash, body.clone());
        }
        self.bodies.insert(hash, body.clone());
        let sig = self
            .key
            .sign_digest(messages::proposal_digest(&self.domain, slot, hash));
        self.net.publish(
            Topic::Proposal,
            ProposalMsg {
                header: header.clone(),
                sig,
            }
            .encode(),
        );
        self.best_seen.insert(slot, my_score);
        let sched = match self.view.schedule(slot, height).await {
            Ok(s) => s,
            Err(_) => return,
        };
        tracing::info!(target: "spn::sequencer", agent = %self.short(),
            "slot {slot}: announced block {number} ({}) n={height} txs={} attesters={}",
            short_hash(hash), body.len(), sched.attesters().len());
        self.proposals.insert(
            hash,
            MyProposal {
                header,
                txs: body.clone(),
                attestations: BTreeMap::new(),
                committee: sched.attesters().len(),
                quorum: p.attestation_quorum as usize,
                sent: false,
            },
        );
        let deadline = (self.cfg.attest_wait.as_secs_f64()).max(0.5);
        self.after(
            Duration::from_secs_f64(deadline),
            Internal::AttestDeadline(hash),
        );
    }

    fn maybe_propose(&mut self, hash: B256, deadline: bool) {
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
        let slot = prop.header.slot;
        if got < prop.quorum {
            prop.sent = true;
            tracing::warn!(target: "spn::sequencer", agent = %short(self.me),
                "slot {slot}: no quorum for block {} ({got} of {} attestations, {} needed); not proposing",
                short_hash(hash), prop.committee, prop.quorum);
            self.metrics.no_quorum();
            // The transactions go back to the pool for the next block.
            if let Some(pool) = &self.pool {
                pool.requeue(prop.txs.as_ref().clone());
            }
            return;
        }
        if self.view.current_slot() != slot {
            prop.sent = true;
            return;
        }
        prop.sent = true;
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
        let sender = self.sender.clone();
        let rollup = self.view.deployment().rollup;
        let tx = self.tx.clone();
        let metrics = self.metrics.clone();
        metrics.proposal_sent();
        tokio::spawn(async move {
            let r = sender.send("propose", rollup, &call, Some(2_000_000)).await;
            let r = r
                .map(|o| {
                    metrics.gas("propose", o.gas_used);
                    o.gas_used
                })
                .map_err(|e| e.to_string());
            let _ = tx.send(Internal::Proposed(hash, r));
        });
    }

    // ------------------------------------------------------------------ messages

    fn reject(&self, m: &Inbound, reason: &str) {
        self.metrics.rejected();
        tracing::warn!(target: "spn::net", agent = %self.short(), peer = %m.peer, kind = m.topic.name(), "dropped message: {reason}");
    }

    async fn on_message(&mut self, m: Inbound) {
        match m.topic {
            Topic::Proposal => match ProposalMsg::decode(&m.payload, &self.domain) {
                Ok(p) => {
                    if self.announcer.len() > 256 {
                        self.announcer.clear();
                    }
                    self.announcer.insert(p.header.hash(), m.peer.clone());
                    if let Err(reason) = self.on_proposal(p).await {
                        self.reject(&m, &reason);
                    }
                }
                Err(reason) => self.reject(&m, &reason),
            },
            Topic::Attestation => match AttestationMsg::decode(&m.payload, &self.domain) {
                Ok(a) => {
                    if let Err(reason) = self.on_attestation(a).await {
                        self.reject(&m, &reason);
                    }
                }
                Err(reason) => self.reject(&m, &reason),
            },
            Topic::JobResult => match JobResultMsg::decode(&m.payload, &self.domain) {
                Ok(r) => {
                    if let Err(reason) = self.on_result(r).await {
                        self.reject(&m, &reason);
                    }
                }
                Err(reason) => self.reject(&m, &reason),
            },
        }
    }

    async fn on_proposal(&mut self, p: ProposalMsg) -> Result<(), String> {
        let h = &p.header;
        let params = self.view.params().clone();
        let current = self.view.current_slot();
        // Local checks first: an absurd slot (u64::MAX) must neither overflow nor cost an L1 call.
        messages::check_slot_window(h.slot, current)?;
        if h.height < params.min_height || h.height > params.max_height {
            return Err(format!("height {} out of range", h.height));
        }
        let ctx = self
            .view
            .slot_ctx(h.slot)
            .await
            .map_err(|e| e.to_string())?;
        if !ctx.stakers.contains(&h.proposer) {
            return Err(format!("proposer {} not active", h.proposer));
        }
        let score = selection::score(h.proposer, ctx.seed);
        if !selection::is_sequencer(
            score,
            U256::from(params.sequencer_target),
            U256::from(ctx.active_count),
        ) {
            return Err(format!("proposer {} not sequencer-eligible", h.proposer));
        }
        let (pending, proven) = self.view.tips();
        let consistent = (pending.checked_add(1) == Some(h.number)
            && self.view.hash_of(pending) == Some(h.parentHash))
            || (h.number == pending
                && pending > proven
                && pending.checked_sub(1).and_then(|n| self.view.hash_of(n)) == Some(h.parentHash));
        if !consistent {
            // The L1 view may lag by a block; accept, the attestation only counts on L1 if it matches.
            tracing::debug!(target: "spn::net", "proposal {} does not extend the followed tip {pending}", h.number);
        }
        let best = self.best_seen.entry(h.slot).or_insert(U256::ZERO);
        *best = (*best).max(score);
        if !self.cfg.prover || h.slot != current {
            return Ok(());
        }
        let my_score = selection::score(self.me, ctx.seed);
        if !selection::in_attestation_committee(my_score, &params, ctx.active_count) {
            return Ok(());
        }
        if self.attested.get(&h.slot).is_some_and(|&s| s >= score) {
            return Ok(());
        }
        let hash = h.hash();
        self.announced.insert(hash, h.clone());
        self.fetch_body(hash, h.clone(), Duration::ZERO);
        Ok(())
    }

    fn fetch_body(&self, hash: B256, header: Header, delay: Duration) {
        let net = self.net.clone();
        let hint = self.announcer.get(&hash).cloned();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let txs = net.fetch_body(hash, hint).await.map_err(|e| e.to_string());
            let _ = tx.send(Internal::Body { hash, header, txs });
        });
    }

    async fn on_body(&mut self, hash: B256, header: Header, txs: Result<Vec<Bytes>, String>) {
        let txs = match txs {
            Ok(t) => t,
            Err(e) => {
                tracing::info!(target: "spn::prover", agent = %self.short(), "block {} body unavailable: {e}", short_hash(hash));
                if let Some(w) = self.blocks.get_mut(&hash) {
                    w.body_tries += 1;
                    if w.body_tries < 20 {
                        self.fetch_body(hash, header, Duration::from_millis(500));
                    }
                }
                return;
            }
        };
        let max_height = self.view.params().max_height;
        let tree = match messages::check_body(&txs, header.height, max_height, header.txRoot) {
            Ok(t) => t,
            Err(reason) => {
                self.metrics.rejected();
                tracing::warn!(target: "spn::net", agent = %self.short(), kind = "block-body", "dropped body of {}: {reason}", short_hash(hash));
                return;
            }
        };
        let body = Arc::new(txs);
        self.bodies.insert(hash, body.clone());
        // Attesters serve the body on request until the block is proven or pruned (§15.3).
        self.net.serve_body(hash, body);
        if self.announced.remove(&hash).is_some() {
            self.attest(&header, hash).await;
        }
        if let Some(w) = self.blocks.get_mut(&hash) {
            if w.outputs.is_none() {
                w.outputs = tree.job_outputs(w.sched.schedule()).ok();
            }
            self.pump(hash);
        }
    }

    async fn attest(&mut self, h: &Header, hash: B256) {
        if self.view.current_slot() != h.slot {
            return;
        }
        let Ok(ctx) = self.view.slot_ctx(h.slot).await else {
            return;
        };
        let score = selection::score(h.proposer, ctx.seed);
        if self.attested.get(&h.slot).is_some_and(|&s| s >= score) {
            return;
        }
        self.attested.insert(h.slot, score);
        let sig = self.key.sign_attestation(&self.domain, h.slot, hash);
        let msg = AttestationMsg {
            slot: h.slot,
            block_hash: hash,
            sig,
            signer: self.me,
        };
        tracing::debug!(target: "spn::prover", agent = %self.short(), "attested block {} of slot {}", short_hash(hash), h.slot);
        self.net.publish(Topic::Attestation, msg.encode());
    }

    async fn on_attestation(&mut self, a: AttestationMsg) -> Result<(), String> {
        // Cheap local checks before any L1 call (§15.2): the slot against the local clock, then
        // the block, which must be one of this agent's own proposals (nobody else uses it).
        messages::check_slot_window(a.slot, self.view.current_slot())?;
        match self.proposals.get(&a.block_hash) {
            None => return Ok(()),
            Some(p) if p.header.slot != a.slot => return Err("attestation for another slot".into()),
            Some(_) => {}
        }
        let params = self.view.params().clone();
        let ctx = self
            .view
            .slot_ctx(a.slot)
            .await
            .map_err(|e| e.to_string())?;
        if !ctx.stakers.contains(&a.signer) {
            return Err(format!("attester {} not active", a.signer));
        }
        let score = selection::score(a.signer, ctx.seed);
        if !selection::in_attestation_committee(score, &params, ctx.active_count) {
            return Err(format!(
                "{} not in the attestation committee of slot {}",
                a.signer, a.slot
            ));
        }
        if let Some(p) = self.proposals.get_mut(&a.block_hash) {
            p.attestations.insert(a.signer, a.sig);
            self.maybe_propose(a.block_hash, false);
        }
        Ok(())
    }

    async fn on_result(&mut self, r: JobResultMsg) -> Result<(), String> {
        if self.view.header(&r.block_hash).is_none() {
            // Block not seen on L1 yet: hold briefly (§15.2).
            if self.held.len() < 4096 {
                self.held.push((Instant::now(), r));
            }
            return Ok(());
        }
        let outputs = self
            .blocks
            .get(&r.block_hash)
            .and_then(|w| w.outputs.clone());
        let c = check_job_result(&self.view, &r, outputs.as_deref()).await?;
        // Served to `job-results/1` requests of peers that missed it.
        self.net.serve_result(r.block_hash, r.job, r.encode());
        if let Some(w) = self.blocks.get_mut(&r.block_hash) {
            if w.done.insert(c.job) {
                self.pump(r.block_hash);
            }
        }
        Ok(())
    }

    // ------------------------------------------------------------------ L1 events

    async fn on_l1(&mut self, ev: L1Event) {
        match ev {
            L1Event::Proposed { header, hash, .. } => self.on_proposed(header, hash).await,
            L1Event::Replaced { old, .. } => {
                self.blocks.remove(&old);
            }
            L1Event::Pruned { from, .. } => {
                let dropped: Vec<B256> = self
                    .blocks
                    .iter()
                    .filter(|(_, w)| w.header.number >= from)
                    .map(|(h, _)| *h)
                    .collect();
                for h in &dropped {
                    self.blocks.remove(h);
                    self.bodies.remove(h);
                }
                self.net.forget_bodies(&dropped);
            }
            L1Event::Proven {
                hash,
                number,
                tx,
                rewards_root,
                ..
            } => {
                self.proven_seen = self.proven_seen.max(number);
                if let Some(w) = self.blocks.remove(&hash) {
                    if w.in_committee {
                        self.preparing += 1;
                        self.prepare_claim(w, number, tx, rewards_root);
                    }
                }
                self.check_claim_request();
                // Keep bodies of recent blocks only.
                if self.bodies.len() > 64 {
                    let old: Vec<B256> = self
                        .bodies
                        .keys()
                        .filter(|h| !self.blocks.contains_key(*h))
                        .copied()
                        .collect();
                    for h in &old {
                        self.bodies.remove(h);
                    }
                    self.net.forget_bodies(&old);
                }
            }
            _ => {}
        }
    }

    async fn on_proposed(&mut self, header: Header, hash: B256) {
        let proposer = header.proposer == self.me;
        if proposer {
            if let Some(p) = self.proposals.get(&hash) {
                tracing::info!(target: "spn::sequencer", agent = %self.short(),
                    "block {} ({}) of slot {} is on L1 with {} attestations",
                    header.number, short_hash(hash), header.slot, p.attestations.len());
            }
        }
        if !self.cfg.prover && !proposer {
            return;
        }
        let Ok(sched) = self.view.schedule(header.slot, header.height).await else {
            return;
        };
        let Ok(ctx) = self.view.slot_ctx(header.slot).await else {
            return;
        };
        let my_score = selection::score(self.me, ctx.seed);
        let in_committee = self.cfg.prover
            && ctx.stakers.contains(&self.me)
            && sched
                .schedule()
                .in_committee(my_score, 1, sched.active_count());
        if !in_committee && !proposer {
            return;
        }
        let mut w = Work {
            header: header.clone(),
            sched: sched.clone(),
            my_score,
            in_committee,
            proposer,
            outputs: None,
            done: HashSet::new(),
            started: HashSet::new(),
            fallback: false,
            body_tries: 0,
            children_asked: HashMap::new(),
            fallback_asked: false,
        };
        if let Some(body) = self.bodies.get(&hash) {
            if let Ok(tree) = BlockTree::from_transactions(u32::from(header.height), body) {
                w.outputs = tree.job_outputs(sched.schedule()).ok();
            }
        }
        let have_body = w.outputs.is_some();
        self.blocks.insert(hash, w);
        if !have_body {
            self.fetch_body(hash, header.clone(), Duration::ZERO);
        }
        if proposer {
            let p = self.view.params();
            let at = header.slot.saturating_add(p.proof_window / 2);
            let start = self.view.clock().slot_start(at).unwrap_or(0) as f64;
            let wait = (start - self.view.now()).max(0.0);
            self.after(Duration::from_secs_f64(wait), Internal::Fallback(hash));
        }
        // Results that arrived before the L1 event.
        let held: Vec<JobResultMsg> = self
            .held
            .iter()
            .filter(|(_, r)| r.block_hash == hash)
            .map(|(_, r)| *r)
            .collect();
        self.held.retain(|(_, r)| r.block_hash != hash);
        for r in held {
            if let Err(reason) = self.on_result(r).await {
                self.metrics.rejected();
                tracing::warn!(target: "spn::net", agent = %self.short(), kind = "job-result", "dropped held result: {reason}");
            }
        }
        self.pump(hash);
    }

    // ------------------------------------------------------------------ proving

    /// Starts every job of `hash` this agent should do and whose inputs are published.
    fn pump(&mut self, hash: B256) {
        let Some(w) = self.blocks.get(&hash) else {
            return;
        };
        if w.outputs.is_none() {
            return;
        }
        let s = w.sched.schedule();
        let n = w.sched.active_count();
        let cost = self.cfg.cost;
        let mut actions: Vec<(u32, Internal, Duration)> = Vec::new();
        let mut late: Vec<(u32, Duration)> = Vec::new();
        let ready = |job: u32| children(s, job).all(|c| w.done.contains(&c));
        if w.in_committee {
            for round in 1..s.rounds() {
                if !s.in_committee(w.my_score, round, n) {
                    break;
                }
                let own = s.job_of(w.my_score, round);
                let base = s.offset(round);
                for index in s.neighbourhood_of(round, own) {
                    let job = base + index;
                    if index == own
                        && round > 1
                        && !w.started.contains(&job)
                        && !w.done.contains(&job)
                        && !ready(job)
                        && !w.children_asked.contains_key(&job)
                    {
                        // Its inputs are due after the rounds below; ask for them if they are late.
                        let due: Duration = (1..round).map(|r| cost.fill_delay(s, r)).sum();
                        late.push((job, due));
                    }
                    if w.started.contains(&job) || w.done.contains(&job) || !ready(job) {
                        continue;
                    }
                    if index == own {
                        actions.push((
                            job,
                            Internal::ProveDone(hash, job),
                            cost.job_time(s, round),
                        ));
                    } else {
                        // Fill after fillDelay, the k-th filler (ascending score) waiting k delays more.
                        let owners = w.sched.job_owners(job).count();
                        let rank = w
                            .sched
                            .fillers(job)
                            .filter(|m| s.job_of(m.score, round) != index)
                            .position(|m| m.address == self.me)
                            .unwrap_or(0);
                        let slots = rank as u32 + u32::from(owners > 0);
                        actions.push((
                            job,
                            Internal::FillCheck(hash, job),
                            cost.fill_delay(s, round) * slots,
                        ));
                    }
                }
            }
        }
        if w.proposer {
            let root = s.root_job();
            let unfilled: HashSet<u32> = w.sched.unfilled_jobs().iter().copied().collect();
            for job in 0..=root {
                if w.started.contains(&job) || w.done.contains(&job) || !ready(job) {
                    continue;
                }
                if job == root || unfilled.contains(&job) || w.fallback {
                    let round = s.job_position(job).map(|p| p.0).unwrap_or(1);
                    actions.push((job, Internal::ProveDone(hash, job), cost.job_time(s, round)));
                }
            }
        }
        let w = self.blocks.get_mut(&hash).expect("present");
        for (job, _, _) in &actions {
            w.started.insert(*job);
        }
        for (job, _) in &late {
            w.children_asked.insert(*job, 0);
        }
        for (job, due) in late {
            self.after(due, Internal::ChildrenLate(hash, job));
        }
        for (_, msg, delay) in actions {
            self.after(delay, msg);
        }
    }

    fn fill_check(&mut self, hash: B256, job: u32) {
        let Some(w) = self.blocks.get(&hash) else {
            return;
        };
        if w.done.contains(&job) {
            return;
        }
        let round = w
            .sched
            .schedule()
            .job_position(job)
            .map(|p| p.0)
            .unwrap_or(1);
        tracing::debug!(target: "spn::prover", agent = %self.short(), "filling job {job} of {}", short_hash(hash));
        let d = self.cfg.cost.job_time(w.sched.schedule(), round);
        self.after(d, Internal::ProveDone(hash, job));
    }

    fn prove_done(&mut self, hash: B256, job: u32) {
        let Some(w) = self.blocks.get_mut(&hash) else {
            return;
        };
        let Some(outputs) = &w.outputs else {
            return;
        };
        let s = w.sched.schedule();
        let own = s
            .job_position(job)
            .map(|(r, i)| w.in_committee && s.job_of(w.my_score, r) == i)
            .unwrap_or(false);
        // A fill or fallback someone else already published is not repeated.
        if w.done.contains(&job) && !own {
            return;
        }
        let output = outputs[job as usize];
        let sig = self.key.sign_job_result(&self.domain, hash, job, output);
        let msg = JobResultMsg {
            block_hash: hash,
            job,
            output,
            prover: self.me,
            sig,
        };
        if w.proposer && job != s.root_job() {
            self.metrics.fallback_job();
        }
        if w.proposer && job == s.root_job() {
            tracing::info!(target: "spn::sequencer", agent = %short(self.me), "block {} ({}): root job done, tree complete", w.header.number, short_hash(hash));
        }
        w.done.insert(job);
        self.net.serve_result(hash, job, msg.encode());
        self.net.publish(Topic::JobResult, msg.encode());
        if self.faults.take_forge() {
            let root = s.root_job();
            let wrong = B256::repeat_byte(0xee);
            let forged = [
                // A wrong output, properly signed.
                JobResultMsg {
                    output: wrong,
                    sig: self.key.sign_job_result(&self.domain, hash, job, wrong),
                    ..msg
                },
                // The root job, which only the proposer may sign.
                JobResultMsg {
                    job: root,
                    output: outputs[root as usize],
                    sig: self
                        .key
                        .sign_job_result(&self.domain, hash, root, outputs[root as usize]),
                    ..msg
                },
                // A signature that is not the claimed prover's.
                JobResultMsg {
                    prover: Address::with_last_byte(0xee),
                    ..msg
                },
            ];
            tracing::warn!(target: "spn::prover", agent = %short(self.me), "fault injection: publishing {} forged job results", forged.len() + 1);
            for f in forged {
                self.net.publish(Topic::JobResult, f.encode());
            }
            // Oversized garbage.
            self.net
                .publish(Topic::JobResult, Bytes::from(vec![0xab; 300]));
        }
        self.pump(hash);
    }

    /// Asks peers for the results of `jobs` of `hash` (the announcer first).
    fn request_results(&self, hash: B256, jobs: Vec<u32>, then_fallback: bool) {
        let net = self.net.clone();
        let hint = self.announcer.get(&hash).cloned();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let payloads = net
                .fetch_results(hash, jobs, hint)
                .await
                .map_err(|e| e.to_string());
            let _ = tx.send(Internal::Results {
                hash,
                payloads,
                then_fallback,
            });
        });
    }

    fn children_late(&mut self, hash: B256, job: u32) {
        let Some(w) = self.blocks.get_mut(&hash) else {
            return;
        };
        if w.started.contains(&job) || w.done.contains(&job) {
            return;
        }
        let missing: Vec<u32> = children(w.sched.schedule(), job)
            .filter(|c| !w.done.contains(c))
            .collect();
        if missing.is_empty() {
            return;
        }
        let tries = w.children_asked.entry(job).or_default();
        *tries += 1;
        if *tries > 5 {
            return;
        }
        tracing::info!(target: "spn::prover", agent = %self.short(), "block {}: {} inputs of job {job} are late, requesting them", short_hash(hash), missing.len());
        self.request_results(hash, missing, false);
        self.after(Duration::from_secs(2), Internal::ChildrenLate(hash, job));
    }

    async fn on_results(
        &mut self,
        hash: B256,
        payloads: Result<Vec<Bytes>, String>,
        then_fallback: bool,
    ) {
        match payloads {
            Ok(payloads) => {
                let mut accepted = 0;
                for p in payloads {
                    // Checked exactly like a gossiped result.
                    let checked = match messages::decode_requested_result(&p, hash, &self.domain) {
                        Ok(r) => self.on_result(r).await,
                        Err(reason) => Err(reason),
                    };
                    match checked {
                        Ok(()) => accepted += 1,
                        Err(reason) => {
                            self.metrics.rejected();
                            tracing::warn!(target: "spn::net", agent = %self.short(), kind = "job-results", "dropped requested result: {reason}");
                        }
                    }
                }
                if accepted > 0 {
                    tracing::info!(target: "spn::prover", agent = %self.short(), "block {}: {accepted} job results recovered by request", short_hash(hash));
                }
            }
            Err(e) => {
                tracing::debug!(target: "spn::prover", agent = %self.short(), "results of {} unavailable: {e}", short_hash(hash));
            }
        }
        if then_fallback {
            self.on_fallback(hash);
        }
    }

    fn on_fallback(&mut self, hash: B256) {
        // Missing results are requested from peers once before proving them as fallback.
        if let Some(w) = self.blocks.get_mut(&hash) {
            if !w.fallback_asked {
                w.fallback_asked = true;
                let missing: Vec<u32> = (0..w.sched.schedule().prover_jobs())
                    .filter(|j| !w.done.contains(j))
                    .collect();
                if !missing.is_empty() {
                    self.request_results(hash, missing, true);
                    return;
                }
            }
        }
        if let Some(w) = self.blocks.get_mut(&hash) {
            let missing = w.sched.schedule().prover_jobs() as usize
                - (0..w.sched.schedule().prover_jobs())
                    .filter(|j| w.done.contains(j))
                    .count();
            if missing > 0 {
                tracing::info!(target: "spn::sequencer", agent = %short(self.me), "block {}: proving {missing} missing jobs as fallback (unpaid)", w.header.number);
            }
            w.fallback = true;
            self.pump(hash);
        }
    }

    // ------------------------------------------------------------------ claims

    fn prepare_claim(&self, w: Work, number: u64, tx: B256, rewards_root: B256) {
        let l1 = self.sender.l1().clone();
        let me = self.me;
        let out = self.tx.clone();
        let sched = w.sched.clone();
        tokio::spawn(async move {
            let item = async {
                let input = l1.tx_input(tx).await.ok()?;
                let call = Rollup::submitProofCall::abi_decode(&input).ok()?;
                let t = Transcript::decode(&call.proof).ok()?;
                let s = sched.schedule();
                let leaves: Vec<(Address, u64)> = t
                    .provers
                    .iter()
                    .map(|p| {
                        let cost = p
                            .contributions
                            .iter()
                            .map(|c| s.job_cost(c.job).unwrap_or(0))
                            .sum();
                        (p.prover, cost)
                    })
                    .collect();
                let hashes: Vec<B256> = leaves
                    .iter()
                    .map(|&(p, c)| transcript::rewards_leaf(p, c))
                    .collect();
                if transcript::rewards_root(&hashes) != rewards_root {
                    tracing::warn!(target: "spn::prover", "block {number}: rewards root mismatch");
                    return None;
                }
                let index = leaves.iter().position(|&(p, _)| p == me)?;
                let proof = transcript::rewards_proof(&hashes, index).ok()?;
                Some(IRollup::ClaimItem {
                    blockNumber: number,
                    cost: leaves[index].1,
                    proof,
                })
            }
            .await;
            let _ = out.send(Internal::Claimable(item));
        });
    }

    /// Answers a pending `ClaimNow` once every share up to its block is prepared and claimed.
    fn check_claim_request(&mut self) {
        let Some(upto) = self.claim_upto else {
            return;
        };
        if self.proven_seen < upto || self.preparing > 0 || self.claiming {
            return;
        }
        if !self.unclaimed.is_empty() {
            self.claim();
            return;
        }
        self.claim_upto = None;
        let paid = std::mem::take(&mut self.claim_paid);
        for w in self.claim_waiters.drain(..) {
            let _ = w.send(paid);
        }
    }

    fn claim(&mut self) {
        if self.claiming || self.unclaimed.is_empty() {
            return;
        }
        self.claiming = true;
        let items = std::mem::take(&mut self.unclaimed);
        let blocks = items.len();
        let call = Rollup::claimCall {
            recipient: self.withdrawer,
            items,
        };
        let sender = self.sender.clone();
        let rollup = self.view.deployment().rollup;
        let token = self.view.deployment().reward_token;
        let withdrawer = self.withdrawer;
        let metrics = self.metrics.clone();
        let tx = self.tx.clone();
        let who = self.short();
        tokio::spawn(async move {
            let before = sender
                .l1()
                .balance_of(token, withdrawer)
                .await
                .unwrap_or_default();
            let r = sender.send("claim", rollup, &call, None).await;
            let r = match r {
                Ok(o) => {
                    metrics.gas("claim", o.gas_used);
                    let after = sender
                        .l1()
                        .balance_of(token, withdrawer)
                        .await
                        .unwrap_or_default();
                    let paid = after.saturating_sub(before);
                    tracing::info!(target: "spn::prover", agent = %who, "claimed {} for {blocks} blocks (gas {})", fmt_tokens(paid), o.gas_used);
                    Ok(paid)
                }
                Err(e) => Err(e.to_string()),
            };
            let _ = tx.send(Internal::Claimed(r));
        });
    }

    async fn on_internal(&mut self, i: Internal) {
        match i {
            Internal::TryPropose(slot) => self.try_propose(slot).await,
            Internal::AttestDeadline(hash) => self.maybe_propose(hash, true),
            Internal::Proposed(hash, r) => {
                if let Err(e) = r {
                    tracing::warn!(target: "spn::sequencer", agent = %self.short(), "propose of {} failed: {e}", short_hash(hash));
                }
                self.proposals.remove(&hash);
            }
            Internal::Body { hash, header, txs } => self.on_body(hash, header, txs).await,
            Internal::FillCheck(hash, job) => self.fill_check(hash, job),
            Internal::ProveDone(hash, job) => self.prove_done(hash, job),
            Internal::Fallback(hash) => self.on_fallback(hash),
            Internal::ChildrenLate(hash, job) => self.children_late(hash, job),
            Internal::Results {
                hash,
                payloads,
                then_fallback,
            } => self.on_results(hash, payloads, then_fallback).await,
            Internal::Claimable(item) => {
                self.preparing = self.preparing.saturating_sub(1);
                if let Some(item) = item {
                    self.unclaimed.push(item);
                    if self.unclaimed.len() >= self.cfg.claim_batch.max(1) {
                        self.claim();
                    }
                }
                self.check_claim_request();
            }
            Internal::Claimed(r) => {
                self.claiming = false;
                match r {
                    Ok(p) => self.claim_paid += p,
                    Err(e) => {
                        tracing::warn!(target: "spn::prover", agent = %self.short(), "claim failed: {e}");
                    }
                }
                self.check_claim_request();
            }
        }
    }
}

/// First bytes of an address, for logs.
pub fn short(a: Address) -> String {
    format!("{}", a)[..8].to_string()
}

/// First bytes of a hash, for logs.
pub fn short_hash(h: B256) -> String {
    format!("{h}")[..10].to_string()
}

/// Token amount with 18 decimals, 4 shown.
pub fn fmt_tokens(x: U256) -> String {
    let unit = U256::from(10u64).pow(U256::from(18));
    let whole = x / unit;
    let frac = (x % unit) / U256::from(10u64).pow(U256::from(14));
    format!("{whole}.{:04}", frac.to::<u64>())
}

/// The reward of one claim item (for checks).
pub fn claim_value(p_eff: U256, cost: u64, total: u64) -> U256 {
    rewards::claim_amount(p_eff, cost, total).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_format() {
        assert_eq!(
            fmt_tokens(U256::from(15u64) * U256::from(10u64).pow(U256::from(17))),
            "1.5000"
        );
    }
}
