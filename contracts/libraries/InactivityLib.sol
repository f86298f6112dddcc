// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title InactivityLib
/// @notice The inactivity bleed's penalty curve (docs/PROTOCOL.md §14), modelled on Ethereum's inactivity leak:
///         nothing below `threshold` consecutive strikes, then `base`, doubling with every further strike.
library InactivityLib {
    /// @notice Penalty for the `strikes`-th consecutive strike. Saturates instead of overflowing.
    function penalty(uint256 strikes, uint256 threshold, uint256 base) internal pure returns (uint256) {
        if (strikes < threshold || base == 0) return 0;
        uint256 doublings = strikes - threshold;
        if (doublings >= 255 || base > (type(uint256).max >> doublings)) return type(uint256).max;
        return base << doublings;
    }
}
