//! The per-facility request rate limit (`protocol.md` §2.3: 1 000 requests/s, HTTP 429): a token
//! bucket per authenticated facility, taken from after authentication and before the body is
//! read, so a limited request costs no body bytes and reaches nothing.
//!
//! A bucket holds at most one second's worth of requests and refills continuously, so a facility
//! may burst up to its limit and then keep the limit's pace. Amounts are counted in thousandths
//! of a request against the hub clock's milliseconds, so the refill is exact integer arithmetic:
//! `per_sec` requests a second are `per_sec` thousandths a millisecond.

use std::collections::HashMap;
use std::sync::Mutex;

/// Thousandths of a request in one request.
const MILLI: u64 = 1_000;

/// One facility's bucket.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    /// Requests available now, in thousandths.
    milli_tokens: u64,
    /// The hub clock reading of the last refill (never moves backwards).
    last_ms: i64,
}

/// Token buckets by `fixmedins_code`. Keys come only from authenticated requests, so the map is
/// bounded by the credentials held.
#[derive(Debug)]
pub struct RateLimiter {
    per_sec: u32,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// A limiter admitting `per_sec` requests a second per facility; 0 admits everything.
    pub fn new(per_sec: u32) -> RateLimiter {
        RateLimiter { per_sec, buckets: Mutex::new(HashMap::new()) }
    }

    /// The configured limit (0 = off).
    pub fn per_sec(&self) -> u32 {
        self.per_sec
    }

    /// Takes one request from `facility`'s bucket at hub clock reading `now_ms`; false when the
    /// bucket holds less than one (the request must be refused with 429). A facility's first
    /// request finds a full bucket. A clock stepping back refills nothing.
    pub fn admit(&self, facility: &str, now_ms: i64) -> bool {
        if self.per_sec == 0 {
            return true;
        }
        let capacity = u64::from(self.per_sec) * MILLI;
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let bucket = match buckets.get_mut(facility) {
            Some(bucket) => bucket,
            None => buckets
                .entry(facility.to_string())
                .or_insert(Bucket { milli_tokens: capacity, last_ms: now_ms }),
        };
        let elapsed_ms = u64::try_from(now_ms.saturating_sub(bucket.last_ms)).unwrap_or(0);
        let refill = elapsed_ms.saturating_mul(u64::from(self.per_sec));
        bucket.milli_tokens = bucket.milli_tokens.saturating_add(refill).min(capacity);
        bucket.last_ms = bucket.last_ms.max(now_ms);
        if bucket.milli_tokens < MILLI {
            return false;
        }
        bucket.milli_tokens -= MILLI;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_740_908_460_000;

    /// A facility may send its whole second's worth at once, and not one more.
    #[test]
    fn burst_up_to_the_limit_then_refused() {
        let limiter = RateLimiter::new(5);
        for i in 0..5 {
            assert!(limiter.admit("H1", T0), "request {i} of the burst");
        }
        assert!(!limiter.admit("H1", T0), "the sixth in the same millisecond");
        assert!(!limiter.admit("H1", T0 + 199), "199 ms refill 0.995 of a request");
        assert!(limiter.admit("H1", T0 + 200), "200 ms refill exactly one at 5/s");
        assert!(!limiter.admit("H1", T0 + 200));
    }

    /// After a quiet second the bucket is full again, but never fuller than one second's worth.
    #[test]
    fn refills_to_capacity_only() {
        let limiter = RateLimiter::new(3);
        for _ in 0..3 {
            assert!(limiter.admit("H1", T0));
        }
        let later = T0 + 3_600_000;
        for i in 0..3 {
            assert!(limiter.admit("H1", later), "request {i} after an hour");
        }
        assert!(!limiter.admit("H1", later), "an hour of quiet still buys one second's worth");
    }

    /// The nominal limit: 1 000 a second sustained, 1 every millisecond.
    #[test]
    fn sustains_the_nominal_rate() {
        let limiter = RateLimiter::new(crate::limits::RATE_LIMIT_PER_SEC);
        let admitted = (0..1_000).filter(|_| limiter.admit("H1", T0)).count();
        assert_eq!(admitted, 1_000);
        assert!(!limiter.admit("H1", T0));
        for ms in 1..=2_000 {
            assert!(limiter.admit("H1", T0 + ms), "one request per millisecond at {ms} ms");
        }
        assert!(!limiter.admit("H1", T0 + 2_000));
    }

    /// Facilities do not share a bucket; 0 turns the limit off.
    #[test]
    fn per_facility_and_off() {
        let limiter = RateLimiter::new(1);
        assert!(limiter.admit("H1", T0));
        assert!(!limiter.admit("H1", T0));
        assert!(limiter.admit("H2", T0), "another facility has its own bucket");
        let off = RateLimiter::new(0);
        assert!((0..10_000).all(|_| off.admit("H1", T0)));
    }

    /// A clock stepping back refills nothing and does not reset the bucket; far-apart readings
    /// saturate instead of overflowing.
    #[test]
    fn clock_steps_are_harmless() {
        let limiter = RateLimiter::new(2);
        assert!(limiter.admit("H1", T0));
        assert!(limiter.admit("H1", T0));
        assert!(!limiter.admit("H1", T0 - 60_000), "backwards: nothing refilled");
        assert!(!limiter.admit("H1", T0 + 499), "the last refill time did not move back");
        assert!(limiter.admit("H1", T0 + 500));
        assert!(limiter.admit("H1", i64::MAX));
        assert!(limiter.admit("H1", i64::MAX));
        assert!(!limiter.admit("H1", i64::MAX));
        assert!(limiter.admit("H2", i64::MIN), "a first reading anywhere gives a full bucket");
    }
}
