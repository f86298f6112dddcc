// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {UnitBase} from "../unit/UnitBase.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {MessagesLib} from "../../contracts/libraries/MessagesLib.sol";
import {RewardLib} from "../../contracts/libraries/RewardLib.sol";
import {SortitionLib} from "../../contracts/libraries/SortitionLib.sol";
import {TreeLib} from "../../contracts/libraries/TreeLib.sol";

/// @notice Late proofs, pruned and replaced blocks never pay; withheld work stays in the pool.
contract LivenessTest is UnitBase {
    function setUp() public {
        _setUpNetwork();
    }

    function test_lateProof_rejectedAndUnpaid() public {
        Blk memory b = _proposeNext(HEIGHT);
        (bytes memory proof,) = _transcript(b.header, b.outputs, new address[](0));
        uint256 last = b.header.slot + rollup.proofWindow();
        _warpToSlot(last + 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__DeadlinePassed.selector, last + 1, last));
        rollup.submitProof(b.header, proof);
        assertEq(rollup.pool().balance, POOL);
        assertEq(rewardToken.balanceOf(address(this)), 0);
    }

    function test_lateProof_afterPruneRejected() public {
        Blk memory b = _proposeNext(HEIGHT);
        (bytes memory proof,) = _transcript(b.header, b.outputs, new address[](0));
        _warpToSlot(b.header.slot + rollup.proofWindow() + 1);
        rollup.prune();
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__WrongBlockNumber.selector, 1, 1));
        rollup.submitProof(b.header, proof);
    }

    function test_prunedBlock_neverPaysAndItsNumberIsReused() public {
        Blk memory pruned = _proposeNext(HEIGHT);
        (bytes memory oldProof, Credit[] memory oldCredits) =
            _transcript(pruned.header, pruned.outputs, new address[](0));
        _warpToSlot(pruned.header.slot + rollup.proofWindow() + 1);
        rollup.prune();

        Blk memory reused = _proposeNext(HEIGHT);
        assertEq(reused.header.number, pruned.header.number, "number reused");
        bytes32 newHash = MessagesLib.blockHash(reused.header);
        assertTrue(newHash != MessagesLib.blockHash(pruned.header));

        // The pruned header no longer matches block 1.
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__HeaderMismatch.selector, newHash, MessagesLib.blockHash(pruned.header)
            )
        );
        rollup.submitProof(pruned.header, oldProof);

        // The new block 1 is proven and paid; the pruned block's provers hold leaves of a root that was never recorded.
        Credit[] memory newCredits = _prove(reused);
        assertEq(rollup.getProvenBlock(1).blockHash, newHash);
        for (uint256 i; i < oldCredits.length; ++i) {
            if (_indexOf(newCredits, oldCredits[i].prover) != type(uint256).max) continue;
            IRollup.ClaimItem[] memory items = _oneItem(1, oldCredits, i);
            vm.prank(oldCredits[i].prover);
            vm.expectRevert(abi.encodeWithSelector(Errors.Rewards__InvalidProof.selector, oldCredits[i].prover, 1));
            rollup.claim(oldCredits[i].prover, items);
            break;
        }

        // Nor can the pruned header be used to report inactivity.
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__HeaderMismatch.selector, newHash, MessagesLib.blockHash(pruned.header)
            )
        );
        rollup.reportMissed(oldCredits[0].prover, pruned.header);
    }

    function test_prunedBlock_takesItsDescendantsWithIt() public {
        Blk memory first = _proposeNext(HEIGHT);
        Blk memory second = _proposeNext(HEIGHT);
        (bytes memory proof2,) = _transcript(second.header, second.outputs, new address[](0));
        // The child cannot be proven before its parent ...
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__WrongBlockNumber.selector, 1, 2));
        rollup.submitProof(second.header, proof2);
        // ... and once the parent expires both are gone, even though the child's own window is still open.
        _warpToSlot(first.header.slot + rollup.proofWindow() + 1);
        assertLe(rollup.currentSlot(), second.header.slot + rollup.proofWindow());
        rollup.prune();
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__WrongBlockNumber.selector, 1, 2));
        rollup.submitProof(second.header, proof2);
    }

    function test_replacedBlock_cannotBeProven() public {
        uint256 slot = _slotWithTwoSequencers(_firstFreeSlot());
        _warpToSlot(slot);
        address[] memory seqs = _sequencersByScore(slot);
        bytes32[] memory leaves = _leaves(HEIGHT, slot);
        bytes32[] memory outputs = _outputs(leaves, HEIGHT);
        bytes32 root = outputs[outputs.length - 1];

        MessagesLib.Header memory low = _headerFor(seqs[1], slot, root, HEIGHT);
        IRollup.Signature[] memory sigs = _attestations(_attesters(slot), slot, MessagesLib.blockHash(low));
        vm.prank(seqs[1]);
        rollup.propose(IRollup.ProposeArgs({slot: uint64(slot), txRoot: root, height: HEIGHT}), sigs);
        (bytes memory lowProof, Credit[] memory lowCredits) = _transcript(low, outputs, new address[](0));

        MessagesLib.Header memory high = _headerFor(seqs[0], slot, root, HEIGHT);
        sigs = _attestations(_attesters(slot), slot, MessagesLib.blockHash(high));
        vm.prank(seqs[0]);
        rollup.propose(IRollup.ProposeArgs({slot: uint64(slot), txRoot: root, height: HEIGHT}), sigs);

        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__HeaderMismatch.selector, MessagesLib.blockHash(high), MessagesLib.blockHash(low)
            )
        );
        rollup.submitProof(low, lowProof);

        // Same committee and outputs, but the results were signed over the replaced block's hash.
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Transcript__BadJobSignature.selector, lowCredits[0].prover, lowCredits[0].jobs[0]
            )
        );
        rollup.submitProof(high, lowProof);
        (bytes memory highProof,) = _transcript(high, outputs, new address[](0));
        rollup.submitProof(high, highProof);
        assertEq(_provenTip(), 1);
    }

    /// @dev Withheld work below the minimum coverage blocks the proof (the block is pruned, nobody is paid); the
    ///      pool is untouched.
    function test_withheldWork_belowMinimumCoverageCannotBeProven() public {
        Blk memory b = _proposeNext(HEIGHT);
        (bytes memory proof, Credit[] memory none) = _transcript(b.header, b.outputs, stakers);
        assertEq(none.length, 0);
        uint256 committee = SortitionLib.proverJobs(HEIGHT, rollup.roundHeight());
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__CoverageTooLow.selector, 0, RewardLib.requiredJobs(committee, MIN_COVERAGE_BPS)
            )
        );
        rollup.submitProof(b.header, proof);
        assertEq(rollup.pool().balance, POOL);
    }

    /// @dev Work withheld by half the committee: the withheld jobs' share of the provers' pot stays in the pool, and
    ///      the submitter's and sequencer's coverage parts shrink with the credited jobs.
    function test_withheldWork_staysInThePool() public {
        Blk memory b = _proposeNext(HEIGHT);
        // Every other credited job is withheld (left to the sequencer).
        uint256[] memory owner = _assignJobs(b.header, new address[](0));
        bool skip;
        for (uint256 j; j < owner.length; ++j) {
            if (owner[j] == 0) continue;
            if (skip) owner[j] = 0;
            skip = !skip;
        }
        (bytes memory proof, Credit[] memory c) = _transcriptOf(b.header, b.outputs, owner);
        uint256 jobs = _contributionCount(c);
        assertLt(jobs, _committeeJobs(HEIGHT));
        address seqWithdrawer = _withdrawerOf(b.header.proposer);
        rollup.submitProof(b.header, proof);
        assertEq(rollup.rewardsOwed(seqWithdrawer), _sequencerDue(jobs, HEIGHT), "bonus for credited jobs only");
        assertEq(rollup.rewardsOwed(address(this)), _submitterDue(jobs, HEIGHT), "submitter paid per credited job");
        uint256 reserved = PROVERS_REWARD * _creditedCost(c) / _totalProverCost(HEIGHT);
        RewardLib.Pool memory p = rollup.pool();
        assertEq(
            p.balance,
            POOL - _submitterDue(jobs, HEIGHT) - _sequencerDue(jobs, HEIGHT) - reserved,
            "the withheld share of the provers' pot stays in the pool"
        );
    }
}

/// @notice An underfunded pool never blocks a proof; every part is scaled by balance / due, rounded down.
contract UnderfundedPoolTest is UnitBase {
    uint256 internal constant AVAILABLE = 123e18 + 7;

    function setUp() public {
        _deploy();
        _fundPool(AVAILABLE);
        _registerAndActivate(STAKERS);
    }

    function test_underfundedPool_scalesEveryPartExactly() public {
        Blk memory b = _proposeNext(HEIGHT);
        (bytes memory proof, Credit[] memory c) = _transcript(b.header, b.outputs, new address[](0));
        uint256 jobs = _contributionCount(c);
        uint256 due = _submitterDue(jobs, HEIGHT) + _sequencerDue(jobs, HEIGHT) + PROVERS_REWARD;
        assertLt(AVAILABLE, due);
        uint256 sub = _submitterDue(jobs, HEIGHT) * AVAILABLE / due;
        uint256 seq = _sequencerDue(jobs, HEIGHT) * AVAILABLE / due;
        uint256 pot = PROVERS_REWARD * AVAILABLE / due;
        uint256 total = _totalProverCost(HEIGHT);
        uint256 reserved = pot * _creditedCost(c) / total;
        address submitter = makeAddr("submitter");

        vm.expectEmit(address(rollup));
        emit IRollup.BlockProven(
            1,
            MessagesLib.blockHash(b.header),
            submitter,
            _root(c),
            c.length,
            _committeeJobs(HEIGHT) - jobs,
            sub,
            seq,
            reserved
        );
        vm.prank(submitter);
        rollup.submitProof(b.header, proof);

        assertEq(rollup.rewardsOwed(submitter), sub);
        assertEq(rollup.rewardsOwed(_withdrawerOf(b.header.proposer)), seq);
        assertEq(rollup.getProvenBlock(1).proversPot, pot);
        RewardLib.Pool memory p = rollup.pool();
        assertEq(p.balance, AVAILABLE - sub - seq - reserved);
        assertEq(p.outstanding, reserved + sub + seq);
        assertEq(p.paid, 0);

        // Claims pay the scaled pot's shares.
        vm.prank(c[0].prover);
        uint256 paid = rollup.claim(c[0].prover, _oneItem(1, c, 0));
        assertEq(paid, pot * c[0].cost / total);
    }

    function test_underfundedPool_drainsThenPaysNothing() public {
        (, Credit[] memory c1) = _proposeAndProve(HEIGHT);
        uint256 left = rollup.pool().balance;
        Blk memory b = _proposeNext(HEIGHT);
        (bytes memory proof, Credit[] memory c) = _transcript(b.header, b.outputs, new address[](0));
        uint256 jobs = _contributionCount(c);
        uint256 due = _submitterDue(jobs, HEIGHT) + _sequencerDue(jobs, HEIGHT) + PROVERS_REWARD;
        uint256 before = rollup.rewardsOwed(address(this));
        rollup.submitProof(b.header, proof);
        assertEq(rollup.rewardsOwed(address(this)) - before, _submitterDue(jobs, HEIGHT) * left / due);
        assertEq(_provenTip(), 2);
        assertGt(c1.length, 0);
        // Accounting never promises more than was funded.
        RewardLib.Pool memory p = rollup.pool();
        assertEq(uint256(p.balance) + p.outstanding + p.paid, p.funded);
        assertEq(rewardToken.balanceOf(address(rollup)), uint256(p.balance) + p.outstanding);
    }

    function _root(Credit[] memory c) internal pure returns (bytes32) {
        bytes32[] memory leaves = new bytes32[](c.length);
        for (uint256 i; i < c.length; ++i) {
            leaves[i] = TreeLib.rewardLeaf(c[i].prover, uint64(c[i].cost));
        }
        return TreeLib.commutativeRoot(leaves);
    }
}

/// @notice With nothing funded, a proof is still accepted and pays nothing.
contract EmptyPoolTest is UnitBase {
    function setUp() public {
        _deploy();
        _registerAndActivate(STAKERS);
    }

    function test_emptyPool_provesWithoutPaying() public {
        (Blk memory b,) = _proposeAndProve(HEIGHT);
        assertEq(_provenTip(), 1);
        assertEq(rollup.rewardsOwed(address(this)), 0);
        assertEq(rollup.rewardsOwed(_withdrawerOf(b.header.proposer)), 0);
        assertEq(rollup.getProvenBlock(1).proversPot, 0);
        RewardLib.Pool memory p = rollup.pool();
        assertEq(p.balance, 0);
        assertEq(p.outstanding, 0);
        assertEq(p.paid, 0);
    }
}
