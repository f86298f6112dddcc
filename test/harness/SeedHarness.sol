// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";

import {SortitionLib} from "../../contracts/libraries/SortitionLib.sol";
import {TimeLib} from "../../contracts/libraries/TimeLib.sol";

/// @notice Holds a seed trace like the Rollup's and exposes SortitionLib's seed functions and TimeLib.
contract SeedHarness {
    Checkpoints.Trace224 internal _seeds;

    constructor(uint224 genesisSeed) {
        Checkpoints.push(_seeds, 0, genesisSeed);
    }

    function sampleSeed(uint256 currentEpoch, uint256 lookahead) external {
        SortitionLib.sampleSeed(_seeds, currentEpoch, lookahead);
    }

    function epochSeed(uint256 epoch) external view returns (uint256) {
        return SortitionLib.epochSeed(_seeds, epoch);
    }

    function latestKey() external view returns (uint256) {
        (, uint32 key,) = Checkpoints.latestCheckpoint(_seeds);
        return key;
    }

    function slotAt(uint256 timestamp, uint256 genesisTime, uint256 slotDuration) external pure returns (uint256) {
        return TimeLib.slotAt(timestamp, genesisTime, slotDuration);
    }

    function epochOf(uint256 slot, uint256 epochDuration) external pure returns (uint256) {
        return TimeLib.epochOf(slot, epochDuration);
    }
}
