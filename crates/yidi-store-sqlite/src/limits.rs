//! Bounds and fixed driver settings of the SQLite store, in one place (style habit 8).

/// How long a statement waits for another connection's lock before failing with `SQLITE_BUSY`.
/// The hub is the only writer, so waiting means an operator tool (a backup, `sqlite3` shell) holds
/// the lock; five seconds lets such a tool finish a step without stalling answers for long.
pub const BUSY_TIMEOUT_MS: u64 = 5_000;

/// Prepared statements kept per connection. `commit` uses 13, `load` 11, the pack and credential
/// calls 6; twice the total leaves room for new ones without evicting hot statements.
pub const STATEMENT_CACHE_CAPACITY: usize = 64;

/// WAL pages after which a commit checkpoints into the main file (SQLite's default, set explicitly
/// so it cannot shift under us): about 4 MiB of WAL at 4 KiB pages.
pub const WAL_AUTOCHECKPOINT_PAGES: u32 = 1_000;

const _: () = assert!(STATEMENT_CACHE_CAPACITY >= 13 + 11 + 6, "every statement of the store stays cached");
const _: () = assert!(BUSY_TIMEOUT_MS <= 60_000, "a busy store must fail fast enough to be noticed");
