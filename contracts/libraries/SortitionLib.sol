// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title SortitionLib
/// @notice The protocol's selection and work-schedule rules, all pure and O(1) per check (docs/PROTOCOL.md §6-§8).
/// @dev "Highest score sequences, lowest scores prove" is implemented with quantile thresholds on the score rather than
///      an exact ranking: ranking N stakers costs O(N) on L1, a threshold test costs one sha256. Committee thresholds
///      are capped at 2^255 and the sequencer range at the top 2^255 - 1 values, so the two ranges never overlap.
///      The Rust crate `spn-protocol` mirrors every function here; differential tests keep them equal.
library SortitionLib {
    using Checkpoints for Checkpoints.Trace224;

    uint256 internal constant MAX = type(uint256).max;
    /// @notice Upper bound (exclusive) of any committee threshold: committee scores lie in [0, 2^255).
    uint256 internal constant HALF = 1 << 255;

    /// @notice Cost weights of the simulated proofs, in proof-seconds.
    struct CostWeights {
        uint256 vmProofsPerTx;
        uint256 vmProofCost;
        uint256 baseProofCost;
        uint256 mergeProofCost;
    }

    // ------------------------------------------------------------------------------------------- Seeds

    /// @notice Records the seed of epoch `currentEpoch + lookahead` from `block.prevrandao` if not yet recorded.
    /// @dev Called by every state-changing entry point. A key registered in epoch e is active from e + D with
    ///      D > lookahead, so the seed of its first active epoch is sampled after its registration.
    function sampleSeed(Checkpoints.Trace224 storage seeds, uint256 currentEpoch, uint256 lookahead) internal {
        uint256 target = currentEpoch + lookahead;
        (bool exists, uint32 lastKey,) = seeds.latestCheckpoint();
        if (exists && lastKey >= target) return;
        seeds.push(SafeCast.toUint32(target), uint224(uint256(keccak256(abi.encode(block.prevrandao, target)))));
    }

    /// @notice Seed of `epoch`: the latest sample recorded for an epoch at or before it.
    function epochSeed(Checkpoints.Trace224 storage seeds, uint256 epoch) internal view returns (uint256) {
        return seeds.upperLookupRecent(SafeCast.toUint32(epoch));
    }

    // ------------------------------------------------------------------------------------------- Scores

    /// @notice The seed of one slot: the epoch's RANDAO-derived seed mixed with the slot number.
    function slotSeed(uint256 seedOfEpoch, uint256 slot) internal pure returns (bytes32) {
        return keccak256(abi.encode(seedOfEpoch, slot));
    }

    /// @notice The public per-slot score ("VRF") of a staking key: sha256(abi.encode(key, slotSeed)), the key as its
    ///         20 bytes left-padded with zeros to 32.
    /// @dev The key is masked to 160 bits: a value on the stack may carry dirty upper bits (assembly, or a caller's
    ///      unchecked conversion), which the high-level `abi.encode` would clear but a raw `mstore` would hash.
    function score(address key, bytes32 seed) internal view returns (uint256 s) {
        // Inline call to the sha256 precompile (0x02) over 64 bytes of scratch space: the high-level `sha256` allocates
        // and copies, which costs more than the hash itself in the transcript loop.
        assembly ("memory-safe") {
            mstore(0x00, and(key, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(0x20, seed)
            if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) { revert(0, 0) }
            s := mload(0x00)
        }
    }

    // ------------------------------------------------------------------------------------------- Thresholds

    /// @notice floor(2^256 * target / n), computed as (MAX / n) * target, saturating at MAX when target >= n.
    function quantile(uint256 target, uint256 n) internal pure returns (uint256) {
        if (n == 0) return 0;
        if (target >= n) return MAX;
        return (MAX / n) * target;
    }

    /// @notice Threshold of a committee with expected size `target` among `n` active stakers: member iff score < it.
    function committeeThreshold(uint256 target, uint256 n) internal pure returns (uint256) {
        uint256 q = quantile(target, n);
        return q < HALF ? q : HALF;
    }

    /// @notice Expected size of a committee with target `target` among `n` active stakers: min(target, n / 2), the
    ///         cap being committeeThreshold's (a threshold of at most 2^255 admits half the scores).
    function committeeSize(uint256 target, uint256 n) internal pure returns (uint256) {
        uint256 half = n / 2;
        return target < half ? target : half;
    }

    /// @notice Lowest excluded score of the sequencer range: a key may sequence iff score > floor.
    function sequencerFloor(uint256 target, uint256 n) internal pure returns (uint256) {
        uint256 q = quantile(target, n);
        return MAX - (q < HALF - 1 ? q : HALF - 1);
    }

    // ------------------------------------------------------------------------------------------- Schedule

    /// @notice Number of rounds K = ceil(n / m); rounds 1..K-1 are proved by the committee, round K by the proposer.
    function rounds(uint256 height, uint256 roundHeight) internal pure returns (uint256) {
        return (height + roundHeight - 1) / roundHeight;
    }

    /// @notice Tree level of round r's outputs: min(r * m, n). Level 0 holds the transaction leaves.
    function level(uint256 round, uint256 height, uint256 roundHeight) internal pure returns (uint256) {
        uint256 l = round * roundHeight;
        return l < height ? l : height;
    }

    /// @notice Number of jobs in round r: 2^(n - level(r)).
    function jobs(uint256 round, uint256 height, uint256 roundHeight) internal pure returns (uint256) {
        return 1 << (height - level(round, height, roundHeight));
    }

    /// @notice Global id of round r's first job (rounds are concatenated, round 1 first).
    function offset(uint256 round, uint256 height, uint256 roundHeight) internal pure returns (uint256 o) {
        for (uint256 q = 1; q < round; ++q) {
            o += jobs(q, height, roundHeight);
        }
    }

    /// @notice Number of jobs of a block, the proposer's root job included.
    function totalJobs(uint256 height, uint256 roundHeight) internal pure returns (uint256) {
        return offset(rounds(height, roundHeight) + 1, height, roundHeight);
    }

    /// @notice The leaf at the end of a score's path through a tree of height n: the score's low n bits.
    /// @dev The threshold tests depend on the score's high bits, so the path is independent of committee membership.
    function pathLeaf(uint256 s, uint256 height) internal pure returns (uint256) {
        return s & ((1 << height) - 1);
    }

    /// @notice The job on a score's path in round r: its leaf shifted up to level(r).
    function jobOnPath(uint256 s, uint256 round, uint256 height, uint256 roundHeight) internal pure returns (uint256) {
        return pathLeaf(s, height) >> level(round, height, roundHeight);
    }

    /// @notice Whether round-local job `job` shares its ancestor `d` levels up with `ownJob` (the neighbourhood).
    function inNeighbourhood(uint256 job, uint256 ownJob, uint256 d) internal pure returns (bool) {
        return (job >> d) == (ownJob >> d);
    }

    /// @notice Round (1-based) and round-local index of global job id `job`; `job` must be < totalJobs.
    function roundOf(uint256 job, uint256 height, uint256 roundHeight)
        internal
        pure
        returns (uint256 round, uint256 index)
    {
        round = 1;
        index = job;
        uint256 width = jobs(1, height, roundHeight);
        while (index >= width) {
            index -= width;
            ++round;
            width = jobs(round, height, roundHeight);
        }
    }

    /// @notice Number of committee jobs of a block (every job but the proposer's root job).
    function proverJobs(uint256 height, uint256 roundHeight) internal pure returns (uint256) {
        return offset(rounds(height, roundHeight), height, roundHeight);
    }

    /// @notice Threshold of round r's committee: expected size `redundancy` times the round's job count.
    function roundThreshold(uint256 round, uint256 height, uint256 roundHeight, uint256 redundancy, uint256 n)
        internal
        pure
        returns (uint256)
    {
        return committeeThreshold(redundancy * jobs(round, height, roundHeight), n);
    }

    /// @notice Expected size of round r's committee, the one `roundThreshold` selects: committeeSize(R * jobs(r), n).
    function roundSize(uint256 round, uint256 height, uint256 roundHeight, uint256 redundancy, uint256 n)
        internal
        pure
        returns (uint256)
    {
        return committeeSize(redundancy * jobs(round, height, roundHeight), n);
    }

    /// @notice Simulated cost of one job of round r, in proof-seconds.
    /// @dev Round 1 proves 2^h transactions (VM proofs and a base proof each) and merges them; later rounds only merge.
    function jobCost(uint256 round, uint256 height, uint256 roundHeight, CostWeights memory w)
        internal
        pure
        returns (uint256)
    {
        uint256 width = 1 << (level(round, height, roundHeight) - level(round - 1, height, roundHeight));
        uint256 merges = (width - 1) * w.mergeProofCost;
        if (round == 1) return width * (w.vmProofsPerTx * w.vmProofCost + w.baseProofCost) + merges;
        return merges;
    }

    /// @notice Cost of every committee job of a block (rounds 1..K-1); the denominator of the provers' pot.
    function totalProverCost(uint256 height, uint256 roundHeight, CostWeights memory w)
        internal
        pure
        returns (uint256 total)
    {
        uint256 k = rounds(height, roundHeight);
        for (uint256 r = 1; r < k; ++r) {
            total += jobs(r, height, roundHeight) * jobCost(r, height, roundHeight, w);
        }
    }
}
