//! Devnet deployment through the bindings (creation bytecode of the forge artifacts), staker
//! registration with deterministic keys, and the time warp to their activation.

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolConstructor;
use spn_bindings::{rollup, staking, BlsVerifier, Rollup, Staking, TestToken, TranscriptVerifier};
use spn_protocol::{Params, StakingKey};

use super::WheelConfig;

use crate::error::Result;
use crate::keys;
use crate::l1::{Deployment, Sender, L1};

fn with_args(code: &Bytes, args: Vec<u8>) -> Bytes {
    let mut v = code.to_vec();
    v.extend_from_slice(&args);
    v.into()
}

/// Deploys tokens, Staking, TranscriptVerifier, a BlsVerifier if `wheel` is set, and Rollup with
/// `params` (and the wheel's threshold and end), links them and funds the reward pool with `pool`
/// reward tokens (base units).
pub(super) async fn deploy(
    l1: &L1,
    deployer: &Sender,
    params: &Params,
    pool: U256,
    wheel: Option<WheelConfig>,
) -> Result<Deployment> {
    let (first_block, genesis) = l1.head().await?;
    let token = |name: &str, sym: &str| {
        with_args(
            &TestToken::BYTECODE,
            TestToken::constructorCall {
                name_: name.into(),
                symbol_: sym.into(),
            }
            .abi_encode(),
        )
    };
    let stake_token = deployer
        .deploy("deploy stake token", token("SPN Stake", "STK"))
        .await?;
    let reward_token = deployer
        .deploy("deploy reward token", token("SPN Reward", "RWD"))
        .await?;
    let staking_addr = deployer
        .deploy(
            "deploy Staking",
            with_args(
                &Staking::BYTECODE,
                Staking::constructorCall {
                    c: staking::Staking::Config::from_params(
                        params,
                        stake_token,
                        deployer.address(),
                        genesis,
                    ),
                }
                .abi_encode(),
            ),
        )
        .await?;
    let verifier = deployer
        .deploy(
            "deploy TranscriptVerifier",
            TranscriptVerifier::BYTECODE.clone(),
        )
        .await?;
    let bls_verifier = match wheel {
        Some(_) => {
            deployer
                .deploy("deploy BlsVerifier", BlsVerifier::BYTECODE.clone())
                .await?
        }
        None => Address::ZERO,
    };
    let mut config =
        rollup::Rollup::Config::from_params(params, staking_addr, verifier, reward_token);
    if let Some(w) = wheel {
        config.trainingWheel = bls_verifier;
        config.trainingWheelBps = U256::from(w.bps);
        config.trainingWheelUntil = w.until;
    }
    let rollup_addr = deployer
        .deploy(
            "deploy Rollup",
            with_args(
                &Rollup::BYTECODE,
                Rollup::constructorCall { c: config }.abi_encode(),
            ),
        )
        .await?;
    deployer
        .send(
            "Staking.setRollup",
            staking_addr,
            &Staking::setRollupCall {
                rollup_: rollup_addr,
            },
            None,
        )
        .await?;
    if !pool.is_zero() {
        let me = deployer.address();
        deployer
            .send(
                "mint rewards",
                reward_token,
                &TestToken::mintCall {
                    to: me,
                    amount: pool,
                },
                None,
            )
            .await?;
        deployer
            .send(
                "approve rewards",
                reward_token,
                &TestToken::approveCall {
                    spender: rollup_addr,
                    value: pool,
                },
                None,
            )
            .await?;
        deployer
            .send(
                "fund",
                rollup_addr,
                &Rollup::fundCall { amount: pool },
                None,
            )
            .await?;
    }
    Ok(Deployment {
        chain_id: l1.chain_id(),
        deployment_block: first_block,
        rollup: rollup_addr,
        staking: staking_addr,
        verifier,
        stake_token,
        reward_token,
        bls_verifier,
        training_wheel_bps: wheel.map_or(0, |w| w.bps),
        training_wheel_until: wheel.map_or(U256::ZERO, |w| w.until),
        bootnodes: Vec::new(),
    })
}

/// Gives `who` ether on anvil.
pub(super) async fn fund_eth(l1: &L1, who: Address, wei: U256) -> Result<()> {
    let _: serde_json::Value = l1
        .raw("anvil_setBalance", (who, format!("{wei:#x}")))
        .await?;
    Ok(())
}

/// Registers a staker: mints its stake (the test token lets anyone mint), approves and deposits
/// from the staking key itself with the deterministic withdrawer.
pub(super) async fn register(
    l1: &L1,
    d: &Deployment,
    stake: U256,
    key: &StakingKey,
) -> Result<Address> {
    let s = Sender::new(l1.clone(), key);
    let me = key.address();
    fund_eth(l1, me, U256::from(10u64).pow(U256::from(20))).await?;
    s.send(
        "mint stake",
        d.stake_token,
        &TestToken::mintCall {
            to: me,
            amount: stake,
        },
        None,
    )
    .await?;
    s.send(
        "approve stake",
        d.stake_token,
        &TestToken::approveCall {
            spender: d.staking,
            value: stake,
        },
        None,
    )
    .await?;
    let withdrawer = keys::devnet_withdrawer(me);
    s.send(
        "deposit",
        d.staking,
        &Staking::depositCall { withdrawer },
        None,
    )
    .await?;
    Ok(withdrawer)
}

/// Registers the BLS key derived from a registered staker's key (`registerBlsKey`, from the
/// key itself), as `spn node` does at start when the deployment has a training wheel.
pub(super) async fn register_bls_key(l1: &L1, d: &Deployment, key: &StakingKey) -> Result<()> {
    let s = Sender::new(l1.clone(), key);
    crate::operator::register_bls_key(l1, d, key, &s).await?;
    Ok(())
}

/// Moves anvil's clock to the first slot of `epoch` and mines a block there.
pub(super) async fn warp_to_epoch(
    l1: &L1,
    params: &Params,
    genesis: u64,
    epoch: u64,
) -> Result<()> {
    let target = genesis + epoch * params.epoch_duration * params.slot_duration;
    let (_, now) = l1.head().await?;
    if target > now {
        let _: serde_json::Value = l1.raw("evm_increaseTime", (target - now,)).await?;
    }
    let _: serde_json::Value = l1.raw("evm_mine", ()).await?;
    Ok(())
}

/// Switches anvil to one block every `secs` seconds.
pub(super) async fn interval_mining(l1: &L1, secs: u64) -> Result<()> {
    let _: serde_json::Value = l1.raw("evm_setIntervalMining", (secs,)).await?;
    Ok(())
}
