//! Time as an input: the hub reads "now" only through a [`Clock`], so tests control it.

use std::sync::Mutex;

use yidi_domain::DateTime;

/// Beijing time, to the millisecond.
pub trait Clock: Send + Sync {
    /// Milliseconds since 1970-01-01 00:00:00 Beijing time.
    fn now_millis(&self) -> i64;
    fn now(&self) -> DateTime {
        DateTime::from_epoch_secs(self.now_millis().div_euclid(1_000))
    }
}

/// The system clock shifted to Beijing time (UTC+8; China has no daylight saving).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

const BEIJING_OFFSET_MS: i64 = 8 * 3_600 * 1_000;

impl Clock for SystemClock {
    fn now_millis(&self) -> i64 {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        since_epoch + BEIJING_OFFSET_MS
    }
}

/// The system clock shifted so that it reads `start` when created and runs on from there. Only
/// for demonstrations (`yidi serve --demo --clock`): a month can be settled and then cleared
/// without waiting for the calendar. The gateway's timestamp check keeps the real clock.
#[derive(Clone, Copy, Debug)]
pub struct OffsetClock {
    offset_ms: i64,
}

impl OffsetClock {
    pub fn starting_at(start: DateTime) -> OffsetClock {
        OffsetClock { offset_ms: start.to_epoch_secs() * 1_000 - SystemClock.now_millis() }
    }
}

impl Clock for OffsetClock {
    fn now_millis(&self) -> i64 {
        SystemClock.now_millis() + self.offset_ms
    }
}

/// A clock tests move by hand.
#[derive(Debug, Default)]
pub struct ManualClock {
    millis: Mutex<i64>,
}

impl ManualClock {
    pub fn at(time: DateTime) -> ManualClock {
        ManualClock { millis: Mutex::new(time.to_epoch_secs() * 1_000) }
    }
    pub fn advance_millis(&self, ms: i64) {
        *self.millis.lock().expect("clock lock") += ms;
    }
    pub fn set(&self, time: DateTime) {
        *self.millis.lock().expect("clock lock") = time.to_epoch_secs() * 1_000;
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> i64 {
        *self.millis.lock().expect("clock lock")
    }
}
