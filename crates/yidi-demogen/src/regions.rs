//! The pooling regions of the demo pack: their switches (开通标志), population sizes and policies.

use crate::policies;
use crate::policy::RegionPolicy;
use crate::reference::Reference;

/// The "开通标志" of `pooling_regions.csv`.
#[derive(Clone, Copy, Debug)]
pub struct Open {
    pub inpatient: bool,
    pub outpatient: bool,
    pub chronic: bool,
    pub as_insured: bool,
    pub as_treatment: bool,
}

const ALL_OPEN: Open =
    Open { inpatient: true, outpatient: true, chronic: true, as_insured: true, as_treatment: true };

pub struct Region {
    pub admdvs: &'static str,
    /// The official name from `divisions.csv`.
    pub name: String,
    pub open: Open,
    /// How many insured persons to generate.
    pub persons: usize,
    /// Share of employees (310) among them, in per cent.
    pub employee_pct: u64,
    pub policy: RegionPolicy,
}

type Spec = (&'static str, Open, usize, u64, fn() -> RegionPolicy);

/// Changchun has not opened chronic-disease settlement and Shangluo general outpatient, so the demo
/// can show the refusals those switches cause; every other region is fully open.
const SPECS: [Spec; 13] = [
    ("110000", ALL_OPEN, 230, 60, policies::beijing),
    ("131000", ALL_OPEN, 140, 40, policies::langfang),
    ("140200", ALL_OPEN, 130, 40, policies::datong),
    ("150100", ALL_OPEN, 150, 45, policies::hohhot),
    ("220100", Open { chronic: false, ..ALL_OPEN }, 150, 45, policies::changchun),
    ("310000", ALL_OPEN, 240, 60, policies::shanghai),
    ("320100", ALL_OPEN, 190, 55, policies::nanjing),
    ("320500", ALL_OPEN, 170, 55, policies::suzhou),
    ("340300", ALL_OPEN, 140, 35, policies::bengbu),
    ("360100", ALL_OPEN, 150, 40, policies::nanchang),
    ("440400", ALL_OPEN, 140, 50, policies::zhuhai),
    ("510100", ALL_OPEN, 190, 50, policies::chengdu),
    ("611000", Open { outpatient: false, ..ALL_OPEN }, 120, 30, policies::shangluo),
];

/// All regions in code order, named from the national division table.
pub fn all(reference: &Reference) -> Vec<Region> {
    SPECS
        .iter()
        .map(|(admdvs, open, persons, employee_pct, policy)| {
            let division = reference.division(admdvs);
            assert!(
                division.level == "province" || division.level == "city",
                "{admdvs} is not a province or city"
            );
            let policy = policy();
            assert_eq!(policy.admdvs, *admdvs, "policy of the wrong region");
            Region {
                admdvs,
                name: division.name.clone(),
                open: *open,
                persons: *persons,
                employee_pct: *employee_pct,
                policy,
            }
        })
        .collect()
}

impl Region {
    /// The province code (`xx0000`) of the region: the treatment province of its facilities.
    pub fn province(&self) -> String {
        format!("{}0000", &self.admdvs[..2])
    }
    /// Whether a division code lies inside this region.
    pub fn covers(&self, code: &str) -> bool {
        let prefix = if self.admdvs.ends_with("0000") { &self.admdvs[..2] } else { &self.admdvs[..4] };
        code.starts_with(prefix)
    }
}
