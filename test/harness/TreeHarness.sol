// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TreeLib} from "../../contracts/libraries/TreeLib.sol";

/// @notice Exposes TreeLib's internal functions (calldata variants take their arrays as calldata, as in the contracts).
contract TreeHarness {
    function node(bytes32 left, bytes32 right) external pure returns (bytes32) {
        return TreeLib.node(left, right);
    }

    /// @dev Root of `count` consecutive nodes of `nodes` from index `start`, through TreeLib.subtreeRootAt (which reads
    ///      calldata at an absolute offset and hashes into a caller-provided scratch array). `scratchWords` lets the
    ///      caller hand over a scratch array bigger than needed, and `dirty` pre-fills it, as a reused one would be.
    function subtreeRoot(bytes32[] calldata nodes, uint256 start, uint256 count, uint256 scratchWords, bytes32 dirty)
        external
        pure
        returns (bytes32)
    {
        require(start + count <= nodes.length, "out of range");
        uint256 at;
        assembly {
            at := add(nodes.offset, shl(5, start))
        }
        uint256 words = count / 2 > scratchWords ? count / 2 : scratchWords;
        bytes32[] memory scratch = new bytes32[](words == 0 ? 1 : words);
        for (uint256 i; i < scratch.length; ++i) {
            scratch[i] = dirty;
        }
        return TreeLib.subtreeRootAt(at, count, scratch);
    }

    function rootFromPath(bytes32 leaf, uint256 index, bytes32[] calldata siblings) external pure returns (bytes32) {
        return TreeLib.rootFromPath(leaf, index, siblings);
    }

    function rewardLeaf(address prover, uint64 cost) external pure returns (bytes32) {
        return TreeLib.rewardLeaf(prover, cost);
    }

    /// @dev TreeLib.commutativeRoot overwrites its argument; the external copy keeps the caller's array intact.
    function commutativeRoot(bytes32[] memory leaves) external pure returns (bytes32) {
        return TreeLib.commutativeRoot(leaves);
    }
}
