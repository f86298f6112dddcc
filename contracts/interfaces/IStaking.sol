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
    /// @notice `key` registered the BLS public key `publicKey` (96 bytes, unpadded EIP-2537 G1 `x ‖ y`).
    event BlsKeyRegistered(address indexed key, bytes publicKey);

    /// @notice Registers msg.sender as a staking key with `withdrawer`, pulling `stakeAmount()` stake tokens from it.
    /// @custom:reverts Staking__AlreadyRegistered if the key was ever registered; Staking__ZeroAddress;
    ///                 Staking__StakeNotReceived unless the balance grew by exactly `stakeAmount()`.
    function deposit(address withdrawer) external;

    /// @notice Registers msg.sender's BLS public key for the training wheel, once: `publicKey` is an unpadded G1 point
    ///         (96 bytes, `x ‖ y`, 48 bytes each, big-endian) and `proof` its proof of possession, the key's signature of
    ///         its own 48-byte compressed form under `BlsLib.DST_POP`, as an unpadded G2 point (192 bytes,
    ///         `x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1`). Sets `blsKeyHash(key) = keccak256(publicKey)` and
    ///         `blsRecord(key) = BlsLib.keyRecord(keyHash, activationEpoch, exitEpoch)`; emits BlsKeyRegistered.
    /// @dev A proof the pairing precompile rejects outright (a point off its curve or outside its subgroup) burns the
    ///      gas forwarded to it (EIP-2537); a well-formed wrong proof costs the usual ≈ 160k.
    /// @custom:reverts In order: Staking__NotRegistered(msg.sender) unless msg.sender is a staking key;
    ///                 Staking__BlsKeyExists if it already has a BLS key; Staking__BlsInvalidKey unless the key is 96
    ///                 bytes, the proof 192 and the key not all zero; Staking__BlsInvalidProof unless the proof verifies.
    function registerBlsKey(bytes calldata publicKey, bytes calldata proof) external;

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

    /// @notice keccak256 of `key`'s 96-byte BLS public key, or zero if it has none.
    function blsKeyHash(address key) external view returns (bytes32);

    /// @notice `key`'s BLS record, keccak256(abi.encodePacked(blsKeyHash, uint32 activationEpoch, uint32 exitEpoch))
    ///         (40 bytes hashed; `BlsLib.keyRecord`), kept current through exits; zero if it has no BLS key.
    function blsRecord(address key) external view returns (bytes32);

    /// @notice Index of the first of `keys` whose BLS record is not `records` at the same index, or `keys.length` if
    ///         all match: one call checks a whole signer list's keys and epochs. A key without a BLS key never matches.
    /// @custom:reverts Staking__LengthMismatch unless the arrays have the same length.
    function firstBlsMismatch(address[] calldata keys, bytes32[] calldata records) external view returns (uint256);

    /// @notice Number of active keys in `epoch`, reproducible for any past epoch and up to `setChangeDelay` ahead.
    function activeCount(uint256 epoch) external view returns (uint256);

    /// @notice Current epoch by the shared clock.
    function currentEpoch() external view returns (uint256);

    /// @notice Sum of all stake held (active, exiting and withdrawable).
    function totalStaked() external view returns (uint256);
}
