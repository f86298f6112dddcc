//! The libp2p transport: TCP + noise + yamux; gossipsub for the announcement topics and
//! request-response (JSON codec) for block bodies (`block-body/1`) and for missed job results
//! (`job-results/1`: `{"block_hash", "jobs"}` -> list of `abi.encode`d `job-result` payloads).
//! Topic and protocol names are prefixed `/spn/<chainId>/<rollup>/`.
//!
//! Gossip runs in validation mode: the network task checks each message's size, encoding and
//! signature before gossipsub forwards it (a bad one is rejected, logged and never forwarded);
//! the agent then checks what needs chain state (eligibility, outputs).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{Bytes, B256};
use alloy_sol_types::Eip712Domain;
use futures::future::BoxFuture;
use futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance, TopicHash};
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{noise, tcp, yamux, Multiaddr, PeerId, StreamProtocol, Swarm};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use super::messages::{
    check_results_response, AttestationMsg, JobResultMsg, ProposalMsg, ResultsRequest, StartedMsg,
};
use super::{Inbound, Network, Served, Topic, MAX_RESULT_JOBS};
use crate::error::{Error, Result};
use crate::metrics::Metrics;

/// Where a peer listens and whom it dials.
#[derive(Debug, Clone)]
pub struct P2pConfig {
    /// Listen address (`/ip4/127.0.0.1/tcp/0` picks a free port).
    pub listen: Multiaddr,
    /// Peers to dial at start.
    pub peers: Vec<Multiaddr>,
    /// `/spn/<chainId>/<rollup>`.
    pub namespace: String,
    /// EIP-712 domain for the stateless checks.
    pub domain: Eip712Domain,
    /// Where to count dropped messages.
    pub metrics: Option<Arc<Metrics>>,
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
        let gossip_cfg = gossipsub::ConfigBuilder::default()
            .heartbeat_interval(Duration::from_millis(500))
            .validation_mode(gossipsub::ValidationMode::Strict)
            .validate_messages()
            .max_transmit_size(4096)
            .build()
            .map_err(|e| net(format!("gossipsub config: {e}")))?;
        let protocol = StreamProtocol::try_from_owned(format!("{}/block-body/1", cfg.namespace))
            .map_err(|e| net(format!("protocol name: {e}")))?;
        let results_protocol =
            StreamProtocol::try_from_owned(format!("{}/job-results/1", cfg.namespace))
                .map_err(|e| net(format!("protocol name: {e}")))?;
        let mut swarm: Swarm<Behaviour> = libp2p::SwarmBuilder::with_new_identity()
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
                Ok(Behaviour {
                    gossipsub,
                    bodies,
                    results,
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
        ]
        .into_iter()
        .map(|t| {
            (
                t,
                IdentTopic::new(format!("{}/{}", cfg.namespace, t.name())),
            )
        })
        .collect();
        for (_, t) in &topics {
            swarm
                .behaviour_mut()
                .gossipsub
                .subscribe(t)
                .map_err(|e| net(format!("subscribe: {e}")))?;
        }
        swarm
            .listen_on(cfg.listen.clone())
            .map_err(|e| net(format!("listen on {}: {e}", cfg.listen)))?;
        for p in &cfg.peers {
            if let Err(e) = swarm.dial(p.clone()) {
                tracing::warn!(target: "spn::net", "dial {p}: {e}");
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
        let mut task = Task {
            swarm,
            topics,
            metrics: cfg.metrics,
            domain: cfg.domain,
            served: served.clone(),
            inbox: in_tx,
            pending: HashMap::new(),
            fetches: HashMap::new(),
            pending_results: HashMap::new(),
            result_fetches: HashMap::new(),
            next_fetch_id: 0,
        };
        for ev in early {
            task.on_event(ev);
        }
        tokio::spawn(task.run(cmd_rx));
        Ok((
            Arc::new(Self {
                peer_id,
                listen: listen.with(libp2p::multiaddr::Protocol::P2p(peer_id)),
                cmd: cmd_tx,
                served,
            }),
            in_rx,
        ))
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
    /// Peers still to ask, the next one last.
    untried: Vec<PeerId>,
    in_flight: usize,
    reply: Option<oneshot::Sender<Result<Vec<Bytes>>>>,
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
}

impl Task {
    async fn run(mut self, mut cmds: mpsc::UnboundedReceiver<Cmd>) {
        loop {
            tokio::select! {
                cmd = cmds.recv() => match cmd {
                    Some(c) => self.on_cmd(c),
                    None => break,
                },
                ev = self.swarm.select_next_some() => self.on_event(ev),
            }
        }
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
                        untried,
                        in_flight: 0,
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

    /// Keeps up to [`FETCH_PARALLEL`] requests of fetch `id` in flight; fails it when every
    /// peer answered without the body.
    fn advance_fetch(&mut self, id: u64) {
        let Some(f) = self.fetches.get_mut(&id) else {
            return;
        };
        let mut sends = Vec::new();
        while f.in_flight < FETCH_PARALLEL {
            let Some(peer) = f.untried.pop() else { break };
            f.in_flight += 1;
            sends.push((peer, f.hash));
        }
        if f.in_flight == 0 {
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

    /// Checks a gossip message without chain state: size, encoding, signature.
    fn check(&self, topic: Topic, data: &[u8]) -> std::result::Result<(), String> {
        match topic {
            Topic::Proposal => ProposalMsg::decode(data, &self.domain).map(|_| ()),
            Topic::Attestation => AttestationMsg::decode(data, &self.domain).map(|_| ()),
            Topic::JobResult => JobResultMsg::decode(data, &self.domain).map(|_| ()),
            Topic::JobStarted => StartedMsg::decode(data, &self.domain).map(|_| ()),
        }
    }

    fn on_event(&mut self, ev: SwarmEvent<BehaviourEvent>) {
        match ev {
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            })) => {
                let Some(topic) = self.topic_of(&message.topic) else {
                    return;
                };
                let verdict = self.check(topic, &message.data);
                let acceptance = match &verdict {
                    Ok(()) => MessageAcceptance::Accept,
                    Err(_) => MessageAcceptance::Reject,
                };
                self.swarm
                    .behaviour_mut()
                    .gossipsub
                    .report_message_validation_result(&message_id, &propagation_source, acceptance);
                match verdict {
                    Ok(()) => {
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
