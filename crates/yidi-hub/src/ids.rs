//! Identifiers the hub issues (`protocol.md` §5): sequences that never reuse a value.

use std::collections::BTreeMap;

use yidi_domain::{DateTime, DivisionCode};

pub const SEQ_MDTRT: &str = "mdtrt_id";
pub const SEQ_SETL: &str = "setl_id";
pub const SEQ_SIGN: &str = "sign_no";
pub const SEQ_FILING: &str = "filing_id";
/// Not a counter: when this database began recording refused settlement calls (Unix seconds),
/// written once; it never moves, so the sequences' "never backwards" rule holds.
pub const SEQ_REFUSALS_SINCE: &str = "refusals_recorded_since";

/// The hub's sequences, restored from the store at start.
#[derive(Clone, Debug, Default)]
pub struct Sequences {
    next: BTreeMap<String, u64>,
    /// Sequences moved since the last commit, to write with it.
    dirty: BTreeMap<String, u64>,
}

impl Sequences {
    pub fn restore(stored: &BTreeMap<String, u64>) -> Sequences {
        Sequences { next: stored.clone(), dirty: BTreeMap::new() }
    }

    fn take(&mut self, name: &str) -> u64 {
        let value = self.next.get(name).copied().unwrap_or(1);
        self.next.insert(name.to_string(), value + 1);
        self.dirty.insert(name.to_string(), value + 1);
        value
    }

    /// `mdtrt_id` = the facility's division (6) + a 12-digit hub-wide sequence.
    pub fn mdtrt_id(&mut self, division: DivisionCode) -> String {
        format!("{division}{:012}", self.take(SEQ_MDTRT))
    }

    /// `setl_id`: the same form with its own sequence.
    pub fn setl_id(&mut self, division: DivisionCode) -> String {
        format!("{division}{:012}", self.take(SEQ_SETL))
    }

    /// `sign_no` = province `xx0000` + `yyyyMMdd` + 12-digit sequence.
    pub fn sign_no(&mut self, province: DivisionCode, now: DateTime) -> String {
        let d = now.date();
        format!("{province}{:04}{:02}{:02}{:012}", d.year(), d.month(), d.day(), self.take(SEQ_SIGN))
    }

    /// `filing_id` of a filing made through the agency API: `BA` + the agency's pooling region
    /// (6) + a 12-digit hub-wide sequence.
    pub fn filing_id(&mut self, region: &str) -> String {
        format!("BA{region}{:012}", self.take(SEQ_FILING))
    }

    /// When refusals began to be recorded: the stored moment, or `now` (stored with the next
    /// commit) on the first start that records them.
    pub fn refusals_since(&mut self, now: DateTime) -> DateTime {
        if let Some(&secs) = self.next.get(SEQ_REFUSALS_SINCE) {
            return DateTime::from_epoch_secs(i64::try_from(secs).unwrap_or(i64::MAX));
        }
        let secs = u64::try_from(now.to_epoch_secs()).unwrap_or(0);
        self.next.insert(SEQ_REFUSALS_SINCE.to_string(), secs);
        self.dirty.insert(SEQ_REFUSALS_SINCE.to_string(), secs);
        now
    }

    /// The moved sequences, for the next commit.
    pub fn drain_dirty(&mut self) -> Vec<(String, u64)> {
        std::mem::take(&mut self.dirty).into_iter().collect()
    }
}
