//! Helpers shared by the differential test binaries (each uses a part of them).
#![allow(dead_code)]

use std::path::PathBuf;

use alloy_primitives::{keccak256, Address, U256};
use alloy_sol_types::SolValue;
use rand::Rng;
use spn_bindings::staking::Staking as S;
use spn_bindings::test_token::TestToken as T;
use spn_differential::{contracts, Arbitrary, Chain};
use spn_protocol::StakingKey;

/// Deploys every contract and mints the stake tokens.
pub(crate) const DEPLOYER: Address = Address::repeat_byte(0xde);

/// Where the contracts are compiled (shared by the test binaries of the crate).
pub(crate) fn work_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("spn-contracts")
}

/// A chain with the named contract deployed (no constructor arguments).
pub(crate) fn deploy(name: &str) -> (Chain, Address) {
    let code = contracts(&work_dir()).creation(name).clone();
    let mut chain = Chain::new();
    let at = chain.deploy(DEPLOYER, &code, &[]);
    (chain, at)
}

pub(crate) fn u(x: u64) -> U256 {
    U256::from(x)
}

/// The withdrawer the tests give `key`: an address derived from it, distinct from every key.
pub(crate) fn withdrawer_of(key: Address) -> Address {
    Address::from_slice(&keccak256(("spn.withdrawer", key).abi_encode())[12..])
}

/// A fresh staking key from `rng` (skipping the rare bytes that are no secp256k1 scalar).
pub(crate) fn fresh_key(rng: &mut impl Rng) -> StakingKey {
    loop {
        if let Ok(k) = StakingKey::from_bytes(&rng.b256()) {
            return k;
        }
    }
}

/// Registers `key` in `staking`: `stake` tokens minted to it by [`DEPLOYER`], approved and
/// deposited from the key itself, with [`withdrawer_of`] as its withdrawer.
pub(crate) fn deposit(
    chain: &mut Chain,
    token: Address,
    staking: Address,
    key: Address,
    stake: U256,
) {
    chain
        .call(
            DEPLOYER,
            token,
            &T::mintCall {
                to: key,
                amount: stake,
            },
        )
        .unwrap();
    chain
        .call(
            key,
            token,
            &T::approveCall {
                spender: staking,
                value: stake,
            },
        )
        .unwrap();
    chain
        .call(
            key,
            staking,
            &S::depositCall {
                withdrawer: withdrawer_of(key),
            },
        )
        .unwrap();
}
