// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IRollup} from "../interfaces/IRollup.sol";

/// @title RewardLib
/// @notice The block reward split (docs/PROTOCOL.md §13): B^Submitter, B^Sequencer (base plus a bonus per distinct
///         committee prover, capped) and B^Provers (shared by credited jobs in proportion to their cost weight).
/// @dev Pool conservation: `funded == balance + outstanding + paid` at all times, so paid plus claimable never exceeds
///      what was funded. An underfunded pool scales every part by balance / due and never blocks a proof.
library RewardLib {
    /// @notice Reward parameters, in reward-token base units.
    struct Rewards {
        uint256 submitter;
        uint256 sequencerBase;
        uint256 sequencerPerProver;
        uint256 sequencerBonusCap;
        uint256 provers;
    }

    /// @notice Reward pool accounting, packed in two slots: a claim touches only the second.
    struct Pool {
        /// @dev Everything ever funded.
        uint128 funded;
        /// @dev Available for future blocks.
        uint128 balance;
        /// @dev Reserved for provers' claims of proven blocks.
        uint128 outstanding;
        /// @dev Everything paid out (submitters, sequencers, claims).
        uint128 paid;
    }

    function fund(Pool storage pool, uint256 amount) internal {
        pool.funded += SafeCast.toUint128(amount);
        pool.balance += SafeCast.toUint128(amount);
    }

    /// @notice Full reward due for a block with `distinctProvers` credited committee provers.
    function due(Rewards memory r, uint256 distinctProvers)
        internal
        pure
        returns (uint256 submitter, uint256 sequencer, uint256 provers)
    {
        uint256 bonusProvers = distinctProvers < r.sequencerBonusCap ? distinctProvers : r.sequencerBonusCap;
        return (r.submitter, r.sequencerBase + r.sequencerPerProver * bonusProvers, r.provers);
    }

    /// @notice Splits a proven block's reward, scaled down if the pool cannot pay it in full, and books it.
    /// @param creditedCost cost weight of the credited committee jobs; the rest of the provers' pot stays in the pool.
    /// @param totalCost cost weight of every committee job of the block.
    function payout(
        Pool storage pool,
        Rewards memory r,
        uint256 distinctProvers,
        uint256 creditedCost,
        uint256 totalCost
    ) internal returns (IRollup.Payout memory p) {
        (uint256 submitter, uint256 sequencer, uint256 provers) = due(r, distinctProvers);
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
        pool.balance = uint128(available - submitter - sequencer - p.proversReserved);
        pool.outstanding += uint128(p.proversReserved);
        pool.paid += uint128(submitter + sequencer);
    }

    /// @notice A prover's share of a block's pot for `cost` credited cost weight (rounded down).
    function share(uint256 pot, uint256 cost, uint256 totalCost) internal pure returns (uint256) {
        return pot * cost / totalCost;
    }

    /// @notice Books a claim paid out of the provers' reserve.
    function settleClaim(Pool storage pool, uint256 amount) internal {
        pool.outstanding -= SafeCast.toUint128(amount);
        pool.paid += uint128(amount);
    }
}
