// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StakingBase} from "./StakingBase.sol";
import {Staking} from "../../../contracts/Staking.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";

contract SetRollupTest is StakingBase {
    Staking internal fresh;

    function setUp() public override {
        super.setUp();
        fresh = new Staking(_stakingConfig());
    }

    function test_setRollup_setsRollupOnce() public {
        assertEq(fresh.rollup(), address(0));
        fresh.setRollup(address(rollup));
        assertEq(fresh.rollup(), address(rollup));
    }

    function test_setRollup_givesRollupTheSlashRight() public {
        fresh.setRollup(address(rollup));
        vm.prank(address(rollup));
        assertEq(fresh.slash(alice, 1), 0);
    }

    function test_setRollup_revertsWhenCallerIsNotDeployer() public {
        address stranger = makeAddr("stranger");
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__NotDeployer.selector, address(this), stranger));
        fresh.setRollup(address(rollup));
    }

    function test_setRollup_revertsWhenAlreadySet() public {
        fresh.setRollup(address(rollup));
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__RollupAlreadySet.selector));
        fresh.setRollup(makeAddr("other"));
    }

    function test_setRollup_revertsWhenAlreadySetOnTheFixture() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__RollupAlreadySet.selector));
        staking.setRollup(makeAddr("other"));
    }

    function test_setRollup_revertsWhenRollupIsZero() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__ZeroAddress.selector));
        fresh.setRollup(address(0));
    }

    function test_setRollup_revertsWhenRollupCallsBeforeItIsSet() public {
        vm.prank(address(rollup));
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__OnlyRollup.selector, address(rollup)));
        fresh.slash(alice, 1);
    }
}
