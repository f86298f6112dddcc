//! Inactivity bleed (InactivityLib).
//!
//! After a report's grace period ends, `strikes += 1`; from `strikeThreshold` strikes on, the
//! penalty is `penaltyBase << (strikes - strikeThreshold)`, capped by the remaining stake, and a
//! staker whose remaining stake falls below `ejectionFloor` is ejected.

use alloy_primitives::U256;

use crate::params::Params;

/// Penalty for reaching `strikes`: zero below the threshold, else
/// `min(penaltyBase << (strikes - threshold), stake)`. The shift saturates: a penalty that would
/// overflow 256 bits is the whole stake (a plain Solidity `<<` would drop the high bits).
pub fn penalty(strikes: u64, strike_threshold: u64, penalty_base: U256, stake: U256) -> U256 {
    if strikes < strike_threshold {
        return U256::ZERO;
    }
    let shift = strikes - strike_threshold;
    let shifted = usize::try_from(shift)
        .ok()
        .and_then(|s| penalty_base.checked_shl(s))
        .unwrap_or(U256::MAX);
    shifted.min(stake)
}

/// Whether a staker with `remaining_stake` is ejected: `remaining < ejectionFloor`.
pub fn should_eject(remaining_stake: U256, ejection_floor: U256) -> bool {
    remaining_stake < ejection_floor
}

/// Last slot in which a report made in `report_slot` can be cleared (`reportSlot + graceSlots`);
/// it can be finalised from the next slot on.
pub fn grace_end(report_slot: u64, params: &Params) -> u64 {
    report_slot.saturating_add(params.grace_slots)
}

/// Outcome of finalising one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finalisation {
    /// Strikes after the report.
    pub strikes: u64,
    /// Stake slashed to the sink.
    pub penalty: U256,
    /// Stake left.
    pub remaining_stake: U256,
    /// Whether the staker is ejected.
    pub ejected: bool,
}

/// Finalises a report against a staker with `strikes` strikes and `stake` stake.
pub fn finalise(params: &Params, strikes: u64, stake: U256) -> Finalisation {
    let strikes = strikes.saturating_add(1);
    let penalty = penalty(strikes, params.strike_threshold, params.penalty_base, stake);
    let remaining_stake = stake - penalty;
    Finalisation {
        strikes,
        penalty,
        remaining_stake,
        ejected: strikes >= params.strike_threshold
            && should_eject(remaining_stake, params.ejection_floor),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn penalty_doubles_from_the_threshold() {
        let base = U256::from(10);
        let stake = U256::from(1_000);
        assert_eq!(penalty(0, 3, base, stake), U256::ZERO);
        assert_eq!(penalty(2, 3, base, stake), U256::ZERO);
        assert_eq!(penalty(3, 3, base, stake), U256::from(10));
        assert_eq!(penalty(4, 3, base, stake), U256::from(20));
        assert_eq!(penalty(8, 3, base, stake), U256::from(320));
        assert_eq!(penalty(9, 3, base, stake), U256::from(640));
        // Capped by the stake.
        assert_eq!(penalty(10, 3, base, stake), stake);
        assert_eq!(penalty(10, 3, base, U256::from(5)), U256::from(5));
        // Shifts beyond 256 bits saturate to the stake instead of wrapping to zero.
        assert_eq!(penalty(3 + 300, 3, base, stake), stake);
        assert_eq!(penalty(3 + 252, 3, base, U256::MAX), base << 252);
        assert_eq!(penalty(3 + 253, 3, base, U256::MAX), U256::MAX);
        assert_eq!(penalty(u64::MAX, 0, base, stake), stake);
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
            paid.push(f.penalty);
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
    fn grace_window() {
        assert_eq!(grace_end(100, &Params::testnet()), 132);
        assert_eq!(grace_end(u64::MAX, &Params::devnet()), u64::MAX);
    }
}
