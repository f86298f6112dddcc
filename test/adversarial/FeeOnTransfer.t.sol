// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {UnitBase} from "../unit/UnitBase.sol";
import {TestToken} from "../../contracts/devnet/TestToken.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {RewardLib} from "../../contracts/libraries/RewardLib.sol";
import {FeeToken} from "../mocks/FeeToken.sol";
import {ReenteringToken} from "../mocks/ReenteringToken.sol";

/// @notice A fee-on-transfer stake token cannot register an under-collateralised key: deposit measures what arrived.
contract FeeOnTransferStakeTest is UnitBase {
    address internal alice = makeAddr("alice");

    function _newStakeToken() internal override returns (TestToken) {
        return new FeeToken("SPN Stake", "STK");
    }

    function setUp() public {
        _deploy();
    }

    function test_deposit_revertsWhenTokenDeliversLessThanTheStake() public {
        FeeToken t = FeeToken(address(stakeToken));
        stakeToken.mint(alice, STAKE);
        vm.startPrank(alice);
        stakeToken.approve(address(staking), STAKE);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__StakeNotReceived.selector, STAKE, STAKE - t.fee(STAKE)));
        staking.deposit(alice);
        vm.stopPrank();
        assertEq(staking.totalStaked(), 0);
        assertEq(staking.getStaker(alice).withdrawer, address(0), "nothing registered");
        assertEq(stakeToken.balanceOf(alice), STAKE, "nothing taken");
    }
}

/// @notice A fee-on-transfer reward token funds the pool with what arrived, so the books never exceed the balance.
contract FeeOnTransferFundTest is UnitBase {
    address internal funder = makeAddr("funder");

    function _newRewardToken() internal override returns (TestToken) {
        return new FeeToken("SPN Reward", "RWD");
    }

    function setUp() public {
        _deploy();
    }

    function testFuzz_fund_creditsTheBalanceDelta(uint256 amount) public {
        amount = bound(amount, 0, 1e30);
        uint256 received = amount - FeeToken(address(rewardToken)).fee(amount);
        rewardToken.mint(funder, amount);
        vm.startPrank(funder);
        rewardToken.approve(address(rollup), amount);
        vm.expectEmit(address(rollup));
        emit IRollup.PoolFunded(funder, received);
        rollup.fund(amount);
        vm.stopPrank();
        RewardLib.Pool memory p = rollup.pool();
        assertEq(p.funded, received);
        assertEq(p.balance, received);
        assertEq(rewardToken.balanceOf(address(rollup)), p.balance, "books equal holdings");
    }

    /// @dev With the pool funded through the fee, a proven block and every withdrawal and claim stay covered.
    function test_fund_feeTokenPoolStaysSolventThroughAProof() public {
        rewardToken.mint(address(this), POOL);
        rewardToken.approve(address(rollup), POOL);
        rollup.fund(POOL);
        _registerAndActivate(STAKERS);
        (, Credit[] memory c) = _proposeAndProve(HEIGHT);
        rollup.withdrawRewards(address(this));
        vm.prank(c[0].prover);
        rollup.claim(c[0].prover, _oneItem(1, c, 0));
        RewardLib.Pool memory p = rollup.pool();
        assertEq(uint256(p.balance) + p.outstanding + p.paid, p.funded, "conservation");
        assertEq(rewardToken.balanceOf(address(rollup)), uint256(p.balance) + p.outstanding, "solvent");
    }
}

/// @notice A token that re-enters `fund` during the transfer: each call books what it brought, nothing twice.
contract ReentrantFundTest is UnitBase {
    address internal funder = makeAddr("funder");

    function _newRewardToken() internal override returns (TestToken) {
        return new ReenteringToken("SPN Reward", "RWD");
    }

    function setUp() public {
        _deploy();
    }

    function testFuzz_fund_nestedFundIsNotCountedTwice(uint96 outer, uint96 inner) public {
        ReenteringToken t = ReenteringToken(address(rewardToken));
        t.mint(funder, outer);
        t.mint(address(t), inner);
        vm.prank(address(t));
        t.approve(address(rollup), inner);
        t.arm(address(rollup), abi.encodeCall(rollup.fund, (inner)));

        vm.startPrank(funder);
        t.approve(address(rollup), outer);
        rollup.fund(outer);
        vm.stopPrank();

        RewardLib.Pool memory p = rollup.pool();
        assertEq(p.funded, uint256(outer) + inner, "both amounts, once each");
        assertEq(t.balanceOf(address(rollup)), p.balance, "books equal holdings");
    }
}

/// @notice A token that re-enters `deposit` during the transfer: the outer key cannot borrow the inner key's stake.
contract ReentrantDepositTest is UnitBase {
    address internal alice = makeAddr("alice");

    function _newStakeToken() internal override returns (TestToken) {
        return new ReenteringToken("SPN Stake", "STK");
    }

    function setUp() public {
        _deploy();
    }

    function test_deposit_nestedDepositRevertsTheOuterOne() public {
        ReenteringToken t = ReenteringToken(address(stakeToken));
        t.mint(alice, STAKE);
        t.mint(address(t), STAKE);
        vm.prank(address(t));
        t.approve(address(staking), STAKE);
        t.arm(address(staking), abi.encodeCall(staking.deposit, (address(t))));

        vm.startPrank(alice);
        t.approve(address(staking), STAKE);
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__StakeNotReceived.selector, STAKE, 2 * STAKE));
        staking.deposit(alice);
        vm.stopPrank();
        assertEq(staking.totalStaked(), 0, "nothing registered");
    }

    function test_deposit_plainTransferStillWorks() public {
        stakeToken.mint(alice, STAKE);
        vm.startPrank(alice);
        stakeToken.approve(address(staking), STAKE);
        staking.deposit(alice);
        vm.stopPrank();
        assertEq(staking.totalStaked(), STAKE);
        assertEq(stakeToken.balanceOf(address(staking)), STAKE);
    }
}
