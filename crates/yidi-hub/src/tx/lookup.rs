//! Look-ups a counter makes before any visit exists: the facility list (1201) and the treatment
//! check (2001), which runs the engine's own eligibility checks (`settlement.md` §3–5) so that it
//! can never promise what a settlement would then refuse.

use yidi_adjudication::{Claim, Context, Eligibility, check_eligibility};
use yidi_domain::{AdjustmentForm, Date, FacilityCode, FacilityKind, InsuType, LayerField, MedType};
use yidi_protocol::inputs::{In1201, In2001};
use yidi_protocol::limits::MEDINSINFO_ROWS_MAX;
use yidi_protocol::outputs::{MedinsInfoOut, MedinsOut, TrtInfoOut, TrtOut, to_output_json};

use super::{Ctx, TxResult, ok};
use crate::state::State;

/// 1201: facilities of the pack matching every given criterion, by code, at most
/// [`MEDINSINFO_ROWS_MAX`]. Public: any facility may ask about any other.
pub fn facilities(state: &State, i: &In1201) -> TxResult {
    let wanted_kind = |kind: FacilityKind| match i.fixmedins_type.as_deref() {
        None => true,
        Some("1") => kind != FacilityKind::Pharmacy,
        Some("2") => kind == FacilityKind::Pharmacy,
        Some(_) => false,
    };
    let mut rows: Vec<MedinsInfoOut> = state
        .pack
        .refdata
        .facilities
        .values()
        .filter(|f| wanted_kind(f.kind))
        .filter(|f| i.fixmedins_code.as_deref().is_none_or(|c| f.code.as_str() == c))
        .filter(|f| i.fixmedins_name.as_deref().is_none_or(|n| f.name.contains(n)))
        .map(|f| MedinsInfoOut {
            fixmedins_code: f.code.as_str().to_string(),
            fixmedins_name: f.name.clone(),
            uscc: None,
            fixmedins_type: if f.kind == FacilityKind::Pharmacy { "2" } else { "1" }.to_string(),
            hosp_lv: f.level.to_string(),
        })
        .collect();
    rows.sort_by(|a, b| a.fixmedins_code.cmp(&b.fixmedins_code));
    rows.truncate(MEDINSINFO_ROWS_MAX);
    ok(to_output_json(&MedinsOut { medinsinfo: rows }))
}

/// 2001: a row per fund that would pay this care at the calling facility, each with the filing
/// class; a refusal is one row with flag 0 and the engine's reason (not `infcode` −1), so the
/// counter sees why before registering.
pub fn treatment_check(state: &State, ctx: &Ctx<'_>, i: &In2001) -> TxResult {
    let service_date = i.begntime.date();
    let rows = match fund_rows(state, ctx, i) {
        Ok(rows) => rows,
        Err(reason) => vec![TrtInfoOut {
            psn_no: i.psn_no.clone(),
            trt_chk_type: "1".to_string(),
            fund_pay_type: format!("{}100", i.insutype),
            trt_enjymnt_flag: false,
            begndate: service_date,
            enddate: i.endtime.map(|t| t.date()),
            trt_chk_rslt: reason,
        }],
    };
    ok(to_output_json(&TrtOut { trtinfo: rows }))
}

/// Runs the eligibility checks; `Err` is the reason to show in a refusal row.
fn fund_rows(state: &State, ctx: &Ctx<'_>, i: &In2001) -> Result<Vec<TrtInfoOut>, String> {
    let pack = &state.pack;
    // The pack's record with the agencies' filings laid over it, as settlement reads it.
    let record_ref = state.person_record(&i.psn_no);
    let record = record_ref.get();
    if let Some(r) = record
        && r.person.insutype.as_str() != i.insutype
    {
        let own = r.person.insutype.as_str();
        return Err(format!("险种类型 {} 不是该参保人的险种（{own}），请按 1101 返回的险种查询", i.insutype));
    }
    let claim = Claim {
        claim_id: ctx.msgid().to_string(),
        psn_no: i.psn_no.clone(),
        fixmedins_code: FacilityCode::parse(ctx.facility()).map_err(|e| e.to_string())?,
        med_type: MedType::parse(&i.med_type).map_err(|e| e.to_string())?,
        begntime: i.begntime,
        endtime: i.endtime,
        setl_time: ctx.now,
        dise_codg: i.dise_codg.clone(),
        emergency: false,
        acct_used: false,
        lines: Vec::new(),
    };
    let person_state = state.person_state(&i.psn_no);
    let engine = Context { refdata: &pack.refdata, person: record, state: &person_state };
    let e = check_eligibility(&engine, &claim).map_err(|r| r.to_string())?;
    Ok(rows_of(&e, &i.psn_no, claim.service_date()))
}

/// The funds the selected policy would pay from, in the national `setldetail` order.
fn rows_of(e: &Eligibility<'_>, psn_no: &str, service_date: Date) -> Vec<TrtInfoOut> {
    let person = &e.record.person;
    let class = e.filing.class.name_zh();
    let (begndate, enddate) = benefit_period(e, service_date);
    let row = |fund: &str, flag: bool, rslt: String| TrtInfoOut {
        psn_no: psn_no.to_string(),
        trt_chk_type: "1".to_string(),
        fund_pay_type: fund.to_string(),
        trt_enjymnt_flag: flag,
        begndate,
        enddate,
        trt_chk_rslt: rslt,
    };
    let basic = match person.insutype {
        InsuType::Employee => "310100",
        InsuType::Resident => "390100",
    };
    if e.filing.adjustment.is_some_and(|(_, a)| a.form == AdjustmentForm::Excluded) {
        let why = format!("{class}：参保地规定此类就医基金不予支付，费用由个人负担");
        return vec![row(basic, false, why)];
    }
    let mut funds = vec![basic];
    for layer in &e.policy.layers {
        funds.push(match layer.field {
            LayerField::Hifob => "330100",
            LayerField::Hifmi => "390200",
        });
    }
    if person.assist_class.is_some_and(|c| e.region_policy.assistance_for(c).is_some()) {
        funds.push("610100");
    }
    let order = ["310100", "390100", "330100", "390200", "610100"];
    funds.sort_by_key(|f| order.iter().position(|o| o == f));
    funds.dedup();
    funds.into_iter().map(|f| row(f, true, class.to_string())).collect()
}

/// The filing's validity when a filing decides the class, else the policy year of the service
/// date (the period the accumulators and caps count in).
fn benefit_period(e: &Eligibility<'_>, service_date: Date) -> (Date, Option<Date>) {
    if let Some(f) = e.filing.filing {
        return (f.begndate, f.enddate);
    }
    let start = e.region_policy.year_start;
    let year = service_date.policy_year(start);
    let on = |y: i32| Date::new(y, start.month(), start.day()).expect("a policy year starts on a valid date");
    (on(year), Some(on(year + 1).add_days(-1)))
}
