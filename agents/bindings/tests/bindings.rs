//! The generated bindings carry the ABI and bytecode of the current artifacts.

use alloy_primitives::{keccak256, Address, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent, SolInterface};
use spn_bindings::{BlsVerifier, Errors, Rollup, Staking, TestToken, TranscriptVerifier};

#[test]
fn selectors_follow_the_solidity_signatures() {
    let sel = |sig: &str| <[u8; 4]>::try_from(&keccak256(sig)[..4]).unwrap();
    assert_eq!(
        Rollup::claimCall::SELECTOR,
        sel("claim(address,(uint64,uint64,bytes32[])[])")
    );
    assert_eq!(
        Rollup::submitProofCall::SELECTOR,
        sel("submitProof((uint64,bytes32,uint64,address,bytes32,uint8),bytes)")
    );
    assert_eq!(
        Rollup::proposeCall::SELECTOR,
        sel("propose((uint64,bytes32,uint8),(bytes32,bytes32)[])")
    );
    assert_eq!(
        Rollup::blockHashOfCall::SELECTOR,
        sel("blockHashOf(uint256)")
    );
    assert_eq!(
        Staking::firstInactiveCall::SELECTOR,
        sel("firstInactive(address[],uint256)")
    );
    assert_eq!(TestToken::mintCall::SELECTOR, sel("mint(address,uint256)"));
    assert_eq!(
        BlsVerifier::verifyCall::SELECTOR,
        sel("verify((bytes32,bytes32,bytes32,bytes32,address,bytes32,uint256,uint256,uint256,uint256,uint256,uint256),bytes)")
    );
    assert_eq!(
        Staking::registerBlsKeyCall::SELECTOR,
        sel("registerBlsKey(bytes,bytes)")
    );
    assert_eq!(
        Errors::Transcript__Malformed::SELECTOR,
        sel("Transcript__Malformed(uint256,uint256)")
    );
    assert_eq!(
        Rollup::BlockProposed::SIGNATURE,
        "BlockProposed(uint256,bytes32,uint256,address,bytes32,bytes32,uint8)"
    );
}

#[test]
fn artifacts_carry_bytecode() {
    for code in [
        &Rollup::BYTECODE,
        &Staking::BYTECODE,
        &TranscriptVerifier::BYTECODE,
        &BlsVerifier::BYTECODE,
        &TestToken::BYTECODE,
    ] {
        assert!(code.len() > 100);
    }
    assert!(
        Rollup::DEPLOYED_BYTECODE.len() <= 24_576,
        "EIP-170 size limit"
    );
}

#[test]
fn errors_decode_revert_data() {
    let err = Errors::Transcript__BadJobSignature {
        prover: Address::with_last_byte(1),
        job: U256::from(7),
    };
    let data = err.abi_encode();
    match Errors::ErrorsErrors::abi_decode(&data).unwrap() {
        Errors::ErrorsErrors::Transcript__BadJobSignature(e) => assert_eq!(e, err),
        other => panic!("{other:?}"),
    }
}

#[test]
fn proven_block_starts_with_its_hash() {
    let b = spn_bindings::rollup::IRollup::ProvenBlock::default();
    let _: alloy_primitives::B256 = b.blockHash;
    let _: alloy_primitives::B256 = b.rewardsRoot;
}
