//! The portal's guard for its anonymous pages that compute (`/where`, `/estimate`): a token
//! bucket per client address and a bound on how many computations run at once.
//!
//! Anyone may open these pages without signing in, and each one runs the facility search or the
//! settlement engine, so one client must not be able to keep the hub's cores busy. A client
//! (the TCP peer's address; an IPv6 client by its /64, since one host commonly holds a whole
//! /64) may burst [`PORTAL_BURST`] requests and then keep [`PORTAL_REQUESTS_PER_SEC`]; past that
//! it gets 429 with `Retry-After`. The buckets are bounded ([`PORTAL_CLIENTS_MAX`]): when the
//! table is full, buckets that have refilled (they remember nothing) go first, then the one
//! idle longest, so memory never grows with the number of addresses seen and a flood of
//! addresses costs each of them at most a fresh bucket.
//!
//! Time is the hub clock's milliseconds (tests step a `ManualClock`); amounts are thousandths
//! of a request, so refilling is exact integer arithmetic, like the per-facility limit
//! (`crate::rate`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Requests a second one client may keep sending to the computing pages.
pub const PORTAL_REQUESTS_PER_SEC: u32 = 10;
/// Requests one client may send at once after a quiet moment.
pub const PORTAL_BURST: u32 = 20;
/// Client buckets kept at most (about 100 bytes each).
pub const PORTAL_CLIENTS_MAX: usize = 10_000;
/// Searches and estimates computing at the same time (on blocking threads); more answer 503.
pub const PORTAL_COMPUTE_CONCURRENT_MAX: usize = 4;

const _: () = assert!(PORTAL_BURST >= PORTAL_REQUESTS_PER_SEC);
const _: () = assert!(PORTAL_REQUESTS_PER_SEC > 0);
const _: () = assert!(PORTAL_CLIENTS_MAX > 0);

/// Thousandths of a request in one request.
const MILLI: u64 = 1_000;

/// The key of a client: an IPv4 address, or an IPv6 address's /64.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum ClientKey {
    V4([u8; 4]),
    V6Prefix([u8; 8]),
}

impl ClientKey {
    fn of(ip: IpAddr) -> ClientKey {
        match ip {
            IpAddr::V4(v4) => ClientKey::V4(v4.octets()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey::V4(v4.octets()),
                None => {
                    let o = v6.octets();
                    ClientKey::V6Prefix([o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]])
                }
            },
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    milli_tokens: u64,
    /// The clock reading of the last refill (never moves backwards).
    last_ms: i64,
}

/// Token buckets by client, bounded in number.
#[derive(Debug)]
pub struct ClientLimiter {
    per_sec: u32,
    burst: u32,
    clients_max: usize,
    buckets: Mutex<HashMap<ClientKey, Bucket>>,
}

impl ClientLimiter {
    /// The portal's limiter: [`PORTAL_REQUESTS_PER_SEC`], [`PORTAL_BURST`], [`PORTAL_CLIENTS_MAX`].
    pub fn portal() -> ClientLimiter {
        ClientLimiter::new(PORTAL_REQUESTS_PER_SEC, PORTAL_BURST, PORTAL_CLIENTS_MAX)
    }

    pub fn new(per_sec: u32, burst: u32, clients_max: usize) -> ClientLimiter {
        assert!(per_sec > 0 && burst > 0 && clients_max > 0);
        ClientLimiter { per_sec, burst, clients_max, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one request from `client`'s bucket at clock reading `now_ms`; `Err(secs)` when the
    /// bucket holds less than one: the seconds until it will (at least 1, for `Retry-After`).
    pub fn admit(&self, client: IpAddr, now_ms: i64) -> Result<(), u64> {
        let key = ClientKey::of(client);
        let capacity = u64::from(self.burst) * MILLI;
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !buckets.contains_key(&key) && buckets.len() >= self.clients_max {
            self.make_room(&mut buckets, now_ms);
        }
        let bucket = buckets.entry(key).or_insert(Bucket { milli_tokens: capacity, last_ms: now_ms });
        let elapsed_ms = u64::try_from(now_ms.saturating_sub(bucket.last_ms)).unwrap_or(0);
        let refill = elapsed_ms.saturating_mul(u64::from(self.per_sec));
        bucket.milli_tokens = bucket.milli_tokens.saturating_add(refill).min(capacity);
        bucket.last_ms = bucket.last_ms.max(now_ms);
        if bucket.milli_tokens < MILLI {
            let wait_ms = (MILLI - bucket.milli_tokens).div_ceil(u64::from(self.per_sec));
            return Err(wait_ms.div_ceil(1_000).max(1));
        }
        bucket.milli_tokens -= MILLI;
        Ok(())
    }

    /// Frees at least one place: drops every bucket that has refilled (it holds no information),
    /// else the one idle longest.
    fn make_room(&self, buckets: &mut HashMap<ClientKey, Bucket>, now_ms: i64) {
        let capacity = u64::from(self.burst) * MILLI;
        let per_sec = u64::from(self.per_sec);
        buckets.retain(|_, b| {
            let elapsed_ms = u64::try_from(now_ms.saturating_sub(b.last_ms)).unwrap_or(0);
            b.milli_tokens.saturating_add(elapsed_ms.saturating_mul(per_sec)) < capacity
        });
        if buckets.len() >= self.clients_max {
            let oldest = buckets.iter().min_by_key(|(_, b)| b.last_ms).map(|(k, _)| *k);
            if let Some(k) = oldest {
                buckets.remove(&k);
            }
        }
        assert!(buckets.len() < self.clients_max);
    }

    /// Clients with a bucket now.
    pub fn len(&self) -> usize {
        self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const T0: i64 = 1_740_908_460_000;

    fn v4(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
    }

    /// A burst, then the sustained rate; the wait is announced in whole seconds.
    #[test]
    fn bursts_then_keeps_the_rate() {
        let l = ClientLimiter::new(10, 20, 100);
        for i in 0..20 {
            assert_eq!(l.admit(v4(1), T0), Ok(()), "request {i} of the burst");
        }
        assert_eq!(l.admit(v4(1), T0), Err(1));
        assert_eq!(l.admit(v4(1), T0 + 99), Err(1), "99 ms refill 0.99 of a request");
        assert_eq!(l.admit(v4(1), T0 + 100), Ok(()));
        assert_eq!(l.admit(v4(2), T0 + 100), Ok(()), "another client has its own bucket");
        let slow = ClientLimiter::new(1, 1, 100);
        assert_eq!(slow.admit(v4(1), T0), Ok(()));
        assert_eq!(slow.admit(v4(1), T0 + 1), Err(1));
    }

    /// One IPv6 host's /64 is one client; an IPv4-mapped address is its IPv4 address.
    #[test]
    fn ipv6_clients_count_by_their_64() {
        let l = ClientLimiter::new(1, 1, 100);
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(l.admit(a, T0), Ok(()));
        assert!(l.admit(b, T0).is_err(), "same /64");
        assert_eq!(l.admit(c, T0), Ok(()), "another /64");
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped());
        assert_eq!(l.admit(v4(7), T0), Ok(()));
        assert!(l.admit(mapped, T0).is_err());
        assert!(l.admit(IpAddr::V6(Ipv6Addr::LOCALHOST), T0).is_ok());
    }

    /// The table never holds more than its bound: refilled buckets go first, then the oldest.
    #[test]
    fn keys_are_bounded() {
        let l = ClientLimiter::new(10, 2, 3);
        assert!(l.admit(v4(1), T0).is_ok() && l.admit(v4(1), T0).is_ok());
        assert!(l.admit(v4(1), T0).is_err(), "client 1 is limited");
        for n in 2..=200u8 {
            let _ = l.admit(v4(n), T0 + i64::from(n));
            assert!(l.len() <= 3);
        }
        let l = ClientLimiter::new(10, 2, 3);
        assert!(l.admit(v4(1), T0).is_ok() && l.admit(v4(1), T0).is_ok());
        assert!(l.admit(v4(2), T0).is_ok());
        assert!(l.admit(v4(3), T0).is_ok());
        // Client 1 is empty, 2 and 3 have a token left: a fourth client evicts the oldest idle.
        assert!(l.admit(v4(4), T0 + 1).is_ok());
        assert_eq!(l.len(), 3);
        // After a quiet second all are full again and make room at once.
        assert!(l.admit(v4(5), T0 + 1_000).is_ok());
        assert_eq!(l.len(), 1);
    }
}
