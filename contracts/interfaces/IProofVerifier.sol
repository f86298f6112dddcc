// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IStaking} from "./IStaking.sol";
import {SortitionLib} from "../libraries/SortitionLib.sol";

/// @title IProofVerifier
/// @notice What the rollup asks of a block proof. The shipped implementation checks a signed contribution transcript;
///         a SNARK verifier can replace it without touching staking or rewards.
interface IProofVerifier {
    /// @notice Everything about the block the verifier needs; computed by the rollup from its own state.
    struct VerifyContext {
        bytes32 blockHash;
        bytes32 txRoot;
        bytes32 slotSeed;
        bytes32 domainSeparator;
        IStaking staking;
        uint256 epoch;
        uint256 activeCount;
        uint256 height;
        uint256 roundHeight;
        uint256 redundancy;
        uint256 neighbourhood;
        SortitionLib.CostWeights costs;
    }

    /// @notice What the rollup needs for rewards and inactivity.
    struct VerifiedWork {
        /// @dev OZ-compatible Merkle root (commutative keccak256 pairs) over the unhashed leaves
        ///      bytes32(abi.encodePacked(prover, uint64 cost)) in transcript order (TreeLib.rewardLeaf); bytes32(0)
        ///      if there are no provers.
        bytes32 rewardsRoot;
        /// @dev Sum of the credited costs, in proof-seconds.
        uint256 creditedCost;
        /// @dev Distinct committee members with at least one credited contribution.
        uint256 distinctProvers;
        /// @dev Committee jobs with no credited contribution (done by the proposer as fallback, unpaid).
        uint256 unfilledJobs;
    }

    /// @notice Verifies `proof` for the block described by `ctx`; reverts if invalid.
    function verify(VerifyContext calldata ctx, bytes calldata proof) external view returns (VerifiedWork memory);
}
