//! Gateway authentication at its boundary: headers in, facility or refusal out, against
//! credentials issued, rotated and revoked in a real (in-memory SQLite) store.

use yidi_domain::{Date, DateTime, FacilityCode};
use yidi_http::auth::{AuthConfig, Authenticator, FacilityWindows, GatewayHeaders, Refusal};
use yidi_http::credentials::{self, CredentialBook};
use yidi_http::crypto::{self, SecretKey};
use yidi_store::Store;
use yidi_store_sqlite::SqliteStore;

const CODE: &str = "H31010400123";
const PAASID: &str = "yidi_H31010400123";

/// 2025-03-02 09:41:00 Beijing time, as the hub clock reads it (ms).
fn now_ms() -> i64 {
    DateTime::parse("2025-03-02 09:41:00").unwrap().to_epoch_secs() * 1_000
}

/// The same instant as Unix seconds (UTC = Beijing − 8 h): `1740879660`, the §7 example.
fn now_unix() -> i64 {
    now_ms() / 1_000 - 8 * 3_600
}

fn now() -> DateTime {
    DateTime::from_epoch_secs(now_ms() / 1_000)
}

/// A store holding one issued credential, and its token.
struct World {
    store: SqliteStore,
    key: SecretKey,
    token: String,
}

impl World {
    fn new() -> World {
        let store = SqliteStore::open_in_memory().unwrap();
        let key = SecretKey::from_bytes([7; 32]);
        let issued = credentials::issue(&store, &key, &code(), now()).unwrap();
        assert_eq!(issued.paasid, PAASID);
        World { store, key, token: issued.token }
    }

    fn auth(&self, config: AuthConfig) -> Authenticator {
        let (book, unreadable) = CredentialBook::open(&self.store.credentials().unwrap(), &self.key);
        assert!(unreadable.is_empty());
        Authenticator::new(config, book)
    }
}

fn code() -> FacilityCode {
    FacilityCode::parse(CODE).unwrap()
}

/// Started an hour before `now`, not in demo mode.
fn config() -> AuthConfig {
    AuthConfig { demo_mode: false, started_unix: now_unix() - 3_600 }
}

/// Signed headers with owned strings, so a test can spoil one field.
struct Signed {
    paasid: String,
    timestamp: String,
    nonce: String,
    signature: String,
}

impl Signed {
    fn new(token: &str, timestamp: i64, nonce: &str) -> Signed {
        let timestamp = timestamp.to_string();
        let signature = crypto::signature(&timestamp, token, nonce);
        Signed { paasid: PAASID.to_string(), timestamp, nonce: nonce.to_string(), signature }
    }
    fn headers(&self) -> GatewayHeaders<'_> {
        GatewayHeaders {
            paasid: Some(&self.paasid),
            timestamp: Some(&self.timestamp),
            nonce: Some(&self.nonce),
            signature: Some(&self.signature),
        }
    }
}

/// The one check: the refusal's status, `err_code` and the header named in `err_msg`, or the
/// facility authenticated.
fn check(auth: &Authenticator, signed: &Signed, at_ms: i64) -> Result<String, (u16, &'static str, String)> {
    auth.check(&signed.headers(), at_ms).map(|a| a.fixmedins_code).map_err(|r: Refusal| {
        let msg = r.err_msg();
        assert!(msg.starts_with('['), "{msg}");
        (r.status, r.err_code, msg)
    })
}

fn refused_at(result: Result<String, (u16, &'static str, String)>, code: &str, header: &str) {
    let (status, err_code, msg) = result.expect_err("should be refused");
    assert_eq!((status, err_code), (401, code), "{msg}");
    assert!(msg.starts_with(&format!("[{header}]")), "{msg}");
}

/// The §7 example's signature is recomputed from the token; the facility is the credential's.
#[test]
fn good_signature_authenticates_the_facility() {
    let w = World::new();
    let auth = w.auth(config());
    assert_eq!(now_unix(), 1_740_879_660);
    assert_eq!(check(&auth, &Signed::new(&w.token, now_unix(), "7f3c9a2e41b04d6c"), now_ms()).unwrap(), CODE);
}

/// One changed hex digit, or another token, fails; the answer names x-tif-signature.
#[test]
fn wrong_signature_is_refused() {
    let w = World::new();
    let auth = w.auth(config());
    let mut signed = Signed::new(&w.token, now_unix(), "n1");
    let flipped = if signed.signature.starts_with('0') { "1" } else { "0" };
    signed.signature.replace_range(0..1, flipped);
    refused_at(check(&auth, &signed, now_ms()), "auth_failed", "x-tif-signature");
    let other = Signed::new(&"ab".repeat(32), now_unix(), "n2");
    refused_at(check(&auth, &other, now_ms()), "auth_failed", "x-tif-signature");
    let mut short = Signed::new(&w.token, now_unix(), "n3");
    short.signature.truncate(63);
    refused_at(check(&auth, &short, now_ms()), "auth_failed", "x-tif-signature");
}

/// Hex case is ignored (§3.1).
#[test]
fn uppercase_hex_signature_is_accepted() {
    let w = World::new();
    let auth = w.auth(config());
    let mut signed = Signed::new(&w.token, now_unix(), "n1");
    signed.signature = signed.signature.to_ascii_uppercase();
    assert_eq!(check(&auth, &signed, now_ms()).unwrap(), CODE);
}

/// ±300 s is accepted, 301 s either way is not.
#[test]
fn timestamps_outside_300_seconds_are_refused() {
    let w = World::new();
    let auth = w.auth(config());
    for (i, offset) in [-300, 300].into_iter().enumerate() {
        let signed = Signed::new(&w.token, now_unix() + offset, &format!("ok{i}"));
        assert_eq!(check(&auth, &signed, now_ms()).unwrap(), CODE, "offset {offset}");
    }
    for (i, offset) in [-301, 301, -86_400].into_iter().enumerate() {
        let signed = Signed::new(&w.token, now_unix() + offset, &format!("bad{i}"));
        refused_at(check(&auth, &signed, now_ms()), "auth_failed", "x-tif-timestamp");
    }
    let mut text = Signed::new(&w.token, now_unix(), "t");
    text.timestamp = "2025-03-02".to_string();
    refused_at(check(&auth, &text, now_ms()), "auth_failed", "x-tif-timestamp");
}

/// The same (paasid, nonce) again within 600 s is `replay`, even with a new timestamp.
#[test]
fn replayed_nonce_is_refused() {
    let w = World::new();
    let auth = w.auth(config());
    let signed = Signed::new(&w.token, now_unix(), "7f3c9a2e41b04d6c");
    assert!(check(&auth, &signed, now_ms()).is_ok());
    refused_at(check(&auth, &signed, now_ms() + 1_000), "replay", "x-tif-nonce");
    let resigned = Signed::new(&w.token, now_unix() + 200, "7f3c9a2e41b04d6c");
    refused_at(check(&auth, &resigned, now_ms() + 200_000), "replay", "x-tif-nonce");
    // A refused request does not use up its nonce.
    let mut wrong = Signed::new(&w.token, now_unix(), "fresh");
    wrong.signature = "0".repeat(64);
    refused_at(check(&auth, &wrong, now_ms()), "auth_failed", "x-tif-signature");
    assert!(check(&auth, &Signed::new(&w.token, now_unix(), "fresh"), now_ms()).is_ok());
}

/// Nonces are 1–64 of `[A-Za-z0-9_-]`.
#[test]
fn bad_nonce_characters_are_refused() {
    let w = World::new();
    let auth = w.auth(config());
    for nonce in ["a b", "x/y", "中文", "a.b", &"n".repeat(65)] {
        refused_at(
            check(&auth, &Signed::new(&w.token, now_unix(), nonce), now_ms()),
            "auth_failed",
            "x-tif-nonce",
        );
    }
    let edge = "A-z_9".to_string() + &"n".repeat(59);
    assert!(check(&auth, &Signed::new(&w.token, now_unix(), &edge), now_ms()).is_ok());
}

/// A missing or empty header is refused and named.
#[test]
fn missing_headers_are_named() {
    let w = World::new();
    let auth = w.auth(config());
    let signed = Signed::new(&w.token, now_unix(), "n1");
    let mut h = signed.headers();
    h.signature = None;
    let r = auth.check(&h, now_ms()).unwrap_err();
    assert_eq!((r.status, r.err_code), (401, "auth_failed"));
    assert!(r.err_msg().starts_with("[x-tif-signature]"), "{}", r.err_msg());
    let mut h = signed.headers();
    h.paasid = Some("");
    assert!(auth.check(&h, now_ms()).unwrap_err().err_msg().starts_with("[x-tif-paasid]"));
}

/// Unknown and revoked paasids get the same answer.
#[test]
fn unknown_and_revoked_paasids_are_refused() {
    let w = World::new();
    let auth = w.auth(config());
    let mut unknown = Signed::new(&w.token, now_unix(), "n1");
    unknown.paasid = "yidi_H11010100001".to_string();
    refused_at(check(&auth, &unknown, now_ms()), "auth_failed", "x-tif-paasid");

    credentials::revoke(&w.store, &code(), now()).unwrap();
    let auth = w.auth(config());
    let revoked = check(&auth, &Signed::new(&w.token, now_unix(), "n2"), now_ms());
    refused_at(revoked.clone(), "auth_failed", "x-tif-paasid");
    assert_eq!(
        revoked.unwrap_err().2.replace(PAASID, ""),
        check(&auth, &unknown, now_ms()).unwrap_err().2.replace("yidi_H11010100001", "")
    );
    // Re-issuing after a revocation gives a new, working token.
    let reissued = credentials::issue(&w.store, &w.key, &code(), now()).unwrap();
    assert_ne!(reissued.token, w.token);
    let auth = w.auth(config());
    assert!(check(&auth, &Signed::new(&reissued.token, now_unix(), "n3"), now_ms()).is_ok());
}

/// After a rotation both tokens work for 24 h; then only the new one.
#[test]
fn rotated_token_keeps_working_for_24_hours() {
    let w = World::new();
    let rotated = credentials::rotate(&w.store, &w.key, &code(), now()).unwrap();
    assert_ne!(rotated.token, w.token);
    let auth = w.auth(config());
    let in_grace_ms = now_ms() + (24 * 3_600 - 1) * 1_000;
    let in_grace_unix = now_unix() + 24 * 3_600 - 1;
    assert!(check(&auth, &Signed::new(&w.token, in_grace_unix, "old1"), in_grace_ms).is_ok());
    assert!(check(&auth, &Signed::new(&rotated.token, in_grace_unix, "new1"), in_grace_ms).is_ok());
    let after_ms = now_ms() + 24 * 3_600 * 1_000;
    let after_unix = now_unix() + 24 * 3_600;
    refused_at(
        check(&auth, &Signed::new(&w.token, after_unix, "old2"), after_ms),
        "auth_failed",
        "x-tif-signature",
    );
    assert!(check(&auth, &Signed::new(&rotated.token, after_unix, "new2"), after_ms).is_ok());
}

/// A credential equal to the public demo derivation works only in demo mode; `issue` never
/// produces it.
#[test]
fn demo_token_is_refused_outside_demo_mode() {
    let w = World::new();
    assert_ne!(w.token, crypto::demo_facility_token(CODE));
    let demo_token = crypto::demo_facility_token(CODE);
    assert_eq!(demo_token, crypto::sha256_hex(format!("yidi-demo:{CODE}").as_bytes()));

    // A demo credential written into the store (say, by an older tool) is refused...
    let paasid = PAASID.to_string();
    let mut record = w.store.credentials().unwrap().remove(0);
    record.token_sealed = crypto::seal_token(&w.key, &paasid, &demo_token).unwrap();
    w.store.put_credential(&record).unwrap();
    let auth = w.auth(config());
    refused_at(
        check(&auth, &Signed::new(&demo_token, now_unix(), "d1"), now_ms()),
        "auth_failed",
        "x-tif-paasid",
    );
    // ...and accepted with --demo.
    let auth = w.auth(AuthConfig { demo_mode: true, ..config() });
    assert!(check(&auth, &Signed::new(&demo_token, now_unix(), "d2"), now_ms()).is_ok());

    // Demo-mode books hold the derivation for facilities without a stored credential.
    let mut book = CredentialBook::default();
    book.add_demo([&code()]);
    let demo_auth = Authenticator::new(AuthConfig { demo_mode: true, ..config() }, book.clone());
    assert!(check(&demo_auth, &Signed::new(&demo_token, now_unix(), "d3"), now_ms()).is_ok());
    let strict_auth = Authenticator::new(config(), book);
    refused_at(
        check(&strict_auth, &Signed::new(&demo_token, now_unix(), "d4"), now_ms()),
        "auth_failed",
        "x-tif-paasid",
    );
}

/// For 300 s after start, timestamps older than the start are refused (nonces from before a
/// restart are not remembered); afterwards the normal window applies.
#[test]
fn timestamps_before_a_restart_are_refused_for_300_seconds() {
    let w = World::new();
    let auth = w.auth(AuthConfig { demo_mode: false, started_unix: now_unix() });
    refused_at(
        check(&auth, &Signed::new(&w.token, now_unix() - 1, "r1"), now_ms() + 10_000),
        "auth_failed",
        "x-tif-timestamp",
    );
    assert!(check(&auth, &Signed::new(&w.token, now_unix(), "r2"), now_ms() + 10_000).is_ok());
    let later_ms = now_ms() + 300_000;
    assert!(check(&auth, &Signed::new(&w.token, now_unix() + 1, "r3"), later_ms).is_ok());
}

/// A facility outside its pack validity, or absent from the pack, is 403 `forbidden_facility`.
#[test]
fn facility_outside_its_validity_is_forbidden() {
    let pack = yidi_refdata::load_pack(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test_data/demo"),
    )
    .unwrap();
    let windows = FacilityWindows::from_pack(&pack);
    let (code, facility) = pack.refdata.facilities.iter().min_by_key(|(c, _)| (*c).clone()).unwrap();
    assert!(windows.check(code.as_str(), Date::new(2025, 3, 2).unwrap()).is_ok());
    let before = facility.begndate.add_days(-1);
    let r = windows.check(code.as_str(), before).unwrap_err();
    assert_eq!((r.status, r.err_code), (403, "forbidden_facility"));
    let r = windows.check("H99999900001", Date::new(2025, 3, 2).unwrap()).unwrap_err();
    assert_eq!((r.status, r.err_code), (403, "forbidden_facility"));
}
