// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RollupBase} from "./RollupBase.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {MessagesLib} from "../../../contracts/libraries/MessagesLib.sol";
import {SortitionLib} from "../../../contracts/libraries/SortitionLib.sol";

contract RollupViewsTest is RollupBase {
    function test_currentSlot_followsTheClock() public {
        vm.warp(GENESIS - 1);
        assertEq(rollup.currentSlot(), 0, "before genesis clamps to 0");
        vm.warp(GENESIS + 6 * 10 + 5);
        assertEq(rollup.currentSlot(), 10);
        assertEq(rollup.currentEpoch(), 2);
        assertEq(rollup.currentEpoch(), staking.currentEpoch(), "one clock");
    }

    function test_slotSeed_mixesEpochSeedAndSlot() public view {
        uint256 slot = 13;
        bytes32 expected = keccak256(abi.encode(rollup.epochSeed(slot / rollup.epochDuration()), slot));
        assertEq(rollup.slotSeed(slot), expected);
        assertTrue(rollup.slotSeed(12) != rollup.slotSeed(13));
    }

    function test_scoreOf_isSha256OfKeyAndSlotSeed() public view {
        address key = stakers[0];
        assertEq(rollup.scoreOf(key, 9), uint256(sha256(abi.encode(key, rollup.slotSeed(9)))));
    }

    function test_epochSeed_fallsBackToLatestEarlierSample() public view {
        // Nothing was sampled after deployment: every later epoch reads the deployment's lookahead sample.
        uint256 sampled = rollup.epochSeed(rollup.seedLookahead());
        assertEq(rollup.epochSeed(50), sampled);
    }

    function test_getBlock_and_blockHashOf_trackPendingAndProven() public {
        (Blk memory b,) = _proposeAndProve(HEIGHT);
        MessagesLib.Header memory pending = _proposeRoot();
        assertEq(rollup.blockHashOf(1), MessagesLib.blockHash(b.header));
        assertEq(rollup.blockHashOf(2), MessagesLib.blockHash(pending));
        IRollup.BlockLog memory log = rollup.getBlock(2);
        assertEq(log.blockHash, MessagesLib.blockHash(pending));
        assertEq(log.proposer, pending.proposer);
        assertEq(rollup.getProvenBlock(1).blockHash, MessagesLib.blockHash(b.header));
        assertEq(rollup.getProvenBlock(2).blockHash, bytes32(0), "pending block has no proven record");
    }

    function test_blockHashOf_keepsProvenHashesBeyondTheRing() public {
        uint256 ring = rollup.proofWindow() + 2;
        bytes32[] memory hashes = new bytes32[](ring + 2);
        for (uint256 i; i < hashes.length; ++i) {
            (Blk memory b,) = _proposeAndProve(uint8(rollup.minHeight()));
            hashes[i] = MessagesLib.blockHash(b.header);
        }
        for (uint256 i; i < hashes.length; ++i) {
            assertEq(rollup.blockHashOf(i + 1), hashes[i]);
            assertEq(rollup.getProvenBlock(i + 1).blockHash, hashes[i]);
        }
    }

    function test_isClaimed_falseUntilClaimed() public {
        (, Credit[] memory c) = _proposeAndProve(HEIGHT);
        assertFalse(rollup.isClaimed(c[0].prover, 1));
        vm.prank(c[0].prover);
        rollup.claim(c[0].prover, _oneItem(1, c, 0));
        assertTrue(rollup.isClaimed(c[0].prover, 1));
        assertFalse(rollup.isClaimed(c[0].prover, 2));
        assertFalse(rollup.isClaimed(c[0].prover, 257), "other bitmap word");
    }

    function test_getInactivity_emptyForUnknownStaker() public view {
        IRollup.Inactivity memory r = rollup.getInactivity(address(0xbeef));
        assertEq(r.lastAppearance, 0);
        assertEq(r.pendingBlock, 0);
        assertEq(r.pendingSlot, 0);
        assertEq(r.strikes, 0);
    }

    function test_costWeights_giveDocumentedJobCosts() public view {
        SortitionLib.CostWeights memory w = rollup.costWeights();
        // n = 6, m = 2: 16 round-1 jobs of 4 txs, 4 round-2 jobs merging 4 outputs.
        uint256 round1 = 4 * (w.vmProofsPerTx * w.vmProofCost + w.baseProofCost) + 3 * w.mergeProofCost;
        uint256 round2 = 3 * w.mergeProofCost;
        assertEq(round1, 106);
        assertEq(_totalProverCost(6), 16 * round1 + 4 * round2);
    }
}

contract SampleSeedTest is RollupBase {
    function test_sampleSeed_recordsLookaheadEpoch() public {
        uint256 epoch = rollup.currentEpoch();
        uint256 target = epoch + rollup.seedLookahead();
        vm.prevrandao(bytes32(uint256(1234)));
        rollup.sampleSeed();
        assertEq(rollup.epochSeed(target), uint224(uint256(keccak256(abi.encode(uint256(1234), target)))));
    }

    function test_sampleSeed_isIdempotentWithinEpoch() public {
        uint256 target = rollup.currentEpoch() + rollup.seedLookahead();
        vm.prevrandao(bytes32(uint256(1)));
        rollup.sampleSeed();
        uint256 first = rollup.epochSeed(target);
        vm.prevrandao(bytes32(uint256(2)));
        _warpToSlot(rollup.currentSlot() + 1);
        rollup.sampleSeed();
        assertEq(rollup.epochSeed(target), first, "a recorded seed is never overwritten");
    }

    function test_sampleSeed_closesTheStaleSeedGap() public {
        // Keys registered now are active from epoch e + D. A sample during epoch e + D - L fixes that epoch's seed
        // after their registration instead of falling back to a seed they already knew.
        uint256 e = rollup.currentEpoch();
        uint256 activation = e + staking.setChangeDelay();
        uint256 known = rollup.epochSeed(activation);
        _warpToEpoch(activation - rollup.seedLookahead());
        vm.prevrandao(bytes32(uint256(0xfeed)));
        rollup.sampleSeed();
        assertTrue(rollup.epochSeed(activation) != known);
    }
}
