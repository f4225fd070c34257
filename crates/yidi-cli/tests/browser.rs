//! The portal in a real browser (headless Chromium over WebDriver) against the real `yidi serve
//! --demo` binary: a Shanghai employee moving to Suzhou goes from "where can I settle" to a
//! working long-term filing and an understood settlement without any other help — activation
//! with a code the agency issued, sign-in, facility search, filing under the commitment
//! statement, a settlement made through the national protocol appearing with its explanation,
//! the minimum-holding refusal when cancelling, the estimator, the English switch, a phone-sized
//! home page that does not scroll sideways, and another person's settlement refused by URL.
//! Each page is saved as a screenshot (`target/browser-screenshots/`).
//!
//! Needs `apt-get install chromium chromium-driver`; `YIDI_SKIP_BROWSER_TESTS=1` skips it.

mod browser_support;
mod support;

use std::time::{Duration, Instant};

use browser_support::{Browser, DESKTOP, Demo, PHONE};
use yidi_domain::{BenefitKind, InsuType, PersonRecord, PsnGroup};

/// The Suzhou hospital the person moves near (test_data/demo/facilities.csv).
const SUZHOU_HOSPITAL: &str = "H32050847654";
const SHANGHAI_HOSPITAL: &str = "H31010421001";
const PASSWORD: &str = "Yidi-portal-2025";

/// Shanghai employees in service with no filing at all (Shanghai holds long-term filings 180 days).
fn unfiled_shanghai_employees(demo: &Demo) -> Vec<&PersonRecord> {
    demo.pack
        .persons
        .values()
        .filter(|r| {
            let p = &r.person;
            p.insuplc.to_string() == "310000"
                && p.insutype == InsuType::Employee
                && p.psn_group == PsnGroup::InService
                && p.assist_class.is_none()
                && r.filings.is_empty()
        })
        .take(2)
        .collect()
}

/// A cash bill (two plain catalog lines, paid at `facility` today) as the agency enters it for a
/// manual reimbursement.
fn cash_bill(demo: &Demo, facility: &yidi_domain::Facility) -> serde_json::Value {
    use yidi_domain::{ChrgitmLv, Qty, line_fen};
    let now = support::beijing_now().to_string();
    let today = yidi_domain::DateTime::parse(&now).unwrap().date();
    let catalog = &demo.pack.refdata.catalogs[&facility.admdvs.province()];
    let lines: Vec<serde_json::Value> = catalog
        .unrestricted(today)
        .into_iter()
        .filter(|row| row.lv != ChrgitmLv::C)
        .take(2)
        .enumerate()
        .map(|(n, row)| {
            let (cnt, pric) = (Qty::from_units(10), row.sample_price());
            serde_json::json!({"feedetl_sn": format!("{}", n + 1), "med_list_codg": row.code, "cnt": cnt.to_string(),
                "pric": pric.to_string(), "det_item_fee_sumamt": line_fen(cnt, pric).yuan(), "fee_ocur_time": now})
        })
        .collect();
    serde_json::json!({"fixmedins_code": facility.code.as_str(), "visit_no": "MZ-CASH-1", "receipt_no": "PJ0001",
        "med_type": "11", "begntime": now, "dise_codg": "I10", "feedetail": lines})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_goes_from_moving_to_an_understood_settlement() {
    let Some(b) = Browser::start().await else { return };
    let started = Instant::now();
    let demo = Demo::start("journey");
    let people = unfiled_shanghai_employees(&demo);
    let (me, other) = (people[0], people[1]);
    let rules = &demo.pack.refdata.policies[&me.person.insuplc].filing_rules;
    assert!(rules.min_hold_days > 0, "the scenario needs a region with a minimum holding period");
    let suzhou = demo.pack.refdata.facilities.values().find(|f| f.code.as_str() == SUZHOU_HOSPITAL).unwrap();
    let shanghai =
        demo.pack.refdata.facilities.values().find(|f| f.code.as_str() == SHANGHAI_HOSPITAL).unwrap();
    assert!(suzhou.open_for(BenefitKind::Outpatient));

    // Home page, on a desktop and on a phone (no sideways scrolling at 360 px, the narrowest the issue names), then English.
    b.goto(&demo.url("/")).await;
    assert!(b.source().await.contains("<html lang=\"zh-CN\">"));
    b.shot("home").await;
    // Keyboard: the first Tab reaches the skip link.
    b.css("body").await.send_keys("\u{E004}").await.unwrap();
    let focused = b.client.execute("return document.activeElement.className;", vec![]).await.unwrap();
    assert_eq!(focused.as_str(), Some("skip"), "the first Tab stop is the skip link");
    b.window(PHONE).await;
    b.goto(&demo.url("/")).await;
    assert!(!b.scrolls_sideways().await, "the home page breaks at phone width");
    b.shot("home-phone").await;
    b.goto(&demo.url("/where?area=320500")).await;
    assert!(
        !b.scrolls_sideways().await,
        "the facility page breaks at phone width (tables must scroll inside)"
    );
    b.window(DESKTOP).await;
    b.goto(&demo.url("/")).await;
    b.click("a.lang-switch").await;
    assert!(b.source_with("<html lang=\"en\">").await.contains("<html lang=\"en\">"));
    assert!(b.text_of("h1").await.contains("Cross-region direct settlement"));
    b.click("a.lang-switch").await;
    assert!(
        b.source_with("<html lang=\"zh-CN\">").await.contains("<html lang=\"zh-CN\">"),
        "the cookie keeps the language; the switch goes back"
    );

    // Where can I settle: search by name and care opened.
    b.goto(&demo.url("/where")).await;
    b.fill("#f-name", "苏州市第一").await;
    b.select("#f-care", "outpatient").await;
    b.click("#facilities button[type=submit]").await;
    let results = b.text_with("#result-count", "共找到 1 家机构").await;
    assert!(results.contains("共找到 1 家机构"), "{results}");
    let results = b.text_of("#facility-results").await;
    assert!(results.contains("苏州市第一人民医院"), "{results}");
    b.shot("where").await;

    // Activation with the code the Shanghai agency issued, which signs the person in.
    let code = demo.activation_code(&me.person.psn_no, "310000");
    b.goto(&demo.url("/")).await;
    b.click("nav a[href='/signin']").await;
    b.click("a[href='/activate']").await;
    b.fill("#a-certno", me.person.certno.as_str()).await;
    b.fill("#a-code", &code).await;
    b.fill("#a-password", PASSWORD).await;
    b.fill("#a-password2", PASSWORD).await;
    b.shot("activate").await;
    b.click("#activate-submit").await;
    assert_eq!(b.landed("/me").await, "/me");
    let page = b.source().await;
    assert!(page.contains(&me.person.certno.masked()), "the masked identity number is shown");
    assert!(!page.contains(me.person.certno.as_str()), "the full identity number never is");
    assert!(!page.contains(&me.person.name), "the full name is masked");
    b.shot("me").await;

    // Sign out and in again with the new password.
    b.click("form.account button").await;
    assert_eq!(b.landed("/").await, "/");
    b.goto(&demo.url("/signin")).await;
    b.fill("#s-certno", me.person.certno.as_str()).await;
    b.fill("#s-password", PASSWORD).await;
    b.click("#signin-submit").await;
    assert_eq!(b.landed("/me").await, "/me");

    // A long-term filing for Suzhou under the commitment statement.
    b.goto(&demo.url("/me/filings")).await;
    assert!(b.text_of("#rules").await.contains(&format!("{} 天内不能变更或取消", rules.min_hold_days)));
    b.select("#new-category", "long_term_resident").await;
    b.select("#new-area", "320500").await;
    b.click("#new-commitment").await;
    b.click("#new-submit").await;
    let path = b.landed("/me/filings?done=added").await;
    if path != "/me/filings?done=added" {
        panic!("the filing was not added ({path}): {}", b.text_of("#notice").await);
    }
    assert!(b.text_of("#notice").await.contains("当场生效"));
    let filings = b.text_of("#filings").await;
    assert!(filings.contains("异地长期居住") && filings.contains("苏州市"), "{filings}");
    b.shot("filings").await;

    // A settlement through the national protocol at the Suzhou hospital, after the filing.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let out = demo.settle_outpatient(me, suzhou);
    let setl_id = out["setlinfo"]["setl_id"].as_str().expect("setl_id").to_string();
    let medfee = out["setlinfo"]["medfee_sumamt"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| out["setlinfo"]["medfee_sumamt"].to_string());
    b.goto(&demo.url("/me/settlements")).await;
    b.shot("settlements").await;
    b.click(&format!("a[href='/me/settlements/{setl_id}']")).await;
    let detail = format!("/me/settlements/{setl_id}");
    assert_eq!(b.landed(&detail).await, detail);
    assert!(b.text_of("#setl-total").await.contains(&medfee), "total {medfee}");
    let trace = b.text_of("#setl-trace").await;
    assert!(
        trace.contains("异地长期居住人员") || trace.contains("长期"),
        "the filing class is explained: {trace}"
    );
    assert!(b.client.find_all(fantoccini::Locator::Css("#setl-trace li")).await.unwrap().len() >= 5);
    assert!(b.text_of("#setl-steps").await.contains("起付线"));
    b.shot("settlement").await;

    // A cash bill the Shanghai agency reimburses by hand: "我的手工报销" shows its status, amounts
    // and explanation.
    let path = format!("/api/agency/persons/{}/reimbursements", me.person.psn_no);
    let (status, r) = demo.agency("POST", &path, "310000", &cash_bill(&demo, shanghai));
    assert_eq!(status, 200, "reimbursement: {r}");
    b.goto(&demo.url("/me")).await;
    b.click("a[href='/me/reimbursements']").await;
    let text = b.text_with("#reimbursements", "已核算，待支付").await;
    assert!(text.contains("已核算，待支付"), "{text}");
    assert!(text.contains(r["fund_pay_sumamt"].as_str().unwrap()), "{text}");
    assert!(b.client.find_all(fantoccini::Locator::Css(".reimb-trace li")).await.unwrap().len() >= 3);
    b.shot("reimbursements").await;

    // A mistyped address under "我的": the portal's own page with the way home, not JSON.
    b.goto(&demo.url("/me/settlement")).await;
    assert!(b.text_of("h1").await.contains("页面不存在"));
    b.click("#main a[href='/']").await;
    assert_eq!(b.landed("/").await, "/");

    // Cancelling the new long-term filing is refused: the minimum holding period.
    b.goto(&demo.url("/me/filings")).await;
    b.click("#filings button.danger").await;
    let notice = b.text_with("#notice", &rules.min_hold_days.to_string()).await;
    assert!(notice.contains(&rules.min_hold_days.to_string()), "the refusal states the rule: {notice}");
    assert!(b.source().await.contains("class=\"notice error\""));
    b.shot("filing-refused").await;

    // Another person's settlement, by URL: not found, nothing of theirs shown.
    let theirs = demo.settle_outpatient(other, shanghai);
    let their_id = theirs["setlinfo"]["setl_id"].as_str().unwrap();
    b.goto(&demo.url(&format!("/me/settlements/{their_id}"))).await;
    let page = b.source().await;
    assert!(page.contains("没有找到"), "another person's settlement must be refused");
    assert!(
        !page.contains(&other.person.name)
            && !page.contains(&yidi_domain::codes::mask_name(&other.person.name))
    );

    // The estimator: a Shanghai employee with a long-term filing, inpatient care in Suzhou.
    b.goto(&demo.url("/estimate")).await;
    b.select("#e-insured", "310000").await;
    b.select("#e-insutype", "310").await;
    b.select("#e-psn_group", "in_service").await;
    b.select("#e-facility", SUZHOU_HOSPITAL).await;
    b.select("#e-care", "inpatient").await;
    b.select("#e-filing", "long_term").await;
    b.fill("#e-acct_balance", "500").await;
    b.click("#estimate-submit").await;
    assert!(b.text_of("#estimate-result h2").await.contains("估算结果"));
    assert!(b.text_of("#estimate-steps").await.contains("统筹基金支付"));
    assert!(
        b.client.find_all(fantoccini::Locator::Css("#estimate-lines tbody tr")).await.unwrap().len() >= 3
    );
    b.shot("estimate").await;

    b.close().await;
    assert!(started.elapsed() < Duration::from_secs(60), "the journey took {:?}", started.elapsed());
}
