//! `yidi person activate` through the real binary: the code is printed once, the database keeps
//! only its SHA-256 with a 72-hour expiry, an unknown person or a database without a pack is an
//! error (exit 1) and nothing is stored.

mod support;

use sha2::{Digest, Sha256};
use support::{repo, temp_dir, text, yidi};
use yidi_store::Store;
use yidi_store_sqlite::SqliteStore;

/// Goal: the printed code is the one stored (hashed, dashes and case ignored), valid 72 hours.
#[test]
fn person_activate_prints_a_code_and_stores_its_hash() {
    let dir = temp_dir("activate");
    let db = dir.join("yidi.db");
    let db_arg = db.to_str().unwrap();
    let pack = yidi_refdata::load_pack(&repo().join("test_data/demo")).expect("demo pack");
    let (psn_no, record) = pack.persons.iter().next().unwrap();

    let none = yidi(&["person", "activate", "--db", db_arg, "--psn-no", psn_no]);
    assert_eq!(none.status.code(), Some(1), "no pack in the database: {}", text(&none.stderr));
    assert!(text(&none.stderr).contains("--data"), "{}", text(&none.stderr));

    let unknown =
        yidi(&["person", "activate", "--db", db_arg, "--psn-no", "NOBODY", "--data", "test_data/demo"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).contains("NOBODY"), "{}", text(&unknown.stderr));

    let out = yidi(&["person", "activate", "--db", db_arg, "--psn-no", psn_no, "--data", "test_data/demo"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains(&record.person.certno.masked()), "{stdout}");
    assert!(!stdout.contains(record.person.certno.as_str()), "the identity number is masked: {stdout}");
    let code = stdout.lines().find_map(|l| l.strip_prefix("code:")).expect("a code line").trim().to_string();
    assert_eq!(code.len(), 14, "{code}");

    let store = SqliteStore::open(&db).unwrap();
    let account = store.person_account(psn_no).unwrap().expect("an account");
    let typed: String = code.chars().filter(|c| *c != '-').collect();
    let hash: [u8; 32] = Sha256::digest(typed.as_bytes()).into();
    assert_eq!(account.activation_sha256, Some(hash));
    assert_eq!(account.password_phc, None);
    assert_eq!(account.activation_issued_by.as_deref(), Some("cli"));
    let expires = account.activation_expires_at.unwrap().to_epoch_secs();
    assert_eq!(expires - account.updated_at.to_epoch_secs(), 72 * 3_600);
    assert_eq!(store.person_account("NOBODY").unwrap(), None);
    let _ = std::fs::remove_dir_all(&dir);
}
