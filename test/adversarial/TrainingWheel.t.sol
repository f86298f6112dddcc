// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TrainingWheelBase} from "../unit/rollup/TrainingWheelBase.sol";
import {Rollup} from "../../contracts/Rollup.sol";
import {IBlsVerifier} from "../../contracts/interfaces/IBlsVerifier.sol";
import {BlsLib} from "../../contracts/libraries/BlsLib.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {MessagesLib} from "../../contracts/libraries/MessagesLib.sol";
import {BlsTestSigner} from "../utils/BlsTestSigner.sol";
import {BlsTransitions} from "../utils/BlsTransitions.sol";

/// @notice Attacks on the BLS training wheel (docs/design/bls-training-wheel.md §2, §3.4): a transition counts only
///         when a quorum of the block's own round-1 committee, each with the key it proved possession of, signed this
///         block's transition on this chain and this Rollup.
/// @dev Every staker but two has its BLS key: `attacker` (no key, tries a rogue key) and `copier`, a round-1 member of
///      block `b` that may copy another member's key.
contract TrainingWheelTest is TrainingWheelBase {
    using BlsTransitions for BlsTransitions.Signer[];

    string internal constant VECTORS = "test/vectors/bls/bls12381.json";

    Blk internal b;
    bytes internal proof;
    /// @dev The lowest `required` round-1 members of `b` with their keys (the honest quorum); `copier` is not among them.
    BlsTransitions.Signer[] internal quorum;
    address internal attacker;
    address internal copier;

    function _registerBlsKeys() internal override {}

    function setUp() public override {
        super.setUp();
        b = _proposeNext(HEIGHT);
        (proof,) = _transcript(b.header, b.outputs, new address[](0));
        // The copier: the highest round-1 member (so that the quorum of the lowest ones does not need it).
        BlsTransitions.Signer[] memory committee = _committee(b.header);
        copier = committee[committee.length - 1].key;
        attacker = _notInCommittee(b.header);
        for (uint256 i; i < stakers.length; ++i) {
            if (stakers[i] != copier && stakers[i] != attacker) _registerBlsKey(stakers[i]);
        }
        BlsTransitions.Signer[] memory q = _quorum(b.header);
        for (uint256 i; i < q.length; ++i) {
            require(q[i].key != copier, "copier in the quorum");
            quorum.push(q[i]);
        }
    }

    function _submit(bytes memory transition) internal {
        rollup.submitSignedProof(b.header, proof, transition);
    }

    function _expectBadSignature(bytes memory transition) internal {
        vm.expectRevert(abi.encodeWithSelector(Errors.Bls__BadSignature.selector));
        _submit(transition);
    }

    function _quorumMemory() internal view returns (BlsTransitions.Signer[] memory q) {
        q = quorum;
    }

    /// @dev The quorum's transition as honest members sign it for `ctx` (which a test may alter).
    function _signedFor(IBlsVerifier.TransitionContext memory ctx) internal view returns (bytes memory) {
        BlsTransitions.Signer[] memory q = _quorumMemory();
        return BlsTransitions.encode(BlsTransitions.signEach(q, BlsTransitions.message(ctx)), q);
    }

    function test_honestQuorumIsAccepted() public {
        _submit(_signedFor(_transitionContext(b.header)));
        assertEq(rollup.provenStateRoot(), MessagesLib.stateRoot(bytes32(0), b.header.txRoot));
    }

    // ------------------------------------------------------------------ rogue keys

    /// @dev The rogue-key attack: pk' = a·G1 − Σ honest keys makes the "aggregate" of the honest keys and pk' equal
    ///      a·G1, whose owner signs for all of them alone. The proof of possession stops it at registration: the
    ///      attacker knows no secret key of pk', so no proof it can make verifies.
    function test_rogueKey_cannotRegisterWithoutPossession() public {
        uint256 a = 0xa77ac4e5;
        BlsTransitions.Signer[] memory q = _quorumMemory();
        bytes[] memory honest = new bytes[](q.length);
        for (uint256 i; i < q.length; ++i) {
            honest[i] = q[i].publicKey;
        }
        bytes memory sum = BlsLib.padG1(BlsTestSigner.aggregatePublicKeys(honest));
        bytes memory negSum = BlsLib.g1Mul(sum, BlsTransitions.R - 1);
        bytes memory rogue = BlsTestSigner.unpad(BlsLib.g1Add(BlsLib.padG1(BlsTestSigner.publicKey(a)), negSum));

        // Were it registered, a·H(m) alone would pass for everyone: Σ honest + pk' = a·G1.
        bytes[] memory all = new bytes[](q.length + 1);
        for (uint256 i; i < q.length; ++i) {
            all[i] = honest[i];
        }
        all[q.length] = rogue;
        assertEq(BlsTestSigner.aggregatePublicKeys(all), BlsTestSigner.publicKey(a), "the attack's algebra");

        bytes[3] memory proofs = [
            // a's signature of the rogue key's compressed form: the attacker's best try.
            BlsTestSigner.sign(a, BlsLib.compressG1(rogue), BlsLib.DST_POP),
            // An honest member's published proof (of another key).
            BlsTestSigner.pop(BlsTransitions.secretKey(q[0].key)),
            // None at all (the point at infinity).
            new bytes(192)
        ];
        for (uint256 i; i < proofs.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(Errors.Staking__BlsInvalidProof.selector, attacker));
            vm.prank(attacker);
            staking.registerBlsKey(rogue, proofs[i]);
        }
        assertEq(staking.blsKeyHash(attacker), bytes32(0), "no key registered");
    }

    // ------------------------------------------------------------------ copied keys

    /// @dev Anyone may register another's key with its (public) proof of possession: the copy counts only towards
    ///      transitions its owner signed, and cannot sign on its own.
    function test_copiedKey_countsOnlyWhenTheOwnerSigned() public {
        BlsTransitions.Signer memory owner = quorum[0];
        bytes memory ownerPop = BlsTestSigner.pop(BlsTransitions.secretKey(owner.key));
        vm.prank(copier);
        staking.registerBlsKey(owner.publicKey, ownerPop);
        assertEq(staking.blsKeyHash(copier), staking.blsKeyHash(owner.key), "same key under two addresses");

        // The copier in place of the quorum's last member: it cannot sign, so its share is missing.
        BlsTransitions.Signer[] memory q = _quorumMemory();
        BlsTransitions.Signer memory copy = _signer(copier);
        copy.publicKey = owner.publicKey;
        q[q.length - 1] = copy;
        q.sort();
        bytes memory message = BlsTransitions.message(_transitionContext(b.header));
        BlsTransitions.Signer[] memory actual = BlsTransitions.take(_quorumMemory(), q.length - 1);
        bytes memory withoutCopy = BlsTransitions.encode(BlsTransitions.signEach(actual, message), q);
        _expectBadSignature(withoutCopy);

        // Only the owner's signature, counted twice, covers the copy: the owner signed this very transition.
        bytes[] memory sigs = new bytes[](2);
        sigs[0] = BlsTransitions.signEach(actual, message);
        sigs[1] = BlsTestSigner.sign(BlsTransitions.secretKey(owner.key), message, BlsLib.DST_SIG);
        _submit(BlsTransitions.encode(BlsTestSigner.aggregateSignatures(sigs), q));
    }

    // ------------------------------------------------------------------ who signs

    function test_signerOutsideCommittee_isRefused() public {
        address outsider = _notInCommitteeWithKey();
        BlsTransitions.Signer[] memory q = _withExtra(_signer(outsider));
        uint256 score = rollup.scoreOf(outsider, b.header.slot);
        bytes memory transition = _signedTransitionOf(q);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Bls__NotInCommittee.selector, outsider, score, _roundThreshold(1, b.header))
        );
        _submit(transition);
    }

    /// @dev A member without a BLS key (the copier before it registers one) cannot be counted.
    function test_memberWithoutKey_isRefused() public {
        BlsTransitions.Signer[] memory q = _withExtra(_signer(copier));
        bytes memory transition = _signedTransitionOf(q);
        vm.expectRevert(abi.encodeWithSelector(Errors.Bls__KeyMismatch.selector, copier));
        _submit(transition);
    }

    function test_repeatedSigner_isRefused() public {
        BlsTransitions.Signer[] memory q = _quorumMemory();
        q[1] = q[0];
        bytes memory transition = BlsTransitions.encode(new bytes(192), q);
        vm.expectRevert(abi.encodeWithSelector(Errors.Bls__SignersNotAscending.selector, q[0].key, q[0].key));
        _submit(transition);
    }

    function test_unsortedSigners_areRefused() public {
        BlsTransitions.Signer[] memory q = _quorumMemory();
        uint256 last = q.length - 1;
        (q[last - 1], q[last]) = (q[last], q[last - 1]);
        bytes memory transition = _signedTransitionOf(q);
        vm.expectRevert(abi.encodeWithSelector(Errors.Bls__SignersNotAscending.selector, q[last - 1].key, q[last].key));
        _submit(transition);
    }

    function test_oneShortOfRequired_isRefused() public {
        BlsTransitions.Signer[] memory q = BlsTransitions.take(_quorumMemory(), quorum.length - 1);
        bytes memory transition = _signedTransitionOf(q);
        vm.expectRevert(abi.encodeWithSelector(Errors.Bls__TooFewSigners.selector, quorum.length - 1, quorum.length));
        _submit(transition);
    }

    /// @dev A member that requested its exit still signs for blocks before its exit epoch, with its current record;
    ///      the epochs it had before the exit no longer match.
    function test_exitingMember_signsWithItsCurrentRecordOnly() public {
        BlsTransitions.Signer memory leaving = quorum[2];
        vm.prank(_withdrawerOf(leaving.key));
        staking.initiateExit(leaving.key);
        assertGt(staking.getStaker(leaving.key).exitEpoch, _epochOf(b.header.slot), "still active for the block");

        BlsTransitions.Signer[] memory stale = _quorumMemory();
        bytes memory transition = _signedTransitionOf(stale);
        vm.expectRevert(abi.encodeWithSelector(Errors.Bls__KeyMismatch.selector, leaving.key));
        _submit(transition);

        BlsTransitions.Signer[] memory current = _quorumMemory();
        current[2] = _signer(leaving.key);
        _submit(_signedTransitionOf(current));
    }

    /// @dev Stakers that left before the block's epoch are inactive for it, whatever their score.
    function test_exitedSigner_isRefused() public {
        // Several stakers leave, then a block is proposed once they are out.
        address[] memory leavers = new address[](4);
        for (uint256 i; i < leavers.length; ++i) {
            leavers[i] = stakers[i];
            vm.prank(_withdrawerOf(leavers[i]));
            staking.initiateExit(leavers[i]);
        }
        _proveSignedCurrent();
        _warpToEpoch(staking.getStaker(leavers[0]).exitEpoch);
        Blk memory later = _proposeNext(HEIGHT);
        BlsTransitions.Signer[] memory q = _quorumOf(later.header);
        BlsTransitions.Signer[] memory withLeaver = _append(q, _signer(leavers[0]));
        (bytes memory p,) = _transcript(later.header, later.outputs, new address[](0));
        bytes memory transition = BlsTransitions.encode(new bytes(192), withLeaver);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Bls__SignerNotActive.selector, leavers[0], _epochOf(later.header.slot))
        );
        rollup.submitSignedProof(later.header, p, transition);
    }

    /// @dev A staker whose activation is still ahead cannot sign, even with a key.
    function test_notYetActiveSigner_isRefused() public {
        _register(1);
        address fresh = stakers[stakers.length - 1];
        _registerBlsKey(fresh);
        BlsTransitions.Signer[] memory q = _append(_quorumMemory(), _signer(fresh));
        bytes memory transition = BlsTransitions.encode(new bytes(192), q);
        vm.expectRevert(abi.encodeWithSelector(Errors.Bls__SignerNotActive.selector, fresh, _epochOf(b.header.slot)));
        _submit(transition);
    }

    // ------------------------------------------------------------------ what is signed

    function test_signatureOverAnotherBlock_isRefused() public {
        IBlsVerifier.TransitionContext memory ctx = _transitionContext(b.header);
        ctx.blockHash = keccak256("another block");
        _expectBadSignature(_signedFor(ctx));
    }

    /// @dev A transition signed over the state root before the previous block (a replay of a stale state).
    function test_signatureOverThePreviousStateRoot_isRefused() public {
        IBlsVerifier.TransitionContext memory first = _transitionContext(b.header);
        _submit(_signedFor(first));
        Blk memory next = _proposeNext(HEIGHT);
        (bytes memory p,) = _transcript(next.header, next.outputs, new address[](0));
        IBlsVerifier.TransitionContext memory ctx = _transitionContext(next.header);
        assertEq(ctx.preStateRoot, MessagesLib.stateRoot(bytes32(0), b.header.txRoot));
        ctx.preStateRoot = first.preStateRoot;
        BlsTransitions.Signer[] memory q = _quorumOf(next.header);
        bytes memory transition = BlsTransitions.encode(BlsTransitions.signEach(q, BlsTransitions.message(ctx)), q);
        vm.expectRevert(abi.encodeWithSelector(Errors.Bls__BadSignature.selector));
        rollup.submitSignedProof(next.header, p, transition);
    }

    function test_signatureForAnotherChain_isRefused() public {
        // Signed under another chain's domain, submitted here.
        IBlsVerifier.TransitionContext memory ctx = _transitionContext(b.header);
        ctx.domainSeparator = _domainOn(block.chainid + 1, address(rollup));
        _expectBadSignature(_signedFor(ctx));
        // Signed here, submitted on another chain (same addresses, the domain follows block.chainid). The transcript's
        // job results are chain-bound too: they are signed again there, so only the transition is out of place.
        bytes memory here = _signedFor(_transitionContext(b.header));
        vm.chainId(block.chainid + 1);
        (proof,) = _transcript(b.header, b.outputs, new address[](0));
        _expectBadSignature(here);
    }

    function test_signatureForAnotherRollup_isRefused() public {
        Rollup twin = new Rollup(_rollupConfig());
        IBlsVerifier.TransitionContext memory ctx = _transitionContext(b.header);
        ctx.domainSeparator = twin.domainSeparator();
        assertEq(ctx.domainSeparator, _domainOn(block.chainid, address(twin)));
        _expectBadSignature(_signedFor(ctx));
    }

    /// @dev Proofs of possession are public (they are registration calldata) and are signatures by the right keys, but
    ///      over another message under another DST.
    function test_proofsOfPossessionAsSignature_areRefused() public {
        BlsTransitions.Signer[] memory q = _quorumMemory();
        bytes[] memory pops = new bytes[](q.length);
        for (uint256 i; i < q.length; ++i) {
            pops[i] = BlsTestSigner.pop(BlsTransitions.secretKey(q[i].key));
        }
        _expectBadSignature(BlsTransitions.encode(BlsTestSigner.aggregateSignatures(pops), q));
    }

    // ------------------------------------------------------------------ signature encodings

    /// @dev A signature coordinate at or above p is not an Fp element: the pairing precompile fails, which is a bad
    ///      signature (and burns the gas the verifier forwarded to it).
    function test_signatureCoordinateAtOrAboveP_isRefused() public {
        bytes memory honest = _signedFor(_transitionContext(b.header));
        // x.c0 := x.c0 + p (the same residue, not canonical), then := p itself.
        bytes memory plusP = _copy(honest);
        _addP(plusP, 0);
        _expectBadSignature(plusP);
        bytes memory exactlyP = _copy(honest);
        _setP(exactlyP, 48);
        _expectBadSignature(exactlyP);
    }

    /// @dev A point on the G2 curve but outside the prime-order subgroup (EIP-2537's pairing subgroup-checks it).
    function test_signatureOutsideSubgroup_isRefused() public {
        bytes memory outside = BlsTestSigner.unpad(vm.parseJsonBytes(vm.readFile(VECTORS), ".group.g2OutsideSubgroup"));
        _expectBadSignature(BlsTransitions.encode(outside, _quorumMemory()));
    }

    function test_signatureOffTheCurve_isRefused() public {
        bytes memory honest = _signedFor(_transitionContext(b.header));
        honest[191] ^= bytes1(0x01);
        _expectBadSignature(honest);
    }

    // ------------------------------------------------------------------ helpers

    function _signedTransitionOf(BlsTransitions.Signer[] memory q) internal view returns (bytes memory) {
        return _signedTransition(b.header, q);
    }

    function _quorumOf(MessagesLib.Header memory h) internal view returns (BlsTransitions.Signer[] memory) {
        return _quorum(h);
    }

    /// @dev The quorum plus `extra`, ascending.
    function _withExtra(BlsTransitions.Signer memory extra) internal view returns (BlsTransitions.Signer[] memory q) {
        q = _append(_quorumMemory(), extra);
    }

    function _append(BlsTransitions.Signer[] memory q, BlsTransitions.Signer memory extra)
        internal
        pure
        returns (BlsTransitions.Signer[] memory out)
    {
        out = new BlsTransitions.Signer[](q.length + 1);
        for (uint256 i; i < q.length; ++i) {
            out[i] = q[i];
        }
        out[q.length] = extra;
        BlsTransitions.sort(out);
    }

    /// @dev An active staker with a BLS key scoring at or above block `b`'s round-1 threshold.
    function _notInCommitteeWithKey() internal view returns (address) {
        uint256 threshold = _roundThreshold(1, b.header);
        for (uint256 i; i < stakers.length; ++i) {
            if (stakers[i] == attacker || stakers[i] == copier) continue;
            if (rollup.scoreOf(stakers[i], b.header.slot) >= threshold) return stakers[i];
        }
        revert("everyone is in the committee");
    }

    /// @dev Proves `b` honestly, so the chain can move on (with the members' current records).
    function _proveSignedCurrent() internal {
        _submit(_signedTransition(b.header, _quorum(b.header)));
    }

    function _domainOn(uint256 chainId, address verifying) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("SPN"),
                keccak256("1"),
                chainId,
                verifying
            )
        );
    }

    function _copy(bytes memory a) internal pure returns (bytes memory c) {
        c = bytes.concat(a);
    }

    /// @dev p, the BLS12-381 base field modulus, as 48 bytes.
    function _p() internal pure returns (bytes memory) {
        return abi.encodePacked(uint128(BlsLib.P_HI), BlsLib.P_LO);
    }

    /// @dev Overwrites the 48-byte field element at `at` with p.
    function _setP(bytes memory data, uint256 at) internal pure {
        bytes memory p = _p();
        for (uint256 i; i < 48; ++i) {
            data[at + i] = p[i];
        }
    }

    /// @dev Adds p to the 48-byte field element at `at` (the element is below p < 2^381, so the sum fits 48 bytes).
    function _addP(bytes memory data, uint256 at) internal pure {
        bytes memory p = _p();
        uint256 carry;
        for (uint256 i = 48; i > 0; --i) {
            uint256 sum = uint256(uint8(data[at + i - 1])) + uint256(uint8(p[i - 1])) + carry;
            data[at + i - 1] = bytes1(uint8(sum));
            carry = sum >> 8;
        }
        require(carry == 0, "element + p above 2^384");
    }
}
