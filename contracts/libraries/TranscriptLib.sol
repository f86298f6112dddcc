// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Errors} from "./Errors.sol";

/// @dev secp256k1n / 2 (TranscriptLib.HALF_ORDER), at file level so that inline assembly elsewhere can name it.
uint256 constant SECP256K1N_HALF = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

/// @title TranscriptLib
/// @notice The packed transcript a submitter sends (docs/PROTOCOL.md §12), read in place from calldata:
///
///         proof        := outputCount:uint32 ‖ outputs[outputCount]:bytes32 ‖ proverCount:uint32 ‖ prover[proverCount]
///         prover       := address:20 bytes ‖ contributionCount:uint16 ‖ contribution[contributionCount]
///         contribution := job:uint32 ‖ r:bytes32 ‖ vs:bytes32
///
///         Big-endian, no padding; the proof must end exactly after the last prover.
/// @dev Packed rather than ABI-encoded: a contribution costs 68 bytes of calldata instead of about 224, and no
///      nested-array offsets have to be validated. Every read is bounds-checked against the end of the proof.
library TranscriptLib {
    /// @notice A cursor over the proof's calldata.
    struct Reader {
        uint256 cursor;
        uint256 end;
    }

    uint256 internal constant OUTPUT_BYTES = 32;
    uint256 internal constant PROVER_HEADER_BYTES = 22;
    uint256 internal constant CONTRIBUTION_BYTES = 68;
    /// @dev secp256k1n / 2: larger s values are malleable twins and rejected, as OpenZeppelin's ECDSA does.
    uint256 internal constant HALF_ORDER = SECP256K1N_HALF;

    function open(bytes calldata proof) internal pure returns (Reader memory rd) {
        rd.cursor = _offset(proof);
        rd.end = rd.cursor + proof.length;
    }

    /// @notice Requires that the whole proof was consumed.
    function close(Reader memory rd) internal pure {
        require(rd.cursor == rd.end, Errors.Transcript__Malformed(rd.cursor, rd.end));
    }

    /// @notice Reads a uint32 count.
    function readCount(Reader memory rd) internal pure returns (uint256 count) {
        uint256 c = _take(rd, 4);
        assembly ("memory-safe") {
            count := shr(224, calldataload(c))
        }
    }

    /// @notice Reads the output count, requires it to be `expected`, and returns the calldata offset of the outputs.
    function readOutputs(Reader memory rd, uint256 expected) internal pure returns (uint256 outputs) {
        uint256 count = readCount(rd);
        require(count == expected, Errors.Transcript__OutputsLength(expected, count));
        outputs = _take(rd, count * OUTPUT_BYTES);
    }

    /// @notice The output of global job `job`, given the calldata offset of the outputs (job must be in range).
    function outputAt(uint256 outputs, uint256 job) internal pure returns (bytes32 output) {
        assembly ("memory-safe") {
            output := calldataload(add(outputs, shl(5, job)))
        }
    }

    /// @notice The prover header packed at calldata offset `c`, which the caller has bounds-checked.
    function proverAt(uint256 c) internal pure returns (address prover, uint256 count) {
        assembly ("memory-safe") {
            let word := calldataload(c)
            prover := shr(96, word)
            count := and(shr(80, word), 0xffff)
        }
    }

    /// @notice The contribution packed at calldata offset `c`, which the caller has bounds-checked.
    function contributionAt(uint256 c) internal pure returns (uint256 job, bytes32 r, bytes32 vs) {
        assembly ("memory-safe") {
            job := shr(224, calldataload(c))
            r := calldataload(add(c, 4))
            vs := calldataload(add(c, 36))
        }
    }

    /// @notice Signer of `digest` under a compact (EIP-2098) signature, or address(0) if invalid or malleable.
    /// @dev Same result as OpenZeppelin's `ECDSA.tryRecover(digest, r, vs)` (checked by a differential fuzz test)
    ///      without its error plumbing: the rollup runs it once per attestation.
    function recover(bytes32 digest, bytes32 r, bytes32 vs) internal view returns (address signer) {
        assembly ("memory-safe") {
            let s := and(vs, 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff)
            if iszero(gt(s, HALF_ORDER)) {
                let m := mload(0x40)
                mstore(m, digest)
                mstore(add(m, 0x20), add(shr(255, vs), 27))
                mstore(add(m, 0x40), r)
                mstore(add(m, 0x60), s)
                // The precompile returns nothing for an invalid signature; then `signer` stays zero.
                if staticcall(gas(), 0x01, m, 0x80, 0x00, 0x20) {
                    if returndatasize() { signer := mload(0x00) }
                }
            }
        }
    }

    /// @notice Requires at least `size` unread bytes without consuming them.
    function require_(Reader memory rd, uint256 size) internal pure {
        uint256 needed = rd.cursor + size;
        require(needed <= rd.end, Errors.Transcript__Malformed(needed, rd.end));
    }

    function _take(Reader memory rd, uint256 size) private pure returns (uint256 at) {
        at = rd.cursor;
        uint256 next;
        // cursor and end are calldata positions (< 2^64) and size < 2^48: the sum cannot overflow.
        unchecked {
            next = at + size;
        }
        if (next > rd.end) revert Errors.Transcript__Malformed(next, rd.end);
        rd.cursor = next;
    }

    function _offset(bytes calldata proof) private pure returns (uint256 o) {
        assembly ("memory-safe") {
            o := proof.offset
        }
    }
}
