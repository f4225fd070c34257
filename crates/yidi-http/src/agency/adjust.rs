//! Funds part B routes of the agency API: refusals/deductions/recoveries (拒付/扣款/追回),
//! verification requests (协查), manual reimbursements (手工报销), facilities' clearing
//! applications and the treatment agency's payments to facilities.
//!
//! Like the rest of the agency API this only authenticates, reads the body into text fields and
//! renders the answer; scope and rules live in the hub (`yidi-hub/src/adjust.rs`). Amounts,
//! counts and prices are strings (`"12.50"`), so no float ever carries money; integers may be
//! JSON numbers.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Map, Value, json};
use yidi_hub::adjust::{
    AdjustmentInput, AnswerInput, InquiryInput, InquiryQuery, PayInput, ReimbursementInput,
    ReimbursementLineInput,
};

use super::{AgencyApi, Answer, ApiError, json_object, ok_json, query_params, read_limited};
use crate::limits::AGENCY_BODY_BYTES_MAX;

type Api = State<Arc<AgencyApi>>;

/// The routes, merged into the agency router.
pub fn routes(api: Arc<AgencyApi>) -> Router {
    Router::new()
        .route("/api/agency/settlements/{setl_id}/adjustments", get(settlement_adjustments).post(adjust))
        .route("/api/agency/adjustments", get(adjustments))
        .route("/api/agency/adjustments/{adj_id}/withdraw", post(withdraw))
        .route("/api/agency/settlements/{setl_id}/inquiries", post(open_inquiry))
        .route("/api/agency/inquiries", get(inquiries))
        .route("/api/agency/inquiries/{inquiry_id}", get(inquiry))
        .route("/api/agency/inquiries/{inquiry_id}/answer", post(answer_inquiry))
        .route("/api/agency/persons/{psn_no}/reimbursements", post(reimburse))
        .route("/api/agency/reimbursements", get(reimbursements))
        .route("/api/agency/reimbursements/{reimb_id}/pay", post(pay_reimbursement))
        .route("/api/agency/clearing-applications", get(applications))
        .route("/api/agency/clearing-applications/{id}/pay", post(pay_application))
        .route("/api/agency/facility-payments", get(facility_payments))
        .with_state(api)
}

/// Authenticates, then runs `$run` with the agency user; counts, logs and renders.
macro_rules! route {
    ($api:expr, $headers:expr, $route:literal, |$who:ident| $run:expr) => {{
        let mut call = $api.begin($route);
        let answer: Answer = match $api.authenticate(&$headers, &mut call) {
            Ok($who) => $run,
            Err(e) => Err(e),
        };
        $api.finish(call, answer)
    }};
}

fn problem(field: &str, message: impl Into<String>) -> Value {
    json!({"field": field, "message": message.into()})
}

/// The body as a JSON object whose fields are among `allowed` (an empty body is `{}`).
async fn object(headers: &HeaderMap, body: Body, allowed: &[&str]) -> Result<Map<String, Value>, ApiError> {
    let bytes = read_limited(headers, body, AGENCY_BODY_BYTES_MAX).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let object = json_object(&bytes, &format!("请求体应为 JSON 对象，字段：{}", allowed.join("、")))?;
    let unknown: Vec<Value> = object
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .map(|k| problem(k, format!("未知字段（可用：{}）", allowed.join("、"))))
        .collect();
    if unknown.is_empty() {
        Ok(object)
    } else {
        Err(ApiError::invalid(format!("请求有 {} 处问题", unknown.len()), unknown))
    }
}

/// Takes a text field: a string, or an integer written as a number; `null` is absent.
fn text(o: &mut Map<String, Value>, path: &str, name: &str, problems: &mut Vec<Value>) -> Option<String> {
    match o.remove(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        Some(Value::Bool(b)) => Some(if b { "1" } else { "0" }.to_string()),
        Some(_) => {
            problems.push(problem(&format!("{path}{name}"), "应为字符串（金额、数量、单价写作 \"12.50\"）"));
            None
        }
    }
}

fn invalid(problems: Vec<Value>) -> ApiError {
    ApiError::invalid(format!("请求有 {} 处问题", problems.len()), problems)
}

fn adjustment_input(mut o: Map<String, Value>) -> Result<AdjustmentInput, ApiError> {
    let mut p = Vec::new();
    let amounts = match o.remove("amounts") {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => {
            let mut out = BTreeMap::new();
            for (fund, value) in map {
                let mut one = Map::from_iter([(fund.clone(), value)]);
                if let Some(v) = text(&mut one, "amounts.", &fund, &mut p) {
                    out.insert(fund, v);
                }
            }
            Some(out)
        }
        Some(_) => {
            p.push(problem("amounts", "应为对象：{\"310100\": \"12.00\", …}"));
            None
        }
    };
    let input = AdjustmentInput {
        stage: text(&mut o, "", "stage", &mut p),
        amounts,
        total: text(&mut o, "", "total", &mut p),
        reason: text(&mut o, "", "reason", &mut p),
        evidence: text(&mut o, "", "evidence", &mut p),
        inquiry_id: text(&mut o, "", "inquiry_id", &mut p),
    };
    if p.is_empty() { Ok(input) } else { Err(invalid(p)) }
}

fn reimbursement_input(mut o: Map<String, Value>) -> Result<ReimbursementInput, ApiError> {
    let mut p = Vec::new();
    let lines = match o.remove("feedetail") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(rows)) => rows
            .into_iter()
            .enumerate()
            .map(|(n, row)| {
                let path = format!("feedetail[{n}].");
                let Value::Object(mut r) = row else {
                    p.push(problem(&format!("feedetail[{n}]"), "应为对象"));
                    return ReimbursementLineInput::default();
                };
                ReimbursementLineInput {
                    feedetl_sn: text(&mut r, &path, "feedetl_sn", &mut p),
                    med_list_codg: text(&mut r, &path, "med_list_codg", &mut p),
                    cnt: text(&mut r, &path, "cnt", &mut p),
                    pric: text(&mut r, &path, "pric", &mut p),
                    det_item_fee_sumamt: text(&mut r, &path, "det_item_fee_sumamt", &mut p),
                    fee_ocur_time: text(&mut r, &path, "fee_ocur_time", &mut p),
                }
            })
            .collect(),
        Some(_) => {
            p.push(problem("feedetail", "应为数组"));
            Vec::new()
        }
    };
    let mut t = |name: &str| text(&mut o, "", name, &mut p);
    let input = ReimbursementInput {
        fixmedins_code: t("fixmedins_code"),
        fixmedins_name: t("fixmedins_name"),
        facility_level: t("facility_level"),
        visit_no: t("visit_no"),
        receipt_no: t("receipt_no"),
        med_type: t("med_type"),
        begntime: t("begntime"),
        endtime: t("endtime"),
        dise_codg: t("dise_codg"),
        emergency: t("emergency"),
        feedetail: lines,
    };
    if p.is_empty() { Ok(input) } else { Err(invalid(p)) }
}

const ADJUST_FIELDS: [&str; 6] = ["stage", "amounts", "total", "reason", "evidence", "inquiry_id"];
const REIMBURSE_FIELDS: [&str; 11] = [
    "fixmedins_code",
    "fixmedins_name",
    "facility_level",
    "visit_no",
    "receipt_no",
    "med_type",
    "begntime",
    "endtime",
    "dise_codg",
    "emergency",
    "feedetail",
];

async fn pay_input(headers: &HeaderMap, body: Body) -> Result<PayInput, ApiError> {
    let mut o = object(headers, body, &["bank_serial", "paid_on"]).await?;
    let mut p = Vec::new();
    let input = PayInput {
        bank_serial: text(&mut o, "", "bank_serial", &mut p),
        paid_on: text(&mut o, "", "paid_on", &mut p),
    };
    if p.is_empty() { Ok(input) } else { Err(invalid(p)) }
}

async fn adjust(State(api): Api, headers: HeaderMap, Path(setl_id): Path<String>, body: Body) -> Response {
    route!(api, headers, "agency_adjust", |who| {
        match object(&headers, body, &ADJUST_FIELDS).await.and_then(adjustment_input) {
            Ok(input) => ok_json(api.hub.agency_adjust(&who, &setl_id, &input).await),
            Err(e) => Err(e),
        }
    })
}

async fn withdraw(State(api): Api, headers: HeaderMap, Path(adj_id): Path<String>, body: Body) -> Response {
    route!(api, headers, "agency_adjustment_withdraw", |who| {
        match object(&headers, body, &["reason"]).await {
            Ok(mut o) => {
                let mut p = Vec::new();
                let reason = text(&mut o, "", "reason", &mut p);
                if p.is_empty() {
                    ok_json(api.hub.agency_withdraw_adjustment(&who, &adj_id, reason.as_deref()).await)
                } else {
                    Err(invalid(p))
                }
            }
            Err(e) => Err(e),
        }
    })
}

async fn settlement_adjustments(
    State(api): Api,
    headers: HeaderMap,
    Path(setl_id): Path<String>,
) -> Response {
    route!(api, headers, "agency_settlement_adjustments", |who| ok_json(
        api.hub.agency_settlement_adjustments(&who, &setl_id).await
    ))
}

async fn adjustments(State(api): Api, headers: HeaderMap, uri: Uri) -> Response {
    let q = query_params(&uri);
    route!(api, headers, "agency_adjustments", |who| ok_json(
        api.hub.agency_adjustments(&who, q.get("month").map(String::as_str)).await
    ))
}

async fn open_inquiry(
    State(api): Api,
    headers: HeaderMap,
    Path(setl_id): Path<String>,
    body: Body,
) -> Response {
    route!(api, headers, "agency_inquiry_open", |who| {
        match object(&headers, body, &["question", "deadline_working_days"]).await {
            Ok(mut o) => {
                let mut p = Vec::new();
                let input = InquiryInput {
                    question: text(&mut o, "", "question", &mut p),
                    deadline_working_days: text(&mut o, "", "deadline_working_days", &mut p),
                };
                if p.is_empty() {
                    ok_json(api.hub.agency_open_inquiry(&who, &setl_id, &input).await)
                } else {
                    Err(invalid(p))
                }
            }
            Err(e) => Err(e),
        }
    })
}

async fn inquiries(State(api): Api, headers: HeaderMap, uri: Uri) -> Response {
    let mut q = query_params(&uri);
    let query = InquiryQuery {
        status: q.remove("status"),
        overdue: q.remove("overdue"),
        setl_id: q.remove("setl_id"),
    };
    route!(api, headers, "agency_inquiries", |who| ok_json(api.hub.agency_inquiries(&who, &query).await))
}

async fn inquiry(State(api): Api, headers: HeaderMap, Path(id): Path<String>) -> Response {
    route!(api, headers, "agency_inquiry", |who| ok_json(api.hub.agency_inquiry(&who, &id).await))
}

async fn answer_inquiry(State(api): Api, headers: HeaderMap, Path(id): Path<String>, body: Body) -> Response {
    route!(api, headers, "agency_inquiry_answer", |who| {
        match object(&headers, body, &["finding", "adj_id"]).await {
            Ok(mut o) => {
                let mut p = Vec::new();
                let input = AnswerInput {
                    finding: text(&mut o, "", "finding", &mut p),
                    adj_id: text(&mut o, "", "adj_id", &mut p),
                };
                if p.is_empty() {
                    ok_json(api.hub.agency_answer_inquiry(&who, &id, &input).await)
                } else {
                    Err(invalid(p))
                }
            }
            Err(e) => Err(e),
        }
    })
}

async fn reimburse(State(api): Api, headers: HeaderMap, Path(psn_no): Path<String>, body: Body) -> Response {
    route!(api, headers, "agency_reimburse", |who| {
        match object(&headers, body, &REIMBURSE_FIELDS).await.and_then(reimbursement_input) {
            Ok(input) => ok_json(api.hub.agency_reimburse(&who, &psn_no, &input).await),
            Err(e) => Err(e),
        }
    })
}

async fn reimbursements(State(api): Api, headers: HeaderMap, uri: Uri) -> Response {
    let q = query_params(&uri);
    route!(api, headers, "agency_reimbursements", |who| ok_json(
        api.hub.agency_reimbursements(&who, q.get("psn_no").map(String::as_str)).await
    ))
}

async fn pay_reimbursement(
    State(api): Api,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    route!(api, headers, "agency_reimbursement_pay", |who| {
        match pay_input(&headers, body).await {
            Ok(input) => ok_json(api.hub.agency_pay_reimbursement(&who, &id, &input).await),
            Err(e) => Err(e),
        }
    })
}

async fn applications(State(api): Api, headers: HeaderMap, uri: Uri) -> Response {
    let q = query_params(&uri);
    route!(api, headers, "agency_clearing_applications", |who| ok_json(
        api.hub
            .agency_applications(
                &who,
                q.get("setlym").map(String::as_str),
                q.get("fixmedins_code").map(String::as_str)
            )
            .await
    ))
}

async fn pay_application(
    State(api): Api,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    route!(api, headers, "agency_clearing_application_pay", |who| {
        match pay_input(&headers, body).await {
            Ok(input) => ok_json(api.hub.agency_pay_application(&who, &id, &input).await),
            Err(e) => Err(e),
        }
    })
}

async fn facility_payments(State(api): Api, headers: HeaderMap) -> Response {
    route!(api, headers, "agency_facility_payments", |who| ok_json(
        api.hub.agency_facility_payments(&who).await
    ))
}
