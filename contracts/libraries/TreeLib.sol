// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

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

    /// @notice The rewards leaf of one prover in one block: the packed pair itself, bytes32(abi.encodePacked(prover,
    ///         cost)), that is the prover in bytes 0-19, the cost in bytes 20-27 and four zero bytes.
    /// @dev Not hashed. Inner nodes are keccak256 outputs, so passing one off as a claimant's leaf needs a node whose
    ///      first 20 bytes are the claimant's address and whose last 4 are zero (a 2^-192 event per node), and passing
    ///      a leaf off as an inner node needs a keccak256 preimage. OpenZeppelin hashes leaves (twice) because theirs
    ///      are arbitrary 64-byte values; a 28-byte structured value needs neither hash.
    function rewardLeaf(address prover, uint64 cost) internal pure returns (bytes32 leaf) {
        assembly ("memory-safe") {
            leaf := or(shl(96, prover), shl(32, cost))
        }
    }

    /// @notice OZ-compatible root over `leaves` in order; an odd node is promoted unchanged. Overwrites `leaves`.
    /// @dev Each level is hashed in place: node i of the next level is the commutative hash (smaller word first, as
    ///      OpenZeppelin's `Hashes.commutativeKeccak256`) of nodes 2i and 2i + 1, computed in scratch space.
    function commutativeRoot(bytes32[] memory leaves) internal pure returns (bytes32 root) {
        assembly ("memory-safe") {
            let base := add(leaves, 0x20)
            let width := mload(leaves)
            for {} gt(width, 1) {} {
                // Node i of the next level goes to dst = base + 32i, from nodes 2i and 2i + 1 at src = base + 64i.
                let dst := base
                let src := base
                for { let pairsEnd := add(base, shl(6, shr(1, width))) } lt(src, pairsEnd) { src := add(src, 0x40) } {
                    let a := mload(src)
                    let b := mload(add(src, 0x20))
                    // Smaller word first: a goes to the second word when b < a, and b to the other.
                    let aAt := shl(5, lt(b, a))
                    mstore(aAt, a)
                    mstore(xor(aAt, 0x20), b)
                    mstore(dst, keccak256(0x00, 0x40))
                    dst := add(dst, 0x20)
                }
                // An odd last node, now at src, moves up unchanged.
                if and(width, 1) { mstore(dst, mload(src)) }
                width := shr(1, add(width, 1))
            }
            if width { root := mload(base) }
        }
    }
}
