//! Deterministic discrete-event simulation of the SPN agents.
//!
//! - [`l1`]: [`SimL1`], the repository's real contracts (compiled in-process by
//!   `spn-differential` and executed in revm) acting as the simulation's L1: deployment with
//!   registered stakers, blocks mined at chosen timestamps with a seeded `prevrandao`, and
//!   transactions from any sender with their real gas.

pub mod l1;

pub use l1::{decode_revert, Receipt, SimL1};
