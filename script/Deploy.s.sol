// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Script, console2} from "forge-std/Script.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {BlsVerifier} from "../contracts/BlsVerifier.sol";
import {Rollup} from "../contracts/Rollup.sol";
import {Staking} from "../contracts/Staking.sol";
import {TranscriptVerifier} from "../contracts/TranscriptVerifier.sol";
import {TestToken} from "../contracts/devnet/TestToken.sol";
import {IBlsVerifier} from "../contracts/interfaces/IBlsVerifier.sol";
import {IProofVerifier} from "../contracts/interfaces/IProofVerifier.sol";
import {IStaking} from "../contracts/interfaces/IStaking.sol";
import {RewardLib} from "../contracts/libraries/RewardLib.sol";
import {SortitionLib} from "../contracts/libraries/SortitionLib.sol";

/// @title Deploy
/// @notice Deploys SPN: stake and reward tokens (TestToken, only when STAKE_TOKEN / REWARD_TOKEN are not given),
///         Staking, TranscriptVerifier, BlsVerifier (only with TRAINING_WHEEL) and Rollup; wires Staking to the
///         Rollup; funds the reward pool on devnets; and writes deployments/<chainId>.json (addresses, deployment
///         block, chain id, genesis time, every parameter; the directory is DEPLOYMENTS_DIR if set; field by field in
///         deployments/README.md). Off chain 31337 it refuses to deploy TestToken (mintable by anyone): STAKE_TOKEN and
///         REWARD_TOKEN must be given there.
/// @dev Parameters: devnet defaults on chain 31337 (or DEVNET=true), testnet defaults otherwise (design sheet /
///      docs/PROTOCOL.md §4); each is overridable by its SCREAMING_SNAKE_CASE env var (SLOT_DURATION, ROUND_HEIGHT,
///      PROVERS_REWARD, ...). `minHeight`, `penaltyBase` and `ejectionFloor` default to roundHeight + 1, 1% and 50% of
///      the stake amount actually used. The BLS training wheel is off unless TRAINING_WHEEL is true (or 1); then
///      TRAINING_WHEEL_BPS (default 5,000) and TRAINING_WHEEL_UNTIL (default 2^256 - 1: until a new deployment) set
///      it, and are ignored otherwise (docs/design/bls-training-wheel.md §3.1). Keys: PRIVATE_KEY (anvil's first
///      default key on 31337 if unset).
///      The `params` object of the output uses the Solidity names and exactly the fields of the Rust
///      `spn_protocol::Params`; token amounts are decimal strings (they exceed JSON's safe integers).
///      Run (from the repository root): `forge script script/Deploy.s.sol --rpc-url <url> --broadcast` with the
///      project's forge (node_modules/ at-foundry-rs /forge-linux-amd64/bin/forge, i.e. `make forge`).
contract Deploy is Script {
    /// @dev anvil's first default account (mnemonic "test test ... junk"): devnet only.
    uint256 internal constant ANVIL_KEY_0 = 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80;
    uint256 internal constant DEVNET_CHAIN_ID = 31337;

    /// @notice Every deployment parameter (Solidity names, as in the Rust Params).
    struct Params {
        uint256 slotDuration;
        uint256 epochDuration;
        uint256 seedLookahead;
        uint256 setChangeDelay;
        uint256 withdrawalDelay;
        uint256 proofWindow;
        uint256 graceSlots;
        uint256 stakeAmount;
        uint256 sequencerTarget;
        uint256 attestationTarget;
        uint256 attestationQuorum;
        uint256 roundHeight;
        uint256 minHeight;
        uint256 maxHeight;
        uint256 redundancy;
        uint256 neighbourhood;
        uint256 vmProofsPerTx;
        uint256 vmProofCost;
        uint256 baseProofCost;
        uint256 mergeProofCost;
        uint256 submitterReward;
        uint256 sequencerBase;
        uint256 sequencerCoverage;
        uint256 proversReward;
        uint256 minCoverageBps;
        uint256 strikeThreshold;
        uint256 penaltyBase;
        uint256 ejectionFloor;
    }

    /// @notice The BLS training wheel: on (a BlsVerifier is deployed), the signers it requires in basis points of the
    ///         expected round-1 committee, and the first block number proven without it. All zero when off.
    struct TrainingWheel {
        bool on;
        uint256 bps;
        uint256 until;
    }

    /// @notice What was deployed.
    struct Deployment {
        address deployer;
        address stakeToken;
        address rewardToken;
        bool stakeTokenDeployed;
        bool rewardTokenDeployed;
        address staking;
        address verifier;
        /// @dev The training wheel's BlsVerifier; zero when the wheel is off.
        address blsVerifier;
        address rollup;
        address slashSink;
        uint256 genesisTime;
        uint256 deploymentBlock;
        uint256 poolFunding;
        bool devnet;
        uint256 trainingWheelBps;
        uint256 trainingWheelUntil;
    }

    function run() external returns (Deployment memory d) {
        // Checked first, before any key is read: nothing is deployed on a refusal.
        (d.stakeToken, d.rewardToken) = _tokens();
        d.devnet = vm.envOr("DEVNET", block.chainid == DEVNET_CHAIN_ID);
        uint256 key =
            block.chainid == DEVNET_CHAIN_ID ? vm.envOr("PRIVATE_KEY", ANVIL_KEY_0) : vm.envUint("PRIVATE_KEY");
        d.deployer = vm.addr(key);
        Params memory p = params(d.devnet);
        TrainingWheel memory wheel = trainingWheel();
        (d.trainingWheelBps, d.trainingWheelUntil) = (wheel.bps, wheel.until);
        d.slashSink = vm.envOr("SLASH_SINK", d.deployer);
        d.genesisTime = vm.envOr("GENESIS_TIME", block.timestamp);
        d.poolFunding = vm.envOr("POOL_FUNDING", d.devnet ? uint256(1_000_000e18) : 0);
        // The first block that can hold a deployment transaction: the script runs against the current head, so every
        // transaction lands at or after head + 1 (exactly there on an automining anvil). Scan logs from here.
        d.deploymentBlock = block.number + 1;

        vm.startBroadcast(key);
        if (d.stakeToken == address(0)) {
            d.stakeToken = address(new TestToken("SPN Stake", "STK"));
            d.stakeTokenDeployed = true;
        }
        if (d.rewardToken == address(0)) {
            d.rewardToken = address(new TestToken("SPN Reward", "RWD"));
            d.rewardTokenDeployed = true;
        }
        Staking staking = new Staking(
            Staking.Config({
                stakeToken: IERC20(d.stakeToken),
                stakeAmount: p.stakeAmount,
                slashSink: d.slashSink,
                genesisTime: d.genesisTime,
                slotDuration: p.slotDuration,
                epochDuration: p.epochDuration,
                setChangeDelay: p.setChangeDelay,
                withdrawalDelay: p.withdrawalDelay
            })
        );
        TranscriptVerifier verifier = new TranscriptVerifier();
        if (wheel.on) d.blsVerifier = address(new BlsVerifier());
        Rollup rollup = new Rollup(_rollupConfig(p, staking, verifier, IERC20(d.rewardToken), d));
        staking.setRollup(address(rollup));
        if (d.poolFunding > 0) {
            if (d.rewardTokenDeployed) TestToken(d.rewardToken).mint(d.deployer, d.poolFunding);
            IERC20(d.rewardToken).approve(address(rollup), d.poolFunding);
            rollup.fund(d.poolFunding);
        }
        vm.stopBroadcast();

        (d.staking, d.verifier, d.rollup) = (address(staking), address(verifier), address(rollup));
        _check(d, p);
        _write(d, p);
    }

    /// @notice STAKE_TOKEN and REWARD_TOKEN (address 0 where unset: a TestToken is deployed for it). Anyone can mint a
    ///         TestToken, so off the devnet chain (31337) both must be given.
    function _tokens() internal view returns (address stakeToken, address rewardToken) {
        stakeToken = vm.envOr("STAKE_TOKEN", address(0));
        rewardToken = vm.envOr("REWARD_TOKEN", address(0));
        if (block.chainid != DEVNET_CHAIN_ID && (stakeToken == address(0) || rewardToken == address(0))) {
            revert(testTokenRefusal(block.chainid));
        }
    }

    /// @notice The refusal to deploy the freely mintable TestToken on chain `chainId`.
    function testTokenRefusal(uint256 chainId) public pure returns (string memory) {
        return string.concat(
            "Deploy: chain ",
            vm.toString(chainId),
            " is not the devnet (31337): set STAKE_TOKEN and REWARD_TOKEN (TestToken is mintable by anyone)"
        );
    }

    /// @notice Where the deployment file goes: `<DEPLOYMENTS_DIR>/<chainId>.json`, DEPLOYMENTS_DIR defaulting to
    ///         `deployments` and taken relative to the project root unless absolute (tests write under cache/).
    function deploymentPath() public view returns (string memory) {
        return string.concat(deploymentsDir(), "/", vm.toString(block.chainid), ".json");
    }

    function deploymentsDir() public view returns (string memory dir) {
        dir = vm.envOr("DEPLOYMENTS_DIR", string("deployments"));
        if (bytes(dir).length == 0 || bytes(dir)[0] != "/") dir = string.concat(vm.projectRoot(), "/", dir);
    }

    /// @notice Devnet or testnet defaults, each overridden by its env var.
    function params(bool devnet) public view returns (Params memory p) {
        p.slotDuration = vm.envOr("SLOT_DURATION", devnet ? uint256(6) : 120);
        p.epochDuration = vm.envOr("EPOCH_DURATION", devnet ? uint256(4) : 32);
        p.seedLookahead = vm.envOr("SEED_LOOKAHEAD", devnet ? uint256(1) : 2);
        p.setChangeDelay = vm.envOr("SET_CHANGE_DELAY", p.seedLookahead + 1);
        p.withdrawalDelay = vm.envOr("WITHDRAWAL_DELAY", devnet ? uint256(1) : 3);
        p.proofWindow = vm.envOr("PROOF_WINDOW", devnet ? uint256(4) : 8);
        p.graceSlots = vm.envOr("GRACE_SLOTS", devnet ? uint256(8) : 32);
        p.stakeAmount = vm.envOr("STAKE_AMOUNT", uint256(100_000e18));
        p.sequencerTarget = vm.envOr("SEQUENCER_TARGET", devnet ? uint256(2) : 4);
        p.attestationTarget = vm.envOr("ATTESTATION_TARGET", devnet ? uint256(12) : 48);
        p.attestationQuorum = vm.envOr("ATTESTATION_QUORUM", devnet ? uint256(5) : 33);
        p.roundHeight = vm.envOr("ROUND_HEIGHT", uint256(2));
        p.minHeight = vm.envOr("MIN_HEIGHT", p.roundHeight + 1);
        p.maxHeight = vm.envOr("MAX_HEIGHT", devnet ? uint256(8) : 11);
        p.redundancy = vm.envOr("REDUNDANCY", uint256(2));
        p.neighbourhood = vm.envOr("NEIGHBOURHOOD", devnet ? uint256(2) : 1);
        p.vmProofsPerTx = vm.envOr("VM_PROOFS_PER_TX", uint256(2));
        p.vmProofCost = vm.envOr("VM_PROOF_COST", uint256(10));
        p.baseProofCost = vm.envOr("BASE_PROOF_COST", uint256(5));
        p.mergeProofCost = vm.envOr("MERGE_PROOF_COST", uint256(2));
        p.submitterReward = vm.envOr("SUBMITTER_REWARD", uint256(10e18));
        p.sequencerBase = vm.envOr("SEQUENCER_BASE", uint256(50e18));
        p.sequencerCoverage = vm.envOr("SEQUENCER_COVERAGE", uint256(64e18));
        p.proversReward = vm.envOr("PROVERS_REWARD", uint256(500e18));
        p.minCoverageBps = vm.envOr("MIN_COVERAGE_BPS", devnet ? uint256(2_500) : 5_000);
        p.strikeThreshold = vm.envOr("STRIKE_THRESHOLD", uint256(3));
        p.penaltyBase = vm.envOr("PENALTY_BASE", p.stakeAmount / 100);
        p.ejectionFloor = vm.envOr("EJECTION_FLOOR", p.stakeAmount / 2);
    }

    /// @notice TRAINING_WHEEL (true/false or 1/0, default off), then TRAINING_WHEEL_BPS and TRAINING_WHEEL_UNTIL.
    function trainingWheel() public view returns (TrainingWheel memory w) {
        string memory on = vm.envOr("TRAINING_WHEEL", string("false"));
        w.on = _eq(on, "true") || _eq(on, "1");
        require(
            w.on || _eq(on, "false") || _eq(on, "0") || bytes(on).length == 0, "Deploy: TRAINING_WHEEL is not a bool"
        );
        if (!w.on) return w;
        w.bps = vm.envOr("TRAINING_WHEEL_BPS", uint256(5_000));
        w.until = vm.envOr("TRAINING_WHEEL_UNTIL", type(uint256).max);
    }

    function _eq(string memory a, string memory b) internal pure returns (bool) {
        return keccak256(bytes(a)) == keccak256(bytes(b));
    }

    function _rollupConfig(
        Params memory p,
        Staking staking,
        TranscriptVerifier verifier,
        IERC20 rewardToken,
        Deployment memory d
    ) internal pure returns (Rollup.Config memory) {
        return Rollup.Config({
            staking: IStaking(address(staking)),
            verifier: IProofVerifier(address(verifier)),
            rewardToken: rewardToken,
            seedLookahead: p.seedLookahead,
            proofWindow: p.proofWindow,
            minHeight: p.minHeight,
            maxHeight: p.maxHeight,
            roundHeight: p.roundHeight,
            redundancy: p.redundancy,
            neighbourhood: p.neighbourhood,
            attestationTarget: p.attestationTarget,
            attestationQuorum: p.attestationQuorum,
            sequencerTarget: p.sequencerTarget,
            costs: SortitionLib.CostWeights({
                vmProofsPerTx: p.vmProofsPerTx,
                vmProofCost: p.vmProofCost,
                baseProofCost: p.baseProofCost,
                mergeProofCost: p.mergeProofCost
            }),
            rewards: RewardLib.Rewards({
                submitter: p.submitterReward,
                sequencerBase: p.sequencerBase,
                sequencerCoverage: p.sequencerCoverage,
                provers: p.proversReward
            }),
            minCoverageBps: p.minCoverageBps,
            graceSlots: p.graceSlots,
            strikeThreshold: p.strikeThreshold,
            penaltyBase: p.penaltyBase,
            ejectionFloor: p.ejectionFloor,
            trainingWheel: IBlsVerifier(d.blsVerifier),
            trainingWheelBps: d.trainingWheelBps,
            trainingWheelUntil: d.trainingWheelUntil
        });
    }

    /// @dev Reads the deployed contracts back: what the file says is what the chain holds.
    function _check(Deployment memory d, Params memory p) internal view {
        Staking staking = Staking(d.staking);
        Rollup rollup = Rollup(d.rollup);
        require(staking.rollup() == d.rollup, "staking not wired to the rollup");
        require(address(rollup.staking()) == d.staking && address(rollup.verifier()) == d.verifier, "rollup wiring");
        require(address(rollup.rewardToken()) == d.rewardToken, "reward token");
        require(address(staking.stakeToken()) == d.stakeToken && staking.stakeAmount() == p.stakeAmount, "stake");
        require(staking.genesisTime() == d.genesisTime && rollup.genesisTime() == d.genesisTime, "genesis time");
        require(rollup.slotDuration() == p.slotDuration && rollup.epochDuration() == p.epochDuration, "clock");
        require(rollup.maxHeight() == p.maxHeight && rollup.attestationQuorum() == p.attestationQuorum, "params");
        require(rollup.minCoverageBps() == p.minCoverageBps, "minCoverageBps");
        require(
            address(rollup.trainingWheel()) == d.blsVerifier && rollup.trainingWheelBps() == d.trainingWheelBps
                && rollup.trainingWheelUntil() == d.trainingWheelUntil,
            "training wheel"
        );
        require(rollup.pool().funded == d.poolFunding, "pool funding");
    }

    function _write(Deployment memory d, Params memory p) internal {
        string memory contracts = "contracts";
        vm.serializeAddress(contracts, "stakeToken", d.stakeToken);
        vm.serializeAddress(contracts, "rewardToken", d.rewardToken);
        vm.serializeAddress(contracts, "staking", d.staking);
        vm.serializeAddress(contracts, "verifier", d.verifier);
        vm.serializeAddress(contracts, "blsVerifier", d.blsVerifier);
        contracts = vm.serializeAddress(contracts, "rollup", d.rollup);

        string memory root = "deployment";
        vm.serializeUint(root, "chainId", block.chainid);
        vm.serializeUint(root, "deploymentBlock", d.deploymentBlock);
        vm.serializeUint(root, "genesisTime", d.genesisTime);
        vm.serializeBool(root, "devnet", d.devnet);
        vm.serializeAddress(root, "deployer", d.deployer);
        vm.serializeAddress(root, "slashSink", d.slashSink);
        vm.serializeBool(root, "stakeTokenDeployed", d.stakeTokenDeployed);
        vm.serializeBool(root, "rewardTokenDeployed", d.rewardTokenDeployed);
        vm.serializeString(root, "poolFunding", vm.toString(d.poolFunding));
        vm.serializeUint(root, "trainingWheelBps", d.trainingWheelBps);
        // A decimal string: 2^256 - 1 (until a new deployment) exceeds JSON's safe integers.
        vm.serializeString(root, "trainingWheelUntil", vm.toString(d.trainingWheelUntil));
        vm.serializeString(root, "contracts", contracts);
        string memory json = vm.serializeString(root, "params", _paramsJson(p));

        string memory path = deploymentPath();
        vm.createDir(deploymentsDir(), true);
        vm.writeJson(json, path);
        console2.log("SPN deployed; wrote", path);
        console2.log("rollup", d.rollup);
        console2.log("staking", d.staking);
    }

    function _paramsJson(Params memory p) internal returns (string memory) {
        string memory o = "params";
        vm.serializeUint(o, "slotDuration", p.slotDuration);
        vm.serializeUint(o, "epochDuration", p.epochDuration);
        vm.serializeUint(o, "seedLookahead", p.seedLookahead);
        vm.serializeUint(o, "setChangeDelay", p.setChangeDelay);
        vm.serializeUint(o, "withdrawalDelay", p.withdrawalDelay);
        vm.serializeUint(o, "proofWindow", p.proofWindow);
        vm.serializeUint(o, "graceSlots", p.graceSlots);
        vm.serializeString(o, "stakeAmount", vm.toString(p.stakeAmount));
        vm.serializeUint(o, "sequencerTarget", p.sequencerTarget);
        vm.serializeUint(o, "attestationTarget", p.attestationTarget);
        vm.serializeUint(o, "attestationQuorum", p.attestationQuorum);
        vm.serializeUint(o, "roundHeight", p.roundHeight);
        vm.serializeUint(o, "minHeight", p.minHeight);
        vm.serializeUint(o, "maxHeight", p.maxHeight);
        vm.serializeUint(o, "redundancy", p.redundancy);
        vm.serializeUint(o, "neighbourhood", p.neighbourhood);
        vm.serializeUint(o, "vmProofsPerTx", p.vmProofsPerTx);
        vm.serializeUint(o, "vmProofCost", p.vmProofCost);
        vm.serializeUint(o, "baseProofCost", p.baseProofCost);
        vm.serializeUint(o, "mergeProofCost", p.mergeProofCost);
        vm.serializeString(o, "submitterReward", vm.toString(p.submitterReward));
        vm.serializeString(o, "sequencerBase", vm.toString(p.sequencerBase));
        vm.serializeString(o, "sequencerCoverage", vm.toString(p.sequencerCoverage));
        vm.serializeString(o, "proversReward", vm.toString(p.proversReward));
        vm.serializeUint(o, "minCoverageBps", p.minCoverageBps);
        vm.serializeUint(o, "strikeThreshold", p.strikeThreshold);
        vm.serializeString(o, "penaltyBase", vm.toString(p.penaltyBase));
        return vm.serializeString(o, "ejectionFloor", vm.toString(p.ejectionFloor));
    }
}
