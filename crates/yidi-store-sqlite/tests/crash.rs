//! Crash durability: a child process commits numbered batches and reports each one after
//! `commit` returns; the parent kills it with SIGKILL at a random moment, reopens the file and
//! checks that every reported batch is there, that no batch is there in part, and that the
//! person state agrees with the settlements. Several rounds append to the same file, so each
//! round also recovers a WAL left by a killed writer.
//!
//! A killed process is not a power cut: the kernel still writes what the child handed it. This
//! test proves the all-or-nothing transaction and the "durable when commit returns" ordering;
//! `synchronous = FULL` (checked at open) is what carries the same promise across a power cut.
//!
//! The binary has its own `main` (`harness = false`): run with the environment variable
//! [`CHILD_ENV`] it is the child writer, otherwise the parent test. `YIDI_CRASH_SEED` replays
//! a failing run's kill moments.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use yidi_domain::{Fen, PersonState};
use yidi_store::conformance::{expected, outpatient_flow};
use yidi_store::{CommitBatch, Snapshot, Store};
use yidi_store_sqlite::SqliteStore;

/// Set (to the database path) in the child writer's environment.
const CHILD_ENV: &str = "YIDI_CRASH_CHILD_DB";
/// Kill rounds per run.
const ROUNDS: u32 = 8;
/// The kill comes this long after the child starts, drawn uniformly (it opens the file first).
const KILL_AFTER_MS_MIN: u64 = 20;
const KILL_AFTER_MS_MAX: u64 = 600;
/// A child whose parent vanished stops by itself after this many batches.
const CHILD_BATCHES_MAX: u64 = 1_000_000;
/// The one person every batch settles for, so the state accumulates across batches.
const PSN_NO: &str = "41000000CRASH";
const TEST_NAME: &str = "crash_durability";

fn main() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        child(Path::new(&path));
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("{TEST_NAME}: test");
        return;
    }
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if !filters.is_empty() && !filters.iter().any(|f| TEST_NAME.contains(f.as_str())) {
        println!("test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 1 filtered out");
        return;
    }
    parent();
    println!("test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out");
}

/// The person's state before any batch.
fn initial_state() -> PersonState {
    PersonState { acct_balance: Fen::new(1_000_000_000), ..Default::default() }
}

/// Batch `n`: outpatient flow `n` (visit, 10 fee lines, settlement, 3 answers) settled for
/// [`PSN_NO`], whose state after the batch is `state` with the settlement's delta applied.
fn crash_batch(n: u64, state: &mut PersonState) -> CommitBatch {
    let mut batch = outpatient_flow(n);
    batch.visits[0].psn_no = PSN_NO.into();
    let settlement = &mut batch.settlements[0];
    settlement.psn_no = PSN_NO.into();
    state.apply(&settlement.delta);
    batch.person_states = vec![(PSN_NO.into(), state.clone())];
    batch.sequences = vec![("setl_id".into(), n + 1)];
    batch
}

/// The child writer: continues after the last batch in the file, reporting each commit.
fn child(path: &Path) {
    let store = SqliteStore::open(path).expect("child opens the store");
    let snapshot = store.load().expect("child loads");
    let mut n = snapshot.settlements.len() as u64;
    let mut state = snapshot.person_states.get(PSN_NO).cloned().unwrap_or_else(initial_state);
    while n < CHILD_BATCHES_MAX {
        n += 1;
        store.commit(&crash_batch(n, &mut state)).expect("child commits");
        // `println!` flushes at the newline; if the parent is gone the write fails and we stop.
        println!("committed {n}");
    }
}

fn parent() {
    let seed = std::env::var("YIDI_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64) | 1
    });
    eprintln!("crash durability: seed {seed} (set YIDI_CRASH_SEED to replay)");
    let mut rng = XorShift(seed);
    let dir = ScratchDir::new();
    let db = dir.0.join("crash.sqlite");
    let mut reported_total = 0;
    for round in 1..=ROUNDS {
        let kill_after = Duration::from_millis(rng.between(KILL_AFTER_MS_MIN, KILL_AFTER_MS_MAX));
        let reported = run_child_until_killed(&db, kill_after).unwrap_or(reported_total);
        assert!(reported >= reported_total, "round {round}: reports went backwards");
        let store = SqliteStore::open(&db).expect("reopen after the kill");
        let present = check_consistent(&store.load().expect("load after the kill"), round);
        assert!(
            present >= reported,
            "round {round}: batch {reported} was reported but only {present} are stored"
        );
        // At most the batch in flight when the kill came is stored without having been reported.
        assert!(present <= reported + 1, "round {round}: {present} stored, only {reported} reported");
        eprintln!(
            "crash durability: round {round}: killed after {} ms, {reported} reported, {present} stored",
            kill_after.as_millis()
        );
        reported_total = present;
    }
    assert!(reported_total > 0, "no child ever committed a batch");
}

/// Starts a child writer, kills it after `kill_after`, and returns the last batch it reported
/// (`None` if it reported none).
fn run_child_until_killed(db: &Path, kill_after: Duration) -> Option<u64> {
    let exe = std::env::current_exe().expect("test binary path");
    let mut child = Command::new(exe)
        .env(CHILD_ENV, db)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child writer");
    let stdout = child.stdout.take().expect("child stdout");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let n: u64 = line.strip_prefix("committed ").and_then(|n| n.parse().ok()).expect("child report");
            if tx.send(n).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + kill_after;
    let mut last = None;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(n) => last = Some(n),
            Err(mpsc::RecvTimeoutError::Timeout) => break,
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("child writer exited before the kill"),
        }
    }
    // `Child::kill` sends SIGKILL on Unix: no destructor, no rollback, no flush runs in the child.
    child.kill().expect("kill child writer");
    child.wait().expect("reap child writer");
    // Reports already in the pipe were made before the kill and count as committed.
    last = rx.iter().last().or(last);
    reader.join().expect("reader thread");
    last
}

/// Asserts that the store holds exactly batches `1..=present` for some `present`, each whole,
/// and that the person state is the initial one with every stored settlement applied; returns
/// `present`.
fn check_consistent(snapshot: &Snapshot, round: u32) -> u64 {
    let present = snapshot.settlements.len() as u64;
    let mut state = initial_state();
    let batches: Vec<CommitBatch> = (1..=present).map(|n| crash_batch(n, &mut state)).collect();
    let refs: Vec<&CommitBatch> = batches.iter().collect();
    let want = expected(&refs);
    // Counts first: a torn batch shows up here with a readable message.
    assert_eq!(snapshot.visits.len(), want.visits.len(), "round {round}: visits vs settlements");
    assert_eq!(snapshot.fee_lines.len(), want.fee_lines.len(), "round {round}: fee lines vs settlements");
    assert_eq!(snapshot.answers.len(), want.answers.len(), "round {round}: answers vs settlements");
    assert_eq!(*snapshot, want, "round {round}: stored batches differ from batches 1..={present}");
    // The money agrees: the person's fund total is the sum over the stored settlements.
    let fund_paid: Fen = snapshot.settlements.iter().map(|s| s.delta.fund_paid).sum();
    let stored = snapshot.person_states.get(PSN_NO).cloned().unwrap_or_else(initial_state);
    assert_eq!(stored.year(2025).pool("outpatient").fund_paid, fund_paid, "round {round}: fund total");
    let acct: Fen = snapshot.settlements.iter().map(|s| s.delta.acct_pay).sum();
    assert_eq!(stored.acct_balance, initial_state().acct_balance - acct, "round {round}: account balance");
    present
}

/// xorshift64: enough to spread kill moments; seeded so a failure can be replayed.
struct XorShift(u64);

impl XorShift {
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        lo + self.0 % (hi - lo + 1)
    }
}

/// A fresh directory under the system temp dir for this run, deleted on drop.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new() -> ScratchDir {
        let dir = std::env::temp_dir().join(format!("yidi-crash-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        ScratchDir(dir)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
