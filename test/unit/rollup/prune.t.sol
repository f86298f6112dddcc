// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RollupBase} from "./RollupBase.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {MessagesLib} from "../../../contracts/libraries/MessagesLib.sol";

contract PruneTest is RollupBase {
    function test_prune_dropsExpiredBlock() public {
        MessagesLib.Header memory h = _proposeRoot();
        _warpToSlot(h.slot + rollup.proofWindow() + 1);

        vm.expectEmit(address(rollup));
        emit IRollup.BlocksPruned(1, 1);
        rollup.prune();
        assertEq(_pendingTip(), 0);
        assertEq(_provenTip(), 0);
        assertEq(rollup.blockHashOf(0), keccak256("spn.genesis"));
    }

    function test_prune_dropsEverythingOnTopOfTheExpiredBlock() public {
        MessagesLib.Header memory first = _proposeRoot();
        _proposeRoot();
        MessagesLib.Header memory third = _proposeRoot();
        assertLe(third.slot, first.slot + rollup.proofWindow(), "fixture: three blocks inside the first's window");
        _warpToSlot(first.slot + rollup.proofWindow() + 1);

        vm.expectEmit(address(rollup));
        emit IRollup.BlocksPruned(1, 3);
        rollup.prune();
        assertEq(_pendingTip(), 0);
    }

    function test_prune_keepsProvenBlocks() public {
        (Blk memory proven,) = _proposeAndProve(HEIGHT);
        MessagesLib.Header memory h = _proposeRoot();
        _warpToSlot(h.slot + rollup.proofWindow() + 1);

        vm.expectEmit(address(rollup));
        emit IRollup.BlocksPruned(2, 2);
        rollup.prune();
        assertEq(_pendingTip(), 1);
        assertEq(_provenTip(), 1);
        assertEq(rollup.blockHashOf(1), MessagesLib.blockHash(proven.header));
    }

    function test_prune_samplesSeed() public {
        MessagesLib.Header memory h = _proposeRoot();
        uint256 slot = h.slot + rollup.proofWindow() + 1;
        _warpToSlot(slot);
        uint256 target = _epochOf(slot) + rollup.seedLookahead();
        vm.prevrandao(bytes32(uint256(77)));
        rollup.prune();
        assertEq(rollup.epochSeed(target), uint224(uint256(keccak256(abi.encode(uint256(77), target)))));
    }

    function test_prune_revertsWhenNothingPending() public {
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__NothingToPrune.selector));
        rollup.prune();
    }

    function test_prune_revertsWhenAllProven() public {
        (Blk memory b,) = _proposeAndProve(HEIGHT);
        _warpToSlot(b.header.slot + rollup.proofWindow() + 10);
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__NothingToPrune.selector));
        rollup.prune();
    }

    function test_prune_revertsOnLastSlotOfProofWindow() public {
        MessagesLib.Header memory h = _proposeRoot();
        _warpToSlot(h.slot + rollup.proofWindow());
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__NothingToPrune.selector));
        rollup.prune();
    }

    function test_prune_revertsWhenOnlyLaterBlocksExpired() public {
        MessagesLib.Header memory first = _proposeRoot();
        // Prove nothing; a later block's deadline is irrelevant while the oldest unproven block is in its window.
        _warpToSlot(first.slot + rollup.proofWindow());
        vm.expectRevert(abi.encodeWithSelector(Errors.Rollup__NothingToPrune.selector));
        rollup.prune();
        assertEq(_pendingTip(), 1);
    }
}
