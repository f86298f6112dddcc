//! anvil from the project's own install, on 127.0.0.1 at a free port, killed when dropped.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::error::{Error, Result};

/// Where the project installs anvil (npm, `make install`).
const ANVIL_IN_REPO: &str = "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil";

/// Finds anvil: an explicit path (`--anvil` / `SPN_ANVIL`, which the Makefile exports), else
/// the project's install found from the current directory upwards, else from the workspace
/// this binary was built in.
pub fn find_anvil(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        if p.is_file() {
            return Ok(p.to_path_buf());
        }
        return Err(Error::Anvil(format!("no anvil at {}", p.display())));
    }
    if let Some(root) = workspace_root() {
        let p = root.join(ANVIL_IN_REPO);
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(Error::Anvil(format!(
        "anvil not found (run `make install` for {ANVIL_IN_REPO}, or set SPN_ANVIL)"
    )))
}

/// The repository root: the first ancestor of the current directory holding `foundry.toml`,
/// else the workspace this crate was built from.
pub fn workspace_root() -> Option<PathBuf> {
    if let Ok(cwd) = std::env::current_dir() {
        for dir in cwd.ancestors() {
            if dir.join("foundry.toml").is_file() {
                return Some(dir.to_path_buf());
            }
        }
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    built
        .join("foundry.toml")
        .is_file()
        .then(|| built.canonicalize().unwrap_or(built))
}

/// A running anvil.
#[derive(Debug)]
pub struct Anvil {
    child: Child,
    port: u16,
}

impl Anvil {
    /// Starts anvil on 127.0.0.1 (the OS picks the port) with automatic mining.
    pub async fn start(bin: &Path, chain_id: u64) -> Result<Self> {
        let mut child = Command::new(bin)
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--accounts",
                "1",
                "--balance",
                "1000000",
            ])
            .args(["--chain-id", &chain_id.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| Error::Anvil(format!("cannot start {}: {e}", bin.display())))?;
        let stdout = child.stdout.take().expect("piped");
        let mut lines = BufReader::new(stdout).lines();
        let port = tokio::time::timeout(Duration::from_secs(20), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(rest) = line.split("Listening on ").nth(1) {
                    return rest
                        .trim()
                        .rsplit(':')
                        .next()
                        .and_then(|p| p.parse::<u16>().ok());
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .ok_or_else(|| Error::Anvil("did not report its port".into()))?;
        // Keep draining stdout so anvil never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self { child, port })
    }

    /// HTTP endpoint.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops anvil and waits for it.
    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}
