//! What an agency asks, as text from the HTTP edge, and its parsed form. Parsing reports every
//! problem at once, each naming its field, so one answer tells the user everything to fix.

use std::collections::BTreeMap;

use serde::Serialize;
use yidi_domain::{Date, DateTime, Division, DivisionCode, DivisionLevel, FilingCategory, Person};
use yidi_store::{SettlementRecord, SettlementStatus};

use super::{PAGE_MAX, PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, QUERY_TEXT_CHARS_MAX};

/// One problem with one field of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// `GET /api/agency/persons`: every field is optional text as received.
#[derive(Clone, Debug, Default)]
pub struct PersonQuery {
    /// Part of the person's name.
    pub name: Option<String>,
    /// The start of the `psn_no`.
    pub psn_no: Option<String>,
    pub page: Option<String>,
    pub page_size: Option<String>,
}

/// `GET /api/agency/settlements`: every field is optional text as received.
#[derive(Clone, Debug, Default)]
pub struct SettlementQuery {
    pub psn_no: Option<String>,
    pub fixmedins_code: Option<String>,
    /// `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`, inclusive.
    pub from: Option<String>,
    /// `YYYY-MM-DD` (the whole day) or `YYYY-MM-DD HH:MM:SS`, inclusive.
    pub to: Option<String>,
    /// `settled` or `reversed`.
    pub status: Option<String>,
    pub page: Option<String>,
    pub page_size: Option<String>,
}

/// A new filing (or the new side of a change) as asked for, by an agency
/// (`POST /api/agency/persons/{psn_no}/filings`) or a person (`POST /api/person/filings`): the
/// columns of `filings.csv` as text. `begndate` defaults to today, `enddate` of a temporary
/// filing to the region's shortest validity; `commitment` is the person's confirmation of the
/// commitment statement (`filing_rules::commitment_statement`), needed for long-term and
/// referral filings made online.
#[derive(Clone, Debug, Default)]
pub struct NewFiling {
    pub category: Option<String>,
    pub mdtrtarea_admvs: Option<String>,
    pub begndate: Option<String>,
    pub enddate: Option<String>,
    pub commitment: Option<bool>,
}

/// A page request, checked against [`PAGE_MAX`] and [`PAGE_SIZE_MAX`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    pub page: u32,
    pub page_size: u32,
}

impl Paging {
    /// Rows before this page.
    pub fn offset(self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.page_size)
    }
}

pub struct PersonFilter {
    name: Option<String>,
    psn_no: Option<String>,
    pub paging: Paging,
}

impl PersonFilter {
    pub fn matches(&self, p: &Person) -> bool {
        self.name.as_deref().is_none_or(|n| p.name.contains(n))
            && self.psn_no.as_deref().is_none_or(|n| p.psn_no.starts_with(n))
    }
}

pub struct SettlementFilter {
    psn_no: Option<String>,
    fixmedins_code: Option<String>,
    pub from: Option<DateTime>,
    /// Exclusive.
    pub until: Option<DateTime>,
    status: Option<SettlementStatus>,
    pub paging: Paging,
}

impl SettlementFilter {
    pub fn matches(&self, st: &SettlementRecord) -> bool {
        self.psn_no.as_deref().is_none_or(|p| st.psn_no == p)
            && self.fixmedins_code.as_deref().is_none_or(|f| st.fixmedins_code == f)
            && self.status.is_none_or(|s| st.status == s)
    }
}

/// A filing's columns, parsed and checked as the pack loader checks `filings.csv`.
pub struct FilingInput {
    pub category: FilingCategory,
    pub area: DivisionCode,
    pub begndate: Option<Date>,
    pub enddate: Option<Date>,
    pub commitment: bool,
}

/// Collects problems while fields are parsed.
#[derive(Default)]
struct Problems(Vec<FieldProblem>);

impl Problems {
    fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldProblem { field: field.to_string(), message: message.into() });
    }
    /// The field's text, trimmed; empty counts as absent; too long is a problem.
    fn text(&mut self, field: &str, value: &Option<String>) -> Option<String> {
        let text = value.as_deref().map(str::trim).filter(|t| !t.is_empty())?;
        if text.chars().count() > QUERY_TEXT_CHARS_MAX {
            self.push(field, format!("{field} 过长（最多 {QUERY_TEXT_CHARS_MAX} 个字符）"));
            return None;
        }
        Some(text.to_string())
    }
    fn number(&mut self, field: &str, value: &Option<String>, default: u32, max: u32) -> u32 {
        let Some(text) = self.text(field, value) else { return default };
        match text.parse::<u32>() {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => {
                self.push(field, format!("{field} 应为 1–{max} 的整数，收到“{text}”"));
                default
            }
        }
    }
    fn paging(&mut self, page: &Option<String>, page_size: &Option<String>) -> Paging {
        let page = self.number("page", page, 1, PAGE_MAX);
        let page_size = self.number("page_size", page_size, PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX);
        Paging { page, page_size }
    }
    fn date(&mut self, field: &str, value: &Option<String>) -> Option<Date> {
        let text = self.text(field, value)?;
        Date::parse(&text)
            .map_err(|_| self.push(field, format!("{field} 应为日期 YYYY-MM-DD，收到“{text}”")))
            .ok()
    }
    fn finish<T>(self, value: T) -> Result<T, Vec<FieldProblem>> {
        if self.0.is_empty() { Ok(value) } else { Err(self.0) }
    }
}

impl PersonQuery {
    pub fn parse(&self) -> Result<PersonFilter, Vec<FieldProblem>> {
        let mut p = Problems::default();
        let name = p.text("name", &self.name);
        let psn_no = p.text("psn_no", &self.psn_no);
        let paging = p.paging(&self.page, &self.page_size);
        p.finish(PersonFilter { name, psn_no, paging })
    }
}

impl SettlementQuery {
    pub fn parse(&self) -> Result<SettlementFilter, Vec<FieldProblem>> {
        let mut p = Problems::default();
        let psn_no = p.text("psn_no", &self.psn_no);
        let fixmedins_code = p.text("fixmedins_code", &self.fixmedins_code);
        let from = time_bound(&mut p, "from", &self.from, false);
        let until = time_bound(&mut p, "to", &self.to, true);
        if let (Some(from), Some(until)) = (from, until)
            && from >= until
        {
            p.push("to", format!("时间范围为空：to 应不早于 from（{from}）"));
        }
        let status = match p.text("status", &self.status).as_deref() {
            None => None,
            Some("settled") => Some(SettlementStatus::Settled),
            Some("reversed") => Some(SettlementStatus::Reversed),
            Some(other) => {
                p.push(
                    "status",
                    format!("status 应为 settled（已结算）或 reversed（已撤销），收到“{other}”"),
                );
                None
            }
        };
        let paging = p.paging(&self.page, &self.page_size);
        p.finish(SettlementFilter { psn_no, fixmedins_code, from, until, status, paging })
    }
}

/// A time bound: a date means its whole day; `until` is returned exclusive.
fn time_bound(p: &mut Problems, field: &str, value: &Option<String>, until: bool) -> Option<DateTime> {
    let text = p.text(field, value)?;
    let parsed = match Date::parse(&text) {
        Ok(date) if until => Some(DateTime::start_of(date.add_days(1))),
        Ok(date) => Some(DateTime::start_of(date)),
        Err(_) => DateTime::parse(&text)
            .ok()
            .map(|t| if until { DateTime::from_epoch_secs(t.to_epoch_secs() + 1) } else { t }),
    };
    if parsed.is_none() {
        p.push(field, format!("{field} 应为 YYYY-MM-DD 或 YYYY-MM-DD HH:MM:SS，收到“{text}”"));
    }
    parsed
}

impl NewFiling {
    /// Parses and checks the filing as `filings.csv` rows are checked: a known category; a
    /// province or city code (or `000000` for temporary categories only); `begndate ≤ enddate`.
    pub fn parse(
        &self,
        divisions: &BTreeMap<DivisionCode, Division>,
    ) -> Result<FilingInput, Vec<FieldProblem>> {
        let mut p = Problems::default();
        let category = match p.text("category", &self.category) {
            None => {
                p.push("category", "缺少备案类别 category");
                None
            }
            Some(text) => FilingCategory::parse(&text).map_err(|e| p.push("category", e.to_string())).ok(),
        };
        let area = match p.text("mdtrtarea_admvs", &self.mdtrtarea_admvs) {
            None => {
                p.push("mdtrtarea_admvs", "缺少备案地（就医地区划）mdtrtarea_admvs");
                None
            }
            Some(text) => {
                DivisionCode::parse(&text).map_err(|e| p.push("mdtrtarea_admvs", e.to_string())).ok()
            }
        };
        if let (Some(area), Some(category)) = (area, category) {
            check_area(&mut p, area, category, divisions);
        }
        let begndate = p.date("begndate", &self.begndate);
        let enddate = p.date("enddate", &self.enddate);
        if let (Some(begin), Some(end)) = (begndate, enddate)
            && end < begin
        {
            p.push("enddate", format!("结束日期 {end} 早于开始日期 {begin}"));
        }
        let commitment = self.commitment.unwrap_or(false);
        match (category, area) {
            (Some(category), Some(area)) => {
                p.finish(FilingInput { category, area, begndate, enddate, commitment })
            }
            _ => Err(p.0),
        }
    }
}

/// The area rules of `yidi-refdata`'s `filings.csv` loader, with the same wording.
fn check_area(
    p: &mut Problems,
    area: DivisionCode,
    category: FilingCategory,
    divisions: &BTreeMap<DivisionCode, Division>,
) {
    let field = "mdtrtarea_admvs";
    if area.is_country() {
        if category.is_long_term() {
            let msg = format!(
                "000000（全国）只用于临时外出类备案（referral、emergency、other_temporary），长期备案 {category}（{}）须填写省或市代码",
                category.name_zh()
            );
            p.push(field, msg);
        }
        return;
    }
    match divisions.get(&area) {
        Some(d) if matches!(d.level, DivisionLevel::Province | DivisionLevel::City) => {}
        Some(d) => p.push(
            field,
            format!("{area}（{}）是县级区划，备案地应为省（xx0000）或地级市（xxxx00）代码", d.name),
        ),
        None => p.push(
            field,
            format!("{area} 不是已知的省或地级市代码（应为 xx0000 或 xxxx00，或临时外出类的 000000）"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(from: &str, to: &str) -> SettlementQuery {
        SettlementQuery { from: Some(from.into()), to: Some(to.into()), ..Default::default() }
    }

    /// A date bound covers its whole day; a time bound is inclusive to the second.
    #[test]
    fn time_bounds_are_inclusive() {
        let f = q("2025-03-02", "2025-03-02").parse().unwrap();
        assert_eq!(f.from, Some(DateTime::parse("2025-03-02 00:00:00").unwrap()));
        assert_eq!(f.until, Some(DateTime::parse("2025-03-03 00:00:00").unwrap()));
        let f = q("2025-03-02 09:00:00", "2025-03-02 09:30:00").parse().unwrap();
        assert_eq!(f.until, Some(DateTime::parse("2025-03-02 09:30:01").unwrap()));
    }

    /// Every bad field is reported at once.
    #[test]
    fn every_problem_is_listed() {
        let query = SettlementQuery {
            from: Some("2025-13-01".into()),
            status: Some("paid".into()),
            page: Some("0".into()),
            page_size: Some("101".into()),
            ..Default::default()
        };
        let fields: Vec<String> = query.parse().err().unwrap().into_iter().map(|p| p.field).collect();
        assert_eq!(fields, ["from", "status", "page", "page_size"]);
        let empty = q("2025-03-03", "2025-03-02").parse().err().unwrap();
        assert_eq!(empty[0].field, "to");
    }
}
