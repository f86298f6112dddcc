//! Integration tests of the `spn` binary: bad input (one-line errors, non-zero exit) and whole
//! devnet runs against a real anvil on 127.0.0.1 (started by the binary, stopped at its end).

mod cli;
mod devnet;
mod l1_faults;
mod model;
mod sim;

use std::path::PathBuf;
use std::process::{Command, Output};

/// The built binary.
pub(crate) fn spn() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_spn"));
    // Tests set every input explicitly; none may leak in from the caller's environment.
    for (k, _) in std::env::vars() {
        if k.starts_with("SPN_") && k != "SPN_ANVIL" {
            c.env_remove(k);
        }
    }
    c.env("SPN_LOG", "warn");
    // An agent's default data directory (and anvil's state) is under HOME: never the caller's.
    // One fixed directory, reused by every run, so runs leave nothing new behind.
    c.env("HOME", std::env::temp_dir().join("spn-test-home"));
    c
}

/// Runs and returns (exit code, stdout, stderr).
pub(crate) fn run(mut c: Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = c.output().expect("spawn spn");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// The repository root.
pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// anvil from the project's install.
pub(crate) fn anvil_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("SPN_ANVIL") {
        return PathBuf::from(p);
    }
    let p = repo().join("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    assert!(
        p.is_file(),
        "anvil not installed at {} (run `make install`)",
        p.display()
    );
    p
}

/// A valid key (anvil's first account).
pub(crate) const KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
