//! Ledger postings: inserted once each (never updated — the schema's triggers refuse it) and read
//! back in `posting_id` order with their entries in line order.

use rusqlite::{Connection, Transaction, named_params};
use yidi_store::{PostingRecord, StoreError, StoreResult};

use crate::codec::{Cols, io, secs};
use crate::read::rows;

/// A stored id is never written again: the conflict is detected and the batch refused.
const INSERT_POSTING: &str = "
INSERT INTO ledger_posting (posting_id, kind, sense, reference, at_s, month)
VALUES (:posting_id, :kind, :sense, :reference, :at_s, :month)
ON CONFLICT (posting_id) DO NOTHING";

const INSERT_ENTRY: &str = "
INSERT INTO ledger_entry (posting_id, line, account, amount_fen)
VALUES (:posting_id, :line, :account, :amount_fen)";

/// Appends one posting and its entries. A `posting_id` already stored (by an earlier batch or
/// earlier in this one) fails the batch as [`StoreError::Corrupt`]: postings are append-only.
pub(crate) fn write_posting(tx: &Transaction<'_>, p: &PostingRecord) -> StoreResult<()> {
    let id = i64::try_from(p.posting_id).map_err(|_| {
        StoreError::Corrupt(format!("posting id {} is beyond the store's range (i64::MAX)", p.posting_id))
    })?;
    let mut stmt = tx.prepare_cached(INSERT_POSTING).map_err(io("prepare posting"))?;
    let inserted = stmt
        .execute(named_params! {
            ":posting_id": id,
            ":kind": p.kind,
            ":sense": p.sense,
            ":reference": p.reference,
            ":at_s": secs(p.at),
            ":month": p.month,
        })
        .map_err(io("write posting"))?;
    if inserted != 1 {
        return Err(StoreError::Corrupt(format!(
            "ledger posting {} is already stored; postings are append-only",
            p.posting_id
        )));
    }
    let mut stmt = tx.prepare_cached(INSERT_ENTRY).map_err(io("prepare ledger entry"))?;
    for (line, (account, amount)) in p.entries.iter().enumerate() {
        stmt.execute(named_params! {
            ":posting_id": id,
            ":line": line as i64,
            ":account": account,
            ":amount_fen": amount.get(),
        })
        .map_err(io("write ledger entry"))?;
    }
    Ok(())
}

/// Every posting with its entries, ordered by `posting_id`.
pub(crate) fn postings(conn: &Connection) -> StoreResult<Vec<PostingRecord>> {
    let mut postings =
        rows(conn, "ledger_posting", "SELECT * FROM ledger_posting ORDER BY posting_id", posting)?;
    let entries = rows(
        conn,
        "ledger_entry",
        "SELECT posting_id, account, amount_fen FROM ledger_entry ORDER BY posting_id, line",
        |c| Ok((c.u64("posting_id")?, c.text("account")?, c.fen("amount_fen")?)),
    )?;
    // Both lists are in posting order: walk them together.
    let mut at = 0;
    for (posting_id, account, amount) in entries {
        while postings.get(at).is_some_and(|p| p.posting_id < posting_id) {
            at += 1;
        }
        match postings.get_mut(at) {
            Some(p) if p.posting_id == posting_id => p.entries.push((account, amount)),
            _ => {
                return Err(StoreError::Corrupt(format!("ledger entry of unknown posting {posting_id}")));
            }
        }
    }
    Ok(postings)
}

fn posting(c: &Cols<'_, '_>) -> StoreResult<PostingRecord> {
    Ok(PostingRecord {
        posting_id: c.u64("posting_id")?,
        kind: c.text("kind")?,
        sense: c.text("sense")?,
        reference: c.text("reference")?,
        at: c.time("at_s")?,
        month: c.text("month")?,
        entries: Vec::new(),
    })
}
