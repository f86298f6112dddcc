//! The network between agents (docs/PROTOCOL.md §15): gossip for announcements (proposals,
//! attestations, job results) and request-response for block bodies.
//!
//! Agents talk to a [`Network`]: [`P2pNetwork`] is libp2p (gossipsub and request-response over
//! TCP, noise, yamux); [`InProcessBus`] connects agents that run in one process without sockets. Every payload is `abi.encode` of the tuples of §15.1 and is decoded and checked by the
//! receiving agent ([`messages`]), never trusted.

pub mod messages;
pub mod p2p;

pub use p2p::{P2pConfig, P2pNetwork};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use alloy_primitives::{Bytes, B256};
use futures::future::BoxFuture;
use tokio::sync::mpsc;

use crate::error::{Error, Result};

/// Gossip topics (`/spn/<chainId>/<rollup>/<topic>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// `(Header, Signature)` signed by the proposer.
    Proposal,
    /// `(uint64 slot, bytes32 blockHash, Signature)`.
    Attestation,
    /// `(bytes32 blockHash, uint32 job, bytes32 output, address prover, Signature)`.
    JobResult,
}

impl Topic {
    /// Largest accepted payload (§15.1).
    pub fn max_size(self) -> usize {
        match self {
            Topic::Proposal => 1024,
            Topic::Attestation | Topic::JobResult => 256,
        }
    }

    /// Topic name.
    pub fn name(self) -> &'static str {
        match self {
            Topic::Proposal => "proposal",
            Topic::Attestation => "attestation",
            Topic::JobResult => "job-result",
        }
    }
}

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

/// Largest block body response (§15.1): 16 MiB.
pub const MAX_BODY_BYTES: usize = 16 << 20;
/// Largest transaction (§15.1).
pub const MAX_TX_BYTES: usize = 4096;

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
    fn fetch_body(&self, block_hash: B256, hint: Option<String>) -> BoxFuture<'static, Result<Vec<Bytes>>>;
}

type Bodies = Arc<Mutex<HashMap<B256, Arc<Vec<Bytes>>>>>;

#[derive(Debug)]
struct Peer {
    id: String,
    inbox: mpsc::UnboundedSender<Inbound>,
    bodies: Bodies,
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
    pub fn join(&self, id: impl Into<String>) -> (Arc<BusHandle>, mpsc::UnboundedReceiver<Inbound>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let id = id.into();
        let bodies: Bodies = Arc::default();
        self.peers.lock().unwrap().push(Peer {
            id: id.clone(),
            inbox: tx,
            bodies: bodies.clone(),
        });
        (
            Arc::new(BusHandle {
                bus: self.clone(),
                id,
                bodies,
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
    bodies: Bodies,
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
        self.bodies.lock().unwrap().insert(block_hash, txs);
    }

    fn forget_bodies(&self, block_hashes: &[B256]) {
        let mut b = self.bodies.lock().unwrap();
        for h in block_hashes {
            b.remove(h);
        }
    }

    fn fetch_body(&self, block_hash: B256, _hint: Option<String>) -> BoxFuture<'static, Result<Vec<Bytes>>> {
        let found = {
            let peers = self.bus.peers.lock().unwrap();
            peers
                .iter()
                .filter(|p| p.id != self.id)
                .find_map(|p| p.bodies.lock().unwrap().get(&block_hash).cloned())
        };
        Box::pin(async move {
            match found {
                Some(txs) => Ok(txs.as_ref().clone()),
                None => Err(Error::Network(format!("no peer serves the body of {block_hash}"))),
            }
        })
    }
}
