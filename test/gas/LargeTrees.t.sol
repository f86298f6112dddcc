// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BenchBase} from "./Benchmark.t.sol";
import {Rollup} from "../../contracts/Rollup.sol";
import {MessagesLib} from "../../contracts/libraries/MessagesLib.sol";
import {SortitionLib} from "../../contracts/libraries/SortitionLib.sol";

/// @notice The largest tree one transaction can carry (docs/PROTOCOL.md §16, which bases the `maxHeight` guidance on
///         these figures). Each tree is measured with two transcripts of the same block: the honest one of the test
///         fixture, and one in which every contribution comes from a different prover, the costliest shape (each
///         prover adds a header, a staker record read and a rewards leaf). A transcript that fills every committee
///         job from distinct provers does not exist on these staker sets (some jobs have no eligible member), so its
///         cost is extrapolated: the outputs-only submission (without the calldata floor its own transaction pays)
///         plus every committee job at the measured cost of a distinct-prover contribution.
abstract contract BenchTreeBase is BenchBase {
    uint256 internal constant TX_GAS_CAP = 16_777_216;

    MessagesLib.Header internal header;
    bytes32[] internal outputs;

    /// @notice Tree height n of the measured block.
    uint8 internal immutable TREE_HEIGHT;
    /// @notice Round height m (2: Option 2, 1: Option 1).
    uint256 internal immutable ROUND_HEIGHT;
    /// @notice Active stakers: enough that coverage is as in the n = 11 benchmark (2,048 stakers per 2^11 leaves).
    uint256 internal immutable STAKER_COUNT;
    /// @notice Whether n is the largest height §16 advises for this m, whose worst case must fit in half the cap.
    bool internal immutable GUIDANCE_HEIGHT;

    constructor(uint8 height_, uint256 roundHeight_, uint256 stakerCount_, bool guidanceHeight_) {
        TREE_HEIGHT = height_;
        ROUND_HEIGHT = roundHeight_;
        STAKER_COUNT = stakerCount_;
        GUIDANCE_HEIGHT = guidanceHeight_;
    }

    function _rollupConfig() internal view virtual override returns (Rollup.Config memory c) {
        c = _withoutMinimumCoverage(super._rollupConfig());
        c.roundHeight = ROUND_HEIGHT;
        if (TREE_HEIGHT > c.maxHeight) c.maxHeight = TREE_HEIGHT;
    }

    function setUp() public {
        _deploy();
        _fundPool(1_000_000e18);
        _registerAndActivate(STAKER_COUNT);
        (uint256 slot,) = _nextUsableSlot(rollup.currentSlot(), rollup.attestationQuorum());
        _warpToSlot(slot);
        bytes32[] memory leaves;
        (header, leaves) = _proposeBlock(slot, TREE_HEIGHT);
        outputs = _outputs(leaves, TREE_HEIGHT);
    }

    function test_gas_honest() public {
        _benchHonest();
    }

    /// @notice §16: at the guidance heights every valid transcript fits in half the transaction gas cap.
    function test_gas_distinctProvers() public {
        uint256 worst = _benchDistinct();
        if (GUIDANCE_HEIGHT) assertLt(worst, TX_GAS_CAP / 2, "worst case at a guidance height above half the cap");
    }

    /// @notice Submits the honest transcript and records it under "honest".
    function _benchHonest() internal returns (uint256 total) {
        (total,,) = _bench("honest", _assignJobs(header, new address[](0)));
    }

    /// @notice Submits the distinct-prover transcript, records it under "distinct provers", and records the
    ///         extrapolated cost of every committee job filled by a distinct prover.
    function _benchDistinct() internal returns (uint256 worst) {
        (, uint256 perContribution, uint256 bare) = _bench("distinct provers", _assignDistinct(header));
        uint256 committeeJobs = SortitionLib.proverJobs(TREE_HEIGHT, ROUND_HEIGHT);
        worst = bare + committeeJobs * perContribution;
        vm.snapshotValue("all committee jobs, distinct provers: total gas (extrapolated)", worst);
        emit log_named_uint("committee jobs", committeeJobs);
        emit log_named_uint("extrapolated worst case total gas", worst);
    }

    /// @notice Submits the transcript `owner` describes and records its whole-transaction gas, its shape and what one
    ///         contribution adds to the outputs-only submission (execution and calldata, averaged). `bare` is that
    ///         submission's cost without the EIP-7623 calldata floor, which it pays as a transaction of its own but
    ///         which no longer binds once contributions are added.
    function _bench(string memory label, uint256[] memory owner)
        internal
        returns (uint256 total, uint256 perContribution, uint256 bare)
    {
        (bytes memory proof, Credit[] memory credits) = _transcriptOf(header, outputs, owner);
        uint256 contributions;
        for (uint256 i; i < credits.length; ++i) {
            contributions += credits[i].jobs.length;
        }
        uint256 snap = vm.snapshotState();
        rollup.submitProof(header, proof);
        total = vm.snapshotGasLastCall(string.concat(label, ": total gas"));
        vm.revertToState(snap);
        bare = _outputsOnlyCost(proof, total);
        perContribution = (total - bare) / contributions;
        vm.snapshotValue(string.concat(label, ": contributions"), contributions);
        vm.snapshotValue(string.concat(label, ": provers"), credits.length);
        vm.snapshotValue(string.concat(label, ": proof bytes"), proof.length);
        vm.snapshotValue(string.concat(label, ": gas per contribution"), perContribution);
        emit log_named_uint(string.concat(label, " contributions"), contributions);
        emit log_named_uint(string.concat(label, " provers"), credits.length);
        emit log_named_uint(string.concat(label, " total gas"), total);
        assertLt(total, TX_GAS_CAP, "submission above the transaction gas cap");
    }

    /// @notice Records the outputs-only submission of the block and returns its cost without the calldata floor:
    ///         21,000 + calldata + its execution, measured in-transaction against `proof`, whose submission cost
    ///         `total`. The chain is left as it was.
    function _outputsOnlyCost(bytes memory proof, uint256 total) internal returns (uint256 bare) {
        uint256 proofExecution = _executionOf("transcript", total, abi.encodeCall(Rollup.submitProof, (header, proof)));
        (bytes memory bareProof,, uint256 execution) =
            _outputsOnly("outputs only: total gas (paid, EIP-7623 floor)", header, outputs, proof, proofExecution);
        vm.snapshotValue("outputs only: proof bytes", bareProof.length);
        vm.snapshotValue("outputs only: execution", execution);
        bare = INTRINSIC + _calldataGas(abi.encodeCall(Rollup.submitProof, (header, bareProof))) + execution;
    }

    /// @dev Jobs as in `_assignJobs`, but no member takes more than one: rounds from the top down (their jobs have
    ///      the fewest eligible members), each member in registration order taking the first free job it may take
    ///      (its own path job or a neighbourhood fill).
    function _assignDistinct(MessagesLib.Header memory h) internal view returns (uint256[] memory owner) {
        uint256 m = rollup.roundHeight();
        owner = new uint256[](SortitionLib.proverJobs(h.height, m));
        bytes32 seed = rollup.slotSeed(h.slot);
        uint256 n = _activeCountAt(h.slot);
        bool[] memory used = new bool[](stakers.length);
        uint256[] memory scores = new uint256[](stakers.length);
        for (uint256 i; i < stakers.length; ++i) {
            scores[i] = SortitionLib.score(stakers[i], seed);
        }
        for (uint256 r = SortitionLib.rounds(h.height, m) - 1; r > 0; --r) {
            for (uint256 i; i < stakers.length; ++i) {
                if (used[i]) continue;
                (uint256 from, uint256 to) = _eligibleJobs(scores[i], r, h, n, true);
                for (uint256 j = from; j < to; ++j) {
                    if (owner[j] != 0) continue;
                    owner[j] = uint160(stakers[i]) + 1;
                    used[i] = true;
                    break;
                }
            }
        }
    }
}

/// @notice n = 11, m = 2: the shipped guidance (its honest transcript is also `BenchSubmitTest`'s).
contract BenchTreeN11M2Test is BenchTreeBase(11, 2, 2048, true) {}

/// @notice n = 12, m = 2: one level above the guidance.
contract BenchTreeN12M2Test is BenchTreeBase(12, 2, 4096, false) {}

/// @notice n = 9, m = 1 (Option 1): the guidance for m = 1.
contract BenchTreeN9M1Test is BenchTreeBase(9, 1, 2048, true) {}

/// @notice n = 10, m = 1: one level above the m = 1 guidance.
contract BenchTreeN10M1Test is BenchTreeBase(10, 1, 2048, false) {}
