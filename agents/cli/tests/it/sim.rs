//! `spn sim`: the same seed gives the same bytes across processes, JSON on stdout only, and bad
//! scenarios end in a one-line error.

use serde_json::Value;

use super::{run, spn};

fn sim(args: &[&str]) -> (i32, String, String) {
    let mut c = spn();
    c.arg("sim").args(args);
    run(c)
}

/// Two processes (each with its own hash seeds) give byte-identical reports for one seed.
#[test]
fn same_seed_same_bytes_across_processes() {
    let args = [
        "--scenario",
        "crash-restart",
        "--slots",
        "4",
        "--seed",
        "3",
        "--json",
    ];
    let (code, a, err) = sim(&args);
    assert!(code == 0 || code == 1, "exit {code}; stderr:\n{err}");
    let (_, b, _) = sim(&args);
    assert_eq!(a, b);
    let v: Value = serde_json::from_str(&a).unwrap_or_else(|e| panic!("not JSON ({e}):\n{a}"));
    assert_eq!(v["seed"], 3);
    assert!(v["digest"].as_str().unwrap().starts_with("0x"));
    assert!(v["blocks"]["proven"].as_u64().unwrap() >= 2, "{a}");
    let (_, c, _) = sim(&[
        "--scenario",
        "crash-restart",
        "--slots",
        "4",
        "--seed",
        "4",
        "--json",
    ]);
    assert_ne!(a, c);
}

#[test]
fn list_statistical_and_bad_input() {
    let (code, out, _) = sim(&["--list"]);
    assert_eq!(code, 0);
    for name in [
        "testnet-2048",
        "crash-restart",
        "withholding",
        "capture",
        "stripping-submitter",
        "loss-5",
    ] {
        assert!(out.contains(name), "{out}");
    }
    let (code, out, err) = sim(&["--scenario", "statistical-500k", "--slots", "200", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["config"]["stakers"], 500_000);
    let (code, _, err) = sim(&["--scenario", "nope"]);
    assert_eq!(code, 2);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("testnet-2048"), "{err}");
    let dir = std::env::temp_dir().join(format!("spn-sim-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.toml");
    std::fs::write(
        &file,
        "name = \"x\"\ndescription = \"\"\nstakers = 64\nslots = 1\nloss = 2\n",
    )
    .unwrap();
    let (code, _, err) = sim(&["--scenario", file.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("loss"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Logs on stderr: no colour codes when stderr is not a terminal, and with `--log-format json`
/// one JSON object per line.
#[test]
fn logs_are_plain_or_json_when_not_on_a_terminal() {
    let args = ["--scenario", "bleed", "--slots", "2", "--log", "spn=info"];
    let mut c = spn();
    c.arg("sim").args(args);
    let (_, _, human) = run(c);
    assert!(!human.is_empty());
    assert!(!human.contains('\u{1b}'), "{human}");
    let mut c = spn();
    c.arg("sim").args(args).args(["--log-format", "json"]);
    let (_, _, json) = run(c);
    let logs: Vec<&str> = json.lines().filter(|l| !l.starts_with("error:")).collect();
    assert!(!logs.is_empty(), "{json}");
    for l in logs {
        let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
        assert!(v["level"].is_string() && v["target"].is_string(), "{l}");
    }
}
