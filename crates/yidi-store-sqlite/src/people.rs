//! The filing history (append-only, written with the batch that changes the filing) and people's
//! online accounts (one record per person, each put its own durable transaction, like credentials).

use rusqlite::{Connection, OptionalExtension, Transaction, named_params};
use yidi_store::{FilingEventRecord, PersonAccountRecord, RefusalRecord, StoreError, StoreResult};

use crate::codec::{Cols, io, opt_secs, secs};
use crate::read::rows;

/// A stored id is never written again: the conflict is detected and the batch refused.
const INSERT_FILING_EVENT: &str = "
INSERT INTO filing_event (event_id, filing_id, psn_no, action, category, mdtrtarea_admvs, begndate, enddate,
                          related_filing_id, channel, by_user, at_s, note)
VALUES (:event_id, :filing_id, :psn_no, :action, :category, :mdtrtarea_admvs, :begndate, :enddate,
        :related_filing_id, :channel, :by_user, :at_s, :note)
ON CONFLICT (event_id) DO NOTHING";

const UPSERT_ACCOUNT: &str = "
INSERT INTO person_account (psn_no, password_phc, activation_sha256, activation_expires_at_s,
                            activation_issued_by, created_at_s, updated_at_s)
VALUES (:psn_no, :password_phc, :activation_sha256, :activation_expires_at_s, :activation_issued_by,
        :created_at_s, :updated_at_s)
ON CONFLICT (psn_no) DO UPDATE SET
    password_phc = excluded.password_phc, activation_sha256 = excluded.activation_sha256,
    activation_expires_at_s = excluded.activation_expires_at_s,
    activation_issued_by = excluded.activation_issued_by, updated_at_s = excluded.updated_at_s";

/// A new pending code: the activation fields only. `password_phc` is never named in the update,
/// so a code issued from another process cannot write back a password it read before an
/// activation changed it.
const UPSERT_ACTIVATION: &str = "
INSERT INTO person_account (psn_no, password_phc, activation_sha256, activation_expires_at_s,
                            activation_issued_by, created_at_s, updated_at_s)
VALUES (:psn_no, NULL, :activation_sha256, :activation_expires_at_s, :activation_issued_by, :at_s, :at_s)
ON CONFLICT (psn_no) DO UPDATE SET
    activation_sha256 = excluded.activation_sha256,
    activation_expires_at_s = excluded.activation_expires_at_s,
    activation_issued_by = excluded.activation_issued_by, updated_at_s = excluded.updated_at_s";

/// Appends one history event; an `event_id` already stored fails the batch as corrupt.
pub(crate) fn write_filing_event(tx: &Transaction<'_>, e: &FilingEventRecord) -> StoreResult<()> {
    let id = i64::try_from(e.event_id).map_err(|_| {
        StoreError::Corrupt(format!("filing event id {} is beyond the store's range (i64::MAX)", e.event_id))
    })?;
    let mut stmt = tx.prepare_cached(INSERT_FILING_EVENT).map_err(io("prepare filing event"))?;
    let inserted = stmt
        .execute(named_params! {
            ":event_id": id,
            ":filing_id": e.filing_id,
            ":psn_no": e.psn_no,
            ":action": e.action,
            ":category": e.category,
            ":mdtrtarea_admvs": e.mdtrtarea_admvs,
            ":begndate": e.begndate.to_string(),
            ":enddate": e.enddate.map(|d| d.to_string()),
            ":related_filing_id": e.related_filing_id,
            ":channel": e.channel,
            ":by_user": e.by,
            ":at_s": secs(e.at),
            ":note": e.note,
        })
        .map_err(io("write filing event"))?;
    if inserted != 1 {
        return Err(StoreError::Corrupt(format!(
            "filing event {} is already stored; the filing history is append-only",
            e.event_id
        )));
    }
    Ok(())
}

/// Every history event, ordered by `event_id`.
pub(crate) fn filing_events(conn: &Connection) -> StoreResult<Vec<FilingEventRecord>> {
    rows(conn, "filing_event", "SELECT * FROM filing_event ORDER BY event_id", |c: &Cols<'_, '_>| {
        Ok(FilingEventRecord {
            event_id: c.u64("event_id")?,
            filing_id: c.text("filing_id")?,
            psn_no: c.text("psn_no")?,
            action: c.text("action")?,
            category: c.text("category")?,
            mdtrtarea_admvs: c.text("mdtrtarea_admvs")?,
            begndate: c.date("begndate")?,
            enddate: c.opt_date("enddate")?,
            related_filing_id: c.opt_text("related_filing_id")?,
            channel: c.text("channel")?,
            by: c.text("by_user")?,
            at: c.time("at_s")?,
            note: c.text("note")?,
        })
    })
}

pub(crate) fn put_account(conn: &Connection, a: &PersonAccountRecord) -> StoreResult<()> {
    conn.prepare_cached(UPSERT_ACCOUNT)
        .map_err(io("prepare person account"))?
        .execute(named_params! {
            ":psn_no": a.psn_no,
            ":password_phc": a.password_phc,
            ":activation_sha256": a.activation_sha256.as_ref().map(|h| &h[..]),
            ":activation_expires_at_s": opt_secs(a.activation_expires_at),
            ":activation_issued_by": a.activation_issued_by,
            ":created_at_s": secs(a.created_at),
            ":updated_at_s": secs(a.updated_at),
        })
        .map_err(io("write person account"))?;
    Ok(())
}

/// Stores a pending activation code (one statement, so one durable transaction), leaving the
/// password as stored.
pub(crate) fn put_activation(
    conn: &Connection,
    psn_no: &str,
    activation_sha256: &[u8; 32],
    expires_at: yidi_domain::DateTime,
    issued_by: &str,
    at: yidi_domain::DateTime,
) -> StoreResult<()> {
    conn.prepare_cached(UPSERT_ACTIVATION)
        .map_err(io("prepare person activation"))?
        .execute(named_params! {
            ":psn_no": psn_no,
            ":activation_sha256": &activation_sha256[..],
            ":activation_expires_at_s": secs(expires_at),
            ":activation_issued_by": issued_by,
            ":at_s": secs(at),
        })
        .map_err(io("write person activation"))?;
    Ok(())
}

pub(crate) fn account(conn: &Connection, psn_no: &str) -> StoreResult<Option<PersonAccountRecord>> {
    let mut stmt = conn
        .prepare_cached("SELECT * FROM person_account WHERE psn_no = ?1")
        .map_err(io("prepare person account read"))?;
    let raw = stmt
        .query_row([psn_no], |row| {
            Ok((
                row.get::<_, String>("psn_no")?,
                row.get::<_, Option<String>>("password_phc")?,
                row.get::<_, Option<Vec<u8>>>("activation_sha256")?,
                row.get::<_, Option<i64>>("activation_expires_at_s")?,
                row.get::<_, Option<String>>("activation_issued_by")?,
                row.get::<_, i64>("created_at_s")?,
                row.get::<_, i64>("updated_at_s")?,
            ))
        })
        .optional()
        .map_err(io("read person account"))?;
    let Some((psn_no, password_phc, hash, expires, issued_by, created, updated)) = raw else {
        return Ok(None);
    };
    let activation_sha256 = match hash {
        None => None,
        Some(bytes) => Some(<[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
            StoreError::Corrupt(format!("person_account {psn_no}: activation_sha256 is not 32 bytes"))
        })?),
    };
    let time = yidi_domain::DateTime::from_epoch_secs;
    Ok(Some(PersonAccountRecord {
        psn_no,
        password_phc,
        activation_sha256,
        activation_expires_at: expires.map(time),
        activation_issued_by: issued_by,
        created_at: time(created),
        updated_at: time(updated),
    }))
}

const INSERT_REFUSAL: &str = "INSERT INTO refusal_event (at_s, psn_no, fixmedins_code, mdtrt_id, err_code)
VALUES (:at_s, :psn_no, :fixmedins_code, :mdtrt_id, :err_code)";

/// Appends one refused call.
pub(crate) fn write_refusal(tx: &Transaction<'_>, r: &RefusalRecord) -> StoreResult<()> {
    let mut stmt = tx.prepare_cached(INSERT_REFUSAL).map_err(io("prepare refusal"))?;
    stmt.execute(named_params! {
        ":at_s": secs(r.at),
        ":psn_no": r.psn_no,
        ":fixmedins_code": r.fixmedins_code,
        ":mdtrt_id": r.mdtrt_id,
        ":err_code": r.err_code,
    })
    .map_err(io("write refusal"))?;
    Ok(())
}

/// The refusals of the last `REFUSALS_LOADED_DAYS` days before the newest, in the order stored.
pub(crate) fn refusals(conn: &Connection) -> StoreResult<Vec<RefusalRecord>> {
    let sql = format!(
        "SELECT * FROM refusal_event WHERE at_s >= (SELECT max(at_s) FROM refusal_event) - {} \
         ORDER BY refusal_id",
        yidi_store::REFUSALS_LOADED_DAYS * 86_400
    );
    rows(conn, "refusal_event", &sql, |c: &Cols<'_, '_>| {
        Ok(RefusalRecord {
            at: c.time("at_s")?,
            psn_no: c.text("psn_no")?,
            fixmedins_code: c.text("fixmedins_code")?,
            mdtrt_id: c.text("mdtrt_id")?,
            err_code: c.text("err_code")?,
        })
    })
}

/// Deletes the refusals older than the loaded window (the statistics no dashboard can show), so
/// a hospital retrying a refused call forever cannot grow the database without bound. Run at
/// open; returns how many rows went.
pub(crate) fn prune_refusals(conn: &Connection) -> StoreResult<usize> {
    let sql = format!(
        "DELETE FROM refusal_event WHERE at_s < (SELECT max(at_s) FROM refusal_event) - {}",
        yidi_store::REFUSALS_LOADED_DAYS * 86_400
    );
    conn.execute(&sql, []).map_err(io("prune refusals"))
}
