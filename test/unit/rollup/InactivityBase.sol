// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RollupBase} from "./RollupBase.sol";
import {Rollup} from "../../../contracts/Rollup.sol";
import {IRollup} from "../../../contracts/interfaces/IRollup.sol";
import {MessagesLib} from "../../../contracts/libraries/MessagesLib.sol";
import {SortitionLib} from "../../../contracts/libraries/SortitionLib.sol";

/// @notice Inactivity tests: `BLOCKS` proven blocks, their leaves and credits, and a staker on every block's round-1
///         committee that contributed to all of them.
abstract contract InactivityBase is RollupBase {
    uint256 internal constant BLOCKS = 3;

    MessagesLib.Header[] internal headers;
    bytes32[][] internal leavesOf;
    Credit[][] internal creditsOf;
    /// @notice On every block's round-1 committee and credited in each.
    address internal staker;
    address internal reporter = makeAddr("reporter");

    function setUp() public virtual override {
        super.setUp();
        while (staker == address(0)) {
            _proveAndRecord();
            if (headers.length >= BLOCKS) staker = _creditedInAll();
        }
    }

    function _proveAndRecord() internal returns (uint256 index) {
        (Blk memory b, Credit[] memory c) = _proposeAndProve(HEIGHT);
        index = headers.length;
        headers.push(b.header);
        leavesOf.push(b.leaves);
        creditsOf.push();
        for (uint256 i; i < c.length; ++i) {
            creditsOf[index].push(c[i]);
        }
    }

    /// @dev A prover credited in each of the first BLOCKS blocks... of the last BLOCKS recorded blocks.
    function _creditedInAll() internal view returns (address) {
        uint256 from = headers.length - BLOCKS;
        for (uint256 i; i < creditsOf[from].length; ++i) {
            address p = creditsOf[from][i].prover;
            bool all = true;
            for (uint256 k = from + 1; k < headers.length && all; ++k) {
                all = _indexOf(creditsOf[k], p) != type(uint256).max;
            }
            if (all) return p;
        }
        return address(0);
    }

    /// @notice Header of the `i`-th recorded block (0-based).
    function _h(uint256 i) internal view returns (MessagesLib.Header memory) {
        return headers[i];
    }

    function _report(address who, uint256 i) internal {
        MessagesLib.Header memory h = headers[i];
        vm.prank(reporter);
        rollup.reportMissed(who, h);
    }

    function _graceEnd() internal view returns (uint256) {
        return uint256(rollup.getInactivity(staker).pendingSlot) + rollup.graceSlots();
    }

    /// @notice Reports `staker` for block `i` and lets the grace pass without evidence.
    function _strike(uint256 i) internal {
        _report(staker, i);
        _warpToSlot(_graceEnd() + 1);
        rollup.finaliseReport(staker);
    }

    /// @notice Rewards evidence of `who` in block `i`: its credited cost and Merkle proof.
    function _rewardEvidence(address who, uint256 i) internal view returns (uint64 cost, bytes32[] memory proof) {
        Credit[] memory c = creditsOf[i];
        uint256 k = _indexOf(c, who);
        require(k != type(uint256).max, "not credited");
        cost = uint64(c[k].cost);
        proof = _rewardProof(c, k);
    }

    /// @notice Evidence of one job result of `who` in recorded block `i`.
    struct Evidence {
        MessagesLib.Header header;
        uint32 job;
        bytes32 output;
        IRollup.Signature sig;
        bytes32[] siblings;
    }

    /// @notice Signed evidence for global job `job` (round-local `index` in `round`) of block `i`, signed by `signer`.
    function _evidence(address signer, uint256 i, uint256 round, uint256 index)
        internal
        view
        returns (Evidence memory e)
    {
        e.header = headers[i];
        uint256 m = rollup.roundHeight();
        e.job = uint32(SortitionLib.offset(round, HEIGHT, m) + index);
        e.siblings = _siblings(leavesOf[i], SortitionLib.level(round, HEIGHT, m), index);
        e.output = _outputs(leavesOf[i], HEIGHT)[e.job];
        e.sig = _signCompact(
            signer,
            MessagesLib.jobResultDigest(rollup.domainSeparator(), MessagesLib.blockHash(e.header), e.job, e.output)
        );
    }

    function _ownEvidence() internal view returns (Evidence memory) {
        return _evidence(staker, 0, 1, _ownJob(staker, headers[0], 1));
    }

    function _clearWithReward(address who, uint256 evidenceBlock) internal {
        (uint64 cost, bytes32[] memory proof) = _rewardEvidence(who, evidenceBlock);
        MessagesLib.Header memory h = headers[evidenceBlock];
        rollup.clearWithReward(who, h, cost, proof);
    }

    function _assertRecord(
        address who,
        uint256 lastAppearance,
        uint256 pendingBlock,
        uint256 pendingSlot,
        uint256 strikes
    ) internal view {
        IRollup.Inactivity memory r = rollup.getInactivity(who);
        assertEq(r.lastAppearance, lastAppearance, "lastAppearance");
        assertEq(r.pendingBlock, pendingBlock, "pendingBlock");
        assertEq(r.pendingSlot, pendingSlot, "pendingSlot");
        assertEq(r.strikes, strikes, "strikes");
    }
}

/// @notice The inactivity fixture with a bleed that bites early: a penalty from the first strike, 20,000 tokens
///         doubling, ejection below 50,000, so that two strikes reach the floor.
abstract contract BleedBase is InactivityBase {
    function _rollupConfig() internal view virtual override returns (Rollup.Config memory c) {
        c = super._rollupConfig();
        c.strikeThreshold = 1;
        c.penaltyBase = 20_000e18;
        c.ejectionFloor = 50_000e18;
    }
}
