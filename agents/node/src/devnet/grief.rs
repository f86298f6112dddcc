//! Fault injection `--fault.grief N`: a griefer files `N` inactivity reports (§14) against online
//! round-1 committee members of proven blocks: members that worked. Each must answer its report
//! within `graceSlots` (its agent's defence clears it with its credited leaf or a signed result)
//! and lose nothing. The devnet report counts the reports filed, cleared and struck, and the
//! stake the griefed keys lost.

use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Mutex};

use alloy::primitives::TxKind;
use alloy_primitives::{Address, U256};
use serde::Serialize;
use spn_bindings::{Rollup, Staking};
use spn_core::io::L1Call;
use spn_core::Chain;
use spn_protocol::StakingKey;

use crate::l1::{ChainView, L1Event, Sender};

/// What the griefing came to.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct GriefReport {
    /// Reports filed against online members.
    pub filed: u64,
    /// Of those, cleared by the reported key.
    pub cleared: u64,
    /// Strikes the griefed keys collected.
    pub struck: u64,
    /// Stake the griefed keys lost (tokens).
    pub stake_lost: String,
}

#[derive(Debug, Default)]
struct State {
    left: u32,
    /// Griefed keys.
    victims: BTreeSet<Address>,
    filed: u64,
    cleared: u64,
    struck: u64,
}

/// The griefer: follows proven blocks and reports online members until `count` reports are filed.
#[derive(Debug, Clone)]
pub struct Griefer {
    state: Arc<Mutex<State>>,
}

impl Griefer {
    /// Starts reporting from `key` (which pays the gas) against members in `online`.
    pub fn spawn(
        view: Arc<ChainView>,
        key: &StakingKey,
        online: HashSet<Address>,
        count: u32,
    ) -> Self {
        let state = Arc::new(Mutex::new(State {
            left: count,
            ..State::default()
        }));
        let sender = Sender::new(view.l1().clone(), key);
        let mut events = view.subscribe();
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok(ev) = events.recv().await {
                match ev {
                    L1Event::Proven { hash, .. } if shared.lock().unwrap().left > 0 => {
                        report_members(&view, &sender, &shared, &online, hash).await;
                    }
                    L1Event::Cleared { staker, .. } => {
                        let mut s = shared.lock().unwrap();
                        if s.victims.contains(&staker) {
                            s.cleared += 1;
                        }
                    }
                    L1Event::Struck { staker, .. } => {
                        let mut s = shared.lock().unwrap();
                        if s.victims.contains(&staker) {
                            s.struck += 1;
                        }
                    }
                    _ => {}
                }
            }
        });
        Self { state }
    }

    /// The outcome, with the victims' stake read from L1.
    pub async fn report(&self, view: &ChainView) -> GriefReport {
        let (victims, filed, cleared, struck) = {
            let s = self.state.lock().unwrap();
            (s.victims.clone(), s.filed, s.cleared, s.struck)
        };
        let d = view.deployment();
        let mut lost = U256::ZERO;
        for v in victims {
            if let Ok(stake) = view
                .l1()
                .view(d.staking, Staking::stakeOfCall { key: v })
                .await
            {
                lost += view.params().stake_amount.saturating_sub(stake);
            }
        }
        GriefReport {
            filed,
            cleared,
            struck,
            stake_lost: crate::agent::fmt_tokens(lost),
        }
    }
}

/// Reports the online round-1 members of proven block `hash` that have no pending report.
async fn report_members(
    view: &ChainView,
    sender: &Sender,
    state: &Mutex<State>,
    online: &HashSet<Address>,
    hash: alloy_primitives::B256,
) {
    let Some(header) = view.header(&hash) else {
        return;
    };
    let Ok(sched) = view.schedule(header.slot, header.height).await else {
        return;
    };
    let rollup = view.deployment().rollup;
    let members: Vec<Address> = sched
        .committee(1)
        .iter()
        .map(|m| m.address)
        .filter(|a| online.contains(a))
        .collect();
    for staker in members {
        if state.lock().unwrap().left == 0 {
            return;
        }
        // A member credited by this very proof cannot be reported for it (lastAppearance), and
        // one with a pending report cannot be reported again: the gas estimate says so for free.
        if let Ok(r) = view
            .l1()
            .view(rollup, Rollup::getInactivityCall { staker })
            .await
        {
            if r.pendingBlock != 0 {
                continue;
            }
        }
        let call = L1Call::ReportMissed {
            staker,
            header: header.clone(),
        };
        match sender
            .send_raw(
                "reportMissed (griefing)",
                TxKind::Call(rollup),
                call.calldata(),
                None,
            )
            .await
        {
            Ok(_) => {
                tracing::warn!(target: "spn::devnet", "fault injection: griefer reported {staker} for block {} (it worked)", header.number);
                let mut s = state.lock().unwrap();
                s.left -= 1;
                s.filed += 1;
                s.victims.insert(staker);
            }
            Err(e) => tracing::debug!(target: "spn::devnet", "griefing {staker}: {e}"),
        }
    }
}
