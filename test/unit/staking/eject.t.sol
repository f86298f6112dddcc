// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StakingBase} from "./StakingBase.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";

contract EjectTest is StakingBase {
    function setUp() public override {
        super.setUp();
        _depositAs(alice, aliceWithdrawer);
        _warpToEpoch(staking.setChangeDelay() + 1);
    }

    function _eject(address key) internal {
        vm.prank(address(rollup));
        staking.eject(key);
    }

    function test_eject_setsExitEpochAfterDelay() public {
        uint256 epoch = staking.currentEpoch();
        _eject(alice);
        assertEq(staking.getStaker(alice).exitEpoch, epoch + staking.setChangeDelay());
        assertTrue(staking.isActive(alice, epoch + staking.setChangeDelay() - 1));
        assertFalse(staking.isActive(alice, epoch + staking.setChangeDelay()));
        assertEq(staking.activeCount(epoch + staking.setChangeDelay()), 0);
        assertEq(staking.stakeOf(alice), STAKE, "ejection keeps the stake");
    }

    function test_eject_emitsForcedExit() public {
        uint256 epoch = staking.currentEpoch();
        vm.expectEmit(address(staking));
        emit IStaking.ExitInitiated(alice, epoch + staking.setChangeDelay(), true);
        _eject(alice);
    }

    function test_eject_isNoOpWhenAlreadyExiting() public {
        _exitAs(alice);
        uint32 exitEpoch = staking.getStaker(alice).exitEpoch;
        uint256 count = staking.activeCount(exitEpoch);
        _warpToEpoch(staking.currentEpoch() + 1);

        vm.recordLogs();
        _eject(alice);
        assertEq(vm.getRecordedLogs().length, 0);
        assertEq(staking.getStaker(alice).exitEpoch, exitEpoch);
        assertEq(staking.activeCount(exitEpoch), count, "not counted out twice");
    }

    function test_eject_isNoOpWhenAlreadyEjected() public {
        _eject(alice);
        uint32 exitEpoch = staking.getStaker(alice).exitEpoch;
        vm.recordLogs();
        _eject(alice);
        assertEq(vm.getRecordedLogs().length, 0);
        assertEq(staking.getStaker(alice).exitEpoch, exitEpoch);
    }

    function test_eject_revertsWhenNotRegistered() public {
        address stranger = makeAddr("stranger");
        vm.prank(address(rollup));
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__NotRegistered.selector, stranger));
        staking.eject(stranger);
    }

    function test_eject_revertsWhenCallerIsNotRollup() public {
        vm.prank(aliceWithdrawer);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__OnlyRollup.selector, aliceWithdrawer));
        staking.eject(alice);
    }
}
