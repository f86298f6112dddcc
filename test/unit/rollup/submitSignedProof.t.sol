// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RollupBase} from "./RollupBase.sol";
import {TrainingWheelBase} from "./TrainingWheelBase.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {MessagesLib} from "../../../contracts/libraries/MessagesLib.sol";
import {RewardLib} from "../../../contracts/libraries/RewardLib.sol";
import {TreeLib} from "../../../contracts/libraries/TreeLib.sol";
import {BlsTransitions} from "../../utils/BlsTransitions.sol";

/// @notice Rollup.submitSignedProof with the wheel on for good (docs/design/bls-training-wheel.md §3.2): what it books,
///         the state root it chains, and its errors in check order; submitProof is refused meanwhile.
contract SubmitSignedProofTest is TrainingWheelBase {
    Blk internal b;
    bytes internal proof;
    bytes internal transition;
    address internal submitter = makeAddr("submitter");

    function setUp() public override {
        super.setUp();
        b = _proposeNext(HEIGHT);
        (proof, transition) = _signedProof(b);
    }

    function _submit(MessagesLib.Header memory h, bytes memory p, bytes memory t) internal {
        vm.prank(submitter);
        rollup.submitSignedProof(h, p, t);
    }

    // ------------------------------------------------------------------ success

    function test_submitSignedProof_provesBlockAndAdvancesStateRoot() public {
        assertEq(rollup.provenStateRoot(), bytes32(0), "stateRoot(0)");
        _submit(b.header, proof, transition);
        assertEq(_provenTip(), 1);
        assertEq(rollup.getProvenBlock(1).blockHash, MessagesLib.blockHash(b.header));
        assertEq(rollup.provenStateRoot(), MessagesLib.stateRoot(bytes32(0), b.header.txRoot));
    }

    /// @dev BlockProven first, as submitProof emits it, then TransitionSigned with the new state root.
    function test_submitSignedProof_emitsBlockProvenThenTransitionSigned() public {
        (, Credit[] memory credits) = _transcript(b.header, b.outputs, new address[](0));
        uint256 jobs = _contributionCount(credits);
        bytes32 post = MessagesLib.stateRoot(bytes32(0), b.header.txRoot);
        vm.expectEmit(address(rollup));
        emit IRollup.BlockProven(
            1,
            MessagesLib.blockHash(b.header),
            submitter,
            _rewardsRoot(credits),
            credits.length,
            _committeeJobs(HEIGHT) - jobs,
            _submitterDue(jobs, HEIGHT),
            _sequencerDue(jobs, HEIGHT),
            PROVERS_REWARD * _creditedCost(credits) / _totalProverCost(HEIGHT)
        );
        vm.expectEmit(address(rollup));
        emit IRollup.TransitionSigned(1, post, _required(b.header));
        _submit(b.header, proof, transition);
    }

    /// @dev The wheel adds a check, not a reward: the same books as submitProof would keep.
    function test_submitSignedProof_creditsAsSubmitProof() public {
        (, Credit[] memory credits) = _transcript(b.header, b.outputs, new address[](0));
        uint256 jobs = _contributionCount(credits);
        _submit(b.header, proof, transition);
        assertEq(rollup.rewardsOwed(submitter), _submitterDue(jobs, HEIGHT));
        assertEq(rollup.rewardsOwed(_withdrawerOf(b.header.proposer)), _sequencerDue(jobs, HEIGHT));
        assertEq(rollup.getProvenBlock(1).rewardsRoot, _rewardsRoot(credits));
    }

    /// @dev The whole round-1 committee may sign, not only the quorum.
    function test_submitSignedProof_acceptsTheWholeCommittee() public {
        BlsTransitions.Signer[] memory all = _committee(b.header);
        assertGt(all.length, _required(b.header), "fixture: more members than the quorum");
        vm.expectEmit(address(rollup));
        emit IRollup.TransitionSigned(1, MessagesLib.stateRoot(bytes32(0), b.header.txRoot), all.length);
        _submit(b.header, proof, _signedTransition(b.header, all));
    }

    /// @dev stateRoot(n) = keccak256(STATE_TAG, stateRoot(n - 1), txRoot(n)): each transition is signed over the root
    ///      the previous one left.
    function test_submitSignedProof_chainsStateRootOverThreeBlocks() public {
        bytes32 expected;
        _submit(b.header, proof, transition);
        expected = MessagesLib.stateRoot(expected, b.header.txRoot);
        assertEq(rollup.provenStateRoot(), expected, "block 1");
        for (uint256 n = 2; n <= 3; ++n) {
            Blk memory next = _proposeNext(HEIGHT);
            assertEq(next.header.number, n);
            (bytes memory p, bytes memory t) = _signedProof(next);
            _submit(next.header, p, t);
            expected = MessagesLib.stateRoot(expected, next.header.txRoot);
            assertEq(rollup.provenStateRoot(), expected, "chained root");
        }
        assertEq(_provenTip(), 3);
        assertTrue(expected != MessagesLib.stateRoot(bytes32(0), b.header.txRoot), "the root moved on");
    }

    // ------------------------------------------------------------------ submitProof while the wheel is on

    function test_submitProof_revertsWhileTheWheelIsOn() public {
        (bytes memory p,) = _transcript(b.header, b.outputs, new address[](0));
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__TrainingWheelOn.selector, 1, type(uint256).max));
        rollup.submitProof(b.header, p);
    }

    /// @dev The block number is checked first, in both entry points.
    function test_submitProof_checksNumberBeforeTheWheel() public {
        MessagesLib.Header memory h = b.header;
        h.number = 2;
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__WrongBlockNumber.selector, 1, 2));
        rollup.submitProof(h, proof);
    }

    // ------------------------------------------------------------------ reverts, in check order

    function test_submitSignedProof_revertsOnWrongNumber() public {
        MessagesLib.Header memory h = b.header;
        h.number = 2;
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__WrongBlockNumber.selector, 1, 2));
        _submit(h, proof, transition);
    }

    function test_submitSignedProof_revertsWhenAlreadyProven() public {
        _submit(b.header, proof, transition);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__WrongBlockNumber.selector, 2, 1));
        _submit(b.header, proof, transition);
    }

    function test_submitSignedProof_revertsOnHeaderMismatch() public {
        MessagesLib.Header memory h = b.header;
        h.txRoot = keccak256("forged");
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__HeaderMismatch.selector, MessagesLib.blockHash(b.header), MessagesLib.blockHash(h)
            )
        );
        _submit(h, proof, transition);
    }

    function test_submitSignedProof_revertsAfterDeadline() public {
        uint256 last = b.header.slot + rollup.proofWindow();
        _warpToSlot(last + 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__DeadlinePassed.selector, last + 1, last));
        _submit(b.header, proof, transition);
    }

    /// @dev The proof is verified before the transition: a bad transcript with a bad transition fails on the transcript.
    function test_submitSignedProof_checksProofBeforeTransition() public {
        bytes memory badProof = bytes.concat(proof, hex"00");
        assertEq(bytes4(_revertData(b.header, badProof, "")), Errors.Transcript__Malformed.selector);
    }

    /// @dev Coverage comes before the transition too.
    function test_submitSignedProof_checksCoverageBeforeTransition() public {
        (bytes memory empty,) = _transcript(b.header, b.outputs, stakers);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__CoverageTooLow.selector,
                0,
                RewardLib.requiredJobs(_committeeJobs(HEIGHT), MIN_COVERAGE_BPS)
            )
        );
        _submit(b.header, empty, "");
    }

    /// @dev The verifier's errors bubble up unchanged.
    function test_submitSignedProof_bubblesVerifierErrors() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.Bls__TooFewSigners.selector, 0, _required(b.header)));
        _submit(b.header, proof, new bytes(194));

        BlsTransitions.Signer[] memory quorum = _quorum(b.header);
        bytes memory unsigned = BlsTransitions.encode(new bytes(192), quorum);
        vm.expectRevert(abi.encodeWithSelector(Errors.Bls__BadSignature.selector));
        _submit(b.header, proof, unsigned);
    }

    /// @dev Malformed positions are the verifier's calldata positions (as Transcript__Malformed's): the Rollup encodes
    ///      `verify(TransitionContext, transition)` with the transition's bytes at 4 + 12 · 32 + 64 = 452.
    function test_submitSignedProof_reportsMalformedTransition() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.Bls__Malformed.selector, 452 + 194, 452 + 1));
        _submit(b.header, proof, hex"00");
    }

    function test_submitSignedProof_leavesNothingOnRevert() public {
        BlsTransitions.Signer[] memory quorum = _quorum(b.header);
        vm.expectRevert(abi.encodeWithSelector(Errors.Bls__BadSignature.selector));
        _submit(b.header, proof, BlsTransitions.encode(new bytes(192), quorum));
        assertEq(_provenTip(), 0);
        assertEq(rollup.provenStateRoot(), bytes32(0));
        assertEq(rollup.rewardsOwed(submitter), 0);
    }

    // ------------------------------------------------------------------ helpers

    function _revertData(MessagesLib.Header memory h, bytes memory p, bytes memory t) internal returns (bytes memory) {
        (bool ok, bytes memory data) = address(rollup).call(abi.encodeCall(rollup.submitSignedProof, (h, p, t)));
        assertFalse(ok, "expected a revert");
        return data;
    }

    function _rewardsRoot(Credit[] memory c) internal pure returns (bytes32) {
        bytes32[] memory leaves = new bytes32[](c.length);
        for (uint256 i; i < c.length; ++i) {
            leaves[i] = TreeLib.rewardLeaf(c[i].prover, uint64(c[i].cost));
        }
        return TreeLib.commutativeRoot(leaves);
    }
}

/// @notice The wheel's boundary: with `trainingWheelUntil = 3`, blocks 1 and 2 (until − 1) need submitSignedProof and
///         block 3 (until) needs submitProof; the state root stays where the wheel left it.
contract SubmitSignedProofUntilTest is TrainingWheelBase {
    uint256 internal constant UNTIL = 3;

    function _wheelUntil() internal pure override returns (uint256) {
        return UNTIL;
    }

    function test_wheel_onBelowUntil_offFromUntil() public {
        Blk memory b1 = _proposeNext(HEIGHT);
        _proveSigned(b1);

        // until − 1: still on.
        Blk memory b2 = _proposeNext(HEIGHT);
        (bytes memory p2, bytes memory t2) = _signedProof(b2);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__TrainingWheelOn.selector, UNTIL - 1, UNTIL));
        rollup.submitProof(b2.header, p2);
        rollup.submitSignedProof(b2.header, p2, t2);
        bytes32 root = MessagesLib.stateRoot(MessagesLib.stateRoot(bytes32(0), b1.header.txRoot), b2.header.txRoot);
        assertEq(rollup.provenStateRoot(), root);

        // until: off, for good.
        Blk memory b3 = _proposeNext(HEIGHT);
        (bytes memory p3, bytes memory t3) = _signedProof(b3);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__TrainingWheelOff.selector, UNTIL));
        rollup.submitSignedProof(b3.header, p3, t3);
        rollup.submitProof(b3.header, p3);
        assertEq(_provenTip(), UNTIL);
        assertEq(rollup.provenStateRoot(), root, "only signed proofs move the state root");

        Blk memory b4 = _proposeNext(HEIGHT);
        (bytes memory p4,) = _transcript(b4.header, b4.outputs, new address[](0));
        rollup.submitProof(b4.header, p4);
        assertEq(_provenTip(), UNTIL + 1);
    }
}

/// @notice Without a wheel (the fixture's default), submitSignedProof is refused for every block.
contract SubmitSignedProofWheelOffTest is RollupBase {
    function test_submitSignedProof_revertsWithoutTheWheel() public {
        Blk memory b = _proposeNext(HEIGHT);
        (bytes memory p,) = _transcript(b.header, b.outputs, new address[](0));
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__TrainingWheelOff.selector, 1));
        rollup.submitSignedProof(b.header, p, "");
        rollup.submitProof(b.header, p);
        assertEq(_provenTip(), 1);
        assertEq(rollup.provenStateRoot(), bytes32(0));
    }
}
