//! Funds events: inserted once each (never updated — the schema's triggers refuse it) and read
//! back in `event_id` order.

use rusqlite::{Connection, Transaction, named_params};
use yidi_store::{FundsEventRecord, StoreError, StoreResult};

use crate::codec::{Cols, io, secs};
use crate::read::rows;

/// A stored id is never written again: the conflict is detected and the batch refused.
const INSERT_EVENT: &str = "
INSERT INTO funds_event (event_id, kind, reference, at_s, by_user, body_json)
VALUES (:event_id, :kind, :reference, :at_s, :by_user, :body_json)
ON CONFLICT (event_id) DO NOTHING";

/// Appends one event. An `event_id` already stored (by an earlier batch or earlier in this one)
/// fails the batch as [`StoreError::Corrupt`]: events are append-only.
pub(crate) fn write_event(tx: &Transaction<'_>, e: &FundsEventRecord) -> StoreResult<()> {
    let id = i64::try_from(e.event_id).map_err(|_| {
        StoreError::Corrupt(format!("funds event id {} is beyond the store's range (i64::MAX)", e.event_id))
    })?;
    let mut stmt = tx.prepare_cached(INSERT_EVENT).map_err(io("prepare funds event"))?;
    let inserted = stmt
        .execute(named_params! {
            ":event_id": id,
            ":kind": e.kind,
            ":reference": e.reference,
            ":at_s": secs(e.at),
            ":by_user": e.by,
            ":body_json": e.body_json,
        })
        .map_err(io("write funds event"))?;
    if inserted != 1 {
        return Err(StoreError::Corrupt(format!(
            "funds event {} is already stored; funds events are append-only",
            e.event_id
        )));
    }
    Ok(())
}

/// Every event, ordered by `event_id`.
pub(crate) fn events(conn: &Connection) -> StoreResult<Vec<FundsEventRecord>> {
    rows(conn, "funds_event", "SELECT * FROM funds_event ORDER BY event_id", event)
}

fn event(c: &Cols<'_, '_>) -> StoreResult<FundsEventRecord> {
    Ok(FundsEventRecord {
        event_id: c.u64("event_id")?,
        kind: c.text("kind")?,
        reference: c.text("reference")?,
        at: c.time("at_s")?,
        by: c.text("by_user")?,
        body_json: c.text("body_json")?,
    })
}
