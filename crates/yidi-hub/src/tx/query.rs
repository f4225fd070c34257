//! Queries of a facility's own records (`protocol.md` §6): a settlement as answered (5203) and the
//! live fee lines of a visit with their split, page by page (5204). Reads change nothing.
//!
//! Line splits are not stored: 5204 re-runs the engine's line classification
//! (`settlement.md` §2) on the page's lines, as settlement itself does, so a query and the next
//! settlement always split alike.

use yidi_adjudication::{Claim, FeeLine, classify_lines};
use yidi_domain::{Facility, FacilityCode, Fen, MedType, Qty};
use yidi_protocol::errors::{self as codes, ProtocolError};
use yidi_protocol::inputs::{In5203, In5204};
use yidi_protocol::limits::PAGE_5204_LEN_MAX;
use yidi_protocol::outputs::{FeeQueryOut, FeeQueryPageOut, PageInfoOut, med_chrgitm_type, to_output_json};
use yidi_store::{FeeLineRecord, SettlementRecord, SettlementStatus, VisitKind, VisitRecord};

use super::fees;
use super::{Ctx, TxResult, err, ok, own_visit};
use crate::negate::append_setlinfo_field;
use crate::state::State;

/// The caller's own settlement of that visit and person; anything else is `setl_not_found`.
fn own_settlement<'s>(
    state: &'s State,
    ctx: &Ctx<'_>,
    setl_id: &str,
    mdtrt_id: &str,
    psn_no: &str,
    path: &str,
) -> Result<&'s SettlementRecord, ProtocolError> {
    state
        .settlements
        .get(setl_id)
        .filter(|s| s.fixmedins_code == ctx.facility() && s.mdtrt_id == mdtrt_id && s.psn_no == psn_no)
        .ok_or_else(|| {
            let reason = format!("就诊 {mdtrt_id} 下没有结算ID {setl_id}，请核对结算ID、就诊ID和人员编号");
            err(codes::SETL_NOT_FOUND, path, reason)
        })
}

/// 5203: the settlement's output as it was answered, with `refd_setl_flag` (`1` once cancelled).
pub fn settlement_info(state: &State, ctx: &Ctx<'_>, i: &In5203) -> TxResult {
    let st = own_settlement(state, ctx, &i.setl_id, &i.mdtrt_id, &i.psn_no, "input.data.setl_id")?;
    let flag = if st.status == SettlementStatus::Reversed { "1" } else { "0" };
    let output = append_setlinfo_field(&st.output_json, "refd_setl_flag", &to_output_json(&flag))
        .ok_or_else(|| {
            let reason = format!("结算 {} 的存档无法读取，请联系结算中心", st.setl_id);
            err(codes::SETL_NOT_FOUND, "input.data.setl_id", reason)
        })?;
    ok(output)
}

/// 5204: the visit's live lines (of one settlement when `setl_id` is given), a page of
/// [`PAGE_5204_LEN_MAX`] at a time, in `feedetl_sn` order, with their split and settlement.
pub fn fee_lines(state: &State, ctx: &Ctx<'_>, i: &In5204) -> TxResult {
    let kind = state.visits.get(&i.mdtrt_id).map_or(VisitKind::Outpatient, |v| v.kind);
    let v = own_visit(state, ctx, &i.mdtrt_id, &i.psn_no, kind, "input.data.mdtrt_id")?;
    if let Some(setl_id) = &i.setl_id {
        own_settlement(state, ctx, setl_id, &v.mdtrt_id, &v.psn_no, "input.data.setl_id")?;
    }
    let wanted = |l: &&FeeLineRecord| i.setl_id.is_none() || l.setl_id == i.setl_id;
    let total = state.live_lines(&v.mdtrt_id).filter(wanted).count();
    let skip = usize::try_from(i.yidi_page_num - 1).unwrap_or(usize::MAX).saturating_mul(PAGE_5204_LEN_MAX);
    let page: Vec<&FeeLineRecord> =
        state.live_lines(&v.mdtrt_id).filter(wanted).skip(skip).take(PAGE_5204_LEN_MAX).collect();
    let facility = facility_of(state, v)?;
    let data = page.iter().map(|l| query_row(state, facility, v, l)).collect::<Result<Vec<_>, _>>()?;
    let pageinfo = PageInfoOut {
        page_num: i.yidi_page_num,
        page_size: u32::try_from(PAGE_5204_LEN_MAX).expect("page size fits u32"),
        total_records: total as u64,
        total_pages: u32::try_from(total.div_ceil(PAGE_5204_LEN_MAX)).unwrap_or(u32::MAX),
    };
    ok(to_output_json(&FeeQueryPageOut { data, yidi_pageinfo: pageinfo }))
}

fn facility_of<'s>(state: &'s State, v: &VisitRecord) -> Result<&'s Facility, ProtocolError> {
    FacilityCode::parse(&v.fixmedins_code)
        .ok()
        .and_then(|c| state.pack.refdata.facilities.get(&c))
        .ok_or_else(|| {
            let reason =
                format!("定点机构 {} 不在当前定点名单中，无法拆分明细，请联系结算中心", v.fixmedins_code);
            err(codes::FACILITY_NOT_OPEN, "fixmedins_code", reason)
        })
}

/// One line with its split. A refund line (negative `cnt`) is split as a positive line of its
/// |amount| on the refunded line's date, then negated (`protocol.md` 2301).
fn query_row(
    state: &State,
    facility: &Facility,
    v: &VisitRecord,
    l: &FeeLineRecord,
) -> Result<FeeQueryOut, ProtocolError> {
    let refund = l.cnt.is_negative();
    let original = l.init_feedetl_sn.as_deref().and_then(|sn| state.lines.get(&v.mdtrt_id)?.get(sn));
    let date = original.filter(|_| refund).map_or(l.fee_ocur_time, |o| o.fee_ocur_time);
    let default_med_type = if v.kind == VisitKind::Inpatient { "21" } else { "11" };
    let med_type = v.med_type.as_deref().unwrap_or(default_med_type);
    let bad = |reason: String| err(codes::UNKNOWN_CATALOG_CODE, "input.data.mdtrt_id", reason);
    let claim = Claim {
        claim_id: String::new(),
        psn_no: v.psn_no.clone(),
        fixmedins_code: facility.code.clone(),
        med_type: MedType::parse(med_type).map_err(|e| bad(e.to_string()))?,
        begntime: v.begntime,
        endtime: v.endtime,
        setl_time: v.begntime,
        dise_codg: v.dise_codg.clone().or_else(|| fees::meta(l).dise_codg),
        emergency: false,
        acct_used: false,
        lines: vec![FeeLine {
            feedetl_sn: l.feedetl_sn.clone(),
            med_list_codg: l.med_list_codg.clone(),
            cnt: Qty::from_ten_thousandths(l.cnt.ten_thousandths().abs()),
            pric: l.pric,
            amount: if refund { -l.amount } else { l.amount },
            fee_ocur_time: Some(date),
        }],
    };
    let (results, _) = classify_lines(&state.pack.refdata, facility, &claim)
        .map_err(|r| bad(format!("明细 {} 无法按现行目录拆分：{r}", l.feedetl_sn)))?;
    let r = results.first().expect("one line in, one result out");
    let signed = |x: Fen| if refund { -x } else { x };
    Ok(FeeQueryOut {
        feedetl_sn: l.feedetl_sn.clone(),
        mdtrt_id: l.mdtrt_id.clone(),
        psn_no: v.psn_no.clone(),
        chrg_bchno: l.chrg_bchno.clone(),
        fee_ocur_time: l.fee_ocur_time,
        med_list_codg: l.med_list_codg.clone(),
        medins_list_codg: l.medins_list_codg.clone(),
        det_item_fee_sumamt: l.amount,
        cnt: l.cnt,
        pric: l.pric,
        fulamt_ownpay_amt: signed(r.fulamt_ownpay),
        overlmt_amt: signed(r.overlmt),
        preselfpay_amt: signed(r.preselfpay),
        inscp_scp_amt: signed(r.inscp),
        chrgitm_lv: r.item.lv.as_str().to_string(),
        med_chrgitm_type: med_chrgitm_type(&r.item.code, r.item.list_type).to_string(),
        setl_id: l.setl_id.clone(),
    })
}
