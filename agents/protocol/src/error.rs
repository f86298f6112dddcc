//! The crate's single error type.
//!
//! Variants mirror `contracts/libraries/Errors.sol` where a Solidity rule has a Rust twin
//! (`Transcript__*` become the transcript variants), so a differential test can compare the
//! reason a transcript is rejected, not only the fact.

use alloy_primitives::{Address, B256};

/// Result alias used by every fallible function of the crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Everything that can go wrong in `spn-protocol`. No function of the crate panics on input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A parameter set breaks a consistency rule; `param` names the offending parameter
    /// (Solidity spelling, e.g. `roundHeight`).
    #[error("invalid parameter {param}: {reason}")]
    InvalidParam {
        /// The parameter that breaks the rule.
        param: &'static str,
        /// The rule it breaks.
        reason: &'static str,
    },
    /// A duration used as a divisor is zero.
    #[error("{0} must not be zero")]
    ZeroDuration(&'static str),
    /// A block height outside `[minHeight, maxHeight]` (`Rollup__HeightOutOfRange`).
    #[error("height {height} outside [{min}, {max}]")]
    HeightOutOfRange {
        /// The height asked for.
        height: u8,
        /// `minHeight`.
        min: u8,
        /// `maxHeight`.
        max: u8,
    },
    /// A round number outside `1..=K`.
    #[error("round {round} outside 1..={rounds}")]
    RoundOutOfRange {
        /// The round asked for.
        round: u32,
        /// The number of rounds K.
        rounds: u32,
    },
    /// A job id or job index beyond its range (`Transcript__JobOutOfRange`).
    #[error("job {job} out of range (limit {limit})")]
    JobOutOfRange {
        /// The job asked for.
        job: u64,
        /// The exclusive upper bound.
        limit: u64,
    },
    /// More stakers than a `u32` index can address.
    #[error("{0} stakers exceed the u32 index space")]
    TooManyStakers(usize),
    /// More leaves than a tree of the given height holds.
    #[error("a tree of height {height} holds at most {capacity} leaves, got {got}")]
    TooManyLeaves {
        /// Tree height n.
        height: u32,
        /// 2^n.
        capacity: u64,
        /// Number of leaves given.
        got: usize,
    },
    /// A subtree needs a non-zero power-of-two number of inputs.
    #[error("expected a non-zero power of two number of nodes, got {0}")]
    NotPowerOfTwo(usize),
    /// A tree node position outside the tree.
    #[error("node (level {level}, index {index}) is outside a tree of height {height}")]
    NodeOutOfRange {
        /// Level of the node (0 = leaves).
        level: u32,
        /// Index of the node within its level.
        index: u64,
        /// Tree height.
        height: u32,
    },
    /// A leaf index outside a list of leaves.
    #[error("leaf index {index} out of range ({len} leaves)")]
    LeafOutOfRange {
        /// Index asked for.
        index: usize,
        /// Number of leaves.
        len: usize,
    },
    /// Two schedules or trees of different heights were combined.
    #[error("height mismatch: expected {expected}, got {actual}")]
    HeightMismatch {
        /// Height required.
        expected: u32,
        /// Height given.
        actual: u32,
    },
    /// A secret key that is zero or not below the curve order.
    #[error("invalid secret key")]
    InvalidSecretKey,
    /// Bytes that are not a valid BLS public key (96 bytes `x ‖ y`, a point of G1 other than
    /// infinity); the text names the reason.
    #[error("invalid BLS public key: {0}")]
    InvalidBlsPublicKey(&'static str),
    /// Bytes that are not a valid BLS signature (a point of G2 other than infinity in the
    /// expected encoding), or no signatures to aggregate; the text names the reason.
    #[error("invalid BLS signature: {0}")]
    InvalidBlsSignature(&'static str),
    /// A signed state transition `BlsVerifier` rejects, with the contract's reason.
    #[error(transparent)]
    Transition(#[from] crate::bls::TransitionError),
    /// A signature that OZ `ECDSA.tryRecover` would reject; the text names the reason.
    #[error("invalid signature: {0}")]
    InvalidSignature(&'static str),
    /// A byte string that should hold a 64-byte compact signature.
    #[error("compact signature must be 64 bytes, got {0}")]
    SignatureLength(usize),
    /// A reward share over a zero total cost (Solidity would revert dividing by zero).
    #[error("total prover cost is zero")]
    ZeroTotalCost,
    /// `Transcript__OutputsLength`.
    #[error("transcript has {actual} outputs, expected {expected}")]
    OutputsLength {
        /// totalJobs(n).
        expected: u64,
        /// outputs.length.
        actual: u64,
    },
    /// `Transcript__OutputMismatch`: an output does not hash from its inputs, or the root is not
    /// the block's txRoot.
    #[error("round {round} job {job}: expected output {expected}, got {actual}")]
    OutputMismatch {
        /// Round of the job.
        round: u32,
        /// Index of the job within its round.
        job: u32,
        /// Output recomputed from the inputs (or the txRoot for the root).
        expected: B256,
        /// Output in the transcript.
        actual: B256,
    },
    /// `Transcript__ProversNotAscending`.
    #[error("provers not strictly ascending: {previous} then {next}")]
    ProversNotAscending {
        /// Earlier prover.
        previous: Address,
        /// Later prover.
        next: Address,
    },
    /// `Transcript__EmptyContributions`.
    #[error("prover {prover} has no contribution")]
    EmptyContributions {
        /// The prover.
        prover: Address,
    },
    /// `Transcript__ProverNotActive`.
    #[error("prover {prover} is not active")]
    ProverNotActive {
        /// The prover.
        prover: Address,
    },
    /// `Transcript__JobAlreadyContributed`.
    #[error("job {job} contributed twice")]
    JobAlreadyContributed {
        /// Global job id.
        job: u32,
    },
    /// `Transcript__NotInCommittee`.
    #[error("prover {prover} is not in the round-{round} committee")]
    NotInCommittee {
        /// The prover.
        prover: Address,
        /// The round.
        round: u32,
    },
    /// `Transcript__OutsideNeighbourhood`.
    #[error("prover {prover}: round {round} job {job} is outside the neighbourhood of its job {own_job}")]
    OutsideNeighbourhood {
        /// The prover.
        prover: Address,
        /// The round.
        round: u32,
        /// Index of the contributed job within the round.
        job: u32,
        /// Index of the prover's own job within the round.
        own_job: u32,
    },
    /// `Transcript__BadJobSignature`.
    #[error("bad JobResult signature by {prover} for job {job}")]
    BadJobSignature {
        /// The prover.
        prover: Address,
        /// Global job id.
        job: u32,
    },
    /// `Transcript__Malformed`: the packed transcript ends before a read that needs `at` bytes, or
    /// has trailing bytes after the last prover (then `at` is where they start). Positions count
    /// from the proof's first byte; the contract reports calldata positions, both shifted by the
    /// proof's calldata offset.
    #[error("malformed transcript: position {at}, end {end}")]
    Malformed {
        /// End of the failed read, or start of the trailing bytes.
        at: u64,
        /// Length of the proof.
        end: u64,
    },
    /// A transcript too large for the packed encoding's count fields.
    #[error("{what}: {count} exceeds the packed encoding's limit {max}")]
    EncodingOverflow {
        /// The count that overflows (`outputCount`, `proverCount` or `contributionCount`).
        what: &'static str,
        /// Its value.
        count: usize,
        /// The largest value its field holds.
        max: u64,
    },
}
