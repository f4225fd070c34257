//! The outpatient cycle's checks around its settled state: queries (5203/5204), reconciliation
//! of live settlements (3201), another facility's attempts on this visit (§3.4), every refused
//! move of §5 on a settled batch and on a cancelled visit, and the 2601 pair (reinstate a 2208,
//! then reverse the 2207).

use super::inputs::{self, AmountForm, FeeLine};
use super::outpatient::Visit;
use super::{Run, Step, expect_ok, expect_refusal, recon};
use crate::client::Exchange;
use crate::json::Json;
use crate::report::{Check, Mismatch, Verdict};

pub const IDS: [&str; 13] = [
    "out.5203_query",
    "out.5204_lines",
    "auth.foreign_mdtrt_id",
    "auth.foreign_setl_id",
    "auth.foreign_msgid",
    "refuse.out.2204_settled_batch",
    "refuse.out.2205_settled_batch",
    "refuse.out.2206_settled_batch",
    "refuse.out.2207_settled_batch",
    "refuse.out.2203_with_settlement",
    "refuse.out.2202_with_settlement",
    "refuse.out.2201_visit_no_in_use",
    "refuse.out.2205_cancelled",
];

/// Everything checked while every batch is settled.
pub fn while_settled(run: &mut Run<'_, '_>, v: &Visit<'_>) {
    let party = v.party.clone();
    let psn = v.person.psn_no.clone();
    let b = &v.batches[0];
    let x = run.call(&party, "5203", inputs::settlement_query(&psn, &b.setl_id, &v.mdtrt_id));
    run.check("out.5203_query", same_settlement(&x, &b.output, "0"));
    let x = run.call(&party, "5204", inputs::lines_query(&psn, &v.mdtrt_id));
    let result = lines_listed(run, &x, v);
    run.check("out.5204_lines", result);
    let live: Vec<super::Record> =
        run.records.iter().filter(|r| r.facility == party.code && !r.cancel).cloned().collect();
    recon::totals(run, &party, &live);
    foreign(run, v);
    refused_moves(run, v);
}

/// A 5203 answer: every `setlinfo` field as the settlement answered it, and `refd_setl_flag`.
pub fn same_settlement(x: &Exchange, settled: &Json, refd_setl_flag: &str) -> Check {
    let out = expect_ok(x)?;
    let (Some(info), Some(want)) = (out.get("setlinfo"), settled.get("setlinfo")) else {
        return Err(Mismatch::new("setlinfo", out.to_string()));
    };
    let differing: Vec<&str> =
        want.fields().iter().filter(|(k, v)| info.get(k) != Some(v)).map(|(k, _)| k.as_str()).collect();
    let flag = info.get("refd_setl_flag").and_then(Json::text);
    if differing.is_empty() && flag == Some(refd_setl_flag) {
        return Ok(());
    }
    Err(Mismatch::new(
        format!("the settlement as answered, refd_setl_flag {refd_setl_flag}"),
        format!("differs in [{}], refd_setl_flag {flag:?}", differing.join(", ")),
    ))
}

/// 5204 lists every uploaded line with its batch's `setl_id`.
fn lines_listed(run: &mut Run<'_, '_>, x: &Exchange, v: &Visit<'_>) -> Check {
    let out = expect_ok(x)?;
    let rows = out.get("data").map_or(&[][..], Json::rows).to_vec();
    run.line_rows("5204", &rows);
    let mut wrong = Vec::new();
    for b in &v.batches {
        for l in &b.lines {
            let row =
                rows.iter().find(|r| r.get("feedetl_sn").and_then(Json::text) == Some(l.feedetl_sn.as_str()));
            match row.map(|r| r.get("setl_id").and_then(Json::text)) {
                Some(Some(id)) if id == b.setl_id => {}
                Some(other) => wrong.push(format!("{} setl_id {other:?}", l.feedetl_sn)),
                None => wrong.push(format!("{} missing", l.feedetl_sn)),
            }
        }
    }
    super::no_problems("every uploaded line with its settlement's setl_id", wrong)
}

/// Another facility names this visit, settlement and `msgid`: each is unknown to it (§3.4).
fn foreign(run: &mut Run<'_, '_>, v: &Visit<'_>) {
    let Some(other) = run.other.clone() else {
        let why = "needs --other-paasid/--other-token (or --demo with other_fixmedins_code in the profile)";
        for id in ["auth.foreign_mdtrt_id", "auth.foreign_setl_id", "auth.foreign_msgid"] {
            run.report.push(id, Verdict::Skip(why.into()));
        }
        return;
    };
    let psn = v.person.psn_no.clone();
    let b = &v.batches[0];
    let input = inputs::visit_info(
        &psn,
        &v.mdtrt_id,
        &v.op.med_type,
        &v.begntime,
        (&v.op.dise_codg, &v.op.dise_name),
    );
    let x = run.call(&other, "2203", input);
    run.check("auth.foreign_mdtrt_id", expect_refusal(&x, 200, &["visit_not_found"]));
    let x = run.call(&other, "5203", inputs::settlement_query(&psn, &b.setl_id, &v.mdtrt_id));
    run.check("auth.foreign_setl_id", expect_refusal(&x, 200, &["setl_not_found", "visit_not_found"]));
    let x = run.call(&other, "2601", inputs::reverse_call(&psn, &b.settle_msgid, "2207"));
    let nothing = x.output().and_then(|o| o.at("yidi_revsinfo.revs_rslt")).and_then(Json::text) == Some("0");
    let untouched = if x.is_success() && !nothing {
        Err(Mismatch::new("another facility's 2601 of this 2207 to reverse nothing", x.gist()))
    } else {
        let x = run.call(&v.party.clone(), "5203", inputs::settlement_query(&psn, &b.setl_id, &v.mdtrt_id));
        same_settlement(&x, &b.output, "0")
    };
    run.check("auth.foreign_msgid", untouched);
}

/// Every move §5 refuses while the first batch is settled.
fn refused_moves(run: &mut Run<'_, '_>, v: &Visit<'_>) {
    let party = v.party.clone();
    let (psn, id) = (v.person.psn_no.clone(), v.mdtrt_id.clone());
    let b = &v.batches[0];
    let extra = FeeLine { feedetl_sn: "B1X1".into(), ..b.lines[0].clone() };
    let attempts = [
        (
            "refuse.out.2204_settled_batch",
            "2204",
            inputs::outpatient_fees(&psn, &id, &b.chrg_bchno, &[extra]),
        ),
        ("refuse.out.2205_settled_batch", "2205", inputs::withdraw_batch(&psn, &id, &b.chrg_bchno)),
        ("refuse.out.2206_settled_batch", "2206", inputs::pre_settle(&v.req(b), AmountForm::Number)),
        ("refuse.out.2207_settled_batch", "2207", inputs::settle(&v.req(b), &[], "FP8")),
        (
            "refuse.out.2203_with_settlement",
            "2203",
            inputs::visit_info(&psn, &id, &v.op.med_type, &v.begntime, (&v.op.dise_codg, &v.op.dise_name)),
        ),
        ("refuse.out.2202_with_settlement", "2202", inputs::cancel_registration(&psn, &id, &v.ipt_otp_no)),
        (
            "refuse.out.2201_visit_no_in_use",
            "2201",
            inputs::register(v.person, &v.person.insutype, &v.begntime, &v.ipt_otp_no),
        ),
    ];
    for (check, infno, input) in attempts {
        let x = run.call(&party, infno, input);
        run.check(check, expect_refusal(&x, 200, &["visit_state"]));
    }
}

/// 2601 of the 2208 `cancel_msgid` reinstates batch `k` with its original figures; 2601 of its
/// 2207 then reverses it, and a second 2601 of that 2207 is `already_reversed`.
pub fn reinstate_then_reverse(
    run: &mut Run<'_, '_>,
    v: &mut Visit<'_>,
    k: usize,
    cancel_msgid: &str,
) -> Step<()> {
    let party = v.party.clone();
    let psn = v.person.psn_no.clone();
    let x = run.call(&party, "2601", inputs::reverse_call(&psn, cancel_msgid, "2208"));
    let settled = v.batches[k].output.clone();
    let reinstated = run.settlement_output(&x).and_then(|out| {
        let same = out.get("setlinfo") == settled.get("setlinfo")
            && out.get("setldetail") == settled.get("setldetail");
        if same { Ok(()) } else { Err(Mismatch::new("the settlement's own output again", out.to_string())) }
    });
    run.step("rev.2601_reinstate", reinstated)?;
    let setl_id = v.batches[k].setl_id.clone();
    run.forget_cancellation(&setl_id);
    v.batches[k].live = true;
    let msgid = run.client.next_msgid();
    let omsgid = v.batches[k].settle_msgid.clone();
    let x = run.call_as(&party, "2601", &msgid, inputs::reverse_call(&psn, &omsgid, "2207"));
    let out = run.settlement_output(&x);
    let out = run.step("rev.2601_of_2207", out)?;
    run.negation("2601 of a 2207", &settled, &out, &msgid);
    run.remember(&party, &out, &msgid, true);
    v.batches[k].live = false;
    let x = run.call(&party, "2601", inputs::reverse_call(&psn, &omsgid, "2207"));
    run.check("refuse.rev.2601_repeat", expect_refusal(&x, 200, &["already_reversed"]));
    Ok(())
}

/// Moves on a cancelled visit, and the first settlement queried after cancellation.
pub fn after_cancel(run: &mut Run<'_, '_>, v: &Visit<'_>) {
    let party = v.party.clone();
    let (psn, id) = (v.person.psn_no.clone(), v.mdtrt_id.clone());
    let b = &v.batches[0];
    let extra = FeeLine { feedetl_sn: "B1X2".into(), ..b.lines[0].clone() };
    let attempts = [
        (
            "refuse.out.2203_cancelled",
            "2203",
            inputs::visit_info(&psn, &id, &v.op.med_type, &v.begntime, (&v.op.dise_codg, &v.op.dise_name)),
        ),
        ("refuse.out.2204_cancelled", "2204", inputs::outpatient_fees(&psn, &id, &b.chrg_bchno, &[extra])),
        ("refuse.out.2205_cancelled", "2205", inputs::withdraw_batch(&psn, &id, "0000")),
        ("refuse.out.2202_cancelled", "2202", inputs::cancel_registration(&psn, &id, &v.ipt_otp_no)),
    ];
    for (check, infno, input) in attempts {
        let x = run.call(&party, infno, input);
        run.check(check, expect_refusal(&x, 200, &["visit_state"]));
    }
    let x = run.call(&party, "5203", inputs::settlement_query(&psn, &b.setl_id, &v.mdtrt_id));
    run.check("out.5203_after_cancel", same_settlement(&x, &b.output, "1"));
}
