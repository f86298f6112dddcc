// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";

import {TreeHarness} from "../harness/TreeHarness.sol";

/// @notice The positional transaction tree and the OZ-compatible rewards tree (docs/PROTOCOL.md §4, §8).
contract TreeLibFuzzTest is Test {
    TreeHarness internal h;

    function setUp() public {
        h = new TreeHarness();
    }

    // ------------------------------------------------------------------------------------------ references

    function _nodes(uint256 seed, uint256 count) internal pure returns (bytes32[] memory a) {
        a = new bytes32[](count);
        for (uint256 i; i < count; ++i) {
            a[i] = keccak256(abi.encode(seed, i));
            // Empty leaves are bytes32(0) in the protocol: make some of them empty.
            if (uint256(a[i]) % 7 == 0) a[i] = bytes32(0);
        }
    }

    /// @dev Positional root of `count` nodes from `start`, by plain recursion.
    function _refRoot(bytes32[] memory a, uint256 start, uint256 count) internal pure returns (bytes32) {
        if (count == 1) return a[start];
        uint256 half = count / 2;
        return keccak256(abi.encodePacked(_refRoot(a, start, half), _refRoot(a, start + half, half)));
    }

    /// @dev Bottom-up siblings of leaf `index` in the positional tree over `leaves` (a power of two).
    function _path(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32[] memory siblings) {
        uint256 depth;
        while ((1 << depth) < leaves.length) ++depth;
        siblings = new bytes32[](depth);
        for (uint256 i; i < depth; ++i) {
            uint256 width = 1 << i;
            uint256 sibling = (index >> i) ^ 1;
            siblings[i] = _refRoot(leaves, sibling * width, width);
        }
    }

    /// @dev OZ-compatible proof builder for the rewards tree: commutative keccak, an odd last node is promoted unchanged
    ///      (so it contributes no sibling at that level). Written independently of TreeLib and of SPNTest.
    function _ozProof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32[] memory proof) {
        bytes32[] memory level = new bytes32[](leaves.length);
        for (uint256 i; i < leaves.length; ++i) {
            level[i] = leaves[i];
        }
        bytes32[] memory out = new bytes32[](256);
        uint256 len;
        uint256 width = leaves.length;
        while (width > 1) {
            if (index % 2 == 1) out[len++] = level[index - 1];
            else if (index + 1 < width) out[len++] = level[index + 1];
            uint256 next = (width + 1) / 2;
            for (uint256 i; i < next; ++i) {
                level[i] =
                    2 * i + 1 < width ? Hashes.commutativeKeccak256(level[2 * i], level[2 * i + 1]) : level[2 * i];
            }
            width = next;
            index /= 2;
        }
        proof = new bytes32[](len);
        for (uint256 i; i < len; ++i) {
            proof[i] = out[i];
        }
    }

    // ------------------------------------------------------------------------------------------ positional tree

    function testFuzz_node_isKeccakOfConcatenation(bytes32 a, bytes32 b) public view {
        assertEq(h.node(a, b), keccak256(abi.encodePacked(a, b)));
    }

    function testFuzz_subtreeRoot_equalsReference(
        uint256 seed,
        uint256 lengthSeed,
        uint256 logSeed,
        uint256 startSeed,
        uint8 extraScratch,
        bytes32 dirty
    ) public view {
        uint256 length = bound(lengthSeed, 1, 80);
        uint256 maxLog;
        while ((2 << maxLog) <= length) ++maxLog;
        uint256 count = 1 << bound(logSeed, 0, maxLog);
        uint256 start = bound(startSeed, 0, length - count);
        bytes32[] memory a = _nodes(seed, length);
        assertEq(h.subtreeRoot(a, start, count, count / 2 + extraScratch % 8, dirty), _refRoot(a, start, count));
    }

    function testFuzz_rootFromPath_roundTrip(uint256 seed, uint256 depthSeed, uint256 index) public view {
        uint256 depth = bound(depthSeed, 0, 8);
        bytes32[] memory leaves = _nodes(seed, 1 << depth);
        index = bound(index, 0, leaves.length - 1);
        bytes32 root = _refRoot(leaves, 0, leaves.length);
        bytes32[] memory siblings = _path(leaves, index);
        assertEq(h.rootFromPath(leaves[index], index, siblings), root, "path of every leaf leads to the root");
        if (depth > 0) {
            bytes32 forged = leaves[index] ^ bytes32(uint256(1));
            assertTrue(h.rootFromPath(forged, index, siblings) != root, "another leaf value misses the root");
            uint256 other = index ^ 1;
            if (leaves[other] != leaves[index]) {
                assertTrue(h.rootFromPath(leaves[index], other, siblings) != root, "another position misses the root");
            }
        }
    }

    /// @dev A job's output proven through the tree of its subtree roots: rootFromPath over the outputs of one level.
    function testFuzz_rootFromPath_fromAnyLevel(uint256 seed, uint256 depthSeed, uint256 levelSeed, uint256 index)
        public
        view
    {
        uint256 depth = bound(depthSeed, 1, 7);
        uint256 lvl = bound(levelSeed, 0, depth);
        bytes32[] memory leaves = _nodes(seed, 1 << depth);
        bytes32[] memory nodes = new bytes32[](1 << (depth - lvl));
        for (uint256 i; i < nodes.length; ++i) {
            nodes[i] = _refRoot(leaves, i << lvl, 1 << lvl);
        }
        index = bound(index, 0, nodes.length - 1);
        assertEq(h.rootFromPath(nodes[index], index, _path(nodes, index)), _refRoot(leaves, 0, leaves.length));
    }

    // ------------------------------------------------------------------------------------------ rewards tree

    function testFuzz_rewardLeaf_isThePackedPair(address prover, uint64 cost) public view {
        assertEq(h.rewardLeaf(prover, cost), bytes32(abi.encodePacked(prover, cost)));
    }

    function testFuzz_commutativeRoot_acceptedByMerkleProof(uint256 seed, uint256 countSeed) public view {
        uint256 count = bound(countSeed, 1, 70);
        bytes32[] memory leaves = new bytes32[](count);
        for (uint256 i; i < count; ++i) {
            leaves[i] =
                h.rewardLeaf(address(uint160(uint256(keccak256(abi.encode(seed, "prover", i))))), uint64(i * 37 + 1));
        }
        bytes32 root = h.commutativeRoot(leaves);
        if (count == 1) assertEq(root, leaves[0], "a single leaf is the root");
        for (uint256 i; i < count; ++i) {
            bytes32[] memory proof = _ozProof(leaves, i);
            assertTrue(MerkleProof.verify(proof, root, leaves[i]), "OZ rejects a leaf proof");
            // The proof is no longer than ceil(log2(count)).
            assertLe(proof.length, 7);
            // The same proof does not prove a different (prover, cost) leaf.
            bytes32 other = h.rewardLeaf(address(0xdead), uint64(i));
            if (other != leaves[i]) assertFalse(MerkleProof.verify(proof, root, other), "forged leaf accepted");
        }
    }

    function test_commutativeRoot_emptyIsZero() public view {
        assertEq(h.commutativeRoot(new bytes32[](0)), bytes32(0));
    }

    function testFuzz_commutativeRoot_dependsOnEveryLeaf(uint256 seed, uint256 countSeed, uint256 which) public view {
        uint256 count = bound(countSeed, 1, 40);
        bytes32[] memory leaves = _nodes(seed, count);
        bytes32 root = h.commutativeRoot(leaves);
        which = bound(which, 0, count - 1);
        leaves[which] = ~leaves[which];
        assertTrue(h.commutativeRoot(leaves) != root);
    }
}
