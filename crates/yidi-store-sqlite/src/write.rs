//! Writing one [`CommitBatch`] inside an open transaction: one cached statement per record kind,
//! records applied in batch order so the last record for a key wins.

use rusqlite::{OptionalExtension, Transaction, named_params};
use yidi_domain::PersonState;
use yidi_store::{
    AnswerRecord, BlockedMsgid, CommitBatch, FeeLineRecord, FilingRecord, SettlementRecord, SignRecord,
    StoreError, StoreResult, VisitRecord,
};

use crate::codec::{Cols, io, kind_text, opt_secs, secs, sequence_value, state_text, status_text};

const UPSERT_VISIT: &str = "
INSERT INTO visit (mdtrt_id, fixmedins_code, psn_no, kind, insutype, med_type, begntime_s, endtime_s,
                   visit_no, dise_codg, state, extra_json, msgid)
VALUES (:mdtrt_id, :fixmedins_code, :psn_no, :kind, :insutype, :med_type, :begntime_s, :endtime_s,
        :visit_no, :dise_codg, :state, :extra_json, :msgid)
ON CONFLICT (mdtrt_id) DO UPDATE SET
    fixmedins_code = excluded.fixmedins_code, psn_no = excluded.psn_no, kind = excluded.kind,
    insutype = excluded.insutype, med_type = excluded.med_type, begntime_s = excluded.begntime_s,
    endtime_s = excluded.endtime_s, visit_no = excluded.visit_no, dise_codg = excluded.dise_codg,
    state = excluded.state, extra_json = excluded.extra_json, msgid = excluded.msgid";

const UPSERT_FEE_LINE: &str = "
INSERT INTO fee_line (mdtrt_id, feedetl_sn, chrg_bchno, med_list_codg, medins_list_codg,
                      cnt_ten_thousandths, pric_micro_yuan, amount_fen, fee_ocur_time_s,
                      init_feedetl_sn, live, setl_id, extra_json, msgid)
VALUES (:mdtrt_id, :feedetl_sn, :chrg_bchno, :med_list_codg, :medins_list_codg,
        :cnt_ten_thousandths, :pric_micro_yuan, :amount_fen, :fee_ocur_time_s,
        :init_feedetl_sn, :live, :setl_id, :extra_json, :msgid)
ON CONFLICT (mdtrt_id, feedetl_sn) DO UPDATE SET
    chrg_bchno = excluded.chrg_bchno, med_list_codg = excluded.med_list_codg,
    medins_list_codg = excluded.medins_list_codg, cnt_ten_thousandths = excluded.cnt_ten_thousandths,
    pric_micro_yuan = excluded.pric_micro_yuan, amount_fen = excluded.amount_fen,
    fee_ocur_time_s = excluded.fee_ocur_time_s, init_feedetl_sn = excluded.init_feedetl_sn,
    live = excluded.live, setl_id = excluded.setl_id, extra_json = excluded.extra_json,
    msgid = excluded.msgid";

const UPSERT_SETTLEMENT: &str = "
INSERT INTO settlement (setl_id, mdtrt_id, fixmedins_code, psn_no, chrg_bchno, insutype, clr_type,
    clr_optins, setl_time_s, status, medfee_sumamt_fen, fund_pay_sumamt_fen, acct_pay_fen,
    psn_cash_pay_fen, delta_policy_year, delta_cap_pool, delta_cap_month, delta_deductible_paid_fen,
    delta_admissions, delta_fund_paid_fen, delta_hifmi_base_fen, delta_hifmi_paid_fen,
    delta_hifob_base_fen, delta_hifob_paid_fen, delta_maf_paid_fen, delta_acct_pay_fen, output_json,
    trace, msgid, reversal_msgid, reversal_time_s, reversal_output_json)
VALUES (:setl_id, :mdtrt_id, :fixmedins_code, :psn_no, :chrg_bchno, :insutype, :clr_type,
    :clr_optins, :setl_time_s, :status, :medfee_sumamt_fen, :fund_pay_sumamt_fen, :acct_pay_fen,
    :psn_cash_pay_fen, :delta_policy_year, :delta_cap_pool, :delta_cap_month, :delta_deductible_paid_fen,
    :delta_admissions, :delta_fund_paid_fen, :delta_hifmi_base_fen, :delta_hifmi_paid_fen,
    :delta_hifob_base_fen, :delta_hifob_paid_fen, :delta_maf_paid_fen, :delta_acct_pay_fen, :output_json,
    :trace, :msgid, :reversal_msgid, :reversal_time_s, :reversal_output_json)
ON CONFLICT (setl_id) DO UPDATE SET
    mdtrt_id = excluded.mdtrt_id, fixmedins_code = excluded.fixmedins_code, psn_no = excluded.psn_no,
    chrg_bchno = excluded.chrg_bchno, insutype = excluded.insutype, clr_type = excluded.clr_type,
    clr_optins = excluded.clr_optins, setl_time_s = excluded.setl_time_s, status = excluded.status,
    medfee_sumamt_fen = excluded.medfee_sumamt_fen, fund_pay_sumamt_fen = excluded.fund_pay_sumamt_fen,
    acct_pay_fen = excluded.acct_pay_fen, psn_cash_pay_fen = excluded.psn_cash_pay_fen,
    delta_policy_year = excluded.delta_policy_year, delta_cap_pool = excluded.delta_cap_pool,
    delta_cap_month = excluded.delta_cap_month,
    delta_deductible_paid_fen = excluded.delta_deductible_paid_fen,
    delta_admissions = excluded.delta_admissions, delta_fund_paid_fen = excluded.delta_fund_paid_fen,
    delta_hifmi_base_fen = excluded.delta_hifmi_base_fen,
    delta_hifmi_paid_fen = excluded.delta_hifmi_paid_fen,
    delta_hifob_base_fen = excluded.delta_hifob_base_fen,
    delta_hifob_paid_fen = excluded.delta_hifob_paid_fen, delta_maf_paid_fen = excluded.delta_maf_paid_fen,
    delta_acct_pay_fen = excluded.delta_acct_pay_fen, output_json = excluded.output_json,
    trace = excluded.trace, msgid = excluded.msgid, reversal_msgid = excluded.reversal_msgid,
    reversal_time_s = excluded.reversal_time_s, reversal_output_json = excluded.reversal_output_json";

const UPSERT_PERSON: &str = "
INSERT INTO person_state (psn_no, acct_balance_fen) VALUES (:psn_no, :acct_balance_fen)
ON CONFLICT (psn_no) DO UPDATE SET acct_balance_fen = excluded.acct_balance_fen";

/// Cascades to the person's pools and months (foreign keys are on, checked at open).
const DELETE_PERSON_YEARS: &str = "DELETE FROM person_year WHERE psn_no = :psn_no";

const INSERT_PERSON_YEAR: &str = "
INSERT INTO person_year (psn_no, policy_year, hifmi_base_fen, hifmi_paid_fen, hifob_base_fen,
                         hifob_paid_fen, maf_paid_fen)
VALUES (:psn_no, :policy_year, :hifmi_base_fen, :hifmi_paid_fen, :hifob_base_fen, :hifob_paid_fen,
        :maf_paid_fen)";

const INSERT_PERSON_POOL: &str = "
INSERT INTO person_pool (psn_no, policy_year, cap_pool, deductible_paid_fen, admissions, fund_paid_fen)
VALUES (:psn_no, :policy_year, :cap_pool, :deductible_paid_fen, :admissions, :fund_paid_fen)";

const INSERT_PERSON_MONTH: &str = "
INSERT INTO person_month (psn_no, policy_year, cap_pool, year_month, fund_paid_fen)
VALUES (:psn_no, :policy_year, :cap_pool, :year_month, :fund_paid_fen)";

/// An answer is written once; a second write of the same key is checked against the first.
const INSERT_ANSWER: &str = "
INSERT INTO answer (fixmedins_code, msgid, infno, fingerprint, body, answered_at_s)
VALUES (:fixmedins_code, :msgid, :infno, :fingerprint, :body, :answered_at_s)
ON CONFLICT (fixmedins_code, msgid) DO NOTHING";

const SELECT_ANSWER: &str = "
SELECT fixmedins_code, msgid, infno, fingerprint, body, answered_at_s FROM answer
WHERE fixmedins_code = :fixmedins_code AND msgid = :msgid";

const UPSERT_BLOCKED: &str = "
INSERT INTO blocked_msgid (fixmedins_code, msgid, blocked_by) VALUES (:fixmedins_code, :msgid, :blocked_by)
ON CONFLICT (fixmedins_code, msgid) DO UPDATE SET blocked_by = excluded.blocked_by";

const UPSERT_SIGN: &str = "
INSERT INTO sign_event (sign_no, fixmedins_code, opter_no, sign_in_time_s, sign_out_time_s)
VALUES (:sign_no, :fixmedins_code, :opter_no, :sign_in_time_s, :sign_out_time_s)
ON CONFLICT (sign_no) DO UPDATE SET
    fixmedins_code = excluded.fixmedins_code, opter_no = excluded.opter_no,
    sign_in_time_s = excluded.sign_in_time_s, sign_out_time_s = excluded.sign_out_time_s";

const UPSERT_FILING: &str = "
INSERT INTO filing (filing_id, psn_no, category, mdtrtarea_admvs, begndate, enddate, filed_at_s,
                    cancelled_at_s, created_by, changed_by, changed_at_s)
VALUES (:filing_id, :psn_no, :category, :mdtrtarea_admvs, :begndate, :enddate, :filed_at_s,
        :cancelled_at_s, :created_by, :changed_by, :changed_at_s)
ON CONFLICT (filing_id) DO UPDATE SET
    psn_no = excluded.psn_no, category = excluded.category, mdtrtarea_admvs = excluded.mdtrtarea_admvs,
    begndate = excluded.begndate, enddate = excluded.enddate, filed_at_s = excluded.filed_at_s,
    cancelled_at_s = excluded.cancelled_at_s, created_by = excluded.created_by,
    changed_by = excluded.changed_by, changed_at_s = excluded.changed_at_s";

/// Keeps the larger value, so a sequence never moves backwards.
const UPSERT_SEQUENCE: &str = "
INSERT INTO id_sequence (name, next_value) VALUES (:name, :next_value)
ON CONFLICT (name) DO UPDATE SET next_value = max(next_value, excluded.next_value)";

/// Writes every record of `batch`; the caller commits, or drops the transaction to roll back.
pub(crate) fn write_batch(tx: &Transaction<'_>, batch: &CommitBatch) -> StoreResult<()> {
    for visit in &batch.visits {
        write_visit(tx, visit)?;
    }
    for line in &batch.fee_lines {
        write_fee_line(tx, line)?;
    }
    for settlement in &batch.settlements {
        write_settlement(tx, settlement)?;
    }
    for (psn_no, state) in &batch.person_states {
        write_person_state(tx, psn_no, state)?;
    }
    for answer in &batch.answers {
        write_answer(tx, answer)?;
    }
    for blocked in &batch.blocked {
        write_blocked(tx, blocked)?;
    }
    for sign in &batch.signs {
        write_sign(tx, sign)?;
    }
    for filing in &batch.filings {
        write_filing(tx, filing)?;
    }
    for posting in &batch.postings {
        crate::ledger::write_posting(tx, posting)?;
    }
    for event in &batch.funds_events {
        crate::funds::write_event(tx, event)?;
    }
    for event in &batch.filing_events {
        crate::people::write_filing_event(tx, event)?;
    }
    for refusal in &batch.refusals {
        crate::people::write_refusal(tx, refusal)?;
    }
    for (name, value) in &batch.sequences {
        let next_value = sequence_value(name, *value)?;
        let mut stmt = tx.prepare_cached(UPSERT_SEQUENCE).map_err(io("prepare sequence"))?;
        stmt.execute(named_params! { ":name": name, ":next_value": next_value })
            .map_err(io("write sequence"))?;
    }
    Ok(())
}

fn write_visit(tx: &Transaction<'_>, v: &VisitRecord) -> StoreResult<()> {
    let mut stmt = tx.prepare_cached(UPSERT_VISIT).map_err(io("prepare visit"))?;
    stmt.execute(named_params! {
        ":mdtrt_id": v.mdtrt_id,
        ":fixmedins_code": v.fixmedins_code,
        ":psn_no": v.psn_no,
        ":kind": kind_text(v.kind),
        ":insutype": v.insutype,
        ":med_type": v.med_type,
        ":begntime_s": secs(v.begntime),
        ":endtime_s": opt_secs(v.endtime),
        ":visit_no": v.visit_no,
        ":dise_codg": v.dise_codg,
        ":state": state_text(v.state),
        ":extra_json": v.extra_json,
        ":msgid": v.msgid,
    })
    .map_err(io("write visit"))?;
    Ok(())
}

fn write_fee_line(tx: &Transaction<'_>, f: &FeeLineRecord) -> StoreResult<()> {
    let mut stmt = tx.prepare_cached(UPSERT_FEE_LINE).map_err(io("prepare fee line"))?;
    stmt.execute(named_params! {
        ":mdtrt_id": f.mdtrt_id,
        ":feedetl_sn": f.feedetl_sn,
        ":chrg_bchno": f.chrg_bchno,
        ":med_list_codg": f.med_list_codg,
        ":medins_list_codg": f.medins_list_codg,
        ":cnt_ten_thousandths": f.cnt.ten_thousandths(),
        ":pric_micro_yuan": f.pric.micro_yuan(),
        ":amount_fen": f.amount.get(),
        ":fee_ocur_time_s": secs(f.fee_ocur_time),
        ":init_feedetl_sn": f.init_feedetl_sn,
        ":live": f.live,
        ":setl_id": f.setl_id,
        ":extra_json": f.extra_json,
        ":msgid": f.msgid,
    })
    .map_err(io("write fee line"))?;
    Ok(())
}

/// Writes a settlement with its [`yidi_domain::StateDelta`] flattened into `delta_*` columns.
fn write_settlement(tx: &Transaction<'_>, s: &SettlementRecord) -> StoreResult<()> {
    let d = &s.delta;
    let mut stmt = tx.prepare_cached(UPSERT_SETTLEMENT).map_err(io("prepare settlement"))?;
    stmt.execute(named_params! {
        ":setl_id": s.setl_id,
        ":mdtrt_id": s.mdtrt_id,
        ":fixmedins_code": s.fixmedins_code,
        ":psn_no": s.psn_no,
        ":chrg_bchno": s.chrg_bchno,
        ":insutype": s.insutype,
        ":clr_type": s.clr_type,
        ":clr_optins": s.clr_optins,
        ":setl_time_s": secs(s.setl_time),
        ":status": status_text(s.status),
        ":medfee_sumamt_fen": s.medfee_sumamt.get(),
        ":fund_pay_sumamt_fen": s.fund_pay_sumamt.get(),
        ":acct_pay_fen": s.acct_pay.get(),
        ":psn_cash_pay_fen": s.psn_cash_pay.get(),
        ":delta_policy_year": d.policy_year,
        ":delta_cap_pool": d.cap_pool,
        ":delta_cap_month": d.cap_month,
        ":delta_deductible_paid_fen": d.deductible_paid.get(),
        ":delta_admissions": d.admissions,
        ":delta_fund_paid_fen": d.fund_paid.get(),
        ":delta_hifmi_base_fen": d.hifmi_base.get(),
        ":delta_hifmi_paid_fen": d.hifmi_paid.get(),
        ":delta_hifob_base_fen": d.hifob_base.get(),
        ":delta_hifob_paid_fen": d.hifob_paid.get(),
        ":delta_maf_paid_fen": d.maf_paid.get(),
        ":delta_acct_pay_fen": d.acct_pay.get(),
        ":output_json": s.output_json,
        ":trace": s.trace,
        ":msgid": s.msgid,
        ":reversal_msgid": s.reversal_msgid,
        ":reversal_time_s": opt_secs(s.reversal_time),
        ":reversal_output_json": s.reversal_output_json,
    })
    .map_err(io("write settlement"))?;
    Ok(())
}

/// Replaces a person's whole state: the balance row, then its years, pools and months anew, so a
/// year, pool or month the new state no longer has disappears.
fn write_person_state(tx: &Transaction<'_>, psn_no: &str, state: &PersonState) -> StoreResult<()> {
    let prepare = |sql| tx.prepare_cached(sql).map_err(io("prepare person state"));
    prepare(UPSERT_PERSON)?
        .execute(named_params! { ":psn_no": psn_no, ":acct_balance_fen": state.acct_balance.get() })
        .map_err(io("write person state"))?;
    prepare(DELETE_PERSON_YEARS)?
        .execute(named_params! { ":psn_no": psn_no })
        .map_err(io("delete person years"))?;
    let (mut year_stmt, mut pool_stmt, mut month_stmt) =
        (prepare(INSERT_PERSON_YEAR)?, prepare(INSERT_PERSON_POOL)?, prepare(INSERT_PERSON_MONTH)?);
    for (policy_year, year) in &state.years {
        year_stmt
            .execute(named_params! {
                ":psn_no": psn_no,
                ":policy_year": policy_year,
                ":hifmi_base_fen": year.hifmi_base.get(),
                ":hifmi_paid_fen": year.hifmi_paid.get(),
                ":hifob_base_fen": year.hifob_base.get(),
                ":hifob_paid_fen": year.hifob_paid.get(),
                ":maf_paid_fen": year.maf_paid.get(),
            })
            .map_err(io("write person year"))?;
        for (cap_pool, pool) in &year.pools {
            pool_stmt
                .execute(named_params! {
                    ":psn_no": psn_no,
                    ":policy_year": policy_year,
                    ":cap_pool": cap_pool,
                    ":deductible_paid_fen": pool.deductible_paid.get(),
                    ":admissions": pool.admissions,
                    ":fund_paid_fen": pool.fund_paid.get(),
                })
                .map_err(io("write person pool"))?;
        }
        for ((cap_pool, year_month), fund_paid) in &year.month_fund_paid {
            month_stmt
                .execute(named_params! {
                    ":psn_no": psn_no,
                    ":policy_year": policy_year,
                    ":cap_pool": cap_pool,
                    ":year_month": year_month,
                    ":fund_paid_fen": fund_paid.get(),
                })
                .map_err(io("write person month"))?;
        }
    }
    Ok(())
}

/// Inserts an answer; if its key is stored already, the stored answer must be the same one. Two
/// different answers to one `msgid` would mean the hub answered a hospital twice differently, so
/// the batch fails as [`StoreError::Corrupt`] and nothing of it is kept.
fn write_answer(tx: &Transaction<'_>, a: &AnswerRecord) -> StoreResult<()> {
    let mut stmt = tx.prepare_cached(INSERT_ANSWER).map_err(io("prepare answer"))?;
    let inserted = stmt
        .execute(named_params! {
            ":fixmedins_code": a.fixmedins_code,
            ":msgid": a.msgid,
            ":infno": a.infno,
            ":fingerprint": &a.fingerprint[..],
            ":body": a.body,
            ":answered_at_s": secs(a.answered_at),
        })
        .map_err(io("write answer"))?;
    if inserted == 1 {
        return Ok(());
    }
    let mut select = tx.prepare_cached(SELECT_ANSWER).map_err(io("prepare answer lookup"))?;
    let stored = select
        .query_row(named_params! { ":fixmedins_code": a.fixmedins_code, ":msgid": a.msgid }, |row| {
            Ok(crate::read::answer(&Cols { row, table: "answer" }))
        })
        .optional()
        .map_err(io("read answer"))?
        .transpose()?;
    match stored {
        Some(stored) if stored == *a => Ok(()),
        Some(_) => Err(StoreError::Corrupt(format!(
            "answer to msgid {} of {} is already stored with different content",
            a.msgid, a.fixmedins_code
        ))),
        None => Err(StoreError::Io(format!("answer to msgid {} was neither inserted nor found", a.msgid))),
    }
}

fn write_blocked(tx: &Transaction<'_>, b: &BlockedMsgid) -> StoreResult<()> {
    let mut stmt = tx.prepare_cached(UPSERT_BLOCKED).map_err(io("prepare blocked msgid"))?;
    stmt.execute(named_params! {
        ":fixmedins_code": b.fixmedins_code,
        ":msgid": b.msgid,
        ":blocked_by": b.blocked_by,
    })
    .map_err(io("write blocked msgid"))?;
    Ok(())
}

fn write_sign(tx: &Transaction<'_>, s: &SignRecord) -> StoreResult<()> {
    let mut stmt = tx.prepare_cached(UPSERT_SIGN).map_err(io("prepare sign"))?;
    stmt.execute(named_params! {
        ":sign_no": s.sign_no,
        ":fixmedins_code": s.fixmedins_code,
        ":opter_no": s.opter_no,
        ":sign_in_time_s": secs(s.sign_in_time),
        ":sign_out_time_s": opt_secs(s.sign_out_time),
    })
    .map_err(io("write sign"))?;
    Ok(())
}

fn write_filing(tx: &Transaction<'_>, f: &FilingRecord) -> StoreResult<()> {
    let mut stmt = tx.prepare_cached(UPSERT_FILING).map_err(io("prepare filing"))?;
    stmt.execute(named_params! {
        ":filing_id": f.filing_id,
        ":psn_no": f.psn_no,
        ":category": f.category,
        ":mdtrtarea_admvs": f.mdtrtarea_admvs,
        ":begndate": f.begndate.to_string(),
        ":enddate": f.enddate.map(|d| d.to_string()),
        ":filed_at_s": opt_secs(f.filed_at),
        ":cancelled_at_s": opt_secs(f.cancelled_at),
        ":created_by": f.created_by,
        ":changed_by": f.changed_by,
        ":changed_at_s": secs(f.changed_at),
    })
    .map_err(io("write filing"))?;
    Ok(())
}
