//! The agents' network as operators run it, over real libp2p sockets on 127.0.0.1: discovery
//! from one bootnode to a full mesh, a peer id that survives restarts (key file), redial of a
//! restarted peer, transaction gossip between the sequencers' pools, and block bodies fetched
//! from a proposer the node was not connected to.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, Bytes, B256};
use libp2p::multiaddr::Protocol;
use libp2p::Multiaddr;
use spn_node::net::{Network, P2pConfig, P2pNetwork};
use spn_node::pool::{self, TxPool};
use spn_protocol::eip712;

fn domain() -> alloy_sol_types::Eip712Domain {
    eip712::domain(31337, Address::with_last_byte(9))
}

/// A fresh directory for key files, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let d = std::env::temp_dir().join(format!("spn-p2p-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Self(d)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn start(
    listen: &str,
    peers: Vec<Multiaddr>,
    key_file: Option<&Path>,
) -> spn_node::Result<Arc<P2pNetwork>> {
    let (net, inbox) = P2pNetwork::start(P2pConfig {
        listen: listen.parse().unwrap(),
        peers,
        namespace: "/spn/31337/0x0000000000000000000000000000000000000009".into(),
        domain: domain(),
        metrics: None,
        key_file: key_file.map(Path::to_path_buf),
    })
    .await?;
    // Drain the inbox so the gossip a test does not read costs nothing.
    tokio::spawn(async move {
        let mut inbox = inbox;
        while inbox.recv().await.is_some() {}
    });
    Ok(net)
}

/// Waits until `ok` holds (checked every 50 ms); panics naming `what` after `limit`.
async fn until(what: &str, limit: Duration, mut ok: impl FnMut() -> bool) -> Duration {
    let t = Instant::now();
    while !ok() {
        assert!(t.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    t.elapsed()
}

/// `/ip4/../tcp/<port>` of a listen address (without `/p2p/..`).
fn bare(addr: &Multiaddr) -> String {
    addr.iter()
        .filter(|p| !matches!(p, Protocol::P2p(_)))
        .collect::<Multiaddr>()
        .to_string()
}

/// B, C and D know only A (the bootnode): discovery connects every pair.
async fn mesh(dir: &Path) -> (Vec<Arc<P2pNetwork>>, Duration) {
    let t = Instant::now();
    let a = start("/ip4/127.0.0.1/tcp/0", vec![], Some(&dir.join("a.key")))
        .await
        .unwrap();
    let mut nets = vec![a.clone()];
    for name in ["b", "c", "d"] {
        let key = dir.join(format!("{name}.key"));
        nets.push(
            start("/ip4/127.0.0.1/tcp/0", vec![a.listen_addr()], Some(&key))
                .await
                .unwrap(),
        );
    }
    let all = nets.clone();
    until("full mesh of 4", Duration::from_secs(30), || {
        all.iter().all(|n| n.peer_count() == 3)
    })
    .await;
    (nets, t.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_from_one_bootnode_connects_every_pair_and_restarted_peers_are_redialled() {
    let dir = TempDir::new("mesh");
    let (mut nets, took) = mesh(&dir.0).await;
    eprintln!("full mesh of 4 from one bootnode: {took:?}");

    // Kill D; restart it on the same address with the same key and no bootnode: the others
    // (which knew it) redial it.
    let d = nets.pop().unwrap();
    let d_id = d.peer_id();
    let d_listen = bare(&d.listen_addr());
    drop(d);
    let others = nets.clone();
    until("D's disconnect seen", Duration::from_secs(10), || {
        others.iter().all(|n| n.peer_count() == 2)
    })
    .await;
    let t = Instant::now();
    let mut restarted = None;
    // The old listener closes as its task ends: retry "address in use" briefly.
    for _ in 0..40 {
        match start(&d_listen, vec![], Some(&dir.0.join("d.key"))).await {
            Ok(n) => {
                restarted = Some(n);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    let d = restarted.expect("D restarts on its address");
    assert_eq!(d.peer_id(), d_id, "same key file, same peer id");
    let dd = d.clone();
    until(
        "the others redial the restarted D",
        Duration::from_secs(30),
        || others.iter().all(|n| n.peer_count() == 3) && dd.peer_count() == 3,
    )
    .await;
    eprintln!("restarted peer redialled by all: {:?}", t.elapsed());
}

#[tokio::test]
async fn the_key_file_keeps_the_peer_id_and_a_corrupt_one_is_named() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("key");
    let key = dir.0.join("sub/p2p.key");
    let first = start("/ip4/127.0.0.1/tcp/0", vec![], Some(&key))
        .await
        .unwrap();
    let id = first.peer_id();
    drop(first);
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the key file is private");
    let second = start("/ip4/127.0.0.1/tcp/0", vec![], Some(&key))
        .await
        .unwrap();
    assert_eq!(second.peer_id(), id);
    // Readable by others: still the same identity (with a warning), not replaced.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let third = start("/ip4/127.0.0.1/tcp/0", vec![], Some(&key))
        .await
        .unwrap();
    assert_eq!(third.peer_id(), id);
    let fresh = start("/ip4/127.0.0.1/tcp/0", vec![], None).await.unwrap();
    assert_ne!(fresh.peer_id(), id, "no key file: a new identity");

    std::fs::write(&key, b"not a key").unwrap();
    let err = start("/ip4/127.0.0.1/tcp/0", vec![], Some(&key))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&key.display().to_string()) && !err.contains('\n'),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&key).unwrap(),
        b"not a key",
        "never overwritten"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_sent_to_one_pool_reaches_every_pool_once() {
    let dir = TempDir::new("tx");
    let (nets, _) = mesh(&dir.0).await;
    let pools: Vec<Arc<TxPool>> = nets
        .iter()
        .map(|n| {
            let p = Arc::new(TxPool::new(64));
            n.share_pool(&p);
            p
        })
        .collect();
    // Gossipsub meshes form on its heartbeat (500 ms).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let endpoint = pool::serve(pools[2].clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = alloy::transports::http::reqwest::Client::new();
    let tx = Bytes::from(vec![0x5a; 300]);
    let t = Instant::now();
    let hash = pool::post_tx(&client, endpoint, tx.clone()).await.unwrap();
    let all = pools.clone();
    until(
        "the transaction in every pool",
        Duration::from_secs(10),
        || all.iter().all(|p| p.len() == 1),
    )
    .await;
    eprintln!("tx from C's endpoint in all 4 pools: {:?}", t.elapsed());
    // Not re-published or re-queued: still one each a while later.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(pools.iter().all(|p| p.len() == 1));

    // D takes it into a block; it comes back neither from a resubmission to C (C saw it, so
    // does not publish it again) nor from gossip.
    assert_eq!(pools[3].take(10), vec![tx.clone()]);
    assert_eq!(
        pool::post_tx(&client, endpoint, tx.clone()).await.unwrap(),
        hash
    );
    let other = Bytes::from(vec![0x6b; 40]);
    pool::post_tx(&client, endpoint, other.clone())
        .await
        .unwrap();
    let d = pools[3].clone();
    until("the next transaction in D", Duration::from_secs(10), || {
        d.len() == 1
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        pools[3].take(10),
        vec![other],
        "the taken one did not return"
    );
    assert_eq!(pools[2].len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_is_fetched_from_its_announcer_when_no_connected_peer_has_it() {
    let dir = TempDir::new("body");
    let (nets, _) = mesh(&dir.0).await;
    let (a, d) = (&nets[0], &nets[3]);
    let bh = B256::repeat_byte(0x42);
    let body = vec![Bytes::from(vec![1u8; 10]), Bytes::from(vec![2u8; 20])];
    a.serve_body(bh, Arc::new(body.clone()));
    // Connected: the announcer answers.
    assert_eq!(d.fetch_body(bh, None).await.unwrap(), body);

    // A fresh node E knows only B (the bootnode) and asks at once: it is connected to no one
    // that has the body (not to A, which it has not discovered yet), yet the fetch hinted at A
    // (the announcer) finds A's address through B's routing table, dials it and gets the body.
    let e = start("/ip4/127.0.0.1/tcp/0", vec![nets[1].listen_addr()], None)
        .await
        .unwrap();
    assert!(!e.connected_peers().contains(&a.peer_id()));
    let t = Instant::now();
    let got = e.fetch_body(bh, Some(a.peer_id())).await.unwrap();
    assert_eq!(got, body);
    assert!(e.connected_peers().contains(&a.peer_id()));
    eprintln!("body from an unconnected announcer: {:?}", t.elapsed());
    // Unknown everywhere: a one-line error, not a hang.
    let err = e
        .fetch_body(B256::repeat_byte(0x43), None)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("no peer serves the body"), "{err}");
}
