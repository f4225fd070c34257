//! Yidi's HTTP edge: the national interface on axum, gateway authentication, sealed credentials.
//!
//! Key design decision: the edge decides whether a request may reach the hub, and nothing
//! else. It authenticates the `x-tif-*` headers before reading a byte of the body, checks the
//! facility's validity window and its request rate, reads at most 1 MiB, verifies the SM2 body
//! signature of a facility that registered a key, and hands the raw body to
//! [`yidi_hub::Hub::call`]; every refusal it gives itself is a full national envelope with a
//! non-200 status, meaning "not processed, nothing changed" (except an SM2 refusal: HTTP 200
//! `auth_failed`, since the message was read, §3.4; it changes nothing either). Tokens are held sealed
//! (AES-256-GCM) in the store and decrypted only in this process's memory. Only this crate
//! knows axum; the CLI calls [`run`].

pub mod agency;
pub mod api_docs;
pub mod auth;
pub mod credentials;
pub mod crypto;
pub mod dashboard;
mod edge;
pub mod limits;
mod metrics;
mod nonces;
pub mod people;
pub mod portal;
pub mod rate;
pub mod server;
pub mod session;
pub mod sm2;

use std::net::SocketAddr;
use std::sync::Arc;

use yidi_domain::{FacilityCode, Pack};
use yidi_hub::{Clock, Hub, HubConfig, HubError, SystemClock};
use yidi_store::{Store, StoreError};

pub use edge::EdgeAnswers;
pub use metrics::HttpMetrics;
pub use nonces::{NonceMemory, NonceOutcome};

use crate::agency::{AgencyApi, AgencySource};
use crate::auth::FacilityWindows;
use crate::credentials::CredentialSource;
use crate::crypto::SecretKey;
use crate::server::App;

/// How `yidi serve` runs.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    /// `--demo`: every pack facility gets its fixed demo credential, and only then are demo
    /// credentials accepted.
    pub demo_mode: bool,
    /// Requests per second per facility (`limits::RATE_LIMIT_PER_SEC` by default; 0 = off).
    pub rate_limit_per_sec: u32,
    pub hub: HubConfig,
    /// Demo only (`yidi serve --demo --clock`): the hub's clock starts at this time and runs on;
    /// the gateway keeps checking request timestamps against the real clock.
    pub hub_clock_start: Option<yidi_domain::DateTime>,
}

/// What is known once the server listens, for the start-up message.
#[derive(Debug)]
pub struct Ready {
    pub addr: SocketAddr,
    /// Facility credentials usable now (stored and demo).
    pub credentials: usize,
    /// Stored credentials the key file cannot open (wrong key file?).
    pub unreadable: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("无法启动异步运行时：{0}")]
    Runtime(std::io::Error),
    #[error("无法监听 {addr}：{source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("无法读取凭据：{0}")]
    Credentials(#[from] StoreError),
    #[error("结算中心无法启动：{0}")]
    Hub(#[from] HubError),
    #[error("服务出错：{0}")]
    Serve(std::io::Error),
}

/// Starts the hub and serves until SIGINT or SIGTERM; blocks the calling thread. `on_ready` is
/// called once the listener is bound.
pub fn run(
    config: ServeConfig,
    store: Arc<dyn Store>,
    pack: Arc<Pack>,
    key: SecretKey,
    on_ready: impl FnOnce(&Ready),
) -> Result<(), ServeError> {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(ServeError::Runtime)?;
    runtime.block_on(async move {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let demo_facilities: Option<Arc<Vec<FacilityCode>>> = config.demo_mode.then(|| {
            let mut codes: Vec<FacilityCode> = pack.refdata.facilities.keys().cloned().collect();
            codes.sort();
            Arc::new(codes)
        });
        let source = CredentialSource { store: store.clone(), key, demo_facilities };
        let (book, unreadable) = source.load()?;
        let credentials = book.len();
        // Demo tokens for every pooling region and, by the same rule, for each of their provinces
        // (province tokens act in clearing and prepayment; `yidi-hub/src/funds.rs`).
        let demo_regions = config.demo_mode.then(|| {
            let codes: std::collections::BTreeSet<yidi_domain::DivisionCode> =
                pack.refdata.regions.keys().flat_map(|r| [*r, r.province()]).collect();
            Arc::new(codes.into_iter().collect())
        });
        let agency_source = AgencySource { store: store.clone(), demo_regions };
        let hub_clock: Arc<dyn Clock> = match config.hub_clock_start {
            Some(start) => Arc::new(yidi_hub::OffsetClock::starting_at(start)),
            None => clock.clone(),
        };
        let hub = Arc::new(Hub::start(config.hub.clone(), store.clone(), pack.clone(), hub_clock.clone())?);
        // One clock for people's sessions and activation codes: the hub's (`people` module doc).
        let people = Arc::new(crate::people::People::new(hub.clone(), store.clone(), hub_clock));
        let agency = AgencyApi::new(hub.clone(), agency_source)?;
        let facilities = FacilityWindows::from_pack(&pack);
        let app = Arc::new(
            App::new(hub, book, facilities, clock, config.demo_mode)
                .with_rate_limit(config.rate_limit_per_sec)
                .with_agency(agency)
                .with_people(people),
        );
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| ServeError::Bind { addr: config.listen, source })?;
        let addr = listener.local_addr().map_err(ServeError::Serve)?;
        on_ready(&Ready { addr, credentials, unreadable });
        server::spawn_credential_refresh(app.clone(), source);
        if let Some(api) = app.agency() {
            agency::spawn_refresh(api.clone());
        }
        server::serve_until(listener, app, server::shutdown_signal()).await.map_err(ServeError::Serve)
    })
}

/// Sends `tracing` events (one line per request) to standard error at level INFO and above.
pub fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_max_level(tracing::Level::INFO)
        .try_init();
}
