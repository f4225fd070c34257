//! The simulated world, read once from a pack: the facilities traffic goes to, who can be
//! treated at each of them (and as which kind of traveller), and the catalog rows their fee
//! lines use.
//!
//! Only traffic that should settle is generated, so that every error in a run reflects the hub
//! and not the simulator. The checks below restate the public rules of `settlement.md` §3–5
//! conservatively (a filing cancelled at any time, a facility with an end date and a catalog
//! row with any unmet restriction are all left out); the crate's tests check the result
//! against the real engine.

use std::collections::HashMap;

use yidi_domain::{
    BenefitKind, Catalog, CatalogItem, Date, DateTime, DivisionCode, Facility, FacilityKind, ListType, Pack,
    PersonRecord, RefData, in_period,
};

use crate::limits::{FACILITY_CODE_LEN, STAY_DAYS_MAX};

/// Outpatient or inpatient care.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Outpatient,
    Inpatient,
}

impl Kind {
    pub fn benefit(self) -> BenefitKind {
        match self {
            Kind::Outpatient => BenefitKind::Outpatient,
            Kind::Inpatient => BenefitKind::Inpatient,
        }
    }
    /// `med_type` of ordinary care and of an emergency of this kind (急诊 13, 急诊转住院 24).
    pub fn med_types(self) -> [&'static str; 2] {
        match self {
            Kind::Outpatient => ["11", "13"],
            Kind::Inpatient => ["21", "24"],
        }
    }
}

/// What kind of traveller a patient is at a facility.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    /// Cross-region, with a filing that covers the facility (long-term, referral, temporary).
    Filed,
    /// Cross-region without a covering filing: only an emergency settles directly.
    Emergency,
    /// Treated in the insured region itself.
    Local,
}

impl Category {
    pub const ALL: [Category; 3] = [Category::Filed, Category::Emergency, Category::Local];
}

/// The patients (indices into [`World::patients`]) who settle at one facility, by category.
#[derive(Clone, Debug, Default)]
pub struct Audience {
    pub filed: Vec<u32>,
    pub emergency: Vec<u32>,
    pub local: Vec<u32>,
}

impl Audience {
    pub fn of(&self, category: Category) -> &[u32] {
        match category {
            Category::Filed => &self.filed,
            Category::Emergency => &self.emergency,
            Category::Local => &self.local,
        }
    }
    pub fn is_empty(&self) -> bool {
        Category::ALL.iter().all(|c| self.of(*c).is_empty())
    }
}

/// A facility traffic goes to.
#[derive(Clone, Debug)]
pub struct Site {
    pub code: String,
    pub name: String,
    /// `mdtrtarea_admvs`: the treatment pooling region.
    pub region: String,
    pub outpatient: Audience,
    pub inpatient: Audience,
    /// Catalog rows (indices into [`World::items`]) usable for lines of each kind here.
    pub outpatient_items: Vec<u32>,
    pub inpatient_items: Vec<u32>,
}

impl Site {
    pub fn audience(&self, kind: Kind) -> &Audience {
        match kind {
            Kind::Outpatient => &self.outpatient,
            Kind::Inpatient => &self.inpatient,
        }
    }
    pub fn items(&self, kind: Kind) -> &[u32] {
        match kind {
            Kind::Outpatient => &self.outpatient_items,
            Kind::Inpatient => &self.inpatient_items,
        }
    }
    /// Whether flows of `kind` can be generated here.
    pub fn serves(&self, kind: Kind) -> bool {
        !self.audience(kind).is_empty() && !self.items(kind).is_empty()
    }
}

/// An insured person, as the requests name them.
#[derive(Clone, Debug)]
pub struct Patient {
    pub psn_no: String,
    pub certno: String,
    pub insutype: &'static str,
    pub insuplc: String,
}

/// A catalog row as the lines use it.
#[derive(Clone, Debug)]
pub struct Item {
    pub code: String,
    /// The hospital's own code for the row (`medins_list_codg`).
    pub medins_code: String,
    pub list_type: ListType,
    pub price_cap_fen: Option<i64>,
}

/// What the world is built for.
#[derive(Clone, Debug)]
pub struct WorldConfig {
    /// The date every visit and admission starts on (inside the pack's policy year).
    pub service_date: Date,
    /// Only this facility (credentials for one facility), or all.
    pub only_facility: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    #[error("定点机构 {0} 不在数据包中，或不是 {1} 起无终止日期的医院/诊所 / facility not usable")]
    Facility(String, Date),
    #[error("数据包中没有能在 {0} 直接结算的门诊就诊 / the pack yields no outpatient traffic")]
    NoTraffic(Date),
}

/// Everything traffic is generated from.
#[derive(Clone, Debug)]
pub struct World {
    pub service_date: Date,
    pub sites: Vec<Site>,
    pub patients: Vec<Patient>,
    pub items: Vec<Item>,
}

impl World {
    /// Reads the pack: facilities sorted by code, persons by `psn_no`, catalog codes sorted, so
    /// the world (and the traffic of a seed) does not depend on hash order.
    pub fn build(pack: &Pack, config: &WorldConfig) -> Result<World, WorldError> {
        let date = config.service_date;
        let records: Vec<&PersonRecord> = pack.persons.values().collect();
        let patients = records.iter().map(|r| patient(r)).collect();
        let mut facilities: Vec<&Facility> =
            pack.refdata.facilities.values().filter(|f| usable_facility(f, date)).collect();
        facilities.sort_by(|a, b| a.code.cmp(&b.code));
        if let Some(only) = &config.only_facility {
            facilities.retain(|f| f.code.as_str() == only);
            if facilities.is_empty() {
                return Err(WorldError::Facility(only.clone(), date));
            }
        }
        let mut items = ItemTable::default();
        let mut sites = Vec::new();
        for f in facilities {
            let Some(region) = pack.refdata.pooling_region_of(f.admdvs) else { continue };
            let catalog = pack.refdata.catalogs.get(&f.admdvs.province());
            let mut rows = |kind| catalog.map_or_else(Vec::new, |c| items.rows(c, f, kind, date));
            let (outpatient_items, inpatient_items) = (rows(Kind::Outpatient), rows(Kind::Inpatient));
            sites.push(Site {
                code: f.code.as_str().to_string(),
                name: f.name.clone(),
                region: region.admdvs.to_string(),
                outpatient: audience(&pack.refdata, &records, f, Kind::Outpatient, date),
                inpatient: audience(&pack.refdata, &records, f, Kind::Inpatient, date),
                outpatient_items,
                inpatient_items,
            });
        }
        let items = items.items;
        let world = World { service_date: date, sites, patients, items };
        if !world.sites.iter().any(|s| s.serves(Kind::Outpatient)) {
            return Err(WorldError::NoTraffic(date));
        }
        Ok(world)
    }
}

fn patient(r: &PersonRecord) -> Patient {
    Patient {
        psn_no: r.person.psn_no.clone(),
        certno: r.person.certno.as_str().to_string(),
        insutype: r.person.insutype.as_str(),
        insuplc: r.person.insuplc.to_string(),
    }
}

/// A hospital or clinic whose agreement runs from before the service date with no end (the hub
/// also refuses requests of a facility outside its validity *today*, so an end date is avoided).
fn usable_facility(f: &Facility, date: Date) -> bool {
    f.kind != FacilityKind::Pharmacy
        && f.begndate <= date
        && f.enddate.is_none()
        && f.code.as_str().len() == FACILITY_CODE_LEN
}

/// Who settles care of `kind` at `f`, by category (`settlement.md` §3–5, read conservatively).
fn audience(refdata: &RefData, records: &[&PersonRecord], f: &Facility, kind: Kind, date: Date) -> Audience {
    let mut out = Audience::default();
    let benefit = kind.benefit();
    let Some(treatment) = refdata.pooling_region_of(f.admdvs) else { return out };
    if !in_period(date, f.begndate, f.enddate) || !f.open_for(benefit) {
        return out;
    }
    let treatment_open = treatment.open_as_treatment && treatment.open_for(benefit);
    for (n, r) in records.iter().enumerate() {
        let n = u32::try_from(n).expect("persons fit u32");
        let p = &r.person;
        if !has_policy(refdata, r, benefit, date) {
            continue;
        }
        if treatment.admdvs == p.insuplc {
            out.local.push(n);
            continue;
        }
        let insured_open =
            refdata.regions.get(&p.insuplc).is_some_and(|g| g.open_as_insured && g.open_for(benefit));
        if !(treatment_open && insured_open) {
            continue;
        }
        let start_of_day = DateTime::new(date, 0, 0, 0).expect("midnight");
        let filed = r.filings.iter().any(|fl| {
            fl.covers(f.admdvs)
                && in_period(date, fl.begndate, fl.enddate)
                && fl.cancelled_at.is_none()
                && fl.filed_at.is_none_or(|t| t < start_of_day)
        });
        if filed { out.filed.push(n) } else { out.emergency.push(n) }
    }
    out
}

/// A policy version of the insured region for the person's scheme and group (or `any`), in
/// force on the date, without a disease (`settlement.md` §5).
fn has_policy(refdata: &RefData, r: &PersonRecord, benefit: BenefitKind, date: Date) -> bool {
    let p = &r.person;
    refdata.policies.get(&p.insuplc).is_some_and(|region| {
        region.policies.iter().any(|v| {
            v.insutype == p.insutype
                && v.benefit == benefit
                && v.effective_from <= date
                && v.disease.is_none()
                && v.psn_group.is_none_or(|g| g == p.psn_group)
        })
    })
}

/// Catalog rows shared by the sites of one province, level and kind.
#[derive(Default)]
struct ItemTable {
    items: Vec<Item>,
    cache: HashMap<(DivisionCode, u8, Kind), Vec<u32>>,
}

impl ItemTable {
    /// The catalog rows usable for `kind` at `f`: valid from the service date to the last day
    /// lines may fall on, with every restriction met for both `med_type`s of the kind (and no
    /// diagnosis restriction at all).
    fn rows(&mut self, catalog: &Catalog, f: &Facility, kind: Kind, date: Date) -> Vec<u32> {
        let key = (f.admdvs.province(), f.level, kind);
        if let Some(rows) = self.cache.get(&key) {
            return rows.clone();
        }
        let last = match kind {
            Kind::Outpatient => date,
            Kind::Inpatient => date.add_days(STAY_DAYS_MAX),
        };
        let mut codes: Vec<&String> = catalog.items.keys().collect();
        codes.sort();
        let mut out = Vec::new();
        for code in codes {
            let (Some(first), Some(end)) = (catalog.lookup(code, date), catalog.lookup(code, last)) else {
                continue;
            };
            if !(row_fits(first, f.level, kind) && row_fits(end, f.level, kind)) {
                continue;
            }
            out.push(u32::try_from(self.items.len()).expect("items fit u32"));
            self.items.push(Item {
                code: code.clone(),
                medins_code: format!("YN{code}"),
                list_type: first.list_type,
                price_cap_fen: first.price_cap.map(|c| c.get()),
            });
        }
        self.cache.insert(key, out.clone());
        out
    }
}

fn row_fits(row: &CatalogItem, level: u8, kind: Kind) -> bool {
    let med_types_met = row.lmt_med_types.is_empty()
        || kind.med_types().iter().all(|m| row.lmt_med_types.iter().any(|t| t.code() == *m));
    med_types_met && row.lmt_min_level.is_none_or(|min| level >= min) && row.lmt_dise_prefix.is_none()
}
