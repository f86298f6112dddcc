// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BlsTestSigner} from "./BlsTestSigner.sol";
import {IBlsVerifier} from "../../contracts/interfaces/IBlsVerifier.sol";
import {BlsLib} from "../../contracts/libraries/BlsLib.sol";
import {MessagesLib} from "../../contracts/libraries/MessagesLib.sol";

/// @title BlsTransitions
/// @notice What a training-wheel submitter builds (docs/design/bls-training-wheel.md §3.3), for tests: BLS keys of
///         stakers, the signed StateTransition message, and the packed transition BlsVerifier reads. The byte layout
///         lives here only.
library BlsTransitions {
    /// @notice The BLS12-381 group order r: secret keys are taken mod r.
    uint256 internal constant R = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001;
    uint256 internal constant HEADER_BYTES = 194;
    uint256 internal constant SIGNER_BYTES = 124;

    /// @notice One signer entry: the staking key, the epochs Staking recorded for it, its unpadded G1 public key.
    struct Signer {
        address key;
        uint32 activationEpoch;
        uint32 exitEpoch;
        bytes publicKey;
    }

    /// @notice The test BLS secret key of staking key `key` (nonzero, below r).
    function secretKey(address key) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode("spn.test.bls", key))) % (R - 1) + 1;
    }

    /// @notice Staking's BLS record layout: keccak256(keccak256(publicKey) ‖ uint32 activation ‖ uint32 exit).
    function record(bytes memory publicKey, uint32 activationEpoch, uint32 exitEpoch) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(keccak256(publicKey), activationEpoch, exitEpoch));
    }

    function record(Signer memory s) internal pure returns (bytes32) {
        return record(s.publicKey, s.activationEpoch, s.exitEpoch);
    }

    /// @notice The 32-byte message of the transition in `ctx` (MessagesLib.stateTransitionDigest), as bytes.
    function message(IBlsVerifier.TransitionContext memory ctx) internal pure returns (bytes memory) {
        bytes32 post = MessagesLib.stateRoot(ctx.preStateRoot, ctx.txRoot);
        return abi.encodePacked(
            MessagesLib.stateTransitionDigest(ctx.domainSeparator, ctx.blockHash, ctx.txRoot, ctx.preStateRoot, post)
        );
    }

    /// @notice The aggregate of every signer's own signature of `message` under DST_SIG (each signs separately, as
    ///         agents do; the keys are `secretKey(signer.key)`).
    function signEach(Signer[] memory signers, bytes memory message_) internal view returns (bytes memory) {
        bytes[] memory signatures = new bytes[](signers.length);
        for (uint256 i; i < signers.length; ++i) {
            signatures[i] = BlsTestSigner.sign(secretKey(signers[i].key), message_, BlsLib.DST_SIG);
        }
        return BlsTestSigner.aggregateSignatures(signatures);
    }

    /// @notice The same aggregate in one scalar multiplication: the signature is linear in the key, so
    ///         Σ sk_i · H(m) = (Σ sk_i mod r) · H(m). For benchmarks with hundreds of signers.
    function signSum(Signer[] memory signers, bytes memory message_) internal view returns (bytes memory) {
        uint256 sum;
        for (uint256 i; i < signers.length; ++i) {
            sum = addmod(sum, secretKey(signers[i].key), R);
        }
        return BlsTestSigner.sign(sum, message_, BlsLib.DST_SIG);
    }

    /// @notice transition := signature:192 ‖ signerCount:uint16 ‖ (address ‖ uint32 ‖ uint32 ‖ publicKey:96)[count].
    /// @dev Written into one allocation: concatenating per signer would cost quadratic memory at hundreds of signers.
    function encode(bytes memory signature, Signer[] memory signers) internal pure returns (bytes memory out) {
        require(signature.length == 192, "BlsTransitions: signature length");
        out = new bytes(HEADER_BYTES + SIGNER_BYTES * signers.length);
        uint256 count = signers.length;
        assembly ("memory-safe") {
            let at := add(out, 0x20)
            mcopy(at, add(signature, 0x20), 192)
            mstore8(add(at, 192), shr(8, count))
            mstore8(add(at, 193), count)
        }
        for (uint256 i; i < count; ++i) {
            Signer memory s = signers[i];
            bytes memory pk = s.publicKey;
            require(pk.length == 96, "BlsTransitions: key length");
            uint256 entry =
                uint256(uint160(s.key)) << 96 | uint256(s.activationEpoch) << 64 | uint256(s.exitEpoch) << 32;
            assembly ("memory-safe") {
                let at := add(add(out, 0x20), add(HEADER_BYTES, mul(i, SIGNER_BYTES)))
                // The entry's first 28 bytes, then the key (the key overwrites the word's last 4 bytes).
                mstore(at, entry)
                mcopy(add(at, 28), add(pk, 0x20), 96)
            }
        }
    }

    /// @notice Sorts signers by address, ascending (the order the verifier requires).
    function sort(Signer[] memory signers) internal pure {
        for (uint256 i = 1; i < signers.length; ++i) {
            Signer memory v = signers[i];
            uint256 j = i;
            while (j > 0 && signers[j - 1].key > v.key) {
                signers[j] = signers[j - 1];
                --j;
            }
            signers[j] = v;
        }
    }

    /// @notice The first `count` of `signers`.
    function take(Signer[] memory signers, uint256 count) internal pure returns (Signer[] memory out) {
        out = new Signer[](count);
        for (uint256 i; i < count; ++i) {
            out[i] = signers[i];
        }
    }
}
