// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {UnitBase} from "../unit/UnitBase.sol";
import {TestToken} from "../../contracts/devnet/TestToken.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {RewardLib} from "../../contracts/libraries/RewardLib.sol";
import {FeeToken} from "../mocks/FeeToken.sol";

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
        vm.expectRevert(abi.encodeWithSelector(Errors.Staking__TransferShortfall.selector, STAKE, STAKE - t.fee(STAKE)));
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
