//! The agency dashboards in a real headless Chromium against the real `yidi serve --demo`: an
//! agency user signs in with its token through the form, sees every dashboard page with its SVG
//! charts (on a desktop and on a phone without sideways scrolling), fetches a CSV through the
//! page's own link (BOM, header row, the settlements made through the protocol), and cannot see
//! another region's person by URL. Screenshots: `target/browser-screenshots/agency-*.png` (and
//! `docs/screenshots/` with `YIDI_UPDATE_DOCS_SCREENSHOTS=1`).

mod browser_support;
mod support;

use browser_support::{Browser, Demo, PHONE};
use serde_json::{Value, json};
use yidi_domain::{BenefitKind, Facility, Fen, Pack, PersonRecord};

const SHANGHAI: &str = "310000";
const LANGFANG: &str = "131000";
const BEIJING: &str = "110000";

/// Unfiled in-service employees insured in `region`, by `psn_no`.
fn persons<'p>(pack: &'p Pack, region: &str) -> Vec<&'p PersonRecord> {
    let mut persons: Vec<&PersonRecord> = pack
        .persons
        .values()
        .filter(|r| {
            r.person.insuplc.to_string() == region
                && r.person.insutype.as_str() == "310"
                && r.person.psn_group.as_str() == "in_service"
                && r.filings.is_empty()
                && r.person.assist_class.is_none()
        })
        .collect();
    persons.sort_by(|a, b| a.person.psn_no.cmp(&b.person.psn_no));
    persons
}

/// Employees insured outside Shanghai with an open-ended long-term filing to Shanghai (at most 8).
fn filed_in_shanghai(pack: &Pack) -> Vec<&PersonRecord> {
    let mut filed: Vec<&PersonRecord> = pack
        .persons
        .values()
        .filter(|r| {
            !r.person.insuplc.to_string().starts_with("31")
                && r.person.insutype.as_str() == "310"
                && r.filings.iter().any(|f| {
                    f.area.to_string() == SHANGHAI
                        && f.category.is_long_term()
                        && f.enddate.is_none()
                        && f.cancelled_at.is_none()
                })
        })
        .collect();
    filed.sort_by(|a, b| a.person.psn_no.cmp(&b.person.psn_no));
    filed.truncate(8);
    filed
}

fn shanghai_hospital(pack: &Pack) -> Facility {
    let today = support::beijing_now().date();
    let mut facilities: Vec<&Facility> = pack.refdata.facilities.values().collect();
    facilities.sort_by(|a, b| a.code.cmp(&b.code));
    facilities
        .into_iter()
        .find(|f| {
            f.code.as_str().starts_with("H31")
                && f.open_for(BenefitKind::Outpatient)
                && f.level >= 2
                && yidi_domain::in_period(today, f.begndate, f.enddate)
        })
        .expect("an open Shanghai hospital")
        .clone()
}

/// A visit of an unfiled Beijing employee at `facility` (registered, one line uploaded) and its
/// 2207, which Beijing's policy refuses (`filing_required`); the answer. The 2207 goes through
/// `Demo::call_service` because `Demo::national` expects success.
fn refused_settlement(demo: &Demo, p: &PersonRecord, facility: &Facility, n: u32) -> Value {
    let (psn_no, certno, code) = (p.person.psn_no.as_str(), p.person.certno.as_str(), facility.code.as_str());
    let now = support::beijing_now().to_string();
    let reg = demo.national(
        code,
        "2201",
        json!({"data": {"psn_no": psn_no, "insutype": "310", "begntime": now,
        "mdtrt_cert_type": "02", "mdtrt_cert_no": certno, "ipt_otp_no": format!("REF{n}")}}),
    );
    let mdtrt_id = reg["output"]["data"]["mdtrt_id"].as_str().unwrap().to_string();
    demo.national(
        code,
        "2203",
        json!({"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "med_type": "11",
        "begntime": now, "dise_codg": "I10"}}),
    );
    let today = yidi_domain::DateTime::parse(&now).unwrap().date();
    let catalog = &demo.pack.refdata.catalogs[&facility.admdvs.province()];
    let mut items: Vec<(&String, &yidi_domain::CatalogItem)> = catalog
        .items
        .iter()
        .filter_map(|(c, v)| {
            v.iter().find(|i| yidi_domain::in_period(today, i.begndate, i.enddate)).map(|i| (c, i))
        })
        .filter(|(_, i)| {
            i.lv == yidi_domain::ChrgitmLv::A && i.lmt_med_types.is_empty() && i.lmt_min_level.is_none()
        })
        .collect();
    items.sort_by(|a, b| a.0.cmp(b.0));
    let (item, row) = items[0];
    let pric = row
        .price_cap
        .map_or_else(|| yidi_domain::Price::parse("25.00").unwrap(), yidi_domain::Price::from_fen);
    let cnt = yidi_domain::Qty::from_units(1);
    let amount = yidi_domain::line_fen(cnt, pric);
    demo.national(
        code,
        "2204",
        json!({"feedetail": [{"feedetl_sn": "1", "mdtrt_id": mdtrt_id, "psn_no": psn_no,
        "chrg_bchno": "CB1", "fee_ocur_time": now, "med_list_codg": item, "medins_list_codg": item,
        "det_item_fee_sumamt": amount.yuan(), "cnt": cnt.to_string(), "pric": pric.to_string()}]}),
    );
    let body = json!({"infno": "2207", "msgid": format!("{code}R{n:017}"), "mdtrtarea_admvs": "310000",
        "opter_type": "1", "opter": "T01", "opter_name": "浏览器测试", "inf_time": now, "fixmedins_code": code,
        "fixmedins_name": "测试医院", "input": {"data": {"psn_no": psn_no, "mdtrt_cert_type": "02",
        "mdtrt_cert_no": certno, "med_type": "11", "medfee_sumamt": amount.yuan(), "psn_setlway": "01",
        "mdtrt_id": mdtrt_id, "chrg_bchno": "CB1", "acct_used_flag": "0", "insutype": "310"}}})
    .to_string();
    serde_json::from_str(&demo.call_service(code, &body).body).unwrap()
}

/// Fetches `href` in the page (with the session cookie) and returns status, content type, the
/// first three bytes and the text.
async fn fetch_in_page(browser: &Browser, href: &str) -> (u64, String, Vec<u64>, String) {
    let script = r#"
        const done = arguments[arguments.length - 1];
        fetch(arguments[0], {credentials: 'same-origin'})
          .then(r => r.arrayBuffer().then(b => {
              const bytes = new Uint8Array(b);
              done([r.status, r.headers.get('content-type'), Array.from(bytes.slice(0, 3)),
                    new TextDecoder('utf-8', {ignoreBOM: true}).decode(bytes)]);
          }))
          .catch(e => done([0, String(e), [], '']));
    "#;
    let v = browser.client.execute_async(script, vec![json!(href)]).await.expect("fetch in the page");
    let a = v.as_array().expect("an array");
    let bytes = a[2].as_array().unwrap().iter().map(|b| b.as_u64().unwrap()).collect();
    (
        a[0].as_u64().unwrap(),
        a[1].as_str().unwrap_or("").to_string(),
        bytes,
        a[3].as_str().unwrap().to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agency_user_sees_its_dashboards_and_only_its_region() {
    let Some(browser) = Browser::start().await else { return };
    let demo = Demo::start("agency");
    let hospital = shanghai_hospital(&demo.pack);
    let sign_in = demo.national(hospital.code.as_str(), "9001", json!({"signIn": {"opter_no": "T01"}}));
    assert_eq!(sign_in["infcode"], 0);
    // Cross-region care (Langfang persons may settle unfiled) and one local Shanghai visit.
    let langfang = persons(&demo.pack, LANGFANG);
    let mut settled: Vec<Value> = Vec::new();
    for p in langfang.iter().take(3) {
        settled.push(demo.settle_outpatient(p, &hospital));
    }
    let shanghai_person = persons(&demo.pack, SHANGHAI)[0];
    demo.settle_outpatient(shanghai_person, &hospital);
    // Employees from several provinces living in Shanghai under a long-term filing.
    let filed = filed_in_shanghai(&demo.pack);
    assert!(filed.len() >= 4, "the demo pack has long-term filers in Shanghai");
    for p in &filed {
        demo.settle_outpatient(p, &hospital);
    }
    let total = 3 + 1 + filed.len();
    // Two Beijing employees without a filing are refused (Beijing requires one).
    for (n, p) in persons(&demo.pack, BEIJING).iter().take(2).enumerate() {
        let answer = refused_settlement(&demo, p, &hospital, n as u32);
        assert_eq!(answer["err_code"], "filing_required", "{answer}");
    }

    // Not signed in: the dashboards send the browser to the sign-in form.
    browser.goto(&demo.url("/agency/flows")).await;
    assert!(browser.path().await.starts_with("/agency/login?next="), "{}", browser.path().await);
    browser.shot("agency-login").await;
    browser.fill("#token", "not-a-token").await;
    browser.click("form[action='/agency/login'] button[type=submit]").await;
    assert!(browser.text_of("[role=alert]").await.contains("令牌无效"), "a wrong token is explained");
    browser.fill("#token", &yidi_http::crypto::demo_agency_token(SHANGHAI)).await;
    browser.click("form[action='/agency/login'] button[type=submit]").await;
    // The click returns once the form is sent; wait for the page it leads to.
    browser.css("#chart-provinces").await;
    assert_eq!(browser.path().await, "/agency/flows", "back where the user wanted to go");

    // Flows: the OD heat map and the province flow chart, with Langfang → Shanghai in them.
    let flows = browser.source().await;
    assert!(flows.contains("class=\"heat\""), "the OD matrix");
    let band = browser.css("#chart-provinces path.band").await;
    assert!(band.attr("data-value").await.unwrap().is_some());
    assert!(flows.contains("廊坊市") && flows.contains("河北省"));
    browser.shot("agency-flows").await;
    browser
        .client
        .execute("document.getElementById('region-flows-heading').scrollIntoView();", vec![])
        .await
        .unwrap();
    browser.shot("agency-flows-matrix").await;

    // Overview: figures and the daily bar chart.
    browser.click("nav a[href^='/agency/?']").await;
    browser.css("#chart-daily").await;
    let bars = browser.client.find_all(fantoccini::Locator::Css("#chart-daily rect.bar")).await.unwrap();
    assert!(!bars.is_empty(), "today's bar");
    let figures = browser.text_of(".figures").await;
    assert!(figures.contains(&total.to_string()), "{total} settlements today: {figures}");
    browser.shot("agency-overview").await;

    // The CSV behind the overview's table, fetched through the page's own link.
    let href = browser.css("a.csv[href^='/agency/daily.csv']").await.attr("href").await.unwrap().unwrap();
    let (status, content_type, bom, text) = fetch_in_page(&browser, &href).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(content_type, "text/csv; charset=utf-8");
    assert_eq!(bom, [0xEF, 0xBB, 0xBF], "UTF-8 BOM for Excel");
    let rows: Vec<&str> =
        text.trim_start_matches('\u{feff}').split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(rows[0].starts_with("日期,普通门诊,门诊慢特病,住院,合计笔数"), "{}", rows[0]);
    let today = support::beijing_now().to_string()[..10].to_string();
    let row = rows.iter().find(|r| r.starts_with(&today)).unwrap_or_else(|| panic!("today in {rows:?}"));
    assert!(row.starts_with(&format!("{today},{total},0,0,{total},")), "{row}");

    // The flows CSV holds the cross-region fund amount to the fen.
    let fund: Fen =
        settled.iter().map(|o| Fen::parse_yuan(&o["setlinfo"]["fund_pay_sumamt"].to_string()).unwrap()).sum();
    let (_, _, _, text) = fetch_in_page(&browser, "/agency/region-flows.csv").await;
    let line = text
        .split("\r\n")
        .find(|l| l.starts_with("廊坊市,131000,上海市,310000,"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.ends_with(&format!(",{}", fund.yuan())), "{line} vs {fund}");
    assert!(line.starts_with("廊坊市,131000,上海市,310000,3,"), "{line}");

    // The refusals page names the reason in Chinese, and the rate counts the refused visits.
    browser.goto(&demo.url("/agency/refusals")).await;
    let refusals = browser.text_of("#refusals").await;
    assert!(
        refusals.contains("filing_required") && refusals.contains("未备案，参保地要求先备案"),
        "{refusals}"
    );
    let rate = browser.text_of("#rate").await;
    assert!(rate.contains(&format!("{:.2}%", total as f64 * 100.0 / (total + 2) as f64)), "{rate}");

    for (path, name, chart) in [
        ("/agency/refusals", "agency-refusals", "#chart-refusals"),
        ("/agency/filings", "agency-filings", "#chart-filings"),
        ("/agency/facilities", "agency-facilities", "#chart-facilities"),
        ("/agency/prepayment", "agency-prepayment", "h2"),
    ] {
        browser.goto(&demo.url(path)).await;
        browser.css(chart).await;
        browser.shot(name).await;
    }
    browser.goto(&demo.url("/agency/facilities")).await;
    assert!(browser.source().await.contains(hospital.code.as_str()), "the hospital ranks first");

    // On a phone the overview does not scroll sideways.
    browser.window(PHONE).await;
    browser.goto(&demo.url("/agency/")).await;
    assert!(!browser.scrolls_sideways().await, "no layout break at phone width");
    browser.shot("agency-overview-phone").await;
    for path in ["/agency/flows", "/agency/refusals", "/agency/filings", "/agency/prepayment"] {
        browser.goto(&demo.url(path)).await;
        assert!(
            !browser.scrolls_sideways().await,
            "{path} fits a phone (charts and tables scroll in their boxes)"
        );
    }
    browser.window(browser_support::DESKTOP).await;

    // Own persons are masked; another region's person is refused by URL.
    browser.goto(&demo.url(&format!("/agency/persons/{}", shanghai_person.person.psn_no))).await;
    let own = browser.source().await;
    assert!(
        !own.contains(&shanghai_person.person.name) && !own.contains(shanghai_person.person.certno.as_str())
    );
    let beijing_person = persons(&demo.pack, BEIJING)[0];
    browser.goto(&demo.url(&format!("/agency/persons/{}", beijing_person.person.psn_no))).await;
    let refused = browser.text_of("[role=alert]").await;
    assert!(refused.contains("本统筹区没有人员编号"), "{refused}");
    assert!(!browser.source().await.contains(&beijing_person.person.name));
    browser.shot("agency-other-region-refused").await;

    browser.close().await;
}
