//! Properties of monthly clearing over random months, through the hub on a real SQLite file:
//! random settlements (one person at hospitals of two provinces: two province pairs), cancellations (allowed in an open month,
//! refused with `month_cleared` once the month is frozen) and month ends (freeze, both
//! confirmations, payment). After every step the books balance; every frozen statement is
//! exactly the sum of its live settlements' fund shares as the 2207 answers gave them (an oracle
//! kept here, not read from the ledger) and never changes afterwards; netting settles the same
//! positions as the gross transfers; after payment each pair's prepayment carries only the open
//! months' pooled shares; a restart rebuilds the same clearing views.

mod support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};

use proptest::prelude::*;
use serde_json::{Value, json};
use std::sync::{Arc, OnceLock};

use support::{World, temp_db};
use yidi_domain::{BenefitKind, ChrgitmLv, DateTime, Facility, Fen, Pack, PersonRecord};
use yidi_hub::{AgencyUser, Clock, FreezeInput, PaymentInput};
use yidi_ledger::{Month, Pair};

/// The demo pack, loaded once for every case.
fn demo_pack() -> Arc<Pack> {
    static PACK: OnceLock<Arc<Pack>> = OnceLock::new();
    PACK.get_or_init(|| {
        let dir = support::repo().join("test_data/demo");
        Arc::new(yidi_refdata::load_pack(&dir).expect("demo pack loads"))
    })
    .clone()
}

#[derive(Clone, Debug)]
enum Op {
    /// A settlement of the Nanjing employee at a Shanghai (0) or a Beijing (1) hospital, with
    /// `units` of one line.
    Settle { person: usize, units: u8 },
    /// A 2208 of the `pick`-th settlement made so far (any month).
    Cancel { pick: usize },
    /// Month end: freeze the month, both provinces confirm, the insured province pays.
    EndMonth,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0..2usize, 1..30u8).prop_map(|(person, units)| Op::Settle { person, units }),
        2 => (0..64usize).prop_map(|pick| Op::Cancel { pick }),
        1 => Just(Op::EndMonth),
    ]
}

/// A person and a hospital in another province that a long-term filing of theirs covers, with
/// one plain catalog item of that province.
#[derive(Clone, Debug)]
struct Person {
    psn_no: String,
    certno: String,
    insutype: String,
    facility: String,
    code: String,
    price: String,
    pair: String,
}

/// Two (person, hospital) combinations of the demo pack on different province pairs.
fn persons(pack: &Pack, now: DateTime) -> Vec<Person> {
    let mut facilities: Vec<&Facility> = pack.refdata.facilities.values().collect();
    facilities.sort_by(|a, b| a.code.cmp(&b.code));
    let mut records: Vec<&PersonRecord> = pack.persons.values().collect();
    records.sort_by(|a, b| a.person.psn_no.cmp(&b.person.psn_no));
    let mut out: Vec<Person> = Vec::new();
    for r in records.into_iter().filter(|r| r.person.insutype.as_str() == "310") {
        let home = r.person.insuplc.province();
        let Some(filing) =
            r.filings.iter().find(|f| f.category.is_long_term() && f.valid_for(now.date(), now))
        else {
            continue;
        };
        let Some(f) = facilities.iter().find(|f| {
            f.admdvs.province() != home
                && filing.covers(f.admdvs)
                && f.open_for(BenefitKind::Outpatient)
                && f.level >= 2
                && yidi_domain::in_period(now.date(), f.begndate, f.enddate)
        }) else {
            continue;
        };
        let pair = format!("{home}>{}", f.admdvs.province());
        if out.iter().any(|p| p.pair == pair) {
            continue;
        }
        let catalog = &pack.refdata.catalogs[&f.admdvs.province()];
        let row = catalog
            .unrestricted(now.date())
            .into_iter()
            .find(|row| row.lv == ChrgitmLv::A)
            .expect("a plain class A item");
        out.push(Person {
            psn_no: r.person.psn_no.clone(),
            certno: r.person.certno.as_str().to_string(),
            insutype: "310".into(),
            facility: f.code.as_str().to_string(),
            code: row.code.clone(),
            price: row.sample_price().to_string(),
            pair,
        });
        if out.len() == 2 {
            break;
        }
    }
    assert_eq!(out.len(), 2, "two demo pairs");
    out
}

/// A settlement as the oracle keeps it.
#[derive(Clone, Debug)]
struct Made {
    person: usize,
    setl_id: String,
    mdtrt_id: String,
    month: Month,
    /// hifp + hifob + hifmi + maf, and acct_pay, of the 2207 answer.
    pooled: Fen,
    acct: Fen,
    live: bool,
}

fn fen(v: &Value) -> Fen {
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Fen::parse_yuan(&text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn province(code: &str) -> AgencyUser {
    AgencyUser { name: format!("省级-{code}"), admdvs: code.to_string() }
}

async fn settle(w: &mut World, p: &Person, units: u8, visit: u32) -> Option<Made> {
    let now = w.clock.now().to_string();
    let reg = w
        .call(
            &p.facility,
            "2201",
            json!({"data": {"psn_no": p.psn_no, "insutype": p.insutype, "begntime": now,
            "mdtrt_cert_type": "02", "mdtrt_cert_no": p.certno, "ipt_otp_no": format!("MZ{visit:06}")}}),
        )
        .await;
    assert_eq!(reg["infcode"], 0, "{reg}");
    let mdtrt = reg["output"]["data"]["mdtrt_id"].as_str().unwrap().to_string();
    let price = Fen::parse_yuan(&p.price).unwrap();
    let amount = Fen::new(price.get() * i64::from(units));
    let lines = json!({"feedetail": [{"feedetl_sn": "1", "mdtrt_id": mdtrt, "psn_no": p.psn_no, "chrg_bchno": "CB1",
        "fee_ocur_time": now, "med_list_codg": p.code, "medins_list_codg": p.code, "det_item_fee_sumamt": amount.yuan(),
        "cnt": units.to_string(), "pric": p.price}]});
    let up = w.call(&p.facility, "2204", lines).await;
    assert_eq!(up["infcode"], 0, "{up}");
    let data = json!({"data": {"psn_no": p.psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": p.certno,
        "med_type": "11", "medfee_sumamt": amount.yuan(), "psn_setlway": "01", "mdtrt_id": mdtrt, "chrg_bchno": "CB1",
        "acct_used_flag": "1", "insutype": p.insutype}});
    let v = w.call(&p.facility, "2207", data).await;
    assert_eq!(v["infcode"], 0, "{v}");
    let i = &v["output"]["setlinfo"];
    Some(Made {
        person: 0,
        setl_id: i["setl_id"].as_str().unwrap().to_string(),
        mdtrt_id: mdtrt,
        month: Month::at(w.clock.now()),
        pooled: ["hifp_pay", "hifob_pay", "hifmi_pay", "maf_pay"].iter().map(|f| fen(&i[*f])).sum(),
        acct: fen(&i["acct_pay"]),
        live: true,
    })
}

/// The oracle's amount due of a pair for a month: the live settlements' fund shares.
fn due(made: &[Made], person: usize, month: Month) -> Fen {
    made.iter().filter(|m| m.live && m.person == person && m.month == month).map(|m| m.pooled + m.acct).sum()
}

fn positions(transfers: &Value) -> BTreeMap<String, Fen> {
    let mut p: BTreeMap<String, Fen> = BTreeMap::new();
    for t in transfers.as_array().unwrap() {
        let amount = fen(&t["amount"]);
        *p.entry(t["to"].as_str().unwrap().to_string()).or_default() += amount;
        *p.entry(t["from"].as_str().unwrap().to_string()).or_default() -= amount;
    }
    p.retain(|_, v| *v != Fen::ZERO);
    p
}

async fn run(ops: Vec<Op>) {
    static N: AtomicU32 = AtomicU32::new(0);
    let db = temp_db(&format!("clearing-props-{}", N.fetch_add(1, Ordering::Relaxed)));
    let demo = demo_pack();
    let people = persons(&demo, DateTime::parse("2025-03-03 09:00:00").unwrap());
    let mut w = World::start(demo, &db, "2025-03-03 09:00:00");
    let mut made: Vec<Made> = Vec::new();
    let mut frozen: BTreeMap<(Month, String), Value> = BTreeMap::new();
    let mut month = Month::parse("2025-03").unwrap();
    let mut visit = 0;
    for op in ops {
        w.advance_secs(60);
        match op {
            Op::Settle { person, units } => {
                visit += 1;
                if let Some(m) = settle(&mut w, &people[person], units, visit).await {
                    made.push(Made { person, ..m });
                }
            }
            Op::Cancel { pick } => {
                let live: Vec<usize> = (0..made.len()).filter(|&k| made[k].live).collect();
                let Some(&k) = live.get(pick % live.len().max(1)) else { continue };
                let m = made[k].clone();
                let p = &people[m.person];
                let before = w.hub.ledger().await.unwrap();
                let input =
                    json!({"data": {"setl_id": m.setl_id, "mdtrt_id": m.mdtrt_id, "psn_no": p.psn_no}});
                let v = w.call(&p.facility, "2208", input).await;
                if m.month < month {
                    assert_eq!(v["err_code"], "month_cleared", "{v}");
                    let after = w.hub.ledger().await.unwrap();
                    assert_eq!(before.balances(), after.balances(), "a refused reversal posts nothing");
                } else {
                    assert_eq!(v["infcode"], 0, "{v}");
                    made[k].live = false;
                }
            }
            Op::EndMonth => {
                if month >= Month::parse("2025-06").unwrap() {
                    continue;
                }
                let next = month.next();
                w.clock.set(DateTime::parse(&format!("{next}-03 10:00:00")).unwrap());
                let m = month.to_string();
                let view =
                    w.hub.agency_clearing_freeze(&province("310000"), &m, &FreezeInput::default()).await;
                view.unwrap_or_else(|e| panic!("freeze {m}: {e:?}"));
                for (person, p) in people.iter().enumerate() {
                    let expected = due(&made, person, month);
                    let (insured, treatment) = p.pair.split_once('>').unwrap();
                    let s = w
                        .hub
                        .agency_clearing_statement(&province(insured), &m, insured, treatment)
                        .await
                        .unwrap();
                    assert_eq!(
                        fen(&Value::String(s.due.clone())),
                        expected,
                        "{m} {}: statement = oracle",
                        p.pair
                    );
                    frozen.insert((month, p.pair.clone()), serde_json::to_value(&s.lines).unwrap());
                    // Only pairs with something to clear are frozen as clearings.
                    if s.clearing.is_none() {
                        assert_eq!(expected, Fen::ZERO, "{m} {}: a pair with money is listed", p.pair);
                        continue;
                    }
                    for side in [insured, treatment] {
                        w.hub.agency_clearing_confirm(&province(side), &m, insured, treatment).await.unwrap();
                    }
                    let pay = PaymentInput {
                        bank_name: Some("测试银行".into()),
                        bank_serial: Some(format!("S{m}{insured}")),
                        paid_on: Some(format!("{next}-03")),
                    };
                    let payer = if expected.is_negative() { treatment } else { insured };
                    let paid = w
                        .hub
                        .agency_clearing_pay(&province(payer), &m, insured, treatment, &pay)
                        .await
                        .unwrap();
                    assert_eq!(paid.status, "paid");
                }
                // Nationally, net transfers settle the same positions as gross ones.
                let ledger = w.hub.ledger().await.unwrap();
                let national = ledger.period(Month::parse(&m).unwrap()).unwrap().netting();
                let national = serde_json::to_value(
                    [national.gross(), national.net()]
                        .map(|l| l.iter().map(|t| json!({"from": t.from.to_string(), "to": t.to.to_string(), "amount": t.amount.to_string()})).collect::<Vec<_>>()),
                )
                .unwrap();
                assert_eq!(
                    positions(&national[0]),
                    positions(&national[1]),
                    "net settles the same positions"
                );
                // A province sees only its own transfers and position, the same either way.
                let n = w.hub.agency_clearing_netting(&province("110000"), &m).await.unwrap();
                let n = serde_json::to_value(&n).unwrap();
                for t in n["gross"].as_array().unwrap().iter().chain(n["net"].as_array().unwrap()) {
                    assert!(
                        t["from"] == "110000" || t["to"] == "110000",
                        "another pair's transfer shown: {t}"
                    );
                }
                let own = |v: &Value| positions(v).get("110000").copied().unwrap_or_default();
                assert_eq!(own(&n["gross"]), own(&n["net"]), "Beijing's position");
                assert_eq!(
                    own(&n["gross"]),
                    positions(&national[0]).get("110000").copied().unwrap_or_default()
                );
                month = next;
            }
        }
        let ledger = w.hub.ledger().await.unwrap();
        assert_eq!(ledger.trial_balance(), Fen::ZERO, "the books balance");
        for (person, p) in people.iter().enumerate() {
            let pair = Pair::parse(&p.pair).unwrap();
            let open: Fen = made
                .iter()
                .filter(|x| x.live && x.person == person && x.month >= month)
                .map(|x| x.pooled)
                .sum();
            assert_eq!(ledger.charged(pair), open, "{}: only open months are charged after payment", p.pair);
        }
    }
    // Closed months never changed, and a restart rebuilds the same ledger and views.
    check_frozen(&w, &frozen).await;
    let before = w.hub.ledger().await.unwrap().balances();
    let at = w.clock.now().to_string();
    let w = w.restart(&at);
    assert_eq!(w.hub.ledger().await.unwrap().balances(), before, "the ledger after a restart");
    check_frozen(&w, &frozen).await;
    w.hub.shutdown();
}

async fn check_frozen(w: &World, frozen: &BTreeMap<(Month, String), Value>) {
    for ((m, pair), lines) in frozen {
        let (insured, treatment) = pair.split_once('>').unwrap();
        let who = province(treatment);
        let s = w.hub.agency_clearing_statement(&who, &m.to_string(), insured, treatment).await.unwrap();
        assert_eq!(&serde_json::to_value(&s.lines).unwrap(), lines, "{m} {pair} never changes");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn random_months_clear_exactly(ops in proptest::collection::vec(op(), 4..30)) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(run(ops));
    }
}
