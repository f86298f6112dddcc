// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {BlsVerifier} from "../../../contracts/BlsVerifier.sol";
import {IBlsVerifier} from "../../../contracts/interfaces/IBlsVerifier.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {BlsLib} from "../../../contracts/libraries/BlsLib.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {MessagesLib} from "../../../contracts/libraries/MessagesLib.sol";
import {SortitionLib} from "../../../contracts/libraries/SortitionLib.sol";
import {BlsTestSigner} from "../../utils/BlsTestSigner.sol";
import {BlsTransitions} from "../../utils/BlsTransitions.sol";

/// @notice Staking's BLS records and nothing else: `firstBlsMismatch` over records the test sets at will, including
///         records of keys no proof of possession would admit (to reach the verifier's defensive path).
contract BlsRecordsMock {
    mapping(address key => bytes32) public blsRecord;

    function setRecord(address key, bytes32 record) external {
        blsRecord[key] = record;
    }

    function firstBlsMismatch(address[] calldata keys, bytes32[] calldata records) external view returns (uint256 i) {
        for (; i < keys.length; ++i) {
            if (blsRecord[keys[i]] != records[i]) break;
        }
    }
}

/// @notice BlsVerifier.verify on a hand-built context (docs/design/bls-training-wheel.md §3.4): what it returns, and
///         each check's error, in check order.
/// @dev The context is a devnet block: N = 32 active, n = 6, m = 2, R = 2, so round 1 has 16 jobs, the expected
///      committee is min(32, 16) = 16 and 5,000 bps require 8 signers. Signers are arbitrary addresses whose score in
///      the slot is below the round-1 threshold, each with its own BLS key.
contract BlsVerifierTest is Test {
    using BlsTransitions for BlsTransitions.Signer[];

    uint256 internal constant REQUIRED = 8;
    uint32 internal constant EPOCH = 10;

    BlsVerifier internal verifier;
    BlsRecordsMock internal records;
    IBlsVerifier.TransitionContext internal ctx;
    /// @dev Committee members, ascending, each registered.
    BlsTransitions.Signer[] internal members;
    /// @dev A key scoring at or above the threshold, registered.
    BlsTransitions.Signer internal outsider;

    function setUp() public {
        verifier = new BlsVerifier();
        records = new BlsRecordsMock();
        ctx = IBlsVerifier.TransitionContext({
            domainSeparator: keccak256("unit.domain"),
            blockHash: keccak256("unit.block"),
            txRoot: keccak256("unit.txRoot"),
            preStateRoot: keccak256("unit.pre"),
            staking: IStaking(address(records)),
            slotSeed: keccak256("unit.seed"),
            epoch: EPOCH,
            activeCount: 32,
            height: 6,
            roundHeight: 2,
            redundancy: 2,
            thresholdBps: 5_000
        });
        uint256 threshold = _threshold();
        for (uint256 i; members.length < REQUIRED + 2 || outsider.key == address(0); ++i) {
            address key = address(uint160(uint256(keccak256(abi.encode("unit.signer", i)))));
            BlsTransitions.Signer memory s = _registered(key, EPOCH - 3, type(uint32).max);
            if (SortitionLib.score(key, ctx.slotSeed) < threshold) {
                if (members.length < REQUIRED + 2) members.push(s);
            } else if (outsider.key == address(0)) {
                outsider = s;
            }
        }
        BlsTransitions.Signer[] memory sorted = members;
        sorted.sort();
        for (uint256 i; i < sorted.length; ++i) {
            members[i] = sorted[i];
        }
    }

    // ------------------------------------------------------------------ helpers

    function _threshold() internal view returns (uint256) {
        return SortitionLib.roundThreshold(1, ctx.height, ctx.roundHeight, ctx.redundancy, ctx.activeCount);
    }

    /// @dev A signer with its test key, whose record the mock holds.
    function _registered(address key, uint32 activation, uint32 exit)
        internal
        returns (BlsTransitions.Signer memory s)
    {
        s = BlsTransitions.Signer({
            key: key,
            activationEpoch: activation,
            exitEpoch: exit,
            publicKey: BlsTestSigner.publicKey(BlsTransitions.secretKey(key))
        });
        records.setRecord(key, BlsTransitions.record(s));
    }

    function _first(uint256 count) internal view returns (BlsTransitions.Signer[] memory) {
        return BlsTransitions.take(members, count);
    }

    /// @dev The honest transition of `signers`: each signs the context's message.
    function _signed(BlsTransitions.Signer[] memory signers) internal view returns (bytes memory) {
        return BlsTransitions.encode(BlsTransitions.signEach(signers, BlsTransitions.message(ctx)), signers);
    }

    /// @dev Calldata position of the transition's first byte in `verify(ctx, transition)`: the selector, the static
    ///      context, the offset word and the length word.
    function _start() internal view returns (uint256) {
        return 4 + abi.encode(ctx).length + 64;
    }

    function _expect(bytes memory revertData) internal {
        vm.expectRevert(revertData);
    }

    function _verify(bytes memory transition) internal view returns (bytes32, uint256) {
        return verifier.verify(ctx, transition);
    }

    // ------------------------------------------------------------------ success

    function test_verify_returnsPostStateRootAndSigners() public view {
        (bytes32 post, uint256 signers) = _verify(_signed(_first(REQUIRED)));
        assertEq(post, keccak256(abi.encode(keccak256("spn.state"), ctx.preStateRoot, ctx.txRoot)), "stateRoot");
        assertEq(post, MessagesLib.stateRoot(ctx.preStateRoot, ctx.txRoot));
        assertEq(signers, REQUIRED);
    }

    function test_verify_acceptsMoreThanRequired() public view {
        (, uint256 signers) = _verify(_signed(_first(REQUIRED + 2)));
        assertEq(signers, REQUIRED + 2);
    }

    /// @dev One signature over the sum of keys: the same aggregate as signing separately.
    function test_verify_acceptsTheSumOfKeysSignature() public view {
        BlsTransitions.Signer[] memory s = _first(REQUIRED);
        _verify(BlsTransitions.encode(BlsTransitions.signSum(s, BlsTransitions.message(ctx)), s));
    }

    /// @dev A signer active from exactly this epoch, and one exiting the next: activation <= epoch < exit.
    function test_verify_acceptsActivityBoundaries() public {
        BlsTransitions.Signer[] memory s = _first(REQUIRED);
        s[0] = _registered(s[0].key, EPOCH, EPOCH + 1);
        _verify(_signed(s));
    }

    // ------------------------------------------------------------------ requiredSigners

    function test_requiredSigners_isBpsOfExpectedRoundOneSize() public view {
        // Testnet n = 11 (design §3.5): R · jobs(1) = 2 · 2^9 = 1,024 of N = 2,048 (N/2 = 1,024); half is 512.
        assertEq(verifier.requiredSigners(11, 2, 2, 2_048, 5_000), 512);
        // n = 3 with N large: R · jobs(1) = 4; half is 2.
        assertEq(verifier.requiredSigners(3, 2, 2, 1_000, 5_000), 2);
        // Devnet N = 32, n = 5: R · jobs(1) = 16 = N/2; half is 8.
        assertEq(verifier.requiredSigners(5, 2, 2, 32, 5_000), 8);
        // Capped at N/2: n = 11 on the devnet expects 16, not 1,024.
        assertEq(verifier.requiredSigners(11, 2, 2, 32, 5_000), 8);
        // Rounded up: 1 bps of 16 is one signer; 10,000 bps all 16.
        assertEq(verifier.requiredSigners(6, 2, 2, 32, 1), 1);
        assertEq(verifier.requiredSigners(6, 2, 2, 32, 10_000), 16);
        assertEq(verifier.requiredSigners(6, 2, 2, 32, 6_251), 11, "ceil(6,251 * 16 / 10,000) = ceil(10.0016)");
        // At least one, even when no committee is expected (N < 2).
        assertEq(verifier.requiredSigners(6, 2, 2, 1, 5_000), 1);
        assertEq(verifier.requiredSigners(6, 2, 2, 0, 5_000), 1);
    }

    function test_requiredSigners_usesRoundSize() public view {
        for (uint256 n = 3; n <= 12; ++n) {
            for (uint256 active = 1; active <= 4_096; active *= 4) {
                uint256 expected = SortitionLib.roundSize(1, n, 2, 2, active);
                uint256 want = (7_000 * expected + 9_999) / 10_000;
                assertEq(verifier.requiredSigners(n, 2, 2, active, 7_000), want == 0 ? 1 : want);
            }
        }
    }

    // ------------------------------------------------------------------ 1. header

    function test_verify_revertsOnShortHeader() public {
        bytes memory transition = new bytes(193);
        _expect(abi.encodeWithSelector(Errors.Bls__Malformed.selector, _start() + 194, _start() + 193));
        _verify(transition);
    }

    function test_verify_revertsOnEmptyTransition() public {
        bytes memory transition;
        _expect(abi.encodeWithSelector(Errors.Bls__Malformed.selector, _start() + 194, _start()));
        _verify(transition);
    }

    // ------------------------------------------------------------------ 2. signer count

    function test_verify_revertsOneShortOfRequired() public {
        bytes memory transition = _signed(_first(REQUIRED - 1));
        _expect(abi.encodeWithSelector(Errors.Bls__TooFewSigners.selector, REQUIRED - 1, REQUIRED));
        _verify(transition);
    }

    /// @dev The count is checked before the length: a short count with trailing bytes is too few signers.
    function test_verify_checksCountBeforeLength() public {
        bytes memory transition = bytes.concat(_signed(_first(REQUIRED - 1)), hex"00");
        _expect(abi.encodeWithSelector(Errors.Bls__TooFewSigners.selector, REQUIRED - 1, REQUIRED));
        _verify(transition);
    }

    function test_verify_revertsOnZeroSigners() public {
        bytes memory transition = new bytes(194);
        _expect(abi.encodeWithSelector(Errors.Bls__TooFewSigners.selector, 0, REQUIRED));
        _verify(transition);
    }

    // ------------------------------------------------------------------ 3. length

    function test_verify_revertsOnTrailingByte() public {
        bytes memory transition = bytes.concat(_signed(_first(REQUIRED)), hex"00");
        uint256 end = _start() + 194 + 124 * REQUIRED;
        _expect(abi.encodeWithSelector(Errors.Bls__Malformed.selector, end, end + 1));
        _verify(transition);
    }

    function test_verify_revertsOnMissingByte() public {
        bytes memory full = _signed(_first(REQUIRED));
        bytes memory transition = new bytes(full.length - 1);
        for (uint256 i; i < transition.length; ++i) {
            transition[i] = full[i];
        }
        uint256 end = _start() + 194 + 124 * REQUIRED;
        _expect(abi.encodeWithSelector(Errors.Bls__Malformed.selector, end, end - 1));
        _verify(transition);
    }

    /// @dev A count larger than the bytes hold: the exact length names where the transition should end.
    function test_verify_revertsOnCountAboveBytes() public {
        bytes memory transition = _signed(_first(REQUIRED));
        transition[193] = bytes1(uint8(REQUIRED + 1));
        uint256 start = _start();
        _expect(
            abi.encodeWithSelector(
                Errors.Bls__Malformed.selector, start + 194 + 124 * (REQUIRED + 1), start + 194 + 124 * REQUIRED
            )
        );
        _verify(transition);
    }

    // ------------------------------------------------------------------ 4. signers

    function test_verify_revertsOnUnsortedSigners() public {
        BlsTransitions.Signer[] memory s = _first(REQUIRED);
        (s[2], s[3]) = (s[3], s[2]);
        bytes memory transition = _signed(s);
        _expect(abi.encodeWithSelector(Errors.Bls__SignersNotAscending.selector, s[2].key, s[3].key));
        _verify(transition);
    }

    function test_verify_revertsOnRepeatedSigner() public {
        BlsTransitions.Signer[] memory s = _first(REQUIRED);
        s[4] = s[3];
        bytes memory transition = _signed(s);
        _expect(abi.encodeWithSelector(Errors.Bls__SignersNotAscending.selector, s[3].key, s[3].key));
        _verify(transition);
    }

    function test_verify_revertsOnZeroSigner() public {
        BlsTransitions.Signer[] memory s = _first(REQUIRED);
        s[0].key = address(0);
        bytes memory transition = BlsTransitions.encode(new bytes(192), s);
        _expect(abi.encodeWithSelector(Errors.Bls__SignersNotAscending.selector, address(0), address(0)));
        _verify(transition);
    }

    function test_verify_revertsOnSignerNotYetActive() public {
        BlsTransitions.Signer[] memory s = _first(REQUIRED);
        s[5] = _registered(s[5].key, EPOCH + 1, type(uint32).max);
        bytes memory transition = _signed(s);
        _expect(abi.encodeWithSelector(Errors.Bls__SignerNotActive.selector, s[5].key, EPOCH));
        _verify(transition);
    }

    function test_verify_revertsOnSignerExited() public {
        BlsTransitions.Signer[] memory s = _first(REQUIRED);
        s[1] = _registered(s[1].key, 0, EPOCH);
        bytes memory transition = _signed(s);
        _expect(abi.encodeWithSelector(Errors.Bls__SignerNotActive.selector, s[1].key, EPOCH));
        _verify(transition);
    }

    function test_verify_revertsOnSignerOutsideCommittee() public {
        BlsTransitions.Signer[] memory s = _first(REQUIRED + 1);
        s[REQUIRED] = outsider;
        s.sort();
        uint256 score = SortitionLib.score(outsider.key, ctx.slotSeed);
        bytes memory transition = _signed(s);
        _expect(abi.encodeWithSelector(Errors.Bls__NotInCommittee.selector, outsider.key, score, _threshold()));
        _verify(transition);
    }

    /// @dev Within a signer: ascending, then activity, then committee.
    function test_verify_checksSignerRulesInOrder() public {
        BlsTransitions.Signer[] memory s = _first(REQUIRED + 1);
        s[REQUIRED] = outsider;
        s.sort();
        // The outsider is also inactive: activity is checked first.
        for (uint256 i; i < s.length; ++i) {
            if (s[i].key == outsider.key) s[i].activationEpoch = EPOCH + 1;
        }
        bytes memory transition = BlsTransitions.encode(new bytes(192), s);
        _expect(abi.encodeWithSelector(Errors.Bls__SignerNotActive.selector, outsider.key, EPOCH));
        _verify(transition);
    }

    /// @dev Across signers, the first failing one: an unsorted pair at the front wins over an inactive last signer.
    function test_verify_reportsTheFirstFailingSigner() public {
        BlsTransitions.Signer[] memory s = _first(REQUIRED);
        s[REQUIRED - 1].activationEpoch = EPOCH + 1;
        (s[0], s[1]) = (s[1], s[0]);
        bytes memory transition = BlsTransitions.encode(new bytes(192), s);
        _expect(abi.encodeWithSelector(Errors.Bls__SignersNotAscending.selector, s[0].key, s[1].key));
        _verify(transition);
    }

    // ------------------------------------------------------------------ 5. records

    function test_verify_revertsOnUnregisteredSigner() public {
        BlsTransitions.Signer[] memory s = _first(REQUIRED);
        records.setRecord(s[6].key, bytes32(0));
        bytes memory transition = _signed(s);
        _expect(abi.encodeWithSelector(Errors.Bls__KeyMismatch.selector, s[6].key));
        _verify(transition);
    }

    function test_verify_revertsOnAnotherKey() public {
        BlsTransitions.Signer[] memory s = _first(REQUIRED);
        s[2].publicKey = s[3].publicKey;
        bytes memory transition = _signed(s);
        _expect(abi.encodeWithSelector(Errors.Bls__KeyMismatch.selector, s[2].key));
        _verify(transition);
    }

    /// @dev Epochs that make the signer active but are not the recorded ones (an exit since the record was read).
    function test_verify_revertsOnStaleEpochs() public {
        BlsTransitions.Signer[] memory s = _first(REQUIRED);
        s[7].exitEpoch = EPOCH + 5;
        bytes memory transition = _signed(s);
        _expect(abi.encodeWithSelector(Errors.Bls__KeyMismatch.selector, s[7].key));
        _verify(transition);
    }

    /// @dev Every signer-rule failure comes before any record check.
    function test_verify_checksSignersBeforeRecords() public {
        BlsTransitions.Signer[] memory s = _first(REQUIRED);
        records.setRecord(s[0].key, bytes32(0));
        s[7].activationEpoch = EPOCH + 1;
        bytes memory transition = _signed(s);
        _expect(abi.encodeWithSelector(Errors.Bls__SignerNotActive.selector, s[7].key, EPOCH));
        _verify(transition);
    }

    // ------------------------------------------------------------------ 6. aggregation (defensive)

    /// @dev Unreachable with Staking (every record's key passed a pairing): a recorded key off the curve fails G1ADD,
    ///      reported as that key's mismatch.
    function test_verify_revertsOnRecordedKeyOffTheCurve() public {
        BlsTransitions.Signer[] memory s = _first(REQUIRED);
        s[4].publicKey[95] ^= bytes1(0x01);
        records.setRecord(s[4].key, BlsTransitions.record(s[4]));
        bytes memory transition = BlsTransitions.encode(new bytes(192), s);
        _expect(abi.encodeWithSelector(Errors.Bls__KeyMismatch.selector, s[4].key));
        _verify(transition);
    }

    // ------------------------------------------------------------------ 7. infinity

    /// @dev Only an owner of both pk and -pk can cancel them (design §3.4): with records for both, the sum is infinity.
    function test_verify_revertsOnAggregateAtInfinity() public {
        BlsTransitions.Signer[] memory s = _first(REQUIRED);
        // s[1] carries -pk of s[0] (the key of r - sk) under its own record.
        s[1].publicKey = BlsTestSigner.publicKey(BlsTransitions.R - BlsTransitions.secretKey(s[0].key));
        records.setRecord(s[1].key, BlsTransitions.record(s[1]));
        // And the others cancel pairwise likewise.
        for (uint256 i = 2; i + 1 < REQUIRED; i += 2) {
            s[i + 1].publicKey = BlsTestSigner.publicKey(BlsTransitions.R - BlsTransitions.secretKey(s[i].key));
            records.setRecord(s[i + 1].key, BlsTransitions.record(s[i + 1]));
        }
        bytes memory transition = BlsTransitions.encode(new bytes(192), s);
        _expect(abi.encodeWithSelector(Errors.Bls__AggregateIsInfinity.selector));
        _verify(transition);
    }

    // ------------------------------------------------------------------ 8. signature

    function test_verify_revertsOnSignatureOfAnotherMessage() public {
        BlsTransitions.Signer[] memory s = _first(REQUIRED);
        bytes memory sig = BlsTransitions.signEach(s, "another message");
        bytes memory transition = BlsTransitions.encode(sig, s);
        _expect(abi.encodeWithSelector(Errors.Bls__BadSignature.selector));
        _verify(transition);
    }

    function test_verify_revertsWhenOneSignerDidNotSign() public {
        BlsTransitions.Signer[] memory s = _first(REQUIRED);
        bytes memory sig = BlsTransitions.signEach(BlsTransitions.take(s, REQUIRED - 1), BlsTransitions.message(ctx));
        bytes memory transition = BlsTransitions.encode(sig, s);
        _expect(abi.encodeWithSelector(Errors.Bls__BadSignature.selector));
        _verify(transition);
    }

    function test_verify_revertsOnSignatureAtInfinity() public {
        bytes memory transition = BlsTransitions.encode(new bytes(192), _first(REQUIRED));
        _expect(abi.encodeWithSelector(Errors.Bls__BadSignature.selector));
        _verify(transition);
    }

    /// @dev A signature under the PoP DST of the same message is another point.
    function test_verify_revertsOnSignatureUnderTheWrongDst() public {
        BlsTransitions.Signer[] memory s = _first(REQUIRED);
        bytes[] memory sigs = new bytes[](s.length);
        for (uint256 i; i < s.length; ++i) {
            sigs[i] =
                BlsTestSigner.sign(BlsTransitions.secretKey(s[i].key), BlsTransitions.message(ctx), BlsLib.DST_POP);
        }
        bytes memory transition = BlsTransitions.encode(BlsTestSigner.aggregateSignatures(sigs), s);
        _expect(abi.encodeWithSelector(Errors.Bls__BadSignature.selector));
        _verify(transition);
    }

    /// @dev Each input of the message matters: a signature over any other field is refused.
    function test_verify_revertsWhenAnyContextFieldDiffers() public {
        bytes memory transition = _signed(_first(REQUIRED));
        IBlsVerifier.TransitionContext memory good = ctx;
        for (uint256 f; f < 4; ++f) {
            IBlsVerifier.TransitionContext memory other = good;
            if (f == 0) other.domainSeparator = keccak256("other domain");
            if (f == 1) other.blockHash = keccak256("other block");
            if (f == 2) other.txRoot = keccak256("other txRoot");
            if (f == 3) other.preStateRoot = keccak256("other pre");
            vm.expectRevert(abi.encodeWithSelector(Errors.Bls__BadSignature.selector));
            verifier.verify(other, transition);
        }
    }
}
