//! Browser sessions for people (the portal) and agency users (the dashboards): random 256-bit
//! ids in a cookie, a per-session CSRF token, idle and absolute expiry, and the sign-in limiter.
//!
//! Key design decision: sessions live in this process's memory only, keyed by the SHA-256 of the
//! id (the id itself is kept nowhere but in the browser's cookie), so a restart signs everybody
//! out — acceptable for a portal, and nothing secret is ever written to disk. Time comes from the
//! hub's [`Clock`], so tests can move it.
//!
//! # Using it from a handler (the portal and dashboards)
//!
//! ```text
//! let sessions: &SessionStore = people.sessions();
//! // signing an agency user in (after checking their token, e.g. AgencyApi::user_for_token):
//! let session = sessions.create(Subject::Agency(user))?;          // Err: too many sessions (503)
//! response header  Set-Cookie: session::set_cookie(AGENCY_COOKIE, &session.id)
//! // later requests:
//! let session = sessions.from_headers(&headers, AGENCY_COOKIE);    // None: signed out or expired
//! // every state-changing request from a session (POST form or fetch):
//! session::check_csrf(&session, session::csrf_supplied(&headers, form.csrf.as_deref()))?;
//! // put session.csrf into every form as <input type="hidden" name="csrf" value="…">
//! // signing out:
//! sessions.remove(&session.id); Set-Cookie: session::clear_cookie(AGENCY_COOKIE)
//! ```
//!
//! Cookies are `HttpOnly; SameSite=Strict; Path=/; Secure` (browsers accept `Secure` cookies from
//! `http://localhost`; behind TLS everywhere else).
//!
//! # Limits
//!
//! - The table holds at most [`SESSIONS_MAX`] sessions, and one subject (a person by `psn_no`, an
//!   agency user by name and region) at most [`SESSIONS_PER_SUBJECT_MAX`]: a new sign-in beyond
//!   that ends the subject's oldest session, so one account cannot fill the table.
//! - The sign-in limiter reserves each attempt before its password is checked
//!   ([`SignInLimiter::admit`] counts it as a failure in the same locked step that checks the
//!   limit; a success takes it back), so parallel guesses cannot all pass the check before any
//!   of them has failed.
//! - The sign-in limiter counts IPv6 clients per /64 (one host usually holds a whole /64). When
//!   its table is full it drops the entries with the oldest failures that are not locked out,
//!   never a lockout; if every entry is a lockout, attempts it cannot count are refused until
//!   the earliest lockout ends (fail closed).
//!
//! # Agency sessions and revoked tokens
//!
//! An agency browser session keeps the SHA-256 of the token it was opened with
//! ([`SessionStore::create_agency`]; [`Session::agency_token_sha256`]). Revoking the token must
//! end its sessions, so the dashboards look sessions up with
//! [`SessionStore::agency_from_headers`], passing whether a token hash is still in the agency
//! book (a by-hash lookup such as `|hash| api.agency_of_token_hash(hash).is_some()`, to be
//! added beside `AgencyApi::agency_of_token`; the book is keyed by that hash): a session whose
//! token is no longer valid is removed and treated as signed out, and so is one opened without a
//! recorded token (`create(Subject::Agency(..))`), which cannot be checked.
//! [`SessionStore::agency_token_hash`] gives one session's hash;
//! [`SessionStore::remove_agency_token`] ends every session of a token at once (on revocation).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use yidi_hub::{AgencyUser, Clock, PersonIdentity};

use crate::limits::{
    SESSION_IDLE_SECS, SESSION_LIFETIME_SECS, SESSIONS_MAX, SIGN_IN_FAILURES_MAX, SIGN_IN_KEYS_MAX,
    SIGN_IN_WINDOW_SECS,
};

/// The cookie of a person's session.
pub const PERSON_COOKIE: &str = "yidi_person";
/// The cookie of an agency user's browser session.
pub const AGENCY_COOKIE: &str = "yidi_agency";
/// Most live sessions of one subject (a person, or one agency user): a new sign-in beyond this
/// ends that subject's oldest session. Ten covers a phone, a few browsers and a kiosk.
pub const SESSIONS_PER_SUBJECT_MAX: usize = 10;
const _: () = assert!(SESSIONS_PER_SUBJECT_MAX >= 1 && SESSIONS_PER_SUBJECT_MAX < SESSIONS_MAX);

/// The header a script sends the CSRF token in; forms send the field `csrf`.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The form field carrying the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

/// Who a session belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    Person(PersonIdentity),
    Agency(AgencyUser),
}

/// A live session. `id` goes in the cookie; `csrf` in every form and state-changing request.
#[derive(Clone, Debug)]
pub struct Session {
    /// 64 hex digits (256 random bits).
    pub id: String,
    pub subject: Subject,
    /// 64 hex digits (256 random bits), fixed for the session's life.
    pub csrf: String,
    pub created_ms: i64,
    pub last_seen_ms: i64,
    /// Agency sessions opened by [`SessionStore::create_agency`]: the SHA-256 of the agency token
    /// signed in with (never the token), to end the session once the token is revoked.
    pub agency_token_sha256: Option<[u8; 32]>,
}

impl Session {
    pub fn person(&self) -> Option<&PersonIdentity> {
        match &self.subject {
            Subject::Person(p) => Some(p),
            Subject::Agency(_) => None,
        }
    }
    pub fn agency(&self) -> Option<&AgencyUser> {
        match &self.subject {
            Subject::Agency(a) => Some(a),
            Subject::Person(_) => None,
        }
    }
    /// The SHA-256 of the agency token this session was opened with, if recorded.
    pub fn agency_token_sha256(&self) -> Option<[u8; 32]> {
        self.agency_token_sha256
    }
}

impl Subject {
    /// Who counts against [`SESSIONS_PER_SUBJECT_MAX`]: a person by `psn_no`, an agency user by
    /// name and region.
    fn same_as(&self, other: &Subject) -> bool {
        match (self, other) {
            (Subject::Person(a), Subject::Person(b)) => a.psn_no == b.psn_no,
            (Subject::Agency(a), Subject::Agency(b)) => a.name == b.name && a.admdvs == b.admdvs,
            _ => false,
        }
    }
}

/// The session table is full even after sweeping expired sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("会话数已达上限，请稍后再登录")]
pub struct SessionsFull;

/// Why a state-changing request from a session is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("页面已过期或请求来源无法确认（CSRF 校验失败），请刷新页面后重试")]
pub struct CsrfRefused;

/// Live sessions, by the SHA-256 of their id.
pub struct SessionStore {
    clock: Arc<dyn Clock>,
    sessions: Mutex<HashMap<[u8; 32], Session>>,
}

impl SessionStore {
    pub fn new(clock: Arc<dyn Clock>) -> SessionStore {
        SessionStore { clock, sessions: Mutex::new(HashMap::new()) }
    }

    /// Starts a session for `subject`; beyond [`SESSIONS_PER_SUBJECT_MAX`] the subject's oldest
    /// session ends. Agency users should sign in with [`SessionStore::create_agency`].
    pub fn create(&self, subject: Subject) -> Result<Session, SessionsFull> {
        self.insert(subject, None)
    }

    /// Starts an agency user's session, keeping the SHA-256 of the token they signed in with.
    pub fn create_agency(&self, user: AgencyUser, token: &str) -> Result<Session, SessionsFull> {
        self.insert(Subject::Agency(user), Some(token_sha256(token)))
    }

    fn insert(
        &self,
        subject: Subject,
        agency_token_sha256: Option<[u8; 32]>,
    ) -> Result<Session, SessionsFull> {
        let now = self.clock.now_millis();
        let session = Session {
            id: random_hex(),
            subject,
            csrf: random_hex(),
            created_ms: now,
            last_seen_ms: now,
            agency_token_sha256,
        };
        let mut sessions = self.lock();
        end_oldest_of_subject(&mut sessions, &session.subject, now);
        if sessions.len() >= SESSIONS_MAX {
            sessions.retain(|_, s| alive(s, now));
            if sessions.len() >= SESSIONS_MAX {
                return Err(SessionsFull);
            }
        }
        sessions.insert(key(&session.id), session.clone());
        Ok(session)
    }

    /// The live session with this id (its idle time restarts); an expired one is removed.
    pub fn get(&self, id: &str) -> Option<Session> {
        if id.len() != 64 {
            return None;
        }
        let now = self.clock.now_millis();
        let mut sessions = self.lock();
        let k = key(id);
        let session = sessions.get_mut(&k)?;
        if !alive(session, now) {
            sessions.remove(&k);
            return None;
        }
        session.last_seen_ms = now;
        Some(session.clone())
    }

    /// The live session named by the request's cookie `cookie_name`.
    pub fn from_headers(&self, headers: &HeaderMap, cookie_name: &str) -> Option<Session> {
        cookie_value(headers, cookie_name).and_then(|id| self.get(id))
    }

    /// The live agency session named by the request's [`AGENCY_COOKIE`] whose token
    /// `token_is_valid` still accepts (its idle time restarts). A session whose token was revoked,
    /// or that was opened without recording its token, is removed and `None` is returned. Call
    /// it on every dashboard request.
    pub fn agency_from_headers(
        &self,
        headers: &HeaderMap,
        token_is_valid: impl Fn(&[u8; 32]) -> bool,
    ) -> Option<Session> {
        let session = self.from_headers(headers, AGENCY_COOKIE)?;
        session.agency()?;
        match session.agency_token_sha256 {
            Some(hash) if token_is_valid(&hash) => Some(session),
            _ => {
                self.remove(&session.id);
                None
            }
        }
    }

    /// The SHA-256 of the agency token the live session `id` was opened with (`None`: no such
    /// session, not an agency session, or opened without recording its token).
    pub fn agency_token_hash(&self, id: &str) -> Option<[u8; 32]> {
        self.get(id).and_then(|s| s.agency_token_sha256)
    }

    /// Ends every session opened with the agency token of this SHA-256 (its revocation).
    pub fn remove_agency_token(&self, token_sha256: &[u8; 32]) {
        self.lock().retain(|_, s| s.agency_token_sha256.as_ref() != Some(token_sha256));
    }

    /// Ends one session (signing out).
    pub fn remove(&self, id: &str) {
        self.lock().remove(&key(id));
    }

    /// Ends every session of a person (after a new password is set).
    pub fn remove_person(&self, psn_no: &str) {
        self.lock().retain(|_, s| s.person().is_none_or(|p| p.psn_no != psn_no));
    }

    /// Live sessions now (expired ones not yet swept may be counted).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Session>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn alive(s: &Session, now_ms: i64) -> bool {
    now_ms - s.last_seen_ms < SESSION_IDLE_SECS * 1_000
        && now_ms - s.created_ms < SESSION_LIFETIME_SECS * 1_000
}

fn key(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

/// The SHA-256 of an agency token as the agency book keys it (`crypto::sha256` of the trimmed
/// token, as `AgencyApi::agency_of_token` looks it up).
fn token_sha256(token: &str) -> [u8; 32] {
    crate::crypto::sha256(token.trim().as_bytes())
}

/// Makes room for one more session of `subject`: its expired sessions go, then its oldest while
/// it holds [`SESSIONS_PER_SUBJECT_MAX`] or more.
fn end_oldest_of_subject(sessions: &mut HashMap<[u8; 32], Session>, subject: &Subject, now_ms: i64) {
    let mut own: Vec<(i64, [u8; 32])> = Vec::new();
    sessions.retain(|k, s| {
        if !s.subject.same_as(subject) {
            return true;
        }
        let live = alive(s, now_ms);
        if live {
            own.push((s.created_ms, *k));
        }
        live
    });
    if own.len() < SESSIONS_PER_SUBJECT_MAX {
        return;
    }
    own.sort_unstable();
    for (_, k) in &own[..=own.len() - SESSIONS_PER_SUBJECT_MAX] {
        sessions.remove(k);
    }
}

/// 256 bits from the operating system's generator, as 64 lower-case hex digits.
pub fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random generator works");
    hex::encode(bytes)
}

/// `Set-Cookie` value starting a session.
pub fn set_cookie(name: &str, id: &str) -> String {
    format!("{name}={id}; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age={SESSION_LIFETIME_SECS}")
}

/// `Set-Cookie` value ending a session.
pub fn clear_cookie(name: &str) -> String {
    format!("{name}=; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=0")
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie_value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim())
}

/// The CSRF token a request carries: the form field when given, else the `X-CSRF-Token` header.
pub fn csrf_supplied<'a>(headers: &'a HeaderMap, form_field: Option<&'a str>) -> Option<&'a str> {
    form_field.or_else(|| headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()))
}

/// Every state-changing request from a session must carry its token (compared in constant time).
pub fn check_csrf(session: &Session, supplied: Option<&str>) -> Result<(), CsrfRefused> {
    let supplied = supplied.map(str::trim).unwrap_or("");
    if supplied.len() == session.csrf.len() && bool::from(supplied.as_bytes().ct_eq(session.csrf.as_bytes()))
    {
        Ok(())
    } else {
        Err(CsrfRefused)
    }
}

/// Failed sign-ins per identity number and per client address (IPv6 per /64):
/// [`SIGN_IN_FAILURES_MAX`] within [`SIGN_IN_WINDOW_SECS`] refuse further attempts (429) until the
/// oldest failure leaves the window.
///
/// An attempt is reserved before its password is checked: [`SignInLimiter::admit`] refuses it or,
/// in the same locked step, counts it as a failure of both its identity and its address and hands
/// back an [`Attempt`]. Attempts still being checked therefore count like failures, so a burst of
/// parallel guesses gets at most [`SIGN_IN_FAILURES_MAX`] password checks, not one per request
/// (the slow password hash used to run before the failure was counted). The caller then resolves
/// the attempt: [`SignInLimiter::succeeded`] clears the identity's failures and takes the
/// reservation back from the address; [`SignInLimiter::failed`] leaves it counted;
/// [`SignInLimiter::release`] takes it back from both (nothing was checked: a store error). An
/// attempt dropped unresolved stays counted (fail closed).
///
/// The table holds at most [`SIGN_IN_KEYS_MAX`] keys. When full, expired failures are swept, then
/// the keys with the oldest last failure that are not locked out are dropped (down to 7/8 of the
/// table, so a flood does not sweep on every attempt; never the keys of the attempt being
/// counted). A lockout is never dropped: otherwise an attacker with many addresses could clear the
/// lock on the identity they are guessing. If every key is locked out, an attempt that needs a new
/// key cannot be counted and is refused until the earliest lockout ends — reaching that takes
/// `SIGN_IN_KEYS_MAX × SIGN_IN_FAILURES_MAX` failed password checks within one window.
pub struct SignInLimiter {
    clock: Arc<dyn Clock>,
    keys_max: usize,
    table: Mutex<FailureTable>,
}

struct FailureTable {
    /// Failures and attempts still being checked, by key: their times (ms), oldest first.
    failures: HashMap<String, VecDeque<i64>>,
    /// While the table is full of lockouts: when the earliest of them ends (ms).
    full_until_ms: Option<i64>,
}

/// A sign-in attempt [`SignInLimiter::admit`] let through: it already counts as a failure of its
/// identity and its address until resolved with [`SignInLimiter::succeeded`],
/// [`SignInLimiter::failed`] or [`SignInLimiter::release`].
#[must_use = "resolve the attempt: succeeded, failed or release (dropping it counts a failure)"]
#[derive(Debug, PartialEq, Eq)]
pub struct Attempt {
    identity: String,
    address: String,
    at_ms: i64,
}

impl SignInLimiter {
    pub fn new(clock: Arc<dyn Clock>) -> SignInLimiter {
        SignInLimiter::with_keys_max(clock, SIGN_IN_KEYS_MAX)
    }

    fn with_keys_max(clock: Arc<dyn Clock>, keys_max: usize) -> SignInLimiter {
        let table = FailureTable { failures: HashMap::new(), full_until_ms: None };
        SignInLimiter { clock, keys_max, table: Mutex::new(table) }
    }

    /// Reserves one attempt for `identity` from `client`, before any password is checked:
    /// `Err(seconds to wait)` when the identity or the address already holds
    /// [`SIGN_IN_FAILURES_MAX`] failures and attempts in flight within the window, or when the
    /// table is full of lockouts and cannot count this identity or address; otherwise the attempt,
    /// counted as a failure of both until resolved.
    pub fn admit(&self, identity: &str, client: IpAddr) -> Result<Attempt, u64> {
        let now = self.clock.now_millis();
        let mut table = self.lock();
        let keys = [identity_key(identity), address_key(client)];
        let mut wait =
            keys.iter().filter_map(|k| table.failures.get_mut(k).and_then(|times| wait_ms(times, now))).max();
        if let Some(until) = table.full_until_ms {
            if now >= until {
                table.full_until_ms = None;
            } else if table.failures.len() >= self.keys_max
                && keys.iter().any(|k| !table.failures.contains_key(k))
            {
                wait = wait.max(Some(until - now));
            }
        }
        if wait.is_none() {
            let missing = keys.iter().filter(|k| !table.failures.contains_key(*k)).count();
            if !table.make_room(now, self.keys_max, missing, &keys) {
                wait = table.full_until_ms.map(|until| until - now).filter(|ms| *ms > 0).or(Some(0));
            }
        }
        if let Some(ms) = wait {
            return Err(((ms + 999) / 1_000).max(1) as u64);
        }
        for k in &keys {
            let times = table.failures.entry(k.clone()).or_default();
            times.push_back(now);
            while times.len() > SIGN_IN_FAILURES_MAX {
                times.pop_front();
            }
        }
        let [identity, address] = keys;
        Ok(Attempt { identity, address, at_ms: now })
    }

    /// The password (or code, or token) was wrong: the attempt stays counted as a failure.
    pub fn failed(&self, attempt: Attempt) {
        drop(attempt);
    }

    /// A successful sign-in clears the identity's failures; the address keeps its failures but
    /// not this attempt.
    pub fn succeeded(&self, attempt: Attempt) {
        let mut table = self.lock();
        table.failures.remove(&attempt.identity);
        table.take_back(&attempt.address, attempt.at_ms);
    }

    /// Nothing was checked (the store or the hub failed first): the attempt is not counted.
    pub fn release(&self, attempt: Attempt) {
        let mut table = self.lock();
        table.take_back(&attempt.identity, attempt.at_ms);
        table.take_back(&attempt.address, attempt.at_ms);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FailureTable> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl FailureTable {
    /// Room for `needed` more keys: sweeps expired failures, then drops the unlocked keys with the
    /// oldest last failure, never one of `keep`. `false` (and `full_until_ms` set) when the
    /// rest are all locked out.
    fn make_room(&mut self, now: i64, keys_max: usize, needed: usize, keep: &[String]) -> bool {
        if self.failures.len() + needed <= keys_max {
            return true;
        }
        self.failures.retain(|_, times| {
            wait_ms(times, now);
            !times.is_empty()
        });
        if self.failures.len() + needed <= keys_max {
            return true;
        }
        let mut unlocked: Vec<(i64, String)> = self
            .failures
            .iter()
            .filter(|(k, times)| times.len() < SIGN_IN_FAILURES_MAX && !keep.contains(k))
            .map(|(k, times)| (times.back().copied().unwrap_or(i64::MIN), k.clone()))
            .collect();
        unlocked.sort_unstable();
        let target = (keys_max - keys_max / 8).saturating_sub(needed);
        let excess = self.failures.len().saturating_sub(target);
        for (_, k) in unlocked.iter().take(excess) {
            self.failures.remove(k);
        }
        if self.failures.len() + needed <= keys_max {
            return true;
        }
        let window = SIGN_IN_WINDOW_SECS * 1_000;
        self.full_until_ms = self.failures.values().filter_map(|t| t.front()).map(|t| t + window).min();
        false
    }

    /// Removes one reservation made at `at_ms` from `key` (the key goes when nothing is left).
    fn take_back(&mut self, key: &str, at_ms: i64) {
        let Some(times) = self.failures.get_mut(key) else { return };
        if let Some(i) = times.iter().rposition(|t| *t == at_ms) {
            times.remove(i);
        }
        if times.is_empty() {
            self.failures.remove(key);
        }
    }
}

/// Drops failures older than the window; the wait when the window still holds the maximum.
fn wait_ms(times: &mut VecDeque<i64>, now: i64) -> Option<i64> {
    let window = SIGN_IN_WINDOW_SECS * 1_000;
    while times.front().is_some_and(|t| now - t >= window) {
        times.pop_front();
    }
    (times.len() >= SIGN_IN_FAILURES_MAX).then(|| times.front().map_or(0, |t| t + window - now))
}

/// The limiter never keeps an identity number: only its hash.
fn identity_key(identity: &str) -> String {
    let normal = identity.trim().to_ascii_uppercase();
    format!("id:{}", hex::encode(Sha256::digest(normal.as_bytes())))
}

/// IPv4 per address; IPv6 per /64 (an IPv4-mapped IPv6 address counts as the IPv4 one).
fn address_key(client: IpAddr) -> String {
    match client.to_canonical() {
        IpAddr::V4(a) => format!("ip:{a}"),
        IpAddr::V6(a) => {
            let s = a.segments();
            format!("ip6:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yidi_hub::ManualClock;

    fn clock() -> Arc<ManualClock> {
        Arc::new(ManualClock::at(yidi_domain::DateTime::parse("2025-03-01 09:00:00").unwrap()))
    }

    /// One failed attempt, when the limiter lets it be made.
    fn fail(limiter: &SignInLimiter, identity: &str, client: IpAddr) {
        if let Ok(attempt) = limiter.admit(identity, client) {
            limiter.failed(attempt);
        }
    }

    /// A session lives while used, dies after the idle time and after the lifetime, and its
    /// CSRF token must match exactly.
    #[test]
    fn sessions_expire_and_check_csrf() {
        let clock = clock();
        let store = SessionStore::new(clock.clone());
        let agency = AgencyUser { name: "a".into(), admdvs: "110000".into() };
        let s = store.create(Subject::Agency(agency)).unwrap();
        assert_eq!(s.id.len(), 64);
        assert_ne!(s.id, s.csrf);
        assert!(check_csrf(&s, Some(&s.csrf)).is_ok());
        assert!(check_csrf(&s, None).is_err());
        assert!(check_csrf(&s, Some(&s.id)).is_err());
        clock.advance_millis((SESSION_IDLE_SECS - 1) * 1_000);
        assert!(store.get(&s.id).is_some(), "used within the idle time");
        clock.advance_millis((SESSION_IDLE_SECS - 1) * 1_000);
        assert!(store.get(&s.id).is_some(), "the idle time restarted");
        clock.advance_millis(SESSION_IDLE_SECS * 1_000);
        assert!(store.get(&s.id).is_none(), "idle too long");
        assert!(store.is_empty(), "an expired session is removed");
        let s =
            store.create(Subject::Agency(AgencyUser { name: "b".into(), admdvs: "110000".into() })).unwrap();
        for _ in 0..(SESSION_LIFETIME_SECS / (SESSION_IDLE_SECS / 2)) {
            clock.advance_millis(SESSION_IDLE_SECS / 2 * 1_000);
            store.get(&s.id);
        }
        assert!(store.get(&s.id).is_none(), "past the lifetime");
    }

    /// Five failures lock the identity and the address out for the rest of the window.
    #[test]
    fn sign_in_limiter_counts_per_identity_and_address() {
        let clock = clock();
        let limiter = SignInLimiter::new(clock.clone());
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..SIGN_IN_FAILURES_MAX {
            let attempt = limiter.admit("X1", ip).expect("not locked yet");
            limiter.failed(attempt);
        }
        assert_eq!(limiter.admit("X1", other), Err(SIGN_IN_WINDOW_SECS as u64), "the identity is locked");
        assert!(limiter.admit("X2", ip).is_err(), "the address is locked");
        assert!(limiter.admit("X2", other).is_ok());
        clock.advance_millis(SIGN_IN_WINDOW_SECS * 1_000);
        assert!(limiter.admit("X1", ip).is_ok(), "the window passed");
    }

    /// Goal: an attempt counts from the moment it is admitted, before its password is checked, so
    /// parallel attempts cannot all pass the check while none has failed yet: the sixth attempt in
    /// flight is refused, a success takes its own reservation back from the address and clears the
    /// identity, a release takes it back from both, and an attempt dropped unresolved stays counted.
    #[test]
    fn attempts_in_flight_count_like_failures() {
        let clock = clock();
        let limiter = SignInLimiter::new(clock.clone());
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        let in_flight: Vec<Attempt> =
            (0..SIGN_IN_FAILURES_MAX).map(|_| limiter.admit("X1", ip).expect("room left")).collect();
        assert_eq!(limiter.admit("X1", other), Err(SIGN_IN_WINDOW_SECS as u64), "identity: 5 in flight");
        assert!(limiter.admit("X2", ip).is_err(), "address: 5 in flight");
        let mut in_flight = in_flight.into_iter();
        limiter.succeeded(in_flight.next().unwrap());
        assert!(!limiter.lock().failures.contains_key(&identity_key("X1")), "a success clears the identity");
        assert_eq!(limiter.lock().failures[&address_key(ip)].len(), SIGN_IN_FAILURES_MAX - 1);
        limiter.release(in_flight.next().unwrap());
        assert_eq!(limiter.lock().failures[&address_key(ip)].len(), SIGN_IN_FAILURES_MAX - 2);
        for attempt in in_flight {
            limiter.failed(attempt);
        }
        let dropped = limiter.admit("X3", ip).expect("two places free");
        drop(dropped);
        let last = limiter.admit("X4", ip).expect("one place free");
        limiter.failed(last);
        assert!(limiter.admit("X5", ip).is_err(), "a dropped attempt stays counted");
        clock.advance_millis(SIGN_IN_WINDOW_SECS * 1_000);
        assert!(limiter.admit("X5", ip).is_ok(), "the window passed");
    }

    fn person(psn_no: &str) -> Subject {
        Subject::Person(PersonIdentity {
            psn_no: psn_no.into(),
            certno: "110***********001X".into(),
            psn_name: "张*".into(),
            insuplc_admdvs: "110000".into(),
        })
    }

    /// Goal: one subject cannot fill the session table — its eleventh sign-in ends its oldest
    /// session, and other subjects' sessions are untouched.
    #[test]
    fn sessions_are_capped_per_subject() {
        let clock = clock();
        let store = SessionStore::new(clock.clone());
        let other = store.create(person("P2")).unwrap();
        let agency = AgencyUser { name: "a".into(), admdvs: "110000".into() };
        let mut mine = Vec::new();
        for _ in 0..SESSIONS_PER_SUBJECT_MAX + 2 {
            clock.advance_millis(1);
            mine.push(store.create(person("P1")).unwrap());
        }
        assert!(store.get(&mine[0].id).is_none(), "the oldest ended");
        assert!(store.get(&mine[1].id).is_none(), "the second oldest ended");
        assert!(mine[2..].iter().all(|s| store.get(&s.id).is_some()), "the newest ten live");
        assert!(store.get(&other.id).is_some(), "another person is untouched");
        for _ in 0..SESSIONS_PER_SUBJECT_MAX + 1 {
            clock.advance_millis(1);
            store.create_agency(agency.clone(), "tok").unwrap();
        }
        assert_eq!(store.len(), 1 + 2 * SESSIONS_PER_SUBJECT_MAX);
    }

    /// Goal: an agency session remembers its token's hash and is dropped once the token is
    /// no longer valid; one opened without a recorded token cannot be checked and is refused.
    #[test]
    fn agency_sessions_end_with_their_token() {
        let store = SessionStore::new(clock());
        let user = AgencyUser { name: "a".into(), admdvs: "110000".into() };
        let s = store.create_agency(user.clone(), " tok-1 ").unwrap();
        let hash = crate::crypto::sha256(b"tok-1");
        assert_eq!(s.agency_token_sha256(), Some(hash));
        assert_eq!(store.agency_token_hash(&s.id), Some(hash));
        let headers = |id: &str| {
            let mut h = HeaderMap::new();
            h.insert("cookie", format!("{AGENCY_COOKIE}={id}").parse().unwrap());
            h
        };
        assert!(store.agency_from_headers(&headers(&s.id), |h| *h == hash).is_some(), "token valid");
        assert!(store.agency_from_headers(&headers(&s.id), |_| false).is_none(), "token revoked");
        assert!(store.get(&s.id).is_none(), "the session was removed");
        let legacy = store.create(Subject::Agency(user.clone())).unwrap();
        assert!(store.agency_from_headers(&headers(&legacy.id), |_| true).is_none());
        let p = store.create(person("P1")).unwrap();
        assert!(store.agency_from_headers(&headers(&p.id), |_| true).is_none(), "not an agency session");
        assert!(store.get(&p.id).is_some(), "a person's session stays");
        let (a, b) = (
            store.create_agency(user.clone(), "tok-2").unwrap(),
            store.create_agency(user, "tok-3").unwrap(),
        );
        store.remove_agency_token(&crate::crypto::sha256(b"tok-2"));
        assert!(store.get(&a.id).is_none());
        assert!(store.get(&b.id).is_some());
    }

    /// Goal: a full limiter table never forgets a lockout. An attacker locks a target identity,
    /// then fails from many addresses with many identities to overflow the table: the target
    /// stays locked (the old code cleared the whole table here).
    #[test]
    fn a_full_limiter_keeps_lockouts() {
        let clock = clock();
        let limiter = SignInLimiter::with_keys_max(clock.clone(), 16);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..SIGN_IN_FAILURES_MAX {
            fail(&limiter, "TARGET", ip);
        }
        let elsewhere: IpAddr = "192.0.2.77".parse().unwrap();
        assert!(limiter.admit("TARGET", elsewhere).is_err());
        for n in 0..200u32 {
            clock.advance_millis(10);
            let addr = IpAddr::from([172, 16, (n / 256) as u8, (n % 256) as u8]);
            fail(&limiter, &format!("X{n}"), addr);
        }
        assert!(limiter.admit("TARGET", elsewhere).is_err(), "the lockout survived the flood");
        assert!(limiter.lock().failures.len() <= 16);
        // The newest unlocked entries are kept; the oldest were dropped.
        assert!(limiter.lock().failures.contains_key(&identity_key("X199")));
        assert!(!limiter.lock().failures.contains_key(&identity_key("X0")));
    }

    /// Goal: when every key is a lockout, new keys are not counted and attempts the table cannot
    /// count are refused until the earliest lockout ends (fail closed), then it recovers.
    #[test]
    fn a_limiter_full_of_lockouts_fails_closed() {
        let clock = clock();
        let limiter = SignInLimiter::with_keys_max(clock.clone(), 4);
        for n in 0..2u8 {
            let addr = IpAddr::from([10, 0, 0, n]);
            for _ in 0..SIGN_IN_FAILURES_MAX {
                fail(&limiter, &format!("L{n}"), addr);
            }
        }
        let fresh: IpAddr = "10.9.9.9".parse().unwrap();
        assert!(limiter.admit("NEW", fresh).is_err(), "cannot be counted, so refused");
        assert_eq!(limiter.lock().failures.len(), 4, "no lockout dropped");
        assert!(limiter.admit("L0", "10.0.0.0".parse().unwrap()).is_err());
        clock.advance_millis(SIGN_IN_WINDOW_SECS * 1_000);
        let attempt = limiter.admit("NEW", fresh).expect("the lockouts ended");
        limiter.failed(attempt);
        assert!(limiter.lock().failures.contains_key(&identity_key("NEW")));
    }

    /// Goal: IPv6 clients are counted per /64, so rotating addresses inside one /64 does not
    /// escape the limit; another /64 and IPv4-mapped addresses are their own keys.
    #[test]
    fn ipv6_clients_count_per_64() {
        let limiter = SignInLimiter::new(clock());
        for n in 0..SIGN_IN_FAILURES_MAX {
            let addr: IpAddr = format!("2001:db8:1:2::{:x}", n + 1).parse().unwrap();
            fail(&limiter, &format!("Y{n}"), addr);
        }
        let same_64: IpAddr = "2001:db8:1:2:ffff:1:2:3".parse().unwrap();
        assert!(limiter.admit("Z", same_64).is_err(), "the /64 is locked");
        assert!(limiter.admit("Z", "2001:db8:1:3::1".parse().unwrap()).is_ok(), "another /64");
        assert_eq!(address_key("::ffff:10.0.0.1".parse().unwrap()), address_key("10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn cookies_are_read_and_written() {
        let mut headers = HeaderMap::new();
        headers.insert("cookie", "a=1; yidi_person=abc ; b=2".parse().unwrap());
        assert_eq!(cookie_value(&headers, PERSON_COOKIE), Some("abc"));
        assert_eq!(cookie_value(&headers, AGENCY_COOKIE), None);
        let c = set_cookie(PERSON_COOKIE, "abc");
        for part in ["HttpOnly", "SameSite=Strict", "Path=/", "Secure"] {
            assert!(c.contains(part), "{c}");
        }
    }
}
