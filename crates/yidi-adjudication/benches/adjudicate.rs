//! Adjudication throughput against the demo pack: a 10-line outpatient claim and a 200-line
//! inpatient claim, plus the time to load the demo pack. Run with `cargo bench -p yidi-adjudication`.
//!
//! The claims are built from the pack itself (a long-term filer, a facility in the filed area,
//! unrestricted catalog rows), so the bench measures real settlements, not refusals.

use std::path::{Path, PathBuf};

use yidi_adjudication::{Claim, Context, FeeLine, adjudicate};
use yidi_domain::{
    BenefitKind, Date, DateTime, Facility, FilingCategory, MedType, Pack, PersonRecord, Price, Qty, line_fen,
};

fn main() {
    divan::main();
}

fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test_data/demo")
}

fn demo() -> &'static Pack {
    static PACK: std::sync::OnceLock<Pack> = std::sync::OnceLock::new();
    PACK.get_or_init(|| yidi_refdata::load_pack(&demo_dir()).expect("demo pack loads"))
}

/// A long-term filer and an open facility in the filed area, for the benefit kind.
fn pick(pack: &Pack, kind: BenefitKind, date: Date) -> (&PersonRecord, &Facility) {
    let r = &pack.refdata;
    for record in pack.persons.values() {
        let at = DateTime::start_of(date);
        let Some(filing) = record.filings.iter().find(|f| f.category.is_long_term() && f.valid_for(date, at))
        else {
            continue;
        };
        let mut facilities: Vec<&Facility> = r
            .facilities
            .values()
            .filter(|f| filing.covers(f.admdvs) && f.open_for(kind) && f.level > 0 && f.enddate.is_none())
            .collect();
        facilities.sort_by(|a, b| a.code.cmp(&b.code));
        if let Some(f) = facilities.first() {
            return (record, f);
        }
    }
    panic!(
        "demo pack has no long-term filer with an open facility; category {:?}",
        FilingCategory::RetiredResettled
    );
}

/// `n` lines of unrestricted catalog rows of the facility's province valid on `date`.
fn lines(pack: &Pack, facility: &Facility, date: Date, n: usize) -> Vec<FeeLine> {
    let catalog = &pack.refdata.catalogs[&facility.admdvs.province()];
    let codes: Vec<&str> = catalog.unrestricted(date).into_iter().map(|row| row.code.as_str()).collect();
    (0..n)
        .map(|i| {
            let cnt = Qty::from_units(1 + (i as i64 % 3));
            let pric = Price::parse(&format!("{}.{:02}", 12 + i * 7 % 90, i * 13 % 100)).unwrap();
            FeeLine {
                feedetl_sn: (i + 1).to_string(),
                med_list_codg: codes[i % codes.len()].to_string(),
                cnt,
                pric,
                amount: line_fen(cnt, pric),
                fee_ocur_time: None,
            }
        })
        .collect()
}

fn claim<'a>(pack: &'a Pack, kind: BenefitKind, med_type: &str, n: usize) -> (Claim, &'a PersonRecord) {
    let date = Date::parse("2025-04-10").unwrap();
    let (record, facility) = pick(pack, kind, date);
    let begin = DateTime::new(date, 9, 0, 0).unwrap();
    let end =
        DateTime::new(date.add_days(if kind == BenefitKind::Inpatient { 7 } else { 0 }), 11, 0, 0).unwrap();
    let claim = Claim {
        claim_id: "bench".into(),
        psn_no: record.person.psn_no.clone(),
        fixmedins_code: facility.code.clone(),
        med_type: MedType::parse(med_type).unwrap(),
        begntime: begin,
        endtime: Some(end),
        setl_time: end,
        dise_codg: Some("I10".into()),
        emergency: false,
        acct_used: true,
        lines: lines(pack, facility, date, n),
    };
    (claim, record)
}

fn run(kind: BenefitKind, med_type: &str, n: usize, bencher: divan::Bencher) {
    let pack = demo();
    let (claim, record) = claim(pack, kind, med_type, n);
    let state = pack.state_of(&record.person.psn_no);
    let ctx = Context { refdata: &pack.refdata, person: Some(record), state: &state };
    adjudicate(&ctx, &claim).expect("bench claim settles");
    bencher
        .counter(divan::counter::ItemsCount::new(1usize))
        .bench(|| adjudicate(&ctx, divan::black_box(&claim)).map(|s| s.setlinfo));
}

#[divan::bench]
fn outpatient_10_lines(bencher: divan::Bencher) {
    run(BenefitKind::Outpatient, "11", 10, bencher);
}

#[divan::bench]
fn inpatient_200_lines(bencher: divan::Bencher) {
    run(BenefitKind::Inpatient, "21", 200, bencher);
}

#[divan::bench(sample_count = 10)]
fn load_demo_pack() -> Pack {
    yidi_refdata::load_pack(&demo_dir()).expect("demo pack loads")
}
