//! Changes to a stay before it is settled (`protocol.md` §5–6): 2403 replaces admission data,
//! 2302 withdraws fee lines. Both need the stay admitted or discharged; a settled stay changes
//! only after its settlement is cancelled (2305).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};
use yidi_protocol::errors::{self as codes, Problem, ProtocolError};
use yidi_protocol::inputs::{AdmChange, DiseInfo, In2302, In2403};
use yidi_store::{FeeLineRecord, VisitRecord, VisitState};

use super::inpatient::{INPATIENT_MED_TYPES, main_diagnosis, stay};
use super::{Ctx, TxResult, err, ok};
use crate::state::State;

const CHANGEABLE: [VisitState; 2] = [VisitState::Open, VisitState::Discharged];

/// 2403: the given admission fields replace the stay's; a new `begntime` moves the service date
/// (the rules in force on the new admission date apply at settlement); `diseinfo` replaces the
/// diagnoses.
pub fn change_admission(state: &mut State, ctx: &Ctx<'_>, i: &In2403) -> TxResult {
    let a = &i.adminfo;
    let v = stay(state, ctx, &a.mdtrt_id, &a.psn_no, "input.adminfo.mdtrt_id", &CHANGEABLE)?.clone();
    check_change(state, ctx, &v, a)?;
    let main = i.diseinfo.as_deref().and_then(main_diagnosis);
    let changed = VisitRecord {
        med_type: a.med_type.clone().or_else(|| v.med_type.clone()),
        begntime: a.begntime.unwrap_or(v.begntime),
        endtime: a.endtime.or(v.endtime),
        visit_no: a.ipt_no.clone().unwrap_or_else(|| v.visit_no.clone()),
        dise_codg: a.dise_codg.clone().or(main).or_else(|| v.dise_codg.clone()),
        extra_json: merged_extra(&v.extra_json, a, i.diseinfo.as_deref()),
        ..v
    };
    state.put_visit(changed);
    ok("{}".to_string())
}

/// Everything 2403 checks before it changes anything.
fn check_change(state: &State, ctx: &Ctx<'_>, v: &VisitRecord, a: &AdmChange) -> Result<(), ProtocolError> {
    if let Some(m) = &a.med_type {
        if !INPATIENT_MED_TYPES.contains(&m.as_str()) {
            return Err(err(
                codes::MED_TYPE_NOT_SUPPORTED,
                "input.adminfo.med_type",
                format!("住院医疗类别 {m} 未开通跨区域直接结算（可用 21、22、24、28），请改用可结算的类别"),
            ));
        }
        if m == "28" && v.med_type.as_deref() != Some("28") && a.oprn_oprt_code.is_none() {
            return Err(err(
                codes::BAD_FIELD,
                "input.adminfo.oprn_oprt_code",
                "改为日间手术（28）时必须同时填写手术操作代码".into(),
            ));
        }
    }
    if let Some(no) = a.ipt_no.as_ref().filter(|no| **no != v.visit_no)
        && let Some(other) = state.open_visit_nos.get(&(ctx.facility().to_string(), no.clone()))
    {
        return Err(err(
            codes::VISIT_STATE,
            "input.adminfo.ipt_no",
            format!("住院号 {no} 已用于未结束的就诊 {other}，请使用其他住院号"),
        ));
    }
    if a.endtime.is_some() && v.state == VisitState::Open {
        return Err(err(
            codes::VISIT_STATE,
            "input.adminfo.endtime",
            format!("住院 {} 尚未出院，不能修改出院时间；出院请办理出院（2402）", v.mdtrt_id),
        ));
    }
    let begin = a.begntime.unwrap_or(v.begntime);
    if let Some(end) = a.endtime.or(v.endtime)
        && end < begin
    {
        let field = if a.begntime.is_some() { "begntime" } else { "endtime" };
        return Err(err(
            codes::BAD_FIELD,
            &format!("input.adminfo.{field}"),
            format!("入院时间 {begin} 晚于出院时间 {end}，请核对"),
        ));
    }
    Ok(())
}

/// The stay's stored national fields with the given ones replaced (`extra_json`, kept for
/// queries); `diseinfo`, when sent, replaces the stored diagnoses whole.
fn merged_extra(stored: &str, a: &AdmChange, diseinfo: Option<&[DiseInfo]>) -> String {
    let mut extra: Map<String, Value> = serde_json::from_str(stored).unwrap_or_default();
    let given = [
        ("mdtrt_cert_type", &a.mdtrt_cert_type),
        ("mdtrt_cert_no", &a.mdtrt_cert_no),
        ("adm_dept_codg", &a.adm_dept_codg),
        ("adm_dept_name", &a.adm_dept_name),
        ("oprn_oprt_code", &a.oprn_oprt_code),
        ("atddr_no", &a.atddr_no),
        ("chfpdr_name", &a.chfpdr_name),
        ("adm_diag_dscr", &a.adm_diag_dscr),
        ("dise_name", &a.dise_name),
    ];
    for (key, value) in given {
        if let Some(value) = value {
            extra.insert(key.to_string(), Value::String(value.clone()));
        }
    }
    if let Some(rows) = diseinfo {
        let rows = rows
            .iter()
            .map(|d| {
                json!({"diag_type": d.diag_type, "diag_srt_no": d.diag_srt_no, "diag_code": d.diag_code,
                    "diag_name": d.diag_name, "maindiag_flag": d.maindiag_flag.map(|m| if m { "1" } else { "0" }),
                    "diag_dept": d.diag_dept, "dise_dor_no": d.dise_dor_no, "dise_dor_name": d.dise_dor_name,
                    "diag_time": d.diag_time.map(|t| t.to_string())})
            })
            .collect();
        extra.insert("diseinfo".to_string(), Value::Array(rows));
    }
    Value::Object(extra).to_string()
}

/// 2302: withdraws live lines of a stay (`feedetl_sn` `0000` = all). A refunded line goes only
/// with its refunds, so a withdrawal never leaves a refund without the line it refunds.
pub fn withdraw_fees(state: &mut State, ctx: &Ctx<'_>, i: &In2302) -> TxResult {
    let first =
        i.lines.first().ok_or_else(|| err(codes::BAD_FIELD, "input.data", "没有要撤销的明细".into()))?;
    let v = stay(state, ctx, &first.mdtrt_id, &first.psn_no, "input.data[0].mdtrt_id", &CHANGEABLE)?.clone();
    let live: BTreeMap<&str, &FeeLineRecord> =
        state.live_lines(&v.mdtrt_id).map(|l| (l.feedetl_sn.as_str(), l)).collect();
    let mut problems = Vec::new();
    let mut chosen: BTreeSet<&str> = BTreeSet::new();
    for (n, row) in i.lines.iter().enumerate() {
        let path = format!("input.data[{n}]");
        if row.mdtrt_id != v.mdtrt_id || row.psn_no != v.psn_no {
            problems.push(Problem::new(format!("{path}.mdtrt_id"), "一次撤销只能属于同一住院和同一参保人"));
        } else if row.feedetl_sn == "0000" {
            chosen.extend(live.keys());
        } else if let Some((sn, _)) = live.get_key_value(row.feedetl_sn.as_str()) {
            chosen.insert(sn);
        } else {
            let reason = format!("明细 {} 不存在或已撤销，请核对明细流水号", row.feedetl_sn);
            problems.push(Problem::new(format!("{path}.feedetl_sn"), reason));
        }
    }
    let mut refunds: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for l in live.values() {
        if let Some(init) = l.init_feedetl_sn.as_deref() {
            refunds.entry(init).or_default().push(l.feedetl_sn.as_str());
        }
    }
    for (n, row) in i.lines.iter().enumerate().filter(|(_, r)| chosen.contains(r.feedetl_sn.as_str())) {
        let of_row = refunds.get(row.feedetl_sn.as_str()).map(Vec::as_slice).unwrap_or_default();
        let kept: Vec<&str> = of_row.iter().copied().filter(|sn| !chosen.contains(sn)).collect();
        if !kept.is_empty() {
            let reason = format!(
                "明细 {} 有退费明细 {}，须与退费明细一并撤销（同时列出，或先撤销退费明细）",
                row.feedetl_sn,
                kept.join("、")
            );
            problems.push(Problem::new(format!("input.data[{n}].feedetl_sn"), reason));
        }
    }
    if !problems.is_empty() {
        return Err(ProtocolError::new(codes::BAD_FIELD, problems));
    }
    let withdrawn: Vec<FeeLineRecord> =
        chosen.iter().filter_map(|sn| live.get(sn)).map(|l| (*l).clone()).collect();
    for line in withdrawn {
        state.put_line(FeeLineRecord { live: false, msgid: ctx.msgid().to_string(), ..line });
    }
    ok("{}".to_string())
}
