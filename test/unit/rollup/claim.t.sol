// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RollupBase} from "./RollupBase.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {RewardLib} from "../../../contracts/libraries/RewardLib.sol";

contract ClaimTest is RollupBase {
    Credit[] internal c1;
    address internal prover;
    uint256 internal share;

    function setUp() public override {
        super.setUp();
        (, Credit[] memory c) = _proposeAndProve(HEIGHT);
        for (uint256 i; i < c.length; ++i) {
            c1.push(c[i]);
        }
        prover = c1[0].prover;
        share = PROVERS_REWARD * c1[0].cost / _totalProverCost(HEIGHT);
    }

    address internal recipient = makeAddr("recipient");

    /// @dev `who` (a staking key) claims its own shares to `recipient`.
    function _claim(address who, IRollup.ClaimItem[] memory items) internal returns (uint256) {
        vm.prank(who);
        return rollup.claim(recipient, items);
    }

    function test_claim_paysShareToRecipient() public {
        uint256 amount = _claim(prover, _oneItem(1, c1, 0));
        assertEq(amount, share);
        assertEq(rewardToken.balanceOf(recipient), share);
        assertEq(rewardToken.balanceOf(prover), 0);
        assertTrue(rollup.isClaimed(prover, 1));
    }

    function test_claim_paysTheCallerItself() public {
        vm.prank(prover);
        rollup.claim(prover, _oneItem(1, c1, 0));
        assertEq(rewardToken.balanceOf(prover), share);
    }

    function test_claim_emitsRewardsClaimed() public {
        vm.expectEmit(address(rollup));
        emit IRollup.RewardsClaimed(prover, recipient, share, 1);
        _claim(prover, _oneItem(1, c1, 0));
    }

    function test_claim_booksPool() public {
        RewardLib.Pool memory before = rollup.pool();
        _claim(prover, _oneItem(1, c1, 0));
        RewardLib.Pool memory p = rollup.pool();
        assertEq(p.outstanding, before.outstanding - share);
        assertEq(p.paid, before.paid + share);
        assertEq(p.balance, before.balance);
        assertEq(p.funded, before.funded);
    }

    function test_claim_everyProverWithinReserve() public {
        uint256 outstanding = rollup.pool().outstanding;
        uint256 reserved = PROVERS_REWARD * _creditedCost(c1) / _totalProverCost(HEIGHT);
        // Outstanding also holds the submitter's and sequencer's owed rewards.
        assertEq(outstanding, reserved + rollup.rewardsOwed(address(this)) + rollup.rewardsOwed(_withdrawerOf(_h1())));
        uint256 total;
        for (uint256 i; i < c1.length; ++i) {
            total += _claim(c1[i].prover, _oneItem(1, c1, i));
        }
        assertLe(total, reserved);
        assertLt(reserved - total, c1.length, "only rounding dust stays reserved");
        assertEq(rollup.pool().outstanding, outstanding - total);
    }

    function _h1() internal view returns (address) {
        return rollup.getBlock(1).proposer;
    }

    function test_claim_batchesBlocks() public {
        (, Credit[] memory c2) = _proposeAndProve(HEIGHT);
        uint256 i2 = _indexOf(c2, prover);
        if (i2 == type(uint256).max) {
            // Use a prover of block 2 that also proved block 1.
            for (uint256 k; k < c2.length && i2 == type(uint256).max; ++k) {
                uint256 i1 = _indexOf(c1, c2[k].prover);
                if (i1 != type(uint256).max) {
                    (prover, i2, share) = (c2[k].prover, k, PROVERS_REWARD * c1[i1].cost / _totalProverCost(HEIGHT));
                }
            }
        }
        require(i2 != type(uint256).max, "no prover in both blocks");
        uint256 i1b = _indexOf(c1, prover);
        IRollup.ClaimItem[] memory items = new IRollup.ClaimItem[](2);
        items[0] = _claimItem(2, c2, i2);
        items[1] = _claimItem(1, c1, i1b);
        uint256 expected = PROVERS_REWARD * c2[i2].cost / _totalProverCost(HEIGHT) + PROVERS_REWARD * c1[i1b].cost
            / _totalProverCost(HEIGHT);

        vm.expectEmit(address(rollup));
        emit IRollup.RewardsClaimed(prover, recipient, expected, 2);
        assertEq(_claim(prover, items), expected);
        assertTrue(rollup.isClaimed(prover, 1));
        assertTrue(rollup.isClaimed(prover, 2));
    }

    function test_claim_paysAfterProverWithdrew() public {
        address w = _withdrawerOf(prover);
        vm.prank(w);
        staking.initiateExit(prover);
        _warpToEpoch(staking.getStaker(prover).exitEpoch + staking.withdrawalDelay());
        vm.prank(w);
        staking.withdraw(prover, w);
        _claim(prover, _oneItem(1, c1, 0));
        assertEq(rewardToken.balanceOf(recipient), share);
    }

    function test_claim_doesNotMarkOtherProvers() public {
        _claim(prover, _oneItem(1, c1, 0));
        assertFalse(rollup.isClaimed(c1[1].prover, 1));
        _claim(c1[1].prover, _oneItem(1, c1, 1));
        assertTrue(rollup.isClaimed(c1[1].prover, 1));
    }

    // ------------------------------------------------------------------ reverts

    function test_claim_revertsWhenNoItems() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.Rewards__ZeroAmount.selector));
        _claim(prover, new IRollup.ClaimItem[](0));
    }

    function test_claim_revertsWhenRecipientIsZero() public {
        IRollup.ClaimItem[] memory items = _oneItem(1, c1, 0);
        vm.prank(prover);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rewards__ZeroRecipient.selector));
        rollup.claim(address(0), items);
    }

    /// @dev Unproven numbers have no rewards root, so their leaves never verify.
    function test_claim_revertsWhenBlockIsGenesis() public {
        IRollup.ClaimItem[] memory items = _oneItem(1, c1, 0);
        items[0].blockNumber = 0;
        vm.expectRevert(abi.encodeWithSelector(Errors.Rewards__InvalidProof.selector, prover, 0));
        _claim(prover, items);
    }

    function test_claim_revertsWhenBlockPending() public {
        _proposeRoot();
        IRollup.ClaimItem[] memory items = _oneItem(1, c1, 0);
        items[0].blockNumber = 2;
        vm.expectRevert(abi.encodeWithSelector(Errors.Rewards__InvalidProof.selector, prover, 2));
        _claim(prover, items);
    }

    function test_claim_revertsWhenBlockNumberFarAhead() public {
        IRollup.ClaimItem[] memory items = _oneItem(1, c1, 0);
        items[0].blockNumber = type(uint64).max;
        vm.expectRevert(abi.encodeWithSelector(Errors.Rewards__InvalidProof.selector, prover, type(uint64).max));
        _claim(prover, items);
    }

    function test_claim_revertsWhenAlreadyClaimed() public {
        _claim(prover, _oneItem(1, c1, 0));
        IRollup.ClaimItem[] memory items = _oneItem(1, c1, 0);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rewards__AlreadyClaimed.selector, prover, 1));
        _claim(prover, items);
    }

    function test_claim_revertsWhenBlockRepeatedInBatch() public {
        IRollup.ClaimItem[] memory items = new IRollup.ClaimItem[](2);
        items[0] = _claimItem(1, c1, 0);
        items[1] = _claimItem(1, c1, 0);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rewards__AlreadyClaimed.selector, prover, 1));
        _claim(prover, items);
    }

    function test_claim_revertsWhenCostInflated() public {
        IRollup.ClaimItem[] memory items = _oneItem(1, c1, 0);
        items[0].cost += 1;
        vm.expectRevert(abi.encodeWithSelector(Errors.Rewards__InvalidProof.selector, prover, 1));
        _claim(prover, items);
    }

    function test_claim_revertsWhenLeafOfAnotherProver() public {
        IRollup.ClaimItem[] memory items = _oneItem(1, c1, 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rewards__InvalidProof.selector, prover, 1));
        _claim(prover, items);
    }

    function test_claim_revertsWhenProofEmpty() public {
        IRollup.ClaimItem[] memory items = _oneItem(1, c1, 0);
        items[0].proof = new bytes32[](0);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rewards__InvalidProof.selector, prover, 1));
        _claim(prover, items);
    }

    /// @dev A claim is by the staking key: someone else presenting a prover's leaf and proof gets nothing.
    function test_claim_revertsWhenCallerIsNotTheProver() public {
        address outsider = makeAddr("outsider");
        IRollup.ClaimItem[] memory items = _oneItem(1, c1, 0);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rewards__InvalidProof.selector, outsider, 1));
        _claim(outsider, items);
    }
}

/// @notice With an empty pool a proven block records a zero pot: there is nothing to claim.
contract ClaimUnfundedTest is RollupBase {
    function setUp() public override {
        _deploy();
        _registerAndActivate(STAKERS);
    }

    function test_claim_revertsWhenPotIsZero() public {
        (, Credit[] memory c) = _proposeAndProve(HEIGHT);
        assertEq(rollup.getProvenBlock(1).proversPot, 0);
        IRollup.ClaimItem[] memory items = _oneItem(1, c, 0);
        vm.prank(c[0].prover);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rewards__ZeroAmount.selector));
        rollup.claim(c[0].prover, items);
        assertFalse(rollup.isClaimed(c[0].prover, 1));
    }
}
