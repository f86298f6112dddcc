//! Staking keys and compact EIP-2098 signatures, accepted exactly as OZ `ECDSA.tryRecover(hash, r, vs)`.
//!
//! A compact signature is `(r, vs)` with `vs = s | (v - 27) << 255`. Signing always yields a
//! low `s` (`s <= n/2`); recovery rejects a high `s`, `r` or `s` zero or not below the curve
//! order, and an `r` that is no curve point, like `ecrecover` plus OZ's malleability check.

use core::fmt;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::Eip712Domain;
use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::eip712;
use crate::error::{Error, Result};

/// `secp256k1n / 2`: the largest `s` OZ `ECDSA` accepts.
pub const HALF_ORDER: U256 = U256::from_be_bytes([
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
]);

/// Bit 255 of `vs` holds the parity of R's y coordinate.
const PARITY_BIT: usize = 255;

/// A 64-byte compact signature `(r, vs)` (EIP-2098), as in `Contribution` and attestations.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct CompactSignature {
    /// `r`.
    pub r: B256,
    /// `s` with the y parity in its top bit.
    pub vs: B256,
}

impl CompactSignature {
    /// From `r`, a low `s` and the y parity (`v - 27`). Fails if `s > n/2`.
    pub fn from_parts(r: B256, s: U256, y_parity: bool) -> Result<Self> {
        if s > HALF_ORDER {
            return Err(Error::InvalidSignature("s is above secp256k1n/2"));
        }
        let mut vs = s;
        vs.set_bit(PARITY_BIT, y_parity);
        Ok(Self {
            r,
            vs: B256::from(vs),
        })
    }

    /// From 64 bytes `r || vs`.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != 64 {
            return Err(Error::SignatureLength(bytes.len()));
        }
        Ok(Self {
            r: B256::from_slice(&bytes[..32]),
            vs: B256::from_slice(&bytes[32..]),
        })
    }

    /// The 64 bytes `r || vs`.
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(self.r.as_slice());
        out[32..].copy_from_slice(self.vs.as_slice());
        out
    }

    /// `s = vs & ~(1 << 255)`.
    pub fn s(&self) -> U256 {
        let mut s = U256::from_be_bytes(self.vs.0);
        s.set_bit(PARITY_BIT, false);
        s
    }

    /// The y parity (`v - 27`).
    pub fn y_parity(&self) -> bool {
        self.vs[0] & 0x80 != 0
    }

    /// `v` as `ecrecover` takes it (27 or 28).
    pub fn v(&self) -> u8 {
        27 + u8::from(self.y_parity())
    }
}

/// Address of a public key: the last 20 bytes of `keccak256(x || y)`.
pub fn address_of(key: &VerifyingKey) -> Address {
    let point = key.to_sec1_point(false);
    Address::from_raw_public_key(&point.as_bytes()[1..])
}

/// Recovers the signer of `digest`, or fails where OZ `ECDSA.tryRecover(digest, r, vs)` would.
pub fn recover(digest: B256, signature: &CompactSignature) -> Result<Address> {
    let s = signature.s();
    if s > HALF_ORDER {
        return Err(Error::InvalidSignature("s is above secp256k1n/2"));
    }
    let sig = Signature::from_scalars(signature.r.0, s.to_be_bytes::<32>())
        .map_err(|_| Error::InvalidSignature("r or s is zero or not below the curve order"))?;
    let recovery_id = RecoveryId::new(signature.y_parity(), false);
    let key = VerifyingKey::recover_from_prehash(digest.as_slice(), &sig, recovery_id)
        .map_err(|_| Error::InvalidSignature("no public key recovers from r"))?;
    Ok(address_of(&key))
}

/// A staker's signing key. `Debug` shows the address only.
#[derive(Clone)]
pub struct StakingKey {
    key: SigningKey,
    address: Address,
}

impl StakingKey {
    /// From a 32-byte secret; fails if it is zero or not below the curve order.
    pub fn from_bytes(secret: &B256) -> Result<Self> {
        Self::from_slice(secret.as_slice())
    }

    /// From a secret given as a byte slice of exactly 32 bytes.
    pub fn from_slice(secret: &[u8]) -> Result<Self> {
        if secret.len() != 32 {
            return Err(Error::InvalidSecretKey);
        }
        let key = SigningKey::from_slice(secret).map_err(|_| Error::InvalidSecretKey)?;
        let address = address_of(key.verifying_key());
        Ok(Self { key, address })
    }

    /// The staking key's address (the staker's identity on L1).
    pub fn address(&self) -> Address {
        self.address
    }

    /// The 32-byte secret, for persisting the key. Handle with care.
    pub fn secret_bytes(&self) -> B256 {
        B256::from_slice(&self.key.to_bytes())
    }

    /// Signs a 32-byte digest (RFC 6979 deterministic nonce, low `s`).
    pub fn sign_digest(&self, digest: B256) -> CompactSignature {
        let (sig, recovery_id) = self.key.sign_prehash_recoverable(digest.as_slice());
        // k256 normalises to low s and adjusts the recovery id; normalise again defensively.
        let (sig, y_parity) = match sig.normalize_s() {
            n if n == sig => (sig, recovery_id.is_y_odd()),
            n => (n, !recovery_id.is_y_odd()),
        };
        let bytes = sig.to_bytes();
        let mut vs = B256::from_slice(&bytes[32..]);
        if y_parity {
            vs[0] |= 0x80;
        }
        CompactSignature {
            r: B256::from_slice(&bytes[..32]),
            vs,
        }
    }

    /// Signs an `Attestation(slot, blockHash)`.
    pub fn sign_attestation(
        &self,
        domain: &Eip712Domain,
        slot: u64,
        block_hash: B256,
    ) -> CompactSignature {
        self.sign_digest(eip712::attestation_digest(domain, slot, block_hash))
    }

    /// Signs a `JobResult(blockHash, job, output)`.
    pub fn sign_job_result(
        &self,
        domain: &Eip712Domain,
        block_hash: B256,
        job: u32,
        output: B256,
    ) -> CompactSignature {
        self.sign_digest(eip712::job_result_digest(domain, block_hash, job, output))
    }
}

impl fmt::Debug for StakingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StakingKey")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl PartialEq for StakingKey {
    fn eq(&self, other: &Self) -> bool {
        self.address == other.address
    }
}

impl Eq for StakingKey {}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256, keccak256};

    /// Anvil's first account, a widely published key/address pair.
    const ANVIL0: B256 = b256!("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");

    #[test]
    fn half_order_is_n_over_two() {
        let n = U256::from_be_bytes(
            b256!("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141").0,
        );
        assert_eq!(HALF_ORDER, n >> 1);
    }

    #[test]
    fn known_addresses() {
        let k = StakingKey::from_bytes(&ANVIL0).unwrap();
        assert_eq!(
            k.address(),
            address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
        );
        let one = StakingKey::from_bytes(&B256::with_last_byte(1)).unwrap();
        assert_eq!(
            one.address(),
            address!("7E5F4552091A69125d5DfCb7b8C2659029395Bdf")
        );
        assert_eq!(k.secret_bytes(), ANVIL0);
        assert!(!format!("{k:?}").contains("ac0974"));
    }

    #[test]
    fn invalid_secrets_are_errors() {
        assert_eq!(
            StakingKey::from_bytes(&B256::ZERO),
            Err(Error::InvalidSecretKey)
        );
        assert_eq!(
            StakingKey::from_bytes(&B256::repeat_byte(0xff)),
            Err(Error::InvalidSecretKey)
        );
        assert_eq!(
            StakingKey::from_slice(&[1u8; 31]),
            Err(Error::InvalidSecretKey)
        );
    }

    #[test]
    fn sign_and_recover_round_trip_with_low_s() {
        let k = StakingKey::from_bytes(&ANVIL0).unwrap();
        let mut parities = [0usize; 2];
        for i in 0..64u8 {
            let digest = keccak256([i]);
            let sig = k.sign_digest(digest);
            assert!(sig.s() <= HALF_ORDER);
            assert!(!sig.s().is_zero());
            parities[usize::from(sig.y_parity())] += 1;
            assert_eq!(recover(digest, &sig).unwrap(), k.address());
            // Deterministic.
            assert_eq!(k.sign_digest(digest), sig);
            // Another digest recovers someone else.
            assert_ne!(recover(keccak256([i, i]), &sig).ok(), Some(k.address()));
            // Flipped parity recovers someone else (or nobody).
            let mut flipped = sig;
            flipped.vs[0] ^= 0x80;
            assert_ne!(recover(digest, &flipped).ok(), Some(k.address()));
            // Byte round trip.
            assert_eq!(CompactSignature::from_slice(&sig.to_bytes()).unwrap(), sig);
            assert_eq!(
                CompactSignature::from_parts(sig.r, sig.s(), sig.y_parity()).unwrap(),
                sig
            );
        }
        assert!(parities[0] > 0 && parities[1] > 0, "both parities occur");
    }

    #[test]
    fn malformed_signatures_are_errors() {
        let k = StakingKey::from_bytes(&ANVIL0).unwrap();
        let digest = keccak256("m");
        let sig = k.sign_digest(digest);
        // High s is rejected like OZ does (checked before any curve arithmetic). The
        // malleable twin n - s is high whenever it fits below bit 255.
        let n = U256::from_be_bytes(
            b256!("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141").0,
        );
        let high = n - sig.s();
        assert!(high > HALF_ORDER);
        let just_high = CompactSignature {
            r: sig.r,
            vs: B256::from(HALF_ORDER + U256::from(1)),
        };
        assert_eq!(
            recover(digest, &just_high),
            Err(Error::InvalidSignature("s is above secp256k1n/2"))
        );
        assert!(CompactSignature::from_parts(sig.r, high, false).is_err());
        // Zero r or s.
        assert!(recover(
            digest,
            &CompactSignature {
                r: B256::ZERO,
                vs: sig.vs
            }
        )
        .is_err());
        assert!(recover(
            digest,
            &CompactSignature {
                r: sig.r,
                vs: B256::ZERO
            }
        )
        .is_err());
        // r not below the order.
        assert!(recover(
            digest,
            &CompactSignature {
                r: B256::repeat_byte(0xff),
                vs: sig.vs
            }
        )
        .is_err());
        assert_eq!(
            CompactSignature::from_slice(&[0u8; 65]),
            Err(Error::SignatureLength(65))
        );
    }

    #[test]
    fn eip712_helpers_sign_the_right_digest() {
        let k = StakingKey::from_bytes(&ANVIL0).unwrap();
        let d = eip712::domain(31337, Address::with_last_byte(9));
        let bh = B256::repeat_byte(4);
        let a = k.sign_attestation(&d, 12, bh);
        assert_eq!(
            recover(eip712::attestation_digest(&d, 12, bh), &a).unwrap(),
            k.address()
        );
        let j = k.sign_job_result(&d, bh, 3, B256::repeat_byte(5));
        assert_eq!(
            recover(
                eip712::job_result_digest(&d, bh, 3, B256::repeat_byte(5)),
                &j
            )
            .unwrap(),
            k.address()
        );
    }

    /// Signatures produced by `cast wallet sign --data` (foundry 1.7.1) over the same typed data
    /// with the same key: RFC 6979 makes them reproducible bit for bit.
    #[test]
    fn matches_cast_typed_data_signatures() {
        let k = StakingKey::from_bytes(&ANVIL0).unwrap();
        let d = eip712::domain(31337, address!("5FbDB2315678afecb367f032d93F642f64180aa3"));
        let bh = B256::repeat_byte(0xab);
        let j = k.sign_job_result(&d, bh, 682, B256::repeat_byte(0xcd));
        let cast_j = alloy_primitives::hex!(
            "edca2e177b506abe5b848c4437815e639950dbd97c418fe95ec2d4bb612a563a"
            "565b0d3b08058bd3758bb410f02f3839baf1caffafcd8b56ea0d2c4c68003b4c"
        );
        assert_eq!(j.to_bytes(), cast_j); // v = 27: vs = s
        assert_eq!(j.v(), 27);
        let a = k.sign_attestation(&d, 77, bh);
        let cast_a = alloy_primitives::hex!(
            "7f9b67139103caae79aa1215e62b23254a640296aab62d771f0d68b90f020c9f"
            "7f16f516e5b6300a824ab38751a6748d82ae0a611f6ce90212b098ea6b6546fd"
        );
        assert_eq!(a.to_bytes(), cast_a);
    }
}
