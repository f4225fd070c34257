//! Prepayment and the clearing calendar. Goals: the prepayment parameters the issue names
//! (months of the annual amount, the yellow and red thresholds) come from the hub's
//! configuration, not from constants; a notice is only ever for the year under way; months are
//! frozen in turn.

mod support;

use support::{World, pack, temp_db};
use yidi_domain::Bp;
use yidi_hub::{AgencyError, AgencyUser, FreezeInput, HubConfig, NoticeInput};
use yidi_ledger::PrepaymentConfig;

fn beijing() -> AgencyUser {
    AgencyUser { name: "北京市医保中心-清算".into(), admdvs: "110000".into() }
}

#[tokio::test]
async fn thresholds_and_months_follow_the_hub_configuration() {
    let db = temp_db("prepayment-config");
    let config = PrepaymentConfig::new(3, Bp::new_const(5_000), Bp::new_const(8_000)).unwrap();
    let w = World::start_with(
        HubConfig { prepayment: config, ..HubConfig::default() },
        pack("worked"),
        &db,
        "2025-10-06 09:00:00",
    );
    let notice = NoticeInput { amount: Some("100.00".into()), ..NoticeInput::default() };
    let view = w.hub.agency_prepayment_notice(&beijing(), "110000", "310000", &notice).await.unwrap();
    assert_eq!((view.yellow_bp, view.red_bp), (5_000, 8_000));
    assert_eq!(view.notices[0].months, 3, "the configured months are the default of a notice");
    assert_eq!(view.funded, "100.00");

    // Next year's notice would post at once, resizing this year's float: refused, naming `year`.
    let next =
        NoticeInput { year: Some("2026".into()), amount: Some("1.00".into()), ..NoticeInput::default() };
    match w.hub.agency_prepayment_notice(&beijing(), "110000", "310000", &next).await {
        Err(AgencyError::Invalid(problems)) => assert_eq!(problems[0].field, "year", "{problems:?}"),
        other => panic!("expected a refusal of the year: {other:?}"),
    }
}

/// Goal: after the first freeze, months are frozen one after another, an empty month too, so
/// every month has its period (a lump-sum pair is billed even for a month without settlements).
#[tokio::test]
async fn months_after_the_first_are_frozen_in_turn() {
    let db = temp_db("freeze-in-turn");
    let w = World::start(pack("worked"), &db, "2025-06-02 09:00:00");
    let freeze = |m: &'static str| {
        let hub = w.hub.clone();
        async move { hub.agency_clearing_freeze(&beijing(), m, &FreezeInput::default()).await }
    };
    freeze("2025-03").await.expect("the first freeze may be any ended month");
    match freeze("2025-05").await {
        Err(AgencyError::Conflict { code, message }) => {
            assert_eq!(code, "earlier_month_open");
            assert!(message.contains("请先冻结 2025-04"), "{message}");
        }
        other => panic!("April skipped: {other:?}"),
    }
    freeze("2025-04").await.expect("April, empty, is frozen");
    freeze("2025-05").await.expect("then May");
    let ledger = w.hub.ledger().await.unwrap();
    assert_eq!(ledger.periods_in_year(2025), 3, "each month has its period");
}
