//! Reconciliation (`protocol.md` §6 3201/3202) against what this run did. The facility may hold
//! records from before the run (earlier runs on the same day), so the run first asks 3202 for them
//! with an empty list (each comes back as `stmt_rslt` 3) and adds its own records to that
//! baseline. 3201 is asked with `refd_setl_flag` 0 while the outpatient settlements are live, so
//! only they count; 3202 at the end lists every settlement and cancellation of the period.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Record, Run, expect_ok, text_at};
use crate::client::{Party, num};
use crate::json::Json;
use crate::money::fmt_fen;
use crate::report::{Check, Mismatch};
use crate::time;

pub const TOTALS_IDS: [&str; 2] = ["recon.3201_balanced", "recon.3201_tampered"];
pub const DETAIL_IDS: [&str; 2] = ["recon.3202_balanced", "recon.3202_tampered"];

/// The facility and `setl_optins` 3202 reconciles: the outpatient flow's.
pub fn scope(run: &Run<'_, '_>) -> Result<(Party, String), String> {
    let op = run.profile.outpatient.as_ref();
    let party = run.party_for(op.and_then(|o| o.fixmedins_code.as_deref()))?;
    let from_expected = op.and_then(|o| o.batch.first()).and_then(|b| b.expected.setlinfo.get("clr_optins"));
    let optins = run
        .profile
        .recon
        .setl_optins
        .clone()
        .or_else(|| from_expected.cloned())
        .unwrap_or_else(|| party.province());
    Ok((party, optins))
}

/// The facility's records of today before this run (3202 with an empty list).
pub fn baseline(run: &mut Run<'_, '_>) {
    let (party, optins) = match scope(run) {
        Ok(s) => s,
        Err(why) => {
            run.baseline = Some(Err(why));
            return;
        }
    };
    let x = run.call(&party, "3202", detail_input(&optins, &[], (0, 0, 0)));
    let rows = expect_ok(&x).map(|o| o.get("yidi_stmtrslt").map_or(Vec::new(), |r| r.rows().to_vec()));
    run.baseline = Some(match rows {
        Ok(rows) => baseline_records(&party, &optins, &rows),
        Err(m) => Err(format!("3202 baseline: {}", m.got)),
    });
}

/// Rows Yidi holds that the empty list lacked (`stmt_rslt` 3). Their cash amounts are not
/// listed; a settlement and its cancellation cancel out, so only complete pairs can be used.
fn baseline_records(party: &Party, optins: &str, rows: &[Json]) -> Result<Vec<Record>, String> {
    let text = |r: &Json, f: &str| r.get(f).and_then(Json::text).unwrap_or("").to_string();
    let fen = |r: &Json, f: &str| r.get(f).and_then(Json::fen).unwrap_or(0);
    let records: Vec<Record> = rows
        .iter()
        .map(|r| Record {
            facility: party.code.clone(),
            setl_id: text(r, "setl_id"),
            mdtrt_id: text(r, "mdtrt_id"),
            psn_no: text(r, "psn_no"),
            cancel: text(r, "refd_setl_flag") == "1",
            medfee: fen(r, "medfee_sumamt"),
            fund: fen(r, "fund_pay_sumamt"),
            acct: fen(r, "acct_pay"),
            cash: 0,
            msgid: text(r, "msgid"),
            clr_optins: optins.to_string(),
            insutype: String::new(),
            clr_type: String::new(),
        })
        .collect();
    let mut pairs: BTreeMap<&str, (bool, bool)> = BTreeMap::new();
    for r in &records {
        let e = pairs.entry(r.setl_id.as_str()).or_default();
        if r.cancel { e.1 = true } else { e.0 = true }
    }
    let unpaired: Vec<&str> = pairs.iter().filter(|(_, (s, c))| !(*s && *c)).map(|(id, _)| *id).collect();
    if !unpaired.is_empty() {
        return Err(format!(
            "facility {} has live or half-listed records today ({}); use a test facility",
            party.code,
            unpaired.join(", ")
        ));
    }
    Ok(records)
}

fn period() -> (String, String) {
    let today = time::beijing_today();
    (today.clone(), today)
}

/// 3201 of the live settlements `live` (one insutype, clr_type and region): balanced, then with
/// `medfee_sumamt` one fen off.
pub fn totals(run: &mut Run<'_, '_>, party: &Party, live: &[Record]) {
    let Some(first) = live.first() else {
        let m = Mismatch::new("live settlements to reconcile", "none");
        run.check(TOTALS_IDS[0], Err(m.clone()));
        run.check(TOTALS_IDS[1], Err(m));
        return;
    };
    let same: Vec<&Record> = live
        .iter()
        .filter(|r| {
            r.insutype == first.insutype && r.clr_type == first.clr_type && r.clr_optins == first.clr_optins
        })
        .collect();
    let sum = |f: fn(&Record) -> i64| same.iter().map(|r| f(r)).sum::<i64>();
    let (medfee, fund, acct) = (sum(|r| r.medfee), sum(|r| r.fund), sum(|r| r.acct));
    let (begin, end) = period();
    let input = |medfee: i64| {
        json!({"data": {"insutype": first.insutype, "clr_type": first.clr_type, "setl_optins": first.clr_optins,
            "stmt_begndate": begin, "stmt_enddate": end, "medfee_sumamt": num(&fmt_fen(medfee)),
            "fund_pay_sumamt": num(&fmt_fen(fund)), "acct_pay": num(&fmt_fen(acct)),
            "fixmedins_setl_cnt": num(&same.len().to_string()), "refd_setl_flag": "0"}})
    };
    let x = run.call(party, "3201", input(medfee));
    run.check(TOTALS_IDS[0], stmt_rslt(&x, "0", "stmtinfo.stmt_rslt"));
    let x = run.call(party, "3201", input(medfee + 1));
    run.check(TOTALS_IDS[1], stmt_rslt(&x, "1", "stmtinfo.stmt_rslt"));
}

fn stmt_rslt(x: &crate::client::Exchange, want: &str, path: &str) -> Check {
    let out = expect_ok(x)?;
    let got = text_at(out, path, &x.what)?;
    if got == want {
        return Ok(());
    }
    Err(Mismatch::new(
        format!("{path} {want}"),
        format!("{got}: {}", out.at("stmtinfo.stmt_rslt_dscr").map_or(String::new(), Json::to_string)),
    ))
}

fn row(r: &Record, medfee: i64) -> Value {
    json!({"setl_id": r.setl_id, "mdtrt_id": r.mdtrt_id, "psn_no": r.psn_no,
        "refd_setl_flag": if r.cancel { "1" } else { "0" }, "medfee_sumamt": num(&fmt_fen(medfee)),
        "fund_pay_sumamt": num(&fmt_fen(r.fund)), "acct_pay": num(&fmt_fen(r.acct)), "msgid": r.msgid})
}

fn detail_input(optins: &str, rows: &[Value], (medfee, fund, cash): (i64, i64, i64)) -> Value {
    let (begin, end) = period();
    json!({"data": {"setl_optins": optins, "stmt_begndate": begin, "stmt_enddate": end,
        "medfee_sumamt": num(&fmt_fen(medfee)), "fund_pay_sumamt": num(&fmt_fen(fund)),
        "cash_payamt": num(&fmt_fen(cash)), "fixmedins_setl_cnt": num(&rows.len().to_string()),
        "yidi_stmtdetl": rows}})
}

/// 3202 of every record of the period: balanced, then with one row's amount one fen off.
pub fn details(run: &mut Run<'_, '_>) {
    let baseline = match (run.baseline.take(), scope(run)) {
        (Some(Ok(b)), Ok(scope)) => Ok((b, scope)),
        (Some(Err(why)), _) | (_, Err(why)) => Err(why),
        (None, _) => Err("no baseline was taken".to_string()),
    };
    let (baseline, (party, optins)) = match baseline {
        Ok(b) => b,
        Err(why) => {
            let m = Mismatch::new("a reconcilable facility", why);
            run.check(DETAIL_IDS[0], Err(m.clone()));
            run.check(DETAIL_IDS[1], Err(m));
            return;
        }
    };
    let ours: Vec<Record> =
        run.records.iter().filter(|r| r.facility == party.code && r.clr_optins == optins).cloned().collect();
    let all: Vec<&Record> = baseline.iter().chain(&ours).collect();
    let totals = all.iter().fold((0, 0, 0), |(m, f, c), r| (m + r.medfee, f + r.fund, c + r.cash));
    let rows: Vec<Value> = all.iter().map(|r| row(r, r.medfee)).collect();
    let x = run.call(&party, "3202", detail_input(&optins, &rows, totals));
    let balanced = stmt_rslt(&x, "0", "stmtinfo.stmt_rslt").and_then(|()| {
        let out = expect_ok(&x)?;
        let listed = out.get("yidi_stmtrslt").map_or(0, |r| r.rows().len());
        if listed == 0 { Ok(()) } else { Err(Mismatch::new("no yidi_stmtrslt rows", out.to_string())) }
    });
    run.check(DETAIL_IDS[0], balanced);
    let tampered = tampered(run, &party, &optins, &all, totals);
    run.check(DETAIL_IDS[1], tampered);
}

fn tampered(
    run: &mut Run<'_, '_>,
    party: &Party,
    optins: &str,
    all: &[&Record],
    totals: (i64, i64, i64),
) -> Check {
    let Some(target) = all.last() else { return Err(Mismatch::new("a record to tamper with", "none")) };
    let rows: Vec<Value> = all
        .iter()
        .enumerate()
        .map(|(n, r)| row(r, if n + 1 == all.len() { r.medfee + 1 } else { r.medfee }))
        .collect();
    let x = run.call(party, "3202", detail_input(optins, &rows, totals));
    stmt_rslt(&x, "1", "stmtinfo.stmt_rslt")?;
    let out = expect_ok(&x)?;
    let flagged = out.get("yidi_stmtrslt").map_or(&[][..], Json::rows).iter().any(|r| {
        r.get("setl_id").and_then(Json::text) == Some(target.setl_id.as_str())
            && r.get("stmt_rslt").and_then(Json::text) == Some("1")
    });
    if flagged {
        return Ok(());
    }
    Err(Mismatch::new(format!("yidi_stmtrslt row {} with stmt_rslt 1", target.setl_id), out.to_string()))
}
