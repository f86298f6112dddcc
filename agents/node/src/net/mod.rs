//! The network between agents (docs/PROTOCOL.md §15): gossip for announcements (proposals,
//! attestations, job results) and request-response for block bodies (`block-body/1`) and for
//! missed job results (`job-results/1`).
//!
//! Agents talk to a [`Network`]: [`P2pNetwork`] is libp2p (gossipsub and request-response over
//! TCP, noise, yamux); [`InProcessBus`] connects agents that run in one process without sockets. Every payload is `abi.encode` of the tuples of §15.1 and is decoded and checked by the
//! receiving agent ([`messages`]), never trusted.

pub mod p2p;

/// Wire payloads and their stateless checks live in the agent core, shared with the simulator.
pub use spn_core::messages;
pub use spn_core::messages::{
    Topic, MAX_BODY_BYTES, MAX_RESULTS_BYTES, MAX_RESULTS_PER_JOB, MAX_RESULT_JOBS, MAX_TX_BYTES,
};

pub use p2p::{P2pConfig, P2pNetwork};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use alloy_primitives::{Bytes, B256};
use futures::future::BoxFuture;
use tokio::sync::mpsc;

use crate::error::{Error, Result};

/// A gossip message as received.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// Sending peer.
    pub peer: String,
    /// Topic.
    pub topic: Topic,
    /// Raw payload (checked by the receiver).
    pub payload: Bytes,
}

/// Signed job results a peer serves to `job-results/1` requests: per block and job, up to
/// [`MAX_RESULTS_PER_JOB`] encoded `job-result` payloads (the first ones checked).
#[derive(Debug, Default)]
pub struct ResultStore {
    blocks: Mutex<HashMap<B256, HashMap<u32, Vec<Bytes>>>>,
}

impl ResultStore {
    /// Keeps an encoded result of `job` of `block_hash` (ignored once the job holds 4 or the
    /// same payload is already kept).
    pub fn insert(&self, block_hash: B256, job: u32, payload: Bytes) {
        let mut b = self.blocks.lock().unwrap();
        if b.len() > 256 && !b.contains_key(&block_hash) {
            // Bounded memory: drop an arbitrary old block.
            if let Some(k) = b.keys().next().copied() {
                b.remove(&k);
            }
        }
        let v = b.entry(block_hash).or_default().entry(job).or_default();
        if v.len() < MAX_RESULTS_PER_JOB && !v.contains(&payload) {
            v.push(payload);
        }
    }

    /// Forgets blocks.
    pub fn forget(&self, block_hashes: &[B256]) {
        let mut b = self.blocks.lock().unwrap();
        for h in block_hashes {
            b.remove(h);
        }
    }

    /// The answer to a request: the kept results of the requested jobs (the first
    /// [`MAX_RESULT_JOBS`] ids, at most [`MAX_RESULTS_PER_JOB`] each), at most
    /// [`MAX_RESULTS_BYTES`] in all.
    pub fn answer(&self, block_hash: B256, jobs: &[u32]) -> Vec<Bytes> {
        let b = self.blocks.lock().unwrap();
        let Some(block) = b.get(&block_hash) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut size = 0;
        let mut seen = std::collections::HashSet::new();
        for j in jobs.iter().take(MAX_RESULT_JOBS) {
            if !seen.insert(*j) {
                continue;
            }
            for p in block.get(j).into_iter().flatten().take(MAX_RESULTS_PER_JOB) {
                if size + p.len() > MAX_RESULTS_BYTES {
                    return out;
                }
                size += p.len();
                out.push(p.clone());
            }
        }
        out
    }
}

/// What an agent needs from the network.
pub trait Network: Send + Sync + 'static {
    /// This peer's id.
    fn peer_id(&self) -> String;
    /// Gossips `payload` on `topic` to every other peer.
    fn publish(&self, topic: Topic, payload: Bytes);
    /// Serves a block body to `block-body/1` requests from now on.
    fn serve_body(&self, block_hash: B256, txs: Arc<Vec<Bytes>>);
    /// Stops serving bodies of these blocks.
    fn forget_bodies(&self, block_hashes: &[B256]);
    /// Asks peers for a block body (`block-body/1`), `hint` (a peer id, e.g. the announcer)
    /// first; the caller checks it against the root.
    fn fetch_body(
        &self,
        block_hash: B256,
        hint: Option<String>,
    ) -> BoxFuture<'static, Result<Vec<Bytes>>>;
    /// Serves a checked job result (its `job-result` payload) to `job-results/1` requests until
    /// its block is forgotten ([`Network::forget_bodies`]).
    fn serve_result(&self, block_hash: B256, job: u32, payload: Bytes);
    /// Asks peers for the results of `jobs` of a block (`job-results/1`), `hint` first, then a
    /// few peers at a time until every job has a result or every peer answered. Returns the
    /// `job-result` payloads received (size, encoding, signature, block and job already
    /// checked; the caller checks eligibility and output as for gossip).
    fn fetch_results(
        &self,
        block_hash: B256,
        jobs: Vec<u32>,
        hint: Option<String>,
    ) -> BoxFuture<'static, Result<Vec<Bytes>>>;
}

/// What a peer serves to requests: block bodies (`block-body/1`) and checked job results
/// (`job-results/1`). Shared by the in-process bus and the libp2p network so both serve alike.
#[derive(Debug, Default, Clone)]
pub(crate) struct Served {
    bodies: Arc<Mutex<HashMap<B256, Arc<Vec<Bytes>>>>>,
    results: Arc<ResultStore>,
}

impl Served {
    pub(crate) fn serve_body(&self, block_hash: B256, txs: Arc<Vec<Bytes>>) {
        self.bodies.lock().unwrap().insert(block_hash, txs);
    }

    pub(crate) fn body(&self, block_hash: &B256) -> Option<Arc<Vec<Bytes>>> {
        self.bodies.lock().unwrap().get(block_hash).cloned()
    }

    /// Stops serving the bodies and results of these blocks.
    pub(crate) fn forget(&self, block_hashes: &[B256]) {
        let mut b = self.bodies.lock().unwrap();
        for h in block_hashes {
            b.remove(h);
        }
        self.results.forget(block_hashes);
    }

    pub(crate) fn serve_result(&self, block_hash: B256, job: u32, payload: Bytes) {
        self.results.insert(block_hash, job, payload);
    }

    pub(crate) fn answer(&self, block_hash: B256, jobs: &[u32]) -> Vec<Bytes> {
        self.results.answer(block_hash, jobs)
    }
}

#[derive(Debug)]
struct Peer {
    id: String,
    inbox: mpsc::UnboundedSender<Inbound>,
    served: Served,
}

/// A message bus connecting agents in one process; each agent joins it as one peer.
#[derive(Debug, Default, Clone)]
pub struct InProcessBus {
    peers: Arc<Mutex<Vec<Peer>>>,
}

impl InProcessBus {
    /// An empty bus.
    pub fn new() -> Self {
        Self::default()
    }

    /// Joins as peer `id`; returns the handle and the peer's inbox.
    pub fn join(
        &self,
        id: impl Into<String>,
    ) -> (Arc<BusHandle>, mpsc::UnboundedReceiver<Inbound>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let id = id.into();
        let served = Served::default();
        self.peers.lock().unwrap().push(Peer {
            id: id.clone(),
            inbox: tx,
            served: served.clone(),
        });
        (
            Arc::new(BusHandle {
                bus: self.clone(),
                id,
                served,
            }),
            rx,
        )
    }
}

/// One peer's handle on an [`InProcessBus`].
#[derive(Debug)]
pub struct BusHandle {
    bus: InProcessBus,
    id: String,
    served: Served,
}

impl Network for BusHandle {
    fn peer_id(&self) -> String {
        self.id.clone()
    }

    fn publish(&self, topic: Topic, payload: Bytes) {
        let mut peers = self.bus.peers.lock().unwrap();
        peers.retain(|p| !p.inbox.is_closed());
        for p in peers.iter().filter(|p| p.id != self.id) {
            let _ = p.inbox.send(Inbound {
                peer: self.id.clone(),
                topic,
                payload: payload.clone(),
            });
        }
    }

    fn serve_body(&self, block_hash: B256, txs: Arc<Vec<Bytes>>) {
        self.served.serve_body(block_hash, txs);
    }

    fn forget_bodies(&self, block_hashes: &[B256]) {
        self.served.forget(block_hashes);
    }

    fn serve_result(&self, block_hash: B256, job: u32, payload: Bytes) {
        self.served.serve_result(block_hash, job, payload);
    }

    fn fetch_results(
        &self,
        block_hash: B256,
        jobs: Vec<u32>,
        _hint: Option<String>,
    ) -> BoxFuture<'static, Result<Vec<Bytes>>> {
        let mut out = Vec::new();
        {
            let peers = self.bus.peers.lock().unwrap();
            for p in peers.iter().filter(|p| p.id != self.id) {
                for r in p.served.answer(block_hash, &jobs) {
                    if !out.contains(&r) {
                        out.push(r);
                    }
                }
            }
        }
        Box::pin(async move { Ok(out) })
    }

    fn fetch_body(
        &self,
        block_hash: B256,
        _hint: Option<String>,
    ) -> BoxFuture<'static, Result<Vec<Bytes>>> {
        let found = {
            let peers = self.bus.peers.lock().unwrap();
            peers
                .iter()
                .filter(|p| p.id != self.id)
                .find_map(|p| p.served.body(&block_hash))
        };
        Box::pin(async move {
            match found {
                Some(txs) => Ok(txs.as_ref().clone()),
                None => Err(Error::Network(format!(
                    "no peer serves the body of {block_hash}"
                ))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_store_answers_at_most_four_per_job_and_only_requested_jobs() {
        let bh = B256::repeat_byte(1);
        let store = ResultStore::default();
        for i in 0..6u8 {
            store.insert(bh, 1, Bytes::from(vec![i; 8]));
        }
        let two = Bytes::from(vec![0xaa; 8]);
        store.insert(bh, 2, two.clone());
        store.insert(bh, 2, two.clone());
        assert_eq!(store.answer(bh, &[1]).len(), MAX_RESULTS_PER_JOB);
        assert_eq!(store.answer(bh, &[2, 2]), vec![two]);
        assert!(store.answer(B256::ZERO, &[1]).is_empty());
        store.forget(&[bh]);
        assert!(store.answer(bh, &[1, 2]).is_empty());
    }
}
