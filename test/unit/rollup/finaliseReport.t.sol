// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {InactivityBase, BleedBase} from "./InactivityBase.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";

contract FinaliseReportTest is InactivityBase {
    function test_finaliseReport_firstStrikeHasNoPenalty() public {
        _report(staker, 0);
        _warpToSlot(_graceEnd() + 1);
        vm.expectEmit(address(rollup));
        emit IRollup.StrikeFinalised(staker, headers[0].number, 1, 0, false);
        rollup.finaliseReport(staker);
        _assertRecord(staker, headers[0].number, 0, 0, 1);
        assertEq(staking.stakeOf(staker), STAKE);
    }

    function test_finaliseReport_callableByAnyone() public {
        _report(staker, 0);
        _warpToSlot(_graceEnd() + 1);
        vm.prank(makeAddr("anyone"));
        rollup.finaliseReport(staker);
        assertEq(rollup.getInactivity(staker).strikes, 1);
    }

    function test_finaliseReport_penalisesFromThresholdStrike() public {
        _strike(0);
        _strike(1);
        assertEq(staking.stakeOf(staker), STAKE, "no penalty below the threshold");
        _report(staker, 2);
        _warpToSlot(_graceEnd() + 1);

        uint256 base = rollup.penaltyBase();
        vm.expectEmit(address(rollup));
        emit IRollup.StrikeFinalised(staker, headers[2].number, 3, base, false);
        rollup.finaliseReport(staker);
        assertEq(staking.stakeOf(staker), STAKE - base);
        assertEq(staking.slashedPending(), base, "held for the sink");
        assertEq(staking.withdrawSlashed(), base);
        assertEq(stakeToken.balanceOf(SLASH_SINK), base);
        _assertRecord(staker, headers[2].number, 0, 0, 3);
    }

    function test_finaliseReport_clearingResetsTheStreak() public {
        _strike(0);
        _report(staker, 1);
        _clearWithReward(staker, 1);
        _strike(2);
        assertEq(rollup.getInactivity(staker).strikes, 1);
        assertEq(staking.stakeOf(staker), STAKE);
    }

    function test_finaliseReport_revertsWhenNoPendingReport() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.Inactivity__NoPendingReport.selector, staker));
        rollup.finaliseReport(staker);
    }

    function test_finaliseReport_revertsWhenAlreadyFinalised() public {
        _strike(0);
        vm.expectRevert(abi.encodeWithSelector(Errors.Inactivity__NoPendingReport.selector, staker));
        rollup.finaliseReport(staker);
    }

    function test_finaliseReport_revertsWhenCleared() public {
        _report(staker, 0);
        _clearWithReward(staker, 0);
        _warpToSlot(rollup.currentSlot() + rollup.graceSlots() + 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.Inactivity__NoPendingReport.selector, staker));
        rollup.finaliseReport(staker);
    }

    function test_finaliseReport_revertsWhenGraceNotOver() public {
        _report(staker, 0);
        uint256 end = _graceEnd();
        _warpToSlot(end);
        vm.expectRevert(abi.encodeWithSelector(Errors.Inactivity__GraceNotOver.selector, end, end));
        rollup.finaliseReport(staker);
    }
}

/// @notice Penalty from the first strike, doubling, and ejection below the floor.
contract FinaliseReportBleedTest is BleedBase {
    function test_finaliseReport_doublesPenalty() public {
        _strike(0);
        assertEq(staking.stakeOf(staker), STAKE - 20_000e18);
        _report(staker, 1);
        _warpToSlot(_graceEnd() + 1);
        vm.expectEmit(address(rollup));
        emit IRollup.StrikeFinalised(staker, headers[1].number, 2, 40_000e18, true);
        rollup.finaliseReport(staker);
        assertEq(staking.stakeOf(staker), STAKE - 60_000e18);
        assertEq(staking.slashedPending(), 60_000e18);
        staking.withdrawSlashed();
        assertEq(stakeToken.balanceOf(SLASH_SINK), 60_000e18);
    }

    function test_finaliseReport_ejectsBelowFloor() public {
        _strike(0);
        _report(staker, 1);
        _warpToSlot(_graceEnd() + 1);
        uint256 epoch = staking.currentEpoch();
        rollup.finaliseReport(staker);
        assertEq(staking.getStaker(staker).exitEpoch, epoch + staking.setChangeDelay());
        assertFalse(staking.isActive(staker, epoch + staking.setChangeDelay()));
    }

    function test_finaliseReport_keepsStakerAtFloor() public {
        _strike(0); // 80k left
        assertEq(staking.getStaker(staker).exitEpoch, type(uint32).max);
    }

    /// @dev A staker already exiting (ejected by the previous strike) is not ejected again, and the event says so.
    function test_finaliseReport_slashesWhatIsLeft() public {
        _strike(0); // 20k
        _strike(1); // 40k, ejected
        _report(staker, 2);
        _warpToSlot(_graceEnd() + 1);
        uint32 exitEpoch = staking.getStaker(staker).exitEpoch;
        vm.expectEmit(address(rollup));
        emit IRollup.StrikeFinalised(staker, headers[2].number, 3, 40_000e18, false);
        rollup.finaliseReport(staker);
        assertEq(staking.stakeOf(staker), 0);
        assertEq(staking.getStaker(staker).exitEpoch, exitEpoch, "an ejected staker is not ejected again");
    }
}
