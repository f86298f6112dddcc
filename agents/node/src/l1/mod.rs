//! L1 through alloy: the provider, view calls, transaction sending with nonce management, the
//! deployment file, on-chain parameters and the event follower.

mod deployment;
mod follower;
mod transport;
mod tx;

pub use deployment::Deployment;
pub use follower::{ChainView, L1Event, SlotCtx, StakerRecord};
pub use transport::RpcStats;
pub use tx::{
    classify, classify_message, Resumed, Sender, TxErrorKind, TxPolicy, TxStats,
    FOREIGN_NONCE_GRACE, MIN_BUMP_PERCENT,
};

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use alloy::network::TransactionBuilder;
use alloy::providers::{Provider, RootProvider};
use alloy::rpc::types::{Filter, Log, TransactionRequest};
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::{SolCall, SolInterface};
use spn_bindings::{Errors, Rollup, Staking};
use spn_protocol::Params;

use crate::error::{Error, Result};

/// A connection to the L1 JSON-RPC endpoint (one or several URLs, in order of preference).
#[derive(Debug, Clone)]
pub struct L1 {
    provider: RootProvider,
    url: String,
    chain_id: u64,
    stats: Arc<RpcStats>,
}

/// What a mined transaction cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxOutcome {
    /// Transaction hash.
    pub hash: B256,
    /// Gas used.
    pub gas_used: u64,
    /// Block it was mined in.
    pub block: u64,
    /// Created contract, for deployments.
    pub contract: Option<Address>,
}

impl L1 {
    /// Connects to `urls` (one URL, or several separated by commas: the first healthy one is
    /// used, the next on a transport error) and reads the chain id; a refused connection or a
    /// bad URL is one clear error.
    pub async fn connect(urls: &str) -> Result<Self> {
        let unreachable = |reason: String| Error::RpcUnreachable {
            url: urls.to_string(),
            reason,
        };
        let list: Vec<&str> = urls
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .collect();
        if list.is_empty() {
            return Err(unreachable("no URL given".into()));
        }
        let mut parsed = Vec::with_capacity(list.len());
        for url in &list {
            let bad = |reason: String| Error::RpcUnreachable {
                url: url.to_string(),
                reason,
            };
            let u: alloy::transports::http::reqwest::Url =
                url.parse().map_err(|e| bad(format!("invalid URL ({e})")))?;
            if !matches!(u.scheme(), "http" | "https") {
                return Err(bad(format!(
                    "unsupported scheme `{}` (use http://)",
                    u.scheme()
                )));
            }
            parsed.push(u);
        }
        let stats = Arc::new(RpcStats::default());
        let local = parsed
            .iter()
            .all(|u| matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")));
        let client = alloy::rpc::client::RpcClient::new(
            transport::Failover::new(&parsed, stats.clone()),
            local,
        );
        let provider = RootProvider::new(client);
        let chain_id = tokio::time::timeout(Duration::from_secs(10), provider.get_chain_id())
            .await
            .map_err(|_| unreachable("no answer within 10 s".into()))?
            .map_err(|e| unreachable(transport_reason(&error_chain(&e))))?;
        Ok(Self {
            provider,
            url: list.join(","),
            chain_id,
            stats,
        })
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The RPC URL (several separated by commas, as given).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Error and failover counters of this connection (shared by its clones).
    pub fn stats(&self) -> &Arc<RpcStats> {
        &self.stats
    }

    /// Failed RPC requests so far (every attempt, retried ones included).
    pub fn rpc_errors(&self) -> u64 {
        self.stats.errors.load(Ordering::Relaxed)
    }

    /// The underlying provider.
    pub fn provider(&self) -> &RootProvider {
        &self.provider
    }

    /// `eth_call` of a typed call at the latest block.
    pub async fn view<C: SolCall>(&self, to: Address, call: C) -> Result<C::Return> {
        let tx = TransactionRequest::default()
            .with_to(to)
            .with_input(call.abi_encode());
        let out = self
            .provider
            .call(tx)
            .await
            .map_err(|e| Error::rpc(C::SIGNATURE, revert_reason(&e)))?;
        C::abi_decode_returns(&out).map_err(|e| Error::rpc(C::SIGNATURE, e))
    }

    /// Number and timestamp of the latest block.
    pub async fn head(&self) -> Result<(u64, u64)> {
        let (number, ts, _) = self.head_block().await?;
        Ok((number, ts))
    }

    /// Number, timestamp and hash of the latest block.
    pub async fn head_block(&self) -> Result<(u64, u64, B256)> {
        let block = self
            .provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .map_err(|e| Error::rpc("eth_getBlockByNumber", e))?
            .ok_or_else(|| Error::rpc("eth_getBlockByNumber", "no latest block"))?;
        Ok((
            block.header.number,
            block.header.timestamp,
            block.header.hash,
        ))
    }

    /// Hash of block `number`, `None` past the head.
    pub async fn block_hash(&self, number: u64) -> Result<Option<B256>> {
        Ok(self
            .provider
            .get_block_by_number(number.into())
            .await
            .map_err(|e| Error::rpc("eth_getBlockByNumber", e))?
            .map(|b| b.header.hash))
    }

    /// Whether `at` holds code at the latest block.
    pub async fn has_code(&self, at: Address) -> Result<bool> {
        let code = self
            .provider
            .get_code_at(at)
            .await
            .map_err(|e| Error::rpc("eth_getCode", e))?;
        Ok(!code.is_empty())
    }

    /// Logs of `addresses` in blocks `from..=to`.
    pub async fn logs(&self, addresses: Vec<Address>, from: u64, to: u64) -> Result<Vec<Log>> {
        let filter = Filter::new()
            .address(addresses)
            .from_block(from)
            .to_block(to);
        self.provider
            .get_logs(&filter)
            .await
            .map_err(|e| Error::rpc("eth_getLogs", e))
    }

    /// Input data of a mined transaction.
    pub async fn tx_input(&self, hash: B256) -> Result<Bytes> {
        use alloy::consensus::Transaction as _;
        let tx = self
            .provider
            .get_transaction_by_hash(hash)
            .await
            .map_err(|e| Error::rpc("eth_getTransactionByHash", e))?
            .ok_or_else(|| Error::rpc("eth_getTransactionByHash", format!("{hash} unknown")))?;
        Ok(tx.input().clone())
    }

    /// A raw JSON-RPC request (anvil's `evm_*` and `anvil_*` methods).
    pub async fn raw<P, R>(&self, method: &'static str, params: P) -> Result<R>
    where
        P: serde::Serialize + Clone + std::fmt::Debug + Send + Sync + Unpin + 'static,
        R: serde::de::DeserializeOwned + std::fmt::Debug + Send + Sync + Unpin + 'static,
    {
        self.provider
            .raw_request(method.into(), params)
            .await
            .map_err(|e| Error::rpc(method, e))
    }

    /// ERC-20 balance.
    pub async fn balance_of(&self, token: Address, who: Address) -> Result<U256> {
        self.view(
            token,
            spn_bindings::TestToken::balanceOfCall { account: who },
        )
        .await
    }

    /// Submitter and sequencer rewards credited to `who` by `rollup` and not yet withdrawn
    /// (`Rollup.rewardsOwed`; they are pulled with `withdrawRewards`).
    pub async fn rewards_owed(&self, rollup: Address, who: Address) -> Result<U256> {
        self.view(rollup, Rollup::rewardsOwedCall { account: who })
            .await
    }

    /// The Rollup's BLS training wheel (`trainingWheel`, `trainingWheelBps`,
    /// `trainingWheelUntil`), none when `trainingWheel` is zero. A deployment file that says
    /// otherwise is only warned about: the contract decides which entry point proves a block.
    pub async fn training_wheel(
        &self,
        d: &Deployment,
    ) -> Result<Option<spn_core::chain::TrainingWheel>> {
        let r = d.rollup;
        let verifier = self.view(r, Rollup::trainingWheelCall {}).await?;
        let bps = self.view(r, Rollup::trainingWheelBpsCall {}).await?;
        let until = self.view(r, Rollup::trainingWheelUntilCall {}).await?;
        if (verifier, bps, until)
            != (
                d.bls_verifier,
                U256::from(d.training_wheel_bps),
                d.training_wheel_until,
            )
        {
            tracing::warn!(target: "spn::l1", "the deployment file's training wheel ({}, {} bps, until {}) is not the Rollup's ({verifier}, {bps} bps, until {until}); using the Rollup's", d.bls_verifier, d.training_wheel_bps, d.training_wheel_until);
        }
        if verifier.is_zero() {
            return Ok(None);
        }
        Ok(Some(spn_core::chain::TrainingWheel {
            bps: u64::try_from(bps).unwrap_or(u64::MAX),
            until: u64::try_from(until).unwrap_or(u64::MAX),
        }))
    }

    /// Every protocol parameter, read from the deployed Rollup and Staking.
    pub async fn params(&self, d: &Deployment) -> Result<(Params, u64)> {
        let r = d.rollup;
        let s = d.staking;
        macro_rules! v {
            ($to:expr, $call:ident) => {
                self.view($to, Rollup::$call {}).await?
            };
        }
        macro_rules! st {
            ($call:ident) => {
                self.view(s, Staking::$call {}).await?
            };
        }
        let costs = v!(r, costWeightsCall);
        let rewards = v!(r, rewardsCall);
        let u = |x: U256| u64::try_from(x).unwrap_or(u64::MAX);
        let u8_ = |x: U256| u8::try_from(x).unwrap_or(u8::MAX);
        let params = Params {
            slot_duration: u(st!(slotDurationCall)),
            epoch_duration: u(st!(epochDurationCall)),
            seed_lookahead: u(v!(r, seedLookaheadCall)),
            set_change_delay: u(st!(setChangeDelayCall)),
            withdrawal_delay: u(st!(withdrawalDelayCall)),
            proof_window: u(v!(r, proofWindowCall)),
            grace_slots: u(v!(r, graceSlotsCall)),
            stake_amount: st!(stakeAmountCall),
            sequencer_target: u(v!(r, sequencerTargetCall)),
            attestation_target: u(v!(r, attestationTargetCall)),
            attestation_quorum: u(v!(r, attestationQuorumCall)),
            round_height: u8_(v!(r, roundHeightCall)),
            min_height: u8_(v!(r, minHeightCall)),
            max_height: u8_(v!(r, maxHeightCall)),
            redundancy: u(v!(r, redundancyCall)),
            neighbourhood: u8_(v!(r, neighbourhoodCall)),
            vm_proofs_per_tx: u(costs.vmProofsPerTx),
            vm_proof_cost: u(costs.vmProofCost),
            base_proof_cost: u(costs.baseProofCost),
            merge_proof_cost: u(costs.mergeProofCost),
            submitter_reward: rewards.submitter,
            sequencer_base: rewards.sequencerBase,
            sequencer_coverage: rewards.sequencerCoverage,
            provers_reward: rewards.provers,
            min_coverage_bps: u(v!(r, minCoverageBpsCall)),
            strike_threshold: u(v!(r, strikeThresholdCall)),
            penalty_base: v!(r, penaltyBaseCall),
            ejection_floor: v!(r, ejectionFloorCall),
        };
        let genesis = u(st!(genesisTimeCall));
        Ok((params, genesis))
    }
}

/// A readable reason from an RPC error: the decoded SPN custom error when the node returned revert
/// data, the node's message otherwise.
pub fn revert_reason<E: std::fmt::Display>(e: &alloy::transports::RpcError<E>) -> String {
    if let Some(data) = e.as_error_resp().and_then(|p| p.as_revert_data()) {
        return decode_revert(&data);
    }
    match e.as_error_resp() {
        Some(p) => p.message.to_string(),
        None => transport_reason(&e.to_string()),
    }
}

/// Decodes revert data with every SPN error; falls back to hex.
pub fn decode_revert(data: &[u8]) -> String {
    match Errors::ErrorsErrors::abi_decode(data) {
        Ok(err) => format!("{err:?}"),
        Err(_) => format!("revert 0x{}", alloy_primitives::hex::encode(data)),
    }
}

/// An error and all its sources, joined.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

fn transport_reason(s: &str) -> String {
    let lower = s.to_lowercase();
    if lower.contains("connection refused") {
        "connection refused".into()
    } else if lower.contains("dns") || lower.contains("resolve") {
        "host not found".into()
    } else if lower.contains("timed out") || lower.contains("timeout") {
        "timed out".into()
    } else {
        s.lines().next().unwrap_or(s).to_string()
    }
}
