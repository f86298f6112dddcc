//! What a run measured, and its report (a table, or JSON with `--json`).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use alloy_primitives::{keccak256, Address, B256, U256};
use serde::Serialize;
use spn_core::io::JobKind;
use spn_core::L1Event;
use spn_protocol::Params;

use crate::scenario::Scenario;

/// Counters and samples collected during a run.
#[derive(Debug, Default)]
pub struct Stats {
    pub(crate) stakers: usize,
    pub(crate) offline: usize,
    pub(crate) large: usize,
    pub(crate) keys: Vec<Address>,
    pub(crate) large_keys: Vec<Address>,
    proposed_at: HashMap<B256, u64>,
    complete_at: HashMap<B256, u64>,
    pub(crate) critical_path: HashMap<B256, f64>,
    latencies: Vec<(f64, f64)>,
    pub(crate) proposed: u64,
    pub(crate) proven: u64,
    pub(crate) pruned: u64,
    pub(crate) replaced: u64,
    pub(crate) no_quorum: u64,
    pub(crate) withheld: u64,
    pub(crate) rejected: u64,
    pub(crate) lost: u64,
    pub(crate) garbage: u64,
    pub(crate) crashes: u64,
    pub(crate) failed_submissions: u64,
    pub(crate) proofs: u64,
    /// Proof-seconds of every job started (the work the network burned).
    pub(crate) proof_seconds: f64,
    pub(crate) result_requests: u64,
    first_done: HashMap<(B256, u32), JobKind>,
    done_count: u64,
    pub(crate) avoidable_fallback: u64,
    unpaid_cost: u64,
    earnings: HashMap<Address, U256>,
    reward_slots: HashMap<Address, Vec<u64>>,
    sequencer_total: U256,
    prover_total: U256,
    submitter_total: U256,
    unfilled_reported: u64,
    distinct_provers: u64,
    gas: BTreeMap<&'static str, Vec<u64>>,
    /// Signers per signed proof (training wheel).
    bls_signers: Vec<u64>,
    digest: B256,
    pub(crate) inactivity: Inactivity,
}

impl Stats {
    pub(crate) fn new(stakers: usize, offline: usize, large: usize) -> Self {
        Self {
            stakers,
            offline,
            large,
            ..Self::default()
        }
    }

    fn mix(&mut self, bytes: &[u8]) {
        self.digest = keccak256([self.digest.as_slice(), bytes].concat());
    }

    pub(crate) fn digest_tx(&mut self, name: &str, success: bool, gas: u64) {
        self.mix(&[name.as_bytes(), &[u8::from(success)], &gas.to_be_bytes()].concat());
    }

    pub(crate) fn digest_event(&mut self, ev: &L1Event) {
        let s = format!("{ev:?}");
        self.mix(s.as_bytes());
    }

    /// Signers of one accepted `submitSignedProof` (training wheel).
    pub(crate) fn signers(&mut self, n: u64) {
        self.bls_signers.push(n);
    }

    pub(crate) fn gas(&mut self, op: &'static str, gas: u64) {
        self.gas.entry(op).or_default().push(gas);
    }

    pub(crate) fn proposed(&mut self, hash: B256, at: u64) {
        self.proposed += 1;
        self.proposed_at.insert(hash, at);
    }

    pub(crate) fn complete(&mut self, hash: B256, at: u64) {
        self.complete_at.entry(hash).or_insert(at);
        self.mix(hash.as_slice());
    }

    /// A job result was published; `avoidable` when it is a proposer fallback a running member
    /// could have done. Returns whether it was the job's first result.
    pub(crate) fn job_done(
        &mut self,
        hash: B256,
        job: u32,
        how: JobKind,
        cost: u64,
        by: usize,
        avoidable: bool,
    ) -> bool {
        self.done_count += 1;
        self.mix(
            &[
                hash.as_slice(),
                &job.to_be_bytes(),
                &(by as u64).to_be_bytes(),
            ]
            .concat(),
        );
        let std::collections::hash_map::Entry::Vacant(e) = self.first_done.entry((hash, job))
        else {
            return false;
        };
        e.insert(how);
        if matches!(how, JobKind::Unfilled | JobKind::Fallback) {
            self.unpaid_cost += cost;
        }
        if avoidable {
            self.avoidable_fallback += 1;
        }
        true
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn proven(
        &mut self,
        hash: B256,
        slot: u64,
        proposer: Address,
        sequencer_reward: U256,
        submitter_reward: U256,
        provers_reserved: U256,
        costs: &[(Address, u64)],
        unfilled: u64,
        distinct: u64,
    ) {
        self.proven += 1;
        self.unfilled_reported += unfilled;
        self.distinct_provers += distinct;
        if let (Some(&p), Some(&c)) = (self.proposed_at.get(&hash), self.complete_at.get(&hash)) {
            let cp = self.critical_path.get(&hash).copied().unwrap_or(0.0);
            self.latencies
                .push(((c.saturating_sub(p)) as f64 / 1e6, cp));
        }
        *self.earnings.entry(proposer).or_default() += sequencer_reward;
        self.reward_slots.entry(proposer).or_default().push(slot);
        self.sequencer_total += sequencer_reward;
        self.submitter_total += submitter_reward;
        self.prover_total += provers_reserved;
        let credited: u64 = costs.iter().map(|c| c.1).sum();
        if credited == 0 {
            return;
        }
        for &(p, c) in costs {
            // The provers' reserve is split by credited cost (each claim is reserve·cost/credited).
            let share = provers_reserved * U256::from(c) / U256::from(credited);
            *self.earnings.entry(p).or_default() += share;
            let v = self.reward_slots.entry(p).or_default();
            if v.last() != Some(&slot) {
                v.push(slot);
            }
        }
    }

    /// The report of the run.
    pub(crate) fn report(&self, sc: &Scenario, seed: u64, params: &Params) -> Report {
        let mut ratio: Vec<f64> = self
            .latencies
            .iter()
            .filter(|(_, cp)| *cp > 0.0)
            .map(|(l, cp)| l / cp)
            .collect();
        ratio.sort_by(f64::total_cmp);
        let mut lat: Vec<f64> = self.latencies.iter().map(|l| l.0).collect();
        lat.sort_by(f64::total_cmp);
        let mut cps: Vec<f64> = self.latencies.iter().map(|l| l.1).collect();
        cps.sort_by(f64::total_cmp);
        let count = |k: JobKind| self.first_done.values().filter(|&&x| x == k).count() as u64;
        let earnings: Vec<f64> = self
            .keys
            .iter()
            .map(|k| tokens(self.earnings.get(k).copied().unwrap_or_default()))
            .collect();
        let mut sorted = earnings.clone();
        sorted.sort_by(f64::total_cmp);
        let total: f64 = sorted.iter().sum();
        let large_earned: f64 = self
            .large_keys
            .iter()
            .map(|k| tokens(self.earnings.get(k).copied().unwrap_or_default()))
            .sum();
        let slot_days = params.slot_duration as f64 / 86_400.0;
        let mut gaps: Vec<f64> = Vec::new();
        for v in self.reward_slots.values() {
            for w in v.windows(2) {
                gaps.push((w[1] - w[0]) as f64 * slot_days);
            }
        }
        gaps.sort_by(f64::total_cmp);
        let mean = |v: &[u64]| {
            if v.is_empty() {
                0
            } else {
                v.iter().sum::<u64>() / v.len() as u64
            }
        };
        let propose = self.gas.get("propose").map(|v| mean(v)).unwrap_or(0);
        let submit = self.gas.get("submitProof").map(|v| mean(v)).unwrap_or(0);
        let signed = self
            .gas
            .get("submitSignedProof")
            .map(|v| mean(v))
            .unwrap_or(0);
        let key_share = self.large as f64 / self.stakers.max(1) as f64;
        let reward_share = if total > 0.0 {
            large_earned / total
        } else {
            0.0
        };
        let mut r = Report {
            scenario: sc.name.clone(),
            seed,
            stakers: self.stakers as u64,
            offline: self.offline as u64,
            slots: sc.slots,
            blocks: Blocks {
                proposed: self.proposed,
                proven: self.proven,
                pruned: self.pruned,
                replaced: self.replaced,
                no_quorum: self.no_quorum,
                withheld: self.withheld,
            },
            latency: Latency {
                critical_path_s: q(&cps, 0.5),
                p50_s: q(&lat, 0.5),
                p99_s: q(&lat, 0.99),
                p50_ratio: q(&ratio, 0.5),
                p99_ratio: q(&ratio, 0.99),
                max_ratio: ratio.last().copied().unwrap_or(0.0),
            },
            jobs: Jobs {
                assigned: count(JobKind::Own),
                neighbour: count(JobKind::Fill),
                root: count(JobKind::Root),
                unfilled: count(JobKind::Unfilled),
                fallback: count(JobKind::Fallback),
                avoidable_fallback: self.avoidable_fallback,
                redundant: self.done_count.saturating_sub(self.first_done.len() as u64),
                proposer_unpaid_proof_s_per_block: if self.proven > 0 {
                    self.unpaid_cost as f64 / self.proven as f64
                } else {
                    0.0
                },
                uncredited_per_block: if self.proven > 0 {
                    self.unfilled_reported as f64 / self.proven as f64
                } else {
                    0.0
                },
                proof_s_per_block: if self.proven > 0 {
                    self.proof_seconds / self.proven as f64
                } else {
                    0.0
                },
                machines: if self.proven > 0 {
                    self.proof_seconds / self.proven as f64 / params.slot_duration as f64
                } else {
                    0.0
                },
            },
            earnings: Earnings {
                rewarded_stakers: earnings.iter().filter(|&&e| e > 0.0).count() as u64,
                gini: spn_protocol::stats::gini(&sorted),
                max_over_median_earner: {
                    let pos: Vec<f64> = sorted.iter().copied().filter(|&e| e > 0.0).collect();
                    let med = q(&pos, 0.5);
                    if med > 0.0 {
                        pos.last().copied().unwrap_or(0.0) / med
                    } else {
                        0.0
                    }
                },
                days_between_rewards_p50: q(&gaps, 0.5),
                days_between_rewards_p90: q(&gaps, 0.9),
                sequencer_tokens: tokens(self.sequencer_total),
                provers_tokens: tokens(self.prover_total),
                submitter_tokens: tokens(self.submitter_total),
            },
            large_staker: (self.large > 0).then_some(LargeStaker {
                key_share,
                reward_share,
                ratio: if key_share > 0.0 {
                    reward_share / key_share
                } else {
                    0.0
                },
            }),
            gas: Gas {
                propose_mean: propose,
                submit_proof_mean: submit,
                per_block_mean: propose + submit.max(signed),
                signed_proofs: self.bls_signers.len() as u64,
                submit_signed_proof_mean: signed,
                mean_bls_signers: if self.bls_signers.is_empty() {
                    0.0
                } else {
                    self.bls_signers.iter().sum::<u64>() as f64 / self.bls_signers.len() as f64
                },
            },
            inactivity: self.inactivity.clone(),
            network: Network {
                lost: self.lost,
                rejected: self.rejected,
                result_requests: self.result_requests,
                crashes: self.crashes,
                failed_submissions: self.failed_submissions,
            },
            checks: Vec::new(),
            digest: format!("{}", self.digest),
        };
        r.checks = checks(sc, &r);
        r
    }
}

pub(crate) fn tokens(x: U256) -> f64 {
    let unit = U256::from(10u64).pow(U256::from(14));
    u64::try_from(x / unit).unwrap_or(u64::MAX) as f64 / 1e4
}

/// The `p` quantile of sorted values (nearest rank), 0 for none.
fn q(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn checks(sc: &Scenario, r: &Report) -> Vec<Check> {
    let e = &sc.expect;
    let mut out = Vec::new();
    let mut add = |what: String, ok: bool| out.push(Check { what, ok });
    if let Some(m) = e.min_proven {
        add(
            format!("proven {} >= {m}", r.blocks.proven),
            r.blocks.proven >= m,
        );
    }
    if let Some(m) = e.max_pruned {
        add(
            format!("pruned {} <= {m}", r.blocks.pruned),
            r.blocks.pruned <= m,
        );
    }
    if let Some(m) = e.max_latency_p50 {
        add(
            format!(
                "latency p50 {:.3}x <= {m}x the critical path",
                r.latency.p50_ratio
            ),
            r.latency.p50_ratio <= m,
        );
    }
    if let Some(m) = e.max_latency_p99 {
        add(
            format!(
                "latency p99 {:.3}x <= {m}x the critical path",
                r.latency.p99_ratio
            ),
            r.latency.p99_ratio <= m,
        );
    }
    if let Some(m) = e.max_avoidable_fallback {
        add(
            format!(
                "avoidable fallback jobs {} <= {m}",
                r.jobs.avoidable_fallback
            ),
            r.jobs.avoidable_fallback <= m,
        );
    }
    if let Some(m) = e.min_capture_ratio {
        let got = r.large_staker.as_ref().map(|l| l.ratio).unwrap_or(0.0);
        add(format!("capture ratio {got:.3} >= {m}"), got >= m);
    }
    if let Some(m) = e.min_struck {
        add(
            format!("strikes {} >= {m}", r.inactivity.struck),
            r.inactivity.struck >= m,
        );
    }
    if let Some(m) = e.max_honest_struck {
        add(
            format!(
                "strikes on running agents {} <= {m}",
                r.inactivity.honest_struck
            ),
            r.inactivity.honest_struck <= m,
        );
    }
    if let Some(m) = e.min_no_quorum {
        add(
            format!("no-quorum proposals {} >= {m}", r.blocks.no_quorum),
            r.blocks.no_quorum >= m,
        );
    }
    out
}

/// The report of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Registered stakers.
    pub stakers: u64,
    /// Stakers whose agents never ran.
    pub offline: u64,
    /// Slots run.
    pub slots: u64,
    /// Blocks.
    pub blocks: Blocks,
    /// Proof latency: from the block's proposal on L1 to its complete tree at the submitter.
    pub latency: Latency,
    /// Jobs by who did them first.
    pub jobs: Jobs,
    /// Earnings.
    pub earnings: Earnings,
    /// The large staker, if any.
    pub large_staker: Option<LargeStaker>,
    /// Gas.
    pub gas: Gas,
    /// Inactivity reports and the bleed.
    pub inactivity: Inactivity,
    /// Network and faults.
    pub network: Network,
    /// The scenario's expectations and whether they held.
    pub checks: Vec<Check>,
    /// Digest of every transaction, L1 event, job and tree of the run.
    pub digest: String,
}

/// Block counts.
#[derive(Debug, Clone, Serialize)]
pub struct Blocks {
    /// `BlockProposed` events.
    pub proposed: u64,
    /// `BlockProven` events.
    pub proven: u64,
    /// Blocks pruned.
    pub pruned: u64,
    /// Blocks replaced by a higher score.
    pub replaced: u64,
    /// Proposals that did not reach the attestation quorum.
    pub no_quorum: u64,
    /// Proposals whose body was withheld.
    pub withheld: u64,
}

/// Proof latency.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    /// Median critical path (one job per round back to back), seconds.
    pub critical_path_s: f64,
    /// Median latency, seconds.
    pub p50_s: f64,
    /// 99th percentile, seconds.
    pub p99_s: f64,
    /// Median of latency / critical path.
    pub p50_ratio: f64,
    /// 99th percentile of latency / critical path.
    pub p99_ratio: f64,
    /// Largest latency / critical path.
    pub max_ratio: f64,
}

/// Jobs by the capacity of their first result.
#[derive(Debug, Clone, Serialize)]
pub struct Jobs {
    /// By the assigned owner.
    pub assigned: u64,
    /// By a neighbour filling in.
    pub neighbour: u64,
    /// Root jobs (the proposer).
    pub root: u64,
    /// Jobs no member can do (the proposer, unpaid).
    pub unfilled: u64,
    /// The proposer's fallback after `s + proofWindow/2` (unpaid).
    pub fallback: u64,
    /// Fallback jobs an online member could have done.
    pub avoidable_fallback: u64,
    /// Results beyond the first per job (redundant proving).
    pub redundant: u64,
    /// The proposer's unpaid proof-seconds per proven block.
    pub proposer_unpaid_proof_s_per_block: f64,
    /// Committee jobs not credited per proven block (`BlockProven.unfilledJobs`).
    pub uncredited_per_block: f64,
    /// Proof-seconds started per proven block, by everyone (owners, fillers, the proposer).
    pub proof_s_per_block: f64,
    /// Machines that work keeps busy at one block per slot (`spn model`'s "machines").
    pub machines: f64,
}

/// Earnings (tokens) across every registered key.
#[derive(Debug, Clone, Serialize)]
pub struct Earnings {
    /// Keys that earned anything.
    pub rewarded_stakers: u64,
    /// Gini coefficient over all keys.
    pub gini: f64,
    /// Largest over median positive earning.
    pub max_over_median_earner: f64,
    /// Median days between two rewards of a key.
    pub days_between_rewards_p50: f64,
    /// 90th percentile.
    pub days_between_rewards_p90: f64,
    /// Paid to sequencers.
    pub sequencer_tokens: f64,
    /// Reserved for provers.
    pub provers_tokens: f64,
    /// Paid to submitters.
    pub submitter_tokens: f64,
}

/// The large staker's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct LargeStaker {
    /// Its share of the keys.
    pub key_share: f64,
    /// Its share of the stakers' rewards.
    pub reward_share: f64,
    /// Reward share over key share.
    pub ratio: f64,
}

/// Gas.
#[derive(Debug, Clone, Serialize)]
pub struct Gas {
    /// Mean gas of `propose`.
    pub propose_mean: u64,
    /// Mean gas of `submitProof`.
    pub submit_proof_mean: u64,
    /// Their sum: L1 gas per block (with `submitSignedProof` when every proof was signed).
    pub per_block_mean: u64,
    /// Proofs sent through `submitSignedProof` (training wheel).
    pub signed_proofs: u64,
    /// Mean gas of `submitSignedProof`.
    pub submit_signed_proof_mean: u64,
    /// Mean signers per signed proof.
    pub mean_bls_signers: f64,
}

/// Inactivity reports (§14) during the run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Inactivity {
    /// `MissReported` events.
    pub reported: u64,
    /// ... against keys whose agent was running.
    pub honest_reported: u64,
    /// `ReportCleared` events.
    pub cleared: u64,
    /// `StrikeFinalised` events.
    pub struck: u64,
    /// ... against keys whose agent was running.
    pub honest_struck: u64,
    /// Stake slashed (tokens).
    pub slashed_tokens: f64,
    /// Keys ejected.
    pub ejected: u64,
}

/// Network and faults.
#[derive(Debug, Clone, Serialize)]
pub struct Network {
    /// Gossip deliveries lost.
    pub lost: u64,
    /// Messages the agents dropped.
    pub rejected: u64,
    /// `job-results/1` requests for late or missing results.
    pub result_requests: u64,
    /// Agent crashes.
    pub crashes: u64,
    /// Submissions L1 rejected.
    pub failed_submissions: u64,
}

/// One expectation of the scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What was checked, with the value.
    pub what: String,
    /// Whether it held.
    pub ok: bool,
}

impl Report {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }

    /// The report as a table.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let r = self;
        let _ = writeln!(
            s,
            "scenario {} (seed {}): N = {}, {} offline, {} slots",
            r.scenario, r.seed, r.stakers, r.offline, r.slots
        );
        let b = &r.blocks;
        let _ = writeln!(
            s,
            "blocks     proposed {}  proven {}  pruned {}  replaced {}  no quorum {}  withheld {}",
            b.proposed, b.proven, b.pruned, b.replaced, b.no_quorum, b.withheld
        );
        let l = &r.latency;
        let _ = writeln!(s, "latency    p50 {:.1} s ({:.3}x)  p99 {:.1} s ({:.3}x)  max {:.3}x  critical path {:.1} s", l.p50_s, l.p50_ratio, l.p99_s, l.p99_ratio, l.max_ratio, l.critical_path_s);
        let j = &r.jobs;
        let _ = writeln!(s, "jobs       assigned {}  neighbour {}  root {}  unfilled {}  fallback {} (avoidable {})  redundant {}", j.assigned, j.neighbour, j.root, j.unfilled, j.fallback, j.avoidable_fallback, j.redundant);
        let _ = writeln!(
            s,
            "proposer   unpaid {:.1} proof-s per block; uncredited jobs {:.2} per block",
            j.proposer_unpaid_proof_s_per_block, j.uncredited_per_block
        );
        let e = &r.earnings;
        let _ = writeln!(s, "earnings   {} keys rewarded  gini {:.3}  max/median {:.2}  days between rewards p50 {:.3} p90 {:.3}", e.rewarded_stakers, e.gini, e.max_over_median_earner, e.days_between_rewards_p50, e.days_between_rewards_p90);
        let _ = writeln!(
            s,
            "paid       sequencers {:.2}  provers {:.2}  submitters {:.2} tokens",
            e.sequencer_tokens, e.provers_tokens, e.submitter_tokens
        );
        if let Some(ls) = &r.large_staker {
            let _ = writeln!(
                s,
                "large      key share {:.3}  reward share {:.3}  ratio {:.3}",
                ls.key_share, ls.reward_share, ls.ratio
            );
        }
        let g = &r.gas;
        let _ = writeln!(
            s,
            "gas        propose {}  submitProof {}  per block {}",
            g.propose_mean, g.submit_proof_mean, g.per_block_mean
        );
        if g.signed_proofs > 0 {
            let _ = writeln!(
                s,
                "wheel      signed proofs {}  submitSignedProof {}  mean signers {:.2}",
                g.signed_proofs, g.submit_signed_proof_mean, g.mean_bls_signers
            );
        }
        let i = &r.inactivity;
        let _ = writeln!(s, "inactivity reported {} (running agents {})  cleared {}  struck {} (running agents {})  slashed {:.0} tokens  ejected {}", i.reported, i.honest_reported, i.cleared, i.struck, i.honest_struck, i.slashed_tokens, i.ejected);
        let n = &r.network;
        let _ = writeln!(s, "network    lost {}  rejected {}  result requests {}  crashes {}  failed submissions {}", n.lost, n.rejected, n.result_requests, n.crashes, n.failed_submissions);
        for c in &r.checks {
            let _ = writeln!(
                s,
                "check      {} {}",
                if c.ok { "ok  " } else { "FAIL" },
                c.what
            );
        }
        let _ = writeln!(s, "digest     {}", r.digest);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(q(&v, 0.5), 2.0);
        assert_eq!(q(&v, 0.99), 4.0);
        assert_eq!(q(&[], 0.5), 0.0);
    }
}
