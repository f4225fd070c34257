//! Driving a run: closed loop (a fixed number of terminals, each starting its next flow when the
//! last one ends: the hub's maximum throughput) or open loop (flows started at a fixed rate
//! whatever the answers: latency under a given load), a progress line, and the summary.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::client::{BadUrl, Endpoint, Terminal};
use crate::flow::run_flow;
use crate::limits::{
    CONCURRENCY_MAX, DRAIN_SECS_MAX, DURATION_SECS_MAX, FINISH_SECS_MAX, IN_FLIGHT_MAX, RATE_MAX, RUN_TAG_MAX,
};
use crate::stats::{Mode, RunFacts, Stats, Summary};
use crate::traffic::{FlowSpec, Generator, Mix};
use crate::wire::Credential;
use crate::world::World;

/// Counted when an open-loop flow is due but [`IN_FLIGHT_MAX`] flows are still running.
pub const CLIENT_BACKLOG: &str = "client_backlog";
/// Counted for each open-loop flow that was due but had not started when the drain time ran
/// out (the hub was slower than the rate).
pub const NOT_STARTED: &str = "not_started";
/// Counted for each flow still running when even the finishing time ran out.
pub const UNFINISHED: &str = "unfinished";

/// Whose credentials sign the requests.
#[derive(Clone, Debug)]
pub enum Credentials {
    /// The public demo credentials of every facility (`yidi serve --demo`).
    Demo,
    /// One facility's credentials; the world must hold only that facility.
    One { fixmedins_code: String, credential: Credential },
}

/// How to run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// The hub's base URL (`http://host:port`).
    pub url: String,
    pub credentials: Credentials,
    /// Open loop at this many flows per second; closed loop when absent.
    pub rate: Option<u32>,
    pub duration: Duration,
    /// Terminals (keep-alive connections, one flow at a time each).
    pub concurrency: u32,
    pub seed: u64,
    /// Distinguishes this run's `msgid`s and visit numbers from earlier runs' (≤ 999 999).
    pub run_tag: u32,
    pub mix: Mix,
    /// Threads of the simulator's own runtime (the hub usually shares the machine).
    pub client_threads: usize,
    /// Print a progress line on stderr every second.
    pub progress: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error(transparent)]
    Url(#[from] BadUrl),
    #[error("{0}")]
    Config(String),
    #[error("无法启动运行时 / cannot start the runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

/// What the flows of a run share.
pub(crate) struct Shared {
    pub world: Arc<World>,
    pub endpoint: Endpoint,
    /// Credentials by site.
    pub keys: Vec<Credential>,
    pub run_tag: u32,
    generator: Mutex<Generator>,
    stats: Mutex<Stats>,
    flows_ok: AtomicU64,
    flows_failed: AtomicU64,
    errors: AtomicU64,
    /// Flows started or due and not yet done.
    in_flight: AtomicUsize,
    /// Open loop: flows holding a terminal.
    running: AtomicUsize,
    /// Open loop: the drain time ran out; flows not yet started never will.
    stopping: AtomicBool,
    nonce_prefix: String,
    nonce_counter: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    fn next_spec(&self) -> Option<FlowSpec> {
        lock(&self.generator).next_flow()
    }

    /// A fresh `x-tif-nonce`: process id and start time (so concurrent and successive runs
    /// differ), then a counter; at most 42 of `[0-9a-z-]`.
    pub fn nonce(&self) -> String {
        format!("{}{:x}", self.nonce_prefix, self.nonce_counter.fetch_add(1, Ordering::Relaxed))
    }

    pub fn request_done(&self, label: &'static str, latency: Duration, error: Option<&str>) {
        let mut stats = lock(&self.stats);
        stats.request(label, latency);
        if let Some(code) = error {
            stats.error(code);
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn error(&self, code: &str) {
        lock(&self.stats).error(code);
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    pub fn replay_verified(&self) {
        lock(&self.stats).replays_verified += 1;
    }

    pub fn flow_done(&self, kind: &'static str, ok: bool, latency: Duration) {
        let mut stats = lock(&self.stats);
        if ok {
            stats.flows_ok += 1;
            stats.by_flow.entry(kind).or_default().record(latency);
            self.flows_ok.fetch_add(1, Ordering::Relaxed);
        } else {
            stats.flows_failed += 1;
            self.flows_failed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn check(world: &World, config: &RunConfig) -> Result<(), SimError> {
    let bad = |m: String| Err(SimError::Config(m));
    if config.duration.is_zero() || config.duration > Duration::from_secs(DURATION_SECS_MAX) {
        return bad(format!("--duration 应在 1 秒到 {DURATION_SECS_MAX} 秒之间 / out of range"));
    }
    if config.concurrency == 0 || config.concurrency > CONCURRENCY_MAX {
        return bad(format!("--concurrency 应在 1–{CONCURRENCY_MAX} 之间 / out of range"));
    }
    if config.rate.is_some_and(|r| r == 0 || r > RATE_MAX) {
        return bad(format!("--rate 应在 1–{RATE_MAX} 之间 / out of range"));
    }
    if config.run_tag > RUN_TAG_MAX || config.client_threads == 0 {
        return bad("run tag or client threads out of range".into());
    }
    if let Credentials::One { fixmedins_code, .. } = &config.credentials
        && world.sites.iter().any(|s| &s.code != fixmedins_code)
    {
        return bad(format!("凭据只属于 {fixmedins_code}，流量却包括其他机构 / world has other facilities"));
    }
    Ok(())
}

/// Runs the traffic against the hub and returns the summary.
pub fn run(world: Arc<World>, config: &RunConfig) -> Result<Summary, SimError> {
    check(&world, config)?;
    let endpoint = Endpoint::parse(&config.url)?;
    let keys = world
        .sites
        .iter()
        .map(|s| match &config.credentials {
            Credentials::Demo => Credential::demo(&s.code),
            Credentials::One { credential, .. } => credential.clone(),
        })
        .collect();
    let started = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let shared = Arc::new(Shared {
        world: world.clone(),
        endpoint,
        keys,
        run_tag: config.run_tag,
        generator: Mutex::new(Generator::new(world, config.seed, config.mix)),
        stats: Mutex::new(Stats::default()),
        flows_ok: AtomicU64::new(0),
        flows_failed: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        in_flight: AtomicUsize::new(0),
        running: AtomicUsize::new(0),
        stopping: AtomicBool::new(false),
        nonce_prefix: format!("y{:x}{:x}-", std::process::id(), started.as_nanos() as u64),
        nonce_counter: AtomicU64::new(0),
    });
    // One thread: a current-thread runtime, which needs no cross-thread wake-ups.
    let runtime = match config.client_threads {
        1 => tokio::runtime::Builder::new_current_thread().enable_all().build()?,
        n => tokio::runtime::Builder::new_multi_thread().worker_threads(n).enable_all().build()?,
    };
    let summary = runtime.block_on(drive(shared, config));
    // Flows abandoned after the drain time are dropped with the runtime.
    runtime.shutdown_background();
    Ok(summary)
}

async fn drive(shared: Arc<Shared>, config: &RunConfig) -> Summary {
    let start = Instant::now();
    let deadline = start + config.duration;
    let progress = config.progress.then(|| tokio::spawn(progress(shared.clone(), start, config.duration)));
    match config.rate {
        Some(rate) => open_loop(&shared, rate, config.concurrency, start, deadline).await,
        None => closed_loop(&shared, config.concurrency, deadline).await,
    }
    let elapsed = start.elapsed();
    if let Some(p) = progress {
        p.abort();
        eprintln!();
    }
    let mut stats = lock(&shared.stats).clone();
    let unfinished = shared.in_flight.load(Ordering::Relaxed);
    if unfinished > 0 {
        *stats.errors.entry(UNFINISHED.to_string()).or_default() += unfinished as u64;
    }
    let mode = if config.rate.is_some() { Mode::OpenLoop } else { Mode::ClosedLoop };
    let facts = RunFacts {
        mode,
        target_rate: config.rate,
        concurrency: config.concurrency,
        seed: config.seed,
        elapsed,
    };
    Summary::new(&stats, facts)
}

/// `concurrency` terminals, each running flows back to back until the deadline.
async fn closed_loop(shared: &Arc<Shared>, concurrency: u32, deadline: Instant) {
    let mut workers = JoinSet::new();
    for _ in 0..concurrency {
        let shared = shared.clone();
        workers.spawn(async move {
            let mut terminal = Terminal::default();
            while Instant::now() < deadline {
                let Some(spec) = shared.next_spec() else { break };
                shared.in_flight.fetch_add(1, Ordering::Relaxed);
                run_flow(&shared, &mut terminal, spec, Instant::now()).await;
                shared.in_flight.fetch_sub(1, Ordering::Relaxed);
            }
        });
    }
    let finish_end = deadline + Duration::from_secs(DRAIN_SECS_MAX + FINISH_SECS_MAX);
    let _ =
        tokio::time::timeout_at(finish_end.into(), async { while workers.join_next().await.is_some() {} })
            .await;
}

/// Idle terminals of an open-loop run; the semaphore lets at most `concurrency` flows run.
struct Terminals {
    permits: Semaphore,
    idle: Mutex<Vec<Terminal>>,
}

/// Flow `n` is due `n / rate` seconds after the start, however the earlier ones fare.
async fn open_loop(shared: &Arc<Shared>, rate: u32, concurrency: u32, start: Instant, deadline: Instant) {
    let terminals =
        Arc::new(Terminals { permits: Semaphore::new(concurrency as usize), idle: Mutex::new(Vec::new()) });
    let due =
        |n: u64| start + Duration::from_nanos((u128::from(n) * 1_000_000_000 / u128::from(rate)) as u64);
    let mut n = 0u64;
    'schedule: while due(n) < deadline {
        tokio::time::sleep_until(due(n).into()).await;
        let now = Instant::now();
        while due(n) <= now && due(n) < deadline {
            let scheduled = due(n);
            n += 1;
            if shared.in_flight.load(Ordering::Relaxed) >= IN_FLIGHT_MAX {
                shared.error(CLIENT_BACKLOG);
                shared.flows_failed.fetch_add(1, Ordering::Relaxed);
                lock(&shared.stats).flows_failed += 1;
                continue;
            }
            let Some(spec) = shared.next_spec() else { break 'schedule };
            shared.in_flight.fetch_add(1, Ordering::Relaxed);
            let (shared, terminals) = (shared.clone(), terminals.clone());
            tokio::spawn(async move {
                let permit = terminals.permits.acquire().await.expect("never closed");
                if shared.stopping.load(Ordering::Relaxed) {
                    shared.error(NOT_STARTED);
                } else {
                    shared.running.fetch_add(1, Ordering::Relaxed);
                    let mut terminal = lock(&terminals.idle).pop().unwrap_or_default();
                    run_flow(&shared, &mut terminal, spec, scheduled).await;
                    lock(&terminals.idle).push(terminal);
                    shared.running.fetch_sub(1, Ordering::Relaxed);
                }
                drop(permit);
                shared.in_flight.fetch_sub(1, Ordering::Relaxed);
            });
        }
    }
    let drain_end = deadline + Duration::from_secs(DRAIN_SECS_MAX);
    settle_down(&shared.in_flight, drain_end).await;
    shared.stopping.store(true, Ordering::Relaxed);
    settle_down(&shared.running, Instant::now() + Duration::from_secs(FINISH_SECS_MAX)).await;
    // Flows still waiting for a terminal now see `stopping` and leave at once.
    settle_down(&shared.in_flight, Instant::now() + Duration::from_secs(1)).await;
}

/// Waits until `counter` is zero or `until` has passed.
async fn settle_down(counter: &AtomicUsize, until: Instant) {
    while counter.load(Ordering::Relaxed) > 0 && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Once a second: elapsed time, flows done and their rate, failures, errors, flows running.
async fn progress(shared: Arc<Shared>, start: Instant, duration: Duration) {
    let tty = std::io::stderr().is_terminal();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    let mut last = 0;
    loop {
        tick.tick().await;
        let done = shared.flows_ok.load(Ordering::Relaxed);
        let secs = start.elapsed().as_secs_f64();
        let line = format!(
            "[{:>5.0}/{}s] flows {done} ({}/s now, {:.0}/s avg), failed {}, errors {}, running {}",
            secs,
            duration.as_secs(),
            done - last,
            done as f64 / secs.max(1e-9),
            shared.flows_failed.load(Ordering::Relaxed),
            shared.errors.load(Ordering::Relaxed),
            shared.in_flight.load(Ordering::Relaxed),
        );
        if tty {
            eprint!("\r{line}\x1b[K");
        } else {
            eprintln!("{line}");
        }
        last = done;
    }
}
