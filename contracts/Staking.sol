// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IStaking} from "./interfaces/IStaking.sol";
import {BlsLib} from "./libraries/BlsLib.sol";
import {Errors} from "./libraries/Errors.sol";
import {TimeLib} from "./libraries/TimeLib.sol";

/// @title Staking
/// @notice Holds one fixed stake per staking key. The staking key signs (attestations, job results, proposals);
///         a separate withdrawer controls exit and withdrawal and receives rewards.
/// @dev Every change to the active set takes effect exactly `setChangeDelay` epochs after the epoch it is requested in,
///      so the active-count checkpoints are pushed with non-decreasing keys and any epoch's count is reproducible.
///      Stake conservation: this contract's stake-token balance equals `totalStaked() + slashedPending()`; slashed
///      stake is held for `slashSink` and pulled to it by `withdrawSlashed`, never burned silently, and a sink that
///      cannot receive tokens never blocks a slash.
contract Staking is IStaking {
    using SafeERC20 for IERC20;
    using Checkpoints for Checkpoints.Trace224;

    uint32 internal constant NOT_EXITING = type(uint32).max;

    IERC20 public immutable stakeToken;
    uint256 public immutable stakeAmount;
    address public immutable slashSink;
    uint256 public immutable genesisTime;
    uint256 public immutable slotDuration;
    uint256 public immutable epochDuration;
    uint256 public immutable setChangeDelay;
    uint256 public immutable withdrawalDelay;
    address internal immutable _deployer;

    address public rollup;
    uint256 public totalStaked;
    /// @notice Slashed stake held for `slashSink` until `withdrawSlashed`.
    uint256 public slashedPending;

    mapping(address key => Staker) internal _stakers;
    mapping(address key => uint256) internal _stakes;
    Checkpoints.Trace224 internal _activeCount;
    /// @notice keccak256 of each key's 96-byte BLS public key; zero until `registerBlsKey`.
    mapping(address key => bytes32) internal _blsKeyHash;
    /// @notice `BlsLib.keyRecord(_blsKeyHash[key], activationEpoch, exitEpoch)` for every key with a BLS key, zero for
    ///         the others: one slot proves a signer's key and activity (docs/design/bls-training-wheel.md §2).
    mapping(address key => bytes32) internal _blsRecord;

    struct Config {
        IERC20 stakeToken;
        uint256 stakeAmount;
        address slashSink;
        uint256 genesisTime;
        uint256 slotDuration;
        uint256 epochDuration;
        uint256 setChangeDelay;
        uint256 withdrawalDelay;
    }

    constructor(Config memory c) {
        require(address(c.stakeToken) != address(0), Errors.Params__Invalid("stakeToken is zero"));
        require(c.slashSink != address(0), Errors.Params__Invalid("slashSink is zero"));
        require(c.stakeAmount > 0, Errors.Params__Invalid("stakeAmount is zero"));
        require(c.slotDuration > 0 && c.epochDuration > 0, Errors.Params__Invalid("zero slot or epoch duration"));
        require(c.setChangeDelay > 0, Errors.Params__Invalid("setChangeDelay is zero"));
        stakeToken = c.stakeToken;
        stakeAmount = c.stakeAmount;
        slashSink = c.slashSink;
        genesisTime = c.genesisTime;
        slotDuration = c.slotDuration;
        epochDuration = c.epochDuration;
        setChangeDelay = c.setChangeDelay;
        withdrawalDelay = c.withdrawalDelay;
        _deployer = msg.sender;
    }

    modifier onlyRollup() {
        require(msg.sender == rollup, Errors.Staking__OnlyRollup(msg.sender));
        _;
    }

    /// @inheritdoc IStaking
    function setRollup(address rollup_) external {
        require(msg.sender == _deployer, Errors.Staking__NotDeployer(_deployer, msg.sender));
        require(rollup == address(0), Errors.Staking__RollupAlreadySet());
        require(rollup_ != address(0), Errors.Staking__ZeroAddress());
        // The rollup reads its clock and stake from this contract: refuse one built against another Staking.
        address linked = IRollupStaking(rollup_).staking();
        require(linked == address(this), Errors.Staking__RollupMismatch(address(this), linked));
        rollup = rollup_;
    }

    /* ------------------------------------------------------------------ STAKER ACTIONS */

    /// @inheritdoc IStaking
    /// @dev The stake is measured as this contract's balance delta, which must equal `stakeAmount` exactly: a
    ///      fee-on-transfer token that delivers less reverts instead of registering an under-collateralised key, and a
    ///      nested deposit during the transfer (a token with hooks), which would lend the outer call its stake, makes the
    ///      delta larger and reverts too. So no reentrancy lock is needed.
    function deposit(address withdrawer) external {
        require(withdrawer != address(0), Errors.Staking__ZeroAddress());
        require(_stakers[msg.sender].withdrawer == address(0), Errors.Staking__AlreadyRegistered(msg.sender));

        uint256 effective = currentEpoch() + setChangeDelay;
        _stakers[msg.sender] = Staker({
            withdrawer: withdrawer,
            activationEpoch: SafeCast.toUint32(effective),
            exitEpoch: NOT_EXITING,
            withdrawn: false
        });
        _stakes[msg.sender] = stakeAmount;
        totalStaked += stakeAmount;
        _pushCount(effective, _activeCount.latest() + 1);

        emit Deposited(msg.sender, withdrawer, stakeAmount, effective);
        uint256 before = stakeToken.balanceOf(address(this));
        stakeToken.safeTransferFrom(msg.sender, address(this), stakeAmount);
        uint256 received = stakeToken.balanceOf(address(this)) - before;
        require(received == stakeAmount, Errors.Staking__StakeNotReceived(stakeAmount, received));
    }

    /// @inheritdoc IStaking
    function initiateExit(address key) external {
        Staker storage s = _registered(key);
        require(msg.sender == s.withdrawer, Errors.Staking__NotWithdrawer(s.withdrawer, msg.sender));
        require(s.exitEpoch == NOT_EXITING, Errors.Staking__AlreadyExiting(key, s.exitEpoch));
        _exit(key, s, false);
    }

    /// @inheritdoc IStaking
    function withdraw(address key, address recipient) external {
        Staker storage s = _registered(key);
        require(msg.sender == s.withdrawer, Errors.Staking__NotWithdrawer(s.withdrawer, msg.sender));
        require(recipient != address(0), Errors.Staking__ZeroAddress());
        require(s.exitEpoch != NOT_EXITING, Errors.Staking__NotExiting(key));
        require(!s.withdrawn, Errors.Staking__AlreadyWithdrawn(key));
        uint256 ready = uint256(s.exitEpoch) + withdrawalDelay;
        require(currentEpoch() >= ready, Errors.Staking__WithdrawalNotReady(currentEpoch(), ready));

        uint256 amount = _stakes[key];
        s.withdrawn = true;
        _stakes[key] = 0;
        totalStaked -= amount;
        emit Withdrawn(key, recipient, amount);
        stakeToken.safeTransfer(recipient, amount);
    }

    /// @inheritdoc IStaking
    /// @dev Called by the staking key itself, as `deposit`: only it can prove possession of both keys in one call.
    ///      The epochs are copied from the staker record, which only `deposit` and `_exit` write; `_exit` refreshes
    ///      the BLS record, so it never goes stale.
    function registerBlsKey(bytes calldata publicKey, bytes calldata proof) external {
        Staker storage s = _registered(msg.sender);
        require(_blsKeyHash[msg.sender] == bytes32(0), Errors.Staking__BlsKeyExists(msg.sender));
        require(
            publicKey.length == BlsLib.G1_UNPADDED_BYTES && proof.length == BlsLib.G2_UNPADDED_BYTES
                && !_isZeroKey(publicKey),
            Errors.Staking__BlsInvalidKey(msg.sender)
        );
        // The pairing subgroup-checks the key: every key that can reach a G1ADD later is a valid G1 point.
        require(BlsLib.verifyPop(publicKey, proof), Errors.Staking__BlsInvalidProof(msg.sender));

        bytes32 keyHash = keccak256(publicKey);
        _blsKeyHash[msg.sender] = keyHash;
        _blsRecord[msg.sender] = BlsLib.keyRecord(keyHash, s.activationEpoch, s.exitEpoch);
        emit BlsKeyRegistered(msg.sender, publicKey);
    }

    /* ------------------------------------------------------------------ ROLLUP ACTIONS */

    /// @inheritdoc IStaking
    function slash(address key, uint256 amount) external onlyRollup returns (uint256 slashed) {
        uint256 held = _stakes[key];
        slashed = amount < held ? amount : held;
        if (slashed == 0) return 0;
        _stakes[key] = held - slashed;
        totalStaked -= slashed;
        slashedPending += slashed;
        emit Slashed(key, slashed, slashSink);
    }

    /// @inheritdoc IStaking
    function withdrawSlashed() external returns (uint256 amount) {
        amount = slashedPending;
        if (amount == 0) return 0;
        slashedPending = 0;
        emit SlashedWithdrawn(slashSink, amount);
        stakeToken.safeTransfer(slashSink, amount);
    }

    /// @inheritdoc IStaking
    function eject(address key) external onlyRollup returns (bool ejected) {
        Staker storage s = _registered(key);
        if (s.exitEpoch != NOT_EXITING) return false;
        _exit(key, s, true);
        return true;
    }

    /* ------------------------------------------------------------------ VIEWS */

    /// @inheritdoc IStaking
    function getStaker(address key) external view returns (Staker memory) {
        return _stakers[key];
    }

    /// @inheritdoc IStaking
    function stakeOf(address key) external view returns (uint256) {
        return _stakes[key];
    }

    /// @inheritdoc IStaking
    function isActive(address key, uint256 epoch) external view returns (bool) {
        return _isActive(_stakers[key], epoch);
    }

    /// @inheritdoc IStaking
    function firstInactive(address[] calldata keys, uint256 epoch) external view returns (uint256) {
        // Runs once per attestation set and transcript, over hundreds of keys: read each packed record with one SLOAD
        // and decode it in place (layout of `Staker`: withdrawer bits 0-159, activationEpoch 160-191, exitEpoch
        // 192-223, withdrawn). The rule is `_isActive`'s, activationEpoch <= epoch < exitEpoch, without its
        // `withdrawer != 0`: an unregistered key's record is all zero, so its exitEpoch 0 already fails.
        uint256 first;
        uint256 at;
        assembly ("memory-safe") {
            first := keys.offset
            at := first
            let keysEnd := add(first, shl(5, keys.length))
            mstore(0x20, _stakers.slot)
            for {} lt(at, keysEnd) { at := add(at, 0x20) } {
                mstore(0x00, calldataload(at))
                let packed := sload(keccak256(0x00, 0x40))
                if or(
                    gt(and(shr(160, packed), 0xffffffff), epoch),
                    iszero(lt(epoch, and(shr(192, packed), 0xffffffff)))
                ) {
                    break
                }
            }
        }
        return (at - first) / 32;
    }

    /// @inheritdoc IStaking
    function blsKeyHash(address key) external view returns (bytes32) {
        return _blsKeyHash[key];
    }

    /// @inheritdoc IStaking
    function blsRecord(address key) external view returns (bytes32) {
        return _blsRecord[key];
    }

    /// @inheritdoc IStaking
    function firstBlsMismatch(address[] calldata keys, bytes32[] calldata records) external view returns (uint256) {
        require(keys.length == records.length, Errors.Staking__LengthMismatch(keys.length, records.length));
        // Runs once per signed proof, over hundreds of signers: `firstInactive`'s loop, one SLOAD per key. A key
        // without a BLS key has record 0, which never matches, even a record of 0 in the input.
        uint256 first;
        uint256 at;
        assembly ("memory-safe") {
            first := keys.offset
            at := first
            let keysEnd := add(first, shl(5, keys.length))
            // records[i] sits at a fixed distance from keys[i] (modular, so either order of the arrays works).
            let toRecords := sub(records.offset, first)
            mstore(0x20, _blsRecord.slot)
            for {} lt(at, keysEnd) { at := add(at, 0x20) } {
                mstore(0x00, calldataload(at))
                let stored := sload(keccak256(0x00, 0x40))
                if or(iszero(stored), iszero(eq(stored, calldataload(add(at, toRecords))))) { break }
            }
        }
        return (at - first) / 32;
    }

    /// @inheritdoc IStaking
    function activeCount(uint256 epoch) external view returns (uint256) {
        return _activeCount.upperLookupRecent(SafeCast.toUint32(epoch));
    }

    /// @inheritdoc IStaking
    function currentEpoch() public view returns (uint256) {
        return TimeLib.epochOf(TimeLib.slotAt(block.timestamp, genesisTime, slotDuration), epochDuration);
    }

    /* ------------------------------------------------------------------ INTERNALS */

    /// @dev Takes a memory copy so the packed record costs one SLOAD.
    function _isActive(Staker memory s, uint256 epoch) internal pure returns (bool) {
        return s.withdrawer != address(0) && s.activationEpoch <= epoch && epoch < s.exitEpoch;
    }

    function _registered(address key) internal view returns (Staker storage s) {
        s = _stakers[key];
        require(s.withdrawer != address(0), Errors.Staking__NotRegistered(key));
    }

    function _exit(address key, Staker storage s, bool forced) internal {
        uint256 effective = currentEpoch() + setChangeDelay;
        // A key whose activation is still ahead leaves at its activation epoch at the latest: it was counted from then.
        uint32 exitEpoch = SafeCast.toUint32(effective);
        s.exitEpoch = exitEpoch;
        // The BLS record binds the exit epoch: refresh it, or the key would keep signing after it leaves.
        bytes32 keyHash = _blsKeyHash[key];
        if (keyHash != bytes32(0)) _blsRecord[key] = BlsLib.keyRecord(keyHash, s.activationEpoch, exitEpoch);
        _pushCount(effective, _activeCount.latest() - 1);
        emit ExitInitiated(key, effective, forced);
    }

    function _pushCount(uint256 epoch, uint256 count) internal {
        _activeCount.push(SafeCast.toUint32(epoch), SafeCast.toUint224(count));
    }

    /// @dev Whether a 96-byte unpadded key is the point at infinity, all zeros (KeyValidate's identity check).
    function _isZeroKey(bytes calldata publicKey) internal pure returns (bool zero) {
        assembly ("memory-safe") {
            let at := publicKey.offset
            zero := iszero(or(or(calldataload(at), calldataload(add(at, 0x20))), calldataload(add(at, 0x40))))
        }
    }
}

/// @dev The one Rollup view Staking needs, to check that a rollup was deployed against it.
interface IRollupStaking {
    function staking() external view returns (address);
}
