// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";

import {IBlsVerifier} from "./interfaces/IBlsVerifier.sol";
import {IProofVerifier} from "./interfaces/IProofVerifier.sol";
import {IRollup} from "./interfaces/IRollup.sol";
import {IStaking} from "./interfaces/IStaking.sol";
import {Errors} from "./libraries/Errors.sol";
import {MessagesLib} from "./libraries/MessagesLib.sol";
import {InactivityLib} from "./libraries/InactivityLib.sol";
import {RewardLib} from "./libraries/RewardLib.sol";
import {SortitionLib} from "./libraries/SortitionLib.sol";
import {TimeLib} from "./libraries/TimeLib.sol";
import {TreeLib} from "./libraries/TreeLib.sol";

/// @title Rollup
/// @notice The SPN rollup: one public per-slot score ranks every staker; the highest sequences, the lowest attest and
///         prove. A proposal needs M attestations from the slot's attestation committee; a proof (any verifier behind
///         IProofVerifier) crediting at least `minCoverageBps` of the committee jobs must arrive within the proof
///         window or the block and everything on it are pruned; a proven block credits its submitter and its
///         sequencer (both growing with the block's coverage) with owed rewards they withdraw, and records one rewards
///         commitment its provers claim against. Committee members who stop contributing are bled.
/// @dev Parameters are immutable and validated at deployment (docs/PROTOCOL.md §4). The clock is read from Staking so
///      both contracts agree on slots and epochs. No reward recipient is paid inside `submitProof`, so none can block
///      a proof (pull payments).
contract Rollup is IRollup, EIP712 {
    using SafeERC20 for IERC20;
    using Checkpoints for Checkpoints.Trace224;

    /// @notice Deployment parameters (docs/PROTOCOL.md §4 lists units, defaults and reasons).
    struct Config {
        IStaking staking;
        IProofVerifier verifier;
        IERC20 rewardToken;
        uint256 seedLookahead;
        uint256 proofWindow;
        uint256 minHeight;
        uint256 maxHeight;
        uint256 roundHeight;
        uint256 redundancy;
        uint256 neighbourhood;
        uint256 attestationTarget;
        uint256 attestationQuorum;
        uint256 sequencerTarget;
        SortitionLib.CostWeights costs;
        RewardLib.Rewards rewards;
        uint256 minCoverageBps;
        uint256 graceSlots;
        uint256 strikeThreshold;
        uint256 penaltyBase;
        uint256 ejectionFloor;
        /// @dev The BLS training wheel (docs/design/bls-training-wheel.md §3): 0 = off for good.
        IBlsVerifier trainingWheel;
        uint256 trainingWheelBps;
        uint256 trainingWheelUntil;
    }

    /// @notice Chain heads: blocks 1..provenTip are final; provenTip+1..pendingTip await proofs.
    struct Chain {
        uint64 pendingTip;
        uint64 provenTip;
    }

    /// @notice Upper bound of the redundancy and of each cost weight.
    uint256 public constant MAX_WEIGHT = type(uint32).max;
    /// @notice Upper bound of each reward amount: keeps a block's due and its scaled parts far below 2^256 and the
    ///         pool's 128-bit counters.
    uint256 public constant MAX_REWARD = type(uint96).max;

    IStaking public immutable staking;
    IProofVerifier public immutable verifier;
    IERC20 public immutable rewardToken;
    uint256 public immutable genesisTime;
    uint256 public immutable slotDuration;
    uint256 public immutable epochDuration;
    uint256 public immutable seedLookahead;
    uint256 public immutable proofWindow;
    uint256 public immutable minHeight;
    uint256 public immutable maxHeight;
    uint256 public immutable roundHeight;
    uint256 public immutable redundancy;
    uint256 public immutable neighbourhood;
    uint256 public immutable attestationTarget;
    uint256 public immutable attestationQuorum;
    uint256 public immutable sequencerTarget;
    uint256 public immutable graceSlots;
    uint256 public immutable strikeThreshold;
    uint256 public immutable penaltyBase;
    uint256 public immutable ejectionFloor;
    /// @notice Fewest credited committee jobs a proof must carry, in basis points of the committee jobs.
    uint256 public immutable minCoverageBps;
    /// @notice Verifier of the committee's aggregate BLS signature over each block's state transition; 0 if the
    ///         training wheel is off.
    IBlsVerifier public immutable trainingWheel;
    /// @notice Signers the training wheel requires, in basis points of the expected round-1 committee size.
    uint256 public immutable trainingWheelBps;
    /// @notice First L2 block number proven without the training wheel: blocks below it need submitSignedProof.
    uint256 public immutable trainingWheelUntil;
    uint256 internal immutable _vmProofsPerTx;
    uint256 internal immutable _vmProofCost;
    uint256 internal immutable _baseProofCost;
    uint256 internal immutable _mergeProofCost;
    uint256 internal immutable _submitterReward;
    uint256 internal immutable _sequencerBase;
    uint256 internal immutable _sequencerCoverage;
    uint256 internal immutable _proversReward;
    uint256 internal immutable _ring;

    Chain public chain;
    /// @dev Ring buffer of proposals indexed by number % (proofWindow + 2): at most proofWindow + 1 blocks await a proof
    ///      (older ones are pruned) plus the proven tip, so live entries are never overwritten and a proposal rewrites
    ///      a used slot instead of allocating new storage.
    mapping(uint256 index => BlockLog) internal _blocks;
    mapping(uint256 number => ProvenBlock) internal _proven;
    Checkpoints.Trace224 internal _seeds;
    RewardLib.Pool internal _pool;
    mapping(address prover => mapping(uint256 wordIndex => uint256 bits)) internal _claimed;
    mapping(address staker => Inactivity) internal _inactivity;
    /// @dev Credited, not yet withdrawn submitter and sequencer rewards; their sum is part of `_pool.outstanding`.
    mapping(address account => uint256 amount) internal _owed;
    /// @notice State root after the latest block proven with the training wheel (MessagesLib.stateRoot chain); written
    ///         only by submitSignedProof, so it stays at its last value once the wheel is off.
    bytes32 public provenStateRoot;

    constructor(Config memory c) EIP712("SPN", "1") {
        _validate(c);
        staking = c.staking;
        verifier = c.verifier;
        rewardToken = c.rewardToken;
        genesisTime = c.staking.genesisTime();
        slotDuration = c.staking.slotDuration();
        epochDuration = c.staking.epochDuration();
        seedLookahead = c.seedLookahead;
        proofWindow = c.proofWindow;
        _ring = c.proofWindow + 2;
        minHeight = c.minHeight;
        maxHeight = c.maxHeight;
        roundHeight = c.roundHeight;
        redundancy = c.redundancy;
        neighbourhood = c.neighbourhood;
        attestationTarget = c.attestationTarget;
        attestationQuorum = c.attestationQuorum;
        sequencerTarget = c.sequencerTarget;
        graceSlots = c.graceSlots;
        strikeThreshold = c.strikeThreshold;
        penaltyBase = c.penaltyBase;
        ejectionFloor = c.ejectionFloor;
        minCoverageBps = c.minCoverageBps;
        trainingWheel = c.trainingWheel;
        trainingWheelBps = c.trainingWheelBps;
        trainingWheelUntil = c.trainingWheelUntil;
        _vmProofsPerTx = c.costs.vmProofsPerTx;
        _vmProofCost = c.costs.vmProofCost;
        _baseProofCost = c.costs.baseProofCost;
        _mergeProofCost = c.costs.mergeProofCost;
        _submitterReward = c.rewards.submitter;
        _sequencerBase = c.rewards.sequencerBase;
        _sequencerCoverage = c.rewards.sequencerCoverage;
        _proversReward = c.rewards.provers;

        _proven[0].blockHash = MessagesLib.GENESIS_HASH;
        _seeds.push(0, uint224(uint256(keccak256(abi.encode(block.prevrandao, block.chainid, address(this))))));
        SortitionLib.sampleSeed(_seeds, currentEpoch(), seedLookahead);
    }

    /* ------------------------------------------------------------------ PROPOSALS */

    /// @inheritdoc IRollup
    function propose(ProposeArgs calldata args, Signature[] calldata attestations) external returns (uint256 number) {
        uint256 slot = currentSlot();
        _sampleSeed(slot);
        _pruneIfDue(slot);
        require(args.slot == slot, Errors.Rollup__WrongSlot(slot, args.slot));
        require(
            args.height >= minHeight && args.height <= maxHeight,
            Errors.Rollup__HeightOutOfRange(args.height, minHeight, maxHeight)
        );
        SlotContext memory ctx = _slotContext(slot);
        uint256 proposerScore = _checkSequencer(msg.sender, ctx);
        bytes32 replaced;
        (number, replaced) = _nextNumber(ctx, proposerScore);

        bytes32 parentHash = _hashOf(number - 1);
        bytes32 hash = MessagesLib.blockHash(
            MessagesLib.Header({
                number: uint64(number),
                parentHash: parentHash,
                slot: uint64(slot),
                proposer: msg.sender,
                txRoot: args.txRoot,
                height: args.height
            })
        );
        _verifyAttestations(ctx, hash, attestations);

        if (replaced != bytes32(0)) emit BlockReplaced(number, replaced, hash);
        _append(number, hash, parentHash, args);
    }

    /// @inheritdoc IRollup
    function sampleSeed() external {
        _sampleSeed(currentSlot());
    }

    /// @inheritdoc IRollup
    function prune() external {
        uint256 slot = currentSlot();
        _sampleSeed(slot);
        require(_pruneIfDue(slot), Errors.Rollup__NothingToPrune());
    }

    /* ------------------------------------------------------------------ PROOFS */

    /// @inheritdoc IRollup
    function submitProof(MessagesLib.Header calldata header, bytes calldata proof) external {
        _prove(header, proof, false, proof[0:0]);
    }

    /// @inheritdoc IRollup
    function submitSignedProof(MessagesLib.Header calldata header, bytes calldata proof, bytes calldata transition)
        external
    {
        _prove(header, proof, true, transition);
    }

    /// @dev Both proof entry points (docs/PROTOCOL.md §12.2): `signed` says which one was called, and must match whether
    ///      the training wheel covers the block. With the wheel, the committee's signature over the transition is
    ///      checked after the proof and its coverage, and the state root advances once the block is booked.
    function _prove(MessagesLib.Header calldata header, bytes calldata proof, bool signed, bytes calldata transition)
        internal
    {
        BlockLog storage b = _checkProvable(header, signed);
        IProofVerifier.VerifyContext memory ctx = _verifyContext(header, b.blockHash);
        IProofVerifier.VerifiedWork memory w = verifier.verify(ctx, proof);
        (Payout memory p, uint256 totalCost) = _coveredPayout(header.height, w);
        (bytes32 post, uint256 signers) = signed ? _verifyTransition(ctx, transition) : (bytes32(0), 0);

        uint256 number = header.number;
        chain.provenTip = uint64(number);
        _proven[number] = ProvenBlock({
            blockHash: ctx.blockHash,
            rewardsRoot: w.rewardsRoot,
            proversPot: uint128(p.proversPot),
            totalProverCost: uint64(totalCost)
        });
        emit BlockProven(
            number,
            ctx.blockHash,
            msg.sender,
            w.rewardsRoot,
            w.distinctProvers,
            w.unfilledJobs,
            p.submitter,
            p.sequencer,
            p.proversReserved
        );
        if (signed) {
            provenStateRoot = post;
            emit TransitionSigned(number, post, signers);
        }
        _credit(header.proposer, p);
    }

    /// @dev Steps 1-4 of docs/PROTOCOL.md §12.2, with the training wheel's choice of entry point after the number check.
    function _checkProvable(MessagesLib.Header calldata header, bool signed) internal returns (BlockLog storage b) {
        uint256 slot = currentSlot();
        _sampleSeed(slot);
        Chain memory c = chain;
        uint256 number = header.number;
        require(
            number == uint256(c.provenTip) + 1 && number <= c.pendingTip,
            Errors.Rollup__WrongBlockNumber(uint256(c.provenTip) + 1, number)
        );
        // The wheel covers blocks below `trainingWheelUntil`; the proven tip only grows, so it turns off once.
        if ((address(trainingWheel) != address(0) && number < trainingWheelUntil) != signed) {
            if (signed) revert Errors.Rollup__TrainingWheelOff(number);
            revert Errors.Rollup__TrainingWheelOn(number, trainingWheelUntil);
        }
        b = _checkHeader(header);
        uint256 lastSlot = uint256(b.slot) + proofWindow;
        require(slot <= lastSlot, Errors.Rollup__DeadlinePassed(slot, lastSlot));
    }

    /// @dev The proof verifier's context of block `header` (docs/PROTOCOL.md §12.2 step 5).
    function _verifyContext(MessagesLib.Header calldata header, bytes32 blockHash_)
        internal
        view
        returns (IProofVerifier.VerifyContext memory)
    {
        uint256 epoch = header.slot / epochDuration;
        return IProofVerifier.VerifyContext({
            blockHash: blockHash_,
            txRoot: header.txRoot,
            slotSeed: slotSeed(header.slot),
            domainSeparator: _domainSeparatorV4(),
            staking: staking,
            epoch: epoch,
            activeCount: staking.activeCount(epoch),
            height: header.height,
            roundHeight: roundHeight,
            redundancy: redundancy,
            neighbourhood: neighbourhood,
            costs: costWeights()
        });
    }

    /// @dev The training wheel's check (design §3.4): `trainingWheel.verify(TransitionContext, transition)`, a view
    ///      call whose reverts bubble up. Encoded here from the proof's context (whose memory layout is the field order
    ///      of IProofVerifier.VerifyContext) rather than by the compiler, which keeps the Rollup within EIP-170.
    function _verifyTransition(IProofVerifier.VerifyContext memory ctx, bytes calldata transition)
        internal
        view
        returns (bytes32 post, uint256 signers)
    {
        bytes4 selector = IBlsVerifier.verify.selector;
        address wheel = address(trainingWheel);
        bytes32 pre = provenStateRoot;
        uint256 bps = trainingWheelBps;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, selector)
            // TransitionContext: domainSeparator, blockHash, txRoot, preStateRoot, staking, slotSeed, then epoch,
            // activeCount, height, roundHeight and redundancy as in VerifyContext, then thresholdBps.
            mstore(add(m, 0x04), mload(add(ctx, 0x60)))
            mstore(add(m, 0x24), mload(ctx))
            mstore(add(m, 0x44), mload(add(ctx, 0x20)))
            mstore(add(m, 0x64), pre)
            mstore(add(m, 0x84), mload(add(ctx, 0x80)))
            mstore(add(m, 0xa4), mload(add(ctx, 0x40)))
            mcopy(add(m, 0xc4), add(ctx, 0xa0), 0xa0)
            mstore(add(m, 0x164), bps)
            // `transition`: its offset (after the 12 context words and this one), length and bytes, zero-padded.
            mstore(add(m, 0x184), 0x1a0)
            let length := transition.length
            mstore(add(m, 0x1a4), length)
            let size := add(0x1c4, and(add(length, 31), not(31)))
            mstore(add(m, sub(size, 0x20)), 0)
            calldatacopy(add(m, 0x1c4), transition.offset, length)
            if iszero(staticcall(gas(), wheel, m, size, 0x00, 0x40)) {
                returndatacopy(m, 0x00, returndatasize())
                revert(m, returndatasize())
            }
            if lt(returndatasize(), 0x40) { revert(0x00, 0x00) }
            post := mload(0x00)
            signers := mload(0x20)
        }
    }

    /// @dev Checks the proof's coverage (credited committee jobs) against `minCoverageBps`, then books the block's
    ///      reward. A verifier reporting more unfilled jobs than committee jobs underflows here and the proof reverts.
    function _coveredPayout(uint256 height, IProofVerifier.VerifiedWork memory w)
        internal
        returns (Payout memory p, uint256 totalCost)
    {
        uint256 committeeJobs = SortitionLib.proverJobs(height, roundHeight);
        uint256 creditedJobs = committeeJobs - w.unfilledJobs;
        require(
            RewardLib.meetsCoverage(creditedJobs, committeeJobs, minCoverageBps),
            Errors.Rollup__CoverageTooLow(creditedJobs, RewardLib.requiredJobs(committeeJobs, minCoverageBps))
        );
        totalCost = SortitionLib.totalProverCost(height, roundHeight, costWeights());
        p = RewardLib.payout(_pool, rewards(), creditedJobs, committeeJobs, w.creditedCost, totalCost);
    }

    /// @dev Pull payments: credits the submitter's and the sequencer's parts as owed rewards and transfers nothing, so
    ///      neither recipient can block the proof.
    function _credit(address proposer, Payout memory p) internal {
        if (p.submitter > 0) _owed[msg.sender] += p.submitter;
        if (p.sequencer > 0) _owed[staking.getStaker(proposer).withdrawer] += p.sequencer;
    }

    /* ------------------------------------------------------------------ REWARDS */

    /// @inheritdoc IRollup
    /// @dev Credits the balance delta, capped at `amount`: a fee-on-transfer token funds only what arrived, and a
    ///      nested `fund` made during the transfer (a token with hooks), which books its own delta, is not counted again
    ///      by the outer call. Either way the books never exceed what the Rollup holds, without a reentrancy lock.
    function fund(uint256 amount) external {
        uint256 before = rewardToken.balanceOf(address(this));
        rewardToken.safeTransferFrom(msg.sender, address(this), amount);
        uint256 delta = rewardToken.balanceOf(address(this)) - before;
        uint256 received = delta < amount ? delta : amount;
        RewardLib.fund(_pool, received);
        emit PoolFunded(msg.sender, received);
    }

    /// @inheritdoc IRollup
    function withdrawRewards(address recipient) external returns (uint256 amount) {
        require(recipient != address(0), Errors.Rewards__ZeroRecipient());
        amount = _owed[msg.sender];
        require(amount > 0, Errors.Rewards__ZeroAmount());
        _owed[msg.sender] = 0;
        RewardLib.settle(_pool, amount);
        emit RewardsWithdrawn(msg.sender, recipient, amount);
        rewardToken.safeTransfer(recipient, amount);
    }

    /// @inheritdoc IRollup
    function claim(address recipient, ClaimItem[] calldata items) external returns (uint256 amount) {
        require(recipient != address(0), Errors.Rewards__ZeroRecipient());
        mapping(uint256 => uint256) storage claimed = _claimed[msg.sender];
        // Consecutive blocks share a bitmap word: keep it in memory and write it once per word.
        uint256 wordIndex = type(uint256).max;
        uint256 word;
        for (uint256 i; i < items.length; ++i) {
            uint256 number = items[i].blockNumber;
            if (number >> 8 != wordIndex) {
                if (wordIndex != type(uint256).max) claimed[wordIndex] = word;
                wordIndex = number >> 8;
                word = claimed[wordIndex];
            }
            uint256 bit = 1 << (number & 0xff);
            if (word & bit != 0) revert Errors.Rewards__AlreadyClaimed(msg.sender, number);
            word |= bit;
            // Only proven blocks have a rewards root; a leaf cannot verify against the empty root of any other number.
            amount += _claimShare(msg.sender, items[i]);
        }
        if (wordIndex != type(uint256).max) claimed[wordIndex] = word;
        require(amount > 0, Errors.Rewards__ZeroAmount());

        RewardLib.settle(_pool, amount);
        emit RewardsClaimed(msg.sender, recipient, amount, items.length);
        rewardToken.safeTransfer(recipient, amount);
    }

    /// @dev Verifies one claimed leaf against its block's rewards root and returns the share it pays.
    function _claimShare(address prover, ClaimItem calldata item) internal view returns (uint256) {
        ProvenBlock storage pb = _proven[item.blockNumber];
        require(
            MerkleProof.verifyCalldata(item.proof, pb.rewardsRoot, TreeLib.rewardLeaf(prover, item.cost)),
            Errors.Rewards__InvalidProof(prover, item.blockNumber)
        );
        return RewardLib.share(pb.proversPot, item.cost, pb.totalProverCost);
    }

    /* ------------------------------------------------------------------ INACTIVITY */

    /// @inheritdoc IRollup
    function reportMissed(address staker, MessagesLib.Header calldata header) external {
        uint256 slot = currentSlot();
        _sampleSeed(slot);
        Inactivity storage rec = _inactivity[staker];
        // A pending report whose grace is over becomes a strike first; its stake penalty is applied last.
        (uint256 struckBlock, uint256 strikes) = (0, 0);
        if (rec.pendingBlock != 0) {
            uint256 graceEnd = uint256(rec.pendingSlot) + graceSlots;
            require(slot > graceEnd, Errors.Inactivity__ReportPending(staker, rec.pendingBlock));
            (struckBlock, strikes) = _strike(rec);
        }
        _checkProvenHeader(header);
        require(
            header.number > rec.lastAppearance,
            Errors.Inactivity__NotAfterLastAppearance(header.number, rec.lastAppearance)
        );
        uint256 epoch = header.slot / epochDuration;
        uint256 n = staking.activeCount(epoch);
        uint256 s = SortitionLib.score(staker, slotSeed(header.slot));
        require(
            staking.isActive(staker, epoch)
                && s < SortitionLib.roundThreshold(1, header.height, roundHeight, redundancy, n),
            Errors.Inactivity__NotAssigned(staker, header.number)
        );
        rec.pendingBlock = header.number;
        rec.pendingSlot = uint64(slot);
        emit MissReported(staker, header.number, msg.sender);
        if (struckBlock != 0) _bleed(staker, struckBlock, strikes);
    }

    /// @inheritdoc IRollup
    function clearWithReward(address staker, MessagesLib.Header calldata header, uint64 cost, bytes32[] calldata proof)
        external
    {
        Inactivity storage rec = _evidenceRange(staker, header);
        require(
            MerkleProof.verifyCalldata(proof, _proven[header.number].rewardsRoot, TreeLib.rewardLeaf(staker, cost)),
            Errors.Inactivity__InvalidEvidence(staker, header.number)
        );
        _clear(staker, rec, header.number);
    }

    /// @inheritdoc IRollup
    function clearWithJobResult(
        address staker,
        MessagesLib.Header calldata header,
        uint32 job,
        bytes32 output,
        Signature calldata signature,
        bytes32[] calldata siblings
    ) external {
        Inactivity storage rec = _evidenceRange(staker, header);
        bytes32 hash = _proven[header.number].blockHash;
        require(
            _eligibleFor(staker, header, job) && _outputInTree(header, job, output, siblings),
            Errors.Inactivity__InvalidEvidence(staker, header.number)
        );
        bytes32 digest = MessagesLib.jobResultDigest(_domainSeparatorV4(), hash, job, output);
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature.r, signature.vs);
        require(
            err == ECDSA.RecoverError.NoError && signer == staker,
            Errors.Inactivity__InvalidEvidence(staker, header.number)
        );
        _clear(staker, rec, header.number);
    }

    /// @inheritdoc IRollup
    function finaliseReport(address staker) external {
        Inactivity storage rec = _inactivity[staker];
        require(rec.pendingBlock != 0, Errors.Inactivity__NoPendingReport(staker));
        uint256 graceEnd = uint256(rec.pendingSlot) + graceSlots;
        require(currentSlot() > graceEnd, Errors.Inactivity__GraceNotOver(currentSlot(), graceEnd));
        _finalise(staker, rec);
    }

    /* ------------------------------------------------------------------ VIEWS */

    function currentSlot() public view returns (uint256) {
        return TimeLib.slotAt(block.timestamp, genesisTime, slotDuration);
    }

    function currentEpoch() public view returns (uint256) {
        return currentSlot() / epochDuration;
    }

    /// @notice Seed of `epoch` (the latest RANDAO sample recorded at or before it).
    function epochSeed(uint256 epoch) public view returns (uint256) {
        return SortitionLib.epochSeed(_seeds, epoch);
    }

    function slotSeed(uint256 slot) public view returns (bytes32) {
        return SortitionLib.slotSeed(epochSeed(slot / epochDuration), slot);
    }

    /// @notice Score of `key` in `slot`.
    function scoreOf(address key, uint256 slot) external view returns (uint256) {
        return SortitionLib.score(key, slotSeed(slot));
    }

    /// @notice The EIP-712 domain separator every attestation and job result is signed under.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @notice Hash of block `number`: proven (permanent) or pending (until proven or pruned); zero above the pending
    ///         tip. The parent of the next proposal is `blockHashOf(pendingTip)`.
    function blockHashOf(uint256 number) external view returns (bytes32) {
        return _hashOf(number);
    }

    /// @notice Proposal record of an unproven block or of the proven tip (older entries are reused; see getProvenBlock).
    function getBlock(uint256 number) external view returns (BlockLog memory) {
        return _log(number);
    }

    function getProvenBlock(uint256 number) external view returns (ProvenBlock memory) {
        return _proven[number];
    }

    function getInactivity(address staker) external view returns (Inactivity memory) {
        return _inactivity[staker];
    }

    function pool() external view returns (RewardLib.Pool memory) {
        return _pool;
    }

    /// @inheritdoc IRollup
    function rewardsOwed(address account) external view returns (uint256) {
        return _owed[account];
    }

    function isClaimed(address prover, uint256 number) external view returns (bool) {
        return _claimed[prover][number >> 8] & (1 << (number & 0xff)) != 0;
    }

    function costWeights() public view returns (SortitionLib.CostWeights memory) {
        return SortitionLib.CostWeights(_vmProofsPerTx, _vmProofCost, _baseProofCost, _mergeProofCost);
    }

    function rewards() public view returns (RewardLib.Rewards memory) {
        return RewardLib.Rewards(_submitterReward, _sequencerBase, _sequencerCoverage, _proversReward);
    }

    /* ------------------------------------------------------------------ INTERNALS */

    function _sampleSeed(uint256 slot) internal {
        SortitionLib.sampleSeed(_seeds, slot / epochDuration, seedLookahead);
    }

    /// @dev What every check of a slot needs: its epoch, that epoch's active count and the slot seed.
    struct SlotContext {
        uint256 slot;
        uint256 epoch;
        uint256 activeCount;
        bytes32 seed;
    }

    function _slotContext(uint256 slot) internal view returns (SlotContext memory ctx) {
        ctx.slot = slot;
        ctx.epoch = slot / epochDuration;
        ctx.activeCount = staking.activeCount(ctx.epoch);
        require(ctx.activeCount > 0, Errors.Rollup__NoActiveStakers(ctx.epoch));
        ctx.seed = slotSeed(slot);
    }

    /// @dev Returns the proposer's score after checking it is active and in the sequencer range.
    function _checkSequencer(address proposer, SlotContext memory ctx) internal view returns (uint256 s) {
        require(staking.isActive(proposer, ctx.epoch), Errors.Rollup__NotActive(proposer, ctx.epoch));
        s = SortitionLib.score(proposer, ctx.seed);
        uint256 floor = SortitionLib.sequencerFloor(sequencerTarget, ctx.activeCount);
        require(s > floor, Errors.Rollup__NotSequencer(proposer, s, floor));
    }

    /// @dev Number of the proposed block: the next one, or the tip's if the tip is an unproven block of this slot and
    ///      the new proposer's score is strictly higher (then the replaced block's hash is returned).
    function _nextNumber(SlotContext memory ctx, uint256 proposerScore)
        internal
        view
        returns (uint256 number, bytes32 replaced)
    {
        Chain memory c = chain;
        BlockLog storage tip = _log(c.pendingTip);
        if (c.pendingTip > c.provenTip && tip.slot == ctx.slot) {
            // Among valid proposals of a slot the highest score wins; the incumbent has the same parent.
            uint256 incumbent = SortitionLib.score(tip.proposer, ctx.seed);
            require(proposerScore > incumbent, Errors.Rollup__ScoreNotHigher(incumbent, proposerScore));
            return (c.pendingTip, tip.blockHash);
        }
        // Slots only move forward; a proven tip in the current slot cannot be replaced either.
        require(c.pendingTip == 0 || tip.slot < ctx.slot, Errors.Rollup__WrongSlot(uint256(tip.slot) + 1, ctx.slot));
        return (uint256(c.pendingTip) + 1, bytes32(0));
    }

    function _append(uint256 number, bytes32 hash, bytes32 parentHash, ProposeArgs calldata args) internal {
        _blocks[number % _ring] =
            BlockLog({blockHash: hash, slot: args.slot, proposer: msg.sender, height: args.height});
        chain.pendingTip = uint64(number);
        emit BlockProposed(number, hash, args.slot, msg.sender, parentHash, args.txRoot, args.height);
    }

    /// @dev Returns whether anything was pruned.
    function _pruneIfDue(uint256 slot) internal returns (bool) {
        Chain memory c = chain;
        if (c.pendingTip == c.provenTip) return false;
        if (slot <= uint256(_log(uint256(c.provenTip) + 1).slot) + proofWindow) return false;
        chain.pendingTip = c.provenTip;
        emit BlocksPruned(uint256(c.provenTip) + 1, c.pendingTip);
        return true;
    }

    /// @dev Signers must be strictly ascending (hence distinct), in the slot's attestation committee and active.
    function _verifyAttestations(SlotContext memory ctx, bytes32 hash, Signature[] calldata attestations)
        internal
        view
    {
        uint256 count = attestations.length;
        require(count >= attestationQuorum, Errors.Rollup__TooFewAttestations(count, attestationQuorum));
        bytes32 digest = MessagesLib.attestationDigest(_domainSeparatorV4(), ctx.slot, hash);
        uint256 threshold = SortitionLib.committeeThreshold(attestationTarget, ctx.activeCount);
        address[] memory signers = new address[](count);
        address previous;
        for (uint256 i; i < count; ++i) {
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, attestations[i].r, attestations[i].vs);
            require(err == ECDSA.RecoverError.NoError, Errors.Rollup__InvalidSignature());
            require(signer > previous, Errors.Rollup__AttestersNotAscending(previous, signer));
            previous = signer;
            uint256 s = SortitionLib.score(signer, ctx.seed);
            require(s < threshold, Errors.Rollup__AttesterNotInCommittee(signer, s, threshold));
            signers[i] = signer;
        }
        // One call for every signer's staker record.
        uint256 inactive = staking.firstInactive(signers, ctx.epoch);
        if (inactive != count) revert Errors.Rollup__NotActive(signers[inactive], ctx.epoch);
    }

    /// @dev Hash of a proven block, or of a pending one (from the ring).
    function _hashOf(uint256 number) internal view returns (bytes32) {
        Chain memory c = chain;
        if (number <= c.provenTip) return _proven[number].blockHash;
        return number <= c.pendingTip ? _log(number).blockHash : bytes32(0);
    }

    /// @dev The ring entry of an unproven block or of the proven tip.
    function _log(uint256 number) internal view returns (BlockLog storage) {
        return _blocks[number % _ring];
    }

    function _checkHeader(MessagesLib.Header calldata header) internal view returns (BlockLog storage b) {
        b = _log(header.number);
        bytes32 actual = MessagesLib.blockHash(header);
        require(actual == b.blockHash, Errors.Rollup__HeaderMismatch(b.blockHash, actual));
    }

    function _checkProvenHeader(MessagesLib.Header calldata header) internal view {
        require(header.number > 0 && header.number <= chain.provenTip, Errors.Rollup__BlockNotProven(header.number));
        bytes32 expected = _proven[header.number].blockHash;
        bytes32 actual = MessagesLib.blockHash(header);
        require(actual == expected, Errors.Rollup__HeaderMismatch(expected, actual));
    }

    /// @dev Evidence must be a proven block after the last strike and at most the pending one, inside the grace period.
    function _evidenceRange(address staker, MessagesLib.Header calldata header)
        internal
        view
        returns (Inactivity storage rec)
    {
        rec = _inactivity[staker];
        require(rec.pendingBlock != 0, Errors.Inactivity__NoPendingReport(staker));
        uint256 graceEnd = uint256(rec.pendingSlot) + graceSlots;
        require(currentSlot() <= graceEnd, Errors.Inactivity__GraceOver(currentSlot(), graceEnd));
        require(
            header.number > rec.lastAppearance && header.number <= rec.pendingBlock,
            Errors.Inactivity__EvidenceBlockOutOfRange(header.number, rec.lastAppearance, rec.pendingBlock)
        );
        _checkProvenHeader(header);
    }

    function _eligibleFor(address staker, MessagesLib.Header calldata header, uint256 job)
        internal
        view
        returns (bool)
    {
        uint256 height = header.height;
        if (job >= SortitionLib.proverJobs(height, roundHeight)) return false;
        uint256 epoch = header.slot / epochDuration;
        if (!staking.isActive(staker, epoch)) return false;
        uint256 s = SortitionLib.score(staker, slotSeed(header.slot));
        (uint256 round, uint256 index) = SortitionLib.roundOf(job, height, roundHeight);
        if (s >= SortitionLib.roundThreshold(round, height, roundHeight, redundancy, staking.activeCount(epoch))) {
            return false;
        }
        return SortitionLib.inNeighbourhood(index, SortitionLib.jobOnPath(s, round, height, roundHeight), neighbourhood);
    }

    function _outputInTree(MessagesLib.Header calldata header, uint256 job, bytes32 output, bytes32[] calldata siblings)
        internal
        view
        returns (bool)
    {
        (uint256 round, uint256 index) = SortitionLib.roundOf(job, header.height, roundHeight);
        uint256 depth = header.height - SortitionLib.level(round, header.height, roundHeight);
        return siblings.length == depth && TreeLib.rootFromPath(output, index, siblings) == header.txRoot;
    }

    function _clear(address staker, Inactivity storage rec, uint256 evidenceBlock) internal {
        uint256 pending = rec.pendingBlock;
        rec.lastAppearance = uint64(pending);
        rec.pendingBlock = 0;
        rec.pendingSlot = 0;
        rec.strikes = 0;
        emit ReportCleared(staker, pending, evidenceBlock);
    }

    /// @dev A strike; from the `strikeThreshold`-th consecutive one on, a penalty doubling with each further strike,
    ///      and ejection once the remaining stake is below the floor.
    function _finalise(address staker, Inactivity storage rec) internal {
        (uint256 blockNumber, uint256 strikes) = _strike(rec);
        _bleed(staker, blockNumber, strikes);
    }

    /// @dev State half of a finalisation: one more consecutive strike, the pending report consumed.
    function _strike(Inactivity storage rec) internal returns (uint256 blockNumber, uint256 strikes) {
        blockNumber = rec.pendingBlock;
        strikes = uint256(rec.strikes) + 1;
        rec.strikes = uint32(strikes);
        rec.lastAppearance = uint64(blockNumber);
        rec.pendingBlock = 0;
        rec.pendingSlot = 0;
    }

    /// @dev External half, called after every state write of the entry point: from the `strikeThreshold`-th
    ///      consecutive strike on, a penalty doubling with each further strike, and ejection once the remaining stake
    ///      is below the floor.
    function _bleed(address staker, uint256 blockNumber, uint256 strikes) internal {
        uint256 penalty = InactivityLib.penalty(strikes, strikeThreshold, penaltyBase);
        uint256 slashed;
        bool ejected;
        if (penalty > 0) {
            slashed = staking.slash(staker, penalty);
            if (staking.stakeOf(staker) < ejectionFloor) ejected = staking.eject(staker);
        }
        emit StrikeFinalised(staker, blockNumber, strikes, slashed, ejected);
    }

    function _validate(Config memory c) internal view {
        require(address(c.staking) != address(0), Errors.Params__Invalid("staking is zero"));
        require(address(c.verifier) != address(0), Errors.Params__Invalid("verifier is zero"));
        require(address(c.rewardToken) != address(0), Errors.Params__Invalid("rewardToken is zero"));
        require(c.seedLookahead > 0, Errors.Params__Invalid("seedLookahead is zero"));
        require(
            c.staking.setChangeDelay() > c.seedLookahead,
            Errors.Params__Invalid("setChangeDelay must exceed seedLookahead")
        );
        require(c.proofWindow > 0, Errors.Params__Invalid("proofWindow is zero"));
        require(c.roundHeight > 0, Errors.Params__Invalid("roundHeight is zero"));
        require(c.minHeight > c.roundHeight, Errors.Params__Invalid("minHeight must exceed roundHeight"));
        require(c.maxHeight >= c.minHeight, Errors.Params__Invalid("maxHeight below minHeight"));
        require(c.maxHeight <= 24, Errors.Params__Invalid("maxHeight above 24"));
        require(c.redundancy > 0, Errors.Params__Invalid("redundancy is zero"));
        // Bounds that keep redundancy * jobs and every cost sum far from overflow, and the stored total in 64 bits.
        require(c.redundancy <= MAX_WEIGHT, Errors.Params__Invalid("redundancy above 2^32"));
        require(c.attestationQuorum > 0, Errors.Params__Invalid("attestationQuorum is zero"));
        require(c.attestationTarget >= c.attestationQuorum, Errors.Params__Invalid("attestationTarget below quorum"));
        require(c.sequencerTarget > 0, Errors.Params__Invalid("sequencerTarget is zero"));
        require(c.costs.mergeProofCost > 0, Errors.Params__Invalid("mergeProofCost is zero"));
        require(
            c.costs.vmProofsPerTx <= MAX_WEIGHT && c.costs.vmProofCost <= MAX_WEIGHT
                && c.costs.baseProofCost <= MAX_WEIGHT && c.costs.mergeProofCost <= MAX_WEIGHT,
            Errors.Params__Invalid("cost weight above 2^32")
        );
        require(
            SortitionLib.totalProverCost(c.maxHeight, c.roundHeight, c.costs) <= type(uint64).max,
            Errors.Params__Invalid("totalProverCost above 2^64")
        );
        RewardLib.Rewards memory r = c.rewards;
        require(
            r.submitter <= MAX_REWARD && r.sequencerBase <= MAX_REWARD && r.sequencerCoverage <= MAX_REWARD
                && r.provers <= MAX_REWARD,
            Errors.Params__Invalid("reward above 2^96")
        );
        require(c.strikeThreshold > 0, Errors.Params__Invalid("strikeThreshold is zero"));
        require(c.graceSlots > 0, Errors.Params__Invalid("graceSlots is zero"));
        uint256 stake = c.staking.stakeAmount();
        require(c.penaltyBase <= stake, Errors.Params__Invalid("penaltyBase above stake"));
        require(c.ejectionFloor <= stake, Errors.Params__Invalid("ejectionFloor above stake"));
        require(c.neighbourhood < 32, Errors.Params__Invalid("neighbourhood >= 32"));
        require(c.minCoverageBps <= RewardLib.BPS, Errors.Params__Invalid("minCoverageBps above 10000"));
        if (address(c.trainingWheel) != address(0)) {
            require(
                c.trainingWheelBps > 0 && c.trainingWheelBps <= RewardLib.BPS,
                Errors.Params__Invalid("trainingWheelBps out of range")
            );
            require(c.trainingWheelUntil > 1, Errors.Params__Invalid("trainingWheelUntil must exceed 1"));
        }
    }
}

