// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StakingBase} from "./StakingBase.sol";
import {Rollup} from "../../../contracts/Rollup.sol";
import {Staking} from "../../../contracts/Staking.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";

contract SetRollupTest is StakingBase {
    Staking internal fresh;
    /// @dev A rollup deployed against `fresh` (the fixture's `rollup` belongs to the fixture's `staking`).
    Rollup internal freshRollup;

    function setUp() public override {
        super.setUp();
        fresh = new Staking(_stakingConfig());
        Rollup.Config memory c = _rollupConfig();
        c.staking = fresh;
        freshRollup = new Rollup(c);
    }

    function test_setRollup_revertsWhenRollupBelongsToAnotherStaking() public {
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Staking__RollupMismatch.selector, address(fresh), address(staking))
        );
        fresh.setRollup(address(rollup));
    }

    function test_setRollup_setsRollupOnce() public {
        assertEq(fresh.rollup(), address(0));
        fresh.setRollup(address(freshRollup));
        assertEq(fresh.rollup(), address(freshRollup));
    }

    function test_setRollup_givesRollupTheSlashRight() public {
        fresh.setRollup(address(freshRollup));
        vm.prank(address(freshRollup));
        assertEq(fresh.slash(alice, 1), 0);
    }

    function test_setRollup_revertsWhenCallerIsNotDeployer() public {
        address stranger = makeAddr("stranger");
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__NotDeployer.selector, address(this), stranger));
        fresh.setRollup(address(freshRollup));
    }

    function test_setRollup_revertsWhenAlreadySet() public {
        fresh.setRollup(address(freshRollup));
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__RollupAlreadySet.selector));
        fresh.setRollup(address(freshRollup));
    }

    function test_setRollup_revertsWhenAlreadySetOnTheFixture() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__RollupAlreadySet.selector));
        staking.setRollup(makeAddr("other"));
    }

    function test_setRollup_revertsWhenRollupIsNotARollup() public {
        address other = makeAddr("other");
        vm.expectRevert();
        fresh.setRollup(other);
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
