//! Command-line interface: every flag also reads an `SPN_*` environment variable, and an
//! optional TOML file (`--config`) supplies values neither gives.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand};
use spn_node::cost::CostModel;
use spn_node::devnet::{DevnetConfig, NetworkKind, Offline};
use spn_node::l1::TxPolicy;
use spn_node::prover::{CommandProver, ProverBackend};
use spn_node::runner::{NodeConfig, Role};

use crate::keycmd::KeyArgs;
use crate::model::ModelArgs;
use crate::opcmd::{ClaimArgs, StakeArgs, StatusArgs};
use crate::sim::SimArgs;
use spn_node::keys::KeySource;

/// SPN: staking proving network agents and a one-command devnet.
#[derive(Debug, Parser)]
#[command(name = "spn", version, args_override_self = true)]
pub(crate) struct Cli {
    /// TOML file with defaults for any flag (`[l1] rpc-url = ".."`, or `[devnet] stakers = 16`).
    #[arg(long, env = "SPN_CONFIG", global = true)]
    pub(crate) config: Option<PathBuf>,
    /// Log filter (tracing `EnvFilter` syntax, e.g. `info` or `spn::prover=debug`).
    #[arg(long, env = "SPN_LOG", default_value = "info", global = true)]
    pub(crate) log: String,
    /// Log format on stderr: `human` (colour only on a terminal) or `json` (one object per line).
    #[arg(
        long = "log-format",
        env = "SPN_LOG_FORMAT",
        default_value = "human",
        global = true
    )]
    pub(crate) log_format: LogFormat,
    /// What to run.
    #[command(subcommand)]
    pub(crate) command: Commands,
}

/// Log formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// Compact lines.
    Human,
    /// One JSON object per line.
    Json,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Commands {
    /// Local devnet: anvil, contracts, stakers, every agent; ends with a report.
    Devnet(Box<DevnetArgs>),
    /// A staking key's sequencer.
    Sequencer(Box<SequencerArgs>),
    /// A staking key's prover (and attester).
    Prover(Box<ProverArgs>),
    /// A staking key's sequencer and prover together (what a staker runs).
    Node(Box<NodeArgs>),
    /// Assembles transcripts and submits proofs.
    Submitter(Box<SubmitterArgs>),
    /// Closed-form capacity and economics model: machines, days between rewards, unfilled jobs,
    /// capture, bleed (docs/ECONOMICS.md).
    Model(Box<ModelArgs>),
    /// Deterministic simulation of every agent with the contracts in revm, or the statistical
    /// mode at up to 500,000 stakers; built-in scenarios (--list) or a TOML file.
    Sim(Box<SimArgs>),
    /// Encrypted keystores (web3 secret storage): create, import a raw key, show the address.
    Key(Box<KeyArgs>),
    /// Stake: register a key, start its exit, withdraw its stake.
    Stake(Box<StakeArgs>),
    /// Slot, epoch, tips, and a key's state, duties and owed rewards.
    Status(Box<StatusArgs>),
    /// Claim a prover's shares of every proven block it is owed (read from L1: the transcripts
    /// and their rewards roots).
    Claim(Box<ClaimArgs>),
}

impl Commands {
    /// Subcommand names.
    pub(crate) const NAMES: [&'static str; 11] = [
        "devnet",
        "sequencer",
        "prover",
        "node",
        "submitter",
        "model",
        "sim",
        "key",
        "stake",
        "status",
        "claim",
    ];
}

/// Where L1 and the deployment are (every command that talks to L1).
#[derive(Debug, Args)]
pub(crate) struct L1Args {
    /// L1 JSON-RPC endpoint; several, comma-separated, in order of preference (the next one is
    /// used while the first fails).
    #[arg(
        long = "l1.rpc-url",
        env = "SPN_L1_RPC_URL",
        default_value = "http://127.0.0.1:8545"
    )]
    pub(crate) rpc_url: String,
    /// L1 blocks on top of a block before the agents act on its events (0 on a devnet; a reorg
    /// is rolled back whatever its depth).
    #[arg(
        long = "l1.confirmations",
        env = "SPN_L1_CONFIRMATIONS",
        default_value_t = 0
    )]
    pub(crate) confirmations: u64,
    /// Deployment file (default: <deployments-dir>/<chainId>.json).
    #[arg(long, env = "SPN_DEPLOYMENT")]
    pub(crate) deployment: Option<PathBuf>,
    /// Directory of deployment files.
    #[arg(
        long = "deployments-dir",
        env = "SPN_DEPLOYMENTS_DIR",
        default_value = "deployments"
    )]
    pub(crate) deployments_dir: PathBuf,
}

/// Which key signs (every command that sends transactions or messages).
#[derive(Debug, Args)]
pub(crate) struct KeyFlags {
    /// Encrypted keystore of the key: `spn key new|import`.
    #[arg(long, env = "SPN_KEYSTORE", conflicts_with = "key")]
    pub(crate) keystore: Option<PathBuf>,
    /// File whose first line is the keystore's password (otherwise asked on the terminal).
    #[arg(
        long = "password-file",
        env = "SPN_PASSWORD_FILE",
        requires = "keystore"
    )]
    pub(crate) password_file: Option<PathBuf>,
    /// A raw key for devnets: 64 hex digits, or a file holding them (mode 600). Prefer the
    /// environment variable: a flag's value is visible to other users in `ps`.
    #[arg(long, env = "SPN_KEY", hide_env_values = true)]
    pub(crate) key: Option<String>,
}

impl KeyFlags {
    /// The key's source, if any flag gives one.
    pub(crate) fn source(&self) -> Option<KeySource> {
        match (&self.keystore, &self.key) {
            (Some(path), _) => Some(KeySource::Keystore {
                path: path.clone(),
                password_file: self.password_file.clone(),
            }),
            (None, Some(k)) => Some(KeySource::Raw(k.clone())),
            (None, None) => None,
        }
    }
}

/// How L1 transactions are re-priced (every command that sends them).
#[derive(Debug, Args)]
pub(crate) struct TxArgs {
    /// Seconds without inclusion before a transaction is re-sent with higher fees.
    #[arg(long = "tx.stall-secs", env = "SPN_TX_STALL_SECS", default_value_t = TxPolicy::DEFAULT_STALL_SECS, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(crate) stall_secs: u64,
    /// Fee increase per re-send, percent (nodes refuse replacements below 10).
    #[arg(long = "tx.bump-percent", env = "SPN_TX_BUMP_PERCENT", default_value_t = TxPolicy::DEFAULT_BUMP_PERCENT, value_parser = clap::value_parser!(u64).range(10..=1000))]
    pub(crate) bump_percent: u64,
    /// The highest max fee per gas offered, gwei.
    #[arg(long = "tx.max-fee-gwei", env = "SPN_TX_MAX_FEE_GWEI", default_value_t = TxPolicy::DEFAULT_MAX_FEE_GWEI, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub(crate) max_fee_gwei: u64,
}

impl TxArgs {
    /// The senders' policy.
    pub(crate) fn policy(&self) -> TxPolicy {
        TxPolicy::from_flags(self.stall_secs, self.bump_percent, self.max_fee_gwei)
    }
}

/// Flags every standalone agent takes.
#[derive(Debug, Args)]
pub(crate) struct AgentArgs {
    #[command(flatten)]
    pub(crate) l1: L1Args,
    /// The staking key (or the submitter's key).
    #[command(flatten)]
    pub(crate) keys: KeyFlags,
    /// libp2p listen address.
    #[arg(
        long = "p2p.listen",
        env = "SPN_P2P_LISTEN",
        default_value = "/ip4/127.0.0.1/tcp/0"
    )]
    pub(crate) p2p_listen: String,
    /// Bootnodes to dial (comma-separated multiaddrs with /p2p/<peer id>); default: the
    /// deployment file's `bootnodes`. The rest of the network is discovered from them.
    #[arg(long = "p2p.peers", env = "SPN_P2P_PEERS", value_delimiter = ',')]
    pub(crate) p2p_peers: Vec<String>,
    /// libp2p identity key file, created (mode 600) if missing: the peer id survives restarts
    /// (default: `p2p.key` in the data directory).
    #[arg(long = "p2p.key-file", env = "SPN_P2P_KEY_FILE")]
    pub(crate) p2p_key_file: Option<PathBuf>,
    /// Data directory: the signing record (never two different messages for one slot, block or
    /// job, across restarts), the key's results, the last L1 block (default:
    /// ~/.spn/<chainId>/<address>).
    #[arg(long = "data-dir", env = "SPN_DATA_DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) tx: TxArgs,
    /// Serve Prometheus metrics (`/metrics`) and `/health` here, e.g. 127.0.0.1:9464 (default:
    /// not served).
    #[arg(long = "metrics.addr", env = "SPN_METRICS_ADDR")]
    pub(crate) metrics_addr: Option<SocketAddr>,
}

/// How jobs are proven (agents and the devnet).
#[derive(Debug, Args)]
pub(crate) struct ProverFlags {
    /// External prover run once per job: `"<program> [args]"` (no shell quoting). It reads the
    /// job as JSON on stdin and prints `{"output","seconds"}` (see scripts/hash-prover.py).
    /// Default: the cost model's simulated delay.
    #[arg(long = "prover.command", env = "SPN_PROVER_COMMAND", value_parser = CommandProver::parse)]
    pub(crate) command: Option<CommandProver>,
    /// Seconds one run of --prover.command may take before it is killed (the job is then left
    /// unsigned, to the fill and fallback rules).
    #[arg(
        long = "prover.timeout-secs",
        env = "SPN_PROVER_TIMEOUT_SECS",
        default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(1..=86_400)
    )]
    pub(crate) timeout_secs: u64,
}

impl ProverFlags {
    /// The proving backend.
    pub(crate) fn backend(&self) -> ProverBackend {
        match &self.command {
            Some(c) => ProverBackend::Command(
                c.clone()
                    .with_timeout(Duration::from_secs(self.timeout_secs)),
            ),
            None => ProverBackend::Simulated,
        }
    }
}

/// A sequencer's transaction pool.
#[derive(Debug, Args)]
pub(crate) struct PoolFlags {
    /// Transaction pool endpoint of a sequencer (port 0: any free port).
    #[arg(
        long = "pool.addr",
        env = "SPN_POOL_ADDR",
        default_value = "127.0.0.1:0"
    )]
    pub(crate) pool_addr: SocketAddr,
}

/// The simulated proving cost (provers, and the submitter, which waits for results by it).
#[derive(Debug, Args)]
pub(crate) struct CostFlags {
    /// Wall-clock seconds per proof-second of the cost model.
    #[arg(long = "time-scale", env = "SPN_TIME_SCALE", default_value_t = 0.02, value_parser = parse_time_scale, allow_hyphen_values = true)]
    pub(crate) time_scale: f64,
}

/// A prover's claims.
#[derive(Debug, Args)]
pub(crate) struct ClaimFlags {
    /// Claim rewards once this many proven blocks owe the key a share.
    #[arg(long = "claim-batch", env = "SPN_CLAIM_BATCH", default_value_t = 4)]
    pub(crate) claim_batch: usize,
}

/// A staking key's agent.
#[derive(Debug, Args)]
pub(crate) struct StakerFlags {
    /// Wait until the staking key is registered and active instead of refusing to start.
    #[arg(long = "wait-active", env = "SPN_WAIT_ACTIVE")]
    pub(crate) wait_active: bool,
}

/// Flags of `spn sequencer`.
#[derive(Debug, Args)]
pub(crate) struct SequencerArgs {
    #[command(flatten)]
    pub(crate) agent: AgentArgs,
    #[command(flatten)]
    pub(crate) pool: PoolFlags,
    #[command(flatten)]
    pub(crate) staker: StakerFlags,
}

/// Flags of `spn prover`.
#[derive(Debug, Args)]
pub(crate) struct ProverArgs {
    #[command(flatten)]
    pub(crate) agent: AgentArgs,
    #[command(flatten)]
    pub(crate) cost: CostFlags,
    #[command(flatten)]
    pub(crate) prover: ProverFlags,
    #[command(flatten)]
    pub(crate) claims: ClaimFlags,
    #[command(flatten)]
    pub(crate) staker: StakerFlags,
}

/// Flags of `spn node`.
#[derive(Debug, Args)]
pub(crate) struct NodeArgs {
    #[command(flatten)]
    pub(crate) agent: AgentArgs,
    #[command(flatten)]
    pub(crate) pool: PoolFlags,
    #[command(flatten)]
    pub(crate) cost: CostFlags,
    #[command(flatten)]
    pub(crate) prover: ProverFlags,
    #[command(flatten)]
    pub(crate) claims: ClaimFlags,
    #[command(flatten)]
    pub(crate) staker: StakerFlags,
}

/// Flags of `spn submitter`.
#[derive(Debug, Args)]
pub(crate) struct SubmitterArgs {
    #[command(flatten)]
    pub(crate) agent: AgentArgs,
    #[command(flatten)]
    pub(crate) cost: CostFlags,
    /// File at most this many inactivity reports per proven block against round-1 committee
    /// members that published no result for it, and finalise reports whose grace is over (0:
    /// neither; a report pays nobody, docs/PROTOCOL.md §14.4).
    #[arg(long = "report-missed", env = "SPN_REPORT_MISSED", default_value_t = 0)]
    pub(crate) report_missed: usize,
}

impl AgentArgs {
    /// The runner's configuration of `role`; what the role has no flag for keeps its default.
    fn config(&self, role: Role) -> NodeConfig {
        NodeConfig {
            role,
            rpc_url: self.l1.rpc_url.clone(),
            deployment: self.l1.deployment.clone(),
            deployments_dir: self.l1.deployments_dir.clone(),
            key: self.keys.source(),
            pool_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            cost: CostModel::default(),
            claim_batch: 4,
            p2p_listen: self.p2p_listen.clone(),
            p2p_peers: self.p2p_peers.clone(),
            p2p_key_file: self.p2p_key_file.clone(),
            wait_active: false,
            data_dir: self.data_dir.clone(),
            tx: self.tx.policy(),
            confirmations: self.l1.confirmations,
            metrics_addr: self.metrics_addr,
            prover: ProverBackend::Simulated,
            reports_per_block: 0,
        }
    }
}

impl CostFlags {
    fn model(&self) -> CostModel {
        CostModel {
            time_scale: self.time_scale,
            ..CostModel::default()
        }
    }
}

impl SequencerArgs {
    /// The runner's configuration.
    pub(crate) fn config(&self) -> NodeConfig {
        NodeConfig {
            pool_addr: self.pool.pool_addr,
            wait_active: self.staker.wait_active,
            ..self.agent.config(Role::Sequencer)
        }
    }
}

impl ProverArgs {
    /// The runner's configuration.
    pub(crate) fn config(&self) -> NodeConfig {
        NodeConfig {
            cost: self.cost.model(),
            prover: self.prover.backend(),
            claim_batch: self.claims.claim_batch,
            wait_active: self.staker.wait_active,
            ..self.agent.config(Role::Prover)
        }
    }
}

impl NodeArgs {
    /// The runner's configuration.
    pub(crate) fn config(&self) -> NodeConfig {
        NodeConfig {
            pool_addr: self.pool.pool_addr,
            cost: self.cost.model(),
            prover: self.prover.backend(),
            claim_batch: self.claims.claim_batch,
            wait_active: self.staker.wait_active,
            ..self.agent.config(Role::Node)
        }
    }
}

impl SubmitterArgs {
    /// The runner's configuration.
    pub(crate) fn config(&self) -> NodeConfig {
        NodeConfig {
            cost: self.cost.model(),
            reports_per_block: self.report_missed,
            ..self.agent.config(Role::Submitter)
        }
    }
}

/// Flags of `spn devnet`.
#[derive(Debug, Args)]
pub(crate) struct DevnetArgs {
    /// Registered stakers (deterministic keys).
    #[arg(long, env = "SPN_STAKERS", default_value_t = 32)]
    pub(crate) stakers: u32,
    /// Stop after this many proven blocks.
    #[arg(long, env = "SPN_BLOCKS", default_value_t = 10)]
    pub(crate) blocks: u64,
    /// Fixed tree height n of every block (default: the sequencer policy, at most m + log2(N / 2R)).
    #[arg(long, env = "SPN_HEIGHT")]
    pub(crate) height: Option<u8>,
    /// Round height m (a deployment parameter; devnet default 2).
    #[arg(long = "round-height", env = "SPN_ROUND_HEIGHT")]
    pub(crate) round_height: Option<u8>,
    /// Redundancy R: committee seats per job (a deployment parameter; devnet default 2).
    #[arg(long, env = "SPN_REDUNDANCY")]
    pub(crate) redundancy: Option<u64>,
    /// Neighbourhood d (a deployment parameter; devnet default 2).
    #[arg(long, env = "SPN_NEIGHBOURHOOD")]
    pub(crate) neighbourhood: Option<u8>,
    /// Provers that never run: a count (8), a fraction (0.25) or a percentage (25%).
    #[arg(
        long = "offline-provers",
        env = "SPN_OFFLINE_PROVERS",
        default_value = "0"
    )]
    pub(crate) offline_provers: Offline,
    /// Wall-clock seconds per proof-second of the cost model.
    #[arg(long = "time-scale", env = "SPN_TIME_SCALE", default_value_t = 0.02, value_parser = parse_time_scale, allow_hyphen_values = true)]
    pub(crate) time_scale: f64,
    /// Transactions per second the load generator posts to the pool.
    #[arg(long = "tx-rate", env = "SPN_TX_RATE", default_value_t = 8.0, value_parser = parse_tx_rate, allow_hyphen_values = true)]
    pub(crate) tx_rate: f64,
    /// anvil binary (default: the project's node_modules install).
    #[arg(long, env = "SPN_ANVIL")]
    pub(crate) anvil: Option<PathBuf>,
    /// anvil block time in seconds.
    #[arg(long = "block-time", env = "SPN_BLOCK_TIME", default_value_t = 1)]
    pub(crate) block_time: u64,
    /// Print the report as JSON on stdout.
    #[arg(long, env = "SPN_JSON")]
    pub(crate) json: bool,
    /// Give up after this many seconds (default: from the number of blocks).
    #[arg(long, env = "SPN_TIMEOUT")]
    pub(crate) timeout: Option<u64>,
    /// Where to write the devnet's deployment file (default: <repo>/deployments).
    #[arg(long = "deployments-dir", env = "SPN_DEPLOYMENTS_DIR")]
    pub(crate) deployments_dir: Option<PathBuf>,
    /// Transaction pool endpoint (port 0: any free port).
    #[arg(
        long = "pool.addr",
        env = "SPN_POOL_ADDR",
        default_value = "127.0.0.1:0"
    )]
    pub(crate) pool_addr: SocketAddr,
    /// Transport between the agents: `p2p` (libp2p on 127.0.0.1) or `local` (in-process bus).
    #[arg(long, env = "SPN_NETWORK", default_value = "p2p")]
    pub(crate) network: NetworkKind,
    /// Fault injection: the first k proposals withhold their body (no quorum).
    #[arg(
        long = "fault.withhold",
        env = "SPN_FAULT_WITHHOLD",
        default_value_t = 0
    )]
    pub(crate) fault_withhold: u32,
    /// Fault injection: the first k complete blocks are never submitted (they are pruned).
    #[arg(
        long = "fault.skip-proofs",
        env = "SPN_FAULT_SKIP_PROOFS",
        default_value_t = 0
    )]
    pub(crate) fault_skip_proofs: u32,
    /// Fault injection: the first k job results are followed by forged messages (wrong output,
    /// ineligible job, bad signature, oversized) that every receiver must drop.
    #[arg(long = "fault.forge", env = "SPN_FAULT_FORGE", default_value_t = 0)]
    pub(crate) fault_forge: u32,
    /// Fault injection: a griefer files k inactivity reports against online committee members
    /// that worked; each must clear its report and lose nothing (the report's `grief`).
    #[arg(long = "fault.grief", env = "SPN_FAULT_GRIEF", default_value_t = 0)]
    pub(crate) fault_grief: u32,
    /// The devnet submitter files at most this many inactivity reports per proven block against
    /// round-1 members that published nothing, and finalises expired reports (0: none).
    #[arg(long = "report-missed", env = "SPN_REPORT_MISSED", default_value_t = 0)]
    pub(crate) report_missed: usize,
    #[command(flatten)]
    pub(crate) prover: ProverFlags,
    /// Fault injection: this fraction of the agents' L1 requests fail (HTTP 503 or a dropped
    /// connection), through a proxy in front of anvil: a fraction (0.2) or a percentage (20%).
    #[arg(
        long = "fault.rpc-failures",
        env = "SPN_FAULT_RPC_FAILURES",
        default_value = "0",
        value_parser = spn_node::devnet::parse_fraction
    )]
    pub(crate) fault_rpc_failures: f64,
    /// Fault injection: reorganise the last D L1 blocks (`anvil_reorg`) every
    /// `--fault.reorg-every` seconds while the agents run (0: never).
    #[arg(
        long = "fault.reorg-depth",
        env = "SPN_FAULT_REORG_DEPTH",
        default_value_t = 0
    )]
    pub(crate) fault_reorg_depth: u64,
    /// Seconds between two injected reorgs.
    #[arg(
        long = "fault.reorg-every",
        env = "SPN_FAULT_REORG_EVERY",
        default_value_t = 15
    )]
    pub(crate) fault_reorg_every: u64,
    /// Deploy the BLS training wheel (a BlsVerifier): every staker registers the BLS key derived
    /// from its staking key, round-1 members sign each block's state transition, and the
    /// submitter proves the blocks below `--training-wheel-until` with `submitSignedProof`.
    #[arg(long = "training-wheel", env = "SPN_TRAINING_WHEEL")]
    pub(crate) training_wheel: bool,
    /// Signers the training wheel requires, in basis points of the expected round-1 committee.
    #[arg(
        long = "training-wheel-bps",
        env = "SPN_TRAINING_WHEEL_BPS",
        default_value_t = spn_node::devnet::WheelConfig::DEFAULT_BPS,
        value_parser = clap::value_parser!(u64).range(1..=10_000),
        requires = "training_wheel"
    )]
    pub(crate) training_wheel_bps: u64,
    /// The first block proven without the training wheel (default: none, the wheel stays on).
    #[arg(
        long = "training-wheel-until",
        env = "SPN_TRAINING_WHEEL_UNTIL",
        value_parser = clap::value_parser!(u64).range(2..),
        requires = "training_wheel"
    )]
    pub(crate) training_wheel_until: Option<u64>,
}

impl DevnetArgs {
    /// The devnet's configuration.
    pub(crate) fn config(&self) -> DevnetConfig {
        DevnetConfig {
            stakers: self.stakers,
            blocks: self.blocks,
            height: self.height,
            round_height: self.round_height,
            redundancy: self.redundancy,
            neighbourhood: self.neighbourhood,
            offline: self.offline_provers,
            cost: CostModel {
                time_scale: self.time_scale,
                ..CostModel::default()
            },
            tx_rate: self.tx_rate,
            anvil: self.anvil.clone(),
            block_time: self.block_time,
            withhold: self.fault_withhold,
            skip_proofs: self.fault_skip_proofs,
            forge: self.fault_forge,
            grief: self.fault_grief,
            report_missed: self.report_missed,
            rpc_failures: self.fault_rpc_failures,
            reorg_depth: self.fault_reorg_depth,
            reorg_every: Duration::from_secs(self.fault_reorg_every.max(1)),
            timeout: self.timeout.map(Duration::from_secs),
            deployments_dir: self.deployments_dir.clone(),
            pool_addr: self.pool_addr,
            network: self.network,
            prover: self.prover.backend(),
            training_wheel: self.training_wheel.then(|| spn_node::devnet::WheelConfig {
                bps: self.training_wheel_bps,
                until: self
                    .training_wheel_until
                    .map_or(alloy_primitives::U256::MAX, alloy_primitives::U256::from),
            }),
        }
    }
}

/// Largest `--time-scale`: 1,000 wall-clock seconds per proof-second.
const MAX_TIME_SCALE: f64 = 1e3;
/// Largest `--tx-rate` (transactions per second).
const MAX_TX_RATE: f64 = 1e4;
/// Smallest non-zero `--tx-rate` (one transaction every 1,000 s).
const MIN_TX_RATE: f64 = 1e-3;

/// `--time-scale`: finite, in `[0, 1000]` (a negative, NaN or infinite scale is no delay).
fn parse_time_scale(s: &str) -> Result<f64, String> {
    spn_node::cost::parse_non_negative(s, MAX_TIME_SCALE)
}

/// `--tx-rate`: 0 (no load) or a finite rate in `[0.001, 10000]` (a subnormal rate has an
/// infinite period).
fn parse_tx_rate(s: &str) -> Result<f64, String> {
    let v = spn_node::cost::parse_non_negative(s, MAX_TX_RATE)?;
    if v != 0.0 && v < MIN_TX_RATE {
        return Err(format!("`{s}` is neither 0 nor at least {MIN_TX_RATE}"));
    }
    Ok(v)
}

/// Inserts the config file's values (for flags given neither on the command line nor in the
/// environment) right after the subcommand. Precedence: command line, environment, file, default.
pub(crate) fn merge_config(argv: Vec<OsString>) -> Result<Vec<OsString>, String> {
    let args: Vec<String> = argv
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut config: Option<String> = None;
    let mut sub_at = None;
    let mut i = 1;
    while i < args.len() {
        let a = &args[i];
        if a == "--config" || a == "--log" || a == "--log-format" {
            if a == "--config" {
                config = args.get(i + 1).cloned();
            }
            i += 2;
            continue;
        }
        if let Some(v) = a.strip_prefix("--config=") {
            config = Some(v.to_string());
        }
        if sub_at.is_none() && Commands::NAMES.contains(&a.as_str()) {
            sub_at = Some(i);
        }
        i += 1;
    }
    let config = config.or_else(|| std::env::var("SPN_CONFIG").ok());
    let (Some(path), Some(at)) = (config, sub_at) else {
        return Ok(argv);
    };
    let sub = args[at].clone();
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read config file {path}: {e}"))?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        format!(
            "config file {path} is not valid TOML: {}",
            one_line(&e.to_string())
        )
    })?;
    let mut values = Vec::new();
    flatten("", &table, &sub, &mut values);
    let cmd = Cli::command();
    let sc = cmd.find_subcommand(&sub).expect("known subcommand");
    let mut extra = Vec::new();
    for (key, value) in values {
        let Some(arg) = sc
            .get_arguments()
            .find(|a| a.get_long() == Some(key.as_str()))
        else {
            return Err(format!(
                "unknown key `{key}` in config file {path} (for `spn {sub}`)"
            ));
        };
        let flag = format!("--{key}");
        let on_cli = args
            .iter()
            .any(|a| a == &flag || a.starts_with(&format!("{flag}=")));
        let in_env = arg.get_env().is_some_and(|e| std::env::var_os(e).is_some());
        if on_cli || in_env {
            continue;
        }
        let given = match value {
            toml::Value::Boolean(true) => flag.clone(),
            toml::Value::Boolean(false) => continue,
            toml::Value::String(s) => format!("{flag}={s}"),
            toml::Value::Integer(n) => format!("{flag}={n}"),
            toml::Value::Float(f) => format!("{flag}={f}"),
            other => {
                return Err(format!(
                    "config file {path}: key `{key}`: unsupported value {other}"
                ))
            }
        };
        // A bad value is the file's fault, not a flag's: check it here and name the file.
        if let Err(e) = Cli::try_parse_from(["spn", sub.as_str(), given.as_str()]) {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::InvalidValue | ErrorKind::ValueValidation
            ) {
                let why = one_line(&e.render().to_string()).to_string();
                let why = why.strip_prefix("error: ").unwrap_or(&why).to_string();
                return Err(format!("config file {path}: key `{key}`: {why}"));
            }
        }
        extra.push(given);
    }
    let mut out: Vec<OsString> = argv[..=at].to_vec();
    out.extend(extra.into_iter().map(OsString::from));
    out.extend_from_slice(&argv[at + 1..]);
    Ok(out)
}

/// `[l1] rpc-url` becomes `l1.rpc-url`; a table named after a subcommand applies to it only.
fn flatten(prefix: &str, t: &toml::Table, sub: &str, out: &mut Vec<(String, toml::Value)>) {
    for (k, v) in t {
        match v {
            toml::Value::Table(inner)
                if prefix.is_empty() && Commands::NAMES.contains(&k.as_str()) =>
            {
                if k == sub {
                    flatten("", inner, sub, out);
                }
            }
            toml::Value::Table(inner) => {
                let p = format!("{prefix}{k}.");
                flatten(&p, inner, sub, out);
            }
            _ => out.push((format!("{prefix}{k}"), v.clone())),
        }
    }
}

/// First line of a message.
pub(crate) fn one_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(args)
    }

    #[test]
    fn subcommands_and_defaults() {
        let c = parse(&["spn", "devnet"]).unwrap();
        let Commands::Devnet(d) = c.command else {
            panic!()
        };
        assert_eq!((d.stakers, d.blocks, d.json), (32, 10, false));
        assert_eq!(d.offline_provers, Offline::Count(0));
        let c = parse(&[
            "spn",
            "node",
            "--l1.rpc-url",
            "http://127.0.0.1:9",
            "--key",
            "ab",
        ])
        .unwrap();
        let Commands::Node(a) = c.command else {
            panic!()
        };
        assert_eq!(a.agent.l1.rpc_url, "http://127.0.0.1:9");
        assert!(parse(&["spn", "prover", "--bogus"]).is_err());
        let c = parse(&["spn", "devnet", "--offline-provers", "25%"]).unwrap();
        let Commands::Devnet(d) = c.command else {
            panic!()
        };
        assert_eq!(d.offline_provers, Offline::Fraction(0.25));
        let c = parse(&[
            "spn",
            "devnet",
            "--fault.rpc-failures",
            "20%",
            "--fault.reorg-depth",
            "2",
        ])
        .unwrap();
        let Commands::Devnet(d) = c.command else {
            panic!()
        };
        assert_eq!((d.fault_rpc_failures, d.fault_reorg_depth), (0.2, 2));
        assert!(parse(&["spn", "devnet", "--fault.rpc-failures", "120%"]).is_err());
        // The training wheel: off by default; its threshold and end only with it.
        let Commands::Devnet(d) = parse(&["spn", "devnet"]).unwrap().command else {
            panic!()
        };
        assert_eq!(d.config().training_wheel, None);
        let c = parse(&[
            "spn",
            "devnet",
            "--training-wheel",
            "--training-wheel-bps",
            "2500",
            "--training-wheel-until",
            "9",
        ])
        .unwrap();
        let Commands::Devnet(d) = c.command else {
            panic!()
        };
        let w = d.config().training_wheel.unwrap();
        assert_eq!((w.bps, w.until), (2500, alloy_primitives::U256::from(9)));
        let Commands::Devnet(d) = parse(&["spn", "devnet", "--training-wheel"])
            .unwrap()
            .command
        else {
            panic!()
        };
        let w = d.config().training_wheel.unwrap();
        assert_eq!((w.bps, w.until), (5000, alloy_primitives::U256::MAX));
        for bad in [
            &["spn", "devnet", "--training-wheel-bps", "2500"][..],
            &[
                "spn",
                "devnet",
                "--training-wheel",
                "--training-wheel-bps",
                "0",
            ],
            &[
                "spn",
                "devnet",
                "--training-wheel",
                "--training-wheel-bps",
                "10001",
            ],
            &[
                "spn",
                "devnet",
                "--training-wheel",
                "--training-wheel-until",
                "1",
            ],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let c = parse(&["spn", "node", "--l1.confirmations", "12"]).unwrap();
        let Commands::Node(a) = c.command else {
            panic!()
        };
        assert_eq!(a.agent.l1.confirmations, 12);
    }

    #[test]
    fn tx_flags_are_ranged_and_make_the_policy() {
        for (flag, bad) in [
            ("--tx.bump-percent", "9"),
            ("--tx.bump-percent", "1001"),
            ("--tx.stall-secs", "0"),
            ("--tx.max-fee-gwei", "0"),
            ("--tx.max-fee-gwei", "1000001"),
        ] {
            let e = parse(&["spn", "node", flag, bad]).unwrap_err();
            assert!(e.to_string().contains(flag), "{e}");
        }
        let c = parse(&[
            "spn",
            "submitter",
            "--tx.stall-secs",
            "60",
            "--tx.max-fee-gwei",
            "2",
        ]);
        let Commands::Submitter(a) = c.unwrap().command else {
            panic!()
        };
        let p = a.config().tx;
        assert_eq!(p.stall, Duration::from_secs(60));
        assert_eq!(p.max_fee, 2_000_000_000);
        assert_eq!(p.bump_percent, TxPolicy::DEFAULT_BUMP_PERCENT);
        assert!(p.deadline >= 3 * p.stall);
        assert!(p.check().is_ok());
        let c = parse(&[
            "spn",
            "stake",
            "exit",
            "--staker",
            "0x0000000000000000000000000000000000000001",
            "--tx.bump-percent",
            "50",
        ]);
        assert!(c.is_ok(), "{c:?}");
    }

    /// Regression (issue 11): `--time-scale` accepted negative, NaN and infinite values and
    /// `--tx-rate` NaN and subnormal ones, which panicked the agents and the load generator.
    #[test]
    fn time_scale_and_tx_rate_are_validated() {
        for bad in ["-1", "NaN", "inf", "-inf", "1e309", "1e4"] {
            let e = parse(&["spn", "devnet", "--time-scale", bad]).unwrap_err();
            assert!(e.to_string().contains("--time-scale"), "{e}");
            let e = parse(&["spn", "prover", "--time-scale", bad]).unwrap_err();
            assert!(e.to_string().contains("--time-scale"), "{e}");
        }
        for bad in ["NaN", "-1", "inf", "5e-324", "1e-10", "1e5"] {
            let e = parse(&["spn", "devnet", "--tx-rate", bad]).unwrap_err();
            assert!(e.to_string().contains("--tx-rate"), "{e}");
        }
        let c = parse(&["spn", "devnet", "--time-scale", "0", "--tx-rate", "0"]).unwrap();
        let Commands::Devnet(d) = c.command else {
            panic!()
        };
        assert_eq!((d.time_scale, d.tx_rate), (0.0, 0.0));
        let c = parse(&["spn", "devnet", "--time-scale", "1.5", "--tx-rate", "0.5"]).unwrap();
        let Commands::Devnet(d) = c.command else {
            panic!()
        };
        assert_eq!((d.time_scale, d.tx_rate), (1.5, 0.5));
    }

    #[test]
    fn config_values_fill_missing_flags_only() {
        let dir = std::env::temp_dir().join(format!("spn-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.toml");
        std::fs::write(
            &path,
            "[devnet]\nstakers = 16\njson = true\n[prover]\nclaim-batch = 9\n",
        )
        .unwrap();
        let argv: Vec<OsString> = [
            "spn",
            "--config",
            path.to_str().unwrap(),
            "devnet",
            "--blocks",
            "3",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        let c = Cli::try_parse_from(merge_config(argv).unwrap()).unwrap();
        let Commands::Devnet(d) = c.command else {
            panic!()
        };
        assert_eq!((d.stakers, d.blocks, d.json), (16, 3, true));

        let argv: Vec<OsString> = [
            "spn",
            "devnet",
            "--stakers",
            "8",
            "--config",
            path.to_str().unwrap(),
        ]
        .iter()
        .map(OsString::from)
        .collect();
        let c = Cli::try_parse_from(merge_config(argv).unwrap()).unwrap();
        let Commands::Devnet(d) = c.command else {
            panic!()
        };
        assert_eq!(d.stakers, 8, "the command line wins");

        std::fs::write(&path, "bogus = 1\n").unwrap();
        let argv: Vec<OsString> = ["spn", "devnet", "--config", path.to_str().unwrap()]
            .iter()
            .map(OsString::from)
            .collect();
        assert!(merge_config(argv)
            .unwrap_err()
            .contains("unknown key `bogus`"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
