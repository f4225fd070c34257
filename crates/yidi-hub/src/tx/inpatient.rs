//! Inpatient flow (`protocol.md` §5): 2401 admit → 2301 fees (refund lines allowed) → 2402
//! discharge → 2303 pre-settle → 2304 settle → 2305 cancel; 2405 undoes a discharge, 2404 cancels
//! an admission without live lines.

use std::collections::BTreeSet;

use yidi_domain::FacilityCode;
use yidi_protocol::errors::{self as codes, Problem, ProtocolError};
use yidi_protocol::inputs::{In2301, In2303, In2305, In2401, In2402, In2404, In2405};
use yidi_protocol::outputs::{AdmitOut, FeeUploadOut, StayIdOut, to_output_json};
use yidi_store::{FeeLineRecord, VisitKind, VisitRecord, VisitState};

use super::fees::{self, LineMeta, Upload};
use super::settle::{self, Request};
use super::{Ctx, TxResult, check_insutype, err, ok, own_visit, person};
use crate::state::State;

pub(super) const INPATIENT_MED_TYPES: [&str; 4] = ["21", "22", "24", "28"];

pub(super) fn stay<'s>(
    state: &'s State,
    ctx: &Ctx<'_>,
    mdtrt_id: &str,
    psn_no: &str,
    path: &str,
    allowed: &[VisitState],
) -> Result<&'s VisitRecord, ProtocolError> {
    let v = own_visit(state, ctx, mdtrt_id, psn_no, VisitKind::Inpatient, path)?;
    if !allowed.contains(&v.state) {
        let now = match v.state {
            VisitState::Open => "在院（未出院），请先办理出院（2402）",
            VisitState::Discharged => "已出院，请先撤销出院（2405）",
            VisitState::Settled => "已结算，请先撤销结算（2305）",
            VisitState::Cancelled => "已撤销入院，不能再办理",
        };
        return Err(err(codes::VISIT_STATE, path, format!("住院 {mdtrt_id} {now}")));
    }
    Ok(v)
}

/// 2401: admits a patient.
pub fn admit(state: &mut State, ctx: &Ctx<'_>, i: &In2401) -> TxResult {
    let m = &i.mdtrtinfo;
    let p = person(state, &m.psn_no, "input.mdtrtinfo.psn_no")?;
    check_insutype(p, &m.insutype, "input.mdtrtinfo.insutype")?;
    if !INPATIENT_MED_TYPES.contains(&m.med_type.as_str()) {
        return Err(err(
            codes::MED_TYPE_NOT_SUPPORTED,
            "input.mdtrtinfo.med_type",
            format!("住院医疗类别 {} 未开通跨区域直接结算（可用 21、22、24、28）", m.med_type),
        ));
    }
    if m.med_type == "28" && m.oprn_oprt_code.is_none() {
        return Err(err(
            codes::BAD_FIELD,
            "input.mdtrtinfo.oprn_oprt_code",
            "日间手术（28）必须填写手术操作代码".into(),
        ));
    }
    if state.open_visit_nos.contains_key(&(ctx.facility().to_string(), m.ipt_no.clone())) {
        return Err(err(
            codes::VISIT_STATE,
            "input.mdtrtinfo.ipt_no",
            format!("住院号 {} 已用于未结束的住院，请核对", m.ipt_no),
        ));
    }
    if state.open_stay_of(&m.psn_no).is_some() {
        return Err(err(
            codes::VISIT_STATE,
            "input.mdtrtinfo.psn_no",
            "该参保人在结算中心有未结算的住院，请先办理出院结算或撤销入院".into(),
        ));
    }
    let division = FacilityCode::parse(ctx.facility())
        .map(|c| c.division())
        .map_err(|e| err(codes::FORBIDDEN_FACILITY, "fixmedins_code", e.to_string()))?;
    let mdtrt_id = state.seq.mdtrt_id(division);
    let dise = m.dise_codg.clone().or_else(|| main_diagnosis(&i.diseinfo));
    state.put_visit(VisitRecord {
        mdtrt_id: mdtrt_id.clone(),
        fixmedins_code: ctx.facility().to_string(),
        psn_no: m.psn_no.clone(),
        kind: VisitKind::Inpatient,
        insutype: m.insutype.clone(),
        med_type: Some(m.med_type.clone()),
        begntime: m.begntime,
        endtime: None,
        visit_no: m.ipt_no.clone(),
        dise_codg: dise,
        state: VisitState::Open,
        extra_json: "{}".to_string(),
        msgid: ctx.msgid().to_string(),
    });
    ok(to_output_json(&AdmitOut {
        result: StayIdOut { mdtrt_id, psn_no: m.psn_no.clone(), ipt_no: m.ipt_no.clone() },
    }))
}

pub(super) fn main_diagnosis(d: &[yidi_protocol::inputs::DiseInfo]) -> Option<String> {
    d.iter().find(|x| x.maindiag_flag == Some(true)).or(d.first()).map(|x| x.diag_code.clone())
}

/// 2402: discharges.
pub fn discharge(state: &mut State, ctx: &Ctx<'_>, i: &In2402) -> TxResult {
    let d = &i.dscginfo;
    let v = stay(state, ctx, &d.mdtrt_id, &d.psn_no, "input.dscginfo.mdtrt_id", &[VisitState::Open])?.clone();
    if d.endtime < v.begntime {
        return Err(err(
            codes::BAD_FIELD,
            "input.dscginfo.endtime",
            format!("出院时间 {} 早于入院时间 {}", d.endtime, v.begntime),
        ));
    }
    let dise = d.dise_codg.clone().or_else(|| main_diagnosis(&i.diseinfo)).or(v.dise_codg.clone());
    state.put_visit(VisitRecord {
        state: VisitState::Discharged,
        endtime: Some(d.endtime),
        dise_codg: dise,
        ..v
    });
    ok("{}".to_string())
}

/// 2404: cancels an admission that has no live lines.
pub fn cancel_admission(state: &mut State, ctx: &Ctx<'_>, i: &In2404) -> TxResult {
    let v = stay(state, ctx, &i.mdtrt_id, &i.psn_no, "input.data.mdtrt_id", &[VisitState::Open])?.clone();
    if state.live_lines(&v.mdtrt_id).next().is_some() {
        return Err(err(
            codes::VISIT_STATE,
            "input.data.mdtrt_id",
            "住院还有费用明细，请先撤销明细（2302）".into(),
        ));
    }
    state.put_visit(VisitRecord { state: VisitState::Cancelled, ..v });
    ok("{}".to_string())
}

/// 2405: undoes a discharge.
pub fn cancel_discharge(state: &mut State, ctx: &Ctx<'_>, i: &In2405) -> TxResult {
    let v =
        stay(state, ctx, &i.mdtrt_id, &i.psn_no, "input.data.mdtrt_id", &[VisitState::Discharged])?.clone();
    state.put_visit(VisitRecord { state: VisitState::Open, endtime: None, ..v });
    ok("{}".to_string())
}

/// 2301: uploads stay fee lines; a refund line (cnt < 0) names a live positive line with the
/// same code and price and never refunds more than it.
pub fn upload_fees(state: &mut State, ctx: &Ctx<'_>, i: &In2301) -> TxResult {
    let first =
        i.lines.first().ok_or_else(|| err(codes::BAD_FIELD, "input.feedetail", "没有费用明细".into()))?;
    let open = [VisitState::Open, VisitState::Discharged];
    let v = stay(state, ctx, &first.mdtrt_id, &first.psn_no, "input.feedetail[0].mdtrt_id", &open)?.clone();
    let live: Vec<FeeLineRecord> = state.live_lines(&v.mdtrt_id).cloned().collect();
    let live_sns: BTreeSet<&str> = live.iter().map(|l| l.feedetl_sn.as_str()).collect();
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    let mut uploads = Vec::new();
    for (n, l) in i.lines.iter().enumerate() {
        let path = format!("input.feedetail[{n}]");
        if l.mdtrt_id != v.mdtrt_id || l.psn_no != v.psn_no {
            problems.push(Problem::new(
                format!("{path}.mdtrt_id"),
                "一次上传只能属于同一住院和同一参保人".to_string(),
            ));
        }
        if live_sns.contains(l.feedetl_sn.as_str()) || !seen.insert(l.feedetl_sn.clone()) {
            problems.push(Problem::new(
                format!("{path}.feedetl_sn"),
                format!("明细流水号 {} 已存在", l.feedetl_sn),
            ));
        }
        if l.cnt.is_negative() {
            match refund_problem(&live, &i.lines, l) {
                Some(reason) => problems.push(Problem::new(format!("{path}.init_feedetl_sn"), reason)),
                None => continue, // refunds are not re-split; they net into their original line
            }
        }
        uploads.push(Upload {
            path,
            feedetl_sn: l.feedetl_sn.clone(),
            med_list_codg: l.med_list_codg.clone(),
            cnt: l.cnt,
            pric: l.pric,
            amount: l.det_item_fee_sumamt,
            fee_ocur_time: l.fee_ocur_time,
        });
    }
    if !problems.is_empty() {
        return Err(ProtocolError::new(codes::BAD_FIELD, problems));
    }
    let med_type = v.med_type.clone().unwrap_or_else(|| "21".into());
    let result = fees::split(state, &v, &med_type, v.dise_codg.as_deref(), &uploads)?;
    for l in &i.lines {
        state.put_line(FeeLineRecord {
            mdtrt_id: v.mdtrt_id.clone(),
            feedetl_sn: l.feedetl_sn.clone(),
            chrg_bchno: None,
            med_list_codg: l.med_list_codg.clone(),
            medins_list_codg: l.medins_list_codg.clone(),
            cnt: l.cnt,
            pric: l.pric,
            amount: l.det_item_fee_sumamt,
            fee_ocur_time: l.fee_ocur_time,
            init_feedetl_sn: l.init_feedetl_sn.clone(),
            live: true,
            setl_id: None,
            extra_json: fees::meta_json(&LineMeta { dise_codg: l.dise_codg.clone(), er_flag: l.er_flag }),
            msgid: ctx.msgid().to_string(),
        });
    }
    ok(to_output_json(&FeeUploadOut { result }))
}

/// Why a refund line is not acceptable, if it is not.
fn refund_problem(
    live: &[FeeLineRecord],
    batch: &[yidi_protocol::inputs::IptFeeDetail],
    l: &yidi_protocol::inputs::IptFeeDetail,
) -> Option<String> {
    let Some(init) = &l.init_feedetl_sn else {
        return Some("退费明细（数量为负）必须填写原明细流水号 init_feedetl_sn".to_string());
    };
    let Some(orig) =
        live.iter().find(|o| &o.feedetl_sn == init && o.init_feedetl_sn.is_none() && !o.cnt.is_negative())
    else {
        return Some(format!("原明细 {init} 不存在或不是有效的收费明细"));
    };
    if orig.med_list_codg != l.med_list_codg || orig.pric != l.pric {
        return Some(format!("退费明细的目录编码和单价必须与原明细 {init} 相同"));
    }
    let refunded: i64 = live
        .iter()
        .filter(|o| o.init_feedetl_sn.as_deref() == Some(init))
        .map(|o| o.cnt.ten_thousandths())
        .sum::<i64>()
        + batch
            .iter()
            .filter(|o| o.init_feedetl_sn.as_deref() == Some(init))
            .map(|o| o.cnt.ten_thousandths())
            .sum::<i64>();
    if orig.cnt.ten_thousandths() + refunded < 0 {
        return Some(format!("退费数量合计超过原明细 {init} 的数量 {}", orig.cnt));
    }
    None
}

/// 2303 (pre-settlement) and 2304 (settlement, stay discharged).
pub fn settle(state: &mut State, ctx: &Ctx<'_>, i: &In2303, commit: bool) -> TxResult {
    let allowed: &[VisitState] =
        if commit { &[VisitState::Discharged] } else { &[VisitState::Open, VisitState::Discharged] };
    let v = stay(state, ctx, &i.mdtrt_id, &i.psn_no, "input.data.mdtrt_id", allowed)?.clone();
    let p = person(state, &i.psn_no, "input.data.psn_no")?;
    check_insutype(p, &i.insutype, "input.data.insutype")?;
    let lines: Vec<FeeLineRecord> = state.live_lines(&v.mdtrt_id).cloned().collect();
    let metas: Vec<LineMeta> = lines.iter().map(fees::meta).collect();
    let req = Request {
        med_type: v.med_type.clone().unwrap_or_else(|| "21".into()),
        dise_codg: v.dise_codg.clone().or_else(|| metas.iter().find_map(|m| m.dise_codg.clone())),
        emergency: metas.iter().any(|m| m.er_flag),
        acct_used: i.acct_used_flag,
        mdtrt_cert_type: i.mdtrt_cert_type.clone(),
        declared_medfee: i.medfee_sumamt,
        split: i.split,
        chrg_bchno: None,
        commit,
        path: "input.data",
        visit: v,
        lines,
    };
    settle::settle(state, ctx, req)
}

/// 2305: cancels a stay's settlement; the stay is discharged again.
pub fn reverse(state: &mut State, ctx: &Ctx<'_>, i: &In2305) -> TxResult {
    stay(state, ctx, &i.mdtrt_id, &i.psn_no, "input.data.mdtrt_id", &[VisitState::Settled])?;
    settle::reverse(state, ctx, &i.setl_id, &i.mdtrt_id, &i.psn_no, "input.data")
}
