// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

/// @title MessagesLib
/// @notice The block header hash and the EIP-712 messages agents sign (docs/PROTOCOL.md §11).
/// @dev The EIP-712 domain is the Rollup's (name "SPN", version "1", chain id, rollup address), so a signature is
///      bound to one chain and one deployment; the block hash binds it to one slot and one block.
library MessagesLib {
    /// @notice A block as committed by its proposer.
    struct Header {
        uint64 number;
        bytes32 parentHash;
        uint64 slot;
        address proposer;
        bytes32 txRoot;
        uint8 height;
    }

    bytes32 internal constant GENESIS_HASH = keccak256("spn.genesis");
    bytes32 internal constant ATTESTATION_TYPEHASH = keccak256("Attestation(uint64 slot,bytes32 blockHash)");
    bytes32 internal constant JOB_RESULT_TYPEHASH = keccak256("JobResult(bytes32 blockHash,uint32 job,bytes32 output)");
    /// @notice What a round-1 member signs with its BLS key while the training wheel is on (docs/design/
    ///         bls-training-wheel.md §1.2): the block, its outputs root and the state roots before and after it.
    bytes32 internal constant STATE_TRANSITION_TYPEHASH =
        keccak256("StateTransition(bytes32 blockHash,bytes32 outputsRoot,bytes32 preStateRoot,bytes32 postStateRoot)");
    /// @notice Domain tag of the state root chain; keeps `stateRoot` distinct from a tree node keccak256(l ‖ r).
    bytes32 internal constant STATE_TAG = keccak256("spn.state");

    function blockHash(Header memory h) internal pure returns (bytes32) {
        return keccak256(abi.encode(h.number, h.parentHash, h.slot, h.proposer, h.txRoot, h.height));
    }

    function attestationDigest(bytes32 domainSeparator, uint256 slot, bytes32 blockHash_)
        internal
        pure
        returns (bytes32)
    {
        return MessageHashUtils.toTypedDataHash(
            domainSeparator, keccak256(abi.encode(ATTESTATION_TYPEHASH, uint64(slot), blockHash_))
        );
    }

    /// @notice The state root after a block with transaction root `txRoot` on state `preStateRoot`:
    ///         keccak256(abi.encode(STATE_TAG, preStateRoot, txRoot)). SPN has no VM, so the state is the ordered log
    ///         of proven trees; stateRoot(0) = 0 and each proven block chains one more (design §1.1).
    function stateRoot(bytes32 preStateRoot, bytes32 txRoot) internal pure returns (bytes32) {
        return keccak256(abi.encode(STATE_TAG, preStateRoot, txRoot));
    }

    /// @notice EIP-712 digest of StateTransition(blockHash, outputsRoot, preStateRoot, postStateRoot), the 32-byte
    ///         message of the training wheel's BLS signatures.
    /// @dev `outputsRoot` is the root job's output, which the proof verifier forces to equal the block's txRoot, so
    ///      the Rollup passes `header.txRoot` and the message does not depend on the proof system.
    function stateTransitionDigest(
        bytes32 domainSeparator,
        bytes32 blockHash_,
        bytes32 outputsRoot,
        bytes32 preStateRoot,
        bytes32 postStateRoot
    ) internal pure returns (bytes32) {
        return MessageHashUtils.toTypedDataHash(
            domainSeparator,
            keccak256(abi.encode(STATE_TRANSITION_TYPEHASH, blockHash_, outputsRoot, preStateRoot, postStateRoot))
        );
    }

    /// @dev Hot path of transcript verification: hashes in free memory without allocating.
    function jobResultDigest(bytes32 domainSeparator, bytes32 blockHash_, uint256 job, bytes32 output)
        internal
        pure
        returns (bytes32 digest)
    {
        bytes32 typehash = JOB_RESULT_TYPEHASH;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, typehash)
            mstore(add(m, 0x20), blockHash_)
            mstore(add(m, 0x40), and(job, 0xffffffff))
            mstore(add(m, 0x60), output)
            let structHash := keccak256(m, 0x80)
            mstore(m, hex"1901")
            mstore(add(m, 0x02), domainSeparator)
            mstore(add(m, 0x22), structHash)
            digest := keccak256(m, 0x42)
        }
    }
}
