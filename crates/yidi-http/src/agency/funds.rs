//! The funds routes of the agency API: monthly clearing (`/api/agency/clearing/…`), clearing
//! modes (`/api/agency/clearing-modes/…`) and prepayments (`/api/agency/prepayments/…`).
//!
//! Like the rest of the agency API, this only authenticates, reads the request into text fields
//! and renders the answer; the hub decides scope and rules (`yidi-hub/src/funds.rs`: province
//! tokens act, region tokens read). Statements are also served as CSV (UTF-8 with a BOM) and as a
//! printable HTML page.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post, put};
use serde_json::Value;
use yidi_hub::{AgencyError, FreezeInput, ModeInput, NoticeInput, PaymentInput, TopUpInput};

use super::{AgencyApi, Answer, ApiError, json_object, ok_json, read_limited};
use crate::limits::AGENCY_BODY_BYTES_MAX;

type Api = State<Arc<AgencyApi>>;

/// The funds routes, merged into the agency router.
pub fn routes(api: Arc<AgencyApi>) -> Router {
    Router::new()
        .route("/api/agency/clearing", get(months))
        .route("/api/agency/clearing/{month}", get(month))
        .route("/api/agency/clearing/{month}/freeze", post(freeze))
        .route("/api/agency/clearing/{month}/netting", get(netting))
        .route("/api/agency/clearing/{month}/{insured}/{treatment}", get(statement))
        .route("/api/agency/clearing/{month}/{insured}/{treatment}/statement.csv", get(statement_csv))
        .route("/api/agency/clearing/{month}/{insured}/{treatment}/statement.html", get(statement_html))
        .route("/api/agency/clearing/{month}/{insured}/{treatment}/detail.csv", get(detail_csv))
        .route("/api/agency/clearing/{month}/{insured}/{treatment}/confirm", post(confirm))
        .route("/api/agency/clearing/{month}/{insured}/{treatment}/payment", post(payment))
        .route("/api/agency/clearing-modes", get(modes))
        .route("/api/agency/clearing-modes/{insured}/{treatment}", put(set_mode))
        .route("/api/agency/prepayments", get(prepayments))
        .route("/api/agency/prepayments/{insured}/{treatment}", get(prepayment))
        .route("/api/agency/prepayments/{insured}/{treatment}/notices", post(notice))
        .route("/api/agency/prepayments/{insured}/{treatment}/top-ups", post(request_top_up))
        .route("/api/agency/prepayments/{insured}/{treatment}/top-ups/{id}/approve", post(approve_top_up))
        .with_state(api)
}

/// A request body of named text fields: strings, or integers written as numbers. An empty body
/// is an empty object. Unknown fields and other value types are listed as problems.
async fn fields(
    headers: &HeaderMap,
    body: Body,
    allowed: &[&str],
) -> Result<BTreeMap<String, String>, ApiError> {
    let bytes = read_limited(headers, body, AGENCY_BODY_BYTES_MAX).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(BTreeMap::new());
    }
    let expected = format!("请求体应为 JSON 对象，字段：{}", allowed.join("、"));
    let object = json_object(&bytes, &expected)?;
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    for (name, value) in object {
        if !allowed.contains(&name.as_str()) {
            problems.push(serde_json::json!({"field": name, "message": format!("未知字段（可用：{}）", allowed.join("、"))}));
            continue;
        }
        match value {
            Value::Null => {}
            Value::String(s) => {
                out.insert(name, s);
            }
            Value::Number(n) if n.is_i64() || n.is_u64() => {
                out.insert(name, n.to_string());
            }
            _ => problems.push(
                serde_json::json!({"field": name, "message": "应为字符串（金额写作 \"1234.56\"）或整数"}),
            ),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::invalid(format!("请求有 {} 处问题", problems.len()), problems))
    }
}

/// Runs a JSON route: authenticate, then `run` with the agency user.
macro_rules! json_route {
    ($api:expr, $headers:expr, $route:literal, |$who:ident| $run:expr) => {{
        let mut call = $api.begin($route);
        let answer: Answer = match $api.authenticate(&$headers, &mut call) {
            Ok($who) => $run,
            Err(e) => Err(e),
        };
        $api.finish(call, answer)
    }};
}

/// A file answer: the body with its content type and, for downloads, a file name.
fn file(
    api: &AgencyApi,
    call: super::Call,
    result: Result<String, ApiError>,
    content_type: &'static str,
    filename: Option<String>,
) -> Response {
    let ok = result.is_ok();
    let mut response = api.finish(call, result.map(|body| (StatusCode::OK, body)));
    if ok {
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Some(name) =
            filename.and_then(|n| HeaderValue::from_str(&format!("attachment; filename=\"{n}\"")).ok())
        {
            headers.insert(header::CONTENT_DISPOSITION, name);
        }
    }
    response
}

fn hub_text(result: Result<String, AgencyError>) -> Result<String, ApiError> {
    result.map_err(ApiError::from)
}

async fn months(State(api): Api, headers: HeaderMap) -> Response {
    json_route!(api, headers, "agency_clearing_months", |who| ok_json(
        api.hub.agency_clearing_months(&who).await
    ))
}

async fn month(State(api): Api, headers: HeaderMap, Path(month): Path<String>) -> Response {
    json_route!(api, headers, "agency_clearing_month", |who| ok_json(
        api.hub.agency_clearing_month(&who, &month).await
    ))
}

async fn freeze(State(api): Api, headers: HeaderMap, Path(month): Path<String>, body: Body) -> Response {
    json_route!(api, headers, "agency_clearing_freeze", |who| {
        match fields(&headers, body, &["confirm_working_days", "pay_working_days"]).await {
            Ok(mut f) => {
                let input = FreezeInput {
                    confirm_working_days: f.remove("confirm_working_days"),
                    pay_working_days: f.remove("pay_working_days"),
                };
                ok_json(api.hub.agency_clearing_freeze(&who, &month, &input).await)
            }
            Err(e) => Err(e),
        }
    })
}

async fn netting(State(api): Api, headers: HeaderMap, Path(month): Path<String>) -> Response {
    json_route!(api, headers, "agency_clearing_netting", |who| ok_json(
        api.hub.agency_clearing_netting(&who, &month).await
    ))
}

async fn statement(
    State(api): Api,
    headers: HeaderMap,
    Path((month, i, t)): Path<(String, String, String)>,
) -> Response {
    json_route!(api, headers, "agency_clearing_statement", |who| {
        ok_json(api.hub.agency_clearing_statement(&who, &month, &i, &t).await)
    })
}

async fn statement_csv(
    State(api): Api,
    headers: HeaderMap,
    Path((month, i, t)): Path<(String, String, String)>,
) -> Response {
    let mut call = api.begin("agency_clearing_statement_csv");
    let result = match api.authenticate(&headers, &mut call) {
        Ok(who) => hub_text(api.hub.agency_clearing_statement_csv(&who, &month, &i, &t).await),
        Err(e) => Err(e),
    };
    let name = format!("clearing-{month}-{i}-{t}-statement.csv");
    file(&api, call, result, "text/csv; charset=utf-8", Some(name))
}

async fn statement_html(
    State(api): Api,
    headers: HeaderMap,
    Path((month, i, t)): Path<(String, String, String)>,
) -> Response {
    let mut call = api.begin("agency_clearing_statement_html");
    let result = match api.authenticate(&headers, &mut call) {
        Ok(who) => hub_text(api.hub.agency_clearing_statement_html(&who, &month, &i, &t).await),
        Err(e) => Err(e),
    };
    file(&api, call, result, "text/html; charset=utf-8", None)
}

async fn detail_csv(
    State(api): Api,
    headers: HeaderMap,
    Path((month, i, t)): Path<(String, String, String)>,
) -> Response {
    let mut call = api.begin("agency_clearing_detail_csv");
    let result = match api.authenticate(&headers, &mut call) {
        Ok(who) => hub_text(api.hub.agency_clearing_detail_csv(&who, &month, &i, &t).await),
        Err(e) => Err(e),
    };
    let name = format!("clearing-{month}-{i}-{t}-detail.csv");
    file(&api, call, result, "text/csv; charset=utf-8", Some(name))
}

async fn confirm(
    State(api): Api,
    headers: HeaderMap,
    Path((month, i, t)): Path<(String, String, String)>,
    body: Body,
) -> Response {
    json_route!(api, headers, "agency_clearing_confirm", |who| match fields(&headers, body, &[]).await {
        Ok(_) => ok_json(api.hub.agency_clearing_confirm(&who, &month, &i, &t).await),
        Err(e) => Err(e),
    })
}

async fn payment(
    State(api): Api,
    headers: HeaderMap,
    Path((month, i, t)): Path<(String, String, String)>,
    body: Body,
) -> Response {
    json_route!(api, headers, "agency_clearing_payment", |who| {
        match fields(&headers, body, &["bank_name", "bank_serial", "paid_on"]).await {
            Ok(mut f) => {
                let input = PaymentInput {
                    bank_name: f.remove("bank_name"),
                    bank_serial: f.remove("bank_serial"),
                    paid_on: f.remove("paid_on"),
                };
                ok_json(api.hub.agency_clearing_pay(&who, &month, &i, &t, &input).await)
            }
            Err(e) => Err(e),
        }
    })
}

async fn modes(State(api): Api, headers: HeaderMap) -> Response {
    json_route!(api, headers, "agency_clearing_modes", |who| ok_json(
        api.hub.agency_clearing_modes(&who).await
    ))
}

async fn set_mode(
    State(api): Api,
    headers: HeaderMap,
    Path((i, t)): Path<(String, String)>,
    body: Body,
) -> Response {
    json_route!(api, headers, "agency_clearing_mode_set", |who| {
        match fields(&headers, body, &["mode", "yuan_per_person_month", "persons"]).await {
            Ok(mut f) => {
                let input = ModeInput {
                    mode: f.remove("mode"),
                    yuan_per_person_month: f.remove("yuan_per_person_month"),
                    persons: f.remove("persons"),
                };
                ok_json(api.hub.agency_clearing_set_mode(&who, &i, &t, &input).await)
            }
            Err(e) => Err(e),
        }
    })
}

async fn prepayments(State(api): Api, headers: HeaderMap) -> Response {
    json_route!(api, headers, "agency_prepayments", |who| ok_json(api.hub.agency_prepayments(&who).await))
}

async fn prepayment(State(api): Api, headers: HeaderMap, Path((i, t)): Path<(String, String)>) -> Response {
    json_route!(api, headers, "agency_prepayment", |who| ok_json(
        api.hub.agency_prepayment(&who, &i, &t).await
    ))
}

async fn notice(
    State(api): Api,
    headers: HeaderMap,
    Path((i, t)): Path<(String, String)>,
    body: Body,
) -> Response {
    json_route!(api, headers, "agency_prepayment_notice", |who| {
        match fields(&headers, body, &["year", "months", "amount"]).await {
            Ok(mut f) => {
                let input = NoticeInput {
                    year: f.remove("year"),
                    months: f.remove("months"),
                    amount: f.remove("amount"),
                };
                ok_json(api.hub.agency_prepayment_notice(&who, &i, &t, &input).await)
            }
            Err(e) => Err(e),
        }
    })
}

async fn request_top_up(
    State(api): Api,
    headers: HeaderMap,
    Path((i, t)): Path<(String, String)>,
    body: Body,
) -> Response {
    json_route!(api, headers, "agency_prepayment_top_up", |who| {
        match fields(&headers, body, &["amount", "reason"]).await {
            Ok(mut f) => {
                let input = TopUpInput { amount: f.remove("amount"), reason: f.remove("reason") };
                ok_json(api.hub.agency_prepayment_request_top_up(&who, &i, &t, &input).await)
            }
            Err(e) => Err(e),
        }
    })
}

async fn approve_top_up(
    State(api): Api,
    headers: HeaderMap,
    Path((i, t, id)): Path<(String, String, String)>,
    body: Body,
) -> Response {
    json_route!(api, headers, "agency_prepayment_top_up_approve", |who| {
        match fields(&headers, body, &["amount"]).await {
            Ok(mut f) => {
                let input = TopUpInput { amount: f.remove("amount"), reason: None };
                ok_json(api.hub.agency_prepayment_approve_top_up(&who, &i, &t, &id, &input).await)
            }
            Err(e) => Err(e),
        }
    })
}
