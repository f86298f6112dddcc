// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Vm} from "forge-std/Vm.sol";

import {SPNTest} from "../../utils/SPNTest.sol";
import {Rollup} from "../../../contracts/Rollup.sol";
import {Staking} from "../../../contracts/Staking.sol";
import {TestToken} from "../../../contracts/devnet/TestToken.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {MessagesLib} from "../../../contracts/libraries/MessagesLib.sol";
import {RewardLib} from "../../../contracts/libraries/RewardLib.sol";
import {SortitionLib} from "../../../contracts/libraries/SortitionLib.sol";

/// @notice Drives the whole SPN lifecycle on the real contracts: stakers register, exit and withdraw; time moves; the
///         slot's sequencers propose with a quorum or try without one (random attester subsets, outsiders, duplicates,
///         wrong order); blocks are proven with some provers offline, or pruned once late; provers claim (and try to
///         claim twice); missed work is reported, cleared or finalised into strikes that bleed and eject.
/// @dev Every action either makes a call that must succeed (fail_on_revert turns an unexpected revert into a failure)
///      or tries a call that must revert and counts a success as a violation. Ghost state is updated from the events
///      each call emits (vm.recordLogs), so it follows what the contracts did, not what the handler hoped.
///      Transcripts come only from SPNTest._transcript, whatever its encoding.
contract LifecycleHandler is SPNTest {
    uint256 public constant INITIAL_STAKERS = 20;
    uint256 public constant MAX_STAKERS = 28;
    /// @dev Voluntary exits stop at this active count so most slots keep a sequencer and a quorum.
    uint256 public constant MIN_ACTIVE = 14;
    uint8 public constant MAX_TEST_HEIGHT = 5;
    uint256 public constant INITIAL_POOL = 5_000e18;

    address public constant SUBMITTER = address(0x5AB);
    address public constant FUNDER = address(0xF00D);

    uint256 public ghostTime;

    // ------------------------------------------------------------------ blocks
    /// @dev The live header of every number (pending or proven) and the salt its leaves derive from.
    mapping(uint256 number => MessagesLib.Header) internal _live;
    mapping(uint256 number => uint256) internal _salt;
    /// @dev Hashes of pruned or replaced blocks, and their headers (to try proving them).
    mapping(bytes32 hash => bool) public dead;
    MessagesLib.Header[] internal _deadHeaders;
    uint256[] internal _deadSalts;
    mapping(bytes32 hash => bool) public provenHash;

    // ------------------------------------------------------------------ proven blocks and claims
    mapping(uint256 number => address[]) internal _creditProver;
    mapping(uint256 number => uint256[]) internal _creditCost;
    /// @dev Unclaimed credits with a non-zero share, packed as number << 32 | credit index.
    uint256[] internal _unclaimed;
    /// @dev Claimed (prover, number) pairs, packed as uint160(prover) << 64 | number.
    uint256[] internal _claimedPairs;
    mapping(address prover => mapping(uint256 number => bool)) public ghostClaimed;
    uint256 public ghostClaimable;
    /// @dev Submitter and sequencer rewards credited and not yet withdrawn, summed over every account.
    uint256 public ghostOwed;
    uint256 public ghostClaimedTotal;
    uint256 public claimedEventsTotal;

    // ------------------------------------------------------------------ money
    uint256 public deposited;
    uint256 public withdrawn;
    uint256 public funded;
    uint256 public donated;

    // ------------------------------------------------------------------ outcomes
    uint256 public maxProvenTip;
    uint256 public proposedEvents;
    uint256 public proposalsWithoutQuorum;
    uint256 public prunedBlocksProven;
    uint256 public doubleClaims;
    uint256 public violations;
    string public lastViolation;
    mapping(bytes32 action => uint256) public calls;

    /// @dev Attestation set of the propose call whose logs are being processed.
    uint256 internal _sigCount;
    bool internal _quorumValid;
    /// @dev Payout of the last BlockProven event.
    uint256 internal _lastSubmitterReward;
    uint256 internal _lastSequencerReward;

    /// @dev Parameters that make strikes bite within a short run: one strike is the threshold, a penalty of 20% of
    ///      the stake, doubling; two strikes fall below the 50% floor and eject.
    function _rollupConfig() internal view override returns (Rollup.Config memory c) {
        c = super._rollupConfig();
        c.strikeThreshold = 1;
        c.penaltyBase = STAKE / 5;
        c.ejectionFloor = STAKE / 2;
        c.graceSlots = 6;
    }

    constructor() {
        _deploy();
        rewardToken.mint(FUNDER, INITIAL_POOL);
        vm.startPrank(FUNDER);
        rewardToken.approve(address(rollup), type(uint256).max);
        rollup.fund(INITIAL_POOL);
        vm.stopPrank();
        funded = INITIAL_POOL;
        _register(INITIAL_STAKERS);
        deposited = INITIAL_STAKERS * STAKE;
        _warpToEpoch(staking.currentEpoch() + staking.setChangeDelay());
        ghostTime = block.timestamp;
        _live[0].number = 0;
    }

    // ------------------------------------------------------------------ plumbing

    modifier action(bytes32 name) {
        vm.warp(ghostTime);
        calls[name]++;
        _;
        (, uint256 provenTip) = _chain();
        if (provenTip < maxProvenTip) _violation("proven tip went backwards");
        maxProvenTip = provenTip;
    }

    function _violation(string memory what) internal {
        violations++;
        lastViolation = what;
    }

    function _chain() internal view returns (uint256 pendingTip, uint256 provenTip) {
        (uint64 p, uint64 q) = rollup.chain();
        return (p, q);
    }

    function _seedOf(uint256 slot) internal view returns (bytes32) {
        return rollup.slotSeed(slot);
    }

    function _epochOf(uint256 slot) internal view returns (uint256) {
        return slot / rollup.epochDuration();
    }

    /// @dev Whether the propose/prune about to run prunes first: the oldest unproven block's window is over.
    function _pruneDue(uint256 slot) internal view returns (bool) {
        (uint256 pendingTip, uint256 provenTip) = _chain();
        return pendingTip > provenTip && slot > uint256(_live[provenTip + 1].slot) + rollup.proofWindow();
    }

    function _markDead(uint256 number) internal {
        MessagesLib.Header memory h = _live[number];
        bytes32 hash = MessagesLib.blockHash(h);
        if (dead[hash]) return;
        dead[hash] = true;
        _deadHeaders.push(h);
        _deadSalts.push(_salt[number]);
    }

    /// @dev Books the events of the last call: proposals (with the attestation set used), replacements, prunes,
    ///      proofs and claims.
    function _processLogs() internal returns (bool proposed) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory l = logs[i];
            if (l.emitter != address(rollup)) continue;
            bytes32 t0 = l.topics[0];
            if (t0 == IRollup.BlockProposed.selector) {
                proposed = true;
                proposedEvents++;
                if (!_quorumValid || _sigCount < rollup.attestationQuorum()) {
                    proposalsWithoutQuorum++;
                    _violation("BlockProposed without a valid quorum of attestations");
                }
            } else if (t0 == IRollup.BlockReplaced.selector) {
                uint256 number = uint256(l.topics[1]);
                (bytes32 oldHash,) = abi.decode(l.data, (bytes32, bytes32));
                if (oldHash != MessagesLib.blockHash(_live[number])) _violation("replaced hash is not the live block");
                _markDead(number);
            } else if (t0 == IRollup.BlocksPruned.selector) {
                (uint256 from, uint256 to) = abi.decode(l.data, (uint256, uint256));
                for (uint256 n = from; n <= to; ++n) {
                    _markDead(n);
                }
            } else if (t0 == IRollup.BlockProven.selector) {
                bytes32 hash = l.topics[2];
                if (dead[hash]) {
                    prunedBlocksProven++;
                    _violation("a pruned or replaced block was proven");
                }
                if (hash != MessagesLib.blockHash(_live[uint256(l.topics[1])])) _violation("proven hash is not live");
                provenHash[hash] = true;
                (,,, _lastSubmitterReward, _lastSequencerReward,) =
                    abi.decode(l.data, (bytes32, uint256, uint256, uint256, uint256, uint256));
            } else if (t0 == IRollup.StrikeFinalised.selector) {
                (, uint256 penalty, bool ejected) = abi.decode(l.data, (uint256, uint256, bool));
                if (penalty > 0) calls["strike.penalty"]++;
                if (ejected) calls["strike.ejected"]++;
            } else if (t0 == IRollup.RewardsClaimed.selector) {
                (uint256 amount,) = abi.decode(l.data, (uint256, uint256));
                claimedEventsTotal += amount;
            }
        }
    }

    // ------------------------------------------------------------------ stakers

    /// @dev op 0: register a new staker; 1: its withdrawer starts an exit; 2: withdraw an exited stake.
    function stake(uint8 op, uint256 seed) external action("stake") {
        op %= 3;
        if (op == 0) {
            if (stakers.length >= MAX_STAKERS) return;
            _register(1);
            deposited += STAKE;
            calls["stake.register"]++;
            return;
        }
        address key = stakers[seed % stakers.length];
        IStaking.Staker memory s = staking.getStaker(key);
        uint256 current = staking.currentEpoch();
        if (op == 1) {
            if (s.exitEpoch != type(uint32).max) return;
            if (staking.activeCount(current + staking.setChangeDelay()) <= MIN_ACTIVE) return;
            vm.prank(s.withdrawer);
            staking.initiateExit(key);
            calls["stake.exit"]++;
        } else {
            // The first withdrawable key from the picked one on.
            for (uint256 i;; ++i) {
                if (i == stakers.length) return;
                key = stakers[(seed % stakers.length + i) % stakers.length];
                s = staking.getStaker(key);
                if (s.exitEpoch == type(uint32).max || s.withdrawn) continue;
                if (current >= uint256(s.exitEpoch) + staking.withdrawalDelay()) break;
            }
            uint256 amount = staking.stakeOf(key);
            vm.prank(s.withdrawer);
            staking.withdraw(key, s.withdrawer);
            withdrawn += amount;
            calls["stake.withdraw"]++;
        }
    }

    // ------------------------------------------------------------------ time and money

    function warp(uint256 slotsSeed, uint256 randao) external action("warp") {
        // Mostly one slot; sometimes past the proof window so blocks get pruned.
        uint256 slots = slotsSeed % 4 == 0 ? _bound(slotsSeed >> 8, 1, rollup.proofWindow() + 3) : 1;
        ghostTime += slots * rollup.slotDuration();
        vm.warp(ghostTime);
        vm.prevrandao(bytes32(randao));
    }

    /// @dev op 0: fund the pool; 1: donate tokens straight to the rollup (not pool money); 2: withdraw an account's
    ///      owed rewards (the submitter or a staker's withdrawer, to itself); 3: sweep slashed stake to the sink.
    function money(uint8 op, uint256 amount) external action("money") {
        if (op % 4 == 2) {
            _withdrawOwed(amount);
            return;
        }
        if (op % 4 == 3) {
            staking.withdrawSlashed();
            return;
        }
        amount = _bound(amount, 0, 2_000e18);
        rewardToken.mint(FUNDER, amount);
        vm.prank(FUNDER);
        if (op % 2 == 0) {
            rollup.fund(amount);
            funded += amount;
        } else {
            rewardToken.transfer(address(rollup), amount);
            donated += amount;
        }
    }

    function _withdrawOwed(uint256 seed) internal {
        uint256 pick = seed % (stakers.length + 1);
        address account = pick == stakers.length ? SUBMITTER : _withdrawerOf(stakers[pick]);
        uint256 owed = rollup.rewardsOwed(account);
        if (owed == 0) {
            vm.prank(account);
            try rollup.withdrawRewards(account) {
                _violation("withdrew with nothing owed");
            } catch {}
            return;
        }
        uint256 before = rewardToken.balanceOf(account);
        vm.prank(account);
        if (rollup.withdrawRewards(account) != owed) _violation("withdrawRewards returned another amount");
        if (rewardToken.balanceOf(account) - before != owed) _violation("withdrawRewards paid another amount");
        if (rollup.rewardsOwed(account) != 0) _violation("owed left after a withdrawal");
        ghostOwed -= owed;
        calls["withdraw.ok"]++;
    }

    // ------------------------------------------------------------------ proposals

    /// @dev Keys active in `epoch` whose score is above the sequencer floor (and above `above`).
    function _sequencers(uint256 slot, uint256 above) internal view returns (address[] memory out) {
        uint256 epoch = _epochOf(slot);
        uint256 floor = SortitionLib.sequencerFloor(rollup.sequencerTarget(), staking.activeCount(epoch));
        if (above > floor) floor = above;
        bytes32 seed = _seedOf(slot);
        address[] memory tmp = new address[](stakers.length);
        uint256 count;
        for (uint256 i; i < stakers.length; ++i) {
            if (!staking.isActive(stakers[i], epoch)) continue;
            if (SortitionLib.score(stakers[i], seed) > floor) tmp[count++] = stakers[i];
        }
        out = new address[](count);
        for (uint256 i; i < count; ++i) {
            out[i] = tmp[i];
        }
    }

    /// @dev The eligible sequencer with the lowest (or highest) score.
    function _extreme(address[] memory seqs, uint256 slot, bool highest) internal view returns (address best) {
        bytes32 seed = _seedOf(slot);
        uint256 bestScore = highest ? 0 : type(uint256).max;
        for (uint256 i; i < seqs.length; ++i) {
            uint256 sc = SortitionLib.score(seqs[i], seed);
            if (highest ? sc >= bestScore : sc <= bestScore) (best, bestScore) = (seqs[i], sc);
        }
    }

    /// @dev An unregistered key, with its private key known to the fixture.
    function _outsider(uint256 seed) internal returns (address a) {
        uint256 key = uint256(keccak256(abi.encode("spn.outsider", seed))) % (SECP256K1_ORDER - 1) + 1;
        a = vm.addr(key);
        keyOf[a] = key;
    }

    /// @dev An attestation set for `slot` built by `mode` from the committee: 0 all of it, 1 a random subset of at
    ///      least M, 2 fewer than M, 3 the committee plus an active non-member or an outsider, 4 a duplicate or
    ///      reversed order. Returns whether it is a valid quorum, judged independently of the mode.
    function _attestationSet(uint256 slot, uint256 mode, uint256 seed)
        internal
        returns (address[] memory signers, bool valid)
    {
        address[] memory committee = _attesters(slot);
        uint256 m = rollup.attestationQuorum();
        uint256 len = committee.length;
        mode %= 5;
        if (mode == 0) {
            signers = committee;
        } else if (mode == 1 || mode == 2) {
            uint256 k = mode == 1 ? (len < m ? len : _bound(seed, m, len)) : _bound(seed, 0, m - 1 < len ? m - 1 : len);
            signers = _subset(committee, k, seed);
        } else if (mode == 3) {
            address extra = _nonMember(slot, seed);
            signers = new address[](len + 1);
            for (uint256 i; i < len; ++i) {
                signers[i] = committee[i];
            }
            signers[len] = extra;
            _sort(signers);
        } else {
            if (len < 2) return (committee, _validQuorum(slot, committee));
            if (seed % 2 == 0) {
                signers = new address[](len + 1);
                for (uint256 i; i < len; ++i) {
                    signers[i] = committee[i];
                }
                signers[len] = committee[len - 1];
            } else {
                signers = new address[](len);
                for (uint256 i; i < len; ++i) {
                    signers[i] = committee[len - 1 - i];
                }
            }
        }
        valid = _validQuorum(slot, signers);
    }

    function _subset(address[] memory from, uint256 k, uint256 seed) internal pure returns (address[] memory out) {
        out = new address[](k);
        uint256 taken;
        // Walk the members in order, keeping each with probability (still needed) / (still left): sorted output.
        for (uint256 i; i < from.length && taken < k; ++i) {
            uint256 left = from.length - i;
            if (uint256(keccak256(abi.encode(seed, i))) % left < k - taken) out[taken++] = from[i];
        }
    }

    /// @dev Half the time an active staker outside the committee (if any), otherwise an unregistered key whose score
    ///      may well be below the threshold.
    function _nonMember(uint256 slot, uint256 seed) internal returns (address) {
        if (seed % 2 == 0) {
            uint256 epoch = _epochOf(slot);
            uint256 threshold = SortitionLib.committeeThreshold(rollup.attestationTarget(), staking.activeCount(epoch));
            bytes32 s = _seedOf(slot);
            for (uint256 i; i < stakers.length; ++i) {
                address a = stakers[(seed % stakers.length + i) % stakers.length];
                if (staking.isActive(a, epoch) && SortitionLib.score(a, s) >= threshold) return a;
            }
        }
        return _outsider(seed);
    }

    /// @dev The rule, stated independently of Rollup's code: at least M signers, strictly ascending, each active in the
    ///      slot's epoch and with a score below the attestation threshold.
    function _validQuorum(uint256 slot, address[] memory signers) internal view returns (bool) {
        if (signers.length < rollup.attestationQuorum()) return false;
        uint256 epoch = _epochOf(slot);
        uint256 threshold = SortitionLib.committeeThreshold(rollup.attestationTarget(), staking.activeCount(epoch));
        bytes32 s = _seedOf(slot);
        for (uint256 i; i < signers.length; ++i) {
            if (i > 0 && signers[i] <= signers[i - 1]) return false;
            if (!staking.isActive(signers[i], epoch) || SortitionLib.score(signers[i], s) >= threshold) return false;
        }
        return true;
    }

    /// @dev One proposal attempt.
    struct Attempt {
        uint256 slot;
        uint256 number;
        uint256 salt;
        MessagesLib.Header header;
        bytes32 hash;
        address[] signers;
        bool valid;
    }

    /// @notice A sequencer of the current slot proposes a block of random height with an attestation set built by
    ///         `mode`; valid sets must be accepted, invalid ones rejected. Replaces the tip when it is this slot's.
    function propose(uint256 seed, uint8 heightSeed, uint8 mode) external action("propose") {
        // Half the time the proposal is for the next slot: keeps blocks coming without a separate warp.
        if (seed % 2 == 0) {
            ghostTime += rollup.slotDuration();
            vm.warp(ghostTime);
        }
        _propose(seed, heightSeed, mode, seed % 3 == 0 ? PICK_LOWEST : PICK_RANDOM);
    }

    /// @notice Moves to the next slot (within 8) with at least two sequencers, proposes there with the lowest-scoring
    ///         one and then replaces its block with the highest-scoring one (both with the full committee).
    function replace(uint256 seed, uint8 heightSeed) external action("replace") {
        uint256 slot = rollup.currentSlot() + 1;
        for (;; ++slot) {
            if (slot > rollup.currentSlot() + 8) return;
            if (staking.activeCount(_epochOf(slot)) > 0 && _sequencers(slot, 0).length >= 2) break;
        }
        ghostTime = rollup.genesisTime() + slot * rollup.slotDuration();
        vm.warp(ghostTime);
        if (!_propose(seed, heightSeed, 0, PICK_LOWEST)) return;
        if (_propose(seed >> 1, heightSeed >> 1, 0, PICK_HIGHEST)) calls["replace.ok"]++;
    }

    uint256 internal constant PICK_RANDOM = 0;
    uint256 internal constant PICK_LOWEST = 1;
    uint256 internal constant PICK_HIGHEST = 2;

    /// @dev Returns whether a block was proposed.
    function _propose(uint256 seed, uint8 heightSeed, uint8 mode, uint256 pick) internal returns (bool proposed) {
        (Attempt memory a, bool possible) = _prepare(seed, heightSeed, pick);
        if (!possible) {
            calls["propose.impossible"]++;
            return false;
        }
        if (a.header.parentHash != rollup.blockHashOf(a.number - 1)) _violation("parent differs from the ghost chain");
        (a.signers, a.valid) = _attestationSet(a.slot, mode, seed >> 128);
        IRollup.Signature[] memory sigs = _attestations(a.signers, a.slot, a.hash);
        IRollup.ProposeArgs memory args =
            IRollup.ProposeArgs({slot: uint64(a.slot), txRoot: a.header.txRoot, height: a.header.height});
        (_sigCount, _quorumValid) = (a.signers.length, a.valid);
        if (_live[a.number].slot == a.slot) calls["propose.replace"]++;

        vm.recordLogs();
        vm.prank(a.header.proposer);
        if (a.valid) {
            rollup.propose(args, sigs);
            calls["propose.ok"]++;
        } else {
            try rollup.propose(args, sigs) {} catch {}
            calls["propose.invalid"]++;
        }
        proposed = _processLogs();
        if (proposed) {
            if (rollup.blockHashOf(a.number) != a.hash) _violation("stored hash is not the proposed header's");
            _live[a.number] = a.header;
            _salt[a.number] = a.salt;
        }
    }

    /// @dev The header a proposal in the current slot would carry (new block, or replacement of this slot's tip by a
    ///      strictly higher score), accounting for the prune the call performs first.
    function _prepare(uint256 seed, uint8 heightSeed, uint256 pick)
        internal
        view
        returns (Attempt memory a, bool possible)
    {
        a.slot = rollup.currentSlot();
        if (staking.activeCount(_epochOf(a.slot)) == 0) return (a, false);
        (uint256 pendingTip, uint256 provenTip) = _chain();
        if (_pruneDue(a.slot)) pendingTip = provenTip;

        a.number = pendingTip + 1;
        uint256 incumbent;
        if (pendingTip > provenTip && _live[pendingTip].slot == a.slot) {
            a.number = pendingTip;
            incumbent = SortitionLib.score(_live[pendingTip].proposer, _seedOf(a.slot));
        } else if (pendingTip > 0 && _live[pendingTip].slot >= a.slot) {
            return (a, false); // the proven tip is this slot's block
        }
        address[] memory seqs = _sequencers(a.slot, incumbent);
        if (seqs.length == 0) return (a, false);

        uint8 height = uint8(_bound(heightSeed, rollup.minHeight(), MAX_TEST_HEIGHT));
        a.salt = uint256(keccak256(abi.encode("spn.block", seed, a.slot, a.number)));
        bytes32[] memory outputs = _outputs(_leaves(height, a.salt), height);
        a.header = MessagesLib.Header({
            number: uint64(a.number),
            parentHash: a.number == 1 ? MessagesLib.GENESIS_HASH : MessagesLib.blockHash(_live[a.number - 1]),
            slot: uint64(a.slot),
            proposer: pick == PICK_RANDOM ? seqs[seed % seqs.length] : _extreme(seqs, a.slot, pick == PICK_HIGHEST),
            txRoot: outputs[outputs.length - 1],
            height: height
        });
        a.hash = MessagesLib.blockHash(a.header);
        possible = true;
    }

    // ------------------------------------------------------------------ proofs and pruning

    /// @dev Stakers marked offline with probability (fraction % 4) / 4.
    function _offline(uint256 seed, uint256 fraction) internal view returns (address[] memory out) {
        fraction %= 4;
        address[] memory tmp = new address[](stakers.length);
        uint256 count;
        for (uint256 i; i < stakers.length; ++i) {
            if (uint256(keccak256(abi.encode(seed, i))) % 4 < fraction) tmp[count++] = stakers[i];
        }
        out = new address[](count);
        for (uint256 i; i < count; ++i) {
            out[i] = tmp[i];
        }
    }

    /// @notice Proves the oldest unproven block with a transcript in which some provers are offline. In time it must
    ///         succeed and pay exactly as booked; late it must revert.
    function prove(uint256 offlineSeed, uint8 fraction) external action("prove") {
        (uint256 pendingTip, uint256 provenTip) = _chain();
        if (pendingTip == provenTip) return;
        uint256 number = provenTip + 1;
        MessagesLib.Header memory h = _live[number];
        bool inTime = rollup.currentSlot() <= uint256(h.slot) + rollup.proofWindow();
        bytes32[] memory outputs = _outputs(_leaves(h.height, _salt[number]), h.height);
        (bytes memory proof, Credit[] memory credits) = _transcript(h, outputs, _offline(offlineSeed, fraction));
        uint256 committee = SortitionLib.proverJobs(h.height, rollup.roundHeight());
        uint256 creditedJobs;
        for (uint256 i; i < credits.length; ++i) {
            creditedJobs += credits[i].jobs.length;
        }

        if (inTime && !RewardLib.meetsCoverage(creditedJobs, committee, rollup.minCoverageBps())) {
            vm.prank(SUBMITTER);
            try rollup.submitProof(h, proof) {
                _violation("proof below the minimum coverage accepted");
            } catch (bytes memory reason) {
                bytes memory expected = abi.encodeWithSelector(
                    Errors.Rollup__CoverageTooLow.selector,
                    creditedJobs,
                    RewardLib.requiredJobs(committee, rollup.minCoverageBps())
                );
                if (keccak256(reason) != keccak256(expected)) _violation("low coverage reverted for another reason");
            }
            calls["prove.lowCoverage"]++;
            return;
        }
        if (!inTime) {
            vm.prank(SUBMITTER);
            try rollup.submitProof(h, proof) {
                _violation("late proof accepted");
            } catch {}
            calls["prove.late"]++;
            return;
        }
        Before memory b;
        b.seqWithdrawer = staking.getStaker(h.proposer).withdrawer;
        b.seqBalance = rollup.rewardsOwed(b.seqWithdrawer);
        b.subBalance = rollup.rewardsOwed(SUBMITTER);
        b.pool = rollup.pool();

        vm.recordLogs();
        vm.prank(SUBMITTER);
        rollup.submitProof(h, proof);
        calls["prove.ok"]++;
        _processLogs();
        _bookProof(number, h, credits, b);
    }

    /// @dev Owed balances and pool before a proof.
    struct Before {
        address seqWithdrawer;
        uint256 seqBalance;
        uint256 subBalance;
        RewardLib.Pool pool;
    }

    function _bookProof(uint256 number, MessagesLib.Header memory h, Credit[] memory credits, Before memory b)
        internal
    {
        IRollup.ProvenBlock memory pb = rollup.getProvenBlock(number);
        if (pb.blockHash != MessagesLib.blockHash(h)) _violation("proven record is not the live header");
        RewardLib.Pool memory poolAfter = rollup.pool();
        uint256 toSequencer = rollup.rewardsOwed(b.seqWithdrawer) - b.seqBalance;
        uint256 toSubmitter = rollup.rewardsOwed(SUBMITTER) - b.subBalance;
        if (toSequencer != _lastSequencerReward) {
            _violation("live proposer's withdrawer not credited the sequencer reward");
        }
        if (toSubmitter != _lastSubmitterReward) _violation("submitter not credited the submitter reward");
        if (poolAfter.paid != b.pool.paid) _violation("a proof paid something out");
        ghostOwed += toSequencer + toSubmitter;
        uint256 credited = _bookCredits(number, credits, pb);
        uint256 reserved = uint256(pb.proversPot) * credited / pb.totalProverCost;
        if (poolAfter.outstanding - b.pool.outstanding != reserved + toSequencer + toSubmitter) {
            _violation("outstanding delta != reserve + owed parts");
        }
    }

    function _bookCredits(uint256 number, Credit[] memory credits, IRollup.ProvenBlock memory pb)
        internal
        returns (uint256 credited)
    {
        for (uint256 i; i < credits.length; ++i) {
            _creditProver[number].push(credits[i].prover);
            _creditCost[number].push(credits[i].cost);
            credited += credits[i].cost;
            uint256 share = uint256(pb.proversPot) * credits[i].cost / pb.totalProverCost;
            if (share > 0) {
                _unclaimed.push(number << 32 | i);
                ghostClaimable += share;
            }
        }
    }

    /// @notice Tries to prove a pruned or replaced block: must always revert.
    function proveDead(uint256 seed) external action("proveDead") {
        if (_deadHeaders.length == 0) return;
        uint256 k = seed % _deadHeaders.length;
        MessagesLib.Header memory h = _deadHeaders[k];
        bytes32[] memory outputs = _outputs(_leaves(h.height, _deadSalts[k]), h.height);
        (bytes memory proof,) = _transcript(h, outputs, new address[](0));
        vm.prank(SUBMITTER);
        try rollup.submitProof(h, proof) {
            prunedBlocksProven++;
            _violation("dead block proven");
        } catch {}
    }

    /// @notice Prunes when due (must succeed), otherwise must revert.
    function prune() external action("prune") {
        bool due = _pruneDue(rollup.currentSlot());
        vm.recordLogs();
        if (due) {
            rollup.prune();
            calls["prune.ok"]++;
        } else {
            try rollup.prune() {
                _violation("prune without a late block");
            } catch {}
        }
        _processLogs();
    }

    // ------------------------------------------------------------------ claims

    function _credits(uint256 number) internal view returns (Credit[] memory credits) {
        address[] storage provers = _creditProver[number];
        credits = new Credit[](provers.length);
        for (uint256 i; i < provers.length; ++i) {
            credits[i] = Credit({prover: provers[i], jobs: new uint256[](0), cost: _creditCost[number][i]});
        }
    }

    function _item(uint256 number, uint256 index) internal view returns (IRollup.ClaimItem memory) {
        return IRollup.ClaimItem({
            blockNumber: uint64(number),
            cost: uint64(_creditCost[number][index]),
            proof: _rewardProof(_credits(number), index)
        });
    }

    function _shareOf(uint256 number, uint256 index) internal view returns (uint256) {
        IRollup.ProvenBlock memory pb = rollup.getProvenBlock(number);
        return uint256(pb.proversPot) * _creditCost[number][index] / pb.totalProverCost;
    }

    /// @notice A prover claims up to `batch` of its unclaimed credits in one call; must pay exactly their shares.
    function claim(uint256 seed, uint8 batch) external action("claim") {
        if (_unclaimed.length == 0) return;
        uint256 first = _unclaimed[seed % _unclaimed.length];
        address prover = _creditProver[first >> 32][first & 0xffffffff];
        batch = uint8(_bound(batch, 1, 4));

        IRollup.ClaimItem[] memory items = new IRollup.ClaimItem[](batch);
        uint256[] memory positions = new uint256[](batch);
        uint256 count;
        uint256 expected;
        for (uint256 i; i < _unclaimed.length && count < batch; ++i) {
            uint256 pos = (seed % _unclaimed.length + i) % _unclaimed.length;
            uint256 packed = _unclaimed[pos];
            (uint256 number, uint256 index) = (packed >> 32, packed & 0xffffffff);
            if (_creditProver[number][index] != prover) continue;
            items[count] = _item(number, index);
            positions[count++] = pos;
            expected += _shareOf(number, index);
        }
        assembly {
            mstore(items, count)
            mstore(positions, count)
        }
        address recipient = _withdrawerOf(prover);
        uint256 before = rewardToken.balanceOf(recipient);
        vm.recordLogs();
        vm.prank(prover);
        rollup.claim(recipient, items);
        _processLogs();
        if (rewardToken.balanceOf(recipient) - before != expected) _violation("claim paid another amount");
        ghostClaimable -= expected;
        ghostClaimedTotal += expected;
        calls["claim.ok"]++;

        for (uint256 i; i < count; ++i) {
            ghostClaimed[prover][items[i].blockNumber] = true;
            _claimedPairs.push(uint256(uint160(prover)) << 64 | items[i].blockNumber);
        }
        // Remove the claimed positions, highest first so swap-and-pop keeps the others valid.
        _sortDesc(positions);
        for (uint256 i; i < count; ++i) {
            _unclaimed[positions[i]] = _unclaimed[_unclaimed.length - 1];
            _unclaimed.pop();
        }
    }

    function _sortDesc(uint256[] memory a) internal pure {
        for (uint256 i = 1; i < a.length; ++i) {
            uint256 v = a[i];
            uint256 j = i;
            while (j > 0 && a[j - 1] < v) {
                a[j] = a[j - 1];
                --j;
            }
            a[j] = v;
        }
    }

    /// @notice Tries to claim something already claimed (alone or with a fresh item), the same item twice in one
    ///         batch, or a credit with a wrong cost: every attempt must revert.
    function claimAgain(uint256 seed, uint8 mode) external action("claimAgain") {
        mode %= 3;
        IRollup.ClaimItem[] memory items;
        address prover;
        if (mode == 0) {
            if (_claimedPairs.length == 0) return;
            uint256 pair = _claimedPairs[seed % _claimedPairs.length];
            prover = address(uint160(pair >> 64));
            uint256 number = uint64(pair);
            uint256 index = _indexOf(number, prover);
            // Alone, or followed by a fresh item of the same prover if it has one.
            items = new IRollup.ClaimItem[](2);
            items[0] = _item(number, index);
            uint256 fresh = _freshOf(prover);
            if (fresh == 0) {
                assembly {
                    mstore(items, 1)
                }
            } else {
                items[1] = _item(fresh >> 32, fresh & 0xffffffff);
            }
        } else {
            if (_unclaimed.length == 0) return;
            uint256 packed = _unclaimed[seed % _unclaimed.length];
            (uint256 number, uint256 index) = (packed >> 32, packed & 0xffffffff);
            prover = _creditProver[number][index];
            if (mode == 1) {
                items = new IRollup.ClaimItem[](2);
                items[0] = _item(number, index);
                items[1] = items[0];
            } else {
                items = new IRollup.ClaimItem[](1);
                items[0] = _item(number, index);
                items[0].cost += 1;
            }
        }
        vm.prank(prover);
        try rollup.claim(_withdrawerOf(prover), items) {
            doubleClaims++;
            _violation(mode == 2 ? "claim with a forged cost paid" : "double claim paid");
        } catch {}
    }

    function _indexOf(uint256 number, address prover) internal view returns (uint256) {
        address[] storage provers = _creditProver[number];
        for (uint256 i; i < provers.length; ++i) {
            if (provers[i] == prover) return i;
        }
        revert("credit not found");
    }

    /// @dev An unclaimed credit of `prover` (packed), or 0.
    function _freshOf(address prover) internal view returns (uint256) {
        for (uint256 i; i < _unclaimed.length; ++i) {
            uint256 packed = _unclaimed[i];
            if (_creditProver[packed >> 32][packed & 0xffffffff] == prover) return packed;
        }
        return 0;
    }

    // ------------------------------------------------------------------ inactivity

    /// @dev op 0: report a round-1 committee member of a proven block; 1: finalise a report whose grace is over;
    ///      2: clear a pending report with a rewards leaf of a block in its range.
    function inactivity(uint8 op, uint256 seed) external action("inactivity") {
        op %= 3;
        if (op == 0) _report(seed);
        else if (op == 1) _finalise(seed);
        else _clear(seed);
    }

    function _report(uint256 seed) internal {
        (, uint256 provenTip) = _chain();
        if (provenTip == 0) return;
        uint256 number = provenTip - (seed % (provenTip < 4 ? provenTip : 4));
        MessagesLib.Header memory h = _live[number];
        uint256 epoch = _epochOf(h.slot);
        uint256 threshold = SortitionLib.roundThreshold(
            1, h.height, rollup.roundHeight(), rollup.redundancy(), staking.activeCount(epoch)
        );
        bytes32 s = _seedOf(h.slot);
        address staker;
        for (uint256 i; i < stakers.length; ++i) {
            address a = stakers[(seed % stakers.length + i) % stakers.length];
            if (staking.isActive(a, epoch) && SortitionLib.score(a, s) < threshold) {
                staker = a;
                break;
            }
        }
        if (staker == address(0)) return;
        IRollup.Inactivity memory rec = rollup.getInactivity(staker);
        uint256 slot = rollup.currentSlot();
        bool pendingOpen = rec.pendingBlock != 0 && slot <= uint256(rec.pendingSlot) + rollup.graceSlots();
        uint256 last = rec.pendingBlock != 0 ? rec.pendingBlock : rec.lastAppearance;
        vm.recordLogs();
        if (!pendingOpen && number > last) {
            rollup.reportMissed(staker, h);
            calls["inactivity.report"]++;
        } else {
            try rollup.reportMissed(staker, h) {
                _violation("report accepted while pending or not after the last appearance");
            } catch {}
        }
        _processLogs();
    }

    function _pendingStaker(uint256 seed) internal view returns (address staker, IRollup.Inactivity memory rec) {
        for (uint256 i; i < stakers.length; ++i) {
            address a = stakers[(seed % stakers.length + i) % stakers.length];
            rec = rollup.getInactivity(a);
            if (rec.pendingBlock != 0) return (a, rec);
        }
    }

    function _finalise(uint256 seed) internal {
        (address staker, IRollup.Inactivity memory rec) = _pendingStaker(seed);
        if (staker == address(0)) return;
        bool over = rollup.currentSlot() > uint256(rec.pendingSlot) + rollup.graceSlots();
        vm.recordLogs();
        if (over) {
            rollup.finaliseReport(staker);
            calls["inactivity.finalise"]++;
            IRollup.Inactivity memory afterwards = rollup.getInactivity(staker);
            if (afterwards.strikes != rec.strikes + 1 || afterwards.lastAppearance != rec.pendingBlock) {
                _violation("finalise did not strike");
            }
        } else {
            try rollup.finaliseReport(staker) {
                _violation("report finalised inside its grace period");
            } catch {}
        }
        _processLogs();
    }

    /// @dev Half the time with a rewards leaf (if the staker has one in range), otherwise with the staker's signed
    ///      result for its own round-1 job of the reported block and the output's path to the transaction root.
    function _clear(uint256 seed) internal {
        for (uint256 i; i < stakers.length; ++i) {
            address staker = stakers[(seed % stakers.length + i) % stakers.length];
            IRollup.Inactivity memory rec = rollup.getInactivity(staker);
            if (rec.pendingBlock == 0) continue;
            if (seed % 2 == 0 && _clearWithEvidence(staker, rec)) return;
            _clearWithJobResult(staker, rec);
            return;
        }
    }

    function _clearWithJobResult(address staker, IRollup.Inactivity memory rec) internal {
        uint256 number = rec.pendingBlock;
        MessagesLib.Header memory h = _live[number];
        uint256 m = rollup.roundHeight();
        // The reported staker is on the block's round-1 committee: its own round-1 job is always eligible.
        uint256 job = SortitionLib.jobOnPath(SortitionLib.score(staker, _seedOf(h.slot)), 1, h.height, m);
        (bytes32 output, bytes32[] memory siblings) =
            _pathOf(_leaves(h.height, _salt[number]), SortitionLib.level(1, h.height, m), job);
        IRollup.Signature memory sig = _signCompact(
            staker, MessagesLib.jobResultDigest(rollup.domainSeparator(), MessagesLib.blockHash(h), job, output)
        );
        bool open = rollup.currentSlot() <= uint256(rec.pendingSlot) + rollup.graceSlots();
        vm.recordLogs();
        if (open) {
            rollup.clearWithJobResult(staker, h, uint32(job), output, sig, siblings);
            calls["inactivity.clearJob"]++;
            if (rollup.getInactivity(staker).pendingBlock != 0) _violation("clear left the report pending");
        } else {
            try rollup.clearWithJobResult(staker, h, uint32(job), output, sig, siblings) {
                _violation("report cleared with a job result after its grace period");
            } catch {}
        }
        _processLogs();
    }

    /// @dev The node at (`lvl`, `index`) of the positional tree over `leaves`, and its siblings up to the root.
    function _pathOf(bytes32[] memory leaves, uint256 lvl, uint256 index)
        internal
        pure
        returns (bytes32 node, bytes32[] memory siblings)
    {
        bytes32[] memory nodes = leaves;
        uint256 height;
        while ((1 << height) < leaves.length) ++height;
        siblings = new bytes32[](height - lvl);
        for (uint256 l; l < height; ++l) {
            if (l == lvl) node = nodes[index];
            if (l >= lvl) {
                siblings[l - lvl] = nodes[index ^ 1];
                index >>= 1;
            }
            bytes32[] memory up = new bytes32[](nodes.length / 2);
            for (uint256 i; i < up.length; ++i) {
                up[i] = keccak256(abi.encodePacked(nodes[2 * i], nodes[2 * i + 1]));
            }
            nodes = up;
        }
    }

    /// @dev Clears `staker`'s report with its first credit in range; false if it has none.
    function _clearWithEvidence(address staker, IRollup.Inactivity memory rec) internal returns (bool) {
        bool open = rollup.currentSlot() <= uint256(rec.pendingSlot) + rollup.graceSlots();
        // Evidence: a credit of the staker in a block of (lastAppearance, pendingBlock].
        for (uint256 number = rec.pendingBlock; number > rec.lastAppearance; --number) {
            address[] storage provers = _creditProver[number];
            for (uint256 i; i < provers.length; ++i) {
                if (provers[i] != staker) continue;
                vm.recordLogs();
                if (open) {
                    rollup.clearWithReward(
                        staker, _live[number], uint64(_creditCost[number][i]), _item(number, i).proof
                    );
                    calls["inactivity.clear"]++;
                    if (rollup.getInactivity(staker).pendingBlock != 0) _violation("clear left the report pending");
                } else {
                    try rollup.clearWithReward(
                        staker, _live[number], uint64(_creditCost[number][i]), _item(number, i).proof
                    ) {
                        _violation("report cleared after its grace period");
                    } catch {}
                }
                _processLogs();
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ views for the invariants

    function contracts() external view returns (Rollup, Staking, TestToken, TestToken) {
        return (rollup, staking, stakeToken, rewardToken);
    }

    function stakerCount() external view returns (uint256) {
        return stakers.length;
    }

    function stakerAt(uint256 i) external view returns (address) {
        return stakers[i];
    }

    function withdrawerOf(address key) external pure returns (address) {
        return _withdrawerOf(key);
    }

    function liveHeader(uint256 number) external view returns (MessagesLib.Header memory) {
        return _live[number];
    }

    function liveHash(uint256 number) external view returns (bytes32) {
        return number == 0 ? MessagesLib.GENESIS_HASH : MessagesLib.blockHash(_live[number]);
    }

    function claimedPairCount() external view returns (uint256) {
        return _claimedPairs.length;
    }

    function claimedPairAt(uint256 i) external view returns (address prover, uint256 number) {
        uint256 pair = _claimedPairs[i];
        return (address(uint160(pair >> 64)), uint64(pair));
    }

    function deadCount() external view returns (uint256) {
        return _deadHeaders.length;
    }

    function deadHashAt(uint256 i) external view returns (uint256 number, bytes32 hash) {
        return (_deadHeaders[i].number, MessagesLib.blockHash(_deadHeaders[i]));
    }
}
