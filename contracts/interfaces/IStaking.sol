// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title IStaking
/// @notice One fixed stake per staking key; activation and exit take effect `setChangeDelay` epochs after the request
///         so that the active set of any epoch is fixed before that epoch's seed is sampled (docs/PROTOCOL.md §5).
interface IStaking {
    /// @notice The record of one staking key. Packed into one slot so that eligibility costs one SLOAD.
    struct Staker {
        address withdrawer;
        uint32 activationEpoch;
        /// @dev type(uint32).max while the key has not requested (or been forced into) an exit.
        uint32 exitEpoch;
        bool withdrawn;
    }

    /// @notice `key` registered with `withdrawer`; active from `activationEpoch`.
    event Deposited(address indexed key, address indexed withdrawer, uint256 amount, uint256 activationEpoch);
    /// @notice `key` leaves the active set at `exitEpoch` (requested by its withdrawer or forced by the rollup).
    event ExitInitiated(address indexed key, uint256 exitEpoch, bool forced);
    /// @notice The remaining stake of `key` was paid to `recipient`.
    event Withdrawn(address indexed key, address indexed recipient, uint256 amount);
    /// @notice `amount` of `key`'s stake was slashed and is held for the slash sink until `withdrawSlashed`.
    event Slashed(address indexed key, uint256 amount, address indexed sink);
    /// @notice `amount` of accumulated slashed stake was transferred to the slash sink.
    event SlashedWithdrawn(address indexed sink, uint256 amount);

    /// @notice Registers msg.sender as a staking key with `withdrawer`, pulling `stakeAmount()` stake tokens from it.
    /// @custom:reverts Staking__AlreadyRegistered if the key was ever registered; Staking__ZeroAddress;
    ///                 Staking__StakeNotReceived unless the balance grew by exactly `stakeAmount()`.
    function deposit(address withdrawer) external;

    /// @notice Starts the exit of `key`; callable by its withdrawer only.
    function initiateExit(address key) external;

    /// @notice Pays the remaining stake of an exited `key` to `recipient` once the withdrawal delay has passed.
    function withdraw(address key, address recipient) external;

    /// @notice Takes up to `amount` of `key`'s stake and holds it for the slash sink (no transfer, so the sink cannot
    ///         block a slash); rollup only. Returns the amount slashed.
    function slash(address key, uint256 amount) external returns (uint256 slashed);

    /// @notice Transfers every slashed amount held so far to the slash sink; anyone may call. Returns the amount.
    function withdrawSlashed() external returns (uint256 amount);

    /// @notice Slashed stake held for the slash sink, not yet transferred by `withdrawSlashed`.
    function slashedPending() external view returns (uint256);

    /// @notice Forces `key` out of the active set after the usual delay; rollup only. Returns false (and does nothing)
    ///         if the key is already exiting.
    function eject(address key) external returns (bool ejected);

    /// @notice Sets the rollup once; callable once by the deployer.
    function setRollup(address rollup) external;

    function stakeToken() external view returns (IERC20);
    function stakeAmount() external view returns (uint256);
    function slashSink() external view returns (address);
    function rollup() external view returns (address);
    /// @notice The shared clock: slot length in seconds, epoch length in slots, and the genesis timestamp.
    function genesisTime() external view returns (uint256);
    function slotDuration() external view returns (uint256);
    function epochDuration() external view returns (uint256);
    /// @notice Epochs between an activation or exit request and its effect.
    function setChangeDelay() external view returns (uint256);
    /// @notice Epochs between the exit epoch and the first possible withdrawal.
    function withdrawalDelay() external view returns (uint256);

    /// @notice The record of `key` (zero withdrawer if never registered).
    function getStaker(address key) external view returns (Staker memory);

    /// @notice Stake still held for `key`.
    function stakeOf(address key) external view returns (uint256);

    /// @notice Whether `key` is in the active set of `epoch`.
    function isActive(address key, uint256 epoch) external view returns (bool);

    /// @notice Index of the first of `keys` not active in `epoch`, or `keys.length` if all are: one call checks a
    ///         whole attestation set or transcript.
    function firstInactive(address[] calldata keys, uint256 epoch) external view returns (uint256);

    /// @notice Number of active keys in `epoch`, reproducible for any past epoch and up to `setChangeDelay` ahead.
    function activeCount(uint256 epoch) external view returns (uint256);

    /// @notice Current epoch by the shared clock.
    function currentEpoch() external view returns (uint256);

    /// @notice Sum of all stake held (active, exiting and withdrawable).
    function totalStaked() external view returns (uint256);
}
