//! Inactivity bleed (InactivityLib and the Rollup's strike finalisation).
//!
//! After a report's grace period ends, `strikes += 1`; from `strikeThreshold` strikes on, the
//! penalty is `penaltyBase << (strikes - strikeThreshold)` (`type(uint256).max` exactly when the
//! shift would overflow),
//! Staking slashes `min(penalty, stake)`, and a staker whose remaining stake is then below
//! `ejectionFloor` is ejected.

use alloy_primitives::U256;

use crate::params::Params;

/// `InactivityLib.penalty`: zero below the threshold or for a zero base, else
/// `penaltyBase << (strikes - threshold)`, saturating at `type(uint256).max` exactly when the
/// shift would lose a set bit (a real overflow): `1 << 255` is exact, any shift of 256 or more
/// of a nonzero base is not.
pub fn penalty(strikes: u64, strike_threshold: u64, penalty_base: U256) -> U256 {
    if strikes < strike_threshold || penalty_base.is_zero() {
        return U256::ZERO;
    }
    let doublings = strikes - strike_threshold;
    if doublings > 255 || penalty_base > (U256::MAX >> doublings as usize) {
        return U256::MAX;
    }
    penalty_base << doublings as usize
}

/// What `Staking.slash` takes for a penalty: `min(penalty, stake)`.
pub fn slashed(penalty: U256, stake: U256) -> U256 {
    penalty.min(stake)
}

/// Whether a staker with `remaining_stake` is ejected: `remaining < ejectionFloor`.
pub fn should_eject(remaining_stake: U256, ejection_floor: U256) -> bool {
    remaining_stake < ejection_floor
}

/// Last slot in which a report made in `report_slot` can be cleared (`reportSlot + graceSlots`,
/// inclusive); it can be finalised from the next slot on.
pub fn grace_end(report_slot: u64, params: &Params) -> u64 {
    report_slot.saturating_add(params.grace_slots)
}

/// Outcome of finalising one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finalisation {
    /// Strikes after the report.
    pub strikes: u64,
    /// Stake slashed to the sink.
    pub slashed: U256,
    /// Stake left.
    pub remaining_stake: U256,
    /// Whether the staker is ejected.
    pub ejected: bool,
}

/// Finalises a report against a staker with `strikes` strikes and `stake` stake, as the Rollup
/// does: ejection is considered only when a penalty applies.
pub fn finalise(params: &Params, strikes: u64, stake: U256) -> Finalisation {
    let strikes = strikes.saturating_add(1);
    let penalty = penalty(strikes, params.strike_threshold, params.penalty_base);
    let slashed = slashed(penalty, stake);
    let remaining_stake = stake - slashed;
    Finalisation {
        strikes,
        slashed,
        remaining_stake,
        ejected: !penalty.is_zero() && should_eject(remaining_stake, params.ejection_floor),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn penalty_doubles_from_the_threshold() {
        let base = U256::from(10);
        assert_eq!(penalty(0, 3, base), U256::ZERO);
        assert_eq!(penalty(2, 3, base), U256::ZERO);
        assert_eq!(penalty(3, 3, base), U256::from(10));
        assert_eq!(penalty(4, 3, base), U256::from(20));
        assert_eq!(penalty(8, 3, base), U256::from(320));
        assert_eq!(penalty(9, 3, U256::ZERO), U256::ZERO);
        // Largest shift that keeps every bit, then saturation.
        assert_eq!(penalty(3 + 252, 3, base), base << 252);
        assert_eq!(penalty(3 + 253, 3, base), U256::MAX);
        assert_eq!(penalty(u64::MAX, 1, base), U256::MAX);
        // Staking caps the slash by the stake.
        assert_eq!(slashed(U256::MAX, U256::from(5)), U256::from(5));
        assert_eq!(slashed(U256::from(3), U256::from(5)), U256::from(3));
    }

    #[test]
    fn penalty_saturates_only_on_overflow() {
        let one = U256::from(1);
        // 2^255.
        let half = one << 255;
        // base = 1: 255 doublings are exact, 256 overflow.
        assert_eq!(penalty(3 + 254, 3, one), one << 254);
        assert_eq!(penalty(3 + 255, 3, one), half);
        assert_eq!(penalty(3 + 256, 3, one), U256::MAX);
        // base = 2 reaches 2^255 one doubling earlier.
        assert_eq!(penalty(3 + 254, 3, U256::from(2)), half);
        assert_eq!(penalty(3 + 255, 3, U256::from(2)), U256::MAX);
        // base = 3 takes two bits: 3 << 254 = 2^255 + 2^254 still fits, 3 << 255 does not.
        assert_eq!(penalty(3 + 254, 3, U256::from(3)), U256::from(3) << 254);
        assert_eq!(penalty(3 + 255, 3, U256::from(3)), U256::MAX);
        // Above 2^255 a single doubling overflows.
        assert_eq!(penalty(4, 3, half + one), U256::MAX);
        assert_eq!(penalty(4, 3, one << 254), half);
        // No doubling: the base itself, even MAX.
        assert_eq!(penalty(3, 3, U256::MAX), U256::MAX);
        assert_eq!(penalty(4, 3, U256::MAX), U256::MAX);
        assert_eq!(penalty(u64::MAX, 0, one), U256::MAX);
    }

    #[test]
    fn bleed_sequence_ejects_below_the_floor() {
        let p = Params::testnet(); // base 1% of stake, floor 50%
        let mut stake = p.stake_amount;
        let mut strikes = 0;
        let mut paid = Vec::new();
        loop {
            let f = finalise(&p, strikes, stake);
            strikes = f.strikes;
            stake = f.remaining_stake;
            paid.push(f.slashed);
            if f.ejected {
                break;
            }
            assert!(strikes < 20);
        }
        let pct = |n: u64| p.stake_amount * U256::from(n) / U256::from(100);
        // 0, 0, 1%, 2%, 4%, 8%, 16%, 32% (cumulative 63% -> 37% left < 50%).
        assert_eq!(paid, [0, 0, 1, 2, 4, 8, 16, 32].map(pct));
        assert_eq!(strikes, 8);
        assert!(should_eject(stake, p.ejection_floor));
        assert!(!should_eject(p.ejection_floor, p.ejection_floor));
    }

    #[test]
    fn no_penalty_no_ejection() {
        // Below the threshold nobody is ejected, even under the floor.
        let p = Params::testnet();
        let low = p.ejection_floor - U256::from(1);
        assert!(!finalise(&p, 0, low).ejected);
        // A zero base disables the bleed entirely.
        let off = Params {
            penalty_base: U256::ZERO,
            ..p.clone()
        };
        assert!(!finalise(&off, 10, low).ejected);
        // A penalty against an emptied stake slashes nothing but still ejects.
        let f = finalise(&p, 5, U256::ZERO);
        assert_eq!((f.slashed, f.ejected), (U256::ZERO, true));
    }

    #[test]
    fn grace_window() {
        assert_eq!(grace_end(100, &Params::testnet()), 132);
        assert_eq!(grace_end(u64::MAX, &Params::devnet()), u64::MAX);
    }
}
