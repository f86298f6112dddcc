// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {TranscriptLib} from "../../contracts/libraries/TranscriptLib.sol";

/// @notice Exposes TranscriptLib's signature recovery next to OpenZeppelin's, for differential fuzzing.
contract TranscriptLibHarness {
    function recover(bytes32 digest, bytes32 r, bytes32 vs) external view returns (address) {
        return TranscriptLib.recover(digest, r, vs);
    }

    /// @dev OpenZeppelin's answer in TranscriptLib's convention: the signer, or address(0) on any error.
    function ozRecover(bytes32 digest, bytes32 r, bytes32 vs) external pure returns (address) {
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, r, vs);
        return err == ECDSA.RecoverError.NoError ? signer : address(0);
    }
}
