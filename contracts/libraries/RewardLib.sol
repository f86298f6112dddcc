// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IRollup} from "../interfaces/IRollup.sol";

/// @title RewardLib
/// @notice The block reward rules (docs/PROTOCOL.md §13): B^Submitter and the sequencer's coverage part grow with the
///         block's coverage (credited committee jobs / committee jobs), the sequencer's base is flat and B^Provers is
///         shared by credited jobs in proportion to their cost weight; and the minimum coverage a proof must reach.
/// @dev Pool conservation: `funded == balance + outstanding + paid` at all times, so paid plus claimable never exceeds
///      what was funded. `outstanding` holds the provers' reservations and the submitters' and sequencers' owed
///      (pull) rewards. An underfunded pool scales every part by balance / due and never blocks a proof.
library RewardLib {
    /// @notice Basis points of one whole (coverage and `minCoverageBps` are in basis points of committee jobs).
    uint256 internal constant BPS = 10_000;

    /// @notice Reward parameters, in reward-token base units.
    struct Rewards {
        /// @dev B^Submitter at full coverage; earned per credited committee job.
        uint256 submitter;
        /// @dev Flat part of B^Sequencer.
        uint256 sequencerBase;
        /// @dev Part of B^Sequencer earned per credited committee job (all of it at full coverage).
        uint256 sequencerCoverage;
        /// @dev B^Provers, split by cost weight among credited jobs.
        uint256 provers;
    }

    /// @notice Reward pool accounting, packed in two slots: a claim or withdrawal touches only the second.
    struct Pool {
        /// @dev Everything ever funded.
        uint128 funded;
        /// @dev Available for future blocks.
        uint128 balance;
        /// @dev Reserved for provers' claims of proven blocks, plus submitters' and sequencers' owed rewards.
        uint128 outstanding;
        /// @dev Everything paid out (withdrawn owed rewards and claims).
        uint128 paid;
    }

    function fund(Pool storage pool, uint256 amount) internal {
        pool.funded += SafeCast.toUint128(amount);
        pool.balance += SafeCast.toUint128(amount);
    }

    /// @notice Whether a proof crediting `creditedJobs` of `committeeJobs` committee jobs reaches `minCoverageBps`:
    ///         `creditedJobs * 10_000 >= minCoverageBps * committeeJobs`.
    function meetsCoverage(uint256 creditedJobs, uint256 committeeJobs, uint256 minCoverageBps)
        internal
        pure
        returns (bool)
    {
        return creditedJobs * BPS >= minCoverageBps * committeeJobs;
    }

    /// @notice The fewest credited jobs that meet `minCoverageBps`: `ceil(minCoverageBps * committeeJobs / 10_000)`.
    function requiredJobs(uint256 committeeJobs, uint256 minCoverageBps) internal pure returns (uint256) {
        return (minCoverageBps * committeeJobs + BPS - 1) / BPS;
    }

    /// @notice Full reward due for a block with `creditedJobs` of its `committeeJobs` committee jobs credited.
    /// @dev The submitter's part and the sequencer's coverage part are floored; with `committeeJobs == 0` (no height
    ///      the Rollup accepts) both are 0.
    function due(Rewards memory r, uint256 creditedJobs, uint256 committeeJobs)
        internal
        pure
        returns (uint256 submitter, uint256 sequencer, uint256 provers)
    {
        if (committeeJobs != 0) {
            submitter = r.submitter * creditedJobs / committeeJobs;
            sequencer = r.sequencerCoverage * creditedJobs / committeeJobs;
        }
        return (submitter, r.sequencerBase + sequencer, r.provers);
    }

    /// @notice Splits a proven block's reward, scaled down if the pool cannot pay it in full, and books it: every part
    ///         moves from `balance` to `outstanding` (the submitter's and sequencer's as owed rewards, the provers' as
    ///         the claim reservation).
    /// @param creditedJobs committee jobs with a credited contribution.
    /// @param committeeJobs every committee job of the block.
    /// @param creditedCost cost weight of the credited committee jobs; the rest of the provers' pot stays in the pool.
    /// @param totalCost cost weight of every committee job of the block.
    function payout(
        Pool storage pool,
        Rewards memory r,
        uint256 creditedJobs,
        uint256 committeeJobs,
        uint256 creditedCost,
        uint256 totalCost
    ) internal returns (IRollup.Payout memory p) {
        (uint256 submitter, uint256 sequencer, uint256 provers) = due(r, creditedJobs, committeeJobs);
        uint256 total = submitter + sequencer + provers;
        uint256 available = pool.balance;
        if (available < total) {
            submitter = submitter * available / total;
            sequencer = sequencer * available / total;
            provers = provers * available / total;
        }
        p.submitter = submitter;
        p.sequencer = sequencer;
        p.proversPot = provers;
        p.proversReserved = totalCost == 0 ? 0 : provers * creditedCost / totalCost;
        // Every part is at most `available` (< 2^128), so the narrowing below cannot truncate.
        uint256 booked = submitter + sequencer + p.proversReserved;
        pool.balance = uint128(available - booked);
        pool.outstanding += uint128(booked);
    }

    /// @notice A prover's share of a block's pot for `cost` credited cost weight (rounded down).
    function share(uint256 pot, uint256 cost, uint256 totalCost) internal pure returns (uint256) {
        return pot * cost / totalCost;
    }

    /// @notice Books `amount` paid out of `outstanding`: a claim or a withdrawal of owed rewards.
    function settle(Pool storage pool, uint256 amount) internal {
        pool.outstanding -= SafeCast.toUint128(amount);
        pool.paid += uint128(amount);
    }
}
