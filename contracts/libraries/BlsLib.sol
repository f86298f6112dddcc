// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Errors} from "./Errors.sol";

/// @title BlsLib
/// @notice BLS12-381 for the training wheel (docs/design/bls-training-wheel.md §1.3-1.5): EIP-2537 precompile
///         wrappers, RFC 9380's hash to G2 and the proof-of-possession check. Public keys are in G1, signatures in G2
///         ("minimal-pubkey-size"); the ciphersuite is draft-irtf-cfrg-bls-signature-05's
///         `BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_` with SPN's own DSTs.
///
///         Encodings (EIP-2537): a padded Fp is 64 bytes big-endian whose top 16 are zero; an Fp2 `c0 + c1·v` is
///         `c0 ‖ c1`; a G1 point is `x ‖ y` (128 bytes), a G2 point `x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1` (256 bytes); the point
///         at infinity is all zeros. Calldata carries the unpadded form, the same elements in the same order at 48
///         bytes each (96 bytes per key, 192 per signature); `pad*` converts.
/// @dev Every precompile call is `staticcall(gas(), ...)` with its success and `returndatasize` checked. A failing
///      EIP-2537 call burns all the gas it was given, so only the sender of bad points pays for it; a fixed stipend
///      would break on a repricing. The size is checked in a statement of its own after the call: Yul evaluates
///      arguments right to left, so `and(staticcall(..), eq(returndatasize(), n))` would read the size before the call.
///      Functions named for a point operation revert with `BlsLib__PrecompileFailed(precompile)`; the predicates
///      (`pairing2`, `verifyPop`) return false instead.
library BlsLib {
    /* ------------------------------------------------------------------ CONSTANTS */

    /// @notice DST of transition signatures (`CoreSign`); the draft's `BLS_SIG_..._POP_` prefixed with `SPN-V1-`, so
    ///         that no SPN message is ever a consensus-layer message, whose validators may hold the same keys.
    bytes internal constant DST_SIG = "SPN-V1-BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";
    /// @notice DST of proofs of possession (`PopProve`), prefixed likewise.
    bytes internal constant DST_POP = "SPN-V1-BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

    address internal constant SHA256 = address(0x02);
    address internal constant MODEXP = address(0x05);
    address internal constant G1ADD = address(0x0b);
    address internal constant G1MSM = address(0x0c);
    address internal constant G2ADD = address(0x0d);
    address internal constant G2MSM = address(0x0e);
    address internal constant PAIRING_CHECK = address(0x0f);
    address internal constant MAP_FP2_TO_G2 = address(0x11);

    /// @notice The base field modulus p as a padded Fp: the high word (16 zero bytes, then p's first 16) and the low.
    uint256 internal constant P_HI = 0x1a0111ea397fe69a4b1ba7b6434bacd7;
    uint256 internal constant P_LO = 0x64774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab;
    /// @notice (p − 1) / 2 in the same two words: y is "lexicographically largest" (ZCash sign bit) iff y > (p − 1) / 2.
    uint256 internal constant HALF_P_HI = 0x0d0088f51cbff34d258dd3db21a5d66b;
    uint256 internal constant HALF_P_LO = 0xb23ba5c279c2895fb39869507b587b120f55ffff58a9ffffdcff7fffffffd555;

    /// @notice The G1 generator (padded).
    bytes internal constant G1_GENERATOR =
        hex"0000000000000000000000000000000017f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb0000000000000000000000000000000008b3f481e3aaa0f1a09e30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e1";
    /// @notice −G1 = (x, p − y) (padded): `e(pk, H) · e(−G1, σ) == 1` ⇔ `e(pk, H) == e(G1, σ)`, one 2-pair check.
    bytes internal constant NEG_G1 =
        hex"0000000000000000000000000000000017f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb00000000000000000000000000000000114d1d6855d545a8aa7d76c8cf2e21f267816aef1db507c96655b9d5caac42364e6f38ba0ecb751bad54dcd6b939c2ca";

    uint256 internal constant G1_BYTES = 128;
    uint256 internal constant G2_BYTES = 256;
    uint256 internal constant G1_UNPADDED_BYTES = 96;
    uint256 internal constant G2_UNPADDED_BYTES = 192;
    uint256 internal constant G1_COMPRESSED_BYTES = 48;
    /// @dev RFC 9380 §5.3.1: ell = ceil(len / 32) <= 255.
    uint256 internal constant MAX_EXPAND_BYTES = 255 * 32;

    /* ------------------------------------------------------------------ HASH TO G2 (RFC 9380) */

    /// @notice RFC 9380 §5.3.1 `expand_message_xmd` with SHA-256: `lenInBytes` uniform bytes from `message` and `dst`.
    /// @dev b0 = H(Z_pad ‖ msg ‖ I2OSP(len, 2) ‖ 0x00 ‖ DST'), b1 = H(b0 ‖ 0x01 ‖ DST'),
    ///      b_i = H((b0 xor b_{i−1}) ‖ I2OSP(i, 1) ‖ DST'), DST' = DST ‖ I2OSP(len(DST), 1); one SHA-256 call each.
    ///      The result is allocated; scratch space past it is not.
    /// @custom:reverts BlsLib__DstTooLong if `dst` exceeds 255 bytes (RFC 9380 §5.3.3 hashes such a DST first: the
    ///                 caller's job); BlsLib__ExpandTooLong if `lenInBytes > 8160`.
    function expandMessageXmd(bytes memory message, bytes memory dst, uint256 lenInBytes)
        internal
        view
        returns (bytes memory uniform)
    {
        uint256 dstLength = dst.length;
        require(dstLength <= 255, Errors.BlsLib__DstTooLong(dstLength));
        require(lenInBytes <= MAX_EXPAND_BYTES, Errors.BlsLib__ExpandTooLong(lenInBytes, MAX_EXPAND_BYTES));
        bool ok;
        assembly ("memory-safe") {
            let ell := shr(5, add(lenInBytes, 31))
            uniform := mload(0x40)
            mstore(uniform, lenInBytes)
            let out := add(uniform, 0x20)
            mstore(0x40, add(out, shl(5, ell)))

            // msg_prime in scratch memory past the result.
            let buf := mload(0x40)
            mstore(buf, 0)
            mstore(add(buf, 0x20), 0)
            let msgLength := mload(message)
            let at := add(buf, 0x40)
            mcopy(at, add(message, 0x20), msgLength)
            at := add(at, msgLength)
            // I2OSP(len, 2) ‖ 0x00: the word's remaining bytes are zero.
            mstore(at, shl(240, lenInBytes))
            at := add(at, 3)
            mcopy(at, add(dst, 0x20), dstLength)
            at := add(at, dstLength)
            mstore8(at, dstLength)
            ok := staticcall(gas(), 0x02, buf, sub(add(at, 1), buf), 0x00, 0x20)
            ok := and(ok, eq(returndatasize(), 0x20))
            let b0 := mload(0x00)

            // From here buf = word ‖ I2OSP(i, 1) ‖ DST'; word = b0 xor b_{i−1}, with b_0's slot taken as 0 for i = 1.
            mcopy(add(buf, 0x21), add(dst, 0x20), dstLength)
            mstore8(add(buf, add(0x21, dstLength)), dstLength)
            let size := add(0x22, dstLength)
            let previous := 0
            for { let i := 1 } and(ok, iszero(gt(i, ell))) { i := add(i, 1) } {
                mstore(buf, xor(b0, previous))
                mstore8(add(buf, 0x20), i)
                ok := staticcall(gas(), 0x02, buf, size, 0x00, 0x20)
                ok := and(ok, eq(returndatasize(), 0x20))
                previous := mload(0x00)
                mstore(add(out, shl(5, sub(i, 1))), previous)
            }
            // Zero the last word's bytes past lenInBytes (they lie inside the allocation).
            let tail := and(lenInBytes, 31)
            if tail {
                let last := add(out, sub(lenInBytes, tail))
                mstore(last, and(mload(last), not(shr(shl(3, tail), not(0)))))
            }
        }
        require(ok, Errors.BlsLib__PrecompileFailed(SHA256));
    }

    /// @notice RFC 9380 §5.2 `hash_to_field` for Fp2 (m = 2, L = 64, count = 2): two padded Fp2 elements, 128 bytes
    ///         each (`c0 ‖ c1`), ready for MAP_FP2_TO_G2.
    /// @dev The 256 uniform bytes are u0.c0 ‖ u0.c1 ‖ u1.c0 ‖ u1.c1, 64 bytes each; each is reduced mod p by one MODEXP
    ///      (base the chunk, exponent 1, modulus p as 64 bytes), whose 64-byte output is already a padded Fp.
    function hashToFp2(bytes memory message, bytes memory dst)
        internal
        view
        returns (bytes memory u0, bytes memory u1)
    {
        bytes memory uniform = expandMessageXmd(message, dst, 256);
        u0 = new bytes(128);
        u1 = new bytes(128);
        bool ok = true;
        assembly ("memory-safe") {
            // MODEXP input: Bsize = 64 ‖ Esize = 1 ‖ Msize = 64 ‖ B (64) ‖ E = 0x01 ‖ M = p (64): 225 bytes.
            let buf := mload(0x40)
            mstore(buf, 0x40)
            mstore(add(buf, 0x20), 0x01)
            mstore(add(buf, 0x40), 0x40)
            mstore8(add(buf, 0xa0), 0x01)
            mstore(add(buf, 0xa1), P_HI)
            mstore(add(buf, 0xc1), P_LO)
            for { let k := 0 } lt(k, 4) { k := add(k, 1) } {
                mcopy(add(buf, 0x60), add(add(uniform, 0x20), shl(6, k)), 0x40)
                let dest := add(add(u0, 0x20), shl(6, k))
                if gt(k, 1) { dest := add(add(u1, 0x20), shl(6, sub(k, 2))) }
                let success := staticcall(gas(), 0x05, buf, 0xe1, dest, 0x40)
                ok := and(ok, and(success, eq(returndatasize(), 0x40)))
            }
        }
        require(ok, Errors.BlsLib__PrecompileFailed(MODEXP));
    }

    /// @notice RFC 9380 `hash_to_curve` for the suite `BLS12381G2_XMD:SHA-256_SSWU_RO_` (§8.8.2): a padded G2 point
    ///         (256 bytes) in the prime-order subgroup.
    /// @dev MAP_FP2_TO_G2 applies SSWU, the 3-isogeny and cofactor clearing (EIP-2537 `field_to_curve.md`). Clearing
    ///      is a homomorphism, so clear(Q0) + clear(Q1) = clear(Q0 + Q1), RFC 9380 §3's result. About 55k gas
    ///      for a 32-byte message (2 × 23,800 for the maps).
    function hashToG2(bytes memory message, bytes memory dst) internal view returns (bytes memory point) {
        (bytes memory u0, bytes memory u1) = hashToFp2(message, dst);
        point = new bytes(G2_BYTES);
        bool ok;
        address failed = MAP_FP2_TO_G2;
        assembly ("memory-safe") {
            // Q0 ‖ Q1 in scratch memory, then G2ADD into the result.
            let buf := mload(0x40)
            ok := staticcall(gas(), 0x11, add(u0, 0x20), 0x80, buf, 0x100)
            ok := and(ok, eq(returndatasize(), 0x100))
            if ok {
                ok := staticcall(gas(), 0x11, add(u1, 0x20), 0x80, add(buf, 0x100), 0x100)
                ok := and(ok, eq(returndatasize(), 0x100))
            }
            if ok {
                failed := 0x0d
                ok := staticcall(gas(), 0x0d, buf, 0x200, add(point, 0x20), 0x100)
                ok := and(ok, eq(returndatasize(), 0x100))
            }
        }
        require(ok, Errors.BlsLib__PrecompileFailed(failed));
    }

    /// @notice MAP_FP2_TO_G2 of one padded Fp2 (128 bytes): RFC 9380's map_to_curve then clear_cofactor.
    /// @custom:reverts BlsLib__InvalidLength; BlsLib__PrecompileFailed if an element is not below p.
    function mapFp2ToG2(bytes memory u) internal view returns (bytes memory point) {
        _requireLength(u, 128);
        point = new bytes(G2_BYTES);
        bool ok;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x11, add(u, 0x20), 0x80, add(point, 0x20), 0x100)
            ok := and(ok, eq(returndatasize(), 0x100))
        }
        require(ok, Errors.BlsLib__PrecompileFailed(MAP_FP2_TO_G2));
    }

    /* ------------------------------------------------------------------ ENCODINGS */

    /// @notice The padded G1 point (128 bytes) of an unpadded one (96 bytes, `x ‖ y`, 48 bytes each).
    /// @custom:reverts BlsLib__InvalidLength unless `unpadded96` is 96 bytes.
    function padG1(bytes memory unpadded96) internal pure returns (bytes memory padded) {
        _requireLength(unpadded96, G1_UNPADDED_BYTES);
        padded = new bytes(G1_BYTES);
        assembly ("memory-safe") {
            let src := add(unpadded96, 0x20)
            let dst := add(padded, 0x20)
            mcopy(add(dst, 0x10), src, 0x30)
            mcopy(add(dst, 0x50), add(src, 0x30), 0x30)
        }
    }

    /// @notice `padG1` reading straight from calldata: saves the memory copy of a calldata argument.
    function padG1Calldata(bytes calldata unpadded96) internal pure returns (bytes memory padded) {
        require(
            unpadded96.length == G1_UNPADDED_BYTES, Errors.BlsLib__InvalidLength(G1_UNPADDED_BYTES, unpadded96.length)
        );
        padded = new bytes(G1_BYTES);
        assembly ("memory-safe") {
            let dst := add(padded, 0x20)
            calldatacopy(add(dst, 0x10), unpadded96.offset, 0x30)
            calldatacopy(add(dst, 0x50), add(unpadded96.offset, 0x30), 0x30)
        }
    }

    /// @notice The padded G2 point (256 bytes) of an unpadded one (192 bytes, `x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1`).
    /// @custom:reverts BlsLib__InvalidLength unless `unpadded192` is 192 bytes.
    function padG2(bytes memory unpadded192) internal pure returns (bytes memory padded) {
        _requireLength(unpadded192, G2_UNPADDED_BYTES);
        padded = new bytes(G2_BYTES);
        assembly ("memory-safe") {
            let src := add(unpadded192, 0x20)
            let dst := add(padded, 0x20)
            for { let k := 0 } lt(k, 4) { k := add(k, 1) } {
                mcopy(add(dst, add(shl(6, k), 0x10)), add(src, mul(k, 0x30)), 0x30)
            }
        }
    }

    /// @notice `padG2` reading straight from calldata.
    function padG2Calldata(bytes calldata unpadded192) internal pure returns (bytes memory padded) {
        require(
            unpadded192.length == G2_UNPADDED_BYTES, Errors.BlsLib__InvalidLength(G2_UNPADDED_BYTES, unpadded192.length)
        );
        padded = new bytes(G2_BYTES);
        assembly ("memory-safe") {
            let dst := add(padded, 0x20)
            for { let k := 0 } lt(k, 4) { k := add(k, 1) } {
                calldatacopy(add(dst, add(shl(6, k), 0x10)), add(unpadded192.offset, mul(k, 0x30)), 0x30)
            }
        }
    }

    /// @notice The 48-byte ZCash compressed form of an unpadded G1 point: x with bit 0x80 of its first byte set,
    ///         0x20 set iff y > (p − 1) / 2, and 0x40 (with x = 0) for the point at infinity (all 96 bytes zero).
    ///         It is the message of a proof of possession (draft-irtf-cfrg-bls-signature-05 §3.3.2) and blst's
    ///         `PublicKey::compress()`.
    /// @dev No curve or range check: a valid key's x < p < 2^381 leaves the three flag bits free, and a bad key fails
    ///      the pairing that follows anyway.
    /// @custom:reverts BlsLib__InvalidLength unless `unpadded96` is 96 bytes.
    function compressG1(bytes memory unpadded96) internal pure returns (bytes memory compressed) {
        _requireLength(unpadded96, G1_UNPADDED_BYTES);
        compressed = new bytes(G1_COMPRESSED_BYTES);
        assembly ("memory-safe") {
            let src := add(unpadded96, 0x20)
            let dst := add(compressed, 0x20)
            mcopy(dst, src, 0x30)
            // y = yHi (16 bytes) ‖ yLo (32 bytes).
            let yHi := shr(128, mload(add(src, 0x30)))
            let yLo := mload(add(src, 0x40))
            let flags := 0x80
            switch iszero(or(or(mload(src), mload(add(src, 0x20))), mload(add(src, 0x40))))
            case 1 { flags := 0xc0 }
            default {
                if or(gt(yHi, HALF_P_HI), and(eq(yHi, HALF_P_HI), gt(yLo, HALF_P_LO))) { flags := 0xa0 }
            }
            mstore8(dst, or(byte(0, mload(dst)), flags))
        }
    }

    /// @notice Whether a padded G1 point is the point at infinity (all 128 bytes zero).
    /// @custom:reverts BlsLib__InvalidLength unless `padded128` is 128 bytes.
    function isInfinityG1(bytes memory padded128) internal pure returns (bool infinity) {
        _requireLength(padded128, G1_BYTES);
        assembly ("memory-safe") {
            let src := add(padded128, 0x20)
            infinity := iszero(
                or(or(mload(src), mload(add(src, 0x20))), or(mload(add(src, 0x40)), mload(add(src, 0x60))))
            )
        }
    }

    /* ------------------------------------------------------------------ GROUP OPERATIONS */

    /// @notice a + b in G1 (padded points). G1ADD checks that both are on the curve, not that they are in the
    ///         subgroup: callers add only points already subgroup-checked (PoP-checked keys, design §2).
    /// @custom:reverts BlsLib__InvalidLength; BlsLib__PrecompileFailed(G1ADD) if a point is off the curve or has a
    ///                 coordinate >= p.
    function g1Add(bytes memory a, bytes memory b) internal view returns (bytes memory sum) {
        _requireLength(a, G1_BYTES);
        _requireLength(b, G1_BYTES);
        sum = new bytes(G1_BYTES);
        bool ok;
        assembly ("memory-safe") {
            let buf := mload(0x40)
            mcopy(buf, add(a, 0x20), 0x80)
            mcopy(add(buf, 0x80), add(b, 0x20), 0x80)
            ok := staticcall(gas(), 0x0b, buf, 0x100, add(sum, 0x20), 0x80)
            ok := and(ok, eq(returndatasize(), 0x80))
        }
        require(ok, Errors.BlsLib__PrecompileFailed(G1ADD));
    }

    /// @notice acc += pad(unpadded96), in place, for aggregating keys read from calldata (one G1ADD, no allocation).
    ///         Returns false, leaving `acc` unspecified, if G1ADD fails; the caller picks its own error.
    /// @custom:reverts BlsLib__InvalidLength unless `acc` is 128 bytes and `unpadded96` 96.
    function g1AddInPlace(bytes memory acc, bytes calldata unpadded96) internal view returns (bool ok) {
        _requireLength(acc, G1_BYTES);
        require(
            unpadded96.length == G1_UNPADDED_BYTES, Errors.BlsLib__InvalidLength(G1_UNPADDED_BYTES, unpadded96.length)
        );
        assembly ("memory-safe") {
            // acc ‖ pad(key) in scratch memory.
            let buf := mload(0x40)
            mcopy(buf, add(acc, 0x20), 0x80)
            mstore(add(buf, 0x80), 0)
            mstore(add(buf, 0xc0), 0)
            calldatacopy(add(buf, 0x90), unpadded96.offset, 0x30)
            calldatacopy(add(buf, 0xd0), add(unpadded96.offset, 0x30), 0x30)
            ok := staticcall(gas(), 0x0b, buf, 0x100, add(acc, 0x20), 0x80)
            ok := and(ok, eq(returndatasize(), 0x80))
        }
    }

    /// @notice a + b in G2 (padded points); curve checks only, as `g1Add`.
    /// @custom:reverts BlsLib__InvalidLength; BlsLib__PrecompileFailed(G2ADD).
    function g2Add(bytes memory a, bytes memory b) internal view returns (bytes memory sum) {
        _requireLength(a, G2_BYTES);
        _requireLength(b, G2_BYTES);
        sum = new bytes(G2_BYTES);
        bool ok;
        assembly ("memory-safe") {
            let buf := mload(0x40)
            mcopy(buf, add(a, 0x20), 0x100)
            mcopy(add(buf, 0x100), add(b, 0x20), 0x100)
            ok := staticcall(gas(), 0x0d, buf, 0x200, add(sum, 0x20), 0x100)
            ok := and(ok, eq(returndatasize(), 0x100))
        }
        require(ok, Errors.BlsLib__PrecompileFailed(G2ADD));
    }

    /// @notice scalar · point in G1 by a one-term G1MSM (12,000 gas), which also subgroup-checks the point.
    /// @custom:reverts BlsLib__InvalidLength; BlsLib__PrecompileFailed(G1MSM) for a point off the curve or outside G1.
    function g1Mul(bytes memory point, uint256 scalar) internal view returns (bytes memory product) {
        _requireLength(point, G1_BYTES);
        product = new bytes(G1_BYTES);
        bool ok;
        assembly ("memory-safe") {
            let buf := mload(0x40)
            mcopy(buf, add(point, 0x20), 0x80)
            mstore(add(buf, 0x80), scalar)
            ok := staticcall(gas(), 0x0c, buf, 0xa0, add(product, 0x20), 0x80)
            ok := and(ok, eq(returndatasize(), 0x80))
        }
        require(ok, Errors.BlsLib__PrecompileFailed(G1MSM));
    }

    /// @notice scalar · point in G2 by a one-term G2MSM (22,500 gas), which also subgroup-checks the point.
    /// @custom:reverts BlsLib__InvalidLength; BlsLib__PrecompileFailed(G2MSM) for a point off the curve or outside G2.
    function g2Mul(bytes memory point, uint256 scalar) internal view returns (bytes memory product) {
        _requireLength(point, G2_BYTES);
        product = new bytes(G2_BYTES);
        bool ok;
        assembly ("memory-safe") {
            let buf := mload(0x40)
            mcopy(buf, add(point, 0x20), 0x100)
            mstore(add(buf, 0x100), scalar)
            ok := staticcall(gas(), 0x0e, buf, 0x120, add(product, 0x20), 0x100)
            ok := and(ok, eq(returndatasize(), 0x100))
        }
        require(ok, Errors.BlsLib__PrecompileFailed(G2MSM));
    }

    /* ------------------------------------------------------------------ PAIRING AND PROOF OF POSSESSION */

    /// @notice Whether e(g1a, g2a) · e(g1b, g2b) == 1 (padded points; PAIRING_CHECK with k = 2, 102,900 gas).
    /// @dev False, not a revert, when the precompile fails: a point off its curve, outside its subgroup, or with a
    ///      coordinate >= p is simply not a valid signature or proof. The precompile subgroup-checks every point, so a
    ///      true result also certifies g1a, g2a, g1b and g2b as subgroup points.
    /// @custom:reverts BlsLib__InvalidLength if a point has the wrong length (a caller bug, not bad input).
    function pairing2(bytes memory g1a, bytes memory g2a, bytes memory g1b, bytes memory g2b)
        internal
        view
        returns (bool valid)
    {
        _requireLength(g1a, G1_BYTES);
        _requireLength(g2a, G2_BYTES);
        _requireLength(g1b, G1_BYTES);
        _requireLength(g2b, G2_BYTES);
        assembly ("memory-safe") {
            let buf := mload(0x40)
            mcopy(buf, add(g1a, 0x20), 0x80)
            mcopy(add(buf, 0x80), add(g2a, 0x20), 0x100)
            mcopy(add(buf, 0x180), add(g1b, 0x20), 0x80)
            mcopy(add(buf, 0x200), add(g2b, 0x20), 0x100)
            let ok := staticcall(gas(), 0x0f, buf, 0x300, 0x00, 0x20)
            ok := and(ok, eq(returndatasize(), 0x20))
            valid := and(ok, eq(mload(0x00), 1))
        }
    }

    /// @notice draft-irtf-cfrg-bls-signature-05 §3.3.3 `PopVerify` under `DST_POP`: whether `proof192` (unpadded G2)
    ///         is the key's signature of its own compressed form, i.e.
    ///         e(pk, hashToG2(compressG1(pk), DST_POP)) · e(−G1, proof) == 1.
    /// @dev The draft's PopVerify starts with KeyValidate: the key at infinity is refused here (the pairing alone would
    ///      accept it with proof = O), and the pairing's subgroup checks do the rest. About 160k gas.
    /// @custom:reverts BlsLib__InvalidLength unless the key is 96 bytes and the proof 192.
    function verifyPop(bytes memory publicKey96, bytes memory proof192) internal view returns (bool) {
        bytes memory key = padG1(publicKey96);
        if (isInfinityG1(key)) return false;
        bytes memory message = hashToG2(compressG1(publicKey96), DST_POP);
        return pairing2(key, message, NEG_G1, padG2(proof192));
    }

    /* ------------------------------------------------------------------ STAKING RECORD */

    /// @notice A staker's BLS record: the one slot Staking keeps per BLS key (`Staking.blsRecord`) and the verifier
    ///         recomputes per signer from calldata, so that one SLOAD proves the key and the activity
    ///         (design §2). It is keccak256 of 40 bytes, `abi.encodePacked(keyHash, activationEpoch, exitEpoch)`:
    ///         the keccak256 of the 96-byte unpadded key, then each epoch as a 4-byte big-endian integer
    ///         (exitEpoch = 0xffffffff while not exiting).
    function keyRecord(bytes32 keyHash, uint32 activationEpoch, uint32 exitEpoch)
        internal
        pure
        returns (bytes32 record)
    {
        assembly ("memory-safe") {
            // Scratch memory past the free pointer; the epochs are masked (narrow types may carry dirty high bits).
            let m := mload(0x40)
            mstore(m, keyHash)
            mstore(add(m, 0x20), or(shl(224, and(activationEpoch, 0xffffffff)), shl(192, and(exitEpoch, 0xffffffff))))
            record := keccak256(m, 0x28)
        }
    }

    /* ------------------------------------------------------------------ INTERNALS */

    function _requireLength(bytes memory data, uint256 expected) private pure {
        require(data.length == expected, Errors.BlsLib__InvalidLength(expected, data.length));
    }
}
