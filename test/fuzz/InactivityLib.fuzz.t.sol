// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {InactivityHarness} from "../harness/InactivityHarness.sol";

/// @notice The inactivity bleed's penalty curve (docs/PROTOCOL.md §9).
contract InactivityLibFuzzTest is Test {
    InactivityHarness internal h;

    function setUp() public {
        h = new InactivityHarness();
    }

    function testFuzz_penalty_zeroBelowThreshold(uint256 strikes, uint256 threshold, uint256 base) public view {
        threshold = bound(threshold, 1, type(uint256).max);
        strikes = bound(strikes, 0, threshold - 1);
        assertEq(h.penalty(strikes, threshold, base), 0);
    }

    function testFuzz_penalty_baseAtThreshold(uint256 threshold, uint256 base) public view {
        assertEq(h.penalty(threshold, threshold, base), base);
    }

    function testFuzz_penalty_zeroBaseNeverPenalises(uint256 strikes, uint256 threshold) public view {
        assertEq(h.penalty(strikes, threshold, 0), 0);
    }

    function testFuzz_penalty_doublesPerStrike(uint256 threshold, uint256 extra, uint256 base) public view {
        threshold = bound(threshold, 1, 1 << 32);
        extra = bound(extra, 0, 300);
        base = bound(base, 1, type(uint256).max);
        uint256 strikes = threshold + extra;
        uint256 p = h.penalty(strikes, threshold, base);
        uint256 next = h.penalty(strikes + 1, threshold, base);
        if (extra < 256 && base <= type(uint256).max >> extra) {
            assertEq(p, base << extra, "base * 2^(strikes - threshold)");
        } else {
            assertEq(p, type(uint256).max, "saturated");
        }
        if (p == type(uint256).max) assertEq(next, type(uint256).max, "saturation is sticky");
        else if (p <= type(uint256).max / 2) assertEq(next, 2 * p, "doubles");
        else assertEq(next, type(uint256).max, "saturates instead of overflowing");
    }

    /// @dev Saturation exactly at a real overflow of base << (strikes - threshold) (docs/PROTOCOL.md §14.4).
    function test_penalty_saturatesOnlyOnOverflow() public view {
        uint256 max = type(uint256).max;
        uint256 t = 3;
        assertEq(h.penalty(t + 255, t, 1), 1 << 255, "1 << 255 is exact");
        assertEq(h.penalty(t + 256, t, 1), max, "1 << 256 overflows");
        assertEq(h.penalty(t + 254, t, 2), 1 << 255, "2 << 254 is exact");
        // 3 << 254 = 2^255 + 2^254 still fits 256 bits; 3 << 255 does not.
        assertEq(h.penalty(t + 254, t, 3), 3 << 254, "3 << 254 is exact");
        assertEq(h.penalty(t + 255, t, 3), max, "3 << 255 overflows");
        assertEq(h.penalty(t + 255, t, 2), max, "2 << 255 overflows");
        assertEq(h.penalty(t + 1, t, 1 << 254), 1 << 255, "2^254 << 1 is exact");
        assertEq(h.penalty(t + 1, t, (1 << 255) + 1), max, "above 2^255, one doubling overflows");
        assertEq(h.penalty(t, t, max), max, "no doubling: the base itself");
        assertEq(h.penalty(max, 0, 1), max, "2^(2^256 - 1)");
    }

    function testFuzz_penalty_monotonicInStrikes(uint256 s1, uint256 s2, uint256 threshold, uint256 base) public view {
        threshold = bound(threshold, 0, 1 << 16);
        s1 = bound(s1, 0, 1 << 17);
        s2 = bound(s2, 0, 1 << 17);
        (s1, s2) = s1 <= s2 ? (s1, s2) : (s2, s1);
        assertLe(h.penalty(s1, threshold, base), h.penalty(s2, threshold, base));
    }

    /// @dev Realistic parameters: stake 100k tokens, 1% base, threshold 3. The cumulative bleed reaches the 50%
    ///      ejection floor after a bounded number of strikes and no single penalty reverts.
    function testFuzz_penalty_cumulativeBleedReachesFloor(uint256 stakeSeed, uint256 thresholdSeed) public view {
        uint256 stake = bound(stakeSeed, 100, 1e30);
        uint256 threshold = bound(thresholdSeed, 1, 10);
        uint256 base = stake / 100;
        uint256 remaining = stake;
        uint256 strikes;
        while (remaining >= stake / 2) {
            ++strikes;
            uint256 p = h.penalty(strikes, threshold, base);
            remaining -= p < remaining ? p : remaining;
            assertLe(strikes, threshold + 8, "floor not reached within threshold + 8 strikes");
        }
    }
}
