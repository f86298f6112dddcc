//! The core's inputs and outputs. A runtime feeds [`Input`]s with the time and read access to L1
//! ([`Cx`]), and carries out the [`Output`]s: gossip, serving and fetching data, proving, L1
//! transactions and timers. The node (tokio, libp2p, alloy) and the simulator are two runtimes.

use std::sync::Arc;

use alloy_primitives::{Bytes, B256, U256};
use spn_bindings::Rollup;
use spn_protocol::Transcript;

use crate::chain::{Chain, L1Event};
use crate::messages::{AttestationMsg, JobResultMsg, ProposalMsg, StartedMsg, TransitionSigMsg};

/// A peer, as the runtime names it (asked first for data it announced).
pub type PeerId = String;

/// Why a set of job results was requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultsTag {
    /// The inputs of an own job are late.
    Late,
    /// Before proving missing jobs as the proposer's fallback.
    BeforeFallback,
    /// The submitter's tree is incomplete.
    Missing,
    /// The submitter checks for credited results it missed before assembling.
    BeforeSubmit,
}

/// Something that happened (time passing is [`Input::Tick`]).
#[derive(Debug, Clone)]
pub enum Input {
    /// Time advanced; roles look at the slot clock.
    Tick,
    /// A Rollup event, applied to the [`Chain`] state before it is delivered.
    L1(L1Event),
    /// A gossiped proposal (decoded and its signature recovered by the runtime).
    Proposal {
        /// The message.
        msg: ProposalMsg,
        /// Who forwarded it.
        peer: Option<PeerId>,
    },
    /// A gossiped attestation.
    Attestation(AttestationMsg),
    /// A gossiped job result.
    JobResult(JobResultMsg),
    /// A gossiped start of a job (the liveness signal).
    Started(StartedMsg),
    /// A gossiped BLS signature of a block's state transition (stage 1 passed).
    TransitionSignature(TransitionSigMsg),
    /// The answer to [`Output::FetchBody`].
    Body {
        /// Block hash.
        hash: B256,
        /// The transactions, or why none came (checked against the root by the core).
        txs: Result<Arc<Vec<Bytes>>, String>,
    },
    /// The answer to [`Output::FetchResults`]: results decoded and signature-checked.
    Results {
        /// Block hash.
        hash: B256,
        /// Results received.
        results: Vec<JobResultMsg>,
        /// The request's tag.
        tag: ResultsTag,
    },
    /// The answer to [`Output::TakeTxs`].
    Txs {
        /// The slot asked for.
        slot: u64,
        /// Transactions from the pool.
        txs: Vec<Bytes>,
    },
    /// A job started by [`Output::Prove`] is proven.
    Proved {
        /// Block hash.
        hash: B256,
        /// Job id.
        job: u32,
        /// The output a proving backend computed (`None`: the simulated cost model, which
        /// computes nothing). Checked against the known output before the result is signed.
        output: Option<B256>,
    },
    /// A timer set by [`Output::Timer`] fired.
    Timer(Timer),
    /// The answer to [`Output::FetchTranscript`].
    Transcript {
        /// Block number.
        number: u64,
        /// The transcript of the block's proof.
        transcript: Result<Arc<Transcript>, String>,
    },
    /// A transaction of [`Output::Send`] was mined (or failed).
    TxDone {
        /// Its id.
        id: u64,
        /// Gas and what it paid, or the error.
        result: Result<TxOutcome, String>,
    },
    /// Claim every outstanding share once block `upto` is seen proven, then answer with
    /// [`Output::ClaimAnswered`].
    ClaimNow {
        /// Block number.
        upto: u64,
    },
}

/// A mined transaction, as the core needs it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TxOutcome {
    /// Gas used.
    pub gas_used: u64,
    /// Reward tokens it paid to the recipient (claims).
    pub paid: U256,
}

/// Timers the roles set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// Try to propose in `slot`.
    TryPropose(u64),
    /// The attestation wait of an own proposal ended.
    AttestDeadline(B256),
    /// Fill job `.1` of block `.0` if still missing.
    FillCheck(B256, u32),
    /// Ask for the late inputs of job `.1` of block `.0`.
    ChildrenLate(B256, u32),
    /// The proposer's fallback for block `.0` begins.
    Fallback(B256),
    /// Fetch the body of block `.0` again.
    RetryBody(B256),
    /// Submit block `.0` again after a failure.
    RetrySubmit(B256),
}

/// An L1 transaction a role wants sent (to the Rollup).
#[derive(Debug, Clone)]
pub enum L1Call {
    /// `propose`, for block `hash`.
    Propose {
        /// The announced block.
        hash: B256,
        /// The call.
        call: Rollup::proposeCall,
    },
    /// `submitProof`.
    SubmitProof {
        /// The block.
        hash: B256,
        /// The call.
        call: Rollup::submitProofCall,
    },
    /// `submitSignedProof`: a block the training wheel covers, with its signed transition.
    SubmitSignedProof {
        /// The block.
        hash: B256,
        /// The call.
        call: Rollup::submitSignedProofCall,
    },
    /// `claim`, paying `call.recipient`.
    Claim(Rollup::claimCall),
    /// `prune`.
    Prune,
    /// `reportMissed(staker, header)`.
    ReportMissed {
        /// The accused.
        staker: alloy_primitives::Address,
        /// The proven block it missed.
        header: spn_protocol::Header,
    },
    /// `clearWithReward(staker, header, cost, proof)`: the staker was credited in `header`.
    ClearWithReward {
        /// The accused.
        staker: alloy_primitives::Address,
        /// A proven block in which it was credited.
        header: spn_protocol::Header,
        /// Its credited cost there.
        cost: u64,
        /// The Merkle proof of its leaf.
        proof: Vec<B256>,
    },
    /// `clearWithJobResult(staker, header, job, output, signature, siblings)`: the staker signed
    /// a job of `header` it was eligible for (a result the transcript left out).
    ClearWithJobResult {
        /// The accused.
        staker: alloy_primitives::Address,
        /// A proven block it worked on.
        header: spn_protocol::Header,
        /// Its signed result there.
        result: JobResultMsg,
        /// The result's positional path to `txRoot`.
        siblings: Vec<B256>,
    },
    /// `finaliseReport(staker)`.
    FinaliseReport(alloy_primitives::Address),
    /// `sampleSeed`.
    SampleSeed,
}

impl L1Call {
    /// Name for logs and gas records.
    pub fn name(&self) -> &'static str {
        match self {
            L1Call::Propose { .. } => "propose",
            L1Call::SubmitProof { .. } => "submitProof",
            L1Call::SubmitSignedProof { .. } => "submitSignedProof",
            L1Call::Claim(_) => "claim",
            L1Call::Prune => "prune",
            L1Call::ReportMissed { .. } => "reportMissed",
            L1Call::ClearWithReward { .. } => "clearWithReward",
            L1Call::ClearWithJobResult { .. } => "clearWithJobResult",
            L1Call::FinaliseReport(_) => "finaliseReport",
            L1Call::SampleSeed => "sampleSeed",
        }
    }

    /// ABI-encoded calldata.
    pub fn calldata(&self) -> Bytes {
        use alloy_sol_types::SolCall;
        Bytes::from(match self {
            L1Call::Propose { call, .. } => call.abi_encode(),
            L1Call::SubmitProof { call, .. } => call.abi_encode(),
            L1Call::SubmitSignedProof { call, .. } => call.abi_encode(),
            L1Call::Claim(call) => call.abi_encode(),
            L1Call::Prune => Rollup::pruneCall {}.abi_encode(),
            L1Call::ReportMissed { staker, header } => Rollup::reportMissedCall {
                staker: *staker,
                header: header.into(),
            }
            .abi_encode(),
            L1Call::ClearWithReward {
                staker,
                header,
                cost,
                proof,
            } => Rollup::clearWithRewardCall {
                staker: *staker,
                header: header.into(),
                cost: *cost,
                proof: proof.clone(),
            }
            .abi_encode(),
            L1Call::ClearWithJobResult {
                staker,
                header,
                result,
                siblings,
            } => Rollup::clearWithJobResultCall {
                staker: *staker,
                header: header.into(),
                job: result.job,
                output: result.output,
                signature: spn_bindings::rollup::IRollup::Signature {
                    r: result.sig.r,
                    vs: result.sig.vs,
                },
                siblings: siblings.clone(),
            }
            .abi_encode(),
            L1Call::FinaliseReport(staker) => {
                Rollup::finaliseReportCall { staker: *staker }.abi_encode()
            }
            L1Call::SampleSeed => Rollup::sampleSeedCall {}.abi_encode(),
        })
    }
}

/// What a proof transaction's input carries: the transcript, and the signed transition of a
/// `submitSignedProof`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofTx {
    /// The block's header.
    pub header: spn_protocol::Header,
    /// The packed transcript.
    pub transcript: Transcript,
    /// The signed transition (`submitSignedProof` only).
    pub transition: Option<spn_protocol::Transition>,
}

/// Decodes the input of a `submitProof` or `submitSignedProof` transaction (claims, reports and
/// the devnet read proven blocks' transcripts from them).
pub fn decode_proof_tx(input: &[u8]) -> Result<ProofTx, String> {
    use alloy_sol_types::SolCall;
    let (h, proof, transition) = match Rollup::submitProofCall::abi_decode(input) {
        Ok(c) => (c.header, c.proof, None),
        Err(_) => {
            let c = Rollup::submitSignedProofCall::abi_decode(input)
                .map_err(|e| format!("neither submitProof nor submitSignedProof: {e}"))?;
            (c.header, c.proof, Some(c.transition))
        }
    };
    let header = spn_protocol::Header {
        number: h.number,
        parentHash: h.parentHash,
        slot: h.slot,
        proposer: h.proposer,
        txRoot: h.txRoot,
        height: h.height,
    };
    let transcript = Transcript::decode(&proof).map_err(|e| e.to_string())?;
    let transition = transition
        .map(|t| spn_protocol::Transition::decode(&t).map_err(|e| e.to_string()))
        .transpose()?;
    Ok(ProofTx {
        header,
        transcript,
        transition,
    })
}

/// A gossip message to publish.
#[derive(Debug, Clone)]
pub enum Msg {
    /// A proposal.
    Proposal(ProposalMsg),
    /// An attestation.
    Attestation(AttestationMsg),
    /// A job result.
    JobResult(JobResultMsg),
    /// A prover started a job.
    Started(StartedMsg),
    /// A round-1 member signed a block's state transition.
    TransitionSignature(TransitionSigMsg),
    /// Raw bytes on the job-result topic (fault injection only: garbage receivers must drop).
    RawJobResult(Bytes),
}

/// One job's work: the root of `inputs`, the `2^h(round)` nodes (round 1: leaves) under the
/// job's subtree, is the node at `(level, index)` of the block's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProveTask {
    /// Round r.
    pub round: u32,
    /// `level(r)`: the tree level of the job's output.
    pub level: u32,
    /// Index of the job within its round.
    pub index: u32,
    /// The job's inputs, left to right.
    pub inputs: Vec<B256>,
    /// The output the core already knows (the subtree root of `inputs`).
    pub output: B256,
}

/// What a role observed, for metrics, logs and the simulator's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A message or response was dropped by validation.
    Rejected {
        /// Topic or protocol.
        kind: &'static str,
        /// Why.
        reason: String,
    },
    /// A proposal announced (and possibly withheld).
    Announced {
        /// Block hash.
        hash: B256,
        /// Slot.
        slot: u64,
        /// Whether its body was withheld (fault injection).
        withheld: bool,
    },
    /// An own proposal did not reach the attestation quorum.
    NoQuorum(B256),
    /// A job was proven and published.
    JobDone {
        /// Block hash.
        hash: B256,
        /// Job id.
        job: u32,
        /// In which capacity.
        how: JobKind,
    },
    /// The submitter holds every result of the block.
    TreeComplete(B256),
    /// A proof was submitted and accepted.
    Submitted {
        /// Block hash.
        hash: B256,
        /// Distinct provers credited.
        provers: u64,
        /// Committee jobs not credited.
        unfilled: u64,
    },
}

/// The capacity in which a job was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Its assigned owner.
    Own,
    /// A neighbour filling for a missing owner.
    Fill,
    /// The proposer: the root job.
    Root,
    /// The proposer: a job no committee member can do (unpaid).
    Unfilled,
    /// The proposer: a missing job after `s + proofWindow/2` (unpaid).
    Fallback,
}

/// Something to do.
#[derive(Debug, Clone)]
pub enum Output {
    /// Gossip a message.
    Publish(Msg),
    /// Serve a block body to requests.
    ServeBody {
        /// Block hash.
        hash: B256,
        /// Transactions.
        txs: Arc<Vec<Bytes>>,
    },
    /// Serve a checked job result to `job-results/1` requests.
    ServeResult(JobResultMsg),
    /// Stop serving these blocks' bodies and results.
    Forget(Vec<B256>),
    /// Fetch a body; answered with [`Input::Body`].
    FetchBody {
        /// Block hash.
        hash: B256,
        /// Peer to ask first.
        hint: Option<PeerId>,
    },
    /// Fetch job results; answered with [`Input::Results`].
    FetchResults {
        /// Block hash.
        hash: B256,
        /// Job ids.
        jobs: Vec<u32>,
        /// Peer to ask first.
        hint: Option<PeerId>,
        /// Returned with the answer.
        tag: ResultsTag,
    },
    /// Take up to `max` transactions from the pool; answered with [`Input::Txs`].
    TakeTxs {
        /// Slot.
        slot: u64,
        /// Most transactions.
        max: usize,
    },
    /// Give transactions back to the pool (a block that was not proposed).
    Requeue(Arc<Vec<Bytes>>),
    /// Prove job `job` of block `hash` (simulated cost `seconds`); answered with
    /// [`Input::Proved`].
    Prove {
        /// Block hash.
        hash: B256,
        /// Job id.
        job: u32,
        /// Simulated duration in seconds.
        seconds: f64,
        /// What a proving backend needs: the job's place in the tree and its inputs.
        task: Arc<ProveTask>,
    },
    /// Fire `timer` at L1 time `at` (seconds).
    Timer {
        /// When.
        at: f64,
        /// What.
        timer: Timer,
    },
    /// Read the transcript of proven block `number` from transaction `tx`; answered with
    /// [`Input::Transcript`].
    FetchTranscript {
        /// Block number.
        number: u64,
        /// The proof transaction.
        tx: B256,
    },
    /// Send an L1 transaction; answered with [`Input::TxDone`].
    Send {
        /// Id, returned with the answer.
        id: u64,
        /// The call.
        call: L1Call,
        /// Gas limit, if fixed.
        gas_limit: Option<u64>,
    },
    /// The answer to [`Input::ClaimNow`]: the amount claimed since.
    ClaimAnswered(U256),
    /// An observation.
    Note(Note),
}

/// What a handler gets: the time, L1 state, and where its outputs go.
pub struct Cx<'a> {
    /// L1 time now, in seconds.
    pub now: f64,
    /// L1 state.
    pub chain: &'a dyn Chain,
    /// Outputs, in order.
    pub out: &'a mut Vec<Output>,
}

impl Cx<'_> {
    /// The slot at [`Self::now`].
    pub fn current_slot(&self) -> u64 {
        if !self.now.is_finite() || self.now < 0.0 {
            return 0;
        }
        self.chain.clock().slot_at(self.now as u64).unwrap_or(0)
    }

    /// Seconds since the start of `slot` (negative before it).
    pub fn into_slot(&self, slot: u64) -> f64 {
        let start = self.chain.clock().slot_start(slot).unwrap_or(u64::MAX) as f64;
        self.now - start
    }

    /// L1 time at which `slot` starts.
    pub fn slot_start(&self, slot: u64) -> f64 {
        self.chain.clock().slot_start(slot).unwrap_or(u64::MAX) as f64
    }

    /// Emits an output.
    pub fn emit(&mut self, o: Output) {
        self.out.push(o);
    }

    /// Fires `timer` after `delay` seconds.
    pub fn after(&mut self, delay: f64, timer: Timer) {
        let at = self.now + delay.max(0.0);
        self.out.push(Output::Timer { at, timer });
    }

    /// Records an observation.
    pub fn note(&mut self, n: Note) {
        self.out.push(Output::Note(n));
    }

    /// Records a dropped message.
    pub fn reject(&mut self, kind: &'static str, reason: String) {
        self.out.push(Output::Note(Note::Rejected { kind, reason }));
    }
}
