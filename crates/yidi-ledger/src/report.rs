//! Plain-text clearing statements: one block per pair, then gross transfers, net positions and
//! netted transfers. Used by golden tests and printable statements.

use std::fmt::Write;

use yidi_domain::Fen;

use crate::account::{ClrType, Fund};
use crate::amounts::FundAmounts;
use crate::clearing::{ClearingMode, ClearingPeriod, PairClearing};
use crate::netting::{Netting, Transfer};

const COL: usize = 12;

/// The whole month as text.
pub fn render_period(period: &ClearingPeriod) -> String {
    let mut out = String::new();
    writeln!(out, "clearing month {}", period.month()).unwrap();
    for clearing in period.pairs() {
        render_pair(&mut out, clearing);
    }
    render_netting(&mut out, &period.netting());
    out
}

fn header(out: &mut String) {
    write!(out, "   {:<11}{:>6}", "line", "count").unwrap();
    for fund in Fund::ALL {
        write!(out, "{:>COL$}", fund.code()).unwrap();
    }
    writeln!(out, "{:>COL$}", "total").unwrap();
}

fn row(out: &mut String, label: &str, count: i64, amounts: &FundAmounts) {
    write!(out, "   {label:<11}{count:>6}").unwrap();
    for fund in Fund::ALL {
        write!(out, "{:>COL$}", amounts.get(fund).to_string()).unwrap();
    }
    writeln!(out, "{:>COL$}", amounts.total().to_string()).unwrap();
}

fn render_pair(out: &mut String, c: &PairClearing) {
    let s = c.statement();
    let mode = match c.mode() {
        ClearingMode::Itemised => "itemised".to_string(),
        ClearingMode::LumpSum(l) => {
            format!("lump sum {} persons x {}", l.persons(), l.fen_per_person_month())
        }
    };
    writeln!(out, "== {} {mode}", s.pair()).unwrap();
    header(out);
    for clr_type in ClrType::ALL {
        let line = s.care(clr_type);
        row(out, &format!("care {}", clr_type.code()), line.count, &line.amounts);
    }
    row(out, "refusals", s.refusals().count, &s.refusals().amounts);
    row(out, "recoveries", s.recoveries().count, &s.recoveries().amounts);
    for (label, v) in [
        ("fund share (pooled)", s.pooled()),
        ("personal accounts", s.personal()),
        ("less refusals/recoveries", s.adjustments().total()),
        ("itemised due", s.itemised_due()),
        ("due", c.due()),
    ] {
        writeln!(out, "   {label:<27}{:>14}", v.to_string()).unwrap();
    }
}

fn transfers(out: &mut String, title: &str, list: &[Transfer]) {
    let total: Fen = list.iter().map(|t| t.amount).sum();
    writeln!(out, "{title} ({} transfers, {total})", list.len()).unwrap();
    for t in list {
        writeln!(out, "   {} -> {} {:>14}", t.from, t.to, t.amount.to_string()).unwrap();
    }
}

fn render_netting(out: &mut String, n: &Netting) {
    transfers(out, "gross transfers", n.gross());
    writeln!(out, "net positions (receivable - payable)").unwrap();
    for (province, position) in n.positions() {
        writeln!(out, "   {province} {:>14}", position.to_string()).unwrap();
    }
    transfers(out, "net transfers", n.net());
    writeln!(out, "gross total {}, net total {}, saving {}", n.gross_total(), n.net_total(), n.saving())
        .unwrap();
}
