//! The libp2p transport: TCP + noise + yamux; gossipsub for the announcement topics and
//! request-response (JSON codec) for block bodies (`block-body/1`) and for missed job results
//! (`job-results/1`: `{"block_hash", "jobs"}` -> list of `abi.encode`d `job-result` payloads).
//! Topic and protocol names are prefixed `/spn/<chainId>/<rollup>/`.
//!
//! Operators run it as a long-lived network: the node's identity (ed25519) can live in a key
//! file so its peer id (and so a bootnode address) survives restarts; `identify` and Kademlia
//! (`<namespace>/kad/1`, server mode) discover peers from the bootnodes, which are dialled up to
//! [`TARGET_PEERS`]; bootnodes and known peers that disconnect are redialled with exponential
//! backoff. A sequencer's transaction pool can be shared over the `tx` topic
//! ([`P2pNetwork::share_pool`]); the agent core never sees that topic.
//!
//! Gossip runs in validation mode: the network task checks each message's size, encoding and
//! signature before gossipsub forwards it (a bad one is rejected, logged and never forwarded);
//! the agent then checks what needs chain state (eligibility, outputs).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy_primitives::{Bytes, B256};
use alloy_sol_types::Eip712Domain;
use futures::future::BoxFuture;
use futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance, TopicHash};
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport};
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::{DialError, NetworkBehaviour, SwarmEvent};
use libp2p::{identify, kad, noise, tcp, yamux, Multiaddr, PeerId, StreamProtocol, Swarm};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use super::messages::{
    check_results_response, AttestationMsg, JobResultMsg, ProposalMsg, ResultsRequest, StartedMsg,
    TransitionSigMsg,
};
use super::{Inbound, Network, Served, Topic, MAX_RESULT_JOBS, MAX_TX_BYTES};
use crate::error::{Error, Result};
use crate::metrics::Metrics;
use crate::pool::{check_tx, Added, TxPool};

/// Where a peer listens and whom it dials.
#[derive(Debug, Clone)]
pub struct P2pConfig {
    /// Listen address (`/ip4/127.0.0.1/tcp/0` picks a free port).
    pub listen: Multiaddr,
    /// Bootnodes: dialled at start, put in the routing table, redialled when they disconnect.
    /// With `/p2p/<peer id>` they are tracked by id; without, they are redialled only while no
    /// peer is connected.
    pub peers: Vec<Multiaddr>,
    /// `/spn/<chainId>/<rollup>`.
    pub namespace: String,
    /// EIP-712 domain for the stateless checks.
    pub domain: Eip712Domain,
    /// Where to count dropped messages.
    pub metrics: Option<Arc<Metrics>>,
    /// The node's identity key file (libp2p protobuf encoding of an ed25519 key): loaded if it
    /// exists, created (mode 600) if not. `None`: a new identity, and peer id, every start.
    pub key_file: Option<PathBuf>,
}

/// Peers a node dials on its own (discovered ones); more may connect to it.
pub const TARGET_PEERS: usize = 25;
/// First wait between discovery walks; it doubles up to [`WALK_MAX`].
const WALK_FIRST: Duration = Duration::from_secs(1);
/// Longest wait between discovery walks while below [`TARGET_PEERS`].
const WALK_MAX: Duration = Duration::from_secs(30);
/// First redial delay after a disconnect; it doubles per failed dial up to [`REDIAL_MAX`].
const REDIAL_FIRST: Duration = Duration::from_secs(1);
/// Longest redial delay.
const REDIAL_MAX: Duration = Duration::from_secs(60);
/// Failed redials after which a discovered (not bootnode) peer is forgotten.
const REDIAL_GIVE_UP: u32 = 10;
/// Discovered peers remembered for redialling.
const KNOWN_MAX: usize = 256;
/// How often the peer count is logged.
const PEER_LOG: Duration = Duration::from_secs(30);
/// Proposers remembered per block (whom to dial when no connected peer has a body).
const ORIGINS: usize = 1024;
/// Largest gossip frame: a transaction of [`MAX_TX_BYTES`] plus the envelope (the other topics'
/// payloads are checked against their own, smaller limits).
const MAX_TRANSMIT: usize = 2 * MAX_TX_BYTES;

/// Loads the node identity from `path`, or creates it there (mode 600, directory included).
/// An unreadable or corrupt file is an error naming it, never silently replaced.
pub fn load_or_create_identity(path: &Path) -> Result<Keypair> {
    let err = |reason: String| Error::Key {
        what: format!("p2p key file {}", path.display()),
        reason,
    };
    match std::fs::read(path) {
        Ok(bytes) => {
            use std::os::unix::fs::PermissionsExt;
            let key = Keypair::from_protobuf_encoding(&bytes)
                .map_err(|e| err(format!("not a libp2p identity key ({e})")))?;
            // Whoever reads it can pose as this node (not spend anything): a warning, not a refusal.
            let mode = std::fs::metadata(path).map_or(0, |m| m.permissions().mode() & 0o777);
            if mode & 0o077 != 0 {
                tracing::warn!(target: "spn::net", "p2p key file {} is readable by other users (mode {mode:o}); run `chmod 600 {}`", path.display(), path.display());
            }
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let key = Keypair::generate_ed25519();
            let bytes = key
                .to_protobuf_encoding()
                .map_err(|e| err(format!("encoding a new key: {e}")))?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| err(format!("creating {}: {e}", dir.display())))?;
            }
            // create_new: two nodes started on one file never overwrite each other's key.
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| err(format!("cannot create: {e}")))?;
            f.write_all(&bytes)
                .and_then(|_| f.sync_all())
                .map_err(|e| err(format!("cannot write: {e}")))?;
            tracing::info!(target: "spn::net", "created p2p identity {} in {}", key.public().to_peer_id(), path.display());
            Ok(key)
        }
        Err(e) => Err(err(format!("unreadable: {e}"))),
    }
}

/// What the network does with a transaction received on the `tx` topic: checked (non-empty,
/// at most [`MAX_TX_BYTES`]) and, with a pool, queued once. `Ok(true)`: forward it;
/// `Ok(false)`: a duplicate (queued or taken before), not forwarded again.
pub fn on_gossiped_tx(pool: Option<&TxPool>, data: &[u8]) -> std::result::Result<bool, String> {
    match pool {
        Some(pool) => match pool.add_gossiped(Bytes::copy_from_slice(data))? {
            Added::Queued(_) => Ok(true),
            Added::Duplicate(_) => Ok(false),
        },
        None => check_tx(data).map(|_| true),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct BodyRequest {
    block_hash: B256,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
enum BodyResponse {
    Found(Vec<Bytes>),
    NotFound,
}

#[derive(NetworkBehaviour)]
struct Behaviour {
    gossipsub: gossipsub::Behaviour,
    bodies: request_response::json::Behaviour<BodyRequest, BodyResponse>,
    results: request_response::json::Behaviour<ResultsRequest, Vec<Bytes>>,
    identify: identify::Behaviour,
    kad: kad::Behaviour<kad::store::MemoryStore>,
}

enum Cmd {
    Publish(Topic, Bytes),
    Fetch(B256, Option<PeerId>, oneshot::Sender<Result<Vec<Bytes>>>),
    FetchResults(
        ResultsRequest,
        Option<PeerId>,
        oneshot::Sender<Result<Vec<Bytes>>>,
    ),
    Dial(Multiaddr),
    PublishTx(Bytes),
    SharePool(Arc<TxPool>),
}

/// Body requests in flight per fetch.
const FETCH_PARALLEL: usize = 4;

/// A running libp2p peer.
#[derive(Debug)]
pub struct P2pNetwork {
    peer_id: PeerId,
    listen: Multiaddr,
    cmd: mpsc::UnboundedSender<Cmd>,
    served: Served,
    peers: Arc<Mutex<Vec<PeerId>>>,
}

impl std::fmt::Debug for Cmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cmd")
    }
}

impl P2pNetwork {
    /// Starts the peer; returns it once it listens, with the inbox of checked gossip.
    pub async fn start(cfg: P2pConfig) -> Result<(Arc<Self>, mpsc::UnboundedReceiver<Inbound>)> {
        let net = |e: String| Error::Network(e);
        let identity = match &cfg.key_file {
            Some(path) => load_or_create_identity(path)?,
            None => Keypair::generate_ed25519(),
        };
        let gossip_cfg = gossipsub::ConfigBuilder::default()
            .heartbeat_interval(Duration::from_millis(500))
            .validation_mode(gossipsub::ValidationMode::Strict)
            .validate_messages()
            .max_transmit_size(MAX_TRANSMIT)
            .build()
            .map_err(|e| net(format!("gossipsub config: {e}")))?;
        let proto = |name: &str| {
            StreamProtocol::try_from_owned(format!("{}/{name}", cfg.namespace))
                .map_err(|e| net(format!("protocol name: {e}")))
        };
        let protocol = proto("block-body/1")?;
        let results_protocol = proto("job-results/1")?;
        let kad_protocol = proto("kad/1")?;
        let namespace = cfg.namespace.clone();
        let kad_proto = kad_protocol.clone();
        let mut swarm: Swarm<Behaviour> = libp2p::SwarmBuilder::with_existing_identity(identity)
            .with_tokio()
            .with_tcp(
                tcp::Config::default().nodelay(true),
                noise::Config::new,
                yamux::Config::default,
            )
            .map_err(|e| net(format!("transport: {e}")))?
            .with_behaviour(|key| {
                let gossipsub = gossipsub::Behaviour::new(
                    gossipsub::MessageAuthenticity::Signed(key.clone()),
                    gossip_cfg,
                )?;
                let bodies = request_response::json::Behaviour::new(
                    [(protocol, ProtocolSupport::Full)],
                    request_response::Config::default()
                        .with_request_timeout(Duration::from_secs(5)),
                );
                let results = request_response::json::Behaviour::new(
                    [(results_protocol, ProtocolSupport::Full)],
                    request_response::Config::default()
                        .with_request_timeout(Duration::from_secs(5)),
                );
                let identify =
                    identify::Behaviour::new(identify::Config::new(namespace, key.public()));
                let me = key.public().to_peer_id();
                let mut kad = kad::Behaviour::with_config(
                    me,
                    kad::store::MemoryStore::new(me),
                    kad::Config::new(kad_proto),
                );
                // Every node answers lookups: there is no NAT or external address to wait for.
                kad.set_mode(Some(kad::Mode::Server));
                Ok(Behaviour {
                    gossipsub,
                    bodies,
                    results,
                    identify,
                    kad,
                })
            })
            .map_err(|e| net(format!("behaviour: {e}")))?
            .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(3600)))
            .build();
        let topics: Vec<(Topic, IdentTopic)> = [
            Topic::Proposal,
            Topic::Attestation,
            Topic::JobResult,
            Topic::JobStarted,
            Topic::TransitionSignature,
        ]
        .into_iter()
        .map(|t| {
            (
                t,
                IdentTopic::new(format!("{}/{}", cfg.namespace, t.name())),
            )
        })
        .collect();
        // Every node relays transactions, with a pool or not, so they cross any topology.
        let tx_topic = IdentTopic::new(format!("{}/tx", cfg.namespace));
        for t in topics.iter().map(|(_, t)| t).chain([&tx_topic]) {
            swarm
                .behaviour_mut()
                .gossipsub
                .subscribe(t)
                .map_err(|e| net(format!("subscribe: {e}")))?;
        }
        swarm
            .listen_on(cfg.listen.clone())
            .map_err(|e| net(format!("listen on {}: {e}", cfg.listen)))?;
        let mut known = HashMap::new();
        let mut unnamed = Vec::new();
        for p in &cfg.peers {
            match split_peer(p) {
                Some((peer, addr)) => {
                    swarm.behaviour_mut().kad.add_address(&peer, addr.clone());
                    known.insert(
                        peer,
                        Known {
                            addrs: vec![addr],
                            bootnode: true,
                            failures: 0,
                            next: None,
                        },
                    );
                }
                None => unnamed.push(p.clone()),
            }
        }
        // Events that arrive before the listen address (a dialled peer's connection, its first
        // gossip) are kept and handed to the task, not dropped.
        let mut early = Vec::new();
        let listen = loop {
            match tokio::time::timeout(Duration::from_secs(10), swarm.select_next_some()).await {
                Ok(SwarmEvent::NewListenAddr { address, .. }) => break address,
                // Address in use, not assignable, ...: the reason, at once.
                Ok(SwarmEvent::ListenerClosed { reason: Err(e), .. }) => {
                    return Err(net(format!("cannot listen on {}: {e}", cfg.listen)))
                }
                Ok(SwarmEvent::ListenerError { error, .. }) => {
                    return Err(net(format!("cannot listen on {}: {error}", cfg.listen)))
                }
                Ok(ev) => early.push(ev),
                Err(_) => return Err(net(format!("no listen address on {}", cfg.listen))),
            }
        };
        let peer_id = *swarm.local_peer_id();
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (in_tx, in_rx) = mpsc::unbounded_channel();
        let served = Served::default();
        let peers = Arc::new(Mutex::new(Vec::new()));
        let now = Instant::now();
        let mut task = Task {
            swarm,
            topics,
            tx_topic,
            pool: None,
            kad_protocol,
            metrics: cfg.metrics,
            domain: cfg.domain,
            served: served.clone(),
            inbox: in_tx,
            pending: HashMap::new(),
            fetches: HashMap::new(),
            pending_results: HashMap::new(),
            result_fetches: HashMap::new(),
            next_fetch_id: 0,
            peers: peers.clone(),
            known,
            unnamed,
            unnamed_backoff: REDIAL_FIRST,
            unnamed_next: now,
            walk_every: WALK_FIRST,
            next_walk: now + WALK_FIRST,
            next_log: now + PEER_LOG,
            origins: HashMap::new(),
            origin_order: VecDeque::new(),
            awaiting: HashMap::new(),
            lookups: HashMap::new(),
        };
        task.dial_bootnodes();
        for ev in early {
            task.on_event(ev);
        }
        tokio::spawn(task.run(cmd_rx));
        Ok((
            Arc::new(Self {
                peer_id,
                listen: listen.with(Protocol::P2p(peer_id)),
                cmd: cmd_tx,
                served,
                peers,
            }),
            in_rx,
        ))
    }

    /// Number of connected peers.
    pub fn peer_count(&self) -> usize {
        self.peers.lock().unwrap().len()
    }

    /// Peer ids of the connected peers.
    pub fn connected_peers(&self) -> Vec<String> {
        let peers = self.peers.lock().unwrap();
        peers.iter().map(PeerId::to_string).collect()
    }

    /// Shares `pool` with the other nodes over the `tx` topic: what its endpoint accepts is
    /// published, what arrives from gossip is queued once.
    pub fn share_pool(&self, pool: &Arc<TxPool>) {
        // A weak handle: the pool must not keep the network task alive.
        let cmd = self.cmd.downgrade();
        pool.gossip_to(move |tx| {
            if let Some(c) = cmd.upgrade() {
                let _ = c.send(Cmd::PublishTx(tx));
            }
        });
        let _ = self.cmd.send(Cmd::SharePool(pool.clone()));
    }

    /// The address other peers dial (with `/p2p/<peer id>`).
    pub fn listen_addr(&self) -> Multiaddr {
        self.listen.clone()
    }

    /// Dials another peer.
    pub fn dial(&self, addr: Multiaddr) {
        let _ = self.cmd.send(Cmd::Dial(addr));
    }
}

impl Network for P2pNetwork {
    fn peer_id(&self) -> String {
        self.peer_id.to_string()
    }

    fn publish(&self, topic: Topic, payload: Bytes) {
        let _ = self.cmd.send(Cmd::Publish(topic, payload));
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
        mut jobs: Vec<u32>,
        hint: Option<String>,
    ) -> BoxFuture<'static, Result<Vec<Bytes>>> {
        let (tx, rx) = oneshot::channel();
        jobs.sort_unstable();
        jobs.dedup();
        jobs.truncate(MAX_RESULT_JOBS);
        let hint = hint.and_then(|h| h.parse::<PeerId>().ok());
        let req = ResultsRequest { block_hash, jobs };
        let sent = self.cmd.send(Cmd::FetchResults(req, hint, tx)).is_ok();
        Box::pin(async move {
            if !sent {
                return Err(Error::Network("network stopped".into()));
            }
            match tokio::time::timeout(Duration::from_secs(8), rx).await {
                Ok(Ok(r)) => r,
                _ => Err(Error::Network(format!("no results for {block_hash}"))),
            }
        })
    }

    fn fetch_body(
        &self,
        block_hash: B256,
        hint: Option<String>,
    ) -> BoxFuture<'static, Result<Vec<Bytes>>> {
        let (tx, rx) = oneshot::channel();
        let hint = hint.and_then(|h| h.parse::<PeerId>().ok());
        let sent = self.cmd.send(Cmd::Fetch(block_hash, hint, tx)).is_ok();
        Box::pin(async move {
            if !sent {
                return Err(Error::Network("network stopped".into()));
            }
            match tokio::time::timeout(Duration::from_secs(8), rx).await {
                Ok(Ok(r)) => r,
                _ => Err(Error::Network(format!("no body for {block_hash}"))),
            }
        })
    }
}

struct Fetch {
    hash: B256,
    /// The announcer's peer id, dialled if no connected peer has the body.
    hint: Option<PeerId>,
    /// Peers still to ask, the next one last.
    untried: Vec<PeerId>,
    in_flight: usize,
    /// The block's proposer (or the hinted peer) was dialled for this fetch.
    origin_tried: bool,
    /// Waiting for that dial.
    waiting: bool,
    reply: Option<oneshot::Sender<Result<Vec<Bytes>>>>,
}

/// A peer to keep connected to: a bootnode, or one discovered (identified on our namespace).
struct Known {
    addrs: Vec<Multiaddr>,
    bootnode: bool,
    /// Dials failed since the last connection.
    failures: u32,
    /// When to redial; `None` while connected or dialling.
    next: Option<Instant>,
}

/// Redial delay after `failures` failed dials.
fn backoff(failures: u32) -> Duration {
    REDIAL_FIRST
        .saturating_mul(1u32 << failures.min(16))
        .min(REDIAL_MAX)
}

/// Splits `/ip4/../p2p/<id>` into the peer id and the address without it.
fn split_peer(addr: &Multiaddr) -> Option<(PeerId, Multiaddr)> {
    let mut a = addr.clone();
    match a.pop() {
        Some(Protocol::P2p(peer)) => Some((peer, a)),
        _ => None,
    }
}

struct ResultsFetch {
    hash: B256,
    /// Requested jobs without a result yet.
    missing: BTreeSet<u32>,
    got: Vec<Bytes>,
    /// Peers still to ask, the next one last.
    untried: Vec<PeerId>,
    in_flight: usize,
    reply: Option<oneshot::Sender<Result<Vec<Bytes>>>>,
}

struct Task {
    swarm: Swarm<Behaviour>,
    topics: Vec<(Topic, IdentTopic)>,
    metrics: Option<Arc<Metrics>>,
    domain: Eip712Domain,
    served: Served,
    inbox: mpsc::UnboundedSender<Inbound>,
    pending: HashMap<OutboundRequestId, u64>,
    fetches: HashMap<u64, Fetch>,
    pending_results: HashMap<OutboundRequestId, (u64, PeerId, ResultsRequest)>,
    result_fetches: HashMap<u64, ResultsFetch>,
    next_fetch_id: u64,
    tx_topic: IdentTopic,
    pool: Option<Arc<TxPool>>,
    kad_protocol: StreamProtocol,
    /// Connected peers, shared with [`P2pNetwork::peer_count`].
    peers: Arc<Mutex<Vec<PeerId>>>,
    known: HashMap<PeerId, Known>,
    /// Bootnodes given without a peer id.
    unnamed: Vec<Multiaddr>,
    unnamed_backoff: Duration,
    unnamed_next: Instant,
    walk_every: Duration,
    next_walk: Instant,
    next_log: Instant,
    /// Block hash -> the peer that published its proposal.
    origins: HashMap<B256, PeerId>,
    origin_order: VecDeque<B256>,
    /// Body fetches waiting for a dial to a peer.
    awaiting: HashMap<PeerId, Vec<u64>>,
    /// Lookups of a peer's address for a waiting fetch.
    lookups: HashMap<kad::QueryId, PeerId>,
}

impl Task {
    async fn run(mut self, mut cmds: mpsc::UnboundedReceiver<Cmd>) {
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                cmd = cmds.recv() => match cmd {
                    Some(c) => self.on_cmd(c),
                    None => break,
                },
                ev = self.swarm.select_next_some() => self.on_event(ev),
                _ = tick.tick() => self.on_tick(Instant::now()),
            }
        }
    }

    /// Redials, discovery walks and the peer-count log.
    fn on_tick(&mut self, now: Instant) {
        let count = self.peer_count();
        let due: Vec<PeerId> = self
            .known
            .iter()
            .filter(|(_, k)| k.next.is_some_and(|t| t <= now))
            .filter(|(_, k)| k.bootnode || count < TARGET_PEERS)
            .map(|(p, _)| *p)
            .collect();
        for peer in due {
            self.redial(peer, now);
        }
        if count == 0 && !self.unnamed.is_empty() && now >= self.unnamed_next {
            self.unnamed_backoff = (self.unnamed_backoff * 2).min(REDIAL_MAX);
            self.unnamed_next = now + self.unnamed_backoff;
            for addr in self.unnamed.clone() {
                if let Err(e) = self.swarm.dial(addr.clone()) {
                    tracing::debug!(target: "spn::net", "dial {addr}: {e}");
                }
            }
        }
        if now >= self.next_walk {
            // Walk often while the network is being found, then every WALK_MAX.
            self.walk_every = (self.walk_every * 2).min(WALK_MAX);
            self.next_walk = now + self.walk_every;
            if count < TARGET_PEERS {
                // No known peer yet: nothing to walk from (a bootnode redial will add one).
                let _ = self.swarm.behaviour_mut().kad.bootstrap();
            }
        }
        if now >= self.next_log {
            self.next_log = now + PEER_LOG;
            tracing::info!(target: "spn::net", "peers={count}");
        }
    }

    fn peer_count(&self) -> usize {
        self.swarm.network_info().num_peers()
    }

    fn publish_peers(&self) {
        *self.peers.lock().unwrap() = self.swarm.connected_peers().copied().collect();
    }

    fn dial_bootnodes(&mut self) {
        let peers: Vec<PeerId> = self.known.keys().copied().collect();
        for peer in peers {
            self.redial(peer, Instant::now());
        }
        for addr in self.unnamed.clone() {
            if let Err(e) = self.swarm.dial(addr.clone()) {
                tracing::warn!(target: "spn::net", "dial {addr}: {e}");
            }
        }
    }

    /// Dials a known peer at its known addresses (and those the routing table has).
    fn redial(&mut self, peer: PeerId, now: Instant) {
        let Some(k) = self.known.get_mut(&peer) else {
            return;
        };
        k.next = None;
        let opts = DialOpts::peer_id(peer)
            .condition(PeerCondition::DisconnectedAndNotDialing)
            .addresses(k.addrs.clone())
            .extend_addresses_through_behaviour()
            .build();
        match self.swarm.dial(opts) {
            Ok(()) => {}
            // Connected or being dialled already: the connection events take it from there.
            Err(DialError::DialPeerConditionFalse(_)) => {}
            Err(e) => {
                tracing::debug!(target: "spn::net", %peer, "redial: {e}");
                self.dial_failed(peer, now);
            }
        }
    }

    /// Counts a failed dial of a known peer and schedules the next one (or forgets a
    /// discovered peer that failed too often).
    fn dial_failed(&mut self, peer: PeerId, now: Instant) {
        if self.swarm.is_connected(&peer) {
            return;
        }
        let Some(k) = self.known.get_mut(&peer) else {
            return;
        };
        k.failures = k.failures.saturating_add(1);
        if !k.bootnode && k.failures >= REDIAL_GIVE_UP {
            self.known.remove(&peer);
            return;
        }
        k.next = Some(now + backoff(k.failures));
    }

    /// Dials a discovered peer while below [`TARGET_PEERS`].
    fn maybe_dial(&mut self, peer: PeerId, addrs: Vec<Multiaddr>) {
        if peer == *self.swarm.local_peer_id()
            || self.swarm.is_connected(&peer)
            || self.peer_count() >= TARGET_PEERS
        {
            return;
        }
        let opts = DialOpts::peer_id(peer)
            .condition(PeerCondition::DisconnectedAndNotDialing)
            .addresses(addrs)
            .build();
        let _ = self.swarm.dial(opts);
    }

    /// Remembers a peer identified on our namespace, to redial it if it disconnects.
    fn remember(&mut self, peer: PeerId, addrs: Vec<Multiaddr>) {
        if let Some(k) = self.known.get_mut(&peer) {
            if !k.bootnode {
                k.addrs = addrs;
            }
            return;
        }
        if self.known.len() >= KNOWN_MAX {
            return;
        }
        self.known.insert(
            peer,
            Known {
                addrs,
                bootnode: false,
                failures: 0,
                next: None,
            },
        );
    }

    fn topic_of(&self, hash: &TopicHash) -> Option<Topic> {
        self.topics
            .iter()
            .find(|(_, t)| &t.hash() == hash)
            .map(|(k, _)| *k)
    }

    fn on_cmd(&mut self, c: Cmd) {
        match c {
            Cmd::Publish(topic, payload) => {
                let t = self
                    .topics
                    .iter()
                    .find(|(k, _)| *k == topic)
                    .map(|(_, t)| t.clone())
                    .expect("subscribed");
                if let Err(e) = self
                    .swarm
                    .behaviour_mut()
                    .gossipsub
                    .publish(t, payload.to_vec())
                {
                    tracing::debug!(target: "spn::net", "publish on {}: {e}", topic.name());
                }
            }
            Cmd::Fetch(hash, hint, reply) => {
                // Ask the hinted peer (the announcer) first, then the others, a few at a time.
                let untried = self.peers_to_ask(hint);
                let id = self.next_fetch_id;
                self.next_fetch_id += 1;
                self.fetches.insert(
                    id,
                    Fetch {
                        hash,
                        hint,
                        untried,
                        in_flight: 0,
                        origin_tried: false,
                        waiting: false,
                        reply: Some(reply),
                    },
                );
                self.advance_fetch(id);
            }
            Cmd::FetchResults(req, hint, reply) => {
                let untried = self.peers_to_ask(hint);
                let id = self.next_fetch_id;
                self.next_fetch_id += 1;
                self.result_fetches.insert(
                    id,
                    ResultsFetch {
                        hash: req.block_hash,
                        missing: req.jobs.into_iter().collect(),
                        got: Vec::new(),
                        untried,
                        in_flight: 0,
                        reply: Some(reply),
                    },
                );
                self.advance_results(id);
            }
            Cmd::Dial(addr) => {
                if let Err(e) = self.swarm.dial(addr.clone()) {
                    tracing::warn!(target: "spn::net", "dial {addr}: {e}");
                }
            }
            Cmd::PublishTx(tx) => {
                let t = self.tx_topic.clone();
                if let Err(e) = self.swarm.behaviour_mut().gossipsub.publish(t, tx.to_vec()) {
                    tracing::debug!(target: "spn::net", "publish on tx: {e}");
                }
            }
            Cmd::SharePool(pool) => self.pool = Some(pool),
        }
    }

    /// Connected peers in asking order (popped from the end): the hinted peer first. The
    /// swarm's own connection table is the only record of who is connected.
    fn peers_to_ask(&self, hint: Option<PeerId>) -> Vec<PeerId> {
        let mut untried: Vec<PeerId> = self
            .swarm
            .connected_peers()
            .copied()
            .filter(|p| Some(*p) != hint)
            .collect();
        if let Some(h) = hint.filter(|h| self.swarm.is_connected(h)) {
            untried.push(h);
        }
        untried
    }

    /// Keeps up to [`FETCH_PARALLEL`] requests of results fetch `id` in flight (each for the
    /// jobs still missing); answers with what was received once every job has a result or
    /// every peer answered.
    fn advance_results(&mut self, id: u64) {
        let Some(f) = self.result_fetches.get_mut(&id) else {
            return;
        };
        if f.missing.is_empty() || (f.untried.is_empty() && f.in_flight == 0) {
            let f = self.result_fetches.remove(&id).expect("present");
            if let Some(reply) = f.reply {
                let _ = reply.send(Ok(f.got));
            }
            return;
        }
        let jobs: Vec<u32> = f.missing.iter().copied().collect();
        let mut sends = Vec::new();
        while f.in_flight < FETCH_PARALLEL {
            let Some(peer) = f.untried.pop() else { break };
            f.in_flight += 1;
            sends.push(peer);
        }
        let hash = f.hash;
        for peer in sends {
            let req = ResultsRequest {
                block_hash: hash,
                jobs: jobs.clone(),
            };
            let rid = self
                .swarm
                .behaviour_mut()
                .results
                .send_request(&peer, req.clone());
            self.pending_results.insert(rid, (id, peer, req));
        }
    }

    fn results_answered(&mut self, rid: OutboundRequestId, payloads: Option<Vec<Bytes>>) {
        let Some((id, peer, req)) = self.pending_results.remove(&rid) else {
            return;
        };
        let mut valid = Vec::new();
        if let Some(payloads) = payloads {
            match check_results_response(&req, &payloads, &self.domain) {
                Ok((ok, bad)) => {
                    for reason in bad {
                        self.drop_result(&peer, &reason);
                    }
                    valid = ok;
                }
                Err(reason) => self.drop_result(&peer, &reason),
            }
        }
        let Some(f) = self.result_fetches.get_mut(&id) else {
            return;
        };
        f.in_flight -= 1;
        for r in valid {
            let p = r.encode();
            f.missing.remove(&r.job);
            if !f.got.contains(&p) {
                f.got.push(p);
            }
        }
        self.advance_results(id);
    }

    fn drop_result(&self, peer: &PeerId, reason: &str) {
        if let Some(m) = &self.metrics {
            m.rejected();
        }
        tracing::warn!(target: "spn::net", %peer, kind = "job-results", "dropped result: {reason}");
    }

    /// Keeps up to [`FETCH_PARALLEL`] requests of fetch `id` in flight. When every connected
    /// peer answered without the body, dials the block's proposer (or the hinted announcer) if
    /// it is not connected (a node that is not linked to the proposer still gets the body);
    /// fails once that is tried too.
    fn advance_fetch(&mut self, id: u64) {
        let Some(f) = self.fetches.get_mut(&id) else {
            return;
        };
        if f.reply.as_ref().is_none_or(|r| r.is_closed()) {
            // The caller gave up (timeout): nothing to answer.
            if f.in_flight == 0 {
                self.fetches.remove(&id);
            }
            return;
        }
        let mut sends = Vec::new();
        while f.in_flight < FETCH_PARALLEL {
            let Some(peer) = f.untried.pop() else { break };
            f.in_flight += 1;
            sends.push((peer, f.hash));
        }
        if f.in_flight == 0 {
            if f.waiting {
                return;
            }
            if !f.origin_tried {
                f.origin_tried = true;
                let origin = self.origins.get(&f.hash).copied().or(f.hint);
                if let Some(origin) = origin.filter(|o| !self.swarm.is_connected(o)) {
                    if let Some(f) = self.fetches.get_mut(&id) {
                        f.waiting = true;
                    }
                    self.awaiting.entry(origin).or_default().push(id);
                    self.dial_origin(origin);
                    return;
                }
            }
            let f = self.fetches.remove(&id).expect("present");
            if let Some(reply) = f.reply {
                let _ = reply.send(Err(Error::Network(format!(
                    "no peer serves the body of {}",
                    f.hash
                ))));
            }
            return;
        }
        for (peer, block_hash) in sends {
            let rid = self
                .swarm
                .behaviour_mut()
                .bodies
                .send_request(&peer, BodyRequest { block_hash });
            self.pending.insert(rid, id);
        }
    }

    /// Dials `peer` for waiting body fetches: at the addresses the routing table has, else
    /// after looking it up.
    fn dial_origin(&mut self, peer: PeerId) {
        let opts = DialOpts::peer_id(peer)
            .condition(PeerCondition::DisconnectedAndNotDialing)
            .build();
        match self.swarm.dial(opts) {
            Ok(()) | Err(DialError::DialPeerConditionFalse(_)) => {}
            Err(_) => {
                if !self.lookups.values().any(|p| *p == peer) {
                    let q = self.swarm.behaviour_mut().kad.get_closest_peers(peer);
                    self.lookups.insert(q, peer);
                }
            }
        }
    }

    /// A dial for waiting fetches ended: on a connection they ask `peer`, else they fail.
    fn origin_dialled(&mut self, peer: PeerId, connected: bool) {
        let Some(ids) = self.awaiting.remove(&peer) else {
            return;
        };
        for id in ids {
            if let Some(f) = self.fetches.get_mut(&id) {
                f.waiting = false;
                if connected {
                    f.untried.push(peer);
                }
            }
            self.advance_fetch(id);
        }
    }

    fn fetch_answered(&mut self, rid: OutboundRequestId, body: Option<Vec<Bytes>>) {
        let Some(id) = self.pending.remove(&rid) else {
            return;
        };
        let Some(f) = self.fetches.get_mut(&id) else {
            return;
        };
        f.in_flight -= 1;
        if let Some(txs) = body {
            if let Some(reply) = f.reply.take() {
                let _ = reply.send(Ok(txs));
            }
            f.untried.clear();
        }
        if f.reply.is_none() && f.in_flight == 0 {
            self.fetches.remove(&id);
            return;
        }
        if f.reply.is_some() {
            self.advance_fetch(id);
        }
    }

    /// Checks a gossip message without chain state: size, encoding, signature. Returns the
    /// block hash of a proposal.
    fn check(&self, topic: Topic, data: &[u8]) -> std::result::Result<Option<B256>, String> {
        match topic {
            Topic::Proposal => {
                ProposalMsg::decode(data, &self.domain).map(|m| Some(m.header.hash()))
            }
            Topic::Attestation => AttestationMsg::decode(data, &self.domain).map(|_| None),
            Topic::JobResult => JobResultMsg::decode(data, &self.domain).map(|_| None),
            Topic::JobStarted => StartedMsg::decode(data, &self.domain).map(|_| None),
            Topic::TransitionSignature => TransitionSigMsg::decode(data).map(|_| None),
        }
    }

    /// Remembers who published the proposal of `hash` (bounded, oldest forgotten first).
    fn note_origin(&mut self, hash: B256, peer: PeerId) {
        if self.origins.insert(hash, peer).is_none() {
            self.origin_order.push_back(hash);
            if self.origin_order.len() > ORIGINS {
                if let Some(old) = self.origin_order.pop_front() {
                    self.origins.remove(&old);
                }
            }
        }
    }

    /// A transaction from gossip: queued once in the shared pool; a duplicate is not forwarded,
    /// a malformed one is rejected and logged.
    fn on_tx(&mut self, source: PeerId, id: gossipsub::MessageId, data: &[u8]) {
        let verdict = on_gossiped_tx(self.pool.as_deref(), data);
        let acceptance = match &verdict {
            Ok(true) => MessageAcceptance::Accept,
            Ok(false) => MessageAcceptance::Ignore,
            Err(_) => MessageAcceptance::Reject,
        };
        self.swarm
            .behaviour_mut()
            .gossipsub
            .report_message_validation_result(&id, &source, acceptance);
        if let Err(reason) = verdict {
            if let Some(m) = &self.metrics {
                m.rejected();
            }
            tracing::warn!(target: "spn::net", peer = %source, kind = "tx", "dropped message: {reason}");
        }
    }

    fn on_event(&mut self, ev: SwarmEvent<BehaviourEvent>) {
        match ev {
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            })) => {
                if message.topic == self.tx_topic.hash() {
                    self.on_tx(propagation_source, message_id, &message.data);
                    return;
                }
                let Some(topic) = self.topic_of(&message.topic) else {
                    return;
                };
                let verdict = self.check(topic, &message.data);
                let acceptance = match &verdict {
                    Ok(_) => MessageAcceptance::Accept,
                    Err(_) => MessageAcceptance::Reject,
                };
                self.swarm
                    .behaviour_mut()
                    .gossipsub
                    .report_message_validation_result(&message_id, &propagation_source, acceptance);
                match verdict {
                    Ok(proposal) => {
                        if let (Some(hash), Some(source)) = (proposal, message.source) {
                            self.note_origin(hash, source);
                        }
                        let _ = self.inbox.send(Inbound {
                            peer: propagation_source.to_string(),
                            topic,
                            payload: message.data.into(),
                        });
                    }
                    Err(reason) => {
                        if let Some(m) = &self.metrics {
                            m.rejected();
                        }
                        tracing::warn!(target: "spn::net", peer = %propagation_source, kind = topic.name(), "dropped message: {reason}");
                    }
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Bodies(ev)) => self.on_bodies(ev),
            SwarmEvent::Behaviour(BehaviourEvent::Results(ev)) => self.on_results(ev),
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            // Only peers of this deployment (they speak its kad protocol) join the table.
            })) if info.protocols.contains(&self.kad_protocol) => {
                for addr in &info.listen_addrs {
                    self.swarm
                        .behaviour_mut()
                        .kad
                        .add_address(&peer_id, addr.clone());
                }
                self.remember(peer_id, info.listen_addrs);
            }
            SwarmEvent::Behaviour(BehaviourEvent::Kad(ev)) => self.on_kad(ev),
            SwarmEvent::ConnectionEstablished { peer_id, .. } => {
                self.publish_peers();
                if let Some(k) = self.known.get_mut(&peer_id) {
                    k.failures = 0;
                    k.next = None;
                }
                self.origin_dialled(peer_id, true);
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                self.publish_peers();
                if let Some(k) = self.known.get_mut(&peer_id) {
                    k.next = Some(Instant::now() + backoff(k.failures));
                }
            }
            SwarmEvent::OutgoingConnectionError {
                peer_id: Some(peer),
                error,
                ..
            } => {
                tracing::debug!(target: "spn::net", %peer, "dial failed: {error}");
                self.dial_failed(peer, Instant::now());
                if !self.swarm.is_connected(&peer) {
                    self.origin_dialled(peer, false);
                }
            }
            _ => {}
        }
    }

    fn on_kad(&mut self, ev: kad::Event) {
        match ev {
            kad::Event::RoutingUpdated {
                peer, addresses, ..
            } => self.maybe_dial(peer, addresses.into_vec()),
            kad::Event::OutboundQueryProgressed {
                id,
                result: kad::QueryResult::GetClosestPeers(res),
                step,
                ..
            } => {
                let peers = match res {
                    Ok(ok) => ok.peers,
                    Err(kad::GetClosestPeersError::Timeout { peers, .. }) => peers,
                };
                if let Some(wanted) = self.lookups.get(&id).copied() {
                    if let Some(p) = peers.iter().find(|p| p.peer_id == wanted) {
                        let opts = DialOpts::peer_id(wanted)
                            .condition(PeerCondition::DisconnectedAndNotDialing)
                            .addresses(p.addrs.clone())
                            .build();
                        self.lookups.remove(&id);
                        if let Err(e) = self.swarm.dial(opts) {
                            if !matches!(e, DialError::DialPeerConditionFalse(_)) {
                                self.origin_dialled(wanted, false);
                            }
                        }
                    } else if step.last {
                        self.lookups.remove(&id);
                        self.origin_dialled(wanted, false);
                    }
                    return;
                }
                for p in peers {
                    self.maybe_dial(p.peer_id, p.addrs);
                }
            }
            _ => {}
        }
    }

    fn on_bodies(&mut self, ev: request_response::Event<BodyRequest, BodyResponse>) {
        match ev {
            request_response::Event::Message { message, .. } => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => {
                    let body = self.served.body(&request.block_hash);
                    let resp = match body {
                        Some(txs) => BodyResponse::Found(txs.as_ref().clone()),
                        None => BodyResponse::NotFound,
                    };
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .bodies
                        .send_response(channel, resp);
                }
                request_response::Message::Response {
                    request_id,
                    response,
                } => {
                    let body = match response {
                        BodyResponse::Found(txs) => Some(txs),
                        BodyResponse::NotFound => None,
                    };
                    self.fetch_answered(request_id, body);
                }
            },
            request_response::Event::OutboundFailure {
                request_id,
                error,
                peer,
                ..
            } => {
                tracing::debug!(target: "spn::net", %peer, "body request failed: {error}");
                self.fetch_answered(request_id, None);
            }
            _ => {}
        }
    }

    fn on_results(&mut self, ev: request_response::Event<ResultsRequest, Vec<Bytes>>) {
        match ev {
            request_response::Event::Message { message, peer, .. } => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => {
                    let resp = match request.check() {
                        Ok(()) => self.served.answer(request.block_hash, &request.jobs),
                        Err(reason) => {
                            tracing::warn!(target: "spn::net", %peer, kind = "job-results", "dropped request: {reason}");
                            Vec::new()
                        }
                    };
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .results
                        .send_response(channel, resp);
                }
                request_response::Message::Response {
                    request_id,
                    response,
                } => {
                    self.results_answered(request_id, Some(response));
                }
            },
            request_response::Event::OutboundFailure {
                request_id,
                error,
                peer,
                ..
            } => {
                tracing::debug!(target: "spn::net", %peer, "results request failed: {error}");
                self.results_answered(request_id, None);
            }
            _ => {}
        }
    }
}
