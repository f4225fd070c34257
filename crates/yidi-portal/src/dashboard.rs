//! The agency dashboards (`/agency/…`): page bodies built from panels, each panel a chart and
//! the table of the same data, with its CSV link.
//!
//! Key design decision: a [`Table`] is the single source of both the HTML table under a chart and
//! its CSV export ([`crate::csv::to_csv`]), so the file an agency downloads always holds exactly
//! what the page shows. The HTTP edge turns the hub's aggregates into tables and charts; this
//! module only lays them out, in Chinese first with the English switch of [`crate::layout`].

use std::fmt::Write;

use yidi_domain::Fen;

use crate::charts::Unit;
use crate::html::escape;
use crate::i18n::Lang;
use crate::layout::NavLink;

/// One table cell: the text shown on the page and, for figures, the plain value exported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    pub text: String,
    /// The CSV value of a figure (`1234.50`, no grouping); `None` for text cells.
    pub raw: Option<String>,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Cell {
        Cell { text: text.into(), raw: None }
    }
    pub fn count(n: u64) -> Cell {
        Cell { text: Unit::Count.format(n), raw: Some(n.to_string()) }
    }
    /// An amount in yuan with two decimals.
    pub fn fen(f: Fen) -> Cell {
        let grouped = match u64::try_from(f.get()) {
            Ok(v) => Unit::Fen.format(v),
            Err(_) => format!("-{}", Unit::Fen.format(f.get().unsigned_abs())),
        };
        Cell { text: grouped, raw: Some(f.yuan()) }
    }
    /// A ratio in basis points, as a percentage with two decimals.
    pub fn percent_bp(bp: Option<u32>) -> Cell {
        match bp {
            Some(bp) => {
                let text = format!("{}.{:02}%", bp / 100, bp % 100);
                Cell { text: text.clone(), raw: Some(text) }
            }
            None => Cell::text("–"),
        }
    }
    pub fn is_figure(&self) -> bool {
        self.raw.is_some()
    }
    /// The value written to CSV.
    pub fn csv_text(&self) -> &str {
        self.raw.as_deref().unwrap_or(&self.text)
    }
}

/// A table: the panel's data, shown under its chart and exported as CSV.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// Unique within the page; also the CSV file's name (`/agency/<id>.csv`).
    pub id: String,
    pub caption: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// The table as HTML, scrolling sideways on a phone; figures right-aligned.
pub fn table_html(t: &Table, lang: Lang) -> String {
    let mut out = format!(
        "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-labelledby=\"{id}-caption\">\
         <table id=\"{id}\" class=\"data\"><caption id=\"{id}-caption\">{}</caption><thead><tr>",
        escape(&t.caption),
        id = escape(&t.id)
    );
    for c in &t.columns {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(c));
    }
    out.push_str("</tr></thead><tbody>");
    if t.rows.is_empty() {
        let _ = write!(
            out,
            "<tr><td colspan=\"{}\" class=\"muted\">{}</td></tr>",
            t.columns.len().max(1),
            lang.pick("暂无数据", "No data")
        );
    }
    for row in &t.rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let class = if cell.is_figure() { " class=\"num\"" } else { "" };
            if i == 0 && !cell.is_figure() {
                let _ = write!(out, "<th scope=\"row\">{}</th>", escape(&cell.text));
            } else {
                let _ = write!(out, "<td{class}>{}</td>", escape(&cell.text));
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>\n");
    out
}

/// One panel: a heading, what it counts (scope), a chart (trusted SVG/HTML from
/// [`crate::charts`], may be empty), its table and the table's CSV link.
#[derive(Clone, Debug)]
pub struct Panel {
    pub heading: String,
    /// Which side of the agency's region the panel counts, in the page language.
    pub scope: String,
    pub chart_html: String,
    pub table: Table,
    /// `/agency/<id>.csv?…`.
    pub csv_href: String,
}

pub fn panel_html(p: &Panel, lang: Lang) -> String {
    let id = escape(&p.table.id);
    format!(
        "<section class=\"card panel\" aria-labelledby=\"{id}-heading\">\n<h2 id=\"{id}-heading\">{}</h2>\n\
         <p class=\"muted scope\">{}</p>\n{}{}<p class=\"actions\"><a class=\"csv\" href=\"{}\" download>{}</a></p>\n</section>\n",
        escape(&p.heading),
        escape(&p.scope),
        p.chart_html,
        table_html(&p.table, lang),
        escape(&p.csv_href),
        lang.pick("下载 CSV（Excel 可直接打开）", "Download CSV (opens in Excel)"),
    )
}

/// A big number with its caption.
#[derive(Clone, Debug)]
pub struct Figure {
    pub value: String,
    pub caption: String,
}

pub fn figures_html(figures: &[Figure]) -> String {
    let mut out = String::from("<div class=\"grid figures\">");
    for f in figures {
        let _ = write!(
            out,
            "<div class=\"figure\"><div class=\"value\">{}</div><div class=\"caption\">{}</div></div>",
            escape(&f.value),
            escape(&f.caption)
        );
    }
    out.push_str("</div>\n");
    out
}

/// The dashboard pages, in navigation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Overview,
    Flows,
    Refusals,
    Filings,
    Facilities,
    Persons,
    Prepayment,
}

impl Tab {
    pub const ALL: [Tab; 7] = [
        Tab::Overview,
        Tab::Flows,
        Tab::Refusals,
        Tab::Filings,
        Tab::Facilities,
        Tab::Persons,
        Tab::Prepayment,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Tab::Overview => "/agency/",
            Tab::Flows => "/agency/flows",
            Tab::Refusals => "/agency/refusals",
            Tab::Filings => "/agency/filings",
            Tab::Facilities => "/agency/facilities",
            Tab::Persons => "/agency/persons",
            Tab::Prepayment => "/agency/prepayment",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Tab::Overview => lang.pick("概览", "Overview"),
            Tab::Flows => lang.pick("跨区流向", "Flows"),
            Tab::Refusals => lang.pick("拒绝原因", "Refusals"),
            Tab::Filings => lang.pick("备案", "Filings"),
            Tab::Facilities => lang.pick("机构排行", "Facilities"),
            Tab::Persons => lang.pick("参保人", "Persons"),
            Tab::Prepayment => lang.pick("预付金", "Prepayment"),
        }
    }
}

/// The dashboards' navigation; `query` (the period, already URL-safe, `""` for none) is kept on
/// every link so moving between pages keeps the period.
pub fn nav(lang: Lang, current: Tab, tabs: &[Tab], query: &str) -> Vec<NavLink> {
    tabs.iter()
        .map(|t| NavLink {
            href: if query.is_empty() { t.path().to_string() } else { format!("{}?{query}", t.path()) },
            label: t.label(lang).to_string(),
            current: *t == current,
        })
        .collect()
}

/// The header of every dashboard page: the heading, the region, the period form and its notes.
pub struct Header<'a> {
    pub lang: Lang,
    pub heading: &'a str,
    /// "南京市（320100）".
    pub region: &'a str,
    /// Signed-in agency user's name.
    pub user: &'a str,
    /// The period form's target (the page's own path); `""` for a page without a period.
    pub action: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    /// Shown as a warning (e.g. a truncated scan); may be empty.
    pub notes: &'a [String],
}

pub fn header_html(h: &Header<'_>) -> String {
    let lang = h.lang;
    let mut out = format!(
        "<h1>{}</h1>\n<p class=\"muted\">{}：<strong>{}</strong> · {}：{}</p>\n",
        escape(h.heading),
        lang.pick("统筹区", "Pooling region"),
        escape(h.region),
        lang.pick("经办用户", "Agency user"),
        escape(h.user)
    );
    // A page whose figures do not depend on the period passes no action and gets no form.
    if h.action.is_empty() {
        for note in h.notes {
            let _ = writeln!(out, "<p class=\"notice warn\" role=\"status\">{}</p>", escape(note));
        }
        return out;
    }
    let _ = writeln!(
        out,
        "<form class=\"form-grid period\" method=\"get\" action=\"{}\">\
         <div class=\"field\"><label for=\"from\">{}</label><input type=\"date\" id=\"from\" name=\"from\" value=\"{}\"></div>\
         <div class=\"field\"><label for=\"to\">{}</label><input type=\"date\" id=\"to\" name=\"to\" value=\"{}\"></div>\
         <div class=\"actions\"><button type=\"submit\" class=\"button\">{}</button></div></form>",
        escape(h.action),
        lang.pick("开始日期", "From"),
        escape(h.from),
        lang.pick("结束日期（含）", "To (inclusive)"),
        escape(h.to),
        lang.pick("查看", "Show"),
    );
    let _ = write!(out, "<p class=\"quick-periods\">{}：", lang.pick("快速选择", "Quick periods"));
    let quick =
        [(7, "近 7 天", "Last 7 days"), (30, "近 30 天", "Last 30 days"), (90, "近 90 天", "Last 90 days")];
    for (i, (days, zh, en)) in quick.iter().enumerate() {
        let sep = if i == 0 { "" } else { " · " };
        let _ = write!(out, "{sep}<a href=\"{}?days={days}\">{}</a>", escape(h.action), lang.pick(zh, en));
    }
    out.push_str("</p>\n");
    for note in h.notes {
        let _ = writeln!(out, "<p class=\"notice warn\" role=\"status\">{}</p>", escape(note));
    }
    out
}

/// The sign-in form of `/agency/login`: the agency API token, posted with the CSRF token.
pub fn login_html(lang: Lang, error: Option<&str>, csrf_token: &str, next: &str) -> String {
    let mut out = format!(
        "<h1>{}</h1>\n<p>{}</p>\n",
        lang.pick("经办机构登录", "Agency sign-in"),
        lang.pick(
            "请输入本统筹区经办机构的接口令牌（由 yidi agency add 签发）。登录后只能查看本统筹区的数据。",
            "Enter your agency's API token (issued by yidi agency add). You will see only your pooling region's data."
        )
    );
    if let Some(error) = error {
        let _ = writeln!(out, "<p class=\"notice error\" role=\"alert\">{}</p>", escape(error));
    }
    let _ = writeln!(
        out,
        "<form class=\"form-grid\" method=\"post\" action=\"/agency/login\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"next\" value=\"{}\">\
         <div class=\"field\"><label for=\"token\">{}</label>\
         <input type=\"password\" id=\"token\" name=\"token\" required autocomplete=\"current-password\" spellcheck=\"false\">\
         <span class=\"hint\">{}</span></div>\
         <div class=\"actions\"><button type=\"submit\" class=\"button\">{}</button></div></form>",
        escape(csrf_token),
        escape(next),
        lang.pick("经办机构令牌", "Agency token"),
        lang.pick(
            "令牌只用于本次登录，不会显示或记录。",
            "The token is used only to sign in; it is never shown or logged."
        ),
        lang.pick("登录", "Sign in"),
    );
    out
}

/// The header's account box for a signed-in agency user: name and a sign-out button (a POST
/// with the CSRF token).
pub fn account_html(lang: Lang, user: &str, csrf_token: &str) -> String {
    format!(
        "<form class=\"account\" method=\"post\" action=\"/agency/logout\"><span>{}</span>\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\" class=\"link\">{}</button></form>\n",
        escape(user),
        escape(csrf_token),
        lang.pick("退出", "Sign out")
    )
}

/// The Chinese (or English) meaning of a settlement `err_code`, for the refusals page.
pub fn err_code_meaning(code: &str, lang: Lang) -> &'static str {
    match code {
        "unknown_person" => lang.pick("查无参保人", "Unknown insured person"),
        "filing_required" => {
            lang.pick("未备案，参保地要求先备案", "Not filed; the insured region requires a filing")
        }
        "region_not_open" => lang.pick("统筹区未开通该类直接结算", "Region not open for this care"),
        "facility_not_open" => lang.pick("机构未开通该类直接结算", "Facility not open for this care"),
        "chronic_not_entitled" => {
            lang.pick("无该门诊慢特病资格认定", "No entitlement for this chronic disease")
        }
        "chronic_not_listed" => {
            lang.pick("病种不在跨省门诊慢特病目录", "Disease not on the national chronic list")
        }
        "med_type_not_supported" => lang.pick("医疗类别不支持直接结算", "Medical type not supported"),
        "unknown_catalog_code" => lang.pick("目录中没有该项目编码", "Item code not in the catalog"),
        "amount_mismatch" => lang.pick("费用金额与明细不一致", "Amounts do not match the lines"),
        "no_policy" => {
            lang.pick("参保地无适用政策（险种不符等）", "No applicable policy (e.g. wrong insurance type)")
        }
        "visit_state" => {
            lang.pick("就诊状态不允许结算（无费用或已结算）", "Visit state does not allow settlement")
        }
        "bad_field" => lang.pick("字段缺失或格式错误", "Missing or malformed field"),
        "month_cleared" => lang.pick("该月已清算", "Month already cleared"),
        "invalid_claim" => lang.pick("单据无效", "Invalid claim"),
        _ => lang.pick("其他原因", "Other reason"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            id: "flows".into(),
            caption: "流向 <OD>".into(),
            columns: vec!["参保地".into(), "笔数".into()],
            rows: vec![vec![Cell::text("南京市"), Cell::count(1234)]],
        }
    }

    #[test]
    fn tables_escape_text_and_align_figures() {
        let html = table_html(&table(), Lang::Zh);
        assert!(html.contains("<caption id=\"flows-caption\">流向 &lt;OD&gt;</caption>"));
        assert!(html.contains("<th scope=\"row\">南京市</th><td class=\"num\">1,234</td>"));
        let empty = Table { rows: vec![], ..table() };
        assert!(table_html(&empty, Lang::En).contains("No data"));
    }

    #[test]
    fn cells_keep_a_plain_csv_value() {
        assert_eq!(Cell::fen(Fen::new(-123_456)).text, "-1,234.56");
        assert_eq!(Cell::fen(Fen::new(-123_456)).csv_text(), "-1234.56");
        assert_eq!(Cell::percent_bp(Some(9_667)).text, "96.67%");
        assert_eq!(Cell::percent_bp(None).csv_text(), "–");
    }

    #[test]
    fn panels_link_their_csv_and_navigation_keeps_the_period() {
        let p = Panel {
            heading: "h".into(),
            scope: "s".into(),
            chart_html: "<svg></svg>".into(),
            table: table(),
            csv_href: "/agency/flows.csv?from=2025-01-01&to=2025-01-31".into(),
        };
        let html = panel_html(&p, Lang::Zh);
        assert!(html.contains("href=\"/agency/flows.csv?from=2025-01-01&amp;to=2025-01-31\" download"));
        let links = nav(Lang::En, Tab::Flows, &Tab::ALL, "from=2025-01-01");
        assert_eq!(links[1].href, "/agency/flows?from=2025-01-01");
        assert!(links[1].current && !links[0].current);
        assert_eq!(links[0].label, "Overview");
    }

    #[test]
    fn the_login_form_labels_its_field_and_carries_csrf() {
        let html = login_html(Lang::Zh, Some("令牌无效<"), "tok\"en", "/agency/");
        assert!(html.contains("<label for=\"token\">") && html.contains("id=\"token\""));
        assert!(html.contains("value=\"tok&quot;en\"") && html.contains("令牌无效&lt;"));
    }
}
