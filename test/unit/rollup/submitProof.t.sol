// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RollupBase} from "./RollupBase.sol";
import {Rollup} from "../../../contracts/Rollup.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {MessagesLib} from "../../../contracts/libraries/MessagesLib.sol";
import {RewardLib} from "../../../contracts/libraries/RewardLib.sol";
import {SortitionLib} from "../../../contracts/libraries/SortitionLib.sol";
import {TreeLib} from "../../../contracts/libraries/TreeLib.sol";

contract SubmitProofTest is RollupBase {
    Blk internal b;
    bytes internal proof;
    Credit[] internal credits;
    address internal submitter = makeAddr("submitter");

    function setUp() public override {
        super.setUp();
        b = _proposeNext(HEIGHT);
        (bytes memory p, Credit[] memory c) = _transcript(b.header, b.outputs, new address[](0));
        proof = p;
        for (uint256 i; i < c.length; ++i) {
            credits.push(c[i]);
        }
    }

    function _submit(MessagesLib.Header memory h, bytes memory p) internal {
        vm.prank(submitter);
        rollup.submitProof(h, p);
    }

    function _rewardsRoot(Credit[] memory c) internal pure returns (bytes32) {
        bytes32[] memory leaves = new bytes32[](c.length);
        for (uint256 i; i < c.length; ++i) {
            leaves[i] = TreeLib.rewardLeaf(c[i].prover, uint64(c[i].cost));
        }
        return TreeLib.commutativeRoot(leaves);
    }

    function _proverJobs() internal view returns (uint256) {
        return SortitionLib.proverJobs(HEIGHT, rollup.roundHeight());
    }

    // ------------------------------------------------------------------ success

    function test_submitProof_provesBlock() public {
        _submit(b.header, proof);
        assertEq(_provenTip(), 1);
        assertEq(_pendingTip(), 1);
        IRollup.ProvenBlock memory pb = rollup.getProvenBlock(1);
        assertEq(pb.blockHash, MessagesLib.blockHash(b.header));
        assertEq(pb.rewardsRoot, _rewardsRoot(credits));
        assertEq(pb.proversPot, PROVERS_REWARD);
        assertEq(pb.totalProverCost, _totalProverCost(HEIGHT));
        assertEq(rollup.blockHashOf(1), MessagesLib.blockHash(b.header));
    }

    function test_submitProof_emitsBlockProven() public {
        uint256 n = credits.length;
        uint256 jobs = _contributionCount(credits);
        uint256 reserved = PROVERS_REWARD * _creditedCost(credits) / _totalProverCost(HEIGHT);
        vm.expectEmit(address(rollup));
        emit IRollup.BlockProven(
            1,
            MessagesLib.blockHash(b.header),
            submitter,
            _rewardsRoot(credits),
            n,
            _proverJobs() - jobs,
            _submitterDue(jobs, HEIGHT),
            _sequencerDue(jobs, HEIGHT),
            reserved
        );
        _submit(b.header, proof);
    }

    /// @dev Pull payments: the proof credits owed balances and transfers nothing.
    function test_submitProof_creditsSubmitterAndSequencerWithdrawer() public {
        address seqWithdrawer = _withdrawerOf(b.header.proposer);
        uint256 jobs = _contributionCount(credits);
        _submit(b.header, proof);
        assertEq(rollup.rewardsOwed(submitter), _submitterDue(jobs, HEIGHT));
        assertEq(rollup.rewardsOwed(seqWithdrawer), _sequencerDue(jobs, HEIGHT));
        assertEq(rollup.rewardsOwed(b.header.proposer), 0, "the staking key is owed nothing");
        assertEq(rewardToken.balanceOf(submitter), 0, "nothing transferred at proof time");
        assertEq(rewardToken.balanceOf(seqWithdrawer), 0, "nothing transferred at proof time");
    }

    function test_submitProof_ownedRewardsWithdrawnByTheirOwners() public {
        address seqWithdrawer = _withdrawerOf(b.header.proposer);
        uint256 jobs = _contributionCount(credits);
        _submit(b.header, proof);
        address to = makeAddr("to");
        vm.prank(submitter);
        assertEq(rollup.withdrawRewards(to), _submitterDue(jobs, HEIGHT));
        vm.prank(seqWithdrawer);
        rollup.withdrawRewards(seqWithdrawer);
        assertEq(rewardToken.balanceOf(to), _submitterDue(jobs, HEIGHT));
        assertEq(rewardToken.balanceOf(seqWithdrawer), _sequencerDue(jobs, HEIGHT));
    }

    function test_submitProof_booksPool() public {
        uint256 jobs = _contributionCount(credits);
        uint256 reserved = PROVERS_REWARD * _creditedCost(credits) / _totalProverCost(HEIGHT);
        uint256 owed = _submitterDue(jobs, HEIGHT) + _sequencerDue(jobs, HEIGHT);
        _submit(b.header, proof);
        RewardLib.Pool memory p = rollup.pool();
        assertEq(p.funded, POOL);
        assertEq(p.balance, POOL - owed - reserved);
        assertEq(p.outstanding, reserved + owed, "owed rewards and the provers' reserve");
        assertEq(p.paid, 0, "nothing paid until withdrawn or claimed");
        assertEq(rewardToken.balanceOf(address(rollup)), uint256(p.balance) + p.outstanding);
    }

    /// @dev The submitter earns B^Submitter / committeeJobs per included contribution: stripping contributions from
    ///      an honest transcript lowers its own reward.
    function test_submitProof_strippingContributionsLowersTheSubmitterReward() public {
        uint256 jobs = _contributionCount(credits);
        // A front-runner copies the honest transcript and drops two contributions.
        uint256[] memory owner = _assignJobs(b.header, new address[](0));
        uint256 dropped;
        for (uint256 j; j < owner.length && dropped < 2; ++j) {
            if (owner[j] != 0) (owner[j], dropped) = (0, dropped + 1);
        }
        (bytes memory stripped, Credit[] memory c) = _transcriptOf(b.header, b.outputs, owner);
        uint256 fewer = _contributionCount(c);
        assertEq(fewer, jobs - 2);
        assertLt(fewer, jobs);
        _submit(b.header, stripped);
        assertEq(rollup.rewardsOwed(submitter), _submitterDue(fewer, HEIGHT));
        assertLt(rollup.rewardsOwed(submitter), _submitterDue(jobs, HEIGHT), "stripping pays less");
        assertGe(
            _submitterDue(jobs, HEIGHT) - rollup.rewardsOwed(submitter) + 1,
            (jobs - fewer) * (SUBMITTER_REWARD / _proverJobs()),
            "B / committeeJobs per stripped job"
        );
    }

    function test_submitProof_acceptsOnLastSlotOfWindow() public {
        _warpToSlot(b.header.slot + rollup.proofWindow());
        _submit(b.header, proof);
        assertEq(_provenTip(), 1);
    }

    /// @dev A transcript without contributions credits no committee job: below any positive minimum coverage.
    function test_submitProof_revertsWhenTranscriptEmpty() public {
        (bytes memory empty, Credit[] memory none) = _transcript(b.header, b.outputs, stakers);
        assertEq(none.length, 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__CoverageTooLow.selector, 0, RewardLib.requiredJobs(_proverJobs(), MIN_COVERAGE_BPS)
            )
        );
        _submit(b.header, empty);
    }

    function test_submitProof_countsUnfilledJobs() public {
        address[] memory offline = new address[](credits.length / 2);
        for (uint256 i; i < offline.length; ++i) {
            offline[i] = credits[2 * i].prover;
        }
        (bytes memory p, Credit[] memory c) = _transcript(b.header, b.outputs, offline);
        uint256 unfilled = _proverJobs() - _contributionCount(c);
        vm.expectEmit(address(rollup));
        emit IRollup.BlockProven(
            1,
            MessagesLib.blockHash(b.header),
            submitter,
            _rewardsRoot(c),
            c.length,
            unfilled,
            _submitterDue(_contributionCount(c), HEIGHT),
            _sequencerDue(_contributionCount(c), HEIGHT),
            PROVERS_REWARD * _creditedCost(c) / _totalProverCost(HEIGHT)
        );
        _submit(b.header, p);
    }

    function test_submitProof_acceptsReencodedTranscript() public {
        bytes memory p = _encodeProof(b.outputs, _workOf(b.header, b.outputs, credits));
        assertEq(p, proof, "UnitBase re-encoding matches the fixture");
        _submit(b.header, p);
    }

    function test_submitProof_provesBlocksInOrder() public {
        Blk memory second = _proposeNext(HEIGHT);
        _submit(b.header, proof);
        (bytes memory p,) = _transcript(second.header, second.outputs, new address[](0));
        _submit(second.header, p);
        assertEq(_provenTip(), 2);
        assertEq(rollup.getProvenBlock(2).blockHash, MessagesLib.blockHash(second.header));
    }

    function test_submitProof_samplesSeed() public {
        // The next epoch starts at most epochDuration (= proofWindow here) slots after the block's slot.
        uint256 epoch = _epochOf(b.header.slot) + 1;
        _warpToEpoch(epoch);
        assertLe(rollup.currentSlot(), b.header.slot + rollup.proofWindow());
        uint256 target = epoch + rollup.seedLookahead();
        vm.prevrandao(bytes32(uint256(5)));
        _submit(b.header, proof);
        assertEq(rollup.epochSeed(target), uint224(uint256(keccak256(abi.encode(uint256(5), target)))));
    }

    // ------------------------------------------------------------------ reverts: block

    function test_submitProof_revertsWhenNumberSkipsAhead() public {
        _proposeNext(HEIGHT);
        MessagesLib.Header memory h = b.header;
        h.number = 2;
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__WrongBlockNumber.selector, 1, 2));
        _submit(h, proof);
    }

    function test_submitProof_revertsWhenNumberIsGenesis() public {
        MessagesLib.Header memory h = b.header;
        h.number = 0;
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__WrongBlockNumber.selector, 1, 0));
        _submit(h, proof);
    }

    function test_submitProof_revertsWhenAlreadyProven() public {
        _submit(b.header, proof);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__WrongBlockNumber.selector, 2, 1));
        _submit(b.header, proof);
    }

    function test_submitProof_revertsWhenNothingPending() public {
        _warpToSlot(b.header.slot + rollup.proofWindow() + 1);
        rollup.prune();
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__WrongBlockNumber.selector, 1, 1));
        _submit(b.header, proof);
    }

    function test_submitProof_revertsWhenHeaderDiffers() public {
        MessagesLib.Header memory h = b.header;
        h.txRoot = keccak256("forged");
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__HeaderMismatch.selector, MessagesLib.blockHash(b.header), MessagesLib.blockHash(h)
            )
        );
        _submit(h, proof);
    }

    function test_submitProof_revertsWhenHeightDiffers() public {
        MessagesLib.Header memory h = b.header;
        h.height = HEIGHT - 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__HeaderMismatch.selector, MessagesLib.blockHash(b.header), MessagesLib.blockHash(h)
            )
        );
        _submit(h, proof);
    }

    function test_submitProof_revertsWhenDeadlinePassed() public {
        uint256 last = b.header.slot + rollup.proofWindow();
        _warpToSlot(last + 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__DeadlinePassed.selector, last + 1, last));
        _submit(b.header, proof);
    }

    // ------------------------------------------------------------------ reverts: transcript framing

    function test_submitProof_revertsWhenProofEmpty() public {
        uint256 at = _proofDataOffset();
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__Malformed.selector, at + 4, at));
        _submit(b.header, "");
    }

    function test_submitProof_revertsWhenProofTruncated() public {
        bytes memory p = proof;
        assembly {
            mstore(p, sub(mload(p), 1))
        }
        uint256 at = _proofDataOffset();
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__Malformed.selector, at + proof.length, at + p.length));
        _submit(b.header, p);
    }

    function test_submitProof_revertsWhenProofHasTrailingBytes() public {
        bytes memory p = bytes.concat(proof, bytes1(0));
        uint256 at = _proofDataOffset();
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__Malformed.selector, at + proof.length, at + p.length));
        _submit(b.header, p);
    }

    /// @dev A prover's contributions are bounds-checked together, before any of them: the error names the end of the
    ///      whole body the header announces.
    function test_submitProof_revertsWhenProverBodyLongerThanProof() public {
        bytes memory p = proof;
        uint256 header = 8 + 32 * b.outputs.length;
        uint256 count = uint16(bytes2(bytes.concat(p[header + 20], p[header + 21])));
        uint256 claimed = count + 1_000;
        p[header + 20] = bytes1(uint8(claimed >> 8));
        p[header + 21] = bytes1(uint8(claimed));
        uint256 at = _proofDataOffset();
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Transcript__Malformed.selector, at + header + 22 + 68 * claimed, at + p.length
            )
        );
        _submit(b.header, p);
    }

    function test_submitProof_revertsWhenOutputMissing() public {
        bytes32[] memory outputs = new bytes32[](b.outputs.length - 1);
        for (uint256 i; i < outputs.length; ++i) {
            outputs[i] = b.outputs[i];
        }
        (bytes memory p,) = _transcript(b.header, outputs, new address[](0));
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Transcript__OutputsLength.selector, b.outputs.length, outputs.length)
        );
        _submit(b.header, p);
    }

    function test_submitProof_revertsWhenOutputExtra() public {
        bytes32[] memory outputs = new bytes32[](b.outputs.length + 1);
        for (uint256 i; i < b.outputs.length; ++i) {
            outputs[i] = b.outputs[i];
        }
        (bytes memory p,) = _transcript(b.header, outputs, new address[](0));
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Transcript__OutputsLength.selector, b.outputs.length, outputs.length)
        );
        _submit(b.header, p);
    }

    // ------------------------------------------------------------------ reverts: outputs

    function test_submitProof_revertsWhenRoundOneOutputForged() public {
        bytes32[] memory outputs = b.outputs;
        outputs[0] = keccak256("forged");
        (bytes memory p,) = _transcript(b.header, outputs, new address[](0));
        bytes32 expected = TreeLib.node(TreeLib.node(outputs[0], outputs[1]), TreeLib.node(outputs[2], outputs[3]));
        uint256 firstRoundTwo = SortitionLib.jobs(1, HEIGHT, rollup.roundHeight());
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Transcript__OutputMismatch.selector, 2, 0, expected, outputs[firstRoundTwo])
        );
        _submit(b.header, p);
    }

    function test_submitProof_revertsWhenRootDiffersFromTxRoot() public {
        bytes32[] memory other = _outputs(_leaves(HEIGHT, 999), HEIGHT);
        (bytes memory p,) = _transcript(b.header, other, new address[](0));
        uint256 rounds = SortitionLib.rounds(HEIGHT, rollup.roundHeight());
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Transcript__OutputMismatch.selector, rounds, 0, b.header.txRoot, other[other.length - 1]
            )
        );
        _submit(b.header, p);
    }

    // ------------------------------------------------------------------ reverts: provers

    function test_submitProof_revertsWhenProversDescending() public {
        ProverWork[] memory work = _workOf(b.header, b.outputs, credits);
        (work[0], work[1]) = (work[1], work[0]);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Transcript__ProversNotAscending.selector, work[0].prover, work[1].prover)
        );
        _submit(b.header, _encodeProof(b.outputs, work));
    }

    function test_submitProof_revertsWhenProverIsZeroAddress() public {
        ProverWork[] memory work = _workOf(b.header, b.outputs, credits);
        work[0].prover = address(0);
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__ProversNotAscending.selector, address(0), address(0)));
        _submit(b.header, _encodeProof(b.outputs, work));
    }

    function test_submitProof_revertsWhenProverHasNoContribution() public {
        ProverWork[] memory work = _workOf(b.header, b.outputs, credits);
        work[1].contributions = new Contribution[](0);
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__EmptyContributions.selector, work[1].prover));
        _submit(b.header, _encodeProof(b.outputs, work));
    }

    function test_submitProof_revertsWhenProverNotRegistered() public {
        address fresh = _freshKeyBelow(b.header.slot, _roundThreshold(1, b.header));
        ProverWork memory w = _single(fresh, fresh, b.header, b.outputs, _one(_ownJob(fresh, b.header, 1)));
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__ProverNotActive.selector, fresh));
        _submit(b.header, _encodeProof(b.outputs, _works(w)));
    }

    function test_submitProof_revertsWhenProverNotActiveInBlockEpoch() public {
        // A key registered now is a committee member by score only from its activation epoch on.
        address late;
        do {
            _register(1);
            late = stakers[stakers.length - 1];
        } while (rollup.scoreOf(late, b.header.slot) >= _roundThreshold(1, b.header));
        ProverWork memory w = _single(late, late, b.header, b.outputs, _one(_ownJob(late, b.header, 1)));
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__ProverNotActive.selector, late));
        _submit(b.header, _encodeProof(b.outputs, _works(w)));
    }

    // ------------------------------------------------------------------ reverts: contributions

    function test_submitProof_revertsWhenJobIsTheRoot() public {
        uint256 root = _proverJobs();
        ProverWork memory w = _single(credits[0].prover, credits[0].prover, b.header, b.outputs, _one(root));
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__JobOutOfRange.selector, root, root));
        _submit(b.header, _encodeProof(b.outputs, _works(w)));
    }

    function test_submitProof_revertsWhenJobBeyondOutputs() public {
        ProverWork memory w = _single(credits[0].prover, credits[0].prover, b.header, b.outputs, _one(0));
        w.contributions[0].job = type(uint32).max;
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Transcript__JobOutOfRange.selector, type(uint32).max, _proverJobs())
        );
        _submit(b.header, _encodeProof(b.outputs, _works(w)));
    }

    function test_submitProof_revertsWhenJobRepeatedByOneProver() public {
        ProverWork[] memory work = _workOf(b.header, b.outputs, credits);
        Contribution[] memory twice = new Contribution[](2);
        twice[0] = work[0].contributions[0];
        twice[1] = work[0].contributions[0];
        work[0].contributions = twice;
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__JobAlreadyContributed.selector, twice[0].job));
        _submit(b.header, _encodeProof(b.outputs, work));
    }

    function test_submitProof_revertsWhenNotInRoundOneCommittee() public {
        address outsider = _notInCommittee(b.header);
        ProverWork memory w = _single(outsider, outsider, b.header, b.outputs, _one(_ownJob(outsider, b.header, 1)));
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__NotInCommittee.selector, outsider, 1));
        _submit(b.header, _encodeProof(b.outputs, _works(w)));
    }

    function test_submitProof_revertsWhenNotInRoundTwoCommittee() public {
        uint256 t1 = _roundThreshold(1, b.header);
        uint256 t2 = _roundThreshold(2, b.header);
        address member;
        for (uint256 i; i < stakers.length; ++i) {
            uint256 s = rollup.scoreOf(stakers[i], b.header.slot);
            if (s < t1 && s >= t2) member = stakers[i];
        }
        require(member != address(0), "no round-1-only member");
        uint256 job = SortitionLib.offset(2, HEIGHT, rollup.roundHeight()) + _ownJob(member, b.header, 2);
        ProverWork memory w = _single(member, member, b.header, b.outputs, _one(job));
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__NotInCommittee.selector, member, 2));
        _submit(b.header, _encodeProof(b.outputs, _works(w)));
    }

    function test_submitProof_revertsWhenOutsideNeighbourhood() public {
        address member = _inCommittee(b.header);
        uint256 own = _ownJob(member, b.header, 1);
        uint256 d = rollup.neighbourhood();
        uint256 far = own ^ (1 << d); // same position in the next neighbourhood over
        ProverWork memory w = _single(member, member, b.header, b.outputs, _one(far));
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__OutsideNeighbourhood.selector, member, 1, far, own));
        _submit(b.header, _encodeProof(b.outputs, _works(w)));
    }

    function test_submitProof_revertsWhenSignedByAnotherKey() public {
        address victim = credits[0].prover;
        address signer = credits[1].prover;
        keyOf[victim] = keyOf[signer];
        (bytes memory p,) = _transcript(b.header, b.outputs, new address[](0));
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__BadJobSignature.selector, victim, credits[0].jobs[0]));
        _submit(b.header, p);
    }

    function test_submitProof_revertsWhenSignatureIsZero() public {
        ProverWork[] memory work = _workOf(b.header, b.outputs, credits);
        work[0].contributions[0].r = bytes32(0);
        work[0].contributions[0].vs = bytes32(0);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Transcript__BadJobSignature.selector, work[0].prover, credits[0].jobs[0])
        );
        _submit(b.header, _encodeProof(b.outputs, work));
    }

    /// @dev s above secp256k1n / 2 (still below 2^255, so representable in compact form) is refused as OZ's ECDSA
    ///      refuses it, whatever key it recovers to.
    function test_submitProof_revertsWhenSignatureHasHighS() public {
        ProverWork[] memory work = _workOf(b.header, b.outputs, credits);
        uint256 vs = uint256(work[0].contributions[0].vs);
        work[0].contributions[0].vs = bytes32((vs & (1 << 255)) | (SECP256K1_ORDER / 2 + 1));
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Transcript__BadJobSignature.selector, work[0].prover, credits[0].jobs[0])
        );
        _submit(b.header, _encodeProof(b.outputs, work));
    }

    function test_submitProof_revertsWhenSignatureOverOtherOutput() public {
        ProverWork[] memory work = _workOf(b.header, b.outputs, credits);
        uint256 job = credits[0].jobs[0];
        work[0].contributions[0] = _signResult(credits[0].prover, MessagesLib.blockHash(b.header), job, keccak256("x"));
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__BadJobSignature.selector, work[0].prover, job));
        _submit(b.header, _encodeProof(b.outputs, work));
    }
}

/// @notice Minimum coverage at its boundary: exactly the required credited jobs pass, one less reverts; and a zero
///         minimum accepts a proof without contributions, paying only the sequencer's base.
contract SubmitProofCoverageTest is RollupBase {
    uint256 internal bps = MIN_COVERAGE_BPS;

    function _rollupConfig() internal view override returns (Rollup.Config memory c) {
        c = super._rollupConfig();
        c.minCoverageBps = bps;
    }

    /// @dev The honest transcript of `b` keeping only the first `keep` committee jobs (in job order) credited.
    function _keepJobs(Blk memory b, uint256 keep) internal view returns (bytes memory proof, uint256 credited) {
        address[] memory none = new address[](0);
        uint256[] memory owner = _assignJobs(b.header, none);
        for (uint256 j; j < owner.length; ++j) {
            if (owner[j] == 0) continue;
            if (credited == keep) owner[j] = 0;
            else ++credited;
        }
        (proof,) = _transcriptOf(b.header, b.outputs, owner);
    }

    function test_submitProof_acceptsExactlyTheRequiredCoverage() public {
        Blk memory b = _proposeNext(HEIGHT);
        uint256 required = RewardLib.requiredJobs(_committeeJobs(HEIGHT), bps);
        (bytes memory proof, uint256 credited) = _keepJobs(b, required);
        assertEq(credited, required, "the honest transcript has enough jobs");
        rollup.submitProof(b.header, proof);
        assertEq(_provenTip(), 1);
        assertEq(rollup.rewardsOwed(address(this)), _submitterDue(required, HEIGHT));
    }

    function test_submitProof_revertsOneJobBelowTheRequiredCoverage() public {
        Blk memory b = _proposeNext(HEIGHT);
        uint256 required = RewardLib.requiredJobs(_committeeJobs(HEIGHT), bps);
        (bytes memory proof, uint256 credited) = _keepJobs(b, required - 1);
        assertEq(credited, required - 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__CoverageTooLow.selector, required - 1, required));
        rollup.submitProof(b.header, proof);
    }

    function test_submitProof_requiredJobsRoundUp() public view {
        // 2500 bps of the 20 committee jobs at n = 6, m = 2 (16 + 4) is 5 exactly; of 21 it would be 5.25, so 6.
        assertEq(_committeeJobs(HEIGHT), 20);
        assertEq(RewardLib.requiredJobs(20, 2_500), 5);
        assertEq(RewardLib.requiredJobs(21, 2_500), 6);
        assertTrue(RewardLib.meetsCoverage(5, 20, 2_500));
        assertFalse(RewardLib.meetsCoverage(4, 20, 2_500));
        assertFalse(RewardLib.meetsCoverage(5, 21, 2_500));
    }
}

/// @notice With no minimum coverage, a proof without contributions proves the block and pays the sequencer's base.
contract SubmitProofNoMinimumTest is RollupBase {
    function _rollupConfig() internal view override returns (Rollup.Config memory c) {
        c = super._rollupConfig();
        c.minCoverageBps = 0;
    }

    function test_submitProof_acceptsEmptyTranscriptWithoutMinimum() public {
        Blk memory b = _proposeNext(HEIGHT);
        (bytes memory empty, Credit[] memory none) = _transcript(b.header, b.outputs, stakers);
        assertEq(none.length, 0);
        vm.expectEmit(address(rollup));
        emit IRollup.BlockProven(
            1,
            MessagesLib.blockHash(b.header),
            address(this),
            bytes32(0),
            0,
            _committeeJobs(HEIGHT),
            0,
            SEQUENCER_BASE,
            0
        );
        rollup.submitProof(b.header, empty);
        assertEq(rollup.getProvenBlock(1).proversPot, PROVERS_REWARD, "pot recorded even with nobody to claim it");
        assertEq(rollup.rewardsOwed(address(this)), 0, "no coverage, no submitter reward");
        assertEq(rollup.pool().outstanding, SEQUENCER_BASE, "only the sequencer's base is owed");
    }
}

/// @notice Parameters that would overflow the schedule or the stored cost are rejected at deployment, so every
///         accepted parameter set can prove blocks (and totalProverCost is stored exactly in 64 bits).
contract ParameterBoundsTest is RollupBase {
    /// @dev 32 stakers cannot cover a block of maxHeight; the bound under test is the stored cost, not coverage.
    function _rollupConfig() internal view override returns (Rollup.Config memory c) {
        c = super._rollupConfig();
        c.minCoverageBps = 0;
    }

    function _deployWith(Rollup.Config memory c) internal returns (bytes memory revertData) {
        try new Rollup(c) {
            return "";
        } catch (bytes memory reason) {
            return reason;
        }
    }

    function test_constructor_rejectsRedundancyThatOverflowsTheSchedule() public {
        Rollup.Config memory c = _rollupConfig();
        c.redundancy = type(uint256).max / 2;
        assertEq(_deployWith(c), abi.encodeWithSelector(Errors.Params__Invalid.selector, "redundancy above 2^32"));
    }

    function test_constructor_rejectsCostWeightsThatTruncateTheStoredTotal() public {
        Rollup.Config memory c = _rollupConfig();
        c.costs.vmProofCost = uint256(1) << 62;
        assertEq(_deployWith(c), abi.encodeWithSelector(Errors.Params__Invalid.selector, "cost weight above 2^32"));
        c.costs.vmProofCost = type(uint32).max;
        c.costs.vmProofsPerTx = type(uint32).max;
        assertEq(_deployWith(c), abi.encodeWithSelector(Errors.Params__Invalid.selector, "totalProverCost above 2^64"));
    }

    function test_submitProof_recordsTotalProverCostExactly() public {
        uint8 height = uint8(rollup.maxHeight());
        Blk memory b = _proposeNext(height);
        (bytes memory proof,) = _transcript(b.header, b.outputs, stakers);
        rollup.submitProof(b.header, proof);
        assertEq(
            uint256(rollup.getProvenBlock(1).totalProverCost),
            SortitionLib.totalProverCost(height, rollup.roundHeight(), rollup.costWeights())
        );
    }
}
