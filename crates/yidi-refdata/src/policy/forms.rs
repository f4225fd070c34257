//! Values of a policy file that come in several forms: level tables, deductibles, adjustments.

use toml::{Spanned, Value};
use yidi_domain::{
    AdjClass, Adjustment, AdjustmentForm, AdjustmentSet, Bp, Deductible, Fen, LevelTable, SourceRef,
};

use super::raw::{ClassAdjustments, RawAdjustment, RawDeductible};
use crate::limits::POLICY_LIST_LEN_MAX;
use crate::problem::{LineIndex, Problems};
use crate::values::{bp_from_i64, fen_from_i64};

/// Whether unfiled, non-emergency care may be settled directly when `unfiled` leaves out
/// `allow`: no. Filing is the national rule and waiving it (免备案) a local choice
/// (`policy-background.md` §10 rule 7), so a region must say `allow = true` to waive it; a
/// refusal only sends the person to file online, while a wrong waiver pays money out.
pub(super) const UNFILED_ALLOW_DEFAULT: bool = false;

/// A policy file and its line index, for reporting problems at spans.
pub(super) struct Loc<'a> {
    pub file: &'a str,
    lines: LineIndex,
}

impl<'a> Loc<'a> {
    pub fn new(file: &'a str, text: &str) -> Loc<'a> {
        Loc { file, lines: LineIndex::new(text) }
    }
    pub fn line_at(&self, offset: usize) -> u32 {
        self.lines.line_of(offset)
    }
    pub fn line<T>(&self, at: &Spanned<T>) -> u32 {
        self.lines.line_of(at.span().start)
    }
    pub fn problem<T>(&self, p: &mut Problems, at: &Spanned<T>, message: impl Into<String>) {
        p.push(self.file, self.line(at), message);
    }
    pub fn source<T>(&self, at: &Spanned<T>) -> SourceRef {
        SourceRef::new(self.file, self.line(at))
    }
    /// A required key: reports its absence at the table's line.
    pub fn required<'r, T, U>(
        &self,
        p: &mut Problems,
        table: &Spanned<U>,
        what: &str,
        key: &str,
        value: &'r Option<Spanned<T>>,
    ) -> Option<&'r Spanned<T>> {
        if value.is_none() {
            self.problem(p, table, format!("{what} 缺少 {key}"));
        }
        value.as_ref()
    }
    /// A string key parsed with `parse`, its error prefixed with the key.
    pub fn parsed<T>(
        &self,
        p: &mut Problems,
        key: &str,
        value: &Spanned<String>,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        parse(value.get_ref()).map_err(|why| self.problem(p, value, format!("{key}：{why}"))).ok()
    }
    /// An integer key converted with `conv` (fen, bp, ...).
    pub fn number<T>(
        &self,
        p: &mut Problems,
        key: &str,
        value: &Spanned<i64>,
        conv: fn(i64) -> Result<T, String>,
    ) -> Option<T> {
        conv(*value.get_ref()).map_err(|why| self.problem(p, value, format!("{key}：{why}"))).ok()
    }
}

/// A number for every level, or a table `{ 1 = …, 2 = …, 3 = … }` giving all three levels.
pub(super) fn level_table<T: Copy + Default>(
    loc: &Loc,
    p: &mut Problems,
    key: &str,
    value: &Spanned<Value>,
    conv: fn(i64) -> Result<T, String>,
) -> Option<LevelTable<T>> {
    let table = match value.get_ref() {
        Value::Integer(n) => {
            return loc.number(p, key, &Spanned::new(value.span(), *n), conv).map(LevelTable::Flat);
        }
        Value::Table(table) => table,
        other => {
            let msg =
                format!("{key}：应为整数或级别表 {{ 1 = …, 2 = …, 3 = … }}，实际为 {}", other.type_str());
            loc.problem(p, value, msg);
            return None;
        }
    };
    let before = p.len();
    let mut by_level: [Option<T>; 3] = [None; 3];
    for (level_key, v) in table {
        let slot = match level_key.as_str() {
            "1" => 0,
            "2" => 1,
            "3" => 2,
            _ => {
                loc.problem(p, value, format!("{key}：未知的机构等级“{level_key}”（级别表只能有 1、2、3）"));
                continue;
            }
        };
        match v.as_integer().map(conv) {
            Some(Ok(converted)) => by_level[slot] = Some(converted),
            Some(Err(why)) => loc.problem(p, value, format!("{key} 第 {level_key} 级：{why}")),
            None => {
                loc.problem(p, value, format!("{key} 第 {level_key} 级：应为整数，实际为 {}", v.type_str()))
            }
        }
    }
    let missing: Vec<String> =
        (1..=3).filter(|l| !table.contains_key(&l.to_string())).map(|l| l.to_string()).collect();
    if !missing.is_empty() {
        loc.problem(
            p,
            value,
            format!("{key}：级别表缺少第 {} 级（必须给出 1、2、3 三级）", missing.join("、")),
        );
    }
    if p.len() > before {
        return None;
    }
    Some(LevelTable::ByLevel(by_level.map(Option::unwrap_or_default)))
}

pub(super) fn fen_table(
    loc: &Loc,
    p: &mut Problems,
    key: &str,
    value: &Spanned<Value>,
) -> Option<LevelTable<Fen>> {
    level_table(loc, p, key, value, fen_from_i64)
}

pub(super) fn bp_table(
    loc: &Loc,
    p: &mut Problems,
    key: &str,
    value: &Spanned<Value>,
) -> Option<LevelTable<Bp>> {
    level_table(loc, p, key, value, bp_from_i64)
}

/// A deductible of one of the four forms of `settlement.md` §5; `what` names it in messages.
pub(super) fn deductible(
    loc: &Loc,
    p: &mut Problems,
    what: &str,
    raw: &Spanned<RawDeductible>,
) -> Option<Deductible> {
    let d = raw.get_ref();
    let kind =
        loc.required(p, raw, what, "kind（per_year、per_visit、per_admission 或 pct_of_bill）", &d.kind)?;
    let form = match kind.get_ref().as_str() {
        "per_year" => DeductibleForm::PerYear,
        "per_visit" => DeductibleForm::PerVisit,
        "per_admission" => DeductibleForm::PerAdmission,
        "pct_of_bill" => DeductibleForm::PctOfBill,
        other => {
            let msg = format!(
                "{what}.kind：“{other}”不是合法的起付线方式（可选：per_year per_visit per_admission pct_of_bill）"
            );
            loc.problem(p, kind, msg);
            return None;
        }
    };
    let before = p.len();
    check_deductible_keys(loc, p, what, kind.get_ref(), form.keys(), raw);
    if p.len() > before {
        return None;
    }
    let amount =
        |p: &mut Problems| d.amount.as_ref().and_then(|v| fen_table(loc, p, &format!("{what}.amount"), v));
    match form {
        DeductibleForm::PerYear => amount(p).map(|amount| Deductible::PerYear { amount }),
        DeductibleForm::PerVisit => amount(p).map(|amount| Deductible::PerVisit { amount }),
        DeductibleForm::PerAdmission => {
            let amount = amount(p);
            let nth_bp = d.nth_bp.as_ref().and_then(|v| nth_bp(loc, p, what, v));
            Some(Deductible::PerAdmission { amount: amount?, nth_bp: nth_bp? })
        }
        DeductibleForm::PctOfBill => pct_of_bill(loc, p, what, d),
    }
}

#[derive(Clone, Copy)]
enum DeductibleForm {
    PerYear,
    PerVisit,
    PerAdmission,
    PctOfBill,
}

impl DeductibleForm {
    /// The keys this form needs, besides `kind`; every other key is an error.
    fn keys(self) -> &'static [&'static str] {
        match self {
            DeductibleForm::PerYear | DeductibleForm::PerVisit => &["amount"],
            DeductibleForm::PerAdmission => &["amount", "nth_bp"],
            DeductibleForm::PctOfBill => &["bp", "min", "max"],
        }
    }
}

fn check_deductible_keys(
    loc: &Loc,
    p: &mut Problems,
    what: &str,
    kind: &str,
    needed: &[&str],
    raw: &Spanned<RawDeductible>,
) {
    let d = raw.get_ref();
    let present = [
        ("amount", d.amount.is_some()),
        ("nth_bp", d.nth_bp.is_some()),
        ("bp", d.bp.is_some()),
        ("min", d.min.is_some()),
        ("max", d.max.is_some()),
    ];
    for (key, is_present) in present {
        if is_present && !needed.contains(&key) {
            loc.problem(p, raw, format!("{what}：{kind} 方式的起付线不使用 {key}"));
        }
        if !is_present && needed.contains(&key) {
            loc.problem(p, raw, format!("{what}：{kind} 方式的起付线缺少 {key}"));
        }
    }
}

fn nth_bp(loc: &Loc, p: &mut Problems, what: &str, value: &Spanned<Vec<i64>>) -> Option<Vec<Bp>> {
    let list = value.get_ref();
    if list.is_empty() || list.len() > POLICY_LIST_LEN_MAX {
        let msg = format!(
            "{what}.nth_bp：应列出 1–{POLICY_LIST_LEN_MAX} 个比例（第 n 次住院按第 n 项计，末项重复），例如 [10000, 5000]"
        );
        loc.problem(p, value, msg);
        return None;
    }
    let converted: Result<Vec<Bp>, String> = list.iter().map(|bp| bp_from_i64(*bp)).collect();
    converted.map_err(|why| loc.problem(p, value, format!("{what}.nth_bp：{why}"))).ok()
}

fn pct_of_bill(loc: &Loc, p: &mut Problems, what: &str, d: &RawDeductible) -> Option<Deductible> {
    let bp = d.bp.as_ref().and_then(|v| loc.number(p, &format!("{what}.bp"), v, bp_from_i64));
    let min = d.min.as_ref().and_then(|v| fen_table(loc, p, &format!("{what}.min"), v));
    let max = d.max.as_ref().and_then(|v| fen_table(loc, p, &format!("{what}.max"), v));
    let (bp, min, max) = (bp?, min?, max?);
    for level in 1..=3 {
        if min.at(level) > max.at(level) {
            let msg = format!(
                "{what}：pct_of_bill 的 min 不能大于 max（第 {level} 级 min {} > max {}）",
                min.at(level).get(),
                max.at(level).get()
            );
            if let Some(at) = &d.min {
                loc.problem(p, at, msg);
            }
            return None;
        }
    }
    Some(Deductible::PctOfBill { bp, min, max })
}

/// One class's adjustment; `what` names it in messages (`[adjustments] referral`).
pub(super) fn adjustment(
    loc: &Loc,
    p: &mut Problems,
    class: AdjClass,
    what: &str,
    raw: &Spanned<RawAdjustment>,
) -> Option<Adjustment> {
    let a = raw.get_ref();
    let before = p.len();
    let excluded = a.excluded.as_ref().is_some_and(|e| *e.get_ref());
    let forms: Vec<&str> = [
        ("minus_bp", a.minus_bp.is_some()),
        ("factor_bp", a.factor_bp.is_some()),
        ("ratio_bp", a.ratio_bp.is_some()),
        ("extra_preselfpay_bp", a.extra_preselfpay_bp.is_some()),
        ("excluded", excluded),
    ]
    .into_iter()
    .filter_map(|(key, present)| present.then_some(key))
    .collect();
    if forms.len() > 1 {
        let msg = format!(
            "{what}：只能给出一种调整方式（minus_bp、factor_bp、ratio_bp、extra_preselfpay_bp、excluded 之一），这里给出了 {}",
            forms.join("、")
        );
        loc.problem(p, raw, msg);
    }
    if let Some(allow) = a.allow.as_ref().filter(|_| class != AdjClass::Unfiled) {
        loc.problem(p, allow, format!("{what}：allow 只用于 unfiled（未备案）"));
    }
    let form = adjustment_form(loc, p, what, a, excluded);
    let deductible = a.deductible.as_ref().map(|d| deductible(loc, p, &format!("{what}.deductible"), d));
    if p.len() > before {
        return None;
    }
    Some(Adjustment {
        form: form?,
        deductible: deductible.flatten(),
        allow: a.allow.as_ref().map_or(UNFILED_ALLOW_DEFAULT, |allow| *allow.get_ref()),
        source: loc.source(raw),
    })
}

/// The one form key given (a `ratio_bp` may be a level table or, like a policy's, one number
/// for every level); none, or only `excluded = false`, leaves the ratio unchanged.
fn adjustment_form(
    loc: &Loc,
    p: &mut Problems,
    what: &str,
    a: &RawAdjustment,
    excluded: bool,
) -> Option<AdjustmentForm> {
    let key = |name: &str| format!("{what}.{name}");
    if let Some(v) = &a.minus_bp {
        return loc.number(p, &key("minus_bp"), v, bp_from_i64).map(AdjustmentForm::MinusBp);
    }
    if let Some(v) = &a.factor_bp {
        return loc.number(p, &key("factor_bp"), v, bp_from_i64).map(AdjustmentForm::FactorBp);
    }
    if let Some(v) = &a.ratio_bp {
        return bp_table(loc, p, &key("ratio_bp"), v).map(AdjustmentForm::RatioTable);
    }
    if let Some(v) = &a.extra_preselfpay_bp {
        return loc
            .number(p, &key("extra_preselfpay_bp"), v, bp_from_i64)
            .map(AdjustmentForm::ExtraPreselfpay);
    }
    Some(if excluded { AdjustmentForm::Excluded } else { AdjustmentForm::Unchanged })
}

/// The four classes of `[adjustments]` or of `[adjustments.KIND]` (`prefix` names the table).
pub(super) fn adjustment_set(
    loc: &Loc,
    p: &mut Problems,
    prefix: &str,
    classes: ClassAdjustments,
) -> AdjustmentSet {
    let mut set = AdjustmentSet::default();
    for (class, value) in classes {
        if let Some(value) = value {
            let what = format!("{prefix} {}", class.as_str());
            *set.slot(class) = adjustment(loc, p, class, &what, value);
        }
    }
    set
}
