// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {UnitBase} from "../UnitBase.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {MessagesLib} from "../../../contracts/libraries/MessagesLib.sol";

/// @notice Rollup tests start on a running devnet: 32 stakers active, pool funded, clock at their first active epoch.
abstract contract RollupBase is UnitBase {
    bytes32 internal constant ROOT = keccak256("unit.txRoot");

    function setUp() public virtual {
        _setUpNetwork();
    }

    function _propose(address proposer, IRollup.ProposeArgs memory args, IRollup.Signature[] memory sigs)
        internal
        returns (uint256)
    {
        vm.prank(proposer);
        return rollup.propose(args, sigs);
    }

    /// @notice Warps to the next usable slot and returns it with its best sequencer.
    function _nextSlot() internal returns (uint256 slot, address seq) {
        (slot, seq) = _nextUsableSlot(_firstFreeSlot(), rollup.attestationQuorum());
        _warpToSlot(slot);
    }

    /// @notice Proposes `ROOT` at the next usable slot with every attester and returns the header.
    function _proposeRoot() internal returns (MessagesLib.Header memory h) {
        (uint256 slot, address seq) = _nextSlot();
        (IRollup.ProposeArgs memory args, IRollup.Signature[] memory sigs, MessagesLib.Header memory hh) =
            _proposal(seq, slot, ROOT, HEIGHT);
        _propose(seq, args, sigs);
        h = hh;
    }
}
