// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {UnitBase} from "../UnitBase.sol";
import {Rollup} from "../../../contracts/Rollup.sol";
import {Staking} from "../../../contracts/Staking.sol";
import {IBlsVerifier} from "../../../contracts/interfaces/IBlsVerifier.sol";
import {IProofVerifier} from "../../../contracts/interfaces/IProofVerifier.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {RewardLib} from "../../../contracts/libraries/RewardLib.sol";
import {SortitionLib} from "../../../contracts/libraries/SortitionLib.sol";

/// @notice Every Params__Invalid reason of the Rollup constructor, in check order, and what a valid one stores.
///         (Staking's reasons are in test/unit/staking/constructor.t.sol.)
contract RollupConstructorTest is UnitBase {
    function setUp() public {
        _deploy();
    }

    function _expectInvalid(Rollup.Config memory c, string memory reason) internal {
        vm.expectRevert(abi.encodeWithSelector(Errors.Params__Invalid.selector, reason));
        new Rollup(c);
    }

    function _stakingWith(uint256 setChangeDelay) internal returns (Staking s) {
        Staking.Config memory sc = _stakingConfig();
        sc.setChangeDelay = setChangeDelay;
        s = new Staking(sc);
    }

    // ------------------------------------------------------------------ success

    function test_constructor_storesParameters() public view {
        Rollup.Config memory c = _rollupConfig();
        assertEq(address(rollup.staking()), address(staking));
        assertEq(address(rollup.verifier()), address(verifier));
        assertEq(address(rollup.rewardToken()), address(rewardToken));
        assertEq(rollup.genesisTime(), GENESIS, "clock read from staking");
        assertEq(rollup.slotDuration(), staking.slotDuration());
        assertEq(rollup.epochDuration(), staking.epochDuration());
        assertEq(rollup.seedLookahead(), c.seedLookahead);
        assertEq(rollup.proofWindow(), c.proofWindow);
        assertEq(rollup.minHeight(), c.minHeight);
        assertEq(rollup.maxHeight(), c.maxHeight);
        assertEq(rollup.roundHeight(), c.roundHeight);
        assertEq(rollup.redundancy(), c.redundancy);
        assertEq(rollup.neighbourhood(), c.neighbourhood);
        assertEq(rollup.attestationTarget(), c.attestationTarget);
        assertEq(rollup.attestationQuorum(), c.attestationQuorum);
        assertEq(rollup.sequencerTarget(), c.sequencerTarget);
        assertEq(rollup.graceSlots(), c.graceSlots);
        assertEq(rollup.strikeThreshold(), c.strikeThreshold);
        assertEq(rollup.penaltyBase(), c.penaltyBase);
        assertEq(rollup.ejectionFloor(), c.ejectionFloor);
        assertEq(rollup.minCoverageBps(), c.minCoverageBps);
        assertEq(abi.encode(rollup.costWeights()), abi.encode(c.costs));
        assertEq(abi.encode(rollup.rewards()), abi.encode(c.rewards));
        assertEq(address(rollup.trainingWheel()), address(0), "the fixture runs without the training wheel");
        assertEq(rollup.provenStateRoot(), bytes32(0), "stateRoot(0)");
    }

    function test_constructor_storesTrainingWheel() public {
        Rollup r = new Rollup(_withWheel(7_500, 100));
        assertEq(address(r.trainingWheel()), WHEEL);
        assertEq(r.trainingWheelBps(), 7_500);
        assertEq(r.trainingWheelUntil(), 100);
        assertEq(r.provenStateRoot(), bytes32(0));
    }

    function test_constructor_startsAtGenesisBlock() public view {
        (uint64 pendingTip, uint64 provenTip) = rollup.chain();
        assertEq(pendingTip, 0);
        assertEq(provenTip, 0);
        assertEq(rollup.blockHashOf(0), keccak256("spn.genesis"));
    }

    function test_constructor_seedsGenesisAndLookahead() public {
        _warpToEpoch(5);
        vm.prevrandao(bytes32(uint256(42)));
        Rollup r = new Rollup(_rollupConfig());
        assertEq(r.epochSeed(0), uint224(uint256(keccak256(abi.encode(uint256(42), block.chainid, address(r))))));
        assertEq(r.epochSeed(5), r.epochSeed(0), "no sample for the current epoch itself");
        assertEq(r.epochSeed(6), uint224(uint256(keccak256(abi.encode(uint256(42), uint256(6))))));
    }

    function test_constructor_setsEip712Domain() public view {
        bytes32 expected = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("SPN"),
                keccak256("1"),
                block.chainid,
                address(rollup)
            )
        );
        assertEq(rollup.domainSeparator(), expected);
    }

    function test_constructor_acceptsBoundaryValues() public {
        Rollup.Config memory c = _rollupConfig();
        c.seedLookahead = staking.setChangeDelay() - 1;
        c.minHeight = c.roundHeight + 1;
        c.maxHeight = 24;
        c.attestationTarget = c.attestationQuorum;
        c.penaltyBase = STAKE;
        c.ejectionFloor = STAKE;
        c.neighbourhood = 31;
        c.costs = SortitionLib.CostWeights({vmProofsPerTx: 0, vmProofCost: 0, baseProofCost: 0, mergeProofCost: 1});
        Rollup r = new Rollup(c);
        assertEq(r.maxHeight(), 24);
    }

    // ------------------------------------------------------------------ Params__Invalid

    function test_constructor_revertsWhenStakingIsZero() public {
        Rollup.Config memory c = _rollupConfig();
        c.staking = IStaking(address(0));
        _expectInvalid(c, "staking is zero");
    }

    function test_constructor_revertsWhenVerifierIsZero() public {
        Rollup.Config memory c = _rollupConfig();
        c.verifier = IProofVerifier(address(0));
        _expectInvalid(c, "verifier is zero");
    }

    function test_constructor_revertsWhenRewardTokenIsZero() public {
        Rollup.Config memory c = _rollupConfig();
        c.rewardToken = IERC20(address(0));
        _expectInvalid(c, "rewardToken is zero");
    }

    function test_constructor_revertsWhenSeedLookaheadIsZero() public {
        Rollup.Config memory c = _rollupConfig();
        c.seedLookahead = 0;
        _expectInvalid(c, "seedLookahead is zero");
    }

    function test_constructor_revertsWhenSetChangeDelayEqualsSeedLookahead() public {
        Rollup.Config memory c = _rollupConfig();
        c.seedLookahead = staking.setChangeDelay();
        _expectInvalid(c, "setChangeDelay must exceed seedLookahead");
    }

    function test_constructor_revertsWhenSetChangeDelayBelowSeedLookahead() public {
        Rollup.Config memory c = _rollupConfig();
        c.staking = _stakingWith(1);
        c.seedLookahead = 3;
        _expectInvalid(c, "setChangeDelay must exceed seedLookahead");
    }

    function test_constructor_revertsWhenProofWindowIsZero() public {
        Rollup.Config memory c = _rollupConfig();
        c.proofWindow = 0;
        _expectInvalid(c, "proofWindow is zero");
    }

    function test_constructor_revertsWhenRoundHeightIsZero() public {
        Rollup.Config memory c = _rollupConfig();
        c.roundHeight = 0;
        _expectInvalid(c, "roundHeight is zero");
    }

    function test_constructor_revertsWhenMinHeightEqualsRoundHeight() public {
        Rollup.Config memory c = _rollupConfig();
        c.minHeight = c.roundHeight;
        _expectInvalid(c, "minHeight must exceed roundHeight");
    }

    function test_constructor_revertsWhenMaxHeightBelowMinHeight() public {
        Rollup.Config memory c = _rollupConfig();
        c.maxHeight = c.minHeight - 1;
        _expectInvalid(c, "maxHeight below minHeight");
    }

    function test_constructor_revertsWhenMaxHeightAbove24() public {
        Rollup.Config memory c = _rollupConfig();
        c.maxHeight = 25;
        _expectInvalid(c, "maxHeight above 24");
    }

    function test_constructor_revertsWhenRedundancyIsZero() public {
        Rollup.Config memory c = _rollupConfig();
        c.redundancy = 0;
        _expectInvalid(c, "redundancy is zero");
    }

    function test_constructor_revertsWhenRedundancyAbove2To32() public {
        Rollup.Config memory c = _rollupConfig();
        c.redundancy = uint256(type(uint32).max) + 1;
        _expectInvalid(c, "redundancy above 2^32");
    }

    function test_constructor_revertsWhenAttestationQuorumIsZero() public {
        Rollup.Config memory c = _rollupConfig();
        c.attestationQuorum = 0;
        _expectInvalid(c, "attestationQuorum is zero");
    }

    function test_constructor_revertsWhenAttestationTargetBelowQuorum() public {
        Rollup.Config memory c = _rollupConfig();
        c.attestationTarget = c.attestationQuorum - 1;
        _expectInvalid(c, "attestationTarget below quorum");
    }

    function test_constructor_revertsWhenSequencerTargetIsZero() public {
        Rollup.Config memory c = _rollupConfig();
        c.sequencerTarget = 0;
        _expectInvalid(c, "sequencerTarget is zero");
    }

    function test_constructor_revertsWhenMergeProofCostIsZero() public {
        Rollup.Config memory c = _rollupConfig();
        c.costs.mergeProofCost = 0;
        _expectInvalid(c, "mergeProofCost is zero");
    }

    function test_constructor_revertsWhenVmProofsPerTxAbove2To32() public {
        Rollup.Config memory c = _rollupConfig();
        c.costs.vmProofsPerTx = uint256(type(uint32).max) + 1;
        _expectInvalid(c, "cost weight above 2^32");
    }

    function test_constructor_revertsWhenVmProofCostAbove2To32() public {
        Rollup.Config memory c = _rollupConfig();
        c.costs.vmProofCost = uint256(type(uint32).max) + 1;
        _expectInvalid(c, "cost weight above 2^32");
    }

    function test_constructor_revertsWhenBaseProofCostAbove2To32() public {
        Rollup.Config memory c = _rollupConfig();
        c.costs.baseProofCost = uint256(type(uint32).max) + 1;
        _expectInvalid(c, "cost weight above 2^32");
    }

    function test_constructor_revertsWhenMergeProofCostAbove2To32() public {
        Rollup.Config memory c = _rollupConfig();
        c.costs.mergeProofCost = uint256(type(uint32).max) + 1;
        _expectInvalid(c, "cost weight above 2^32");
    }

    function test_constructor_revertsWhenTotalProverCostAbove2To64() public {
        Rollup.Config memory c = _rollupConfig();
        c.costs.vmProofsPerTx = type(uint32).max;
        c.costs.vmProofCost = type(uint32).max;
        _expectInvalid(c, "totalProverCost above 2^64");
    }

    function test_constructor_acceptsLargestWeights() public {
        Rollup.Config memory c = _rollupConfig();
        c.redundancy = type(uint32).max;
        c.costs.vmProofCost = type(uint32).max;
        c.costs.mergeProofCost = type(uint32).max;
        Rollup r = new Rollup(c);
        assertEq(r.redundancy(), type(uint32).max);
        assertLe(SortitionLib.totalProverCost(c.maxHeight, c.roundHeight, c.costs), type(uint64).max);
    }

    function test_constructor_revertsWhenStrikeThresholdIsZero() public {
        Rollup.Config memory c = _rollupConfig();
        c.strikeThreshold = 0;
        _expectInvalid(c, "strikeThreshold is zero");
    }

    function test_constructor_revertsWhenGraceSlotsIsZero() public {
        Rollup.Config memory c = _rollupConfig();
        c.graceSlots = 0;
        _expectInvalid(c, "graceSlots is zero");
    }

    function test_constructor_revertsWhenPenaltyBaseAboveStake() public {
        Rollup.Config memory c = _rollupConfig();
        c.penaltyBase = STAKE + 1;
        _expectInvalid(c, "penaltyBase above stake");
    }

    function test_constructor_revertsWhenEjectionFloorAboveStake() public {
        Rollup.Config memory c = _rollupConfig();
        c.ejectionFloor = STAKE + 1;
        _expectInvalid(c, "ejectionFloor above stake");
    }

    function test_constructor_revertsWhenNeighbourhoodIs32() public {
        Rollup.Config memory c = _rollupConfig();
        c.neighbourhood = 32;
        _expectInvalid(c, "neighbourhood >= 32");
    }

    function test_constructor_revertsWhenAnyRewardAbove2To96() public {
        uint256 over = uint256(type(uint96).max) + 1;
        for (uint256 i; i < 4; ++i) {
            Rollup.Config memory c = _rollupConfig();
            if (i == 0) c.rewards.submitter = over;
            if (i == 1) c.rewards.sequencerBase = over;
            if (i == 2) c.rewards.sequencerCoverage = over;
            if (i == 3) c.rewards.provers = over;
            _expectInvalid(c, "reward above 2^96");
        }
    }

    function test_constructor_acceptsLargestRewards() public {
        Rollup.Config memory c = _rollupConfig();
        c.rewards = RewardLib.Rewards(type(uint96).max, type(uint96).max, type(uint96).max, type(uint96).max);
        assertEq(abi.encode(new Rollup(c).rewards()), abi.encode(c.rewards));
    }

    function test_constructor_revertsWhenMinCoverageAbove10000() public {
        Rollup.Config memory c = _rollupConfig();
        c.minCoverageBps = 10_001;
        _expectInvalid(c, "minCoverageBps above 10000");
    }

    function test_constructor_acceptsFullMinCoverage() public {
        Rollup.Config memory c = _rollupConfig();
        c.minCoverageBps = 10_000;
        assertEq(new Rollup(c).minCoverageBps(), 10_000);
    }

    // ------------------------------------------------------------------ training wheel (rules 26-27)

    /// @dev Any nonzero address turns the wheel on; the constructor never calls it.
    address internal constant WHEEL = address(0xb15);

    function _withWheel(uint256 bps, uint256 until) internal view returns (Rollup.Config memory c) {
        c = _rollupConfig();
        c.trainingWheel = IBlsVerifier(WHEEL);
        c.trainingWheelBps = bps;
        c.trainingWheelUntil = until;
    }

    function test_constructor_revertsWhenTrainingWheelBpsIsZero() public {
        _expectInvalid(_withWheel(0, 100), "trainingWheelBps out of range");
    }

    function test_constructor_revertsWhenTrainingWheelBpsAbove10000() public {
        _expectInvalid(_withWheel(10_001, 100), "trainingWheelBps out of range");
    }

    function test_constructor_revertsWhenTrainingWheelUntilIsOne() public {
        // Block 1 is the first: an `until` of 1 (or 0) would cover no block.
        _expectInvalid(_withWheel(5_000, 1), "trainingWheelUntil must exceed 1");
        _expectInvalid(_withWheel(5_000, 0), "trainingWheelUntil must exceed 1");
    }

    /// @dev Rule 26 is checked before rule 27.
    function test_constructor_checksTrainingWheelBpsBeforeUntil() public {
        _expectInvalid(_withWheel(0, 0), "trainingWheelBps out of range");
    }

    function test_constructor_acceptsTrainingWheelBoundaries() public {
        assertEq(new Rollup(_withWheel(1, 2)).trainingWheelUntil(), 2);
        assertEq(new Rollup(_withWheel(10_000, type(uint256).max)).trainingWheelBps(), 10_000);
    }

    /// @dev Without a wheel its other two fields are not checked: they are never read.
    function test_constructor_ignoresTrainingWheelFieldsWhenOff() public {
        Rollup.Config memory c = _withWheel(20_000, 0);
        c.trainingWheel = IBlsVerifier(address(0));
        Rollup r = new Rollup(c);
        assertEq(address(r.trainingWheel()), address(0));
        assertEq(r.trainingWheelBps(), 20_000);
    }
}
