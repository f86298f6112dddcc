// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test, console2} from "forge-std/Test.sol";

import {StakingHandler} from "./handlers/StakingHandler.sol";
import {Staking} from "../../contracts/Staking.sol";
import {IStaking} from "../../contracts/interfaces/IStaking.sol";

/// @notice Stake conservation, the active-set bookkeeping and the BLS records of Staking under random deposits, exits,
///         withdrawals, slashes, ejections and BLS key registrations (the handler sits in the rollup's seat).
contract StakingInvariantsTest is Test {
    StakingHandler internal handler;

    function setUp() public {
        handler = new StakingHandler();
        handler.init();
        bytes4[] memory selectors = new bytes4[](10);
        selectors[0] = StakingHandler.deposit.selector;
        selectors[1] = StakingHandler.depositAgain.selector;
        selectors[2] = StakingHandler.initiateExit.selector;
        selectors[3] = StakingHandler.withdraw.selector;
        selectors[4] = StakingHandler.strangerActs.selector;
        selectors[5] = StakingHandler.slash.selector;
        selectors[6] = StakingHandler.eject.selector;
        selectors[7] = StakingHandler.strangerSlashes.selector;
        selectors[8] = StakingHandler.warp.selector;
        selectors[9] = StakingHandler.registerBlsKey.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @dev Staking's token balance == totalStaked + slashedPending, totalStaked == the sum of every key's stake
    ///      (active, exiting, withdrawable), and every token ever deposited is in Staking, in the slash sink or
    ///      withdrawn; everything slashed is either held for the sink or already in it.
    function invariant_stakeConservation() public view {
        uint256 balance = handler.token().balanceOf(address(handler.staking()));
        uint256 pending = handler.staking().slashedPending();
        assertEq(balance, handler.staking().totalStaked() + pending, "balance != totalStaked + slashedPending");
        assertEq(handler.staking().totalStaked(), handler.sumOfStakes(), "totalStaked != sum of stakes");
        assertEq(
            handler.deposited(),
            balance + handler.token().balanceOf(handler.SINK()) + handler.withdrawn(),
            "deposited != staking + sink + withdrawn"
        );
        assertEq(handler.token().balanceOf(handler.SINK()) + pending, handler.slashed(), "sink + pending != slashed");
    }

    /// @dev The checkpointed active count of every epoch from two back to D ahead equals the number of keys active in it.
    function invariant_activeCountMatchesKeys() public view {
        uint256 current = handler.staking().currentEpoch();
        uint256 first = current > 2 ? current - 2 : 0;
        for (uint256 e = first; e <= current + handler.staking().setChangeDelay(); ++e) {
            assertEq(handler.staking().activeCount(e), handler.activeKeys(e), "activeCount != active keys");
        }
    }

    /// @dev Design §2: every key with a BLS key has `blsRecord == keccak256(keyHash ‖ activationEpoch ‖ exitEpoch)` of
    ///      its current staker record (the exit hook keeps it so through exits and ejections), with keyHash the hash of
    ///      the key it registered; a key without one has neither hash nor record.
    function invariant_blsRecordMatchesStaker() public view {
        Staking staking = handler.staking();
        for (uint256 i; i < handler.keyCount(); ++i) {
            address key = handler.keys(i);
            bytes memory registered = handler.blsKeyOf(key);
            bytes32 keyHash = staking.blsKeyHash(key);
            if (registered.length == 0) {
                assertEq(keyHash, bytes32(0), "BLS key hash without a registration");
                assertEq(staking.blsRecord(key), bytes32(0), "BLS record without a registration");
                continue;
            }
            assertEq(keyHash, keccak256(registered), "BLS key hash != hash of the registered key");
            IStaking.Staker memory s = staking.getStaker(key);
            assertEq(
                staking.blsRecord(key),
                keccak256(abi.encodePacked(keyHash, s.activationEpoch, s.exitEpoch)),
                "BLS record != keccak256(keyHash, activationEpoch, exitEpoch)"
            );
        }
    }

    function invariant_noUnexpectedSuccess() public view {
        assertEq(handler.violations(), 0, handler.lastViolation());
    }

    /// @dev Coverage summary of each run (visible with -vv).
    function afterInvariant() external view {
        console2.log("keys", handler.keyCount());
        console2.log("exits", handler.calls("initiateExit.ok"));
        console2.log("withdrawals", handler.calls("withdraw.ok"));
        console2.log("slashes", handler.calls("slash.ok"));
        console2.log("BLS keys", handler.calls("registerBlsKey.ok"));
    }
}
