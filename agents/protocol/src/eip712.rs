//! Block header hashing and the EIP-712 messages stakers sign (MessagesLib).
//!
//! Domain: name `"SPN"`, version `"1"`, `chainId`, `verifyingContract` = the Rollup.
//! `StateTransition` is signed with BLS keys (the training wheel, [`crate::bls`]); the others
//! with staking keys.
//! Typehashes are derived by `sol!` from the struct definitions below, not written by hand.

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_sol_types::{sol, Eip712Domain, SolStruct, SolValue};

sol! {
    /// Signed by attestation committee members: the block of `slot` is available to them.
    #[derive(Debug, Default, PartialEq, Eq)]
    struct Attestation {
        uint64 slot;
        bytes32 blockHash;
    }

    /// Signed by a prover's staking key: `output` is the result of global job `job` of the block.
    #[derive(Debug, Default, PartialEq, Eq)]
    struct JobResult {
        bytes32 blockHash;
        uint32 job;
        bytes32 output;
    }

    /// Signed with BLS keys by round-1 provers while the training wheel is on: the block's tree
    /// (`outputsRoot`, the root job's output, which equals its txRoot) takes the state from
    /// `preStateRoot` to `postStateRoot` ([`crate::bls::state_root_next`]).
    #[derive(Debug, Default, PartialEq, Eq)]
    struct StateTransition {
        bytes32 blockHash;
        bytes32 outputsRoot;
        bytes32 preStateRoot;
        bytes32 postStateRoot;
    }

    /// An L2 block header as the Rollup hashes it.
    #[derive(Debug, Default, PartialEq, Eq)]
    struct Header {
        uint64 number;
        bytes32 parentHash;
        uint64 slot;
        address proposer;
        bytes32 txRoot;
        uint8 height;
    }
}

/// EIP-712 domain name.
pub const DOMAIN_NAME: &str = "SPN";
/// EIP-712 domain version.
pub const DOMAIN_VERSION: &str = "1";

/// The SPN domain on `chain_id` with the Rollup at `rollup`.
pub fn domain(chain_id: u64, rollup: Address) -> Eip712Domain {
    Eip712Domain::new(
        Some(DOMAIN_NAME.into()),
        Some(DOMAIN_VERSION.into()),
        Some(U256::from(chain_id)),
        Some(rollup),
        None,
    )
}

/// Digest an attester signs: EIP-712 hash of `Attestation(uint64 slot,bytes32 blockHash)`.
pub fn attestation_digest(domain: &Eip712Domain, slot: u64, block_hash: B256) -> B256 {
    Attestation {
        slot,
        blockHash: block_hash,
    }
    .eip712_signing_hash(domain)
}

/// Digest a prover signs: EIP-712 hash of `JobResult(bytes32 blockHash,uint32 job,bytes32 output)`.
pub fn job_result_digest(domain: &Eip712Domain, block_hash: B256, job: u32, output: B256) -> B256 {
    JobResult {
        blockHash: block_hash,
        job,
        output,
    }
    .eip712_signing_hash(domain)
}

/// Digest a round-1 prover signs with its BLS key: EIP-712 hash of
/// `StateTransition(bytes32 blockHash,bytes32 outputsRoot,bytes32 preStateRoot,bytes32 postStateRoot)`.
pub fn state_transition_digest(
    domain: &Eip712Domain,
    block_hash: B256,
    outputs_root: B256,
    pre_state_root: B256,
    post_state_root: B256,
) -> B256 {
    state_transition_signing_hash(
        domain.separator(),
        block_hash,
        outputs_root,
        pre_state_root,
        post_state_root,
    )
}

/// [`state_transition_digest`] for callers holding only the domain separator (as
/// `bls::TransitionContext` and BlsVerifier's context do).
pub fn state_transition_signing_hash(
    domain_separator: B256,
    block_hash: B256,
    outputs_root: B256,
    pre_state_root: B256,
    post_state_root: B256,
) -> B256 {
    signing_hash(
        domain_separator,
        &StateTransition {
            blockHash: block_hash,
            outputsRoot: outputs_root,
            preStateRoot: pre_state_root,
            postStateRoot: post_state_root,
        },
    )
}

/// `keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(message))`, for callers that hold the
/// separator rather than the domain (as the contracts' `MessagesLib` does).
pub fn signing_hash<T: SolStruct>(domain_separator: B256, message: &T) -> B256 {
    let mut buf = [0u8; 66];
    buf[..2].copy_from_slice(&[0x19, 0x01]);
    buf[2..34].copy_from_slice(domain_separator.as_slice());
    buf[34..].copy_from_slice(message.eip712_hash_struct().as_slice());
    keccak256(buf)
}

impl Header {
    /// `keccak256(abi.encode(number, parentHash, slot, proposer, txRoot, height))`.
    pub fn hash(&self) -> B256 {
        keccak256(self.abi_encode())
    }
}

/// Hash of the genesis block 0: `keccak256("spn.genesis")`.
pub fn genesis_hash() -> B256 {
    keccak256(b"spn.genesis")
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    #[test]
    fn typehashes_are_keccak_of_type_strings() {
        assert_eq!(
            Attestation::default().eip712_type_hash(),
            keccak256("Attestation(uint64 slot,bytes32 blockHash)")
        );
        assert_eq!(
            JobResult::default().eip712_type_hash(),
            keccak256("JobResult(bytes32 blockHash,uint32 job,bytes32 output)")
        );
        let st = keccak256(
            "StateTransition(bytes32 blockHash,bytes32 outputsRoot,bytes32 preStateRoot,bytes32 postStateRoot)",
        );
        assert_eq!(StateTransition::default().eip712_type_hash(), st);
        // The value the design (docs/design/bls-training-wheel.md §1.2) gives.
        assert_eq!(
            st,
            alloy_primitives::b256!(
                "7538477a85260434e5344d14347f5783bf10262ce333a05fe9380ff1ef5b1896"
            )
        );
    }

    #[test]
    fn state_transition_digest_matches_hand_encoding() {
        let d = domain(31337, address!("5FbDB2315678afecb367f032d93F642f64180aa3"));
        let (bh, out, pre, post) = (
            B256::repeat_byte(1),
            B256::repeat_byte(2),
            B256::repeat_byte(3),
            B256::repeat_byte(4),
        );
        let mut s = keccak256(
            "StateTransition(bytes32 blockHash,bytes32 outputsRoot,bytes32 preStateRoot,bytes32 postStateRoot)",
        )
        .to_vec();
        for w in [bh, out, pre, post] {
            s.extend_from_slice(w.as_slice());
        }
        let mut msg = vec![0x19, 0x01];
        msg.extend_from_slice(d.separator().as_slice());
        msg.extend_from_slice(keccak256(&s).as_slice());
        let digest = state_transition_digest(&d, bh, out, pre, post);
        assert_eq!(digest, keccak256(&msg));
        let st = StateTransition {
            blockHash: bh,
            outputsRoot: out,
            preStateRoot: pre,
            postStateRoot: post,
        };
        assert_eq!(st.eip712_signing_hash(&d), digest);
        assert_eq!(signing_hash(d.separator(), &st), digest);
        // Every field is bound.
        assert_ne!(state_transition_digest(&d, bh, out, post, pre), digest);
        assert_ne!(state_transition_digest(&d, out, bh, pre, post), digest);
    }

    /// The digest rebuilt by hand from the EIP-712 definition.
    #[test]
    fn digests_match_hand_encoding() {
        let rollup = address!("5FbDB2315678afecb367f032d93F642f64180aa3");
        let d = domain(31337, rollup);
        let mut dom = Vec::new();
        dom.extend_from_slice(
            keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
                .as_slice(),
        );
        dom.extend_from_slice(keccak256("SPN").as_slice());
        dom.extend_from_slice(keccak256("1").as_slice());
        dom.extend_from_slice(&U256::from(31337).to_be_bytes::<32>());
        dom.extend_from_slice(B256::left_padding_from(rollup.as_slice()).as_slice());
        let separator = keccak256(&dom);
        assert_eq!(d.separator(), separator);

        let bh = B256::repeat_byte(0xab);
        let out = B256::repeat_byte(0xcd);
        let mut s = Vec::new();
        s.extend_from_slice(
            keccak256("JobResult(bytes32 blockHash,uint32 job,bytes32 output)").as_slice(),
        );
        s.extend_from_slice(bh.as_slice());
        s.extend_from_slice(&U256::from(682).to_be_bytes::<32>());
        s.extend_from_slice(out.as_slice());
        let mut msg = vec![0x19, 0x01];
        msg.extend_from_slice(separator.as_slice());
        msg.extend_from_slice(keccak256(&s).as_slice());
        assert_eq!(job_result_digest(&d, bh, 682, out), keccak256(&msg));

        let mut s = Vec::new();
        s.extend_from_slice(keccak256("Attestation(uint64 slot,bytes32 blockHash)").as_slice());
        s.extend_from_slice(&U256::from(77).to_be_bytes::<32>());
        s.extend_from_slice(bh.as_slice());
        let mut msg = vec![0x19, 0x01];
        msg.extend_from_slice(separator.as_slice());
        msg.extend_from_slice(keccak256(&s).as_slice());
        assert_eq!(attestation_digest(&d, 77, bh), keccak256(&msg));
        // The domain binds the chain and the contract.
        assert_ne!(
            attestation_digest(&domain(1, rollup), 77, bh),
            attestation_digest(&d, 77, bh)
        );
        assert_ne!(
            attestation_digest(&domain(31337, Address::ZERO), 77, bh),
            attestation_digest(&d, 77, bh)
        );
    }

    #[test]
    fn header_hash_is_abi_encode_of_six_words() {
        let h = Header {
            number: 5,
            parentHash: B256::repeat_byte(1),
            slot: 9,
            proposer: address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
            txRoot: B256::repeat_byte(2),
            height: 11,
        };
        let mut enc = Vec::new();
        enc.extend_from_slice(&U256::from(5).to_be_bytes::<32>());
        enc.extend_from_slice(h.parentHash.as_slice());
        enc.extend_from_slice(&U256::from(9).to_be_bytes::<32>());
        enc.extend_from_slice(B256::left_padding_from(h.proposer.as_slice()).as_slice());
        enc.extend_from_slice(h.txRoot.as_slice());
        enc.extend_from_slice(&U256::from(11).to_be_bytes::<32>());
        assert_eq!(h.abi_encode(), enc);
        assert_eq!(h.hash(), keccak256(&enc));
    }

    #[test]
    fn genesis() {
        assert_eq!(genesis_hash(), keccak256("spn.genesis"));
    }

    /// Values computed with `cast keccak` / `cast abi-encode` (foundry 1.7.1).
    #[test]
    fn matches_cast_vectors() {
        assert_eq!(
            genesis_hash(),
            alloy_primitives::b256!(
                "0529dd38026f8e597b60643bf2f0baa4882d457d9e5eef7eee929e3e9c2039c4"
            )
        );
        let h = Header {
            number: 5,
            parentHash: B256::repeat_byte(1),
            slot: 9,
            proposer: address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
            txRoot: B256::repeat_byte(2),
            height: 11,
        };
        assert_eq!(
            h.hash(),
            alloy_primitives::b256!(
                "0614347393ad8c1d8186d4ed3cb74e5b716d8fab55028c1b00f42abf2006d084"
            )
        );
    }
}
