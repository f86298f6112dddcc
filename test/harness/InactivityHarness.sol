// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {InactivityLib} from "../../contracts/libraries/InactivityLib.sol";

/// @notice Exposes InactivityLib's penalty curve.
contract InactivityHarness {
    function penalty(uint256 strikes, uint256 threshold, uint256 base) external pure returns (uint256) {
        return InactivityLib.penalty(strikes, threshold, base);
    }
}
