//! The work schedule of a block (SortitionLib, schedule half): rounds, jobs, global job ids, each committee
//! member's job per round, neighbourhoods and the cost model; plus [`SlotSchedule`], the whole
//! assignment of one slot computed from the staker set.
//!
//! A block of height n is proved in `K = ceil(n / m)` rounds. Round r works at
//! `level(r) = min(r * m, n)` and has `jobs(r) = 2^(n - level(r))` jobs, each the Merkle root
//! of `2^h(r)` round-(r-1) outputs with `h(r) = level(r) - level(r-1)`. Rounds 1..K-1 belong
//! to the committees, round K (the root) to the proposer. Global job ids concatenate the
//! rounds: `offset(r) = sum_{1 <= q < r} jobs(q)`, `totalJobs = offset(K + 1)`.

use core::ops::Range;

use alloy_primitives::{Address, B256, U256};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::params::Params;
use crate::selection::{self, Scorer};

/// The schedule of one block height under one parameter set. All methods are infallible or
/// return errors; the constructor checks the parameters and the height.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    height: u32,
    round_height: u32,
    rounds: u32,
    redundancy: u64,
    neighbourhood: u32,
    /// `offsets[r]` for `r` in `0..=K+1` (`offsets[0] = offsets[1] = 0`).
    offsets: Vec<u32>,
    /// `costs[r]` for `r` in `0..=K` (`costs[0] = 0`).
    costs: Vec<u64>,
    total_prover_cost: u64,
}

/// Cost weights of the simulated proofs in proof-seconds (`SortitionLib.CostWeights`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CostWeights {
    /// VM proofs per transaction.
    pub vm_proofs_per_tx: u64,
    /// Proof-seconds of one VM proof.
    pub vm_proof_cost: u64,
    /// Proof-seconds of one base rollup proof.
    pub base_proof_cost: u64,
    /// Proof-seconds of one merge proof.
    pub merge_proof_cost: u64,
}

/// `totalProverCost` with overflow checks; `None` on overflow or a degenerate geometry.
pub(crate) fn checked_total_prover_cost(params: &Params, height: u8) -> Option<u64> {
    checked_costs(
        &params.cost_weights(),
        u32::from(height),
        u32::from(params.round_height),
    )
    .map(|(_, total)| total)
}

/// Per-round job costs (`costs[r]`, r in `0..=K`, `costs[0] = 0`) and `totalProverCost`.
fn checked_costs(w: &CostWeights, n: u32, m: u32) -> Option<(Vec<u64>, u64)> {
    if m == 0 || n == 0 || n > MAX_GEOMETRY_HEIGHT {
        return None;
    }
    let k = n.div_ceil(m);
    let level = |r: u32| (r * m).min(n);
    let leaf_cost = w
        .vm_proofs_per_tx
        .checked_mul(w.vm_proof_cost)?
        .checked_add(w.base_proof_cost)?;
    let mut costs = vec![0u64; k as usize + 1];
    let mut total = 0u64;
    for r in 1..=k {
        let inputs = 1u64 << (level(r) - level(r - 1));
        let merges = (inputs - 1).checked_mul(w.merge_proof_cost)?;
        let cost = if r == 1 {
            inputs.checked_mul(leaf_cost)?.checked_add(merges)?
        } else {
            merges
        };
        costs[r as usize] = cost;
        if r < k {
            let jobs = 1u64 << (n - level(r));
            total = total.checked_add(jobs.checked_mul(cost)?)?;
        }
    }
    Some((costs, total))
}

/// Largest height [`Schedule::from_parts`] accepts: `2^n` leaves and every job id fit `u32`.
pub const MAX_GEOMETRY_HEIGHT: u32 = 31;

impl Schedule {
    /// The schedule of a block of `height` under `params`. Fails if the parameters are
    /// inconsistent or the height is outside `[minHeight, maxHeight]`.
    pub fn new(params: &Params, height: u8) -> Result<Self> {
        params.validate()?;
        if height < params.min_height || height > params.max_height {
            return Err(Error::HeightOutOfRange {
                height,
                min: params.min_height,
                max: params.max_height,
            });
        }
        Self::from_parts(
            height,
            params.round_height,
            params.redundancy,
            params.neighbourhood,
            params.cost_weights(),
        )
    }

    /// The schedule of any geometry, as `SortitionLib` computes it from `(height, roundHeight)`
    /// without the deployment's bounds (for differential tests). `height` in `1..=31`,
    /// `round_height >= 1` (`height <= round_height` gives a single round: the root), and the
    /// costs must fit `u64`.
    pub fn from_parts(
        height: u8,
        round_height: u8,
        redundancy: u64,
        neighbourhood: u8,
        costs: CostWeights,
    ) -> Result<Self> {
        let n = u32::from(height);
        let m = u32::from(round_height);
        if m == 0 {
            return Err(Error::InvalidParam {
                param: "roundHeight",
                reason: "is zero",
            });
        }
        if n == 0 || n > MAX_GEOMETRY_HEIGHT {
            return Err(Error::HeightOutOfRange {
                height,
                min: 1,
                max: MAX_GEOMETRY_HEIGHT as u8,
            });
        }
        let (costs, total_prover_cost) =
            checked_costs(&costs, n, m).ok_or(Error::InvalidParam {
                param: "vmProofCost",
                reason: "totalProverCost overflows uint64",
            })?;
        let rounds = n.div_ceil(m);
        let mut offsets = vec![0u32; rounds as usize + 2];
        for r in 1..=rounds {
            offsets[r as usize + 1] = offsets[r as usize] + (1u32 << (n - (r * m).min(n)));
        }
        Ok(Self {
            height: n,
            round_height: m,
            rounds,
            redundancy,
            neighbourhood: u32::from(neighbourhood),
            offsets,
            costs,
            total_prover_cost,
        })
    }

    /// Tree height n.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Subtree height of a job, m.
    pub fn round_height(&self) -> u32 {
        self.round_height
    }

    /// Number of rounds `K = ceil(n / m)`; round K is the root, proved by the proposer.
    pub fn rounds(&self) -> u32 {
        self.rounds
    }

    /// Neighbourhood d.
    pub fn neighbourhood(&self) -> u32 {
        self.neighbourhood
    }

    /// Whether round `r` is proved by a committee (`1 <= r < K`).
    pub fn is_prover_round(&self, round: u32) -> bool {
        round >= 1 && round < self.rounds
    }

    /// `level(r) = min(r * m, n)`; level 0 is the leaves, level n the root.
    pub fn level(&self, round: u32) -> u32 {
        (u64::from(round) * u64::from(self.round_height)).min(u64::from(self.height)) as u32
    }

    /// `jobs(r) = 2^(n - level(r))` (`jobs(0) = 2^n` leaves).
    pub fn jobs(&self, round: u32) -> u32 {
        1u32 << (self.height - self.level(round))
    }

    /// `h(r) = level(r) - level(r-1)`: each round-r job merges `2^h(r)` inputs (0 for round 0).
    pub fn subtree_height(&self, round: u32) -> u32 {
        match round {
            0 => 0,
            r => self.level(r) - self.level(r - 1),
        }
    }

    /// `offset(r) = sum_{1 <= q < r} jobs(q)`: global id of round r's job 0. Rounds 0 and 1 give
    /// 0; rounds past K + 1 give `totalJobs`.
    pub fn offset(&self, round: u32) -> u32 {
        let r = (round as usize).min(self.offsets.len() - 1);
        self.offsets[r]
    }

    /// `totalJobs = offset(K + 1)`; the last id is the root.
    pub fn total_jobs(&self) -> u32 {
        self.offsets[self.rounds as usize + 1]
    }

    /// Jobs the committees prove: `offset(K)`. A transcript contribution must be below it.
    pub fn prover_jobs(&self) -> u32 {
        self.offsets[self.rounds as usize]
    }

    /// Global id of the root job (`totalJobs - 1`).
    pub fn root_job(&self) -> u32 {
        self.total_jobs() - 1
    }

    /// Global id of job `index` of `round`.
    pub fn job_id(&self, round: u32, index: u32) -> Result<u32> {
        if round == 0 || round > self.rounds {
            return Err(Error::RoundOutOfRange {
                round,
                rounds: self.rounds,
            });
        }
        let jobs = self.jobs(round);
        if index >= jobs {
            return Err(Error::JobOutOfRange {
                job: index.into(),
                limit: jobs.into(),
            });
        }
        Ok(self.offset(round) + index)
    }

    /// `(round, index)` of a global job id.
    pub fn job_position(&self, job: u32) -> Result<(u32, u32)> {
        if job >= self.total_jobs() {
            return Err(Error::JobOutOfRange {
                job: job.into(),
                limit: self.total_jobs().into(),
            });
        }
        // offsets is non-decreasing; round r holds [offsets[r], offsets[r+1]).
        let round = (1..=self.rounds)
            .find(|&r| job < self.offsets[r as usize + 1])
            .unwrap_or(self.rounds);
        Ok((round, job - self.offset(round)))
    }

    /// Committee target of round r: `R * jobs(r)`.
    pub fn committee_target(&self, round: u32) -> U256 {
        U256::from(self.redundancy) * U256::from(self.jobs(round))
    }

    /// Committee threshold of round r: `committeeThreshold(R * jobs(r), N)`.
    pub fn committee_threshold(&self, round: u32, active: u64) -> U256 {
        selection::committee_threshold(self.committee_target(round), U256::from(active))
    }

    /// Expected size of round r's committee (`SortitionLib.roundSize`):
    /// `committeeSize(R * jobs(r), N)`.
    pub fn committee_size(&self, round: u32, active: u64) -> U256 {
        selection::committee_size(self.committee_target(round), U256::from(active))
    }

    /// Whether a score is in the round-r committee (only committee rounds `1..K` have one).
    pub fn in_committee(&self, score: U256, round: u32, active: u64) -> bool {
        self.is_prover_round(round) && score < self.committee_threshold(round, active)
    }

    /// The prover's path leaf: `score mod 2^n`.
    pub fn leaf(&self, score: U256) -> u32 {
        (score.as_limbs()[0] & ((1u64 << self.height) - 1)) as u32
    }

    /// The prover's job index in round r: `leaf >> level(r)`.
    pub fn job_of(&self, score: U256, round: u32) -> u32 {
        self.leaf(score) >> self.level(round)
    }

    /// Whether a member owning `own_job` may be credited for `job` in the same round:
    /// `(job >> d) == (own_job >> d)`. (A shift of 32 or more gives 0, as in Solidity.)
    pub fn in_neighbourhood(&self, job: u32, own_job: u32) -> bool {
        shr(job, self.neighbourhood) == shr(own_job, self.neighbourhood)
    }

    /// The round-r job indices a member owning `own_job` may be credited for.
    pub fn neighbourhood_of(&self, round: u32, own_job: u32) -> Range<u32> {
        let jobs = u64::from(self.jobs(round));
        let group = u64::from(shr(own_job, self.neighbourhood));
        let size = 1u64
            .checked_shl(self.neighbourhood)
            .unwrap_or(u64::MAX)
            .min(jobs);
        let start = (group * size).min(jobs);
        start as u32..(start + size).min(jobs) as u32
    }

    /// Cost of one round-r job in proof-seconds:
    /// `cost(1) = 2^h(1) * (vmProofsPerTx * vmProofCost + baseProofCost) + (2^h(1) - 1) * mergeProofCost`,
    /// `cost(r > 1) = (2^h(r) - 1) * mergeProofCost`. Zero outside `1..=K`.
    pub fn cost(&self, round: u32) -> u64 {
        self.costs.get(round as usize).copied().unwrap_or(0)
    }

    /// Cost of a global job id.
    pub fn job_cost(&self, job: u32) -> Result<u64> {
        Ok(self.cost(self.job_position(job)?.0))
    }

    /// `totalProverCost(n) = sum_{r=1..K-1} jobs(r) * cost(r)`.
    pub fn total_prover_cost(&self) -> u64 {
        self.total_prover_cost
    }
}

/// Largest height the sequencer policy allows (§8.7, not enforced on L1): the largest n whose
/// round-1 committee target `R * jobs(1) = R * 2^(n-m)` is at most `N / 2`, clamped to
/// `[minHeight, maxHeight]`. Above it the round-1 threshold is capped at half the set, so fewer
/// than R members per job are expected and neighbourhood fill no longer covers the tree (at
/// N = 1,024, n = 11 would leave about 13.9% of the cost to the proposer, §9.2).
pub fn policy_cap(p: &Params, active: u64) -> u8 {
    // 2^(n-m) <= N / (2R) <=> 2^(n-m) <= floor(N / (2R)), since the left side is an integer.
    let per_job = (active / 2 / p.redundancy.max(1)).max(1);
    let log = 63 - u64::from(per_job.leading_zeros());
    let cap = u64::from(p.round_height) + log;
    (cap.min(u64::from(p.max_height)) as u8).max(p.min_height)
}

/// Smallest height n with `2^n >= count` leaves (0 for a count of 0 or 1).
pub fn leaves_height(count: u64) -> u8 {
    match count {
        0 | 1 => 0,
        // ceil(log2(count)) = bit length of count - 1; at most 64, so the narrowing is exact.
        _ => (u64::BITS - (count - 1).leading_zeros()) as u8,
    }
}

fn shr(x: u32, d: u32) -> u32 {
    x.checked_shr(d).unwrap_or(0)
}

/// A staker with a low or high score in one slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// Score of the staker in the slot.
    pub score: U256,
    /// Index of the staker in the list given to [`SlotSchedule::build`].
    pub index: u32,
    /// Staking key address.
    pub address: Address,
}

/// The assignment of one slot: committees per round, attesters, sequencer candidates, owners of
/// every committee job, and the jobs nobody can fill.
///
/// Built with one SHA-256 per staker; only stakers under the largest committee threshold and
/// above the sequencer floor are kept, so memory follows the committee sizes, not the staker
/// count.
#[derive(Debug, Clone)]
pub struct SlotSchedule {
    schedule: Schedule,
    active_count: u64,
    /// `thresholds[r]` for committee rounds `1..K` (index 0 and K unused, zero).
    thresholds: Vec<U256>,
    attestation_threshold: U256,
    sequencer_floor: U256,
    /// Members below `max(T_1, T_att)`, ascending by (score, address).
    low: Vec<Member>,
    /// `committee_len[r]`: length of the round-r committee prefix of `low`.
    committee_len: Vec<usize>,
    attesters_len: usize,
    /// Sequencer-eligible stakers, highest score first.
    sequencers: Vec<Member>,
    /// CSR over committee jobs: owners of global job g are `owners[owner_start[g]..owner_start[g+1]]`,
    /// positions in `low`, ascending score.
    owner_start: Vec<u32>,
    owners: Vec<u32>,
    unowned: Vec<u32>,
    unfilled: Vec<u32>,
}

/// Words of a U256 in SHA-256 state order (most significant first).
fn words(x: U256) -> [u32; 8] {
    let b = x.to_be_bytes::<32>();
    core::array::from_fn(|i| {
        u32::from_be_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]])
    })
}

impl SlotSchedule {
    /// Scores every staker once against `slot_seed` and derives the whole slot's assignment for
    /// a block of `height`. `stakers` should be the stakers active at the slot's epoch and
    /// `active_count` the on-chain `activeCount(epoch)` (N); the builder does not check either.
    pub fn build(
        params: &Params,
        height: u8,
        slot_seed: B256,
        active_count: u64,
        stakers: &[Address],
    ) -> Result<Self> {
        let schedule = Schedule::new(params, height)?;
        if u32::try_from(stakers.len()).is_err() {
            return Err(Error::TooManyStakers(stakers.len()));
        }
        let k = schedule.rounds();
        let mut thresholds = vec![U256::ZERO; k as usize + 1];
        for r in 1..k {
            thresholds[r as usize] = schedule.committee_threshold(r, active_count);
        }
        let attestation_threshold = selection::attestation_threshold(params, active_count);
        let sequencer_floor = selection::sequencer_floor_for(params, active_count);

        // Hot loop: one compression pair per staker, word-wise comparisons, no allocation for
        // stakers outside both ranges. Thresholds are <= HALF <= floor, so the ranges are disjoint.
        let low_bound = words(thresholds[1].max(attestation_threshold));
        let floor = words(sequencer_floor);
        let mut scorer = Scorer::new(slot_seed);
        let mut low = Vec::new();
        let mut sequencers = Vec::new();
        for (i, &address) in stakers.iter().enumerate() {
            let w = scorer.score_words(address);
            if w < low_bound {
                low.push(Member {
                    score: from_words(&w),
                    index: i as u32,
                    address,
                });
            } else if w > floor {
                sequencers.push(Member {
                    score: from_words(&w),
                    index: i as u32,
                    address,
                });
            }
        }
        // Equal scores (a SHA-256 collision between two keys) are ordered by address (§7.6), so the
        // order does not depend on the order of the staker list.
        low.sort_unstable_by_key(|m| (m.score, m.address));
        sequencers.sort_unstable_by(|a, b| b.score.cmp(&a.score).then(a.address.cmp(&b.address)));

        let mut committee_len = vec![0usize; k as usize + 1];
        for r in 1..k {
            let t = thresholds[r as usize];
            committee_len[r as usize] = low.partition_point(|m| m.score < t);
        }
        let attesters_len = low.partition_point(|m| m.score < attestation_threshold);

        // Owners of each committee job, counting sort by global job id (stable: ascending score).
        let prover_jobs = schedule.prover_jobs() as usize;
        let mut owner_start = vec![0u32; prover_jobs + 1];
        for r in 1..k {
            let base = schedule.offset(r) as usize;
            for m in &low[..committee_len[r as usize]] {
                owner_start[base + schedule.job_of(m.score, r) as usize + 1] += 1;
            }
        }
        for g in 0..prover_jobs {
            owner_start[g + 1] += owner_start[g];
        }
        let mut cursor = owner_start.clone();
        let mut owners = vec![0u32; owner_start[prover_jobs] as usize];
        for r in 1..k {
            let base = schedule.offset(r) as usize;
            for (pos, m) in low[..committee_len[r as usize]].iter().enumerate() {
                let g = base + schedule.job_of(m.score, r) as usize;
                owners[cursor[g] as usize] = pos as u32;
                cursor[g] += 1;
            }
        }

        let mut unowned = Vec::new();
        let mut unfilled = Vec::new();
        for r in 1..k {
            let base = schedule.offset(r);
            let mut j = 0;
            while j < schedule.jobs(r) {
                let group = schedule.neighbourhood_of(r, j);
                let (lo, hi) = ((base + group.start) as usize, (base + group.end) as usize);
                let covered = owner_start[lo] != owner_start[hi];
                for g in lo..hi {
                    if owner_start[g] == owner_start[g + 1] {
                        unowned.push(g as u32);
                        if !covered {
                            unfilled.push(g as u32);
                        }
                    }
                }
                j = group.end;
            }
        }

        Ok(Self {
            schedule,
            active_count,
            thresholds,
            attestation_threshold,
            sequencer_floor,
            low,
            committee_len,
            attesters_len,
            sequencers,
            owner_start,
            owners,
            unowned,
            unfilled,
        })
    }

    /// The block's schedule.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// N used for the thresholds.
    pub fn active_count(&self) -> u64 {
        self.active_count
    }

    /// Committee threshold of round r (zero outside the committee rounds `1..K`).
    pub fn committee_threshold(&self, round: u32) -> U256 {
        self.thresholds
            .get(round as usize)
            .copied()
            .unwrap_or(U256::ZERO)
    }

    /// The attestation committee threshold `committeeThreshold(A, N)`.
    pub fn attestation_threshold(&self) -> U256 {
        self.attestation_threshold
    }

    /// The sequencer floor `sequencerFloor(N)`.
    pub fn sequencer_floor(&self) -> U256 {
        self.sequencer_floor
    }

    /// The round-r committee, ascending score (empty outside the committee rounds `1..K`).
    /// Committees are nested: a later round's committee is a prefix of an earlier one's.
    pub fn committee(&self, round: u32) -> &[Member] {
        let len = self.committee_len.get(round as usize).copied().unwrap_or(0);
        &self.low[..len]
    }

    /// The attestation committee, ascending score.
    pub fn attesters(&self) -> &[Member] {
        &self.low[..self.attesters_len]
    }

    /// Sequencer-eligible stakers, highest score (the winning proposal) first.
    pub fn sequencers(&self) -> &[Member] {
        &self.sequencers
    }

    /// The low-score member at a staker index, if that staker is in some committee.
    pub fn member(&self, staker_index: u32) -> Option<&Member> {
        self.low.iter().find(|m| m.index == staker_index)
    }

    /// `(round, global job id)` of each committee round the member is in, first round first.
    pub fn assignments<'a>(&'a self, member: &'a Member) -> impl Iterator<Item = (u32, u32)> + 'a {
        (1..self.schedule.rounds())
            .take_while(move |&r| member.score < self.thresholds[r as usize])
            .map(move |r| {
                (
                    r,
                    self.schedule.offset(r) + self.schedule.job_of(member.score, r),
                )
            })
    }

    fn members_at(&self, range: Range<usize>) -> impl Iterator<Item = &Member> + '_ {
        self.owners[range]
            .iter()
            .map(move |&p| &self.low[p as usize])
    }

    /// The members whose own job is the committee job `job` (global id), ascending score;
    /// empty for the root or an id out of range.
    pub fn job_owners(&self, job: u32) -> impl Iterator<Item = &Member> + '_ {
        let g = job as usize;
        let range = match g < self.schedule.prover_jobs() as usize {
            true => self.owner_start[g] as usize..self.owner_start[g + 1] as usize,
            false => 0..0,
        };
        self.members_at(range)
    }

    /// The members that may be credited for `job` (global id): the owners of every job of its
    /// neighbourhood, grouped by job then ascending score.
    pub fn fillers(&self, job: u32) -> impl Iterator<Item = &Member> + '_ {
        let range = match job < self.schedule.prover_jobs() {
            false => 0..0,
            true => {
                let (round, index) = self.schedule.job_position(job).unwrap_or((1, 0));
                let group = self.schedule.neighbourhood_of(round, index);
                let base = self.schedule.offset(round);
                self.owner_start[(base + group.start) as usize] as usize
                    ..self.owner_start[(base + group.end) as usize] as usize
            }
        };
        self.members_at(range)
    }

    /// Committee jobs (global ids, ascending) that no member owns.
    pub fn unowned_jobs(&self) -> &[u32] {
        &self.unowned
    }

    /// Committee jobs (global ids, ascending) that no member may fill even through its
    /// neighbourhood; they fall back to the proposer.
    pub fn unfilled_jobs(&self) -> &[u32] {
        &self.unfilled
    }
}

fn from_words(w: &[u32; 8]) -> U256 {
    let mut b = [0u8; 32];
    for (chunk, word) in b.chunks_exact_mut(4).zip(w) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    U256::from_be_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::selection::score;

    #[test]
    fn height_policy() {
        let p = Params::devnet();
        assert_eq!(policy_cap(&p, 32), 5); // §8.7: devnet at N = 32: n <= 5
        assert_eq!(policy_cap(&p, 4), 3);
        assert_eq!(policy_cap(&p, 10_000), 8);
        let t = Params::testnet();
        assert_eq!(policy_cap(&t, 2_048), 11); // §8.7: n = 11 needs N >= 2,048
        assert_eq!(policy_cap(&t, 2_047), 10);
        assert_eq!(policy_cap(&t, 1_024), 10);
    }

    /// The policy is coverage-safe: at its cap the round-1 committee is never capped at half the
    /// set, and one level higher it would be (unless the cap is the deployment's maximum).
    #[test]
    fn height_policy_never_caps_the_round_one_committee() {
        use crate::selection::{committee_threshold, HALF};
        for p in [Params::devnet(), Params::testnet()] {
            // Below 2R * 2^(minHeight - m) stakers even minHeight caps round 1; the policy cannot help.
            let smallest = (2 * p.redundancy) << (p.min_height - p.round_height);
            for active in (smallest..5_000).chain([10_000, 500_000]) {
                let n = policy_cap(&p, active);
                let round_one_target = |n: u8| U256::from(p.redundancy << (n - p.round_height));
                let at_cap = committee_threshold(round_one_target(n), U256::from(active));
                assert!(at_cap < HALF, "N = {active}: n = {n} caps round 1");
                if n < p.max_height {
                    let above = committee_threshold(round_one_target(n + 1), U256::from(active));
                    assert_eq!(above, HALF, "N = {active}: n = {} is also safe", n + 1);
                }
            }
        }
    }

    #[test]
    fn leaves_height_is_the_smallest_holding_tree() {
        assert_eq!(leaves_height(0), 0);
        assert_eq!(leaves_height(1), 0);
        assert_eq!(leaves_height(5), 3);
        assert_eq!(leaves_height(64), 6);
        assert_eq!(leaves_height(65), 7);
        assert_eq!(leaves_height(u64::MAX), 64);
        for count in 2..5_000u64 {
            let n = leaves_height(count);
            assert!(
                1u64 << n >= count && 1u64 << (n - 1) < count,
                "count {count}"
            );
        }
    }

    fn testnet_with(round_height: u8, min_height: u8) -> Params {
        Params {
            round_height,
            min_height,
            ..Params::testnet()
        }
    }

    #[test]
    fn worked_example_n11_m2_r2() {
        let s = Schedule::new(&Params::testnet(), 11).unwrap();
        assert_eq!(s.rounds(), 6);
        let levels: Vec<u32> = (0..=6).map(|r| s.level(r)).collect();
        assert_eq!(levels, [0, 2, 4, 6, 8, 10, 11]);
        let jobs: Vec<u32> = (1..=6).map(|r| s.jobs(r)).collect();
        assert_eq!(jobs, [512, 128, 32, 8, 2, 1]);
        let h: Vec<u32> = (1..=6).map(|r| s.subtree_height(r)).collect();
        assert_eq!(h, [2, 2, 2, 2, 2, 1]);
        let targets: Vec<U256> = (1..6).map(|r| s.committee_target(r)).collect();
        assert_eq!(targets, [1024, 256, 64, 16, 4].map(U256::from));
        let offsets: Vec<u32> = (1..=7).map(|r| s.offset(r)).collect();
        assert_eq!(offsets, [0, 512, 640, 672, 680, 682, 683]);
        assert_eq!(s.total_jobs(), 683);
        assert_eq!(s.prover_jobs(), 682);
        assert_eq!(s.root_job(), 682);
        // cost(1) = 4 * (2*10 + 5) + 3 * 2 = 106; cost(r>1) = 3 * 2 = 6; root (h = 1) = 2.
        let costs: Vec<u64> = (1..=6).map(|r| s.cost(r)).collect();
        assert_eq!(costs, [106, 6, 6, 6, 6, 2]);
        // 512*106 + (128 + 32 + 8 + 2) * 6
        assert_eq!(s.total_prover_cost(), 55_292);
        assert!(s.is_prover_round(5) && !s.is_prover_round(6) && !s.is_prover_round(0));
    }

    #[test]
    fn option_one_m1_n11() {
        let s = Schedule::new(&testnet_with(1, 2), 11).unwrap();
        assert_eq!(s.rounds(), 11);
        let jobs: Vec<u32> = (1..=11).map(|r| s.jobs(r)).collect();
        assert_eq!(jobs, [1024, 512, 256, 128, 64, 32, 16, 8, 4, 2, 1]);
        assert_eq!(s.total_jobs(), 2047);
        assert_eq!(s.prover_jobs(), 2046);
        assert_eq!(s.cost(1), 2 * 25 + 2);
        assert_eq!(s.cost(2), 2);
        // 1024*52 + (512 + ... + 2) * 2; the whole tree minus the root merge, as with m = 2.
        assert_eq!(s.total_prover_cost(), 1024 * 52 + 1022 * 2);
        assert_eq!(s.total_prover_cost(), 55_292);
        assert_eq!(s.committee_target(1), U256::from(2048));
    }

    #[test]
    fn devnet_default_schedule() {
        let p = Params::devnet();
        let s = Schedule::new(&p, 8).unwrap();
        assert_eq!(s.rounds(), 4);
        let jobs: Vec<u32> = (1..=4).map(|r| s.jobs(r)).collect();
        assert_eq!(jobs, [64, 16, 4, 1]);
        assert_eq!(s.total_jobs(), 85);
        assert_eq!(s.total_prover_cost(), 64 * 106 + 16 * 6 + 4 * 6);
        // smallest block: n = 3 -> rounds of height 2 then 1.
        let s = Schedule::new(&p, 3).unwrap();
        assert_eq!(s.rounds(), 2);
        assert_eq!((s.jobs(1), s.jobs(2)), (2, 1));
        assert_eq!(s.total_jobs(), 3);
        assert_eq!(s.total_prover_cost(), 2 * 106);
        assert_eq!(
            Schedule::new(&p, 9),
            Err(Error::HeightOutOfRange {
                height: 9,
                min: 3,
                max: 8
            })
        );
        assert!(Schedule::new(&p, 2).is_err());
        let bad = Params { redundancy: 0, ..p };
        assert!(matches!(
            Schedule::new(&bad, 8),
            Err(Error::InvalidParam {
                param: "redundancy",
                ..
            })
        ));
    }

    #[test]
    fn job_ids_round_trip() {
        for (m, n) in [(2u8, 11u8), (1, 11), (3, 11), (2, 3), (4, 9)] {
            let s = Schedule::new(&testnet_with(m, m + 1), n).unwrap();
            let mut id = 0;
            for r in 1..=s.rounds() {
                for j in 0..s.jobs(r) {
                    assert_eq!(s.job_id(r, j).unwrap(), id);
                    assert_eq!(s.job_position(id).unwrap(), (r, j));
                    id += 1;
                }
            }
            assert_eq!(id, s.total_jobs());
            assert!(s.job_position(id).is_err());
            assert!(s.job_id(0, 0).is_err());
            assert!(s.job_id(s.rounds() + 1, 0).is_err());
            assert!(s.job_id(1, s.jobs(1)).is_err());
            assert_eq!(s.job_position(s.root_job()).unwrap(), (s.rounds(), 0));
        }
    }

    #[test]
    fn path_and_neighbourhood() {
        let s = Schedule::new(&Params::testnet(), 11).unwrap(); // d = 1
        let score = (U256::from(0xdead_beefu64) << 64) | U256::from(0b101_1011_0110u64);
        assert_eq!(s.leaf(score), 0b101_1011_0110);
        assert_eq!(s.job_of(score, 1), 0b1_0110_1101);
        assert_eq!(s.job_of(score, 2), 0b101_1011);
        assert_eq!(s.job_of(score, 6), 0);
        assert!(s.in_neighbourhood(4, 5) && s.in_neighbourhood(5, 4));
        assert!(!s.in_neighbourhood(5, 6));
        assert_eq!(s.neighbourhood_of(1, 5), 4..6);
        assert_eq!(s.neighbourhood_of(5, 1), 0..2);
        let wide = Schedule::new(
            &Params {
                neighbourhood: 31,
                ..Params::testnet()
            },
            11,
        )
        .unwrap();
        assert!(wide.in_neighbourhood(0, 511));
        assert_eq!(wide.neighbourhood_of(1, 300), 0..512);
        let own = Schedule::new(
            &Params {
                neighbourhood: 0,
                ..Params::testnet()
            },
            11,
        )
        .unwrap();
        assert_eq!(own.neighbourhood_of(1, 7), 7..8);
        assert!(!own.in_neighbourhood(6, 7));
    }

    #[test]
    fn committees_are_nested_by_threshold() {
        let s = Schedule::new(&Params::testnet(), 11).unwrap();
        for active in [0u64, 1, 100, 1_000, 500_000] {
            for r in 1..5 {
                assert!(s.committee_threshold(r, active) >= s.committee_threshold(r + 1, active));
            }
        }
        assert!(
            !s.in_committee(U256::ZERO, 6, 1000),
            "the root round has no committee"
        );
        assert!(s.in_committee(U256::ZERO, 1, 1000));
    }

    fn stakers(count: u32) -> Vec<Address> {
        (0..count)
            .map(|i| {
                let mut a = [0u8; 20];
                a[..4].copy_from_slice(&i.to_be_bytes());
                a[19] = 0x5a;
                Address::from(a)
            })
            .collect()
    }

    #[test]
    fn slot_schedule_matches_direct_rules() {
        let p = Params::testnet();
        let keys = stakers(3_000);
        let seed = selection::slot_seed(U256::from(42), 7);
        let active = keys.len() as u64;
        let ss = SlotSchedule::build(&p, 11, seed, active, &keys).unwrap();
        let s = ss.schedule().clone();
        let floor = selection::sequencer_floor_for(&p, active);
        let mut expected_owners = vec![Vec::new(); s.prover_jobs() as usize];
        let mut sizes = vec![0usize; s.rounds() as usize];
        let mut attesters = 0;
        let mut seqs = Vec::new();
        for (i, &k) in keys.iter().enumerate() {
            let sc = score(k, seed);
            for r in 1..s.rounds() {
                if s.in_committee(sc, r, active) {
                    sizes[r as usize] += 1;
                    expected_owners[(s.offset(r) + s.job_of(sc, r)) as usize].push((sc, i as u32));
                }
            }
            attesters += usize::from(selection::in_attestation_committee(sc, &p, active));
            if sc > floor {
                seqs.push(i as u32);
            }
        }
        for r in 1..s.rounds() {
            assert_eq!(ss.committee(r).len(), sizes[r as usize], "round {r}");
            assert!(ss.committee(r).windows(2).all(|w| w[0].score <= w[1].score));
        }
        assert!(ss.committee(0).is_empty() && ss.committee(s.rounds()).is_empty());
        assert_eq!(ss.attesters().len(), attesters);
        let mut got_seqs: Vec<u32> = ss.sequencers().iter().map(|m| m.index).collect();
        got_seqs.sort();
        assert_eq!(got_seqs, seqs);
        assert!(ss.sequencers().windows(2).all(|w| w[0].score >= w[1].score));
        let mut unowned = Vec::new();
        for (g, exp) in expected_owners.iter_mut().enumerate() {
            exp.sort();
            let got: Vec<(U256, u32)> = ss
                .job_owners(g as u32)
                .map(|m| (m.score, m.index))
                .collect();
            assert_eq!(&got, exp, "job {g}");
            if exp.is_empty() {
                unowned.push(g as u32);
            }
        }
        assert_eq!(ss.unowned_jobs(), unowned.as_slice());
        // A job is unfilled iff it has no filler.
        let unfilled: Vec<u32> = (0..s.prover_jobs())
            .filter(|&g| ss.fillers(g).next().is_none())
            .collect();
        assert_eq!(ss.unfilled_jobs(), unfilled.as_slice());
        assert!(unfilled.iter().all(|g| unowned.contains(g)));
        // Fillers are exactly the members of the round whose own job is in the neighbourhood.
        for g in [0u32, 17, 511, 600, 681] {
            let (r, j) = s.job_position(g).unwrap();
            let mut want: Vec<u32> = ss
                .committee(r)
                .iter()
                .filter(|m| s.in_neighbourhood(j, s.job_of(m.score, r)))
                .map(|m| m.index)
                .collect();
            let mut got: Vec<u32> = ss.fillers(g).map(|m| m.index).collect();
            want.sort();
            got.sort();
            assert_eq!(got, want);
        }
        assert_eq!(ss.job_owners(s.root_job()).count(), 0);
        // Assignments follow the member's path while it stays under the round thresholds.
        let m = ss.committee(1)[0];
        let a: Vec<(u32, u32)> = ss.assignments(&m).collect();
        assert!(!a.is_empty());
        for (r, g) in a {
            assert!(ss.job_owners(g).any(|o| o.index == m.index));
            assert_eq!(s.job_position(g).unwrap(), (r, s.job_of(m.score, r)));
        }
        assert_eq!(ss.member(m.index), Some(&m));
    }

    #[test]
    fn slot_schedule_coverage_is_plausible() {
        // R = 2 with 3,000 stakers: about e^-2 of round-1 jobs are unowned; with d = 1 about
        // e^-4 remain unfilled.
        let p = Params::testnet();
        let keys = stakers(3_000);
        let ss = SlotSchedule::build(&p, 11, B256::repeat_byte(3), 3_000, &keys).unwrap();
        let round1_unowned = ss.unowned_jobs().iter().filter(|&&g| g < 512).count();
        let round1_unfilled = ss.unfilled_jobs().iter().filter(|&&g| g < 512).count();
        assert!((30..=110).contains(&round1_unowned), "{round1_unowned}");
        assert!(
            round1_unfilled < round1_unowned && round1_unfilled <= 30,
            "{round1_unfilled}"
        );
    }

    #[test]
    fn slot_schedule_edge_cases() {
        let p = Params::devnet();
        let keys = stakers(10);
        // N = 0: nobody anywhere, every job unfilled.
        let ss = SlotSchedule::build(&p, 3, B256::ZERO, 0, &keys).unwrap();
        assert!(
            ss.committee(1).is_empty() && ss.attesters().is_empty() && ss.sequencers().is_empty()
        );
        assert_eq!(ss.unfilled_jobs(), &[0, 1]);
        // Targets at or above N = 3: everyone under HALF is in every committee, everyone above
        // it is a sequencer candidate (the floor is capped at HALF).
        let ss = SlotSchedule::build(&p, 3, B256::ZERO, 3, &keys).unwrap();
        let low = keys
            .iter()
            .filter(|&&k| score(k, B256::ZERO) < selection::HALF)
            .count();
        assert_eq!(ss.committee(1).len(), low);
        assert_eq!(ss.attesters().len(), low);
        assert_eq!(ss.sequencers().len(), 10 - low);
        // Empty staker list.
        let ss = SlotSchedule::build(&p, 8, B256::ZERO, 5, &[]).unwrap();
        assert_eq!(ss.unfilled_jobs().len() as u32, ss.schedule().prover_jobs());
        assert!(SlotSchedule::build(&p, 9, B256::ZERO, 5, &keys).is_err());
    }

    #[test]
    fn from_parts_mirrors_sortition_lib_geometry() {
        let w = Params::testnet().cost_weights();
        // A single round: the root only, no committee work.
        let s = Schedule::from_parts(2, 2, 2, 1, w).unwrap();
        assert_eq!((s.rounds(), s.total_jobs(), s.prover_jobs()), (1, 1, 0));
        assert_eq!(s.total_prover_cost(), 0);
        assert_eq!(s.job_position(0).unwrap(), (1, 0));
        let s = Schedule::from_parts(1, 3, 2, 1, w).unwrap();
        assert_eq!((s.rounds(), s.jobs(1), s.subtree_height(1)), (1, 1, 1));
        // Odd heights: the last round is shorter.
        let s = Schedule::from_parts(7, 3, 2, 1, w).unwrap();
        let levels: Vec<u32> = (0..=3).map(|r| s.level(r)).collect();
        assert_eq!(levels, [0, 3, 6, 7]);
        assert_eq!(s.total_jobs(), 16 + 2 + 1);
        assert_eq!(s.cost(1), 8 * 25 + 7 * 2);
        assert_eq!(s.cost(3), 2);
        // The largest geometry still has u32 job ids.
        let s = Schedule::from_parts(31, 1, 2, 1, w).unwrap();
        assert_eq!(s.total_jobs(), (1u32 << 31) - 1);
        assert!(Schedule::from_parts(32, 1, 2, 1, w).is_err());
        assert!(Schedule::from_parts(0, 1, 2, 1, w).is_err());
        assert!(Schedule::from_parts(5, 0, 2, 1, w).is_err());
        let huge = CostWeights {
            vm_proof_cost: u64::MAX / 2,
            ..w
        };
        assert!(Schedule::from_parts(5, 2, 2, 1, huge).is_err());
    }
}
