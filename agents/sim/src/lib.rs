//! Deterministic discrete-event simulation of the SPN agents (`spn sim`).
//!
//! - [`l1`]: [`SimL1`], the repository's real contracts (compiled in-process by
//!   `spn-differential` and executed in revm) acting as the simulation's L1: deployment with
//!   registered stakers, blocks mined at chosen timestamps with a seeded `prevrandao`, and
//!   transactions from any sender with their real gas;
//! - [`sim`]: [`Sim`], every agent's real core (`spn-core`) under a simulated clock and
//!   network (latency, loss, partitions, bandwidth), with crashes and rational deviations;
//! - [`scenario`]: the TOML scenarios, built in or from a file;
//! - [`report`]: what a run measured, as a table or JSON, with a digest of the whole run;
//! - [`stat`]: the statistical mode, for N up to 500,000 (`spn_protocol::stats`).

pub mod l1;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod stat;

pub use l1::{decode_revert, Receipt, SimL1};
pub use report::Report;
pub use scenario::Scenario;
pub use sim::Sim;

/// Where `spn sim` caches the compiled contracts: `target/spn-sim-contracts` in the repository.
pub fn default_work_dir() -> std::path::PathBuf {
    spn_differential::repo_root().join("target/spn-sim-contracts")
}
