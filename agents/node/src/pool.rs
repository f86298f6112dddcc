//! The sequencer's transaction pool and its HTTP/JSON endpoint.
//!
//! `POST /tx` with `{"data": "0x.."}` queues a transaction (at most 4,096 bytes) and answers
//! `{"hash": "0x.."}` (its leaf, `keccak256(data)`); `GET /status` answers `{"pending": n}`.
//! A transaction sent again (or already received from another node's pool over gossip) is
//! answered with its hash and not queued twice.
//!
//! The endpoint faces untrusted clients: a request's headers must arrive within
//! [`ServeLimits::header_timeout`] (also the idle limit of a kept-alive connection) and its body
//! within [`ServeLimits::body_timeout`], at most [`ServeLimits::max_body`] bytes; otherwise the
//! request is answered with an error or the connection is closed.

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alloy_primitives::{keccak256, Bytes, B256};
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
use crate::net::MAX_TX_BYTES;

/// Pending transactions, first in first out.
///
/// Pools of different nodes share transactions over gossip (the `tx` topic): one accepted from
/// the HTTP endpoint ([`TxPool::submit`]) is handed to the gossip hook ([`TxPool::gossip_to`]);
/// one received from gossip ([`TxPool::add_gossiped`]) is queued but not handed on again.
/// Every accepted transaction's hash stays in a bounded seen-set, so a transaction arriving
/// twice (two paths, or after it was taken into a block) is queued once.
pub struct TxPool {
    inner: Mutex<Inner>,
    capacity: usize,
    gossip: Mutex<Option<GossipHook>>,
}

/// Where a pool hands the transactions it accepted from its endpoint.
type GossipHook = Box<dyn Fn(Bytes) + Send + Sync>;

#[derive(Debug, Default)]
struct Inner {
    queue: VecDeque<Bytes>,
    /// Hashes of the accepted transactions, oldest first in `order`.
    seen: HashSet<B256>,
    order: VecDeque<B256>,
}

impl std::fmt::Debug for TxPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxPool")
            .field("pending", &self.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

/// What [`TxPool::add_gossiped`] did with a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// New: queued.
    Queued(B256),
    /// Seen before (pending, or already taken into a block): ignored.
    Duplicate(B256),
}

/// Checks a transaction as received (endpoint or gossip): non-empty, at most
/// [`MAX_TX_BYTES`]; returns its leaf hash.
pub fn check_tx(tx: &[u8]) -> Result<B256, String> {
    if tx.is_empty() {
        return Err("empty transaction".into());
    }
    if tx.len() > MAX_TX_BYTES {
        return Err(format!(
            "transaction of {} bytes > {MAX_TX_BYTES}",
            tx.len()
        ));
    }
    Ok(keccak256(tx))
}

impl TxPool {
    /// A pool holding at most `capacity` transactions.
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            capacity,
            gossip: Mutex::new(None),
        }
    }

    /// Hashes remembered: twice the capacity, so a full pool's transactions and as many
    /// already taken are all recognised.
    fn seen_capacity(&self) -> usize {
        self.capacity.saturating_mul(2).max(1024)
    }

    /// Hands every transaction accepted by [`TxPool::submit`] from now on to `hook` (the
    /// network publishes it on the `tx` topic).
    pub fn gossip_to(&self, hook: impl Fn(Bytes) + Send + Sync + 'static) {
        *self.gossip.lock().unwrap() = Some(Box::new(hook));
    }

    /// Queues `tx` unless it was seen (then: [`Added::Duplicate`]).
    fn add(&self, tx: Bytes) -> Result<Added, String> {
        let hash = check_tx(&tx)?;
        let seen_capacity = self.seen_capacity();
        let mut i = self.inner.lock().unwrap();
        if i.seen.contains(&hash) {
            return Ok(Added::Duplicate(hash));
        }
        if i.queue.len() >= self.capacity {
            return Err("pool full".into());
        }
        if i.order.len() >= seen_capacity {
            if let Some(old) = i.order.pop_front() {
                i.seen.remove(&old);
            }
        }
        i.seen.insert(hash);
        i.order.push_back(hash);
        i.queue.push_back(tx);
        Ok(Added::Queued(hash))
    }

    /// Queues a transaction from a client and gossips it; returns its leaf hash. A
    /// transaction already seen is neither queued nor gossiped again.
    pub fn submit(&self, tx: Bytes) -> Result<B256, String> {
        match self.add(tx.clone())? {
            Added::Queued(hash) => {
                if let Some(hook) = self.gossip.lock().unwrap().as_ref() {
                    hook(tx);
                }
                Ok(hash)
            }
            Added::Duplicate(hash) => Ok(hash),
        }
    }

    /// Queues a transaction received from gossip, once: it is not gossiped again (gossipsub
    /// forwards it), and one seen before is reported as a duplicate.
    pub fn add_gossiped(&self, tx: Bytes) -> Result<Added, String> {
        self.add(tx)
    }

    /// Takes up to `max` transactions, oldest first.
    pub fn take(&self, max: usize) -> Vec<Bytes> {
        let mut i = self.inner.lock().unwrap();
        let n = max.min(i.queue.len());
        i.queue.drain(..n).collect()
    }

    /// Puts transactions back at the front (a block that did not make it to L1).
    pub fn requeue(&self, txs: Vec<Bytes>) {
        let mut i = self.inner.lock().unwrap();
        for tx in txs.into_iter().rev() {
            i.queue.push_front(tx);
        }
    }

    /// Number of pending transactions.
    pub fn len(&self) -> usize {
        self.inner.lock().unwrap().queue.len()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Deserialize, Serialize)]
struct SubmitTx {
    data: Bytes,
}

#[derive(Debug, Serialize)]
struct Submitted {
    hash: B256,
}

#[derive(Debug, Serialize)]
struct Status {
    pending: usize,
}

async fn submit(
    State((pool, limits)): State<(Arc<TxPool>, ServeLimits)>,
    body: Body,
) -> Result<Json<Submitted>, (StatusCode, String)> {
    let bytes = match tokio::time::timeout(
        limits.body_timeout,
        axum::body::to_bytes(body, limits.max_body),
    )
    .await
    {
        Err(_) => {
            return Err((
                StatusCode::REQUEST_TIMEOUT,
                format!("body not received within {:?}", limits.body_timeout),
            ))
        }
        Ok(Err(e)) => {
            return Err((
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("body over {} bytes or unreadable: {e}", limits.max_body),
            ))
        }
        Ok(Ok(b)) => b,
    };
    let req: SubmitTx = serde_json::from_slice(&bytes)
        .map_err(|e| (StatusCode::BAD_REQUEST, format!("invalid request: {e}")))?;
    pool.submit(req.data)
        .map(|hash| Json(Submitted { hash }))
        .map_err(|e| (StatusCode::BAD_REQUEST, e))
}

async fn status(State((pool, _)): State<(Arc<TxPool>, ServeLimits)>) -> Json<Status> {
    Json(Status {
        pending: pool.len(),
    })
}

/// Limits of the transaction endpoint against slow or oversized requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// Time to receive a request's headers (and idle time of a kept-alive connection).
    pub header_timeout: Duration,
    /// Time to receive a request's body once its headers are in.
    pub body_timeout: Duration,
    /// Largest request body: a 4,096-byte transaction is 8,203 bytes of JSON.
    pub max_body: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_body: 16 * 1024,
        }
    }
}

/// Serves the pool on `addr` (port 0 picks a free port) with the default [`ServeLimits`];
/// returns the bound address.
pub async fn serve(pool: Arc<TxPool>, addr: SocketAddr) -> Result<SocketAddr> {
    serve_with(pool, addr, ServeLimits::default())
        .await
        .map(|(a, _)| a)
}

/// Serves the pool on `addr` with `limits`; returns the bound address and the server task
/// (aborting it stops accepting; open connections end at their next timeout).
pub async fn serve_with(
    pool: Arc<TxPool>,
    addr: SocketAddr,
    limits: ServeLimits,
) -> Result<(SocketAddr, JoinHandle<()>)> {
    let app = Router::new()
        .route("/tx", post(submit))
        .route("/status", get(status))
        .with_state((pool, limits));
    serve_app(app, addr, limits, "transaction endpoint").await
}

/// Serves `app` on `addr` to untrusted clients: a request's headers must arrive within
/// `limits.header_timeout` (also the idle limit of a kept-alive connection); handlers that read
/// a body bound it with the other limits. `what` names the endpoint in errors. Returns the
/// bound address and the server task.
pub async fn serve_app(
    app: Router,
    addr: SocketAddr,
    limits: ServeLimits,
    what: &'static str,
) -> Result<(SocketAddr, JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Error::io(format!("binding the {what} on {addr}"), e))?;
    let bound = listener
        .local_addr()
        .map_err(|e| Error::io(format!("{what} address"), e))?;
    let task = tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((s, _)) => s,
                Err(e) => {
                    tracing::debug!(target: "spn::http", "{what}: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let service = TowerToHyperService::new(app.clone());
            tokio::spawn(async move {
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(limits.header_timeout)
                    .serve_connection(TokioIo::new(stream), service);
                // A handler that reads a body bounds it as a whole (the pool's `submit`).
                if let Err(e) = conn.await {
                    tracing::debug!(target: "spn::http", "{what}: connection: {e}");
                }
            });
        }
    });
    Ok((bound, task))
}

/// Posts one transaction to a pool endpoint (used by the devnet's load generator).
pub async fn post_tx(
    client: &alloy::transports::http::reqwest::Client,
    endpoint: SocketAddr,
    data: Bytes,
) -> Result<B256> {
    let body = serde_json::to_vec(&SubmitTx { data }).expect("serialisable");
    let resp = client
        .post(format!("http://{endpoint}/tx"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| Error::Network(format!("posting a transaction: {e}")))?;
    let status = resp.status();
    let text = resp
        .text()
        .await
        .map_err(|e| Error::Network(e.to_string()))?;
    if !status.is_success() {
        return Err(Error::Network(format!("transaction rejected: {text}")));
    }
    #[derive(Deserialize)]
    struct Answer {
        hash: B256,
    }
    let a: Answer = serde_json::from_str(&text).map_err(|e| Error::Network(e.to_string()))?;
    Ok(a.hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::p2p::on_gossiped_tx;
    use proptest::prelude::*;

    proptest! {
        /// Gossiped transactions, any bytes in any order, some repeated: a well-formed one is
        /// queued once (never again, even after it was taken), a malformed one is rejected, and
        /// nothing panics.
        #[test]
        fn gossiped_transactions_are_checked_and_queued_once(
            txs in proptest::collection::vec(
                prop_oneof![
                    Just(Vec::new()),
                    proptest::collection::vec(any::<u8>(), 1..8),
                    proptest::collection::vec(any::<u8>(), MAX_TX_BYTES..MAX_TX_BYTES + 2),
                ],
                1..40,
            ),
            take_at in 0usize..40,
        ) {
            let pool = TxPool::new(1000);
            let mut seen = HashSet::new();
            let mut queued = 0usize;
            for (i, tx) in txs.iter().enumerate() {
                if i == take_at {
                    queued -= pool.take(usize::MAX).len();
                }
                let verdict = on_gossiped_tx(Some(&pool), tx);
                let valid = !tx.is_empty() && tx.len() <= MAX_TX_BYTES;
                match verdict {
                    Err(_) => prop_assert!(!valid),
                    Ok(new) => {
                        prop_assert!(valid);
                        prop_assert_eq!(new, seen.insert(keccak256(tx)));
                        queued += usize::from(new);
                    }
                }
                prop_assert_eq!(check_tx(tx).is_ok(), valid);
                prop_assert_eq!(pool.len(), queued);
            }
            // Without a pool a node only checks (and forwards) them.
            for tx in &txs {
                let valid = !tx.is_empty() && tx.len() <= MAX_TX_BYTES;
                let expected = if valid { Ok(true) } else { Err(()) };
                prop_assert_eq!(on_gossiped_tx(None, tx).map_err(|_| ()), expected);
            }
        }
    }

    #[test]
    fn only_new_transactions_from_the_endpoint_are_gossiped() {
        let pool = TxPool::new(2);
        let out = Arc::new(Mutex::new(Vec::new()));
        let o = out.clone();
        pool.gossip_to(move |tx| o.lock().unwrap().push(tx));
        let a = Bytes::from_static(b"a");
        let h = pool.submit(a.clone()).unwrap();
        assert_eq!(
            pool.submit(a.clone()).unwrap(),
            h,
            "a resubmission answers the hash"
        );
        pool.add_gossiped(Bytes::from_static(b"b")).unwrap();
        assert!(pool.submit(Bytes::new()).is_err());
        assert_eq!(
            pool.submit(Bytes::from_static(b"c")).unwrap_err(),
            "pool full"
        );
        assert_eq!(
            *out.lock().unwrap(),
            vec![a],
            "once, and not the gossiped one"
        );
    }
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    const LIMITS: ServeLimits = ServeLimits {
        header_timeout: Duration::from_millis(300),
        body_timeout: Duration::from_millis(300),
        max_body: 16 * 1024,
    };

    /// Reads until the server closes the connection; returns what it sent and when it closed.
    async fn read_to_close(s: &mut TcpStream, within: Duration) -> Option<(String, Duration)> {
        let t = std::time::Instant::now();
        let mut out = Vec::new();
        let r = tokio::time::timeout(within, s.read_to_end(&mut out)).await;
        r.ok()
            .map(|_| (String::from_utf8_lossy(&out).into_owned(), t.elapsed()))
    }

    /// Regression (issue 11): the endpoint never timed out unfinished requests, so any client
    /// could hold connections (and their tasks) open forever.
    #[tokio::test]
    async fn partial_requests_are_closed_within_the_timeouts() {
        let pool = Arc::new(TxPool::new(16));
        let (addr, server) = serve_with(pool.clone(), "127.0.0.1:0".parse().unwrap(), LIMITS)
            .await
            .unwrap();
        let within = Duration::from_secs(3);

        // Headers never finished.
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"POST /tx HTTP/1.1\r\nHost: x\r\nContent-Le")
            .await
            .unwrap();
        let (_, took) = read_to_close(&mut s, within)
            .await
            .expect("partial headers: connection left open");
        assert!(took >= LIMITS.header_timeout / 2, "{took:?}");

        // An idle connection that never sends a byte.
        let mut s = TcpStream::connect(addr).await.unwrap();
        assert!(
            read_to_close(&mut s, within).await.is_some(),
            "idle connection left open"
        );

        // Headers complete, body short of its Content-Length: 408, then closed.
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(
            b"POST /tx HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"data\":",
        )
        .await
        .unwrap();
        let (answer, _) = read_to_close(&mut s, within)
            .await
            .expect("partial body: connection left open");
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

        // A body over the cap: 413.
        let mut s = TcpStream::connect(addr).await.unwrap();
        let big = LIMITS.max_body + 1;
        s.write_all(
            format!("POST /tx HTTP/1.1\r\nHost: x\r\nContent-Length: {big}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
        let _ = s.write_all(&vec![b' '; big]).await;
        let (answer, _) = read_to_close(&mut s, within).await.expect("oversized body");
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

        // A well-formed request still works.
        let mut s = TcpStream::connect(addr).await.unwrap();
        let body = br#"{"data":"0x0102"}"#;
        s.write_all(
            format!(
                "POST /tx HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
        s.write_all(body).await.unwrap();
        let (answer, _) = read_to_close(&mut s, within).await.expect("valid request");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert_eq!(pool.len(), 1);

        server.abort();
    }
}
