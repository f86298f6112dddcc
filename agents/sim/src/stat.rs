//! The statistical mode (`mode = "statistical"`): `spn_protocol::stats` with a scenario's
//! numbers, for N up to 500,000 where simulating every agent is out of reach.

use std::fmt::Write as _;

use spn_protocol::stats::{self, StatConfig, StatReport, WaitStats};

use crate::scenario::Scenario;

/// Runs a statistical scenario.
pub fn run(sc: &Scenario, seed: u64) -> Result<StatReport, String> {
    let params = sc.base_params()?;
    stats::run(
        &params,
        &StatConfig {
            stakers: sc.stakers,
            slots: sc.slots,
            offline: sc.offline,
            large_staker_share: sc.large_staker,
            // 0: the sequencer policy's height for N (§8.7).
            height: sc.height.unwrap_or(0),
            seed,
        },
    )
    .map_err(|e| e.to_string())
}

fn days(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |d| format!("{d:.2}"))
}

fn wait(w: &WaitStats) -> String {
    format!(
        "mean {} p10 {} p50 {} p90 {} p99 {} days",
        days(w.mean_days),
        days(w.p10_days),
        days(w.p50_days),
        days(w.p90_days),
        days(w.p99_days)
    )
}

/// The report as a table.
pub fn table(r: &StatReport) -> String {
    let mut s = String::new();
    let c = &r.config;
    let _ = writeln!(
        s,
        "statistical: N = {}, n = {}, {} slots ({:.1} days), {} offline, seed {}",
        c.stakers, r.height, r.slots.simulated, r.days, r.offline_keys, c.seed
    );
    let sl = &r.slots;
    let _ = writeln!(
        s,
        "slots      proposed {}  proven {}  no sequencer {}  quorum missed {}  coverage too low {}  ({:.2}% with a block)",
        sl.proposed, sl.proven, sl.no_sequencer, sl.quorum_missed, sl.coverage_too_low, sl.block_share * 100.0
    );
    let cm = &r.committees;
    let _ = writeln!(
        s,
        "committee  round 1 {:.1} (online {:.1}, target {})  attesters {:.1} (online {:.1}, quorum {})  below quorum {:.2}%",
        cm.round_one_mean, cm.round_one_online_mean, cm.round_one_target, cm.attestation_mean,
        cm.attestation_online_mean, cm.attestation_quorum, cm.below_quorum_share * 100.0
    );
    let j = &r.jobs;
    let _ = writeln!(
        s,
        "jobs       assigned {:.2}%  neighbour {:.2}%  unfilled {:.2}% ({:.2}% of cost)",
        j.assigned_share * 100.0,
        j.neighbour_filled_share * 100.0,
        j.unfilled_share * 100.0,
        j.unfilled_cost_share * 100.0
    );
    let _ = writeln!(s, "rewards    prover: {}", wait(&r.prover_reward_wait));
    let _ = writeln!(s, "           sequencing: {}", wait(&r.sequencing_wait));
    let e = &r.earnings;
    let _ = writeln!(
        s,
        "earnings   gini {:.3}  median {:.4}  p90 {:.4}  max {:.4}  zero earners {}",
        e.gini, e.median, e.p90, e.max, e.zero_earners
    );
    if let Some(l) = &r.large_staker {
        let _ = writeln!(
            s,
            "large      key share {:.3}  round-1 jobs {:.3} (honest rule {:.3})  all rewards {:.3}",
            l.key_share, l.round_one_job_share, l.round_one_job_share_honest, l.total_reward_share
        );
    }
    s
}
