//! Devnets under L1 faults: a proxy failing a fifth of the agents' RPC requests, and periodic
//! reorgs of anvil's last blocks. No block may be lost and the rewards still match the formulas.

use serde_json::Value;

use super::devnet::{devnet, u};

fn balances_match(r: &Value) {
    assert_eq!(
        r["balances_match"],
        Value::Bool(true),
        "{}",
        r["balance_mismatches"]
    );
}

#[test]
fn a_fifth_of_the_rpc_requests_failing_loses_no_block() {
    let r = devnet(&["--blocks", "4", "--fault.rpc-failures", "20%"]);
    assert!(u(&r, "blocks_proven") >= 4, "{r}");
    assert_eq!(u(&r, "blocks_pruned"), 0);
    assert!(u(&r, "rpc_failures_injected") > 0, "no failure injected");
    // Every injected failure was seen (and retried) by the agents' L1 client.
    assert!(u(&r, "rpc_errors") >= u(&r, "rpc_failures_injected"));
    balances_match(&r);
}

#[test]
fn reorgs_of_depth_3_lose_no_block() {
    let r = devnet(&[
        "--blocks",
        "4",
        "--fault.reorg-depth",
        "3",
        "--fault.reorg-every",
        "6",
    ]);
    assert!(u(&r, "blocks_proven") >= 4, "{r}");
    assert!(u(&r, "reorgs_injected") > 0);
    assert!(u(&r, "reorgs_seen") > 0, "no reorg followed");
    balances_match(&r);
}
