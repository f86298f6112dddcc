// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {stdError} from "forge-std/StdError.sol";

import {UnitBase} from "../UnitBase.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {RewardLib} from "../../../contracts/libraries/RewardLib.sol";

contract FundTest is UnitBase {
    address internal funder = makeAddr("funder");

    function setUp() public {
        _deploy();
    }

    function _mintAndApprove(uint256 amount) internal {
        rewardToken.mint(funder, amount);
        vm.prank(funder);
        rewardToken.approve(address(rollup), amount);
    }

    function _fund(uint256 amount) internal {
        vm.prank(funder);
        rollup.fund(amount);
    }

    function test_fund_addsToPool() public {
        _mintAndApprove(1_000e18);
        _fund(1_000e18);
        RewardLib.Pool memory p = rollup.pool();
        assertEq(p.funded, 1_000e18);
        assertEq(p.balance, 1_000e18);
        assertEq(p.outstanding, 0);
        assertEq(p.paid, 0);
        assertEq(rewardToken.balanceOf(address(rollup)), 1_000e18);
        assertEq(rewardToken.balanceOf(funder), 0);
    }

    function test_fund_emitsPoolFunded() public {
        _mintAndApprove(5e18);
        vm.expectEmit(address(rollup));
        emit IRollup.PoolFunded(funder, 5e18);
        _fund(5e18);
    }

    function test_fund_accumulates() public {
        _mintAndApprove(3e18);
        _fund(1e18);
        _fund(2e18);
        _fundPool(4e18);
        assertEq(rollup.pool().funded, 7e18);
        assertEq(rollup.pool().balance, 7e18);
    }

    function test_fund_acceptsZero() public {
        vm.expectEmit(address(rollup));
        emit IRollup.PoolFunded(funder, 0);
        _fund(0);
        assertEq(rollup.pool().funded, 0);
    }

    function test_fund_revertsWhenAllowanceTooLow() public {
        _mintAndApprove(1e18);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(rollup), 1e18, 2e18)
        );
        _fund(2e18);
    }

    function test_fund_revertsWhenBalanceTooLow() public {
        _mintAndApprove(1e18);
        vm.prank(funder);
        rewardToken.approve(address(rollup), 2e18);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, funder, 1e18, 2e18));
        _fund(2e18);
    }

    function test_fund_revertsWhenAmountAboveUint128() public {
        uint256 amount = uint256(type(uint128).max) + 1;
        _mintAndApprove(amount);
        vm.expectRevert(abi.encodeWithSelector(SafeCast.SafeCastOverflowedUintDowncast.selector, 128, amount));
        _fund(amount);
    }

    function test_fund_revertsWhenPoolTotalOverflowsUint128() public {
        uint256 half = uint256(1) << 127;
        _mintAndApprove(2 * half);
        _fund(half);
        vm.expectRevert(stdError.arithmeticError);
        _fund(half);
    }
}
