// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {BlsHarness} from "../harness/BlsHarness.sol";
import {BlsTestSigner} from "../utils/BlsTestSigner.sol";
import {BlsLib} from "../../contracts/libraries/BlsLib.sol";

/// @notice Group laws of G1ADD through BlsLib, the hash to G2's output, the compression sign bit and the padding
///         round trips, on random points, messages and coordinates. Points are k·G1 for random k, so they are valid
///         subgroup points whose discrete logarithm the test knows.
contract BlsLibFuzzTest is Test {
    /// @dev The BLS12-381 group order r.
    uint256 internal constant R = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001;
    /// @dev A call expected to hit a failing precompile burns the gas it is given (EIP-2537): cap it.
    uint256 internal constant CALL_GAS = 1_000_000;

    BlsHarness internal h;
    bytes internal g1;
    bytes internal infinity1;
    bytes internal infinity2;

    function setUp() public {
        h = new BlsHarness();
        g1 = h.g1Generator();
        infinity1 = new bytes(128);
        infinity2 = new bytes(256);
    }

    function _scalar(uint256 k) internal pure returns (uint256) {
        return bound(k, 1, R - 1);
    }

    function _point(uint256 k) internal view returns (bytes memory) {
        return h.g1Mul(g1, k);
    }

    // ------------------------------------------------------------------ G1 group law through g1Add

    function testFuzz_g1Add_infinityIsTheIdentity(uint256 k) public view {
        bytes memory p = _point(_scalar(k));
        assertEq(h.g1Add(p, infinity1), p, "P + O");
        assertEq(h.g1Add(infinity1, p), p, "O + P");
    }

    /// @notice P + (−P) = O, with −P = (r − k)·G, which is also (x, p − y) computed here by 384-bit subtraction.
    function testFuzz_g1Add_inverseGivesInfinity(uint256 k) public view {
        k = _scalar(k);
        bytes memory p = _point(k);
        bytes memory negP = _point(R - k);
        assertEq(negP, _negate(p), "(r - k)G = (x, p - y)");
        assertEq(h.g1Add(p, negP), infinity1);
        assertTrue(h.isInfinityG1(h.g1Add(negP, p)));
    }

    function testFuzz_g1Add_commutes(uint256 a, uint256 b) public view {
        bytes memory p = _point(_scalar(a));
        bytes memory q = _point(_scalar(b));
        assertEq(h.g1Add(p, q), h.g1Add(q, p));
    }

    function testFuzz_g1Add_doubleIsMulByTwo(uint256 k) public view {
        bytes memory p = _point(_scalar(k));
        assertEq(h.g1Add(p, p), h.g1Mul(p, 2));
    }

    /// @notice aG + bG = (a + b)G: the sum is the one the scalars predict, not just some point.
    function testFuzz_g1Add_matchesScalarSum(uint256 a, uint256 b) public view {
        a = _scalar(a);
        b = _scalar(b);
        assertEq(h.g1Add(_point(a), _point(b)), _point(addmod(a, b, R)));
    }

    function testFuzz_g1AddInPlace_matchesG1Add(uint256 a, uint256 b) public view {
        bytes memory p = _point(_scalar(a));
        bytes memory q = _point(_scalar(b));
        (bool ok, bytes memory sum) = h.g1AddInPlace(p, BlsTestSigner.unpad(q));
        assertTrue(ok);
        assertEq(sum, h.g1Add(p, q));
    }

    /// @notice Random 96 bytes are almost never a curve point: g1Add reverts, g1AddInPlace reports false.
    function testFuzz_g1Add_refusesRandomBytes(bytes32 a, bytes32 b, bytes32 c) public {
        bytes memory junk = abi.encodePacked(a, b, c);
        junk[0] &= 0x1f; // x below 2^381, so only the curve equation can fail
        junk[48] &= 0x1f;
        vm.assume(!_isInfinityUnpadded(junk));
        (bool ok,) = h.g1AddInPlace{gas: CALL_GAS}(g1, junk);
        assertFalse(ok, "in place");
        bytes memory padded = h.padG1(junk);
        vm.expectRevert();
        h.g1Add{gas: CALL_GAS}(g1, padded);
    }

    // ------------------------------------------------------------------ hash to G2

    /// @notice The output is a G2 subgroup point other than O: the pairing (which subgroup-checks) accepts it, and
    ///         r·H = O by G2MSM (which subgroup-checks too).
    function testFuzz_hashToG2_isInTheSubgroup(bytes memory message) public view {
        bytes memory point = h.hashToG2(message, h.dstSig());
        assertTrue(keccak256(point) != keccak256(infinity2), "not infinity");
        assertTrue(h.pairing2(g1, point, h.negG1(), point), "pairing accepts it");
        assertEq(h.g2Mul(point, R), infinity2, "r H = O");
    }

    function testFuzz_hashToG2_differsPerMessage(bytes memory a, bytes memory b) public view {
        vm.assume(keccak256(a) != keccak256(b));
        assertTrue(keccak256(h.hashToG2(a, h.dstSig())) != keccak256(h.hashToG2(b, h.dstSig())));
    }

    function testFuzz_hashToG2_differsPerDst(bytes memory message) public view {
        assertTrue(keccak256(h.hashToG2(message, h.dstSig())) != keccak256(h.hashToG2(message, h.dstPop())));
    }

    // ------------------------------------------------------------------ signatures

    /// @notice sk·G1 and sk·H(m) pass the 2-pair check for m and fail it for any other message.
    function testFuzz_signature_verifiesOnlyItsMessage(uint256 sk, bytes32 message, bytes32 other) public view {
        vm.assume(message != other);
        sk = _scalar(sk);
        bytes memory pk = h.padG1(BlsTestSigner.publicKey(sk));
        bytes memory sig = h.padG2(BlsTestSigner.sign(sk, abi.encodePacked(message), BlsLib.DST_SIG));
        bytes memory negG1 = h.negG1();
        assertTrue(h.pairing2(pk, h.hashToG2(abi.encodePacked(message), h.dstSig()), negG1, sig), "own message");
        assertFalse(h.pairing2(pk, h.hashToG2(abi.encodePacked(other), h.dstSig()), negG1, sig), "other message");
    }

    function testFuzz_verifyPop_acceptsOnlyTheKeysOwnProof(uint256 a, uint256 b) public view {
        a = _scalar(a);
        b = _scalar(b);
        vm.assume(a != b);
        assertTrue(h.verifyPop(BlsTestSigner.publicKey(a), BlsTestSigner.pop(a)), "own proof");
        assertFalse(h.verifyPop(BlsTestSigner.publicKey(a), BlsTestSigner.pop(b)), "another key's proof");
    }

    // ------------------------------------------------------------------ encodings

    /// @notice The sign bit is set iff y > (p − 1) / 2, compared here byte by byte; y is drawn around the boundary
    ///         half the time and anywhere below 2^381 otherwise.
    function testFuzz_compressG1_signBit(bytes32 x1, bytes16 x2, uint256 yLo, uint128 yHi, bool nearBoundary)
        public
        view
    {
        if (nearBoundary) {
            yHi = uint128(BlsLib.HALF_P_HI);
            yLo = bound(yLo, BlsLib.HALF_P_LO - 1000, BlsLib.HALF_P_LO + 1000);
        } else {
            yHi = yHi >> 3;
        }
        bytes memory x = abi.encodePacked(bytes1(uint8(uint256(x1 >> 248)) & 0x1f), bytes31(x1 << 8), x2);
        bytes memory y = abi.encodePacked(yHi, yLo);
        bytes memory compressed = h.compressG1(bytes.concat(x, y));
        (, bytes memory halfP) = h.fieldConstants();
        bool largest = _greater(y, halfP);
        uint8 expectedFlags = largest ? 0xa0 : 0x80;
        if (_isInfinityUnpadded(bytes.concat(x, y))) expectedFlags = 0xc0;
        assertEq(uint8(compressed[0]) & 0xe0, expectedFlags, "flags");
        assertEq(uint8(compressed[0]) & 0x1f, uint8(x[0]), "x's first byte");
        for (uint256 k = 1; k < 48; ++k) {
            assertEq(compressed[k], x[k]);
        }
    }

    function testFuzz_padG1_roundTrips(bytes32 a, bytes32 b, bytes32 c) public view {
        bytes memory unpadded = abi.encodePacked(a, b, c);
        bytes memory padded = h.padG1(unpadded);
        assertEq(BlsTestSigner.unpad(padded), unpadded);
        assertEq(h.padG1Calldata(unpadded), padded);
    }

    function testFuzz_padG2_roundTrips(bytes32 a, bytes32 b, bytes32 c, bytes32 d, bytes32 e, bytes32 f) public view {
        bytes memory unpadded = abi.encodePacked(a, b, c, d, e, f);
        bytes memory padded = h.padG2(unpadded);
        assertEq(BlsTestSigner.unpad(padded), unpadded);
        assertEq(h.padG2Calldata(unpadded), padded);
    }

    // ------------------------------------------------------------------ staking record

    /// @notice keyRecord is the design's packing, keccak256(abi.encodePacked(bytes32, uint32, uint32)), which the Rust
    ///         side mirrors; bits above 32 of the epochs never leak into it.
    function testFuzz_keyRecord_isTheDesignsPacking(bytes32 keyHash, uint256 activationRaw, uint256 exitRaw)
        public
        view
    {
        uint32 activation = uint32(activationRaw);
        uint32 exit = uint32(exitRaw);
        bytes32 expected = keccak256(abi.encodePacked(keyHash, activation, exit));
        assertEq(h.keyRecord(keyHash, activation, exit), expected);
        assertEq(h.keyRecordDirty(keyHash, activationRaw, exitRaw), expected, "dirty high bits");
    }

    // ------------------------------------------------------------------ helpers

    /// @dev (x, p − y) of a padded G1 point, by two-word subtraction (y < p).
    function _negate(bytes memory point) internal pure returns (bytes memory) {
        uint256 yHi;
        uint256 yLo;
        assembly {
            yHi := mload(add(point, 0x60))
            yLo := mload(add(point, 0x80))
        }
        if (yHi == 0 && yLo == 0) return point;
        uint256 lo;
        uint256 hi;
        unchecked {
            lo = BlsLib.P_LO - yLo;
            hi = BlsLib.P_HI - yHi - (yLo > BlsLib.P_LO ? 1 : 0);
        }
        bytes memory out = bytes.concat(point);
        assembly {
            mstore(add(out, 0x60), hi)
            mstore(add(out, 0x80), lo)
        }
        return out;
    }

    /// @dev Big-endian comparison of equal-length byte strings.
    function _greater(bytes memory a, bytes memory b) internal pure returns (bool) {
        for (uint256 k; k < a.length; ++k) {
            if (a[k] != b[k]) return uint8(a[k]) > uint8(b[k]);
        }
        return false;
    }

    function _isInfinityUnpadded(bytes memory point) internal pure returns (bool) {
        for (uint256 k; k < point.length; ++k) {
            if (point[k] != 0) return false;
        }
        return true;
    }
}
