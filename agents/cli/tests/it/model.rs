//! `spn model`: JSON on stdout only, figures that match the spec and the seed, tables for people.

use serde_json::Value;

use super::{run, spn};

fn model(args: &[&str]) -> Value {
    let mut c = spn();
    c.arg("model").arg("--json").args(args);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "exit {code}; stderr:\n{err}");
    assert!(err.trim().is_empty(), "nothing on stderr, got:\n{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{out}"))
}

fn f(v: &Value, path: &[&str]) -> f64 {
    path.iter()
        .fold(v, |v, k| &v[*k])
        .as_f64()
        .unwrap_or_else(|| panic!("{path:?} missing"))
}

#[test]
fn json_testnet_case_of_issue_11() {
    let v = model(&["--stakers", "2048", "--block-time", "120"]);
    assert_eq!(v["capacity"]["height"], 11);
    assert_eq!(v["capacity"]["total_prover_cost"], 55_292);
    // 55,292 / 120 and the issue's "about 975 when every owner proves its own job".
    assert!((f(&v, &["capacity", "machines_min"]) - 460.77).abs() < 0.01);
    assert!((f(&v, &["capacity", "machines_committee"]) - 975.0).abs() < 1.0);
    // §9.2: e^-4 of the cost unfilled at d = 1, R = 2.
    let d1 = v["unfilled_by_d_and_r"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["neighbourhood"] == 1 && u["redundancy"] == 2)
        .unwrap();
    assert!((f(d1, &["cost_share"]) - 0.0183).abs() < 0.0005);
    assert_eq!(v["bleed"].as_array().unwrap().len(), 8);
}

#[test]
fn json_seed_case_and_env_vars() {
    let mut c = spn();
    c.args(["model", "--block-time", "600"])
        .env("SPN_MODEL_JSON", "true")
        .env("SPN_MODEL_STAKERS", "500000")
        .env("SPN_MODEL_TX_RATE", "10");
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    // The seed's ~400: 10 tx/s x 2 VM proofs x 10 s, twice over.
    assert_eq!(f(&v, &["capacity", "machines_vm_only_redundant"]), 400.0);
    assert_eq!(v["capacity"]["height"], 13);
    assert_eq!(v["capacity"]["exceeds_max_height"], true);
    // The seed: "every 2800 days if the block time is 10 minutes" at 500,000 stakers.
    let days = f(&v, &["frequencies", "sequencing", "mean_days"]);
    assert!((3_400.0..3_700.0).contains(&days), "{days}");
}

#[test]
fn human_tables_and_bad_input() {
    let mut c = spn();
    c.args(["model", "--params", "devnet", "--stakers", "32"]);
    let (code, out, _) = run(c);
    assert_eq!(code, 0);
    for heading in ["Machines", "Days between", "Unfilled", "Capture", "bleed"] {
        assert!(out.contains(heading), "{heading} missing:\n{out}");
    }
    let mut c = spn();
    c.args(["model", "--offline", "1"]);
    let (code, out, err) = run(c);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("offline"), "{err}");
    let mut c = spn();
    c.args(["model", "--params", "/nonexistent.json"]);
    let (code, _, err) = run(c);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
}
