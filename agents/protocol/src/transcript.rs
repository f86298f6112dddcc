//! The contribution transcript (TranscriptVerifier, and TreeLib's rewards tree): its ABI
//! encoding, a builder, the rewards tree and a pure mirror of the transcript verifier.
//!
//! `abi.encode(Transcript)` with
//! `struct Transcript { bytes32[] outputs; ProverWork[] provers; }`,
//! `struct ProverWork { address prover; Contribution[] contributions; }`,
//! `struct Contribution { uint32 job; bytes32 r; bytes32 vs; }`.
//!
//! Rewards leaf per prover: `keccak256(bytes.concat(keccak256(abi.encode(prover, uint64 cost))))`;
//! the rewards root is built level by level over the leaves in transcript order with OZ's
//! commutative keccak, an odd last node promoted unchanged, so OZ `MerkleProof.verify` accepts
//! the proofs of [`rewards_proof`].

use std::collections::BTreeMap;

use alloy_primitives::{keccak256, Address, B256};
use alloy_sol_types::{sol, Eip712Domain, SolValue};
use serde::{Deserialize, Serialize};

use crate::eip712;
use crate::error::{Error, Result};
use crate::params::Params;
use crate::schedule::Schedule;
use crate::selection;
use crate::signing::{self, CompactSignature};
use crate::tree;

sol! {
    /// One job result: global job id and the prover's compact signature over its `JobResult`.
    #[derive(Debug, Default, PartialEq, Eq)]
    struct Contribution {
        uint32 job;
        bytes32 r;
        bytes32 vs;
    }

    /// Every contribution of one prover.
    #[derive(Debug, Default, PartialEq, Eq)]
    struct ProverWork {
        address prover;
        Contribution[] contributions;
    }

    /// The proof a `TranscriptVerifier` checks: every job output and the credited work.
    #[derive(Debug, Default, PartialEq, Eq)]
    struct Transcript {
        bytes32[] outputs;
        ProverWork[] provers;
    }
}

impl Contribution {
    /// The contribution's signature.
    pub fn signature(&self) -> CompactSignature {
        CompactSignature {
            r: self.r,
            vs: self.vs,
        }
    }
}

impl Transcript {
    /// `abi.encode(transcript)`: the `bytes proof` handed to the verifier.
    pub fn encode(&self) -> Vec<u8> {
        self.abi_encode()
    }

    /// Decodes `abi.encode(transcript)`, rejecting values that do not fit their types.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        Ok(<Self as SolValue>::abi_decode_validate(bytes)?)
    }

    /// Checks the transcript as the `TranscriptVerifier` does and returns what it reports.
    ///
    /// Same checks in the same order as `TranscriptVerifier`, so the first failure is reported
    /// with the same error: schedule (height), outputs (length, round-by-round hashes, root =
    /// txRoot); per prover in order: strictly above the previous one (the first above
    /// `address(0)`) and non-empty; every prover active (`is_active` is asked in order, like the
    /// batched Staking call); then per contribution: `job < offset(K)`, not contributed before,
    /// prover in that round's committee, job in its neighbourhood, signature recovers to the
    /// prover.
    pub fn verify(
        &self,
        params: &Params,
        domain: &Eip712Domain,
        ctx: &VerifyContext,
        mut is_active: impl FnMut(Address) -> bool,
    ) -> Result<Verdict> {
        let schedule = Schedule::new(params, ctx.height)?;
        tree::verify_outputs(&schedule, &self.outputs, ctx.tx_root)?;
        // Provers strictly ascending from address(0) (hence distinct and non-zero), each with
        // work; then one batched activity check.
        let mut previous = Address::ZERO;
        for work in &self.provers {
            if work.prover <= previous {
                return Err(Error::ProversNotAscending {
                    previous,
                    next: work.prover,
                });
            }
            if work.contributions.is_empty() {
                return Err(Error::EmptyContributions {
                    prover: work.prover,
                });
            }
            previous = work.prover;
        }
        if let Some(w) = self.provers.iter().find(|w| !is_active(w.prover)) {
            return Err(Error::ProverNotActive { prover: w.prover });
        }
        let prover_jobs = schedule.prover_jobs();
        let mut seen = vec![false; prover_jobs as usize];
        let mut leaves = Vec::with_capacity(self.provers.len());
        let mut credited_cost = 0u64;
        let mut contributions = 0u64;
        for work in &self.provers {
            let prover = work.prover;
            let score = selection::score(prover, ctx.slot_seed);
            let mut cost = 0u64;
            for c in &work.contributions {
                if c.job >= prover_jobs {
                    return Err(Error::JobOutOfRange {
                        job: c.job.into(),
                        limit: prover_jobs.into(),
                    });
                }
                if std::mem::replace(&mut seen[c.job as usize], true) {
                    return Err(Error::JobAlreadyContributed { job: c.job });
                }
                let (round, index) = schedule.job_position(c.job)?;
                if !schedule.in_committee(score, round, ctx.active_count) {
                    return Err(Error::NotInCommittee { prover, round });
                }
                let own_job = schedule.job_of(score, round);
                if !schedule.in_neighbourhood(index, own_job) {
                    return Err(Error::OutsideNeighbourhood {
                        prover,
                        round,
                        job: index,
                        own_job,
                    });
                }
                let digest = eip712::job_result_digest(
                    domain,
                    ctx.block_hash,
                    c.job,
                    self.outputs[c.job as usize],
                );
                if signing::recover(digest, &c.signature()).ok() != Some(prover) {
                    return Err(Error::BadJobSignature { prover, job: c.job });
                }
                cost += schedule.cost(round);
            }
            contributions += work.contributions.len() as u64;
            credited_cost += cost;
            leaves.push(RewardLeaf { prover, cost });
        }
        let hashed: Vec<B256> = leaves.iter().map(RewardLeaf::hash).collect();
        Ok(Verdict {
            rewards_root: rewards_root(&hashed),
            credited_cost,
            distinct_provers: self.provers.len() as u64,
            unfilled_jobs: u64::from(prover_jobs) - contributions,
            total_prover_cost: schedule.total_prover_cost(),
            leaves,
        })
    }
}

/// What the Rollup hands the verifier about the block being proven (`VerifyContext`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyContext {
    /// Hash of the block's header.
    pub block_hash: B256,
    /// Epoch of the slot.
    pub epoch: u64,
    /// `slotSeed(slot)`.
    pub slot_seed: B256,
    /// The block's transaction root.
    pub tx_root: B256,
    /// The block's tree height n.
    pub height: u8,
    /// `activeCount(epoch)` (N).
    pub active_count: u64,
}

/// What a valid transcript yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Root of the rewards tree.
    pub rewards_root: B256,
    /// Sum of the provers' costs.
    pub credited_cost: u64,
    /// Number of provers (each with at least one contribution).
    pub distinct_provers: u64,
    /// Committee jobs without a contribution (done by the proposer, unpaid).
    pub unfilled_jobs: u64,
    /// `totalProverCost(n)` of the block.
    pub total_prover_cost: u64,
    /// Rewards leaves in transcript order.
    pub leaves: Vec<RewardLeaf>,
}

/// A prover's entry in a block's rewards tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardLeaf {
    /// The prover's staking key.
    pub prover: Address,
    /// Sum of the costs of its credited jobs.
    pub cost: u64,
}

impl RewardLeaf {
    /// `keccak256(bytes.concat(keccak256(abi.encode(prover, uint64 cost))))`.
    pub fn hash(&self) -> B256 {
        rewards_leaf(self.prover, self.cost)
    }
}

/// `keccak256(bytes.concat(keccak256(abi.encode(prover, uint64 cost))))`.
pub fn rewards_leaf(prover: Address, cost: u64) -> B256 {
    keccak256(keccak256((prover, cost).abi_encode()))
}

/// OZ `Hashes.commutativeKeccak256`: keccak of the two words, smaller first.
pub fn commutative_hash(a: B256, b: B256) -> B256 {
    if a < b {
        tree::node_hash(a, b)
    } else {
        tree::node_hash(b, a)
    }
}

/// Root of the rewards tree over `leaves` in order; `bytes32(0)` for no leaf.
pub fn rewards_root(leaves: &[B256]) -> B256 {
    if leaves.is_empty() {
        return B256::ZERO;
    }
    let mut level = leaves.to_vec();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|p| {
                if p.len() == 2 {
                    commutative_hash(p[0], p[1])
                } else {
                    p[0]
                }
            })
            .collect();
    }
    level[0]
}

/// Proof of `leaves[index]` for OZ `MerkleProof.verify(proof, root, leaf)`.
pub fn rewards_proof(leaves: &[B256], index: usize) -> Result<Vec<B256>> {
    if index >= leaves.len() {
        return Err(Error::LeafOutOfRange {
            index,
            len: leaves.len(),
        });
    }
    let mut proof = Vec::new();
    let mut level = leaves.to_vec();
    let mut i = index;
    while level.len() > 1 {
        if let Some(&sibling) = level.get(i ^ 1) {
            proof.push(sibling);
        }
        level = level
            .chunks(2)
            .map(|p| {
                if p.len() == 2 {
                    commutative_hash(p[0], p[1])
                } else {
                    p[0]
                }
            })
            .collect();
        i >>= 1;
    }
    Ok(proof)
}

/// OZ `MerkleProof.verify`: folds the proof into the leaf with the commutative hash.
pub fn verify_rewards_proof(proof: &[B256], root: B256, leaf: B256) -> bool {
    proof.iter().fold(leaf, |acc, &p| commutative_hash(acc, p)) == root
}

/// Collects signed job results and lays them out as the verifier wants them.
#[derive(Debug, Clone, Default)]
pub struct TranscriptBuilder {
    outputs: Vec<B256>,
    by_job: BTreeMap<u32, (Address, CompactSignature)>,
}

impl TranscriptBuilder {
    /// A builder over all job outputs of the block (global id order, root last).
    pub fn new(outputs: Vec<B256>) -> Self {
        Self {
            outputs,
            by_job: BTreeMap::new(),
        }
    }

    /// Credits `job` to `prover`. A job is credited once; the root cannot be credited.
    pub fn add(&mut self, prover: Address, job: u32, signature: CompactSignature) -> Result<()> {
        let limit = self.outputs.len().saturating_sub(1) as u64;
        if u64::from(job) >= limit {
            return Err(Error::JobOutOfRange {
                job: job.into(),
                limit,
            });
        }
        if self.by_job.contains_key(&job) {
            return Err(Error::JobAlreadyContributed { job });
        }
        self.by_job.insert(job, (prover, signature));
        Ok(())
    }

    /// Whether `job` is already credited.
    pub fn contains(&self, job: u32) -> bool {
        self.by_job.contains_key(&job)
    }

    /// Number of credited jobs.
    pub fn len(&self) -> usize {
        self.by_job.len()
    }

    /// Whether no job is credited yet.
    pub fn is_empty(&self) -> bool {
        self.by_job.is_empty()
    }

    /// The transcript: provers strictly ascending, each prover's contributions by ascending job.
    pub fn build(self) -> Transcript {
        let mut grouped: BTreeMap<Address, Vec<Contribution>> = BTreeMap::new();
        for (job, (prover, sig)) in self.by_job {
            grouped.entry(prover).or_default().push(Contribution {
                job,
                r: sig.r,
                vs: sig.vs,
            });
        }
        Transcript {
            outputs: self.outputs,
            provers: grouped
                .into_iter()
                .map(|(prover, contributions)| ProverWork {
                    prover,
                    contributions,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::SlotSchedule;
    use crate::signing::StakingKey;
    use crate::tree::BlockTree;
    use alloy_primitives::{hex, U256};

    #[test]
    fn abi_encoding_layout() {
        let t = Transcript {
            outputs: vec![B256::repeat_byte(1), B256::repeat_byte(2)],
            provers: vec![ProverWork {
                prover: Address::with_last_byte(0xaa),
                contributions: vec![Contribution {
                    job: 1,
                    r: B256::repeat_byte(3),
                    vs: B256::repeat_byte(4),
                }],
            }],
        };
        let enc = t.encode();
        let word = |i: usize| U256::from_be_slice(&enc[32 * i..32 * i + 32]);
        // abi.encode of one dynamic struct: head offset 0x20, then the tuple.
        assert_eq!(word(0), U256::from(0x20));
        assert_eq!(word(1), U256::from(0x40)); // outputs offset within the tuple
        assert_eq!(word(2), U256::from(0x40 + 32 * 3)); // provers offset: after outputs (len + 2)
        assert_eq!(word(3), U256::from(2)); // outputs.length
        assert_eq!(word(6), U256::from(1)); // provers.length
                                            // 0x20, tuple head (2), outputs (1 + 2), provers (1 + 1 offset), work (2),
                                            // contributions (1 + 3 static words).
        assert_eq!(enc.len(), 32 * 14);
        assert_eq!(Transcript::decode(&enc).unwrap(), t);
        assert!(Transcript::decode(&enc[..enc.len() - 1]).is_err());
        // A dirty address word is rejected like Solidity's abi.decode.
        let mut dirty = enc.clone();
        let prover_word = 32 * 8;
        assert_eq!(&dirty[prover_word + 31..prover_word + 32], &[0xaa]);
        dirty[prover_word] = 1;
        assert!(Transcript::decode(&dirty).is_err());
    }

    #[test]
    fn rewards_leaf_is_oz_standard_leaf() {
        let prover = Address::with_last_byte(7);
        let mut enc = [0u8; 64];
        enc[31] = 7;
        enc[56..].copy_from_slice(&106u64.to_be_bytes());
        assert_eq!(rewards_leaf(prover, 106), keccak256(keccak256(enc)));
    }

    #[test]
    fn rewards_tree_proofs_verify() {
        for count in 1..=17usize {
            let leaves: Vec<B256> = (0..count)
                .map(|i| rewards_leaf(Address::with_last_byte(i as u8), i as u64))
                .collect();
            let root = rewards_root(&leaves);
            for (i, &leaf) in leaves.iter().enumerate() {
                let proof = rewards_proof(&leaves, i).unwrap();
                assert!(proof.len() <= (usize::BITS - count.leading_zeros()) as usize);
                assert!(
                    verify_rewards_proof(&proof, root, leaf),
                    "count {count} index {i}"
                );
                assert!(!verify_rewards_proof(&proof, root, keccak256(leaf)));
            }
            assert!(rewards_proof(&leaves, count).is_err());
        }
        let (a, b, c) = (
            B256::repeat_byte(1),
            B256::repeat_byte(2),
            B256::repeat_byte(3),
        );
        assert_eq!(rewards_root(&[a]), a);
        assert_eq!(rewards_root(&[b, a]), commutative_hash(a, b));
        // Odd node promoted unchanged.
        assert_eq!(
            rewards_root(&[a, b, c]),
            commutative_hash(commutative_hash(a, b), c)
        );
        assert_eq!(rewards_root(&[]), B256::ZERO);
        assert_eq!(
            hex::encode(commutative_hash(b, a)),
            hex::encode(keccak256([[1u8; 32], [2u8; 32]].concat()))
        );
    }

    #[test]
    fn builder_groups_and_sorts() {
        let outputs = vec![B256::ZERO; 5];
        let mut b = TranscriptBuilder::new(outputs);
        let (hi, lo) = (Address::with_last_byte(9), Address::with_last_byte(1));
        let sig = CompactSignature::default();
        b.add(hi, 3, sig).unwrap();
        b.add(lo, 2, sig).unwrap();
        b.add(hi, 0, sig).unwrap();
        assert_eq!(
            b.add(lo, 3, sig),
            Err(Error::JobAlreadyContributed { job: 3 })
        );
        assert_eq!(
            b.add(lo, 4, sig),
            Err(Error::JobOutOfRange { job: 4, limit: 4 })
        );
        assert!(b.contains(0) && !b.contains(1));
        assert_eq!(b.len(), 3);
        let t = b.build();
        let provers: Vec<Address> = t.provers.iter().map(|w| w.prover).collect();
        assert_eq!(provers, [lo, hi]);
        let jobs: Vec<u32> = t.provers[1].contributions.iter().map(|c| c.job).collect();
        assert_eq!(jobs, [0, 3]);
    }

    struct World {
        params: Params,
        domain: Eip712Domain,
        keys: Vec<StakingKey>,
        ctx: VerifyContext,
        outputs: Vec<B256>,
        slot: SlotSchedule,
    }

    fn world() -> World {
        let params = Params::devnet();
        let keys: Vec<StakingKey> = (1..=40u8)
            .map(|i| StakingKey::from_bytes(&B256::with_last_byte(i)).unwrap())
            .collect();
        let addrs: Vec<Address> = keys.iter().map(StakingKey::address).collect();
        let seed = selection::slot_seed(U256::from(99), 5);
        let height = 5;
        let tree = BlockTree::from_transactions(5, &[b"a".as_slice(), b"b", b"c"]).unwrap();
        let slot = SlotSchedule::build(&params, height, seed, addrs.len() as u64, &addrs).unwrap();
        let outputs = tree.job_outputs(slot.schedule()).unwrap();
        let ctx = VerifyContext {
            block_hash: B256::repeat_byte(0x42),
            epoch: 1,
            slot_seed: seed,
            tx_root: tree.root(),
            height,
            active_count: addrs.len() as u64,
        };
        World {
            params,
            domain: eip712::domain(31337, Address::with_last_byte(0x11)),
            keys,
            ctx,
            outputs,
            slot,
        }
    }

    fn key_of(w: &World, addr: Address) -> &StakingKey {
        w.keys.iter().find(|k| k.address() == addr).unwrap()
    }

    /// Every job filled by its first owner, or else by its first neighbourhood filler.
    fn honest(w: &World) -> TranscriptBuilder {
        let mut b = TranscriptBuilder::new(w.outputs.clone());
        for job in 0..w.slot.schedule().prover_jobs() {
            if let Some(m) = w
                .slot
                .job_owners(job)
                .next()
                .or_else(|| w.slot.fillers(job).next())
            {
                let sig = key_of(w, m.address).sign_job_result(
                    &w.domain,
                    w.ctx.block_hash,
                    job,
                    w.outputs[job as usize],
                );
                b.add(m.address, job, sig).unwrap();
            }
        }
        b
    }

    #[test]
    fn honest_transcript_verifies() {
        let w = world();
        let b = honest(&w);
        let filled = b.len() as u64;
        let t = b.build();
        let v = t.verify(&w.params, &w.domain, &w.ctx, |_| true).unwrap();
        let s = w.slot.schedule();
        assert_eq!(v.unfilled_jobs, u64::from(s.prover_jobs()) - filled);
        assert_eq!(v.unfilled_jobs, w.slot.unfilled_jobs().len() as u64);
        assert_eq!(v.distinct_provers, t.provers.len() as u64);
        assert!(v.distinct_provers > 0);
        let expected: u64 = t
            .provers
            .iter()
            .flat_map(|p| &p.contributions)
            .map(|c| s.job_cost(c.job).unwrap())
            .sum();
        assert_eq!(v.credited_cost, expected);
        assert!(v.credited_cost <= v.total_prover_cost);
        let leaves: Vec<B256> = v.leaves.iter().map(RewardLeaf::hash).collect();
        assert_eq!(v.rewards_root, rewards_root(&leaves));
        // Round trip through the ABI changes nothing.
        let again = Transcript::decode(&t.encode()).unwrap();
        assert_eq!(
            again
                .verify(&w.params, &w.domain, &w.ctx, |_| true)
                .unwrap(),
            v
        );
        // Empty transcript of provers: the proposer did everything.
        let bare = Transcript {
            outputs: w.outputs.clone(),
            provers: vec![],
        };
        let v = bare.verify(&w.params, &w.domain, &w.ctx, |_| true).unwrap();
        assert_eq!(
            (v.distinct_provers, v.credited_cost, v.rewards_root),
            (0, 0, B256::ZERO)
        );
        assert_eq!(v.unfilled_jobs, u64::from(s.prover_jobs()));
    }

    #[test]
    fn transcript_rejections() {
        let w = world();
        let good = honest(&w).build();
        let verify = |t: &Transcript| t.verify(&w.params, &w.domain, &w.ctx, |_| true);
        assert!(good.provers.len() >= 2);

        let mut t = good.clone();
        t.outputs.pop();
        assert!(matches!(verify(&t), Err(Error::OutputsLength { .. })));

        let mut t = good.clone();
        t.provers.swap(0, 1);
        assert!(matches!(verify(&t), Err(Error::ProversNotAscending { .. })));

        let first = good.provers[0].prover;
        assert_eq!(
            good.verify(&w.params, &w.domain, &w.ctx, |a| a != first),
            Err(Error::ProverNotActive { prover: first })
        );

        let mut t = good.clone();
        t.provers[0].contributions.clear();
        assert_eq!(verify(&t), Err(Error::EmptyContributions { prover: first }));

        let mut t = good.clone();
        let root = w.slot.schedule().root_job();
        t.provers[0].contributions[0].job = root;
        assert!(matches!(verify(&t), Err(Error::JobOutOfRange { .. })));

        let mut t = good.clone();
        let dup = t.provers[0].contributions[0].clone();
        t.provers[1].contributions.insert(0, dup.clone());
        assert_eq!(
            verify(&t),
            Err(Error::JobAlreadyContributed { job: dup.job })
        );

        let mut t = good.clone();
        t.provers[0].contributions[0].vs = B256::repeat_byte(0x01);
        let job = t.provers[0].contributions[0].job;
        assert_eq!(
            verify(&t),
            Err(Error::BadJobSignature { prover: first, job })
        );

        // A staker outside the committee of its claimed round.
        let outsider = w
            .keys
            .iter()
            .find(|k| {
                let sc = selection::score(k.address(), w.ctx.slot_seed);
                !w.slot.schedule().in_committee(sc, 1, w.ctx.active_count)
            })
            .unwrap();
        let mut b = TranscriptBuilder::new(w.outputs.clone());
        let sig = outsider.sign_job_result(&w.domain, w.ctx.block_hash, 0, w.outputs[0]);
        b.add(outsider.address(), 0, sig).unwrap();
        assert_eq!(
            verify(&b.build()),
            Err(Error::NotInCommittee {
                prover: outsider.address(),
                round: 1
            })
        );

        // A member claiming a round-1 job outside its neighbourhood (d = 2: groups of 4 jobs).
        let m = w.slot.committee(1)[0];
        let own = w.slot.schedule().job_of(m.score, 1);
        let far = (own + 4) % w.slot.schedule().jobs(1);
        let mut b = TranscriptBuilder::new(w.outputs.clone());
        let sig = key_of(&w, m.address).sign_job_result(
            &w.domain,
            w.ctx.block_hash,
            far,
            w.outputs[far as usize],
        );
        b.add(m.address, far, sig).unwrap();
        assert_eq!(
            verify(&b.build()),
            Err(Error::OutsideNeighbourhood {
                prover: m.address,
                round: 1,
                job: far,
                own_job: own
            })
        );

        // Wrong context: another block hash invalidates every signature.
        let ctx = VerifyContext {
            block_hash: B256::repeat_byte(1),
            ..w.ctx.clone()
        };
        assert!(matches!(
            good.verify(&w.params, &w.domain, &ctx, |_| true),
            Err(Error::BadJobSignature { .. })
        ));
        // Height outside the parameters.
        let ctx = VerifyContext {
            height: 9,
            ..w.ctx.clone()
        };
        assert!(matches!(
            good.verify(&w.params, &w.domain, &ctx, |_| true),
            Err(Error::HeightOutOfRange { .. })
        ));
    }

    /// `cast abi-encode "f((bytes32[],(address,(uint32,bytes32,bytes32)[])[]))" ..` and
    /// `cast keccak` (foundry 1.7.1).
    #[test]
    fn matches_cast_vectors() {
        let w = |b: u8| B256::repeat_byte(b);
        let t = Transcript {
            outputs: vec![w(1), w(2)],
            provers: vec![
                ProverWork {
                    prover: Address::with_last_byte(0xaa),
                    contributions: vec![Contribution {
                        job: 1,
                        r: w(3),
                        vs: w(4),
                    }],
                },
                ProverWork {
                    prover: Address::with_last_byte(0xbb),
                    contributions: vec![
                        Contribution {
                            job: 7,
                            r: w(4),
                            vs: w(3),
                        },
                        Contribution {
                            job: 9,
                            r: w(1),
                            vs: w(2),
                        },
                    ],
                },
            ],
        };
        let words = [
            "0000000000000000000000000000000000000000000000000000000000000020",
            "0000000000000000000000000000000000000000000000000000000000000040",
            "00000000000000000000000000000000000000000000000000000000000000a0",
            "0000000000000000000000000000000000000000000000000000000000000002",
            "0101010101010101010101010101010101010101010101010101010101010101",
            "0202020202020202020202020202020202020202020202020202020202020202",
            "0000000000000000000000000000000000000000000000000000000000000002",
            "0000000000000000000000000000000000000000000000000000000000000040",
            "0000000000000000000000000000000000000000000000000000000000000100",
            "00000000000000000000000000000000000000000000000000000000000000aa",
            "0000000000000000000000000000000000000000000000000000000000000040",
            "0000000000000000000000000000000000000000000000000000000000000001",
            "0000000000000000000000000000000000000000000000000000000000000001",
            "0303030303030303030303030303030303030303030303030303030303030303",
            "0404040404040404040404040404040404040404040404040404040404040404",
            "00000000000000000000000000000000000000000000000000000000000000bb",
            "0000000000000000000000000000000000000000000000000000000000000040",
            "0000000000000000000000000000000000000000000000000000000000000002",
            "0000000000000000000000000000000000000000000000000000000000000007",
            "0404040404040404040404040404040404040404040404040404040404040404",
            "0303030303030303030303030303030303030303030303030303030303030303",
            "0000000000000000000000000000000000000000000000000000000000000009",
            "0101010101010101010101010101010101010101010101010101010101010101",
            "0202020202020202020202020202020202020202020202020202020202020202",
        ];
        assert_eq!(hex::encode(t.encode()), words.concat());
        assert_eq!(
            Transcript::decode(&hex::decode(words.concat()).unwrap()).unwrap(),
            t
        );
        assert_eq!(
            rewards_leaf(Address::with_last_byte(7), 106),
            alloy_primitives::b256!(
                "82c0d9abba991a7c82955d810f93aa041301a9b00e0819e8b0b099334edcc2f6"
            )
        );
    }
}
