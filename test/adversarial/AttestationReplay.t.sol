// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {UnitBase} from "../unit/UnitBase.sol";
import {Rollup} from "../../contracts/Rollup.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {MessagesLib} from "../../contracts/libraries/MessagesLib.sol";

/// @notice Attestations are bound to one chain, one rollup deployment, one slot and one block: replaying a quorum of
///         valid attestations anywhere else recovers unrelated addresses and the proposal fails. Also: duplicated
///         signers, an exited attester, withheld attestations and a proposer reusing another's attestations.
contract AttestationReplayTest is UnitBase {
    bytes32 internal constant ROOT = keccak256("adv.txRoot");
    Rollup internal twin;
    uint256 internal slot;
    address internal seq;

    function setUp() public {
        _deploy();
        // A second deployment sharing Staking, created in the same epoch: same seeds from epoch 1 on, same committees.
        twin = new Rollup(_rollupConfig());
        _fundPool(POOL);
        _registerAndActivate(STAKERS);
        (slot, seq) = _nextUsableSlot(rollup.currentSlot(), rollup.attestationQuorum());
        _warpToSlot(slot);
    }

    function _args(bytes32 root) internal view returns (IRollup.ProposeArgs memory) {
        return IRollup.ProposeArgs({slot: uint64(slot), txRoot: root, height: HEIGHT});
    }

    function _hash(address proposer, bytes32 root) internal view returns (bytes32) {
        return MessagesLib.blockHash(_headerFor(proposer, slot, root, HEIGHT));
    }

    /// @notice Proposes with `sigs` and expects exactly the rejection the rollup's checks give for them.
    function _expectRejected(address proposer, IRollup.ProposeArgs memory args, IRollup.Signature[] memory sigs)
        internal
    {
        bytes memory reason = _attestationRevert(slot, _hash(proposer, args.txRoot), sigs);
        assertGt(reason.length, 0, "replayed attestations must not verify");
        vm.expectRevert(reason);
        vm.prank(proposer);
        rollup.propose(args, sigs);
    }

    function test_attestation_honestQuorumIsAccepted() public {
        IRollup.Signature[] memory sigs = _attestations(_attesters(slot), slot, _hash(seq, ROOT));
        assertEq(_attestationRevert(slot, _hash(seq, ROOT), sigs).length, 0, "predictor agrees with the rollup");
        vm.prank(seq);
        assertEq(rollup.propose(_args(ROOT), sigs), 1);
    }

    function test_attestation_replayedOnAnotherChainId() public {
        IRollup.Signature[] memory sigs = _attestations(_attesters(slot), slot, _hash(seq, ROOT));
        vm.chainId(block.chainid + 1);
        _expectRejected(seq, _args(ROOT), sigs);
    }

    function test_attestation_replayedOnAnotherDeployment() public {
        assertEq(twin.scoreOf(seq, slot), rollup.scoreOf(seq, slot), "same committees in both deployments");
        Rollup original = rollup;
        rollup = twin;
        bytes32 hash = _hash(seq, ROOT);
        IRollup.Signature[] memory sigs = _attestations(_attesters(slot), slot, hash);
        // The twin accepts them: they are valid there.
        vm.prank(seq);
        twin.propose(_args(ROOT), sigs);
        rollup = original;
        assertEq(_hash(seq, ROOT), hash, "same block hash on both");
        _expectRejected(seq, _args(ROOT), sigs);
    }

    function test_attestation_replayedForAnotherSlot() public {
        // The right block hash, but the Attestation message names another slot.
        bytes32 hash = _hash(seq, ROOT);
        address[] memory committee = _attesters(slot);
        IRollup.Signature[] memory sigs = new IRollup.Signature[](committee.length);
        bytes32 digest = MessagesLib.attestationDigest(rollup.domainSeparator(), slot - 1, hash);
        for (uint256 i; i < committee.length; ++i) {
            sigs[i] = _signCompact(committee[i], digest);
        }
        _expectRejected(seq, _args(ROOT), sigs);
    }

    function test_attestation_replayedFromAnEarlierSlotsBlock() public {
        IRollup.Signature[] memory sigs = _attestations(_attesters(slot), slot, _hash(seq, ROOT));
        vm.prank(seq);
        rollup.propose(_args(ROOT), sigs);
        // Next usable slot: a different block (number, parent, slot) under the same quorum of signatures.
        (slot, seq) = _nextUsableSlot(slot + 1, rollup.attestationQuorum());
        _warpToSlot(slot);
        _expectRejected(seq, _args(ROOT), sigs);
    }

    function test_attestation_replayedForAnotherTxRoot() public {
        IRollup.Signature[] memory sigs = _attestations(_attesters(slot), slot, _hash(seq, ROOT));
        _expectRejected(seq, _args(keccak256("other txs")), sigs);
    }

    function test_attestation_reusedByAnotherProposer() public {
        slot = _slotWithTwoSequencers(slot);
        _warpToSlot(slot);
        address[] memory seqs = _sequencersByScore(slot);
        // The committee attested the lower-scoring sequencer's block; the higher one tries to take over with them.
        IRollup.Signature[] memory sigs = _attestations(_attesters(slot), slot, _hash(seqs[1], ROOT));
        vm.prank(seqs[1]);
        rollup.propose(_args(ROOT), sigs);
        _expectRejected(seqs[0], _args(ROOT), sigs);
    }

    function test_attestation_duplicateSignerCountedOnce() public {
        address[] memory committee = _attesters(slot);
        uint256 m = rollup.attestationQuorum();
        // M signatures, but only M - 1 distinct signers: the repeat is caught as not ascending.
        address[] memory signers = new address[](m);
        for (uint256 i; i < m - 1; ++i) {
            signers[i] = committee[i];
        }
        signers[m - 1] = committee[m - 2];
        IRollup.Signature[] memory sigs = _attestations(signers, slot, _hash(seq, ROOT));
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Rollup__AttestersNotAscending.selector, committee[m - 2], committee[m - 2])
        );
        vm.prank(seq);
        rollup.propose(_args(ROOT), sigs);
    }

    function test_attestation_withheldBelowQuorum() public {
        // The committee withholds: only M - 1 members sign.
        address[] memory committee = _attesters(slot);
        uint256 m = rollup.attestationQuorum();
        address[] memory signers = new address[](m - 1);
        for (uint256 i; i < signers.length; ++i) {
            signers[i] = committee[i];
        }
        IRollup.Signature[] memory sigs = _attestations(signers, slot, _hash(seq, ROOT));
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__TooFewAttestations.selector, m - 1, m));
        vm.prank(seq);
        rollup.propose(_args(ROOT), sigs);
        assertEq(_pendingTip(), 0);
    }

    function test_attestation_smallCommitteeCannotReachQuorum() public {
        // A slot whose committee is smaller than M cannot get a block even if everyone signs.
        uint256 m = rollup.attestationQuorum();
        uint256 s = slot;
        while (_bestSequencer(s) == address(0) || _attesters(s).length >= m) ++s;
        slot = s;
        _warpToSlot(slot);
        seq = _bestSequencer(slot);
        address[] memory committee = _attesters(slot);
        IRollup.Signature[] memory sigs = _attestations(committee, slot, _hash(seq, ROOT));
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__TooFewAttestations.selector, committee.length, m));
        vm.prank(seq);
        rollup.propose(_args(ROOT), sigs);
    }

    function test_attestation_fromExitedStakerRejected() public {
        address leaver = stakers[0];
        vm.prank(_withdrawerOf(leaver));
        staking.initiateExit(leaver);
        uint256 exitEpoch = staking.getStaker(leaver).exitEpoch;
        // Find a slot after the exit where the leaver's score would still put it on the committee.
        uint256 s = exitEpoch * rollup.epochDuration();
        _warpToSlot(s);
        rollup.sampleSeed();
        while (
            _bestSequencer(s) == address(0) || _attesters(s).length < rollup.attestationQuorum()
                || rollup.scoreOf(leaver, s) >= _attestationThreshold(s)
        ) {
            ++s;
            if (s % rollup.epochDuration() == 0) {
                _warpToSlot(s);
                rollup.sampleSeed();
            }
        }
        slot = s;
        _warpToSlot(slot);
        seq = _bestSequencer(slot);
        address[] memory committee = _attesters(slot);
        address[] memory signers = new address[](committee.length + 1);
        for (uint256 i; i < committee.length; ++i) {
            signers[i] = committee[i];
        }
        signers[committee.length] = leaver;
        _sort(signers);
        IRollup.Signature[] memory sigs = _attestations(signers, slot, _hash(seq, ROOT));
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__NotActive.selector, leaver, _epochOf(slot)));
        vm.prank(seq);
        rollup.propose(_args(ROOT), sigs);
    }
}
