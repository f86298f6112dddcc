// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StakingBase} from "./StakingBase.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";

contract InitiateExitTest is StakingBase {
    function setUp() public override {
        super.setUp();
        _depositAs(alice, aliceWithdrawer);
        _warpToEpoch(staking.setChangeDelay());
    }

    function test_initiateExit_setsExitEpochAfterDelay() public {
        _warpToEpoch(7);
        _exitAs(alice);
        assertEq(staking.getStaker(alice).exitEpoch, 7 + staking.setChangeDelay());
    }

    function test_initiateExit_emitsExitInitiated() public {
        uint256 epoch = staking.currentEpoch();
        vm.expectEmit(address(staking));
        emit IStaking.ExitInitiated(alice, epoch + staking.setChangeDelay(), false);
        _exitAs(alice);
    }

    function test_initiateExit_keepsKeyActiveUntilExitEpoch() public {
        uint256 epoch = staking.currentEpoch();
        _exitAs(alice);
        uint256 exitEpoch = epoch + staking.setChangeDelay();

        assertTrue(staking.isActive(alice, exitEpoch - 1));
        assertFalse(staking.isActive(alice, exitEpoch));
        assertEq(staking.activeCount(exitEpoch - 1), 1);
        assertEq(staking.activeCount(exitEpoch), 0);
        assertEq(staking.activeCount(epoch), 1, "past count unchanged");
    }

    function test_initiateExit_keepsStake() public {
        _exitAs(alice);
        assertEq(staking.stakeOf(alice), STAKE);
        assertEq(staking.totalStaked(), STAKE);
    }

    function test_initiateExit_beforeActivationMeansNeverActive() public {
        address bob = _newKey("bob");
        _depositAs(bob, aliceWithdrawer);
        uint256 epoch = staking.currentEpoch();
        _exitAs(bob);

        IStaking.Staker memory s = staking.getStaker(bob);
        assertEq(s.activationEpoch, s.exitEpoch);
        for (uint256 e = epoch; e <= epoch + staking.setChangeDelay() + 1; ++e) {
            assertFalse(staking.isActive(bob, e));
        }
        assertEq(staking.activeCount(epoch + staking.setChangeDelay()), 1, "only alice counted");
    }

    function test_initiateExit_revertsWhenNotRegistered() public {
        address stranger = makeAddr("stranger");
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__NotRegistered.selector, stranger));
        staking.initiateExit(stranger);
    }

    function test_initiateExit_revertsWhenCallerIsTheKey() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__NotWithdrawer.selector, aliceWithdrawer, alice));
        staking.initiateExit(alice);
    }

    function test_initiateExit_revertsWhenCallerIsAnyoneElse() public {
        address stranger = makeAddr("stranger");
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__NotWithdrawer.selector, aliceWithdrawer, stranger));
        staking.initiateExit(alice);
    }

    function test_initiateExit_revertsWhenAlreadyExiting() public {
        _exitAs(alice);
        uint32 exitEpoch = staking.getStaker(alice).exitEpoch;
        _warpToEpoch(staking.currentEpoch() + 1);
        vm.prank(aliceWithdrawer);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__AlreadyExiting.selector, alice, exitEpoch));
        staking.initiateExit(alice);
    }

    function test_initiateExit_revertsWhenEjected() public {
        vm.prank(address(rollup));
        staking.eject(alice);
        uint32 exitEpoch = staking.getStaker(alice).exitEpoch;
        vm.prank(aliceWithdrawer);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__AlreadyExiting.selector, alice, exitEpoch));
        staking.initiateExit(alice);
    }
}
