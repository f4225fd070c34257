//! The adjudication pipeline: checks, line classification, filing class, policy choice, funds,
//! account and cash, in the order of `settlement.md` §2–8.

use yidi_domain::{
    AdjClass, Adjustment, BenefitKind, Bp, ChronicDisease, Date, Entitlement, Facility, Fen, InsuType,
    Person, PersonRecord, PersonState, PolicyVersion, PoolingRegion, Price, Qty, RefData, RegionPolicy,
    StateDelta, in_period,
};

use crate::benefits::{FundInput, FundPays, Workings, compute_funds};
use crate::claim::{Claim, FeeLine};
use crate::filing::{FilingClass, FilingOutcome, classify_filing};
use crate::limits;
use crate::lines::{LineResult, LineTotals, classify_lines};
use crate::refusal::Refusal;

/// What adjudication reads besides the claim: the shared reference data, the person's record
/// (absent when the hub does not know the `psn_no`) and the person's current state.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    pub refdata: &'a RefData,
    pub person: Option<&'a PersonRecord>,
    pub state: &'a PersonState,
}

/// The national `setlinfo` amounts, in fen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetlInfo {
    pub medfee_sumamt: Fen,
    pub fulamt_ownpay_amt: Fen,
    pub overlmt_selfpay: Fen,
    pub preselfpay_amt: Fen,
    pub inscp_scp_amt: Fen,
    pub act_pay_dedc: Fen,
    pub hifp_pay: Fen,
    pub pool_prop_selfpay: Bp,
    pub cvlserv_pay: Fen,
    pub hifes_pay: Fen,
    pub hifmi_pay: Fen,
    pub hifob_pay: Fen,
    pub maf_pay: Fen,
    pub oth_pay: Fen,
    pub fund_pay_sumamt: Fen,
    pub psn_part_amt: Fen,
    pub acct_pay: Fen,
    pub psn_cash_pay: Fen,
    pub hosp_part_amt: Fen,
    pub balc: Fen,
}

/// One `setldetail` row: a fund that paid more than zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FundPayment {
    pub fund_pay_type: &'static str,
    pub amount: Fen,
}

/// A computed settlement: the national fields, per-line results, the state change, and every
/// reference and intermediate figure needed to explain it.
#[derive(Clone, Debug)]
pub struct Settlement<'a> {
    pub claim: &'a Claim,
    pub person: &'a Person,
    pub facility: &'a Facility,
    pub kind: BenefitKind,
    pub treatment_region: &'a PoolingRegion,
    pub region_policy: &'a RegionPolicy,
    pub policy: &'a PolicyVersion,
    pub filing: FilingOutcome<'a>,
    pub chronic: Option<(&'a ChronicDisease, &'a Entitlement)>,
    pub lines: Vec<LineResult<'a>>,
    pub setlinfo: SetlInfo,
    pub setldetail: Vec<FundPayment>,
    pub workings: Workings<'a>,
    pub policy_year: i32,
    pub delta: StateDelta,
}

impl Settlement<'_> {
    pub fn filing_class(&self) -> FilingClass {
        self.filing.class
    }
    pub fn adjustment(&self) -> Option<(AdjClass, &Adjustment)> {
        self.filing.adjustment
    }
}

/// Who is treated where and under which rules: everything `settlement.md` §3–5 decide before
/// any amount is known. [`adjudicate`] and [`check_eligibility`] both go through it, so a
/// treatment check (2001) and a settlement can never disagree.
#[derive(Clone, Debug)]
pub struct Eligibility<'a> {
    pub record: &'a PersonRecord,
    pub facility: &'a Facility,
    pub kind: BenefitKind,
    pub treatment_region: &'a PoolingRegion,
    /// Treated in the insured region itself.
    pub local: bool,
    pub chronic: Option<(&'a ChronicDisease, &'a Entitlement)>,
    pub region_policy: &'a RegionPolicy,
    pub filing: FilingOutcome<'a>,
    pub policy: &'a PolicyVersion,
}

/// §3 before the lines are read: person, facility, benefit kind, regions, chronic entitlement.
struct Place<'a> {
    record: &'a PersonRecord,
    facility: &'a Facility,
    kind: BenefitKind,
    treatment_region: &'a PoolingRegion,
    local: bool,
    chronic: Option<(&'a ChronicDisease, &'a Entitlement)>,
}

/// Runs `settlement.md` §3–5 for a claim without reading its lines (they may be empty): the
/// checks of [`adjudicate`] in its order, less line classification and arithmetic. Used for the
/// treatment check (2001) before any fee exists.
pub fn check_eligibility<'a>(ctx: &Context<'a>, claim: &Claim) -> Result<Eligibility<'a>, Refusal> {
    check_header(claim)?;
    let place = check_place(ctx, claim)?;
    check_benefits(ctx.refdata, place, claim)
}

fn check_place<'a>(ctx: &Context<'a>, claim: &Claim) -> Result<Place<'a>, Refusal> {
    let refdata = ctx.refdata;
    let record = ctx
        .person
        .filter(|r| r.person.psn_no == claim.psn_no)
        .ok_or_else(|| Refusal::UnknownPerson { psn_no: claim.psn_no.clone() })?;
    let facility = refdata
        .facilities
        .get(&claim.fixmedins_code)
        .ok_or_else(|| Refusal::UnknownFacility { code: claim.fixmedins_code.to_string() })?;
    let kind =
        claim.med_type.benefit_kind().ok_or(Refusal::MedTypeNotSupported {
            med_type: claim.med_type,
            alternative: "参保地手工报销",
        })?;
    check_facility(facility, kind, claim.service_date())?;
    let (treatment_region, local) = check_regions(refdata, facility, &record.person, kind)?;
    let chronic = match kind {
        BenefitKind::Chronic => Some(check_chronic(refdata, record, facility, claim)?),
        _ => None,
    };
    Ok(Place { record, facility, kind, treatment_region, local, chronic })
}

/// §4–5: the insured region's policy, the filing class and the policy version in force.
fn check_benefits<'a>(
    refdata: &'a RefData,
    place: Place<'a>,
    claim: &Claim,
) -> Result<Eligibility<'a>, Refusal> {
    let Place { record, facility, kind, treatment_region, local, chronic } = place;
    let person = &record.person;
    let date = claim.service_date();
    let region_policy = refdata.policies.get(&person.insuplc).ok_or_else(|| {
        Refusal::no_policy(
            region_label(refdata, person.insuplc),
            person.insutype,
            kind,
            group_name(person),
            None,
            date,
        )
    })?;
    let filing = classify_filing(refdata, record, facility, claim, kind, local, region_policy)?;
    let disease = chronic.map(|(d, _)| d.code.as_str());
    let policy = select_policy(region_policy, person, kind, disease, date).ok_or_else(|| {
        let region = region_label(refdata, person.insuplc);
        Refusal::no_policy(region, person.insutype, kind, group_name(person), disease, date)
    })?;
    Ok(Eligibility {
        record,
        facility,
        kind,
        treatment_region,
        local,
        chronic,
        region_policy,
        filing,
        policy,
    })
}

/// Adjudicates one claim against the reference data and the person's state. Pure: the same
/// inputs always give the same output, and nothing is changed (the caller applies `delta`).
pub fn adjudicate<'a>(ctx: &Context<'a>, claim: &'a Claim) -> Result<Settlement<'a>, Refusal> {
    check_shape(claim)?;
    let place = check_place(ctx, claim)?;
    // Lines are classified between §3 and §4, so a claim with a bad line and a filing problem
    // is refused for the line, as it always was.
    let (lines, totals) = classify_lines(ctx.refdata, place.facility, claim)?;
    let e = check_benefits(ctx.refdata, place, claim)?;
    let Eligibility {
        record, facility, kind, treatment_region, chronic, region_policy, filing, policy, ..
    } = e;
    let person = &record.person;
    let date = claim.service_date();

    let policy_year = date.policy_year(region_policy.year_start);
    let year = ctx.state.year(policy_year);
    let cap_month = policy.cap_period_month.then(|| date.year_month());
    let period_fund_paid = match cap_month {
        Some(month) => year.month_fund_paid(&policy.cap_pool, month),
        None => year.pool(&policy.cap_pool).fund_paid,
    };
    let fund_input = FundInput {
        person,
        region: region_policy,
        policy,
        adjustment: filing.adjustment.map(|(_, a)| a),
        level: facility.level,
        inscp: totals.inscp,
        year,
        period_fund_paid,
    };
    let (pays, workings) = compute_funds(&fund_input);

    let account_allowed = person.insutype == InsuType::Employee && claim.acct_used;
    let s = setl_info(&totals, &pays, &workings, ctx.state.acct_balance, account_allowed);

    let inpatient_admission = kind == BenefitKind::Inpatient && !workings.excluded;
    let delta = StateDelta {
        policy_year,
        cap_pool: policy.cap_pool.clone(),
        cap_month,
        deductible_paid: pays.act_pay_dedc,
        admissions: u32::from(inpatient_admission),
        fund_paid: pays.hifp_pay,
        hifmi_base: pays.hifmi_base_add,
        hifmi_paid: pays.hifmi_pay,
        hifob_base: pays.hifob_base_add,
        hifob_paid: pays.hifob_pay,
        maf_paid: pays.maf_pay,
        acct_pay: s.acct_pay,
    };
    Ok(Settlement {
        claim,
        person,
        facility,
        kind,
        treatment_region,
        region_policy,
        policy,
        filing,
        chronic,
        lines,
        setldetail: setldetail(person.insutype, &s),
        setlinfo: s,
        workings,
        policy_year,
        delta,
    })
}

/// §6–8 totals: the funds' payments, the person's part, the account and cash, checked against
/// the §8 invariants.
fn setl_info(
    totals: &LineTotals,
    pays: &FundPays,
    workings: &Workings<'_>,
    balance: Fen,
    account_allowed: bool,
) -> SetlInfo {
    let mut s = SetlInfo {
        medfee_sumamt: totals.medfee,
        fulamt_ownpay_amt: totals.fulamt_ownpay,
        overlmt_selfpay: totals.overlmt,
        preselfpay_amt: totals.preselfpay + workings.moved_to_preselfpay,
        inscp_scp_amt: workings.inscp,
        act_pay_dedc: pays.act_pay_dedc,
        hifp_pay: pays.hifp_pay,
        pool_prop_selfpay: workings.ratio,
        hifmi_pay: pays.hifmi_pay,
        hifob_pay: pays.hifob_pay,
        maf_pay: pays.maf_pay,
        ..SetlInfo::default()
    };
    s.fund_pay_sumamt =
        s.hifp_pay + s.cvlserv_pay + s.hifes_pay + s.hifmi_pay + s.hifob_pay + s.maf_pay + s.oth_pay;
    s.psn_part_amt = s.medfee_sumamt - s.fund_pay_sumamt - s.hosp_part_amt;
    s.acct_pay = if account_allowed { balance.max0().min(s.psn_part_amt) } else { Fen::ZERO };
    s.psn_cash_pay = s.psn_part_amt - s.acct_pay;
    s.balc = balance - s.acct_pay;
    check_invariants(&s);
    s
}

/// A pooling region as clerks know it: name and code.
fn region_label(refdata: &RefData, code: yidi_domain::DivisionCode) -> String {
    refdata.regions.get(&code).map_or_else(|| code.to_string(), |r| format!("{}（{}）", r.name, r.admdvs))
}

fn group_name(person: &Person) -> &'static str {
    person.psn_group.name_zh()
}

/// Structural checks the wire parser cannot make alone.
fn check_shape(claim: &Claim) -> Result<(), Refusal> {
    if claim.lines.is_empty() {
        return Err(Refusal::invalid("没有费用明细（feedetail 为空）"));
    }
    if claim.lines.len() > limits::CLAIM_LINES_MAX {
        return Err(Refusal::invalid(format!("费用明细超过 {} 条", limits::CLAIM_LINES_MAX)));
    }
    check_header(claim)?;
    let mut seen = std::collections::HashSet::with_capacity(claim.lines.len());
    for line in &claim.lines {
        let sn = &line.feedetl_sn;
        if sn.is_empty() || sn.len() > limits::FEEDETL_SN_LEN_MAX {
            return Err(Refusal::invalid(format!("明细流水号 feedetl_sn “{sn}” 为空或超过 30 个字符")));
        }
        if !seen.insert(sn.as_str()) {
            return Err(Refusal::invalid(format!("明细流水号 feedetl_sn “{sn}” 重复")));
        }
        let code = &line.med_list_codg;
        if code.is_empty() || code.len() > limits::MED_LIST_CODG_LEN_MAX {
            return Err(Refusal::invalid(format!("明细 {sn}：医保目录编码 med_list_codg 为空或过长")));
        }
        if line.cnt.is_negative() || line.pric.is_negative() || line.amount.is_negative() {
            return Err(Refusal::invalid(format!("明细 {sn}：数量、单价和金额不能为负数")));
        }
        check_line_range(line)?;
    }
    Ok(())
}

/// A line's quantity, price and amount within the engine's bounds: beyond them the amount check
/// (`line_fen`) could overflow. The protocol applies the same
/// bounds to `cnt` and `pric`; the estimator and manual reimbursement reach here without it.
fn check_line_range(line: &FeeLine) -> Result<(), Refusal> {
    let sn = &line.feedetl_sn;
    if line.cnt.ten_thousandths() > limits::LINE_CNT_TEN_THOUSANDTHS_MAX {
        return Err(Refusal::invalid(format!(
            "明细 {sn}：数量 cnt {} 超出允许范围（最大 {}），请核对数量",
            line.cnt,
            Qty::from_ten_thousandths(limits::LINE_CNT_TEN_THOUSANDTHS_MAX)
        )));
    }
    if line.pric.micro_yuan() > limits::LINE_PRIC_MICRO_YUAN_MAX {
        return Err(Refusal::invalid(format!(
            "明细 {sn}：单价 pric {} 元超出允许范围（最大 {} 元），请核对单价",
            line.pric,
            Price::from_micro_yuan(limits::LINE_PRIC_MICRO_YUAN_MAX)
        )));
    }
    if line.amount.get() > limits::LINE_FEN_MAX {
        return Err(Refusal::invalid(format!(
            "明细 {sn}：金额 {} 元超出允许范围（单条明细最大 {} 元），请核对数量和单价",
            line.amount,
            Fen::new(limits::LINE_FEN_MAX)
        )));
    }
    // Within the two bounds `line_fen(cnt, pric)` fits many times over (`limits.rs`), so the
    // amount check that follows cannot overflow; a product above the declared amount is refused
    // there as `amount_mismatch`.
    Ok(())
}

/// The claim's own fields apart from its lines: times in order, a usable diagnosis code.
fn check_header(claim: &Claim) -> Result<(), Refusal> {
    if claim.endtime.is_some_and(|end| end < claim.begntime) {
        return Err(Refusal::invalid("结束时间 endtime 早于开始时间 begntime"));
    }
    if claim.dise_codg.as_ref().is_some_and(|d| d.is_empty() || d.len() > limits::DISE_CODG_LEN_MAX) {
        return Err(Refusal::invalid("诊断编码 dise_codg 为空或过长"));
    }
    Ok(())
}

/// §3: the facility exists (checked by the caller), is within its agreement on the service date
/// and has opened the benefit kind.
fn check_facility(facility: &Facility, kind: BenefitKind, date: Date) -> Result<(), Refusal> {
    let name = || format!("{}（{}）", facility.name, facility.code);
    if !in_period(date, facility.begndate, facility.enddate) {
        return Err(Refusal::FacilityNotOpen {
            facility: name(),
            reason: format!("在 {date} 不在定点协议有效期内"),
        });
    }
    if !facility.open_for(kind) {
        return Err(Refusal::FacilityNotOpen {
            facility: name(),
            reason: format!("未开通{}跨区域直接结算", kind.name_zh()),
        });
    }
    Ok(())
}

/// §3: the treatment pooling region, whether the care is local, and for cross-region care the
/// regions' switches for the benefit kind.
fn check_regions<'a>(
    refdata: &'a RefData,
    facility: &Facility,
    person: &Person,
    kind: BenefitKind,
) -> Result<(&'a PoolingRegion, bool), Refusal> {
    let region_name = |code| region_label(refdata, code);
    let treatment = refdata.pooling_region_of(facility.admdvs).ok_or_else(|| Refusal::RegionNotOpen {
        region: facility.admdvs.to_string(),
        side: "就医地",
        kind: kind.name_zh(),
    })?;
    let local = treatment.admdvs == person.insuplc;
    if local {
        return Ok((treatment, true));
    }
    if !(treatment.open_as_treatment && treatment.open_for(kind)) {
        return Err(Refusal::RegionNotOpen {
            region: region_name(treatment.admdvs),
            side: "就医地",
            kind: kind.name_zh(),
        });
    }
    let insured_open =
        refdata.regions.get(&person.insuplc).is_some_and(|r| r.open_as_insured && r.open_for(kind));
    if !insured_open {
        return Err(Refusal::RegionNotOpen {
            region: region_name(person.insuplc),
            side: "参保地",
            kind: kind.name_zh(),
        });
    }
    Ok((treatment, false))
}

/// Chronic care (policy-background rule 19): the diagnosis is on the national list in force,
/// the person holds the insured place's entitlement, and the facility has opened the disease.
fn check_chronic<'a>(
    refdata: &'a RefData,
    record: &'a PersonRecord,
    facility: &Facility,
    claim: &Claim,
) -> Result<(&'a ChronicDisease, &'a Entitlement), Refusal> {
    let date = claim.service_date();
    let dise = claim.dise_codg.as_deref().unwrap_or("");
    let disease = refdata.chronic_disease_for(dise, date).ok_or_else(|| Refusal::ChronicNotListed {
        dise_codg: if dise.is_empty() { "（未填写）".into() } else { dise.to_string() },
        date: date.to_string(),
    })?;
    let entitlement = record
        .entitlements
        .iter()
        .find(|e| e.disease_code == disease.code && in_period(date, e.begndate, e.enddate))
        .ok_or_else(|| Refusal::ChronicNotEntitled {
            disease: format!("{}（{}）", disease.name, disease.code),
        })?;
    if !facility.chronic_diseases.is_empty() && !facility.chronic_diseases.contains(&disease.code) {
        return Err(Refusal::FacilityNotOpen {
            facility: format!("{}（{}）", facility.name, facility.code),
            reason: format!("未开通“{}”门诊慢特病跨区域直接结算", disease.name),
        });
    }
    Ok((disease, entitlement))
}

/// §5: the policy version in force on the service date. A disease's own versions come before
/// disease-less ones (which serve diseases without their own); within each, the person's own
/// group comes before `any`; among those, the latest `effective_from` on or before the date.
fn select_policy<'a>(
    region: &'a RegionPolicy,
    person: &Person,
    kind: BenefitKind,
    disease: Option<&str>,
    date: Date,
) -> Option<&'a PolicyVersion> {
    let pick = |wanted_disease: Option<&str>| {
        let in_force = || {
            region.policies.iter().filter(move |p| {
                p.insutype == person.insutype
                    && p.benefit == kind
                    && p.effective_from <= date
                    && p.disease.as_deref() == wanted_disease
            })
        };
        let latest = |group| in_force().filter(|p| p.psn_group == group).max_by_key(|p| p.effective_from);
        latest(Some(person.psn_group)).or_else(|| latest(None))
    };
    let own = disease.and_then(|d| pick(Some(d)));
    own.or_else(|| pick(None))
}

/// `setldetail`: one row per fund that paid more than zero (`settlement.md` §8).
fn setldetail(insutype: InsuType, s: &SetlInfo) -> Vec<FundPayment> {
    let basic = match insutype {
        InsuType::Employee => "310100",
        InsuType::Resident => "390100",
    };
    [
        (basic, s.hifp_pay),
        ("330100", s.hifob_pay),
        ("390200", s.hifmi_pay),
        ("610100", s.maf_pay),
        ("310200", s.acct_pay),
    ]
    .into_iter()
    .filter(|(_, amount)| *amount > Fen::ZERO)
    .map(|(fund_pay_type, amount)| FundPayment { fund_pay_type, amount })
    .collect()
}

/// §8 invariants, asserted on every settlement: a failure is a bug in the engine, not bad input.
fn check_invariants(s: &SetlInfo) {
    for (name, v) in [
        ("medfee_sumamt", s.medfee_sumamt),
        ("fulamt_ownpay_amt", s.fulamt_ownpay_amt),
        ("overlmt_selfpay", s.overlmt_selfpay),
        ("preselfpay_amt", s.preselfpay_amt),
        ("inscp_scp_amt", s.inscp_scp_amt),
        ("act_pay_dedc", s.act_pay_dedc),
        ("hifp_pay", s.hifp_pay),
        ("hifmi_pay", s.hifmi_pay),
        ("hifob_pay", s.hifob_pay),
        ("maf_pay", s.maf_pay),
        ("psn_part_amt", s.psn_part_amt),
        ("acct_pay", s.acct_pay),
        ("psn_cash_pay", s.psn_cash_pay),
    ] {
        assert!(!v.is_negative(), "{name} is negative: {v}");
    }
    assert_eq!(s.medfee_sumamt, s.fulamt_ownpay_amt + s.overlmt_selfpay + s.preselfpay_amt + s.inscp_scp_amt);
    assert_eq!(s.fund_pay_sumamt + s.acct_pay + s.psn_cash_pay, s.medfee_sumamt);
    assert!(s.hifp_pay <= s.inscp_scp_amt);
    assert!(s.act_pay_dedc <= s.inscp_scp_amt);
}
