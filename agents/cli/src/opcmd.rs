//! `spn stake register|exit|withdraw`, `spn claim` and `spn status`: an operator's staking commands and a
//! look at a key's state, duties and rewards. Tables for people, `--json` for scripts.

use alloy_primitives::Address;
use clap::{Args, Subcommand};
use spn_node::operator::{self, Connected};
use spn_node::{keys, runner, Result};

use crate::cli::{KeyFlags, L1Args, TxArgs};

/// Flags of `spn stake`.
#[derive(Debug, Args)]
pub(crate) struct StakeArgs {
    #[command(subcommand)]
    pub(crate) command: StakeCommand,
}

/// What every `spn stake` subcommand takes.
#[derive(Debug, Args)]
pub(crate) struct StakeCommon {
    #[command(flatten)]
    pub(crate) l1: L1Args,
    /// The signing key: the staking key to register, or the withdrawer's key to exit and withdraw.
    #[command(flatten)]
    pub(crate) keys: KeyFlags,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) tx: TxArgs,
}

/// `spn stake` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum StakeCommand {
    /// Approve and deposit the stake from the key (it must hold `stakeAmount` of the stake token);
    /// with a training wheel, also register the BLS key derived from it (with its proof of
    /// possession).
    Register {
        /// Who may exit, withdraw and receives the rewards (default: the key itself).
        #[arg(long)]
        withdrawer: Option<Address>,
        #[command(flatten)]
        common: StakeCommon,
    },
    /// Start the exit of a staking key (signed by its withdrawer).
    Exit {
        /// The staking key.
        #[arg(long)]
        staker: Address,
        #[command(flatten)]
        common: StakeCommon,
    },
    /// Withdraw the stake of an exited key once the delay is over (signed by its withdrawer).
    Withdraw {
        /// The staking key.
        #[arg(long)]
        staker: Address,
        /// Where the stake goes (default: the withdrawer).
        #[arg(long)]
        recipient: Option<Address>,
        #[command(flatten)]
        common: StakeCommon,
    },
}

/// Flags of `spn status`.
#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    pub(crate) l1: L1Args,
    /// The key to report on, by address (no key needed).
    #[arg(long, env = "SPN_ADDRESS", conflicts_with_all = ["keystore", "key"])]
    pub(crate) address: Option<Address>,
    /// Or by its keystore or raw key.
    #[command(flatten)]
    pub(crate) keys: KeyFlags,
    /// Print the status as JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Flags of `spn claim`.
#[derive(Debug, Args)]
pub(crate) struct ClaimArgs {
    #[command(flatten)]
    pub(crate) l1: L1Args,
    /// The staking key whose shares are claimed (claims are sent from it).
    #[command(flatten)]
    pub(crate) keys: KeyFlags,
    /// Where the tokens go (default: the key's withdrawer).
    #[arg(long, env = "SPN_CLAIM_RECIPIENT")]
    pub(crate) recipient: Option<Address>,
    /// Blocks per claim transaction.
    #[arg(long, env = "SPN_CLAIM_BATCH_SIZE", default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub(crate) batch: u16,
    /// First L1 block to look for proven blocks in (default: the deployment block).
    #[arg(long = "from-block", env = "SPN_CLAIM_FROM_BLOCK")]
    pub(crate) from_block: Option<u64>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

impl ClaimArgs {
    /// Runs the command.
    pub(crate) async fn run(&self) -> Result<()> {
        let key = keys::require(self.keys.source().as_ref())?;
        let c = connect(&self.l1).await?;
        let recipient = match self.recipient {
            Some(r) => r,
            None => {
                let s = operator::status(&c, Some(key.address())).await?;
                match s.key {
                    Some(k) if k.registered => k.withdrawer,
                    _ => key.address(),
                }
            }
        };
        let out = operator::claim(
            &c,
            &key,
            recipient,
            usize::from(self.batch),
            self.from_block,
        )
        .await?;
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&out).expect("serialisable")
            );
        } else {
            println!(
                "claimed {} to {} for {} blocks {:?} in {} transactions ({} proven blocks read, {} claimed before)",
                out.amount,
                out.recipient,
                out.blocks_claimed.len(),
                out.blocks_claimed,
                out.transactions.len(),
                out.blocks_scanned,
                out.already_claimed
            );
        }
        Ok(())
    }
}

async fn connect(l1: &L1Args) -> Result<Connected> {
    runner::connect(&l1.rpc_url, l1.deployment.as_deref(), &l1.deployments_dir).await
}

impl StakeArgs {
    /// Runs the command.
    pub(crate) async fn run(&self) -> Result<()> {
        let common = match &self.command {
            StakeCommand::Register { common, .. }
            | StakeCommand::Exit { common, .. }
            | StakeCommand::Withdraw { common, .. } => common,
        };
        let key = keys::require(common.keys.source().as_ref())?;
        let mut c = connect(&common.l1).await?;
        c.tx = common.tx.policy();
        let out = match &self.command {
            StakeCommand::Register { withdrawer, .. } => {
                operator::register(&c, &key, *withdrawer).await?
            }
            StakeCommand::Exit { staker, .. } => operator::exit(&c, &key, *staker).await?,
            StakeCommand::Withdraw {
                staker, recipient, ..
            } => operator::withdraw(&c, &key, *staker, recipient.unwrap_or(key.address())).await?,
        };
        if common.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&out).expect("serialisable")
            );
        } else {
            println!(
                "{} {}: withdrawer {}, active from epoch {}, exit epoch {}, stake {}, BLS key {}",
                out.action,
                out.key,
                out.withdrawer,
                out.activation_epoch,
                exit(out.exit_epoch),
                out.stake,
                if out.bls_key_registered {
                    "registered"
                } else {
                    "none"
                }
            );
        }
        Ok(())
    }
}

fn exit(e: u64) -> String {
    if e == spn_protocol::time::NO_EXIT {
        "none".into()
    } else {
        e.to_string()
    }
}

impl StatusArgs {
    /// Runs the command.
    pub(crate) async fn run(&self) -> Result<()> {
        let who = match (self.address, self.keys.source()) {
            (Some(a), _) => Some(a),
            (None, Some(s)) => Some(keys::load(&s, "--key / SPN_KEY")?.address()),
            (None, None) => None,
        };
        let c = connect(&self.l1).await?;
        let s = operator::status(&c, who).await?;
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&s).expect("serialisable")
            );
            return Ok(());
        }
        println!("chain {} rollup {}", s.chain_id, s.rollup);
        println!(
            "slot {} epoch {}  pending tip {}  proven tip {}",
            s.slot, s.epoch, s.pending_tip, s.proven_tip
        );
        println!(
            "stakers {}  attestation committee ~{} (quorum {})",
            s.active_stakers, s.expected_attesters, s.attestation_quorum
        );
        if let Some(w) = &s.training_wheel {
            println!(
                "training wheel: {} bps of the round-1 committee until block {} ({} for the next block)",
                w.bps,
                w.until,
                if w.on { "on" } else { "off" }
            );
        }
        if let Some(k) = &s.key {
            if !k.registered {
                println!("key {}: not registered (spn stake register)", k.address);
                return Ok(());
            }
            println!(
                "key {}: {}  withdrawer {}  active from epoch {}  exit {}  stake {}",
                k.address,
                if k.active { "active" } else { "inactive" },
                k.withdrawer,
                k.activation_epoch,
                exit(k.exit_epoch),
                k.stake
            );
            println!(
                "inactivity: {} strikes, pending report {}",
                k.strikes,
                if k.pending_report == 0 {
                    "none".into()
                } else {
                    format!("for block {}", k.pending_report)
                }
            );
            println!("rewards owed to the withdrawer: {}", k.rewards_owed);
            match (&s.training_wheel, k.bls_key_registered) {
                (_, true) => println!(
                    "BLS key: registered {}",
                    k.bls_public_key.as_deref().unwrap_or("")
                ),
                (Some(_), false) => {
                    println!("BLS key: not registered (spn node registers it at start)")
                }
                (None, false) => println!("BLS key: not registered (no training wheel)"),
            }
            println!(
                "this epoch: may sequence in slots {:?}; on the round-1 committee in slots {:?}",
                k.sequencer_slots, k.committee_slots
            );
        }
        Ok(())
    }
}
