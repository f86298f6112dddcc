// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {StakingBase} from "./StakingBase.sol";
import {Staking} from "../../../contracts/Staking.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";

/// @notice Every Params__Invalid reason of the Staking constructor, in check order.
contract StakingConstructorTest is StakingBase {
    function _expectInvalid(Staking.Config memory c, string memory reason) internal {
        vm.expectRevert(abi.encodeWithSelector(Errors.Params__Invalid.selector, reason));
        new Staking(c);
    }

    function test_constructor_setsEveryParameter() public {
        Staking.Config memory c = _stakingConfig();
        c.genesisTime = 0;
        c.withdrawalDelay = 0;
        Staking s = new Staking(c);
        assertEq(address(s.stakeToken()), address(stakeToken));
        assertEq(s.genesisTime(), 0);
        assertEq(s.withdrawalDelay(), 0, "zero withdrawal delay is allowed");
        assertEq(s.rollup(), address(0));
        assertEq(s.totalStaked(), 0);
        assertEq(s.activeCount(0), 0);
    }

    function test_constructor_revertsWhenStakeTokenIsZero() public {
        Staking.Config memory c = _stakingConfig();
        c.stakeToken = IERC20(address(0));
        _expectInvalid(c, "stakeToken is zero");
    }

    function test_constructor_revertsWhenSlashSinkIsZero() public {
        Staking.Config memory c = _stakingConfig();
        c.slashSink = address(0);
        _expectInvalid(c, "slashSink is zero");
    }

    function test_constructor_revertsWhenStakeAmountIsZero() public {
        Staking.Config memory c = _stakingConfig();
        c.stakeAmount = 0;
        _expectInvalid(c, "stakeAmount is zero");
    }

    function test_constructor_revertsWhenSlotDurationIsZero() public {
        Staking.Config memory c = _stakingConfig();
        c.slotDuration = 0;
        _expectInvalid(c, "zero slot or epoch duration");
    }

    function test_constructor_revertsWhenEpochDurationIsZero() public {
        Staking.Config memory c = _stakingConfig();
        c.epochDuration = 0;
        _expectInvalid(c, "zero slot or epoch duration");
    }

    function test_constructor_revertsWhenSetChangeDelayIsZero() public {
        Staking.Config memory c = _stakingConfig();
        c.setChangeDelay = 0;
        _expectInvalid(c, "setChangeDelay is zero");
    }

    function test_constructor_checksStakeTokenFirst() public {
        Staking.Config memory c;
        _expectInvalid(c, "stakeToken is zero");
    }
}
