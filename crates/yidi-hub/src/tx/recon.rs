//! Reconciliation with a facility (`protocol.md` §6): 3201 compares period totals, 3202 also
//! compares record by record. Both read the facility's settlement records whose settlement or
//! cancellation falls in the period, through the state's per-facility time index (never the whole
//! hub). A cancellation is a record of its own, dated when it happened, with every amount negated;
//! `fixmedins_setl_cnt` counts records (a settlement and its cancellation are two).

use std::collections::BTreeMap;

use yidi_domain::{Date, DateTime, Fen};
use yidi_protocol::inputs::{In3201, In3202, StmtDetl};
use yidi_protocol::limits::STMTDETL_3202_LEN_MAX;
use yidi_protocol::outputs::{StmtDetailOut, StmtInfoOut, StmtOut, StmtRsltOut, to_output_json};
use yidi_store::{SettlementRecord, SettlementStatus};

use super::{Ctx, TxResult, ok};
use crate::state::State;

/// Most `yidi_stmtrslt[]` rows one 3202 answers: every listed row can be wrong, and as many of
/// Yidi's own records can be missing from the list; beyond that the description says how many
/// were left out.
const STMTRSLT_LEN_MAX: usize = 2 * STMTDETL_3202_LEN_MAX;
const _: () = assert!(STMTRSLT_LEN_MAX >= STMTDETL_3202_LEN_MAX);

/// One record as reconciliation sees it: a settlement, or the cancellation of one.
#[derive(Clone, Copy)]
struct Row<'s> {
    st: &'s SettlementRecord,
    cancel: bool,
}

impl Row<'_> {
    fn signed(&self, v: Fen) -> Fen {
        if self.cancel { -v } else { v }
    }
    fn medfee(&self) -> Fen {
        self.signed(self.st.medfee_sumamt)
    }
    fn fund(&self) -> Fen {
        self.signed(self.st.fund_pay_sumamt)
    }
    fn acct(&self) -> Fen {
        self.signed(self.st.acct_pay)
    }
    fn cash(&self) -> Fen {
        self.signed(self.st.psn_cash_pay)
    }
    fn msgid(&self) -> Option<String> {
        if self.cancel { self.st.reversal_msgid.clone() } else { Some(self.st.msgid.clone()) }
    }
    fn what(&self) -> &'static str {
        if self.cancel { "撤销" } else { "结算" }
    }
}

/// The facility's records in `[begin, end]` (whole days) that `keep` accepts, by `setl_id`,
/// each settlement before its cancellation.
fn period_rows<'s>(
    state: &'s State,
    facility: &str,
    (begin, end): (Date, Date),
    keep: impl Fn(&SettlementRecord) -> bool,
) -> Vec<Row<'s>> {
    let (from, until) = (DateTime::start_of(begin), DateTime::start_of(end.add_days(1)));
    let within = |t: DateTime| from <= t && t < until;
    let mut rows = Vec::new();
    for st in state.settlements_between(facility, from, until).into_iter().filter(|st| keep(st)) {
        if within(st.setl_time) {
            rows.push(Row { st, cancel: false });
        }
        let cancelled = st.reversal_time.filter(|_| st.status == SettlementStatus::Reversed);
        if cancelled.is_some_and(within) {
            rows.push(Row { st, cancel: true });
        }
    }
    rows
}

/// Compares totals: each `(name, hospital's, Yidi's)`; the differing ones, described.
fn differences(pairs: &[(&str, Fen, Fen)], count: (i64, usize)) -> Vec<String> {
    let mut out: Vec<String> = pairs
        .iter()
        .filter(|(_, theirs, ours)| theirs != ours)
        .map(|(name, theirs, ours)| format!("{name}：医院 {theirs} 元，结算中心 {ours} 元"))
        .collect();
    if usize::try_from(count.0).ok() != Some(count.1) {
        out.push(format!("结算笔数：医院 {} 笔，结算中心 {} 笔", count.0, count.1));
    }
    out
}

fn stmtinfo(setl_optins: &str, diffs: &[String], balanced: String, advice: &str) -> StmtInfoOut {
    let (rslt, dscr) = if diffs.is_empty() {
        ("0", balanced)
    } else {
        ("1", format!("对账不一致：{}；{advice}", diffs.join("；")))
    };
    StmtInfoOut { setl_optins: setl_optins.to_string(), stmt_rslt: rslt.to_string(), stmt_rslt_dscr: dscr }
}

/// 3201: totals of the facility's records of that `insutype`, `clr_type` and pooling region in
/// the period; with `refd_setl_flag` 0 only settlements still live.
pub fn totals(state: &State, ctx: &Ctx<'_>, i: &In3201) -> TxResult {
    let keep = |st: &SettlementRecord| {
        st.insutype == i.insutype && st.clr_type == i.clr_type && st.clr_optins == i.setl_optins
    };
    let rows: Vec<Row<'_>> = period_rows(state, ctx.facility(), (i.stmt_begndate, i.stmt_enddate), keep)
        .into_iter()
        .filter(|r| i.refd_setl_flag || (!r.cancel && r.st.status == SettlementStatus::Settled))
        .collect();
    let medfee: Fen = rows.iter().map(Row::medfee).sum();
    let fund: Fen = rows.iter().map(Row::fund).sum();
    let acct: Fen = rows.iter().map(Row::acct).sum();
    let pairs = [
        ("医疗费总额", i.medfee_sumamt, medfee),
        ("基金支付总额", i.fund_pay_sumamt, fund),
        ("个人账户支付总额", i.acct_pay, acct),
    ];
    let diffs = differences(&pairs, (i.fixmedins_setl_cnt, rows.len()));
    let balanced = format!(
        "对账一致：{} 笔，医疗费总额 {medfee} 元，基金支付 {fund} 元，个人账户支付 {acct} 元",
        rows.len()
    );
    let info = stmtinfo(&i.setl_optins, &diffs, balanced, "请用对明细账（3202）逐笔核对");
    ok(to_output_json(&StmtOut { stmtinfo: info }))
}

/// 3202: the totals of every record of the pooling region in the period, and each record the
/// hospital's list and Yidi disagree on.
pub fn details(state: &State, ctx: &Ctx<'_>, i: &In3202) -> TxResult {
    let rows = period_rows(state, ctx.facility(), (i.stmt_begndate, i.stmt_enddate), |st| {
        st.clr_optins == i.setl_optins
    });
    let medfee: Fen = rows.iter().map(Row::medfee).sum();
    let fund: Fen = rows.iter().map(Row::fund).sum();
    let cash: Fen = rows.iter().map(Row::cash).sum();
    let pairs = [
        ("医疗费总额", i.medfee_sumamt, medfee),
        ("基金支付总额", i.fund_pay_sumamt, fund),
        ("现金支付总额", i.cash_payamt, cash),
    ];
    let mut diffs = differences(&pairs, (i.fixmedins_setl_cnt, rows.len()));
    let mut unbalanced = match &i.yidi_stmtdetl {
        Some(list) => compare_records(&rows, list),
        None => {
            if !diffs.is_empty() {
                diffs.push("未提供明细（yidi_stmtdetl），仅核对了总额".to_string());
            }
            Vec::new()
        }
    };
    if !unbalanced.is_empty() {
        diffs.push(format!("{} 条明细不一致，见 yidi_stmtrslt", unbalanced.len()));
    }
    if unbalanced.len() > STMTRSLT_LEN_MAX {
        diffs.push(format!("仅列出前 {STMTRSLT_LEN_MAX} 条"));
        unbalanced.truncate(STMTRSLT_LEN_MAX);
    }
    let balanced = format!(
        "对账一致：{} 笔，医疗费总额 {medfee} 元，基金支付 {fund} 元，现金支付 {cash} 元",
        rows.len()
    );
    let info = stmtinfo(&i.setl_optins, &diffs, balanced, "请按 yidi_stmtrslt 逐笔核对后重新对账");
    ok(to_output_json(&StmtDetailOut { stmtinfo: info, yidi_stmtrslt: unbalanced }))
}

/// Each listed record against Yidi's: `1` differs, `2` unknown to Yidi (or listed twice), then
/// `3` for each of Yidi's records the list left out.
fn compare_records(rows: &[Row<'_>], list: &[StmtDetl]) -> Vec<StmtRsltOut> {
    let mut ours: BTreeMap<(&str, bool), Row<'_>> =
        rows.iter().map(|r| ((r.st.setl_id.as_str(), r.cancel), *r)).collect();
    let mut out = Vec::new();
    for d in list {
        let listed = |rslt: &str, memo: String| StmtRsltOut {
            setl_id: d.setl_id.clone(),
            mdtrt_id: d.mdtrt_id.clone(),
            psn_no: d.psn_no.clone(),
            refd_setl_flag: d.refd_setl_flag,
            medfee_sumamt: d.medfee_sumamt,
            fund_pay_sumamt: d.fund_pay_sumamt,
            acct_pay: d.acct_pay,
            msgid: d.msgid.clone(),
            stmt_rslt: rslt.to_string(),
            memo,
        };
        let what = if d.refd_setl_flag { "撤销" } else { "结算" };
        match ours.remove(&(d.setl_id.as_str(), d.refd_setl_flag)) {
            None => out.push(listed(
                "2",
                format!("结算中心在对账期间内没有结算ID {} 的{what}记录（或重复列出）", d.setl_id),
            )),
            Some(row) => {
                let diffs = record_differences(d, &row);
                if !diffs.is_empty() {
                    out.push(listed("1", diffs.join("；")));
                }
            }
        }
    }
    out.extend(ours.into_values().map(|row| StmtRsltOut {
        setl_id: row.st.setl_id.clone(),
        mdtrt_id: row.st.mdtrt_id.clone(),
        psn_no: row.st.psn_no.clone(),
        refd_setl_flag: row.cancel,
        medfee_sumamt: row.medfee(),
        fund_pay_sumamt: row.fund(),
        acct_pay: row.acct(),
        msgid: row.msgid(),
        stmt_rslt: "3".to_string(),
        memo: format!("医院明细中缺少这条{}记录（以上为结算中心的金额）", row.what()),
    }));
    out
}

/// How one listed record differs from Yidi's (Yidi's values named), empty when it agrees.
fn record_differences(d: &StmtDetl, row: &Row<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for (name, theirs, ours) in
        [("就诊ID", &d.mdtrt_id, &row.st.mdtrt_id), ("人员编号", &d.psn_no, &row.st.psn_no)]
    {
        if theirs != ours {
            out.push(format!("{name}：医院 {theirs}，结算中心 {ours}"));
        }
    }
    let amounts = [
        ("医疗费总额", d.medfee_sumamt, row.medfee()),
        ("基金支付", d.fund_pay_sumamt, row.fund()),
        ("个人账户支付", d.acct_pay, row.acct()),
    ];
    for (name, theirs, ours) in amounts {
        if theirs != ours {
            out.push(format!("{name}：医院 {theirs} 元，结算中心 {ours} 元"));
        }
    }
    out
}
