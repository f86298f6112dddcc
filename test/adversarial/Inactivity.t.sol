// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {UnitBase} from "../unit/UnitBase.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {MessagesLib} from "../../contracts/libraries/MessagesLib.sol";

/// @notice The inactivity bleed against real behaviour: an offline committee member is struck on every missed block and
///         bled from the threshold strike on; a wrongful report against a contributor is cleared; a report cannot be
///         recycled.
contract InactivityAdversarialTest is UnitBase {
    address internal offline;
    MessagesLib.Header[] internal missed;
    bytes32[][] internal leavesOf;

    function setUp() public {
        _setUpNetwork();
        offline = stakers[3];
        address[] memory off = new address[](1);
        off[0] = offline;
        // Prove blocks with `offline` silent until it has missed three blocks it was on the round-1 committee of.
        while (missed.length < 3) {
            Blk memory b = _proposeNext(HEIGHT);
            (bytes memory proof, Credit[] memory c) = _transcript(b.header, b.outputs, off);
            rollup.submitProof(b.header, proof);
            assertEq(_indexOf(c, offline), type(uint256).max);
            if (rollup.scoreOf(offline, b.header.slot) < _roundThreshold(1, b.header)) {
                missed.push(b.header);
                leavesOf.push(b.leaves);
            }
        }
    }

    function _reportAndWait(uint256 i) internal {
        MessagesLib.Header memory h = missed[i];
        rollup.reportMissed(offline, h);
        _warpToSlot(uint256(rollup.getInactivity(offline).pendingSlot) + rollup.graceSlots() + 1);
    }

    function test_inactivity_threeMissesBleedTheOfflineMember() public {
        _reportAndWait(0);
        _reportAndWait(1); // finalises strike 1 on the way
        _reportAndWait(2); // strike 2
        vm.expectEmit(address(rollup));
        emit IRollup.StrikeFinalised(offline, missed[2].number, 3, rollup.penaltyBase(), false);
        rollup.finaliseReport(offline);
        assertEq(staking.stakeOf(offline), STAKE - rollup.penaltyBase());
        assertEq(staking.slashedPending(), rollup.penaltyBase());
        staking.withdrawSlashed();
        assertEq(stakeToken.balanceOf(SLASH_SINK), rollup.penaltyBase());
    }

    function test_inactivity_wrongfulReportIsCleared() public {
        // A member that did contribute to the block is reported anyway and clears it with its rewards leaf.
        Blk memory b = _proposeNext(HEIGHT);
        (bytes memory proof, Credit[] memory c) = _transcript(b.header, b.outputs, new address[](0));
        rollup.submitProof(b.header, proof);
        address victim = c[0].prover;
        rollup.reportMissed(victim, b.header);
        rollup.clearWithReward(victim, b.header, uint64(c[0].cost), _rewardProof(c, 0));
        IRollup.Inactivity memory r = rollup.getInactivity(victim);
        assertEq(r.pendingBlock, 0);
        assertEq(r.strikes, 0);
        assertEq(r.lastAppearance, b.header.number);
    }

    function test_inactivity_reportCannotBeRecycled() public {
        _reportAndWait(0);
        rollup.finaliseReport(offline);
        MessagesLib.Header memory h = missed[0];
        vm.expectRevert(abi.encodeWithSelector(Errors.Inactivity__NotAfterLastAppearance.selector, h.number, h.number));
        rollup.reportMissed(offline, h);
    }

    function test_inactivity_anotherMembersLeafDoesNotClear() public {
        Blk memory b = _proposeNext(HEIGHT);
        (bytes memory proof, Credit[] memory c) = _transcript(b.header, b.outputs, new address[](0));
        rollup.submitProof(b.header, proof);
        MessagesLib.Header memory h = missed[0];
        rollup.reportMissed(offline, h);
        // Evidence from a later block is out of range, and another member's leaf never verifies for `offline`.
        vm.expectRevert(
            abi.encodeWithSelector(Errors.Inactivity__EvidenceBlockOutOfRange.selector, b.header.number, 0, h.number)
        );
        rollup.clearWithReward(offline, b.header, uint64(c[0].cost), _rewardProof(c, 0));
    }

    /// @dev Known limitation (docs/SECURITY.md, "Simulated proofs"): outputs are public once a transcript is submitted,
    ///      so a member that was silent can still clear a report by signing a published output afterwards. Real
    ///      circuits would close this; until then the bleed only removes keys that cannot sign at all.
    function test_inactivity_silentMemberCanClearBySigningPublishedOutputs() public {
        MessagesLib.Header memory h = missed[0];
        rollup.reportMissed(offline, h);
        uint256 index = _ownJob(offline, h, 1);
        bytes32 output = _outputs(leavesOf[0], HEIGHT)[index];
        IRollup.Signature memory sig = _signCompact(
            offline, MessagesLib.jobResultDigest(rollup.domainSeparator(), MessagesLib.blockHash(h), index, output)
        );
        rollup.clearWithJobResult(
            offline, h, uint32(index), output, sig, _siblings(leavesOf[0], rollup.roundHeight(), index)
        );
        assertEq(rollup.getInactivity(offline).pendingBlock, 0);
    }
}
