// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IBlsVerifier} from "./interfaces/IBlsVerifier.sol";
import {IStaking} from "./interfaces/IStaking.sol";
import {BlsLib} from "./libraries/BlsLib.sol";
import {Errors} from "./libraries/Errors.sol";
import {MessagesLib} from "./libraries/MessagesLib.sol";
import {RewardLib} from "./libraries/RewardLib.sol";
import {SortitionLib} from "./libraries/SortitionLib.sol";

/// @title BlsVerifier
/// @notice The training wheel (docs/design/bls-training-wheel.md §3): checks that enough of a block's round-1 proving
///         committee signed its state transition, with one aggregate BLS signature (keys in G1, signatures in G2,
///         proofs of possession checked once by `Staking.registerBlsKey`).
/// @dev Stateless, like the proof verifier: it trusts the Rollup's context completely. The transition is packed and
///      read in place from calldata:
///
///         transition := signature:192 ‖ signerCount:uint16 ‖ signer[signerCount]
///         signer     := address:20 ‖ activationEpoch:uint32 ‖ exitEpoch:uint32 ‖ publicKey:96
///
///      exactly 194 + 124 · signerCount bytes; the signature and key are unpadded EIP-2537 points (48 bytes per Fp).
///      Checks, in order (design §3.4), each with its own error:
///      1. at least the 194-byte header;  2. at least `required` signers;  3. the exact length;
///      4. per signer: strictly ascending, active in the epoch by its calldata epochs, in the round-1 committee;
///      5. every signer's (key, epochs) is its BLS record in Staking, one call for all;
///      6. the keys' sum (one G1ADD each; every registered key is a PoP-checked subgroup point);
///      7. the sum is not the point at infinity;
///      8. e(sum, H(msg)) == e(G1, signature), one 2-pair PAIRING_CHECK.
contract BlsVerifier is IBlsVerifier {
    uint256 internal constant SIGNATURE_BYTES = 192;
    /// @dev The signature and the uint16 signer count.
    uint256 internal constant HEADER_BYTES = 194;
    /// @dev address 20 ‖ activationEpoch 4 ‖ exitEpoch 4 ‖ publicKey 96.
    uint256 internal constant SIGNER_BYTES = 124;
    /// @dev Offset of a signer's public key inside its entry.
    uint256 internal constant KEY_OFFSET = 28;

    /// @inheritdoc IBlsVerifier
    function verify(TransitionContext calldata ctx, bytes calldata transition)
        external
        view
        returns (bytes32 postStateRoot, uint256 signers)
    {
        postStateRoot = MessagesLib.stateRoot(ctx.preStateRoot, ctx.txRoot);
        uint256 first = _checkLength(ctx, transition);
        signers = (transition.length - HEADER_BYTES) / SIGNER_BYTES;

        address[] memory keys = _readSigners(ctx, first, signers);
        uint256 mismatch = _firstBlsMismatch(ctx.staking, keys);
        if (mismatch != signers) revert Errors.Bls__KeyMismatch(keys[mismatch]);

        bytes memory aggregate = _aggregate(first, keys);
        require(!BlsLib.isInfinityG1(aggregate), Errors.Bls__AggregateIsInfinity());
        bytes32 digest = MessagesLib.stateTransitionDigest(
            ctx.domainSeparator, ctx.blockHash, ctx.txRoot, ctx.preStateRoot, postStateRoot
        );
        bool valid = BlsLib.pairing2(
            aggregate,
            BlsLib.hashToG2(abi.encodePacked(digest), BlsLib.DST_SIG),
            BlsLib.NEG_G1,
            BlsLib.padG2Calldata(transition[:SIGNATURE_BYTES])
        );
        require(valid, Errors.Bls__BadSignature());
    }

    /// @notice Signers a transition needs: `thresholdBps` of the expected round-1 committee size, rounded up, and at
    ///         least one. The expected size is SortitionLib.roundSize(1, ...), min(R · jobs(1), N / 2), the size of
    ///         the committee that SortitionLib.roundThreshold(1, ...) selects.
    function requiredSigners(
        uint256 height,
        uint256 roundHeight,
        uint256 redundancy,
        uint256 activeCount,
        uint256 thresholdBps
    ) public pure returns (uint256) {
        uint256 expected = SortitionLib.roundSize(1, height, roundHeight, redundancy, activeCount);
        // The ceiling of the Rollup's coverage rule, ceil(bps · expected / 10,000).
        uint256 required = RewardLib.requiredJobs(expected, thresholdBps);
        return required > 0 ? required : 1;
    }

    /// @dev Checks 1-3 (the header, the signer count against `required`, then the exact length) and returns the
    ///      calldata offset of the first signer. Malformed positions are absolute, as Transcript__Malformed's.
    function _checkLength(TransitionContext calldata ctx, bytes calldata transition)
        internal
        pure
        returns (uint256 first)
    {
        uint256 start;
        assembly ("memory-safe") {
            start := transition.offset
        }
        uint256 end = start + transition.length;
        require(transition.length >= HEADER_BYTES, Errors.Bls__Malformed(start + HEADER_BYTES, end));
        uint256 count = uint16(bytes2(transition[SIGNATURE_BYTES:HEADER_BYTES]));
        uint256 required =
            requiredSigners(ctx.height, ctx.roundHeight, ctx.redundancy, ctx.activeCount, ctx.thresholdBps);
        require(count >= required, Errors.Bls__TooFewSigners(count, required));
        first = start + HEADER_BYTES;
        uint256 expectedEnd = first + count * SIGNER_BYTES;
        require(end == expectedEnd, Errors.Bls__Malformed(expectedEnd, end));
    }

    /// @dev Check 4 over every signer, and the records check 5 compares, BlsLib.keyRecord(keccak256(publicKey),
    ///      activationEpoch, exitEpoch) as Staking stores them. The signers and their records are laid out as the
    ///      arguments of a ready `IStaking.firstBlsMismatch(keys, records)` call (see `_newMismatchCall`).
    ///      The loop runs once per signer, so it is assembly and computes two library rules inline, each marked with the
    ///      function it stands for (tests check the results against the libraries, as TranscriptVerifier's). On the
    ///      first failing check it stops, and `_rejectSigner` names the error from the libraries.
    function _readSigners(TransitionContext calldata ctx, uint256 first, uint256 count)
        internal
        view
        returns (address[] memory keys)
    {
        bytes32[] memory records;
        (keys, records) = _newMismatchCall(count);
        uint256 epoch = ctx.epoch;
        bytes32 seed = ctx.slotSeed;
        uint256 threshold = SortitionLib.roundThreshold(1, ctx.height, ctx.roundHeight, ctx.redundancy, ctx.activeCount);
        uint256 at = first;
        uint256 fault;
        assembly ("memory-safe") {
            let end := add(first, mul(count, SIGNER_BYTES))
            let element := add(keys, 0x20)
            let toRecord := sub(records, keys)
            // Scratch past the free pointer for the key and the record's preimage; 0x00-0x3f for the score's.
            let buf := mload(0x40)
            let previous := 0
            for {} lt(at, end) { at := add(at, SIGNER_BYTES) } {
                // address ‖ activationEpoch ‖ exitEpoch, then the key.
                let word := calldataload(at)
                let signer := shr(96, word)
                if iszero(gt(signer, previous)) {
                    fault := FAULT_NOT_ASCENDING
                    break
                }
                // activation <= epoch < exit.
                if or(gt(and(shr(64, word), 0xffffffff), epoch), iszero(lt(epoch, and(shr(32, word), 0xffffffff)))) {
                    fault := FAULT_NOT_ACTIVE
                    break
                }
                // SortitionLib.score(signer, seed) = sha256(signer ‖ seed). The precompile fails only for lack of gas.
                mstore(0x00, signer)
                mstore(0x20, seed)
                if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) { revert(0x00, 0x00) }
                if iszero(lt(mload(0x00), threshold)) {
                    fault := FAULT_NOT_IN_COMMITTEE
                    break
                }
                // BlsLib.keyRecord(keccak256(publicKey), activation, exit) = keccak256(keyHash ‖ uint32 ‖ uint32): the
                // epochs are the first 8 bytes of the word at at + 20, as packed in calldata.
                calldatacopy(buf, add(at, KEY_OFFSET), 96)
                mstore(buf, keccak256(buf, 96))
                mstore(add(buf, 0x20), calldataload(add(at, 20)))
                mstore(element, signer)
                mstore(add(element, toRecord), keccak256(buf, 0x28))
                element := add(element, 0x20)
                previous := signer
            }
        }
        if (fault != 0) _rejectSigner(fault, at, first, epoch, seed, threshold);
    }

    uint256 private constant FAULT_NOT_ASCENDING = 1;
    uint256 private constant FAULT_NOT_ACTIVE = 2;
    uint256 private constant FAULT_NOT_IN_COMMITTEE = 3;

    /// @dev Reverts with the error of `_readSigners`' fault at the signer entry `at`. Off the hot path: every value is
    ///      recomputed, from the libraries where it is a protocol rule.
    function _rejectSigner(uint256 fault, uint256 at, uint256 first, uint256 epoch, bytes32 seed, uint256 threshold)
        internal
        view
    {
        (uint256 signer,,) = _signerAt(at);
        address key = address(uint160(signer));
        if (fault == FAULT_NOT_ASCENDING) {
            (uint256 previous,,) = at == first ? (0, 0, 0) : _signerAt(at - SIGNER_BYTES);
            revert Errors.Bls__SignersNotAscending(address(uint160(previous)), key);
        }
        if (fault == FAULT_NOT_ACTIVE) revert Errors.Bls__SignerNotActive(key, epoch);
        revert Errors.Bls__NotInCommittee(key, SortitionLib.score(key, seed), threshold);
    }

    /// @dev A signer entry's address and epochs (the entry is inside the checked length).
    function _signerAt(uint256 at) internal pure returns (uint256 signer, uint256 activation, uint256 exit) {
        assembly ("memory-safe") {
            let word := calldataload(at)
            signer := shr(96, word)
            activation := and(shr(64, word), 0xffffffff)
            exit := and(shr(32, word), 0xffffffff)
        }
    }

    /// @dev Allocates `keys` and `records` as the tail of a ready `IStaking.firstBlsMismatch(keys, records)` call, so
    ///      the call needs no copy of hundreds of entries. Layout from `callData = keys - 0x60`: the selector in the low
    ///      four bytes of the first word, the offsets of `keys` (0x40) and `records`, then `keys` and `records` (each
    ///      a length and its elements).
    function _newMismatchCall(uint256 count) internal pure returns (address[] memory keys, bytes32[] memory records) {
        bytes4 selector = IStaking.firstBlsMismatch.selector;
        assembly ("memory-safe") {
            let callData := mload(0x40)
            mstore(callData, shr(224, selector))
            mstore(add(callData, 0x20), 0x40)
            mstore(add(callData, 0x40), add(0x60, shl(5, count)))
            keys := add(callData, 0x60)
            mstore(keys, count)
            records := add(add(keys, 0x20), shl(5, count))
            mstore(records, count)
            mstore(0x40, add(add(records, 0x20), shl(5, count)))
        }
    }

    /// @dev `staking.firstBlsMismatch(keys, records)` over the call `_newMismatchCall` laid out around `keys`.
    function _firstBlsMismatch(IStaking staking, address[] memory keys) internal view returns (uint256 index) {
        assembly ("memory-safe") {
            let callData := sub(keys, 0x60)
            // Selector, two offsets, two lengths and 2 · count elements.
            let size := add(0x84, shl(6, mload(keys)))
            if iszero(staticcall(gas(), staking, add(callData, 0x1c), size, 0x00, 0x20)) {
                let data := mload(0x40)
                returndatacopy(data, 0x00, returndatasize())
                revert(data, returndatasize())
            }
            if lt(returndatasize(), 0x20) { revert(0x00, 0x00) }
            index := mload(0x00)
        }
    }

    /// @dev Check 6: the sum of the signers' keys, from the point at infinity, one G1ADD per key. No subgroup check is
    ///      needed: check 5 matched every key to its registered one, which passed a pairing. So a failure is
    ///      unreachable; defensively, it is that key's mismatch. The loop is BlsLib.g1AddInPlace inline over a
    ///      256-byte buffer `sum ‖ pad(key)` that G1ADD overwrites with the new sum: it runs once per signer, and the
    ///      library call's length checks and copies cost a quarter of the G1ADD itself.
    function _aggregate(uint256 first, address[] memory keys) internal view returns (bytes memory sum) {
        sum = new bytes(BlsLib.G1_BYTES);
        uint256 count = keys.length;
        uint256 failed = count;
        assembly ("memory-safe") {
            // Scratch past the free pointer: the running sum (infinity: zero), then the padded key, whose 16 leading
            // zero bytes per coordinate the 48-byte copies never touch.
            let buf := mload(0x40)
            for { let k := 0 } lt(k, 0x100) { k := add(k, 0x20) } { mstore(add(buf, k), 0) }
            let at := add(first, KEY_OFFSET)
            for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                calldatacopy(add(buf, 0x90), at, 0x30)
                calldatacopy(add(buf, 0xd0), add(at, 0x30), 0x30)
                // The call first: Yul evaluates arguments right to left, and returndatasize() must follow it.
                let ok := staticcall(gas(), 0x0b, buf, 0x100, buf, 0x80)
                if iszero(and(ok, eq(returndatasize(), 0x80))) {
                    failed := i
                    break
                }
                at := add(at, SIGNER_BYTES)
            }
            mcopy(add(sum, 0x20), buf, 0x80)
        }
        if (failed != count) revert Errors.Bls__KeyMismatch(keys[failed]);
    }
}
