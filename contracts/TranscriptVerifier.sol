// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProofVerifier} from "./interfaces/IProofVerifier.sol";
import {Errors} from "./libraries/Errors.sol";
import {MessagesLib} from "./libraries/MessagesLib.sol";
import {SortitionLib} from "./libraries/SortitionLib.sol";
import {TranscriptLib} from "./libraries/TranscriptLib.sol";
import {TreeLib} from "./libraries/TreeLib.sol";

/// @title TranscriptVerifier
/// @notice Verifies a block's proof as the transcript of signed job results its proving committee produced.
/// @dev Real rollup circuits are simulated: a job's output is the Merkle root of its subtree of transaction hashes,
///      and each result is signed with the prover's staking key (the seed's "secret key baked into the proof"), so a
///      copied result pays only its signer. Checks (docs/PROTOCOL.md §12):
///      1. `outputs` has one entry per job and hashes up, round by round, to the committed transaction root;
///      2. provers are strictly ascending (distinct), each with at least one contribution, all active in the epoch;
///      3. each contribution names a committee job not yet contributed, in a round whose committee the prover is in,
///         inside the prover's neighbourhood, signed by the prover over JobResult(blockHash, job, output).
///      Returns the rewards commitment over (prover, credited cost) leaves in transcript order.
///      The proof is the packed encoding of TranscriptLib, read in place from calldata.
contract TranscriptVerifier is IProofVerifier {
    /// @notice The schedule of one block, computed once per verification from SortitionLib (indexed by round).
    struct Schedule {
        uint256 rounds;
        uint256 proverJobs;
        uint256 leafMask;
        uint256[] levels;
        uint256[] offsets;
        uint256[] thresholds;
        uint256[] costs;
    }

    /// @notice What the prover section of a transcript adds up to.
    struct Tally {
        address[] keys;
        bytes32[] leaves;
        /// @dev Memory bitmap of contributed jobs.
        uint256[] taken;
        uint256 credited;
        uint256 contributions;
    }

    /// @inheritdoc IProofVerifier
    function verify(VerifyContext calldata ctx, bytes calldata proof) external view returns (VerifiedWork memory w) {
        Schedule memory s = schedule(ctx);
        TranscriptLib.Reader memory rd = TranscriptLib.open(proof);
        uint256 outputs = TranscriptLib.readOutputs(rd, s.offsets[s.rounds + 1]);
        _checkOutputs(outputs, ctx.txRoot, s);

        Tally memory t = _readProvers(rd, outputs, ctx, s);
        TranscriptLib.close(rd);

        // One call for every prover's staker record.
        uint256 inactive = ctx.staking.firstInactive(t.keys, ctx.epoch);
        if (inactive != t.keys.length) revert Errors.Transcript__ProverNotActive(t.keys[inactive]);

        w.rewardsRoot = TreeLib.commutativeRoot(t.leaves);
        w.creditedCost = t.credited;
        w.distinctProvers = t.keys.length;
        w.unfilledJobs = s.proverJobs - t.contributions;
    }

    /// @notice The per-round schedule of the block in `ctx` (levels, offsets, thresholds, costs by round, 1-based).
    function schedule(VerifyContext calldata ctx) public pure returns (Schedule memory s) {
        uint256 height = ctx.height;
        uint256 m = ctx.roundHeight;
        SortitionLib.CostWeights memory weights = ctx.costs;
        s.rounds = SortitionLib.rounds(height, m);
        s.leafMask = (1 << height) - 1;
        s.levels = new uint256[](s.rounds + 1);
        s.offsets = new uint256[](s.rounds + 2);
        s.thresholds = new uint256[](s.rounds + 1);
        s.costs = new uint256[](s.rounds + 1);
        for (uint256 r = 1; r <= s.rounds; ++r) {
            s.levels[r] = SortitionLib.level(r, height, m);
            s.offsets[r + 1] = s.offsets[r] + SortitionLib.jobs(r, height, m);
            s.thresholds[r] = SortitionLib.roundThreshold(r, height, m, ctx.redundancy, ctx.activeCount);
            s.costs[r] = SortitionLib.jobCost(r, height, m, weights);
        }
        s.proverJobs = s.offsets[s.rounds];
    }

    /// @dev Round 1 outputs cannot be checked against leaves L1 never sees, but every later output must be the root of
    ///      its children, and the last must be the committed root: a valid chain pins every output by collision
    ///      resistance. `outputs` is the calldata offset of the first output.
    function _checkOutputs(uint256 outputs, bytes32 txRoot, Schedule memory s) internal pure {
        // Widest merge is 2^m children, hashed into 2^(m-1) words.
        bytes32[] memory scratch = new bytes32[](1 << s.levels[1]);
        for (uint256 r = 2; r <= s.rounds; ++r) {
            uint256 width = 1 << (s.levels[r] - s.levels[r - 1]);
            uint256 children = outputs + 32 * s.offsets[r - 1];
            uint256 count = s.offsets[r + 1] - s.offsets[r];
            for (uint256 j; j < count; ++j) {
                bytes32 expected = TreeLib.subtreeRootAt(children + 32 * j * width, width, scratch);
                bytes32 actual = TranscriptLib.outputAt(outputs, s.offsets[r] + j);
                if (expected != actual) revert Errors.Transcript__OutputMismatch(r, j, expected, actual);
            }
        }
        bytes32 root = TranscriptLib.outputAt(outputs, s.offsets[s.rounds + 1] - 1);
        require(root == txRoot, Errors.Transcript__OutputMismatch(s.rounds, 0, txRoot, root));
    }

    /// @dev Reads every prover: strictly ascending (hence distinct), each with at least one valid contribution.
    function _readProvers(
        TranscriptLib.Reader memory rd,
        uint256 outputs,
        VerifyContext calldata ctx,
        Schedule memory s
    ) internal view returns (Tally memory t) {
        uint256 proverCount = TranscriptLib.readCount(rd);
        // Each prover takes at least one header and one contribution: reject a count the bytes cannot hold before
        // allocating for it.
        TranscriptLib.require_(rd, proverCount * (TranscriptLib.PROVER_HEADER_BYTES + TranscriptLib.CONTRIBUTION_BYTES));
        t.keys = new address[](proverCount);
        t.leaves = new bytes32[](proverCount);
        t.taken = new uint256[]((s.proverJobs >> 8) + 1);
        address previous;
        for (uint256 i; i < proverCount; ++i) {
            (address prover, uint256 count) = TranscriptLib.readProver(rd);
            if (prover <= previous) revert Errors.Transcript__ProversNotAscending(previous, prover);
            if (count == 0) revert Errors.Transcript__EmptyContributions(prover);
            t.keys[i] = previous = prover;
            uint256 cost = _proverCost(rd, prover, count, outputs, ctx, s, t.taken);
            t.leaves[i] = TreeLib.rewardLeaf(prover, cost);
            t.credited += cost;
            t.contributions += count;
        }
    }

    /// @dev Checks the next `count` contributions (all by `prover`) and returns their summed cost. `taken` is a memory
    ///      bitmap of contributed jobs.
    function _proverCost(
        TranscriptLib.Reader memory rd,
        address prover,
        uint256 count,
        uint256 outputs,
        VerifyContext calldata ctx,
        Schedule memory s,
        uint256[] memory taken
    ) internal view returns (uint256 cost) {
        uint256 proverScore = SortitionLib.score(prover, ctx.slotSeed);
        // Bounded loop and sums (count < 2^16, costs < 2^64): no overflow checks in the hot path.
        unchecked {
            for (uint256 k; k < count; ++k) {
                (uint256 job, bytes32 r, bytes32 vs) = TranscriptLib.readContribution(rd);
                cost += _at(s.costs, _eligibleRound(job, prover, proverScore, ctx.neighbourhood, s, taken));
                _checkSigned(ctx, TranscriptLib.outputAt(outputs, job), prover, job, r, vs);
            }
        }
    }

    /// @dev The prover's staking key signed JobResult(blockHash, job, output) under the rollup's domain.
    function _checkSigned(VerifyContext calldata ctx, bytes32 output, address prover, uint256 job, bytes32 r, bytes32 vs)
        internal
        view
    {
        bytes32 digest = MessagesLib.jobResultDigest(ctx.domainSeparator, ctx.blockHash, job, output);
        if (TranscriptLib.recover(digest, r, vs) != prover) revert Errors.Transcript__BadJobSignature(prover, job);
    }

    /// @dev Marks `job` taken and returns its round after checking the prover may be credited for it: a committee job
    ///      not yet contributed, in a round whose committee the prover is in, inside its neighbourhood.
    function _eligibleRound(
        uint256 job,
        address prover,
        uint256 proverScore,
        uint256 neighbourhood,
        Schedule memory s,
        uint256[] memory taken
    ) internal pure returns (uint256 r) {
        if (job >= s.proverJobs) revert Errors.Transcript__JobOutOfRange(job, s.proverJobs);
        // From here every index is in range: job < proverJobs sizes `taken`, and the round search stops at
        // r < rounds because offsets[rounds] == proverJobs, so reads skip the bounds checks.
        uint256 bit = 1 << (job & 0xff);
        uint256 word = _at(taken, job >> 8);
        if (word & bit != 0) revert Errors.Transcript__JobAlreadyContributed(job);
        _put(taken, job >> 8, word | bit);

        uint256[] memory offsets = s.offsets;
        r = 1;
        unchecked {
            while (job >= _at(offsets, r + 1)) ++r;
        }
        if (proverScore >= _at(s.thresholds, r)) revert Errors.Transcript__NotInCommittee(prover, r);
        uint256 index = job - _at(offsets, r);
        uint256 ownJob = (proverScore & s.leafMask) >> _at(s.levels, r);
        if (!SortitionLib.inNeighbourhood(index, ownJob, neighbourhood)) {
            revert Errors.Transcript__OutsideNeighbourhood(prover, r, index, ownJob);
        }
    }

    /// @dev a[i] without the bounds check; callers guarantee i < a.length.
    function _at(uint256[] memory a, uint256 i) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := mload(add(add(a, 0x20), shl(5, i)))
        }
    }

    /// @dev a[i] = v without the bounds check; callers guarantee i < a.length.
    function _put(uint256[] memory a, uint256 i, uint256 v) private pure {
        assembly ("memory-safe") {
            mstore(add(add(a, 0x20), shl(5, i)), v)
        }
    }
}
