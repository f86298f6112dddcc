// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RollupBase} from "./RollupBase.sol";
import {Staking} from "../../../contracts/Staking.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {MessagesLib} from "../../../contracts/libraries/MessagesLib.sol";

contract ProposeTest is RollupBase {
    uint256 internal slot;
    address internal seq;

    function setUp() public override {
        super.setUp();
        (slot, seq) = _nextSlot();
    }

    function _args(uint256 s, uint8 height) internal pure returns (IRollup.ProposeArgs memory) {
        return IRollup.ProposeArgs({slot: uint64(s), txRoot: ROOT, height: height});
    }

    /// @notice Attestations of `signers` (in the given order) over the block `proposer` would create with ROOT.
    function _sigs(address proposer, address[] memory signers) internal view returns (IRollup.Signature[] memory) {
        return _attestations(signers, slot, MessagesLib.blockHash(_headerFor(proposer, slot, ROOT, HEIGHT)));
    }

    function _withSorted(address[] memory a, address extra) internal pure returns (address[] memory out) {
        out = new address[](a.length + 1);
        for (uint256 i; i < a.length; ++i) {
            out[i] = a[i];
        }
        out[a.length] = extra;
        _sort(out);
    }

    // ------------------------------------------------------------------ success

    function test_propose_appendsBlockOnGenesis() public {
        (IRollup.ProposeArgs memory args, IRollup.Signature[] memory sigs, MessagesLib.Header memory h) =
            _proposal(seq, slot, ROOT, HEIGHT);
        bytes32 hash = MessagesLib.blockHash(h);

        vm.expectEmit(address(rollup));
        emit IRollup.BlockProposed(1, hash, slot, seq, keccak256("spn.genesis"), ROOT, HEIGHT);
        uint256 number = _propose(seq, args, sigs);

        assertEq(number, 1);
        assertEq(_pendingTip(), 1);
        assertEq(_provenTip(), 0);
        IRollup.BlockLog memory b = rollup.getBlock(1);
        assertEq(b.blockHash, hash);
        assertEq(b.slot, slot);
        assertEq(b.proposer, seq);
        assertEq(b.height, HEIGHT);
        assertEq(rollup.blockHashOf(1), hash);
    }

    function test_propose_acceptsExactlyQuorum() public {
        address[] memory committee = _attesters(slot);
        address[] memory quorum = new address[](rollup.attestationQuorum());
        for (uint256 i; i < quorum.length; ++i) {
            quorum[i] = committee[i];
        }
        assertEq(_propose(seq, _args(slot, HEIGHT), _sigs(seq, quorum)), 1);
    }

    function test_propose_acceptsMinAndMaxHeight() public {
        uint8 minH = uint8(rollup.minHeight());
        IRollup.ProposeArgs memory args = _args(slot, minH);
        args.height = minH;
        MessagesLib.Header memory h = _headerFor(seq, slot, ROOT, minH);
        _propose(seq, args, _attestations(_attesters(slot), slot, MessagesLib.blockHash(h)));
        assertEq(rollup.getBlock(1).height, minH);

        (slot, seq) = _nextSlot();
        uint8 maxH = uint8(rollup.maxHeight());
        h = _headerFor(seq, slot, ROOT, maxH);
        _propose(seq, _args(slot, maxH), _attestations(_attesters(slot), slot, MessagesLib.blockHash(h)));
        assertEq(rollup.getBlock(2).height, maxH);
    }

    function test_propose_buildsOnPendingTip() public {
        MessagesLib.Header memory first = _proposeRoot();
        MessagesLib.Header memory second = _proposeRoot();
        assertEq(second.number, 2);
        assertEq(second.parentHash, MessagesLib.blockHash(first));
        assertEq(rollup.blockHashOf(2), MessagesLib.blockHash(second));
        assertEq(_pendingTip(), 2);
    }

    function test_propose_buildsOnProvenTip() public {
        (Blk memory b,) = _proposeAndProve(HEIGHT);
        MessagesLib.Header memory next = _proposeRoot();
        assertEq(next.number, 2);
        assertEq(next.parentHash, MessagesLib.blockHash(b.header));
    }

    function test_propose_replacesTipWithHigherScore() public {
        slot = _slotWithTwoSequencers(slot);
        _warpToSlot(slot);
        address[] memory seqs = _sequencersByScore(slot);
        (address high, address low) = (seqs[0], seqs[1]);

        _propose(low, _args(slot, HEIGHT), _sigs(low, _attesters(slot)));
        bytes32 oldHash = rollup.blockHashOf(1);
        MessagesLib.Header memory h = _headerFor(high, slot, ROOT, HEIGHT);
        assertEq(h.number, 1, "replacement keeps the number");
        bytes32 newHash = MessagesLib.blockHash(h);

        vm.expectEmit(address(rollup));
        emit IRollup.BlockReplaced(1, oldHash, newHash);
        vm.expectEmit(address(rollup));
        emit IRollup.BlockProposed(1, newHash, slot, high, keccak256("spn.genesis"), ROOT, HEIGHT);
        assertEq(_propose(high, _args(slot, HEIGHT), _sigs(high, _attesters(slot))), 1);

        assertEq(_pendingTip(), 1);
        assertEq(rollup.getBlock(1).proposer, high);
        assertEq(rollup.blockHashOf(1), newHash);
    }

    function test_propose_prunesExpiredBlocksFirst() public {
        MessagesLib.Header memory old = _proposeRoot();
        _warpToSlot(old.slot + rollup.proofWindow() + 1);
        (slot, seq) = _nextSlot();
        MessagesLib.Header memory h = _headerFor(seq, slot, ROOT, HEIGHT);
        // The fixture computes the header before pruning: block 2 on top of the expired block 1.
        assertEq(h.number, 2);
        h.number = 1;
        h.parentHash = keccak256("spn.genesis");
        bytes32 hash = MessagesLib.blockHash(h);

        vm.expectEmit(address(rollup));
        emit IRollup.BlocksPruned(1, 1);
        vm.expectEmit(address(rollup));
        emit IRollup.BlockProposed(1, hash, slot, seq, keccak256("spn.genesis"), ROOT, HEIGHT);
        _propose(seq, _args(slot, HEIGHT), _attestations(_attesters(slot), slot, hash));
        assertEq(_pendingTip(), 1);
        assertEq(rollup.blockHashOf(1), hash);
    }

    function test_propose_samplesSeedAhead() public {
        uint256 epoch = _epochOf(slot);
        uint256 target = epoch + rollup.seedLookahead();
        vm.prevrandao(bytes32(uint256(0xabcdef)));
        (IRollup.ProposeArgs memory args, IRollup.Signature[] memory sigs,) = _proposal(seq, slot, ROOT, HEIGHT);
        uint256 seedBefore = rollup.epochSeed(epoch);
        _propose(seq, args, sigs);
        assertEq(rollup.epochSeed(target), uint224(uint256(keccak256(abi.encode(uint256(0xabcdef), target)))));
        assertEq(rollup.epochSeed(epoch), seedBefore, "current epoch's seed is fixed");
    }

    // ------------------------------------------------------------------ reverts: slot and height

    function test_propose_revertsWhenSlotIsInTheFuture() public {
        IRollup.ProposeArgs memory pa = _args(slot + 1, HEIGHT);
        IRollup.Signature[] memory ps = _sigs(seq, _attesters(slot));
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__WrongSlot.selector, slot, slot + 1));
        _propose(seq, pa, ps);
    }

    function test_propose_revertsWhenSlotIsInThePast() public {
        IRollup.ProposeArgs memory pa = _args(slot - 1, HEIGHT);
        IRollup.Signature[] memory ps = _sigs(seq, _attesters(slot));
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__WrongSlot.selector, slot, slot - 1));
        _propose(seq, pa, ps);
    }

    function test_propose_revertsWhenTipOfThisSlotIsProven() public {
        (IRollup.ProposeArgs memory args, IRollup.Signature[] memory sigs, MessagesLib.Header memory h) =
            _proposal(seq, slot, _outputs(_leaves(HEIGHT, 7), HEIGHT)[_totalJobs(HEIGHT) - 1], HEIGHT);
        _propose(seq, args, sigs);
        (bytes memory proof,) = _transcript(h, _outputs(_leaves(HEIGHT, 7), HEIGHT), new address[](0));
        rollup.submitProof(h, proof);

        (args, sigs,) = _proposal(seq, slot, ROOT, HEIGHT);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__WrongSlot.selector, slot + 1, slot));
        _propose(seq, args, sigs);
    }

    function test_propose_revertsWhenHeightBelowMin() public {
        uint256 minH = rollup.minHeight();
        IRollup.Signature[] memory ps = _sigs(seq, _attesters(slot));
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Rollup__HeightOutOfRange.selector, minH - 1, minH, rollup.maxHeight())
        );
        _propose(seq, _args(slot, uint8(minH - 1)), ps);
    }

    function test_propose_revertsWhenHeightAboveMax() public {
        uint256 maxH = rollup.maxHeight();
        IRollup.Signature[] memory ps = _sigs(seq, _attesters(slot));
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Rollup__HeightOutOfRange.selector, maxH + 1, rollup.minHeight(), maxH)
        );
        _propose(seq, _args(slot, uint8(maxH + 1)), ps);
    }

    // ------------------------------------------------------------------ reverts: proposer

    function test_propose_revertsWhenProposerNotRegistered() public {
        address stranger = makeAddr("stranger");
        IRollup.ProposeArgs memory pa = _args(slot, HEIGHT);
        IRollup.Signature[] memory ps = _sigs(stranger, _attesters(slot));
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__NotActive.selector, stranger, _epochOf(slot)));
        _propose(stranger, pa, ps);
    }

    function test_propose_revertsWhenProposerNotYetActive() public {
        _register(1);
        address late = stakers[stakers.length - 1];
        IRollup.ProposeArgs memory pa = _args(slot, HEIGHT);
        IRollup.Signature[] memory ps = _sigs(late, _attesters(slot));
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__NotActive.selector, late, _epochOf(slot)));
        _propose(late, pa, ps);
    }

    function test_propose_revertsWhenProposerNotSequencer() public {
        address b = _bystander(slot);
        IRollup.ProposeArgs memory pa = _args(slot, HEIGHT);
        IRollup.Signature[] memory ps = _sigs(b, _attesters(slot));
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__NotSequencer.selector, b, rollup.scoreOf(b, slot), _sequencerFloor(slot)
            )
        );
        _propose(b, pa, ps);
    }

    function test_propose_revertsWhenScoreNotHigher() public {
        slot = _slotWithTwoSequencers(slot);
        _warpToSlot(slot);
        address[] memory seqs = _sequencersByScore(slot);
        _propose(seqs[0], _args(slot, HEIGHT), _sigs(seqs[0], _attesters(slot)));

        IRollup.ProposeArgs memory pa = _args(slot, HEIGHT);
        IRollup.Signature[] memory ps = _sigs(seqs[1], _attesters(slot));
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__ScoreNotHigher.selector, rollup.scoreOf(seqs[0], slot), rollup.scoreOf(seqs[1], slot)
            )
        );
        _propose(seqs[1], pa, ps);
    }

    function test_propose_revertsWhenIncumbentProposesAgain() public {
        _propose(seq, _args(slot, HEIGHT), _sigs(seq, _attesters(slot)));
        uint256 s = rollup.scoreOf(seq, slot);
        IRollup.ProposeArgs memory args = _args(slot, HEIGHT);
        args.txRoot = keccak256("other");
        MessagesLib.Header memory h = _headerFor(seq, slot, args.txRoot, HEIGHT);
        IRollup.Signature[] memory sigs = _attestations(_attesters(slot), slot, MessagesLib.blockHash(h));
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__ScoreNotHigher.selector, s, s));
        _propose(seq, args, sigs);
    }

    // ------------------------------------------------------------------ reverts: attestations

    function test_propose_revertsWhenNoAttestations() public {
        IRollup.ProposeArgs memory pa = _args(slot, HEIGHT);
        IRollup.Signature[] memory ps = new IRollup.Signature[](0);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Rollup__TooFewAttestations.selector, 0, rollup.attestationQuorum())
        );
        _propose(seq, pa, ps);
    }

    function test_propose_revertsWhenOneAttestationShort() public {
        address[] memory committee = _attesters(slot);
        uint256 m = rollup.attestationQuorum();
        address[] memory few = new address[](m - 1);
        for (uint256 i; i < few.length; ++i) {
            few[i] = committee[i];
        }
        IRollup.ProposeArgs memory pa = _args(slot, HEIGHT);
        IRollup.Signature[] memory ps = _sigs(seq, few);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__TooFewAttestations.selector, m - 1, m));
        _propose(seq, pa, ps);
    }

    function test_propose_revertsWhenAttestersDescending() public {
        address[] memory committee = _attesters(slot);
        address[] memory reversed = new address[](committee.length);
        for (uint256 i; i < committee.length; ++i) {
            reversed[i] = committee[committee.length - 1 - i];
        }
        IRollup.ProposeArgs memory pa = _args(slot, HEIGHT);
        IRollup.Signature[] memory ps = _sigs(seq, reversed);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__AttestersNotAscending.selector, reversed[0], reversed[1]));
        _propose(seq, pa, ps);
    }

    function test_propose_revertsWhenAttestationRepeated() public {
        address[] memory committee = _attesters(slot);
        address[] memory signers = _withSorted(committee, committee[2]);
        IRollup.ProposeArgs memory pa = _args(slot, HEIGHT);
        IRollup.Signature[] memory ps = _sigs(seq, signers);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Rollup__AttestersNotAscending.selector, committee[2], committee[2])
        );
        _propose(seq, pa, ps);
    }

    function test_propose_revertsWhenAttesterNotInCommittee() public {
        address b = _bystander(slot);
        address[] memory signers = _withSorted(_attesters(slot), b);
        IRollup.ProposeArgs memory pa = _args(slot, HEIGHT);
        IRollup.Signature[] memory ps = _sigs(seq, signers);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__AttesterNotInCommittee.selector, b, rollup.scoreOf(b, slot), _attestationThreshold(slot)
            )
        );
        _propose(seq, pa, ps);
    }

    function test_propose_revertsWhenSequencerAttestsItself() public {
        address[] memory signers = _withSorted(_attesters(slot), seq);
        IRollup.ProposeArgs memory pa = _args(slot, HEIGHT);
        IRollup.Signature[] memory ps = _sigs(seq, signers);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__AttesterNotInCommittee.selector,
                seq,
                rollup.scoreOf(seq, slot),
                _attestationThreshold(slot)
            )
        );
        _propose(seq, pa, ps);
    }

    function test_propose_revertsWhenAttesterNotRegistered() public {
        address fresh = _freshKeyBelow(slot, _attestationThreshold(slot));
        address[] memory signers = _withSorted(_attesters(slot), fresh);
        IRollup.ProposeArgs memory pa = _args(slot, HEIGHT);
        IRollup.Signature[] memory ps = _sigs(seq, signers);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__NotActive.selector, fresh, _epochOf(slot)));
        _propose(seq, pa, ps);
    }

    function test_propose_revertsWhenSignatureIsZero() public {
        IRollup.Signature[] memory sigs = _sigs(seq, _attesters(slot));
        sigs[1] = IRollup.Signature({r: bytes32(0), vs: bytes32(0)});
        IRollup.ProposeArgs memory pa = _args(slot, HEIGHT);
        IRollup.Signature[] memory ps = sigs;
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidSignature.selector));
        _propose(seq, pa, ps);
    }

    /// @dev s above secp256k1n / 2 (still below 2^255, so representable in compact form) is the malleable twin range.
    function test_propose_revertsWhenSignatureHasHighS() public {
        IRollup.Signature[] memory sigs = _sigs(seq, _attesters(slot));
        uint256 halfOrder = SECP256K1_ORDER / 2;
        sigs[0].vs = bytes32((uint256(sigs[0].vs) & (1 << 255)) | (halfOrder + 1));
        IRollup.ProposeArgs memory pa = _args(slot, HEIGHT);
        IRollup.Signature[] memory ps = sigs;
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__InvalidSignature.selector));
        _propose(seq, pa, ps);
    }
}

/// @notice A network whose stakers are registered but not active yet.
contract ProposeBeforeActivationTest is RollupBase {
    function setUp() public override {
        _deploy();
        _register(STAKERS);
    }

    function test_propose_revertsWhenNoActiveStakers() public {
        uint256 slot = rollup.currentSlot();
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__NoActiveStakers.selector, _epochOf(slot)));
        _propose(
            stakers[0],
            IRollup.ProposeArgs({slot: uint64(slot), txRoot: ROOT, height: HEIGHT}),
            new IRollup.Signature[](0)
        );
    }
}

/// @notice The proposal ring (proofWindow + 2 entries) at its fullest: proofWindow + 1 pending blocks on consecutive
///         slots, all provable in order, and a further proposal prunes them all instead of overwriting a live entry.
///         Long epochs keep every scanned slot's seed fixed before the scan.
contract ProposeRingTest is RollupBase {
    uint256 internal first;

    function _stakingConfig() internal view override returns (Staking.Config memory c) {
        c = super._stakingConfig();
        c.epochDuration = 32;
    }

    function setUp() public override {
        super.setUp();
        rollup.sampleSeed();
        uint256 count = rollup.proofWindow() + 1;
        uint256 end = (rollup.currentEpoch() + 2) * rollup.epochDuration() - count - 1;
        for (uint256 s = rollup.currentSlot(); s < end; ++s) {
            uint256 k;
            while (
                k < count && _bestSequencer(s + k) != address(0)
                    && _attesters(s + k).length >= rollup.attestationQuorum()
            ) {
                ++k;
            }
            if (k == count) {
                first = s;
                return;
            }
        }
        revert("no run of usable slots");
    }

    function _fill() internal returns (MessagesLib.Header[] memory hs, bytes32[][] memory outs) {
        uint256 count = rollup.proofWindow() + 1;
        hs = new MessagesLib.Header[](count);
        outs = new bytes32[][](count);
        for (uint256 i; i < count; ++i) {
            _warpToSlot(first + i);
            bytes32[] memory leaves;
            (hs[i], leaves) = _proposeBlock(first + i, 3);
            outs[i] = _outputs(leaves, 3);
        }
    }

    function test_propose_ringHoldsProofWindowPlusOnePendingBlocks() public {
        (MessagesLib.Header[] memory hs, bytes32[][] memory outs) = _fill();
        assertEq(_pendingTip(), hs.length);
        for (uint256 i; i < hs.length; ++i) {
            assertEq(rollup.blockHashOf(i + 1), MessagesLib.blockHash(hs[i]));
            if (i > 0) assertEq(hs[i].parentHash, MessagesLib.blockHash(hs[i - 1]));
        }
        // Every pending block is still provable, in order, before the first one's deadline.
        for (uint256 i; i < hs.length; ++i) {
            (bytes memory proof,) = _transcript(hs[i], outs[i], new address[](0));
            rollup.submitProof(hs[i], proof);
        }
        assertEq(_provenTip(), hs.length);

        // The next block reuses the ring entry of block 0 and links to the proven tip.
        (uint256 slot, address seq) = _nextUsableSlot(first + hs.length, rollup.attestationQuorum());
        _warpToSlot(slot);
        (MessagesLib.Header memory next,) = _proposeBlock(slot, 3);
        assertEq(next.number, hs.length + 1);
        assertEq(next.parentHash, MessagesLib.blockHash(hs[hs.length - 1]));
        assertEq(next.proposer, seq);
        assertEq(rollup.blockHashOf(0), keccak256("spn.genesis"));
        for (uint256 i; i < hs.length; ++i) {
            assertEq(rollup.blockHashOf(i + 1), MessagesLib.blockHash(hs[i]));
        }
    }

    function test_propose_ringNeverOverwritesALiveEntry() public {
        (MessagesLib.Header[] memory hs,) = _fill();
        // One slot later the oldest pending block has expired: proposing prunes all of them first.
        uint256 slot = first + hs.length;
        _warpToSlot(slot);
        address seq = _bestSequencer(slot);
        vm.skip(seq == address(0) || _attesters(slot).length < rollup.attestationQuorum());
        MessagesLib.Header memory h = MessagesLib.Header({
            number: 1,
            parentHash: keccak256("spn.genesis"),
            slot: uint64(slot),
            proposer: seq,
            txRoot: ROOT,
            height: HEIGHT
        });
        IRollup.Signature[] memory sigs = _attestations(_attesters(slot), slot, MessagesLib.blockHash(h));
        vm.expectEmit(address(rollup));
        emit IRollup.BlocksPruned(1, hs.length);
        vm.prank(seq);
        assertEq(rollup.propose(IRollup.ProposeArgs({slot: uint64(slot), txRoot: ROOT, height: HEIGHT}), sigs), 1);
    }
}
