//! [`SimL1`]: the SPN contracts (TestToken, Staking, TranscriptVerifier, Rollup) compiled from
//! `contracts/` in-process and executed in revm, as the L1 of the simulator.
//!
//! # Time, blocks and seeds
//!
//! The chain moves only when told: [`SimL1::mine`] opens a new (empty) L1 block at a timestamp,
//! with block number + 1 and a `prevrandao` derived from `(seed, block number)`; every
//! [`SimL1::execute`] runs in the current block and commits. Slots and epochs are the
//! deployment's [`Clock`] (genesis at [`GENESIS_TIME`]).
//!
//! Every state-changing Rollup call that moves the protocol (`propose`, `submitProof`, `prune`,
//! `reportMissed`, `sampleSeed`) records the seed of epoch `currentEpoch + seedLookahead` from
//! the block's `prevrandao` if not yet recorded. In an epoch without such a call nothing is
//! recorded, and that future epoch then reuses the latest earlier seed: the simulator should
//! send `Rollup.sampleSeed()` ([`spn_bindings::Rollup::sampleSeedCall`]) through [`SimL1::execute`] in such
//! an epoch, as a keeper would.
//!
//! # Gas and fees
//!
//! [`Receipt::gas_used`] is revm's receipt gas of the transaction (intrinsic gas, execution,
//! refunds and the EIP-7623 calldata floor, Prague rules). Base fee and gas price are zero, so
//! no sender needs ether; transactions carry no value.

use std::panic::{self, AssertUnwindSafe};
use std::path::Path;

use alloy_primitives::{keccak256, Address, Bytes, Log, B256, U256};
use alloy_sol_types::{
    Eip712Domain, GenericContractError, SolCall, SolConstructor, SolEvent, SolInterface, SolValue,
};
use revm::context::result::{ExecutionResult, Output};
use revm::context::{BlockEnv, CfgEnv, TxEnv};
use revm::database::{CacheDB, EmptyDB};
use revm::handler::MainnetContext;
use revm::primitives::hardfork::SpecId;
use revm::primitives::TxKind;
use revm::{Context, ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext, MainnetEvm};
use spn_bindings::bls_verifier::BlsVerifier as BV;
use spn_bindings::errors::Errors::ErrorsErrors;
use spn_bindings::rollup::Rollup as R;
use spn_bindings::staking::Staking as S;
use spn_bindings::test_token::TestToken as T;
use spn_protocol::{eip712, Clock, Params};

/// Chain id of the simulated L1 (anvil's, as the devnet).
pub const CHAIN_ID: u64 = spn_differential::CHAIN_ID;

/// Genesis time of the deployment (start of slot 0), in seconds.
pub const GENESIS_TIME: u64 = 1_700_000_000;

/// Gas limit of every transaction (the block gas limit is unbounded).
pub const TX_GAS_LIMIT: u64 = 100_000_000;

/// Deploys the contracts, mints stakes and funds the reward pool.
pub const DEPLOYER: Address = Address::repeat_byte(0xde);

/// Receives slashed stake (`Staking.slashSink`).
pub const SLASH_SINK: Address = Address::repeat_byte(0x51);

/// Sends `Rollup.sampleSeed()` while [`SimL1::deploy`] moves time to the first slot.
pub const KEEPER: Address = Address::repeat_byte(0x5e);

/// The reward pool is funded with this many blocks' full payout (submitter, sequencer base and
/// coverage, provers' pot).
pub const POOL_BLOCKS: u64 = 100_000;

type Evm = MainnetEvm<MainnetContext<CacheDB<EmptyDB>>>;

/// The outcome of one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Whether it succeeded (no revert, no halt).
    pub success: bool,
    /// Gas of the receipt: revm's `tx_gas_used` (after refunds, at least the EIP-7623 floor).
    pub gas_used: u64,
    /// Logs emitted (empty on failure).
    pub logs: Vec<Log>,
    /// On failure: the decoded reason ([`decode_revert`]), e.g.
    /// `Rollup__WrongSlot { expected: 9, actual: 10 }`, a halt (`halt: OutOfGas(..)`) or a
    /// transaction revm refused (`rejected: ..`).
    pub revert: Option<String>,
    /// Return data on success, revert data on a revert, empty otherwise.
    pub output: Bytes,
}

impl Receipt {
    /// The first log that decodes as event `E`.
    pub fn event<E: SolEvent>(&self) -> Option<E> {
        self.logs
            .iter()
            .find_map(|log| E::decode_log_data(&log.data).ok())
    }

    /// Every log that decodes as event `E`, in order.
    pub fn events<E: SolEvent>(&self) -> Vec<E> {
        self.logs
            .iter()
            .filter_map(|log| E::decode_log_data(&log.data).ok())
            .collect()
    }

    /// The return value of call `C` (`None` on failure or undecodable output).
    pub fn returns<C: SolCall>(&self) -> Option<C::Return> {
        if !self.success {
            return None;
        }
        C::abi_decode_returns(&self.output).ok()
    }
}

/// Revert data as text: an SPN custom error (`Name { field: value, .. }`), another error of the
/// contracts' ABIs (OpenZeppelin's `SafeERC20FailedOperation`, `ERC20InsufficientBalance`, ...),
/// `Error(string)`/`Panic(uint256)`, `empty revert data`, or the data in hex.
pub fn decode_revert(data: &[u8]) -> String {
    if data.is_empty() {
        return "empty revert data".to_owned();
    }
    if let Ok(e) = ErrorsErrors::abi_decode(data) {
        return unwrap_variant(format!("{e:?}"));
    }
    if let Ok(e) = R::RollupErrors::abi_decode(data) {
        return unwrap_variant(format!("{e:?}"));
    }
    if let Ok(e) = S::StakingErrors::abi_decode(data) {
        return unwrap_variant(format!("{e:?}"));
    }
    if let Ok(e) = BV::BlsVerifierErrors::abi_decode(data) {
        return unwrap_variant(format!("{e:?}"));
    }
    if let Ok(e) = T::TestTokenErrors::abi_decode(data) {
        return unwrap_variant(format!("{e:?}"));
    }
    if let Ok(e) = GenericContractError::abi_decode(data) {
        return match e {
            GenericContractError::Revert(r) => format!("Error({:?})", r.reason),
            GenericContractError::Panic(p) => format!("Panic({:#x})", p.code),
        };
    }
    format!("{}", Bytes::copy_from_slice(data))
}

/// `Name(Name { .. })` (the derived `Debug` of an error enum) to `Name { .. }`.
fn unwrap_variant(text: String) -> String {
    if let Some((name, rest)) = text.split_once('(') {
        if let Some(inner) = rest.strip_suffix(')') {
            if inner.starts_with(name) {
                return inner.to_owned();
            }
        }
    }
    text
}

/// The BLS training wheel of a simulated deployment: the Rollup's threshold and every key's
/// registration (`Staking.registerBlsKey` arguments, in the order of the keys).
#[derive(Debug, Clone)]
pub struct SimWheel {
    /// `trainingWheelBps`.
    pub bps: u64,
    /// `trainingWheelUntil`.
    pub until: U256,
    /// Per key: its 96-byte BLS public key and 192-byte proof of possession.
    pub registrations: Vec<(Bytes, Bytes)>,
}

/// The SPN contracts running in revm as the simulator's L1. See the [module docs](self).
pub struct SimL1 {
    evm: Evm,
    params: Params,
    clock: Clock,
    seed: u64,
    stake_token: Address,
    reward_token: Address,
    staking: Address,
    verifier: Address,
    bls_verifier: Address,
    rollup: Address,
    first_slot: u64,
}

impl std::fmt::Debug for SimL1 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimL1")
            .field("seed", &self.seed)
            .field("block_number", &self.block_number())
            .field("timestamp", &self.timestamp())
            .field("rollup", &self.rollup)
            .field("staking", &self.staking)
            .field("first_slot", &self.first_slot)
            .finish_non_exhaustive()
    }
}

impl SimL1 {
    /// Deploys tokens, Staking, verifier and Rollup with `params`, registers every key in `keys`
    /// (each with its own withdrawer address, derived deterministically, exposed by
    /// [`SimL1::withdrawer_of`]), funds the Rollup's reward pool with [`POOL_BLOCKS`] blocks'
    /// full payout, and advances time so that every key is active in the first slot returned by
    /// [`SimL1::first_slot`]. Deterministic: the same inputs give the same state. `work_dir` is
    /// where compiled artifacts are cached (the contracts compile once per process).
    ///
    /// Everything happens at [`GENESIS_TIME`] (epoch 0: keys activate at epoch
    /// `setChangeDelay`); then one block is mined at the start of each epoch `1..setChangeDelay`
    /// with a `Rollup.sampleSeed()` from [`KEEPER`] (so the seed of the first active epoch is
    /// sampled after every registration, as on a live chain), and a last, empty block at the
    /// start of [`SimL1::first_slot`], where the chain is left.
    ///
    /// Fails if the parameters are invalid, the contracts do not compile, or a transaction of
    /// the deployment reverts (e.g. a key given twice: `Staking__AlreadyRegistered`).
    pub fn deploy(
        params: &Params,
        keys: &[Address],
        seed: u64,
        work_dir: &Path,
    ) -> Result<Self, String> {
        Self::deploy_with_wheel(params, keys, seed, work_dir, None)
    }

    /// [`SimL1::deploy`], with the BLS training wheel when `wheel` is set: a `BlsVerifier` in
    /// the Rollup's config and every key's BLS key registered after its deposit (its
    /// registration at the same index as the key).
    pub fn deploy_with_wheel(
        params: &Params,
        keys: &[Address],
        seed: u64,
        work_dir: &Path,
        wheel: Option<SimWheel>,
    ) -> Result<Self, String> {
        if let Some(w) = &wheel {
            if w.registrations.len() != keys.len() {
                return Err(format!(
                    "{} BLS registrations for {} keys",
                    w.registrations.len(),
                    keys.len()
                ));
            }
        }
        params
            .validate()
            .map_err(|e| format!("invalid parameters: {e}"))?;
        let clock = Clock::from_params(GENESIS_TIME, params).map_err(|e| e.to_string())?;
        let contracts =
            panic::catch_unwind(AssertUnwindSafe(|| spn_differential::contracts(work_dir)))
                .map_err(|p| {
                    let msg = p
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_default();
                    format!("cannot compile the contracts: {msg}")
                })?;

        let mut cfg = CfgEnv::new_with_spec(SpecId::PRAGUE);
        cfg.chain_id = CHAIN_ID;
        cfg.disable_nonce_check = true;
        cfg.tx_gas_limit_cap = Some(u64::MAX);
        let block = BlockEnv {
            number: U256::ZERO,
            timestamp: U256::from(GENESIS_TIME),
            gas_limit: u64::MAX,
            prevrandao: Some(B256::ZERO),
            ..Default::default()
        };
        let evm = Context::mainnet()
            .with_db(CacheDB::<EmptyDB>::default())
            .with_cfg(cfg)
            .with_block(block)
            .build_mainnet();
        let mut l1 = Self {
            evm,
            params: params.clone(),
            clock,
            seed,
            stake_token: Address::ZERO,
            reward_token: Address::ZERO,
            staking: Address::ZERO,
            verifier: Address::ZERO,
            bls_verifier: Address::ZERO,
            rollup: Address::ZERO,
            first_slot: 0,
        };
        l1.mine(GENESIS_TIME); // block 1

        let token = |name: &str, symbol: &str| {
            T::constructorCall {
                name_: name.into(),
                symbol_: symbol.into(),
            }
            .abi_encode()
        };
        l1.stake_token = l1.create(
            "stake token",
            contracts.creation("TestToken"),
            &token("SPN Stake", "STK"),
        )?;
        l1.reward_token = l1.create(
            "reward token",
            contracts.creation("TestToken"),
            &token("SPN Reward", "RWD"),
        )?;
        l1.staking = l1.create(
            "Staking",
            contracts.creation("Staking"),
            &S::constructorCall {
                c: S::Config::from_params(params, l1.stake_token, SLASH_SINK, GENESIS_TIME),
            }
            .abi_encode(),
        )?;
        l1.verifier = l1.create(
            "TranscriptVerifier",
            contracts.creation("TranscriptVerifier"),
            &[],
        )?;
        let mut config = R::Config::from_params(params, l1.staking, l1.verifier, l1.reward_token);
        if let Some(w) = &wheel {
            l1.bls_verifier = l1.create("BlsVerifier", contracts.creation("BlsVerifier"), &[])?;
            config.trainingWheel = l1.bls_verifier;
            config.trainingWheelBps = U256::from(w.bps);
            config.trainingWheelUntil = w.until;
        }
        l1.rollup = l1.create(
            "Rollup",
            contracts.creation("Rollup"),
            &R::constructorCall { c: config }.abi_encode(),
        )?;
        let (staking, rollup, stake_token, reward_token) =
            (l1.staking, l1.rollup, l1.stake_token, l1.reward_token);
        l1.must(
            "Staking.setRollup",
            DEPLOYER,
            staking,
            &S::setRollupCall { rollup_: rollup },
        )?;

        let pool = (params.submitter_reward
            + params.sequencer_base
            + params.sequencer_coverage
            + params.provers_reward)
            * U256::from(POOL_BLOCKS);
        if !pool.is_zero() {
            l1.must(
                "mint the reward pool",
                DEPLOYER,
                reward_token,
                &T::mintCall {
                    to: DEPLOYER,
                    amount: pool,
                },
            )?;
            l1.must(
                "approve the reward pool",
                DEPLOYER,
                reward_token,
                &T::approveCall {
                    spender: rollup,
                    value: pool,
                },
            )?;
            l1.must(
                "Rollup.fund",
                DEPLOYER,
                rollup,
                &R::fundCall { amount: pool },
            )?;
        }

        let stake = params.stake_amount;
        for &key in keys {
            l1.must(
                "mint a stake",
                DEPLOYER,
                stake_token,
                &T::mintCall {
                    to: key,
                    amount: stake,
                },
            )?;
            l1.must(
                "approve a stake",
                key,
                stake_token,
                &T::approveCall {
                    spender: staking,
                    value: stake,
                },
            )?;
            l1.must(
                "Staking.deposit",
                key,
                staking,
                &S::depositCall {
                    withdrawer: withdrawer_of(key),
                },
            )?;
        }
        if let Some(w) = &wheel {
            for (&key, (pk, pop)) in keys.iter().zip(&w.registrations) {
                l1.must(
                    "Staking.registerBlsKey",
                    key,
                    staking,
                    &S::registerBlsKeyCall {
                        publicKey: pk.clone(),
                        proof: pop.clone(),
                    },
                )?;
            }
        }

        let active = params.set_change_delay;
        for epoch in 1..active {
            l1.mine(l1.epoch_start(epoch)?);
            l1.must("Rollup.sampleSeed", KEEPER, rollup, &R::sampleSeedCall {})?;
        }
        l1.first_slot = clock.first_slot(active).ok_or("first slot overflows u64")?;
        l1.mine(l1.epoch_start(active)?);

        let count = l1.active_count(active);
        if count != keys.len() as u64 {
            return Err(format!(
                "{count} active stakers in epoch {active}, expected {}",
                keys.len()
            ));
        }
        if l1.epoch_seed(active).is_zero() {
            return Err(format!("no seed for epoch {active}"));
        }
        Ok(l1)
    }

    fn epoch_start(&self, epoch: u64) -> Result<u64, String> {
        self.clock
            .first_slot(epoch)
            .and_then(|s| self.clock.slot_start(s))
            .ok_or_else(|| format!("start of epoch {epoch} overflows u64"))
    }

    fn create(&mut self, what: &str, creation: &Bytes, args: &[u8]) -> Result<Address, String> {
        let mut code = creation.to_vec();
        code.extend_from_slice(args);
        let tx = Self::tx(DEPLOYER, TxKind::Create, code.into());
        match self.evm.transact_commit(tx) {
            Ok(ExecutionResult::Success {
                output: Output::Create(_, Some(address)),
                ..
            }) => Ok(address),
            Ok(ExecutionResult::Revert { output, .. }) => Err(format!(
                "deploying {what} reverted: {}",
                decode_revert(&output)
            )),
            other => Err(format!("deploying {what} failed: {other:?}")),
        }
    }

    /// Executes `call` and turns a failure into an error naming `what`.
    fn must<C: SolCall>(
        &mut self,
        what: &str,
        from: Address,
        to: Address,
        call: &C,
    ) -> Result<(), String> {
        let r = self.execute_call(from, to, call);
        match r.revert {
            None => Ok(()),
            Some(reason) => Err(format!("{what} from {from} failed: {reason}")),
        }
    }

    fn tx(from: Address, kind: TxKind, data: Bytes) -> TxEnv {
        TxEnv::builder()
            .caller(from)
            .kind(kind)
            .data(data)
            .gas_limit(TX_GAS_LIMIT)
            .chain_id(None)
            .build()
            .expect("a complete transaction")
    }

    // -------------------------------------------------------------------------------- accessors

    /// The deployment's parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The deployment's clock (genesis [`GENESIS_TIME`], the parameters' slot and epoch lengths).
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// Chain id (`block.chainid`, part of the EIP-712 domain): [`CHAIN_ID`].
    pub fn chain_id(&self) -> u64 {
        self.evm.ctx.cfg.chain_id
    }

    /// The EIP-712 domain attestations and job results are signed under.
    pub fn domain(&self) -> Eip712Domain {
        eip712::domain(self.chain_id(), self.rollup)
    }

    /// The Rollup.
    pub fn rollup(&self) -> Address {
        self.rollup
    }

    /// Staking.
    pub fn staking(&self) -> Address {
        self.staking
    }

    /// The TranscriptVerifier.
    pub fn verifier(&self) -> Address {
        self.verifier
    }

    /// The BlsVerifier of the training wheel (zero without one).
    pub fn bls_verifier(&self) -> Address {
        self.bls_verifier
    }

    /// The stake token (a TestToken: anyone may `mint`).
    pub fn stake_token(&self) -> Address {
        self.stake_token
    }

    /// The reward token (a TestToken) the Rollup pays in.
    pub fn reward_token(&self) -> Address {
        self.reward_token
    }

    /// The withdrawer `key` was registered with (see the free function [`withdrawer_of`]).
    pub fn withdrawer_of(&self, key: Address) -> Address {
        withdrawer_of(key)
    }

    /// The deployment's seed (of every `prevrandao`).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// First slot where every registered key is active and the epoch seed is recorded: the
    /// first slot of epoch `setChangeDelay`. The chain is left at its start by
    /// [`SimL1::deploy`].
    pub fn first_slot(&self) -> u64 {
        self.first_slot
    }

    /// Timestamp of the current block.
    pub fn timestamp(&self) -> u64 {
        self.evm.ctx.block.timestamp.saturating_to()
    }

    /// Number of the current block.
    pub fn block_number(&self) -> u64 {
        self.evm.ctx.block.number.saturating_to()
    }

    /// `prevrandao` of the current block.
    pub fn prevrandao(&self) -> B256 {
        self.evm.ctx.block.prevrandao.unwrap_or_default()
    }

    /// Slot of the current block's timestamp.
    pub fn current_slot(&self) -> u64 {
        self.clock
            .slot_at(self.timestamp())
            .expect("timestamps are at or after genesis")
    }

    // -------------------------------------------------------------------------------- blocks

    /// Mines an (empty) L1 block at `timestamp` (>= current): sets timestamp, block number + 1,
    /// and a `prevrandao` derived deterministically from (seed, block number):
    /// `keccak256(abi.encode("spn.sim.prevrandao", seed, number))`.
    ///
    /// # Panics
    ///
    /// If `timestamp` is before the current block's.
    pub fn mine(&mut self, timestamp: u64) {
        assert!(
            timestamp >= self.timestamp(),
            "mine({timestamp}): before the current block's timestamp {}",
            self.timestamp()
        );
        let number = self.block_number() + 1;
        let block = &mut self.evm.ctx.block;
        block.number = U256::from(number);
        block.timestamp = U256::from(timestamp);
        block.prevrandao = Some(prevrandao_of(self.seed, number));
    }

    // -------------------------------------------------------------------------------- transactions

    /// Executes a transaction in the current block (commits state). Never panics on revert.
    ///
    /// Any `from` works (no signature, no ether needed: gas is free); a sender with code is
    /// refused by revm (EIP-3607), reported as a failed receipt with `rejected: ..`.
    pub fn execute(&mut self, from: Address, to: Address, data: Bytes) -> Receipt {
        let tx = Self::tx(from, TxKind::Call(to), data);
        match self.evm.transact_commit(tx) {
            Ok(ExecutionResult::Success {
                gas, output, logs, ..
            }) => Receipt {
                success: true,
                gas_used: gas.tx_gas_used(),
                logs,
                revert: None,
                output: output.into_data(),
            },
            Ok(ExecutionResult::Revert { gas, output, .. }) => Receipt {
                success: false,
                gas_used: gas.tx_gas_used(),
                logs: Vec::new(),
                revert: Some(decode_revert(&output)),
                output,
            },
            Ok(ExecutionResult::Halt { gas, reason, .. }) => Receipt {
                success: false,
                gas_used: gas.tx_gas_used(),
                logs: Vec::new(),
                revert: Some(format!("halt: {reason:?}")),
                output: Bytes::new(),
            },
            Err(e) => Receipt {
                success: false,
                gas_used: 0,
                logs: Vec::new(),
                revert: Some(format!("rejected: {e:?}")),
                output: Bytes::new(),
            },
        }
    }

    /// [`SimL1::execute`] of a binding's call (decode its return with [`Receipt::returns`]).
    pub fn execute_call<C: SolCall>(&mut self, from: Address, to: Address, call: &C) -> Receipt {
        self.execute(from, to, call.abi_encode().into())
    }

    /// Calls `to` in the current block without committing anything (from the zero address)
    /// and decodes the return value; a failure is [`decode_revert`]'s text.
    pub fn view<C: SolCall>(&mut self, to: Address, call: &C) -> Result<C::Return, String> {
        let tx = Self::tx(Address::ZERO, TxKind::Call(to), call.abi_encode().into());
        let result = self
            .evm
            .transact(tx)
            .map_err(|e| format!("rejected: {e:?}"))?
            .result;
        match result {
            ExecutionResult::Success { output, .. } => C::abi_decode_returns(output.data())
                .map_err(|e| format!("cannot decode the return of {}: {e}", C::SIGNATURE)),
            ExecutionResult::Revert { output, .. } => Err(decode_revert(&output)),
            ExecutionResult::Halt { reason, .. } => Err(format!("halt: {reason:?}")),
        }
    }

    fn must_view<C: SolCall>(&mut self, to: Address, call: &C) -> C::Return {
        self.view(to, call)
            .unwrap_or_else(|e| panic!("{} failed: {e}", C::SIGNATURE))
    }

    // -------------------------------------------------------------------------------- views

    /// `Rollup.epochSeed(epoch)`: the latest seed recorded at or before `epoch`.
    ///
    /// # Panics
    ///
    /// If the call fails (an epoch beyond `uint32`).
    pub fn epoch_seed(&mut self, epoch: u64) -> B256 {
        let seed = self.must_view(
            self.rollup,
            &R::epochSeedCall {
                epoch: U256::from(epoch),
            },
        );
        B256::from(seed)
    }

    /// `Rollup.slotSeed(slot)`: the seed scores of `slot` are computed from.
    pub fn slot_seed(&mut self, slot: u64) -> B256 {
        self.must_view(
            self.rollup,
            &R::slotSeedCall {
                slot: U256::from(slot),
            },
        )
    }

    /// `Staking.activeCount(epoch)`.
    ///
    /// # Panics
    ///
    /// If the call fails (an epoch beyond `uint32`).
    pub fn active_count(&mut self, epoch: u64) -> u64 {
        let n = self.must_view(
            self.staking,
            &S::activeCountCall {
                epoch: U256::from(epoch),
            },
        );
        n.saturating_to()
    }

    /// ERC-20 `balanceOf(who)` of `token`.
    pub fn balance_of(&mut self, token: Address, who: Address) -> U256 {
        self.must_view(token, &T::balanceOfCall { account: who })
    }

    /// `Rollup.rewardsOwed(who)`: credited, not yet withdrawn submitter and sequencer rewards
    /// (reward-token base units), pulled with `Rollup.withdrawRewards`.
    pub fn rewards_owed(&mut self, who: Address) -> U256 {
        self.must_view(self.rollup, &R::rewardsOwedCall { account: who })
    }

    /// `Rollup.chain()`: (pending tip, proven tip).
    pub fn tips(&mut self) -> (u64, u64) {
        let c = self.must_view(self.rollup, &R::chainCall {});
        (c.pendingTip, c.provenTip)
    }

    /// `Rollup.blockHashOf(number)`: proven or pending hash, zero above the pending tip.
    pub fn block_hash_of(&mut self, number: u64) -> B256 {
        self.must_view(
            self.rollup,
            &R::blockHashOfCall {
                number: U256::from(number),
            },
        )
    }
}

/// The withdrawer of a staking key: `keccak256(abi.encode("spn.withdrawer", key))[12..]`, the
/// devnet's rule (`spn_node::keys::devnet_withdrawer`).
pub fn withdrawer_of(key: Address) -> Address {
    let digest = keccak256(("spn.withdrawer".to_string(), key).abi_encode_params());
    Address::from_slice(&digest[12..])
}

/// `prevrandao` of block `number` of a simulation seeded with `seed`.
pub fn prevrandao_of(seed: u64, number: u64) -> B256 {
    keccak256(("spn.sim.prevrandao".to_string(), seed, number).abi_encode_params())
}
