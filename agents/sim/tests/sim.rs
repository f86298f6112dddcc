//! The simulator end to end: the contracts in revm, every agent's core, and the built-in
//! scenarios in short versions, each asserting the outcome it exists to show.

use std::path::PathBuf;

use spn_sim::scenario::{Mode, BUILT_IN};
use spn_sim::{Report, Scenario, Sim};

fn work_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("spn-sim-contracts")
}

fn run(sc: Scenario, seed: u64) -> Report {
    Sim::new(sc, seed, &work_dir()).unwrap().run().unwrap()
}

fn short(name: &str, slots: u64) -> Scenario {
    let mut sc = Scenario::load(name).unwrap();
    sc.slots = slots;
    sc
}

#[test]
fn the_same_seed_gives_the_same_report_and_another_seed_another() {
    let mut sc = short("loss-5", 3);
    sc.stakers = 128;
    sc.height = Some(6);
    let a = serde_json::to_string(&run(sc.clone(), 7)).unwrap();
    let b = serde_json::to_string(&run(sc.clone(), 7)).unwrap();
    assert_eq!(a, b);
    let c = run(sc, 8);
    assert_ne!(serde_json::to_string(&c).unwrap(), a);
}

/// The scale target in its CI version: every proposed block proven within the latency targets,
/// and no job left to the proposer's fallback that an online member could have done.
#[test]
fn testnet_2048_meets_its_targets() {
    let r = run(short("testnet-2048-short", 4), 1);
    assert!(r.passed() || r.blocks.proven < 10, "{}", r.table());
    assert!(r.blocks.proposed >= 3, "{}", r.table());
    assert_eq!(r.blocks.proven, r.blocks.proposed, "{}", r.table());
    assert_eq!(r.blocks.pruned, 0);
    assert!(r.latency.p50_ratio <= 1.3, "{}", r.table());
    assert!(r.latency.p99_ratio <= 2.0, "{}", r.table());
    assert_eq!(r.jobs.avoidable_fallback, 0, "{}", r.table());
    assert!(
        r.jobs.neighbour > 0,
        "offline owners were filled: {}",
        r.table()
    );
    assert!(r.gas.submit_proof_mean > 1_000_000, "{}", r.table());
}

/// Without the liveness signal (the rule before the simulator), the same run waits for the
/// proposer's fallback: the scenario that failed before the fix.
#[test]
fn without_the_liveness_signal_blocks_wait_for_the_fallback() {
    let mut sc = short("testnet-2048-short", 3);
    sc.stakers = 1024;
    sc.height = Some(10);
    sc.txs_per_block = 1024;
    sc.liveness = false;
    let before = run(sc.clone(), 1);
    sc.liveness = true;
    let after = run(sc, 1);
    assert!(before.latency.p50_ratio > 2.0, "{}", before.table());
    assert!(after.latency.p50_ratio <= 1.3, "{}", after.table());
    assert!(before.jobs.avoidable_fallback > 0);
    assert_eq!(after.jobs.avoidable_fallback, 0);
}

#[test]
fn crashed_agents_restart_and_every_block_is_still_proven() {
    let r = run(short("crash-restart", 6), 1);
    assert!(r.network.crashes > 0);
    assert_eq!(r.blocks.pruned, 0, "{}", r.table());
    assert_eq!(r.blocks.proven, r.blocks.proposed, "{}", r.table());
}

#[test]
fn a_withheld_body_gets_no_quorum_and_the_chain_goes_on() {
    let r = run(short("withholding", 30), 1);
    assert!(r.blocks.withheld >= 1, "{}", r.table());
    // A withheld body cannot be checked, so nobody attests: the block never reaches L1.
    assert!(r.blocks.no_quorum >= r.blocks.withheld, "{}", r.table());
    assert_eq!(r.blocks.pruned, 0);
    assert_eq!(r.blocks.proven, r.blocks.proposed, "{}", r.table());
    assert!(r.blocks.proven >= 20, "{}", r.table());
}

#[test]
fn a_large_staker_capturing_the_transcript_earns_more_than_its_key_share() {
    let mut sc = short("capture", 4);
    sc.stakers = 512;
    sc.height = Some(9);
    sc.txs_per_block = 512;
    let r = run(sc, 1);
    let l = r.large_staker.clone().expect("a large staker");
    assert!(l.ratio > 1.0, "{}", r.table());
}

#[test]
fn stripping_pays_the_submitter_less_than_the_full_transcript() {
    let strip = run(short("stripping-submitter", 4), 1);
    let mut honest = short("stripping-submitter", 4);
    honest.submitter = "honest".into();
    let honest = run(honest, 1);
    assert_eq!(
        strip.blocks.proven,
        honest.blocks.proven,
        "{}",
        strip.table()
    );
    assert!(strip.jobs.uncredited_per_block > honest.jobs.uncredited_per_block + 10.0);
    assert!(strip.earnings.submitter_tokens < honest.earnings.submitter_tokens);
    assert!(strip.earnings.provers_tokens < honest.earnings.provers_tokens);
}

#[test]
fn lost_gossip_is_recovered_by_request() {
    let r = run(short("loss-5", 5), 1);
    assert!(r.network.lost > 0);
    // Results lost on the way to the submitter make it report members that did work; each one
    // clears the report.
    assert_eq!(
        r.inactivity.cleared,
        r.inactivity.honest_reported,
        "{}",
        r.table()
    );
    assert_eq!(r.inactivity.honest_struck, 0);
    assert_eq!(r.blocks.pruned, 0, "{}", r.table());
    assert_eq!(r.blocks.proven, r.blocks.proposed, "{}", r.table());
}

#[test]
fn every_built_in_scenario_parses_and_bad_files_name_the_problem() {
    for (name, _) in BUILT_IN {
        let sc = Scenario::load(name).unwrap();
        assert_eq!(&sc.name, name);
        assert!(sc.mode == Mode::Statistical || sc.stakers <= 2048);
    }
    let e = Scenario::parse(
        "name = \"x\"\ndescription = \"\"\nstakers = 64\nslots = 1\noffline = 1.5\n",
        "t.toml",
    )
    .unwrap_err();
    assert!(e.contains("offline"), "{e}");
    let e = Scenario::parse(
        "name = \"x\"\ndescription = \"\"\nstakers = 64\nslots = 1\nbogus = 1\n",
        "t.toml",
    )
    .unwrap_err();
    assert!(e.contains("bogus"), "{e}");
    let e = Scenario::load("no-such-scenario").unwrap_err();
    assert!(e.contains("testnet-2048"), "{e}");
}

/// The reporter reports members that published nothing; offline keys are struck and slashed,
/// and every report against a running agent (its results lost in gossip) is cleared with its
/// signed result or its credited leaf, against the real contracts.
#[test]
fn offline_keys_are_bled_and_running_ones_clear_every_report() {
    let r = run(Scenario::load("bleed").unwrap(), 1);
    let i = &r.inactivity;
    assert!(i.struck >= 6, "{}", r.table());
    assert!(i.slashed_tokens > 0.0, "{}", r.table());
    assert_eq!(i.honest_struck, 0, "{}", r.table());
    assert!(
        i.honest_reported > 0,
        "loss made some honest reports: {}",
        r.table()
    );
    assert_eq!(i.cleared, i.honest_reported, "{}", r.table());
    assert!(r.passed(), "{}", r.table());
}

/// A partition cutting 40% of the nodes off for two slots: the far side's work is lost to the
/// near side (and its attestations to the near side's proposers), then the network heals and
/// every proposed block is still proven.
#[test]
fn a_healed_partition_loses_no_block() {
    let mut sc = short("loss-5", 6);
    sc.network.loss = 0.0;
    sc.network.partitions = vec![spn_sim::scenario::Partition {
        from_slot: 1,
        slots: 2,
        share: 0.4,
    }];
    let cut = run(sc.clone(), 1);
    sc.network.partitions.clear();
    let whole = run(sc, 1);
    assert_eq!(cut.blocks.pruned, 0, "{}", cut.table());
    assert_eq!(cut.blocks.proven, cut.blocks.proposed, "{}", cut.table());
    assert_ne!(cut.digest, whole.digest);
    assert!(
        cut.jobs.neighbour + cut.jobs.fallback > whole.jobs.neighbour + whole.jobs.fallback
            || cut.blocks.no_quorum > whole.blocks.no_quorum,
        "the partition changed nothing:\n{}\n{}",
        cut.table(),
        whole.table()
    );
}

/// The training wheel in the simulator: the root result reaches every round-1 member, they
/// sign, and every proven block goes through `submitSignedProof` with its quorum's `required`
/// signers, a tenth of the agents offline notwithstanding.
#[test]
fn the_training_wheel_signs_every_proven_block() {
    let sc = short("training-wheel", 4);
    let bps = sc.training_wheel_bps.unwrap();
    let p = sc.base_params().unwrap();
    let height = sc.height.unwrap();
    let required =
        spn_protocol::bls::Quorum::new(height, p.round_height, p.redundancy, sc.stakers, bps)
            .unwrap()
            .required;
    let r = run(sc, 1);
    assert!(r.blocks.proven >= 3, "{}", r.table());
    assert_eq!(r.blocks.pruned, 0, "{}", r.table());
    assert_eq!(r.gas.signed_proofs, r.blocks.proven, "{}", r.table());
    assert_eq!(r.gas.submit_proof_mean, 0, "{}", r.table());
    assert_eq!(r.gas.mean_bls_signers, required as f64, "{}", r.table());
    assert_eq!(r.network.failed_submissions, 0, "{}", r.table());
    assert!(r.latency.p50_ratio <= 1.3, "{}", r.table());
}
