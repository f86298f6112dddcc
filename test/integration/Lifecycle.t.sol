// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SPNTest} from "../utils/SPNTest.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {MessagesLib} from "../../contracts/libraries/MessagesLib.sol";
import {SortitionLib} from "../../contracts/libraries/SortitionLib.sol";

/// @notice A block's whole life on the devnet parameters: propose with quorum, prove with a transcript, pay, claim.
contract LifecycleTest is SPNTest {
    function setUp() public {
        _deploy();
        _fundPool(1_000_000e18);
        _registerAndActivate(32);
    }

    function test_proposeProveClaim() public {
        (uint256 slot,) = _nextUsableSlot(rollup.currentSlot(), rollup.attestationQuorum());
        _warpToSlot(slot);
        (MessagesLib.Header memory h, bytes32[] memory leaves) = _proposeBlock(slot, 6);
        assertEq(h.number, 1);

        (bytes memory proof, Credit[] memory credits) = _transcript(h, _outputs(leaves, 6), new address[](0));
        address seqWithdrawer = _withdrawerOf(h.proposer);
        uint256 seqBefore = rewardToken.balanceOf(seqWithdrawer);
        rollup.submitProof(h, proof);

        (, uint64 provenTip) = rollup.chain();
        assertEq(provenTip, 1);
        uint256 committee = SortitionLib.proverJobs(6, 2);
        uint256 jobs;
        for (uint256 i; i < credits.length; ++i) {
            jobs += credits[i].jobs.length;
        }
        // Rewards are owed until withdrawn.
        assertEq(rollup.withdrawRewards(address(this)), 10e18 * jobs / committee, "submitter reward");
        assertEq(rewardToken.balanceOf(address(this)), 10e18 * jobs / committee, "submitter reward");
        vm.prank(seqWithdrawer);
        rollup.withdrawRewards(seqWithdrawer);
        assertEq(rewardToken.balanceOf(seqWithdrawer) - seqBefore, 50e18 + 64e18 * jobs / committee, "sequencer reward");

        uint256 total = SortitionLib.totalProverCost(6, 2, rollup.costWeights());
        for (uint256 i; i < credits.length; ++i) {
            IRollup.ClaimItem[] memory items = new IRollup.ClaimItem[](1);
            items[0] =
                IRollup.ClaimItem({blockNumber: 1, cost: uint64(credits[i].cost), proof: _rewardProof(credits, i)});
            uint256 before = rewardToken.balanceOf(_withdrawerOf(credits[i].prover));
            vm.prank(credits[i].prover);
            rollup.claim(_withdrawerOf(credits[i].prover), items);
            assertEq(rewardToken.balanceOf(_withdrawerOf(credits[i].prover)) - before, 500e18 * credits[i].cost / total);
        }
    }
}
