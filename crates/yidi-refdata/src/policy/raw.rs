//! The policy file exactly as written: private serde structs, every key spanned.
//!
//! Keys are `Option` even where the format requires them, so a missing key becomes a Chinese
//! problem at the table's line (collected with all the others) rather than a serde error that
//! would stop the file. Unknown keys stay serde errors (`deny_unknown_fields`): they catch
//! typos, and nothing after a misspelled key can be trusted anyway. Values whose shape varies
//! (a number or a level table) are kept as `toml::Value` and converted by hand, because serde's
//! untagged enums would lose the spans.

use serde::Deserialize;
use toml::{Spanned, Value};
use yidi_domain::AdjClass;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRegion {
    pub admdvs: Option<Spanned<String>>,
    pub year_start: Option<Spanned<String>>,
    pub home_benefit: Option<Spanned<String>>,
    pub adjustments: Option<Spanned<RawAdjustments>>,
    #[serde(default)]
    pub policy: Vec<Spanned<RawPolicy>>,
    #[serde(default)]
    pub assistance: Vec<Spanned<RawAssistance>>,
    /// Additive extension: the region's filing-service rules (`FilingRules`).
    pub filing: Option<Spanned<RawFiling>>,
}

/// `[adjustments]`: the four classes, and per-benefit-kind overrides as sub-tables.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAdjustments {
    pub referral: Option<Spanned<RawAdjustment>>,
    pub emergency: Option<Spanned<RawAdjustment>>,
    pub other: Option<Spanned<RawAdjustment>>,
    pub unfiled: Option<Spanned<RawAdjustment>>,
    pub outpatient: Option<Spanned<RawClassAdjustments>>,
    pub chronic: Option<Spanned<RawClassAdjustments>>,
    pub inpatient: Option<Spanned<RawClassAdjustments>>,
}

/// `[adjustments.KIND]`: the same four classes for one benefit kind.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClassAdjustments {
    pub referral: Option<Spanned<RawAdjustment>>,
    pub emergency: Option<Spanned<RawAdjustment>>,
    pub other: Option<Spanned<RawAdjustment>>,
    pub unfiled: Option<Spanned<RawAdjustment>>,
}

/// The four adjustable classes of a table, in order.
pub(super) type ClassAdjustments<'a> = [(AdjClass, &'a Option<Spanned<RawAdjustment>>); 4];

impl RawAdjustments {
    pub fn classes(&self) -> ClassAdjustments<'_> {
        [
            (AdjClass::Referral, &self.referral),
            (AdjClass::Emergency, &self.emergency),
            (AdjClass::Other, &self.other),
            (AdjClass::Unfiled, &self.unfiled),
        ]
    }
}

impl RawClassAdjustments {
    pub fn classes(&self) -> ClassAdjustments<'_> {
        [
            (AdjClass::Referral, &self.referral),
            (AdjClass::Emergency, &self.emergency),
            (AdjClass::Other, &self.other),
            (AdjClass::Unfiled, &self.unfiled),
        ]
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAdjustment {
    pub minus_bp: Option<Spanned<i64>>,
    pub factor_bp: Option<Spanned<i64>>,
    pub ratio_bp: Option<Spanned<Value>>,
    pub extra_preselfpay_bp: Option<Spanned<i64>>,
    pub excluded: Option<Spanned<bool>>,
    pub deductible: Option<Spanned<RawDeductible>>,
    pub allow: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDeductible {
    pub kind: Option<Spanned<String>>,
    pub amount: Option<Spanned<Value>>,
    pub nth_bp: Option<Spanned<Vec<i64>>>,
    pub bp: Option<Spanned<i64>>,
    pub min: Option<Spanned<Value>>,
    pub max: Option<Spanned<Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPolicy {
    pub insutype: Option<Spanned<String>>,
    pub benefit: Option<Spanned<String>>,
    pub psn_group: Option<Spanned<String>>,
    pub effective_from: Option<Spanned<String>>,
    pub deductible: Option<Spanned<RawDeductible>>,
    pub ratio_bp: Option<Spanned<Value>>,
    pub annual_cap: Option<Spanned<i64>>,
    pub cap_pool: Option<Spanned<String>>,
    pub cap_period: Option<Spanned<String>>,
    pub disease: Option<Spanned<String>>,
    #[serde(default)]
    pub layer: Vec<Spanned<RawLayer>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLayer {
    pub field: Option<Spanned<String>>,
    pub kind: Option<Spanned<String>>,
    pub threshold: Option<Spanned<i64>>,
    pub segments: Option<Spanned<Vec<Spanned<RawSegment>>>>,
    pub cap: Option<Spanned<i64>>,
    pub assist_threshold_bp: Option<Spanned<i64>>,
    pub assist_bonus_bp: Option<Spanned<i64>>,
    pub assist_uncapped: Option<Spanned<bool>>,
    pub ratio_bp: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSegment {
    pub upto: Option<Spanned<i64>>,
    pub ratio_bp: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAssistance {
    pub class: Option<Spanned<String>>,
    pub ratio_bp: Option<Spanned<i64>>,
    pub annual_cap: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFiling {
    pub min_hold_days: Option<Spanned<i64>>,
    pub temporary_months: Option<Spanned<i64>>,
    pub max_active_filings: Option<Spanned<i64>>,
}
