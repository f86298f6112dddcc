// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {UnitBase} from "../unit/UnitBase.sol";
import {Rollup} from "../../contracts/Rollup.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {MessagesLib} from "../../contracts/libraries/MessagesLib.sol";
import {SortitionLib} from "../../contracts/libraries/SortitionLib.sol";
import {TreeLib} from "../../contracts/libraries/TreeLib.sol";

/// @notice A transcript pays only the keys that signed their own eligible work for this block on this rollup: stolen,
///         replayed, ineligible, out-of-neighbourhood and double-counted contributions are rejected.
contract TranscriptForgeryTest is UnitBase {
    Rollup internal twin;
    Blk internal b;
    Credit[] internal credits;

    /// @dev These tests submit transcripts of one or two contributions to isolate what the verifier credits; the
    ///      minimum coverage is tested on its own (SubmitProofCoverageTest).
    function _rollupConfig() internal view override returns (Rollup.Config memory c) {
        c = super._rollupConfig();
        c.minCoverageBps = 0;
    }

    function setUp() public {
        _deploy();
        twin = new Rollup(_rollupConfig());
        _fundPool(POOL);
        _registerAndActivate(STAKERS);
        b = _proposeNext(HEIGHT);
        (, Credit[] memory c) = _transcript(b.header, b.outputs, new address[](0));
        for (uint256 i; i < c.length; ++i) {
            credits.push(c[i]);
        }
    }

    function _submit(bytes memory proof) internal {
        rollup.submitProof(b.header, proof);
    }

    function _roundOneJobs() internal view returns (uint256) {
        return SortitionLib.jobs(1, HEIGHT, rollup.roundHeight());
    }

    /// @notice Two distinct credited provers `victim`, `thief` and a round-1 job of the victim the thief may also take.
    function _victimAndThief() internal view returns (address victim, address thief, uint256 job) {
        uint256 d = rollup.neighbourhood();
        for (uint256 v; v < credits.length; ++v) {
            for (uint256 k; k < credits[v].jobs.length; ++k) {
                job = credits[v].jobs[k];
                if (job >= _roundOneJobs()) continue;
                for (uint256 t; t < credits.length; ++t) {
                    if (t == v) continue;
                    if ((_ownJob(credits[t].prover, b.header, 1) >> d) == (job >> d)) {
                        return (credits[v].prover, credits[t].prover, job);
                    }
                }
            }
        }
        revert("no neighbours");
    }

    // ------------------------------------------------------------------ proof stealing

    function test_transcript_resultSignedByAnotherKeyRejected() public {
        address victim = credits[0].prover;
        keyOf[victim] = keyOf[credits[1].prover];
        (bytes memory proof,) = _transcript(b.header, b.outputs, new address[](0));
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__BadJobSignature.selector, victim, credits[0].jobs[0]));
        _submit(proof);
    }

    function test_transcript_stolenContributionFiledUnderThiefRejected() public {
        (address victim, address thief, uint256 job) = _victimAndThief();
        // The thief copies the victim's signed result (job, r, vs) and files it under its own key.
        ProverWork memory w = _single(thief, victim, b.header, b.outputs, _one(job));
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__BadJobSignature.selector, thief, job));
        _submit(_encodeProof(b.outputs, _works(w)));
    }

    function test_transcript_copiedOutputPaysOnlyItsSigner() public {
        (address victim, address thief, uint256 job) = _victimAndThief();
        // The thief re-signs the victim's (public) output itself: valid, but the credit is the thief's alone.
        ProverWork memory w = _single(thief, thief, b.header, b.outputs, _one(job));
        _submit(_encodeProof(b.outputs, _works(w)));

        uint64 cost = uint64(_jobCost(job, HEIGHT));
        IRollup.ClaimItem[] memory items = new IRollup.ClaimItem[](1);
        items[0] = IRollup.ClaimItem({blockNumber: 1, cost: cost, proof: new bytes32[](0)});
        vm.prank(victim);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rewards__InvalidProof.selector, victim, 1));
        rollup.claim(victim, items);

        vm.prank(thief);
        uint256 paid = rollup.claim(thief, items);
        assertEq(paid, PROVERS_REWARD * cost / _totalProverCost(HEIGHT));
    }

    // ------------------------------------------------------------------ replay

    function test_transcript_resultsFromAnotherBlockRejected() public {
        MessagesLib.Header memory other = b.header;
        other.parentHash = keccak256("another parent"); // same slot and height: same committee, another block hash
        (bytes memory proof,) = _transcript(other, b.outputs, new address[](0));
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Transcript__BadJobSignature.selector, credits[0].prover, credits[0].jobs[0])
        );
        _submit(proof);
    }

    function test_transcript_resultsFromAnotherChainRejected() public {
        uint256 chainId = block.chainid;
        vm.chainId(chainId + 1);
        (bytes memory proof,) = _transcript(b.header, b.outputs, new address[](0));
        vm.chainId(chainId);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Transcript__BadJobSignature.selector, credits[0].prover, credits[0].jobs[0])
        );
        _submit(proof);
    }

    function test_transcript_resultsFromAnotherDeploymentRejected() public {
        Rollup original = rollup;
        rollup = twin;
        (bytes memory proof,) = _transcript(b.header, b.outputs, new address[](0));
        rollup = original;
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Transcript__BadJobSignature.selector, credits[0].prover, credits[0].jobs[0])
        );
        _submit(proof);
    }

    // ------------------------------------------------------------------ eligibility

    function test_transcript_proverNotInCommitteeRejected() public {
        address outsider = _notInCommittee(b.header);
        ProverWork memory w = _single(outsider, outsider, b.header, b.outputs, _one(_ownJob(outsider, b.header, 1)));
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__NotInCommittee.selector, outsider, 1));
        _submit(_encodeProof(b.outputs, _works(w)));
    }

    function test_transcript_jobOutsideNeighbourhoodRejected() public {
        address member = credits[0].prover;
        uint256 own = _ownJob(member, b.header, 1);
        uint256 far = (own + _roundOneJobs() / 2) % _roundOneJobs();
        require((far >> rollup.neighbourhood()) != (own >> rollup.neighbourhood()));
        ProverWork memory w = _single(member, member, b.header, b.outputs, _one(far));
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__OutsideNeighbourhood.selector, member, 1, far, own));
        _submit(_encodeProof(b.outputs, _works(w)));
    }

    function test_transcript_rootJobBelongsToTheProposer() public {
        address member = credits[0].prover;
        uint256 root = SortitionLib.proverJobs(HEIGHT, rollup.roundHeight());
        ProverWork memory w = _single(member, member, b.header, b.outputs, _one(root));
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__JobOutOfRange.selector, root, root));
        _submit(_encodeProof(b.outputs, _works(w)));
    }

    function test_transcript_exitedProverRejected() public {
        // Several stakers exit; in a block after their exit, one whose score would put it on the committee signs.
        address[] memory leavers = new address[](6);
        for (uint256 i; i < leavers.length; ++i) {
            leavers[i] = stakers[i];
            vm.prank(_withdrawerOf(stakers[i]));
            staking.initiateExit(stakers[i]);
        }
        _warpToEpoch(staking.getStaker(leavers[0]).exitEpoch);
        assertGt(rollup.currentSlot(), b.header.slot + rollup.proofWindow());
        rollup.prune(); // drops the unproven block 1 and samples the seed
        (uint256 slot,) = _nextUsableSlot(rollup.currentSlot(), rollup.attestationQuorum());
        _warpToSlot(slot);
        (MessagesLib.Header memory h, bytes32[] memory leaves) = _proposeBlock(slot, HEIGHT);
        bytes32[] memory outputs = _outputs(leaves, HEIGHT);

        address leaver;
        for (uint256 i; i < leavers.length && leaver == address(0); ++i) {
            if (rollup.scoreOf(leavers[i], slot) < _roundThreshold(1, h)) leaver = leavers[i];
        }
        require(leaver != address(0), "no leaver with a committee score");
        ProverWork memory w = _single(leaver, leaver, h, outputs, _one(_ownJob(leaver, h, 1)));
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__ProverNotActive.selector, leaver));
        rollup.submitProof(h, _encodeProof(outputs, _works(w)));
    }

    // ------------------------------------------------------------------ double counting

    function test_transcript_duplicateProverEntryRejected() public {
        ProverWork[] memory honest = _workOf(b.header, b.outputs, credits);
        ProverWork[] memory work = new ProverWork[](honest.length + 1);
        for (uint256 i; i < honest.length; ++i) {
            work[i < 1 ? i : i + 1] = honest[i];
        }
        work[1] = honest[0]; // the same prover listed twice in a row
        address p = honest[0].prover;
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__ProversNotAscending.selector, p, p));
        _submit(_encodeProof(b.outputs, work));
    }

    function test_transcript_sameJobTwiceByOneProverRejected() public {
        address p = credits[0].prover;
        uint256 job = credits[0].jobs[0];
        uint256[] memory jobs = new uint256[](2);
        (jobs[0], jobs[1]) = (job, job);
        ProverWork memory w = _single(p, p, b.header, b.outputs, jobs);
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__JobAlreadyContributed.selector, job));
        _submit(_encodeProof(b.outputs, _works(w)));
    }

    function test_transcript_sameJobByTwoProversRejected() public {
        (address victim, address thief, uint256 job) = _victimAndThief();
        ProverWork memory a = _single(victim, victim, b.header, b.outputs, _one(job));
        ProverWork memory c = _single(thief, thief, b.header, b.outputs, _one(job));
        ProverWork[] memory work = victim < thief ? _works(a, c) : _works(c, a);
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__JobAlreadyContributed.selector, job));
        _submit(_encodeProof(b.outputs, work));
    }

    // ------------------------------------------------------------------ forged outputs

    function test_transcript_forgedSubtreeCaughtAtTheRoot() public {
        // Forge a round-1 output and recompute its round-2 parent: every round-2 check passes, the root's fails.
        bytes32[] memory outputs = b.outputs;
        uint256 r2 = _roundOneJobs();
        outputs[0] = keccak256("forged");
        outputs[r2] = TreeLib.node(TreeLib.node(outputs[0], outputs[1]), TreeLib.node(outputs[2], outputs[3]));
        uint256 root = outputs.length - 1;
        bytes32 expected =
            TreeLib.node(TreeLib.node(outputs[r2], outputs[r2 + 1]), TreeLib.node(outputs[r2 + 2], outputs[r2 + 3]));
        (bytes memory proof,) = _transcript(b.header, outputs, new address[](0));
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Transcript__OutputMismatch.selector, 3, 0, expected, outputs[root])
        );
        _submit(proof);
    }
}
