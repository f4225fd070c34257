//! The inpatient cycle of `protocol.md` §5, forwards and back: 2001, an admission reversed by 2601
//! (and the refused moves on the cancelled stay), a second admission, 2403, fee lines with a
//! refund line (2301), discharge, pre-settlement and settlement to the fen, queries, every refused
//! move on the way, then 2305, 2405, 2302 and 2404, leaving the stay cancelled.

use super::inputs::{self, AdmitReq, AmountForm, FeeLine, SettleReq};
use super::outpatient::{Kind, entitled, judged, split_of};
use super::outpatient_moves::same_settlement;
use super::{Abort, Run, Step, expect_ok, expect_refusal, text_at};
use crate::client::Party;
use crate::json::Json;
use crate::profile::{InpatientProfile, Item, PersonProfile};
use crate::report::{Mismatch, Verdict};
use crate::time;

/// One stay as it goes.
struct Stay<'p> {
    party: Party,
    person: &'p PersonProfile,
    ip: &'p InpatientProfile,
    begntime: String,
    endtime: String,
    mdtrt_id: String,
    /// Lines uploaded, each with the serial number it refunds.
    lines: Vec<(FeeLine, Option<String>)>,
    setl_id: String,
    output: Json,
}

impl Stay<'_> {
    fn admit_req<'a>(&'a self, ipt_no: &'a str) -> AdmitReq<'a> {
        AdmitReq {
            person: self.person,
            begntime: &self.begntime,
            med_type: &self.ip.med_type,
            ipt_no,
            dept: (&self.ip.adm_dept_codg, &self.ip.adm_dept_name),
            dise: (&self.ip.dise_codg, &self.ip.dise_name),
        }
    }
    fn settle_req(&self) -> SettleReq<'_> {
        SettleReq {
            person: self.person,
            mdtrt_id: &self.mdtrt_id,
            chrg_bchno: None,
            med_type: &self.ip.med_type,
            medfee_fen: self.lines.iter().map(|(l, _)| l.amount_fen).sum(),
            acct_used_flag: &self.ip.acct_used_flag,
        }
    }
    fn psn(&self) -> String {
        self.person.psn_no.clone()
    }
}

const IDS: [&str; 36] = [
    "in.2001_treatment_check",
    "in.2401_admit",
    "refuse.in.2401_open_stay",
    "rev.2601_of_2401",
    "refuse.in.2402_cancelled",
    "refuse.in.2301_cancelled",
    "in.2401_readmit",
    "refuse.in.2304_admitted",
    "refuse.in.2405_admitted",
    "in.2403_change",
    "in.2301_upload",
    "in.2301_refund",
    "refuse.in.2302_refunded_alone",
    "refuse.in.2404_with_lines",
    "in.2402_discharge",
    "refuse.in.2402_discharged",
    "refuse.in.2404_discharged",
    "in.2303_pre_settle",
    "in.2304_settle",
    "refuse.in.2304_settled",
    "refuse.in.2301_settled",
    "refuse.in.2302_settled",
    "refuse.in.2402_settled",
    "refuse.in.2403_settled",
    "refuse.in.2405_settled",
    "refuse.in.2404_settled",
    "in.5203_query",
    "in.5204_lines",
    "in.2305_cancel",
    "refuse.in.2305_reversed",
    "in.2405_undo_discharge",
    "in.2302_withdraw",
    "in.2404_cancel",
    "refuse.in.2404_cancelled",
    "refuse.in.2403_cancelled",
    "refuse.in.2405_cancelled",
];

pub fn run(run: &mut Run<'_, '_>) -> Step<()> {
    let profile = run.profile;
    let Some(ip) = &profile.inpatient else {
        for id in IDS {
            run.report.push(id, Verdict::Skip("the profile has no [inpatient]".into()));
        }
        return Ok(());
    };
    run.report.plan(IDS.map(String::from));
    let party = run.party_for(ip.fixmedins_code.as_deref()).map_err(Abort)?;
    let now = time::beijing_datetime(time::unix_now());
    let mut stay = Stay {
        party,
        person: profile.person(&ip.person),
        ip,
        begntime: ip.begntime.clone().unwrap_or_else(|| now.clone()),
        endtime: ip.endtime.clone().unwrap_or(now),
        mdtrt_id: String::new(),
        lines: Vec::new(),
        setl_id: String::new(),
        output: Json::Null,
    };
    let result = forwards_and_back(run, &mut stay);
    if result.is_err() {
        clean_up(run, &stay);
    }
    result
}

fn forwards_and_back(run: &mut Run<'_, '_>, s: &mut Stay<'_>) -> Step<()> {
    let input = inputs::treatment_check(s.person, &s.ip.med_type, &s.begntime, &s.ip.dise_codg);
    let x = run.call(&s.party.clone(), "2001", input);
    run.check("in.2001_treatment_check", entitled(&x, s.person));
    admit_and_reverse(run, s)?;
    admitted(run, s)?;
    fees(run, s)?;
    discharged(run, s)?;
    settle(run, s)?;
    settled_moves(run, s);
    back(run, s)
}

/// 2401, refused again while open, reversed by 2601; the cancelled stay refuses every move.
fn admit_and_reverse(run: &mut Run<'_, '_>, s: &mut Stay<'_>) -> Step<()> {
    let party = s.party.clone();
    let msgid = run.client.next_msgid();
    let ipt_no = format!("ZY{}", run.client.next_msgid());
    let x = run.call_as(&party, "2401", &msgid, inputs::admit(&s.admit_req(&ipt_no)));
    let first = expect_ok(&x).and_then(|o| text_at(o, "result.mdtrt_id", "2401"));
    s.mdtrt_id = run.step("in.2401_admit", first)?;
    let other_no = format!("ZY{}", run.client.next_msgid());
    let x = run.call(&party, "2401", inputs::admit(&s.admit_req(&other_no)));
    run.check("refuse.in.2401_open_stay", expect_refusal(&x, 200, &["visit_state"]));
    let x = run.call(&party, "2601", inputs::reverse_call(&s.psn(), &msgid, "2401"));
    let reversed = expect_ok(&x).and_then(|o| match o.at("yidi_revsinfo.revs_rslt").and_then(Json::text) {
        None | Some("1") => Ok(()),
        Some(other) => Err(Mismatch::new("yidi_revsinfo.revs_rslt 1", other)),
    });
    run.step("rev.2601_of_2401", reversed)?;
    let line = FeeLine::of_item(&s.ip.items[0], "C1".into(), &s.begntime);
    let attempts = [
        (
            "refuse.in.2402_cancelled",
            "2402",
            inputs::discharge(&s.admit_req(&ipt_no), &s.mdtrt_id, &s.endtime),
        ),
        ("refuse.in.2301_cancelled", "2301", inputs::stay_fees(&s.psn(), &s.mdtrt_id, &[(line, None)])),
        ("refuse.in.2403_cancelled", "2403", inputs::change_admission(&s.psn(), &s.mdtrt_id, "X")),
        ("refuse.in.2405_cancelled", "2405", inputs::stay(&s.psn(), &s.mdtrt_id)),
    ];
    for (check, infno, input) in attempts {
        let x = run.call(&party, infno, input);
        run.check(check, expect_refusal(&x, 200, &["visit_state"]));
    }
    Ok(())
}

/// The second admission, and the moves an admitted stay refuses; 2403 changes it.
fn admitted(run: &mut Run<'_, '_>, s: &mut Stay<'_>) -> Step<()> {
    let party = s.party.clone();
    let ipt_no = format!("ZY{}", run.client.next_msgid());
    let x = run.call(&party, "2401", inputs::admit(&s.admit_req(&ipt_no)));
    let id = expect_ok(&x).and_then(|o| text_at(o, "result.mdtrt_id", "2401"));
    s.mdtrt_id = run.step("in.2401_readmit", id)?;
    let x = run.call(&party, "2304", inputs::settle(&s.settle_req(), &[], "ZF0"));
    run.check("refuse.in.2304_admitted", expect_refusal(&x, 200, &["visit_state"]));
    let x = run.call(&party, "2405", inputs::stay(&s.psn(), &s.mdtrt_id));
    run.check("refuse.in.2405_admitted", expect_refusal(&x, 200, &["visit_state"]));
    let x = run.call(&party, "2403", inputs::change_admission(&s.psn(), &s.mdtrt_id, &s.ip.adm_dept_name));
    run.step("in.2403_change", expect_ok(&x).map(|_| ()))
}

/// 2301 of the profile's lines plus one extra line, then a refund of the extra line in full
/// (§6 2301), which leaves the figures as the profile states them.
fn fees(run: &mut Run<'_, '_>, s: &mut Stay<'_>) -> Step<()> {
    let party = s.party.clone();
    let mut lines: Vec<(FeeLine, Option<String>)> =
        s.ip.items
            .iter()
            .enumerate()
            .map(|(n, item)| (FeeLine::of_item(item, format!("L{}", n + 1), &s.begntime), None))
            .collect();
    let one = Item { cnt: "1".into(), ..s.ip.items[0].clone() };
    let extra = FeeLine::of_item(&one, "LX".into(), &s.begntime);
    lines.push((extra.clone(), None));
    let x = run.call(&party, "2301", inputs::stay_fees(&s.psn(), &s.mdtrt_id, &lines));
    let rows = run.step("in.2301_upload", super::result_rows(&x, lines.len()))?;
    run.line_rows("2301", &rows);
    s.lines = lines;
    let refund = (extra.refund("LR".into(), "-1"), Some(extra.feedetl_sn.clone()));
    let x = run.call(&party, "2301", inputs::stay_fees(&s.psn(), &s.mdtrt_id, std::slice::from_ref(&refund)));
    let refunded = expect_ok(&x).map(|o| o.get("result").map_or(Vec::new(), |r| r.rows().to_vec()));
    let refunded = run.step("in.2301_refund", refunded)?;
    run.line_rows("2301 refund", &refunded);
    s.lines.push(refund);
    let x = run.call(&party, "2302", inputs::withdraw_stay_lines(&s.psn(), &s.mdtrt_id, &["LX"]));
    run.check("refuse.in.2302_refunded_alone", expect_refusal(&x, 200, &["bad_field"]));
    let x = run.call(&party, "2404", inputs::stay(&s.psn(), &s.mdtrt_id));
    run.check("refuse.in.2404_with_lines", expect_refusal(&x, 200, &["visit_state"]));
    Ok(())
}

/// 2402, and the moves a discharged stay refuses.
fn discharged(run: &mut Run<'_, '_>, s: &mut Stay<'_>) -> Step<()> {
    let party = s.party.clone();
    let ipt_no = String::from("-");
    let input = inputs::discharge(&s.admit_req(&ipt_no), &s.mdtrt_id, &s.endtime);
    let x = run.call(&party, "2402", input.clone());
    run.step("in.2402_discharge", expect_ok(&x).map(|_| ()))?;
    let x = run.call(&party, "2402", input);
    run.check("refuse.in.2402_discharged", expect_refusal(&x, 200, &["visit_state"]));
    let x = run.call(&party, "2404", inputs::stay(&s.psn(), &s.mdtrt_id));
    run.check("refuse.in.2404_discharged", expect_refusal(&x, 200, &["visit_state"]));
    Ok(())
}

/// 2303 and 2304, both to the fen.
fn settle(run: &mut Run<'_, '_>, s: &mut Stay<'_>) -> Step<()> {
    let party = s.party.clone();
    let x = run.call(&party, "2303", inputs::pre_settle(&s.settle_req(), AmountForm::Number));
    let pre = judged(run, "in.2303_pre_settle", &x, &s.ip.expected, Kind::PreSettlement)?;
    let msgid = run.client.next_msgid();
    let x = run.call_as(&party, "2304", &msgid, inputs::settle(&s.settle_req(), &split_of(&pre), "ZF1"));
    let output = judged(run, "in.2304_settle", &x, &s.ip.expected, Kind::Settlement)?;
    let setl_id = output.at("setlinfo.setl_id").and_then(Json::text).unwrap_or("").to_string();
    run.remember(&party, &output, &msgid, false);
    (s.setl_id, s.output) = (setl_id, output);
    Ok(())
}

/// Every move a settled stay refuses, and the queries.
fn settled_moves(run: &mut Run<'_, '_>, s: &Stay<'_>) {
    let party = s.party.clone();
    let (psn, id) = (s.psn(), s.mdtrt_id.clone());
    let line = FeeLine { feedetl_sn: "LS".into(), ..s.lines[0].0.clone() };
    let ipt_no = String::from("-");
    let attempts = [
        ("refuse.in.2304_settled", "2304", inputs::settle(&s.settle_req(), &[], "ZF2")),
        ("refuse.in.2301_settled", "2301", inputs::stay_fees(&psn, &id, &[(line, None)])),
        ("refuse.in.2302_settled", "2302", inputs::withdraw_stay_lines(&psn, &id, &["0000"])),
        ("refuse.in.2402_settled", "2402", inputs::discharge(&s.admit_req(&ipt_no), &id, &s.endtime)),
        ("refuse.in.2403_settled", "2403", inputs::change_admission(&psn, &id, "X")),
        ("refuse.in.2405_settled", "2405", inputs::stay(&psn, &id)),
        ("refuse.in.2404_settled", "2404", inputs::stay(&psn, &id)),
    ];
    for (check, infno, input) in attempts {
        let x = run.call(&party, infno, input);
        run.check(check, expect_refusal(&x, 200, &["visit_state"]));
    }
    let x = run.call(&party, "5203", inputs::settlement_query(&psn, &s.setl_id, &id));
    run.check("in.5203_query", same_settlement(&x, &s.output, "0"));
    let x = run.call(&party, "5204", inputs::lines_query(&psn, &id));
    let listed =
        expect_ok(&x).map(|o| o.get("data").map_or(Vec::new(), |d| d.rows().to_vec())).and_then(|rows| {
            run.line_rows("5204", &rows);
            let wrong: Vec<String> = s
                .lines
                .iter()
                .filter(|(l, _)| {
                    !rows.iter().any(|r| {
                        r.get("feedetl_sn").and_then(Json::text) == Some(l.feedetl_sn.as_str())
                            && r.get("setl_id").and_then(Json::text) == Some(s.setl_id.as_str())
                    })
                })
                .map(|(l, _)| l.feedetl_sn.clone())
                .collect();
            super::no_problems("every line of the stay with its setl_id", wrong)
        });
    run.check("in.5204_lines", listed);
}

/// 2305 (negated), refused again; 2405, 2302 of everything, 2404; the cancelled stay refuses.
fn back(run: &mut Run<'_, '_>, s: &mut Stay<'_>) -> Step<()> {
    let party = s.party.clone();
    let psn = s.psn();
    let msgid = run.client.next_msgid();
    let x = run.call_as(&party, "2305", &msgid, inputs::cancel_settlement(&psn, &s.mdtrt_id, &s.setl_id));
    let out = run.settlement_output(&x);
    let out = run.step("in.2305_cancel", out)?;
    run.negation("2305", &s.output, &out, &msgid);
    run.remember(&party, &out, &msgid, true);
    s.setl_id.clear();
    let setl_id = out.at("setlinfo.setl_id").and_then(Json::text).unwrap_or("").to_string();
    let x = run.call(&party, "2305", inputs::cancel_settlement(&psn, &s.mdtrt_id, &setl_id));
    // §6 names `already_reversed` for a cancelled settlement; §5 calls any move outside the state
    // machine `visit_state`. Either reading refuses the move.
    run.check("refuse.in.2305_reversed", expect_refusal(&x, 200, &["already_reversed", "visit_state"]));
    let id = s.mdtrt_id.clone();
    let x = run.call(&party, "2405", inputs::stay(&psn, &id));
    run.step("in.2405_undo_discharge", expect_ok(&x).map(|_| ()))?;
    let x = run.call(&party, "2302", inputs::withdraw_stay_lines(&psn, &id, &["0000"]));
    run.step("in.2302_withdraw", expect_ok(&x).map(|_| ()))?;
    let x = run.call(&party, "2404", inputs::stay(&psn, &id));
    run.step("in.2404_cancel", expect_ok(&x).map(|_| ()))?;
    s.mdtrt_id.clear();
    let x = run.call(&party, "2404", inputs::stay(&psn, &id));
    run.check("refuse.in.2404_cancelled", expect_refusal(&x, 200, &["visit_state"]));
    Ok(())
}

/// After a failed step: undo whatever state the stay reached.
fn clean_up(run: &mut Run<'_, '_>, s: &Stay<'_>) {
    if s.mdtrt_id.is_empty() {
        return;
    }
    let party = s.party.clone();
    let psn = s.psn();
    if !s.setl_id.is_empty() {
        run.call(&party, "2305", inputs::cancel_settlement(&psn, &s.mdtrt_id, &s.setl_id));
    }
    run.call(&party, "2405", inputs::stay(&psn, &s.mdtrt_id));
    run.call(&party, "2302", inputs::withdraw_stay_lines(&psn, &s.mdtrt_id, &["0000"]));
    run.call(&party, "2404", inputs::stay(&psn, &s.mdtrt_id));
}
