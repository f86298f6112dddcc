// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

import {SPNTest} from "../utils/SPNTest.sol";
import {MessagesLib} from "../../contracts/libraries/MessagesLib.sol";
import {MessagesHarness} from "../harness/MessagesHarness.sol";
import {TranscriptLibHarness} from "../harness/TranscriptLibHarness.sol";
import {Test} from "forge-std/Test.sol";

/// @notice EIP-712 attestations and job results signed with random keys (docs/PROTOCOL.md §6): digests match the
///         typed-data definition, compact (EIP-2098) signatures recover to the signer, and a signature made under any
///         other domain (chain, rollup address, name or version) recovers to someone else.
contract SignaturesFuzzTest is SPNTest {
    MessagesHarness internal h;

    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    /// @dev secp256k1 group order / 2: OZ rejects signatures with a larger s (malleability).
    uint256 internal constant HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    function setUp() public {
        _deploy();
        h = new MessagesHarness();
    }

    function _key(uint256 seed) internal pure returns (uint256) {
        return bound(seed, 1, SECP256K1_ORDER - 1);
    }

    function _domain(string memory name, string memory version, uint256 chainId, address verifying)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256(bytes(name)), keccak256(bytes(version)), chainId, verifying)
        );
    }

    function _recover(bytes32 digest, bytes32 r, bytes32 vs) internal pure returns (address signer, bool ok) {
        (address s, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, r, vs);
        return (s, err == ECDSA.RecoverError.NoError);
    }

    // ------------------------------------------------------------------------------------------ digests

    function testFuzz_domainSeparator_isRollupDomain(uint64 chainId) public {
        chainId = uint64(bound(chainId, 1, type(uint64).max));
        vm.chainId(chainId);
        assertEq(rollup.domainSeparator(), _domain("SPN", "1", chainId, address(rollup)), "name SPN, version 1");
    }

    function testFuzz_attestationDigest_matchesTypedData(bytes32 domain, uint64 slot, bytes32 hash) public view {
        bytes32 structHash = keccak256(abi.encode(keccak256("Attestation(uint64 slot,bytes32 blockHash)"), slot, hash));
        assertEq(h.attestationDigest(domain, slot, hash), MessageHashUtils.toTypedDataHash(domain, structHash));
    }

    function testFuzz_jobResultDigest_matchesTypedData(bytes32 domain, bytes32 hash, uint256 job, bytes32 output)
        public
        view
    {
        bytes32 structHash = keccak256(
            abi.encode(keccak256("JobResult(bytes32 blockHash,uint32 job,bytes32 output)"), hash, uint32(job), output)
        );
        assertEq(h.jobResultDigest(domain, hash, job, output), MessageHashUtils.toTypedDataHash(domain, structHash));
        assertTrue(h.jobResultDigestKeepsMemory(domain, hash, job, output), "scratch hashing clobbered memory");
    }

    /// @dev The training wheel's message (docs/design/bls-training-wheel.md §1.2), with the design's constants.
    function testFuzz_stateTransitionDigest_matchesTypedData(
        bytes32 domain,
        bytes32 hash,
        bytes32 outputsRoot,
        bytes32 pre,
        bytes32 post
    ) public view {
        bytes32 typehash = keccak256(
            "StateTransition(bytes32 blockHash,bytes32 outputsRoot,bytes32 preStateRoot,bytes32 postStateRoot)"
        );
        assertEq(typehash, 0x7538477a85260434e5344d14347f5783bf10262ce333a05fe9380ff1ef5b1896, "design typehash");
        bytes32 structHash = keccak256(abi.encode(typehash, hash, outputsRoot, pre, post));
        assertEq(
            h.stateTransitionDigest(domain, hash, outputsRoot, pre, post),
            MessageHashUtils.toTypedDataHash(domain, structHash)
        );
    }

    /// @dev stateRoot(n) = keccak256(abi.encode(STATE_TAG, stateRoot(n - 1), txRoot(n))), STATE_TAG = keccak256("spn.state").
    function testFuzz_stateRoot_chainsTaggedRoots(bytes32 pre, bytes32 txRoot) public view {
        bytes32 tag = keccak256("spn.state");
        assertEq(tag, 0x04a77eaf6185eef2e3777a6da2b706cbed49ef65461b054c7f827797fa46e6e4, "design tag");
        assertEq(h.stateRoot(pre, txRoot), keccak256(abi.encode(tag, pre, txRoot)));
        assertTrue(h.stateRoot(pre, txRoot) != keccak256(abi.encodePacked(pre, txRoot)), "not a tree node");
    }

    function testFuzz_blockHash_matchesAbiEncoding(MessagesLib.Header memory hd) public view {
        assertEq(
            h.blockHash(hd), keccak256(abi.encode(hd.number, hd.parentHash, hd.slot, hd.proposer, hd.txRoot, hd.height))
        );
    }

    // ------------------------------------------------------------------------------------------ recovery

    function testFuzz_attestationSignature_recoversToSigner(uint256 keySeed, uint64 slot, bytes32 hash) public view {
        uint256 key = _key(keySeed);
        bytes32 digest = h.attestationDigest(rollup.domainSeparator(), slot, hash);
        (bytes32 r, bytes32 vs) = vm.signCompact(key, digest);
        (address signer, bool ok) = _recover(digest, r, vs);
        assertTrue(ok, "valid compact signature rejected");
        assertEq(signer, vm.addr(key), "attestation recovers to another key");
    }

    function testFuzz_jobResultSignature_recoversToSigner(uint256 keySeed, bytes32 hash, uint32 job, bytes32 output)
        public
        view
    {
        uint256 key = _key(keySeed);
        bytes32 digest = h.jobResultDigest(rollup.domainSeparator(), hash, job, output);
        (bytes32 r, bytes32 vs) = vm.signCompact(key, digest);
        (address signer, bool ok) = _recover(digest, r, vs);
        assertTrue(ok);
        assertEq(signer, vm.addr(key), "job result recovers to another key");
        // The same signature does not recover to the signer for another job or another output.
        bytes32 other = h.jobResultDigest(rollup.domainSeparator(), hash, uint32(job) ^ 1, output);
        (address otherSigner,) = _recover(other, r, vs);
        assertTrue(otherSigner != vm.addr(key), "signature transferable to another job");
    }

    /// @dev vm.sign's (v, r, s) packed as EIP-2098 (r, vs) is exactly vm.signCompact's output and recovers the same.
    function testFuzz_signCompact_matchesPackedSign(uint256 keySeed, bytes32 digest) public pure {
        uint256 key = _key(keySeed);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        (bytes32 rc, bytes32 vs) = vm.signCompact(key, digest);
        assertEq(rc, r);
        assertEq(vs, bytes32(uint256(s) | (uint256(v - 27) << 255)), "EIP-2098 packing");
        assertLe(uint256(s), HALF_ORDER, "forge signs with low s");
        assertEq(ECDSA.recover(digest, v, r, s), ECDSA.recover(digest, rc, vs));
    }

    /// @dev The malleated twin (r, n - s, flipped v) of a valid signature is rejected, so a signature cannot be reused
    ///      under a different encoding (distinctness is by recovered signer, never by signature bytes).
    function testFuzz_signature_malleatedTwinRejected(uint256 keySeed, bytes32 digest) public pure {
        uint256 key = _key(keySeed);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        uint256 highS = SECP256K1_ORDER - uint256(s);
        (, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, v == 27 ? 28 : 27, r, bytes32(highS));
        assertTrue(err == ECDSA.RecoverError.InvalidSignatureS, "high-s twin accepted");
    }

    // ------------------------------------------------------------------------------------------ other domains

    function testFuzz_attestation_otherChainFails(uint256 keySeed, uint64 slot, bytes32 hash, uint64 otherChain)
        public
    {
        uint256 key = _key(keySeed);
        vm.assume(otherChain != block.chainid && otherChain != 0);
        bytes32 signedDomain = _domain("SPN", "1", otherChain, address(rollup));
        (bytes32 r, bytes32 vs) = vm.signCompact(key, h.attestationDigest(signedDomain, slot, hash));
        (address signer,) = _recover(h.attestationDigest(rollup.domainSeparator(), slot, hash), r, vs);
        assertTrue(signer != vm.addr(key), "replayed from another chain");

        // And the reverse: the rollup on the other chain does not accept a signature made for this one.
        (r, vs) = vm.signCompact(key, h.attestationDigest(rollup.domainSeparator(), slot, hash));
        vm.chainId(otherChain);
        (signer,) = _recover(h.attestationDigest(rollup.domainSeparator(), slot, hash), r, vs);
        assertTrue(signer != vm.addr(key), "replayed onto another chain");
    }

    function testFuzz_jobResult_otherDeploymentFails(
        uint256 keySeed,
        bytes32 hash,
        uint32 job,
        bytes32 output,
        address otherRollup,
        uint8 variant
    ) public view {
        uint256 key = _key(keySeed);
        bytes32 ours = rollup.domainSeparator();
        bytes32 theirs;
        variant = uint8(bound(variant, 0, 2));
        if (variant == 0) {
            vm.assume(otherRollup != address(rollup));
            theirs = _domain("SPN", "1", block.chainid, otherRollup);
        } else if (variant == 1) {
            theirs = _domain("SPN", "2", block.chainid, address(rollup));
        } else {
            theirs = _domain("Aztec", "1", block.chainid, address(rollup));
        }
        assertTrue(theirs != ours);
        (bytes32 r, bytes32 vs) = vm.signCompact(key, h.jobResultDigest(theirs, hash, job, output));
        (address signer,) = _recover(h.jobResultDigest(ours, hash, job, output), r, vs);
        assertTrue(signer != vm.addr(key), "job result from another domain accepted");
    }

    /// @dev An attestation is not a job result: the two typed messages never share a digest for the same signature.
    function testFuzz_attestation_notAJobResult(uint256 keySeed, uint64 slot, bytes32 hash) public view {
        uint256 key = _key(keySeed);
        bytes32 domain = rollup.domainSeparator();
        (bytes32 r, bytes32 vs) = vm.signCompact(key, h.attestationDigest(domain, slot, hash));
        (address signer,) = _recover(h.jobResultDigest(domain, hash, slot, bytes32(uint256(slot))), r, vs);
        assertTrue(signer != vm.addr(key));
    }
}

/// @notice TranscriptLib.recover (the verifier's hot-path ecrecover) agrees with OpenZeppelin's ECDSA.tryRecover on
///         valid signatures, their malleated twins, and arbitrary bytes.
contract TranscriptRecoverFuzzTest is Test {
    TranscriptLibHarness internal h;

    function setUp() public {
        h = new TranscriptLibHarness();
    }

    function testFuzz_recover_matchesOzOnValidSignatures(uint256 keySeed, bytes32 digest) public view {
        uint256 key = bound(keySeed, 1, SECP256K1_ORDER - 1);
        (bytes32 r, bytes32 vs) = vm.signCompact(key, digest);
        assertEq(h.recover(digest, r, vs), vm.addr(key), "valid signature not recovered");
        assertEq(h.recover(digest, r, vs), h.ozRecover(digest, r, vs));
    }

    function testFuzz_recover_matchesOzOnArbitraryBytes(bytes32 digest, bytes32 r, bytes32 vs) public view {
        assertEq(h.recover(digest, r, vs), h.ozRecover(digest, r, vs));
    }

    /// @dev s just above and below secp256k1n / 2, with both parities: the boundary OZ enforces.
    function testFuzz_recover_matchesOzAtHighSBoundary(uint256 keySeed, bytes32 digest, uint8 delta, bool flip)
        public
        view
    {
        uint256 key = bound(keySeed, 1, SECP256K1_ORDER - 1);
        (bytes32 r,) = vm.signCompact(key, digest);
        uint256 s = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0 + uint256(delta) - 128;
        bytes32 vs = bytes32(s | (flip ? 1 << 255 : 0));
        assertEq(h.recover(digest, r, vs), h.ozRecover(digest, r, vs));
    }

    /// @dev Zero r or zero s never recovers anyone, in either implementation.
    function testFuzz_recover_zeroComponentsRejected(bytes32 digest, bytes32 other, bool zeroR) public view {
        (bytes32 r, bytes32 vs) = zeroR ? (bytes32(0), other) : (other, bytes32(0));
        assertEq(h.recover(digest, r, vs), address(0));
        assertEq(h.ozRecover(digest, r, vs), address(0));
    }

    /// @dev Every compactly encodable high s (secp256k1n / 2 < s < 2^255) is rejected by both, whatever r and parity.
    function testFuzz_recover_highSRejected(uint256 keySeed, bytes32 digest, uint256 sSeed, bool flip) public view {
        uint256 key = bound(keySeed, 1, SECP256K1_ORDER - 1);
        (bytes32 r,) = vm.signCompact(key, digest);
        uint256 s = bound(sSeed, 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A1, (1 << 255) - 1);
        bytes32 vs = bytes32(s | (flip ? 1 << 255 : 0));
        assertEq(h.recover(digest, r, vs), address(0), "high s recovered");
        assertEq(h.ozRecover(digest, r, vs), address(0));
    }
}
