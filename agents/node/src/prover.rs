//! Proving backends: the cost model's simulated delay (the default), or an external command.
//!
//! An external command (`--prover.command "<program> [args]"`) is started once per job. It
//! reads the job as one JSON object on stdin,
//! `{"blockHash","job","round","level","index","inputs":["0x..32 bytes", ...]}` (the `2^h` nodes
//! under the job's subtree, leaves in round 1), and writes one JSON object on stdout,
//! `{"output":"0x..32 bytes","seconds":f64}`. A run that times out, exits non-zero, prints
//! anything else, or computes an output other than the known subtree root is an error: the job
//! is not signed, and the protocol's fill and fallback rules cover it.

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_primitives::B256;
use serde::{Deserialize, Serialize};
use spn_core::io::ProveTask;
use spn_core::proving::short_hash;
use spn_core::Input;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Semaphore;

use crate::telemetry::Telemetry;

/// Largest answer read from a backend's stdout (one small JSON object); more is malformed.
const MAX_ANSWER: u64 = 64 * 1024;
/// Largest part of a failing backend's stderr quoted in the error.
const MAX_STDERR: u64 = 1024;

/// Default limit on one external proving run.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// How jobs are proven.
#[derive(Debug, Clone, Default)]
pub enum ProverBackend {
    /// Wait the cost model's simulated time (nothing is computed).
    #[default]
    Simulated,
    /// Run an external command per job.
    Command(CommandProver),
}

impl ProverBackend {
    /// Proves job `job` of block `hash` (the simulated backend waits `seconds`); the answer for
    /// the core, or none when the run failed: the error is logged with the job and counted, and
    /// nothing is signed (the fill and fallback rules cover the job).
    pub async fn prove_job(
        &self,
        hash: B256,
        job: u32,
        seconds: f64,
        task: &ProveTask,
        telemetry: &Telemetry,
        agent: &str,
    ) -> Option<Input> {
        let output = match self {
            ProverBackend::Simulated => {
                tokio::time::sleep(crate::cost::seconds(seconds)).await;
                None
            }
            ProverBackend::Command(cmd) => match cmd.prove(hash, job, task).await {
                Ok(p) => {
                    telemetry.prover_ok(p.elapsed);
                    tracing::debug!(target: "spn::prover", agent, "job {job} of {} proven by {} in {:.3} s", short_hash(hash), cmd.program(), p.elapsed.as_secs_f64());
                    Some(p.output)
                }
                Err(e) => {
                    telemetry.prover_failed(e.kind());
                    tracing::error!(target: "spn::prover", agent, "job {job} of block {}: {}: {e}; not signed", short_hash(hash), cmd.program());
                    return None;
                }
            },
        };
        Some(Input::Proved { hash, job, output })
    }
}

/// An external proving command.
#[derive(Debug, Clone)]
pub struct CommandProver {
    program: String,
    args: Vec<String>,
    timeout: Duration,
    /// Runs at once: one per core, so that a burst of jobs (a proposer's fallback) queues
    /// instead of starting dozens of processes that all time out together.
    slots: Arc<Semaphore>,
}

/// Why an external proving run produced no output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProverError {
    /// The program could not be started or fed.
    #[error("running `{program}`: {reason}")]
    Spawn {
        /// The program.
        program: String,
        /// The OS error.
        reason: String,
    },
    /// No answer within the timeout (the process is killed).
    #[error("no answer within {0:?} (killed)")]
    Timeout(Duration),
    /// The program exited unsuccessfully.
    #[error("exited with {status}: {stderr}")]
    Exit {
        /// Exit status.
        status: String,
        /// The start of its stderr.
        stderr: String,
    },
    /// Its stdout was not one `{"output","seconds"}` object.
    #[error("malformed answer: {0}")]
    Malformed(String),
    /// It computed another output than the job's known subtree root.
    #[error("wrong output {got}, expected {expected}")]
    WrongOutput {
        /// The subtree root.
        expected: B256,
        /// What the backend answered.
        got: B256,
    },
}

impl ProverError {
    /// A short name of the failure, for metrics labels.
    pub fn kind(&self) -> &'static str {
        match self {
            ProverError::Spawn { .. } => "spawn",
            ProverError::Timeout(_) => "timeout",
            ProverError::Exit { .. } => "exit",
            ProverError::Malformed(_) => "malformed",
            ProverError::WrongOutput { .. } => "wrong_output",
        }
    }
}

/// What a backend reports for one job.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Proof {
    /// The job's output (checked against the known root).
    pub output: B256,
    /// Seconds the backend says it took.
    pub seconds: f64,
    /// Wall time of the whole run, process start to exit.
    pub elapsed: Duration,
}

/// The job as the backend reads it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Request<'a> {
    block_hash: B256,
    job: u32,
    round: u32,
    level: u32,
    index: u32,
    inputs: &'a [B256],
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Answer {
    output: B256,
    seconds: f64,
}

impl CommandProver {
    /// Parses `"<program> [args]"` (split at whitespace; no shell quoting), with the
    /// [`DEFAULT_TIMEOUT`] per job. The program must exist (a path, or a name on `PATH`): a typo
    /// is refused at start, not at the first job.
    pub fn parse(command: &str) -> Result<Self, String> {
        let mut words = command.split_whitespace().map(str::to_string);
        let program = words
            .next()
            .ok_or_else(|| "--prover.command is empty".to_string())?;
        if !program_exists(&program) {
            return Err(format!("program {program} not found"));
        }
        let timeout = DEFAULT_TIMEOUT;
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Ok(Self {
            program,
            args: words.collect(),
            timeout,
            slots: Arc::new(Semaphore::new(cores.max(2))),
        })
    }

    /// The same command with another per-job limit (at least a millisecond).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The program run.
    pub fn program(&self) -> &str {
        &self.program
    }

    /// Proves job `job` of block `hash`: runs the command once, and checks its answer against
    /// the task's known output.
    pub async fn prove(
        &self,
        hash: B256,
        job: u32,
        task: &ProveTask,
    ) -> Result<Proof, ProverError> {
        // The semaphore is never closed.
        let _slot = self.slots.acquire().await.ok();
        let started = Instant::now();
        let request = serde_json::to_vec(&Request {
            block_hash: hash,
            job,
            round: task.round,
            level: task.level,
            index: task.index,
            inputs: &task.inputs,
        })
        .map_err(|e| ProverError::Malformed(format!("encoding the request: {e}")))?;
        let spawn_err = |e: std::io::Error| ProverError::Spawn {
            program: self.program.clone(),
            reason: e.to_string(),
        };
        // Killed when dropped: on timeout, and if the agent stops mid-job.
        let mut child = tokio::process::Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(spawn_err)?;
        let (Some(mut stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(ProverError::Spawn {
                program: self.program.clone(),
                reason: "no pipes".into(),
            });
        };
        let run = async {
            // Written concurrently with reading: a backend may answer before reading everything.
            let write = async {
                // A backend that exits without reading is judged by its exit and answer.
                let _ = stdin.write_all(&request).await;
                drop(stdin);
            };
            let ((), out, err) = tokio::join!(
                write,
                read_capped(stdout, MAX_ANSWER + 1),
                read_capped(stderr, MAX_STDERR)
            );
            let out = out.map_err(spawn_err)?;
            let status = child.wait().await.map_err(spawn_err)?;
            Ok::<_, ProverError>((status, out, err.unwrap_or_default()))
        };
        let (status, out, err) = tokio::time::timeout(self.timeout, run)
            .await
            .map_err(|_| ProverError::Timeout(self.timeout))??;
        if !status.success() {
            let stderr = String::from_utf8_lossy(&err);
            return Err(ProverError::Exit {
                status: status.to_string(),
                stderr: one_line(&stderr),
            });
        }
        if out.len() as u64 > MAX_ANSWER {
            return Err(ProverError::Malformed(format!(
                "more than {MAX_ANSWER} bytes"
            )));
        }
        let answer: Answer = serde_json::from_slice(&out).map_err(|e| {
            ProverError::Malformed(format!("{e}: {}", one_line(&String::from_utf8_lossy(&out))))
        })?;
        if !answer.seconds.is_finite() || answer.seconds < 0.0 {
            return Err(ProverError::Malformed(format!(
                "seconds {} is not a duration",
                answer.seconds
            )));
        }
        if answer.output != task.output {
            return Err(ProverError::WrongOutput {
                expected: task.output,
                got: answer.output,
            });
        }
        Ok(Proof {
            output: answer.output,
            seconds: answer.seconds,
            elapsed: started.elapsed(),
        })
    }
}

/// Whether `program` names a file: a path, or a name in a `PATH` directory.
fn program_exists(program: &str) -> bool {
    if program.contains('/') {
        return std::path::Path::new(program).is_file();
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(program).is_file()))
}

/// Reads `r` to its end, keeping the first `cap` bytes: a chatty backend is drained, not
/// blocked on a full pipe.
async fn read_capped(
    mut r: impl tokio::io::AsyncRead + Unpin,
    cap: u64,
) -> std::io::Result<Vec<u8>> {
    let mut kept = Vec::new();
    (&mut r).take(cap).read_to_end(&mut kept).await?;
    tokio::io::copy(&mut r, &mut tokio::io::sink()).await?;
    Ok(kept)
}

/// The first line of `s`, at most 200 characters (errors stay one line).
fn one_line(s: &str) -> String {
    let line = s.trim().lines().next().unwrap_or("").trim();
    let mut cut: String = line.chars().take(200).collect();
    if cut.len() < line.len() {
        cut.push('…');
    }
    if cut.is_empty() {
        "(nothing)".into()
    } else {
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse() {
        let c = CommandProver::parse("  python3 prove.py --fast ").unwrap();
        assert_eq!(c.program(), "python3");
        assert_eq!(c.args, ["prove.py", "--fast"]);
        assert_eq!(c.timeout, DEFAULT_TIMEOUT);
        assert!(CommandProver::parse("   ").is_err());
        assert_eq!(
            CommandProver::parse("/nonexistent/prover").unwrap_err(),
            "program /nonexistent/prover not found"
        );
        assert!(CommandProver::parse("no-such-prover-on-path --x").is_err());
        assert_eq!(
            c.with_timeout(Duration::ZERO).timeout,
            Duration::from_millis(1)
        );
    }

    #[test]
    fn errors_stay_one_line() {
        assert_eq!(one_line("\n  first\nsecond"), "first");
        assert_eq!(one_line(""), "(nothing)");
        assert_eq!(one_line(&"x".repeat(300)).chars().count(), 201);
    }
}
