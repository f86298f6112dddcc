// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {IProofVerifier} from "./interfaces/IProofVerifier.sol";
import {Errors} from "./libraries/Errors.sol";
import {MessagesLib} from "./libraries/MessagesLib.sol";
import {SortitionLib} from "./libraries/SortitionLib.sol";
import {TreeLib} from "./libraries/TreeLib.sol";

/// @title TranscriptVerifier
/// @notice Verifies a block's proof as the transcript of signed job results its proving committee produced.
/// @dev Real rollup circuits are simulated: a job's output is the Merkle root of its subtree of transaction hashes,
///      and each result is signed with the prover's staking key (the seed's "secret key baked into the proof"), so a
///      copied result pays only its signer. Checks, in order (docs/PROTOCOL.md §7):
///      1. `outputs` has one entry per job and hashes up, round by round, to the committed transaction root;
///      2. provers are strictly ascending (distinct) and each is active in the block's epoch;
///      3. each contribution names a committee job not yet contributed, in a round whose committee the prover is in,
///         inside the prover's neighbourhood, signed by the prover over JobResult(blockHash, job, output).
///      Returns the rewards commitment over (prover, credited cost) leaves in transcript order.
contract TranscriptVerifier is IProofVerifier {
    /// @notice One signed job result: global job id and the compact (EIP-2098) signature over JobResult.
    struct Contribution {
        uint32 job;
        bytes32 r;
        bytes32 vs;
    }

    /// @notice All contributions of one prover.
    struct ProverWork {
        address prover;
        Contribution[] contributions;
    }

    /// @notice The proof format this verifier accepts: `abi.encode(Transcript)`.
    struct Transcript {
        bytes32[] outputs;
        ProverWork[] provers;
    }

    /// @notice The schedule of one block, computed once per verification from SortitionLib.
    struct Schedule {
        uint256 rounds;
        uint256 proverJobs;
        uint256 leafMask;
        uint256[] levels;
        uint256[] offsets;
        uint256[] thresholds;
        uint256[] costs;
    }

    /// @inheritdoc IProofVerifier
    function verify(VerifyContext calldata ctx, bytes calldata proof) external view returns (VerifiedWork memory w) {
        Transcript calldata t = _decode(proof);
        Schedule memory s = schedule(ctx);
        _checkOutputs(t.outputs, ctx.txRoot, s);
        uint256 contributions;
        (w.rewardsRoot, w.creditedCost, contributions) = _checkContributions(t, ctx, s);
        w.distinctProvers = t.provers.length;
        w.unfilledJobs = s.proverJobs - contributions;
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

    /// @dev `proof` is `abi.encode(Transcript)`; read it in place instead of copying it to memory. Out-of-bounds
    ///      offsets make the calldata accessors revert.
    function _decode(bytes calldata proof) internal pure returns (Transcript calldata t) {
        assembly {
            t := add(proof.offset, calldataload(proof.offset))
        }
    }

    /// @dev Round 1 outputs cannot be checked against leaves L1 never sees, but every later output must be the root of
    ///      its children, and the last must be the committed root: a valid chain pins every output by collision
    ///      resistance.
    function _checkOutputs(bytes32[] calldata outputs, bytes32 txRoot, Schedule memory s) internal pure {
        uint256 total = s.offsets[s.rounds + 1];
        require(outputs.length == total, Errors.Transcript__OutputsLength(total, outputs.length));
        for (uint256 r = 2; r <= s.rounds; ++r) {
            uint256 width = 1 << (s.levels[r] - s.levels[r - 1]);
            uint256 count = s.offsets[r + 1] - s.offsets[r];
            for (uint256 j; j < count; ++j) {
                bytes32 expected = TreeLib.subtreeRoot(outputs, s.offsets[r - 1] + j * width, width);
                bytes32 actual = outputs[s.offsets[r] + j];
                require(expected == actual, Errors.Transcript__OutputMismatch(r, j, expected, actual));
            }
        }
        bytes32 root = outputs[total - 1];
        require(root == txRoot, Errors.Transcript__OutputMismatch(s.rounds, 0, txRoot, root));
    }

    function _checkContributions(Transcript calldata t, VerifyContext calldata ctx, Schedule memory s)
        internal
        view
        returns (bytes32 rewardsRoot, uint256 credited, uint256 contributions)
    {
        uint256 proverCount = t.provers.length;
        bytes32[] memory leaves = new bytes32[](proverCount);
        uint256[] memory taken = new uint256[]((s.proverJobs >> 8) + 1);
        _checkProvers(t.provers, ctx);
        for (uint256 i; i < proverCount; ++i) {
            ProverWork calldata work = t.provers[i];
            address prover = work.prover;
            uint256 cost = _proverCost(work, t.outputs, ctx, s, taken);
            contributions += work.contributions.length;
            credited += cost;
            leaves[i] = TreeLib.rewardLeaf(prover, cost);
        }
        rewardsRoot = TreeLib.commutativeRoot(leaves);
    }

    /// @dev Provers strictly ascending (hence distinct), each with work, all active: one Staking call for all records.
    function _checkProvers(ProverWork[] calldata provers, VerifyContext calldata ctx) internal view {
        address[] memory keys = new address[](provers.length);
        address previous;
        for (uint256 i; i < provers.length; ++i) {
            address prover = provers[i].prover;
            require(prover > previous, Errors.Transcript__ProversNotAscending(previous, prover));
            require(provers[i].contributions.length > 0, Errors.Transcript__EmptyContributions(prover));
            keys[i] = previous = prover;
        }
        uint256 inactive = ctx.staking.firstInactive(keys, ctx.epoch);
        if (inactive != keys.length) revert Errors.Transcript__ProverNotActive(keys[inactive]);
    }

    /// @dev Checks every contribution of one prover and returns their summed cost. `taken` is a memory bitmap of
    ///      contributed jobs.
    function _proverCost(
        ProverWork calldata work,
        bytes32[] calldata outputs,
        VerifyContext calldata ctx,
        Schedule memory s,
        uint256[] memory taken
    ) internal view returns (uint256 cost) {
        address prover = work.prover;
        uint256 proverScore = SortitionLib.score(prover, ctx.slotSeed);
        for (uint256 k; k < work.contributions.length; ++k) {
            Contribution calldata c = work.contributions[k];
            uint256 job = c.job;
            uint256 r = _eligibleRound(job, prover, proverScore, ctx.neighbourhood, s, taken);
            _checkSignature(ctx, c, prover, outputs[job]);
            cost += s.costs[r];
        }
    }

    /// @dev The prover's staking key signed JobResult(blockHash, job, output) under the rollup's domain.
    function _checkSignature(VerifyContext calldata ctx, Contribution calldata c, address prover, bytes32 output)
        internal
        view
    {
        bytes32 digest = MessagesLib.jobResultDigest(ctx.domainSeparator, ctx.blockHash, c.job, output);
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, c.r, c.vs);
        require(
            err == ECDSA.RecoverError.NoError && signer == prover, Errors.Transcript__BadJobSignature(prover, c.job)
        );
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
        require(job < s.proverJobs, Errors.Transcript__JobOutOfRange(job, s.proverJobs));
        uint256 bit = 1 << (job & 0xff);
        uint256 word = taken[job >> 8];
        require(word & bit == 0, Errors.Transcript__JobAlreadyContributed(job));
        taken[job >> 8] = word | bit;

        r = 1;
        while (job >= s.offsets[r + 1]) ++r;
        require(proverScore < s.thresholds[r], Errors.Transcript__NotInCommittee(prover, r));
        uint256 index = job - s.offsets[r];
        uint256 ownJob = (proverScore & s.leafMask) >> s.levels[r];
        require(
            SortitionLib.inNeighbourhood(index, ownJob, neighbourhood),
            Errors.Transcript__OutsideNeighbourhood(prover, r, index, ownJob)
        );
    }
}
