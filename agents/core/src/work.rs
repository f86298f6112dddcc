//! What provers, proposers and submitters share about a block's proof tree: checking a job
//! result against the schedule, and which results a job waits for.

use std::ops::Range;

use alloy_primitives::{Address, B256, U256};
use spn_protocol::{selection, CompactSignature, Schedule};

use crate::chain::Chain;
use crate::messages::{JobResultMsg, Reject};

/// A checked job result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// Signer.
    pub prover: Address,
    /// Global job id.
    pub job: u32,
    /// Output.
    pub output: B256,
    /// Signature.
    pub sig: CompactSignature,
    /// Whether the verifier can credit it (a committee member in its neighbourhood), as opposed
    /// to the proposer's fallback or root result.
    pub credited: bool,
    /// Whether the job is the signer's own (assigned) job.
    pub own: bool,
    /// Signer's score in the block's slot.
    pub score: U256,
}

impl Candidate {
    /// Merge order (§9.4): own job first, then neighbours; lowest score first; equal scores
    /// (a SHA-256 collision) by lower address (§7.6).
    pub fn merge_key(&self) -> (bool, U256, Address) {
        (!self.own, self.score, self.prover)
    }
}

/// Who may be credited for a job, as the verifier decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eligibility {
    /// A committee member in the job's neighbourhood (false for the proposer).
    pub credited: bool,
    /// The member's own (assigned) job.
    pub own: bool,
    /// The signer's score in the block's slot.
    pub score: U256,
}

/// Checks that `prover` may do job `job` of a block the L1 follower knows: job in range, and the
/// signer eligible as the verifier checks it (active, in the round's committee, job in its
/// neighbourhood) or the block's proposer.
pub fn check_eligible(
    chain: &dyn Chain,
    block_hash: &B256,
    job: u32,
    prover: Address,
) -> Result<Eligibility, Reject> {
    let header = chain
        .header(block_hash)
        .ok_or_else(|| "unknown block".to_string())?;
    let sched = chain
        .schedule(header.slot, header.height)
        .ok_or_else(|| format!("no schedule for slot {}", header.slot))?;
    let s = sched.schedule();
    if job >= s.total_jobs() {
        return Err(format!("job {job} >= totalJobs {}", s.total_jobs()));
    }
    let ctx = chain
        .slot_ctx(header.slot)
        .ok_or_else(|| format!("no slot context for slot {}", header.slot))?;
    let score = selection::score(prover, ctx.seed);
    if prover == header.proposer {
        return Ok(Eligibility {
            credited: false,
            own: false,
            score,
        });
    }
    if job >= s.prover_jobs() {
        return Err("root job signed by someone other than the proposer".into());
    }
    let (round, index) = s.job_position(job).map_err(|e| e.to_string())?;
    if !s.in_committee(score, round, sched.active_count()) {
        return Err(format!("{prover} not in the round-{round} committee"));
    }
    let own_job = s.job_of(score, round);
    if !s.in_neighbourhood(index, own_job) {
        return Err(format!(
            "job {index} of round {round} outside the neighbourhood of {own_job}"
        ));
    }
    if !ctx.is_active(&prover) {
        return Err(format!("{prover} not active in epoch {}", ctx.epoch));
    }
    Ok(Eligibility {
        credited: true,
        own: index == own_job,
        score,
    })
}

/// Checks a job result of a block the L1 follower knows: the signer eligible
/// ([`check_eligible`]), and the output equal to `outputs[job]` when the body is known.
pub fn check_job_result(
    chain: &dyn Chain,
    m: &JobResultMsg,
    outputs: Option<&[B256]>,
) -> Result<Candidate, Reject> {
    let e = check_eligible(chain, &m.block_hash, m.job, m.prover)?;
    if let Some(o) = outputs {
        if o.get(m.job as usize) != Some(&m.output) {
            return Err(format!("wrong output for job {}", m.job));
        }
    }
    Ok(Candidate {
        prover: m.prover,
        job: m.job,
        output: m.output,
        sig: m.sig,
        credited: e.credited,
        own: e.own,
        score: e.score,
    })
}

/// Job results received for a block not yet seen on L1, held briefly (§15.2): at most
/// [`Held::MAX`], each for [`Held::FOR`] seconds.
#[derive(Debug, Default)]
pub struct Held {
    items: Vec<(f64, JobResultMsg)>,
}

impl Held {
    /// Most results held.
    pub const MAX: usize = 4096;
    /// Seconds a result is held.
    pub const FOR: f64 = 12.0;

    /// Holds `r`, received at `now` (dropped when full).
    pub fn hold(&mut self, now: f64, r: JobResultMsg) {
        if self.items.len() < Self::MAX {
            self.items.push((now, r));
        }
    }

    /// Takes the results of block `hash`, and drops the expired ones of other blocks.
    pub fn take(&mut self, hash: B256, now: f64) -> Vec<JobResultMsg> {
        let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.items)
            .into_iter()
            .partition(|(_, r)| r.block_hash == hash);
        self.items = rest
            .into_iter()
            .filter(|(t, _)| now - t < Self::FOR)
            .collect();
        mine.into_iter().map(|(_, r)| r).collect()
    }
}

/// Global ids of the jobs whose outputs job `job` merges (empty for round 1, whose inputs are
/// transactions).
pub fn children(s: &Schedule, job: u32) -> Range<u32> {
    let Ok((round, index)) = s.job_position(job) else {
        return 0..0;
    };
    if round <= 1 {
        return 0..0;
    }
    let h = s.subtree_height(round);
    let first = s.offset(round - 1) + (index << h);
    first..first + (1 << h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spn_protocol::Params;

    #[test]
    fn merge_rule_prefers_the_assigned_prover_then_the_lowest_score() {
        let c = |own: bool, score: u64| Candidate {
            prover: Address::with_last_byte(score as u8),
            job: 0,
            output: B256::ZERO,
            sig: CompactSignature::default(),
            credited: true,
            own,
            score: U256::from(score),
        };
        let cands = [c(false, 1), c(true, 9), c(true, 5), c(false, 0)];
        let best = cands.iter().min_by_key(|c| c.merge_key()).unwrap();
        assert_eq!((best.own, best.score), (true, U256::from(5)));
        // Equal scores (§7.6): the lower address, whatever the order the results arrived in.
        let tied = |last: u8| Candidate {
            prover: Address::with_last_byte(last),
            ..c(true, 5)
        };
        for cands in [[tied(7), tied(3)], [tied(3), tied(7)]] {
            let best = cands.iter().min_by_key(|c| c.merge_key()).unwrap();
            assert_eq!(best.prover, Address::with_last_byte(3));
        }
    }

    #[test]
    fn children_cover_the_previous_round() {
        let s = Schedule::new(&Params::devnet(), 6).unwrap();
        // n = 6, m = 2: round 1 has 16 jobs (0..16), round 2 has 4 (16..20), root 20.
        assert_eq!(children(&s, 3), 0..0);
        assert_eq!(children(&s, 16), 0..4);
        assert_eq!(children(&s, 19), 12..16);
        assert_eq!(children(&s, 20), 16..20);
    }
}
