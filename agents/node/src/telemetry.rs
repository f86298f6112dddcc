//! Prometheus metrics and the health of one agent process, and their HTTP endpoint.
//!
//! Every metric is named `spn_*` in a [`prometheus_client`] registry. The runtime
//! (`crate::agent`) feeds the chain gauges, message, job, transaction and prover figures; the
//! standalone runner reads the transaction manager's counters ([`Telemetry::set_tx_stats`]) and
//! the p2p peer count ([`Telemetry::set_peers`]); other layers feed [`Telemetry::set_rpc_errors`]
//! or register more metrics with [`Telemetry::register`].
//!
//! `--metrics.addr` serves `GET /metrics` (OpenMetrics text) and `GET /health`: 200 with
//! `{"status":"ok",..}` while the L1 head advanced and an agent loop ticked within
//! [`Telemetry::stale_after`], 503 with `{"status":"unhealthy","reason":..}` otherwise.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy_primitives::U256;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Metric, Registry};
use serde_json::json;
use tokio::task::JoinHandle;

use crate::error::Result;
use crate::l1::TxStats;
use crate::pool::{serve_app, ServeLimits};

/// One label, e.g. `call="propose"`.
type Label = [(&'static str, &'static str); 1];
/// A counter with one label.
type Counters = Family<Label, Counter>;

/// Content type of the OpenMetrics text exposition.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The process's metrics (shared by its agents) and what `/health` decides from.
#[derive(Debug)]
pub struct Telemetry {
    registry: Mutex<Registry>,
    slot: Gauge,
    epoch: Gauge,
    l1_head: Gauge,
    peers: Gauge,
    proposals_sent: Counter,
    proposals_seen: Counter,
    attestations_sent: Counter,
    attestations_received: Counter,
    jobs: Counters,
    proofs_submitted: Counter,
    rewards_claimed: Counter<f64, AtomicU64>,
    tx_sent: Counters,
    tx_failed: Counters,
    tx_gas: Counters,
    rejected: Counter,
    rpc_errors: Counter,
    tx_retries: Counter,
    tx_bumps: Counter,
    tx_cancelled: Counter,
    nonce_resyncs: Counter,
    prover_seconds: Histogram,
    prover_failures: Counters,
    /// The first agent loop of the process counts what every loop sees (L1 events, gossip).
    observer: AtomicBool,
    health: Mutex<Health>,
}

#[derive(Debug)]
struct Health {
    head: u64,
    head_seen: Option<Instant>,
    tick: Option<Instant>,
    slot: u64,
    epoch: u64,
    stale_after: Duration,
}

impl Default for Telemetry {
    fn default() -> Self {
        let t = Self {
            registry: Mutex::new(Registry::with_prefix("spn")),
            slot: Gauge::default(),
            epoch: Gauge::default(),
            l1_head: Gauge::default(),
            peers: Gauge::default(),
            proposals_sent: Counter::default(),
            proposals_seen: Counter::default(),
            attestations_sent: Counter::default(),
            attestations_received: Counter::default(),
            jobs: Counters::default(),
            proofs_submitted: Counter::default(),
            rewards_claimed: Counter::default(),
            tx_sent: Counters::default(),
            tx_failed: Counters::default(),
            tx_gas: Counters::default(),
            rejected: Counter::default(),
            rpc_errors: Counter::default(),
            tx_retries: Counter::default(),
            tx_bumps: Counter::default(),
            tx_cancelled: Counter::default(),
            nonce_resyncs: Counter::default(),
            prover_seconds: Histogram::new(exponential_buckets(0.005, 2.0, 16)),
            prover_failures: Counters::default(),
            observer: AtomicBool::new(false),
            health: Mutex::new(Health {
                head: 0,
                head_seen: None,
                tick: None,
                slot: 0,
                epoch: 0,
                stale_after: Duration::from_secs(36),
            }),
        };
        let mut r = t.registry.lock().unwrap();
        r.register("slot", "Current slot", t.slot.clone());
        r.register("epoch", "Current epoch", t.epoch.clone());
        r.register("l1_head", "Latest L1 block number seen", t.l1_head.clone());
        r.register("peers", "Connected p2p peers", t.peers.clone());
        r.register(
            "proposals_sent",
            "propose transactions sent",
            t.proposals_sent.clone(),
        );
        r.register(
            "proposals_seen",
            "Blocks proposed on L1",
            t.proposals_seen.clone(),
        );
        r.register(
            "attestations_sent",
            "Attestations published",
            t.attestations_sent.clone(),
        );
        r.register(
            "attestations_received",
            "Attestations received by gossip",
            t.attestations_received.clone(),
        );
        r.register(
            "jobs",
            "Jobs proven and published, by capacity (own, fill, root, unfilled, fallback)",
            t.jobs.clone(),
        );
        r.register(
            "proofs_submitted",
            "Proofs submitted and accepted",
            t.proofs_submitted.clone(),
        );
        r.register(
            "rewards_claimed_tokens",
            "Reward tokens paid by claim transactions",
            t.rewards_claimed.clone(),
        );
        r.register(
            "tx_sent",
            "L1 transactions sent, by call",
            t.tx_sent.clone(),
        );
        r.register(
            "tx_failed",
            "L1 transactions that failed, by call",
            t.tx_failed.clone(),
        );
        r.register(
            "tx_gas",
            "Gas used by mined L1 transactions, by call",
            t.tx_gas.clone(),
        );
        r.register(
            "rejected_messages",
            "Messages and responses dropped by validation",
            t.rejected.clone(),
        );
        r.register("rpc_errors", "L1 JSON-RPC errors", t.rpc_errors.clone());
        r.register(
            "tx_retries",
            "Transaction RPC calls repeated after a transient failure",
            t.tx_retries.clone(),
        );
        r.register(
            "tx_bumps",
            "Transactions re-signed with higher fees",
            t.tx_bumps.clone(),
        );
        r.register(
            "tx_cancelled",
            "Transactions replaced by a cancellation past their deadline",
            t.tx_cancelled.clone(),
        );
        r.register(
            "tx_nonce_resyncs",
            "Nonces re-read from the L1 node",
            t.nonce_resyncs.clone(),
        );
        r.register(
            "prover_seconds",
            "Wall time of external proving runs that succeeded",
            t.prover_seconds.clone(),
        );
        r.register(
            "prover_failures",
            "External proving runs without a usable output, by reason",
            t.prover_failures.clone(),
        );
        drop(r);
        t
    }
}

impl Telemetry {
    /// Registers another metric (named `spn_<name>`), e.g. a layer's own counters.
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        self.registry.lock().unwrap().register(name, help, metric);
    }

    /// The metrics in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut s = String::new();
        // Writing to a String cannot fail.
        let _ = text::encode(&mut s, &self.registry.lock().unwrap());
        s
    }

    /// Claims the role of the process's observer: true for the first caller only. Its loop
    /// counts what every loop of the process sees alike (L1 events, gossip).
    pub fn claim_observer(&self) -> bool {
        !self.observer.swap(true, Ordering::SeqCst)
    }

    /// The health limit: the L1 head must advance, and a loop tick, within this (default 36 s).
    pub fn stale_after(&self) -> Duration {
        self.health.lock().unwrap().stale_after
    }

    /// Sets the health limit (a few slot durations).
    pub fn set_stale_after(&self, d: Duration) {
        self.health.lock().unwrap().stale_after = d;
    }

    /// An agent loop's tick: the slot, epoch and L1 head it sees.
    pub fn tick(&self, slot: u64, epoch: u64, head: u64) {
        self.slot.set(gauge(slot));
        self.epoch.set(gauge(epoch));
        self.l1_head.set(gauge(head));
        let now = Instant::now();
        let mut h = self.health.lock().unwrap();
        if head != h.head || h.head_seen.is_none() {
            h.head = head;
            h.head_seen = Some(now);
        }
        h.tick = Some(now);
        h.slot = slot;
        h.epoch = epoch;
    }

    /// Whether the process is healthy, and the JSON `/health` answers.
    pub fn health(&self) -> (bool, serde_json::Value) {
        let h = self.health.lock().unwrap();
        let age = |t: Option<Instant>| t.map(|t| t.elapsed());
        let (head_age, tick_age) = (age(h.head_seen), age(h.tick));
        let limit = h.stale_after;
        let reason = match (tick_age, head_age) {
            (None, _) => Some("no agent loop has run yet".to_string()),
            (Some(t), _) if t > limit => Some(format!(
                "the agent loop last ran {:.1} s ago (limit {:.0} s)",
                t.as_secs_f64(),
                limit.as_secs_f64()
            )),
            (_, Some(a)) if a > limit => Some(format!(
                "L1 head {} unchanged for {:.1} s (limit {:.0} s)",
                h.head,
                a.as_secs_f64(),
                limit.as_secs_f64()
            )),
            _ => None,
        };
        let secs = |d: Option<Duration>| d.map(|d| (d.as_secs_f64() * 1000.0).round() / 1000.0);
        let mut v = json!({
            "status": if reason.is_none() { "ok" } else { "unhealthy" },
            "slot": h.slot,
            "epoch": h.epoch,
            "l1Head": h.head,
            "l1HeadAgeSecs": secs(head_age),
            "loopAgeSecs": secs(tick_age),
        });
        if let Some(r) = &reason {
            v["reason"] = json!(r);
        }
        (reason.is_none(), v)
    }

    /// A propose transaction was sent.
    pub fn proposal_sent(&self) {
        self.proposals_sent.inc();
    }

    /// A block was proposed on L1.
    pub fn proposal_seen(&self) {
        self.proposals_seen.inc();
    }

    /// An attestation was published.
    pub fn attestation_sent(&self) {
        self.attestations_sent.inc();
    }

    /// An attestation arrived by gossip (decoded and signature-checked).
    pub fn attestation_received(&self) {
        self.attestations_received.inc();
    }

    /// A job was proven and published in capacity `kind`.
    pub fn job_done(&self, kind: &'static str) {
        self.jobs.get_or_create(&[("kind", kind)]).inc();
    }

    /// A proof was submitted and accepted.
    pub fn proof_submitted(&self) {
        self.proofs_submitted.inc();
    }

    /// A claim paid `amount` (18-decimal token units).
    pub fn rewards_claimed(&self, amount: U256) {
        self.rewards_claimed.inc_by(tokens(amount));
    }

    /// An L1 transaction of `call` was sent.
    pub fn tx_sent(&self, call: &'static str) {
        self.tx_sent.get_or_create(&[("call", call)]).inc();
    }

    /// An L1 transaction of `call` failed.
    pub fn tx_failed(&self, call: &'static str) {
        self.tx_failed.get_or_create(&[("call", call)]).inc();
    }

    /// An L1 transaction of `call` was mined using `gas`.
    pub fn tx_gas(&self, call: &'static str, gas: u64) {
        self.tx_gas.get_or_create(&[("call", call)]).inc_by(gas);
    }

    /// A message or response was dropped by validation.
    pub fn rejected(&self) {
        self.rejected.inc();
    }

    /// One L1 JSON-RPC error.
    pub fn rpc_error(&self) {
        self.rpc_errors.inc();
    }

    /// The L1 client's running total of JSON-RPC errors (a counter: only increases count).
    pub fn set_rpc_errors(&self, total: u64) {
        raise_to(&self.rpc_errors, total);
    }

    /// One L1 transaction retried.
    pub fn tx_retry(&self) {
        self.tx_retries.inc();
    }

    /// The transaction sender's running total of retries (only increases count).
    pub fn set_tx_retries(&self, total: u64) {
        raise_to(&self.tx_retries, total);
    }

    /// The transaction manager's running totals (retries, fee bumps, cancellations, nonce
    /// re-reads).
    pub fn set_tx_stats(&self, s: &TxStats) {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        raise_to(&self.tx_retries, get(&s.retries));
        raise_to(&self.tx_bumps, get(&s.bumps));
        raise_to(&self.tx_cancelled, get(&s.replacements_cancelled));
        raise_to(&self.nonce_resyncs, get(&s.nonce_resyncs));
    }

    /// The number of connected p2p peers.
    pub fn set_peers(&self, peers: usize) {
        self.peers.set(i64::try_from(peers).unwrap_or(i64::MAX));
    }

    /// An external proving run succeeded in `elapsed`.
    pub fn prover_ok(&self, elapsed: Duration) {
        self.prover_seconds.observe(elapsed.as_secs_f64());
    }

    /// An external proving run failed (`timeout`, `exit`, `malformed`, `wrong_output`, `spawn`).
    pub fn prover_failed(&self, reason: &'static str) {
        self.prover_failures
            .get_or_create(&[("reason", reason)])
            .inc();
    }
}

/// A gauge value (they are `i64`).
fn gauge(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Raises a counter to a running total kept elsewhere.
fn raise_to(c: &Counter, total: u64) {
    let now = c.get();
    if total > now {
        c.inc_by(total - now);
    }
}

/// 18-decimal token units as a float of whole tokens (metrics need no exactness).
fn tokens(amount: U256) -> f64 {
    let unit = U256::from(10u64).pow(U256::from(18));
    let whole = amount / unit;
    let frac = amount % unit;
    let whole = if whole > U256::from(u64::MAX) {
        u64::MAX
    } else {
        whole.to::<u64>()
    };
    whole as f64 + frac.to::<u64>() as f64 / 1e18
}

/// Serves `GET /metrics` and `GET /health` on `addr` (port 0: any free port), with the
/// transaction pool's hardened connection handling; returns the bound address and the task.
pub async fn serve(
    telemetry: Arc<Telemetry>,
    addr: SocketAddr,
) -> Result<(SocketAddr, JoinHandle<()>)> {
    let app = Router::new()
        .route(
            "/metrics",
            get(
                |axum::extract::State(t): axum::extract::State<Arc<Telemetry>>| async move {
                    ([(header::CONTENT_TYPE, OPENMETRICS)], t.encode())
                },
            ),
        )
        .route(
            "/health",
            get(
                |axum::extract::State(t): axum::extract::State<Arc<Telemetry>>| async move {
                    let (ok, body) = t.health();
                    let status = if ok {
                        StatusCode::OK
                    } else {
                        StatusCode::SERVICE_UNAVAILABLE
                    };
                    (status, axum::Json(body)).into_response()
                },
            ),
        )
        .with_state(telemetry);
    serve_app(app, addr, ServeLimits::default(), "metrics endpoint").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_only_raise_counters_and_tokens_convert() {
        let t = Telemetry::default();
        t.set_rpc_errors(5);
        t.set_rpc_errors(3);
        t.rpc_error();
        assert_eq!(t.rpc_errors.get(), 6);
        assert_eq!(
            tokens(U256::from(15u64) * U256::from(10u64).pow(U256::from(17))),
            1.5
        );
        assert!(tokens(U256::MAX) > 1e19);
    }
}
