//! The world the funds tests at the HTTP boundary share (`adjust.rs`, `clearing.rs`), on top of
//! `common`: the hub clock in October 2025, the clearing agencies' tokens, the funds ledger, and
//! hospitals settling outpatient visits through the national protocol.
#![allow(dead_code)] // Each test binary uses part of it.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use yidi_domain::{BenefitKind, DateTime, Facility, Fen, Pack, PersonRecord};
use yidi_hub::{Clock, ManualClock};

use crate::common::{
    Answer, TempDb, World, agency_token, demo_pack, employees, http, json_headers, settle, try_open_visit,
};

/// The agency API's requests, with a bearer token; the funds ledger.
impl World {
    pub fn get(&self, path: &str, token: &str) -> Answer {
        http(self.addr, "GET", path, &json_headers(Some(token)), b"")
    }

    pub fn post(&self, path: &str, token: &str, body: &Value) -> Answer {
        http(self.addr, "POST", path, &json_headers(Some(token)), body.to_string().as_bytes())
    }

    pub fn ledger(&self) -> yidi_ledger::Ledger {
        block_on(self.hub.ledger()).expect("hub running")
    }
}

impl Answer {
    /// The answer must be an error with `status` and `code`.
    pub fn refused(&self, status: u16, code: &str) -> Value {
        let v = self.expect(status);
        assert_eq!(v["code"], code, "{v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "a message: {v}");
        v
    }
}

/// Runs one of the hub's async queries to its end.
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future)
}

/// The agencies' tokens, then the world on the demo pack with the hub clock at 2025-10-06 09:00.
pub fn start_in_october(db: &TempDb) -> (Tokens, World) {
    let tokens = issue_tokens(&db.0);
    let clock = Arc::new(ManualClock::at(DateTime::parse("2025-10-06 09:00:00").unwrap()));
    (tokens, World::start(&db.0, Arc::new(demo_pack()), clock))
}

/// An amount of a national answer or an agency view (a JSON number or yuan text) in fen.
pub fn fen(v: &Value) -> Fen {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("not an amount: {other}"),
    };
    Fen::parse_yuan(&text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

pub struct Tokens {
    /// Beijing and Shanghai are province-level pooling regions: their tokens act for the province.
    pub beijing: String,
    pub shanghai: String,
    /// A region token of Jiangsu (reads its province, acts for nothing) and Jiangsu's province.
    pub nanjing: String,
    pub jiangsu: String,
}

pub fn issue_tokens(db: &Path) -> Tokens {
    Tokens {
        beijing: agency_token(db, "北京市医保中心-清算", "110000"),
        shanghai: agency_token(db, "上海市医保中心-清算", "310000"),
        nanjing: agency_token(db, "南京医保中心-王", "320100"),
        jiangsu: agency_token(db, "江苏省医保中心-清算", "320000"),
    }
}

/// One settled outpatient visit.
#[derive(Clone, Debug)]
pub struct Settled {
    pub setl_id: String,
    pub mdtrt_id: String,
    pub psn_no: String,
    pub facility: String,
    /// hifp + hifob + hifmi + maf of the 2207 answer.
    pub pooled: Fen,
    pub acct: Fen,
    pub medfee: Fen,
    pub fund: Fen,
    pub cash: Fen,
    pub inscp: Fen,
    pub hifp: Fen,
    pub visit_no: String,
}

/// Registers a visit, uploads five lines of 60 units and settles it with the personal account
/// (2201, 2203, 2204, 2207); `None` when the person cannot settle there directly (no filing, not
/// open, …).
pub fn try_settle(w: &mut World, p: &PersonRecord, facility: &Facility) -> Option<Settled> {
    let code = facility.code.as_str().to_string();
    let psn_no = &p.person.psn_no;
    w.msgids += 1;
    let visit_no = format!("MZ{:08}", w.msgids);
    let (mdtrt_id, total) = match try_open_visit(w, p, facility, &visit_no, 5, 60) {
        Ok(visit) => visit,
        Err((step, answer)) => {
            eprintln!("{step} {psn_no} at {code}: {}", answer["err_msg"]);
            return None;
        }
    };
    let setl = settle(w, p, &code, &mdtrt_id, total, true);
    if setl["infcode"] != 0 {
        eprintln!("{psn_no} at {code}: {}", setl["err_msg"]);
        return None;
    }
    let i = &setl["output"]["setlinfo"];
    let pooled = ["hifp_pay", "hifob_pay", "hifmi_pay", "maf_pay"].iter().map(|f| fen(&i[*f])).sum();
    Some(Settled {
        setl_id: i["setl_id"].as_str().unwrap().to_string(),
        mdtrt_id,
        psn_no: psn_no.clone(),
        facility: code,
        pooled,
        acct: fen(&i["acct_pay"]),
        medfee: fen(&i["medfee_sumamt"]),
        fund: fen(&i["fund_pay_sumamt"]),
        cash: fen(&i["psn_cash_pay"]),
        inscp: fen(&i["inscp_scp_amt"]),
        hifp: fen(&i["hifp_pay"]),
        visit_no,
    })
}

/// Settles `n` employees insured in `insured` (a province prefix) at open hospitals of the
/// `treatment` province, trying persons in order until `n` settle.
pub fn settle_many(
    w: &mut World,
    pack: &Pack,
    insured: &str,
    treatment: &str,
    n: usize,
    skip: usize,
) -> Vec<Settled> {
    let now = w.clock.now();
    let mut facilities: Vec<&Facility> = pack
        .refdata
        .facilities
        .values()
        .filter(|f| {
            f.code.as_str()[1..3] == treatment[..2]
                && f.code.as_str().starts_with('H')
                && f.open_for(BenefitKind::Outpatient)
                && yidi_domain::in_period(now.date(), f.begndate, f.enddate)
        })
        .collect();
    facilities.sort_by(|a, b| a.code.cmp(&b.code));
    let persons = employees(pack, insured);
    let mut out = Vec::new();
    for (k, p) in persons.into_iter().skip(skip).enumerate() {
        if out.len() == n {
            break;
        }
        let covered = facilities
            .iter()
            .find(|x| p.filings.iter().any(|f| f.valid_for(now.date(), now) && f.covers(x.admdvs)));
        let facility = covered.copied().unwrap_or(facilities[k % facilities.len()]);
        if let Some(s) = try_settle(w, p, facility) {
            out.push(s);
        }
    }
    assert_eq!(out.len(), n, "{n} settlements {insured} → {treatment}");
    out
}

pub const BJ: &str = "110000";
pub const SH: &str = "310000";
