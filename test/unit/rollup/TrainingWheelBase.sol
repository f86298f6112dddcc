// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RollupBase} from "./RollupBase.sol";
import {BlsVerifier} from "../../../contracts/BlsVerifier.sol";
import {Rollup} from "../../../contracts/Rollup.sol";
import {IBlsVerifier} from "../../../contracts/interfaces/IBlsVerifier.sol";
import {IStaking} from "../../../contracts/interfaces/IStaking.sol";
import {MessagesLib} from "../../../contracts/libraries/MessagesLib.sol";
import {BlsTestSigner} from "../../utils/BlsTestSigner.sol";
import {BlsTransitions} from "../../utils/BlsTransitions.sol";

/// @notice The unit fixture's devnet (32 stakers, n = 6) with the BLS training wheel on: a BlsVerifier, 5,000 bps of
///         the expected round-1 committee (16, so 8 signers), and every staker's BLS key registered with its proof of
///         possession. Builds what a submitter builds: the round-1 signers, the signed transition, the signed proof.
abstract contract TrainingWheelBase is RollupBase {
    uint256 internal constant WHEEL_BPS = 5_000;

    BlsVerifier internal blsVerifier;

    /// @notice The wheel's `trainingWheelUntil`; on for good unless a test says otherwise.
    function _wheelUntil() internal view virtual returns (uint256) {
        return type(uint256).max;
    }

    function _rollupConfig() internal view virtual override returns (Rollup.Config memory c) {
        c = super._rollupConfig();
        c.trainingWheel = blsVerifier;
        c.trainingWheelBps = WHEEL_BPS;
        c.trainingWheelUntil = _wheelUntil();
    }

    function setUp() public virtual override {
        // Before the Rollup: its config names the verifier.
        blsVerifier = new BlsVerifier();
        super.setUp();
        _registerBlsKeys();
    }

    /// @notice Registers every staker's BLS key; tests that leave some keys out override it.
    function _registerBlsKeys() internal virtual {
        for (uint256 i; i < stakers.length; ++i) {
            _registerBlsKey(stakers[i]);
        }
    }

    /// @notice Registers `key`'s test BLS key (BlsTransitions.secretKey) with its proof of possession.
    function _registerBlsKey(address key) internal {
        uint256 sk = BlsTransitions.secretKey(key);
        bytes memory pk = BlsTestSigner.publicKey(sk);
        bytes memory pop = BlsTestSigner.pop(sk);
        vm.prank(key);
        staking.registerBlsKey(pk, pop);
    }

    /// @notice `key` as a transition signer: its test key and the epochs Staking holds for it.
    function _signer(address key) internal view returns (BlsTransitions.Signer memory s) {
        IStaking.Staker memory st = staking.getStaker(key);
        s = BlsTransitions.Signer({
            key: key,
            activationEpoch: st.activationEpoch,
            exitEpoch: st.exitEpoch,
            publicKey: BlsTestSigner.publicKey(BlsTransitions.secretKey(key))
        });
    }

    /// @notice Every active staker of block `h`'s round-1 committee, ascending: who may sign its transition.
    function _committee(MessagesLib.Header memory h) internal view returns (BlsTransitions.Signer[] memory out) {
        uint256 threshold = _roundThreshold(1, h);
        address[] memory tmp = new address[](stakers.length);
        uint256 count;
        for (uint256 i; i < stakers.length; ++i) {
            if (!staking.isActive(stakers[i], _epochOf(h.slot))) continue;
            if (rollup.scoreOf(stakers[i], h.slot) < threshold) tmp[count++] = stakers[i];
        }
        address[] memory members = new address[](count);
        for (uint256 i; i < count; ++i) {
            members[i] = tmp[i];
        }
        _sort(members);
        out = new BlsTransitions.Signer[](count);
        for (uint256 i; i < count; ++i) {
            out[i] = _signer(members[i]);
        }
    }

    /// @notice The `required` lowest round-1 members of `h` (what a submitter sends: more signers only cost gas).
    function _quorum(MessagesLib.Header memory h) internal view returns (BlsTransitions.Signer[] memory) {
        BlsTransitions.Signer[] memory all = _committee(h);
        uint256 required = _required(h);
        require(all.length >= required, "round-1 committee below the quorum");
        return BlsTransitions.take(all, required);
    }

    /// @notice Signers block `h` needs (BlsVerifier.requiredSigners over the Rollup's parameters).
    function _required(MessagesLib.Header memory h) internal view returns (uint256) {
        return blsVerifier.requiredSigners(
            h.height, rollup.roundHeight(), rollup.redundancy(), _activeCountAt(h.slot), rollup.trainingWheelBps()
        );
    }

    /// @notice The context the Rollup hands the verifier when proving `h` next (pre-state: the current proven one).
    function _transitionContext(MessagesLib.Header memory h)
        internal
        view
        returns (IBlsVerifier.TransitionContext memory)
    {
        return IBlsVerifier.TransitionContext({
            domainSeparator: rollup.domainSeparator(),
            blockHash: MessagesLib.blockHash(h),
            txRoot: h.txRoot,
            preStateRoot: rollup.provenStateRoot(),
            staking: staking,
            slotSeed: rollup.slotSeed(h.slot),
            epoch: _epochOf(h.slot),
            activeCount: _activeCountAt(h.slot),
            height: h.height,
            roundHeight: rollup.roundHeight(),
            redundancy: rollup.redundancy(),
            thresholdBps: rollup.trainingWheelBps()
        });
    }

    /// @notice The transition of `h` signed by each of `signers`.
    function _signedTransition(MessagesLib.Header memory h, BlsTransitions.Signer[] memory signers)
        internal
        view
        returns (bytes memory)
    {
        bytes memory message = BlsTransitions.message(_transitionContext(h));
        return BlsTransitions.encode(BlsTransitions.signEach(signers, message), signers);
    }

    /// @notice The honest transcript and quorum transition of `b`.
    function _signedProof(Blk memory b) internal view returns (bytes memory proof, bytes memory transition) {
        (proof,) = _transcript(b.header, b.outputs, new address[](0));
        transition = _signedTransition(b.header, _quorum(b.header));
    }

    /// @notice Proves `b` with the wheel, from this contract.
    function _proveSigned(Blk memory b) internal {
        (bytes memory proof, bytes memory transition) = _signedProof(b);
        rollup.submitSignedProof(b.header, proof, transition);
    }
}
