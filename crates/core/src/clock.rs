//! Time, as a port: the domain never reads the clock itself, so rules that depend on "now"
//! (a job's age, a token's expiry, a retention date) are tested at any moment.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Tells the time.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> SystemTime;

    /// Now, in whole seconds since the Unix epoch (0 before it, saturating far after).
    fn unix_seconds(&self) -> i64 {
        self.now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }
}

/// The system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that moves only when told: for tests.
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<SystemTime>);

impl ManualClock {
    /// A clock showing `unix_seconds`.
    pub fn at(unix_seconds: u64) -> Self {
        Self(std::sync::Mutex::new(
            UNIX_EPOCH + Duration::from_secs(unix_seconds),
        ))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut now = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let clock = ManualClock::at(1_700_000_000);
        assert_eq!(clock.unix_seconds(), 1_700_000_000);
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.unix_seconds(), 1_700_000_090);
    }

    #[test]
    fn before_the_epoch_counts_as_zero() {
        struct Early;
        impl Clock for Early {
            fn now(&self) -> SystemTime {
                UNIX_EPOCH - Duration::from_secs(5)
            }
        }
        assert_eq!(Early.unix_seconds(), 0);
    }
}
