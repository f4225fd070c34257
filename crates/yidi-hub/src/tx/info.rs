//! Sign-in/out (9001/9002, recorded only) and person information (1101).

use yidi_domain::{CertNo, DateTime, FacilityCode};
use yidi_protocol::errors as codes;
use yidi_protocol::inputs::{In1101, In9001, In9002};
use yidi_protocol::outputs::{
    BaseInfoOut, FilingInfoOut, InsuInfoOut, PersonOut, SignInInfoOut, SignInOut, SignOutInfoOut, SignOutOut,
    age_years, psn_type, to_output_json,
};
use yidi_store::SignRecord;

use super::{Ctx, TxResult, err, ok};
use crate::state::State;

/// 9001: records a sign-in and issues `sign_no`.
pub fn sign_in(state: &mut State, ctx: &Ctx<'_>, i: &In9001) -> TxResult {
    let province = FacilityCode::parse(ctx.facility())
        .map(|c| c.division().province())
        .map_err(|e| err(codes::FORBIDDEN_FACILITY, "fixmedins_code", e.to_string()))?;
    let sign_no = state.seq.sign_no(province, ctx.now);
    state.put_sign(SignRecord {
        sign_no: sign_no.clone(),
        fixmedins_code: ctx.facility().to_string(),
        opter_no: i.opter_no.clone(),
        sign_in_time: ctx.now,
        sign_out_time: None,
    });
    ok(to_output_json(&SignInOut { signinoutb: SignInInfoOut { sign_time: ctx.now, sign_no } }))
}

/// 9002: records a sign-out of the caller's own sign-in.
pub fn sign_out(state: &mut State, ctx: &Ctx<'_>, i: &In9002) -> TxResult {
    let sign =
        state.signs.get(&i.sign_no).filter(|s| s.fixmedins_code == ctx.facility()).cloned().ok_or_else(
            || err(codes::BAD_FIELD, "input.signOut.sign_no", format!("签到编号 {} 不存在", i.sign_no)),
        )?;
    state.put_sign(SignRecord { sign_out_time: Some(ctx.now), ..sign });
    ok(to_output_json(&SignOutOut { signoutoutb: SignOutInfoOut { sign_time: ctx.now } }))
}

/// 1101: the person at the counter, keyed by identity number, with their filings (ext).
pub fn person_info(state: &mut State, ctx: &Ctx<'_>, i: &In1101) -> TxResult {
    let certno_text =
        if i.mdtrt_cert_type == "02" { Some(i.mdtrt_cert_no.as_str()) } else { i.certno.as_deref() };
    let unknown = |why: &str| {
        err(
            codes::UNKNOWN_PERSON,
            "input.data.mdtrt_cert_no",
            format!("未找到参保人：{why}；请核对证件号码和姓名"),
        )
    };
    let certno_text = certno_text.ok_or_else(|| unknown("电子凭证和社保卡需同时提供身份证号 certno"))?;
    let certno = CertNo::parse(certno_text).map_err(|e| unknown(&e.to_string()))?;
    let psn_no = state.psn_no_by_certno(&certno).ok_or_else(|| unknown("该身份证号无参保记录"))?;
    // Read through the agency overlay, so filings made through the agency API show at once.
    let handle = state.person_record(&psn_no);
    let record = handle.get().ok_or_else(|| unknown("该身份证号无参保记录"))?;
    if let Some(name) = &i.psn_name
        && name != &record.person.name
    {
        return Err(unknown("姓名与证件不符"));
    }
    let p = &record.person;
    let at = i.begntime.unwrap_or(ctx.now);
    let facility_division = FacilityCode::parse(ctx.facility()).ok().map(|c| c.division());
    let balance = state.person_state(&p.psn_no).acct_balance;
    let filings = record
        .filings
        .iter()
        .filter(|f| f.valid_for(at.date(), DateTime::start_of(at.date().add_days(1))))
        .map(|f| FilingInfoOut {
            filing_id: f.filing_id.clone(),
            category: f.category.as_str().to_string(),
            mdtrtarea_admvs: f.area.to_string(),
            begndate: f.begndate,
            enddate: f.enddate,
            covers_here: facility_division.is_some_and(|d| f.covers(d)),
        })
        .collect();
    let out = PersonOut {
        baseinfo: BaseInfoOut {
            psn_no: p.psn_no.clone(),
            psn_cert_type: "01".into(),
            certno: p.certno.as_str().to_string(),
            psn_name: p.name.clone(),
            gend: p.gend.as_str().to_string(),
            naty: None,
            brdy: p.brdy,
            age: age_years(p.brdy, at.date()),
        },
        insuinfo: vec![InsuInfoOut {
            balc: balance,
            insutype: p.insutype.as_str().to_string(),
            psn_type: psn_type(p.insutype, p.psn_group).to_string(),
            psn_insu_stas: "1".into(),
            psn_insu_date: None,
            paus_insu_date: None,
            cvlserv_flag: "0".into(),
            insuplc_admdvs: p.insuplc.to_string(),
            emp_name: None,
        }],
        idetinfo: Vec::new(),
        yidi_filinginfo: filings,
    };
    ok(to_output_json(&out))
}
