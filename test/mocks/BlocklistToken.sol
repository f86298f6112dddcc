// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TestToken} from "../../contracts/devnet/TestToken.sol";

/// @notice A USDC-style token: any transfer from or to a blocklisted address reverts (mints included).
contract BlocklistToken is TestToken {
    error Blocklisted(address account);

    mapping(address account => bool) public blocklisted;

    constructor(string memory name_, string memory symbol_) TestToken(name_, symbol_) {}

    function setBlocklisted(address account, bool on) external {
        blocklisted[account] = on;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blocklisted[from]) revert Blocklisted(from);
        if (blocklisted[to]) revert Blocklisted(to);
        super._update(from, to, value);
    }
}
