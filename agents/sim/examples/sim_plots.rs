//! Draws the simulator's figures of docs/ECONOMICS.md as SVG (`make plots`):
//!
//! ```text
//! cargo run -p spn-sim --example sim_plots -- docs/plots
//! ```
//!
//! Every point is one `spn sim` run (seed 1) of the `loss-5`-sized network without loss: N = 512
//! at testnet parameters, n = 9, every agent's real core, the contracts in revm.
//! - `latency_by_offline.svg`: proof latency over the critical path against the offline share,
//!   with and without the liveness signal (§9.4);
//! - `withholding_cost.svg`: what withholding sequencers cost the chain (slots without a block)
//!   and themselves (their share of the sequencer rewards against their key share).

use std::error::Error;
use std::path::{Path, PathBuf};

use plotters::prelude::*;
use spn_sim::{Report, Scenario, Sim};

// The legend-and-write step is model_plots' (spn-protocol's examples).
#[path = "../../protocol/examples/common/mod.rs"]
mod common;

use common::{finish, Res};

const SIZE: (u32, u32) = (760, 480);
const BLUE: RGBColor = RGBColor(31, 119, 180);
const RED: RGBColor = RGBColor(214, 39, 40);
const GREEN: RGBColor = RGBColor(44, 160, 44);

fn main() -> Res {
    let out = common::out_dir()?;
    let out = out.as_path();
    latency_by_offline(&out.join("latency_by_offline.svg"))?;
    withholding_cost(&out.join("withholding_cost.svg"))?;
    eprintln!("wrote 2 SVG files to {}", out.display());
    Ok(())
}

fn work_dir() -> PathBuf {
    spn_sim::default_work_dir()
}

fn base(slots: u64) -> Result<Scenario, String> {
    let mut sc = Scenario::load("loss-5")?;
    sc.network.loss = 0.0;
    sc.slots = slots;
    sc.expect = Default::default();
    Ok(sc)
}

fn run(sc: Scenario) -> Result<Report, Box<dyn Error>> {
    let what = format!(
        "offline {:.2} withholding {:.2} liveness {}",
        sc.offline, sc.withholding, sc.liveness
    );
    let r = Sim::new(sc, 1, &work_dir())?.run()?;
    let b = &r.blocks;
    eprintln!(
        "{what}: latency p50 {:.3}x p99 {:.3}x; blocks proposed {} proven {} withheld {} no quorum {} of {} slots; avoidable fallback {}",
        r.latency.p50_ratio, r.latency.p99_ratio, b.proposed, b.proven, b.withheld, b.no_quorum, r.slots,
        r.jobs.avoidable_fallback
    );
    Ok(r)
}

/// One curve: its label, colour, whether solid (else dashed), and points.
struct Curve {
    label: String,
    colour: RGBColor,
    solid: bool,
    points: Vec<(f64, f64)>,
}

/// p50 and p99 latency ratio against the offline share, liveness signal on and off.
fn latency_by_offline(path: &Path) -> Res {
    let offline = [0.0, 0.05, 0.10, 0.20, 0.30];
    let mut lines: Vec<Curve> = Vec::new();
    for liveness in [true, false] {
        let mut p50 = Vec::new();
        let mut p99 = Vec::new();
        for &f in &offline {
            let mut sc = base(10)?;
            sc.offline = f;
            sc.liveness = liveness;
            let r = run(sc)?;
            p50.push((f, r.latency.p50_ratio));
            p99.push((f, r.latency.p99_ratio));
        }
        let (colour, what) = if liveness {
            (BLUE, "liveness signal")
        } else {
            (RED, "without (fill after a job time)")
        };
        lines.push(Curve {
            label: format!("p50, {what}"),
            colour,
            solid: true,
            points: p50,
        });
        lines.push(Curve {
            label: format!("p99, {what}"),
            colour,
            solid: false,
            points: p99,
        });
    }
    let top = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold(2.0f64, f64::max)
        * 1.1;
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Proof latency vs offline provers (spn sim, N = 512, n = 9, testnet)",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..0.3f64, 0f64..top)?;
    chart
        .configure_mesh()
        .x_desc("share of provers offline")
        .y_desc("latency / critical path")
        .draw()?;
    for c in lines {
        let style = c.colour.stroke_width(if c.solid { 2 } else { 1 });
        if c.solid {
            chart.draw_series(LineSeries::new(c.points, style))?
        } else {
            chart.draw_series(DashedLineSeries::new(c.points, 6, 4, style))?
        }
        .label(c.label)
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
    }
    finish(&root, &mut chart, SeriesLabelPosition::UpperLeft)
}

/// Slots without a block, and the withholders' reward share over their key share.
fn withholding_cost(path: &Path) -> Res {
    let shares = [0.0, 0.1, 0.2, 0.3, 0.4];
    let mut empty = Vec::new();
    let mut withheld = Vec::new();
    for &f in &shares {
        let mut sc = base(60)?;
        sc.withholding = f;
        let r = run(sc)?;
        let slots = r.slots as f64;
        empty.push((f, 1.0 - r.blocks.proven as f64 / slots));
        withheld.push((f, r.blocks.withheld as f64 / slots));
    }
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Withholding sequencers (spn sim, N = 512, n = 9, 60 slots, testnet)",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..0.4f64, 0f64..0.5f64)?;
    chart
        .configure_mesh()
        .x_desc("share of sequencers that withhold")
        .y_desc("share of slots")
        .draw()?;
    chart
        .draw_series(LineSeries::new(empty, BLUE.stroke_width(2)))?
        .label("slots without a proven block")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(withheld, GREEN.stroke_width(2)))?
        .label("slots whose best proposal was withheld (no quorum, no reward)")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], GREEN.stroke_width(2)));
    finish(&root, &mut chart, SeriesLabelPosition::UpperLeft)
}
