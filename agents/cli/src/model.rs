//! `spn model`: the closed-form capacity and economics model of `spn_protocol::model`, as
//! aligned tables or JSON.

use std::path::PathBuf;

use clap::Args;
use spn_protocol::model::{self, Report, Scenario};
use spn_protocol::Params;

/// Flags of `spn model`.
#[derive(Debug, Args)]
pub(crate) struct ModelArgs {
    /// Parameter set: `testnet`, `devnet`, or a JSON file of `Params` (Solidity field names).
    #[arg(long, env = "SPN_MODEL_PARAMS", default_value = "testnet")]
    pub(crate) params: String,
    /// Active stakers N.
    #[arg(long, env = "SPN_MODEL_STAKERS", default_value_t = 500_000)]
    pub(crate) stakers: u64,
    /// Transactions per second (the seed's 10).
    #[arg(long = "tx-rate", env = "SPN_MODEL_TX_RATE", default_value_t = 10.0)]
    pub(crate) tx_rate: f64,
    /// Block time in seconds (default: the parameter set's slot duration).
    #[arg(long = "block-time", env = "SPN_MODEL_BLOCK_TIME")]
    pub(crate) block_time: Option<u64>,
    /// VM proofs per transaction (default: the parameter set's).
    #[arg(long = "vm-proofs-per-tx", env = "SPN_MODEL_VM_PROOFS_PER_TX")]
    pub(crate) vm_proofs_per_tx: Option<u64>,
    /// Proof-seconds of one VM proof (default: the parameter set's).
    #[arg(long = "vm-proof-seconds", env = "SPN_MODEL_VM_PROOF_SECONDS")]
    pub(crate) vm_proof_seconds: Option<u64>,
    /// Fraction of the stakers that is offline, in [0, 1).
    #[arg(long, env = "SPN_MODEL_OFFLINE", default_value_t = 0.0)]
    pub(crate) offline: f64,
    /// Neighbourhood d (default: the parameter set's).
    #[arg(long, env = "SPN_MODEL_D")]
    pub(crate) d: Option<u8>,
    /// Redundancy R (default: the parameter set's).
    #[arg(long, env = "SPN_MODEL_REDUNDANCY")]
    pub(crate) redundancy: Option<u64>,
    /// Print the model as JSON on stdout.
    #[arg(long, env = "SPN_MODEL_JSON")]
    pub(crate) json: bool,
}

impl ModelArgs {
    /// The parameter set with the overrides applied.
    pub(crate) fn params(&self) -> Result<Params, String> {
        let mut p = match self.params.as_str() {
            "testnet" => Params::testnet(),
            "devnet" => Params::devnet(),
            path => {
                let path = PathBuf::from(path);
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    format!(
                        "--params: `{}` is neither testnet, devnet nor a readable file ({e})",
                        path.display()
                    )
                })?;
                serde_json::from_str(&text).map_err(|e| {
                    format!(
                        "--params: {} is not a Params JSON file ({e})",
                        path.display()
                    )
                })?
            }
        };
        if let Some(v) = self.block_time {
            p.slot_duration = v;
        }
        if let Some(v) = self.vm_proofs_per_tx {
            p.vm_proofs_per_tx = v;
        }
        if let Some(v) = self.vm_proof_seconds {
            p.vm_proof_cost = v;
        }
        if let Some(v) = self.d {
            p.neighbourhood = v;
        }
        if let Some(v) = self.redundancy {
            p.redundancy = v;
        }
        p.validate().map_err(|e| e.to_string())?;
        Ok(p)
    }

    /// The scenario.
    pub(crate) fn scenario(&self) -> Scenario {
        Scenario {
            stakers: self.stakers,
            tx_rate: self.tx_rate,
            offline: self.offline,
        }
    }

    /// Runs the model and prints it; `Err` is a one-line message.
    pub(crate) fn run(&self) -> Result<(), String> {
        let params = self.params()?;
        let report = model::report(&params, &self.scenario()).map_err(|e| e.to_string())?;
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
            );
        } else {
            print!("{}", render(&report));
        }
        Ok(())
    }
}

/// Columns padded to their widest cell; the first column left-aligned, the others right-aligned.
fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::from(" ");
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            let pad = w - cell.chars().count();
            if i == 0 {
                s.push_str(&format!(" {cell}{} ", " ".repeat(pad)));
            } else {
                s.push_str(&format!(" {}{cell} ", " ".repeat(pad)));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    let mut out = line(headers.to_vec()) + &line(rule.iter().map(String::as_str).collect());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

fn pct(x: f64) -> String {
    if x != 0.0 && x.abs() < 0.0001 {
        format!("{:.2e}", x * 100.0) + "%"
    } else {
        format!("{:.3}%", x * 100.0)
    }
}

fn num(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    // Thousands separators on the integer part.
    let (int, frac) = s.split_once('.').map_or((s.as_str(), ""), |(i, f)| (i, f));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

fn kv(rows: &[(&str, String)]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|(k, v)| vec![k.to_string(), v.clone()])
        .collect();
    table(&["quantity", "value"], &rows)
}

/// The human-readable report.
pub(crate) fn render(r: &Report) -> String {
    let p = &r.params;
    let c = &r.capacity;
    let f = &r.frequencies;
    let mut out = String::new();
    out.push_str(&format!(
        "SPN model: N = {} stakers, {} tx/s, {} s blocks, {} offline; m = {}, R = {}, d = {}, \
         S = {}, A = {}, M = {}; costs {} VM proofs x {} s + base {} s, merge {} s\n\n",
        num(r.scenario.stakers as f64, 0),
        r.scenario.tx_rate,
        p.block_time,
        pct(r.scenario.offline),
        p.round_height,
        p.redundancy,
        p.neighbourhood,
        p.sequencer_target,
        p.attestation_target,
        p.attestation_quorum,
        p.vm_proofs_per_tx,
        p.vm_proof_cost,
        p.base_proof_cost,
        p.merge_proof_cost,
    ));
    out.push_str("Machines (1 machine = 1 proof-second per second)\n");
    let mut height = format!("{} ({} leaves)", c.height, num(c.leaves as f64, 0));
    if c.exceeds_max_height {
        height.push_str(&format!("; above maxHeight {}", c.max_height));
    }
    if c.above_policy_cap {
        height.push_str(&format!("; above the policy cap {} at N", c.policy_cap));
    }
    out.push_str(&kv(&[
        ("transactions per block", num(c.txs_per_block as f64, 0)),
        ("height n", height),
        ("committee jobs", num(f64::from(c.committee_jobs), 0)),
        ("VM proof-seconds per block", num(c.vm_proof_seconds, 0)),
        (
            "totalProverCost (proof-s per block)",
            num(c.total_prover_cost as f64, 0),
        ),
        ("machines, VM proofs once", num(c.machines_vm_only, 1)),
        (
            "machines, VM proofs x R (seed's ~400)",
            num(c.machines_vm_only_redundant, 1),
        ),
        ("machines, every job once (minimal)", num(c.machines_min, 1)),
        ("expected owners per job", num(c.owners_per_job, 3)),
        (
            "work: owners prove own jobs (proof-s)",
            num(c.work.owners, 0),
        ),
        ("work: neighbourhood fill", num(c.work.fill, 0)),
        (
            "work: proposer fallback (unfilled)",
            num(c.work.fallback, 0),
        ),
        ("work: proposer root merge", num(c.work.root, 0)),
        ("work: total / totalProverCost", num(c.duplication, 3)),
        ("machines, owners + fill", num(c.machines_committee, 1)),
        (
            "machines, honest agents in all",
            num(c.machines_expected, 1),
        ),
        ("share of online stakers' machines busy", pct(c.utilisation)),
    ]));
    out.push_str("\nRounds of that block\n");
    let rows: Vec<Vec<String>> = r
        .rounds
        .iter()
        .map(|x| {
            vec![
                x.round.to_string(),
                num(f64::from(x.jobs), 0),
                x.cost.to_string(),
                x.width.to_string(),
                format!(
                    "{:.3e}{}",
                    x.membership,
                    if x.capped { " (cap)" } else { "" }
                ),
                num(x.owners_per_job, 3),
                pct(x.p_unowned),
                pct(x.p_unfilled),
                pct(x.p_unfilled_poisson),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "round",
            "jobs",
            "cost",
            "w",
            "P(member)",
            "owners/job",
            "unowned",
            "unfilled",
            "Poisson",
        ],
        &rows,
    ));
    out.push_str(&format!(
        "\nDays between events for one online staker (geometric; blocks of height {})\n",
        f.height
    ));
    let w = |name: &str, x: &model::Waiting| {
        vec![
            name.to_string(),
            format!("{:.3e}", x.per_slot),
            num(x.mean_days, 3),
            num(x.p10_days, 3),
            num(x.p50_days, 3),
            num(x.p90_days, 3),
        ]
    };
    out.push_str(&table(
        &["event", "P per slot", "mean days", "p10", "median", "p90"],
        &[
            w("sequencing a block", &f.sequencing),
            w("prover reward (credited)", &f.prover_reward),
        ],
    ));
    out.push_str(&kv(&[
        (
            "P(no online eligible sequencer)",
            pct(f.liveness.p_no_sequencer),
        ),
        (
            "P(attestation quorum missed)",
            pct(f.liveness.p_quorum_missed),
        ),
        (
            "credited provers per block",
            num(f.credited_provers_per_block, 1),
        ),
        (
            "reward tokens per year, sequencing",
            num(f.sequencer_tokens_per_year, 2),
        ),
        (
            "reward tokens per year, proving",
            num(f.prover_tokens_per_year, 2),
        ),
    ]));
    out.push_str(&format!(
        "\nUnfilled committee jobs by d and R (N = {}, n = {}, {} offline)\n",
        num(r.scenario.stakers as f64, 0),
        c.height,
        pct(r.scenario.offline)
    ));
    let unfilled_row = |u: &model::Unfilled, first: String| {
        vec![
            first,
            u.redundancy.to_string(),
            num(u.jobs, 2),
            pct(u.job_share),
            pct(u.cost_share),
            pct(u.cost_share_poisson),
        ]
    };
    let rows: Vec<Vec<String>> = r
        .unfilled_by_d_and_r
        .iter()
        .map(|u| unfilled_row(u, u.neighbourhood.to_string()))
        .collect();
    out.push_str(&table(
        &["d", "R", "jobs", "of jobs", "of cost", "Poisson cost"],
        &rows,
    ));
    out.push_str(&format!(
        "\nUnfilled by offline fraction (R = {}, d = {})\n",
        p.redundancy, p.neighbourhood
    ));
    let rows: Vec<Vec<String>> = r
        .unfilled_by_offline
        .iter()
        .map(|u| unfilled_row(u, pct(u.offline)))
        .collect();
    out.push_str(&table(
        &["offline", "R", "jobs", "of jobs", "of cost", "Poisson cost"],
        &rows,
    ));
    out.push_str(&format!(
        "\nCapture: share of a round's jobs for a key share f (R = {}, d = {}, §9.5)\n",
        p.redundancy, p.neighbourhood
    ));
    let rows: Vec<Vec<String>> = r
        .capture
        .iter()
        .map(|x| vec![num(x.key_share, 3), num(x.honest, 3), num(x.controlled, 3)])
        .collect();
    out.push_str(&table(&["f", "honest merge", "controls transcript"], &rows));
    out.push_str("\nInactivity bleed (tokens), a key that never clears a report\n");
    let rows: Vec<Vec<String>> = r
        .bleed
        .iter()
        .map(|s| {
            vec![
                s.strike.to_string(),
                num(s.penalty, 0),
                num(s.slashed, 0),
                num(s.remaining, 0),
                if s.ejected { "ejected" } else { "" }.to_string(),
            ]
        })
        .collect();
    out.push_str(&table(
        &["strike", "penalty", "slashed", "remaining", "note"],
        &rows,
    ));
    out
}
