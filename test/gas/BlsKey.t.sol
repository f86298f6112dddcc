// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SPNTest} from "../utils/SPNTest.sol";
import {BlsTestSigner} from "../utils/BlsTestSigner.sol";
import {Staking} from "../../contracts/Staking.sol";

/// @notice Gas of the training wheel's Staking side (docs/design/bls-training-wheel.md §2): registering a BLS key once
///         per staker, and what the exit hook adds to an exit (a cold SLOAD of the key hash for every exit, plus the
///         record's rewrite for a key with a BLS key).
contract BenchBlsKeyTest is SPNTest {
    /// @notice Target for registerBlsKey's execution gas, from the first run (design estimate ≈ 230k in total).
    uint256 internal constant REGISTER_TARGET = 215_000;
    uint256 internal constant SK = 0x5350;

    function setUp() public {
        _deploy();
        _registerAndActivate(2);
    }

    function _registerBls(address key, bytes memory pk, bytes memory proof) internal {
        vm.prank(key);
        staking.registerBlsKey(pk, proof);
    }

    function test_gas_registerBlsKey() public {
        bytes memory pk = BlsTestSigner.publicKey(SK);
        bytes memory proof = BlsTestSigner.pop(SK);
        _registerBls(stakers[0], pk, proof);
        uint256 used = _record("registerBlsKey", abi.encodeCall(Staking.registerBlsKey, (pk, proof)));
        emit log_named_uint("registerBlsKey execution", used);
        assertEq(staking.blsKeyHash(stakers[0]), keccak256(pk));
        assertLe(used, REGISTER_TARGET, "registerBlsKey above target");
    }

    function test_gas_initiateExit_withBlsKey() public {
        address key = stakers[0];
        _registerBls(key, BlsTestSigner.publicKey(SK), BlsTestSigner.pop(SK));
        vm.prank(_withdrawerOf(key));
        staking.initiateExit(key);
        _record("initiateExit, with a BLS key", abi.encodeCall(Staking.initiateExit, (key)));
        assertTrue(staking.getStaker(key).exitEpoch != type(uint32).max);
    }

    function test_gas_initiateExit_withoutBlsKey() public {
        address key = stakers[1];
        vm.prank(_withdrawerOf(key));
        staking.initiateExit(key);
        _record("initiateExit, without a BLS key", abi.encodeCall(Staking.initiateExit, (key)));
        assertEq(staking.blsRecord(key), bytes32(0));
    }
}
