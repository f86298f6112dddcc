//! Block rewards and the minimum coverage (RewardLib).
//!
//! Coverage of a proven block is `creditedJobs / committeeJobs`, where `committeeJobs` is every
//! job but the root (`Schedule::prover_jobs`) and `creditedJobs = committeeJobs - unfilledJobs`.
//!
//! `due = submitter' + sequencer' + provers` with
//! `submitter' = floor(submitterReward * creditedJobs / committeeJobs)` and
//! `sequencer' = sequencerBase + floor(sequencerCoverage * creditedJobs / committeeJobs)`
//! (both coverage parts are 0 when `committeeJobs == 0`). With `poolBalance >= due` every part is
//! paid in full; otherwise each of the three parts (submitter, sequencer, provers pot) is
//! `floor(part * poolBalance / due)`. The provers pot `P_eff` is shared by cost: a prover claims
//! `floor(P_eff * cost / totalProverCost)`, and `floor(P_eff * creditedCost / totalProverCost)` is
//! reserved at proof time. The submitter's and sequencer's parts are owed (pull payments), not
//! transferred, at proof time.
//!
//! A proof is accepted only if `creditedJobs * 10_000 >= minCoverageBps * committeeJobs`
//! ([`meets_coverage`]); the fewest credited jobs that pass are [`required_jobs`].
//!
//! Products are taken at 512 bits, so results equal Solidity's `a * b / c` whenever that does
//! not overflow, and OZ `Math.mulDiv` always.

use alloy_primitives::{U256, U512};

use crate::error::{Error, Result};
use crate::params::{Params, BPS};

/// `floor(a * b / c)` without intermediate overflow; `c` must be non-zero and the result must
/// fit (true whenever `b <= c`).
fn mul_div(a: U256, b: U256, c: U256) -> U256 {
    let wide: U512 = a.widening_mul(b);
    let q = wide / U512::from(c);
    U256::from_limbs_slice(&q.as_limbs()[..4])
}

/// How many of a block's committee jobs its proof credits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coverage {
    /// Committee jobs with a credited contribution (`committeeJobs - unfilledJobs`).
    pub credited_jobs: u64,
    /// Every committee job of the block (`SortitionLib.proverJobs`).
    pub committee_jobs: u64,
}

impl Coverage {
    /// Full coverage: every committee job credited.
    pub fn full(committee_jobs: u64) -> Self {
        Self {
            credited_jobs: committee_jobs,
            committee_jobs,
        }
    }

    /// From a verifier's `unfilledJobs`; `None` if it exceeds the committee jobs (the Rollup
    /// reverts on that underflow).
    pub fn from_unfilled(committee_jobs: u64, unfilled_jobs: u64) -> Option<Self> {
        Some(Self {
            credited_jobs: committee_jobs.checked_sub(unfilled_jobs)?,
            committee_jobs,
        })
    }

    /// `floor(amount * creditedJobs / committeeJobs)`, 0 for no committee jobs.
    fn scale(&self, amount: U256) -> U256 {
        if self.committee_jobs == 0 {
            return U256::ZERO;
        }
        mul_div(
            amount,
            U256::from(self.credited_jobs),
            U256::from(self.committee_jobs),
        )
    }
}

/// Whether `creditedJobs * 10_000 >= minCoverageBps * committeeJobs` (`RewardLib.meetsCoverage`).
pub fn meets_coverage(coverage: Coverage, min_coverage_bps: u64) -> bool {
    u128::from(coverage.credited_jobs) * u128::from(BPS)
        >= u128::from(min_coverage_bps) * u128::from(coverage.committee_jobs)
}

/// The fewest credited jobs that meet `minCoverageBps`:
/// `ceil(minCoverageBps * committeeJobs / 10_000)` (`RewardLib.requiredJobs`).
pub fn required_jobs(committee_jobs: u64, min_coverage_bps: u64) -> u64 {
    let product = u128::from(min_coverage_bps) * u128::from(committee_jobs);
    u64::try_from(product.div_ceil(u128::from(BPS))).unwrap_or(u64::MAX)
}

/// The three parts of a proven block's payout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockPayout {
    /// Full amount due before scaling.
    pub due: U256,
    /// Owed to the proof submitter.
    pub submitter: U256,
    /// Owed to the proposer's withdrawer (base plus coverage part).
    pub sequencer: U256,
    /// `P_eff`: the provers pot of the block.
    pub provers: U256,
}

impl BlockPayout {
    /// Sum of the three parts; never above `due` nor above the pool.
    pub fn total(&self) -> U256 {
        self.submitter + self.sequencer + self.provers
    }
}

/// The submitter part before scaling: `floor(submitterReward * creditedJobs / committeeJobs)`.
pub fn submitter_due(params: &Params, coverage: Coverage) -> U256 {
    coverage.scale(params.submitter_reward)
}

/// The sequencer part before scaling:
/// `sequencerBase + floor(sequencerCoverage * creditedJobs / committeeJobs)`.
///
/// Saturates instead of wrapping; parameters that pass [`Params::validate`] never get near it
/// (Solidity would revert).
pub fn sequencer_due(params: &Params, coverage: Coverage) -> U256 {
    params
        .sequencer_base
        .saturating_add(coverage.scale(params.sequencer_coverage))
}

/// The full amount a proven block is due (saturating, like [`sequencer_due`]).
pub fn block_due(params: &Params, coverage: Coverage) -> U256 {
    submitter_due(params, coverage)
        .saturating_add(sequencer_due(params, coverage))
        .saturating_add(params.provers_reward)
}

/// The payout of a proven block from a pool holding `pool_balance`.
pub fn block_payout(params: &Params, pool_balance: U256, coverage: Coverage) -> BlockPayout {
    let due = block_due(params, coverage);
    let scale = |part: U256| {
        if pool_balance >= due {
            part
        } else {
            mul_div(part, pool_balance, due)
        }
    };
    BlockPayout {
        due,
        submitter: scale(submitter_due(params, coverage)),
        sequencer: scale(sequencer_due(params, coverage)),
        provers: scale(params.provers_reward),
    }
}

/// Amount reserved for the provers of a block: `floor(P_eff * creditedCost / totalProverCost)`,
/// 0 for a zero total (as `RewardLib.payout`).
pub fn reserved_for_provers(p_eff: U256, credited_cost: u64, total_prover_cost: u64) -> U256 {
    claim_amount(p_eff, credited_cost, total_prover_cost).unwrap_or(U256::ZERO)
}

/// A prover's claim on a block: `floor(P_eff * cost / totalProverCost)` (`RewardLib.share`,
/// which reverts on a zero total).
pub fn claim_amount(p_eff: U256, cost: u64, total_prover_cost: u64) -> Result<U256> {
    if total_prover_cost == 0 {
        return Err(Error::ZeroTotalCost);
    }
    Ok(mul_div(
        p_eff,
        U256::from(cost),
        U256::from(total_prover_cost),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Schedule;

    fn tok(n: u64) -> U256 {
        U256::from(n) * U256::from(10u64).pow(U256::from(18))
    }

    fn cov(credited_jobs: u64, committee_jobs: u64) -> Coverage {
        Coverage {
            credited_jobs,
            committee_jobs,
        }
    }

    #[test]
    fn full_pool_pays_by_coverage() {
        let p = Params::testnet();
        let pay = block_payout(&p, tok(1_000_000), Coverage::full(682));
        assert_eq!(pay.due, tok(10 + 50 + 64 + 500));
        assert_eq!(
            (pay.submitter, pay.sequencer, pay.provers),
            (tok(10), tok(114), tok(500))
        );
        assert_eq!(pay.total(), pay.due);
        // Half coverage: half the submitter reward and half the coverage part.
        let half = block_payout(&p, tok(1_000_000), cov(10, 20));
        assert_eq!((half.submitter, half.sequencer), (tok(5), tok(50 + 32)));
        // No coverage: the base only.
        let none = block_payout(&p, tok(1_000_000), cov(0, 682));
        assert_eq!((none.submitter, none.sequencer), (U256::ZERO, tok(50)));
        // No committee jobs at all: no coverage parts either.
        assert_eq!(
            block_payout(&p, tok(1_000_000), cov(0, 0)).sequencer,
            tok(50)
        );
        // Exactly due: still full.
        assert_eq!(
            block_payout(&p, pay.due, Coverage::full(682)).total(),
            pay.due
        );
    }

    /// §13.4 of the protocol: n = 11, 12 of 682 committee jobs unfilled.
    #[test]
    fn worked_example_matches_the_spec() {
        let p = Params::testnet();
        let c = cov(670, 682);
        let w = |s: &str| U256::from_str_radix(s, 10).unwrap();
        assert_eq!(submitter_due(&p, c), w("9824046920821114369"));
        assert_eq!(sequencer_due(&p, c), w("112873900293255131964"));
        assert_eq!(block_due(&p, c), w("622697947214076246333"));
        let half = block_payout(&p, w("311348973607038123166"), c);
        assert_eq!(half.submitter, w("4912023460410557184"));
        assert_eq!(half.sequencer, w("56436950146627565981"));
        assert_eq!(half.provers, w("249999999999999999999"));
        assert_eq!(
            reserved_for_provers(half.provers, 54_220, 55_292),
            w("245153005859798885913")
        );
    }

    #[test]
    fn stripping_a_contribution_lowers_the_submitter_reward() {
        let p = Params::testnet();
        let per_job = p.submitter_reward / U256::from(682u64);
        for credited in 1..=682u64 {
            let more = submitter_due(&p, cov(credited, 682));
            let less = submitter_due(&p, cov(credited - 1, 682));
            assert!(more > less);
            assert!(more - less + U256::from(1) >= per_job);
        }
    }

    #[test]
    fn coverage_predicate_and_required_jobs_agree() {
        for committee in [0u64, 1, 5, 20, 21, 84, 682, 1364] {
            for bps in [0u64, 1, 2_500, 3_333, 5_000, 9_999, 10_000] {
                let required = required_jobs(committee, bps);
                assert!(required <= committee);
                for credited in 0..=committee {
                    assert_eq!(
                        meets_coverage(cov(credited, committee), bps),
                        credited >= required,
                        "{credited}/{committee} at {bps}"
                    );
                }
            }
        }
        assert_eq!(required_jobs(20, 2_500), 5);
        assert_eq!(required_jobs(21, 2_500), 6);
        assert_eq!(required_jobs(682, 5_000), 341);
        assert_eq!(Coverage::from_unfilled(20, 21), None);
        assert_eq!(Coverage::from_unfilled(20, 3), Some(cov(17, 20)));
    }

    #[test]
    fn underfunded_pool_scales_each_part_down() {
        let p = Params::testnet();
        let full = Coverage::full(682);
        let pay = block_payout(&p, tok(624) / U256::from(10), full); // due 624: one tenth
        assert_eq!(pay.due, tok(624));
        assert_eq!(
            (pay.submitter, pay.sequencer, pay.provers),
            (tok(1), tok(114) / U256::from(10), tok(50))
        );
        let empty = block_payout(&p, U256::ZERO, full);
        assert_eq!(empty.total(), U256::ZERO);
        // Floors: pool 1 wei.
        let wei = block_payout(&p, U256::from(1), cov(3, 20));
        assert_eq!(wei.total(), U256::ZERO);
    }

    #[test]
    fn payouts_never_exceed_due_or_pool() {
        let p = Params::testnet();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for i in 0..2_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let pool = U256::from(x)
                * U256::from(i % 7 + 1)
                * U256::from(10u64).pow(U256::from(i % 5 * 3));
            let committee = x % 1_400 + 1;
            let pay = block_payout(&p, pool, cov(x % (committee + 1), committee));
            assert!(pay.total() <= pay.due);
            assert!(pay.total() <= pool.max(pay.due));
            if pool < pay.due {
                assert!(pay.total() <= pool);
                // Flooring loses at most one wei per part.
                assert!(pool - pay.total() <= U256::from(3) || pay.total() < pool);
            }
        }
    }

    #[test]
    fn claims_share_the_pot_by_cost() {
        let s = Schedule::new(&Params::testnet(), 11).unwrap();
        let total = s.total_prover_cost();
        let pot = tok(500);
        assert_eq!(claim_amount(pot, total, total).unwrap(), pot);
        assert_eq!(claim_amount(pot, 0, total).unwrap(), U256::ZERO);
        let one = claim_amount(pot, 106, total).unwrap();
        assert_eq!(one, pot * U256::from(106) / U256::from(total));
        // The sum of claims never exceeds the reservation for their summed cost.
        let costs = [106u64, 6, 212, 112, 6, 6, 318];
        let sum: U256 = costs
            .iter()
            .map(|&c| claim_amount(pot, c, total).unwrap())
            .sum();
        let reserved = reserved_for_provers(pot, costs.iter().sum(), total);
        assert_eq!(reserved_for_provers(pot, 5, 0), U256::ZERO);
        assert!(sum <= reserved);
        assert_eq!(claim_amount(pot, 1, 0), Err(Error::ZeroTotalCost));
        // Huge pot: no intermediate overflow.
        assert_eq!(claim_amount(U256::MAX, 3, 3).unwrap(), U256::MAX);
    }
}
