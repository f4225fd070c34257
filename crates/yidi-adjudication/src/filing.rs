//! Filing class (`settlement.md` §4): which filing counts for this settlement, and which
//! adjustment of the insured region's policy follows from it.

use yidi_domain::{
    AdjClass, Adjustment, BenefitKind, Facility, Filing, FilingCategory, HomeBenefit, PersonRecord, RefData,
    RegionPolicy,
};

use crate::claim::Claim;
use crate::refusal::Refusal;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FilingClass {
    /// Treated in the insured region itself.
    Local,
    LongTerm,
    Referral,
    Emergency,
    Other,
    Unfiled,
}

impl FilingClass {
    pub fn as_str(self) -> &'static str {
        match self {
            FilingClass::Local => "local",
            FilingClass::LongTerm => "long_term",
            FilingClass::Referral => "referral",
            FilingClass::Emergency => "emergency",
            FilingClass::Other => "other",
            FilingClass::Unfiled => "unfiled",
        }
    }
    pub fn name_zh(self) -> &'static str {
        match self {
            FilingClass::Local => "参保地就医",
            FilingClass::LongTerm => "异地长期居住人员",
            FilingClass::Referral => "异地转诊人员",
            FilingClass::Emergency => "异地急诊抢救人员",
            FilingClass::Other => "其他临时外出就医人员",
            FilingClass::Unfiled => "未备案",
        }
    }
}

/// The outcome of filing classification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilingOutcome<'a> {
    pub class: FilingClass,
    /// The filing that decided the class (none for local care without two-way benefits, for an
    /// emergency without filing, and for unfiled care).
    pub filing: Option<&'a Filing>,
    /// The filing only counts through inpatient retroactive filing (valid on the discharge date).
    pub retroactive: bool,
    /// Local care of a long-term filer (双向享受待遇).
    pub two_way: bool,
    /// The adjustment applied to the insured region's policy, with its class.
    pub adjustment: Option<(AdjClass, &'a Adjustment)>,
}

/// Classifies the settlement and picks the adjustment; refuses unfiled care where the insured
/// region does not allow it.
pub fn classify_filing<'a>(
    refdata: &RefData,
    record: &'a PersonRecord,
    facility: &Facility,
    claim: &Claim,
    kind: BenefitKind,
    local: bool,
    region: &'a RegionPolicy,
) -> Result<FilingOutcome<'a>, Refusal> {
    if local {
        return Ok(classify_local(record, claim, kind, region));
    }
    let date = claim.service_date();
    let discharge = if kind == BenefitKind::Inpatient { claim.endtime.map(|t| t.date()) } else { None };
    // Each covering filing with whether it only counts retroactively; `None` = not valid.
    let counted = |f: &'a Filing| -> Option<(&'a Filing, bool)> {
        if !f.covers(facility.admdvs) {
            return None;
        }
        if f.valid_for(date, claim.setl_time) {
            return Some((f, false));
        }
        discharge.filter(|d| f.valid_for(*d, claim.setl_time)).map(|_| (f, true))
    };
    let best = |wanted: &dyn Fn(FilingCategory) -> bool| {
        record
            .filings
            .iter()
            .filter(|f| wanted(f.category))
            .filter_map(counted)
            .min_by(|(a, ra), (b, rb)| (ra, &a.filing_id).cmp(&(rb, &b.filing_id)))
    };
    let emergency_visit = claim.med_type.is_emergency() || claim.emergency;
    let (class, found) = if let Some(hit) = best(&FilingCategory::is_long_term) {
        (FilingClass::LongTerm, Some(hit))
    } else if let Some(hit) = best(&|c| c == FilingCategory::Referral) {
        (FilingClass::Referral, Some(hit))
    } else if let Some(hit) = best(&|c| c == FilingCategory::Emergency) {
        (FilingClass::Emergency, Some(hit))
    } else if emergency_visit {
        (FilingClass::Emergency, None)
    } else if let Some(hit) = best(&|c| c == FilingCategory::OtherTemporary) {
        (FilingClass::Other, Some(hit))
    } else {
        (FilingClass::Unfiled, None)
    };
    let adj_class = match class {
        FilingClass::Local | FilingClass::LongTerm => None,
        FilingClass::Referral => Some(AdjClass::Referral),
        FilingClass::Emergency => Some(AdjClass::Emergency),
        FilingClass::Other => Some(AdjClass::Other),
        FilingClass::Unfiled => Some(AdjClass::Unfiled),
    };
    let adjustment = adj_class.and_then(|c| region.adjustment(kind, c).map(|a| (c, a)));
    if class == FilingClass::Unfiled && !adjustment.is_some_and(|(_, a)| a.allow) {
        return Err(filing_required(refdata, record, facility, kind));
    }
    Ok(FilingOutcome {
        class,
        filing: found.map(|(f, _)| f),
        retroactive: found.is_some_and(|(_, r)| r),
        two_way: false,
        adjustment,
    })
}

/// Local care: the local policy unchanged, except two-way benefits for long-term filers.
fn classify_local<'a>(
    record: &'a PersonRecord,
    claim: &Claim,
    kind: BenefitKind,
    region: &'a RegionPolicy,
) -> FilingOutcome<'a> {
    let long_term = record
        .filings
        .iter()
        .filter(|f| f.category.is_long_term() && !f.area.covers(record.person.insuplc))
        .filter(|f| f.valid_for(claim.service_date(), claim.setl_time))
        .min_by(|a, b| a.filing_id.cmp(&b.filing_id));
    let adjustment = match (long_term, region.home_benefit) {
        (Some(_), HomeBenefit::Referral) => {
            region.adjustment(kind, AdjClass::Referral).map(|a| (AdjClass::Referral, a))
        }
        _ => None,
    };
    FilingOutcome {
        class: FilingClass::Local,
        filing: long_term,
        retroactive: false,
        two_way: long_term.is_some(),
        adjustment,
    }
}

fn filing_required(
    refdata: &RefData,
    record: &PersonRecord,
    facility: &Facility,
    kind: BenefitKind,
) -> Refusal {
    let insured = record.person.insuplc;
    let name_of = |code| {
        refdata.divisions.get(&code).map_or_else(|| code.to_string(), |d| format!("{}（{code}）", d.name))
    };
    let treatment = refdata.pooling_region_of(facility.admdvs).map_or(facility.admdvs, |r| r.admdvs);
    Refusal::FilingRequired {
        insured: name_of(insured),
        treatment: name_of(treatment),
        inpatient_hint: if kind == BenefitKind::Inpatient {
            "；住院患者在出院结算前完成备案即可直接结算"
        } else {
            ""
        },
    }
}
