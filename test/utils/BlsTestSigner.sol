// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BlsLib} from "../../contracts/libraries/BlsLib.sol";

/// @title BlsTestSigner
/// @notice BLS keys and signatures for tests, computed by the EVM itself (forge has no BLS cheatcode):
///         pk = sk·G1 (G1MSM), sig = sk·hashToG2(message, dst) (G2MSM), pop = sig of compressG1(pk) under DST_POP.
///         Everything is returned in the unpadded calldata form: 96-byte keys, 192-byte signatures in EIP-2537 order
///         (x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1). Independent of the Rust signer; test/unit/bls/BlsLib.t.sol checks it against
///         py_ecc's vectors.
/// @dev A library of internal functions: `BlsTestSigner.sign(sk, message, dst)` needs no deployment. Scalars are taken
///      as given (G1MSM and G2MSM reduce them mod r themselves); sk = 0 gives the point at infinity.
library BlsTestSigner {
    /// @notice The unpadded public key sk·G1.
    function publicKey(uint256 sk) internal view returns (bytes memory) {
        return unpad(BlsLib.g1Mul(BlsLib.G1_GENERATOR, sk));
    }

    /// @notice The unpadded signature sk·hashToG2(message, dst) (draft CoreSign).
    function sign(uint256 sk, bytes memory message, bytes memory dst) internal view returns (bytes memory) {
        return unpad(BlsLib.g2Mul(BlsLib.hashToG2(message, dst), sk));
    }

    /// @notice The proof of possession of sk's key: its signature of the compressed key under DST_POP (PopProve).
    function pop(uint256 sk) internal view returns (bytes memory) {
        return sign(sk, BlsLib.compressG1(publicKey(sk)), BlsLib.DST_POP);
    }

    /// @notice The sum of unpadded signatures (G2ADD), unpadded; infinity for none.
    function aggregateSignatures(bytes[] memory signatures) internal view returns (bytes memory) {
        bytes memory acc = new bytes(BlsLib.G2_BYTES);
        for (uint256 i; i < signatures.length; ++i) {
            acc = BlsLib.g2Add(acc, BlsLib.padG2(signatures[i]));
        }
        return unpad(acc);
    }

    /// @notice The sum of unpadded public keys (G1ADD), unpadded; infinity for none.
    function aggregatePublicKeys(bytes[] memory keys) internal view returns (bytes memory) {
        bytes memory acc = new bytes(BlsLib.G1_BYTES);
        for (uint256 i; i < keys.length; ++i) {
            acc = BlsLib.g1Add(acc, BlsLib.padG1(keys[i]));
        }
        return unpad(acc);
    }

    /// @notice The unpadded form of a padded point or field elements: each 64-byte element without its 16 zero bytes.
    function unpad(bytes memory padded) internal pure returns (bytes memory out) {
        require(padded.length % 64 == 0, "BlsTestSigner: not padded elements");
        uint256 elements = padded.length / 64;
        out = new bytes(elements * 48);
        for (uint256 k; k < elements; ++k) {
            uint256 high;
            assembly ("memory-safe") {
                let src := add(add(padded, 0x20), shl(6, k))
                high := shr(128, mload(src))
                mcopy(add(add(out, 0x20), mul(k, 48)), add(src, 16), 48)
            }
            require(high == 0, "BlsTestSigner: element above 2^384");
        }
    }
}
