// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TestToken} from "../../contracts/devnet/TestToken.sol";

/// @notice Implemented by recipients that registered with a HookToken.
interface ITokenRecipient {
    function tokensReceived(address from, uint256 amount) external;
}

/// @notice An ERC-777-style token: after every transfer to a registered recipient it calls the recipient's
///         `tokensReceived`, and a revert there reverts the transfer.
contract HookToken is TestToken {
    mapping(address account => bool) public registered;

    constructor(string memory name_, string memory symbol_) TestToken(name_, symbol_) {}

    /// @notice Opts msg.sender in to the receive hook.
    function register() external {
        registered[msg.sender] = true;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (from != address(0) && registered[to]) ITokenRecipient(to).tokensReceived(from, value);
    }
}

/// @notice A recipient whose receive hook always reverts.
contract RevertingRecipient is ITokenRecipient {
    error Refused();

    function tokensReceived(address, uint256) external pure {
        revert Refused();
    }
}
