//! Times `SlotSchedule::build` (the whole-slot schedule: every staker scored once, committees,
//! attesters, sequencer candidates, job owners, unfilled jobs) against a raw SHA-256 loop over
//! the same 64-byte score messages, measured in the same run, and reports peak memory.
//!
//! ```text
//! cargo run --release -p spn-protocol --example slot_schedule_bench              # N = 500,000 and 1,000,000
//! cargo run --release -p spn-protocol --example slot_schedule_bench -- 2000000   # other N (several allowed)
//! SPN_BENCH_HEIGHT=8 cargo run --release -p spn-protocol --example slot_schedule_bench
//! ```
//!
//! Times are the best of `SPN_BENCH_RUNS` (default 7) interleaved runs. Memory comes from
//! `/proc/self/status`: `VmHWM` (peak resident set) is reset through `/proc/self/clear_refs`
//! once the N staker addresses exist, so "peak" is the process's peak while that N ran and
//! "schedule" is that peak minus the resident set before any build (the staker list is input).

use std::hint::black_box;
use std::time::Instant;

use alloy_primitives::{Address, B256, U256};
use sha2::{Digest, Sha256};
use spn_protocol::{selection, Params, SlotSchedule};

/// A `/proc/self/status` field in KiB (Linux only).
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resets `VmHWM` to the current resident set (Linux >= 4.0); false if unavailable.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn stakers(count: u32) -> Vec<Address> {
    (0..count)
        .map(|i| {
            let mut a = [0u8; 20];
            a[..4].copy_from_slice(&i.to_be_bytes());
            a[4..8].copy_from_slice(&i.wrapping_mul(0x9e37_79b9).to_be_bytes());
            Address::from(a)
        })
        .collect()
}

/// `sha256(abi.encode(key, seed))` for every key with the plain `Sha256::digest` API.
fn raw_sha256(stakers: &[Address], seed: B256) -> u8 {
    let mut msg = [0u8; 64];
    msg[32..].copy_from_slice(seed.as_slice());
    let mut acc = 0u8;
    for a in stakers {
        msg[12..32].copy_from_slice(a.as_slice());
        acc ^= Sha256::digest(msg)[0];
    }
    acc
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), spn_protocol::Error> {
    let mut counts: Vec<u32> = std::env::args()
        .skip(1)
        .filter_map(|a| a.replace(['_', ','], "").parse().ok())
        .collect();
    if counts.is_empty() {
        counts = vec![500_000, 1_000_000];
    }
    // Several N: one child process each, so every N starts from a fresh heap and its own peak.
    if counts.len() > 1 {
        let exe = std::env::current_exe().expect("own path");
        for (i, count) in counts.iter().enumerate() {
            let status = std::process::Command::new(&exe)
                .arg(count.to_string())
                .env("SPN_BENCH_QUIET_HEADER", if i > 0 { "1" } else { "" })
                .status()
                .expect("run the benchmark for one N");
            assert!(status.success(), "benchmark for N = {count} failed");
        }
        return Ok(());
    }
    let height: u8 = std::env::var("SPN_BENCH_HEIGHT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(11);
    let runs: usize = std::env::var("SPN_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7)
        .max(1);
    let params = Params::testnet();
    let seed = selection::slot_seed(U256::from(1234), 56);
    // With several N the first child prints the header.
    if std::env::var("SPN_BENCH_QUIET_HEADER").as_deref() != Ok("1") {
        let build = if cfg!(debug_assertions) {
            "DEBUG (use --release)"
        } else {
            "release"
        };
        println!(
            "slot schedule benchmark: testnet parameters, height {height}, best of {runs} runs, {build} build"
        );
    }
    for count in counts {
        let keys = stakers(count);
        // The peak from here on is the input plus whatever the schedule needs.
        let can_reset = reset_peak();
        let rss_before = status_kib("VmRSS:");
        // Warm-up (page faults, caches), untimed.
        black_box(raw_sha256(&keys, seed));
        drop(black_box(SlotSchedule::build(
            &params,
            height,
            seed,
            count.into(),
            &keys,
        )?));

        let mut raw_times = Vec::with_capacity(runs);
        let mut build_times = Vec::with_capacity(runs);
        let mut last = None;
        for _ in 0..runs {
            let t = Instant::now();
            black_box(raw_sha256(black_box(&keys), seed));
            raw_times.push(t.elapsed().as_secs_f64());
            drop(last.take());
            let t = Instant::now();
            let s = SlotSchedule::build(&params, height, seed, count.into(), black_box(&keys))?;
            build_times.push(t.elapsed().as_secs_f64());
            last = Some(s);
        }
        let peak = status_kib("VmHWM:");
        let s = last.expect("ran at least once");
        let best_raw = raw_times.iter().copied().fold(f64::MAX, f64::min);
        let best_build = build_times.iter().copied().fold(f64::MAX, f64::min);
        let memory = match (can_reset, peak, rss_before) {
            (true, Some(p), Some(b)) => format!(
                "peak RSS {:.1} MiB (schedule +{:.2} MiB over {:.1} MiB with the staker list of {:.1} MiB)",
                mib(p),
                mib(p.saturating_sub(b)),
                mib(b),
                (keys.len() * 20) as f64 / (1024.0 * 1024.0)
            ),
            (false, Some(p), _) => format!("peak RSS {:.1} MiB (process-wide, not reset)", mib(p)),
            _ => "peak RSS unavailable (no /proc/self/status)".to_owned(),
        };
        println!(
            "N {count:>9}: schedule {:>7.1} ms (median {:.1}), raw sha256 {:>7.1} ms (median {:.1}), \
             ratio {:.2}; {memory}",
            best_build * 1e3,
            median(build_times) * 1e3,
            best_raw * 1e3,
            median(raw_times) * 1e3,
            best_build / best_raw,
        );
        println!(
            "             round-1 committee {}, attesters {}, sequencer candidates {}, unowned jobs {}, unfilled jobs {}",
            s.committee(1).len(),
            s.attesters().len(),
            s.sequencers().len(),
            s.unowned_jobs().len(),
            s.unfilled_jobs().len(),
        );
    }
    Ok(())
}
