// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {BlsHarness} from "../../harness/BlsHarness.sol";
import {BlsTestSigner} from "../../utils/BlsTestSigner.sol";
import {BlsLib} from "../../../contracts/libraries/BlsLib.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";

/// @notice BlsLib against known answers: test/vectors/bls/bls12381.json (py_ecc and a hand-written RFC 9380, both
///         checked against RFC 9380's and EIP-2537's published vectors, see the README there), and every wrapper's
///         behaviour on a failing precompile.
contract BlsLibTest is Test {
    string internal constant VECTORS = "test/vectors/bls/bls12381.json";
    /// @dev Gas for a call expected to hit a failing precompile, which burns all the gas it is given (EIP-2537).
    uint256 internal constant CALL_GAS = 1_000_000;
    /// @dev The BLS12-381 group order r.
    uint256 internal constant R = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001;

    BlsHarness internal h;
    string internal json;

    bytes internal g1;
    bytes internal g2;
    bytes internal infinity1;
    bytes internal infinity2;

    function setUp() public {
        h = new BlsHarness();
        json = vm.readFile(VECTORS);
        g1 = _group("g1");
        g2 = _group("g2");
        infinity1 = new bytes(128);
        infinity2 = new bytes(256);
    }

    function _group(string memory name) internal view returns (bytes memory) {
        return vm.parseJsonBytes(json, string.concat(".group.", name));
    }

    function _at(string memory list, uint256 i, string memory field) internal pure returns (string memory) {
        return string.concat(".", list, "[", vm.toString(i), "].", field);
    }

    function _has(string memory list, uint256 i) internal view returns (bool) {
        return vm.keyExistsJson(json, string.concat(".", list, "[", vm.toString(i), "]"));
    }

    function _bytes(string memory list, uint256 i, string memory field) internal view returns (bytes memory) {
        return vm.parseJsonBytes(json, _at(list, i, field));
    }

    // ------------------------------------------------------------------ the EVM has EIP-2537

    /// @notice The first thing to hold: forge's EVM runs EIP-2537 (G1ADD(G1, O) == G1 both ways round).
    function test_eip2537_g1AddOfInfinityIsIdentity() public view {
        assertEq(h.g1Add(g1, infinity1), g1);
        assertEq(h.g1Add(infinity1, g1), g1);
    }

    // ------------------------------------------------------------------ constants

    function test_constants_matchVectors() public view {
        assertEq(h.g1Generator(), g1, "G1");
        assertEq(h.negG1(), _group("g1Neg"), "NEG_G1");
        (bytes memory p, bytes memory halfP) = h.fieldConstants();
        assertEq(p, _group("p"), "p");
        assertEq(halfP, _group("halfP"), "(p - 1) / 2");
    }

    function test_constants_negG1IsTheInverseOfG1() public view {
        assertEq(h.g1Add(g1, h.negG1()), infinity1);
    }

    function test_constants_dsts() public view {
        assertEq(h.dstSig(), bytes("SPN-V1-BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"));
        assertEq(h.dstPop(), bytes("SPN-V1-BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"));
        assertEq(h.dstSig().length, 50);
    }

    // ------------------------------------------------------------------ expand_message_xmd (RFC 9380 K.1 and more)

    function test_expandMessageXmd_vectors() public view {
        uint256 i;
        for (; _has("expandMessageXmd", i); ++i) {
            bytes memory got = h.expandMessageXmd(
                _bytes("expandMessageXmd", i, "msg"),
                _bytes("expandMessageXmd", i, "dst"),
                vm.parseJsonUint(json, _at("expandMessageXmd", i, "len"))
            );
            assertEq(got, _bytes("expandMessageXmd", i, "uniform"), vm.toString(i));
        }
        assertEq(i, 18, "vector count");
    }

    /// @notice Bytes past the length in the result's last word are zero (they would leak into an abi.encode).
    function test_expandMessageXmd_oddLengthLeavesNoTrailingBytes() public view {
        bytes memory full = h.expandMessageXmd("abc", "QUUX-V01-CS02-with-expander-SHA256-128", 33);
        bytes memory encoded = abi.encode(full);
        // offset, length, 33 bytes, then 31 bytes of padding
        for (uint256 k = 64 + 33; k < encoded.length; ++k) {
            assertEq(uint8(encoded[k]), 0);
        }
        assertEq(full.length, 33);
    }

    function test_expandMessageXmd_acceptsDstOf255Bytes() public view {
        assertEq(h.expandMessageXmd("m", new bytes(255), 32).length, 32);
    }

    function test_expandMessageXmd_revertsOnDstAbove255Bytes() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__DstTooLong.selector, 256));
        h.expandMessageXmd("m", new bytes(256), 32);
    }

    function test_expandMessageXmd_revertsAbove8160Bytes() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__ExpandTooLong.selector, 8161, 8160));
        h.expandMessageXmd("m", "dst", 8161);
    }

    function test_expandMessageXmd_revertsWhenSha256Fails() public {
        vm.mockCallRevert(address(0x02), bytes(""), bytes(""));
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__PrecompileFailed.selector, address(0x02)));
        h.expandMessageXmd("m", "dst", 256);
    }

    function test_expandMessageXmd_revertsWhenSha256ReturnsShort() public {
        vm.mockCall(address(0x02), bytes(""), new bytes(31));
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__PrecompileFailed.selector, address(0x02)));
        h.expandMessageXmd("m", "dst", 256);
    }

    // ------------------------------------------------------------------ hash to G2 (RFC 9380 J.10.1 and SPN DSTs)

    function test_hashToG2_vectors() public view {
        uint256 i;
        for (; _has("hashToG2", i); ++i) {
            bytes memory message = _bytes("hashToG2", i, "msg");
            bytes memory dst = _bytes("hashToG2", i, "dst");
            (bytes memory u0, bytes memory u1) = h.hashToFp2(message, dst);
            assertEq(u0, _bytes("hashToG2", i, "u0"), string.concat("u0 ", vm.toString(i)));
            assertEq(u1, _bytes("hashToG2", i, "u1"), string.concat("u1 ", vm.toString(i)));
            assertEq(h.hashToG2(message, dst), _bytes("hashToG2", i, "p"), string.concat("P ", vm.toString(i)));
        }
        assertEq(i, 13, "vector count");
    }

    /// @notice MAP_FP2_TO_G2 clears the cofactor itself, so the sum of the two maps is hash_to_curve's point.
    function test_hashToG2_isTheSumOfTheTwoMaps() public view {
        bytes memory u0 = _bytes("hashToG2", 1, "u0");
        bytes memory u1 = _bytes("hashToG2", 1, "u1");
        assertEq(h.g2Add(h.mapFp2ToG2(u0), h.mapFp2ToG2(u1)), _bytes("hashToG2", 1, "p"));
    }

    function test_hashToFp2_revertsWhenModexpFails() public {
        vm.mockCallRevert(address(0x05), bytes(""), bytes(""));
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__PrecompileFailed.selector, address(0x05)));
        h.hashToFp2("m", "dst");
    }

    function test_hashToFp2_revertsWhenModexpReturnsShort() public {
        vm.mockCall(address(0x05), bytes(""), new bytes(63));
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__PrecompileFailed.selector, address(0x05)));
        h.hashToFp2("m", "dst");
    }

    function test_hashToG2_revertsWhenMapFails() public {
        vm.mockCallRevert(address(0x11), bytes(""), bytes(""));
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__PrecompileFailed.selector, address(0x11)));
        h.hashToG2("m", "dst");
    }

    function test_hashToG2_revertsWhenG2AddFails() public {
        vm.mockCall(address(0x0d), bytes(""), new bytes(255));
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__PrecompileFailed.selector, address(0x0d)));
        h.hashToG2("m", "dst");
    }

    function test_mapFp2ToG2_revertsOnElementNotBelowP() public {
        (bytes memory p,) = h.fieldConstants();
        bytes memory u = abi.encodePacked(bytes16(0), p, new bytes(64));
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__PrecompileFailed.selector, address(0x11)));
        h.mapFp2ToG2(u);
    }

    function test_mapFp2ToG2_revertsOnWrongLength() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__InvalidLength.selector, 128, 127));
        h.mapFp2ToG2(new bytes(127));
    }

    // ------------------------------------------------------------------ keys, signatures and PoPs (py_ecc)

    function test_signer_matchesVectors() public view {
        uint256 i;
        for (; _has("keys", i); ++i) {
            uint256 sk = uint256(bytes32(_bytes("keys", i, "sk")));
            bytes memory pk = _bytes("keys", i, "pk");
            bytes memory message = _bytes("keys", i, "msg");
            assertEq(BlsTestSigner.publicKey(sk), pk, "public key");
            assertEq(BlsTestSigner.sign(sk, message, BlsLib.DST_SIG), _bytes("keys", i, "sig"), "signature");
            assertEq(BlsTestSigner.pop(sk), _bytes("keys", i, "pop"), "proof of possession");
            assertEq(h.compressG1(pk), _bytes("keys", i, "pkCompressed"), "compressed key");
        }
        assertEq(i, 6, "vector count");
    }

    function test_verifyPop_acceptsEveryVectorsProof() public view {
        for (uint256 i; _has("keys", i); ++i) {
            assertTrue(h.verifyPop(_bytes("keys", i, "pk"), _bytes("keys", i, "pop")), vm.toString(i));
        }
    }

    function test_pairing2_acceptsEveryVectorsSignature() public view {
        for (uint256 i; _has("keys", i); ++i) {
            bytes memory message = h.hashToG2(_bytes("keys", i, "msg"), h.dstSig());
            bytes memory sig = h.padG2(_bytes("keys", i, "sig"));
            assertTrue(h.pairing2(h.padG1(_bytes("keys", i, "pk")), message, h.negG1(), sig), vm.toString(i));
        }
    }

    function test_verifyPop_refusesAnotherKeysProof() public view {
        assertFalse(h.verifyPop(_bytes("keys", 0, "pk"), _bytes("keys", 1, "pop")));
        assertFalse(h.verifyPop(_bytes("keys", 1, "pk"), _bytes("keys", 0, "pop")));
    }

    /// @notice A PoP is domain-separated from a signature: the key's signature of its compressed self under DST_SIG is
    ///         not a proof.
    function test_verifyPop_refusesAProofUnderDstSig() public view {
        bytes memory pk = BlsTestSigner.publicKey(7);
        bytes memory underSig = BlsTestSigner.sign(7, h.compressG1(pk), BlsLib.DST_SIG);
        assertFalse(h.verifyPop(pk, underSig));
        assertTrue(h.verifyPop(pk, BlsTestSigner.pop(7)));
    }

    /// @notice KeyValidate: the key at infinity is refused, though the bare pairing would accept it with proof O.
    function test_verifyPop_refusesTheKeyAtInfinity() public view {
        bytes memory message = h.hashToG2(h.compressG1(new bytes(96)), h.dstPop());
        assertTrue(h.pairing2(infinity1, message, h.negG1(), infinity2), "bare pairing accepts O");
        assertFalse(h.verifyPop(new bytes(96), new bytes(192)));
    }

    /// @dev Each failing pairing burns the gas it is given (EIP-2537), so every call here gets a cap of its own.
    function test_verifyPop_refusesAFlippedBitWithoutReverting() public view {
        bytes memory pk = _bytes("keys", 2, "pk");
        bytes memory proof = _bytes("keys", 2, "pop");
        assertTrue(h.verifyPop{gas: CALL_GAS}(pk, proof), "unflipped");
        for (uint256 k; k < 192; k += 47) {
            bytes memory flipped = bytes.concat(proof);
            flipped[k] ^= 0x01;
            assertFalse(h.verifyPop{gas: CALL_GAS}(pk, flipped), string.concat("proof byte ", vm.toString(k)));
        }
        for (uint256 k; k < 96; k += 19) {
            bytes memory flipped = bytes.concat(pk);
            flipped[k] ^= 0x01;
            assertFalse(h.verifyPop{gas: CALL_GAS}(flipped, proof), string.concat("key byte ", vm.toString(k)));
        }
    }

    function test_verifyPop_revertsOnWrongLengths() public {
        bytes memory pk = _bytes("keys", 0, "pk");
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__InvalidLength.selector, 96, 95));
        h.verifyPop(new bytes(95), new bytes(192));
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__InvalidLength.selector, 192, 193));
        h.verifyPop(pk, new bytes(193));
    }

    // ------------------------------------------------------------------ G1 and G2 arithmetic

    function test_g1Add_knownAnswers() public view {
        assertEq(h.g1Add(g1, g1), _group("g1Double"), "G + G");
        assertEq(h.g1Add(g1, _group("g1Double")), _group("g1Triple"), "G + 2G");
        assertEq(h.g1Add(infinity1, infinity1), infinity1, "O + O");
    }

    /// @notice G1ADD checks the curve, not the subgroup: callers must add only subgroup-checked points.
    function test_g1Add_acceptsAPointOutsideTheSubgroup() public view {
        bytes memory outside = _group("g1OutsideSubgroup");
        assertEq(h.g1Add(outside, infinity1), outside);
    }

    function test_g1Add_revertsOffTheCurve() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__PrecompileFailed.selector, address(0x0b)));
        h.g1Add(g1, _point1(1, 1));
    }

    function test_g1Add_revertsOnCoordinateNotBelowP() public {
        // G's x + p: the same residue, but not a canonical encoding.
        bytes memory big = bytes.concat(g1);
        _addPToElement(big, 0);
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__PrecompileFailed.selector, address(0x0b)));
        h.g1Add(big, infinity1);
    }

    function test_g1Add_revertsOnWrongLength() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__InvalidLength.selector, 128, 127));
        h.g1Add(new bytes(127), g1);
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__InvalidLength.selector, 128, 160));
        h.g1Add(g1, new bytes(160));
    }

    function test_g1AddInPlace_addsAnUnpaddedKey() public view {
        bytes memory key = BlsTestSigner.unpad(_group("g1Double"));
        (bool ok, bytes memory sum) = h.g1AddInPlace(g1, key);
        assertTrue(ok);
        assertEq(sum, _group("g1Triple"));
    }

    function test_g1AddInPlace_returnsFalseOffTheCurve() public view {
        (bool ok,) = h.g1AddInPlace(g1, BlsTestSigner.unpad(_point1(1, 1)));
        assertFalse(ok);
    }

    function test_g1AddInPlace_revertsOnWrongLength() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__InvalidLength.selector, 96, 95));
        h.g1AddInPlace(g1, new bytes(95));
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__InvalidLength.selector, 128, 96));
        h.g1AddInPlace(new bytes(96), new bytes(96));
    }

    function test_g2Add_knownAnswers() public view {
        assertEq(h.g2Add(g2, g2), _group("g2Double"), "G2 + G2");
        assertEq(h.g2Add(g2, infinity2), g2, "G2 + O");
    }

    function test_g2Add_revertsOffTheCurve() public {
        bytes memory bad = bytes.concat(g2);
        bad[255] ^= 0x01;
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__PrecompileFailed.selector, address(0x0d)));
        h.g2Add(g2, bad);
    }

    function test_g2Add_revertsOnWrongLength() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__InvalidLength.selector, 256, 255));
        h.g2Add(g2, new bytes(255));
    }

    function test_g1Mul_knownAnswers() public view {
        assertEq(h.g1Mul(g1, 2), _group("g1Double"));
        assertEq(h.g1Mul(g1, 3), _group("g1Triple"));
        assertEq(h.g1Mul(g1, R), infinity1, "r G = O");
        assertEq(h.g1Mul(g1, R - 1), h.negG1(), "(r - 1) G = -G");
    }

    /// @notice The MSM precompiles subgroup-check their points (unlike G1ADD).
    function test_g1Mul_revertsOutsideTheSubgroup() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__PrecompileFailed.selector, address(0x0c)));
        h.g1Mul(_group("g1OutsideSubgroup"), 2);
    }

    function test_g2Mul_knownAnswers() public view {
        assertEq(h.g2Mul(g2, 2), _group("g2Double"));
        assertEq(h.g2Mul(g2, R), infinity2, "r G2 = O");
    }

    function test_g2Mul_revertsOutsideTheSubgroup() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__PrecompileFailed.selector, address(0x0e)));
        h.g2Mul(_group("g2OutsideSubgroup"), 2);
    }

    // ------------------------------------------------------------------ pairing

    function test_pairing2_bilinearity() public view {
        bytes memory g1Double = _group("g1Double");
        bytes memory g2Double = _group("g2Double");
        assertTrue(h.pairing2(g1Double, g2, h.negG1(), g2Double), "e(2G1, G2) = e(G1, 2G2)");
        assertTrue(h.pairing2(g1, g2, h.negG1(), g2), "e(G1, G2) = e(G1, G2)");
        assertFalse(h.pairing2(g1, g2, h.negG1(), g2Double), "e(G1, G2) != e(G1, 2G2)");
        assertFalse(h.pairing2(g1, g2, g1, g2), "e(G1, G2)^2 != 1");
    }

    /// @notice A precompile error is a false result, not a revert: off the curve, outside the subgroup, >= p.
    function test_pairing2_falseOnPrecompileError() public view {
        bytes memory negG1 = h.negG1();
        assertFalse(h.pairing2{gas: CALL_GAS}(_point1(1, 1), g2, negG1, g2), "G1 point off the curve");
        bytes memory outside1 = _group("g1OutsideSubgroup");
        assertFalse(h.pairing2{gas: CALL_GAS}(outside1, g2, negG1, g2), "G1 point outside the subgroup");
        bytes memory outside2 = _group("g2OutsideSubgroup");
        assertFalse(h.pairing2{gas: CALL_GAS}(g1, outside2, negG1, g2), "G2 point outside the subgroup");
        bytes memory big = bytes.concat(g1);
        _addPToElement(big, 0);
        assertFalse(h.pairing2{gas: CALL_GAS}(big, g2, negG1, g2), "coordinate >= p");
    }

    function test_pairing2_revertsOnWrongLength() public {
        bytes memory negG1 = h.negG1();
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__InvalidLength.selector, 256, 192));
        h.pairing2(g1, new bytes(192), negG1, g2);
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__InvalidLength.selector, 128, 96));
        h.pairing2(g1, g2, new bytes(96), g2);
    }

    // ------------------------------------------------------------------ encodings

    function test_padG1_layout() public view {
        bytes memory unpadded = _pattern(96);
        bytes memory padded = h.padG1(unpadded);
        assertEq(padded.length, 128);
        assertEq(padded, bytes.concat(bytes16(0), _slice(unpadded, 0, 48), bytes16(0), _slice(unpadded, 48, 48)));
        assertEq(h.padG1Calldata(unpadded), padded, "calldata variant");
        assertEq(BlsTestSigner.unpad(padded), unpadded, "round trip");
    }

    function test_padG2_layout() public view {
        bytes memory unpadded = _pattern(192);
        bytes memory padded = h.padG2(unpadded);
        bytes memory expected;
        for (uint256 k; k < 4; ++k) {
            expected = bytes.concat(expected, bytes16(0), _slice(unpadded, 48 * k, 48));
        }
        assertEq(padded, expected);
        assertEq(h.padG2Calldata(unpadded), padded, "calldata variant");
        assertEq(BlsTestSigner.unpad(padded), unpadded, "round trip");
    }

    function test_pad_revertsOnWrongLength() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__InvalidLength.selector, 96, 128));
        h.padG1(new bytes(128));
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__InvalidLength.selector, 96, 97));
        h.padG1Calldata(new bytes(97));
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__InvalidLength.selector, 192, 96));
        h.padG2(new bytes(96));
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__InvalidLength.selector, 192, 191));
        h.padG2Calldata(new bytes(191));
    }

    /// @notice The sign bit flips exactly between y = (p − 1) / 2 and (p + 1) / 2, in either word of y.
    function test_compressG1_signBitAtTheBoundary() public view {
        bytes16 hiHalf = bytes16(uint128(BlsLib.HALF_P_HI));
        bytes32 loHalf = bytes32(BlsLib.HALF_P_LO);
        bytes memory x = _slice(_pattern(96), 0, 48);
        x[0] = 0x01; // no flag bits of its own
        assertEq(_flags(x, hiHalf, loHalf), 0x80, "y = (p - 1) / 2");
        assertEq(_flags(x, hiHalf, bytes32(BlsLib.HALF_P_LO + 1)), 0xa0, "y = (p + 1) / 2");
        assertEq(_flags(x, hiHalf, bytes32(BlsLib.HALF_P_LO - 1)), 0x80, "y = (p - 3) / 2");
        assertEq(_flags(x, bytes16(uint128(BlsLib.HALF_P_HI + 1)), bytes32(0)), 0xa0, "high word above, low word 0");
        assertEq(_flags(x, bytes16(uint128(BlsLib.HALF_P_HI - 1)), bytes32(type(uint256).max)), 0x80, "high below");
        assertEq(_flags(x, bytes16(0), bytes32(uint256(1))), 0x80, "y = 1");
        assertEq(_flags(x, bytes16(uint128(BlsLib.P_HI)), bytes32(BlsLib.P_LO - 1)), 0xa0, "y = p - 1");
    }

    function test_compressG1_keepsX() public view {
        bytes memory pk = _bytes("keys", 3, "pk");
        bytes memory compressed = h.compressG1(pk);
        assertEq(compressed.length, 48);
        assertEq(uint8(compressed[0]) & 0x1f, uint8(pk[0]), "first byte of x under the flags");
        assertEq(_slice(compressed, 1, 47), _slice(pk, 1, 47));
    }

    function test_compressG1_infinity() public view {
        bytes memory expected = new bytes(48);
        expected[0] = 0xc0;
        assertEq(h.compressG1(new bytes(96)), expected);
    }

    function test_compressG1_revertsOnWrongLength() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__InvalidLength.selector, 96, 48));
        h.compressG1(new bytes(48));
    }

    function test_isInfinityG1() public view {
        assertTrue(h.isInfinityG1(infinity1));
        assertFalse(h.isInfinityG1(g1));
        for (uint256 k; k < 128; k += 31) {
            bytes memory p = new bytes(128);
            p[k] = 0x01;
            assertFalse(h.isInfinityG1(p), vm.toString(k));
        }
        bytes memory last = new bytes(128);
        last[127] = 0x80;
        assertFalse(h.isInfinityG1(last), "last byte");
    }

    function test_isInfinityG1_revertsOnWrongLength() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.BlsLib__InvalidLength.selector, 128, 96));
        h.isInfinityG1(new bytes(96));
    }

    // ------------------------------------------------------------------ gas (logged; the gas profile records Staking's)

    /// @notice Logs the execution gas of each hot operation (run with -vv); asserts only the EIP-2537 floors, which
    ///         the wrappers cannot go below (MAP 2 × 23,800 + G2ADD 600; 32,600 · 2 + 37,700; 375).
    function test_gas_operations() public {
        bytes memory message = bytes.concat(keccak256("spn"));
        uint256 hashGas = h.hashToG2Gas(message, h.dstSig());
        bytes memory hm = h.hashToG2(message, h.dstSig());
        bytes memory pk = BlsTestSigner.publicKey(5);
        bytes memory sig = BlsTestSigner.sign(5, message, BlsLib.DST_SIG);
        uint256 pairingGas = h.pairing2Gas(h.padG1(pk), hm, h.negG1(), h.padG2(sig));
        uint256 addGas = h.g1AddGas(g1, _group("g1Double"));
        uint256 addInPlaceGas = h.g1AddInPlaceGas(g1, pk);
        emit log_named_uint("hashToG2 (32-byte message) gas", hashGas);
        emit log_named_uint("pairing2 gas", pairingGas);
        emit log_named_uint("g1Add gas", addGas);
        emit log_named_uint("g1AddInPlace gas", addInPlaceGas);
        assertGe(hashGas, 2 * 23_800 + 600);
        assertGe(pairingGas, 102_900);
        assertGe(addGas, 375);
        assertGe(addInPlaceGas, 375);
    }

    // ------------------------------------------------------------------ helpers

    /// @dev A padded G1 encoding of small coordinates (x, y).
    function _point1(uint256 x, uint256 y) internal pure returns (bytes memory) {
        return abi.encode(uint256(0), x, uint256(0), y);
    }

    /// @dev Adds p to the padded element at `offset` of `data` (its 64 bytes as two words), in place.
    function _addPToElement(bytes memory data, uint256 offset) internal pure {
        uint256 hi;
        uint256 lo;
        assembly {
            hi := mload(add(add(data, 0x20), offset))
            lo := mload(add(add(data, 0x40), offset))
        }
        unchecked {
            uint256 newLo = lo + BlsLib.P_LO;
            hi += BlsLib.P_HI + (newLo < lo ? 1 : 0);
            lo = newLo;
        }
        assembly {
            mstore(add(add(data, 0x20), offset), hi)
            mstore(add(add(data, 0x40), offset), lo)
        }
    }

    /// @dev The flag bits compressG1 sets for the unpadded point (x, yHi ‖ yLo).
    function _flags(bytes memory x, bytes16 yHi, bytes32 yLo) internal view returns (uint8) {
        return uint8(h.compressG1(bytes.concat(x, yHi, yLo))[0]) & 0xe0;
    }

    function _pattern(uint256 length) internal pure returns (bytes memory out) {
        out = new bytes(length);
        for (uint256 k; k < length; ++k) {
            out[k] = bytes1(uint8(k * 7 + 1));
        }
    }

    function _slice(bytes memory data, uint256 start, uint256 length) internal pure returns (bytes memory out) {
        out = new bytes(length);
        for (uint256 k; k < length; ++k) {
            out[k] = data[start + k];
        }
    }
}
