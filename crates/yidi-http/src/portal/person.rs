//! The person's pages over HTTP: `/signin`, `/activate`, `/signout`, `/me`, `/me/filings`
//! (POST to file, `/{id}/change`, `/{id}/cancel`), `/me/settlements`,
//! `/me/settlements/{setl_id}` and `/me/reimbursements`. Accounts, sessions, CSRF and the sign-in limiter are the people
//! service's ([`People`]); every hub call takes the session's `psn_no`, never one from the
//! request, so another person's filing or settlement is "not found" like an unknown one.
//!
//! After a successful POST the answer is `303 See Other` to the page to show (post/redirect/get),
//! so reloading never repeats a change; a refusal re-shows the page with the rule explained.
//!
//! Login CSRF: there is no session before sign-in, so `/signin` and `/activate` carry a
//! double-submit token: the form page sets a random 256-bit token in the cookie
//! [`SIGNIN_CSRF_COOKIE`] (`HttpOnly; SameSite=Strict; Secure`) and echoes it as the hidden field
//! `csrf`; the POST must bring both, equal (compared in constant time), or it is refused with 403
//! before any password is looked at. A cross-site form cannot read the cookie, so it cannot sign
//! a victim into the attacker's account.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::value::RawValue;
use subtle::ConstantTimeEq;
use yidi_domain::{Bp, Fen};
use yidi_hub::{NewFiling, PersonIdentity, SettlementQuery};
use yidi_portal::i18n::Lang;
use yidi_portal::person::{self as pages, FilingForm, SettlementFigures};
use yidi_portal::public::{Ctx, message_page};

use super::{Portal, RequestInfo, form, html, request_info};
use crate::people::{ClientIp, People, PeopleError};
use crate::session::Session;

/// Settlements on "我的" (the latest).
const LATEST_SETTLEMENTS: u32 = 5;
/// Settlements per page of "我的结算".
const SETTLEMENTS_PAGE_SIZE: u32 = 20;
/// The pre-sign-in CSRF cookie of `/signin` and `/activate` (double submit: the form echoes it).
pub const SIGNIN_CSRF_COOKIE: &str = "yidi_signin_csrf";
/// How long a sign-in form's token stays valid (seconds).
const SIGNIN_CSRF_SECS: u32 = 3_600;
/// Hex characters of a sign-in form token (256 bits).
const SIGNIN_CSRF_CHARS: usize = 64;

/// The sign-in form token: the one the browser already holds (so several open tabs keep
/// working), else a new random one.
fn signin_token(headers: &HeaderMap) -> String {
    match crate::session::cookie_value(headers, SIGNIN_CSRF_COOKIE) {
        Some(t) if t.len() == SIGNIN_CSRF_CHARS && t.bytes().all(|b| b.is_ascii_hexdigit()) => t.to_string(),
        _ => crate::session::random_hex(),
    }
}

/// Whether a sign-in or activation POST carries the cookie's token in its form (constant time).
fn signin_token_ok(headers: &HeaderMap, form_token: &str) -> bool {
    match crate::session::cookie_value(headers, SIGNIN_CSRF_COOKIE) {
        Some(c) => {
            c.len() == SIGNIN_CSRF_CHARS
                && c.len() == form_token.len()
                && bool::from(c.as_bytes().ct_eq(form_token.as_bytes()))
        }
        None => false,
    }
}

/// Sets (or, with `None`, clears) the sign-in form token's cookie on `response`.
fn with_signin_cookie(mut response: Response, token: Option<&str>) -> Response {
    let cookie = match token {
        Some(t) => format!(
            "{SIGNIN_CSRF_COOKIE}={t}; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age={SIGNIN_CSRF_SECS}"
        ),
        None => format!("{SIGNIN_CSRF_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=0"),
    };
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

/// The sign-in or activation form page with a token (its cookie set alongside).
fn signin_form_page(
    info: &RequestInfo,
    headers: &HeaderMap,
    status: StatusCode,
    render: impl FnOnce(&Ctx, &str) -> String,
) -> Response {
    let token = signin_token(headers);
    let page = render(&ctx_for(info, None), &token);
    with_signin_cookie(private(status, info, page), Some(&token))
}

fn csrf_refused_text(lang: Lang) -> &'static str {
    lang.pick(
        "页面已过期或来源不明（安全校验失败），请重新打开本页后再提交。",
        "The form expired or came from another site (security check failed); reload this page and try again.",
    )
}

fn people(p: &Portal) -> Option<&Arc<People>> {
    p.people.as_ref()
}

fn redirect(to: &str, set_cookie: Option<&str>) -> Response {
    let mut response = (StatusCode::SEE_OTHER, "").into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(to) {
        headers.insert(header::LOCATION, v);
    }
    if let Some(c) = set_cookie.and_then(|c| HeaderValue::from_str(c).ok()) {
        headers.append(header::SET_COOKIE, c);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A person's page: private, never cached.
fn private(status: StatusCode, info: &RequestInfo, body: String) -> Response {
    let mut response = html(status, info, body);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub(super) fn ctx_for(info: &RequestInfo, who: Option<(&PersonIdentity, &Session)>) -> Ctx {
    Ctx {
        lang: info.lang,
        here: info.here.clone(),
        account_html: who
            .map_or_else(String::new, |(p, s)| pages::person_account_html(info.lang, p, &s.csrf)),
        signed_in: who.is_some(),
    }
}

/// A people error as a sentence in the page's language (the Chinese message stays the authority).
fn error_text(lang: Lang, e: &PeopleError) -> String {
    let en = match e.code() {
        "sign_in_failed" => {
            "Identity number or password is wrong. First time? Set a password with the activation code from your agency."
        }
        "activation_failed" => {
            "The activation code is wrong, used or expired (valid 72 hours, once). Ask your agency for a new one."
        }
        "too_many_attempts" => {
            "Too many attempts: sign-in is paused to protect your account. Try again later."
        }
        "password_too_short" => "The password is too short (at least 8 characters).",
        "csrf_failed" => "The form expired. Please reload the page and try again.",
        _ => "",
    };
    match (lang, en.is_empty()) {
        (Lang::En, false) => format!("{en} ({})", e.message()),
        _ => e.message(),
    }
}

fn status_of(e: &PeopleError) -> StatusCode {
    StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn no_people(info: &RequestInfo) -> Response {
    let ctx = ctx_for(info, None);
    let lang = info.lang;
    let page = message_page(
        &ctx,
        lang.pick("个人服务未开启", "Personal services are off"),
        lang.pick("此服务器未开启个人账户服务。", "This server does not run personal accounts."),
    );
    html(StatusCode::NOT_FOUND, info, page)
}

pub(super) async fn signin_form(State(p): State<Arc<Portal>>, uri: Uri, headers: HeaderMap) -> Response {
    let info = request_info(&uri, &headers);
    let Some(people) = people(&p) else { return no_people(&info) };
    if people.current(&headers).is_some() {
        return redirect("/me", None);
    }
    signin_form_page(&info, &headers, StatusCode::OK, |ctx, token| pages::signin_page(ctx, "", None, token))
}

pub(super) async fn signin(
    State(p): State<Arc<Portal>>,
    ClientIp(ip): ClientIp,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let info = request_info(&uri, &headers);
    let Some(people) = people(&p) else { return no_people(&info) };
    let f = form::pairs(&String::from_utf8_lossy(&body));
    let certno = form::get(&f, "certno").trim().to_string();
    if !signin_token_ok(&headers, form::get(&f, "csrf")) {
        tracing::info!(route = "portal_signin", status = 403, "sign-in form without its token refused");
        let msg = csrf_refused_text(info.lang);
        return signin_form_page(&info, &headers, StatusCode::FORBIDDEN, |ctx, token| {
            pages::signin_page(ctx, &certno, Some(msg), token)
        });
    }
    match people.sign_in(&certno, form::get(&f, "password"), ip).await {
        Ok(signed) => with_signin_cookie(redirect("/me", Some(&signed.set_cookie)), None),
        Err(e) => {
            let msg = error_text(info.lang, &e);
            let mut response = signin_form_page(&info, &headers, status_of(&e), |ctx, token| {
                pages::signin_page(ctx, &certno, Some(&msg), token)
            });
            if let Some(secs) = e.retry_after_secs() {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            response
        }
    }
}

pub(super) async fn activate_form(State(p): State<Arc<Portal>>, uri: Uri, headers: HeaderMap) -> Response {
    let info = request_info(&uri, &headers);
    if people(&p).is_none() {
        return no_people(&info);
    }
    signin_form_page(&info, &headers, StatusCode::OK, |ctx, token| pages::activate_page(ctx, "", None, token))
}

pub(super) async fn activate(
    State(p): State<Arc<Portal>>,
    ClientIp(ip): ClientIp,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let info = request_info(&uri, &headers);
    let Some(people) = people(&p) else { return no_people(&info) };
    let f = form::pairs(&String::from_utf8_lossy(&body));
    let certno = form::get(&f, "certno").trim().to_string();
    let (password, again) = (form::get(&f, "password"), form::get(&f, "password2"));
    let lang = info.lang;
    let refuse = |status: StatusCode, msg: &str| {
        signin_form_page(&info, &headers, status, |ctx, token| {
            pages::activate_page(ctx, &certno, Some(msg), token)
        })
    };
    if !signin_token_ok(&headers, form::get(&f, "csrf")) {
        tracing::info!(route = "portal_activate", status = 403, "activation form without its token refused");
        return refuse(StatusCode::FORBIDDEN, csrf_refused_text(lang));
    }
    if password != again {
        let msg = lang.pick(
            "两次输入的新密码不一致，请重新输入。",
            "The two passwords differ; please type them again.",
        );
        return refuse(StatusCode::BAD_REQUEST, msg);
    }
    let code = form::get(&f, "code").trim().to_ascii_uppercase();
    match people.activate(&certno, &code, password, ip).await {
        Ok(signed) => with_signin_cookie(redirect("/me", Some(&signed.set_cookie)), None),
        Err(e) => {
            let mut response = refuse(status_of(&e), &error_text(lang, &e));
            if let Some(secs) = e.retry_after_secs() {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            response
        }
    }
}

pub(super) async fn signout(
    State(p): State<Arc<Portal>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let info = request_info(&uri, &headers);
    let Some(people) = people(&p) else { return no_people(&info) };
    let Ok((session, _)) = people.require(&headers) else { return redirect("/", None) };
    let f = form::pairs(&String::from_utf8_lossy(&body));
    if let Err(e) = people.check_csrf(&session, &headers, Some(form::get(&f, "csrf"))) {
        let page = message_page(
            &ctx_for(&info, None),
            info.lang.pick("无法退出", "Cannot sign out"),
            &error_text(info.lang, &e),
        );
        return private(StatusCode::FORBIDDEN, &info, page);
    }
    let clear = people.sign_out(&headers);
    redirect("/", Some(&clear))
}

/// The signed-in person, or where to redirect instead (sign in; home without accounts).
fn signed_in(
    p: &Portal,
    headers: &HeaderMap,
) -> Result<(Arc<People>, Session, PersonIdentity), &'static str> {
    let people = people(p).ok_or("/")?.clone();
    let (session, who) = people.require(headers).map_err(|_| "/signin")?;
    Ok((people, session, who))
}

/// A hub error on a person's page: the message and every field problem it names (a bare "请求有
/// 1 处问题" would not say what to fix).
fn hub_failure(info: &RequestInfo, who: (&PersonIdentity, &Session), e: &PeopleError) -> Response {
    let ctx = ctx_for(info, Some(who));
    let lang = info.lang;
    let title = if e.status() == 404 {
        lang.pick("没有找到", "Not found")
    } else {
        lang.pick("暂时无法办理", "Not possible now")
    };
    private(status_of(e), info, message_page(&ctx, title, &refusal_text(lang, e)))
}

pub(super) async fn me(State(p): State<Arc<Portal>>, uri: Uri, headers: HeaderMap) -> Response {
    let info = request_info(&uri, &headers);
    let (people, session, who) = match signed_in(&p, &headers) {
        Ok(x) => x,
        Err(to) => return redirect(to, None),
    };
    let hub = people.hub();
    let latest =
        SettlementQuery { page_size: Some(LATEST_SETTLEMENTS.to_string()), ..SettlementQuery::default() };
    let result = async {
        let me = hub.person_me(&who.psn_no).await?;
        let ytd = hub.person_year_to_date(&who.psn_no).await?;
        let rows = hub.person_settlements(&who.psn_no, &latest).await?;
        Ok::<_, yidi_hub::AgencyError>((me, ytd, rows))
    }
    .await;
    match result {
        Ok((me, ytd, rows)) => {
            let ctx = ctx_for(&info, Some((&who, &session)));
            private(StatusCode::OK, &info, pages::me_page(&ctx, &me, &ytd, &rows.items))
        }
        Err(e) => hub_failure(&info, (&who, &session), &PeopleError::Hub(e)),
    }
}

/// Renders "我的备案" with an optional message and the form's values.
async fn filings_view(
    p: &Portal,
    info: &RequestInfo,
    people: &People,
    who: (&PersonIdentity, &Session),
    status: StatusCode,
    message: Option<(&str, &str)>,
    form: &FilingForm,
) -> Response {
    let hub = people.hub();
    let filings = match hub.person_filings(&who.0.psn_no).await {
        Ok(f) => f,
        Err(e) => return hub_failure(info, who, &PeopleError::Hub(e)),
    };
    let areas = match p.hub.public_pack().await {
        Some(pack) => yidi_hub::public::filing_areas(&pack),
        None => Vec::new(),
    };
    let today = hub.clock().now().date().to_string();
    let ctx = ctx_for(info, Some(who));
    private(status, info, pages::filings_page(&ctx, &filings, &areas, &who.1.csrf, message, form, &today))
}

pub(super) async fn filings(State(p): State<Arc<Portal>>, uri: Uri, headers: HeaderMap) -> Response {
    let info = request_info(&uri, &headers);
    let (people, session, who) = match signed_in(&p, &headers) {
        Ok(x) => x,
        Err(to) => return redirect(to, None),
    };
    let lang = info.lang;
    let done = match form::get(&info.query, "done") {
        "added" => Some(lang.pick(
            "备案已办理，当场生效：下一笔结算即按此备案。",
            "Filed. It takes effect now: the next settlement uses it.",
        )),
        "changed" => Some(lang.pick("备案已变更，当场生效。", "Filing changed; in effect now.")),
        "cancelled" => Some(lang.pick("备案已取消。", "Filing cancelled.")),
        _ => None,
    };
    let message = done.map(|t| ("ok", t));
    filings_view(&p, &info, &people, (&who, &session), StatusCode::OK, message, &FilingForm::default()).await
}

/// What a filing form carries.
fn filing_from(f: &[(String, String)]) -> (NewFiling, FilingForm) {
    let opt = |name: &str| Some(form::get(f, name).trim().to_string()).filter(|v| !v.is_empty());
    let new = NewFiling {
        category: opt("category"),
        mdtrtarea_admvs: opt("mdtrtarea_admvs"),
        begndate: opt("begndate"),
        enddate: opt("enddate"),
        commitment: Some(form::get(f, "commitment") == "true"),
    };
    let kept = FilingForm {
        category: form::get(f, "category").to_string(),
        area: form::get(f, "mdtrtarea_admvs").to_string(),
        begndate: form::get(f, "begndate").to_string(),
        enddate: form::get(f, "enddate").to_string(),
    };
    (new, kept)
}

/// A hub refusal as one message: the rule explained, and every field problem.
fn refusal_text(lang: Lang, e: &PeopleError) -> String {
    let mut text = error_text(lang, e);
    if let PeopleError::Hub(h) = e {
        for p in h.problems() {
            text.push_str(&format!(" · {}：{}", p.field, p.message));
        }
    }
    text
}

/// The filing POSTs: `new`, or `change`/`cancel` of `filing_id`.
enum FilingAction {
    New,
    Change(String),
    Cancel(String),
}

async fn filing_post(
    p: Arc<Portal>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    action: FilingAction,
) -> Response {
    let info = request_info(&uri, &headers);
    let (people, session, who) = match signed_in(&p, &headers) {
        Ok(x) => x,
        Err(to) => return redirect(to, None),
    };
    let f = form::pairs(&String::from_utf8_lossy(&body));
    if let Err(e) = people.check_csrf(&session, &headers, Some(form::get(&f, "csrf"))) {
        let text = error_text(info.lang, &e);
        return filings_view(
            &p,
            &info,
            &people,
            (&who, &session),
            StatusCode::FORBIDDEN,
            Some(("error", &text)),
            &FilingForm::default(),
        )
        .await;
    }
    let (new, kept) = filing_from(&f);
    let hub = people.hub();
    let (result, done) = match &action {
        FilingAction::New => (hub.person_add_filing(&who.psn_no, &new).await, "added"),
        FilingAction::Change(id) => (hub.person_change_filing(&who.psn_no, id, &new).await, "changed"),
        FilingAction::Cancel(id) => (hub.person_cancel_filing(&who.psn_no, id).await, "cancelled"),
    };
    match result {
        Ok(_) => redirect(&format!("/me/filings?done={done}"), None),
        Err(e) => {
            let e = PeopleError::Hub(e);
            let text = refusal_text(info.lang, &e);
            let kept = if matches!(action, FilingAction::New) { kept } else { FilingForm::default() };
            filings_view(&p, &info, &people, (&who, &session), status_of(&e), Some(("error", &text)), &kept)
                .await
        }
    }
}

pub(super) async fn add_filing(
    State(p): State<Arc<Portal>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    filing_post(p, uri, headers, body, FilingAction::New).await
}

pub(super) async fn change_filing(
    State(p): State<Arc<Portal>>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    filing_post(p, uri, headers, body, FilingAction::Change(id)).await
}

pub(super) async fn cancel_filing(
    State(p): State<Arc<Portal>>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    filing_post(p, uri, headers, body, FilingAction::Cancel(id)).await
}

pub(super) async fn settlements(State(p): State<Arc<Portal>>, uri: Uri, headers: HeaderMap) -> Response {
    let info = request_info(&uri, &headers);
    let (people, session, who) = match signed_in(&p, &headers) {
        Ok(x) => x,
        Err(to) => return redirect(to, None),
    };
    let query = |page: u32| SettlementQuery {
        page: Some(page.to_string()),
        page_size: Some(SETTLEMENTS_PAGE_SIZE.to_string()),
        ..SettlementQuery::default()
    };
    let page = page_number(form::get(&info.query, "page"));
    let mut result = people.hub().person_settlements(&who.psn_no, &query(page)).await;
    // Past the last page (an old link, or a typed number): show the last page instead.
    if let Ok(rows) = &result
        && rows.items.is_empty()
        && page > 1
    {
        let last = rows.total.div_ceil(u64::from(SETTLEMENTS_PAGE_SIZE)).clamp(1, u64::from(page - 1));
        result = people.hub().person_settlements(&who.psn_no, &query(last as u32)).await;
    }
    match result {
        Ok(rows) => {
            let ctx = ctx_for(&info, Some((&who, &session)));
            private(StatusCode::OK, &info, pages::settlements_page(&ctx, &rows))
        }
        Err(e) => hub_failure(&info, (&who, &session), &PeopleError::Hub(e)),
    }
}

pub(super) async fn settlement(
    State(p): State<Arc<Portal>>,
    Path(setl_id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let info = request_info(&uri, &headers);
    let (people, session, who) = match signed_in(&p, &headers) {
        Ok(x) => x,
        Err(to) => return redirect(to, None),
    };
    match people.hub().person_settlement(&who.psn_no, &setl_id).await {
        Ok(detail) => {
            let figures = detail
                .output
                .as_deref()
                .ok_or_else(|| "no stored output".to_string())
                .and_then(|raw| figures_of(raw.get()));
            if let Err(e) = &figures {
                tracing::warn!(setl_id = %setl_id, error = %e, "a settlement's amounts cannot be read");
            }
            let ctx = ctx_for(&info, Some((&who, &session)));
            private(
                StatusCode::OK,
                &info,
                pages::settlement_page(&ctx, &detail.settlement, figures.as_ref().ok(), &detail.trace),
            )
        }
        Err(e) => hub_failure(&info, (&who, &session), &PeopleError::Hub(e)),
    }
}

/// The page number of `?page=`, read as `/where` reads it: a number is clamped to
/// `1..=PAGE_MAX` (one too large for any integer to the maximum), anything else is the first page.
fn page_number(text: &str) -> u32 {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return 1;
    }
    text.parse::<u64>().unwrap_or(u64::MAX).clamp(1, u64::from(yidi_hub::PAGE_MAX)) as u32
}

/// "我的手工报销": the session's person's manual reimbursements.
pub(super) async fn reimbursements(State(p): State<Arc<Portal>>, uri: Uri, headers: HeaderMap) -> Response {
    let info = request_info(&uri, &headers);
    let (people, session, who) = match signed_in(&p, &headers) {
        Ok(x) => x,
        Err(to) => return redirect(to, None),
    };
    match people.hub().person_reimbursement_views(&who.psn_no).await {
        Ok(items) => {
            let ctx = ctx_for(&info, Some((&who, &session)));
            private(StatusCode::OK, &info, pages::reimbursements_page(&ctx, &items))
        }
        Err(e) => hub_failure(&info, (&who, &session), &PeopleError::Hub(e)),
    }
}

/// The `setlinfo` amounts of a national 2207/2304 output, read from their exact decimal text
/// (never through a float); `Err` names the first field that is missing or unreadable, so the
/// page says the amounts cannot be shown instead of showing 0.
fn figures_of(output: &str) -> Result<SettlementFigures, String> {
    #[derive(Deserialize)]
    struct Out<'a> {
        #[serde(borrow)]
        setlinfo: Info<'a>,
    }
    #[derive(Deserialize)]
    struct Info<'a> {
        #[serde(borrow)]
        medfee_sumamt: &'a RawValue,
        #[serde(borrow)]
        fulamt_ownpay_amt: &'a RawValue,
        #[serde(borrow)]
        overlmt_selfpay: &'a RawValue,
        #[serde(borrow)]
        preselfpay_amt: &'a RawValue,
        #[serde(borrow)]
        inscp_scp_amt: &'a RawValue,
        #[serde(borrow)]
        act_pay_dedc: &'a RawValue,
        #[serde(borrow)]
        hifp_pay: &'a RawValue,
        #[serde(borrow)]
        pool_prop_selfpay: &'a RawValue,
        #[serde(borrow)]
        hifob_pay: &'a RawValue,
        #[serde(borrow)]
        hifmi_pay: &'a RawValue,
        #[serde(borrow)]
        maf_pay: &'a RawValue,
        #[serde(borrow)]
        fund_pay_sumamt: &'a RawValue,
        #[serde(borrow)]
        psn_part_amt: &'a RawValue,
        #[serde(borrow)]
        acct_pay: &'a RawValue,
        #[serde(borrow)]
        psn_cash_pay: &'a RawValue,
        #[serde(borrow)]
        balc: &'a RawValue,
    }
    /// The decimal text of a JSON number or of a string holding one (`136.50` or `"136.50"`).
    fn text(raw: &RawValue) -> &str {
        let t = raw.get().trim();
        t.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(t)
    }
    fn fen(name: &str, raw: &RawValue) -> Result<Fen, String> {
        Fen::parse_yuan(text(raw)).map_err(|e| format!("setlinfo.{name}: {e}"))
    }
    let i = serde_json::from_str::<Out<'_>>(output).map_err(|e| format!("setlinfo: {e}"))?.setlinfo;
    // `pool_prop_selfpay` is a fraction with up to four decimals ("0.8500"): basis points.
    let pool_prop_bp = yidi_domain::Qty::parse(text(i.pool_prop_selfpay))
        .ok()
        .and_then(|q| Bp::new(q.ten_thousandths()).ok())
        .ok_or_else(|| format!("setlinfo.pool_prop_selfpay: {}", i.pool_prop_selfpay.get()))?
        .get();
    Ok(SettlementFigures {
        medfee_sumamt: fen("medfee_sumamt", i.medfee_sumamt)?,
        fulamt_ownpay_amt: fen("fulamt_ownpay_amt", i.fulamt_ownpay_amt)?,
        overlmt_selfpay: fen("overlmt_selfpay", i.overlmt_selfpay)?,
        preselfpay_amt: fen("preselfpay_amt", i.preselfpay_amt)?,
        inscp_scp_amt: fen("inscp_scp_amt", i.inscp_scp_amt)?,
        act_pay_dedc: fen("act_pay_dedc", i.act_pay_dedc)?,
        hifp_pay: fen("hifp_pay", i.hifp_pay)?,
        pool_prop_bp,
        hifob_pay: fen("hifob_pay", i.hifob_pay)?,
        hifmi_pay: fen("hifmi_pay", i.hifmi_pay)?,
        maf_pay: fen("maf_pay", i.maf_pay)?,
        fund_pay_sumamt: fen("fund_pay_sumamt", i.fund_pay_sumamt)?,
        psn_part_amt: fen("psn_part_amt", i.psn_part_amt)?,
        acct_pay: fen("acct_pay", i.acct_pay)?,
        psn_cash_pay: fen("psn_cash_pay", i.psn_cash_pay)?,
        balc: fen("balc", i.balc)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A whole `setlinfo` with every amount as in a stored output (JSON numbers), `extra` last.
    fn output(extra: &str) -> String {
        let mut fields: Vec<String> = [
            "medfee_sumamt",
            "fulamt_ownpay_amt",
            "overlmt_selfpay",
            "preselfpay_amt",
            "inscp_scp_amt",
            "act_pay_dedc",
            "hifp_pay",
            "hifob_pay",
            "hifmi_pay",
            "maf_pay",
            "fund_pay_sumamt",
            "psn_part_amt",
            "acct_pay",
            "psn_cash_pay",
            "balc",
        ]
        .iter()
        .filter(|f| !extra.contains(&format!("\"{f}\"")))
        .map(|f| format!("\"{f}\":0.00"))
        .collect();
        fields.push("\"pool_prop_selfpay\":0.8500".to_string());
        if !extra.is_empty() {
            fields.push(extra.to_string());
        }
        format!("{{\"setlinfo\":{{{}}}}}", fields.join(","))
    }

    /// Goal (review finding 3): `?page=` is clamped like `/where`'s, never refused.
    #[test]
    fn page_numbers_are_clamped() {
        assert_eq!(page_number("3"), 3);
        assert_eq!(page_number(" 2 "), 2);
        assert_eq!(page_number("0"), 1);
        assert_eq!(page_number(""), 1);
        assert_eq!(page_number("-1"), 1);
        assert_eq!(page_number("abc"), 1);
        assert_eq!(page_number("4294967295"), yidi_hub::PAGE_MAX);
        assert_eq!(page_number("99999999999999999999999"), yidi_hub::PAGE_MAX);
    }

    /// Goal (review finding 3): a hub refusal on a person's page names each problem, not only
    /// "请求有 1 处问题".
    #[test]
    fn hub_failures_name_their_problems() {
        let info =
            RequestInfo { lang: Lang::Zh, here: "/me".into(), remember_lang: false, query: Vec::new() };
        let who = PersonIdentity {
            psn_no: "P1".into(),
            certno: "110***********001X".into(),
            psn_name: "张*".into(),
            insuplc_admdvs: "110000".into(),
        };
        let session = Session {
            id: "0".repeat(64),
            subject: crate::session::Subject::Person(who.clone()),
            csrf: "1".repeat(64),
            created_ms: 0,
            last_seen_ms: 0,
            agency_token_sha256: None,
        };
        let problem = yidi_hub::FieldProblem {
            field: "page".into(),
            message: "page 应为 1–10000 的整数，收到“4294967295”".into(),
        };
        let e = PeopleError::Hub(yidi_hub::AgencyError::Invalid(vec![problem]));
        let response = hub_failure(&info, (&who, &session), &e);
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let body = runtime.block_on(axum::body::to_bytes(response.into_body(), usize::MAX)).unwrap();
        let page = String::from_utf8(body.to_vec()).unwrap();
        assert!(page.contains("请求有 1 处问题"), "{page}");
        assert!(page.contains("page：page 应为 1–10000 的整数，收到“4294967295”"), "{page}");
    }

    #[test]
    fn reads_the_national_output_amounts_exactly() {
        let f = figures_of(&output(r#""medfee_sumamt":136.50,"hifp_pay":"80.00","acct_pay":6.5"#)).unwrap();
        assert_eq!(f.medfee_sumamt, Fen::new(13_650));
        assert_eq!(f.hifp_pay, Fen::new(8_000));
        assert_eq!(f.acct_pay, Fen::new(650));
        assert_eq!(f.pool_prop_bp, 8_500);
        // 2^53 + 1 fen does not survive an f64; read as text it does.
        let big = figures_of(&output(r#""medfee_sumamt":90071992547409.93"#)).unwrap();
        assert_eq!(big.medfee_sumamt, Fen::new(9_007_199_254_740_993));
    }

    /// Unreadable or missing amounts are an error naming the field, never a silent 0.
    #[test]
    fn unreadable_amounts_are_errors_not_zero() {
        assert!(figures_of("not json").is_err());
        let missing = figures_of(&output("").replace("\"balc\":0.00,", "")).unwrap_err();
        assert!(missing.contains("balc"), "{missing}");
        let bad = figures_of(&output(r#""hifp_pay":"12.3.4""#)).unwrap_err();
        assert!(bad.contains("hifp_pay"), "{bad}");
        let fraction = figures_of(&output("").replace("0.8500", "1.5")).unwrap_err();
        assert!(fraction.contains("pool_prop_selfpay"), "{fraction}");
    }
}
