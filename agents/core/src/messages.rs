//! Wire payloads (`abi.encode` of the §15.1 tuples) and their checks that need no chain state:
//! size, decoding, signature recovery, and block bodies against their root.

use alloy_primitives::{Address, Bytes, B256};
use alloy_sol_types::{sol, Eip712Domain, SolStruct, SolType, SolValue};
use spn_protocol::bls::COMPRESSED_SIGNATURE_BYTES;
use spn_protocol::{eip712, params::MAX_SUPPORTED_HEIGHT, signing, tree, tree::BlockTree};
use spn_protocol::{BlsSignature, CompactSignature, Header};

use serde::{Deserialize, Serialize};

/// Gossip topics (`/spn/<chainId>/<rollup>/<topic>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// `(Header, Signature)` signed by the proposer.
    Proposal,
    /// `(uint64 slot, bytes32 blockHash, Signature)`.
    Attestation,
    /// `(bytes32 blockHash, uint32 job, bytes32 output, address prover, Signature)`.
    JobResult,
    /// `(bytes32 blockHash, uint32 job, address prover, Signature)`: a prover started a job
    /// (the liveness signal fillers wait for, §9.3).
    JobStarted,
    /// `(bytes32 blockHash, address signer, bytes signature)`: a round-1 member's BLS signature
    /// of the block's state transition (the training wheel, design §6), 96 bytes compressed.
    TransitionSignature,
}

impl Topic {
    /// Largest accepted payload (§15.1).
    pub fn max_size(self) -> usize {
        match self {
            Topic::Proposal => 1024,
            Topic::Attestation
            | Topic::JobResult
            | Topic::JobStarted
            | Topic::TransitionSignature => 256,
        }
    }

    /// Topic name.
    pub fn name(self) -> &'static str {
        match self {
            Topic::Proposal => "proposal",
            Topic::Attestation => "attestation",
            Topic::JobResult => "job-result",
            Topic::JobStarted => "job-started",
            Topic::TransitionSignature => "transition-signature",
        }
    }
}

/// Largest block body response (§15.1): 16 MiB.
pub const MAX_BODY_BYTES: usize = 16 << 20;
/// Largest transaction (§15.1).
pub const MAX_TX_BYTES: usize = 4096;

/// Most job ids in one `job-results/1` request (§15.1).
pub const MAX_RESULT_JOBS: usize = 1024;
/// Most results per job in one `job-results/1` response (§15.1).
pub const MAX_RESULTS_PER_JOB: usize = 4;
/// Largest `job-results/1` response (§15.1): 1 MiB of encoded results.
pub const MAX_RESULTS_BYTES: usize = 1 << 20;

sol! {
    /// Signed by a proposer when it announces its block (network only, §11.2).
    #[derive(Debug, Default, PartialEq, Eq)]
    struct Proposal {
        uint64 slot;
        bytes32 blockHash;
    }

    /// Signed by a prover when it starts a job (network only, §9.3).
    #[derive(Debug, Default, PartialEq, Eq)]
    struct JobStarted {
        bytes32 blockHash;
        uint32 job;
    }
}

/// Digest of `JobStarted(bytes32 blockHash,uint32 job)` in the SPN domain.
pub fn job_started_digest(domain: &Eip712Domain, block_hash: B256, job: u32) -> B256 {
    JobStarted {
        blockHash: block_hash,
        job,
    }
    .eip712_signing_hash(domain)
}

/// Digest of `Proposal(uint64 slot,bytes32 blockHash)` in the SPN domain.
pub fn proposal_digest(domain: &Eip712Domain, slot: u64, block_hash: B256) -> B256 {
    Proposal {
        slot,
        blockHash: block_hash,
    }
    .eip712_signing_hash(domain)
}

/// Why a message was dropped.
pub type Reject = String;

fn check_size(topic: Topic, payload: &[u8]) -> Result<(), Reject> {
    if payload.len() > topic.max_size() {
        return Err(format!(
            "oversized: {} bytes > {}",
            payload.len(),
            topic.max_size()
        ));
    }
    Ok(())
}

/// Decodes `abi.encode(T)` strictly: the payload must be exactly the canonical encoding of the
/// decoded value (no trailing bytes, zero padding in every word, uints in range), so a signed
/// message travels in one byte form only (§15.2).
fn decode_canonical<T>(payload: &[u8]) -> Result<T, Reject>
where
    T: SolValue + From<<T::SolType as SolType>::RustType>,
{
    let v = T::abi_decode_validate(payload).map_err(|e| format!("undecodable: {e}"))?;
    if v.abi_encode() != payload {
        return Err("non-canonical encoding".into());
    }
    Ok(v)
}

/// Decodes `abi.encode(bytes32, address, bytes)` (a parameter list with a dynamic member)
/// strictly, as [`decode_canonical`] does for static tuples.
fn decode_hash_address_bytes(payload: &[u8]) -> Result<(B256, Address, Bytes), Reject> {
    let v = <(B256, Address, Bytes)>::abi_decode_params_validate(payload)
        .map_err(|e| format!("undecodable: {e}"))?;
    if v.abi_encode_params() != payload {
        return Err("non-canonical encoding".into());
    }
    Ok(v)
}

/// How many slots a proposal or attestation may be away from the local clock's current slot.
pub const SLOT_WINDOW: u64 = 1;

/// Checks that a message's `slot` is within [`SLOT_WINDOW`] of the local clock's `current` slot
/// (§15.2). Local and overflow-free: it runs before anything that costs an L1 call.
pub fn check_slot_window(slot: u64, current: u64) -> Result<(), Reject> {
    if slot.abs_diff(current) > SLOT_WINDOW {
        return Err(format!("slot {slot} is not current ({current})"));
    }
    Ok(())
}

/// A proposer's announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalMsg {
    /// The block header (number and parent as the proposer sees L1).
    pub header: Header,
    /// Proposer's signature over `Proposal(slot, blockHash)`.
    pub sig: CompactSignature,
}

impl ProposalMsg {
    /// Wire encoding.
    pub fn encode(&self) -> Bytes {
        (self.header.clone(), self.sig.r, self.sig.vs)
            .abi_encode()
            .into()
    }

    /// Decodes and checks the signature recovers to the header's proposer.
    pub fn decode(payload: &[u8], domain: &Eip712Domain) -> Result<Self, Reject> {
        check_size(Topic::Proposal, payload)?;
        let (header, r, vs) = decode_canonical::<(Header, B256, B256)>(payload)?;
        let sig = CompactSignature { r, vs };
        let digest = proposal_digest(domain, header.slot, header.hash());
        match signing::recover(digest, &sig) {
            Ok(a) if a == header.proposer => Ok(Self { header, sig }),
            Ok(a) => Err(format!(
                "signature by {a}, not the proposer {}",
                header.proposer
            )),
            Err(e) => Err(format!("bad signature: {e}")),
        }
    }
}

/// An attestation to a block of a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttestationMsg {
    /// Slot.
    pub slot: u64,
    /// Attested block.
    pub block_hash: B256,
    /// Signature over `Attestation(slot, blockHash)`.
    pub sig: CompactSignature,
    /// Recovered signer (not on the wire).
    pub signer: Address,
}

impl AttestationMsg {
    /// Wire encoding.
    pub fn encode(&self) -> Bytes {
        (self.slot, self.block_hash, self.sig.r, self.sig.vs)
            .abi_encode()
            .into()
    }

    /// Decodes and recovers the signer.
    pub fn decode(payload: &[u8], domain: &Eip712Domain) -> Result<Self, Reject> {
        check_size(Topic::Attestation, payload)?;
        let (slot, block_hash, r, vs) = decode_canonical::<(u64, B256, B256, B256)>(payload)?;
        let sig = CompactSignature { r, vs };
        let signer = signing::recover(eip712::attestation_digest(domain, slot, block_hash), &sig)
            .map_err(|e| format!("bad signature: {e}"))?;
        Ok(Self {
            slot,
            block_hash,
            sig,
            signer,
        })
    }
}

/// A signed job result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobResultMsg {
    /// Block.
    pub block_hash: B256,
    /// Global job id.
    pub job: u32,
    /// The job's output (a tree node).
    pub output: B256,
    /// Claimed signer.
    pub prover: Address,
    /// Signature over `JobResult(blockHash, job, output)`.
    pub sig: CompactSignature,
}

impl JobResultMsg {
    /// Wire encoding.
    pub fn encode(&self) -> Bytes {
        (
            self.block_hash,
            self.job,
            self.output,
            self.prover,
            self.sig.r,
            self.sig.vs,
        )
            .abi_encode()
            .into()
    }

    /// Decodes and checks the signature recovers to `prover`.
    pub fn decode(payload: &[u8], domain: &Eip712Domain) -> Result<Self, Reject> {
        check_size(Topic::JobResult, payload)?;
        let (block_hash, job, output, prover, r, vs) =
            decode_canonical::<(B256, u32, B256, Address, B256, B256)>(payload)?;
        let sig = CompactSignature { r, vs };
        let digest = eip712::job_result_digest(domain, block_hash, job, output);
        match signing::recover(digest, &sig) {
            Ok(a) if a == prover => Ok(Self {
                block_hash,
                job,
                output,
                prover,
                sig,
            }),
            Ok(a) => Err(format!("signature by {a}, not {prover}")),
            Err(e) => Err(format!("bad signature: {e}")),
        }
    }
}

/// A prover's signed announcement that it started a job: fillers who see it do not start the
/// same job (§9.3). It carries no output; only eligible provers' announcements count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartedMsg {
    /// Block.
    pub block_hash: B256,
    /// Global job id.
    pub job: u32,
    /// Claimed signer.
    pub prover: Address,
    /// Signature over `JobStarted(blockHash, job)`.
    pub sig: CompactSignature,
}

impl StartedMsg {
    /// Signs an announcement.
    pub fn sign(
        key: &spn_protocol::StakingKey,
        domain: &Eip712Domain,
        block_hash: B256,
        job: u32,
    ) -> Self {
        Self {
            block_hash,
            job,
            prover: key.address(),
            sig: key.sign_digest(job_started_digest(domain, block_hash, job)),
        }
    }

    /// Wire encoding.
    pub fn encode(&self) -> Bytes {
        (
            self.block_hash,
            self.job,
            self.prover,
            self.sig.r,
            self.sig.vs,
        )
            .abi_encode()
            .into()
    }

    /// Decodes and checks the signature recovers to `prover`.
    pub fn decode(payload: &[u8], domain: &Eip712Domain) -> Result<Self, Reject> {
        check_size(Topic::JobStarted, payload)?;
        let (block_hash, job, prover, r, vs) =
            decode_canonical::<(B256, u32, Address, B256, B256)>(payload)?;
        let sig = CompactSignature { r, vs };
        match signing::recover(job_started_digest(domain, block_hash, job), &sig) {
            Ok(a) if a == prover => Ok(Self {
                block_hash,
                job,
                prover,
                sig,
            }),
            Ok(a) => Err(format!("signature by {a}, not {prover}")),
            Err(e) => Err(format!("bad signature: {e}")),
        }
    }
}

/// A round-1 member's BLS signature of a block's state transition (training wheel, design §6).
/// Nothing on the wire authenticates `signer` but the signature itself: stage 1 checks the point
/// only (canonical compressed form, on the curve, in G2, not infinity); the submitter verifies it
/// against the signer's registered key ([`crate::submitter`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionSigMsg {
    /// The signed block.
    pub block_hash: B256,
    /// The claimed signer (a staking key with a registered BLS key).
    pub signer: Address,
    /// Its signature of the block's `StateTransition` digest.
    pub signature: BlsSignature,
}

impl TransitionSigMsg {
    /// Wire encoding: `abi.encode(blockHash, signer, signature)` with the 96-byte compressed
    /// signature (224 bytes).
    pub fn encode(&self) -> Bytes {
        (
            self.block_hash,
            self.signer,
            Bytes::copy_from_slice(self.signature.compress().as_slice()),
        )
            .abi_encode_params()
            .into()
    }

    /// Decodes strictly: size, canonical encoding, a 96-byte signature in canonical compressed
    /// form that is a G2 point other than infinity (`Signature::uncompress` and the subgroup
    /// check).
    pub fn decode(payload: &[u8]) -> Result<Self, Reject> {
        check_size(Topic::TransitionSignature, payload)?;
        let (block_hash, signer, sig) = decode_hash_address_bytes(payload)?;
        if sig.len() != COMPRESSED_SIGNATURE_BYTES {
            return Err(format!(
                "signature of {} bytes, not {COMPRESSED_SIGNATURE_BYTES}",
                sig.len()
            ));
        }
        let signature = BlsSignature::from_compressed(&sig).map_err(|e| e.to_string())?;
        if signature.compress().as_slice() != sig.as_ref() {
            return Err("non-canonical compressed signature".into());
        }
        Ok(Self {
            block_hash,
            signer,
            signature,
        })
    }
}

/// Decodes a result received by request for block `block_hash`, checked like a gossiped one
/// ([`JobResultMsg::decode`]) and required to be of that block.
pub fn decode_requested_result(
    payload: &[u8],
    block_hash: B256,
    domain: &Eip712Domain,
) -> Result<JobResultMsg, Reject> {
    let r = JobResultMsg::decode(payload, domain)?;
    if r.block_hash != block_hash {
        return Err(format!(
            "result of block {}, not {block_hash}",
            r.block_hash
        ));
    }
    Ok(r)
}

/// A `job-results/1` request: the results of `jobs` of block `block_hash` (at most 1,024 ids).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultsRequest {
    /// Block.
    pub block_hash: B256,
    /// Global job ids.
    pub jobs: Vec<u32>,
}

impl ResultsRequest {
    /// Checks the id count (a responder answers nothing to a larger request).
    pub fn check(&self) -> Result<(), Reject> {
        if self.jobs.len() > MAX_RESULT_JOBS {
            return Err(format!("{} job ids > {MAX_RESULT_JOBS}", self.jobs.len()));
        }
        Ok(())
    }
}

/// Checks a `job-results/1` response to `req` (§15.1, §15.2): at most 1 MiB and 4 results per
/// requested job in all (otherwise the whole response is dropped), and each result exactly as a
/// gossiped one (size, encoding, signature) and of the requested block and jobs. Returns the
/// valid results and the reasons of the dropped ones.
pub fn check_results_response(
    req: &ResultsRequest,
    payloads: &[Bytes],
    domain: &Eip712Domain,
) -> Result<(Vec<JobResultMsg>, Vec<Reject>), Reject> {
    let total: usize = payloads.iter().map(|p| p.len()).sum();
    if total > MAX_RESULTS_BYTES {
        return Err(format!("response of {total} bytes > {MAX_RESULTS_BYTES}"));
    }
    let cap = req.jobs.len().min(MAX_RESULT_JOBS) * MAX_RESULTS_PER_JOB;
    if payloads.len() > cap {
        return Err(format!("{} results > {cap}", payloads.len()));
    }
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for p in payloads {
        match JobResultMsg::decode(p, domain) {
            Ok(r) if r.block_hash != req.block_hash => bad.push(format!(
                "result of block {}, not the requested {}",
                r.block_hash, req.block_hash
            )),
            Ok(r) if !req.jobs.contains(&r.job) => {
                bad.push(format!("job {} was not requested", r.job))
            }
            Ok(r) => {
                if !ok.contains(&r) {
                    ok.push(r);
                }
            }
            Err(e) => bad.push(e),
        }
    }
    Ok((ok, bad))
}

/// Checks a block body (§15.2): a height within the deployment's `max_height`, at most
/// `2^height` transactions of at most 4,096 bytes, 16 MiB in all, whose zero-padded tree has root
/// `tx_root`. The root is checked first at a cost bounded by the body's size (the padding is never
/// materialised); only a body matching its root gets its full tree built. Returns the tree.
pub fn check_body(
    txs: &[Bytes],
    height: u8,
    max_height: u8,
    tx_root: B256,
) -> Result<BlockTree, Reject> {
    if height > max_height.min(MAX_SUPPORTED_HEIGHT) {
        return Err(format!(
            "height {height} > maxHeight {}",
            max_height.min(MAX_SUPPORTED_HEIGHT)
        ));
    }
    let capacity = 1u64 << height;
    if txs.len() as u64 > capacity {
        return Err(format!("{} transactions > 2^{height}", txs.len()));
    }
    if let Some((i, t)) = txs.iter().enumerate().find(|(_, t)| t.len() > MAX_TX_BYTES) {
        return Err(format!(
            "transaction {i} has {} bytes > {MAX_TX_BYTES}",
            t.len()
        ));
    }
    let total: usize = txs.iter().map(|t| t.len()).sum();
    if total > MAX_BODY_BYTES {
        return Err(format!("body of {total} bytes > {MAX_BODY_BYTES}"));
    }
    let leaves: Vec<B256> = txs.iter().map(|t| tree::tx_leaf(t)).collect();
    let root = tree::sparse_root(u32::from(height), &leaves).map_err(|e| e.to_string())?;
    if root != tx_root {
        return Err(format!("root {root} != txRoot {tx_root}"));
    }
    BlockTree::new(u32::from(height), &leaves).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use spn_protocol::StakingKey;
    use std::time::{Duration, Instant};

    fn key(b: u8) -> StakingKey {
        StakingKey::from_bytes(&B256::repeat_byte(b)).unwrap()
    }

    #[test]
    fn round_trips_and_rejects_forgeries() {
        let d = eip712::domain(31337, Address::with_last_byte(9));
        let k = key(7);
        let header = Header {
            number: 1,
            slot: 5,
            proposer: k.address(),
            height: 3,
            ..Header::default()
        };
        let sig = k.sign_digest(proposal_digest(&d, 5, header.hash()));
        let p = ProposalMsg {
            header: header.clone(),
            sig,
        };
        assert_eq!(ProposalMsg::decode(&p.encode(), &d).unwrap(), p);
        let forged = ProposalMsg {
            header: Header {
                proposer: key(8).address(),
                ..header
            },
            sig,
        };
        assert!(ProposalMsg::decode(&forged.encode(), &d).is_err());

        let bh = B256::repeat_byte(3);
        let j = JobResultMsg {
            block_hash: bh,
            job: 4,
            output: B256::repeat_byte(4),
            prover: k.address(),
            sig: k.sign_job_result(&d, bh, 4, B256::repeat_byte(4)),
        };
        assert_eq!(JobResultMsg::decode(&j.encode(), &d).unwrap(), j);
        let wrong = JobResultMsg {
            output: B256::repeat_byte(5),
            ..j
        };
        assert!(JobResultMsg::decode(&wrong.encode(), &d).is_err());
        let big = vec![0u8; 300];
        assert!(JobResultMsg::decode(&big, &d)
            .unwrap_err()
            .starts_with("oversized"));

        let a = AttestationMsg {
            slot: 5,
            block_hash: bh,
            sig: k.sign_attestation(&d, 5, bh),
            signer: k.address(),
        };
        assert_eq!(AttestationMsg::decode(&a.encode(), &d).unwrap(), a);
    }

    fn bls_key(i: u64) -> spn_protocol::BlsSecretKey {
        spn_protocol::BlsSecretKey::from_bytes(&B256::from(alloy_primitives::U256::from(i)))
            .unwrap()
    }

    /// The transition signature's wire form: 224 bytes, round trip, and every malformed
    /// signature field refused at stage 1 (length, infinity, off the curve, outside G2,
    /// non-canonical flags).
    #[test]
    fn transition_signatures_are_checked_points() {
        let m = TransitionSigMsg {
            block_hash: B256::repeat_byte(3),
            signer: Address::with_last_byte(7),
            signature: bls_key(5).sign_transition(B256::repeat_byte(9)),
        };
        let enc = m.encode();
        assert_eq!(enc.len(), 224);
        assert!(enc.len() <= Topic::TransitionSignature.max_size());
        assert_eq!(TransitionSigMsg::decode(&enc).unwrap(), m);
        let with_sig = |sig: &[u8]| -> Vec<u8> {
            (
                B256::repeat_byte(3),
                Address::with_last_byte(7),
                Bytes::copy_from_slice(sig),
            )
                .abi_encode_params()
        };
        assert_eq!(with_sig(m.signature.compress().as_slice()), enc.to_vec());
        // Lengths: 48 bytes, 95, 97 (192 is oversized on the wire).
        for len in [0usize, 48, 95, 97] {
            let e = TransitionSigMsg::decode(&with_sig(&vec![0x80; len])).unwrap_err();
            assert!(e.contains("bytes, not 96"), "{len}: {e}");
        }
        let e = TransitionSigMsg::decode(&with_sig(&[0u8; 192])).unwrap_err();
        assert!(e.starts_with("oversized"), "{e}");
        // The point at infinity (compressed: 0xc0 then zeros).
        let mut inf = [0u8; 96];
        inf[0] = 0xc0;
        assert!(TransitionSigMsg::decode(&with_sig(&inf)).is_err());
        // Without the compression flag (an uncompressed prefix), or with the sign bit flipped
        // into another valid point: refused or a different signature, never the same one.
        let mut raw = m.signature.compress().0;
        raw[0] &= 0x7f;
        assert!(TransitionSigMsg::decode(&with_sig(&raw)).is_err());
        let mut neg = m.signature.compress().0;
        neg[0] ^= 0x20;
        let other = TransitionSigMsg::decode(&with_sig(&neg)).unwrap();
        assert_ne!(other.signature, m.signature);
        // x = p (not a field element).
        let mut x_p = [0u8; 96];
        x_p[48..].copy_from_slice(&alloy_primitives::hex!(
            "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab"
        ));
        x_p[0] |= 0x80;
        assert!(TransitionSigMsg::decode(&with_sig(&x_p)).is_err());
        // Points of the curve outside G2: try x = c1·u + small c0 until one decompresses; its
        // subgroup check fails.
        let mut outside = 0;
        for c0 in 1u8..=64 {
            let mut x = [0u8; 96];
            x[0] = 0x80;
            x[47] = 1;
            x[95] = c0;
            match TransitionSigMsg::decode(&with_sig(&x)) {
                Err(e) if e.contains("subgroup") => outside += 1,
                Err(_) => {}
                Ok(_) => panic!("a point in G2 at x = u + {c0}"),
            }
        }
        assert!(outside > 0, "no curve point found among 64 candidates");
    }

    /// Regression (issue 11): trailing bytes and dirty padding were accepted, so one signed
    /// message travelled in many byte forms.
    #[test]
    fn non_canonical_encodings_are_rejected() {
        let d = eip712::domain(31337, Address::with_last_byte(9));
        let k = key(7);
        let bh = B256::repeat_byte(3);
        let header = Header {
            number: 1,
            slot: 5,
            proposer: k.address(),
            height: 3,
            ..Header::default()
        };
        let p = ProposalMsg {
            sig: k.sign_digest(proposal_digest(&d, 5, header.hash())),
            header,
        }
        .encode();
        let a = AttestationMsg {
            slot: 5,
            block_hash: bh,
            sig: k.sign_attestation(&d, 5, bh),
            signer: k.address(),
        }
        .encode();
        let j = JobResultMsg {
            block_hash: bh,
            job: 4,
            output: B256::repeat_byte(4),
            prover: k.address(),
            sig: k.sign_job_result(&d, bh, 4, B256::repeat_byte(4)),
        }
        .encode();
        assert!(ProposalMsg::decode(&p, &d).is_ok());
        assert!(AttestationMsg::decode(&a, &d).is_ok());
        assert!(JobResultMsg::decode(&j, &d).is_ok());
        let dirty = |v: &Bytes, at: usize| {
            let mut v = v.to_vec();
            v[at] ^= 1;
            v
        };
        let trailing = |v: &Bytes| [v.as_ref(), &[0u8]].concat();
        // Proposal: number (uint64, word 0), slot (word 2), proposer (address, word 3), height
        // (uint8, word 5), trailing byte, trailing word.
        for bad in [
            dirty(&p, 0),
            dirty(&p, 64 + 3),
            dirty(&p, 96),
            dirty(&p, 160 + 30),
            trailing(&p),
            [p.as_ref(), &[0u8; 32]].concat(),
        ] {
            assert!(ProposalMsg::decode(&bad, &d).is_err());
        }
        // Attestation: slot (uint64, word 0), trailing bytes.
        for bad in [dirty(&a, 0), dirty(&a, 23), trailing(&a)] {
            assert!(AttestationMsg::decode(&bad, &d).is_err());
        }
        // Job result: job (uint32, word 1), prover (address, word 3), trailing bytes.
        for bad in [
            dirty(&j, 32),
            dirty(&j, 32 + 27),
            dirty(&j, 96 + 11),
            trailing(&j),
        ] {
            assert!(JobResultMsg::decode(&bad, &d).is_err());
        }
    }

    #[test]
    fn job_results_codec_and_limits() {
        let d = eip712::domain(31337, Address::with_last_byte(9));
        let k = key(7);
        let bh = B256::repeat_byte(3);
        let res = |job: u32| JobResultMsg {
            block_hash: bh,
            job,
            output: B256::repeat_byte(job as u8),
            prover: k.address(),
            sig: k.sign_job_result(&d, bh, job, B256::repeat_byte(job as u8)),
        };
        let req = ResultsRequest {
            block_hash: bh,
            jobs: vec![1, 2],
        };
        assert!(req.check().is_ok());
        // JSON codec round trip of the request.
        let json = serde_json::to_vec(&req).unwrap();
        assert_eq!(
            serde_json::from_slice::<ResultsRequest>(&json).unwrap(),
            req
        );
        let too_many = ResultsRequest {
            block_hash: bh,
            jobs: (0..=MAX_RESULT_JOBS as u32).collect(),
        };
        assert!(too_many.check().is_err());

        // Valid results come back decoded; forged, foreign and unrequested ones are dropped.
        let forged = JobResultMsg {
            output: B256::repeat_byte(0xee),
            ..res(2)
        };
        let other_block = {
            let ob = B256::repeat_byte(4);
            JobResultMsg {
                block_hash: ob,
                sig: k.sign_job_result(&d, ob, 1, B256::repeat_byte(1)),
                ..res(1)
            }
        };
        let payloads = vec![
            res(1).encode(),
            res(2).encode(),
            res(2).encode(),
            forged.encode(),
            other_block.encode(),
            res(3).encode(),
            Bytes::from(vec![0xab; 300]),
        ];
        let (ok, bad) = check_results_response(&req, &payloads, &d).unwrap();
        assert_eq!(ok, vec![res(1), res(2)]);
        assert_eq!(bad.len(), 4, "{bad:?}");
        assert!(bad.iter().any(|b| b.starts_with("oversized")));

        // More than 4 results per requested job: the whole response is dropped.
        let many: Vec<Bytes> = (0..9).map(|_| res(1).encode()).collect();
        assert!(check_results_response(&req, &many, &d).is_err());
        // More than 1 MiB: dropped.
        let big = ResultsRequest {
            block_hash: bh,
            jobs: (0..1024).collect(),
        };
        let huge: Vec<Bytes> = (0..4096).map(|_| Bytes::from(vec![0u8; 257])).collect();
        assert!(check_results_response(&big, &huge, &d)
            .unwrap_err()
            .contains("bytes"));
    }

    #[test]
    fn bodies_are_checked_against_the_root() {
        let txs: Vec<Bytes> = (0..5u8).map(|i| Bytes::from(vec![i; 10])).collect();
        let root = BlockTree::from_transactions(3, &txs).unwrap().root();
        assert!(check_body(&txs, 3, 8, root).is_ok());
        assert!(check_body(&txs[..4], 3, 8, root).is_err());
        assert!(check_body(&txs, 2, 8, root).is_err());
        let big = vec![Bytes::from(vec![0u8; MAX_TX_BYTES + 1])];
        assert!(check_body(&big, 3, 8, root).is_err());
    }

    /// Regression (issue 11): `1 << height` overflowed for heights >= 64, and at height 24 a
    /// 1-byte body built a 2^24-leaf tree (minutes, 700 MB) before the root was compared.
    #[test]
    fn body_height_is_bounded_before_allocating() {
        let one = vec![Bytes::from(vec![1u8])];
        for h in [64u8, 65, 200, 255] {
            assert!(check_body(&one, h, 255, B256::ZERO)
                .unwrap_err()
                .contains("maxHeight"));
        }
        // Above the deployment's maxHeight: dropped without building anything.
        assert!(check_body(&one, 9, 8, B256::ZERO)
            .unwrap_err()
            .contains("maxHeight"));
        // At height 24 (the largest supported) a wrong root costs 24 hashes, not 2^24.
        let t = Instant::now();
        assert!(check_body(&one, 24, 24, B256::ZERO)
            .unwrap_err()
            .contains("txRoot"));
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
        // A matching body still yields its tree.
        let root = BlockTree::from_transactions(5, &one).unwrap().root();
        assert_eq!(check_body(&one, 5, 8, root).unwrap().root(), root);
    }

    /// Regression (issue 11): a proposal with `slot = u64::MAX` passed the network check and
    /// then overflowed `h.slot + 1` in the agent; the window check is overflow-free.
    #[test]
    fn absurd_slots_are_outside_the_window() {
        assert!(check_slot_window(u64::MAX, 100).is_err());
        assert!(check_slot_window(u64::MAX, 0).is_err());
        assert!(check_slot_window(0, u64::MAX).is_err());
        assert!(check_slot_window(u64::MAX, u64::MAX).is_ok());
        assert!(check_slot_window(u64::MAX - 1, u64::MAX).is_ok());
        assert!(check_slot_window(0, 0).is_ok());
        assert!(check_slot_window(0, 1).is_ok());
        assert!(check_slot_window(0, 2).is_err());
        assert!(check_slot_window(101, 100).is_ok());
        assert!(check_slot_window(102, 100).is_err());
        // The §15.2 pipeline for the reported message: it decodes (its signature is valid),
        // and is then dropped by the window, before anything that could panic or call L1.
        let d = eip712::domain(31337, Address::with_last_byte(9));
        let k = key(0x42);
        let header = Header {
            slot: u64::MAX,
            proposer: k.address(),
            height: 3,
            ..Header::default()
        };
        let p = ProposalMsg {
            sig: k.sign_digest(proposal_digest(&d, u64::MAX, header.hash())),
            header,
        };
        let got = ProposalMsg::decode(&p.encode(), &d).unwrap();
        assert!(check_slot_window(got.header.slot, 1_000).is_err());
    }
}

/// Property tests of every decoder of untrusted input (issue 11): arbitrary bytes never panic,
/// encodings round-trip, and every non-canonical variant of a valid payload is rejected.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;
    use spn_protocol::StakingKey;

    fn domain() -> Eip712Domain {
        eip712::domain(31337, Address::with_last_byte(9))
    }

    fn b256() -> impl Strategy<Value = B256> {
        any::<[u8; 32]>().prop_map(B256::from)
    }

    fn staking_key() -> impl Strategy<Value = StakingKey> {
        any::<[u8; 32]>().prop_filter_map("not a valid secret", |b| {
            StakingKey::from_bytes(&B256::from(b)).ok()
        })
    }

    fn header(proposer: Address) -> impl Strategy<Value = Header> {
        (any::<u64>(), b256(), any::<u64>(), b256(), any::<u8>()).prop_map(
            move |(number, parent_hash, slot, tx_root, height)| Header {
                number,
                parentHash: parent_hash,
                slot,
                proposer,
                txRoot: tx_root,
                height,
            },
        )
    }

    fn proposal() -> impl Strategy<Value = ProposalMsg> {
        staking_key().prop_flat_map(|k| {
            header(k.address()).prop_map(move |header| ProposalMsg {
                sig: k.sign_digest(proposal_digest(&domain(), header.slot, header.hash())),
                header,
            })
        })
    }

    fn attestation() -> impl Strategy<Value = AttestationMsg> {
        (staking_key(), any::<u64>(), b256()).prop_map(|(k, slot, block_hash)| AttestationMsg {
            slot,
            block_hash,
            sig: k.sign_attestation(&domain(), slot, block_hash),
            signer: k.address(),
        })
    }

    fn job_result() -> impl Strategy<Value = JobResultMsg> {
        (staking_key(), b256(), any::<u32>(), b256()).prop_map(|(k, block_hash, job, output)| {
            JobResultMsg {
                block_hash,
                job,
                output,
                prover: k.address(),
                sig: k.sign_job_result(&domain(), block_hash, job, output),
            }
        })
    }

    fn transition_sig() -> impl Strategy<Value = TransitionSigMsg> {
        (
            any::<[u8; 32]>().prop_filter_map("not a BLS scalar", |b| {
                spn_protocol::BlsSecretKey::from_bytes(&B256::from(b)).ok()
            }),
            b256(),
            any::<[u8; 20]>(),
            b256(),
        )
            .prop_map(|(k, block_hash, signer, digest)| TransitionSigMsg {
                block_hash,
                signer: Address::from(signer),
                signature: k.sign_transition(digest),
            })
    }

    fn job_started() -> impl Strategy<Value = StartedMsg> {
        (staking_key(), b256(), any::<u32>())
            .prop_map(|(k, block_hash, job)| StartedMsg::sign(&k, &domain(), block_hash, job))
    }

    /// Byte offsets that are padding in each canonical encoding (high bytes of uint words,
    /// the 12 high bytes of address words).
    fn padding(topic: Topic) -> Vec<usize> {
        let uint = |word: usize, bits: usize| word * 32..word * 32 + 32 - bits / 8;
        match topic {
            // number, slot, proposer, height.
            Topic::Proposal => [uint(0, 64), uint(2, 64), uint(3, 160), uint(5, 8)]
                .into_iter()
                .flatten()
                .collect(),
            // slot.
            Topic::Attestation => uint(0, 64).collect(),
            // job, prover.
            Topic::JobResult => [uint(1, 32), uint(3, 160)].into_iter().flatten().collect(),
            // job, prover.
            Topic::JobStarted => [uint(1, 32), uint(2, 160)].into_iter().flatten().collect(),
            // signer; the high bytes of the bytes' offset and length words.
            Topic::TransitionSignature => [uint(1, 160), uint(2, 8), uint(3, 8)]
                .into_iter()
                .flatten()
                .collect(),
        }
    }

    /// Non-canonical variants of `payload`: one dirty padding byte, or trailing bytes.
    /// `payload` decodes to `msg`, and both of its non-canonical variants are rejected: one
    /// padding byte (chosen by `pick`) made non-zero, and `extra` trailing bytes.
    fn assert_strict<M: PartialEq + std::fmt::Debug>(
        topic: Topic,
        msg: &M,
        payload: &Bytes,
        decode: impl Fn(&[u8]) -> Result<M, Reject>,
        pick: usize,
        byte: u8,
        extra: &[u8],
    ) -> Result<(), TestCaseError> {
        let decoded = decode(payload);
        prop_assert_eq!(decoded.as_ref().ok(), Some(msg));
        let pad = padding(topic);
        let mut dirty = payload.to_vec();
        dirty[pad[pick % pad.len()]] |= byte.max(1);
        prop_assert!(decode(&dirty).is_err(), "dirty padding accepted");
        prop_assert!(
            decode(&[payload.as_ref(), extra].concat()).is_err(),
            "trailing bytes accepted"
        );
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1100)) {
            let d = domain();
            let _ = ProposalMsg::decode(&bytes, &d);
            let _ = AttestationMsg::decode(&bytes, &d);
            let _ = JobResultMsg::decode(&bytes, &d);
            let _ = StartedMsg::decode(&bytes, &d);
            let _ = TransitionSigMsg::decode(&bytes);
            let _ = decode_requested_result(&bytes, B256::ZERO, &d);
            let req = ResultsRequest { block_hash: B256::ZERO, jobs: vec![0, 1] };
            let _ = check_results_response(&req, &[Bytes::from(bytes.clone())], &d);
            let _ = serde_json::from_slice::<ResultsRequest>(&bytes).map(|r| r.check());
        }

        #[test]
        fn arbitrary_words_never_panic(
            words in proptest::collection::vec(
                prop_oneof![Just([0u8; 32]), Just([0xffu8; 32]), any::<[u8; 32]>()], 0..12),
        ) {
            // Structured garbage reaches deeper into the decoder than random bytes.
            let bytes: Vec<u8> = words.concat();
            let d = domain();
            let _ = ProposalMsg::decode(&bytes, &d);
            let _ = AttestationMsg::decode(&bytes, &d);
            let _ = JobResultMsg::decode(&bytes, &d);
            let _ = StartedMsg::decode(&bytes, &d);
            let _ = TransitionSigMsg::decode(&bytes);
        }

        #[test]
        fn proposals_round_trip_and_variants_are_rejected(
            p in proposal(), pick in any::<usize>(), byte in any::<u8>(),
            extra in proptest::collection::vec(any::<u8>(), 1..40),
        ) {
            let d = domain();
            let decode = |b: &[u8]| ProposalMsg::decode(b, &d);
            assert_strict(Topic::Proposal, &p, &p.encode(), decode, pick, byte, &extra)?;
        }

        #[test]
        fn attestations_round_trip_and_variants_are_rejected(
            a in attestation(), pick in any::<usize>(), byte in any::<u8>(),
            extra in proptest::collection::vec(any::<u8>(), 1..40),
        ) {
            let d = domain();
            let decode = |b: &[u8]| AttestationMsg::decode(b, &d);
            assert_strict(Topic::Attestation, &a, &a.encode(), decode, pick, byte, &extra)?;
        }

        #[test]
        fn job_results_round_trip_and_variants_are_rejected(
            j in job_result(), pick in any::<usize>(), byte in any::<u8>(),
            extra in proptest::collection::vec(any::<u8>(), 1..40),
        ) {
            let d = domain();
            let enc = j.encode();
            prop_assert_eq!(decode_requested_result(&enc, j.block_hash, &d).unwrap(), j);
            let decode = |b: &[u8]| JobResultMsg::decode(b, &d);
            assert_strict(Topic::JobResult, &j, &enc, decode, pick, byte, &extra)?;
        }

        #[test]
        fn job_started_round_trips_and_variants_are_rejected(
            m in job_started(), pick in any::<usize>(), byte in any::<u8>(),
            extra in proptest::collection::vec(any::<u8>(), 1..40),
        ) {
            let d = domain();
            let decode = |b: &[u8]| StartedMsg::decode(b, &d);
            assert_strict(Topic::JobStarted, &m, &m.encode(), decode, pick, byte, &extra)?;
            // Another signer's signature is refused.
            let forged = StartedMsg { prover: Address::with_last_byte(1), ..m };
            prop_assert!(StartedMsg::decode(&forged.encode(), &d).is_err());
        }

        #[test]
        fn transition_signatures_round_trip_and_variants_are_rejected(
            m in transition_sig(), pick in any::<usize>(), byte in any::<u8>(),
            extra in proptest::collection::vec(any::<u8>(), 1..32),
        ) {
            let enc = m.encode();
            prop_assert_eq!(enc.len(), 224);
            assert_strict(Topic::TransitionSignature, &m, &enc, TransitionSigMsg::decode, pick, byte, &extra)?;
        }

        /// Any change to the 96 signature bytes is refused at stage 1 or decodes to another
        /// point: one signature has one byte form.
        #[test]
        fn transition_signature_bytes_have_one_form(
            m in transition_sig(), at in 0usize..96, flip in 1u8..=255,
        ) {
            let mut enc = m.encode().to_vec();
            enc[128 + at] ^= flip;
            if let Ok(other) = TransitionSigMsg::decode(&enc) {
                prop_assert_ne!(other.signature, m.signature);
                prop_assert_eq!(other.encode().to_vec(), enc);
            }
        }

        /// Structured garbage in the signature field (compressed-looking prefixes, zeros,
        /// ones) never panics the point checks.
        #[test]
        fn transition_signature_garbage_never_panics(
            head in prop_oneof![Just(0x80u8), Just(0xa0), Just(0xc0), Just(0xe0), any::<u8>()],
            body in proptest::collection::vec(any::<u8>(), 95),
            len in prop_oneof![Just(96usize), 0usize..160],
        ) {
            let mut sig = vec![head];
            sig.extend(body);
            sig.resize(len, 0);
            let enc = (B256::ZERO, Address::ZERO, Bytes::from(sig)).abi_encode_params();
            let _ = TransitionSigMsg::decode(&enc);
        }

        #[test]
        fn bodies_never_panic_and_cost_at_most_their_size(
            txs in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..40),
            height in any::<u8>(), max_height in any::<u8>(), root in b256(),
        ) {
            let txs: Vec<Bytes> = txs.into_iter().map(Bytes::from).collect();
            // A random root never matches, so no full tree is built, whatever the height.
            let t = std::time::Instant::now();
            prop_assert!(check_body(&txs, height, max_height, root).is_err());
            prop_assert!(t.elapsed() < std::time::Duration::from_secs(1));
            // With the true root, a body is accepted iff it fits the bounded height.
            if height <= max_height.min(10) && txs.len() <= 1 << height {
                let good = BlockTree::from_transactions(u32::from(height), &txs).unwrap().root();
                prop_assert_eq!(check_body(&txs, height, max_height, good).unwrap().root(), good);
            }
        }

        /// The agent's first check on a well-signed proposal or attestation of any slot (the
        /// handlers' entry, before any chain state) never panics and drops far slots.
        #[test]
        fn signed_messages_of_any_slot_meet_the_window_safely(
            p in proposal(), a in attestation(), current in any::<u64>(),
        ) {
            let d = domain();
            let p = ProposalMsg::decode(&p.encode(), &d).unwrap();
            let a = AttestationMsg::decode(&a.encode(), &d).unwrap();
            for slot in [p.header.slot, a.slot] {
                let ok = check_slot_window(slot, current).is_ok();
                prop_assert_eq!(ok, slot.abs_diff(current) <= SLOT_WINDOW);
            }
        }
    }
}
