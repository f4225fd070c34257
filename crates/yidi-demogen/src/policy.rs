//! The typed shape of a region's `policies/ADMDVS.toml`, its TOML rendering, and the generator's
//! own check of the national ceilings (`settlement.md` §4) before anything is written.
//!
//! Amounts are fen (`i64`), ratios basis points (`u32`); region data lives in `policies/`.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Insu {
    Employee,
    Resident,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Outpatient,
    Chronic,
    Inpatient,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    InService,
    Retired,
    Adult,
    Minor,
    Any,
}

/// One value for every facility level, or one per level 1–3.
#[derive(Clone, Copy, Debug)]
pub enum Amount {
    Flat(i64),
    Levels([i64; 3]),
}

#[derive(Clone, Debug)]
pub enum Deductible {
    PerYear(Amount),
    PerVisit(Amount),
    PerAdmission(Amount, &'static [u32]),
    PctOfBill { bp: u32, min: i64, max: i64 },
}

#[derive(Clone, Debug)]
pub enum Form {
    Minus(u32),
    Factor(u32),
    Table([u32; 3]),
    ExtraPreselfpay(u32),
    Excluded,
}

#[derive(Clone, Debug)]
pub struct Adjustment {
    pub form: Form,
    pub deductible: Option<Deductible>,
    pub allow: Option<bool>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    Referral,
    Emergency,
    Other,
    Unfiled,
}

#[derive(Clone, Debug)]
pub enum LayerKind {
    /// `segments`: (cumulative upper bound, ratio); the last bound is `None`.
    Segments {
        threshold: i64,
        segments: Vec<(Option<i64>, u32)>,
        cap: Option<i64>,
    },
    AboveCap {
        ratio_bp: u32,
        cap: Option<i64>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Hifmi,
    Hifob,
}

#[derive(Clone, Debug)]
pub struct Layer {
    pub field: Field,
    pub kind: LayerKind,
}

#[derive(Clone, Debug)]
pub struct Policy {
    pub insutype: Insu,
    pub benefit: Kind,
    pub group: Group,
    pub effective_from: &'static str,
    pub deductible: Deductible,
    pub ratio_bp: [u32; 3],
    pub annual_cap: Option<i64>,
    pub cap_pool: &'static str,
    pub cap_per_month: bool,
    pub disease: Option<&'static str>,
    pub layers: Vec<Layer>,
    /// A comment line naming where the values come from.
    pub source: &'static str,
}

#[derive(Clone, Copy, Debug)]
pub struct FilingRules {
    pub min_hold_days: u32,
    pub temporary_months: u32,
    pub max_active_filings: u32,
}

#[derive(Clone, Debug)]
pub struct Assist {
    pub class: &'static str,
    pub ratio_bp: u32,
    pub annual_cap: i64,
}

/// One insured region's whole policy file.
#[derive(Clone, Debug)]
pub struct RegionPolicy {
    pub admdvs: &'static str,
    pub year_start: &'static str,
    pub home_benefit: &'static str,
    /// Comment lines at the top of the file (sources).
    pub notes: &'static [&'static str],
    /// referral, emergency, other, unfiled.
    pub general: [Adjustment; 4],
    pub overrides: Vec<(Kind, Class, Adjustment)>,
    pub filing: Option<FilingRules>,
    pub policies: Vec<Policy>,
    pub assistance: Vec<Assist>,
}

pub const CLASSES: [Class; 4] = [Class::Referral, Class::Emergency, Class::Other, Class::Unfiled];

impl Class {
    pub fn key(self) -> &'static str {
        match self {
            Class::Referral => "referral",
            Class::Emergency => "emergency",
            Class::Other => "other",
            Class::Unfiled => "unfiled",
        }
    }
    /// The national ceiling on the fall of the ratio (`settlement.md` §4).
    pub fn ceiling_bp(self) -> u32 {
        match self {
            Class::Referral | Class::Emergency => 1_000,
            Class::Other | Class::Unfiled => 2_000,
        }
    }
}

impl Kind {
    pub fn key(self) -> &'static str {
        match self {
            Kind::Outpatient => "outpatient",
            Kind::Chronic => "chronic",
            Kind::Inpatient => "inpatient",
        }
    }
}

impl Insu {
    pub fn code(self) -> &'static str {
        match self {
            Insu::Employee => "310",
            Insu::Resident => "390",
        }
    }
}

impl Group {
    pub fn key(self) -> &'static str {
        match self {
            Group::InService => "in_service",
            Group::Retired => "retired",
            Group::Adult => "adult",
            Group::Minor => "minor",
            Group::Any => "any",
        }
    }
}

// ---- builders used by the region data ----

pub fn flat(fen: i64) -> Amount {
    Amount::Flat(fen)
}
pub fn levels(l1: i64, l2: i64, l3: i64) -> Amount {
    Amount::Levels([l1, l2, l3])
}
pub fn minus(bp: u32) -> Adjustment {
    Adjustment { form: Form::Minus(bp), deductible: None, allow: None }
}
pub fn factor(bp: u32) -> Adjustment {
    Adjustment { form: Form::Factor(bp), deductible: None, allow: None }
}
pub fn table(l1: u32, l2: u32, l3: u32) -> Adjustment {
    Adjustment { form: Form::Table([l1, l2, l3]), deductible: None, allow: None }
}
pub fn extra_preselfpay(bp: u32) -> Adjustment {
    Adjustment { form: Form::ExtraPreselfpay(bp), deductible: None, allow: None }
}
pub fn excluded() -> Adjustment {
    Adjustment { form: Form::Excluded, deductible: None, allow: None }
}

impl Adjustment {
    pub fn allow(mut self, allow: bool) -> Adjustment {
        self.allow = Some(allow);
        self
    }
    pub fn deductible(mut self, deductible: Deductible) -> Adjustment {
        self.deductible = Some(deductible);
        self
    }
}

/// A policy version in force from 2025-01-01 with no layers; refine it with the methods below.
pub fn policy(
    insutype: Insu,
    benefit: Kind,
    group: Group,
    deductible: Deductible,
    ratio_bp: [u32; 3],
    annual_cap: Option<i64>,
    cap_pool: &'static str,
) -> Policy {
    Policy {
        insutype,
        benefit,
        group,
        effective_from: "2025-01-01",
        deductible,
        ratio_bp,
        annual_cap,
        cap_pool,
        cap_per_month: false,
        disease: None,
        layers: Vec::new(),
        source: "",
    }
}

impl Policy {
    pub fn from(mut self, date: &'static str) -> Policy {
        self.effective_from = date;
        self
    }
    pub fn layer(mut self, layer: Layer) -> Policy {
        self.layers.push(layer);
        self
    }
    pub fn disease(mut self, code: &'static str) -> Policy {
        self.disease = Some(code);
        self
    }
    pub fn monthly(mut self) -> Policy {
        self.cap_per_month = true;
        self
    }
    pub fn source(mut self, source: &'static str) -> Policy {
        self.source = source;
        self
    }
}

/// Residents' critical-illness insurance with the national preference for assisted persons
/// (threshold halved, +5 pp, no cap: `policy-background.md` §3.6).
pub fn hifmi(threshold: i64, segments: &[(Option<i64>, u32)], cap: Option<i64>) -> Layer {
    Layer { field: Field::Hifmi, kind: LayerKind::Segments { threshold, segments: segments.to_vec(), cap } }
}
pub fn hifob_above_cap(ratio_bp: u32, cap: Option<i64>) -> Layer {
    Layer { field: Field::Hifob, kind: LayerKind::AboveCap { ratio_bp, cap } }
}
pub fn hifob_segments(threshold: i64, segments: &[(Option<i64>, u32)], cap: Option<i64>) -> Layer {
    Layer { field: Field::Hifob, kind: LayerKind::Segments { threshold, segments: segments.to_vec(), cap } }
}

/// The three assistance classes: (ratio, cap) for tekun, dibao, dishouru.
pub fn assistance(tekun: (u32, i64), dibao: (u32, i64), dishouru: (u32, i64)) -> Vec<Assist> {
    vec![
        Assist { class: "tekun", ratio_bp: tekun.0, annual_cap: tekun.1 },
        Assist { class: "dibao", ratio_bp: dibao.0, annual_cap: dibao.1 },
        Assist { class: "dishouru", ratio_bp: dishouru.0, annual_cap: dishouru.1 },
    ]
}

impl RegionPolicy {
    /// The adjustment for a class and kind: the kind's override first, then the general one.
    pub fn adjustment(&self, kind: Kind, class: Class) -> &Adjustment {
        self.overrides
            .iter()
            .find(|(k, c, _)| *k == kind && *c == class)
            .map(|(_, _, a)| a)
            .unwrap_or(&self.general[class as usize])
    }
    pub fn cap_pools(&self) -> Vec<&'static str> {
        let mut pools: Vec<&'static str> = self.policies.iter().map(|p| p.cap_pool).collect();
        pools.sort_unstable();
        pools.dedup();
        pools
    }
}

mod check;
mod render;
pub use check::check;
pub use render::render;
