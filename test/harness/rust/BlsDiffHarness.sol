// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BlsLib} from "../../../contracts/libraries/BlsLib.sol";

/// @notice BlsLib for the Rust differential tests (agents/differential/tests/bls.rs): the hash to G2, the compressed
///         key and the proof-of-possession check that `spn_protocol::bls` computes with blst.
contract BlsDiffHarness {
    /// @return point hashToG2(message, dst), padded (256 bytes)
    function hashToG2(bytes calldata message, bytes calldata dst) external view returns (bytes memory point) {
        return BlsLib.hashToG2(message, dst);
    }

    function compressG1(bytes calldata publicKey) external pure returns (bytes memory) {
        return BlsLib.compressG1(publicKey);
    }

    function verifyPop(bytes calldata publicKey, bytes calldata proof) external view returns (bool) {
        return BlsLib.verifyPop(publicKey, proof);
    }
}
