//! Statistical mode of the simulator: earnings and coverage of a large staking set (up to and
//! beyond N = 500,000 keys) over many slots, without agents, messages or signatures.
//!
//! # Method: sampled committees
//!
//! Only the few keys whose score falls in a selection range matter in a slot: below
//! `max(T_1, T_att)` (the round-1 and attestation thresholds, §7.2) or above the sequencer floor
//! (§7.3). Scores are uniform and independent per key and slot (§7.1), so instead of hashing all
//! N keys ([`SlotSchedule::build`](crate::SlotSchedule::build), about 44 ms per slot at
//! N = 500,000 on the 2-core reference machine, 7 minutes for 10,000 slots) a slot draws exactly
//! the keys that land in either range:
//!
//! 1. the indices of the selected keys by geometric skipping over `0..N` with the per-key
//!    probability `p = (T_low + MAX - floor) / 2^256` (each key independently, as with hashing);
//! 2. each selected key's score, uniform over the union of the two ranges (a genuine 256-bit
//!    value, by rejection), so that committee membership (`score < T_r`), the attestation
//!    committee, sequencer eligibility and the path (`score mod 2^n`, [`Schedule::job_of`]) are
//!    decided by the crate's own rules on that value, including the cap at half the set.
//!
//! The cost per slot is proportional to the expected selected keys (about `R * jobs(1) + S`,
//! 1,028 at n = 11) plus the block's jobs, not to N: 10,000 slots at N = 500,000 take 1.1 to
//! 1.4 s in a release build on the reference machine and 38 MB peak resident memory (about 64
//! bytes per key: earnings, last reward slots, the block's credited cost), measured with
//! `cargo run --release -p spn-protocol --example stats_run`. The test
//! `sampled_slots_match_slot_schedule` checks committee sizes, attesters, eligible sequencers,
//! unfilled jobs and credited keys against the exact [`SlotSchedule`](crate::SlotSchedule) at
//! small N, capped and uncapped.
//!
//! # Per slot
//!
//! The winning proposal is the highest-scoring online sequencer-eligible key (§3.4). A block is
//! proposed iff such a key exists and at least M online keys are in the attestation committee
//! (§10). For a proposed block every committee round's online members own the job on their path;
//! a job with an online owner is **assigned** and credited to its lowest-scoring online owner; a
//! job without one is **neighbour-filled** if an online member owns a job of its neighbourhood
//! (§8.4), credited to the first online filler in §9.4's order (own job ascending, then score:
//! the lowest-scoring owner of the neighbourhood's lowest owned job), and **unfilled** otherwise
//! (the proposer proves it, unpaid). The block is proven iff its coverage meets `minCoverageBps`
//! ([`rewards::meets_coverage`]); a proven block pays through [`rewards::block_payout`] (pool
//! always funded): B^Sequencer to the proposer, B^Submitter to whoever submits (below) and each
//! credited key `rewards::claim_amount(P_eff, its cost in the block, totalProverCost)`.
//!
//! # Assumptions
//!
//! - **Offline keys are a fixed set** for the whole run: `round(offline * (N - L))` keys drawn
//!   uniformly among the keys not held by the large staker (L keys, below). They stay in N and in
//!   the thresholds but never propose, attest or prove, as in [`model`] (where each key is
//!   offline independently; with a fixed set an online key's waits are geometric, as the
//!   model's "one online staker" figures assume).
//! - **Large staker:** one party holds `L = round(f * N)` keys (key indices `0..L`; scores are
//!   exchangeable, so which indices is immaterial), all online. It follows §9.5's worst case: its
//!   transcript lands first in every block and credits one of its own keys for every job it may
//!   be credited for (a key of it owns the job or a job of its neighbourhood), preferring its
//!   lowest-scoring owner of the job, else its first filler; all other jobs follow the honest
//!   merge rule. Its share under the honest merge rule is reported alongside. Being the
//!   submitter of every block, it receives every B^Submitter. Without a large staker the
//!   proposer submits (the sequencer agent usually does, §2) and receives B^Submitter.
//! - **Height:** every block has the configured height (0: the sequencer policy's cap
//!   [`policy_cap`](crate::schedule::policy_cap) at N); transactions are not modelled.
//! - Proofs always arrive within the proof window; pruning only follows from low coverage.
//! - **Equal scores** (a SHA-256 collision, §7.6) are ordered by key index.
//!
//! # Statistics
//!
//! Waits are per key, between consecutive events, and from the start of the run to a key's first
//! event (the same geometric law, since slots are independent), right-censored at the end of the
//! run. Their distribution is the Kaplan–Meier estimate; a quantile the run is too short to reach
//! is `None`. The mean wait is `exposure / events` (key-slots observed per event), which
//! censoring does not bias (the mean of the observed gaps would be too short: long gaps are
//! cut off by the end of the run). A **prover reward** is being credited for at least one job of a proven
//! block (a claimable share, as in [`model::frequencies`]); a
//! **sequencing** event is proposing a block. Waits and earnings are taken over the **honest
//! online keys** (neither offline nor the large staker's). [`run`] returns the report;
//! [`simulate`] also returns the estimated wait distributions slot by slot (for plots).
//!
//! # Determinism
//!
//! All randomness comes from xoshiro256** streams seeded by splitmix64 from `(seed, slot)`, and
//! every floating-point value in the report is computed with IEEE-754 basic operations only (the
//! logarithm of the geometric skips is computed here, not by the platform's libm), so the same
//! configuration gives a byte-identical report on any machine.

use std::collections::BTreeMap;

use alloy_primitives::U256;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{self, SECONDS_PER_DAY};
use crate::params::Params;
use crate::rewards::{self, Coverage};
use crate::schedule::{self, Schedule};
use crate::selection::{self, MAX};

/// Most slots one run may simulate (the wait histograms take 16 bytes per slot).
pub const MAX_SLOTS: u64 = 10_000_000;

/// 10^18 base units per token.
const TOKEN: f64 = 1e18;

/// Sentinel key index: no key.
const NONE: u32 = u32::MAX;

/// What to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StatConfig {
    /// Active keys N (at most `2^32 - 2`).
    pub stakers: u64,
    /// Slots to simulate (1 to [`MAX_SLOTS`]).
    pub slots: u64,
    /// Fraction of the keys outside the large staker's that is offline, in `[0, 1)`: a fixed set
    /// of `round(offline * (N - L))` keys for the whole run.
    pub offline: f64,
    /// Share f of the keys held by one party, in `[0, 1)`; 0 for none. The party holds
    /// `L = round(f * N)` keys, all online, and controls every transcript (module docs).
    pub large_staker_share: f64,
    /// Block height n of every block; 0 for the sequencer policy's cap at N (§8.7).
    pub height: u8,
    /// Seed of every random draw.
    pub seed: u64,
}

/// Everything a run measured. Shares are of the counts next to them; token amounts are in
/// tokens of 18 decimals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatReport {
    /// The configuration that was run.
    pub config: StatConfig,
    /// Block height n used.
    pub height: u8,
    /// Slot duration in seconds (`Params::slot_duration`).
    pub slot_seconds: u64,
    /// Simulated time in days.
    pub days: f64,
    /// Keys held by the large staker (L).
    pub large_keys: u64,
    /// Offline keys.
    pub offline_keys: u64,
    /// Honest online keys: neither offline nor the large staker's (the population of the waits
    /// and earnings).
    pub honest_online_keys: u64,
    /// What happened in the slots.
    pub slots: SlotCounts,
    /// Committee sizes against their targets and the quorum.
    pub committees: CommitteeStats,
    /// Committee jobs of the proposed blocks.
    pub jobs: JobStats,
    /// Rewards paid by the proven blocks.
    pub rewards: RewardTotals,
    /// Waits between prover rewards of an honest online key.
    pub prover_reward_wait: WaitStats,
    /// Waits between blocks proposed by an honest online key.
    pub sequencing_wait: WaitStats,
    /// Earnings per honest online key over the run: sequencer, submitter and prover rewards.
    pub earnings: EarningsStats,
    /// Prover claims alone per honest online key (without the sequencing lottery, which
    /// dominates the spread of `earnings` over short runs at large N).
    pub prover_earnings: EarningsStats,
    /// The large staker's take, if there is one.
    pub large_staker: Option<LargeStakerStats>,
}

/// Slot outcomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct SlotCounts {
    /// Slots simulated.
    pub simulated: u64,
    /// Slots without an online sequencer-eligible key.
    pub no_sequencer: u64,
    /// Slots with fewer than M online attesters (whether or not a sequencer exists).
    pub quorum_missed: u64,
    /// Slots with a proposed block (an online sequencer and the quorum).
    pub proposed: u64,
    /// Proposed blocks whose coverage meets `minCoverageBps`: proven and paid.
    pub proven: u64,
    /// Proposed blocks below `minCoverageBps`: pruned, nobody paid.
    pub coverage_too_low: u64,
    /// `proposed / simulated`.
    pub block_share: f64,
}

/// Mean committee sizes per slot (all slots).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CommitteeStats {
    /// Round-1 committee target `R * jobs(1)`.
    pub round_one_target: u64,
    /// Mean round-1 committee size.
    pub round_one_mean: f64,
    /// Mean online members of the round-1 committee.
    pub round_one_online_mean: f64,
    /// Attestation target A.
    pub attestation_target: u64,
    /// Attestation quorum M.
    pub attestation_quorum: u64,
    /// Mean attestation committee size.
    pub attestation_mean: f64,
    /// Mean online attesters.
    pub attestation_online_mean: f64,
    /// Share of slots with fewer than M online attesters.
    pub below_quorum_share: f64,
    /// Sequencer target S.
    pub sequencer_target: u64,
    /// Mean sequencer-eligible keys.
    pub eligible_sequencers_mean: f64,
}

/// Committee jobs of the proposed blocks, by who does them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct JobStats {
    /// Committee jobs per block (`offset(K)`).
    pub committee_jobs_per_block: u32,
    /// `totalProverCost(n)`.
    pub total_prover_cost: u64,
    /// Committee jobs of all proposed blocks.
    pub jobs: u64,
    /// Jobs with an online owner.
    pub assigned: u64,
    /// Jobs without an online owner, filled by an online neighbour.
    pub neighbour_filled: u64,
    /// Jobs nobody online may fill (left to the proposer, unpaid).
    pub unfilled: u64,
    /// `assigned / jobs`.
    pub assigned_share: f64,
    /// `neighbour_filled / jobs`.
    pub neighbour_filled_share: f64,
    /// `unfilled / jobs`.
    pub unfilled_share: f64,
    /// Unfilled share of the prover cost.
    pub unfilled_cost_share: f64,
    /// Mean distinct keys credited per proposed block.
    pub credited_keys_per_block: f64,
}

/// Reward tokens paid by the proven blocks (pool always funded).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RewardTotals {
    /// B^Sequencer, to the proposers.
    pub sequencer: f64,
    /// B^Submitter, to the submitters.
    pub submitter: f64,
    /// Prover claims.
    pub provers: f64,
}

/// Distribution of the waits between a key's events (module docs: Kaplan–Meier, censored).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WaitStats {
    /// Keys observed (the honest online keys).
    pub keys: u64,
    /// Events observed.
    pub events: u64,
    /// Mean wait in slots, `keys * slots / events`; `None` without events.
    pub mean_slots: Option<f64>,
    /// Mean wait in days.
    pub mean_days: Option<f64>,
    /// 10th percentile in days (smallest wait t with `P(wait <= t) >= 0.1`).
    pub p10_days: Option<f64>,
    /// Median in days.
    pub p50_days: Option<f64>,
    /// 90th percentile in days.
    pub p90_days: Option<f64>,
    /// 99th percentile in days.
    pub p99_days: Option<f64>,
    /// Estimated `P(wait <= slots simulated)`: how far the run resolves the distribution.
    pub cdf_at_window: f64,
}

/// Earnings of the honest online keys over the run, in tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EarningsStats {
    /// Keys.
    pub keys: u64,
    /// Keys that earned nothing.
    pub zero_earners: u64,
    /// Mean.
    pub mean: f64,
    /// 10th percentile (nearest rank).
    pub p10: f64,
    /// Median (nearest rank).
    pub median: f64,
    /// 90th percentile (nearest rank).
    pub p90: f64,
    /// Largest.
    pub max: f64,
    /// `max / median`; `None` if the median is 0.
    pub max_over_median: Option<f64>,
    /// Gini coefficient ([`gini`]).
    pub gini: f64,
}

/// What the large staker took.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LargeStakerStats {
    /// Its keys L.
    pub keys: u64,
    /// `L / N`.
    pub key_share: f64,
    /// Share of the round-1 jobs credited to it (controlling every transcript); §9.5's
    /// "controlled" figure.
    pub round_one_job_share: f64,
    /// Share of the round-1 jobs the honest merge rule would credit it; §9.5's "honest" figure.
    pub round_one_job_share_honest: f64,
    /// Its share of the credited prover cost (controlling every transcript).
    pub prover_cost_share: f64,
    /// The same under the honest merge rule.
    pub prover_cost_share_honest: f64,
    /// Its share of the prover claims paid.
    pub prover_reward_share: f64,
    /// Its share of the blocks proposed.
    pub sequencing_share: f64,
    /// Its share of all rewards paid (sequencer, submitter and prover).
    pub total_reward_share: f64,
}

/// A run's report with the full estimated wait distributions (for plots).
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    /// The report.
    pub report: StatReport,
    /// `prover_reward_cdf[t]`: estimated `P(wait <= t slots)` between prover rewards, `t` in
    /// `0..=slots`.
    pub prover_reward_cdf: Vec<f64>,
    /// The same for sequencing.
    pub sequencing_cdf: Vec<f64>,
}

/// Runs the statistical simulation (module docs) and returns its report.
pub fn run(params: &Params, cfg: &StatConfig) -> Result<StatReport> {
    simulate(params, cfg).map(|s| s.report)
}

/// Runs the statistical simulation and also returns the estimated wait distributions.
pub fn simulate(params: &Params, cfg: &StatConfig) -> Result<Simulation> {
    let setup = Setup::new(params, cfg)?;
    let n_keys = setup.pop.keys as usize;
    let slots = cfg.slots;
    let window = slots as usize;
    let schedule = &setup.schedule;
    let ranges = &setup.ranges;
    let pop = &setup.pop;
    let quorum = params.attestation_quorum;
    let committee_jobs = schedule.prover_jobs();

    let mut scratch = Scratch::new(schedule, n_keys);
    let mut low = Vec::new();
    let mut high = Vec::new();
    let mut earnings = vec![0u128; n_keys];
    let mut prover_earnings = vec![0u128; n_keys];
    let mut last_prover = vec![NONE; n_keys];
    let mut last_sequencing = vec![NONE; n_keys];
    let mut prover_waits = vec![0u64; window + 1];
    let mut sequencing_waits = vec![0u64; window + 1];
    let mut claims: BTreeMap<u64, u128> = BTreeMap::new();

    let mut counts = SlotCounts::default();
    let mut sizes = Sizes::default();
    let mut jobs = JobTally::default();
    let mut credited_keys = 0u64;
    let (mut paid_sequencer, mut paid_submitter, mut paid_provers) = (0u128, 0u128, 0u128);
    let (mut large_sequencing, mut large_provers, mut large_total) = (0u64, 0u128, 0u128);

    for slot in 0..slots {
        let slot32 = slot as u32; // slots <= MAX_SLOTS < 2^32
        let mut rng = Rng::new(cfg.seed, slot);
        draw_slot(&mut rng, ranges, pop.keys, &mut low, &mut high);
        let view = SlotView::of(ranges, pop, &low, &high);
        counts.simulated += 1;
        sizes.add(&view);
        let quorum_held = u64::from(view.attesters_online) >= quorum;
        counts.no_sequencer += u64::from(view.proposer.is_none());
        counts.quorum_missed += u64::from(!quorum_held);
        let Some(proposer) = view.proposer.filter(|_| quorum_held) else {
            continue;
        };
        counts.proposed += 1;
        if pop.is_large(proposer) {
            large_sequencing += 1;
        } else {
            record(
                &mut last_sequencing,
                &mut sequencing_waits,
                proposer,
                slot32,
            );
        }

        let tally = tally_jobs(schedule, ranges, pop, &low, &mut scratch);
        jobs.add(&tally);
        credited_keys += scratch.touched.len() as u64;
        let coverage = Coverage {
            credited_jobs: u64::from(committee_jobs) - tally.unfilled,
            committee_jobs: u64::from(committee_jobs),
        };
        if !rewards::meets_coverage(coverage, params.min_coverage_bps) {
            counts.coverage_too_low += 1;
            scratch.clear_block();
            continue;
        }
        counts.proven += 1;
        let payout = rewards::block_payout(params, MAX, coverage);
        let sequencer_pay: u128 = payout.sequencer.saturating_to();
        let submitter_pay: u128 = payout.submitter.saturating_to();
        paid_sequencer += sequencer_pay;
        paid_submitter += submitter_pay;
        add(&mut earnings[proposer as usize], sequencer_pay);
        if pop.large > 0 {
            large_total += submitter_pay;
        } else {
            add(&mut earnings[proposer as usize], submitter_pay);
        }
        if pop.is_large(proposer) {
            large_total += sequencer_pay;
        }
        for &key in &scratch.touched {
            let cost = scratch.block_cost[key as usize];
            let amount = match claims.get(&cost) {
                Some(&a) => a,
                None => {
                    let a =
                        rewards::claim_amount(payout.provers, cost, schedule.total_prover_cost())?
                            .saturating_to::<u128>();
                    claims.insert(cost, a);
                    a
                }
            };
            paid_provers += amount;
            add(&mut earnings[key as usize], amount);
            add(&mut prover_earnings[key as usize], amount);
            if pop.is_large(key) {
                large_provers += amount;
            } else {
                record(&mut last_prover, &mut prover_waits, key, slot32);
            }
        }
        scratch.clear_block();
    }
    large_total += large_provers;

    // Censor every honest online key's last wait at the end of the run.
    let mut prover_censored = vec![0u64; window + 1];
    let mut sequencing_censored = vec![0u64; window + 1];
    let mut honest_earnings = Vec::with_capacity(pop.honest_online as usize);
    let mut honest_prover_earnings = Vec::with_capacity(pop.honest_online as usize);
    for key in 0..pop.keys {
        if !pop.is_honest_online(key) {
            continue;
        }
        let k = key as usize;
        for (last, censored) in [
            (last_prover[k], &mut prover_censored),
            (last_sequencing[k], &mut sequencing_censored),
        ] {
            let c = if last == NONE {
                window
            } else {
                window - 1 - last as usize
            };
            censored[c] += 1;
        }
        honest_earnings.push(earnings[k] as f64 / TOKEN);
        honest_prover_earnings.push(prover_earnings[k] as f64 / TOKEN);
    }
    let slot_seconds = params.slot_duration;
    let (prover_reward_wait, prover_reward_cdf) = waits(
        &prover_waits,
        &prover_censored,
        pop.honest_online,
        slot_seconds,
    );
    let (sequencing_wait, sequencing_cdf) = waits(
        &sequencing_waits,
        &sequencing_censored,
        pop.honest_online,
        slot_seconds,
    );

    let simulated = counts.simulated as f64;
    counts.block_share = counts.proposed as f64 / simulated;
    let jobs_total = jobs.jobs();
    let share = |x: u64, of: u64| if of == 0 { 0.0 } else { x as f64 / of as f64 };
    let total_paid = paid_sequencer + paid_submitter + paid_provers;
    let share128 = |x: u128, of: u128| if of == 0 { 0.0 } else { x as f64 / of as f64 };
    let large_staker = (pop.large > 0).then(|| {
        let round_one_jobs = counts.proposed * u64::from(schedule.jobs(1));
        let credited_cost = jobs.credited_cost;
        LargeStakerStats {
            keys: u64::from(pop.large),
            key_share: f64::from(pop.large) / f64::from(pop.keys),
            round_one_job_share: share(jobs.large_round_one, round_one_jobs),
            round_one_job_share_honest: share(jobs.large_round_one_honest, round_one_jobs),
            prover_cost_share: share128(jobs.large_cost, credited_cost),
            prover_cost_share_honest: share128(jobs.large_cost_honest, credited_cost),
            prover_reward_share: share128(large_provers, paid_provers),
            sequencing_share: share(large_sequencing, counts.proposed),
            total_reward_share: share128(large_total, total_paid),
        }
    });
    let report = StatReport {
        config: *cfg,
        height: setup.height,
        slot_seconds,
        days: days(simulated, slot_seconds),
        large_keys: u64::from(pop.large),
        offline_keys: pop.offline_count,
        honest_online_keys: pop.honest_online,
        slots: counts,
        committees: CommitteeStats {
            round_one_target: params.redundancy * u64::from(schedule.jobs(1)),
            round_one_mean: sizes.round_one as f64 / simulated,
            round_one_online_mean: sizes.round_one_online as f64 / simulated,
            attestation_target: params.attestation_target,
            attestation_quorum: quorum,
            attestation_mean: sizes.attesters as f64 / simulated,
            attestation_online_mean: sizes.attesters_online as f64 / simulated,
            below_quorum_share: counts.quorum_missed as f64 / simulated,
            sequencer_target: params.sequencer_target,
            eligible_sequencers_mean: sizes.eligible as f64 / simulated,
        },
        jobs: JobStats {
            committee_jobs_per_block: committee_jobs,
            total_prover_cost: schedule.total_prover_cost(),
            jobs: jobs_total,
            assigned: jobs.assigned,
            neighbour_filled: jobs.filled,
            unfilled: jobs.unfilled,
            assigned_share: share(jobs.assigned, jobs_total),
            neighbour_filled_share: share(jobs.filled, jobs_total),
            unfilled_share: share(jobs.unfilled, jobs_total),
            unfilled_cost_share: share128(
                jobs.unfilled_cost,
                u128::from(counts.proposed) * u128::from(schedule.total_prover_cost()),
            ),
            credited_keys_per_block: share(credited_keys, counts.proposed),
        },
        rewards: RewardTotals {
            sequencer: paid_sequencer as f64 / TOKEN,
            submitter: paid_submitter as f64 / TOKEN,
            provers: paid_provers as f64 / TOKEN,
        },
        prover_reward_wait,
        sequencing_wait,
        earnings: earnings_stats(honest_earnings),
        prover_earnings: earnings_stats(honest_prover_earnings),
        large_staker,
    };
    Ok(Simulation {
        report,
        prover_reward_cdf,
        sequencing_cdf,
    })
}

/// Gini coefficient of non-negative values: `Σ_i (2i - n - 1) x_(i) / (n Σ x)` over the values
/// sorted ascending (`i` from 1). 0 when all are equal, `(n - 1) / n` when one value holds
/// everything; 0 for no values or a zero sum.
pub fn gini(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    gini_sorted(&sorted)
}

fn gini_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len() as f64;
    let total: f64 = sorted.iter().sum();
    if sorted.is_empty() || total <= 0.0 {
        return 0.0;
    }
    let weighted: f64 = sorted
        .iter()
        .enumerate()
        .map(|(i, &x)| (2.0 * (i as f64 + 1.0) - n - 1.0) * x)
        .sum();
    weighted / (n * total)
}

fn days(slots: f64, slot_seconds: u64) -> f64 {
    slots * slot_seconds as f64 / SECONDS_PER_DAY
}

fn add(total: &mut u128, amount: u128) {
    *total = total.saturating_add(amount);
}

/// Records an event of `key` at `slot` in the wait histogram.
fn record(last: &mut [u32], waits: &mut [u64], key: u32, slot: u32) {
    let prev = last[key as usize];
    let wait = if prev == NONE { slot + 1 } else { slot - prev };
    waits[wait as usize] += 1;
    last[key as usize] = slot;
}

/// Kaplan–Meier estimate of the wait distribution from observed waits (`observed[t]`, t >= 1) and
/// right-censored ones (`censored[c]`: wait known to exceed c).
fn waits(
    observed: &[u64],
    censored: &[u64],
    keys: u64,
    slot_seconds: u64,
) -> (WaitStats, Vec<f64>) {
    let window = observed.len() - 1;
    // at_risk[t] = #observed >= t + #censored >= t.
    let mut at_risk = vec![0u64; window + 2];
    for t in (0..=window).rev() {
        at_risk[t] = at_risk[t + 1] + observed[t] + censored[t];
    }
    let mut cdf = vec![0.0; window + 1];
    let mut survival = 1.0;
    for t in 1..=window {
        if at_risk[t] > 0 {
            survival *= 1.0 - observed[t] as f64 / at_risk[t] as f64;
        }
        cdf[t] = 1.0 - survival;
    }
    let quantile = |q: f64| {
        cdf.iter()
            .position(|&f| f >= q)
            .map(|t| days(t as f64, slot_seconds))
    };
    let events: u64 = observed.iter().sum();
    let mean_slots = (events > 0).then(|| keys as f64 * window as f64 / events as f64);
    let stats = WaitStats {
        keys,
        events,
        mean_slots,
        mean_days: mean_slots.map(|m| days(m, slot_seconds)),
        p10_days: quantile(0.1),
        p50_days: quantile(0.5),
        p90_days: quantile(0.9),
        p99_days: quantile(0.99),
        cdf_at_window: cdf[window],
    };
    (stats, cdf)
}

fn earnings_stats(mut values: Vec<f64>) -> EarningsStats {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let rank = |q: f64| {
        if n == 0 {
            return 0.0;
        }
        // Nearest rank: the ceil(q n)-th smallest.
        let r = (q * n as f64).ceil() as usize;
        values[r.clamp(1, n) - 1]
    };
    let median = rank(0.5);
    let max = values.last().copied().unwrap_or(0.0);
    let total: f64 = values.iter().sum();
    EarningsStats {
        keys: n as u64,
        zero_earners: values.iter().take_while(|&&v| v == 0.0).count() as u64,
        mean: if n == 0 { 0.0 } else { total / n as f64 },
        p10: rank(0.1),
        median,
        p90: rank(0.9),
        max,
        max_over_median: (median > 0.0).then(|| max / median),
        gini: gini_sorted(&values),
    }
}

// ------------------------------------------------------------------------------------ setup

/// The keys: indices `0..large` are the large staker's, `offline` marks offline keys.
#[derive(Debug, Clone)]
struct Population {
    keys: u32,
    large: u32,
    offline: Vec<u64>,
    offline_count: u64,
    honest_online: u64,
}

impl Population {
    fn all_online(keys: u32) -> Self {
        Self {
            keys,
            large: 0,
            offline: vec![0; (keys as usize).div_ceil(64)],
            offline_count: 0,
            honest_online: u64::from(keys),
        }
    }

    fn is_large(&self, key: u32) -> bool {
        key < self.large
    }

    fn online(&self, key: u32) -> bool {
        self.offline[(key / 64) as usize] & (1 << (key % 64)) == 0
    }

    fn is_honest_online(&self, key: u32) -> bool {
        !self.is_large(key) && self.online(key)
    }

    fn set_offline(&mut self, key: u32) -> bool {
        let (word, bit) = ((key / 64) as usize, 1u64 << (key % 64));
        let was = self.offline[word] & bit != 0;
        self.offline[word] |= bit;
        !was
    }
}

/// Thresholds of one slot (the same in every slot: N is fixed).
#[derive(Debug, Clone)]
struct Ranges {
    /// `round[r] = committeeThreshold(R * jobs(r), N)` for r in `1..K`; 0 elsewhere.
    round: Vec<U256>,
    attestation: U256,
    /// `max(T_1, T_att)`: scores below it are drawn.
    low: U256,
    floor: U256,
    /// `low + (MAX - floor)`: the size of the drawn part of the score space.
    union: U256,
    /// `union / 2^256`.
    p_any: f64,
}

impl Ranges {
    fn new(params: &Params, schedule: &Schedule, keys: u64) -> Self {
        let k = schedule.rounds();
        let mut round = vec![U256::ZERO; k as usize + 1];
        for r in 1..k {
            round[r as usize] = schedule.committee_threshold(r, keys);
        }
        let attestation = selection::attestation_threshold(params, keys);
        let low = round.get(1).copied().unwrap_or_default().max(attestation);
        let floor = selection::sequencer_floor_for(params, keys);
        // low <= HALF and MAX - floor <= HALF - 1: no overflow.
        let union = low + (MAX - floor);
        Self {
            round,
            attestation,
            low,
            floor,
            union,
            p_any: model::below(union),
        }
    }
}

struct Setup {
    height: u8,
    schedule: Schedule,
    ranges: Ranges,
    pop: Population,
}

impl Setup {
    fn new(params: &Params, cfg: &StatConfig) -> Result<Self> {
        let fail = |param, reason| Err(Error::InvalidParam { param, reason });
        if cfg.stakers == 0 {
            return fail("stakers", "is zero");
        }
        if cfg.stakers >= u64::from(NONE) {
            return fail("stakers", "must be below 2^32 - 1");
        }
        if cfg.slots == 0 || cfg.slots > MAX_SLOTS {
            return fail("slots", "must be in 1..=10,000,000");
        }
        if !(0.0..1.0).contains(&cfg.offline) {
            return fail("offline", "must be in [0, 1)");
        }
        if !(0.0..1.0).contains(&cfg.large_staker_share) {
            return fail("largeStakerShare", "must be in [0, 1)");
        }
        if params.slot_duration == 0 {
            return Err(Error::ZeroDuration("slotDuration"));
        }
        let keys = cfg.stakers as u32;
        let large = (cfg.large_staker_share * f64::from(keys)).round() as u32;
        if cfg.large_staker_share > 0.0 && large == 0 {
            return fail("largeStakerShare", "rounds to no key at this staker count");
        }
        let others = keys - large.min(keys);
        if others == 0 {
            return fail("largeStakerShare", "leaves no other key");
        }
        let offline = (cfg.offline * f64::from(others)).round() as u32;
        if offline >= others {
            return fail("offline", "leaves no honest online key");
        }
        let height = if cfg.height == 0 {
            schedule::policy_cap(params, cfg.stakers)
        } else {
            cfg.height
        };
        let schedule = Schedule::new(params, height)?;
        let ranges = Ranges::new(params, &schedule, cfg.stakers);

        // Floyd's sampling of `offline` distinct keys among large..keys, from its own stream.
        let mut pop = Population::all_online(keys);
        pop.large = large;
        let mut rng = Rng::new(cfg.seed, u64::MAX);
        for j in (others - offline)..others {
            let t = rng.below(u64::from(j) + 1) as u32;
            if !pop.set_offline(large + t) {
                pop.set_offline(large + j);
            }
        }
        pop.offline_count = u64::from(offline);
        pop.honest_online = u64::from(others - offline);
        Ok(Self {
            height,
            schedule,
            ranges,
            pop,
        })
    }
}

// ------------------------------------------------------------------------------------ one slot

/// A key drawn into a selection range, with its score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Drawn {
    score: U256,
    key: u32,
}

/// Draws the keys of one slot whose score is below `ranges.low` (into `low`) or above the
/// sequencer floor (into `high`), each with its score, in ascending key order.
fn draw_slot(
    rng: &mut Rng,
    ranges: &Ranges,
    keys: u32,
    low: &mut Vec<Drawn>,
    high: &mut Vec<Drawn>,
) {
    low.clear();
    high.clear();
    if ranges.p_any <= 0.0 || ranges.union.is_zero() {
        return;
    }
    let every = ranges.p_any >= 1.0;
    let ln_q = if every { 0.0 } else { ln_1p(-ranges.p_any) };
    let keys = u64::from(keys);
    let mut key = 0u64;
    loop {
        if !every {
            // Failures before the next success: floor(ln U / ln(1 - p)), U uniform in (0, 1].
            let skip = ln(rng.unit()) / ln_q;
            if skip >= (keys - key) as f64 {
                break;
            }
            key += skip as u64;
        }
        if key >= keys {
            break;
        }
        let v = rng.below_u256(ranges.union);
        let drawn = if v < ranges.low {
            Drawn {
                score: v,
                key: key as u32,
            }
        } else {
            Drawn {
                score: ranges.floor + U256::from(1) + (v - ranges.low),
                key: key as u32,
            }
        };
        if v < ranges.low {
            low.push(drawn);
        } else {
            high.push(drawn);
        }
        key += 1;
    }
}

/// Committee sizes and the winning proposer of one slot.
#[derive(Debug, Clone, Copy, Default)]
struct SlotView {
    round_one: u32,
    round_one_online: u32,
    attesters: u32,
    attesters_online: u32,
    eligible: u32,
    proposer: Option<u32>,
}

impl SlotView {
    fn of(ranges: &Ranges, pop: &Population, low: &[Drawn], high: &[Drawn]) -> Self {
        let t1 = ranges.round.get(1).copied().unwrap_or_default();
        let mut v = Self::default();
        for m in low {
            let online = pop.online(m.key);
            if m.score < t1 {
                v.round_one += 1;
                v.round_one_online += u32::from(online);
            }
            if m.score < ranges.attestation {
                v.attesters += 1;
                v.attesters_online += u32::from(online);
            }
        }
        v.eligible = high.len() as u32;
        // Highest score wins; on equal scores (§7.6) the lower key index.
        v.proposer = high
            .iter()
            .filter(|m| pop.online(m.key))
            .max_by(|a, b| a.score.cmp(&b.score).then(b.key.cmp(&a.key)))
            .map(|m| m.key);
        v
    }
}

#[derive(Debug, Default)]
struct Sizes {
    round_one: u64,
    round_one_online: u64,
    attesters: u64,
    attesters_online: u64,
    eligible: u64,
}

impl Sizes {
    fn add(&mut self, v: &SlotView) {
        self.round_one += u64::from(v.round_one);
        self.round_one_online += u64::from(v.round_one_online);
        self.attesters += u64::from(v.attesters);
        self.attesters_online += u64::from(v.attesters_online);
        self.eligible += u64::from(v.eligible);
    }
}

/// Job outcomes of one block (or summed over blocks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct JobTally {
    assigned: u64,
    filled: u64,
    unfilled: u64,
    unfilled_cost: u128,
    credited_cost: u128,
    large_round_one: u64,
    large_round_one_honest: u64,
    large_cost: u128,
    large_cost_honest: u128,
}

impl JobTally {
    fn jobs(&self) -> u64 {
        self.assigned + self.filled + self.unfilled
    }

    fn add(&mut self, o: &Self) {
        self.assigned += o.assigned;
        self.filled += o.filled;
        self.unfilled += o.unfilled;
        self.unfilled_cost += o.unfilled_cost;
        self.credited_cost += o.credited_cost;
        self.large_round_one += o.large_round_one;
        self.large_round_one_honest += o.large_round_one_honest;
        self.large_cost += o.large_cost;
        self.large_cost_honest += o.large_cost_honest;
    }
}

/// Per-block buffers: the lowest online owner of each job of a round (honest and the large
/// staker's), and the cost credited to each key in the block.
struct Scratch {
    owner: Vec<u32>,
    large_owner: Vec<u32>,
    members: Vec<Drawn>,
    block_cost: Vec<u64>,
    /// Keys credited in the block, in order of first credit.
    touched: Vec<u32>,
}

impl Scratch {
    fn new(schedule: &Schedule, keys: usize) -> Self {
        let jobs = schedule.jobs(1) as usize;
        Self {
            owner: vec![NONE; jobs],
            large_owner: vec![NONE; jobs],
            members: Vec::new(),
            block_cost: vec![0; keys],
            touched: Vec::new(),
        }
    }

    fn clear_block(&mut self) {
        for &k in &self.touched {
            self.block_cost[k as usize] = 0;
        }
        self.touched.clear();
    }
}

/// Classifies and credits every committee job of a block (module docs), leaving each credited
/// key's cost in `scratch.block_cost` and the keys in `scratch.touched`.
fn tally_jobs(
    schedule: &Schedule,
    ranges: &Ranges,
    pop: &Population,
    low: &[Drawn],
    scratch: &mut Scratch,
) -> JobTally {
    let mut t = JobTally::default();
    let capture = pop.large > 0;
    let Scratch {
        owner: owner_buf,
        large_owner: large_buf,
        members,
        block_cost,
        touched,
    } = scratch;
    members.clear();
    members.extend(low.iter().filter(|m| pop.online(m.key)));
    for r in 1..schedule.rounds() {
        let threshold = ranges.round[r as usize];
        members.retain(|m| m.score < threshold);
        let jobs = schedule.jobs(r) as usize;
        let cost = schedule.cost(r);
        // owner[j]: position in `members` of job j's lowest online owner (NONE: no owner).
        let owner = &mut owner_buf[..jobs];
        let large_owner = &mut large_buf[..jobs];
        owner.fill(NONE);
        large_owner.fill(NONE);
        let lower = |candidate: &Drawn, current: u32| {
            current == NONE || *candidate < members[current as usize]
        };
        for (i, m) in members.iter().enumerate() {
            let j = schedule.job_of(m.score, r) as usize;
            if lower(m, owner[j]) {
                owner[j] = i as u32;
            }
            if pop.is_large(m.key) && lower(m, large_owner[j]) {
                large_owner[j] = i as u32;
            }
        }
        let key = |position: u32| members[position as usize].key;
        let width = schedule.neighbourhood_of(r, 0).len();
        for start in (0..jobs).step_by(width) {
            let group = start..start + width;
            let Some(first_owned) = group.clone().find(|&j| owner[j] != NONE) else {
                t.unfilled += width as u64;
                t.unfilled_cost += width as u128 * u128::from(cost);
                continue;
            };
            // §9.4's first filler: the lowest owner of the neighbourhood's lowest owned job.
            let filler = key(owner[first_owned]);
            let first_large = match capture {
                true => group.clone().find(|&j| large_owner[j] != NONE),
                false => None,
            };
            for j in group {
                let honest = if owner[j] != NONE {
                    t.assigned += 1;
                    key(owner[j])
                } else {
                    t.filled += 1;
                    filler
                };
                let credited = match first_large {
                    Some(first) if large_owner[j] == NONE => key(large_owner[first]),
                    Some(_) => key(large_owner[j]),
                    None => honest,
                };
                let c = u128::from(cost);
                t.credited_cost += c;
                if pop.is_large(credited) {
                    t.large_cost += c;
                    t.large_round_one += u64::from(r == 1);
                }
                if pop.is_large(honest) {
                    t.large_cost_honest += c;
                    t.large_round_one_honest += u64::from(r == 1);
                }
                credit(block_cost, touched, credited, cost);
            }
        }
    }
    t
}

/// Adds `cost` to `key`'s cost in the block, noting the key on its first credit.
fn credit(block_cost: &mut [u64], touched: &mut Vec<u32>, key: u32, cost: u64) {
    let c = &mut block_cost[key as usize];
    if *c == 0 {
        touched.push(key);
    }
    *c += cost;
}

// ------------------------------------------------------------------------------------ randomness

/// xoshiro256** (Blackman and Vigna), seeded by splitmix64.
#[derive(Debug, Clone)]
struct Rng {
    s: [u64; 4],
}

/// One splitmix64 step: advances `state` and returns the next output.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Rng {
    /// The stream `stream` of `seed` (a slot, or `u64::MAX` for the setup).
    fn new(seed: u64, stream: u64) -> Self {
        let mut h = stream;
        let mut state = seed ^ splitmix64(&mut h);
        let s = [(); 4].map(|_| splitmix64(&mut state));
        Self { s }
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `(0, 1]`, a multiple of 2^-53.
    fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n` (Lemire's method), `n > 0`.
    fn below(&mut self, n: u64) -> u64 {
        let mut m = u128::from(self.next_u64()) * u128::from(n);
        if (m as u64) < n {
            let threshold = n.wrapping_neg() % n;
            while (m as u64) < threshold {
                m = u128::from(self.next_u64()) * u128::from(n);
            }
        }
        (m >> 64) as u64
    }

    /// Uniform in `0..bound` (rejection on the bound's bit length), `bound > 0`.
    fn below_u256(&mut self, bound: U256) -> U256 {
        let mask = MAX >> (256 - bound.bit_len());
        loop {
            let v = U256::from_limbs([(); 4].map(|_| self.next_u64())) & mask;
            if v < bound {
                return v;
            }
        }
    }
}

/// ln 2 split as in fdlibm: the high part ends in 21 zero bits, so `e * LN_2_HI` is exact for
/// every binary exponent e.
const LN_2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN_2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// `2 atanh(s) = ln((1 + s) / (1 - s))` for `|s| <= 0.172` (series to s^31).
fn atanh2(s: f64) -> f64 {
    let s2 = s * s;
    let mut sum = 0.0;
    for k in (1..16).rev() {
        sum = sum * s2 + 1.0 / f64::from(2 * k + 1);
    }
    2.0 * s * (1.0 + s2 * sum)
}

/// Natural logarithm of a positive normal `x`, from IEEE-754 basic operations only (so that it is
/// bit-identical on every platform, unlike libm's).
fn ln(x: f64) -> f64 {
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m > core::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    let e = e as f64;
    e * LN_2_HI + (e * LN_2_LO + atanh2((m - 1.0) / (m + 1.0)))
}

/// `ln(1 + x)` for `x > -1`, accurate for small `|x|`.
fn ln_1p(x: f64) -> f64 {
    if x.abs() < 0.25 {
        atanh2(x / (2.0 + x))
    } else {
        ln(1.0 + x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Scenario;
    use crate::schedule::SlotSchedule;
    use alloy_primitives::{keccak256, Address};

    fn close(got: f64, want: f64, tol: f64, what: &str) {
        assert!(
            (got - want).abs() <= tol,
            "{what}: got {got}, want {want} ± {tol}"
        );
    }

    fn cfg(stakers: u64, slots: u64, height: u8) -> StatConfig {
        StatConfig {
            stakers,
            slots,
            offline: 0.0,
            large_staker_share: 0.0,
            height,
            seed: 7,
        }
    }

    #[test]
    fn prng_matches_reference_vectors() {
        // splitmix64 from 1234567 (Vigna's reference output).
        let mut s = 1_234_567u64;
        let out: Vec<u64> = (0..5).map(|_| splitmix64(&mut s)).collect();
        assert_eq!(
            out,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423,
                4_593_380_528_125_082_431,
                16_408_922_859_458_223_821
            ]
        );
        // xoshiro256** from the state [1, 2, 3, 4].
        let mut r = Rng { s: [1, 2, 3, 4] };
        let out: Vec<u64> = (0..4).map(|_| r.next_u64()).collect();
        assert_eq!(out, [11_520, 0, 1_509_978_240, 1_215_971_899_390_074_240]);
        // Streams differ; bounded draws stay in range.
        assert_ne!(Rng::new(1, 0).next_u64(), Rng::new(1, 1).next_u64());
        assert_ne!(Rng::new(1, 0).next_u64(), Rng::new(2, 0).next_u64());
        let mut r = Rng::new(3, 3);
        for n in [1u64, 2, 3, 7, 1 << 40, u64::MAX] {
            for _ in 0..100 {
                assert!(r.below(n) < n);
            }
        }
        for bound in [U256::from(1), U256::from(5), selection::HALF, MAX] {
            for _ in 0..100 {
                assert!(r.below_u256(bound) < bound);
            }
        }
        for _ in 0..1000 {
            let u = r.unit();
            assert!(u > 0.0 && u <= 1.0);
        }
    }

    #[test]
    fn own_logarithm_matches_libm() {
        let mut r = Rng::new(9, 9);
        for _ in 0..20_000 {
            let x = r.unit() * 2f64.powi((r.below(120) as i32) - 100);
            let (got, want) = (ln(x), x.ln());
            assert!(
                (got - want).abs() <= 4e-16 * want.abs().max(1.0),
                "ln({x}) = {got}, libm {want}"
            );
        }
        assert_eq!(ln(1.0), 0.0);
        assert_eq!(LN_2_HI + LN_2_LO, core::f64::consts::LN_2);
        assert_eq!(LN_2_HI.to_bits() & 0x1f_ffff, 0);
        for x in [-0.2, -1e-3, -1e-9, -1e-15, 1e-12, 0.1, 0.24, 0.5, -0.5] {
            let (got, want) = (ln_1p(x), f64::ln_1p(x));
            assert!(
                (got - want).abs() <= 4e-16 * want.abs(),
                "ln_1p({x}) = {got}, libm {want}"
            );
        }
    }

    #[test]
    fn gini_of_equal_and_one_takes_all() {
        assert_eq!(gini(&[5.0; 1000]), 0.0);
        assert_eq!(gini(&[]), 0.0);
        assert_eq!(gini(&[0.0; 10]), 0.0);
        for n in [1usize, 2, 10, 1000] {
            let mut v = vec![0.0; n];
            v[n / 2] = 3.5;
            close(
                gini(&v),
                (n as f64 - 1.0) / n as f64,
                1e-15,
                "one takes all",
            );
        }
        // Two keys, one with three times the other: (3 - 1) / (2 * 4) = 0.25.
        close(gini(&[3.0, 1.0]), 0.25, 1e-15, "two keys");
    }

    #[test]
    fn same_seed_same_report() {
        let p = Params::testnet();
        let c = StatConfig {
            offline: 0.1,
            large_staker_share: 0.05,
            ..cfg(50_000, 150, 0)
        };
        let a = serde_json::to_string(&run(&p, &c).unwrap()).unwrap();
        let b = serde_json::to_string(&run(&p, &c).unwrap()).unwrap();
        assert_eq!(a, b);
        let other = serde_json::to_string(&run(&p, &StatConfig { seed: 8, ..c }).unwrap()).unwrap();
        assert_ne!(a, other);
        // The policy height at 50,000 keys is the testnet's maximum.
        assert!(a.contains("\"height\":11"));
    }

    #[test]
    fn config_is_validated() {
        let p = Params::testnet();
        let ok = cfg(1_000, 10, 0);
        for bad in [
            StatConfig { stakers: 0, ..ok },
            StatConfig { slots: 0, ..ok },
            StatConfig {
                slots: MAX_SLOTS + 1,
                ..ok
            },
            StatConfig { offline: 1.0, ..ok },
            StatConfig {
                offline: f64::NAN,
                ..ok
            },
            StatConfig {
                large_staker_share: -0.1,
                ..ok
            },
            StatConfig {
                large_staker_share: 1e-5,
                ..ok
            },
            StatConfig { height: 12, ..ok },
            StatConfig { height: 2, ..ok },
        ] {
            assert!(run(&p, &bad).is_err(), "{bad:?}");
        }
        let r = run(
            &p,
            &StatConfig {
                offline: 0.25,
                large_staker_share: 0.2,
                ..ok
            },
        )
        .unwrap();
        assert_eq!(
            (r.large_keys, r.offline_keys, r.honest_online_keys),
            (200, 200, 600)
        );
        assert_eq!(r.height, schedule::policy_cap(&p, 1_000));
    }

    fn address(i: u64) -> Address {
        Address::from_slice(&keccak256(i.to_be_bytes())[12..])
    }

    /// Per-slot figures of one slot, from the drawn members.
    fn figures(
        s: &Schedule,
        ranges: &Ranges,
        pop: &Population,
        low: &[Drawn],
        high: &[Drawn],
        scratch: &mut Scratch,
    ) -> [f64; 5] {
        let v = SlotView::of(ranges, pop, low, high);
        let t = tally_jobs(s, ranges, pop, low, scratch);
        let credited = scratch.touched.len();
        scratch.clear_block();
        [
            f64::from(v.round_one),
            f64::from(v.attesters),
            f64::from(v.eligible),
            t.unfilled as f64,
            credited as f64,
        ]
    }

    fn mean_and_se(rows: &[[f64; 5]], i: usize) -> (f64, f64) {
        let n = rows.len() as f64;
        let mean = rows.iter().map(|r| r[i]).sum::<f64>() / n;
        let var = rows.iter().map(|r| (r[i] - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, (var / n).sqrt())
    }

    /// The sampled slots against the exact `SlotSchedule` over hashed keys: committee sizes,
    /// attesters, eligible sequencers, unfilled jobs and credited keys agree in mean (within 4.5
    /// standard errors), uncapped (testnet, N = 400, n = 8) and capped at half the set (devnet,
    /// N = 32, n = 6). On the exact members the job tally reproduces `SlotSchedule`'s unowned
    /// and unfilled jobs exactly.
    #[test]
    fn sampled_slots_match_slot_schedule() {
        for (p, n, height, slots) in [
            (Params::testnet(), 400u64, 8u8, 1_500u64),
            (Params::devnet(), 32, 6, 3_000),
        ] {
            let s = Schedule::new(&p, height).unwrap();
            let ranges = Ranges::new(&p, &s, n);
            let pop = Population::all_online(n as u32);
            let mut scratch = Scratch::new(&s, n as usize);
            let keys: Vec<Address> = (0..n).map(address).collect();
            let mut exact = Vec::new();
            for slot in 0..slots {
                let seed = keccak256([b"spn-stats".as_slice(), &slot.to_be_bytes()].concat());
                let ss = SlotSchedule::build(&p, height, seed, n, &keys).unwrap();
                // Both are prefixes of the keys below max(T_1, T_att): the longer is all of them.
                let members = if ss.attesters().len() > ss.committee(1).len() {
                    ss.attesters()
                } else {
                    ss.committee(1)
                };
                let drawn = |m: &crate::Member| Drawn {
                    score: m.score,
                    key: m.index,
                };
                let low: Vec<Drawn> = members.iter().map(drawn).collect();
                let high: Vec<Drawn> = ss.sequencers().iter().map(drawn).collect();
                let t = tally_jobs(&s, &ranges, &pop, &low, &mut scratch);
                scratch.clear_block();
                assert_eq!(t.unfilled as usize, ss.unfilled_jobs().len());
                assert_eq!(
                    t.assigned as usize,
                    s.prover_jobs() as usize - ss.unowned_jobs().len()
                );
                exact.push(figures(&s, &ranges, &pop, &low, &high, &mut scratch));
            }
            let mut sampled = Vec::new();
            let (mut low, mut high) = (Vec::new(), Vec::new());
            for slot in 0..slots {
                draw_slot(
                    &mut Rng::new(11, slot),
                    &ranges,
                    n as u32,
                    &mut low,
                    &mut high,
                );
                assert!(low.iter().all(|m| m.score < ranges.low));
                assert!(high.iter().all(|m| m.score > ranges.floor));
                sampled.push(figures(&s, &ranges, &pop, &low, &high, &mut scratch));
            }
            for (i, what) in ["round 1", "attesters", "sequencers", "unfilled", "credited"]
                .into_iter()
                .enumerate()
            {
                let (a, sa) = mean_and_se(&exact, i);
                let (b, sb) = mean_and_se(&sampled, i);
                let tol = 4.5 * (sa * sa + sb * sb).sqrt() + 1e-9;
                close(b, a, tol, &format!("N = {n}: {what}"));
            }
            // And the binomial means: N * threshold / 2^256.
            let (b, _) = mean_and_se(&sampled, 0);
            let want = n as f64 * model::below(ranges.round[1]);
            close(b, want, 0.03 * want, &format!("N = {n}: round-1 mean"));
        }
    }

    fn testnet_with(d: u8) -> Params {
        Params {
            neighbourhood: d,
            ..Params::testnet()
        }
    }

    /// Unfilled jobs against `model::unfilled` (exact binomial), d = 0, 1, 2 at 0% and 10%
    /// offline: job share and cost share within 5 standard errors of the block count (unfilled
    /// jobs per block are close to Poisson).
    #[test]
    fn unfilled_share_matches_the_model() {
        let n = 20_000u64;
        for d in [0u8, 1, 2] {
            for offline in [0.0, 0.1] {
                let p = testnet_with(d);
                let slots = if d == 2 { 1_500 } else { 400 };
                let r = run(
                    &p,
                    &StatConfig {
                        offline,
                        ..cfg(n, slots, 11)
                    },
                )
                .unwrap();
                let m = model::unfilled(&p, 11, n, offline).unwrap();
                let blocks = r.slots.proposed as f64;
                // Standard errors as if unfilled jobs were Poisson per block (they are slightly
                // underdispersed); the cost one weights every job by the largest job cost.
                let se = (m.jobs / blocks).sqrt() / f64::from(m.committee_jobs);
                let total = r.jobs.total_prover_cost as f64;
                let largest = Schedule::new(&p, 11).unwrap().cost(1) as f64;
                let se_cost = (m.cost_share * total * largest / blocks).sqrt() / total;
                let what = format!("d = {d}, offline {offline}");
                close(r.jobs.unfilled_share, m.job_share, 5.0 * se, &what);
                close(
                    r.jobs.unfilled_cost_share,
                    m.cost_share,
                    5.0 * se_cost,
                    &format!("{what}: cost"),
                );
                let shares =
                    r.jobs.assigned_share + r.jobs.neighbour_filled_share + r.jobs.unfilled_share;
                close(shares, 1.0, 1e-12, "shares");
            }
        }
    }

    /// Days between prover rewards and between sequencing against `model::frequencies`: the mean
    /// within 3% and the quantiles within 5% (plus one slot), at 0% and 10% offline.
    #[test]
    fn reward_waits_match_the_model() {
        let p = Params::testnet();
        for offline in [0.0, 0.1] {
            let n = 20_000u64;
            let r = run(
                &p,
                &StatConfig {
                    offline,
                    ..cfg(n, 1_000, 11)
                },
            )
            .unwrap();
            let scenario = Scenario {
                stakers: n,
                tx_rate: 10.0,
                offline,
            };
            let f = model::frequencies(&p, &scenario).unwrap();
            assert_eq!(f.height, 11);
            let w = r.prover_reward_wait;
            let slot_days = days(1.0, p.slot_duration);
            let what = format!("offline {offline}");
            let want = f.prover_reward.mean_days;
            close(w.mean_days.unwrap(), want, 0.03 * want, &what);
            for (got, want) in [
                (w.p10_days, f.prover_reward.p10_days),
                (w.p50_days, f.prover_reward.p50_days),
                (w.p90_days, f.prover_reward.p90_days),
                (
                    w.p99_days,
                    days(
                        model::geometric_quantile(f.prover_reward.per_slot, 0.99),
                        p.slot_duration,
                    ),
                ),
            ] {
                close(got.unwrap(), want, 0.05 * want + slot_days, &what);
            }
            close(
                r.jobs.credited_keys_per_block,
                f.credited_provers_per_block,
                0.01 * f.credited_provers_per_block,
                "credited keys",
            );
            let pb = f.liveness.p_block;
            let se = (pb * (1.0 - pb) / r.slots.simulated as f64).sqrt();
            close(r.slots.block_share, pb, 4.5 * se, "block share");
        }
        // Sequencing: about 0.97 events per slot among 2,048 keys.
        let n = 2_048u64;
        let r = run(&p, &cfg(n, 3_000, 11)).unwrap();
        let f = model::frequencies(
            &p,
            &Scenario {
                stakers: n,
                tx_rate: 10.0,
                offline: 0.0,
            },
        )
        .unwrap();
        let want = f.sequencing.mean_days;
        close(
            r.sequencing_wait.mean_days.unwrap(),
            want,
            0.08 * want,
            "sequencing",
        );
        assert_eq!(r.sequencing_wait.events, r.slots.proposed);
    }

    /// A 10% staker controlling every transcript takes §9.5's `1 - e^-(f R 2^d)` of the round-1
    /// jobs, and `f (1 - e^-(R 2^d))` under the honest merge rule; it proposes about f of the
    /// blocks.
    #[test]
    fn large_staker_captures_as_section_9_5_says() {
        let p = Params::testnet();
        let c = StatConfig {
            large_staker_share: 0.1,
            ..cfg(20_000, 300, 11)
        };
        let r = run(&p, &c).unwrap();
        let l = r.large_staker.unwrap();
        let m = model::capture(p.redundancy, p.neighbourhood, 0.1);
        close(l.key_share, 0.1, 1e-12, "key share");
        close(l.round_one_job_share, m.controlled, 0.01, "controlled");
        close(l.round_one_job_share_honest, m.honest, 0.005, "honest");
        close(
            l.prover_cost_share,
            l.round_one_job_share,
            0.01,
            "cost share",
        );
        close(
            l.prover_reward_share,
            l.prover_cost_share,
            0.005,
            "reward share",
        );
        close(l.sequencing_share, 0.1, 0.06, "sequencing");
        assert!(l.total_reward_share > l.key_share);
        // The honest keys share the rest; nobody is offline.
        assert_eq!(r.honest_online_keys, 18_000);
        assert!(run(&p, &cfg(20_000, 10, 11))
            .unwrap()
            .large_staker
            .is_none());
    }

    /// Rewards follow `rewards.rs`: every proven block pays B^Sequencer and B^Submitter by
    /// coverage and the provers their claims, never more than the pot.
    #[test]
    fn rewards_are_paid_by_coverage() {
        let p = Params::testnet();
        let r = run(&p, &cfg(20_000, 200, 11)).unwrap();
        let blocks = r.slots.proven as f64;
        assert!(blocks > 150.0);
        // Floors lose less than a wei per part and key; f64 sums lose far less than 1e-9.
        let rel = |x: f64| x * 1e-9;
        let coverage = 1.0 - r.jobs.unfilled_share;
        let want = blocks * 10.0 * coverage;
        close(r.rewards.submitter, want, rel(want), "submitter");
        let want = blocks * (50.0 + 64.0 * coverage);
        close(r.rewards.sequencer, want, rel(want), "sequencer");
        let want = blocks * 500.0 * (1.0 - r.jobs.unfilled_cost_share);
        assert!(r.rewards.provers <= want);
        close(r.rewards.provers, want, rel(want), "provers");
        let e = r.earnings;
        let paid = r.rewards.sequencer + r.rewards.submitter + r.rewards.provers;
        close(
            e.mean * r.honest_online_keys as f64,
            paid,
            rel(paid),
            "earnings add up",
        );
        let pe = r.prover_earnings;
        let provers = r.rewards.provers;
        close(
            pe.mean * r.honest_online_keys as f64,
            provers,
            rel(provers),
            "claims add up",
        );
        // The sequencing lottery spreads the total more than the claims.
        assert!(pe.gini < e.gini && pe.max <= e.max);
        assert!(e.gini > 0.0 && e.gini < 1.0);
        assert!(e.p10 <= e.median && e.median <= e.p90 && e.p90 <= e.max);
        // At 95% offline the committees cannot reach the minimum coverage: nothing is paid.
        let r = run(
            &p,
            &StatConfig {
                offline: 0.95,
                ..cfg(20_000, 50, 11)
            },
        )
        .unwrap();
        assert_eq!(r.slots.proven, 0);
        assert_eq!(r.rewards.provers + r.rewards.sequencer, 0.0);
    }

    /// Kaplan–Meier on a known geometric sample: no censoring gives the empirical CDF.
    #[test]
    fn waits_estimate_the_distribution() {
        // Waits 1, 2, 2, 3, none censored.
        let (w, cdf) = waits(&[0, 1, 2, 1], &[0, 0, 0, 0], 4, 86_400);
        assert_eq!(cdf, vec![0.0, 0.25, 0.75, 1.0]);
        assert_eq!(
            (w.p10_days, w.p50_days, w.p99_days),
            (Some(1.0), Some(2.0), Some(3.0))
        );
        assert_eq!(w.mean_slots, Some(3.0));
        // One wait of 1, one censored beyond 1: P(wait <= 1) = 1/2, then unknown.
        let (w, cdf) = waits(&[0, 1, 0], &[0, 1, 0], 2, 86_400);
        assert_eq!(cdf, vec![0.0, 0.5, 0.5]);
        assert_eq!((w.p50_days, w.p90_days), (Some(1.0), None));
    }

    /// The statistical mode at N = 500,000 for 10,000 slots, the configuration of
    /// `reward_days_sampled.svg` and of `examples/stats_run.rs`'s defaults (release: `cargo test
    /// --release -p spn-protocol stats::tests::timing_at_500k -- --ignored --nocapture`).
    #[test]
    #[ignore]
    fn timing_at_500k() {
        let p = Params::testnet();
        let c = StatConfig {
            seed: 1,
            ..cfg(500_000, 10_000, 11)
        };
        let t = std::time::Instant::now();
        let r = run(&p, &c).unwrap();
        let elapsed = t.elapsed();
        println!("{}", serde_json::to_string_pretty(&r).unwrap());
        println!(
            "run: N = 500,000, 10,000 slots in {:.2} s",
            elapsed.as_secs_f64()
        );
    }
}
