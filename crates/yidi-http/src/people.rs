//! People's accounts and the person JSON API (`/api/person/…`): activation with a one-time code
//! issued by the insured region's agency, sign-in with identity number + password, sessions,
//! CSRF, and the person's own data through `Hub::person_*`.
//!
//! Key design decision: the accounts are durable through the [`Store`] (`put_person_account`,
//! `person_account`), hold an argon2id PHC string (never the password) and the SHA-256 of a
//! pending activation code (never the code); the person's data stays with the hub, which scopes
//! every read and change to the session's `psn_no`. Sessions and the sign-in limiter are in
//! memory ([`crate::session`]).
//!
//! # The Rust API for HTML form handlers (the portal)
//!
//! Build one [`People`] per server (`People::new(hub, store, clock)`, done by `yidi_http::run`;
//! the router serves its JSON routes and the app hands it out with `App::people()`), then:
//!
//! - [`People::sign_in`]`(certno, password, client_ip)` → [`SignedIn`] `{ session, set_cookie }`,
//!   or a [`PeopleError`] (`sign_in_failed` 401, `too_many_attempts` 429 with
//!   [`PeopleError::retry_after_secs`]); the attempt is reserved in the limiter before the
//!   password is checked, so parallel guesses are limited like sequential ones;
//! - [`People::activate`]`(certno, code, password, client_ip)` → [`SignedIn`] (sets the first or a
//!   new password, ends the person's other sessions and signs in; the code is re-checked and
//!   cleared under one lock, so of concurrent activations with one code exactly one succeeds, and
//!   the same form sent again with the same password just after is signed in too);
//! - [`People::current`]`(&headers)` → the person's [`Session`] or `None`;
//!   [`People::require`] the same as a `Result` (`not_signed_in` 401);
//! - [`People::check_csrf`]`(&session, &headers, form_csrf)` before every state change
//!   (`csrf_failed` 403); put `session.csrf` into each form as the hidden field `csrf`;
//! - [`People::sign_out`]`(&headers)` → the `Set-Cookie` value that clears the cookie;
//! - [`People::hub`] for `Hub::person_*(&session_psn_no, …)` — always the session's `psn_no`.
//!
//! [`ClientIp`] is an axum extractor for the client address the limiter counts (the TCP peer;
//! `X-Forwarded-For` is not trusted).
//!
//! Activation codes are issued and checked on the hub's [`yidi_hub::Clock`] (`Hub::clock`), never
//! the wall clock, so a demo server started with `--clock <past time>` does not issue codes that
//! are born expired; `yidi_http::run` gives `People::new` the hub's clock too, so sessions and
//! the limiter run on the same time.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use yidi_domain::DateTime;
use yidi_hub::{AgencyError, Clock, Hub, NewFiling, PersonIdentity, SettlementQuery};
use yidi_store::{PersonAccountRecord, Store, StoreError};

use crate::limits::{ACTIVATION_VALID_SECS, PASSWORD_CHARS_MAX, PASSWORD_CHARS_MIN, PERSON_BODY_BYTES_MAX};
use crate::session::{self, Attempt, PERSON_COOKIE, Session, SessionStore, SignInLimiter, Subject};

const JSON_UTF8: &str = "application/json; charset=utf-8";
/// Characters of an activation code (no 0/O, 1/I/L): easy to read out and type.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Characters of an activation code, shown in groups of four (`XXXX-XXXX-XXXX`): ~59 bits.
const CODE_CHARS: usize = 12;

/// The people's service: accounts, sessions, the sign-in limiter, and the hub.
pub struct People {
    hub: Arc<Hub>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    sessions: Arc<SessionStore>,
    limiter: SignInLimiter,
}

/// Held (on a blocking thread only, never across an `.await`) around every step that ties a
/// password to sessions, and around issuing a code:
///
/// - using an activation code ([`People::activate`]): re-check the code, store the new password,
///   end the person's sessions and start the new one, all in one locked step, so a code is used at
///   most once;
/// - starting a session after a password verified ([`People::sign_in`], a repeated activation):
///   re-read the account and start the session only if the stored password is still the one
///   verified, so no session made with a password an activation has replaced outlives that
///   activation (it either ends with the person's sessions or is never made);
/// - issuing a code ([`issue_activation`], also from the agency route), which writes the
///   activation fields only ([`Store::put_person_activation`]) and so never writes a password back.
static ACCOUNTS: Mutex<()> = Mutex::new(());

/// How long after an activation the same form sent again (a double click, a resubmission) with
/// the same password signs the person in instead of answering "code already used".
const ACTIVATION_REPEAT_SECS: i64 = 10 * 60;

fn accounts_lock() -> std::sync::MutexGuard<'static, ()> {
    ACCOUNTS.lock().unwrap_or_else(|p| p.into_inner())
}

/// A successful sign-in or activation: the new session and its `Set-Cookie` header value.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub session: Session,
    pub set_cookie: String,
}

/// A code just issued: give `code` to the person (it is stored only hashed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedCode {
    pub psn_no: String,
    pub code: String,
    pub expires_at: DateTime,
}

/// Why a people's request was not answered: HTTP status, stable code, Chinese message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeopleError {
    /// Unknown identity number, no account yet, or wrong password: one answer for all.
    SignInFailed,
    /// Wrong, used or expired activation code (or unknown identity number): one answer for all.
    ActivationFailed,
    RateLimited {
        retry_after_secs: u64,
    },
    PasswordTooShort,
    PasswordTooLong,
    NotSignedIn,
    Csrf,
    /// Bad JSON, or a field missing.
    Invalid(String),
    /// From the hub: not found (another person's data too), invalid fields, a filing rule.
    Hub(AgencyError),
    Busy,
    Store(String),
}

impl PeopleError {
    pub fn status(&self) -> u16 {
        match self {
            PeopleError::SignInFailed | PeopleError::ActivationFailed | PeopleError::NotSignedIn => 401,
            PeopleError::RateLimited { .. } => 429,
            PeopleError::PasswordTooShort | PeopleError::PasswordTooLong | PeopleError::Invalid(_) => 400,
            PeopleError::Csrf => 403,
            PeopleError::Hub(e) => e.status(),
            PeopleError::Busy => 503,
            PeopleError::Store(_) => 500,
        }
    }
    pub fn code(&self) -> &'static str {
        match self {
            PeopleError::SignInFailed => "sign_in_failed",
            PeopleError::ActivationFailed => "activation_failed",
            PeopleError::RateLimited { .. } => "too_many_attempts",
            PeopleError::PasswordTooShort => "password_too_short",
            PeopleError::PasswordTooLong => "password_too_long",
            PeopleError::NotSignedIn => "not_signed_in",
            PeopleError::Csrf => "csrf_failed",
            PeopleError::Invalid(_) => "invalid_request",
            PeopleError::Hub(e) => e.code(),
            PeopleError::Busy => "unavailable",
            PeopleError::Store(_) => "store_failed",
        }
    }
    pub fn message(&self) -> String {
        match self {
            PeopleError::SignInFailed => "身份证号或密码不正确。首次使用请先用参保地医保经办机构发放的激活码设置密码；忘记密码请向经办机构申请新的激活码".to_string(),
            PeopleError::ActivationFailed => "激活码不正确、已使用或已过期（有效期 72 小时、只能使用一次）。请核对身份证号和激活码，或向参保地医保经办机构申请新的激活码".to_string(),
            PeopleError::RateLimited { retry_after_secs } => format!(
                "尝试次数过多，为保护您的账户已暂停登录，请 {} 分钟后再试",
                retry_after_secs.div_ceil(60)
            ),
            PeopleError::PasswordTooShort => format!("密码至少 {PASSWORD_CHARS_MIN} 个字符，请设置更长的密码"),
            PeopleError::PasswordTooLong => format!("密码最多 {PASSWORD_CHARS_MAX} 个字符"),
            PeopleError::NotSignedIn => "请先登录（登录已过期或尚未登录）".to_string(),
            PeopleError::Csrf => session::CsrfRefused.to_string(),
            PeopleError::Invalid(message) => message.clone(),
            PeopleError::Hub(e) => e.message(),
            PeopleError::Busy => "服务繁忙，请稍后再试".to_string(),
            PeopleError::Store(e) => format!("账户数据暂时无法读写，请稍后再试（{e}）"),
        }
    }
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            PeopleError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }
}

impl From<AgencyError> for PeopleError {
    fn from(e: AgencyError) -> PeopleError {
        PeopleError::Hub(e)
    }
}

impl From<StoreError> for PeopleError {
    fn from(e: StoreError) -> PeopleError {
        PeopleError::Store(e.to_string())
    }
}

impl People {
    /// `clock` runs sessions and the sign-in limiter; give it the hub's clock (as `run` does).
    /// Activation codes always use the hub's own clock.
    pub fn new(hub: Arc<Hub>, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> People {
        People {
            hub,
            store,
            sessions: Arc::new(SessionStore::new(clock.clone())),
            limiter: SignInLimiter::new(clock.clone()),
            clock,
        }
    }

    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// The session table, shared with agency browser sessions (the dashboards).
    pub fn sessions(&self) -> &Arc<SessionStore> {
        &self.sessions
    }

    /// The people's sign-in limiter (sign-in and activation). The dashboards' token form has a
    /// limiter of its own, so people's failures never lock agency staff out.
    pub fn limiter(&self) -> &SignInLimiter {
        &self.limiter
    }

    /// The clock sessions and the limiter run on (the dashboards' own limiter uses it too).
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Signs a person in with identity number and password.
    pub async fn sign_in(
        &self,
        certno: &str,
        password: &str,
        client: IpAddr,
    ) -> Result<SignedIn, PeopleError> {
        // Reserved before the (slow) password check: attempts in flight count like failures.
        let attempt = self.admit(certno, client)?;
        let checked = match self.check_sign_in(certno, password).await {
            Ok(Some((person, phc))) => self.start_if_current(person, phc).await,
            Ok(None) => Ok(None),
            Err(e) => Err(e),
        };
        match checked {
            Ok(Some(started)) => {
                self.limiter.succeeded(attempt);
                if let Some(person) = person_of(&started) {
                    tracing::info!(certno = %person.certno, "参保人登录 / person signed in");
                }
                started
            }
            // A wrong password, or one an activation replaced while it was being verified.
            Ok(None) => {
                self.limiter.failed(attempt);
                Err(PeopleError::SignInFailed)
            }
            Err(e) => {
                self.limiter.release(attempt);
                Err(e)
            }
        }
    }

    /// The person and the stored PHC string the password verified against, when the password is
    /// theirs; `None` for a wrong password, an unknown identity number or an account without a
    /// password (a dummy verify, so all cost the same).
    async fn check_sign_in(
        &self,
        certno: &str,
        password: &str,
    ) -> Result<Option<(PersonIdentity, String)>, PeopleError> {
        let person = self.hub.person_by_certno(certno).await?;
        let account = match &person {
            Some(p) => self.account(&p.psn_no).await?,
            None => None,
        };
        let phc = account.and_then(|a| a.password_phc);
        let ok = verify_password(phc.clone(), password.to_string()).await;
        Ok(person.zip(phc).filter(|_| ok))
    }

    /// Starts `person`'s session if the stored password is still `phc` (the one just verified,
    /// outside the lock: the verify is slow). The account is re-read and the session created under
    /// the accounts lock, the lock an activation holds while it stores a new password and ends
    /// the person's sessions: a verify that read the old password either finishes first (and its
    /// session is ended by the activation) or finds the password replaced (`None`, no session).
    /// `Some(Err(Busy))` when the session table is full.
    async fn start_if_current(
        &self,
        person: PersonIdentity,
        phc: String,
    ) -> Result<Option<Result<SignedIn, PeopleError>>, PeopleError> {
        let (store, sessions) = (self.store.clone(), self.sessions.clone());
        let started = blocking(move || -> Result<_, StoreError> {
            let _accounts = accounts_lock();
            let stored = store.person_account(&person.psn_no)?.and_then(|a| a.password_phc);
            if stored.as_deref() != Some(phc.as_str()) {
                return Ok(None);
            }
            Ok(Some(start(&sessions, person)))
        })
        .await??;
        Ok(started)
    }

    /// Sets the password with a one-time activation code, ends the person's other sessions and
    /// signs them in.
    ///
    /// The same form sent again just after it succeeded (a double click: the code is used and no
    /// other is pending, the password given is the one just set) is answered like the first copy
    /// — signed in, 200 — and its limiter attempt is released, so a double submission neither
    /// shows the person an error nor counts against their address. A used code with another
    /// password is `activation_failed` as before.
    pub async fn activate(
        &self,
        certno: &str,
        code: &str,
        password: &str,
        client: IpAddr,
    ) -> Result<SignedIn, PeopleError> {
        check_password(password)?;
        let attempt = self.admit(certno, client)?;
        match self.use_code(certno, code, password).await {
            Ok(Activation::Done(started)) => {
                self.limiter.succeeded(attempt);
                if let Some(person) = person_of(&started) {
                    tracing::info!(certno = %person.certno, "账户已激活 / person account activated");
                }
                started
            }
            Ok(Activation::Repeated(started)) => {
                self.limiter.release(attempt);
                if let Some(person) = person_of(&started) {
                    tracing::info!(
                        certno = %person.certno,
                        "重复提交的激活，按已激活登录 / repeated activation signed in"
                    );
                }
                started
            }
            Ok(Activation::Refused) => {
                self.limiter.failed(attempt);
                Err(PeopleError::ActivationFailed)
            }
            Err(e) => {
                self.limiter.release(attempt);
                Err(e)
            }
        }
    }

    /// Uses the one-time code (see [`Activation`]).
    ///
    /// The code is checked once before the (slow) password hash, so a wrong code costs no hash,
    /// and again, on the hub's clock read again at that moment, under the accounts lock, where
    /// the new password is stored, the code cleared, the person's sessions ended and the new
    /// session started in one step: of concurrent activations with one code exactly one finds it
    /// still there, a code that expired while the password was hashed is refused, and no sign-in
    /// that verified the old password can add a session after the others were ended.
    async fn use_code(&self, certno: &str, code: &str, password: &str) -> Result<Activation, PeopleError> {
        let Some(person) = self.hub.person_by_certno(certno).await? else { return Ok(Activation::Refused) };
        let hash = code_hash(code);
        let account = self.account(&person.psn_no).await?;
        // The hub's clock, as when the code was issued (`issue_activation`, the agency route):
        // a code issued under `yidi serve --demo --clock <time>` is judged on that same clock.
        if !code_valid(account.as_ref(), &hash, self.hub.clock().now()) {
            return self.repeated(person, account, password).await;
        }
        let phc = hash_password(password.to_string()).await?;
        let (store, sessions, hub, who) =
            (self.store.clone(), self.sessions.clone(), self.hub.clone(), person.clone());
        let used = blocking(move || -> Result<_, StoreError> {
            let _only_one = accounts_lock();
            let account = store.person_account(&who.psn_no)?;
            // The clock read again, after the account, under the lock: the hash took a while (and
            // the read may have waited), so a code that expired meanwhile is refused.
            let now = hub.clock().now();
            let account = match account {
                Some(a) if code_valid(Some(&a), &hash, now) => a,
                other => return Ok(Err(other)),
            };
            store.put_person_account(&PersonAccountRecord {
                password_phc: Some(phc),
                activation_sha256: None,
                activation_expires_at: None,
                activation_issued_by: None,
                updated_at: now,
                ..account
            })?;
            sessions.remove_person(&who.psn_no);
            Ok(Ok(start(&sessions, who)))
        })
        .await??;
        match used {
            Ok(started) => Ok(Activation::Done(started)),
            Err(account) => self.repeated(person, account, password).await,
        }
    }

    /// The code was not (or no longer) valid. When it was used just now — no code pending, the
    /// account activated within [`ACTIVATION_REPEAT_SECS`] — and `password` is the stored
    /// password, this is the same form sent twice: the person is signed in (the session started
    /// as a sign-in's, only if that password is still stored). Otherwise refused; the password is
    /// verified only in that case, so a wrong code still costs no hash.
    async fn repeated(
        &self,
        person: PersonIdentity,
        account: Option<PersonAccountRecord>,
        password: &str,
    ) -> Result<Activation, PeopleError> {
        let now = self.hub.clock().now().to_epoch_secs();
        let just_used = |a: &PersonAccountRecord| {
            a.activation_sha256.is_none()
                && (0..=ACTIVATION_REPEAT_SECS).contains(&(now - a.updated_at.to_epoch_secs()))
        };
        let Some(phc) = account.filter(just_used).and_then(|a| a.password_phc) else {
            return Ok(Activation::Refused);
        };
        if !verify_password(Some(phc.clone()), password.to_string()).await {
            return Ok(Activation::Refused);
        }
        Ok(match self.start_if_current(person, phc).await? {
            Some(started) => Activation::Repeated(started),
            None => Activation::Refused,
        })
    }

    /// The signed-in person's session, if any.
    pub fn current(&self, headers: &HeaderMap) -> Option<Session> {
        self.sessions.from_headers(headers, PERSON_COOKIE).filter(|s| s.person().is_some())
    }

    /// The signed-in person's session and identity, or `not_signed_in`.
    pub fn require(&self, headers: &HeaderMap) -> Result<(Session, PersonIdentity), PeopleError> {
        let session = self.current(headers).ok_or(PeopleError::NotSignedIn)?;
        let person = session.person().cloned().ok_or(PeopleError::NotSignedIn)?;
        Ok((session, person))
    }

    /// The request carries the session's CSRF token (form field `csrf`, else `X-CSRF-Token`).
    pub fn check_csrf(
        &self,
        session: &Session,
        headers: &HeaderMap,
        form_csrf: Option<&str>,
    ) -> Result<(), PeopleError> {
        session::check_csrf(session, session::csrf_supplied(headers, form_csrf))
            .map_err(|_| PeopleError::Csrf)
    }

    /// Ends the request's session (if any); the `Set-Cookie` value clearing the cookie.
    pub fn sign_out(&self, headers: &HeaderMap) -> String {
        if let Some(id) = session::cookie_value(headers, PERSON_COOKIE) {
            self.sessions.remove(id);
        }
        session::clear_cookie(PERSON_COOKIE)
    }

    /// Issues a new activation code for a person (as the agency route does).
    pub async fn issue_activation(&self, psn_no: &str, issued_by: &str) -> Result<IssuedCode, PeopleError> {
        let (store, psn_no, by, now) =
            (self.store.clone(), psn_no.to_string(), issued_by.to_string(), self.hub.clock().now());
        Ok(blocking(move || issue_activation(store.as_ref(), &psn_no, &by, now)).await??)
    }

    /// The limiter's verdict, the attempt reserved; a lockout is logged with the address only
    /// (never the number).
    fn admit(&self, certno: &str, client: IpAddr) -> Result<Attempt, PeopleError> {
        self.limiter.admit(certno, client).map_err(|retry_after_secs| {
            tracing::warn!(client = %client, retry_after_secs, "登录尝试过多，已暂停 / sign-in locked out");
            PeopleError::RateLimited { retry_after_secs }
        })
    }

    async fn account(&self, psn_no: &str) -> Result<Option<PersonAccountRecord>, PeopleError> {
        let (store, psn_no) = (self.store.clone(), psn_no.to_string());
        Ok(blocking(move || store.person_account(&psn_no)).await??)
    }
}

/// What using an activation code came to.
enum Activation {
    /// The code was used: the new password stored, the code cleared, the person's other sessions
    /// ended and this session started, in one step under the accounts lock (`Err(Busy)`: the
    /// password is set but the session table is full).
    Done(Result<SignedIn, PeopleError>),
    /// The code had just been used and the password given is the one it set (the same form sent
    /// twice): signed in like a sign-in, the limiter attempt released.
    Repeated(Result<SignedIn, PeopleError>),
    /// A wrong, expired or used code (not a repeat), or an unknown identity number.
    Refused,
}

/// Starts a person's session in `sessions` (`Busy`: the table is full).
fn start(sessions: &SessionStore, person: PersonIdentity) -> Result<SignedIn, PeopleError> {
    let session = sessions.create(Subject::Person(person)).map_err(|_| PeopleError::Busy)?;
    let set_cookie = session::set_cookie(PERSON_COOKIE, &session.id);
    Ok(SignedIn { session, set_cookie })
}

/// The person of a session just started (for the log).
fn person_of(started: &Result<SignedIn, PeopleError>) -> Option<&PersonIdentity> {
    started.as_ref().ok().and_then(|s| s.session.person())
}

/// Stores a new one-time activation code for `psn_no` (replacing any pending one; an existing
/// password stays valid until the code is used) and returns it. The caller checks that the person
/// exists and belongs to the issuer's region. Used by the agency route and `yidi person activate`
/// (another process, possibly while the server runs): the write is
/// [`Store::put_person_activation`], which touches the activation fields only, so it can never
/// put back a password that an activation replaced. Blocks on the accounts lock (so in this
/// process a code is not issued between an activation's re-check and its write): call it on a
/// blocking thread.
pub fn issue_activation(
    store: &dyn Store,
    psn_no: &str,
    issued_by: &str,
    now: DateTime,
) -> Result<IssuedCode, StoreError> {
    let _only_one = accounts_lock();
    let code = new_code();
    let expires_at = DateTime::from_epoch_secs(now.to_epoch_secs() + ACTIVATION_VALID_SECS);
    store.put_person_activation(psn_no, code_hash(&code), expires_at, issued_by, now)?;
    Ok(IssuedCode { psn_no: psn_no.to_string(), code, expires_at })
}

/// Whether `account` holds a pending code of this hash that has not expired at `now` (the hashes
/// compared in constant time).
fn code_valid(account: Option<&PersonAccountRecord>, hash: &[u8; 32], now: DateTime) -> bool {
    account.is_some_and(|a| {
        a.activation_sha256.is_some_and(|h| bool::from(subtle::ConstantTimeEq::ct_eq(&h[..], &hash[..])))
            && a.activation_expires_at.is_some_and(|t| now < t)
    })
}

/// `XXXX-XXXX-XXXX` from [`CODE_ALPHABET`] (rejection sampling keeps the letters uniform).
fn new_code() -> String {
    let mut chars = Vec::with_capacity(CODE_CHARS);
    while chars.len() < CODE_CHARS {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the operating system's random generator works");
        let limit = 256 - 256 % CODE_ALPHABET.len();
        for b in bytes {
            if (b as usize) < limit && chars.len() < CODE_CHARS {
                chars.push(CODE_ALPHABET[b as usize % CODE_ALPHABET.len()] as char);
            }
        }
    }
    chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// The hash stored for a code: dashes, spaces and case do not matter when typed.
fn code_hash(code: &str) -> [u8; 32] {
    let normal: String =
        code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect();
    crate::crypto::sha256(normal.as_bytes())
}

fn check_password(password: &str) -> Result<(), PeopleError> {
    let n = password.chars().count();
    if n < PASSWORD_CHARS_MIN {
        Err(PeopleError::PasswordTooShort)
    } else if n > PASSWORD_CHARS_MAX {
        Err(PeopleError::PasswordTooLong)
    } else {
        Ok(())
    }
}

async fn hash_password(password: String) -> Result<String, PeopleError> {
    blocking(move || {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| PeopleError::Store(e.to_string()))?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| PeopleError::Store(e.to_string()))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| PeopleError::Store(e.to_string()))
    })
    .await?
}

/// Verifies against the stored PHC string; without one, against a fixed dummy hash, so an unknown
/// identity number costs the same time as a wrong password.
async fn verify_password(phc: Option<String>, password: String) -> bool {
    blocking(move || {
        static DUMMY: OnceLock<String> = OnceLock::new();
        let dummy = DUMMY.get_or_init(|| {
            let salt = SaltString::encode_b64(b"yidi-dummy-salt!").expect("a valid salt");
            Argon2::default().hash_password(b"not a password", &salt).expect("hashing works").to_string()
        });
        let known = phc.is_some();
        let text = phc.unwrap_or_else(|| dummy.clone());
        let Ok(parsed) = PasswordHash::new(&text) else { return false };
        Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok() && known
    })
    .await
    .unwrap_or(false)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, PeopleError> {
    tokio::task::spawn_blocking(f).await.map_err(|_| PeopleError::Busy)
}

/// The client's address as the TCP peer (the server is served with connect info); unspecified
/// when unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientIp, Infallible> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        Ok(ClientIp(ip))
    }
}

// ---------------------------------------------------------------------------------------------
// The JSON API
// ---------------------------------------------------------------------------------------------

/// The person routes, each answering JSON.
pub fn routes(people: Arc<People>) -> Router {
    Router::new()
        .route("/api/person/sign-in", post(sign_in))
        .route("/api/person/activate", post(activate))
        .route("/api/person/sign-out", post(sign_out))
        .route("/api/person/me", get(me))
        .route("/api/person/filings", get(list_filings).post(add_filing))
        .route("/api/person/filings/{filing_id}/change", post(change_filing))
        .route("/api/person/filings/{filing_id}/cancel", post(cancel_filing))
        .route("/api/person/filings/{filing_id}/history", get(filing_history))
        .route("/api/person/settlements", get(list_settlements))
        .route("/api/person/settlements/{setl_id}", get(show_settlement))
        .route("/api/person/year-to-date", get(year_to_date))
        .route("/api/person/reimbursements", get(list_reimbursements))
        .with_state(people)
}

type Api = State<Arc<People>>;

fn json_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn error_response(e: &PeopleError) -> Response {
    let problems: Vec<Value> = match e {
        PeopleError::Hub(h) => {
            h.problems().iter().map(|p| json!({"field": p.field, "message": p.message})).collect()
        }
        _ => Vec::new(),
    };
    let body = json!({"code": e.code(), "message": e.message(), "problems": problems}).to_string();
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = json_response(status, body);
    if let Some(secs) = e.retry_after_secs() {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

fn answer<T: serde::Serialize>(result: Result<T, PeopleError>) -> Response {
    match result {
        Ok(value) => json_response(StatusCode::OK, serde_json::to_string(&value).expect("views serialise")),
        Err(e) => error_response(&e),
    }
}

fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// A JSON object body of at most [`PERSON_BODY_BYTES_MAX`] bytes. Only `application/json` is
/// accepted: a cross-site HTML form cannot send it without the browser asking first.
async fn body_object(headers: &HeaderMap, body: Body) -> Result<serde_json::Map<String, Value>, PeopleError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/json"));
    if !json {
        return Err(PeopleError::Invalid("请求体应为 JSON（Content-Type: application/json）".to_string()));
    }
    let bytes = axum::body::to_bytes(body, PERSON_BODY_BYTES_MAX)
        .await
        .map_err(|_| PeopleError::Invalid(format!("请求体超过 {PERSON_BODY_BYTES_MAX} 字节上限")))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(PeopleError::Invalid("请求体应为 JSON 对象".to_string())),
    }
}

fn text_field(object: &serde_json::Map<String, Value>, name: &str) -> Result<String, PeopleError> {
    match object.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(PeopleError::Invalid(format!("缺少字段 {name}（字符串）"))),
    }
}

/// The filing fields of a person's request (`category`, `mdtrtarea_admvs`, optional dates,
/// `commitment`).
fn new_filing(object: &serde_json::Map<String, Value>) -> Result<NewFiling, PeopleError> {
    let text = |name: &str| -> Result<Option<String>, PeopleError> {
        match object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(PeopleError::Invalid(format!("字段 {name} 应为字符串"))),
        }
    };
    let commitment = match object.get("commitment") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(PeopleError::Invalid("字段 commitment 应为 true 或 false".to_string())),
    };
    Ok(NewFiling {
        category: text("category")?,
        mdtrtarea_admvs: text("mdtrtarea_admvs")?,
        begndate: text("begndate")?,
        enddate: text("enddate")?,
        commitment,
    })
}

fn signed_in_body(s: &SignedIn) -> String {
    json!({"identity": s.session.person(), "csrf": s.session.csrf}).to_string()
}

async fn sign_in(State(people): Api, ClientIp(ip): ClientIp, headers: HeaderMap, body: Body) -> Response {
    let result = async {
        let object = body_object(&headers, body).await?;
        people.sign_in(&text_field(&object, "certno")?, &text_field(&object, "password")?, ip).await
    }
    .await;
    match result {
        Ok(signed) => with_cookie(json_response(StatusCode::OK, signed_in_body(&signed)), &signed.set_cookie),
        Err(e) => error_response(&e),
    }
}

async fn activate(State(people): Api, ClientIp(ip): ClientIp, headers: HeaderMap, body: Body) -> Response {
    let result = async {
        let object = body_object(&headers, body).await?;
        let (certno, code) = (text_field(&object, "certno")?, text_field(&object, "code")?);
        people.activate(&certno, &code, &text_field(&object, "password")?, ip).await
    }
    .await;
    match result {
        Ok(signed) => with_cookie(json_response(StatusCode::OK, signed_in_body(&signed)), &signed.set_cookie),
        Err(e) => error_response(&e),
    }
}

async fn sign_out(State(people): Api, headers: HeaderMap) -> Response {
    let checked = people.require(&headers).and_then(|(s, _)| people.check_csrf(&s, &headers, None));
    match checked {
        Ok(()) => {
            let cookie = people.sign_out(&headers);
            with_cookie(json_response(StatusCode::OK, json!({"signed_out": true}).to_string()), &cookie)
        }
        Err(e) => error_response(&e),
    }
}

async fn me(State(people): Api, headers: HeaderMap) -> Response {
    let result = async {
        let (session, person) = people.require(&headers)?;
        let me = people.hub.person_me(&person.psn_no).await?;
        Ok(json!({"me": me, "csrf": session.csrf}))
    }
    .await;
    answer(result)
}

async fn list_filings(State(people): Api, headers: HeaderMap) -> Response {
    let result = async {
        let (_, person) = people.require(&headers)?;
        Ok(people.hub.person_filings(&person.psn_no).await?)
    }
    .await;
    answer(result)
}

/// A state change: signed in, CSRF checked, body read.
async fn changing(
    people: &People,
    headers: &HeaderMap,
    body: Body,
) -> Result<(PersonIdentity, serde_json::Map<String, Value>), PeopleError> {
    let (session, person) = people.require(headers)?;
    people.check_csrf(&session, headers, None)?;
    Ok((person, body_object(headers, body).await?))
}

async fn add_filing(State(people): Api, headers: HeaderMap, body: Body) -> Response {
    let result = async {
        let (person, object) = changing(&people, &headers, body).await?;
        Ok(people.hub.person_add_filing(&person.psn_no, &new_filing(&object)?).await?)
    }
    .await;
    answer(result)
}

async fn change_filing(
    State(people): Api,
    headers: HeaderMap,
    Path(filing_id): Path<String>,
    body: Body,
) -> Response {
    let result = async {
        let (person, object) = changing(&people, &headers, body).await?;
        Ok(people.hub.person_change_filing(&person.psn_no, &filing_id, &new_filing(&object)?).await?)
    }
    .await;
    answer(result)
}

async fn cancel_filing(State(people): Api, headers: HeaderMap, Path(filing_id): Path<String>) -> Response {
    let result = async {
        let (session, person) = people.require(&headers)?;
        people.check_csrf(&session, &headers, None)?;
        Ok(people.hub.person_cancel_filing(&person.psn_no, &filing_id).await?)
    }
    .await;
    answer(result)
}

async fn filing_history(State(people): Api, headers: HeaderMap, Path(filing_id): Path<String>) -> Response {
    let result = async {
        let (_, person) = people.require(&headers)?;
        Ok(people.hub.person_filing_history(&person.psn_no, &filing_id).await?)
    }
    .await;
    answer(result)
}

async fn list_settlements(State(people): Api, headers: HeaderMap, uri: Uri) -> Response {
    let result = async {
        let (_, person) = people.require(&headers)?;
        let mut q = crate::agency::query_params(&uri);
        let query = SettlementQuery {
            from: q.remove("from"),
            to: q.remove("to"),
            status: q.remove("status"),
            page: q.remove("page"),
            page_size: q.remove("page_size"),
            ..Default::default()
        };
        Ok(people.hub.person_settlements(&person.psn_no, &query).await?)
    }
    .await;
    answer(result)
}

async fn show_settlement(State(people): Api, headers: HeaderMap, Path(setl_id): Path<String>) -> Response {
    let result = async {
        let (_, person) = people.require(&headers)?;
        Ok(people.hub.person_settlement(&person.psn_no, &setl_id).await?)
    }
    .await;
    answer(result)
}

async fn year_to_date(State(people): Api, headers: HeaderMap) -> Response {
    let result = async {
        let (_, person) = people.require(&headers)?;
        Ok(people.hub.person_year_to_date(&person.psn_no).await?)
    }
    .await;
    answer(result)
}

/// The session's person's manual reimbursements (newest first, each with status, amounts and
/// the engine's explanation) under the masked identity.
async fn list_reimbursements(State(people): Api, headers: HeaderMap) -> Response {
    let result = async {
        let (_, person) = people.require(&headers)?;
        let items = people.hub.person_reimbursement_views(&person.psn_no).await?;
        Ok(json!({"identity": person, "items": items}))
    }
    .await;
    answer(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Codes are three groups of four unambiguous characters; typing ignores dashes and case.
    #[test]
    fn activation_codes_read_well() {
        let code = new_code();
        assert_eq!(code.len(), 14, "{code}");
        assert!(code.chars().all(|c| c == '-' || CODE_ALPHABET.contains(&(c as u8))), "{code}");
        assert_eq!(code_hash(&code), code_hash(&code.replace('-', " ").to_lowercase()));
        assert_ne!(new_code(), new_code());
    }
}
