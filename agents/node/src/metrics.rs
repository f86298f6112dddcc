//! Counters the agents record for the devnet report (and, through them, the Prometheus metrics
//! of [`Telemetry`]), and the devnet's fault injection switches.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use alloy_primitives::B256;

use crate::telemetry::Telemetry;

/// What agents measured (shared by the agents of one process).
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
    telemetry: Arc<Telemetry>,
}

#[derive(Debug, Default, Clone)]
struct Inner {
    gas: HashMap<&'static str, Vec<u64>>,
    tree_complete: HashMap<B256, Instant>,
    withheld: Vec<(B256, u64)>,
    no_quorum: u64,
    rejected_messages: u64,
    fallback_jobs: u64,
    proposals_sent: u64,
}

impl Metrics {
    /// The Prometheus metrics and health of the process.
    pub fn telemetry(&self) -> &Arc<Telemetry> {
        &self.telemetry
    }

    /// Records the gas of a mined transaction of kind `op`.
    pub fn gas(&self, op: &'static str, gas: u64) {
        self.telemetry.tx_gas(op, gas);
        self.inner
            .lock()
            .unwrap()
            .gas
            .entry(op)
            .or_default()
            .push(gas);
    }

    /// Gas figures of `op`.
    pub fn gas_of(&self, op: &str) -> Vec<u64> {
        self.inner
            .lock()
            .unwrap()
            .gas
            .get(op)
            .cloned()
            .unwrap_or_default()
    }

    /// The submitter holds every output and signature of the block.
    pub fn tree_complete(&self, hash: B256) {
        self.inner
            .lock()
            .unwrap()
            .tree_complete
            .entry(hash)
            .or_insert_with(Instant::now);
    }

    /// When the tree of `hash` was complete.
    pub fn tree_completed_at(&self, hash: &B256) -> Option<Instant> {
        self.inner.lock().unwrap().tree_complete.get(hash).copied()
    }

    /// A proposal of `slot` whose body was withheld.
    pub fn withheld(&self, hash: B256, slot: u64) {
        self.inner.lock().unwrap().withheld.push((hash, slot));
    }

    /// Hashes and slots of withheld proposals.
    pub fn withheld_hashes(&self) -> Vec<(B256, u64)> {
        self.inner.lock().unwrap().withheld.clone()
    }

    /// A proposal that did not reach the quorum.
    pub fn no_quorum(&self) {
        self.inner.lock().unwrap().no_quorum += 1;
    }

    /// Proposals without quorum.
    pub fn no_quorum_count(&self) -> u64 {
        self.inner.lock().unwrap().no_quorum
    }

    /// A message dropped by validation.
    pub fn rejected(&self) {
        self.telemetry.rejected();
        self.inner.lock().unwrap().rejected_messages += 1;
    }

    /// Messages dropped by validation.
    pub fn rejected_count(&self) -> u64 {
        self.inner.lock().unwrap().rejected_messages
    }

    /// A job the proposer did as fallback.
    pub fn fallback_job(&self) {
        self.inner.lock().unwrap().fallback_jobs += 1;
    }

    /// Jobs the proposers did as fallback.
    pub fn fallback_count(&self) -> u64 {
        self.inner.lock().unwrap().fallback_jobs
    }

    /// A propose transaction was sent.
    pub fn proposal_sent(&self) {
        self.telemetry.proposal_sent();
        self.inner.lock().unwrap().proposals_sent += 1;
    }
}

pub use spn_core::faults::Faults;
