// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TestToken} from "../../contracts/devnet/TestToken.sol";

/// @notice A token with a transfer hook that, once armed, makes one call of its own in the middle of the next
///         `transferFrom` (after the balances moved), as an ERC-777 sender hook could. Used to re-enter `fund` and
///         `deposit` while their balance delta is being measured.
contract ReenteringToken is TestToken {
    address public target;
    bytes public data;

    constructor(string memory name_, string memory symbol_) TestToken(name_, symbol_) {}

    /// @notice The next transferFrom calls `target` with `data`, from this token, once.
    function arm(address target_, bytes calldata data_) external {
        target = target_;
        data = data_;
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        bool ok = super.transferFrom(from, to, value);
        address t = target;
        if (t != address(0)) {
            target = address(0);
            (bool success, bytes memory ret) = t.call(data);
            if (!success) {
                assembly ("memory-safe") {
                    revert(add(ret, 0x20), mload(ret))
                }
            }
        }
        return ok;
    }
}
