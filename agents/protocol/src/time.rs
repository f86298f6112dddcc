//! Slots and epochs (TimeLib), and the epoch arithmetic of staking.
//!
//! `slot(t) = (t - genesisTime) / slotDuration` over L1 `block.timestamp` (slot 0 before
//! genesis, as `TimeLib.slotAt`); `epoch(slot) = slot / epochDuration`.

use crate::error::{Error, Result};
use crate::params::Params;

/// Exit epoch of a staker that has not asked to exit (`type(uint32).max`).
pub const NO_EXIT: u64 = u32::MAX as u64;

/// Slot of an L1 timestamp; 0 before genesis (as `TimeLib.slotAt`, whatever the duration).
/// Fails on a zero duration from genesis on (Solidity would revert dividing by zero).
pub fn slot_at(timestamp: u64, genesis_time: u64, slot_duration: u64) -> Result<u64> {
    if timestamp < genesis_time {
        return Ok(0);
    }
    if slot_duration == 0 {
        return Err(Error::ZeroDuration("slotDuration"));
    }
    Ok((timestamp - genesis_time) / slot_duration)
}

/// Epoch of a slot. Fails on a zero epoch duration.
pub fn epoch_of(slot: u64, epoch_duration: u64) -> Result<u64> {
    slot.checked_div(epoch_duration)
        .ok_or(Error::ZeroDuration("epochDuration"))
}

/// The clock of one deployment: genesis time plus the slot and epoch lengths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    genesis_time: u64,
    slot_duration: u64,
    epoch_duration: u64,
}

impl Clock {
    /// A clock; both durations must be positive.
    pub fn new(genesis_time: u64, slot_duration: u64, epoch_duration: u64) -> Result<Self> {
        if slot_duration == 0 {
            return Err(Error::ZeroDuration("slotDuration"));
        }
        if epoch_duration == 0 {
            return Err(Error::ZeroDuration("epochDuration"));
        }
        Ok(Self {
            genesis_time,
            slot_duration,
            epoch_duration,
        })
    }

    /// The clock of a deployment with these parameters.
    pub fn from_params(genesis_time: u64, params: &Params) -> Result<Self> {
        Self::new(genesis_time, params.slot_duration, params.epoch_duration)
    }

    /// Genesis time (start of slot 0).
    pub fn genesis_time(&self) -> u64 {
        self.genesis_time
    }

    /// Slot of an L1 timestamp.
    pub fn slot_at(&self, timestamp: u64) -> Result<u64> {
        slot_at(timestamp, self.genesis_time, self.slot_duration)
    }

    /// Epoch of an L1 timestamp.
    pub fn epoch_at(&self, timestamp: u64) -> Result<u64> {
        Ok(self.epoch_of(self.slot_at(timestamp)?))
    }

    /// Epoch of a slot.
    pub fn epoch_of(&self, slot: u64) -> u64 {
        slot / self.epoch_duration
    }

    /// First timestamp of a slot; `None` if it does not fit `u64`.
    pub fn slot_start(&self, slot: u64) -> Option<u64> {
        slot.checked_mul(self.slot_duration)?
            .checked_add(self.genesis_time)
    }

    /// First slot of an epoch; `None` if it does not fit `u64`.
    pub fn first_slot(&self, epoch: u64) -> Option<u64> {
        epoch.checked_mul(self.epoch_duration)
    }
}

/// Epoch at which an activation or exit requested in `current_epoch` takes effect (`current + D`).
pub fn effect_epoch(current_epoch: u64, params: &Params) -> u64 {
    current_epoch.saturating_add(params.set_change_delay)
}

/// First epoch at which an exited stake can be withdrawn (`exitEpoch + withdrawalDelay`).
pub fn withdrawable_epoch(exit_epoch: u64, params: &Params) -> u64 {
    exit_epoch.saturating_add(params.withdrawal_delay)
}

/// A staker is active at epoch `e` iff `activationEpoch <= e < exitEpoch`.
pub fn is_active(activation_epoch: u64, exit_epoch: u64, epoch: u64) -> bool {
    activation_epoch <= epoch && epoch < exit_epoch
}

/// Last slot in which a block of `slot` may still be proven (`slot + proofWindow`).
pub fn proof_deadline(slot: u64, params: &Params) -> u64 {
    slot.saturating_add(params.proof_window)
}

/// Epoch whose seed is sampled during `current_epoch` (`current + L`).
pub fn seed_sample_epoch(current_epoch: u64, params: &Params) -> u64 {
    current_epoch.saturating_add(params.seed_lookahead)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_and_epochs() {
        let p = Params::testnet();
        let c = Clock::from_params(1_000, &p).unwrap();
        assert_eq!(c.slot_at(1_000).unwrap(), 0);
        assert_eq!(c.slot_at(1_119).unwrap(), 0);
        assert_eq!(c.slot_at(1_120).unwrap(), 1);
        assert_eq!(c.epoch_at(1_000 + 120 * 31).unwrap(), 0);
        assert_eq!(c.epoch_at(1_000 + 120 * 32).unwrap(), 1);
        assert_eq!(c.slot_start(2), Some(1_240));
        assert_eq!(c.first_slot(3), Some(96));
        assert_eq!(c.epoch_of(95), 2);
    }

    #[test]
    fn before_genesis_is_slot_zero_and_zero_durations_are_errors() {
        assert_eq!(slot_at(5, 10, 6), Ok(0));
        assert_eq!(slot_at(16, 10, 6), Ok(1));
        assert_eq!(slot_at(5, 0, 0), Err(Error::ZeroDuration("slotDuration")));
        // Before genesis TimeLib never divides (found by the differential tests).
        assert_eq!(slot_at(5, 10, 0), Ok(0));
        assert_eq!(epoch_of(5, 0), Err(Error::ZeroDuration("epochDuration")));
        assert!(Clock::new(0, 6, 0).is_err());
        assert_eq!(Clock::new(0, 6, 4).unwrap().slot_start(u64::MAX), None);
    }

    #[test]
    fn staking_epochs() {
        let p = Params::devnet();
        assert_eq!(effect_epoch(10, &p), 12);
        assert_eq!(withdrawable_epoch(12, &p), 13);
        assert!(is_active(12, NO_EXIT, 12));
        assert!(!is_active(12, NO_EXIT, 11));
        assert!(!is_active(12, 20, 20));
        assert_eq!(proof_deadline(7, &p), 11);
        assert_eq!(seed_sample_epoch(7, &p), 8);
    }
}
