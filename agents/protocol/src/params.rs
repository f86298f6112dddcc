//! Protocol parameters (the deployment's immutables) and their consistency rules.
//!
//! Field names serialise in the Solidity spelling (`slotDuration`, `roundHeight`, ...) so a
//! deployment file and the contracts' constructor arguments read the same.

use alloy_primitives::U256;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::schedule::{self, CostWeights};

/// Largest `maxHeight` the Rollup accepts (`Params__Invalid("maxHeight above 24")`). Every job
/// id then fits the `uint32 job` of `JobResult` with room to spare.
pub const MAX_SUPPORTED_HEIGHT: u8 = 24;

/// Largest redundancy and cost weight the Rollup accepts (`Rollup.MAX_WEIGHT = type(uint32).max`).
pub const MAX_WEIGHT: u64 = u32::MAX as u64;

/// Largest reward amount the Rollup accepts (`Rollup.MAX_REWARD = type(uint96).max`).
pub const MAX_REWARD: U256 = U256::from_limbs([u64::MAX, u32::MAX as u64, 0, 0]);

/// Basis points of one whole: the unit of `minCoverageBps` (`RewardLib.BPS`).
pub const BPS: u64 = 10_000;

/// One token with 18 decimals.
const TOKEN: u64 = 1_000_000_000_000_000_000;

/// Every protocol parameter of the design sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Params {
    // ------------------------------------------------------------------ time
    /// Seconds per slot.
    pub slot_duration: u64,
    /// Slots per epoch.
    pub epoch_duration: u64,
    /// Seed lookahead L in epochs: the seed of epoch e is sampled during epoch e - L.
    pub seed_lookahead: u64,
    /// Set change delay D in epochs: activation and exit take effect D epochs after the request.
    pub set_change_delay: u64,
    /// Epochs after the exit epoch before the stake can be withdrawn.
    pub withdrawal_delay: u64,
    /// A block of slot s may be proven while `currentSlot <= s + proofWindow`.
    pub proof_window: u64,
    /// Slots during which a missed-work report can be cleared.
    pub grace_slots: u64,

    // ------------------------------------------------------------------ staking
    /// Stake pulled by `deposit`, in stake-token base units.
    pub stake_amount: U256,

    // ------------------------------------------------------------------ selection
    /// Expected number of sequencer-eligible stakers per slot (S).
    pub sequencer_target: u64,
    /// Expected size of the attestation committee (A).
    pub attestation_target: u64,
    /// Attestations a proposal needs (M).
    pub attestation_quorum: u64,

    // ------------------------------------------------------------------ schedule
    /// Subtree height of one job (m).
    pub round_height: u8,
    /// Smallest block height a proposal may choose (`m + 1` by default).
    pub min_height: u8,
    /// Largest block height a proposal may choose.
    pub max_height: u8,
    /// Committee seats per job (R).
    pub redundancy: u64,
    /// Neighbourhood d: a member may be credited for jobs sharing its job's ancestor d levels up.
    pub neighbourhood: u8,

    // ------------------------------------------------------------------ cost model
    /// VM proofs per transaction.
    pub vm_proofs_per_tx: u64,
    /// Proof-seconds of one VM proof.
    pub vm_proof_cost: u64,
    /// Proof-seconds of one base rollup proof (one per transaction).
    pub base_proof_cost: u64,
    /// Proof-seconds of one merge proof.
    pub merge_proof_cost: u64,

    // ------------------------------------------------------------------ rewards
    /// Reward of whoever submits the block's proof, at full coverage (earned per credited
    /// committee job: `submitterReward * creditedJobs / committeeJobs`).
    pub submitter_reward: U256,
    /// Flat reward of the block's proposer.
    pub sequencer_base: U256,
    /// Proposer reward at full coverage on top of the base (`sequencerCoverage * creditedJobs /
    /// committeeJobs`).
    pub sequencer_coverage: U256,
    /// Pot shared by the credited jobs of a block in proportion to their cost.
    pub provers_reward: U256,
    /// Fewest credited committee jobs a proof must carry, in basis points of the committee jobs.
    pub min_coverage_bps: u64,

    // ------------------------------------------------------------------ inactivity
    /// Strikes at which the first penalty applies.
    pub strike_threshold: u64,
    /// Penalty at `strikes == strikeThreshold`; doubles with each further strike.
    pub penalty_base: U256,
    /// A staker whose remaining stake falls below this is ejected.
    pub ejection_floor: U256,
}

impl Params {
    /// Testnet defaults of the design sheet (120 s slots, 32-slot epochs, heights 3..=11).
    ///
    /// The sheet fixes no stake amount; 100,000 tokens is the contracts' test fixture value,
    /// with `penaltyBase` = 1% and `ejectionFloor` = 50% of it as the sheet says.
    pub fn testnet() -> Self {
        let stake = tokens(100_000);
        Self {
            slot_duration: 120,
            epoch_duration: 32,
            seed_lookahead: 2,
            set_change_delay: 3,
            withdrawal_delay: 3,
            proof_window: 8,
            grace_slots: 32,
            stake_amount: stake,
            sequencer_target: 4,
            attestation_target: 48,
            attestation_quorum: 33,
            round_height: 2,
            min_height: 3,
            max_height: 11,
            redundancy: 2,
            neighbourhood: 1,
            vm_proofs_per_tx: 2,
            vm_proof_cost: 10,
            base_proof_cost: 5,
            merge_proof_cost: 2,
            submitter_reward: tokens(10),
            sequencer_base: tokens(50),
            sequencer_coverage: tokens(64),
            provers_reward: tokens(500),
            min_coverage_bps: 5_000,
            strike_threshold: 3,
            penalty_base: stake / U256::from(100),
            ejection_floor: stake / U256::from(2),
        }
    }

    /// Devnet defaults of the design sheet (6 s slots, 4-slot epochs, heights 3..=8, d = 2).
    pub fn devnet() -> Self {
        Self {
            slot_duration: 6,
            epoch_duration: 4,
            seed_lookahead: 1,
            set_change_delay: 2,
            withdrawal_delay: 1,
            proof_window: 4,
            grace_slots: 8,
            sequencer_target: 2,
            attestation_target: 12,
            attestation_quorum: 5,
            max_height: 8,
            neighbourhood: 2,
            min_coverage_bps: 2_500,
            ..Self::testnet()
        }
    }

    /// Checks every consistency rule; the error names the first offending parameter
    /// (`totalProverCost` when the costs of the largest block do not fit `uint64`).
    ///
    /// The rules and their order are those of the `Staking` and `Rollup` constructors
    /// (`Params__Invalid`): among them redundancy and cost weights at most `2^32 - 1`
    /// ([`MAX_WEIGHT`]), `totalProverCost(maxHeight)` within `uint64` (the `cost` of a
    /// `ClaimItem`), rewards at most `2^96 - 1` ([`MAX_REWARD`]) and `minCoverageBps` at most
    /// 10,000 ([`BPS`]).
    pub fn validate(&self) -> Result<()> {
        let fail = |param, reason| Err(Error::InvalidParam { param, reason });
        // ---- Staking
        if self.stake_amount.is_zero() {
            return fail("stakeAmount", "is zero");
        }
        if self.slot_duration == 0 {
            return fail("slotDuration", "is zero");
        }
        if self.epoch_duration == 0 {
            return fail("epochDuration", "is zero");
        }
        if self.set_change_delay == 0 {
            return fail("setChangeDelay", "is zero");
        }
        // ---- Rollup
        if self.seed_lookahead == 0 {
            return fail("seedLookahead", "is zero");
        }
        if self.set_change_delay <= self.seed_lookahead {
            return fail(
                "setChangeDelay",
                "must exceed seedLookahead (keys must not be ground against a known seed)",
            );
        }
        if self.proof_window == 0 {
            return fail("proofWindow", "is zero");
        }
        if self.round_height == 0 {
            return fail("roundHeight", "is zero");
        }
        if self.min_height <= self.round_height {
            return fail(
                "minHeight",
                "must exceed roundHeight (a block needs a committee round below the root)",
            );
        }
        if self.max_height < self.min_height {
            return fail("maxHeight", "below minHeight");
        }
        if self.max_height > MAX_SUPPORTED_HEIGHT {
            return fail("maxHeight", "above 24");
        }
        if self.redundancy == 0 {
            return fail("redundancy", "is zero (committee targets would be zero)");
        }
        if self.redundancy > MAX_WEIGHT {
            return fail("redundancy", "above 2^32");
        }
        if self.attestation_quorum == 0 {
            return fail("attestationQuorum", "is zero");
        }
        if self.attestation_target < self.attestation_quorum {
            return fail("attestationTarget", "below attestationQuorum");
        }
        if self.sequencer_target == 0 {
            return fail("sequencerTarget", "is zero");
        }
        if self.merge_proof_cost == 0 {
            return fail(
                "mergeProofCost",
                "is zero (totalProverCost must be positive)",
            );
        }
        let weights = [
            ("vmProofsPerTx", self.vm_proofs_per_tx),
            ("vmProofCost", self.vm_proof_cost),
            ("baseProofCost", self.base_proof_cost),
            ("mergeProofCost", self.merge_proof_cost),
        ];
        if let Some((name, _)) = weights.iter().find(|(_, w)| *w > MAX_WEIGHT) {
            return fail(name, "cost weight above 2^32");
        }
        if schedule::checked_total_prover_cost(self, self.max_height).is_none() {
            return fail("totalProverCost", "totalProverCost(maxHeight) above 2^64");
        }
        let rewards = [
            ("submitterReward", self.submitter_reward),
            ("sequencerBase", self.sequencer_base),
            ("sequencerCoverage", self.sequencer_coverage),
            ("proversReward", self.provers_reward),
        ];
        if let Some((name, _)) = rewards.iter().find(|(_, r)| *r > MAX_REWARD) {
            return fail(name, "reward above 2^96");
        }
        if self.strike_threshold == 0 {
            return fail("strikeThreshold", "is zero");
        }
        if self.grace_slots == 0 {
            return fail("graceSlots", "is zero");
        }
        if self.penalty_base > self.stake_amount {
            return fail("penaltyBase", "above stakeAmount");
        }
        if self.ejection_floor > self.stake_amount {
            return fail("ejectionFloor", "above stakeAmount");
        }
        if self.neighbourhood >= 32 {
            return fail("neighbourhood", "must be below 32");
        }
        if self.min_coverage_bps > BPS {
            return fail("minCoverageBps", "above 10000");
        }
        Ok(())
    }
}

impl Params {
    /// The cost weights (`SortitionLib.CostWeights`).
    pub fn cost_weights(&self) -> CostWeights {
        CostWeights {
            vm_proofs_per_tx: self.vm_proofs_per_tx,
            vm_proof_cost: self.vm_proof_cost,
            base_proof_cost: self.base_proof_cost,
            merge_proof_cost: self.merge_proof_cost,
        }
    }
}

fn tokens(n: u64) -> U256 {
    U256::from(n) * U256::from(TOKEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param_of(p: &Params) -> &'static str {
        match p.validate() {
            Err(Error::InvalidParam { param, .. }) => param,
            other => panic!("expected InvalidParam, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_valid() {
        Params::testnet().validate().unwrap();
        Params::devnet().validate().unwrap();
    }

    #[test]
    fn testnet_matches_sheet() {
        let p = Params::testnet();
        assert_eq!(
            (p.slot_duration, p.epoch_duration, p.seed_lookahead),
            (120, 32, 2)
        );
        assert_eq!(
            (
                p.set_change_delay,
                p.withdrawal_delay,
                p.proof_window,
                p.grace_slots
            ),
            (3, 3, 8, 32)
        );
        assert_eq!(
            (
                p.sequencer_target,
                p.attestation_target,
                p.attestation_quorum
            ),
            (4, 48, 33)
        );
        assert_eq!((p.round_height, p.min_height, p.max_height), (2, 3, 11));
        assert_eq!((p.redundancy, p.neighbourhood), (2, 1));
        assert_eq!(p.submitter_reward, U256::from(10u64) * U256::from(TOKEN));
        assert_eq!(p.provers_reward, U256::from(500u64) * U256::from(TOKEN));
        assert_eq!(p.penalty_base * U256::from(100), p.stake_amount);
        assert_eq!(p.ejection_floor * U256::from(2), p.stake_amount);
    }

    #[test]
    fn devnet_matches_sheet() {
        let p = Params::devnet();
        assert_eq!(
            (p.slot_duration, p.epoch_duration, p.seed_lookahead),
            (6, 4, 1)
        );
        assert_eq!(
            (
                p.set_change_delay,
                p.withdrawal_delay,
                p.proof_window,
                p.grace_slots
            ),
            (2, 1, 4, 8)
        );
        assert_eq!(
            (
                p.sequencer_target,
                p.attestation_target,
                p.attestation_quorum
            ),
            (2, 12, 5)
        );
        assert_eq!((p.round_height, p.min_height, p.max_height), (2, 3, 8));
        assert_eq!((p.redundancy, p.neighbourhood), (2, 2));
        assert_eq!(
            (
                p.vm_proofs_per_tx,
                p.vm_proof_cost,
                p.base_proof_cost,
                p.merge_proof_cost
            ),
            (2, 10, 5, 2)
        );
        assert_eq!(p.sequencer_coverage, U256::from(64u64) * U256::from(TOKEN));
        assert_eq!(p.min_coverage_bps, 2_500);
        assert_eq!(Params::testnet().min_coverage_bps, 5_000);
        assert_eq!(p.strike_threshold, 3);
    }

    #[test]
    fn validate_names_the_parameter() {
        let base = Params::testnet();
        let cases: Vec<(Params, &str)> = vec![
            (
                Params {
                    stake_amount: U256::ZERO,
                    ..base.clone()
                },
                "stakeAmount",
            ),
            (
                Params {
                    slot_duration: 0,
                    ..base.clone()
                },
                "slotDuration",
            ),
            (
                Params {
                    epoch_duration: 0,
                    ..base.clone()
                },
                "epochDuration",
            ),
            (
                Params {
                    set_change_delay: 0,
                    ..base.clone()
                },
                "setChangeDelay",
            ),
            (
                Params {
                    seed_lookahead: 0,
                    ..base.clone()
                },
                "seedLookahead",
            ),
            (
                Params {
                    set_change_delay: 2,
                    ..base.clone()
                },
                "setChangeDelay",
            ),
            (
                Params {
                    proof_window: 0,
                    ..base.clone()
                },
                "proofWindow",
            ),
            (
                Params {
                    round_height: 0,
                    ..base.clone()
                },
                "roundHeight",
            ),
            (
                Params {
                    min_height: 2,
                    ..base.clone()
                },
                "minHeight",
            ),
            (
                Params {
                    max_height: 2,
                    min_height: 3,
                    ..base.clone()
                },
                "maxHeight",
            ),
            (
                Params {
                    max_height: 25,
                    ..base.clone()
                },
                "maxHeight",
            ),
            (
                Params {
                    redundancy: 0,
                    ..base.clone()
                },
                "redundancy",
            ),
            (
                Params {
                    attestation_quorum: 0,
                    ..base.clone()
                },
                "attestationQuorum",
            ),
            (
                Params {
                    attestation_quorum: 49,
                    ..base.clone()
                },
                "attestationTarget",
            ),
            (
                Params {
                    attestation_target: 0,
                    ..base.clone()
                },
                "attestationTarget",
            ),
            (
                Params {
                    sequencer_target: 0,
                    ..base.clone()
                },
                "sequencerTarget",
            ),
            (
                Params {
                    merge_proof_cost: 0,
                    ..base.clone()
                },
                "mergeProofCost",
            ),
            (
                Params {
                    strike_threshold: 0,
                    ..base.clone()
                },
                "strikeThreshold",
            ),
            (
                Params {
                    grace_slots: 0,
                    ..base.clone()
                },
                "graceSlots",
            ),
            (
                Params {
                    penalty_base: base.stake_amount + U256::from(1),
                    ..base.clone()
                },
                "penaltyBase",
            ),
            (
                Params {
                    ejection_floor: base.stake_amount + U256::from(1),
                    ..base.clone()
                },
                "ejectionFloor",
            ),
            (
                Params {
                    neighbourhood: 32,
                    ..base.clone()
                },
                "neighbourhood",
            ),
            (
                Params {
                    vm_proof_cost: u64::MAX,
                    ..base.clone()
                },
                "vmProofCost",
            ),
            (
                Params {
                    vm_proof_cost: u64::MAX / 4,
                    ..base.clone()
                },
                "vmProofCost",
            ),
            (
                Params {
                    redundancy: MAX_WEIGHT + 1,
                    ..base.clone()
                },
                "redundancy",
            ),
            (
                Params {
                    merge_proof_cost: MAX_WEIGHT + 1,
                    ..base.clone()
                },
                "mergeProofCost",
            ),
            (
                Params {
                    vm_proofs_per_tx: MAX_WEIGHT,
                    vm_proof_cost: MAX_WEIGHT,
                    max_height: 24,
                    ..base.clone()
                },
                "totalProverCost",
            ),
            (
                Params {
                    provers_reward: U256::MAX,
                    ..base.clone()
                },
                "proversReward",
            ),
            (
                Params {
                    submitter_reward: MAX_REWARD + U256::from(1),
                    provers_reward: U256::MAX,
                    ..base.clone()
                },
                "submitterReward",
            ),
            (
                Params {
                    sequencer_coverage: MAX_REWARD + U256::from(1),
                    ..base.clone()
                },
                "sequencerCoverage",
            ),
            (
                Params {
                    sequencer_coverage: MAX_REWARD + U256::from(1),
                    strike_threshold: 0,
                    ..base.clone()
                },
                "sequencerCoverage",
            ),
            (
                Params {
                    min_coverage_bps: BPS + 1,
                    ..base.clone()
                },
                "minCoverageBps",
            ),
        ];
        // Accepted by the contracts, so accepted here too.
        Params {
            penalty_base: U256::ZERO,
            vm_proofs_per_tx: 0,
            base_proof_cost: 0,
            ..base.clone()
        }
        .validate()
        .unwrap();
        Params {
            redundancy: MAX_WEIGHT,
            base_proof_cost: MAX_WEIGHT,
            merge_proof_cost: MAX_WEIGHT,
            submitter_reward: MAX_REWARD,
            sequencer_base: MAX_REWARD,
            sequencer_coverage: MAX_REWARD,
            provers_reward: MAX_REWARD,
            min_coverage_bps: BPS,
            ..base.clone()
        }
        .validate()
        .unwrap();
        assert_eq!(MAX_REWARD, (U256::from(1) << 96) - U256::from(1));
        for (p, name) in cases {
            assert_eq!(param_of(&p), name, "{p:?}");
        }
    }

    #[test]
    fn serde_uses_solidity_names() {
        let p = Params::devnet();
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["roundHeight"], 2);
        assert_eq!(json["slotDuration"], 6);
        let back: Params = serde_json::from_value(json).unwrap();
        assert_eq!(back, p);
    }
}
