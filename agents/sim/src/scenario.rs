//! Scenarios: what a simulation runs, as TOML. The built-in ones live in `agents/sim/scenarios/`
//! and are compiled into the binary (`spn sim --list`); any other file with the same keys runs
//! with `spn sim --scenario path/to/file.toml`.

use serde::{Deserialize, Serialize};
use spn_protocol::Params;

/// The built-in scenarios: `(name, TOML)`.
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "testnet-2048",
        include_str!("../scenarios/testnet-2048.toml"),
    ),
    (
        "testnet-2048-short",
        include_str!("../scenarios/testnet-2048-short.toml"),
    ),
    (
        "crash-restart",
        include_str!("../scenarios/crash-restart.toml"),
    ),
    ("withholding", include_str!("../scenarios/withholding.toml")),
    ("capture", include_str!("../scenarios/capture.toml")),
    (
        "stripping-submitter",
        include_str!("../scenarios/stripping-submitter.toml"),
    ),
    ("loss-5", include_str!("../scenarios/loss-5.toml")),
    ("bleed", include_str!("../scenarios/bleed.toml")),
    (
        "training-wheel",
        include_str!("../scenarios/training-wheel.toml"),
    ),
    (
        "statistical-500k",
        include_str!("../scenarios/statistical-500k.toml"),
    ),
];

/// A simulation scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name (reported).
    pub name: String,
    /// What it shows.
    pub description: String,
    /// `agents` (every agent simulated, the contracts in revm) or `statistical` (sampled
    /// committees, no messages; for N up to 500,000).
    #[serde(default)]
    pub mode: Mode,
    /// Base parameters: `testnet` or `devnet`.
    #[serde(default = "default_params")]
    pub params: String,
    /// Registered stakers (N).
    pub stakers: u64,
    /// Slots to run (one block per slot at most).
    pub slots: u64,
    /// Tree height of every block (the sequencer's policy if absent).
    #[serde(default)]
    pub height: Option<u8>,
    /// Transactions each sequencer finds in the pool.
    #[serde(default = "default_txs")]
    pub txs_per_block: usize,
    /// Wall-clock seconds per proof-second of the cost model (1: real proving time).
    #[serde(default = "one")]
    pub time_scale: f64,
    /// A filler's extra wait (`networkGrace`, seconds).
    #[serde(default = "one")]
    pub network_grace: f64,
    /// Share of stakers whose agents never run.
    #[serde(default)]
    pub offline: f64,
    /// Seconds a sequencer waits for attestations.
    #[serde(default = "default_attest_wait")]
    pub attest_wait: f64,
    /// Whether agents announce job starts and fillers act on them (§9.3); `false` reproduces
    /// the rule without the liveness signal.
    #[serde(default = "yes")]
    pub liveness: bool,
    /// Network.
    #[serde(default)]
    pub network: NetworkSpec,
    /// Agent crashes (and restarts with empty state).
    #[serde(default)]
    pub crashes: Vec<Crash>,
    /// Share of stakers whose sequencers withhold every body they announce.
    #[serde(default)]
    pub withholding: f64,
    /// One party holding this share of the keys, proving its neighbourhoods greedily and
    /// submitting transcripts that credit its own keys wherever the verifier allows.
    #[serde(default)]
    pub large_staker: f64,
    /// The submitter's strategy: `honest` or `strip` (the fewest contributions the coverage
    /// rule accepts).
    #[serde(default = "default_submitter")]
    pub submitter: String,
    /// Inactivity reports the submitter files per proven block against round-1 members that
    /// published nothing (0: no reporter).
    #[serde(default = "default_reports")]
    pub reports_per_block: usize,
    /// The BLS training wheel (design §6): deploy a BlsVerifier requiring this many basis points
    /// of the expected round-1 committee, register every key's BLS key, and prove every block
    /// with the committee's aggregate signature (none: no wheel).
    #[serde(default)]
    pub training_wheel_bps: Option<u64>,
    /// Outcomes the run must meet (checked by `spn sim` and by the CI's short runs).
    #[serde(default)]
    pub expect: Expect,
}

/// How a scenario is simulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Every agent, its messages, and the contracts in revm.
    #[default]
    Agents,
    /// Sampled committees without messages (`spn_protocol::stats`).
    Statistical,
}

/// The simulated network.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// Smallest one-way latency (ms).
    pub latency_ms: f64,
    /// Mean of the exponential jitter added to it (ms).
    pub jitter_ms: f64,
    /// Probability that one delivery of a gossip message is lost.
    pub loss: f64,
    /// Upload bandwidth of every node (Mbit/s): a body of B bytes takes 8B/bandwidth to serve.
    pub bandwidth_mbps: f64,
    /// Partitions: the given share of nodes is cut off from the rest during a slot range.
    #[serde(default)]
    pub partitions: Vec<Partition>,
}

impl Default for NetworkSpec {
    fn default() -> Self {
        Self {
            latency_ms: 40.0,
            jitter_ms: 30.0,
            loss: 0.0,
            bandwidth_mbps: 100.0,
            partitions: Vec::new(),
        }
    }
}

/// A network partition.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partition {
    /// First slot (relative to the start of the run).
    pub from_slot: u64,
    /// Slots it lasts.
    pub slots: u64,
    /// Share of the nodes on the far side.
    pub share: f64,
}

/// Agents that crash.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crash {
    /// Slot of the crash (relative to the start of the run).
    pub at_slot: u64,
    /// Seconds into that slot.
    #[serde(default)]
    pub at_second: f64,
    /// Share of the running agents that crash.
    pub share: f64,
    /// Seconds until they restart (with empty state, as the node does today).
    pub down_seconds: f64,
}

/// Outcomes a scenario must meet; absent bounds are not checked.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// At least this many blocks proven.
    pub min_proven: Option<u64>,
    /// At most this many blocks pruned.
    pub max_pruned: Option<u64>,
    /// Proof latency p50 at most this multiple of the critical path.
    pub max_latency_p50: Option<f64>,
    /// Proof latency p99 at most this multiple of the critical path.
    pub max_latency_p99: Option<f64>,
    /// At most this many jobs done as the proposer's fallback that a member could have done.
    pub max_avoidable_fallback: Option<u64>,
    /// The large staker's reward share at least this multiple of its key share.
    pub min_capture_ratio: Option<f64>,
    /// At least this many proposals without quorum (withholding).
    pub min_no_quorum: Option<u64>,
    /// At least this many strikes finalised (the bleed of offline keys).
    pub min_struck: Option<u64>,
    /// At most this many strikes against keys whose agent was running.
    pub max_honest_struck: Option<u64>,
}

fn default_params() -> String {
    "testnet".into()
}
fn default_reports() -> usize {
    64
}
fn yes() -> bool {
    true
}
fn default_txs() -> usize {
    64
}
fn one() -> f64 {
    1.0
}
fn default_attest_wait() -> f64 {
    2.5
}
fn default_submitter() -> String {
    "honest".into()
}

impl Scenario {
    /// A built-in scenario by name, or a TOML file by path.
    pub fn load(name_or_path: &str) -> Result<Self, String> {
        if let Some((_, text)) = BUILT_IN.iter().find(|(n, _)| *n == name_or_path) {
            return Self::parse(text, name_or_path);
        }
        let text = std::fs::read_to_string(name_or_path).map_err(|e| {
            format!(
                "scenario `{name_or_path}`: not a built-in ({}) and not a readable file: {e}",
                BUILT_IN
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        Self::parse(&text, name_or_path)
    }

    /// Parses and checks a scenario.
    pub fn parse(text: &str, origin: &str) -> Result<Self, String> {
        let s: Scenario = toml::from_str(text).map_err(|e| {
            // One line: the reason and where (toml's own rendering spans several lines).
            let line = e
                .span()
                .map(|r| text[..r.start.min(text.len())].lines().count().max(1));
            let at = line.map(|l| format!(" (line {l})")).unwrap_or_default();
            format!("scenario {origin}: {}{at}", e.message().trim())
        })?;
        s.check().map_err(|e| format!("scenario {origin}: {e}"))?;
        Ok(s)
    }

    fn check(&self) -> Result<(), String> {
        let share = |what: &str, v: f64| {
            if v.is_finite() && (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(format!("{what} = {v} is not a share in [0, 1]"))
            }
        };
        share("offline", self.offline)?;
        share("withholding", self.withholding)?;
        share("large_staker", self.large_staker)?;
        share("network.loss", self.network.loss)?;
        for c in &self.crashes {
            share("crashes.share", c.share)?;
            if !c.down_seconds.is_finite() || c.down_seconds < 0.0 {
                return Err("crashes.down_seconds must be a non-negative number".into());
            }
        }
        for p in &self.network.partitions {
            share("partitions.share", p.share)?;
        }
        for (what, v) in [
            ("time_scale", self.time_scale),
            ("network_grace", self.network_grace),
            ("attest_wait", self.attest_wait),
            ("network.latency_ms", self.network.latency_ms),
            ("network.jitter_ms", self.network.jitter_ms),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(format!("{what} = {v} must be a non-negative number"));
            }
        }
        if !self.network.bandwidth_mbps.is_finite() || self.network.bandwidth_mbps <= 0.0 {
            return Err("network.bandwidth_mbps must be positive".into());
        }
        if self.mode == Mode::Agents && !(4..=100_000).contains(&self.stakers) {
            return Err(format!(
                "stakers = {}: the agent mode runs 4 to 100,000 agents (use mode = \"statistical\" beyond)",
                self.stakers
            ));
        }
        if !["honest", "strip"].contains(&self.submitter.as_str()) {
            return Err(format!(
                "submitter = `{}`: expected `honest` or `strip`",
                self.submitter
            ));
        }
        self.base_params()?;
        Ok(())
    }

    /// The protocol parameters.
    pub fn base_params(&self) -> Result<Params, String> {
        match self.params.as_str() {
            "testnet" => Ok(Params::testnet()),
            "devnet" => Ok(Params::devnet()),
            other => Err(format!(
                "params = `{other}`: expected `testnet` or `devnet`"
            )),
        }
    }
}
