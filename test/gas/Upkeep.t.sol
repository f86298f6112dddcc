// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {InactivityBase, BleedBase} from "../unit/rollup/InactivityBase.sol";
import {Rollup} from "../../contracts/Rollup.sol";
import {MessagesLib} from "../../contracts/libraries/MessagesLib.sol";

/// @notice Gas of the calls that keep the chain and the staking set in order: inactivity reports and their clearing
///         and finalising, pruning, funding (docs/PROTOCOL.md §16). They have no target; §14.5 relies on a reporter
///         and the accused paying gas of the same order. Measured on the unit fixture (32 stakers, n = 6, three
///         proven blocks, the reported staker credited in each), so a Merkle proof has 6 levels or fewer; each further
///         level costs a hash and 32 bytes of calldata.
contract BenchUpkeepTest is InactivityBase {
    function _reportCall(uint256 i) internal view returns (bytes memory) {
        return abi.encodeCall(Rollup.reportMissed, (staker, headers[i]));
    }

    function test_gas_reportMissed() public {
        _report(staker, 0);
        uint256 used = _record("reportMissed", _reportCall(0));
        emit log_named_uint("reportMissed execution", used);
        assertEq(rollup.getInactivity(staker).pendingBlock, headers[0].number);
    }

    /// @notice A report that first finalises the expired one before it (a strike with no penalty).
    function test_gas_reportMissed_finalisingThePrevious() public {
        _report(staker, 0);
        _warpToSlot(_graceEnd() + 1);
        _report(staker, 1);
        _record("reportMissed, finalising the previous report", _reportCall(1));
        assertEq(rollup.getInactivity(staker).strikes, 1);
    }

    function test_gas_clearWithReward() public {
        _report(staker, 1);
        (uint64 cost, bytes32[] memory proof) = _rewardEvidence(staker, 1);
        MessagesLib.Header memory h = headers[1];
        rollup.clearWithReward(staker, h, cost, proof);
        uint256 used = _record("clearWithReward", abi.encodeCall(Rollup.clearWithReward, (staker, h, cost, proof)));
        emit log_named_uint("clearWithReward execution", used);
        assertEq(rollup.getInactivity(staker).pendingBlock, 0);
    }

    function test_gas_clearWithJobResult() public {
        _report(staker, 0);
        Evidence memory e = _ownEvidence();
        rollup.clearWithJobResult(staker, e.header, e.job, e.output, e.sig, e.siblings);
        uint256 used = _record(
            "clearWithJobResult",
            abi.encodeCall(Rollup.clearWithJobResult, (staker, e.header, e.job, e.output, e.sig, e.siblings))
        );
        emit log_named_uint("clearWithJobResult execution", used);
        assertEq(rollup.getInactivity(staker).pendingBlock, 0);
    }

    function test_gas_finaliseReport_firstStrike() public {
        _report(staker, 0);
        _warpToSlot(_graceEnd() + 1);
        rollup.finaliseReport(staker);
        _record("finaliseReport, first strike (no penalty)", abi.encodeCall(Rollup.finaliseReport, (staker)));
        assertEq(staking.stakeOf(staker), STAKE);
    }

    function test_gas_prune_oneBlock() public {
        MessagesLib.Header memory h = _proposeRoot();
        _warpToSlot(h.slot + rollup.proofWindow() + 1);
        rollup.prune();
        _record("prune, one block", abi.encodeCall(Rollup.prune, ()));
        assertEq(_pendingTip(), _provenTip());
    }

    function test_gas_prune_threeBlocks() public {
        MessagesLib.Header memory first = _proposeRoot();
        _proposeRoot();
        _proposeRoot();
        _warpToSlot(first.slot + rollup.proofWindow() + 1);
        rollup.prune();
        _record("prune, three blocks", abi.encodeCall(Rollup.prune, ()));
        assertEq(_pendingTip(), _provenTip());
    }

    /// @notice A top-up of a pool already funded, by a funder that keeps a token balance.
    function test_gas_fund() public {
        address funder = makeAddr("funder");
        rewardToken.mint(funder, 2_000e18);
        vm.prank(funder);
        rewardToken.approve(address(rollup), 2_000e18);
        vm.prank(funder);
        rollup.fund(1_000e18);
        _record("fund", abi.encodeCall(Rollup.fund, (1_000e18)));
        assertEq(rewardToken.balanceOf(funder), 1_000e18);
    }
}

/// @notice Finalisations that slash, on the unit fixture with the early bleed of `BleedBase` (penalty from the first
///         strike, 20,000 tokens doubling, ejection below 50,000).
contract BenchBleedTest is BleedBase {
    function test_gas_finaliseReport_slash() public {
        _report(staker, 0);
        _warpToSlot(_graceEnd() + 1);
        rollup.finaliseReport(staker);
        _record("finaliseReport, slash", abi.encodeCall(Rollup.finaliseReport, (staker)));
        assertEq(staking.stakeOf(staker), STAKE - 20_000e18);
    }

    /// @notice The costliest finalisation: a penalty slashed to the sink and the staker ejected below the floor.
    function test_gas_finaliseReport_slashAndEject() public {
        _strike(0);
        _report(staker, 1);
        _warpToSlot(_graceEnd() + 1);
        uint256 epoch = staking.currentEpoch();
        rollup.finaliseReport(staker);
        uint256 used = _record("finaliseReport, slash and ejection", abi.encodeCall(Rollup.finaliseReport, (staker)));
        emit log_named_uint("finaliseReport with slash and ejection execution", used);
        assertEq(staking.stakeOf(staker), STAKE - 60_000e18, "slashed");
        assertFalse(staking.isActive(staker, epoch + staking.setChangeDelay()), "ejected");
    }
}
