//! Why a claim cannot be settled directly: typed reasons with a stable `err_code` and a Chinese
//! message a clerk can act on (what is wrong, and what to do next).

use yidi_domain::{BenefitKind, DivisionCode, Fen, InsuType, MedType};

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("结算单据格式错误：{reason}")]
    InvalidClaim { reason: String },

    #[error("未找到人员编号 {psn_no} 的参保信息，请核对人员编号或先做人员信息获取（1101）")]
    UnknownPerson { psn_no: String },

    #[error("定点机构 {code} 不在定点医药机构名单中，请核对机构编码")]
    UnknownFacility { code: String },

    #[error("医疗类别 {med_type} 未开通跨区域直接结算，请按{alternative}处理")]
    MedTypeNotSupported { med_type: MedType, alternative: &'static str },

    #[error("{facility} {reason}，不能直接结算；参保人可回参保地手工报销")]
    FacilityNotOpen { facility: String, reason: String },

    #[error("{region}（{side}）未开通{kind}跨区域直接结算，不能直接结算；参保人可回参保地手工报销")]
    RegionNotOpen { region: String, side: &'static str, kind: &'static str },

    #[error(
        "诊断 {dise_codg} 不属于 {date} 有效的跨省门诊慢特病病种，不能按门诊慢特病直接结算；请核对诊断，或回参保地手工报销"
    )]
    ChronicNotListed { dise_codg: String, date: String },

    #[error(
        "参保人未在参保地办理“{disease}”门诊慢特病待遇认定（或认定不在有效期内），请先到参保地办理资格认定；本次可按普通门诊结算或回参保地手工报销"
    )]
    ChronicNotEntitled { disease: String },

    #[error(
        "明细 {feedetl_sn}：医保目录编码 {code} 不在 {province} {date} 有效的支付目录中，请核对目录对照后重新上传"
    )]
    UnknownCatalogCode { feedetl_sn: String, code: String, province: DivisionCode, date: String },

    #[error(
        "明细 {feedetl_sn}：明细金额 {declared} 元与数量×单价 {computed} 元不一致，整单未结算，请更正后重新上传"
    )]
    AmountMismatch { feedetl_sn: String, declared: Fen, computed: Fen },

    #[error(
        "参保人在 {insured} 参保，未办理到 {treatment} 的异地就医备案，参保地不允许未备案直接结算；请参保人通过国家医保服务平台 App 等渠道在线备案后重新结算{inpatient_hint}"
    )]
    FilingRequired { insured: String, treatment: String, inpatient_hint: &'static str },

    #[error(
        "参保地 {region} 没有 {date} 适用的{insutype}{kind}待遇政策（人员类别：{group}{disease}），请联系参保地经办机构核实政策配置"
    )]
    NoPolicy {
        region: String,
        insutype: &'static str,
        kind: &'static str,
        group: &'static str,
        disease: String,
        date: String,
    },
}

impl Refusal {
    /// The stable machine-readable reason (`data-formats.md`, result format).
    pub fn err_code(&self) -> &'static str {
        match self {
            Refusal::InvalidClaim { .. } => "invalid_claim",
            Refusal::UnknownPerson { .. } => "unknown_person",
            Refusal::UnknownFacility { .. } => "unknown_facility",
            Refusal::MedTypeNotSupported { .. } => "med_type_not_supported",
            Refusal::FacilityNotOpen { .. } => "facility_not_open",
            Refusal::RegionNotOpen { .. } => "region_not_open",
            Refusal::ChronicNotListed { .. } => "chronic_not_listed",
            Refusal::ChronicNotEntitled { .. } => "chronic_not_entitled",
            Refusal::UnknownCatalogCode { .. } => "unknown_catalog_code",
            Refusal::AmountMismatch { .. } => "amount_mismatch",
            Refusal::FilingRequired { .. } => "filing_required",
            Refusal::NoPolicy { .. } => "no_policy",
        }
    }

    pub(crate) fn invalid(reason: impl Into<String>) -> Refusal {
        Refusal::InvalidClaim { reason: reason.into() }
    }

    pub(crate) fn no_policy(
        region: String,
        insutype: InsuType,
        kind: BenefitKind,
        group: &'static str,
        disease: Option<&str>,
        date: yidi_domain::Date,
    ) -> Refusal {
        Refusal::NoPolicy {
            region,
            insutype: insutype.name_zh(),
            kind: kind.name_zh(),
            group,
            disease: disease.map(|d| format!("，病种 {d}")).unwrap_or_default(),
            date: date.to_string(),
        }
    }
}
