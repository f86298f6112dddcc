// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {BlsTestSigner} from "../../utils/BlsTestSigner.sol";
import {Staking} from "../../../contracts/Staking.sol";
import {TestToken} from "../../../contracts/devnet/TestToken.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";

/// @notice Drives Staking alone, with the handler in the rollup's seat so slashing and ejection can be exercised with
///         any amounts: deposit, exit, withdraw, slash, eject, BLS key registration and time. Every action either performs a call that must
///         succeed (a revert fails the campaign) or tries one that must revert (a success is counted as a violation).
contract StakingHandler is CommonBase, StdCheats, StdUtils {
    uint256 public constant STAKE = 100_000e18;
    uint256 public constant GENESIS = 1_000_000;
    uint256 public constant MAX_KEYS = 48;
    address public constant SINK = address(0x5151);

    TestToken public token;
    Staking public staking;

    address[] public keys;
    uint256 public ghostTime;

    // Ghost totals.
    uint256 public deposited;
    uint256 public withdrawn;
    uint256 public slashed;
    /// @dev Calls that should have reverted but did not (double deposit, early or repeated withdrawal, ...).
    uint256 public violations;
    string public lastViolation;

    mapping(bytes32 action => uint256) public calls;
    /// @notice The unpadded BLS public key each key registered (empty if none).
    mapping(address key => bytes) public blsKeyOf;

    /// @dev The BLS12-381 group order r.
    uint256 internal constant BLS_ORDER = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001;

    constructor() {
        ghostTime = GENESIS;
        vm.warp(ghostTime);
        token = new TestToken("SPN Stake", "STK");
        staking = new Staking(
            Staking.Config({
                stakeToken: token,
                stakeAmount: STAKE,
                slashSink: SINK,
                genesisTime: GENESIS,
                slotDuration: 6,
                epochDuration: 4,
                setChangeDelay: 2,
                withdrawalDelay: 1
            })
        );
        for (uint256 i; i < 8; ++i) {
            _deposit(i);
        }
    }

    /// @notice Takes the rollup's seat. Not in the constructor: setRollup checks the rollup's `staking()` view, which
    ///         a contract under construction cannot answer. Not a fuzz target (the test lists its selectors).
    function init() external {
        staking.setRollup(address(this));
    }

    modifier sync(bytes32 action) {
        vm.warp(ghostTime);
        calls[action]++;
        _;
    }

    function keyCount() external view returns (uint256) {
        return keys.length;
    }

    function withdrawerOf(address key) public pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode("spn.invariant.withdrawer", key)))));
    }

    function _violation(string memory what) internal {
        violations++;
        lastViolation = what;
    }

    function _pick(uint256 seed) internal view returns (address) {
        return keys[seed % keys.length];
    }

    // ------------------------------------------------------------------------------------------ actions

    function deposit(uint256 seed) external sync("deposit") {
        _deposit(seed);
    }

    function _deposit(uint256 seed) internal {
        if (keys.length >= MAX_KEYS) return;
        address key = address(uint160(uint256(keccak256(abi.encode("spn.invariant.key", keys.length, seed)))));
        if (key.code.length != 0 || staking.getStaker(key).withdrawer != address(0)) return;
        keys.push(key);
        token.mint(key, STAKE);
        vm.startPrank(key);
        token.approve(address(staking), STAKE);
        staking.deposit(withdrawerOf(key));
        vm.stopPrank();
        deposited += STAKE;
    }

    /// @dev A key never registers twice, even after withdrawing.
    function depositAgain(uint256 seed) external sync("depositAgain") {
        if (keys.length == 0) return;
        address key = _pick(seed);
        token.mint(key, STAKE);
        vm.startPrank(key);
        token.approve(address(staking), STAKE);
        try staking.deposit(withdrawerOf(key)) {
            _violation("second deposit of a key accepted");
        } catch {}
        vm.stopPrank();
    }

    function initiateExit(uint256 seed) external sync("initiateExit") {
        if (keys.length == 0) return;
        address key = _pick(seed);
        IStaking.Staker memory s = staking.getStaker(key);
        vm.prank(s.withdrawer);
        if (s.exitEpoch == type(uint32).max) {
            staking.initiateExit(key);
            calls["initiateExit.ok"]++;
            assertExitEpoch(key);
        } else {
            try staking.initiateExit(key) {
                _violation("second exit accepted");
            } catch {}
        }
    }

    function assertExitEpoch(address key) internal {
        if (staking.getStaker(key).exitEpoch != staking.currentEpoch() + staking.setChangeDelay()) {
            _violation("exit epoch is not current + D");
        }
    }

    function withdraw(uint256 seed) external sync("withdraw") {
        if (keys.length == 0) return;
        address key = _pick(seed);
        IStaking.Staker memory s = staking.getStaker(key);
        bool ready = s.exitEpoch != type(uint32).max && !s.withdrawn
            && staking.currentEpoch() >= uint256(s.exitEpoch) + staking.withdrawalDelay();
        address recipient = address(uint160(uint256(keccak256(abi.encode("recipient", key)))));
        uint256 amount = staking.stakeOf(key);
        uint256 before = token.balanceOf(recipient);
        vm.prank(s.withdrawer);
        if (ready) {
            staking.withdraw(key, recipient);
            calls["withdraw.ok"]++;
            withdrawn += amount;
            if (token.balanceOf(recipient) - before != amount) _violation("withdrawal paid another amount");
            if (staking.stakeOf(key) != 0) _violation("stake left after withdrawal");
        } else {
            try staking.withdraw(key, recipient) {
                _violation("early or repeated withdrawal accepted");
            } catch {}
        }
    }

    /// @dev Only the withdrawer may exit or withdraw.
    function strangerActs(uint256 seed, address stranger) external sync("strangerActs") {
        if (keys.length == 0) return;
        address key = _pick(seed);
        if (stranger == staking.getStaker(key).withdrawer) return;
        vm.prank(stranger);
        try staking.initiateExit(key) {
            _violation("stranger started an exit");
        } catch {}
        vm.prank(stranger);
        try staking.withdraw(key, stranger) {
            _violation("stranger withdrew");
        } catch {}
    }

    function slash(uint256 seed, uint256 amount) external sync("slash") {
        if (keys.length == 0) return;
        address key = _pick(seed);
        amount = _bound(amount, 0, STAKE * 2);
        uint256 held = staking.stakeOf(key);
        uint256 moved = staking.slash(key, amount);
        uint256 expected = amount < held ? amount : held;
        if (moved != expected) _violation("slash moved another amount");
        slashed += moved;
        if (moved > 0) calls["slash.ok"]++;
        // Sometimes sweep what was slashed to the sink (anyone may): it must move exactly what was pending.
        if (seed % 3 == 0) {
            uint256 pending = staking.slashedPending();
            uint256 sinkBefore = token.balanceOf(SINK);
            if (staking.withdrawSlashed() != pending) _violation("withdrawSlashed returned another amount");
            if (token.balanceOf(SINK) - sinkBefore != pending) _violation("withdrawSlashed moved another amount");
            if (staking.slashedPending() != 0) _violation("slashed stake left pending after a sweep");
            if (pending > 0) calls["slash.sweep"]++;
        }
    }

    function eject(uint256 seed) external sync("eject") {
        if (keys.length == 0) return;
        address key = _pick(seed);
        IStaking.Staker memory before = staking.getStaker(key);
        bool ejected = staking.eject(key);
        if (ejected != (before.exitEpoch == type(uint32).max)) {
            _violation("eject's result does not say whether it ejected");
        }
        IStaking.Staker memory afterwards = staking.getStaker(key);
        if (before.exitEpoch != type(uint32).max) {
            if (afterwards.exitEpoch != before.exitEpoch) _violation("ejection moved an existing exit");
        } else {
            assertExitEpoch(key);
        }
    }

    /// @dev Only the rollup may slash or eject.
    function strangerSlashes(uint256 seed, address stranger) external sync("strangerSlashes") {
        if (keys.length == 0 || stranger == address(this)) return;
        address key = _pick(seed);
        vm.prank(stranger);
        try staking.slash(key, 1) {
            _violation("stranger slashed");
        } catch {}
        vm.prank(stranger);
        try staking.eject(key) {
            _violation("stranger ejected");
        } catch {}
    }

    /// @dev Registers the picked key's BLS key if it has none (a second one must be refused). Sometimes first tries a
    ///      proof of possession made by another BLS key, which must be refused too.
    function registerBlsKey(uint256 seed) external sync("registerBlsKey") {
        if (keys.length == 0) return;
        address key = _pick(seed);
        uint256 sk = _blsSecret(key);
        // Built before any prank: the signer's precompile calls would consume it.
        bytes memory pk = BlsTestSigner.publicKey(sk);
        bytes memory proof = BlsTestSigner.pop(sk);
        if (blsKeyOf[key].length != 0) {
            vm.prank(key);
            try staking.registerBlsKey(pk, proof) {
                _violation("second BLS key accepted");
            } catch {}
            return;
        }
        if (seed % 3 == 0) {
            bytes memory otherPop = BlsTestSigner.pop(sk - 1); // sk >= 2, so sk - 1 is another valid secret
            vm.prank(key);
            try staking.registerBlsKey(pk, otherPop) {
                _violation("another key's proof of possession accepted");
            } catch {}
        }
        vm.prank(key);
        staking.registerBlsKey(pk, proof);
        blsKeyOf[key] = pk;
        calls["registerBlsKey.ok"]++;
    }

    function _blsSecret(address key) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode("spn.invariant.bls", key))) % (BLS_ORDER - 2) + 2;
    }

    function warp(uint256 secondsSeed) external sync("warp") {
        // Up to three epochs (72 s each) at a time: activations, exits and withdrawals all come due within a run.
        ghostTime += _bound(secondsSeed, 1, 3 * 24);
        vm.warp(ghostTime);
    }

    // ------------------------------------------------------------------------------------------ views for invariants

    function sumOfStakes() external view returns (uint256 sum) {
        for (uint256 i; i < keys.length; ++i) {
            sum += staking.stakeOf(keys[i]);
        }
    }

    function activeKeys(uint256 epoch) external view returns (uint256 count) {
        for (uint256 i; i < keys.length; ++i) {
            if (staking.isActive(keys[i], epoch)) ++count;
        }
    }
}
