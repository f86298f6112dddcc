//! Differential tests of the training wheel (docs/design/bls-training-wheel.md §5, §7):
//! `spn_protocol::bls` (blst) against `BlsLib` (EIP-2537 precompiles, arkworks in revm),
//! `MessagesLib`'s state transition digest and state root, `Staking.registerBlsKey` and
//! `BlsVerifier.verify`, over seeded random inputs. A mismatch panics with the rule, the seed
//! (`SPN_DIFF_SEED=<seed>` replays it), the iteration and the input.
//!
//! Pairings and hashes to G2 cost milliseconds each in revm, so these rules run a fraction of
//! [`iterations`].

mod common;

use common::{deploy, deposit, fresh_key, withdrawer_of, work_dir, DEPLOYER};

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_sol_types::SolConstructor;
use rand::Rng;
use spn_bindings::bls_verifier::{BlsVerifier as V, IBlsVerifier};
use spn_bindings::errors::Errors as X;
use spn_bindings::errors::Errors::ErrorsErrors as E;
use spn_bindings::harness::{bls as harness, messages};
use spn_bindings::staking::Staking as S;
use spn_bindings::test_token::TestToken as T;
use spn_differential::{contracts, iterations, Arbitrary, Chain, Failure, Rules};
use spn_protocol::bls::{
    self, BlsPublicKey, BlsSecretKey, BlsSignature, Signer, Transition, TransitionContext,
    TransitionError, DST_POP, DST_SIG,
};
use spn_protocol::{eip712, selection, Clock, Error, Params, StakingKey};

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
    for (name, forge) in [
        (
            "BlsDiffHarness",
            &spn_bindings::harness::BlsDiffHarness::DEPLOYED_BYTECODE,
        ),
        ("BlsVerifier", &spn_bindings::BlsVerifier::DEPLOYED_BYTECODE),
    ] {
        assert!(
            c.runtime(name) == forge,
            "{name}: the forge artifact in out/ is stale, run `make build`"
        );
    }
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
        let key = fresh_key(rng);
        let stake = self.params.stake_amount;
        deposit(
            &mut self.chain,
            self.token,
            self.staking,
            key.address(),
            stake,
        );
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

    /// Registers `key` as the BLS key of a fresh staker with its PoP; panics if Staking refuses.
    fn member(&mut self, rng: &mut impl Rng, key: BlsSecretKey) -> Member {
        let address = self.deposit(rng).address();
        self.register_bls(
            address,
            key.public_key().to_bytes().as_slice(),
            key.pop().to_eip2537().as_slice(),
        )
        .expect("a Rust PoP is accepted");
        let (activation, exit) = self.epochs(address);
        Member {
            address,
            key,
            activation,
            exit,
        }
    }

    /// Moves the chain to the first slot of `epoch`.
    fn warp_to_epoch(&mut self, epoch: u64) {
        let clock = Clock::from_params(GENESIS, &self.params).expect("devnet clock");
        let slot = clock.first_slot(epoch).expect("slot");
        self.chain
            .set_timestamp(clock.slot_start(slot).expect("timestamp"));
    }
}

/// A staker with a registered BLS key, and Staking's epochs of it.
#[derive(Debug)]
struct Member {
    address: Address,
    key: BlsSecretKey,
    activation: u32,
    exit: u32,
}

impl Member {
    fn signer(&self) -> Signer {
        Signer::new(
            self.address,
            self.activation,
            self.exit,
            self.key.public_key(),
        )
    }

    fn active(&self, epoch: u64) -> bool {
        u64::from(self.activation) <= epoch && epoch < u64::from(self.exit)
    }
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

// ------------------------------------------------------------------------------------ BlsVerifier

/// What a `verify` returned, comparable across the two sides.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// `(postStateRoot, signers)`.
    Valid(B256, U256),
    /// An SPN error.
    Reverted(E),
    /// Anything else (a halt, a revert without an SPN error, a Rust error of no Solidity twin).
    Other(String),
}

impl Outcome {
    /// The variant's name, for the coverage report.
    fn name(&self) -> String {
        let text = format!("{self:?}");
        match self {
            Self::Reverted(_) => text
                .trim_start_matches("Reverted(")
                .split('(')
                .next()
                .unwrap_or_default()
                .to_owned(),
            Self::Valid(..) => "Valid".to_owned(),
            Self::Other(_) => text,
        }
    }
}

/// Rust's first error as the contract encodes it, positions moved to calldata (`offset` is the
/// calldata position of the transition's first byte).
fn as_solidity(e: TransitionError, offset: u64) -> E {
    use TransitionError::*;
    match e {
        Malformed { at, end } => E::Bls__Malformed(X::Bls__Malformed {
            at: U256::from(at + offset),
            end: U256::from(end + offset),
        }),
        TooFewSigners { count, required } => E::Bls__TooFewSigners(X::Bls__TooFewSigners {
            count: U256::from(count),
            required: U256::from(required),
        }),
        SignersNotAscending { previous, next } => {
            E::Bls__SignersNotAscending(X::Bls__SignersNotAscending { previous, next })
        }
        SignerNotActive { signer, epoch } => E::Bls__SignerNotActive(X::Bls__SignerNotActive {
            signer,
            epoch: U256::from(epoch),
        }),
        NotInCommittee {
            signer,
            score,
            threshold,
        } => E::Bls__NotInCommittee(X::Bls__NotInCommittee {
            signer,
            score,
            threshold,
        }),
        KeyMismatch { signer } => E::Bls__KeyMismatch(X::Bls__KeyMismatch { signer }),
        AggregateIsInfinity => E::Bls__AggregateIsInfinity(X::Bls__AggregateIsInfinity {}),
        BadSignature => E::Bls__BadSignature(X::Bls__BadSignature {}),
    }
}

/// `BlsVerifier.verify(ctx, transition)` in revm and `bls::verify_packed` with Staking's records.
fn both(
    w: &mut World,
    verifier: Address,
    ctx: &TransitionContext,
    transition: &[u8],
) -> (Outcome, Outcome) {
    let call = V::verifyCall {
        ctx: IBlsVerifier::TransitionContext::from_context(ctx, w.staking),
        transition: transition.to_vec().into(),
    };
    // `transition` is the call's last argument: its bytes end the calldata, padded to a word.
    let calldata = alloy_sol_types::SolCall::abi_encode(&call);
    let offset = (calldata.len() - transition.len().div_ceil(32) * 32) as u64;
    let sol = match w.chain.call(DEPLOYER, verifier, &call) {
        Ok(r) => Outcome::Valid(r.postStateRoot, r.signers),
        Err(f) => match f.spn_error() {
            Some(e) => Outcome::Reverted(e),
            None => Outcome::Other(format!("{f:?}")),
        },
    };
    let staking = w.staking;
    let chain = &mut w.chain;
    let rust = match bls::verify_packed(transition, ctx, |key| {
        chain.view(staking, &S::blsRecordCall { key })
    }) {
        Ok(v) => Outcome::Valid(v.post_state_root, U256::from(v.signers)),
        Err(Error::Transition(e)) => Outcome::Reverted(as_solidity(e, offset)),
        Err(e) => Outcome::Other(e.to_string()),
    };
    (rust, sol)
}

/// The transition `who` sign for `ctx` (an empty signer list gets the signature of nobody: zeros).
fn signed(ctx: &TransitionContext, who: &[&Member]) -> Transition {
    if who.is_empty() {
        return Transition::default();
    }
    let digest = ctx.digest();
    Transition::aggregate(
        who.iter()
            .map(|m| (m.signer(), m.key.sign_transition(digest)))
            .collect(),
    )
    .expect("signers")
}

/// Aggregates of random round-1 members verify in `BlsVerifier` with Rust's state root and count,
/// and corrupted transitions (structure, order, epochs, committee, keys, signatures, context, keys
/// cancelling out) fail with the same first error in both, positions included.
///
/// Staking holds 48 members with BLS keys (some deposited in a later epoch, some exiting), 6
/// stakers without one, and a pair of keys k and −k. Each iteration draws a block context (slot
/// seed, epoch, N, height, R, bps) and signs with a random subset of the eligible members.
#[test]
fn transitions() {
    let mut r = Rules::new("BlsVerifier.verify (valid)");
    let mut bad = Rules::new("BlsVerifier.verify (corrupted)");
    let mut w = World::new();
    let verifier = {
        let code = contracts(&work_dir()).creation("BlsVerifier").clone();
        w.chain.deploy(DEPLOYER, &code, &[])
    };
    let mut members: Vec<Member> = Vec::new();
    for i in 0..48 {
        if i == 36 {
            w.warp_to_epoch(4); // later deposits activate later
        }
        let key = random_key(&mut r.rng);
        members.push(w.member(&mut r.rng, key));
    }
    w.warp_to_epoch(6);
    for m in members.iter_mut().step_by(5) {
        w.chain
            .call(
                withdrawer_of(m.address),
                w.staking,
                &S::initiateExitCall { key: m.address },
            )
            .unwrap();
        (m.activation, m.exit) = w.epochs(m.address);
    }
    let bare: Vec<Address> = (0..6).map(|_| w.deposit(&mut r.rng).address()).collect();
    // k and −k under two stakers: their keys sum to infinity, and so do their signatures.
    let scalar = U256::from_be_bytes(r.rng.b256().0) % ORDER;
    let pair = [scalar, ORDER - scalar].map(|s| {
        let key = BlsSecretKey::from_bytes(&B256::from(s)).expect("a scalar below the order");
        w.member(&mut r.rng, key)
    });
    let max_epoch = members.iter().map(|m| m.activation).max().unwrap_or(0) as u64 + 4;

    let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
    let mut valid = 0usize;
    for i in 0..bls_iterations() {
        let rng = &mut r.rng;
        let ctx = TransitionContext {
            domain_separator: rng.b256(),
            block_hash: rng.b256(),
            tx_root: rng.b256(),
            pre_state_root: if rng.random_bool(0.1) {
                B256::ZERO
            } else {
                rng.b256()
            },
            slot_seed: rng.b256(),
            epoch: rng.random_range(0..=max_epoch),
            active_count: match rng.random_range(0..3) {
                0 => members.len() as u64,
                1 => rng.random_range(1..=200),
                _ => rng.random_range(0..=4),
            },
            height: rng.random_range(3..=8),
            round_height: 2,
            redundancy: rng.random_range(1..=3),
            threshold_bps: if rng.random_bool(0.8) {
                rng.random_range(1..=2_500)
            } else {
                rng.random_range(1..=10_000)
            },
        };
        let quorum = ctx.quorum().expect("a context of the Rollup's rules");
        let eligible: Vec<&Member> = members
            .iter()
            .filter(|m| {
                m.active(ctx.epoch) && selection::score(m.address, ctx.slot_seed) < quorum.threshold
            })
            .collect();
        let who: Vec<&Member> = if eligible.len() as u64 >= quorum.required {
            let k = rng.random_range(quorum.required as usize..=eligible.len());
            let mut picked = eligible.clone();
            while picked.len() > k {
                picked.swap_remove(rng.random_range(0..picked.len()));
            }
            picked
        } else {
            eligible.clone()
        };
        let t = signed(&ctx, &who);
        let bytes = t.encode().unwrap();
        let (rust, sol) = both(&mut w, verifier, &ctx, &bytes);
        valid += usize::from(matches!(sol, Outcome::Valid(..)));
        if let Outcome::Valid(post, _) = &sol {
            assert_eq!(*post, bls::state_root_next(ctx.pre_state_root, ctx.tx_root));
        }
        *outcomes.entry(sol.name()).or_default() += 1;
        r.check(i, (&ctx, Bytes::from(bytes.clone())), rust, sol);

        for _ in 0..2 {
            let (label, ctx2, bytes2) =
                corrupt(&mut bad.rng, &ctx, &t, &bytes, &members, &bare, &pair);
            let (rust, sol) = both(&mut w, verifier, &ctx2, &bytes2);
            *outcomes.entry(sol.name()).or_default() += 1;
            bad.check(i, (label, &ctx2, Bytes::from(bytes2)), rust, sol);
        }
    }
    report(&[&r, &bad]);
    println!("outcomes (Solidity): {outcomes:?}");
    assert!(
        valid >= bls_iterations() / 3,
        "only {valid} valid transitions"
    );
    for name in [
        "Valid",
        "Bls__Malformed",
        "Bls__TooFewSigners",
        "Bls__SignersNotAscending",
        "Bls__SignerNotActive",
        "Bls__NotInCommittee",
        "Bls__KeyMismatch",
        "Bls__AggregateIsInfinity",
        "Bls__BadSignature",
    ] {
        assert!(outcomes.contains_key(name), "no {name} among {outcomes:?}");
    }
}

/// The BLS12-381 group order r.
const ORDER: U256 = U256::from_be_bytes(alloy_primitives::hex!(
    "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001"
));

/// One random corruption of a valid (or at least well-formed) transition: its label, the context
/// and the bytes to verify.
fn corrupt(
    rng: &mut rand::rngs::StdRng,
    ctx: &TransitionContext,
    t: &Transition,
    bytes: &[u8],
    members: &[Member],
    bare: &[Address],
    pair: &[Member; 2],
) -> (&'static str, TransitionContext, Vec<u8>) {
    let mut ctx = ctx.clone();
    let mut t = t.clone();
    let n = t.signers.len();
    let reencode = |t: &Transition| t.encode().unwrap();
    let flip = |b: &mut [u8], rng: &mut rand::rngs::StdRng| {
        let bit = rng.random_range(0..b.len() * 8);
        b[bit / 8] ^= 0x80 >> (bit % 8);
    };
    let kind = rng.random_range(0..16);
    let (label, out) = match kind {
        0 => {
            let len = rng.random_range(0..194.min(bytes.len()));
            ("truncated header", bytes[..len].to_vec())
        }
        1 => {
            let mut b = bytes.to_vec();
            let count = match rng.random_range(0..3) {
                0 => (n as u16).wrapping_add(1),
                1 => (n as u16).wrapping_sub(1),
                _ => rng.random(),
            };
            b[192..194].copy_from_slice(&count.to_be_bytes());
            ("count", b)
        }
        2 => {
            let mut b = bytes.to_vec();
            if rng.random_bool(0.5) && b.len() > 194 {
                b.truncate(b.len() - rng.random_range(1..=123));
            } else {
                b.extend((0..rng.random_range(1..200)).map(|_| rng.random::<u8>()));
            }
            ("length", b)
        }
        3 if n >= 2 => {
            let j = rng.random_range(1..n);
            t.signers.swap(j - 1, j);
            ("swapped", reencode(&t))
        }
        4 if n >= 2 => {
            let j = rng.random_range(1..n);
            t.signers[j] = t.signers[j - 1].clone();
            ("repeated", reencode(&t))
        }
        5 if n >= 1 => {
            let j = rng.random_range(0..n);
            let e = ctx.epoch.min(u64::from(u32::MAX)) as u32;
            let s = &mut t.signers[j];
            match rng.random_range(0..5) {
                0 => s.activation = e.saturating_add(1),
                1 => s.exit = e,
                2 => s.activation = s.activation.saturating_sub(1),
                3 => s.exit = s.exit.wrapping_add(1),
                _ => s.exit = rng.random(),
            }
            ("epochs", reencode(&t))
        }
        6 | 7 => {
            // A staker that is not eligible (inactive or outside the committee) or has no key.
            let (address, signer) = if kind == 6 {
                let m = &members[rng.random_range(0..members.len())];
                (m.address, m.signer())
            } else {
                let a = bare[rng.random_range(0..bare.len())];
                let mut s = members[0].signer();
                s.address = a;
                s.activation = 0;
                (a, s)
            };
            if t.signers.iter().all(|s| s.address != address) {
                let at = t.signers.partition_point(|s| s.address < address);
                t.signers.insert(at, signer);
            }
            (
                if kind == 6 {
                    "another member"
                } else {
                    "no BLS key"
                },
                reencode(&t),
            )
        }
        8 if n >= 1 => {
            let j = rng.random_range(0..n);
            t.signers[j].public_key = members[rng.random_range(0..members.len())]
                .key
                .public_key()
                .to_bytes();
            ("another key", reencode(&t))
        }
        9 if n >= 1 => {
            let j = rng.random_range(0..n);
            flip(&mut t.signers[j].public_key.0, rng);
            ("key bit", reencode(&t))
        }
        10 => {
            flip(&mut t.signature.0, rng);
            ("signature bit", reencode(&t))
        }
        11 => {
            t.signature = match rng.random_range(0..4) {
                0 => alloy_primitives::FixedBytes::ZERO,
                1 => members[0].key.sign_transition(rng.b256()).to_eip2537(),
                2 => members[0].key.pop().to_eip2537(),
                _ => {
                    let mut s = t.signature;
                    // x.c0 = p: a coordinate not below the modulus.
                    s.0[..48].copy_from_slice(&alloy_primitives::hex!(
                        "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab"
                    ));
                    s
                }
            };
            ("signature", reencode(&t))
        }
        12 if n >= 1 => {
            t.signers.remove(rng.random_range(0..n));
            ("signer dropped", reencode(&t))
        }
        13 => {
            match rng.random_range(0..7) {
                0 => ctx.pre_state_root = rng.b256(),
                1 => ctx.block_hash = rng.b256(),
                2 => ctx.domain_separator = rng.b256(),
                3 => ctx.tx_root = rng.b256(),
                4 => ctx.epoch = rng.random_range(0..=ctx.epoch + 8),
                5 => ctx.slot_seed = rng.b256(),
                _ => ctx.threshold_bps = rng.random_range(1..=10_000),
            }
            ("context", bytes.to_vec())
        }
        14 => {
            // k and −k alone: both in the committee of a seed found here, one signer required.
            ctx.threshold_bps = 1;
            ctx.epoch = ctx
                .epoch
                .max(u64::from(pair[0].activation.max(pair[1].activation)));
            let threshold = ctx.quorum().expect("context").threshold;
            for _ in 0..64 {
                if pair
                    .iter()
                    .all(|m| selection::score(m.address, ctx.slot_seed) < threshold)
                {
                    break;
                }
                ctx.slot_seed = rng.b256();
            }
            let t = signed(&ctx, &[&pair[0], &pair[1]]);
            ("keys cancel", reencode(&t))
        }
        _ => {
            if let Some(s) = t.signers.first_mut() {
                s.address = Address::ZERO;
            }
            ("zero signer", reencode(&t))
        }
    };
    (label, ctx, out)
}
