//! The memory of accepted (paasid, nonce) pairs, for replay detection (`protocol.md` §3.1).
//!
//! Pairs are kept in time buckets of [`NONCE_BUCKET_SECS`]; a whole bucket is dropped once its
//! newest entry is [`NONCE_KEEP_SECS`] old, so expiry costs nothing per entry. Each pair is held
//! as a 128-bit SHA-256 prefix rather than as text, which bounds an entry at 16 bytes whatever
//! the client sends; a collision between two different pairs is a 2⁻¹²⁸ event.

use std::collections::{HashSet, VecDeque};

use crate::crypto;
use crate::limits::{NONCE_BUCKET_SECS, NONCE_KEEP_SECS, NONCES_KEPT_MAX};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NonceOutcome {
    /// First use: remembered now.
    Fresh,
    /// Seen within [`NONCE_KEEP_SECS`].
    Replay,
    /// The memory holds [`NONCES_KEPT_MAX`] pairs; the request must be refused (503), since
    /// accepting it unremembered would allow its replay.
    Full,
}

/// Accepted pairs, bucketed by the Unix time they were accepted at.
#[derive(Debug, Default)]
pub struct NonceMemory {
    /// (bucket start in Unix seconds, digests), oldest first.
    buckets: VecDeque<(i64, HashSet<u128>)>,
    len: usize,
}

impl NonceMemory {
    /// Checks a pair and remembers it if fresh. `now_unix` must not go backwards by more than a
    /// bucket (a clock step back only delays expiry, it never forgets a pair early).
    pub fn check_and_remember(&mut self, now_unix: i64, paasid: &str, nonce: &str) -> NonceOutcome {
        self.expire(now_unix);
        let digest = pair_digest(paasid, nonce);
        if self.buckets.iter().any(|(_, set)| set.contains(&digest)) {
            return NonceOutcome::Replay;
        }
        if self.len >= NONCES_KEPT_MAX {
            return NonceOutcome::Full;
        }
        let start = now_unix.div_euclid(NONCE_BUCKET_SECS) * NONCE_BUCKET_SECS;
        match self.buckets.back_mut() {
            Some((bucket_start, set)) if *bucket_start >= start => {
                set.insert(digest);
            }
            _ => self.buckets.push_back((start, HashSet::from([digest]))),
        }
        self.len += 1;
        NonceOutcome::Fresh
    }

    /// Pairs remembered now.
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn expire(&mut self, now_unix: i64) {
        while let Some((start, set)) = self.buckets.front() {
            if now_unix < start + NONCE_BUCKET_SECS + NONCE_KEEP_SECS {
                break;
            }
            self.len -= set.len();
            self.buckets.pop_front();
        }
    }
}

/// A 128-bit digest of the pair; the NUL separator keeps (`ab`, `c`) apart from (`a`, `bc`)
/// (neither part may contain NUL: the paasid is looked up, the nonce is `[A-Za-z0-9_-]`).
fn pair_digest(paasid: &str, nonce: &str) -> u128 {
    let hash = crypto::sha256(format!("{paasid}\0{nonce}").as_bytes());
    let mut prefix = [0u8; 16];
    prefix.copy_from_slice(&hash[..16]);
    u128::from_le_bytes(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pair is a replay for at least `NONCE_KEEP_SECS`, and is forgotten a bucket later.
    #[test]
    fn remembers_for_the_keep_time_then_forgets() {
        let mut m = NonceMemory::default();
        let t0 = 1_740_879_660;
        assert_eq!(m.check_and_remember(t0, "yidi_H1", "n1"), NonceOutcome::Fresh);
        assert_eq!(m.check_and_remember(t0 + NONCE_KEEP_SECS, "yidi_H1", "n1"), NonceOutcome::Replay);
        assert_eq!(m.check_and_remember(t0 + 1, "yidi_H2", "n1"), NonceOutcome::Fresh, "per paasid");
        let later = t0 + NONCE_KEEP_SECS + NONCE_BUCKET_SECS;
        assert_eq!(m.check_and_remember(later, "yidi_H1", "n1"), NonceOutcome::Fresh);
        assert_eq!(m.len(), 1, "the old buckets were dropped whole");
    }
}
