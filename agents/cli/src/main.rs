//! The `spn` binary.

mod cli;
mod keycmd;
mod model;
mod opcmd;
mod sim;

use std::process::ExitCode;

use clap::Parser;
use cli::{Cli, Commands};
use spn_node::runner::{self, Role};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let argv = match cli::merge_config(std::env::args_os().collect()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let cli = match Cli::try_parse_from(argv) {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            // One line: clap's first line names the problem ("error: unexpected argument '--x' found").
            eprintln!(
                "{} (see `spn --help`)",
                cli::one_line(&e.render().to_string())
            );
            return ExitCode::from(2);
        }
    };
    // The model is pure arithmetic: no runtime, nothing logged, stdout only for the report.
    if let Commands::Model(args) = &cli.command {
        return match args.run() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {}", cli::one_line(&e));
                ExitCode::from(2)
            }
        };
    }
    // Keystores are local files: no runtime, no logs.
    if let Commands::Key(args) = &cli.command {
        return match args.run() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {}", cli::one_line(&e));
                ExitCode::from(2)
            }
        };
    }
    // The simulator runs on one thread with a simulated clock: no runtime either.
    if let Commands::Sim(args) = &cli.command {
        // Thousands of agents at `info` would bury the report: warnings unless asked.
        let level = if cli.log == "info" {
            "warn"
        } else {
            cli.log.as_str()
        };
        init_logs(level, "warn", cli.log_format);
        return match args.run() {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => {
                eprintln!("error: the scenario's expectations failed (see `check` in the report)");
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("error: {}", cli::one_line(&e));
                ExitCode::from(2)
            }
        };
    }
    init_logs(&cli.log, "info", cli.log_format);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(run(cli))
}

/// Logs on stderr: compact lines for people (colour only on a terminal), or one JSON object per
/// line for log collectors.
fn init_logs(filter: &str, fallback: &str, format: cli::LogFormat) {
    use std::io::IsTerminal;
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new(fallback));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true);
    match format {
        cli::LogFormat::Human => builder
            .with_ansi(std::io::stderr().is_terminal())
            .compact()
            .init(),
        cli::LogFormat::Json => builder.json().init(),
    }
}

async fn shutdown() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("signal handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Commands::Devnet(args) => {
            let cfg = args.config();
            // On SIGINT/SIGTERM the devnet is dropped: anvil killed, its deployment file removed.
            match spn_node::devnet::run_until_signal(cfg).await {
                Ok(None) => {
                    eprintln!("interrupted: devnet stopped, anvil killed, deployment file removed");
                    return ExitCode::from(130);
                }
                Ok(Some(report)) => {
                    if args.json {
                        println!(
                            "{}",
                            serde_json::to_string_pretty(&report).expect("serialisable")
                        );
                    } else {
                        println!("{}", report.table());
                    }
                    Ok(report.blocks_proven >= report.blocks_target)
                }
                Err(e) => Err(e),
            }
        }
        Commands::Sequencer(a) => agent(a.config(Role::Sequencer)).await,
        Commands::Prover(a) => agent(a.config(Role::Prover)).await,
        Commands::Node(a) => agent(a.config(Role::Node)).await,
        Commands::Submitter(a) => agent(a.config(Role::Submitter)).await,
        Commands::Stake(a) => a.run().await.map(|_| true),
        Commands::Status(a) => a.run().await.map(|_| true),
        Commands::Claim(a) => a.run().await.map(|_| true),
        Commands::Model(_) | Commands::Sim(_) | Commands::Key(_) => {
            unreachable!("handled before the runtime starts")
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("error: the devnet did not prove the requested number of blocks");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {}", cli::one_line(&e.to_string()));
            ExitCode::FAILURE
        }
    }
}

async fn agent(cfg: runner::NodeConfig) -> spn_node::Result<bool> {
    tokio::select! {
        r = runner::run(cfg) => r.map(|_| true),
        _ = shutdown() => Ok(true),
    }
}
