//! `SimL1` against the real contracts in revm: deployment and activation of the keys, a proposal
//! with attestations signed in Rust, reverts decoded, determinism, and the timings the simulator
//! depends on (2048 keys, a full height-11 proof).

use std::path::PathBuf;
use std::time::Instant;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_sol_types::SolValue;
use spn_bindings::rollup::{IRollup, Rollup as R};
use spn_bindings::staking::Staking as S;
use spn_protocol::{
    eip712, selection, BlockTree, Header, Params, Schedule, SlotSchedule, StakingKey,
    TranscriptBuilder,
};
use spn_sim::{l1, SimL1};

fn work_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("spn-sim-contracts")
}

/// `count` deterministic staking keys.
fn keys(count: usize) -> Vec<StakingKey> {
    (0u64..)
        .filter_map(|i| StakingKey::from_bytes(&keccak256(("spn.sim.test", i).abi_encode())).ok())
        .take(count)
        .collect()
}

fn addresses(keys: &[StakingKey]) -> Vec<Address> {
    keys.iter().map(StakingKey::address).collect()
}

/// A proposal ready to send: the slot, its header and attestations (ascending signers).
struct Proposal {
    header: Header,
    attestations: Vec<IRollup::Signature>,
    tree: BlockTree,
}

/// Moves to the first slot at or after `from` with a sequencer and an attestation quorum among
/// `keys` (seed read from the Rollup), mines its block and builds the proposal of `height` on
/// the pending tip.
fn next_proposal(l1: &mut SimL1, keys: &[StakingKey], from: u64, height: u8) -> Proposal {
    let params = l1.params().clone();
    let n = keys.len() as u64;
    let floor = selection::sequencer_floor_for(&params, n);
    let threshold = selection::attestation_threshold(&params, n);
    let (slot, proposer, mut attesters) = (from..from + 1000)
        .find_map(|slot| {
            let seed = l1.slot_seed(slot);
            let scored: Vec<(U256, &StakingKey)> = keys
                .iter()
                .map(|k| (selection::score(k.address(), seed), k))
                .collect();
            let best = scored
                .iter()
                .filter(|(s, _)| *s > floor)
                .max_by_key(|(s, _)| *s)?;
            let attesters: Vec<&StakingKey> = scored
                .iter()
                .filter(|(s, _)| *s < threshold)
                .map(|(_, k)| *k)
                .collect();
            (attesters.len() as u64 >= params.attestation_quorum)
                .then(|| (slot, best.1.address(), attesters))
        })
        .expect("a usable slot");
    attesters.sort_by_key(|k| k.address());
    l1.mine(l1.clock().slot_start(slot).unwrap());

    let txs: Vec<Vec<u8>> = (0..1usize << height)
        .map(|i| format!("tx {i} of slot {slot}").into_bytes())
        .collect();
    let tree = BlockTree::from_transactions(height.into(), &txs).unwrap();
    let (pending, _) = l1.tips();
    let header = Header {
        number: pending + 1,
        parentHash: l1.block_hash_of(pending),
        slot,
        proposer,
        txRoot: tree.root(),
        height,
    };
    let domain = l1.domain();
    let hash = header.hash();
    let attestations = attesters
        .iter()
        .map(|k| {
            let s = k.sign_attestation(&domain, slot, hash);
            IRollup::Signature { r: s.r, vs: s.vs }
        })
        .collect();
    Proposal {
        header,
        attestations,
        tree,
    }
}

fn propose_call(p: &Proposal) -> R::proposeCall {
    R::proposeCall {
        args: IRollup::ProposeArgs {
            slot: p.header.slot,
            txRoot: p.header.txRoot,
            height: p.header.height,
        },
        attestations: p.attestations.clone(),
    }
}

#[test]
fn every_key_is_active_in_the_first_slot() {
    let params = Params::devnet();
    let keys = keys(64);
    let mut l1 = SimL1::deploy(&params, &addresses(&keys), 7, &work_dir()).unwrap();
    let first = l1.first_slot();
    let epoch = l1.clock().epoch_of(first);
    assert_eq!(epoch, params.set_change_delay);
    assert_eq!(l1.current_slot(), first);
    assert_eq!(l1.timestamp(), l1.clock().slot_start(first).unwrap());
    assert_eq!(l1.chain_id(), l1::CHAIN_ID);
    assert_eq!(l1.active_count(epoch), 64);
    assert_eq!(l1.active_count(epoch - 1), 0);
    assert_ne!(l1.epoch_seed(epoch), B256::ZERO);
    // The first active epoch's seed was sampled after the registrations (not the constructor's).
    assert_ne!(l1.epoch_seed(epoch), l1.epoch_seed(params.seed_lookahead));
    for k in &keys {
        let a = k.address();
        let active = l1
            .view(
                l1.staking(),
                &S::isActiveCall {
                    key: a,
                    epoch: U256::from(epoch),
                },
            )
            .unwrap();
        assert!(active, "{a} active");
        let staker = l1.view(l1.staking(), &S::getStakerCall { key: a }).unwrap();
        assert_eq!(staker.withdrawer, l1.withdrawer_of(a));
        assert_ne!(l1.withdrawer_of(a), a);
    }
    // The pool holds POOL_BLOCKS full payouts.
    let due = params.submitter_reward
        + params.sequencer_base
        + params.sequencer_coverage
        + params.provers_reward;
    let pool = l1.view(l1.rollup(), &R::poolCall {}).unwrap();
    assert_eq!(U256::from(pool.balance), due * U256::from(l1::POOL_BLOCKS));
    assert_eq!(
        l1.balance_of(l1.reward_token(), l1.rollup()),
        due * U256::from(l1::POOL_BLOCKS)
    );
    assert_eq!(l1.rewards_owed(keys[0].address()), U256::ZERO);
    // A duplicate key is refused with the Staking error.
    let mut twice = addresses(&keys[..2]);
    twice.push(twice[0]);
    let err = SimL1::deploy(&params, &twice, 7, &work_dir()).unwrap_err();
    assert!(err.contains("Staking__AlreadyRegistered"), "{err}");
}

#[test]
fn propose_with_rust_attestations_and_decoded_reverts() {
    let params = Params::devnet();
    let keys = keys(64);
    let mut l1 = SimL1::deploy(&params, &addresses(&keys), 11, &work_dir()).unwrap();
    let first = l1.first_slot();
    let p = next_proposal(&mut l1, &keys, first, params.min_height);
    let call = propose_call(&p);
    let r = l1.execute_call(p.header.proposer, l1.rollup(), &call);
    assert!(r.success, "{:?}", r.revert);
    assert_eq!(r.revert, None);
    assert_eq!(r.returns::<R::proposeCall>(), Some(U256::from(1)));
    let ev = r.event::<R::BlockProposed>().expect("BlockProposed");
    assert_eq!(
        (ev.number, ev.blockHash, ev.slot, ev.proposer, ev.txRoot),
        (
            U256::from(1),
            p.header.hash(),
            U256::from(p.header.slot),
            p.header.proposer,
            p.header.txRoot
        )
    );
    assert!(r.gas_used > 100_000, "propose gas {}", r.gas_used);
    println!(
        "propose with {} attestations: {} gas",
        p.attestations.len(),
        r.gas_used
    );
    assert_eq!(l1.tips(), (1, 0));
    assert_eq!(l1.block_hash_of(1), p.header.hash());

    // Reverts: decoded SPN errors, gas still reported, nothing committed.
    let mut wrong = call.clone();
    wrong.args.slot += 1;
    let r = l1.execute_call(p.header.proposer, l1.rollup(), &wrong);
    assert!(!r.success);
    assert!(r.logs.is_empty());
    assert!(r.gas_used > 21_000);
    let reason = r.revert.unwrap();
    assert!(reason.starts_with("Rollup__WrongSlot {"), "{reason}");
    let stranger = Address::repeat_byte(0x77);
    let r = l1.execute_call(stranger, l1.rollup(), &call);
    assert!(
        r.revert
            .as_deref()
            .unwrap()
            .starts_with("Rollup__NotActive"),
        "{:?}",
        r.revert
    );
    // An ERC-20 error of OpenZeppelin and an undecodable call.
    let r = l1.execute_call(
        stranger,
        l1.reward_token(),
        &spn_bindings::TestToken::transferCall {
            to: Address::repeat_byte(1),
            value: U256::from(1),
        },
    );
    assert!(
        r.revert
            .as_deref()
            .unwrap()
            .starts_with("ERC20InsufficientBalance"),
        "{:?}",
        r.revert
    );
    let r = l1.execute(stranger, l1.rollup(), Bytes::from_static(&[1, 2, 3, 4]));
    assert_eq!(r.revert.as_deref(), Some("empty revert data"));
    let err = l1.view(l1.rollup(), &wrong).unwrap_err();
    assert!(err.starts_with("Rollup__WrongSlot"), "{err}");
    assert_eq!(l1.tips(), (1, 0));

    // The keeper's call: samples the seed of currentEpoch + L.
    let epoch = l1.clock().epoch_of(l1.current_slot());
    let target = epoch + params.seed_lookahead;
    let r = l1.execute_call(
        Address::repeat_byte(0x5e),
        l1.rollup(),
        &R::sampleSeedCall {},
    );
    assert!(r.success);
    let expected = selection::sampled_epoch_seed(U256::from_be_bytes(l1.prevrandao().0), target);
    assert_eq!(U256::from_be_bytes(l1.epoch_seed(target).0), expected);
}

#[test]
fn same_seed_same_chain() {
    let params = Params::devnet();
    let keys = addresses(&keys(32));
    let run = |seed: u64| {
        let mut l1 = SimL1::deploy(&params, &keys, seed, &work_dir()).unwrap();
        let mut trace = vec![(
            l1.rollup(),
            l1.block_number(),
            l1.prevrandao(),
            l1.epoch_seed(params.set_change_delay),
        )];
        let start = l1.timestamp();
        for i in 1..=6u64 {
            l1.mine(start + i * params.slot_duration * params.epoch_duration);
            let r = l1.execute_call(
                Address::repeat_byte(0x5e),
                l1.rollup(),
                &R::sampleSeedCall {},
            );
            assert!(r.success);
            let epoch = l1.clock().epoch_of(l1.current_slot()) + params.seed_lookahead;
            trace.push((
                l1.rollup(),
                l1.block_number(),
                l1.prevrandao(),
                l1.epoch_seed(epoch),
            ));
        }
        trace
    };
    let a = run(42);
    assert_eq!(a, run(42));
    let b = run(43);
    assert_eq!(a[0].0, b[0].0, "addresses do not depend on the seed");
    assert_ne!(a[0].3, b[0].3);
    assert_ne!(a.last().unwrap().2, b.last().unwrap().2);
}

/// Timings the simulator depends on, at its scale: 2048 keys deployed and registered, then one
/// height-11 block (testnet parameters: the largest) proposed and proven with a full
/// transcript.
#[test]
fn timings_at_2048_keys() {
    let params = Params::testnet();
    let keys = keys(2048);
    let stakers = addresses(&keys);
    spn_differential::contracts(&work_dir()); // compile (or load) outside the timing
    let t = Instant::now();
    let mut l1 = SimL1::deploy(&params, &stakers, 1, &work_dir()).unwrap();
    let deploy = t.elapsed();
    assert_eq!(l1.active_count(params.set_change_delay), 2048);

    let height = params.max_height;
    let first = l1.first_slot();
    let p = next_proposal(&mut l1, &keys, first, height);
    let call = propose_call(&p);
    let t = Instant::now();
    let r = l1.execute_call(p.header.proposer, l1.rollup(), &call);
    let propose = t.elapsed();
    assert!(r.success, "{:?}", r.revert);
    let propose_gas = r.gas_used;

    // A full transcript: every committee job filled by its first eligible member.
    let seed = l1.slot_seed(p.header.slot);
    let slot = SlotSchedule::build(&params, height, seed, 2048, &stakers).unwrap();
    let schedule = Schedule::new(&params, height).unwrap();
    let outputs = p.tree.job_outputs(&schedule).unwrap();
    let domain = eip712::domain(l1.chain_id(), l1.rollup());
    let hash = p.header.hash();
    let mut b = TranscriptBuilder::new(outputs.clone());
    for job in 0..schedule.prover_jobs() {
        if let Some(m) = slot.fillers(job).next() {
            let key = keys.iter().find(|k| k.address() == m.address).unwrap();
            let sig = key.sign_job_result(&domain, hash, job, outputs[job as usize]);
            b.add(m.address, job, sig).unwrap();
        }
    }
    let proof = b.build().encode().unwrap();
    let submit = R::submitProofCall {
        header: (&p.header).into(),
        proof: Bytes::from(proof.clone()),
    };
    let t = Instant::now();
    let r = l1.execute_call(Address::repeat_byte(0x5b), l1.rollup(), &submit);
    let prove = t.elapsed();
    assert!(r.success, "{:?}", r.revert);
    assert!(r.event::<R::BlockProven>().is_some());
    let prove_gas = r.gas_used;

    let t = Instant::now();
    let r = l1.execute_call(
        Address::repeat_byte(0x5e),
        l1.rollup(),
        &R::sampleSeedCall {},
    );
    let sample = t.elapsed();
    assert!(r.success);
    let t = Instant::now();
    let owed = l1.rewards_owed(Address::repeat_byte(0x5b));
    let view = t.elapsed();
    assert!(!owed.is_zero());

    println!("deploy + register 2048 keys: {deploy:?}");
    println!(
        "propose height {height} ({} attestations): {propose:?}, {propose_gas} gas",
        p.attestations.len()
    );
    println!(
        "submitProof height {height} ({} prover jobs, {} bytes): {prove:?}, {prove_gas} gas",
        schedule.prover_jobs(),
        proof.len()
    );
    println!("sampleSeed: {sample:?}, {} gas", r.gas_used);
    println!("rewardsOwed view: {view:?}");
}
