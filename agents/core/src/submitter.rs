//! The submitter role (anyone): it follows every block, collects and checks the published job
//! results, and once the tree is complete (the proposer's root result is in) assembles the
//! packed transcript with the merge rule of §9.4, checks it with the protocol crate's verifier
//! mirror, and submits the blocks in order before their deadline. The eager submitter also
//! prunes blocks whose window has passed and samples the seed in epochs without any Rollup
//! transaction (§6.4).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use alloy_primitives::{Address, Bytes, B256};
use spn_bindings::Rollup;
use spn_protocol::bls::{self, Signer, Transition};
use spn_protocol::{selection, transcript, tree::BlockTree, Header, SlotSchedule};
use spn_protocol::{BlsSignature, TranscriptBuilder};

use crate::chain::{transition_context, wheel_for};
use crate::cost::CostModel;
use crate::faults::Faults;
use crate::io::{Cx, Input, L1Call, Note, Output, ResultsTag, Timer, TxOutcome};
use crate::messages::{JobResultMsg, TransitionSigMsg};
use crate::proving::{check_body, short_hash};
use crate::reporter::Reporter;
use crate::work::{check_job_result, Candidate, Held};
use crate::L1Event;

/// A missing result is requested (`job-results/1`) once it is overdue: `RESULTS_AFTER` seconds
/// after the cost model says its round should be done (every round before it and itself, one
/// job time and one grace each, from the proposal), then every `RESULTS_RETRY` while it is
/// missing. There is no cap on the tries: the block's window bounds them. (A fixed number of
/// tries gave up before a testnet round-1 job, 106 s, had even finished: `spn sim --scenario
/// loss-5` lost every block.)
const RESULTS_AFTER: f64 = 4.0;
const RESULTS_RETRY: f64 = 3.0;
/// Body fetches per block, and the wait between them.
const BODY_TRIES: u32 = 40;
const BODY_RETRY: f64 = 0.5;
/// Wait before submitting again after a rejected submission.
const SUBMIT_RETRY: f64 = 2.0;

/// How the submitter picks what goes into a transcript: the honest rule, or a rational
/// deviation the simulator measures (PROTOCOL.md §13.5).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Every credited result (the merge rule of §9.4).
    #[default]
    Honest,
    /// The fewest contributions the coverage rule accepts (a stripping front-runner).
    Strip,
    /// Credit these keys wherever the verifier allows one of them for a job, else follow the
    /// merge rule (a large staker who controls the transcript, §9.5).
    Prefer(Vec<alloy_primitives::Address>),
}

/// A transaction of the submitter in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InFlight {
    /// `submitProof` of a block.
    Proof(B256),
    /// `prune` or `sampleSeed`, by name.
    Upkeep(&'static str),
}

#[derive(Debug)]
struct Track {
    header: Header,
    sched: Arc<SlotSchedule>,
    outputs: Option<Vec<B256>>,
    /// Credited candidates per committee job.
    credited: HashMap<u32, Vec<Candidate>>,
    /// Jobs with any valid result (credited or the proposer's).
    done: HashSet<u32>,
    /// Provers seen publishing a valid result (the reporter's evidence of work).
    worked: HashSet<alloy_primitives::Address>,
    /// Verified transition signatures of round-1 members (training wheel), one per signer.
    sigs: BTreeMap<Address, BlsSignature>,
    /// `(held, required)` signatures when the complete block was last found short of its
    /// quorum (the first time is logged at info, a prune while short at warn).
    short_of: Option<(u64, u64)>,
    complete: bool,
    submitting: Option<u64>,
    submitted: bool,
    retry_at: Option<f64>,
    skip: bool,
    body_tries: u32,
    /// When the block was seen on L1.
    seen: f64,
    results_at: Option<f64>,
    asked_before_submit: bool,
}

/// The submitter's core.
#[derive(Debug)]
pub struct Submitter {
    eager: bool,
    cost: CostModel,
    strategy: Strategy,
    faults: Arc<Faults>,
    /// Ordered: the requests of a tick go out in the same order in every run (the simulator's
    /// determinism depends on it).
    tracks: BTreeMap<B256, Track>,
    held: Held,
    /// Transition signatures of blocks not yet seen on L1, held like results (§15.2).
    held_sigs: Vec<(f64, TransitionSigMsg)>,
    in_flight: HashMap<u64, InFlight>,
    next_id: u64,
    sampled_epoch: Option<u64>,
    pruned_for: Option<B256>,
    reporter: Option<Reporter>,
    /// The unproven blocks on L1 were replayed (on the first tick).
    resumed: bool,
}

impl Submitter {
    /// With `eager` it submits as soon as a tree is complete; otherwise only from slot
    /// `s + proofWindow - 1` on (the fallback a staker's node runs in case no submitter did,
    /// §15.4).
    /// `cost` is the provers' cost model (when results are due).
    pub fn new(eager: bool, strategy: Strategy, cost: CostModel, faults: Arc<Faults>) -> Self {
        Self {
            eager,
            cost,
            strategy,
            faults,
            tracks: BTreeMap::new(),
            held: Held::default(),
            held_sigs: Vec::new(),
            in_flight: HashMap::new(),
            next_id: 0,
            sampled_epoch: None,
            pruned_for: None,
            reporter: None,
            resumed: false,
        }
    }

    /// Also files inactivity reports (at most `max_per_block` per proven block) against
    /// round-1 members it saw publish nothing, and finalises reports whose grace is over.
    pub fn with_reporter(mut self, max_per_block: usize) -> Self {
        self.reporter = Some(Reporter::new(max_per_block));
        self
    }

    /// Handles one input (proposals and attestations are not the submitter's business).
    pub fn handle(&mut self, cx: &mut Cx<'_>, input: Input) {
        match input {
            Input::Tick => self.on_tick(cx),
            Input::L1(ev) => self.on_l1(cx, ev),
            Input::JobResult(r) => {
                if cx.chain.header(&r.block_hash).is_none() {
                    self.held.hold(cx.now, r);
                    return;
                }
                if let Err(reason) = self.on_result(cx, r) {
                    cx.reject("job-result", reason);
                }
            }
            Input::TransitionSignature(m) => {
                if cx.chain.header(&m.block_hash).is_none() {
                    if self.held_sigs.len() < Held::MAX {
                        self.held_sigs.push((cx.now, m));
                    }
                    return;
                }
                if let Err(reason) = self.on_signature(cx, m) {
                    cx.reject("transition-signature", reason);
                }
            }
            Input::Results { hash, results, tag } => {
                let mut accepted = 0;
                for r in results {
                    match self.on_result(cx, r) {
                        Ok(()) => accepted += 1,
                        Err(reason) => {
                            cx.reject("job-results", format!("requested result: {reason}"))
                        }
                    }
                }
                if accepted > 0 {
                    tracing::info!(target: "spn::submitter", "block {}: {accepted} job results recovered by request", short_hash(hash));
                }
                if tag == ResultsTag::BeforeSubmit {
                    if let Some(t) = self.tracks.get_mut(&hash) {
                        t.submitting = None;
                    }
                    self.try_submit(cx);
                }
            }
            Input::Body { hash, txs } => self.on_body(cx, hash, txs),
            Input::Timer(Timer::RetryBody(hash)) if self.tracks.contains_key(&hash) => {
                cx.emit(Output::FetchBody { hash, hint: None });
            }
            Input::Timer(Timer::RetrySubmit(_)) => self.try_submit(cx),
            Input::TxDone { id, result } => self.on_tx_done(cx, id, result),
            _ => {}
        }
    }

    fn on_result(&mut self, cx: &mut Cx<'_>, r: JobResultMsg) -> Result<(), String> {
        let outputs = self
            .tracks
            .get(&r.block_hash)
            .and_then(|t| t.outputs.as_deref());
        let c = check_job_result(cx.chain, &r, outputs)?;
        cx.emit(Output::ServeResult(r));
        if let Some(t) = self.tracks.get_mut(&r.block_hash) {
            t.done.insert(c.job);
            t.worked.insert(c.prover);
            if c.credited {
                let v = t.credited.entry(c.job).or_default();
                if !v.iter().any(|x| x.prover == c.prover) {
                    v.push(c);
                }
            }
            self.check_complete(cx, r.block_hash);
        }
        Ok(())
    }

    /// Stage 2 of a transition signature (design §6): the block known and covered by the
    /// wheel; the signer active, in the block's round-1 committee and with a registered BLS
    /// key; then one verification against that key. One signature is kept per (block,
    /// signer); later ones are ignored unverified.
    fn on_signature(&mut self, cx: &mut Cx<'_>, m: TransitionSigMsg) -> Result<(), String> {
        let Some(t) = self.tracks.get_mut(&m.block_hash) else {
            // Proven, pruned or replaced already, or of a slot without a schedule.
            return Ok(());
        };
        if t.sigs.contains_key(&m.signer) {
            return Ok(());
        }
        let number = t.header.number;
        if wheel_for(cx.chain, number).is_none() {
            return Err(format!("the training wheel does not cover block {number}"));
        }
        let ctx = cx
            .chain
            .slot_ctx(t.header.slot)
            .ok_or_else(|| format!("no slot context for slot {}", t.header.slot))?;
        if !ctx.is_active(&m.signer) {
            return Err(format!("{} not active in epoch {}", m.signer, ctx.epoch));
        }
        let score = selection::score(m.signer, ctx.seed);
        if !t
            .sched
            .schedule()
            .in_committee(score, 1, t.sched.active_count())
        {
            return Err(format!(
                "{} not in the round-1 committee of block {number}",
                m.signer
            ));
        }
        let key = cx
            .chain
            .bls_key(m.signer)
            .ok_or_else(|| format!("{} has no registered BLS key", m.signer))?;
        let digest =
            transition_context(cx.chain, m.block_hash, &t.header, t.sched.active_count())?.digest();
        if !bls::verify_aggregate(&m.signature, digest, &[key]) {
            return Err(format!(
                "signature of {} does not verify for block {number}",
                m.signer
            ));
        }
        t.sigs.insert(m.signer, m.signature);
        if t.complete {
            self.try_submit(cx);
        }
        Ok(())
    }

    fn on_l1(&mut self, cx: &mut Cx<'_>, ev: L1Event) {
        match ev {
            L1Event::Proposed { header, hash, .. } => {
                let Some(sched) = cx.chain.schedule(header.slot, header.height) else {
                    return;
                };
                self.tracks.insert(
                    hash,
                    Track {
                        header,
                        sched,
                        outputs: None,
                        credited: HashMap::new(),
                        done: HashSet::new(),
                        worked: HashSet::new(),
                        sigs: BTreeMap::new(),
                        short_of: None,
                        complete: false,
                        submitting: None,
                        submitted: false,
                        retry_at: None,
                        skip: false,
                        body_tries: 0,
                        seen: cx.now,
                        results_at: None,
                        asked_before_submit: false,
                    },
                );
                cx.emit(Output::FetchBody { hash, hint: None });
                for r in self.held.take(hash, cx.now) {
                    let _ = self.on_result(cx, r);
                }
                let now = cx.now;
                let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.held_sigs)
                    .into_iter()
                    .partition(|(_, m)| m.block_hash == hash);
                self.held_sigs = rest
                    .into_iter()
                    .filter(|(t, _)| now - t < Held::FOR)
                    .collect();
                for (_, m) in mine {
                    if let Err(reason) = self.on_signature(cx, m) {
                        cx.reject("transition-signature", format!("held signature: {reason}"));
                    }
                }
            }
            L1Event::Replaced { old, .. } => {
                self.tracks.remove(&old);
            }
            L1Event::Pruned { from, .. } => {
                self.tracks.retain(|_, t| {
                    let keep = t.header.number < from;
                    if let (false, Some((have, required))) = (keep, t.short_of) {
                        tracing::warn!(target: "spn::submitter", "block {} pruned with {} of {required} transition signatures (its round-1 committee did not sign enough)", t.header.number, have.max(t.sigs.len() as u64));
                    }
                    keep
                });
            }
            L1Event::Proven { hash, .. } => {
                if let (Some(t), Some(rep)) = (self.tracks.remove(&hash), self.reporter.as_mut()) {
                    let members = t.sched.committee(1).iter().map(|m| m.address);
                    rep.on_proven(cx, &t.header, members, &t.worked);
                }
            }
            ev @ (L1Event::Reported { .. } | L1Event::Cleared { .. } | L1Event::Struck { .. }) => {
                if let Some(rep) = self.reporter.as_mut() {
                    rep.on_event(cx, &ev);
                }
            }
            L1Event::Claimed { .. } => {}
        }
    }

    fn on_body(&mut self, cx: &mut Cx<'_>, hash: B256, r: Result<Arc<Vec<Bytes>>, String>) {
        let Some(t) = self.tracks.get_mut(&hash) else {
            return;
        };
        match r {
            Ok(txs) => match check_body(cx, &t.header, &txs) {
                Ok(tree) => {
                    set_outputs(t, &tree);
                    self.check_complete(cx, hash);
                }
                Err(reason) => {
                    cx.reject(
                        "block-body",
                        format!("body of {}: {reason}", short_hash(hash)),
                    );
                }
            },
            Err(_) => {
                t.body_tries += 1;
                if t.body_tries < BODY_TRIES {
                    cx.after(BODY_RETRY, Timer::RetryBody(hash));
                }
            }
        }
    }

    fn check_complete(&mut self, cx: &mut Cx<'_>, hash: B256) {
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
        cx.note(Note::TreeComplete(hash));
        if self.faults.take_skip_proof() {
            t.skip = true;
            tracing::warn!(target: "spn::submitter", "fault injection: never submitting the proof of block {} ({})", t.header.number, short_hash(hash));
        }
        self.try_submit(cx);
    }

    fn try_submit(&mut self, cx: &mut Cx<'_>) {
        if self.faults.halted() {
            return;
        }
        let (_, proven) = cx.chain.tips();
        let Some(hash) = proven.checked_add(1).and_then(|n| cx.chain.hash_of(n)) else {
            return;
        };
        let Some(t) = self.tracks.get_mut(&hash) else {
            return;
        };
        if !t.complete
            || t.submitting.is_some()
            || t.submitted
            || t.skip
            || t.retry_at.is_some_and(|r| cx.now < r)
        {
            return;
        }
        let window = cx.chain.params().proof_window;
        if !self.eager && cx.current_slot().saturating_add(1) < t.header.slot.saturating_add(window)
        {
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
                t.submitting = Some(u64::MAX);
                cx.emit(Output::FetchResults {
                    hash,
                    jobs: missing,
                    hint: None,
                    tag: ResultsTag::BeforeSubmit,
                });
                return;
            }
        }
        // With the training wheel, the committee's signatures first: without enough of them
        // the block waits (for more, or until its deadline prunes it).
        let signed = match wheel_for(cx.chain, t.header.number) {
            None => None,
            Some(_) => match signed_transition(cx, t, hash) {
                Ok(Some(transition)) => Some(transition),
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(target: "spn::submitter", "block {}: {e}", t.header.number);
                    t.retry_at = Some(cx.now + SUBMIT_RETRY);
                    cx.after(SUBMIT_RETRY, Timer::RetrySubmit(hash));
                    return;
                }
            },
        };
        let tr = match assemble(cx, t, outputs, &self.strategy) {
            Ok(tr) => tr,
            Err(e) => {
                tracing::warn!(target: "spn::submitter", "block {}: {e}", t.header.number);
                t.retry_at = Some(cx.now + SUBMIT_RETRY);
                cx.after(SUBMIT_RETRY, Timer::RetrySubmit(hash));
                return;
            }
        };
        let id = self.next_id;
        self.next_id += 1;
        t.submitting = Some(id);
        self.in_flight.insert(id, InFlight::Proof(hash));
        let header = (&t.header).into();
        let call = match signed {
            None => L1Call::SubmitProof {
                hash,
                call: Rollup::submitProofCall { header, proof: tr },
            },
            Some(transition) => L1Call::SubmitSignedProof {
                hash,
                call: Rollup::submitSignedProofCall {
                    header,
                    proof: tr,
                    transition,
                },
            },
        };
        cx.emit(Output::Send {
            id,
            call,
            gas_limit: None,
        });
    }

    fn on_tx_done(&mut self, cx: &mut Cx<'_>, id: u64, result: Result<TxOutcome, String>) {
        if let Some(rep) = self.reporter.as_mut() {
            if rep.on_tx_done(id, &result) {
                return;
            }
        }
        let hash = match self.in_flight.remove(&id) {
            None => return,
            Some(InFlight::Upkeep(what)) => {
                if let Err(e) = result {
                    tracing::debug!(target: "spn::submitter", "{what}: {e}");
                }
                return;
            }
            Some(InFlight::Proof(hash)) => hash,
        };
        if let Some(t) = self.tracks.get_mut(&hash) {
            t.submitting = None;
            match result {
                Ok(o) => {
                    t.submitted = true;
                    tracing::info!(target: "spn::submitter", "submitted proof of block {} ({}), gas {}", t.header.number, short_hash(hash), o.gas_used);
                }
                Err(e) => {
                    t.retry_at = Some(cx.now + SUBMIT_RETRY);
                    cx.after(SUBMIT_RETRY, Timer::RetrySubmit(hash));
                    tracing::warn!(target: "spn::submitter", "proof of block {} not accepted: {e}", t.header.number);
                }
            }
        }
    }

    fn on_tick(&mut self, cx: &mut Cx<'_>) {
        if self.faults.halted() {
            return;
        }
        if !std::mem::replace(&mut self.resumed, true) {
            for ev in crate::chain::pending_proposals(cx.chain) {
                self.on_l1(cx, ev);
            }
        }
        self.try_submit(cx);
        // Incomplete trees: request the overdue results from peers (a missed gossip).
        let now = cx.now;
        let cost = self.cost;
        for (hash, t) in self.tracks.iter_mut() {
            if t.complete
                || t.outputs.is_none()
                || t.results_at.is_some_and(|a| now - a < RESULTS_RETRY)
            {
                continue;
            }
            let s = t.sched.schedule();
            let grace = cost.network_grace.as_secs_f64();
            // When each round's results are due: every round up to it, back to back.
            let mut due = Vec::with_capacity(s.rounds() as usize + 1);
            let mut at = t.seen + RESULTS_AFTER;
            due.push(at);
            for r in 1..=s.rounds() {
                at += cost.job_time(s, r).as_secs_f64() + grace;
                due.push(at);
            }
            let missing: Vec<u32> = (0..=s.root_job())
                .filter(|j| !t.done.contains(j))
                .filter(|&j| {
                    let round = s.job_position(j).map(|p| p.0).unwrap_or(1) as usize;
                    due.get(round).is_some_and(|&d| now >= d)
                })
                .take(crate::messages::MAX_RESULT_JOBS)
                .collect();
            if missing.is_empty() {
                continue;
            }
            t.results_at = Some(now);
            cx.emit(Output::FetchResults {
                hash: *hash,
                jobs: missing,
                hint: None,
                tag: ResultsTag::Missing,
            });
        }
        if let Some(rep) = self.reporter.as_mut() {
            rep.on_tick(cx);
        }
        if !self.eager {
            // Pruning and seed sampling are left to the eager submitter and to proposals.
            return;
        }
        let p = cx.chain.params();
        let slot = cx.current_slot();
        // Prune an unproven block whose window has passed (propose does it too).
        let (pending, proven) = cx.chain.tips();
        if pending > proven {
            if let Some(h) = cx
                .chain
                .hash_of(proven + 1)
                .and_then(|h| cx.chain.header(&h))
            {
                let hash = h.hash();
                if slot > h.slot.saturating_add(p.proof_window)
                    && self.pruned_for != Some(hash)
                    && cx.into_slot(slot) > 1.0
                {
                    self.pruned_for = Some(hash);
                    self.call(cx, L1Call::Prune);
                }
            }
        }
        // Sample the seed early in an epoch without Rollup transactions (§6.4).
        let epoch = cx.chain.clock().epoch_of(slot);
        let first = cx.chain.clock().first_slot(epoch).unwrap_or(0);
        if self.sampled_epoch != Some(epoch) && slot > first {
            self.sampled_epoch = Some(epoch);
            if cx.chain.last_rollup_event_slot().is_none_or(|s| s < first) {
                self.call(cx, L1Call::SampleSeed);
            }
        }
    }

    fn call(&mut self, cx: &mut Cx<'_>, call: L1Call) {
        // One of each kind in flight.
        let what = InFlight::Upkeep(call.name());
        if self.in_flight.values().any(|f| *f == what) {
            return;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.in_flight.insert(id, what);
        cx.emit(Output::Send {
            id,
            call,
            gas_limit: None,
        });
    }
}

/// The signed transition of a block the wheel covers (design §3.3, §6): `None` while fewer than
/// `required` verified signatures are in; else the `required` lowest signer addresses (each more
/// costs ≈ 5.3k gas and pays nobody), aggregated, encoded with the signers' epochs from the chain
/// state and checked with the verifier's mirror ([`bls::verify_packed`]) before it is sent.
fn signed_transition(cx: &Cx<'_>, t: &mut Track, hash: B256) -> Result<Option<Bytes>, String> {
    let h = &t.header;
    let ctx = transition_context(cx.chain, hash, h, t.sched.active_count())?;
    let quorum = ctx.quorum().map_err(|e| format!("quorum: {e}"))?;
    let have = t.sigs.len() as u64;
    if have < quorum.required {
        if t.short_of.replace((have, quorum.required)).is_none() {
            tracing::info!(target: "spn::submitter", "block {}: {have} of {} transition signatures required, waiting (expected committee {})", h.number, quorum.required, quorum.expected);
        } else {
            tracing::debug!(target: "spn::submitter", "block {}: {have} of {} transition signatures", h.number, quorum.required);
        }
        return Ok(None);
    }
    let take = usize::try_from(quorum.required).map_err(|e| e.to_string())?;
    let mut parts = Vec::with_capacity(take);
    let mut records = HashMap::with_capacity(take);
    for (&address, &sig) in t.sigs.iter().take(take) {
        let key = cx
            .chain
            .bls_key(address)
            .ok_or_else(|| format!("{address}: no BLS key"))?;
        let s = cx
            .chain
            .staker(address)
            .ok_or_else(|| format!("{address}: not a staker"))?;
        let epoch = |e: u64| u32::try_from(e).map_err(|_| format!("{address}: epoch {e}"));
        let signer = Signer::new(
            address,
            epoch(s.activation_epoch)?,
            epoch(s.exit_epoch)?,
            &key,
        );
        records.insert(address, signer.record());
        parts.push((signer, sig));
    }
    let transition = Transition::aggregate(parts).map_err(|e| e.to_string())?;
    let verified = transition
        .verify(&ctx, |a| records.get(&a).copied().unwrap_or_default())
        .map_err(|e| format!("signed transition rejected locally: {e}"))?;
    tracing::debug!(target: "spn::submitter", "block {}: transition signed by {} of {} members, post-state {}", h.number, verified.signers, have, verified.post_state_root);
    transition
        .encode()
        .map(Bytes::from)
        .map(Some)
        .map_err(|e| e.to_string())
}

fn set_outputs(t: &mut Track, tree: &BlockTree) {
    t.outputs = tree.job_outputs(t.sched.schedule()).ok();
    // Results checked before the body was known are checked again here.
    let outputs = t.outputs.clone().unwrap_or_default();
    for cands in t.credited.values_mut() {
        cands.retain(|c| outputs.get(c.job as usize) == Some(&c.output));
    }
}

/// Builds the block's transcript with `strategy` and checks it with the verifier mirror.
fn assemble(
    cx: &Cx<'_>,
    t: &Track,
    outputs: Vec<B256>,
    strategy: &Strategy,
) -> Result<Bytes, String> {
    let ctx = cx.chain.slot_ctx(t.header.slot).ok_or("no slot context")?;
    let s = t.sched.schedule();
    // Merge rule (§9.4): per job the assigned prover, else a neighbour; lowest score first.
    let mut chosen: Vec<(u32, &Candidate)> = t
        .credited
        .iter()
        .filter_map(|(&job, cands)| {
            let preferred = match strategy {
                Strategy::Prefer(keys) => cands
                    .iter()
                    .filter(|c| keys.contains(&c.prover))
                    .min_by_key(|c| c.merge_key()),
                _ => None,
            };
            preferred
                .or_else(|| cands.iter().min_by_key(|c| c.merge_key()))
                .map(|c| (job, c))
        })
        .collect();
    chosen.sort_by_key(|(j, _)| *j);
    if *strategy == Strategy::Strip {
        // Keep only as many jobs as the coverage rule requires: the cheapest to verify first
        // (the submitter's own gas), i.e. any; keep the lowest job ids.
        let need = spn_protocol::rewards::required_jobs(
            u64::from(s.prover_jobs()),
            cx.chain.params().min_coverage_bps,
        );
        chosen.truncate(usize::try_from(need).unwrap_or(usize::MAX));
    }
    let mut b = TranscriptBuilder::new(outputs);
    for (job, c) in chosen {
        let _ = b.add(c.prover, job, c.sig);
    }
    let tr = b.build();
    let vctx = transcript::VerifyContext {
        block_hash: t.header.hash(),
        epoch: ctx.epoch,
        slot_seed: ctx.seed,
        tx_root: t.header.txRoot,
        height: t.header.height,
        active_count: t.sched.active_count(),
    };
    let verdict = tr
        .verify(cx.chain.params(), cx.chain.domain(), &vctx, |a| {
            ctx.is_active(&a)
        })
        .map_err(|e| format!("transcript rejected locally: {e}"))?;
    tracing::debug!(target: "spn::submitter",
        "block {}: transcript with {} provers, {} unfilled jobs",
        t.header.number, verdict.distinct_provers, verdict.unfilled_jobs);
    tr.encode().map(Bytes::from).map_err(|e| e.to_string())
}
