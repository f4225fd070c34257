//! Reads the reference data the generator draws on (`data/reference/`): divisions, ICD-10, ATC,
//! the WHO essential-medicines list and Chinese drug product names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, Result, bail};

#[derive(Clone, Debug)]
pub struct Division {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent: String,
}

#[derive(Clone, Debug)]
pub struct EmlRow {
    pub name_zh: String,
    pub section_en: String,
    pub atc_codes: Vec<String>,
}

/// Everything read from the reference folder.
pub struct Reference {
    pub divisions: BTreeMap<String, Division>,
    pub icd10: BTreeSet<String>,
    pub atc: BTreeMap<String, String>,
    pub eml: Vec<EmlRow>,
    pub cn_drug_names: Vec<String>,
}

impl Reference {
    pub fn load(dir: &Path) -> Result<Reference> {
        let divisions = read_rows(&dir.join("divisions.csv"), &["code", "name", "level", "parent_code"])?
            .into_iter()
            .map(|r| {
                let d = Division {
                    code: r[0].clone(),
                    name: r[1].clone(),
                    level: r[2].clone(),
                    parent: r[3].clone(),
                };
                (d.code.clone(), d)
            })
            .collect();
        let icd10 = read_rows(&dir.join("icd10.csv"), &["code"])?.into_iter().map(|r| r[0].clone()).collect();
        let atc = read_rows(&dir.join("atc.csv"), &["code", "name_en"])?
            .into_iter()
            .map(|r| (r[0].clone(), r[1].clone()))
            .collect();
        let eml = read_rows(
            &dir.join("who_essential_medicines.csv"),
            &["name_zh", "section_en", "atc_codes_by_name"],
        )?
        .into_iter()
        .map(|r| EmlRow {
            name_zh: r[0].clone(),
            section_en: r[1].clone(),
            atc_codes: r[2].split(';').filter(|c| !c.is_empty()).map(str::to_string).collect(),
        })
        .collect();
        let cn_drug_names =
            read_rows(&dir.join("cn_drug_names.csv"), &["name"])?.into_iter().map(|r| r[0].clone()).collect();
        Ok(Reference { divisions, icd10, atc, eml, cn_drug_names })
    }

    /// The division with this code; the generator only uses codes it knows exist.
    pub fn division(&self, code: &str) -> &Division {
        self.divisions.get(code).unwrap_or_else(|| panic!("division {code} is not in divisions.csv"))
    }

    /// County-level divisions directly under a pooling region (a municipality's districts or a
    /// city's districts and counties), in code order.
    pub fn counties_in(&self, region: &str) -> Vec<&Division> {
        self.divisions.values().filter(|d| d.level == "county" && d.parent == region).collect()
    }
}

/// Reads the named columns of a CSV file, in the order asked for.
fn read_rows(path: &Path, columns: &[&str]) -> Result<Vec<Vec<String>>> {
    let mut reader = csv::Reader::from_path(path).with_context(|| format!("opening {}", path.display()))?;
    let headers = reader.headers()?.clone();
    let mut idx = Vec::new();
    for col in columns {
        match headers.iter().position(|h| h == *col) {
            Some(i) => idx.push(i),
            None => bail!("{}: no column {col}", path.display()),
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("reading {}", path.display()))?;
        rows.push(idx.iter().map(|i| record.get(*i).unwrap_or("").to_string()).collect());
    }
    Ok(rows)
}
