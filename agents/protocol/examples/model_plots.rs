//! Draws the figures of docs/ECONOMICS.md from `spn_protocol::model` as SVG (`make plots`):
//!
//! ```text
//! cargo run -p spn-protocol --example model_plots -- docs/plots
//! ```
//!
//! Every figure uses the testnet parameters (R = 2, d = 1, n = 11 at 120 s blocks and 10 tx/s)
//! unless its title says otherwise. `reward_days_sampled.svg` comes from the statistical mode
//! (`spn_protocol::stats`, 10,000 sampled slots at N = 500,000) with the closed form overlaid.

use std::path::Path;

use plotters::prelude::*;
use spn_protocol::model::{self, Scenario};
use spn_protocol::stats::{self, StatConfig};
use spn_protocol::Params;

mod common;

use common::{finish, Res};

const SIZE: (u32, u32) = (760, 480);
const COLOURS: [RGBColor; 5] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
];

fn main() -> Res {
    let out = common::out_dir()?;
    let out = out.as_path();
    unfilled_by_d(&out.join("unfilled_by_d.svg"))?;
    unfilled_by_offline(&out.join("unfilled_by_offline.svg"))?;
    reward_days(&out.join("reward_days.svg"))?;
    capture(&out.join("capture.svg"))?;
    bleed(&out.join("bleed.svg"))?;
    reward_days_sampled(&out.join("reward_days_sampled.svg"))?;
    eprintln!("wrote 6 SVG files to {}", out.display());
    Ok(())
}

/// Unfilled share of the prover cost against d, one line per R (exact at N = 500,000, n = 11).
fn unfilled_by_d(path: &Path) -> Res {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Unfilled share of the prover cost (n = 11, N = 500,000, all online)",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..4f64, (1e-9f64..1f64).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("neighbourhood d")
        .y_desc("share of totalProverCost (log)")
        .x_labels(5)
        .x_label_formatter(&|d| format!("{d:.0}"))
        .y_label_formatter(&|v| power_of_ten(*v))
        .draw()?;
    for (i, r) in [1u64, 2, 3, 4].into_iter().enumerate() {
        let points: Vec<(f64, f64)> = (0..=4u8)
            .map(|d| {
                let p = Params {
                    redundancy: r,
                    neighbourhood: d,
                    ..Params::testnet()
                };
                let u = model::unfilled(&p, 11, 500_000, 0.0).expect("valid");
                (f64::from(d), u.cost_share.max(1e-9))
            })
            .collect();
        let colour = COLOURS[i];
        chart
            .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))?
            .label(format!("R = {r}"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour));
        chart.draw_series(
            points
                .into_iter()
                .map(|p| Circle::new(p, 3, colour.filled())),
        )?;
    }
    finish(&root, &mut chart, SeriesLabelPosition::MiddleRight)
}

/// Unfilled share of the prover cost against the offline fraction, one line per d (R = 2).
fn unfilled_by_offline(path: &Path) -> Res {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Unfilled share of the prover cost vs offline stakers (R = 2, n = 11, N = 500,000)",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..0.9f64, (1e-5f64..1f64).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("offline fraction")
        .y_desc("share of totalProverCost (log)")
        .y_label_formatter(&|v| power_of_ten(*v))
        .draw()?;
    for (i, d) in [0u8, 1, 2, 3].into_iter().enumerate() {
        let p = Params {
            neighbourhood: d,
            ..Params::testnet()
        };
        let points: Vec<(f64, f64)> = (0..=90)
            .map(|k| {
                let o = f64::from(k) / 100.0;
                let u = model::unfilled(&p, 11, 500_000, o).expect("valid");
                (o, u.cost_share.max(1e-5))
            })
            .collect();
        let colour = COLOURS[i];
        chart
            .draw_series(LineSeries::new(points, colour.stroke_width(2)))?
            .label(format!("d = {d}"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour));
    }
    // minCoverageBps = 5,000: a block needs half its committee jobs credited.
    chart
        .draw_series(LineSeries::new(
            [(0.0, 0.5), (0.9, 0.5)],
            BLACK.stroke_width(1),
        ))?
        .label("testnet minimum coverage (50% of jobs)")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK));
    finish(&root, &mut chart, SeriesLabelPosition::LowerRight)
}

/// Distribution (CDF) of the days between prover rewards at N = 500,000: testnet 120 s blocks
/// (n = 11) and the seed's 600 s blocks (n = 13).
fn reward_days(path: &Path) -> Res {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Days between prover rewards for one staker, N = 500,000, 10 tx/s",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..8f64, 0f64..1f64)?;
    chart
        .configure_mesh()
        .x_desc("days until the next credited block")
        .y_desc("P(wait <= days)")
        .draw()?;
    let scenario = Scenario {
        stakers: 500_000,
        tx_rate: 10.0,
        offline: 0.0,
    };
    for (i, block_time) in [120u64, 600].into_iter().enumerate() {
        let p = Params {
            slot_duration: block_time,
            ..Params::testnet()
        };
        let f = model::frequencies(&p, &scenario).expect("valid");
        let per_slot = f.prover_reward.per_slot;
        let slots_per_day = model::SECONDS_PER_DAY / block_time as f64;
        let points: Vec<(f64, f64)> = (0..=800)
            .map(|k| {
                let days = f64::from(k) / 100.0;
                (
                    days,
                    model::geometric_cdf(per_slot, (days * slots_per_day).floor()),
                )
            })
            .collect();
        let colour = COLOURS[i];
        chart
            .draw_series(LineSeries::new(points, colour.stroke_width(2)))?
            .label(format!(
                "{block_time} s blocks (n = {}): mean {:.2} d, p10 {:.2}, p90 {:.2}",
                f.height,
                f.prover_reward.mean_days,
                f.prover_reward.p10_days,
                f.prover_reward.p90_days
            ))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour));
    }
    finish(&root, &mut chart, SeriesLabelPosition::LowerRight)
}

/// The days between prover rewards sampled by the statistical mode (Kaplan–Meier CDF over
/// 10,000 slots at N = 500,000, testnet, n = 11, all online) against the closed form of
/// `model::frequencies` (geometric).
fn reward_days_sampled(path: &Path) -> Res {
    let p = Params::testnet();
    let cfg = StatConfig {
        stakers: 500_000,
        slots: 10_000,
        offline: 0.0,
        large_staker_share: 0.0,
        height: 11,
        seed: 1,
    };
    let sim = stats::simulate(&p, &cfg)?;
    let sampled = sim.report.prover_reward_wait;
    let scenario = Scenario {
        stakers: cfg.stakers,
        tx_rate: 10.0,
        offline: 0.0,
    };
    let f = model::frequencies(&p, &scenario)?;
    let slot_days = p.slot_duration as f64 / model::SECONDS_PER_DAY;
    let per_slot = f.prover_reward.per_slot;
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Days between prover rewards, N = 500,000: sampled vs closed form",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..8f64, 0f64..1f64)?;
    chart
        .configure_mesh()
        .x_desc("days until the next credited block")
        .y_desc("P(wait <= days)")
        .draw()?;
    let fmt = |d: Option<f64>| d.map_or("-".to_string(), |d| format!("{d:.2}"));
    // The estimate at every slot up to 8 days (5,760 slots at 120 s).
    let last = ((8.0 / slot_days) as usize).min(sim.prover_reward_cdf.len() - 1);
    let points: Vec<(f64, f64)> = sim.prover_reward_cdf[..=last]
        .iter()
        .enumerate()
        .map(|(t, &cdf)| (t as f64 * slot_days, cdf))
        .collect();
    let colour = COLOURS[0];
    chart
        .draw_series(LineSeries::new(points, colour.mix(0.6).stroke_width(5)))?
        .label(format!(
            "sampled (10,000 slots): mean {} d, p10 {}, p50 {}, p90 {}, p99 {}",
            fmt(sampled.mean_days),
            fmt(sampled.p10_days),
            fmt(sampled.p50_days),
            fmt(sampled.p90_days),
            fmt(sampled.p99_days)
        ))
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(5)));
    let closed: Vec<(f64, f64)> = (0..=800)
        .map(|k| {
            let days = f64::from(k) / 100.0;
            (
                days,
                model::geometric_cdf(per_slot, (days / slot_days).floor()),
            )
        })
        .collect();
    chart
        .draw_series(DashedLineSeries::new(closed, 6, 4, BLACK.stroke_width(1)))?
        .label(format!(
            "closed form: mean {:.2} d, p10 {:.2}, p50 {:.2}, p90 {:.2}, p99 {:.2}",
            f.prover_reward.mean_days,
            f.prover_reward.p10_days,
            f.prover_reward.p50_days,
            f.prover_reward.p90_days,
            model::geometric_quantile(per_slot, 0.99) * slot_days
        ))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK));
    finish(&root, &mut chart, SeriesLabelPosition::LowerRight)
}

/// Share of a round's jobs against the key share (§9.5), R = 2, d = 0, 1, 2.
fn capture(path: &Path) -> Res {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Capture: share of a round's jobs vs key share (R = 2)",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..0.5f64, 0f64..1f64)?;
    chart
        .configure_mesh()
        .x_desc("key share f")
        .y_desc("share of the jobs credited to it")
        .draw()?;
    let fs: Vec<f64> = (0..=100).map(|k| f64::from(k) * 0.005).collect();
    for (i, d) in [0u8, 1, 2].into_iter().enumerate() {
        let colour = COLOURS[i];
        let controlled: Vec<(f64, f64)> = fs
            .iter()
            .map(|&f| (f, model::capture(2, d, f).controlled))
            .collect();
        chart
            .draw_series(LineSeries::new(controlled, colour.stroke_width(2)))?
            .label(format!("d = {d}, controls the transcript"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour));
        let honest: Vec<(f64, f64)> = fs
            .iter()
            .map(|&f| (f, model::capture(2, d, f).honest))
            .collect();
        chart
            .draw_series(DashedLineSeries::new(honest, 6, 4, colour.stroke_width(1)))?
            .label(format!("d = {d}, honest merge rule"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(1)));
    }
    finish(&root, &mut chart, SeriesLabelPosition::LowerRight)
}

/// Penalty and remaining stake per strike (§14.4, testnet defaults).
fn bleed(path: &Path) -> Res {
    let p = Params::testnet();
    let strikes = model::bleed(&p);
    let stake = strikes.first().map_or(0.0, |s| s.remaining + s.slashed);
    let floor = p.ejection_floor.to_string().parse::<f64>()? / 1e18;
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Inactivity bleed: a key that never clears a report (testnet)",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..(strikes.len() as f64 + 0.5), 0f64..stake * 1.05)?;
    chart
        .configure_mesh()
        .x_desc("strikes (one per unanswered report, at least graceSlots + 1 slots apart)")
        .y_desc("stake tokens")
        .draw()?;
    let remaining: Vec<(f64, f64)> = std::iter::once((0.0, stake))
        .chain(strikes.iter().map(|s| (s.strike as f64, s.remaining)))
        .collect();
    let penalty: Vec<(f64, f64)> = strikes
        .iter()
        .map(|s| (s.strike as f64, s.penalty))
        .collect();
    chart
        .draw_series(LineSeries::new(
            remaining.clone(),
            COLOURS[0].stroke_width(2),
        ))?
        .label("remaining stake")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], COLOURS[0]));
    chart.draw_series(
        remaining
            .into_iter()
            .map(|p| Circle::new(p, 3, COLOURS[0].filled())),
    )?;
    chart
        .draw_series(LineSeries::new(penalty.clone(), COLOURS[1].stroke_width(2)))?
        .label("penalty of the strike")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], COLOURS[1]));
    chart.draw_series(
        penalty
            .into_iter()
            .map(|p| Circle::new(p, 3, COLOURS[1].filled())),
    )?;
    let end = strikes.len() as f64 + 0.5;
    chart
        .draw_series(DashedLineSeries::new(
            [(0.0, floor), (end, floor)],
            6,
            4,
            BLACK.stroke_width(1),
        ))?
        .label("ejection floor")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK));
    finish(&root, &mut chart, SeriesLabelPosition::MiddleLeft)
}

/// A log-axis label: `1e-5` rather than the float's noisy decimal expansion.
fn power_of_ten(v: f64) -> String {
    let e = v.log10().round();
    if (v.log10() - e).abs() < 1e-6 {
        if e == 0.0 {
            "1".to_string()
        } else {
            format!("1e{e:.0}")
        }
    } else {
        format!("{v:.1e}")
    }
}
