//! The axum server: the national-interface routes, the call pipeline (authenticate, check the
//! facility's validity and rate, read the body, check its SM2 signature, hand it to the hub), one
//! log line per request, `/health`, `/metrics`, envelopes for unknown paths and methods, and
//! graceful shutdown.
//!
//! Authentication and the rate limit look only at headers, so a refused request's body is never
//! read; the body is then read frame by frame up to [`BODY_BYTES_MAX`], and a declared
//! `Content-Length` above it is refused before reading anything. Only a facility with a
//! registered SM2 key has its envelope parsed here (the hub parses every envelope again on its
//! sequencer): the common path pays nothing for SM2.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use yidi_domain::DateTime;
use yidi_hub::{Clock, Hub, HubStats, Reply};
use yidi_protocol::envelope::parse_envelope;
use yidi_protocol::errors::{BAD_ENVELOPE, RATE_LIMITED, TOO_LARGE};

use crate::agency::{self, AgencyApi};
use crate::api_docs;
use crate::auth::{
    AuthConfig, Authenticator, FacilityWindows, GatewayHeaders, HEADER_NONCE, HEADER_PAASID,
    HEADER_SIGNATURE, HEADER_TIMESTAMP, Refusal, unix_secs_from_beijing_millis,
};
use crate::credentials::{CredentialBook, CredentialSource};
use crate::edge::EdgeAnswers;
use crate::limits::{
    BODY_BYTES_MAX, CREDENTIALS_REFRESH_SECS, RATE_LIMIT_PER_SEC, RETRY_AFTER_SECS, SHUTDOWN_DRAIN_SECS_MAX,
};
use crate::metrics::HttpMetrics;
use crate::rate::RateLimiter;
use crate::sm2::{self, Sm2Policy};

/// The `callService` paths, dispatching on the envelope's `infno` (`protocol.md` §2).
pub const CALL_SERVICE_PATHS: [&str; 3] = [
    "/fsi/api/callService",
    "/fsi/api/callFsiService/callService",
    "/mbs/fmi/fsi/api/callFsiService/callService",
];

/// Alias paths and the `infno` each one implies (§2).
pub const ALIAS_PATHS: [(&str, &str); 4] = [
    ("/fsi/api/outpatientSettleService/preSettletment", "2206"),
    ("/fsi/api/outpatientSettleService/saveSettletmentV2", "2207"),
    ("/fsi/api/hospSettService/settV2", "2304"),
    ("/fsi/api/reverseService/revsMethod", "2601"),
];

const JSON_UTF8: &str = "application/json; charset=utf-8";
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";
/// Longest `msgid` written to the log (C(30) on the wire).
const LOGGED_MSGID_CHARS_MAX: usize = 30;
/// Longest request path echoed into a 404/405 `err_msg` or the log.
const SHOWN_PATH_CHARS_MAX: usize = 100;
/// Longest request method echoed likewise (an extension method may be any token).
const SHOWN_METHOD_CHARS_MAX: usize = 16;

/// What authenticated calls are handed to: the hub in production.
pub trait Dispatch: Send + Sync + 'static {
    fn call(
        &self,
        facility_code: &str,
        path_infno: Option<&str>,
        body: &[u8],
    ) -> impl Future<Output = Reply> + Send;
    fn stats(&self) -> HubStats;
    /// Stops taking calls and finishes the accepted ones.
    fn shutdown(&self);
}

impl Dispatch for Hub {
    fn call(
        &self,
        facility_code: &str,
        path_infno: Option<&str>,
        body: &[u8],
    ) -> impl Future<Output = Reply> + Send {
        Hub::call(self, facility_code, path_infno, body)
    }
    fn stats(&self) -> HubStats {
        Hub::stats(self)
    }
    fn shutdown(&self) {
        Hub::shutdown(self);
    }
}

/// Everything a request handler reads.
pub struct App<D> {
    pub dispatch: Arc<D>,
    pub auth: Authenticator,
    pub facilities: FacilityWindows,
    pub clock: Arc<dyn Clock>,
    /// Requests per second per facility (§2.3); see [`App::with_rate_limit`].
    pub rate: RateLimiter,
    demo_mode: bool,
    metrics: Arc<HttpMetrics>,
    edge: EdgeAnswers,
    started: Instant,
    /// The agency API, when the dispatcher is a real hub (see [`App::with_agency`]).
    agency: Option<Arc<AgencyApi>>,
    /// People's accounts, sessions and the person API (see [`App::with_people`]).
    people: Option<Arc<crate::people::People>>,
}

impl<D: Dispatch> App<D> {
    /// `started_unix` is taken from `clock` now: the restart guard counts from here.
    pub fn new(
        dispatch: Arc<D>,
        book: CredentialBook,
        facilities: FacilityWindows,
        clock: Arc<dyn Clock>,
        demo_mode: bool,
    ) -> App<D> {
        let started_unix = unix_secs_from_beijing_millis(clock.now_millis());
        App {
            dispatch,
            auth: Authenticator::new(AuthConfig { demo_mode, started_unix }, book),
            facilities,
            clock,
            rate: RateLimiter::new(RATE_LIMIT_PER_SEC),
            demo_mode,
            metrics: Arc::new(HttpMetrics::default()),
            edge: EdgeAnswers::default(),
            started: Instant::now(),
            agency: None,
            people: None,
        }
    }

    /// Serves the person API (`/api/person/…`) too; the portal's handlers reach it through
    /// [`App::people`].
    pub fn with_people(mut self, people: Arc<crate::people::People>) -> App<D> {
        self.people = Some(people);
        self
    }

    pub fn people(&self) -> Option<&Arc<crate::people::People>> {
        self.people.as_ref()
    }

    /// Serves the agency API (`/api/agency/…`) too; it shares this app's `/metrics`.
    pub fn with_agency(mut self, mut api: AgencyApi) -> App<D> {
        api.metrics = self.metrics.clone();
        self.agency = Some(Arc::new(api));
        self
    }

    pub fn agency(&self) -> Option<&Arc<AgencyApi>> {
        self.agency.as_ref()
    }

    /// Replaces the per-facility limit of [`RATE_LIMIT_PER_SEC`] (`yidi serve --rate-limit N`,
    /// for benchmarking); 0 turns it off.
    pub fn with_rate_limit(mut self, per_sec: u32) -> App<D> {
        self.rate = RateLimiter::new(per_sec);
        self
    }
}

/// The routes: the national interface (POST), `/health` and `/metrics` (GET), the API docs
/// (`/api/openapi.json`, `/api/docs`) and, when configured, the agency API. Any other path is
/// 404 and a known path with another method 405, each a full envelope (`bad_envelope`).
pub fn router<D: Dispatch>(app: Arc<App<D>>) -> Router {
    let agency = app.agency.clone();
    let people = app.people.clone();
    let mut router = Router::new();
    for path in CALL_SERVICE_PATHS {
        router = router.route(path, national::<D>(None));
    }
    for (path, infno) in ALIAS_PATHS {
        router = router.route(path, national::<D>(Some(infno)));
    }
    let router = router
        .route("/health", get(health::<D>))
        .route("/metrics", get(metrics::<D>))
        .with_state(app.clone())
        .merge(api_docs::routes());
    let router = match agency {
        Some(api) => router
            .merge(crate::portal::routes(api.hub().clone(), people.clone()))
            .merge(crate::dashboard::routes(api.clone(), people.clone()))
            .merge(agency::routes(api)),
        None => router,
    };
    let router = match people {
        Some(people) => router.merge(crate::people::routes(people)),
        None => router,
    };
    let not_found_app = app.clone();
    // Set last: it reaches only the routes that exist when it is called.
    router
        .fallback(move |method: Method, uri: Uri| {
            let app = not_found_app.clone();
            async move { no_route(&app, StatusCode::NOT_FOUND, &method, &uri) }
        })
        .method_not_allowed_fallback(move |method: Method, uri: Uri| {
            let app = app.clone();
            async move { no_route(&app, StatusCode::METHOD_NOT_ALLOWED, &method, &uri) }
        })
}

/// The envelope for a path no route serves (404) or a method its route does not take (405).
fn no_route<D: Dispatch>(app: &App<D>, status: StatusCode, method: &Method, uri: &Uri) -> Response {
    let path = loggable(uri.path(), SHOWN_PATH_CHARS_MAX);
    let method = loggable(method.as_str(), SHOWN_METHOD_CHARS_MAX);
    let (at, reason) = if status == StatusCode::METHOD_NOT_ALLOWED {
        (
            "method",
            format!("接口地址 {path} 不接受 {method} 请求：可用的方法见响应头 Allow（国家接口一律用 POST）"),
        )
    } else {
        ("path", format!("接口地址 {path} 不存在：国家接口请 POST 到 /fsi/api/callService"))
    };
    let refusal =
        Refusal { status: status.as_u16(), err_code: BAD_ENVELOPE, at, reason, retry_after_secs: None };
    let now = app.clock.now_millis();
    app.metrics.record_edge_refusal(BAD_ENVELOPE);
    tracing::info!(method = %method, path = %path, status = status.as_u16(), "no such route");
    reply_response(app.edge.refusal(&refusal, None, now, now))
}

fn national<D: Dispatch>(path_infno: Option<&'static str>) -> MethodRouter<Arc<App<D>>> {
    post(move |State(app): State<Arc<App<D>>>, headers: HeaderMap, body: Body| async move {
        call_service(&app, &headers, body, path_infno).await
    })
}

async fn call_service<D: Dispatch>(
    app: &App<D>,
    headers: &HeaderMap,
    body: Body,
    path_infno: Option<&'static str>,
) -> Response {
    let started = Instant::now();
    let received_ms = app.clock.now_millis();
    let (reply, facility) = answer(app, headers, body, path_infno, received_ms).await;
    let latency = started.elapsed();
    let infno = if reply.infno.is_empty() { path_infno.unwrap_or("") } else { reply.infno.as_str() };
    app.metrics.record(infno, reply.status, latency);
    tracing::info!(
        infno = %loggable(infno, 6),
        msgid = %loggable(&reply.msgid, LOGGED_MSGID_CHARS_MAX),
        facility = %facility.as_deref().unwrap_or(""),
        status = reply.status,
        err_code = %reply.err_code.as_deref().unwrap_or(""),
        latency_ms = latency.as_secs_f64() * 1e3,
        "request"
    );
    reply_response(reply)
}

/// Authenticate, check validity and rate, read the body, check its SM2 signature, call the hub;
/// the facility is returned for the log line once known.
async fn answer<D: Dispatch>(
    app: &App<D>,
    headers: &HeaderMap,
    body: Body,
    path_infno: Option<&'static str>,
    received_ms: i64,
) -> (Reply, Option<String>) {
    let refuse = |refusal: Refusal, facility: Option<String>| {
        app.metrics.record_edge_refusal(refusal.err_code);
        let reply = app.edge.refusal(&refusal, facility.as_deref(), received_ms, app.clock.now_millis());
        (reply, facility)
    };
    let gateway = GatewayHeaders {
        paasid: header_text(headers, HEADER_PAASID),
        timestamp: header_text(headers, HEADER_TIMESTAMP),
        nonce: header_text(headers, HEADER_NONCE),
        signature: header_text(headers, HEADER_SIGNATURE),
    };
    let who = match app.auth.check(&gateway, received_ms) {
        Ok(who) => who,
        Err(refusal) => return refuse(refusal, None),
    };
    let facility = who.fixmedins_code;
    let today = DateTime::from_epoch_secs(received_ms.div_euclid(1_000)).date();
    if let Err(refusal) = app.facilities.check(&facility, today) {
        return refuse(refusal, Some(facility));
    }
    if !app.rate.admit(&facility, received_ms) {
        return refuse(rate_limited(&facility, app.rate.per_sec()), Some(facility));
    }
    let bytes = match read_body(headers, body).await {
        Ok(bytes) => bytes,
        Err(refusal) => return refuse(refusal, Some(facility)),
    };
    if let Some(policy) = &who.sm2
        && let Err(reply) = check_sm2(app, policy, &bytes, path_infno, &facility, received_ms)
    {
        return (reply, Some(facility));
    }
    let reply = app.dispatch.call(&facility, path_infno, &bytes).await;
    (reply, Some(facility))
}

/// 429 `rate_limited` (§2.3): not processed; resend after `Retry-After` with the same `msgid`.
fn rate_limited(facility: &str, per_sec: u32) -> Refusal {
    Refusal {
        status: 429,
        err_code: RATE_LIMITED,
        at: HEADER_PAASID,
        reason: format!(
            "机构 {facility} 的请求超过每秒 {per_sec} 次上限，本次未处理：请 {RETRY_AFTER_SECS} 秒后用同一 msgid 重发"
        ),
        retry_after_secs: Some(RETRY_AFTER_SECS),
    }
}

/// The SM2 body signature of a facility with a registered key (§3.3). A body that is not a valid
/// envelope passes on: the hub refuses it with the same parser, so nothing is skipped.
fn check_sm2<D: Dispatch>(
    app: &App<D>,
    policy: &Sm2Policy,
    body: &[u8],
    path_infno: Option<&str>,
    facility: &str,
    received_ms: i64,
) -> Result<(), Reply> {
    let Ok(envelope) = parse_envelope(body, path_infno) else { return Ok(()) };
    let refusal = match sm2::check(policy, &envelope) {
        Ok(()) => return Ok(()),
        Err(refusal) => refusal,
    };
    app.metrics.record_edge_refusal(refusal.err_code);
    let mut reply = app.edge.refusal(&refusal, Some(facility), received_ms, app.clock.now_millis());
    reply.infno = envelope.infno;
    reply.msgid = envelope.msgid;
    Err(reply)
}

/// A header's value as text; a non-ASCII value becomes `""`, which auth refuses as malformed.
fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().unwrap_or(""))
}

/// Reads the body, at most [`BODY_BYTES_MAX`] bytes.
async fn read_body(headers: &HeaderMap, mut body: Body) -> Result<Vec<u8>, Refusal> {
    let too_large = || Refusal {
        status: 413,
        err_code: TOO_LARGE,
        at: "body",
        reason: format!("请求体超过 {BODY_BYTES_MAX} 字节（1 MiB）上限，未处理"),
        retry_after_secs: None,
    };
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_BYTES_MAX as u64) {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(declared.map_or(0, |n| n as usize));
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|e| Refusal {
            status: 400,
            err_code: BAD_ENVELOPE,
            at: "body",
            reason: format!("请求体读取失败：{e}"),
            retry_after_secs: None,
        })?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > BODY_BYTES_MAX {
                return Err(too_large());
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes)
}

fn reply_response(reply: Reply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, reply.body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
    if reply.replay {
        headers.insert("x-yidi-replay", HeaderValue::from_static("1"));
    }
    if let Some(secs) = reply.retry_after_secs {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// Client text made safe for one log line: printable ASCII only, cut to `chars_max`.
fn loggable(text: &str, chars_max: usize) -> String {
    text.chars().take(chars_max).map(|c| if c.is_ascii_graphic() { c } else { '?' }).collect()
}

async fn health<D: Dispatch>(State(app): State<Arc<App<D>>>) -> Response {
    let body = format!(
        r#"{{"status":"ok","uptime_secs":{},"demo":{}}}"#,
        app.started.elapsed().as_secs(),
        app.demo_mode
    );
    ([(header::CONTENT_TYPE, JSON_UTF8)], body).into_response()
}

async fn metrics<D: Dispatch>(State(app): State<Arc<App<D>>>) -> Response {
    let body = app.metrics.render(&app.dispatch.stats(), app.auth.nonces_kept());
    ([(header::CONTENT_TYPE, PROMETHEUS_TEXT)], body).into_response()
}

/// Serves until `stop` resolves, then stops accepting, lets in-flight requests finish (at most
/// [`SHUTDOWN_DRAIN_SECS_MAX`]) and shuts the dispatcher down, so every accepted call is
/// committed and answered.
pub async fn serve_until<D: Dispatch>(
    listener: tokio::net::TcpListener,
    app: Arc<App<D>>,
    stop: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    // With connect info, so the sign-in limiter can count per client address (`people::ClientIp`).
    let service = router(app.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, service).with_graceful_shutdown(async move {
        let _ = stop_rx.await;
    });
    let mut running = tokio::spawn(server.into_future());
    let ended_early = tokio::select! {
        () = stop => None,
        result = &mut running => Some(result),
    };
    let result = match ended_early {
        Some(result) => result.unwrap_or_else(|e| Err(std::io::Error::other(e))),
        None => {
            tracing::info!("收到停止信号，等待进行中的请求完成 / stopping: draining in-flight requests");
            let _ = stop_tx.send(());
            match tokio::time::timeout(Duration::from_secs(SHUTDOWN_DRAIN_SECS_MAX), running).await {
                Ok(joined) => joined.unwrap_or_else(|e| Err(std::io::Error::other(e))),
                Err(_) => {
                    tracing::warn!("请求未在 {SHUTDOWN_DRAIN_SECS_MAX} 秒内完成，不再等待 / drain timed out");
                    Ok(())
                }
            }
        }
    };
    let dispatch = app.dispatch.clone();
    let _ = tokio::task::spawn_blocking(move || dispatch.shutdown()).await;
    result
}

/// Re-reads credentials every [`CREDENTIALS_REFRESH_SECS`], so issue/rotate/revoke from the CLI
/// take effect on a running server; a failed read keeps the previous book.
pub fn spawn_credential_refresh<D: Dispatch>(app: Arc<App<D>>, source: CredentialSource) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(Duration::from_secs(CREDENTIALS_REFRESH_SECS));
        ticks.tick().await;
        let mut unreadable_before = 0;
        loop {
            ticks.tick().await;
            let source = source.clone();
            match tokio::task::spawn_blocking(move || source.load()).await {
                Ok(Ok((book, unreadable))) => {
                    if unreadable.len() != unreadable_before {
                        tracing::warn!(count = unreadable.len(), paasids = ?unreadable, "凭据无法用当前密钥解密 / credentials unreadable with this key");
                        unreadable_before = unreadable.len();
                    }
                    app.auth.replace_book(book);
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "读取凭据失败，沿用已加载的凭据 / credential refresh failed")
                }
                Err(e) => tracing::warn!(error = %e, "凭据刷新任务失败 / credential refresh task failed"),
            }
        }
    });
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
