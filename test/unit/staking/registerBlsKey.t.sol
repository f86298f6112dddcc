// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StakingBase} from "./StakingBase.sol";
import {BlsTestSigner} from "../../utils/BlsTestSigner.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {BlsLib} from "../../../contracts/libraries/BlsLib.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";

/// @notice registerBlsKey's checks in order, the BLS record and its exit hook, and firstBlsMismatch
///         (docs/design/bls-training-wheel.md §2).
contract RegisterBlsKeyTest is StakingBase {
    /// @dev A registration expected to hit a failing pairing precompile burns the gas given to it (EIP-2537): cap it.
    uint256 internal constant CALL_GAS = 2_000_000;
    uint256 internal constant ALICE_SK = 0xa11ce;
    uint256 internal constant BOB_SK = 0xb0b;

    address internal bob;
    address internal bobWithdrawer = makeAddr("bobWithdrawer");
    bytes internal alicePk;
    bytes internal alicePop;

    function setUp() public override {
        super.setUp();
        bob = _newKey("bob");
        _depositAs(alice, aliceWithdrawer);
        _depositAs(bob, bobWithdrawer);
        alicePk = BlsTestSigner.publicKey(ALICE_SK);
        alicePop = BlsTestSigner.pop(ALICE_SK);
    }

    function _register(address key, bytes memory pk, bytes memory proof) internal {
        vm.prank(key);
        staking.registerBlsKey(pk, proof);
    }

    /// @dev The record as the design defines it, written out independently of BlsLib.keyRecord.
    function _record(bytes memory pk, uint32 activation, uint32 exit) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(keccak256(pk), activation, exit));
    }

    function _recordOf(address key, bytes memory pk) internal view returns (bytes32) {
        IStaking.Staker memory s = staking.getStaker(key);
        return _record(pk, s.activationEpoch, s.exitEpoch);
    }

    // ------------------------------------------------------------------ success

    function test_registerBlsKey_storesKeyHashAndRecord() public {
        _register(alice, alicePk, alicePop);
        assertEq(staking.blsKeyHash(alice), keccak256(alicePk));
        // Deposited in epoch 0 with D = 2, not exiting.
        assertEq(staking.blsRecord(alice), _record(alicePk, 2, type(uint32).max));
        assertEq(staking.blsKeyHash(bob), bytes32(0), "bob untouched");
        assertEq(staking.blsRecord(bob), bytes32(0), "bob untouched");
    }

    function test_registerBlsKey_emitsBlsKeyRegistered() public {
        vm.expectEmit(address(staking));
        emit IStaking.BlsKeyRegistered(alice, alicePk);
        _register(alice, alicePk, alicePop);
    }

    /// @notice The record carries the epochs as they are: here an exit already requested.
    function test_registerBlsKey_recordsTheEpochsOfAnExitingKey() public {
        _warpToEpoch(5);
        _exitAs(alice);
        _register(alice, alicePk, alicePop);
        assertEq(staking.blsRecord(alice), _record(alicePk, 2, 7));
    }

    /// @notice Design §2: a copied key under a second address is allowed (the PoP binds no address); the copier
    ///         cannot sign, so the copy only counts towards what the owner signed.
    function test_registerBlsKey_allowsTheSameKeyUnderTwoAddresses() public {
        _register(alice, alicePk, alicePop);
        _register(bob, alicePk, alicePop);
        assertEq(staking.blsKeyHash(bob), staking.blsKeyHash(alice));
    }

    // ------------------------------------------------------------------ check 1: a staking key

    function test_registerBlsKey_revertsWhenNotRegistered() public {
        address stranger = makeAddr("stranger");
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__NotRegistered.selector, stranger));
        staking.registerBlsKey(alicePk, alicePop);
    }

    /// @notice The withdrawer controls exit and stake, not the staking key's identity: it cannot register for it.
    function test_registerBlsKey_revertsForTheWithdrawer() public {
        vm.prank(aliceWithdrawer);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__NotRegistered.selector, aliceWithdrawer));
        staking.registerBlsKey(alicePk, alicePop);
    }

    function test_registerBlsKey_checksRegistrationBeforeTheKey() public {
        address stranger = makeAddr("stranger");
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__NotRegistered.selector, stranger));
        staking.registerBlsKey(new bytes(3), new bytes(3));
    }

    // ------------------------------------------------------------------ check 2: no BLS key yet

    function test_registerBlsKey_revertsWhenAKeyExists() public {
        _register(alice, alicePk, alicePop);
        bytes memory other = BlsTestSigner.publicKey(BOB_SK);
        bytes memory otherPop = BlsTestSigner.pop(BOB_SK);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__BlsKeyExists.selector, alice));
        staking.registerBlsKey(other, otherPop);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__BlsKeyExists.selector, alice));
        staking.registerBlsKey(alicePk, alicePop);
    }

    function test_registerBlsKey_checksExistenceBeforeTheKey() public {
        _register(alice, alicePk, alicePop);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__BlsKeyExists.selector, alice));
        staking.registerBlsKey(new bytes(96), new bytes(192));
    }

    // ------------------------------------------------------------------ check 3: lengths and KeyValidate

    function test_registerBlsKey_revertsOnKeyLength() public {
        bytes[3] memory bad = [new bytes(95), bytes.concat(alicePk, hex"00"), BlsLib.padG1(alicePk)];
        for (uint256 i; i < bad.length; ++i) {
            vm.prank(alice);
            vm.expectRevert(abi.encodeWithSelector(Errors.Staking__BlsInvalidKey.selector, alice));
            staking.registerBlsKey(bad[i], alicePop);
        }
    }

    function test_registerBlsKey_revertsOnProofLength() public {
        bytes[3] memory bad = [new bytes(191), bytes.concat(alicePop, hex"00"), BlsLib.padG2(alicePop)];
        for (uint256 i; i < bad.length; ++i) {
            vm.prank(alice);
            vm.expectRevert(abi.encodeWithSelector(Errors.Staking__BlsInvalidKey.selector, alice));
            staking.registerBlsKey(alicePk, bad[i]);
        }
    }

    /// @notice The key at infinity with proof O would pass the bare pairing (e(O, H)·e(−G1, O) = 1): check 3 stops it.
    function test_registerBlsKey_revertsOnTheKeyAtInfinity() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__BlsInvalidKey.selector, alice));
        staking.registerBlsKey(new bytes(96), new bytes(192));
    }

    // ------------------------------------------------------------------ check 4: proof of possession

    function test_registerBlsKey_revertsOnAnotherKeysProof() public {
        bytes memory bobPop = BlsTestSigner.pop(BOB_SK);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__BlsInvalidProof.selector, alice));
        staking.registerBlsKey(alicePk, bobPop);
    }

    /// @notice A signature of the compressed key under DST_SIG is a transition-style signature, not a PoP.
    function test_registerBlsKey_revertsOnAProofUnderDstSig() public {
        bytes memory underSig = BlsTestSigner.sign(ALICE_SK, BlsLib.compressG1(alicePk), BlsLib.DST_SIG);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__BlsInvalidProof.selector, alice));
        staking.registerBlsKey(alicePk, underSig);
    }

    /// @notice The PoP message is the 48-byte compressed key, not the 96-byte calldata form.
    function test_registerBlsKey_revertsOnAProofOfTheUncompressedKey() public {
        bytes memory uncompressed = BlsTestSigner.sign(ALICE_SK, alicePk, BlsLib.DST_POP);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__BlsInvalidProof.selector, alice));
        staking.registerBlsKey(alicePk, uncompressed);
    }

    function test_registerBlsKey_revertsOnAFlippedProofBit() public {
        for (uint256 k; k < 192; k += 37) {
            bytes memory flipped = bytes.concat(alicePop);
            flipped[k] ^= 0x04;
            vm.prank(alice);
            vm.expectRevert(abi.encodeWithSelector(Errors.Staking__BlsInvalidProof.selector, alice));
            staking.registerBlsKey{gas: CALL_GAS}(alicePk, flipped);
        }
    }

    function test_registerBlsKey_revertsOnAFlippedKeyBit() public {
        for (uint256 k; k < 96; k += 23) {
            bytes memory flipped = bytes.concat(alicePk);
            flipped[k] ^= 0x04;
            vm.prank(alice);
            vm.expectRevert(abi.encodeWithSelector(Errors.Staking__BlsInvalidProof.selector, alice));
            staking.registerBlsKey{gas: CALL_GAS}(flipped, alicePop);
        }
    }

    /// @notice −pk with −pop passes the pairing equation (both signs flip) and is a genuine key with a genuine proof
    ///         for the scalar −sk, so it is accepted; −pk with pop is not.
    function test_registerBlsKey_negatedKeyNeedsItsOwnProof() public {
        bytes memory negPk = BlsTestSigner.publicKey(_order() - ALICE_SK);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__BlsInvalidProof.selector, alice));
        staking.registerBlsKey(negPk, alicePop);
        _register(alice, negPk, BlsTestSigner.pop(_order() - ALICE_SK));
        assertEq(staking.blsKeyHash(alice), keccak256(negPk));
    }

    function test_registerBlsKey_failedProofLeavesNoState() public {
        bytes memory bobPop = BlsTestSigner.pop(BOB_SK);
        vm.prank(alice);
        try staking.registerBlsKey(alicePk, bobPop) {
            fail();
        } catch {}
        assertEq(staking.blsKeyHash(alice), bytes32(0));
        assertEq(staking.blsRecord(alice), bytes32(0));
        _register(alice, alicePk, alicePop);
    }

    // ------------------------------------------------------------------ exit hook

    function test_exitHook_initiateExitRewritesTheRecord() public {
        _register(alice, alicePk, alicePop);
        _warpToEpoch(4);
        _exitAs(alice);
        assertEq(staking.blsRecord(alice), _record(alicePk, 2, 6));
        assertEq(staking.blsRecord(alice), _recordOf(alice, alicePk));
        assertEq(staking.blsKeyHash(alice), keccak256(alicePk), "key hash unchanged");
    }

    function test_exitHook_ejectRewritesTheRecord() public {
        _register(alice, alicePk, alicePop);
        _warpToEpoch(3);
        vm.prank(address(rollup));
        staking.eject(alice);
        assertEq(staking.blsRecord(alice), _record(alicePk, 2, 5));
    }

    /// @notice An exit requested before activation gives exitEpoch == activationEpoch: never active, and the record
    ///         says so.
    function test_exitHook_exitBeforeActivation() public {
        _register(alice, alicePk, alicePop);
        _exitAs(alice);
        assertEq(staking.blsRecord(alice), _record(alicePk, 2, 2));
    }

    function test_exitHook_keyWithoutBlsKeyGetsNoRecord() public {
        _exitAs(bob);
        assertEq(staking.blsRecord(bob), bytes32(0));
        assertEq(staking.blsKeyHash(bob), bytes32(0));
    }

    function test_exitHook_withdrawalKeepsTheRecord() public {
        _register(alice, alicePk, alicePop);
        _warpToEpoch(3);
        _exitAs(alice);
        bytes32 record = staking.blsRecord(alice);
        _warpToEpoch(10);
        vm.prank(aliceWithdrawer);
        staking.withdraw(alice, aliceWithdrawer);
        assertEq(staking.blsRecord(alice), record);
    }

    // ------------------------------------------------------------------ firstBlsMismatch

    function test_firstBlsMismatch_returnsLengthWhenAllMatch() public {
        _register(alice, alicePk, alicePop);
        bytes memory bobPk = BlsTestSigner.publicKey(BOB_SK);
        _register(bob, bobPk, BlsTestSigner.pop(BOB_SK));
        (address[] memory ks, bytes32[] memory rs) =
            _pairs(alice, _recordOf(alice, alicePk), bob, _recordOf(bob, bobPk));
        assertEq(staking.firstBlsMismatch(ks, rs), 2);
    }

    function test_firstBlsMismatch_returnsTheFirstWrongRecord() public {
        _register(alice, alicePk, alicePop);
        bytes memory bobPk = BlsTestSigner.publicKey(BOB_SK);
        _register(bob, bobPk, BlsTestSigner.pop(BOB_SK));
        bytes32 good = _recordOf(alice, alicePk);
        bytes32 wrongEpoch = _record(alicePk, 2, 100);
        // Both deposited in epoch 0: each one's epochs with the other's key.
        bytes32 aliceKeyForBob = _record(alicePk, 2, type(uint32).max);
        bytes32 bobKeyForAlice = _record(bobPk, 2, type(uint32).max);

        (address[] memory ks, bytes32[] memory rs) = _pairs(alice, good, bob, aliceKeyForBob);
        assertEq(staking.firstBlsMismatch(ks, rs), 1, "bob with alice's key");
        (ks, rs) = _pairs(alice, wrongEpoch, bob, _recordOf(bob, bobPk));
        assertEq(staking.firstBlsMismatch(ks, rs), 0, "wrong exit epoch");
        (ks, rs) = _pairs(bob, _recordOf(bob, bobPk), alice, bobKeyForAlice);
        assertEq(staking.firstBlsMismatch(ks, rs), 1, "alice with bob's key");
    }

    /// @notice A key without a BLS key never matches, not even a claimed record of zero.
    function test_firstBlsMismatch_keyWithoutBlsKeyNeverMatches() public {
        _register(alice, alicePk, alicePop);
        (address[] memory ks, bytes32[] memory rs) = _pairs(alice, _recordOf(alice, alicePk), bob, bytes32(0));
        assertEq(staking.firstBlsMismatch(ks, rs), 1, "registered staker without BLS key");
        address stranger = makeAddr("stranger");
        (ks, rs) = _pairs(stranger, bytes32(0), alice, _recordOf(alice, alicePk));
        assertEq(staking.firstBlsMismatch(ks, rs), 0, "unregistered address");
    }

    function test_firstBlsMismatch_seesExits() public {
        _register(alice, alicePk, alicePop);
        bytes32 before = _recordOf(alice, alicePk);
        _warpToEpoch(3);
        _exitAs(alice);
        address[] memory ks = new address[](1);
        bytes32[] memory rs = new bytes32[](1);
        (ks[0], rs[0]) = (alice, before);
        assertEq(staking.firstBlsMismatch(ks, rs), 0, "the pre-exit record is stale");
        rs[0] = _recordOf(alice, alicePk);
        assertEq(staking.firstBlsMismatch(ks, rs), 1);
    }

    function test_firstBlsMismatch_returnsZeroForEmptyLists() public view {
        assertEq(staking.firstBlsMismatch(new address[](0), new bytes32[](0)), 0);
    }

    function test_firstBlsMismatch_revertsOnLengthMismatch() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__LengthMismatch.selector, 2, 1));
        staking.firstBlsMismatch(new address[](2), new bytes32[](1));
    }

    // ------------------------------------------------------------------ helpers

    function _order() internal pure returns (uint256) {
        return 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001;
    }

    function _pairs(address a, bytes32 ra, address b, bytes32 rb)
        internal
        pure
        returns (address[] memory ks, bytes32[] memory rs)
    {
        ks = new address[](2);
        rs = new bytes32[](2);
        (ks[0], ks[1]) = (a, b);
        (rs[0], rs[1]) = (ra, rb);
    }
}
