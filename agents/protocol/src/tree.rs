//! The block's transaction tree and job outputs (TreeLib, positional half).
//!
//! Leaves are `keccak256(txBytes)`, empty leaves `bytes32(0)`, inner nodes
//! `keccak256(abi.encodePacked(left, right))`. The output of round-r job j is the node at
//! `(level(r), j)`: the root of its `2^h(r)` round-(r-1) inputs. The root is the block's txRoot.

use alloy_primitives::{keccak256, B256};

use crate::error::{Error, Result};
use crate::schedule::Schedule;

/// Leaf of a transaction: `keccak256(txBytes)`.
pub fn tx_leaf(tx: &[u8]) -> B256 {
    keccak256(tx)
}

/// Inner node: `keccak256(abi.encodePacked(left, right))`.
pub fn node_hash(left: B256, right: B256) -> B256 {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(left.as_slice());
    buf[32..].copy_from_slice(right.as_slice());
    keccak256(buf)
}

/// Root of a subtree over a non-zero power-of-two number of inputs (one job's output).
pub fn subtree_root(inputs: &[B256]) -> Result<B256> {
    if !inputs.len().is_power_of_two() {
        return Err(Error::NotPowerOfTwo(inputs.len()));
    }
    let mut level = inputs.to_vec();
    while level.len() > 1 {
        level = level
            .chunks_exact(2)
            .map(|p| node_hash(p[0], p[1]))
            .collect();
    }
    Ok(level[0])
}

/// Root of the tree of `height` over `leaves` padded with `bytes32(0)`, without materialising
/// the padding: the work is O(`leaves.len()` + `height`) hashes and allocations, whatever the
/// height (a body can be checked against its root before building the full tree).
pub fn sparse_root(height: u32, leaves: &[B256]) -> Result<B256> {
    if height > 63 {
        return Err(Error::HeightMismatch {
            expected: 63,
            actual: height,
        });
    }
    let capacity = 1u64 << height;
    if leaves.len() as u64 > capacity {
        return Err(Error::TooManyLeaves {
            height,
            capacity,
            got: leaves.len(),
        });
    }
    // `zero` is the root of an all-empty subtree of the current level.
    let mut zero = B256::ZERO;
    let mut level: Vec<B256> = leaves.to_vec();
    for _ in 0..height {
        level = level
            .chunks(2)
            .map(|p| node_hash(p[0], p.get(1).copied().unwrap_or(zero)))
            .collect();
        zero = node_hash(zero, zero);
    }
    Ok(level.first().copied().unwrap_or(zero))
}

/// Every node of a block's tree, level by level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockTree {
    /// `levels[l]` holds the `2^(n-l)` nodes of level l; `levels[n] = [root]`.
    levels: Vec<Vec<B256>>,
}

impl BlockTree {
    /// The tree of height `height` over `leaves`, padded with `bytes32(0)` to `2^height`.
    pub fn new(height: u32, leaves: &[B256]) -> Result<Self> {
        if height > 31 {
            return Err(Error::HeightMismatch {
                expected: 31,
                actual: height,
            });
        }
        let capacity = 1usize << height;
        if leaves.len() > capacity {
            return Err(Error::TooManyLeaves {
                height,
                capacity: capacity as u64,
                got: leaves.len(),
            });
        }
        let mut base = Vec::with_capacity(capacity);
        base.extend_from_slice(leaves);
        base.resize(capacity, B256::ZERO);
        let mut levels = Vec::with_capacity(height as usize + 1);
        levels.push(base);
        for l in 0..height as usize {
            let next = levels[l]
                .chunks_exact(2)
                .map(|p| node_hash(p[0], p[1]))
                .collect();
            levels.push(next);
        }
        Ok(Self { levels })
    }

    /// The tree of the given transactions (leaves `keccak256(tx)`).
    pub fn from_transactions<T: AsRef<[u8]>>(height: u32, txs: &[T]) -> Result<Self> {
        let leaves: Vec<B256> = txs.iter().map(|t| tx_leaf(t.as_ref())).collect();
        Self::new(height, &leaves)
    }

    /// Tree height n.
    pub fn height(&self) -> u32 {
        (self.levels.len() - 1) as u32
    }

    /// The root (the block's txRoot).
    pub fn root(&self) -> B256 {
        self.levels[self.levels.len() - 1][0]
    }

    /// The nodes of one level (0 = leaves).
    pub fn level(&self, level: u32) -> Result<&[B256]> {
        self.levels
            .get(level as usize)
            .map(Vec::as_slice)
            .ok_or(Error::NodeOutOfRange {
                level,
                index: 0,
                height: self.height(),
            })
    }

    /// The node at `(level, index)`.
    pub fn node(&self, level: u32, index: u64) -> Result<B256> {
        self.levels
            .get(level as usize)
            .and_then(|l| l.get(index as usize))
            .copied()
            .ok_or(Error::NodeOutOfRange {
                level,
                index,
                height: self.height(),
            })
    }

    /// All job outputs of the block in global job id order (rounds concatenated):
    /// `outputs[offset(r) + j]` is the node at `(level(r), j)`.
    pub fn job_outputs(&self, schedule: &Schedule) -> Result<Vec<B256>> {
        if schedule.height() != self.height() {
            return Err(Error::HeightMismatch {
                expected: schedule.height(),
                actual: self.height(),
            });
        }
        let mut out = Vec::with_capacity(schedule.total_jobs() as usize);
        for r in 1..=schedule.rounds() {
            out.extend_from_slice(&self.levels[schedule.level(r) as usize]);
        }
        Ok(out)
    }

    /// Positional proof of the node at `(level, index)`: its siblings from that level up,
    /// `height - level` of them.
    pub fn proof(&self, level: u32, index: u64) -> Result<Vec<B256>> {
        self.node(level, index)?;
        let mut idx = index as usize;
        let mut proof = Vec::with_capacity((self.height() - level) as usize);
        for l in level as usize..self.height() as usize {
            proof.push(self.levels[l][idx ^ 1]);
            idx >>= 1;
        }
        Ok(proof)
    }
}

/// Root reached from `node` at position `index` of its level through a positional `proof`:
/// at each step the node is the left child iff the index bit is 0.
pub fn process_proof(node: B256, index: u64, proof: &[B256]) -> B256 {
    let mut acc = node;
    let mut idx = index;
    for &sibling in proof {
        acc = if idx & 1 == 0 {
            node_hash(acc, sibling)
        } else {
            node_hash(sibling, acc)
        };
        idx >>= 1;
    }
    acc
}

/// Whether `proof` places `node` at `(level, index)` of a tree of `height` with this `root`.
/// The proof must have exactly `height - level` siblings and the index must fit its level.
pub fn verify_proof(
    node: B256,
    level: u32,
    index: u64,
    height: u32,
    proof: &[B256],
    root: B256,
) -> bool {
    if level > height || proof.len() as u64 != u64::from(height - level) {
        return false;
    }
    if height - level < 64 && index >> (height - level) != 0 {
        return false;
    }
    process_proof(node, index, proof) == root
}

/// Checks transcript outputs against the block: `outputs.length == totalJobs`, every output of
/// round r >= 2 is the root of its round-(r-1) inputs, and the root equals `tx_root`.
/// Round-1 outputs commit to the transactions themselves and cannot be checked without them.
pub fn verify_outputs(schedule: &Schedule, outputs: &[B256], tx_root: B256) -> Result<()> {
    let total = schedule.total_jobs() as usize;
    if outputs.len() != total {
        return Err(Error::OutputsLength {
            expected: total as u64,
            actual: outputs.len() as u64,
        });
    }
    for r in 2..=schedule.rounds() {
        let inputs_base = schedule.offset(r - 1) as usize;
        let width = 1usize << schedule.subtree_height(r);
        let base = schedule.offset(r) as usize;
        for j in 0..schedule.jobs(r) as usize {
            let start = inputs_base + j * width;
            let expected = subtree_root(&outputs[start..start + width])?;
            let actual = outputs[base + j];
            if expected != actual {
                return Err(Error::OutputMismatch {
                    round: r,
                    job: j as u32,
                    expected,
                    actual,
                });
            }
        }
    }
    let root = outputs[total - 1];
    if root != tx_root {
        return Err(Error::OutputMismatch {
            round: schedule.rounds(),
            job: 0,
            expected: tx_root,
            actual: root,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_root_matches_the_full_tree_and_ignores_the_padding() {
        for n in 0..=8u32 {
            for len in [0usize, 1, 2, 3, 5, 1 << n] {
                let leaves: Vec<B256> = (0..len.min(1 << n))
                    .map(|i| B256::with_last_byte(i as u8 ^ 0x5a))
                    .collect();
                let full = BlockTree::new(n, &leaves).unwrap().root();
                assert_eq!(sparse_root(n, &leaves).unwrap(), full, "n={n} len={len}");
            }
        }
        assert!(sparse_root(1, &[B256::ZERO; 3]).is_err());
        assert!(sparse_root(64, &[]).is_err());
        // Height 63 with one leaf: 63 hashes, not 2^63 leaves.
        assert!(sparse_root(63, &[B256::repeat_byte(1)]).is_ok());
    }
    use crate::params::Params;
    use alloy_primitives::b256;

    fn txs(count: usize) -> Vec<Vec<u8>> {
        (0..count).map(|i| format!("tx-{i}").into_bytes()).collect()
    }

    #[test]
    fn node_hash_of_zeros_is_known() {
        // keccak256(bytes32(0) ++ bytes32(0)), the level-1 zero hash of keccak Merkle trees.
        assert_eq!(
            node_hash(B256::ZERO, B256::ZERO),
            b256!("ad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5")
        );
        assert_eq!(
            tx_leaf(b""),
            b256!("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
        );
    }

    #[test]
    fn subtree_roots() {
        let a = B256::repeat_byte(1);
        let b = B256::repeat_byte(2);
        assert_eq!(subtree_root(&[a]).unwrap(), a);
        assert_eq!(subtree_root(&[a, b]).unwrap(), node_hash(a, b));
        assert_eq!(
            subtree_root(&[a, b, b, a]).unwrap(),
            node_hash(node_hash(a, b), node_hash(b, a))
        );
        assert_eq!(subtree_root(&[a, b, a]), Err(Error::NotPowerOfTwo(3)));
        assert_eq!(subtree_root(&[]), Err(Error::NotPowerOfTwo(0)));
    }

    #[test]
    fn tree_pads_with_zero_leaves() {
        let t = BlockTree::from_transactions(2, &txs(3)).unwrap();
        let l: Vec<B256> = txs(3).iter().map(|t| tx_leaf(t)).collect();
        let expect = node_hash(node_hash(l[0], l[1]), node_hash(l[2], B256::ZERO));
        assert_eq!(t.root(), expect);
        assert_eq!(t.height(), 2);
        assert!(matches!(
            BlockTree::from_transactions(1, &txs(3)),
            Err(Error::TooManyLeaves { .. })
        ));
        let empty = BlockTree::new(0, &[]).unwrap();
        assert_eq!(empty.root(), B256::ZERO);
    }

    #[test]
    fn job_outputs_follow_the_schedule_and_verify() {
        let p = Params::testnet();
        for n in [3u8, 4, 7, 11] {
            let s = Schedule::new(&p, n).unwrap();
            let t =
                BlockTree::from_transactions(u32::from(n), &txs((5 + 3 * n as usize).min(1 << n)))
                    .unwrap();
            let out = t.job_outputs(&s).unwrap();
            assert_eq!(out.len(), s.total_jobs() as usize);
            assert_eq!(*out.last().unwrap(), t.root());
            // Each round-r output is the subtree root of its round-(r-1) inputs (round 0 = leaves).
            for r in 1..=s.rounds() {
                let width = 1usize << s.subtree_height(r);
                for j in 0..s.jobs(r) as usize {
                    let inputs: Vec<B256> = if r == 1 {
                        t.level(0).unwrap()[j * width..(j + 1) * width].to_vec()
                    } else {
                        let b = s.offset(r - 1) as usize + j * width;
                        out[b..b + width].to_vec()
                    };
                    assert_eq!(
                        out[s.offset(r) as usize + j],
                        subtree_root(&inputs).unwrap()
                    );
                }
            }
            verify_outputs(&s, &out, t.root()).unwrap();
            assert!(matches!(
                verify_outputs(&s, &out, B256::ZERO),
                Err(Error::OutputMismatch {
                    expected: B256::ZERO,
                    ..
                })
            ));
            let mut bad = out.clone();
            bad[s.offset(2) as usize] = B256::repeat_byte(9);
            assert!(matches!(
                verify_outputs(&s, &bad, t.root()),
                Err(Error::OutputMismatch {
                    round: 2,
                    job: 0,
                    ..
                })
            ));
            let mut bad = out.clone();
            bad[0] = B256::repeat_byte(9);
            assert!(matches!(
                verify_outputs(&s, &bad, t.root()),
                Err(Error::OutputMismatch {
                    round: 2,
                    job: 0,
                    ..
                })
            ));
            assert!(matches!(
                verify_outputs(&s, &out[1..], t.root()),
                Err(Error::OutputsLength { .. })
            ));
        }
        let s = Schedule::new(&p, 5).unwrap();
        let t = BlockTree::new(4, &[]).unwrap();
        assert!(matches!(
            t.job_outputs(&s),
            Err(Error::HeightMismatch { .. })
        ));
    }

    #[test]
    fn positional_proofs() {
        let t = BlockTree::from_transactions(5, &txs(21)).unwrap();
        for level in 0..=5u32 {
            for index in 0..(1u64 << (5 - level)) {
                let node = t.node(level, index).unwrap();
                let proof = t.proof(level, index).unwrap();
                assert_eq!(proof.len(), (5 - level) as usize);
                assert!(verify_proof(node, level, index, 5, &proof, t.root()));
                // Wrong position, wrong node, wrong length, index too large.
                if level < 5 {
                    if node != proof[0] {
                        assert!(!verify_proof(node, level, index ^ 1, 5, &proof, t.root()));
                    }
                    assert!(!verify_proof(
                        node,
                        level,
                        index + (1 << (5 - level)),
                        5,
                        &proof,
                        t.root()
                    ));
                    assert!(!verify_proof(node, level, index, 5, &proof[1..], t.root()));
                }
                assert!(!verify_proof(
                    B256::repeat_byte(7),
                    level,
                    index,
                    5,
                    &proof,
                    t.root()
                ));
            }
        }
        assert!(t.proof(2, 8).is_err());
        assert!(t.proof(6, 0).is_err());
        assert!(!verify_proof(t.root(), 6, 0, 5, &[], t.root()));
    }
}
