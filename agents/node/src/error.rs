//! The node's error type: every variant renders as one line an operator can act on.

use std::path::PathBuf;

/// Result with [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Everything that can stop an agent or the devnet.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The L1 RPC endpoint did not answer (connection refused, bad URL, timeout).
    #[error("cannot reach the L1 RPC at {url}: {reason}")]
    RpcUnreachable {
        /// The URL given.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The L1 chain no longer holds the deployment (reset or replaced); the message names the
    /// deployment file and the RPC.
    #[error("{0}")]
    ChainReset(String),
    /// An L1 RPC call failed after the connection was established.
    #[error("L1 RPC {call} failed: {reason}")]
    Rpc {
        /// The call.
        call: String,
        /// What failed.
        reason: String,
    },
    /// No deployment file where one was expected.
    #[error("deployment file {} not found (run `spn devnet`, or deploy with script/Deploy.s.sol, or pass --deployment)", .0.display())]
    DeploymentMissing(PathBuf),
    /// The deployment file could not be parsed.
    #[error("deployment file {}: {reason}", .path.display())]
    DeploymentInvalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A private key could not be parsed.
    #[error("malformed {what}: {reason}")]
    MalformedKey {
        /// Which key (flag and env var).
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A key file, keystore or password cannot be used (missing, unreadable, wrong password,
    /// readable by others).
    #[error("{what}: {reason}")]
    Key {
        /// Which file.
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// A configuration value is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A transaction was rejected or reverted.
    #[error("{what} failed: {reason}")]
    Tx {
        /// What the transaction was for.
        what: String,
        /// Decoded revert reason or RPC error.
        reason: String,
    },
    /// A rule of the protocol crate failed.
    #[error(transparent)]
    Protocol(#[from] spn_protocol::Error),
    /// Starting or talking to anvil failed.
    #[error("anvil: {0}")]
    Anvil(String),
    /// A peer-to-peer operation failed.
    #[error("network: {0}")]
    Network(String),
    /// The data directory cannot be used (unreadable, in use, another deployment's).
    #[error("data directory {}: {reason}", .path.display())]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// File system error.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl Error {
    /// An RPC error for `call`.
    pub fn rpc(call: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        Self::Rpc {
            call: call.into(),
            reason: reason.to_string(),
        }
    }

    /// An I/O error with context.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}
