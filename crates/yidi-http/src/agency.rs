//! The agency API (`/api/agency/…`): JSON over HTTP for insurance agencies (经办机构).
//!
//! Key design decision: this module only authenticates, reads the request and renders the
//! answer. What an agency may see and change is decided by the hub (`Hub::agency_*`) on its
//! sequencer thread, so the region scope and the filing rules live in one place and a filing
//! change is seen by the very next settlement. A request carries `Authorization: Bearer
//! <token>`; the token's SHA-256 is looked up in the [`AgencyBook`] (re-read from the store every
//! [`CREDENTIALS_REFRESH_SECS`]). Errors are JSON: a stable `code`, a Chinese `message` and, for
//! bad input, every problem. Each request is logged in one line with its `msgid`, which the
//! answer also carries (`X-Yidi-Msgid`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use yidi_domain::{DateTime, DivisionCode};
use yidi_hub::{AgencyError, AgencyUser, Hub, NewFiling, PersonQuery, SettlementQuery};
use yidi_store::{Store, StoreError};

use crate::credentials::AgencyBook;
use crate::limits::{
    AGENCY_BODY_BYTES_MAX, AGENCY_TOKEN_LEN_MAX, CREDENTIALS_REFRESH_SECS, PACK_UPLOAD_BYTES_MAX,
};
use crate::metrics::HttpMetrics;

mod adjust;
mod funds;

const JSON_UTF8: &str = "application/json; charset=utf-8";
const MSGID_HEADER: &str = "x-yidi-msgid";

/// Where the agency book is (re)loaded from.
#[derive(Clone)]
pub struct AgencySource {
    pub store: Arc<dyn Store>,
    /// Demo mode: each of these pooling regions gets its public demo agency token.
    pub demo_regions: Option<Arc<Vec<DivisionCode>>>,
}

impl AgencySource {
    pub fn load(&self) -> Result<AgencyBook, StoreError> {
        Ok(AgencyBook::new(&self.store.agency_tokens()?, self.demo_regions.as_ref().map(|r| r.as_slice())))
    }
}

/// Everything an agency request handler reads.
pub struct AgencyApi {
    hub: Arc<Hub>,
    source: AgencySource,
    book: RwLock<AgencyBook>,
    pub(crate) metrics: Arc<HttpMetrics>,
    requests: AtomicU64,
}

impl AgencyApi {
    /// Loads the agency book; the API answers through `hub`.
    pub fn new(hub: Arc<Hub>, source: AgencySource) -> Result<AgencyApi, StoreError> {
        let book = source.load()?;
        Ok(AgencyApi {
            hub,
            source,
            book: RwLock::new(book),
            metrics: Arc::new(HttpMetrics::default()),
            requests: AtomicU64::new(0),
        })
    }

    /// Re-reads the agency tokens, so `yidi agency add` takes effect on a running server.
    pub fn refresh(&self) -> Result<(), StoreError> {
        let book = self.source.load()?;
        *self.book.write().unwrap_or_else(|p| p.into_inner()) = book;
        Ok(())
    }

    /// The agency a token belongs to (the dashboards' sign-in and bearer access), if any.
    pub(crate) fn agency_of_token(&self, token: &str) -> Option<AgencyUser> {
        let token = token.trim();
        if token.is_empty() || token.len() > AGENCY_TOKEN_LEN_MAX {
            return None;
        }
        let book = self.book.read().unwrap_or_else(|p| p.into_inner());
        book.authenticate(token).map(|a| AgencyUser { name: a.name.clone(), admdvs: a.admdvs.clone() })
    }

    /// Whether the agency token of this SHA-256 is still in the book (not revoked).
    pub(crate) fn token_hash_valid(&self, token_sha256: &[u8; 32]) -> bool {
        self.book.read().unwrap_or_else(|p| p.into_inner()).knows_hash(token_sha256)
    }

    /// The hub the agency API answers through.
    pub(crate) fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    /// The shared HTTP metrics.
    pub(crate) fn http_metrics(&self) -> &Arc<HttpMetrics> {
        &self.metrics
    }

    fn begin(&self, route: &'static str) -> Call {
        let n = self.requests.fetch_add(1, Ordering::Relaxed);
        let msgid = format!("AG{}{:06}", self.hub.clock().now().to_epoch_secs(), n % 1_000_000);
        Call { route, started: Instant::now(), msgid, who: None }
    }

    /// The agency of the request's bearer token.
    fn authenticate(&self, headers: &HeaderMap, call: &mut Call) -> Result<AgencyUser, ApiError> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .filter(|t| !t.is_empty() && t.len() <= AGENCY_TOKEN_LEN_MAX);
        let book = self.book.read().unwrap_or_else(|p| p.into_inner());
        let agency = token.and_then(|t| book.authenticate(t)).ok_or_else(ApiError::unauthorized)?;
        let who = AgencyUser { name: agency.name.clone(), admdvs: agency.admdvs.clone() };
        call.who = Some(who.clone());
        Ok(who)
    }

    /// Counts, logs and renders one answer.
    fn finish(&self, call: Call, answer: Answer) -> Response {
        let latency = call.started.elapsed();
        let (status, body, code) = match answer {
            Ok((status, body)) => (status, body, ""),
            Err(e) => (e.status, e.body(&call.msgid), e.code),
        };
        self.metrics.record_route(call.route, status.as_u16(), latency);
        if code == "unauthorized" {
            self.metrics.record_edge_refusal(code);
        }
        let (agency, admdvs) = call.who.as_ref().map_or(("", ""), |w| (w.name.as_str(), w.admdvs.as_str()));
        tracing::info!(
            route = call.route,
            msgid = %call.msgid,
            agency = %agency,
            admdvs = %admdvs,
            status = status.as_u16(),
            code = %code,
            latency_ms = latency.as_secs_f64() * 1e3,
            "agency request"
        );
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
        if let Ok(msgid) = HeaderValue::from_str(&call.msgid) {
            headers.insert(MSGID_HEADER, msgid);
        }
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"yidi\""));
        }
        response
    }
}

/// One request in flight.
struct Call {
    /// The metrics label.
    route: &'static str,
    started: Instant,
    msgid: String,
    who: Option<AgencyUser>,
}

/// A rendered success (status, JSON body) or an error.
type Answer = Result<(StatusCode, String), ApiError>;

/// An error answer: a stable `code`, a Chinese `message`, and the problems when there are some.
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    problems: Vec<Value>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), problems: Vec::new() }
    }
    fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "缺少或无效的令牌：请在请求头 Authorization: Bearer <令牌> 中提供 yidi agency add 签发的经办机构令牌",
        )
    }
    fn invalid(message: impl Into<String>, problems: Vec<Value>) -> ApiError {
        ApiError { problems, ..ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message) }
    }
    fn body(&self, msgid: &str) -> String {
        json!({"code": self.code, "message": self.message, "problems": self.problems, "msgid": msgid})
            .to_string()
    }
}

impl From<AgencyError> for ApiError {
    fn from(e: AgencyError) -> ApiError {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let problems = e.problems().iter().map(|p| json!({"field": p.field, "message": p.message})).collect();
        ApiError { status, code: e.code(), message: e.message(), problems }
    }
}

fn ok_json<T: serde::Serialize>(result: Result<T, AgencyError>) -> Answer {
    let value = result?;
    Ok((StatusCode::OK, serde_json::to_string(&value).expect("agency views serialise")))
}

/// The agency routes, each answering JSON.
pub fn routes(api: Arc<AgencyApi>) -> Router {
    Router::new()
        .route("/api/agency/persons", get(list_persons))
        .route("/api/agency/persons/{psn_no}", get(show_person))
        .route("/api/agency/persons/{psn_no}/filings", post(add_filing))
        .route("/api/agency/filings/{filing_id}/cancel", post(cancel_filing))
        .route("/api/agency/filings/{filing_id}/change", post(change_filing))
        .route("/api/agency/filings/{filing_id}/history", get(filing_history))
        .route("/api/agency/persons/{psn_no}/activation", post(issue_activation))
        .route("/api/agency/settlements", get(list_settlements))
        .route("/api/agency/settlements/{setl_id}", get(show_settlement))
        .route("/api/agency/packs", post(upload_pack))
        .with_state(api.clone())
        .merge(funds::routes(api.clone()))
        .merge(adjust::routes(api))
}

type Api = State<Arc<AgencyApi>>;

async fn list_persons(State(api): Api, headers: HeaderMap, uri: Uri) -> Response {
    let mut call = api.begin("agency_persons");
    let answer = match api.authenticate(&headers, &mut call) {
        Ok(who) => ok_json(api.hub.agency_persons(&who, &person_query(&uri)).await),
        Err(e) => Err(e),
    };
    api.finish(call, answer)
}

async fn show_person(State(api): Api, headers: HeaderMap, Path(psn_no): Path<String>) -> Response {
    let mut call = api.begin("agency_person");
    let answer = match api.authenticate(&headers, &mut call) {
        Ok(who) => ok_json(api.hub.agency_person(&who, &psn_no).await),
        Err(e) => Err(e),
    };
    api.finish(call, answer)
}

async fn add_filing(State(api): Api, headers: HeaderMap, Path(psn_no): Path<String>, body: Body) -> Response {
    let mut call = api.begin("agency_filing_add");
    let answer = match api.authenticate(&headers, &mut call) {
        Ok(who) => {
            match read_limited(&headers, body, AGENCY_BODY_BYTES_MAX).await.and_then(|b| new_filing(&b)) {
                Ok(filing) => ok_json(api.hub.agency_add_filing(&who, &psn_no, &filing).await),
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    };
    api.finish(call, answer)
}

/// Changes a filing in one step (cancel + new, under the filing rules); the body is a new filing.
async fn change_filing(
    State(api): Api,
    headers: HeaderMap,
    Path(filing_id): Path<String>,
    body: Body,
) -> Response {
    let mut call = api.begin("agency_filing_change");
    let answer = match api.authenticate(&headers, &mut call) {
        Ok(who) => {
            match read_limited(&headers, body, AGENCY_BODY_BYTES_MAX).await.and_then(|b| new_filing(&b)) {
                Ok(filing) => ok_json(api.hub.agency_change_filing(&who, &filing_id, &filing).await),
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    };
    api.finish(call, answer)
}

/// A filing and every recorded change of it (who, channel, when).
async fn filing_history(State(api): Api, headers: HeaderMap, Path(filing_id): Path<String>) -> Response {
    let mut call = api.begin("agency_filing_history");
    let answer = match api.authenticate(&headers, &mut call) {
        Ok(who) => ok_json(api.hub.agency_filing_history(&who, &filing_id).await),
        Err(e) => Err(e),
    };
    api.finish(call, answer)
}

/// Issues a one-time activation code (72 hours) for a person of the agency's region; the code is
/// in this answer only (stored hashed). A new code replaces a pending one.
async fn issue_activation(State(api): Api, headers: HeaderMap, Path(psn_no): Path<String>) -> Response {
    let mut call = api.begin("agency_activation");
    let answer = match api.authenticate(&headers, &mut call) {
        Ok(who) => match api.hub.agency_person(&who, &psn_no).await {
            Ok(person) => {
                let store = api.source.store.clone();
                let (by, now) = (who.name.clone(), api.hub.clock().now());
                let p = psn_no.clone();
                let issued = tokio::task::spawn_blocking(move || {
                    crate::people::issue_activation(store.as_ref(), &p, &by, now)
                })
                .await;
                match issued {
                    Ok(Ok(code)) => {
                        tracing::info!(agency = %who.name, psn_no = %psn_no, "签发激活码 / activation code issued");
                        let masked = yidi_domain::CertNo::parse(&person.certno)
                            .map_or_else(|_| String::new(), |c| c.masked());
                        let body = json!({
                            "psn_no": code.psn_no,
                            "certno": masked,
                            "code": code.code,
                            "expires_at": code.expires_at.to_string(),
                            "message": "请将激活码当面或通过安全渠道交给参保人本人：凭身份证号和激活码在“我的医保”设置密码，72 小时内有效，只能使用一次",
                        });
                        Ok((StatusCode::OK, body.to_string()))
                    }
                    Ok(Err(e)) => Err(ApiError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "store_failed",
                        format!("激活码未能保存：{e}"),
                    )),
                    Err(e) => {
                        Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))
                    }
                }
            }
            Err(e) => Err(e.into()),
        },
        Err(e) => Err(e),
    };
    api.finish(call, answer)
}

async fn cancel_filing(State(api): Api, headers: HeaderMap, Path(filing_id): Path<String>) -> Response {
    let mut call = api.begin("agency_filing_cancel");
    let answer = match api.authenticate(&headers, &mut call) {
        Ok(who) => ok_json(api.hub.agency_cancel_filing(&who, &filing_id).await),
        Err(e) => Err(e),
    };
    api.finish(call, answer)
}

async fn list_settlements(State(api): Api, headers: HeaderMap, uri: Uri) -> Response {
    let mut call = api.begin("agency_settlements");
    let answer = match api.authenticate(&headers, &mut call) {
        Ok(who) => ok_json(api.hub.agency_settlements(&who, &settlement_query(&uri)).await),
        Err(e) => Err(e),
    };
    api.finish(call, answer)
}

async fn show_settlement(State(api): Api, headers: HeaderMap, Path(setl_id): Path<String>) -> Response {
    let mut call = api.begin("agency_settlement");
    let answer = match api.authenticate(&headers, &mut call) {
        Ok(who) => ok_json(api.hub.agency_settlement(&who, &setl_id).await),
        Err(e) => Err(e),
    };
    api.finish(call, answer)
}

async fn upload_pack(State(api): Api, headers: HeaderMap, body: Body) -> Response {
    let mut call = api.begin("agency_pack");
    let answer = match api.authenticate(&headers, &mut call) {
        Ok(who) => match read_limited(&headers, body, PACK_UPLOAD_BYTES_MAX).await {
            Ok(bytes) => import_pack(&api, &who, bytes).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    api.finish(call, answer)
}

/// Checks an uploaded pack whole (every problem listed, nothing saved on any) and saves it as
/// the store's latest pack. The running hub keeps the pack it started with.
async fn import_pack(api: &AgencyApi, who: &AgencyUser, bytes: Bytes) -> Answer {
    let files = pack_files(&bytes)?;
    let store = api.source.store.clone();
    let now = api.hub.clock().now();
    let answer = tokio::task::spawn_blocking(move || check_and_save(store.as_ref(), &files, now))
        .await
        .unwrap_or_else(|e| Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())));
    if answer.is_ok() {
        tracing::info!(agency = %who.name, admdvs = %who.admdvs, "经办机构上传数据包 / pack uploaded by an agency");
    }
    answer
}

fn check_and_save(store: &dyn Store, files: &BTreeMap<String, String>, now: DateTime) -> Answer {
    let pairs: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let pack =
        yidi_refdata::parse_pack(&yidi_refdata::PackFiles::from_pairs(&pairs)).map_err(|problems| {
            let listed = problems
                .iter()
                .map(|p| json!({"file": p.file, "line": p.line, "message": p.message}))
                .collect();
            ApiError {
                problems: listed,
                ..ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "pack_rejected",
                    format!("数据包有 {} 处问题，未保存；请逐项修改后重新上传", problems.len()),
                )
            }
        })?;
    let saved = store.save_pack(files, now).map_err(|e| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "store_failed", format!("数据包未能保存：{e}"))
    })?;
    let message = if saved {
        "数据包已校验并保存为最新数据包。正在运行的结算中心仍使用启动时的数据包，重启 yidi serve 后启用新数据包"
    } else {
        "与数据库中最新的数据包相同，未做改动"
    };
    let body = json!({
        "saved": saved,
        "message": message,
        "files": files.len(),
        "regions": pack.refdata.regions.len(),
        "facilities": pack.refdata.facilities.len(),
        "persons": pack.persons.len(),
    });
    Ok((StatusCode::OK, body.to_string()))
}

/// The upload body: a JSON object of path → text, every value a string.
fn pack_files(bytes: &[u8]) -> Result<BTreeMap<String, String>, ApiError> {
    let object = json_object(bytes, "数据包应为 JSON 对象：{\"文件路径\": \"文件内容\", …}")?;
    if object.len() > yidi_refdata::PACK_FILES_MAX {
        let max = yidi_refdata::PACK_FILES_MAX;
        return Err(ApiError::invalid(format!("数据包文件过多（上限 {max} 个）"), Vec::new()));
    }
    let mut files = BTreeMap::new();
    let mut problems = Vec::new();
    for (path, value) in object {
        match value {
            Value::String(text) => {
                files.insert(path, text);
            }
            _ => problems.push(json!({"field": path, "message": "文件内容应为字符串（文件的全文）"})),
        }
    }
    if problems.is_empty() {
        Ok(files)
    } else {
        Err(ApiError::invalid("数据包中有非文本的文件内容", problems))
    }
}

/// The filing body: `category`, `mdtrtarea_admvs`, `begndate` and optional `enddate`, as strings.
fn new_filing(bytes: &[u8]) -> Result<NewFiling, ApiError> {
    const FIELDS: [&str; 5] = ["category", "mdtrtarea_admvs", "begndate", "enddate", "commitment"];
    let object =
        json_object(bytes, "备案应为 JSON 对象：{\"category\": …, \"mdtrtarea_admvs\": …, \"begndate\": …}")?;
    let mut problems = Vec::new();
    let mut text = BTreeMap::new();
    for (name, value) in object {
        match (FIELDS.contains(&name.as_str()), value) {
            (false, _) => problems
                .push(json!({"field": name, "message": format!("未知字段（可用：{}）", FIELDS.join("、"))})),
            (true, Value::Null) => {}
            (true, Value::Bool(b)) if name == "commitment" => {
                text.insert(name, b.to_string());
            }
            (true, Value::String(s)) => {
                text.insert(name, s);
            }
            (true, _) => problems.push(json!({"field": name, "message": "应为字符串"})),
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(format!("备案请求有 {} 处问题", problems.len()), problems));
    }
    let mut take = |name: &str| text.remove(name);
    Ok(NewFiling {
        category: take("category"),
        mdtrtarea_admvs: take("mdtrtarea_admvs"),
        begndate: take("begndate"),
        enddate: take("enddate"),
        commitment: take("commitment").map(|b| b == "true"),
    })
}

fn json_object(bytes: &[u8], expected: &str) -> Result<serde_json::Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(ApiError::invalid(expected, Vec::new())),
        Err(e) => Err(ApiError::invalid(format!("请求体不是合法的 JSON（{e}）；{expected}"), Vec::new())),
    }
}

/// Reads a body of at most `limit` bytes; a larger declared length is refused unread.
async fn read_limited(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("请求体超过 {limit} 字节上限，未处理"),
        )
    };
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit).await.map_err(|_| too_large())
}

fn person_query(uri: &Uri) -> PersonQuery {
    let mut q = query_params(uri);
    PersonQuery {
        name: q.remove("name"),
        psn_no: q.remove("psn_no"),
        page: q.remove("page"),
        page_size: q.remove("page_size"),
    }
}

fn settlement_query(uri: &Uri) -> SettlementQuery {
    let mut q = query_params(uri);
    SettlementQuery {
        psn_no: q.remove("psn_no"),
        fixmedins_code: q.remove("fixmedins_code"),
        from: q.remove("from"),
        to: q.remove("to"),
        status: q.remove("status"),
        page: q.remove("page"),
        page_size: q.remove("page_size"),
    }
}

/// The query string as name → value (`application/x-www-form-urlencoded`: `+` is a space,
/// `%XX` a byte); the first occurrence of a name wins.
pub(crate) fn query_params(uri: &Uri) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    for pair in uri.query().unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        params.entry(percent_decode(name)).or_insert_with(|| percent_decode(value));
    }
    params
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Re-reads agency tokens every [`CREDENTIALS_REFRESH_SECS`]; a failed read keeps the book.
pub fn spawn_refresh(api: Arc<AgencyApi>) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(Duration::from_secs(CREDENTIALS_REFRESH_SECS));
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let api = api.clone();
            match tokio::task::spawn_blocking(move || api.refresh()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "读取经办机构令牌失败，沿用已加载的令牌 / agency token refresh failed")
                }
                Err(e) => {
                    tracing::warn!(error = %e, "经办机构令牌刷新任务失败 / agency token refresh task failed")
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Query values are form-decoded: `%E5%BC%A0` is 张, `+` a space, a stray `%` kept.
    #[test]
    fn query_strings_decode() {
        let uri: Uri =
            "/api/agency/persons?name=%E5%BC%A0&psn_no=P1+2&page=2&name=x&bad=%zz%".parse().unwrap();
        let q = query_params(&uri);
        assert_eq!(q["name"], "张");
        assert_eq!(q["psn_no"], "P1 2");
        assert_eq!(q["page"], "2");
        assert_eq!(q["bad"], "%zz%");
    }
}
