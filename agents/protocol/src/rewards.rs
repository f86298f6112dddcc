//! Block rewards (RewardLib).
//!
//! `due = submitterReward + sequencerBase + sequencerPerProver * min(distinctProvers, cap) + proversReward`.
//! With `poolBalance >= due` every part is paid in full; otherwise each of the three parts
//! (submitter, sequencer, provers pot) is `floor(part * poolBalance / due)`. The provers pot
//! `P_eff` is shared by cost: a prover claims `floor(P_eff * cost / totalProverCost)`, and
//! `floor(P_eff * creditedCost / totalProverCost)` is reserved at proof time.
//!
//! Products are taken at 512 bits, so results equal Solidity's `a * b / c` whenever that does
//! not overflow, and OZ `Math.mulDiv` always.

use alloy_primitives::{U256, U512};

use crate::error::{Error, Result};
use crate::params::Params;

/// `floor(a * b / c)` without intermediate overflow; `c` must be non-zero and the result must
/// fit (true whenever `b <= c`).
fn mul_div(a: U256, b: U256, c: U256) -> U256 {
    let wide: U512 = a.widening_mul(b);
    let q = wide / U512::from(c);
    U256::from_limbs_slice(&q.as_limbs()[..4])
}

/// The three parts of a proven block's payout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockPayout {
    /// Full amount due before scaling.
    pub due: U256,
    /// Paid to the proof submitter.
    pub submitter: U256,
    /// Paid to the proposer's withdrawer (base plus per-prover bonus).
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

/// The sequencer part before scaling: `sequencerBase + sequencerPerProver * min(distinctProvers, cap)`.
///
/// Saturates instead of wrapping; parameters that pass [`Params::validate`] never get near it
/// (Solidity would revert).
pub fn sequencer_due(params: &Params, distinct_provers: u64) -> U256 {
    let bonus_provers = U256::from(distinct_provers.min(params.sequencer_bonus_cap));
    params
        .sequencer_base
        .saturating_add(params.sequencer_per_prover.saturating_mul(bonus_provers))
}

/// The full amount a proven block is due (saturating, like [`sequencer_due`]).
pub fn block_due(params: &Params, distinct_provers: u64) -> U256 {
    params
        .submitter_reward
        .saturating_add(sequencer_due(params, distinct_provers))
        .saturating_add(params.provers_reward)
}

/// The payout of a proven block from a pool holding `pool_balance`.
pub fn block_payout(params: &Params, pool_balance: U256, distinct_provers: u64) -> BlockPayout {
    let due = block_due(params, distinct_provers);
    let sequencer = sequencer_due(params, distinct_provers);
    let scale = |part: U256| {
        if pool_balance >= due {
            part
        } else {
            mul_div(part, pool_balance, due)
        }
    };
    BlockPayout {
        due,
        submitter: scale(params.submitter_reward),
        sequencer: scale(sequencer),
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

    #[test]
    fn full_pool_pays_everything() {
        let p = Params::testnet();
        let pay = block_payout(&p, tok(1_000_000), 10);
        assert_eq!(pay.due, tok(10 + 50 + 10 + 500));
        assert_eq!(
            (pay.submitter, pay.sequencer, pay.provers),
            (tok(10), tok(60), tok(500))
        );
        assert_eq!(pay.total(), pay.due);
        // Bonus capped at 64 provers.
        assert_eq!(
            block_payout(&p, tok(1_000_000), 1_000).sequencer,
            tok(50 + 64)
        );
        assert_eq!(block_payout(&p, tok(1_000_000), 0).sequencer, tok(50));
        // Exactly due: still full.
        assert_eq!(block_payout(&p, pay.due, 10).total(), pay.due);
    }

    #[test]
    fn underfunded_pool_scales_each_part_down() {
        let p = Params::testnet();
        let pay = block_payout(&p, tok(57), 10); // due 570: one tenth
        assert_eq!(
            (pay.submitter, pay.sequencer, pay.provers),
            (tok(1), tok(6), tok(50))
        );
        let empty = block_payout(&p, U256::ZERO, 10);
        assert_eq!(empty.total(), U256::ZERO);
        // Floors: pool 1 wei.
        let wei = block_payout(&p, U256::from(1), 3);
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
            let provers = x % 200;
            let pay = block_payout(&p, pool, provers);
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
