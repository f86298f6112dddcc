//! What an operator does besides running agents: register a key's stake, exit and withdraw it
//! (`spn stake`), and look at a key's state and duties (`spn status`).

use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{Address, U256};
use serde::Serialize;
use spn_bindings::{rollup::Rollup, staking::Staking, TestToken};
use spn_core::Chain;
use spn_protocol::{schedule, selection, BlsSecretKey, StakingKey};

use crate::agent::fmt_tokens;
use crate::error::{Error, Result};
use crate::l1::{ChainView, Deployment, Sender, TxPolicy, L1};

/// An L1 connection with its deployment, checked (`runner::prepare`).
#[derive(Debug, Clone)]
pub struct Connected {
    /// L1.
    pub l1: L1,
    /// The deployment.
    pub deployment: Deployment,
    /// How staking transactions are priced and re-priced.
    pub tx: TxPolicy,
}

/// The outcome of a staking transaction.
#[derive(Debug, Clone, Serialize)]
pub struct StakeOutcome {
    /// What was done.
    pub action: &'static str,
    /// The staking key.
    pub key: Address,
    /// Its withdrawer.
    pub withdrawer: Address,
    /// First active epoch.
    pub activation_epoch: u64,
    /// Exit epoch (`u32::MAX` while not exiting).
    pub exit_epoch: u64,
    /// Stake (tokens).
    pub stake: String,
    /// Whether a BLS key is registered for the key (`blsKeyHash(key) != 0`): `register` adds the
    /// one derived from the staking key when the Rollup has a training wheel.
    pub bls_key_registered: bool,
}

async fn record(c: &Connected, key: Address, action: &'static str) -> Result<StakeOutcome> {
    let d = &c.deployment;
    let s = c.l1.view(d.staking, Staking::getStakerCall { key }).await?;
    let stake = c.l1.view(d.staking, Staking::stakeOfCall { key }).await?;
    let bls =
        c.l1.view(d.staking, Staking::blsKeyHashCall { key })
            .await?;
    Ok(StakeOutcome {
        action,
        key,
        withdrawer: s.withdrawer,
        activation_epoch: u64::from(s.activationEpoch),
        exit_epoch: u64::from(s.exitEpoch),
        stake: fmt_tokens(stake),
        bls_key_registered: !bls.is_zero(),
    })
}

/// Registers `key` with `withdrawer` (the key itself if `None`): approves the stake token and
/// deposits `stakeAmount`, from the key; when the Rollup has a training wheel, also registers the
/// BLS key derived from it, without which its transition signatures do not count.
pub async fn register(
    c: &Connected,
    key: &StakingKey,
    withdrawer: Option<Address>,
) -> Result<StakeOutcome> {
    let d = &c.deployment;
    let me = key.address();
    let current =
        c.l1.view(d.staking, Staking::getStakerCall { key: me })
            .await?;
    if current.withdrawer != Address::ZERO {
        return Err(Error::Config(format!(
            "the key {me} is registered already (withdrawer {})",
            current.withdrawer
        )));
    }
    let amount = c.l1.view(d.staking, Staking::stakeAmountCall {}).await?;
    let held = c.l1.balance_of(d.stake_token, me).await?;
    if held < amount {
        return Err(Error::Config(format!(
            "the key {me} holds {} of the stake token {}, and the stake is {}",
            fmt_tokens(held),
            d.stake_token,
            fmt_tokens(amount)
        )));
    }
    let sender = Sender::new(c.l1.clone(), key).with_policy(c.tx.clone())?;
    sender
        .send(
            "approve stake",
            d.stake_token,
            &TestToken::approveCall {
                spender: d.staking,
                value: amount,
            },
            None,
        )
        .await?;
    sender
        .send(
            "deposit",
            d.staking,
            &Staking::depositCall {
                withdrawer: withdrawer.unwrap_or(me),
            },
            None,
        )
        .await?;
    if c.l1.training_wheel(d).await?.is_some() {
        register_bls_key(&c.l1, d, key, &sender).await?;
    }
    record(c, me, "registered").await
}

/// Starts the exit of `staker`, from its withdrawer's key.
pub async fn exit(c: &Connected, withdrawer: &StakingKey, staker: Address) -> Result<StakeOutcome> {
    let d = &c.deployment;
    Sender::new(c.l1.clone(), withdrawer)
        .with_policy(c.tx.clone())?
        .send(
            "initiateExit",
            d.staking,
            &Staking::initiateExitCall { key: staker },
            None,
        )
        .await?;
    record(c, staker, "exiting").await
}

/// Withdraws the stake of an exited `staker` to `recipient`, from its withdrawer's key.
pub async fn withdraw(
    c: &Connected,
    withdrawer: &StakingKey,
    staker: Address,
    recipient: Address,
) -> Result<StakeOutcome> {
    let d = &c.deployment;
    Sender::new(c.l1.clone(), withdrawer)
        .with_policy(c.tx.clone())?
        .send(
            "withdraw",
            d.staking,
            &Staking::withdrawCall {
                key: staker,
                recipient,
            },
            None,
        )
        .await?;
    record(c, staker, "withdrawn").await
}

/// A key's state and duties.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// Chain id.
    pub chain_id: u64,
    /// The Rollup.
    pub rollup: Address,
    /// Current slot and epoch.
    pub slot: u64,
    /// Current epoch.
    pub epoch: u64,
    /// `(pendingTip, provenTip)`.
    pub pending_tip: u64,
    /// Proven tip.
    pub proven_tip: u64,
    /// Active stakers N in this epoch.
    pub active_stakers: u64,
    /// Attestation committee: expected size `min(A, N/2)` against the quorum M.
    pub expected_attesters: u64,
    /// The quorum M.
    pub attestation_quorum: u64,
    /// The BLS training wheel (`trainingWheelBps`, `trainingWheelUntil`), if the deployment
    /// has one.
    pub training_wheel: Option<WheelStatus>,
    /// The key, if one was given.
    pub key: Option<KeyStatus>,
}

/// The deployment's training wheel, as `spn status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct WheelStatus {
    /// Signers required, basis points of the expected round-1 committee.
    pub bps: u64,
    /// First block proven without the wheel.
    pub until: u64,
    /// Whether it covers the next block to prove.
    pub on: bool,
}

/// One key's state.
#[derive(Debug, Clone, Serialize)]
pub struct KeyStatus {
    /// The key.
    pub address: Address,
    /// Registered at Staking.
    pub registered: bool,
    /// Active in the current epoch.
    pub active: bool,
    /// Withdrawer.
    pub withdrawer: Address,
    /// First active epoch.
    pub activation_epoch: u64,
    /// Exit epoch (`u32::MAX` while not exiting).
    pub exit_epoch: u64,
    /// Stake (tokens).
    pub stake: String,
    /// Consecutive inactivity strikes, and the block of a pending report (0: none).
    pub strikes: u64,
    /// Block of a pending inactivity report against the key (0: none).
    pub pending_report: u64,
    /// Rewards credited to the withdrawer and not withdrawn (`rewardsOwed`, tokens).
    pub rewards_owed: String,
    /// Slots of the rest of this epoch in which the key may sequence.
    pub sequencer_slots: Vec<u64>,
    /// Slots of the rest of this epoch in which the key is on the round-1 proving committee (at
    /// the sequencer policy's largest height).
    pub committee_slots: Vec<u64>,
    /// The key's registered BLS public key (`BlsKeyRegistered`), hex.
    pub bls_public_key: Option<String>,
    /// Whether a BLS key is registered at Staking (`blsKeyHash(key) != 0`); `spn node`
    /// registers it when the deployment has a training wheel.
    pub bls_key_registered: bool,
}

/// What [`register_bls_key`] found or did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlsRegistration {
    /// The key's BLS key was registered before.
    Registered,
    /// Another BLS key is registered for the key (Staking sets it once): its transition
    /// signatures would not verify.
    Mismatch,
    /// Registered now.
    New,
}

/// Registers the BLS key derived from `key` at Staking (`registerBlsKey(publicKey, proof of
/// possession)`, sent by `sender`, the key's own) unless `blsKeyHash(key)` is already set. The
/// key must be registered as a staker first.
pub async fn register_bls_key(
    l1: &L1,
    d: &Deployment,
    key: &StakingKey,
    sender: &Sender,
) -> Result<BlsRegistration> {
    let me = key.address();
    let bls = BlsSecretKey::derive(key);
    let have = l1
        .view(d.staking, Staking::blsKeyHashCall { key: me })
        .await?;
    if have == bls.public_key().hash() {
        return Ok(BlsRegistration::Registered);
    }
    if !have.is_zero() {
        return Ok(BlsRegistration::Mismatch);
    }
    sender
        .send(
            "registerBlsKey",
            d.staking,
            &Staking::registerBlsKeyCall {
                publicKey: bls.public_key().to_bytes().to_vec().into(),
                proof: bls.pop().to_eip2537().to_vec().into(),
            },
            None,
        )
        .await?;
    Ok(BlsRegistration::New)
}

/// The state of the chain, and of `key` if given.
pub async fn status(c: &Connected, key: Option<Address>) -> Result<Status> {
    let d = &c.deployment;
    let (params, genesis) = c.l1.params(d).await?;
    let view: Arc<ChainView> = ChainView::start(
        c.l1.clone(),
        d.clone(),
        params.clone(),
        genesis,
        Duration::from_secs(3600),
        0,
    )
    .await?;
    let slot = view.current_slot();
    let epoch = view.clock().epoch_of(slot);
    let ctx = view.slot_ctx(slot).await?;
    let n = ctx.active_count;
    let (pending, proven) = view.tips();
    let key = match key {
        None => None,
        Some(address) => {
            let s =
                c.l1.view(d.staking, Staking::getStakerCall { key: address })
                    .await?;
            let stake =
                c.l1.view(d.staking, Staking::stakeOfCall { key: address })
                    .await?;
            let inactivity =
                c.l1.view(d.rollup, Rollup::getInactivityCall { staker: address })
                    .await?;
            let registered = s.withdrawer != Address::ZERO;
            let bls_hash =
                c.l1.view(d.staking, Staking::blsKeyHashCall { key: address })
                    .await?;
            let bls_public_key = view.bls_key(address).map(|k| k.to_bytes().to_string());
            let owed = if registered {
                c.l1.rewards_owed(d.rollup, s.withdrawer).await?
            } else {
                U256::ZERO
            };
            let cap = schedule::policy_cap(&params, n);
            let mut sequencer_slots = Vec::new();
            let mut committee_slots = Vec::new();
            let last = view.clock().first_slot(epoch + 1).unwrap_or(slot + 1);
            for s_ in slot..last {
                let (Ok(c_), Ok(sched)) = (view.slot_ctx(s_).await, view.schedule(s_, cap).await)
                else {
                    continue;
                };
                let score = selection::score(address, c_.seed);
                if sched.sequencers().iter().any(|m| m.address == address) {
                    sequencer_slots.push(s_);
                }
                if c_.is_active(&address)
                    && sched
                        .schedule()
                        .in_committee(score, 1, sched.active_count())
                {
                    committee_slots.push(s_);
                }
            }
            Some(KeyStatus {
                address,
                registered,
                active: ctx.is_active(&address),
                withdrawer: s.withdrawer,
                activation_epoch: u64::from(s.activationEpoch),
                exit_epoch: u64::from(s.exitEpoch),
                stake: fmt_tokens(stake),
                strikes: u64::from(inactivity.strikes),
                pending_report: inactivity.pendingBlock,
                rewards_owed: fmt_tokens(owed),
                sequencer_slots,
                committee_slots,
                bls_public_key,
                bls_key_registered: !bls_hash.is_zero(),
            })
        }
    };
    let training_wheel = view.training_wheel().map(|w| WheelStatus {
        bps: w.bps,
        until: w.until,
        on: w.covers(proven.saturating_add(1)),
    });
    Ok(Status {
        chain_id: d.chain_id,
        rollup: d.rollup,
        slot,
        epoch,
        pending_tip: pending,
        proven_tip: proven,
        active_stakers: n,
        expected_attesters: params.attestation_target.min(n / 2),
        attestation_quorum: params.attestation_quorum,
        training_wheel,
        key,
    })
}

/// What `spn claim` did.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimOutcome {
    /// The prover (the staking key).
    pub key: Address,
    /// Who received the tokens.
    pub recipient: Address,
    /// Proven blocks whose transcripts were read.
    pub blocks_scanned: u64,
    /// Blocks claimed now.
    pub blocks_claimed: Vec<u64>,
    /// Blocks whose share was claimed before.
    pub already_claimed: u64,
    /// Tokens paid to the recipient.
    pub amount: String,
    /// Claim transactions.
    pub transactions: Vec<alloy_primitives::B256>,
}

/// Claims every share `key` is owed on proven blocks from L1 block `from_block` on (default:
/// the deployment block): each proven block's transcript is read from its `submitProof`
/// transaction, its rewards tree rebuilt and checked against `BlockProven` (the agent core's
/// rule, [`spn_core::claims::claim_item`]), and the unclaimed shares are claimed in calls of at
/// most `batch` blocks, paid to `recipient`.
pub async fn claim(
    c: &Connected,
    key: &StakingKey,
    recipient: Address,
    batch: usize,
    from_block: Option<u64>,
) -> Result<ClaimOutcome> {
    use alloy_sol_types::SolEvent;
    let d = &c.deployment;
    let me = key.address();
    let (params, genesis) = c.l1.params(d).await?;
    let view = ChainView::start(
        c.l1.clone(),
        d.clone(),
        params,
        genesis,
        Duration::from_secs(3600),
        0,
    )
    .await?;
    let (head, _) = c.l1.head().await?;
    let mut from = from_block.unwrap_or(d.deployment_block);
    let mut proven = Vec::new();
    while from <= head {
        let to = head.min(from + 2_000);
        for log in c.l1.logs(vec![d.rollup], from, to).await? {
            if let Ok(ev) = Rollup::BlockProven::decode_log(&log.inner) {
                proven.push((ev.data, log.transaction_hash.unwrap_or_default()));
            }
        }
        from = to + 1;
    }
    let mut items = Vec::new();
    let mut already = 0;
    for (ev, tx) in &proven {
        let number = u64::try_from(ev.number).unwrap_or(u64::MAX);
        let Some(header) = view.header(&ev.blockHash) else {
            continue;
        };
        let input = c.l1.tx_input(*tx).await?;
        let transcript = spn_core::io::decode_proof_tx(&input)
            .map_err(|e| Error::rpc("proof transaction input", e))?
            .transcript;
        let sched = view.schedule(header.slot, header.height).await?;
        let item =
            spn_core::claims::claim_item(me, number, &transcript, sched.schedule(), ev.rewardsRoot)
                .map_err(|e| Error::rpc("BlockProven", e))?;
        let Some(item) = item else { continue };
        let claimed =
            c.l1.view(
                d.rollup,
                Rollup::isClaimedCall {
                    prover: me,
                    number: ev.number,
                },
            )
            .await?;
        if claimed {
            already += 1;
        } else {
            items.push(item);
        }
    }
    let before = c.l1.balance_of(d.reward_token, recipient).await?;
    let sender = Sender::new(c.l1.clone(), key);
    let mut transactions = Vec::new();
    let mut blocks_claimed = Vec::new();
    for chunk in items.chunks(batch.max(1)) {
        let out = sender
            .send(
                "claim",
                d.rollup,
                &Rollup::claimCall {
                    recipient,
                    items: chunk.to_vec(),
                },
                None,
            )
            .await?;
        transactions.push(out.hash);
        blocks_claimed.extend(chunk.iter().map(|i| i.blockNumber));
    }
    let after = c.l1.balance_of(d.reward_token, recipient).await?;
    Ok(ClaimOutcome {
        key: me,
        recipient,
        blocks_scanned: proven.len() as u64,
        blocks_claimed,
        already_claimed: already,
        amount: fmt_tokens(after.saturating_sub(before)),
        transactions,
    })
}
