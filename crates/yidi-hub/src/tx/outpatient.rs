//! Outpatient flow (`protocol.md` §5): 2201 register → 2203 visit info → 2204 fees (by charge
//! batch) → 2206 pre-settle → 2207 settle → 2208 cancel; 2205 withdraws fees, 2202 cancels the
//! registration.

use std::collections::BTreeSet;

use yidi_domain::FacilityCode;
use yidi_protocol::errors::{self as codes, Problem, ProtocolError};
use yidi_protocol::inputs::{In2201, In2202, In2203, In2204, In2205, In2206, In2208};
use yidi_protocol::outputs::{FeeUploadOut, RegisterOut, VisitIdOut, to_output_json};
use yidi_store::{FeeLineRecord, VisitKind, VisitRecord, VisitState};

use super::fees::{self, LineMeta, Upload};
use super::settle::{self, Request};
use super::{Ctx, TxResult, check_insutype, err, ok, own_visit, person};
use crate::state::State;

const OUTPATIENT_MED_TYPES: [&str; 3] = ["11", "13", "14"];

fn division_of(code: &str) -> Result<yidi_domain::DivisionCode, ProtocolError> {
    FacilityCode::parse(code)
        .map(|c| c.division())
        .map_err(|e| err(codes::FORBIDDEN_FACILITY, "fixmedins_code", e.to_string()))
}

/// 2201: registers a visit.
pub fn register(state: &mut State, ctx: &Ctx<'_>, i: &In2201) -> TxResult {
    let p = person(state, &i.psn_no, "input.data.psn_no")?;
    check_insutype(p, &i.insutype, "input.data.insutype")?;
    let key = (ctx.facility().to_string(), i.ipt_otp_no.clone());
    if let Some(other) = state.open_visit_nos.get(&key) {
        return Err(err(
            codes::VISIT_STATE,
            "input.data.ipt_otp_no",
            format!(
                "门诊号 {} 已用于未结束的就诊 {other}，请使用新的门诊号或先撤销该挂号（2202）",
                i.ipt_otp_no
            ),
        ));
    }
    let mdtrt_id = state.seq.mdtrt_id(division_of(ctx.facility())?);
    state.put_visit(VisitRecord {
        mdtrt_id: mdtrt_id.clone(),
        fixmedins_code: ctx.facility().to_string(),
        psn_no: i.psn_no.clone(),
        kind: VisitKind::Outpatient,
        insutype: i.insutype.clone(),
        med_type: None,
        begntime: i.begntime,
        endtime: None,
        visit_no: i.ipt_otp_no.clone(),
        dise_codg: None,
        state: VisitState::Open,
        extra_json: "{}".to_string(),
        msgid: ctx.msgid().to_string(),
    });
    ok(to_output_json(&RegisterOut {
        data: VisitIdOut { mdtrt_id, psn_no: i.psn_no.clone(), ipt_otp_no: i.ipt_otp_no.clone() },
    }))
}

fn open_visit<'s>(
    state: &'s State,
    ctx: &Ctx<'_>,
    mdtrt_id: &str,
    psn_no: &str,
    path: &str,
) -> Result<&'s VisitRecord, ProtocolError> {
    let v = own_visit(state, ctx, mdtrt_id, psn_no, VisitKind::Outpatient, path)?;
    if v.state != VisitState::Open {
        return Err(err(
            codes::VISIT_STATE,
            path,
            format!("就诊 {mdtrt_id} 已撤销，不能再办理；请重新挂号（2201）"),
        ));
    }
    Ok(v)
}

fn settled_batch(state: &State, mdtrt_id: &str, batch: &str) -> Option<String> {
    state
        .live_lines(mdtrt_id)
        .filter(|l| l.chrg_bchno.as_deref() == Some(batch))
        .find_map(|l| l.setl_id.clone())
}

/// 2202: cancels a registration with its unsettled lines.
pub fn cancel_registration(state: &mut State, ctx: &Ctx<'_>, i: &In2202) -> TxResult {
    let v = open_visit(state, ctx, &i.mdtrt_id, &i.psn_no, "input.data.mdtrt_id")?.clone();
    if v.visit_no != i.ipt_otp_no {
        return Err(err(
            codes::BAD_FIELD,
            "input.data.ipt_otp_no",
            format!("门诊号 {} 与就诊 {} 不一致", i.ipt_otp_no, i.mdtrt_id),
        ));
    }
    if let Some(setl) = state.live_settlements(&v.mdtrt_id).next() {
        return Err(err(
            codes::VISIT_STATE,
            "input.data.mdtrt_id",
            format!("就诊 {} 已有结算（结算ID {}），请先撤销结算（2208）", v.mdtrt_id, setl.setl_id),
        ));
    }
    let lines: Vec<FeeLineRecord> = state.live_lines(&v.mdtrt_id).cloned().collect();
    for line in lines {
        state.put_line(FeeLineRecord { live: false, ..line });
    }
    state.put_visit(VisitRecord { state: VisitState::Cancelled, ..v });
    ok("{}".to_string())
}

/// 2203: the visit's medical type and diagnosis (replaces earlier data).
pub fn visit_info(state: &mut State, ctx: &Ctx<'_>, i: &In2203) -> TxResult {
    let m = &i.mdtrtinfo;
    let v = open_visit(state, ctx, &m.mdtrt_id, &m.psn_no, "input.mdtrtinfo.mdtrt_id")?.clone();
    if !OUTPATIENT_MED_TYPES.contains(&m.med_type.as_str()) {
        return Err(err(
            codes::MED_TYPE_NOT_SUPPORTED,
            "input.mdtrtinfo.med_type",
            format!(
                "门诊医疗类别 {} 未开通跨区域直接结算（可用 11、13、14），请按参保地手工报销处理",
                m.med_type
            ),
        ));
    }
    if m.med_type == "14" && m.dise_codg.is_none() {
        return Err(err(
            codes::BAD_FIELD,
            "input.mdtrtinfo.dise_codg",
            "门诊慢特病（14）必须填写病种诊断编码".into(),
        ));
    }
    if let Some(setl) = state.live_settlements(&v.mdtrt_id).next() {
        return Err(err(
            codes::VISIT_STATE,
            "input.mdtrtinfo.mdtrt_id",
            format!("就诊已有结算（结算ID {}），请先撤销（2208）", setl.setl_id),
        ));
    }
    let dise = m.dise_codg.clone().or_else(|| i.diseinfo.first().map(|d| d.diag_code.clone()));
    state.put_visit(VisitRecord {
        med_type: Some(m.med_type.clone()),
        begntime: m.begntime,
        dise_codg: dise,
        ..v
    });
    ok("{}".to_string())
}

/// 2204: uploads fee lines of one visit (all or nothing, every bad line listed).
pub fn upload_fees(state: &mut State, ctx: &Ctx<'_>, i: &In2204) -> TxResult {
    let first =
        i.lines.first().ok_or_else(|| err(codes::BAD_FIELD, "input.feedetail", "没有费用明细".into()))?;
    let v = open_visit(state, ctx, &first.mdtrt_id, &first.psn_no, "input.feedetail[0].mdtrt_id")?.clone();
    let mut problems = Vec::new();
    let live: BTreeSet<String> = state.live_lines(&v.mdtrt_id).map(|l| l.feedetl_sn.clone()).collect();
    let mut seen = BTreeSet::new();
    let mut batch_dise: std::collections::BTreeMap<&str, &str> = Default::default();
    for (n, l) in i.lines.iter().enumerate() {
        let path = format!("input.feedetail[{n}]");
        if l.mdtrt_id != v.mdtrt_id || l.psn_no != v.psn_no {
            problems.push(Problem::new(
                format!("{path}.mdtrt_id"),
                "一次上传只能属于同一就诊和同一参保人".to_string(),
            ));
        }
        if live.contains(&l.feedetl_sn) || !seen.insert(l.feedetl_sn.clone()) {
            problems.push(Problem::new(
                format!("{path}.feedetl_sn"),
                format!("明细流水号 {} 已存在，请使用新的流水号", l.feedetl_sn),
            ));
        }
        if let Some(setl_id) = settled_batch(state, &v.mdtrt_id, &l.chrg_bchno) {
            problems.push(Problem::new(
                format!("{path}.chrg_bchno"),
                format!("批次{}已结算(结算ID {setl_id})，请先撤销(2208)", l.chrg_bchno),
            ));
        }
        if let Some(d) = &l.dise_codg
            && batch_dise.insert(&l.chrg_bchno, d).is_some_and(|prev| prev != d)
        {
            problems.push(Problem::new(
                format!("{path}.dise_codg"),
                format!("批次 {} 只能有一个诊断编码", l.chrg_bchno),
            ));
        }
    }
    if !problems.is_empty() {
        let code = if problems.iter().any(|p| p.path.ends_with("chrg_bchno")) {
            codes::VISIT_STATE
        } else {
            codes::BAD_FIELD
        };
        return Err(ProtocolError::new(code, problems));
    }
    let uploads: Vec<Upload> = i
        .lines
        .iter()
        .enumerate()
        .map(|(n, l)| Upload {
            path: format!("input.feedetail[{n}]"),
            feedetl_sn: l.feedetl_sn.clone(),
            med_list_codg: l.med_list_codg.clone(),
            cnt: l.cnt,
            pric: l.pric,
            amount: l.det_item_fee_sumamt,
            fee_ocur_time: l.fee_ocur_time,
        })
        .collect();
    let med_type = v.med_type.clone().unwrap_or_else(|| "11".into());
    let dise = v.dise_codg.clone().or_else(|| i.lines.iter().find_map(|l| l.dise_codg.clone()));
    let result = fees::split(state, &v, &med_type, dise.as_deref(), &uploads)?;
    for l in &i.lines {
        let meta = LineMeta { dise_codg: l.dise_codg.clone(), er_flag: l.er_flag };
        state.put_line(FeeLineRecord {
            mdtrt_id: v.mdtrt_id.clone(),
            feedetl_sn: l.feedetl_sn.clone(),
            chrg_bchno: Some(l.chrg_bchno.clone()),
            med_list_codg: l.med_list_codg.clone(),
            medins_list_codg: l.medins_list_codg.clone(),
            cnt: l.cnt,
            pric: l.pric,
            amount: l.det_item_fee_sumamt,
            fee_ocur_time: l.fee_ocur_time,
            init_feedetl_sn: None,
            live: true,
            setl_id: None,
            extra_json: fees::meta_json(&meta),
            msgid: ctx.msgid().to_string(),
        });
    }
    ok(to_output_json(&FeeUploadOut { result }))
}

/// 2205: withdraws the unsettled lines of a batch (`0000` = every unsettled batch).
pub fn withdraw_fees(state: &mut State, ctx: &Ctx<'_>, i: &In2205) -> TxResult {
    let v = open_visit(state, ctx, &i.mdtrt_id, &i.psn_no, "input.data.mdtrt_id")?.clone();
    let all = i.chrg_bchno == "0000";
    if !all && let Some(setl_id) = settled_batch(state, &v.mdtrt_id, &i.chrg_bchno) {
        return Err(err(
            codes::VISIT_STATE,
            "input.data.chrg_bchno",
            format!("批次{}已结算(结算ID {setl_id})，请先撤销(2208)", i.chrg_bchno),
        ));
    }
    let lines: Vec<FeeLineRecord> = state
        .live_lines(&v.mdtrt_id)
        .filter(|l| l.setl_id.is_none() && (all || l.chrg_bchno.as_deref() == Some(i.chrg_bchno.as_str())))
        .cloned()
        .collect();
    for line in lines {
        state.put_line(FeeLineRecord { live: false, msgid: ctx.msgid().to_string(), ..line });
    }
    ok("{}".to_string())
}

/// 2206 (pre-settlement, `invono` = None) and 2207 (settlement).
pub fn settle(state: &mut State, ctx: &Ctx<'_>, i: &In2206, settle_invono: Option<Option<&str>>) -> TxResult {
    let v = open_visit(state, ctx, &i.mdtrt_id, &i.psn_no, "input.data.mdtrt_id")?.clone();
    let p = person(state, &i.psn_no, "input.data.psn_no")?;
    check_insutype(p, &i.insutype, "input.data.insutype")?;
    if let Some(setl_id) = settled_batch(state, &v.mdtrt_id, &i.chrg_bchno) {
        return Err(err(
            codes::VISIT_STATE,
            "input.data.chrg_bchno",
            format!("批次{}已结算(结算ID {setl_id})，请先撤销(2208)", i.chrg_bchno),
        ));
    }
    let lines: Vec<FeeLineRecord> = state
        .live_lines(&v.mdtrt_id)
        .filter(|l| l.chrg_bchno.as_deref() == Some(i.chrg_bchno.as_str()))
        .cloned()
        .collect();
    let metas: Vec<LineMeta> = lines.iter().map(fees::meta).collect();
    let req = Request {
        med_type: v.med_type.clone().unwrap_or_else(|| i.med_type.clone()),
        dise_codg: v.dise_codg.clone().or_else(|| metas.iter().find_map(|m| m.dise_codg.clone())),
        emergency: metas.iter().any(|m| m.er_flag),
        acct_used: i.acct_used_flag,
        mdtrt_cert_type: i.mdtrt_cert_type.clone(),
        declared_medfee: i.medfee_sumamt,
        split: i.split,
        chrg_bchno: Some(i.chrg_bchno.clone()),
        commit: settle_invono.is_some(),
        path: "input.data",
        visit: v,
        lines,
    };
    settle::settle(state, ctx, req)
}

/// 2208: cancels an outpatient settlement.
pub fn reverse(state: &mut State, ctx: &Ctx<'_>, i: &In2208) -> TxResult {
    own_visit(state, ctx, &i.mdtrt_id, &i.psn_no, VisitKind::Outpatient, "input.data.mdtrt_id")?;
    settle::reverse(state, ctx, &i.setl_id, &i.mdtrt_id, &i.psn_no, "input.data")
}
