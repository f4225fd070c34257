//! Loading a whole pack: every file in dependency order, then assembly into a [`Pack`].

use std::collections::BTreeMap;

use yidi_domain::{Pack, PersonRecord, PersonState, RefData};

use crate::facilities::FacilityRefs;
use crate::files::{self, PackFiles};
use crate::problem::{Problem, Problems};
use crate::{accumulators, catalog, chronic, divisions, facilities, filings, persons, policy, regions};

pub(crate) fn parse_pack(files: &PackFiles) -> Result<Pack, Vec<Problem>> {
    let mut p = Problems::default();
    files::check_names(files, &mut p);
    let file = |name: &'static str| (name, files.get(name));

    let (name, text) = file(files::DIVISIONS);
    let divisions = divisions::load(name, text, &mut p);
    let (name, text) = file(files::CHRONIC_DISEASES);
    let chronic = chronic::load(name, text, &mut p);
    let (name, text) = file(files::POOLING_REGIONS);
    let regions = regions::load(name, text, &divisions, &mut p);
    let (name, text) = file(files::FACILITIES);
    let facility_refs = FacilityRefs::new(&divisions, &regions, &chronic);
    let facilities = facilities::load(name, text, &facility_refs, &mut p);
    let catalogs = catalog::load_all(files, &divisions, &mut p);
    let policies = policy::load_all(files, &regions, &chronic, &mut p);
    let (name, text) = file(files::PERSONS);
    let persons = persons::load(name, text, &regions, &mut p);
    let (name, text) = file(files::ENTITLEMENTS);
    let entitlements = filings::load_entitlements(name, text, &persons, &chronic, &mut p);
    let (name, text) = file(files::FILINGS);
    let filings = filings::load_filings(name, text, &persons, &divisions, &mut p);
    let (name, text) = file(files::ACCUMULATORS);
    let mut carried = accumulators::load(name, text, &persons, &policies, &mut p);

    if !p.is_empty() {
        return Err(p.into_sorted());
    }
    let refdata = RefData {
        divisions,
        regions: regions.regions,
        facilities: facilities.into_iter().collect(),
        catalogs,
        chronic_diseases: chronic.diseases,
        policies: policies.policies,
    };
    let mut records: BTreeMap<String, PersonRecord> = persons
        .persons
        .into_iter()
        .map(|(psn_no, person)| {
            (psn_no, PersonRecord { person, filings: Vec::new(), entitlements: Vec::new() })
        })
        .collect();
    // Every reference was checked above, so each filing and entitlement finds its person.
    for filing in filings {
        if let Some(record) = records.get_mut(&filing.psn_no) {
            record.filings.push(filing);
        }
    }
    for entitlement in entitlements {
        if let Some(record) = records.get_mut(&entitlement.psn_no) {
            record.entitlements.push(entitlement);
        }
    }
    let states = records
        .iter()
        .map(|(psn_no, record)| {
            let years = carried.remove(psn_no).unwrap_or_default();
            (psn_no.clone(), PersonState { years, acct_balance: record.person.acct_balance })
        })
        .collect();
    Ok(Pack { refdata, persons: records, states })
}
