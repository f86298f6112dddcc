// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {UnitBase} from "../unit/UnitBase.sol";
import {BleedBase} from "../unit/rollup/InactivityBase.sol";
import {TestToken} from "../../contracts/devnet/TestToken.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {RewardLib} from "../../contracts/libraries/RewardLib.sol";
import {BlocklistToken} from "../mocks/BlocklistToken.sol";
import {HookToken, RevertingRecipient} from "../mocks/HookToken.sol";

/// @notice No reward recipient can block a proof: submitProof only credits owed balances, and each account pulls its
///         own. A recipient the token refuses (blocklisted, or a contract whose receive hook reverts) only fails its
///         own withdrawal.
abstract contract PullPaymentsBase is UnitBase {
    Blk internal b;
    Credit[] internal credits;
    address internal submitter = makeAddr("submitter");
    address internal seqWithdrawer;

    function setUp() public virtual {
        _setUpNetwork();
        b = _proposeNext(HEIGHT);
        seqWithdrawer = _withdrawerOf(b.header.proposer);
        _refuse(seqWithdrawer);
    }

    /// @dev Makes the reward token refuse transfers to `account`.
    function _refuse(address account) internal virtual;

    /// @dev The revert the token raises for a transfer to a refused `account`.
    function _refusal(address account) internal view virtual returns (bytes memory);

    function _proveFromSubmitter() internal {
        (bytes memory proof, Credit[] memory c) = _transcript(b.header, b.outputs, new address[](0));
        for (uint256 i; i < c.length; ++i) {
            credits.push(c[i]);
        }
        vm.prank(submitter);
        rollup.submitProof(b.header, proof);
    }

    function test_refusedSequencerWithdrawer_doesNotBlockTheProof() public {
        _proveFromSubmitter();
        assertEq(_provenTip(), 1, "block proven");
        uint256 jobs = _contributionCount(credits);
        assertEq(rollup.rewardsOwed(seqWithdrawer), _sequencerDue(jobs, HEIGHT), "sequencer reward owed");
        assertEq(rollup.rewardsOwed(submitter), _submitterDue(jobs, HEIGHT), "submitter reward owed");
    }

    function test_refusedSequencerWithdrawer_othersStillWithdrawAndClaim() public {
        _proveFromSubmitter();
        uint256 jobs = _contributionCount(credits);
        vm.prank(submitter);
        assertEq(rollup.withdrawRewards(submitter), _submitterDue(jobs, HEIGHT));
        assertEq(rewardToken.balanceOf(submitter), _submitterDue(jobs, HEIGHT));

        vm.prank(credits[0].prover);
        uint256 claimed = rollup.claim(credits[0].prover, _oneItem(1, credits, 0));
        assertEq(claimed, PROVERS_REWARD * credits[0].cost / _totalProverCost(HEIGHT));
        assertEq(rewardToken.balanceOf(credits[0].prover), claimed);
    }

    function test_refusedSequencerWithdrawer_onlyItsOwnWithdrawalReverts() public {
        _proveFromSubmitter();
        uint256 owed = rollup.rewardsOwed(seqWithdrawer);
        RewardLib.Pool memory before = rollup.pool();
        vm.prank(seqWithdrawer);
        vm.expectRevert(_refusal(seqWithdrawer));
        rollup.withdrawRewards(seqWithdrawer);
        assertEq(rollup.rewardsOwed(seqWithdrawer), owed, "a failed withdrawal keeps the balance owed");
        assertEq(abi.encode(rollup.pool()), abi.encode(before), "and the pool's books");

        // The next block is proven and paid as usual.
        Blk memory next = _proposeNext(HEIGHT);
        (bytes memory proof,) = _transcript(next.header, next.outputs, new address[](0));
        vm.prank(submitter);
        rollup.submitProof(next.header, proof);
        assertEq(_provenTip(), 2);
    }

    /// @dev The refused account keeps its reward and can take it to an address the token accepts.
    function test_refusedSequencerWithdrawer_canWithdrawElsewhere() public {
        _proveFromSubmitter();
        uint256 owed = rollup.rewardsOwed(seqWithdrawer);
        address elsewhere = makeAddr("elsewhere");
        vm.prank(seqWithdrawer);
        vm.expectEmit(address(rollup));
        emit IRollup.RewardsWithdrawn(seqWithdrawer, elsewhere, owed);
        assertEq(rollup.withdrawRewards(elsewhere), owed);
        assertEq(rewardToken.balanceOf(elsewhere), owed);
        assertEq(rollup.rewardsOwed(seqWithdrawer), 0);
    }
}

contract BlocklistedWithdrawerTest is PullPaymentsBase {
    function _newRewardToken() internal override returns (TestToken) {
        return new BlocklistToken("SPN Reward", "RWD");
    }

    function _refuse(address account) internal override {
        BlocklistToken(address(rewardToken)).setBlocklisted(account, true);
    }

    function _refusal(address account) internal pure override returns (bytes memory) {
        return abi.encodeWithSelector(BlocklistToken.Blocklisted.selector, account);
    }
}

contract RevertingHookWithdrawerTest is PullPaymentsBase {
    function _newRewardToken() internal override returns (TestToken) {
        return new HookToken("SPN Reward", "RWD");
    }

    /// @dev Puts a contract whose receive hook reverts at `account` and registers it with the token.
    function _refuse(address account) internal override {
        vm.etch(account, address(new RevertingRecipient()).code);
        vm.prank(account);
        HookToken(address(rewardToken)).register();
    }

    function _refusal(address) internal pure override returns (bytes memory) {
        return abi.encodeWithSelector(RevertingRecipient.Refused.selector);
    }
}

/// @notice withdrawRewards: whole balance, recipient of the caller's choice, books outstanding -> paid.
contract WithdrawRewardsTest is UnitBase {
    function setUp() public {
        _setUpNetwork();
        _proposeAndProve(HEIGHT);
    }

    function test_withdrawRewards_paysWholeBalanceAndBooksIt() public {
        uint256 owed = rollup.rewardsOwed(address(this));
        assertGt(owed, 0);
        RewardLib.Pool memory before = rollup.pool();
        address to = makeAddr("to");
        vm.expectEmit(address(rollup));
        emit IRollup.RewardsWithdrawn(address(this), to, owed);
        assertEq(rollup.withdrawRewards(to), owed);
        RewardLib.Pool memory p = rollup.pool();
        assertEq(p.outstanding, before.outstanding - owed);
        assertEq(p.paid, before.paid + owed);
        assertEq(p.balance, before.balance);
        assertEq(uint256(p.balance) + p.outstanding + p.paid, p.funded, "conservation");
        assertEq(rewardToken.balanceOf(to), owed);
        assertEq(rollup.rewardsOwed(address(this)), 0);
    }

    function test_withdrawRewards_revertsWhenNothingOwed() public {
        rollup.withdrawRewards(address(this));
        vm.expectRevert(Errors.Rewards__ZeroAmount.selector);
        rollup.withdrawRewards(address(this));
        vm.prank(makeAddr("stranger"));
        vm.expectRevert(Errors.Rewards__ZeroAmount.selector);
        rollup.withdrawRewards(address(this));
    }

    function test_withdrawRewards_revertsWhenRecipientIsZero() public {
        vm.expectRevert(Errors.Rewards__ZeroRecipient.selector);
        rollup.withdrawRewards(address(0));
    }
}

/// @notice A slash sink the stake token refuses does not block finaliseReport: slashed stake is held for the sink and
///         only the sweep to it reverts.
contract BlocklistedSlashSinkTest is BleedBase {
    function _newStakeToken() internal override returns (TestToken) {
        return new BlocklistToken("SPN Stake", "STK");
    }

    function test_blocklistedSlashSink_doesNotBlockFinaliseReport() public {
        BlocklistToken(address(stakeToken)).setBlocklisted(SLASH_SINK, true);
        _report(staker, 0);
        _warpToSlot(_graceEnd() + 1);
        uint256 penalty = rollup.penaltyBase();
        vm.expectEmit(address(rollup));
        emit IRollup.StrikeFinalised(staker, headers[0].number, 1, penalty, false);
        rollup.finaliseReport(staker);
        assertEq(staking.stakeOf(staker), STAKE - penalty);
        assertEq(staking.slashedPending(), penalty, "held for the sink");

        vm.expectRevert(abi.encodeWithSelector(BlocklistToken.Blocklisted.selector, SLASH_SINK));
        staking.withdrawSlashed();
        assertEq(staking.slashedPending(), penalty, "still held after the failed sweep");

        BlocklistToken(address(stakeToken)).setBlocklisted(SLASH_SINK, false);
        assertEq(staking.withdrawSlashed(), penalty);
        assertEq(stakeToken.balanceOf(SLASH_SINK), penalty);
    }
}
