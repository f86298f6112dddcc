// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BlsLib} from "../../contracts/libraries/BlsLib.sol";

/// @notice Exposes BlsLib's internal functions and constants (the calldata variants take calldata, as in the contracts).
contract BlsHarness {
    function dstSig() external pure returns (bytes memory) {
        return BlsLib.DST_SIG;
    }

    function dstPop() external pure returns (bytes memory) {
        return BlsLib.DST_POP;
    }

    function negG1() external pure returns (bytes memory) {
        return BlsLib.NEG_G1;
    }

    function g1Generator() external pure returns (bytes memory) {
        return BlsLib.G1_GENERATOR;
    }

    /// @notice p and (p − 1) / 2 as 48-byte big-endian strings, rebuilt from the library's two-word constants.
    function fieldConstants() external pure returns (bytes memory p, bytes memory halfP) {
        p = abi.encodePacked(uint128(BlsLib.P_HI), BlsLib.P_LO);
        halfP = abi.encodePacked(uint128(BlsLib.HALF_P_HI), BlsLib.HALF_P_LO);
    }

    function expandMessageXmd(bytes memory message, bytes memory dst, uint256 lenInBytes)
        external
        view
        returns (bytes memory)
    {
        return BlsLib.expandMessageXmd(message, dst, lenInBytes);
    }

    function hashToFp2(bytes memory message, bytes memory dst) external view returns (bytes memory, bytes memory) {
        return BlsLib.hashToFp2(message, dst);
    }

    function hashToG2(bytes memory message, bytes memory dst) external view returns (bytes memory) {
        return BlsLib.hashToG2(message, dst);
    }

    function mapFp2ToG2(bytes memory u) external view returns (bytes memory) {
        return BlsLib.mapFp2ToG2(u);
    }

    function padG1(bytes memory unpadded) external pure returns (bytes memory) {
        return BlsLib.padG1(unpadded);
    }

    function padG1Calldata(bytes calldata unpadded) external pure returns (bytes memory) {
        return BlsLib.padG1Calldata(unpadded);
    }

    function padG2(bytes memory unpadded) external pure returns (bytes memory) {
        return BlsLib.padG2(unpadded);
    }

    function padG2Calldata(bytes calldata unpadded) external pure returns (bytes memory) {
        return BlsLib.padG2Calldata(unpadded);
    }

    function compressG1(bytes memory unpadded) external pure returns (bytes memory) {
        return BlsLib.compressG1(unpadded);
    }

    function isInfinityG1(bytes memory padded) external pure returns (bool) {
        return BlsLib.isInfinityG1(padded);
    }

    function g1Add(bytes memory a, bytes memory b) external view returns (bytes memory) {
        return BlsLib.g1Add(a, b);
    }

    /// @notice g1AddInPlace on a copy of `acc`: whether it succeeded, and the sum.
    function g1AddInPlace(bytes memory acc, bytes calldata unpadded) external view returns (bool ok, bytes memory) {
        ok = BlsLib.g1AddInPlace(acc, unpadded);
        return (ok, acc);
    }

    function g2Add(bytes memory a, bytes memory b) external view returns (bytes memory) {
        return BlsLib.g2Add(a, b);
    }

    function g1Mul(bytes memory point, uint256 scalar) external view returns (bytes memory) {
        return BlsLib.g1Mul(point, scalar);
    }

    function g2Mul(bytes memory point, uint256 scalar) external view returns (bytes memory) {
        return BlsLib.g2Mul(point, scalar);
    }

    function pairing2(bytes memory g1a, bytes memory g2a, bytes memory g1b, bytes memory g2b)
        external
        view
        returns (bool)
    {
        return BlsLib.pairing2(g1a, g2a, g1b, g2b);
    }

    function verifyPop(bytes memory publicKey, bytes memory proof) external view returns (bool) {
        return BlsLib.verifyPop(publicKey, proof);
    }

    function keyRecord(bytes32 keyHash, uint32 activationEpoch, uint32 exitEpoch) external pure returns (bytes32) {
        return BlsLib.keyRecord(keyHash, activationEpoch, exitEpoch);
    }

    /// @notice keyRecord with epochs whose bits above 32 are dirty, as narrow stack values may be.
    function keyRecordDirty(bytes32 keyHash, uint256 activationRaw, uint256 exitRaw) external pure returns (bytes32) {
        uint32 activationEpoch;
        uint32 exitEpoch;
        assembly {
            activationEpoch := activationRaw
            exitEpoch := exitRaw
        }
        return BlsLib.keyRecord(keyHash, activationEpoch, exitEpoch);
    }

    /// @notice Gas of one hashToG2, measured inside the call (execution only, no call or calldata overhead).
    function hashToG2Gas(bytes memory message, bytes memory dst) external view returns (uint256 used) {
        used = gasleft();
        BlsLib.hashToG2(message, dst);
        used -= gasleft();
    }

    /// @notice Gas of one pairing2 on valid points, measured inside the call.
    function pairing2Gas(bytes memory g1a, bytes memory g2a, bytes memory g1b, bytes memory g2b)
        external
        view
        returns (uint256 used)
    {
        used = gasleft();
        require(BlsLib.pairing2(g1a, g2a, g1b, g2b), "pairing failed");
        used -= gasleft();
    }

    /// @notice Gas of one g1Add, measured inside the call.
    function g1AddGas(bytes memory a, bytes memory b) external view returns (uint256 used) {
        used = gasleft();
        BlsLib.g1Add(a, b);
        used -= gasleft();
    }

    /// @notice Gas of one g1AddInPlace as in an aggregation loop: a second add, once memory has grown for the first.
    function g1AddInPlaceGas(bytes memory acc, bytes calldata unpadded) external view returns (uint256 used) {
        require(BlsLib.g1AddInPlace(acc, unpadded), "g1AddInPlace failed");
        used = gasleft();
        require(BlsLib.g1AddInPlace(acc, unpadded), "g1AddInPlace failed");
        used -= gasleft();
    }
}
