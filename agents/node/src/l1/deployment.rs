//! `deployments/<chainId>.json`: where the contracts of a chain live.

use std::path::{Path, PathBuf};

use alloy_primitives::{Address, U256};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Addresses and the first block of one SPN deployment.
///
/// Written by `spn devnet` (and read from any file with the same keys; a `contracts` object holding
/// the addresses is accepted as well, so a forge script can nest them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    /// Chain id the contracts live on.
    pub chain_id: u64,
    /// L1 block of the deployment: event following starts here.
    #[serde(default)]
    pub deployment_block: u64,
    /// The Rollup (also the EIP-712 verifying contract).
    pub rollup: Address,
    /// The Staking contract.
    pub staking: Address,
    /// The proof verifier.
    pub verifier: Address,
    /// Stake token.
    pub stake_token: Address,
    /// Reward token.
    pub reward_token: Address,
    /// The BLS training wheel's verifier (`Rollup.trainingWheel()`); zero when the wheel is off,
    /// and in files written before it existed.
    #[serde(default, skip_serializing_if = "is_zero_address")]
    pub bls_verifier: Address,
    /// Signers the training wheel requires, in basis points of the expected round-1 committee
    /// (`Rollup.trainingWheelBps()`); 0 when off.
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub training_wheel_bps: u64,
    /// First L2 block proven without the training wheel (`Rollup.trainingWheelUntil()`); the
    /// script writes it as a decimal string (it may be 2^256 - 1). 0 when off.
    #[serde(default, skip_serializing_if = "U256::is_zero")]
    pub training_wheel_until: U256,
    /// libp2p bootnodes (multiaddrs with `/p2p/<peer id>`) an agent dials when `--p2p.peers`
    /// is not given; the devnet writes its agents' addresses here. Files written before the
    /// rename say `p2pPeers`, still read.
    #[serde(default, alias = "p2pPeers", skip_serializing_if = "Vec::is_empty")]
    pub bootnodes: Vec<String>,
}

impl Deployment {
    /// `<dir>/<chainId>.json`.
    pub fn default_path(dir: &Path, chain_id: u64) -> PathBuf {
        dir.join(format!("{chain_id}.json"))
    }

    /// Reads a deployment file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::DeploymentMissing(path.to_path_buf()))
            }
            Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
        };
        let invalid = |reason: String| Error::DeploymentInvalid {
            path: path.to_path_buf(),
            reason,
        };
        let mut value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| invalid(format!("not JSON ({e})")))?;
        // Accept addresses nested under "contracts" (forge scripts often write them that way).
        if let Some(contracts) = value.get("contracts").cloned() {
            if let (Some(obj), Some(c)) = (value.as_object_mut(), contracts.as_object()) {
                for (k, v) in c {
                    let key = lower_first(k);
                    obj.entry(key).or_insert(v.clone());
                }
                obj.remove("contracts");
            }
        }
        serde_json::from_value(value).map_err(|e| invalid(e.to_string()))
    }

    /// Writes the file (creating its directory).
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        }
        let text = serde_json::to_string_pretty(self).expect("serialisable");
        std::fs::write(path, text + "\n")
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))
    }
}

fn is_zero_address(a: &Address) -> bool {
    a.is_zero()
}

fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_nested_contracts() {
        let dir = std::env::temp_dir().join(format!("spn-dep-{}", std::process::id()));
        let d = Deployment {
            chain_id: 31337,
            deployment_block: 3,
            rollup: Address::with_last_byte(1),
            staking: Address::with_last_byte(2),
            verifier: Address::with_last_byte(3),
            stake_token: Address::with_last_byte(4),
            reward_token: Address::with_last_byte(5),
            bls_verifier: Address::ZERO,
            training_wheel_bps: 0,
            training_wheel_until: U256::ZERO,
            bootnodes: vec!["/ip4/127.0.0.1/tcp/4001".into()],
        };
        let path = Deployment::default_path(&dir, 31337);
        d.save(&path).unwrap();
        assert_eq!(Deployment::load(&path).unwrap(), d);

        let nested = serde_json::json!({
            "chainId": 31337,
            "contracts": {"Rollup": d.rollup, "Staking": d.staking, "verifier": d.verifier,
                          "stakeToken": d.stake_token, "rewardToken": d.reward_token}
        });
        std::fs::write(&path, nested.to_string()).unwrap();
        let loaded = Deployment::load(&path).unwrap();
        assert_eq!(loaded.rollup, d.rollup);
        assert_eq!(loaded.deployment_block, 0);
        // The key before the rename.
        let old = serde_json::json!({
            "chainId": 31337, "rollup": d.rollup, "staking": d.staking, "verifier": d.verifier,
            "stakeToken": d.stake_token, "rewardToken": d.reward_token,
            "p2pPeers": ["/ip4/127.0.0.1/tcp/4002"]
        });
        std::fs::write(&path, old.to_string()).unwrap();
        assert_eq!(
            Deployment::load(&path).unwrap().bootnodes,
            vec!["/ip4/127.0.0.1/tcp/4002".to_string()]
        );
        // A file without the training wheel's fields (written before it existed) loads with the
        // wheel off; the script's fields load, `trainingWheelUntil` as a decimal string.
        let old_loaded = Deployment::load(&path).unwrap();
        assert_eq!(old_loaded.bls_verifier, Address::ZERO);
        assert_eq!(old_loaded.training_wheel_bps, 0);
        assert_eq!(old_loaded.training_wheel_until, U256::ZERO);
        let wheel = serde_json::json!({
            "chainId": 31337, "trainingWheelBps": 5000,
            "trainingWheelUntil": U256::MAX.to_string(),
            "contracts": {"rollup": d.rollup, "staking": d.staking, "verifier": d.verifier,
                          "blsVerifier": Address::with_last_byte(6),
                          "stakeToken": d.stake_token, "rewardToken": d.reward_token}
        });
        std::fs::write(&path, wheel.to_string()).unwrap();
        let loaded = Deployment::load(&path).unwrap();
        assert_eq!(loaded.bls_verifier, Address::with_last_byte(6));
        assert_eq!(loaded.training_wheel_bps, 5000);
        assert_eq!(loaded.training_wheel_until, U256::MAX);
        // And it round-trips through `save`.
        loaded.save(&path).unwrap();
        assert_eq!(Deployment::load(&path).unwrap(), loaded);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(
            Deployment::load(&path),
            Err(Error::DeploymentMissing(_))
        ));
    }
}
