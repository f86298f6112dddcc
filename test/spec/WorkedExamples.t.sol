// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {SortitionLib} from "../../contracts/libraries/SortitionLib.sol";

/// @notice The worked examples of docs/PROTOCOL.md §8, checked against SortitionLib. If the spec's tables change,
///         this file changes with them.
contract WorkedExamplesTest is Test {
    SortitionLib.CostWeights internal costs =
        SortitionLib.CostWeights({vmProofsPerTx: 2, vmProofCost: 10, baseProofCost: 5, mergeProofCost: 2});

    /// @notice Option 2 at the seed's n = 11: m = 2, R = 2 gives 6 rounds, the last one the sequencer's.
    function test_option2_n11_m2() public view {
        uint256 n = 11;
        uint256 m = 2;
        assertEq(SortitionLib.rounds(n, m), 6);
        uint256[6] memory jobs = [uint256(512), 128, 32, 8, 2, 1];
        uint256[6] memory levels = [uint256(2), 4, 6, 8, 10, 11];
        uint256[6] memory offsets = [uint256(0), 512, 640, 672, 680, 682];
        for (uint256 r = 1; r <= 6; ++r) {
            assertEq(SortitionLib.jobs(r, n, m), jobs[r - 1], "jobs");
            assertEq(SortitionLib.level(r, n, m), levels[r - 1], "level");
            assertEq(SortitionLib.offset(r, n, m), offsets[r - 1], "offset");
        }
        // Committee targets R * jobs(r) for the five prover rounds: 2^10, 2^8, 2^6, 2^4, 2^2 (the seed said 2^11 ...).
        assertEq(2 * SortitionLib.jobs(1, n, m), 1024);
        assertEq(2 * SortitionLib.jobs(5, n, m), 4);
        assertEq(SortitionLib.totalJobs(n, m), 683);
        assertEq(SortitionLib.proverJobs(n, m), 682);
        // Round 1: 4 transactions x (2 VM proofs x 10 s + 5 s base) + 3 merges x 2 s; later rounds 3 merges.
        assertEq(SortitionLib.jobCost(1, n, m, costs), 106);
        assertEq(SortitionLib.jobCost(2, n, m, costs), 6);
        assertEq(SortitionLib.totalProverCost(n, m, costs), 512 * 106 + (128 + 32 + 8 + 2) * 6);
    }

    /// @notice Option 1 (binary path) at n = 11: m = 1, one round per level, the root merge is the sequencer's.
    function test_option1_n11_m1() public view {
        assertEq(SortitionLib.rounds(11, 1), 11);
        assertEq(SortitionLib.jobs(1, 11, 1), 1024);
        assertEq(SortitionLib.jobs(10, 11, 1), 2);
        assertEq(SortitionLib.jobs(11, 11, 1), 1);
        assertEq(SortitionLib.totalJobs(11, 1), 2047);
        assertEq(SortitionLib.jobCost(1, 11, 1, costs), 2 * 25 + 2);
        assertEq(SortitionLib.jobCost(2, 11, 1, costs), 2);
    }

    /// @notice A path: the score's low n bits give the leaf; its job in round r is the leaf shifted by level(r).
    function test_pathAndNeighbourhood() public pure {
        uint256 score = (uint256(0xabc) << 200) | 0x0656; // low 11 bits 0b110_0101_0110 = 1622
        assertEq(SortitionLib.pathLeaf(score, 11), 1622);
        assertEq(SortitionLib.jobOnPath(score, 1, 11, 2), 405);
        assertEq(SortitionLib.jobOnPath(score, 2, 11, 2), 101);
        assertEq(SortitionLib.jobOnPath(score, 5, 11, 2), 1);
        assertTrue(SortitionLib.inNeighbourhood(404, 405, 1));
        assertFalse(SortitionLib.inNeighbourhood(406, 405, 1));
        assertTrue(SortitionLib.inNeighbourhood(406, 405, 2));
    }

    /// @notice Thresholds: quantiles of the score space, committee capped at 2^255, sequencer range above it.
    function test_thresholds() public pure {
        uint256 max = type(uint256).max;
        assertEq(SortitionLib.committeeThreshold(48, 500_000), (max / 500_000) * 48);
        assertEq(SortitionLib.committeeThreshold(1024, 32), 1 << 255, "devnet: capped at half");
        assertEq(SortitionLib.sequencerFloor(4, 500_000), max - (max / 500_000) * 4);
        assertGe(SortitionLib.sequencerFloor(1000, 32), (1 << 255) - 1 + 1, "sequencer range stays in the top half");
        assertEq(SortitionLib.quantile(5, 0), 0, "no stakers: nobody eligible");
    }
}
