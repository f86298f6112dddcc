//! The sequencer's transaction pool and its HTTP/JSON endpoint.
//!
//! `POST /tx` with `{"data": "0x.."}` queues a transaction (at most 4,096 bytes) and answers
//! `{"hash": "0x.."}` (its leaf, `keccak256(data)`); `GET /status` answers `{"pending": n}`.
//!
//! The endpoint faces untrusted clients: a request's headers must arrive within
//! [`ServeLimits::header_timeout`] (also the idle limit of a kept-alive connection) and its body
//! within [`ServeLimits::body_timeout`], at most [`ServeLimits::max_body`] bytes; otherwise the
//! request is answered with an error or the connection is closed.

use std::collections::VecDeque;
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
#[derive(Debug)]
pub struct TxPool {
    queue: Mutex<VecDeque<Bytes>>,
    capacity: usize,
}

impl TxPool {
    /// A pool holding at most `capacity` transactions.
    pub fn new(capacity: usize) -> Self {
        Self {
            queue: Mutex::new(VecDeque::new()),
            capacity,
        }
    }

    /// Queues a transaction; returns its leaf hash.
    pub fn submit(&self, tx: Bytes) -> Result<B256, String> {
        if tx.is_empty() {
            return Err("empty transaction".into());
        }
        if tx.len() > MAX_TX_BYTES {
            return Err(format!(
                "transaction of {} bytes > {MAX_TX_BYTES}",
                tx.len()
            ));
        }
        let mut q = self.queue.lock().unwrap();
        if q.len() >= self.capacity {
            return Err("pool full".into());
        }
        let hash = keccak256(&tx);
        q.push_back(tx);
        Ok(hash)
    }

    /// Takes up to `max` transactions, oldest first.
    pub fn take(&self, max: usize) -> Vec<Bytes> {
        let mut q = self.queue.lock().unwrap();
        let n = max.min(q.len());
        q.drain(..n).collect()
    }

    /// Puts transactions back at the front (a block that did not make it to L1).
    pub fn requeue(&self, txs: Vec<Bytes>) {
        let mut q = self.queue.lock().unwrap();
        for tx in txs.into_iter().rev() {
            q.push_front(tx);
        }
    }

    /// Number of pending transactions.
    pub fn len(&self) -> usize {
        self.queue.lock().unwrap().len()
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
