//! The filing service's rules (`policy-background.md` §2 and §10 rules 1–9) as pure functions:
//! every filing change, from the agency API or from the person, passes [`check_new`] (a new
//! filing, or the new half of a change) and [`check_cancel`] (a cancellation, or the old half of
//! a change) before anything is stored.
//!
//! Key design decision: the rules take everything as values — the insured region's
//! [`FilingRules`] from its policy file, the division table, the person, the filings they hold,
//! the admission date of an open inpatient stay and "now" — and return either the filing's
//! dates or a [`RuleRefusal`] with a stable code and a Chinese message that states the rule and
//! what to do. No I/O, no clock, no state: the hub reads the state on its sequencer and calls
//! these, so the agency and person channels cannot drift apart, and every rule is tested without
//! a server. The module lives in the hub rather than in the engine because it is a service rule
//! (who may file what, when), not settlement arithmetic; the engine only reads filings.

use std::collections::BTreeMap;

use yidi_domain::{
    Date, DateTime, Division, DivisionCode, DivisionLevel, Filing, FilingCategory, FilingRules, InsuType,
    Person, PsnGroup,
};

/// How many days ahead of today a filing may begin (a person moving next season may file now).
pub const FILING_BEGIN_DAYS_AHEAD_MAX: i64 = 366;

/// Who asks for a change: the counter and API of the insured region's agency, or the person
/// online (承诺制, no uploads).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    Agency,
    Person,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Agency => "agency",
            Channel::Person => "person",
        }
    }
}

/// Everything the rules read besides the request.
pub struct RuleContext<'a> {
    /// The insured region's local rules (national defaults when its policy file has no `[filing]`).
    pub rules: &'a FilingRules,
    pub divisions: &'a BTreeMap<DivisionCode, Division>,
    /// The person's insured pooling region.
    pub insured_region: DivisionCode,
    pub person: &'a Person,
    pub now: DateTime,
    pub channel: Channel,
    /// The admission date of the person's inpatient stay that is not yet settled (admitted or
    /// discharged, before discharge settlement): a filing may then begin on that date (补办备案).
    pub open_stay_admitted: Option<Date>,
}

/// A filing as asked for; absent dates take their defaults (begin today, temporary end after
/// the region's `temporary_months`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilingRequest {
    pub category: FilingCategory,
    pub area: DivisionCode,
    pub begndate: Option<Date>,
    pub enddate: Option<Date>,
    /// The person confirmed the commitment statement ([`commitment_statement`]).
    pub commitment: bool,
}

/// The dates a new filing gets once accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accepted {
    pub begndate: Date,
    pub enddate: Option<Date>,
    /// It begins before today, on or after the admission of an open stay (补办备案).
    pub retroactive: bool,
}

/// Why a change is refused: a stable code and a Chinese message naming the rule and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleRefusal {
    pub code: &'static str,
    pub message: String,
}

fn refuse(code: &'static str, message: String) -> RuleRefusal {
    RuleRefusal { code, message }
}

/// The statement a person confirms when filing online under the commitment route (承诺制):
/// long-term categories promise the residence or posting, a referral promises the certificate.
/// `None` where no statement is asked (other temporary care; emergency needs no filing).
pub fn commitment_statement(category: FilingCategory) -> Option<&'static str> {
    match category {
        FilingCategory::RetiredResettled => Some(
            "本人承诺：本人已退休并在备案就医地长期居住（异地安置），所填信息真实有效；如有虚假，愿承担由此产生的待遇追回等责任。",
        ),
        FilingCategory::LongTermResident => Some(
            "本人承诺：本人在备案就医地长期居住（一般半年以上），所填信息真实有效；如有虚假，愿承担由此产生的待遇追回等责任。",
        ),
        FilingCategory::PostedWorker => Some(
            "本人承诺：本人由用人单位派驻备案就医地长期工作（一般半年以上），所填信息真实有效；如有虚假，愿承担由此产生的待遇追回等责任。",
        ),
        FilingCategory::Referral => {
            Some("本人承诺：本人已取得参保地具备转诊资质的定点医疗机构出具的转诊转院证明，所填信息真实有效。")
        }
        FilingCategory::OtherTemporary | FilingCategory::Emergency => None,
    }
}

/// Whether a filing is still in force at `now`: not cancelled, and not past its end date.
pub fn is_active(f: &Filing, now: DateTime) -> bool {
    f.cancelled_at.is_none_or(|at| at > now) && f.enddate.is_none_or(|end| end >= now.date())
}

/// The first day a long-term filing may be changed or cancelled under `min_hold_days`, counted
/// from the day it was made (its begin date for a pack filing without `filed_at`).
pub fn hold_until(rules: &FilingRules, f: &Filing) -> Option<Date> {
    if !f.category.is_long_term() || rules.min_hold_days == 0 {
        return None;
    }
    let since = f.filed_at.map_or(f.begndate, |t| t.date());
    Some(since.add_days(i64::from(rules.min_hold_days)))
}

/// Checks a new filing (or the new half of a change, `replacing` being the filing it replaces)
/// against the person's filings `held` (overlay applied) and returns its dates.
pub fn check_new(
    ctx: &RuleContext<'_>,
    held: &[Filing],
    replacing: Option<&Filing>,
    req: &FilingRequest,
) -> Result<Accepted, RuleRefusal> {
    check_category(ctx, req)?;
    check_area(ctx, req)?;
    check_commitment(ctx, req)?;
    let (begndate, retroactive) = check_begin(ctx, req)?;
    let enddate = check_end(ctx, req, begndate)?;
    check_held(ctx, held, replacing, req)?;
    Ok(Accepted { begndate, enddate, retroactive })
}

/// Checks that a filing may be cancelled (or replaced) now.
pub fn check_cancel(ctx: &RuleContext<'_>, f: &Filing) -> Result<(), RuleRefusal> {
    let now = ctx.now;
    if let Some(at) = f.cancelled_at.filter(|at| *at <= now) {
        return Err(refuse(
            "filing_already_cancelled",
            format!(
                "备案 {} 已于 {at} 撤销，无需重复撤销；如需在新的就医地结算，请直接办理新备案",
                f.filing_id
            ),
        ));
    }
    if let Some(end) = f.enddate.filter(|end| *end < now.date()) {
        return Err(refuse(
            "filing_expired",
            format!("备案 {} 已于 {end} 到期失效，无需撤销或变更；如仍需异地就医，请办理新备案", f.filing_id),
        ));
    }
    if let Some(until) = hold_until(ctx.rules, f).filter(|until| now.date() < *until) {
        return Err(refuse(
            "filing_min_hold",
            format!(
                "{}备案自备案之日起 {} 天内不能变更或取消（参保地规定），可在 {until} 之后办理（含当日）",
                f.category.name_zh(),
                ctx.rules.min_hold_days
            ),
        ));
    }
    Ok(())
}

fn check_category(ctx: &RuleContext<'_>, req: &FilingRequest) -> Result<(), RuleRefusal> {
    let p = ctx.person;
    match req.category {
        FilingCategory::Emergency => Err(refuse(
            "filing_not_needed_emergency",
            "异地急诊抢救无需备案（视同已备案）：急诊或抢救时，在就医地的联网定点医疗机构出示医保电子凭证或社保卡即可直接结算，按急诊抢救的待遇标准支付。如病情稳定后需继续在外地治疗，可办理“异地转诊”或“其他临时外出就医”备案"
                .to_string(),
        )),
        FilingCategory::RetiredResettled if p.psn_group != PsnGroup::Retired => Err(refuse(
            "filing_category_not_eligible",
            format!(
                "“异地安置退休”只适用于已退休的职工医保参保人，您的人员类别是“{}”；长期在外地居住可选择“异地长期居住”",
                p.psn_group.name_zh()
            ),
        )),
        FilingCategory::PostedWorker if p.insutype != InsuType::Employee => Err(refuse(
            "filing_category_not_eligible",
            format!(
                "“常驻异地工作”只适用于由单位派驻外地工作的职工医保参保人，您参加的是{}；长期在外地居住可选择“异地长期居住”",
                p.insutype.name_zh()
            ),
        )),
        _ => Ok(()),
    }
}

/// The area must be a real province or prefecture-level city (or the whole country for temporary
/// categories) and lie outside the insured region.
fn check_area(ctx: &RuleContext<'_>, req: &FilingRequest) -> Result<(), RuleRefusal> {
    let area = req.area;
    let code = "filing_area_invalid";
    if area.is_country() {
        if req.category.is_long_term() {
            return Err(refuse(
                code,
                format!(
                    "长期备案（{}）须备案到具体的省或地级市，000000（全国）只用于临时外出类备案",
                    req.category.name_zh()
                ),
            ));
        }
        return Ok(());
    }
    match ctx.divisions.get(&area) {
        Some(d) if matches!(d.level, DivisionLevel::Province | DivisionLevel::City) => {}
        Some(d) => {
            return Err(refuse(
                code,
                format!(
                    "{area}（{}）是县级区划：备案地应为省（xx0000）或地级市（xxxx00），请改选所在的市",
                    d.name
                ),
            ));
        }
        None => {
            return Err(refuse(code, format!("{area} 不是已知的省或地级市代码：请从省、市列表中选择就医地")));
        }
    }
    let home = ctx.insured_region;
    if area.covers(home) || home.covers(area) {
        let name = |c: DivisionCode| ctx.divisions.get(&c).map_or_else(|| c.to_string(), |d| d.name.clone());
        return Err(refuse(
            "filing_area_home",
            format!(
                "备案地 {}（{area}）包含或属于您的参保地 {}（{home}）：在参保地就医按本地待遇结算，无需备案；异地备案请选择参保地以外的省或市",
                name(area),
                name(home)
            ),
        ));
    }
    Ok(())
}

fn check_commitment(ctx: &RuleContext<'_>, req: &FilingRequest) -> Result<(), RuleRefusal> {
    if ctx.channel != Channel::Person || req.commitment {
        return Ok(());
    }
    match commitment_statement(req.category) {
        Some(statement) => Err(refuse(
            "filing_commitment_required",
            format!(
                "网上办理“{}”备案实行告知承诺制，无需上传材料，但须确认以下承诺（commitment = true）：{statement}",
                req.category.name_zh()
            ),
        )),
        None => Ok(()),
    }
}

/// The begin date: today by default; before today only for an open inpatient stay (from its
/// admission date); at most [`FILING_BEGIN_DAYS_AHEAD_MAX`] days ahead.
fn check_begin(ctx: &RuleContext<'_>, req: &FilingRequest) -> Result<(Date, bool), RuleRefusal> {
    let today = ctx.now.date();
    let begin = req.begndate.unwrap_or(today);
    if begin > today.add_days(FILING_BEGIN_DAYS_AHEAD_MAX) {
        return Err(refuse(
            "filing_begndate_too_far",
            format!(
                "备案开始日期 {begin} 太远：最多可提前 {FILING_BEGIN_DAYS_AHEAD_MAX} 天办理，请在 {} 之后再来办理",
                begin.add_days(-FILING_BEGIN_DAYS_AHEAD_MAX)
            ),
        ));
    }
    if begin >= today {
        return Ok((begin, false));
    }
    match ctx.open_stay_admitted {
        Some(admitted) if begin >= admitted => Ok((begin, true)),
        Some(admitted) => Err(refuse(
            "filing_begndate_past",
            format!(
                "补办备案的开始日期最早为本次住院的入院日期 {admitted}，不能早于该日期（您填写的是 {begin}）"
            ),
        )),
        None => Err(refuse(
            "filing_begndate_past",
            format!(
                "备案开始日期 {begin} 早于今天 {today}：备案自办理之日起生效。只有住院期间、出院结算前补办备案时，开始日期才可以填写入院日期；已经自费出院的，请到参保地经办机构申请手工报销"
            ),
        )),
    }
}

/// Long-term filings are open-ended; temporary ones last at least `temporary_months`.
fn check_end(ctx: &RuleContext<'_>, req: &FilingRequest, begin: Date) -> Result<Option<Date>, RuleRefusal> {
    if req.category.is_long_term() {
        return match req.enddate {
            None => Ok(None),
            Some(end) => Err(refuse(
                "filing_long_term_open_ended",
                format!(
                    "长期备案（{}）长期有效，不设结束日期（您填写了 {end}）：请不填结束日期；不再需要时办理取消即可",
                    req.category.name_zh()
                ),
            )),
        };
    }
    let months = ctx.rules.temporary_months;
    let shortest = begin.add_months(months as i32);
    match req.enddate {
        None => Ok(Some(shortest)),
        Some(end) if end >= shortest => Ok(Some(end)),
        Some(end) => Err(refuse(
            "filing_temporary_too_short",
            format!(
                "临时外出就医备案的有效期不少于 {months} 个月（参保地规定）：开始日期为 {begin} 时，结束日期最早为 {shortest}（您填写的是 {end}）；不填结束日期即按 {months} 个月办理"
            ),
        )),
    }
}

/// One active filing per person and insurance type unless the region allows more; never two for
/// the same area and category.
fn check_held(
    ctx: &RuleContext<'_>,
    held: &[Filing],
    replacing: Option<&Filing>,
    req: &FilingRequest,
) -> Result<(), RuleRefusal> {
    let replaced = replacing.map(|f| f.filing_id.as_str());
    let active: Vec<&Filing> =
        held.iter().filter(|f| Some(f.filing_id.as_str()) != replaced && is_active(f, ctx.now)).collect();
    if let Some(same) = active.iter().find(|f| f.category == req.category && f.area == req.area) {
        return Err(refuse(
            "filing_duplicate",
            format!(
                "您已有相同就医地（{}）和类别（{}）的有效备案 {}，无需重复办理",
                same.area,
                same.category.name_zh(),
                same.filing_id
            ),
        ));
    }
    let max = ctx.rules.max_active_filings as usize;
    if active.len() >= max {
        let list: Vec<String> = active
            .iter()
            .map(|f| format!("{}（{}，{}）", f.filing_id, f.category.name_zh(), f.area))
            .collect();
        return Err(refuse(
            "filing_limit_reached",
            format!(
                "参保地规定同一险种最多同时保留 {max} 件有效的异地就医备案，您已有：{}。如需备案到新的就医地，请办理备案变更，或先取消原备案再新办",
                list.join("、")
            ),
        ));
    }
    Ok(())
}
