//! `job-results/1` over real libp2p sockets: a peer that missed the gossip of a block's job
//! results recovers them by request, the announcer first, then the other peers; a forged result
//! served by a peer is dropped (and counted), the valid ones are returned.

use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256};
use spn_node::metrics::Metrics;
use spn_node::net::messages::JobResultMsg;
use spn_node::net::{InProcessBus, Network, P2pConfig, P2pNetwork};
use spn_protocol::{eip712, StakingKey};

fn result(k: &StakingKey, d: &alloy_sol_types::Eip712Domain, bh: B256, job: u32) -> JobResultMsg {
    let output = B256::repeat_byte(job as u8 + 1);
    JobResultMsg {
        block_hash: bh,
        job,
        output,
        prover: k.address(),
        sig: k.sign_job_result(d, bh, job, output),
    }
}

async fn peer(
    domain: &alloy_sol_types::Eip712Domain,
    peers: Vec<libp2p::Multiaddr>,
    metrics: Option<Arc<Metrics>>,
) -> Arc<P2pNetwork> {
    let (net, _inbox) = P2pNetwork::start(P2pConfig {
        listen: "/ip4/127.0.0.1/tcp/0".parse().unwrap(),
        peers,
        namespace: "/spn/31337/0x0000000000000000000000000000000000000009".into(),
        domain: domain.clone(),
        metrics,
        key_file: None,
    })
    .await
    .unwrap();
    // Keep the inbox open for the life of the test.
    std::mem::forget(_inbox);
    net
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_missed_gossip_recovers_results_by_request() {
    let t0 = Instant::now();
    let d = eip712::domain(31337, Address::with_last_byte(9));
    let k = StakingKey::from_bytes(&B256::repeat_byte(7)).unwrap();
    let bh = B256::repeat_byte(3);
    // The announcer holds jobs 1 and 3 (3 forged: a wrong output); another peer holds 2 and 3.
    let announcer = peer(&d, vec![], None).await;
    let other = peer(&d, vec![], None).await;
    let r1 = result(&k, &d, bh, 1);
    let r2 = result(&k, &d, bh, 2);
    let r3 = result(&k, &d, bh, 3);
    let forged = JobResultMsg {
        output: B256::repeat_byte(0xee),
        ..r3
    };
    announcer.serve_result(bh, 1, r1.encode());
    announcer.serve_result(bh, 3, forged.encode());
    other.serve_result(bh, 2, r2.encode());
    other.serve_result(bh, 3, r3.encode());

    let metrics = Arc::new(Metrics::default());
    let late = peer(
        &d,
        vec![announcer.listen_addr(), other.listen_addr()],
        Some(metrics.clone()),
    )
    .await;
    let mut got = Vec::new();
    for _ in 0..50 {
        got = late
            .fetch_results(bh, vec![1, 2, 3, 4], Some(announcer.peer_id()))
            .await
            .unwrap();
        if got.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut decoded: Vec<JobResultMsg> = got
        .iter()
        .map(|p| JobResultMsg::decode(p, &d).unwrap())
        .collect();
    decoded.sort_by_key(|r| r.job);
    assert_eq!(
        decoded,
        vec![r1, r2, r3],
        "job 4 is held by nobody; the forgery is dropped"
    );
    assert!(
        metrics.rejected_count() >= 1,
        "the forged result is counted as dropped"
    );

    // Forgotten blocks are no longer served.
    announcer.forget_bodies(&[bh]);
    other.forget_bodies(&[bh]);
    assert!(late
        .fetch_results(bh, vec![1, 2, 3], None)
        .await
        .unwrap()
        .is_empty());
    eprintln!("job-results/1 over libp2p: {:?}", t0.elapsed());
}

#[tokio::test]
async fn the_in_process_bus_serves_results_too() {
    let d = eip712::domain(31337, Address::with_last_byte(9));
    let k = StakingKey::from_bytes(&B256::repeat_byte(7)).unwrap();
    let bh = B256::repeat_byte(3);
    let bus = InProcessBus::new();
    let (a, _ia) = bus.join("a");
    let (b, _ib) = bus.join("b");
    let r1 = result(&k, &d, bh, 1);
    a.serve_result(bh, 1, r1.encode());
    assert_eq!(
        b.fetch_results(bh, vec![1, 2], None).await.unwrap(),
        vec![r1.encode()]
    );
    assert!(
        a.fetch_results(bh, vec![1], None).await.unwrap().is_empty(),
        "not from itself"
    );
}
