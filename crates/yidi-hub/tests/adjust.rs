//! Refusals and recoveries over random months (seeded): settlements through the protocol, random
//! refusals before clearing, a cancellation, the month frozen, random recoveries after it. For
//! every seed the pair's clearing equals the fund shares of its live settlements (summed from the
//! 2207 answers) less the refusals booked, the recoveries count in the next month, no settlement
//! gives back more than it charged any fund, the books verify against the stored postings, and a
//! restart rebuilds the same adjustments and balances.

mod support;

use serde_json::{Value, json};
use support::{World, ok, pack, snapshot, temp_db};
use yidi_domain::Fen;
use yidi_hub::adjust::AdjustmentInput;
use yidi_hub::{AgencyError, AgencyUser, Clock, FreezeInput};
use yidi_ledger::{Fund, FundAmounts, Month, Pair};

const FAC_SH: &str = "H31010400123";
const PSN: &str = "P0000000001";
const CERTNO: &str = "320102197005120015";

/// A small deterministic generator (xorshift64*), so every run tests the same worlds.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `1..=n` (n ≥ 1).
    fn upto(&mut self, n: i64) -> i64 {
        1 + (self.next() % n as u64) as i64
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

struct Settled {
    setl_id: String,
    mdtrt_id: String,
    shares: FundAmounts,
    /// The 2207 answer's `setlinfo`.
    setlinfo: Value,
}

/// One outpatient visit of the worked pack's Nanjing employee at the Shanghai hospital, settled.
async fn settle(w: &mut World, n: u32, rng: &mut Rng) -> Settled {
    let reg = w
        .call(
            FAC_SH,
            "2201",
            json!({"data": {"psn_no": PSN, "insutype": "310", "begntime": w.clock.now().to_string(),
            "mdtrt_cert_type": "02", "mdtrt_cert_no": CERTNO, "ipt_otp_no": format!("MZ{n:04}")}}),
        )
        .await;
    let mdtrt_id = ok(&reg)["data"]["mdtrt_id"].as_str().unwrap().to_string();
    // Bills past the outpatient deductible, so the pooled funds pay (refusals never touch the
    // personal account).
    let cnt = 40 + rng.upto(6);
    let amount = Fen::new(4_550 * cnt);
    let line = json!({"feedetl_sn": "a", "mdtrt_id": mdtrt_id, "psn_no": PSN, "chrg_bchno": "CB1",
        "fee_ocur_time": w.clock.now().to_string(), "med_list_codg": "XA01AAA001", "medins_list_codg": "XA01AAA001",
        "det_item_fee_sumamt": amount.yuan(), "cnt": cnt.to_string(), "pric": "45.50"});
    ok(&w.call(FAC_SH, "2204", json!({"feedetail": [line]})).await);
    let settled = w
        .call(
            FAC_SH,
            "2207",
            json!({"data": {"psn_no": PSN, "mdtrt_cert_type": "02", "mdtrt_cert_no": CERTNO, "med_type": "11",
            "medfee_sumamt": amount.yuan(), "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": "CB1",
            "acct_used_flag": "1", "insutype": "310"}}),
        )
        .await;
    let i = &ok(&settled)["setlinfo"];
    let fen = |name: &str| Fen::parse_yuan(&i[name].to_string()).unwrap();
    Settled {
        setl_id: i["setl_id"].as_str().unwrap().to_string(),
        mdtrt_id,
        shares: FundAmounts::of(&[
            (Fund::EmployeeBasic, fen("hifp_pay")),
            (Fund::LargeAmount, fen("hifob_pay")),
            (Fund::CriticalIllness, fen("hifmi_pay")),
            (Fund::Assistance, fen("maf_pay")),
            (Fund::PersonalAccount, fen("acct_pay")),
        ]),
        setlinfo: i.clone(),
    }
}

fn user(admdvs: &str) -> AgencyUser {
    AgencyUser { name: format!("稽核-{admdvs}"), admdvs: admdvs.to_string() }
}

/// Books a random refusal or recovery of at most what is left; returns what was booked.
async fn cut(w: &World, s: &Settled, given_back: &mut FundAmounts, rng: &mut Rng) -> Option<Fen> {
    // The personal account is never refused.
    let left = s.shares.total() - s.shares.get(Fund::PersonalAccount) - given_back.total();
    if left <= Fen::ZERO {
        return None;
    }
    let total = Fen::new(rng.upto(left.get()));
    let input =
        AdjustmentInput { total: Some(total.yuan()), reason: Some("稽核".into()), ..Default::default() };
    let view = w.hub.agency_adjust(&user("310000"), &s.setl_id, &input).await.expect("within the share");
    for a in &view.amounts {
        given_back.add(Fund::parse(&a.fund_pay_type).unwrap(), Fen::parse_yuan(&a.amount).unwrap());
    }
    assert_eq!(Fen::parse_yuan(&view.total).unwrap(), total);
    Some(total)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clearing_equals_shares_less_refusals_over_random_months() {
    let pair = Pair::parse("320000>310000").unwrap();
    let (march, april) = (Month::parse("2025-03").unwrap(), Month::parse("2025-04").unwrap());
    let (mut any_refused, mut any_recovered) = (false, false);
    for seed in 1..=4u64 {
        let db = temp_db(&format!("adjust-{seed}"));
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ seed);
        let mut w = World::start(pack("worked"), &db, "2025-03-03 09:00:00");
        let mut settled = Vec::new();
        for n in 0..(3 + seed as u32 % 3) {
            settled.push(settle(&mut w, n, &mut rng).await);
            w.advance_secs(600);
        }
        // One settlement is cancelled in its month: it counts nowhere.
        let gone = settled.pop().unwrap();
        let cancel = json!({"data": {"setl_id": gone.setl_id, "mdtrt_id": gone.mdtrt_id, "psn_no": PSN}});
        ok(&w.call(FAC_SH, "2208", cancel).await);
        let mut given_back = vec![FundAmounts::ZERO; settled.len()];
        let mut refused = Fen::ZERO;
        for (s, back) in settled.iter().zip(given_back.iter_mut()) {
            for _ in 0..2 {
                if rng.chance(60) {
                    refused += cut(&w, s, back, &mut rng).await.unwrap_or_default();
                }
            }
        }
        // Never beyond what the settlement charged.
        let s0 = &settled[0];
        let over = (s0.shares.total() - given_back[0].total() + Fen::new(1)).yuan();
        let input =
            AdjustmentInput { total: Some(over), reason: Some("超额".into()), ..Default::default() };
        let e = w.hub.agency_adjust(&user("310000"), &s0.setl_id, &input).await.unwrap_err();
        assert!(matches!(e, AgencyError::Conflict { code: "exceeds_settlement", .. }), "{e:?}");
        // The insured side cannot refuse.
        let input =
            AdjustmentInput { total: Some("0.01".into()), reason: Some("x".into()), ..Default::default() };
        let e = w.hub.agency_adjust(&user("320100"), &s0.setl_id, &input).await.unwrap_err();
        assert_eq!(e.status(), 404);

        // March is frozen; in April every cut is a recovery.
        w.clock.set(yidi_domain::DateTime::parse("2025-04-02 09:00:00").unwrap());
        w.hub
            .agency_clearing_freeze(&user("320000"), "2025-03", &FreezeInput::default())
            .await
            .expect("freeze");
        let mut recovered = Fen::ZERO;
        for (s, back) in settled.iter().zip(given_back.iter_mut()) {
            if rng.chance(50) {
                recovered += cut(&w, s, back, &mut rng).await.unwrap_or_default();
            }
        }

        any_refused |= refused > Fen::ZERO;
        any_recovered |= recovered > Fen::ZERO;
        let ledger = w.hub.ledger().await.unwrap();
        let charged: Fen = settled.iter().map(|s| s.shares.total()).sum();
        let statement = ledger.period(march).unwrap().pair(pair).unwrap().statement();
        assert_eq!(statement.charged().total(), charged, "seed {seed}");
        assert_eq!(statement.refusals().amounts.total(), refused, "seed {seed}");
        assert_eq!(statement.itemised_due(), charged - refused, "seed {seed}");
        let next = ledger.open_statement(april, pair);
        assert_eq!(next.map_or(Fen::ZERO, |s| s.recoveries().amounts.total()), recovered, "seed {seed}");
        for (s, back) in settled.iter().zip(&given_back) {
            for (fund, amount) in back.iter() {
                assert!(amount <= s.shares.get(fund), "seed {seed}: {fund} gave back {amount}");
            }
            let listed = w.hub.agency_settlement_adjustments(&user("320100"), &s.setl_id).await.unwrap();
            let total: Fen = listed.iter().map(|a| Fen::parse_yuan(&a.total).unwrap()).sum();
            assert_eq!(total, back.total(), "the insured side sees every adjustment");
        }
        let postings: Vec<yidi_ledger::Posting> =
            snapshot(&db).postings.iter().map(|r| yidi_hub::books::posting_of_record(r).unwrap()).collect();
        yidi_ledger::verify(&postings, &ledger.balances()).expect("the books verify");
        yidi_ledger::verify_period(&postings, ledger.period(march).unwrap()).expect("March as frozen");

        let listed = w.hub.agency_adjustments(&user("310000"), None).await.unwrap();
        let w = w.restart("2025-04-02 10:00:00");
        let again = w.hub.agency_adjustments(&user("310000"), None).await.unwrap();
        assert_eq!(serde_json::to_value(&again).unwrap(), serde_json::to_value(&listed).unwrap());
        assert_eq!(w.hub.ledger().await.unwrap().balances(), ledger.balances(), "seed {seed}");
    }
    assert!(any_refused && any_recovered, "the seeds exercise refusals and recoveries");
}

/// The 3203 body for every settlement in `settled` (one facility, one month).
fn application(settled: &[&Value], setlym: &str, begin: &str, end: &str) -> Value {
    let sum = |name: &str| -> String {
        settled.iter().map(|s| Fen::parse_yuan(&s[name].to_string()).unwrap()).sum::<Fen>().yuan()
    };
    json!({"data": {"clr_type": "11", "clr_way": "1", "setlym": setlym, "begndate": begin, "enddate": end,
        "medfee_sumamt": sum("medfee_sumamt"), "med_sumfee": sum("inscp_scp_amt"), "fund_appy_sum": sum("fund_pay_sumamt"),
        "cash_payamt": sum("psn_cash_pay"), "acct_pay": sum("acct_pay"), "psntime": settled.len()}})
}

/// A withdrawn refusal that a facility payment had already netted is paid back by the next
/// payment; a withdrawal reverses the posting in its own month, once, by the treatment side only,
/// and never in a cleared month.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_refusal_is_paid_back_to_the_facility() {
    let db = temp_db("adjust-withdraw");
    let mut rng = Rng(7);
    let mut w = World::start(pack("worked"), &db, "2025-03-03 09:00:00");
    let recv = yidi_ledger::Account::FacilityReceivable {
        facility: yidi_ledger::FacilityId::parse(FAC_SH).unwrap(),
    };
    let s1 = settle(&mut w, 1, &mut rng).await;
    let a1 = s1.setlinfo.clone();
    let input =
        AdjustmentInput {
            total: Some("1.00".into()), reason: Some("重复收费".into()), ..Default::default()
        };
    let refusal = w.hub.agency_adjust(&user("310000"), &s1.setl_id, &input).await.unwrap();
    // A clearing application covers days that are over: March is applied for on April 1st.
    w.clock.set(yidi_domain::DateTime::parse("2025-04-01 09:00:00").unwrap());
    let applied = w.call(FAC_SH, "3203", application(&[&a1], "202503", "2025-03-01", "2025-03-31")).await;
    let id = ok(&applied)["result"]["clr_appy_evt_id"].as_str().unwrap().to_string();
    let pay = yidi_hub::adjust::PayInput { bank_serial: Some("P1".into()), paid_on: None };
    let paid = w.hub.agency_pay_application(&user("310000"), &id, &pay).await.unwrap();
    assert_eq!(paid.netted, "1.00");
    assert_eq!(w.hub.ledger().await.unwrap().balance(&recv), Fen::ZERO);

    // The insured side may not withdraw; the treatment side does, once.
    let e = w.hub.agency_withdraw_adjustment(&user("320100"), &refusal.adj_id, Some("x")).await.unwrap_err();
    assert_eq!(e.status(), 403);
    let e = w.hub.agency_withdraw_adjustment(&user("310000"), &refusal.adj_id, None).await.unwrap_err();
    assert_eq!(e.status(), 400);
    let withdrawn =
        w.hub.agency_withdraw_adjustment(&user("310000"), &refusal.adj_id, Some("误操作")).await.unwrap();
    assert_eq!(withdrawn.status, "withdrawn");
    let e =
        w.hub.agency_withdraw_adjustment(&user("310000"), &refusal.adj_id, Some("again")).await.unwrap_err();
    assert!(matches!(e, AgencyError::Conflict { code: "adjustment_withdrawn", .. }), "{e:?}");
    let ledger = w.hub.ledger().await.unwrap();
    assert_eq!(ledger.balance(&recv), Fen::new(100), "the agency owes the facility the fen again");
    let march = Month::parse("2025-03").unwrap();
    let pair = Pair::parse("320000>310000").unwrap();
    assert_eq!(ledger.open_statement(march, pair).unwrap().refusals().amounts.total(), Fen::ZERO);
    // A second refusal of March, then March is cleared: it can no longer be withdrawn.
    let second = w.hub.agency_adjust(&user("310000"), &s1.setl_id, &input).await.unwrap();
    w.clock.set(yidi_domain::DateTime::parse("2025-04-02 09:00:00").unwrap());
    w.hub.agency_clearing_freeze(&user("320000"), "2025-03", &FreezeInput::default()).await.expect("freeze");
    let e =
        w.hub.agency_withdraw_adjustment(&user("310000"), &second.adj_id, Some("晚了")).await.unwrap_err();
    assert!(matches!(e, AgencyError::Conflict { code: "month_cleared", .. }), "{e:?}");

    // April: the next payment gives back the withdrawn fen and nets the second refusal.
    let s2 = settle(&mut w, 2, &mut rng).await;
    let a2 = s2.setlinfo.clone();
    w.clock.set(yidi_domain::DateTime::parse("2025-05-01 09:00:00").unwrap());
    let applied = w.call(FAC_SH, "3203", application(&[&a2], "202504", "2025-04-01", "2025-04-30")).await;
    let id = ok(&applied)["result"]["clr_appy_evt_id"].as_str().unwrap().to_string();
    let paid = w.hub.agency_pay_application(&user("310000"), &id, &pay).await.unwrap();
    assert_eq!(paid.credited_adj_ids, vec![refusal.adj_id.clone()]);
    assert_eq!(paid.netted_adj_ids, vec![second.adj_id.clone()]);
    assert_eq!(Fen::parse_yuan(&paid.amount).unwrap(), s2.shares.total(), "+1.00 back, −1.00 netted");
    let ledger = w.hub.ledger().await.unwrap();
    assert_eq!(ledger.balance(&recv), Fen::ZERO);
    let postings: Vec<yidi_ledger::Posting> =
        snapshot(&db).postings.iter().map(|r| yidi_hub::books::posting_of_record(r).unwrap()).collect();
    yidi_ledger::verify(&postings, &ledger.balances()).expect("the books verify");
    let w = w.restart("2025-05-01 10:00:00");
    let listed = w.hub.agency_settlement_adjustments(&user("310000"), &s1.setl_id).await.unwrap();
    assert_eq!(listed[0].credited_by.as_deref(), Some(paid.payment_id.as_str()));
    assert_eq!(w.hub.ledger().await.unwrap().balances(), ledger.balances());
}
