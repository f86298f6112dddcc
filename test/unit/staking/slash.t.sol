// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StakingBase} from "./StakingBase.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";

contract SlashTest is StakingBase {
    function setUp() public override {
        super.setUp();
        _depositAs(alice, aliceWithdrawer);
    }

    function _slash(address key, uint256 amount) internal returns (uint256) {
        vm.prank(address(rollup));
        return staking.slash(key, amount);
    }

    function test_slash_holdsAmountForSink() public {
        uint256 slashed = _slash(alice, 1_000e18);
        assertEq(slashed, 1_000e18);
        assertEq(staking.stakeOf(alice), STAKE - 1_000e18);
        assertEq(staking.totalStaked(), STAKE - 1_000e18);
        assertEq(staking.slashedPending(), 1_000e18);
        assertEq(stakeToken.balanceOf(SLASH_SINK), 0, "no transfer inside slash");
        assertEq(
            stakeToken.balanceOf(address(staking)), staking.totalStaked() + staking.slashedPending(), "stake conserved"
        );
    }

    function test_withdrawSlashed_paysTheSinkEverythingAccumulated() public {
        _slash(alice, 1_000e18);
        _slash(alice, 2_000e18);
        vm.expectEmit(address(staking));
        emit IStaking.SlashedWithdrawn(SLASH_SINK, 3_000e18);
        vm.prank(makeAddr("anyone"));
        assertEq(staking.withdrawSlashed(), 3_000e18);
        assertEq(stakeToken.balanceOf(SLASH_SINK), 3_000e18);
        assertEq(staking.slashedPending(), 0);
        assertEq(stakeToken.balanceOf(address(staking)), staking.totalStaked(), "stake conserved");
    }

    function test_withdrawSlashed_nothingPendingIsNoOp() public {
        vm.recordLogs();
        assertEq(staking.withdrawSlashed(), 0);
        assertEq(vm.getRecordedLogs().length, 0);
        assertEq(stakeToken.balanceOf(SLASH_SINK), 0);
    }

    function test_slash_emitsSlashed() public {
        vm.expectEmit(address(staking));
        emit IStaking.Slashed(alice, 1_000e18, SLASH_SINK);
        _slash(alice, 1_000e18);
    }

    function test_slash_capsAtRemainingStake() public {
        _slash(alice, 60_000e18);
        uint256 slashed = _slash(alice, type(uint256).max);
        assertEq(slashed, 40_000e18);
        assertEq(staking.stakeOf(alice), 0);
        assertEq(staking.slashedPending(), STAKE);
        assertEq(staking.totalStaked(), 0);
    }

    function test_slash_zeroAmountIsNoOp() public {
        vm.recordLogs();
        assertEq(_slash(alice, 0), 0);
        assertEq(vm.getRecordedLogs().length, 0);
        assertEq(staking.stakeOf(alice), STAKE);
    }

    function test_slash_unknownKeyIsNoOp() public {
        vm.recordLogs();
        assertEq(_slash(makeAddr("stranger"), 1e18), 0);
        assertEq(vm.getRecordedLogs().length, 0);
        assertEq(staking.totalStaked(), STAKE);
    }

    function test_slash_keepsActivityUnchanged() public {
        _slash(alice, STAKE);
        assertTrue(staking.isActive(alice, staking.setChangeDelay()), "slashing alone never ejects");
    }

    function test_slash_revertsWhenCallerIsNotRollup() public {
        vm.prank(aliceWithdrawer);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__OnlyRollup.selector, aliceWithdrawer));
        staking.slash(alice, 1);
    }

    function test_slash_revertsWhenCallerIsDeployer() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__OnlyRollup.selector, address(this)));
        staking.slash(alice, 1);
    }
}
