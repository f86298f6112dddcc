//! The L1 transaction manager: one nonce stream per key, fee bumping of stalled transactions,
//! cancellation past a deadline, error classification and an optional journal of in-flight
//! transactions that survives a restart.
//!
//! The rule is **one [`Sender`] per key per process**: nonces are assigned from a local counter
//! under a lock, so two senders of one key would hand out the same nonce (they recover through
//! "nonce too low", at the cost of a round trip and a replaced transaction).

use std::collections::BTreeMap;
use std::future::IntoFuture;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use alloy::eips::Encodable2718;
use alloy::network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::{RpcError, TransportError};
use alloy_primitives::{Address, Bytes, TxKind, B256};
use alloy_sol_types::SolCall;
use serde::{Deserialize, Serialize};
use spn_protocol::StakingKey;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::{revert_reason, TxOutcome, L1};
use crate::error::{Error, Result};

/// The smallest fee bump geth (and most clients) accept for a replacement at the same nonce.
pub const MIN_BUMP_PERCENT: u64 = 10;

const GWEI: u128 = 1_000_000_000;

/// Gas of a plain value transfer: the cancellation.
const TRANSFER_GAS: u64 = 21_000;

/// Retries of one RPC call that failed for a transient reason (transport, 5xx, 429).
const RPC_ATTEMPTS: u32 = 5;

/// Fresh nonces tried in a row after "nonce too low" before giving up.
const NONCE_RESYNCS: u32 = 5;

/// How long a nonce must look taken with no receipt for any of our hashes before the manager
/// believes another transaction took it: under load a node can count a mined transaction in the
/// account's nonce before it serves the receipt, and re-sending then repeats a call that succeeded.
pub const FOREIGN_NONCE_GRACE: Duration = Duration::from_secs(2);

/// How a sender prices, re-prices and gives up on its transactions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxPolicy {
    /// Time without inclusion after which a transaction is re-sent with higher fees.
    pub stall: Duration,
    /// New L1 blocks without inclusion after which it is re-sent (0: time only); whichever of
    /// `stall` and this comes first.
    pub stall_blocks: u64,
    /// Fee increase per re-send, percent (at least [`MIN_BUMP_PERCENT`]).
    pub bump_percent: u64,
    /// The highest max fee per gas ever offered, wei (a cancellation may exceed it by one bump).
    pub max_fee: u128,
    /// Re-sends with higher fees at most.
    pub max_bumps: u32,
    /// Time after the first broadcast past which the transaction is cancelled.
    pub deadline: Duration,
    /// The first max fee as a percentage of the node's EIP-1559 estimate (itself twice the
    /// base fee plus the tip).
    pub initial_fee_percent: u64,
    /// How often the node is asked for new blocks and receipts.
    pub poll: Duration,
}

impl Default for TxPolicy {
    fn default() -> Self {
        Self {
            stall: Duration::from_secs(Self::DEFAULT_STALL_SECS),
            stall_blocks: 3,
            bump_percent: Self::DEFAULT_BUMP_PERCENT,
            max_fee: u128::from(Self::DEFAULT_MAX_FEE_GWEI) * GWEI,
            max_bumps: 10,
            deadline: Duration::from_secs(120),
            initial_fee_percent: 200,
            // As often as the sender before the manager polled receipts (devnet slots are short).
            poll: Duration::from_millis(100),
        }
    }
}

impl TxPolicy {
    /// Default stall time, seconds.
    pub const DEFAULT_STALL_SECS: u64 = 12;
    /// Default bump, percent.
    pub const DEFAULT_BUMP_PERCENT: u64 = 20;
    /// Default fee cap, gwei.
    pub const DEFAULT_MAX_FEE_GWEI: u64 = 500;

    /// The default policy with a stall time, bump and fee cap (gwei) from flags; the deadline
    /// is the default's, or three stalls if that is longer. [`Sender::with_policy`] checks it.
    pub fn from_flags(stall_secs: u64, bump_percent: u64, max_fee_gwei: u64) -> Self {
        let d = Self::default();
        let stall = Duration::from_secs(stall_secs);
        Self {
            stall,
            bump_percent,
            max_fee: u128::from(max_fee_gwei).saturating_mul(GWEI),
            deadline: d.deadline.max(stall.saturating_mul(3)),
            ..d
        }
    }

    /// Checks the ranges: a bump of 10 to 1000 %, a positive fee cap, an initial fee of 1 to
    /// 1000 % of the estimate, a poll of at least 10 ms, a stall of at least the poll and a
    /// deadline of at least the stall.
    pub fn check(&self) -> Result<()> {
        let bad = |s: String| Err(Error::Config(format!("transaction policy: {s}")));
        if !(MIN_BUMP_PERCENT..=1000).contains(&self.bump_percent) {
            return bad(format!(
                "bump of {} % (nodes refuse replacements below {MIN_BUMP_PERCENT} %; at most 1000)",
                self.bump_percent
            ));
        }
        if self.max_fee == 0 {
            return bad("a max fee of 0".into());
        }
        if !(1..=1000).contains(&self.initial_fee_percent) {
            return bad(format!(
                "initial fee of {} % of the estimate (1 to 1000)",
                self.initial_fee_percent
            ));
        }
        if self.poll < Duration::from_millis(10) {
            return bad(format!("poll of {:?} (at least 10 ms)", self.poll));
        }
        if self.stall < self.poll || self.deadline < self.stall {
            return bad(format!(
                "stall {:?} and deadline {:?} (poll <= stall <= deadline)",
                self.stall, self.deadline
            ));
        }
        Ok(())
    }

    /// Fees one bump above `(max_fee, tip)`, the max fee capped at `cap`; `None` when that is no
    /// increase.
    fn bumped(&self, max_fee: u128, tip: u128, cap: u128) -> Option<(u128, u128)> {
        // A fee of a few wei would not move by a percentage: at least 1 wei more.
        let up = |x: u128| {
            (x.saturating_mul(u128::from(100 + self.bump_percent)) / 100).max(x.saturating_add(1))
        };
        let fee = up(max_fee).min(cap);
        (fee > max_fee).then(|| (fee, up(tip).min(fee)))
    }
}

/// What to do about an RPC error from sending a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxErrorKind {
    /// It will fail again: a revert, insufficient funds, an invalid transaction.
    Fatal,
    /// Transient (transport, timeout, HTTP 5xx or 429): retry after a pause.
    Retryable,
    /// The fees are too low (underpriced, below the base fee): re-sign with higher fees.
    Bump,
    /// The nonce was used: re-read it.
    NonceTooLow,
    /// The node has this very transaction: it is sent.
    AlreadyKnown,
}

/// Classifies an error of the node by its JSON-RPC code and message (anvil's, geth's, reth's
/// and nethermind's wording).
pub fn classify_message(code: Option<i64>, message: &str) -> TxErrorKind {
    let m = message.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| m.contains(n));
    // First: a revert's own text may contain any of the phrases below.
    if code == Some(3) || has(&["execution reverted", "revert"]) {
        return TxErrorKind::Fatal;
    }
    if has(&["nonce too low", "oldnonce", "nonce has already been used"]) {
        return TxErrorKind::NonceTooLow;
    }
    if has(&["already known", "already imported", "alreadyknown"]) {
        return TxErrorKind::AlreadyKnown;
    }
    if has(&[
        "underpriced",
        "max fee per gas less than block base fee",
        "fee cap less than block base fee",
        "feecap too low",
        "fee too low",
    ]) {
        return TxErrorKind::Bump;
    }
    if has(&["insufficient funds"]) {
        return TxErrorKind::Fatal;
    }
    if matches!(code, Some(429) | Some(-32005))
        || has(&[
            "rate limit",
            "too many requests",
            "timeout",
            "timed out",
            "temporarily unavailable",
            "try again",
            "header not found",
        ])
    {
        return TxErrorKind::Retryable;
    }
    TxErrorKind::Fatal
}

/// Classifies an error of an RPC call: the node's answer by [`classify_message`] (revert data
/// is always fatal), a transport failure, timeout, HTTP 5xx, 408 or 429 as retryable.
pub fn classify(e: &TransportError) -> TxErrorKind {
    match e {
        RpcError::ErrorResp(p) if p.as_revert_data().is_some() => TxErrorKind::Fatal,
        RpcError::ErrorResp(p) => classify_message(Some(p.code), &p.message),
        RpcError::Transport(k) => match k.as_http_error() {
            Some(h) if h.status >= 500 || h.status == 429 || h.status == 408 => {
                TxErrorKind::Retryable
            }
            Some(_) => TxErrorKind::Fatal,
            None if k.is_non_retryable() => TxErrorKind::Fatal,
            None => TxErrorKind::Retryable,
        },
        RpcError::NullResp | RpcError::DeserError { .. } => TxErrorKind::Retryable,
        _ => TxErrorKind::Fatal,
    }
}

/// Counters of a sender, for metrics.
#[derive(Debug, Default)]
pub struct TxStats {
    /// Transactions broadcast (first broadcasts the node accepted).
    pub sent: AtomicU64,
    /// Re-signings with higher fees.
    pub bumps: AtomicU64,
    /// RPC calls repeated after a transient failure.
    pub retries: AtomicU64,
    /// Transactions replaced by a cancellation past their deadline.
    pub replacements_cancelled: AtomicU64,
    /// Nonces re-read from the node after "nonce too low" or a nonce used elsewhere.
    pub nonce_resyncs: AtomicU64,
}

impl TxStats {
    fn add(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }
}

/// What [`Sender::resume`] did with one journaled transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resumed {
    /// One of its hashes had been mined before the restart.
    AlreadyMined {
        /// The nonce.
        nonce: u64,
        /// The mined hash.
        hash: B256,
    },
    /// It was still pending: re-sent and mined now.
    Mined {
        /// The nonce.
        nonce: u64,
        /// The outcome.
        outcome: TxOutcome,
    },
    /// Its nonce was used by a transaction that is not one of its hashes.
    NonceUsedElsewhere {
        /// The nonce.
        nonce: u64,
    },
    /// Re-sending or waiting for it failed.
    Failed {
        /// The nonce.
        nonce: u64,
        /// Why.
        reason: String,
    },
}

/// One transaction of the journal: enough to re-sign it and to recognise it mined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    nonce: u64,
    what: String,
    /// `None`: a contract creation.
    to: Option<Address>,
    input: Bytes,
    gas: u64,
    max_fee_per_gas: u128,
    max_priority_fee_per_gas: u128,
    /// Every hash signed for this nonce.
    hashes: Vec<B256>,
    bumps: u32,
    /// Replaced by a 0-value self-transfer (the last hash).
    cancelled: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct JournalFile {
    chain_id: u64,
    address: Address,
    txs: Vec<Entry>,
}

/// The journal file of in-flight transactions, rewritten whole on every change.
#[derive(Debug)]
struct Journal {
    path: PathBuf,
    chain_id: u64,
    address: Address,
    entries: std::sync::Mutex<BTreeMap<u64, Entry>>,
}

impl Journal {
    fn open(path: &Path, chain_id: u64, address: Address) -> Result<Self> {
        let corrupt = |reason: String| {
            Error::io(
                format!("transaction journal {} is unusable", path.display()),
                std::io::Error::new(std::io::ErrorKind::InvalidData, reason),
            )
        };
        let mut entries = BTreeMap::new();
        match std::fs::read(path) {
            Ok(bytes) => {
                let f: JournalFile = serde_json::from_slice(&bytes)
                    .map_err(|e| corrupt(format!("not a journal ({e})")))?;
                if f.chain_id != chain_id || f.address != address {
                    return Err(corrupt(format!(
                        "it is for {} on chain {}, not {address} on chain {chain_id}",
                        f.address, f.chain_id
                    )));
                }
                for e in f.txs {
                    entries.insert(e.nonce, e);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Error::io(
                    format!("transaction journal {}", path.display()),
                    e,
                ))
            }
        }
        let j = Self {
            path: path.to_path_buf(),
            chain_id,
            address,
            entries: std::sync::Mutex::new(entries),
        };
        // An unwritable place is an error now rather than a warning per transaction.
        j.try_save(&j.lock()).map_err(|e| {
            Error::io(
                format!("transaction journal {} cannot be written", path.display()),
                e,
            )
        })?;
        Ok(j)
    }

    fn entries(&self) -> Vec<Entry> {
        self.lock().values().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Entry>> {
        // A panic while holding it cannot leave the map half-updated: every update is one insert
        // or remove.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn put(&self, e: Entry) {
        let mut map = self.lock();
        map.insert(e.nonce, e);
        self.save(&map);
    }

    fn remove(&self, nonce: u64) {
        let mut map = self.lock();
        if map.remove(&nonce).is_some() {
            self.save(&map);
        }
    }

    /// Writes a temporary file (mode 600) and renames it over the journal, so a crash leaves
    /// the old or the new journal, never half of one. A failed write is logged, not fatal: the
    /// transaction itself is still good.
    fn save(&self, map: &BTreeMap<u64, Entry>) {
        if let Err(e) = self.try_save(map) {
            tracing::warn!(target: "spn::l1", "transaction journal {}: {e}", self.path.display());
        }
    }

    fn try_save(&self, map: &BTreeMap<u64, Entry>) -> std::io::Result<()> {
        use std::io::Write;
        let file = JournalFile {
            chain_id: self.chain_id,
            address: self.address,
            txs: map.values().cloned().collect(),
        };
        let json = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        // A leftover of a crash may have another mode: `mode` applies to new files only.
        let _ = std::fs::remove_file(&tmp);
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // It names what the key is doing; nobody else needs to read it.
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(&json)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &self.path)
    }
}

/// One nonce's transaction while it is in flight.
#[derive(Debug, Clone)]
struct Flight {
    e: Entry,
    /// When and at which head it was last broadcast: the stall clock.
    sent_at: Instant,
    sent_block: u64,
    /// First broadcast: the deadline's start.
    first_sent: Instant,
    /// No further bump possible (cap, max bumps, or the node refuses the fees).
    capped: bool,
    /// Since when the nonce has looked taken with no receipt of ours ([`FOREIGN_NONCE_GRACE`]).
    unexplained: Option<Instant>,
}

/// A key that sends transactions: the transaction manager (see the module's documentation).
///
/// Keep one `Sender` per key per process and share it (`Arc`); with a journal, call
/// [`Sender::resume`] once at start.
#[derive(Debug)]
pub struct Sender {
    l1: L1,
    wallet: EthereumWallet,
    address: Address,
    /// The next nonce to hand out; `None`: read it from the node.
    nonce: Mutex<Option<u64>>,
    policy: TxPolicy,
    journal: Option<Journal>,
    stats: TxStats,
}

impl Sender {
    /// A sender for `key` over `l1`, with the default [`TxPolicy`].
    pub fn new(l1: L1, key: &StakingKey) -> Self {
        let signer = PrivateKeySigner::from_bytes(&key.secret_bytes()).expect("valid key");
        Self::from_signer(l1, signer)
    }

    /// A sender for an alloy signer.
    pub fn from_signer(l1: L1, signer: PrivateKeySigner) -> Self {
        let address = signer.address();
        Self {
            l1,
            wallet: EthereumWallet::from(signer),
            address,
            nonce: Mutex::new(None),
            policy: TxPolicy::default(),
            journal: None,
            stats: TxStats::default(),
        }
    }

    /// The same sender with `policy` (checked by [`TxPolicy::check`]).
    pub fn with_policy(mut self, policy: TxPolicy) -> Result<Self> {
        policy.check()?;
        self.policy = policy;
        Ok(self)
    }

    /// The same sender journaling its in-flight transactions to `path` (read now if it exists;
    /// call [`Sender::resume`] to finish what it lists). A journal that cannot be parsed, or is
    /// another key's or chain's, is an error naming the file.
    pub fn with_journal(mut self, path: &Path) -> Result<Self> {
        self.journal = Some(Journal::open(path, self.l1.chain_id(), self.address)?);
        Ok(self)
    }

    /// The sending address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// The L1 connection.
    pub fn l1(&self) -> &L1 {
        &self.l1
    }

    /// The policy in force.
    pub fn policy(&self) -> &TxPolicy {
        &self.policy
    }

    /// Counters since start.
    pub fn stats(&self) -> &TxStats {
        &self.stats
    }

    /// Sends a typed call to `to` and waits for it to be mined. With `gas` unset the gas is
    /// estimated first, so a call that would revert fails here with the decoded reason and costs
    /// nothing.
    pub async fn send<C: SolCall>(
        &self,
        what: &str,
        to: Address,
        call: &C,
        gas: Option<u64>,
    ) -> Result<TxOutcome> {
        self.send_raw(what, TxKind::Call(to), call.abi_encode().into(), gas)
            .await
    }

    /// Deploys `code` (creation bytecode with constructor arguments).
    pub async fn deploy(&self, what: &str, code: Bytes) -> Result<Address> {
        let out = self.send_raw(what, TxKind::Create, code, None).await?;
        out.contract.ok_or_else(|| Error::Tx {
            what: what.into(),
            reason: "no contract address in receipt".into(),
        })
    }

    /// Sends `input` to `to` and waits until one of its signings is mined: gas estimated unless
    /// given, re-sent with higher fees when it stalls, cancelled past the policy's deadline.
    pub async fn send_raw(
        &self,
        what: &str,
        to: TxKind,
        input: Bytes,
        gas: Option<u64>,
    ) -> Result<TxOutcome> {
        let fail = |reason: String| Error::Tx {
            what: what.to_string(),
            reason,
        };
        let p = self.l1.provider();
        let gas = match gas {
            Some(g) => g,
            None => {
                let mut req = TransactionRequest::default()
                    .with_from(self.address)
                    .with_input(input.clone());
                req.to = Some(to);
                let est = self
                    .rpc(|| p.estimate_gas(req.clone()))
                    .await
                    .map_err(|e| fail(revert_reason(&e)))?;
                // Margin for state that changes between the estimate and the block.
                est.saturating_add(est / 5).saturating_add(20_000)
            }
        };
        let fees = self
            .rpc(|| p.estimate_eip1559_fees())
            .await
            .map_err(|e| fail(format!("fee estimate: {}", revert_reason(&e))))?;
        let max_fee = fees
            .max_fee_per_gas
            .saturating_mul(u128::from(self.policy.initial_fee_percent))
            / 100;
        let max_fee = max_fee.clamp(1, self.policy.max_fee);
        let mut f = Flight {
            e: Entry {
                nonce: 0,
                what: what.to_string(),
                to: match to {
                    TxKind::Call(a) => Some(a),
                    TxKind::Create => None,
                },
                input,
                gas,
                max_fee_per_gas: max_fee,
                max_priority_fee_per_gas: fees.max_priority_fee_per_gas.min(max_fee),
                hashes: Vec::new(),
                bumps: 0,
                cancelled: false,
            },
            sent_at: Instant::now(),
            sent_block: 0,
            first_sent: Instant::now(),
            capped: false,
            unexplained: None,
        };
        self.first_broadcast(&mut f).await?;
        let out = self.drive(f).await;
        if out.is_err() {
            // The nonce's fate may be unknown (dropped, node unreachable): the next send asks the
            // node, which fills a gap instead of queueing behind it.
            *self.nonce.lock().await = None;
        }
        out
    }

    /// Finishes what the journal lists (see [`Sender::with_journal`]): a transaction already
    /// mined is dropped, one whose nonce is still free is re-sent (bumped if the node wants more)
    /// and waited for, one whose nonce another transaction used is dropped. Every entry's fate
    /// is returned; the journal is empty afterwards unless a cancellation is still pending.
    pub async fn resume(&self) -> Result<Vec<Resumed>> {
        let Some(journal) = &self.journal else {
            return Ok(Vec::new());
        };
        let p = self.l1.provider();
        let rpc_err = |call: &str, e: TransportError| Error::rpc(call, revert_reason(&e));
        let mined_count = self
            .rpc(|| p.get_transaction_count(self.address).latest())
            .await
            .map_err(|e| rpc_err("eth_getTransactionCount", e))?;
        let head = self
            .rpc(|| p.get_block_number())
            .await
            .map_err(|e| rpc_err("eth_blockNumber", e))?;
        let mut out = Vec::new();
        let mut pending = Vec::new();
        for e in journal.entries() {
            let nonce = e.nonce;
            if let Some(hash) = self.mined_hash(&e.hashes).await? {
                journal.remove(nonce);
                out.push(Resumed::AlreadyMined { nonce, hash });
            } else if mined_count > nonce {
                journal.remove(nonce);
                tracing::warn!(target: "spn::l1", "journaled {} at nonce {nonce} was not mined: another transaction used the nonce", e.what);
                out.push(Resumed::NonceUsedElsewhere { nonce });
            } else {
                pending.push(e);
            }
        }
        let resend = |e: Entry| async move {
            let nonce = e.nonce;
            let now = Instant::now();
            let mut f = Flight {
                e,
                sent_at: now,
                sent_block: head,
                first_sent: now,
                capped: false,
                unexplained: None,
            };
            let r = match self.rebroadcast(&mut f).await {
                Ok(()) => self.drive(f).await,
                Err(e) => Err(e),
            };
            match r {
                Ok(outcome) => Resumed::Mined { nonce, outcome },
                Err(e) => Resumed::Failed {
                    nonce,
                    reason: e.to_string(),
                },
            }
        };
        out.extend(futures::future::join_all(pending.into_iter().map(resend)).await);
        Ok(out)
    }

    /// Assigns the next nonce and broadcasts `f` under the nonce lock, so nonces go out in
    /// order: re-reads the nonce after "nonce too low", bumps after "underpriced".
    async fn first_broadcast(&self, f: &mut Flight) -> Result<()> {
        let what = f.e.what.clone();
        let fail = |reason: String| Error::Tx {
            what: what.clone(),
            reason,
        };
        let mut next = self.nonce.lock().await;
        let mut nonce = match *next {
            Some(n) => n,
            None => self.fresh_nonce().await.map_err(fail)?,
        };
        let mut resyncs = 0;
        loop {
            f.e.nonce = nonce;
            let (hash, raw) = self.sign(&f.e).await.map_err(fail)?;
            self.journal_put(&f.e, hash);
            match self.broadcast(&raw).await {
                Ok(()) => {
                    TxStats::add(&self.stats.sent);
                    f.e.hashes.push(hash);
                    *next = nonce.checked_add(1);
                    f.first_sent = Instant::now();
                    f.sent_at = f.first_sent;
                    // Unknown head: stall by time only for this broadcast.
                    f.sent_block = self.head().await.unwrap_or(u64::MAX);
                    return Ok(());
                }
                Err((TxErrorKind::NonceTooLow, reason)) => {
                    resyncs += 1;
                    TxStats::add(&self.stats.nonce_resyncs);
                    self.journal_remove(nonce);
                    if resyncs > NONCE_RESYNCS {
                        *next = None;
                        return Err(fail(format!("{reason} after {NONCE_RESYNCS} fresh nonces")));
                    }
                    let fresh = self.fresh_nonce().await.map_err(fail)?;
                    tracing::debug!(target: "spn::l1", "{}: nonce {nonce} too low, now {fresh}", f.e.what);
                    nonce = fresh.max(nonce.saturating_add(1));
                }
                Err((TxErrorKind::Bump, reason)) => {
                    // Something of ours (or of another signer of the key) holds this nonce with
                    // higher fees, or the fees are below the base fee.
                    if !self.bump(f) {
                        self.journal_remove(nonce);
                        *next = None;
                        return Err(fail(format!(
                            "{reason} at max fee {} (the policy's cap or bump limit)",
                            gwei(f.e.max_fee_per_gas)
                        )));
                    }
                }
                Err((_, reason)) => {
                    // Fatal, or transient past every retry: the nonce was not used.
                    self.journal_remove(nonce);
                    *next = None;
                    return Err(fail(reason));
                }
            }
        }
    }

    /// Re-sends a journaled transaction at its nonce, bumping while the node calls it
    /// underpriced.
    async fn rebroadcast(&self, f: &mut Flight) -> Result<()> {
        let what = f.e.what.clone();
        let fail = |reason: String| Error::Tx {
            what: what.clone(),
            reason,
        };
        loop {
            let (hash, raw) = self.sign(&f.e).await.map_err(fail)?;
            self.journal_put(&f.e, hash);
            match self.broadcast(&raw).await {
                Ok(()) => {
                    if !f.e.hashes.contains(&hash) {
                        f.e.hashes.push(hash);
                    }
                    return Ok(());
                }
                Err((TxErrorKind::Bump, reason)) => {
                    if !self.bump(f) {
                        return Err(fail(format!("{reason} at the policy's fee cap")));
                    }
                }
                // Mined meanwhile, or used elsewhere: the watch loop tells which.
                Err((TxErrorKind::NonceTooLow, _)) => return Ok(()),
                Err((_, reason)) => return Err(fail(reason)),
            }
        }
    }

    /// Waits until one of `f`'s hashes is mined, bumping it when it stalls and cancelling it
    /// past the deadline.
    async fn drive(&self, mut f: Flight) -> Result<TxOutcome> {
        let p = self.l1.provider();
        let mut seen = f.sent_block;
        let mut cancel_wait: Option<Instant> = None;
        // Look for receipts at the first poll whatever the head (automine mines at once).
        let mut force = true;
        loop {
            tokio::time::sleep(self.policy.poll).await;
            let head = match p.get_block_number().await {
                Ok(h) => h,
                Err(e) => {
                    self.transient(&f.e.what, &e);
                    let budget = self
                        .policy
                        .deadline
                        .saturating_add(self.policy.stall.saturating_mul(3));
                    if f.first_sent.elapsed() > budget {
                        return Err(Error::Tx {
                            what: f.e.what.clone(),
                            reason: format!(
                                "no answer from the L1 node for too long ({}); nonce {} may still be pending",
                                revert_reason(&e),
                                f.e.nonce
                            ),
                        });
                    }
                    continue;
                }
            };
            if head != seen || force {
                seen = head;
                if let Some(out) = self.settle(&mut f).await? {
                    return out;
                }
                // A nonce taken with no receipt of ours yet is looked at again at the next poll.
                force = f.unexplained.is_some();
            }
            let now = Instant::now();
            if let Some(until) = cancel_wait {
                if now > until {
                    return Err(self.fail_cancelled(&f, false));
                }
                continue;
            }
            if now.duration_since(f.first_sent) > self.policy.deadline {
                self.cancel(&mut f).await?;
                if f.e.cancelled {
                    cancel_wait = Some(now + self.policy.stall.saturating_mul(3));
                } else {
                    // "Nonce too low": mined meanwhile or taken; the next check tells.
                    force = true;
                }
                continue;
            }
            let stalled = now.duration_since(f.sent_at) >= self.policy.stall
                || (self.policy.stall_blocks > 0
                    && head >= f.sent_block.saturating_add(self.policy.stall_blocks));
            if stalled && !f.capped {
                force |= self.bump_and_send(&mut f, head).await;
            }
        }
    }

    /// On a new block: the outcome if one of `f`'s hashes is mined, an error if a cancellation
    /// was, a re-signing at a fresh nonce if another transaction took the nonce.
    async fn settle(&self, f: &mut Flight) -> Result<Option<Result<TxOutcome>>> {
        let p = self.l1.provider();
        // Two passes: a receipt may land between the receipt queries and the nonce query.
        for pass in 0..2 {
            for &hash in &f.e.hashes {
                let r = match p.get_transaction_receipt(hash).await {
                    Ok(Some(r)) => r,
                    Ok(None) => continue,
                    Err(e) => {
                        self.transient(&f.e.what, &e);
                        return Ok(None);
                    }
                };
                self.journal_remove(f.e.nonce);
                let block = r.block_number.unwrap_or_default();
                if f.e.cancelled && Some(&hash) == f.e.hashes.last() {
                    return Ok(Some(Err(self.fail_cancelled(f, true))));
                }
                if !r.status() {
                    return Ok(Some(Err(self.reverted(f, hash, block).await)));
                }
                return Ok(Some(Ok(TxOutcome {
                    hash,
                    gas_used: r.gas_used,
                    block,
                    contract: r.contract_address,
                })));
            }
            if pass == 1 {
                break;
            }
            let count = match p.get_transaction_count(self.address).latest().await {
                Ok(c) => c,
                Err(e) => {
                    self.transient(&f.e.what, &e);
                    return Ok(None);
                }
            };
            if count <= f.e.nonce {
                f.unexplained = None;
                return Ok(None);
            }
        }
        let since = *f.unexplained.get_or_insert_with(Instant::now);
        if since.elapsed() < FOREIGN_NONCE_GRACE {
            return Ok(None);
        }
        f.unexplained = None;
        self.journal_remove(f.e.nonce);
        TxStats::add(&self.stats.nonce_resyncs);
        if f.e.cancelled {
            // The call was not made, which is what the cancellation was for.
            return Ok(Some(Err(self.fail_cancelled(f, true))));
        }
        tracing::warn!(target: "spn::l1", "{}: nonce {} used by a transaction not ours, re-sending at a fresh nonce", f.e.what, f.e.nonce);
        f.e.hashes.clear();
        f.capped = false;
        // Our counter may be behind whatever took the nonce.
        *self.nonce.lock().await = None;
        self.first_broadcast(f).await?;
        Ok(None)
    }

    /// Re-signs `f` with bumped fees and broadcasts it; whether to look for receipts at once
    /// (the node says the nonce is used).
    async fn bump_and_send(&self, f: &mut Flight, head: u64) -> bool {
        loop {
            let before = f.e.clone();
            if !self.bump(f) {
                tracing::warn!(target: "spn::l1", "{}: nonce {} not mined, fees at the policy's limit ({} after {} bumps)", f.e.what, f.e.nonce, gwei(f.e.max_fee_per_gas), f.e.bumps);
                return false;
            }
            let (hash, raw) = match self.sign(&f.e).await {
                Ok(x) => x,
                Err(reason) => {
                    tracing::warn!(target: "spn::l1", "{}: {reason}", f.e.what);
                    f.e = before;
                    f.capped = true;
                    return false;
                }
            };
            self.journal_put(&f.e, hash);
            match self.broadcast(&raw).await {
                Ok(()) => {
                    tracing::info!(target: "spn::l1", "{}: nonce {} re-sent at max fee {} (bump {})", f.e.what, f.e.nonce, gwei(f.e.max_fee_per_gas), f.e.bumps);
                    f.e.hashes.push(hash);
                    f.sent_at = Instant::now();
                    f.sent_block = head;
                    return false;
                }
                // Still not enough to replace what the node holds at the nonce: more.
                Err((TxErrorKind::Bump, _)) => continue,
                Err((TxErrorKind::NonceTooLow, _)) => {
                    f.e = before;
                    return true;
                }
                Err((TxErrorKind::Retryable, _)) => {
                    // Try the same bump at the next poll.
                    f.e = before;
                    return false;
                }
                Err((_, reason)) => {
                    tracing::warn!(target: "spn::l1", "{}: re-send refused ({reason}); waiting at the current fees", f.e.what);
                    f.e = before;
                    f.capped = true;
                    return false;
                }
            }
        }
    }

    /// Replaces `f` with a 0-value self-transfer one bump above its fees and at least at the
    /// node's current estimate, so the nonce stream moves on. The cap does not apply: the
    /// replacement must outbid the stuck transaction and be includable, and it costs only
    /// 21,000 gas.
    async fn cancel(&self, f: &mut Flight) -> Result<()> {
        let what = f.e.what.clone();
        let context = format!(
            "not mined within {} s at max fee {}, and the cancellation failed",
            self.policy.deadline.as_secs(),
            gwei(f.e.max_fee_per_gas)
        );
        let fail = |reason: String| Error::Tx {
            what: what.clone(),
            reason: format!("{context}: {reason}"),
        };
        let mut c = f.e.clone();
        c.to = Some(self.address);
        c.input = Bytes::new();
        c.gas = TRANSFER_GAS;
        c.cancelled = true;
        let p = self.l1.provider();
        let (floor, floor_tip) = match self.rpc(|| p.estimate_eip1559_fees()).await {
            Ok(est) => (est.max_fee_per_gas, est.max_priority_fee_per_gas),
            Err(_) => (0, 0),
        };
        for _ in 0..3 {
            let Some((fee, tip)) =
                self.policy
                    .bumped(c.max_fee_per_gas, c.max_priority_fee_per_gas, u128::MAX)
            else {
                break;
            };
            c.max_fee_per_gas = fee.max(floor);
            c.max_priority_fee_per_gas = tip.max(floor_tip).min(c.max_fee_per_gas);
            let (hash, raw) = self.sign(&c).await.map_err(&fail)?;
            self.journal_put(&c, hash);
            match self.broadcast(&raw).await {
                Ok(()) => {
                    TxStats::add(&self.stats.replacements_cancelled);
                    tracing::warn!(target: "spn::l1", "{}: not mined within {} s; cancelled with {hash} at nonce {}", c.what, self.policy.deadline.as_secs(), c.nonce);
                    c.hashes.push(hash);
                    f.e = c;
                    f.capped = true;
                    return Ok(());
                }
                Err((TxErrorKind::Bump, _)) => continue,
                // Mined meanwhile, or taken: the watch loop sees which.
                Err((TxErrorKind::NonceTooLow, _)) => return Ok(()),
                Err((_, reason)) => return Err(fail(reason)),
            }
        }
        Err(fail("the node refused every replacement fee".into()))
    }

    fn fail_cancelled(&self, f: &Flight, mined: bool) -> Error {
        let cancel = f.e.hashes.last().copied().unwrap_or_default();
        let state = if mined {
            "the cancellation was mined, the call was not made"
        } else {
            "the cancellation is not mined yet (it stays in the journal)"
        };
        Error::Tx {
            what: f.e.what.clone(),
            reason: format!(
                "not mined within {} s (max fee capped at {}, {} bumps); cancelled by {cancel} at nonce {}: {state}",
                self.policy.deadline.as_secs(),
                gwei(self.policy.max_fee),
                f.e.bumps,
                f.e.nonce
            ),
        }
    }

    /// A reverted receipt's error, with the reason from replaying the call on that block.
    async fn reverted(&self, f: &Flight, hash: B256, block: u64) -> Error {
        let mut replay = TransactionRequest::default()
            .with_from(self.address)
            .with_input(f.e.input.clone());
        replay.to = Some(f.e.to.map_or(TxKind::Create, TxKind::Call));
        let reason = match self
            .l1
            .provider()
            .call(replay)
            .block(alloy::eips::BlockId::number(block))
            .await
        {
            Err(e) => revert_reason(&e),
            Ok(_) => "no reason on replay".into(),
        };
        Error::Tx {
            what: f.e.what.clone(),
            reason: format!("reverted in block {block} ({reason}; tx {hash})"),
        }
    }

    /// Raises `f`'s fees by one bump within the policy; false when no bump is left.
    fn bump(&self, f: &mut Flight) -> bool {
        if f.e.bumps >= self.policy.max_bumps {
            f.capped = true;
            return false;
        }
        match self.policy.bumped(
            f.e.max_fee_per_gas,
            f.e.max_priority_fee_per_gas,
            self.policy.max_fee,
        ) {
            Some((fee, tip)) => {
                f.e.max_fee_per_gas = fee;
                f.e.max_priority_fee_per_gas = tip;
                f.e.bumps += 1;
                TxStats::add(&self.stats.bumps);
                true
            }
            None => {
                f.capped = true;
                false
            }
        }
    }

    async fn sign(&self, e: &Entry) -> Result<(B256, Vec<u8>), String> {
        let mut tx = TransactionRequest::default()
            .with_from(self.address)
            .with_input(e.input.clone())
            .with_chain_id(self.l1.chain_id())
            .with_nonce(e.nonce)
            .with_gas_limit(e.gas)
            .with_max_fee_per_gas(e.max_fee_per_gas)
            .with_max_priority_fee_per_gas(e.max_priority_fee_per_gas);
        tx.to = Some(e.to.map_or(TxKind::Create, TxKind::Call));
        let envelope = tx
            .build(&self.wallet)
            .await
            .map_err(|e| format!("signing: {e}"))?;
        Ok((*envelope.tx_hash(), envelope.encoded_2718()))
    }

    /// Broadcasts a signed transaction; "already known" is success, transient failures are
    /// retried.
    async fn broadcast(&self, raw: &[u8]) -> Result<(), (TxErrorKind, String)> {
        let p = self.l1.provider();
        match self.rpc(|| p.send_raw_transaction(raw)).await {
            Ok(_) => Ok(()),
            Err(e) => match classify(&e) {
                TxErrorKind::AlreadyKnown => Ok(()),
                kind => Err((kind, revert_reason(&e))),
            },
        }
    }

    /// Runs an RPC call, repeating it with a growing pause while it fails for a transient
    /// reason.
    async fn rpc<T, F, Fut>(&self, mut call: F) -> Result<T, TransportError>
    where
        F: FnMut() -> Fut,
        Fut: IntoFuture<Output = Result<T, TransportError>>,
    {
        let mut pause = Duration::from_millis(250);
        let mut attempt = 1;
        loop {
            match call().into_future().await {
                Err(e) if attempt < RPC_ATTEMPTS && classify(&e) == TxErrorKind::Retryable => {
                    TxStats::add(&self.stats.retries);
                    tracing::debug!(target: "spn::l1", "RPC failed ({}), retrying in {pause:?}", revert_reason(&e));
                    let wait = match &e {
                        RpcError::Transport(k) => k.retry_after().unwrap_or(pause),
                        _ => pause,
                    };
                    tokio::time::sleep(wait.min(Duration::from_secs(30))).await;
                    pause = (pause * 2).min(Duration::from_secs(5));
                    attempt += 1;
                }
                r => return r,
            }
        }
    }

    /// The next nonce from the node (pending transactions included), never below a journaled
    /// one that may not be in the node's pool any more.
    async fn fresh_nonce(&self) -> Result<u64, String> {
        let p = self.l1.provider();
        let n = self
            .rpc(|| p.get_transaction_count(self.address).pending())
            .await
            .map_err(|e| format!("nonce: {}", revert_reason(&e)))?;
        let journaled = self
            .journal
            .as_ref()
            .and_then(|j| j.lock().keys().next_back().copied())
            .and_then(|n| n.checked_add(1));
        Ok(n.max(journaled.unwrap_or(0)))
    }

    async fn head(&self) -> Result<u64, TransportError> {
        let p = self.l1.provider();
        self.rpc(|| p.get_block_number()).await
    }

    /// The first of `hashes` with a receipt.
    async fn mined_hash(&self, hashes: &[B256]) -> Result<Option<B256>> {
        let p = self.l1.provider();
        for &h in hashes {
            let r = self
                .rpc(|| p.get_transaction_receipt(h))
                .await
                .map_err(|e| Error::rpc("eth_getTransactionReceipt", revert_reason(&e)))?;
            if r.is_some() {
                return Ok(Some(h));
            }
        }
        Ok(None)
    }

    fn transient(&self, what: &str, e: &TransportError) {
        TxStats::add(&self.stats.retries);
        tracing::debug!(target: "spn::l1", "{what}: RPC failed while waiting ({})", revert_reason(e));
    }

    fn journal_put(&self, e: &Entry, candidate: B256) {
        if let Some(j) = &self.journal {
            let mut e = e.clone();
            // Before the broadcast: a crash right after it still knows the hash.
            if !e.hashes.contains(&candidate) {
                e.hashes.push(candidate);
            }
            j.put(e);
        }
    }

    fn journal_remove(&self, nonce: u64) {
        if let Some(j) = &self.journal {
            j.remove(nonce);
        }
    }
}

fn gwei(wei: u128) -> String {
    format!("{}.{:03} gwei", wei / GWEI, wei % GWEI / 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_node_messages() {
        use TxErrorKind::*;
        let cases: &[(Option<i64>, &str, TxErrorKind)] = &[
            // anvil 1.7.1, as answered to eth_sendRawTransaction / eth_sendTransaction.
            (Some(-32003), "replacement transaction underpriced", Bump),
            (Some(-32003), "max fee per gas less than block base fee", Bump),
            (Some(-32003), "Insufficient funds for gas * price + value", Fatal),
            (Some(-32003), "nonce too low", NonceTooLow),
            (Some(-32003), "transaction already imported", AlreadyKnown),
            (Some(-32000), "intrinsic gas too low", Fatal),
            (Some(3), "execution reverted", Fatal),
            (
                Some(3),
                "execution reverted: custom error 0x1425ea42",
                Fatal,
            ),
            // geth (core/txpool and core/error.go wording, with their details).
            (
                Some(-32000),
                "nonce too low: address 0x70997970C51812dc3A010C7d01b50e0d17dc79C8, tx: 0 state: 1",
                NonceTooLow,
            ),
            (Some(-32000), "already known", AlreadyKnown),
            (Some(-32000), "replacement transaction underpriced", Bump),
            (
                Some(-32000),
                "transaction underpriced: tip needed 1, tip permitted 0",
                Bump,
            ),
            (
                Some(-32000),
                "max fee per gas less than block base fee: address 0x70997970C51812dc3A010C7d01b50e0d17dc79C8, maxFeePerGas: 1 baseFee: 7",
                Bump,
            ),
            (Some(-32000), "fee cap less than block base fee", Bump),
            (
                Some(-32000),
                "insufficient funds for gas * price + value: address 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 have 0 want 21000",
                Fatal,
            ),
            (Some(-32000), "header not found", Retryable),
            (Some(-32005), "limit exceeded", Retryable),
            (Some(429), "Too Many Requests", Retryable),
            (Some(-32000), "request timed out", Retryable),
            // A revert whose own reason reads like a pool error is still a revert.
            (Some(3), "execution reverted: nonce too low", Fatal),
            (Some(-32000), "exceeds block gas limit", Fatal),
        ];
        for (code, msg, want) in cases {
            assert_eq!(classify_message(*code, msg), *want, "{msg}");
        }
    }

    #[test]
    fn classifies_transport_failures() {
        use alloy::transports::TransportErrorKind as K;
        assert_eq!(
            classify(&K::http_error(503, "busy".into())),
            TxErrorKind::Retryable
        );
        assert_eq!(
            classify(&K::http_error(429, String::new())),
            TxErrorKind::Retryable
        );
        assert_eq!(
            classify(&K::http_error(401, "no".into())),
            TxErrorKind::Fatal
        );
        assert_eq!(
            classify(&K::custom_str("error sending request: connection refused")),
            TxErrorKind::Retryable
        );
        assert_eq!(
            classify(&K::non_retryable_str("bad request")),
            TxErrorKind::Fatal
        );
        assert_eq!(classify(&RpcError::NullResp), TxErrorKind::Retryable);
    }

    #[test]
    fn bumps_by_the_percentage_within_the_cap() {
        let p = TxPolicy::default();
        assert_eq!(p.bumped(100, 10, 1000), Some((120, 12)));
        // The tip never exceeds the max fee; a tiny fee still moves.
        assert_eq!(p.bumped(1, 1, 1000), Some((2, 2)));
        assert_eq!(p.bumped(900, 900, 1000), Some((1000, 1000)));
        assert_eq!(p.bumped(1000, 10, 1000), None);
        assert_eq!(p.bumped(u128::MAX, 1, u128::MAX), None);
    }

    #[test]
    fn checks_the_policy() {
        assert!(TxPolicy::default().check().is_ok());
        let low = TxPolicy {
            bump_percent: 5,
            ..TxPolicy::default()
        };
        assert!(low.check().unwrap_err().to_string().contains("below 10 %"));
        let zero = TxPolicy {
            max_fee: 0,
            ..TxPolicy::default()
        };
        assert!(zero.check().is_err());
    }

    #[test]
    fn formats_gwei() {
        assert_eq!(gwei(1_500_000_000), "1.500 gwei");
        assert_eq!(gwei(500 * GWEI), "500.000 gwei");
    }
}
