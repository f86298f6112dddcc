// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProofVerifier} from "./interfaces/IProofVerifier.sol";
import {IStaking} from "./interfaces/IStaking.sol";
import {Errors} from "./libraries/Errors.sol";
import {MessagesLib} from "./libraries/MessagesLib.sol";
import {SortitionLib} from "./libraries/SortitionLib.sol";
import {SECP256K1N_HALF, TranscriptLib} from "./libraries/TranscriptLib.sol";
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
    /// @notice One round of a block's schedule (docs/PROTOCOL.md §8): its jobs are the global ids
    ///         [firstJob, endJob), each of 2^level leaves, done by stakers scoring below `threshold` for `cost` each.
    struct Round {
        uint256 firstJob;
        uint256 endJob;
        uint256 level;
        uint256 threshold;
        uint256 cost;
    }

    /// @notice The schedule of one block, computed once per verification from SortitionLib. `rounds[r - 1]` is round
    ///         r; the last round is the sequencer's root job, so committee jobs are [0, proverJobs).
    struct Schedule {
        uint256 proverJobs;
        uint256 totalJobs;
        uint256 leafMask;
        Round[] rounds;
    }

    /// @notice What the prover section of a transcript adds up to.
    struct Tally {
        address[] keys;
        bytes32[] leaves;
        /// @dev One byte per committee job, nonzero once contributed.
        bytes taken;
        uint256 credited;
        uint256 contributions;
    }

    /// @inheritdoc IProofVerifier
    function verify(VerifyContext calldata ctx, bytes calldata proof) external view returns (VerifiedWork memory w) {
        _reserveFrame();
        Schedule memory s = schedule(ctx);
        TranscriptLib.Reader memory rd = TranscriptLib.open(proof);
        uint256 outputs = TranscriptLib.readOutputs(rd, s.totalJobs);
        _checkOutputs(outputs, ctx.txRoot, s);

        Tally memory t = _readProvers(rd, outputs, ctx, s);
        TranscriptLib.close(rd);

        // One call for every prover's staker record.
        uint256 inactive = _firstInactive(ctx.staking, t.keys);
        if (inactive != t.keys.length) revert Errors.Transcript__ProverNotActive(t.keys[inactive]);

        w.rewardsRoot = TreeLib.commutativeRoot(t.leaves);
        w.creditedCost = t.credited;
        w.distinctProvers = t.keys.length;
        w.unfilledJobs = s.proverJobs - t.contributions;
    }

    /// @notice Largest block height the verifier accepts, the Rollup's bound on `maxHeight` (docs/PROTOCOL.md §4):
    ///         job ids fit the transcript's uint32 and the `taken` bytes stay allocatable.
    uint256 internal constant MAX_HEIGHT = 24;

    /// @notice The per-round schedule of the block in `ctx`.
    /// @dev Checks the context's own preconditions first, since the verifier sits behind an interface and must not rely
    ///      on the Rollup's parameter checks (docs/PROTOCOL.md §12.4): roundHeight > 0; at least two rounds, so that
    ///      round 1 is a committee round and `taken` (one byte per committee job) is not empty; height <= MAX_HEIGHT;
    ///      and totalProverCost < 2^64, so every credited cost fits the rewards leaf's uint64 (a prover's cost and the
    ///      credited sum are at most totalProverCost, each committee job being credited once).
    function schedule(VerifyContext calldata ctx) public pure returns (Schedule memory s) {
        uint256 height = ctx.height;
        uint256 m = ctx.roundHeight;
        require(m != 0, Errors.Transcript__ZeroRoundHeight());
        require(height > m, Errors.Transcript__TooFewRounds(height, m));
        require(height <= MAX_HEIGHT, Errors.Transcript__HeightTooLarge(height, MAX_HEIGHT));
        SortitionLib.CostWeights memory weights = ctx.costs;
        uint256 count = SortitionLib.rounds(height, m);
        s.leafMask = (1 << height) - 1;
        s.rounds = new Round[](count);
        uint256 next;
        for (uint256 r = 1; r <= count; ++r) {
            Round memory round = s.rounds[r - 1];
            round.firstJob = next;
            next += SortitionLib.jobs(r, height, m);
            round.endJob = next;
            round.level = SortitionLib.level(r, height, m);
            round.threshold = SortitionLib.roundThreshold(r, height, m, ctx.redundancy, ctx.activeCount);
            round.cost = SortitionLib.jobCost(r, height, m, weights);
        }
        s.totalJobs = next;
        s.proverJobs = s.rounds[count - 1].firstJob;
        if (!_committeeCostFits(s.rounds)) {
            // Off the common path: the exact total from the library (checked, so a total past 2^256 panics).
            uint256 total = SortitionLib.totalProverCost(height, m, weights);
            revert Errors.Transcript__ProverCostTooLarge(total, type(uint64).max);
        }
    }

    /// @dev Whether SortitionLib.totalProverCost, the cost of every committee job (rounds 1..K-1), is below 2^64.
    ///      Unchecked: while every committee round's cost is below 2^64 (`wide` stays zero), each of at most 24 terms
    ///      is below 2^24 * 2^64, so the sum cannot wrap.
    function _committeeCostFits(Round[] memory rounds) private pure returns (bool) {
        uint256 total;
        uint256 wide;
        unchecked {
            for (uint256 i = 1; i < rounds.length; ++i) {
                Round memory round = rounds[i - 1];
                total += (round.endJob - round.firstJob) * round.cost;
                wide |= round.cost >> 64;
            }
        }
        return wide == 0 && total <= type(uint64).max;
    }

    /// @dev Round 1 outputs cannot be checked against leaves L1 never sees, but every later output must be the root of
    ///      its children, and the last must be the committed root: a valid chain pins every output by collision
    ///      resistance. `outputs` is the calldata offset of the first output.
    function _checkOutputs(uint256 outputs, bytes32 txRoot, Schedule memory s) internal pure {
        Round[] memory rounds = s.rounds;
        // Widest merge is 2^m children, hashed into 2^(m-1) words.
        bytes32[] memory scratch = new bytes32[](1 << rounds[0].level);
        for (uint256 r = 2; r <= rounds.length; ++r) {
            Round memory children = rounds[r - 2];
            Round memory round = rounds[r - 1];
            uint256 width = 1 << (round.level - children.level);
            uint256 firstChild = outputs + 32 * children.firstJob;
            for (uint256 j; j < round.endJob - round.firstJob; ++j) {
                bytes32 expected = TreeLib.subtreeRootAt(firstChild + 32 * j * width, width, scratch);
                bytes32 actual = TranscriptLib.outputAt(outputs, round.firstJob + j);
                if (expected != actual) revert Errors.Transcript__OutputMismatch(r, j, expected, actual);
            }
        }
        bytes32 root = TranscriptLib.outputAt(outputs, s.totalJobs - 1);
        require(root == txRoot, Errors.Transcript__OutputMismatch(rounds.length, 0, txRoot, root));
    }

    // The memory frame of the prover loop, at the fixed address FRAME: what it reads at fixed byte offsets, so that
    // every access is one constant address. The first words are the preimages of the two EIP-712 hashes of
    // MessagesLib.jobResultDigest and the ecrecover input, so per contribution only the changing words are written:
    //   structHash = keccak256(frame[0x00..0x80]) = keccak256(JOB_RESULT_TYPEHASH ‖ blockHash ‖ job ‖ output)
    //   digest     = keccak256(frame[0x9e..0xe0]) = keccak256("\x19\x01" ‖ domainSeparator ‖ structHash)
    //   signer     = ecrecover(frame[0xe0..0x160]) = ecrecover(digest ‖ v ‖ r ‖ s)
    uint256 private constant F_JOB = 0x40;
    uint256 private constant F_OUTPUT = 0x60;
    /// @dev "\x19\x01" in the last two bytes of the word, then the domain separator and the struct hash.
    uint256 private constant F_PREFIX = 0x80;
    uint256 private constant F_DOMAIN = 0xa0;
    uint256 private constant F_STRUCT_HASH = 0xc0;
    /// @dev The ecrecover input, four words: digest, v, r, s.
    uint256 private constant F_DIGEST = 0xe0;
    uint256 private constant F_V = 0x100;
    uint256 private constant F_R = 0x120;
    uint256 private constant F_S = 0x140;
    // Read-only during the loop.
    /// @dev Calldata offset of outputs[0].
    uint256 private constant F_OUTPUTS = 0x160;
    uint256 private constant F_PROVER_JOBS = 0x180;
    uint256 private constant F_LEAF_MASK = 0x1a0;
    uint256 private constant F_NEIGHBOURHOOD = 0x1c0;
    /// @dev Memory address of the first element (a Round pointer) of Schedule.rounds, and that Round.
    uint256 private constant F_ROUNDS = 0x1e0;
    uint256 private constant F_ROUND_1 = 0x200;
    /// @dev Memory address of taken[0] (Tally.taken).
    uint256 private constant F_TAKEN = 0x220;
    /// @dev The sha256 input of a prover's score: the prover, written per prover, then the slot seed.
    uint256 private constant F_SCORE_PROVER = 0x240;
    uint256 private constant F_SLOT_SEED = 0x260;
    /// @dev Memory addresses of keys[0] and one past the last key; leaves[i] is at &keys[i] + F_LEAVES_DELTA.
    uint256 private constant F_KEYS = 0x280;
    uint256 private constant F_KEYS_END = 0x2a0;
    uint256 private constant F_LEAVES_DELTA = 0x2c0;
    /// @dev Calldata offset of the end of the proof.
    uint256 private constant F_END = 0x2e0;
    // Written once, when the loop ends.
    uint256 private constant F_CREDITED = 0x300;
    uint256 private constant F_FAULT = 0x320;
    uint256 private constant F_FAULT_PROVER = 0x340;
    uint256 private constant FRAME_BYTES = 0x360;
    /// @dev The frame's address: `verify`'s first allocation, right after the 0x80 bytes of the `VerifiedWork` it
    ///      returns, which Solidity allocates on entry at 0x80. `_reserveFrame` checks it.
    uint256 private constant FRAME = 0x100;

    // Why the prover loop stopped early (0: it did not).
    uint256 private constant FAULT_HEADER_TRUNCATED = 1;
    uint256 private constant FAULT_BODY_TRUNCATED = 2;
    uint256 private constant FAULT_NOT_ASCENDING = 3;
    uint256 private constant FAULT_EMPTY = 4;
    uint256 private constant FAULT_JOB_OUT_OF_RANGE = 5;
    uint256 private constant FAULT_JOB_TAKEN = 6;
    uint256 private constant FAULT_NOT_IN_COMMITTEE = 7;
    uint256 private constant FAULT_OUTSIDE_NEIGHBOURHOOD = 8;
    uint256 private constant FAULT_BAD_SIGNATURE = 9;

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
        t.keys = _newKeysCall(proverCount, ctx.epoch);
        t.leaves = new bytes32[](proverCount);
        t.taken = new bytes(s.proverJobs);
        _frame(ctx, s, outputs, t, rd.end);
        uint256 first = rd.cursor;
        uint256 at = _proverLoop(first);
        uint256 fault = _frameWord(F_FAULT);
        if (fault != 0) _reject(fault, at, rd.end, _frameWord(F_FAULT_PROVER), ctx, s, t.keys);
        rd.cursor = at;
        t.credited = _frameWord(F_CREDITED);
        // Every prover took a header and 68 bytes per contribution.
        t.contributions =
            (at - first - proverCount * TranscriptLib.PROVER_HEADER_BYTES) / TranscriptLib.CONTRIBUTION_BYTES;
    }

    /// @dev The hot loop of verification, over the prover section from calldata offset `at` (docs/PROTOCOL.md
    ///      §12, checks 2 and 3 except activity). In assembly because it runs once per contribution and per prover
    ///      of transcripts with hundreds of each; the values it needs are in the frame (F_*). It computes the rules of
    ///      the libraries inline, each marked with the function it stands for; tests check it against them and the
    ///      Rust crate against all of it. On the first failing check it stops with F_FAULT set, the returned offset on
    ///      the failing prover header or contribution and F_FAULT_PROVER the prover's index, and `_reject` names the
    ///      error. Otherwise it returns the end of the section with the keys, leaves and credited cost in memory.
    function _proverLoop(uint256 at) private view returns (uint256) {
        assembly ("memory-safe") {
            // The next key's slot; the prover's leaf is F_LEAVES_DELTA bytes further.
            let key := mload(add(FRAME, F_KEYS))
            let fault := 0
            let previous := 0
            let credited := 0
            for {} lt(key, mload(add(FRAME, F_KEYS_END))) { key := add(key, 0x20) } {
                // Header: address (20 bytes) ‖ contributionCount (uint16), then that many contributions. Calldata
                // reads past the end are zero, so the header is read first and its four checks take one branch; the
                // cold path names the first that fails, in the order of docs/PROTOCOL.md §12.
                // `last` holds the header word, then the end of the prover's contributions.
                let last := calldataload(at)
                {
                    let count := and(shr(80, last), 0xffff)
                    let bodyEnd := add(add(at, 22), mul(count, 68))
                    if or(
                        or(gt(add(at, 22), mload(add(FRAME, F_END))), iszero(gt(shr(96, last), previous))),
                        or(iszero(count), gt(bodyEnd, mload(add(FRAME, F_END))))
                    ) {
                        fault := FAULT_BODY_TRUNCATED
                        if iszero(count) { fault := FAULT_EMPTY }
                        if iszero(gt(shr(96, last), previous)) { fault := FAULT_NOT_ASCENDING }
                        if gt(add(at, 22), mload(add(FRAME, F_END))) { fault := FAULT_HEADER_TRUNCATED }
                        break
                    }
                    previous := shr(96, last)
                    last := bodyEnd
                }
                mstore(key, previous)
                // SortitionLib.score(prover, slotSeed) = sha256(prover ‖ slotSeed). The precompile fails only for
                // lack of gas, and then the prover's first ecrecover (3,000 gas) runs out too, reverting everything.
                mstore(add(FRAME, F_SCORE_PROVER), previous)
                pop(staticcall(gas(), 0x02, add(FRAME, F_SCORE_PROVER), 0x40, 0x00, 0x20))
                let score := mload(0x00)
                // The prover's leaf (SortitionLib.pathLeaf); its job in round r is ownLeaf >> level(r) (jobOnPath).
                let ownLeaf := and(score, mload(add(FRAME, F_LEAF_MASK)))
                let cost := 0
                for { at := add(at, 22) } lt(at, last) { at := add(at, 68) } {
                    // Contribution: job (uint32) ‖ r ‖ vs.
                    let job := shr(224, calldataload(at))
                    // The job's round: the first whose endJob is above it; `round` points at a Round. Round 1 holds
                    // most jobs, so it is tried first. A committee job is below proverJobs, the root round's
                    // firstJob, so the search for one in range stops before the root round.
                    let round := mload(add(FRAME, F_ROUND_1))
                    if iszero(lt(job, mload(add(round, 0x20)))) {
                        if iszero(lt(job, mload(add(FRAME, F_PROVER_JOBS)))) {
                            fault := FAULT_JOB_OUT_OF_RANGE
                            break
                        }
                        for { let slot := add(mload(add(FRAME, F_ROUNDS)), 0x20) } 1 { slot := add(slot, 0x20) } {
                            round := mload(slot)
                            if lt(job, mload(add(round, 0x20))) { break }
                        }
                    }
                    // One contribution per job (a memory byte per job, job < proverJobs, nonzero once taken); in the
                    // round's committee (score below SortitionLib.roundThreshold); inside the neighbourhood
                    // (SortitionLib.inNeighbourhood(index, ownJob, d): the same job once the low d bits are dropped,
                    // where index = job - firstJob and ownJob = ownLeaf >> level). One branch for the three; the cold
                    // path names the first that fails.
                    {
                        let flag := add(mload(add(FRAME, F_TAKEN)), job)
                        let d := mload(add(FRAME, F_NEIGHBOURHOOD))
                        if or(
                            or(byte(0, mload(flag)), iszero(lt(score, mload(add(round, 0x60))))),
                            xor(shr(d, sub(job, mload(round))), shr(d, shr(mload(add(round, 0x40)), ownLeaf)))
                        ) {
                            fault := FAULT_OUTSIDE_NEIGHBOURHOOD
                            if iszero(lt(score, mload(add(round, 0x60)))) { fault := FAULT_NOT_IN_COMMITTEE }
                            if byte(0, mload(flag)) { fault := FAULT_JOB_TAKEN }
                            break
                        }
                        mstore8(flag, 1)
                    }
                    // MessagesLib.jobResultDigest(domainSeparator, blockHash, job, outputs[job]).
                    mstore(add(FRAME, F_JOB), job)
                    mstore(add(FRAME, F_OUTPUT), calldataload(add(mload(add(FRAME, F_OUTPUTS)), shl(5, job))))
                    mstore(add(FRAME, F_STRUCT_HASH), keccak256(FRAME, 0x80))
                    mstore(add(FRAME, F_DIGEST), keccak256(add(FRAME, 0x9e), 0x42))
                    // TranscriptLib.recover(digest, r, vs) == prover: a malleable s (above secp256k1n / 2) is
                    // refused, and the precompile returns nothing for an invalid signature.
                    {
                        let vs := calldataload(add(at, 36))
                        mstore(add(FRAME, F_V), add(shr(255, vs), 27))
                        mstore(add(FRAME, F_R), calldataload(add(at, 4)))
                        vs := and(vs, 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff)
                        mstore(add(FRAME, F_S), vs)
                        // On an invalid signature (or a failed call) the precompile returns nothing, and 0x00 still
                        // holds an earlier word, so the signer is read only when it returned one.
                        pop(staticcall(gas(), 0x01, add(FRAME, F_DIGEST), 0x80, 0x00, 0x20))
                        if or(or(iszero(returndatasize()), gt(vs, SECP256K1N_HALF)), xor(mload(0x00), previous)) {
                            fault := FAULT_BAD_SIGNATURE
                            break
                        }
                    }
                    cost := add(cost, mload(add(round, 0x80)))
                }
                if fault { break }
                // TreeLib.rewardLeaf(prover, cost) = prover ‖ uint64 cost ‖ 4 zero bytes; cost < 2^64 (`schedule`'s bound).
                mstore(add(key, mload(add(FRAME, F_LEAVES_DELTA))), or(shl(96, previous), shl(32, cost)))
                credited := add(credited, cost)
            }
            mstore(add(FRAME, F_FAULT), fault)
            mstore(add(FRAME, F_CREDITED), credited)
            mstore(add(FRAME, F_FAULT_PROVER), shr(5, sub(key, mload(add(FRAME, F_KEYS)))))
        }
        return at;
    }

    /// @dev Allocates the provers' keys as the tail of a ready `IStaking.firstInactive(keys, epoch)` call, so the call
    ///      needs no copy of hundreds of keys. Layout from `callData = keys - 0x60`: the selector in the low four bytes of
    ///      the first word, the offset of `keys` (0x40), `epoch`, then `keys` itself (length, elements).
    function _newKeysCall(uint256 count, uint256 epoch) private pure returns (address[] memory keys) {
        bytes4 selector = IStaking.firstInactive.selector;
        assembly ("memory-safe") {
            let callData := mload(0x40)
            mstore(callData, shr(224, selector))
            mstore(add(callData, 0x20), 0x40)
            mstore(add(callData, 0x40), epoch)
            keys := add(callData, 0x60)
            mstore(keys, count)
            mstore(0x40, add(add(keys, 0x20), shl(5, count)))
        }
    }

    /// @dev `staking.firstInactive(keys, epoch)` over the call that `_newKeysCall` laid out around `keys`.
    function _firstInactive(IStaking staking, address[] memory keys) private view returns (uint256 index) {
        assembly ("memory-safe") {
            let callData := sub(keys, 0x60)
            let size := add(0x64, shl(5, mload(keys)))
            if iszero(staticcall(gas(), staking, add(callData, 0x1c), size, 0x00, 0x20)) {
                // Bubble the revert data from free memory: it may be longer than the 64 bytes of scratch space.
                let data := mload(0x40)
                returndatacopy(data, 0x00, returndatasize())
                revert(data, returndatasize())
            }
            if lt(returndatasize(), 0x20) { revert(0x00, 0x00) }
            index := mload(0x00)
        }
    }

    /// @dev Checks that the frame is at FRAME and allocates it. Called first in `verify`.
    function _reserveFrame() private pure {
        uint256 free;
        assembly ("memory-safe") {
            free := mload(0x40)
        }
        // Holds for the compiler's layout of `verify`; checked so that another layout cannot overwrite memory.
        assert(free == FRAME);
        assembly ("memory-safe") {
            mstore(0x40, add(FRAME, FRAME_BYTES))
        }
    }

    /// @dev Fills the frame of the prover loop (see F_*): the signed message's constant words and the block's context
    ///      here, the schedule and the tally's arrays in `_frameArrays`.
    function _frame(VerifyContext calldata ctx, Schedule memory s, uint256 outputs, Tally memory t, uint256 end)
        private
        pure
    {
        bytes32 typehash = MessagesLib.JOB_RESULT_TYPEHASH;
        bytes32 blockHash = ctx.blockHash;
        bytes32 domain = ctx.domainSeparator;
        bytes32 seed = ctx.slotSeed;
        uint256 d = ctx.neighbourhood;
        assembly ("memory-safe") {
            mstore(FRAME, typehash)
            mstore(add(FRAME, 0x20), blockHash)
            mstore(add(FRAME, F_PREFIX), 0x1901)
            mstore(add(FRAME, F_DOMAIN), domain)
            mstore(add(FRAME, F_OUTPUTS), outputs)
            mstore(add(FRAME, F_NEIGHBOURHOOD), d)
            mstore(add(FRAME, F_SLOT_SEED), seed)
            mstore(add(FRAME, F_END), end)
            mstore(add(FRAME, F_CREDITED), 0)
        }
        _frameArrays(s, t);
    }

    function _frameArrays(Schedule memory s, Tally memory t) private pure {
        uint256 proverJobs = s.proverJobs;
        uint256 leafMask = s.leafMask;
        Round[] memory rounds = s.rounds;
        Round memory first = rounds[0];
        bytes memory taken = t.taken;
        address[] memory keys = t.keys;
        bytes32[] memory leaves = t.leaves;
        assembly ("memory-safe") {
            mstore(add(FRAME, F_PROVER_JOBS), proverJobs)
            mstore(add(FRAME, F_LEAF_MASK), leafMask)
            mstore(add(FRAME, F_ROUNDS), add(rounds, 0x20))
            mstore(add(FRAME, F_ROUND_1), first)
            mstore(add(FRAME, F_TAKEN), add(taken, 0x20))
            mstore(add(FRAME, F_KEYS), add(keys, 0x20))
            mstore(add(FRAME, F_KEYS_END), add(add(keys, 0x20), shl(5, mload(keys))))
            mstore(add(FRAME, F_LEAVES_DELTA), sub(leaves, keys))
        }
    }

    function _frameWord(uint256 offset) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := mload(add(FRAME, offset))
        }
    }

    /// @dev Reverts with the error of the prover loop's `fault`, found at calldata offset `at` (the header of prover
    ///      `i`, or the failing contribution). Off the hot path: every value is recomputed from the libraries.
    function _reject(
        uint256 fault,
        uint256 at,
        uint256 end,
        uint256 i,
        VerifyContext calldata ctx,
        Schedule memory s,
        address[] memory keys
    ) private view {
        if (fault == FAULT_HEADER_TRUNCATED) {
            revert Errors.Transcript__Malformed(at + TranscriptLib.PROVER_HEADER_BYTES, end);
        }
        if (fault <= FAULT_EMPTY) {
            (address next, uint256 count) = TranscriptLib.proverAt(at);
            if (fault == FAULT_NOT_ASCENDING) {
                revert Errors.Transcript__ProversNotAscending(i == 0 ? address(0) : keys[i - 1], next);
            }
            if (fault == FAULT_EMPTY) revert Errors.Transcript__EmptyContributions(next);
            revert Errors.Transcript__Malformed(
                at + TranscriptLib.PROVER_HEADER_BYTES + count * TranscriptLib.CONTRIBUTION_BYTES, end
            );
        }
        address prover = keys[i];
        (uint256 job,,) = TranscriptLib.contributionAt(at);
        if (fault == FAULT_JOB_OUT_OF_RANGE) revert Errors.Transcript__JobOutOfRange(job, s.proverJobs);
        if (fault == FAULT_JOB_TAKEN) revert Errors.Transcript__JobAlreadyContributed(job);
        if (fault == FAULT_BAD_SIGNATURE) revert Errors.Transcript__BadJobSignature(prover, job);
        (uint256 r, uint256 index) = SortitionLib.roundOf(job, ctx.height, ctx.roundHeight);
        if (fault == FAULT_NOT_IN_COMMITTEE) revert Errors.Transcript__NotInCommittee(prover, r);
        uint256 ownJob = (SortitionLib.score(prover, ctx.slotSeed) & s.leafMask) >> s.rounds[r - 1].level;
        revert Errors.Transcript__OutsideNeighbourhood(prover, r, index, ownJob);
    }
}
