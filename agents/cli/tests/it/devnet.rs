//! Whole devnet runs against a real anvil: `spn devnet --json` starts anvil on 127.0.0.1 at a
//! free port, deploys, registers 32 stakers, runs every agent and stops anvil at the end.
//! Devnets run one at a time (they are timed against the L1 clock on 2 cores).

use std::sync::Mutex;

use serde_json::Value;

use super::{run, spn};

static SERIAL: Mutex<()> = Mutex::new(());

pub(super) fn devnet(args: &[&str]) -> Value {
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut c = spn();
    c.args(["devnet", "--json", "--stakers", "32"]).args(args);
    let (code, out, err) = run(c);
    let report: Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("no JSON report ({e}); exit {code}; stderr:\n{err}"));
    assert_eq!(code, 0, "exit {code}; stderr:\n{err}\nreport:\n{out}");
    // anvil is gone once the command returned.
    let url = report["l1_rpc"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://")
        .to_string();
    assert!(
        std::net::TcpStream::connect(&url).is_err(),
        "anvil still listening at {url}"
    );
    report
}

pub(super) fn u(v: &Value, k: &str) -> u64 {
    v[k].as_u64()
        .unwrap_or_else(|| panic!("{k} missing in {v}"))
}

#[test]
fn full_lifecycle_pays_every_role_by_the_formulas() {
    let r = devnet(&["--blocks", "3"]);
    assert!(u(&r, "blocks_proposed") >= 3);
    assert!(u(&r, "blocks_proven") >= 3);
    assert_eq!(u(&r, "blocks_pruned"), 0);
    assert!(u(&r, "distinct_provers") > 0);
    assert_eq!(
        u(&r, "jobs_total"),
        u(&r, "jobs_by_assigned") + u(&r, "jobs_by_neighbour") + u(&r, "jobs_unfilled")
    );
    // Every withdrawer and the submitter hold exactly what spn-protocol's reward formulas give.
    assert_eq!(
        r["balances_match"],
        Value::Bool(true),
        "{}",
        r["balance_mismatches"]
    );
    // The submitters' and sequencers' totals, recomputed here from the per-block coverage with
    // spn-protocol (credited jobs = committee jobs - unfilled).
    let params = spn_protocol::Params::devnet();
    let coverage = |b: &Value| {
        spn_protocol::rewards::Coverage::from_unfilled(u(b, "jobs"), u(b, "unfilled")).unwrap()
    };
    let blocks = r["blocks"].as_array().unwrap();
    let submitter: alloy_primitives::U256 = blocks
        .iter()
        .map(|b| spn_protocol::rewards::submitter_due(&params, coverage(b)))
        .sum();
    let sequencer: alloy_primitives::U256 = blocks
        .iter()
        .map(|b| spn_protocol::rewards::sequencer_due(&params, coverage(b)))
        .sum();
    assert_eq!(
        r["rewards"]["submitter"],
        spn_node::agent::fmt_tokens(submitter),
        "submitter rewards differ from submitter * credited / committee jobs"
    );
    assert_eq!(
        r["rewards"]["sequencer"],
        spn_node::agent::fmt_tokens(sequencer),
        "sequencer rewards differ from sequencerBase + sequencerCoverage * credited / committee jobs"
    );
    for b in blocks {
        let c = coverage(b);
        assert!(
            spn_protocol::rewards::meets_coverage(c, params.min_coverage_bps),
            "a proven block below the minimum coverage: {b}"
        );
    }
    assert!(u(&r["rewards"], "claims") > 0);
    for op in ["propose", "submitProof", "claim"] {
        assert!(u(&r["gas"][op], "count") > 0, "no {op} gas in {}", r["gas"]);
    }
    for k in ["p50", "max"] {
        assert!(r["proof_latency_seconds"][k].as_f64().unwrap() > 0.0);
    }
    assert!(r["critical_path_seconds"].as_f64().unwrap() > 0.0);
    assert_eq!(u(&r, "rejected_messages"), 0);
}

#[test]
fn offline_provers_are_covered_by_neighbourhood_fill() {
    let r = devnet(&["--blocks", "3", "--offline-provers", "25%"]);
    assert_eq!(u(&r, "offline_provers"), 8);
    assert!(u(&r, "blocks_proven") >= 3);
    assert!(u(&r, "jobs_by_neighbour") > 0, "{r}");
    assert_eq!(u(&r, "offline_credited"), 0);
    assert_eq!(
        r["balances_match"],
        Value::Bool(true),
        "{}",
        r["balance_mismatches"]
    );
}

#[test]
fn withholding_sequencer_gets_no_quorum_and_the_next_slot_proceeds() {
    let r = devnet(&["--blocks", "2", "--fault.withhold", "1"]);
    assert_eq!(u(&r, "withheld_proposals"), 1);
    assert!(u(&r, "proposals_without_quorum") >= 1);
    let withheld = &r["withheld"][0];
    let proposed = r["proposed"].as_array().unwrap();
    assert!(
        proposed.iter().all(|p| p["hash"] != withheld["hash"]),
        "the withheld block reached L1"
    );
    let slot = u(withheld, "slot");
    assert!(
        proposed.iter().any(|p| u(p, "slot") > slot),
        "no later block: {r}"
    );
    assert!(u(&r, "blocks_proven") >= 2);
}

#[test]
fn unproven_block_is_pruned_and_the_chain_continues() {
    let r = devnet(&["--blocks", "2", "--fault.skip-proofs", "1"]);
    assert!(u(&r, "blocks_pruned") >= 1, "{r}");
    assert!(u(&r, "blocks_proven") >= 2);
    assert_eq!(
        r["balances_match"],
        Value::Bool(true),
        "{}",
        r["balance_mismatches"]
    );
}

#[test]
fn forged_messages_are_dropped_and_blocks_still_proven() {
    // Two job results are each followed by a wrong output, a root job signed by a prover, a
    // signature that is not the claimed prover's, and an oversized payload.
    let r = devnet(&["--blocks", "2", "--fault.forge", "2"]);
    assert!(u(&r, "rejected_messages") >= 8, "{r}");
    assert!(u(&r, "blocks_proven") >= 2);
    assert_eq!(
        r["balances_match"],
        Value::Bool(true),
        "{}",
        r["balance_mismatches"]
    );
}

/// Staker 15's key, `keccak256(abi.encode("spn.staker", 15)) mod n`: the last of
/// [`OWN_PROCESS_DEVNET`]'s stakers, the one `--offline-provers 1` leaves to a process of its own.
const STAKER_15: &str = "0x85ee96f09fd22673d4c740a1584b4600fa38262bc7f35bbcc7694782dfcb36ec";

/// The devnet a standalone node joins. The merge rule (§9.4) credits a job to its lowest-scoring
/// owner, so a node is paid only for jobs where no co-owner scores lower: with 32 stakers the
/// node sat on three committees in a 12-block run and was outscored on all three jobs (a CI
/// failure). With 16 the same committee target covers three in four stakers, so the node owns
/// a job in most blocks, and being outscored on every one of them becomes rare.
const OWN_PROCESS_DEVNET: [&str; 6] = [
    "--stakers",
    "16",
    "--blocks",
    "12",
    "--offline-provers",
    "1",
];

/// `spn status` and `spn stake` against the running devnet (training wheel on): a key without
/// stake tokens is refused in one line; once it holds them (minted with the project's cast), it
/// registers with its BLS key, shows up in `spn status`, and its withdrawer starts its exit.
fn operator_commands(file: &std::path::Path, port: &str) {
    let rpc = format!("http://127.0.0.1:{port}");
    let with_l1 = |args: &[&str]| {
        let mut c = spn();
        c.args(args)
            .args(["--l1.rpc-url", &rpc])
            .arg("--deployment")
            .arg(file);
        super::run(c)
    };
    let staker0 = spn_node::keys::devnet_staker_key(0).address().to_string();
    let (code, out, err) = with_l1(&["status", "--json", "--address", &staker0]);
    assert_eq!(code, 0, "{err}");
    let s: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(s["key"]["registered"], true, "{s}");
    assert!(s["active_stakers"].as_u64().is_some());

    let (code, _, err) = with_l1(&["stake", "register", "--key", super::KEY]);
    assert_ne!(code, 0);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("stake token"), "{err}");

    let d: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let token = d["stakeToken"]
        .as_str()
        .or(d["contracts"]["stakeToken"].as_str())
        .unwrap()
        .to_string();
    let cast = super::repo().join("node_modules/@foundry-rs/cast-linux-amd64/bin/cast");
    let me = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
    let minted = std::process::Command::new(cast)
        .args([
            "send",
            "--rpc-url",
            &rpc,
            "--private-key",
            super::KEY,
            &token,
        ])
        .args(["mint(address,uint256)", me, "1000000000000000000000000"])
        .output()
        .unwrap();
    assert!(
        minted.status.success(),
        "{}",
        String::from_utf8_lossy(&minted.stderr)
    );
    let (code, out, err) = with_l1(&["stake", "register", "--json", "--key", super::KEY]);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["action"], "registered");
    // The devnet runs the training wheel: the derived BLS key was registered with the stake.
    assert_eq!(r["bls_key_registered"], true, "{r}");
    let (code, out, _) = with_l1(&["status", "--json", "--key", super::KEY]);
    assert_eq!(code, 0);
    let s: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["key"]["registered"], true, "{s}");
    assert_eq!(s["key"]["bls_key_registered"], true, "{s}");
    assert!(s["training_wheel"]["on"].as_bool().unwrap_or(false), "{s}");
    let (code, out, err) = with_l1(&[
        "stake",
        "exit",
        "--json",
        "--key",
        super::KEY,
        "--staker",
        me,
    ]);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["action"], "exiting");
    assert_ne!(r["exit_epoch"], u64::from(u32::MAX), "{r}");

    // `spn claim`: once a block is proven, a committee member's share is claimed from L1 alone
    // (the devnet's agents claim only at the end); a second run finds nothing left to claim.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    loop {
        let (_, out, _) = with_l1(&["status", "--json"]);
        let s: Value = serde_json::from_str(&out).unwrap_or_default();
        if s["proven_tip"].as_u64().unwrap_or(0) >= 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no block proven: {s}");
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let claimed = (0..32).find_map(|i| {
        let key = spn_node::keys::devnet_staker_key(i)
            .secret_bytes()
            .to_string();
        let (code, out, err) = with_l1(&["claim", "--json", "--key", &key]);
        assert_eq!(code, 0, "{err}");
        let r: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        let blocks = r["blocks_claimed"].as_array().map_or(0, Vec::len);
        (blocks > 0).then_some((key, r))
    });
    let (key, r) = claimed.expect("some committee member had a share to claim");
    assert_ne!(r["amount"], "0.0000", "{r}");
    assert_eq!(r["transactions"].as_array().unwrap().len(), 1, "{r}");
    let (code, out, err) = with_l1(&["claim", "--json", "--key", &key]);
    assert_eq!(code, 0, "{err}");
    let again: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(again["blocks_claimed"], Value::Array(vec![]), "{again}");
    assert!(again["already_claimed"].as_u64().unwrap() >= 1, "{again}");
}

/// Starts `spn devnet --json ARGS` writing its deployment into `dir`; returns the process, the
/// deployment file (once it lists the agents' peers) and anvil's port.
fn start_devnet(
    dir: &std::path::Path,
    args: &[&str],
) -> (std::process::Child, std::path::PathBuf, String) {
    let mut c = spn();
    c.arg("devnet")
        .arg("--json")
        .args(args)
        .arg("--deployments-dir")
        .arg(dir)
        .stdout(std::process::Stdio::piped())
        // Its warnings, in the directory, for a failing test to show (`SPN_TEST_DEVNET_LOG`
        // sets another filter, e.g. `info,spn::prover=debug`).
        .env(
            "SPN_LOG",
            std::env::var("SPN_TEST_DEVNET_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stderr(std::fs::File::create(dir.join("devnet.log")).unwrap());
    let devnet = c.spawn().expect("start devnet");
    // The devnet lists its agents' libp2p addresses in its deployment file once they listen.
    let mut file = None;
    for _ in 0..600 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        file = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains("bootnodes")));
        if file.is_some() {
            break;
        }
    }
    let file = file.expect("devnet deployment file with peers");
    let port = file
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .rsplit('-')
        .next()
        .unwrap()
        .trim_end_matches(".json")
        .to_string();
    (devnet, file, port)
}

/// The operator commands against a devnet of their own (a key registered mid-run changes N, and
/// with it the committees the other tests count on).
#[test]
fn operator_commands_against_a_running_devnet() {
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::env::temp_dir().join(format!("spn-ops-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // With the training wheel, so that `spn stake register` registers the BLS key too.
    let (devnet, file, port) = start_devnet(&dir, &["--blocks", "4", "--training-wheel"]);
    operator_commands(&file, &port);
    let out = devnet.wait_with_output().expect("devnet");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success());
    // The agents' own final claims skip the share `spn claim` took: every balance still matches.
    let r: Value = serde_json::from_slice(&out.stdout).expect("report");
    assert_eq!(
        r["balances_match"],
        Value::Bool(true),
        "{}",
        r["balance_mismatches"]
    );
}

/// Staker 31 (registered by the devnet, not run by it) as a `spn node` process of its own: it
/// waits to be active, claims every block, logs its decisions at debug level to `log` (so a
/// failure shows what it saw).
fn standalone_node(
    file: &std::path::Path,
    port: &str,
    log: &std::path::Path,
    extra: &[&str],
) -> std::process::Child {
    let mut node = spn();
    node.args([
        "node",
        "--key",
        STAKER_15,
        "--claim-batch",
        "1",
        "--wait-active",
    ])
    .args(["--l1.rpc-url", &format!("http://127.0.0.1:{port}")])
    .arg("--deployment")
    .arg(file)
    .args(extra)
    .env("SPN_LOG", "info,spn=debug")
    .stdout(std::process::Stdio::null())
    .stderr(std::fs::File::create(log).unwrap());
    node.spawn().expect("start node")
}

/// A staker's node as its own process: it joins the devnet over libp2p, is SIGKILLed once it has
/// proved a job, and restarts from its data directory: the block is still proven, the restarted
/// node reads its signing record (and signs nothing that conflicts with it), and it is paid.
#[test]
fn standalone_node_joins_the_devnet_and_survives_a_sigkill() {
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::env::temp_dir().join(format!("spn-join-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // The devnet runs 15 of its 16 stakers; staker 15 runs as its own process.
    let (devnet, file, port) = start_devnet(&dir, &OWN_PROCESS_DEVNET);
    let node = |log: &std::path::Path| {
        standalone_node(
            &file,
            &port,
            log,
            &["--data-dir", dir.join("data").to_str().unwrap()],
        )
    };
    let first_log = dir.join("node-1.log");
    let mut first = node(&first_log);
    // A key the devnet never registered (anvil's deployer) is refused, in one line.
    let mut stranger = spn();
    stranger
        .args(["node", "--key", super::KEY])
        .args(["--l1.rpc-url", &format!("http://127.0.0.1:{port}")])
        .arg("--deployment")
        .arg(&file);
    let (code, _, err) = super::run(stranger);
    assert_ne!(code, 0);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("not registered") && err.contains("spn stake register"),
        "{err}"
    );
    // SIGKILL mid-work: once the node has proved (and so signed) a job.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(240);
    while !std::fs::read_to_string(&first_log)
        .unwrap_or_default()
        .contains("proved job")
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    first.kill().expect("SIGKILL the node");
    let _ = first.wait();
    let second_log = dir.join("node-2.log");
    let mut second = node(&second_log);
    let out = devnet.wait_with_output().expect("devnet");
    let _ = second.kill();
    let _ = second.wait();
    let text = String::from_utf8_lossy(&out.stdout);
    let r: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("no report ({e}): {text}"));
    let logs = format!(
        "first run:\n{}\nafter the SIGKILL:\n{}",
        std::fs::read_to_string(&first_log).unwrap_or_default(),
        std::fs::read_to_string(&second_log).unwrap_or_default()
    );
    let devnet_log = std::fs::read_to_string(dir.join("devnet.log")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "{r}");
    assert!(u(&r, "blocks_proven") >= 12);
    assert_eq!(u(&r, "blocks_pruned"), 0, "{r}");
    assert!(logs.contains("proved job"), "{logs}");
    // The restarted node found the record of what it signed before the kill.
    let after = logs.split("after the SIGKILL:").nth(1).unwrap_or_default();
    let reopened = after
        .lines()
        .find(|l| l.contains("messages signed before"))
        .unwrap_or_else(|| panic!("no data directory line:\n{logs}"));
    assert!(
        !reopened.contains("(0 messages"),
        "the record was lost: {reopened}"
    );
    assert!(!logs.contains("slashing protection"), "{logs}");
    // The separate process proved jobs that made it into transcripts, and claimed its share.
    assert!(
        u(&r, "offline_credited") >= 1,
        "{logs}\ndevnet log:\n{devnet_log}"
    );
    assert!(
        logs.contains("claimed"),
        "{logs}\ndevnet log:\n{devnet_log}"
    );
}

/// `GET path` on a local HTTP server: status and body, or none if it does not answer.
fn http_get(addr: &str, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}

/// A sample of a scraped exposition (`name{labels} value`), 0 if absent.
fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

/// A standalone node proving with an external command (scripts/hash-prover.py, which hashes)
/// and serving metrics: its checked results are credited in the devnet's transcripts, and its
/// `/metrics` and `/health` report it while it runs.
#[test]
fn node_with_an_external_prover_is_credited_and_reports_metrics() {
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::env::temp_dir().join(format!("spn-prover-cmd-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (mut devnet, file, port) = start_devnet(&dir, &OWN_PROCESS_DEVNET);
    let log = dir.join("node.log");
    let script = super::repo().join("scripts/hash-prover.py");
    let command = format!("python3 {}", script.display());
    let data = dir.join("data");
    let mut node = standalone_node(
        &file,
        &port,
        &log,
        &[
            "--metrics.addr",
            "127.0.0.1:0",
            "--prover.command",
            &command,
            "--data-dir",
            data.to_str().unwrap(),
        ],
    );

    // The endpoint's address (port 0: any free port) is in the node's log.
    let mut endpoint = None;
    let mut health_ok = false;
    let mut last_metrics = String::new();
    // Peers drop to 0 once the devnet stops, possibly before the last sample: keep the most seen.
    let mut most_peers = 0.0f64;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
    while devnet.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(500));
        if endpoint.is_none() {
            endpoint = std::fs::read_to_string(&log).ok().and_then(|t| {
                let at = t.find("metrics at http://")? + "metrics at http://".len();
                Some(t[at..].split('/').next()?.to_string())
            });
        }
        let Some(addr) = &endpoint else { continue };
        if let Some((200, body)) = http_get(addr, "/metrics") {
            most_peers = most_peers.max(sample(&body, "spn_peers"));
            last_metrics = body;
        }
        if let Some((status, body)) = http_get(addr, "/health") {
            assert!(
                (status == 200 && body.contains(r#""status":"ok""#))
                    || (status == 503 && body.contains(r#""reason""#)),
                "{status} {body}"
            );
            health_ok |= status == 200;
        }
    }
    let _ = devnet.kill();
    let out = devnet.wait_with_output().expect("devnet");
    let _ = node.kill();
    let _ = node.wait();
    let text = String::from_utf8_lossy(&out.stdout);
    let node_log = std::fs::read_to_string(&log).unwrap_or_default();
    let devnet_log = std::fs::read_to_string(dir.join("devnet.log")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    let r: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("no report ({e}): {text}\nnode log:\n{node_log}"));
    assert!(out.status.success(), "{r}");
    assert!(u(&r, "blocks_proven") >= 12);
    assert!(
        endpoint.is_some(),
        "no metrics address in the node log:\n{node_log}"
    );
    assert!(health_ok, "/health never 200; node log:\n{node_log}");
    // Every job the node proved went through the script, and none failed.
    let runs = sample(&last_metrics, "spn_prover_seconds_count");
    let jobs: f64 = ["own", "fill", "root", "unfilled", "fallback"]
        .iter()
        .map(|k| sample(&last_metrics, &format!("spn_jobs_total{{kind=\"{k}\"}}")))
        .sum();
    assert!(runs >= 1.0 && jobs >= 1.0, "{last_metrics}");
    let mean = sample(&last_metrics, "spn_prover_seconds_sum") / runs;
    eprintln!("external prover: {runs} runs, {jobs} jobs published, {mean:.3} s per run");
    assert!(
        !last_metrics.contains("spn_prover_failures_total{"),
        "{last_metrics}"
    );
    assert!(!node_log.contains("not signed"), "node log:\n{node_log}");
    assert!(sample(&last_metrics, "spn_l1_head") > 0.0, "{last_metrics}");
    assert!(most_peers >= 1.0, "no peer ever connected: {last_metrics}");
    assert!(sample(&last_metrics, "spn_attestations_received_total") > 0.0);
    // Its script-proven results made it into transcripts.
    assert!(
        u(&r, "offline_credited") >= 1,
        "node log:\n{node_log}\ndevnet log:\n{devnet_log}"
    );
}

/// Starts `spn devnet` writing into a fresh directory, waits until its deployment file lists the
/// agents' libp2p addresses (every agent running), sends `signal` and checks the run stops
/// cleanly: exit 130 with the one-line notice, no panic, the file removed and anvil gone. The
/// process is killed if any of that does not happen in time.
fn interrupted_devnet_cleans_up(signal: &str) {
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::env::temp_dir().join(format!("spn-signal-{signal}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut c = spn();
    c.args(["devnet", "--json", "--blocks", "50"])
        .arg("--deployments-dir")
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("start devnet");
    let files = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(&dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    let file = loop {
        let running = |p: &std::path::PathBuf| {
            std::fs::read_to_string(p).is_ok_and(|t| t.contains("bootnodes"))
        };
        if let Some(f) = files().into_iter().find(running) {
            break Some(f);
        }
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let Some(file) = file else {
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        panic!(
            "no deployment file; stderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let port = file
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .rsplit('-')
        .next()
        .unwrap()
        .to_string();
    let sent = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -{signal} failed");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    if child.try_wait().unwrap().is_none() {
        let _ = child.kill();
    }
    let out = child.wait_with_output().unwrap();
    let left = files();
    let _ = std::fs::remove_dir_all(&dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(130),
        "{:?}; stderr:\n{err}",
        out.status
    );
    assert!(err.contains("interrupted"), "stderr:\n{err}");
    assert!(!err.contains("panicked"), "stderr:\n{err}");
    assert!(left.is_empty(), "left behind: {left:?}");
    // anvil was sent SIGKILL before the devnet exited; give the kernel a moment to close its port.
    let gone = (0..50).any(|_| {
        let closed = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).is_err();
        if !closed {
            std::thread::sleep(Duration::from_millis(100));
        }
        closed
    });
    assert!(gone, "anvil still listening on port {port}");
}

#[test]
fn sigint_removes_the_deployment_file_and_stops_anvil() {
    interrupted_devnet_cleans_up("INT");
}

#[test]
fn sigterm_removes_the_deployment_file_and_stops_anvil() {
    interrupted_devnet_cleans_up("TERM");
}

/// A griefer reports online committee members that worked: each clears its report within grace
/// (its agent's defence, with its credited leaf or a signed result) and loses nothing.
#[test]
fn a_griefed_online_node_clears_the_report_and_loses_nothing() {
    let r = devnet(&["--blocks", "5", "--fault.grief", "2"]);
    let g = &r["grief"];
    assert_eq!(u(g, "filed"), 2, "{g}");
    assert_eq!(u(g, "cleared"), 2, "{g}");
    assert_eq!(u(g, "struck"), 0, "{g}");
    assert_eq!(g["stake_lost"], "0.0000", "{g}");
    assert_eq!(
        r["balances_match"],
        Value::Bool(true),
        "{}",
        r["balance_mismatches"]
    );
}

/// The submitter with `--report-missed` reports round-1 members that published nothing: only
/// keys whose agents never ran are reported (and, after grace, struck); no running key is.
#[test]
fn the_submitter_reports_offline_members_only() {
    let r = devnet(&[
        "--blocks",
        "8",
        "--offline-provers",
        "4",
        "--report-missed",
        "2",
    ]);
    let i = &r["inactivity"];
    assert!(u(i, "reported_offline") >= 1, "{i}");
    assert_eq!(u(i, "reported_online"), 0, "{i}");
    assert_eq!(u(i, "struck_online"), 0, "{i}");
    assert_eq!(u(&r, "blocks_pruned"), 0, "{r}");
}

/// The BLS training wheel (issue 13): every staker registers its derived BLS key, round-1
/// members sign each block's transition, and every block is proven through `submitSignedProof`
/// with exactly the quorum's `required` signers (the lowest addresses of those who signed);
/// rewards are untouched by the wheel, so balances still match the formulas.
#[test]
fn the_training_wheel_proves_every_block_with_the_committees_signature() {
    let bps = 5_000;
    let r = devnet(&[
        "--blocks",
        "10",
        "--training-wheel",
        "--training-wheel-bps",
        &bps.to_string(),
    ]);
    let proven = u(&r, "blocks_proven");
    assert!(proven >= 10, "{r}");
    assert_eq!(u(&r, "signed_proofs"), proven, "{r}");
    assert_eq!(u(&r["gas"]["submitProof"], "count"), 0);
    assert_eq!(u(&r["bls_gas"], "count"), proven);
    assert_eq!(u(&r["training_wheel"], "bls_keys"), 32);
    assert_eq!(
        r["balances_match"],
        Value::Bool(true),
        "{}",
        r["balance_mismatches"]
    );
    assert_eq!(u(&r, "rejected_messages"), 0, "{r}");
    // Each proof carried the quorum of its block's height: `required` of the expected round-1
    // committee `min(R · jobs(1), N / 2)` with N = 32.
    let p = spn_protocol::Params::devnet();
    let required: Vec<u64> = r["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let n = u8::try_from(u(b, "height")).unwrap();
            spn_protocol::bls::Quorum::new(n, p.round_height, p.redundancy, 32, bps)
                .unwrap()
                .required
        })
        .collect();
    let mean = required.iter().sum::<u64>() as f64 / required.len() as f64;
    let got = r["mean_bls_signers"].as_f64().unwrap();
    assert!(
        (got - mean).abs() < 1e-9,
        "mean signers {got}, quorums {required:?}"
    );
    assert!(got >= 2.0, "{got}");
}
