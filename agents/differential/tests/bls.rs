//! Differential tests of the training wheel (docs/design/bls-training-wheel.md §5, §7):
//! `spn_protocol::bls` (blst) against `BlsLib` (EIP-2537 precompiles, arkworks in revm),
//! `MessagesLib`'s state transition digest and state root, `Staking.registerBlsKey` and
//! `BlsVerifier.verify`, over seeded random inputs. A mismatch panics with the rule, the seed
//! (`SPN_DIFF_SEED=<seed>` replays it), the iteration and the input.
//!
//! Pairings and hashes to G2 cost milliseconds each in revm, so these rules run a fraction of
//! [`iterations`].

use std::path::PathBuf;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_sol_types::{SolConstructor, SolValue};
use rand::Rng;
use spn_bindings::errors::Errors::ErrorsErrors as E;
use spn_bindings::harness::{bls as harness, messages};
use spn_bindings::staking::Staking as S;
use spn_bindings::test_token::TestToken as T;
use spn_differential::{contracts, iterations, Arbitrary, Chain, Failure, Rules};
use spn_protocol::bls::{self, BlsPublicKey, BlsSecretKey, BlsSignature, DST_POP, DST_SIG};
use spn_protocol::{eip712, Params, StakingKey};

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
        if let Ok(k) = StakingKey::from_bytes(&rng.b256()) {
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

// ------------------------------------------------------------------------------------ Staking

const SLASH_SINK: Address = Address::repeat_byte(0x51);
const GENESIS: u64 = 1_000_000;

/// TestToken and Staking (devnet parameters) with stakers registered in Rust.
struct World {
    chain: Chain,
    params: Params,
    token: Address,
    staking: Address,
}

impl World {
    fn new() -> Self {
        let c = contracts(&work_dir());
        let params = Params::devnet();
        let mut chain = Chain::new();
        chain.set_timestamp(GENESIS);
        let token = chain.deploy(
            DEPLOYER,
            c.creation("TestToken"),
            &T::constructorCall {
                name_: "STK".into(),
                symbol_: "STK".into(),
            }
            .abi_encode(),
        );
        let staking = chain.deploy(
            DEPLOYER,
            c.creation("Staking"),
            &S::constructorCall {
                c: S::Config::from_params(&params, token, SLASH_SINK, GENESIS),
            }
            .abi_encode(),
        );
        Self {
            chain,
            params,
            token,
            staking,
        }
    }

    /// A fresh staking key, deposited (mint, approve, deposit from the key itself).
    fn deposit(&mut self, rng: &mut impl Rng) -> StakingKey {
        let key = loop {
            if let Ok(k) = StakingKey::from_bytes(&rng.b256()) {
                break k;
            }
        };
        let (a, stake, c) = (key.address(), self.params.stake_amount, &mut self.chain);
        c.call(
            DEPLOYER,
            self.token,
            &T::mintCall {
                to: a,
                amount: stake,
            },
        )
        .unwrap();
        c.call(
            a,
            self.token,
            &T::approveCall {
                spender: self.staking,
                value: stake,
            },
        )
        .unwrap();
        c.call(
            a,
            self.staking,
            &S::depositCall {
                withdrawer: withdrawer_of(a),
            },
        )
        .unwrap();
        key
    }

    fn register_bls(
        &mut self,
        from: Address,
        public_key: &[u8],
        proof: &[u8],
    ) -> Result<(), Failure> {
        self.chain
            .call(
                from,
                self.staking,
                &S::registerBlsKeyCall {
                    publicKey: public_key.to_vec().into(),
                    proof: proof.to_vec().into(),
                },
            )
            .map(|_| ())
    }

    /// Staking's (activationEpoch, exitEpoch) of `key`.
    fn epochs(&mut self, key: Address) -> (u32, u32) {
        let s = self.chain.view(self.staking, &S::getStakerCall { key });
        (s.activationEpoch, s.exitEpoch)
    }

    fn record(&mut self, key: Address) -> B256 {
        self.chain.view(self.staking, &S::blsRecordCall { key })
    }
}

fn withdrawer_of(key: Address) -> Address {
    Address::from_slice(&keccak256(("spn.withdrawer", key).abi_encode())[12..])
}

/// The error `registerBlsKey` must revert with for a registered key without a BLS key, by
/// `spn-protocol` (`None`: it accepts): lengths and the key at infinity first, then the proof (any
/// decoding failure is a bad proof).
fn expected_registration(key: Address, public_key: &[u8], proof: &[u8]) -> Option<E> {
    use spn_bindings::errors::Errors as Errs;
    if public_key.len() != 96 || proof.len() != 192 || public_key.iter().all(|&b| b == 0) {
        return Some(E::Staking__BlsInvalidKey(Errs::Staking__BlsInvalidKey {
            key,
        }));
    }
    let valid = BlsPublicKey::from_bytes(public_key)
        .is_ok_and(|pk| BlsSignature::from_eip2537(proof).is_ok_and(|pop| pk.verify_pop(&pop)));
    (!valid).then_some(E::Staking__BlsInvalidProof(
        Errs::Staking__BlsInvalidProof { key },
    ))
}

/// `Staking.registerBlsKey` accepts Rust PoPs and refuses what `spn-protocol` refuses, with the same
/// reason: flipped bits in the proof or the key, another key's PoP, a PoP under `DST_SIG`, a
/// transition signature, the key at infinity, wrong lengths. Then the stored key hash and record
/// are `bls::bls_record`'s, a second key is refused, and an exit rewrites the record.
#[test]
fn register_bls_keys() {
    let mut w = World::new();
    let mut r = Rules::new("Staking.registerBlsKey");
    let mut records = Rules::new("Staking.blsRecord");
    let mut accepted = 0usize;
    for i in 0..bls_iterations() / 2 {
        let staking_key = w.deposit(&mut r.rng);
        let a = staking_key.address();
        let key = BlsSecretKey::derive(&staking_key);
        let pk = key.public_key().to_bytes().to_vec();
        let pop = key.pop().to_eip2537().to_vec();
        let flip = |bytes: &[u8], rng: &mut rand::rngs::StdRng| {
            let mut b = bytes.to_vec();
            let bit = rng.random_range(0..b.len() * 8);
            b[bit / 8] ^= 0x80 >> (bit % 8);
            b
        };
        let (public_key, proof) = match i % 10 {
            0..=2 => (pk.clone(), pop.clone()),
            3 => (pk.clone(), flip(&pop, &mut r.rng)),
            4 => (flip(&pk, &mut r.rng), pop.clone()),
            5 => (
                pk.clone(),
                random_key(&mut r.rng).pop().to_eip2537().to_vec(),
            ),
            6 => (
                pk.clone(),
                key.sign(key.public_key().compress().as_slice(), DST_SIG)
                    .to_eip2537()
                    .to_vec(),
            ),
            7 => (
                pk.clone(),
                key.sign_transition(r.rng.b256()).to_eip2537().to_vec(),
            ),
            8 => (vec![0u8; 96], pop.clone()),
            _ => match r.rng.random_range(0..3) {
                0 => (pk[..95].to_vec(), pop.clone()),
                1 => (pk.clone(), [&pop[..], &[0]].concat()),
                _ => (pk.clone(), vec![0u8; 192]),
            },
        };
        let sol = w
            .register_bls(a, &public_key, &proof)
            .err()
            .map(|f| f.spn_error().expect("an SPN error"));
        let ok = sol.is_none();
        r.check(
            i,
            (
                a,
                Bytes::from(public_key.clone()),
                Bytes::from(proof.clone()),
            ),
            expected_registration(a, &public_key, &proof),
            sol,
        );
        if !ok {
            // Refused, so still without a key: the right PoP goes through now.
            w.register_bls(a, &pk, &pop)
                .expect("the PoP after a refusal");
        }
        accepted += usize::from(ok);
        let (activation, exit) = w.epochs(a);
        let stored = (
            w.chain.view(w.staking, &S::blsKeyHashCall { key: a }),
            w.record(a),
        );
        let pk_hash = keccak256(&pk);
        records.check(
            i,
            a,
            (pk_hash, bls::bls_record(pk_hash, activation, exit)),
            stored,
        );
        // Set once.
        let again = w.register_bls(a, &pk, &pop).unwrap_err().spn_error();
        assert!(
            matches!(again, Some(E::Staking__BlsKeyExists(_))),
            "{again:?}"
        );
        // The exit hook: the record follows the new exit epoch.
        if i % 4 == 0 {
            w.chain
                .call(withdrawer_of(a), w.staking, &S::initiateExitCall { key: a })
                .unwrap();
            let (activation, exit) = w.epochs(a);
            assert_ne!(exit, u32::MAX);
            let stored = w.record(a);
            records.check(
                i,
                (a, exit),
                bls::bls_record(pk_hash, activation, exit),
                stored,
            );
        }
    }
    // Not a staking key.
    let stranger = Address::repeat_byte(0x77);
    let key = random_key(&mut r.rng);
    let refused = w
        .register_bls(
            stranger,
            key.public_key().to_bytes().as_slice(),
            key.pop().to_eip2537().as_slice(),
        )
        .unwrap_err()
        .spn_error();
    assert!(
        matches!(refused, Some(E::Staking__NotRegistered(_))),
        "{refused:?}"
    );
    report(&[&r, &records]);
    assert!(accepted >= bls_iterations() / 8, "{accepted} accepted");
}
