// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {InactivityBase} from "./InactivityBase.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {MessagesLib} from "../../../contracts/libraries/MessagesLib.sol";
import {SortitionLib} from "../../../contracts/libraries/SortitionLib.sol";

contract ClearWithJobResultTest is InactivityBase {
    function setUp() public override {
        super.setUp();
        _report(staker, 0);
    }

    function _clear(Evidence memory e) internal {
        rollup.clearWithJobResult(staker, e.header, e.job, e.output, e.sig, e.siblings);
    }

    function _expectInvalid(uint256 number) internal {
        vm.expectRevert(abi.encodeWithSelector(Errors.Inactivity__InvalidEvidence.selector, staker, number));
    }

    // ------------------------------------------------------------------ success

    function test_clearWithJobResult_clearsWithOwnJob() public {
        Evidence memory e = _ownEvidence();
        vm.expectEmit(address(rollup));
        emit IRollup.ReportCleared(staker, headers[0].number, headers[0].number);
        _clear(e);
        _assertRecord(staker, headers[0].number, 0, 0, 0);
    }

    function test_clearWithJobResult_clearsWithNeighbourJob() public {
        uint256 own = _ownJob(staker, headers[0], 1);
        _clear(_evidence(staker, 0, 1, own ^ 1));
        assertEq(rollup.getInactivity(staker).pendingBlock, 0);
    }

    function test_clearWithJobResult_clearsWithRoundTwoJobWhenOnThatCommittee() public {
        // Find a block of the three where the staker is on the round-2 committee too.
        for (uint256 i; i < BLOCKS; ++i) {
            if (rollup.scoreOf(staker, headers[i].slot) < _roundThreshold(2, headers[i])) {
                if (i > 0) {
                    // Strike the report on block 0, then report block i instead.
                    _warpToSlot(_graceEnd() + 1);
                    rollup.finaliseReport(staker);
                    _report(staker, i);
                }
                _clear(_evidence(staker, i, 2, _ownJob(staker, headers[i], 2)));
                assertEq(rollup.getInactivity(staker).pendingBlock, 0);
                return;
            }
        }
        vm.skip(true); // staker on no round-2 committee in these blocks
    }

    // ------------------------------------------------------------------ reverts: range

    function test_clearWithJobResult_revertsWhenNoPendingReport() public {
        Evidence memory e = _ownEvidence();
        _clear(e);
        vm.expectRevert(abi.encodeWithSelector(Errors.Inactivity__NoPendingReport.selector, staker));
        _clear(e);
    }

    function test_clearWithJobResult_revertsWhenGraceOver() public {
        uint256 end = _graceEnd();
        _warpToSlot(end + 1);
        Evidence memory e = _ownEvidence();
        vm.expectRevert(abi.encodeWithSelector(Errors.Inactivity__GraceOver.selector, end + 1, end));
        _clear(e);
    }

    function test_clearWithJobResult_revertsWhenEvidenceAfterPendingBlock() public {
        Evidence memory e = _evidence(staker, 1, 1, _ownJob(staker, headers[1], 1));
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Inactivity__EvidenceBlockOutOfRange.selector, headers[1].number, 0, headers[0].number
            )
        );
        _clear(e);
    }

    function test_clearWithJobResult_revertsWhenHeaderDiffers() public {
        Evidence memory e = _ownEvidence();
        e.header.txRoot = keccak256("forged");
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.Rollup__HeaderMismatch.selector,
                MessagesLib.blockHash(headers[0]),
                MessagesLib.blockHash(e.header)
            )
        );
        _clear(e);
    }

    // ------------------------------------------------------------------ reverts: invalid evidence

    function test_clearWithJobResult_revertsWhenJobIsTheRoot() public {
        Evidence memory e = _ownEvidence();
        e.job = uint32(SortitionLib.proverJobs(HEIGHT, rollup.roundHeight()));
        _expectInvalid(headers[0].number);
        _clear(e);
    }

    function test_clearWithJobResult_revertsWhenOutsideNeighbourhood() public {
        uint256 own = _ownJob(staker, headers[0], 1);
        Evidence memory e = _evidence(staker, 0, 1, own ^ (1 << rollup.neighbourhood()));
        _expectInvalid(headers[0].number);
        _clear(e);
    }

    function test_clearWithJobResult_revertsWhenNotOnThatRoundsCommittee() public {
        vm.skip(rollup.scoreOf(staker, headers[0].slot) < _roundThreshold(2, headers[0]));
        Evidence memory e = _evidence(staker, 0, 2, _ownJob(staker, headers[0], 2));
        _expectInvalid(headers[0].number);
        _clear(e);
    }

    function test_clearWithJobResult_revertsWhenOutputNotInTree() public {
        Evidence memory e = _ownEvidence();
        e.output = keccak256("forged");
        e.sig = _signCompact(
            staker,
            MessagesLib.jobResultDigest(rollup.domainSeparator(), MessagesLib.blockHash(e.header), e.job, e.output)
        );
        _expectInvalid(headers[0].number);
        _clear(e);
    }

    function test_clearWithJobResult_revertsWhenSiblingsTooShort() public {
        Evidence memory e = _ownEvidence();
        bytes32[] memory shorter = new bytes32[](e.siblings.length - 1);
        for (uint256 i; i < shorter.length; ++i) {
            shorter[i] = e.siblings[i];
        }
        e.siblings = shorter;
        _expectInvalid(headers[0].number);
        _clear(e);
    }

    function test_clearWithJobResult_revertsWhenSiblingForged() public {
        Evidence memory e = _ownEvidence();
        e.siblings[0] = keccak256("forged");
        _expectInvalid(headers[0].number);
        _clear(e);
    }

    function test_clearWithJobResult_revertsWhenSignedByAnotherKey() public {
        address other = creditsOf[0][0].prover == staker ? creditsOf[0][1].prover : creditsOf[0][0].prover;
        Evidence memory e = _evidence(other, 0, 1, _ownJob(staker, headers[0], 1));
        _expectInvalid(headers[0].number);
        _clear(e);
    }

    function test_clearWithJobResult_revertsWhenSignatureIsZero() public {
        Evidence memory e = _ownEvidence();
        e.sig = IRollup.Signature({r: bytes32(0), vs: bytes32(0)});
        _expectInvalid(headers[0].number);
        _clear(e);
    }

    function test_clearWithJobResult_revertsWhenSignedForAnotherBlock() public {
        Evidence memory e = _ownEvidence();
        e.sig = _signCompact(
            staker,
            MessagesLib.jobResultDigest(rollup.domainSeparator(), MessagesLib.blockHash(headers[1]), e.job, e.output)
        );
        _expectInvalid(headers[0].number);
        _clear(e);
    }
}
