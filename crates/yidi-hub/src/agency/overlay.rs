//! The agency side of the working state: filing records laid over the pack's filings, and the
//! indexes that let an agency's queries read only its own pooling region.
//!
//! The pack stays immutable and shared (`Arc<Pack>`); a person whose filings an agency changed
//! gets a copy of their pack record with the change applied, kept here behind an `Arc`, so a
//! settlement reads the overlaid record without cloning anything per call.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::Arc;

use yidi_domain::{
    DateTime, DivisionCode, FacilityCode, Filing, FilingCategory, Pack, Person, PersonRecord, RefData,
    SourceRef,
};
use yidi_store::{FilingRecord, SettlementRecord};

/// `created_by` of a pack filing that an agency later changed (cancelled) through the API.
pub const PACK_AUTHOR: &str = "pack";

/// Filing records, the persons they change, and per-region indexes.
#[derive(Debug, Default)]
pub struct AgencyState {
    /// Every stored filing record, by `filing_id`.
    records: BTreeMap<String, FilingRecord>,
    /// Persons whose filings the records change: their pack record with the records applied.
    changed: HashMap<String, Arc<PersonRecord>>,
    /// `filing_id` → `psn_no` of every pack filing, so a cancellation finds its person.
    pack_filing_owner: HashMap<String, String>,
    /// Insured pooling region → its persons' `psn_no`, in `psn_no` order.
    persons_by_region: HashMap<String, Vec<String>>,
    /// Pooling region → (`setl_time`, `setl_id`) of the settlements it sees: those of persons
    /// insured there and those at facilities there.
    settlements_by_region: HashMap<String, BTreeSet<(DateTime, String)>>,
}

/// A person's record as settlement reads it: cheap to clone, and independent of any borrow of
/// the state, so the caller may change the state while the engine's result is alive.
#[derive(Clone, Debug)]
pub struct PersonRecordRef {
    pack: Arc<Pack>,
    changed: Option<Arc<PersonRecord>>,
    psn_no: String,
}

impl PersonRecordRef {
    /// The overlaid record, else the pack's; `None` for an unknown person.
    pub fn get(&self) -> Option<&PersonRecord> {
        match &self.changed {
            Some(record) => Some(record),
            None => self.pack.persons.get(&self.psn_no),
        }
    }
}

impl AgencyState {
    /// Indexes the pack's persons and lays the stored filing records over it. A record naming a
    /// person the pack no longer has is kept (and stored again if changed) but applies to nobody.
    pub fn restore(pack: &Pack, filings: Vec<FilingRecord>) -> Result<AgencyState, String> {
        let mut state = AgencyState::default();
        for (psn_no, record) in &pack.persons {
            let region = insured_region(&pack.refdata, &record.person);
            state.persons_by_region.entry(region).or_default().push(psn_no.clone());
            for f in &record.filings {
                state.pack_filing_owner.insert(f.filing_id.clone(), psn_no.clone());
            }
        }
        for record in filings {
            state.put_filing(pack, record).map_err(|e| format!("stored filing: {e}"))?;
        }
        Ok(state)
    }

    /// Lays one record over the pack: it replaces the person's filing with the same id, or is
    /// added to their filings.
    pub fn put_filing(&mut self, pack: &Pack, record: FilingRecord) -> Result<(), String> {
        let filing = to_filing(&record)?;
        if let Some(base) = self.person(pack, &record.psn_no) {
            let mut person = base.clone();
            match person.filings.iter_mut().find(|f| f.filing_id == filing.filing_id) {
                Some(slot) => *slot = filing,
                None => person.filings.push(filing),
            }
            self.changed.insert(record.psn_no.clone(), Arc::new(person));
        }
        self.records.insert(record.filing_id.clone(), record);
        Ok(())
    }

    /// The person's record with the overlay applied.
    pub fn person<'a>(&'a self, pack: &'a Pack, psn_no: &str) -> Option<&'a PersonRecord> {
        self.changed.get(psn_no).map(Arc::as_ref).or_else(|| pack.persons.get(psn_no))
    }

    /// The same, as a handle that does not borrow the state.
    pub fn person_ref(&self, pack: &Arc<Pack>, psn_no: &str) -> PersonRecordRef {
        PersonRecordRef {
            pack: pack.clone(),
            changed: self.changed.get(psn_no).cloned(),
            psn_no: psn_no.into(),
        }
    }

    /// The stored record of a filing, if an agency made or changed it.
    pub fn record(&self, filing_id: &str) -> Option<&FilingRecord> {
        self.records.get(filing_id)
    }

    /// The person a filing (stored or from the pack) belongs to.
    pub fn filing_owner(&self, filing_id: &str) -> Option<&str> {
        self.records
            .get(filing_id)
            .map(|r| r.psn_no.as_str())
            .or_else(|| self.pack_filing_owner.get(filing_id).map(String::as_str))
    }

    /// The persons insured in a pooling region, in `psn_no` order.
    pub fn persons_of(&self, region: &str) -> &[String] {
        self.persons_by_region.get(region).map_or(&[], Vec::as_slice)
    }

    /// Adds a settlement to the indexes of the regions that see it; idempotent, and a reversal
    /// (same `setl_time`) changes nothing.
    pub fn index_settlement(&mut self, pack: &Pack, st: &SettlementRecord) {
        let (insured, treatment) = settlement_regions(pack, st);
        for region in [insured, treatment].into_iter().flatten() {
            let set = self.settlements_by_region.entry(region).or_default();
            set.insert((st.setl_time, st.setl_id.clone()));
        }
    }

    /// The settlements a region sees, settled in `[from, until)`, oldest first.
    pub fn settlements_of(
        &self,
        region: &str,
        from: Option<DateTime>,
        until: Option<DateTime>,
    ) -> impl DoubleEndedIterator<Item = &str> {
        let lower = from.map_or(Bound::Unbounded, |t| Bound::Included((t, String::new())));
        let upper = until.map_or(Bound::Unbounded, |t| Bound::Excluded((t, String::new())));
        let range = self.settlements_by_region.get(region).map(|set| set.range((lower, upper)));
        range.into_iter().flatten().map(|(_, id)| id.as_str())
    }
}

/// The pooling region a person is insured in (most specific region covering `insuplc`).
pub fn insured_region(refdata: &RefData, person: &Person) -> String {
    refdata
        .pooling_region_of(person.insuplc)
        .map_or_else(|| person.insuplc.to_string(), |r| r.admdvs.to_string())
}

/// The insured region of the settlement's person and the pooling region of its facility.
pub fn settlement_regions(pack: &Pack, st: &SettlementRecord) -> (Option<String>, Option<String>) {
    let r = &pack.refdata;
    let insured = pack.persons.get(&st.psn_no).map(|p| insured_region(r, &p.person));
    let facility = FacilityCode::parse(&st.fixmedins_code).ok().and_then(|code| r.facilities.get(&code));
    let treatment = match facility {
        Some(f) => r.pooling_region_of(f.admdvs).map(|region| region.admdvs.to_string()),
        None => Some(st.clr_optins.clone()),
    };
    (insured, treatment)
}

/// A stored record as the engine's filing. Records are validated before they are stored, so an
/// error here means the database was changed by hand.
fn to_filing(r: &FilingRecord) -> Result<Filing, String> {
    let category = FilingCategory::parse(&r.category).map_err(|e| format!("{}: {e}", r.filing_id))?;
    let area = DivisionCode::parse(&r.mdtrtarea_admvs).map_err(|e| format!("{}: {e}", r.filing_id))?;
    Ok(Filing {
        filing_id: r.filing_id.clone(),
        psn_no: r.psn_no.clone(),
        category,
        area,
        begndate: r.begndate,
        enddate: r.enddate,
        filed_at: r.filed_at,
        cancelled_at: r.cancelled_at,
        source: SourceRef::new(format!("经办机构 {}", r.changed_by), 0),
    })
}

/// The record of a filing after a change by `changed_by` at `now`.
pub fn record_of(f: &Filing, created_by: &str, changed_by: &str, now: DateTime) -> FilingRecord {
    FilingRecord {
        filing_id: f.filing_id.clone(),
        psn_no: f.psn_no.clone(),
        category: f.category.as_str().to_string(),
        mdtrtarea_admvs: f.area.to_string(),
        begndate: f.begndate,
        enddate: f.enddate,
        filed_at: f.filed_at,
        cancelled_at: f.cancelled_at,
        created_by: created_by.to_string(),
        changed_by: changed_by.to_string(),
        changed_at: now,
    }
}
