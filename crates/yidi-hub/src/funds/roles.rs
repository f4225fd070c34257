//! Who may act for a province in clearing and prepayment (module doc of `funds`), and the
//! parsing of the pair and month in a request's path.

use yidi_domain::DivisionCode;
use yidi_ledger::{Month, Pair};

use crate::agency::{AgencyError, AgencyUser, FieldProblem};

/// The province of the agency's token (its region's province; itself for a province token).
pub(crate) fn province_of(who: &AgencyUser) -> Result<DivisionCode, AgencyError> {
    DivisionCode::parse(&who.admdvs).map(DivisionCode::province).map_err(|_| AgencyError::Forbidden {
        code: "province_token_required",
        message: format!("令牌的区划 {} 不是有效的行政区划代码，不能办理省际清算业务", who.admdvs),
    })
}

/// The province the token acts for: only a province token (`XX0000`) may change clearing and
/// prepayment records; a region token may read them.
pub(crate) fn acting_province(who: &AgencyUser, what: &str) -> Result<DivisionCode, AgencyError> {
    let province = province_of(who)?;
    if province.to_string() != who.admdvs {
        return Err(AgencyError::Forbidden {
            code: "province_token_required",
            message: format!(
                "{what}须由省级经办机构办理：请使用区划为 {province} 的省级令牌（yidi agency add --admdvs {province}），统筹区 {} 的令牌只能查看",
                who.admdvs
            ),
        });
    }
    Ok(province)
}

/// A pair of provinces from the path; each must be a province code and they must differ.
pub(crate) fn parse_pair(insured: &str, treatment: &str) -> Result<Pair, AgencyError> {
    let mut problems = Vec::new();
    let mut code = |field: &str, text: &str| match DivisionCode::parse(text) {
        Ok(c) if c.is_province() => Some(c),
        _ => {
            problems.push(FieldProblem {
                field: field.to_string(),
                message: format!("“{text}”不是省级区划代码（6 位，后 4 位为 0，如 320000）"),
            });
            None
        }
    };
    let (i, t) = (code("insured", insured), code("treatment", treatment));
    match (i, t) {
        (Some(i), Some(t)) => Pair::new(i, t).map_err(|_| {
            AgencyError::Invalid(vec![FieldProblem {
                field: "treatment".into(),
                message: "参保省与就医省相同：省内结算不参加省际清算".into(),
            }])
        }),
        _ => Err(AgencyError::Invalid(problems)),
    }
}

/// A clearing month from the path, `YYYY-MM`.
pub(crate) fn parse_month(text: &str) -> Result<Month, AgencyError> {
    Month::parse(text).filter(|_| text.len() == 7).ok_or_else(|| {
        AgencyError::Invalid(vec![FieldProblem {
            field: "month".into(),
            message: format!("“{text}”不是清算月份，应为 YYYY-MM，如 2025-10"),
        }])
    })
}

/// Which side of the pair the province is, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PairSide {
    Insured,
    Treatment,
}

impl PairSide {
    pub fn of(pair: Pair, province: DivisionCode) -> Option<PairSide> {
        if pair.insured() == province {
            Some(PairSide::Insured)
        } else if pair.treatment() == province {
            Some(PairSide::Treatment)
        } else {
            None
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            PairSide::Insured => "参保省",
            PairSide::Treatment => "就医省",
        }
    }
}

/// The same answer as unknown for a pair the token's province is not a party to.
pub(crate) fn pair_not_found(month: Option<Month>, pair: Pair) -> AgencyError {
    let when = month.map(|m| format!("{m} ")).unwrap_or_default();
    AgencyError::NotFound {
        code: "clearing_not_found",
        message: format!("没有本省可查看的 {when}{pair} 省际清算或预付金记录，请核对月份与省份对"),
    }
}
