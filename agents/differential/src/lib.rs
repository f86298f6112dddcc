//! Test infrastructure for differential tests of `spn-protocol` against the contracts:
//!
//! - [`contracts`] compiles `contracts/` and the harnesses of `test/harness/` in-process with
//!   foundry-compilers, through the repository's solc wrapper (`tools/solc`) and with the
//!   remappings, optimizer, EVM version and metadata settings of `foundry.toml`;
//! - [`Chain`] runs the compiled bytecode in revm in-process, with a settable block timestamp,
//!   `prevrandao` and chain id, and calls through the `spn-bindings` ABI types;
//! - [`Rules`] drives seeded random inputs and reports the failing input (and the seed to
//!   replay it) on a mismatch.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;

use alloy_primitives::{Address, Bytes, Log, B256, U256};
use alloy_sol_types::{SolCall, SolEvent, SolInterface};
use foundry_compilers::artifacts::{
    remappings::Remapping, BytecodeHash, EvmVersion, Optimizer, SettingsMetadata,
};
use foundry_compilers::compilers::solc::{Solc, SolcCompiler, SolcSettings};
use foundry_compilers::{Artifact, ProjectBuilder, ProjectPathsConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use revm::context::result::{ExecutionResult, Output};
use revm::context::{BlockEnv, CfgEnv, TxEnv};
use revm::database::{CacheDB, EmptyDB};
use revm::handler::MainnetContext;
use revm::primitives::hardfork::SpecId;
use revm::primitives::TxKind;
use revm::{Context, ExecuteCommitEvm, MainBuilder, MainContext, MainnetEvm};
use spn_bindings::Errors::ErrorsErrors;

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    here.canonicalize().unwrap_or(here)
}

// ------------------------------------------------------------------------------------ compiling

/// The compiler settings of `foundry.toml`'s default profile that change bytecode.
#[derive(Debug, Clone)]
pub struct ForgeProfile {
    /// `solc`: the compiler executable, relative to the root.
    pub solc: PathBuf,
    /// `remappings`.
    pub remappings: Vec<String>,
    /// `optimizer`.
    pub optimizer: bool,
    /// `optimizer_runs`.
    pub optimizer_runs: usize,
    /// `evm_version`.
    pub evm_version: String,
    /// `via_ir`.
    pub via_ir: bool,
    /// `bytecode_hash`.
    pub bytecode_hash: String,
    /// `libs`.
    pub libs: Vec<String>,
}

impl ForgeProfile {
    /// Reads `[profile.default]` of `foundry.toml` at `root`.
    pub fn read(root: &Path) -> Self {
        let text = std::fs::read_to_string(root.join("foundry.toml")).expect("read foundry.toml");
        let doc: toml::Table = toml::from_str(&text).expect("parse foundry.toml");
        let p = doc["profile"]["default"]
            .as_table()
            .expect("[profile.default]");
        let s = |k: &str, d: &str| p.get(k).and_then(|v| v.as_str()).unwrap_or(d).to_owned();
        let list = |k: &str| -> Vec<String> {
            p.get(k)
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        Self {
            solc: PathBuf::from(s("solc", "solc")),
            remappings: list("remappings"),
            optimizer: p
                .get("optimizer")
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
            optimizer_runs: p
                .get("optimizer_runs")
                .and_then(|v| v.as_integer())
                .unwrap_or(200) as usize,
            evm_version: s("evm_version", "prague"),
            via_ir: p.get("via_ir").and_then(|v| v.as_bool()).unwrap_or(false),
            bytecode_hash: s("bytecode_hash", "ipfs"),
            libs: list("libs"),
        }
    }

    /// The solc settings these values give.
    pub fn settings(&self) -> SolcSettings {
        let mut settings = SolcSettings::default();
        let s = &mut settings.settings;
        s.optimizer = Optimizer {
            enabled: Some(self.optimizer),
            runs: Some(self.optimizer_runs),
            details: None,
        };
        s.evm_version = Some(EvmVersion::from_str(&self.evm_version).expect("evm_version"));
        s.via_ir = Some(self.via_ir);
        s.metadata = Some(SettingsMetadata::from(
            BytecodeHash::from_str(&self.bytecode_hash).expect("bytecode_hash"),
        ));
        settings
    }
}

/// Creation and runtime code of every compiled contract, by contract name.
#[derive(Debug, Default)]
pub struct Contracts {
    creation: BTreeMap<String, Bytes>,
    runtime: BTreeMap<String, Bytes>,
}

impl Contracts {
    /// Creation code of `name`; panics if it was not compiled.
    pub fn creation(&self, name: &str) -> &Bytes {
        self.creation
            .get(name)
            .unwrap_or_else(|| panic!("contract {name} was not compiled"))
    }

    /// Runtime code of `name` (immutables zeroed); panics if it was not compiled.
    pub fn runtime(&self, name: &str) -> &Bytes {
        self.runtime
            .get(name)
            .unwrap_or_else(|| panic!("contract {name} was not compiled"))
    }

    /// Names of every compiled contract.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.creation.keys().map(String::as_str)
    }
}

/// Source files compiled for the differential tests (their imports come along).
fn source_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["contracts", "test/harness", "test/harness/rust"] {
        collect_sol(&root.join(dir), dir == "contracts", &mut files);
    }
    files.sort();
    files
}

fn collect_sol(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if recursive {
                collect_sol(&path, true, out);
            }
        } else if path.extension().is_some_and(|e| e == "sol") {
            out.push(path);
        }
    }
}

/// Compiles the contracts and harnesses once per process (cached on disk under `work_dir`, so
/// later runs only recompile changed sources).
pub fn contracts(work_dir: &Path) -> &'static Contracts {
    static CONTRACTS: OnceLock<Contracts> = OnceLock::new();
    CONTRACTS.get_or_init(|| compile(&repo_root(), work_dir))
}

fn compile(root: &Path, work_dir: &Path) -> Contracts {
    let profile = ForgeProfile::read(root);
    let solc = Solc::new(root.join(&profile.solc)).unwrap_or_else(|e| {
        panic!(
            "cannot run the solc wrapper {}: {e} (run `make install` first)",
            profile.solc.display()
        )
    });
    let remappings = profile
        .remappings
        .iter()
        .map(|r| Remapping::from_str(r).expect("remapping"));
    let paths = ProjectPathsConfig::builder()
        .root(root)
        .sources(root.join("contracts"))
        .tests(root.join("test"))
        .libs(profile.libs.iter().map(|l| root.join(l)))
        .remappings(remappings)
        .artifacts(work_dir.join("out"))
        .cache(work_dir.join("cache/solidity-files-cache.json"))
        .build()
        .expect("project paths");
    let project = ProjectBuilder::<SolcCompiler>::default()
        .paths(paths)
        .settings(profile.settings())
        .ignore_paths(vec![root.join("node_modules")])
        .offline()
        .build(SolcCompiler::Specific(solc))
        .expect("project");
    let output = project
        .compile_files(source_files(root))
        .expect("compile contracts");
    assert!(
        !output.has_compiler_errors(),
        "the contracts do not compile:\n{output}"
    );
    let mut contracts = Contracts::default();
    for (id, artifact) in output.into_artifacts() {
        let (Some(creation), Some(runtime)) = (
            artifact.get_bytecode_bytes(),
            artifact.get_deployed_bytecode_bytes(),
        ) else {
            continue;
        };
        if creation.is_empty() {
            continue; // interfaces and abstract contracts
        }
        contracts
            .creation
            .insert(id.name.clone(), creation.into_owned());
        contracts.runtime.insert(id.name, runtime.into_owned());
    }
    contracts
}

// ------------------------------------------------------------------------------------ chain

/// Chain id of the in-process chain (anvil's).
pub const CHAIN_ID: u64 = 31_337;

/// Gas limit of every transaction.
pub const TX_GAS_LIMIT: u64 = 60_000_000;

/// A failed call: revert data (decoded as an SPN error if it is one) or a halt.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// `REVERT` with this data.
    Revert(Bytes),
    /// Halted (out of gas, invalid opcode, ...).
    Halt(String),
}

impl Failure {
    /// The SPN custom error of a revert, if it is one.
    pub fn spn_error(&self) -> Option<ErrorsErrors> {
        match self {
            Self::Revert(data) => ErrorsErrors::abi_decode(data).ok(),
            Self::Halt(_) => None,
        }
    }
}

/// An in-process EVM (revm, Prague rules) over an in-memory database.
pub struct Chain {
    evm: MainnetEvm<MainnetContext<CacheDB<EmptyDB>>>,
    /// Gas spent by the last transaction (EIP-7623 floor included).
    pub last_gas: u64,
    /// Logs of the last transaction.
    pub last_logs: Vec<Log>,
}

impl Default for Chain {
    fn default() -> Self {
        Self::new()
    }
}

impl Chain {
    /// A fresh chain: chain id 31337, timestamp 1, block number 1, zero fees.
    pub fn new() -> Self {
        let mut cfg = CfgEnv::new_with_spec(SpecId::PRAGUE);
        cfg.chain_id = CHAIN_ID;
        cfg.disable_nonce_check = true;
        cfg.tx_gas_limit_cap = Some(u64::MAX);
        let block = BlockEnv {
            number: U256::from(1),
            timestamp: U256::from(1),
            gas_limit: u64::MAX,
            prevrandao: Some(B256::ZERO),
            ..Default::default()
        };
        let evm = Context::mainnet()
            .with_db(CacheDB::<EmptyDB>::default())
            .with_cfg(cfg)
            .with_block(block)
            .build_mainnet();
        Self {
            evm,
            last_gas: 0,
            last_logs: Vec::new(),
        }
    }

    /// Block timestamp of the next transactions.
    pub fn timestamp(&self) -> u64 {
        self.evm.ctx.block.timestamp.saturating_to()
    }

    /// Sets the block timestamp (and moves the block number along).
    pub fn set_timestamp(&mut self, timestamp: u64) {
        self.evm.ctx.block.timestamp = U256::from(timestamp);
        self.evm.ctx.block.number += U256::from(1);
    }

    /// Sets `block.prevrandao`.
    pub fn set_prevrandao(&mut self, prevrandao: B256) {
        self.evm.ctx.block.prevrandao = Some(prevrandao);
    }

    /// Sets `block.chainid`.
    pub fn set_chain_id(&mut self, chain_id: u64) {
        self.evm.ctx.cfg.chain_id = chain_id;
    }

    fn transact(&mut self, from: Address, kind: TxKind, data: Bytes) -> Result<Output, Failure> {
        let tx = TxEnv::builder()
            .caller(from)
            .kind(kind)
            .data(data)
            .gas_limit(TX_GAS_LIMIT)
            .chain_id(None)
            .build()
            .expect("valid transaction");
        let result = self
            .evm
            .transact_commit(tx)
            .unwrap_or_else(|e| panic!("transaction rejected by revm: {e:?}"));
        match result {
            ExecutionResult::Success {
                gas, output, logs, ..
            } => {
                self.last_gas = gas.total_gas_spent();
                self.last_logs = logs;
                Ok(output)
            }
            ExecutionResult::Revert { gas, output, .. } => {
                self.last_gas = gas.total_gas_spent();
                self.last_logs.clear();
                Err(Failure::Revert(output))
            }
            ExecutionResult::Halt { gas, reason, .. } => {
                self.last_gas = gas.total_gas_spent();
                self.last_logs.clear();
                Err(Failure::Halt(format!("{reason:?}")))
            }
        }
    }

    /// Deploys `creation ‖ constructor_args` from `from`; panics if the deployment fails.
    pub fn deploy(&mut self, from: Address, creation: &Bytes, constructor_args: &[u8]) -> Address {
        let mut code = creation.to_vec();
        code.extend_from_slice(constructor_args);
        match self.transact(from, TxKind::Create, code.into()) {
            Ok(Output::Create(_, Some(address))) => address,
            other => panic!("deployment failed: {other:?}"),
        }
    }

    /// Deploys `code` (creation code with its constructor arguments) from `from`.
    pub fn try_deploy(&mut self, from: Address, code: Bytes) -> Result<Address, Failure> {
        match self.transact(from, TxKind::Create, code)? {
            Output::Create(_, Some(address)) => Ok(address),
            other => Err(Failure::Halt(format!("no address created: {other:?}"))),
        }
    }

    /// Raw call.
    pub fn call_raw(&mut self, from: Address, to: Address, data: Bytes) -> Result<Bytes, Failure> {
        match self.transact(from, TxKind::Call(to), data)? {
            Output::Call(out) => Ok(out),
            Output::Create(out, _) => Ok(out),
        }
    }

    /// Calls `to` with a binding's call and decodes the return value.
    pub fn call<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        call: &C,
    ) -> Result<C::Return, Failure> {
        let out = self.call_raw(from, to, call.abi_encode().into())?;
        Ok(C::abi_decode_returns(&out)
            .unwrap_or_else(|e| panic!("cannot decode the return of {}: {e}", C::SIGNATURE)))
    }

    /// The first log of the last transaction that decodes as event `E`.
    pub fn event<E: SolEvent>(&self) -> Option<E> {
        self.last_logs
            .iter()
            .find_map(|log| E::decode_log_data(&log.data).ok())
    }

    /// [`Chain::call`] from the zero address, panicking on failure (for harness calls).
    pub fn view<C: SolCall>(&mut self, to: Address, call: &C) -> C::Return {
        self.call(Address::ZERO, to, call)
            .unwrap_or_else(|f| panic!("{} failed: {f:?} {:?}", C::SIGNATURE, f.spn_error()))
    }
}

// ------------------------------------------------------------------------------------ rules

/// Iterations per rule: `SPN_DIFF_ITERATIONS`, else 5,000 in debug builds and 20,000 in release.
pub fn iterations() -> usize {
    std::env::var("SPN_DIFF_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) {
            5_000
        } else {
            20_000
        })
}

/// Seeded random inputs for one rule: the seed is `SPN_DIFF_SEED` or a constant derived from the
/// rule's name, and every mismatch names the rule, the seed, the iteration and the input.
pub struct Rules {
    /// Name of the rule.
    pub name: &'static str,
    /// Seed of `rng`.
    pub seed: u64,
    /// The random source.
    pub rng: StdRng,
    /// Number of comparisons made.
    pub checks: usize,
}

impl Rules {
    /// A rule's random source.
    pub fn new(name: &'static str) -> Self {
        let seed = std::env::var("SPN_DIFF_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| {
                // FNV-1a of the name: stable across runs and platforms.
                name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                    (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
                })
            });
        Self {
            name,
            seed,
            rng: StdRng::seed_from_u64(seed),
            checks: 0,
        }
    }

    /// Asserts `rust == solidity` for one input.
    #[track_caller]
    pub fn check<T: PartialEq + Debug>(
        &mut self,
        iteration: usize,
        input: impl Debug,
        rust: T,
        solidity: T,
    ) {
        self.checks += 1;
        if rust != solidity {
            panic!(
                "MISMATCH in rule `{}` (SPN_DIFF_SEED={}, iteration {iteration})\n  input:    {input:?}\n  rust:     {rust:?}\n  solidity: {solidity:?}",
                self.name, self.seed
            );
        }
    }
}

// ------------------------------------------------------------------------------------ inputs

/// Random inputs skewed towards the edges where integer code breaks.
pub trait Arbitrary {
    /// A `uint256`: small, 64-bit, full width, near `MAX`, or a power of two give or take one.
    fn u256(&mut self) -> U256;
    /// A `uint256` below `2^bits` (same mix of shapes, truncated).
    fn u256_bits(&mut self, bits: usize) -> U256;
    /// A `u64`: small, near a power of two, or full width.
    fn u64_edge(&mut self) -> u64;
    /// 32 random bytes.
    fn b256(&mut self) -> B256;
    /// A random address.
    fn address(&mut self) -> Address;
}

impl<R: Rng> Arbitrary for R {
    fn u256(&mut self) -> U256 {
        match self.random_range(0..8) {
            0 | 1 => U256::from(self.random_range(0u64..1 << 16)),
            2 => U256::from(self.random::<u64>()),
            3 => U256::MAX - U256::from(self.random_range(0u64..1 << 16)),
            4 => {
                let p = U256::from(1) << self.random_range(0usize..256);
                match self.random_range(0..3) {
                    0 => p - U256::from(1),
                    1 => p,
                    _ => p.saturating_add(U256::from(1)),
                }
            }
            _ => U256::from_be_bytes(self.random::<[u8; 32]>()),
        }
    }

    fn u256_bits(&mut self, bits: usize) -> U256 {
        let x = self.u256();
        if bits >= 256 {
            x
        } else {
            x & ((U256::from(1) << bits) - U256::from(1))
        }
    }

    fn u64_edge(&mut self) -> u64 {
        match self.random_range(0..4) {
            0 => self.random_range(0..64),
            1 => {
                let p = 1u64 << self.random_range(0..64);
                p.wrapping_add(self.random_range(0..3)).wrapping_sub(1)
            }
            2 => u64::MAX - self.random_range(0..64),
            _ => self.random(),
        }
    }

    fn b256(&mut self) -> B256 {
        B256::from(self.random::<[u8; 32]>())
    }

    fn address(&mut self) -> Address {
        Address::from(self.random::<[u8; 20]>())
    }
}
