//! Bad input ends with one clear line on stderr and a non-zero exit.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use super::{anvil_bin, run, spn, KEY};

fn one_line(stderr: &str) -> &str {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "expected one line on stderr, got:\n{stderr}"
    );
    lines[0]
}

#[test]
fn unknown_flag() {
    let mut c = spn();
    c.args(["devnet", "--bogus"]);
    let (code, _, err) = run(c);
    assert_eq!(code, 2);
    let line = one_line(&err);
    assert!(line.contains("unexpected argument '--bogus'"), "{line}");
}

#[test]
fn malformed_key_from_flag_and_env() {
    let mut c = spn();
    c.args(["prover", "--key", "0x1234"]);
    let (code, _, err) = run(c);
    assert_eq!(code, 1);
    let line = one_line(&err);
    assert_eq!(
        line,
        "error: malformed key (--key / SPN_KEY): expected 32 bytes (64 hex digits), got 4 hex digits"
    );

    let mut c = spn();
    c.arg("node").env("SPN_KEY", "not-a-key");
    let (code, _, err) = run(c);
    assert_eq!(code, 1);
    assert!(
        one_line(&err).starts_with("error: malformed key (--key / SPN_KEY)"),
        "{err}"
    );
}

#[test]
fn wrong_rpc_url() {
    // Port 1 on loopback: nothing listens there.
    let mut c = spn();
    c.args(["node", "--key", KEY, "--l1.rpc-url", "http://127.0.0.1:1"]);
    let (code, _, err) = run(c);
    assert_eq!(code, 1);
    assert_eq!(
        one_line(&err),
        "error: cannot reach the L1 RPC at http://127.0.0.1:1: connection refused"
    );
    // Several URLs, all down: one line naming them, after the retries.
    let mut c = spn();
    c.args([
        "node",
        "--key",
        KEY,
        "--l1.rpc-url",
        "http://127.0.0.1:1,http://127.0.0.1:2",
    ]);
    let (code, _, err) = run(c);
    assert_eq!(code, 1);
    assert_eq!(
        one_line(&err),
        "error: cannot reach the L1 RPC at http://127.0.0.1:1,http://127.0.0.1:2: connection refused"
    );
    let mut c = spn();
    c.args(["submitter", "--key", KEY, "--l1.rpc-url", "not a url"]);
    let (code, _, err) = run(c);
    assert_eq!(code, 1);
    assert!(
        one_line(&err).starts_with("error: cannot reach the L1 RPC at not a url: invalid URL"),
        "{err}"
    );
}

#[test]
fn missing_deployment_file_given_explicitly() {
    let mut c = spn();
    c.args([
        "sequencer",
        "--key",
        KEY,
        "--deployment",
        "/nonexistent/31337.json",
    ]);
    let (code, _, err) = run(c);
    assert_eq!(code, 1);
    assert!(
        one_line(&err).starts_with("error: deployment file /nonexistent/31337.json not found"),
        "{err}"
    );
}

#[test]
fn missing_deployment_file_for_the_chain() {
    let mut anvil = std::process::Command::new(anvil_bin())
        .args(["--host", "127.0.0.1", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start anvil");
    let mut port = None;
    for line in BufReader::new(anvil.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.split("Listening on ").nth(1) {
            port = rest.trim().rsplit(':').next().map(str::to_string);
            break;
        }
    }
    let port = port.expect("anvil port");
    let dir = std::env::temp_dir().join(format!("spn-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut c = spn();
    c.args([
        "prover",
        "--key",
        KEY,
        "--l1.rpc-url",
        &format!("http://127.0.0.1:{port}"),
    ])
    .arg("--deployments-dir")
    .arg(&dir);
    let (code, _, err) = run(c);
    let _ = anvil.kill();
    let _ = anvil.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 1);
    let expected = format!(
        "error: deployment file {}/31337.json not found",
        dir.display()
    );
    assert!(one_line(&err).starts_with(&expected), "{err}");
}

#[test]
fn config_file_supplies_flags_and_rejects_unknown_keys() {
    let dir = std::env::temp_dir().join(format!("spn-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("spn.toml");
    std::fs::write(
        &path,
        format!("key = \"{KEY}\"\n[l1]\nrpc-url = \"http://127.0.0.1:1\"\n"),
    )
    .unwrap();
    let mut c = spn();
    c.arg("--config").arg(&path).arg("node");
    let (code, _, err) = run(c);
    assert_eq!(code, 1);
    assert_eq!(
        one_line(&err),
        "error: cannot reach the L1 RPC at http://127.0.0.1:1: connection refused"
    );

    // The environment wins over the file.
    let mut c = spn();
    c.arg("--config")
        .arg(&path)
        .arg("node")
        .env("SPN_KEY", "0x12");
    let (code, _, err) = run(c);
    assert_eq!(code, 1);
    assert!(one_line(&err).starts_with("error: malformed key"), "{err}");

    std::fs::write(&path, "stakerz = 3\n").unwrap();
    let mut c = spn();
    c.arg("devnet").env("SPN_CONFIG", &path);
    let (code, _, err) = run(c);
    assert_eq!(code, 2);
    assert!(one_line(&err).contains("unknown key `stakerz`"), "{err}");

    // A value of the wrong type is the file's error, not a flag's (issue 12).
    std::fs::write(&path, "[devnet]\nstakers = \"many\"\n").unwrap();
    let mut c = spn();
    c.arg("devnet").env("SPN_CONFIG", &path);
    let (code, _, err) = run(c);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 2);
    let line = one_line(&err);
    assert!(
        line.contains("config file") && line.contains("key `stakers`"),
        "{err}"
    );
}

#[test]
fn out_of_range_offline_share_is_refused_before_anything_starts() {
    for bad in ["150%", "1.5", "NaN%", "inf%"] {
        let mut c = spn();
        c.args(["devnet", "--offline-provers", bad]);
        let (code, out, err) = run(c);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(out.is_empty());
        assert!(one_line(&err).contains("offline-provers"), "{err}");
    }
}

#[test]
fn a_key_path_that_does_not_exist_is_named_as_a_path() {
    let mut c = spn();
    c.args(["node", "--key", "/nonexistent/dir/key.hex"]);
    let (code, _, err) = run(c);
    assert_ne!(code, 0);
    assert!(
        one_line(&err).contains("neither 64 hex digits nor a readable file"),
        "{err}"
    );
}

#[test]
fn help_lists_every_subcommand() {
    let mut c = spn();
    c.arg("--help");
    let (code, out, _) = run(c);
    assert_eq!(code, 0);
    for sub in ["devnet", "sequencer", "prover", "node", "submitter"] {
        assert!(out.contains(sub), "{out}");
    }
    let mut c = spn();
    c.args(["devnet", "--help"]);
    let (_, out, _) = run(c);
    assert!(out.contains("[env: SPN_STAKERS=]"), "{out}");
}

/// `spn key`: a new keystore decrypts to the same address; a wrong password, a missing file and a
/// key file others can read each end in one line and exit 2; an agent given a keystore with the
/// wrong password stops before touching the network.
#[test]
fn keystores_round_trip_and_bad_keys_are_named() {
    let dir = std::env::temp_dir().join(format!("spn-keys-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let pw = dir.join("pw");
    std::fs::write(&pw, "correct horse\n").unwrap();
    let mut c = spn();
    c.args(["key", "new", "--json", "--dir"])
        .arg(dir.join("keys"))
        .arg("--password-file")
        .arg(&pw);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let keystore = v["keystore"].as_str().unwrap().to_string();
    let mut c = spn();
    c.args(["key", "address", "--keystore", &keystore])
        .arg("--password-file")
        .arg(&pw);
    let (code, out, _) = run(c);
    assert_eq!(code, 0);
    assert!(out.starts_with(v["address"].as_str().unwrap()), "{out}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&keystore).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "keystore mode {mode:o}");
    }
    let bad = dir.join("bad");
    std::fs::write(&bad, "wrong\n").unwrap();
    for args in [
        vec![
            "key",
            "address",
            "--keystore",
            keystore.as_str(),
            "--password-file",
            bad.to_str().unwrap(),
        ],
        vec![
            "node",
            "--keystore",
            keystore.as_str(),
            "--password-file",
            bad.to_str().unwrap(),
        ],
    ] {
        let mut c = spn();
        c.args(&args);
        let (code, _, err) = run(c);
        assert_ne!(code, 0);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("wrong password"), "{err}");
    }
    let mut c = spn();
    c.args([
        "key",
        "address",
        "--keystore",
        "/nonexistent/k.json",
        "--password-file",
    ])
    .arg(&pw);
    let (code, _, err) = run(c);
    assert_eq!(code, 2);
    assert!(err.contains("no such file"), "{err}");
    let raw = dir.join("raw");
    std::fs::write(&raw, &KEY[2..]).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&raw, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut c = spn();
        c.args(["node", "--key"]).arg(&raw);
        let (code, _, err) = run(c);
        assert_ne!(code, 0);
        assert!(err.contains("chmod 600"), "{err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Regression (issue 12): an unusable data directory (a file in the way, or a directory the user
/// may not write) is one line naming it, before the RPC is contacted, and nothing is created.
#[test]
fn an_unusable_data_directory_is_one_line_before_any_network() {
    let base = std::env::temp_dir().join(format!("spn-datadir-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    let file = base.join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let locked = base.join("locked");
    std::fs::create_dir_all(&locked).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o500)).unwrap();
    }
    // Running as root ignores permissions: the file-in-the-way case still applies.
    let root = std::fs::write(locked.join("probe"), b"").is_ok();
    let mut cases = vec![file.clone()];
    if !root {
        cases.push(locked.join("data"));
    }
    for dir in cases {
        let mut c = spn();
        c.args(["node", "--key", KEY, "--l1.rpc-url", "http://127.0.0.1:1"])
            .arg("--data-dir")
            .arg(&dir);
        let (code, out, err) = run(c);
        assert_ne!(code, 0);
        assert!(out.is_empty());
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(
            err.contains("data directory") && err.contains(&dir.display().to_string()),
            "{err}"
        );
        assert!(
            !err.contains("RPC"),
            "the data directory is checked first: {err}"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    std::fs::remove_dir_all(&base).unwrap();
}

/// Regression (issue 12): each agent's help shows the flags its role uses, and no other role's.
#[test]
fn each_agent_shows_only_its_own_flags() {
    let help = |sub: &str| {
        let mut c = spn();
        c.args([sub, "--help"]);
        let (code, out, err) = run(c);
        assert_eq!(code, 0, "{err}");
        out
    };
    let common = [
        "--l1.rpc-url",
        "--keystore",
        "--p2p.listen",
        "--data-dir",
        "--tx.bump-percent",
    ];
    let cases: [(&str, &[&str], &[&str]); 4] = [
        (
            "sequencer",
            &["--pool.addr", "--wait-active"],
            &["--claim-batch", "--time-scale"],
        ),
        (
            "prover",
            &["--time-scale", "--claim-batch", "--wait-active"],
            &["--pool.addr"],
        ),
        (
            "node",
            &[
                "--pool.addr",
                "--time-scale",
                "--claim-batch",
                "--wait-active",
            ],
            &[],
        ),
        (
            "submitter",
            &["--time-scale"],
            &["--pool.addr", "--claim-batch", "--wait-active"],
        ),
    ];
    for (sub, has, lacks) in cases {
        let out = help(sub);
        for flag in common.iter().chain(has) {
            assert!(out.contains(flag), "spn {sub} --help lacks {flag}:\n{out}");
        }
        for flag in lacks {
            assert!(!out.contains(flag), "spn {sub} --help shows {flag}:\n{out}");
        }
    }
}

/// `spn key bls`: the BLS key derived from the staking key and its proof of possession, as JSON,
/// the arguments `registerBlsKey` takes; the same key always gives the same output, and the proof
/// verifies for the key.
#[test]
fn key_bls_prints_the_registration_arguments() {
    let mut c = spn();
    c.args(["key", "bls"]).env("SPN_KEY", KEY);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let hex = |k: &str| -> Vec<u8> {
        let s = v[k].as_str().unwrap_or_else(|| panic!("{k} in {out}"));
        alloy_primitives::hex::decode(s).unwrap()
    };
    let key = spn_node::keys::parse_key(KEY, "test").unwrap();
    assert_eq!(v["address"].as_str().unwrap(), key.address().to_string());
    let pk = spn_protocol::BlsPublicKey::from_bytes(&hex("publicKey")).unwrap();
    assert_eq!(&pk, spn_protocol::BlsSecretKey::derive(&key).public_key());
    assert_eq!(hex("publicKeyCompressed").len(), 48);
    let pop = spn_protocol::BlsSignature::from_eip2537(&hex("proofOfPossession")).unwrap();
    assert!(pk.verify_pop(&pop));
    // Deterministic; a missing key is one line.
    let mut c = spn();
    c.args(["key", "bls"]).env("SPN_KEY", KEY);
    assert_eq!(run(c).1, out);
    let mut c = spn();
    c.args(["key", "bls"]);
    let (code, _, err) = run(c);
    assert_ne!(code, 0);
    assert!(one_line(&err).contains("missing"), "{err}");
}
