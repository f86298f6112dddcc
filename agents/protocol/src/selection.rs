//! Seeds, scores and selection thresholds (SortitionLib, selection half).
//!
//! Every staker has a public score per slot, `uint256(sha256(abi.encode(key, slotSeed)))`.
//! Committees take the low end of the score range, sequencers the high end, each through an
//! O(1) quantile threshold:
//!
//! ```text
//! quantile(target, N)           = N == 0 ? 0 : (target >= N ? MAX : (MAX / N) * target)
//! committeeThreshold(target, N) = min(quantile(target, N), HALF)      in committee iff score < it
//! sequencerFloor(N)             = MAX - min(quantile(S, N), HALF - 1) sequencer iff score > it
//! ```

use alloy_primitives::{keccak256, Address, B256, U256};
use sha2::block_api::compress256;

use crate::params::Params;

/// `type(uint256).max`.
pub const MAX: U256 = U256::MAX;
/// `2^255`: committee thresholds never exceed it, so committee and sequencer ranges are disjoint.
pub const HALF: U256 = U256::from_limbs([0, 0, 0, 1 << 63]);

/// Mask of the `uint224` a seed checkpoint stores.
const SEED_MASK: U256 = U256::from_limbs([u64::MAX, u64::MAX, u64::MAX, u32::MAX as u64]);

/// Seed pushed at deployment:
/// `uint224(uint256(keccak256(abi.encode(block.prevrandao, block.chainid, address(this)))))`.
pub fn genesis_epoch_seed(prevrandao: U256, chain_id: U256, rollup: Address) -> U256 {
    let mut buf = [0u8; 96];
    buf[..32].copy_from_slice(&prevrandao.to_be_bytes::<32>());
    buf[32..64].copy_from_slice(&chain_id.to_be_bytes::<32>());
    buf[76..].copy_from_slice(rollup.as_slice());
    U256::from_be_bytes(keccak256(buf).0) & SEED_MASK
}

/// Seed sampled for epoch `e = currentEpoch + L`:
/// `uint224(uint256(keccak256(abi.encode(block.prevrandao, e))))`.
pub fn sampled_epoch_seed(prevrandao: U256, epoch: u64) -> U256 {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(&prevrandao.to_be_bytes::<32>());
    buf[56..].copy_from_slice(&epoch.to_be_bytes());
    U256::from_be_bytes(keccak256(buf).0) & SEED_MASK
}

/// `slotSeed(s) = keccak256(abi.encode(uint256(epochSeed(epoch(s))), uint256(s)))`.
pub fn slot_seed(epoch_seed: U256, slot: u64) -> B256 {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(&epoch_seed.to_be_bytes::<32>());
    buf[56..].copy_from_slice(&slot.to_be_bytes());
    keccak256(buf)
}

/// `score(key, s) = uint256(sha256(abi.encode(key, slotSeed(s))))`.
pub fn score(key: Address, slot_seed: B256) -> U256 {
    Scorer::new(slot_seed).score(key)
}

/// Scores many keys against one slot seed: one SHA-256 compression of the 64-byte message
/// plus one of the constant padding block, with no hasher state or buffer management.
#[derive(Debug, Clone)]
pub struct Scorer {
    blocks: [[u8; 64]; 2],
}

/// SHA-256 initial state.
const SHA256_IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

impl Scorer {
    /// A scorer for one slot seed.
    pub fn new(slot_seed: B256) -> Self {
        let mut data = [0u8; 64];
        data[32..].copy_from_slice(slot_seed.as_slice());
        // Padding of a 64-byte message: 0x80, zeros, bit length 512 as big-endian u64.
        let mut pad = [0u8; 64];
        pad[0] = 0x80;
        pad[62] = 0x02;
        Self {
            blocks: [data, pad],
        }
    }

    /// The score as SHA-256 state words, most significant first: comparing two such arrays
    /// lexicographically compares the scores.
    #[inline]
    pub fn score_words(&mut self, key: Address) -> [u32; 8] {
        self.blocks[0][12..32].copy_from_slice(key.as_slice());
        let mut state = SHA256_IV;
        compress256(&mut state, &self.blocks);
        state
    }

    /// The score as big-endian bytes (their lexicographic order is the numeric order).
    #[inline]
    pub fn score_bytes(&mut self, key: Address) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (chunk, word) in out.chunks_exact_mut(4).zip(self.score_words(key)) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }

    /// The score of `key`.
    #[inline]
    pub fn score(&mut self, key: Address) -> U256 {
        U256::from_be_bytes(self.score_bytes(key))
    }
}

/// `quantile(target, N) = N == 0 ? 0 : (target >= N ? MAX : (MAX / N) * target)`.
pub fn quantile(target: U256, active: U256) -> U256 {
    if active.is_zero() {
        U256::ZERO
    } else if target >= active {
        MAX
    } else {
        // target < N, so (MAX / N) * target < MAX: no overflow.
        (MAX / active) * target
    }
}

/// `committeeThreshold(target, N) = min(quantile(target, N), HALF)`.
pub fn committee_threshold(target: U256, active: U256) -> U256 {
    quantile(target, active).min(HALF)
}

/// `committeeSize(target, N) = min(target, N / 2)`: the expected size of the committee
/// `committee_threshold(target, N)` selects (its cap at `HALF` admits half the scores).
pub fn committee_size(target: U256, active: U256) -> U256 {
    target.min(active / U256::from(2))
}

/// `sequencerFloor(N) = MAX - min(quantile(S, N), HALF - 1)`.
pub fn sequencer_floor(sequencer_target: U256, active: U256) -> U256 {
    MAX - quantile(sequencer_target, active).min(HALF - U256::from(1))
}

/// In a committee of this target iff `score < committeeThreshold(target, N)`.
pub fn in_committee(score: U256, target: U256, active: U256) -> bool {
    score < committee_threshold(target, active)
}

/// Sequencer-eligible iff `score > sequencerFloor(N)`.
pub fn is_sequencer(score: U256, sequencer_target: U256, active: U256) -> bool {
    score > sequencer_floor(sequencer_target, active)
}

/// Attestation committee threshold `committeeThreshold(A, N)`.
pub fn attestation_threshold(params: &Params, active: u64) -> U256 {
    committee_threshold(U256::from(params.attestation_target), U256::from(active))
}

/// In the slot's attestation committee iff `score < committeeThreshold(A, N)`.
pub fn in_attestation_committee(score: U256, params: &Params, active: u64) -> bool {
    score < attestation_threshold(params, active)
}

/// Sequencer floor `sequencerFloor(N)` with `S = sequencerTarget`.
pub fn sequencer_floor_for(params: &Params, active: u64) -> U256 {
    sequencer_floor(U256::from(params.sequencer_target), U256::from(active))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256, hex};
    use sha2::{Digest, Sha256};

    #[test]
    fn half_is_two_to_the_255() {
        assert_eq!(HALF, U256::from(1) << 255);
        assert_eq!(SEED_MASK, (U256::from(1) << 224) - U256::from(1));
    }

    #[test]
    fn quantile_edge_cases() {
        let u = U256::from;
        // N = 0: nobody.
        assert_eq!(quantile(u(5), U256::ZERO), U256::ZERO);
        assert_eq!(quantile(U256::ZERO, U256::ZERO), U256::ZERO);
        // target >= N: everybody.
        assert_eq!(quantile(u(10), u(10)), MAX);
        assert_eq!(quantile(u(11), u(10)), MAX);
        assert_eq!(quantile(MAX, MAX), MAX);
        // target 0: nobody.
        assert_eq!(quantile(U256::ZERO, u(10)), U256::ZERO);
        // floor(MAX / N) * target, exactly.
        assert_eq!(quantile(u(1), u(2)), MAX >> 1);
        assert_eq!(quantile(u(2), u(3)), (MAX / u(3)) * u(2));
        assert_eq!(quantile(MAX - u(1), MAX), MAX - u(1));
    }

    #[test]
    fn committee_threshold_is_capped_at_half() {
        let u = U256::from;
        assert_eq!(committee_threshold(u(10), u(10)), HALF);
        assert_eq!(committee_threshold(u(3), u(4)), HALF);
        assert_eq!(committee_threshold(u(1), u(4)), MAX / u(4));
        assert_eq!(committee_threshold(u(1), U256::ZERO), U256::ZERO);
        // score < threshold is strict.
        assert!(!in_committee(HALF, u(10), u(10)));
        assert!(in_committee(HALF - u(1), u(10), u(10)));
        assert!(!in_committee(U256::ZERO, u(10), U256::ZERO));
    }

    #[test]
    fn sequencer_floor_never_overlaps_committees() {
        let u = U256::from;
        // Cap: floor is at least HALF, so sequencer scores are >= HALF + 1 > any committee score.
        assert_eq!(sequencer_floor(u(10), u(10)), HALF);
        assert!(is_sequencer(HALF + u(1), u(10), u(10)));
        assert!(!is_sequencer(HALF, u(10), u(10)));
        // N = 0: the floor is MAX and nobody is eligible.
        assert_eq!(sequencer_floor(u(4), U256::ZERO), MAX);
        assert!(!is_sequencer(MAX, u(4), U256::ZERO));
        // Uncapped.
        assert_eq!(sequencer_floor(u(4), u(1000)), MAX - (MAX / u(1000)) * u(4));
    }

    #[test]
    fn score_is_sha256_of_abi_encoding() {
        // sha256 of 64 zero bytes (a well-known constant: the level-1 zero hash of SSZ trees).
        assert_eq!(
            score(Address::ZERO, B256::ZERO),
            U256::from_be_bytes(hex!(
                "f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b"
            ))
        );
        let key = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
        let seed = b256!("0101010101010101010101010101010101010101010101010101010101010101");
        let mut msg = [0u8; 64];
        msg[12..32].copy_from_slice(key.as_slice());
        msg[32..].copy_from_slice(seed.as_slice());
        let expect = U256::from_be_bytes::<32>(Sha256::digest(msg).into());
        assert_eq!(score(key, seed), expect);
        let mut scorer = Scorer::new(seed);
        for i in 0..50u8 {
            let k = Address::with_last_byte(i);
            msg[12..32].copy_from_slice(k.as_slice());
            assert_eq!(scorer.score_bytes(k), <[u8; 32]>::from(Sha256::digest(msg)));
        }
    }

    #[test]
    fn seeds_are_abi_encoded_keccak() {
        // slotSeed(0 seed, slot 0) = keccak256(64 zero bytes), a well-known constant.
        assert_eq!(
            slot_seed(U256::ZERO, 0),
            b256!("ad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5")
        );
        let mut buf = [0u8; 64];
        buf[31] = 7;
        buf[63] = 9;
        assert_eq!(slot_seed(U256::from(7), 9), keccak256(buf));
        assert_eq!(
            sampled_epoch_seed(U256::from(7), 9),
            U256::from_be_bytes(keccak256(buf).0) & SEED_MASK
        );
        let g = genesis_epoch_seed(
            U256::from(1),
            U256::from(31337),
            Address::with_last_byte(0xaa),
        );
        assert!(g < U256::from(1) << 224);
    }

    /// Values computed with `cast keccak $(cast abi-encode ..)` and Python's hashlib.sha256.
    #[test]
    fn matches_external_vectors() {
        assert_eq!(
            slot_seed(U256::from(7), 9),
            b256!("ae6299332bcd708cd60e3a8defa55de28078a50a4cf2b3de3a546253240ff9e1")
        );
        // keccak256(abi.encode(1, 31337, 0x..aa)) = f21cd9dc0bd3..., truncated to uint224.
        assert_eq!(
            genesis_epoch_seed(
                U256::from(1),
                U256::from(31337),
                Address::with_last_byte(0xaa)
            ),
            U256::from_be_bytes(hex!(
                "000000000bd3c73fcd58a65d253a79dfd3af852baad61c744ef79758423a51d4"
            ))
        );
        assert_eq!(
            score(
                address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
                B256::repeat_byte(1)
            ),
            U256::from_be_bytes(hex!(
                "bd35f0453ed6ede85a6b1405b21810c16af78cd57890a6eb48cd1dd4c019527a"
            ))
        );
    }
}
