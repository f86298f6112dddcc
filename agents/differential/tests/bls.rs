//! Differential tests of the training wheel (docs/design/bls-training-wheel.md §5, §7):
//! `spn_protocol::bls` (blst) against `BlsLib` (EIP-2537 precompiles, arkworks in revm),
//! `MessagesLib`'s state transition digest and state root, `Staking.registerBlsKey` and
//! `BlsVerifier.verify`, over seeded random inputs. A mismatch panics with the rule, the seed
//! (`SPN_DIFF_SEED=<seed>` replays it), the iteration and the input.
//!
//! Pairings and hashes to G2 cost milliseconds each in revm, so these rules run a fraction of
//! [`iterations`].

use std::path::PathBuf;

use alloy_primitives::{Address, Bytes, B256, U256};
use rand::Rng;
use spn_bindings::harness::{bls as harness, messages};
use spn_differential::{contracts, iterations, Arbitrary, Chain, Rules};
use spn_protocol::bls::{self, BlsSecretKey, BlsSignature, DST_POP, DST_SIG};
use spn_protocol::eip712;

const DEPLOYER: Address = Address::repeat_byte(0xde);

fn work_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("spn-contracts")
}

/// A chain with the named contract deployed (no constructor arguments).
fn deploy(name: &str) -> (Chain, Address) {
    let code = contracts(&work_dir()).creation(name).clone();
    let mut chain = Chain::new();
    let at = chain.deploy(DEPLOYER, &code, &[]);
    (chain, at)
}

fn report(rules: &[&Rules]) {
    for r in rules {
        println!(
            "rule {:<40} {:>6} checks (seed {})",
            r.name, r.checks, r.seed
        );
    }
}

/// Iterations of a rule that hashes to G2 or pairs once or twice per input.
fn bls_iterations() -> usize {
    (iterations() / 20).max(10)
}

/// The unpadded form of a padded EIP-2537 element string (64-byte Fp, top 16 bytes zero):
/// `None` if a padding byte is not zero.
fn unpad(padded: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(padded.len() / 64 * 48);
    for fp in padded.chunks(64) {
        if fp.len() != 64 || fp[..16].iter().any(|&b| b != 0) {
            return None;
        }
        out.extend_from_slice(&fp[16..]);
    }
    Some(out)
}

/// A random BLS key from a random 32-byte staking secret (derivation as agents do it), or from
/// a small scalar now and then.
fn random_key(rng: &mut impl Rng) -> BlsSecretKey {
    if rng.random_bool(0.1) {
        return BlsSecretKey::from_bytes(&B256::from(U256::from(rng.random_range(1u64..1000))))
            .expect("a small scalar is a key");
    }
    loop {
        if let Ok(k) = spn_protocol::StakingKey::from_bytes(&rng.b256()) {
            return BlsSecretKey::derive(&k);
        }
    }
}

/// A random message: empty, 32 bytes (a digest), 48 bytes (a compressed key) or any length up to
/// a few SHA-256 blocks.
fn random_message(rng: &mut impl Rng) -> Vec<u8> {
    let len = match rng.random_range(0..4) {
        0 => 0,
        1 => 32,
        2 => 48,
        _ => rng.random_range(0..300),
    };
    (0..len).map(|_| rng.random()).collect()
}

/// The harness bytecode compiled here is the forge artifact's the bindings come from.
#[test]
fn bindings_match_the_sources() {
    let c = contracts(&work_dir());
    assert!(
        c.runtime("BlsDiffHarness") == &spn_bindings::harness::BlsDiffHarness::DEPLOYED_BYTECODE,
        "BlsDiffHarness: the forge artifact in out/ is stale, run `make build`"
    );
}

// ------------------------------------------------------------------------------------ BlsLib

/// `BlsLib.hashToG2(m, dst)` equals blst's hash (the signature of the key 1) in EIP-2537 order,
/// for both SPN tags and random ones up to RFC 9380's 255 bytes.
#[test]
fn hash_to_g2() {
    let (mut chain, h) = deploy("BlsDiffHarness");
    let mut r = Rules::new("BlsLib.hashToG2");
    for i in 0..bls_iterations() {
        let msg = random_message(&mut r.rng);
        let dst: Vec<u8> = match i % 3 {
            0 => DST_SIG.to_vec(),
            1 => DST_POP.to_vec(),
            _ => {
                let len = r.rng.random_range(1..=255);
                (0..len).map(|_| r.rng.random()).collect()
            }
        };
        let padded = chain.view(
            h,
            &harness::BlsDiffHarness::hashToG2Call {
                message: msg.clone().into(),
                dst: dst.clone().into(),
            },
        );
        let sol = unpad(&padded);
        let rust = Some(bls::hash_to_g2(&msg, &dst).to_vec());
        r.check(i, (Bytes::from(msg), Bytes::from(dst)), rust, sol);
    }
    report(&[&r]);
}

/// `BlsLib.compressG1(pk)` equals blst's `PublicKey::compress()` (the PoP message).
#[test]
fn compressed_keys() {
    let (mut chain, h) = deploy("BlsDiffHarness");
    let mut r = Rules::new("BlsLib.compressG1");
    for i in 0..iterations() / 5 {
        let pk = *random_key(&mut r.rng).public_key();
        let sol = chain.view(
            h,
            &harness::BlsDiffHarness::compressG1Call {
                publicKey: pk.to_bytes().to_vec().into(),
            },
        );
        r.check(i, pk, pk.compress().to_vec(), sol.to_vec());
    }
    report(&[&r]);
}

/// `BlsLib.verifyPop` accepts exactly the proofs `BlsPublicKey::verify_pop` accepts: Rust PoPs,
/// and none of their corruptions (a flipped bit, another key's PoP, the PoP message under the
/// signature tag, a transition signature, the uncompressed key as message).
#[test]
fn proofs_of_possession() {
    let (mut chain, h) = deploy("BlsDiffHarness");
    let mut r = Rules::new("BlsLib.verifyPop");
    let mut accepted = 0usize;
    for i in 0..bls_iterations() {
        let (key, other) = (random_key(&mut r.rng), random_key(&mut r.rng));
        let pk = *key.public_key();
        let pop = key.pop().to_eip2537();
        let proof: Vec<u8> = match i % 6 {
            0 | 1 => pop.to_vec(),
            2 => {
                let mut p = pop.to_vec();
                let bit = r.rng.random_range(0..p.len() * 8);
                p[bit / 8] ^= 0x80 >> (bit % 8);
                p
            }
            3 => other.pop().to_eip2537().to_vec(),
            4 => key
                .sign(pk.compress().as_slice(), DST_SIG)
                .to_eip2537()
                .to_vec(),
            _ => match r.rng.random_range(0..2) {
                0 => key.sign_transition(r.rng.b256()).to_eip2537().to_vec(),
                _ => key
                    .sign(pk.to_bytes().as_slice(), DST_POP)
                    .to_eip2537()
                    .to_vec(),
            },
        };
        let sol = chain.view(
            h,
            &harness::BlsDiffHarness::verifyPopCall {
                publicKey: pk.to_bytes().to_vec().into(),
                proof: proof.clone().into(),
            },
        );
        let rust = BlsSignature::from_eip2537(&proof).is_ok_and(|p| pk.verify_pop(&p));
        r.check(i, (pk, Bytes::from(proof)), rust, sol);
        accepted += usize::from(sol);
    }
    report(&[&r]);
    assert!(accepted >= bls_iterations() / 3, "{accepted} PoPs accepted");
}

// ------------------------------------------------------------------------------------ MessagesLib

/// `MessagesLib.stateRoot` and `stateTransitionDigest` against `bls::state_root_next` and
/// `eip712::state_transition_digest`, chained over a run of blocks as the Rollup chains them.
#[test]
fn state_roots_and_digests() {
    let (mut chain, h) = deploy("MessagesHarness");
    let mut roots = Rules::new("MessagesLib.stateRoot");
    let mut digests = Rules::new("MessagesLib.stateTransitionDigest");
    let mut pre = B256::ZERO;
    for i in 0..iterations() {
        let tx_root = roots.rng.b256();
        let sol = chain.view(
            h,
            &messages::MessagesHarness::stateRootCall {
                preStateRoot: pre,
                txRoot: tx_root,
            },
        );
        let post = bls::state_root_next(pre, tx_root);
        roots.check(i, (pre, tx_root), post, sol);

        let rng = &mut digests.rng;
        let d = eip712::domain(rng.random(), rng.address());
        let block_hash = rng.b256();
        let sol = chain.view(
            h,
            &messages::MessagesHarness::stateTransitionDigestCall {
                domainSeparator: d.separator(),
                hash: block_hash,
                outputsRoot: tx_root,
                preStateRoot: pre,
                postStateRoot: post,
            },
        );
        digests.check(
            i,
            (d.separator(), block_hash, tx_root, pre, post),
            eip712::state_transition_digest(&d, block_hash, tx_root, pre, post),
            sol,
        );
        pre = if i % 64 == 63 { B256::ZERO } else { post };
    }
    report(&[&roots, &digests]);
}
