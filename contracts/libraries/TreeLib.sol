// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";

/// @title TreeLib
/// @notice The block's transaction tree (positional, keccak256(left || right)) and the rewards tree
///         (OpenZeppelin MerkleProof-compatible: commutative keccak, odd node promoted).
library TreeLib {
    /// @notice Parent of two positional nodes.
    function node(bytes32 left, bytes32 right) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0x00, left)
            mstore(0x20, right)
            h := keccak256(0x00, 0x40)
        }
    }

    /// @notice Root of `count` (a power of two) consecutive positional nodes stored at calldata offset `at`.
    /// @dev Hashes pairs into `scratch` (at least count / 2 words, reused across calls to avoid memory growth).
    function subtreeRootAt(uint256 at, uint256 count, bytes32[] memory scratch) internal pure returns (bytes32 root) {
        assembly ("memory-safe") {
            switch count
            case 1 { root := calldataload(at) }
            default {
                let buf := add(scratch, 0x20)
                let half := shr(1, count)
                for { let i := 0 } lt(i, half) { i := add(i, 1) } {
                    calldatacopy(0x00, add(at, shl(6, i)), 0x40)
                    mstore(add(buf, shl(5, i)), keccak256(0x00, 0x40))
                }
                for { let width := half } gt(width, 1) { width := shr(1, width) } {
                    for { let i := 0 } lt(i, shr(1, width)) { i := add(i, 1) } {
                        mstore(add(buf, shl(5, i)), keccak256(add(buf, shl(6, i)), 0x40))
                    }
                }
                root := mload(buf)
            }
        }
    }

    /// @notice Root of a positional tree reached from `leaf` at position `index` through `siblings` (bottom-up).
    function rootFromPath(bytes32 leaf, uint256 index, bytes32[] calldata siblings) internal pure returns (bytes32 h) {
        h = leaf;
        for (uint256 i; i < siblings.length; ++i) {
            h = (index >> i) & 1 == 0 ? node(h, siblings[i]) : node(siblings[i], h);
        }
    }

    /// @notice The rewards leaf of one prover in one block: double-hashed against second-preimage attacks.
    /// @dev keccak256(bytes.concat(keccak256(abi.encode(prover, cost)))), hashed in scratch space.
    function rewardLeaf(address prover, uint256 cost) internal pure returns (bytes32 leaf) {
        assembly ("memory-safe") {
            mstore(0x00, and(prover, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(0x20, cost)
            mstore(0x00, keccak256(0x00, 0x40))
            leaf := keccak256(0x00, 0x20)
        }
    }

    /// @notice OZ-compatible root over `leaves` in order; an odd node is promoted unchanged. Overwrites `leaves`.
    function commutativeRoot(bytes32[] memory leaves) internal pure returns (bytes32) {
        uint256 width = leaves.length;
        if (width == 0) return bytes32(0);
        while (width > 1) {
            uint256 half = width / 2;
            for (uint256 i; i < half; ++i) {
                leaves[i] = Hashes.commutativeKeccak256(leaves[2 * i], leaves[2 * i + 1]);
            }
            if (width % 2 == 1) {
                leaves[half] = leaves[width - 1];
                width = half + 1;
            } else {
                width = half;
            }
        }
        return leaves[0];
    }
}
