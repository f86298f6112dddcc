#![doc = include_str!("../README.md")]

pub mod bls;
pub mod eip712;
pub mod error;
pub mod inactivity;
pub mod model;
pub mod params;
pub mod rewards;
pub mod schedule;
pub mod selection;
pub mod signing;
pub mod stats;
pub mod time;
pub mod transcript;
pub mod tree;

pub use bls::{BlsPublicKey, BlsSecretKey, BlsSignature, Transition, TransitionContext};
pub use eip712::{Attestation, Header, JobResult, StateTransition};
pub use error::{Error, Result};
pub use params::Params;
pub use schedule::{CostWeights, Member, Schedule, SlotSchedule};
pub use signing::{CompactSignature, StakingKey};
pub use time::Clock;
pub use transcript::{
    Contribution, ProverWork, Transcript, TranscriptBuilder, Verdict, VerifyContext,
};
pub use tree::BlockTree;
