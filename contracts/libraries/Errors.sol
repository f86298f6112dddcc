// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Errors
/// @notice Every custom error of SPN, named `Area__Reason`, with the offending values as arguments.
library Errors {
    // ---------------------------------------------------------------- Parameters
    /// @notice A deployment parameter set is inconsistent; `reason` names the rule it breaks.
    error Params__Invalid(string reason);

    // ---------------------------------------------------------------- BlsLib
    /// @notice A precompile call (EIP-2537, SHA-256 or MODEXP) failed or returned a short result: a point off its curve
    ///         or outside its subgroup (MSM), or a coordinate not below p.
    error BlsLib__PrecompileFailed(address precompile);
    /// @notice A BLS encoding (point, field element) has the wrong length.
    error BlsLib__InvalidLength(uint256 expected, uint256 actual);
    /// @notice expand_message_xmd's DST is over 255 bytes (RFC 9380 §5.3.3 has such a DST hashed first).
    error BlsLib__DstTooLong(uint256 length);
    /// @notice expand_message_xmd was asked for more than 255 · 32 bytes (RFC 9380 §5.3.1: ell <= 255).
    error BlsLib__ExpandTooLong(uint256 lenInBytes, uint256 max);

    // ---------------------------------------------------------------- Staking
    error Staking__AlreadyRegistered(address key);
    error Staking__ZeroAddress();
    error Staking__NotRegistered(address key);
    error Staking__NotWithdrawer(address expected, address actual);
    error Staking__AlreadyExiting(address key, uint32 exitEpoch);
    error Staking__NotExiting(address key);
    error Staking__WithdrawalNotReady(uint256 currentEpoch, uint256 withdrawableEpoch);
    error Staking__AlreadyWithdrawn(address key);
    error Staking__OnlyRollup(address caller);
    error Staking__RollupAlreadySet();
    error Staking__NotDeployer(address expected, address actual);
    /// @notice The rollup passed to setRollup was deployed against another Staking contract.
    error Staking__RollupMismatch(address expected, address actual);
    /// @notice The stake token delivered less than the stake (a fee-on-transfer or otherwise non-standard token).
    error Staking__StakeNotReceived(uint256 expected, uint256 received);
    /// @notice registerBlsKey: the key already has a BLS key (set once, never rotated).
    error Staking__BlsKeyExists(address key);
    /// @notice registerBlsKey: the BLS key is not 96 bytes, the proof not 192, or the key is the point at infinity.
    error Staking__BlsInvalidKey(address key);
    /// @notice registerBlsKey: the proof of possession does not verify (or a point is invalid).
    error Staking__BlsInvalidProof(address key);
    /// @notice Two arrays that go in pairs have different lengths.
    error Staking__LengthMismatch(uint256 keys, uint256 records);

    // ---------------------------------------------------------------- Rollup: proposals
    error Rollup__WrongSlot(uint256 expected, uint256 actual);
    error Rollup__NotActive(address key, uint256 epoch);
    error Rollup__NotSequencer(address proposer, uint256 score, uint256 floor);
    error Rollup__HeightOutOfRange(uint256 height, uint256 min, uint256 max);
    error Rollup__TooFewAttestations(uint256 provided, uint256 quorum);
    error Rollup__AttestersNotAscending(address previous, address next);
    error Rollup__AttesterNotInCommittee(address attester, uint256 score, uint256 threshold);
    error Rollup__InvalidSignature();
    error Rollup__ScoreNotHigher(uint256 incumbent, uint256 challenger);
    error Rollup__NoActiveStakers(uint256 epoch);

    // ---------------------------------------------------------------- Rollup: proofs and pruning
    error Rollup__WrongBlockNumber(uint256 expected, uint256 actual);
    error Rollup__HeaderMismatch(bytes32 expected, bytes32 actual);
    error Rollup__DeadlinePassed(uint256 currentSlot, uint256 lastSlot);
    error Rollup__NothingToPrune();
    error Rollup__BlockNotProven(uint256 blockNumber);
    /// @notice The proof credits fewer committee jobs than `minCoverageBps` requires.
    error Rollup__CoverageTooLow(uint256 creditedJobs, uint256 requiredJobs);

    // ---------------------------------------------------------------- Transcript verifier
    /// @notice The packed transcript ends early or has trailing bytes (`at` is the offending calldata position).
    error Transcript__Malformed(uint256 at, uint256 end);
    error Transcript__OutputsLength(uint256 expected, uint256 actual);
    error Transcript__OutputMismatch(uint256 round, uint256 job, bytes32 expected, bytes32 actual);
    error Transcript__ProversNotAscending(address previous, address next);
    error Transcript__EmptyContributions(address prover);
    error Transcript__ProverNotActive(address prover);
    error Transcript__JobOutOfRange(uint256 job, uint256 proverJobs);
    error Transcript__JobAlreadyContributed(uint256 job);
    error Transcript__NotInCommittee(address prover, uint256 round);
    error Transcript__OutsideNeighbourhood(address prover, uint256 round, uint256 job, uint256 ownJob);
    error Transcript__BadJobSignature(address prover, uint256 job);
    /// @notice The context's roundHeight is zero (no round can be formed).
    error Transcript__ZeroRoundHeight();
    /// @notice height <= roundHeight: the block has fewer than two rounds, so no committee round.
    error Transcript__TooFewRounds(uint256 height, uint256 roundHeight);
    /// @notice The context's height is above the largest the verifier supports.
    error Transcript__HeightTooLarge(uint256 height, uint256 max);
    /// @notice The block's totalProverCost does not fit the rewards leaf's uint64 cost.
    error Transcript__ProverCostTooLarge(uint256 totalProverCost, uint256 max);

    // ---------------------------------------------------------------- BLS training wheel (Rollup, BlsVerifier)
    /// @notice submitProof was called for a block the training wheel covers (`number < until`): use submitSignedProof.
    error Rollup__TrainingWheelOn(uint256 number, uint256 until);
    /// @notice submitSignedProof was called for a block the training wheel does not cover (off, or `number >= until`).
    error Rollup__TrainingWheelOff(uint256 number);
    /// @notice The packed transition is too short or not exactly 194 + 124 * signerCount bytes (`at` is the calldata
    ///         position where it should end, `end` where it does).
    error Bls__Malformed(uint256 at, uint256 end);
    /// @notice Fewer signers than `trainingWheelBps` of the expected round-1 committee.
    error Bls__TooFewSigners(uint256 count, uint256 required);
    /// @notice Signers must be strictly ascending (hence distinct and nonzero).
    error Bls__SignersNotAscending(address previous, address next);
    /// @notice The signer's calldata epochs do not make it active in the block's epoch.
    error Bls__SignerNotActive(address signer, uint256 epoch);
    /// @notice The signer's score in the block's slot is not below the round-1 threshold.
    error Bls__NotInCommittee(address signer, uint256 score, uint256 threshold);
    /// @notice The signer's key and epochs in calldata are not its BLS record in Staking (no key, another key, or
    ///         stale epochs).
    error Bls__KeyMismatch(address signer);
    /// @notice The signers' keys add up to the point at infinity.
    error Bls__AggregateIsInfinity();
    /// @notice The aggregate signature does not verify against the signers' aggregate key (or is not a G2 point).
    error Bls__BadSignature();

    // ---------------------------------------------------------------- Rewards
    error Rewards__AlreadyClaimed(address prover, uint256 blockNumber);
    error Rewards__InvalidProof(address prover, uint256 blockNumber);
    error Rewards__ZeroAmount();
    error Rewards__ZeroRecipient();

    // ---------------------------------------------------------------- Inactivity
    error Inactivity__NotAssigned(address staker, uint256 blockNumber);
    error Inactivity__NotAfterLastAppearance(uint256 blockNumber, uint256 lastAppearance);
    error Inactivity__ReportPending(address staker, uint256 blockNumber);
    error Inactivity__NoPendingReport(address staker);
    error Inactivity__GraceNotOver(uint256 currentSlot, uint256 graceEndSlot);
    error Inactivity__GraceOver(uint256 currentSlot, uint256 graceEndSlot);
    error Inactivity__EvidenceBlockOutOfRange(uint256 blockNumber, uint256 after_, uint256 upTo);
    error Inactivity__InvalidEvidence(address staker, uint256 blockNumber);
}
