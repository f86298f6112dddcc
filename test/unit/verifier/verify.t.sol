// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {UnitBase} from "../UnitBase.sol";
import {TranscriptVerifier} from "../../../contracts/TranscriptVerifier.sol";
import {IProofVerifier} from "../../../contracts/interfaces/IProofVerifier.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {MessagesLib} from "../../../contracts/libraries/MessagesLib.sol";
import {SortitionLib} from "../../../contracts/libraries/SortitionLib.sol";
import {TreeLib} from "../../../contracts/libraries/TreeLib.sol";

/// @notice A staking contract whose activity check reverts with more than the 64 bytes of scratch space.
contract RevertingStaking {
    string internal constant REASON =
        "firstInactive failed: this reason is longer than the sixty-four bytes of Solidity's scratch space";

    function firstInactive(address[] calldata, uint256) external pure returns (uint256) {
        revert(REASON);
    }
}

/// @notice TranscriptVerifier's own entry points, called directly: it is stateless, so anyone may call it.
contract VerifyTest is UnitBase {
    Blk internal b;

    function setUp() public {
        _setUpNetwork();
        b = _proposeNext(HEIGHT);
    }

    function _ctx(MessagesLib.Header memory h) internal view returns (IProofVerifier.VerifyContext memory) {
        uint256 epoch = _epochOf(h.slot);
        return IProofVerifier.VerifyContext({
            blockHash: MessagesLib.blockHash(h),
            txRoot: h.txRoot,
            slotSeed: rollup.slotSeed(h.slot),
            domainSeparator: rollup.domainSeparator(),
            staking: staking,
            epoch: epoch,
            activeCount: staking.activeCount(epoch),
            height: h.height,
            roundHeight: rollup.roundHeight(),
            redundancy: rollup.redundancy(),
            neighbourhood: rollup.neighbourhood(),
            costs: rollup.costWeights()
        });
    }

    function test_verify_returnsWhatTheRollupRecords() public {
        (bytes memory proof, Credit[] memory c) = _transcript(b.header, b.outputs, new address[](0));
        IProofVerifier.VerifiedWork memory w = verifier.verify(_ctx(b.header), proof);

        bytes32[] memory leaves = new bytes32[](c.length);
        for (uint256 i; i < c.length; ++i) {
            leaves[i] = TreeLib.rewardLeaf(c[i].prover, uint64(c[i].cost));
        }
        assertEq(w.rewardsRoot, TreeLib.commutativeRoot(leaves));
        assertEq(w.creditedCost, _creditedCost(c));
        assertEq(w.distinctProvers, c.length);
        assertEq(w.unfilledJobs, SortitionLib.proverJobs(HEIGHT, rollup.roundHeight()) - _contributionCount(c));

        rollup.submitProof(b.header, proof);
        assertEq(rollup.getProvenBlock(1).rewardsRoot, w.rewardsRoot);
    }

    function test_verify_emptyTranscriptLeavesEveryJobUnfilled() public view {
        (bytes memory proof,) = _transcript(b.header, b.outputs, stakers);
        IProofVerifier.VerifiedWork memory w = verifier.verify(_ctx(b.header), proof);
        assertEq(w.rewardsRoot, bytes32(0));
        assertEq(w.creditedCost, 0);
        assertEq(w.distinctProvers, 0);
        assertEq(w.unfilledJobs, SortitionLib.proverJobs(HEIGHT, rollup.roundHeight()));
    }

    function test_verify_rejectsContextOfAnotherDomain() public {
        (bytes memory proof, Credit[] memory c) = _transcript(b.header, b.outputs, new address[](0));
        IProofVerifier.VerifyContext memory ctx = _ctx(b.header);
        ctx.domainSeparator = keccak256("another rollup");
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__BadJobSignature.selector, c[0].prover, c[0].jobs[0]));
        verifier.verify(ctx, proof);
    }

    function test_verify_rejectsContextWithAnotherTxRoot() public {
        (bytes memory proof,) = _transcript(b.header, b.outputs, new address[](0));
        IProofVerifier.VerifyContext memory ctx = _ctx(b.header);
        ctx.txRoot = keccak256("another root");
        uint256 rounds = SortitionLib.rounds(HEIGHT, rollup.roundHeight());
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Transcript__OutputMismatch.selector, rounds, 0, ctx.txRoot, b.outputs[b.outputs.length - 1]
            )
        );
        verifier.verify(ctx, proof);
    }

    function test_verify_malformedPositionsAreAbsolute() public {
        uint256 at = _proofDataOffset();
        IProofVerifier.VerifyContext memory ctx = _ctx(b.header);
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__Malformed.selector, at + 4, at));
        verifier.verify(ctx, "");
    }

    function test_schedule_matchesSortitionLib() public view {
        TranscriptVerifier.Schedule memory s = verifier.schedule(_ctx(b.header));
        uint256 m = rollup.roundHeight();
        assertEq(s.rounds.length, 3);
        assertEq(s.proverJobs, 20);
        assertEq(s.totalJobs, SortitionLib.totalJobs(HEIGHT, m));
        assertEq(s.leafMask, 63);
        for (uint256 r = 1; r <= s.rounds.length; ++r) {
            TranscriptVerifier.Round memory round = s.rounds[r - 1];
            assertEq(round.firstJob, SortitionLib.offset(r, HEIGHT, m));
            assertEq(round.endJob, SortitionLib.offset(r + 1, HEIGHT, m));
            assertEq(round.level, SortitionLib.level(r, HEIGHT, m));
            assertEq(round.threshold, _roundThreshold(r, b.header));
            assertEq(round.cost, SortitionLib.jobCost(r, HEIGHT, m, rollup.costWeights()));
        }
        assertEq(s.rounds[0].cost, 106);
        assertEq(s.rounds[1].cost, 6);
    }

    // ------------------------------------------------------------------ the verifier's own preconditions (§12.4)

    /// @dev A one-round block's only job is the root: outputs-only proof for it.
    function _rootOnlyProof(bytes32 root) internal pure returns (bytes memory) {
        return abi.encodePacked(uint32(1), root, uint32(0));
    }

    function test_verify_rejectsZeroRoundHeight() public {
        IProofVerifier.VerifyContext memory ctx = _ctx(b.header);
        ctx.roundHeight = 0;
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__ZeroRoundHeight.selector));
        verifier.verify(ctx, "");
    }

    /// @dev height == roundHeight: one round, the root, and no committee round. Was accepted with no provers.
    function test_verify_rejectsASingleRound() public {
        IProofVerifier.VerifyContext memory ctx = _ctx(b.header);
        ctx.height = ctx.roundHeight;
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Transcript__TooFewRounds.selector, ctx.roundHeight, ctx.roundHeight)
        );
        verifier.verify(ctx, _rootOnlyProof(ctx.txRoot));
    }

    function testFuzz_verify_rejectsHeightNotAboveRoundHeight(uint256 height, uint256 m) public {
        IProofVerifier.VerifyContext memory ctx = _ctx(b.header);
        ctx.roundHeight = bound(m, 1, type(uint256).max);
        ctx.height = bound(height, 0, ctx.roundHeight);
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__TooFewRounds.selector, ctx.height, ctx.roundHeight));
        verifier.verify(ctx, _rootOnlyProof(ctx.txRoot));
    }

    function test_verify_rejectsHeightAboveMax() public {
        IProofVerifier.VerifyContext memory ctx = _ctx(b.header);
        uint256[3] memory heights = [uint256(25), 256, type(uint256).max];
        for (uint256 i; i < heights.length; ++i) {
            ctx.height = heights[i];
            vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__HeightTooLarge.selector, heights[i], 24));
            verifier.verify(ctx, "");
        }
    }

    function test_schedule_acceptsTheMaximumHeight() public view {
        IProofVerifier.VerifyContext memory ctx = _ctx(b.header);
        ctx.height = 24;
        TranscriptVerifier.Schedule memory s = verifier.schedule(ctx);
        assertEq(s.totalJobs, SortitionLib.totalJobs(24, ctx.roundHeight));
    }

    function test_schedule_checksTheContextToo() public {
        IProofVerifier.VerifyContext memory ctx = _ctx(b.header);
        ctx.height = ctx.roundHeight;
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Transcript__TooFewRounds.selector, ctx.roundHeight, ctx.roundHeight)
        );
        verifier.schedule(ctx);
    }

    /// @dev Cost weights with totalProverCost(HEIGHT) = 64 * vmProofCost + 60 (m = 2: 16 jobs of 4 * vmProofCost + 3,
    ///      4 jobs of 3), checked against SortitionLib.
    function _costsWithTotal(uint256 vmProofCost)
        internal
        view
        returns (IProofVerifier.VerifyContext memory ctx, uint256 total)
    {
        ctx = _ctx(b.header);
        ctx.costs =
            SortitionLib.CostWeights({vmProofsPerTx: 1, vmProofCost: vmProofCost, baseProofCost: 0, mergeProofCost: 1});
        total = SortitionLib.totalProverCost(ctx.height, ctx.roundHeight, ctx.costs);
        assertEq(total, 64 * vmProofCost + 60);
    }

    /// @dev A leaf packs uint64 cost: a context whose totalProverCost exceeds it was accepted, and a prover's cost above
    ///      2^64 would have run into the address bits of its leaf.
    function test_verify_rejectsProverCostAbove64Bits() public {
        (bytes memory proof,) = _transcript(b.header, b.outputs, new address[](0));
        (IProofVerifier.VerifyContext memory ctx, uint256 total) =
            _costsWithTotal((uint256(type(uint64).max) - 60) / 64 + 1);
        assertGt(total, type(uint64).max);
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__ProverCostTooLarge.selector, total, type(uint64).max));
        verifier.verify(ctx, proof);
    }

    /// @dev A single job cost of 2^64 or more (where an unchecked sum could wrap) reports the exact total.
    function test_verify_rejectsAJobCostAbove64Bits() public {
        (IProofVerifier.VerifyContext memory ctx, uint256 total) = _costsWithTotal(uint256(type(uint128).max));
        vm.expectRevert(abi.encodeWithSelector(Errors.Transcript__ProverCostTooLarge.selector, total, type(uint64).max));
        verifier.verify(ctx, "");
    }

    function test_verify_acceptsProverCostAtTheBound() public view {
        (bytes memory proof, Credit[] memory c) = _transcript(b.header, b.outputs, new address[](0));
        (IProofVerifier.VerifyContext memory ctx, uint256 total) =
            _costsWithTotal((uint256(type(uint64).max) - 60) / 64);
        assertLe(total, type(uint64).max);
        assertGt(total, type(uint64).max - 64);
        IProofVerifier.VerifiedWork memory w = verifier.verify(ctx, proof);
        bytes32[] memory leaves = new bytes32[](c.length);
        uint256 credited;
        for (uint256 i; i < c.length; ++i) {
            uint256 cost;
            for (uint256 j; j < c[i].jobs.length; ++j) {
                (uint256 r,) = SortitionLib.roundOf(c[i].jobs[j], ctx.height, ctx.roundHeight);
                cost += SortitionLib.jobCost(r, ctx.height, ctx.roundHeight, ctx.costs);
            }
            leaves[i] = TreeLib.rewardLeaf(c[i].prover, uint64(cost));
            credited += cost;
        }
        assertEq(w.creditedCost, credited);
        assertEq(w.rewardsRoot, TreeLib.commutativeRoot(leaves));
    }

    /// @dev The activity call's revert data is bubbled whole, from free memory (it is longer than scratch space).
    function test_verify_bubblesLongStakingRevert() public {
        (bytes memory proof,) = _transcript(b.header, b.outputs, stakers);
        IProofVerifier.VerifyContext memory ctx = _ctx(b.header);
        RevertingStaking bad = new RevertingStaking();
        ctx.staking = IStaking(address(bad));
        vm.expectRevert(
            bytes("firstInactive failed: this reason is longer than the sixty-four bytes of Solidity's scratch space")
        );
        verifier.verify(ctx, proof);
    }
}
