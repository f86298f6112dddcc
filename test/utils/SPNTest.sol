// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {Rollup} from "../../contracts/Rollup.sol";
import {Staking} from "../../contracts/Staking.sol";
import {TranscriptVerifier} from "../../contracts/TranscriptVerifier.sol";
import {TestToken} from "../../contracts/devnet/TestToken.sol";
import {IBlsVerifier} from "../../contracts/interfaces/IBlsVerifier.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {IProofVerifier} from "../../contracts/interfaces/IProofVerifier.sol";
import {IStaking} from "../../contracts/interfaces/IStaking.sol";
import {MessagesLib} from "../../contracts/libraries/MessagesLib.sol";
import {RewardLib} from "../../contracts/libraries/RewardLib.sol";
import {SortitionLib} from "../../contracts/libraries/SortitionLib.sol";
import {TreeLib} from "../../contracts/libraries/TreeLib.sol";

/// @notice Shared fixture: deploys the real contracts, registers stakers with known keys, and builds what agents build
///         (attestations, job outputs, signed transcripts, claims) so tests drive the same paths agents do.
abstract contract SPNTest is Test {
    TestToken internal stakeToken;
    TestToken internal rewardToken;
    Staking internal staking;
    TranscriptVerifier internal verifier;
    Rollup internal rollup;
    address internal constant SLASH_SINK = address(0x5151);

    uint256 internal constant STAKE = 100_000e18;
    uint256 internal constant GENESIS = 1_000_000;

    uint256[] internal keys;
    address[] internal stakers;
    mapping(address => uint256) internal keyOf;

    // ------------------------------------------------------------------ parameters

    function _stakingConfig() internal view virtual returns (Staking.Config memory) {
        return Staking.Config({
            stakeToken: stakeToken,
            stakeAmount: STAKE,
            slashSink: SLASH_SINK,
            genesisTime: GENESIS,
            slotDuration: 6,
            epochDuration: 4,
            setChangeDelay: 2,
            withdrawalDelay: 1
        });
    }

    function _rollupConfig() internal view virtual returns (Rollup.Config memory) {
        return Rollup.Config({
            staking: staking,
            verifier: verifier,
            rewardToken: rewardToken,
            seedLookahead: 1,
            proofWindow: 4,
            minHeight: 3,
            maxHeight: 11,
            roundHeight: 2,
            redundancy: 2,
            neighbourhood: 2,
            attestationTarget: 12,
            attestationQuorum: 5,
            sequencerTarget: 2,
            costs: SortitionLib.CostWeights({vmProofsPerTx: 2, vmProofCost: 10, baseProofCost: 5, mergeProofCost: 2}),
            rewards: RewardLib.Rewards({
                submitter: 10e18, sequencerBase: 50e18, sequencerCoverage: 64e18, provers: 500e18
            }),
            minCoverageBps: 2_500,
            graceSlots: 8,
            strikeThreshold: 3,
            penaltyBase: 1_000e18,
            ejectionFloor: 50_000e18,
            trainingWheel: IBlsVerifier(address(0)),
            trainingWheelBps: 0,
            trainingWheelUntil: 0
        });
    }

    // ------------------------------------------------------------------ deployment

    function _deploy() internal {
        vm.warp(GENESIS);
        stakeToken = _newStakeToken();
        rewardToken = _newRewardToken();
        staking = new Staking(_stakingConfig());
        verifier = new TranscriptVerifier();
        rollup = new Rollup(_rollupConfig());
        staking.setRollup(address(rollup));
    }

    /// @notice The stake token `_deploy` uses; tests of non-standard tokens override it with a TestToken subclass.
    function _newStakeToken() internal virtual returns (TestToken) {
        return new TestToken("SPN Stake", "STK");
    }

    /// @notice The reward token `_deploy` uses; tests of non-standard tokens override it with a TestToken subclass.
    function _newRewardToken() internal virtual returns (TestToken) {
        return new TestToken("SPN Reward", "RWD");
    }

    function _fundPool(uint256 amount) internal {
        rewardToken.mint(address(this), amount);
        rewardToken.approve(address(rollup), amount);
        rollup.fund(amount);
    }

    function _withdrawerOf(address key) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode("spn.withdrawer", key)))));
    }

    /// @notice Registers `count` new stakers with deterministic keys.
    function _register(uint256 count) internal {
        for (uint256 i; i < count; ++i) {
            uint256 key = uint256(keccak256(abi.encode("spn.staker", keys.length))) % SECP256K1_ORDER;
            address addr = vm.addr(key);
            keys.push(key);
            stakers.push(addr);
            keyOf[addr] = key;
            stakeToken.mint(addr, STAKE);
            vm.startPrank(addr);
            stakeToken.approve(address(staking), STAKE);
            staking.deposit(_withdrawerOf(addr));
            vm.stopPrank();
        }
    }

    /// @notice Registers `count` stakers and moves time to the first epoch they are all active in.
    function _registerAndActivate(uint256 count) internal {
        _register(count);
        _warpToEpoch(staking.currentEpoch() + staking.setChangeDelay());
    }

    function _warpToSlot(uint256 slot) internal {
        vm.warp(GENESIS + slot * rollup.slotDuration());
    }

    function _warpToEpoch(uint256 epoch) internal {
        _warpToSlot(epoch * rollup.epochDuration());
    }

    // ------------------------------------------------------------------ selection helpers

    function _activeCountAt(uint256 slot) internal view returns (uint256) {
        return staking.activeCount(slot / rollup.epochDuration());
    }

    /// @notice The eligible sequencer with the highest score in `slot`, or address(0).
    function _bestSequencer(uint256 slot) internal view returns (address best) {
        uint256 floor = SortitionLib.sequencerFloor(rollup.sequencerTarget(), _activeCountAt(slot));
        uint256 bestScore;
        for (uint256 i; i < stakers.length; ++i) {
            if (!staking.isActive(stakers[i], slot / rollup.epochDuration())) continue;
            uint256 s = rollup.scoreOf(stakers[i], slot);
            if (s > floor && s > bestScore) (best, bestScore) = (stakers[i], s);
        }
    }

    /// @notice Attestation committee of `slot`, sorted by address.
    function _attesters(uint256 slot) internal view returns (address[] memory members) {
        uint256 threshold = SortitionLib.committeeThreshold(rollup.attestationTarget(), _activeCountAt(slot));
        address[] memory tmp = new address[](stakers.length);
        uint256 count;
        for (uint256 i; i < stakers.length; ++i) {
            if (!staking.isActive(stakers[i], slot / rollup.epochDuration())) continue;
            if (rollup.scoreOf(stakers[i], slot) < threshold) tmp[count++] = stakers[i];
        }
        members = new address[](count);
        for (uint256 i; i < count; ++i) {
            members[i] = tmp[i];
        }
        _sort(members);
    }

    /// @notice First slot at or after `from` with an eligible sequencer and at least `minAttesters` attesters.
    function _nextUsableSlot(uint256 from, uint256 minAttesters) internal view returns (uint256 slot, address seq) {
        for (slot = from; slot < from + 256; ++slot) {
            seq = _bestSequencer(slot);
            if (seq != address(0) && _attesters(slot).length >= minAttesters) return (slot, seq);
        }
        revert("no usable slot");
    }

    function _sort(address[] memory a) internal pure {
        for (uint256 i = 1; i < a.length; ++i) {
            address v = a[i];
            uint256 j = i;
            while (j > 0 && a[j - 1] > v) {
                a[j] = a[j - 1];
                --j;
            }
            a[j] = v;
        }
    }

    // ------------------------------------------------------------------ signing

    function _signCompact(address signer, bytes32 digest) internal view returns (IRollup.Signature memory sig) {
        (sig.r, sig.vs) = vm.signCompact(keyOf[signer], digest);
    }

    function _attestations(address[] memory signers, uint256 slot, bytes32 hash)
        internal
        view
        returns (IRollup.Signature[] memory sigs)
    {
        bytes32 digest = MessagesLib.attestationDigest(rollup.domainSeparator(), slot, hash);
        sigs = new IRollup.Signature[](signers.length);
        for (uint256 i; i < signers.length; ++i) {
            sigs[i] = _signCompact(signers[i], digest);
        }
    }

    /// @notice Header a proposal by `proposer` would create now (new block on the tip or replacement of the tip).
    function _headerFor(address proposer, uint256 slot, bytes32 txRoot, uint8 height)
        internal
        view
        returns (MessagesLib.Header memory h)
    {
        (uint64 pendingTip, uint64 provenTip) = rollup.chain();
        uint256 number = pendingTip + 1;
        if (pendingTip > provenTip && rollup.getBlock(pendingTip).slot == slot) number = pendingTip;
        h = MessagesLib.Header({
            number: uint64(number),
            parentHash: rollup.blockHashOf(number - 1),
            slot: uint64(slot),
            proposer: proposer,
            txRoot: txRoot,
            height: height
        });
    }

    /// @notice Proposes a block of `height` with deterministic leaves in `slot` by its best sequencer and every attester.
    function _proposeBlock(uint256 slot, uint8 height)
        internal
        returns (MessagesLib.Header memory h, bytes32[] memory leaves)
    {
        address seq = _bestSequencer(slot);
        require(seq != address(0), "no sequencer");
        leaves = _leaves(height, slot);
        h = _headerFor(seq, slot, _outputs(leaves, height)[_totalJobs(height) - 1], height);
        IRollup.Signature[] memory sigs = _attestations(_attesters(slot), slot, MessagesLib.blockHash(h));
        vm.prank(seq);
        rollup.propose(IRollup.ProposeArgs({slot: uint64(slot), txRoot: h.txRoot, height: height}), sigs);
    }

    // ------------------------------------------------------------------ tree and transcript

    function _totalJobs(uint256 height) internal view returns (uint256) {
        return SortitionLib.totalJobs(height, rollup.roundHeight());
    }

    function _leaves(uint256 height, uint256 salt) internal pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](1 << height);
        for (uint256 i; i < leaves.length; ++i) {
            leaves[i] = keccak256(abi.encode("spn.tx", salt, i));
        }
    }

    /// @notice Every job output of a block, rounds concatenated (the last is the transaction root).
    function _outputs(bytes32[] memory leaves, uint256 height) internal view returns (bytes32[] memory outputs) {
        uint256 m = rollup.roundHeight();
        uint256 k = SortitionLib.rounds(height, m);
        outputs = new bytes32[](SortitionLib.totalJobs(height, m));
        bytes32[] memory levelNodes = leaves;
        uint256 currentLevel;
        uint256 o;
        for (uint256 r = 1; r <= k; ++r) {
            uint256 target = SortitionLib.level(r, height, m);
            while (currentLevel < target) {
                bytes32[] memory up = new bytes32[](levelNodes.length / 2);
                for (uint256 i; i < up.length; ++i) {
                    up[i] = TreeLib.node(levelNodes[2 * i], levelNodes[2 * i + 1]);
                }
                levelNodes = up;
                ++currentLevel;
            }
            for (uint256 i; i < levelNodes.length; ++i) {
                outputs[o++] = levelNodes[i];
            }
        }
    }

    struct Credit {
        address prover;
        uint256[] jobs;
        uint256 cost;
    }

    /// @notice Builds a signed transcript: each committee job goes to its assigned prover if online, else to an online
    ///         neighbour; `offline` provers contribute nothing. Returns the encoded proof and per-prover credits.
    function _transcript(MessagesLib.Header memory h, bytes32[] memory outputs, address[] memory offline)
        internal
        view
        returns (bytes memory proof, Credit[] memory credits)
    {
        return _transcriptOf(h, outputs, _assignJobs(h, offline));
    }

    /// @notice Builds the signed transcript in which every job goes to `owner[job]` (uint160(prover) + 1, or 0 for
    ///         an unfilled job).
    function _transcriptOf(MessagesLib.Header memory h, bytes32[] memory outputs, uint256[] memory owner)
        internal
        view
        returns (bytes memory proof, Credit[] memory credits)
    {
        address[] memory provers = _distinctSorted(owner);
        credits = new Credit[](provers.length);
        ProverWork[] memory work = new ProverWork[](provers.length);
        for (uint256 p; p < provers.length; ++p) {
            (work[p], credits[p]) = _proverWork(provers[p], owner, outputs, h);
        }
        proof = _encodeTranscript(outputs, work);
    }

    /// @notice One signed job result and all of one prover's, as in the packed transcript (TranscriptLib).
    struct Contribution {
        uint32 job;
        bytes32 r;
        bytes32 vs;
    }

    struct ProverWork {
        address prover;
        Contribution[] contributions;
    }

    /// @notice The packed encoding TranscriptVerifier reads (contracts/libraries/TranscriptLib.sol).
    function _encodeTranscript(bytes32[] memory outputs, ProverWork[] memory work)
        internal
        pure
        returns (bytes memory proof)
    {
        uint256 size = 8 + 32 * outputs.length;
        for (uint256 p; p < work.length; ++p) {
            size += 22 + 68 * work[p].contributions.length;
        }
        proof = new bytes(size);
        uint256 at = _put(proof, 0, abi.encodePacked(uint32(outputs.length), outputs, uint32(work.length)));
        for (uint256 p; p < work.length; ++p) {
            at = _put(proof, at, abi.encodePacked(work[p].prover, uint16(work[p].contributions.length)));
            for (uint256 k; k < work[p].contributions.length; ++k) {
                Contribution memory c = work[p].contributions[k];
                at = _put(proof, at, abi.encodePacked(c.job, c.r, c.vs));
            }
        }
    }

    function _put(bytes memory buf, uint256 at, bytes memory part) private pure returns (uint256) {
        for (uint256 i; i < part.length; ++i) {
            buf[at + i] = part[i];
        }
        return at + part.length;
    }

    /// @notice `prover`'s signed contributions for every job `owner` gives it, and its credit.
    function _proverWork(address prover, uint256[] memory owner, bytes32[] memory outputs, MessagesLib.Header memory h)
        internal
        view
        returns (ProverWork memory work, Credit memory credit)
    {
        uint256 count;
        for (uint256 j; j < owner.length; ++j) {
            if (owner[j] == uint160(prover) + 1) ++count;
        }
        work.prover = prover;
        work.contributions = new Contribution[](count);
        credit.prover = prover;
        credit.jobs = new uint256[](count);
        uint256 c;
        for (uint256 j; j < owner.length; ++j) {
            if (owner[j] != uint160(prover) + 1) continue;
            work.contributions[c] = _signJob(prover, h, uint32(j), outputs[j]);
            credit.jobs[c++] = j;
            (uint256 round,) = SortitionLib.roundOf(j, h.height, rollup.roundHeight());
            credit.cost += SortitionLib.jobCost(round, h.height, rollup.roundHeight(), rollup.costWeights());
        }
    }

    function _signJob(address prover, MessagesLib.Header memory h, uint32 job, bytes32 output)
        internal
        view
        returns (Contribution memory)
    {
        bytes32 digest = MessagesLib.jobResultDigest(rollup.domainSeparator(), MessagesLib.blockHash(h), job, output);
        (bytes32 r, bytes32 vs) = vm.signCompact(keyOf[prover], digest);
        return Contribution({job: job, r: r, vs: vs});
    }

    /// @dev owner[job] = uint160(prover) + 1, or 0 when no online committee member may take the job. First pass: each
    ///      member takes its own job in every round it is on the committee of; second pass: members fill unowned jobs
    ///      of their neighbourhood.
    function _assignJobs(MessagesLib.Header memory h, address[] memory offline)
        internal
        view
        returns (uint256[] memory owner)
    {
        owner = new uint256[](SortitionLib.proverJobs(h.height, rollup.roundHeight()));
        bytes32 seed = rollup.slotSeed(h.slot);
        for (uint256 pass; pass < 2; ++pass) {
            for (uint256 i; i < stakers.length; ++i) {
                address a = stakers[i];
                if (_contains(offline, a) || !staking.isActive(a, h.slot / rollup.epochDuration())) continue;
                _take(owner, a, SortitionLib.score(a, seed), h, pass == 1);
            }
        }
    }

    function _take(uint256[] memory owner, address a, uint256 s, MessagesLib.Header memory h, bool fill) internal view {
        uint256 n = _activeCountAt(h.slot);
        for (uint256 r = 1; r < SortitionLib.rounds(h.height, rollup.roundHeight()); ++r) {
            (uint256 from, uint256 to) = _eligibleJobs(s, r, h, n, fill);
            // Thresholds fall from round to round: off this round's committee means off every later one.
            if (from == to) break;
            for (uint256 j = from; j < to; ++j) {
                if (owner[j] == 0) owner[j] = uint160(a) + 1;
            }
        }
    }

    /// @dev The jobs of round `r`, as transcript indices [from, to), that a member with score `s` may take among `n`
    ///      active stakers: its own path job, or with `fill` every job of its neighbourhood; none when it is not on
    ///      the round's committee.
    function _eligibleJobs(uint256 s, uint256 r, MessagesLib.Header memory h, uint256 n, bool fill)
        internal
        view
        returns (uint256 from, uint256 to)
    {
        uint256 m = rollup.roundHeight();
        if (s >= SortitionLib.roundThreshold(r, h.height, m, rollup.redundancy(), n)) return (0, 0);
        uint256 d = fill ? rollup.neighbourhood() : 0;
        uint256 first = (SortitionLib.jobOnPath(s, r, h.height, m) >> d) << d;
        uint256 last = first + (1 << d);
        uint256 jobsInRound = SortitionLib.jobs(r, h.height, m);
        if (last > jobsInRound) last = jobsInRound;
        uint256 base = SortitionLib.offset(r, h.height, m);
        return (base + first, base + last);
    }

    function _distinctSorted(uint256[] memory owner) internal pure returns (address[] memory out) {
        address[] memory tmp = new address[](owner.length);
        uint256 count;
        for (uint256 j; j < owner.length; ++j) {
            if (owner[j] == 0) continue;
            address a = address(uint160(owner[j] - 1));
            if (!_contains(tmp, a)) tmp[count++] = a;
        }
        out = new address[](count);
        for (uint256 i; i < count; ++i) {
            out[i] = tmp[i];
        }
        _sort(out);
    }

    function _contains(address[] memory a, address x) internal pure returns (bool) {
        for (uint256 i; i < a.length; ++i) {
            if (a[i] == x) return true;
        }
        return false;
    }

    /// @notice Rewards leaves in transcript order and the proof of leaf `index` (matches TreeLib.commutativeRoot).
    function _rewardProof(Credit[] memory credits, uint256 index) internal pure returns (bytes32[] memory proof) {
        bytes32[] memory level = new bytes32[](credits.length);
        for (uint256 i; i < credits.length; ++i) {
            level[i] = TreeLib.rewardLeaf(credits[i].prover, uint64(credits[i].cost));
        }
        bytes32[] memory tmp = new bytes32[](64);
        uint256 len;
        uint256 width = level.length;
        while (width > 1) {
            uint256 sibling = index ^ 1;
            if (sibling < width) tmp[len++] = level[sibling];
            uint256 half = width / 2;
            for (uint256 i; i < half; ++i) {
                (bytes32 a, bytes32 b) = (level[2 * i], level[2 * i + 1]);
                level[i] = a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
            }
            if (width % 2 == 1) {
                level[half] = level[width - 1];
                width = half + 1;
            } else {
                width = half;
            }
            index /= 2;
        }
        proof = new bytes32[](len);
        for (uint256 i; i < len; ++i) {
            proof[i] = tmp[i];
        }
    }

    // ------------------------------------------------------------------ gas recording (test/gas, run with --isolate)

    uint256 internal constant INTRINSIC = 21_000;

    function _calldataGas(bytes memory data) internal pure returns (uint256 g) {
        for (uint256 i; i < data.length; ++i) {
            g += data[i] == 0 ? 4 : 16;
        }
    }

    /// @notice EIP-7623 (Prague): a transaction pays at least 21,000 + 10 gas per calldata token (a zero byte is one
    ///         token, any other four), that is 21,000 + 2.5 times its standard calldata gas.
    function _calldataFloor(bytes memory data) internal pure returns (uint256) {
        return INTRINSIC + _calldataGas(data) / 4 * 10;
    }

    /// @notice The execution gas of a transaction `name` that cost `total` with `callData`: the total minus the
    ///         intrinsic and calldata gas. Only derivable when the transaction did not pay the calldata floor instead,
    ///         which this asserts.
    function _executionOf(string memory name, uint256 total, bytes memory callData) internal pure returns (uint256) {
        assertGt(total, _calldataFloor(callData), string.concat(name, ": pays the EIP-7623 floor, execution hidden"));
        return total - INTRINSIC - _calldataGas(callData);
    }

    /// @notice Records the last call's total gas under `name` and its execution gas under `name (execution)`.
    function _record(string memory name, bytes memory callData) internal returns (uint256 execution) {
        execution = _executionOf(name, vm.snapshotGasLastCall(name), callData);
        vm.snapshotValue(string.concat(name, " (execution)"), execution);
    }
}
