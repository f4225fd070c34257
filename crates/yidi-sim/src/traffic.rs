//! Traffic generation: which flow comes next ([`Generator`], sequential and seeded) and what it
//! contains ([`plan`], a pure function of the world and the flow's spec).
//!
//! The split keeps the shared part small: workers take the next [`FlowSpec`] under a lock (a
//! few random draws) and expand it into lines and requests on their own. Everything follows
//! from the seed, so the same seed gives the same requests; only the ids the hub issues
//! (`mdtrt_id`, `setl_id`) and the split amounts it computes come from its answers.

use std::collections::HashMap;
use std::sync::Arc;

use yidi_domain::{Date, DateTime, ListType};

use crate::limits::{
    FLOWS_PER_RUN_MAX, INPATIENT_LINES_MAX, INPATIENT_LINES_MIN, OUTPATIENT_LINES_MAX, OUTPATIENT_LINES_MIN,
    RUN_TAG_MAX, STAY_DAYS_MAX, STAY_REUSE_FLOWS_MIN,
};
use crate::rng::Rng;
use crate::world::{Category, Item, Kind, World};

/// Sites tried for an inpatient flow before it becomes an outpatient one (every candidate at a
/// small site may have been admitted recently).
const STAY_SITE_TRIES: usize = 8;

/// The shape of the traffic, in basis points (10 000 = 100 %).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mix {
    /// Flows that are inpatient stays; the rest are outpatient visits. Nationally about 5 %
    /// of cross-region settlements are inpatient (`policy-background.md` §8).
    pub inpatient_bp: u32,
    /// Outpatient visits pre-settled (2206) before settlement.
    pub pre_settle_bp: u32,
    /// Outpatient settlements cancelled (2208) afterwards.
    pub cancel_bp: u32,
    /// Settlements (2207, 2304) sent twice with the same `msgid` and body, as a HIS does after
    /// a lost answer; the hub must answer the same bytes.
    pub retry_bp: u32,
    /// Patients with a filing covering the facility; [`Mix::emergency_bp`] more are treated as
    /// unfiled emergencies, and the rest in their own insured region.
    pub filed_bp: u32,
    pub emergency_bp: u32,
}

impl Default for Mix {
    fn default() -> Mix {
        Mix {
            inpatient_bp: 500,
            pre_settle_bp: 3_000,
            cancel_bp: 500,
            retry_bp: 300,
            filed_bp: 6_000,
            emergency_bp: 1_500,
        }
    }
}

/// What one flow is, before its details are drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowSpec {
    /// The flow's number in the run (0, 1, …): numbers its `msgid`s and visit numbers.
    pub no: u64,
    pub kind: Kind,
    pub category: Category,
    /// Index into [`World::sites`].
    pub site: u32,
    /// Index into [`World::patients`].
    pub patient: u32,
    /// Outpatient: 2206 before 2207 (inpatient flows always send 2303).
    pub pre_settle: bool,
    /// Outpatient: 2208 after 2207.
    pub cancel: bool,
    /// The settlement is sent a second time and must be replayed byte for byte.
    pub retry: bool,
    /// Seed of the flow's own details (lines, times).
    pub detail_seed: u64,
}

/// The sequence of flows of a run.
#[derive(Debug)]
pub struct Generator {
    world: Arc<World>,
    mix: Mix,
    rng: Rng,
    next_no: u64,
    /// Flow number of each patient's last admission.
    last_stay: HashMap<u32, u64>,
    outpatient_sites: Vec<u32>,
    inpatient_sites: Vec<u32>,
}

impl Generator {
    pub fn new(world: Arc<World>, seed: u64, mix: Mix) -> Generator {
        let serving = |kind| {
            (0..world.sites.len())
                .filter(|&n| world.sites[n].serves(kind))
                .map(|n| u32::try_from(n).expect("sites fit u32"))
                .collect::<Vec<u32>>()
        };
        let outpatient_sites = serving(Kind::Outpatient);
        let inpatient_sites = serving(Kind::Inpatient);
        assert!(!outpatient_sites.is_empty(), "World::build guarantees outpatient traffic");
        Generator {
            world,
            mix,
            rng: Rng::new(seed),
            next_no: 0,
            last_stay: HashMap::new(),
            outpatient_sites,
            inpatient_sites,
        }
    }

    pub fn world(&self) -> &Arc<World> {
        &self.world
    }

    /// The next flow; `None` once [`FLOWS_PER_RUN_MAX`] flows were generated.
    pub fn next_flow(&mut self) -> Option<FlowSpec> {
        if self.next_no >= FLOWS_PER_RUN_MAX {
            return None;
        }
        let no = self.next_no;
        self.next_no += 1;
        let inpatient = self.rng.chance_bp(self.mix.inpatient_bp) && !self.inpatient_sites.is_empty();
        let mut picked = None;
        for _ in 0..STAY_SITE_TRIES {
            if !inpatient || picked.is_some() {
                break;
            }
            picked = self.pick(Kind::Inpatient, no);
        }
        let (kind, category, site, patient) = match picked {
            Some(p) => p,
            None => self.pick(Kind::Outpatient, no).expect("every outpatient site has patients"),
        };
        let outpatient = kind == Kind::Outpatient;
        let pre_settle = self.rng.chance_bp(self.mix.pre_settle_bp) && outpatient;
        let cancel = self.rng.chance_bp(self.mix.cancel_bp) && outpatient;
        let retry = self.rng.chance_bp(self.mix.retry_bp);
        let detail_seed = self.rng.next_u64();
        Some(FlowSpec { no, kind, category, site, patient, pre_settle, cancel, retry, detail_seed })
    }

    /// A site serving `kind`, then a category by the mix (if that is empty at the site, the first non-empty of emergency, filed, local
    /// if the drawn one is empty), then a patient; an inpatient must not have been admitted in
    /// the last [`STAY_REUSE_FLOWS_MIN`] flows. `None` if every candidate inpatient was.
    fn pick(&mut self, kind: Kind, no: u64) -> Option<(Kind, Category, u32, u32)> {
        let sites = match kind {
            Kind::Outpatient => &self.outpatient_sites,
            Kind::Inpatient => &self.inpatient_sites,
        };
        let site = sites[self.rng.below(sites.len())];
        let audience = self.world.sites[site as usize].audience(kind);
        let draw = self.rng.below(10_000);
        let wanted = if draw < self.mix.filed_bp as usize {
            Category::Filed
        } else if draw < (self.mix.filed_bp + self.mix.emergency_bp) as usize {
            Category::Emergency
        } else {
            Category::Local
        };
        let order = [wanted, Category::Emergency, Category::Filed, Category::Local];
        let category = order.into_iter().find(|c| !audience.of(*c).is_empty())?;
        let candidates = audience.of(category);
        let start = self.rng.below(candidates.len());
        for k in 0..candidates.len() {
            let patient = candidates[(start + k) % candidates.len()];
            if kind == Kind::Outpatient {
                return Some((kind, category, site, patient));
            }
            let free = self.last_stay.get(&patient).is_none_or(|last| no - last >= STAY_REUSE_FLOWS_MIN);
            if free {
                self.last_stay.insert(patient, no);
                return Some((kind, category, site, patient));
            }
        }
        None
    }
}

/// One fee line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// Index into [`World::items`].
    pub item: u32,
    /// Whole units, so the amount is exact without rounding.
    pub cnt: u32,
    pub price_fen: i64,
    /// Days after the service date the fee occurred on.
    pub day: i64,
}

impl Line {
    /// `det_item_fee_sumamt` = `cnt × pric`, exactly.
    pub fn amount_fen(&self) -> i64 {
        i64::from(self.cnt) * self.price_fen
    }
}

/// A flow with all its details drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowPlan {
    pub spec: FlowSpec,
    pub run_tag: u32,
    pub med_type: &'static str,
    pub emergency: bool,
    /// Main diagnosis: ICD-10 code and name.
    pub diagnosis: (&'static str, &'static str),
    /// Visit start (registration or admission); its date is the service date.
    pub begntime: DateTime,
    /// Discharge (inpatient) or the visit start again.
    pub endtime: DateTime,
    pub lines: Vec<Line>,
}

impl FlowPlan {
    /// Σ line amounts (`medfee_sumamt`).
    pub fn total_fen(&self) -> i64 {
        self.lines.iter().map(Line::amount_fen).sum()
    }
    /// When a line's fee occurred: its day, mid-morning (after an admission at 08:00–08:59),
    /// or ten minutes after an outpatient registration.
    pub fn fee_time(&self, line: &Line) -> DateTime {
        self.fee_time_on(line.day)
    }
    /// When the fees of `day` (days after the service date) occurred.
    pub fn fee_time_on(&self, day: i64) -> DateTime {
        match self.spec.kind {
            Kind::Outpatient => at(self.begntime.date(), self.begntime.secs_of_day() + 600),
            Kind::Inpatient => at(self.begntime.date().add_days(day), 10 * 3_600),
        }
    }
}

/// Common outpatient and inpatient diagnoses (ICD-10, national clinical version codes).
const OUTPATIENT_DIAGNOSES: [(&str, &str); 6] = [
    ("J06.900", "急性上呼吸道感染"),
    ("K29.700", "胃炎"),
    ("M54.500", "腰痛"),
    ("J20.900", "急性支气管炎"),
    ("L30.900", "皮炎"),
    ("H10.900", "结膜炎"),
];
const INPATIENT_DIAGNOSES: [(&str, &str); 6] = [
    ("J18.900", "肺炎"),
    ("I63.900", "脑梗死"),
    ("K80.200", "胆囊结石"),
    ("S72.000", "股骨颈骨折"),
    ("I21.900", "急性心肌梗死"),
    ("K35.800", "急性阑尾炎"),
];

/// Expands a spec into its lines and times (pure: same inputs, same plan).
pub fn plan(world: &World, spec: &FlowSpec, run_tag: u32) -> FlowPlan {
    assert!(run_tag <= RUN_TAG_MAX, "run tag {run_tag} too wide");
    let mut rng = Rng::new(spec.detail_seed);
    let site = &world.sites[spec.site as usize];
    let kind = spec.kind;
    let emergency = spec.category == Category::Emergency;
    let [ordinary, urgent] = kind.med_types();
    let diagnoses = match kind {
        Kind::Outpatient => &OUTPATIENT_DIAGNOSES,
        Kind::Inpatient => &INPATIENT_DIAGNOSES,
    };
    let diagnosis = diagnoses[rng.below(diagnoses.len())];
    let date = world.service_date;
    let (begntime, endtime, stay_days, count) = match kind {
        Kind::Outpatient => {
            let t = at(date, 8 * 3_600 + rng.between(0, 8 * 3_600 - 1) as u32);
            let count = rng.between(OUTPATIENT_LINES_MIN as u64, OUTPATIENT_LINES_MAX as u64);
            (t, t, 0, count)
        }
        Kind::Inpatient => {
            let days = rng.between(1, STAY_DAYS_MAX as u64) as i64;
            let count = rng.log_between(INPATIENT_LINES_MIN as u64, INPATIENT_LINES_MAX as u64);
            let admitted = at(date, 8 * 3_600 + rng.between(0, 3_599) as u32);
            (admitted, at(date.add_days(days), 16 * 3_600), days, count)
        }
    };
    let items = site.items(kind);
    let lines = (0..count)
        .map(|_| {
            let item = items[rng.below(items.len())];
            let it = &world.items[item as usize];
            let day = if stay_days == 0 { 0 } else { rng.between(0, stay_days as u64) as i64 };
            Line { item, cnt: draw_cnt(&mut rng, it), price_fen: draw_price_fen(&mut rng, it), day }
        })
        .collect();
    FlowPlan {
        spec: spec.clone(),
        run_tag,
        med_type: if emergency { urgent } else { ordinary },
        emergency,
        diagnosis,
        begntime,
        endtime,
        lines,
    }
}

fn at(date: Date, secs_of_day: u32) -> DateTime {
    let secs = secs_of_day.min(86_399);
    DateTime::new(date, (secs / 3_600) as u8, (secs / 60 % 60) as u8, (secs % 60) as u8).expect("valid time")
}

/// Whole units: a few packs of a drug, one or two services or materials.
fn draw_cnt(rng: &mut Rng, item: &Item) -> u32 {
    let max = match item.list_type {
        ListType::Drug => 6,
        ListType::Service => 3,
        ListType::Material => 2,
    };
    rng.between(1, max) as u32
}

/// Near the row's price cap (80–105 %, so some lines exceed it), or a typical price of its
/// type when the row has no cap; in fen.
fn draw_price_fen(rng: &mut Rng, item: &Item) -> i64 {
    match item.price_cap_fen {
        Some(cap) if cap > 0 => (cap * rng.between(80, 105) as i64 / 100).max(1),
        _ => {
            let (lo, hi) = match item.list_type {
                ListType::Drug => (200, 30_000),
                ListType::Service => (1_000, 50_000),
                ListType::Material => (500, 200_000),
            };
            rng.log_between(lo, hi) as i64
        }
    }
}
