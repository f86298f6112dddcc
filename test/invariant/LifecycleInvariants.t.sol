// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test, console2} from "forge-std/Test.sol";

import {LifecycleHandler} from "./handlers/LifecycleHandler.sol";
import {Rollup} from "../../contracts/Rollup.sol";
import {Staking} from "../../contracts/Staking.sol";
import {TestToken} from "../../contracts/devnet/TestToken.sol";
import {RewardLib} from "../../contracts/libraries/RewardLib.sol";

/// @notice Protocol invariants over random lifecycles (LifecycleHandler): stake and reward conservation, no double
///         claim, no proposal without quorum, and a pruned or replaced block never pays.
/// @dev Each invariant is its own campaign of runs x depth handler calls (a call signs attestations and transcripts),
///      so the default profile runs 24 x 128 (about 4 s per invariant on an idle 2-core machine) and ci 64 x 128.
/// forge-config: default.invariant.runs = 24
/// forge-config: default.invariant.depth = 128
/// forge-config: ci.invariant.runs = 64
/// forge-config: ci.invariant.depth = 128
contract LifecycleInvariantsTest is Test {
    LifecycleHandler internal handler;
    Rollup internal rollup;
    Staking internal staking;
    TestToken internal stakeToken;
    TestToken internal rewardToken;

    function setUp() public {
        handler = new LifecycleHandler();
        (rollup, staking, stakeToken, rewardToken) = handler.contracts();

        bytes4[] memory selectors = new bytes4[](15);
        // Weighted by repetition: time, proposals and proofs drive everything else; reports need several steps.
        selectors[0] = LifecycleHandler.warp.selector;
        selectors[1] = LifecycleHandler.warp.selector;
        selectors[2] = LifecycleHandler.propose.selector;
        selectors[3] = LifecycleHandler.propose.selector;
        selectors[4] = LifecycleHandler.prove.selector;
        selectors[5] = LifecycleHandler.prove.selector;
        selectors[6] = LifecycleHandler.claim.selector;
        selectors[7] = LifecycleHandler.claimAgain.selector;
        selectors[8] = LifecycleHandler.prune.selector;
        selectors[9] = LifecycleHandler.proveDead.selector;
        selectors[10] = LifecycleHandler.inactivity.selector;
        selectors[11] = LifecycleHandler.stake.selector;
        selectors[12] = LifecycleHandler.money.selector;
        selectors[13] = LifecycleHandler.inactivity.selector;
        selectors[14] = LifecycleHandler.replace.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @dev Staking's stake-token balance == totalStaked == the stakes of every key (active, exiting, withdrawable);
    ///      everything deposited is in Staking, in the slash sink, or withdrawn.
    function invariant_stakeConservation() public view {
        uint256 balance = stakeToken.balanceOf(address(staking));
        assertEq(balance, staking.totalStaked() + staking.slashedPending(), "balance != totalStaked + slashedPending");
        uint256 sum;
        for (uint256 i; i < handler.stakerCount(); ++i) {
            sum += staking.stakeOf(handler.stakerAt(i));
        }
        assertEq(sum, staking.totalStaked(), "sum of stakes != totalStaked");
        assertEq(
            handler.deposited(),
            balance + stakeToken.balanceOf(staking.slashSink()) + handler.withdrawn(),
            "deposited != staking + sink + withdrawn"
        );
    }

    /// @dev pool.paid + pool.outstanding + pool.balance == pool.funded == what was funded; paid plus what is still
    ///      claimable never exceeds it; the rollup holds at least balance + outstanding (exactly that plus donations);
    ///      and what was paid is exactly what submitters, sequencers and provers received.
    function invariant_rewardConservation() public view {
        RewardLib.Pool memory p = rollup.pool();
        assertEq(uint256(p.paid) + p.outstanding + p.balance, p.funded, "paid + outstanding + balance != funded");
        assertEq(p.funded, handler.funded(), "funded != ghost funded");
        // Owed (pull) rewards are part of outstanding: the sum over every account that can be owed is the ghost's.
        uint256 owed = rollup.rewardsOwed(handler.SUBMITTER());
        for (uint256 i; i < handler.stakerCount(); ++i) {
            owed += rollup.rewardsOwed(handler.withdrawerOf(handler.stakerAt(i)));
        }
        assertEq(owed, handler.ghostOwed(), "sum of owed != ghost owed");
        assertLe(handler.ghostClaimable() + owed, p.outstanding, "claimable + owed above outstanding");
        assertLe(uint256(p.paid) + handler.ghostClaimable() + owed, p.funded, "paid + claimable + owed above funded");
        uint256 held = rewardToken.balanceOf(address(rollup));
        assertGe(held, uint256(p.balance) + p.outstanding, "rollup holds less than balance + outstanding");
        assertEq(held, uint256(p.balance) + p.outstanding + handler.donated(), "rollup balance drifted");
        uint256 received = rewardToken.balanceOf(handler.SUBMITTER());
        for (uint256 i; i < handler.stakerCount(); ++i) {
            received += rewardToken.balanceOf(handler.withdrawerOf(handler.stakerAt(i)));
        }
        assertEq(received, p.paid, "recipients' balances != pool.paid");
    }

    /// @dev Every claimed (prover, block) is marked claimed, a second claim never paid, and claims paid exactly the
    ///      booked shares.
    function invariant_noDoubleClaim() public view {
        assertEq(handler.doubleClaims(), 0, handler.lastViolation());
        for (uint256 i; i < handler.claimedPairCount(); ++i) {
            (address prover, uint256 number) = handler.claimedPairAt(i);
            assertTrue(rollup.isClaimed(prover, number), "claimed pair not marked");
        }
        assertEq(handler.claimedEventsTotal(), handler.ghostClaimedTotal(), "claims paid != booked shares");
    }

    /// @dev Every BlockProposed came from a call carrying a valid quorum (>= M distinct committee attestations).
    function invariant_noProposalWithoutQuorum() public view {
        assertEq(handler.proposalsWithoutQuorum(), 0, handler.lastViolation());
    }

    /// @dev No pruned or replaced block is ever proven; each proven number records the live (replacing) block's hash.
    function invariant_prunedBlockNeverPays() public view {
        assertEq(handler.prunedBlocksProven(), 0, handler.lastViolation());
        (, uint64 provenTip) = rollup.chain();
        for (uint256 n = 1; n <= provenTip; ++n) {
            bytes32 hash = rollup.getProvenBlock(n).blockHash;
            assertEq(hash, handler.liveHash(n), "proven record is not the live block");
            assertFalse(handler.dead(hash), "dead block recorded as proven");
        }
        for (uint256 i; i < handler.deadCount(); ++i) {
            (uint256 number, bytes32 hash) = handler.deadHashAt(i);
            assertTrue(rollup.getProvenBlock(number).blockHash != hash, "dead block's hash proven");
            assertFalse(handler.provenHash(hash), "dead block emitted BlockProven");
        }
    }

    /// @dev The chain the contracts hold is the ghost chain: heads ordered, the proven tip never moves back, every
    ///      unproven block and the proven tip are intact in the proposal ring buffer with strictly increasing slots,
    ///      and each block's parent is the block below it.
    function invariant_chainConsistent() public view {
        (uint64 pendingTip, uint64 provenTip) = rollup.chain();
        assertLe(provenTip, pendingTip, "provenTip above pendingTip");
        assertEq(provenTip, handler.maxProvenTip(), "proven tip moved back");
        assertLe(pendingTip - provenTip, rollup.proofWindow() + 1, "more unproven blocks than the window allows");
        for (uint256 n = provenTip; n <= pendingTip; ++n) {
            if (n == 0) continue;
            assertEq(rollup.getBlock(n).blockHash, handler.liveHash(n), "ring entry overwritten");
            assertEq(rollup.blockHashOf(n), handler.liveHash(n), "blockHashOf != live block");
            assertEq(handler.liveHeader(n).parentHash, handler.liveHash(n - 1), "parent link broken");
            if (n > 1) assertGt(handler.liveHeader(n).slot, handler.liveHeader(n - 1).slot, "slots not increasing");
        }
    }

    /// @dev Every expectation of the handler held (valid calls succeeded with the booked effects, invalid ones reverted).
    function invariant_handlerExpectations() public view {
        assertEq(handler.violations(), 0, handler.lastViolation());
    }

    /// @dev Coverage of the last run (visible with -vv).
    function afterInvariant() external view {
        (uint64 pendingTip, uint64 provenTip) = rollup.chain();
        console2.log("pendingTip", pendingTip, "provenTip", provenTip);
        console2.log("proposals ok", handler.calls("propose.ok"), "invalid tried", handler.calls("propose.invalid"));
        console2.log("replacements", handler.calls("replace.ok"), "impossible", handler.calls("propose.impossible"));
        console2.log("proofs ok", handler.calls("prove.ok"), "late tried", handler.calls("prove.late"));
        console2.log("dead blocks", handler.deadCount(), "prunes", handler.calls("prune.ok"));
        console2.log("claims", handler.calls("claim.ok"), "claimed pairs", handler.claimedPairCount());
        console2.log("reports", handler.calls("inactivity.report"), "finalised", handler.calls("inactivity.finalise"));
        console2.log(
            "cleared by reward",
            handler.calls("inactivity.clear"),
            "by job result",
            handler.calls("inactivity.clearJob")
        );
        console2.log("stakers", handler.stakerCount());
        console2.log("exits", handler.calls("stake.exit"), "withdrawals", handler.calls("stake.withdraw"));
    }
}
