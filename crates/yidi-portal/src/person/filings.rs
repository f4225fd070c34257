//! "我的备案": the person's filings with their state and holding period, the online filing form
//! under the commitment statement (承诺制), change and cancel — each a POST with the CSRF token.
//! A refusal (a filing rule) is shown above the form with the hub's message, which states the
//! rule and what to do.

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
    b.push_str(&form_html(lang, "/me/filings", "new", &f.categories, areas, csrf, form, today));
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
    let mut b = String::from(
        "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-label=\"filings\"><table id=\"filings\"><thead><tr>",
    );
    for (zh, en) in [
        ("备案编号", "Filing"),
        ("类别", "Category"),
        ("就医地", "Place of care"),
        ("有效期", "Valid"),
        ("状态", "State"),
        ("办理", "Actions"),
    ] {
        b.push_str(&format!("<th scope=\"col\">{}</th>", lang.pick(zh, en)));
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
        let actions = if pf.active {
            let id = escape(&v.filing_id);
            let change_form = form_html(
                lang,
                &format!("/me/filings/{id}/change"),
                &format!("chg-{id}"),
                categories,
                areas,
                csrf,
                &FilingForm {
                    category: v.category.clone(),
                    area: v.mdtrtarea_admvs.clone(),
                    begndate: today.to_string(),
                    enddate: String::new(),
                },
                today,
            );
            format!(
                "<form method=\"post\" action=\"/me/filings/{id}/cancel\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\" class=\"danger\" id=\"cancel-{id}\">{}</button></form><details><summary>{}</summary>{change_form}</details>",
                escape(csrf),
                lang.pick("取消备案", "Cancel"),
                lang.pick("变更备案", "Change"),
            )
        } else {
            String::new()
        };
        b.push_str(&format!(
            "<tr id=\"filing-{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape(&v.filing_id),
            escape(&v.filing_id),
            escape(&v.category_name),
            escape(&area),
            escape(&valid),
            state,
            actions
        ));
    }
    b.push_str("</tbody></table></div>\n");
    b
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
    b.push_str(&format!(
        "<div class=\"actions\"><button type=\"submit\" id=\"{p}-submit\">{}</button></div>\n</form>\n",
        lang.pick("提交备案", "Submit filing")
    ));
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
}
