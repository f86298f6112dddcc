//! The simulated proving cost: a job of round r takes `cost(r) * timeScale` seconds
//! (docs/PROTOCOL.md §8.6 and §15.4), with the cost weights of the deployment.

use std::time::Duration;

use spn_protocol::Schedule;

/// Turns proof-seconds of the cost model into wall-clock delays.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostModel {
    /// Wall-clock seconds per proof-second (devnet default 0.02: a round-1 job of 106 proof-s
    /// takes 2.1 s).
    pub time_scale: f64,
    /// Extra wait before filling a neighbour's job (the spec's `networkGrace`).
    pub network_grace: Duration,
}

impl Default for CostModel {
    fn default() -> Self {
        Self {
            time_scale: 0.02,
            network_grace: Duration::from_secs(1),
        }
    }
}

impl CostModel {
    /// Simulated duration of one job of `round`.
    pub fn job_time(&self, schedule: &Schedule, round: u32) -> Duration {
        Duration::from_secs_f64(schedule.cost(round) as f64 * self.time_scale)
    }

    /// `fillDelay(r) = cost(r) * timeScale + networkGrace`.
    pub fn fill_delay(&self, schedule: &Schedule, round: u32) -> Duration {
        self.job_time(schedule, round) + self.network_grace
    }

    /// The tree's critical path: one job per round, the root included, back to back.
    pub fn critical_path(&self, schedule: &Schedule) -> Duration {
        (1..=schedule.rounds())
            .map(|r| self.job_time(schedule, r))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spn_protocol::Params;

    #[test]
    fn devnet_critical_path_matches_the_spec() {
        // §15.4: (106 + 3·6) · 0.02 ≈ 2.5 s at n = 8.
        let s = Schedule::new(&Params::devnet(), 8).unwrap();
        let c = CostModel::default().critical_path(&s).as_secs_f64();
        assert!((c - 2.48).abs() < 1e-9, "{c}");
    }
}
