//! The agent core driven by hand: no tokio, no network, no L1. A [`ChainState`] holds a small
//! devnet-like staking set; inputs go in, and the tests assert on the outputs. The properties
//! at the end feed arbitrary well-signed messages to every role.

use std::sync::Arc;

use alloy_primitives::{Address, Bytes, Log, B256, U256};
use alloy_sol_types::SolEvent;
use proptest::prelude::*;
use spn_bindings::rollup::Rollup;
use spn_core::chain::TrainingWheel;
use spn_core::faults::Faults;
use spn_core::io::{JobKind, L1Call, Msg, Note, ProveTask, Timer, TxOutcome};
use spn_core::messages::{AttestationMsg, JobResultMsg, ProposalMsg, StartedMsg, TransitionSigMsg};
use spn_core::{
    Chain, ChainState, Cx, Input, L1Event, Output, Staker, StakerConfig, StakerRecord, Submitter,
};
use spn_protocol::bls::{self, TransitionContext};
use spn_protocol::tree::{subtree_root, BlockTree};
use spn_protocol::{eip712, selection, BlsSecretKey, Clock, Header, Params, StakingKey};

const GENESIS: u64 = 1_000_000;
const ROLLUP: Address = Address::repeat_byte(0xaa);
const STAKING: Address = Address::repeat_byte(0xbb);
const N: usize = 48;
/// A slot of epoch 2 (devnet: 4 slots per epoch) with a sequencer-eligible key (checked).
const SLOT: u64 = 10;

struct World {
    chain: ChainState,
    keys: Vec<StakingKey>,
    now: f64,
}

fn key(i: usize) -> StakingKey {
    let mut b = [0u8; 32];
    b[24..].copy_from_slice(&(i as u64 + 1).to_be_bytes());
    b[0] = 0x11;
    StakingKey::from_bytes(&B256::from(b)).unwrap()
}

impl World {
    fn new() -> Self {
        let params = Params::devnet();
        let clock = Clock::from_params(GENESIS, &params).unwrap();
        let mut chain = ChainState::new(params, clock, 31337, ROLLUP, STAKING);
        let keys: Vec<StakingKey> = (0..N).map(key).collect();
        for k in &keys {
            chain.add_staker(StakerRecord {
                key: k.address(),
                withdrawer: k.address(),
                activation_epoch: 0,
                exit_epoch: spn_protocol::time::NO_EXIT,
            });
        }
        for epoch in 0..8 {
            chain.set_epoch(epoch, U256::from(0x5eed + epoch), N as u64);
        }
        let now = clock.slot_start(SLOT).unwrap() as f64 + 0.5;
        let min = chain.params().min_height;
        assert!(
            !chain.schedule(SLOT, min).unwrap().sequencers().is_empty(),
            "pick another SLOT"
        );
        Self { chain, keys, now }
    }

    fn cx<'a>(&'a self, out: &'a mut Vec<Output>) -> Cx<'a> {
        Cx {
            now: self.now,
            chain: &self.chain,
            out,
        }
    }

    fn staker(&self, i: usize) -> Staker {
        let k = &self.keys[i];
        Staker::new(
            k.clone(),
            k.address(),
            StakerConfig::default(),
            Arc::new(Faults::default()),
        )
    }

    fn feed(&self, s: &mut Staker, input: Input) -> Vec<Output> {
        let mut out = Vec::new();
        s.handle(&mut self.cx(&mut out), input);
        out
    }

    fn index_of(&self, a: Address) -> usize {
        self.keys.iter().position(|k| k.address() == a).unwrap()
    }

    /// The staker of the lowest-scoring round-1 committee member of `SLOT`'s block of `height`.
    fn round_one_member(&self, height: u8) -> Staker {
        let member = self.chain.schedule(SLOT, height).unwrap().committee(1)[0].address;
        self.staker(self.index_of(member))
    }

    /// The block of `SLOT` on L1, proposed by key `by`, with `txs` transactions at `height`.
    fn propose_on_l1(&mut self, by: usize, height: u8, txs: &[Bytes]) -> (Header, B256) {
        let tree = BlockTree::from_transactions(u32::from(height), txs).unwrap();
        let (pending, _) = self.chain.tips();
        let header = Header {
            number: pending + 1,
            parentHash: self.chain.hash_of(pending).unwrap(),
            slot: SLOT,
            proposer: self.keys[by].address(),
            txRoot: tree.root(),
            height,
        };
        let hash = header.hash();
        let ev = Rollup::BlockProposed {
            number: U256::from(header.number),
            blockHash: hash,
            slot: U256::from(SLOT),
            proposer: header.proposer,
            parentHash: header.parentHash,
            txRoot: header.txRoot,
            height,
        };
        let log = Log {
            address: ROLLUP,
            data: ev.encode_log_data(),
        };
        let got = self.chain.apply_log(&log, 1, B256::ZERO, SLOT);
        assert!(matches!(got, Some(L1Event::Proposed { hash: h, .. }) if h == hash));
        (header, hash)
    }
}

fn txs(n: usize) -> Vec<Bytes> {
    (0..n).map(|i| Bytes::from(vec![i as u8; 40])).collect()
}

fn count<F: Fn(&Output) -> bool>(out: &[Output], f: F) -> usize {
    out.iter().filter(|o| f(o)).count()
}

#[test]
fn a_sequencer_builds_announces_and_proposes_with_every_attestation() {
    let w = World::new();
    let sched = w.chain.schedule(SLOT, Params::devnet().min_height).unwrap();
    let seq = sched.sequencers()[0].address;
    let mut s = w.staker(w.index_of(seq));
    // Tick: the first-ranked sequencer sets its proposal timer.
    let out = w.feed(&mut s, Input::Tick);
    assert!(out.iter().any(|o| matches!(
        o,
        Output::Timer {
            timer: Timer::TryPropose(SLOT),
            ..
        }
    )));
    let out = w.feed(&mut s, Input::Timer(Timer::TryPropose(SLOT)));
    let Some(Output::TakeTxs { slot: SLOT, max }) = out.first() else {
        panic!("{out:?}")
    };
    assert!(*max >= 8);
    let out = w.feed(
        &mut s,
        Input::Txs {
            slot: SLOT,
            txs: txs(5),
        },
    );
    let proposal = out
        .iter()
        .find_map(|o| match o {
            Output::Publish(Msg::Proposal(p)) => Some(p.clone()),
            _ => None,
        })
        .expect("announced");
    assert_eq!(count(&out, |o| matches!(o, Output::ServeBody { .. })), 1);
    let hash = proposal.header.hash();
    // The announcement verifies as a peer decodes it.
    let decoded = ProposalMsg::decode(&proposal.encode(), w.chain.domain()).unwrap();
    assert_eq!(decoded.header, proposal.header);
    // Every attester answers; the last one triggers propose, with the signatures in order.
    let sched = w.chain.schedule(SLOT, proposal.header.height).unwrap();
    let attesters: Vec<Address> = sched.attesters().iter().map(|m| m.address).collect();
    assert!(attesters.len() >= Params::devnet().attestation_quorum as usize);
    let mut sent = Vec::new();
    for a in &attesters {
        let k = &w.keys[w.index_of(*a)];
        let msg = AttestationMsg {
            slot: SLOT,
            block_hash: hash,
            sig: k.sign_attestation(w.chain.domain(), SLOT, hash),
            signer: *a,
        };
        sent = w.feed(&mut s, Input::Attestation(msg));
    }
    let Some(Output::Send {
        call: L1Call::Propose { call, .. },
        ..
    }) = sent.iter().find(|o| matches!(o, Output::Send { .. }))
    else {
        panic!("no propose: {sent:?}")
    };
    assert_eq!(call.attestations.len(), attesters.len());
    assert_eq!(call.args.txRoot, proposal.header.txRoot);
}

#[test]
fn an_attestation_from_outside_the_committee_is_rejected_without_effect() {
    let w = World::new();
    let sched = w.chain.schedule(SLOT, Params::devnet().min_height).unwrap();
    let seq = sched.sequencers()[0].address;
    let mut s = w.staker(w.index_of(seq));
    w.feed(&mut s, Input::Tick);
    w.feed(&mut s, Input::Timer(Timer::TryPropose(SLOT)));
    let out = w.feed(
        &mut s,
        Input::Txs {
            slot: SLOT,
            txs: txs(3),
        },
    );
    let hash = out
        .iter()
        .find_map(|o| match o {
            Output::Publish(Msg::Proposal(p)) => Some(p.header.hash()),
            _ => None,
        })
        .unwrap();
    let outsider = StakingKey::from_bytes(&B256::repeat_byte(0x77)).unwrap();
    let out = w.feed(
        &mut s,
        Input::Attestation(AttestationMsg {
            slot: SLOT,
            block_hash: hash,
            sig: outsider.sign_attestation(w.chain.domain(), SLOT, hash),
            signer: outsider.address(),
        }),
    );
    assert!(matches!(
        out.as_slice(),
        [Output::Note(Note::Rejected {
            kind: "attestation",
            ..
        })]
    ));
}

/// A committee member of the block: proves its own round-1 job as soon as the block is on L1
/// and its body known, announces the start, and publishes a result a peer accepts.
#[test]
fn a_member_proves_its_own_job_and_announces_it() {
    let mut w = World::new();
    let body = txs(6);
    let (header, hash) = w.propose_on_l1(0, 3, &body);
    let sched = w.chain.schedule(SLOT, 3).unwrap();
    let mut s = w.round_one_member(3);
    // The body first (as an attester would have it), then the L1 event.
    let out = w.feed(
        &mut s,
        Input::L1(L1Event::Proposed {
            header: header.clone(),
            hash,
            l1_block: 1,
            tx: B256::ZERO,
        }),
    );
    assert!(out.iter().any(|o| matches!(o, Output::FetchBody { .. })));
    let out = w.feed(
        &mut s,
        Input::Body {
            hash,
            txs: Ok(Arc::new(body.clone())),
        },
    );
    let proving: Vec<(u32, f64, Arc<ProveTask>)> = out
        .iter()
        .filter_map(|o| match o {
            Output::Prove {
                job, seconds, task, ..
            } => Some((*job, *seconds, task.clone())),
            _ => None,
        })
        .collect();
    assert!(!proving.is_empty(), "{out:?}");
    let started = count(&out, |o| matches!(o, Output::Publish(Msg::Started(_))));
    assert_eq!(started, proving.len(), "every own job is announced");
    let (job, _, task) = proving[0].clone();
    // The backend's task: the job's leaves, which hash to the node the job outputs.
    let tree = BlockTree::from_transactions(3, &body).unwrap();
    let s0 = sched.schedule();
    assert_eq!((task.round, task.level), (1, s0.level(1)));
    assert_eq!(task.inputs.len(), 1 << s0.subtree_height(1));
    assert_eq!(subtree_root(&task.inputs).unwrap(), task.output);
    assert_eq!(
        tree.node(task.level, u64::from(task.index)).unwrap(),
        task.output
    );
    // A backend that computed something else: nothing is signed.
    let out = w.feed(
        &mut s,
        Input::Proved {
            hash,
            job,
            output: Some(B256::repeat_byte(0xee)),
        },
    );
    assert!(
        matches!(
            out.as_slice(),
            [Output::Note(Note::Rejected { kind: "prover", .. })]
        ),
        "{out:?}"
    );
    let out = w.feed(
        &mut s,
        Input::Proved {
            hash,
            job,
            output: Some(task.output),
        },
    );
    let r = out
        .iter()
        .find_map(|o| match o {
            Output::Publish(Msg::JobResult(r)) => Some(*r),
            _ => None,
        })
        .unwrap();
    assert!(out.iter().any(|o| matches!(
        o,
        Output::Note(Note::JobDone {
            how: JobKind::Own,
            ..
        })
    )));
    let back = JobResultMsg::decode(&r.encode(), w.chain.domain()).unwrap();
    assert_eq!(back, r);
    spn_core::work::check_job_result(&w.chain, &r, None).expect("eligible");
}

/// A member restarted after a block's proposal never saw the `Proposed` event, yet when the block
/// is proven it still fetches the transcript to claim its share; a key off the committee does not.
#[test]
fn a_share_earned_before_a_restart_is_still_claimed() {
    let mut w = World::new();
    let (header, hash) = w.propose_on_l1(0, 3, &txs(6));
    let sched = w.chain.schedule(SLOT, 3).unwrap();
    let outsider = w
        .keys
        .iter()
        .map(|k| k.address())
        .find(|&a| a != header.proposer && !sched.committee(1).iter().any(|m| m.address == a))
        .expect("a key off the committee");
    let proven = || {
        Input::L1(L1Event::Proven {
            number: header.number,
            hash,
            submitter: Address::ZERO,
            rewards_root: B256::repeat_byte(0x77),
            distinct_provers: 1,
            unfilled_jobs: 0,
            submitter_reward: U256::ZERO,
            sequencer_reward: U256::ZERO,
            provers_reserved: U256::ZERO,
            tx: B256::repeat_byte(0x55),
            l1_block: 2,
        })
    };
    let fetches = |out: &[Output]| {
        count(out, |o| {
            matches!(o, Output::FetchTranscript { number, tx }
                if *number == header.number && *tx == B256::repeat_byte(0x55))
        })
    };
    let mut restarted = w.round_one_member(3);
    assert_eq!(fetches(&w.feed(&mut restarted, proven())), 1);
    let mut other = w.staker(w.index_of(outsider));
    assert_eq!(fetches(&w.feed(&mut other, proven())), 0);
}

/// An L1 reorg drops a block's proposal (`Pruned`), then its transaction is mined again (the
/// same `Proposed`): a member still holds the body, so it resumes proving without fetching it
/// from peers who, like it, might no longer serve it.
#[test]
fn a_block_back_after_a_reorg_is_proven_from_the_body_kept() {
    let mut w = World::new();
    let body = txs(6);
    let (header, hash) = w.propose_on_l1(0, 3, &body);
    let mut s = w.round_one_member(3);
    let out = w.feed(&mut s, proposed(&header, hash));
    assert_eq!(count(&out, |o| matches!(o, Output::FetchBody { .. })), 1);
    let out = w.feed(
        &mut s,
        Input::Body {
            hash,
            txs: Ok(Arc::new(body.clone())),
        },
    );
    assert!(count(&out, |o| matches!(o, Output::Prove { .. })) > 0);
    let out = w.feed(
        &mut s,
        Input::L1(L1Event::Pruned {
            from: header.number,
            to: header.number,
        }),
    );
    assert_eq!(
        count(&out, |o| matches!(o, Output::Forget(_))),
        0,
        "{out:?}"
    );
    let out = w.feed(&mut s, proposed(&header, hash));
    assert_eq!(
        count(&out, |o| matches!(o, Output::FetchBody { .. })),
        0,
        "{out:?}"
    );
    assert!(
        count(&out, |o| matches!(o, Output::Prove { .. })) > 0,
        "{out:?}"
    );
}

/// A filler whose owner announced a start stands back until a job time has passed; one whose
/// owner is silent fills after its turn; a start signed by an ineligible key is rejected.
#[test]
fn fillers_act_on_the_liveness_signal() {
    let mut w = World::new();
    let body = txs(6);
    let (header, hash) = w.propose_on_l1(0, 3, &body);
    let sched = w.chain.schedule(SLOT, 3).unwrap();
    let s0 = sched.schedule();
    // A round-1 job with an owner and a filler that is not its owner.
    let (job, owner, filler) = (0..s0.jobs(1))
        .find_map(|index| {
            let job = s0.offset(1) + index;
            let owner = sched.job_owners(job).next()?.address;
            let filler = sched
                .fillers(job)
                .find(|m| s0.job_of(m.score, 1) != index)?
                .address;
            Some((job, owner, filler))
        })
        .expect("a job with an owner and a filler");
    let mut f = w.staker(w.index_of(filler));
    w.feed(
        &mut f,
        Input::L1(L1Event::Proposed {
            header,
            hash,
            l1_block: 1,
            tx: B256::ZERO,
        }),
    );
    let out = w.feed(
        &mut f,
        Input::Body {
            hash,
            txs: Ok(Arc::new(body)),
        },
    );
    let check_at = out
        .iter()
        .find_map(|o| match o {
            Output::Timer {
                at,
                timer: Timer::FillCheck(h, j),
            } if *h == hash && *j == job => Some(*at),
            _ => None,
        })
        .expect("a fill check for the neighbour's job");
    // Within a few network graces, not a whole job time.
    assert!(
        check_at - w.now <= 1.0 * (sched.fillers(job).count() as f64 + 1.0),
        "{check_at}"
    );
    // An outsider's start is refused.
    let outsider = StakingKey::from_bytes(&B256::repeat_byte(0x77)).unwrap();
    let forged = StartedMsg::sign(&outsider, w.chain.domain(), hash, job);
    let out = w.feed(&mut f, Input::Started(forged));
    assert!(matches!(
        out.as_slice(),
        [Output::Note(Note::Rejected {
            kind: "job-started",
            ..
        })]
    ));
    // The owner's start defers the fill by about a job time.
    let ok = StartedMsg::sign(&w.keys[w.index_of(owner)], w.chain.domain(), hash, job);
    assert!(w.feed(&mut f, Input::Started(ok)).is_empty());
    w.now = check_at;
    let out = w.feed(&mut f, Input::Timer(Timer::FillCheck(hash, job)));
    assert_eq!(
        count(&out, |o| matches!(o, Output::Prove { .. })),
        0,
        "{out:?}"
    );
    let later = out
        .iter()
        .find_map(|o| match o {
            Output::Timer {
                at,
                timer: Timer::FillCheck(..),
            } => Some(*at),
            _ => None,
        })
        .expect("deferred");
    assert!(later - check_at >= StakerConfig::default().cost.job_time(s0, 1).as_secs_f64() - 1e-6);
    // The owner never delivered: the filler proves at the deferred check.
    w.now = later;
    let out = w.feed(&mut f, Input::Timer(Timer::FillCheck(hash, job)));
    assert_eq!(
        count(
            &out,
            |o| matches!(o, Output::Prove { job: j, .. } if *j == job)
        ),
        1
    );
}

/// The submitter assembles a transcript once every job has a result, and sends it.
#[test]
fn the_submitter_submits_a_complete_tree() {
    let mut w = World::new();
    let body = txs(6);
    let (header, hash) = w.propose_on_l1(0, 3, &body);
    let sched = w.chain.schedule(SLOT, 3).unwrap();
    let s0 = sched.schedule();
    let outputs = BlockTree::from_transactions(3, &body)
        .unwrap()
        .job_outputs(s0)
        .unwrap();
    let mut sub = Submitter::new(
        true,
        spn_core::Strategy::Honest,
        Default::default(),
        Arc::new(Faults::default()),
    );
    let mut out = Vec::new();
    sub.handle(
        &mut w.cx(&mut out),
        Input::L1(L1Event::Proposed {
            header,
            hash,
            l1_block: 1,
            tx: B256::ZERO,
        }),
    );
    sub.handle(
        &mut w.cx(&mut out),
        Input::Body {
            hash,
            txs: Ok(Arc::new(body)),
        },
    );
    // Every job by one eligible signer (the proposer for the root and for unfillable jobs).
    let proposer = &w.keys[0];
    for job in 0..=s0.root_job() {
        let signer = if job < s0.prover_jobs() {
            sched
                .fillers(job)
                .next()
                .map(|m| w.keys[w.index_of(m.address)].clone())
        } else {
            None
        }
        .unwrap_or_else(|| proposer.clone());
        let output = outputs[job as usize];
        let r = JobResultMsg {
            block_hash: hash,
            job,
            output,
            prover: signer.address(),
            sig: signer.sign_job_result(w.chain.domain(), hash, job, output),
        };
        out.clear();
        sub.handle(&mut w.cx(&mut out), Input::JobResult(r));
        assert!(
            !out.iter()
                .any(|o| matches!(o, Output::Note(Note::Rejected { .. }))),
            "{out:?}"
        );
    }
    assert!(out
        .iter()
        .any(|o| matches!(o, Output::Note(Note::TreeComplete(h)) if *h == hash)));
    let send = out
        .iter()
        .find_map(|o| match o {
            Output::Send {
                id,
                call: L1Call::SubmitProof { call, .. },
                ..
            } => Some((*id, call.clone())),
            _ => None,
        })
        .expect("submitted");
    assert_eq!(send.1.header.txRoot, w.chain.header(&hash).unwrap().txRoot);
    out.clear();
    sub.handle(
        &mut w.cx(&mut out),
        Input::TxDone {
            id: send.0,
            result: Ok(TxOutcome {
                gas_used: 1,
                paid: U256::ZERO,
            }),
        },
    );
    // Submitted once: a further tick sends nothing for it.
    out.clear();
    sub.handle(&mut w.cx(&mut out), Input::Tick);
    assert!(!out.iter().any(|o| matches!(
        o,
        Output::Send {
            call: L1Call::SubmitProof { .. },
            ..
        }
    )));
}

// ------------------------------------------------------------------------- training wheel

impl World {
    /// A world whose deployment has the training wheel (`bps`, until `until`), with every
    /// staker's BLS key registered.
    fn with_wheel(bps: u64, until: u64) -> Self {
        let mut w = Self::new();
        w.chain
            .set_training_wheel(Some(TrainingWheel { bps, until }));
        for k in &w.keys {
            w.chain
                .add_bls_key(k.address(), *BlsSecretKey::derive(k).public_key());
        }
        w
    }

    /// The proposer's signed root result of block `hash`.
    fn root_result(&self, by: usize, hash: B256, body: &[Bytes], height: u8) -> JobResultMsg {
        let sched = self.chain.schedule(SLOT, height).unwrap();
        let s0 = sched.schedule();
        let outputs = BlockTree::from_transactions(u32::from(height), body)
            .unwrap()
            .job_outputs(s0)
            .unwrap();
        let root = s0.root_job();
        let k = &self.keys[by];
        JobResultMsg {
            block_hash: hash,
            job: root,
            output: outputs[root as usize],
            prover: k.address(),
            sig: k.sign_job_result(self.chain.domain(), hash, root, outputs[root as usize]),
        }
    }

    /// The transition context of pending block `hash` (pre-state from the chain state).
    fn transition_ctx(&self, hash: B256, bps: u64) -> TransitionContext {
        let h = self.chain.header(&hash).unwrap();
        let slot = self.chain.slot_ctx(h.slot).unwrap();
        let p = self.chain.params();
        TransitionContext {
            domain_separator: self.chain.domain().separator(),
            block_hash: hash,
            tx_root: h.txRoot,
            pre_state_root: self.chain.pre_state_root(h.number).unwrap(),
            slot_seed: slot.seed,
            epoch: slot.epoch,
            active_count: slot.active_count,
            height: h.height,
            round_height: p.round_height,
            redundancy: p.redundancy,
            threshold_bps: bps,
        }
    }

    /// Member `i`'s transition signature of `hash`.
    fn signature(&self, i: usize, hash: B256, bps: u64) -> TransitionSigMsg {
        let k = &self.keys[i];
        TransitionSigMsg {
            block_hash: hash,
            signer: k.address(),
            signature: BlsSecretKey::derive(k)
                .sign_transition(self.transition_ctx(hash, bps).digest()),
        }
    }
}

fn signatures(out: &[Output]) -> Vec<TransitionSigMsg> {
    out.iter()
        .filter_map(|o| match o {
            Output::Publish(Msg::TransitionSignature(m)) => Some(*m),
            _ => None,
        })
        .collect()
}

fn proposed(header: &Header, hash: B256) -> Input {
    Input::L1(L1Event::Proposed {
        header: header.clone(),
        hash,
        l1_block: 1,
        tx: B256::ZERO,
    })
}

/// A round-1 member signs the block's transition once: only after both the body and the
/// proposer's root result are in (in either order), with the pre-state folded from L1, and the
/// signature verifies against its registered key as the submitter checks it.
#[test]
fn a_round_one_member_signs_the_transition_once_the_tree_is_complete() {
    for root_first in [false, true] {
        let mut w = World::with_wheel(5000, u64::MAX);
        let body = txs(6);
        let (header, hash) = w.propose_on_l1(0, 3, &body);
        let sched = w.chain.schedule(SLOT, 3).unwrap();
        let member = sched
            .committee(1)
            .iter()
            .map(|m| w.index_of(m.address))
            .find(|&i| i != 0)
            .unwrap();
        let mut s = w.staker(member);
        let root = w.root_result(0, hash, &body, 3);
        let body_in = Input::Body {
            hash,
            txs: Ok(Arc::new(body.clone())),
        };
        assert!(signatures(&w.feed(&mut s, proposed(&header, hash))).is_empty());
        let first = if root_first {
            Input::JobResult(root)
        } else {
            body_in.clone()
        };
        let second = if root_first {
            body_in
        } else {
            Input::JobResult(root)
        };
        assert!(
            signatures(&w.feed(&mut s, first)).is_empty(),
            "half the inputs"
        );
        let sigs = signatures(&w.feed(&mut s, second));
        assert_eq!(sigs.len(), 1);
        let m = sigs[0];
        assert_eq!((m.block_hash, m.signer), (hash, w.keys[member].address()));
        assert_eq!(TransitionSigMsg::decode(&m.encode()).unwrap(), m);
        let ctx = w.transition_ctx(hash, 5000);
        assert_eq!(ctx.pre_state_root, B256::ZERO);
        assert_eq!(
            ctx.digest(),
            eip712::state_transition_digest(
                w.chain.domain(),
                hash,
                header.txRoot,
                B256::ZERO,
                bls::state_root_next(B256::ZERO, header.txRoot)
            )
        );
        let key = w.chain.bls_key(m.signer).unwrap();
        assert!(bls::verify_aggregate(&m.signature, ctx.digest(), &[key]));
        assert_eq!(m, w.signature(member, hash, 5000));
        // Once only.
        assert!(signatures(&w.feed(&mut s, Input::JobResult(root))).is_empty());
    }
}

/// No signature without the wheel (off, or past `trainingWheelUntil`), from a key without a
/// registered BLS key, or from a key outside the round-1 committee.
#[test]
fn no_transition_signature_outside_the_wheel_or_the_committee() {
    let run = |w: &mut World, who: Option<usize>| -> usize {
        let body = txs(6);
        let (header, hash) = w.propose_on_l1(0, 3, &body);
        let sched = w.chain.schedule(SLOT, 3).unwrap();
        let i = who.unwrap_or_else(|| w.index_of(sched.committee(1)[0].address));
        let mut s = w.staker(i);
        let root = w.root_result(0, hash, &body, 3);
        let mut n = signatures(&w.feed(&mut s, proposed(&header, hash))).len();
        n += signatures(&w.feed(
            &mut s,
            Input::Body {
                hash,
                txs: Ok(Arc::new(body)),
            },
        ))
        .len();
        n + signatures(&w.feed(&mut s, Input::JobResult(root))).len()
    };
    // Sanity: the same run with the wheel signs.
    assert_eq!(run(&mut World::with_wheel(5000, 2), None), 1);
    // Off; block 1 at `until` = 1 (past the wheel).
    assert_eq!(run(&mut World::new(), None), 0);
    assert_eq!(run(&mut World::with_wheel(5000, 1), None), 0);
    // No registered BLS key.
    let mut w = World::new();
    w.chain.set_training_wheel(Some(TrainingWheel {
        bps: 5000,
        until: u64::MAX,
    }));
    assert_eq!(run(&mut w, None), 0);
    // Outside the committee (a key that is not a round-1 member).
    let w0 = World::with_wheel(5000, u64::MAX);
    let sched = w0.chain.schedule(SLOT, 3).unwrap();
    let members: Vec<Address> = sched.committee(1).iter().map(|m| m.address).collect();
    let outsider = (1..N)
        .find(|&i| !members.contains(&w0.keys[i].address()))
        .expect("a non-member");
    assert_eq!(
        run(&mut World::with_wheel(5000, u64::MAX), Some(outsider)),
        0
    );
}

/// A submitter (past its first tick) with every result of a block of `SLOT` (height 3,
/// proposer 0), and what it output on the results.
fn complete_submitter(w: &mut World) -> (Submitter, B256, Vec<Output>) {
    let body = txs(6);
    let (header, hash) = w.propose_on_l1(0, 3, &body);
    let sched = w.chain.schedule(SLOT, 3).unwrap();
    let s0 = sched.schedule();
    let outputs = BlockTree::from_transactions(3, &body)
        .unwrap()
        .job_outputs(s0)
        .unwrap();
    let mut sub = Submitter::new(
        true,
        spn_core::Strategy::Honest,
        Default::default(),
        Arc::new(Faults::default()),
    );
    let mut out = Vec::new();
    // The first tick replays the pending blocks (a restarted submitter's resumption).
    sub.handle(&mut w.cx(&mut out), Input::Tick);
    sub.handle(
        &mut w.cx(&mut out),
        Input::Body {
            hash,
            txs: Ok(Arc::new(body)),
        },
    );
    out.clear();
    for job in 0..=s0.root_job() {
        let signer = if job < s0.prover_jobs() {
            sched
                .fillers(job)
                .next()
                .map(|m| w.keys[w.index_of(m.address)].clone())
        } else {
            None
        }
        .unwrap_or_else(|| w.keys[0].clone());
        let output = outputs[job as usize];
        let r = JobResultMsg {
            block_hash: hash,
            job,
            output,
            prover: signer.address(),
            sig: signer.sign_job_result(w.chain.domain(), hash, job, output),
        };
        sub.handle(&mut w.cx(&mut out), Input::JobResult(r));
    }
    let _ = header;
    (sub, hash, out)
}

fn sends(out: &[Output]) -> Vec<L1Call> {
    out.iter()
        .filter_map(|o| match o {
            Output::Send { call, .. } => Some(call.clone()),
            _ => None,
        })
        .collect()
}

/// With the wheel on, a complete block waits for `required` verified signatures (bad,
/// foreign, outsider and repeated ones do not count), then goes out through
/// `submitSignedProof` with the `required` lowest signers, aggregated, and a transition the
/// verifier's mirror accepts.
#[test]
fn the_submitter_waits_for_the_quorum_and_sends_the_lowest_signers() {
    let mut w = World::with_wheel(5000, u64::MAX);
    let (mut sub, hash, out) = complete_submitter(&mut w);
    let header = w.chain.header(&hash).unwrap();
    // Complete, but no signatures: nothing is sent.
    assert!(sends(&out).is_empty(), "{out:?}");
    let ctx = w.transition_ctx(hash, 5000);
    let quorum = ctx.quorum().unwrap();
    let sched = w.chain.schedule(SLOT, 3).unwrap();
    let mut members: Vec<usize> = sched
        .committee(1)
        .iter()
        .map(|m| w.index_of(m.address))
        .collect();
    assert!(
        members.len() as u64 > quorum.required,
        "{} members, {} required: pick another bps",
        members.len(),
        quorum.required
    );
    let mut out = Vec::new();
    sub.handle(&mut w.cx(&mut out), Input::Tick);
    assert!(sends(&out).is_empty(), "{out:?}");
    let feed = |sub: &mut Submitter, m: TransitionSigMsg| {
        let mut out = Vec::new();
        sub.handle(&mut w.cx(&mut out), Input::TransitionSignature(m));
        out
    };
    let rejected = |out: &[Output]| {
        out.iter().any(|o| {
            matches!(
                o,
                Output::Note(Note::Rejected {
                    kind: "transition-signature",
                    ..
                })
            )
        })
    };
    // A signature of another message, a signer claiming another's signature, a non-member.
    let good = w.signature(members[0], hash, 5000);
    let wrong_digest = TransitionSigMsg {
        signature: BlsSecretKey::derive(&w.keys[members[0]]).sign_transition(B256::repeat_byte(1)),
        ..good
    };
    assert!(rejected(&feed(&mut sub, wrong_digest)));
    let claimed = TransitionSigMsg {
        signer: w.keys[members[1]].address(),
        ..good
    };
    assert!(rejected(&feed(&mut sub, claimed)));
    let outsider = (1..N).find(|i| !members.contains(i)).expect("a non-member");
    assert!(rejected(&feed(&mut sub, w.signature(outsider, hash, 5000))));
    // A key with no registered BLS key (a non-staker).
    let stranger = StakingKey::from_bytes(&B256::repeat_byte(0x77)).unwrap();
    let m = TransitionSigMsg {
        signer: stranger.address(),
        signature: BlsSecretKey::derive(&stranger).sign_transition(ctx.digest()),
        block_hash: hash,
    };
    assert!(rejected(&feed(&mut sub, m)));

    // Every member but the lowest signs (highest address first); the send comes with the
    // required-th, repeats change nothing.
    members.sort_by_key(|&i| w.keys[i].address());
    let mut sent = Vec::new();
    for (k, &i) in members[1..].iter().rev().enumerate() {
        let out = feed(&mut sub, w.signature(i, hash, 5000));
        assert!(!rejected(&out), "{out:?}");
        assert!(
            feed(&mut sub, w.signature(i, hash, 5000)).is_empty(),
            "repeat"
        );
        let s = sends(&out);
        if (k as u64 + 1) < quorum.required {
            assert!(s.is_empty(), "sent with {} signatures", k + 1);
        } else if sent.is_empty() {
            sent = s;
            assert_eq!(sent.len(), 1, "{out:?}");
        }
    }
    let Some(L1Call::SubmitSignedProof { call, .. }) = sent.first() else {
        panic!("{sent:?}")
    };
    assert_eq!(call.header.number, header.number);
    let t = bls::Transition::decode(&call.transition).unwrap();
    assert_eq!(t.signers.len() as u64, quorum.required);
    // The lowest `required` of the signers at the time of sending (all but the lowest member
    // had signed, in descending order: the last `required` fed).
    let expect: Vec<Address> = {
        let mut v: Vec<Address> = members[members.len() - quorum.required as usize..]
            .iter()
            .map(|&i| w.keys[i].address())
            .collect();
        v.sort();
        v
    };
    let got: Vec<Address> = t.signers.iter().map(|s| s.address).collect();
    assert_eq!(got, expect);
    let records = |a: Address| {
        let k = w.chain.bls_key(a).unwrap();
        bls::bls_record(k.hash(), 0, u32::MAX)
    };
    let v = t.verify(&ctx, records).unwrap();
    assert_eq!(v.post_state_root, ctx.post_state_root());
    assert_eq!(v.signers, quorum.required);
}

/// Short of its quorum, a complete block is never sent: at its deadline the eager submitter
/// prunes it (the existing path), and signatures that come after are ignored.
#[test]
fn a_block_short_of_signatures_waits_for_its_deadline_and_is_pruned() {
    let mut w = World::with_wheel(10_000, u64::MAX);
    let (mut sub, hash, out) = complete_submitter(&mut w);
    assert!(sends(&out).is_empty(), "{out:?}");
    let quorum = w.transition_ctx(hash, 10_000).quorum().unwrap();
    let sched = w.chain.schedule(SLOT, 3).unwrap();
    let members: Vec<usize> = sched
        .committee(1)
        .iter()
        .map(|m| w.index_of(m.address))
        .collect();
    // One short of the quorum (every member if the committee itself is short).
    let short = members.len().min(quorum.required as usize - 1);
    for &i in &members[..short] {
        let mut out = Vec::new();
        sub.handle(
            &mut w.cx(&mut out),
            Input::TransitionSignature(w.signature(i, hash, 10_000)),
        );
        assert!(sends(&out).is_empty(), "{out:?}");
    }
    // Past the proof window: prune, never the proof.
    let deadline = SLOT + w.chain.params().proof_window + 1;
    w.now = w.chain.clock().slot_start(deadline).unwrap() as f64 + 1.5;
    let mut out = Vec::new();
    sub.handle(&mut w.cx(&mut out), Input::Tick);
    let s = sends(&out);
    assert!(s.iter().any(|c| matches!(c, L1Call::Prune)), "{out:?}");
    assert!(
        !s.iter().any(|c| matches!(
            c,
            L1Call::SubmitSignedProof { .. } | L1Call::SubmitProof { .. }
        )),
        "{out:?}"
    );
    let mut out = Vec::new();
    sub.handle(
        &mut w.cx(&mut out),
        Input::L1(L1Event::Pruned { from: 1, to: 1 }),
    );
    if let Some(&i) = members.get(short) {
        sub.handle(
            &mut w.cx(&mut out),
            Input::TransitionSignature(w.signature(i, hash, 10_000)),
        );
    }
    assert!(out.is_empty(), "{out:?}");
}

/// Signatures that arrive before the block is complete are kept; the lowest addresses are
/// taken, and a submitter without the wheel sends submitProof.
#[test]
fn the_submitter_takes_the_lowest_signers_and_ignores_the_wheel_when_off() {
    let mut w = World::with_wheel(5000, u64::MAX);
    let body = txs(6);
    let sched = w.chain.schedule(SLOT, 3).unwrap();
    let mut members: Vec<usize> = sched
        .committee(1)
        .iter()
        .map(|m| w.index_of(m.address))
        .collect();
    members.sort_by_key(|&i| w.keys[i].address());
    // Signatures of a block not yet on L1 are held.
    let (header, hash) = {
        let mut w2 = World::with_wheel(5000, u64::MAX);
        w2.propose_on_l1(0, 3, &body)
    };
    let mut sub = Submitter::new(
        true,
        spn_core::Strategy::Honest,
        Default::default(),
        Arc::new(Faults::default()),
    );
    let mut out = Vec::new();
    // The block is not known to `w` yet: signatures are held, silently.
    let early: Vec<TransitionSigMsg> = {
        let mut w2 = World::with_wheel(5000, u64::MAX);
        w2.propose_on_l1(0, 3, &body);
        members
            .iter()
            .map(|&i| w2.signature(i, hash, 5000))
            .collect()
    };
    for m in &early {
        sub.handle(&mut w.cx(&mut out), Input::TransitionSignature(*m));
    }
    assert!(out.is_empty(), "{out:?}");
    let (h2, hash2) = w.propose_on_l1(0, 3, &body);
    assert_eq!((h2, hash2), (header.clone(), hash));
    sub.handle(&mut w.cx(&mut out), proposed(&header, hash));
    sub.handle(
        &mut w.cx(&mut out),
        Input::Body {
            hash,
            txs: Ok(Arc::new(body.clone())),
        },
    );
    let s0 = sched.schedule();
    let outputs = BlockTree::from_transactions(3, &body)
        .unwrap()
        .job_outputs(s0)
        .unwrap();
    out.clear();
    for job in 0..=s0.root_job() {
        let signer = if job < s0.prover_jobs() {
            sched
                .fillers(job)
                .next()
                .map(|m| w.keys[w.index_of(m.address)].clone())
        } else {
            None
        }
        .unwrap_or_else(|| w.keys[0].clone());
        let output = outputs[job as usize];
        sub.handle(
            &mut w.cx(&mut out),
            Input::JobResult(JobResultMsg {
                block_hash: hash,
                job,
                output,
                prover: signer.address(),
                sig: signer.sign_job_result(w.chain.domain(), hash, job, output),
            }),
        );
    }
    let sent = sends(&out);
    let Some(L1Call::SubmitSignedProof { call, .. }) = sent.first() else {
        panic!("{out:?}")
    };
    let quorum = w.transition_ctx(hash, 5000).quorum().unwrap();
    let t = bls::Transition::decode(&call.transition).unwrap();
    let got: Vec<Address> = t.signers.iter().map(|s| s.address).collect();
    let want: Vec<Address> = members[..quorum.required as usize]
        .iter()
        .map(|&i| w.keys[i].address())
        .collect();
    assert_eq!(got, want);

    // The wheel off: submitProof, whatever signatures come.
    let mut off = World::new();
    let (_, _, out) = complete_submitter(&mut off);
    assert!(
        matches!(sends(&out).as_slice(), [L1Call::SubmitProof { .. }]),
        "{out:?}"
    );
}

fn arb_key() -> impl Strategy<Value = StakingKey> {
    prop_oneof![
        (0..N).prop_map(key),
        any::<[u8; 32]>()
            .prop_filter_map("valid key", |b| StakingKey::from_bytes(&B256::from(b)).ok()),
    ]
}

fn arb_slot() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(SLOT),
        Just(SLOT + 1),
        Just(0u64),
        Just(u64::MAX),
        any::<u64>()
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Arbitrary well-signed messages, for the block on L1 or not, never panic any role, and
    /// never make one send an L1 transaction or prove.
    #[test]
    fn handlers_take_arbitrary_well_signed_messages(
        k in arb_key(), slot in arb_slot(), job in prop_oneof![0u32..40, any::<u32>()],
        output in any::<[u8; 32]>(), height in any::<u8>(), number in any::<u64>(),
        known_block in any::<bool>(), who in 0..N,
    ) {
        let mut w = World::new();
        let body = txs(4);
        let (_, real) = w.propose_on_l1(1, 3, &body);
        let block = if known_block { real } else { B256::from(output) };
        let d = w.chain.domain().clone();
        let header = Header {
            number,
            parentHash: B256::from(output),
            slot,
            proposer: k.address(),
            txRoot: B256::from(output),
            height,
        };
        let proposal = ProposalMsg {
            sig: k.sign_digest(spn_core::messages::proposal_digest(&d, slot, header.hash())),
            header,
        };
        let inputs = vec![
            Input::Proposal { msg: proposal, peer: Some("p".into()) },
            Input::Attestation(AttestationMsg {
                slot,
                block_hash: block,
                sig: k.sign_attestation(&d, slot, block),
                signer: k.address(),
            }),
            Input::JobResult(JobResultMsg {
                block_hash: block,
                job,
                output: B256::from(output),
                prover: k.address(),
                sig: k.sign_job_result(&d, block, job, B256::from(output)),
            }),
            Input::Started(StartedMsg::sign(&k, &d, block, job)),
            Input::TransitionSignature(TransitionSigMsg {
                block_hash: block,
                signer: k.address(),
                signature: BlsSecretKey::derive(&k).sign_transition(B256::from(output)),
            }),
        ];
        let mut s = w.staker(who);
        let mut sub = Submitter::new(true, spn_core::Strategy::Honest, Default::default(), Arc::new(Faults::default()));
        for i in inputs {
            let mut out = Vec::new();
            s.handle(&mut w.cx(&mut out), i.clone());
            sub.handle(&mut w.cx(&mut out), i);
            for o in &out {
                prop_assert!(!matches!(o, Output::Send { .. } | Output::Prove { .. }), "{o:?}");
            }
        }
        let _ = selection::score(k.address(), B256::ZERO);
    }

    /// The submitter's stage 2 on arbitrary transition signatures: a member's, an outsider's
    /// or a stranger's, of the right digest or not, for a known block or not, with the wheel
    /// on or off. It never panics or sends; it rejects exactly the invalid ones of known
    /// blocks and holds the others silently.
    #[test]
    fn the_submitter_rejects_exactly_the_invalid_transition_signatures(
        who in 0..N + 1, right in any::<bool>(), wheel in any::<bool>(),
        known in any::<bool>(), digest in any::<[u8; 32]>(),
    ) {
        let mut w = if wheel { World::with_wheel(5000, u64::MAX) } else { World::new() };
        let body = txs(4);
        let (header, hash) = w.propose_on_l1(1, 3, &body);
        let block = if known { hash } else { B256::from(digest) };
        let key = if who < N {
            w.keys[who].clone()
        } else {
            StakingKey::from_bytes(&B256::repeat_byte(0x77)).unwrap()
        };
        let valid_digest = w.transition_ctx(hash, 5000).digest();
        let m = TransitionSigMsg {
            block_hash: block,
            signer: key.address(),
            signature: BlsSecretKey::derive(&key)
                .sign_transition(if right { valid_digest } else { B256::from(digest) }),
        };
        let member = w
            .chain
            .schedule(SLOT, 3)
            .unwrap()
            .committee(1)
            .iter()
            .any(|x| x.address == key.address());
        let mut sub = Submitter::new(true, spn_core::Strategy::Honest, Default::default(), Arc::new(Faults::default()));
        let mut out = Vec::new();
        sub.handle(&mut w.cx(&mut out), proposed(&header, hash));
        out.clear();
        sub.handle(&mut w.cx(&mut out), Input::TransitionSignature(m));
        let sent = out.iter().any(|o| matches!(o, Output::Send { .. }));
        prop_assert!(!sent);
        let rejected = out.iter().any(|o| matches!(o, Output::Note(Note::Rejected { .. })));
        let valid = wheel && member && right;
        prop_assert_eq!(rejected, known && !valid, "{:?}", out);
    }
}
