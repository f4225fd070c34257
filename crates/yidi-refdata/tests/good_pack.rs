//! A valid pack loads whole and yields exactly the domain values its files describe.

mod common;

use common::{POLICY_150100, good, line_of, render};
use yidi_domain::time::MonthDay;
use yidi_domain::{
    AdjClass, AdjustmentForm, AssistClass, BenefitKind, Bp, ChrgitmLv, Date, Deductible, DivisionCode,
    DivisionLevel, FacilityCode, FacilityKind, Fen, FilingCategory, FilingRules, HomeBenefit, InsuType,
    LayerField, LayerKind, LevelTable, MedType, Pack, PoolAcc, PsnGroup, Segment, SourceRef,
};
use yidi_refdata::parse_pack;

fn pack() -> Pack {
    parse_pack(&good()).unwrap_or_else(|problems| panic!("good pack rejected:\n{}", render(&problems)))
}

fn code(text: &str) -> DivisionCode {
    DivisionCode::parse(text).unwrap()
}

fn date(text: &str) -> Date {
    Date::parse(text).unwrap()
}

fn bp(n: u32) -> Bp {
    Bp::new_const(n)
}

#[test]
fn pack_divisions_add_to_and_replace_the_builtin_table() {
    let pack = pack();
    let divisions = &pack.refdata.divisions;
    assert_eq!(divisions.len(), yidi_refdata::builtin_divisions().len() + 1);
    let new = &divisions[&code("150199")];
    assert_eq!(
        (new.name.as_str(), new.level, new.parent),
        ("示例新区", DivisionLevel::County, Some(code("150100")))
    );
    assert_eq!(divisions[&code("310104")].name, "徐汇区（测试）");
    assert_eq!(yidi_refdata::builtin_divisions()[&code("310104")].name, "徐汇区");
}

#[test]
fn regions_facilities_catalogs_and_chronic_list() {
    let refdata = pack().refdata;
    assert_eq!(refdata.regions.len(), 4);
    let nanjing = &refdata.regions[&code("320100")];
    assert!(!nanjing.open_outpatient && nanjing.open_inpatient);
    assert_eq!(nanjing.source, SourceRef::new("pooling_regions.csv", 5));

    let pharmacy = &refdata.facilities[&FacilityCode::parse("P15019900001").unwrap()];
    assert_eq!((pharmacy.level, pharmacy.kind, pharmacy.table_level()), (0, FacilityKind::Pharmacy, 1));
    assert_eq!(refdata.pooling_region_of(pharmacy.admdvs).unwrap().admdvs, code("150100"));
    let xuhui = &refdata.facilities[&FacilityCode::parse("H31010400123").unwrap()];
    assert_eq!(xuhui.chronic_diseases, ["D001", "D002"]);
    assert_eq!(xuhui.enddate, None);
    let chaoyang = &refdata.facilities[&FacilityCode::parse("H11010500001").unwrap()];
    assert_eq!(chaoyang.enddate, Some(date("2030-12-31")));

    let shanghai = &refdata.catalogs[&code("310000")];
    assert_eq!(shanghai.len(), 4);
    let old = shanghai.lookup("XA01AAA001", date("2024-06-01")).unwrap();
    assert_eq!((old.price_cap, old.lmt_min_level), (None, None));
    let new = shanghai.lookup("XA01AAA001", date("2025-03-01")).unwrap();
    assert_eq!(new.price_cap, Some(Fen::new(3_000)));
    assert_eq!(new.lmt_med_types, [MedType::parse("11").unwrap(), MedType::parse("14").unwrap()]);
    assert_eq!((new.lmt_min_level, new.lmt_dise_prefix.as_deref()), (Some(2), Some("I10")));
    assert_eq!(new.source, SourceRef::new("catalog/310000.csv", 3));
    let b = shanghai.lookup("XB01ACB001", date("2025-03-01")).unwrap();
    assert_eq!((b.lv, b.selfpay_prop), (ChrgitmLv::B, bp(1_000)));
    // 乙类 with an empty ratio has no pre-self-pay part.
    assert_eq!(shanghai.lookup("XB02", date("2025-03-01")).unwrap().selfpay_prop, Bp::ZERO);
    assert_eq!(refdata.catalogs[&code("110000")].len(), 1);

    assert_eq!(refdata.chronic_diseases.len(), 3);
    let dialysis = refdata.chronic_disease_for("N19.0", date("2025-01-01")).unwrap();
    assert_eq!((dialysis.code.as_str(), dialysis.source.line), ("D002", 4));
    assert!(refdata.chronic_disease_for("N19.0", date("2024-01-01")).is_none());
}

#[test]
fn region_policy_with_every_adjustment_form() {
    let refdata = pack().refdata;
    let hohhot = &refdata.policies[&code("150100")];
    assert_eq!(hohhot.year_start, MonthDay::parse("07-01").unwrap());
    assert_eq!(hohhot.home_benefit, HomeBenefit::Referral);
    assert_eq!(
        hohhot.filing_rules,
        FilingRules { min_hold_days: 180, temporary_months: 12, max_active_filings: 2 }
    );
    assert_eq!(hohhot.source, SourceRef::new("policies/150100.toml", 2));

    let general = &hohhot.adjustments;
    assert_eq!(general.referral.as_ref().unwrap().form, AdjustmentForm::MinusBp(bp(1_000)));
    assert_eq!(general.emergency.as_ref().unwrap().form, AdjustmentForm::FactorBp(bp(9_000)));
    let other = general.other.as_ref().unwrap();
    assert_eq!(
        other.form,
        AdjustmentForm::RatioTable(LevelTable::ByLevel([bp(7_000), bp(6_000), bp(5_000)]))
    );
    assert_eq!(other.deductible, Some(Deductible::PerVisit { amount: LevelTable::Flat(Fen::new(2_000)) }));
    assert_eq!(other.source, SourceRef::new("policies/150100.toml", line_of(POLICY_150100, "other     =")));
    let unfiled = general.unfiled.as_ref().unwrap();
    assert_eq!(unfiled.form, AdjustmentForm::ExtraPreselfpay(bp(2_000)));
    assert!(!unfiled.allow, "allow defaults to false");

    // Kind overrides win; classes they leave out fall back to the general table.
    let out_other = hohhot.adjustment(BenefitKind::Outpatient, AdjClass::Other).unwrap();
    assert_eq!(out_other.form, AdjustmentForm::Excluded);
    let out_unfiled = hohhot.adjustment(BenefitKind::Outpatient, AdjClass::Unfiled).unwrap();
    assert_eq!((&out_unfiled.form, out_unfiled.allow), (&AdjustmentForm::MinusBp(bp(500)), true));
    let out_referral = hohhot.adjustment(BenefitKind::Outpatient, AdjClass::Referral).unwrap();
    assert_eq!(out_referral.form, AdjustmentForm::MinusBp(bp(1_000)));
    let chronic_other = hohhot.adjustment(BenefitKind::Chronic, AdjClass::Other).unwrap();
    assert_eq!(chronic_other.form, AdjustmentForm::MinusBp(bp(2_000)));
    assert_eq!(hohhot.kind_adjustments.len(), 2);
    assert!(!hohhot.kind_adjustments.contains_key(&BenefitKind::Inpatient));

    assert_eq!(hohhot.assistance.len(), 2);
    let dibao = hohhot.assistance_for(AssistClass::Dibao).unwrap();
    assert_eq!((dibao.ratio, dibao.annual_cap), (bp(7_000), Some(Fen::new(3_000_000))));
    assert_eq!(hohhot.assistance_for(AssistClass::Tekun).unwrap().annual_cap, None);
}

#[test]
fn policy_versions_with_deductibles_and_layers() {
    let refdata = pack().refdata;
    let hohhot = &refdata.policies[&code("150100")];
    assert_eq!(hohhot.policies.len(), 3);
    let inpatient = &hohhot.policies[0];
    assert_eq!(
        (inpatient.insutype, inpatient.benefit, inpatient.psn_group),
        (InsuType::Resident, BenefitKind::Inpatient, None)
    );
    assert_eq!(
        inpatient.source,
        SourceRef::new("policies/150100.toml", line_of(POLICY_150100, "[[policy]]"))
    );
    assert_eq!(
        inpatient.deductible,
        Deductible::PerAdmission {
            amount: LevelTable::ByLevel([Fen::new(10_000), Fen::new(40_000), Fen::new(80_000)]),
            nth_bp: vec![bp(10_000), bp(5_000)],
        }
    );
    assert_eq!(inpatient.ratio.at(3), bp(6_000));
    assert_eq!(
        (inpatient.annual_cap, inpatient.cap_pool.as_str()),
        (Some(Fen::new(15_000_000)), "inpatient")
    );
    // Layers come in the order they run: hifob before hifmi, whatever the file order.
    let fields: Vec<LayerField> = inpatient.layers.iter().map(|l| l.field).collect();
    assert_eq!(fields, [LayerField::Hifob, LayerField::Hifmi]);
    assert_eq!(
        inpatient.layers[0].kind,
        LayerKind::AboveCap { ratio: bp(9_000), cap: Some(Fen::new(50_000_000)) }
    );
    let LayerKind::Segments(hifmi) = &inpatient.layers[1].kind else { panic!("hifmi is a segments layer") };
    assert_eq!(hifmi.threshold, Fen::new(1_400_000));
    assert_eq!(
        hifmi.segments,
        [
            Segment { upto: Some(Fen::new(5_000_000)), ratio: bp(6_000) },
            Segment { upto: Some(Fen::new(10_000_000)), ratio: bp(6_500) },
            Segment { upto: None, ratio: bp(7_500) },
        ]
    );
    assert_eq!(
        (hifmi.cap, hifmi.assist_threshold_bp, hifmi.assist_bonus_bp),
        (Some(Fen::new(35_000_000)), Some(bp(5_000)), bp(500))
    );
    assert!(hifmi.assist_uncapped);

    let outpatient = &hohhot.policies[1];
    assert_eq!((outpatient.psn_group, &outpatient.ratio), (None, &LevelTable::Flat(bp(5_000))));
    let chronic = &hohhot.policies[2];
    assert_eq!((chronic.psn_group, chronic.disease.as_deref()), (Some(PsnGroup::Adult), Some("D002")));
    assert!(chronic.cap_period_month && !inpatient.cap_period_month);
    assert_eq!(
        chronic.deductible,
        Deductible::PctOfBill {
            bp: bp(2_000),
            min: LevelTable::Flat(Fen::new(200_000)),
            max: LevelTable::ByLevel([Fen::new(1_000_000), Fen::new(800_000), Fen::new(600_000)]),
        }
    );
}

#[test]
fn a_policy_without_optional_tables_gets_the_defaults() {
    let refdata = pack().refdata;
    let nanjing = &refdata.policies[&code("320100")];
    assert_eq!((nanjing.year_start, nanjing.home_benefit), (MonthDay::JAN_1, HomeBenefit::Local));
    assert_eq!(nanjing.filing_rules, FilingRules::default());
    assert!(AdjClass::ALL.iter().all(|c| nanjing.adjustment(BenefitKind::Inpatient, *c).is_none()));
    let inpatient = &nanjing.policies[1];
    assert_eq!((inpatient.annual_cap, inpatient.psn_group), (None, None));
    assert!(inpatient.layers.is_empty());
    assert_eq!(
        inpatient.deductible,
        Deductible::PerAdmission {
            amount: LevelTable::Flat(Fen::new(90_000)),
            nth_bp: vec![bp(10_000), bp(5_000), Bp::ZERO]
        }
    );
}

#[test]
fn persons_carry_their_filings_entitlements_and_state() {
    let pack = pack();
    assert_eq!(pack.persons.len(), 3);
    let li = &pack.persons["P0000000002"];
    assert_eq!((li.person.insutype, li.person.assist_class), (InsuType::Resident, Some(AssistClass::Dibao)));
    assert_eq!(li.person.certno.birth_date(), li.person.brdy);
    let ids: Vec<&str> = li.filings.iter().map(|f| f.filing_id.as_str()).collect();
    assert_eq!(ids, ["F0000000002", "F0000000004"]);
    let emergency = &li.filings[1];
    assert_eq!((emergency.category, emergency.area), (FilingCategory::Emergency, code("320500")));
    assert_eq!(emergency.cancelled_at.unwrap().to_string(), "2025-03-05 09:00:00");
    assert_eq!(emergency.source, SourceRef::new("filings.csv", 5));
    assert_eq!(li.entitlements.len(), 1);
    assert_eq!(pack.persons["P0000000003"].filings[0].area, DivisionCode::COUNTRY);

    // Carried-in accumulators: pools, the person-year columns given once, no monthly counters.
    let year = pack.state_of("P0000000002").years[&2024].clone();
    let inpatient =
        PoolAcc { deductible_paid: Fen::new(80_000), admissions: 1, fund_paid: Fen::new(5_060_000) };
    assert_eq!(year.pools["inpatient"], inpatient);
    assert_eq!(year.pools["dialysis"], PoolAcc { fund_paid: Fen::new(120_000), ..PoolAcc::default() });
    assert_eq!(
        (year.hifmi_base, year.hifmi_paid, year.maf_paid),
        (Fen::new(5_140_000), Fen::new(2_893_000), Fen::new(1_572_900))
    );
    assert_eq!((year.hifob_base, year.hifob_paid), (Fen::ZERO, Fen::ZERO));
    assert!(year.month_fund_paid.is_empty());
    let wang = pack.state_of("P0000000001");
    assert_eq!(wang.acct_balance, Fen::new(50_000));
    assert_eq!(wang.years[&2025].pools["outpatient"].deductible_paid, Fen::new(53_950));
    // An all-zero row adds nothing.
    let zhang = &pack.states["P0000000003"];
    assert!(zhang.years.is_empty() && zhang.acct_balance == Fen::ZERO);
}
