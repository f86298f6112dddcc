// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";

import {MessagesLib} from "../../../contracts/libraries/MessagesLib.sol";
import {SortitionLib} from "../../../contracts/libraries/SortitionLib.sol";
import {TimeLib} from "../../../contracts/libraries/TimeLib.sol";
import {TranscriptLib} from "../../../contracts/libraries/TranscriptLib.sol";

// Harnesses for the Rust differential tests (agents/differential): each exposes library code the
// existing harnesses in test/harness/ do not, through one external call per rule.

/// @notice Both signature recoveries the contracts use: TranscriptLib's (transcripts) and OZ ECDSA's (attestations,
///         inactivity evidence).
contract SignatureHarness {
    function transcriptRecover(bytes32 digest, bytes32 r, bytes32 vs) external view returns (address) {
        return TranscriptLib.recover(digest, r, vs);
    }

    /// @return signer the recovered address (zero on error)
    /// @return err the OZ RecoverError as its uint8 value (0 = NoError)
    function ozTryRecover(bytes32 digest, bytes32 r, bytes32 vs) external pure returns (address signer, uint8 err) {
        (address s, ECDSA.RecoverError e,) = ECDSA.tryRecover(digest, r, vs);
        return (s, uint8(e));
    }

    function ozVerify(bytes32[] calldata proof, bytes32 root, bytes32 leaf) external pure returns (bool) {
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }
}

/// @notice The Rollup's EIP-712 domain (name "SPN", version "1", this contract as verifying contract) and the full
///         digests signed under it.
contract DomainHarness is EIP712("SPN", "1") {
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function attestationDigest(uint256 slot, bytes32 blockHash) external view returns (bytes32) {
        return MessagesLib.attestationDigest(_domainSeparatorV4(), slot, blockHash);
    }

    function jobResultDigest(bytes32 blockHash, uint256 job, bytes32 output) external view returns (bytes32) {
        return MessagesLib.jobResultDigest(_domainSeparatorV4(), blockHash, job, output);
    }
}

/// @notice The Rollup's seed checkpoints: the genesis push and SortitionLib.sampleSeed / epochSeed, with
///         block.prevrandao and block.chainid from the executing block.
contract SeedHarness {
    using Checkpoints for Checkpoints.Trace224;

    Checkpoints.Trace224 internal _seeds;

    /// @notice The Rollup constructor's first push.
    function pushGenesis() external {
        _seeds.push(0, uint224(uint256(keccak256(abi.encode(block.prevrandao, block.chainid, address(this))))));
    }

    function sampleSeed(uint256 currentEpoch, uint256 lookahead) external {
        SortitionLib.sampleSeed(_seeds, currentEpoch, lookahead);
    }

    function epochSeed(uint256 epoch) external view returns (uint256) {
        return SortitionLib.epochSeed(_seeds, epoch);
    }

    function slotSeed(uint256 epoch, uint256 slot) external view returns (bytes32) {
        return SortitionLib.slotSeed(SortitionLib.epochSeed(_seeds, epoch), slot);
    }
}

/// @notice TimeLib.
contract TimeHarness {
    function slotAt(uint256 timestamp, uint256 genesisTime, uint256 slotDuration) external pure returns (uint256) {
        return TimeLib.slotAt(timestamp, genesisTime, slotDuration);
    }

    function epochOf(uint256 slot, uint256 epochDuration) external pure returns (uint256) {
        return TimeLib.epochOf(slot, epochDuration);
    }
}
