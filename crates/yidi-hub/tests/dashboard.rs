//! The agency dashboards' aggregations against settlements made through the national protocol on
//! the demo pack: counts and fen amounts are computed here independently from the settlement
//! answers, and each region sees only the settlements, refusals and filings of its own side.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};
use support::{World, ok, plain_lines, repo, temp_db};
use yidi_domain::{BenefitKind, Date, DateTime, Facility, Fen, FilingCategory, Pack, PersonRecord};
use yidi_hub::dashboard::{Dashboard, DashboardQuery, FILING_MONTHS};
use yidi_hub::{AgencyUser, Clock, NewFiling};

const SHANGHAI: &str = "310000";
const BEIJING: &str = "110000";
const LANGFANG: &str = "131000";

fn demo() -> Arc<Pack> {
    Arc::new(yidi_refdata::load_pack(&repo().join("test_data/demo")).expect("demo pack loads"))
}

fn user(admdvs: &str) -> AgencyUser {
    AgencyUser { name: format!("{admdvs} 经办"), admdvs: admdvs.to_string() }
}

/// The first (by `psn_no`) unfiled in-service employee insured in `region`.
fn person<'p>(pack: &'p Pack, region: &str, skip: usize) -> &'p PersonRecord {
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
    persons[skip]
}

fn shanghai_hospital(pack: &Pack, today: Date) -> &Facility {
    let mut facilities: Vec<&Facility> = pack.refdata.facilities.values().collect();
    facilities.sort_by(|a, b| a.code.cmp(&b.code));
    facilities
        .into_iter()
        .find(|f| {
            f.code.as_str().starts_with("H31")
                && f.open_for(BenefitKind::Outpatient)
                && f.open_for(BenefitKind::Inpatient)
                && f.level >= 2
                && yidi_domain::in_period(today, f.begndate, f.enddate)
        })
        .expect("an open Shanghai hospital")
}

/// One outpatient visit through 2201/2203/2204/2207; the 2207 answer, the `mdtrt_id` and the bill.
async fn visit(w: &mut World, p: &PersonRecord, fac: &Facility, visit_no: &str) -> (Value, String, Fen) {
    let now = w.clock.now();
    let (psn_no, certno, code) = (p.person.psn_no.as_str(), p.person.certno.as_str(), fac.code.as_str());
    let reg = w
        .call(
            code,
            "2201",
            json!({"data": {"psn_no": psn_no, "insutype": "310", "begntime": now.to_string(),
            "mdtrt_cert_type": "02", "mdtrt_cert_no": certno, "ipt_otp_no": visit_no}}),
        )
        .await;
    let mdtrt_id = ok(&reg)["data"]["mdtrt_id"].as_str().unwrap().to_string();
    let info = json!({"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "med_type": "11",
        "begntime": now.to_string(), "dise_codg": "I10"}});
    ok(&w.call(code, "2203", info).await);
    let (lines, total) = plain_lines(&w.pack.clone(), fac, now, (&mdtrt_id, psn_no), Some("CB1"));
    ok(&w.call(code, "2204", json!({"feedetail": lines})).await);
    let settle = json!({"data": {"psn_no": psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": certno,
        "med_type": "11", "medfee_sumamt": total.yuan(), "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": "CB1",
        "acct_used_flag": "0", "insutype": "310"}});
    (w.call(code, "2207", settle).await, mdtrt_id, total)
}

/// One inpatient stay through 2401/2301/2402/2304 (admitted yesterday, discharged now); the 2304
/// answer and the bill.
async fn stay(w: &mut World, p: &PersonRecord, fac: &Facility, ipt_no: &str) -> (Value, Fen) {
    let now = w.clock.now();
    let admitted = DateTime::from_epoch_secs(now.to_epoch_secs() - 86_400);
    let (psn_no, certno, code) = (p.person.psn_no.as_str(), p.person.certno.as_str(), fac.code.as_str());
    let admit = json!({"mdtrtinfo": {"psn_no": psn_no, "insutype": "310", "begntime": admitted.to_string(),
        "mdtrt_cert_type": "02", "mdtrt_cert_no": certno, "med_type": "21", "ipt_no": ipt_no,
        "adm_dept_codg": "A01", "adm_dept_name": "内科"}});
    let out = w.call(code, "2401", admit).await;
    let mdtrt_id = ok(&out)["result"]["mdtrt_id"].as_str().unwrap().to_string();
    let (lines, total) = plain_lines(&w.pack.clone(), fac, now, (&mdtrt_id, psn_no), None);
    ok(&w.call(code, "2301", json!({"feedetail": lines})).await);
    let discharge = json!({"dscginfo": {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "insutype": "310",
        "endtime": now.to_string(), "dscg_way": "1", "dscg_dept_codg": "A01", "dscg_dept_name": "内科"}});
    ok(&w.call(code, "2402", discharge).await);
    let settle = json!({"data": {"psn_no": psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": certno,
        "medfee_sumamt": total.yuan(), "psn_setlway": "01", "mdtrt_id": mdtrt_id, "acct_used_flag": "0",
        "insutype": "310"}});
    (w.call(code, "2304", settle).await, total)
}

fn fen(v: &Value) -> Fen {
    Fen::parse_yuan(&v.to_string()).unwrap_or_else(|e| panic!("{v}: {e}"))
}

async fn dashboard(w: &World, region: &str, from: Date, to: Date) -> Dashboard {
    let q = DashboardQuery { from: Some(from.to_string()), to: Some(to.to_string()), days: None };
    w.hub.agency_dashboard(&user(region), &q).await.expect("dashboard")
}

/// Four cross-region settlements (Langfang → Shanghai: three outpatient, one inpatient) over two
/// days, one local Shanghai
/// settlement, one refused Beijing visit and one cancelled settlement: every panel's figures
/// equal the sums of the answers, per side.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panels_add_up_the_settlements_each_side_sees() {
    let db = temp_db("dashboard-panels");
    let pack = demo();
    let mut w = World::start(pack.clone(), &db, "2025-03-10 09:00:00");
    let day1 = w.clock.now().date();
    let fac = shanghai_hospital(&pack, day1);
    let code = fac.code.as_str();
    ok(&w.call(code, "9001", json!({"signIn": {"opter_no": "T01"}})).await);
    let (lf_a, lf_b, sh, bj) = (
        person(&pack, LANGFANG, 0),
        person(&pack, LANGFANG, 1),
        person(&pack, SHANGHAI, 0),
        person(&pack, BEIJING, 0),
    );

    let mut cross = (0u64, Fen::ZERO, Fen::ZERO);
    let add = |v: &Value, total: Fen, into: &mut (u64, Fen, Fen)| {
        let setl = &ok(v)["setlinfo"];
        assert_eq!(fen(&setl["medfee_sumamt"]), total);
        into.0 += 1;
        into.1 += total;
        into.2 += fen(&setl["fund_pay_sumamt"]);
    };
    let (v, _, t) = visit(&mut w, lf_a, fac, "MZ-1").await;
    add(&v, t, &mut cross);
    let (v, _, t) = visit(&mut w, lf_b, fac, "MZ-2").await;
    add(&v, t, &mut cross);
    let day1_fund = cross.2;

    w.advance_secs(86_400);
    let day2 = w.clock.now().date();
    let (v, _, t) = visit(&mut w, lf_a, fac, "MZ-3").await;
    add(&v, t, &mut cross);
    let (v, t) = stay(&mut w, lf_b, fac, "ZY-1").await;
    add(&v, t, &mut cross);
    let mut local = (0u64, Fen::ZERO, Fen::ZERO);
    let (v, _, t) = visit(&mut w, sh, fac, "MZ-4").await;
    add(&v, t, &mut local);
    let (refused, refused_visit, lines_total) = visit(&mut w, bj, fac, "MZ-5").await;
    assert_eq!(refused["err_code"], "filing_required", "{refused}");
    // A settlement then cancelled counts nowhere.
    let (v, cancelled_visit, _) = visit(&mut w, lf_b, fac, "MZ-6").await;
    let setl_id = ok(&v)["setlinfo"]["setl_id"].as_str().unwrap().to_string();
    let cancel =
        json!({"data": {"setl_id": setl_id, "mdtrt_id": cancelled_visit, "psn_no": lf_b.person.psn_no}});
    ok(&w.call(code, "2208", cancel).await);

    let sh_d = dashboard(&w, SHANGHAI, day1, day2).await;
    assert_eq!(sh_d.region_name, "上海市");
    assert_eq!(
        (sh_d.total.count, sh_d.total.medfee, sh_d.total.fund),
        (5, cross.1 + local.1, cross.2 + local.2)
    );
    assert_eq!(sh_d.treatment_side, sh_d.total, "every settlement was at a Shanghai facility");
    assert_eq!((sh_d.insured_side.count, sh_d.insured_side.fund), (1, local.2));
    assert_eq!((sh_d.cross_region.count, sh_d.cross_region.medfee, sh_d.cross_region.fund), cross);
    assert_eq!(sh_d.daily.len(), 2);
    assert_eq!(sh_d.daily[0].by_care[0].count, 2, "day 1: two general outpatient settlements");
    assert_eq!(sh_d.daily[0].by_care[0].fund, day1_fund);
    assert_eq!(sh_d.daily[1].by_care.map(|v| v.count), [2, 0, 1], "two outpatient, one inpatient");
    let flows: BTreeMap<(&str, &str), (u64, Fen)> = sh_d
        .region_flows
        .iter()
        .map(|f| ((f.from.as_str(), f.to.as_str()), (f.volume.count, f.volume.fund)))
        .collect();
    assert_eq!(flows.len(), 2, "{flows:?}");
    assert_eq!(flows[&(LANGFANG, SHANGHAI)], (4, cross.2));
    assert_eq!(flows[&(SHANGHAI, SHANGHAI)], (1, local.2));
    let provinces: Vec<(&str, &str, u64)> =
        sh_d.province_flows.iter().map(|f| (f.from.as_str(), f.to.as_str(), f.volume.count)).collect();
    assert!(provinces.contains(&("130000", SHANGHAI, 4)), "{provinces:?}");
    assert_eq!(sh_d.province_flows.iter().find(|f| f.from == "130000").unwrap().from_name, "河北省");
    assert_eq!(sh_d.top_facilities.len(), 1);
    assert_eq!(sh_d.top_facilities[0].fixmedins_code, code);
    assert_eq!(sh_d.top_facilities[0].volume.count, 4, "local care is not cross-region volume");
    // Refusals: the Beijing visit was refused at a Shanghai facility; it was never settled.
    assert_eq!(sh_d.refusals.len(), 1);
    assert_eq!((sh_d.refusals[0].err_code, sh_d.refusals[0].count), ("filing_required", 1));
    assert_eq!(sh_d.refusals_daily, vec![(day1, 0), (day2, 1)]);
    assert_eq!((sh_d.rate.settled_visits, sh_d.rate.refused_visits), (5, 1));
    assert_eq!(sh_d.rate.rate_bp(), Some(8_333), "5 of 6, half-up");
    assert!(sh_d.refusals_since.is_some());

    // Beijing sees its refused person and no settlement; Langfang its own four.
    let bj_d = dashboard(&w, BEIJING, day1, day2).await;
    assert_eq!(bj_d.total.count, 0);
    assert!(bj_d.region_flows.is_empty() && bj_d.top_facilities.is_empty());
    assert_eq!(bj_d.refusals[0].count, 1);
    assert_eq!(bj_d.rate.rate_bp(), Some(0));
    let lf_d = dashboard(&w, LANGFANG, day1, day2).await;
    assert_eq!((lf_d.insured_side.count, lf_d.insured_side.fund), (4, cross.2));
    assert_eq!(lf_d.treatment_side.count, 0);
    assert!(lf_d.refusals.is_empty(), "the refusal involved neither Langfang side");
    assert_eq!(lf_d.region_flows.len(), 1, "Langfang does not see Shanghai's local care");

    // Once the Beijing visit is settled (after a filing), it no longer counts as refused.
    let filing = NewFiling {
        category: Some("other_temporary".into()),
        mdtrtarea_admvs: Some(SHANGHAI.into()),
        begndate: Some(day2.to_string()),
        enddate: None,
        ..NewFiling::default()
    };
    w.hub.agency_add_filing(&user(BEIJING), &bj.person.psn_no, &filing).await.expect("filed");
    w.advance_secs(1);
    let settle = json!({"data": {"psn_no": bj.person.psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": bj.person.certno.as_str(),
        "med_type": "11", "medfee_sumamt": lines_total.yuan(), "psn_setlway": "01", "mdtrt_id": refused_visit, "chrg_bchno": "CB1",
        "acct_used_flag": "0", "insutype": "310"}});
    ok(&w.call(code, "2207", settle).await);
    let bj_d = dashboard(&w, BEIJING, day1, day2).await;
    assert_eq!(bj_d.total.count, 1);
    assert_eq!((bj_d.rate.settled_visits, bj_d.rate.refused_visits), (1, 0));
    assert_eq!(bj_d.refusals[0].count, 1, "the refused call still counts as a refusal");

    // Refusals are stored: a restart shows the same refusal figures, counted from the same time.
    let before = dashboard(&w, SHANGHAI, day1, day2).await;
    let at = w.clock.now().to_string();
    let w = w.restart(&at);
    let after = dashboard(&w, SHANGHAI, day1, day2).await;
    assert_eq!(after.refusals, before.refusals, "refusals by reason after a restart");
    assert_eq!(after.refusals_daily, before.refusals_daily);
    assert_eq!(after.rate, before.rate);
    assert_eq!(after.refusals_since, before.refusals_since, "counted from when recording began");
    assert_eq!(after.refusals_since, DateTime::parse("2025-03-10 09:00:00").ok(), "the first start");
}

/// The filings panel counts the region's persons' filings by month of filing and category,
/// pack filings and agency filings alike, over the last [`FILING_MONTHS`] months.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filings_are_counted_by_month_and_category() {
    let db = temp_db("dashboard-filings");
    let pack = demo();
    let w = World::start(pack.clone(), &db, "2025-06-15 10:00:00");
    let today = w.clock.now().date();
    // Independently: the pack's filings of Beijing persons by (month, category).
    let mut expected: BTreeMap<(u32, &str), u64> = BTreeMap::new();
    for r in pack.persons.values().filter(|r| r.person.insuplc.to_string() == BEIJING) {
        for f in &r.filings {
            let month = f.filed_at.map_or(f.begndate, |t| t.date()).year_month();
            *expected.entry((month, f.category.as_str())).or_default() += 1;
        }
    }
    let someone = person(&pack, BEIJING, 0);
    let filing = NewFiling {
        category: Some("posted_worker".into()),
        mdtrtarea_admvs: Some(SHANGHAI.into()),
        begndate: Some(today.to_string()),
        enddate: None,
        ..NewFiling::default()
    };
    w.hub.agency_add_filing(&user(BEIJING), &someone.person.psn_no, &filing).await.expect("filed");
    *expected.entry((today.year_month(), "posted_worker")).or_default() += 1;

    let d = dashboard(&w, BEIJING, today.add_days(-29), today).await;
    assert_eq!(d.filings.len(), FILING_MONTHS as usize);
    assert_eq!(d.filings.last().unwrap().year_month, today.year_month());
    let first = d.filings[0].year_month;
    let mut seen = 0;
    for m in &d.filings {
        for (i, c) in FilingCategory::ALL.iter().enumerate() {
            let want = expected.get(&(m.year_month, c.as_str())).copied().unwrap_or(0);
            assert_eq!(m.by_category[i], want, "{} {}", m.year_month, c.as_str());
            seen += want;
        }
    }
    let in_window: u64 =
        expected.iter().filter(|((m, _), _)| *m >= first && *m <= today.year_month()).map(|(_, n)| n).sum();
    assert_eq!(seen, in_window);
    assert!(seen >= 1);
    // Shanghai's panel does not count Beijing's persons.
    let sh = dashboard(&w, SHANGHAI, today, today).await;
    let sh_now: u64 = sh.filings.last().unwrap().by_category.iter().sum();
    let sh_expected: u64 = pack
        .persons
        .values()
        .filter(|r| r.person.insuplc.to_string() == SHANGHAI)
        .flat_map(|r| &r.filings)
        .filter(|f| f.filed_at.map_or(f.begndate, |t| t.date()).year_month() == today.year_month())
        .count() as u64;
    assert_eq!(sh_now, sh_expected);
}

/// Bad periods are refused with every problem named; the default is the last 30 days.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn periods_are_checked() {
    let db = temp_db("dashboard-period");
    let w = World::start(demo(), &db, "2025-06-15 10:00:00");
    let d = w.hub.agency_dashboard(&user(SHANGHAI), &DashboardQuery::default()).await.unwrap();
    assert_eq!(
        (d.period.from.to_string(), d.period.to.to_string()),
        ("2025-05-17".into(), "2025-06-15".into())
    );
    assert_eq!(d.daily.len(), 30);
    let week = DashboardQuery { days: Some("7".into()), ..DashboardQuery::default() };
    let d = w.hub.agency_dashboard(&user(SHANGHAI), &week).await.unwrap();
    assert_eq!(
        (d.period.from.to_string(), d.period.to.to_string()),
        ("2025-06-09".into(), "2025-06-15".into())
    );
    let bad =
        |from: &str, to: &str| DashboardQuery { from: Some(from.into()), to: Some(to.into()), days: None };
    for (q, field) in [
        (bad("2025-13-01", "2025-06-01"), "from"),
        (bad("2025-06-02", "2025-06-01"), "from"),
        (bad("2023-01-01", "2025-06-01"), "to"),
        (DashboardQuery { days: Some("0".into()), ..DashboardQuery::default() }, "days"),
        (DashboardQuery { days: Some("367".into()), ..DashboardQuery::default() }, "days"),
    ] {
        let e = w.hub.agency_dashboard(&user(SHANGHAI), &q).await.unwrap_err();
        assert_eq!(e.status(), 400);
        assert_eq!(e.problems()[0].field, field, "{:?}", e.problems());
    }
}

/// Goal: after a restart the refusal figures say they are whole only from the start of the window
/// the store keeps (a year and a bit before the newest refusal), never from an earlier time
/// whose refusals were pruned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_count_from_the_kept_window_after_a_restart() {
    use yidi_store::{CommitBatch, RefusalRecord, Store};
    let db = temp_db("dashboard-refusal-window");
    let refusal = |at: &str| RefusalRecord {
        at: DateTime::parse(at).unwrap(),
        psn_no: "P1100000001".into(),
        fixmedins_code: "H31010421001".into(),
        mdtrt_id: format!("MD{at}"),
        err_code: "filing_required".into(),
    };
    let began = DateTime::parse("2024-01-01 08:00:00").unwrap();
    let batch = CommitBatch {
        refusals: vec![refusal("2024-01-10 09:00:00"), refusal("2025-06-01 09:00:00")],
        sequences: vec![("refusals_recorded_since".into(), began.to_epoch_secs() as u64)],
        ..CommitBatch::default()
    };
    yidi_store_sqlite::SqliteStore::open(&db).unwrap().commit(&batch).unwrap();
    let w = World::start(demo(), &db, "2025-06-15 10:00:00");
    let d = dashboard(&w, SHANGHAI, Date::parse("2025-06-01").unwrap(), w.clock.now().date()).await;
    let window = Date::parse("2025-06-01").unwrap().add_days(-yidi_store::REFUSALS_LOADED_DAYS);
    assert_eq!(d.refusals_since, Some(DateTime::start_of(window)), "not {began}: older rows are gone");
    assert_eq!(d.refusals.iter().map(|r| r.count).sum::<u64>(), 1, "the June refusal is counted");
}
