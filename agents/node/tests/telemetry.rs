//! The metrics endpoint over real HTTP: `/metrics` parses as the text exposition format and
//! carries what the agents recorded; `/health` turns 503 when no loop ran or L1 stalls, 200
//! while both are fresh; slow clients are cut off like the pool's.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::U256;
use spn_node::metrics::Metrics;
use spn_node::telemetry::{self, Telemetry, OPENMETRICS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// `GET path` with a fresh connection: (status, content type, body).
async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut raw))
        .await
        .expect("answer within 5 s")
        .unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("headers");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let ctype = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_string)
        })
        .unwrap_or_default();
    (status, ctype, body.to_string())
}

/// Parses the text exposition format: every line a `# ...` comment or `name{labels} value`;
/// returns the samples by `name{labels}`.
fn parse(body: &str) -> HashMap<String, f64> {
    let mut samples = HashMap::new();
    for line in body.lines() {
        if line.starts_with('#') {
            assert!(
                line.starts_with("# HELP ")
                    || line.starts_with("# TYPE ")
                    || line.starts_with("# UNIT ")
                    || line == "# EOF",
                "comment {line:?}"
            );
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line:?}"));
        let name = series.split('{').next().unwrap();
        assert!(
            name.starts_with("spn_") && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "name {name:?}"
        );
        if let Some(labels) = series.strip_prefix(name) {
            if !labels.is_empty() {
                assert!(
                    labels.starts_with('{') && labels.ends_with('}') && labels.contains("=\""),
                    "labels {labels:?}"
                );
            }
        }
        let v: f64 = value.parse().unwrap_or_else(|e| panic!("{line:?}: {e}"));
        samples.insert(series.to_string(), v);
    }
    samples
}

#[tokio::test]
async fn metrics_are_scraped_and_health_follows_l1_and_the_loop() {
    let metrics = Arc::new(Metrics::default());
    let t: Arc<Telemetry> = metrics.telemetry().clone();
    let (addr, server) = telemetry::serve(t.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();

    // Nothing ran yet: unhealthy, with the reason.
    let (status, _, body) = get(addr, "/health").await;
    assert_eq!(status, 503, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "unhealthy");
    assert!(
        v["reason"].as_str().unwrap().contains("no agent loop"),
        "{v}"
    );

    // What the runtime feeds, and the hooks of the L1 client and the p2p layer.
    t.tick(41, 10, 1234);
    metrics.proposal_sent();
    metrics.rejected();
    metrics.gas("propose", 150_000);
    t.tx_sent("propose");
    t.tx_sent("claim");
    t.tx_failed("claim");
    t.job_done("own");
    t.job_done("own");
    t.job_done("fallback");
    t.proof_submitted();
    t.attestation_sent();
    t.attestation_received();
    t.proposal_seen();
    t.rewards_claimed(U256::from(25u64) * U256::from(10u64).pow(U256::from(17)));
    t.set_rpc_errors(3);
    t.set_tx_retries(2);
    let stats = spn_node::l1::TxStats::default();
    stats
        .bumps
        .fetch_add(4, std::sync::atomic::Ordering::Relaxed);
    stats
        .retries
        .fetch_add(5, std::sync::atomic::Ordering::Relaxed);
    t.set_tx_stats(&stats);
    t.set_peers(7);

    let (status, ctype, body) = get(addr, "/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(ctype, OPENMETRICS);
    assert!(body.ends_with("# EOF\n"), "{body}");
    let m = parse(&body);
    for (series, want) in [
        ("spn_slot", 41.0),
        ("spn_epoch", 10.0),
        ("spn_l1_head", 1234.0),
        ("spn_peers", 7.0),
        ("spn_proposals_sent_total", 1.0),
        ("spn_proposals_seen_total", 1.0),
        ("spn_attestations_sent_total", 1.0),
        ("spn_attestations_received_total", 1.0),
        ("spn_jobs_total{kind=\"own\"}", 2.0),
        ("spn_jobs_total{kind=\"fallback\"}", 1.0),
        ("spn_proofs_submitted_total", 1.0),
        ("spn_rewards_claimed_tokens_total", 2.5),
        ("spn_tx_sent_total{call=\"propose\"}", 1.0),
        ("spn_tx_sent_total{call=\"claim\"}", 1.0),
        ("spn_tx_failed_total{call=\"claim\"}", 1.0),
        ("spn_tx_gas_total{call=\"propose\"}", 150_000.0),
        ("spn_rejected_messages_total", 1.0),
        ("spn_rpc_errors_total", 3.0),
        ("spn_tx_retries_total", 5.0),
        ("spn_tx_bumps_total", 4.0),
        ("spn_tx_cancelled_total", 0.0),
        ("spn_prover_seconds_count", 0.0),
    ] {
        assert_eq!(m.get(series), Some(&want), "{series} in\n{body}");
    }
    // The devnet report's counters still count.
    assert_eq!(metrics.rejected_count(), 1);
    assert_eq!(metrics.gas_of("propose"), vec![150_000]);

    // A loop ticking and L1 advancing: healthy.
    t.set_stale_after(Duration::from_millis(600));
    t.tick(42, 10, 1235);
    let (status, ctype, body) = get(addr, "/health").await;
    assert_eq!(status, 200, "{body}");
    assert!(ctype.starts_with("application/json"), "{ctype}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["l1Head"], 1235);
    assert_eq!(v["slot"], 42);

    // The loop keeps ticking but L1 does not advance: unhealthy.
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        t.tick(42, 10, 1235);
    }
    let (status, _, body) = get(addr, "/health").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("L1 head 1235 unchanged"), "{body}");

    // L1 advances again, then the loop stops: unhealthy for the loop.
    t.tick(43, 10, 1236);
    assert_eq!(get(addr, "/health").await.0, 200);
    tokio::time::sleep(Duration::from_millis(800)).await;
    let (status, _, body) = get(addr, "/health").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("agent loop last ran"), "{body}");

    // Other paths and methods are refused.
    assert_eq!(get(addr, "/").await.0, 404);
    server.abort();
}

/// Layers register their own metrics into the same exposition.
#[tokio::test]
async fn other_layers_register_their_metrics() {
    let t = Telemetry::default();
    let c: prometheus_client::metrics::counter::Counter = Default::default();
    t.register("gossip_published", "Messages published", c.clone());
    c.inc_by(4);
    let m = parse(&t.encode());
    assert_eq!(m.get("spn_gossip_published_total"), Some(&4.0));
}
