//! Region policy data: one function per pooling region, grouped by part of the country. Values
//! follow `policy-background.md` §7 where it has them; the rest is invented and marked so in
//! each policy's `source` and in the pack README.

mod east;
mod north;
mod southwest;

use crate::policy::{Deductible, Group, Insu, Kind, Layer, Policy, flat, policy};

pub use east::{bengbu, nanchang, nanjing, shanghai, suzhou};
pub use north::{beijing, changchun, datong, hohhot, langfang};
pub use southwest::{chengdu, shangluo, zhuhai};

/// The chronic-disease code of dialysis for uraemia in `chronic_diseases.csv`.
pub const DIALYSIS: &str = "M00004";

/// A general-outpatient policy in the `outpatient` cap pool.
fn outpatient(
    insu: Insu,
    group: Group,
    deductible: Deductible,
    ratio: [u32; 3],
    cap_fen: Option<i64>,
) -> Policy {
    policy(insu, Kind::Outpatient, group, deductible, ratio, cap_fen, "outpatient")
}

/// An inpatient policy in the `inpatient` cap pool.
fn inpatient(insu: Insu, group: Group, deductible: Deductible, ratio: [u32; 3], cap_fen: i64) -> Policy {
    policy(insu, Kind::Inpatient, group, deductible, ratio, Some(cap_fen), "inpatient")
}

/// A disease-less chronic policy (serves every disease without its own policy).
fn chronic(insu: Insu, deductible_fen: i64, ratio: [u32; 3], cap_fen: i64) -> Policy {
    policy(
        insu,
        Kind::Chronic,
        Group::Any,
        Deductible::PerYear(flat(deductible_fen)),
        ratio,
        Some(cap_fen),
        "chronic",
    )
    .source("invented: outpatient chronic/special-disease benefit (门诊慢特病)")
}

/// Dialysis managed by a monthly per-capita quota (`policy-background.md` §3.5, [S: SY]).
fn dialysis(insu: Insu, ratio_bp: u32, month_cap_fen: i64, layer: Option<Layer>) -> Policy {
    let p = policy(
        insu,
        Kind::Chronic,
        Group::Any,
        Deductible::PerYear(flat(0)),
        [ratio_bp; 3],
        Some(month_cap_fen),
        "dialysis",
    )
    .disease(DIALYSIS)
    .monthly()
    .source("quota form [S: SY] §3.5; amounts invented");
    match layer {
        Some(l) => p.layer(l),
        None => p,
    }
}
