//! `spn sim`: the deterministic simulator (`spn-sim`), with the built-in scenarios or a TOML
//! file; a table or JSON on stdout, progress on stderr when it is a terminal.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;
use spn_sim::scenario::{Mode, BUILT_IN};
use spn_sim::{Scenario, Sim};

/// Flags of `spn sim`.
#[derive(Debug, Args)]
pub(crate) struct SimArgs {
    /// A built-in scenario (see --list) or a TOML file.
    #[arg(long, env = "SPN_SIM_SCENARIO", required_unless_present = "list")]
    pub(crate) scenario: Option<String>,
    /// Seed of every random draw: the same seed gives a byte-identical report.
    #[arg(long, env = "SPN_SIM_SEED", default_value_t = 1)]
    pub(crate) seed: u64,
    /// Run this many slots instead of the scenario's.
    #[arg(long, env = "SPN_SIM_SLOTS")]
    pub(crate) slots: Option<u64>,
    /// List the built-in scenarios.
    #[arg(long)]
    pub(crate) list: bool,
    /// Print the report as JSON on stdout.
    #[arg(long, env = "SPN_SIM_JSON")]
    pub(crate) json: bool,
    /// Where the compiled contracts are cached.
    #[arg(long = "work-dir", env = "SPN_SIM_WORK_DIR")]
    pub(crate) work_dir: Option<PathBuf>,
}

impl SimArgs {
    /// Runs the command; Ok(false) when the scenario's expectations failed.
    pub(crate) fn run(&self) -> Result<bool, String> {
        if self.list {
            for (name, text) in BUILT_IN {
                let s = Scenario::parse(text, name)?;
                println!("{name:<22} {}", s.description);
            }
            return Ok(true);
        }
        let name = self.scenario.as_deref().unwrap_or_default();
        let mut sc = Scenario::load(name)?;
        if let Some(s) = self.slots {
            if s == 0 {
                return Err("--slots must be at least 1".into());
            }
            sc.slots = s;
        }
        let json = if sc.mode == Mode::Statistical {
            let report = spn_sim::stat::run(&sc, self.seed)?;
            if self.json {
                serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
            } else {
                spn_sim::stat::table(&report)
            }
        } else {
            let work_dir = self
                .work_dir
                .clone()
                .unwrap_or_else(spn_sim::default_work_dir);
            let mut sim = Sim::new(sc, self.seed, &work_dir)?;
            if std::io::stderr().is_terminal() {
                sim.on_progress(|done, total| {
                    let width = 40usize;
                    let filled = (done as usize * width) / total.max(1) as usize;
                    eprint!(
                        "\r[{}{}] slot {done}/{total}",
                        "#".repeat(filled),
                        " ".repeat(width - filled)
                    );
                    if done == total {
                        eprintln!();
                    }
                    let _ = std::io::stderr().flush();
                });
            }
            let report = sim.run()?;
            let passed = report.passed();
            let out = if self.json {
                serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
            } else {
                report.table()
            };
            println!("{}", out.trim_end());
            return Ok(passed);
        };
        println!("{}", json.trim_end());
        Ok(true)
    }
}
