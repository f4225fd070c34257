//! `yidi-demogen REFERENCE_DIR PACK_DIR`: generates the Yidi demo pack (test_data/demo) from the
//! reference data in `data/reference`.
//!
//! Key design decision: the pack is a pure function of the reference files and this crate. A
//! fixed seed, one PRNG stream per purpose and sorted output make every run byte-identical, and
//! the generator checks its own output against the pack rules (national ceilings, identity-number
//! check digits, catalog versions) before it writes anything.

mod catalog;
mod chronic;
mod claims;
mod drugs;
mod facilities;
mod filings;
mod out;
mod persons;
mod policies;
mod policy;
mod readme;
mod reference;
mod regions;
mod rng;
mod services;
mod story;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::out::{clear_generated, flag, write_csv, write_text};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [reference_dir, pack_dir] = args.as_slice() else {
        bail!("usage: yidi-demogen REFERENCE_DIR PACK_DIR   (e.g. data/reference test_data/demo)");
    };
    let reference =
        reference::Reference::load(Path::new(reference_dir)).context("loading the reference data")?;
    let pack = Pack::build(&reference)?;
    pack.write(&PathBuf::from(pack_dir))?;
    println!("{}", pack.summary());
    Ok(())
}

/// Where the demo claims go: beside the pack directory, `test_data/demo` → `test_data/demo_claims.jsonl`.
fn claims_path(pack_dir: &Path) -> PathBuf {
    let name = pack_dir.file_name().map_or_else(|| "demo".into(), |n| n.to_string_lossy().into_owned());
    pack_dir.with_file_name(format!("{name}_claims.jsonl"))
}

/// Everything the pack holds, built in memory before anything is written.
struct Pack {
    regions: Vec<regions::Region>,
    items: Vec<catalog::Item>,
    catalogs: Vec<(String, Vec<catalog::Row>)>,
    facilities: Vec<facilities::Facility>,
    persons: Vec<persons::Person>,
    filings: Vec<filings::Filing>,
    diseases: Vec<Vec<String>>,
    entitlements: Vec<Vec<String>>,
    accumulators: Vec<Vec<String>>,
    claims: Vec<claims::Claim>,
}

impl Pack {
    fn build(reference: &reference::Reference) -> Result<Pack> {
        let regions = regions::all(reference);
        let problems: Vec<String> = regions.iter().flat_map(|r| policy::check(&r.policy)).collect();
        if !problems.is_empty() {
            bail!("the region data breaks the pack rules:\n{}", problems.join("\n"));
        }
        let items = catalog::items(reference);
        let mut provinces: Vec<String> = regions.iter().map(regions::Region::province).collect();
        provinces.sort();
        provinces.dedup();
        let core = claims::core_items();
        let catalogs =
            provinces.into_iter().map(|p| (p.clone(), catalog::province_rows(&items, &p, &core))).collect();
        let facilities = facilities::build(reference, &regions);
        let persons = persons::build(reference, &regions);
        let cast = persons::cast_index(&persons);
        let filings = filings::build(&persons, &regions, &cast);
        let diseases = chronic::rows(reference);
        let entitlements = filings::entitlements(&persons, &cast);
        let accumulators = filings::accumulators(&persons, &regions, &cast);
        let mut pack = Pack {
            regions,
            items,
            catalogs,
            facilities,
            persons,
            filings,
            diseases,
            entitlements,
            accumulators,
            claims: Vec::new(),
        };
        pack.claims = claims::build(&pack_view(&pack, reference, &cast));
        Ok(pack)
    }

    fn write(&self, dir: &Path) -> Result<()> {
        clear_generated(&dir.join("catalog"), "csv")?;
        clear_generated(&dir.join("policies"), "toml")?;
        let region_rows: Vec<Vec<String>> = self
            .regions
            .iter()
            .map(|r| {
                let o = r.open;
                vec![
                    r.admdvs.to_string(),
                    r.name.clone(),
                    flag(o.inpatient),
                    flag(o.outpatient),
                    flag(o.chronic),
                    flag(o.as_insured),
                    flag(o.as_treatment),
                ]
            })
            .collect();
        write_csv(
            &dir.join("pooling_regions.csv"),
            &[
                "admdvs",
                "name",
                "open_inpatient",
                "open_outpatient",
                "open_chronic",
                "open_as_insured",
                "open_as_treatment",
            ],
            &region_rows,
        )?;
        for r in &self.regions {
            write_text(
                &dir.join("policies").join(format!("{}.toml", r.admdvs)),
                &policy::render(&r.policy, &r.name),
            )?;
        }
        for (province, rows) in &self.catalogs {
            let cells: Vec<Vec<String>> = rows.iter().map(catalog::cells).collect();
            write_csv(&dir.join("catalog").join(format!("{province}.csv")), &catalog::HEADER, &cells)?;
        }
        let fac: Vec<Vec<String>> = self.facilities.iter().map(facilities::cells).collect();
        write_csv(&dir.join("facilities.csv"), &facilities::HEADER, &fac)?;
        let psn: Vec<Vec<String>> = self.persons.iter().map(persons::cells).collect();
        write_csv(&dir.join("persons.csv"), &persons::HEADER, &psn)?;
        let fil: Vec<Vec<String>> =
            self.filings.iter().enumerate().map(|(i, f)| filings::cells(i + 1, f)).collect();
        write_csv(&dir.join("filings.csv"), &filings::HEADER, &fil)?;
        write_csv(&dir.join("chronic_diseases.csv"), &chronic::HEADER, &self.diseases)?;
        write_csv(&dir.join("entitlements.csv"), &filings::ENTITLEMENT_HEADER, &self.entitlements)?;
        write_csv(&dir.join("accumulators.csv"), &filings::ACC_HEADER, &self.accumulators)?;
        // The claims are not part of the pack format, so they live beside the pack, not in it.
        write_text(&claims_path(dir), &claims::render(&self.claims))?;
        write_text(&dir.join("README.md"), &readme::render(self))?;
        Ok(())
    }

    fn summary(&self) -> String {
        let catalogs: Vec<String> =
            self.catalogs.iter().map(|(p, rows)| format!("{p}:{}", rows.len())).collect();
        format!(
            "regions {}, items {}, catalogs [{}], facilities {}, persons {}, filings {}, entitlements {}, claims {}",
            self.regions.len(),
            self.items.len(),
            catalogs.join(" "),
            self.facilities.len(),
            self.persons.len(),
            self.filings.len(),
            self.entitlements.len(),
            self.claims.len()
        )
    }
}

/// What the claims builder may look at.
fn pack_view<'a>(
    pack: &'a Pack,
    reference: &'a reference::Reference,
    cast: &'a std::collections::BTreeMap<&'static str, String>,
) -> claims::View<'a> {
    claims::View {
        reference,
        items: &pack.items,
        catalogs: &pack.catalogs,
        facilities: &pack.facilities,
        persons: &pack.persons,
        entitlements: &pack.entitlements,
        cast,
    }
}
