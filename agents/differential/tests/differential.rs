//! Differential tests: every rule of `spn-protocol` against its Solidity twin, compiled
//! in-process from `contracts/` and `test/harness/` and executed in revm, over seeded random
//! inputs ([`iterations`] per rule). A mismatch panics with the rule, the seed
//! (`SPN_DIFF_SEED=<seed>` replays it), the iteration and the input.

mod common;

use common::{deploy, u, work_dir, DEPLOYER};

use alloy_primitives::{Address, Bytes, B256, U256};
use rand::Rng;
use spn_bindings::harness::{
    domain, inactivity, messages, reward, seed, signature, sortition, time, tree,
};
use spn_differential::{contracts, iterations, repo_root, Arbitrary, Chain, Rules};
use spn_protocol::schedule::{CostWeights, Schedule};
use spn_protocol::signing::{self, CompactSignature, StakingKey, HALF_ORDER};
use spn_protocol::{eip712, inactivity as inact, rewards, selection, time as ptime, transcript};
use spn_protocol::{tree as ptree, Header, Params};

fn report(rules: &[&Rules]) {
    for r in rules {
        println!(
            "rule {:<40} {:>6} checks (seed {})",
            r.name, r.checks, r.seed
        );
    }
}

// ------------------------------------------------------------------------------------ bytecode

/// The bytecode compiled here is the bytecode of the forge artifacts the bindings come from: the
/// ABI the tests (and agents) encode with belongs to the code that runs.
#[test]
fn bindings_match_the_sources() {
    let c = contracts(&work_dir());
    let pairs: [(&str, &Bytes); 8] = [
        ("Rollup", &spn_bindings::Rollup::DEPLOYED_BYTECODE),
        ("Staking", &spn_bindings::Staking::DEPLOYED_BYTECODE),
        (
            "TranscriptVerifier",
            &spn_bindings::TranscriptVerifier::DEPLOYED_BYTECODE,
        ),
        ("TestToken", &spn_bindings::TestToken::DEPLOYED_BYTECODE),
        (
            "SortitionHarness",
            &spn_bindings::harness::SortitionHarness::DEPLOYED_BYTECODE,
        ),
        (
            "TreeHarness",
            &spn_bindings::harness::TreeHarness::DEPLOYED_BYTECODE,
        ),
        (
            "RewardHarness",
            &spn_bindings::harness::RewardHarness::DEPLOYED_BYTECODE,
        ),
        (
            "SignatureHarness",
            &spn_bindings::harness::SignatureHarness::DEPLOYED_BYTECODE,
        ),
    ];
    for (name, forge) in pairs {
        assert!(
            c.runtime(name) == forge,
            "{name}: the forge artifact in out/ differs from {} compiled now: out/ is stale, run `make build`",
            repo_root().join("contracts").display()
        );
    }
}

// ------------------------------------------------------------------------------------ sortition

#[test]
fn thresholds_and_scores() {
    let (mut chain, h) = deploy("SortitionHarness");
    let n = iterations();
    let mut quantile = Rules::new("SortitionLib.quantile");
    let mut committee = Rules::new("SortitionLib.committeeThreshold");
    let mut floor = Rules::new("SortitionLib.sequencerFloor");
    let mut score = Rules::new("SortitionLib.score");
    let mut dirty = Rules::new("SortitionLib.score (dirty upper bits)");
    let mut slot_seed = Rules::new("SortitionLib.slotSeed");
    for i in 0..n {
        let (target, active) = (quantile.rng.u256(), quantile.rng.u256());
        let sol = chain.view(
            h,
            &sortition::SortitionHarness::quantileCall { target, n: active },
        );
        quantile.check(
            i,
            (target, active),
            selection::quantile(target, active),
            sol,
        );

        let (target, active) = (committee.rng.u256(), committee.rng.u256());
        let sol = chain.view(
            h,
            &sortition::SortitionHarness::committeeThresholdCall { target, n: active },
        );
        committee.check(
            i,
            (target, active),
            selection::committee_threshold(target, active),
            sol,
        );

        let (target, active) = (committee.rng.u256(), committee.rng.u256());
        let sol = chain.view(
            h,
            &sortition::SortitionHarness::committeeSizeCall { target, n: active },
        );
        committee.check(
            i,
            (target, active),
            selection::committee_size(target, active),
            sol,
        );

        let (target, active) = (floor.rng.u256(), floor.rng.u256());
        let sol = chain.view(
            h,
            &sortition::SortitionHarness::sequencerFloorCall { target, n: active },
        );
        floor.check(
            i,
            (target, active),
            selection::sequencer_floor(target, active),
            sol,
        );

        let (key, seed) = (score.rng.address(), score.rng.b256());
        let sol = chain.view(h, &sortition::SortitionHarness::scoreCall { key, seed });
        let mut scorer = selection::Scorer::new(seed);
        score.check(i, (key, seed), selection::score(key, seed), sol);
        score.check(i, (key, seed), scorer.score(key), sol);

        // A key word with dirty upper 96 bits (as assembly could hand the library) scores as
        // its low 20 bytes, the only key the Rust side can express.
        let (word, seed) = (dirty.rng.u256() | (U256::from(1) << 255), dirty.rng.b256());
        let sol = chain.view(
            h,
            &sortition::SortitionHarness::scoreOfWordCall { word, seed },
        );
        let key = Address::from_word(B256::from(word));
        dirty.check(i, (word, seed), selection::score(key, seed), sol);

        let (epoch_seed, slot) = (slot_seed.rng.u256(), slot_seed.rng.u64_edge());
        let sol = chain.view(
            h,
            &sortition::SortitionHarness::slotSeedCall {
                seedOfEpoch: epoch_seed,
                slot: u(slot),
            },
        );
        slot_seed.check(
            i,
            (epoch_seed, slot),
            selection::slot_seed(epoch_seed, slot),
            sol,
        );
    }
    report(&[&quantile, &committee, &floor, &score, &dirty, &slot_seed]);
}

/// One random geometry per iteration; every schedule function is compared once at random
/// arguments inside its domain (rounds 0..=K+1, jobs below totalJobs).
#[test]
fn schedule_functions() {
    let (mut chain, h) = deploy("SortitionHarness");
    let mut r = Rules::new("SortitionLib schedule");
    let mut count = [0usize; 13];
    for i in 0..iterations() {
        let rng = &mut r.rng;
        let height: u8 = if rng.random_bool(0.8) {
            rng.random_range(1..=24)
        } else {
            rng.random_range(25..=31)
        };
        let m: u8 = rng.random_range(1..=height.saturating_add(2).min(12));
        let redundancy: u64 = rng.random_range(1..=8);
        let d: u8 = rng.random_range(0..=40);
        let w = CostWeights {
            vm_proofs_per_tx: rng.random_range(0..1 << 12),
            vm_proof_cost: rng.random_range(0..1 << 12),
            base_proof_cost: rng.random_range(0..1 << 12),
            merge_proof_cost: rng.random_range(0..1 << 12),
        };
        let s = Schedule::from_parts(height, m, redundancy, d, w).expect("geometry in range");
        let k = s.rounds();
        let round = rng.random_range(0..=k + 1);
        let job = rng.random_range(0..s.total_jobs());
        let score = rng.u256();
        let active = rng.u64_edge() >> rng.random_range(0..64);
        let cr = rng.random_range(1..=k);
        let (a, b) = (rng.random::<u32>(), rng.random::<u32>());
        let (a, b) = if rng.random_bool(0.5) {
            (a >> 8, (a >> 8) ^ (b & 0xff))
        } else {
            (a, b)
        };
        let input = (height, m, redundancy, d, w, round, job, score, active, cr);
        let (hh, mm) = (u(height.into()), u(m.into()));
        let sw = sortition::SortitionLib::CostWeights {
            vmProofsPerTx: u(w.vm_proofs_per_tx),
            vmProofCost: u(w.vm_proof_cost),
            baseProofCost: u(w.base_proof_cost),
            mergeProofCost: u(w.merge_proof_cost),
        };
        use sortition::SortitionHarness as S;
        let sol = chain.view(h, &S::roundsCall { height: hh, m: mm });
        r.check(i, input, u(k.into()), sol);
        let rr = u(round.into());
        let sol = chain.view(
            h,
            &S::levelCall {
                round: rr,
                height: hh,
                m: mm,
            },
        );
        r.check(i, input, u(s.level(round).into()), sol);
        let sol = chain.view(
            h,
            &S::jobsCall {
                round: rr,
                height: hh,
                m: mm,
            },
        );
        r.check(i, input, u(s.jobs(round).into()), sol);
        let sol = chain.view(
            h,
            &S::offsetCall {
                round: rr,
                height: hh,
                m: mm,
            },
        );
        r.check(i, input, u(s.offset(round).into()), sol);
        let sol = chain.view(h, &S::totalJobsCall { height: hh, m: mm });
        r.check(i, input, u(s.total_jobs().into()), sol);
        let sol = chain.view(h, &S::proverJobsCall { height: hh, m: mm });
        r.check(i, input, u(s.prover_jobs().into()), sol);
        let sol = chain.view(
            h,
            &S::roundOfCall {
                job: u(job.into()),
                height: hh,
                m: mm,
            },
        );
        let (jr, ji) = s.job_position(job).expect("job in range");
        r.check(
            i,
            input,
            (u(jr.into()), u(ji.into())),
            (sol.round, sol.index),
        );
        let sol = chain.view(
            h,
            &S::pathLeafCall {
                s: score,
                height: hh,
            },
        );
        r.check(i, input, u(s.leaf(score).into()), sol);
        let sol = chain.view(
            h,
            &S::jobOnPathCall {
                s: score,
                round: rr,
                height: hh,
                m: mm,
            },
        );
        r.check(i, input, u(s.job_of(score, round).into()), sol);
        let sol = chain.view(
            h,
            &S::inNeighbourhoodCall {
                job: u(a.into()),
                ownJob: u(b.into()),
                d: u(d.into()),
            },
        );
        r.check(i, (input, a, b), s.in_neighbourhood(a, b), sol);
        let sol = chain.view(
            h,
            &S::roundThresholdCall {
                round: u(cr.into()),
                height: hh,
                m: mm,
                redundancy: u(redundancy),
                n: u(active),
            },
        );
        r.check(i, input, s.committee_threshold(cr, active), sol);
        let sol = chain.view(
            h,
            &S::roundSizeCall {
                round: u(cr.into()),
                height: hh,
                m: mm,
                redundancy: u(redundancy),
                n: u(active),
            },
        );
        r.check(i, input, s.committee_size(cr, active), sol);
        let sol = chain.view(
            h,
            &S::jobCostCall {
                round: u(cr.into()),
                height: hh,
                m: mm,
                w: sw.clone(),
            },
        );
        r.check(i, input, u(s.cost(cr)), sol);
        let sol = chain.view(
            h,
            &S::totalProverCostCall {
                height: hh,
                m: mm,
                w: sw,
            },
        );
        r.check(i, input, u(s.total_prover_cost()), sol);
        for c in &mut count {
            *c += 1;
        }
    }
    println!(
        "schedule: rounds, level, jobs, offset, totalJobs, proverJobs, roundOf, pathLeaf, \
         jobOnPath, inNeighbourhood, roundThreshold, jobCost, totalProverCost: {} inputs each",
        count[0]
    );
    report(&[&r]);
}

// ------------------------------------------------------------------------------------ seeds

/// The Rollup's seed checkpoints as this test models them from `spn-protocol`'s seed formulas.
#[derive(Default)]
struct SeedModel {
    checkpoints: Vec<(u64, U256)>,
}

impl SeedModel {
    fn push(&mut self, key: u64, value: U256) {
        match self.checkpoints.last_mut() {
            Some(last) if last.0 == key => last.1 = value,
            _ => self.checkpoints.push((key, value)),
        }
    }

    fn sample(&mut self, current_epoch: u64, lookahead: u64, prevrandao: B256) {
        let target = current_epoch + lookahead;
        if self.checkpoints.last().is_some_and(|c| c.0 >= target) {
            return;
        }
        let value = selection::sampled_epoch_seed(U256::from_be_bytes(prevrandao.0), target);
        self.push(target, value);
    }

    fn epoch_seed(&self, epoch: u64) -> U256 {
        self.checkpoints
            .iter()
            .rev()
            .find(|c| c.0 <= epoch)
            .map_or(U256::ZERO, |c| c.1)
    }
}

#[test]
fn epoch_and_slot_seeds() {
    let code = contracts(&work_dir()).creation("SeedHarness").clone();
    let mut chain = Chain::new();
    let mut genesis = Rules::new("Rollup genesis seed");
    let mut sampled = Rules::new("SortitionLib.sampleSeed/epochSeed");
    let mut slots = Rules::new("Rollup.slotSeed (checkpointed)");
    let n = iterations();
    // Genesis: one fresh harness per input (the push is at key 0).
    for i in 0..n / 4 {
        let prevrandao = genesis.rng.b256();
        let chain_id = genesis.rng.random_range(1..u64::MAX >> 1);
        chain.set_prevrandao(prevrandao);
        chain.set_chain_id(chain_id);
        let at = chain.deploy(DEPLOYER, &code, &[]);
        chain
            .call(DEPLOYER, at, &seed::SeedHarness::pushGenesisCall {})
            .unwrap();
        let sol = chain.view(at, &seed::SeedHarness::epochSeedCall { epoch: u(0) });
        let rust = selection::genesis_epoch_seed(
            U256::from_be_bytes(prevrandao.0),
            U256::from(chain_id),
            at,
        );
        genesis.check(i, (prevrandao, chain_id, at), rust, sol);
    }
    // Sampling: random walks of the current epoch on a few harnesses.
    let per_walk = 250;
    let mut i = 0;
    while i < n {
        let at = chain.deploy(DEPLOYER, &code, &[]);
        let lookahead = sampled.rng.random_range(1..=4u64);
        let mut model = SeedModel::default();
        let mut epoch = 0u64;
        for _ in 0..per_walk.min(n - i) {
            epoch += sampled.rng.random_range(0..=3u64);
            let prevrandao = sampled.rng.b256();
            chain.set_prevrandao(prevrandao);
            chain
                .call(
                    DEPLOYER,
                    at,
                    &seed::SeedHarness::sampleSeedCall {
                        currentEpoch: u(epoch),
                        lookahead: u(lookahead),
                    },
                )
                .unwrap();
            model.sample(epoch, lookahead, prevrandao);
            let q = epoch + sampled.rng.random_range(0..=lookahead + 2);
            let sol = chain.view(at, &seed::SeedHarness::epochSeedCall { epoch: u(q) });
            sampled.check(
                i,
                (epoch, lookahead, prevrandao, q),
                model.epoch_seed(q),
                sol,
            );
            let slot = q * 32 + slots.rng.random_range(0..32u64);
            let sol = chain.view(
                at,
                &seed::SeedHarness::slotSeedCall {
                    epoch: u(q),
                    slot: u(slot),
                },
            );
            slots.check(
                i,
                (q, slot),
                selection::slot_seed(model.epoch_seed(q), slot),
                sol,
            );
            i += 1;
        }
    }
    report(&[&genesis, &sampled, &slots]);
}

// ------------------------------------------------------------------------------------ time

#[test]
fn time_functions() {
    let (mut chain, h) = deploy("TimeHarness");
    let mut slot = Rules::new("TimeLib.slotAt");
    let mut epoch = Rules::new("TimeLib.epochOf");
    for i in 0..iterations() {
        let rng = &mut slot.rng;
        let (t, g) = (rng.u64_edge(), rng.u64_edge());
        let d = if rng.random_bool(0.05) {
            0
        } else {
            rng.u64_edge()
        };
        let sol = chain
            .call(
                DEPLOYER,
                h,
                &time::TimeHarness::slotAtCall {
                    timestamp: u(t),
                    genesisTime: u(g),
                    slotDuration: u(d),
                },
            )
            .ok();
        slot.check(i, (t, g, d), ptime::slot_at(t, g, d).ok().map(u), sol);
        let (s, e) = (epoch.rng.u64_edge(), epoch.rng.u64_edge() >> 32);
        let sol = chain
            .call(
                DEPLOYER,
                h,
                &time::TimeHarness::epochOfCall {
                    slot: u(s),
                    epochDuration: u(e),
                },
            )
            .ok();
        epoch.check(i, (s, e), ptime::epoch_of(s, e).ok().map(u), sol);
    }
    report(&[&slot, &epoch]);
}

// ------------------------------------------------------------------------------------ trees

#[test]
fn tree_functions() {
    let (mut chain, h) = deploy("TreeHarness");
    let (mut schain, sig) = deploy("SignatureHarness");
    let n = iterations();
    let mut node = Rules::new("TreeLib.node");
    let mut subtree = Rules::new("TreeLib.subtreeRootAt");
    let mut path = Rules::new("TreeLib.rootFromPath");
    let mut leaf = Rules::new("TreeLib.rewardLeaf");
    let mut root = Rules::new("TreeLib.commutativeRoot");
    let mut oz = Rules::new("OZ MerkleProof.verify(rewards_proof)");
    use tree::TreeHarness as T;
    for i in 0..n {
        let (a, b) = (node.rng.b256(), node.rng.b256());
        let sol = chain.view(h, &T::nodeCall { left: a, right: b });
        node.check(i, (a, b), ptree::node_hash(a, b), sol);

        let rng = &mut subtree.rng;
        let count = 1usize << rng.random_range(0..=6);
        let start = rng.random_range(0..=8usize);
        let nodes: Vec<B256> = (0..start + count + rng.random_range(0..4))
            .map(|_| rng.b256())
            .collect();
        let scratch = rng.random_range(0..=40usize);
        let dirty = rng.b256();
        let sol = chain.view(
            h,
            &T::subtreeRootCall {
                nodes: nodes.clone(),
                start: U256::from(start),
                count: U256::from(count),
                scratchWords: U256::from(scratch),
                dirty,
            },
        );
        let rust = ptree::subtree_root(&nodes[start..start + count]).unwrap();
        subtree.check(i, (&nodes, start, count, scratch), rust, sol);

        let rng = &mut path.rng;
        let depth = rng.random_range(0..=24usize);
        let siblings: Vec<B256> = (0..depth).map(|_| rng.b256()).collect();
        let (l, index) = (rng.b256(), rng.u64_edge());
        let sol = chain.view(
            h,
            &T::rootFromPathCall {
                leaf: l,
                index: u(index),
                siblings: siblings.clone(),
            },
        );
        path.check(
            i,
            (l, index, &siblings),
            ptree::process_proof(l, index, &siblings),
            sol,
        );

        let (prover, cost) = (leaf.rng.address(), leaf.rng.u64_edge());
        let sol = chain.view(h, &T::rewardLeafCall { prover, cost });
        leaf.check(
            i,
            (prover, cost),
            transcript::rewards_leaf(prover, cost),
            sol,
        );

        let rng = &mut root.rng;
        let len = if rng.random_bool(0.1) {
            0
        } else {
            rng.random_range(1..=70usize)
        };
        let leaves: Vec<B256> = (0..len).map(|_| rng.b256()).collect();
        let sol = chain.view(
            h,
            &T::commutativeRootCall {
                leaves: leaves.clone(),
            },
        );
        let rust_root = transcript::rewards_root(&leaves);
        root.check(i, &leaves, rust_root, sol);
        // The Rust proofs of that tree verify with OZ, and a wrong leaf does not.
        if len > 0 {
            let at = oz.rng.random_range(0..len);
            let proof = transcript::rewards_proof(&leaves, at).unwrap();
            let ok = schain.view(
                sig,
                &signature::SignatureHarness::ozVerifyCall {
                    proof: proof.clone(),
                    root: rust_root,
                    leaf: leaves[at],
                },
            );
            oz.check(i, (&leaves, at), true, ok);
            let wrong = oz.rng.b256();
            let bad = schain.view(
                sig,
                &signature::SignatureHarness::ozVerifyCall {
                    proof: proof.clone(),
                    root: rust_root,
                    leaf: wrong,
                },
            );
            oz.check(
                i,
                (&leaves, at, wrong),
                transcript::verify_rewards_proof(&proof, rust_root, wrong),
                bad,
            );
        }
    }
    report(&[&node, &subtree, &path, &leaf, &root, &oz]);
}

// ------------------------------------------------------------------------------------ EIP-712

#[test]
fn eip712_digests_and_header_hash() {
    let (mut chain, h) = deploy("MessagesHarness");
    let domain_code = contracts(&work_dir()).creation("DomainHarness").clone();
    let mut header = Rules::new("MessagesLib.blockHash");
    let mut separator = Rules::new("EIP712 domain separator (SPN, 1)");
    let mut attestation = Rules::new("MessagesLib.attestationDigest");
    let mut job = Rules::new("MessagesLib.jobResultDigest");
    let n = iterations();
    let mut domain_at = Address::ZERO;
    let mut chain_id = spn_differential::CHAIN_ID;
    for i in 0..n {
        let rng = &mut header.rng;
        let hd = Header {
            number: rng.u64_edge(),
            parentHash: rng.b256(),
            slot: rng.u64_edge(),
            proposer: rng.address(),
            txRoot: rng.b256(),
            height: rng.random(),
        };
        let sol = chain.view(
            h,
            &messages::MessagesHarness::blockHashCall {
                h: messages::MessagesLib::Header {
                    number: hd.number,
                    parentHash: hd.parentHash,
                    slot: hd.slot,
                    proposer: hd.proposer,
                    txRoot: hd.txRoot,
                    height: hd.height,
                },
            },
        );
        header.check(i, &hd, hd.hash(), sol);

        // A new chain id (and verifying contract) now and then; OZ rebuilds the separator.
        if i % 8 == 0 {
            chain_id = separator.rng.random_range(1..u64::MAX);
            chain.set_chain_id(chain_id);
            domain_at = chain.deploy(DEPLOYER, &domain_code, &[]);
        }
        let d = eip712::domain(chain_id, domain_at);
        let sol = chain.view(domain_at, &domain::DomainHarness::domainSeparatorCall {});
        separator.check(i, (chain_id, domain_at), d.separator(), sol);

        let (slot, bh) = (attestation.rng.u64_edge(), attestation.rng.b256());
        let sol = chain.view(
            domain_at,
            &domain::DomainHarness::attestationDigestCall {
                slot: u(slot),
                blockHash: bh,
            },
        );
        attestation.check(
            i,
            (chain_id, domain_at, slot, bh),
            eip712::attestation_digest(&d, slot, bh),
            sol,
        );
        // The harness taking the separator as an argument agrees too.
        let sol2 = chain.view(
            h,
            &messages::MessagesHarness::attestationDigestCall {
                domainSeparator: d.separator(),
                slot: u(slot),
                hash: bh,
            },
        );
        attestation.check(i, (d.separator(), slot, bh), sol, sol2);

        let (bh, j, out) = (job.rng.b256(), job.rng.random::<u32>(), job.rng.b256());
        let sol = chain.view(
            domain_at,
            &domain::DomainHarness::jobResultDigestCall {
                blockHash: bh,
                job: u(j.into()),
                output: out,
            },
        );
        job.check(
            i,
            (chain_id, domain_at, bh, j, out),
            eip712::job_result_digest(&d, bh, j, out),
            sol,
        );
        let sol2 = chain.view(
            h,
            &messages::MessagesHarness::jobResultDigestCall {
                domainSeparator: d.separator(),
                hash: bh,
                job: u(j.into()),
                output: out,
            },
        );
        job.check(i, (d.separator(), bh, j, out), sol, sol2);
    }
    report(&[&header, &separator, &attestation, &job]);
}

// ------------------------------------------------------------------------------------ signatures

/// secp256k1 group order.
const ORDER: U256 = U256::from_be_bytes([
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
]);

#[test]
fn signature_recovery() {
    let (mut chain, h) = deploy("SignatureHarness");
    let mut transcript_rule = Rules::new("TranscriptLib.recover");
    let mut oz_rule = Rules::new("OZ ECDSA.tryRecover(hash, r, vs)");
    let mut signer_rule = Rules::new("StakingKey signs as the contracts recover");
    let d = eip712::domain(spn_differential::CHAIN_ID, Address::repeat_byte(0x11));
    let mut kinds = [0usize; 8];
    for i in 0..iterations() {
        let rng = &mut transcript_rule.rng;
        let key = loop {
            if let Ok(k) = StakingKey::from_bytes(&rng.b256()) {
                break k;
            }
        };
        let digest = match rng.random_range(0..3) {
            0 => rng.b256(),
            1 => eip712::attestation_digest(&d, rng.random(), rng.b256()),
            _ => eip712::job_result_digest(&d, rng.b256(), rng.random(), rng.b256()),
        };
        let good = key.sign_digest(digest);
        let kind = rng.random_range(0..8);
        kinds[kind] += 1;
        let sig = match kind {
            0..=2 => good,
            // Flipped parity: someone else (or nobody).
            3 => CompactSignature {
                vs: good.vs ^ top_bit(),
                ..good
            },
            // The malleable twin (high s), or s just above n/2.
            4 => {
                let s = if rng.random_bool(0.5) {
                    ORDER - good.s()
                } else {
                    HALF_ORDER + U256::from(rng.random_range(1..4u64))
                };
                let mut vs = s;
                vs.set_bit(255, good.y_parity());
                CompactSignature {
                    r: good.r,
                    vs: B256::from(vs),
                }
            }
            // r zero, r at or above the order, s zero.
            5 => match rng.random_range(0..3) {
                0 => CompactSignature {
                    r: B256::ZERO,
                    ..good
                },
                1 => CompactSignature {
                    r: B256::from(ORDER + U256::from(rng.random_range(0..3u64))),
                    ..good
                },
                _ => CompactSignature {
                    r: good.r,
                    vs: if good.y_parity() {
                        top_bit()
                    } else {
                        B256::ZERO
                    },
                },
            },
            // Random r and vs: often no curve point.
            6 => CompactSignature {
                r: rng.b256(),
                vs: rng.b256(),
            },
            // Another digest.
            _ => key.sign_digest(rng.b256()),
        };
        let rust = signing::recover(digest, &sig);
        let sol = chain.view(
            h,
            &signature::SignatureHarness::transcriptRecoverCall {
                digest,
                r: sig.r,
                vs: sig.vs,
            },
        );
        transcript_rule.check(
            i,
            (digest, sig, kind),
            rust.clone().unwrap_or(Address::ZERO),
            sol,
        );
        let oz = chain.view(
            h,
            &signature::SignatureHarness::ozTryRecoverCall {
                digest,
                r: sig.r,
                vs: sig.vs,
            },
        );
        let oz = (oz.err == 0).then_some(oz.signer);
        oz_rule.check(i, (digest, sig, kind), rust.clone().ok(), oz);
        if kind <= 2 {
            signer_rule.check(i, (key.secret_bytes(), digest), Some(key.address()), oz);
        }
    }
    println!(
        "signature kinds (valid x3, parity, high s, bad r/s, random, other digest): {kinds:?}"
    );
    report(&[&transcript_rule, &oz_rule, &signer_rule]);
}

/// The word with only bit 255 set (the parity bit of `vs`).
fn top_bit() -> B256 {
    let mut w = B256::ZERO;
    w[0] = 0x80;
    w
}

// ------------------------------------------------------------------------------------ rewards

fn params_with_rewards(rng: &mut impl Rng) -> Params {
    let bits = rng.random_range(1..=100usize);
    Params {
        submitter_reward: rng.u256_bits(bits),
        sequencer_base: rng.u256_bits(bits),
        sequencer_coverage: rng.u256_bits(bits),
        provers_reward: rng.u256_bits(bits),
        ..Params::testnet()
    }
}

fn sol_rewards(p: &Params) -> reward::RewardLib::Rewards {
    reward::RewardLib::Rewards {
        submitter: p.submitter_reward,
        sequencerBase: p.sequencer_base,
        sequencerCoverage: p.sequencer_coverage,
        provers: p.provers_reward,
    }
}

/// A block's coverage: committee jobs of a real height most of the time, sometimes tiny, huge or
/// zero (which no height has, but the library defines); credited jobs at most the committee jobs,
/// often at the edges.
fn random_coverage(rng: &mut impl Rng) -> rewards::Coverage {
    let committee_jobs: u64 = match rng.random_range(0..10) {
        0 => 0,
        1 => rng.random_range(1..=4),
        2 => rng.random_range(1..=1u64 << 40),
        _ => {
            // proverJobs(n, m) for a valid (n, m).
            let m = rng.random_range(1..=3u8);
            let n = rng.random_range(m + 1..=24);
            let mut p = Params::testnet();
            p.round_height = m;
            p.min_height = m + 1;
            p.max_height = 24;
            spn_protocol::Schedule::new(&p, n)
                .unwrap()
                .prover_jobs()
                .into()
        }
    };
    let credited_jobs = match rng.random_range(0..6) {
        0 => 0,
        1 => committee_jobs,
        2 => committee_jobs.saturating_sub(1),
        _ => rng.random_range(0..=committee_jobs),
    };
    rewards::Coverage {
        credited_jobs,
        committee_jobs,
    }
}

#[test]
fn reward_split() {
    let (mut chain, h) = deploy("RewardHarness");
    let mut due = Rules::new("RewardLib.due");
    let mut payout = Rules::new("RewardLib.payout");
    let mut share = Rules::new("RewardLib.share");
    let mut underfunded = 0usize;
    use reward::RewardHarness as R;
    for i in 0..iterations() {
        let p = params_with_rewards(&mut due.rng);
        let c = random_coverage(&mut due.rng);
        let sol = chain.view(
            h,
            &R::dueCall {
                r: sol_rewards(&p),
                creditedJobs: u(c.credited_jobs),
                committeeJobs: u(c.committee_jobs),
            },
        );
        due.check(
            i,
            (
                &p.submitter_reward,
                &p.sequencer_base,
                &p.sequencer_coverage,
                &p.provers_reward,
                c,
            ),
            (
                rewards::submitter_due(&p, c),
                rewards::sequencer_due(&p, c),
                p.provers_reward,
            ),
            (sol.submitter, sol.sequencer, sol.provers),
        );

        // Payout from the harness's pool as it stands; fund it now and then (sometimes short).
        let rng = &mut payout.rng;
        let p = params_with_rewards(rng);
        let c = random_coverage(rng);
        if rng.random_bool(0.6) {
            let bits = rng.random_range(1..=102usize);
            let amount = rng.u256_bits(bits);
            chain
                .call(DEPLOYER, h, &R::fundCall { amount })
                .expect("fund");
        }
        let before = chain.view(h, &R::poolCall {});
        let total: u64 = if rng.random_bool(0.05) {
            0
        } else {
            rng.random_range(1..u64::MAX)
        };
        let credited = if total == 0 {
            rng.random_range(0..100)
        } else {
            rng.random_range(0..=total)
        };
        let sol = chain
            .call(
                DEPLOYER,
                h,
                &R::payoutCall {
                    r: sol_rewards(&p),
                    creditedJobs: u(c.credited_jobs),
                    committeeJobs: u(c.committee_jobs),
                    creditedCost: u(credited),
                    totalCost: u(total),
                },
            )
            .expect("payout never reverts for funds");
        let balance = U256::from(before.balance);
        let pay = rewards::block_payout(&p, balance, c);
        underfunded += usize::from(balance < pay.due);
        let reserved = rewards::reserved_for_provers(pay.provers, credited, total);
        let input = (
            balance,
            &p.submitter_reward,
            &p.sequencer_base,
            &p.sequencer_coverage,
            &p.provers_reward,
            c,
            credited,
            total,
        );
        payout.check(
            i,
            input,
            (pay.submitter, pay.sequencer, pay.provers, reserved),
            (
                sol.submitter,
                sol.sequencer,
                sol.proversPot,
                sol.proversReserved,
            ),
        );
        // Every part moves from balance to outstanding (owed or reserved); nothing is paid.
        let after = chain.view(h, &R::poolCall {});
        payout.check(
            i,
            input,
            (
                balance - pay.submitter - pay.sequencer - reserved,
                U256::from(before.outstanding) + pay.submitter + pay.sequencer + reserved,
                U256::from(before.paid),
                U256::from(before.funded),
            ),
            (
                U256::from(after.balance),
                U256::from(after.outstanding),
                U256::from(after.paid),
                U256::from(after.funded),
            ),
        );

        let rng = &mut share.rng;
        let pot = rng.u256_bits(128);
        let total: u64 = if rng.random_bool(0.03) {
            0
        } else {
            rng.u64_edge().max(1)
        };
        let cost = if total == 0 {
            rng.random()
        } else {
            rng.random_range(0..=total)
        };
        let sol = chain
            .call(
                DEPLOYER,
                h,
                &R::shareCall {
                    pot,
                    cost: u(cost),
                    totalCost: u(total),
                },
            )
            .ok();
        share.check(
            i,
            (pot, cost, total),
            rewards::claim_amount(pot, cost, total).ok(),
            sol,
        );
    }
    println!("payout: {underfunded} underfunded blocks");
    report(&[&due, &payout, &share]);
}

/// The minimum-coverage predicate and its required job count, on random coverages and on both
/// sides of every boundary (`required - 1`, `required`).
#[test]
fn minimum_coverage() {
    let (mut chain, h) = deploy("RewardHarness");
    let mut meets = Rules::new("RewardLib.meetsCoverage");
    let mut required = Rules::new("RewardLib.requiredJobs");
    use reward::RewardHarness as R;
    for i in 0..iterations() {
        let rng = &mut meets.rng;
        let bps: u64 = match rng.random_range(0..6) {
            0 => 0,
            1 => 10_000,
            2 => 2_500,
            3 => 5_000,
            _ => rng.random_range(0..=20_000),
        };
        let mut c = random_coverage(rng);
        let need = rewards::required_jobs(c.committee_jobs, bps);
        if rng.random_bool(0.5) && need <= c.committee_jobs {
            // At the boundary: exactly required, or one less.
            c.credited_jobs = need.saturating_sub(u64::from(rng.random_bool(0.5)));
        }
        let sol = chain.view(
            h,
            &R::meetsCoverageCall {
                creditedJobs: u(c.credited_jobs),
                committeeJobs: u(c.committee_jobs),
                minCoverageBps: u(bps),
            },
        );
        meets.check(i, (c, bps), rewards::meets_coverage(c, bps), sol);
        let sol = chain.view(
            h,
            &R::requiredJobsCall {
                committeeJobs: u(c.committee_jobs),
                minCoverageBps: u(bps),
            },
        );
        required.check(i, (c.committee_jobs, bps), U256::from(need), sol);
    }
    report(&[&meets, &required]);
}

// ------------------------------------------------------------------------------------ inactivity

#[test]
fn inactivity_penalty() {
    let (mut chain, h) = deploy("InactivityHarness");
    let mut r = Rules::new("InactivityLib.penalty");
    for i in 0..iterations() {
        let rng = &mut r.rng;
        let threshold = if rng.random_bool(0.5) {
            rng.random_range(0..10u64)
        } else {
            rng.u64_edge()
        };
        let strikes = match rng.random_range(0..4) {
            0 => threshold.saturating_add(rng.random_range(0..300)),
            1 => threshold.saturating_sub(rng.random_range(0..3)),
            // The saturation edge: 252..=257 doublings.
            2 => threshold.saturating_add(rng.random_range(252..258)),
            _ => rng.u64_edge(),
        };
        let base = match rng.random_range(0..10) {
            0 => U256::ZERO,
            // Small bases, whose overflow comes at 254..=256 doublings: 1, 2, 3, 4, 5.
            1..=3 => U256::from(rng.random_range(1..6u64)),
            // A power of two, or one more or less.
            4 => {
                let p = U256::from(1) << rng.random_range(0..256usize);
                match rng.random_range(0..3) {
                    0 => p,
                    1 => p.wrapping_add(U256::from(1)),
                    _ => p - U256::from(1),
                }
            }
            _ => rng.u256(),
        };
        let sol = chain.view(
            h,
            &inactivity::InactivityHarness::penaltyCall {
                strikes: u(strikes),
                threshold: u(threshold),
                base,
            },
        );
        r.check(
            i,
            (strikes, threshold, base),
            inact::penalty(strikes, threshold, base),
            sol,
        );
    }
    // Every boundary of the saturation rule, whatever the seed: base << d for d = 253..=257 and
    // bases 1..=5 (base = 1, d = 255 is 2^255, not saturated).
    let mut edge = Rules::new("InactivityLib.penalty (saturation edge)");
    for (i, (d, b)) in (253u64..=257)
        .flat_map(|d| (1u64..=5).map(move |b| (d, b)))
        .enumerate()
    {
        let (strikes, threshold, base) = (3 + d, 3u64, u(b));
        let sol = chain.view(
            h,
            &inactivity::InactivityHarness::penaltyCall {
                strikes: u(strikes),
                threshold: u(threshold),
                base,
            },
        );
        edge.check(
            i,
            (strikes, threshold, base),
            inact::penalty(strikes, threshold, base),
            sol,
        );
    }
    assert_eq!(
        inact::penalty(258, 3, U256::from(1)),
        U256::from(1) << 255,
        "base 1, 255 doublings"
    );
    report(&[&r, &edge]);
}

// ------------------------------------------------------------------------------------ parameters

/// Solidity `Params__Invalid` reasons and the Rust parameter names that may report them.
fn params_of_reason(reason: &str) -> &'static [&'static str] {
    match reason {
        "stakeAmount is zero" => &["stakeAmount"],
        "zero slot or epoch duration" => &["slotDuration", "epochDuration"],
        "setChangeDelay is zero" | "setChangeDelay must exceed seedLookahead" => {
            &["setChangeDelay"]
        }
        "seedLookahead is zero" => &["seedLookahead"],
        "proofWindow is zero" => &["proofWindow"],
        "roundHeight is zero" => &["roundHeight"],
        "minHeight must exceed roundHeight" => &["minHeight"],
        "maxHeight below minHeight" | "maxHeight above 24" => &["maxHeight"],
        "redundancy is zero" | "redundancy above 2^32" => &["redundancy"],
        "attestationQuorum is zero" => &["attestationQuorum"],
        "attestationTarget below quorum" => &["attestationTarget"],
        "sequencerTarget is zero" => &["sequencerTarget"],
        "mergeProofCost is zero" => &["mergeProofCost"],
        "cost weight above 2^32" => &[
            "vmProofsPerTx",
            "vmProofCost",
            "baseProofCost",
            "mergeProofCost",
        ],
        "totalProverCost above 2^64" => &["totalProverCost"],
        "reward above 2^96" => &[
            "submitterReward",
            "sequencerBase",
            "sequencerCoverage",
            "proversReward",
        ],
        "strikeThreshold is zero" => &["strikeThreshold"],
        "graceSlots is zero" => &["graceSlots"],
        "penaltyBase above stake" => &["penaltyBase"],
        "ejectionFloor above stake" => &["ejectionFloor"],
        "neighbourhood >= 32" => &["neighbourhood"],
        "minCoverageBps above 10000" => &["minCoverageBps"],
        _ => &[],
    }
}

/// A parameter set near the edges: a default one with a few fields pushed to limits.
fn edge_params(rng: &mut impl Rng) -> Params {
    let mut p = if rng.random_bool(0.5) {
        Params::testnet()
    } else {
        Params::devnet()
    };
    let w = spn_protocol::params::MAX_WEIGHT;
    let r = spn_protocol::params::MAX_REWARD;
    for _ in 0..rng.random_range(0..=3) {
        let small = |rng: &mut dyn rand::RngCore| -> u64 {
            match rng.random_range(0..4) {
                0 => 0,
                1 => rng.random_range(1..5),
                2 => w + rng.random_range(0..2),
                _ => rng.random_range(0..100),
            }
        };
        let reward = |rng: &mut dyn rand::RngCore| -> U256 {
            match rng.random_range(0..3) {
                0 => r + U256::from(rng.random_range(0..2u64)),
                1 => U256::ZERO,
                _ => U256::from(rng.random::<u64>()),
            }
        };
        match rng.random_range(0..27) {
            0 => p.stake_amount = U256::from(rng.random_range(0..3u64)),
            1 => p.slot_duration = small(rng),
            2 => p.epoch_duration = small(rng),
            3 => p.set_change_delay = rng.random_range(0..5),
            4 => p.seed_lookahead = rng.random_range(0..5),
            5 => p.proof_window = small(rng),
            6 => p.round_height = rng.random_range(0..6),
            7 => p.min_height = rng.random_range(0..10),
            8 => p.max_height = rng.random_range(0..30),
            9 => p.redundancy = small(rng),
            10 => p.attestation_quorum = small(rng),
            11 => p.attestation_target = small(rng),
            12 => p.sequencer_target = small(rng),
            13 => p.merge_proof_cost = small(rng),
            14 => p.vm_proofs_per_tx = small(rng),
            15 => p.vm_proof_cost = small(rng),
            16 => p.base_proof_cost = small(rng),
            17 => p.submitter_reward = reward(rng),
            18 => p.sequencer_coverage = reward(rng),
            19 => p.provers_reward = reward(rng),
            20 => p.sequencer_base = reward(rng),
            21 => p.strike_threshold = small(rng),
            22 => p.grace_slots = small(rng),
            23 => p.penalty_base = p.stake_amount + U256::from(rng.random_range(0..2u64)),
            24 => p.ejection_floor = p.stake_amount + U256::from(rng.random_range(0..2u64)),
            25 => p.min_coverage_bps = rng.random_range(9_998..10_003),
            _ => p.neighbourhood = rng.random_range(28..40),
        }
    }
    // Heavy weights with a tall tree overflow the uint64 total.
    if rng.random_bool(0.05) {
        (p.vm_proofs_per_tx, p.vm_proof_cost, p.max_height) = (w, w, 24);
    }
    p
}

/// `Params::validate` accepts exactly the parameter sets the Staking and Rollup constructors
/// accept, and names a parameter of the rule the contracts report.
#[test]
fn parameter_validation() {
    use alloy_sol_types::SolConstructor;
    use spn_bindings::rollup::Rollup as RO;
    use spn_bindings::staking::Staking as ST;
    let c = contracts(&work_dir());
    let mut chain = Chain::new();
    let mut r = Rules::new("Staking/Rollup constructors vs Params::validate");
    let (mut accepted, mut rejected) = (0, 0);
    let token = Address::repeat_byte(0x70);
    for i in 0..iterations() / 4 {
        let p = edge_params(&mut r.rng);
        let rust = match p.validate() {
            Ok(()) => Ok(()),
            Err(spn_protocol::Error::InvalidParam { param, .. }) => Err(param),
            Err(e) => panic!("unexpected {e:?}"),
        };
        let staking_args = ST::constructorCall {
            c: ST::Config::from_params(&p, token, Address::repeat_byte(0x51), 1),
        };
        let deploy = |chain: &mut Chain, name: &str, args: Vec<u8>| -> Result<Address, String> {
            let mut code = c.creation(name).to_vec();
            code.extend_from_slice(&args);
            chain
                .try_deploy(DEPLOYER, code.into())
                .map_err(|f| match f.spn_error() {
                    Some(spn_bindings::Errors::ErrorsErrors::Params__Invalid(e)) => e.reason,
                    _ => format!("{f:?}"),
                })
        };
        let sol = deploy(&mut chain, "Staking", staking_args.abi_encode()).and_then(|staking| {
            let cfg = RO::Config::from_params(&p, staking, Address::repeat_byte(0x7e), token);
            deploy(
                &mut chain,
                "Rollup",
                RO::constructorCall { c: cfg }.abi_encode(),
            )
        });
        match (&rust, &sol) {
            (Ok(()), Ok(_)) => {
                accepted += 1;
                r.check(i, &p, true, true);
            }
            (Err(param), Err(reason)) => {
                rejected += 1;
                let ok = params_of_reason(reason).contains(param);
                r.check(i, (&p, param, reason), true, ok);
            }
            _ => r.check(i, &p, format!("{rust:?}"), format!("{sol:?}")),
        }
    }
    println!("parameter sets: {accepted} accepted, {rejected} rejected by both");
    report(&[&r]);
}
