//! Counters the agents record for the devnet report, and the devnet's fault injection switches.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use alloy_primitives::B256;

/// What agents measured (shared by the agents of one process).
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
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
    /// Records the gas of a mined transaction of kind `op`.
    pub fn gas(&self, op: &'static str, gas: u64) {
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
        self.inner.lock().unwrap().proposals_sent += 1;
    }
}

/// Faults the devnet injects on purpose (tests of withholding and pruning).
#[derive(Debug, Default)]
pub struct Faults {
    withhold: AtomicU32,
    skip_proof: AtomicU32,
    forge: AtomicU32,
    halt: AtomicBool,
}

impl Faults {
    /// The next `withhold` proposals withhold their body; the next `skip_proof` complete blocks
    /// are never submitted.
    pub fn new(withhold: u32, skip_proof: u32) -> Self {
        Self {
            withhold: AtomicU32::new(withhold),
            skip_proof: AtomicU32::new(skip_proof),
            forge: AtomicU32::new(0),
            halt: AtomicBool::new(false),
        }
    }

    /// The next `forge` job results are each followed by invalid messages (wrong output,
    /// ineligible job, garbage) that every receiver must drop.
    pub fn with_forgeries(self, forge: u32) -> Self {
        self.forge.store(forge, Ordering::SeqCst);
        self
    }

    /// Whether this result is followed by forgeries.
    pub fn take_forge(&self) -> bool {
        Self::take(&self.forge)
    }

    /// Stops new proposals and submissions (the devnet is winding down).
    pub fn halt(&self) {
        self.halt.store(true, Ordering::SeqCst);
    }

    /// Whether [`Self::halt`] was called.
    pub fn halted(&self) -> bool {
        self.halt.load(Ordering::SeqCst)
    }

    fn take(c: &AtomicU32) -> bool {
        c.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| v.checked_sub(1))
            .is_ok()
    }

    /// Whether this proposal withholds its body.
    pub fn take_withhold(&self) -> bool {
        Self::take(&self.withhold)
    }

    /// Whether this complete block is left unsubmitted.
    pub fn take_skip_proof(&self) -> bool {
        Self::take(&self.skip_proof)
    }
}
