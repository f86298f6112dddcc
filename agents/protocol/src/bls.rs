//! BLS signatures of the training wheel (`BlsLib`, `BlsVerifier`, `Staking.registerBlsKey`;
//! docs/design/bls-training-wheel.md): keys, proofs of possession, aggregation, the packed signed
//! transition and a pure mirror of its verifier.
//!
//! Scheme: min-pubkey-size BLS over BLS12-381 (keys in G1, signatures in G2), the proof-of-possession
//! ciphersuite `BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_` with SPN's own tags [`DST_SIG`] and
//! [`DST_POP`], backed by `blst` (`min_pk`).
//!
//! Encodings (EIP-2537 field elements without their 16 zero bytes of padding, big-endian):
//!
//! ```text
//! public key  (96 B)   x ‖ y                              = blst PublicKey::serialize()
//! signature   (192 B)  x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1          blst Signature::serialize() is
//!                                                          x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0 (ZCash order)
//! signature   (96 B)   ZCash compressed (gossip)          = blst Signature::compress()
//! PoP message (48 B)   ZCash compressed public key        = blst PublicKey::compress()
//! ```
//!
//! The signed transition handed to `Rollup.submitSignedProof` is packed, big-endian, no padding:
//!
//! ```text
//! transition := signature:192 ‖ signerCount:uint16 ‖ signer[signerCount]
//! signer     := address:20 ‖ activationEpoch:uint32 ‖ exitEpoch:uint32 ‖ publicKey:96
//! ```
//!
//! and is exactly [`HEADER_BYTES`] + [`SIGNER_BYTES`] · signerCount long.

use core::fmt;

use alloy_primitives::{keccak256, Address, FixedBytes, B256, U256};
use blst::min_pk::{AggregatePublicKey, AggregateSignature, PublicKey, SecretKey, Signature};
use blst::BLST_ERROR;
use serde::{Deserialize, Serialize};

use crate::eip712;
use crate::error::{Error, Result};
use crate::params::BPS;
use crate::rewards;
use crate::schedule::{CostWeights, Schedule};
use crate::selection::Scorer;
use crate::signing::StakingKey;

/// Domain separation tag of transition signatures (`BlsLib.DST_SIG`).
pub const DST_SIG: &[u8] = b"SPN-V1-BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";
/// Domain separation tag of proofs of possession (`BlsLib.DST_POP`).
pub const DST_POP: &[u8] = b"SPN-V1-BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";
/// Prefix of the key derivation input: `ikm = keccak256("spn.bls.v1" ‖ staking secret)`.
pub const KEY_DERIVATION_TAG: &[u8] = b"spn.bls.v1";
/// `STATE_TAG = keccak256("spn.state")`, the first word of every state root preimage.
pub const STATE_TAG: B256 = B256::new([
    0x04, 0xa7, 0x7e, 0xaf, 0x61, 0x85, 0xee, 0xf2, 0xe3, 0x77, 0x7a, 0x6d, 0xa2, 0xb7, 0x06, 0xcb,
    0xed, 0x49, 0xef, 0x65, 0x46, 0x1b, 0x05, 0x4c, 0x7f, 0x82, 0x77, 0x97, 0xfa, 0x46, 0xe6, 0xe4,
]);

/// Bytes of a base field element without EIP-2537's padding.
pub const FP_BYTES: usize = 48;
/// Bytes of a public key, `x ‖ y`.
pub const PUBLIC_KEY_BYTES: usize = 2 * FP_BYTES;
/// Bytes of a compressed public key (the PoP message).
pub const COMPRESSED_PUBLIC_KEY_BYTES: usize = FP_BYTES;
/// Bytes of a signature in EIP-2537 order, `x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1`.
pub const SIGNATURE_BYTES: usize = 4 * FP_BYTES;
/// Bytes of a compressed signature (ZCash form, as gossiped).
pub const COMPRESSED_SIGNATURE_BYTES: usize = 2 * FP_BYTES;
/// Bytes of a transition before its signers: the signature and `signerCount`.
pub const HEADER_BYTES: usize = SIGNATURE_BYTES + 2;
/// Bytes of one signer: address, activation and exit epochs, public key.
pub const SIGNER_BYTES: usize = 20 + 4 + 4 + PUBLIC_KEY_BYTES;
/// Largest number of signers the `uint16` count holds.
pub const MAX_SIGNERS: usize = u16::MAX as usize;

// ------------------------------------------------------------------------------------ keys

/// A BLS secret key. `Debug` shows the public key only; the scalar is zeroed on drop.
#[derive(Clone)]
pub struct BlsSecretKey {
    secret: SecretKey,
    public: BlsPublicKey,
}

impl BlsSecretKey {
    /// The staker's BLS key, derived from its staking key (no second key file):
    /// `KeyGen(keccak256("spn.bls.v1" ‖ secret), "")` (draft-irtf-cfrg-bls-signature-05 §2.3).
    pub fn derive(staking: &StakingKey) -> Self {
        let mut input = [0u8; KEY_DERIVATION_TAG.len() + 32];
        input[..KEY_DERIVATION_TAG.len()].copy_from_slice(KEY_DERIVATION_TAG);
        input[KEY_DERIVATION_TAG.len()..].copy_from_slice(staking.secret_bytes().as_slice());
        let ikm = keccak256(input);
        input.fill(0);
        // KeyGen only fails for key material shorter than 32 bytes.
        let secret = SecretKey::key_gen(ikm.as_slice(), &[]).expect("32 bytes of key material");
        Self::from_secret(secret)
    }

    /// From a 32-byte big-endian scalar; fails if it is zero or not below the group order.
    pub fn from_bytes(scalar: &B256) -> Result<Self> {
        SecretKey::from_bytes(scalar.as_slice())
            .map(Self::from_secret)
            .map_err(|_| Error::InvalidSecretKey)
    }

    fn from_secret(secret: SecretKey) -> Self {
        let public = BlsPublicKey {
            point: secret.sk_to_pk(),
        };
        Self { secret, public }
    }

    /// The public key `sk · G1`.
    pub fn public_key(&self) -> &BlsPublicKey {
        &self.public
    }

    /// `CoreSign(sk, msg)` under any tag: `sk · hashToG2(msg, dst)`. Protocol messages use
    /// [`Self::sign_transition`] and [`Self::pop`].
    pub fn sign(&self, msg: &[u8], dst: &[u8]) -> BlsSignature {
        BlsSignature {
            point: self.secret.sign(msg, dst, &[]),
        }
    }

    /// Signs a `StateTransition` digest ([`eip712::state_transition_digest`]) under [`DST_SIG`].
    pub fn sign_transition(&self, digest: B256) -> BlsSignature {
        self.sign(digest.as_slice(), DST_SIG)
    }

    /// The proof of possession `Staking.registerBlsKey` checks: `PopProve`, the compressed public
    /// key signed under [`DST_POP`].
    pub fn pop(&self) -> BlsSignature {
        self.sign(self.public.compress().as_slice(), DST_POP)
    }
}

impl fmt::Debug for BlsSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlsSecretKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

/// A validated BLS public key: a point of the G1 subgroup other than infinity (`KeyValidate`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BlsPublicKey {
    point: PublicKey,
}

impl BlsPublicKey {
    /// From the 96 bytes `x ‖ y` (each coordinate below p); fails unless the point is on the
    /// curve, in G1 and not infinity.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != PUBLIC_KEY_BYTES {
            return Err(Error::InvalidBlsPublicKey("length is not 96 bytes"));
        }
        let point = g1_point(bytes)
            .ok_or(Error::InvalidBlsPublicKey(
                "a coordinate is not below p or the point is not on the curve",
            ))?
            .ok_or(Error::InvalidBlsPublicKey("the point at infinity"))?;
        match point.validate() {
            Ok(()) => Ok(Self { point }),
            Err(BLST_ERROR::BLST_PK_IS_INFINITY) => {
                Err(Error::InvalidBlsPublicKey("the point at infinity"))
            }
            Err(_) => Err(Error::InvalidBlsPublicKey("not in the G1 subgroup")),
        }
    }

    /// The 96 bytes `x ‖ y`, as `registerBlsKey` and transitions carry them.
    pub fn to_bytes(&self) -> FixedBytes<PUBLIC_KEY_BYTES> {
        FixedBytes(self.point.serialize())
    }

    /// The 48-byte compressed form (ZCash: x with `0x80` set, `0x20` set iff y > (p − 1) / 2),
    /// the message of the proof of possession.
    pub fn compress(&self) -> FixedBytes<COMPRESSED_PUBLIC_KEY_BYTES> {
        FixedBytes(self.point.compress())
    }

    /// `keccak256(publicKey)`, the key hash `Staking` stores.
    pub fn hash(&self) -> B256 {
        keccak256(self.to_bytes())
    }

    /// `PopVerify`: whether `proof` proves possession of this key.
    pub fn verify_pop(&self, proof: &BlsSignature) -> bool {
        proof.point.verify(
            false,
            self.compress().as_slice(),
            DST_POP,
            &[],
            &self.point,
            false,
        ) == BLST_ERROR::BLST_SUCCESS
    }
}

impl fmt::Debug for BlsPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlsPublicKey({})", self.to_bytes())
    }
}

/// A validated BLS signature: a point of the G2 subgroup (infinity only as an aggregate).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BlsSignature {
    point: Signature,
}

impl BlsSignature {
    /// From 192 bytes in EIP-2537 order `x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1` (each component below p);
    /// fails unless the point is on the curve, in G2 and not infinity.
    pub fn from_eip2537(bytes: &[u8]) -> Result<Self> {
        let bytes: &[u8; SIGNATURE_BYTES] = bytes
            .try_into()
            .map_err(|_| Error::InvalidBlsSignature("length is not 192 bytes"))?;
        let point = g2_point(bytes).ok_or(Error::InvalidBlsSignature(
            "a coordinate is not below p or the point is not on the curve",
        ))?;
        Self::validated(point)
    }

    /// From the 96-byte ZCash compressed form; fails unless the point is in G2 and not infinity.
    pub fn from_compressed(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != COMPRESSED_SIGNATURE_BYTES {
            return Err(Error::InvalidBlsSignature("length is not 96 bytes"));
        }
        let point = Signature::uncompress(bytes)
            .map_err(|_| Error::InvalidBlsSignature("not a compressed point of the curve"))?;
        Self::validated(point)
    }

    fn validated(point: Signature) -> Result<Self> {
        match point.validate(true) {
            Ok(()) => Ok(Self { point }),
            Err(BLST_ERROR::BLST_PK_IS_INFINITY) => {
                Err(Error::InvalidBlsSignature("the point at infinity"))
            }
            Err(_) => Err(Error::InvalidBlsSignature("not in the G2 subgroup")),
        }
    }

    /// The 192 bytes in EIP-2537 order, as `BlsVerifier` reads them (infinity: all zero).
    pub fn to_eip2537(&self) -> FixedBytes<SIGNATURE_BYTES> {
        let zcash = self.point.serialize();
        if zcash[0] & INFINITY_FLAG != 0 {
            return FixedBytes::ZERO;
        }
        FixedBytes(swap_fp2_halves(&zcash))
    }

    /// The 96-byte ZCash compressed form, as gossiped.
    pub fn compress(&self) -> FixedBytes<COMPRESSED_SIGNATURE_BYTES> {
        FixedBytes(self.point.compress())
    }
}

impl fmt::Debug for BlsSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlsSignature({})", self.compress())
    }
}

/// ZCash serialization flag of the point at infinity (bit 6 of the first byte).
const INFINITY_FLAG: u8 = 0x40;
/// The three flag bits of a ZCash encoding's first byte; EIP-2537 coordinates have them clear.
const FLAG_BITS: u8 = 0xe0;

/// Swaps the two 48-byte halves of each 96-byte Fp2 coordinate: EIP-2537 order
/// `c0 ‖ c1` to blst's (ZCash) `c1 ‖ c0` and back.
fn swap_fp2_halves(bytes: &[u8; SIGNATURE_BYTES]) -> [u8; SIGNATURE_BYTES] {
    let mut out = [0u8; SIGNATURE_BYTES];
    for (o, i) in out
        .chunks_exact_mut(2 * FP_BYTES)
        .zip(bytes.chunks_exact(2 * FP_BYTES))
    {
        o[..FP_BYTES].copy_from_slice(&i[FP_BYTES..]);
        o[FP_BYTES..].copy_from_slice(&i[..FP_BYTES]);
    }
    out
}

/// A G1 point as EIP-2537 reads `x ‖ y`: `None` where a precompile fails (a coordinate not below
/// p, a point off the curve), `Some(None)` for infinity (all zero). No subgroup check.
fn g1_point(bytes: &[u8]) -> Option<Option<PublicKey>> {
    if bytes.iter().all(|&b| b == 0) {
        return Some(None);
    }
    // blst reads flags from the top three bits; EIP-2537 sees a coordinate of 2^381 or more.
    if bytes.first()? & FLAG_BITS != 0 {
        return None;
    }
    PublicKey::deserialize(bytes).ok().map(Some)
}

/// A G2 point as EIP-2537 reads `x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1`: `None` where a precompile fails (a
/// component not below p, a point off the curve) and for infinity. No subgroup check.
fn g2_point(bytes: &[u8; SIGNATURE_BYTES]) -> Option<Signature> {
    let zcash = swap_fp2_halves(bytes);
    if zcash[0] & FLAG_BITS != 0 {
        return None;
    }
    Signature::deserialize(&zcash).ok()
}

/// `hashToG2(msg, dst)` (RFC 9380 `BLS12381G2_XMD:SHA-256_SSWU_RO_`) in EIP-2537 order, as
/// `BlsLib.hashToG2` returns it without padding: the signature of the secret key 1.
pub fn hash_to_g2(msg: &[u8], dst: &[u8]) -> FixedBytes<SIGNATURE_BYTES> {
    let one = SecretKey::from_bytes(&B256::with_last_byte(1).0).expect("1 is a valid scalar");
    BlsSignature {
        point: one.sign(msg, dst, &[]),
    }
    .to_eip2537()
}

/// The sum of `signatures`; fails if there are none.
pub fn aggregate(signatures: &[BlsSignature]) -> Result<BlsSignature> {
    let points: Vec<&Signature> = signatures.iter().map(|s| &s.point).collect();
    let aggregate = AggregateSignature::aggregate(&points, false)
        .map_err(|_| Error::InvalidBlsSignature("no signatures to aggregate"))?;
    Ok(BlsSignature {
        point: aggregate.to_signature(),
    })
}

/// `FastAggregateVerify(keys, digest, signature)` under [`DST_SIG`]: whether `signature` is the
/// aggregate of every key's signature of `digest`. The keys must have proofs of possession
/// (rogue keys); no keys verify nothing.
pub fn verify_aggregate(signature: &BlsSignature, digest: B256, keys: &[BlsPublicKey]) -> bool {
    if keys.is_empty() {
        return false;
    }
    let points: Vec<&PublicKey> = keys.iter().map(|k| &k.point).collect();
    signature
        .point
        .fast_aggregate_verify(false, digest.as_slice(), DST_SIG, &points)
        == BLST_ERROR::BLST_SUCCESS
}

/// `stateRoot(n) = keccak256(abi.encode(STATE_TAG, stateRoot(n − 1), txRoot(n)))`, with
/// `stateRoot(0) = 0`.
pub fn state_root_next(pre_state_root: B256, tx_root: B256) -> B256 {
    let mut buf = [0u8; 96];
    buf[..32].copy_from_slice(STATE_TAG.as_slice());
    buf[32..64].copy_from_slice(pre_state_root.as_slice());
    buf[64..].copy_from_slice(tx_root.as_slice());
    keccak256(buf)
}

/// `Staking`'s BLS record of a key:
/// `keccak256(abi.encodePacked(keccak256(publicKey), uint32 activationEpoch, uint32 exitEpoch))`.
pub fn bls_record(key_hash: B256, activation: u32, exit: u32) -> B256 {
    let mut buf = [0u8; 40];
    buf[..32].copy_from_slice(key_hash.as_slice());
    buf[32..36].copy_from_slice(&activation.to_be_bytes());
    buf[36..].copy_from_slice(&exit.to_be_bytes());
    keccak256(buf)
}

// ------------------------------------------------------------------------------------ transition

/// One signer of a transition, as the packed encoding carries it. The key is raw bytes: the
/// verifier binds them to `Staking`'s record before it reads them as a point.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Signer {
    /// Staking key.
    pub address: Address,
    /// Its activation epoch.
    pub activation: u32,
    /// Its exit epoch (`u32::MAX` while not exiting).
    pub exit: u32,
    /// Its BLS public key `x ‖ y`.
    pub public_key: FixedBytes<PUBLIC_KEY_BYTES>,
}

impl Signer {
    /// A signer with a validated key.
    pub fn new(address: Address, activation: u32, exit: u32, key: &BlsPublicKey) -> Self {
        Self {
            address,
            activation,
            exit,
            public_key: key.to_bytes(),
        }
    }

    /// The record `Staking` must hold for this signer ([`bls_record`]).
    pub fn record(&self) -> B256 {
        bls_record(keccak256(self.public_key), self.activation, self.exit)
    }
}

/// The `transition` argument of `Rollup.submitSignedProof`: an aggregate signature and its
/// signers, strictly ascending. The signature is raw bytes in EIP-2537 order (the verifier
/// decides whether they are a point).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Transition {
    /// Aggregate signature, `x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1`.
    pub signature: FixedBytes<SIGNATURE_BYTES>,
    /// The signers whose signatures were aggregated.
    pub signers: Vec<Signer>,
}

impl Default for Transition {
    fn default() -> Self {
        Self {
            signature: FixedBytes::ZERO,
            signers: Vec::new(),
        }
    }
}

/// `N` bytes of `bytes` from `at`, zero where they run past the end (callers check lengths first).
fn read<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(b) = at.checked_add(N).and_then(|end| bytes.get(at..end)) {
        out.copy_from_slice(b);
    }
    out
}

/// The structure checks of `BlsVerifier` steps 1 and 3 around step 2's `check_count`: at least
/// [`HEADER_BYTES`], then exactly [`HEADER_BYTES`] + [`SIGNER_BYTES`] · count. Returns the count.
fn read_structure(bytes: &[u8], check_count: impl FnOnce(u16) -> Result<()>) -> Result<u16> {
    let end = bytes.len() as u64;
    if bytes.len() < HEADER_BYTES {
        return Err(TransitionError::Malformed {
            at: HEADER_BYTES as u64,
            end,
        }
        .into());
    }
    let count = u16::from_be_bytes([bytes[SIGNATURE_BYTES], bytes[SIGNATURE_BYTES + 1]]);
    check_count(count)?;
    let expected = HEADER_BYTES as u64 + SIGNER_BYTES as u64 * u64::from(count);
    if end != expected {
        return Err(TransitionError::Malformed { at: expected, end }.into());
    }
    Ok(count)
}

fn signers_of(bytes: &[u8]) -> impl Iterator<Item = Signer> + '_ {
    bytes
        .get(HEADER_BYTES..)
        .unwrap_or_default()
        .chunks_exact(SIGNER_BYTES)
        .map(|b| Signer {
            address: Address::from(read::<20>(b, 0)),
            activation: u32::from_be_bytes(read(b, 20)),
            exit: u32::from_be_bytes(read(b, 24)),
            public_key: FixedBytes(read(b, 28)),
        })
}

impl Transition {
    /// Sorts `parts` by address and aggregates their signatures. Repeated signers are kept (the
    /// verifier rejects them); fails on no parts.
    pub fn aggregate(mut parts: Vec<(Signer, BlsSignature)>) -> Result<Self> {
        parts.sort_by_key(|(s, _)| s.address);
        let signatures: Vec<BlsSignature> = parts.iter().map(|(_, s)| *s).collect();
        Ok(Self {
            signature: aggregate(&signatures)?.to_eip2537(),
            signers: parts.into_iter().map(|(s, _)| s).collect(),
        })
    }

    /// Length of the packed encoding.
    pub fn encoded_len(&self) -> usize {
        HEADER_BYTES + SIGNER_BYTES * self.signers.len()
    }

    /// The packed encoding. Fails only with more than [`MAX_SIGNERS`] signers.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let count = u16::try_from(self.signers.len()).map_err(|_| Error::EncodingOverflow {
            what: "signerCount",
            count: self.signers.len(),
            max: MAX_SIGNERS as u64,
        })?;
        let mut out = Vec::with_capacity(self.encoded_len());
        out.extend_from_slice(self.signature.as_slice());
        out.extend_from_slice(&count.to_be_bytes());
        for s in &self.signers {
            out.extend_from_slice(s.address.as_slice());
            out.extend_from_slice(&s.activation.to_be_bytes());
            out.extend_from_slice(&s.exit.to_be_bytes());
            out.extend_from_slice(s.public_key.as_slice());
        }
        Ok(out)
    }

    /// Decodes a packed transition, checking its structure only (length at least
    /// [`HEADER_BYTES`], then exactly that of `signerCount` signers), with
    /// [`TransitionError::Malformed`] where the verifier fails; the rules are [`verify_packed`]'s.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        read_structure(bytes, |_| Ok(()))?;
        Ok(Self {
            signature: FixedBytes(read(bytes, 0)),
            signers: signers_of(bytes).collect(),
        })
    }

    /// Checks the transition as `BlsVerifier` does: [`verify_packed`] over its encoding.
    pub fn verify(
        &self,
        ctx: &TransitionContext,
        records: impl FnMut(Address) -> B256,
    ) -> Result<VerifiedTransition> {
        verify_packed(&self.encode()?, ctx, records)
    }
}

/// What the Rollup hands `BlsVerifier` about the block being proven (`TransitionContext`; the
/// Staking address is the `records` lookup of [`verify_packed`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransitionContext {
    /// The Rollup's EIP-712 domain separator.
    pub domain_separator: B256,
    /// Hash of the block's header.
    pub block_hash: B256,
    /// The block's transaction root (the root job's output).
    pub tx_root: B256,
    /// `provenStateRoot`: the state root after the parent block.
    pub pre_state_root: B256,
    /// `slotSeed(slot)`.
    pub slot_seed: B256,
    /// Epoch of the slot.
    pub epoch: u64,
    /// `activeCount(epoch)` (N).
    pub active_count: u64,
    /// The block's tree height n.
    pub height: u8,
    /// `roundHeight` (m).
    pub round_height: u8,
    /// `redundancy` (R).
    pub redundancy: u64,
    /// `trainingWheelBps`.
    pub threshold_bps: u64,
}

impl TransitionContext {
    /// The state root after this block: [`state_root_next`] of the pre-state and txRoot.
    pub fn post_state_root(&self) -> B256 {
        state_root_next(self.pre_state_root, self.tx_root)
    }

    /// The digest the signers sign: `StateTransition(blockHash, txRoot, pre, post)`.
    pub fn digest(&self) -> B256 {
        eip712::state_transition_signing_hash(
            self.domain_separator,
            self.block_hash,
            self.tx_root,
            self.pre_state_root,
            self.post_state_root(),
        )
    }

    /// The round-1 committee and the signers required of it.
    pub fn quorum(&self) -> Result<Quorum> {
        Quorum::new(
            self.height,
            self.round_height,
            self.redundancy,
            self.active_count,
            self.threshold_bps,
        )
    }
}

/// Who may sign a block's transition and how many must: `BlsVerifier` step 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quorum {
    /// Round-1 committee threshold `roundThreshold(1, n, m, R, N)`: a signer's score must be
    /// below it.
    pub threshold: U256,
    /// Expected round-1 committee size `roundSize(1, n, m, R, N) = min(R · jobs(1), N / 2)`.
    pub expected: u64,
    /// Signers required (`BlsVerifier.requiredSigners`):
    /// `max(1, ceil(trainingWheelBps · expected / 10,000))`.
    pub required: u64,
}

impl Quorum {
    /// The quorum of a block of `height` under `(roundHeight, redundancy)` with `active` stakers
    /// and `threshold_bps`. Fails where the Rollup's parameter rules would not deploy: a
    /// geometry [`Schedule::from_parts`] refuses, or `threshold_bps` outside `1..=10,000`
    /// (rule 26).
    pub fn new(
        height: u8,
        round_height: u8,
        redundancy: u64,
        active: u64,
        threshold_bps: u64,
    ) -> Result<Self> {
        if threshold_bps == 0 || threshold_bps > BPS {
            return Err(Error::InvalidParam {
                param: "trainingWheelBps",
                reason: "must be in 1..=10000",
            });
        }
        let schedule =
            Schedule::from_parts(height, round_height, redundancy, 0, CostWeights::default())?;
        let expected: u64 = schedule.committee_size(1, active).saturating_to();
        // BlsVerifier.requiredSigners: the coverage rule's ceiling (RewardLib.requiredJobs).
        let required = rewards::required_jobs(expected, threshold_bps).max(1);
        Ok(Self {
            threshold: schedule.committee_threshold(1, active),
            expected,
            required,
        })
    }
}

/// What a valid transition yields (`BlsVerifier.verify`'s return values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedTransition {
    /// The state root after the block, which the Rollup stores as `provenStateRoot`.
    pub post_state_root: B256,
    /// Number of signers.
    pub signers: u64,
}

/// Why `BlsVerifier` rejects a transition: one variant per `Errors.Bls__*`, with its arguments.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// `Bls__Malformed`: shorter than [`HEADER_BYTES`] (`at` = [`HEADER_BYTES`]), or not exactly
    /// the length of its `signerCount` signers (`at` = that length). Positions count from the
    /// transition's first byte; the contract reports calldata positions, shifted by its offset.
    #[error("malformed transition: position {at}, end {end}")]
    Malformed {
        /// Position the read needed, or where trailing bytes start.
        at: u64,
        /// Length of the transition.
        end: u64,
    },
    /// `Bls__TooFewSigners`, checked before any signer is read.
    #[error("{count} signers, {required} required")]
    TooFewSigners {
        /// `signerCount`.
        count: u64,
        /// [`Quorum::required`].
        required: u64,
    },
    /// `Bls__SignersNotAscending`: a signer not above the previous one (the first above zero).
    #[error("signers not strictly ascending: {previous} then {next}")]
    SignersNotAscending {
        /// The previous signer (zero for the first).
        previous: Address,
        /// The offending signer.
        next: Address,
    },
    /// `Bls__SignerNotActive`: not `activation <= epoch < exit` by the transition's epochs.
    #[error("signer {signer} is not active in epoch {epoch}")]
    SignerNotActive {
        /// The signer.
        signer: Address,
        /// The block's epoch.
        epoch: u64,
    },
    /// `Bls__NotInCommittee`: the signer's score is not below the round-1 threshold.
    #[error(
        "signer {signer} is not in the round-1 committee (score {score}, threshold {threshold})"
    )]
    NotInCommittee {
        /// The signer.
        signer: Address,
        /// Its score in the block's slot.
        score: U256,
        /// [`Quorum::threshold`].
        threshold: U256,
    },
    /// `Bls__KeyMismatch`: `Staking`'s record of the signer is not the record of its key and
    /// epochs (no key, another key, other epochs), or its key is not a curve point.
    #[error("signer {signer}: key or epochs differ from Staking's record")]
    KeyMismatch {
        /// The first such signer.
        signer: Address,
    },
    /// `Bls__AggregateIsInfinity`: the signers' keys sum to the point at infinity.
    #[error("the aggregate public key is the point at infinity")]
    AggregateIsInfinity,
    /// `Bls__BadSignature`: the pairing check fails, or the signature is not a G2 point.
    #[error("the aggregate signature does not verify")]
    BadSignature,
}

/// Checks a packed transition exactly as `BlsVerifier.verify` does and returns what it returns;
/// the first failing check gives the contract's error ([`Error::Transition`]).
///
/// Order (design §3.4): the quorum of the context (this crate also fails on a context the
/// Rollup's parameter rules exclude, see [`Quorum::new`]); length at least [`HEADER_BYTES`];
/// `signerCount >= required`; exact length; per signer in order: strictly above the previous one,
/// active by its epochs, score below the round-1 threshold; then the first signer whose
/// [`Signer::record`] differs from `records(address)` (`Staking.firstBlsMismatch`); then the
/// keys' sum (a key that is no curve point fails with that signer's
/// [`TransitionError::KeyMismatch`]), which must not be infinity and must be in G1; then the
/// signature, which must be a G2 point and pass the pairing check.
pub fn verify_packed(
    transition: &[u8],
    ctx: &TransitionContext,
    mut records: impl FnMut(Address) -> B256,
) -> Result<VerifiedTransition> {
    let quorum = ctx.quorum()?;
    let post_state_root = ctx.post_state_root();
    let count = read_structure(transition, |count| {
        if u64::from(count) < quorum.required {
            return Err(TransitionError::TooFewSigners {
                count: count.into(),
                required: quorum.required,
            }
            .into());
        }
        Ok(())
    })?;

    // Pass 1: order, activity, committee; the records to compare.
    let signers: Vec<Signer> = signers_of(transition).collect();
    let mut scorer = Scorer::new(ctx.slot_seed);
    let mut previous = Address::ZERO;
    for s in &signers {
        if s.address <= previous {
            return Err(TransitionError::SignersNotAscending {
                previous,
                next: s.address,
            }
            .into());
        }
        if !(u64::from(s.activation) <= ctx.epoch && ctx.epoch < u64::from(s.exit)) {
            return Err(TransitionError::SignerNotActive {
                signer: s.address,
                epoch: ctx.epoch,
            }
            .into());
        }
        let score = scorer.score(s.address);
        if score >= quorum.threshold {
            return Err(TransitionError::NotInCommittee {
                signer: s.address,
                score,
                threshold: quorum.threshold,
            }
            .into());
        }
        previous = s.address;
    }
    if let Some(s) = signers.iter().find(|s| records(s.address) != s.record()) {
        return Err(TransitionError::KeyMismatch { signer: s.address }.into());
    }

    // Pass 2: the aggregate key (G1ADD, no subgroup check), then one pairing check.
    let mut sum: Option<AggregatePublicKey> = None;
    for s in &signers {
        let point = g1_point(s.public_key.as_slice())
            .ok_or(TransitionError::KeyMismatch { signer: s.address })?;
        match (point, sum.as_mut()) {
            (None, _) => {}
            (Some(p), None) => sum = Some(AggregatePublicKey::from_public_key(&p)),
            (Some(p), Some(acc)) => acc
                .add_public_key(&p, false)
                .map_err(|_| TransitionError::KeyMismatch { signer: s.address })?,
        }
    }
    let key = sum
        .map(|acc| acc.to_public_key())
        .ok_or(TransitionError::AggregateIsInfinity)?;
    match key.validate() {
        Ok(()) => {}
        Err(BLST_ERROR::BLST_PK_IS_INFINITY) => {
            return Err(TransitionError::AggregateIsInfinity.into())
        }
        // PAIRING_CHECK subgroup-checks its inputs and fails.
        Err(_) => return Err(TransitionError::BadSignature.into()),
    }
    let signature = g2_point(&read(transition, 0))
        .filter(Signature::subgroup_check)
        .ok_or(TransitionError::BadSignature)?;
    let digest = ctx.digest();
    if signature.fast_aggregate_verify_pre_aggregated(false, digest.as_slice(), DST_SIG, &key)
        != BLST_ERROR::BLST_SUCCESS
    {
        return Err(TransitionError::BadSignature.into());
    }
    Ok(VerifiedTransition {
        post_state_root,
        signers: count.into(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use alloy_primitives::aliases::U384;
    use alloy_primitives::{hex, U256};
    use proptest::prelude::*;

    use super::*;
    use crate::{eip712, selection, Params};

    /// The field modulus p.
    const P: [u8; FP_BYTES] = hex!(
        "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab"
    );
    /// The group order r.
    const R: U256 = U256::from_be_bytes(hex!(
        "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001"
    ));

    fn key(scalar: u64) -> BlsSecretKey {
        BlsSecretKey::from_bytes(&B256::from(U256::from(scalar))).unwrap()
    }

    fn err<T: fmt::Debug>(r: Result<T>) -> TransitionError {
        match r {
            Err(Error::Transition(e)) => e,
            other => panic!("expected a transition error, got {other:?}"),
        }
    }

    #[test]
    fn constants() {
        assert_eq!(STATE_TAG, keccak256("spn.state"));
        assert_eq!(DST_SIG.len(), 50);
        assert_eq!(DST_POP.len(), 50);
        assert_eq!((HEADER_BYTES, SIGNER_BYTES), (194, 124));
    }

    /// RFC 9380 Appendix J.10.1, `BLS12381G2_XMD:SHA-256_SSWU_RO_`, msg = "": blst's signature of
    /// the key 1 is the hash, and the EIP-2537 encoding puts c0 before c1.
    #[test]
    fn hash_to_g2_matches_rfc9380() {
        let h = hash_to_g2(b"", b"QUUX-V01-CS02-with-BLS12381G2_XMD:SHA-256_SSWU_RO_");
        let expect = hex!(
            "0141ebfbdca40eb85b87142e130ab689c673cf60f1a3e98d69335266f30d9b8d4ac44c1038e9dcdd5393faf5c41fb78a"
            "05cb8437535e20ecffaef7752baddf98034139c38452458baeefab379ba13dff5bf5dd71b72418717047f5b0f37da03d"
            "0503921d7f6a12805e72940b963c0cf3471c7b2a524950ca195d11062ee75ec076daf2d4bc358c4b190c0c98064fdd92"
            "12424ac32561493f3fe3c260708a12b7c620e7be00099a974e259ddc7d1f6395c3c811cdd19f1e8dbf3e9ecfdcbab8d6"
        );
        assert_eq!(h.0, expect);
        // The tags separate: SPN's two and the vector's give three different points.
        let m = b"spn";
        assert_ne!(hash_to_g2(m, DST_SIG), hash_to_g2(m, DST_POP));
        assert_ne!(hash_to_g2(m, DST_SIG), hash_to_g2(b"spo", DST_SIG));
    }

    /// The generators in both encodings: EIP-2537's G1 and H2 (c0 first) against blst's ZCash
    /// compressed forms (c1 first).
    #[test]
    fn generators_in_eip2537_and_zcash_order() {
        let g1 = key(1).public_key().to_bytes();
        assert_eq!(
            g1.0,
            hex!(
                "17f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb"
                "08b3f481e3aaa0f1a09e30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e1"
            )
        );
        assert_eq!(
            key(1).public_key().compress().0,
            hex!("97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb")
        );
        let zcash = hex!(
            "93e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e"
            "024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8"
        );
        let h2 = BlsSignature::from_compressed(&zcash).unwrap();
        let eip = hex!(
            "024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8"
            "13e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e"
            "0ce5d527727d6e118cc9cdc6da2e351aadfd9baa8cbdd3a76d429a695160d12c923ac9cc3baca289e193548608b82801"
            "0606c4a02ea734cc32acd2b02bc28b99cb3e287e85a763af267492ab572e99ab3f370d275cec1da1aaa9075ff05f79be"
        );
        assert_eq!(h2.to_eip2537().0, eip);
        assert_eq!(BlsSignature::from_eip2537(&eip).unwrap(), h2);
        assert_eq!(h2.compress().0, zcash);
        // blst's uncompressed serialization is the swapped order.
        assert_eq!(swap_fp2_halves(&h2.point.serialize()), eip);
    }

    #[test]
    fn derivation_is_deterministic_and_per_staker() {
        let a = StakingKey::from_bytes(&B256::with_last_byte(1)).unwrap();
        let b = StakingKey::from_bytes(&B256::with_last_byte(2)).unwrap();
        let ka = BlsSecretKey::derive(&a);
        assert_eq!(
            ka.public_key(),
            BlsSecretKey::derive(&a.clone()).public_key()
        );
        assert_ne!(ka.public_key(), BlsSecretKey::derive(&b).public_key());
        let mut input = b"spn.bls.v1".to_vec();
        input.extend_from_slice(B256::with_last_byte(1).as_slice());
        let ikm = keccak256(&input);
        let expect = SecretKey::key_gen(ikm.as_slice(), &[]).unwrap();
        assert_eq!(ka.secret.sk_to_pk(), expect.sk_to_pk());
        // Debug shows the public key only.
        let shown = format!("{ka:?}");
        assert!(shown.contains("BlsPublicKey"));
        assert!(!shown.contains(&hex::encode(expect.serialize())));
        // Invalid scalars.
        assert_eq!(
            BlsSecretKey::from_bytes(&B256::ZERO).unwrap_err(),
            Error::InvalidSecretKey
        );
        assert!(BlsSecretKey::from_bytes(&B256::from(R)).is_err());
        assert!(BlsSecretKey::from_bytes(&B256::from(R - U256::from(1))).is_ok());
    }

    #[test]
    fn sign_aggregate_verify_round_trip() {
        let keys: Vec<BlsSecretKey> = (1..=12).map(|i| key(1000 + i)).collect();
        let pks: Vec<BlsPublicKey> = keys.iter().map(|k| *k.public_key()).collect();
        let digest = keccak256("transition");
        let sigs: Vec<BlsSignature> = keys.iter().map(|k| k.sign_transition(digest)).collect();
        for n in 1..=keys.len() {
            let agg = aggregate(&sigs[..n]).unwrap();
            assert!(verify_aggregate(&agg, digest, &pks[..n]));
            // Round trips through both encodings.
            assert_eq!(
                BlsSignature::from_eip2537(agg.to_eip2537().as_slice()).unwrap(),
                agg
            );
            assert_eq!(
                BlsSignature::from_compressed(agg.compress().as_slice()).unwrap(),
                agg
            );
            // A missing or an extra key, another digest.
            if n > 1 {
                assert!(!verify_aggregate(&agg, digest, &pks[..n - 1]));
            }
            if n < keys.len() {
                assert!(!verify_aggregate(&agg, digest, &pks[..n + 1]));
            }
            assert!(!verify_aggregate(&agg, keccak256("other"), &pks[..n]));
        }
        // Order does not matter.
        let mut reversed = pks.clone();
        reversed.reverse();
        assert!(verify_aggregate(
            &aggregate(&sigs).unwrap(),
            digest,
            &reversed
        ));
        // The wrong tag: a signature under DST_POP is not a transition signature.
        let wrong = aggregate(
            &keys
                .iter()
                .map(|k| k.sign(digest.as_slice(), DST_POP))
                .collect::<Vec<_>>(),
        )
        .unwrap();
        assert!(!verify_aggregate(&wrong, digest, &pks));
        // Deterministic.
        assert_eq!(keys[0].sign_transition(digest), sigs[0]);
        // Nothing to aggregate, no keys.
        assert!(aggregate(&[]).is_err());
        assert!(!verify_aggregate(&sigs[0], digest, &[]));
    }

    #[test]
    fn proofs_of_possession() {
        let (a, b) = (key(7), key(8));
        let pop = a.pop();
        assert!(a.public_key().verify_pop(&pop));
        assert!(!b.public_key().verify_pop(&pop), "another key's PoP");
        // The same message under the signature tag.
        let under_sig = a.sign(a.public_key().compress().as_slice(), DST_SIG);
        assert!(!a.public_key().verify_pop(&under_sig));
        // The uncompressed key as message.
        let uncompressed = a.sign(a.public_key().to_bytes().as_slice(), DST_POP);
        assert!(!a.public_key().verify_pop(&uncompressed));
        // A PoP is no transition signature of its key's compressed bytes read as a digest.
        assert!(!verify_aggregate(
            &pop,
            B256::from_slice(&a.public_key().compress()[..32]),
            &[*a.public_key()]
        ));
        // The PoP message is the compressed key.
        assert_eq!(
            a.public_key().compress().0,
            compress_by_hand(a.public_key())
        );
        assert_eq!(
            pop,
            a.sign(
                &compress_by_hand(a.public_key()),
                b"SPN-V1-BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"
            )
        );
    }

    /// `compress` is x with 0x80 set and 0x20 iff y > (p − 1) / 2, computed by hand.
    fn compress_by_hand(pk: &BlsPublicKey) -> [u8; 48] {
        let bytes = pk.to_bytes();
        let half = hex!(
            "0d0088f51cbff34d258dd3db21a5d66bb23ba5c279c2895fb39869507b587b120f55ffff58a9ffffdcff7fffffffd555"
        );
        let mut out = [0u8; 48];
        out.copy_from_slice(&bytes[..48]);
        out[0] |= 0x80;
        if bytes[48..] > half[..] {
            out[0] |= 0x20;
        }
        out
    }

    #[test]
    fn compress_sign_bit_is_y_above_half() {
        let mut seen = [false; 2];
        for i in 1..40 {
            let pk = *key(i).public_key();
            assert_eq!(pk.compress().0, compress_by_hand(&pk));
            seen[usize::from(pk.compress()[0] & 0x20 != 0)] = true;
        }
        assert_eq!(seen, [true, true]);
    }

    /// A point of the curve outside the G1 subgroup (almost every curve point is).
    fn g1_outside_subgroup() -> [u8; 96] {
        (1u8..)
            .find_map(|x| {
                let mut c = [0u8; 48];
                c[0] = 0x80;
                c[47] = x;
                let p = PublicKey::uncompress(&c).ok()?;
                p.validate().is_err().then(|| p.serialize())
            })
            .unwrap()
    }

    /// A point of the twist outside the G2 subgroup, in EIP-2537 order.
    fn g2_outside_subgroup() -> [u8; 192] {
        (1u8..)
            .find_map(|x| {
                let mut c = [0u8; 96];
                c[0] = 0x80;
                c[95] = x;
                let s = Signature::uncompress(&c).ok()?;
                (!s.subgroup_check()).then(|| swap_fp2_halves(&s.serialize()))
            })
            .unwrap()
    }

    #[test]
    fn public_key_encoding() {
        let pk = *key(5).public_key();
        let bytes = pk.to_bytes();
        assert_eq!(BlsPublicKey::from_bytes(bytes.as_slice()).unwrap(), pk);
        assert_eq!(pk.hash(), keccak256(bytes));
        let invalid = |b: &[u8]| BlsPublicKey::from_bytes(b).unwrap_err();
        assert_eq!(
            invalid(&bytes[..95]),
            Error::InvalidBlsPublicKey("length is not 96 bytes")
        );
        assert_eq!(
            invalid(&pk.compress()[..]),
            Error::InvalidBlsPublicKey("length is not 96 bytes")
        );
        // Infinity, as EIP-2537 (all zero) and as ZCash (flag 0x40) write it.
        assert_eq!(
            invalid(&[0u8; 96]),
            Error::InvalidBlsPublicKey("the point at infinity")
        );
        let mut zinf = [0u8; 96];
        zinf[0] = 0x40;
        assert!(matches!(invalid(&zinf), Error::InvalidBlsPublicKey(_)));
        // A flag bit or x = p.
        let mut flagged = bytes.0;
        flagged[0] |= 0x20;
        assert!(BlsPublicKey::from_bytes(&flagged).is_err());
        let mut x_is_p = bytes.0;
        x_is_p[..48].copy_from_slice(&P);
        assert!(BlsPublicKey::from_bytes(&x_is_p).is_err());
        // Off the curve.
        let mut off = bytes.0;
        off[95] ^= 1;
        assert!(BlsPublicKey::from_bytes(&off).is_err());
        // On the curve, outside G1.
        assert_eq!(
            invalid(&g1_outside_subgroup()),
            Error::InvalidBlsPublicKey("not in the G1 subgroup")
        );
    }

    #[test]
    fn signature_encoding() {
        let sig = key(5).sign_transition(B256::repeat_byte(1));
        let eip = sig.to_eip2537();
        assert_eq!(BlsSignature::from_eip2537(eip.as_slice()).unwrap(), sig);
        assert_eq!(eip.0, swap_fp2_halves(&sig.point.serialize()));
        assert_eq!(sig.compress().0, sig.point.compress());
        assert!(BlsSignature::from_eip2537(&eip[..191]).is_err());
        assert!(BlsSignature::from_compressed(&sig.compress()[..95]).is_err());
        // The ZCash uncompressed order is not the EIP order.
        assert!(BlsSignature::from_eip2537(&sig.point.serialize()).is_err());
        // Infinity in either form.
        assert!(BlsSignature::from_eip2537(&[0u8; 192]).is_err());
        let mut cinf = [0u8; 96];
        cinf[0] = 0xc0;
        assert_eq!(
            BlsSignature::from_compressed(&cinf).unwrap_err(),
            Error::InvalidBlsSignature("the point at infinity")
        );
        // A component equal to p, each in turn.
        for i in 0..4 {
            let mut b = eip.0;
            b[i * 48..(i + 1) * 48].copy_from_slice(&P);
            assert!(BlsSignature::from_eip2537(&b).is_err(), "component {i}");
        }
        let mut off = eip.0;
        off[191] ^= 1;
        assert!(BlsSignature::from_eip2537(&off).is_err());
        assert_eq!(
            BlsSignature::from_eip2537(&g2_outside_subgroup()).unwrap_err(),
            Error::InvalidBlsSignature("not in the G2 subgroup")
        );
        // An aggregate at infinity encodes as zeros.
        let neg = BlsSecretKey::from_bytes(&B256::from(R - U256::from(5))).unwrap();
        let inf = aggregate(&[sig, neg.sign_transition(B256::repeat_byte(1))]).unwrap();
        assert_eq!(inf.to_eip2537(), FixedBytes::ZERO);
    }

    #[test]
    fn state_roots_and_records() {
        let (pre, tx) = (B256::repeat_byte(1), B256::repeat_byte(2));
        let mut enc = STATE_TAG.to_vec();
        enc.extend_from_slice(pre.as_slice());
        enc.extend_from_slice(tx.as_slice());
        assert_eq!(state_root_next(pre, tx), keccak256(&enc));
        // Chained from stateRoot(0) = 0, the pre-state of n is the post-state of n − 1.
        let r1 = state_root_next(B256::ZERO, tx);
        assert_ne!(state_root_next(r1, tx), r1);

        let pk = *key(3).public_key();
        let s = Signer::new(Address::with_last_byte(1), 4, u32::MAX, &pk);
        let mut packed = pk.hash().to_vec();
        packed.extend_from_slice(&4u32.to_be_bytes());
        packed.extend_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(s.record(), keccak256(&packed));
        assert_eq!(s.record(), bls_record(pk.hash(), 4, u32::MAX));
        assert_ne!(s.record(), bls_record(pk.hash(), 4, 9));
    }

    #[test]
    fn quorum_values() {
        let t = Params::testnet();
        // n = 11 on the testnet: expected 1,024, 512 at 5,000 bps (design §3.5).
        let q = Quorum::new(11, t.round_height, t.redundancy, 4096, 5000).unwrap();
        assert_eq!((q.expected, q.required), (1024, 512));
        let s = Schedule::new(&t, 11).unwrap();
        assert_eq!(q.threshold, s.committee_threshold(1, 4096));
        // n = 3: expected 4, 2 required.
        let q = Quorum::new(3, 2, 2, 4096, 5000).unwrap();
        assert_eq!((q.expected, q.required), (4, 2));
        // Capped at N / 2: the devnet's N = 32, n = 5.
        let q = Quorum::new(5, 2, 2, 32, 5000).unwrap();
        assert_eq!((q.expected, q.required), (16, 8));
        assert_eq!(
            q.threshold,
            selection::committee_threshold(U256::from(16), U256::from(32))
        );
        // Rounded up, at least one.
        assert_eq!(Quorum::new(5, 2, 2, 32, 1).unwrap().required, 1);
        assert_eq!(Quorum::new(5, 2, 2, 32, 10_000).unwrap().required, 16);
        assert_eq!(Quorum::new(5, 2, 2, 32, 6_001).unwrap().required, 10);
        assert_eq!(Quorum::new(5, 2, 2, 0, 5000).unwrap().required, 1);
        // Outside rule 26 or a geometry the Rollup never has.
        assert!(Quorum::new(5, 2, 2, 32, 0).is_err());
        assert!(Quorum::new(5, 2, 2, 32, 10_001).is_err());
        assert!(Quorum::new(0, 2, 2, 32, 5000).is_err());
        assert!(Quorum::new(5, 0, 2, 32, 5000).is_err());
    }

    /// A devnet-like block: N = 32, n = 5, m = 2, R = 2, 5,000 bps (16 expected, 8 required),
    /// 64 derived keys of which about half are round-1 members.
    struct Fixture {
        ctx: TransitionContext,
        keys: Vec<(Address, BlsSecretKey)>,
        members: Vec<usize>,
        others: Vec<usize>,
    }

    impl Fixture {
        fn new() -> Self {
            let d = eip712::domain(31337, Address::with_last_byte(0xaa));
            let ctx = TransitionContext {
                domain_separator: d.separator(),
                block_hash: B256::repeat_byte(0xb1),
                tx_root: B256::repeat_byte(0x71),
                pre_state_root: B256::repeat_byte(0x50),
                slot_seed: selection::slot_seed(U256::from(9), 77),
                epoch: 5,
                active_count: 32,
                height: 5,
                round_height: 2,
                redundancy: 2,
                threshold_bps: 5000,
            };
            let keys: Vec<(Address, BlsSecretKey)> = (1..=64u8)
                .map(|i| {
                    let s = StakingKey::from_bytes(&B256::with_last_byte(i)).unwrap();
                    (s.address(), BlsSecretKey::derive(&s))
                })
                .collect();
            let threshold = ctx.quorum().unwrap().threshold;
            let (members, others) = (0..keys.len())
                .partition(|&i| selection::score(keys[i].0, ctx.slot_seed) < threshold);
            Self {
                ctx,
                keys,
                members,
                others,
            }
        }

        fn signer(&self, i: usize) -> Signer {
            Signer::new(self.keys[i].0, 1, u32::MAX, self.keys[i].1.public_key())
        }

        /// A valid transition signed by the given keys.
        fn transition(&self, who: &[usize]) -> Transition {
            let digest = self.ctx.digest();
            Transition::aggregate(
                who.iter()
                    .map(|&i| (self.signer(i), self.keys[i].1.sign_transition(digest)))
                    .collect(),
            )
            .unwrap()
        }

        fn records(&self) -> HashMap<Address, B256> {
            (0..self.keys.len())
                .map(|i| (self.keys[i].0, self.signer(i).record()))
                .collect()
        }

        fn verify(&self, t: &Transition) -> Result<VerifiedTransition> {
            let records = self.records();
            t.verify(&self.ctx, |a| records.get(&a).copied().unwrap_or_default())
        }

        fn verify_with(
            &self,
            t: &Transition,
            records: &HashMap<Address, B256>,
        ) -> Result<VerifiedTransition> {
            t.verify(&self.ctx, |a| records.get(&a).copied().unwrap_or_default())
        }
    }

    #[test]
    fn valid_transitions_verify() {
        let f = Fixture::new();
        assert!(
            f.members.len() >= 12 && f.others.len() >= 2,
            "{}",
            f.members.len()
        );
        for n in [8, 9, f.members.len()] {
            let t = f.transition(&f.members[..n]);
            let v = f.verify(&t).unwrap();
            assert_eq!(v.signers, n as u64);
            assert_eq!(
                v.post_state_root,
                state_root_next(f.ctx.pre_state_root, f.ctx.tx_root)
            );
            // The digest is the StateTransition of the block.
            let d = eip712::domain(31337, Address::with_last_byte(0xaa));
            assert_eq!(
                f.ctx.digest(),
                eip712::state_transition_digest(
                    &d,
                    f.ctx.block_hash,
                    f.ctx.tx_root,
                    f.ctx.pre_state_root,
                    v.post_state_root
                )
            );
            let keys: Vec<BlsPublicKey> = f.members[..n]
                .iter()
                .map(|&i| *f.keys[i].1.public_key())
                .collect();
            let sig = BlsSignature::from_eip2537(t.signature.as_slice()).unwrap();
            assert!(verify_aggregate(&sig, f.ctx.digest(), &keys));
            // Encoding round trip.
            let bytes = t.encode().unwrap();
            assert_eq!(bytes.len(), t.encoded_len());
            assert_eq!(bytes.len(), 194 + 124 * n);
            assert_eq!(Transition::decode(&bytes).unwrap(), t);
            assert_eq!(&bytes[..192], t.signature.as_slice());
            assert_eq!(u16::from_be_bytes([bytes[192], bytes[193]]) as usize, n);
            assert_eq!(&bytes[194..214], t.signers[0].address.as_slice());
            assert_eq!(&bytes[214..218], &1u32.to_be_bytes());
            assert_eq!(&bytes[218..222], &u32::MAX.to_be_bytes());
            assert_eq!(&bytes[222..318], t.signers[0].public_key.as_slice());
        }
    }

    #[test]
    fn every_error_in_order() {
        let f = Fixture::new();
        let m = &f.members;
        let good = f.transition(&m[..9]);
        let bytes = good.encode().unwrap();
        let records = f.records();
        let lookup = |a: Address| records.get(&a).copied().unwrap_or_default();
        let packed = |b: &[u8]| err(verify_packed(b, &f.ctx, lookup));
        use TransitionError::*;

        // 1. Too short for the header.
        assert_eq!(packed(&bytes[..193]), Malformed { at: 194, end: 193 });
        assert_eq!(packed(&[]), Malformed { at: 194, end: 0 });
        // 2. Too few signers, before the length is checked.
        let mut few = bytes[..194].to_vec();
        few[193] = 7;
        assert_eq!(
            packed(&few),
            TooFewSigners {
                count: 7,
                required: 8
            }
        );
        // 3. Length not that of the count: short, trailing.
        assert_eq!(
            packed(&bytes[..bytes.len() - 1]),
            Malformed {
                at: bytes.len() as u64,
                end: bytes.len() as u64 - 1
            }
        );
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(
            packed(&long),
            Malformed {
                at: bytes.len() as u64,
                end: bytes.len() as u64 + 1
            }
        );
        // 4. Order: swapped, repeated, zero first.
        let mut t = good.clone();
        t.signers.swap(3, 4);
        assert_eq!(
            err(f.verify(&t)),
            SignersNotAscending {
                previous: t.signers[3].address,
                next: t.signers[4].address
            }
        );
        let mut t = good.clone();
        t.signers[4] = t.signers[3].clone();
        assert_eq!(
            err(f.verify(&t)),
            SignersNotAscending {
                previous: t.signers[3].address,
                next: t.signers[3].address
            }
        );
        let mut t = good.clone();
        t.signers[0].address = Address::ZERO;
        assert_eq!(
            err(f.verify(&t)),
            SignersNotAscending {
                previous: Address::ZERO,
                next: Address::ZERO
            }
        );
        // Activity by the transition's epochs: exit at the epoch, activation after it.
        for (activation, exit) in [(1, 5), (6, u32::MAX), (5, 5), (0, 0)] {
            let mut t = good.clone();
            t.signers[2].activation = activation;
            t.signers[2].exit = exit;
            assert_eq!(
                err(f.verify(&t)),
                SignerNotActive {
                    signer: t.signers[2].address,
                    epoch: 5
                }
            );
        }
        let mut t = good.clone();
        t.signers[2].activation = 5;
        t.signers[2].exit = 6;
        assert_eq!(
            err(f.verify(&t)),
            KeyMismatch {
                signer: t.signers[2].address
            }
        );
        // Committee: a non-member among members.
        let mut who = m[..9].to_vec();
        who[8] = f.others[0];
        let t = f.transition(&who);
        let outsider = f.keys[f.others[0]].0;
        let threshold = f.ctx.quorum().unwrap().threshold;
        assert_eq!(
            err(f.verify(&t)),
            NotInCommittee {
                signer: outsider,
                score: selection::score(outsider, f.ctx.slot_seed),
                threshold
            }
        );
        // 5. Records: none, another key, other epochs; the first mismatch is reported.
        let mut r = records.clone();
        r.remove(&good.signers[6].address);
        r.insert(good.signers[7].address, B256::ZERO);
        assert_eq!(
            err(f.verify_with(&good, &r)),
            KeyMismatch {
                signer: good.signers[6].address
            }
        );
        let mut t = good.clone();
        t.signers[1].public_key = f.keys[m[10]].1.public_key().to_bytes();
        assert_eq!(
            err(f.verify(&t)),
            KeyMismatch {
                signer: t.signers[1].address
            }
        );
        // 6. A key that is no curve point, with a record to match: G1ADD fails.
        let mut t = good.clone();
        t.signers[5].public_key.0[95] ^= 1;
        let mut r = records.clone();
        r.insert(t.signers[5].address, t.signers[5].record());
        assert_eq!(
            err(f.verify_with(&t, &r)),
            KeyMismatch {
                signer: t.signers[5].address
            }
        );
        // 7. Keys summing to infinity (k and −k, records to match).
        let mut t = good.clone();
        let neg = neg_key(&t.signers[0].public_key);
        t.signers[1].public_key = neg;
        for s in &mut t.signers[2..] {
            s.public_key = FixedBytes::ZERO;
        }
        let r: HashMap<Address, B256> = t.signers.iter().map(|s| (s.address, s.record())).collect();
        assert_eq!(err(f.verify_with(&t, &r)), AggregateIsInfinity);
        // A key outside G1 (records to match): the pairing's subgroup check fails.
        let mut t = good.clone();
        t.signers[0].public_key = FixedBytes(g1_outside_subgroup());
        let r: HashMap<Address, B256> = t.signers.iter().map(|s| (s.address, s.record())).collect();
        assert_eq!(err(f.verify_with(&t, &r)), BadSignature);
        // 8. Signatures: another digest, zero, off the curve, outside G2, a component >= p,
        //    one signer short.
        let mut t = good.clone();
        t.signature = key(1).sign_transition(B256::ZERO).to_eip2537();
        assert_eq!(err(f.verify(&t)), BadSignature);
        t.signature = FixedBytes::ZERO;
        assert_eq!(err(f.verify(&t)), BadSignature);
        t.signature = good.signature;
        t.signature.0[191] ^= 1;
        assert_eq!(err(f.verify(&t)), BadSignature);
        t.signature = FixedBytes(g2_outside_subgroup());
        assert_eq!(err(f.verify(&t)), BadSignature);
        t.signature = good.signature;
        t.signature.0[48..96].copy_from_slice(&P);
        assert_eq!(err(f.verify(&t)), BadSignature);
        let mut t = good.clone();
        t.signers.pop();
        assert_eq!(err(f.verify(&t)), BadSignature);
        // Another context: the previous state root, another block, another domain.
        for change in 0..3 {
            let mut ctx = f.ctx.clone();
            match change {
                0 => ctx.pre_state_root = B256::ZERO,
                1 => ctx.block_hash = B256::ZERO,
                _ => ctx.domain_separator = B256::ZERO,
            }
            assert_eq!(err(good.verify(&ctx, lookup)), BadSignature);
        }
        // A context outside the Rollup's rules is no transition error.
        let mut ctx = f.ctx.clone();
        ctx.threshold_bps = 0;
        assert!(matches!(
            good.verify(&ctx, lookup),
            Err(Error::InvalidParam { .. })
        ));
        // And the valid one.
        assert!(verify_packed(&bytes, &f.ctx, lookup).is_ok());
    }

    /// −k for a key k in `x ‖ y`: `(x, p − y)`.
    fn neg_key(k: &FixedBytes<96>) -> FixedBytes<96> {
        let p = U384::from_be_slice(&P);
        let y = U384::from_be_slice(&k[48..]);
        let mut out = k.0;
        out[48..].copy_from_slice(&(p - y).to_be_bytes::<48>());
        FixedBytes(out)
    }

    #[test]
    fn encoding_limits() {
        let t = Transition {
            signature: FixedBytes::ZERO,
            signers: vec![Signer::default(); MAX_SIGNERS + 1],
        };
        assert!(matches!(
            t.encode(),
            Err(Error::EncodingOverflow {
                what: "signerCount",
                ..
            })
        ));
        let t = Transition {
            signature: FixedBytes::ZERO,
            signers: vec![Signer::default(); MAX_SIGNERS],
        };
        let bytes = t.encode().unwrap();
        assert_eq!(bytes.len(), 194 + 124 * MAX_SIGNERS);
        assert_eq!(Transition::decode(&bytes).unwrap(), t);
        assert_eq!(Transition::default().encode().unwrap(), vec![0u8; 194]);
    }

    fn arb_signer() -> impl Strategy<Value = Signer> {
        (
            any::<[u8; 20]>(),
            any::<u32>(),
            any::<u32>(),
            proptest::collection::vec(any::<u8>(), 96),
        )
            .prop_map(|(a, activation, exit, k)| Signer {
                address: Address::from(a),
                activation,
                exit,
                public_key: FixedBytes::from_slice(&k),
            })
    }

    fn arb_transition() -> impl Strategy<Value = Transition> {
        (
            proptest::collection::vec(any::<u8>(), 192),
            proptest::collection::vec(arb_signer(), 0..12),
        )
            .prop_map(|(s, signers)| Transition {
                signature: FixedBytes::from_slice(&s),
                signers,
            })
    }

    /// Bytes around the lengths the decoder branches on: a header with a count of 0..6 and a
    /// body a few bytes short of, at or beyond its exact length.
    fn near_valid_bytes() -> impl Strategy<Value = Vec<u8>> {
        (0u16..6, -130i64..130, any::<u64>()).prop_map(|(count, delta, seed)| {
            let len = (194 + 124 * i64::from(count) + delta).max(0) as usize;
            let mut out: Vec<u8> = (0..len)
                .map(|i| (seed.rotate_left(i as u32 % 64) ^ i as u64) as u8)
                .collect();
            if len >= 194 {
                out[192..194].copy_from_slice(&count.to_be_bytes());
            }
            out
        })
    }

    fn check_untrusted(bytes: &[u8]) -> std::result::Result<(), TestCaseError> {
        let f = FIXTURE.with(|f| f.ctx.clone());
        let decoded = Transition::decode(bytes);
        if let Ok(t) = &decoded {
            prop_assert_eq!(t.encode().unwrap(), bytes.to_vec());
        }
        // The verifier never panics, and where the structure is wrong it agrees with decode
        // (the count check sits between the two structure checks).
        let verdict = verify_packed(bytes, &f, |_| B256::ZERO);
        prop_assert!(verdict.is_err());
        let count = bytes
            .get(192..194)
            .map(|c| u16::from_be_bytes([c[0], c[1]]));
        match (decoded, count) {
            (Err(e), None) | (Err(e), Some(8..)) => prop_assert_eq!(verdict.unwrap_err(), e),
            (_, Some(c @ 0..8)) => prop_assert_eq!(
                verdict.unwrap_err(),
                Error::Transition(TransitionError::TooFewSigners {
                    count: c.into(),
                    required: 8
                })
            ),
            (Ok(_), _) => {}
        }
        Ok(())
    }

    thread_local! {
        static FIXTURE: Fixture = Fixture::new();
    }

    proptest! {
        /// Any bytes: decode and verify never panic, and what decodes re-encodes to the input.
        #[test]
        fn decode_untrusted_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..1200)) {
            check_untrusted(&bytes)?;
        }

        /// Bytes near every structural boundary.
        #[test]
        fn decode_near_valid_bytes(bytes in near_valid_bytes()) {
            check_untrusted(&bytes)?;
        }

        /// Encode then decode is the identity.
        #[test]
        fn encode_decode_round_trip(t in arb_transition()) {
            let bytes = t.encode().unwrap();
            prop_assert_eq!(bytes.len(), t.encoded_len());
            prop_assert_eq!(Transition::decode(&bytes).unwrap(), t);
        }

        /// Random signers, sorted so they pass the order check, never panic the verifier, with
        /// records that match (so the key and signature checks run on garbage too).
        #[test]
        fn verify_random_signers(mut t in arb_transition(), member in any::<bool>()) {
            t.signers.sort_by_key(|s| s.address);
            t.signers.dedup_by_key(|s| s.address);
            FIXTURE.with(|f| {
                let mut ctx = f.ctx.clone();
                ctx.threshold_bps = 1;
                if member {
                    // All active and the threshold at its cap (half the signers are members):
                    // the later checks run.
                    ctx.active_count = 2;
                    for s in &mut t.signers {
                        s.activation = 0;
                        s.exit = u32::MAX;
                    }
                }
                let records: HashMap<Address, B256> =
                    t.signers.iter().map(|s| (s.address, s.record())).collect();
                let r = t.verify(&ctx, |a| records.get(&a).copied().unwrap_or_default());
                prop_assert!(r.is_err());
                Ok(())
            })?;
        }

        /// Valid encodings with one bit flipped: the decoders refuse them or read another valid
        /// point that re-encodes to the same bytes (a compressed x often is one).
        #[test]
        fn point_decoders_on_flipped_bits(form in 0usize..3, bit in 0usize..1536, scalar in 1u64..u64::MAX) {
            let k = key(scalar);
            let sig = k.sign_transition(B256::from(U256::from(scalar)));
            let mut bytes = match form {
                0 => k.public_key().to_bytes().to_vec(),
                1 => sig.to_eip2537().to_vec(),
                _ => sig.compress().to_vec(),
            };
            let bit = bit % (8 * bytes.len());
            bytes[bit / 8] ^= 0x80 >> (bit % 8);
            let reencoded = match form {
                0 => BlsPublicKey::from_bytes(&bytes).map(|k| k.to_bytes().to_vec()),
                1 => BlsSignature::from_eip2537(&bytes).map(|s| s.to_eip2537().to_vec()),
                _ => BlsSignature::from_compressed(&bytes).map(|s| s.compress().to_vec()),
            };
            if let Ok(r) = reencoded {
                prop_assert_eq!(r, bytes);
            }
        }

        /// Public keys and signatures from untrusted bytes: never panic, and what parses
        /// re-encodes to the input.
        #[test]
        fn point_decoders(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(k) = BlsPublicKey::from_bytes(&bytes) {
                prop_assert_eq!(k.to_bytes().to_vec(), bytes.clone());
            }
            if let Ok(s) = BlsSignature::from_eip2537(&bytes) {
                prop_assert_eq!(s.to_eip2537().to_vec(), bytes.clone());
            }
            if let Ok(s) = BlsSignature::from_compressed(&bytes) {
                prop_assert_eq!(s.compress().to_vec(), bytes.clone());
            }
        }
    }
}
