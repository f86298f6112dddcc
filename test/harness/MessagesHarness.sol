// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MessagesLib} from "../../contracts/libraries/MessagesLib.sol";

/// @notice Exposes MessagesLib's header hash and EIP-712 digests.
contract MessagesHarness {
    function blockHash(MessagesLib.Header memory h) external pure returns (bytes32) {
        return MessagesLib.blockHash(h);
    }

    function attestationDigest(bytes32 domainSeparator, uint256 slot, bytes32 hash) external pure returns (bytes32) {
        return MessagesLib.attestationDigest(domainSeparator, slot, hash);
    }

    function jobResultDigest(bytes32 domainSeparator, bytes32 hash, uint256 job, bytes32 output)
        external
        pure
        returns (bytes32)
    {
        return MessagesLib.jobResultDigest(domainSeparator, hash, job, output);
    }

    function stateRoot(bytes32 preStateRoot, bytes32 txRoot) external pure returns (bytes32) {
        return MessagesLib.stateRoot(preStateRoot, txRoot);
    }

    function stateTransitionDigest(
        bytes32 domainSeparator,
        bytes32 hash,
        bytes32 outputsRoot,
        bytes32 preStateRoot,
        bytes32 postStateRoot
    ) external pure returns (bytes32) {
        return MessagesLib.stateTransitionDigest(domainSeparator, hash, outputsRoot, preStateRoot, postStateRoot);
    }

    /// @dev The digest computed right after an allocation must leave it unchanged and must not move the free memory
    ///      pointer (the assembly claims to be memory-safe and writes only above the pointer).
    function jobResultDigestKeepsMemory(bytes32 domainSeparator, bytes32 hash, uint256 job, bytes32 output)
        external
        pure
        returns (bool intact)
    {
        bytes32[] memory before = new bytes32[](4);
        for (uint256 i; i < 4; ++i) {
            before[i] = bytes32(~i);
        }
        uint256 freeBefore;
        uint256 freeAfter;
        assembly ("memory-safe") {
            freeBefore := mload(0x40)
        }
        MessagesLib.jobResultDigest(domainSeparator, hash, job, output);
        assembly ("memory-safe") {
            freeAfter := mload(0x40)
        }
        intact = freeBefore == freeAfter;
        for (uint256 i; i < 4; ++i) {
            if (before[i] != bytes32(~i)) intact = false;
        }
    }
}
