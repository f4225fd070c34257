//! The public portal over HTTP: `/` (home with the service figures), `/where` (regions and the
//! facility search), `/estimate` (the estimator), the person's pages (`/signin`, `/activate`,
//! `/me…`, see `portal/person.rs`) and the one stylesheet `/assets/site.css`.
//!
//! Key design decision: this module only reads the request (language, query or form, session)
//! and writes the response; the data comes from the hub (`yidi_hub::public`, and the people API
//! for the person's pages) and the HTML from `yidi_portal`. Every page is server-rendered, uses no
//! script, and refers to nothing outside the hub; the Content-Security-Policy enforces it.
//!
//! Language: `?lang=zh|en` wins and is remembered in the `yidi_lang` cookie; else the cookie;
//! else Chinese.
//!
//! The anonymous pages that compute (`/where`, `/estimate`) are guarded (`portal/limit.rs`): a
//! token bucket per client address (429 with `Retry-After` past it), and the search or the
//! engine runs on a blocking thread, at most `PORTAL_COMPUTE_CONCURRENT_MAX` at once (503 past
//! it), so the async workers that serve the national interface never wait on a page.

pub mod form;
pub mod limit;
mod person;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any, get, post};
use yidi_hub::Hub;
use yidi_hub::public::{self as hubpub, EstimateRequest, FacilityQuery, LineInput};
use yidi_portal::i18n::{LANG_COOKIE, Lang};
use yidi_portal::layout::{CSS_PATH, SITE_CSS};
use yidi_portal::public::{self as pages, Ctx};

use self::limit::{ClientLimiter, PORTAL_COMPUTE_CONCURRENT_MAX};
use crate::people::{ClientIp, People};

/// Every HTML page: only this origin, no script at all, inline style attributes allowed (bar
/// widths), forms post only here, never framed.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                            form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const HTML_UTF8: &str = "text/html; charset=utf-8";
/// Longest path + query echoed into a page (the language switch link).
const HERE_CHARS_MAX: usize = 1_000;

/// What the portal's handlers read.
pub struct Portal {
    pub hub: Arc<Hub>,
    /// Accounts and sessions; without it the person's pages answer "not available".
    pub people: Option<Arc<People>>,
    /// Requests per client address to the computing pages.
    pub limiter: ClientLimiter,
    /// Places for a computation on a blocking thread.
    pub compute: Arc<tokio::sync::Semaphore>,
}

/// The portal's routes.
pub fn routes(hub: Arc<Hub>, people: Option<Arc<People>>) -> Router {
    let portal = Arc::new(Portal {
        hub,
        people,
        limiter: ClientLimiter::portal(),
        compute: Arc::new(tokio::sync::Semaphore::new(PORTAL_COMPUTE_CONCURRENT_MAX)),
    });
    let router = Router::new()
        .route(CSS_PATH, page(get(stylesheet)))
        .route("/", page(get(home)))
        .route("/where", page(get(where_)))
        .route("/estimate", page(get(estimate)))
        .route("/signin", page(get(person::signin_form).post(person::signin)))
        .route("/activate", page(get(person::activate_form).post(person::activate)))
        .route("/signout", page(post(person::signout)))
        .route("/me", page(get(person::me)))
        .route("/me/filings", page(get(person::filings).post(person::add_filing)))
        .route("/me/filings/{filing_id}/change", page(post(person::change_filing)))
        .route("/me/filings/{filing_id}/cancel", page(post(person::cancel_filing)))
        .route("/me/settlements", page(get(person::settlements)))
        .route("/me/settlements/{setl_id}", page(get(person::settlement)))
        .route("/me/reimbursements", page(get(person::reimbursements)));
    // Any other path under the portal's own prefixes is the portal's 404 page; paths outside
    // them (the national interface's) keep the server's envelope answers.
    PORTAL_PREFIXES
        .iter()
        .fold(router, |r, prefix| {
            r.route(&format!("{prefix}/"), any(not_found))
                .route(&format!("{prefix}/{{*rest}}"), any(not_found))
        })
        .with_state(portal)
}

/// The first path segments that belong to the portal (everything below them is a portal page
/// or the portal's 404).
const PORTAL_PREFIXES: [&str; 7] =
    ["/me", "/where", "/estimate", "/signin", "/activate", "/signout", "/assets"];

/// A portal route: a method it does not take gets the portal's 405 page (with `Allow`), not the
/// national interface's envelope.
fn page(route: MethodRouter<Arc<Portal>>) -> MethodRouter<Arc<Portal>> {
    route.fallback(method_not_allowed)
}

/// The portal's 404 page for an unknown path under its prefixes.
async fn not_found(State(p): State<Arc<Portal>>, uri: Uri, headers: HeaderMap) -> Response {
    let info = request_info(&uri, &headers);
    let ctx = ctx(&p, &info, &headers);
    html(StatusCode::NOT_FOUND, &info, pages::not_found_page(&ctx, false))
}

/// The portal's 405 page; `Allow` lists what the portal's routes take (GET pages, POST forms).
async fn method_not_allowed(State(p): State<Arc<Portal>>, uri: Uri, headers: HeaderMap) -> Response {
    let info = request_info(&uri, &headers);
    let ctx = ctx(&p, &info, &headers);
    let mut response = html(StatusCode::METHOD_NOT_ALLOWED, &info, pages::not_found_page(&ctx, true));
    let allow = match uri.path() {
        "/signin" | "/activate" | "/me/filings" => "GET, HEAD, POST",
        path if path == "/signout" || path.ends_with("/change") || path.ends_with("/cancel") => "POST",
        _ => "GET, HEAD",
    };
    response.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

/// The language, `here` and whether a `?lang=` should be remembered.
pub(crate) struct RequestInfo {
    pub lang: Lang,
    pub here: String,
    pub remember_lang: bool,
    pub query: Vec<(String, String)>,
}

pub(crate) fn request_info(uri: &Uri, headers: &HeaderMap) -> RequestInfo {
    let query = form::pairs(uri.query().unwrap_or(""));
    let query_lang = Some(form::get(&query, "lang")).filter(|l| !l.is_empty());
    let cookie_header = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let lang = Lang::choose(query_lang, form::cookie(cookie_header, LANG_COOKIE));
    let here: String =
        uri.path_and_query().map_or("/", |pq| pq.as_str()).chars().take(HERE_CHARS_MAX).collect();
    RequestInfo { lang, here, remember_lang: query_lang.and_then(Lang::parse).is_some(), query }
}

/// An HTML response with the portal's security headers (and the language cookie when asked).
pub(crate) fn html(status: StatusCode, info: &RequestInfo, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(HTML_UTF8));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if info.remember_lang {
        // Readable by nothing but this site's requests; Lax so a link from elsewhere keeps it.
        let cookie =
            format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax; Secure", info.lang.code());
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            headers.append(header::SET_COOKIE, v);
        }
    }
    response
}

/// The page context; the header shows the account box when a person is signed in.
fn ctx(p: &Portal, info: &RequestInfo, headers: &HeaderMap) -> Ctx {
    let session = p.people.as_ref().and_then(|people| people.current(headers));
    let who = session.as_ref().and_then(|s| s.person().map(|who| (who, s)));
    person::ctx_for(info, who)
}

fn unavailable(info: &RequestInfo, ctx: &Ctx) -> Response {
    let lang = info.lang;
    let page = pages::message_page(
        ctx,
        lang.pick("服务暂时繁忙", "Service busy"),
        lang.pick(
            "结算中心暂时繁忙或正在停止，请稍后刷新页面。",
            "The hub is busy or stopping; please reload in a moment.",
        ),
    );
    let mut response = html(StatusCode::SERVICE_UNAVAILABLE, info, page);
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(1u64));
    response
}

/// The client's bucket is empty: 429 with `Retry-After`, the page saying when to try again.
fn too_many(info: &RequestInfo, ctx: &Ctx, retry_after_secs: u64) -> Response {
    let lang = info.lang;
    let message = match lang {
        Lang::Zh => {
            format!("您在短时间内打开页面的次数太多，为保证大家都能使用，请 {retry_after_secs} 秒后再试。")
        }
        Lang::En => format!(
            "Too many requests in a short time; so that everyone can use the service, try again in {retry_after_secs} s."
        ),
    };
    let page = pages::message_page(ctx, lang.pick("请求过于频繁", "Too many requests"), &message);
    let mut response = html(StatusCode::TOO_MANY_REQUESTS, info, page);
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

/// Runs `work` (a search or the engine, and the page's rendering) on a blocking thread, at most
/// [`PORTAL_COMPUTE_CONCURRENT_MAX`] at once; `None` when all places are taken or the work
/// failed (the caller answers 503).
async fn compute<T: Send + 'static>(p: &Portal, work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let permit = p.compute.clone().try_acquire_owned().ok()?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work()
    })
    .await
    .ok()
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        SITE_CSS,
    )
        .into_response()
}

async fn home(State(p): State<Arc<Portal>>, uri: Uri, headers: HeaderMap) -> Response {
    let info = request_info(&uri, &headers);
    let ctx = ctx(&p, &info, &headers);
    let figures = p.hub.public_figures();
    html(StatusCode::OK, &info, pages::home_page(&ctx, &figures))
}

async fn where_(
    State(p): State<Arc<Portal>>,
    ClientIp(ip): ClientIp,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let info = request_info(&uri, &headers);
    let ctx = ctx(&p, &info, &headers);
    if let Err(secs) = p.limiter.admit(ip, p.hub.clock().now_millis()) {
        return too_many(&info, &ctx, secs);
    }
    let Some(pack) = p.hub.public_pack().await else { return unavailable(&info, &ctx) };
    let q = &info.query;
    let query = FacilityQuery {
        name: form::get(q, "name").to_string(),
        area: form::get(q, "area").to_string(),
        level: form::get(q, "level").to_string(),
        kind: form::get(q, "kind").to_string(),
        care: form::get(q, "care").to_string(),
        disease: form::get(q, "disease").to_string(),
        page: form::get(q, "page").to_string(),
    };
    let page_ctx = ctx.clone();
    let page = compute(&p, move || {
        let result = hubpub::facilities(&pack, &query);
        pages::where_page(
            &page_ctx,
            &hubpub::regions(&pack),
            &query,
            &result,
            &hubpub::facility_areas(&pack),
            &hubpub::chronic_diseases(&pack),
        )
    })
    .await;
    match page {
        Some(page) => html(StatusCode::OK, &info, page),
        None => unavailable(&info, &ctx),
    }
}

async fn estimate(
    State(p): State<Arc<Portal>>,
    ClientIp(ip): ClientIp,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let info = request_info(&uri, &headers);
    let ctx = ctx(&p, &info, &headers);
    if let Err(secs) = p.limiter.admit(ip, p.hub.clock().now_millis()) {
        return too_many(&info, &ctx, secs);
    }
    let Some(pack) = p.hub.public_pack().await else { return unavailable(&info, &ctx) };
    let q = &info.query;
    let submitted = q.iter().any(|(k, _)| k == "insured");
    let text = |name: &str, default: &str| {
        let v = form::get(q, name);
        if v.is_empty() && !submitted { default.to_string() } else { v.to_string() }
    };
    let lines = (1..=hubpub::ESTIMATE_LINES_MAX)
        .map(|n| LineInput {
            code: form::get(q, &format!("code{n}")).to_string(),
            qty: form::get(q, &format!("qty{n}")).to_string(),
            price: form::get(q, &format!("price{n}")).to_string(),
        })
        .collect();
    let req = EstimateRequest {
        insured: text("insured", ""),
        insutype: text("insutype", "310"),
        psn_group: text("psn_group", "in_service"),
        facility: text("facility", ""),
        care: text("care", "outpatient"),
        filing: text("filing", "long_term"),
        disease: text("disease", ""),
        acct_balance: text("acct_balance", ""),
        lines,
    };
    let now = p.hub.clock().now();
    // The lookup button submits the whole form: estimate when it is complete, else only look up.
    let looking_up = form::get(q, "lookup") == "1";
    let lookup_q = form::get(q, "q").trim().to_string();
    let page_ctx = ctx.clone();
    let answer = compute(&p, move || {
        let result =
            submitted.then(|| hubpub::estimate(&pack, &req, now)).filter(|r| !(looking_up && r.is_err()));
        let status = match &result {
            Some(Err(_)) => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::OK,
        };
        let rows = if lookup_q.is_empty() {
            Vec::new()
        } else {
            hubpub::catalog_lookup(&pack, &req.facility, &lookup_q, now.date())
        };
        let lookup = (!lookup_q.is_empty()).then_some(pages::Lookup { q: &lookup_q, rows: &rows });
        let choices = hubpub::estimate_choices(&pack);
        (status, pages::estimate_page(&page_ctx, &choices, &req, result.as_ref(), lookup.as_ref()))
    })
    .await;
    match answer {
        Some((status, page)) => html(status, &info, page),
        None => unavailable(&info, &ctx),
    }
}
