//! L1 fault injection for the devnet: a proxy in front of anvil that fails a fraction of the
//! agents' requests (`--fault.rpc-failures`), and periodic reorgs (`--fault.reorg-depth`).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alloy_primitives::{Bytes, B256};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
use crate::l1::L1;

/// Largest request head or body the proxy reads (anvil's requests are far smaller).
const MAX_REQUEST: usize = 8 << 20;

/// `0.2` or `20%`: a fraction in `[0, 1]` (the `--fault.rpc-failures` parser).
pub fn parse_fraction(s: &str) -> std::result::Result<f64, String> {
    let s = s.trim();
    let (v, scale) = match s.strip_suffix('%') {
        Some(p) => (p.trim(), 100.0),
        None => (s, 1.0),
    };
    let v: f64 = v
        .parse()
        .map_err(|_| format!("expected a fraction (0.2) or a percentage (20%), got {s}"))?;
    let f = v / scale;
    if !f.is_finite() || !(0.0..=1.0).contains(&f) {
        return Err(format!("{s} is outside 0..1 (0%..100%)"));
    }
    Ok(f)
}

/// An HTTP proxy on 127.0.0.1 in front of an L1 endpoint that fails a fraction of the requests
/// before forwarding them: half answered `503 Service Unavailable`, half by closing the
/// connection. Stopped when dropped.
#[derive(Debug)]
pub struct FaultyProxy {
    addr: SocketAddr,
    failed: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl FaultyProxy {
    /// Starts the proxy to `upstream` (an `http://` URL) failing `fraction` of the requests,
    /// drawn from a generator seeded with `seed`.
    pub async fn start(upstream: &str, fraction: f64, seed: u64) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| Error::io("binding the RPC fault proxy", e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::io("binding the RPC fault proxy", e))?;
        let failed = Arc::new(AtomicU64::new(0));
        let shared = Arc::new(Shared {
            upstream: upstream.to_string(),
            client: alloy::transports::http::reqwest::Client::new(),
            fraction,
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            failed: failed.clone(),
        });
        let task = tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                tokio::spawn(shared.clone().serve(conn));
            }
        });
        Ok(Self { addr, failed, task })
    }

    /// The proxy's URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests failed so far.
    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }
}

impl Drop for FaultyProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Shared {
    upstream: String,
    client: alloy::transports::http::reqwest::Client,
    fraction: f64,
    rng: Mutex<StdRng>,
    failed: Arc<AtomicU64>,
}

enum Fate {
    Forward,
    Unavailable,
    Drop,
}

impl Shared {
    fn fate(&self) -> Fate {
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        if rng.gen::<f64>() >= self.fraction {
            return Fate::Forward;
        }
        self.failed.fetch_add(1, Ordering::Relaxed);
        if rng.gen::<bool>() {
            Fate::Unavailable
        } else {
            Fate::Drop
        }
    }

    /// One keep-alive connection: requests in order until the client closes or a fault does.
    async fn serve(self: Arc<Self>, mut conn: TcpStream) {
        let mut buf = Vec::new();
        loop {
            let Some(body) = read_request(&mut conn, &mut buf).await else {
                return;
            };
            match self.fate() {
                Fate::Drop => return,
                Fate::Unavailable => {
                    let _ = conn
                        .write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .await;
                    return;
                }
                Fate::Forward => {}
            }
            let answer = self
                .client
                .post(&self.upstream)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await;
            let (status, bytes) = match answer {
                Ok(r) => (r.status().as_u16(), r.bytes().await.unwrap_or_default()),
                Err(_) => (502, Default::default()),
            };
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                bytes.len()
            );
            if conn.write_all(head.as_bytes()).await.is_err()
                || conn.write_all(&bytes).await.is_err()
            {
                return;
            }
        }
    }
}

/// Reads one HTTP/1.1 request with a `content-length` body; its body, or `None` when the
/// connection ends or the request is malformed. `buf` carries bytes past the request.
async fn read_request(conn: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_REQUEST {
            return None;
        }
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())?;
    if len > MAX_REQUEST {
        return None;
    }
    while buf.len() < head_end + len {
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..head_end + len].to_vec();
    buf.drain(..head_end + len);
    Some(body)
}

/// Reorganises the last `depth` blocks of anvil every `every` (see [`reorg`]) until `stop` is
/// notified, never in the middle of one (an interrupted reorg would leave mining paused and the
/// dropped transactions out of the pool); counts the reorgs into `done`.
pub(super) fn reorg_periodically(
    l1: L1,
    depth: u64,
    every: Duration,
    block_time: u64,
    done: Arc<AtomicU64>,
    stop: Arc<tokio::sync::Notify>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.notified() => break,
            }
            match reorg(&l1, depth, block_time).await {
                Ok(true) => {
                    done.fetch_add(1, Ordering::Relaxed);
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(target: "spn::devnet", "injecting a reorg: {e}"),
            }
        }
    })
}

/// Drops the last `depth` blocks of anvil and returns their transactions, and those waiting in
/// its pool, to the pool (as a real reorg returns them to the mempool): they are mined again in
/// other blocks, and one that no longer fits (a proposal past its slot) reverts there. Mining
/// pauses meanwhile and resumes every `block_time` seconds; whether a reorg happened.
///
/// `anvil_reorg` is not used: it stamps its replacement blocks with the fork's timestamp and
/// drops the pool. Both it and `anvil_rollback` set anvil's clock back by the depth for good,
/// so the next block's timestamp is set to follow the dropped head (L1 time never goes back,
/// as on a real chain, and stays in step with the agents' clocks).
pub async fn reorg(l1: &L1, depth: u64, block_time: u64) -> Result<bool> {
    let _: serde_json::Value = l1.raw("evm_setIntervalMining", (0u64,)).await?;
    let out = replay_reorg(l1, depth).await;
    let _: serde_json::Value = l1
        .raw("evm_setIntervalMining", (block_time.max(1),))
        .await?;
    out
}

async fn replay_reorg(l1: &L1, depth: u64) -> Result<bool> {
    use alloy::providers::Provider;
    let (head, head_ts) = l1.head().await?;
    if depth == 0 || head <= depth {
        return Ok(false);
    }
    let mut hashes: Vec<B256> = Vec::new();
    for n in head - depth + 1..=head {
        let block = l1
            .provider()
            .get_block_by_number(n.into())
            .await
            .map_err(|e| Error::rpc("eth_getBlockByNumber", e))?;
        if let Some(b) = block {
            hashes.extend(b.transactions.hashes());
        }
    }
    // The pool, by sender and nonce (so every replayed nonce follows the one before it).
    let pool: serde_json::Value = l1.raw("txpool_content", ()).await?;
    let mut waiting: Vec<(String, u64, String)> = Vec::new();
    for part in ["pending", "queued"] {
        let Some(by_sender) = pool[part].as_object() else {
            continue;
        };
        for (sender, txs) in by_sender {
            for (nonce, tx) in txs.as_object().into_iter().flatten() {
                if let (Ok(n), Some(h)) = (nonce.parse::<u64>(), tx["hash"].as_str()) {
                    waiting.push((sender.clone(), n, h.to_string()));
                }
            }
        }
    }
    waiting.sort();
    for (_, _, h) in waiting {
        if let Ok(h) = h.parse() {
            hashes.push(h);
        }
    }
    let mut raws: Vec<Bytes> = Vec::new();
    for h in hashes {
        let raw: Option<Bytes> = l1.raw("eth_getRawTransactionByHash", (h,)).await?;
        raws.extend(raw);
    }
    let _: serde_json::Value = l1.raw("anvil_rollback", (depth,)).await?;
    // anvil's clock goes back with its blocks: the next block continues from the dropped head.
    let _: serde_json::Value = l1.raw("evm_setNextBlockTimestamp", (head_ts + 1,)).await?;
    let replayed = raws.len();
    for raw in raws {
        let sent: Result<B256> = l1.raw("eth_sendRawTransaction", (raw,)).await;
        if let Err(e) = sent {
            tracing::debug!(target: "spn::devnet", "replaying a transaction after the reorg: {e}");
        }
    }
    tracing::info!(target: "spn::devnet", "injected a reorg of depth {depth} at block {head} ({replayed} transactions back to the pool)");
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devnet::{deploy, find_anvil, Anvil};
    use crate::keys;
    use crate::l1::{ChainView, Sender};
    use alloy_primitives::U256;
    use spn_core::Chain;

    #[test]
    fn fractions_and_percentages() {
        assert_eq!(parse_fraction("20%"), Ok(0.2));
        assert_eq!(parse_fraction("0.25"), Ok(0.25));
        assert_eq!(parse_fraction("0"), Ok(0.0));
        for bad in ["120%", "-1", "NaN", "x", "1.5"] {
            assert!(parse_fraction(bad).is_err(), "{bad}");
        }
    }

    async fn deployed(anvil: &Anvil) -> (L1, crate::l1::Deployment, spn_protocol::Params, u64) {
        let l1 = L1::connect(&anvil.url()).await.unwrap();
        let deployer = Sender::new(
            l1.clone(),
            &keys::parse_key(keys::ANVIL_DEPLOYER_KEY, "deployer").unwrap(),
        );
        let params = spn_protocol::Params::devnet();
        let d = deploy::deploy(
            &l1,
            &deployer,
            &params,
            U256::from(10u64).pow(U256::from(24)),
            None,
        )
        .await
        .unwrap();
        let (params, genesis) = l1.params(&d).await.unwrap();
        (l1, d, params, genesis)
    }

    /// After an `anvil_reorg` of depth 3 that drops a staker's registration, the followed state
    /// equals the state of a fresh view built from scratch: nothing of the dropped branch stays.
    #[tokio::test]
    async fn a_reorg_is_rolled_back_to_the_canonical_state() {
        let anvil = Anvil::start(&find_anvil(None).unwrap(), 31337)
            .await
            .unwrap();
        let (l1, d, params, genesis) = deployed(&anvil).await;
        for i in 0..2 {
            deploy::register(&l1, &d, params.stake_amount, &keys::devnet_staker_key(i))
                .await
                .unwrap();
        }
        let poll = Duration::from_millis(50);
        let view = ChainView::start(l1.clone(), d.clone(), params.clone(), genesis, poll, 0)
            .await
            .unwrap();
        // Staker 2's mint, approve and deposit are the last three blocks.
        let dropped = keys::devnet_staker_key(2).address();
        deploy::register(&l1, &d, params.stake_amount, &keys::devnet_staker_key(2))
            .await
            .unwrap();
        let seen = wait_for(|| view.staker(dropped).is_some()).await;
        assert!(seen, "the follower never saw the deposit");
        let _: serde_json::Value = l1
            .raw("anvil_reorg", (3u64, Vec::<()>::new()))
            .await
            .unwrap();
        let rolled = wait_for(|| view.reorgs() == 1).await;
        assert!(rolled, "no reorg detected");
        let fresh = ChainView::start(l1.clone(), d.clone(), params, genesis, poll, 0)
            .await
            .unwrap();
        assert!(view.staker(dropped).is_none(), "the dropped deposit stayed");
        assert_eq!(view.stakers(), fresh.stakers());
        assert_eq!(view.stakers().len(), 2);
        assert_eq!(Chain::tips(&*view), Chain::tips(&*fresh));
        assert_eq!(view.hash_of(0), fresh.hash_of(0));
        assert!(view.failure().is_none());
        anvil.stop().await;
    }

    /// `anvil_reset` wipes the deployment: the follower stops with one clear message naming the
    /// deployment file and the RPC.
    #[tokio::test]
    async fn a_reset_chain_is_reported() {
        let anvil = Anvil::start(&find_anvil(None).unwrap(), 31337)
            .await
            .unwrap();
        let (l1, d, params, genesis) = deployed(&anvil).await;
        let view = ChainView::start(
            l1.clone(),
            d.clone(),
            params,
            genesis,
            Duration::from_millis(50),
            0,
        )
        .await
        .unwrap();
        view.set_deployment_file("deployments/31337.json".into());
        let _: serde_json::Value = l1.raw("anvil_reset", ()).await.unwrap();
        let reason = tokio::time::timeout(Duration::from_secs(20), view.failed())
            .await
            .expect("reset not detected");
        assert!(reason.starts_with("L1 chain reset: "), "{reason}");
        assert!(reason.contains("deployments/31337.json"), "{reason}");
        assert!(reason.contains(&anvil.url()), "{reason}");
        assert_eq!(reason.lines().count(), 1);
        anvil.stop().await;
    }

    /// Through a proxy failing 30% of the requests, every call of the L1 client still succeeds
    /// (retries and backoff), and the failures are counted.
    #[tokio::test]
    async fn requests_survive_a_failing_proxy() {
        let anvil = Anvil::start(&find_anvil(None).unwrap(), 31337)
            .await
            .unwrap();
        let proxy = FaultyProxy::start(&anvil.url(), 0.3, 7).await.unwrap();
        let l1 = L1::connect(&proxy.url()).await.unwrap();
        for _ in 0..60 {
            l1.head().await.unwrap();
        }
        assert!(proxy.failed() > 5, "{}", proxy.failed());
        assert!(l1.rpc_errors() >= proxy.failed() - 1);
        // A dead first URL: the second one answers.
        let two = L1::connect(&format!("http://127.0.0.1:1,{}", anvil.url()))
            .await
            .unwrap();
        two.head().await.unwrap();
        assert!(two.stats().failovers.load(Ordering::Relaxed) >= 1);
        drop(proxy);
        anvil.stop().await;
    }

    async fn wait_for(f: impl Fn() -> bool) -> bool {
        for _ in 0..200 {
            if f() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }
}
