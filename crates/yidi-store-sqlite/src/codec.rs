//! Conversions between domain values and SQLite column values. Encoding never fails except for a
//! sequence beyond `i64`; a value read back that the schema should have prevented is `Corrupt`.

use rusqlite::Row;
use rusqlite::types::FromSql;
use yidi_domain::{Date, DateTime, Fen};
use yidi_store::{SettlementStatus, StoreError, StoreResult, VisitKind, VisitState};

/// Maps a driver error to [`StoreError::Io`], naming the step that failed.
pub(crate) fn io(step: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |e| StoreError::Io(format!("sqlite {step}: {e}"))
}

/// A timestamp as seconds since 1970-01-01 00:00:00 of the same Beijing wall clock (no zone shift),
/// which round-trips every `DateTime` exactly and sorts in time order.
pub(crate) fn secs(t: DateTime) -> i64 {
    t.to_epoch_secs()
}

pub(crate) fn opt_secs(t: Option<DateTime>) -> Option<i64> {
    t.map(secs)
}

/// A sequence value as SQLite's signed 64-bit integer; values past `i64::MAX` cannot be kept
/// exactly (nor compared with `max`), so the batch is refused rather than stored wrong.
pub(crate) fn sequence_value(name: &str, value: u64) -> StoreResult<i64> {
    i64::try_from(value).map_err(|_| {
        StoreError::Corrupt(format!("sequence {name} = {value} is beyond the store's range (i64::MAX)"))
    })
}

pub(crate) fn kind_text(kind: VisitKind) -> &'static str {
    match kind {
        VisitKind::Outpatient => "outpatient",
        VisitKind::Inpatient => "inpatient",
    }
}

pub(crate) fn state_text(state: VisitState) -> &'static str {
    match state {
        VisitState::Open => "open",
        VisitState::Discharged => "discharged",
        VisitState::Settled => "settled",
        VisitState::Cancelled => "cancelled",
    }
}

pub(crate) fn status_text(status: SettlementStatus) -> &'static str {
    match status {
        SettlementStatus::Settled => "settled",
        SettlementStatus::Reversed => "reversed",
    }
}

/// Typed reads of one row of `table`; every failure names the table and column.
pub(crate) struct Cols<'a, 'r> {
    pub row: &'a Row<'r>,
    pub table: &'static str,
}

impl Cols<'_, '_> {
    fn get<T: FromSql>(&self, column: &str) -> StoreResult<T> {
        self.row.get(column).map_err(|e| self.corrupt(column, &e))
    }
    fn corrupt(&self, column: &str, why: &dyn std::fmt::Display) -> StoreError {
        StoreError::Corrupt(format!("{}.{column}: {why}", self.table))
    }
    pub fn text(&self, column: &str) -> StoreResult<String> {
        self.get(column)
    }
    pub fn opt_text(&self, column: &str) -> StoreResult<Option<String>> {
        self.get(column)
    }
    pub fn int(&self, column: &str) -> StoreResult<i64> {
        self.get(column)
    }
    pub fn fen(&self, column: &str) -> StoreResult<Fen> {
        self.int(column).map(Fen::new)
    }
    pub fn time(&self, column: &str) -> StoreResult<DateTime> {
        self.int(column).map(DateTime::from_epoch_secs)
    }
    pub fn opt_time(&self, column: &str) -> StoreResult<Option<DateTime>> {
        Ok(self.get::<Option<i64>>(column)?.map(DateTime::from_epoch_secs))
    }
    /// A `YYYY-MM-DD` text column.
    pub fn date(&self, column: &str) -> StoreResult<Date> {
        let text = self.text(column)?;
        Date::parse(&text).map_err(|e| self.corrupt(column, &e))
    }
    pub fn opt_date(&self, column: &str) -> StoreResult<Option<Date>> {
        match self.opt_text(column)? {
            None => Ok(None),
            Some(text) => Date::parse(&text).map(Some).map_err(|e| self.corrupt(column, &e)),
        }
    }
    pub fn u32(&self, column: &str) -> StoreResult<u32> {
        let v = self.int(column)?;
        u32::try_from(v).map_err(|e| self.corrupt(column, &e))
    }
    pub fn opt_u32(&self, column: &str) -> StoreResult<Option<u32>> {
        match self.get::<Option<i64>>(column)? {
            None => Ok(None),
            Some(v) => u32::try_from(v).map(Some).map_err(|e| self.corrupt(column, &e)),
        }
    }
    pub fn i32(&self, column: &str) -> StoreResult<i32> {
        let v = self.int(column)?;
        i32::try_from(v).map_err(|e| self.corrupt(column, &e))
    }
    pub fn u64(&self, column: &str) -> StoreResult<u64> {
        let v = self.int(column)?;
        u64::try_from(v).map_err(|e| self.corrupt(column, &e))
    }
    pub fn bool(&self, column: &str) -> StoreResult<bool> {
        match self.int(column)? {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(self.corrupt(column, &format!("{v} is not a boolean"))),
        }
    }
    pub fn blob(&self, column: &str) -> StoreResult<Vec<u8>> {
        self.get(column)
    }
    pub fn opt_blob(&self, column: &str) -> StoreResult<Option<Vec<u8>>> {
        self.get(column)
    }
    pub fn hash32(&self, column: &str) -> StoreResult<[u8; 32]> {
        let bytes = self.blob(column)?;
        <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| self.corrupt(column, &format!("{} bytes, not 32", bytes.len())))
    }
    pub fn kind(&self, column: &str) -> StoreResult<VisitKind> {
        match self.text(column)?.as_str() {
            "outpatient" => Ok(VisitKind::Outpatient),
            "inpatient" => Ok(VisitKind::Inpatient),
            other => Err(self.corrupt(column, &format!("unknown visit kind {other:?}"))),
        }
    }
    pub fn state(&self, column: &str) -> StoreResult<VisitState> {
        match self.text(column)?.as_str() {
            "open" => Ok(VisitState::Open),
            "discharged" => Ok(VisitState::Discharged),
            "settled" => Ok(VisitState::Settled),
            "cancelled" => Ok(VisitState::Cancelled),
            other => Err(self.corrupt(column, &format!("unknown visit state {other:?}"))),
        }
    }
    pub fn status(&self, column: &str) -> StoreResult<SettlementStatus> {
        match self.text(column)?.as_str() {
            "settled" => Ok(SettlementStatus::Settled),
            "reversed" => Ok(SettlementStatus::Reversed),
            other => Err(self.corrupt(column, &format!("unknown settlement status {other:?}"))),
        }
    }
}
