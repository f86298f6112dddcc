//! The proving engine of one staking key: for every L1 block where the key has a duty (a member
//! of the proving committee, or the block's proposer) it starts each job as soon as its inputs
//! are published: its own jobs at once; neighbourhood jobs whose owners are missing after
//! `fillDelay`, in score order (§9.3); as proposer the root job, the jobs no member can do, and
//! from `s + proofWindow/2` every job still missing (the unpaid fallback, §9.6).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use alloy_primitives::{Address, Bytes, B256, U256};
use spn_protocol::BlsSecretKey;
use spn_protocol::{selection, tree::BlockTree, Header, SlotSchedule, StakingKey};

use crate::chain::{transition_context, wheel_for};
use crate::cost::CostModel;
use crate::faults::Faults;
use crate::io::{Cx, JobKind, Msg, Note, Output, ProveTask, ResultsTag, Timer};
use crate::messages::{self, JobResultMsg, StartedMsg, TransitionSigMsg};
use crate::work::{check_eligible, check_job_result, children, Held};

/// How many times the late inputs of one job are requested.
const LATE_ASKS: u32 = 5;
/// Seconds between two requests for late inputs.
const LATE_RETRY: f64 = 2.0;

#[derive(Debug)]
struct Work {
    header: Header,
    sched: Arc<SlotSchedule>,
    my_score: U256,
    in_committee: bool,
    proposer: bool,
    outputs: Option<Vec<B256>>,
    /// The tree's leaves, padded (empty until the body is known): round-1 jobs' inputs.
    leaves: Vec<B256>,
    /// Jobs with a valid published result (anyone's, including ours).
    done: HashSet<u32>,
    /// Jobs we started (or scheduled a fill check for).
    started: HashSet<u32>,
    /// Jobs being proven now, and in which capacity.
    proving: HashMap<u32, JobKind>,
    /// Fills scheduled: the capacity, and the filler's turn (in network graces).
    fills: HashMap<u32, (JobKind, u32)>,
    /// When another prover's signed start of each job was first seen (the liveness signal).
    announced: HashMap<u32, f64>,
    /// Fills already deferred once for an announced start (then they run, §9.3's backstop).
    deferred: HashSet<u32>,
    fallback: bool,
    /// Jobs whose late inputs were requested, with the number of requests.
    children_asked: HashMap<u32, u32>,
    /// Whether missing results were requested before the fallback.
    fallback_asked: bool,
    /// Whether the key signed the block's state transition (training wheel).
    signed_transition: bool,
}

/// The proving engine (see the module docs).
#[derive(Debug)]
pub struct Proving {
    me: Address,
    committee: bool,
    greedy: bool,
    liveness: bool,
    cost: CostModel,
    blocks: HashMap<B256, Work>,
    held: Held,
    /// The key's BLS key (derived from the staking key), which signs transitions.
    bls: BlsSecretKey,
}

/// A block the engine finished with when it was proven: what the claim needs.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The block's schedule.
    pub sched: Arc<SlotSchedule>,
    /// Whether the key was on its committee.
    pub in_committee: bool,
}

impl Proving {
    /// An engine for `me`; `committee` when the key proves as a committee member (a prover),
    /// not only as a proposer; `greedy` to fill every neighbourhood job at once (see
    /// [`crate::StakerConfig::greedy`]). `bls` signs the transitions of blocks whose round-1
    /// committee the key is on while the training wheel covers them.
    pub fn new(
        me: Address,
        committee: bool,
        cost: CostModel,
        greedy: bool,
        liveness: bool,
        bls: BlsSecretKey,
    ) -> Self {
        Self {
            bls,
            me,
            committee,
            greedy,
            liveness,
            cost,
            blocks: HashMap::new(),
            held: Held::default(),
        }
    }

    /// Outputs of block `hash`'s jobs, once its body is known.
    pub fn has_outputs(&self, hash: &B256) -> bool {
        self.blocks.get(hash).is_some_and(|w| w.outputs.is_some())
    }

    /// Whether the engine works on `hash`.
    pub fn tracks(&self, hash: &B256) -> bool {
        self.blocks.contains_key(hash)
    }

    /// Blocks the engine works on.
    pub fn blocks(&self) -> impl Iterator<Item = &B256> {
        self.blocks.keys()
    }

    /// A block was proposed on L1: takes it on if the key has a duty in it. `body` is its body
    /// if already held. Returns whether the engine needs the body fetched.
    pub fn on_proposed(
        &mut self,
        cx: &mut Cx<'_>,
        key: &StakingKey,
        header: &Header,
        hash: B256,
        body: Option<&Arc<Vec<Bytes>>>,
    ) -> bool {
        let proposer = header.proposer == self.me;
        if !self.committee && !proposer {
            return false;
        }
        let Some((sched, my_score, in_committee)) = self.place(cx, header) else {
            return false;
        };
        if !in_committee && !proposer {
            return false;
        }
        let tree =
            body.and_then(|b| BlockTree::from_transactions(u32::from(header.height), b).ok());
        let outputs = tree
            .as_ref()
            .and_then(|t| t.job_outputs(sched.schedule()).ok());
        let leaves = leaves_of(tree.as_ref());
        let need_body = outputs.is_none();
        self.blocks.insert(
            hash,
            Work {
                header: header.clone(),
                sched,
                my_score,
                in_committee,
                proposer,
                outputs,
                leaves,
                done: HashSet::new(),
                started: HashSet::new(),
                proving: HashMap::new(),
                fills: HashMap::new(),
                announced: HashMap::new(),
                deferred: HashSet::new(),
                fallback: false,
                children_asked: HashMap::new(),
                fallback_asked: false,
                signed_transition: false,
            },
        );
        if proposer {
            let at = header
                .slot
                .saturating_add(cx.chain.params().proof_window / 2);
            let wait = cx.slot_start(at) - cx.now;
            cx.after(wait, Timer::Fallback(hash));
        }
        // Results that arrived before the L1 event.
        for r in self.held.take(hash, cx.now) {
            if let Err(reason) = self.on_result(cx, key, r) {
                cx.reject("job-result", format!("held result: {reason}"));
            }
        }
        self.pump(cx, key, hash);
        need_body
    }

    /// The body of `hash` arrived and matched its root.
    pub fn on_body(&mut self, cx: &mut Cx<'_>, key: &StakingKey, hash: B256, tree: &BlockTree) {
        if let Some(w) = self.blocks.get_mut(&hash) {
            if w.outputs.is_none() {
                w.outputs = tree.job_outputs(w.sched.schedule()).ok();
                w.leaves = leaves_of(Some(tree));
            }
            self.pump(cx, key, hash);
        }
    }

    /// A job result from the network (gossip or a response). Checked like the verifier checks
    /// it; a result for a block not yet on L1 is held briefly (§15.2).
    pub fn on_result(
        &mut self,
        cx: &mut Cx<'_>,
        key: &StakingKey,
        r: JobResultMsg,
    ) -> Result<(), String> {
        if cx.chain.header(&r.block_hash).is_none() {
            self.held.hold(cx.now, r);
            return Ok(());
        }
        let outputs = self
            .blocks
            .get(&r.block_hash)
            .and_then(|w| w.outputs.as_deref());
        let c = check_job_result(cx.chain, &r, outputs)?;
        // Served to `job-results/1` requests of peers that missed it.
        cx.emit(Output::ServeResult(r));
        if let Some(w) = self.blocks.get_mut(&r.block_hash) {
            if w.done.insert(c.job) {
                self.pump(cx, key, r.block_hash);
            }
        }
        Ok(())
    }

    /// Results received by request, checked exactly like gossiped ones.
    pub fn on_results(
        &mut self,
        cx: &mut Cx<'_>,
        key: &StakingKey,
        hash: B256,
        results: Vec<JobResultMsg>,
        tag: ResultsTag,
    ) {
        let mut accepted = 0;
        for r in results {
            match self.on_result(cx, key, r) {
                Ok(()) => accepted += 1,
                Err(reason) => cx.reject("job-results", format!("requested result: {reason}")),
            }
        }
        if accepted > 0 {
            tracing::debug!(target: "spn::prover", agent = %short(self.me), "block {}: {accepted} job results recovered by request", short_hash(hash));
        }
        if tag == ResultsTag::BeforeFallback {
            self.on_fallback(cx, key, hash);
        }
    }

    /// Forgets blocks (replaced, pruned); returns the ones it held.
    pub fn forget(&mut self, pred: impl Fn(&Header) -> bool) -> Vec<B256> {
        let dropped: Vec<B256> = self
            .blocks
            .iter()
            .filter(|(_, w)| pred(&w.header))
            .map(|(h, _)| *h)
            .collect();
        for h in &dropped {
            self.blocks.remove(h);
        }
        dropped
    }

    /// The key's place in `header`'s block: the block's schedule, the key's score in its slot,
    /// and whether it is on the committee (as a prover, active in the slot's epoch, in round 1).
    fn place(&self, cx: &Cx<'_>, header: &Header) -> Option<(Arc<SlotSchedule>, U256, bool)> {
        let sched = cx.chain.schedule(header.slot, header.height)?;
        let ctx = cx.chain.slot_ctx(header.slot)?;
        let my_score = selection::score(self.me, ctx.seed);
        let in_committee = self.committee
            && ctx.is_active(&self.me)
            && sched
                .schedule()
                .in_committee(my_score, 1, sched.active_count());
        Some((sched, my_score, in_committee))
    }

    /// The block was proven: the engine is done with it. A block it never took on (proposed
    /// before the agent started, e.g. before a restart) is placed from the chain, so that a
    /// share earned before a restart is still claimed.
    pub fn finish(&mut self, cx: &Cx<'_>, hash: &B256) -> Option<Finished> {
        if let Some(w) = self.blocks.remove(hash) {
            return Some(Finished {
                sched: w.sched,
                in_committee: w.in_committee,
            });
        }
        let header = cx.chain.header(hash)?;
        let (sched, _, in_committee) = self.place(cx, &header)?;
        Some(Finished {
            sched,
            in_committee,
        })
    }

    /// The training wheel's signature (design §6): a round-1 member signs block `hash`'s
    /// `StateTransition(blockHash, txRoot, pre, post)` once, when the wheel covers the block,
    /// the key holds its checked body and has accepted the proposer's root result (the proposer
    /// computes the root only once every input is in: the tree is complete), and its BLS key is
    /// registered (the submitter has no use for a signature it cannot check). The pre-state is
    /// folded from L1 ([`crate::Chain::pre_state_root`]).
    fn maybe_sign(&mut self, cx: &mut Cx<'_>, hash: B256) {
        let Some(w) = self.blocks.get_mut(&hash) else {
            return;
        };
        if w.signed_transition || !w.in_committee || w.outputs.is_none() {
            return;
        }
        if !w.done.contains(&w.sched.schedule().root_job()) {
            return;
        }
        let number = w.header.number;
        if wheel_for(cx.chain, number).is_none()
            || cx.chain.bls_key(self.me) != Some(*self.bls.public_key())
        {
            return;
        }
        let Ok(ctx) = transition_context(cx.chain, hash, &w.header, w.sched.active_count()) else {
            return;
        };
        let digest = ctx.digest();
        w.signed_transition = true;
        tracing::debug!(target: "spn::prover", agent = %short(self.me), "block {number} ({}): signed the state transition", short_hash(hash));
        cx.emit(Output::Publish(Msg::TransitionSignature(
            TransitionSigMsg {
                block_hash: hash,
                signer: self.me,
                signature: self.bls.sign_transition(digest),
            },
        )));
    }

    /// Starts every job of `hash` this key should do and whose inputs are published (and signs
    /// its transition once the tree is complete, [`Self::maybe_sign`]).
    fn pump(&mut self, cx: &mut Cx<'_>, key: &StakingKey, hash: B256) {
        self.maybe_sign(cx, hash);
        let Some(w) = self.blocks.get(&hash) else {
            return;
        };
        if w.outputs.is_none() {
            return;
        }
        let sched = w.sched.clone();
        let s = sched.schedule();
        let n = sched.active_count();
        let cost = self.cost;
        // (job, kind, delay before starting: 0 for an own job, the filler's wait otherwise)
        let mut starts: Vec<(u32, JobKind, f64)> = Vec::new();
        let mut late: Vec<(u32, f64)> = Vec::new();
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
                    if w.started.contains(&job) || w.done.contains(&job) {
                        continue;
                    }
                    if !ready(job) {
                        if index == own && round > 1 && !w.children_asked.contains_key(&job) {
                            // Its inputs are due after the rounds below; ask if they are late.
                            let due: f64 = (1..round)
                                .map(|r| cost.fill_delay(s, r).as_secs_f64())
                                .sum();
                            late.push((job, due));
                        }
                        continue;
                    }
                    if index == own {
                        starts.push((job, JobKind::Own, 0.0));
                    } else {
                        // The k-th filler (ascending score) checks after k + 1 network graces
                        // (k with no owner at all) whether anyone announced a start (§9.3).
                        let owners = sched.job_owners(job).count();
                        let rank = sched
                            .fillers(job)
                            .filter(|m| s.job_of(m.score, round) != index)
                            .position(|m| m.address == self.me)
                            .unwrap_or(0);
                        let turn = if self.greedy {
                            0
                        } else {
                            rank as u32 + u32::from(owners > 0)
                        };
                        starts.push((job, JobKind::Fill, f64::from(turn)));
                    }
                }
            }
        }
        if w.proposer {
            let root = s.root_job();
            let unfilled: HashSet<u32> = sched.unfilled_jobs().iter().copied().collect();
            for job in 0..=root {
                if w.started.contains(&job) || w.done.contains(&job) || !ready(job) {
                    continue;
                }
                let kind = if job == root {
                    JobKind::Root
                } else if unfilled.contains(&job) {
                    JobKind::Unfilled
                } else if w.fallback {
                    JobKind::Fallback
                } else if self.liveness {
                    // The proposer is the last filler of every job: after every member's turn
                    // passed with no start announced, it proves the job unpaid (§9.6).
                    let turn = sched.fillers(job).count() as u32 + 1;
                    starts.push((job, JobKind::Fallback, f64::from(turn)));
                    continue;
                } else {
                    continue;
                };
                starts.push((job, kind, 0.0));
            }
        }
        let w = self.blocks.get_mut(&hash).expect("present");
        for (job, due) in late {
            w.children_asked.insert(job, 0);
            cx.after(due, Timer::ChildrenLate(hash, job));
        }
        let grace = cost.network_grace.as_secs_f64();
        let liveness = self.liveness;
        for (job, kind, turn) in starts {
            w.started.insert(job);
            if turn > 0.0 || kind == JobKind::Fill {
                w.fills.insert(job, (kind, turn as u32));
                // Without the liveness signal a turn lasts a whole fill delay (the job's time
                // plus the grace): a filler cannot tell a slow owner from a missing one.
                let unit = if liveness {
                    grace
                } else {
                    let round = s.job_position(job).map(|p| p.0).unwrap_or(1);
                    cost.fill_delay(s, round).as_secs_f64()
                };
                cx.after(unit * turn, Timer::FillCheck(hash, job));
            } else {
                start_job(liveness, cx, key, w, hash, job, kind, cost);
            }
        }
    }

    /// Another prover's signed start of a job: fillers of that job stand back (§9.3).
    pub fn on_started(&mut self, cx: &mut Cx<'_>, m: &StartedMsg) -> Result<(), String> {
        let Some(w) = self.blocks.get_mut(&m.block_hash) else {
            // Only blocks this key works on; an unknown one costs nothing.
            return Ok(());
        };
        if w.announced.contains_key(&m.job) {
            return Ok(());
        }
        check_eligible(cx.chain, &m.block_hash, m.job, m.prover)?;
        w.announced.insert(m.job, cx.now);
        Ok(())
    }

    /// A filler's turn for job `job` came: proves it unless its result arrived or someone
    /// announced a start; an announced start is trusted for one job time (plus the turn), then
    /// the filler proves anyway (a member that announced and vanished).
    pub fn on_fill_check(&mut self, cx: &mut Cx<'_>, key: &StakingKey, hash: B256, job: u32) {
        let cost = self.cost;
        let greedy = self.greedy;
        let Some(w) = self.blocks.get_mut(&hash) else {
            return;
        };
        let Some(&(kind, turn)) = w.fills.get(&job) else {
            return;
        };
        if w.done.contains(&job) && !greedy {
            return;
        }
        let s = w.sched.schedule();
        let round = s.job_position(job).map(|p| p.0).unwrap_or(1);
        if let Some(&seen) = w.announced.get(&job) {
            if !greedy && w.deferred.insert(job) {
                let grace = cost.network_grace.as_secs_f64();
                let at =
                    seen + cost.job_time(s, round).as_secs_f64() + grace * f64::from(turn.max(1));
                if at > cx.now {
                    cx.after(at - cx.now, Timer::FillCheck(hash, job));
                    return;
                }
            }
        }
        tracing::debug!(target: "spn::prover", agent = %short(self.me), "filling job {job} of {}", short_hash(hash));
        w.fills.remove(&job);
        start_job(self.liveness, cx, key, w, hash, job, kind, cost);
    }

    /// Job `job` of `hash` is proven: signs and publishes its result. Returns the block's
    /// header and the result when it is one the key may be credited for (evidence against an
    /// inactivity report).
    pub fn on_proved(
        &mut self,
        cx: &mut Cx<'_>,
        key: &StakingKey,
        faults: &Faults,
        hash: B256,
        job: u32,
        computed: Option<B256>,
    ) -> Option<(Header, JobResultMsg)> {
        let w = self.blocks.get_mut(&hash)?;
        let outputs = w.outputs.as_ref()?;
        let expected = *outputs.get(job as usize)?;
        if let Some(got) = computed.filter(|o| *o != expected) {
            // A faulty backend: nothing is signed, and the job stays started but undone, so
            // the fill and fallback rules cover it (§9.3, §9.6).
            cx.reject(
                "prover",
                format!(
                    "job {job} of {}: backend output {got} is not {expected}",
                    short_hash(hash)
                ),
            );
            return None;
        }
        let kind = w.proving.remove(&job).unwrap_or(JobKind::Own);
        // A fill or fallback someone else already published is not repeated (except by a
        // greedy prover, who wants its own result in the transcript).
        if w.done.contains(&job) && kind != JobKind::Own && !(self.greedy && kind == JobKind::Fill)
        {
            return None;
        }
        let s = w.sched.schedule();
        let output = expected;
        let msg = JobResultMsg {
            block_hash: hash,
            job,
            output,
            prover: self.me,
            sig: key.sign_job_result(cx.chain.domain(), hash, job, output),
        };
        if kind == JobKind::Root {
            tracing::info!(target: "spn::sequencer", agent = %short(self.me), "block {} ({}): root job done, tree complete", w.header.number, short_hash(hash));
        }
        tracing::debug!(target: "spn::prover", agent = %short(self.me), "proved job {job} of {} ({kind:?})", short_hash(hash));
        w.done.insert(job);
        cx.note(Note::JobDone {
            hash,
            job,
            how: kind,
        });
        cx.emit(Output::ServeResult(msg));
        cx.emit(Output::Publish(Msg::JobResult(msg)));
        if faults.take_forge() {
            let root = s.root_job();
            let wrong = B256::repeat_byte(0xee);
            let domain = cx.chain.domain().clone();
            let forged = [
                // A wrong output, properly signed.
                JobResultMsg {
                    output: wrong,
                    sig: key.sign_job_result(&domain, hash, job, wrong),
                    ..msg
                },
                // The root job, which only the proposer may sign.
                JobResultMsg {
                    job: root,
                    output: outputs[root as usize],
                    sig: key.sign_job_result(&domain, hash, root, outputs[root as usize]),
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
                cx.emit(Output::Publish(Msg::JobResult(f)));
            }
            // Oversized garbage.
            cx.emit(Output::Publish(Msg::RawJobResult(Bytes::from(vec![
                0xab;
                300
            ]))));
        }
        let header = w.header.clone();
        self.pump(cx, key, hash);
        matches!(kind, JobKind::Own | JobKind::Fill).then_some((header, msg))
    }

    /// The inputs of own job `job` are late: asks peers for them, a few times.
    pub fn on_children_late(
        &mut self,
        cx: &mut Cx<'_>,
        hash: B256,
        job: u32,
        hint: Option<String>,
    ) {
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
        if *tries > LATE_ASKS {
            return;
        }
        tracing::info!(target: "spn::prover", agent = %short(self.me), "block {}: {} inputs of job {job} are late, requesting them", short_hash(hash), missing.len());
        cx.emit(Output::FetchResults {
            hash,
            jobs: missing,
            hint,
            tag: ResultsTag::Late,
        });
        cx.after(LATE_RETRY, Timer::ChildrenLate(hash, job));
    }

    /// The proposer's fallback window for `hash` began (or its request for missing results
    /// came back): missing jobs are requested once, then proven unpaid.
    pub fn on_fallback_timer(
        &mut self,
        cx: &mut Cx<'_>,
        key: &StakingKey,
        hash: B256,
        hint: Option<String>,
    ) {
        if let Some(w) = self.blocks.get_mut(&hash) {
            if !w.fallback_asked {
                w.fallback_asked = true;
                let missing: Vec<u32> = (0..w.sched.schedule().prover_jobs())
                    .filter(|j| !w.done.contains(j))
                    .collect();
                if !missing.is_empty() {
                    cx.emit(Output::FetchResults {
                        hash,
                        jobs: missing,
                        hint,
                        tag: ResultsTag::BeforeFallback,
                    });
                    return;
                }
            }
        }
        self.on_fallback(cx, key, hash);
    }

    fn on_fallback(&mut self, cx: &mut Cx<'_>, key: &StakingKey, hash: B256) {
        if let Some(w) = self.blocks.get_mut(&hash) {
            let prover_jobs = w.sched.schedule().prover_jobs();
            let missing = (0..prover_jobs).filter(|j| !w.done.contains(j)).count();
            if missing > 0 {
                tracing::info!(target: "spn::sequencer", agent = %short(self.me), "block {}: proving {missing} missing jobs as fallback (unpaid)", w.header.number);
            }
            w.fallback = true;
            self.pump(cx, key, hash);
        }
    }
}

/// Starts proving `job` in capacity `kind`, announcing the start unless nobody else could do it.
#[allow(clippy::too_many_arguments)]
fn start_job(
    liveness: bool,
    cx: &mut Cx<'_>,
    key: &StakingKey,
    w: &mut Work,
    hash: B256,
    job: u32,
    kind: JobKind,
    cost: CostModel,
) {
    w.proving.insert(job, kind);
    let s = w.sched.schedule();
    let round = s.job_position(job).map(|p| p.0).unwrap_or(1);
    if liveness && matches!(kind, JobKind::Own | JobKind::Fill | JobKind::Fallback) {
        cx.emit(Output::Publish(Msg::Started(StartedMsg::sign(
            key,
            cx.chain.domain(),
            hash,
            job,
        ))));
    }
    cx.emit(Output::Prove {
        hash,
        job,
        seconds: cost.job_time(s, round).as_secs_f64(),
        task: Arc::new(prove_task(w, job)),
    });
}

/// The leaves of a block's tree (level 0, padded), or none.
fn leaves_of(tree: Option<&BlockTree>) -> Vec<B256> {
    tree.and_then(|t| t.level(0).ok())
        .map(<[B256]>::to_vec)
        .unwrap_or_default()
}

/// What a proving backend gets for `job`: its position, its inputs (the leaves of its subtree in
/// round 1, the outputs of its children after) and the output they must hash to.
fn prove_task(w: &Work, job: u32) -> ProveTask {
    let s = w.sched.schedule();
    let (round, index) = s.job_position(job).unwrap_or((1, 0));
    let outputs = w.outputs.as_deref().unwrap_or_default();
    let inputs = if round <= 1 {
        let width = 1usize << s.subtree_height(1);
        let first = (index as usize).saturating_mul(width);
        w.leaves.get(first..first.saturating_add(width))
    } else {
        let c = children(s, job);
        outputs.get(c.start as usize..c.end as usize)
    };
    ProveTask {
        round,
        level: s.level(round),
        index,
        inputs: inputs.map(<[B256]>::to_vec).unwrap_or_default(),
        output: outputs.get(job as usize).copied().unwrap_or_default(),
    }
}

/// Checks a body against its header and returns its tree.
pub fn check_body(cx: &Cx<'_>, header: &Header, txs: &[Bytes]) -> Result<BlockTree, String> {
    messages::check_body(
        txs,
        header.height,
        cx.chain.params().max_height,
        header.txRoot,
    )
}

/// First bytes of an address, for logs.
pub fn short(a: Address) -> String {
    format!("{a}")[..8].to_string()
}

/// First bytes of a hash, for logs.
pub fn short_hash(h: B256) -> String {
    format!("{h}")[..10].to_string()
}
