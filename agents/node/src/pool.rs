//! The sequencer's transaction pool and its HTTP/JSON endpoint.
//!
//! `POST /tx` with `{"data": "0x.."}` queues a transaction (at most 4,096 bytes) and answers
//! `{"hash": "0x.."}` (its leaf, `keccak256(data)`); `GET /status` answers `{"pending": n}`.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use alloy_primitives::{keccak256, Bytes, B256};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

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
    State(pool): State<Arc<TxPool>>,
    Json(req): Json<SubmitTx>,
) -> Result<Json<Submitted>, (StatusCode, String)> {
    pool.submit(req.data)
        .map(|hash| Json(Submitted { hash }))
        .map_err(|e| (StatusCode::BAD_REQUEST, e))
}

async fn status(State(pool): State<Arc<TxPool>>) -> Json<Status> {
    Json(Status {
        pending: pool.len(),
    })
}

/// Serves the pool on `addr` (port 0 picks a free port); returns the bound address.
pub async fn serve(pool: Arc<TxPool>, addr: SocketAddr) -> Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Error::io(format!("binding the transaction endpoint on {addr}"), e))?;
    let bound = listener
        .local_addr()
        .map_err(|e| Error::io("transaction endpoint address", e))?;
    let app = Router::new()
        .route("/tx", post(submit))
        .route("/status", get(status))
        .with_state(pool);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!(target: "spn::pool", "transaction endpoint stopped: {e}");
        }
    });
    Ok(bound)
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
