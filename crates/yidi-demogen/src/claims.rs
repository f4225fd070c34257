//! The demo claims (`../demo_claims.jsonl`): one story told in ~25 settlements, in order, using only
//! persons, facilities and catalog rows that exist in the pack on those dates.
//!
//! Amounts are strings with two decimals; every `det_item_fee_sumamt` is `cnt × pric` exactly.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use yidi_domain::DateTime;

use crate::catalog::{self, Item, Row};
use crate::facilities::{self, Facility};
use crate::out::yuan;
use crate::persons::Person;
use crate::reference::Reference;

/// What the claims builder may look at.
pub struct View<'a> {
    pub reference: &'a Reference,
    pub items: &'a [Item],
    pub catalogs: &'a [(String, Vec<Row>)],
    pub facilities: &'a [Facility],
    pub persons: &'a [Person],
    pub entitlements: &'a [Vec<String>],
    pub cast: &'a BTreeMap<&'static str, String>,
}

pub struct Claim {
    pub id: String,
    pub psn_no: String,
    pub fixmedins_code: String,
    pub med_type: &'static str,
    pub begntime: DateTime,
    pub endtime: DateTime,
    pub setl_time: DateTime,
    pub dise_codg: &'static str,
    pub emergency: bool,
    pub acct_used: bool,
    pub lines: Vec<Line>,
    /// What the claim shows, in Chinese and English (for the README).
    pub story: (&'static str, &'static str),
}

pub struct Line {
    pub code: String,
    pub cnt: &'static str,
    pub price_fen: i64,
    pub amount_fen: i64,
    pub time: DateTime,
}

/// A fee line of a claim spec: item name, quantity, day of stay, optional price above the cap.
#[derive(Clone, Copy)]
pub struct L {
    name: &'static str,
    cnt: &'static str,
    day: i64,
    price_fen: Option<i64>,
}

const fn l(name: &'static str, cnt: &'static str) -> L {
    L { name, cnt, day: 0, price_fen: None }
}

impl L {
    const fn on(mut self, day: i64) -> L {
        self.day = day;
        self
    }
    const fn at(mut self, price_fen: i64) -> L {
        self.price_fen = Some(price_fen);
        self
    }
}

/// A claim before it is resolved against the pack.
pub struct Spec {
    who: &'static str,
    facility: &'static str,
    med_type: &'static str,
    begin: &'static str,
    /// Discharge time for inpatient stays; outpatient visits end 30 minutes after they begin.
    end: Option<&'static str>,
    dise: &'static str,
    emergency: bool,
    acct: bool,
    lines: &'static [L],
    story: (&'static str, &'static str),
}

mod specs;
pub use specs::SPECS;

/// Names of the catalog items the claims use; the catalogs keep them identical in every province.
pub fn core_items() -> BTreeSet<&'static str> {
    SPECS.iter().flat_map(|s| s.lines.iter().map(|l| l.name)).collect()
}

pub fn build(view: &View) -> Vec<Claim> {
    SPECS.iter().enumerate().map(|(i, spec)| resolve(view, i + 1, spec)).collect()
}

fn resolve(view: &View, n: usize, spec: &Spec) -> Claim {
    let psn_no = view.cast.get(spec.who).unwrap_or_else(|| panic!("no story person {}", spec.who)).clone();
    let fac = facilities::by_name(view.facilities, spec.facility);
    let begin = DateTime::parse(spec.begin).expect("claim time");
    let end = match spec.end {
        Some(e) => DateTime::parse(e).expect("claim time"),
        None => DateTime::from_epoch_secs(begin.to_epoch_secs() + 30 * 60),
    };
    let date = begin.date().to_string();
    assert!(
        fac.begndate <= date.as_str() && fac.enddate.is_none_or(|e| date.as_str() <= e),
        "{} not valid on {date}",
        fac.name
    );
    assert!(view.reference.icd10.contains(spec.dise), "{} is not an ICD-10 code", spec.dise);
    let province = format!("{}0000", &fac.county[..2]);
    let rows = &view.catalogs.iter().find(|(p, _)| *p == province).expect("catalog of the province").1;
    let lines =
        spec.lines.iter().enumerate().map(|(i, l)| line(view.items, rows, begin, end, i, l)).collect();
    check_person(view, &psn_no, spec);
    Claim {
        id: format!("demo-{n:03}"),
        psn_no,
        fixmedins_code: fac.code.clone(),
        med_type: spec.med_type,
        begntime: begin,
        endtime: end,
        setl_time: DateTime::from_epoch_secs(end.to_epoch_secs() + 5 * 60),
        dise_codg: spec.dise,
        emergency: spec.emergency,
        acct_used: spec.acct,
        lines,
        story: spec.story,
    }
}

/// The person exists, and a chronic visit names a listed disease the person is entitled to.
fn check_person(view: &View, psn_no: &str, spec: &Spec) {
    assert!(view.persons.iter().any(|p| p.psn_no == psn_no), "no person {psn_no}");
    if spec.med_type == "14" {
        let disease = crate::chronic::disease_of(spec.dise)
            .unwrap_or_else(|| panic!("{} is on no chronic list", spec.dise));
        let entitled = view.entitlements.iter().any(|e| e[0] == psn_no && e[1] == disease.code);
        assert!(entitled, "{psn_no} holds no entitlement for {}", disease.code);
    }
}

fn line(items: &[Item], rows: &[Row], begin: DateTime, end: DateTime, index: usize, l: &L) -> Line {
    let item =
        items.iter().find(|i| i.name == l.name).unwrap_or_else(|| panic!("no catalog item {}", l.name));
    let time = DateTime::from_epoch_secs(begin.to_epoch_secs() + l.day * 86_400 + 600 + index as i64 * 60);
    assert!(time <= end, "line {} after the end of the stay", l.name);
    let price_fen =
        l.price_fen.unwrap_or_else(|| catalog::price_in(rows, items, &item.code, &time.date().to_string()));
    let cnt_milli = parse_milli(l.cnt);
    assert_eq!(cnt_milli * price_fen % 1000, 0, "{}: cnt × pric is not a whole fen", l.name);
    Line { code: item.code.clone(), cnt: l.cnt, price_fen, amount_fen: cnt_milli * price_fen / 1000, time }
}

/// A quantity with up to three decimals, in thousandths.
fn parse_milli(text: &str) -> i64 {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    assert!(frac.len() <= 3, "quantity {text}");
    let frac = format!("{frac:0<3}");
    whole.parse::<i64>().expect("quantity") * 1000 + frac.parse::<i64>().expect("quantity")
}

/// One JSON object per line, keys in the order of `data-formats.md`.
pub fn render(claims: &[Claim]) -> String {
    let mut out = String::new();
    for c in claims {
        let details: Vec<String> = c
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                format!(
                    "{{\"feedetl_sn\":\"{}\",\"med_list_codg\":\"{}\",\"cnt\":\"{}\",\"pric\":\"{}\",\"det_item_fee_sumamt\":\"{}\",\"fee_ocur_time\":\"{}\"}}",
                    i + 1, l.code, l.cnt, yuan(l.price_fen), yuan(l.amount_fen), l.time
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "{{\"claim_id\":\"{}\",\"psn_no\":\"{}\",\"fixmedins_code\":\"{}\",\"med_type\":\"{}\",\"begntime\":\"{}\",\"endtime\":\"{}\",\"setl_time\":\"{}\",\"dise_codg\":\"{}\",\"emergency\":{},\"acct_used_flag\":\"{}\",\"feedetail\":[{}]}}",
            c.id,
            c.psn_no,
            c.fixmedins_code,
            c.med_type,
            c.begntime,
            c.endtime,
            c.setl_time,
            c.dise_codg,
            c.emergency,
            if c.acct_used { "1" } else { "0" },
            details.join(",")
        );
    }
    out
}
