//! The test profile (TOML): the facility, test persons, catalogue items with `cnt`/`pric`, and the
//! figures each settlement must come to. Two are built in: `demo` (test_data/conformance/demo.toml,
//! for `yidi serve --demo`) and `worked` (worked.toml, `settlement.md` §10 on
//! `test_data/packs/worked`). Amounts, counts and prices are strings, so no figure is ever a
//! float; expected figures are compared with the answer's exact text, to the fen.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::money;

/// The built-in profiles by name.
pub const BUILT_IN: [(&str, &str); 2] = [
    ("demo", include_str!("../../../test_data/conformance/demo.toml")),
    ("worked", include_str!("../../../test_data/conformance/worked.toml")),
];

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    #[serde(default)]
    pub note: String,
    pub facility: FacilityProfile,
    pub person: Vec<PersonProfile>,
    pub outpatient: Option<OutpatientProfile>,
    pub inpatient: Option<InpatientProfile>,
    #[serde(default)]
    pub recon: ReconProfile,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacilityProfile {
    /// The facility `--demo` speaks for (`--fixmedins-code` replaces it otherwise).
    pub fixmedins_code: String,
    #[serde(default)]
    pub fixmedins_name: String,
    /// `mdtrtarea_admvs`; default the province `xx0000` of the code.
    pub mdtrtarea_admvs: Option<String>,
    /// A second facility for the scope checks; with `--demo` its demo token is used.
    pub other_fixmedins_code: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonProfile {
    pub id: String,
    pub psn_no: String,
    pub certno: String,
    pub insutype: String,
    pub name: String,
}

/// One catalogue line: `cnt × pric` gives its amount (`line_fen`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub code: String,
    /// The hospital's own code; default `code`.
    pub medins_code: Option<String>,
    pub cnt: String,
    pub pric: String,
    /// Default: the visit's `begntime`.
    pub fee_ocur_time: Option<String>,
}

/// Expected settlement figures: `setlinfo` fields (amounts, ratios and codes as text) and,
/// optionally, the `setldetail` rows in order.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    #[serde(default)]
    pub setlinfo: BTreeMap<String, String>,
    #[serde(default)]
    pub setldetail: Vec<BTreeMap<String, String>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    pub chrg_bchno: String,
    pub items: Vec<Item>,
    #[serde(default)]
    pub expected: Expected,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutpatientProfile {
    pub person: String,
    /// Default: the run's facility.
    pub fixmedins_code: Option<String>,
    /// Visit time; default now. A fixed time keeps figures stable across policy years.
    pub begntime: Option<String>,
    #[serde(default = "default_outpatient_med_type")]
    pub med_type: String,
    pub dise_codg: String,
    pub dise_name: String,
    #[serde(default = "default_acct_used_flag")]
    pub acct_used_flag: String,
    /// Charge batches, settled in this order (later figures may depend on earlier ones).
    pub batch: Vec<Batch>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InpatientProfile {
    pub person: String,
    pub fixmedins_code: Option<String>,
    pub begntime: Option<String>,
    pub endtime: Option<String>,
    #[serde(default = "default_inpatient_med_type")]
    pub med_type: String,
    pub dise_codg: String,
    pub dise_name: String,
    pub adm_dept_codg: String,
    pub adm_dept_name: String,
    #[serde(default = "default_acct_used_flag")]
    pub acct_used_flag: String,
    pub items: Vec<Item>,
    #[serde(default)]
    pub expected: Expected,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconProfile {
    /// `setl_optins` of 3201/3202; default the first outpatient batch's expected `clr_optins`,
    /// else the facility's province.
    pub setl_optins: Option<String>,
}

fn default_outpatient_med_type() -> String {
    "11".to_string()
}
fn default_inpatient_med_type() -> String {
    "21".to_string()
}
fn default_acct_used_flag() -> String {
    "1".to_string()
}

impl Profile {
    /// Parses and checks a profile: every problem listed, as `file: message`.
    pub fn parse(text: &str, origin: &str) -> Result<Profile, String> {
        let profile: Profile = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
        let problems = profile.problems();
        if problems.is_empty() {
            return Ok(profile);
        }
        Err(problems.iter().map(|p| format!("{origin}: {p}")).collect::<Vec<_>>().join("\n"))
    }

    /// A built-in profile by name, or `None`.
    pub fn built_in(name: &str) -> Option<Profile> {
        let (_, text) = BUILT_IN.iter().find(|(n, _)| *n == name)?;
        Some(Profile::parse(text, &format!("built-in profile {name}")).expect("built-in profiles are valid"))
    }

    pub fn person(&self, id: &str) -> &PersonProfile {
        self.person.iter().find(|p| p.id == id).expect("checked by Profile::problems")
    }

    fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let known = |id: &str| self.person.iter().any(|p| p.id == id);
        let mut items: Vec<(String, &Item)> = Vec::new();
        if let Some(o) = &self.outpatient {
            if !known(&o.person) {
                out.push(format!("outpatient.person “{}” is not a [[person]] id", o.person));
            }
            if o.batch.is_empty() {
                out.push("outpatient needs at least one [[outpatient.batch]]".to_string());
            }
            for (n, b) in o.batch.iter().enumerate() {
                items.extend(b.items.iter().map(|i| (format!("outpatient.batch[{n}]"), i)));
                out.extend(b.items.is_empty().then(|| format!("outpatient.batch[{n}] has no items")));
            }
        }
        if let Some(i) = &self.inpatient {
            if !known(&i.person) {
                out.push(format!("inpatient.person “{}” is not a [[person]] id", i.person));
            }
            out.extend(i.items.is_empty().then(|| "inpatient has no items".to_string()));
            items.extend(i.items.iter().map(|item| ("inpatient".to_string(), item)));
        }
        for (at, item) in items {
            if money::line_fen(&item.cnt, &item.pric).is_none() {
                out.push(format!(
                    "{at}: item {} has cnt “{}” / pric “{}” that are not decimals",
                    item.code, item.cnt, item.pric
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_profiles_parse() {
        for (name, _) in BUILT_IN {
            let p = Profile::built_in(name).unwrap();
            assert!(p.outpatient.is_some() && p.inpatient.is_some(), "{name}");
        }
    }

    #[test]
    fn problems_are_listed() {
        let text = r#"
name = "x"
facility = { fixmedins_code = "H1" }
person = [{ id = "a", psn_no = "P", certno = "C", insutype = "310", name = "N" }]
[outpatient]
person = "b"
dise_codg = "I10"
dise_name = "x"
batch = [{ chrg_bchno = "B", items = [{ code = "X", cnt = "1.x", pric = "1" }] }]
"#;
        let e = Profile::parse(text, "p.toml").unwrap_err();
        assert!(e.contains("outpatient.person “b”") && e.contains("cnt “1.x”"), "{e}");
    }
}
