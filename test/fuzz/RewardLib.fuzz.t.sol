// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {RewardLib} from "../../contracts/libraries/RewardLib.sol";
import {RewardHarness} from "../harness/RewardHarness.sol";

/// @notice The block reward split, the minimum-coverage rule and the pool's books (docs/PROTOCOL.md §13).
contract RewardLibFuzzTest is Test {
    RewardHarness internal h;

    /// @dev Amounts up to 2^100 base units (10^12 tokens of 18 decimals): far above any real pool, no overflow.
    uint256 internal constant AMOUNT = 1 << 100;
    /// @dev Committee jobs of the largest height the Rollup accepts (n = 24) are below 2^24.
    uint256 internal constant JOBS = 1 << 24;

    function setUp() public {
        h = new RewardHarness();
    }

    function _rewards(uint256 a, uint256 b, uint256 c, uint256 d) internal pure returns (RewardLib.Rewards memory r) {
        r = RewardLib.Rewards({
            submitter: bound(a, 0, AMOUNT),
            sequencerBase: bound(b, 0, AMOUNT),
            sequencerCoverage: bound(c, 0, AMOUNT),
            provers: bound(d, 0, AMOUNT)
        });
    }

    /// @dev A committee size and a credited count at most that size.
    function _jobs(uint256 committee, uint256 credited) internal pure returns (uint256, uint256) {
        committee = bound(committee, 1, JOBS);
        return (bound(credited, 0, committee), committee);
    }

    function _check(RewardLib.Pool memory p) internal pure {
        assertEq(p.paid + p.outstanding + p.balance, p.funded, "pool conservation");
    }

    function testFuzz_due_scalesWithCoverage(uint256[4] memory rs, uint256 committee, uint256 credited) public view {
        RewardLib.Rewards memory r = _rewards(rs[0], rs[1], rs[2], rs[3]);
        (credited, committee) = _jobs(committee, credited);
        (uint256 submitter, uint256 sequencer, uint256 pot) = h.due(r, credited, committee);
        assertEq(submitter, r.submitter * credited / committee, "submitter = B * credited / committee");
        assertEq(sequencer, r.sequencerBase + r.sequencerCoverage * credited / committee, "sequencer");
        assertEq(pot, r.provers, "provers' pot is flat");
        if (credited == committee) {
            assertEq(submitter, r.submitter, "full coverage: full submitter reward");
            assertEq(sequencer, r.sequencerBase + r.sequencerCoverage, "full coverage: full sequencer reward");
        }
        if (credited == 0) assertEq(submitter, 0, "no coverage: no submitter reward");
        if (credited < committee) {
            (uint256 sMore, uint256 qMore,) = h.due(r, credited + 1, committee);
            assertGe(sMore, submitter, "another credited job never lowers the submitter reward");
            assertGe(qMore, sequencer, "another credited job never lowers the sequencer reward");
        }
    }

    /// @dev The front-running argument of §13.2: including a contribution earns at least B^Submitter / committee - 1
    ///      more (flooring loses at most one unit on each side), so stripping contributions never pays once that
    ///      exceeds a contribution's gas.
    function testFuzz_due_submitterEarnsPerIncludedJob(uint256 b, uint256 committee, uint256 credited) public view {
        RewardLib.Rewards memory r = RewardLib.Rewards(bound(b, 0, AMOUNT), 0, 0, 0);
        (credited, committee) = _jobs(committee, credited);
        vm.assume(credited < committee);
        (uint256 less,,) = h.due(r, credited, committee);
        (uint256 more,,) = h.due(r, credited + 1, committee);
        assertGe(more - less + 1, r.submitter / committee, "per-job increment below B / committee - 1");
        assertLe(more - less, r.submitter / committee + 1, "per-job increment above B / committee + 1");
    }

    function testFuzz_due_zeroCommitteeHasNoCoverageParts(uint256[4] memory rs, uint256 credited) public view {
        RewardLib.Rewards memory r = _rewards(rs[0], rs[1], rs[2], rs[3]);
        (uint256 submitter, uint256 sequencer, uint256 pot) = h.due(r, credited, 0);
        assertEq(submitter, 0);
        assertEq(sequencer, r.sequencerBase);
        assertEq(pot, r.provers);
    }

    function testFuzz_meetsCoverage_exactlyFromRequiredJobs(uint256 committee, uint256 credited, uint256 bps)
        public
        view
    {
        (credited, committee) = _jobs(committee, credited);
        bps = bound(bps, 0, RewardLib.BPS);
        uint256 required = h.requiredJobs(committee, bps);
        assertLe(required, committee, "never more than every job");
        assertEq(h.meetsCoverage(credited, committee, bps), credited >= required, "meets iff credited >= required");
        assertTrue(h.meetsCoverage(required, committee, bps), "exactly required passes");
        if (required > 0) assertFalse(h.meetsCoverage(required - 1, committee, bps), "one less fails");
        assertTrue(h.meetsCoverage(committee, committee, bps), "full coverage always passes");
        assertTrue(h.meetsCoverage(credited, committee, 0), "0 bps always passes");
        assertEq(h.meetsCoverage(credited, committee, RewardLib.BPS), credited == committee, "10000 bps: every job");
    }

    function testFuzz_payout_partsNeverExceedDueOrPool(
        uint256[4] memory rs,
        uint256 funded,
        uint256[2] memory jobs,
        uint256 totalCost,
        uint256 credited
    ) public {
        RewardLib.Rewards memory r = _rewards(rs[0], rs[1], rs[2], rs[3]);
        funded = bound(funded, 0, AMOUNT * 4);
        (uint256 creditedJobs, uint256 committee) = _jobs(jobs[0], jobs[1]);
        totalCost = bound(totalCost, 1, type(uint64).max);
        credited = bound(credited, 0, totalCost);
        h.fund(funded);
        IRollup.Payout memory p = h.payout(r, creditedJobs, committee, credited, totalCost);
        {
            (uint256 dSub, uint256 dSeq, uint256 dPot) = h.due(r, creditedJobs, committee);
            assertLe(p.submitter, dSub, "submitter above due");
            assertLe(p.sequencer, dSeq, "sequencer above due");
            assertLe(p.proversPot, dPot, "provers' pot above due");
        }
        assertLe(p.submitter + p.sequencer + p.proversPot, funded, "parts above the pool");
        assertLe(p.proversReserved, p.proversPot, "reserved above pot");

        RewardLib.Pool memory pool = h.pool();
        _check(pool);
        assertEq(pool.outstanding, p.submitter + p.sequencer + p.proversReserved, "owed parts and reserve booked");
        assertEq(pool.paid, 0, "nothing is paid at proof time");
        assertEq(pool.balance, funded - p.submitter - p.sequencer - p.proversReserved, "balance after payout");
    }

    function testFuzz_payout_scaledSplitExact(
        uint256[4] memory rs,
        uint256 funded,
        uint256[2] memory jobs,
        uint256 totalCost,
        uint256 credited
    ) public {
        RewardLib.Rewards memory r = _rewards(rs[0], rs[1], rs[2], rs[3]);
        (uint256 creditedJobs, uint256 committee) = _jobs(jobs[0], jobs[1]);
        (uint256 dSub, uint256 dSeq, uint256 dPot) = h.due(r, creditedJobs, committee);
        uint256 total = dSub + dSeq + dPot;
        funded = bound(funded, 0, total + AMOUNT);
        totalCost = bound(totalCost, 1, type(uint64).max);
        credited = bound(credited, 0, totalCost);
        h.fund(funded);

        IRollup.Payout memory p = h.payout(r, creditedJobs, committee, credited, totalCost);
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

    /// @dev A sequence of blocks, claims and withdrawals keeps funded = balance + outstanding + paid, and what was paid
    ///      plus what is still claimable or owed never exceeds what was funded.
    function testFuzz_payout_poolConservedOverBlocksAndClaims(uint256[4] memory rs, uint256 seed, uint8 blocks) public {
        RewardLib.Rewards memory r = _rewards(rs[0], rs[1], rs[2], rs[3]);
        blocks = uint8(bound(blocks, 1, 24));
        uint256 claimable;
        uint256 owed;
        for (uint256 i; i < blocks; ++i) {
            uint256 x = uint256(keccak256(abi.encode(seed, i)));
            if (x % 3 == 0) h.fund(bound(x >> 8, 0, AMOUNT / 8));
            uint256 totalCost = bound(x >> 16, 1, 1 << 40);
            uint256 credited = bound(x >> 64, 0, totalCost);
            uint256 committee = bound(x >> 104, 1, 1 << 12);
            IRollup.Payout memory p = h.payout(r, bound(x >> 128, 0, committee), committee, credited, totalCost);
            owed += p.submitter + p.sequencer;
            // Two provers split the credited cost and claim at once.
            uint256 c1 = bound(x >> 200, 0, credited);
            uint256 s1 = h.share(p.proversPot, c1, totalCost);
            uint256 s2 = h.share(p.proversPot, credited - c1, totalCost);
            claimable += s1 + s2;
            if (x % 2 == 0 && s1 + s2 > 0) {
                h.settle(s1 + s2);
                claimable -= s1 + s2;
            }
            if (x % 5 == 0 && owed > 0) {
                h.settle(owed);
                owed = 0;
            }
            RewardLib.Pool memory pool = h.pool();
            _check(pool);
            assertLe(claimable + owed, pool.outstanding, "claimable plus owed above outstanding");
            assertLe(pool.paid + claimable + owed, pool.funded, "paid plus claimable plus owed above funded");
        }
    }

    function testFuzz_settle_revertsAboveOutstanding(uint256 funded, uint256 extra) public {
        funded = bound(funded, 1, AMOUNT);
        extra = bound(extra, 1, AMOUNT);
        h.fund(funded);
        RewardLib.Rewards memory r = RewardLib.Rewards(0, 0, 0, funded);
        IRollup.Payout memory p = h.payout(r, 1, 1, 1, 1);
        assertEq(p.proversReserved, funded);
        vm.expectRevert();
        h.settle(p.proversReserved + extra);
    }
}
