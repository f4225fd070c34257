//! Golden clearing statements: every folder under `test_data/clearing/` holds `events.txt` (a
//! small world written by hand), `expected.txt` (statements, netting, utilisation and balances
//! after each close) and `postings.txt` (every posting's legs), with the hand arithmetic in its
//! README. A missing expectation is written and the test fails; `UPDATE_EXPECT=1` rewrites them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::fs;
use std::path::{Path, PathBuf};

use yidi_domain::{DateTime, DivisionCode, Fen, InsuType};
use yidi_ledger::{
    ClearingConfig, ClrType, FacilityId, Fund, FundAmounts, Ledger, LumpSum, Month, Pair, Posting,
    PrepaymentConfig, SettlementFacts, annual_amount, clearing_payment, facility_payment, prepayment,
    recovery, refusal, render_period, reversal, settlement, verify, verify_period,
};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test_data/clearing")
}

/// One event line: its verb and `key=value` fields (fund codes as keys for refusals).
struct Line<'a> {
    no: usize,
    verb: &'a str,
    fields: BTreeMap<&'a str, &'a str>,
}

impl Line<'_> {
    fn get(&self, key: &str) -> &str {
        self.fields.get(key).unwrap_or_else(|| panic!("line {}: `{key}` missing", self.no))
    }
    fn fen(&self, key: &str) -> Fen {
        self.fields.get(key).map_or(Fen::ZERO, |v| Fen::parse_yuan(v).expect("an amount in yuan"))
    }
    fn at(&self) -> DateTime {
        DateTime::parse(self.get("at")).expect("a time")
    }
    fn division(&self, key: &str) -> DivisionCode {
        DivisionCode::parse(self.get(key)).expect("a division code")
    }
    fn month(&self) -> Month {
        Month::parse(self.get("month")).expect("a month")
    }
    /// Fund-code fields (`390100=1500.00`) as amounts.
    fn funds(&self) -> FundAmounts {
        let pairs: Vec<(Fund, Fen)> = Fund::ALL.into_iter().map(|f| (f, self.fen(f.code()))).collect();
        FundAmounts::of(&pairs)
    }
}

fn parse(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap().trim();
        let mut words = line.split_whitespace();
        let Some(verb) = words.next() else { continue };
        let fields =
            words.map(|w| w.split_once('=').unwrap_or_else(|| panic!("line {}: `{w}`", i + 1))).collect();
        out.push(Line { no: i + 1, verb, fields });
    }
    out
}

fn facts(l: &Line) -> SettlementFacts {
    SettlementFacts {
        setl_id: l.get("ref").to_string(),
        at: l.at(),
        insured_region: l.division("insured"),
        treatment_region: l.division("agency"),
        facility: FacilityId::parse(l.get("facility")).unwrap(),
        insutype: InsuType::parse(l.get("insutype")).unwrap(),
        clr_type: ClrType::parse(l.get("clr")).unwrap(),
        hifp: l.fen("hifp"),
        hifob: l.fen("hifob"),
        hifmi: l.fen("hifmi"),
        maf: l.fen("maf"),
        acct: l.fen("acct"),
        cash: l.fen("cash"),
    }
}

/// The world as it runs: the ledger, every posting, the settlements by reference.
#[derive(Default)]
struct World {
    ledger: Ledger,
    postings: Vec<Posting>,
    settlements: BTreeMap<String, Posting>,
    prepaid: BTreeSet<Pair>,
    config: ClearingConfig,
    out: String,
}

impl World {
    fn post(&mut self, p: Posting) {
        self.ledger.post(&p).unwrap_or_else(|e| panic!("{} refused: {e}", p.reference()));
        self.postings.push(p);
    }

    fn event(&mut self, l: &Line) {
        match l.verb {
            "prepay" => {
                let pair = Pair::parse(l.get("pair")).unwrap();
                self.prepaid.insert(pair);
                self.post(prepayment(pair, l.fen("amount"), l.at(), l.get("ref")).unwrap());
            }
            "settle" => {
                let p = settlement(&facts(l));
                self.settlements.insert(l.get("ref").to_string(), p.clone());
                self.post(p);
            }
            "reverse" => self.post(reversal(&self.settlements[l.get("ref")], l.at())),
            "refuse" => self.post(refusal(&self.settlements[l.get("ref")], &l.funds(), l.at()).unwrap()),
            "recover" => self.post(recovery(&self.settlements[l.get("ref")], &l.funds(), l.at()).unwrap()),
            "facpay" => {
                let facility = FacilityId::parse(l.get("facility")).unwrap();
                let p =
                    facility_payment(l.division("agency"), facility, l.fen("amount"), l.at(), l.get("ref"));
                self.post(p.unwrap());
            }
            "lumpsum" => {
                let pair = Pair::parse(l.get("pair")).unwrap();
                let lump = LumpSum::new(pair, l.fen("per"), l.get("persons").parse().unwrap()).unwrap();
                self.config = std::mem::take(&mut self.config).with_lump_sum(pair, lump);
            }
            "close" => self.close(l.month()),
            "pay" => self.pay(l),
            other => panic!("line {}: unknown event `{other}`", l.no),
        }
    }

    fn close(&mut self, month: Month) {
        let config = std::mem::take(&mut self.config);
        let period = self.ledger.close_month(month, &config).unwrap().clone();
        verify_period(&self.postings, &period).unwrap();
        writeln!(self.out, "==== after closing {month}").unwrap();
        self.out.push_str(&render_period(&period));
        writeln!(self.out, "prepayment utilisation (yellow >= 70%, red >= 90%)").unwrap();
        for &pair in &self.prepaid {
            let u = self.ledger.utilisation(pair, PrepaymentConfig::default());
            let ratio = u.ratio_bp.map_or("-".to_string(), |r| r.to_string());
            let (funded, charged) = (u.funded.to_string(), u.charged.to_string());
            writeln!(
                self.out,
                "   {pair} funded {funded:>10} charged {charged:>10} {ratio:>6} bp {:?}",
                u.warning
            )
            .unwrap();
        }
    }

    fn pay(&mut self, l: &Line) {
        let period = self.ledger.period(l.month()).unwrap().clone();
        for c in period.pairs() {
            let reference = format!("{}-{}", l.get("ref"), c.statement().pair());
            self.post(clearing_payment(c, l.at(), &reference));
        }
    }

    fn finish(&mut self) {
        writeln!(self.out, "==== balances at the end (debits - credits)").unwrap();
        for (account, balance) in self.ledger.balances() {
            writeln!(self.out, "   {:<28}{:>14}", account.code(), balance.to_string()).unwrap();
        }
        writeln!(self.out, "trial balance {}", self.ledger.trial_balance()).unwrap();
        let months = self.ledger.periods_in_year(2025);
        writeln!(
            self.out,
            "next year's prepayment (2 x the monthly average net fund share over the {months} cleared months)"
        )
        .unwrap();
        for &pair in &self.prepaid {
            let share = self.ledger.fund_share_of_year(pair, 2025);
            let next = annual_amount(share, months, PrepaymentConfig::default());
            writeln!(
                self.out,
                "   {pair} 2025 fund share {:>10} -> {:>10}",
                share.to_string(),
                next.to_string()
            )
            .unwrap();
        }
        verify(&self.postings, &self.ledger.balances()).unwrap();
    }
}

/// Compares against an expectation file, writing it when missing or when UPDATE_EXPECT is set.
fn check(path: &Path, actual: &str, failures: &mut Vec<String>) {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    match fs::read_to_string(path) {
        Ok(expected) if expected == actual => {}
        Ok(_) if update => fs::write(path, actual).expect("rewrite expectation"),
        Ok(expected) => failures
            .push(format!("{} differs\n--- expected\n{expected}\n--- actual\n{actual}", path.display())),
        Err(_) => {
            fs::write(path, actual).expect("write expectation");
            if !update {
                failures.push(format!("{} was missing and has been written; review it", path.display()));
            }
        }
    }
}

#[test]
fn golden_clearing_months() {
    let mut dirs: Vec<PathBuf> =
        fs::read_dir(root()).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no golden cases under test_data/clearing");
    let mut failures = Vec::new();
    for dir in dirs {
        let text = fs::read_to_string(dir.join("events.txt")).unwrap();
        let mut world = World::default();
        for line in parse(&text) {
            world.event(&line);
        }
        world.finish();
        check(&dir.join("expected.txt"), &world.out, &mut failures);
        let postings: String = world.postings.iter().map(|p| p.to_string()).collect();
        check(&dir.join("postings.txt"), &postings, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
