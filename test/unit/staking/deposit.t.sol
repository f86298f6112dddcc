// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

import {StakingBase} from "./StakingBase.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";

contract DepositTest is StakingBase {
    function test_deposit_registersKey() public {
        _warpToEpoch(3);
        _depositAs(alice, aliceWithdrawer);

        IStaking.Staker memory s = staking.getStaker(alice);
        assertEq(s.withdrawer, aliceWithdrawer);
        assertEq(s.activationEpoch, 3 + staking.setChangeDelay());
        assertEq(s.exitEpoch, type(uint32).max);
        assertFalse(s.withdrawn);
        assertEq(staking.stakeOf(alice), STAKE);
        assertEq(staking.totalStaked(), STAKE);
    }

    function test_deposit_pullsStakeFromKey() public {
        _depositAs(alice, aliceWithdrawer);
        assertEq(stakeToken.balanceOf(alice), 0);
        assertEq(stakeToken.balanceOf(address(staking)), STAKE);
    }

    function test_deposit_emitsDeposited() public {
        _warpToEpoch(5);
        vm.expectEmit(address(staking));
        emit IStaking.Deposited(alice, aliceWithdrawer, STAKE, 5 + staking.setChangeDelay());
        _depositAs(alice, aliceWithdrawer);
    }

    function test_deposit_activatesAfterSetChangeDelay() public {
        _warpToEpoch(3);
        _depositAs(alice, aliceWithdrawer);
        uint256 activation = 3 + staking.setChangeDelay();

        assertFalse(staking.isActive(alice, activation - 1));
        assertTrue(staking.isActive(alice, activation));
        assertEq(staking.activeCount(activation - 1), 0);
        assertEq(staking.activeCount(activation), 1);
    }

    function test_deposit_countsEveryKeyOfAnEpoch() public {
        address bob = _newKey("bob");
        _depositAs(alice, aliceWithdrawer);
        _depositAs(bob, makeAddr("bobWithdrawer"));
        assertEq(staking.activeCount(staking.setChangeDelay()), 2);
        assertEq(staking.totalStaked(), 2 * STAKE);
    }

    function test_deposit_beforeGenesisCountsFromEpochZero() public {
        vm.warp(GENESIS - 1_000);
        assertEq(staking.currentEpoch(), 0);
        _depositAs(alice, aliceWithdrawer);
        assertEq(staking.getStaker(alice).activationEpoch, staking.setChangeDelay());
    }

    function test_deposit_allowsWithdrawerEqualToKey() public {
        _depositAs(alice, alice);
        assertEq(staking.getStaker(alice).withdrawer, alice);
    }

    function test_deposit_revertsWhenWithdrawerIsZero() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__ZeroAddress.selector));
        _depositAs(alice, address(0));
    }

    function test_deposit_revertsWhenAlreadyRegistered() public {
        _depositAs(alice, aliceWithdrawer);
        stakeToken.mint(alice, STAKE);
        vm.prank(alice);
        stakeToken.approve(address(staking), STAKE);

        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__AlreadyRegistered.selector, alice));
        _depositAs(alice, makeAddr("other"));
    }

    function test_deposit_revertsWhenReRegisteringAfterWithdrawal() public {
        _depositAs(alice, aliceWithdrawer);
        _exitAs(alice);
        _warpToEpoch(staking.getStaker(alice).exitEpoch + staking.withdrawalDelay());
        vm.prank(aliceWithdrawer);
        staking.withdraw(alice, aliceWithdrawer);
        stakeToken.mint(alice, STAKE);
        vm.prank(alice);
        stakeToken.approve(address(staking), STAKE);

        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__AlreadyRegistered.selector, alice));
        _depositAs(alice, aliceWithdrawer);
    }

    function test_deposit_revertsWhenAllowanceTooLow() public {
        vm.prank(alice);
        stakeToken.approve(address(staking), STAKE - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(staking), STAKE - 1, STAKE)
        );
        _depositAs(alice, aliceWithdrawer);
    }

    function test_deposit_revertsWhenBalanceTooLow() public {
        address poor = makeAddr("poor");
        stakeToken.mint(poor, STAKE - 1);
        vm.prank(poor);
        stakeToken.approve(address(staking), STAKE);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, poor, STAKE - 1, STAKE));
        _depositAs(poor, aliceWithdrawer);
    }
}
