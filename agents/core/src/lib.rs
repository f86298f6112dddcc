//! The SPN agent core: the protocol logic of every agent as state machines with no I/O, in the
//! manner of quinn-proto and str0m. Each role is fed [`Input`]s (time, L1 events, network
//! messages, answers to its own requests) through a [`Cx`] that carries the time and read
//! access to L1 ([`Chain`]), and pushes [`Output`]s (messages to gossip, data to serve or fetch,
//! jobs to prove, L1 transactions, timers). No tokio, sockets or RPC inside: `spn node`, the
//! devnet and the simulator (`spn sim`) are runtimes that carry the outputs out.
//!
//! Roles:
//! - [`Staker`]: one staking key, combining the [`sequencer::Sequencer`], the attester, the
//!   [`proving::Proving`] engine (committee member and proposer duties) and
//!   [`claims::Claims`];
//! - [`Submitter`]: anyone who assembles and submits proofs (and prunes, samples seeds), with
//!   an optional [`reporter::Reporter`] that files and finalises inactivity reports; a
//!   [`Staker`] clears reports against its own key ([`reporter::Defence`]).

pub mod chain;
pub mod claims;
pub mod cost;
pub mod faults;
pub mod io;
pub mod messages;
pub mod proving;
pub mod reporter;
pub mod sequencer;
pub mod staker;
pub mod submitter;
pub mod work;

pub use chain::{Chain, ChainState, L1Event, SlotCtx, StakerRecord};
pub use io::{Cx, Input, Output};
pub use staker::{Staker, StakerConfig};
pub use submitter::{Strategy, Submitter};
