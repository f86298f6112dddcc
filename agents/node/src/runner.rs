//! Running one agent as its own process (`spn sequencer|prover|node|submitter`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use alloy::providers::Provider;
use spn_protocol::StakingKey;

use crate::agent::{AgentConfig, AgentParts, StakerAgent};
use crate::agent::{SubmitterAgent as Submitter, SubmitterParts};
use crate::cost::CostModel;
use crate::error::{Error, Result};
use crate::keys;
use crate::l1::{ChainView, Deployment, Sender, TxPolicy, L1};
use crate::metrics::{Faults, Metrics};
use crate::net::{P2pConfig, P2pNetwork};
use crate::operator::Connected;
use crate::pool::{self, TxPool};
use crate::prover::ProverBackend;
use crate::store::{Identity, Store};
use crate::telemetry;

/// Which agent a process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Sequencer only.
    Sequencer,
    /// Prover (and attester) only.
    Prover,
    /// Sequencer and prover of one staking key.
    Node,
    /// Submitter.
    Submitter,
}

/// Configuration of a standalone agent (built by the CLI from flags, environment and TOML).
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Which agent.
    pub role: Role,
    /// L1 JSON-RPC URL.
    pub rpc_url: String,
    /// Explicit deployment file.
    pub deployment: Option<PathBuf>,
    /// Directory of `<chainId>.json` files.
    pub deployments_dir: PathBuf,
    /// Where the staking key comes from.
    pub key: Option<keys::KeySource>,
    /// Transaction pool endpoint of a sequencer.
    pub pool_addr: SocketAddr,
    /// Simulated proving cost.
    pub cost: CostModel,
    /// Claim once this many blocks owe a share.
    pub claim_batch: usize,
    /// libp2p listen multiaddr.
    pub p2p_listen: String,
    /// libp2p peers to dial (bootnodes); empty: the deployment file's `bootnodes`.
    pub p2p_peers: Vec<String>,
    /// libp2p identity key file (created if missing); `None`: a new peer id every start.
    pub p2p_key_file: Option<PathBuf>,
    /// Wait for the staking key to be registered and active instead of refusing to start.
    pub wait_active: bool,
    /// Where to serve `/metrics` and `/health` (none: not served).
    pub metrics_addr: Option<SocketAddr>,
    /// How jobs are proven.
    pub prover: ProverBackend,
    /// Data directory (default: [`default_data_dir`]).
    pub data_dir: Option<PathBuf>,
    /// How the agent's L1 transactions are priced and re-priced.
    pub tx: TxPolicy,
    /// The submitter's inactivity reports per proven block (0: none, §14.4).
    pub reports_per_block: usize,
    /// L1 blocks on top of a block before its events are acted on (0: at once; a reorg deeper
    /// than this is rolled back).
    pub confirmations: u64,
}

/// `$HOME/.spn/<chainId>/<address>`: one directory per chain and key, so two agents of one
/// machine never share a signing record by accident.
pub fn default_data_dir(chain_id: u64, key: alloy_primitives::Address) -> Result<PathBuf> {
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or_else(|| Error::Config("HOME is not set: pass --data-dir".into()))?;
    Ok(PathBuf::from(home)
        .join(".spn")
        .join(chain_id.to_string())
        .join(format!("{key}")))
}

/// Opens the agent's data directory for this deployment and key, and checks the chain has not
/// gone back behind the last L1 block it processed (a reset chain).
async fn open_store(cfg: &NodeConfig, p: &Prepared) -> Result<Arc<Store>> {
    let dir = match &cfg.data_dir {
        Some(d) => d.clone(),
        None => default_data_dir(p.l1.chain_id(), p.key.address())?,
    };
    let block =
        p.l1.provider()
            .get_block_by_number(p.deployment.deployment_block.into())
            .await
            .map_err(|e| Error::rpc("eth_getBlockByNumber", e))?
            .ok_or_else(|| Error::DeploymentInvalid {
                path: dir.clone(),
                reason: format!(
                    "its deployment block {} is not on the chain (a reset chain?)",
                    p.deployment.deployment_block
                ),
            })?;
    let identity = Identity {
        chain_id: p.l1.chain_id(),
        rollup: p.deployment.rollup,
        deployment_block_hash: block.header.hash,
        key: p.key.address(),
    };
    let store = Store::open(&dir, &identity)?;
    let (head, _) = p.l1.head().await?;
    if let Some(last) = store.last_l1_block()? {
        if last > head {
            return Err(Error::DataDir {
                path: dir,
                reason: format!(
                    "it processed L1 block {last} but the chain's head is {head}: the chain was reset"
                ),
            });
        }
    }
    tracing::info!(target: "spn", "data directory {} ({} messages signed before)", dir.display(), store.signed_count()?);
    Ok(Arc::new(store))
}

/// What a standalone agent starts from, after every input was checked.
#[derive(Debug)]
pub struct Prepared {
    /// L1 connection.
    pub l1: L1,
    /// Deployment.
    pub deployment: Deployment,
    /// The key.
    pub key: StakingKey,
}

/// Checks the inputs in the order that gives the clearest error: key, explicit deployment file,
/// RPC, then the deployment file of the RPC's chain.
pub async fn prepare(cfg: &NodeConfig) -> Result<Prepared> {
    let key = keys::require(cfg.key.as_ref())?;
    if let Some(dir) = &cfg.data_dir {
        crate::store::check_dir(dir)?;
    }
    let c = connect(
        &cfg.rpc_url,
        cfg.deployment.as_deref(),
        &cfg.deployments_dir,
    )
    .await?;
    Ok(Prepared {
        l1: c.l1,
        deployment: c.deployment,
        key,
    })
}

/// Connects to `rpc_url` and loads its deployment (`deployment`, else the chain's file in
/// `deployments_dir`), checked: the chain id, and code at the Rollup and Staking addresses.
pub async fn connect(
    rpc_url: &str,
    deployment: Option<&std::path::Path>,
    deployments_dir: &std::path::Path,
) -> Result<Connected> {
    let explicit = match deployment {
        Some(p) => Some(Deployment::load(p)?),
        None => None,
    };
    let l1 = L1::connect(rpc_url).await?;
    let path = deployment
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| Deployment::default_path(deployments_dir, l1.chain_id()));
    let deployment = match explicit {
        Some(d) => d,
        None => Deployment::load(&path)?,
    };
    if deployment.chain_id != l1.chain_id() {
        return Err(Error::DeploymentInvalid {
            path,
            reason: format!(
                "chain id {} but the RPC {} is on chain {}",
                deployment.chain_id,
                rpc_url,
                l1.chain_id()
            ),
        });
    }
    // A reset or different chain has no code at the deployment's addresses: say so, instead of
    // failing later on "ABI decoding failed".
    for (name, at) in [
        ("Rollup", deployment.rollup),
        ("Staking", deployment.staking),
    ] {
        let code =
            l1.provider().get_code_at(at).await.map_err(|e| {
                Error::Config(format!("reading the code of the {name} at {at}: {e}"))
            })?;
        if code.is_empty() {
            return Err(Error::DeploymentInvalid {
                path,
                reason: format!(
                    "no contract at the {name} address {at} on {} (a reset chain, or another RPC)",
                    rpc_url
                ),
            });
        }
    }
    Ok(Connected {
        l1,
        deployment,
        tx: TxPolicy::default(),
    })
}

/// A staker's agent runs only for a registered key that is active (or, with `wait`, waits until
/// it is): an unregistered key would run silently and never be selected.
async fn check_active(view: &ChainView, p: &Prepared, wait: bool) -> Result<()> {
    use spn_core::Chain;
    let me = p.key.address();
    let staking = p.deployment.staking;
    let mut told = false;
    loop {
        let epoch = view.clock().epoch_of(view.current_slot());
        let problem = match view.staker(me) {
            None => format!(
                "the key {me} is not registered at Staking {staking}; register it with `spn stake register`"
            ),
            Some(s) if s.exit_epoch <= epoch => format!(
                "the key {me} exited in epoch {} (now {epoch}); it can only withdraw",
                s.exit_epoch
            ),
            Some(s) if s.activation_epoch > epoch => format!(
                "the key {me} is active from epoch {} (now {epoch})",
                s.activation_epoch
            ),
            Some(_) => return Ok(()),
        };
        let exited = view.staker(me).is_some_and(|s| s.exit_epoch <= epoch);
        if !wait || exited {
            let hint = if exited {
                ""
            } else {
                "; pass --wait-active to wait"
            };
            return Err(Error::Config(format!("{problem}{hint}")));
        }
        if !told {
            tracing::info!(target: "spn", "{problem}; waiting");
            told = true;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// With the training wheel, a staking key's transition signatures count only under a registered
/// BLS key (design §6): registers the one derived from the staking key, once. A failure is
/// logged, not fatal: the key still proves, and the next start tries again.
async fn register_bls_key(view: &ChainView, p: &Prepared, sender: &Sender) {
    use crate::operator::BlsRegistration;
    use spn_core::Chain;
    if view.training_wheel().is_none() {
        return;
    }
    let me = p.key.address();
    match crate::operator::register_bls_key(&p.l1, &p.deployment, &p.key, sender).await {
        Ok(BlsRegistration::New) => {
            tracing::info!(target: "spn", "registered the BLS key of {me} (training wheel)")
        }
        Ok(BlsRegistration::Registered) => {}
        Ok(BlsRegistration::Mismatch) => {
            tracing::warn!(target: "spn", "{me} has another BLS key registered than the one derived from it: its transition signatures will not count")
        }
        Err(e) => {
            tracing::warn!(target: "spn", "registering the BLS key of {me}: {e}; its transition signatures will not count until it is registered")
        }
    }
}

/// Writes the last L1 block seen to the data directory every few seconds.
fn record_l1_progress(view: Arc<ChainView>, store: Arc<Store>) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            if let Err(e) = store.set_last_l1_block(view.head_number()) {
                tracing::warn!(target: "spn", "{e}");
            }
        }
    });
}

/// Runs a standalone agent until the process is stopped.
pub async fn run(cfg: NodeConfig) -> Result<()> {
    let p = prepare(&cfg).await?;
    let (params, genesis) = p.l1.params(&p.deployment).await?;
    let view = ChainView::start(
        p.l1.clone(),
        p.deployment.clone(),
        params,
        genesis,
        Duration::from_millis(500),
        cfg.confirmations,
    )
    .await?;
    view.set_deployment_file(
        cfg.deployment
            .clone()
            .unwrap_or_else(|| Deployment::default_path(&cfg.deployments_dir, p.l1.chain_id())),
    );
    // Refuse an unusable key before opening a socket; a key that is only waiting to become
    // active joins the network first, so its peers know it by the time it has work.
    if cfg.role != Role::Submitter && !cfg.wait_active {
        check_active(&view, &p, false).await?;
    }
    let store = open_store(&cfg, &p).await?;
    let metrics = Arc::new(Metrics::default());
    // Healthy while L1 advanced within three slots (and an agent loop ticks).
    metrics
        .telemetry()
        .set_stale_after(Duration::from_secs(3 * view.params().slot_duration.max(1)));
    if let Some(addr) = cfg.metrics_addr {
        let (bound, _) = telemetry::serve(metrics.telemetry().clone(), addr).await?;
        tracing::info!(target: "spn", "metrics at http://{bound}/metrics, health at http://{bound}/health");
    }
    let faults = Arc::new(Faults::default());
    let listen: libp2p::Multiaddr = cfg
        .p2p_listen
        .parse()
        .map_err(|e| Error::Config(format!("--p2p.listen {}: {e}", cfg.p2p_listen)))?;
    // Bootnodes from the flag, else those the deployment file lists.
    let (listed, from) = if cfg.p2p_peers.is_empty() {
        (p.deployment.bootnodes.clone(), "deployment bootnode")
    } else {
        (cfg.p2p_peers.clone(), "--p2p.peers")
    };
    let peers = listed
        .iter()
        .map(|p| {
            p.parse()
                .map_err(|e| Error::Config(format!("{from} {p}: {e}")))
        })
        .collect::<Result<Vec<libp2p::Multiaddr>>>()?;
    let d = &p.deployment;
    let (p2p, inbox) = P2pNetwork::start(P2pConfig {
        listen,
        peers,
        namespace: format!("/spn/{}/{}", d.chain_id, d.rollup),
        domain: spn_protocol::eip712::domain(d.chain_id, d.rollup),
        metrics: Some(metrics.clone()),
        // The node's libp2p identity lives with its other records, so its address stays valid.
        key_file: Some(
            cfg.p2p_key_file
                .clone()
                .unwrap_or_else(|| store.dir().join("p2p.key")),
        ),
    })
    .await?;
    tracing::info!(target: "spn::net", "libp2p listening on {} (give it to peers as --p2p.peers)", p2p.listen_addr());
    let net: Arc<dyn crate::net::Network> = p2p.clone();
    let sender = Arc::new(
        Sender::new(p.l1.clone(), &p.key)
            .with_policy(cfg.tx.clone())?
            .with_journal(&store.dir().join("tx-journal.json"))?,
    );
    // The peers gauge, the RPC's and the transaction manager's counters, read once a second.
    {
        let (p2p, sender) = (Arc::downgrade(&p2p), Arc::downgrade(&sender));
        let telemetry = metrics.telemetry().clone();
        let l1 = p.l1.clone();
        tokio::spawn(async move {
            while let (Some(p2p), Some(sender)) = (p2p.upgrade(), sender.upgrade()) {
                telemetry.set_peers(p2p.peer_count());
                telemetry.set_tx_stats(sender.stats());
                telemetry.set_rpc_errors(l1.rpc_errors());
                drop((p2p, sender));
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
    // Transactions in flight when the agent last stopped land (or are replaced) first.
    {
        let sender = sender.clone();
        tokio::spawn(async move {
            match sender.resume().await {
                Ok(r) if !r.is_empty() => {
                    tracing::info!(target: "spn::l1", "{} journaled transactions from the last run settled", r.len())
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(target: "spn::l1", "resuming journaled transactions: {e}"),
            }
        });
    }
    if cfg.role != Role::Submitter && cfg.wait_active {
        check_active(&view, &p, true).await?;
    }
    if cfg.role != Role::Submitter {
        register_bls_key(&view, &p, &sender).await;
    }
    record_l1_progress(view.clone(), store.clone());
    let watch = view.clone();
    tracing::info!(target: "spn", "{:?} {} on chain {} (rollup {})", cfg.role, p.key.address(), p.l1.chain_id(), p.deployment.rollup);
    match cfg.role {
        Role::Submitter => {
            Submitter::spawn(SubmitterParts {
                view,
                sender,
                net,
                inbox,
                metrics,
                faults,
                eager: true,
                cost: cfg.cost,
                reports_per_block: cfg.reports_per_block,
            });
        }
        role => {
            let pool = if role != Role::Prover {
                let pool = Arc::new(TxPool::new(100_000));
                // Every sequencer's pool holds the transactions sent to any of them.
                p2p.share_pool(&pool);
                let addr = pool::serve(pool.clone(), cfg.pool_addr).await?;
                tracing::info!(target: "spn", "transaction pool at http://{addr}/tx");
                Some(pool)
            } else {
                None
            };
            // A staker's node also submits, late, in case no submitter does: both read the gossip.
            let (agent_tx, agent_inbox) = tokio::sync::mpsc::unbounded_channel();
            let (sub_tx, sub_inbox) = tokio::sync::mpsc::unbounded_channel();
            let mut inbox = inbox;
            tokio::spawn(async move {
                while let Some(m) = inbox.recv().await {
                    let _ = sub_tx.send(m.clone());
                    if agent_tx.send(m).is_err() {
                        break;
                    }
                }
            });
            if role == Role::Node {
                Submitter::spawn(SubmitterParts {
                    view: view.clone(),
                    sender: sender.clone(),
                    net: net.clone(),
                    inbox: sub_inbox,
                    metrics: metrics.clone(),
                    faults: faults.clone(),
                    eager: false,
                    cost: cfg.cost,
                    reports_per_block: 0,
                });
            }
            StakerAgent::spawn(AgentParts {
                view,
                key: p.key,
                sender,
                net,
                inbox: agent_inbox,
                cfg: AgentConfig {
                    sequencer: role != Role::Prover,
                    prover: role != Role::Sequencer,
                    claim_batch: cfg.claim_batch,
                    cost: cfg.cost,
                    ..AgentConfig::default()
                },
                pool,
                metrics,
                faults,
                store: Some(store),
                prover: cfg.prover.clone(),
            });
        }
    }
    // Runs until stopped, unless the chain loses the deployment (a reset L1): then the process
    // exits with that error instead of running on against nothing.
    Err(Error::ChainReset(watch.failed().await))
}
