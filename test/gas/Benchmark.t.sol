// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SPNTest} from "../utils/SPNTest.sol";
import {Rollup} from "../../contracts/Rollup.sol";
import {TranscriptVerifier} from "../../contracts/TranscriptVerifier.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {MessagesLib} from "../../contracts/libraries/MessagesLib.sol";

/// @notice Testnet parameters (docs/PROTOCOL.md §2) for the gas benchmarks.
abstract contract TestnetParams is SPNTest {
    function _rollupConfig() internal view virtual override returns (Rollup.Config memory c) {
        c = super._rollupConfig();
        c.attestationTarget = 48;
        c.attestationQuorum = 33;
        c.neighbourhood = 1;
        c.sequencerTarget = 4;
    }
}

/// @notice propose with a 48-member attestation committee and 33 signatures. Run with --isolate (make snapshot) so
///         each call is its own transaction: cold storage is cold and intrinsic and calldata gas are included.
contract BenchProposeTest is TestnetParams {
    uint256 internal constant TARGET = 300_000;

    function setUp() public {
        _deploy();
        _registerAndActivate(200);
    }

    function test_gas_propose_33of48() public {
        (uint256 slot, address seq) = _nextUsableSlot(rollup.currentSlot(), 33);
        _warpToSlot(slot);
        address[] memory committee = _attesters(slot);
        address[] memory signers = new address[](33);
        for (uint256 i; i < 33; ++i) signers[i] = committee[i];
        bytes32 root = keccak256("txs");
        MessagesLib.Header memory h = _headerFor(seq, slot, root, 11);
        IRollup.Signature[] memory sigs = _attestations(signers, slot, MessagesLib.blockHash(h));

        vm.prank(seq);
        rollup.propose(IRollup.ProposeArgs({slot: uint64(slot), txRoot: root, height: 11}), sigs);
        uint256 used = vm.snapshotGasLastCall("propose 33 of 48 attestations");
        emit log_named_uint("committee size", committee.length);
        assertLe(used, TARGET, "propose above target");
    }
}

/// @notice A full n = 11, m = 2 submission, and the marginal cost of one contribution.
contract BenchSubmitTest is TestnetParams {
    uint256 internal constant TX_GAS_CAP = 16_777_216;

    MessagesLib.Header internal header;
    bytes32[] internal outputs;

    function setUp() public {
        _deploy();
        _fundPool(1_000_000e18);
        _registerAndActivate(2048);
        (uint256 slot,) = _nextUsableSlot(rollup.currentSlot(), 33);
        _warpToSlot(slot);
        bytes32[] memory leaves;
        (header, leaves) = _proposeBlock(slot, 11);
        outputs = _outputs(leaves, 11);
    }

    function test_gas_submitProof_n11_m2() public {
        (bytes memory proof, Credit[] memory credits) = _transcript(header, outputs, new address[](0));
        uint256 contributions = _contributions(credits);

        uint256 snap = vm.snapshotState();
        rollup.submitProof(header, proof);
        uint256 full = vm.snapshotGasLastCall("submitProof n=11 m=2 full transcript");
        emit log_named_uint("contributions", contributions);
        emit log_named_uint("distinct provers", credits.length);
        emit log_named_uint("calldata bytes", proof.length);

        // Same block with every second prover offline: the difference is what the dropped contributions cost.
        vm.revertToState(snap);
        address[] memory offline = new address[](credits.length / 2);
        for (uint256 i; i < offline.length; ++i) offline[i] = credits[2 * i].prover;
        (bytes memory half, Credit[] memory halfCredits) = _transcript(header, outputs, offline);
        rollup.submitProof(header, half);
        uint256 reduced = vm.snapshotGasLastCall("submitProof n=11 m=2 half the provers offline");
        uint256 dropped = contributions - _contributions(halfCredits);
        uint256 perContribution = (full - reduced) / dropped;
        vm.snapshotValue("marginal gas per contribution", perContribution);
        // Floor: ecrecover (3,000) + cold SLOAD of the staker record (2,100) + its share of the calldata.
        uint256 calldataPer = (_calldataGas(proof) - _calldataGas(half)) / dropped;
        uint256 floor = 3_000 + 2_100 + calldataPer;
        vm.snapshotValue("contribution floor gas", floor);
        emit log_named_uint("marginal gas per contribution", perContribution);
        emit log_named_uint("floor per contribution", floor);
        assertLt(full, TX_GAS_CAP / 2, "full submission above half the transaction gas cap");
    }

    function _contributions(Credit[] memory credits) internal pure returns (uint256 c) {
        for (uint256 i; i < credits.length; ++i) c += credits[i].jobs.length;
    }

    function _calldataGas(bytes memory data) internal pure returns (uint256 g) {
        for (uint256 i; i < data.length; ++i) g += data[i] == 0 ? 4 : 16;
    }
}

/// @notice Claims of one block and of a batch of blocks.
contract BenchClaimTest is SPNTest {
    uint256 internal constant BLOCKS = 12;
    Credit[][] internal creditsOf;

    function setUp() public {
        _deploy();
        _fundPool(1_000_000e18);
        _registerAndActivate(32);
        uint256 slot = rollup.currentSlot();
        for (uint256 b; b < BLOCKS; ++b) {
            (slot,) = _nextUsableSlot(slot, rollup.attestationQuorum());
            _warpToSlot(slot);
            (MessagesLib.Header memory h, bytes32[] memory leaves) = _proposeBlock(slot, 6);
            (bytes memory proof, Credit[] memory credits) = _transcript(h, _outputs(leaves, 6), new address[](0));
            rollup.submitProof(h, proof);
            creditsOf.push();
            for (uint256 i; i < credits.length; ++i) creditsOf[b].push(credits[i]);
            ++slot;
        }
    }

    function test_gas_claim() public {
        (address prover, uint256[] memory blocks) = _busiestProver();
        require(blocks.length >= 6, "prover in too few blocks");

        // Steady state: the recipient already holds reward tokens and the bitmap word is already in use.
        rewardToken.mint(_withdrawerOf(prover), 1);
        rollup.claim(prover, _items(prover, blocks, 0, 1));
        vm.snapshotGasLastCall("claim first block (fresh bitmap word)");
        rollup.claim(prover, _items(prover, blocks, 1, 2));
        uint256 one = vm.snapshotGasLastCall("claim 1 block");
        uint256 batch = blocks.length - 2;
        rollup.claim(prover, _items(prover, blocks, 2, blocks.length));
        uint256 many = vm.snapshotGasLastCall("claim batch of further blocks");
        uint256 perFurther = (many - one) / (batch - 1);
        vm.snapshotValue("claim gas per further block", perFurther);
        emit log_named_uint("blocks in batch", batch);
        assertLe(one, 40_000, "claim of one block above target");
        assertLe(perFurther, 10_000, "claim per further block above target");
    }

    function _busiestProver() internal view returns (address best, uint256[] memory blocks) {
        uint256 bestCount;
        for (uint256 s; s < stakers.length; ++s) {
            uint256 count;
            for (uint256 b; b < BLOCKS; ++b) if (_indexOf(b, stakers[s]) != type(uint256).max) ++count;
            if (count > bestCount) (best, bestCount) = (stakers[s], count);
        }
        blocks = new uint256[](bestCount);
        uint256 k;
        for (uint256 b; b < BLOCKS; ++b) if (_indexOf(b, best) != type(uint256).max) blocks[k++] = b;
    }

    function _indexOf(uint256 b, address prover) internal view returns (uint256) {
        for (uint256 i; i < creditsOf[b].length; ++i) if (creditsOf[b][i].prover == prover) return i;
        return type(uint256).max;
    }

    function _items(address prover, uint256[] memory blocks, uint256 from, uint256 to)
        internal
        view
        returns (IRollup.ClaimItem[] memory items)
    {
        items = new IRollup.ClaimItem[](to - from);
        for (uint256 k = from; k < to; ++k) {
            uint256 b = blocks[k];
            Credit[] memory credits = creditsOf[b];
            uint256 i = _indexOf(b, prover);
            items[k - from] = IRollup.ClaimItem({
                blockNumber: uint64(b + 1),
                cost: uint64(credits[i].cost),
                proof: _rewardProof(credits, i)
            });
        }
    }
}
