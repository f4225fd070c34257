//! Runs the storage conformance suite (`yidi_store::conformance`) on SQLite: one test per check,
//! each on its own fresh directory of real files, removed afterwards.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use yidi_store::Store;
use yidi_store::conformance::{self, CHECKS};
use yidi_store_sqlite::SqliteStore;

/// A fresh directory under the system temp dir, unique per process and test, deleted on drop.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new(check: &str) -> ScratchDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("yidi-conformance-{}-{n}-{check}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        ScratchDir(dir)
    }

    /// The suite's `open`: database `name` is the file `name.sqlite` in this directory.
    fn open(&self, name: &str) -> Box<dyn Store> {
        let path = self.0.join(format!("{name}.sqlite"));
        Box::new(SqliteStore::open(&path).expect("open sqlite store"))
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

macro_rules! suite {
    ($($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                let dir = ScratchDir::new(stringify!($check));
                conformance::$check(&|name| dir.open(name));
            }
        )*

        /// Every check of the suite has a test here, so a new check cannot be forgotten.
        #[test]
        fn every_check_runs() {
            let listed: Vec<&str> = vec![$(stringify!($check)),*];
            let suite: Vec<&str> = CHECKS.iter().map(|(name, _)| *name).collect();
            assert_eq!(listed, suite);
        }
    };
}

suite!(
    fresh_store_is_empty,
    empty_batch_is_a_no_op,
    round_trip_every_record,
    later_records_replace_earlier,
    identical_answer_may_be_committed_again,
    sequences_never_move_backwards,
    failed_batch_leaves_nothing,
    reopen_sees_everything,
    save_pack_is_idempotent_and_latest_wins,
    credentials_round_trip,
    agency_tokens_round_trip,
    filings_round_trip,
    postings_are_append_only,
    funds_events_are_append_only,
    filing_history_is_append_only,
    person_accounts_round_trip,
    person_activation_leaves_the_password,
    refusals_are_kept_and_loaded_for_the_last_days,
);

/// `run_all` is the entry point other backends may use; it must pass on one open function too.
#[test]
fn run_all_on_one_directory() {
    let dir = ScratchDir::new("run_all");
    conformance::run_all(&|name| dir.open(name));
}
