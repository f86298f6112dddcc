// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title TimeLib
/// @notice The shared clock: slots of `slotDuration` seconds from `genesisTime`, epochs of `epochDuration` slots.
library TimeLib {
    function slotAt(uint256 timestamp, uint256 genesisTime, uint256 slotDuration) internal pure returns (uint256) {
        return timestamp < genesisTime ? 0 : (timestamp - genesisTime) / slotDuration;
    }

    function epochOf(uint256 slot, uint256 epochDuration) internal pure returns (uint256) {
        return slot / epochDuration;
    }
}
