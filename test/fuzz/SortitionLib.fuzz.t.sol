// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Test} from "forge-std/Test.sol";

import {SortitionLib} from "../../contracts/libraries/SortitionLib.sol";
import {SortitionHarness} from "../harness/SortitionHarness.sol";

/// @notice Properties of the selection thresholds and the work schedule (docs/PROTOCOL.md §3-§4).
contract SortitionLibFuzzTest is Test {
    SortitionHarness internal h;

    uint256 internal constant MAX = type(uint256).max;
    uint256 internal constant HALF = 1 << 255;

    function setUp() public {
        h = new SortitionHarness();
    }

    /// @dev Schedule parameters in the range the Rollup accepts: m in [1, 4], n in [m + 1, 24].
    function _schedule(uint256 mSeed, uint256 nSeed) internal pure returns (uint256 m, uint256 n) {
        m = bound(mSeed, 1, 4);
        n = bound(nSeed, m + 1, 24);
    }

    // ------------------------------------------------------------------------------------------ thresholds

    function testFuzz_quantile_monotonicInTarget(uint256 t1, uint256 t2, uint256 n) public view {
        n = bound(n, 1, MAX);
        (t1, t2) = t1 <= t2 ? (t1, t2) : (t2, t1);
        assertLe(h.quantile(t1, n), h.quantile(t2, n), "quantile must not decrease with the target");
    }

    function testFuzz_quantile_nonIncreasingInN(uint256 t, uint256 n1, uint256 n2) public view {
        n1 = bound(n1, 1, MAX);
        n2 = bound(n2, 1, MAX);
        (n1, n2) = n1 <= n2 ? (n1, n2) : (n2, n1);
        assertGe(h.quantile(t, n1), h.quantile(t, n2), "quantile must not increase with N");
    }

    function testFuzz_quantile_matchesDefinition(uint256 t, uint256 n) public view {
        uint256 q = h.quantile(t, n);
        if (n == 0) assertEq(q, 0, "no stakers, no committee");
        else if (t >= n) assertEq(q, MAX, "saturates at target >= N");
        else assertEq(q, (MAX / n) * t, "floor(MAX / N) * target");
    }

    function testFuzz_committeeThreshold_cappedAtHalf(uint256 t, uint256 n) public view {
        uint256 c = h.committeeThreshold(t, n);
        uint256 q = h.quantile(t, n);
        assertLe(c, HALF, "committee threshold above 2^255");
        assertEq(c, q < HALF ? q : HALF, "min(quantile, 2^255)");
    }

    function testFuzz_committeeThreshold_monotonic(uint256 t1, uint256 t2, uint256 n1, uint256 n2) public view {
        (t1, t2) = t1 <= t2 ? (t1, t2) : (t2, t1);
        n1 = bound(n1, 1, MAX);
        n2 = bound(n2, 1, MAX);
        (n1, n2) = n1 <= n2 ? (n1, n2) : (n2, n1);
        assertLe(h.committeeThreshold(t1, n1), h.committeeThreshold(t2, n1), "larger target, larger committee");
        assertGe(h.committeeThreshold(t1, n1), h.committeeThreshold(t1, n2), "more stakers, smaller fraction");
    }

    function testFuzz_sequencerFloor_neverOverlapsCommittee(uint256 s, uint256 seqTarget, uint256 comTarget, uint256 n)
        public
        view
    {
        uint256 floor = h.sequencerFloor(seqTarget, n);
        uint256 threshold = h.committeeThreshold(comTarget, n);
        assertGe(floor, HALF, "sequencer floor below 2^255");
        assertLe(threshold, floor, "ranges overlap");
        // A score can never be both sequencer-eligible and in a committee.
        assertFalse(s > floor && s < threshold, "score in both ranges");
    }

    function testFuzz_sequencerFloor_monotonic(uint256 t1, uint256 t2, uint256 n1, uint256 n2) public view {
        (t1, t2) = t1 <= t2 ? (t1, t2) : (t2, t1);
        n1 = bound(n1, 1, MAX);
        n2 = bound(n2, 1, MAX);
        (n1, n2) = n1 <= n2 ? (n1, n2) : (n2, n1);
        assertGe(h.sequencerFloor(t1, n1), h.sequencerFloor(t2, n1), "larger target, lower floor");
        assertLe(h.sequencerFloor(t1, n1), h.sequencerFloor(t1, n2), "more stakers, higher floor");
        uint256 q = h.quantile(t1, n1);
        assertEq(h.sequencerFloor(t1, n1), MAX - (q < HALF - 1 ? q : HALF - 1), "MAX - min(q, 2^255 - 1)");
    }

    /// @dev A sole staker: scores above 2^255 sequence, scores below 2^255 are on every committee.
    function testFuzz_sequencerFloor_soleStakerRange(uint256 target) public view {
        target = bound(target, 1, MAX);
        assertEq(h.sequencerFloor(target, 1), HALF, "N = 1: the whole upper half sequences");
        assertEq(h.committeeThreshold(target, 1), HALF, "N = 1: the whole lower half is on the committee");
    }

    // ------------------------------------------------------------------------------------------ schedule

    function testFuzz_rounds_levelsConsistent(uint256 mSeed, uint256 nSeed) public view {
        (uint256 m, uint256 n) = _schedule(mSeed, nSeed);
        uint256 k = h.rounds(n, m);
        assertEq(k, (n + m - 1) / m, "K = ceil(n / m)");
        assertGe(k, 2, "n > m leaves at least one committee round");
        assertEq(h.level(0, n, m), 0, "level(0) = 0");
        assertEq(h.level(k, n, m), n, "level(K) = n");
        assertLt(h.level(k - 1, n, m), n, "round K - 1 is below the root");
        for (uint256 r = 1; r <= k; ++r) {
            uint256 hr = h.level(r, n, m) - h.level(r - 1, n, m);
            assertGt(hr, 0, "every round climbs");
            assertLe(hr, m, "no round climbs more than m");
            if (r < k) assertEq(hr, m, "only the last round may be short");
        }
        assertEq(h.level(k + 5, n, m), n, "levels clamp at n");
    }

    function testFuzz_jobs_offsetsConsistent(uint256 mSeed, uint256 nSeed) public view {
        (uint256 m, uint256 n) = _schedule(mSeed, nSeed);
        uint256 k = h.rounds(n, m);
        assertEq(h.jobs(k, n, m), 1, "one root job");
        assertEq(h.offset(1, n, m), 0, "round 1 starts at id 0");
        for (uint256 r = 1; r <= k; ++r) {
            uint256 jr = h.jobs(r, n, m);
            assertEq(jr, 1 << (n - h.level(r, n, m)), "jobs(r) = 2^(n - level(r))");
            assertEq(h.offset(r + 1, n, m), h.offset(r, n, m) + jr, "offsets concatenate rounds");
            if (r > 1) {
                uint256 width = 1 << (h.level(r, n, m) - h.level(r - 1, n, m));
                assertEq(h.jobs(r - 1, n, m), jr * width, "each job merges 2^h(r) jobs of the round below");
            }
        }
        assertEq(h.totalJobs(n, m), h.offset(k + 1, n, m), "totalJobs = offset(K + 1)");
        assertEq(h.proverJobs(n, m), h.totalJobs(n, m) - 1, "every job but the root is a committee job");
        assertEq(h.proverJobs(n, m), h.offset(k, n, m), "proverJobs = offset(K)");
    }

    function testFuzz_roundOf_invertsOffset(uint256 mSeed, uint256 nSeed, uint256 job) public view {
        (uint256 m, uint256 n) = _schedule(mSeed, nSeed);
        job = bound(job, 0, h.totalJobs(n, m) - 1);
        (uint256 round, uint256 index) = h.roundOf(job, n, m);
        assertGe(round, 1, "rounds are 1-based");
        assertLe(round, h.rounds(n, m), "round beyond K");
        assertLt(index, h.jobs(round, n, m), "index beyond the round");
        assertEq(h.offset(round, n, m) + index, job, "offset(round) + index = job");
        assertEq(round == h.rounds(n, m), job == h.totalJobs(n, m) - 1, "only the last id is the root");
    }

    function testFuzz_roundOf_roundTrip(uint256 mSeed, uint256 nSeed, uint256 rSeed, uint256 iSeed) public view {
        (uint256 m, uint256 n) = _schedule(mSeed, nSeed);
        uint256 r = bound(rSeed, 1, h.rounds(n, m));
        uint256 i = bound(iSeed, 0, h.jobs(r, n, m) - 1);
        (uint256 round, uint256 index) = h.roundOf(h.offset(r, n, m) + i, n, m);
        assertEq(round, r, "round");
        assertEq(index, i, "index");
    }

    function testFuzz_jobOnPath_inRangeAndNested(uint256 mSeed, uint256 nSeed, uint256 s) public view {
        (uint256 m, uint256 n) = _schedule(mSeed, nSeed);
        uint256 k = h.rounds(n, m);
        assertEq(h.pathLeaf(s, n), s % (1 << n), "leaf = score mod 2^n");
        for (uint256 r = 1; r <= k; ++r) {
            uint256 j = h.jobOnPath(s, r, n, m);
            assertLt(j, h.jobs(r, n, m), "job beyond its round");
            assertEq(j, h.pathLeaf(s, n) >> h.level(r, n, m), "leaf shifted to level(r)");
            if (r < k) {
                uint256 hNext = h.level(r + 1, n, m) - h.level(r, n, m);
                assertEq(h.jobOnPath(s, r + 1, n, m), j >> hNext, "round r + 1 job is the parent of round r job");
            }
        }
        assertEq(h.jobOnPath(s, k, n, m), 0, "every path ends at the root");
    }

    /// @dev The path depends only on the low n bits, the thresholds only on the high bits (n <= 24 < 255).
    function testFuzz_jobOnPath_independentOfHighBits(uint256 mSeed, uint256 nSeed, uint256 s, uint256 high)
        public
        view
    {
        (uint256 m, uint256 n) = _schedule(mSeed, nSeed);
        uint256 other = (high << n) | (s & ((1 << n) - 1));
        for (uint256 r = 1; r <= h.rounds(n, m); ++r) {
            assertEq(h.jobOnPath(s, r, n, m), h.jobOnPath(other, r, n, m));
        }
    }

    function testFuzz_inNeighbourhood_symmetricReflexive(uint256 a, uint256 b, uint256 d) public view {
        d = bound(d, 0, 31);
        assertTrue(h.inNeighbourhood(a, a, d), "reflexive");
        assertEq(h.inNeighbourhood(a, b, d), h.inNeighbourhood(b, a, d), "symmetric");
        if (d == 0) assertEq(h.inNeighbourhood(a, b, 0), a == b, "d = 0: own job only");
    }

    function testFuzz_inNeighbourhood_sizeIsTwoToD(uint256 own, uint256 dSeed, uint256 extraSeed) public view {
        uint256 d = bound(dSeed, 0, 5);
        uint256 extra = bound(extraSeed, 0, 3);
        uint256 width = 1 << (d + extra);
        own = bound(own, 0, width - 1);
        uint256 count;
        uint256 first = type(uint256).max;
        uint256 last;
        for (uint256 j; j < width; ++j) {
            if (!h.inNeighbourhood(j, own, d)) continue;
            ++count;
            if (first == type(uint256).max) first = j;
            last = j;
        }
        assertEq(count, 1 << d, "a neighbourhood has 2^d jobs");
        assertEq(last - first + 1, count, "and they are contiguous");
        assertEq(first % (1 << d), 0, "aligned to 2^d");
    }

    /// @dev Transitive: the neighbourhood is an equivalence class (sharing an ancestor d levels up).
    function testFuzz_inNeighbourhood_transitive(uint256 a, uint256 b, uint256 c, uint256 d) public view {
        d = bound(d, 0, 31);
        if (h.inNeighbourhood(a, b, d) && h.inNeighbourhood(b, c, d)) assertTrue(h.inNeighbourhood(a, c, d));
    }

    function testFuzz_roundThreshold_nestedCommittees(uint256 mSeed, uint256 nSeed, uint256 red, uint256 activeN)
        public
        view
    {
        (uint256 m, uint256 n) = _schedule(mSeed, nSeed);
        red = bound(red, 1, 64);
        activeN = bound(activeN, 1, 1 << 32);
        uint256 k = h.rounds(n, m);
        for (uint256 r = 1; r < k; ++r) {
            uint256 t = h.roundThreshold(r, n, m, red, activeN);
            assertEq(t, h.committeeThreshold(red * h.jobs(r, n, m), activeN), "threshold of R * jobs(r)");
            assertLe(h.roundThreshold(r + 1, n, m, red, activeN), t, "later committees are subsets");
        }
    }

    function testFuzz_committeeSize_isTargetCappedAtHalf(uint256 t, uint256 n) public view {
        uint256 size = h.committeeSize(t, n);
        assertEq(size, t < n / 2 ? t : n / 2, "min(target, N / 2)");
    }

    /// @dev The expected size is what the threshold admits: N · threshold / 2^256, within one member.
    function testFuzz_committeeSize_matchesThreshold(uint256 t, uint256 n) public view {
        n = bound(n, 1, 1 << 64);
        t = bound(t, 0, 1 << 64);
        uint256 admitted = Math.mulDiv(h.committeeThreshold(t, n), n, MAX);
        uint256 size = h.committeeSize(t, n);
        assertApproxEqAbs(admitted, size, 1, "expected size of the threshold's committee");
    }

    function testFuzz_roundSize_isCommitteeSizeOfRound(uint256 mSeed, uint256 nSeed, uint256 red, uint256 activeN)
        public
        view
    {
        (uint256 m, uint256 n) = _schedule(mSeed, nSeed);
        red = bound(red, 1, 64);
        activeN = bound(activeN, 0, 1 << 32);
        for (uint256 r = 1; r < h.rounds(n, m); ++r) {
            assertEq(h.roundSize(r, n, m, red, activeN), h.committeeSize(red * h.jobs(r, n, m), activeN), "R * jobs(r)");
        }
    }

    // ------------------------------------------------------------------------------------------ costs

    function _weights(uint256 a, uint256 b, uint256 c, uint256 d)
        internal
        pure
        returns (SortitionLib.CostWeights memory)
    {
        return SortitionLib.CostWeights({
            vmProofsPerTx: bound(a, 0, 1 << 16),
            vmProofCost: bound(b, 0, 1 << 32),
            baseProofCost: bound(c, 0, 1 << 32),
            mergeProofCost: bound(d, 1, 1 << 32)
        });
    }

    function testFuzz_jobCost_matchesDefinition(
        uint256 mSeed,
        uint256 nSeed,
        uint256 rSeed,
        uint256 a,
        uint256 b,
        uint256 c,
        uint256 d
    ) public view {
        (uint256 m, uint256 n) = _schedule(mSeed, nSeed);
        SortitionLib.CostWeights memory w = _weights(a, b, c, d);
        uint256 r = bound(rSeed, 1, h.rounds(n, m));
        uint256 width = 1 << (h.level(r, n, m) - h.level(r - 1, n, m));
        uint256 expected = (width - 1) * w.mergeProofCost;
        if (r == 1) expected += width * (w.vmProofsPerTx * w.vmProofCost + w.baseProofCost);
        assertEq(h.jobCost(r, n, m, w), expected);
    }

    function testFuzz_totalProverCost_sumsCommitteeJobs(
        uint256 mSeed,
        uint256 nSeed,
        uint256 a,
        uint256 b,
        uint256 c,
        uint256 d
    ) public view {
        (uint256 m, uint256 n) = _schedule(mSeed, nSeed);
        SortitionLib.CostWeights memory w = _weights(a, b, c, d);
        uint256 k = h.rounds(n, m);
        uint256 sum;
        for (uint256 r = 1; r < k; ++r) {
            sum += h.jobs(r, n, m) * h.jobCost(r, n, m, w);
        }
        uint256 total = h.totalProverCost(n, m, w);
        assertEq(total, sum, "sum over rounds 1..K-1");
        // With the root job the whole tree is proved once: 2^n transactions and 2^n - 1 merges.
        uint256 whole =
            (1 << n) * (w.vmProofsPerTx * w.vmProofCost + w.baseProofCost) + ((1 << n) - 1) * w.mergeProofCost;
        assertEq(total + h.jobCost(k, n, m, w), whole, "committee jobs plus root job = whole tree");
        assertGt(total, 0, "mergeProofCost > 0 makes the denominator positive");
        // Per job id: summing jobCost(roundOf(id)) over the prover jobs gives the same total.
        uint256 byId;
        uint256 proverJobs = h.proverJobs(n, m);
        if (proverJobs <= 1 << 10) {
            for (uint256 id; id < proverJobs; ++id) {
                (uint256 r,) = h.roundOf(id, n, m);
                byId += h.jobCost(r, n, m, w);
            }
            assertEq(byId, total, "sum over job ids");
        }
    }

    // ------------------------------------------------------------------------------------------ scores

    function testFuzz_score_isSha256OfKeyAndSeed(address key, bytes32 seed) public view {
        assertEq(h.score(key, seed), uint256(sha256(abi.encode(key, seed))));
    }

    /// @dev A key with dirty upper bits (from assembly; the ABI decoder would reject it) scores as its clean 20 bytes:
    ///      sha256(key left-padded to 32 bytes || seed), docs/PROTOCOL.md §6.1.
    function testFuzz_score_ignoresDirtyUpperBits(uint256 word, uint96 upper, bytes32 seed) public view {
        uint256 dirty = (word & type(uint160).max) | (uint256(upper == 0 ? 1 : upper) << 160);
        address clean = address(uint160(word));
        uint256 expected = uint256(sha256(abi.encode(clean, seed)));
        assertEq(h.scoreOfWord(dirty, seed), expected, "dirty key");
        assertEq(h.score(clean, seed), expected, "clean key");
    }

    /// @dev The same through raw calldata: the dirty word is encoded by hand, not by the ABI encoder.
    function test_score_dirtyUpperBitsInRawCalldata() public view {
        address key = 0x00000000000000000000000000000000DeaDBeef;
        bytes32 seed = keccak256("seed");
        uint256 dirty = uint256(uint160(key)) | (type(uint256).max << 160);
        (bool ok, bytes memory ret) =
            address(h).staticcall(abi.encodePacked(SortitionHarness.scoreOfWord.selector, dirty, seed));
        assertTrue(ok);
        assertEq(abi.decode(ret, (uint256)), uint256(sha256(abi.encode(key, seed))));
    }

    function testFuzz_slotSeed_isKeccakOfEpochSeedAndSlot(uint256 epochSeed, uint256 slot) public view {
        assertEq(h.slotSeed(epochSeed, slot), keccak256(abi.encode(epochSeed, slot)));
    }
}
