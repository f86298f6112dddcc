// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {InactivityBase} from "./InactivityBase.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {MessagesLib} from "../../../contracts/libraries/MessagesLib.sol";

contract ClearWithRewardTest is InactivityBase {
    function test_clearWithReward_clearsReport() public {
        _report(staker, 0);
        vm.expectEmit(address(rollup));
        emit IRollup.ReportCleared(staker, headers[0].number, headers[0].number);
        _clearWithReward(staker, 0);
        _assertRecord(staker, headers[0].number, 0, 0, 0);
    }

    function test_clearWithReward_acceptsEarlierBlockInRange() public {
        _report(staker, 2);
        vm.expectEmit(address(rollup));
        emit IRollup.ReportCleared(staker, headers[2].number, headers[0].number);
        _clearWithReward(staker, 0);
        _assertRecord(staker, headers[2].number, 0, 0, 0);
    }

    function test_clearWithReward_resetsStrikes() public {
        _strike(0);
        _report(staker, 1);
        _clearWithReward(staker, 1);
        _assertRecord(staker, headers[1].number, 0, 0, 0);
    }

    function test_clearWithReward_acceptsOnLastGraceSlot() public {
        _report(staker, 0);
        _warpToSlot(_graceEnd());
        _clearWithReward(staker, 0);
        assertEq(rollup.getInactivity(staker).pendingBlock, 0);
    }

    function test_clearWithReward_callableByAnyone() public {
        _report(staker, 0);
        (uint64 cost, bytes32[] memory proof) = _rewardEvidence(staker, 0);
        MessagesLib.Header memory h = headers[0];
        vm.prank(makeAddr("anyone"));
        rollup.clearWithReward(staker, h, cost, proof);
        assertEq(rollup.getInactivity(staker).pendingBlock, 0);
    }

    // ------------------------------------------------------------------ reverts

    function test_clearWithReward_revertsWhenNoPendingReport() public {
        (uint64 cost, bytes32[] memory proof) = _rewardEvidence(staker, 0);
        MessagesLib.Header memory h = headers[0];
        vm.expectRevert(abi.encodeWithSelector(Errors.Inactivity__NoPendingReport.selector, staker));
        rollup.clearWithReward(staker, h, cost, proof);
    }

    function test_clearWithReward_revertsWhenGraceOver() public {
        _report(staker, 0);
        uint256 end = _graceEnd();
        _warpToSlot(end + 1);
        (uint64 cost, bytes32[] memory proof) = _rewardEvidence(staker, 0);
        MessagesLib.Header memory h = headers[0];
        vm.expectRevert(abi.encodeWithSelector(Errors.Inactivity__GraceOver.selector, end + 1, end));
        rollup.clearWithReward(staker, h, cost, proof);
    }

    function test_clearWithReward_revertsWhenEvidenceAfterPendingBlock() public {
        _report(staker, 0);
        (uint64 cost, bytes32[] memory proof) = _rewardEvidence(staker, 1);
        MessagesLib.Header memory h = headers[1];
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Inactivity__EvidenceBlockOutOfRange.selector, h.number, 0, headers[0].number)
        );
        rollup.clearWithReward(staker, h, cost, proof);
    }

    function test_clearWithReward_revertsWhenEvidenceNotAfterLastStrike() public {
        _strike(0);
        _report(staker, 1);
        (uint64 cost, bytes32[] memory proof) = _rewardEvidence(staker, 0);
        MessagesLib.Header memory h = headers[0];
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Inactivity__EvidenceBlockOutOfRange.selector, h.number, h.number, headers[1].number
            )
        );
        rollup.clearWithReward(staker, h, cost, proof);
    }

    function test_clearWithReward_revertsWhenHeaderDiffers() public {
        _report(staker, 0);
        (uint64 cost, bytes32[] memory proof) = _rewardEvidence(staker, 0);
        MessagesLib.Header memory h = headers[0];
        h.proposer = staker;
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__HeaderMismatch.selector, MessagesLib.blockHash(headers[0]), MessagesLib.blockHash(h)
            )
        );
        rollup.clearWithReward(staker, h, cost, proof);
    }

    function test_clearWithReward_revertsWhenCostWrong() public {
        _report(staker, 0);
        (uint64 cost, bytes32[] memory proof) = _rewardEvidence(staker, 0);
        MessagesLib.Header memory h = headers[0];
        vm.expectRevert(abi.encodeWithSelector(Errors.Inactivity__InvalidEvidence.selector, staker, h.number));
        rollup.clearWithReward(staker, h, cost + 1, proof);
    }

    function test_clearWithReward_revertsWhenLeafOfAnotherProver() public {
        _report(staker, 0);
        Credit[] memory c = creditsOf[0];
        uint256 other = _indexOf(c, staker) == 0 ? 1 : 0;
        bytes32[] memory proof = _rewardProof(c, other);
        MessagesLib.Header memory h = headers[0];
        vm.expectRevert(abi.encodeWithSelector(Errors.Inactivity__InvalidEvidence.selector, staker, h.number));
        rollup.clearWithReward(staker, h, uint64(c[other].cost), proof);
    }

    function test_clearWithReward_revertsWhenProofEmpty() public {
        _report(staker, 0);
        (uint64 cost,) = _rewardEvidence(staker, 0);
        MessagesLib.Header memory h = headers[0];
        vm.expectRevert(abi.encodeWithSelector(Errors.Inactivity__InvalidEvidence.selector, staker, h.number));
        rollup.clearWithReward(staker, h, cost, new bytes32[](0));
    }
}
