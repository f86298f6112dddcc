//! Staking keys: parsing from flags, environment or files, and the devnet's deterministic keys.

use std::path::{Path, PathBuf};

use alloy::signers::local::PrivateKeySigner;

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_sol_types::SolValue;
use spn_protocol::StakingKey;

use crate::error::{Error, Result};

/// secp256k1 group order n.
const ORDER: U256 = U256::from_be_bytes([
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
]);

/// Parses a private key given as 64 hex digits (with or without `0x`), or as the path of a file
/// holding them. `what` names the flag and variable in the error (e.g. `--key / SPN_KEY`).
pub fn parse_key(input: &str, what: &str) -> Result<StakingKey> {
    let malformed = |reason: String| Error::MalformedKey {
        what: format!("key ({what})"),
        reason,
    };
    let trimmed = input.trim();
    let as_path = !looks_like_hex(trimmed);
    let text = if as_path && Path::new(trimmed).is_file() {
        std::fs::read_to_string(trimmed)
            .map_err(|e| malformed(format!("cannot read {trimmed}: {e}")))?
            .trim()
            .to_string()
    } else if as_path && (trimmed.contains('/') || trimmed.contains('.')) {
        // Not hex and shaped like a path: say so, rather than "found the character '/'".
        return Err(malformed(format!(
            "{trimmed} is neither 64 hex digits nor a readable file"
        )));
    } else {
        trimmed.to_string()
    };
    let from_file = as_path && Path::new(trimmed).is_file();
    let malformed = |reason: String| {
        malformed(if from_file {
            format!("{reason} (in the file {trimmed})")
        } else {
            reason
        })
    };
    let hex = text.strip_prefix("0x").unwrap_or(&text);
    if hex.is_empty() {
        return Err(malformed("empty".into()));
    }
    if let Some(c) = hex.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(malformed(format!(
            "expected 64 hex digits, found the character {c:?}"
        )));
    }
    if hex.len() != 64 {
        return Err(malformed(format!(
            "expected 32 bytes (64 hex digits), got {} hex digits",
            hex.len()
        )));
    }
    let bytes = alloy_primitives::hex::decode(hex).map_err(|e| malformed(e.to_string()))?;
    StakingKey::from_slice(&bytes).map_err(|_| {
        malformed("not a valid secp256k1 secret (zero or not below the curve order)".into())
    })
}

fn looks_like_hex(s: &str) -> bool {
    let h = s.strip_prefix("0x").unwrap_or(s);
    !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit())
}

/// Devnet staker `i`: `keccak256(abi.encode("spn.staker", i)) mod n`, the keys of the Solidity
/// test fixture (`SPNTest._register`).
pub fn devnet_staker_key(i: u64) -> StakingKey {
    let digest = keccak256(("spn.staker".to_string(), U256::from(i)).abi_encode_params());
    let secret = U256::from_be_bytes(digest.0) % ORDER;
    StakingKey::from_bytes(&B256::from(secret.to_be_bytes::<32>())).expect("non-zero below order")
}

/// The withdrawer of a devnet staker: `address(uint160(uint256(keccak256(abi.encode("spn.withdrawer", key)))))`.
pub fn devnet_withdrawer(key: Address) -> Address {
    let digest = keccak256(("spn.withdrawer".to_string(), key).abi_encode_params());
    Address::from_slice(&digest[12..])
}

/// Devnet submitter key (a plain funded account, not a staker).
pub fn devnet_submitter_key() -> StakingKey {
    let digest = keccak256(b"spn.devnet.submitter");
    StakingKey::from_bytes(&digest).expect("valid")
}

/// anvil's first default account (funded with 10,000 ETH), used to deploy on the devnet.
pub const ANVIL_DEPLOYER_KEY: &str =
    "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hex_with_and_without_prefix() {
        let a = parse_key(ANVIL_DEPLOYER_KEY, "--key").unwrap();
        let b = parse_key(&format!("0x{ANVIL_DEPLOYER_KEY}"), "--key").unwrap();
        assert_eq!(a.address(), b.address());
        assert_eq!(
            a.address(),
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
                .parse::<Address>()
                .unwrap()
        );
    }

    #[test]
    fn rejects_malformed_keys() {
        for bad in ["", "0x1234", "zz", &"0".repeat(64), &"f".repeat(64)] {
            let e = parse_key(bad, "--key / SPN_KEY").unwrap_err().to_string();
            assert!(e.starts_with("malformed key (--key / SPN_KEY)"), "{e}");
            assert!(!e.contains('\n'));
        }
    }

    #[test]
    fn devnet_keys_are_distinct() {
        let a = devnet_staker_key(0).address();
        let b = devnet_staker_key(1).address();
        assert_ne!(a, b);
        assert_ne!(devnet_withdrawer(a), a);
    }
}

/// Where a key comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// An encrypted keystore (web3 secret storage), with the password from a file, or from a
    /// prompt on the terminal when `password_file` is `None`.
    Keystore {
        /// The keystore file.
        path: PathBuf,
        /// A file holding the password (its first line).
        password_file: Option<PathBuf>,
    },
    /// A raw key: 64 hex digits, or a file holding them (devnets; `SPN_KEY`).
    Raw(String),
}

/// Loads the key every signing command needs: from `source`, or an error saying how to give one.
pub fn require(source: Option<&KeySource>) -> Result<StakingKey> {
    match source {
        Some(k) => load(k, "--key / SPN_KEY"),
        None => Err(Error::MalformedKey {
            what: "key (--key / SPN_KEY)".into(),
            reason: "missing: pass --keystore <file> (spn key new|import), or SPN_KEY on a devnet"
                .into(),
        }),
    }
}

/// Loads the key of `source`; `what` names the flags in errors.
pub fn load(source: &KeySource, what: &str) -> Result<StakingKey> {
    match source {
        KeySource::Raw(k) => {
            check_file_mode(k.trim())?;
            parse_key(k, what)
        }
        KeySource::Keystore {
            path,
            password_file,
        } => {
            let password = password(password_file.as_deref(), path)?;
            decrypt(path, &password)
        }
    }
}

/// A plain key file must be readable by its owner only (as ssh insists for private keys).
fn check_file_mode(path: &str) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let p = Path::new(path);
        if looks_like_hex(path) || !p.is_file() {
            return Ok(());
        }
        let mode = std::fs::metadata(p)
            .map_err(|e| Error::Key {
                what: format!("key file {path}"),
                reason: e.to_string(),
            })?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(Error::Key {
                what: format!("key file {path}"),
                reason: format!(
                    "readable by other users (mode {:o}); run `chmod 600 {path}` or use an encrypted keystore (`spn key import`)",
                    mode & 0o777
                ),
            });
        }
    }
    Ok(())
}

/// The password of `keystore`: the first line of `file`, or typed at a prompt.
pub fn password(file: Option<&Path>, keystore: &Path) -> Result<String> {
    match file {
        Some(f) => {
            let text = std::fs::read_to_string(f).map_err(|e| Error::Key {
                what: format!("password file {}", f.display()),
                reason: e.to_string(),
            })?;
            Ok(text.lines().next().unwrap_or_default().to_string())
        }
        None => {
            if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                return Err(Error::Key {
                    what: format!("keystore {}", keystore.display()),
                    reason: "no --password-file and no terminal to ask on".into(),
                });
            }
            rpassword::prompt_password(format!("password for {}: ", keystore.display())).map_err(
                |e| Error::Key {
                    what: format!("keystore {}", keystore.display()),
                    reason: format!("reading the password: {e}"),
                },
            )
        }
    }
}

/// Decrypts a web3 secret storage keystore.
pub fn decrypt(path: &Path, password: &str) -> Result<StakingKey> {
    let bad = |reason: String| Error::Key {
        what: format!("keystore {}", path.display()),
        reason,
    };
    if !path.is_file() {
        return Err(bad("no such file".into()));
    }
    let signer = PrivateKeySigner::decrypt_keystore(path, password).map_err(|e| {
        let msg = e.to_string();
        if msg.contains("Mac Mismatch") || msg.to_lowercase().contains("mac") {
            bad("wrong password".into())
        } else {
            bad(msg)
        }
    })?;
    StakingKey::from_slice(&signer.to_bytes().0).map_err(|e| bad(e.to_string()))
}

/// Writes `key` (a new random key when `None`) encrypted with `password` into `dir` as
/// `<address>.json`; returns the file and the address.
pub fn encrypt(dir: &Path, password: &str, key: Option<&StakingKey>) -> Result<(PathBuf, Address)> {
    let bad = |reason: String| Error::Key {
        what: format!("keystore directory {}", dir.display()),
        reason,
    };
    std::fs::create_dir_all(dir).map_err(|e| bad(e.to_string()))?;
    let mut rng = rand::thread_rng();
    let secret: B256 = match key {
        Some(k) => k.secret_bytes(),
        None => {
            let s = PrivateKeySigner::random_with(&mut rng);
            s.to_bytes()
        }
    };
    let address = StakingKey::from_bytes(&secret)
        .map_err(|e| bad(e.to_string()))?
        .address();
    let name = format!("{address}.json");
    if dir.join(&name).exists() {
        return Err(bad(format!("{name} exists already")));
    }
    PrivateKeySigner::encrypt_keystore(dir, &mut rng, secret, password, Some(&name))
        .map_err(|e| bad(e.to_string()))?;
    let path = dir.join(name);
    #[cfg(unix)]
    {
        // Encrypted, but nobody else needs to read it either.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| bad(e.to_string()))?;
    }
    Ok((path, address))
}
