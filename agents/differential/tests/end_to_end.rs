//! End to end in revm: TestToken, Staking, TranscriptVerifier and Rollup deployed from the
//! bytecode compiled in-process, stakers registered, time moved slot by slot (timestamp and
//! `prevrandao` of the block), one block proposed with attestations built and signed in Rust and
//! proven with a transcript built in Rust for every height from `minHeight` (3) to `maxHeight`
//! (11) of the testnet parameters; then the rewards roots, payouts and pool against
//! `spn-protocol`, and claims with Merkle proofs built in Rust. A second test mutates valid
//! transcripts at random and compares the verifier's verdict (or error) with
//! `spn_protocol::transcript::verify_packed`.

mod common;

use common::{deposit, fresh_key, u, withdrawer_of, work_dir, DEPLOYER};
use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::{Eip712Domain, SolCall, SolConstructor};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use spn_bindings::errors::Errors::ErrorsErrors as E;
use spn_bindings::rollup::{IRollup, RewardLib, Rollup as R};
use spn_bindings::staking::Staking as S;
use spn_bindings::test_token::TestToken as T;
use spn_bindings::transcript_verifier::{
    IProofVerifier, SortitionLib as VSortitionLib, TranscriptVerifier as V,
};
use spn_differential::{contracts, Arbitrary, Chain, Failure, Rules, CHAIN_ID};
use spn_protocol::rewards::{self, BlockPayout};
use spn_protocol::transcript::{self, RewardLeaf, Verdict};
use spn_protocol::{
    eip712, selection, Clock, Error, Header, Params, SlotSchedule, StakingKey, Transcript,
    TranscriptBuilder, VerifyContext,
};

const FUNDER: Address = Address::repeat_byte(0xf0);
const SUBMITTER: Address = Address::repeat_byte(0x5b);
const SLASH_SINK: Address = Address::repeat_byte(0x51);
const GENESIS: u64 = 1_000_000;
const STAKERS: usize = 2048;

/// The Rollup's seed checkpoints, modelled with `spn-protocol`'s seed formulas.
#[derive(Default)]
struct Seeds {
    checkpoints: Vec<(u64, U256)>,
}

impl Seeds {
    fn push(&mut self, key: u64, value: U256) {
        match self.checkpoints.last_mut() {
            Some(last) if last.0 == key => last.1 = value,
            _ => self.checkpoints.push((key, value)),
        }
    }

    /// `SortitionLib.sampleSeed`, run by every state-changing Rollup entry point.
    fn sample(&mut self, current_epoch: u64, lookahead: u64, prevrandao: B256) {
        let target = current_epoch + lookahead;
        if self.checkpoints.last().is_none_or(|c| c.0 < target) {
            self.push(
                target,
                selection::sampled_epoch_seed(U256::from_be_bytes(prevrandao.0), target),
            );
        }
    }

    fn epoch_seed(&self, epoch: u64) -> U256 {
        self.checkpoints
            .iter()
            .rev()
            .find(|c| c.0 <= epoch)
            .map_or(U256::ZERO, |c| c.1)
    }
}

/// A proven block as Rust saw it.
#[derive(Debug, Clone)]
struct Proven {
    number: u64,
    leaves: Vec<RewardLeaf>,
    pot: U256,
    total_cost: u64,
}

/// The deployed system plus everything Rust keeps about it.
struct World {
    chain: Chain,
    params: Params,
    clock: Clock,
    reward_token: Address,
    staking: Address,
    verifier: Address,
    rollup: Address,
    keys: Vec<StakingKey>,
    registered: BTreeSet<Address>,
    seeds: Seeds,
    domain: Eip712Domain,
    rng: StdRng,
    prevrandao: B256,
    /// Number and hash of the chain tip (proven: this test proves every block it proposes).
    tip: (u64, B256),
    /// Last slot used by a proposal.
    last_slot: u64,
}

impl World {
    fn new(params: Params, seed: u64) -> Self {
        params.validate().expect("valid parameters");
        let c = contracts(&work_dir());
        let mut rng = StdRng::seed_from_u64(seed);
        let mut chain = Chain::new();
        chain.set_timestamp(GENESIS);
        let prevrandao = rng.b256();
        chain.set_prevrandao(prevrandao);
        let token = |chain: &mut Chain, name: &str| {
            let args = T::constructorCall {
                name_: name.into(),
                symbol_: name.into(),
            };
            chain.deploy(DEPLOYER, c.creation("TestToken"), &args.abi_encode())
        };
        let stake_token = token(&mut chain, "STK");
        let reward_token = token(&mut chain, "RWD");
        let staking = chain.deploy(
            DEPLOYER,
            c.creation("Staking"),
            &S::constructorCall {
                c: S::Config::from_params(&params, stake_token, SLASH_SINK, GENESIS),
            }
            .abi_encode(),
        );
        let verifier = chain.deploy(DEPLOYER, c.creation("TranscriptVerifier"), &[]);
        let config = R::Config::from_params(&params, staking, verifier, reward_token);
        let rollup = chain.deploy(
            DEPLOYER,
            c.creation("Rollup"),
            &R::constructorCall { c: config }.abi_encode(),
        );
        chain
            .call(DEPLOYER, staking, &S::setRollupCall { rollup_: rollup })
            .expect("setRollup");
        // The constructor's two seed pushes.
        let mut seeds = Seeds::default();
        let randao = U256::from_be_bytes(prevrandao.0);
        seeds.push(
            0,
            selection::genesis_epoch_seed(randao, U256::from(CHAIN_ID), rollup),
        );
        seeds.sample(0, params.seed_lookahead, prevrandao);
        let clock = Clock::from_params(GENESIS, &params).unwrap();
        Self {
            chain,
            clock,
            reward_token,
            staking,
            verifier,
            rollup,
            keys: Vec::new(),
            registered: BTreeSet::new(),
            seeds,
            domain: eip712::domain(CHAIN_ID, rollup),
            rng,
            prevrandao,
            tip: (0, eip712::genesis_hash()),
            last_slot: 0,
            params,
        }
    }

    fn stake_token(&mut self) -> Address {
        self.chain.view(self.staking, &S::stakeTokenCall {})
    }

    /// Registers `count` fresh keys (mint, approve, deposit from the key itself).
    fn register(&mut self, count: usize) {
        let token = self.stake_token();
        let stake = self.params.stake_amount;
        for _ in 0..count {
            let key = fresh_key(&mut self.rng);
            let a = key.address();
            deposit(&mut self.chain, token, self.staking, a, stake);
            self.registered.insert(a);
            self.keys.push(key);
        }
    }

    fn key(&self, a: Address) -> &StakingKey {
        self.keys
            .iter()
            .find(|k| k.address() == a)
            .expect("known key")
    }

    /// Moves the chain to the start of `slot` with a fresh `prevrandao`.
    fn warp(&mut self, slot: u64) {
        self.chain
            .set_timestamp(self.clock.slot_start(slot).unwrap());
        self.prevrandao = self.rng.b256();
        self.chain.set_prevrandao(self.prevrandao);
    }

    /// Records the seed sample every state-changing Rollup call makes.
    fn sampled(&mut self) {
        let epoch = self.clock.epoch_at(self.chain.timestamp()).unwrap();
        self.seeds
            .sample(epoch, self.params.seed_lookahead, self.prevrandao);
    }

    fn slot_seed(&self, slot: u64) -> B256 {
        selection::slot_seed(self.seeds.epoch_seed(self.clock.epoch_of(slot)), slot)
    }

    fn active_count(&self) -> u64 {
        self.registered.len() as u64
    }

    fn addresses(&self) -> Vec<Address> {
        self.keys.iter().map(StakingKey::address).collect()
    }

    /// The first slot after the last proposal with a sequencer and a quorum of attesters:
    /// (slot, seed, best sequencer, attesters ascending by address).
    fn usable_slot(&self, from: u64) -> (u64, B256, Address, Vec<Address>) {
        let n = self.active_count();
        let floor = selection::sequencer_floor_for(&self.params, n);
        let threshold = selection::attestation_threshold(&self.params, n);
        for slot in from..from + 10_000 {
            let seed = self.slot_seed(slot);
            let mut scorer = selection::Scorer::new(seed);
            let scored: Vec<(U256, Address)> = self
                .registered
                .iter()
                .map(|&a| (scorer.score(a), a))
                .collect();
            let best = scored.iter().filter(|(s, _)| *s > floor).max();
            let attesters: Vec<Address> = scored
                .iter()
                .filter(|(s, _)| *s < threshold)
                .map(|(_, a)| *a)
                .collect();
            if let Some(&(_, seq)) = best {
                if attesters.len() as u64 >= self.params.attestation_quorum {
                    return (slot, seed, seq, attesters); // registered is a BTreeSet: ascending
                }
            }
        }
        panic!("no usable slot after {from}");
    }

    /// Proposes a block of `height` at the next usable slot; returns its header, seed and tree.
    fn propose(&mut self, height: u8) -> (Header, B256, Vec<B256>) {
        let from = (self.last_slot + 1).max(self.clock.slot_at(self.chain.timestamp()).unwrap());
        let (slot, seed, proposer, attesters) = self.usable_slot(from);
        self.warp(slot);
        self.last_slot = slot;
        let sol_seed = self
            .chain
            .view(self.rollup, &R::slotSeedCall { slot: u(slot) });
        assert_eq!(sol_seed, seed, "slot seed of slot {slot}");

        let txs: Vec<Vec<u8>> = (0..self.rng.random_range(1..=1usize << height))
            .map(|i| format!("tx {i} of slot {slot}: {}", self.rng.random::<u64>()).into_bytes())
            .collect();
        let tree = spn_protocol::BlockTree::from_transactions(height.into(), &txs).unwrap();
        let number = self.tip.0 + 1;
        let parent = self.chain.view(
            self.rollup,
            &R::blockHashOfCall {
                number: u(number - 1),
            },
        );
        assert_eq!(parent, self.tip.1, "parent hash of block {number}");
        let header = Header {
            number,
            parentHash: parent,
            slot,
            proposer,
            txRoot: tree.root(),
            height,
        };
        let hash = header.hash();
        let sigs: Vec<IRollup::Signature> = attesters
            .iter()
            .map(|&a| {
                let s = self.key(a).sign_attestation(&self.domain, slot, hash);
                IRollup::Signature { r: s.r, vs: s.vs }
            })
            .collect();
        let got = self
            .chain
            .call(
                proposer,
                self.rollup,
                &R::proposeCall {
                    args: IRollup::ProposeArgs {
                        slot,
                        txRoot: header.txRoot,
                        height,
                    },
                    attestations: sigs,
                },
            )
            .unwrap_or_else(|f| panic!("propose failed: {:?}", f.spn_error()));
        self.sampled();
        assert_eq!(got, u(number));
        let ev = self
            .chain
            .event::<R::BlockProposed>()
            .expect("BlockProposed");
        assert_eq!(
            (
                ev.number,
                ev.blockHash,
                ev.slot,
                ev.proposer,
                ev.parentHash,
                ev.txRoot,
                ev.height
            ),
            (
                u(number),
                hash,
                u(slot),
                proposer,
                parent,
                header.txRoot,
                height
            )
        );
        let stored = self
            .chain
            .view(self.rollup, &R::blockHashOfCall { number: u(number) });
        assert_eq!(stored, hash);
        let schedule = spn_protocol::Schedule::new(&self.params, height).unwrap();
        let outputs = tree.job_outputs(&schedule).unwrap();
        (header, seed, outputs)
    }

    fn verify_context(&self, header: &Header, seed: B256) -> VerifyContext {
        VerifyContext {
            block_hash: header.hash(),
            epoch: self.clock.epoch_of(header.slot),
            slot_seed: seed,
            tx_root: header.txRoot,
            height: header.height,
            active_count: self.active_count(),
        }
    }

    /// A transcript for the block: each committee job goes to a random eligible member (owner
    /// or neighbour) with probability `fill`, else stays unfilled.
    fn transcript(
        &mut self,
        header: &Header,
        seed: B256,
        outputs: &[B256],
        fill: f64,
    ) -> Transcript {
        let stakers = self.addresses();
        let slot = SlotSchedule::build(
            &self.params,
            header.height,
            seed,
            self.active_count(),
            &stakers,
        )
        .unwrap();
        let hash = header.hash();
        let mut b = TranscriptBuilder::new(outputs.to_vec());
        for job in 0..slot.schedule().prover_jobs() {
            let fillers: Vec<Address> = slot.fillers(job).map(|m| m.address).collect();
            if fillers.is_empty() || !self.rng.random_bool(fill) {
                continue;
            }
            let who = fillers[self.rng.random_range(0..fillers.len())];
            let sig = self
                .key(who)
                .sign_job_result(&self.domain, hash, job, outputs[job as usize]);
            b.add(who, job, sig).unwrap();
        }
        b.build()
    }

    /// Submits the proof of `header`; the tip does not move.
    fn try_prove(&mut self, header: &Header, proof: &[u8]) -> Result<(), Failure> {
        self.chain
            .call(
                SUBMITTER,
                self.rollup,
                &R::submitProofCall {
                    header: header.into(),
                    proof: Bytes::from(proof.to_vec()),
                },
            )
            .map(|_| ())
    }

    /// Owed (credited, not withdrawn) submitter and sequencer rewards of `who`.
    fn owed(&mut self, who: Address) -> U256 {
        self.chain
            .view(self.rollup, &R::rewardsOwedCall { account: who })
    }

    /// Submits the proof of `header` (panics if the Rollup rejects it) and moves the tip.
    fn prove(&mut self, header: &Header, proof: &[u8]) {
        let res = self.chain.call(
            SUBMITTER,
            self.rollup,
            &R::submitProofCall {
                header: header.into(),
                proof: Bytes::from(proof.to_vec()),
            },
        );
        if let Err(f) = &res {
            panic!(
                "submitProof of height {} failed: {f:?} {:?}",
                header.height,
                f.spn_error()
            );
        }
        self.sampled();
        self.tip = (header.number, header.hash());
    }

    fn pool(&mut self) -> RewardLib::Pool {
        self.chain.view(self.rollup, &R::poolCall {})
    }

    fn balance(&mut self, who: Address) -> U256 {
        self.chain
            .view(self.reward_token, &T::balanceOfCall { account: who })
    }

    fn fund(&mut self, amount: U256) {
        if amount.is_zero() {
            return;
        }
        let (t, r) = (self.reward_token, self.rollup);
        let c = &mut self.chain;
        c.call(DEPLOYER, t, &T::mintCall { to: FUNDER, amount })
            .unwrap();
        c.call(
            FUNDER,
            t,
            &T::approveCall {
                spender: r,
                value: amount,
            },
        )
        .unwrap();
        c.call(FUNDER, r, &R::fundCall { amount }).unwrap();
    }
}

/// Every height from minHeight to maxHeight on the testnet parameters (maxHeight 11).
#[test]
fn propose_prove_and_claim_every_height() {
    let params = Params::testnet();
    assert_eq!((params.min_height, params.max_height), (3, 11));
    let mut w = World::new(params.clone(), 0x0535_0e2e);
    w.register(STAKERS);
    // Active from epoch D.
    let first = w.clock.first_slot(params.set_change_delay).unwrap();
    w.warp(first);
    let n_active: U256 = w.chain.view(
        w.staking,
        &S::activeCountCall {
            epoch: u(params.set_change_delay),
        },
    );
    assert_eq!(n_active, u(STAKERS as u64));

    let mut proven: Vec<Proven> = Vec::new();
    let mut gas = Vec::new();
    let mut underfunded = 0;
    let mut low_coverage = 0;
    for height in params.min_height..=params.max_height {
        let (header, seed, outputs) = w.propose(height);
        let fill = if height == params.max_height {
            1.0
        } else if height == 7 {
            // Well below the testnet minimum coverage (50%): refused first, then proven in full.
            0.3
        } else {
            [1.0, 0.9, 0.6][usize::from(height) % 3]
        };
        let mut t = w.transcript(&header, seed, &outputs, fill);
        let ctx = w.verify_context(&header, seed);
        let registered = w.registered.clone();
        let mut verdict = t
            .verify(&params, &w.domain, &ctx, |a| registered.contains(&a))
            .expect("Rust accepts its own transcript");
        let committee_jobs = u64::from(
            spn_protocol::Schedule::new(&params, height)
                .unwrap()
                .prover_jobs(),
        );
        let mut coverage = rewards::Coverage::from_unfilled(committee_jobs, verdict.unfilled_jobs)
            .expect("unfilled jobs are committee jobs");
        if !rewards::meets_coverage(coverage, params.min_coverage_bps) {
            // Below the minimum coverage the Rollup refuses the proof with exactly the Rust figures;
            // the block is then proven with a full transcript.
            let required = rewards::required_jobs(committee_jobs, params.min_coverage_bps);
            match w.try_prove(&header, &t.encode().unwrap()) {
                Err(f) => match f.spn_error() {
                    Some(E::Rollup__CoverageTooLow(e)) => assert_eq!(
                        (e.creditedJobs, e.requiredJobs),
                        (u(coverage.credited_jobs), u(required)),
                        "height {height}"
                    ),
                    other => panic!("height {height}: expected CoverageTooLow, got {other:?}"),
                },
                Ok(()) => {
                    panic!("height {height}: a proof below the minimum coverage was accepted")
                }
            }
            low_coverage += 1;
            t = w.transcript(&header, seed, &outputs, 1.0);
            verdict = t
                .verify(&params, &w.domain, &ctx, |a| registered.contains(&a))
                .expect("Rust accepts its own transcript");
            coverage = rewards::Coverage::from_unfilled(committee_jobs, verdict.unfilled_jobs)
                .expect("unfilled jobs are committee jobs");
            assert!(rewards::meets_coverage(coverage, params.min_coverage_bps));
        }
        let proof = t.encode().unwrap();

        // Fund exactly enough, or short (every third height), before the proof.
        let due = rewards::block_due(&params, coverage);
        let balance = U256::from(w.pool().balance);
        if height % 3 == 2 {
            underfunded += 1;
            let short = due.saturating_sub(balance) / u(2);
            w.fund(short);
        } else {
            let extra = u(w.rng.random_range(0..1000));
            w.fund(due.saturating_sub(balance) + extra);
        }
        let before = w.pool();
        let balance = U256::from(before.balance);
        let seq_withdrawer = withdrawer_of(header.proposer);
        let (sub0, seq0) = (w.owed(SUBMITTER), w.owed(seq_withdrawer));

        w.prove(&header, &proof);
        gas.push((height, proof.len(), verdict.leaves.len(), w.chain.last_gas));

        // The event, the stored block and the pool against the Rust rules.
        let pay: BlockPayout = rewards::block_payout(&params, balance, coverage);
        let reserved = rewards::reserved_for_provers(
            pay.provers,
            verdict.credited_cost,
            verdict.total_prover_cost,
        );
        let ev = w.chain.event::<R::BlockProven>().expect("BlockProven");
        assert_eq!(
            (
                ev.number,
                ev.blockHash,
                ev.submitter,
                ev.rewardsRoot,
                ev.distinctProvers,
                ev.unfilledJobs,
                ev.submitterReward,
                ev.sequencerReward,
                ev.proversReserved
            ),
            (
                u(header.number),
                header.hash(),
                SUBMITTER,
                verdict.rewards_root,
                u(verdict.distinct_provers),
                u(verdict.unfilled_jobs),
                pay.submitter,
                pay.sequencer,
                reserved
            ),
            "height {height}"
        );
        let pb = w.chain.view(
            w.rollup,
            &R::getProvenBlockCall {
                number: u(header.number),
            },
        );
        assert_eq!(
            (
                pb.blockHash,
                pb.rewardsRoot,
                U256::from(pb.proversPot),
                pb.totalProverCost
            ),
            (
                header.hash(),
                verdict.rewards_root,
                pay.provers,
                verdict.total_prover_cost
            )
        );
        let after = w.pool();
        assert_eq!(
            U256::from(after.balance),
            balance - pay.submitter - pay.sequencer - reserved
        );
        // Pull payments: the submitter's and sequencer's parts are owed, not transferred.
        assert_eq!(
            U256::from(after.outstanding),
            U256::from(before.outstanding) + reserved + pay.submitter + pay.sequencer
        );
        assert_eq!(after.paid, before.paid);
        assert_eq!(w.owed(SUBMITTER) - sub0, pay.submitter);
        assert_eq!(w.owed(seq_withdrawer) - seq0, pay.sequencer);
        if height % 2 == 0 {
            let owed = w.owed(seq_withdrawer);
            let held = w.balance(seq_withdrawer);
            w.chain
                .call(
                    seq_withdrawer,
                    w.rollup,
                    &R::withdrawRewardsCall {
                        recipient: seq_withdrawer,
                    },
                )
                .expect("withdrawRewards");
            assert_eq!(w.balance(seq_withdrawer) - held, owed);
            assert_eq!(w.owed(seq_withdrawer), U256::ZERO);
        }

        // One claim per block with a Rust-built proof, by the prover's staking key.
        let p = Proven {
            number: header.number,
            leaves: verdict.leaves.clone(),
            pot: pay.provers,
            total_cost: verdict.total_prover_cost,
        };
        if !p.leaves.is_empty() {
            let i = w.rng.random_range(0..p.leaves.len());
            claim(&mut w, &p, &[i]);
        }
        proven.push(p);
        println!(
            "height {height:>2}: block {} slot {} provers {:>3} credited {:>6}/{:<6} unfilled {:>4} pool {} due {}",
            header.number,
            header.slot,
            verdict.distinct_provers,
            verdict.credited_cost,
            verdict.total_prover_cost,
            verdict.unfilled_jobs,
            balance,
            pay.due
        );
    }
    println!("{low_coverage} heights first refused below the minimum coverage");
    assert!(low_coverage > 0);
    assert!(underfunded > 0);

    // A batched claim: every unclaimed block of the prover credited in the most blocks.
    let mut blocks_of: BTreeMap<Address, Vec<usize>> = BTreeMap::new();
    for (bi, p) in proven.iter().enumerate() {
        for l in &p.leaves {
            blocks_of.entry(l.prover).or_default().push(bi);
        }
    }
    let (&prover, _) = blocks_of.iter().max_by_key(|(_, v)| v.len()).unwrap();
    let mut items = Vec::new();
    let mut expected = U256::ZERO;
    for p in &proven {
        let Some(i) = p.leaves.iter().position(|l| l.prover == prover) else {
            continue;
        };
        let claimed: bool = w.chain.view(
            w.rollup,
            &R::isClaimedCall {
                prover,
                number: u(p.number),
            },
        );
        if claimed {
            continue;
        }
        let words: Vec<B256> = p.leaves.iter().map(RewardLeaf::word).collect();
        items.push(IRollup::ClaimItem {
            blockNumber: p.number,
            cost: p.leaves[i].cost,
            proof: transcript::rewards_proof(&words, i).unwrap(),
        });
        expected += rewards::claim_amount(p.pot, p.leaves[i].cost, p.total_cost).unwrap();
    }
    let recipient = Address::repeat_byte(0xc1);
    let b0 = w.balance(recipient);
    let count = items.len();
    let got = w
        .chain
        .call(prover, w.rollup, &R::claimCall { recipient, items })
        .unwrap_or_else(|f| panic!("batched claim failed: {:?}", f.spn_error()));
    assert_eq!(got, expected);
    assert_eq!(w.balance(recipient) - b0, expected);
    println!("batched claim of {count} blocks by {prover}: {expected}");
    println!("height, proof bytes, provers, submitProof gas:");
    for g in gas {
        println!("  {g:?}");
    }
}

/// Claims leaves `which` of block `p` one by one and checks the rejections of a replay and of a
/// wrong cost.
fn claim(w: &mut World, p: &Proven, which: &[usize]) {
    let words: Vec<B256> = p.leaves.iter().map(RewardLeaf::word).collect();
    for &i in which {
        let leaf = p.leaves[i];
        let proof = transcript::rewards_proof(&words, i).unwrap();
        let item = IRollup::ClaimItem {
            blockNumber: p.number,
            cost: leaf.cost,
            proof: proof.clone(),
        };
        let recipient = Address::repeat_byte(0xc0);
        let before = w.balance(recipient);
        let outstanding = U256::from(w.pool().outstanding);
        let expected = rewards::claim_amount(p.pot, leaf.cost, p.total_cost).unwrap();
        let res = w.chain.call(
            leaf.prover,
            w.rollup,
            &R::claimCall {
                recipient,
                items: vec![item.clone()],
            },
        );
        if expected.is_zero() {
            assert!(matches!(
                res.map_err(|f| f.spn_error()),
                Err(Some(E::Rewards__ZeroAmount(_)))
            ));
            continue;
        }
        assert_eq!(res.expect("claim"), expected);
        assert_eq!(w.balance(recipient) - before, expected);
        assert_eq!(
            U256::from(w.pool().outstanding),
            outstanding - expected,
            "outstanding"
        );
        // Replay and a wrong cost are rejected; another key cannot claim the leaf.
        let again = w.chain.call(
            leaf.prover,
            w.rollup,
            &R::claimCall {
                recipient,
                items: vec![item.clone()],
            },
        );
        assert!(matches!(
            again.map_err(|f| f.spn_error()),
            Err(Some(E::Rewards__AlreadyClaimed(_)))
        ));
        let stranger = w.chain.call(
            Address::repeat_byte(0x77),
            w.rollup,
            &R::claimCall {
                recipient,
                items: vec![item.clone()],
            },
        );
        assert!(matches!(
            stranger.map_err(|f| f.spn_error()),
            Err(Some(E::Rewards__InvalidProof(_)))
        ));
    }
}

// ------------------------------------------------------------------------------------ rejections

/// The Solidity verdict or error in the Rust crate's terms; `base` is the proof's calldata offset.
fn from_solidity(
    res: Result<IProofVerifier::VerifiedWork, Failure>,
    base: u64,
) -> Result<(B256, u64, u64, u64), String> {
    match res {
        Ok(w) => Ok((
            w.rewardsRoot,
            w.creditedCost.to(),
            w.distinctProvers.to(),
            w.unfilledJobs.to(),
        )),
        Err(f) => {
            let e = f.spn_error();
            let mapped = match e {
                Some(E::Transcript__Malformed(x)) => Error::Malformed {
                    at: x.at.saturating_to::<u64>() - base,
                    end: x.end.saturating_to::<u64>() - base,
                },
                Some(E::Transcript__OutputsLength(x)) => Error::OutputsLength {
                    expected: x.expected.to(),
                    actual: x.actual.to(),
                },
                Some(E::Transcript__OutputMismatch(x)) => Error::OutputMismatch {
                    round: x.round.to(),
                    job: x.job.to(),
                    expected: x.expected,
                    actual: x.actual,
                },
                Some(E::Transcript__ProversNotAscending(x)) => Error::ProversNotAscending {
                    previous: x.previous,
                    next: x.next,
                },
                Some(E::Transcript__EmptyContributions(x)) => {
                    Error::EmptyContributions { prover: x.prover }
                }
                Some(E::Transcript__ProverNotActive(x)) => {
                    Error::ProverNotActive { prover: x.prover }
                }
                Some(E::Transcript__JobOutOfRange(x)) => Error::JobOutOfRange {
                    job: x.job.to(),
                    limit: x.proverJobs.to(),
                },
                Some(E::Transcript__JobAlreadyContributed(x)) => {
                    Error::JobAlreadyContributed { job: x.job.to() }
                }
                Some(E::Transcript__NotInCommittee(x)) => Error::NotInCommittee {
                    prover: x.prover,
                    round: x.round.to(),
                },
                Some(E::Transcript__OutsideNeighbourhood(x)) => Error::OutsideNeighbourhood {
                    prover: x.prover,
                    round: x.round.to(),
                    job: x.job.to(),
                    own_job: x.ownJob.to(),
                },
                Some(E::Transcript__BadJobSignature(x)) => Error::BadJobSignature {
                    prover: x.prover,
                    job: x.job.to(),
                },
                other => return Err(format!("unmapped failure {f:?} ({other:?})")),
            };
            Err(format!("{mapped:?}"))
        }
    }
}

fn from_rust(res: Result<Verdict, Error>) -> Result<(B256, u64, u64, u64), String> {
    res.map(|v| {
        (
            v.rewards_root,
            v.credited_cost,
            v.distinct_provers,
            v.unfilled_jobs,
        )
    })
    .map_err(|e| format!("{e:?}"))
}

/// Random corruptions of valid transcripts (byte-level and structural) give the same verdict or
/// the same first error in Rust and in the TranscriptVerifier, in the verifier's order of checks.
#[test]
fn transcript_rejections_match_the_verifier() {
    // The verifier's rejections are the subject; the Rollup proves each block's honest transcript
    // afterwards, and at n = 3..6 a random committee cannot always credit half the jobs, so the
    // minimum coverage (tested in `propose_prove_and_claim_every_height`) is off here.
    let params = Params {
        min_coverage_bps: 0,
        ..Params::testnet()
    };
    let mut w = World::new(params.clone(), 0x0535_0bad);
    w.register(STAKERS);
    // Keys that never registered: provers the Staking call finds inactive.
    let outsiders: Vec<StakingKey> = (0..64)
        .map(|_| loop {
            if let Ok(k) = StakingKey::from_bytes(&w.rng.b256()) {
                break k;
            }
        })
        .collect();
    let first = w.clock.first_slot(params.set_change_delay).unwrap();
    w.warp(first);

    let mut rules = Rules::new("TranscriptVerifier.verify (mutations)");
    let total = spn_differential::iterations();
    let per_block = 100;
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let mut i = 0;
    while i < total {
        let height = rules.rng.random_range(3..=6u8);
        let (header, seed, outputs) = w.propose(height);
        let good = w.transcript(&header, seed, &outputs, 0.8);
        let ctx = w.verify_context(&header, seed);
        let sol_ctx = IProofVerifier::VerifyContext {
            blockHash: header.hash(),
            txRoot: header.txRoot,
            slotSeed: seed,
            domainSeparator: w.domain.separator(),
            staking: w.staking,
            epoch: u(ctx.epoch),
            activeCount: u(ctx.active_count),
            height: u(height.into()),
            roundHeight: u(params.round_height.into()),
            redundancy: u(params.redundancy),
            neighbourhood: u(params.neighbourhood.into()),
            costs: VSortitionLib::CostWeights {
                vmProofsPerTx: u(params.vm_proofs_per_tx),
                vmProofCost: u(params.vm_proof_cost),
                baseProofCost: u(params.base_proof_cost),
                mergeProofCost: u(params.merge_proof_cost),
            },
        };
        let separator: B256 = w.chain.view(w.rollup, &R::domainSeparatorCall {});
        assert_eq!(separator, w.domain.separator());
        for _ in 0..per_block.min(total - i) {
            let (kind, proof) = mutate(&mut rules.rng, &good, &w, &outsiders, &header);
            *kinds.entry(kind).or_default() += 1;
            let registered = &w.registered;
            let rust = transcript::verify_packed(&proof, &params, &w.domain, &ctx, |a| {
                registered.contains(&a)
            });
            let call = V::verifyCall {
                ctx: sol_ctx.clone(),
                proof: Bytes::from(proof.clone()),
            };
            let base = (call.abi_encode().len() - proof.len().div_ceil(32) * 32) as u64;
            let sol = w.chain.call(DEPLOYER, w.verifier, &call);
            let rust = from_rust(rust);
            let outcome = match &rust {
                Ok(_) => "accepted".to_owned(),
                Err(e) => e.split([' ', '{']).next().unwrap_or("").to_owned(),
            };
            *outcomes.entry(outcome).or_default() += 1;
            rules.check(
                i,
                (kind, Bytes::from(proof.clone())),
                rust,
                from_solidity(sol, base),
            );
            i += 1;
        }
        // The honest transcript goes through the Rollup, so the next proposal builds on it.
        w.prove(&header, &good.encode().unwrap());
    }
    println!("mutations: {kinds:?}");
    println!("outcomes: {outcomes:?}");
    println!(
        "rule {:<40} {:>6} checks (seed {})",
        rules.name, rules.checks, rules.seed
    );
}

/// One random corruption of `good` (or `good` itself): returns its kind and the packed bytes.
fn mutate(
    rng: &mut StdRng,
    good: &Transcript,
    w: &World,
    outsiders: &[StakingKey],
    header: &Header,
) -> (&'static str, Vec<u8>) {
    let bytes = good.encode().unwrap();
    let mut t = good.clone();
    let np = t.provers.len();
    let kind = rng.random_range(0..14);
    let pick = |rng: &mut StdRng, t: &Transcript| -> Option<(usize, usize)> {
        if t.provers.is_empty() {
            return None;
        }
        let p = rng.random_range(0..t.provers.len());
        Some((p, rng.random_range(0..t.provers[p].contributions.len())))
    };
    match kind {
        0 => ("valid", bytes),
        1 => {
            let cut = rng.random_range(0..bytes.len());
            ("truncated", bytes[..cut].to_vec())
        }
        2 => {
            let mut b = bytes;
            for _ in 0..rng.random_range(1..40) {
                b.push(rng.random());
            }
            ("trailing bytes", b)
        }
        3 => {
            let mut b = bytes;
            let at = rng.random_range(0..b.len());
            b[at] ^= 1 << rng.random_range(0..8);
            ("bit flip", b)
        }
        4 => {
            let j = rng.random_range(0..t.outputs.len());
            t.outputs[j] = rng.b256();
            ("output replaced", t.encode().unwrap())
        }
        5 => {
            let mut b = bytes;
            let c = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
            let c = if rng.random_bool(0.5) { c + 1 } else { c - 1 };
            b[..4].copy_from_slice(&c.to_be_bytes());
            ("outputCount off by one", b)
        }
        6 => {
            let mut b = bytes;
            let at = 4 + 32 * t.outputs.len();
            let c = u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
            let c = match rng.random_range(0..4) {
                0 => c + 1,
                1 => c.saturating_sub(1),
                2 => c + rng.random_range(2..5000),
                _ => rng.random_range(c..=u32::MAX),
            };
            b[at..at + 4].copy_from_slice(&c.to_be_bytes());
            ("proverCount changed", b)
        }
        7 if np >= 2 => {
            let (a, c) = (rng.random_range(0..np), rng.random_range(0..np));
            t.provers.swap(a, c);
            ("provers swapped", t.encode().unwrap())
        }
        8 if np >= 1 => {
            let p = rng.random_range(0..np);
            t.provers[p].contributions.clear();
            ("empty prover", t.encode().unwrap())
        }
        9 if np >= 2 => {
            let (p, c) = pick(rng, &t).unwrap();
            let dup = t.provers[p].contributions[c].clone();
            let q = rng.random_range(0..np);
            let at = rng.random_range(0..=t.provers[q].contributions.len());
            t.provers[q].contributions.insert(at, dup);
            ("contribution duplicated", t.encode().unwrap())
        }
        10 if np >= 1 => {
            let (p, c) = pick(rng, &t).unwrap();
            let jobs = t.outputs.len() as u32;
            t.provers[p].contributions[c].job = match rng.random_range(0..3) {
                0 => jobs - 1,
                1 => rng.random_range(jobs..jobs + 100),
                _ => rng.random_range(0..jobs),
            };
            ("job changed", t.encode().unwrap())
        }
        11 if np >= 1 => {
            let (p, c) = pick(rng, &t).unwrap();
            let con = &mut t.provers[p].contributions[c];
            match rng.random_range(0..3) {
                0 => con.r = rng.b256(),
                1 => con.vs = rng.b256(),
                _ => con.vs.0[0] ^= 0x80,
            }
            ("signature corrupted", t.encode().unwrap())
        }
        12 => {
            // A key that never registered takes over a job it is eligible for: every check but
            // the Staking call passes.
            let seed = w.slot_seed(header.slot);
            let schedule = spn_protocol::Schedule::new(&w.params, header.height).unwrap();
            let n = w.active_count();
            let Some(k) = outsiders
                .iter()
                .find(|k| schedule.in_committee(selection::score(k.address(), seed), 1, n))
            else {
                return ("valid", bytes);
            };
            let job = schedule.job_of(selection::score(k.address(), seed), 1);
            for pw in &mut t.provers {
                pw.contributions.retain(|c| c.job != job);
            }
            t.provers.retain(|pw| !pw.contributions.is_empty());
            let sig = k.sign_job_result(&w.domain, header.hash(), job, t.outputs[job as usize]);
            let mut b = TranscriptBuilder::new(t.outputs.clone());
            for pw in &t.provers {
                for c in &pw.contributions {
                    b.add(pw.prover, c.job, c.signature()).unwrap();
                }
            }
            b.add(k.address(), job, sig).unwrap();
            ("unregistered prover", b.build().encode().unwrap())
        }
        _ => {
            // A contribution moved to another prover (wrong committee, neighbourhood or signer).
            if np < 2 {
                return ("valid", bytes);
            }
            let (p, c) = pick(rng, &t).unwrap();
            let con = t.provers[p].contributions.remove(c);
            let q = (p + 1 + rng.random_range(0..np - 1)) % np;
            t.provers[q].contributions.push(con);
            ("contribution moved", t.encode().unwrap())
        }
    }
}
