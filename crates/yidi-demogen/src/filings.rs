//! Filings (`filings.csv`), chronic-disease entitlements (`entitlements.csv`) and carried-in
//! accumulators (`accumulators.csv`): the story's own rows plus a few hundred random ones.
//!
//! Every person holds at most one active filing at a time; a person who moved has an older
//! long-term filing that was cancelled (after the region's minimum holding period) before the
//! new one began. Temporary filings last at least the region's `temporary_months` (≥ 6).

use std::collections::{BTreeMap, BTreeSet};

use yidi_domain::Date;

use crate::chronic::DISEASES;
use crate::persons::{Person, age_on, random_date};
use crate::policy::{Group, Insu};
use crate::regions::Region;
use crate::rng::Rng;
use crate::story;

#[derive(Clone, Debug)]
pub struct Filing {
    pub psn_no: String,
    pub category: &'static str,
    pub area: String,
    pub begndate: Date,
    pub enddate: Option<Date>,
    pub filed_at: Option<String>,
    pub cancelled_at: Option<String>,
}

pub const HEADER: [&str; 8] =
    ["filing_id", "psn_no", "category", "mdtrtarea_admvs", "begndate", "enddate", "filed_at", "cancelled_at"];

const LONG_TERM: [&str; 3] = ["retired_resettled", "long_term_resident", "posted_worker"];

/// All filings, sorted by person and begin date (the order the ids are given in).
pub fn build(persons: &[Person], regions: &[Region], cast: &BTreeMap<&'static str, String>) -> Vec<Filing> {
    let mut rng = Rng::stream("filings");
    let story_people: BTreeSet<&String> = cast.values().collect();
    let mut out: Vec<Filing> = story::FILINGS.iter().map(|f| story_filing(f, cast)).collect();
    for person in persons.iter().filter(|p| !story_people.contains(&p.psn_no)) {
        let Some(category) = random_category(&mut rng, person) else { continue };
        let region = region_of(regions, person.region);
        let area = random_area(&mut rng, regions, region, !LONG_TERM.contains(&category));
        if LONG_TERM.contains(&category) {
            out.extend(long_term(&mut rng, person, regions, region, category, area));
        } else {
            out.push(temporary(&mut rng, person, region, category, area));
        }
    }
    out.sort_by(|a, b| (&a.psn_no, a.begndate).cmp(&(&b.psn_no, b.begndate)));
    out
}

fn story_filing(f: &story::StoryFiling, cast: &BTreeMap<&'static str, String>) -> Filing {
    let (key, category, area, begin, end, filed_at) = *f;
    Filing {
        psn_no: cast[key].clone(),
        category,
        area: area.to_string(),
        begndate: Date::parse(begin).expect("story date"),
        enddate: end.map(|e| Date::parse(e).expect("story date")),
        filed_at: filed_at.map(str::to_string),
        cancelled_at: None,
    }
}

pub fn region_of<'a>(regions: &'a [Region], admdvs: &str) -> &'a Region {
    regions.iter().find(|r| r.admdvs == admdvs).expect("region")
}

/// Which category a person files in, if any: retirees resettle, workers are posted, residents
/// move or are referred; about one person in six files at all.
fn random_category(rng: &mut Rng, p: &Person) -> Option<&'static str> {
    let (chance, options): (u64, &[(&'static str, u64)]) = match p.group {
        Group::Retired => (
            330,
            &[
                ("retired_resettled", 50),
                ("long_term_resident", 20),
                ("referral", 15),
                ("other_temporary", 10),
                ("emergency", 5),
            ],
        ),
        Group::InService => (
            140,
            &[
                ("posted_worker", 40),
                ("long_term_resident", 20),
                ("referral", 15),
                ("other_temporary", 15),
                ("emergency", 10),
            ],
        ),
        Group::Adult => {
            (130, &[("long_term_resident", 35), ("referral", 35), ("other_temporary", 20), ("emergency", 10)])
        }
        Group::Minor | Group::Any => (60, &[("referral", 60), ("other_temporary", 40)]),
    };
    if !rng.chance(chance) {
        return None;
    }
    let weights: Vec<u64> = options.iter().map(|(_, w)| *w).collect();
    Some(options[rng.weighted(&weights)].0)
}

/// Another region's code (city or municipality), its province, or the whole country
/// (temporary filings only); never an area that covers the person's own region.
fn random_area(rng: &mut Rng, regions: &[Region], own: &Region, temporary: bool) -> String {
    if temporary && rng.chance(150) {
        return "000000".to_string();
    }
    loop {
        let target = rng.pick(regions);
        if target.admdvs == own.admdvs {
            continue;
        }
        let area = if rng.chance(250) { target.province() } else { target.admdvs.to_string() };
        // A province area must not contain the insured region either.
        let own_province = area.ends_with("0000") && own.admdvs.starts_with(&area[..2]);
        if !(own.covers(&area) || own_province) {
            return area;
        }
    }
}

fn timestamp(rng: &mut Rng, date: Date) -> String {
    format!("{date} {:02}:{:02}:{:02}", rng.range(8, 20), rng.range(0, 59), rng.range(0, 59))
}

/// A long-term filing; one in ten movers also has an earlier, cancelled one.
fn long_term(
    rng: &mut Rng,
    p: &Person,
    regions: &[Region],
    region: &Region,
    category: &'static str,
    area: String,
) -> Vec<Filing> {
    let hold_days = i64::from(region.policy.filing.map_or(0, |f| f.min_hold_days));
    let mut out = Vec::new();
    let mut earliest = (2021, 1, 1);
    if rng.chance(100) {
        let begin = random_date(rng, (2021, 1, 1), (2022, 12, 31));
        let cancel = begin.add_days(hold_days + rng.range(30, 500));
        out.push(Filing {
            psn_no: p.psn_no.clone(),
            category,
            area: random_area(rng, regions, region, false),
            begndate: begin,
            enddate: None,
            filed_at: Some(timestamp(rng, begin)),
            cancelled_at: Some(timestamp(rng, cancel)),
        });
        let next = cancel.add_days(1);
        earliest = (next.year(), next.month(), next.day());
    }
    let begin = random_date(rng, earliest, (2025, 9, 30));
    let filed = rng.chance(600).then(|| timestamp(rng, begin));
    let cancelled = (out.is_empty() && rng.chance(60)).then(|| {
        let from = begin.add_days(hold_days + 1).max(Date::new(2025, 1, 2).expect("date"));
        let day = from.add_days(rng.range(0, 200));
        timestamp(rng, day)
    });
    out.push(Filing {
        psn_no: p.psn_no.clone(),
        category,
        area,
        begndate: begin,
        enddate: None,
        filed_at: filed,
        cancelled_at: cancelled,
    });
    out
}

/// A temporary filing of 6 or 12 months (at least the region's minimum).
fn temporary(rng: &mut Rng, p: &Person, region: &Region, category: &'static str, area: String) -> Filing {
    let min_months = region.policy.filing.map_or(6, |f| f.temporary_months);
    let months = if rng.chance(300) { 12 } else { 6 }.max(min_months) as i32;
    let begin = random_date(rng, (2024, 10, 1), (2025, 11, 28));
    let begin = Date::new(begin.year(), begin.month(), begin.day().min(28)).expect("date");
    let end = begin.add_months(months);
    let filed = rng.chance(700).then(|| timestamp(rng, begin));
    let cancelled = rng.chance(50).then(|| {
        let day = begin.add_days(rng.range(10, 150));
        timestamp(rng, day)
    });
    Filing {
        psn_no: p.psn_no.clone(),
        category,
        area,
        begndate: begin,
        enddate: Some(end),
        filed_at: filed,
        cancelled_at: cancelled,
    }
}

pub fn cells(id: usize, f: &Filing) -> Vec<String> {
    vec![
        format!("F{id:08}"),
        f.psn_no.clone(),
        f.category.to_string(),
        f.area.clone(),
        f.begndate.to_string(),
        crate::out::opt(f.enddate),
        f.filed_at.clone().unwrap_or_default(),
        f.cancelled_at.clone().unwrap_or_default(),
    ]
}

// ---- entitlements ----

pub const ENTITLEMENT_HEADER: [&str; 4] = ["psn_no", "disease_code", "begndate", "enddate"];

/// Chronic entitlements: the story's, plus about one in eight persons aged 40 or more. Diseases
/// of the 2024 additions start on or after 2024-10-01; cancer entitlements last two years.
pub fn entitlements(persons: &[Person], cast: &BTreeMap<&'static str, String>) -> Vec<Vec<String>> {
    let mut rng = Rng::stream("entitlements");
    let mut rows: BTreeMap<(String, &str), (Date, Option<Date>)> = BTreeMap::new();
    for (key, disease, begin) in story::ENTITLEMENTS {
        rows.insert((cast[key].clone(), *disease), (Date::parse(begin).expect("date"), None));
    }
    let story_people: BTreeSet<&String> = cast.values().collect();
    let mid_year = Date::new(crate::persons::DEMO_YEAR, 7, 1).expect("date");
    let weights = [30, 25, 8, 5, 2, 8, 6, 10, 4, 2];
    for p in persons.iter().filter(|p| !story_people.contains(&p.psn_no)) {
        if age_on(p.birth, mid_year) < 40 || !rng.chance(200) {
            continue;
        }
        let disease = &DISEASES[rng.weighted(&weights)];
        let new_list = Date::parse(disease.begndate).expect("date").year() >= 2024;
        let floor = if new_list { (2024, 10, 1) } else { (2019, 1, 1) };
        let begin = random_date(&mut rng, floor, (2025, 10, 31));
        let end = (disease.code == "M00003").then(|| begin.add_months(24).add_days(-1));
        rows.insert((p.psn_no.clone(), disease.code), (begin, end));
    }
    rows.into_iter()
        .map(|((psn, code), (begin, end))| {
            vec![psn, code.to_string(), begin.to_string(), crate::out::opt(end)]
        })
        .collect()
}

// ---- accumulators ----

pub const ACC_HEADER: [&str; 11] = [
    "psn_no",
    "policy_year",
    "pool",
    "deductible_paid",
    "admissions",
    "fund_paid",
    "hifmi_base",
    "hifmi_paid",
    "hifob_base",
    "hifob_paid",
    "maf_paid",
];

/// The story's carried-in rows; each pool must be one the person's region uses.
pub fn accumulators(
    persons: &[Person],
    regions: &[Region],
    cast: &BTreeMap<&'static str, String>,
) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = story::ACCUMULATORS
        .iter()
        .map(|(key, year, pool, ded, adm, fund, person_year)| {
            let psn_no = &cast[key];
            let person = persons.iter().find(|p| &p.psn_no == psn_no).expect("person");
            let region = region_of(regions, person.region);
            assert!(region.policy.cap_pools().contains(pool), "pool {pool} not used in {}", region.admdvs);
            let mut row = vec![
                psn_no.clone(),
                year.to_string(),
                pool.to_string(),
                ded.to_string(),
                adm.to_string(),
                fund.to_string(),
            ];
            match person_year {
                Some(values) => row.extend(values.iter().map(i64::to_string)),
                None => row.extend(std::iter::repeat_n(String::new(), 5)),
            }
            assert!(
                person.insutype == Insu::Employee || person_year.is_none_or(|v| v[2] == 0 && v[3] == 0),
                "hifob for a resident"
            );
            row
        })
        .collect();
    rows.sort();
    rows
}
