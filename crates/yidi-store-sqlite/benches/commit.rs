//! Commit throughput of the SQLite store on a real file with `synchronous = FULL`: batches of 1,
//! 16 and 128 outpatient flows (a visit, 10 fee lines, a settlement, a person state and 3 answers
//! each), every commit durable before it returns. Run with `cargo bench -p yidi-store-sqlite`.
//!
//! Every iteration commits flows with fresh keys, so the file grows as it would in service; the
//! time per iteration is the time per commit, and the item counter gives flows per second.

use std::cell::Cell;
use std::path::PathBuf;

use divan::Bencher;
use divan::counter::ItemsCount;
use yidi_store::conformance::outpatient_flow;
use yidi_store::{CommitBatch, Store};
use yidi_store_sqlite::SqliteStore;

fn main() {
    divan::main();
}

#[divan::bench(args = [1, 16, 128], sample_count = 40, sample_size = 1)]
fn commit(bencher: Bencher<'_, '_>, flows_per_commit: u64) {
    let dir = std::env::temp_dir().join(format!("yidi-bench-{}-{flows_per_commit}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create bench dir");
    let store = SqliteStore::open(&dir.join("bench.sqlite")).expect("open store");
    let next_flow = Cell::new(1u64);
    bencher
        .counter(ItemsCount::new(flows_per_commit))
        .with_inputs(|| {
            let first = next_flow.get();
            next_flow.set(first + flows_per_commit);
            let mut batch = CommitBatch::default();
            for n in first..first + flows_per_commit {
                batch.extend(outpatient_flow(n));
            }
            batch
        })
        .bench_local_refs(|batch| store.commit(batch).expect("commit"));
    drop(store);
    remove_dir(dir);
}

fn remove_dir(dir: PathBuf) {
    let _ = std::fs::remove_dir_all(dir);
}
