//! Times `SlotSchedule::build` against a raw SHA-256 loop over the same messages.
//!
//! `cargo run --release -p spn-protocol --example slot_schedule_bench -- [stakers] [height]`

use std::hint::black_box;
use std::time::Instant;

use alloy_primitives::{Address, B256, U256};
use sha2::{Digest, Sha256};
use spn_protocol::{selection, Params, SlotSchedule};

fn main() -> Result<(), spn_protocol::Error> {
    let mut args = std::env::args().skip(1);
    let count: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(500_000);
    let height: u8 = args.next().and_then(|a| a.parse().ok()).unwrap_or(11);
    let params = Params::testnet();
    let stakers: Vec<Address> = (0..count)
        .map(|i| {
            let mut a = [0u8; 20];
            a[..4].copy_from_slice(&i.to_be_bytes());
            a[4..8].copy_from_slice(&i.wrapping_mul(0x9e37_79b9).to_be_bytes());
            Address::from(a)
        })
        .collect();
    let seed = selection::slot_seed(U256::from(1234), 56);

    let raw = |stakers: &[Address], seed: B256| {
        let mut msg = [0u8; 64];
        msg[32..].copy_from_slice(seed.as_slice());
        let mut acc = 0u8;
        for a in stakers {
            msg[12..32].copy_from_slice(a.as_slice());
            acc ^= Sha256::digest(msg)[0];
        }
        acc
    };
    let mut best_raw = f64::MAX;
    let mut best_build = f64::MAX;
    let mut last = None;
    for _ in 0..5 {
        let t = Instant::now();
        black_box(raw(black_box(&stakers), seed));
        best_raw = best_raw.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let s = SlotSchedule::build(&params, height, seed, u64::from(count), black_box(&stakers))?;
        best_build = best_build.min(t.elapsed().as_secs_f64());
        last = Some(s);
    }
    let s = last.expect("ran at least once");
    println!(
        "stakers {count} height {height}: raw sha256 {:.1} ms, build {:.1} ms, ratio {:.2}; \
         round-1 committee {}, attesters {}, sequencers {}, unowned {}, unfilled {}",
        best_raw * 1e3,
        best_build * 1e3,
        best_build / best_raw,
        s.committee(1).len(),
        s.attesters().len(),
        s.sequencers().len(),
        s.unowned_jobs().len(),
        s.unfilled_jobs().len(),
    );
    Ok(())
}
