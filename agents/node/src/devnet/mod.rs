//! `spn devnet`: anvil from the project's install, the contracts, N registered stakers, one
//! agent per online staker, a submitter and a transaction load, until N blocks are proven; then
//! the provers claim and a report is produced.

mod anvil;
mod deploy;
pub mod grief;
mod l1faults;
mod report;

pub use anvil::{find_anvil, workspace_root, Anvil};
pub use l1faults::{parse_fraction, reorg, FaultyProxy};
pub use report::{BlockReport, GasStat, Inactivity, Report, Rewards, Stat, WheelReport, Withheld};

use spn_core::Chain;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use spn_bindings::Staking;
use spn_protocol::{rewards, selection, transcript, Params};

use crate::agent::{fmt_tokens, short_hash, AgentConfig, AgentHandle, AgentParts, StakerAgent};
use crate::agent::{SubmitterAgent as Submitter, SubmitterParts};
use crate::cost::CostModel;
use crate::error::{Error, Result};
use crate::keys;
use crate::l1::{ChainView, Deployment, L1Event, Sender, L1};
use crate::metrics::{Faults, Metrics};
use crate::net::{InProcessBus, Network, P2pConfig, P2pNetwork};
use crate::pool::{self, TxPool};
use crate::prover::ProverBackend;

/// Provers that never run: a count or a fraction of the stakers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Offline {
    /// This many stakers (the last ones registered).
    Count(u32),
    /// This fraction of the stakers, rounded down.
    Fraction(f64),
}

impl Offline {
    /// Number of offline stakers out of `stakers`.
    pub fn count(self, stakers: u32) -> u32 {
        match self {
            Offline::Count(c) => c.min(stakers),
            Offline::Fraction(f) => ((stakers as f64) * f.clamp(0.0, 1.0)).floor() as u32,
        }
    }
}

impl std::str::FromStr for Offline {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.ends_with('%') || s.contains('.') {
            return parse_fraction(s).map(Offline::Fraction);
        }
        s.parse::<u32>().map(Offline::Count).map_err(|_| {
            format!("expected a count (8), a fraction (0.25) or a percentage (25%), got {s}")
        })
    }
}

/// How the devnet's agents talk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkKind {
    /// libp2p on 127.0.0.1 (one peer per agent, full mesh).
    P2p,
    /// An in-process message bus (no sockets).
    Local,
}

impl std::str::FromStr for NetworkKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "p2p" | "libp2p" => Ok(Self::P2p),
            "local" | "bus" => Ok(Self::Local),
            _ => Err(format!("unknown network `{s}` (p2p or local)")),
        }
    }
}

/// The BLS training wheel a devnet deploys (`--training-wheel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WheelConfig {
    /// `trainingWheelBps`: signers required, basis points of the expected round-1 committee
    /// (1..=10,000).
    pub bps: u64,
    /// `trainingWheelUntil`: the first block proven without the wheel (> 1; `U256::MAX`: never).
    pub until: U256,
}

impl WheelConfig {
    /// Signers required per 10,000 of the expected committee when `--training-wheel-bps` is not
    /// given: the design's 5,000 (design §3.5: with the devnet's 32 stakers a height-5 block
    /// expects 16 round-1 members and needs 8).
    pub const DEFAULT_BPS: u64 = 5_000;

    /// Checks the Rollup's rules 26 and 27.
    pub fn check(&self) -> Result<()> {
        if self.bps == 0 || self.bps > 10_000 {
            return Err(Error::Config(format!(
                "--training-wheel-bps {} is outside 1..=10000",
                self.bps
            )));
        }
        if self.until <= U256::from(1) {
            return Err(Error::Config(format!(
                "--training-wheel-until {} must exceed 1",
                self.until
            )));
        }
        Ok(())
    }
}

/// Everything `spn devnet` can be told.
#[derive(Debug, Clone)]
pub struct DevnetConfig {
    /// Registered stakers.
    pub stakers: u32,
    /// Stop after this many proven blocks.
    pub blocks: u64,
    /// Fixed tree height n (otherwise the sequencer policy of §8.7).
    pub height: Option<u8>,
    /// Round height m (deployment parameter).
    pub round_height: Option<u8>,
    /// Redundancy R (deployment parameter).
    pub redundancy: Option<u64>,
    /// Neighbourhood d (deployment parameter).
    pub neighbourhood: Option<u8>,
    /// Stakers whose agents never run.
    pub offline: Offline,
    /// The simulated proving cost.
    pub cost: CostModel,
    /// Transactions per second posted to the pool.
    pub tx_rate: f64,
    /// anvil binary (else found in the project's install).
    pub anvil: Option<PathBuf>,
    /// anvil block time in seconds once the stakers are active.
    pub block_time: u64,
    /// Fault injection: the first k proposals withhold their body.
    pub withhold: u32,
    /// Fault injection: the first k complete blocks are never submitted (they get pruned).
    pub skip_proofs: u32,
    /// Fault injection: the first k job results are followed by forged messages.
    pub forge: u32,
    /// Fault injection: a griefer files k inactivity reports against online members that worked.
    pub grief: u32,
    /// The submitter's inactivity reports per proven block (0: none).
    pub report_missed: usize,
    /// Fault injection: this fraction of the agents' L1 requests fail (a proxy before anvil).
    pub rpc_failures: f64,
    /// Fault injection: reorganise this many L1 blocks every `reorg_every` (0: never).
    pub reorg_depth: u64,
    /// Time between two injected reorgs.
    pub reorg_every: Duration,
    /// Give up after this long.
    pub timeout: Option<Duration>,
    /// Where to write the deployment file (default: `<repo>/deployments`).
    pub deployments_dir: Option<PathBuf>,
    /// Address of the transaction pool endpoint (port 0: any free port).
    pub pool_addr: SocketAddr,
    /// Transport between the agents.
    pub network: NetworkKind,
    /// How every agent proves its jobs.
    pub prover: ProverBackend,
    /// The BLS training wheel (none: deployed without it).
    pub training_wheel: Option<WheelConfig>,
}

impl Default for DevnetConfig {
    fn default() -> Self {
        Self {
            stakers: 32,
            blocks: 10,
            height: None,
            round_height: None,
            redundancy: None,
            neighbourhood: None,
            offline: Offline::Count(0),
            cost: CostModel::default(),
            tx_rate: 8.0,
            anvil: None,
            block_time: 1,
            withhold: 0,
            skip_proofs: 0,
            forge: 0,
            grief: 0,
            report_missed: 0,
            rpc_failures: 0.0,
            reorg_depth: 0,
            reorg_every: Duration::from_secs(15),
            timeout: None,
            deployments_dir: None,
            pool_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            network: NetworkKind::P2p,
            prover: ProverBackend::Simulated,
            training_wheel: None,
        }
    }
}

impl DevnetConfig {
    /// The deployment parameters: the devnet defaults with the overrides applied.
    pub fn params(&self) -> Result<Params> {
        let mut p = Params::devnet();
        if let Some(m) = self.round_height {
            p.round_height = m;
            p.min_height = p.min_height.max(m + 1);
            p.max_height = p.max_height.max(p.min_height);
        }
        if let Some(r) = self.redundancy {
            p.redundancy = r;
        }
        if let Some(d) = self.neighbourhood {
            p.neighbourhood = d;
        }
        if let Some(n) = self.height {
            if n < p.min_height {
                return Err(Error::Config(format!(
                    "--height {n} is below minHeight {} (= round height + 1)",
                    p.min_height
                )));
            }
            p.max_height = p.max_height.max(n);
        }
        p.validate()
            .map_err(|e| Error::Config(format!("devnet parameters: {e}")))?;
        if self.stakers == 0 {
            return Err(Error::Config("--stakers must be at least 1".into()));
        }
        if let Some(w) = &self.training_wheel {
            w.check()?;
        }
        Ok(p)
    }
}

/// Runs the devnet to completion and returns its report. anvil is stopped and the devnet's
/// deployment file removed when this returns or when the future is dropped (see
/// [`run_until_signal`]).
pub async fn run(cfg: DevnetConfig) -> Result<Report> {
    let started = Instant::now();
    let params = cfg.params()?;
    let bin = find_anvil(cfg.anvil.as_deref())?;
    let anvil = Anvil::start(&bin, 31337).await?;
    tracing::info!(target: "spn::devnet", "anvil {} at {}", bin.display(), anvil.url());
    let out = run_on(&cfg, params, &anvil, started).await;
    anvil.stop().await;
    out
}

/// Runs the devnet like [`run`] until it ends or the process gets SIGINT (Ctrl-C) or SIGTERM;
/// `Ok(None)` on a signal. The handlers are installed before anvil starts, so a signal at any
/// point drops the devnet: anvil is killed and the deployment file removed before this returns.
pub async fn run_until_signal(cfg: DevnetConfig) -> Result<Option<Report>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let handler = |kind| signal(kind).map_err(|e| Error::io("installing a signal handler", e));
        let (mut int, mut term) = (
            handler(SignalKind::interrupt())?,
            handler(SignalKind::terminate())?,
        );
        tokio::select! {
            r = run(cfg) => r.map(Some),
            _ = int.recv() => Ok(None),
            _ = term.recv() => Ok(None),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::select! {
            r = run(cfg) => r.map(Some),
            _ = tokio::signal::ctrl_c() => Ok(None),
        }
    }
}

async fn run_on(
    cfg: &DevnetConfig,
    params: Params,
    anvil: &Anvil,
    started: Instant,
) -> Result<Report> {
    let l1 = L1::connect(&anvil.url()).await?;
    let deployer = Sender::new(
        l1.clone(),
        &keys::parse_key(keys::ANVIL_DEPLOYER_KEY, "anvil account 0")?,
    );
    let pool_tokens = U256::from(1_000_000u64) * U256::from(10u64).pow(U256::from(18));
    let d = deploy::deploy(&l1, &deployer, &params, pool_tokens, cfg.training_wheel).await?;
    let dir = cfg
        .deployments_dir
        .clone()
        .or_else(|| workspace_root().map(|r| r.join("deployments")))
        .unwrap_or_else(std::env::temp_dir);
    let dep_path = dir.join(format!("{}.devnet-{}.json", d.chain_id, anvil.port()));
    // Removed however this returns: an error, a panic, or the future dropped on SIGINT/SIGTERM.
    let dep_file = TempFile::new(dep_path);
    d.save(dep_file.path())?;
    tracing::info!(target: "spn::devnet", "deployed: rollup {} staking {} (deployment file {})", d.rollup, d.staking, dep_file.path().display());
    drive(cfg, &l1, &d, dep_file.path(), started).await
}

/// A file removed when this guard is dropped (the devnet's deployment file, which names an anvil
/// that lives only as long as the devnet).
#[derive(Debug)]
pub struct TempFile(PathBuf);

impl TempFile {
    /// Guards `path` (which need not exist yet).
    pub fn new(path: PathBuf) -> Self {
        Self(path)
    }

    /// The guarded path.
    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        match std::fs::remove_file(&self.0) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(target: "spn::devnet", "cannot remove {}: {e}", self.0.display())
            }
        }
    }
}

async fn drive(
    cfg: &DevnetConfig,
    l1: &L1,
    d: &Deployment,
    dep_path: &std::path::Path,
    started: Instant,
) -> Result<Report> {
    let (params, genesis) = l1.params(d).await?;
    // Register the stakers (each from its own key) and warp to their activation epoch.
    let keys: Vec<_> = (0..cfg.stakers as u64)
        .map(keys::devnet_staker_key)
        .collect();
    let regs = keys
        .iter()
        .map(|k| deploy::register(l1, d, params.stake_amount, k));
    futures::future::try_join_all(regs).await?;
    // With the training wheel every staker registers the BLS key derived from its staking key.
    let bls_keys = if cfg.training_wheel.is_some() {
        let regs = keys.iter().map(|k| deploy::register_bls_key(l1, d, k));
        futures::future::try_join_all(regs).await?;
        tracing::info!(target: "spn::devnet", "{} BLS keys registered (training wheel)", keys.len());
        keys.len() as u64
    } else {
        0
    };
    // The agents reach anvil through the failing proxy, if asked (setup above went direct).
    let proxy = if cfg.rpc_failures > 0.0 {
        let p = FaultyProxy::start(l1.url(), cfg.rpc_failures, 0x5eed).await?;
        tracing::info!(target: "spn::devnet", "agents use L1 through {} failing {:.0}% of the requests", p.url(), cfg.rpc_failures * 100.0);
        Some(p)
    } else {
        None
    };
    let agents_l1 = match &proxy {
        Some(p) => L1::connect(&p.url()).await?,
        None => l1.clone(),
    };
    let view = ChainView::start(
        agents_l1.clone(),
        d.clone(),
        params.clone(),
        genesis,
        Duration::from_millis(200),
        0,
    )
    .await?;
    let mut events = view.subscribe();
    let metrics = Arc::new(Metrics::default());
    let faults = Arc::new(Faults::new(cfg.withhold, cfg.skip_proofs).with_forgeries(cfg.forge));
    let bus = InProcessBus::new();

    // Transaction pool (shared by the in-process sequencers) and generated load over HTTP.
    let txpool = Arc::new(TxPool::new(100_000));
    let endpoint = pool::serve(txpool.clone(), cfg.pool_addr).await?;
    tracing::info!(target: "spn::devnet", "transaction pool at http://{endpoint}/tx");
    let load = tokio::spawn(generate_load(endpoint, cfg.tx_rate));

    let offline = cfg.offline.count(cfg.stakers) as usize;
    let online = keys.len() - offline;
    let offline_keys: HashSet<Address> = keys[online..].iter().map(|k| k.address()).collect();
    let mut handles: Vec<AgentHandle> = Vec::new();
    let agent_cfg = AgentConfig {
        height: cfg.height,
        cost: cfg.cost,
        ..AgentConfig::default()
    };
    let namespace = format!("/spn/{}/{}", d.chain_id, d.rollup);
    let domain = spn_protocol::eip712::domain(d.chain_id, d.rollup);
    let mut addrs: Vec<libp2p::Multiaddr> = Vec::new();
    for (i, k) in keys.iter().take(online).enumerate() {
        let (net, inbox, addr) = join_network(
            cfg.network,
            &bus,
            format!("staker-{i}"),
            &namespace,
            &domain,
            addrs.clone(),
            &metrics,
        )
        .await?;
        if i == 0 {
            if let Some(a) = &addr {
                tracing::info!(target: "spn::devnet", "libp2p on 127.0.0.1; other agents can join with --p2p.peers {a} (or --deployment <the devnet's file>, which lists every agent)");
            }
        }
        addrs.extend(addr);
        handles.push(StakerAgent::spawn(AgentParts {
            view: view.clone(),
            key: k.clone(),
            sender: Arc::new(Sender::new(agents_l1.clone(), k)),
            net,
            inbox,
            cfg: agent_cfg.clone(),
            pool: Some(txpool.clone()),
            metrics: metrics.clone(),
            faults: faults.clone(),
            store: None,
            prover: cfg.prover.clone(),
        }));
    }
    let submitter_key = keys::devnet_submitter_key();
    deploy::fund_eth(
        l1,
        submitter_key.address(),
        U256::from(10u64).pow(U256::from(21)),
    )
    .await?;
    let (net, inbox, _) = join_network(
        cfg.network,
        &bus,
        "submitter".into(),
        &namespace,
        &domain,
        addrs.clone(),
        &metrics,
    )
    .await?;
    Submitter::spawn(SubmitterParts {
        view: view.clone(),
        sender: Arc::new(Sender::new(agents_l1.clone(), &submitter_key)),
        net,
        inbox,
        metrics: metrics.clone(),
        faults: faults.clone(),
        eager: true,
        cost: cfg.cost,
        reports_per_block: cfg.report_missed,
    });
    let griefer = if cfg.grief > 0 {
        let key = keys::devnet_staker_key(u64::from(u32::MAX));
        deploy::fund_eth(l1, key.address(), U256::from(10u64).pow(U256::from(21))).await?;
        let online_keys = keys[..online].iter().map(|k| k.address()).collect();
        Some(grief::Griefer::spawn(
            view.clone(),
            &key,
            online_keys,
            cfg.grief,
        ))
    } else {
        None
    };
    if !addrs.is_empty() {
        // Standalone agents given this file (`spn node --deployment ..`) dial every devnet agent.
        let mut with_peers = d.clone();
        with_peers.bootnodes = addrs.iter().map(|a| a.to_string()).collect();
        with_peers.save(dep_path)?;
    }
    // The agents' network meshes form before the stakers become active.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let epoch = l1
        .view(d.staking, Staking::currentEpochCall {})
        .await?
        .to::<u64>();
    let active_from = epoch + params.set_change_delay;
    deploy::warp_to_epoch(l1, &params, genesis, active_from).await?;
    deploy::interval_mining(l1, cfg.block_time.max(1)).await?;
    tracing::info!(target: "spn::devnet", "{} stakers registered; warped to their activation epoch {active_from}", cfg.stakers);

    tracing::info!(target: "spn::devnet", "{online} agents online, {offline} offline; waiting for {} proven blocks", cfg.blocks);
    let reorgs_injected = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let stop_reorgs = Arc::new(tokio::sync::Notify::new());
    let reorger = (cfg.reorg_depth > 0).then(|| {
        l1faults::reorg_periodically(
            l1.clone(),
            cfg.reorg_depth,
            cfg.reorg_every,
            cfg.block_time,
            reorgs_injected.clone(),
            stop_reorgs.clone(),
        )
    });

    let timeout = cfg.timeout.unwrap_or_else(|| {
        Duration::from_secs(
            120 + cfg.blocks * params.slot_duration * 3
                + 20 * u64::from(cfg.skip_proofs + cfg.withhold) * params.slot_duration,
        )
    });
    let deadline = tokio::time::Instant::now() + timeout;
    let mut acc = Accumulator::new(cfg.cost);
    let mut timed_out = false;
    while acc.proven.len() < cfg.blocks as usize {
        let ev = tokio::select! {
            ev = events.recv() => ev,
            _ = tokio::time::sleep_until(deadline) => { timed_out = true; break; }
        };
        let Ok(ev) = ev else { continue };
        acc.apply(&view, &metrics, ev).await;
    }
    load.abort();
    if let Some(r) = reorger {
        stop_reorgs.notify_one();
        let _ = r.await;
    }
    if timed_out {
        tracing::warn!(target: "spn::devnet", "timed out after {:?} with {} of {} blocks proven", timeout, acc.proven.len(), cfg.blocks);
    }
    // Stop proposing and submitting, let in-flight transactions land, then the final claims from
    // every prover key; then let the follower see them.
    faults.halt();
    let settle = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        tokio::select! {
            ev = events.recv() => if let Ok(ev) = ev { acc.apply(&view, &metrics, ev).await },
            _ = tokio::time::sleep_until(settle) => break,
        }
    }
    let upto = acc.proven.keys().next_back().copied().unwrap_or(0);
    let claims = handles.iter().map(|h| h.claim_now(upto));
    if tokio::time::timeout(Duration::from_secs(60), futures::future::join_all(claims))
        .await
        .is_err()
    {
        tracing::warn!(target: "spn::devnet", "final claims did not all finish within 60 s");
    }
    let settle = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        tokio::select! {
            ev = events.recv() => if let Ok(ev) = ev { acc.apply(&view, &metrics, ev).await },
            _ = tokio::time::sleep_until(settle) => break,
        }
    }

    // Balances against the reward formulas of the protocol crate. Submitter and sequencer rewards
    // are owed (pull payments) until withdrawn, so an account holds withdrawn + owed.
    let mut expected: BTreeMap<Address, U256> = BTreeMap::new();
    let mut submitter_want = U256::ZERO;
    let mut mismatches = Vec::new();
    for b in acc.proven.values() {
        let Some(coverage) = rewards::Coverage::from_unfilled(b.prover_jobs, b.unfilled) else {
            mismatches.push(format!(
                "block {}: {} unfilled of {} committee jobs",
                b.number, b.unfilled, b.prover_jobs
            ));
            continue;
        };
        let pay = rewards::block_payout(&params, U256::MAX, coverage);
        submitter_want += pay.submitter;
        *expected.entry(b.proposer).or_default() += pay.sequencer;
        for &(prover, cost) in &b.leaves {
            *expected.entry(prover).or_default() +=
                rewards::claim_amount(pay.provers, cost, b.total_cost)?;
        }
    }
    for k in &keys {
        let w = view
            .staker(k.address())
            .map(|s| s.withdrawer)
            .unwrap_or_default();
        let have = l1.balance_of(d.reward_token, w).await? + l1.rewards_owed(d.rollup, w).await?;
        let want = expected.get(&k.address()).copied().unwrap_or_default();
        if have != want {
            mismatches.push(format!(
                "{}: withdrawer holds and is owed {} but the formulas give {}",
                k.address(),
                fmt_tokens(have),
                fmt_tokens(want)
            ));
        }
    }
    let submitter_have = l1
        .balance_of(d.reward_token, submitter_key.address())
        .await?
        + l1.rewards_owed(d.rollup, submitter_key.address()).await?;
    if submitter_have != submitter_want {
        mismatches.push(format!(
            "submitter holds and is owed {} but the formulas give {}",
            fmt_tokens(submitter_have),
            fmt_tokens(submitter_want)
        ));
    }
    let grief = match &griefer {
        Some(g) => Some(g.report(&view).await),
        None => None,
    };
    let offline_credited = acc
        .credited
        .iter()
        .filter(|a| offline_keys.contains(*a))
        .count();

    Ok(acc.report(ReportInputs {
        cfg,
        params: &params,
        metrics: &metrics,
        offline: offline as u32,
        offline_credited: offline_credited as u64,
        mismatches,
        timed_out,
        elapsed: started.elapsed(),
        rpc: l1.url().to_string(),
        grief,
        rpc_errors: agents_l1.rpc_errors(),
        rpc_failures_injected: proxy.as_ref().map_or(0, |p| p.failed()),
        reorgs_injected: reorgs_injected.load(std::sync::atomic::Ordering::Relaxed),
        reorgs_seen: view.reorgs(),
        offline_keys: &offline_keys,
        bls_keys,
    }))
}

type Joined = (
    Arc<dyn Network>,
    tokio::sync::mpsc::UnboundedReceiver<crate::net::Inbound>,
    Option<libp2p::Multiaddr>,
);

/// A network endpoint for one agent: a libp2p peer on 127.0.0.1 dialing `peers`, or the bus.
async fn join_network(
    kind: NetworkKind,
    bus: &InProcessBus,
    name: String,
    namespace: &str,
    domain: &alloy_sol_types::Eip712Domain,
    peers: Vec<libp2p::Multiaddr>,
    metrics: &Arc<Metrics>,
) -> Result<Joined> {
    match kind {
        NetworkKind::Local => {
            let (n, inbox) = bus.join(name);
            Ok((n as Arc<dyn Network>, inbox, None))
        }
        NetworkKind::P2p => {
            let (n, inbox) = P2pNetwork::start(P2pConfig {
                listen: "/ip4/127.0.0.1/tcp/0".parse().expect("valid multiaddr"),
                peers,
                namespace: namespace.to_string(),
                domain: domain.clone(),
                metrics: Some(metrics.clone()),
                key_file: None,
            })
            .await?;
            let addr = n.listen_addr();
            Ok((n as Arc<dyn Network>, inbox, Some(addr)))
        }
    }
}

/// Posts `rate` transactions per second of 64..256 bytes to the pool endpoint.
async fn generate_load(endpoint: SocketAddr, rate: f64) {
    let Some(period) = load_period(rate) else {
        return;
    };
    let client = alloy::transports::http::reqwest::Client::new();
    let mut tick = tokio::time::interval(period);
    let mut i = 0u64;
    loop {
        tick.tick().await;
        let seed = keccak256(i.to_be_bytes());
        let len = 64 + (seed[0] as usize) % 193;
        let data: Vec<u8> = (0..len).map(|j| seed[j % 32] ^ (j as u8)).collect();
        if let Err(e) = pool::post_tx(&client, endpoint, Bytes::from(data)).await {
            tracing::debug!(target: "spn::devnet", "load: {e}");
        }
        i += 1;
    }
}

/// The load generator's period for `rate` transactions per second: none (no load) unless the
/// rate is positive and finite, at least 1 µs (`interval` panics on zero), and at most
/// [`crate::cost::MAX_DELAY`] (a subnormal rate has an infinite period).
fn load_period(rate: f64) -> Option<Duration> {
    if rate.is_nan() || rate <= 0.0 || rate.is_infinite() {
        return None;
    }
    Some(crate::cost::seconds(1.0 / rate).max(Duration::from_micros(1)))
}

#[derive(Debug, Clone)]
struct ProvenInfo {
    number: u64,
    hash: B256,
    slot: u64,
    height: u8,
    proposer: Address,
    provers: u64,
    unfilled: u64,
    by_assigned: u64,
    by_neighbour: u64,
    prover_jobs: u64,
    leaves: Vec<(Address, u64)>,
    total_cost: u64,
    /// Signers of the transition (`submitSignedProof`), none for `submitProof`.
    bls_signers: Option<u64>,
    latency: Option<f64>,
    to_l1: f64,
    critical_path: f64,
}

struct Accumulator {
    cost: CostModel,
    seen: HashMap<B256, (spn_protocol::Header, Instant)>,
    pending: u64,
    proposed: u64,
    proposed_list: Vec<Withheld>,
    pruned: u64,
    /// The pending chain as the events left it: number to hash.
    chain: BTreeMap<u64, B256>,
    /// Blocks a `Pruned` event dropped: a real prune, or an L1 reorg that dropped their
    /// proposal, which may be mined again (then the block is back, not pruned).
    dropped: HashSet<B256>,
    proven: BTreeMap<u64, ProvenInfo>,
    credited: HashSet<Address>,
    rewards: Rewards,
    /// Stakers reported and struck (§14), one entry per event.
    reported: Vec<Address>,
    struck: Vec<Address>,
}

struct ReportInputs<'a> {
    cfg: &'a DevnetConfig,
    params: &'a Params,
    metrics: &'a Metrics,
    offline: u32,
    offline_credited: u64,
    mismatches: Vec<String>,
    timed_out: bool,
    elapsed: Duration,
    rpc: String,
    grief: Option<grief::GriefReport>,
    rpc_errors: u64,
    rpc_failures_injected: u64,
    reorgs_injected: u64,
    reorgs_seen: u64,
    offline_keys: &'a HashSet<Address>,
    bls_keys: u64,
}

impl Accumulator {
    fn new(cost: CostModel) -> Self {
        Self {
            cost,
            seen: HashMap::new(),
            pending: 0,
            proposed: 0,
            proposed_list: Vec::new(),
            pruned: 0,
            chain: BTreeMap::new(),
            dropped: HashSet::new(),
            proven: BTreeMap::new(),
            credited: HashSet::new(),
            rewards: Rewards::default(),
            reported: Vec::new(),
            struck: Vec::new(),
        }
    }

    async fn apply(&mut self, view: &ChainView, metrics: &Metrics, ev: L1Event) {
        match ev {
            L1Event::Proposed { header, hash, .. } => {
                self.pending = header.number;
                self.chain.split_off(&header.number);
                self.chain.insert(header.number, hash);
                if self.dropped.remove(&hash) {
                    self.pruned = self.pruned.saturating_sub(1);
                }
                if self.seen.contains_key(&hash) {
                    // Replayed after an L1 reorg (its proposal mined again, or its proof
                    // dropped): the same block, counted once.
                    tracing::info!(target: "spn::devnet", "block {} ({}) is back after an L1 reorg", header.number, short_hash(hash));
                    return;
                }
                self.proposed += 1;
                self.proposed_list.push(Withheld {
                    hash,
                    slot: header.slot,
                });
                tracing::info!(target: "spn::devnet", "slot {}: block {} ({}) proposed by {} with n={}", header.slot, header.number, short_hash(hash), crate::agent::short(header.proposer), header.height);
                self.seen.insert(hash, (header, Instant::now()));
            }
            L1Event::Pruned { from, to } => {
                let gone = self.chain.split_off(&from);
                self.pruned += gone.len() as u64;
                self.dropped.extend(gone.into_values());
                self.pending = from.saturating_sub(1);
                tracing::warn!(target: "spn::devnet", "blocks {from}..={to} dropped (unproven after the proof window, or an L1 reorg took their proposal); pending tip back to {}", self.pending);
            }
            L1Event::Proven {
                number,
                hash,
                distinct_provers,
                unfilled_jobs,
                submitter_reward,
                sequencer_reward,
                provers_reserved,
                tx,
                ..
            } => {
                self.rewards.submitter += submitter_reward;
                self.rewards.sequencer += sequencer_reward;
                self.rewards.provers_reserved += provers_reserved;
                let Some((header, seen)) = self.seen.get(&hash).cloned() else {
                    return;
                };
                let Ok(sched) = view.schedule(header.slot, header.height).await else {
                    return;
                };
                let Ok(ctx) = view.slot_ctx(header.slot).await else {
                    return;
                };
                let s = sched.schedule();
                let (mut own, mut neighbour) = (0u64, 0u64);
                let mut leaves = Vec::new();
                let mut bls_signers = None;
                if let Ok(input) = view.l1().tx_input(tx).await {
                    if let Ok(p) = spn_core::io::decode_proof_tx(&input) {
                        bls_signers = p.transition.map(|t| t.signers.len() as u64);
                        let t = p.transcript;
                        for p in &t.provers {
                            let score = selection::score(p.prover, ctx.seed);
                            let mut cost = 0;
                            for c in &p.contributions {
                                let Ok((round, index)) = s.job_position(c.job) else {
                                    continue;
                                };
                                if s.job_of(score, round) == index {
                                    own += 1
                                } else {
                                    neighbour += 1
                                }
                                cost += s.job_cost(c.job).unwrap_or(0);
                            }
                            self.credited.insert(p.prover);
                            leaves.push((p.prover, cost));
                        }
                        let hashes: Vec<B256> = leaves
                            .iter()
                            .map(|&(p, c)| transcript::rewards_leaf(p, c))
                            .collect();
                        let _ = transcript::rewards_root(&hashes);
                    }
                }
                let latency = metrics
                    .tree_completed_at(&hash)
                    .map(|t| t.duration_since(seen).as_secs_f64());
                let info = ProvenInfo {
                    number,
                    hash,
                    slot: header.slot,
                    height: header.height,
                    proposer: header.proposer,
                    provers: distinct_provers,
                    unfilled: unfilled_jobs,
                    by_assigned: own,
                    by_neighbour: neighbour,
                    prover_jobs: u64::from(s.prover_jobs()),
                    leaves,
                    total_cost: s.total_prover_cost(),
                    bls_signers,
                    latency,
                    to_l1: seen.elapsed().as_secs_f64(),
                    critical_path: self.cost.critical_path(s).as_secs_f64(),
                };
                tracing::info!(target: "spn::devnet",
                    "block {number} ({}) proven: {} provers, jobs {} assigned + {} neighbour + {} unfilled of {}; tree {:.2}s (critical path {:.2}s), on L1 after {:.1}s; sequencer +{} submitter +{}",
                    short_hash(hash), info.provers, own, neighbour, unfilled_jobs, info.prover_jobs,
                    latency.unwrap_or(f64::NAN), info.critical_path, info.to_l1, fmt_tokens(sequencer_reward), fmt_tokens(submitter_reward));
                self.proven.insert(number, info);
            }
            L1Event::Claimed {
                prover,
                amount,
                blocks,
                ..
            } => {
                self.rewards.provers_claimed += amount;
                self.rewards.claims += 1;
                tracing::info!(target: "spn::devnet", "{} claimed {} for {blocks} block(s)", crate::agent::short(prover), fmt_tokens(amount));
            }
            L1Event::Replaced { .. } => {}
            L1Event::Reported { staker, .. } => {
                self.reported.push(staker);
            }
            L1Event::Struck { staker, .. } => {
                self.struck.push(staker);
            }
            L1Event::Cleared { .. } => {}
        }
    }

    fn report(&self, i: ReportInputs<'_>) -> Report {
        let blocks: Vec<BlockReport> = self
            .proven
            .values()
            .map(|b| BlockReport {
                number: b.number,
                hash: b.hash,
                slot: b.slot,
                height: b.height,
                provers: b.provers,
                jobs: b.prover_jobs,
                by_assigned: b.by_assigned,
                by_neighbour: b.by_neighbour,
                unfilled: b.unfilled,
                tree_seconds: b.latency,
                proven_after_seconds: b.to_l1,
                critical_path_seconds: b.critical_path,
            })
            .collect();
        let latencies: Vec<f64> = self.proven.values().filter_map(|b| b.latency).collect();
        let critical: Vec<f64> = self.proven.values().map(|b| b.critical_path).collect();
        let to_l1: Vec<f64> = self.proven.values().map(|b| b.to_l1).collect();
        let gas = |op: &str| GasStat::of(&i.metrics.gas_of(op));
        let signers: Vec<u64> = self.proven.values().filter_map(|b| b.bls_signers).collect();
        Report {
            stakers: i.cfg.stakers,
            offline_provers: i.offline,
            offline_credited: i.offline_credited,
            blocks_target: i.cfg.blocks,
            blocks_proposed: self.proposed,
            blocks_proven: self.proven.len() as u64,
            blocks_pruned: self.pruned,
            proposals_without_quorum: i.metrics.no_quorum_count(),
            withheld_proposals: i.metrics.withheld_hashes().len() as u64,
            withheld: i
                .metrics
                .withheld_hashes()
                .into_iter()
                .map(|(hash, slot)| Withheld { hash, slot })
                .collect(),
            proposed: self.proposed_list.clone(),
            jobs_total: self.proven.values().map(|b| b.prover_jobs).sum(),
            jobs_by_assigned: self.proven.values().map(|b| b.by_assigned).sum(),
            jobs_by_neighbour: self.proven.values().map(|b| b.by_neighbour).sum(),
            jobs_unfilled: self.proven.values().map(|b| b.unfilled).sum(),
            fallback_jobs: i.metrics.fallback_count(),
            distinct_provers: self.credited.len() as u64,
            proof_latency_seconds: Stat::of(&latencies),
            critical_path_seconds: Stat::of(&critical).p50,
            critical_path: Stat::of(&critical),
            proven_on_l1_seconds: Stat::of(&to_l1),
            time_scale: self.cost.time_scale,
            gas: BTreeMap::from([
                ("propose".to_string(), gas("propose")),
                ("submitProof".to_string(), gas("submitProof")),
                ("submitSignedProof".to_string(), gas("submitSignedProof")),
                ("claim".to_string(), gas("claim")),
            ]),
            training_wheel: i.cfg.training_wheel.map(|w| WheelReport {
                bps: w.bps,
                until: w.until.saturating_to(),
                bls_keys: i.bls_keys,
            }),
            signed_proofs: signers.len() as u64,
            mean_bls_signers: if signers.is_empty() {
                0.0
            } else {
                signers.iter().sum::<u64>() as f64 / signers.len() as f64
            },
            bls_gas: gas("submitSignedProof"),
            rewards: self.rewards.clone(),
            grief: i.grief,
            inactivity: {
                let offline = |xs: &[Address]| {
                    xs.iter().filter(|a| i.offline_keys.contains(*a)).count() as u64
                };
                let (r, st) = (offline(&self.reported), offline(&self.struck));
                Inactivity {
                    reported_offline: r,
                    reported_online: self.reported.len() as u64 - r,
                    struck_offline: st,
                    struck_online: self.struck.len() as u64 - st,
                }
            },
            balances_match: i.mismatches.is_empty(),
            balance_mismatches: i.mismatches,
            rejected_messages: i.metrics.rejected_count(),
            rpc_errors: i.rpc_errors,
            rpc_failures_injected: i.rpc_failures_injected,
            reorgs_injected: i.reorgs_injected,
            reorgs_seen: i.reorgs_seen,
            timed_out: i.timed_out,
            elapsed_seconds: i.elapsed.as_secs_f64(),
            params: i.params.clone(),
            l1_rpc: i.rpc,
            blocks,
        }
    }
}

#[cfg(test)]
mod load_tests {
    use super::*;

    /// Regression (issue 11): a NaN or subnormal `tx-rate` panicked in `Duration::from_secs_f64`
    /// (1 / 5e-324 is infinite), a huge one in `tokio::time::interval` (zero period).
    #[test]
    fn any_tx_rate_gives_a_usable_period() {
        for rate in [f64::NAN, 0.0, -1.0, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(load_period(rate), None, "{rate}");
        }
        for rate in [f64::MIN_POSITIVE / 2.0, 5e-324, 1e-300, f64::MAX, 1e12] {
            let p = load_period(rate).unwrap();
            assert!(p >= Duration::from_micros(1) && p <= crate::cost::MAX_DELAY);
        }
        assert_eq!(load_period(8.0), Some(Duration::from_millis(125)));
    }
}
