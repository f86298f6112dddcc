//! Closed-form capacity and economics model (`spn model`, `docs/ECONOMICS.md`).
//!
//! Everything here is derived from the crate's own rules: the block geometry and costs from
//! [`Schedule`], committee and sequencer probabilities from the [`selection`] thresholds (so the
//! cap at half the set is included), the height policy from [`schedule::policy_cap`], the
//! payouts from [`rewards`] and the bleed from [`inactivity::finalise`]. Nothing is simulated:
//! each figure is an expectation (or a quantile) over the scores, which are uniform and
//! independent per staker and slot (§7.1).
//!
//! Conventions:
//!
//! - A **machine** proves one proof-second per second (the cost model's unit, §8.6). The machines
//!   a throughput needs are the proof-seconds spent per block divided by the block time.
//! - **Offline** stakers stay in the active set (they count in N and in the thresholds) but never
//!   prove, attest or propose; each staker is offline independently with probability `offline`.
//! - **Exact** figures use the binomial over the N stakers with the real thresholds; the
//!   **Poisson limit** is N → ∞ without the cap, e.g. `P(unfilled) = e^-(R (1 - offline) w)` with
//!   `w = min(2^d, jobs(r))` (§9.2).

use alloy_primitives::U256;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::inactivity;
use crate::params::Params;
use crate::rewards::{self, Coverage};
use crate::schedule::{self, Schedule, MAX_GEOMETRY_HEIGHT};
use crate::selection;

/// Seconds per day.
pub const SECONDS_PER_DAY: f64 = 86_400.0;

/// 10^18: base units of one token with 18 decimals (the stake and reward tokens of the defaults).
const TOKEN: f64 = 1e18;

/// The workload and the set: what a deployment's parameters do not fix.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scenario {
    /// Active stakers N.
    pub stakers: u64,
    /// Transactions per second offered to the chain.
    pub tx_rate: f64,
    /// Fraction of the stakers that is offline (independently, in `[0, 1)`).
    pub offline: f64,
}

impl Scenario {
    fn validate(&self) -> Result<()> {
        let fail = |param, reason| Err(Error::InvalidParam { param, reason });
        if self.stakers == 0 {
            return fail("stakers", "is zero");
        }
        if !(self.tx_rate.is_finite() && self.tx_rate >= 0.0) {
            return fail("txRate", "must be finite and non-negative");
        }
        if !(0.0..1.0).contains(&self.offline) {
            return fail("offline", "must be in [0, 1)");
        }
        Ok(())
    }
}

/// `x / 2^256` as a float: the probability that a uniform score is below the threshold `x`.
pub fn below(threshold: U256) -> f64 {
    u256_to_f64(threshold) / 2f64.powi(256)
}

fn u256_to_f64(x: U256) -> f64 {
    x.as_limbs()
        .iter()
        .rev()
        .fold(0.0, |acc, &limb| acc * 2f64.powi(64) + limb as f64)
}

fn tokens(x: U256) -> f64 {
    u256_to_f64(x) / TOKEN
}

/// `(1 - q)^n` without loss of precision for small q.
fn pow_complement(q: f64, n: u64) -> f64 {
    if q >= 1.0 {
        return if n == 0 { 1.0 } else { 0.0 };
    }
    (n as f64 * (-q).ln_1p()).exp()
}

/// `P(Binomial(n, p) < k)`, summed from the mass at 0 (exact for the sizes of §10).
pub fn binomial_below(n: u64, p: f64, k: u64) -> f64 {
    if p <= 0.0 {
        return if k > 0 { 1.0 } else { 0.0 };
    }
    if p >= 1.0 {
        return if k > n { 1.0 } else { 0.0 };
    }
    let mut pmf = pow_complement(p, n);
    let mut sum = 0.0;
    for i in 0..k.min(n + 1) {
        sum += pmf;
        pmf *= (n - i) as f64 / (i + 1) as f64 * p / (1.0 - p);
    }
    sum.min(1.0)
}

/// Transactions in one block: `ceil(txRate * blockTime)`.
pub fn txs_per_block(tx_rate: f64, block_time: u64) -> u64 {
    (tx_rate * block_time as f64).ceil() as u64
}

/// Smallest height holding `txs` leaves, at least `min_height` (a geometry, not bounded by
/// `maxHeight`; at most [`MAX_GEOMETRY_HEIGHT`]).
pub fn height_for(txs: u64, min_height: u8) -> u8 {
    schedule::leaves_height(txs)
        .min(MAX_GEOMETRY_HEIGHT as u8)
        .max(min_height.max(1))
}

/// The schedule of a height under `params`, without the deployment's height bounds (a model may
/// ask what a larger block would need).
pub fn geometry(params: &Params, height: u8) -> Result<Schedule> {
    Schedule::from_parts(
        height,
        params.round_height,
        params.redundancy,
        params.neighbourhood,
        params.cost_weights(),
    )
}

/// Coverage of one committee round at N stakers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RoundCoverage {
    /// Round r.
    pub round: u32,
    /// `jobs(r)`.
    pub jobs: u32,
    /// `cost(r)`, proof-seconds per job.
    pub cost: u64,
    /// Neighbourhood width `w = min(2^d, jobs(r))`.
    pub width: u32,
    /// Probability that a staker is in the round's committee (`committeeThreshold / 2^256`).
    pub membership: f64,
    /// Whether the committee threshold is capped at half the set (§7.5).
    pub capped: bool,
    /// Expected online owners of one job (R when uncapped and nobody is offline).
    pub owners_per_job: f64,
    /// Probability that a job has no online owner.
    pub p_unowned: f64,
    /// Probability that nobody online may fill a job (no owner in its neighbourhood): exact.
    pub p_unfilled: f64,
    /// The same, Poisson limit `e^-(R (1 - offline) w)`.
    pub p_unfilled_poisson: f64,
}

/// Per-round coverage of a block of schedule `s` at `stakers` with a fraction `offline` offline.
pub fn round_coverage(
    s: &Schedule,
    redundancy: u64,
    stakers: u64,
    offline: f64,
) -> Vec<RoundCoverage> {
    let online = 1.0 - offline;
    (1..s.rounds())
        .map(|r| {
            let jobs = s.jobs(r);
            let width = s.neighbourhood_of(r, 0).len() as u32;
            let threshold = s.committee_threshold(r, stakers);
            let membership = below(threshold);
            // A given staker is an online owner of a given job with probability q.
            let q = online * membership / f64::from(jobs);
            RoundCoverage {
                round: r,
                jobs,
                cost: s.cost(r),
                width,
                membership,
                capped: threshold == selection::HALF,
                owners_per_job: stakers as f64 * q,
                p_unowned: pow_complement(q, stakers),
                p_unfilled: pow_complement(q * f64::from(width), stakers),
                p_unfilled_poisson: (-(redundancy as f64) * online * f64::from(width)).exp(),
            }
        })
        .collect()
}

/// Expected unfilled committee jobs (left to the proposer, unpaid) of one block.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Unfilled {
    /// Stakers N.
    pub stakers: u64,
    /// Block height n.
    pub height: u8,
    /// Redundancy R.
    pub redundancy: u64,
    /// Neighbourhood d.
    pub neighbourhood: u8,
    /// Offline fraction.
    pub offline: f64,
    /// Committee jobs of the block.
    pub committee_jobs: u32,
    /// Expected unfilled jobs (exact).
    pub jobs: f64,
    /// Their share of the committee jobs (exact).
    pub job_share: f64,
    /// Their share of `totalProverCost` (exact).
    pub cost_share: f64,
    /// Share of the committee jobs, Poisson limit.
    pub job_share_poisson: f64,
    /// Share of `totalProverCost`, Poisson limit.
    pub cost_share_poisson: f64,
}

/// Unfilled jobs of a block of `height` under `params` (R and d from `params`).
pub fn unfilled(params: &Params, height: u8, stakers: u64, offline: f64) -> Result<Unfilled> {
    let s = geometry(params, height)?;
    let rounds = round_coverage(&s, params.redundancy, stakers, offline);
    let total_cost = s.total_prover_cost() as f64;
    let committee_jobs = s.prover_jobs();
    let sum = |f: &dyn Fn(&RoundCoverage) -> f64| rounds.iter().map(f).sum::<f64>();
    let jobs = sum(&|c| f64::from(c.jobs) * c.p_unfilled);
    let jobs_poisson = sum(&|c| f64::from(c.jobs) * c.p_unfilled_poisson);
    let cost = sum(&|c| f64::from(c.jobs) * c.cost as f64 * c.p_unfilled);
    let cost_poisson = sum(&|c| f64::from(c.jobs) * c.cost as f64 * c.p_unfilled_poisson);
    Ok(Unfilled {
        stakers,
        height,
        redundancy: params.redundancy,
        neighbourhood: params.neighbourhood,
        offline,
        committee_jobs,
        jobs,
        job_share: jobs / f64::from(committee_jobs),
        cost_share: cost / total_cost,
        job_share_poisson: jobs_poisson / f64::from(committee_jobs),
        cost_share_poisson: cost_poisson / total_cost,
    })
}

/// Proof-seconds spent on one block by honest agents (§9.4), by who spends them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Work {
    /// Every online owner proves its own job: `Σ jobs(r) cost(r) E[owners]`.
    pub owners: f64,
    /// One filler proves each job without an online owner but with one in its neighbourhood.
    pub fill: f64,
    /// The proposer proves the unfilled jobs (fallback, unpaid).
    pub fallback: f64,
    /// The proposer's root merge (round K, never a committee job).
    pub root: f64,
    /// Sum of the four.
    pub total: f64,
}

/// Machines a throughput needs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Capacity {
    /// Transactions per second.
    pub tx_rate: f64,
    /// Block time (slot duration) in seconds.
    pub block_time: u64,
    /// Transactions per block, `ceil(txRate * blockTime)`.
    pub txs_per_block: u64,
    /// Smallest height holding them (at least `minHeight`).
    pub height: u8,
    /// Leaves `2^n` (the cost model charges empty leaves like full ones, §8.6).
    pub leaves: u64,
    /// The deployment's `maxHeight`.
    pub max_height: u8,
    /// Whether `height > maxHeight`: the deployment cannot carry this throughput in one block.
    pub exceeds_max_height: bool,
    /// Height the sequencer policy allows at N (§8.7).
    pub policy_cap: u8,
    /// Whether `height` is above the policy cap: round 1 is capped at half the set.
    pub above_policy_cap: bool,
    /// VM proof-seconds of the block's transactions: `txs * vmProofsPerTx * vmProofCost`.
    pub vm_proof_seconds: f64,
    /// `totalProverCost(n)`: committee proof-seconds of one block, each job proved once.
    pub total_prover_cost: u64,
    /// Committee jobs of the block.
    pub committee_jobs: u32,
    /// Expected online owners per job, weighted by cost (R uncapped and all online).
    pub owners_per_job: f64,
    /// Proof-seconds per block when every owner proves its own job (honest agents, §9.4).
    pub work: Work,
    /// `work.total / totalProverCost`.
    pub duplication: f64,
    /// VM proofs only, each once: `vm_proof_seconds / blockTime`.
    pub machines_vm_only: f64,
    /// VM proofs only, R times over: the seed's "~400 machines" derivation.
    pub machines_vm_only_redundant: f64,
    /// Every job once: `totalProverCost / blockTime` (the minimal work).
    pub machines_min: f64,
    /// Owners and fillers, without the proposer's fallback and root.
    pub machines_committee: f64,
    /// Everything honest agents spend: `work.total / blockTime`.
    pub machines_expected: f64,
    /// Stakers N.
    pub stakers: u64,
    /// Share of the set's machines busy on average: `machines_expected / (N (1 - offline))`.
    pub utilisation: f64,
}

/// Machines for `scenario.tx_rate` under `params` (block time = `slotDuration`).
pub fn capacity(params: &Params, scenario: &Scenario) -> Result<Capacity> {
    scenario.validate()?;
    let block_time = params.slot_duration;
    if block_time == 0 {
        return Err(Error::ZeroDuration("slotDuration"));
    }
    let txs = txs_per_block(scenario.tx_rate, block_time);
    let height = height_for(txs, params.min_height);
    let s = geometry(params, height)?;
    let rounds = round_coverage(&s, params.redundancy, scenario.stakers, scenario.offline);
    let mut work = Work {
        owners: 0.0,
        fill: 0.0,
        fallback: 0.0,
        root: s.cost(s.rounds()) as f64,
        total: 0.0,
    };
    for c in &rounds {
        let round_cost = f64::from(c.jobs) * c.cost as f64;
        work.owners += round_cost * c.owners_per_job;
        work.fill += round_cost * (c.p_unowned - c.p_unfilled);
        work.fallback += round_cost * c.p_unfilled;
    }
    work.total = work.owners + work.fill + work.fallback + work.root;
    let total = s.total_prover_cost();
    let bt = block_time as f64;
    let vm = txs as f64 * (params.vm_proofs_per_tx * params.vm_proof_cost) as f64;
    let cap = schedule::policy_cap(params, scenario.stakers);
    let machines_expected = work.total / bt;
    Ok(Capacity {
        tx_rate: scenario.tx_rate,
        block_time,
        txs_per_block: txs,
        height,
        leaves: 1u64 << height,
        max_height: params.max_height,
        exceeds_max_height: height > params.max_height,
        policy_cap: cap,
        above_policy_cap: height > cap,
        vm_proof_seconds: vm,
        total_prover_cost: total,
        committee_jobs: s.prover_jobs(),
        owners_per_job: work.owners / total as f64,
        work,
        duplication: work.total / total as f64,
        machines_vm_only: vm / bt,
        machines_vm_only_redundant: vm * params.redundancy as f64 / bt,
        machines_min: total as f64 / bt,
        machines_committee: (work.owners + work.fill) / bt,
        machines_expected,
        stakers: scenario.stakers,
        utilisation: machines_expected / (scenario.stakers as f64 * (1.0 - scenario.offline)),
    })
}

/// Waiting time between events that happen in a slot independently with probability `per_slot`
/// (geometric in slots).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Waiting {
    /// Probability per slot.
    pub per_slot: f64,
    /// Mean slots between events, `1 / per_slot`.
    pub mean_slots: f64,
    /// Mean days.
    pub mean_days: f64,
    /// 10th percentile, days (slots t with `P(T <= t) >= 0.1`).
    pub p10_days: f64,
    /// Median, days.
    pub p50_days: f64,
    /// 90th percentile, days.
    pub p90_days: f64,
}

/// Smallest t with `1 - (1 - p)^t >= q`.
pub fn geometric_quantile(p: f64, q: f64) -> f64 {
    if p >= 1.0 {
        return 1.0;
    }
    ((-q).ln_1p() / (-p).ln_1p()).ceil().max(1.0)
}

/// `P(T <= slots)` for the geometric waiting time of per-slot probability `p`.
pub fn geometric_cdf(p: f64, slots: f64) -> f64 {
    1.0 - (slots * (-p).ln_1p()).exp()
}

/// The waiting time between events of per-slot probability `per_slot`, with slots of
/// `slot_seconds`.
pub fn waiting(per_slot: f64, slot_seconds: u64) -> Waiting {
    let days = |slots: f64| slots * slot_seconds as f64 / SECONDS_PER_DAY;
    Waiting {
        per_slot,
        mean_slots: 1.0 / per_slot,
        mean_days: days(1.0 / per_slot),
        p10_days: days(geometric_quantile(per_slot, 0.1)),
        p50_days: days(geometric_quantile(per_slot, 0.5)),
        p90_days: days(geometric_quantile(per_slot, 0.9)),
    }
}

/// Whether a slot yields a block (§10, with offline stakers unable to propose or attest).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Liveness {
    /// No online staker is sequencer-eligible.
    pub p_no_sequencer: f64,
    /// Fewer than M online attesters.
    pub p_quorum_missed: f64,
    /// A block is proposed: `(1 - p_no_sequencer) (1 - p_quorum_missed)` (independent ranges).
    pub p_block: f64,
}

/// Slot liveness at N with `offline` offline.
pub fn liveness(params: &Params, stakers: u64, offline: f64) -> Liveness {
    let online = 1.0 - offline;
    let p_seq = 1.0 - below(selection::sequencer_floor_for(params, stakers));
    let p_att = below(selection::attestation_threshold(params, stakers));
    let p_no_sequencer = pow_complement(online * p_seq, stakers);
    let p_quorum_missed = binomial_below(stakers, online * p_att, params.attestation_quorum);
    Liveness {
        p_no_sequencer,
        p_quorum_missed,
        p_block: (1.0 - p_no_sequencer) * (1.0 - p_quorum_missed),
    }
}

/// How often one online staker earns, at N.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Frequencies {
    /// Slot liveness.
    pub liveness: Liveness,
    /// Height of the blocks (from the throughput).
    pub height: u8,
    /// Expected distinct provers credited per block (one per round-1 job with an online owner).
    pub credited_provers_per_block: f64,
    /// Sequencing a block (the staker is the highest online eligible score and the quorum holds).
    pub sequencing: Waiting,
    /// Being credited in a block as a prover (a claimable prover reward).
    pub prover_reward: Waiting,
    /// Expected reward tokens per year as sequencer (base plus coverage part, pool funded).
    pub sequencer_tokens_per_year: f64,
    /// Expected reward tokens per year as prover (its share of the credited cost).
    pub prover_tokens_per_year: f64,
}

/// Frequencies of sequencing and of prover rewards for one online staker.
///
/// Credited as a prover: under the merge rule (§9.4) a job is credited to its lowest-scoring
/// online owner, and a filler is the lowest-scoring owner of a neighbouring job, already credited
/// for it. A round-r job contains the staker's round-1 job, so being the lowest owner of the
/// round-r job implies being the lowest of the round-1 job. Hence a staker is credited in a
/// block iff it is the lowest-scoring online owner of its round-1 job. With `p` the round-1
/// membership, `a = p / jobs(1)` and the staker's score uniform below the threshold:
/// `P = ∫₀¹ p (1 - (1 - offline) a x)^(N-1) dx = p (1 - (1 - (1 - offline) a)^N) / (N (1 - offline) a)`,
/// and the credited provers per block are `jobs(1) P(a round-1 job has an online owner)`.
pub fn frequencies(params: &Params, scenario: &Scenario) -> Result<Frequencies> {
    let cap = capacity(params, scenario)?;
    let s = geometry(params, cap.height)?;
    let n = scenario.stakers;
    let online = 1.0 - scenario.offline;
    let live = liveness(params, n, scenario.offline);
    let rounds = round_coverage(&s, params.redundancy, n, scenario.offline);
    let first = rounds.first().ok_or(Error::InvalidParam {
        param: "minHeight",
        reason: "a block needs a committee round",
    })?;
    let credited_provers = f64::from(first.jobs) * (1.0 - first.p_unowned);
    let online_stakers = n as f64 * online;
    let p_credit = credited_provers / online_stakers;
    let p_seq = 1.0 - below(selection::sequencer_floor_for(params, n));
    let p_sequence =
        (1.0 - pow_complement(online * p_seq, n)) / online_stakers * (1.0 - live.p_quorum_missed);
    let slots_per_year = 365.25 * SECONDS_PER_DAY / params.slot_duration as f64;
    let unfilled = unfilled(params, cap.height, n, scenario.offline)?;
    let committee_jobs = u64::from(s.prover_jobs());
    let credited_jobs = (committee_jobs as f64 * (1.0 - unfilled.job_share)).round() as u64;
    let coverage = Coverage {
        credited_jobs,
        committee_jobs,
    };
    let sequencer_pay = tokens(rewards::sequencer_due(params, coverage));
    let provers_pay = tokens(params.provers_reward) * (1.0 - unfilled.cost_share);
    Ok(Frequencies {
        liveness: live,
        height: cap.height,
        credited_provers_per_block: credited_provers,
        sequencing: waiting(p_sequence, params.slot_duration),
        prover_reward: waiting(live.p_block * p_credit, params.slot_duration),
        sequencer_tokens_per_year: p_sequence * slots_per_year * sequencer_pay,
        prover_tokens_per_year: live.p_block * slots_per_year * provers_pay / online_stakers,
    })
}

/// Share of a round's jobs a staker with key share `f` takes (§9.5).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Capture {
    /// Key share f.
    pub key_share: f64,
    /// Under the honest merge rule: `f (1 - e^-(R 2^d))`.
    pub honest: f64,
    /// When it controls the transcript: `1 - e^-(f R 2^d)`.
    pub controlled: f64,
}

/// §9.5's two formulas at R, d.
pub fn capture(redundancy: u64, neighbourhood: u8, key_share: f64) -> Capture {
    let reach = redundancy as f64 * 2f64.powi(i32::from(neighbourhood));
    Capture {
        key_share,
        honest: key_share * (1.0 - (-reach).exp()),
        controlled: 1.0 - (-key_share * reach).exp(),
    }
}

/// One finalised strike of the inactivity bleed (§14.4).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Strike {
    /// Strikes after this one.
    pub strike: u64,
    /// `InactivityLib.penalty`, tokens.
    pub penalty: f64,
    /// Stake slashed, tokens.
    pub slashed: f64,
    /// Stake left, tokens.
    pub remaining: f64,
    /// Whether this strike ejects the key.
    pub ejected: bool,
}

/// The bleed of a staker that never clears a report, strike after strike, until it is ejected or
/// has nothing left (at most 64 strikes), from [`inactivity::finalise`].
pub fn bleed(params: &Params) -> Vec<Strike> {
    let mut stake = params.stake_amount;
    let mut out = Vec::new();
    for strikes in 0..64 {
        let f = inactivity::finalise(params, strikes, stake);
        out.push(Strike {
            strike: f.strikes,
            penalty: tokens(inactivity::penalty(
                f.strikes,
                params.strike_threshold,
                params.penalty_base,
            )),
            slashed: tokens(f.slashed),
            remaining: tokens(f.remaining_stake),
            ejected: f.ejected,
        });
        stake = f.remaining_stake;
        if f.ejected || stake.is_zero() {
            break;
        }
    }
    out
}

/// Key shares of the capture tables.
pub const KEY_SHARES: [f64; 7] = [0.01, 0.05, 0.10, 0.20, 1.0 / 3.0, 0.5, 0.67];
/// Offline fractions of the unfilled-by-offline table.
pub const OFFLINE_FRACTIONS: [f64; 6] = [0.0, 0.1, 0.25, 0.5, 0.75, 0.9];

/// Everything `spn model` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The scenario.
    pub scenario: Scenario,
    /// Parameters the model read (after overrides).
    pub params: ModelParams,
    /// Machines for the throughput.
    pub capacity: Capacity,
    /// Coverage per round of the throughput's block.
    pub rounds: Vec<RoundCoverage>,
    /// Days between sequencing and between prover rewards.
    pub frequencies: Frequencies,
    /// Unfilled jobs of the throughput's block by d (0..=3) and R (1..=4), at the scenario's
    /// offline fraction.
    pub unfilled_by_d_and_r: Vec<Unfilled>,
    /// Unfilled jobs by offline fraction at the parameters' R and d.
    pub unfilled_by_offline: Vec<Unfilled>,
    /// Capture share by key share at the parameters' R and d.
    pub capture: Vec<Capture>,
    /// The bleed, strike by strike.
    pub bleed: Vec<Strike>,
}

/// The parameters the model depends on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ModelParams {
    /// Block time (slot duration), s.
    pub block_time: u64,
    /// m.
    pub round_height: u8,
    /// minHeight.
    pub min_height: u8,
    /// maxHeight.
    pub max_height: u8,
    /// R.
    pub redundancy: u64,
    /// d.
    pub neighbourhood: u8,
    /// S.
    pub sequencer_target: u64,
    /// A.
    pub attestation_target: u64,
    /// M.
    pub attestation_quorum: u64,
    /// VM proofs per transaction.
    pub vm_proofs_per_tx: u64,
    /// Proof-seconds per VM proof.
    pub vm_proof_cost: u64,
    /// Proof-seconds per base proof.
    pub base_proof_cost: u64,
    /// Proof-seconds per merge.
    pub merge_proof_cost: u64,
}

impl ModelParams {
    fn of(p: &Params) -> Self {
        Self {
            block_time: p.slot_duration,
            round_height: p.round_height,
            min_height: p.min_height,
            max_height: p.max_height,
            redundancy: p.redundancy,
            neighbourhood: p.neighbourhood,
            sequencer_target: p.sequencer_target,
            attestation_target: p.attestation_target,
            attestation_quorum: p.attestation_quorum,
            vm_proofs_per_tx: p.vm_proofs_per_tx,
            vm_proof_cost: p.vm_proof_cost,
            base_proof_cost: p.base_proof_cost,
            merge_proof_cost: p.merge_proof_cost,
        }
    }
}

/// The whole model for one parameter set and scenario. `params` must pass
/// [`Params::validate`]; the throughput's height may exceed `maxHeight` (flagged in
/// [`Capacity::exceeds_max_height`]).
pub fn report(params: &Params, scenario: &Scenario) -> Result<Report> {
    params.validate()?;
    let capacity = capacity(params, scenario)?;
    let n = capacity.height;
    let s = geometry(params, n)?;
    let mut by_d_r = Vec::new();
    for d in 0..=3u8 {
        for r in 1..=4u64 {
            let p = Params {
                neighbourhood: d,
                redundancy: r,
                ..params.clone()
            };
            by_d_r.push(unfilled(&p, n, scenario.stakers, scenario.offline)?);
        }
    }
    let by_offline = OFFLINE_FRACTIONS
        .iter()
        .map(|&o| unfilled(params, n, scenario.stakers, o))
        .collect::<Result<Vec<_>>>()?;
    Ok(Report {
        scenario: *scenario,
        params: ModelParams::of(params),
        rounds: round_coverage(&s, params.redundancy, scenario.stakers, scenario.offline),
        frequencies: frequencies(params, scenario)?,
        capacity,
        unfilled_by_d_and_r: by_d_r,
        unfilled_by_offline: by_offline,
        capture: KEY_SHARES
            .iter()
            .map(|&f| capture(params.redundancy, params.neighbourhood, f))
            .collect(),
        bleed: bleed(params),
    })
}

#[cfg(test)]
mod tests {
    //! Expectations come from PROTOCOL.md's tables and closed forms, from the seed and issue 11,
    //! or from a Monte Carlo over the crate's real [`SlotSchedule`]; never from this module.

    use super::*;
    use crate::schedule::SlotSchedule;
    use alloy_primitives::{keccak256, Address};

    fn close(got: f64, want: f64, tol: f64, what: &str) {
        assert!(
            (got - want).abs() <= tol,
            "{what}: got {got}, want {want} ± {tol}"
        );
    }

    fn testnet_at(block_time: u64) -> Params {
        Params {
            slot_duration: block_time,
            ..Params::testnet()
        }
    }

    fn scenario(stakers: u64, tx_rate: f64) -> Scenario {
        Scenario {
            stakers,
            tx_rate,
            offline: 0.0,
        }
    }

    /// Issue 11: "at n = 11 a block needs 55,292 proof-seconds, about 460 machines at 120 s
    /// slots, and about 975 when every owner proves its own job".
    #[test]
    fn testnet_machines_match_the_issue() {
        let c = capacity(&testnet_at(120), &scenario(1_000_000, 10.0)).unwrap();
        assert_eq!((c.txs_per_block, c.height), (1_200, 11));
        assert_eq!(c.total_prover_cost, 55_292); // §8.8
        close(c.machines_min, 55_292.0 / 120.0, 1e-9, "minimal machines");
        // Poisson limit, every round alike: R owners per job, one filler for the e^-R - e^-2R
        // unowned but fillable jobs (d = 1, w = 2), the proposer for the e^-2R unfillable ones.
        let r = 2.0f64;
        let owners_and_fill = r + (-r).exp() - (-2.0 * r).exp();
        close(
            c.machines_committee,
            owners_and_fill * 55_292.0 / 120.0,
            0.5,
            "committee",
        );
        close(c.machines_committee, 975.0, 1.0, "issue's 975");
        let with_fallback = (r + (-r).exp()) * 55_292.0 + 2.0; // + the root merge (h(K) = 1)
        close(c.machines_expected, with_fallback / 120.0, 0.5, "expected");
        close(c.owners_per_job, 2.0, 1e-3, "owners per job");
        assert!(!c.exceeds_max_height && !c.above_policy_cap);
        // N = 2,048 is the smallest set the policy allows n = 11 at (§8.7): same figures.
        let c2 = capacity(&testnet_at(120), &scenario(2_048, 10.0)).unwrap();
        assert_eq!(c2.policy_cap, 11);
        close(c2.machines_expected, c.machines_expected, 0.5, "N = 2,048");
    }

    /// The seed: 10 tx/s, 600 s blocks, 2 VM proofs of 10 s per transaction, "~400 machines".
    #[test]
    fn seed_machines() {
        let c = capacity(&testnet_at(600), &scenario(500_000, 10.0)).unwrap();
        assert_eq!(c.txs_per_block, 6_000);
        // 6,000 leaves need 2^13: above the testnet's maxHeight of 11.
        assert_eq!((c.height, c.leaves), (13, 8_192));
        assert!(c.exceeds_max_height);
        // 10 tx/s * 2 * 10 s = 200 machines of VM proofs; twice over (R = 2) = 400.
        close(c.machines_vm_only, 200.0, 1e-9, "VM only");
        close(c.machines_vm_only_redundant, 400.0, 1e-9, "VM only, R = 2");
        // §8.6 closed form: 2^n * 25 + (2^n - 2^h(K)) * 2, h(K) = 1 at n = 13, m = 2.
        assert_eq!(c.total_prover_cost, 8_192 * 25 + (8_192 - 2) * 2);
        close(c.machines_min, 221_180.0 / 600.0, 1e-9, "minimal");
        let r = 2.0f64;
        close(
            c.machines_expected,
            ((r + (-r).exp()) * 221_180.0 + 2.0) / 600.0,
            0.5,
            "expected",
        );
    }

    /// §9.2's table (Poisson limit, n = 11, m = 2, R = 2) and its exact-binomial paragraph.
    #[test]
    fn unfilled_matches_section_9_2() {
        let base = Params::testnet();
        let table = [(0u8, 92.3, 0.135), (1, 12.5, 0.0183), (2, 0.26, 0.00034)];
        for (d, jobs, cost) in table {
            let p = Params {
                neighbourhood: d,
                ..base.clone()
            };
            let u = unfilled(&p, 11, 100_000_000, 0.0).unwrap();
            close(u.jobs, jobs, 0.05, &format!("jobs at d = {d}"));
            close(
                u.cost_share,
                cost,
                cost * 0.01,
                &format!("cost share at d = {d}"),
            );
            close(
                u.cost_share_poisson,
                cost,
                cost * 0.01,
                "Poisson cost share",
            );
            // e^-(R 2^d), up to round 5 (2 jobs, w = 2 < 2^2 at d = 2: 12 proof-s at e^-4).
            let pr = (-2.0 * 2f64.powi(i32::from(d))).exp();
            close(u.cost_share, pr, pr * 0.02, "e^-(R 2^d)");
        }
        // "N = 1,000 caps round 1 at 500 members, leaving 13.9% of the cost unfilled at n = 11
        // but 2.0% at n = 10. N = 2,048 and N = 10,000 give 1.8% at both heights."
        let share = |n, h| unfilled(&base, h, n, 0.0).unwrap().cost_share;
        close(share(1_000, 11), 0.139, 0.0005, "N = 1,000, n = 11");
        close(share(1_000, 10), 0.020, 0.0005, "N = 1,000, n = 10");
        for n in [2_048, 10_000] {
            for h in [10, 11] {
                close(share(n, h), 0.018, 0.0005, &format!("N = {n}, n = {h}"));
            }
        }
    }

    /// §9.3's devnet table (d = 2, exact binomial).
    #[test]
    fn unfilled_matches_section_9_3() {
        let p = Params::devnet();
        type Row = (u64, [(u8, f64, f64); 5]);
        let rows: [Row; 3] = [
            (
                16,
                [
                    (3, 0.02, 1.0),
                    (5, 0.10, 1.0),
                    (6, 1.9, 11.6),
                    (8, 40.4, 59.3),
                    (11, 592.0, 93.4),
                ],
            ),
            (
                32,
                [
                    (3, 0.03, 1.4),
                    (5, 0.03, 0.0),
                    (6, 0.22, 1.4),
                    (8, 23.4, 35.6),
                    (11, 533.0, 87.5),
                ],
            ),
            (
                64,
                [
                    (3, 0.03, 1.6),
                    (5, 0.03, 0.0),
                    (6, 0.00, 0.0),
                    (8, 8.4, 12.9),
                    (11, 446.0, 76.9),
                ],
            ),
        ];
        for (n, cells) in rows {
            for (h, jobs, pct) in cells {
                let u = unfilled(&p, h, n, 0.0).unwrap();
                // Half a unit of the table's last digit.
                let jobs_tol = if jobs >= 100.0 {
                    0.5
                } else if jobs >= 1.0 {
                    0.05
                } else {
                    0.005
                };
                close(
                    u.jobs,
                    jobs,
                    jobs_tol + 1e-9,
                    &format!("jobs N = {n}, n = {h}"),
                );
                close(
                    u.cost_share * 100.0,
                    pct,
                    0.05 + 1e-9,
                    &format!("cost N = {n}, n = {h}"),
                );
            }
        }
    }

    /// §10's table: P(no eligible sequencer) and P(committee below M), exact.
    #[test]
    fn liveness_matches_section_10() {
        let dev = Params::devnet();
        let test = Params::testnet();
        let rows = [
            (&dev, 16u64, 0.0384, 0.1181),
            (&dev, 32, 0.00174, 0.1268),
            (&dev, 64, 0.00413, 0.1311),
            (&test, 100, 0.00085, 0.0169),
            (&test, 1_000, 0.00807, 0.0182),
            (&test, 10_000, 0.00921, 0.0183),
        ];
        for (p, n, quorum, seq) in rows {
            let l = liveness(p, n, 0.0);
            close(
                l.p_quorum_missed,
                quorum,
                quorum * 0.01,
                &format!("quorum N = {n}"),
            );
            close(l.p_no_sequencer, seq, 0.0001, &format!("sequencer N = {n}"));
        }
        let l = liveness(&test, 100_000_000, 0.0);
        close(l.p_quorum_missed, 0.00934, 0.00005, "Poisson quorum");
        close(l.p_block, 1.0 - 0.0275, 0.0002, "slot not empty");
    }

    /// §9.5's table.
    #[test]
    fn capture_matches_section_9_5() {
        let rows = [
            (0.05, [(0.043, 0.095), (0.049, 0.181), (0.050, 0.330)]),
            (0.10, [(0.086, 0.181), (0.098, 0.330), (0.100, 0.551)]),
            (0.20, [(0.173, 0.330), (0.196, 0.551), (0.200, 0.798)]),
            (1.0 / 3.0, [(0.288, 0.487), (0.327, 0.736), (0.333, 0.931)]),
        ];
        for (f, cells) in rows {
            for (d, (honest, controlled)) in cells.into_iter().enumerate() {
                let c = capture(2, d as u8, f);
                close(c.honest, honest, 0.0005 + 1e-9, "honest");
                close(c.controlled, controlled, 0.0005 + 1e-9, "controlled");
            }
        }
    }

    /// §14.4's table.
    #[test]
    fn bleed_matches_section_14_4() {
        let b = bleed(&Params::testnet());
        let penalty = [0.0, 0.0, 1e3, 2e3, 4e3, 8e3, 16e3, 32e3];
        let remaining = [1e5, 1e5, 99e3, 97e3, 93e3, 85e3, 69e3, 37e3];
        assert_eq!(b.len(), 8);
        for (i, s) in b.iter().enumerate() {
            assert_eq!(s.strike, i as u64 + 1);
            close(s.penalty, penalty[i], 1e-6, "penalty");
            close(s.remaining, remaining[i], 1e-6, "remaining");
            assert_eq!(s.ejected, i == 7);
        }
    }

    /// The seed: "a single sequencer would only propose a block every 700 days with 500,000
    /// stakers" at 120 s blocks. Here: N slots per proposal, divided by the share of non-empty
    /// slots of §10's Poisson row (1 - 0.0275).
    #[test]
    fn days_between_sequencing_and_rewards() {
        let p = testnet_at(120);
        let f = frequencies(&p, &scenario(500_000, 10.0)).unwrap();
        let want = 500_000.0 * 120.0 / SECONDS_PER_DAY / (1.0 - 0.0275);
        close(f.sequencing.mean_days, want, want * 0.001, "sequencing");
        // Geometric spread: the q-quantile is about -ln(1 - q) times the mean.
        close(
            f.sequencing.p10_days,
            -(0.9f64.ln()) * want,
            0.01 * want,
            "p10",
        );
        close(
            f.sequencing.p90_days,
            -(0.1f64.ln()) * want,
            0.01 * want,
            "p90",
        );
        // Prover rewards: one credited prover per round-1 job with an owner, 512 (1 - e^-2).
        let credited = 512.0 * (1.0 - (-2.0f64).exp());
        close(
            f.credited_provers_per_block,
            credited,
            0.5,
            "credited provers",
        );
        let want = 500_000.0 * 120.0 / SECONDS_PER_DAY / (1.0 - 0.0275) / credited;
        close(
            f.prover_reward.mean_days,
            want,
            want * 0.002,
            "prover rewards",
        );
    }

    fn address(i: u64) -> Address {
        Address::from_slice(&keccak256(i.to_be_bytes())[12..])
    }

    /// Monte Carlo over the crate's real slot schedule (deterministic seeds): mean unfilled jobs,
    /// owners per job, and distinct provers credited under the merge rule (§9.4: the job's
    /// lowest-scoring owner, otherwise its first filler).
    #[test]
    fn monte_carlo_over_slot_schedule() {
        let p = Params::testnet();
        let n = 2_048u64;
        let stakers: Vec<Address> = (0..n).map(address).collect();
        let slots = 60u64;
        let (mut unfilled_sum, mut owners_sum, mut credited_sum) = (0usize, 0usize, 0usize);
        for slot in 0..slots {
            let seed = keccak256([b"spn-model-mc".as_slice(), &slot.to_be_bytes()].concat());
            let s = SlotSchedule::build(&p, 11, seed, n, &stakers).unwrap();
            unfilled_sum += s.unfilled_jobs().len();
            let jobs = s.schedule().prover_jobs();
            let mut credited = std::collections::HashSet::new();
            for job in 0..jobs {
                let owners: Vec<_> = s.job_owners(job).collect();
                owners_sum += owners.len();
                if let Some(first) = owners.first() {
                    credited.insert(first.address);
                } else if let Some(filler) = s.fillers(job).next() {
                    credited.insert(filler.address);
                }
            }
            credited_sum += credited.len();
        }
        let model = unfilled(&p, 11, n, 0.0).unwrap();
        let mean = unfilled_sum as f64 / slots as f64;
        // Unfilled jobs per slot are about Poisson(12.5): the mean of 60 has sd ≈ 0.46.
        close(mean, model.jobs, 1.6, "unfilled jobs");
        let per_job = owners_sum as f64 / (slots as f64 * 682.0);
        close(per_job, 2.0, 0.03, "owners per job");
        let f = frequencies(&testnet_at(120), &scenario(n, 10.0)).unwrap();
        let mean = credited_sum as f64 / slots as f64;
        close(mean, f.credited_provers_per_block, 4.0, "credited provers");
    }

    #[test]
    fn offline_lowers_coverage_as_section_13_5_says() {
        // §13.5: with 10% offline the expected coverage at d = 1 is about 1 - e^-(0.9 R 2^d).
        let u = unfilled(&Params::testnet(), 11, 10_000, 0.1).unwrap();
        close(
            1.0 - u.job_share,
            1.0 - (-0.9f64 * 4.0).exp(),
            0.002,
            "coverage",
        );
        close(1.0 - u.job_share, 0.97, 0.005, "≈ 97%");
    }

    #[test]
    fn scenario_is_validated() {
        let p = Params::testnet();
        for bad in [
            Scenario {
                stakers: 0,
                tx_rate: 1.0,
                offline: 0.0,
            },
            Scenario {
                stakers: 10,
                tx_rate: f64::NAN,
                offline: 0.0,
            },
            Scenario {
                stakers: 10,
                tx_rate: 1.0,
                offline: 1.0,
            },
            Scenario {
                stakers: 10,
                tx_rate: 1.0,
                offline: -0.1,
            },
        ] {
            assert!(report(&p, &bad).is_err(), "{bad:?}");
        }
        let r = report(&p, &scenario(2_048, 0.0)).unwrap();
        assert_eq!(r.capacity.height, p.min_height);
    }
}
