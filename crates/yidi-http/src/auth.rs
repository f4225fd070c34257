//! Gateway authentication (`protocol.md` §3.1–3.4): the four `x-tif-*` headers, checked before
//! the body is read, and the facility's validity window.
//!
//! Checks run cheapest first and the nonce is remembered last, only once the signature is
//! right, so unauthenticated traffic can neither fill the nonce memory nor burn a facility's
//! nonces. Every failure is one [`Refusal`] naming the header at fault; unknown and revoked
//! paasids get the same answer, so the answer does not tell which accounts exist.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use yidi_domain::{Date, DateTime, Pack, in_period};
use yidi_protocol::errors::{AUTH_FAILED, FORBIDDEN_FACILITY, REPLAY, UNAVAILABLE};

use crate::credentials::CredentialBook;
use crate::crypto::{self, HEX_DIGEST_LEN};
use crate::limits::{
    NONCE_LEN_MAX, NONCES_KEPT_MAX, PAASID_LEN_MAX, RESTART_GUARD_SECS, RETRY_AFTER_SECS, TIMESTAMP_LEN_MAX,
    TIMESTAMP_SKEW_SECS_MAX,
};
use crate::nonces::{NonceMemory, NonceOutcome};
use crate::sm2::Sm2Policy;

pub const HEADER_PAASID: &str = "x-tif-paasid";
pub const HEADER_TIMESTAMP: &str = "x-tif-timestamp";
pub const HEADER_NONCE: &str = "x-tif-nonce";
pub const HEADER_SIGNATURE: &str = "x-tif-signature";

/// Beijing time is UTC+8 all year (no daylight saving).
const BEIJING_OFFSET_SECS: i64 = 8 * 3_600;

/// Unix seconds from the hub clock's reading. The gateway timestamp is Unix time (UTC), while
/// the hub [`yidi_hub::Clock`] counts Beijing civil time in milliseconds; this is the one place
/// the two meet.
pub fn unix_secs_from_beijing_millis(beijing_millis: i64) -> i64 {
    beijing_millis.div_euclid(1_000) - BEIJING_OFFSET_SECS
}

/// The gateway headers of one request as received: `None` when absent; a value that is not
/// visible ASCII is passed as `""` and refused as malformed.
#[derive(Clone, Copy, Debug, Default)]
pub struct GatewayHeaders<'a> {
    pub paasid: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub nonce: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// Why a request was not processed: an HTTP status, a national `err_code` and a reason in
/// Chinese attached to the header at fault (`[x-tif-signature]签名不正确`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub err_code: &'static str,
    /// The header (or other source) at fault, as it appears in `err_msg`.
    pub at: &'static str,
    pub reason: String,
    pub retry_after_secs: Option<u32>,
}

impl Refusal {
    fn new(status: u16, err_code: &'static str, at: &'static str, reason: impl Into<String>) -> Refusal {
        Refusal { status, err_code, at, reason: reason.into(), retry_after_secs: None }
    }
    fn auth(at: &'static str, reason: impl Into<String>) -> Refusal {
        Refusal::new(401, AUTH_FAILED, at, reason)
    }
    /// `err_msg`: `[at]reason`.
    pub fn err_msg(&self) -> String {
        format!("[{}]{}", self.at, self.reason)
    }
}

/// The facility a request was authenticated as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authenticated {
    pub paasid: String,
    pub fixmedins_code: String,
    /// The facility's registered SM2 key: the body's signature is checked once it is read.
    pub sm2: Option<Arc<Sm2Policy>>,
}

/// How authentication behaves for this process.
#[derive(Clone, Copy, Debug)]
pub struct AuthConfig {
    /// `yidi serve --demo`: the public demo tokens are accepted.
    pub demo_mode: bool,
    /// When this process started, Unix seconds (for the restart guard).
    pub started_unix: i64,
}

/// Checks gateway headers against the credential book and the nonce memory.
#[derive(Debug)]
pub struct Authenticator {
    config: AuthConfig,
    book: RwLock<Arc<CredentialBook>>,
    nonces: Mutex<NonceMemory>,
}

impl Authenticator {
    pub fn new(config: AuthConfig, book: CredentialBook) -> Authenticator {
        Authenticator {
            config,
            book: RwLock::new(Arc::new(book)),
            nonces: Mutex::new(NonceMemory::default()),
        }
    }

    /// Swaps in a freshly loaded book (credentials issued, rotated or revoked meanwhile).
    pub fn replace_book(&self, book: CredentialBook) {
        *self.book.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(book);
    }

    /// Pairs held in the nonce memory now.
    pub fn nonces_kept(&self) -> usize {
        self.nonces.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).len()
    }

    /// Authenticates one request at `now_beijing_millis` (the hub clock's reading).
    pub fn check(&self, h: &GatewayHeaders, now_beijing_millis: i64) -> Result<Authenticated, Refusal> {
        let now_unix = unix_secs_from_beijing_millis(now_beijing_millis);
        let now = DateTime::from_epoch_secs(now_beijing_millis.div_euclid(1_000));
        let paasid = required(h.paasid, HEADER_PAASID)?;
        let timestamp_text = required(h.timestamp, HEADER_TIMESTAMP)?;
        let nonce = required(h.nonce, HEADER_NONCE)?;
        let signature = required(h.signature, HEADER_SIGNATURE)?;
        let timestamp = parse_timestamp(timestamp_text)?;
        check_nonce_format(nonce)?;
        check_signature_format(signature)?;
        self.check_window(timestamp, now_unix)?;

        let book = self.book.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        let unknown = || Refusal::auth(HEADER_PAASID, format!("接入账号 {} 不存在或已停用", shown(paasid)));
        if paasid.len() > PAASID_LEN_MAX {
            return Err(unknown());
        }
        let credential = book.get(paasid).filter(|c| !c.revoked).ok_or_else(unknown)?;
        let matched = credential.candidates(now).find(|c| {
            crypto::signature_matches(signature, &crypto::signature(timestamp_text, c.token, nonce))
        });
        let Some(matched) = matched else {
            return Err(Refusal::auth(
                HEADER_SIGNATURE,
                "签名不正确：应为 SHA-256(timestamp+token+nonce+timestamp) 的十六进制",
            ));
        };
        if matched.is_demo && !self.config.demo_mode {
            return Err(Refusal::auth(
                HEADER_PAASID,
                "演示凭据（公开推导的令牌）只在 yidi serve --demo 下有效；请用 yidi facility credentials issue 签发正式令牌",
            ));
        }

        let outcome = self
            .nonces
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .check_and_remember(now_unix, paasid, nonce);
        match outcome {
            NonceOutcome::Fresh => Ok(Authenticated {
                paasid: paasid.to_string(),
                fixmedins_code: credential.fixmedins_code.clone(),
                sm2: credential.sm2.clone(),
            }),
            NonceOutcome::Replay => Err(Refusal::new(
                401,
                REPLAY,
                HEADER_NONCE,
                "该随机数已被使用（600 秒内不得重复）：每次请求须用新的 nonce 重新签名",
            )),
            NonceOutcome::Full => Err(Refusal {
                retry_after_secs: Some(RETRY_AFTER_SECS),
                ..Refusal::new(
                    503,
                    UNAVAILABLE,
                    HEADER_NONCE,
                    format!("防重放缓存已满（{NONCES_KEPT_MAX} 条），本次请求未处理；请稍后重发"),
                )
            }),
        }
    }

    fn check_window(&self, timestamp: i64, now_unix: i64) -> Result<(), Refusal> {
        if (now_unix - timestamp).abs() > TIMESTAMP_SKEW_SECS_MAX {
            return Err(Refusal::auth(
                HEADER_TIMESTAMP,
                format!(
                    "时间戳 {timestamp} 与服务器时间 {now_unix} 相差超过 {TIMESTAMP_SKEW_SECS_MAX} 秒：请校准时钟后重新签名"
                ),
            ));
        }
        // Nonces accepted before a restart were held in memory only; refusing timestamps from
        // before the start, until they fall out of the window anyway, keeps them from being
        // replayed against this process. Not covered: a request accepted shortly before the
        // restart with a timestamp already past the start (a client clock running ahead);
        // closing that needs the nonces kept in the store (§3.1, shared across nodes).
        let started = self.config.started_unix;
        if now_unix < started + RESTART_GUARD_SECS && timestamp < started {
            return Err(Refusal::auth(
                HEADER_TIMESTAMP,
                format!("时间戳 {timestamp} 早于本节点启动时间 {started}：请用当前时间重新签名"),
            ));
        }
        Ok(())
    }
}

fn required<'a>(value: Option<&'a str>, header: &'static str) -> Result<&'a str, Refusal> {
    match value {
        None => Err(Refusal::auth(header, "缺少该请求头")),
        Some("") => Err(Refusal::auth(header, "请求头为空或含非 ASCII 字符")),
        Some(value) => Ok(value),
    }
}

fn parse_timestamp(text: &str) -> Result<i64, Refusal> {
    let digits = text.len() <= TIMESTAMP_LEN_MAX && text.bytes().all(|b| b.is_ascii_digit());
    match text.parse::<i64>() {
        Ok(secs) if digits => Ok(secs),
        _ => Err(Refusal::auth(HEADER_TIMESTAMP, format!("“{}” 不是 Unix 秒数", shown(text)))),
    }
}

fn check_nonce_format(nonce: &str) -> Result<(), Refusal> {
    let ok = nonce.len() <= NONCE_LEN_MAX
        && nonce.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        return Ok(());
    }
    Err(Refusal::auth(HEADER_NONCE, format!("应为 1–{NONCE_LEN_MAX} 位字母、数字、下划线或连字符")))
}

fn check_signature_format(signature: &str) -> Result<(), Refusal> {
    if signature.len() == HEX_DIGEST_LEN && signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(());
    }
    Err(Refusal::auth(HEADER_SIGNATURE, format!("应为 {HEX_DIGEST_LEN} 位十六进制（SHA-256）")))
}

/// Echoes client text into a message, cut short: messages must stay small whatever was sent.
fn shown(text: &str) -> String {
    const SHOWN_CHARS_MAX: usize = 40;
    if text.chars().count() <= SHOWN_CHARS_MAX {
        return text.to_string();
    }
    let cut: String = text.chars().take(SHOWN_CHARS_MAX).collect();
    format!("{cut}…")
}

/// Each facility's validity window from the pack (`begndate`–`enddate`, both inclusive).
#[derive(Clone, Debug, Default)]
pub struct FacilityWindows {
    by_code: HashMap<String, (Date, Option<Date>)>,
}

impl FacilityWindows {
    pub fn from_pack(pack: &Pack) -> FacilityWindows {
        let by_code =
            pack.refdata.facilities.values().map(|f| (f.code.to_string(), (f.begndate, f.enddate))).collect();
        FacilityWindows { by_code }
    }

    /// 403 `forbidden_facility` for a facility the pack does not hold or does not list as
    /// designated on `today` (§3.4).
    pub fn check(&self, code: &str, today: Date) -> Result<(), Refusal> {
        let forbidden = |reason: String| Refusal::new(403, FORBIDDEN_FACILITY, HEADER_PAASID, reason);
        let Some(&(begndate, enddate)) = self.by_code.get(code) else {
            return Err(forbidden(format!("机构 {code} 不在当前数据包的定点机构中")));
        };
        if in_period(today, begndate, enddate) {
            return Ok(());
        }
        let end = enddate.map_or_else(|| "长期".to_string(), |d| d.to_string());
        Err(forbidden(format!("机构 {code} 的定点有效期为 {begndate} 至 {end}，今天（{today}）不在其中")))
    }
}
