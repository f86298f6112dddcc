// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {RewardLib} from "../../contracts/libraries/RewardLib.sol";
import {SortitionLib} from "../../contracts/libraries/SortitionLib.sol";
import {RewardHarness} from "../harness/RewardHarness.sol";

/// @notice The worked examples of docs/PROTOCOL.md §8 and §13.4, checked against SortitionLib. If the spec's tables change,
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

    /// @notice §13.4: testnet rewards at n = 11, 12 of the 682 committee jobs unfilled (ten round-1, two round-2).
    function test_rewards_n11_coverage() public {
        RewardLib.Rewards memory r =
            RewardLib.Rewards({submitter: 10e18, sequencerBase: 50e18, sequencerCoverage: 64e18, provers: 500e18});
        uint256 committee = SortitionLib.proverJobs(11, 2);
        uint256 credited = committee - 12;
        uint256 total = SortitionLib.totalProverCost(11, 2, costs);
        uint256 creditedCost = total - 10 * 106 - 2 * 6;
        assertEq(credited, 670);
        assertEq(total, 55_292);
        assertEq(creditedCost, 54_220);
        assertEq(RewardLib.requiredJobs(committee, 5_000), 341, "testnet minimum coverage");

        // Pool >= due.
        RewardHarness h = new RewardHarness();
        h.fund(1_000_000e18);
        (uint256 sub, uint256 seq, uint256 pot) = h.due(r, credited, committee);
        assertEq(sub, 9_824046920821114369);
        assertEq(seq, 112_873900293255131964);
        assertEq(sub + seq + pot, 622_697947214076246333);
        IRollup.Payout memory p = h.payout(r, credited, committee, creditedCost, total);
        assertEq(p.proversReserved, 490_306011719597771829);
        assertEq(h.share(p.proversPot, 106, total), 958547348621862113);
        assertEq(h.share(p.proversPot, 112, total), 1_012804745713665629);

        // Pool = floor(due / 2).
        h = new RewardHarness();
        h.fund(311_348973607038123166);
        p = h.payout(r, credited, committee, creditedCost, total);
        assertEq(p.submitter, 4_912023460410557184);
        assertEq(p.sequencer, 56_436950146627565981);
        assertEq(p.proversPot, 249_999999999999999999);
        assertEq(p.proversReserved, 245_153005859798885913);
        assertEq(h.pool().balance, 4_846994140201114088);
        assertEq(h.share(p.proversPot, 106, total), 479273674310931056);
        assertEq(h.share(p.proversPot, 112, total), 506402372856832814);
    }
}
