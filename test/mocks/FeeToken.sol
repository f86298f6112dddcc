// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TestToken} from "../../contracts/devnet/TestToken.sol";

/// @notice A fee-on-transfer token: every transfer (not mint) burns `FEE_BPS` of the amount, so the recipient receives
///         less than was sent.
contract FeeToken is TestToken {
    uint256 public constant FEE_BPS = 100;

    constructor(string memory name_, string memory symbol_) TestToken(name_, symbol_) {}

    function fee(uint256 amount) public pure returns (uint256) {
        return amount * FEE_BPS / 10_000;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) {
            super._update(from, to, value);
        } else {
            uint256 f = fee(value);
            super._update(from, address(0), f);
            super._update(from, to, value - f);
        }
    }
}
