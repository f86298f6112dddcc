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

    /// @notice Root of `count` consecutive positional nodes starting at calldata index `start` of `nodes`.
    /// @dev `count` is a power of two. Hashes in place in a memory scratch array to avoid re-reading calldata.
    function subtreeRoot(bytes32[] calldata nodes, uint256 start, uint256 count) internal pure returns (bytes32) {
        if (count == 1) return nodes[start];
        bytes32[] memory level = new bytes32[](count / 2);
        for (uint256 i; i < count / 2; ++i) {
            level[i] = node(nodes[start + 2 * i], nodes[start + 2 * i + 1]);
        }
        for (uint256 width = count / 2; width > 1; width /= 2) {
            for (uint256 i; i < width / 2; ++i) {
                level[i] = node(level[2 * i], level[2 * i + 1]);
            }
        }
        return level[0];
    }

    /// @notice Root of a positional tree reached from `leaf` at position `index` through `siblings` (bottom-up).
    function rootFromPath(bytes32 leaf, uint256 index, bytes32[] calldata siblings) internal pure returns (bytes32 h) {
        h = leaf;
        for (uint256 i; i < siblings.length; ++i) {
            h = (index >> i) & 1 == 0 ? node(h, siblings[i]) : node(siblings[i], h);
        }
    }

    /// @notice The rewards leaf of one prover in one block: double-hashed against second-preimage attacks.
    function rewardLeaf(address prover, uint256 cost) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(prover, cost))));
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
