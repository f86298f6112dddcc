//! The runtime around the agent core (`spn-core`): tokio timers, the network (libp2p or the
//! in-process bus), the L1 follower and transaction sender. It feeds the core's inputs and
//! carries out its outputs; every protocol decision is the core's. The simulator (`spn-sim`)
//! drives the same core under a simulated clock instead.

use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::TxKind;
use alloy_primitives::{Address, Bytes, U256};
use spn_core::io::{L1Call, Msg, Note, TxOutcome};
use spn_core::{Chain, Cx, Input, Output};
use spn_protocol::StakingKey;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::l1::{ChainView, L1Event, Sender};
use crate::metrics::{Faults, Metrics};
use crate::net::messages::{
    self, AttestationMsg, JobResultMsg, ProposalMsg, StartedMsg, TransitionSigMsg,
};
use crate::net::{Inbound, Network, Topic};
use crate::pool::TxPool;
use crate::prover::ProverBackend;
use crate::store::{Signed, Store, Verdict};

pub use spn_core::proving::{short, short_hash};
pub use spn_core::StakerConfig as AgentConfig;

/// How long a `job-results/1` request may take.
const RESULTS_TIMEOUT: Duration = Duration::from_secs(3);

/// A core the runtime can drive.
pub trait Core: Send + 'static {
    /// Handles one input.
    fn handle(&mut self, cx: &mut Cx<'_>, input: Input);
    /// Name for logs.
    fn label(&self) -> String;
    /// How often time is fed ([`Input::Tick`]).
    fn tick(&self) -> Duration {
        Duration::from_millis(100)
    }
    /// Whether the core acts on gossip of `topic` (others are not even decoded).
    fn wants(&self, _topic: Topic) -> bool {
        true
    }
}

impl Core for spn_core::Staker {
    fn handle(&mut self, cx: &mut Cx<'_>, input: Input) {
        spn_core::Staker::handle(self, cx, input);
    }
    fn label(&self) -> String {
        short(self.address())
    }
    /// Transition signatures are the submitter's: a staker does not pay their point checks.
    fn wants(&self, topic: Topic) -> bool {
        topic != Topic::TransitionSignature
    }
}

impl Core for spn_core::Submitter {
    fn handle(&mut self, cx: &mut Cx<'_>, input: Input) {
        spn_core::Submitter::handle(self, cx, input);
    }
    fn label(&self) -> String {
        "submitter".into()
    }
    fn tick(&self) -> Duration {
        Duration::from_millis(200)
    }
}

/// Commands from the process running the agent.
#[derive(Debug)]
pub enum Command {
    /// Once the agent has seen block `upto` proven, claim every outstanding share; answers with
    /// the amount claimed.
    ClaimNow(u64, oneshot::Sender<U256>),
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
    /// The data directory's store: the signing record every message is checked against before
    /// it leaves, and the key's results served again after a restart (none: devnet agents).
    pub store: Option<Arc<Store>>,
    /// How jobs are proven.
    pub prover: ProverBackend,
}

/// A staker's agent: the core's [`spn_core::Staker`] in the runtime.
pub struct StakerAgent;

impl StakerAgent {
    /// Starts the agent; it runs until the process ends.
    pub fn spawn(p: AgentParts) -> AgentHandle {
        let me = p.key.address();
        let withdrawer = p.view.staker(me).map(|s| s.withdrawer).unwrap_or(me);
        let core = spn_core::Staker::new(p.key, withdrawer, p.cfg, p.faults);
        let (ctx, crx) = mpsc::unbounded_channel();
        if let Some(store) = &p.store {
            serve_recorded_results(store, p.net.as_ref());
        }
        Runtime::spawn(
            core,
            p.view,
            p.sender,
            p.net,
            p.inbox,
            p.pool,
            p.metrics,
            Some(crx),
            p.store,
            p.prover,
        );
        AgentHandle {
            address: me,
            commands: ctx,
        }
    }
}

/// Everything a submitter is built from.
pub struct SubmitterParts {
    /// L1 view.
    pub view: Arc<ChainView>,
    /// Transaction sender.
    pub sender: Arc<Sender>,
    /// Network handle.
    pub net: Arc<dyn Network>,
    /// Its inbox.
    pub inbox: mpsc::UnboundedReceiver<Inbound>,
    /// Shared metrics.
    pub metrics: Arc<Metrics>,
    /// Fault injection.
    pub faults: Arc<Faults>,
    /// Submit as soon as a tree is complete; otherwise only from slot `s + proofWindow - 1` on
    /// (a staker's node's fallback, §15.3).
    pub eager: bool,
    /// The provers' cost model, which says when results are overdue.
    pub cost: spn_core::cost::CostModel,
    /// Inactivity reports (§14): at most this many per proven block against round-1 members
    /// that published nothing for it, and the finalisation of reports whose grace is over
    /// (0: neither; a report pays nobody, §14.4).
    pub reports_per_block: usize,
}

/// The submitter agent: the core's [`spn_core::Submitter`] in the runtime.
pub struct SubmitterAgent;

impl SubmitterAgent {
    /// Starts the submitter; it runs until the process ends.
    pub fn spawn(p: SubmitterParts) {
        let mut core =
            spn_core::Submitter::new(p.eager, spn_core::Strategy::Honest, p.cost, p.faults);
        if p.reports_per_block > 0 {
            core = core.with_reporter(p.reports_per_block);
        }
        Runtime::spawn(
            core,
            p.view,
            p.sender,
            p.net,
            p.inbox,
            None,
            p.metrics,
            None,
            None,
            ProverBackend::Simulated,
        );
    }
}

/// The tokio runtime of one core.
struct Runtime<C: Core> {
    core: C,
    label: String,
    view: Arc<ChainView>,
    sender: Arc<Sender>,
    net: Arc<dyn Network>,
    pool: Option<Arc<TxPool>>,
    metrics: Arc<Metrics>,
    feedback: mpsc::UnboundedSender<Input>,
    waiters: Vec<oneshot::Sender<U256>>,
    store: Option<Arc<Store>>,
    prover: ProverBackend,
    /// This loop counts what every loop of the process sees alike (L1 events, gossip).
    observer: bool,
}

impl<C: Core> Runtime<C> {
    #[allow(clippy::too_many_arguments)]
    fn spawn(
        core: C,
        view: Arc<ChainView>,
        sender: Arc<Sender>,
        net: Arc<dyn Network>,
        inbox: mpsc::UnboundedReceiver<Inbound>,
        pool: Option<Arc<TxPool>>,
        metrics: Arc<Metrics>,
        commands: Option<mpsc::UnboundedReceiver<Command>>,
        store: Option<Arc<Store>>,
        prover: ProverBackend,
    ) {
        let (feedback, rx) = mpsc::unbounded_channel();
        let events = view.subscribe();
        let rt = Self {
            observer: metrics.telemetry().claim_observer(),
            prover,
            label: core.label(),
            core,
            view,
            sender,
            net,
            pool,
            metrics,
            feedback,
            waiters: Vec::new(),
            store,
        };
        tokio::spawn(rt.run(inbox, events, rx, commands));
    }

    async fn run(
        mut self,
        mut inbox: mpsc::UnboundedReceiver<Inbound>,
        mut events: broadcast::Receiver<L1Event>,
        mut feedback: mpsc::UnboundedReceiver<Input>,
        commands: Option<mpsc::UnboundedReceiver<Command>>,
    ) {
        let mut tick = tokio::time::interval(self.core.tick());
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let (_keep, none) = mpsc::unbounded_channel();
        let mut commands = commands.unwrap_or(none);
        let mut commands_closed = false;
        // The core replays the unproven blocks at its first tick (it resumes their jobs): the
        // epochs of their slots, which may precede the current one, are read first.
        for ev in spn_core::chain::pending_proposals(&*self.view) {
            if let L1Event::Proposed { header, .. } = ev {
                let _ = self.view.warm(header.slot).await;
            }
        }
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    // The core reads slots synchronously: their per-epoch values come first.
                    let slot = self.view.current_slot();
                    if let Err(e) = self.view.warm(slot).await {
                        tracing::debug!(target: "spn::l1", "reading the slot's epoch: {e}");
                    }
                    let epoch = self.view.clock().epoch_of(slot);
                    self.metrics.telemetry().tick(slot, epoch, self.view.head_number());
                    self.feed(Input::Tick);
                }
                ev = events.recv() => match ev {
                    Ok(ev) => {
                        match &ev {
                            L1Event::Proposed { header, .. } => {
                                if self.observer {
                                    self.metrics.telemetry().proposal_seen();
                                }
                                let _ = self.view.warm(header.slot).await;
                            }
                            // A block proposed before this agent started is placed from its
                            // slot's epoch when proven (its share is claimed).
                            L1Event::Proven { hash, .. } => {
                                if let Some(h) = self.view.header(hash) {
                                    let _ = self.view.warm(h.slot).await;
                                }
                            }
                            _ => {}
                        }
                        self.feed(Input::L1(ev));
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(target: "spn::agent", agent = %self.label, "missed {n} L1 events");
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                Some(m) = inbox.recv() => self.on_message(m).await,
                Some(i) = feedback.recv() => self.feed(i),
                cmd = commands.recv(), if !commands_closed => match cmd {
                    Some(Command::ClaimNow(upto, reply)) => {
                        self.waiters.push(reply);
                        self.feed(Input::ClaimNow { upto });
                    }
                    // Nobody holds the handle (a standalone node): keep running.
                    None => commands_closed = true,
                },
            }
        }
    }

    /// Decodes a gossip message (size, encoding, signature) before the core sees it. A proposal
    /// or attestation for the next slot may come before the tick that reads its epoch: its slot
    /// is read first, if it is within the window (an absurd slot costs no RPC call, §15.2).
    async fn on_message(&mut self, m: Inbound) {
        if !self.core.wants(m.topic) {
            return;
        }
        let domain = Chain::domain(&*self.view);
        let input = match m.topic {
            Topic::Proposal => ProposalMsg::decode(&m.payload, domain).map(|msg| Input::Proposal {
                msg,
                peer: Some(m.peer.clone()),
            }),
            Topic::Attestation => {
                let a = AttestationMsg::decode(&m.payload, domain).map(Input::Attestation);
                if a.is_ok() && self.observer {
                    self.metrics.telemetry().attestation_received();
                }
                a
            }
            Topic::JobResult => JobResultMsg::decode(&m.payload, domain).map(Input::JobResult),
            Topic::JobStarted => StartedMsg::decode(&m.payload, domain).map(Input::Started),
            Topic::TransitionSignature => {
                TransitionSigMsg::decode(&m.payload).map(Input::TransitionSignature)
            }
        };
        let slot = match &input {
            Ok(Input::Proposal { msg, .. }) => Some(msg.header.slot),
            Ok(Input::Attestation(a)) => Some(a.slot),
            _ => None,
        };
        if let (Some(slot), Ok(i)) = (slot, &input) {
            let current = self.view.current_slot();
            if messages::check_slot_window(slot, current).is_ok() {
                if slot > current {
                    // The sender's clock is ahead of ours: hand it over once our slot (and the
                    // tick that reads its epoch) has caught up.
                    let start = self.view.clock().slot_start(slot).unwrap_or(0) as f64;
                    let wait = start - self.view.now() + 0.2;
                    self.after(spn_core::cost::seconds(wait), i.clone());
                    return;
                }
                let _ = self.view.warm(slot).await;
            }
        }
        match input {
            Ok(i) => self.feed(i),
            Err(reason) => {
                self.metrics.rejected();
                tracing::warn!(target: "spn::net", agent = %self.label, peer = %m.peer, kind = m.topic.name(), "dropped message: {reason}");
            }
        }
    }

    fn feed(&mut self, input: Input) {
        let mut out = Vec::new();
        let now = self.view.now();
        let chain: &dyn Chain = &*self.view;
        let mut cx = Cx {
            now,
            chain,
            out: &mut out,
        };
        self.core.handle(&mut cx, input);
        for o in out {
            self.execute(o, now);
        }
    }

    fn after(&self, delay: Duration, input: Input) {
        let tx = self.feedback.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let _ = tx.send(input);
        });
    }

    fn execute(&mut self, o: Output, now: f64) {
        if !self.may_sign(&o) {
            return;
        }
        match o {
            Output::Publish(m) => {
                let (topic, payload) = match m {
                    Msg::Proposal(p) => (Topic::Proposal, p.encode()),
                    Msg::Attestation(a) => {
                        self.metrics.telemetry().attestation_sent();
                        (Topic::Attestation, a.encode())
                    }
                    Msg::JobResult(r) => (Topic::JobResult, r.encode()),
                    Msg::Started(m) => (Topic::JobStarted, m.encode()),
                    Msg::TransitionSignature(m) => (Topic::TransitionSignature, m.encode()),
                    Msg::RawJobResult(b) => (Topic::JobResult, b),
                };
                self.net.publish(topic, payload);
            }
            Output::ServeBody { hash, txs } => self.net.serve_body(hash, txs),
            Output::ServeResult(r) => self.net.serve_result(r.block_hash, r.job, r.encode()),
            Output::Forget(hashes) => self.net.forget_bodies(&hashes),
            Output::FetchBody { hash, hint } => {
                let net = self.net.clone();
                let tx = self.feedback.clone();
                tokio::spawn(async move {
                    let txs = net
                        .fetch_body(hash, hint)
                        .await
                        .map(Arc::new)
                        .map_err(|e| e.to_string());
                    let _ = tx.send(Input::Body { hash, txs });
                });
            }
            Output::FetchResults {
                hash,
                jobs,
                hint,
                tag,
            } => {
                let net = self.net.clone();
                let tx = self.feedback.clone();
                let domain = Chain::domain(&*self.view).clone();
                let metrics = self.metrics.clone();
                let label = self.label.clone();
                tokio::spawn(async move {
                    let payloads = match tokio::time::timeout(
                        RESULTS_TIMEOUT,
                        net.fetch_results(hash, jobs, hint),
                    )
                    .await
                    {
                        Ok(Ok(p)) => p,
                        Ok(Err(e)) => {
                            tracing::debug!(target: "spn::net", agent = %label, "results of {}: {e}", short_hash(hash));
                            Vec::new()
                        }
                        Err(_) => Vec::new(),
                    };
                    let mut results = Vec::new();
                    for p in payloads {
                        match messages::decode_requested_result(&p, hash, &domain) {
                            Ok(r) => results.push(r),
                            Err(reason) => {
                                metrics.rejected();
                                tracing::warn!(target: "spn::net", agent = %label, kind = "job-results", "dropped requested result: {reason}");
                            }
                        }
                    }
                    let _ = tx.send(Input::Results { hash, results, tag });
                });
            }
            Output::TakeTxs { slot, max } => {
                let txs = self.pool.as_ref().map(|p| p.take(max)).unwrap_or_default();
                let _ = self.feedback.send(Input::Txs { slot, txs });
            }
            Output::Requeue(txs) => {
                if let Some(pool) = &self.pool {
                    pool.requeue(txs.as_ref().clone());
                }
            }
            Output::Prove {
                hash,
                job,
                seconds,
                task,
            } => {
                let prover = self.prover.clone();
                let tx = self.feedback.clone();
                let telemetry = self.metrics.telemetry().clone();
                let label = self.label.clone();
                tokio::spawn(async move {
                    let proved = prover
                        .prove_job(hash, job, seconds, &task, &telemetry, &label)
                        .await;
                    if let Some(input) = proved {
                        let _ = tx.send(input);
                    }
                });
            }
            Output::Timer { at, timer } => {
                self.after(spn_core::cost::seconds(at - now), Input::Timer(timer));
            }
            Output::FetchTranscript { number, tx } => {
                let l1 = self.sender.l1().clone();
                let feedback = self.feedback.clone();
                tokio::spawn(async move {
                    let transcript = async {
                        let input = l1.tx_input(tx).await.map_err(|e| e.to_string())?;
                        spn_core::io::decode_proof_tx(&input).map(|p| Arc::new(p.transcript))
                    }
                    .await;
                    let _ = feedback.send(Input::Transcript { number, transcript });
                });
            }
            Output::Send {
                id,
                call,
                gas_limit,
            } => self.send(id, call, gas_limit),
            Output::ClaimAnswered(amount) => {
                if !self.waiters.is_empty() {
                    let _ = self.waiters.remove(0).send(amount);
                }
            }
            Output::Note(n) => self.note(n),
        }
    }

    /// The signing record's answer for a message about to leave (slashing protection): a
    /// message conflicting with one published before, or one that cannot be recorded, is
    /// dropped with an error line.
    fn may_sign(&self, o: &Output) -> bool {
        let Some(store) = &self.store else {
            return true;
        };
        // Only the key's own signatures are recorded: a node also serves and relays its peers'.
        let me = store.key();
        let (what, payload) = match o {
            Output::Publish(Msg::Proposal(p)) if p.header.proposer == me => (
                Signed::Proposal {
                    slot: p.header.slot,
                },
                p.encode(),
            ),
            Output::Publish(Msg::Attestation(a)) if a.signer == me => (
                Signed::Attestation {
                    block: a.block_hash,
                },
                a.encode(),
            ),
            Output::Publish(Msg::JobResult(r)) | Output::ServeResult(r) if r.prover == me => (
                Signed::JobResult {
                    block: r.block_hash,
                    job: r.job,
                },
                r.encode(),
            ),
            Output::Publish(Msg::TransitionSignature(t)) if t.signer == me => (
                Signed::Transition {
                    block: t.block_hash,
                },
                t.encode(),
            ),
            _ => return true,
        };
        match store.guard(what, &payload) {
            Ok(Verdict::New | Verdict::Repeat) => true,
            Ok(Verdict::Conflict { what }) => {
                tracing::error!(target: "spn::agent", agent = %self.label, "slashing protection: not publishing a {what} that differs from the one signed before");
                false
            }
            Err(e) => {
                tracing::error!(target: "spn::agent", agent = %self.label, "slashing protection: not publishing, the signing record failed: {e}");
                false
            }
        }
    }

    fn send(&self, id: u64, call: L1Call, gas_limit: Option<u64>) {
        let sender = self.sender.clone();
        let rollup = self.view.deployment().rollup;
        let token = self.view.deployment().reward_token;
        let metrics = self.metrics.clone();
        let tx = self.feedback.clone();
        let what = call.name();
        if matches!(call, L1Call::Propose { .. }) {
            metrics.proposal_sent();
        }
        let recipient = match &call {
            L1Call::Claim(c) => Some(c.recipient),
            _ => None,
        };
        let data: Bytes = call.calldata();
        metrics.telemetry().tx_sent(what);
        tokio::spawn(async move {
            let balance = |who: Address| {
                let l1 = sender.l1().clone();
                async move { l1.balance_of(token, who).await.unwrap_or_default() }
            };
            let before = match recipient {
                Some(r) => balance(r).await,
                None => U256::ZERO,
            };
            let result = match sender
                .send_raw(what, TxKind::Call(rollup), data, gas_limit)
                .await
            {
                Ok(o) => {
                    metrics.gas(what, o.gas_used);
                    let paid = match recipient {
                        Some(r) => balance(r).await.saturating_sub(before),
                        None => U256::ZERO,
                    };
                    metrics.telemetry().rewards_claimed(paid);
                    Ok(TxOutcome {
                        gas_used: o.gas_used,
                        paid,
                    })
                }
                Err(e) => {
                    metrics.telemetry().tx_failed(what);
                    Err(e.to_string())
                }
            };
            let _ = tx.send(Input::TxDone { id, result });
        });
    }

    fn note(&self, n: Note) {
        match n {
            Note::Rejected { kind, reason } => {
                self.metrics.rejected();
                tracing::warn!(target: "spn::net", agent = %self.label, kind, "dropped: {reason}");
            }
            Note::Announced {
                hash,
                slot,
                withheld: true,
            } => self.metrics.withheld(hash, slot),
            Note::NoQuorum(_) => self.metrics.no_quorum(),
            Note::JobDone { how, .. } => {
                self.metrics.telemetry().job_done(kind_name(how));
                if matches!(
                    how,
                    spn_core::io::JobKind::Unfilled | spn_core::io::JobKind::Fallback
                ) {
                    self.metrics.fallback_job();
                }
            }
            Note::TreeComplete(hash) => self.metrics.tree_complete(hash),
            Note::Submitted { .. } => self.metrics.telemetry().proof_submitted(),
            _ => {}
        }
    }
}

/// Serves the job results the key signed before a restart again (a submitter may still ask).
fn serve_recorded_results(store: &Store, net: &dyn Network) {
    match store.job_results() {
        Ok(results) => {
            for (block, job, payload) in results {
                net.serve_result(block, job, payload);
            }
        }
        Err(e) => tracing::warn!(target: "spn::agent", "reading the recorded job results: {e}"),
    }
}

/// The metrics label of a job's capacity.
fn kind_name(k: spn_core::io::JobKind) -> &'static str {
    use spn_core::io::JobKind;
    match k {
        JobKind::Own => "own",
        JobKind::Fill => "fill",
        JobKind::Root => "root",
        JobKind::Unfilled => "unfilled",
        JobKind::Fallback => "fallback",
    }
}

/// Token amount with 18 decimals, 4 shown.
pub fn fmt_tokens(x: U256) -> String {
    let unit = U256::from(10u64).pow(U256::from(18));
    let whole = x / unit;
    let frac = (x % unit) / U256::from(10u64).pow(U256::from(14));
    format!("{whole}.{:04}", frac.to::<u64>())
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
