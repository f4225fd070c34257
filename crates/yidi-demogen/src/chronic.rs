//! The national cross-province chronic/special-disease list (`chronic_diseases.csv`): the five
//! diseases of September 2021 and the five added in late 2024 (`policy-background.md` §3.5).
//!
//! Codes `M00001`–`M00010` are demo codes (the national disease codes were not available); the
//! ICD-10 prefixes are real codes of icd10.csv, checked at run time.

use crate::reference::Reference;

pub struct Disease {
    pub code: &'static str,
    pub name: &'static str,
    pub prefixes: &'static [&'static str],
    pub begndate: &'static str,
}

pub const DISEASES: [Disease; 10] = [
    Disease {
        code: "M00001",
        name: "高血压",
        prefixes: &["I10", "I11", "I12", "I13", "I15"],
        begndate: "2021-09-01",
    },
    Disease {
        code: "M00002",
        name: "糖尿病",
        prefixes: &["E10", "E11", "E12", "E13", "E14"],
        begndate: "2021-09-01",
    },
    Disease {
        code: "M00003",
        name: "恶性肿瘤门诊放化疗",
        prefixes: &["C", "Z51.0", "Z51.1"],
        begndate: "2021-09-01",
    },
    Disease {
        code: "M00004",
        name: "尿毒症透析",
        prefixes: &["N18", "Z49", "Z99.2"],
        begndate: "2021-09-01",
    },
    Disease {
        code: "M00005", name: "器官移植术后抗排异治疗", prefixes: &["Z94"], begndate: "2021-09-01"
    },
    Disease { code: "M00006", name: "慢性阻塞性肺疾病", prefixes: &["J44"], begndate: "2024-10-01" },
    Disease { code: "M00007", name: "病毒性肝炎", prefixes: &["B18"], begndate: "2024-10-01" },
    Disease { code: "M00008", name: "冠心病", prefixes: &["I20", "I25"], begndate: "2024-10-01" },
    Disease { code: "M00009", name: "类风湿关节炎", prefixes: &["M05", "M06"], begndate: "2024-10-01" },
    Disease { code: "M00010", name: "强直性脊柱炎", prefixes: &["M45"], begndate: "2024-10-01" },
];

pub const HEADER: [&str; 5] = ["code", "name", "icd10_prefixes", "begndate", "enddate"];

/// The rows of `chronic_diseases.csv`; every prefix except the chapter letter `C` must be an
/// ICD-10 code (chapter II's malignant neoplasms are C00–C97, so `C` is their common prefix).
pub fn rows(reference: &Reference) -> Vec<Vec<String>> {
    DISEASES
        .iter()
        .map(|d| {
            for p in d.prefixes {
                assert!(
                    *p == "C" || reference.icd10.contains(*p),
                    "ICD-10 prefix {p} of {} not in icd10.csv",
                    d.name
                );
            }
            vec![
                d.code.to_string(),
                d.name.to_string(),
                d.prefixes.join("|"),
                d.begndate.to_string(),
                String::new(),
            ]
        })
        .collect()
}

/// The disease whose prefixes match a diagnosis code.
pub fn disease_of(dise_codg: &str) -> Option<&'static Disease> {
    DISEASES.iter().find(|d| d.prefixes.iter().any(|p| dise_codg.starts_with(p)))
}
