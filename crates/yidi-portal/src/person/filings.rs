//! "我的备案": the person's filings with their state and holding period, the online filing form
//! under the commitment statement (承诺制), change and cancel — each a POST with the CSRF token.
//! A refusal (a filing rule) is shown above the form with the hub's message, which states the
//! rule and what to do.
//!
//! The actions of a filing (取消备案, 变更备案) sit in a row of their own beneath it, spanning
//! every column, so they are never in the part of the table a phone scrolls sideways to reach;
//! below 600 px the table is laid out as one card per filing (`table.cards` in the stylesheet).
//! Each action's accessible name includes its filing number, since a page lists several.

use yidi_hub::{CategoryView, PersonFilingView, PersonFilings};

use super::notice;
use crate::html::escape;
use crate::i18n::Lang;
use crate::layout::Section;
use crate::public::{Ctx, options, portal_page};

/// The filing form's values as typed (kept when a refusal re-shows the page).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FilingForm {
    pub category: String,
    pub area: String,
    pub begndate: String,
    pub enddate: String,
}

/// The page. `message` is `(kind, text)`: `ok` after a change, `error` for a refusal.
pub fn filings_page(
    ctx: &Ctx,
    f: &PersonFilings,
    areas: &[(String, String)],
    csrf: &str,
    message: Option<(&str, &str)>,
    form: &FilingForm,
    today: &str,
) -> String {
    let lang = ctx.lang;
    let mut b = format!("<h1>{}</h1>\n", lang.pick("我的备案", "My filings"));
    if let Some((kind, text)) = message {
        b.push_str(&notice(kind, text));
    }
    let r = &f.rules;
    b.push_str(&format!(
        "<p class=\"muted\" id=\"rules\">{}</p>\n",
        escape(&match lang {
            Lang::Zh => format!(
                "您参保地的备案规则：长期备案（异地安置、长期居住、常驻工作）办理后 {} 天内不能变更或取消；临时备案（转诊、其他临时外出）有效期不少于 {} 个月；同一险种同时有效的异地备案最多 {} 条。急诊抢救无需备案。备案当场生效，下一笔结算即按新备案办理。",
                r.min_hold_days, r.temporary_months, r.max_active_filings
            ),
            Lang::En => format!(
                "Your region's rules: a long-term filing (resettled, living, posted) cannot be changed or cancelled within {} days of filing; a temporary one (referral, other travel) is valid at least {} months; at most {} active filing(s) at once. Emergencies need no filing. A filing takes effect at once: the next settlement uses it.",
                r.min_hold_days, r.temporary_months, r.max_active_filings
            ),
        })
    ));
    b.push_str(&list_html(ctx, &f.filings, &f.categories, areas, csrf, today));
    b.push_str(&format!("<h2 id=\"new-h\">{}</h2>\n", lang.pick("办理新的备案", "File a new filing")));
    b.push_str(&form_html(lang, "/me/filings", "new", &f.categories, areas, csrf, form, today, None));
    portal_page(ctx, Section::Mine, lang.pick("我的备案", "My filings"), &b)
}

fn list_html(
    ctx: &Ctx,
    filings: &[PersonFilingView],
    categories: &[CategoryView],
    areas: &[(String, String)],
    csrf: &str,
    today: &str,
) -> String {
    let lang = ctx.lang;
    if filings.is_empty() {
        return format!(
            "<p id=\"no-filings\">{}</p>\n",
            lang.pick("您还没有异地就医备案。", "You have no filing yet.")
        );
    }
    let columns = [
        lang.pick("备案编号", "Filing"),
        lang.pick("类别", "Category"),
        lang.pick("就医地", "Place of care"),
        lang.pick("有效期", "Valid"),
        lang.pick("状态", "State"),
    ];
    let mut b = format!(
        "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-label=\"{}\"><table id=\"filings\" class=\"cards\"><thead><tr>",
        lang.pick("我的备案", "My filings")
    );
    for column in columns {
        b.push_str(&format!("<th scope=\"col\">{column}</th>"));
    }
    b.push_str("</tr></thead><tbody>\n");
    for pf in filings {
        let v = &pf.filing;
        let area = pf.mdtrtarea_name.clone().unwrap_or_else(|| v.mdtrtarea_admvs.clone());
        let valid =
            format!("{} – {}", v.begndate, v.enddate.as_deref().unwrap_or(lang.pick("长期", "open-ended")));
        let state = if pf.active {
            let mut s = format!("<span class=\"tag yes\">{}</span>", lang.pick("有效", "Active"));
            if let Some(from) = &pf.changeable_from
                && from.as_str() > today
            {
                s.push_str(&format!(
                    " <span class=\"muted\">{}</span>",
                    escape(&match lang {
                        Lang::Zh => format!("{from} 起可变更或取消"),
                        Lang::En => format!("changeable from {from}"),
                    })
                ));
            }
            s
        } else if let Some(at) = &v.cancelled_at {
            format!(
                "<span class=\"tag no\">{}</span> <span class=\"muted\">{}</span>",
                lang.pick("已取消", "Cancelled"),
                escape(at)
            )
        } else {
            format!("<span class=\"tag no\">{}</span>", lang.pick("已到期", "Expired"))
        };
        let id = escape(&v.filing_id);
        let cells = [escape(&v.filing_id), escape(&v.category_name), escape(&area), escape(&valid), state];
        let class = if pf.active { "filing with-actions" } else { "filing" };
        b.push_str(&format!("<tr id=\"filing-{id}\" class=\"{class}\">"));
        for (label, cell) in columns.iter().zip(&cells) {
            b.push_str(&format!("<td data-label=\"{label}\">{cell}</td>"));
        }
        b.push_str("</tr>\n");
        if pf.active {
            b.push_str(&format!(
                "<tr id=\"filing-{id}-actions\" class=\"row-actions\"><td colspan=\"{}\">{}</td></tr>\n",
                columns.len(),
                actions_html(
                    lang,
                    &v.filing_id,
                    &v.category,
                    &v.mdtrtarea_admvs,
                    categories,
                    areas,
                    csrf,
                    today
                )
            ));
        }
    }
    b.push_str("</tbody></table></div>\n");
    b
}

/// The actions of an active filing: cancel (a POST) and change (its form folded in `details`).
/// Visible labels stay short; the accessible names start with them and add the filing number.
#[allow(clippy::too_many_arguments)]
fn actions_html(
    lang: Lang,
    filing_id: &str,
    category: &str,
    area: &str,
    categories: &[CategoryView],
    areas: &[(String, String)],
    csrf: &str,
    today: &str,
) -> String {
    let id = escape(filing_id);
    // `form_html` escapes the action and the prefix itself: give it the filing id as it is.
    let change_form = form_html(
        lang,
        &format!("/me/filings/{filing_id}/change"),
        &format!("chg-{filing_id}"),
        categories,
        areas,
        csrf,
        &FilingForm {
            category: category.to_string(),
            area: area.to_string(),
            begndate: today.to_string(),
            enddate: String::new(),
        },
        today,
        Some(filing_id),
    );
    let (cancel, change) = (lang.pick("取消备案", "Cancel"), lang.pick("变更备案", "Change"));
    let (cancel_name, change_name) = match lang {
        Lang::Zh => (format!("{cancel} {id}"), format!("{change} {id}")),
        Lang::En => (format!("Cancel filing {id}"), format!("Change filing {id}")),
    };
    format!(
        "<div class=\"filing-actions\"><form method=\"post\" action=\"/me/filings/{id}/cancel\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\" class=\"danger\" id=\"cancel-{id}\" aria-label=\"{cancel_name}\">{cancel}</button></form><details><summary aria-label=\"{change_name}\">{change}</summary>{change_form}</details></div>",
        escape(csrf),
    )
}

#[allow(clippy::too_many_arguments)]
fn form_html(
    lang: Lang,
    action: &str,
    prefix: &str,
    categories: &[CategoryView],
    areas: &[(String, String)],
    csrf: &str,
    form: &FilingForm,
    today: &str,
    changing: Option<&str>,
) -> String {
    let p = escape(prefix);
    let mut b = format!(
        "<form method=\"post\" action=\"{}\" class=\"card\" id=\"{p}-form\">\n<input type=\"hidden\" name=\"csrf\" value=\"{}\">\n<div class=\"form-grid\">\n",
        escape(action),
        escape(csrf)
    );
    let choose = lang.pick("请选择", "Choose");
    let cats: Vec<(&str, &str)> = std::iter::once(("", choose))
        .chain(categories.iter().filter(|c| c.filing_needed).map(|c| (c.category, c.category_name)))
        .collect();
    b.push_str(&format!(
        "<div class=\"field\"><label for=\"{p}-category\">{}</label><select id=\"{p}-category\" name=\"category\" required>{}</select></div>\n",
        lang.pick("备案类别", "Category"),
        options(cats, &form.category)
    ));
    let area_opts: Vec<(&str, &str)> =
        std::iter::once(("", choose)).chain(areas.iter().map(|(c, n)| (c.as_str(), n.as_str()))).collect();
    b.push_str(&format!(
        "<div class=\"field\"><label for=\"{p}-area\">{}</label><select id=\"{p}-area\" name=\"mdtrtarea_admvs\" required>{}</select></div>\n",
        lang.pick("就医地（省或市）", "Place of care (province or city)"),
        options(area_opts, &form.area)
    ));
    let begn = if form.begndate.is_empty() { today } else { form.begndate.as_str() };
    b.push_str(&format!(
        "<div class=\"field\"><label for=\"{p}-begndate\">{}</label><input type=\"date\" id=\"{p}-begndate\" name=\"begndate\" value=\"{}\" required></div>\n",
        lang.pick("开始日期", "Begin date"),
        escape(begn)
    ));
    b.push_str(&format!(
        "<div class=\"field\"><label for=\"{p}-enddate\">{}</label><input type=\"date\" id=\"{p}-enddate\" name=\"enddate\" value=\"{}\" aria-describedby=\"{p}-enddate-hint\"><span class=\"hint\" id=\"{p}-enddate-hint\">{}</span></div>\n",
        lang.pick("结束日期（临时备案）", "End date (temporary filings)"),
        escape(&form.enddate),
        lang.pick("长期备案不填；临时备案不填则按最短有效期", "Leave empty for long-term; temporary defaults to the minimum validity"),
    ));
    b.push_str("</div>\n");
    b.push_str(&format!(
        "<fieldset><legend>{}</legend><ul class=\"plain\">",
        lang.pick("承诺事项（按所选类别）", "Commitment statement (by category)")
    ));
    for c in categories.iter().filter(|c| c.filing_needed) {
        let statement = c.commitment_statement.unwrap_or("本人承诺所填信息真实有效。");
        b.push_str(&format!(
            "<li lang=\"zh-CN\"><strong>{}</strong>：{}</li>",
            escape(c.category_name),
            escape(statement)
        ));
    }
    b.push_str(&format!(
        "</ul><div class=\"check\"><input type=\"checkbox\" id=\"{p}-commitment\" name=\"commitment\" value=\"true\" required><label for=\"{p}-commitment\">{}</label></div></fieldset>\n",
        lang.pick("我已阅读并承诺：所选类别的承诺事项属实（承诺制备案，无需上传材料）", "I have read the statement of the chosen category and declare it true (commitment filing, no uploads)")
    ));
    // A change form's button is named with the filing it changes (a page holds several).
    let submit = match changing {
        None => format!("id=\"{p}-submit\">{}", lang.pick("提交备案", "Submit filing")),
        Some(id) => {
            let label = lang.pick("提交变更", "Submit change");
            format!("id=\"{p}-submit\" aria-label=\"{label} {}\">{label}", escape(id))
        }
    };
    b.push_str(&format!("<div class=\"actions\"><button type=\"submit\" {submit}</button></div>\n</form>\n"));
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use yidi_hub::{FilingRulesView, FilingView};

    fn filings() -> PersonFilings {
        PersonFilings {
            filings: vec![PersonFilingView {
                filing: FilingView {
                    filing_id: "F<1>".into(),
                    psn_no: "P1".into(),
                    category: "long_term_resident".into(),
                    category_name: "异地长期居住".into(),
                    mdtrtarea_admvs: "320500".into(),
                    begndate: "2026-11-23".into(),
                    enddate: None,
                    filed_at: Some("2026-11-23 10:00:00".into()),
                    cancelled_at: None,
                    origin: "agency",
                    pack_source: None,
                    created_by: None,
                    changed_by: None,
                    changed_at: None,
                },
                active: true,
                changeable_from: Some("2027-05-22".into()),
                mdtrtarea_name: Some("苏州市".into()),
            }],
            rules: FilingRulesView { min_hold_days: 180, temporary_months: 6, max_active_filings: 1 },
            categories: vec![CategoryView {
                category: "long_term_resident",
                category_name: "异地长期居住",
                long_term: true,
                commitment_statement: Some("本人承诺：……"),
                filing_needed: true,
            }],
        }
    }

    #[test]
    fn every_form_posts_the_csrf_token_and_ids_are_escaped() {
        let html =
            filings_page(&Ctx::default(), &filings(), &[], "tok", None, &FilingForm::default(), "2026-11-23");
        let forms = html.matches("<form method=\"post\"").count();
        let tokens = html.matches("name=\"csrf\" value=\"tok\"").count();
        assert_eq!(forms, 3, "cancel, change and new");
        assert_eq!(tokens, forms);
        assert!(html.contains("/me/filings/F&lt;1&gt;/cancel"));
        assert!(!html.contains("F<1>"));
        assert!(html.contains("2027-05-22 起可变更或取消"));
        assert!(html.contains("180 天内不能变更或取消"));
    }

    /// Goal (360 px): a filing's actions are not in the last column of the sideways-scrolling
    /// table but in a row of their own beneath it, spanning every column (and the table becomes
    /// cards below 600 px); each action's accessible name starts with its visible label and names
    /// the filing, and the cancel button is still `#filings button.danger`.
    #[test]
    fn actions_sit_beneath_their_filing_and_name_it() {
        let html =
            filings_page(&Ctx::default(), &filings(), &[], "tok", None, &FilingForm::default(), "2026-11-23");
        let table = html.find("<table id=\"filings\" class=\"cards\">").expect("the filings table");
        let row = html.find("<tr id=\"filing-F&lt;1&gt;\" class=\"filing with-actions\">").expect("the row");
        let actions = html
            .find("<tr id=\"filing-F&lt;1&gt;-actions\" class=\"row-actions\"><td colspan=\"5\">")
            .expect("the actions row");
        let end = html.find("</table>").unwrap();
        assert!(table < row && row < actions && actions < end, "{html}");
        assert!(!html[row..actions].contains("<form"), "no action in the filing's own row");
        assert_eq!(html[table..end].matches("<th scope=\"col\">").count(), 5);
        assert_eq!(html[row..actions].matches("<td data-label=").count(), 5);
        let danger = html.find("class=\"danger\"").unwrap();
        assert!(actions < danger && danger < end, "#filings button.danger");
        assert!(html.contains("aria-label=\"取消备案 F&lt;1&gt;\">取消备案</button>"), "{html}");
        assert!(html.contains("<summary aria-label=\"变更备案 F&lt;1&gt;\">变更备案</summary>"));
        assert!(
            html.contains(
                "id=\"chg-F&lt;1&gt;-submit\" aria-label=\"提交变更 F&lt;1&gt;\">提交变更</button>"
            )
        );
        assert!(html.contains("id=\"new-submit\">提交备案</button>"), "the new filing's button is unchanged");
        assert!(html.contains("action=\"/me/filings/F&lt;1&gt;/change\""), "escaped once, not twice");
        assert!(!html.contains("&amp;lt;"), "nothing escaped twice");
        let en = Ctx { lang: Lang::En, ..Ctx::default() };
        let html = filings_page(&en, &filings(), &[], "tok", None, &FilingForm::default(), "2026-11-23");
        assert!(html.contains("aria-label=\"Cancel filing F&lt;1&gt;\">Cancel</button>"), "{html}");
        assert!(html.contains("<summary aria-label=\"Change filing F&lt;1&gt;\">Change</summary>"));
        let css = crate::layout::SITE_CSS;
        let phone = &css[css.find("@media (max-width: 600px)").unwrap()..];
        assert!(phone.contains("table.cards tr.row-actions"), "cards below 600 px");
    }
}
