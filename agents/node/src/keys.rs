//! Staking keys: parsing from flags, environment or files, and the devnet's deterministic keys.

use std::path::Path;

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_sol_types::SolValue;
use spn_protocol::StakingKey;

use crate::error::{Error, Result};

/// secp256k1 group order n.
const ORDER: U256 = U256::from_be_bytes([
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
]);

/// Parses a private key given as 64 hex digits (with or without `0x`), or as the path of a file
/// holding them. `what` names the flag and variable in the error (e.g. `--key / SPN_KEY`).
pub fn parse_key(input: &str, what: &str) -> Result<StakingKey> {
    let malformed = |reason: String| Error::MalformedKey {
        what: format!("key ({what})"),
        reason,
    };
    let trimmed = input.trim();
    let text = if !looks_like_hex(trimmed) && Path::new(trimmed).is_file() {
        std::fs::read_to_string(trimmed)
            .map_err(|e| malformed(format!("cannot read {trimmed}: {e}")))?
            .trim()
            .to_string()
    } else {
        trimmed.to_string()
    };
    let hex = text.strip_prefix("0x").unwrap_or(&text);
    if hex.is_empty() {
        return Err(malformed("empty".into()));
    }
    if let Some(c) = hex.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(malformed(format!(
            "expected 64 hex digits, found the character {c:?}"
        )));
    }
    if hex.len() != 64 {
        return Err(malformed(format!(
            "expected 32 bytes (64 hex digits), got {} hex digits",
            hex.len()
        )));
    }
    let bytes = alloy_primitives::hex::decode(hex).map_err(|e| malformed(e.to_string()))?;
    StakingKey::from_slice(&bytes).map_err(|_| {
        malformed("not a valid secp256k1 secret (zero or not below the curve order)".into())
    })
}

fn looks_like_hex(s: &str) -> bool {
    let h = s.strip_prefix("0x").unwrap_or(s);
    !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit())
}

/// Devnet staker `i`: `keccak256(abi.encode("spn.staker", i)) mod n`, the keys of the Solidity
/// test fixture (`SPNTest._register`).
pub fn devnet_staker_key(i: u64) -> StakingKey {
    let digest = keccak256(("spn.staker".to_string(), U256::from(i)).abi_encode_params());
    let secret = U256::from_be_bytes(digest.0) % ORDER;
    StakingKey::from_bytes(&B256::from(secret.to_be_bytes::<32>())).expect("non-zero below order")
}

/// The withdrawer of a devnet staker: `address(uint160(uint256(keccak256(abi.encode("spn.withdrawer", key)))))`.
pub fn devnet_withdrawer(key: Address) -> Address {
    let digest = keccak256(("spn.withdrawer".to_string(), key).abi_encode_params());
    Address::from_slice(&digest[12..])
}

/// Devnet submitter key (a plain funded account, not a staker).
pub fn devnet_submitter_key() -> StakingKey {
    let digest = keccak256(b"spn.devnet.submitter");
    StakingKey::from_bytes(&digest).expect("valid")
}

/// anvil's first default account (funded with 10,000 ETH), used to deploy on the devnet.
pub const ANVIL_DEPLOYER_KEY: &str =
    "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hex_with_and_without_prefix() {
        let a = parse_key(ANVIL_DEPLOYER_KEY, "--key").unwrap();
        let b = parse_key(&format!("0x{ANVIL_DEPLOYER_KEY}"), "--key").unwrap();
        assert_eq!(a.address(), b.address());
        assert_eq!(
            a.address(),
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
                .parse::<Address>()
                .unwrap()
        );
    }

    #[test]
    fn rejects_malformed_keys() {
        for bad in ["", "0x1234", "zz", &"0".repeat(64), &"f".repeat(64)] {
            let e = parse_key(bad, "--key / SPN_KEY").unwrap_err().to_string();
            assert!(e.starts_with("malformed key (--key / SPN_KEY)"), "{e}");
            assert!(!e.contains('\n'));
        }
    }

    #[test]
    fn devnet_keys_are_distinct() {
        let a = devnet_staker_key(0).address();
        let b = devnet_staker_key(1).address();
        assert_ne!(a, b);
        assert_ne!(devnet_withdrawer(a), a);
    }
}
