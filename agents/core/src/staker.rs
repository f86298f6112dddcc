//! A staker's agent core: the roles of one staking key ([`Sequencer`], the attester, the
//! [`Proving`] engine and [`Claims`]) behind one input handler. The attester lives here: it
//! checks gossiped proposals, fetches and checks their bodies, and attests to the best one of
//! its slot (§11.3).

use std::collections::HashMap;
use std::sync::Arc;

use alloy_primitives::{Address, Bytes, B256, U256};
use spn_protocol::{selection, BlsSecretKey, Header, StakingKey};

use crate::claims::Claims;
use crate::cost::CostModel;
use crate::faults::Faults;
use crate::io::{Cx, Input, Msg, Output, Timer};
use crate::messages::{self, AttestationMsg, ProposalMsg};
use crate::proving::{check_body, short, short_hash, Proving};
use crate::sequencer::Sequencer;
use crate::L1Event;

/// Body fetches per block before giving up, and the wait between them (seconds).
const BODY_TRIES: u32 = 20;
const BODY_RETRY: f64 = 0.5;
/// Proposal announcers remembered (asked first for bodies and results).
const ANNOUNCERS: usize = 256;
/// Bodies of blocks no longer worked on that are kept to serve peers.
const KEPT_BODIES: usize = 64;

/// What a staker's agent does.
#[derive(Debug, Clone)]
pub struct StakerConfig {
    /// Propose blocks when sequencer-eligible.
    pub sequencer: bool,
    /// Attest and prove when on a committee.
    pub prover: bool,
    /// How long a sequencer waits for attestations after announcing (seconds).
    pub attest_wait: f64,
    /// Claim once this many proven blocks owe the key a share.
    pub claim_batch: usize,
    /// Fixed tree height instead of the policy of §8.7.
    pub height: Option<u8>,
    /// The simulated proving cost.
    pub cost: CostModel,
    /// Prove every job of the key's neighbourhoods at once, without waiting for the owner (a
    /// rational large staker's deviation; the simulator measures what it captures).
    pub greedy: bool,
    /// Announce the start of every job and let fillers act on announcements (§9.3); off, a
    /// filler's turn lasts a whole job time plus the grace (the rule before the simulator
    /// measured it, kept to reproduce that measurement).
    pub liveness: bool,
}

impl Default for StakerConfig {
    fn default() -> Self {
        Self {
            sequencer: true,
            prover: true,
            attest_wait: 2.5,
            claim_batch: 4,
            height: None,
            cost: CostModel::default(),
            greedy: false,
            liveness: true,
        }
    }
}

/// The core of one staking key's agent.
#[derive(Debug)]
pub struct Staker {
    key: StakingKey,
    me: Address,
    cfg: StakerConfig,
    faults: Arc<Faults>,
    sequencer: Sequencer,
    proving: Proving,
    claims: Claims,
    /// Best proposal score attested per slot.
    attested: HashMap<u64, U256>,
    /// Proposals to attest once their bodies are checked.
    announced: HashMap<B256, Header>,
    /// Headers whose bodies are being fetched, with the number of tries.
    fetching: HashMap<B256, (Header, u32)>,
    bodies: HashMap<B256, Arc<Vec<Bytes>>>,
    /// Peer that gossiped each proposal (asked first for its body and results).
    announcer: HashMap<B256, String>,
    /// The unproven blocks on L1 were replayed (on the first tick).
    resumed: bool,
}

impl Staker {
    /// The core of `key`, paying claims to `withdrawer`.
    pub fn new(
        key: StakingKey,
        withdrawer: Address,
        cfg: StakerConfig,
        faults: Arc<Faults>,
    ) -> Self {
        let me = key.address();
        Self {
            sequencer: Sequencer::new(me, cfg.attest_wait, cfg.height),
            proving: Proving::new(
                me,
                cfg.prover,
                cfg.cost,
                cfg.greedy,
                cfg.liveness,
                BlsSecretKey::derive(&key),
            ),
            claims: Claims::new(me, withdrawer, cfg.claim_batch),
            key,
            me,
            cfg,
            faults,
            attested: HashMap::new(),
            announced: HashMap::new(),
            fetching: HashMap::new(),
            bodies: HashMap::new(),
            announcer: HashMap::new(),
            resumed: false,
        }
    }

    /// The staking key's address.
    pub fn address(&self) -> Address {
        self.me
    }

    /// Handles one input.
    pub fn handle(&mut self, cx: &mut Cx<'_>, input: Input) {
        match input {
            Input::Tick => self.on_tick(cx),
            Input::L1(ev) => self.on_l1(cx, ev),
            Input::Proposal { msg, peer } => {
                if let Err(reason) = self.on_proposal(cx, msg, peer) {
                    cx.reject("proposal", reason);
                }
            }
            Input::Attestation(a) => {
                if self.cfg.sequencer {
                    if let Err(reason) = self.sequencer.on_attestation(cx, &a) {
                        cx.reject("attestation", reason);
                    }
                }
            }
            Input::JobResult(r) => {
                if let Err(reason) = self.proving.on_result(cx, &self.key, r) {
                    cx.reject("job-result", reason);
                }
            }
            Input::Started(m) => {
                if let Err(reason) = self.proving.on_started(cx, &m) {
                    cx.reject("job-started", reason);
                }
            }
            // Signatures of transitions are the submitter's to collect.
            Input::TransitionSignature(_) => {}
            Input::Body { hash, txs } => self.on_body(cx, hash, txs),
            Input::Results { hash, results, tag } => {
                self.proving.on_results(cx, &self.key, hash, results, tag);
            }
            Input::Txs { slot, txs } => {
                if let Some(b) = self
                    .sequencer
                    .on_txs(cx, &self.key, &self.faults, slot, txs)
                {
                    self.bodies.insert(b.hash, b.body);
                }
            }
            Input::Proved { hash, job, output } => {
                let signed = self
                    .proving
                    .on_proved(cx, &self.key, &self.faults, hash, job, output);
                if let (Some((header, result)), Some(body)) = (signed, self.bodies.get(&hash)) {
                    self.claims.signed(header, result, body.clone());
                }
            }
            Input::Timer(t) => self.on_timer(cx, t),
            Input::Transcript { number, transcript } => {
                self.claims.on_transcript(cx, number, transcript);
            }
            Input::TxDone { id, result } => {
                if !self.sequencer.on_tx_done(id, &result) {
                    self.claims.on_tx_done(cx, id, &result);
                }
            }
            Input::ClaimNow { upto } => self.claims.claim_now(cx, upto),
        }
    }

    fn on_tick(&mut self, cx: &mut Cx<'_>) {
        if !std::mem::replace(&mut self.resumed, true) {
            for ev in crate::chain::pending_proposals(cx.chain) {
                self.on_l1(cx, ev);
            }
        }
        let slot = cx.current_slot();
        let horizon = slot.saturating_sub(16);
        self.attested.retain(|&s, _| s >= horizon);
        if self.cfg.sequencer {
            self.sequencer.on_tick(cx, self.faults.halted());
        }
    }

    fn on_timer(&mut self, cx: &mut Cx<'_>, t: Timer) {
        match t {
            Timer::TryPropose(slot) => self.sequencer.on_try_propose(cx, slot),
            Timer::AttestDeadline(hash) => self.sequencer.maybe_propose(cx, hash, true),
            Timer::FillCheck(hash, job) => self.proving.on_fill_check(cx, &self.key, hash, job),
            Timer::ChildrenLate(hash, job) => {
                let hint = self.announcer.get(&hash).cloned();
                self.proving.on_children_late(cx, hash, job, hint);
            }
            Timer::Fallback(hash) => {
                let hint = self.announcer.get(&hash).cloned();
                self.proving.on_fallback_timer(cx, &self.key, hash, hint);
            }
            Timer::RetryBody(hash) => {
                if self.fetching.contains_key(&hash) {
                    let hint = self.announcer.get(&hash).cloned();
                    cx.emit(Output::FetchBody { hash, hint });
                }
            }
            Timer::RetrySubmit(_) => {}
        }
    }

    /// A gossiped proposal: checked as the Rollup would check its proposer (§11.2), then
    /// remembered as the slot's best score, and attested once its body is checked.
    fn on_proposal(
        &mut self,
        cx: &mut Cx<'_>,
        p: ProposalMsg,
        peer: Option<String>,
    ) -> Result<(), String> {
        let h = &p.header;
        let params = cx.chain.params();
        let current = cx.current_slot();
        // Local checks first: an absurd slot (u64::MAX) must neither overflow nor cost anything.
        messages::check_slot_window(h.slot, current)?;
        if h.height < params.min_height || h.height > params.max_height {
            return Err(format!("height {} out of range", h.height));
        }
        let ctx = cx
            .chain
            .slot_ctx(h.slot)
            .ok_or_else(|| format!("no context for slot {}", h.slot))?;
        if !ctx.is_active(&h.proposer) {
            return Err(format!("proposer {} not active", h.proposer));
        }
        let score = selection::score(h.proposer, ctx.seed);
        if !selection::is_sequencer(
            score,
            U256::from(params.sequencer_target),
            U256::from(ctx.active_count),
        ) {
            return Err(format!("proposer {} not sequencer-eligible", h.proposer));
        }
        let hash = h.hash();
        if let Some(peer) = peer {
            if self.announcer.len() > ANNOUNCERS {
                self.announcer.clear();
            }
            self.announcer.insert(hash, peer);
        }
        self.sequencer.saw_proposal(h.slot, score);
        if !self.cfg.prover || h.slot != current {
            return Ok(());
        }
        let my_score = selection::score(self.me, ctx.seed);
        if !selection::in_attestation_committee(my_score, params, ctx.active_count) {
            return Ok(());
        }
        if self.attested.get(&h.slot).is_some_and(|&s| s >= score) {
            return Ok(());
        }
        self.announced.insert(hash, h.clone());
        self.fetch_body(cx, hash, h.clone());
        Ok(())
    }

    fn fetch_body(&mut self, cx: &mut Cx<'_>, hash: B256, header: Header) {
        if let Some(body) = self.bodies.get(&hash).cloned() {
            self.on_body(cx, hash, Ok(body));
            return;
        }
        if self.fetching.insert(hash, (header, 0)).is_none() {
            let hint = self.announcer.get(&hash).cloned();
            cx.emit(Output::FetchBody { hash, hint });
        }
    }

    fn on_body(&mut self, cx: &mut Cx<'_>, hash: B256, txs: Result<Arc<Vec<Bytes>>, String>) {
        let header = match self.fetching.get(&hash) {
            Some((h, _)) => h.clone(),
            None => match self
                .announced
                .get(&hash)
                .cloned()
                .or_else(|| cx.chain.header(&hash))
            {
                Some(h) => h,
                None => return,
            },
        };
        let txs = match txs {
            Ok(t) => t,
            Err(e) => {
                tracing::info!(target: "spn::prover", agent = %short(self.me), "block {} body unavailable: {e}", short_hash(hash));
                if let Some((_, tries)) = self.fetching.get_mut(&hash) {
                    *tries += 1;
                    // Attesters give up with the slot; provers keep trying while they work.
                    if *tries < BODY_TRIES
                        && (self.proving.tracks(&hash) || self.announced.contains_key(&hash))
                    {
                        cx.after(BODY_RETRY, Timer::RetryBody(hash));
                        return;
                    }
                }
                self.fetching.remove(&hash);
                return;
            }
        };
        self.fetching.remove(&hash);
        let tree = match check_body(cx, &header, &txs) {
            Ok(t) => t,
            Err(reason) => {
                cx.reject(
                    "block-body",
                    format!("body of {}: {reason}", short_hash(hash)),
                );
                return;
            }
        };
        self.bodies.insert(hash, txs.clone());
        // Attesters serve the body on request until the block is proven or pruned (§15.3).
        cx.emit(Output::ServeBody { hash, txs });
        if self.announced.remove(&hash).is_some() {
            self.attest(cx, &header, hash);
        }
        self.proving.on_body(cx, &self.key, hash, &tree);
    }

    fn attest(&mut self, cx: &mut Cx<'_>, h: &Header, hash: B256) {
        if cx.current_slot() != h.slot {
            return;
        }
        let Some(ctx) = cx.chain.slot_ctx(h.slot) else {
            return;
        };
        let score = selection::score(h.proposer, ctx.seed);
        if self.attested.get(&h.slot).is_some_and(|&s| s >= score) {
            return;
        }
        self.attested.insert(h.slot, score);
        let sig = self.key.sign_attestation(cx.chain.domain(), h.slot, hash);
        tracing::debug!(target: "spn::prover", agent = %short(self.me), "attested block {} of slot {}", short_hash(hash), h.slot);
        cx.emit(Output::Publish(Msg::Attestation(AttestationMsg {
            slot: h.slot,
            block_hash: hash,
            sig,
            signer: self.me,
        })));
    }

    fn on_l1(&mut self, cx: &mut Cx<'_>, ev: L1Event) {
        match ev {
            L1Event::Proposed { header, hash, .. } => {
                if header.proposer == self.me {
                    if let Some(n) = self.sequencer.attestations_of(&hash) {
                        tracing::info!(target: "spn::sequencer", agent = %short(self.me),
                            "block {} ({}) of slot {} is on L1 with {n} attestations",
                            header.number, short_hash(hash), header.slot);
                    }
                }
                let body = self.bodies.get(&hash).cloned();
                if self
                    .proving
                    .on_proposed(cx, &self.key, &header, hash, body.as_ref())
                {
                    self.fetch_body(cx, hash, header);
                }
            }
            L1Event::Replaced { old, .. } => {
                self.proving.forget(|h| h.hash() == old);
            }
            L1Event::Pruned { from, .. } => {
                // The bodies stay (and are still served) until they age out with those of
                // proven blocks: a block an L1 reorg dropped comes back with the same hash when
                // its proposal is mined again, and then every node needs the body it had.
                for h in self.proving.forget(|h| h.number >= from) {
                    self.fetching.remove(&h);
                }
            }
            L1Event::Proven {
                hash,
                number,
                tx,
                rewards_root,
                ..
            } => {
                let share = self
                    .proving
                    .finish(cx, &hash)
                    .filter(|f| f.in_committee)
                    .map(|f| f.sched);
                self.claims.on_proven(cx, number, tx, rewards_root, share);
                self.fetching.remove(&hash);
                // Keep bodies of recent blocks only.
                if self.bodies.len() > KEPT_BODIES {
                    let old: Vec<B256> = self
                        .bodies
                        .keys()
                        .filter(|h| !self.proving.tracks(h))
                        .copied()
                        .collect();
                    for h in &old {
                        self.bodies.remove(h);
                    }
                    cx.emit(Output::Forget(old));
                }
            }
            L1Event::Reported { staker, block, .. } if staker == self.me => {
                self.claims.on_reported(cx, block);
            }
            L1Event::Reported { .. }
            | L1Event::Cleared { .. }
            | L1Event::Struck { .. }
            | L1Event::Claimed { .. } => {}
        }
    }
}
