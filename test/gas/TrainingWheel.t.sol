// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BenchBase} from "./Benchmark.t.sol";
import {BlsVerifier} from "../../contracts/BlsVerifier.sol";
import {Rollup} from "../../contracts/Rollup.sol";
import {IBlsVerifier} from "../../contracts/interfaces/IBlsVerifier.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {IStaking} from "../../contracts/interfaces/IStaking.sol";
import {MessagesLib} from "../../contracts/libraries/MessagesLib.sol";
import {SortitionLib} from "../../contracts/libraries/SortitionLib.sol";
import {BlsTestSigner} from "../utils/BlsTestSigner.sol";
import {BlsTransitions} from "../utils/BlsTransitions.sol";

/// @notice The BLS training wheel's cost (docs/design/bls-training-wheel.md §4): BenchSubmitTest's block (n = 11, m = 2,
///         2,048 stakers, about 1,024 round-1 members) proven by submitProof without the wheel and by
///         submitSignedProof with 64, 256 and 512 signers; the per-signer slope and the fixed part it adds; and, for
///         comparison, what one more ECDSA attestation costs a proposal. registerBlsKey is BenchBlsKeyTest's.
/// @dev The two worlds (wheel off, wheel on) are built in turn from the same state snapshot, with the same addresses
///      (the BlsVerifier is placed with vm.etch, taking no deployer nonce), so they hold the same block and transcript.
///      The wheel is deployed with 625 bps: 64 required signers of the expected 1,024; more signers only cost more.
contract BenchTrainingWheelTest is BenchBase {
    uint256 internal constant TX_GAS_CAP = 16_777_216;
    address internal constant BLS_VERIFIER = address(uint160(uint256(keccak256("spn.bench.blsVerifier"))));
    uint256 internal constant BPS = 625;

    /// @notice Targets from the first measured run (5,474 per signer, 196,924 fixed), with a little margin. The fixed
    ///         part includes provenStateRoot's first write (zero to nonzero: 22,100 against 5,000 on later blocks).
    uint256 internal constant PER_SIGNER_TARGET = 5_600;
    uint256 internal constant FIXED_TARGET = 200_000;

    bool internal wheel;
    MessagesLib.Header internal header;
    bytes32[] internal outputs;

    function _rollupConfig() internal view virtual override returns (Rollup.Config memory c) {
        c = _withoutMinimumCoverage(super._rollupConfig());
        if (wheel) {
            c.trainingWheel = IBlsVerifier(BLS_VERIFIER);
            c.trainingWheelBps = BPS;
            c.trainingWheelUntil = type(uint256).max;
        }
    }

    /// @dev BenchSubmitTest's setUp, with or without the wheel.
    function _world(bool withWheel) internal {
        wheel = withWheel;
        vm.etch(BLS_VERIFIER, type(BlsVerifier).runtimeCode);
        _deploy();
        _fundPool(1_000_000e18);
        _registerAndActivate(2048);
        (uint256 slot,) = _nextUsableSlot(rollup.currentSlot(), 33);
        _warpToSlot(slot);
        bytes32[] memory leaves;
        (header, leaves) = _proposeBlock(slot, 11);
        outputs = _outputs(leaves, 11);
    }

    struct Measured {
        uint256 total;
        uint256 execution;
        uint256 calldataGas;
    }

    function test_gas_submitSignedProof_n11_m2() public {
        uint256 start = vm.snapshotState();

        // Without the wheel: submitProof of the block (BenchSubmitTest's "full transcript" figure).
        _world(false);
        (bytes memory proof,) = _transcript(header, outputs, new address[](0));
        rollup.submitProof(header, proof);
        Measured memory unsigned =
            _measure("submitProof n=11 m=2 (wheel off)", abi.encodeCall(Rollup.submitProof, (header, proof)));
        vm.revertToState(start);

        // With the wheel: the same block; the lowest 512 round-1 members register their keys.
        _world(true);
        BlsTransitions.Signer[] memory members = _roundOneMembers(512);
        for (uint256 i; i < members.length; ++i) {
            _registerBlsKey(members[i]);
        }
        bytes memory message = BlsTransitions.message(_context());

        uint256[3] memory counts = [uint256(64), 256, 512];
        Measured[3] memory signed;
        for (uint256 c; c < counts.length; ++c) {
            BlsTransitions.Signer[] memory signers = BlsTransitions.take(members, counts[c]);
            bytes memory transition = BlsTransitions.encode(BlsTransitions.signSum(signers, message), signers);
            uint256 snap = vm.snapshotState();
            rollup.submitSignedProof(header, proof, transition);
            signed[c] = _measure(
                string.concat("submitSignedProof n=11 m=2, ", vm.toString(counts[c]), " signers"),
                abi.encodeCall(Rollup.submitSignedProof, (header, proof, transition))
            );
            vm.revertToState(snap);
        }

        // Per signer: the slope from 64 to 512 signers; fixed: what remains over submitProof at 64.
        uint256 perSigner = (signed[2].total - signed[0].total) / (512 - 64);
        uint256 perSignerCalldata = (signed[2].calldataGas - signed[0].calldataGas) / (512 - 64);
        uint256 fixedPart = signed[0].total - unsigned.total - 64 * perSigner;
        vm.snapshotValue("per signer: total gas", perSigner);
        vm.snapshotValue("per signer: calldata gas", perSignerCalldata);
        vm.snapshotValue("per signer: execution gas", perSigner - perSignerCalldata);
        vm.snapshotValue("fixed over submitProof: total gas", fixedPart);
        for (uint256 c; c < counts.length; ++c) {
            vm.snapshotValue(
                string.concat("over submitProof, ", vm.toString(counts[c]), " signers: total gas"),
                signed[c].total - unsigned.total
            );
        }
        emit log_named_uint("round-1 members with keys", members.length);
        emit log_named_uint("submitProof total", unsigned.total);
        emit log_named_uint("submitSignedProof 64 total", signed[0].total);
        emit log_named_uint("submitSignedProof 256 total", signed[1].total);
        emit log_named_uint("submitSignedProof 512 total", signed[2].total);
        emit log_named_uint("per signer (total)", perSigner);
        emit log_named_uint("per signer (calldata)", perSignerCalldata);
        emit log_named_uint("fixed over submitProof", fixedPart);
        assertLe(perSigner, PER_SIGNER_TARGET, "per signer above target");
        assertLe(fixedPart, FIXED_TARGET, "fixed part above target");
        assertLt(signed[2].total, TX_GAS_CAP, "512 signers beside an n = 11 transcript above the transaction cap");
    }

    /// @notice The ECDSA path to compare with: what one more attestation adds to a proposal (ecrecover, the staker
    ///         record, the score, 64 bytes of calldata), from the quorum (33) to the whole attestation committee.
    function test_gas_attestation_perSigner() public {
        _deploy();
        _fundPool(1_000_000e18);
        _registerAndActivate(2048);
        (uint256 slot, address seq) = _nextUsableSlot(rollup.currentSlot(), 40);
        _warpToSlot(slot);
        address[] memory committee = _attesters(slot);
        bytes32 root = keccak256("txs");
        MessagesLib.Header memory h = _headerFor(seq, slot, root, 11);
        IRollup.ProposeArgs memory args = IRollup.ProposeArgs({slot: uint64(slot), txRoot: root, height: 11});

        uint256 snap = vm.snapshotState();
        address[] memory quorum = new address[](33);
        for (uint256 i; i < 33; ++i) {
            quorum[i] = committee[i];
        }
        IRollup.Signature[] memory few = _attestations(quorum, slot, MessagesLib.blockHash(h));
        vm.prank(seq);
        rollup.propose(args, few);
        Measured memory atQuorum = _measure("propose, 33 attestations", abi.encodeCall(Rollup.propose, (args, few)));
        vm.revertToState(snap);

        IRollup.Signature[] memory all = _attestations(committee, slot, MessagesLib.blockHash(h));
        vm.prank(seq);
        rollup.propose(args, all);
        Measured memory whole = _measure(
            string.concat("propose, ", vm.toString(committee.length), " attestations"),
            abi.encodeCall(Rollup.propose, (args, all))
        );
        uint256 extra = committee.length - 33;
        uint256 perAttestation = (whole.total - atQuorum.total) / extra;
        vm.snapshotValue("per attestation: total gas", perAttestation);
        vm.snapshotValue("per attestation: calldata gas", (whole.calldataGas - atQuorum.calldataGas) / extra);
        emit log_named_uint("attestation committee", committee.length);
        emit log_named_uint("per attestation (total)", perAttestation);
    }

    // ------------------------------------------------------------------ helpers

    function _measure(string memory name, bytes memory callData) internal returns (Measured memory m) {
        m.execution = _record(name, callData);
        m.calldataGas = _calldataGas(callData);
        m.total = m.execution + m.calldataGas + INTRINSIC;
    }

    /// @dev The `count` lowest-address round-1 members of the block (what a submitter sends), with their test keys.
    function _roundOneMembers(uint256 count) internal view returns (BlsTransitions.Signer[] memory out) {
        uint256 threshold = SortitionLib.roundThreshold(
            1, header.height, rollup.roundHeight(), rollup.redundancy(), _activeCountAt(header.slot)
        );
        address[] memory tmp = new address[](stakers.length);
        uint256 n;
        for (uint256 i; i < stakers.length; ++i) {
            if (rollup.scoreOf(stakers[i], header.slot) < threshold) tmp[n++] = stakers[i];
        }
        address[] memory members = new address[](n);
        for (uint256 i; i < n; ++i) {
            members[i] = tmp[i];
        }
        _sort(members);
        require(n >= count, "round-1 committee too small");
        out = new BlsTransitions.Signer[](count);
        for (uint256 i; i < count; ++i) {
            IStaking.Staker memory st = staking.getStaker(members[i]);
            out[i] = BlsTransitions.Signer({
                key: members[i],
                activationEpoch: st.activationEpoch,
                exitEpoch: st.exitEpoch,
                publicKey: BlsTestSigner.publicKey(BlsTransitions.secretKey(members[i]))
            });
        }
    }

    function _registerBlsKey(BlsTransitions.Signer memory s) internal {
        bytes memory pop = BlsTestSigner.pop(BlsTransitions.secretKey(s.key));
        vm.prank(s.key);
        staking.registerBlsKey(s.publicKey, pop);
    }

    function _context() internal view returns (IBlsVerifier.TransitionContext memory) {
        return IBlsVerifier.TransitionContext({
            domainSeparator: rollup.domainSeparator(),
            blockHash: MessagesLib.blockHash(header),
            txRoot: header.txRoot,
            preStateRoot: rollup.provenStateRoot(),
            staking: staking,
            slotSeed: rollup.slotSeed(header.slot),
            epoch: _epochOf(header.slot),
            activeCount: _activeCountAt(header.slot),
            height: header.height,
            roundHeight: rollup.roundHeight(),
            redundancy: rollup.redundancy(),
            thresholdBps: rollup.trainingWheelBps()
        });
    }

    function _epochOf(uint256 slot) internal view returns (uint256) {
        return slot / rollup.epochDuration();
    }
}
