//! Public read operations for the portal: where direct settlement is open (regions and
//! facilities), the "what will I pay" estimator, and the published service figures.
//!
//! Key design decision: the pack is read through the hub ([`Hub::public_pack`] takes the working
//! state's `Arc<Pack>` on the sequencer thread, a pointer copy), and everything else here is a pure
//! function over that `&Pack`, computed on the caller's task. The portal therefore always shows the
//! pack the next settlement will use, a slow page never holds the sequencer, and each function is
//! tested on a pack value without a running hub.
//!
//! Nothing here reveals a person: the estimator runs the engine for a made-up person (fresh
//! policy year, no accumulators), and the figures are counts. The one exception is
//! `reimbursements.rs`, the signed-in person's own manual reimbursements, always read by the
//! session's `psn_no`.

mod estimate;
mod figures;
mod reimbursements;

use std::sync::Arc;

use yidi_domain::{BenefitKind, DivisionCode, Facility, FacilityKind, Pack, PoolingRegion, RefData};

pub use estimate::{
    CATALOG_LOOKUP_ROWS_MAX, CatalogRow, ESTIMATE_LINES_MAX, EstimateChoices, EstimateLine, EstimateOutcome,
    EstimateRequest, EstimateView, FilingStatus, InputProblem, LayerLine, LineInput, catalog_lookup,
    estimate, estimate_choices, typical_basket,
};
pub use figures::{FIGURE_SAMPLE_LEN, ServiceFigures, ServiceFiguresRecorder};
pub use reimbursements::PersonReimbursementView;

use crate::hub::Hub;

/// Rows per page of the facility search.
pub const FACILITY_PAGE_SIZE: usize = 20;
/// Longest search text accepted (characters); longer text is cut.
pub const SEARCH_TEXT_CHARS_MAX: usize = 40;

impl Hub {
    /// The pack the hub settles with now. `None` when the hub is stopping or its queue is full.
    pub async fn public_pack(&self) -> Option<Arc<Pack>> {
        self.on_sequencer(|state, _| state.pack.clone()).await
    }

    /// The published service figures of today (by the hub's clock).
    pub fn public_figures(&self) -> ServiceFigures {
        self.figures().snapshot(self.clock().now().date())
    }
}

/// Which care a region or a facility is open for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenFor {
    pub inpatient: bool,
    pub outpatient: bool,
    pub chronic: bool,
}

impl OpenFor {
    pub fn get(self, kind: BenefitKind) -> bool {
        match kind {
            BenefitKind::Inpatient => self.inpatient,
            BenefitKind::Outpatient => self.outpatient,
            BenefitKind::Chronic => self.chronic,
        }
    }
}

/// One pooling region as the public sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionView {
    pub admdvs: String,
    pub name: String,
    /// Persons insured here may settle elsewhere directly (for the kinds in `open`).
    pub open_as_insured: bool,
    /// Facilities here settle for persons from elsewhere (for the kinds in `open`).
    pub open_as_treatment: bool,
    pub open: OpenFor,
    /// Designated facilities in the region.
    pub facilities: usize,
    /// Unfiled cross-region care may be settled directly (`None`: the region has no policy file).
    pub unfiled_allowed: Option<bool>,
    /// Filing rules of the region as insured place: minimum holding days of a long-term filing,
    /// minimum months of a temporary one, and active filings allowed at once.
    pub min_hold_days: Option<u32>,
    pub temporary_months: Option<u32>,
    pub max_active_filings: Option<u32>,
}

/// The regions of one province.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvinceView {
    pub code: String,
    pub name: String,
    pub regions: Vec<RegionView>,
}

/// Every pooling region, grouped by province (by code).
pub fn regions(pack: &Pack) -> Vec<ProvinceView> {
    let refdata = &pack.refdata;
    let mut counts: std::collections::HashMap<DivisionCode, usize> = std::collections::HashMap::new();
    for f in refdata.facilities.values() {
        if let Some(r) = refdata.pooling_region_of(f.admdvs) {
            *counts.entry(r.admdvs).or_default() += 1;
        }
    }
    let mut out: Vec<ProvinceView> = Vec::new();
    for region in refdata.regions.values() {
        let province = region.admdvs.province();
        let view = region_view(refdata, region, counts.get(&region.admdvs).copied().unwrap_or(0));
        match out.last_mut() {
            Some(p) if p.code == province.to_string() => p.regions.push(view),
            _ => out.push(ProvinceView {
                code: province.to_string(),
                name: division_name(refdata, province),
                regions: vec![view],
            }),
        }
    }
    out
}

fn region_view(refdata: &RefData, region: &PoolingRegion, facilities: usize) -> RegionView {
    let policy = refdata.policies.get(&region.admdvs);
    RegionView {
        admdvs: region.admdvs.to_string(),
        name: region.name.clone(),
        open_as_insured: region.open_as_insured,
        open_as_treatment: region.open_as_treatment,
        open: OpenFor {
            inpatient: region.open_inpatient,
            outpatient: region.open_outpatient,
            chronic: region.open_chronic,
        },
        facilities,
        unfiled_allowed: policy.map(|p| {
            p.adjustment(BenefitKind::Inpatient, yidi_domain::AdjClass::Unfiled).is_some_and(|a| a.allow)
        }),
        min_hold_days: policy.map(|p| p.filing_rules.min_hold_days),
        temporary_months: policy.map(|p| p.filing_rules.temporary_months),
        max_active_filings: policy.map(|p| p.filing_rules.max_active_filings),
    }
}

/// The name of a division (province, city or county), or its code when the table lacks it.
pub fn division_name(refdata: &RefData, code: DivisionCode) -> String {
    refdata.divisions.get(&code).map_or_else(|| code.to_string(), |d| d.name.clone())
}

/// The name of the city a division lies in; a municipality (whose city level has no entry of its
/// own, like 上海市 310100) reads its province's name.
pub fn city_name(refdata: &RefData, code: DivisionCode) -> String {
    match refdata.divisions.get(&code.city()) {
        Some(d) => d.name.clone(),
        None => division_name(refdata, code.province()),
    }
}

/// The facility search as typed into the form: every field optional text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FacilityQuery {
    /// Part of the facility's name.
    pub name: String,
    /// Province (`xx0000`) or city (`xxxx00`) code.
    pub area: String,
    /// `1`, `2`, `3` or `0` (pharmacies).
    pub level: String,
    /// `hospital`, `clinic` or `pharmacy`.
    pub kind: String,
    /// `inpatient`, `outpatient` or `chronic`: open for it (facility and its region).
    pub care: String,
    /// A chronic-disease code (`M00001`) the facility is open for.
    pub disease: String,
    /// 1-based page number.
    pub page: String,
}

/// One facility in the search result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FacilityRow {
    pub code: String,
    pub name: String,
    pub province: String,
    pub city: String,
    pub region_name: String,
    pub level: u8,
    pub kind: FacilityKind,
    /// Open for cross-region direct settlement: the facility's own switch and its region's.
    pub open: OpenFor,
    /// Chronic diseases opened here (names); empty with `open.chronic` = every listed disease.
    pub diseases: Vec<String>,
    pub agreement_until: Option<String>,
}

/// One page of facilities, with the total and the filters understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FacilityPage {
    pub page: usize,
    pub pages: usize,
    pub total: usize,
    pub items: Vec<FacilityRow>,
    /// Filters that were not understood and so ignored (field name), shown to the user.
    pub ignored: Vec<&'static str>,
}

/// Searches the pack's facilities; sorted by area code then name, [`FACILITY_PAGE_SIZE`] a page.
pub fn facilities(pack: &Pack, q: &FacilityQuery) -> FacilityPage {
    let refdata = &pack.refdata;
    let mut ignored = Vec::new();
    let name: String = q.name.trim().chars().take(SEARCH_TEXT_CHARS_MAX).collect();
    let area = parse_opt(&q.area, "area", &mut ignored, DivisionCode::parse);
    let level =
        parse_opt(&q.level, "level", &mut ignored, |t| t.parse::<u8>().ok().filter(|l| *l <= 3).ok_or(()));
    let kind = parse_opt(&q.kind, "kind", &mut ignored, FacilityKind::parse);
    let care = parse_opt(&q.care, "care", &mut ignored, BenefitKind::parse);
    let disease = parse_opt(&q.disease, "disease", &mut ignored, |t| {
        refdata.chronic_diseases.iter().find(|d| d.code == t).map(|d| d.code.clone()).ok_or(())
    });
    let mut matched: Vec<&Facility> = refdata
        .facilities
        .values()
        .filter(|f| name.is_empty() || f.name.contains(name.as_str()))
        .filter(|f| area.is_none_or(|a| a.covers(f.admdvs)))
        .filter(|f| level.is_none_or(|l| f.level == l))
        .filter(|f| kind.is_none_or(|k| f.kind == k))
        .filter(|f| care.is_none_or(|k| open_for(refdata, f).get(k)))
        .filter(|f| {
            disease.as_ref().is_none_or(|d| {
                open_for(refdata, f).chronic
                    && (f.chronic_diseases.is_empty() || f.chronic_diseases.contains(d))
            })
        })
        .collect();
    matched.sort_by(|a, b| (a.admdvs, &a.name, &a.code).cmp(&(b.admdvs, &b.name, &b.code)));
    let total = matched.len();
    let pages = total.div_ceil(FACILITY_PAGE_SIZE).max(1);
    let page = q.page.trim().parse::<usize>().unwrap_or(1).clamp(1, pages);
    let items = matched
        .into_iter()
        .skip((page - 1) * FACILITY_PAGE_SIZE)
        .take(FACILITY_PAGE_SIZE)
        .map(|f| facility_row(refdata, f))
        .collect();
    FacilityPage { page, pages, total, items, ignored }
}

fn parse_opt<T, E>(
    text: &str,
    field: &'static str,
    ignored: &mut Vec<&'static str>,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Option<T> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match parse(text) {
        Ok(v) => Some(v),
        Err(_) => {
            ignored.push(field);
            None
        }
    }
}

/// Open for cross-region direct settlement: the facility's switch and its region's (as treatment place).
pub fn open_for(refdata: &RefData, f: &Facility) -> OpenFor {
    let region = refdata.pooling_region_of(f.admdvs).filter(|r| r.open_as_treatment);
    let both = |kind: BenefitKind| f.open_for(kind) && region.is_some_and(|r| r.open_for(kind));
    OpenFor {
        inpatient: both(BenefitKind::Inpatient),
        outpatient: both(BenefitKind::Outpatient),
        chronic: both(BenefitKind::Chronic),
    }
}

fn facility_row(refdata: &RefData, f: &Facility) -> FacilityRow {
    let diseases = f
        .chronic_diseases
        .iter()
        .map(|code| {
            refdata
                .chronic_diseases
                .iter()
                .find(|d| &d.code == code)
                .map_or_else(|| code.clone(), |d| d.name.clone())
        })
        .collect();
    FacilityRow {
        code: f.code.as_str().to_string(),
        name: f.name.clone(),
        province: division_name(refdata, f.admdvs.province()),
        city: city_name(refdata, f.admdvs),
        region_name: refdata.pooling_region_of(f.admdvs).map_or_else(String::new, |r| r.name.clone()),
        level: f.level,
        kind: f.kind,
        open: open_for(refdata, f),
        diseases,
        agreement_until: f.enddate.map(|d| d.to_string()),
    }
}

/// The cities (code, name) that have designated facilities, for the search form, by code.
pub fn facility_areas(pack: &Pack) -> Vec<(String, String)> {
    let refdata = &pack.refdata;
    // A municipality's city level has no entry of its own (310100): it is listed as its province,
    // which is also its pooling region's code, so the regions table's links select it.
    let mut codes: Vec<DivisionCode> = refdata
        .facilities
        .values()
        .map(|f| f.admdvs.city())
        .map(|c| if refdata.divisions.contains_key(&c) { c } else { c.province() })
        .collect();
    codes.sort();
    codes.dedup();
    codes.into_iter().map(|c| (c.to_string(), area_label(refdata, c))).collect()
}

/// "江苏省 南京市" (a municipality's province and city are one name once).
fn area_label(refdata: &RefData, city: DivisionCode) -> String {
    let province = division_name(refdata, city.province());
    let name = city_name(refdata, city);
    if city.is_province() || name == province { province } else { format!("{province} {name}") }
}

/// The national chronic-disease list (code, name), for the search form.
pub fn chronic_diseases(pack: &Pack) -> Vec<(String, String)> {
    pack.refdata.chronic_diseases.iter().map(|d| (d.code.clone(), d.name.clone())).collect()
}

/// The areas a filing may name, for the filing form: the whole country, then every province and
/// city of the division table by code, as (code, label).
pub fn filing_areas(pack: &Pack) -> Vec<(String, String)> {
    let refdata = &pack.refdata;
    let mut out = vec![(DivisionCode::COUNTRY.to_string(), "全国 / nationwide".to_string())];
    for (code, d) in &refdata.divisions {
        match d.level {
            yidi_domain::DivisionLevel::Province => out.push((code.to_string(), d.name.clone())),
            yidi_domain::DivisionLevel::City => out
                .push((code.to_string(), format!("{} {}", division_name(refdata, code.province()), d.name))),
            yidi_domain::DivisionLevel::County => {}
        }
    }
    out
}
