//! `accumulators.csv`: year-to-date state carried in, e.g. when a region joins mid-year.
//!
//! Pool columns fill `YearAcc.pools`; the five person-year columns may be repeated on several
//! rows of one person and year as long as they agree. Carried-in rows never feed the monthly
//! counters (`month_fund_paid`): a month's quota starts fresh in Yidi.

use std::collections::BTreeMap;

use yidi_domain::{Fen, PoolAcc, YearAcc};

use crate::persons::PersonsOut;
use crate::policy::PoliciesOut;
use crate::problem::Problems;
use crate::table::{Row, Schema, read_table};
use crate::values;

const PERSON_YEAR: [&str; 5] = ["hifmi_base", "hifmi_paid", "hifob_base", "hifob_paid", "maf_paid"];

const SCHEMA: Schema = Schema {
    required: &["psn_no", "policy_year", "pool"],
    optional: &[
        "deductible_paid",
        "admissions",
        "fund_paid",
        "hifmi_base",
        "hifmi_paid",
        "hifob_base",
        "hifob_paid",
        "maf_paid",
    ],
};

/// Opening accumulators by person and policy year; all-zero entries are left out.
pub(crate) type Carried = BTreeMap<String, BTreeMap<i32, YearAcc>>;

/// The first value given for each person-year column of one person and year, and its line.
type PersonYearSeen = [Option<(Fen, u32)>; 5];

struct AccRow {
    psn_no: String,
    policy_year: i32,
    pool: String,
    pool_acc: PoolAcc,
    /// The person-year columns in [`PERSON_YEAR`] order; `None` = left empty.
    person_year: [Option<Fen>; 5],
}

pub(crate) fn load(
    file: &str,
    text: Option<&str>,
    persons: &PersonsOut,
    policies: &PoliciesOut,
    p: &mut Problems,
) -> Carried {
    let mut carried = Carried::new();
    let Some(table) = text.and_then(|text| read_table(file, text, &SCHEMA, p)) else {
        return carried;
    };
    let mut pool_line: BTreeMap<(String, i32, String), u32> = BTreeMap::new();
    let mut person_year_seen: BTreeMap<(String, i32), PersonYearSeen> = BTreeMap::new();
    for row in table.rows() {
        let Some(acc) = acc_row(&row, persons, policies, p) else {
            continue;
        };
        let key = (acc.psn_no.clone(), acc.policy_year, acc.pool.clone());
        if let Some(first) = pool_line.insert(key, row.line) {
            let msg = format!(
                "人员 {} {} 年度资金池 {} 的累计重复（第 {first} 行已有）",
                acc.psn_no, acc.policy_year, acc.pool
            );
            row.problem(p, msg);
            continue;
        }
        let seen = person_year_seen.entry((acc.psn_no.clone(), acc.policy_year)).or_default();
        check_person_year(&row, p, &acc, seen);
        let year = carried.entry(acc.psn_no).or_default().entry(acc.policy_year).or_default();
        if acc.pool_acc != PoolAcc::default() {
            year.pools.insert(acc.pool, acc.pool_acc);
        }
        let fields = [
            &mut year.hifmi_base,
            &mut year.hifmi_paid,
            &mut year.hifob_base,
            &mut year.hifob_paid,
            &mut year.maf_paid,
        ];
        for (slot, value) in fields.into_iter().zip(acc.person_year) {
            if let Some(value) = value {
                *slot = value;
            }
        }
    }
    for years in carried.values_mut() {
        years.retain(|_, year| !year.is_zero());
    }
    carried.retain(|_, years| !years.is_empty());
    carried
}

fn acc_row(row: &Row, persons: &PersonsOut, policies: &PoliciesOut, p: &mut Problems) -> Option<AccRow> {
    let psn_no = row.text(p, "psn_no");
    let policy_year = row.req(p, "policy_year", |s| match values::integer(s) {
        Ok(year) if (1900..=2999).contains(&year) => Ok(year as i32),
        _ => Err(format!("“{s}”不是合法的年度：应为政策年度开始的公历年份，例如 2025")),
    });
    let pool = row.req(p, "pool", values::pool_name);
    let fen = |p: &mut Problems, column| row.opt(p, column, values::fen);
    let deductible_paid = fen(p, "deductible_paid").unwrap_or_default();
    let admissions = row.opt(p, "admissions", |s| {
        values::integer(s)
            .ok()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| format!("“{s}”不是合法的住院次数：应为不小于 0 的整数"))
    });
    let fund_paid = fen(p, "fund_paid").unwrap_or_default();
    let person_year = PERSON_YEAR.map(|column| fen(p, column));
    if let Some(why) = psn_no.as_deref().and_then(|psn_no| persons.unknown(psn_no)) {
        row.problem(p, why);
    }
    if let (Some(psn_no), Some(pool)) = (&psn_no, &pool) {
        check_pool(row, p, persons, policies, psn_no, pool);
    }
    if row.failed() {
        return None;
    }
    Some(AccRow {
        psn_no: psn_no?,
        policy_year: policy_year?,
        pool: pool?,
        pool_acc: PoolAcc { deductible_paid, admissions: admissions.unwrap_or(0), fund_paid },
        person_year,
    })
}

/// The pool must be a cap pool of some policy version of the person's insured region.
fn check_pool(
    row: &Row,
    p: &mut Problems,
    persons: &PersonsOut,
    policies: &PoliciesOut,
    psn_no: &str,
    pool: &str,
) {
    // A person whose row was rejected has no known region; that row's problem says why.
    let Some(person) = persons.persons.get(psn_no) else {
        return;
    };
    let region = person.insuplc;
    if policies.unreadable.contains(&region) {
        return;
    }
    match policies.pools.get(&region) {
        Some(pools) if pools.contains(pool) => {}
        Some(pools) => {
            let known: Vec<&str> = pools.iter().map(String::as_str).collect();
            let msg = format!(
                "列 pool：资金池 {pool} 不是参保地 {region} 政策（policies/{region}.toml）中的 cap_pool（可用：{}）",
                known.join("、")
            );
            row.problem(p, msg);
        }
        None => {
            let msg = format!(
                "列 pool：参保地 {region} 没有政策文件 policies/{region}.toml，无法确认资金池 {pool}"
            );
            row.problem(p, msg);
        }
    }
}

/// The person-year columns may repeat across rows of one person and year, but must agree.
fn check_person_year(row: &Row, p: &mut Problems, acc: &AccRow, seen: &mut PersonYearSeen) {
    for ((column, value), slot) in PERSON_YEAR.iter().zip(acc.person_year).zip(seen.iter_mut()) {
        let Some(value) = value else {
            continue;
        };
        match slot {
            Some((first, line)) if *first != value => {
                let msg = format!(
                    "列 {column}：人员 {} {} 年度的值 {} 与第 {line} 行的 {} 不一致（人员年度累计在同一人同一年度的各行中只能有一个值，其余行留空）",
                    acc.psn_no,
                    acc.policy_year,
                    value.get(),
                    first.get()
                );
                row.problem(p, msg);
            }
            Some(_) => {}
            None => *slot = Some((value, row.line)),
        }
    }
}
