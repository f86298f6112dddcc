//! Rust bindings of the SPN contracts, generated at compile time by alloy's `sol!` from the forge
//! artifacts in `out/` (ABI, creation and deployed bytecode). Nothing generated is committed: run
//! `make build` (which runs `forge build`) before building this crate.
//!
//! Each contract lives in its own module because every artifact brings the structs it uses
//! (`MessagesLib.Header`, `IRollup.Signature`, ...) along: `rollup::MessagesLib::Header` and
//! `staking::...` are distinct Rust types with the same ABI encoding.
//!
//! ```
//! use alloy_primitives::U256;
//! use alloy_sol_types::SolCall;
//! use spn_bindings::{rollup::IRollup, Rollup};
//!
//! let data = Rollup::blockHashOfCall { number: U256::from(1) }.abi_encode();
//! assert_eq!(data.len(), 4 + 32);
//! let _creation_code = &Rollup::BYTECODE;
//! let _record = IRollup::ProvenBlock::default(); // structs sit in their Solidity scope
//! ```
//!
//! Feature `harness` adds the test harnesses of `test/harness/` (differential tests only).

#[cfg(spn_missing_artifacts)]
compile_error!(concat!(
    "spn-bindings: forge artifacts are missing (",
    env!("SPN_MISSING_ARTIFACTS"),
    "). Run `make build` (it runs `forge build`) in the repository root first."
));

/// Bindings of one artifact `out/<file>` in their own module.
macro_rules! bindings {
    ($(#[$doc:meta])* $module:ident :: $contract:ident = $file:literal) => {
        $(#[$doc])*
        #[cfg(not(spn_missing_artifacts))]
        #[allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]
        pub mod $module {
            alloy_sol_types::sol!(
                #[sol(all_derives)]
                $contract,
                concat!(env!("CARGO_MANIFEST_DIR"), "/../../out/", $file)
            );
        }
    };
}

bindings!(
    /// `contracts/Rollup.sol`: proposals, proofs, rewards, inactivity.
    rollup::Rollup = "Rollup.sol/Rollup.json"
);
/// The header agents hash and sign (`spn_protocol::Header`) as the Rollup's `MessagesLib.Header`.
#[cfg(not(spn_missing_artifacts))]
impl From<&spn_protocol::Header> for rollup::MessagesLib::Header {
    fn from(h: &spn_protocol::Header) -> Self {
        Self {
            number: h.number,
            parentHash: h.parentHash,
            slot: h.slot,
            proposer: h.proposer,
            txRoot: h.txRoot,
            height: h.height,
        }
    }
}

#[cfg(not(spn_missing_artifacts))]
impl staking::Staking::Config {
    /// `Staking`'s constructor argument for `params`, with the deployment's own addresses and
    /// genesis time.
    pub fn from_params(
        params: &spn_protocol::Params,
        stake_token: alloy_primitives::Address,
        slash_sink: alloy_primitives::Address,
        genesis_time: u64,
    ) -> Self {
        let u = alloy_primitives::U256::from;
        Self {
            stakeToken: stake_token,
            stakeAmount: params.stake_amount,
            slashSink: slash_sink,
            genesisTime: u(genesis_time),
            slotDuration: u(params.slot_duration),
            epochDuration: u(params.epoch_duration),
            setChangeDelay: u(params.set_change_delay),
            withdrawalDelay: u(params.withdrawal_delay),
        }
    }
}

#[cfg(not(spn_missing_artifacts))]
impl rollup::Rollup::Config {
    /// `Rollup`'s constructor argument for `params`, with the deployed Staking, verifier and
    /// reward token.
    pub fn from_params(
        params: &spn_protocol::Params,
        staking: alloy_primitives::Address,
        verifier: alloy_primitives::Address,
        reward_token: alloy_primitives::Address,
    ) -> Self {
        let u = alloy_primitives::U256::from;
        Self {
            staking,
            verifier,
            rewardToken: reward_token,
            seedLookahead: u(params.seed_lookahead),
            proofWindow: u(params.proof_window),
            minHeight: u(params.min_height.into()),
            maxHeight: u(params.max_height.into()),
            roundHeight: u(params.round_height.into()),
            redundancy: u(params.redundancy),
            neighbourhood: u(params.neighbourhood.into()),
            attestationTarget: u(params.attestation_target),
            attestationQuorum: u(params.attestation_quorum),
            sequencerTarget: u(params.sequencer_target),
            costs: rollup::SortitionLib::CostWeights {
                vmProofsPerTx: u(params.vm_proofs_per_tx),
                vmProofCost: u(params.vm_proof_cost),
                baseProofCost: u(params.base_proof_cost),
                mergeProofCost: u(params.merge_proof_cost),
            },
            rewards: rollup::RewardLib::Rewards {
                submitter: params.submitter_reward,
                sequencerBase: params.sequencer_base,
                sequencerCoverage: params.sequencer_coverage,
                provers: params.provers_reward,
            },
            minCoverageBps: u(params.min_coverage_bps),
            graceSlots: u(params.grace_slots),
            strikeThreshold: u(params.strike_threshold),
            penaltyBase: params.penalty_base,
            ejectionFloor: params.ejection_floor,
            // The BLS training wheel is off: agents do not sign transitions yet.
            trainingWheel: alloy_primitives::Address::ZERO,
            trainingWheelBps: alloy_primitives::U256::ZERO,
            trainingWheelUntil: alloy_primitives::U256::ZERO,
        }
    }
}

bindings!(
    /// `contracts/Staking.sol`: stakes, activation and exit, the active count.
    staking::Staking = "Staking.sol/Staking.json"
);
bindings!(
    /// `contracts/TranscriptVerifier.sol`: the packed transcript verifier.
    transcript_verifier::TranscriptVerifier = "TranscriptVerifier.sol/TranscriptVerifier.json"
);
bindings!(
    /// `contracts/BlsVerifier.sol`: the training wheel's check of a signed state transition.
    bls_verifier::BlsVerifier = "BlsVerifier.sol/BlsVerifier.json"
);

#[cfg(not(spn_missing_artifacts))]
impl bls_verifier::IBlsVerifier::TransitionContext {
    /// The context `Rollup.submitSignedProof` hands `BlsVerifier` for `ctx`, with the signers'
    /// records in `staking`.
    pub fn from_context(
        ctx: &spn_protocol::TransitionContext,
        staking: alloy_primitives::Address,
    ) -> Self {
        let u = alloy_primitives::U256::from;
        Self {
            domainSeparator: ctx.domain_separator,
            blockHash: ctx.block_hash,
            txRoot: ctx.tx_root,
            preStateRoot: ctx.pre_state_root,
            staking,
            slotSeed: ctx.slot_seed,
            epoch: u(ctx.epoch),
            activeCount: u(ctx.active_count),
            height: u(ctx.height.into()),
            roundHeight: u(ctx.round_height.into()),
            redundancy: u(ctx.redundancy),
            thresholdBps: u(ctx.threshold_bps),
        }
    }
}

bindings!(
    /// `contracts/devnet/TestToken.sol`: a freely mintable ERC-20.
    test_token::TestToken = "TestToken.sol/TestToken.json"
);
bindings!(
    /// `contracts/libraries/Errors.sol`: every custom error (`Errors::ErrorsErrors` decodes revert data).
    errors::Errors = "Errors.sol/Errors.json"
);

#[cfg(not(spn_missing_artifacts))]
pub use {
    bls_verifier::BlsVerifier, errors::Errors, rollup::Rollup, staking::Staking,
    test_token::TestToken, transcript_verifier::TranscriptVerifier,
};

/// The harness contracts of `test/harness/` (library internals behind external functions).
#[cfg(feature = "harness")]
pub mod harness {
    bindings!(
        /// `test/harness/SortitionHarness.sol`.
        sortition::SortitionHarness = "SortitionHarness.sol/SortitionHarness.json"
    );
    bindings!(
        /// `test/harness/TreeHarness.sol`.
        tree::TreeHarness = "TreeHarness.sol/TreeHarness.json"
    );
    bindings!(
        /// `test/harness/MessagesHarness.sol`.
        messages::MessagesHarness = "MessagesHarness.sol/MessagesHarness.json"
    );
    bindings!(
        /// `test/harness/RewardHarness.sol`.
        reward::RewardHarness = "RewardHarness.sol/RewardHarness.json"
    );
    bindings!(
        /// `test/harness/InactivityHarness.sol`.
        inactivity::InactivityHarness = "InactivityHarness.sol/InactivityHarness.json"
    );
    bindings!(
        /// `test/harness/rust/DiffHarness.sol`: TranscriptLib and OZ ECDSA recovery, OZ MerkleProof.
        signature::SignatureHarness = "DiffHarness.sol/SignatureHarness.json"
    );
    bindings!(
        /// `test/harness/rust/DiffHarness.sol`: the Rollup's EIP-712 domain.
        domain::DomainHarness = "DiffHarness.sol/DomainHarness.json"
    );
    bindings!(
        /// `test/harness/rust/DiffHarness.sol`: the seed checkpoints.
        seed::SeedHarness = "DiffHarness.sol/SeedHarness.json"
    );
    bindings!(
        /// `test/harness/rust/DiffHarness.sol`: TimeLib.
        time::TimeHarness = "DiffHarness.sol/TimeHarness.json"
    );

    bindings!(
        /// `test/harness/rust/BlsDiffHarness.sol`: BlsLib's hash to G2, compressed keys, PoP check.
        bls::BlsDiffHarness = "BlsDiffHarness.sol/BlsDiffHarness.json"
    );

    #[cfg(not(spn_missing_artifacts))]
    pub use {
        bls::BlsDiffHarness, domain::DomainHarness, inactivity::InactivityHarness,
        messages::MessagesHarness, reward::RewardHarness, seed::SeedHarness,
        signature::SignatureHarness, sortition::SortitionHarness, time::TimeHarness,
        tree::TreeHarness,
    };
}
