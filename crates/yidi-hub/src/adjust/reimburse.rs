//! Manual reimbursement (手工报销, rule 26): an insured-region agency clerk enters a bill the
//! person paid in cash, and the same engine (`yidi_adjudication::adjudicate`) computes what the
//! funds pay, with the **insured** province's catalog and the insured region's policy.
//!
//! Key design decision — one engine, a reimbursement view of the reference data. Manual
//! reimbursement exists for bills direct settlement could not take (a non-networked facility,
//! a region or facility not open for direct settlement, a failed settlement), so the engine's
//! §3 gates must not refuse it again. The hub therefore adjudicates against a small copy of the
//! reference data in which:
//! - the bill's facility is the only facility, open for every benefit kind (its pack row when it
//!   is known, keeping its level and agreement period; else built from the clerk's `facility_level`
//!   and the code's division, valid from the service date);
//! - every pooling region is open for direct settlement both ways;
//! - the catalog of the facility's province **is the insured province's catalog** (rule 26);
//! - only the insured region's policy is present.
//!
//! Everything else is the engine unchanged: the filing class and its reductions (a later filing
//! counts, as `setl_time` is the moment of reimbursement), deductible, caps and layers over the
//! person's current accumulators, which the reimbursement then updates like a settlement. The
//! personal account is never used (the person paid cash). Chronic care still needs a disease on
//! the national list (the pack has no other list).
//!
//! Never double-pay: a bill whose facility and visit number match a live direct settlement of the
//! person is refused, as is one already reimbursed (same facility and visit number, or receipt).

use std::collections::HashMap;

use yidi_adjudication::{Claim, Context, FeeLine};
use yidi_domain::{
    Date, DateTime, DivisionCode, Facility, FacilityCode, FacilityKind, Fen, MedType, PersonRecord, RefData,
    SourceRef,
};
use yidi_ledger::{Fund, FundAmounts};
use yidi_store::SettlementStatus;

use super::{AdjustEvent, ReimburseStatus, ReimbursedLine, Reimbursement, record, time_text};
use crate::agency::{AgencyError, AgencyUser};
use crate::state::State;

/// A checked bill.
#[derive(Clone, Debug)]
pub struct NewReimbursement {
    pub fixmedins_code: FacilityCode,
    pub fixmedins_name: Option<String>,
    /// 1–3, or 0 for a pharmacy; required when the facility is not in the pack.
    pub facility_level: Option<u8>,
    pub visit_no: String,
    pub receipt_no: String,
    pub med_type: MedType,
    pub begntime: DateTime,
    pub endtime: Option<DateTime>,
    pub dise_codg: Option<String>,
    pub emergency: bool,
    pub lines: Vec<FeeLine>,
}

fn conflict(code: &'static str, message: String) -> AgencyError {
    AgencyError::Conflict { code, message }
}

fn person_not_found(psn_no: &str) -> AgencyError {
    AgencyError::NotFound {
        code: "person_not_found",
        message: format!("本统筹区没有人员编号为 {psn_no} 的参保人，请核对人员编号"),
    }
}

/// The person, when insured in the agency's region (with agency filings applied).
fn scoped<'s>(state: &'s State, who: &AgencyUser, psn_no: &str) -> Result<&'s PersonRecord, AgencyError> {
    state
        .agency
        .person(&state.pack, psn_no)
        .filter(|r| crate::agency::insured_region(&state.pack.refdata, &r.person) == who.admdvs)
        .ok_or_else(|| person_not_found(psn_no))
}

/// The reference data the engine reads for a manual reimbursement (module doc).
fn reimbursement_view(
    refdata: &RefData,
    record: &PersonRecord,
    bill: &NewReimbursement,
) -> Result<RefData, AgencyError> {
    let person = &record.person;
    let code = &bill.fixmedins_code;
    let facility = match refdata.facilities.get(code) {
        Some(f) => Facility { open_inpatient: true, open_outpatient: true, open_chronic: true, ..f.clone() },
        None => {
            let level = bill.facility_level.ok_or_else(|| {
                AgencyError::Invalid(vec![super::problem(
                    "facility_level",
                    "该机构不在数据包中（非联网机构），请填写机构等级（1–3，药店 0）",
                )])
            })?;
            Facility {
                code: code.clone(),
                name: bill.fixmedins_name.clone().unwrap_or_else(|| code.to_string()),
                admdvs: code.division(),
                level,
                kind: if code.is_pharmacy() { FacilityKind::Pharmacy } else { FacilityKind::Hospital },
                open_inpatient: true,
                open_outpatient: true,
                open_chronic: true,
                chronic_diseases: Vec::new(),
                begndate: bill.begntime.date(),
                enddate: None,
                source: SourceRef::new("手工报销录入", 0),
            }
        }
    };
    let insured_province = person.insuplc.province();
    let catalog = refdata.catalogs.get(&insured_province).ok_or_else(|| {
        conflict(
            "no_catalog",
            format!("参保省 {insured_province} 没有医保目录，无法按参保地目录计算手工报销"),
        )
    })?;
    let policy = refdata.policies.get(&person.insuplc).ok_or_else(|| {
        conflict("no_policy", format!("参保地 {} 没有待遇政策，无法计算手工报销", person.insuplc))
    })?;
    let regions = refdata
        .regions
        .iter()
        .map(|(code, r)| {
            let open = yidi_domain::PoolingRegion {
                open_inpatient: true,
                open_outpatient: true,
                open_chronic: true,
                open_as_insured: true,
                open_as_treatment: true,
                ..r.clone()
            };
            (*code, open)
        })
        .collect();
    Ok(RefData {
        divisions: refdata.divisions.clone(),
        regions,
        catalogs: HashMap::from([(facility.admdvs.province(), catalog.clone())]),
        facilities: HashMap::from([(code.clone(), facility)]),
        chronic_diseases: refdata.chronic_diseases.clone(),
        policies: HashMap::from([(person.insuplc, policy.clone())]),
    })
}

/// Computes, posts and records a manual reimbursement; the person's accumulators change like a
/// settlement's.
pub(crate) fn compute(
    state: &mut State,
    who: &AgencyUser,
    psn_no: &str,
    bill: NewReimbursement,
    now: DateTime,
) -> Result<Reimbursement, AgencyError> {
    let record = scoped(state, who, psn_no)?.clone();
    let facility = bill.fixmedins_code.to_string();
    check_not_paid(state, psn_no, &facility, &bill)?;
    let view = reimbursement_view(&state.pack.refdata, &record, &bill)?;
    let reimb_id = format!("BX{}{:010}", who.admdvs, state.funds.adjust.next_seq());
    let claim = Claim {
        claim_id: reimb_id.clone(),
        psn_no: psn_no.to_string(),
        fixmedins_code: bill.fixmedins_code.clone(),
        med_type: bill.med_type,
        begntime: bill.begntime,
        endtime: bill.endtime,
        setl_time: now,
        dise_codg: bill.dise_codg.clone(),
        emergency: bill.emergency,
        acct_used: false,
        lines: bill.lines.clone(),
    };
    let before = state.person_state(psn_no);
    let ctx = Context { refdata: &view, person: Some(&record), state: &before };
    let s = yidi_adjudication::adjudicate(&ctx, &claim)
        .map_err(|r| conflict(r.err_code(), format!("无法计算手工报销：{r}")))?;
    let i = s.setlinfo;
    let amounts = FundAmounts::of(&[
        (Fund::basic(record.person.insutype), i.hifp_pay),
        (Fund::LargeAmount, i.hifob_pay),
        (Fund::CriticalIllness, i.hifmi_pay),
        (Fund::Assistance, i.maf_pay),
    ]);
    if amounts.is_zero() {
        return Err(conflict(
            "nothing_reimbursable",
            format!(
                "按参保地目录和政策计算，本次费用 {} 元中基金支付 0 元（符合范围 {} 元，起付线 {} 元），无可报销金额",
                i.medfee_sumamt, i.inscp_scp_amt, i.act_pay_dedc
            ),
        ));
    }
    let posting = yidi_ledger::reimbursement(record.person.insuplc, &amounts, now, &reimb_id)
        .map_err(|e| conflict("posting_refused", format!("无法记账：{e}")))?;
    let lines = s
        .lines
        .iter()
        .map(|l| ReimbursedLine {
            feedetl_sn: claim.lines[l.index].feedetl_sn.clone(),
            med_list_codg: claim.lines[l.index].med_list_codg.clone(),
            amount: l.amount.get(),
            chrgitm_lv: l.item.lv.as_str().to_string(),
            inscp_scp_amt: l.inscp.get(),
            fulamt_ownpay_amt: l.fulamt_ownpay.get(),
            overlmt_amt: l.overlmt.get(),
            preselfpay_amt: l.preselfpay.get(),
        })
        .collect();
    let trace = yidi_adjudication::explain(&s);
    let mut after = before.clone();
    after.apply(&s.delta);
    let reimbursement = Reimbursement {
        reimb_id,
        psn_no: psn_no.to_string(),
        insured_admdvs: who.admdvs.clone(),
        fixmedins_code: facility,
        fixmedins_name: bill.fixmedins_name.or_else(|| Some(s.facility.name.clone())),
        visit_no: bill.visit_no,
        receipt_no: bill.receipt_no,
        med_type: bill.med_type.to_string(),
        begntime: time_text(bill.begntime),
        endtime: bill.endtime.map(time_text),
        dise_codg: bill.dise_codg,
        medfee_sumamt: i.medfee_sumamt.get(),
        inscp_scp_amt: i.inscp_scp_amt.get(),
        fulamt_ownpay_amt: i.fulamt_ownpay_amt.get(),
        overlmt_selfpay: i.overlmt_selfpay.get(),
        preselfpay_amt: i.preselfpay_amt.get(),
        act_pay_dedc: i.act_pay_dedc.get(),
        hifp_pay: i.hifp_pay.get(),
        hifob_pay: i.hifob_pay.get(),
        hifmi_pay: i.hifmi_pay.get(),
        maf_pay: i.maf_pay.get(),
        fund_pay_sumamt: i.fund_pay_sumamt.get(),
        psn_part_amt: i.psn_part_amt.get(),
        lines,
        trace,
        status: ReimburseStatus::Computed,
        computed_at: time_text(now),
        computed_by: who.name.clone(),
        paid_at: None,
        paid_by: None,
        bank_serial: None,
    };
    state.put_posting(posting).map_err(|e| conflict("posting_refused", format!("无法记账：{e}")))?;
    state.put_person_state(psn_no, after);
    record_event(state, now, &who.name, &reimbursement);
    Ok(reimbursement)
}

fn record_event(state: &mut State, now: DateTime, by: &str, r: &Reimbursement) {
    record(state, now, by, AdjustEvent::Reimbursed(Box::new(r.clone())));
}

/// Refuses a bill the hub settled directly, or one already reimbursed.
fn check_not_paid(
    state: &State,
    psn_no: &str,
    facility: &str,
    bill: &NewReimbursement,
) -> Result<(), AgencyError> {
    for visit in
        state.visits_of(psn_no).filter(|v| v.fixmedins_code == facility && v.visit_no == bill.visit_no)
    {
        if let Some(st) =
            state.settlements_of_visit(&visit.mdtrt_id).find(|s| s.status == SettlementStatus::Settled)
        {
            return Err(conflict(
                "settled_directly",
                format!(
                    "该票据对应的就诊（机构 {facility}，就诊号 {}）已于 {} 直接结算（结算ID {}），不能再手工报销",
                    bill.visit_no, st.setl_time, st.setl_id
                ),
            ));
        }
    }
    if let Some(r) = state.funds.adjust.reimbursement_for(facility, &bill.visit_no, &bill.receipt_no) {
        return Err(conflict(
            "already_reimbursed",
            format!(
                "该票据（机构 {facility}，就诊号 {}，票据号 {}）已于 {} 手工报销（{}）",
                r.visit_no, r.receipt_no, r.computed_at, r.reimb_id
            ),
        ));
    }
    Ok(())
}

/// Records that a computed reimbursement was paid to the person.
pub(crate) fn pay(
    state: &mut State,
    who: &AgencyUser,
    reimb_id: &str,
    bank_serial: String,
    paid_on: Date,
    now: DateTime,
) -> Result<Reimbursement, AgencyError> {
    let r = state
        .funds
        .adjust
        .reimbursements
        .get(reimb_id)
        .filter(|r| r.insured_admdvs == who.admdvs)
        .ok_or_else(|| AgencyError::NotFound {
            code: "reimbursement_not_found",
            message: format!("本统筹区没有手工报销 {reimb_id}，请核对编号"),
        })?;
    if r.status == ReimburseStatus::Paid {
        return Err(conflict(
            "reimbursement_paid",
            format!("手工报销 {reimb_id} 已于 {} 支付", r.paid_at.clone().unwrap_or_default()),
        ));
    }
    let computed_on = r.computed_at.get(..10).and_then(|d| Date::parse(d).ok());
    if let Some(computed_on) = computed_on.filter(|d| paid_on < *d) {
        return Err(AgencyError::Invalid(vec![super::problem(
            "paid_on",
            &format!("支付日期 {paid_on} 早于该笔手工报销的核算日期 {computed_on}，请核对银行付款日期"),
        )]));
    }
    let region = DivisionCode::parse(
        &state
            .pack
            .persons
            .get(&r.psn_no)
            .map_or_else(|| r.insured_admdvs.clone(), |p| p.person.insuplc.to_string()),
    )
    .expect("a division code");
    let amount = Fen::new(r.fund_pay_sumamt);
    let posting = yidi_ledger::reimbursement_payment(region, amount, now, reimb_id)
        .map_err(|e| conflict("posting_refused", format!("无法记账：{e}")))?;
    state.put_posting(posting).map_err(|e| conflict("posting_refused", format!("无法记账：{e}")))?;
    let event = AdjustEvent::ReimbursementPaid {
        reimb_id: reimb_id.to_string(),
        paid_at: paid_on.to_string(),
        paid_by: who.name.clone(),
        bank_serial,
    };
    record(state, now, &who.name, event);
    Ok(state.funds.adjust.reimbursements[reimb_id].clone())
}
