//! Agency dashboards: bounded aggregations of what one agency sees, computed on the sequencer
//! thread from the same state the settlements use.
//!
//! Key design decision: one scan of the region's settlement index over the chosen period builds
//! every settlement panel (daily volumes, flows, top facilities, the settled side of the rate), so
//! a dashboard costs one ordered range read, bounded by [`AGENCY_SCAN_ROWS_MAX`] like the agency
//! lists. Refusals are counted as they happen ([`RefusalLog`]) and stored as statistics (a refused
//! call changes no business data; `State::record_refusal`); a start replays the stored ones, so
//! the figures count from when the database began recording refusals, and every page that shows
//! them says from when.
//!
//! Scope, per panel: settlement panels count the live settlements the agency sees (its insured
//! persons anywhere, or anyone at its facilities); refusals likewise by either side; filings count
//! the filings of the persons insured in the region.

use std::collections::{BTreeMap, HashMap, HashSet};

use yidi_domain::{
    BenefitKind, Date, DateTime, DivisionCode, FacilityCode, Fen, FilingCategory, MedType, Pack,
};
use yidi_store::{SettlementRecord, SettlementStatus};

use super::overlay::{insured_region, settlement_regions};
use super::{AGENCY_SCAN_ROWS_MAX, AgencyError, AgencyUser, FieldProblem};
use crate::hub::Hub;
use crate::state::State;

/// Days a dashboard covers when the request does not say.
pub const DASHBOARD_DAYS_DEFAULT: u32 = 30;
/// Longest period one dashboard may cover.
pub const DASHBOARD_DAYS_MAX: u32 = 366;
/// Rows in the top-facilities table.
pub const TOP_FACILITIES_MAX: usize = 10;
/// Months in the filings-over-time panel (ending with the period's last month).
pub const FILING_MONTHS: u32 = 24;
/// Distinct (day, insured region, treatment region, err_code) refusal counters kept; past it new
/// keys are counted only in [`RefusalLog::dropped`], so refusals cannot grow memory without bound.
pub const REFUSAL_KEYS_MAX: usize = 100_000;
/// Refused visits remembered for the direct-settlement rate; past it only the counters grow.
pub const REFUSED_VISITS_MAX: usize = 200_000;

const _: () = assert!(DASHBOARD_DAYS_DEFAULT <= DASHBOARD_DAYS_MAX);
const _: () = assert!(TOP_FACILITIES_MAX <= AGENCY_SCAN_ROWS_MAX);

/// Care types shown on the dashboards, in column order.
pub const CARE_TYPES: [BenefitKind; 3] =
    [BenefitKind::Outpatient, BenefitKind::Chronic, BenefitKind::Inpatient];

/// A refused visit: when and between which regions it was last refused.
#[derive(Clone, Debug)]
struct RefusedVisit {
    day: Date,
    insured: Option<String>,
    treatment: Option<String>,
}

/// Refusals of settlement and pre-settlement calls (2206/2207/2303/2304), counted in memory and
/// rebuilt from the stored ones at start (see the module doc).
#[derive(Debug, Default)]
pub struct RefusalLog {
    /// From when the counts are whole: when the database began recording refusals, or later
    /// where old counters were dropped.
    pub since: Option<DateTime>,
    /// (day, insured region, treatment region, err_code) → refused calls.
    counts: BTreeMap<(Date, String, String, &'static str), u64>,
    /// Refusals not counted by key because [`REFUSAL_KEYS_MAX`] was reached.
    pub dropped: u64,
    /// `mdtrt_id` → its last refusal, for the direct-settlement rate.
    visits: HashMap<String, RefusedVisit>,
}

/// The `&'static str` of a stored `err_code`: each distinct text is kept once for the life of
/// the process (a few dozen codes exist), so the log's keys stay small.
pub fn intern_err_code(code: &str) -> &'static str {
    use std::sync::{Mutex, OnceLock};
    static CODES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut codes = CODES.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(known) = codes.get(code) {
        return known;
    }
    let leaked: &'static str = Box::leak(code.to_string().into_boxed_str());
    codes.insert(leaked);
    leaked
}

impl RefusalLog {
    /// Counts one refused settlement or pre-settlement of `psn_no` at `facility`.
    pub fn record(
        &mut self,
        pack: &Pack,
        psn_no: &str,
        facility: &str,
        mdtrt_id: &str,
        err_code: &'static str,
        now: DateTime,
    ) {
        let insured = pack.persons.get(psn_no).map(|p| insured_region(&pack.refdata, &p.person));
        let treatment = facility_region(pack, facility);
        let day = now.date();
        let key = (day, insured.clone().unwrap_or_default(), treatment.clone().unwrap_or_default(), err_code);
        if self.counts.len() >= REFUSAL_KEYS_MAX && !self.counts.contains_key(&key) {
            self.evict_counts(day);
        }
        if self.visits.len() >= REFUSED_VISITS_MAX && !self.visits.contains_key(mdtrt_id) {
            self.evict_visits(day);
        }
        let room = self.counts.len() < REFUSAL_KEYS_MAX;
        match self.counts.get_mut(&key) {
            Some(n) => *n += 1,
            None if room => {
                self.counts.insert(key, 1);
            }
            None => self.dropped += 1,
        }
        if self.visits.len() < REFUSED_VISITS_MAX || self.visits.contains_key(mdtrt_id) {
            self.visits.insert(mdtrt_id.to_string(), RefusedVisit { day, insured, treatment });
        }
    }
}

impl RefusalLog {
    /// Frees counters when full: first every day no dashboard can show any more (older than
    /// [`DASHBOARD_DAYS_MAX`] before `today`), then, if that was not enough, the oldest day. New
    /// refusals keep being counted however long the hub runs; `since` moves past what was dropped.
    fn evict_counts(&mut self, today: Date) {
        let cutoff = today.add_days(-i64::from(DASHBOARD_DAYS_MAX));
        let before = self.counts.len();
        self.counts.retain(|(day, ..), _| *day >= cutoff);
        if self.counts.len() < before {
            self.mark_counted_from(cutoff);
        }
        if self.counts.len() >= REFUSAL_KEYS_MAX
            && let Some(((oldest, ..), _)) = self.counts.first_key_value()
        {
            let oldest = *oldest;
            self.counts.retain(|(day, ..), _| *day > oldest);
            self.mark_counted_from(oldest.add_days(1));
        }
    }

    /// The same for remembered refused visits.
    fn evict_visits(&mut self, today: Date) {
        let cutoff = today.add_days(-i64::from(DASHBOARD_DAYS_MAX));
        self.visits.retain(|_, v| v.day >= cutoff);
        if self.visits.len() >= REFUSED_VISITS_MAX
            && let Some(oldest) = self.visits.values().map(|v| v.day).min()
        {
            self.visits.retain(|_, v| v.day > oldest);
        }
    }

    /// Counting is complete only from `day` on: dashboards say so through `since`.
    pub(crate) fn mark_counted_from(&mut self, day: Date) {
        let start = DateTime::start_of(day);
        if self.since.is_none_or(|s| s < start) {
            self.since = Some(start);
        }
    }
}

/// The pooling region of a facility code, when the pack knows the facility.
fn facility_region(pack: &Pack, facility: &str) -> Option<String> {
    let r = &pack.refdata;
    let f = FacilityCode::parse(facility).ok().and_then(|code| r.facilities.get(&code))?;
    r.pooling_region_of(f.admdvs).map(|region| region.admdvs.to_string())
}

/// `GET /agency/…?from=&to=` or `?days=N`: the period as text received; all optional.
#[derive(Clone, Debug, Default)]
pub struct DashboardQuery {
    /// First day, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last day (inclusive), `YYYY-MM-DD`.
    pub to: Option<String>,
    /// How many days, 1 to [`DASHBOARD_DAYS_MAX`] (default [`DASHBOARD_DAYS_DEFAULT`]): the N
    /// days ending at `to` (default today), or with only `from`, the N days from it (up to today).
    pub days: Option<String>,
}

/// A checked period: `[from, to]`, whole days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

impl Period {
    pub fn days(self) -> u32 {
        (self.to.to_days() - self.from.to_days() + 1) as u32
    }
}

impl DashboardQuery {
    /// The period, every problem listed; missing ends default to the last
    /// [`DASHBOARD_DAYS_DEFAULT`] days ending `today`.
    pub fn parse(&self, today: Date) -> Result<Period, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut day = |field: &str, text: &Option<String>| {
            let text = text.as_deref().map(str::trim).filter(|t| !t.is_empty())?;
            match Date::parse(text) {
                Ok(d) => Some(d),
                Err(_) => {
                    problems.push(FieldProblem {
                        field: field.to_string(),
                        message: format!("{field} 应为 YYYY-MM-DD 格式的日期（收到“{}”）", truncate(text)),
                    });
                    None
                }
            }
        };
        let (from, to) = (day("from", &self.from), day("to", &self.to));
        let days = match self.days.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => DASHBOARD_DAYS_DEFAULT,
            Some(text) => match text.parse::<u32>() {
                Ok(n) if (1..=DASHBOARD_DAYS_MAX).contains(&n) => n,
                _ => {
                    problems.push(FieldProblem {
                        field: "days".into(),
                        message: format!(
                            "days 应为 1 到 {DASHBOARD_DAYS_MAX} 之间的天数（收到“{}”）",
                            truncate(text)
                        ),
                    });
                    DASHBOARD_DAYS_DEFAULT
                }
            },
        };
        let span = i64::from(days) - 1;
        let (from, to) = match (from, to) {
            (Some(f), Some(t)) => (f, t),
            (Some(f), None) => (f, f.add_days(span).min(today).max(f)),
            (None, Some(t)) => (t.add_days(-span), t),
            (None, None) => (today.add_days(-span), today),
        };
        if from > to {
            problems.push(FieldProblem {
                field: "from".into(),
                message: format!("开始日期 {from} 晚于结束日期 {to}，请调换或修改"),
            });
        } else if to.to_days() - from.to_days() >= i64::from(DASHBOARD_DAYS_MAX) {
            problems.push(FieldProblem {
                field: "to".into(),
                message: format!("统计期间最长 {DASHBOARD_DAYS_MAX} 天，请缩短 {from} 至 {to} 的期间"),
            });
        }
        if problems.is_empty() { Ok(Period { from, to }) } else { Err(problems) }
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(super::QUERY_TEXT_CHARS_MAX).collect()
}

/// Counts and amounts of a group of settlements.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Volume {
    pub count: u64,
    /// `medfee_sumamt`: total bills.
    pub medfee: Fen,
    /// `fund_pay_sumamt`: what the funds paid.
    pub fund: Fen,
}

impl Volume {
    fn add(&mut self, st: &SettlementRecord) {
        self.count += 1;
        self.medfee += st.medfee_sumamt;
        self.fund += st.fund_pay_sumamt;
    }
}

/// One day's live settlements by care type ([`CARE_TYPES`] order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayVolume {
    pub date: Date,
    pub by_care: [Volume; 3],
}

/// One origin–destination cell: insured place → treatment place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    /// Insured region (or province) code.
    pub from: String,
    pub from_name: String,
    /// Treatment region (or province) code.
    pub to: String,
    pub to_name: String,
    pub volume: Volume,
}

/// Direct settlement over the period: visits settled against visits refused and never settled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettlementRate {
    /// Visits with a live settlement in the period.
    pub settled_visits: u64,
    /// Visits refused in the period (as recorded) that have no live settlement.
    pub refused_visits: u64,
}

impl SettlementRate {
    /// settled ÷ (settled + refused) in basis points, rounded half-up; `None` with no attempt.
    pub fn rate_bp(self) -> Option<u32> {
        let attempts = self.settled_visits + self.refused_visits;
        (attempts > 0).then(|| ((self.settled_visits * 10_000 + attempts / 2) / attempts) as u32)
    }
}

/// Refused calls with one `err_code`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusalCount {
    pub err_code: &'static str,
    pub count: u64,
}

/// Filings made in one month, by category ([`FilingCategory::ALL`] order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilingMonth {
    /// `YYYYMM`.
    pub year_month: u32,
    pub by_category: Vec<u64>,
}

/// A facility's cross-region live settlements in the period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FacilityVolume {
    pub fixmedins_code: String,
    pub name: String,
    pub admdvs: String,
    pub region_name: String,
    pub volume: Volume,
}

/// Everything the agency dashboards show, for one agency and period.
#[derive(Clone, Debug)]
pub struct Dashboard {
    pub admdvs: String,
    pub region_name: String,
    pub period: Period,
    pub generated_at: DateTime,
    /// Refusal figures count from here (the hub's start).
    pub refusals_since: Option<DateTime>,
    /// Settlements looked at; `truncated` when the scan stopped at [`AGENCY_SCAN_ROWS_MAX`].
    pub scanned: u64,
    pub truncated: bool,
    /// Live settlements of the period, all sides.
    pub total: Volume,
    /// … of persons insured here (outbound and local).
    pub insured_side: Volume,
    /// … at facilities here (inbound and local).
    pub treatment_side: Volume,
    /// … between different pooling regions.
    pub cross_region: Volume,
    /// Every day of the period, oldest first.
    pub daily: Vec<DayVolume>,
    /// Insured region → treatment region, largest fund amount first.
    pub region_flows: Vec<Flow>,
    /// Insured province → treatment province, largest fund amount first.
    pub province_flows: Vec<Flow>,
    pub rate: SettlementRate,
    /// By `err_code`, most frequent first.
    pub refusals: Vec<RefusalCount>,
    /// Refused calls per day of the period, oldest first.
    pub refusals_daily: Vec<(Date, u64)>,
    /// Refusals the log could not key (see [`REFUSAL_KEYS_MAX`]).
    pub refusals_dropped: u64,
    /// [`FILING_MONTHS`] months ending with the period's last month, oldest first.
    pub filings: Vec<FilingMonth>,
    /// Persons looked at for the filings panel (capped like the scans).
    pub filings_truncated: bool,
    pub top_facilities: Vec<FacilityVolume>,
}

impl Hub {
    /// The agency's dashboards for the period `q` names (default: the last 30 days).
    pub async fn agency_dashboard(
        &self,
        who: &AgencyUser,
        q: &DashboardQuery,
    ) -> Result<Dashboard, AgencyError> {
        let (who, q) = (who.clone(), q.clone());
        self.agency_op(move |state, clock| {
            let now = clock.now();
            let period = q.parse(now.date()).map_err(AgencyError::Invalid)?;
            Ok(dashboard(state, &who, period, now))
        })
        .await
    }
}

/// The name of a pooling region or province, else its code.
fn place_name(pack: &Pack, code: &str) -> String {
    let Ok(division) = DivisionCode::parse(code) else { return code.to_string() };
    let r = &pack.refdata;
    r.regions
        .get(&division)
        .map(|region| region.name.clone())
        .or_else(|| r.divisions.get(&division).map(|d| d.name.clone()))
        .unwrap_or_else(|| code.to_string())
}

fn province_of(code: &str) -> String {
    match code.get(..2) {
        Some(p) => format!("{p}0000"),
        None => code.to_string(),
    }
}

/// The care type of a settlement: its clearing type, then the visit's `med_type`.
fn care_index(state: &State, st: &SettlementRecord) -> usize {
    if st.clr_type == "21" {
        return 2;
    }
    let med_type = state.visits.get(&st.mdtrt_id).and_then(|v| v.med_type.as_deref()).unwrap_or("11");
    match MedType::parse(med_type).ok().and_then(MedType::benefit_kind) {
        Some(BenefitKind::Chronic) => 1,
        Some(BenefitKind::Inpatient) => 2,
        _ => 0,
    }
}

/// Builds the whole dashboard (see the module doc for the scope of each panel).
pub(crate) fn dashboard(state: &State, who: &AgencyUser, period: Period, now: DateTime) -> Dashboard {
    let pack = state.pack.clone();
    let region = who.admdvs.as_str();
    let mut d = Dashboard {
        admdvs: region.to_string(),
        region_name: place_name(&pack, region),
        period,
        generated_at: now,
        refusals_since: state.refusals.since,
        scanned: 0,
        truncated: false,
        total: Volume::default(),
        insured_side: Volume::default(),
        treatment_side: Volume::default(),
        cross_region: Volume::default(),
        daily: (0..period.days())
            .map(|i| DayVolume { date: period.from.add_days(i64::from(i)), by_care: Default::default() })
            .collect(),
        region_flows: Vec::new(),
        province_flows: Vec::new(),
        rate: SettlementRate { settled_visits: 0, refused_visits: 0 },
        refusals: Vec::new(),
        refusals_daily: Vec::new(),
        refusals_dropped: state.refusals.dropped,
        filings: Vec::new(),
        filings_truncated: false,
        top_facilities: Vec::new(),
    };
    settlement_panels(state, &pack, region, &mut d);
    refusal_panels(state, region, &mut d);
    filing_panel(state, &pack, region, &mut d);
    d
}

fn settlement_panels(state: &State, pack: &Pack, region: &str, d: &mut Dashboard) {
    let from = DateTime::start_of(d.period.from);
    let until = DateTime::start_of(d.period.to.add_days(1));
    let mut regions: BTreeMap<(String, String), Volume> = BTreeMap::new();
    let mut facilities: BTreeMap<String, Volume> = BTreeMap::new();
    let mut visits: HashSet<&str> = HashSet::new();
    for (scanned, id) in state.agency.settlements_of(region, Some(from), Some(until)).enumerate() {
        if scanned == AGENCY_SCAN_ROWS_MAX {
            d.truncated = true;
            break;
        }
        d.scanned += 1;
        let Some(st) = state.settlements.get(id) else { continue };
        if st.status != SettlementStatus::Settled {
            continue;
        }
        let (insured, treatment) = settlement_regions(pack, st);
        let (insured, treatment) = (insured.unwrap_or_default(), treatment.unwrap_or_default());
        d.total.add(st);
        if insured == region {
            d.insured_side.add(st);
        }
        if treatment == region {
            d.treatment_side.add(st);
        }
        let day = (st.setl_time.date().to_days() - d.period.from.to_days()) as usize;
        if let Some(row) = d.daily.get_mut(day) {
            row.by_care[care_index(state, st)].add(st);
        }
        visits.insert(st.mdtrt_id.as_str());
        if insured != treatment {
            d.cross_region.add(st);
            facilities.entry(st.fixmedins_code.clone()).or_default().add(st);
        }
        regions.entry((insured, treatment)).or_default().add(st);
    }
    d.rate.settled_visits = visits.len() as u64;
    let mut provinces: BTreeMap<(String, String), Volume> = BTreeMap::new();
    for ((from, to), v) in &regions {
        let cell = provinces.entry((province_of(from), province_of(to))).or_default();
        cell.count += v.count;
        cell.medfee += v.medfee;
        cell.fund += v.fund;
    }
    d.region_flows = flows(pack, regions);
    d.province_flows = flows(pack, provinces);
    d.top_facilities = top_facilities(pack, facilities);
}

fn flows(pack: &Pack, cells: BTreeMap<(String, String), Volume>) -> Vec<Flow> {
    let mut flows: Vec<Flow> = cells
        .into_iter()
        .map(|((from, to), volume)| Flow {
            from_name: place_name(pack, &from),
            to_name: place_name(pack, &to),
            from,
            to,
            volume,
        })
        .collect();
    flows.sort_by(|a, b| {
        (b.volume.fund, b.volume.count)
            .cmp(&(a.volume.fund, a.volume.count))
            .then((&a.from, &a.to).cmp(&(&b.from, &b.to)))
    });
    flows
}

fn top_facilities(pack: &Pack, facilities: BTreeMap<String, Volume>) -> Vec<FacilityVolume> {
    let mut rows: Vec<(String, Volume)> = facilities.into_iter().collect();
    rows.sort_by(|a, b| (b.1.count, b.1.fund).cmp(&(a.1.count, a.1.fund)).then(a.0.cmp(&b.0)));
    rows.truncate(TOP_FACILITIES_MAX);
    rows.into_iter()
        .map(|(code, volume)| {
            let facility = FacilityCode::parse(&code).ok().and_then(|c| pack.refdata.facilities.get(&c));
            let admdvs = facility_region(pack, &code).unwrap_or_default();
            FacilityVolume {
                name: facility.map_or_else(|| code.clone(), |f| f.name.clone()),
                region_name: place_name(pack, &admdvs),
                admdvs,
                fixmedins_code: code,
                volume,
            }
        })
        .collect()
}

fn refusal_panels(state: &State, region: &str, d: &mut Dashboard) {
    let log = &state.refusals;
    let mut by_code: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut by_day: BTreeMap<Date, u64> = BTreeMap::new();
    let lower = (d.period.from, String::new(), String::new(), "");
    for ((day, insured, treatment, code), n) in log.counts.range(lower..) {
        if *day > d.period.to {
            break;
        }
        if insured != region && treatment != region {
            continue;
        }
        *by_code.entry(code).or_default() += n;
        *by_day.entry(*day).or_default() += n;
    }
    let mut refusals: Vec<RefusalCount> =
        by_code.into_iter().map(|(err_code, count)| RefusalCount { err_code, count }).collect();
    refusals.sort_by(|a, b| b.count.cmp(&a.count).then(a.err_code.cmp(b.err_code)));
    d.refusals = refusals;
    d.refusals_daily = (0..d.period.days())
        .map(|i| {
            let day = d.period.from.add_days(i64::from(i));
            (day, by_day.get(&day).copied().unwrap_or(0))
        })
        .collect();
    let seen = |r: &Option<String>| r.as_deref() == Some(region);
    d.rate.refused_visits = log
        .visits
        .iter()
        .filter(|(_, v)| v.day >= d.period.from && v.day <= d.period.to)
        .filter(|(_, v)| seen(&v.insured) || seen(&v.treatment))
        .filter(|(mdtrt_id, _)| state.live_settlements(mdtrt_id).next().is_none())
        .count() as u64;
}

fn filing_panel(state: &State, pack: &Pack, region: &str, d: &mut Dashboard) {
    let last = d.period.to;
    let first =
        Date::new(last.year(), last.month(), 1).expect("day 1 exists").add_months(1 - FILING_MONTHS as i32);
    let months: Vec<u32> = (0..FILING_MONTHS as i32).map(|i| first.add_months(i).year_month()).collect();
    let mut counts: BTreeMap<u32, Vec<u64>> =
        months.iter().map(|m| (*m, vec![0; FilingCategory::ALL.len()])).collect();
    for (scanned, psn_no) in state.agency.persons_of(region).iter().enumerate() {
        if scanned == AGENCY_SCAN_ROWS_MAX {
            d.filings_truncated = true;
            break;
        }
        let Some(record) = state.agency.person(pack, psn_no) else { continue };
        for f in &record.filings {
            let month = f.filed_at.map_or(f.begndate, DateTime::date).year_month();
            let column =
                FilingCategory::ALL.iter().position(|c| *c == f.category).expect("every category is listed");
            if let Some(row) = counts.get_mut(&month) {
                row[column] += 1;
            }
        }
    }
    d.filings =
        counts.into_iter().map(|(year_month, by_category)| FilingMonth { year_month, by_category }).collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hub that runs for years keeps counting today's refusals: old days make room.
    #[test]
    fn a_full_refusal_log_drops_old_days_not_new_refusals() {
        let pack = Pack::default();
        let codes = yidi_protocol::errors::ALL_ERR_CODES;
        let start = Date::parse("2015-01-01").unwrap();
        let mut log = RefusalLog::default();
        let mut day = 0;
        while log.counts.len() < REFUSAL_KEYS_MAX {
            let at = DateTime::start_of(start.add_days(day));
            for (n, code) in codes.iter().enumerate().take(REFUSAL_KEYS_MAX - log.counts.len()) {
                log.record(&pack, "P1", "H0", &format!("V{day}-{n}"), code, at);
            }
            day += 1;
        }
        assert_eq!(log.dropped, 0);
        let today = start.add_days(day + 10);
        log.record(&pack, "P1", "H0", "V-today", codes[0], DateTime::start_of(today));
        assert_eq!(log.dropped, 0, "today's refusal is counted");
        assert!(log.counts.contains_key(&(today, String::new(), String::new(), codes[0])));
        let cutoff = today.add_days(-i64::from(DASHBOARD_DAYS_MAX));
        assert!(log.counts.keys().all(|(d, ..)| *d >= cutoff), "days no dashboard shows are gone");
        assert_eq!(log.since.map(DateTime::date), Some(cutoff), "the pages say from when counts are whole");
    }
}
