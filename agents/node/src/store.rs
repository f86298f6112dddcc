//! An agent's data directory: an embedded store (redb, one file, transactional) holding what must
//! survive a restart (docs/PROTOCOL.md §15.7).
//!
//! - **The signing record** (slashing protection): every proposal, attestation, job result and
//!   transition signature (training wheel) the key published. Before a message goes out it is
//!   checked against the record in the same write transaction that records it, and that
//!   transaction is durable before the message leaves the process: across crashes and restarts
//!   the key never publishes two different proposals for one slot, two different attestations for
//!   one block, two different results for one job of a block, or two different transition
//!   signatures for one block. Re-publishing the same bytes is allowed (gossip is lossy).
//! - **Its job results**, served again after a restart to submitters that ask for them.
//! - **The last L1 block processed**, which tells a chain that went backwards (a reset).
//! - **Whose records these are**: the chain, the Rollup, the hash of the deployment block and the
//!   key. A data directory of another deployment or key is refused rather than mixed in (a reset
//!   devnet at the same addresses has another deployment block hash).
//!
//! Work in progress is not stored: on restart the agent replays the unproven blocks from L1
//! (their bodies come from peers) and resumes where its signing record allows.

use std::path::{Path, PathBuf};

use alloy_primitives::{Address, Bytes, B256};
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};

use crate::error::{Error, Result};

/// Signed messages: `kind ‖ id (32) ‖ job (4, big-endian)` -> the published payload.
const SIGNED: TableDefinition<&[u8], &[u8]> = TableDefinition::new("signed");
/// Single values: identity, last L1 block.
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// The store's file inside the data directory.
pub const STORE_FILE: &str = "spn.redb";

/// What a signed message is unique for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signed {
    /// A proposal: one per slot.
    Proposal {
        /// The slot.
        slot: u64,
    },
    /// An attestation: one per block.
    Attestation {
        /// The attested block.
        block: B256,
    },
    /// A job result: one per job of a block.
    JobResult {
        /// The block.
        block: B256,
        /// The job.
        job: u32,
    },
    /// A BLS signature of a block's state transition (training wheel): one per block.
    Transition {
        /// The signed block.
        block: B256,
    },
}

impl Signed {
    fn key(&self) -> [u8; 37] {
        let mut k = [0u8; 37];
        let (kind, id, job) = match *self {
            Signed::Proposal { slot } => (1u8, B256::left_padding_from(&slot.to_be_bytes()), 0),
            Signed::Attestation { block } => (2, block, 0),
            Signed::JobResult { block, job } => (3, block, job),
            Signed::Transition { block } => (4, block, 0),
        };
        k[0] = kind;
        k[1..33].copy_from_slice(id.as_slice());
        k[33..].copy_from_slice(&job.to_be_bytes());
        k
    }

    fn name(&self) -> String {
        match self {
            Signed::Proposal { slot } => format!("proposal for slot {slot}"),
            Signed::Attestation { block } => format!("attestation of block {block}"),
            Signed::JobResult { block, job } => format!("result of job {job} of block {block}"),
            Signed::Transition { block } => format!("transition signature of block {block}"),
        }
    }
}

/// The answer of the signing record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Never signed before: now recorded; publish.
    New,
    /// The same message was published before: publishing it again is harmless.
    Repeat,
    /// A different message was published for the same slot, block or job: never publish.
    Conflict {
        /// What the record holds.
        what: String,
    },
}

/// Whose records a data directory holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Chain id.
    pub chain_id: u64,
    /// The Rollup.
    pub rollup: Address,
    /// Hash of the deployment block (differs on a reset chain at the same addresses).
    pub deployment_block_hash: B256,
    /// The agent's key.
    pub key: Address,
}

impl Identity {
    fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(8 + 20 + 32 + 20);
        v.extend_from_slice(&self.chain_id.to_be_bytes());
        v.extend_from_slice(self.rollup.as_slice());
        v.extend_from_slice(self.deployment_block_hash.as_slice());
        v.extend_from_slice(self.key.as_slice());
        v
    }

    fn decode(b: &[u8]) -> Option<Self> {
        if b.len() != 80 {
            return None;
        }
        Some(Self {
            chain_id: u64::from_be_bytes(b[..8].try_into().ok()?),
            rollup: Address::from_slice(&b[8..28]),
            deployment_block_hash: B256::from_slice(&b[28..60]),
            key: Address::from_slice(&b[60..80]),
        })
    }
}

/// An open data directory.
#[derive(Debug)]
pub struct Store {
    db: Database,
    dir: PathBuf,
    key: Address,
}

impl Store {
    /// Opens (creating if needed) the data directory `dir` for `identity`. Fails with one line
    /// naming the directory if it cannot be created, read or written, is in use by another
    /// process, or holds another deployment's or key's records.
    pub fn open(dir: &Path, identity: &Identity) -> Result<Self> {
        let fail = |reason: String| Error::DataDir {
            path: dir.to_path_buf(),
            reason,
        };
        create_private_dir(dir).map_err(|e| fail(format!("cannot create it: {e}")))?;
        let path = dir.join(STORE_FILE);
        let db = Database::create(&path).map_err(|e| {
            let text = e.to_string();
            if text.contains("already open") || text.contains("lock") {
                fail("in use by another process (one data directory per agent)".into())
            } else {
                fail(format!("cannot open {STORE_FILE}: {text}"))
            }
        })?;
        let store = Self {
            db,
            dir: dir.to_path_buf(),
            key: identity.key,
        };
        store.claim(identity)?;
        Ok(store)
    }

    /// The key whose signatures are recorded.
    pub fn key(&self) -> Address {
        self.key
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn fail(&self, reason: impl std::fmt::Display) -> Error {
        Error::DataDir {
            path: self.dir.clone(),
            reason: reason.to_string(),
        }
    }

    /// Records `identity` in a new store, or checks it against the recorded one.
    fn claim(&self, identity: &Identity) -> Result<()> {
        let w = self.db.begin_write().map_err(|e| self.fail(e))?;
        {
            let mut meta = w.open_table(META).map_err(|e| self.fail(e))?;
            let recorded = meta
                .get("identity")
                .map_err(|e| self.fail(e))?
                .map(|v| v.value().to_vec());
            match recorded {
                None => {
                    meta.insert("identity", identity.encode().as_slice())
                        .map_err(|e| self.fail(e))?;
                }
                Some(bytes) => {
                    let theirs = Identity::decode(&bytes)
                        .ok_or_else(|| self.fail("its identity record is corrupt"))?;
                    if theirs != *identity {
                        return Err(self.fail(mismatch(&theirs, identity)));
                    }
                }
            }
            w.open_table(SIGNED).map_err(|e| self.fail(e))?;
        }
        w.commit().map_err(|e| self.fail(e))
    }

    /// Checks `payload` against the signing record of `what` and records it if new, durably,
    /// before returning [`Verdict::New`].
    pub fn guard(&self, what: Signed, payload: &[u8]) -> Result<Verdict> {
        let key = what.key();
        let w = self.db.begin_write().map_err(|e| self.fail(e))?;
        let verdict = {
            let mut t = w.open_table(SIGNED).map_err(|e| self.fail(e))?;
            let previous = t
                .get(key.as_slice())
                .map_err(|e| self.fail(e))?
                .map(|v| v.value().to_vec());
            match previous {
                Some(p) if p == payload => Verdict::Repeat,
                Some(_) => Verdict::Conflict { what: what.name() },
                None => {
                    t.insert(key.as_slice(), payload)
                        .map_err(|e| self.fail(e))?;
                    Verdict::New
                }
            }
        };
        if verdict == Verdict::New {
            w.commit().map_err(|e| self.fail(e))?;
        } else {
            w.abort().map_err(|e| self.fail(e))?;
        }
        Ok(verdict)
    }

    /// The key's job results, as published (served again after a restart).
    pub fn job_results(&self) -> Result<Vec<(B256, u32, Bytes)>> {
        let r = self.db.begin_read().map_err(|e| self.fail(e))?;
        let t = r.open_table(SIGNED).map_err(|e| self.fail(e))?;
        let mut out = Vec::new();
        let from = [3u8; 1];
        let to = [4u8; 1];
        for entry in t
            .range::<&[u8]>(from.as_slice()..to.as_slice())
            .map_err(|e| self.fail(e))?
        {
            let (k, v) = entry.map_err(|e| self.fail(e))?;
            let k = k.value();
            if k.len() != 37 {
                continue;
            }
            let block = B256::from_slice(&k[1..33]);
            let job = u32::from_be_bytes(k[33..37].try_into().expect("4 bytes"));
            out.push((block, job, Bytes::copy_from_slice(v.value())));
        }
        Ok(out)
    }

    /// Number of signed messages recorded.
    pub fn signed_count(&self) -> Result<u64> {
        let r = self.db.begin_read().map_err(|e| self.fail(e))?;
        let t = r.open_table(SIGNED).map_err(|e| self.fail(e))?;
        t.len().map_err(|e| self.fail(e))
    }

    /// Records the last L1 block the agent processed.
    pub fn set_last_l1_block(&self, number: u64) -> Result<()> {
        let w = self.db.begin_write().map_err(|e| self.fail(e))?;
        {
            let mut meta = w.open_table(META).map_err(|e| self.fail(e))?;
            meta.insert("last_l1_block", number.to_be_bytes().as_slice())
                .map_err(|e| self.fail(e))?;
        }
        w.commit().map_err(|e| self.fail(e))
    }

    /// The last L1 block processed before, if any.
    pub fn last_l1_block(&self) -> Result<Option<u64>> {
        let r = self.db.begin_read().map_err(|e| self.fail(e))?;
        let meta = r.open_table(META).map_err(|e| self.fail(e))?;
        let v = meta.get("last_l1_block").map_err(|e| self.fail(e))?;
        Ok(v.and_then(|v| v.value().try_into().ok().map(u64::from_be_bytes)))
    }
}

fn mismatch(theirs: &Identity, ours: &Identity) -> String {
    let what = if theirs.key != ours.key {
        format!("the key {} (this agent runs {})", theirs.key, ours.key)
    } else if theirs.chain_id != ours.chain_id || theirs.rollup != ours.rollup {
        format!(
            "the deployment of Rollup {} on chain {} (this one is {} on chain {})",
            theirs.rollup, theirs.chain_id, ours.rollup, ours.chain_id
        )
    } else {
        format!(
            "a deployment whose first block had hash {} (now {}: the chain was reset)",
            theirs.deployment_block_hash, ours.deployment_block_hash
        )
    };
    format!("it holds the records of {what}; pass another --data-dir, or remove it if that deployment is gone")
}

/// Checks, before anything else is started, that `dir` can be the data directory (created if
/// missing, a writable directory): a bad `--data-dir` is reported before the RPC is contacted.
pub fn check_dir(dir: &Path) -> Result<()> {
    create_private_dir(dir).map_err(|e| Error::DataDir {
        path: dir.to_path_buf(),
        reason: format!("cannot be used: {e}"),
    })
}

/// Creates `dir` (and parents) readable by the owner only, and checks it is a writable directory.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)?;
    let meta = std::fs::metadata(dir)?;
    if !meta.is_dir() {
        return Err(std::io::Error::other("not a directory"));
    }
    // Fails early, with the OS's reason, on a directory the agent cannot write.
    let probe = dir.join(".spn-write-test");
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(&probe)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(key: u8) -> Identity {
        Identity {
            chain_id: 31337,
            rollup: Address::repeat_byte(1),
            deployment_block_hash: B256::repeat_byte(2),
            key: Address::repeat_byte(key),
        }
    }

    fn tempdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("spn-store-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn the_signing_record_survives_a_reopen_and_refuses_conflicts() {
        let dir = tempdir("guard");
        let block = B256::repeat_byte(7);
        {
            let s = Store::open(&dir, &identity(9)).unwrap();
            let r = Signed::JobResult { block, job: 3 };
            assert_eq!(s.guard(r, b"out-a").unwrap(), Verdict::New);
            assert_eq!(s.guard(r, b"out-a").unwrap(), Verdict::Repeat);
            assert!(matches!(
                s.guard(r, b"out-b").unwrap(),
                Verdict::Conflict { .. }
            ));
            // Another job, another block, another kind with the same id: independent.
            assert_eq!(
                s.guard(Signed::JobResult { block, job: 4 }, b"out-b")
                    .unwrap(),
                Verdict::New
            );
            assert_eq!(
                s.guard(Signed::Attestation { block }, b"att").unwrap(),
                Verdict::New
            );
            assert_eq!(
                s.guard(Signed::Proposal { slot: 5 }, b"p1").unwrap(),
                Verdict::New
            );
            // One transition signature per block, independent of the block's other records.
            let t = Signed::Transition { block };
            assert_eq!(s.guard(t, b"sig-a").unwrap(), Verdict::New);
            assert_eq!(s.guard(t, b"sig-a").unwrap(), Verdict::Repeat);
            assert!(matches!(
                s.guard(t, b"sig-b").unwrap(),
                Verdict::Conflict { .. }
            ));
            s.set_last_l1_block(42).unwrap();
        }
        let s = Store::open(&dir, &identity(9)).unwrap();
        assert!(matches!(
            s.guard(Signed::JobResult { block, job: 3 }, b"out-b")
                .unwrap(),
            Verdict::Conflict { .. }
        ));
        assert!(matches!(
            s.guard(Signed::Proposal { slot: 5 }, b"p2").unwrap(),
            Verdict::Conflict { .. }
        ));
        assert!(matches!(
            s.guard(Signed::Transition { block }, b"sig-b").unwrap(),
            Verdict::Conflict { .. }
        ));
        assert_eq!(
            s.guard(Signed::Transition { block }, b"sig-a").unwrap(),
            Verdict::Repeat
        );
        assert_eq!(s.last_l1_block().unwrap(), Some(42));
        let mut results = s.job_results().unwrap();
        results.sort_by_key(|r| r.1);
        assert_eq!(
            results,
            vec![
                (block, 3, Bytes::from_static(b"out-a")),
                (block, 4, Bytes::from_static(b"out-b"))
            ]
        );
        // Transition signatures are not job results to serve.
        assert_eq!(s.signed_count().unwrap(), 5);
        drop(s);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn another_key_or_deployment_is_refused() {
        let dir = tempdir("identity");
        drop(Store::open(&dir, &identity(9)).unwrap());
        let e = Store::open(&dir, &identity(8)).unwrap_err().to_string();
        assert!(
            e.contains(&dir.display().to_string()) && e.contains("key"),
            "{e}"
        );
        let mut reset = identity(9);
        reset.deployment_block_hash = B256::repeat_byte(3);
        let e = Store::open(&dir, &reset).unwrap_err().to_string();
        assert!(e.contains("reset"), "{e}");
        assert!(!e.contains('\n'));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_second_process_or_a_file_in_the_way_is_one_line() {
        let dir = tempdir("busy");
        let s = Store::open(&dir, &identity(9)).unwrap();
        let e = Store::open(&dir, &identity(9)).unwrap_err().to_string();
        assert!(e.contains("in use"), "{e}");
        drop(s);
        std::fs::remove_dir_all(&dir).unwrap();

        let file = tempdir("file");
        std::fs::write(&file, b"x").unwrap();
        let e = Store::open(&file, &identity(9)).unwrap_err().to_string();
        assert!(e.contains(&file.display().to_string()), "{e}");
        std::fs::remove_file(&file).unwrap();
    }
}
