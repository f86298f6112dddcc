// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test, console2} from "forge-std/Test.sol";

import {LifecycleHandler} from "./handlers/LifecycleHandler.sol";

/// @notice Guards the invariant campaign against vacuity: one long deterministic walk through LifecycleHandler must
///         reach every path the invariants rely on (valid and invalid proposals, replacements, prunes, proofs with
///         offline provers, claims and double-claim attempts, reports cleared both ways, strikes, exits, withdrawals)
///         without a single handler violation.
contract LifecycleHandlerCoverageTest is Test {
    function test_walkReachesEveryPath() public {
        LifecycleHandler h = new LifecycleHandler();
        for (uint256 step; step < 600; ++step) {
            uint256 r = uint256(keccak256(abi.encode("walk", step)));
            uint256 pick = r % 16;
            uint256 a = r >> 8;
            if (pick < 3) h.propose(a, uint8(r >> 16), uint8(r >> 24));
            else if (pick < 5) h.prove(a, uint8(r >> 32));
            else if (pick < 7) h.warp(a, r >> 40);
            else if (pick == 7) h.replace(a, uint8(r >> 16));
            else if (pick == 8) h.claim(a, uint8(r >> 16));
            else if (pick == 9) h.claimAgain(a, uint8(r >> 16));
            else if (pick == 10) h.prune();
            else if (pick == 11) h.proveDead(a);
            else if (pick < 14) h.inactivity(uint8(r >> 16), a);
            else if (pick == 14) h.stake(uint8(r >> 16), a);
            else h.money(uint8(r >> 16), a);
            assertEq(h.violations(), 0, h.lastViolation());
        }
        string[20] memory paths = _names();
        for (uint256 i; i < paths.length; ++i) {
            uint256 n = h.calls(bytes32(bytes(paths[i])));
            console2.log(paths[i], n);
            assertGt(n, 0, paths[i]);
        }
        assertGt(h.deadCount(), 0, "no block was ever pruned or replaced");
    }

    function _names() internal pure returns (string[20] memory) {
        return [
            "propose.ok",
            "propose.invalid",
            "replace.ok",
            "prove.ok",
            "prove.late",
            "prove.lowCoverage",
            "prune.ok",
            "claim.ok",
            "claimAgain",
            "withdraw.ok",
            "proveDead",
            "inactivity.report",
            "inactivity.finalise",
            "inactivity.clear",
            "inactivity.clearJob",
            "stake.register",
            "stake.exit",
            "stake.withdraw",
            "strike.penalty",
            "strike.ejected"
        ];
    }
}
