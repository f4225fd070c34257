//! The filing service through the hub in-process on a real SQLite file with the demo pack: every
//! filing rule's refusal with its code and message (agency and person channels), retroactive
//! filing for an open inpatient stay used by its 2304, change = cancel + new, the append-only
//! history, and that a restart keeps filings and history.

mod support;

use std::sync::Arc;

use serde_json::json;
use support::{World, ok, plain_lines, repo, temp_db};
use yidi_domain::codes::mask_name;
use yidi_domain::{BenefitKind, Date, DateTime, Facility, Pack, PersonRecord};
use yidi_hub::{AgencyError, AgencyUser, Clock, NewFiling};

fn demo_pack() -> Arc<Pack> {
    Arc::new(yidi_refdata::load_pack(&repo().join("test_data/demo")).expect("demo pack loads"))
}

const NOW: &str = "2025-06-10 09:00:00";

fn agency(admdvs: &str) -> AgencyUser {
    AgencyUser { name: format!("{admdvs} 经办员"), admdvs: admdvs.to_string() }
}

/// A person insured in `region` with no filing at all.
fn unfiled(pack: &Pack, region: &str, insutype: &str) -> PersonRecord {
    pack.persons
        .values()
        .find(|r| {
            r.person.insuplc.to_string() == region
                && r.person.insutype.as_str() == insutype
                && r.filings.is_empty()
        })
        .cloned()
        .unwrap_or_else(|| panic!("an unfiled {insutype} person of {region}"))
}

fn filing(category: &str, area: &str, begin: Option<&str>, end: Option<&str>) -> NewFiling {
    NewFiling {
        category: Some(category.into()),
        mdtrtarea_admvs: Some(area.into()),
        begndate: begin.map(str::to_string),
        enddate: end.map(str::to_string),
        commitment: None,
    }
}

#[track_caller]
fn refused_with<T: std::fmt::Debug>(r: Result<T, AgencyError>, code: &str, words: &[&str]) {
    let e = r.expect_err("expected a refusal");
    assert_eq!(e.code(), code, "{e:?}");
    for w in words {
        assert!(e.message().contains(w), "the message should say {w:?}: {}", e.message());
    }
}

/// Goal: each rule refuses with its own code and a message that states the rule and the way out;
/// the same request passes once the rule is satisfied.
#[tokio::test(flavor = "current_thread")]
async fn every_rule_refuses_with_its_code_and_message() {
    let pack = demo_pack();
    let w = World::start(pack.clone(), &temp_db("filing-rules"), NOW);
    let bj = agency("110000");
    let p = unfiled(&pack, "110000", "310");
    let psn = p.person.psn_no.as_str();
    let hub = &w.hub;

    let r = hub.agency_add_filing(&bj, psn, &filing("emergency", "310000", None, None)).await;
    refused_with(r, "filing_not_needed_emergency", &["无需备案", "视同已备案"]);
    let r = hub.agency_add_filing(&bj, psn, &filing("other_temporary", "110000", None, None)).await;
    refused_with(r, "filing_area_home", &["参保地", "无需备案"]);
    let r = hub
        .agency_add_filing(&bj, psn, &filing("long_term_resident", "310000", None, Some("2026-06-10")))
        .await;
    refused_with(r, "filing_long_term_open_ended", &["不设结束日期"]);
    let r = hub.agency_add_filing(&bj, psn, &filing("referral", "310000", None, Some("2025-10-01"))).await;
    refused_with(r, "filing_temporary_too_short", &["不少于 6 个月", "2025-12-10"]);
    let r = hub.agency_add_filing(&bj, psn, &filing("referral", "310000", Some("2025-06-01"), None)).await;
    refused_with(r, "filing_begndate_past", &["入院日期", "手工报销"]);
    let r = hub.agency_add_filing(&bj, psn, &filing("referral", "310000", Some("2027-01-01"), None)).await;
    refused_with(r, "filing_begndate_too_far", &["提前"]);
    let r = hub.agency_add_filing(&bj, psn, &filing("other_temporary", "310104", None, None)).await;
    assert_eq!(r.expect_err("county").code(), "invalid_request", "a county area is a field problem");
    if p.person.psn_group.as_str() != "retired" {
        let r = hub.agency_add_filing(&bj, psn, &filing("retired_resettled", "310000", None, None)).await;
        refused_with(r, "filing_category_not_eligible", &["已退休"]);
    }
    // The person online: long-term needs the commitment.
    let r = hub.person_add_filing(psn, &filing("long_term_resident", "310000", None, None)).await;
    refused_with(r, "filing_commitment_required", &["承诺", "commitment"]);

    // A temporary filing without an end date lasts the region's minimum (Beijing: 6 months).
    let made = hub.agency_add_filing(&bj, psn, &filing("referral", "310000", None, None)).await.unwrap();
    assert_eq!(made.enddate.as_deref(), Some("2025-12-10"));
    assert_eq!(made.begndate, "2025-06-10");
    // One active filing per person and insurance type (Beijing allows 1).
    let r = hub.agency_add_filing(&bj, psn, &filing("referral", "310000", None, None)).await;
    refused_with(r, "filing_duplicate", &[&made.filing_id]);
    let r = hub.agency_add_filing(&bj, psn, &filing("other_temporary", "440000", None, None)).await;
    refused_with(r, "filing_limit_reached", &["最多同时保留 1 件", &made.filing_id, "变更"]);
    // Changing instead: cancel + new in one step.
    let changed = hub
        .agency_change_filing(&bj, &made.filing_id, &filing("other_temporary", "440000", None, None))
        .await
        .unwrap();
    assert_ne!(changed.filing_id, made.filing_id);
    assert_eq!(changed.mdtrtarea_admvs, "440000");
    let history = hub.agency_filing_history(&bj, &made.filing_id).await.unwrap();
    let actions: Vec<&str> = history.events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["create", "change_out"]);
    assert!(history.filing.cancelled_at.is_some());
    let r = hub.agency_cancel_filing(&bj, &made.filing_id).await;
    refused_with(r, "filing_already_cancelled", &["无需重复撤销"]);
    // Another region's agency cannot see it.
    let r = hub.agency_filing_history(&agency("310000"), &changed.filing_id).await;
    assert_eq!(r.expect_err("scope").code(), "filing_not_found");
}

/// Goal: Shanghai's minimum holding period (180 days) refuses changing or cancelling a long-term
/// filing before it ends, naming the first day allowed; on that day it works.
#[tokio::test(flavor = "current_thread")]
async fn long_term_filings_are_held_for_the_regions_minimum() {
    let pack = demo_pack();
    let w = World::start(pack.clone(), &temp_db("filing-hold"), NOW);
    let p = unfiled(&pack, "310000", "310");
    let psn = p.person.psn_no.as_str();
    let mut asked = filing("long_term_resident", "110000", None, None);
    asked.commitment = Some(true);
    let made = w.hub.person_add_filing(psn, &asked).await.unwrap();
    assert_eq!(made.enddate, None, "long-term filings are open-ended");
    assert!(made.created_by.as_deref().unwrap().starts_with("person:"), "{made:?}");
    assert!(!made.created_by.as_deref().unwrap().contains(p.person.certno.as_str()), "masked");
    w.advance_secs(86_400 * 10);
    let r = w.hub.person_cancel_filing(psn, &made.filing_id).await;
    refused_with(r, "filing_min_hold", &["180 天内不能变更或取消", "2025-12-07"]);
    let r = w.hub.person_change_filing(psn, &made.filing_id, &asked).await;
    refused_with(r, "filing_min_hold", &["2025-12-07"]);
    w.advance_secs(86_400 * 170);
    let cancelled = w.hub.person_cancel_filing(psn, &made.filing_id).await.unwrap();
    assert!(cancelled.cancelled_at.is_some());
    let history = w.hub.person_filing_history(psn, &made.filing_id).await.unwrap();
    let channels: Vec<&str> = history.events.iter().map(|e| e.channel.as_str()).collect();
    assert_eq!(channels, ["person", "person"]);
    assert!(history.events[0].note.contains("承诺"), "{:?}", history.events[0]);
    // Restart: the filing, its cancellation and its history are durable.
    let w = w.restart("2025-12-08 09:00:00");
    let history = w.hub.person_filing_history(psn, &made.filing_id).await.unwrap();
    assert_eq!(history.events.len(), 2);
    assert!(history.filing.cancelled_at.is_some());
    // Someone else's filing is "not found".
    let other = unfiled(&pack, "310000", "390");
    let r = w.hub.person_filing_history(&other.person.psn_no, &made.filing_id).await;
    assert_eq!(r.expect_err("not theirs").code(), "filing_not_found");
}

/// An open Shanghai hospital for inpatient care and five plain catalog lines of its province.
fn hospital(pack: &Pack, today: Date) -> &Facility {
    let mut facilities: Vec<&Facility> = pack.refdata.facilities.values().collect();
    facilities.sort_by(|a, b| a.code.cmp(&b.code));
    facilities
        .into_iter()
        .find(|f| {
            f.code.as_str().starts_with("H31")
                && f.open_for(BenefitKind::Inpatient)
                && yidi_domain::in_period(today, f.begndate, f.enddate)
        })
        .expect("an inpatient hospital in Shanghai")
}

/// Goal: a Beijing employee admitted in Shanghai without a filing (Beijing refuses unfiled care)
/// files retroactively before discharge settlement with the admission date as begin date, and
/// that 2304 settles directly with the new filing; after the settlement a past begin date is
/// refused again.
#[tokio::test(flavor = "current_thread")]
async fn retroactive_filing_is_used_by_the_discharge_settlement() {
    let pack = demo_pack();
    let mut w = World::start(pack.clone(), &temp_db("filing-retro"), NOW);
    let p = unfiled(&pack, "110000", "310");
    let (psn, cert) = (p.person.psn_no.clone(), p.person.certno.as_str().to_string());
    let fac = hospital(&pack, w.clock.now().date()).code.to_string();
    let admitted = "2025-06-01 08:00:00";
    let adm = w
        .call(
            &fac,
            "2401",
            json!({"mdtrtinfo": {"psn_no": psn, "insutype": "310", "begntime": admitted, "mdtrt_cert_type": "02",
        "mdtrt_cert_no": cert, "med_type": "21", "ipt_no": "ZY-RETRO", "adm_dept_codg": "A01", "adm_dept_name": "内科"},
        "diseinfo": [{"diag_type": "1", "maindiag_flag": "1", "diag_srt_no": 1, "diag_code": "I10", "diag_name": "高血压"}]}),
        )
        .await;
    let mdtrt = ok(&adm)["result"]["mdtrt_id"].as_str().unwrap().to_string();
    let at = DateTime::parse("2025-06-05 09:00:00").unwrap();
    let (lines, total) = plain_lines(&pack, hospital(&pack, at.date()), at, (&mdtrt, &psn), None);
    ok(&w.call(&fac, "2301", json!({"feedetail": lines})).await);
    ok(&w
        .call(
            &fac,
            "2402",
            json!({"dscginfo": {"mdtrt_id": mdtrt, "psn_no": psn, "insutype": "310",
        "endtime": "2025-06-09 10:00:00", "dscg_way": "1", "dscg_dept_codg": "A01", "dscg_dept_name": "内科"}}),
        )
        .await);
    let settle = json!({"data": {"psn_no": psn, "mdtrt_cert_type": "02", "mdtrt_cert_no": cert,
        "medfee_sumamt": total.yuan(), "psn_setlway": "01", "mdtrt_id": mdtrt, "acct_used_flag": "0", "insutype": "310"}});
    let before = w.call(&fac, "2303", settle.clone()).await;
    assert_eq!(before["err_code"], "filing_required", "{before}");

    // Before the admission date: refused, naming the admission date.
    let bj = agency("110000");
    let early = filing("other_temporary", "310000", Some("2025-05-20"), None);
    refused_with(w.hub.agency_add_filing(&bj, &psn, &early).await, "filing_begndate_past", &["2025-06-01"]);
    let retro = filing("other_temporary", "310000", Some("2025-06-01"), None);
    let made = w.hub.agency_add_filing(&bj, &psn, &retro).await.unwrap();
    assert_eq!(made.begndate, "2025-06-01");
    assert_eq!(made.enddate.as_deref(), Some("2025-12-01"));
    let history = w.hub.agency_filing_history(&bj, &made.filing_id).await.unwrap();
    assert!(history.events[0].note.contains("补办备案"), "{:?}", history.events);

    w.advance_secs(60);
    let settled = w.call(&fac, "2304", settle).await;
    let out = ok(&settled);
    let setl_id = out["setlinfo"]["setl_id"].as_str().unwrap().to_string();
    let detail = w.hub.person_settlement(&psn, &setl_id).await.unwrap();
    assert!(
        detail.trace.iter().any(|l| l.contains(&made.filing_id)),
        "the trace names the filing: {:?}",
        detail.trace
    );
    assert_eq!(detail.settlement.certno, p.person.certno.masked(), "the person's own view is masked too");
    assert_eq!(detail.settlement.psn_name, mask_name(&p.person.name), "and the name (issue 5)");
    let raw = serde_json::to_string(&detail).unwrap();
    assert!(!raw.contains(&cert), "no full identity number anywhere: {raw}");
    assert!(!raw.contains(&p.person.name), "no full name anywhere: {raw}");
    let ytd = w.hub.person_year_to_date(&psn).await.unwrap();
    let inpatient = ytd.pools.iter().find(|pool| pool.cap_pool == "inpatient").expect("the inpatient pool");
    assert_eq!(inpatient.admissions, 1, "{ytd:?}");
    assert_ne!(inpatient.deductible_paid, "0.00", "{ytd:?}");
    assert!(inpatient.annual_cap.is_some() && inpatient.cap_left.is_some(), "{ytd:?}");
    let list = w.hub.person_settlements(&psn, &Default::default()).await.unwrap();
    assert_eq!(list.items.len(), 1);
    assert_eq!(list.items[0].certno, p.person.certno.masked(), "the person's list is masked");
    assert_eq!(list.items[0].psn_name, mask_name(&p.person.name));
    // Another person cannot read it.
    let other = unfiled(&pack, "110000", "390");
    let r = w.hub.person_settlement(&other.person.psn_no, &setl_id).await;
    assert_eq!(r.expect_err("not theirs").code(), "settlement_not_found");

    // The stay is settled: a past begin date is no longer allowed (change of the filing).
    let later = filing("other_temporary", "440000", Some("2025-06-01"), None);
    let r = w.hub.agency_change_filing(&bj, &made.filing_id, &later).await;
    refused_with(r, "filing_begndate_past", &["手工报销"]);
}
