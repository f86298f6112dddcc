//! The external prover backend against real processes: `scripts/hash-prover.py` computes the
//! subtree roots `spn_protocol::tree` computes; backends that hang, fail, print garbage or a
//! wrong root give their error and no `Input::Proved` (nothing for the core to sign).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use alloy_primitives::B256;
use rand::{Rng, SeedableRng};
use spn_core::io::ProveTask;
use spn_core::Input;
use spn_node::prover::{CommandProver, ProverBackend, ProverError};
use spn_node::telemetry::Telemetry;
use spn_protocol::tree::subtree_root;

fn script() -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/hash-prover.py");
    assert!(p.is_file(), "{} missing", p.display());
    p.display().to_string()
}

fn task(rng: &mut impl Rng, width: usize) -> ProveTask {
    let inputs: Vec<B256> = (0..width)
        .map(|_| B256::from(rng.gen::<[u8; 32]>()))
        .collect();
    ProveTask {
        round: 2,
        level: 4,
        index: 3,
        output: subtree_root(&inputs).unwrap(),
        inputs,
    }
}

/// A shell script in a fresh file, run as `sh <file>`; removed on drop.
struct Script(PathBuf);

impl Script {
    fn new(name: &str, body: &str) -> Self {
        let p = std::env::temp_dir().join(format!("spn-prover-{}-{name}.sh", std::process::id()));
        std::fs::write(&p, body).unwrap();
        Self(p)
    }

    fn prover(&self) -> CommandProver {
        CommandProver::parse(&format!("sh {}", self.0.display())).unwrap()
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test]
async fn the_hash_prover_script_computes_subtree_roots() {
    let prover = CommandProver::parse(&format!("python3 {}", script())).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(12);
    let mut took = Vec::new();
    for width in [1usize, 2, 4, 8, 16, 64, 256] {
        for _ in 0..3 {
            let t = task(&mut rng, width);
            let hash = B256::from(rng.gen::<[u8; 32]>());
            let p = prover
                .prove(hash, 7, &t)
                .await
                .unwrap_or_else(|e| panic!("width {width}: {e}"));
            assert_eq!(p.output, t.output, "width {width}");
            assert!(p.seconds >= 0.0 && p.seconds < 30.0, "{}", p.seconds);
            took.push((width, p.elapsed));
        }
    }
    for (width, t) in &took {
        eprintln!(
            "hash-prover.py, {width:>3} inputs: {:.1} ms",
            t.as_secs_f64() * 1e3
        );
    }
    // Through the backend the runtime uses: the core gets the output to check.
    let t = task(&mut rng, 4);
    let telemetry = Telemetry::default();
    let backend = ProverBackend::Command(prover);
    let got = backend
        .prove_job(B256::ZERO, 3, 0.0, &t, &telemetry, "test")
        .await;
    assert!(
        matches!(got, Some(Input::Proved { job: 3, output: Some(o), .. }) if o == t.output),
        "{got:?}"
    );
    assert!(telemetry.encode().contains("spn_prover_seconds_count 1"));
}

/// What a failure must look like.
type Check = Box<dyn Fn(&ProverError) -> bool>;

#[tokio::test]
async fn failing_backends_give_their_error_and_no_result() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let t = task(&mut rng, 4);
    let wrong = B256::repeat_byte(0x42);
    let cases: Vec<(Script, &str, Check)> = vec![
        (
            Script::new("hang", "cat > /dev/null; exec sleep 30\n"),
            "timeout",
            Box::new(|e| matches!(e, ProverError::Timeout(_))),
        ),
        (
            Script::new("exit", "cat > /dev/null; echo 'no GPU found' >&2; exit 1\n"),
            "exit",
            Box::new(|e| matches!(e, ProverError::Exit { stderr, .. } if stderr == "no GPU found")),
        ),
        (
            Script::new("garbage", "cat > /dev/null; echo 'proving... done'\n"),
            "malformed",
            Box::new(|e| matches!(e, ProverError::Malformed(m) if m.contains("proving... done"))),
        ),
        (
            Script::new(
                "wrong",
                &format!("cat > /dev/null; echo '{{\"output\":\"{wrong}\",\"seconds\":0.1}}'\n"),
            ),
            "wrong_output",
            Box::new(
                move |e| matches!(e, ProverError::WrongOutput { got, expected } if *got == wrong && *expected == t.output),
            ),
        ),
        (
            Script::new("deaf", "exit 0\n"),
            "malformed",
            Box::new(|e| matches!(e, ProverError::Malformed(_))),
        ),
    ];
    let telemetry = Telemetry::default();
    for (script, kind, check) in &cases {
        let prover = script.prover().with_timeout(Duration::from_millis(700));
        let started = Instant::now();
        let err = prover.prove(B256::ZERO, 1, &t).await.unwrap_err();
        assert!(check(&err), "{kind}: {err}");
        assert_eq!(err.kind(), *kind);
        assert!(!err.to_string().contains('\n'), "one line: {err}");
        assert!(started.elapsed() < Duration::from_secs(5), "{kind}");
        // The runtime's path: no input for the core, the failure counted by reason.
        let got = ProverBackend::Command(prover)
            .prove_job(B256::ZERO, 1, 0.0, &t, &telemetry, "test")
            .await;
        assert!(got.is_none(), "{kind}: {got:?}");
        let metrics = telemetry.encode();
        assert!(
            metrics.contains(&format!("spn_prover_failures_total{{reason=\"{kind}\"}}")),
            "{metrics}"
        );
    }
    // A program removed after the start.
    let gone = Script::new("gone", "exit 0\n");
    let prover = CommandProver::parse(&gone.0.display().to_string()).unwrap();
    drop(gone);
    let err = prover.prove(B256::ZERO, 1, &t).await.unwrap_err();
    assert_eq!(err.kind(), "spawn", "{err}");
}
