//! `spn key new|import|address|bls`: encrypted keystores (web3 secret storage, as alloy's local
//! signer and geth read them). Passwords come from `--password-file` or a prompt without echo;
//! a raw key to import comes from `SPN_KEY` (or `--key-file`), never from a flag's value.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use spn_node::keys;

/// Flags of `spn key`.
#[derive(Debug, Args)]
pub(crate) struct KeyArgs {
    #[command(subcommand)]
    pub(crate) command: KeyCommand,
    /// Print the result as JSON on stdout.
    #[arg(long, global = true)]
    pub(crate) json: bool,
}

/// `spn key` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum KeyCommand {
    /// Create a new random key, encrypted, in `--dir` as `<address>.json`.
    New {
        /// Keystore directory.
        #[arg(long, env = "SPN_KEYSTORE_DIR", default_value = "keys")]
        dir: PathBuf,
        /// File whose first line is the new password (otherwise asked twice).
        #[arg(long = "password-file", env = "SPN_PASSWORD_FILE")]
        password_file: Option<PathBuf>,
    },
    /// Encrypt an existing raw key (from `SPN_KEY`, or `--key-file`) into `--dir`.
    Import {
        /// Keystore directory.
        #[arg(long, env = "SPN_KEYSTORE_DIR", default_value = "keys")]
        dir: PathBuf,
        /// File holding the raw key (64 hex digits); otherwise the `SPN_KEY` variable.
        #[arg(long = "key-file")]
        key_file: Option<PathBuf>,
        /// File whose first line is the new password (otherwise asked twice).
        #[arg(long = "password-file", env = "SPN_PASSWORD_FILE")]
        password_file: Option<PathBuf>,
    },
    /// Decrypt a keystore and print its address.
    Address {
        /// The keystore file.
        #[arg(long, env = "SPN_KEYSTORE")]
        keystore: PathBuf,
        /// File whose first line is the password (otherwise asked).
        #[arg(long = "password-file", env = "SPN_PASSWORD_FILE")]
        password_file: Option<PathBuf>,
    },
    /// Print, as JSON, the BLS key derived from a staking key (the training wheel's signing key)
    /// and its proof of possession: the two arguments of `Staking.registerBlsKey`, which
    /// `spn node` sends itself when the deployment has a training wheel.
    Bls {
        #[command(flatten)]
        keys: crate::cli::KeyFlags,
    },
}

fn new_password(file: Option<&Path>, dir: &Path) -> Result<String, String> {
    if let Some(f) = file {
        let p = keys::password(Some(f), dir).map_err(|e| e.to_string())?;
        if p.is_empty() {
            return Err(format!(
                "password file {}: the first line is empty",
                f.display()
            ));
        }
        return Ok(p);
    }
    let first = keys::password(None, dir).map_err(|e| e.to_string())?;
    let again = rpassword_confirm()?;
    if first != again {
        return Err("the passwords differ".into());
    }
    if first.is_empty() {
        return Err("empty password".into());
    }
    Ok(first)
}

fn rpassword_confirm() -> Result<String, String> {
    keys::password(None, Path::new("(again)")).map_err(|e| e.to_string())
}

impl KeyArgs {
    /// Runs the command.
    pub(crate) fn run(&self) -> Result<(), String> {
        let (path, address) = match &self.command {
            KeyCommand::Bls { keys: flags } => {
                let key = keys::require(flags.source().as_ref()).map_err(|e| e.to_string())?;
                println!("{}", bls_json(&key));
                return Ok(());
            }
            KeyCommand::New { dir, password_file } => {
                let pw = new_password(password_file.as_deref(), dir)?;
                keys::encrypt(dir, &pw, None).map_err(|e| e.to_string())?
            }
            KeyCommand::Import {
                dir,
                key_file,
                password_file,
            } => {
                let raw = match key_file {
                    Some(f) => f.display().to_string(),
                    None => std::env::var("SPN_KEY").map_err(|_| {
                        "no key to import: set SPN_KEY or pass --key-file".to_string()
                    })?,
                };
                let what = if key_file.is_some() {
                    "--key-file"
                } else {
                    "SPN_KEY"
                };
                let key =
                    keys::load(&keys::KeySource::Raw(raw), what).map_err(|e| e.to_string())?;
                let pw = new_password(password_file.as_deref(), dir)?;
                keys::encrypt(dir, &pw, Some(&key)).map_err(|e| e.to_string())?
            }
            KeyCommand::Address {
                keystore,
                password_file,
            } => {
                let key = keys::load(
                    &keys::KeySource::Keystore {
                        path: keystore.clone(),
                        password_file: password_file.clone(),
                    },
                    "--keystore",
                )
                .map_err(|e| e.to_string())?;
                (keystore.clone(), key.address())
            }
        };
        if self.json {
            println!(
                "{}",
                serde_json::json!({ "address": address.to_string(), "keystore": path.display().to_string() })
            );
        } else {
            println!("{address}  {}", path.display());
        }
        Ok(())
    }
}

/// The BLS key of `key` as `spn key bls` prints it: the 96-byte public key `x ‖ y` and the
/// 192-byte proof of possession in EIP-2537 order, as `registerBlsKey` takes them, with the
/// 48-byte compressed key (the proof's message).
pub(crate) fn bls_json(key: &spn_protocol::StakingKey) -> serde_json::Value {
    let bls = spn_protocol::BlsSecretKey::derive(key);
    let pk = bls.public_key();
    serde_json::json!({
        "address": key.address().to_string(),
        "publicKey": pk.to_bytes().to_string(),
        "publicKeyCompressed": pk.compress().to_string(),
        "publicKeyHash": pk.hash().to_string(),
        "proofOfPossession": bls.pop().to_eip2537().to_string(),
    })
}
