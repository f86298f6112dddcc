// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {StakingBase} from "./StakingBase.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";

contract StakingViewsTest is StakingBase {
    address internal bob;
    address internal carol;

    function setUp() public override {
        super.setUp();
        bob = _newKey("bob");
        carol = _newKey("carol");
    }

    function test_immutables_matchConfig() public view {
        assertEq(address(staking.stakeToken()), address(stakeToken));
        assertEq(staking.stakeAmount(), STAKE);
        assertEq(staking.slashSink(), SLASH_SINK);
        assertEq(staking.genesisTime(), GENESIS);
        assertEq(staking.slotDuration(), 6);
        assertEq(staking.epochDuration(), 4);
        assertEq(staking.setChangeDelay(), 2);
        assertEq(staking.withdrawalDelay(), 1);
        assertEq(staking.rollup(), address(rollup));
    }

    function test_currentEpoch_followsTheClock() public {
        vm.warp(0);
        assertEq(staking.currentEpoch(), 0, "before genesis clamps to 0");
        vm.warp(GENESIS);
        assertEq(staking.currentEpoch(), 0);
        vm.warp(GENESIS + 4 * 6 - 1);
        assertEq(staking.currentEpoch(), 0, "last second of epoch 0");
        vm.warp(GENESIS + 4 * 6);
        assertEq(staking.currentEpoch(), 1);
        vm.warp(GENESIS + 1_000 * 4 * 6 + 5);
        assertEq(staking.currentEpoch(), 1_000);
    }

    function test_getStaker_returnsZeroRecordForUnknownKey() public {
        IStaking.Staker memory s = staking.getStaker(makeAddr("stranger"));
        assertEq(s.withdrawer, address(0));
        assertEq(s.activationEpoch, 0);
        assertEq(s.exitEpoch, 0);
        assertFalse(s.withdrawn);
        assertEq(staking.stakeOf(makeAddr("stranger")), 0);
    }

    function test_isActive_falseForUnknownKey() public {
        assertFalse(staking.isActive(makeAddr("stranger"), 0));
        assertFalse(staking.isActive(address(0), 10));
    }

    function test_isActive_halfOpenInterval() public {
        _depositAs(alice, aliceWithdrawer);
        _warpToEpoch(4);
        _exitAs(alice);
        assertFalse(staking.isActive(alice, 1));
        assertTrue(staking.isActive(alice, 2));
        assertTrue(staking.isActive(alice, 5));
        assertFalse(staking.isActive(alice, 6));
        assertFalse(staking.isActive(alice, type(uint256).max));
    }

    function test_firstInactive_returnsLengthWhenAllActive() public {
        _depositAs(alice, aliceWithdrawer);
        _depositAs(bob, aliceWithdrawer);
        address[] memory ks = new address[](2);
        (ks[0], ks[1]) = (alice, bob);
        assertEq(staking.firstInactive(ks, 2), 2);
    }

    function test_firstInactive_returnsIndexOfFirstInactive() public {
        _depositAs(alice, aliceWithdrawer);
        _depositAs(carol, aliceWithdrawer);
        address[] memory ks = new address[](3);
        (ks[0], ks[1], ks[2]) = (alice, bob, carol);
        assertEq(staking.firstInactive(ks, 2), 1, "bob never registered");
        assertEq(staking.firstInactive(ks, 1), 0, "nobody active yet");
    }

    function test_firstInactive_returnsZeroForEmptyList() public view {
        assertEq(staking.firstInactive(new address[](0), 5), 0);
    }

    function test_firstInactive_seesExits() public {
        _depositAs(alice, aliceWithdrawer);
        _depositAs(bob, aliceWithdrawer);
        _warpToEpoch(3);
        _exitAs(bob);
        address[] memory ks = new address[](2);
        (ks[0], ks[1]) = (alice, bob);
        assertEq(staking.firstInactive(ks, 4), 2);
        assertEq(staking.firstInactive(ks, 5), 1);
    }

    function test_activeCount_isReproducibleForPastAndScheduledEpochs() public {
        _depositAs(alice, aliceWithdrawer); // active from 2
        _warpToEpoch(1);
        _depositAs(bob, aliceWithdrawer); // active from 3
        _depositAs(carol, aliceWithdrawer); // active from 3
        _warpToEpoch(4);
        _exitAs(alice); // leaves at 6

        assertEq(staking.activeCount(0), 0);
        assertEq(staking.activeCount(1), 0);
        assertEq(staking.activeCount(2), 1);
        assertEq(staking.activeCount(3), 3);
        assertEq(staking.activeCount(5), 3);
        assertEq(staking.activeCount(6), 2);
        assertEq(staking.activeCount(1_000), 2);
    }

    function test_activeCount_matchesIsActive() public {
        _depositAs(alice, aliceWithdrawer);
        _warpToEpoch(1);
        _depositAs(bob, aliceWithdrawer);
        _warpToEpoch(3);
        _exitAs(alice);
        address[3] memory all = [alice, bob, carol];
        for (uint256 e; e < 8; ++e) {
            uint256 count;
            for (uint256 i; i < 3; ++i) {
                if (staking.isActive(all[i], e)) ++count;
            }
            assertEq(staking.activeCount(e), count);
        }
    }

    function test_activeCount_revertsAboveUint32() public {
        uint256 epoch = uint256(type(uint32).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(SafeCast.SafeCastOverflowedUintDowncast.selector, 32, epoch));
        staking.activeCount(epoch);
    }

    function test_totalStaked_sumsHeldStake() public {
        _depositAs(alice, aliceWithdrawer);
        _depositAs(bob, aliceWithdrawer);
        vm.prank(address(rollup));
        staking.slash(bob, 1e18);
        assertEq(staking.totalStaked(), 2 * STAKE - 1e18);
        assertEq(stakeToken.balanceOf(address(staking)), staking.totalStaked() + staking.slashedPending());
    }
}
