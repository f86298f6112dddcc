// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {UnitBase} from "../UnitBase.sol";

/// @notice Staking tests start from a fresh deployment at genesis with no stakers.
abstract contract StakingBase is UnitBase {
    address internal alice;
    address internal aliceWithdrawer = makeAddr("aliceWithdrawer");

    function setUp() public virtual {
        _deploy();
        alice = _newKey("alice");
    }

    /// @notice A funded, approved key that has not deposited.
    function _newKey(string memory name) internal returns (address key) {
        uint256 pk;
        (key, pk) = makeAddrAndKey(name);
        keyOf[key] = pk;
        stakeToken.mint(key, STAKE);
        vm.prank(key);
        stakeToken.approve(address(staking), STAKE);
    }

    function _depositAs(address key, address withdrawer) internal {
        vm.prank(key);
        staking.deposit(withdrawer);
    }

    function _exitAs(address key) internal {
        vm.prank(staking.getStaker(key).withdrawer);
        staking.initiateExit(key);
    }
}
