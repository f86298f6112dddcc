// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {RewardLib} from "../../contracts/libraries/RewardLib.sol";

/// @notice Holds one RewardLib.Pool in storage and exposes the library's functions on it.
contract RewardHarness {
    RewardLib.Pool internal _pool;

    function fund(uint256 amount) external {
        RewardLib.fund(_pool, amount);
    }

    function payout(
        RewardLib.Rewards memory r,
        uint256 creditedJobs,
        uint256 committeeJobs,
        uint256 creditedCost,
        uint256 totalCost
    ) external returns (IRollup.Payout memory) {
        return RewardLib.payout(_pool, r, creditedJobs, committeeJobs, creditedCost, totalCost);
    }

    function settle(uint256 amount) external {
        RewardLib.settle(_pool, amount);
    }

    function due(RewardLib.Rewards memory r, uint256 creditedJobs, uint256 committeeJobs)
        external
        pure
        returns (uint256 submitter, uint256 sequencer, uint256 provers)
    {
        return RewardLib.due(r, creditedJobs, committeeJobs);
    }

    function meetsCoverage(uint256 creditedJobs, uint256 committeeJobs, uint256 minCoverageBps)
        external
        pure
        returns (bool)
    {
        return RewardLib.meetsCoverage(creditedJobs, committeeJobs, minCoverageBps);
    }

    function requiredJobs(uint256 committeeJobs, uint256 minCoverageBps) external pure returns (uint256) {
        return RewardLib.requiredJobs(committeeJobs, minCoverageBps);
    }

    function share(uint256 pot, uint256 cost, uint256 totalCost) external pure returns (uint256) {
        return RewardLib.share(pot, cost, totalCost);
    }

    function pool() external view returns (RewardLib.Pool memory) {
        return _pool;
    }
}
