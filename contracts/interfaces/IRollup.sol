// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MessagesLib} from "../libraries/MessagesLib.sol";

/// @title IRollup
/// @notice Proposals with attestation quorum, proof submission, pruning, rewards and the inactivity bleed.
interface IRollup {
    /// @notice What a sequencer commits to: the current slot, its transaction tree root and tree height n.
    struct ProposeArgs {
        uint64 slot;
        bytes32 txRoot;
        uint8 height;
    }

    /// @notice A compact (EIP-2098) secp256k1 signature.
    struct Signature {
        bytes32 r;
        bytes32 vs;
    }

    /// @notice One block's entry in a batched claim: the prover's credited cost in that block and its Merkle proof.
    struct ClaimItem {
        uint64 blockNumber;
        uint64 cost;
        bytes32[] proof;
    }

    /// @notice Per-block record of a proposal; `blockHash` commits to the whole header.
    struct BlockLog {
        bytes32 blockHash;
        uint64 slot;
        address proposer;
        uint8 height;
    }

    /// @notice Per-block record written once when the block is proven; kept forever for claims and reports.
    struct ProvenBlock {
        bytes32 blockHash;
        bytes32 rewardsRoot;
        uint128 proversPot;
        uint64 totalProverCost;
    }

    /// @notice Inactivity state of a staker.
    struct Inactivity {
        /// @dev Block of the latest finalised strike or cleared report; later reports must concern later blocks.
        uint64 lastAppearance;
        /// @dev Block of the pending report, 0 if none.
        uint64 pendingBlock;
        /// @dev Slot the pending report was made in; the grace period runs from it.
        uint64 pendingSlot;
        /// @dev Consecutive finalised strikes.
        uint32 strikes;
    }

    /// @notice Reward parts credited (submitter, sequencer: owed until withdrawn) or reserved (provers) for a proven block,
    ///         after underfunding scaling.
    struct Payout {
        uint256 submitter;
        uint256 sequencer;
        uint256 proversPot;
        uint256 proversReserved;
    }

    event BlockProposed(
        uint256 indexed number,
        bytes32 indexed blockHash,
        uint256 indexed slot,
        address proposer,
        bytes32 parentHash,
        bytes32 txRoot,
        uint8 height
    );
    event BlockReplaced(uint256 indexed number, bytes32 oldBlockHash, bytes32 newBlockHash);
    event BlocksPruned(uint256 fromNumber, uint256 toNumber);
    event BlockProven(
        uint256 indexed number,
        bytes32 indexed blockHash,
        address indexed submitter,
        bytes32 rewardsRoot,
        uint256 distinctProvers,
        uint256 unfilledJobs,
        uint256 submitterReward,
        uint256 sequencerReward,
        uint256 proversReserved
    );
    /// @notice Block `number` was proven with its committee's aggregate BLS signature of `signers` signers over the
    ///         transition to `postStateRoot` (the training wheel), now `provenStateRoot`.
    event TransitionSigned(uint256 indexed number, bytes32 postStateRoot, uint256 signers);
    event PoolFunded(address indexed funder, uint256 amount);
    event RewardsClaimed(address indexed prover, address indexed recipient, uint256 amount, uint256 blocks);
    /// @notice `account` withdrew its whole owed (submitter and sequencer) rewards to `recipient`.
    event RewardsWithdrawn(address indexed account, address indexed recipient, uint256 amount);
    event MissReported(address indexed staker, uint256 indexed blockNumber, address indexed reporter);
    event ReportCleared(address indexed staker, uint256 indexed pendingBlock, uint256 evidenceBlock);
    event StrikeFinalised(
        address indexed staker, uint256 indexed blockNumber, uint256 strikes, uint256 slashed, bool ejected
    );

    /// @notice Proposes the current slot's block from msg.sender (the staking key) with its committee's attestations.
    /// @dev Attestation signatures must recover to strictly ascending addresses (which makes them distinct).
    function propose(ProposeArgs calldata args, Signature[] calldata attestations) external returns (uint256 number);

    /// @notice Records the seed of epoch `currentEpoch + seedLookahead` if no call has done so yet this epoch.
    /// @dev Every state-changing entry point samples; agents call this in an epoch without rollup transactions so the
    ///      seed of a future epoch is never an old, already-known sample.
    function sampleSeed() external;

    /// @notice Drops the oldest unproven block and everything on top of it once its proof window has passed.
    function prune() external;

    /// @notice Submits the proof of the next unproven block; credits B^Submitter to msg.sender and B^Sequencer to the
    ///         proposer's withdrawer as owed rewards (pulled with `withdrawRewards`), so no recipient can block a proof.
    /// @dev Reverts with Rollup__CoverageTooLow if the proof credits fewer than `minCoverageBps` of the committee jobs.
    /// @custom:reverts Rollup__TrainingWheelOn while the training wheel covers the block (use submitSignedProof).
    function submitProof(MessagesLib.Header calldata header, bytes calldata proof) external;

    /// @notice submitProof for a block the training wheel covers (`number < trainingWheelUntil`): the same checks and
    ///         rewards, plus the round-1 committee's aggregate BLS signature over the block's state transition
    ///         (`transition`, IBlsVerifier's packed encoding), after which `provenStateRoot` advances.
    /// @custom:reverts Rollup__TrainingWheelOff if the wheel does not cover the block; the verifier's Bls__* errors.
    function submitSignedProof(MessagesLib.Header calldata header, bytes calldata proof, bytes calldata transition)
        external;

    /// @notice Adds the reward tokens received from a transfer of `amount` from msg.sender to the reward pool (the
    ///         balance delta, so a fee-on-transfer token credits what actually arrived).
    function fund(uint256 amount) external;

    /// @notice Pays msg.sender's whole owed rewards (as submitter and as sequencer withdrawer) to `recipient`.
    /// @custom:reverts Rewards__ZeroRecipient; Rewards__ZeroAmount if nothing is owed.
    function withdrawRewards(address recipient) external returns (uint256 amount);

    /// @notice Owed (credited, not yet withdrawn) submitter and sequencer rewards of `account`.
    function rewardsOwed(address account) external view returns (uint256);

    /// @notice Pays msg.sender's (a staking key's) B^Provers shares for many proven blocks to `recipient`.
    /// @dev Called by the staking key itself, like Aztec's coinbase: no Staking lookup, so a claim stays cheap. Each
    ///      (prover, block) pays once (bitmap per prover and 256 blocks). Unproven numbers have no rewards root, so no
    ///      leaf verifies for them.
    function claim(address recipient, ClaimItem[] calldata items) external returns (uint256 amount);

    /// @notice Reports that `staker` was on the committee of the proven block `header` and is presumed inactive.
    function reportMissed(address staker, MessagesLib.Header calldata header) external;

    /// @notice Clears a pending report with a credited rewards leaf of `staker` in a block in the report's range.
    function clearWithReward(address staker, MessagesLib.Header calldata header, uint64 cost, bytes32[] calldata proof)
        external;

    /// @notice Clears a pending report with a job result `staker` signed for a block in the report's range and was
    ///         eligible for, its output proven against the block's transaction root.
    function clearWithJobResult(
        address staker,
        MessagesLib.Header calldata header,
        uint32 job,
        bytes32 output,
        Signature calldata signature,
        bytes32[] calldata siblings
    ) external;

    /// @notice Turns a pending report whose grace period is over into a strike; applies the bleed.
    function finaliseReport(address staker) external;
}
