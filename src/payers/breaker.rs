//! A circuit breaker per payer: after `threshold` consecutive failures (no answer: timeout,
//! refused connection, 5xx, unreadable answer) inquiries to that payer fail fast for `cooldown`;
//! then one probe is let through, and its outcome closes or re-opens the circuit. A payer's
//! rejection (AAA) is an answer, not a failure.
//!
//! Pure state with explicit times, so the rules are tested without a clock.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Closed,
    Open,
    /// The cool-down is over and one probe is under way.
    HalfOpen,
}

impl State {
    pub const ALL: [State; 3] = [State::Closed, State::Open, State::HalfOpen];

    /// As serialized (and as the metrics label it).
    pub fn as_str(self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half_open",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Breaker {
    pub state: State,
    pub consecutive_failures: u32,
    pub opened_at: Option<DateTime<Utc>>,
    /// When an open circuit lets a probe through.
    pub retry_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_failure_at: Option<DateTime<Utc>>,
    pub last_failure: Option<String>,
    #[serde(skip)]
    threshold: u32,
    #[serde(skip)]
    cooldown: Duration,
}

impl Breaker {
    pub fn new(threshold: u32, cooldown: Duration) -> Breaker {
        Breaker {
            state: State::Closed,
            consecutive_failures: 0,
            opened_at: None,
            retry_at: None,
            last_success_at: None,
            last_failure_at: None,
            last_failure: None,
            threshold: threshold.max(1),
            cooldown,
        }
    }

    /// Whether an inquiry may go out now. An open circuit past its cool-down lets exactly one
    /// probe through (and becomes half-open until the probe's outcome is recorded).
    pub fn admit(&mut self, now: DateTime<Utc>) -> bool {
        match self.state {
            State::Closed => true,
            State::HalfOpen => false,
            State::Open => {
                if self.retry_at.is_some_and(|at| now >= at) {
                    self.state = State::HalfOpen;
                    true
                } else {
                    false
                }
            }
        }
    }

    pub fn succeeded(&mut self, now: DateTime<Utc>) {
        self.state = State::Closed;
        self.consecutive_failures = 0;
        self.opened_at = None;
        self.retry_at = None;
        self.last_success_at = Some(now);
    }

    pub fn failed(&mut self, now: DateTime<Utc>, why: &str) {
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        self.last_failure_at = Some(now);
        self.last_failure = Some(why.to_string());
        let trip = self.state == State::HalfOpen || self.consecutive_failures >= self.threshold;
        if trip {
            self.state = State::Open;
            self.opened_at = Some(now);
            self.retry_at = Some(now + self.cooldown);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn opens_after_consecutive_failures_and_fails_fast() {
        let mut b = Breaker::new(3, Duration::seconds(30));
        for s in 0..2 {
            assert!(b.admit(t(s)));
            b.failed(t(s), "timeout");
        }
        assert_eq!(b.state, State::Closed);
        assert!(b.admit(t(2)));
        b.failed(t(2), "timeout");
        assert_eq!(b.state, State::Open);
        assert_eq!(b.retry_at, Some(t(32)));
        assert!(!b.admit(t(10)));
    }

    #[test]
    fn each_state_is_named_as_it_is_serialized() {
        for state in State::ALL {
            assert_eq!(
                serde_json::to_value(state).unwrap(),
                serde_json::json!(state.as_str())
            );
        }
    }

    #[test]
    fn a_success_resets_the_count() {
        let mut b = Breaker::new(3, Duration::seconds(30));
        b.failed(t(0), "x");
        b.failed(t(1), "x");
        b.succeeded(t(2));
        b.failed(t(3), "x");
        assert_eq!(b.state, State::Closed);
        assert_eq!(b.consecutive_failures, 1);
    }

    #[test]
    fn after_the_cool_down_one_probe_decides() {
        let mut b = Breaker::new(1, Duration::seconds(30));
        b.failed(t(0), "x");
        assert!(b.admit(t(30)), "the probe goes");
        assert_eq!(b.state, State::HalfOpen);
        assert!(!b.admit(t(30)), "only one probe");
        b.failed(t(31), "x");
        assert_eq!(b.state, State::Open);
        assert_eq!(b.retry_at, Some(t(61)));
        assert!(b.admit(t(61)));
        b.succeeded(t(62));
        assert_eq!(b.state, State::Closed);
        assert!(b.admit(t(63)));
    }
}
