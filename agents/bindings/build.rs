//! Checks that the forge artifacts the bindings are generated from exist, so a missing `out/`
//! fails with one clear message (see `src/lib.rs`) instead of a `sol!` file error per contract.

use std::path::PathBuf;

/// Artifacts of the contracts (paths under `out/`).
const CORE: &[&str] = &[
    "Rollup.sol/Rollup.json",
    "Staking.sol/Staking.json",
    "TranscriptVerifier.sol/TranscriptVerifier.json",
    "BlsVerifier.sol/BlsVerifier.json",
    "TestToken.sol/TestToken.json",
    "Errors.sol/Errors.json",
];

/// Artifacts of the test harnesses (feature `harness`).
const HARNESS: &[&str] = &[
    "SortitionHarness.sol/SortitionHarness.json",
    "TreeHarness.sol/TreeHarness.json",
    "MessagesHarness.sol/MessagesHarness.json",
    "RewardHarness.sol/RewardHarness.json",
    "InactivityHarness.sol/InactivityHarness.json",
    "DiffHarness.sol/SignatureHarness.json",
    "DiffHarness.sol/DomainHarness.json",
    "DiffHarness.sol/SeedHarness.json",
    "DiffHarness.sol/TimeHarness.json",
    "BlsDiffHarness.sol/BlsDiffHarness.json",
];

fn main() {
    println!("cargo::rustc-check-cfg=cfg(spn_missing_artifacts)");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = manifest.join("../../out");
    let mut wanted: Vec<&str> = CORE.to_vec();
    if std::env::var_os("CARGO_FEATURE_HARNESS").is_some() {
        wanted.extend_from_slice(HARNESS);
    }
    let mut missing = Vec::new();
    for artifact in wanted {
        let path = out.join(artifact);
        // sol! tracks the files it reads; this makes a missing one reappearing rerun the check.
        println!("cargo::rerun-if-changed={}", path.display());
        if !path.is_file() {
            missing.push(format!("out/{artifact}"));
        }
    }
    if !missing.is_empty() {
        println!("cargo::rustc-cfg=spn_missing_artifacts");
        println!(
            "cargo::rustc-env=SPN_MISSING_ARTIFACTS={}",
            missing.join(", ")
        );
    }
}
