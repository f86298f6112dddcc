//! SPN agents: the L1 client, the network between agents, the staker agent (sequencer and
//! prover), the submitter, the cost model and the one-command devnet. The rules themselves
//! (selection, schedule, trees, signatures, transcript, rewards) all come from `spn-protocol`.

pub mod agent;
pub mod cost;
pub mod devnet;
pub mod error;
pub mod keys;
pub mod l1;
pub mod metrics;
pub mod net;
pub mod pool;
pub mod runner;
pub mod submitter;
pub mod work;

pub use error::{Error, Result};
