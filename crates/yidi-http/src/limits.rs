//! Every bound of the HTTP edge, in one place, with the relations between them checked at
//! compile time.

/// Largest request body read (`protocol.md` §2.3); a larger one is answered 413 `too_large`
/// without being read to the end.
pub const BODY_BYTES_MAX: usize = 1 << 20;

/// Largest allowed distance between `x-tif-timestamp` and the hub's clock, either way (§3.1).
pub const TIMESTAMP_SKEW_SECS_MAX: i64 = 300;

/// How long an accepted (paasid, nonce) is remembered (§3.1). Entries are dropped by whole
/// buckets, so each one is kept between this and this plus [`NONCE_BUCKET_SECS`].
pub const NONCE_KEEP_SECS: i64 = 600;

/// Width of one time bucket of the nonce memory.
pub const NONCE_BUCKET_SECS: i64 = 60;

/// Most (paasid, nonce) pairs remembered at once. Each is a 16-byte digest, so the memory stays
/// under about 48 MiB; this is about 3 500 accepted requests per second sustained over
/// [`NONCE_KEEP_SECS`]. When full, new requests get 503 `unavailable` rather than being accepted
/// unremembered, which would open a replay gap.
pub const NONCES_KEPT_MAX: usize = 1 << 21;

/// Longest `x-tif-nonce` (§3.1: 1–64 of `[A-Za-z0-9_-]`).
pub const NONCE_LEN_MAX: usize = 64;

/// Longest `x-tif-paasid` looked up (`yidi_` + a 12-character facility code, with room to spare).
pub const PAASID_LEN_MAX: usize = 64;

/// Longest `x-tif-timestamp` parsed (Unix seconds have 10 digits until the year 2286).
pub const TIMESTAMP_LEN_MAX: usize = 12;

/// For this long after start, timestamps older than the start are refused: the nonces accepted
/// before a restart were held only in memory (§3.1).
pub const RESTART_GUARD_SECS: i64 = 300;

/// How long the previous token keeps working after `yidi facility credentials rotate` (§3.2).
pub const ROTATION_GRACE_SECS: i64 = 24 * 3_600;

/// How often a running server re-reads credentials from the store, so a token issued, rotated
/// or revoked by the CLI takes effect without a restart.
pub const CREDENTIALS_REFRESH_SECS: u64 = 10;

/// After SIGINT/SIGTERM, how long in-flight requests may take to finish before the server stops
/// waiting for them.
pub const SHUTDOWN_DRAIN_SECS_MAX: u64 = 30;

/// Most distinct `infno` labels in `/metrics`; later ones are counted as `other`, so clients
/// sending odd values cannot grow the metrics without bound.
pub const METRICS_INFNO_LABELS_MAX: usize = 64;

/// `Retry-After` on a 503 (nonce memory full) or a 429 (rate limit) from the edge.
pub const RETRY_AFTER_SECS: u32 = 1;

/// Requests per second one facility may send (`protocol.md` §2.3); past it the edge answers 429
/// `rate_limited` without reading the body. A facility may burst up to this many at once, then
/// sustain this rate (a token bucket holding one second's worth, see `rate.rs`). `yidi serve
/// --rate-limit N` overrides it for benchmarking; 0 turns the limit off. Buckets exist only for
/// authenticated facilities, so their number is bounded by the credentials held.
pub const RATE_LIMIT_PER_SEC: u32 = 1_000;

/// Largest body of an agency API request other than a pack upload (a filing is a few hundred
/// bytes).
pub const AGENCY_BODY_BYTES_MAX: usize = 64 * 1024;

/// Largest pack upload (`POST /api/agency/packs`, JSON path → text). A province's catalog is a
/// few tens of MiB; a bigger pack is imported with `yidi import`.
pub const PACK_UPLOAD_BYTES_MAX: usize = 128 * 1024 * 1024;

/// Longest `Authorization: Bearer` token looked up (issued tokens are 64 hex characters).
pub const AGENCY_TOKEN_LEN_MAX: usize = 256;

// A replay must be caught for as long as its timestamp could still pass the window: the nonce
// was accepted at most `TIMESTAMP_SKEW_SECS_MAX` before its timestamp, which stays valid for
// another `TIMESTAMP_SKEW_SECS_MAX`.
const _: () = assert!(NONCE_KEEP_SECS >= 2 * TIMESTAMP_SKEW_SECS_MAX);
const _: () = assert!(NONCE_KEEP_SECS % NONCE_BUCKET_SECS == 0);
// After the guard, every timestamp older than the start is outside the window anyway.
const _: () = assert!(RESTART_GUARD_SECS >= TIMESTAMP_SKEW_SECS_MAX);
const _: () = assert!(PAASID_LEN_MAX >= "yidi_".len() + 12);
const _: () = assert!(AGENCY_BODY_BYTES_MAX <= BODY_BYTES_MAX);
const _: () = assert!(PACK_UPLOAD_BYTES_MAX >= BODY_BYTES_MAX);
// A 429 asks the client to wait long enough for the bucket to hold a request again.
const _: () = assert!(RETRY_AFTER_SECS >= 1);
const _: () = assert!(RATE_LIMIT_PER_SEC > 0);

/// People's accounts and browser sessions (`people.rs`, `session.rs`).
/// A session unused this long is gone (idle expiry).
pub const SESSION_IDLE_SECS: i64 = 30 * 60;
/// A session is gone this long after sign-in, used or not.
pub const SESSION_LIFETIME_SECS: i64 = 12 * 3_600;
/// Most live sessions (people and agency users together); past it, expired ones are swept and
/// a sign-in is refused (503) if none was.
pub const SESSIONS_MAX: usize = 100_000;
/// Failed sign-ins (or activations) per identity number, and per client address, within
/// [`SIGN_IN_WINDOW_SECS`] before further attempts are refused with 429.
pub const SIGN_IN_FAILURES_MAX: usize = 5;
pub const SIGN_IN_WINDOW_SECS: i64 = 15 * 60;
/// Most identity numbers and addresses the sign-in limiter remembers (oldest dropped first).
pub const SIGN_IN_KEYS_MAX: usize = 100_000;
/// Password length in characters.
pub const PASSWORD_CHARS_MIN: usize = 8;
pub const PASSWORD_CHARS_MAX: usize = 128;
/// How long a one-time activation code stays valid.
pub const ACTIVATION_VALID_SECS: i64 = 72 * 3_600;
/// Largest body of a `/api/person/…` request.
pub const PERSON_BODY_BYTES_MAX: usize = 16 * 1024;

const _: () = assert!(SESSION_IDLE_SECS <= SESSION_LIFETIME_SECS);
const _: () = assert!(PASSWORD_CHARS_MIN <= PASSWORD_CHARS_MAX);
const _: () = assert!(PERSON_BODY_BYTES_MAX <= AGENCY_BODY_BYTES_MAX);
