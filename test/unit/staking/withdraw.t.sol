// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StakingBase} from "./StakingBase.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";

contract WithdrawTest is StakingBase {
    address internal recipient = makeAddr("recipient");
    uint256 internal ready;

    function setUp() public override {
        super.setUp();
        _depositAs(alice, aliceWithdrawer);
        _warpToEpoch(staking.setChangeDelay());
        _exitAs(alice);
        ready = staking.getStaker(alice).exitEpoch + staking.withdrawalDelay();
    }

    function test_withdraw_paysStakeToRecipient() public {
        _warpToEpoch(ready);
        vm.prank(aliceWithdrawer);
        staking.withdraw(alice, recipient);

        assertEq(stakeToken.balanceOf(recipient), STAKE);
        assertEq(stakeToken.balanceOf(address(staking)), 0);
        assertEq(staking.stakeOf(alice), 0);
        assertEq(staking.totalStaked(), 0);
        assertTrue(staking.getStaker(alice).withdrawn);
    }

    function test_withdraw_emitsWithdrawn() public {
        _warpToEpoch(ready);
        vm.expectEmit(address(staking));
        emit IStaking.Withdrawn(alice, recipient, STAKE);
        vm.prank(aliceWithdrawer);
        staking.withdraw(alice, recipient);
    }

    function test_withdraw_paysOnlyWhatSlashingLeft() public {
        vm.prank(address(rollup));
        staking.slash(alice, 30_000e18);
        _warpToEpoch(ready);
        vm.prank(aliceWithdrawer);
        staking.withdraw(alice, recipient);
        assertEq(stakeToken.balanceOf(recipient), STAKE - 30_000e18);
        assertEq(staking.totalStaked(), 0);
    }

    function test_withdraw_afterEjection() public {
        address bob = _newKey("bob");
        _depositAs(bob, aliceWithdrawer);
        _warpToEpoch(staking.currentEpoch() + staking.setChangeDelay());
        vm.prank(address(rollup));
        staking.eject(bob);
        _warpToEpoch(staking.getStaker(bob).exitEpoch + staking.withdrawalDelay());
        vm.prank(aliceWithdrawer);
        staking.withdraw(bob, recipient);
        assertEq(stakeToken.balanceOf(recipient), STAKE);
    }

    function test_withdraw_revertsWhenNotReady() public {
        _warpToEpoch(ready - 1);
        vm.prank(aliceWithdrawer);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__WithdrawalNotReady.selector, ready - 1, ready));
        staking.withdraw(alice, recipient);
    }

    function test_withdraw_revertsWhenNotReadyInLastSecondOfEpoch() public {
        _warpToEpoch(ready);
        vm.warp(block.timestamp - 1);
        vm.prank(aliceWithdrawer);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__WithdrawalNotReady.selector, ready - 1, ready));
        staking.withdraw(alice, recipient);
    }

    function test_withdraw_revertsWhenNotRegistered() public {
        address stranger = makeAddr("stranger");
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__NotRegistered.selector, stranger));
        staking.withdraw(stranger, recipient);
    }

    function test_withdraw_revertsWhenCallerIsNotWithdrawer() public {
        _warpToEpoch(ready);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__NotWithdrawer.selector, aliceWithdrawer, alice));
        staking.withdraw(alice, alice);
    }

    function test_withdraw_revertsWhenRecipientIsZero() public {
        _warpToEpoch(ready);
        vm.prank(aliceWithdrawer);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__ZeroAddress.selector));
        staking.withdraw(alice, address(0));
    }

    function test_withdraw_revertsWhenNotExiting() public {
        address bob = _newKey("bob");
        _depositAs(bob, aliceWithdrawer);
        _warpToEpoch(100);
        vm.prank(aliceWithdrawer);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__NotExiting.selector, bob));
        staking.withdraw(bob, recipient);
    }

    function test_withdraw_revertsWhenAlreadyWithdrawn() public {
        _warpToEpoch(ready);
        vm.startPrank(aliceWithdrawer);
        staking.withdraw(alice, recipient);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__AlreadyWithdrawn.selector, alice));
        staking.withdraw(alice, recipient);
        vm.stopPrank();
    }
}
