// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {Deploy} from "../../script/Deploy.s.sol";
import {BlsVerifier} from "../../contracts/BlsVerifier.sol";
import {Rollup} from "../../contracts/Rollup.sol";
import {Staking} from "../../contracts/Staking.sol";
import {TestToken} from "../../contracts/devnet/TestToken.sol";

/// @notice Runs script/Deploy.s.sol in-process and checks the deployment file it writes field by field against the
///         deployed contracts' getters. The file goes to DEPLOYMENTS_DIR = cache/test-deployments (gitignored) and is
///         removed at the end of each scenario, so the tree is left as it was.
/// @dev The script reads process environment variables, which every test running in parallel shares (vm.setEnv is
///      process-wide). So every scenario that depends on the token variables runs in one test function, in order.
contract DeployScriptTest is Test {
    string internal constant DIR = "cache/test-deployments";
    uint256 internal constant ANVIL_KEY_0 = 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80;
    uint256 internal constant SEPOLIA = 11155111;

    /// @dev Top-level fields of deployments/<chainId>.json (deployments/README.md); `params` is checked separately.
    string[] internal topLevel = [
        "chainId",
        "deploymentBlock",
        "genesisTime",
        "devnet",
        "deployer",
        "slashSink",
        "stakeTokenDeployed",
        "rewardTokenDeployed",
        "poolFunding",
        "trainingWheelBps",
        "trainingWheelUntil",
        "contracts",
        "params"
    ];
    string[] internal contractNames = ["stakeToken", "rewardToken", "staking", "verifier", "blsVerifier", "rollup"];

    Deploy internal script;

    function setUp() public {
        vm.warp(1_750_000_000);
        vm.roll(100);
        vm.setEnv("DEPLOYMENTS_DIR", DIR);
        script = new Deploy();
    }

    function test_Deploy_WritesFileMatchingTheChain_AndRefusesTestTokensOffDevnet() public {
        // 1. The devnet (31337): TestTokens deployed, the reward pool funded, devnet parameters.
        vm.chainId(31337);
        uint256 deploymentBlock = block.number + 1;
        Deploy.Deployment memory d = script.run();
        string memory json = _readAndRemove(31337);
        _checkFile(json, d, deploymentBlock, vm.addr(vm.envOr("PRIVATE_KEY", ANVIL_KEY_0)));
        assertTrue(vm.parseJsonBool(json, ".devnet"), "devnet");
        assertTrue(d.stakeTokenDeployed && d.rewardTokenDeployed, "test tokens deployed");
        assertGt(d.poolFunding, 0, "devnet pool funded");

        // 2. Any other chain: no TestToken unless both tokens are given; nothing is deployed or written.
        vm.chainId(SEPOLIA);
        string memory refusal = "Deploy: chain 11155111 is not the devnet (31337): set STAKE_TOKEN and REWARD_TOKEN"
            " (TestToken is mintable by anyone)";
        vm.expectRevert(bytes(refusal));
        script.run();
        TestToken stake = new TestToken("Stake", "S");
        TestToken reward = new TestToken("Reward", "R");
        vm.setEnv("STAKE_TOKEN", vm.toString(address(stake)));
        vm.expectRevert(bytes(refusal));
        script.run();
        assertFalse(vm.exists(_path(SEPOLIA)), "file written on a refusal");

        // 3. The same chain with both tokens given: they are used as they are; testnet parameters, no pool funding.
        uint256 key = 0xA11CE;
        vm.setEnv("REWARD_TOKEN", vm.toString(address(reward)));
        vm.setEnv("PRIVATE_KEY", vm.toString(bytes32(key)));
        deploymentBlock = block.number + 1;
        d = script.run();
        json = _readAndRemove(SEPOLIA);
        _checkFile(json, d, deploymentBlock, vm.addr(key));
        assertFalse(vm.parseJsonBool(json, ".devnet"), "devnet");
        assertEq(vm.parseJsonAddress(json, ".contracts.stakeToken"), address(stake), "given stake token");
        assertEq(vm.parseJsonAddress(json, ".contracts.rewardToken"), address(reward), "given reward token");
        assertFalse(vm.parseJsonBool(json, ".stakeTokenDeployed"), "stakeTokenDeployed");
        assertFalse(vm.parseJsonBool(json, ".rewardTokenDeployed"), "rewardTokenDeployed");
        assertEq(vm.parseJsonUint(json, ".poolFunding"), 0, "no pool funding off the devnet");
        assertEq(vm.parseJsonAddress(json, ".contracts.blsVerifier"), address(0), "no training wheel by default");

        vm.setEnv("STAKE_TOKEN", "");
        vm.setEnv("REWARD_TOKEN", "");
        vm.setEnv("PRIVATE_KEY", "");

        // 4. The training wheel: TRAINING_WHEEL deploys a BlsVerifier; its bps and until are the Rollup's.
        vm.chainId(31337);
        vm.setEnv("TRAINING_WHEEL", "true");
        vm.setEnv("TRAINING_WHEEL_BPS", "7500");
        vm.setEnv("TRAINING_WHEEL_UNTIL", "100");
        deploymentBlock = block.number + 1;
        d = script.run();
        json = _readAndRemove(31337);
        _checkFile(json, d, deploymentBlock, vm.addr(ANVIL_KEY_0));
        assertTrue(d.blsVerifier != address(0), "BlsVerifier deployed");
        assertEq(vm.parseJsonUint(json, ".trainingWheelBps"), 7_500);
        assertEq(vm.parseJsonUint(json, ".trainingWheelUntil"), 100);

        // 5. "1" turns it on too, with the defaults: 5,000 bps, until a new deployment (2^256 - 1, a decimal string).
        vm.setEnv("TRAINING_WHEEL", "1");
        vm.setEnv("TRAINING_WHEEL_BPS", "");
        vm.setEnv("TRAINING_WHEEL_UNTIL", "");
        d = script.run();
        json = _readAndRemove(31337);
        assertEq(vm.parseJsonUint(json, ".trainingWheelBps"), 5_000);
        assertEq(vm.parseJsonString(json, ".trainingWheelUntil"), vm.toString(type(uint256).max));
        assertEq(Rollup(d.rollup).trainingWheelUntil(), type(uint256).max);

        // 6. Anything but a bool is refused.
        vm.setEnv("TRAINING_WHEEL", "yes");
        vm.expectRevert(bytes("Deploy: TRAINING_WHEEL is not a bool"));
        script.run();
        vm.setEnv("TRAINING_WHEEL", "");
    }

    function test_DeploymentPath_FollowsDeploymentsDir() public {
        vm.chainId(5);
        assertEq(script.deploymentPath(), string.concat(vm.projectRoot(), "/", DIR, "/5.json"));
    }

    // ------------------------------------------------------------------ helpers

    function _path(uint256 chainId) internal view returns (string memory) {
        return string.concat(vm.projectRoot(), "/", DIR, "/", vm.toString(chainId), ".json");
    }

    function _readAndRemove(uint256 chainId) internal returns (string memory json) {
        string memory path = _path(chainId);
        json = vm.readFile(path);
        vm.removeFile(path);
    }

    /// @dev Every field of the file against the chain: what the file says is what the chain holds.
    function _checkFile(string memory json, Deploy.Deployment memory d, uint256 deploymentBlock, address deployer)
        internal
        view
    {
        for (uint256 i; i < topLevel.length; ++i) {
            assertTrue(vm.keyExistsJson(json, string.concat(".", topLevel[i])), topLevel[i]);
        }
        assertEq(vm.parseJsonKeys(json, "$").length, topLevel.length, "unexpected top-level fields");
        assertEq(vm.parseJsonKeys(json, ".contracts").length, contractNames.length, "unexpected contracts");
        Rollup rollup = Rollup(vm.parseJsonAddress(json, ".contracts.rollup"));
        Staking staking = Staking(vm.parseJsonAddress(json, ".contracts.staking"));

        assertEq(vm.parseJsonUint(json, ".chainId"), block.chainid, "chainId");
        assertEq(vm.parseJsonUint(json, ".deploymentBlock"), deploymentBlock, "deploymentBlock");
        assertEq(vm.parseJsonUint(json, ".genesisTime"), rollup.genesisTime(), "genesisTime (rollup)");
        assertEq(vm.parseJsonUint(json, ".genesisTime"), staking.genesisTime(), "genesisTime (staking)");
        assertEq(vm.parseJsonAddress(json, ".slashSink"), staking.slashSink(), "slashSink");
        assertEq(vm.parseJsonUint(json, ".poolFunding"), rollup.pool().funded, "poolFunding");

        // Addresses: the wiring between the contracts, and each created by the deployer.
        address deployed = vm.parseJsonAddress(json, ".deployer");
        assertEq(deployed, deployer, "deployer");
        assertEq(address(rollup), d.rollup, "rollup");
        assertEq(address(staking), address(rollup.staking()), "staking");
        assertEq(staking.rollup(), address(rollup), "staking.rollup");
        assertEq(vm.parseJsonAddress(json, ".contracts.verifier"), address(rollup.verifier()), "verifier");
        assertEq(vm.parseJsonAddress(json, ".contracts.stakeToken"), address(staking.stakeToken()), "stakeToken");
        assertEq(vm.parseJsonAddress(json, ".contracts.rewardToken"), address(rollup.rewardToken()), "rewardToken");
        assertEq(rollup.rewardToken().balanceOf(address(rollup)), rollup.pool().funded, "pool holds its funding");
        for (uint256 i = 2; i < contractNames.length; ++i) {
            address a = vm.parseJsonAddress(json, string.concat(".contracts.", contractNames[i]));
            // The BlsVerifier is deployed only with the training wheel; zero (and the wheel off) otherwise.
            if (a == address(0) && _eq(contractNames[i], "blsVerifier")) continue;
            assertTrue(_createdBy(deployer, a), contractNames[i]);
        }

        // The training wheel, as the Rollup holds it.
        address blsVerifier = vm.parseJsonAddress(json, ".contracts.blsVerifier");
        assertEq(address(rollup.trainingWheel()), blsVerifier, "blsVerifier");
        assertEq(blsVerifier, d.blsVerifier, "blsVerifier (returned)");
        if (blsVerifier != address(0)) {
            assertEq(keccak256(blsVerifier.code), keccak256(type(BlsVerifier).runtimeCode), "BlsVerifier");
        }
        assertEq(vm.parseJsonUint(json, ".trainingWheelBps"), rollup.trainingWheelBps(), "trainingWheelBps");
        assertEq(vm.parseJsonUint(json, ".trainingWheelUntil"), rollup.trainingWheelUntil(), "trainingWheelUntil");
        string[2] memory tokens = ["stakeToken", "rewardToken"];
        for (uint256 i; i < 2; ++i) {
            address token = vm.parseJsonAddress(json, string.concat(".contracts.", tokens[i]));
            bool deployedHere = vm.parseJsonBool(json, string.concat(".", tokens[i], "Deployed"));
            assertEq(deployedHere, _createdBy(deployer, token), string.concat(tokens[i], "Deployed"));
            if (deployedHere) assertEq(keccak256(token.code), keccak256(type(TestToken).runtimeCode), "TestToken");
        }

        _checkParams(json, rollup, staking);
    }

    /// @dev Every `params` field by its name: a getter of that name on the Rollup or Staking, else the field of that
    ///      name (or that name less a `Reward` suffix) of a struct getter of the Rollup, looked up in its ABI.
    function _checkParams(string memory json, Rollup rollup, Staking staking) internal view {
        string[] memory keys = vm.parseJsonKeys(json, ".params");
        // Params is all uint256: one word each. The file lists every one of them, and nothing else.
        assertEq(keys.length * 32, abi.encode(script.params(true)).length, "params: fields missing or extra");
        for (uint256 i; i < keys.length; ++i) {
            uint256 want = vm.parseJsonUint(json, string.concat(".params.", keys[i]));
            (bool found, uint256 have) = _getter(address(rollup), keys[i]);
            if (!found) (found, have) = _getter(address(staking), keys[i]);
            if (!found) (found, have) = _structField(address(rollup), keys[i]);
            assertTrue(found, string.concat("params.", keys[i], ": no getter of that name"));
            assertEq(have, want, string.concat("params.", keys[i]));
        }
    }

    function _getter(address target, string memory name) internal view returns (bool, uint256) {
        (bool ok, bytes memory ret) = target.staticcall(abi.encodeWithSignature(string.concat(name, "()")));
        if (!ok || ret.length != 32) return (false, 0);
        return (true, abi.decode(ret, (uint256)));
    }

    /// @dev `name` as a field of the Rollup's struct getters (costWeights(), rewards()), found through the Rollup's ABI.
    function _structField(address rollup, string memory name) internal view returns (bool, uint256) {
        string memory abiJson = vm.readFile(string.concat(vm.projectRoot(), "/out/Rollup.sol/Rollup.json"));
        string[2] memory getters = ["costWeights", "rewards"];
        for (uint256 g; g < getters.length; ++g) {
            string memory fields = string.concat("$.abi[?(@.name == '", getters[g], "')].outputs[0].components[*].name");
            string[] memory names = abi.decode(vm.parseJson(abiJson, fields), (string[]));
            (bool ok, bytes memory ret) = rollup.staticcall(abi.encodeWithSignature(string.concat(getters[g], "()")));
            require(ok && ret.length == 32 * names.length, getters[g]);
            for (uint256 i; i < names.length; ++i) {
                if (_eq(names[i], name) || _eq(string.concat(names[i], "Reward"), name)) {
                    return (true, uint256(bytes32(_slice(ret, 32 * i))));
                }
            }
        }
        return (false, 0);
    }

    function _slice(bytes memory b, uint256 at) internal pure returns (bytes32 w) {
        assembly ("memory-safe") {
            w := mload(add(add(b, 32), at))
        }
    }

    function _eq(string memory a, string memory b) internal pure returns (bool) {
        return keccak256(bytes(a)) == keccak256(bytes(b));
    }

    function _createdBy(address deployer, address a) internal view returns (bool) {
        uint256 nonce = vm.getNonce(deployer);
        for (uint256 i; i < nonce; ++i) {
            if (vm.computeCreateAddress(deployer, i) == a) return true;
        }
        return false;
    }
}
