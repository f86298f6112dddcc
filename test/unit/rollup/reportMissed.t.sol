// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {InactivityBase} from "./InactivityBase.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {MessagesLib} from "../../../contracts/libraries/MessagesLib.sol";

contract ReportMissedTest is InactivityBase {
    function test_reportMissed_recordsPendingReport() public {
        uint256 slot = rollup.currentSlot();
        _report(staker, 0);
        _assertRecord(staker, 0, headers[0].number, slot, 0);
    }

    function test_reportMissed_emitsMissReported() public {
        vm.expectEmit(address(rollup));
        emit IRollup.MissReported(staker, headers[0].number, reporter);
        _report(staker, 0);
    }

    function test_reportMissed_acceptsAnyCommitteeMemberWithoutWork() public {
        // A round-1 member that got no job (its own job was taken) can still be reported: assigned work is round 1.
        MessagesLib.Header memory h = headers[0];
        uint256 threshold = _roundThreshold(1, h);
        address idle;
        for (uint256 i; i < stakers.length; ++i) {
            if (
                rollup.scoreOf(stakers[i], h.slot) < threshold
                    && _indexOf(creditsOf[0], stakers[i]) == type(uint256).max
            ) {
                idle = stakers[i];
            }
        }
        vm.skip(idle == address(0));
        _report(idle, 0);
        assertEq(rollup.getInactivity(idle).pendingBlock, h.number);
    }

    function test_reportMissed_finalisesExpiredReportFirst() public {
        _report(staker, 0);
        _warpToSlot(_graceEnd() + 1);
        uint256 slot = rollup.currentSlot();

        vm.expectEmit(address(rollup));
        emit IRollup.MissReported(staker, headers[1].number, reporter);
        vm.expectEmit(address(rollup));
        emit IRollup.StrikeFinalised(staker, headers[0].number, 1, 0, false);
        _report(staker, 1);
        _assertRecord(staker, headers[0].number, headers[1].number, slot, 1);
    }

    function test_reportMissed_samplesSeed() public {
        uint256 target = rollup.currentEpoch() + 5;
        _warpToEpoch(target - rollup.seedLookahead());
        vm.prevrandao(bytes32(uint256(9)));
        _report(staker, 0);
        assertEq(rollup.epochSeed(target), uint224(uint256(keccak256(abi.encode(uint256(9), target)))));
    }

    // ------------------------------------------------------------------ reverts

    function test_reportMissed_revertsWhenBlockIsGenesis() public {
        MessagesLib.Header memory h = headers[0];
        h.number = 0;
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__BlockNotProven.selector, 0));
        rollup.reportMissed(staker, h);
    }

    function test_reportMissed_revertsWhenBlockNotProven() public {
        MessagesLib.Header memory h = _proposeRoot();
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__BlockNotProven.selector, h.number));
        rollup.reportMissed(staker, h);
    }

    function test_reportMissed_revertsWhenHeaderDiffers() public {
        MessagesLib.Header memory h = headers[0];
        h.slot += 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__HeaderMismatch.selector, MessagesLib.blockHash(headers[0]), MessagesLib.blockHash(h)
            )
        );
        rollup.reportMissed(staker, h);
    }

    function test_reportMissed_revertsWhenNotInCommittee() public {
        MessagesLib.Header memory h = headers[0];
        address outsider = _notInCommittee(h);
        vm.expectRevert(abi.encodeWithSelector(Errors.Inactivity__NotAssigned.selector, outsider, h.number));
        rollup.reportMissed(outsider, h);
    }

    function test_reportMissed_revertsWhenNotActiveInBlockEpoch() public {
        MessagesLib.Header memory h = headers[0];
        address fresh = _freshKeyBelow(h.slot, _roundThreshold(1, h));
        vm.expectRevert(abi.encodeWithSelector(Errors.Inactivity__NotAssigned.selector, fresh, h.number));
        rollup.reportMissed(fresh, h);
    }

    function test_reportMissed_revertsWhenReportPending() public {
        _report(staker, 0);
        _warpToSlot(_graceEnd());
        MessagesLib.Header memory h = headers[1];
        vm.expectRevert(abi.encodeWithSelector(Errors.Inactivity__ReportPending.selector, staker, headers[0].number));
        rollup.reportMissed(staker, h);
    }

    function test_reportMissed_revertsWhenBlockCleared() public {
        _report(staker, 1);
        _clearWithReward(staker, 1);
        MessagesLib.Header memory h = headers[1];
        vm.expectRevert(abi.encodeWithSelector(Errors.Inactivity__NotAfterLastAppearance.selector, h.number, h.number));
        rollup.reportMissed(staker, h);
    }

    function test_reportMissed_revertsWhenBlockBeforeLastAppearance() public {
        _report(staker, 1);
        _clearWithReward(staker, 1);
        MessagesLib.Header memory h = headers[0];
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Inactivity__NotAfterLastAppearance.selector, h.number, headers[1].number)
        );
        rollup.reportMissed(staker, h);
    }

    function test_reportMissed_revertsWhenReportingTheStruckBlockAgain() public {
        _report(staker, 0);
        _warpToSlot(_graceEnd() + 1);
        MessagesLib.Header memory h = headers[0];
        vm.expectRevert(abi.encodeWithSelector(Errors.Inactivity__NotAfterLastAppearance.selector, h.number, h.number));
        rollup.reportMissed(staker, h);
    }
}
