//! The agency dashboards (`/agency/…`): server-rendered pages with inline SVG charts, the CSV
//! export of every table, and the agency sign-in that opens them.
//!
//! Key design decision: every page and every CSV file of one period comes from one
//! `Hub::agency_dashboard` call (one bounded scan on the sequencer thread), turned into
//! [`Table`]s here by [`panels`]; a page shows a tab's panels, `/agency/<table>.csv` exports the
//! table of the same id, so the file always holds what the page shows. The hub decides the scope
//! (the agency's pooling region); this module only authenticates and renders.
//!
//! Who may look: a browser signs in at `/agency/login` with the agency's API token and gets an
//! agency browser session from the shared session machinery (`crate::session`: cookie
//! `yidi_agency`, the server keeps only its SHA-256, a CSRF token on every POST); the sign-in form
//! itself carries a double-submit CSRF token (there is no session yet), and failed sign-ins count
//! in the dashboards' own limiter (per token and per client address; the same kind as the
//! people's, but a separate bucket, so people's failed sign-ins from a shared address never lock
//! agency staff out). Scripts may send the bearer token instead (`Authorization: Bearer …`), as
//! for the agency API.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;
use std::time::Instant;

use subtle::ConstantTimeEq;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use yidi_domain::codes::mask_name;
use yidi_domain::{CertNo, Fen, FilingCategory};
use yidi_hub::dashboard::{CARE_TYPES, Dashboard, DashboardQuery};
use yidi_hub::{AgencyError, AgencyUser, Clock, PersonQuery, PrepaymentView, SystemClock};
use yidi_portal::charts::{self, BarChart, FlowChart, FlowEdge, HeatMap, Series, Unit};
use yidi_portal::dashboard::{self as view, Cell, Figure, Panel, Tab, Table};
use yidi_portal::html::escape;
use yidi_portal::i18n::{LANG_COOKIE, Lang, url_encode};
use yidi_portal::layout;

use crate::agency::{AgencyApi, query_params};
use crate::people::{ClientIp, People};
use crate::session::{self, AGENCY_COOKIE, Session, SessionStore, SignInLimiter};

/// The pre-sign-in CSRF cookie (double submit: the form must echo it).
pub const LOGIN_CSRF_COOKIE: &str = "yidi_agency_csrf";
/// Longest form body read (`token`, `csrf`, `next`).
pub const FORM_BYTES_MAX: usize = 4096;

const HTML_UTF8: &str = "text/html; charset=utf-8";

/// The dashboards' state: the agency API (book and hub), sessions and the sign-in limiter.
pub struct Dashboards {
    api: Arc<AgencyApi>,
    /// The people's session table when the server has one (one table, one clock), else the
    /// dashboards' own.
    sessions: Arc<SessionStore>,
    /// Agency sign-ins only: a bucket of its own, never the people's limiter.
    limiter: SignInLimiter,
}

impl Dashboards {
    pub fn new(api: Arc<AgencyApi>, people: Option<Arc<People>>) -> Dashboards {
        let (sessions, clock) = match people {
            Some(p) => (p.sessions().clone(), p.clock().clone()),
            None => {
                let clock: Arc<dyn Clock> = Arc::new(SystemClock);
                (Arc::new(SessionStore::new(clock.clone())), clock)
            }
        };
        Dashboards { api, sessions, limiter: SignInLimiter::new(clock) }
    }

    fn sessions(&self) -> &SessionStore {
        &self.sessions
    }

    fn limiter(&self) -> &SignInLimiter {
        &self.limiter
    }

    /// The agency session of the request, if it has a live one.
    fn session(&self, headers: &HeaderMap) -> Option<(Session, AgencyUser)> {
        // A session ends as soon as the token it was opened with is revoked (the book refreshes).
        let session = self.sessions().agency_from_headers(headers, |h| self.api.token_hash_valid(h))?;
        let user = session.agency()?.clone();
        Some((session, user))
    }

    /// The signed-in agency user (session cookie or bearer token) and the session's CSRF token
    /// (empty for bearer access, which has no forms).
    fn who(&self, headers: &HeaderMap) -> Option<(AgencyUser, String)> {
        if let Some(token) = bearer(headers) {
            return self.api.agency_of_token(token).map(|u| (u, String::new()));
        }
        self.session(headers).map(|(s, u)| (u, s.csrf))
    }
}

/// The portal's page policy, plus `connect-src 'self'`: the pages run no script of their own
/// (`script-src` stays `'none'`), but a user's tooling (and the browser tests) may fetch the CSV
/// files from the page with its session.
const DASHBOARD_CSP: &str = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                             connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The dashboard routes.
pub fn routes(api: Arc<AgencyApi>, people: Option<Arc<People>>) -> Router {
    let state = Arc::new(Dashboards::new(api, people));
    Router::new()
        .route("/agency", get(|| async { redirect("/agency/") }))
        .route("/agency/", get(overview))
        .route("/agency/flows", get(flows))
        .route("/agency/refusals", get(refusals))
        .route("/agency/filings", get(filings))
        .route("/agency/facilities", get(facilities))
        .route("/agency/prepayment", get(prepayment))
        .route("/agency/persons", get(persons))
        .route("/agency/persons/{psn_no}", get(person))
        .route("/agency/login", get(login_form).post(login))
        .route("/agency/logout", post(logout))
        .route("/agency/{file}", get(csv_file))
        .with_state(state)
}

type Dash = State<Arc<Dashboards>>;

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
}

fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim())
}

/// The page language: `?lang=`, else the cookie, else Chinese.
fn lang_of(headers: &HeaderMap, uri: &Uri) -> Lang {
    let query = query_params(uri);
    Lang::choose(query.get("lang").map(String::as_str), cookie(headers, LANG_COOKIE))
}

fn redirect(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn html(status: StatusCode, body: String, headers: &HeaderMap, uri: &Uri) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(HTML_UTF8));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    // The portal's policy: this origin only, no script, never framed (and the old header too).
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DASHBOARD_CSP));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Remember an explicit language choice.
    if let Some(lang) = query_params(uri).get("lang").and_then(|l| Lang::parse(l)) {
        let set = format!("{LANG_COOKIE}={}; Path=/; SameSite=Lax; Secure; Max-Age=31536000", lang.code());
        if let Ok(v) = HeaderValue::from_str(&set) {
            h.append(header::SET_COOKIE, v);
        }
    }
    let _ = headers;
    r
}

/// `path?query` of the request, for the language switch.
fn here(uri: &Uri) -> String {
    uri.path_and_query().map_or_else(|| uri.path().to_string(), |pq| pq.as_str().to_string())
}

/// The period's query (`from=…&to=…`) to keep on links, from the parsed dashboard.
fn period_query(d: &Dashboard) -> String {
    format!("from={}&to={}", d.period.from, d.period.to)
}

fn dashboard_query(uri: &Uri) -> DashboardQuery {
    let mut q = query_params(uri);
    DashboardQuery { from: q.remove("from"), to: q.remove("to"), days: q.remove("days") }
}

/// Not signed in: pages go to the sign-in form (coming back here after), files get 401.
fn sign_in_first(uri: &Uri) -> Response {
    redirect(&format!("/agency/login?next={}", url_encode(&here(uri))))
}

fn error_page(e: &AgencyError, lang: Lang, headers: &HeaderMap, uri: &Uri) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut body = format!(
        "<h1>{}</h1>\n<p class=\"notice error\" role=\"alert\">{}</p>\n",
        lang.pick("无法显示", "Cannot show this page"),
        escape(&e.message())
    );
    for p in e.problems() {
        body.push_str(&format!(
            "<p class=\"notice error\">{}：{}</p>\n",
            escape(&p.field),
            escape(&p.message)
        ));
    }
    body.push_str(&format!(
        "<p><a href=\"/agency/\">{}</a></p>",
        lang.pick("返回概览", "Back to the overview")
    ));
    let page = layout::page(&layout::Page {
        lang,
        title: lang.pick("经办看板", "Agency dashboards"),
        here: &here(uri),
        nav: &[],
        account_html: "",
        body: &body,
    });
    html(status, page, headers, uri)
}

/// Renders one dashboard tab.
async fn tab_page(dash: &Dashboards, tab: Tab, headers: &HeaderMap, uri: &Uri) -> Response {
    let started = Instant::now();
    let lang = lang_of(headers, uri);
    let Some((who, csrf)) = dash.who(headers) else { return sign_in_first(uri) };
    let d = match dash.api.hub().agency_dashboard(&who, &dashboard_query(uri)).await {
        Ok(d) => d,
        Err(e) => return error_page(&e, lang, headers, uri),
    };
    let query = period_query(&d);
    let (prepayments, all) = all_panels(dash, &who, &d, lang, &query).await;
    let mut body = header(&d, &who, tab, lang);
    if tab == Tab::Overview {
        body.push_str(&view::figures_html(&overview_figures(&d, lang)));
        body.push_str(&prepayment_warnings(&prepayments, lang));
    }
    for (t, panel) in &all {
        if *t == tab {
            body.push_str(&view::panel_html(panel, lang));
        }
    }
    let response = page(lang, tab, &who, &csrf, &query, &body, headers, uri);
    dash.api.http_metrics().record_route(route_label(tab), 200, started.elapsed());
    response
}

fn route_label(tab: Tab) -> &'static str {
    match tab {
        Tab::Overview => "agency_page_overview",
        Tab::Flows => "agency_page_flows",
        Tab::Refusals => "agency_page_refusals",
        Tab::Filings => "agency_page_filings",
        Tab::Facilities => "agency_page_facilities",
        Tab::Persons => "agency_page_persons",
        Tab::Prepayment => "agency_page_prepayment",
    }
}

/// The tabs shown in the navigation.
const TABS: [Tab; 7] =
    [Tab::Overview, Tab::Flows, Tab::Refusals, Tab::Filings, Tab::Facilities, Tab::Prepayment, Tab::Persons];

/// The period's panels plus the prepayment panel (funds, read separately: prepayment is kept
/// per province pair, not per period); the prepayment views too, for the overview's warnings.
async fn all_panels(
    dash: &Dashboards,
    who: &AgencyUser,
    d: &Dashboard,
    lang: Lang,
    query: &str,
) -> (Vec<PrepaymentView>, Vec<(Tab, Panel)>) {
    let mut all = panels(d, lang, query);
    let prepayments = dash.api.hub().agency_prepayments(who).await;
    let csv = format!("/agency/prepayment.csv?{query}");
    all.push((Tab::Prepayment, prepayment_panel(prepayments.as_deref(), lang, csv)));
    (prepayments.unwrap_or_default(), all)
}

fn warning_name(level: &str, lang: Lang) -> &'static str {
    match level {
        "red" => lang.pick("红色预警", "Red warning"),
        "yellow" => lang.pick("黄色预警", "Yellow warning"),
        _ => lang.pick("正常", "Normal"),
    }
}

/// Red, amber and blue: the warning levels' colours on the utilisation chart.
const WARNING_PALETTE: [&str; 3] = ["#0b5394", "#b45309", "#b91c1c"];

fn prepayment_panel(views: Result<&[PrepaymentView], &AgencyError>, lang: Lang, csv: String) -> Panel {
    let heading = lang.pick("预付金使用率（按省际结算对）", "Prepayment utilisation by province pair");
    let mut scope = lang
        .pick(
            "使用率 =（已清算 + 未清算的基金支付）÷ 预付金；≥ 70% 黄色预警，≥ 90% 红色预警（预警不影响结算）。本省作为参保地或就医地的结算对。",
            "Utilisation = (cleared + uncleared fund shares charged) ÷ prepayment; yellow at ≥ 70 %, red at ≥ 90 % (warnings never block a settlement). Pairs where this province is the insured or the treatment side.",
        )
        .to_string();
    let views = match views {
        Ok(v) => v,
        Err(e) => {
            scope = format!("{scope} {}", e.message());
            &[]
        }
    };
    let level = |v: &PrepaymentView| match v.warning {
        "red" => 2,
        "yellow" => 1,
        _ => 0,
    };
    let categories = views.iter().map(|v| v.pair.clone()).collect();
    let series = (0..3)
        .map(|k| Series {
            name: warning_name(["none", "yellow", "red"][k], lang).into(),
            values: views
                .iter()
                .map(|v| if level(v) == k { v.ratio_bp.unwrap_or(0).max(0) as u64 } else { 0 })
                .collect(),
        })
        .collect();
    let chart = charts::bar_chart(&BarChart {
        palette: &WARNING_PALETTE,
        id: "chart-prepayment",
        title: heading,
        lang,
        unit: Unit::Bp,
        categories,
        series,
    });
    let amount = |text: &str| Fen::parse_yuan(text).map_or_else(|_| Cell::text(text), Cell::fen);
    let rows = views
        .iter()
        .map(|v| {
            vec![
                Cell::text(&v.pair),
                Cell::text(&v.insured),
                Cell::text(&v.treatment),
                Cell::text(if v.side == "insured" {
                    lang.pick("参保地", "Insured")
                } else {
                    lang.pick("就医地", "Treatment")
                }),
                amount(&v.funded),
                amount(&v.charged),
                Cell::percent_bp(v.ratio_bp.and_then(|b| u32::try_from(b).ok())),
                Cell::text(warning_name(v.warning, lang)),
                Cell::text(if v.top_up_needed {
                    lang.pick("需申请紧急追加", "Top-up needed")
                } else {
                    "–"
                }),
            ]
        })
        .collect();
    let columns = vec![
        lang.pick("结算对", "Pair").to_string(),
        lang.pick("参保省份", "Insured province").into(),
        lang.pick("就医省份", "Treatment province").into(),
        lang.pick("本省角色", "This province is").into(),
        lang.pick("预付金（元）", "Prepaid (yuan)").into(),
        lang.pick("已占用（元）", "Charged (yuan)").into(),
        lang.pick("使用率", "Utilisation").into(),
        lang.pick("预警", "Warning").into(),
        lang.pick("紧急追加", "Top-up").into(),
    ];
    let table = Table { id: "prepayment".into(), caption: heading.into(), columns, rows };
    Panel { heading: heading.into(), scope, chart_html: chart, table, csv_href: csv }
}

/// One notice on the overview per warning level, listing its pairs and their utilisation.
fn prepayment_warnings(views: &[PrepaymentView], lang: Lang) -> String {
    let mut out = String::new();
    for (level, class) in [("red", "notice error"), ("yellow", "notice warn")] {
        let pairs: Vec<String> = views
            .iter()
            .filter(|v| v.warning == level)
            .map(|v| match v.ratio_bp {
                Some(_) => format!("{} {}", v.pair, v.utilisation),
                None => format!("{} {}", v.pair, lang.pick("（尚未拨付预付金）", "(no prepayment made)")),
            })
            .collect();
        if pairs.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "<p class=\"{class}\" role=\"status\">{}（{} {}）：{}。<a href=\"/agency/prepayment\">{}</a></p>",
            warning_name(level, lang),
            lang.pick("预付金使用率", "prepayment utilisation"),
            if level == "red" { "≥ 90%" } else { "≥ 70%" },
            escape(&pairs.join(lang.pick("；", "; "))),
            lang.pick("查看预付金", "See prepayment"),
        );
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn page(
    lang: Lang,
    tab: Tab,
    who: &AgencyUser,
    csrf: &str,
    query: &str,
    body: &str,
    headers: &HeaderMap,
    uri: &Uri,
) -> Response {
    let nav = view::nav(lang, tab, &TABS, query);
    let account = if csrf.is_empty() { String::new() } else { view::account_html(lang, &who.name, csrf) };
    let title = format!("{} · {}", tab.label(lang), lang.pick("经办看板", "Agency dashboards"));
    let page = layout::page(&layout::Page {
        lang,
        title: &title,
        here: &here(uri),
        nav: &nav,
        account_html: &account,
        body,
    });
    html(StatusCode::OK, page, headers, uri)
}

fn header(d: &Dashboard, who: &AgencyUser, tab: Tab, lang: Lang) -> String {
    let mut notes = Vec::new();
    if d.truncated {
        notes.push(
            lang.pick(
                "本期结算笔数超过单次统计上限，图表只含前一部分；请缩短统计期间。",
                "The period holds more settlements than one view counts; shorten the period for exact figures.",
            )
            .to_string(),
        );
    }
    let region = format!("{}（{}）", d.region_name, d.admdvs);
    let (from, to) = (d.period.from.to_string(), d.period.to.to_string());
    let heading = format!("{} · {}", tab.label(lang), d.region_name);
    view::header_html(&view::Header {
        lang,
        heading: &heading,
        region: &region,
        user: &who.name,
        action: if tab == Tab::Prepayment { "" } else { tab.path() },
        from: &from,
        to: &to,
        notes: &notes,
    })
}

fn overview_figures(d: &Dashboard, lang: Lang) -> Vec<Figure> {
    let rate = Cell::percent_bp(d.rate.rate_bp()).text;
    vec![
        Figure {
            value: Unit::Count.format(d.total.count),
            caption: lang
                .pick("结算笔数（本区参保或本区机构）", "Settlements (insured here or treated here)")
                .into(),
        },
        Figure {
            value: Unit::Count.format(d.cross_region.count),
            caption: lang.pick("其中跨统筹区", "of which cross-region").into(),
        },
        Figure {
            value: Cell::fen(d.total.fund).text,
            caption: lang.pick("基金支付（元）", "Paid by the funds (yuan)").into(),
        },
        Figure {
            value: rate,
            caption: lang
                .pick("直接结算率（拒绝按记录起计）", "Direct-settlement rate (refusals as recorded)")
                .into(),
        },
    ]
}

fn refusals_since(d: &Dashboard, lang: Lang) -> String {
    let since = d.refusals_since.map_or_else(String::new, |t| t.to_string());
    match lang {
        Lang::Zh => format!(
            "被拒的结算请求不改变任何业务数据，只留下统计记录；本表统计自 {since} 起记录的拒绝；参保地或就医地为本统筹区。"
        ),
        Lang::En => format!(
            "A refused settlement call changes no business data and leaves only this statistic; counted from {since}, when recording began; insured or treated in this region."
        ),
    }
}

/// Every panel of every tab, each with its table (the CSV has the table's id).
pub fn panels(d: &Dashboard, lang: Lang, query: &str) -> Vec<(Tab, Panel)> {
    let csv = |id: &str| format!("/agency/{id}.csv?{query}");
    let both = lang.pick(
        "统计口径：本统筹区参保人的结算（不论在何处就医）及本统筹区定点机构的结算（不论参保地），不含已撤销的结算。",
        "Scope: settlements of persons insured here (wherever treated) and at facilities here (whoever is insured); cancelled settlements excluded.",
    );
    let since = refusals_since(d, lang);
    vec![
        (Tab::Overview, daily_panel(d, lang, both, csv("daily"))),
        (Tab::Overview, summary_panel(d, lang, both, csv("summary"))),
        (Tab::Flows, province_panel(d, lang, both, csv("province-flows"))),
        (Tab::Flows, region_panel(d, lang, both, csv("region-flows"))),
        (Tab::Refusals, rate_panel(d, lang, &since, csv("rate"))),
        (Tab::Refusals, reasons_panel(d, lang, &since, csv("refusals"))),
        (Tab::Refusals, refusals_daily_panel(d, lang, &since, csv("refusals-daily"))),
        (Tab::Filings, filings_panel(d, lang, csv("filings"))),
        (Tab::Facilities, facilities_panel(d, lang, csv("facilities"))),
    ]
}

fn care_name(i: usize, lang: Lang) -> &'static str {
    match CARE_TYPES[i] {
        yidi_domain::BenefitKind::Outpatient => lang.pick("普通门诊", "General outpatient"),
        yidi_domain::BenefitKind::Chronic => lang.pick("门诊慢特病", "Chronic outpatient"),
        yidi_domain::BenefitKind::Inpatient => lang.pick("住院", "Inpatient"),
    }
}

fn daily_panel(d: &Dashboard, lang: Lang, scope: &str, csv: String) -> Panel {
    let heading = lang.pick("每日结算笔数（按医疗类别）", "Daily settlements by care type");
    let categories: Vec<String> =
        d.daily.iter().map(|r| format!("{:02}-{:02}", r.date.month(), r.date.day())).collect();
    let series = (0..CARE_TYPES.len())
        .map(|i| Series {
            name: care_name(i, lang).into(),
            values: d.daily.iter().map(|r| r.by_care[i].count).collect(),
        })
        .collect();
    let chart = charts::bar_chart(&BarChart {
        palette: &charts::PALETTE,
        id: "chart-daily",
        title: heading,
        lang,
        unit: Unit::Count,
        categories,
        series,
    });
    let mut columns = vec![lang.pick("日期", "Date").to_string()];
    columns.extend((0..CARE_TYPES.len()).map(|i| care_name(i, lang).to_string()));
    columns.push(lang.pick("合计笔数", "Total").into());
    columns.push(lang.pick("医疗费总额（元）", "Bills (yuan)").into());
    columns.push(lang.pick("基金支付（元）", "Funds paid (yuan)").into());
    let rows = d
        .daily
        .iter()
        .map(|r| {
            let mut row = vec![Cell::text(r.date.to_string())];
            row.extend(r.by_care.iter().map(|v| Cell::count(v.count)));
            row.push(Cell::count(r.by_care.iter().map(|v| v.count).sum()));
            row.push(Cell::fen(r.by_care.iter().map(|v| v.medfee).sum()));
            row.push(Cell::fen(r.by_care.iter().map(|v| v.fund).sum()));
            row
        })
        .collect();
    let table = Table { id: "daily".into(), caption: heading.into(), columns, rows };
    Panel { heading: heading.into(), scope: scope.into(), chart_html: chart, table, csv_href: csv }
}

fn summary_panel(d: &Dashboard, lang: Lang, scope: &str, csv: String) -> Panel {
    let heading = lang.pick("本期合计", "Period totals");
    let columns = vec![
        lang.pick("口径", "Scope").to_string(),
        lang.pick("笔数", "Settlements").into(),
        lang.pick("医疗费总额（元）", "Bills (yuan)").into(),
        lang.pick("基金支付（元）", "Funds paid (yuan)").into(),
    ];
    let row = |name: &str, v: &yidi_hub::dashboard::Volume| {
        vec![Cell::text(name), Cell::count(v.count), Cell::fen(v.medfee), Cell::fen(v.fund)]
    };
    let rows = vec![
        row(lang.pick("全部（参保地或就医地为本区）", "All (insured or treated here)"), &d.total),
        row(lang.pick("本区参保人（参保地视角）", "Insured here (insured side)"), &d.insured_side),
        row(lang.pick("本区机构接诊（就医地视角）", "Treated here (treatment side)"), &d.treatment_side),
        row(lang.pick("其中跨统筹区", "Of which cross-region"), &d.cross_region),
    ];
    let table = Table { id: "summary".into(), caption: heading.into(), columns, rows };
    Panel { heading: heading.into(), scope: scope.into(), chart_html: String::new(), table, csv_href: csv }
}

fn flow_columns(lang: Lang, level: &str) -> Vec<String> {
    vec![
        format!("{}{level}", lang.pick("参保地", "Insured ")),
        lang.pick("参保地代码", "Insured code").into(),
        format!("{}{level}", lang.pick("就医地", "Treatment ")),
        lang.pick("就医地代码", "Treatment code").into(),
        lang.pick("笔数", "Settlements").into(),
        lang.pick("医疗费总额（元）", "Bills (yuan)").into(),
        lang.pick("基金支付（元）", "Funds paid (yuan)").into(),
    ]
}

fn flow_rows(flows: &[yidi_hub::dashboard::Flow]) -> Vec<Vec<Cell>> {
    flows
        .iter()
        .map(|f| {
            vec![
                Cell::text(&f.from_name),
                Cell::text(&f.from),
                Cell::text(&f.to_name),
                Cell::text(&f.to),
                Cell::count(f.volume.count),
                Cell::fen(f.volume.medfee),
                Cell::fen(f.volume.fund),
            ]
        })
        .collect()
}

fn province_panel(d: &Dashboard, lang: Lang, scope: &str, csv: String) -> Panel {
    let heading = lang.pick(
        "省际流向（基金支付金额，带宽与金额成正比）",
        "Flows between provinces (funds paid; band width ∝ amount)",
    );
    // Care inside one province is in the table but not between provinces, so not drawn.
    let edges = d
        .province_flows
        .iter()
        .filter(|f| f.from != f.to)
        .map(|f| FlowEdge {
            from: f.from_name.clone(),
            to: f.to_name.clone(),
            value: f.volume.fund.get().max(0) as u64,
        })
        .collect();
    let chart = charts::flow_chart(&FlowChart {
        id: "chart-provinces",
        title: heading,
        lang,
        unit: Unit::Fen,
        from_label: lang.pick("参保省份", "Insured province"),
        to_label: lang.pick("就医省份", "Treatment province"),
        edges,
    });
    let table = Table {
        id: "province-flows".into(),
        caption: lang.pick("省际流向明细", "Flows between provinces").into(),
        columns: flow_columns(lang, lang.pick("省份", "province")),
        rows: flow_rows(&d.province_flows),
    };
    Panel { heading: heading.into(), scope: scope.into(), chart_html: chart, table, csv_href: csv }
}

fn region_panel(d: &Dashboard, lang: Lang, scope: &str, csv: String) -> Panel {
    let heading = lang.pick(
        "统筹区间流向矩阵（参保地 → 就医地：笔数与基金支付）",
        "Origin–destination matrix between regions (insured → treatment: settlements and funds paid)",
    );
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut cols: Vec<(String, String)> = Vec::new();
    for f in &d.region_flows {
        if !rows.iter().any(|(c, _)| *c == f.from) {
            rows.push((f.from.clone(), f.from_name.clone()));
        }
        if !cols.iter().any(|(c, _)| *c == f.to) {
            cols.push((f.to.clone(), f.to_name.clone()));
        }
    }
    rows.sort();
    cols.sort();
    let matrix = |value: &dyn Fn(&yidi_hub::dashboard::Flow) -> u64| -> Vec<Vec<u64>> {
        rows.iter()
            .map(|(r, _)| {
                cols.iter()
                    .map(|(c, _)| d.region_flows.iter().find(|f| f.from == *r && f.to == *c).map_or(0, value))
                    .collect()
            })
            .collect()
    };
    let heat = |id: &'static str, title: &str, unit: Unit, cells: Vec<Vec<u64>>| {
        charts::heat_map(&HeatMap {
            id,
            title,
            lang,
            unit,
            corner: lang.pick("参保地 ＼ 就医地", "Insured \\ treatment"),
            rows: rows.iter().map(|(_, n)| n.clone()).collect(),
            columns: cols.iter().map(|(_, n)| n.clone()).collect(),
            cells,
        })
    };
    let counts =
        heat("heat-regions", lang.pick("结算笔数", "Settlements"), Unit::Count, matrix(&|f| f.volume.count));
    let funds = heat(
        "heat-regions-fund",
        lang.pick("基金支付（元）", "Funds paid (yuan)"),
        Unit::Fen,
        matrix(&|f| f.volume.fund.get().max(0) as u64),
    );
    let table = Table {
        id: "region-flows".into(),
        caption: lang.pick("统筹区间流向明细", "Flows between regions").into(),
        columns: flow_columns(lang, lang.pick("统筹区", "region")),
        rows: flow_rows(&d.region_flows),
    };
    Panel { heading: heading.into(), scope: scope.into(), chart_html: counts + &funds, table, csv_href: csv }
}

fn rate_panel(d: &Dashboard, lang: Lang, since: &str, csv: String) -> Panel {
    let heading = lang.pick("直接结算率", "Direct-settlement rate");
    let columns = vec![
        lang.pick("已直接结算的就诊", "Visits settled directly").to_string(),
        lang.pick("被拒且未结算的就诊", "Visits refused and not settled").into(),
        lang.pick("直接结算率", "Rate").into(),
    ];
    let rows = vec![vec![
        Cell::count(d.rate.settled_visits),
        Cell::count(d.rate.refused_visits),
        Cell::percent_bp(d.rate.rate_bp()),
    ]];
    let table = Table { id: "rate".into(), caption: heading.into(), columns, rows };
    let scope = format!(
        "{} {}",
        lang.pick(
            "直接结算率 = 已结算就诊 ÷（已结算就诊 + 被拒后仍未结算的就诊）。",
            "Rate = settled visits ÷ (settled visits + visits refused and never settled)."
        ),
        since
    );
    Panel { heading: heading.into(), scope, chart_html: String::new(), table, csv_href: csv }
}

fn reasons_panel(d: &Dashboard, lang: Lang, since: &str, csv: String) -> Panel {
    let heading = lang.pick(
        "拒绝原因（预结算和结算被拒次数）",
        "Refusals by reason (refused pre-settlements and settlements)",
    );
    let chart = charts::bar_chart(&BarChart {
        palette: &charts::PALETTE,
        id: "chart-refusals",
        title: heading,
        lang,
        unit: Unit::Count,
        categories: d.refusals.iter().map(|r| r.err_code.to_string()).collect(),
        series: vec![Series {
            name: lang.pick("次数", "Refusals").into(),
            values: d.refusals.iter().map(|r| r.count).collect(),
        }],
    });
    let columns = vec![
        "err_code".to_string(),
        lang.pick("含义", "Meaning").into(),
        lang.pick("次数", "Refusals").into(),
    ];
    let rows = d
        .refusals
        .iter()
        .map(|r| {
            vec![
                Cell::text(r.err_code),
                Cell::text(view::err_code_meaning(r.err_code, lang)),
                Cell::count(r.count),
            ]
        })
        .collect();
    let table = Table { id: "refusals".into(), caption: heading.into(), columns, rows };
    Panel { heading: heading.into(), scope: since.into(), chart_html: chart, table, csv_href: csv }
}

fn refusals_daily_panel(d: &Dashboard, lang: Lang, since: &str, csv: String) -> Panel {
    let heading = lang.pick("每日被拒次数", "Refusals per day");
    let chart = charts::bar_chart(&BarChart {
        palette: &charts::PALETTE,
        id: "chart-refusals-daily",
        title: heading,
        lang,
        unit: Unit::Count,
        categories: d
            .refusals_daily
            .iter()
            .map(|(day, _)| format!("{:02}-{:02}", day.month(), day.day()))
            .collect(),
        series: vec![Series {
            name: lang.pick("次数", "Refusals").into(),
            values: d.refusals_daily.iter().map(|(_, n)| *n).collect(),
        }],
    });
    let columns = vec![lang.pick("日期", "Date").to_string(), lang.pick("次数", "Refusals").into()];
    let rows =
        d.refusals_daily.iter().map(|(day, n)| vec![Cell::text(day.to_string()), Cell::count(*n)]).collect();
    let table = Table { id: "refusals-daily".into(), caption: heading.into(), columns, rows };
    Panel { heading: heading.into(), scope: since.into(), chart_html: chart, table, csv_href: csv }
}

fn category_name(c: FilingCategory, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => c.name_zh(),
        Lang::En => match c {
            FilingCategory::RetiredResettled => "Retired, resettled",
            FilingCategory::LongTermResident => "Long-term resident",
            FilingCategory::PostedWorker => "Posted worker",
            FilingCategory::Referral => "Referral",
            FilingCategory::Emergency => "Emergency",
            FilingCategory::OtherTemporary => "Other temporary",
        },
    }
}

fn filings_panel(d: &Dashboard, lang: Lang, csv: String) -> Panel {
    let heading = lang.pick("备案（按备案月份和类别）", "Filings by month and category");
    let month = |ym: u32| format!("{}-{:02}", ym / 100, ym % 100);
    let series = FilingCategory::ALL
        .iter()
        .enumerate()
        .map(|(i, c)| Series {
            name: category_name(*c, lang).into(),
            values: d.filings.iter().map(|m| m.by_category[i]).collect(),
        })
        .collect();
    let chart = charts::bar_chart(&BarChart {
        palette: &charts::PALETTE,
        id: "chart-filings",
        title: heading,
        lang,
        unit: Unit::Count,
        categories: d.filings.iter().map(|m| month(m.year_month)).collect(),
        series,
    });
    let mut columns = vec![lang.pick("月份", "Month").to_string()];
    columns.extend(FilingCategory::ALL.iter().map(|c| category_name(*c, lang).to_string()));
    columns.push(lang.pick("合计", "Total").into());
    let rows = d
        .filings
        .iter()
        .map(|m| {
            let mut row = vec![Cell::text(month(m.year_month))];
            row.extend(m.by_category.iter().map(|n| Cell::count(*n)));
            row.push(Cell::count(m.by_category.iter().sum()));
            row
        })
        .collect();
    let table = Table { id: "filings".into(), caption: heading.into(), columns, rows };
    let scope = lang.pick(
        "统计口径：本统筹区参保人的备案（数据包中的备案及经办机构办理的备案，含已撤销），按备案时间所在月份；数据包中无备案时间的按开始日期。",
        "Scope: filings of persons insured here (from the pack and made by agencies, cancelled ones included), by month of filing (start date when the pack gives no filing time).",
    );
    Panel { heading: heading.into(), scope: scope.into(), chart_html: chart, table, csv_href: csv }
}

fn facilities_panel(d: &Dashboard, lang: Lang, csv: String) -> Panel {
    let heading = lang.pick("跨统筹区结算最多的机构", "Top facilities by cross-region settlements");
    let chart = charts::bar_chart(&BarChart {
        palette: &charts::PALETTE,
        id: "chart-facilities",
        title: heading,
        lang,
        unit: Unit::Count,
        categories: d.top_facilities.iter().enumerate().map(|(i, _)| format!("#{}", i + 1)).collect(),
        series: vec![Series {
            name: lang.pick("跨区结算笔数", "Cross-region settlements").into(),
            values: d.top_facilities.iter().map(|f| f.volume.count).collect(),
        }],
    });
    let columns = vec![
        lang.pick("排名", "Rank").to_string(),
        lang.pick("机构编码", "Facility code").into(),
        lang.pick("机构名称", "Facility").into(),
        lang.pick("所在统筹区", "Region").into(),
        lang.pick("笔数", "Settlements").into(),
        lang.pick("医疗费总额（元）", "Bills (yuan)").into(),
        lang.pick("基金支付（元）", "Funds paid (yuan)").into(),
    ];
    let rows = d
        .top_facilities
        .iter()
        .enumerate()
        .map(|(i, f)| {
            vec![
                Cell::text(format!("#{}", i + 1)),
                Cell::text(&f.fixmedins_code),
                Cell::text(&f.name),
                Cell::text(format!("{}（{}）", f.region_name, f.admdvs)),
                Cell::count(f.volume.count),
                Cell::fen(f.volume.medfee),
                Cell::fen(f.volume.fund),
            ]
        })
        .collect();
    let table = Table { id: "facilities".into(), caption: heading.into(), columns, rows };
    let scope = lang.pick(
        "统计口径：参保地与就医地不同的结算；本区参保人去外地就医的机构，以及接诊外地参保人的本区机构。",
        "Scope: settlements where the insured and treatment regions differ: facilities elsewhere treating persons insured here, and facilities here treating persons from elsewhere.",
    );
    Panel { heading: heading.into(), scope: scope.into(), chart_html: chart, table, csv_href: csv }
}

async fn overview(State(d): Dash, headers: HeaderMap, uri: Uri) -> Response {
    tab_page(&d, Tab::Overview, &headers, &uri).await
}
async fn flows(State(d): Dash, headers: HeaderMap, uri: Uri) -> Response {
    tab_page(&d, Tab::Flows, &headers, &uri).await
}
async fn refusals(State(d): Dash, headers: HeaderMap, uri: Uri) -> Response {
    tab_page(&d, Tab::Refusals, &headers, &uri).await
}
async fn filings(State(d): Dash, headers: HeaderMap, uri: Uri) -> Response {
    tab_page(&d, Tab::Filings, &headers, &uri).await
}
async fn facilities(State(d): Dash, headers: HeaderMap, uri: Uri) -> Response {
    tab_page(&d, Tab::Facilities, &headers, &uri).await
}
async fn prepayment(State(d): Dash, headers: HeaderMap, uri: Uri) -> Response {
    tab_page(&d, Tab::Prepayment, &headers, &uri).await
}

/// `/agency/<table>.csv`: the table of that id, for the same period as the page.
async fn csv_file(State(dash): Dash, Path(file): Path<String>, headers: HeaderMap, uri: Uri) -> Response {
    let lang = lang_of(&headers, &uri);
    let Some(id) = file.strip_suffix(".csv") else {
        return error_page(&not_found(), lang, &headers, &uri);
    };
    let Some((who, _)) = dash.who(&headers) else {
        let mut r = (
            StatusCode::UNAUTHORIZED,
            "请先登录经办看板（/agency/login）或提供 Authorization: Bearer 令牌\n",
        )
            .into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        return r;
    };
    let d = match dash.api.hub().agency_dashboard(&who, &dashboard_query(&uri)).await {
        Ok(d) => d,
        Err(e) => return error_page(&e, lang, &headers, &uri),
    };
    let query = period_query(&d);
    let (_, all) = all_panels(&dash, &who, &d, lang, &query).await;
    let Some((_, panel)) = all.into_iter().find(|(_, p)| p.table.id == id) else {
        return error_page(&not_found(), lang, &headers, &uri);
    };
    let name = format!("{}-{}-{}_{}.csv", panel.table.id, d.admdvs, d.period.from, d.period.to);
    let mut r = (StatusCode::OK, yidi_portal::csv::to_csv(&panel.table)).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(yidi_portal::csv::CONTENT_TYPE));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

fn not_found() -> AgencyError {
    AgencyError::NotFound {
        code: "not_found", message: "没有这个页面或表格，请从导航进入".into()
    }
}

/// The region's persons, masked, paged; each links to the person's page.
async fn persons(State(dash): Dash, headers: HeaderMap, uri: Uri) -> Response {
    let lang = lang_of(&headers, &uri);
    let Some((who, csrf)) = dash.who(&headers) else { return sign_in_first(&uri) };
    let mut q = query_params(&uri);
    let query = PersonQuery {
        name: q.remove("name"),
        psn_no: q.remove("psn_no"),
        page: q.remove("page"),
        page_size: None,
    };
    let list = match dash.api.hub().agency_persons(&who, &query).await {
        Ok(l) => l,
        Err(e) => return error_page(&e, lang, &headers, &uri),
    };
    let heading = lang.pick("本统筹区参保人", "Persons insured in this region");
    let mut body = format!(
        "<h1>{}</h1>\n<p class=\"muted\">{}</p>\n<form class=\"form-grid\" method=\"get\" action=\"/agency/persons\">\
         <div class=\"field\"><label for=\"psn_no\">{}</label><input id=\"psn_no\" name=\"psn_no\" value=\"{}\"></div>\
         <div class=\"actions\"><button class=\"button\" type=\"submit\">{}</button></div></form>\n",
        heading,
        lang.pick("姓名和身份证号已脱敏显示。", "Names and identity numbers are masked."),
        lang.pick("人员编号（开头）", "Person number (prefix)"),
        escape(query.psn_no.as_deref().unwrap_or("")),
        lang.pick("查询", "Search"),
    );
    let table = Table {
        id: "persons".into(),
        caption: format!("{heading}（{} {}）", lang.pick("共", "total"), list.total),
        columns: vec![
            lang.pick("人员编号", "Person no.").into(),
            lang.pick("姓名", "Name").into(),
            lang.pick("身份证号", "Identity no.").into(),
            lang.pick("险种", "Insurance").into(),
            lang.pick("备案数", "Filings").into(),
        ],
        rows: list
            .items
            .iter()
            .map(|p| {
                vec![
                    Cell::text(&p.psn_no),
                    Cell::text(&p.psn_name),
                    Cell::text(&p.certno),
                    Cell::text(&p.insutype),
                    Cell::count(p.filings as u64),
                ]
            })
            .collect(),
    };
    let mut rows_html = view::table_html(&table, lang);
    for p in &list.items {
        let psn = escape(&p.psn_no);
        rows_html = rows_html.replacen(
            &format!("<th scope=\"row\">{psn}</th>"),
            &format!(
                "<th scope=\"row\"><a href=\"/agency/persons/{}\">{psn}</a></th>",
                url_encode(&p.psn_no)
            ),
            1,
        );
    }
    body.push_str(&rows_html);
    let pages = list.total.div_ceil(u64::from(list.page_size.max(1)));
    if pages > 1 {
        body.push_str("<nav class=\"pager\"><ul>");
        let base = query.psn_no.as_deref().map_or_else(String::new, |p| format!("psn_no={}&", url_encode(p)));
        if list.page > 1 {
            body.push_str(&format!(
                "<li><a href=\"/agency/persons?{base}page={}\">{}</a></li>",
                list.page - 1,
                lang.pick("上一页", "Previous")
            ));
        }
        body.push_str(&format!("<li>{} / {pages}</li>", list.page));
        if u64::from(list.page) < pages {
            body.push_str(&format!(
                "<li><a href=\"/agency/persons?{base}page={}\">{}</a></li>",
                list.page + 1,
                lang.pick("下一页", "Next")
            ));
        }
        body.push_str("</ul></nav>");
    }
    page(lang, Tab::Persons, &who, &csrf, "", &body, &headers, &uri)
}

/// One person of the region: masked identity, filings. Another region's person is 404.
async fn person(State(dash): Dash, Path(psn_no): Path<String>, headers: HeaderMap, uri: Uri) -> Response {
    let lang = lang_of(&headers, &uri);
    let Some((who, csrf)) = dash.who(&headers) else { return sign_in_first(&uri) };
    let p = match dash.api.hub().agency_person(&who, &psn_no).await {
        Ok(p) => p,
        Err(e) => return error_page(&e, lang, &headers, &uri),
    };
    let certno = CertNo::parse(&p.certno).map_or_else(|_| "******".to_string(), |c| c.masked());
    let mut body = format!(
        "<h1>{} {}</h1>\n<dl class=\"card\"><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl>\n",
        lang.pick("参保人", "Person"),
        escape(&p.psn_no),
        lang.pick("姓名", "Name"),
        escape(&mask_name(&p.psn_name)),
        lang.pick("身份证号", "Identity no."),
        escape(&certno),
        lang.pick("参保地", "Insured region"),
        escape(&p.insuplc_admdvs),
        lang.pick("个人账户余额（元）", "Account balance (yuan)"),
        escape(&p.state.acct_balance),
    );
    let table = Table {
        id: "person-filings".into(),
        caption: lang.pick("备案", "Filings").into(),
        columns: vec![
            lang.pick("备案编号", "Filing").into(),
            lang.pick("类别", "Category").into(),
            lang.pick("就医地", "Area").into(),
            lang.pick("开始", "From").into(),
            lang.pick("结束", "Until").into(),
            lang.pick("撤销时间", "Cancelled").into(),
        ],
        rows: p
            .filings
            .iter()
            .map(|f| {
                vec![
                    Cell::text(&f.filing_id),
                    Cell::text(&f.category_name),
                    Cell::text(&f.mdtrtarea_admvs),
                    Cell::text(&f.begndate),
                    Cell::text(f.enddate.as_deref().unwrap_or("–")),
                    Cell::text(f.cancelled_at.as_deref().unwrap_or("–")),
                ]
            })
            .collect(),
    };
    body.push_str(&view::table_html(&table, lang));
    page(lang, Tab::Persons, &who, &csrf, "", &body, &headers, &uri)
}

/// Only a path inside the dashboards may be the target after sign-in (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/agency")
                && !n.starts_with("/agency/login")
                && !n.contains("//")
                && !n.contains('\\') =>
        {
            n.to_string()
        }
        _ => "/agency/".to_string(),
    }
}

async fn login_form(State(dash): Dash, headers: HeaderMap, uri: Uri) -> Response {
    let lang = lang_of(&headers, &uri);
    if dash.who(&headers).is_some() {
        return redirect(&safe_next(query_params(&uri).get("next").map(String::as_str)));
    }
    login_page(lang, None, StatusCode::OK, query_params(&uri).get("next").map(String::as_str), &headers, &uri)
}

fn login_page(
    lang: Lang,
    error: Option<&str>,
    status: StatusCode,
    next: Option<&str>,
    headers: &HeaderMap,
    uri: &Uri,
) -> Response {
    let csrf = crate::crypto::new_token().unwrap_or_default();
    let body = view::login_html(lang, error, &csrf, &safe_next(next));
    let page = layout::page(&layout::Page {
        lang,
        title: lang.pick("经办机构登录", "Agency sign-in"),
        here: &here(uri),
        nav: &[],
        account_html: "",
        body: &body,
    });
    let mut r = html(status, page, headers, uri);
    let set =
        format!("{LOGIN_CSRF_COOKIE}={csrf}; Path=/agency; HttpOnly; SameSite=Strict; Secure; Max-Age=3600");
    if let Ok(v) = HeaderValue::from_str(&set) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// Reads an `application/x-www-form-urlencoded` body of at most [`FORM_BYTES_MAX`] bytes.
async fn form(body: Body) -> Option<HashMap<String, String>> {
    let bytes = axum::body::to_bytes(body, FORM_BYTES_MAX).await.ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let uri: Uri = format!("/?{text}").parse().ok()?;
    Some(query_params(&uri).into_iter().collect())
}

async fn login(
    State(dash): Dash,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Response {
    let lang = lang_of(&headers, &uri);
    let Some(fields) = form(body).await else {
        let msg = lang.pick("表单无法读取，请重试", "The form could not be read; try again");
        return login_page(lang, Some(msg), StatusCode::BAD_REQUEST, None, &headers, &uri);
    };
    let next = fields.get("next").map(String::as_str);
    let csrf_ok = match (cookie(&headers, LOGIN_CSRF_COOKIE), fields.get("csrf")) {
        (Some(c), Some(f)) => {
            !c.is_empty() && c.len() == f.len() && bool::from(c.as_bytes().ct_eq(f.as_bytes()))
        }
        _ => false,
    };
    if !csrf_ok {
        let msg = lang.pick(
            "页面已过期或来源不明（CSRF 校验失败），请重新打开登录页后再试",
            "The form expired or came from elsewhere (CSRF check failed); reload the sign-in page",
        );
        return login_page(lang, Some(msg), StatusCode::FORBIDDEN, next, &headers, &uri);
    }
    let token = fields.get("token").map(String::as_str).unwrap_or("").trim();
    // The limiter keeps only a hash of the identity; the token stands for it here.
    let identity = format!("agency-token:{}", crate::crypto::sha256_hex(token.as_bytes()));
    // Reserved before the token is looked up: attempts in flight count like failures.
    let attempt = match dash.limiter().admit(&identity, client) {
        Ok(attempt) => attempt,
        Err(wait) => {
            let msg = match lang {
                Lang::Zh => format!("登录失败次数过多，请 {wait} 秒后再试"),
                Lang::En => format!("Too many failed sign-ins; try again in {wait} s"),
            };
            let mut r = login_page(lang, Some(&msg), StatusCode::TOO_MANY_REQUESTS, next, &headers, &uri);
            if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return r;
        }
    };
    let Some(user) = dash.api.agency_of_token(token) else {
        dash.limiter().failed(attempt);
        tracing::info!(route = "agency_login", status = 401, "agency sign-in refused");
        let msg = lang.pick(
            "令牌无效或已吊销，请核对后重试（令牌由 yidi agency add 签发）",
            "Invalid or revoked token; check it and try again (tokens are issued by yidi agency add)",
        );
        return login_page(lang, Some(msg), StatusCode::UNAUTHORIZED, next, &headers, &uri);
    };
    dash.limiter().succeeded(attempt);
    let Ok(session) = dash.sessions().create_agency(user.clone(), token) else {
        let msg = lang.pick("登录人数过多，请稍后再试", "Too many sessions; try again later");
        return login_page(lang, Some(msg), StatusCode::SERVICE_UNAVAILABLE, next, &headers, &uri);
    };
    tracing::info!(route = "agency_login", agency = %user.name, admdvs = %user.admdvs, "agency signed in");
    let mut r = redirect(&safe_next(next));
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&session::set_cookie(AGENCY_COOKIE, &session.id)) {
        h.append(header::SET_COOKIE, v);
    }
    h.append(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "yidi_agency_csrf=; Path=/agency; HttpOnly; SameSite=Strict; Secure; Max-Age=0",
        ),
    );
    r
}

async fn logout(State(dash): Dash, headers: HeaderMap, body: Body) -> Response {
    let Some(fields) = form(body).await else { return StatusCode::BAD_REQUEST.into_response() };
    if let Some((s, _)) = dash.session(&headers) {
        if session::check_csrf(&s, session::csrf_supplied(&headers, fields.get("csrf").map(String::as_str)))
            .is_err()
        {
            return (
                StatusCode::FORBIDDEN,
                "CSRF 校验失败，请刷新页面后再退出 / CSRF check failed; reload and try again",
            )
                .into_response();
        }
        dash.sessions().remove(&s.id);
    }
    let mut r = redirect("/agency/login");
    if let Ok(v) = HeaderValue::from_str(&session::clear_cookie(AGENCY_COOKIE)) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_dashboard_paths_are_redirect_targets() {
        assert_eq!(safe_next(Some("/agency/flows?from=2025-01-01")), "/agency/flows?from=2025-01-01");
        assert_eq!(safe_next(Some("https://evil.example/")), "/agency/");
        assert_eq!(safe_next(Some("/agency//evil.example")), "/agency/");
        assert_eq!(safe_next(Some("/agency/login")), "/agency/");
        assert_eq!(safe_next(None), "/agency/");
    }
}
