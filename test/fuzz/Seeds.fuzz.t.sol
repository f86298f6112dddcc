// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {SeedHarness} from "../harness/SeedHarness.sol";

/// @notice The shared clock and the RANDAO seed trace (docs/PROTOCOL.md §1, §3): an epoch's seed is fixed once the
///         chain has reached epoch - lookahead, whatever RANDAO does later.
contract SeedsFuzzTest is Test {
    // ------------------------------------------------------------------------------------------ clock

    function testFuzz_slotAt_clampsAndIsMonotonic(uint64 genesis, uint64 t1, uint64 t2, uint16 durationSeed) public {
        SeedHarness h = new SeedHarness(1);
        uint256 duration = bound(durationSeed, 1, 3600);
        (t1, t2) = t1 <= t2 ? (t1, t2) : (t2, t1);
        uint256 s1 = h.slotAt(t1, genesis, duration);
        uint256 s2 = h.slotAt(t2, genesis, duration);
        assertLe(s1, s2, "slots go backwards");
        if (t1 < genesis) assertEq(s1, 0, "before genesis is slot 0");
        else assertEq(s1, (t1 - genesis) / duration, "slot = (t - genesis) / duration");
        // A slot lasts exactly `duration` seconds.
        if (t1 >= genesis) {
            uint256 start = uint256(genesis) + s1 * duration;
            assertEq(h.slotAt(start, genesis, duration), s1);
            if (start > genesis) assertEq(h.slotAt(start - 1, genesis, duration), s1 - 1);
            assertEq(h.slotAt(start + duration - 1, genesis, duration), s1);
        }
    }

    function testFuzz_epochOf_slotsPerEpoch(uint64 slot, uint16 epochSeed) public {
        SeedHarness h = new SeedHarness(1);
        uint256 e = bound(epochSeed, 1, 1024);
        uint256 epoch = h.epochOf(slot, e);
        assertLe(epoch * e, slot);
        assertGt((epoch + 1) * e, slot);
    }

    // ------------------------------------------------------------------------------------------ seeds

    /// @dev Sampling at non-decreasing epochs with changing RANDAO: once epoch x's seed is readable (x <= current +
    ///      lookahead) it never changes, and it is the sample recorded at the latest key <= x.
    function testFuzz_sampleSeed_fixedOnceSampled(uint224 genesisSeed, uint8 lookaheadSeed, uint256 seed) public {
        SeedHarness h = new SeedHarness(genesisSeed);
        uint256 lookahead = bound(lookaheadSeed, 1, 4);
        uint256 current;
        uint256[64] memory seen;
        bool[64] memory fixedAt;
        for (uint256 step; step < 24; ++step) {
            uint256 x = uint256(keccak256(abi.encode(seed, step)));
            current += x % 3; // 0, 1 or 2 epochs later
            if (current + lookahead >= 64) break;
            vm.prevrandao(bytes32(x));
            h.sampleSeed(current, lookahead);
            assertGe(h.latestKey(), current + lookahead, "seed of current + lookahead not recorded");
            for (uint256 e; e <= current + lookahead; ++e) {
                uint256 s = h.epochSeed(e);
                if (fixedAt[e]) assertEq(s, seen[e], "a sampled epoch's seed changed");
                (seen[e], fixedAt[e]) = (s, true);
            }
        }
        assertEq(h.epochSeed(0), genesisSeed, "epoch 0 keeps the deployment seed unless resampled at key 0");
    }

    /// @dev Sampling twice in the same epoch does not move the recorded seed, whatever RANDAO says the second time.
    function testFuzz_sampleSeed_idempotentWithinEpoch(uint32 epochSeed, uint8 lookaheadSeed, bytes32 r1, bytes32 r2)
        public
    {
        SeedHarness h = new SeedHarness(7);
        uint256 current = bound(epochSeed, 1, 1 << 30);
        uint256 lookahead = bound(lookaheadSeed, 1, 4);
        vm.prevrandao(r1);
        h.sampleSeed(current, lookahead);
        uint256 first = h.epochSeed(current + lookahead);
        assertEq(first, uint256(uint224(uint256(keccak256(abi.encode(r1, current + lookahead))))), "sample formula");
        vm.prevrandao(r2);
        h.sampleSeed(current, lookahead);
        assertEq(h.epochSeed(current + lookahead), first, "resampled within the epoch");
    }
}
