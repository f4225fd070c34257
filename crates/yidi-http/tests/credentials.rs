//! Credentials at rest: tokens sealed with AES-256-GCM under the key file, so the database alone
//! reveals nothing; key files; agency tokens stored as hashes; demo derivations.

use std::fs;
use std::path::PathBuf;

use yidi_domain::{DateTime, DivisionCode, FacilityCode};
use yidi_http::credentials::{self, AgencyBook, CredentialBook, CredentialError};
use yidi_http::crypto::{self, SecretKey};
use yidi_store::Store;
use yidi_store_sqlite::SqliteStore;

fn now() -> DateTime {
    DateTime::parse("2025-03-02 09:41:00").unwrap()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("yidi-http-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn code(text: &str) -> FacilityCode {
    FacilityCode::parse(text).unwrap()
}

/// Sealing then opening gives the token back; another key, another paasid or a changed byte
/// does not open.
#[test]
fn token_seal_round_trip() {
    let key = SecretKey::generate().unwrap();
    let token = crypto::new_token().unwrap();
    assert_eq!(token.len(), 64);
    assert!(token.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    let sealed = crypto::seal_token(&key, "yidi_H31010400123", &token).unwrap();
    assert_eq!(crypto::open_token(&key, "yidi_H31010400123", &sealed).unwrap(), token);
    assert_ne!(
        sealed,
        crypto::seal_token(&key, "yidi_H31010400123", &token).unwrap(),
        "random nonce per seal"
    );
    assert!(crypto::open_token(&SecretKey::generate().unwrap(), "yidi_H31010400123", &sealed).is_err());
    assert!(crypto::open_token(&key, "yidi_H11010100001", &sealed).is_err(), "bound to its paasid");
    let mut altered = sealed.clone();
    *altered.last_mut().unwrap() ^= 1;
    assert!(crypto::open_token(&key, "yidi_H31010400123", &altered).is_err());
}

/// The SQLite files on disk hold neither the token's text nor its bytes; with the key file the
/// credential opens again.
#[test]
fn database_alone_reveals_nothing() {
    let dir = temp_dir("reveals");
    let db = dir.join("yidi.db");
    let key_path = dir.join("yidi.db.key");
    let key = SecretKey::create(&key_path).unwrap();
    let (issued, rotated) = {
        let store = SqliteStore::open(&db).unwrap();
        let issued = credentials::issue(&store, &key, &code("H31010400123"), now()).unwrap();
        let rotated = credentials::rotate(&store, &key, &code("H31010400123"), now()).unwrap();
        (issued, rotated)
    };
    let mut on_disk = Vec::new();
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path != key_path {
            on_disk.extend(fs::read(&path).unwrap());
        }
    }
    assert!(!on_disk.is_empty());
    for token in [&issued.token, &rotated.token] {
        let raw = hex::decode(token).unwrap();
        assert!(!contains(&on_disk, token.as_bytes()), "token text in the database files");
        assert!(!contains(&on_disk, token.to_ascii_uppercase().as_bytes()));
        assert!(!contains(&on_disk, &raw), "token bytes in the database files");
    }
    let store = SqliteStore::open(&db).unwrap();
    let (book, unreadable) =
        CredentialBook::open(&store.credentials().unwrap(), &SecretKey::load(&key_path).unwrap());
    assert!(unreadable.is_empty());
    assert_eq!(book.get("yidi_H31010400123").unwrap().fixmedins_code, "H31010400123");
    let (book, unreadable) =
        CredentialBook::open(&store.credentials().unwrap(), &SecretKey::generate().unwrap());
    assert_eq!(unreadable, ["yidi_H31010400123"], "another key opens nothing");
    assert!(book.is_empty());
    let _ = fs::remove_dir_all(&dir);
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A key file is created owner-only, is never overwritten, and loads back as the same key.
#[test]
fn key_file_is_private_and_never_overwritten() {
    let dir = temp_dir("keyfile");
    let path = dir.join("secret.key");
    let key = SecretKey::create(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert!(SecretKey::create(&path).is_err());
    let sealed = crypto::seal_token(&key, "p", "t").unwrap();
    assert_eq!(crypto::open_token(&SecretKey::load(&path).unwrap(), "p", &sealed).unwrap(), "t");
    fs::write(&path, "not hex").unwrap();
    assert!(SecretKey::load(&path).is_err());
    assert_eq!(format!("{key:?}"), "SecretKey(..)", "a key never reaches a log");
    let _ = fs::remove_dir_all(&dir);
}

/// issue / rotate / revoke refuse the moves that make no sense.
#[test]
fn credential_commands_refuse_wrong_moves() {
    let store = SqliteStore::open_in_memory().unwrap();
    let key = SecretKey::generate().unwrap();
    let h = code("H31010400123");
    assert!(matches!(credentials::rotate(&store, &key, &h, now()), Err(CredentialError::NotIssued(_))));
    assert!(matches!(credentials::revoke(&store, &h, now()), Err(CredentialError::NotIssued(_))));
    credentials::issue(&store, &key, &h, now()).unwrap();
    assert!(matches!(credentials::issue(&store, &key, &h, now()), Err(CredentialError::AlreadyIssued(_))));
    let other_key = SecretKey::generate().unwrap();
    assert!(matches!(credentials::rotate(&store, &other_key, &h, now()), Err(CredentialError::Crypto(_))));
    credentials::revoke(&store, &h, now()).unwrap();
    assert!(matches!(credentials::rotate(&store, &key, &h, now()), Err(CredentialError::Revoked(_))));
    let stored = store.credentials().unwrap();
    assert!(stored[0].revoked && stored[0].previous_sealed.is_none());
}

/// Agency tokens are stored as SHA-256 only and found by the token; demo agency tokens work only
/// in demo mode.
#[test]
fn agency_tokens_are_hashed_and_demo_ones_need_demo_mode() {
    let store = SqliteStore::open_in_memory().unwrap();
    let admdvs = DivisionCode::parse("310000").unwrap();
    let issued = credentials::add_agency(&store, "上海市医保中心", admdvs, now()).unwrap();
    let stored = store.agency_tokens().unwrap();
    assert_eq!(stored[0].token_sha256, crypto::sha256(issued.token.as_bytes()));
    assert!(matches!(
        credentials::add_agency(&store, "上海市医保中心", admdvs, now()),
        Err(CredentialError::AgencyExists(_))
    ));
    assert!(credentials::add_agency(&store, " ", admdvs, now()).is_err());

    let demo = crypto::demo_agency_token("310000");
    assert_eq!(demo, crypto::sha256_hex(b"yidi-demo-agency:310000"));
    let book = AgencyBook::new(&stored, None);
    assert_eq!(book.authenticate(&issued.token).unwrap().admdvs, "310000");
    assert!(book.authenticate(&demo).is_none());
    let demo_book = AgencyBook::new(&stored, Some(&[admdvs]));
    assert_eq!(demo_book.authenticate(&demo).unwrap().admdvs, "310000");

    // A demo derivation stored in the database is still refused without --demo.
    let mut record = stored[0].clone();
    record.name = "演示".to_string();
    record.token_sha256 = crypto::sha256(demo.as_bytes());
    store.put_agency_token(&record).unwrap();
    assert!(AgencyBook::new(&store.agency_tokens().unwrap(), None).authenticate(&demo).is_none());
}
