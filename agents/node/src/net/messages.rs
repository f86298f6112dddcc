//! Wire payloads (`abi.encode` of the §15.1 tuples) and their checks that need no chain state:
//! size, decoding, signature recovery, and block bodies against their root.

use alloy_primitives::{Address, Bytes, B256};
use alloy_sol_types::{sol, Eip712Domain, SolStruct, SolValue};
use spn_protocol::{eip712, signing, tree::BlockTree, CompactSignature, Header};

use super::{Topic, MAX_BODY_BYTES, MAX_TX_BYTES};

sol! {
    /// Signed by a proposer when it announces its block (network only, §11.2).
    #[derive(Debug, Default, PartialEq, Eq)]
    struct Proposal {
        uint64 slot;
        bytes32 blockHash;
    }
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
        (self.header.clone(), self.sig.r, self.sig.vs).abi_encode().into()
    }

    /// Decodes and checks the signature recovers to the header's proposer.
    pub fn decode(payload: &[u8], domain: &Eip712Domain) -> Result<Self, Reject> {
        check_size(Topic::Proposal, payload)?;
        let (header, r, vs) = <(Header, B256, B256)>::abi_decode(payload)
            .map_err(|e| format!("undecodable: {e}"))?;
        let sig = CompactSignature { r, vs };
        let digest = proposal_digest(domain, header.slot, header.hash());
        match signing::recover(digest, &sig) {
            Ok(a) if a == header.proposer => Ok(Self { header, sig }),
            Ok(a) => Err(format!("signature by {a}, not the proposer {}", header.proposer)),
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
        let (slot, block_hash, r, vs) = <(u64, B256, B256, B256)>::abi_decode(payload)
            .map_err(|e| format!("undecodable: {e}"))?;
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
            <(B256, u32, B256, Address, B256, B256)>::abi_decode(payload)
                .map_err(|e| format!("undecodable: {e}"))?;
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

/// Checks a block body (§15.2): at most `2^height` transactions of at most 4,096 bytes, 16 MiB in
/// all, whose zero-padded tree has root `tx_root`. Returns the tree.
pub fn check_body(txs: &[Bytes], height: u8, tx_root: B256) -> Result<BlockTree, Reject> {
    let capacity = 1usize << height;
    if txs.len() > capacity {
        return Err(format!("{} transactions > 2^{height}", txs.len()));
    }
    if let Some((i, t)) = txs.iter().enumerate().find(|(_, t)| t.len() > MAX_TX_BYTES) {
        return Err(format!("transaction {i} has {} bytes > {MAX_TX_BYTES}", t.len()));
    }
    let total: usize = txs.iter().map(|t| t.len()).sum();
    if total > MAX_BODY_BYTES {
        return Err(format!("body of {total} bytes > {MAX_BODY_BYTES}"));
    }
    let tree = BlockTree::from_transactions(u32::from(height), txs).map_err(|e| e.to_string())?;
    if tree.root() != tx_root {
        return Err(format!("root {} != txRoot {tx_root}", tree.root()));
    }
    Ok(tree)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spn_protocol::StakingKey;

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
        let p = ProposalMsg { header: header.clone(), sig };
        assert_eq!(ProposalMsg::decode(&p.encode(), &d).unwrap(), p);
        let forged = ProposalMsg {
            header: Header { proposer: key(8).address(), ..header },
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
        let wrong = JobResultMsg { output: B256::repeat_byte(5), ..j };
        assert!(JobResultMsg::decode(&wrong.encode(), &d).is_err());
        let big = vec![0u8; 300];
        assert!(JobResultMsg::decode(&big, &d).unwrap_err().starts_with("oversized"));

        let a = AttestationMsg {
            slot: 5,
            block_hash: bh,
            sig: k.sign_attestation(&d, 5, bh),
            signer: k.address(),
        };
        assert_eq!(AttestationMsg::decode(&a.encode(), &d).unwrap(), a);
    }

    #[test]
    fn bodies_are_checked_against_the_root() {
        let txs: Vec<Bytes> = (0..5u8).map(|i| Bytes::from(vec![i; 10])).collect();
        let root = BlockTree::from_transactions(3, &txs).unwrap().root();
        assert!(check_body(&txs, 3, root).is_ok());
        assert!(check_body(&txs[..4], 3, root).is_err());
        assert!(check_body(&txs, 2, root).is_err());
        let big = vec![Bytes::from(vec![0u8; MAX_TX_BYTES + 1])];
        assert!(check_body(&big, 3, root).is_err());
    }
}
