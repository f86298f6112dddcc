//! The L1 transaction manager against a real anvil: underpriced and stalled transactions are
//! bumped until mined, a replacement the node refuses is outbid, a nonce used behind the
//! manager's back is recovered, a transaction past its deadline is cancelled, a journaled
//! transaction survives a restart (even when the node forgot it), HTTP 503/429 answers are
//! retried, a corrupt journal is one clear error.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::consensus::Transaction as _;
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{Address, Bytes, TxKind};
use spn_node::devnet::{find_anvil, Anvil};
use spn_node::keys::ANVIL_DEPLOYER_KEY;
use spn_node::l1::{Resumed, Sender, TxPolicy, FOREIGN_NONCE_GRACE, L1};

const GWEI: u128 = 1_000_000_000;

/// A recipient of the test transfers (no code: 21,000 gas).
const TO: Address = Address::repeat_byte(0x42);

/// anvil on a free port (killed when dropped) and a connection to it.
async fn chain() -> (Anvil, L1) {
    let explicit = std::env::var_os("SPN_ANVIL").map(PathBuf::from);
    let bin = find_anvil(explicit.as_deref()).expect("anvil");
    let anvil = Anvil::start(&bin, 31337).await.expect("anvil starts");
    let l1 = L1::connect(&anvil.url()).await.expect("connect");
    (anvil, l1)
}

fn signer() -> PrivateKeySigner {
    ANVIL_DEPLOYER_KEY.parse().unwrap()
}

fn sender(l1: &L1, policy: TxPolicy) -> Sender {
    Sender::from_signer(l1.clone(), signer())
        .with_policy(policy)
        .unwrap()
}

/// A fast policy for tests (anvil answers in milliseconds).
fn quick() -> TxPolicy {
    TxPolicy {
        stall: Duration::from_secs(1),
        stall_blocks: 0,
        poll: Duration::from_millis(50),
        ..TxPolicy::default()
    }
}

async fn automine(l1: &L1, on: bool) {
    let _: serde_json::Value = l1.raw("evm_setAutomine", (on,)).await.unwrap();
}

async fn mine(l1: &L1) {
    let _: serde_json::Value = l1.raw("evm_mine", ()).await.unwrap();
}

async fn next_base_fee(l1: &L1, wei: u128) {
    let _: serde_json::Value = l1
        .raw("anvil_setNextBlockBaseFeePerGas", (format!("{wei:#x}"),))
        .await
        .unwrap();
}

async fn transfer(s: &Sender, what: &str) -> spn_node::Result<spn_node::l1::TxOutcome> {
    s.send_raw(what, TxKind::Call(TO), Bytes::new(), None).await
}

/// Waits until `cond` holds (polling), at most `secs`.
async fn until(secs: u64, mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < end, "condition not met within {secs} s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn nonce_of(l1: &L1, hash: alloy_primitives::B256) -> u64 {
    l1.provider()
        .get_transaction_by_hash(hash)
        .await
        .unwrap()
        .unwrap()
        .nonce()
}

fn temp_journal(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spn-txmgr-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("journal.json");
    let _ = std::fs::remove_file(&path);
    path
}

fn journal_len(path: &std::path::Path) -> usize {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["txs"].as_array().unwrap().len()
}

#[tokio::test]
async fn underpriced_transaction_is_bumped_until_mined() {
    let (_anvil, l1) = chain().await;
    // A first max fee of a tenth of the estimate is below the base fee: the node refuses it.
    let s = sender(
        &l1,
        TxPolicy {
            initial_fee_percent: 10,
            max_bumps: 30,
            ..quick()
        },
    );
    let t = Instant::now();
    let out = transfer(&s, "underpriced").await.unwrap();
    let bumps = s.stats().bumps.load(Ordering::Relaxed);
    let tx = l1
        .provider()
        .get_transaction_by_hash(out.hash)
        .await
        .unwrap()
        .unwrap();
    let block = l1
        .provider()
        .get_block_by_number(out.block.into())
        .await
        .unwrap()
        .unwrap();
    let base = u128::from(block.header.base_fee_per_gas.unwrap());
    println!(
        "underpriced: {bumps} bumps, mined in block {} at max fee {} wei (base fee {base}) after {:?}",
        out.block,
        tx.max_fee_per_gas(),
        t.elapsed()
    );
    assert!(bumps >= 1, "no bump");
    assert!(tx.max_fee_per_gas() >= base);
    assert_eq!(out.gas_used, 21_000);
    assert_eq!(s.stats().sent.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn stalled_transaction_is_bumped_and_mined() {
    let (_anvil, l1) = chain().await;
    let est = l1.provider().estimate_eip1559_fees().await.unwrap();
    let policy = quick();
    // The manager's first max fee; every block's base fee is held 10 % above it.
    let first = est.max_fee_per_gas * u128::from(policy.initial_fee_percent) / 100;
    let s = Arc::new(sender(&l1, policy));
    automine(&l1, false).await;
    let t = Instant::now();
    let task = tokio::spawn({
        let s = s.clone();
        async move { transfer(&s, "stalled").await }
    });
    until(10, || s.stats().sent.load(Ordering::Relaxed) == 1).await;
    let mut blocks = 0;
    while !task.is_finished() {
        next_base_fee(&l1, first * 11 / 10).await;
        mine(&l1).await;
        blocks += 1;
        assert!(t.elapsed() < Duration::from_secs(30), "not mined");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let out = task.await.unwrap().unwrap();
    let bumps = s.stats().bumps.load(Ordering::Relaxed);
    println!(
        "stalled: {bumps} bumps, mined after {blocks} blocks and {:?}",
        t.elapsed()
    );
    assert!(bumps >= 1);
    assert!(blocks >= 2, "mined before it stalled");
    assert_eq!(nonce_of(&l1, out.hash).await, 0);
}

#[tokio::test]
async fn refused_replacement_is_outbid() {
    let (_anvil, l1) = chain().await;
    let s = Arc::new(sender(&l1, quick()));
    transfer(&s, "first").await.unwrap(); // the manager's next nonce is 1 now
    automine(&l1, false).await;
    // Another signer of the key takes nonce 1 with three times the manager's fees.
    let other = Arc::new(sender(
        &l1,
        TxPolicy {
            initial_fee_percent: 600,
            ..quick()
        },
    ));
    let other_task = tokio::spawn({
        let o = other.clone();
        async move { transfer(&o, "other").await }
    });
    until(10, || other.stats().sent.load(Ordering::Relaxed) == 1).await;
    let t = Instant::now();
    let task = tokio::spawn({
        let s = s.clone();
        async move { transfer(&s, "replacement").await }
    });
    // Refused as underpriced until the manager outbids it.
    until(10, || s.stats().sent.load(Ordering::Relaxed) == 2).await;
    let accepted = t.elapsed();
    automine(&l1, true).await;
    mine(&l1).await;
    let mined = Instant::now();
    let out = task.await.unwrap().unwrap();
    let bumps = s.stats().bumps.load(Ordering::Relaxed);
    println!("replacement: accepted after {bumps} bumps in {accepted:?}");
    assert!(bumps >= 1);
    assert_eq!(nonce_of(&l1, out.hash).await, 1);
    // The outbid signer finds its nonce taken and re-sends at the next one, but only once the
    // nonce has looked taken for the grace (a receipt of its own may trail the nonce).
    let theirs = other_task.await.unwrap().unwrap();
    assert!(mined.elapsed() >= FOREIGN_NONCE_GRACE);
    assert_eq!(nonce_of(&l1, theirs.hash).await, 2);
    assert!(other.stats().nonce_resyncs.load(Ordering::Relaxed) >= 1);
}

#[tokio::test]
async fn nonce_used_behind_the_managers_back_is_recovered() {
    let (_anvil, l1) = chain().await;
    let s = sender(&l1, quick());
    transfer(&s, "first").await.unwrap();
    // A second sender of the key (against the rule) mines nonce 1.
    let other = sender(&l1, quick());
    let theirs = transfer(&other, "other").await.unwrap();
    assert_eq!(nonce_of(&l1, theirs.hash).await, 1);
    let out = transfer(&s, "after").await.unwrap();
    assert_eq!(nonce_of(&l1, out.hash).await, 2);
    assert_eq!(s.stats().nonce_resyncs.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn concurrent_sends_use_consecutive_nonces() {
    let (_anvil, l1) = chain().await;
    let s = Arc::new(sender(&l1, quick()));
    let sends = (0..8).map(|i| {
        let s = s.clone();
        tokio::spawn(async move { transfer(&s, &format!("send {i}")).await })
    });
    let mut nonces = Vec::new();
    for t in sends {
        let out = t.await.unwrap().unwrap();
        nonces.push(nonce_of(&l1, out.hash).await);
    }
    nonces.sort();
    assert_eq!(nonces, (0..8).collect::<Vec<_>>());
    assert_eq!(s.stats().nonce_resyncs.load(Ordering::Relaxed), 0);
}

#[tokio::test]
async fn transaction_past_its_deadline_is_cancelled() {
    let (_anvil, l1) = chain().await;
    let s = Arc::new(sender(
        &l1,
        TxPolicy {
            max_fee: 3 * GWEI,
            deadline: Duration::from_secs(3),
            ..quick()
        },
    ));
    automine(&l1, false).await;
    let t = Instant::now();
    let task = tokio::spawn({
        let s = s.clone();
        async move { transfer(&s, "doomed").await }
    });
    until(10, || s.stats().sent.load(Ordering::Relaxed) == 1).await;
    // No block takes it (base fee above the cap) until the cancellation is out.
    while s.stats().replacements_cancelled.load(Ordering::Relaxed) == 0 {
        next_base_fee(&l1, 10 * GWEI).await;
        mine(&l1).await;
        assert!(t.elapsed() < Duration::from_secs(20), "never cancelled");
        assert!(!task.is_finished(), "{:?}", task.await);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    next_base_fee(&l1, GWEI).await;
    mine(&l1).await;
    let err = task.await.unwrap().unwrap_err().to_string();
    println!("cancelled after {:?}: {err}", t.elapsed());
    assert!(err.contains("cancelled by"), "{err}");
    assert!(err.contains("the call was not made"), "{err}");
    // The nonce is used (by the cancellation), and the stream goes on.
    automine(&l1, true).await;
    let next = transfer(&s, "next").await.unwrap();
    assert_eq!(nonce_of(&l1, next.hash).await, 1);
    let p = l1.provider();
    assert_eq!(
        p.get_balance(TO).await.unwrap(),
        alloy_primitives::U256::ZERO
    );
}

#[tokio::test]
async fn journaled_transaction_is_resumed_after_a_restart() {
    let (_anvil, l1) = chain().await;
    let path = temp_journal("resume");
    automine(&l1, false).await;
    let a = Arc::new(sender(&l1, quick()).with_journal(&path).unwrap());
    let task = tokio::spawn({
        let a = a.clone();
        async move { transfer(&a, "journaled").await }
    });
    until(10, || a.stats().sent.load(Ordering::Relaxed) == 1).await;
    // The process dies with the transaction pending, and the node forgets it too.
    task.abort();
    let _ = task.await;
    drop(a);
    assert_eq!(journal_len(&path), 1);
    let journaled: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let hash: alloy_primitives::B256 =
        serde_json::from_value(journaled["txs"][0]["hashes"][0].clone()).unwrap();
    let _: serde_json::Value = l1.raw("anvil_dropAllTransactions", ()).await.unwrap();
    let forgotten = l1.provider().get_transaction_by_hash(hash).await.unwrap();
    assert!(forgotten.is_none(), "the node still has {hash}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let b = Arc::new(sender(&l1, quick()).with_journal(&path).unwrap());
    let t = Instant::now();
    let resume = tokio::spawn({
        let b = b.clone();
        async move { b.resume().await }
    });
    while !resume.is_finished() {
        mine(&l1).await;
        assert!(t.elapsed() < Duration::from_secs(20), "not resumed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let resumed = resume.await.unwrap().unwrap();
    println!("resumed in {:?}: {resumed:?}", t.elapsed());
    assert!(
        matches!(resumed.as_slice(), [Resumed::Mined { nonce: 0, .. }]),
        "{resumed:?}"
    );
    assert_eq!(journal_len(&path), 0);
    // Re-signed from the journal: the same signature, the same hash.
    let Resumed::Mined { outcome, .. } = &resumed[0] else {
        unreachable!()
    };
    assert_eq!(outcome.hash, hash);
    automine(&l1, true).await;
    let next = transfer(&b, "next").await.unwrap();
    assert_eq!(nonce_of(&l1, next.hash).await, 1);
    assert_eq!(journal_len(&path), 0);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

/// An HTTP front of `upstream` that answers the first `fail` `eth_sendRawTransaction` calls
/// with 503, 429, 503, ... (a load balancer in trouble) and forwards everything else.
async fn flaky_front(upstream: String, fail: usize) -> String {
    use axum::http::StatusCode;
    use std::sync::atomic::AtomicUsize;
    let failed = Arc::new(AtomicUsize::new(0));
    let client = alloy::transports::http::reqwest::Client::new();
    let app = axum::Router::new().fallback(move |body: axum::body::Bytes| {
        let (failed, client, upstream) = (failed.clone(), client.clone(), upstream.clone());
        async move {
            if body.windows(22).any(|w| w == b"eth_sendRawTransaction") {
                let n = failed.fetch_add(1, Ordering::SeqCst);
                if n < fail {
                    let status = if n % 2 == 0 {
                        StatusCode::SERVICE_UNAVAILABLE
                    } else {
                        StatusCode::TOO_MANY_REQUESTS
                    };
                    return (status, Vec::new());
                }
            }
            let r = client
                .post(&upstream)
                .header("content-type", "application/json")
                .body(body.to_vec())
                .send()
                .await
                .unwrap();
            (StatusCode::OK, r.bytes().await.unwrap().to_vec())
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test]
async fn transient_http_failures_are_retried() {
    let (anvil, _) = chain().await;
    let front = flaky_front(anvil.url(), 3).await;
    let l1 = L1::connect(&front).await.unwrap();
    let s = sender(&l1, quick());
    let t = Instant::now();
    let out = transfer(&s, "through a flaky front").await.unwrap();
    let retries = s.stats().retries.load(Ordering::Relaxed);
    let transport = l1.rpc_errors();
    println!(
        "flaky: {retries} sender retries, {transport} transport errors, mined after {:?}",
        t.elapsed()
    );
    // The L1 transport retries transient HTTP errors first; what gets past it, the sender
    // retries. Either way every failure was retried, and the transaction went out once.
    assert!(retries + transport >= 3, "{retries} + {transport}");
    assert_eq!(nonce_of(&l1, out.hash).await, 0);
    assert_eq!(s.stats().sent.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn corrupt_journal_is_one_clear_error() {
    let (_anvil, l1) = chain().await;
    let path = temp_journal("corrupt");
    std::fs::write(&path, b"{ \"chainId\": 31337, \"txs\": [ oops").unwrap();
    let err = Sender::from_signer(l1.clone(), signer())
        .with_journal(&path)
        .unwrap_err()
        .to_string();
    println!("{err}");
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(!err.contains('\n'), "{err}");
    assert!(err.contains("is unusable"), "{err}");
    // Never discarded: the file is still there as it was.
    assert!(std::fs::read(&path).unwrap().ends_with(b"oops"));

    // Another key's journal is refused too.
    std::fs::write(
        &path,
        br#"{"chainId":31337,"address":"0x0000000000000000000000000000000000000001","txs":[]}"#,
    )
    .unwrap();
    let err = Sender::from_signer(l1.clone(), signer())
        .with_journal(&path)
        .unwrap_err()
        .to_string();
    assert!(err.contains("not 0xf39F"), "{err}");

    // A journal where none can be written is refused at once.
    let nowhere = path
        .parent()
        .unwrap()
        .join("missing-dir")
        .join("journal.json");
    let err = Sender::from_signer(l1.clone(), signer())
        .with_journal(&nowhere)
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot be written"), "{err}");
    assert!(err.contains(&nowhere.display().to_string()), "{err}");
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}
