//! Facility credentials (paasid + token) and agency tokens: issuing, rotating and revoking them
//! in the store, and the in-memory books the authenticator reads.
//!
//! A facility's token is stored sealed ([`crate::crypto::seal_token`]) because signatures are
//! recomputed from it; an agency's token is stored as its SHA-256, because an agency presents
//! the token itself and nothing needs it back. The fixed demo derivations
//! ([`crate::crypto::demo_facility_token`]) are never issued, and outside demo mode a stored
//! credential equal to one is refused.

use std::collections::HashMap;
use std::sync::Arc;

use yidi_domain::{DateTime, DivisionCode, FacilityCode};
use yidi_store::{AgencyTokenRecord, CredentialRecord, Store, StoreError};

use crate::crypto::{self, CryptoError, SecretKey};
use crate::limits::ROTATION_GRACE_SECS;
use crate::sm2::{Sm2Error, Sm2Policy};

/// Longest agency name accepted by `yidi agency add`.
pub const AGENCY_NAME_CHARS_MAX: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("机构 {0} 已有有效凭据：更换令牌请用 rotate，停用请用 revoke")]
    AlreadyIssued(String),
    #[error("机构 {0} 还没有凭据：请先 issue")]
    NotIssued(String),
    #[error("机构 {0} 的凭据已注销：重新签发请用 issue")]
    Revoked(String),
    #[error("经办机构名称应为 1–{AGENCY_NAME_CHARS_MAX} 个字符：“{0}”")]
    AgencyName(String),
    #[error("经办机构 {0} 已有有效令牌")]
    AgencyExists(String),
    #[error("没有名为 {0} 的经办机构用户")]
    AgencyNotFound(String),
    #[error("经办机构 {0} 的令牌已吊销")]
    AgencyRevoked(String),
    #[error("存储出错：{0}")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    Sm2(#[from] Sm2Error),
}

/// The gateway account of a facility: `yidi_` + its code (§3.2).
pub fn paasid_of(code: &FacilityCode) -> String {
    format!("yidi_{code}")
}

/// What `issue` and `rotate` hand back, to print once.
#[derive(Debug)]
pub struct Issued {
    pub paasid: String,
    pub token: String,
    /// After a rotation: until when the previous token still works.
    pub previous_until: Option<DateTime>,
}

/// Creates a facility's credential, or a new one after a revocation.
pub fn issue(
    store: &dyn Store,
    key: &SecretKey,
    code: &FacilityCode,
    now: DateTime,
) -> Result<Issued, CredentialError> {
    let paasid = paasid_of(code);
    let existing = find(store, &paasid)?;
    if existing.as_ref().is_some_and(|e| !e.revoked) {
        return Err(CredentialError::AlreadyIssued(code.to_string()));
    }
    let token = fresh_token(code)?;
    // A registered SM2 key belongs to the facility, not to the token: it survives re-issuing.
    let (sm2_public_key, sm2_required) =
        existing.map_or((None, false), |e| (e.sm2_public_key, e.sm2_required));
    store.put_credential(&CredentialRecord {
        paasid: paasid.clone(),
        fixmedins_code: code.to_string(),
        token_sealed: crypto::seal_token(key, &paasid, &token)?,
        previous_sealed: None,
        previous_until: None,
        revoked: false,
        updated_at: now,
        sm2_public_key,
        sm2_required,
    })?;
    Ok(Issued { paasid, token, previous_until: None })
}

/// Replaces a facility's token; the current one keeps working for [`ROTATION_GRACE_SECS`]. A
/// token already in its grace period is dropped at once (only one previous token is kept).
pub fn rotate(
    store: &dyn Store,
    key: &SecretKey,
    code: &FacilityCode,
    now: DateTime,
) -> Result<Issued, CredentialError> {
    let paasid = paasid_of(code);
    let Some(existing) = find(store, &paasid)? else {
        return Err(CredentialError::NotIssued(code.to_string()));
    };
    if existing.revoked {
        return Err(CredentialError::Revoked(code.to_string()));
    }
    // Opening proves the key file is the one the token was sealed with before we rely on it.
    crypto::open_token(key, &paasid, &existing.token_sealed)?;
    let token = fresh_token(code)?;
    let previous_until = DateTime::from_epoch_secs(now.to_epoch_secs() + ROTATION_GRACE_SECS);
    store.put_credential(&CredentialRecord {
        paasid: paasid.clone(),
        fixmedins_code: code.to_string(),
        token_sealed: crypto::seal_token(key, &paasid, &token)?,
        previous_sealed: Some(existing.token_sealed),
        previous_until: Some(previous_until),
        revoked: false,
        updated_at: now,
        sm2_public_key: existing.sm2_public_key,
        sm2_required: existing.sm2_required,
    })?;
    Ok(Issued { paasid, token, previous_until: Some(previous_until) })
}

/// Ends a facility's credential at once, the previous token included.
pub fn revoke(store: &dyn Store, code: &FacilityCode, now: DateTime) -> Result<String, CredentialError> {
    let paasid = paasid_of(code);
    let Some(existing) = find(store, &paasid)? else {
        return Err(CredentialError::NotIssued(code.to_string()));
    };
    if existing.revoked {
        return Err(CredentialError::Revoked(code.to_string()));
    }
    store.put_credential(&CredentialRecord {
        previous_sealed: None,
        previous_until: None,
        revoked: true,
        updated_at: now,
        ..existing
    })?;
    Ok(paasid)
}

/// Registers (or replaces) a facility's SM2 public key (§3.3, 65-byte uncompressed point);
/// with `required`, every request must carry a valid signature. The facility needs a live
/// credential: the key is kept on it. Returns the paasid.
pub fn set_sm2_key(
    store: &dyn Store,
    code: &FacilityCode,
    public_key: &[u8],
    required: bool,
    now: DateTime,
) -> Result<String, CredentialError> {
    Sm2Policy::new(public_key, required)?;
    let paasid = paasid_of(code);
    let Some(existing) = find(store, &paasid)? else {
        return Err(CredentialError::NotIssued(code.to_string()));
    };
    if existing.revoked {
        return Err(CredentialError::Revoked(code.to_string()));
    }
    store.put_credential(&CredentialRecord {
        sm2_public_key: Some(public_key.to_vec()),
        sm2_required: required,
        updated_at: now,
        ..existing
    })?;
    Ok(paasid)
}

fn find(store: &dyn Store, paasid: &str) -> Result<Option<CredentialRecord>, StoreError> {
    Ok(store.credentials()?.into_iter().find(|c| c.paasid == paasid))
}

/// A random token that is not the facility's public demo token (a 2⁻²⁵⁶ event, but "issue never
/// produces the demo token" is a promise, so it is checked rather than assumed).
fn fresh_token(code: &FacilityCode) -> Result<String, CryptoError> {
    let demo = crypto::demo_facility_token(code.as_str());
    loop {
        let token = crypto::new_token()?;
        if token != demo {
            return Ok(token);
        }
    }
}

/// What `yidi agency add` hands back, to print once.
#[derive(Debug)]
pub struct AgencyIssued {
    pub name: String,
    pub admdvs: DivisionCode,
    pub token: String,
}

/// Creates an agency user's token for a pooling region; only its SHA-256 is stored.
pub fn add_agency(
    store: &dyn Store,
    name: &str,
    admdvs: DivisionCode,
    now: DateTime,
) -> Result<AgencyIssued, CredentialError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > AGENCY_NAME_CHARS_MAX || name.chars().any(char::is_control) {
        return Err(CredentialError::AgencyName(name.to_string()));
    }
    if store.agency_tokens()?.iter().any(|a| a.name == name && !a.revoked) {
        return Err(CredentialError::AgencyExists(name.to_string()));
    }
    let demo = crypto::demo_agency_token(&admdvs.to_string());
    let token = loop {
        let token = crypto::new_token()?;
        if token != demo {
            break token;
        }
    };
    store.put_agency_token(&AgencyTokenRecord {
        name: name.to_string(),
        admdvs: admdvs.to_string(),
        token_sha256: crypto::sha256(token.as_bytes()),
        revoked: false,
        created_at: now,
    })?;
    Ok(AgencyIssued { name: name.to_string(), admdvs, token })
}

/// Revokes an agency user's token: the API refuses it and the dashboard sessions opened with it
/// end once a running server reloads its tokens (within `CREDENTIALS_REFRESH_SECS`). `yidi agency
/// add` with the same name issues a new token afterwards.
pub fn revoke_agency(store: &dyn Store, name: &str) -> Result<AgencyTokenRecord, CredentialError> {
    let name = name.trim();
    let Some(existing) = store.agency_tokens()?.into_iter().find(|a| a.name == name) else {
        return Err(CredentialError::AgencyNotFound(name.to_string()));
    };
    if existing.revoked {
        return Err(CredentialError::AgencyRevoked(name.to_string()));
    }
    let revoked = AgencyTokenRecord { revoked: true, ..existing };
    store.put_agency_token(&revoked)?;
    Ok(revoked)
}

/// One usable token of a facility.
#[derive(Clone)]
struct Token {
    value: String,
    /// Equal to the facility's public demo token: accepted only in demo mode.
    is_demo: bool,
}

impl Token {
    fn new(code: &str, value: String) -> Token {
        let is_demo = value == crypto::demo_facility_token(code);
        Token { value, is_demo }
    }
}

/// A facility's credential as the authenticator sees it, tokens decrypted.
#[derive(Clone)]
pub struct FacilityCredential {
    pub fixmedins_code: String,
    pub revoked: bool,
    /// The registered SM2 key, when there is one (§3.3).
    pub sm2: Option<Arc<Sm2Policy>>,
    current: Token,
    previous: Option<(Token, DateTime)>,
}

impl std::fmt::Debug for FacilityCredential {
    // Tokens never reach a log line, even by `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FacilityCredential")
            .field("fixmedins_code", &self.fixmedins_code)
            .field("revoked", &self.revoked)
            .field("sm2", &self.sm2)
            .finish_non_exhaustive()
    }
}

/// A token to try, and whether it is a demo derivation.
pub struct Candidate<'a> {
    pub token: &'a str,
    pub is_demo: bool,
}

impl FacilityCredential {
    /// The tokens valid at `now`: the current one, and the previous one during its grace.
    pub fn candidates(&self, now: DateTime) -> impl Iterator<Item = Candidate<'_>> {
        let previous = self.previous.as_ref().filter(|(_, until)| now < *until).map(|(t, _)| t);
        std::iter::once(&self.current)
            .chain(previous)
            .map(|t| Candidate { token: &t.value, is_demo: t.is_demo })
    }
}

/// Every facility credential by paasid, decrypted in memory.
#[derive(Clone, Debug, Default)]
pub struct CredentialBook {
    by_paasid: HashMap<String, FacilityCredential>,
}

impl CredentialBook {
    /// Opens the stored credentials; those the key cannot open are left out and their paasids
    /// returned, so the caller can say which facilities cannot sign in. A stored SM2 key that
    /// is not a valid point leaves its credential out too: failing closed, since skipping the
    /// check would accept unsigned bodies from a facility that asked for signatures.
    pub fn open(records: &[CredentialRecord], key: &SecretKey) -> (CredentialBook, Vec<String>) {
        let mut book = CredentialBook::default();
        let mut unreadable = Vec::new();
        for r in records {
            let sm2 = match (&r.sm2_public_key, r.sm2_required) {
                (Some(public_key), required) => match Sm2Policy::new(public_key, required) {
                    Ok(policy) => Some(Arc::new(policy)),
                    Err(_) => {
                        unreadable.push(r.paasid.clone());
                        continue;
                    }
                },
                (None, false) => None,
                (None, true) => {
                    unreadable.push(r.paasid.clone());
                    continue;
                }
            };
            let current = match crypto::open_token(key, &r.paasid, &r.token_sealed) {
                Ok(token) => Token::new(&r.fixmedins_code, token),
                Err(_) if r.revoked => Token { value: String::new(), is_demo: false },
                Err(_) => {
                    unreadable.push(r.paasid.clone());
                    continue;
                }
            };
            let previous = match (&r.previous_sealed, r.previous_until) {
                (Some(sealed), Some(until)) => crypto::open_token(key, &r.paasid, sealed)
                    .ok()
                    .map(|token| (Token::new(&r.fixmedins_code, token), until)),
                _ => None,
            };
            let credential = FacilityCredential {
                fixmedins_code: r.fixmedins_code.clone(),
                revoked: r.revoked,
                sm2,
                current,
                previous,
            };
            book.by_paasid.insert(r.paasid.clone(), credential);
        }
        (book, unreadable)
    }

    /// Adds the fixed demo credential of every facility that has no stored credential (a stored
    /// one, even revoked, wins: the operator issued or ended it on purpose).
    pub fn add_demo<'a>(&mut self, codes: impl IntoIterator<Item = &'a FacilityCode>) {
        for code in codes {
            let token = Token { value: crypto::demo_facility_token(code.as_str()), is_demo: true };
            self.by_paasid.entry(paasid_of(code)).or_insert_with(|| FacilityCredential {
                fixmedins_code: code.to_string(),
                revoked: false,
                sm2: None,
                current: token,
                previous: None,
            });
        }
    }

    pub fn get(&self, paasid: &str) -> Option<&FacilityCredential> {
        self.by_paasid.get(paasid)
    }
    pub fn len(&self) -> usize {
        self.by_paasid.len()
    }
    pub fn is_empty(&self) -> bool {
        self.by_paasid.is_empty()
    }
}

/// An agency user, as found by its token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agency {
    pub name: String,
    pub admdvs: String,
}

/// Agency tokens by SHA-256, for the agency pages.
#[derive(Clone, Debug, Default)]
pub struct AgencyBook {
    by_hash: HashMap<[u8; 32], Agency>,
}

impl AgencyBook {
    /// Builds the book from stored tokens. Outside demo mode a stored token equal to its
    /// region's demo derivation is left out; in demo mode each region in `demo_regions` gets its
    /// fixed demo token.
    pub fn new(records: &[AgencyTokenRecord], demo_regions: Option<&[DivisionCode]>) -> AgencyBook {
        let mut by_hash = HashMap::new();
        for r in records.iter().filter(|r| !r.revoked) {
            let is_demo = r.token_sha256 == crypto::sha256(crypto::demo_agency_token(&r.admdvs).as_bytes());
            if is_demo && demo_regions.is_none() {
                continue;
            }
            by_hash.insert(r.token_sha256, Agency { name: r.name.clone(), admdvs: r.admdvs.clone() });
        }
        for admdvs in demo_regions.unwrap_or_default() {
            let admdvs = admdvs.to_string();
            let hash = crypto::sha256(crypto::demo_agency_token(&admdvs).as_bytes());
            by_hash.entry(hash).or_insert_with(|| Agency { name: format!("demo-{admdvs}"), admdvs });
        }
        AgencyBook { by_hash }
    }

    pub fn authenticate(&self, token: &str) -> Option<&Agency> {
        self.by_hash.get(&crypto::sha256(token.as_bytes()))
    }

    /// Whether a token of this SHA-256 is still valid (not revoked): agency sessions ask on
    /// every request, so revoking a token ends the sessions opened with it.
    pub fn knows_hash(&self, token_sha256: &[u8; 32]) -> bool {
        self.by_hash.contains_key(token_sha256)
    }
}

/// Where a running server (re)loads facility credentials from: the store, opened with the key,
/// plus the demo credentials in demo mode.
#[derive(Clone)]
pub struct CredentialSource {
    pub store: std::sync::Arc<dyn Store>,
    pub key: SecretKey,
    /// Demo mode: every pack facility gets its fixed demo credential.
    pub demo_facilities: Option<std::sync::Arc<Vec<FacilityCode>>>,
}

impl CredentialSource {
    /// The current book, and the paasids whose stored token the key cannot open.
    pub fn load(&self) -> Result<(CredentialBook, Vec<String>), StoreError> {
        let (mut book, unreadable) = CredentialBook::open(&self.store.credentials()?, &self.key);
        if let Some(codes) = &self.demo_facilities {
            book.add_demo(codes.iter());
        }
        Ok((book, unreadable))
    }
}
