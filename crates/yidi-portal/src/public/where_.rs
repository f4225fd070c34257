//! "我能在哪里直接结算": which regions are open for which care, by province, and the facility
//! search with paging.

use yidi_domain::FacilityKind;
use yidi_hub::public::{FacilityPage, FacilityQuery, FacilityRow, ProvinceView};

use super::{Ctx, options, portal_page, yes_no};
use crate::html::escape;
use crate::i18n::{Lang, url_encode, with_param};
use crate::layout::Section;

/// The whole page. `areas` and `diseases` are (code, name) lists for the form.
pub fn where_page(
    ctx: &Ctx,
    provinces: &[ProvinceView],
    q: &FacilityQuery,
    result: &FacilityPage,
    areas: &[(String, String)],
    diseases: &[(String, String)],
) -> String {
    let lang = ctx.lang;
    let mut b = String::with_capacity(40_000);
    b.push_str(&format!(
        "<h1>{}</h1>\n<p class=\"lead\">{}</p>\n",
        lang.pick("我能在哪里直接结算", "Where can I settle directly"),
        lang.pick(
            "异地就医能否直接结算，要看两头：您的参保地要开通（作为参保地），就医的地方也要开通（作为就医地），且就医机构开通了相应的待遇类型。",
            "Direct settlement needs both ends open: your insured region (as insured place), the place of care (as treatment place), and the facility for that kind of care."
        )
    ));
    b.push_str(&search_html(ctx, q, result, areas, diseases));
    b.push_str(&regions_html(lang, provinces));
    portal_page(ctx, Section::Where, lang.pick("我能在哪里直接结算", "Where can I settle"), &b)
}

fn regions_html(lang: Lang, provinces: &[ProvinceView]) -> String {
    let mut b = format!(
        "<section aria-labelledby=\"regions-h\"><h2 id=\"regions-h\">{}</h2>\n<p class=\"muted\">{}</p>\n",
        lang.pick("各统筹区开通情况", "Regions and the care they are open for"),
        lang.pick(
            "“作为参保地”：本地参保人可到外地直接结算；“作为就医地”：外地参保人可在本地直接结算。长期备案最短持有天数内不能变更或撤销备案。",
            "“As insured place”: people insured here can settle elsewhere; “as treatment place”: people from elsewhere can settle here. A long-term filing cannot be changed or cancelled within its minimum holding days."
        )
    );
    b.push_str("<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-labelledby=\"regions-h\"><table id=\"regions\">\n<thead><tr>");
    for (zh, en) in [
        ("省份", "Province"),
        ("统筹区", "Region"),
        ("作为参保地", "As insured place"),
        ("作为就医地", "As treatment place"),
        ("住院", "Inpatient"),
        ("普通门诊", "Outpatient"),
        ("门诊慢特病", "Chronic diseases"),
        ("定点机构", "Facilities"),
        ("未备案可否直接结算", "Unfiled care settled directly"),
        ("备案规则", "Filing rules"),
    ] {
        b.push_str(&format!("<th scope=\"col\">{}</th>", lang.pick(zh, en)));
    }
    b.push_str("</tr></thead>\n<tbody>\n");
    for p in provinces {
        for (i, r) in p.regions.iter().enumerate() {
            b.push_str("<tr>");
            if i == 0 {
                b.push_str(&format!(
                    "<th scope=\"rowgroup\" rowspan=\"{}\">{}</th>",
                    p.regions.len(),
                    escape(&p.name)
                ));
            }
            let rules = match (r.min_hold_days, r.temporary_months, r.max_active_filings) {
                (Some(hold), Some(months), Some(active)) => match lang {
                    Lang::Zh => format!(
                        "长期备案至少持有 {hold} 天；临时备案有效期不少于 {months} 个月；同时有效备案 {active} 条"
                    ),
                    Lang::En => format!(
                        "long-term filing held ≥ {hold} days; temporary filing valid ≥ {months} months; {active} active filing(s)"
                    ),
                },
                _ => "—".to_string(),
            };
            let unfiled = match r.unfiled_allowed {
                Some(true) => lang.pick("可以（免备案）", "Yes (no filing needed)"),
                Some(false) => lang.pick("不可以，须先备案", "No, file first"),
                None => "—",
            };
            b.push_str(&format!(
                "<td>{} <span class=\"muted\">{}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\"><a href=\"/where?area={}#facilities\">{}</a></td><td>{}</td><td>{}</td></tr>\n",
                escape(&r.name),
                escape(&r.admdvs),
                yes_no(lang, r.open_as_insured),
                yes_no(lang, r.open_as_treatment),
                yes_no(lang, r.open.inpatient),
                yes_no(lang, r.open.outpatient),
                yes_no(lang, r.open.chronic),
                escape(&r.admdvs),
                r.facilities,
                unfiled,
                escape(&rules),
            ));
        }
    }
    b.push_str("</tbody></table></div>\n</section>\n");
    b
}

fn search_html(
    ctx: &Ctx,
    q: &FacilityQuery,
    result: &FacilityPage,
    areas: &[(String, String)],
    diseases: &[(String, String)],
) -> String {
    let lang = ctx.lang;
    let mut b = format!(
        "<section aria-labelledby=\"search-h\" id=\"facilities\"><h2 id=\"search-h\">{}</h2>\n",
        lang.pick("查找定点医院和药店", "Find a designated hospital or pharmacy")
    );
    b.push_str(
        "<form method=\"get\" action=\"/where\" role=\"search\" class=\"card\">\n<div class=\"form-grid\">\n",
    );
    b.push_str(&format!(
        "<div class=\"field\"><label for=\"f-name\">{}</label><input type=\"search\" id=\"f-name\" name=\"name\" value=\"{}\" maxlength=\"40\" autocomplete=\"off\"></div>\n",
        lang.pick("机构名称（包含）", "Name contains"),
        escape(&q.name)
    ));
    let any = lang.pick("不限", "Any");
    let area_opts: Vec<(&str, &str)> =
        std::iter::once(("", any)).chain(areas.iter().map(|(c, n)| (c.as_str(), n.as_str()))).collect();
    b.push_str(&select(
        "f-area",
        "area",
        lang.pick("省市", "Province / city"),
        &options(area_opts, q.area.trim()),
    ));
    let levels = [
        ("", any),
        ("3", lang.pick("三级", "Level 3")),
        ("2", lang.pick("二级", "Level 2")),
        ("1", lang.pick("一级", "Level 1")),
        ("0", lang.pick("药店（无等级）", "Pharmacy (no level)")),
    ];
    b.push_str(&select("f-level", "level", lang.pick("等级", "Level"), &options(levels, q.level.trim())));
    let kinds = [
        ("", any),
        ("hospital", lang.pick("医院", "Hospital")),
        ("clinic", lang.pick("诊所 / 社区", "Clinic")),
        ("pharmacy", lang.pick("药店", "Pharmacy")),
    ];
    b.push_str(&select("f-kind", "kind", lang.pick("类型", "Kind"), &options(kinds, q.kind.trim())));
    let cares = [
        ("", any),
        ("inpatient", lang.pick("住院", "Inpatient")),
        ("outpatient", lang.pick("普通门诊", "General outpatient")),
        ("chronic", lang.pick("门诊慢特病", "Chronic diseases")),
    ];
    b.push_str(&select(
        "f-care",
        "care",
        lang.pick("已开通的待遇", "Care opened"),
        &options(cares, q.care.trim()),
    ));
    let dis_opts: Vec<(&str, &str)> =
        std::iter::once(("", any)).chain(diseases.iter().map(|(c, n)| (c.as_str(), n.as_str()))).collect();
    b.push_str(&select(
        "f-disease",
        "disease",
        lang.pick("已开通的慢特病病种", "Chronic disease opened"),
        &options(dis_opts, q.disease.trim()),
    ));
    b.push_str(&format!(
        "</div>\n<div class=\"actions\"><button type=\"submit\">{}</button><a class=\"button secondary\" href=\"/where#facilities\">{}</a></div>\n</form>\n",
        lang.pick("查找", "Search"),
        lang.pick("清空条件", "Clear")
    ));
    if !result.ignored.is_empty() {
        b.push_str(&format!(
            "<div class=\"notice warn\" role=\"status\">{}{}</div>\n",
            lang.pick("以下条件无法识别，已忽略：", "These filters were not understood and were ignored: "),
            escape(&result.ignored.join(", "))
        ));
    }
    b.push_str(&format!(
        "<p id=\"result-count\" role=\"status\">{}</p>\n",
        match lang {
            Lang::Zh => format!("共找到 {} 家机构，第 {} / {} 页", result.total, result.page, result.pages),
            Lang::En =>
                format!("{} facilities found, page {} of {}", result.total, result.page, result.pages),
        }
    ));
    if !result.items.is_empty() {
        b.push_str(&facility_table(lang, &result.items));
    }
    b.push_str(&pager(ctx, result));
    b.push_str("</section>\n");
    b
}

fn select(id: &str, name: &str, label: &str, options: &str) -> String {
    format!(
        "<div class=\"field\"><label for=\"{id}\">{label}</label><select id=\"{id}\" name=\"{name}\">{options}</select></div>\n"
    )
}

fn level_text(lang: Lang, level: u8, kind: FacilityKind) -> String {
    match (kind, level) {
        (FacilityKind::Pharmacy, _) | (_, 0) => lang.pick("药店", "Pharmacy").to_string(),
        (_, l) => match lang {
            Lang::Zh => ["", "一级", "二级", "三级"].get(usize::from(l)).copied().unwrap_or("").to_string(),
            Lang::En => format!("Level {l}"),
        },
    }
}

fn facility_table(lang: Lang, rows: &[FacilityRow]) -> String {
    let mut b = String::from(
        "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-labelledby=\"search-h\"><table id=\"facility-results\">\n<thead><tr>",
    );
    for (zh, en) in [
        ("机构名称", "Name"),
        ("所在地", "Place"),
        ("等级", "Level"),
        ("住院", "Inpatient"),
        ("普通门诊", "Outpatient"),
        ("门诊慢特病", "Chronic"),
        ("机构编码", "Code"),
    ] {
        b.push_str(&format!("<th scope=\"col\">{}</th>", lang.pick(zh, en)));
    }
    b.push_str("</tr></thead>\n<tbody>\n");
    for f in rows {
        let chronic = if !f.open.chronic {
            yes_no(lang, false)
        } else if f.diseases.is_empty() {
            format!(
                "{} <span class=\"muted\">{}</span>",
                yes_no(lang, true),
                lang.pick("全部病种", "all diseases")
            )
        } else {
            format!("{} <span class=\"muted\">{}</span>", yes_no(lang, true), escape(&f.diseases.join("、")))
        };
        let place = if f.province == f.city { f.city.clone() } else { format!("{} {}", f.province, f.city) };
        b.push_str(&format!(
            "<tr><td><a href=\"/estimate?facility={}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            url_encode(&f.code),
            escape(&f.name),
            escape(&place),
            level_text(lang, f.level, f.kind),
            yes_no(lang, f.open.inpatient),
            yes_no(lang, f.open.outpatient),
            chronic,
            escape(&f.code),
        ));
    }
    b.push_str("</tbody></table></div>\n");
    b
}

fn pager(ctx: &Ctx, result: &FacilityPage) -> String {
    if result.pages <= 1 {
        return String::new();
    }
    let lang = ctx.lang;
    let link = |page: usize, label: &str, rel: &str| {
        format!(
            "<a href=\"{}#facilities\"{rel}>{}</a>",
            escape(&with_param(&ctx.here, "page", &page.to_string())),
            escape(label)
        )
    };
    let mut b = format!("<nav class=\"pager\" aria-label=\"{}\">", lang.pick("分页", "Pages"));
    if result.page > 1 {
        b.push_str(&link(result.page - 1, lang.pick("上一页", "Previous"), " rel=\"prev\""));
    }
    for p in 1..=result.pages {
        if p == result.page {
            b.push_str(&format!("<span aria-current=\"page\">{p}</span>"));
        } else if p == 1 || p == result.pages || p.abs_diff(result.page) <= 2 {
            b.push_str(&link(p, &p.to_string(), ""));
        }
    }
    if result.page < result.pages {
        b.push_str(&link(result.page + 1, lang.pick("下一页", "Next"), " rel=\"next\""));
    }
    b.push_str("</nav>\n");
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use yidi_hub::public::OpenFor;

    fn row(name: &str) -> FacilityRow {
        FacilityRow {
            code: "H32010000001".into(),
            name: name.into(),
            province: "江苏省".into(),
            city: "南京市".into(),
            region_name: "南京市".into(),
            level: 3,
            kind: FacilityKind::Hospital,
            open: OpenFor { inpatient: true, outpatient: true, chronic: false },
            diseases: vec![],
            agreement_until: None,
        }
    }

    #[test]
    fn hostile_names_are_escaped_and_paging_keeps_the_filters() {
        let ctx = Ctx { here: "/where?name=%3Cx&page=2".into(), ..Ctx::default() };
        let page = FacilityPage {
            page: 2,
            pages: 3,
            total: 45,
            items: vec![row("<script>alert(1)</script>医院")],
            ignored: vec![],
        };
        let q = FacilityQuery { name: "\"><img src=x onerror=alert(1)>".into(), ..FacilityQuery::default() };
        let html = where_page(&ctx, &[], &q, &page, &[], &[]);
        assert!(!html.contains("<script>alert"));
        assert!(!html.contains("<img src=x"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;医院"));
        assert!(html.contains("href=\"/where?name=%3Cx&amp;page=1#facilities\" rel=\"prev\""));
        assert!(html.contains("href=\"/where?name=%3Cx&amp;page=3#facilities\" rel=\"next\""));
        assert!(html.contains("<span aria-current=\"page\">2</span>"));
        assert!(html.contains("共找到 45 家机构，第 2 / 3 页"));
    }
}
