//! Goal: the prepayment parameters the issue names (months of the annual amount, the yellow and
//! red thresholds) come from the hub's configuration, not from constants; and a notice is only
//! ever for the year under way.

mod support;

use support::{World, pack, temp_db};
use yidi_domain::Bp;
use yidi_hub::{AgencyError, AgencyUser, HubConfig, NoticeInput};
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
