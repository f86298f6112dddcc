#![doc = include_str!("../README.md")]

pub mod agent;
pub mod devnet;
pub mod error;
pub mod keys;
pub mod l1;
pub mod metrics;
pub mod net;
pub mod operator;
pub mod pool;
pub mod prover;
pub mod runner;
pub mod store;
pub mod telemetry;

pub use error::{Error, Result};
/// The simulated proving cost (in the agent core).
pub use spn_core::cost;
