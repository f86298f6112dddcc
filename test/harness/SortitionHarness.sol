// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SortitionLib} from "../../contracts/libraries/SortitionLib.sol";

/// @notice Exposes SortitionLib's internal functions so fuzz tests call them through one external boundary each
///         (fresh memory per call, as the contracts see them).
contract SortitionHarness {
    function quantile(uint256 target, uint256 n) external pure returns (uint256) {
        return SortitionLib.quantile(target, n);
    }

    function committeeThreshold(uint256 target, uint256 n) external pure returns (uint256) {
        return SortitionLib.committeeThreshold(target, n);
    }

    function sequencerFloor(uint256 target, uint256 n) external pure returns (uint256) {
        return SortitionLib.sequencerFloor(target, n);
    }

    function rounds(uint256 height, uint256 m) external pure returns (uint256) {
        return SortitionLib.rounds(height, m);
    }

    function level(uint256 round, uint256 height, uint256 m) external pure returns (uint256) {
        return SortitionLib.level(round, height, m);
    }

    function jobs(uint256 round, uint256 height, uint256 m) external pure returns (uint256) {
        return SortitionLib.jobs(round, height, m);
    }

    function offset(uint256 round, uint256 height, uint256 m) external pure returns (uint256) {
        return SortitionLib.offset(round, height, m);
    }

    function totalJobs(uint256 height, uint256 m) external pure returns (uint256) {
        return SortitionLib.totalJobs(height, m);
    }

    function proverJobs(uint256 height, uint256 m) external pure returns (uint256) {
        return SortitionLib.proverJobs(height, m);
    }

    function pathLeaf(uint256 s, uint256 height) external pure returns (uint256) {
        return SortitionLib.pathLeaf(s, height);
    }

    function jobOnPath(uint256 s, uint256 round, uint256 height, uint256 m) external pure returns (uint256) {
        return SortitionLib.jobOnPath(s, round, height, m);
    }

    function inNeighbourhood(uint256 job, uint256 ownJob, uint256 d) external pure returns (bool) {
        return SortitionLib.inNeighbourhood(job, ownJob, d);
    }

    function roundOf(uint256 job, uint256 height, uint256 m) external pure returns (uint256 round, uint256 index) {
        return SortitionLib.roundOf(job, height, m);
    }

    function roundThreshold(uint256 round, uint256 height, uint256 m, uint256 redundancy, uint256 n)
        external
        pure
        returns (uint256)
    {
        return SortitionLib.roundThreshold(round, height, m, redundancy, n);
    }

    function committeeSize(uint256 target, uint256 n) external pure returns (uint256) {
        return SortitionLib.committeeSize(target, n);
    }

    function roundSize(uint256 round, uint256 height, uint256 m, uint256 redundancy, uint256 n)
        external
        pure
        returns (uint256)
    {
        return SortitionLib.roundSize(round, height, m, redundancy, n);
    }

    function jobCost(uint256 round, uint256 height, uint256 m, SortitionLib.CostWeights memory w)
        external
        pure
        returns (uint256)
    {
        return SortitionLib.jobCost(round, height, m, w);
    }

    function totalProverCost(uint256 height, uint256 m, SortitionLib.CostWeights memory w)
        external
        pure
        returns (uint256)
    {
        return SortitionLib.totalProverCost(height, m, w);
    }

    function score(address key, bytes32 seed) external view returns (uint256) {
        return SortitionLib.score(key, seed);
    }

    /// @notice SortitionLib.score with `word` reinterpreted as an address without cleaning: its upper 96 bits reach
    ///         the library dirty, as a value produced in assembly would (the ABI decoder would reject such an address).
    function scoreOfWord(uint256 word, bytes32 seed) external view returns (uint256) {
        address key;
        assembly ("memory-safe") {
            key := word
        }
        return SortitionLib.score(key, seed);
    }

    function slotSeed(uint256 seedOfEpoch, uint256 slot) external pure returns (bytes32) {
        return SortitionLib.slotSeed(seedOfEpoch, slot);
    }
}
