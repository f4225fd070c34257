//! The public face of the hub: [`Hub::start`], [`Hub::call`], and the sequencer and committer
//! threads behind them.
//!
//! Flow of one call: the HTTP task sends a [`Job`] into a bounded queue and awaits its reply.
//! The sequencer thread takes jobs in arrival order, up to `batch_len_max` at a time, applies
//! each to the in-memory [`State`] (collecting the records it changes), and hands the batch's
//! records and replies to the committer thread. The committer writes the batch in one durable
//! commit and only then releases the replies, in order. The sequencer goes on with the next
//! batch meanwhile, so computing and fsync overlap. A failed commit stops the hub (fail-stop):
//! its replies are never sent, and the next start reloads the durable prefix.
//!
//! Agency operations (`agency.rs`) share the queue as [`Work::Agency`]: they run on the same
//! thread against the same state, and their answers are released with the batch, like replies.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::oneshot;
use yidi_domain::Pack;
use yidi_store::{CommitBatch, Store, StoreError};

use crate::clock::Clock;
use crate::state::State;
use crate::{Reply, dispatch};

/// Tunables of the hub, with documented defaults.
#[derive(Clone, Debug)]
pub struct HubConfig {
    /// The 2-digit node number in `inf_refmsgid`.
    pub node: u8,
    /// Most jobs the sequencer applies before handing a batch to the committer.
    pub batch_len_max: usize,
    /// Most jobs waiting for the sequencer; beyond it callers get 503 (retry with the same msgid).
    pub queue_len_max: usize,
    /// Most batches waiting for the committer.
    pub commit_queue_len_max: usize,
    /// Prepayment months and warning thresholds (national defaults: 2 months, 70 %, 90 %).
    pub prepayment: yidi_ledger::PrepaymentConfig,
}

impl Default for HubConfig {
    fn default() -> HubConfig {
        HubConfig {
            node: 1,
            batch_len_max: 512,
            queue_len_max: 8_192,
            commit_queue_len_max: 4,
            prepayment: yidi_ledger::PrepaymentConfig::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("无法读取存储的数据：{0}")]
    Load(#[from] StoreError),
    #[error("存储的数据与数据包不一致：{0}")]
    Inconsistent(String),
    #[error("无法启动线程：{0}")]
    Thread(String),
}

/// Counters for `/metrics`.
#[derive(Clone, Debug, Default)]
pub struct HubStats {
    pub settlements: u64,
    pub reversals: u64,
    pub refusals_by_code: BTreeMap<String, u64>,
    pub commits: u64,
    /// Histogram of commit batch sizes (jobs per commit): upper bound → count.
    pub batch_len_buckets: BTreeMap<usize, u64>,
    pub queue_len: u64,
}

pub(crate) const BATCH_BUCKETS: [usize; 9] = [1, 2, 4, 8, 16, 32, 64, 128, usize::MAX];

/// One call waiting for the sequencer.
pub(crate) struct Job {
    pub facility: String,
    pub path_infno: Option<String>,
    pub body: Vec<u8>,
    pub received_ms: i64,
    pub reply: oneshot::Sender<Reply>,
}

/// An agency operation: runs on the sequencer thread against the working state and returns its
/// [`Release`], which the committer runs once the batch holding its changes is durable.
pub(crate) type AgencyJob = Box<dyn FnOnce(&mut State, &dyn Clock) -> Release + Send>;

/// Sends an agency operation's answer.
pub(crate) type Release = Box<dyn FnOnce() + Send>;

/// What the sequencer takes from its queue: a national call, or an agency operation.
pub(crate) enum Work {
    Call(Job),
    Agency(AgencyJob),
}

struct CommitJob {
    batch: CommitBatch,
    replies: Vec<(oneshot::Sender<Reply>, Reply)>,
    /// Answers of agency operations, released after the replies.
    released: Vec<Release>,
}

pub(crate) struct Shared {
    pub stats: Mutex<HubStats>,
    pub queued: AtomicU64,
    pub stopping: AtomicBool,
    /// The portal's published figures (`public::figures`), recorded as answers leave.
    pub figures: crate::public::ServiceFiguresRecorder,
}

/// A running hub.
pub struct Hub {
    jobs: Mutex<Option<SyncSender<Work>>>,
    shared: Arc<Shared>,
    clock: Arc<dyn Clock>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Hub {
    /// Loads the durable state, checks it against the pack, and starts the threads.
    pub fn start(
        config: HubConfig,
        store: Arc<dyn Store>,
        pack: Arc<Pack>,
        clock: Arc<dyn Clock>,
    ) -> Result<Hub, HubError> {
        let snapshot = store.load()?;
        let mut state = State::restore(pack, snapshot, config.node).map_err(HubError::Inconsistent)?;
        // Refusals are stored; the dashboards count them from when this database began to.
        let recorded = state.seq.refusals_since(clock.now());
        state.refusals.since = state.refusals.since.max(Some(recorded));
        state.funds.prepayment.config = config.prepayment;
        let shared = Arc::new(Shared {
            stats: Mutex::new(HubStats::default()),
            queued: AtomicU64::new(0),
            stopping: AtomicBool::new(false),
            figures: Default::default(),
        });
        let (job_tx, job_rx) = sync_channel::<Work>(config.queue_len_max);
        let (commit_tx, commit_rx) = sync_channel::<CommitJob>(config.commit_queue_len_max);
        let committer = {
            let (store, shared) = (store.clone(), shared.clone());
            spawn("yidi-committer", move || commit_loop(store.as_ref(), commit_rx, &shared))?
        };
        let sequencer = {
            let (clock, shared) = (clock.clone(), shared.clone());
            let batch_len_max = config.batch_len_max;
            spawn("yidi-sequencer", move || {
                sequence_loop(state, job_rx, commit_tx, clock.as_ref(), &shared, batch_len_max)
            })?
        };
        Ok(Hub {
            jobs: Mutex::new(Some(job_tx)),
            shared,
            clock,
            threads: Mutex::new(vec![sequencer, committer]),
        })
    }

    /// One national-interface call from an authenticated facility.
    pub async fn call(&self, facility_code: &str, path_infno: Option<&str>, body: &[u8]) -> Reply {
        let received_ms = self.clock.now_millis();
        let (tx, rx) = oneshot::channel();
        let job = Job {
            facility: facility_code.to_string(),
            path_infno: path_infno.map(str::to_string),
            body: body.to_vec(),
            received_ms,
            reply: tx,
        };
        let sender = self.jobs.lock().expect("jobs lock").clone();
        let Some(sender) = sender else { return dispatch::unavailable(self.clock.as_ref(), received_ms) };
        self.shared.queued.fetch_add(1, Ordering::Relaxed);
        match sender.try_send(Work::Call(job)) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.shared.queued.fetch_sub(1, Ordering::Relaxed);
                return dispatch::unavailable(self.clock.as_ref(), received_ms);
            }
        }
        let reply = rx.await.unwrap_or_else(|_| dispatch::unavailable(self.clock.as_ref(), received_ms));
        self.shared.figures.record(&reply, received_ms, self.clock.now_millis());
        reply
    }

    /// The recorder of the portal's published figures.
    pub(crate) fn figures(&self) -> &crate::public::ServiceFiguresRecorder {
        &self.shared.figures
    }

    /// Runs `op` on the sequencer thread, in arrival order with the national calls; its answer
    /// comes back once the batch holding its changes is durable. `None` when the queue is full or
    /// the hub is stopping (nothing ran).
    pub(crate) async fn on_sequencer<T: Send + 'static>(
        &self,
        op: impl FnOnce(&mut State, &dyn Clock) -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = oneshot::channel();
        let job: AgencyJob = Box::new(move |state, clock| {
            let out = op(state, clock);
            Box::new(move || {
                let _ = tx.send(out);
            })
        });
        let sender = self.jobs.lock().expect("jobs lock").clone()?;
        self.shared.queued.fetch_add(1, Ordering::Relaxed);
        if sender.try_send(Work::Agency(job)).is_err() {
            self.shared.queued.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        rx.await.ok()
    }

    /// A copy of the working funds ledger, taken on the sequencer thread between transactions
    /// (for tests and reports: it clones every balance). `None` when the hub is stopping.
    pub async fn ledger(&self) -> Option<yidi_ledger::Ledger> {
        self.on_sequencer(|state, _| state.ledger.clone()).await
    }

    /// The hub's clock (agency answers stamp their times with it).
    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    pub fn stats(&self) -> HubStats {
        let mut stats = self.shared.stats.lock().expect("stats lock").clone();
        stats.queue_len = self.shared.queued.load(Ordering::Relaxed);
        stats
    }

    /// Stops taking calls and waits until every accepted call has been committed and answered.
    pub fn shutdown(&self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        drop(self.jobs.lock().expect("jobs lock").take());
        for handle in self.threads.lock().expect("threads lock").drain(..) {
            let _ = handle.join();
        }
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>, HubError> {
    std::thread::Builder::new().name(name.to_string()).spawn(f).map_err(|e| HubError::Thread(e.to_string()))
}

fn sequence_loop(
    mut state: State,
    jobs: Receiver<Work>,
    commits: SyncSender<CommitJob>,
    clock: &dyn Clock,
    shared: &Shared,
    batch_len_max: usize,
) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < batch_len_max {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        shared.queued.fetch_sub(batch.len() as u64, Ordering::Relaxed);
        let mut replies = Vec::with_capacity(batch.len());
        let mut released = Vec::new();
        for work in batch {
            match work {
                Work::Call(job) => {
                    let reply = dispatch::handle(&mut state, clock, &job);
                    record_stats(shared, &reply);
                    replies.push((job.reply, reply));
                }
                Work::Agency(op) => released.push(op(&mut state, clock)),
            }
        }
        let commit = CommitJob { batch: state.take_pending(), replies, released };
        if commits.send(commit).is_err() {
            return;
        }
    }
}

fn record_stats(shared: &Shared, reply: &Reply) {
    let mut stats = shared.stats.lock().expect("stats lock");
    match &reply.err_code {
        Some(code) => *stats.refusals_by_code.entry(code.clone()).or_default() += 1,
        None if !reply.replay && matches!(reply.infno.as_str(), "2207" | "2304") => stats.settlements += 1,
        None if !reply.replay && matches!(reply.infno.as_str(), "2208" | "2305" | "2601") => {
            stats.reversals += 1
        }
        None => {}
    }
}

fn commit_loop(store: &dyn Store, commits: Receiver<CommitJob>, shared: &Shared) {
    while let Ok(job) = commits.recv() {
        if !job.batch.is_empty()
            && let Err(e) = store.commit(&job.batch)
        {
            // Fail-stop: the replies of this batch are never sent; the durable state is the
            // prefix before it. Restarting reloads it.
            eprintln!("yidi: 提交失败，中心停止以保证数据一致 / commit failed, stopping: {e}");
            std::process::abort();
        }
        {
            let mut stats = shared.stats.lock().expect("stats lock");
            stats.commits += 1;
            let jobs = job.replies.len() + job.released.len();
            let bucket = BATCH_BUCKETS.iter().copied().find(|b| jobs <= *b).unwrap_or(usize::MAX);
            *stats.batch_len_buckets.entry(bucket).or_default() += 1;
        }
        for (tx, reply) in job.replies {
            let _ = tx.send(reply);
        }
        for release in job.released {
            release();
        }
    }
}
