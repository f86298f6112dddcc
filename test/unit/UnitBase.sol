// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {SPNTest} from "../utils/SPNTest.sol";
import {IProofVerifier} from "../../contracts/interfaces/IProofVerifier.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {MessagesLib} from "../../contracts/libraries/MessagesLib.sol";
import {SortitionLib} from "../../contracts/libraries/SortitionLib.sol";
import {TreeLib} from "../../contracts/libraries/TreeLib.sol";

/// @notice Fixture for the unit and adversarial tests: a running devnet (32 active stakers, funded pool) plus helpers
///         to find keys with a given role in a slot, to craft transcripts, and to predict the first check a forged
///         attestation set fails.
/// @dev Honest transcripts come only from SPNTest._transcript. Crafted ones are built as SPNTest `ProverWork[]` and
///      encoded by `_encodeProof` (SPNTest._encodeTranscript): no test here knows the proof's byte layout except
///      `_proofDataOffset`, used to predict Transcript__Malformed positions.
abstract contract UnitBase is SPNTest {
    uint8 internal constant HEIGHT = 6;
    uint256 internal constant STAKERS = 32;
    uint256 internal constant POOL = 1_000_000e18;

    /// @notice Reward parameters of the fixture (full coverage: submitter 10, sequencer 50 + 64, provers 500).
    uint256 internal constant SUBMITTER_REWARD = 10e18;
    uint256 internal constant SEQUENCER_BASE = 50e18;
    uint256 internal constant SEQUENCER_COVERAGE = 64e18;
    uint256 internal constant PROVERS_REWARD = 500e18;
    /// @notice The fixture's minimum coverage, in basis points of the committee jobs.
    uint256 internal constant MIN_COVERAGE_BPS = 2_500;

    /// @notice A proposed block as the tests see it.
    struct Blk {
        MessagesLib.Header header;
        bytes32[] leaves;
        bytes32[] outputs;
    }

    uint256 internal _freshNonce;

    // ------------------------------------------------------------------ network

    /// @notice Deploys, funds the pool and activates `STAKERS` stakers.
    function _setUpNetwork() internal {
        _deploy();
        _fundPool(POOL);
        _registerAndActivate(STAKERS);
    }

    /// @notice Warps to the next slot after the tip with a sequencer and quorum, and proposes a block of `height` there.
    function _proposeNext(uint8 height) internal returns (Blk memory b) {
        (uint256 slot,) = _nextUsableSlot(_firstFreeSlot(), rollup.attestationQuorum());
        _warpToSlot(slot);
        (b.header, b.leaves) = _proposeBlock(slot, height);
        b.outputs = _outputs(b.leaves, height);
    }

    /// @notice The first slot a new block (not a replacement) may use: now, or after the pending tip's slot.
    function _firstFreeSlot() internal view returns (uint256 slot) {
        slot = rollup.currentSlot();
        (uint64 pendingTip,) = rollup.chain();
        if (pendingTip > 0) {
            uint256 next = uint256(rollup.getBlock(pendingTip).slot) + 1;
            if (next > slot) slot = next;
        }
    }

    /// @notice Submits the honest transcript (everyone online) of `b` from this contract.
    function _prove(Blk memory b) internal returns (Credit[] memory credits) {
        bytes memory proof;
        (proof, credits) = _transcript(b.header, b.outputs, new address[](0));
        rollup.submitProof(b.header, proof);
    }

    function _proposeAndProve(uint8 height) internal returns (Blk memory b, Credit[] memory credits) {
        b = _proposeNext(height);
        credits = _prove(b);
    }

    function _provenTip() internal view returns (uint256 tip) {
        (, uint64 t) = rollup.chain();
        tip = t;
    }

    function _pendingTip() internal view returns (uint256 tip) {
        (uint64 t,) = rollup.chain();
        tip = t;
    }

    function _epochOf(uint256 slot) internal view returns (uint256) {
        return slot / rollup.epochDuration();
    }

    // ------------------------------------------------------------------ selection

    function _attestationThreshold(uint256 slot) internal view returns (uint256) {
        return SortitionLib.committeeThreshold(rollup.attestationTarget(), _activeCountAt(slot));
    }

    function _sequencerFloor(uint256 slot) internal view returns (uint256) {
        return SortitionLib.sequencerFloor(rollup.sequencerTarget(), _activeCountAt(slot));
    }

    function _roundThreshold(uint256 round, MessagesLib.Header memory h) internal view returns (uint256) {
        return
            SortitionLib.roundThreshold(
                round, h.height, rollup.roundHeight(), rollup.redundancy(), _activeCountAt(h.slot)
            );
    }

    /// @notice Active stakers of `slot` that may sequence, highest score first.
    function _sequencersByScore(uint256 slot) internal view returns (address[] memory out) {
        uint256 floor = _sequencerFloor(slot);
        address[] memory tmp = new address[](stakers.length);
        uint256 count;
        for (uint256 i; i < stakers.length; ++i) {
            if (!staking.isActive(stakers[i], _epochOf(slot))) continue;
            if (rollup.scoreOf(stakers[i], slot) > floor) tmp[count++] = stakers[i];
        }
        out = new address[](count);
        for (uint256 i; i < count; ++i) {
            out[i] = tmp[i];
        }
        // Insertion sort by score, descending.
        for (uint256 i = 1; i < count; ++i) {
            address v = out[i];
            uint256 j = i;
            while (j > 0 && rollup.scoreOf(out[j - 1], slot) < rollup.scoreOf(v, slot)) {
                out[j] = out[j - 1];
                --j;
            }
            out[j] = v;
        }
    }

    /// @notice First slot at or after `from` with at least two eligible sequencers and a quorum of attesters.
    function _slotWithTwoSequencers(uint256 from) internal view returns (uint256 slot) {
        for (slot = from; slot < from + 512; ++slot) {
            if (_sequencersByScore(slot).length >= 2 && _attesters(slot).length >= rollup.attestationQuorum()) {
                return slot;
            }
        }
        revert("no slot with two sequencers");
    }

    /// @notice An active staker of `slot` that is neither a sequencer nor an attester of it.
    function _bystander(uint256 slot) internal view returns (address) {
        uint256 threshold = _attestationThreshold(slot);
        uint256 floor = _sequencerFloor(slot);
        for (uint256 i; i < stakers.length; ++i) {
            if (!staking.isActive(stakers[i], _epochOf(slot))) continue;
            uint256 s = rollup.scoreOf(stakers[i], slot);
            if (s >= threshold && s <= floor) return stakers[i];
        }
        revert("no bystander");
    }

    /// @notice An active staker whose score in the block's slot is at or above its round-1 threshold (no work).
    function _notInCommittee(MessagesLib.Header memory h) internal view returns (address) {
        uint256 threshold = _roundThreshold(1, h);
        for (uint256 i; i < stakers.length; ++i) {
            if (!staking.isActive(stakers[i], _epochOf(h.slot))) continue;
            if (rollup.scoreOf(stakers[i], h.slot) >= threshold) return stakers[i];
        }
        revert("everyone is in the committee");
    }

    /// @notice An active staker in the block's round-1 committee.
    function _inCommittee(MessagesLib.Header memory h) internal view returns (address) {
        uint256 threshold = _roundThreshold(1, h);
        for (uint256 i; i < stakers.length; ++i) {
            if (!staking.isActive(stakers[i], _epochOf(h.slot))) continue;
            if (rollup.scoreOf(stakers[i], h.slot) < threshold) return stakers[i];
        }
        revert("empty committee");
    }

    /// @notice A fresh, never registered key whose score in `slot` is below `threshold`; its key is added to `keyOf`.
    function _freshKeyBelow(uint256 slot, uint256 threshold) internal returns (address addr) {
        for (uint256 i; i < 256; ++i) {
            uint256 key = uint256(keccak256(abi.encode("unit.fresh", _freshNonce++))) % SECP256K1_ORDER;
            addr = vm.addr(key);
            if (rollup.scoreOf(addr, slot) < threshold) {
                keyOf[addr] = key;
                return addr;
            }
        }
        revert("no fresh key");
    }

    /// @notice Round-1 job on `prover`'s path in block `h` (round-local index).
    function _ownJob(address prover, MessagesLib.Header memory h, uint256 round) internal view returns (uint256) {
        return SortitionLib.jobOnPath(rollup.scoreOf(prover, h.slot), round, h.height, rollup.roundHeight());
    }

    // ------------------------------------------------------------------ signing

    function _signAttestation(address signer, uint256 slot, bytes32 hash)
        internal
        view
        returns (IRollup.Signature memory)
    {
        return _signCompact(signer, MessagesLib.attestationDigest(rollup.domainSeparator(), slot, hash));
    }

    /// @notice A JobResult signature by `signer` (whatever prover it is later filed under).
    function _signResult(address signer, bytes32 blockHash, uint256 job, bytes32 output)
        internal
        view
        returns (Contribution memory c)
    {
        bytes32 digest = MessagesLib.jobResultDigest(rollup.domainSeparator(), blockHash, job, output);
        c.job = uint32(job);
        (c.r, c.vs) = vm.signCompact(keyOf[signer], digest);
    }

    /// @notice Proposal args and attestations of the whole committee for a block by `proposer` in the current slot.
    function _proposal(address proposer, uint256 slot, bytes32 txRoot, uint8 height)
        internal
        view
        returns (IRollup.ProposeArgs memory args, IRollup.Signature[] memory sigs, MessagesLib.Header memory h)
    {
        h = _headerFor(proposer, slot, txRoot, height);
        sigs = _attestations(_attesters(slot), slot, MessagesLib.blockHash(h));
        args = IRollup.ProposeArgs({slot: uint64(slot), txRoot: txRoot, height: height});
    }

    /// @notice The revert data the rollup's attestation check produces for `sigs` over (`slot`, `hash`), or empty if
    ///         they would pass. Mirrors Rollup._verifyAttestations; used to assert replayed signatures fail exactly.
    function _attestationRevert(uint256 slot, bytes32 hash, IRollup.Signature[] memory sigs)
        internal
        view
        returns (bytes memory)
    {
        uint256 quorum = rollup.attestationQuorum();
        if (sigs.length < quorum) {
            return abi.encodeWithSelector(Errors.Rollup__TooFewAttestations.selector, sigs.length, quorum);
        }
        bytes32 digest = MessagesLib.attestationDigest(rollup.domainSeparator(), slot, hash);
        uint256 threshold = _attestationThreshold(slot);
        address[] memory signers = new address[](sigs.length);
        address previous;
        for (uint256 i; i < sigs.length; ++i) {
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, sigs[i].r, sigs[i].vs);
            if (err != ECDSA.RecoverError.NoError) {
                return abi.encodeWithSelector(Errors.Rollup__InvalidSignature.selector);
            }
            if (signer <= previous) {
                return abi.encodeWithSelector(Errors.Rollup__AttestersNotAscending.selector, previous, signer);
            }
            previous = signer;
            uint256 s = rollup.scoreOf(signer, slot);
            if (s >= threshold) {
                return abi.encodeWithSelector(Errors.Rollup__AttesterNotInCommittee.selector, signer, s, threshold);
            }
            signers[i] = signer;
        }
        for (uint256 i; i < signers.length; ++i) {
            if (!staking.isActive(signers[i], _epochOf(slot))) {
                return abi.encodeWithSelector(Errors.Rollup__NotActive.selector, signers[i], _epochOf(slot));
            }
        }
        return "";
    }

    // ------------------------------------------------------------------ trees and claims

    /// @notice Positional siblings (bottom-up) of the node at `level`, `index` of the tree over `leaves`.
    function _siblings(bytes32[] memory leaves, uint256 level, uint256 index)
        internal
        pure
        returns (bytes32[] memory siblings)
    {
        bytes32[] memory nodes = leaves;
        uint256 height;
        while ((uint256(1) << height) < leaves.length) ++height;
        for (uint256 l; l < level; ++l) {
            nodes = _up(nodes);
        }
        siblings = new bytes32[](height - level);
        for (uint256 i; i < siblings.length; ++i) {
            siblings[i] = nodes[index ^ 1];
            nodes = _up(nodes);
            index >>= 1;
        }
    }

    function _up(bytes32[] memory nodes) internal pure returns (bytes32[] memory up) {
        up = new bytes32[](nodes.length / 2);
        for (uint256 i; i < up.length; ++i) {
            up[i] = TreeLib.node(nodes[2 * i], nodes[2 * i + 1]);
        }
    }

    function _claimItem(uint256 number, Credit[] memory credits, uint256 i)
        internal
        pure
        returns (IRollup.ClaimItem memory)
    {
        return IRollup.ClaimItem({
            blockNumber: uint64(number), cost: uint64(credits[i].cost), proof: _rewardProof(credits, i)
        });
    }

    function _oneItem(uint256 number, Credit[] memory credits, uint256 i)
        internal
        pure
        returns (IRollup.ClaimItem[] memory items)
    {
        items = new IRollup.ClaimItem[](1);
        items[0] = _claimItem(number, credits, i);
    }

    function _indexOf(Credit[] memory credits, address prover) internal pure returns (uint256) {
        for (uint256 i; i < credits.length; ++i) {
            if (credits[i].prover == prover) return i;
        }
        return type(uint256).max;
    }

    function _totalProverCost(uint256 height) internal view returns (uint256) {
        return SortitionLib.totalProverCost(height, rollup.roundHeight(), rollup.costWeights());
    }

    function _jobCost(uint256 job, uint256 height) internal view returns (uint256) {
        (uint256 round,) = SortitionLib.roundOf(job, height, rollup.roundHeight());
        return SortitionLib.jobCost(round, height, rollup.roundHeight(), rollup.costWeights());
    }

    function _creditedCost(Credit[] memory credits) internal pure returns (uint256 c) {
        for (uint256 i; i < credits.length; ++i) {
            c += credits[i].cost;
        }
    }

    /// @notice Committee jobs of a block of `height` (every job but the root).
    function _committeeJobs(uint256 height) internal view returns (uint256) {
        return SortitionLib.proverJobs(height, rollup.roundHeight());
    }

    /// @notice B^Submitter of a block of `height` with `creditedJobs` credited committee jobs (full pool).
    function _submitterDue(uint256 creditedJobs, uint256 height) internal view returns (uint256) {
        return SUBMITTER_REWARD * creditedJobs / _committeeJobs(height);
    }

    /// @notice B^Sequencer of a block of `height` with `creditedJobs` credited committee jobs (full pool).
    function _sequencerDue(uint256 creditedJobs, uint256 height) internal view returns (uint256) {
        return SEQUENCER_BASE + SEQUENCER_COVERAGE * creditedJobs / _committeeJobs(height);
    }

    function _contributionCount(Credit[] memory credits) internal pure returns (uint256 c) {
        for (uint256 i; i < credits.length; ++i) {
            c += credits[i].jobs.length;
        }
    }

    // ------------------------------------------------------------------ crafted transcripts

    /// @notice The signed work behind honest `credits` of block `h` (each prover signs its own jobs).
    function _workOf(MessagesLib.Header memory h, bytes32[] memory outputs, Credit[] memory credits)
        internal
        view
        returns (ProverWork[] memory work)
    {
        bytes32 hash = MessagesLib.blockHash(h);
        work = new ProverWork[](credits.length);
        for (uint256 p; p < credits.length; ++p) {
            work[p].prover = credits[p].prover;
            work[p].contributions = new Contribution[](credits[p].jobs.length);
            for (uint256 k; k < credits[p].jobs.length; ++k) {
                uint256 job = credits[p].jobs[k];
                work[p].contributions[k] = _signResult(credits[p].prover, hash, job, outputs[job]);
            }
        }
    }

    /// @notice One prover's work: `signer` signs each of `jobs`, filed under `prover`.
    function _single(
        address prover,
        address signer,
        MessagesLib.Header memory h,
        bytes32[] memory outputs,
        uint256[] memory jobs
    ) internal view returns (ProverWork memory w) {
        bytes32 hash = MessagesLib.blockHash(h);
        w.prover = prover;
        w.contributions = new Contribution[](jobs.length);
        for (uint256 k; k < jobs.length; ++k) {
            w.contributions[k] = _signResult(signer, hash, jobs[k], outputs[jobs[k]]);
        }
    }

    function _one(uint256 x) internal pure returns (uint256[] memory a) {
        a = new uint256[](1);
        a[0] = x;
    }

    function _works(ProverWork memory a) internal pure returns (ProverWork[] memory w) {
        w = new ProverWork[](1);
        w[0] = a;
    }

    function _works(ProverWork memory a, ProverWork memory b) internal pure returns (ProverWork[] memory w) {
        w = new ProverWork[](2);
        w[0] = a;
        w[1] = b;
    }

    /// @notice A crafted transcript, encoded by SPNTest's `_encodeTranscript` (the fixture owns the byte layout).
    function _encodeProof(bytes32[] memory outputs, ProverWork[] memory work) internal pure returns (bytes memory) {
        return _encodeTranscript(outputs, work);
    }

    /// @notice Calldata position of the proof's first byte inside the rollup's `verifier.verify(ctx, proof)` call (the
    ///         positions Transcript__Malformed reports are absolute): selector, the static context, the offset word and
    ///         the length word.
    function _proofDataOffset() internal pure returns (uint256) {
        IProofVerifier.VerifyContext memory ctx;
        return 4 + abi.encode(ctx).length + 32 + 32;
    }
}
