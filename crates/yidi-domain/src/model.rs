//! Reference data and people: pooling regions, facilities, catalogs, chronic diseases, policies,
//! persons, filings and entitlements, as the adjudication engine reads them.
//!
//! Every record keeps a [`SourceRef`] (file and line of the pack row it came from) so that a
//! settlement's trace can name the exact catalog row or policy version behind each fen.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crate::acc::PersonState;
use crate::codes::{
    AssistClass, BenefitKind, CertNo, ChrgitmLv, DivisionCode, FacilityCode, FacilityKind, FilingCategory,
    Gender, InsuType, ListType, MedType, PsnGroup,
};
use crate::money::{Bp, Fen, Price};
use crate::time::{Date, DateTime, MonthDay};

/// Where a record came from: a pack file (relative to the pack root) and a 1-based line.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceRef {
    pub file: String,
    pub line: u32,
}

impl SourceRef {
    pub fn new(file: impl Into<String>, line: u32) -> SourceRef {
        SourceRef { file: file.into(), line }
    }
}

impl fmt::Display for SourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// Whether a date lies in `[begin, end]`, an absent end meaning open-ended.
pub fn in_period(date: Date, begin: Date, end: Option<Date>) -> bool {
    begin <= date && end.is_none_or(|e| date <= e)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DivisionLevel {
    Province,
    City,
    County,
}

impl DivisionLevel {
    pub fn parse(text: &str) -> Option<DivisionLevel> {
        match text {
            "province" => Some(DivisionLevel::Province),
            "city" => Some(DivisionLevel::City),
            "county" => Some(DivisionLevel::County),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Division {
    pub code: DivisionCode,
    pub name: String,
    pub level: DivisionLevel,
    pub parent: Option<DivisionCode>,
}

/// A pooling region (统筹区) and its switches (开通标志).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolingRegion {
    pub admdvs: DivisionCode,
    pub name: String,
    pub open_inpatient: bool,
    pub open_outpatient: bool,
    pub open_chronic: bool,
    pub open_as_insured: bool,
    pub open_as_treatment: bool,
    pub source: SourceRef,
}

impl PoolingRegion {
    pub fn open_for(&self, kind: BenefitKind) -> bool {
        match kind {
            BenefitKind::Outpatient => self.open_outpatient,
            BenefitKind::Chronic => self.open_chronic,
            BenefitKind::Inpatient => self.open_inpatient,
        }
    }
}

/// A designated facility (定点医药机构).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facility {
    pub code: FacilityCode,
    pub name: String,
    pub admdvs: DivisionCode,
    /// 1–3 for hospitals and clinics, 0 for pharmacies.
    pub level: u8,
    pub kind: FacilityKind,
    pub open_inpatient: bool,
    pub open_outpatient: bool,
    pub open_chronic: bool,
    /// Chronic-disease codes opened here; empty = every disease.
    pub chronic_diseases: Vec<String>,
    pub begndate: Date,
    pub enddate: Option<Date>,
    pub source: SourceRef,
}

impl Facility {
    pub fn open_for(&self, kind: BenefitKind) -> bool {
        match kind {
            BenefitKind::Outpatient => self.open_outpatient,
            BenefitKind::Chronic => self.open_chronic,
            BenefitKind::Inpatient => self.open_inpatient,
        }
    }
    /// The level used to look up level tables: pharmacies (0) use level 1 (`settlement.md` §6).
    pub fn table_level(&self) -> u8 {
        self.level.max(1)
    }
}

/// One version of a catalog row of the treatment province.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogItem {
    pub code: String,
    pub name: String,
    pub list_type: ListType,
    pub lv: ChrgitmLv,
    /// 乙类 pre-self-pay share; zero for other classes.
    pub selfpay_prop: Bp,
    /// Unit-price cap in fen.
    pub price_cap: Option<Fen>,
    /// Allowed `med_type`s; empty = any.
    pub lmt_med_types: Vec<MedType>,
    pub lmt_min_level: Option<u8>,
    pub lmt_dise_prefix: Option<String>,
    pub begndate: Date,
    pub enddate: Option<Date>,
    pub source: SourceRef,
}

impl CatalogItem {
    /// Whether the row is payable for any medical type, at any facility level and for any
    /// diagnosis.
    pub fn is_unrestricted(&self) -> bool {
        self.lmt_med_types.is_empty() && self.lmt_min_level.is_none() && self.lmt_dise_prefix.is_none()
    }

    /// A unit price for demo and test bills: the row's cap, or 25.00 yuan where it has none.
    pub fn sample_price(&self) -> Price {
        Price::from_fen(self.price_cap.unwrap_or(Fen::new(2_500)))
    }
}

/// The payment catalog of one treatment province: every version of every code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Catalog {
    pub items: HashMap<String, Vec<CatalogItem>>,
}

impl Catalog {
    /// The version of `code` valid on `date`.
    pub fn lookup(&self, code: &str, date: Date) -> Option<&CatalogItem> {
        self.items.get(code)?.iter().find(|item| in_period(date, item.begndate, item.enddate))
    }
    /// The unrestricted rows valid on `date`, ordered by code (so demo data and tests pick the
    /// same rows on every run).
    pub fn unrestricted(&self, date: Date) -> Vec<&CatalogItem> {
        let mut rows: Vec<&CatalogItem> = self
            .items
            .values()
            .filter_map(|versions| versions.iter().find(|i| in_period(date, i.begndate, i.enddate)))
            .filter(|i| i.is_unrestricted())
            .collect();
        rows.sort_by(|a, b| a.code.cmp(&b.code));
        rows
    }
    pub fn len(&self) -> usize {
        self.items.values().map(Vec::len).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// A disease of the national cross-province chronic/special disease list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChronicDisease {
    pub code: String,
    pub name: String,
    pub icd10_prefixes: Vec<String>,
    pub begndate: Date,
    pub enddate: Option<Date>,
    pub source: SourceRef,
}

impl ChronicDisease {
    pub fn matches(&self, dise_codg: &str) -> bool {
        self.icd10_prefixes.iter().any(|p| dise_codg.starts_with(p.as_str()))
    }
}

/// A level-dependent value: one value for every level, or one per facility level 1–3.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LevelTable<T> {
    Flat(T),
    ByLevel([T; 3]),
}

impl<T: Copy> LevelTable<T> {
    /// The value at a facility level; level 0 (pharmacies) reads level 1.
    pub fn at(&self, level: u8) -> T {
        match self {
            LevelTable::Flat(v) => *v,
            LevelTable::ByLevel(values) => values[usize::from(level.clamp(1, 3)) - 1],
        }
    }
}

/// How the deductible (起付标准) is computed (`settlement.md` §5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Deductible {
    PerYear { amount: LevelTable<Fen> },
    PerVisit { amount: LevelTable<Fen> },
    PerAdmission { amount: LevelTable<Fen>, nth_bp: Vec<Bp> },
    PctOfBill { bp: Bp, min: LevelTable<Fen>, max: LevelTable<Fen> },
}

impl Deductible {
    pub fn kind_name(&self) -> &'static str {
        match self {
            Deductible::PerYear { .. } => "per_year",
            Deductible::PerVisit { .. } => "per_visit",
            Deductible::PerAdmission { .. } => "per_admission",
            Deductible::PctOfBill { .. } => "pct_of_bill",
        }
    }
}

/// The filing classes that an insured region may adjust (`long_term` never is).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AdjClass {
    Referral,
    Emergency,
    Other,
    Unfiled,
}

impl AdjClass {
    pub const ALL: [AdjClass; 4] =
        [AdjClass::Referral, AdjClass::Emergency, AdjClass::Other, AdjClass::Unfiled];
    pub fn as_str(self) -> &'static str {
        match self {
            AdjClass::Referral => "referral",
            AdjClass::Emergency => "emergency",
            AdjClass::Other => "other",
            AdjClass::Unfiled => "unfiled",
        }
    }
    /// The national ceiling on how far the ratio may fall for this class (`settlement.md` §4).
    pub fn ceiling(self) -> Bp {
        match self {
            AdjClass::Referral | AdjClass::Emergency => Bp::new_const(1_000),
            AdjClass::Other | AdjClass::Unfiled => Bp::new_const(2_000),
        }
    }
}

/// How an adjustment changes the ratio (`settlement.md` §4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdjustmentForm {
    /// Only a replacement deductible (or nothing) changes.
    Unchanged,
    MinusBp(Bp),
    FactorBp(Bp),
    RatioTable(LevelTable<Bp>),
    ExtraPreselfpay(Bp),
    Excluded,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adjustment {
    pub form: AdjustmentForm,
    pub deductible: Option<Deductible>,
    /// Only meaningful for `unfiled`: whether unfiled care may be settled directly (免备案).
    pub allow: bool,
    pub source: SourceRef,
}

impl Adjustment {
    /// The ratio after this adjustment, for a local ratio at a given level.
    pub fn apply_to_ratio(&self, local: Bp, level: u8) -> Bp {
        match &self.form {
            AdjustmentForm::Unchanged | AdjustmentForm::ExtraPreselfpay(_) => local,
            AdjustmentForm::MinusBp(n) => local.minus(*n),
            AdjustmentForm::FactorBp(f) => local.scaled(*f),
            AdjustmentForm::RatioTable(table) => table.at(level),
            AdjustmentForm::Excluded => Bp::ZERO,
        }
    }
}

/// The adjustments for the four adjustable classes; `None` = no change for that class.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdjustmentSet {
    pub referral: Option<Adjustment>,
    pub emergency: Option<Adjustment>,
    pub other: Option<Adjustment>,
    pub unfiled: Option<Adjustment>,
}

impl AdjustmentSet {
    pub fn get(&self, class: AdjClass) -> Option<&Adjustment> {
        match class {
            AdjClass::Referral => self.referral.as_ref(),
            AdjClass::Emergency => self.emergency.as_ref(),
            AdjClass::Other => self.other.as_ref(),
            AdjClass::Unfiled => self.unfiled.as_ref(),
        }
    }
    pub fn slot(&mut self, class: AdjClass) -> &mut Option<Adjustment> {
        match class {
            AdjClass::Referral => &mut self.referral,
            AdjClass::Emergency => &mut self.emergency,
            AdjClass::Other => &mut self.other,
            AdjClass::Unfiled => &mut self.unfiled,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HomeBenefit {
    /// Long-term filers treated at home get full local benefits.
    Local,
    /// They get the region's referral adjustment.
    Referral,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LayerField {
    /// `hifob_pay`: employees' large-amount subsidy (大额医疗补助).
    Hifob,
    /// `hifmi_pay`: residents' critical-illness insurance (大病保险).
    Hifmi,
}

impl LayerField {
    pub fn as_str(self) -> &'static str {
        match self {
            LayerField::Hifob => "hifob_pay",
            LayerField::Hifmi => "hifmi_pay",
        }
    }
    pub fn name_zh(self) -> &'static str {
        match self {
            LayerField::Hifob => "大额医疗补助",
            LayerField::Hifmi => "大病保险",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Cumulative upper bound on the year's eligible self-pay; `None` for the last segment.
    pub upto: Option<Fen>,
    pub ratio: Bp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentLayer {
    pub threshold: Fen,
    pub segments: Vec<Segment>,
    pub cap: Option<Fen>,
    pub assist_threshold_bp: Option<Bp>,
    pub assist_bonus_bp: Bp,
    pub assist_uncapped: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayerKind {
    Segments(SegmentLayer),
    AboveCap { ratio: Bp, cap: Option<Fen> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    pub field: LayerField,
    pub kind: LayerKind,
    pub source: SourceRef,
}

/// One version of an insured region's benefit policy for one scheme, kind and group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyVersion {
    pub insutype: InsuType,
    pub benefit: BenefitKind,
    /// `None` = `any`.
    pub psn_group: Option<PsnGroup>,
    pub effective_from: Date,
    pub deductible: Deductible,
    pub ratio: LevelTable<Bp>,
    /// `None` = no cap.
    pub annual_cap: Option<Fen>,
    pub cap_pool: String,
    /// The cap counts per calendar month (chronic quotas such as dialysis).
    pub cap_period_month: bool,
    /// Chronic policies: the disease code this version serves; `None` = diseases without their own.
    pub disease: Option<String>,
    /// At most one per field; `hifob_pay` runs before `hifmi_pay`.
    pub layers: Vec<Layer>,
    pub source: SourceRef,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assistance {
    pub class: AssistClass,
    pub ratio: Bp,
    pub annual_cap: Option<Fen>,
    pub source: SourceRef,
}

/// Local filing-service rules of an insured region (`policy-background.md` §10 rules 3, 4, 8).
/// Optional keys of the policy file; the defaults are the national ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilingRules {
    /// Days after filing before a long-term filing may be changed or cancelled (≤ 183).
    pub min_hold_days: u32,
    /// Minimum validity of a temporary filing in months (≥ 6).
    pub temporary_months: u32,
    /// How many active cross-region filings a person may hold per insurance type.
    pub max_active_filings: u32,
}

impl Default for FilingRules {
    fn default() -> FilingRules {
        FilingRules { min_hold_days: 0, temporary_months: 6, max_active_filings: 1 }
    }
}

/// An insured region's whole policy file (`policies/ADMDVS.toml`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionPolicy {
    pub admdvs: DivisionCode,
    pub year_start: MonthDay,
    pub home_benefit: HomeBenefit,
    pub adjustments: AdjustmentSet,
    /// Per-benefit-kind overrides (`[adjustments.outpatient]`), consulted before `adjustments`.
    pub kind_adjustments: BTreeMap<BenefitKind, AdjustmentSet>,
    pub policies: Vec<PolicyVersion>,
    pub assistance: Vec<Assistance>,
    pub filing_rules: FilingRules,
    pub source: SourceRef,
}

impl RegionPolicy {
    /// The adjustment for a class and benefit kind: the kind's override first, then the general one.
    pub fn adjustment(&self, kind: BenefitKind, class: AdjClass) -> Option<&Adjustment> {
        self.kind_adjustments
            .get(&kind)
            .and_then(|set| set.get(class))
            .or_else(|| self.adjustments.get(class))
    }
    pub fn assistance_for(&self, class: AssistClass) -> Option<&Assistance> {
        self.assistance.iter().find(|a| a.class == class)
    }
}

/// An insured person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub psn_no: String,
    pub certno: CertNo,
    pub name: String,
    pub gend: Gender,
    pub brdy: Date,
    pub insuplc: DivisionCode,
    pub insutype: InsuType,
    pub psn_group: PsnGroup,
    pub assist_class: Option<AssistClass>,
    pub acct_balance: Fen,
    pub source: SourceRef,
}

/// A cross-region filing (备案).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filing {
    pub filing_id: String,
    pub psn_no: String,
    pub category: FilingCategory,
    /// Province (`xx0000`), city (`xxxx00`) or the whole country (`000000`).
    pub area: DivisionCode,
    pub begndate: Date,
    pub enddate: Option<Date>,
    pub filed_at: Option<DateTime>,
    pub cancelled_at: Option<DateTime>,
    pub source: SourceRef,
}

impl Filing {
    /// Whether the filing counts for a settlement at `setl_time` on `date` (`settlement.md` §4):
    /// in its period, made before the settlement, and not cancelled at or before it.
    pub fn valid_for(&self, date: Date, setl_time: DateTime) -> bool {
        in_period(date, self.begndate, self.enddate)
            && self.filed_at.is_none_or(|t| t < setl_time)
            && self.cancelled_at.is_none_or(|t| t > setl_time)
    }
    pub fn covers(&self, division: DivisionCode) -> bool {
        self.area.covers(division)
    }
}

/// A person's chronic-disease entitlement (资格认定) at the insured place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entitlement {
    pub psn_no: String,
    pub disease_code: String,
    pub begndate: Date,
    pub enddate: Option<Date>,
    pub source: SourceRef,
}

/// Everything about one person that adjudication reads: the person, their filings and their
/// chronic-disease entitlements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonRecord {
    pub person: Person,
    pub filings: Vec<Filing>,
    pub entitlements: Vec<Entitlement>,
}

/// The shared reference data of a hub: divisions, regions, facilities, catalogs, the chronic
/// list and the insured regions' policies.
#[derive(Clone, Debug, Default)]
pub struct RefData {
    pub divisions: BTreeMap<DivisionCode, Division>,
    pub regions: BTreeMap<DivisionCode, PoolingRegion>,
    pub facilities: HashMap<FacilityCode, Facility>,
    /// Keyed by province code (`xx0000`).
    pub catalogs: HashMap<DivisionCode, Catalog>,
    pub chronic_diseases: Vec<ChronicDisease>,
    pub policies: HashMap<DivisionCode, RegionPolicy>,
}

impl RefData {
    /// The pooling region whose code covers `division`, the most specific one winning.
    ///
    /// A region's code is its own county code, a city (`xxxx00`) or a province (`xx0000`), so
    /// three exact lookups find it, most specific first, whatever the number of regions.
    pub fn pooling_region_of(&self, division: DivisionCode) -> Option<&PoolingRegion> {
        [division, division.city(), division.province()]
            .into_iter()
            .find_map(|code| self.regions.get(&code).filter(|r| r.admdvs.covers(division)))
    }
    /// The national chronic disease a diagnosis belongs to, on a date.
    pub fn chronic_disease_for(&self, dise_codg: &str, date: Date) -> Option<&ChronicDisease> {
        self.chronic_diseases.iter().find(|d| in_period(date, d.begndate, d.enddate) && d.matches(dise_codg))
    }
}

/// A whole loaded pack: reference data, persons, and their opening state.
#[derive(Clone, Debug, Default)]
pub struct Pack {
    pub refdata: RefData,
    pub persons: BTreeMap<String, PersonRecord>,
    /// Opening state per person: account balance and carried-in accumulators.
    pub states: BTreeMap<String, PersonState>,
}

/// Helper for tests and tools: the state a person starts from.
impl Pack {
    pub fn state_of(&self, psn_no: &str) -> PersonState {
        self.states.get(psn_no).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(code: &str, begn: Date, end: Option<Date>) -> CatalogItem {
        CatalogItem {
            code: code.to_string(),
            name: code.to_string(),
            list_type: ListType::Drug,
            lv: ChrgitmLv::A,
            selfpay_prop: Bp::ZERO,
            price_cap: None,
            lmt_med_types: Vec::new(),
            lmt_min_level: None,
            lmt_dise_prefix: None,
            begndate: begn,
            enddate: end,
            source: SourceRef::new("catalog.csv", 1),
        }
    }

    #[test]
    fn unrestricted_rows_are_the_valid_plain_ones_by_code() {
        let d = |m, day| Date::new(2025, m, day).unwrap();
        let mut level = row("B", d(1, 1), None);
        level.lmt_min_level = Some(3);
        let mut disease = row("C", d(1, 1), None);
        disease.lmt_dise_prefix = Some("E11".into());
        let mut capped = row("D", d(1, 1), None);
        capped.price_cap = Some(Fen::new(1_234));
        let mut catalog = Catalog::default();
        for item in [
            row("Z", d(1, 1), None),
            level,
            disease,
            capped,
            row("E", d(1, 1), Some(d(3, 31))),
            row("E", d(4, 1), None),
            row("F", d(1, 1), Some(d(3, 31))),
        ] {
            catalog.items.entry(item.code.clone()).or_default().push(item);
        }
        let codes = |date| catalog.unrestricted(date).iter().map(|r| r.code.clone()).collect::<Vec<_>>();
        assert_eq!(codes(d(3, 1)), ["D", "E", "F", "Z"]);
        assert_eq!(codes(d(6, 1)), ["D", "E", "Z"], "F has ended; E's second version is valid");
        assert_eq!(catalog.unrestricted(d(6, 1))[1].begndate, d(4, 1));
        assert_eq!(catalog.lookup("D", d(6, 1)).unwrap().sample_price().to_string(), "12.34");
        assert_eq!(catalog.lookup("Z", d(6, 1)).unwrap().sample_price().to_string(), "25.00");
    }
}
