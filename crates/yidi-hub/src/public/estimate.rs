//! "我要付多少": the estimator. It builds a made-up person and claim from the form and runs the
//! real engine ([`yidi_adjudication::adjudicate`], the function every settlement uses) on the
//! pack, then returns plain figures for the portal to explain.
//!
//! The person is "fresh": insured in the chosen region, scheme and group, with nothing paid yet
//! in the policy year (no deductible paid, no fund used) and the account balance typed in. The
//! page says so, because a real second visit of the year may pay less deductible. Care happens
//! today by the hub's clock; an inpatient stay is admitted three days before and discharged now.
//! Filing status is modelled with a filing made a month ago covering the facility's city (long
//! term, referral, other temporary), the emergency flag without a filing, or no filing at all.

use yidi_adjudication::limits::LINE_FEN_MAX;
use yidi_adjudication::{Claim, Context, FeeLine, Settlement, Unmet, adjudicate, explain};
use yidi_domain::{
    BenefitKind, Bp, CatalogItem, CertNo, ChrgitmLv, Date, DateTime, Entitlement, Facility, FacilityCode,
    FacilityKind, Fen, Filing, FilingCategory, Gender, InsuType, LayerField, ListType, MedType, Pack, Person,
    PersonRecord, PersonState, Price, PsnGroup, Qty, SourceRef, line_fen, share,
};

use yidi_protocol::limits::{AMOUNT_FEN_MAX, CNT_TEN_THOUSANDTHS_MAX, PRIC_MICRO_YUAN_MAX};

use super::{city_name, division_name};

/// Most fee lines one estimate takes.
pub const ESTIMATE_LINES_MAX: usize = 10;
/// Longest text of one form field (characters).
const FIELD_CHARS_MAX: usize = 32;
/// Psn_no of the made-up person (never a real one: real numbers have no hyphen).
const ESTIMATE_PSN_NO: &str = "ESTIMATE-1";

/// The filing situation the estimate assumes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilingStatus {
    /// A long-term filing (异地长期居住) covering the facility's city.
    LongTerm,
    /// A referral filing (异地转诊).
    Referral,
    /// Other temporary travel (其他临时外出就医), filed.
    OtherTemporary,
    /// Emergency care (急诊抢救) without a filing.
    Emergency,
    /// No filing.
    None,
}

impl FilingStatus {
    pub const ALL: [FilingStatus; 5] = [
        FilingStatus::LongTerm,
        FilingStatus::Referral,
        FilingStatus::OtherTemporary,
        FilingStatus::Emergency,
        FilingStatus::None,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            FilingStatus::LongTerm => "long_term",
            FilingStatus::Referral => "referral",
            FilingStatus::OtherTemporary => "other",
            FilingStatus::Emergency => "emergency",
            FilingStatus::None => "none",
        }
    }
    pub fn parse(text: &str) -> Option<FilingStatus> {
        FilingStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// One fee line as typed: catalog code, quantity and unit price in yuan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineInput {
    pub code: String,
    pub qty: String,
    pub price: String,
}

/// The estimator form as received: every field text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EstimateRequest {
    /// Insured pooling region code.
    pub insured: String,
    /// `310` or `390`.
    pub insutype: String,
    /// `in_service`, `retired`, `adult`, `minor`.
    pub psn_group: String,
    /// Facility code.
    pub facility: String,
    /// `outpatient`, `chronic` or `inpatient`.
    pub care: String,
    /// [`FilingStatus::as_str`].
    pub filing: String,
    /// Chronic-disease code, for chronic care.
    pub disease: String,
    /// Personal account balance in yuan; empty = 0.
    pub acct_balance: String,
    /// Empty lines are skipped; no line at all = the typical basket.
    pub lines: Vec<LineInput>,
}

/// A field the estimator could not use, in Chinese and English.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputProblem {
    pub field: String,
    pub message_zh: String,
    pub message_en: String,
}

/// One line of the estimate, split as the engine split it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EstimateLine {
    pub code: String,
    pub name: String,
    pub list_type: ListType,
    pub lv: ChrgitmLv,
    pub qty: String,
    pub price: String,
    /// The class-B pre-self-pay share.
    pub selfpay_prop_bp: u32,
    pub price_cap: Option<Fen>,
    /// A restriction of the catalog row this line did not meet (`med_type`, `min_level`, `diagnosis`).
    pub unmet: Option<&'static str>,
    pub amount: Fen,
    pub fulamt_ownpay: Fen,
    pub overlmt: Fen,
    pub preselfpay: Fen,
    pub inscp: Fen,
}

/// One layer above the basic pool (large-amount subsidy or critical-illness insurance).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerLine {
    /// `hifob` (employees' 大额医疗补助) or `hifmi` (residents' 大病保险).
    pub field: &'static str,
    pub input: Fen,
    pub threshold: Fen,
    /// Paid parts: from, to, ratio (bp), payment.
    pub parts: Vec<(Fen, Fen, u32, Fen)>,
    pub room: Option<Fen>,
    pub pay: Fen,
}

/// A computed estimate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EstimateView {
    pub insured_name: String,
    pub facility_name: String,
    pub facility_place: String,
    pub facility_level: u8,
    pub kind: BenefitKind,
    pub med_type: String,
    /// `local`, `long_term`, `referral`, `emergency`, `other`, `unfiled`.
    pub filing_class: &'static str,
    pub filing_class_zh: &'static str,
    pub service_date: String,
    pub policy_year: i32,
    pub policy_from: String,
    pub lines: Vec<EstimateLine>,
    /// Sums of the four parts.
    pub medfee: Fen,
    pub fulamt_ownpay: Fen,
    pub overlmt: Fen,
    pub preselfpay: Fen,
    pub inscp: Fen,
    /// Moved from eligible to pre-self-pay by the adjustment (some regions add a share).
    pub moved_to_preselfpay: Fen,
    pub excluded: bool,
    pub deductible_kind: Option<&'static str>,
    pub deductible_remaining: Fen,
    pub act_pay_dedc: Fen,
    pub local_ratio_bp: u32,
    pub ratio_bp: u32,
    pub base: Fen,
    pub pool_raw: Fen,
    pub annual_cap: Option<Fen>,
    pub cap_left: Option<Fen>,
    pub hifp_pay: Fen,
    pub layers: Vec<LayerLine>,
    pub maf_pay: Fen,
    pub fund_pay_sumamt: Fen,
    pub psn_part_amt: Fen,
    pub acct_balance: Fen,
    pub acct_pay: Fen,
    pub psn_cash_pay: Fen,
    /// The engine's own step-by-step explanation (Chinese, with pack sources).
    pub trace: Vec<String>,
}

/// What the estimate came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EstimateOutcome {
    /// The engine settled it; `lines` are the inputs it used (the basket when none were typed).
    Settled { view: Box<EstimateView>, lines: Vec<LineInput> },
    /// The engine refused it, as a hospital would be told.
    Refused { code: &'static str, message: String, lines: Vec<LineInput> },
}

/// The choices of the form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EstimateChoices {
    /// Regions whose policy file is in the pack: (code, name).
    pub regions: Vec<(String, String)>,
    /// Facilities: (code, "name（city, level）").
    pub facilities: Vec<(String, String, u8, FacilityKind)>,
    pub diseases: Vec<(String, String)>,
}

pub fn estimate_choices(pack: &Pack) -> EstimateChoices {
    let refdata = &pack.refdata;
    let regions = refdata
        .regions
        .values()
        .filter(|r| refdata.policies.contains_key(&r.admdvs))
        .map(|r| (r.admdvs.to_string(), r.name.clone()))
        .collect();
    let mut facilities: Vec<&Facility> = refdata.facilities.values().collect();
    facilities.sort_by(|a, b| (a.admdvs, &a.name).cmp(&(b.admdvs, &b.name)));
    let facilities = facilities
        .into_iter()
        .map(|f| {
            let city = city_name(refdata, f.admdvs);
            (f.code.as_str().to_string(), format!("{}（{}）", f.name, city), f.level, f.kind)
        })
        .collect();
    let diseases = refdata.chronic_diseases.iter().map(|d| (d.code.clone(), d.name.clone())).collect();
    EstimateChoices { regions, facilities, diseases }
}

/// Runs the estimate at `now` (the hub's clock).
pub fn estimate(
    pack: &Pack,
    req: &EstimateRequest,
    now: DateTime,
) -> Result<EstimateOutcome, Vec<InputProblem>> {
    let input = parse_request(pack, req)?;
    let facility = pack.refdata.facilities.get(&input.facility).expect("parse_request checked the facility");
    let med_type = med_type_for(input.kind, facility);
    let today = now.date();
    let lines = if input.lines.is_empty() {
        typical_basket(pack, facility, input.kind, today)
    } else {
        input.lines.clone()
    };
    if lines.is_empty() {
        return Err(vec![problem(
            "lines",
            "就医地目录中找不到可用于示例的项目，请自行填写费用明细",
            "No catalog item fits a typical bill here; please type the fee lines",
        )]);
    }
    let fee_lines = fee_lines(&lines).map_err(|p| vec![p])?;
    let record = made_up_person(&input, facility, now);
    let state = PersonState { years: Default::default(), acct_balance: input.acct_balance };
    let begntime = match input.kind {
        BenefitKind::Inpatient => DateTime::new(today.add_days(-3), 9, 0, 0).expect("a valid time"),
        _ => now,
    };
    let claim = Claim {
        claim_id: "estimate".to_string(),
        psn_no: ESTIMATE_PSN_NO.to_string(),
        fixmedins_code: facility.code.clone(),
        med_type,
        begntime,
        endtime: (input.kind == BenefitKind::Inpatient).then_some(now),
        setl_time: now,
        dise_codg: input.dise_codg.clone(),
        emergency: input.filing == FilingStatus::Emergency,
        acct_used: input.acct_balance > Fen::ZERO,
        lines: fee_lines,
    };
    let ctx = Context { refdata: &pack.refdata, person: Some(&record), state: &state };
    match adjudicate(&ctx, &claim) {
        Ok(s) => {
            Ok(EstimateOutcome::Settled { view: Box::new(view(pack, &s, &claim, input.acct_balance)), lines })
        }
        Err(refusal) => {
            Ok(EstimateOutcome::Refused { code: refusal.err_code(), message: refusal.to_string(), lines })
        }
    }
}

struct Input {
    insured: yidi_domain::DivisionCode,
    insutype: InsuType,
    group: PsnGroup,
    facility: FacilityCode,
    kind: BenefitKind,
    filing: FilingStatus,
    disease: Option<String>,
    dise_codg: Option<String>,
    acct_balance: Fen,
    lines: Vec<LineInput>,
}

fn problem(field: &str, zh: &str, en: &str) -> InputProblem {
    InputProblem { field: field.to_string(), message_zh: zh.to_string(), message_en: en.to_string() }
}

fn short(text: &str) -> &str {
    let text = text.trim();
    match text.char_indices().nth(FIELD_CHARS_MAX) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// Reads every field, listing every problem.
fn parse_request(pack: &Pack, req: &EstimateRequest) -> Result<Input, Vec<InputProblem>> {
    let refdata = &pack.refdata;
    let mut problems = Vec::new();
    let insured = yidi_domain::DivisionCode::parse(short(&req.insured))
        .ok()
        .filter(|c| refdata.policies.contains_key(c));
    if insured.is_none() {
        problems.push(problem("insured", "请选择参保地（统筹区）", "Choose the insured region"));
    }
    let insutype = InsuType::parse(short(&req.insutype)).ok();
    if insutype.is_none() {
        problems.push(problem(
            "insutype",
            "请选择险种：职工（310）或居民（390）",
            "Choose the scheme: employee (310) or resident (390)",
        ));
    }
    let group = PsnGroup::parse(short(&req.psn_group)).ok();
    match (insutype, group) {
        (_, None) => problems.push(problem("psn_group", "请选择人员类别", "Choose the person group")),
        (Some(t), Some(g)) if !t.admits(g) => problems.push(problem(
            "psn_group",
            "人员类别与险种不符：职工为在职或退休，居民为成年或未成年",
            "The group does not fit the scheme: employees are in service or retired, residents adult or minor",
        )),
        _ => {}
    }
    let facility =
        FacilityCode::parse(short(&req.facility)).ok().filter(|c| refdata.facilities.contains_key(c));
    if facility.is_none() {
        problems.push(problem("facility", "请选择就医机构", "Choose the facility"));
    }
    let kind = BenefitKind::parse(short(&req.care)).ok();
    if kind.is_none() {
        problems.push(problem("care", "请选择就医类型", "Choose the kind of care"));
    }
    let filing = FilingStatus::parse(short(&req.filing));
    if filing.is_none() {
        problems.push(problem("filing", "请选择备案情况", "Choose the filing situation"));
    }
    let mut disease = None;
    let mut dise_codg = None;
    if kind == Some(BenefitKind::Chronic) {
        match refdata.chronic_diseases.iter().find(|d| d.code == short(&req.disease)) {
            Some(d) => {
                disease = Some(d.code.clone());
                dise_codg = d.icd10_prefixes.first().cloned();
            }
            None => problems.push(problem(
                "disease",
                "门诊慢特病请选择病种",
                "For chronic-disease care, choose the disease",
            )),
        }
    }
    let balance_text = short(&req.acct_balance);
    let acct_balance = if balance_text.is_empty() {
        Some(Fen::ZERO)
    } else {
        Fen::parse_yuan(balance_text).ok().filter(|f| !f.is_negative() && f.get() <= AMOUNT_FEN_MAX)
    };
    if acct_balance.is_none() {
        problems.push(problem(
            "acct_balance",
            &format!(
                "个人账户余额请填写金额（元），如 500 或 500.00，最多 {} 元",
                Fen::new(AMOUNT_FEN_MAX).yuan()
            ),
            &format!(
                "Account balance: an amount in yuan, e.g. 500 or 500.00, at most {}",
                Fen::new(AMOUNT_FEN_MAX).yuan()
            ),
        ));
    }
    let lines: Vec<LineInput> = req
        .lines
        .iter()
        .filter(|l| !(l.code.trim().is_empty() && l.qty.trim().is_empty() && l.price.trim().is_empty()))
        .map(|l| LineInput {
            code: short(&l.code).to_string(),
            qty: short(&l.qty).to_string(),
            price: short(&l.price).to_string(),
        })
        .collect();
    if lines.len() > ESTIMATE_LINES_MAX {
        problems.push(problem("lines", "费用明细最多 10 行", "At most 10 fee lines"));
    }
    problems.extend(lines.iter().enumerate().filter_map(|(i, l)| line_problem(i + 1, l)));
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Input {
        insured: insured.expect("checked"),
        insutype: insutype.expect("checked"),
        group: group.expect("checked"),
        facility: facility.expect("checked"),
        kind: kind.expect("checked"),
        filing: filing.expect("checked"),
        disease,
        dise_codg,
        acct_balance: acct_balance.expect("checked"),
        lines,
    })
}

/// Why typed fee line `n` cannot be estimated: a part missing or unreadable, a quantity or price
/// beyond the national interface's bounds (a hospital could not send it either, and `line_fen`
/// must never overflow), or an amount beyond the engine's largest line.
fn line_problem(n: usize, l: &LineInput) -> Option<InputProblem> {
    let cnt = Qty::parse(&l.qty).ok().filter(|q| q.ten_thousandths() > 0);
    let pric = Price::parse(&l.price).ok().filter(|p| !p.is_negative());
    let (Some(cnt), Some(pric), false) = (cnt, pric, l.code.is_empty()) else {
        return Some(InputProblem {
            field: format!("line{n}"),
            message_zh: format!("第 {n} 行费用：请填写目录编码、数量（大于 0）和单价（元）"),
            message_en: format!(
                "Fee line {n}: give the catalog code, a quantity above 0 and a unit price in yuan"
            ),
        });
    };
    let within = cnt.ten_thousandths() <= CNT_TEN_THOUSANDTHS_MAX
        && pric.micro_yuan() <= PRIC_MICRO_YUAN_MAX
        && line_fen(cnt, pric).get() <= LINE_FEN_MAX;
    if within {
        return None;
    }
    let (cnt_max, pric_max) =
        (Qty::from_ten_thousandths(CNT_TEN_THOUSANDTHS_MAX), Price::from_micro_yuan(PRIC_MICRO_YUAN_MAX));
    let amount_max = Fen::new(LINE_FEN_MAX).yuan();
    Some(InputProblem {
        field: format!("line{n}"),
        message_zh: format!(
            "第 {n} 行费用超出国家接口的范围：数量最多 {cnt_max}，单价最多 {pric_max} 元，数量×单价最多 {amount_max} 元"
        ),
        message_en: format!(
            "Fee line {n} is beyond the national interface's bounds: quantity at most {cnt_max}, unit price at most {pric_max} yuan, quantity × price at most {amount_max} yuan"
        ),
    })
}

fn med_type_for(kind: BenefitKind, facility: &Facility) -> MedType {
    let code = match kind {
        BenefitKind::Outpatient if facility.kind == FacilityKind::Pharmacy => "41",
        BenefitKind::Outpatient => "11",
        BenefitKind::Chronic => "14",
        BenefitKind::Inpatient => "21",
    };
    MedType::parse(code).expect("a known med_type")
}

fn fee_lines(lines: &[LineInput]) -> Result<Vec<FeeLine>, InputProblem> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let bad = || {
                problem(
                    &format!("line{}", i + 1),
                    "费用明细的数量或单价无法读取",
                    "A quantity or price cannot be read",
                )
            };
            let cnt = Qty::parse(&l.qty).map_err(|_| bad())?;
            let pric = Price::parse(&l.price).map_err(|_| bad())?;
            Ok(FeeLine {
                feedetl_sn: format!("{}", i + 1),
                med_list_codg: l.code.clone(),
                cnt,
                pric,
                amount: line_fen(cnt, pric),
                fee_ocur_time: None,
            })
        })
        .collect()
}

/// A birth date that fits the group, so age-dependent rules read a plausible age.
fn birth_date(group: PsnGroup) -> Date {
    let (y, m, d) = match group {
        PsnGroup::InService => (1985, 6, 15),
        PsnGroup::Retired => (1958, 6, 15),
        PsnGroup::Adult => (1990, 6, 15),
        PsnGroup::Minor => (2015, 6, 15),
    };
    Date::new(y, m, d).expect("a valid date")
}

fn made_up_person(input: &Input, facility: &Facility, now: DateTime) -> PersonRecord {
    let brdy = birth_date(input.group);
    let first17 = format!("{}{:04}{:02}{:02}001", input.insured, brdy.year(), brdy.month(), brdy.day());
    let check = CertNo::check_digit(&first17).expect("17 digits");
    let certno = CertNo::parse(&format!("{first17}{check}")).expect("a valid made-up number");
    let source = SourceRef::new("estimate", 0);
    let person = Person {
        psn_no: ESTIMATE_PSN_NO.to_string(),
        certno,
        name: "估算".to_string(),
        gend: Gender::Male,
        brdy,
        insuplc: input.insured,
        insutype: input.insutype,
        psn_group: input.group,
        assist_class: None,
        acct_balance: input.acct_balance,
        source: source.clone(),
    };
    let today = now.date();
    let category = match input.filing {
        FilingStatus::LongTerm => Some(FilingCategory::LongTermResident),
        FilingStatus::Referral => Some(FilingCategory::Referral),
        FilingStatus::OtherTemporary => Some(FilingCategory::OtherTemporary),
        FilingStatus::Emergency | FilingStatus::None => None,
    };
    let filings = category
        .map(|category| Filing {
            filing_id: "ESTIMATE-F1".to_string(),
            psn_no: ESTIMATE_PSN_NO.to_string(),
            category,
            area: facility.admdvs.city(),
            begndate: today.add_days(-30),
            enddate: (!category.is_long_term()).then(|| today.add_months(6)),
            filed_at: Some(DateTime::start_of(today.add_days(-30))),
            cancelled_at: None,
            source: source.clone(),
        })
        .into_iter()
        .collect();
    let entitlements = input
        .disease
        .iter()
        .map(|code| Entitlement {
            psn_no: ESTIMATE_PSN_NO.to_string(),
            disease_code: code.clone(),
            begndate: today.add_days(-365),
            enddate: None,
            source: source.clone(),
        })
        .collect();
    PersonRecord { person, filings, entitlements }
}

/// How far above its price cap the stay's sample material is priced (10 %).
const OVER_CAP: Bp = Bp::new_const(1_000);

/// A small bill from the treatment province's catalog for the kind of care: items without
/// restrictions, valid today, in code order; priced at their cap (or a plain default). For a
/// stay, one material is priced [`OVER_CAP`] above its cap so the page can show an over-cap share.
pub fn typical_basket(pack: &Pack, facility: &Facility, kind: BenefitKind, today: Date) -> Vec<LineInput> {
    let Some(catalog) = pack.refdata.catalogs.get(&facility.admdvs.province()) else { return Vec::new() };
    let med_type = med_type_for(kind, facility);
    let mut items: Vec<&CatalogItem> = catalog
        .items
        .values()
        .filter_map(|versions| {
            versions.iter().find(|i| i.begndate <= today && i.enddate.is_none_or(|e| today <= e))
        })
        .filter(|i| i.lmt_med_types.is_empty() || i.lmt_med_types.contains(&med_type))
        .filter(|i| i.lmt_min_level.is_none() && i.lmt_dise_prefix.is_none())
        .collect();
    items.sort_by(|a, b| a.code.cmp(&b.code));
    let pick = |list: ListType, lv: ChrgitmLv, skip: usize| {
        items.iter().filter(|i| i.list_type == list && i.lv == lv).nth(skip).copied()
    };
    let pharmacy = facility.kind == FacilityKind::Pharmacy;
    let plan: Vec<(Option<&CatalogItem>, &str, Bp)> = match kind {
        BenefitKind::Outpatient if pharmacy => vec![
            (pick(ListType::Drug, ChrgitmLv::A, 0), "2", Bp::ZERO),
            (pick(ListType::Drug, ChrgitmLv::B, 0), "2", Bp::ZERO),
            (pick(ListType::Drug, ChrgitmLv::C, 0), "1", Bp::ZERO),
        ],
        BenefitKind::Outpatient => vec![
            (pick(ListType::Service, ChrgitmLv::A, 0), "1", Bp::ZERO),
            (pick(ListType::Drug, ChrgitmLv::A, 0), "2", Bp::ZERO),
            (pick(ListType::Drug, ChrgitmLv::B, 0), "2", Bp::ZERO),
            (pick(ListType::Drug, ChrgitmLv::C, 0), "1", Bp::ZERO),
        ],
        BenefitKind::Chronic => vec![
            (pick(ListType::Service, ChrgitmLv::A, 0), "1", Bp::ZERO),
            (pick(ListType::Drug, ChrgitmLv::A, 1), "30", Bp::ZERO),
            (pick(ListType::Drug, ChrgitmLv::B, 1), "30", Bp::ZERO),
        ],
        BenefitKind::Inpatient => vec![
            (pick(ListType::Service, ChrgitmLv::A, 0), "3", Bp::ZERO),
            (pick(ListType::Service, ChrgitmLv::A, 1), "5", Bp::ZERO),
            (pick(ListType::Service, ChrgitmLv::B, 0), "1", Bp::ZERO),
            (pick(ListType::Drug, ChrgitmLv::A, 0), "10", Bp::ZERO),
            (pick(ListType::Drug, ChrgitmLv::B, 0), "10", Bp::ZERO),
            (pick(ListType::Material, ChrgitmLv::B, 0), "1", OVER_CAP),
            (pick(ListType::Drug, ChrgitmLv::C, 0), "2", Bp::ZERO),
        ],
    };
    plan.into_iter()
        .filter_map(|(item, qty, over_cap)| {
            let item = item?;
            let default_fen = match item.list_type {
                ListType::Service => 3_000,
                ListType::Drug => 2_500,
                ListType::Material => 80_000,
            };
            // Above the cap by `over_cap` of it, rounded by the one rounding rule.
            let price = match item.price_cap {
                Some(cap) if !cap.is_negative() => cap + share(cap, over_cap),
                Some(cap) => cap,
                None => Fen::new(default_fen),
            };
            Some(LineInput { code: item.code.clone(), qty: qty.to_string(), price: price.yuan() })
        })
        .collect()
}

fn view(pack: &Pack, s: &Settlement<'_>, claim: &Claim, acct_balance: Fen) -> EstimateView {
    let refdata = &pack.refdata;
    let w = &s.workings;
    let i = &s.setlinfo;
    let lines = s
        .lines
        .iter()
        .map(|l| {
            let fee = &claim.lines[l.index];
            EstimateLine {
                code: l.item.code.clone(),
                name: l.item.name.clone(),
                list_type: l.item.list_type,
                lv: l.item.lv,
                qty: fee.cnt.to_string(),
                price: fee.pric.to_string(),
                selfpay_prop_bp: l.item.selfpay_prop.get(),
                price_cap: l.item.price_cap,
                unmet: l.unmet.map(|u| match u {
                    Unmet::MedType => "med_type",
                    Unmet::MinLevel => "min_level",
                    Unmet::Diagnosis => "diagnosis",
                }),
                amount: l.amount,
                fulamt_ownpay: l.fulamt_ownpay,
                overlmt: l.overlmt,
                preselfpay: l.preselfpay,
                inscp: l.inscp,
            }
        })
        .collect();
    let sum = |f: fn(&EstimateLine) -> Fen, lines: &Vec<EstimateLine>| lines.iter().map(f).sum::<Fen>();
    let layers = w
        .layers
        .iter()
        .map(|l| LayerLine {
            field: match l.layer.field {
                LayerField::Hifob => "hifob",
                LayerField::Hifmi => "hifmi",
            },
            input: l.input,
            threshold: l.threshold,
            parts: l.parts.iter().map(|(lo, hi, bp, pay)| (*lo, *hi, bp.get(), *pay)).collect(),
            room: l.room,
            pay: l.pay,
        })
        .collect();
    let f = s.facility;
    let (province, city) = (division_name(refdata, f.admdvs.province()), city_name(refdata, f.admdvs));
    let place = if province == city { city } else { format!("{province} {city}") };
    let lines_v: Vec<EstimateLine> = lines;
    EstimateView {
        insured_name: refdata.regions.get(&s.person.insuplc).map_or_else(String::new, |r| r.name.clone()),
        facility_name: f.name.clone(),
        facility_place: place,
        facility_level: f.level,
        kind: s.kind,
        med_type: claim.med_type.code(),
        filing_class: s.filing.class.as_str(),
        filing_class_zh: s.filing.class.name_zh(),
        service_date: claim.service_date().to_string(),
        policy_year: s.policy_year,
        policy_from: s.policy.effective_from.to_string(),
        medfee: sum(|l| l.amount, &lines_v),
        fulamt_ownpay: sum(|l| l.fulamt_ownpay, &lines_v),
        overlmt: sum(|l| l.overlmt, &lines_v),
        preselfpay: sum(|l| l.preselfpay, &lines_v),
        inscp: sum(|l| l.inscp, &lines_v),
        lines: lines_v,
        moved_to_preselfpay: w.moved_to_preselfpay,
        excluded: w.excluded,
        deductible_kind: w.deductible.map(|d| d.kind_name()),
        deductible_remaining: w.deductible_remaining,
        act_pay_dedc: i.act_pay_dedc,
        local_ratio_bp: w.local_ratio.get(),
        ratio_bp: w.ratio.get(),
        base: w.base,
        pool_raw: w.pool_raw,
        annual_cap: s.policy.annual_cap,
        cap_left: w.cap_left,
        hifp_pay: i.hifp_pay,
        layers,
        maf_pay: i.maf_pay,
        fund_pay_sumamt: i.fund_pay_sumamt,
        psn_part_amt: i.psn_part_amt,
        acct_balance,
        acct_pay: i.acct_pay,
        psn_cash_pay: i.psn_cash_pay,
        trace: explain(s),
    }
}

/// Most catalog rows one lookup shows.
pub const CATALOG_LOOKUP_ROWS_MAX: usize = 20;

/// One row of the treatment province's catalog, as the estimator's lookup shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogRow {
    pub code: String,
    pub name: String,
    pub list_type: ListType,
    pub lv: ChrgitmLv,
    pub selfpay_prop_bp: u32,
    pub price_cap: Option<Fen>,
    /// Limited to some care, facility level or diagnosis.
    pub restricted: bool,
}

/// Catalog rows valid today at `facility`'s province whose name or code contains `q`, in code
/// order, at most [`CATALOG_LOOKUP_ROWS_MAX`]; empty for an unknown facility or an empty `q`.
pub fn catalog_lookup(pack: &Pack, facility: &str, q: &str, today: Date) -> Vec<CatalogRow> {
    let q: String = q.trim().chars().take(FIELD_CHARS_MAX).collect();
    let facility = FacilityCode::parse(facility.trim()).ok().and_then(|c| pack.refdata.facilities.get(&c));
    let (Some(facility), false) = (facility, q.is_empty()) else { return Vec::new() };
    let Some(catalog) = pack.refdata.catalogs.get(&facility.admdvs.province()) else { return Vec::new() };
    let mut rows: Vec<&CatalogItem> = catalog
        .items
        .values()
        .filter_map(|versions| {
            versions.iter().find(|i| i.begndate <= today && i.enddate.is_none_or(|e| today <= e))
        })
        .filter(|i| i.name.contains(q.as_str()) || i.code.contains(q.as_str()))
        .collect();
    rows.sort_by(|a, b| a.code.cmp(&b.code));
    rows.into_iter()
        .take(CATALOG_LOOKUP_ROWS_MAX)
        .map(|i| CatalogRow {
            code: i.code.clone(),
            name: i.name.clone(),
            list_type: i.list_type,
            lv: i.lv,
            selfpay_prop_bp: i.selfpay_prop.get(),
            price_cap: i.price_cap,
            restricted: !i.lmt_med_types.is_empty()
                || i.lmt_min_level.is_some()
                || i.lmt_dise_prefix.is_some(),
        })
        .collect()
}
