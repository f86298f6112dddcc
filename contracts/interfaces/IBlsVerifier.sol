// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IStaking} from "./IStaking.sol";

/// @title IBlsVerifier
/// @notice The training wheel's second check of a proven block (docs/design/bls-training-wheel.md §3): an aggregate BLS
///         signature of the block's round-1 proving committee over its state transition.
interface IBlsVerifier {
    /// @notice Everything about the block the verifier needs; computed by the Rollup from its own state, and trusted.
    struct TransitionContext {
        /// @dev The Rollup's EIP-712 domain separator: binds the signature to one chain and one deployment.
        bytes32 domainSeparator;
        bytes32 blockHash;
        /// @dev The block's transaction root, which is also its outputs root (the root job's output).
        bytes32 txRoot;
        /// @dev The state root after the previous proven block (`Rollup.provenStateRoot`).
        bytes32 preStateRoot;
        /// @dev Where the signers' BLS records live (`IStaking.firstBlsMismatch`).
        IStaking staking;
        bytes32 slotSeed;
        uint256 epoch;
        uint256 activeCount;
        uint256 height;
        uint256 roundHeight;
        uint256 redundancy;
        /// @dev Signers required, in basis points of the expected round-1 committee size.
        uint256 thresholdBps;
    }

    /// @notice Verifies the packed `transition` (signature:192 ‖ signerCount:uint16 ‖ signer[signerCount], each signer
    ///         address:20 ‖ activationEpoch:uint32 ‖ exitEpoch:uint32 ‖ publicKey:96) for the block in `ctx`;
    ///         reverts with the first failing check's `Bls__*` error.
    /// @return postStateRoot MessagesLib.stateRoot(ctx.preStateRoot, ctx.txRoot), the state root the signers vouched for.
    /// @return signers The number of signers aggregated.
    function verify(TransitionContext calldata ctx, bytes calldata transition)
        external
        view
        returns (bytes32 postStateRoot, uint256 signers);
}
