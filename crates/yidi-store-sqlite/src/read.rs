//! Reading the whole durable state back into a [`Snapshot`], every vector ordered by its key.
//!
//! Columns are read by name, so a later migration that adds a column does not shift the reads.
//! SQLite's default `BINARY` collation compares text byte-wise, which is exactly `String`'s `Ord`,
//! so `ORDER BY` gives the order the conformance suite expects.

use std::collections::BTreeMap;

use rusqlite::Connection;
use yidi_domain::{PersonState, PoolAcc, Price, Qty, StateDelta, YearAcc};
use yidi_store::{
    AnswerRecord, BlockedMsgid, FeeLineRecord, FilingRecord, SettlementRecord, SignRecord, Snapshot,
    StoreError, StoreResult, VisitRecord,
};

use crate::codec::{Cols, io};

/// Reads everything; the caller runs this inside one read transaction so the snapshot is of one
/// moment, never half of a batch.
pub(crate) fn snapshot(conn: &Connection) -> StoreResult<Snapshot> {
    Ok(Snapshot {
        visits: rows(conn, "visit", "SELECT * FROM visit ORDER BY mdtrt_id", visit)?,
        fee_lines: rows(conn, "fee_line", "SELECT * FROM fee_line ORDER BY mdtrt_id, feedetl_sn", fee_line)?,
        settlements: rows(conn, "settlement", "SELECT * FROM settlement ORDER BY setl_id", settlement)?,
        person_states: person_states(conn)?,
        answers: rows(conn, "answer", "SELECT * FROM answer ORDER BY fixmedins_code, msgid", answer)?,
        blocked: rows(
            conn,
            "blocked_msgid",
            "SELECT * FROM blocked_msgid ORDER BY fixmedins_code, msgid",
            blocked,
        )?,
        signs: rows(conn, "sign_event", "SELECT * FROM sign_event ORDER BY sign_no", sign)?,
        sequences: rows(conn, "id_sequence", "SELECT * FROM id_sequence ORDER BY name", |c| {
            Ok((c.text("name")?, c.u64("next_value")?))
        })?
        .into_iter()
        .collect(),
        filings: rows(conn, "filing", "SELECT * FROM filing ORDER BY filing_id", filing)?,
        postings: crate::ledger::postings(conn)?,
        funds_events: crate::funds::events(conn)?,
        filing_events: crate::people::filing_events(conn)?,
        refusals: crate::people::refusals(conn)?,
    })
}

/// Runs `sql` (no parameters) and decodes every row of `table` with `decode`.
pub(crate) fn rows<T>(
    conn: &Connection,
    table: &'static str,
    sql: &str,
    decode: impl Fn(&Cols<'_, '_>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(io("prepare read"))?;
    let mut rows = stmt.query([]).map_err(io("query"))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(io("read row"))? {
        out.push(decode(&Cols { row, table })?);
    }
    Ok(out)
}

fn visit(c: &Cols<'_, '_>) -> StoreResult<VisitRecord> {
    Ok(VisitRecord {
        mdtrt_id: c.text("mdtrt_id")?,
        fixmedins_code: c.text("fixmedins_code")?,
        psn_no: c.text("psn_no")?,
        kind: c.kind("kind")?,
        insutype: c.text("insutype")?,
        med_type: c.opt_text("med_type")?,
        begntime: c.time("begntime_s")?,
        endtime: c.opt_time("endtime_s")?,
        visit_no: c.text("visit_no")?,
        dise_codg: c.opt_text("dise_codg")?,
        state: c.state("state")?,
        extra_json: c.text("extra_json")?,
        msgid: c.text("msgid")?,
    })
}

fn fee_line(c: &Cols<'_, '_>) -> StoreResult<FeeLineRecord> {
    Ok(FeeLineRecord {
        mdtrt_id: c.text("mdtrt_id")?,
        feedetl_sn: c.text("feedetl_sn")?,
        chrg_bchno: c.opt_text("chrg_bchno")?,
        med_list_codg: c.text("med_list_codg")?,
        medins_list_codg: c.text("medins_list_codg")?,
        cnt: Qty::from_ten_thousandths(c.int("cnt_ten_thousandths")?),
        pric: Price::from_micro_yuan(c.int("pric_micro_yuan")?),
        amount: c.fen("amount_fen")?,
        fee_ocur_time: c.time("fee_ocur_time_s")?,
        init_feedetl_sn: c.opt_text("init_feedetl_sn")?,
        live: c.bool("live")?,
        setl_id: c.opt_text("setl_id")?,
        extra_json: c.text("extra_json")?,
        msgid: c.text("msgid")?,
    })
}

fn settlement(c: &Cols<'_, '_>) -> StoreResult<SettlementRecord> {
    Ok(SettlementRecord {
        setl_id: c.text("setl_id")?,
        mdtrt_id: c.text("mdtrt_id")?,
        fixmedins_code: c.text("fixmedins_code")?,
        psn_no: c.text("psn_no")?,
        chrg_bchno: c.opt_text("chrg_bchno")?,
        insutype: c.text("insutype")?,
        clr_type: c.text("clr_type")?,
        clr_optins: c.text("clr_optins")?,
        setl_time: c.time("setl_time_s")?,
        status: c.status("status")?,
        medfee_sumamt: c.fen("medfee_sumamt_fen")?,
        fund_pay_sumamt: c.fen("fund_pay_sumamt_fen")?,
        acct_pay: c.fen("acct_pay_fen")?,
        psn_cash_pay: c.fen("psn_cash_pay_fen")?,
        delta: delta(c)?,
        output_json: c.text("output_json")?,
        trace: c.text("trace")?,
        msgid: c.text("msgid")?,
        reversal_msgid: c.opt_text("reversal_msgid")?,
        reversal_time: c.opt_time("reversal_time_s")?,
        reversal_output_json: c.opt_text("reversal_output_json")?,
    })
}

/// The settlement's `delta_*` columns.
fn delta(c: &Cols<'_, '_>) -> StoreResult<StateDelta> {
    Ok(StateDelta {
        policy_year: c.i32("delta_policy_year")?,
        cap_pool: c.text("delta_cap_pool")?,
        cap_month: c.opt_u32("delta_cap_month")?,
        deductible_paid: c.fen("delta_deductible_paid_fen")?,
        admissions: c.u32("delta_admissions")?,
        fund_paid: c.fen("delta_fund_paid_fen")?,
        hifmi_base: c.fen("delta_hifmi_base_fen")?,
        hifmi_paid: c.fen("delta_hifmi_paid_fen")?,
        hifob_base: c.fen("delta_hifob_base_fen")?,
        hifob_paid: c.fen("delta_hifob_paid_fen")?,
        maf_paid: c.fen("delta_maf_paid_fen")?,
        acct_pay: c.fen("delta_acct_pay_fen")?,
    })
}

pub(crate) fn answer(c: &Cols<'_, '_>) -> StoreResult<AnswerRecord> {
    Ok(AnswerRecord {
        fixmedins_code: c.text("fixmedins_code")?,
        msgid: c.text("msgid")?,
        infno: c.text("infno")?,
        fingerprint: c.hash32("fingerprint")?,
        body: c.text("body")?,
        answered_at: c.time("answered_at_s")?,
    })
}

fn blocked(c: &Cols<'_, '_>) -> StoreResult<BlockedMsgid> {
    Ok(BlockedMsgid {
        fixmedins_code: c.text("fixmedins_code")?,
        msgid: c.text("msgid")?,
        blocked_by: c.text("blocked_by")?,
    })
}

fn sign(c: &Cols<'_, '_>) -> StoreResult<SignRecord> {
    Ok(SignRecord {
        sign_no: c.text("sign_no")?,
        fixmedins_code: c.text("fixmedins_code")?,
        opter_no: c.text("opter_no")?,
        sign_in_time: c.time("sign_in_time_s")?,
        sign_out_time: c.opt_time("sign_out_time_s")?,
    })
}

fn filing(c: &Cols<'_, '_>) -> StoreResult<FilingRecord> {
    Ok(FilingRecord {
        filing_id: c.text("filing_id")?,
        psn_no: c.text("psn_no")?,
        category: c.text("category")?,
        mdtrtarea_admvs: c.text("mdtrtarea_admvs")?,
        begndate: c.date("begndate")?,
        enddate: c.opt_date("enddate")?,
        filed_at: c.opt_time("filed_at_s")?,
        cancelled_at: c.opt_time("cancelled_at_s")?,
        created_by: c.text("created_by")?,
        changed_by: c.text("changed_by")?,
        changed_at: c.time("changed_at_s")?,
    })
}

/// Reassembles each person's state from its four tables.
fn person_states(conn: &Connection) -> StoreResult<BTreeMap<String, PersonState>> {
    let balances = rows(conn, "person_state", "SELECT * FROM person_state", |c| {
        let state = PersonState { acct_balance: c.fen("acct_balance_fen")?, years: BTreeMap::new() };
        Ok((c.text("psn_no")?, state))
    })?;
    let mut states: BTreeMap<String, PersonState> = balances.into_iter().collect();
    for (psn_no, policy_year, year) in rows(conn, "person_year", "SELECT * FROM person_year", person_year)? {
        let state = states.get_mut(&psn_no).ok_or_else(|| orphan("person_year", &psn_no, policy_year))?;
        state.years.insert(policy_year, year);
    }
    for (psn_no, policy_year, cap_pool, pool) in
        rows(conn, "person_pool", "SELECT * FROM person_pool", person_pool)?
    {
        let year = states.get_mut(&psn_no).and_then(|s| s.years.get_mut(&policy_year));
        year.ok_or_else(|| orphan("person_pool", &psn_no, policy_year))?.pools.insert(cap_pool, pool);
    }
    for (psn_no, policy_year, key, fund_paid) in
        rows(conn, "person_month", "SELECT * FROM person_month", person_month)?
    {
        let year = states.get_mut(&psn_no).and_then(|s| s.years.get_mut(&policy_year));
        year.ok_or_else(|| orphan("person_month", &psn_no, policy_year))?
            .month_fund_paid
            .insert(key, fund_paid);
    }
    Ok(states)
}

fn person_year(c: &Cols<'_, '_>) -> StoreResult<(String, i32, YearAcc)> {
    let year = YearAcc {
        hifmi_base: c.fen("hifmi_base_fen")?,
        hifmi_paid: c.fen("hifmi_paid_fen")?,
        hifob_base: c.fen("hifob_base_fen")?,
        hifob_paid: c.fen("hifob_paid_fen")?,
        maf_paid: c.fen("maf_paid_fen")?,
        ..YearAcc::EMPTY
    };
    Ok((c.text("psn_no")?, c.i32("policy_year")?, year))
}

fn person_pool(c: &Cols<'_, '_>) -> StoreResult<(String, i32, String, PoolAcc)> {
    let pool = PoolAcc {
        deductible_paid: c.fen("deductible_paid_fen")?,
        admissions: c.u32("admissions")?,
        fund_paid: c.fen("fund_paid_fen")?,
    };
    Ok((c.text("psn_no")?, c.i32("policy_year")?, c.text("cap_pool")?, pool))
}

type MonthRow = (String, i32, (String, u32), yidi_domain::Fen);

fn person_month(c: &Cols<'_, '_>) -> StoreResult<MonthRow> {
    let key = (c.text("cap_pool")?, c.u32("year_month")?);
    Ok((c.text("psn_no")?, c.i32("policy_year")?, key, c.fen("fund_paid_fen")?))
}

/// A child row without its parent: the foreign keys should make this impossible.
fn orphan(table: &str, psn_no: &str, policy_year: i32) -> StoreError {
    StoreError::Corrupt(format!("{table} row for person {psn_no}, year {policy_year} has no parent row"))
}
