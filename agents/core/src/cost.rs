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
    /// Simulated duration of one job of `round`. Total for any `time_scale`: a negative or NaN
    /// product is no delay, and a delay is at most [`MAX_DELAY`] (so sums and multiples of a
    /// few delays cannot overflow a `Duration`). The CLI only accepts finite, non-negative scales.
    pub fn job_time(&self, schedule: &Schedule, round: u32) -> Duration {
        seconds(schedule.cost(round) as f64 * self.time_scale)
    }

    /// `fillDelay(r) = cost(r) * timeScale + networkGrace`.
    pub fn fill_delay(&self, schedule: &Schedule, round: u32) -> Duration {
        self.job_time(schedule, round)
            .saturating_add(self.network_grace)
    }

    /// The tree's critical path: one job per round, the root included, back to back.
    pub fn critical_path(&self, schedule: &Schedule) -> Duration {
        (1..=schedule.rounds())
            .map(|r| self.job_time(schedule, r))
            .fold(Duration::ZERO, Duration::saturating_add)
    }
}

/// Longest simulated delay: about 136 years (2^32 s).
pub const MAX_DELAY: Duration = Duration::from_secs(1 << 32);

/// `secs` as a delay in `[0, MAX_DELAY]`: NaN and negative values are zero, large and infinite
/// values are [`MAX_DELAY`] (where `Duration::from_secs_f64` panics).
pub fn seconds(secs: f64) -> Duration {
    if secs.is_nan() || secs <= 0.0 {
        return Duration::ZERO;
    }
    Duration::try_from_secs_f64(secs).map_or(MAX_DELAY, |d| d.min(MAX_DELAY))
}

/// Parses a non-negative, finite number of at most `max` (for the CLI's value parsers).
pub fn parse_non_negative(s: &str, max: f64) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number"))?;
    if !v.is_finite() || !(0.0..=max).contains(&v) {
        return Err(format!("`{s}` is not a finite number in [0, {max}]"));
    }
    Ok(v)
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

    /// Regression (issue 11): a negative, NaN or infinite time scale panicked in
    /// `Duration::from_secs_f64`.
    #[test]
    fn any_time_scale_gives_a_delay() {
        let s = Schedule::new(&Params::devnet(), 8).unwrap();
        for time_scale in [
            -1.0,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN_POSITIVE / 2.0,
        ] {
            let c = CostModel {
                time_scale,
                ..CostModel::default()
            };
            assert!(c.job_time(&s, 1) <= MAX_DELAY);
            assert!(c.fill_delay(&s, 1) >= c.network_grace);
            assert!(c.critical_path(&s) <= MAX_DELAY * 8);
        }
        assert_eq!(seconds(f64::NAN), Duration::ZERO);
        assert_eq!(seconds(-3.0), Duration::ZERO);
        assert_eq!(seconds(f64::INFINITY), MAX_DELAY);
        assert_eq!(seconds(1.5), Duration::from_millis(1500));
    }

    #[test]
    fn cli_numbers_are_finite_and_non_negative() {
        assert_eq!(parse_non_negative("0.02", 1e3), Ok(0.02));
        assert_eq!(parse_non_negative("0", 1e3), Ok(0.0));
        for bad in ["-1", "NaN", "nan", "inf", "-inf", "1e400", "1001", "x", ""] {
            assert!(parse_non_negative(bad, 1e3).is_err(), "{bad}");
        }
    }
}
