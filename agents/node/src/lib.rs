#![doc = include_str!("../README.md")]

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
