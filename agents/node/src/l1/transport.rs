//! The HTTP transport of [`super::L1`] over several RPC URLs: requests go to the first healthy
//! URL and fall over to the next one on a transport error; a transient error (429, 5xx, refused
//! or dropped connection, timeout) on every URL is retried with exponential backoff.
//!
//! alloy's own `FallbackLayer` ranks endpoints by latency and races several of them in parallel,
//! which mixes answers of different nodes (a nonce from one, logs from another) and sends
//! transactions twice; its `RetryBackoffLayer` waits a fixed time and does not retry a refused
//! connection. Hence this small service with the ordered-failover semantics operators expect.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use alloy::rpc::json_rpc::{RequestPacket, ResponsePacket};
use alloy::transports::http::{reqwest, Http};
use alloy::transports::{TransportError, TransportErrorKind, TransportFut};
use tower::Service;

/// Retries after a round in which every URL failed transiently (backoff 250 ms, 500 ms, 1 s, 2 s).
const RETRIES: u32 = 4;
/// The first backoff.
const BACKOFF: Duration = Duration::from_millis(250);
/// After a failover, the first URL is tried again once this long has passed.
const RETRY_PRIMARY_AFTER: Duration = Duration::from_secs(30);
/// Longest a single HTTP request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// Counters of one L1 connection (exported as metrics).
#[derive(Debug, Default)]
pub struct RpcStats {
    /// Failed HTTP requests to any URL, each attempt counted (a retried request that then succeeds
    /// counts its failures too).
    pub errors: AtomicU64,
    /// Switches from one URL to another.
    pub failovers: AtomicU64,
}

/// Ordered failover over several HTTP endpoints, with retries (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct Failover {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    transports: Vec<Http<reqwest::Client>>,
    urls: Vec<String>,
    current: AtomicUsize,
    switched_at: Mutex<Option<Instant>>,
    stats: Arc<RpcStats>,
}

impl Failover {
    /// A transport over `urls` (already parsed, at least one), counting into `stats`.
    pub(crate) fn new(urls: &[reqwest::Url], stats: Arc<RpcStats>) -> Self {
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        Self {
            inner: Arc::new(Inner {
                transports: urls
                    .iter()
                    .map(|u| Http::with_client(client.clone(), u.clone()))
                    .collect(),
                urls: urls.iter().map(|u| u.to_string()).collect(),
                current: AtomicUsize::new(0),
                switched_at: Mutex::new(None),
                stats,
            }),
        }
    }
}

impl Inner {
    /// The URL to try first: the current one, or the first URL again a while after a failover.
    fn first(&self) -> usize {
        let cur = self.current.load(Ordering::Relaxed);
        if cur != 0 {
            let mut at = self.switched_at.lock().unwrap_or_else(|e| e.into_inner());
            if at.is_some_and(|t| t.elapsed() >= RETRY_PRIMARY_AFTER) {
                *at = None;
                self.current.store(0, Ordering::Relaxed);
                return 0;
            }
        }
        cur
    }

    async fn request(&self, req: RequestPacket) -> Result<ResponsePacket, TransportError> {
        let n = self.transports.len();
        let mut delay = BACKOFF;
        let mut attempt = 0;
        loop {
            let start = self.first();
            let mut last = None;
            let mut transient = false;
            for i in 0..n {
                let idx = (start + i) % n;
                let mut t = self.transports[idx].clone();
                match t.call(req.clone()).await {
                    Ok(r) => {
                        if idx != start {
                            self.current.store(idx, Ordering::Relaxed);
                            *self.switched_at.lock().unwrap_or_else(|e| e.into_inner()) =
                                Some(Instant::now());
                            self.stats.failovers.fetch_add(1, Ordering::Relaxed);
                            tracing::warn!(target: "spn::l1", "L1 RPC {} failed; using {}", self.urls[start], self.urls[idx]);
                        }
                        return Ok(r);
                    }
                    Err(e) => {
                        self.stats.errors.fetch_add(1, Ordering::Relaxed);
                        tracing::debug!(target: "spn::l1", "L1 RPC {}: {e}", self.urls[idx]);
                        transient |= is_transient(&e);
                        last = Some(e);
                    }
                }
            }
            let err = last.unwrap_or_else(|| TransportErrorKind::custom_str("no RPC URL"));
            if !transient || attempt >= RETRIES {
                return Err(err);
            }
            attempt += 1;
            tokio::time::sleep(delay).await;
            delay = delay.saturating_mul(2);
        }
    }
}

/// Whether an error of the HTTP transport may go away by itself: rate limiting, a server error,
/// a refused, dropped or timed-out connection (a 4xx other than 429 would only repeat).
fn is_transient(e: &TransportError) -> bool {
    match e {
        alloy::transports::RpcError::Transport(kind) => match kind {
            TransportErrorKind::HttpError(h) => h.status == 429 || h.status >= 500,
            TransportErrorKind::HttpErrorWithRetryAfter { error, .. } => {
                error.status == 429 || error.status >= 500
            }
            _ => true,
        },
        // A body that is not JSON-RPC (a proxy's error page).
        alloy::transports::RpcError::DeserError { .. } => true,
        _ => false,
    }
}

impl Service<RequestPacket> for Failover {
    type Response = ResponsePacket;
    type Error = TransportError;
    type Future = TransportFut<'static>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: RequestPacket) -> Self::Future {
        let inner = self.inner.clone();
        Box::pin(async move { inner.request(req).await })
    }
}
