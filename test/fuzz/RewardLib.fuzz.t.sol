// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {RewardLib} from "../../contracts/libraries/RewardLib.sol";
import {RewardHarness} from "../harness/RewardHarness.sol";

/// @notice The block reward split and the pool's books (docs/PROTOCOL.md §8).
contract RewardLibFuzzTest is Test {
    RewardHarness internal h;

    /// @dev Amounts up to 2^100 base units (10^12 tokens of 18 decimals): far above any real pool, no overflow.
    uint256 internal constant AMOUNT = 1 << 100;

    function setUp() public {
        h = new RewardHarness();
    }

    function _rewards(uint256 a, uint256 b, uint256 c, uint256 d, uint256 e)
        internal
        pure
        returns (RewardLib.Rewards memory r)
    {
        r = RewardLib.Rewards({
            submitter: bound(a, 0, AMOUNT),
            sequencerBase: bound(b, 0, AMOUNT),
            sequencerPerProver: bound(c, 0, AMOUNT >> 16),
            sequencerBonusCap: bound(d, 0, 1 << 16),
            provers: bound(e, 0, AMOUNT)
        });
    }

    function _check(RewardLib.Pool memory p) internal pure {
        assertEq(p.paid + p.outstanding + p.balance, p.funded, "pool conservation");
    }

    function testFuzz_due_capsTheBonus(uint256 a, uint256 b, uint256 c, uint256 d, uint256 e, uint256 provers)
        public
        view
    {
        RewardLib.Rewards memory r = _rewards(a, b, c, d, e);
        provers = bound(provers, 0, 1 << 32);
        (uint256 submitter, uint256 sequencer, uint256 pot) = h.due(r, provers);
        assertEq(submitter, r.submitter);
        assertEq(pot, r.provers);
        uint256 bonus = provers < r.sequencerBonusCap ? provers : r.sequencerBonusCap;
        assertEq(sequencer, r.sequencerBase + r.sequencerPerProver * bonus);
        (, uint256 more,) = h.due(r, provers + 1);
        assertGe(more, sequencer, "another prover never lowers the sequencer reward");
    }

    function testFuzz_payout_partsNeverExceedDueOrPool(
        uint256[5] memory rs,
        uint256 funded,
        uint256 provers,
        uint256 totalCost,
        uint256 credited
    ) public {
        RewardLib.Rewards memory r = _rewards(rs[0], rs[1], rs[2], rs[3], rs[4]);
        funded = bound(funded, 0, AMOUNT * 4);
        provers = bound(provers, 0, 1 << 16);
        totalCost = bound(totalCost, 1, type(uint64).max);
        credited = bound(credited, 0, totalCost);
        h.fund(funded);
        (uint256 dSub, uint256 dSeq, uint256 dPot) = h.due(r, provers);

        IRollup.Payout memory p = h.payout(r, provers, credited, totalCost);
        assertLe(p.submitter, dSub, "submitter above due");
        assertLe(p.sequencer, dSeq, "sequencer above due");
        assertLe(p.proversPot, dPot, "provers' pot above due");
        assertLe(p.submitter + p.sequencer + p.proversPot, funded, "parts above the pool");
        assertLe(p.proversReserved, p.proversPot, "reserved above pot");

        RewardLib.Pool memory pool = h.pool();
        _check(pool);
        assertEq(pool.outstanding, p.proversReserved, "reserve booked");
        assertEq(pool.paid, p.submitter + p.sequencer, "paid parts booked");
        assertEq(pool.balance, funded - p.submitter - p.sequencer - p.proversReserved, "balance after payout");
    }

    function testFuzz_payout_scaledSplitExact(
        uint256[5] memory rs,
        uint256 funded,
        uint256 provers,
        uint256 totalCost,
        uint256 credited
    ) public {
        RewardLib.Rewards memory r = _rewards(rs[0], rs[1], rs[2], rs[3], rs[4]);
        provers = bound(provers, 0, 1 << 16);
        (uint256 dSub, uint256 dSeq, uint256 dPot) = h.due(r, provers);
        uint256 total = dSub + dSeq + dPot;
        funded = bound(funded, 0, total + AMOUNT);
        totalCost = bound(totalCost, 1, type(uint64).max);
        credited = bound(credited, 0, totalCost);
        h.fund(funded);

        IRollup.Payout memory p = h.payout(r, provers, credited, totalCost);
        if (funded >= total) {
            assertEq(p.submitter, dSub, "full submitter");
            assertEq(p.sequencer, dSeq, "full sequencer");
            assertEq(p.proversPot, dPot, "full pot");
        } else {
            // f = funded / total, each part floored separately.
            assertEq(p.submitter, dSub * funded / total, "scaled submitter");
            assertEq(p.sequencer, dSeq * funded / total, "scaled sequencer");
            assertEq(p.proversPot, dPot * funded / total, "scaled pot");
            // Flooring loses at most one unit per part.
            assertGe(p.submitter + p.sequencer + p.proversPot + 3, funded, "scaling wastes more than rounding");
        }
        assertEq(p.proversReserved, p.proversPot * credited / totalCost, "reserve = pot * credited / total");
    }

    /// @dev Credited costs split among provers: their floored shares never exceed the reserve, and the reserve never
    ///      exceeds the pot; a fully credited block reserves the whole pot.
    function testFuzz_share_creditedSharesSumToAtMostReserved(
        uint256 pot,
        uint256 totalCost,
        uint256 proverCount,
        uint256 seed
    ) public view {
        pot = bound(pot, 0, AMOUNT);
        totalCost = bound(totalCost, 1, type(uint64).max);
        proverCount = bound(proverCount, 1, 64);
        uint256 remaining = bound(seed, 0, totalCost);
        uint256 credited;
        uint256 shares;
        for (uint256 i; i < proverCount && remaining > 0; ++i) {
            uint256 c = i + 1 == proverCount ? remaining : bound(uint256(keccak256(abi.encode(seed, i))), 0, remaining);
            remaining -= c;
            credited += c;
            shares += h.share(pot, c, totalCost);
        }
        uint256 reserved = pot * credited / totalCost;
        assertLe(shares, reserved, "claims exceed the reserve");
        assertLe(reserved, pot, "reserve exceeds the pot");
        assertLe(reserved - shares, proverCount, "dust above one unit per prover");
        if (credited == totalCost) assertEq(reserved, pot, "full credit reserves the whole pot");
    }

    function testFuzz_share_monotonicInCost(uint256 pot, uint256 c1, uint256 c2, uint256 totalCost) public view {
        pot = bound(pot, 0, AMOUNT);
        totalCost = bound(totalCost, 1, type(uint64).max);
        c1 = bound(c1, 0, totalCost);
        c2 = bound(c2, 0, totalCost);
        (c1, c2) = c1 <= c2 ? (c1, c2) : (c2, c1);
        assertLe(h.share(pot, c1, totalCost), h.share(pot, c2, totalCost));
        assertLe(h.share(pot, c2, totalCost), pot);
    }

    /// @dev A sequence of blocks and claims keeps funded = balance + outstanding + paid, and what was paid plus what is
    ///      still claimable never exceeds what was funded.
    function testFuzz_payout_poolConservedOverBlocksAndClaims(uint256[5] memory rs, uint256 seed, uint8 blocks) public {
        RewardLib.Rewards memory r = _rewards(rs[0], rs[1], rs[2], rs[3], rs[4]);
        blocks = uint8(bound(blocks, 1, 24));
        uint256 claimable;
        for (uint256 i; i < blocks; ++i) {
            uint256 x = uint256(keccak256(abi.encode(seed, i)));
            if (x % 3 == 0) h.fund(bound(x >> 8, 0, AMOUNT / 8));
            uint256 totalCost = bound(x >> 16, 1, 1 << 40);
            uint256 credited = bound(x >> 64, 0, totalCost);
            IRollup.Payout memory p = h.payout(r, bound(x >> 128, 0, 100), credited, totalCost);
            // Two provers split the credited cost and claim at once.
            uint256 c1 = bound(x >> 200, 0, credited);
            uint256 s1 = h.share(p.proversPot, c1, totalCost);
            uint256 s2 = h.share(p.proversPot, credited - c1, totalCost);
            claimable += s1 + s2;
            if (x % 2 == 0 && s1 + s2 > 0) {
                h.settleClaim(s1 + s2);
                claimable -= s1 + s2;
            }
            RewardLib.Pool memory pool = h.pool();
            _check(pool);
            assertLe(claimable, pool.outstanding, "claimable above the reserve");
            assertLe(pool.paid + claimable, pool.funded, "paid plus claimable above funded");
        }
    }

    function testFuzz_settleClaim_revertsAboveOutstanding(uint256 funded, uint256 extra) public {
        funded = bound(funded, 1, AMOUNT);
        extra = bound(extra, 1, AMOUNT);
        h.fund(funded);
        RewardLib.Rewards memory r = RewardLib.Rewards(0, 0, 0, 0, funded);
        IRollup.Payout memory p = h.payout(r, 0, 1, 1);
        assertEq(p.proversReserved, funded);
        vm.expectRevert();
        h.settleClaim(p.proversReserved + extra);
    }
}
