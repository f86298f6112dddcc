//! The submitter: anyone. It follows every block, collects and checks the published job results,
//! and once the tree is complete (the proposer's root result is in) assembles the packed
//! transcript with the merge rule of §9.4, checks it with the protocol crate's verifier mirror,
//! and submits the blocks in order before their deadline. It also prunes blocks whose window has
//! passed and samples the seed in epochs without any Rollup transaction.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_primitives::B256;
use alloy_sol_types::Eip712Domain;
use spn_bindings::Rollup;
use spn_protocol::{eip712, transcript, Header, SlotSchedule, TranscriptBuilder};
use tokio::sync::{broadcast, mpsc};

use crate::agent::short_hash;
use crate::l1::{ChainView, L1Event, Sender};
use crate::metrics::{Faults, Metrics};
use crate::net::messages::{self, JobResultMsg};
use crate::net::{Inbound, Network, Topic};
use crate::work::{check_job_result, Candidate};

#[derive(Debug)]
struct Track {
    header: Header,
    sched: Arc<SlotSchedule>,
    outputs: Option<Vec<B256>>,
    /// Credited candidates per committee job.
    credited: HashMap<u32, Vec<Candidate>>,
    /// Jobs with any valid result (credited or the proposer's).
    done: HashSet<u32>,
    complete: bool,
    submitting: bool,
    submitted: bool,
    retry_at: Option<Instant>,
    skip: bool,
    body_tries: u32,
    /// When the block was seen on L1.
    seen: Instant,
    /// Last `job-results/1` request for missing jobs, and their count.
    results_at: Option<Instant>,
    results_tries: u32,
    /// Whether uncredited jobs were requested before assembling the transcript.
    asked_before_submit: bool,
}

#[derive(Debug)]
enum Internal {
    Body(B256, Result<Vec<alloy_primitives::Bytes>, String>),
    Submitted(B256, Result<u64, String>),
    Done(&'static str),
    /// Results received by request; `then_submit` when requested before assembling.
    Results(B256, Result<Vec<alloy_primitives::Bytes>, String>, bool),
}

/// A block whose tree is incomplete this long after its proposal has its missing results
/// requested (`job-results/1`), then again every [`RESULTS_RETRY`].
const RESULTS_AFTER: Duration = Duration::from_secs(4);
const RESULTS_RETRY: Duration = Duration::from_secs(3);

/// The submitter agent.
pub struct Submitter {
    view: Arc<ChainView>,
    domain: Eip712Domain,
    sender: Arc<Sender>,
    net: Arc<dyn Network>,
    inbox: mpsc::UnboundedReceiver<Inbound>,
    events: broadcast::Receiver<L1Event>,
    metrics: Arc<Metrics>,
    faults: Arc<Faults>,
    tracks: HashMap<B256, Track>,
    held: Vec<(Instant, JobResultMsg)>,
    tx: mpsc::UnboundedSender<Internal>,
    rx: mpsc::UnboundedReceiver<Internal>,
    busy: HashSet<&'static str>,
    sampled_epoch: Option<u64>,
    pruned_for: Option<B256>,
    eager: bool,
}

impl Submitter {
    /// Starts the submitter.
    /// With `eager` it submits as soon as a tree is complete; otherwise only from slot
    /// `s + proofWindow - 1` on (the fallback a staker's node runs in case no submitter did, §15.4).
    pub fn spawn(
        view: Arc<ChainView>,
        sender: Arc<Sender>,
        net: Arc<dyn Network>,
        inbox: mpsc::UnboundedReceiver<Inbound>,
        metrics: Arc<Metrics>,
        faults: Arc<Faults>,
        eager: bool,
    ) {
        let d = view.deployment();
        let domain = eip712::domain(d.chain_id, d.rollup);
        let (tx, rx) = mpsc::unbounded_channel();
        let s = Self {
            events: view.subscribe(),
            view,
            domain,
            sender,
            net,
            inbox,
            metrics,
            faults,
            tracks: HashMap::new(),
            held: Vec::new(),
            tx,
            rx,
            busy: HashSet::new(),
            sampled_epoch: None,
            pruned_for: None,
            eager,
        };
        tokio::spawn(s.run());
    }

    async fn run(mut self) {
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = tick.tick() => self.on_tick(),
                ev = self.events.recv() => match ev {
                    Ok(ev) => self.on_l1(ev).await,
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                Some(m) = self.inbox.recv() => self.on_message(m).await,
                Some(i) = self.rx.recv() => self.on_internal(i).await,
            }
        }
    }

    async fn on_message(&mut self, m: Inbound) {
        if m.topic != Topic::JobResult {
            return;
        }
        let r = match JobResultMsg::decode(&m.payload, &self.domain) {
            Ok(r) => r,
            Err(reason) => {
                self.metrics.rejected();
                tracing::warn!(target: "spn::net", agent = "submitter", peer = %m.peer, kind = "job-result", "dropped message: {reason}");
                return;
            }
        };
        if self.view.header(&r.block_hash).is_none() {
            if self.held.len() < 4096 {
                self.held.push((Instant::now(), r));
            }
            return;
        }
        if let Err(reason) = self.on_result(r).await {
            self.metrics.rejected();
            tracing::warn!(target: "spn::net", agent = "submitter", peer = %m.peer, kind = "job-result", "dropped message: {reason}");
        }
    }

    async fn on_result(&mut self, r: JobResultMsg) -> Result<(), String> {
        let outputs = self
            .tracks
            .get(&r.block_hash)
            .and_then(|t| t.outputs.clone());
        let c = check_job_result(&self.view, &r, outputs.as_deref()).await?;
        self.net.serve_result(r.block_hash, r.job, r.encode());
        if let Some(t) = self.tracks.get_mut(&r.block_hash) {
            t.done.insert(c.job);
            if c.credited {
                let v = t.credited.entry(c.job).or_default();
                if !v.iter().any(|x| x.prover == c.prover) {
                    v.push(c);
                }
            }
            self.check_complete(r.block_hash);
        }
        Ok(())
    }

    async fn on_l1(&mut self, ev: L1Event) {
        match ev {
            L1Event::Proposed { header, hash, .. } => {
                let Ok(sched) = self.view.schedule(header.slot, header.height).await else {
                    return;
                };
                self.tracks.insert(
                    hash,
                    Track {
                        header: header.clone(),
                        sched,
                        outputs: None,
                        credited: HashMap::new(),
                        done: HashSet::new(),
                        complete: false,
                        submitting: false,
                        submitted: false,
                        retry_at: None,
                        skip: false,
                        body_tries: 0,
                        seen: Instant::now(),
                        results_at: None,
                        results_tries: 0,
                        asked_before_submit: false,
                    },
                );
                self.fetch_body(hash, Duration::ZERO);
                let held: Vec<JobResultMsg> = self
                    .held
                    .iter()
                    .filter(|(_, r)| r.block_hash == hash)
                    .map(|(_, r)| *r)
                    .collect();
                self.held
                    .retain(|(t, r)| r.block_hash != hash && t.elapsed() < Duration::from_secs(12));
                for r in held {
                    let _ = self.on_result(r).await;
                }
            }
            L1Event::Replaced { old, .. } => {
                self.tracks.remove(&old);
            }
            L1Event::Pruned { from, .. } => {
                self.tracks.retain(|_, t| t.header.number < from);
            }
            L1Event::Proven { hash, .. } => {
                self.tracks.remove(&hash);
            }
            _ => {}
        }
    }

    fn fetch_body(&self, hash: B256, delay: Duration) {
        let net = self.net.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let r = net.fetch_body(hash, None).await.map_err(|e| e.to_string());
            let _ = tx.send(Internal::Body(hash, r));
        });
    }

    /// Asks peers for the results of `jobs` of `hash` (`job-results/1`).
    fn request_results(&self, hash: B256, jobs: Vec<u32>, then_submit: bool) {
        let net = self.net.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let r = match tokio::time::timeout(
                Duration::from_secs(3),
                net.fetch_results(hash, jobs, None),
            )
            .await
            {
                Ok(r) => r.map_err(|e| e.to_string()),
                Err(_) => Err("timed out".to_string()),
            };
            let _ = tx.send(Internal::Results(hash, r, then_submit));
        });
    }

    /// Checks results received by request exactly like gossiped ones.
    async fn on_results(&mut self, hash: B256, payloads: Vec<alloy_primitives::Bytes>) {
        let mut accepted = 0;
        for p in payloads {
            let checked = match messages::decode_requested_result(&p, hash, &self.domain) {
                Ok(r) => self.on_result(r).await,
                Err(reason) => Err(reason),
            };
            match checked {
                Ok(()) => accepted += 1,
                Err(reason) => {
                    self.metrics.rejected();
                    tracing::warn!(target: "spn::net", agent = "submitter", kind = "job-results", "dropped requested result: {reason}");
                }
            }
        }
        if accepted > 0 {
            tracing::info!(target: "spn::submitter", "block {}: {accepted} job results recovered by request", short_hash(hash));
        }
    }

    fn check_complete(&mut self, hash: B256) {
        let Some(t) = self.tracks.get_mut(&hash) else {
            return;
        };
        if t.complete || t.outputs.is_none() {
            return;
        }
        let s = t.sched.schedule();
        if !(0..=s.root_job()).all(|j| t.done.contains(&j)) {
            return;
        }
        t.complete = true;
        self.metrics.tree_complete(hash);
        if self.faults.take_skip_proof() {
            t.skip = true;
            tracing::warn!(target: "spn::submitter", "fault injection: never submitting the proof of block {} ({})", t.header.number, short_hash(hash));
        }
        self.try_submit();
    }

    fn try_submit(&mut self) {
        if self.faults.halted() {
            return;
        }
        let (_, proven) = self.view.tips();
        let next = proven + 1;
        let Some(hash) = self.view.hash_of(next) else {
            return;
        };
        let Some(t) = self.tracks.get_mut(&hash) else {
            return;
        };
        if !t.complete
            || t.submitting
            || t.submitted
            || t.skip
            || t.retry_at.is_some_and(|r| Instant::now() < r)
        {
            return;
        }
        let window = self.view.params().proof_window;
        if !self.eager && self.view.current_slot() + 1 < t.header.slot + window {
            return;
        }
        let Some(outputs) = t.outputs.clone() else {
            return;
        };
        if !t.asked_before_submit {
            // Before assembling: jobs without a credited result may have one we missed.
            t.asked_before_submit = true;
            let s = t.sched.schedule();
            let missing: Vec<u32> = (0..s.prover_jobs())
                .filter(|j| !t.credited.contains_key(j))
                .collect();
            if !missing.is_empty() {
                t.submitting = true;
                self.request_results(hash, missing, true);
                return;
            }
        }
        // Merge rule (§9.4): per job the assigned prover, else a neighbour; lowest score first.
        let mut b = TranscriptBuilder::new(outputs);
        let mut jobs: Vec<_> = t.credited.iter().collect();
        jobs.sort_by_key(|(j, _)| **j);
        for (&job, cands) in jobs {
            if let Some(c) = cands.iter().min_by_key(|c| c.merge_key()) {
                let _ = b.add(c.prover, job, c.sig);
            }
        }
        let tr = b.build();
        let header = t.header.clone();
        let sched = t.sched.clone();
        t.submitting = true;
        let view = self.view.clone();
        let domain = self.domain.clone();
        let sender = self.sender.clone();
        let metrics = self.metrics.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let r = async {
                let ctx = view.slot_ctx(header.slot).await.map_err(|e| e.to_string())?;
                let vctx = transcript::VerifyContext {
                    block_hash: hash,
                    epoch: ctx.epoch,
                    slot_seed: ctx.seed,
                    tx_root: header.txRoot,
                    height: header.height,
                    active_count: sched.active_count(),
                };
                let verdict = tr
                    .verify(view.params(), &domain, &vctx, |a| ctx.stakers.contains(&a))
                    .map_err(|e| format!("transcript rejected locally: {e}"))?;
                let proof = tr.encode().map_err(|e| e.to_string())?;
                let call = Rollup::submitProofCall {
                    header: (&header).into(),
                    proof: proof.into(),
                };
                let o = sender
                    .send("submitProof", view.deployment().rollup, &call, None)
                    .await
                    .map_err(|e| e.to_string())?;
                metrics.gas("submitProof", o.gas_used);
                tracing::info!(target: "spn::submitter",
                    "submitted proof of block {} ({}): {} provers, {} unfilled jobs, gas {}",
                    header.number, short_hash(hash), verdict.distinct_provers, verdict.unfilled_jobs, o.gas_used);
                Ok(o.gas_used)
            }
            .await;
            let _ = tx.send(Internal::Submitted(hash, r));
        });
    }

    fn on_tick(&mut self) {
        if self.faults.halted() {
            return;
        }
        self.try_submit();
        // Incomplete trees: request the missing results from peers (a missed gossip).
        let mut asks = Vec::new();
        for (hash, t) in self.tracks.iter_mut() {
            if t.complete
                || t.outputs.is_none()
                || t.results_tries >= 10
                || t.seen.elapsed() < RESULTS_AFTER
            {
                continue;
            }
            if t.results_at.is_some_and(|a| a.elapsed() < RESULTS_RETRY) {
                continue;
            }
            t.results_at = Some(Instant::now());
            t.results_tries += 1;
            let root = t.sched.schedule().root_job();
            let missing: Vec<u32> = (0..=root).filter(|j| !t.done.contains(j)).collect();
            asks.push((*hash, missing));
        }
        for (hash, missing) in asks {
            self.request_results(hash, missing, false);
        }
        if !self.eager {
            // Pruning and seed sampling are left to the eager submitter and to proposals.
            return;
        }
        let p = self.view.params().clone();
        let slot = self.view.current_slot();
        // Prune an unproven block whose window has passed (propose does it too).
        let (pending, proven) = self.view.tips();
        if pending > proven {
            if let Some(h) = self
                .view
                .hash_of(proven + 1)
                .and_then(|h| self.view.header(&h))
            {
                let hash = h.hash();
                if slot > h.slot + p.proof_window
                    && self.pruned_for != Some(hash)
                    && self.view.into_slot(slot) > 1.0
                {
                    self.pruned_for = Some(hash);
                    self.call("prune", Rollup::pruneCall {});
                }
            }
        }
        // Sample the seed early in an epoch without Rollup transactions (§6.4).
        let epoch = self.view.clock().epoch_of(slot);
        let first = self.view.clock().first_slot(epoch).unwrap_or(0);
        if self.sampled_epoch != Some(epoch) && slot > first {
            self.sampled_epoch = Some(epoch);
            if self.view.last_rollup_event_slot().is_none_or(|s| s < first) {
                self.call("sampleSeed", Rollup::sampleSeedCall {});
            }
        }
    }

    fn call<C: alloy_sol_types::SolCall + Send + Sync + 'static>(
        &mut self,
        what: &'static str,
        call: C,
    ) {
        if !self.busy.insert(what) {
            return;
        }
        let sender = self.sender.clone();
        let rollup = self.view.deployment().rollup;
        let tx = self.tx.clone();
        tokio::spawn(async move {
            match sender.send(what, rollup, &call, None).await {
                Ok(o) => {
                    tracing::info!(target: "spn::submitter", "{what} mined (gas {})", o.gas_used)
                }
                Err(e) => tracing::debug!(target: "spn::submitter", "{e}"),
            }
            let _ = tx.send(Internal::Done(what));
        });
    }

    async fn on_internal(&mut self, i: Internal) {
        match i {
            Internal::Results(hash, r, then_submit) => {
                match r {
                    Ok(payloads) => self.on_results(hash, payloads).await,
                    Err(e) => {
                        tracing::debug!(target: "spn::submitter", "results of {}: {e}", short_hash(hash))
                    }
                }
                if then_submit {
                    if let Some(t) = self.tracks.get_mut(&hash) {
                        t.submitting = false;
                    }
                    self.try_submit();
                }
            }
            Internal::Body(hash, r) => {
                let max_height = self.view.params().max_height;
                let Some(t) = self.tracks.get_mut(&hash) else {
                    return;
                };
                match r {
                    Ok(txs) => match messages::check_body(
                        &txs,
                        t.header.height,
                        max_height,
                        t.header.txRoot,
                    ) {
                        Ok(tree) => {
                            t.outputs = tree.job_outputs(t.sched.schedule()).ok();
                            // Results checked before the body was known are checked again here.
                            let outputs = t.outputs.clone().unwrap_or_default();
                            for cands in t.credited.values_mut() {
                                cands.retain(|c| outputs.get(c.job as usize) == Some(&c.output));
                            }
                            self.check_complete(hash);
                        }
                        Err(reason) => {
                            self.metrics.rejected();
                            tracing::warn!(target: "spn::net", agent = "submitter", kind = "block-body", "dropped body of {}: {reason}", short_hash(hash));
                        }
                    },
                    Err(_) => {
                        t.body_tries += 1;
                        if t.body_tries < 40 {
                            self.fetch_body(hash, Duration::from_millis(500));
                        }
                    }
                }
            }
            Internal::Submitted(hash, r) => {
                if let Some(t) = self.tracks.get_mut(&hash) {
                    t.submitting = false;
                    match r {
                        Ok(_) => t.submitted = true,
                        Err(e) => {
                            t.retry_at = Some(Instant::now() + Duration::from_secs(2));
                            tracing::warn!(target: "spn::submitter", "proof of block {} not accepted: {e}", t.header.number);
                        }
                    }
                }
            }
            Internal::Done(what) => {
                self.busy.remove(what);
            }
        }
    }
}
