//! Reference-data packs: each import that differs from the latest is kept as one row holding all
//! its files as a JSON object (path → text) and a content hash.
//!
//! The hash is FNV-1a 64 over the sorted files, each as length-prefixed path and text. It is a
//! fast "same as before?" test and an integrity check on read, not a security boundary: a hash
//! match is confirmed by comparing the files themselves, so a collision can never hide a change.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, named_params};
use yidi_domain::DateTime;
use yidi_store::{StoreError, StoreResult};

use crate::codec::{io, secs};

type Files = BTreeMap<String, String>;

const SELECT_LATEST: &str =
    "SELECT content_fnv1a64, file_count, files_json FROM pack ORDER BY pack_no DESC LIMIT 1";

const INSERT_PACK: &str = "
INSERT INTO pack (imported_at_s, content_fnv1a64, file_count, files_json)
VALUES (:imported_at_s, :content_fnv1a64, :file_count, :files_json)";

/// Stores `files` unless they equal the latest pack's; returns whether a row was added. The
/// comparison and the insert share one immediate transaction, so two imports cannot interleave.
pub(crate) fn save(conn: &mut Connection, files: &Files, imported_at: DateTime) -> StoreResult<bool> {
    let hash = content_fnv1a64(files);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(io("begin pack"))?;
    if let Some(latest) = latest_in(&tx)?
        && latest == *files
    {
        return Ok(false);
    }
    let files_json =
        serde_json::to_string(files).map_err(|e| StoreError::Io(format!("encode pack files: {e}")))?;
    let file_count =
        i64::try_from(files.len()).map_err(|e| StoreError::Io(format!("pack file count: {e}")))?;
    tx.prepare_cached(INSERT_PACK)
        .map_err(io("prepare pack"))?
        .execute(named_params! {
            ":imported_at_s": secs(imported_at),
            ":content_fnv1a64": hash,
            ":file_count": file_count,
            ":files_json": files_json,
        })
        .map_err(io("write pack"))?;
    tx.commit().map_err(io("commit pack"))?;
    Ok(true)
}

/// The latest pack's files, checked against the hash and count stored with them.
pub(crate) fn latest(conn: &Connection) -> StoreResult<Option<Files>> {
    latest_in(conn)
}

fn latest_in(conn: &Connection) -> StoreResult<Option<Files>> {
    let row = conn
        .prepare_cached(SELECT_LATEST)
        .map_err(io("prepare latest pack"))?
        .query_row([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?, row.get::<_, String>(2)?)))
        .optional()
        .map_err(io("read latest pack"))?;
    let Some((hash, file_count, files_json)) = row else {
        return Ok(None);
    };
    let files: Files = serde_json::from_str(&files_json).map_err(|e| {
        StoreError::Corrupt(format!("latest pack's files are not a JSON object of texts: {e}"))
    })?;
    if i64::try_from(files.len()) != Ok(file_count) {
        return Err(StoreError::Corrupt(format!(
            "latest pack holds {} files but its row says {file_count}",
            files.len()
        )));
    }
    if content_fnv1a64(&files) != hash {
        return Err(StoreError::Corrupt(format!("latest pack's files do not match its hash {hash}")));
    }
    Ok(Some(files))
}

/// FNV-1a 64 of the files in path order, each as `len(path) path len(text) text` (lengths as u64
/// little-endian, so no two different packs share a byte stream), as 16 lowercase hex digits.
fn content_fnv1a64(files: &Files) -> String {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET_BASIS;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            hash = (hash ^ u64::from(*b)).wrapping_mul(PRIME);
        }
    };
    for (path, text) in files {
        feed(&(path.len() as u64).to_le_bytes());
        feed(path.as_bytes());
        feed(&(text.len() as u64).to_le_bytes());
        feed(text.as_bytes());
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The framing keeps a path/text boundary shift from producing the same byte stream.
    #[test]
    fn hash_separates_path_from_text() {
        let one = Files::from([("ab".to_string(), "c".to_string())]);
        let two = Files::from([("a".to_string(), "bc".to_string())]);
        assert_ne!(content_fnv1a64(&one), content_fnv1a64(&two));
        assert_eq!(content_fnv1a64(&Files::new()), "cbf29ce484222325");
    }
}
