//! The discrete-event simulator: every agent's real core ([`spn_core::Staker`],
//! [`spn_core::Submitter`]) under a simulated clock and network, with the real contracts in revm
//! ([`SimL1`]) as L1. One seed gives one run, byte for byte: events are ordered by (time,
//! sequence number) and every random draw comes from one seeded generator.
//!
//! Two shortcuts keep `testnet-2048` within minutes, neither changing what an agent does:
//! - signed messages are decoded and their signatures recovered once, by the sender's side, and
//!   delivered typed (the node's runtime decodes each payload it receives, to the same value);
//! - gossip reaches the agents that act on it: a job result goes to the block's proposer, the
//!   submitter, and the members whose neighbourhood holds the job or the job it feeds (everyone
//!   else's core ignores it); an attestation goes to the proposer of its block.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use spn_bindings::Rollup;
use spn_core::cost::CostModel;
use spn_core::faults::Faults;
use spn_core::io::{JobKind, L1Call, Msg, Note, ResultsTag, TxOutcome};
use spn_core::work::children;
use spn_core::{Chain, ChainState, Cx, Input, L1Event, Output, Staker, StakerConfig, Submitter};
use spn_protocol::{StakingKey, Transcript};

use crate::l1::SimL1;
use crate::report::{Report, Stats};
use crate::rng::Rng;
use crate::scenario::{Mode, Scenario};

/// Seconds between L1 blocks: Ethereum's 12 s, but at most a sixth of a slot (1 s at the
/// devnet's 6 s slots, as its anvil mines), so that a transaction sent in a slot lands in it.
fn l1_block_time(slot_duration: u64) -> u64 {
    (slot_duration / 6).clamp(1, 12)
}
/// How often the submitter is fed the time.
const SUBMITTER_TICK: f64 = 1.0;
/// How long a request no peer can answer takes to fail.
const REQUEST_TIMEOUT: f64 = 1.0;
/// Address the submitter sends from.
const SUBMITTER: Address = Address::repeat_byte(0x5b);

type Time = u64; // microseconds of L1 time

fn us(seconds: f64) -> Time {
    if !seconds.is_finite() || seconds <= 0.0 {
        return 0;
    }
    (seconds * 1e6).min(1e18) as Time
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Who {
    Staker(usize),
    Submitter,
}

// Nearly every event is a delivery; boxing it would allocate once more per delivery.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Ev {
    /// An input for an agent, valid for its incarnation.
    Deliver(Who, u32, Input),
    Slot(u64),
    L1Block,
    SubmitterTick,
    Crash(usize, f64),
    Restart(usize),
}

struct Node {
    key: StakingKey,
    withdrawer: Address,
    cfg: StakerConfig,
    faults: Arc<Faults>,
    core: Option<Staker>,
    incarnation: u32,
    /// Place in [0, 1): partitions cut off the nodes below their share.
    place: f64,
    large: bool,
}

/// Jobs of a block and who acts on their results.
struct Interest {
    by_job: Vec<Vec<usize>>,
    proposer: Option<usize>,
    /// With the training wheel: the round-1 members, who sign the transition once the root
    /// result is in (design §6); they get the root result.
    signers: Vec<usize>,
}

/// A simulation in progress.
pub struct Sim {
    sc: Scenario,
    seed: u64,
    l1: SimL1,
    chain: ChainState,
    cost: CostModel,
    nodes: Vec<Node>,
    index: HashMap<Address, usize>,
    submitter: Submitter,
    queue: BinaryHeap<Reverse<(Time, u64)>>,
    events: HashMap<u64, Ev>,
    seq: u64,
    now: Time,
    rng: Rng,
    pending_txs: Vec<(Who, u64, Address, L1Call)>,
    bodies: HashMap<B256, (Arc<Vec<Bytes>>, Vec<usize>)>,
    results: HashMap<B256, HashMap<u32, Vec<spn_core::messages::JobResultMsg>>>,
    interest: HashMap<B256, Interest>,
    proposals: HashMap<B256, usize>,
    transcripts: HashMap<u64, Arc<Transcript>>,
    start_slot: u64,
    end_slot: u64,
    stats: Stats,
    progress: Option<Box<dyn FnMut(u64, u64)>>,
}

impl Sim {
    /// Builds the world of `sc` with `seed`: keys, the contracts deployed in revm with every key
    /// registered, and an agent per online key. `work_dir` caches the compiled contracts.
    pub fn new(sc: Scenario, seed: u64, work_dir: &std::path::Path) -> Result<Self, String> {
        if sc.mode != Mode::Agents {
            return Err(
                "a statistical scenario runs with stats::run, not the agent simulator".into(),
            );
        }
        let params = sc.base_params()?;
        let mut rng = Rng::new(seed);
        let keys: Vec<StakingKey> = (0..sc.stakers)
            .map(|i| {
                let b = keccak256(
                    [
                        b"spn.sim.key".as_slice(),
                        &seed.to_be_bytes(),
                        &i.to_be_bytes(),
                    ]
                    .concat(),
                );
                StakingKey::from_bytes(&b).map_err(|e| e.to_string())
            })
            .collect::<Result<_, _>>()?;
        let addrs: Vec<Address> = keys.iter().map(|k| k.address()).collect();
        // With the training wheel every key registers the BLS key derived from it.
        let bls: Vec<spn_protocol::BlsSecretKey> = match sc.training_wheel_bps {
            Some(_) => keys
                .iter()
                .map(spn_protocol::BlsSecretKey::derive)
                .collect(),
            None => Vec::new(),
        };
        let wheel = sc.training_wheel_bps.map(|bps| crate::l1::SimWheel {
            bps,
            until: U256::MAX,
            registrations: bls
                .iter()
                .map(|b| {
                    (
                        Bytes::copy_from_slice(b.public_key().to_bytes().as_slice()),
                        Bytes::copy_from_slice(b.pop().to_eip2537().as_slice()),
                    )
                })
                .collect(),
        });
        let l1 = SimL1::deploy_with_wheel(&params, &addrs, seed, work_dir, wheel)?;
        let first = l1.first_slot();
        let clock = l1.clock();
        let mut chain = ChainState::new(
            params.clone(),
            clock,
            l1.chain_id(),
            l1.rollup(),
            l1.staking(),
        );
        if let Some(bps) = sc.training_wheel_bps {
            chain.set_training_wheel(Some(spn_core::chain::TrainingWheel {
                bps,
                until: u64::MAX,
            }));
            for (a, b) in addrs.iter().zip(&bls) {
                chain.add_bls_key(*a, *b.public_key());
            }
        }
        for k in &addrs {
            chain.add_staker(spn_core::StakerRecord {
                key: *k,
                withdrawer: l1.withdrawer_of(*k),
                activation_epoch: clock.epoch_of(first),
                exit_epoch: spn_protocol::time::NO_EXIT,
            });
        }
        let cost = CostModel {
            time_scale: sc.time_scale,
            network_grace: std::time::Duration::from_secs_f64(sc.network_grace),
        };
        let n = keys.len();
        let offline = ((sc.offline * n as f64).round() as usize).min(n);
        let large = ((sc.large_staker * n as f64).round() as usize).min(n);
        let withholding = ((sc.withholding * n as f64).round() as usize).min(n);
        // Shuffled roles: the first `offline` of a permutation never run, the next `large` are
        // the large staker's, the next `withholding` withhold.
        let mut order: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut order);
        let mut role = vec![0u8; n];
        for (k, &i) in order.iter().enumerate() {
            role[i] = if k < offline {
                1
            } else if k < offline + large {
                2
            } else if k < offline + large + withholding {
                3
            } else {
                0
            };
        }
        let mut nodes = Vec::with_capacity(n);
        let mut index = HashMap::with_capacity(n);
        for (i, key) in keys.into_iter().enumerate() {
            index.insert(key.address(), i);
            let cfg = StakerConfig {
                sequencer: true,
                prover: true,
                attest_wait: sc.attest_wait,
                claim_batch: 1_000_000,
                height: sc.height,
                cost,
                greedy: role[i] == 2,
                liveness: sc.liveness,
            };
            let faults = Arc::new(if role[i] == 3 {
                Faults::new(u32::MAX, 0)
            } else {
                Faults::default()
            });
            let withdrawer = l1.withdrawer_of(key.address());
            let core = (role[i] != 1)
                .then(|| Staker::new(key.clone(), withdrawer, cfg.clone(), faults.clone()));
            nodes.push(Node {
                key,
                withdrawer,
                cfg,
                faults,
                core,
                incarnation: 0,
                place: rng.unit(),
                large: role[i] == 2,
            });
        }
        let strategy = match sc.submitter.as_str() {
            "strip" => spn_core::Strategy::Strip,
            _ if large > 0 => spn_core::Strategy::Prefer(
                nodes
                    .iter()
                    .filter(|n| n.large)
                    .map(|n| n.key.address())
                    .collect(),
            ),
            _ => spn_core::Strategy::Honest,
        };
        let mut submitter = Submitter::new(true, strategy, cost, Arc::new(Faults::default()));
        if sc.reports_per_block > 0 {
            submitter = submitter.with_reporter(sc.reports_per_block);
        }
        let now = l1.timestamp() * 1_000_000;
        let mut stats = Stats::new(n, offline, large);
        stats.keys = nodes.iter().map(|n| n.key.address()).collect();
        stats.large_keys = nodes
            .iter()
            .filter(|n| n.large)
            .map(|n| n.key.address())
            .collect();
        let mut sim = Self {
            start_slot: first,
            end_slot: first + sc.slots,
            sc,
            seed,
            l1,
            chain,
            cost,
            nodes,
            index,
            submitter,
            queue: BinaryHeap::new(),
            events: HashMap::new(),
            seq: 0,
            now,
            rng,
            pending_txs: Vec::new(),
            bodies: HashMap::new(),
            results: HashMap::new(),
            interest: HashMap::new(),
            proposals: HashMap::new(),
            transcripts: HashMap::new(),
            stats,
            progress: None,
        };
        sim.at(now, Ev::Slot(first));
        let block_time = l1_block_time(params.slot_duration);
        let first_block = (now / 1_000_000 / block_time + 1) * block_time;
        sim.at(first_block * 1_000_000, Ev::L1Block);
        sim.at(now, Ev::SubmitterTick);
        for c in sim.sc.crashes.clone() {
            let t = sim.slot_time(first + c.at_slot) + us(c.at_second);
            let count = ((c.share * n as f64).round() as usize).min(n);
            let mut who: Vec<usize> = (0..n).collect();
            sim.rng.shuffle(&mut who);
            let running: Vec<usize> = who
                .into_iter()
                .filter(|&i| sim.nodes[i].core.is_some())
                .take(count)
                .collect();
            for i in running {
                sim.at(t, Ev::Crash(i, c.down_seconds));
            }
        }
        Ok(sim)
    }

    /// Calls `f(slots done, slots)` as the run advances.
    pub fn on_progress(&mut self, f: impl FnMut(u64, u64) + 'static) {
        self.progress = Some(Box::new(f));
    }

    fn slot_time(&self, slot: u64) -> Time {
        self.chain
            .clock()
            .slot_start(slot)
            .unwrap_or(u64::MAX / 2_000_000)
            * 1_000_000
    }

    fn at(&mut self, t: Time, ev: Ev) {
        let s = self.seq;
        self.seq += 1;
        self.events.insert(s, ev);
        self.queue.push(Reverse((t.max(self.now), s)));
    }

    fn deliver(&mut self, t: Time, who: Who, input: Input) {
        let inc = match who {
            Who::Staker(i) => self.nodes[i].incarnation,
            Who::Submitter => 0,
        };
        self.at(t, Ev::Deliver(who, inc, input));
    }

    /// Runs to the end and returns the report.
    pub fn run(mut self) -> Result<Report, String> {
        let end = self.slot_time(self.end_slot + self.chain.params().proof_window + 1);
        while let Some(Reverse((t, s))) = self.queue.pop() {
            if t > end {
                break;
            }
            self.now = t;
            let ev = self.events.remove(&s).expect("queued");
            match ev {
                Ev::Deliver(who, inc, input) => self.feed(who, inc, input),
                Ev::Slot(slot) => self.on_slot(slot),
                Ev::L1Block => self.on_l1_block(),
                Ev::SubmitterTick => {
                    self.feed(Who::Submitter, 0, Input::Tick);
                    self.at(t + us(SUBMITTER_TICK), Ev::SubmitterTick);
                }
                Ev::Crash(i, down) => {
                    if self.nodes[i].core.take().is_some() {
                        self.nodes[i].incarnation += 1;
                        self.stats.crashes += 1;
                        self.at(t + us(down), Ev::Restart(i));
                    }
                }
                Ev::Restart(i) => {
                    let n = &mut self.nodes[i];
                    n.core = Some(Staker::new(
                        n.key.clone(),
                        n.withdrawer,
                        n.cfg.clone(),
                        n.faults.clone(),
                    ));
                }
            }
        }
        let params = self.chain.params().clone();
        Ok(self.stats.report(&self.sc, self.seed, &params))
    }

    fn on_slot(&mut self, slot: u64) {
        // After the last slot no agent is fed a new slot (no new proposals); the run goes on
        // until the last blocks are proven or pruned.
        let proposing = slot < self.end_slot;
        self.at(self.slot_time(slot + 1), Ev::Slot(slot + 1));
        if let Some(p) = self.progress.as_mut() {
            p(
                slot.saturating_sub(self.start_slot).min(self.sc.slots),
                self.sc.slots,
            );
        }
        let epoch = self.chain.clock().epoch_of(slot);
        if !self.chain.has_epoch(epoch) {
            let seed = self.l1.epoch_seed(epoch);
            let active = self.l1.active_count(epoch);
            self.chain
                .set_epoch(epoch, U256::from_be_bytes(seed.0), active);
        }
        self.chain.slot_ctx_mut(slot);
        let min = self.chain.params().min_height;
        self.chain.schedule_mut(slot, min);
        if let Some(h) = self.sc.height {
            self.chain.schedule_mut(slot, h);
        }
        if !proposing {
            return;
        }
        for i in 0..self.nodes.len() {
            if self.nodes[i].core.is_some() {
                let inc = self.nodes[i].incarnation;
                self.feed(Who::Staker(i), inc, Input::Tick);
            }
        }
    }

    fn on_l1_block(&mut self) {
        let ts = self.now / 1_000_000;
        let block_time = l1_block_time(self.chain.params().slot_duration);
        self.at((ts + block_time) * 1_000_000, Ev::L1Block);
        let txs = std::mem::take(&mut self.pending_txs);
        if txs.is_empty() {
            return;
        }
        self.l1.mine(ts);
        let slot_now = self.chain.clock().slot_at(ts).unwrap_or(0);
        for (k, (who, id, from, call)) in txs.into_iter().enumerate() {
            let name = call.name();
            let r = self.l1.execute(from, self.l1.rollup(), call.calldata());
            let tx_hash =
                keccak256([ts.to_be_bytes().as_slice(), &(k as u64).to_be_bytes()].concat());
            self.stats.digest_tx(name, r.success, r.gas_used);
            let result = if r.success {
                let mut paid = U256::ZERO;
                match &call {
                    L1Call::SubmitProof { call, .. } => {
                        self.stats.gas("submitProof", r.gas_used);
                        if let Ok(t) = Transcript::decode(&call.proof) {
                            self.transcripts.insert(call.header.number, Arc::new(t));
                        }
                    }
                    L1Call::SubmitSignedProof { call, .. } => {
                        self.stats.gas("submitSignedProof", r.gas_used);
                        if let Ok(t) = spn_protocol::Transition::decode(&call.transition) {
                            self.stats.signers(t.signers.len() as u64);
                        }
                        if let Ok(t) = Transcript::decode(&call.proof) {
                            self.transcripts.insert(call.header.number, Arc::new(t));
                        }
                    }
                    L1Call::Propose { .. } => self.stats.gas("propose", r.gas_used),
                    L1Call::ReportMissed { .. } => self.stats.gas("reportMissed", r.gas_used),
                    L1Call::Claim(_) => {
                        for c in r.events::<Rollup::RewardsClaimed>() {
                            paid += c.amount;
                        }
                    }
                    _ => {}
                }
                Ok(TxOutcome {
                    gas_used: r.gas_used,
                    paid,
                })
            } else {
                if let L1Call::SubmitProof { .. } | L1Call::SubmitSignedProof { .. } = call {
                    self.stats.failed_submissions += 1;
                }
                Err(r.revert.clone().unwrap_or_else(|| "reverted".into()))
            };
            self.deliver(self.now, who, Input::TxDone { id, result });
            for log in &r.logs {
                if let Some(ev) =
                    self.chain
                        .apply_log(log, self.l1.block_number(), tx_hash, slot_now)
                {
                    self.on_event(ev);
                }
            }
        }
    }

    /// Applies an L1 event to the statistics and delivers it to every running agent.
    fn on_event(&mut self, ev: L1Event) {
        match &ev {
            L1Event::Proposed { header, hash, .. } => {
                let sched = self.chain.schedule_mut(header.slot, header.height);
                self.stats.proposed(*hash, self.now);
                if let Some(s) = &sched {
                    let cp = self.cost.critical_path(s.schedule()).as_secs_f64();
                    self.stats.critical_path.insert(*hash, cp);
                    let wheel = spn_core::chain::wheel_for(&self.chain, header.number).is_some();
                    self.interest
                        .insert(*hash, self.interest_of(s, header.proposer, wheel));
                }
            }
            L1Event::Replaced { old, .. } => {
                self.stats.replaced += u64::from(self.interest.remove(old).is_some())
            }
            L1Event::Pruned { from, to } => self.stats.pruned += to.saturating_sub(*from) + 1,
            L1Event::Proven {
                hash,
                number,
                sequencer_reward,
                submitter_reward,
                provers_reserved,
                unfilled_jobs,
                distinct_provers,
                ..
            } => {
                let header = self.chain.header(hash);
                let t = self.transcripts.get(number).cloned();
                if let (Some(h), Some(t)) = (header, t) {
                    let sched = self.chain.schedule_mut(h.slot, h.height);
                    let costs: Vec<(Address, u64)> = t
                        .provers
                        .iter()
                        .map(|p| {
                            let c = p
                                .contributions
                                .iter()
                                .map(|c| {
                                    sched
                                        .as_ref()
                                        .and_then(|s| s.schedule().job_cost(c.job).ok())
                                        .unwrap_or(0)
                                })
                                .sum();
                            (p.prover, c)
                        })
                        .collect();
                    let slot = h.slot.saturating_sub(self.start_slot);
                    self.stats.proven(
                        *hash,
                        slot,
                        h.proposer,
                        *sequencer_reward,
                        *submitter_reward,
                        *provers_reserved,
                        &costs,
                        *unfilled_jobs,
                        *distinct_provers,
                    );
                }
                self.interest.remove(hash);
                self.results.remove(hash);
                self.bodies.remove(hash);
            }
            L1Event::Reported { staker, .. } => {
                let honest = self
                    .index
                    .get(staker)
                    .is_some_and(|&i| self.nodes[i].core.is_some());
                self.stats.inactivity.reported += 1;
                self.stats.inactivity.honest_reported += u64::from(honest);
            }
            L1Event::Cleared { .. } => self.stats.inactivity.cleared += 1,
            L1Event::Struck {
                staker,
                slashed,
                ejected,
                ..
            } => {
                let honest = self
                    .index
                    .get(staker)
                    .is_some_and(|&i| self.nodes[i].core.is_some());
                let i = &mut self.stats.inactivity;
                i.struck += 1;
                i.honest_struck += u64::from(honest);
                i.slashed_tokens += crate::report::tokens(*slashed);
                i.ejected += u64::from(*ejected);
            }
            L1Event::Claimed { .. } => {}
        }
        self.stats.digest_event(&ev);
        for i in 0..self.nodes.len() {
            if self.nodes[i].core.is_some() {
                let inc = self.nodes[i].incarnation;
                self.feed(Who::Staker(i), inc, Input::L1(ev.clone()));
            }
        }
        self.feed(Who::Submitter, 0, Input::L1(ev));
    }

    fn interest_of(
        &self,
        s: &spn_protocol::SlotSchedule,
        proposer: Address,
        wheel: bool,
    ) -> Interest {
        let sch = s.schedule();
        let total = sch.total_jobs() as usize;
        let mut by_job: Vec<Vec<usize>> = vec![Vec::new(); total];
        let mut parent = vec![u32::MAX; total];
        for p in 0..sch.total_jobs() {
            for c in children(sch, p) {
                if let Some(x) = parent.get_mut(c as usize) {
                    *x = p;
                }
            }
        }
        for j in 0..sch.prover_jobs() {
            let mut v: Vec<usize> = s
                .fillers(j)
                .chain(if parent[j as usize] < sch.prover_jobs() {
                    s.fillers(parent[j as usize]).collect::<Vec<_>>()
                } else {
                    Vec::new()
                })
                .filter_map(|m| self.index.get(&m.address).copied())
                .collect();
            v.sort_unstable();
            v.dedup();
            by_job[j as usize] = v;
        }
        let signers = if wheel {
            s.committee(1)
                .iter()
                .filter_map(|m| self.index.get(&m.address).copied())
                .collect()
        } else {
            Vec::new()
        };
        Interest {
            by_job,
            proposer: self.index.get(&proposer).copied(),
            signers,
        }
    }

    fn feed(&mut self, who: Who, inc: u32, input: Input) {
        let mut out = Vec::new();
        let now = self.now as f64 / 1e6;
        {
            let mut cx = Cx {
                now,
                chain: &self.chain,
                out: &mut out,
            };
            match who {
                Who::Staker(i) => {
                    let n = &mut self.nodes[i];
                    if n.incarnation != inc {
                        return;
                    }
                    let Some(core) = n.core.as_mut() else { return };
                    core.handle(&mut cx, input);
                }
                Who::Submitter => self.submitter.handle(&mut cx, input),
            }
        }
        for o in out {
            self.execute(who, o);
        }
    }

    fn latency(&mut self, from: Who, to: Who) -> Option<Time> {
        let net = &self.sc.network;
        if self.cut(from, to) {
            return None;
        }
        let ms = net.latency_ms + self.rng.exp(net.jitter_ms);
        Some(us(ms / 1e3))
    }

    fn place(&self, w: Who) -> f64 {
        match w {
            Who::Staker(i) => self.nodes[i].place,
            Who::Submitter => 1.0,
        }
    }

    /// Whether a partition separates the two now.
    fn cut(&self, a: Who, b: Who) -> bool {
        let slot = (self.now / 1_000_000)
            .checked_sub(self.chain.clock().genesis_time())
            .map(|s| s / self.chain.params().slot_duration)
            .unwrap_or(0)
            .saturating_sub(self.start_slot);
        self.sc.network.partitions.iter().any(|p| {
            slot >= p.from_slot
                && slot < p.from_slot + p.slots
                && ((self.place(a) < p.share) != (self.place(b) < p.share))
        })
    }

    fn gossip(&mut self, from: Who, to: Who, input: Input) {
        if self.rng.unit() < self.sc.network.loss {
            self.stats.lost += 1;
            return;
        }
        if let Some(l) = self.latency(from, to) {
            self.deliver(self.now + l, to, input);
        }
    }

    fn execute(&mut self, who: Who, o: Output) {
        match o {
            Output::Publish(Msg::Proposal(p)) => {
                let hash = p.header.hash();
                if let Who::Staker(i) = who {
                    self.proposals.insert(hash, i);
                }
                for j in 0..self.nodes.len() {
                    if Who::Staker(j) != who && self.nodes[j].core.is_some() {
                        self.gossip(
                            who,
                            Who::Staker(j),
                            Input::Proposal {
                                msg: p.clone(),
                                peer: None,
                            },
                        );
                    }
                }
            }
            Output::Publish(Msg::Attestation(a)) => {
                if let Some(&p) = self.proposals.get(&a.block_hash) {
                    self.gossip(who, Who::Staker(p), Input::Attestation(a));
                }
            }
            Output::Publish(Msg::JobResult(r)) => {
                let v = self
                    .results
                    .entry(r.block_hash)
                    .or_default()
                    .entry(r.job)
                    .or_default();
                if v.len() < 4 && !v.contains(&r) {
                    v.push(r);
                }
                for j in self.interested(&r.block_hash, r.job) {
                    if Who::Staker(j) != who && self.nodes[j].core.is_some() {
                        self.gossip(who, Who::Staker(j), Input::JobResult(r));
                    }
                }
                if who != Who::Submitter {
                    self.gossip(who, Who::Submitter, Input::JobResult(r));
                }
            }
            Output::Publish(Msg::Started(m)) => {
                for j in self.interested(&m.block_hash, m.job) {
                    if Who::Staker(j) != who && self.nodes[j].core.is_some() {
                        self.gossip(who, Who::Staker(j), Input::Started(m));
                    }
                }
            }
            Output::Publish(Msg::TransitionSignature(m)) => {
                // Only submitters act on transition signatures.
                if who != Who::Submitter {
                    self.gossip(who, Who::Submitter, Input::TransitionSignature(m));
                }
            }
            Output::Publish(Msg::RawJobResult(_)) => self.stats.garbage += 1,
            Output::ServeBody { hash, txs } => {
                if let Who::Staker(i) = who {
                    let e = self.bodies.entry(hash).or_insert_with(|| (txs, Vec::new()));
                    if !e.1.contains(&i) {
                        e.1.push(i);
                    }
                }
            }
            Output::ServeResult(_)
            | Output::Forget(_)
            | Output::Requeue(_)
            | Output::ClaimAnswered(_) => {}
            Output::FetchBody { hash, .. } => {
                let servers: Vec<usize> = self
                    .bodies
                    .get(&hash)
                    .map(|(_, s)| {
                        s.iter()
                            .copied()
                            .filter(|&i| self.nodes[i].core.is_some())
                            .collect()
                    })
                    .unwrap_or_default();
                let server = servers
                    .into_iter()
                    .find(|&i| !self.cut(Who::Staker(i), who));
                match (server, self.bodies.get(&hash).map(|b| b.0.clone())) {
                    (Some(s), Some(txs)) => {
                        let bytes: usize = txs.iter().map(|t| t.len()).sum();
                        let transfer = bytes as f64 * 8.0 / (self.sc.network.bandwidth_mbps * 1e6);
                        let rtt = self.latency(who, Who::Staker(s)).unwrap_or(0) * 2;
                        self.deliver(
                            self.now + rtt + us(transfer),
                            who,
                            Input::Body { hash, txs: Ok(txs) },
                        );
                    }
                    _ => self.deliver(
                        self.now + us(REQUEST_TIMEOUT),
                        who,
                        Input::Body {
                            hash,
                            txs: Err("no peer serves the body".into()),
                        },
                    ),
                }
            }
            Output::FetchResults {
                hash, jobs, tag, ..
            } => {
                let mut results = Vec::new();
                if let Some(b) = self.results.get(&hash) {
                    for j in jobs.iter().take(spn_core::messages::MAX_RESULT_JOBS) {
                        results.extend(b.get(j).into_iter().flatten().copied());
                    }
                }
                let rtt = self
                    .latency(who, Who::Submitter)
                    .unwrap_or(us(REQUEST_TIMEOUT))
                    * 2;
                if tag == ResultsTag::Missing || tag == ResultsTag::Late {
                    self.stats.result_requests += 1;
                }
                self.deliver(self.now + rtt, who, Input::Results { hash, results, tag });
            }
            Output::TakeTxs { slot, max } => {
                let count = self.sc.txs_per_block.min(max);
                let txs = (0..count)
                    .map(|i| {
                        Bytes::from(
                            keccak256([slot.to_be_bytes(), (i as u64).to_be_bytes()].concat())
                                .to_vec(),
                        )
                    })
                    .collect();
                self.deliver(self.now, who, Input::Txs { slot, txs });
            }
            Output::Prove {
                hash, job, seconds, ..
            } => {
                self.stats.proofs += 1;
                if self.sc.time_scale > 0.0 {
                    self.stats.proof_seconds += seconds / self.sc.time_scale;
                }
                self.deliver(
                    self.now + us(seconds),
                    who,
                    Input::Proved {
                        hash,
                        job,
                        output: None,
                    },
                );
            }
            Output::Timer { at, timer } => {
                let t = us(at).max(self.now);
                self.deliver(t, who, Input::Timer(timer));
            }
            Output::FetchTranscript { number, .. } => {
                let transcript = self
                    .transcripts
                    .get(&number)
                    .cloned()
                    .ok_or_else(|| format!("no transcript of block {number}"));
                self.deliver(self.now, who, Input::Transcript { number, transcript });
            }
            Output::Send { id, call, .. } => {
                let from = match who {
                    Who::Staker(i) => self.nodes[i].key.address(),
                    Who::Submitter => SUBMITTER,
                };
                self.pending_txs.push((who, id, from, call));
            }
            Output::Note(n) => {
                if let Who::Staker(i) = who {
                    if let Note::JobDone { hash, job, how } = &n {
                        let cost = self
                            .chain
                            .header(hash)
                            .and_then(|h| self.chain.schedule(h.slot, h.height))
                            .and_then(|s| s.schedule().job_cost(*job).ok())
                            .unwrap_or(0);
                        let avoidable =
                            *how == JobKind::Fallback && self.could_have_done(*hash, *job);
                        self.stats.job_done(*hash, *job, *how, cost, i, avoidable);
                    }
                }
                match n {
                    Note::TreeComplete(hash) => self.stats.complete(hash, self.now),
                    Note::NoQuorum(_) => self.stats.no_quorum += 1,
                    Note::Rejected { .. } => self.stats.rejected += 1,
                    Note::Announced { withheld: true, .. } => self.stats.withheld += 1,
                    _ => {}
                }
            }
        }
    }

    /// The agents that act on a result or start of `job` of `hash`: the members whose
    /// neighbourhood holds the job or the job it feeds, and the block's proposer; with the
    /// training wheel, every round-1 member for the root job (its result starts their
    /// signatures).
    fn interested(&self, hash: &B256, job: u32) -> Vec<usize> {
        let Some(int) = self.interest.get(hash) else {
            return Vec::new();
        };
        let mut to: Vec<usize> = int.by_job.get(job as usize).cloned().unwrap_or_default();
        if job as usize + 1 == int.by_job.len() {
            to.extend(int.signers.iter().copied());
        }
        to.extend(int.proposer);
        to
    }

    /// Whether a running committee member may be credited for `job` (so the proposer's
    /// fallback was avoidable).
    fn could_have_done(&self, hash: B256, job: u32) -> bool {
        let Some(s) = self
            .chain
            .header(&hash)
            .and_then(|h| self.chain.schedule(h.slot, h.height))
        else {
            return false;
        };
        let found = s.fillers(job).any(|m| {
            self.index
                .get(&m.address)
                .is_some_and(|&i| self.nodes[i].core.is_some())
        });
        found
    }
}
