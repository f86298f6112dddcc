// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title InactivityLib
/// @notice The inactivity bleed's penalty curve (docs/PROTOCOL.md §14), modelled on Ethereum's inactivity leak:
///         nothing below `threshold` consecutive strikes, then `base`, doubling with every further strike.
library InactivityLib {
    /// @notice Penalty for the `strikes`-th consecutive strike: 0 below `threshold` or for a zero `base`, else
    ///         `base << (strikes - threshold)`, or type(uint256).max exactly when that shift would lose a set bit.
    /// @dev `base << 255` is exact for base = 1 (2^255 is no overflow); any shift of 256 or more loses the nonzero base.
    function penalty(uint256 strikes, uint256 threshold, uint256 base) internal pure returns (uint256) {
        if (strikes < threshold || base == 0) return 0;
        uint256 doublings = strikes - threshold;
        if (doublings > 255 || base > (type(uint256).max >> doublings)) return type(uint256).max;
        return base << doublings;
    }
}
