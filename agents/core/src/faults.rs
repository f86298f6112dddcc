//! Faults injected on purpose (the devnet's and the simulator's tests of withholding, pruning
//! and forged messages). Shared switches, so one runtime can arm them for many agents.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

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
