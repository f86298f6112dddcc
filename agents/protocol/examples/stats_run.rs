//! Runs the statistical mode (`spn_protocol::stats`) once and prints its report as JSON on
//! stdout, and the time `stats::run` took on stderr:
//!
//! ```text
//! cargo run --release -p spn-protocol --example stats_run                          # N = 500,000, 10,000 slots
//! cargo run --release -p spn-protocol --example stats_run -- offline=0.1 large=0.1 seed=2
//! cargo run --release -p spn-protocol --example stats_run -- stakers=2048 slots=100000 height=0 devnet
//! ```
//!
//! Arguments are `key=value` pairs: `stakers`, `slots`, `offline`, `large` (the large staker's key
//! share), `height` (0: the sequencer policy's cap), `seed`, `d` (neighbourhood) and `r`
//! (redundancy); `devnet` switches from the testnet parameters to the devnet's.

use std::error::Error;
use std::time::Instant;

use spn_protocol::stats::{self, StatConfig};
use spn_protocol::Params;

fn main() -> Result<(), Box<dyn Error>> {
    let mut params = Params::testnet();
    let mut cfg = StatConfig {
        stakers: 500_000,
        slots: 10_000,
        offline: 0.0,
        large_staker_share: 0.0,
        height: 11,
        seed: 1,
    };
    let mut overrides = Vec::new();
    for arg in std::env::args().skip(1) {
        if arg == "devnet" {
            params = Params::devnet();
            continue;
        }
        let (key, value) = arg
            .split_once('=')
            .ok_or_else(|| format!("expected key=value or devnet, got {arg}"))?;
        overrides.push((key.to_owned(), value.replace(['_', ','], "")));
    }
    for (key, value) in overrides {
        match key.as_str() {
            "stakers" => cfg.stakers = value.parse()?,
            "slots" => cfg.slots = value.parse()?,
            "offline" => cfg.offline = value.parse()?,
            "large" => cfg.large_staker_share = value.parse()?,
            "height" => cfg.height = value.parse()?,
            "seed" => cfg.seed = value.parse()?,
            "d" => params.neighbourhood = value.parse()?,
            "r" => params.redundancy = value.parse()?,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let build = if cfg!(debug_assertions) {
        "DEBUG build (use --release for timings)"
    } else {
        "release build"
    };
    let start = Instant::now();
    let report = stats::run(&params, &cfg)?;
    let elapsed = start.elapsed().as_secs_f64();
    println!("{}", serde_json::to_string_pretty(&report)?);
    eprintln!(
        "stats::run: N = {}, {} slots, height {} in {elapsed:.2} s ({:.1} µs per slot, {build})",
        cfg.stakers,
        cfg.slots,
        report.height,
        elapsed * 1e6 / cfg.slots as f64
    );
    Ok(())
}
