//! Fee upload shared by 2204 and 2301: every line checked (amount and catalog code, all problems
//! listed), split with the treatment province's catalog, and answered line by line.

use serde::{Deserialize, Serialize};
use yidi_adjudication::{Claim, FeeLine, LineResult, Unmet, classify_lines};
use yidi_domain::{ChrgitmLv, DateTime, FacilityCode, Fen, MedType, Price, Qty, line_fen};
use yidi_protocol::errors::{self as codes, Problem, ProtocolError};
use yidi_protocol::outputs::{FeeResultOut, med_chrgitm_type};
use yidi_store::{FeeLineRecord, VisitRecord};

use crate::state::State;

/// Per-line facts kept in `FeeLineRecord::extra_json` for settlement.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LineMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dise_codg: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub er_flag: bool,
}

pub fn meta(line: &FeeLineRecord) -> LineMeta {
    serde_json::from_str(&line.extra_json).unwrap_or_default()
}

pub fn meta_json(meta: &LineMeta) -> String {
    serde_json::to_string(meta).expect("line meta serialises")
}

/// One uploaded line, whichever transaction sent it.
pub struct Upload {
    pub path: String,
    pub feedetl_sn: String,
    pub med_list_codg: String,
    pub cnt: Qty,
    pub pric: Price,
    pub amount: Fen,
    pub fee_ocur_time: DateTime,
}

/// Checks amounts and codes of all lines (every problem listed), then splits them.
pub fn split(
    state: &State,
    visit: &VisitRecord,
    med_type: &str,
    dise: Option<&str>,
    lines: &[Upload],
) -> Result<Vec<FeeResultOut>, ProtocolError> {
    let pack = state.pack.clone();
    let facility_code = FacilityCode::parse(&visit.fixmedins_code)
        .map_err(|e| super::err(codes::BAD_FIELD, "fixmedins_code", e.to_string()))?;
    let facility = pack.refdata.facilities.get(&facility_code);
    let mut amount_problems = Vec::new();
    let mut code_problems = Vec::new();
    for l in lines {
        let computed = line_fen(l.cnt, l.pric);
        if computed != l.amount {
            amount_problems.push(Problem::new(
                format!("{}.det_item_fee_sumamt", l.path),
                format!("明细 {}：金额 {} 元与数量×单价 {computed} 元不一致", l.feedetl_sn, l.amount),
            ));
        }
        let known = facility
            .and_then(|f| pack.refdata.catalogs.get(&f.admdvs.province()))
            .and_then(|c| c.lookup(&l.med_list_codg, l.fee_ocur_time.date()));
        if known.is_none() {
            code_problems.push(Problem::new(
                format!("{}.med_list_codg", l.path),
                format!(
                    "明细 {}：医保目录编码 {} 在 {} 不在就医地支付目录中，请核对目录对照",
                    l.feedetl_sn,
                    l.med_list_codg,
                    l.fee_ocur_time.date()
                ),
            ));
        }
    }
    if !amount_problems.is_empty() {
        amount_problems.extend(code_problems);
        return Err(ProtocolError::new(codes::AMOUNT_MISMATCH, amount_problems));
    }
    if !code_problems.is_empty() {
        return Err(ProtocolError::new(codes::UNKNOWN_CATALOG_CODE, code_problems));
    }
    let Some(facility) = facility else {
        return Err(super::err(
            codes::FACILITY_NOT_OPEN,
            "fixmedins_code",
            format!("定点机构 {} 不在名单中", visit.fixmedins_code),
        ));
    };
    let claim = Claim {
        claim_id: String::new(),
        psn_no: visit.psn_no.clone(),
        fixmedins_code: facility_code,
        med_type: MedType::parse(med_type).unwrap_or_else(|_| MedType::parse("11").expect("11")),
        begntime: visit.begntime,
        endtime: None,
        setl_time: visit.begntime,
        dise_codg: dise.map(str::to_string),
        emergency: false,
        acct_used: false,
        lines: lines
            .iter()
            .map(|l| FeeLine {
                feedetl_sn: l.feedetl_sn.clone(),
                med_list_codg: l.med_list_codg.clone(),
                cnt: l.cnt,
                pric: l.pric,
                amount: l.amount,
                fee_ocur_time: Some(l.fee_ocur_time),
            })
            .collect(),
    };
    let (results, _) = classify_lines(&pack.refdata, facility, &claim)
        .map_err(|r| super::err(r.err_code(), "input.feedetail", r.to_string()))?;
    Ok(results.iter().map(|r| result_row(&claim.lines[r.index], r)).collect())
}

fn result_row(line: &FeeLine, r: &LineResult<'_>) -> FeeResultOut {
    let item = r.item;
    let memo = match (r.unmet, item.lv) {
        (Some(Unmet::MedType), _) => Some("限定医疗类别不符，全自费".to_string()),
        (Some(Unmet::MinLevel), _) => Some("限定医疗机构等级不符，全自费".to_string()),
        (Some(Unmet::Diagnosis), _) => Some("限定诊断不符，全自费".to_string()),
        (None, ChrgitmLv::C) => Some("丙类，全自费".to_string()),
        _ => None,
    };
    FeeResultOut {
        feedetl_sn: line.feedetl_sn.clone(),
        det_item_fee_sumamt: line.amount,
        cnt: line.cnt,
        pric: line.pric,
        pric_uplmt_amt: item.price_cap,
        selfpay_prop: item.selfpay_prop,
        fulamt_ownpay_amt: r.fulamt_ownpay,
        overlmt_amt: r.overlmt,
        preselfpay_amt: r.preselfpay,
        inscp_scp_amt: r.inscp,
        chrgitm_lv: item.lv.as_str().to_string(),
        med_chrgitm_type: med_chrgitm_type(&item.code, item.list_type).to_string(),
        bas_medn_flag: None,
        hi_nego_drug_flag: None,
        chld_medc_flag: None,
        list_sp_item_flag: None,
        lmt_used_flag: r.unmet.is_some()
            || !item.lmt_med_types.is_empty()
            || item.lmt_min_level.is_some()
            || item.lmt_dise_prefix.is_some(),
        drt_reim_flag: None,
        memo,
    }
}
