//! The devnet report: a JSON object (`--json`) or a readable table.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use alloy_primitives::{B256, U256};
use serde::{Serialize, Serializer};
use spn_protocol::Params;

use crate::agent::fmt_tokens;

/// p50, max and mean of a sample.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Stat {
    /// Median (lower middle).
    pub p50: f64,
    /// Maximum.
    pub max: f64,
    /// Mean.
    pub mean: f64,
    /// Sample size.
    pub count: usize,
}

impl Stat {
    /// Statistics of `xs` (zeros when empty).
    pub fn of(xs: &[f64]) -> Self {
        if xs.is_empty() {
            return Self::default();
        }
        let mut v = xs.to_vec();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        let r = |x: f64| (x * 1000.0).round() / 1000.0;
        Self {
            p50: r(v[(v.len() - 1) / 2]),
            max: r(v[v.len() - 1]),
            mean: r(v.iter().sum::<f64>() / v.len() as f64),
            count: v.len(),
        }
    }
}

/// Gas of one kind of transaction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct GasStat {
    /// Transactions mined.
    pub count: usize,
    /// Mean gas used.
    pub mean: u64,
    /// Largest gas used.
    pub max: u64,
}

impl GasStat {
    /// Statistics of `xs`.
    pub fn of(xs: &[u64]) -> Self {
        if xs.is_empty() {
            return Self::default();
        }
        Self {
            count: xs.len(),
            mean: xs.iter().sum::<u64>() / xs.len() as u64,
            max: xs.iter().copied().max().unwrap_or(0),
        }
    }
}

fn tokens<S: Serializer>(x: &U256, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&fmt_tokens(*x))
}

/// Rewards per role (reward tokens, 4 decimals shown).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rewards {
    /// Credited to submitters (owed until they withdraw).
    #[serde(serialize_with = "tokens")]
    pub submitter: U256,
    /// Credited to the proposers' withdrawers (owed until they withdraw).
    #[serde(serialize_with = "tokens")]
    pub sequencer: U256,
    /// Reserved for provers at proof time.
    #[serde(serialize_with = "tokens")]
    pub provers_reserved: U256,
    /// Claimed by provers.
    #[serde(serialize_with = "tokens")]
    pub provers_claimed: U256,
    /// Claim transactions.
    pub claims: u64,
}

/// A block hash and its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Withheld {
    /// Block hash.
    pub hash: B256,
    /// Slot.
    pub slot: u64,
}

/// One proven block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BlockReport {
    /// Number.
    pub number: u64,
    /// Hash.
    pub hash: B256,
    /// Slot.
    pub slot: u64,
    /// Tree height n.
    pub height: u8,
    /// Distinct provers credited.
    pub provers: u64,
    /// Committee jobs.
    pub jobs: u64,
    /// Jobs credited to their assigned prover.
    pub by_assigned: u64,
    /// Jobs credited to a neighbour.
    pub by_neighbour: u64,
    /// Jobs nobody was credited for.
    pub unfilled: u64,
    /// From the L1 proposal to the complete tree at the submitter.
    pub tree_seconds: Option<f64>,
    /// From the L1 proposal to the proof on L1.
    pub proven_after_seconds: f64,
    /// What the cost model says the tree needs.
    pub critical_path_seconds: f64,
}

/// The devnet's result.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Registered stakers.
    pub stakers: u32,
    /// Stakers whose agents never ran.
    pub offline_provers: u32,
    /// Offline stakers credited (always 0: nobody can sign for them).
    pub offline_credited: u64,
    /// Blocks asked for.
    pub blocks_target: u64,
    /// `BlockProposed` events (replacements included).
    pub blocks_proposed: u64,
    /// Blocks proven.
    pub blocks_proven: u64,
    /// Blocks dropped by pruning.
    pub blocks_pruned: u64,
    /// Announced blocks that got fewer than M attestations.
    pub proposals_without_quorum: u64,
    /// Proposals whose body was withheld (fault injection).
    pub withheld_proposals: u64,
    /// Those proposals: block hash and slot.
    pub withheld: Vec<Withheld>,
    /// Every block hash that appeared in a `BlockProposed` event, with its slot.
    pub proposed: Vec<Withheld>,
    /// Committee jobs of the proven blocks.
    pub jobs_total: u64,
    /// Credited to the assigned prover.
    pub jobs_by_assigned: u64,
    /// Credited to a neighbourhood filler.
    pub jobs_by_neighbour: u64,
    /// Not credited (the proposer's unpaid fallback).
    pub jobs_unfilled: u64,
    /// Jobs the proposers computed themselves (fallback, unpaid).
    pub fallback_jobs: u64,
    /// Distinct credited provers over all proven blocks.
    pub distinct_provers: u64,
    /// L1 proposal to complete tree.
    pub proof_latency_seconds: Stat,
    /// Cost-model critical path of the median proven block.
    pub critical_path_seconds: f64,
    /// Cost-model critical path over the proven blocks.
    pub critical_path: Stat,
    /// L1 proposal to proof on L1.
    pub proven_on_l1_seconds: Stat,
    /// Wall-clock seconds per proof-second.
    pub time_scale: f64,
    /// Gas per operation.
    pub gas: BTreeMap<String, GasStat>,
    /// The BLS training wheel the devnet deployed, if any (`--training-wheel`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_wheel: Option<WheelReport>,
    /// Proven blocks whose proof went through `submitSignedProof` (training wheel).
    pub signed_proofs: u64,
    /// Mean signers aggregated per signed proof (0 without any).
    pub mean_bls_signers: f64,
    /// Gas of `submitSignedProof`.
    pub bls_gas: GasStat,
    /// Rewards per role.
    pub rewards: Rewards,
    /// Inactivity reports and strikes (§14) against offline and online keys.
    pub inactivity: Inactivity,
    /// Griefing reports against online members (`--fault.grief`): filed, cleared, struck, stake lost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grief: Option<super::grief::GriefReport>,
    /// Every withdrawer's and the submitter's balance equals the spec's formulas.
    pub balances_match: bool,
    /// Differences, if any.
    pub balance_mismatches: Vec<String>,
    /// Network messages dropped by validation.
    pub rejected_messages: u64,
    /// The agents' failed L1 requests (every attempt, retried ones included).
    pub rpc_errors: u64,
    /// L1 requests the `--fault.rpc-failures` proxy failed.
    pub rpc_failures_injected: u64,
    /// `anvil_reorg` calls of `--fault.reorg-depth`.
    pub reorgs_injected: u64,
    /// L1 reorgs the agents' follower detected and rolled back.
    pub reorgs_seen: u64,
    /// Whether the run stopped at its timeout.
    pub timed_out: bool,
    /// Run time.
    pub elapsed_seconds: f64,
    /// Deployment parameters.
    pub params: Params,
    /// The L1 endpoint used (anvil).
    pub l1_rpc: String,
    /// Every proven block.
    pub blocks: Vec<BlockReport>,
}

/// The training wheel of a devnet run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WheelReport {
    /// `trainingWheelBps`.
    pub bps: u64,
    /// `trainingWheelUntil` (saturated to `u64`).
    pub until: u64,
    /// Stakers whose BLS key was registered.
    pub bls_keys: u64,
}

/// Inactivity reports (`MissReported`) and strikes (`StrikeFinalised`) of a devnet run, against
/// the keys whose agents never ran and against the running ones.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Inactivity {
    /// Reports against offline keys.
    pub reported_offline: u64,
    /// Reports against running keys (griefing, or a slow agent).
    pub reported_online: u64,
    /// Strikes on offline keys.
    pub struck_offline: u64,
    /// Strikes on running keys.
    pub struck_online: u64,
}

impl Report {
    /// A readable table.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "SPN devnet report ({} stakers, {} offline; n in [{}, {}], m = {}, R = {}, d = {}; time scale {})",
            self.stakers, self.offline_provers, self.params.min_height, self.params.max_height,
            self.params.round_height, self.params.redundancy, self.params.neighbourhood, self.time_scale);
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "{:>5} {:>6} {:>3} {:>7} {:>5} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9}",
            "block",
            "slot",
            "n",
            "provers",
            "jobs",
            "assigned",
            "neighbour",
            "unfilled",
            "tree s",
            "crit. s",
            "on L1 s"
        );
        for b in &self.blocks {
            let _ = writeln!(
                s,
                "{:>5} {:>6} {:>3} {:>7} {:>5} {:>9} {:>10} {:>9} {:>9} {:>9.2} {:>9.1}",
                b.number,
                b.slot,
                b.height,
                b.provers,
                b.jobs,
                b.by_assigned,
                b.by_neighbour,
                b.unfilled,
                b.tree_seconds
                    .map(|t| format!("{t:.2}"))
                    .unwrap_or_else(|| "-".into()),
                b.critical_path_seconds,
                b.proven_after_seconds
            );
        }
        let _ = writeln!(s);
        let row = |s: &mut String, k: &str, v: String| {
            let _ = writeln!(s, "  {k:<34} {v}");
        };
        row(
            &mut s,
            "blocks proposed / proven / pruned",
            format!(
                "{} / {} / {}",
                self.blocks_proposed, self.blocks_proven, self.blocks_pruned
            ),
        );
        row(
            &mut s,
            "proposals without quorum (withheld)",
            format!(
                "{} ({})",
                self.proposals_without_quorum, self.withheld_proposals
            ),
        );
        row(&mut s, "jobs total", self.jobs_total.to_string());
        row(
            &mut s,
            "  by assigned / neighbour / unfilled",
            format!(
                "{} / {} / {}",
                self.jobs_by_assigned, self.jobs_by_neighbour, self.jobs_unfilled
            ),
        );
        row(
            &mut s,
            "proposer fallback jobs (unpaid)",
            self.fallback_jobs.to_string(),
        );
        row(
            &mut s,
            "distinct provers",
            format!(
                "{} (offline credited: {})",
                self.distinct_provers, self.offline_credited
            ),
        );
        row(
            &mut s,
            "proof latency p50 / max (s)",
            format!(
                "{:.2} / {:.2}",
                self.proof_latency_seconds.p50, self.proof_latency_seconds.max
            ),
        );
        row(
            &mut s,
            "critical path p50 / max (s)",
            format!(
                "{:.2} / {:.2}",
                self.critical_path.p50, self.critical_path.max
            ),
        );
        row(
            &mut s,
            "proposal to proof on L1 p50 (s)",
            format!("{:.1}", self.proven_on_l1_seconds.p50),
        );
        if let Some(w) = &self.training_wheel {
            row(
                &mut s,
                "training wheel bps / until / BLS keys",
                format!("{} / {} / {}", w.bps, w.until, w.bls_keys),
            );
            row(
                &mut s,
                "signed proofs (mean signers)",
                format!("{} ({:.2})", self.signed_proofs, self.mean_bls_signers),
            );
        }
        for (op, g) in &self.gas {
            row(
                &mut s,
                &format!("gas {op} (count, mean, max)"),
                format!("{}, {}, {}", g.count, g.mean, g.max),
            );
        }
        row(
            &mut s,
            "rewards submitter / sequencer",
            format!(
                "{} / {}",
                fmt_tokens(self.rewards.submitter),
                fmt_tokens(self.rewards.sequencer)
            ),
        );
        row(
            &mut s,
            "rewards provers reserved / claimed",
            format!(
                "{} / {} ({} claims)",
                fmt_tokens(self.rewards.provers_reserved),
                fmt_tokens(self.rewards.provers_claimed),
                self.rewards.claims
            ),
        );
        row(
            &mut s,
            "balances match the formulas",
            self.balances_match.to_string(),
        );
        row(
            &mut s,
            "messages dropped by validation",
            self.rejected_messages.to_string(),
        );
        row(
            &mut s,
            "inactivity reports offline / online, strikes offline / online",
            format!(
                "{} / {}, {} / {}",
                self.inactivity.reported_offline,
                self.inactivity.reported_online,
                self.inactivity.struck_offline,
                self.inactivity.struck_online
            ),
        );
        if let Some(g) = &self.grief {
            row(
                &mut s,
                "griefing reports filed / cleared / struck",
                format!(
                    "{} / {} / {} (stake lost {})",
                    g.filed, g.cleared, g.struck, g.stake_lost
                ),
            );
        }
        row(
            &mut s,
            "L1 request failures (injected)",
            format!("{} ({})", self.rpc_errors, self.rpc_failures_injected),
        );
        row(
            &mut s,
            "L1 reorgs seen (injected)",
            format!("{} ({})", self.reorgs_seen, self.reorgs_injected),
        );
        row(
            &mut s,
            "elapsed (s)",
            format!(
                "{:.1}{}",
                self.elapsed_seconds,
                if self.timed_out { " (timed out)" } else { "" }
            ),
        );
        for m in &self.balance_mismatches {
            let _ = writeln!(s, "  mismatch: {m}");
        }
        s
    }
}
