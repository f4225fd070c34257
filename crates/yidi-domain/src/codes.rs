//! Validated codes: each is parsed once at the edge and cannot hold an invalid value afterwards.

use std::fmt;

use crate::time::Date;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("区划代码“{0}”应为 6 位数字")]
    Division(String),
    #[error("险种类型“{0}”无效（应为 310 职工 或 390 居民）")]
    InsuType(String),
    #[error("医疗类别“{0}”应为 1–6 位数字")]
    MedType(String),
    #[error("收费项目等级“{0}”无效（应为 01 甲类、02 乙类 或 03 丙类）")]
    ChrgitmLv(String),
    #[error("定点机构编码“{0}”不符合国家格式（H 或 P + 6 位区划 + 5 位数字）")]
    Facility(String),
    #[error("身份证号“{0}”应为 18 位（17 位数字 + 校验码）")]
    CertNoShape(String),
    #[error("身份证号“{0}”校验码错误（应为 {1}）")]
    CertNoCheckDigit(String, char),
    #[error("身份证号“{0}”中的出生日期无效")]
    CertNoBirthDate(String),
    #[error("“{value}”不是合法的{what}（可选：{allowed}）")]
    Enum { what: &'static str, value: String, allowed: &'static str },
}

/// A 6-digit administrative division code (GB/T 2260).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DivisionCode(u32);

impl DivisionCode {
    /// The whole country, used as a filing area for temporary filings.
    pub const COUNTRY: DivisionCode = DivisionCode(0);

    pub fn parse(text: &str) -> Result<DivisionCode, CodeError> {
        if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::Division(text.to_string()));
        }
        Ok(DivisionCode(text.parse().expect("six digits")))
    }
    pub fn get(self) -> u32 {
        self.0
    }
    /// `xx0000`: a province-level code (or the country, `000000`).
    pub fn is_province(self) -> bool {
        self.0.is_multiple_of(10_000) && self.0 != 0
    }
    /// `xxxx00` that is not a province: a prefecture-level city.
    pub fn is_city(self) -> bool {
        self.0.is_multiple_of(100) && !self.is_province() && self.0 != 0
    }
    pub fn is_country(self) -> bool {
        self.0 == 0
    }
    /// The province containing this code (`xx0000`).
    pub fn province(self) -> DivisionCode {
        DivisionCode(self.0 / 10_000 * 10_000)
    }
    /// The prefecture-level city containing this code (`xxxx00`; a province code stays itself).
    pub fn city(self) -> DivisionCode {
        DivisionCode(self.0 / 100 * 100)
    }
    /// The 2-digit province prefix.
    pub fn province_prefix(self) -> u32 {
        self.0 / 10_000
    }
    /// Whether this code, taken as an area (country, province, city or single code), contains
    /// `other`: `000000` everything; `xx0000` every code starting with `xx`; `xxxx00` every code
    /// starting with `xxxx`; any other code only itself (`settlement.md` §3–4).
    pub fn covers(self, other: DivisionCode) -> bool {
        if self.is_country() {
            true
        } else if self.is_province() {
            self.0 / 10_000 == other.0 / 10_000
        } else if self.is_city() {
            self.0 / 100 == other.0 / 100
        } else {
            self.0 == other.0
        }
    }
    /// How specific an area is: country 0, province 1, city 2, county 3.
    pub fn specificity(self) -> u8 {
        if self.is_country() {
            0
        } else if self.is_province() {
            1
        } else if self.is_city() {
            2
        } else {
            3
        }
    }
}

impl fmt::Display for DivisionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn parse(text: &str) -> Result<$name, CodeError> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err(CodeError::Enum {
                        what: $what,
                        value: text.to_string(),
                        allowed: concat!($($text, " "),+),
                    }),
                }
            }
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

code_enum!(
    /// `insutype`: which basic insurance scheme.
    InsuType, "险种类型", { Employee = "310", Resident = "390" }
);

code_enum!(
    /// `chrgitm_lv`: the catalog class of a line.
    ChrgitmLv, "收费项目等级", { A = "01", B = "02", C = "03" }
);

code_enum!(
    /// The benefit kind a `med_type` maps to (`settlement.md` §3).
    BenefitKind, "待遇类别", { Outpatient = "outpatient", Chronic = "chronic", Inpatient = "inpatient" }
);

code_enum!(
    /// Person group inside an insurance type.
    PsnGroup, "人员类别", { InService = "in_service", Retired = "retired", Adult = "adult", Minor = "minor" }
);

code_enum!(
    /// Medical-assistance class (医疗救助对象).
    AssistClass, "救助类别", { Tekun = "tekun", Dibao = "dibao", Dishouru = "dishouru" }
);

code_enum!(
    /// The six filing categories of 规程2022.
    FilingCategory, "备案类别", {
        RetiredResettled = "retired_resettled",
        LongTermResident = "long_term_resident",
        PostedWorker = "posted_worker",
        Referral = "referral",
        Emergency = "emergency",
        OtherTemporary = "other_temporary",
    }
);

code_enum!(
    /// Catalog list type.
    ListType, "目录类别", { Drug = "drug", Service = "service", Material = "material" }
);

code_enum!(
    /// Facility kind.
    FacilityKind, "机构类型", { Hospital = "hospital", Clinic = "clinic", Pharmacy = "pharmacy" }
);

code_enum!(
    /// `gend`: 1 male, 2 female, 0/9 unknown/unstated (GB/T 2261.1).
    Gender, "性别", { Unknown = "0", Male = "1", Female = "2", Unstated = "9" }
);

impl InsuType {
    pub fn name_zh(self) -> &'static str {
        match self {
            InsuType::Employee => "职工基本医疗保险",
            InsuType::Resident => "城乡居民基本医疗保险",
        }
    }
    /// Whether a person group belongs to this insurance type.
    pub fn admits(self, group: PsnGroup) -> bool {
        matches!(
            (self, group),
            (InsuType::Employee, PsnGroup::InService | PsnGroup::Retired)
                | (InsuType::Resident, PsnGroup::Adult | PsnGroup::Minor)
        )
    }
}

impl PsnGroup {
    pub fn name_zh(self) -> &'static str {
        match self {
            PsnGroup::InService => "在职",
            PsnGroup::Retired => "退休",
            PsnGroup::Adult => "成年居民",
            PsnGroup::Minor => "未成年居民",
        }
    }
}

impl BenefitKind {
    pub fn name_zh(self) -> &'static str {
        match self {
            BenefitKind::Outpatient => "普通门诊",
            BenefitKind::Chronic => "门诊慢特病",
            BenefitKind::Inpatient => "住院",
        }
    }
}

impl FilingCategory {
    pub fn is_long_term(self) -> bool {
        matches!(
            self,
            FilingCategory::RetiredResettled
                | FilingCategory::LongTermResident
                | FilingCategory::PostedWorker
        )
    }
    pub fn name_zh(self) -> &'static str {
        match self {
            FilingCategory::RetiredResettled => "异地安置退休",
            FilingCategory::LongTermResident => "异地长期居住",
            FilingCategory::PostedWorker => "常驻异地工作",
            FilingCategory::Referral => "异地转诊",
            FilingCategory::Emergency => "异地急诊抢救",
            FilingCategory::OtherTemporary => "其他临时外出就医",
        }
    }
}

impl ChrgitmLv {
    pub fn name_zh(self) -> &'static str {
        match self {
            ChrgitmLv::A => "甲类",
            ChrgitmLv::B => "乙类",
            ChrgitmLv::C => "丙类",
        }
    }
}

/// `med_type`: the national medical-category code. Any short digit string parses; only the codes
/// of `settlement.md` §3 map to a benefit kind, the rest are refused as not open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MedType(u32);

impl MedType {
    pub fn parse(text: &str) -> Result<MedType, CodeError> {
        if text.is_empty() || text.len() > 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::MedType(text.to_string()));
        }
        Ok(MedType(text.parse().expect("digits")))
    }
    pub fn code(self) -> String {
        format!("{:02}", self.0)
    }
    pub fn benefit_kind(self) -> Option<BenefitKind> {
        match self.0 {
            11 | 13 | 41 => Some(BenefitKind::Outpatient),
            14 => Some(BenefitKind::Chronic),
            21 | 22 | 24 | 28 => Some(BenefitKind::Inpatient),
            _ => None,
        }
    }
    /// `13` 急诊 and `24` 急诊转住院 are emergencies by themselves.
    pub fn is_emergency(self) -> bool {
        matches!(self.0, 13 | 24)
    }
    pub fn name_zh(self) -> &'static str {
        match self.0 {
            11 => "普通门诊",
            13 => "急诊",
            14 => "门诊慢特病",
            21 => "普通住院",
            22 => "外伤住院",
            24 => "急诊转住院",
            28 => "日间手术",
            41 => "药店购药",
            _ => "未开通的医疗类别",
        }
    }
}

impl fmt::Display for MedType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.0)
    }
}

/// A designated facility's national code: `H` (hospital/clinic) or `P` (pharmacy), the 6-digit
/// division, then 5 digits (`H31010400123`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FacilityCode(String);

impl FacilityCode {
    pub fn parse(text: &str) -> Result<FacilityCode, CodeError> {
        let b = text.as_bytes();
        let ok = b.len() == 12 && (b[0] == b'H' || b[0] == b'P') && b[1..].iter().all(u8::is_ascii_digit);
        if !ok {
            return Err(CodeError::Facility(text.to_string()));
        }
        Ok(FacilityCode(text.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn is_pharmacy(&self) -> bool {
        self.0.starts_with('P')
    }
    /// The division embedded in the code.
    pub fn division(&self) -> DivisionCode {
        DivisionCode::parse(&self.0[1..7]).expect("validated on parse")
    }
}

impl fmt::Display for FacilityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An 18-digit resident identity number (GB 11643) with a valid ISO 7064 MOD 11-2 check digit.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CertNo(String);

const CERTNO_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CERTNO_CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

impl CertNo {
    /// The ISO 7064 MOD 11-2 check character for the first 17 digits.
    pub fn check_digit(first17: &str) -> Option<char> {
        if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let sum: u32 = first17.bytes().zip(CERTNO_WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
        Some(CERTNO_CHECK[(sum % 11) as usize])
    }

    pub fn parse(text: &str) -> Result<CertNo, CodeError> {
        let upper = text.to_ascii_uppercase();
        // Non-ASCII text is rejected before any byte slicing (a slice could split a character).
        if upper.len() != 18 || !upper.is_ascii() {
            return Err(CodeError::CertNoShape(text.to_string()));
        }
        let (first17, last) = upper.split_at(17);
        let expected =
            CertNo::check_digit(first17).ok_or_else(|| CodeError::CertNoShape(text.to_string()))?;
        let last = last.chars().next().expect("one char");
        if !(last.is_ascii_digit() || last == 'X') {
            return Err(CodeError::CertNoShape(text.to_string()));
        }
        if last != expected {
            return Err(CodeError::CertNoCheckDigit(text.to_string(), expected));
        }
        if Date::parse_compact(&upper[6..14]).is_none() {
            return Err(CodeError::CertNoBirthDate(text.to_string()));
        }
        Ok(CertNo(upper))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The division of the place of first registration (digits 1–6).
    pub fn division(&self) -> DivisionCode {
        DivisionCode::parse(&self.0[0..6]).expect("validated on parse")
    }
    pub fn birth_date(&self) -> Date {
        Date::parse_compact(&self.0[6..14]).expect("validated on parse")
    }
    /// Odd sequence digit (17th) = male, even = female.
    pub fn gender(&self) -> Gender {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 { Gender::Male } else { Gender::Female }
    }
    /// The masked form shown in logs and public views: first 3 and last 4 characters.
    pub fn masked(&self) -> String {
        format!("{}***********{}", &self.0[0..3], &self.0[14..18])
    }
}

/// Debug prints the masked form so identity numbers never leak through `{:?}` into logs.
impl fmt::Debug for CertNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CertNo({})", self.masked())
    }
}

impl fmt::Display for CertNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// Masks a person's name for logs and public views: keeps the first character (the surname).
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_areas_cover_their_codes() {
        let sh = DivisionCode::parse("310000").unwrap();
        let xuhui = DivisionCode::parse("310104").unwrap();
        let nanjing = DivisionCode::parse("320100").unwrap();
        let gulou = DivisionCode::parse("320106").unwrap();
        assert!(sh.is_province() && sh.covers(xuhui));
        assert!(nanjing.is_city() && nanjing.covers(gulou));
        assert!(!nanjing.covers(xuhui));
        assert!(xuhui.covers(xuhui) && !xuhui.covers(sh));
        assert!(DivisionCode::COUNTRY.covers(gulou));
        assert_eq!(gulou.province(), DivisionCode::parse("320000").unwrap());
        assert!(DivisionCode::parse("32010").is_err());
    }

    #[test]
    fn cert_numbers_check_their_digit() {
        // The GB 11643 example number.
        assert!(CertNo::parse("11010519491231002X").is_ok());
        assert!(CertNo::parse("11010519491231002x").is_ok());
        assert_eq!(
            CertNo::parse("110105194912310021"),
            Err(CodeError::CertNoCheckDigit("110105194912310021".into(), 'X'))
        );
        assert!(CertNo::parse("1101051949123100").is_err());
        assert!(CertNo::parse("11010519491231002é").is_err());
        let c = CertNo::parse("11010519491231002X").unwrap();
        assert_eq!(c.birth_date().to_string(), "1949-12-31");
        assert_eq!(c.masked(), "110***********002X");
        assert_eq!(format!("{c:?}"), "CertNo(110***********002X)");
        assert_eq!(c.gender(), Gender::Female);
    }

    #[test]
    fn med_types_map_to_benefit_kinds() {
        assert_eq!(MedType::parse("11").unwrap().benefit_kind(), Some(BenefitKind::Outpatient));
        assert_eq!(MedType::parse("14").unwrap().benefit_kind(), Some(BenefitKind::Chronic));
        assert_eq!(MedType::parse("28").unwrap().benefit_kind(), Some(BenefitKind::Inpatient));
        assert_eq!(MedType::parse("99").unwrap().benefit_kind(), None);
        assert!(MedType::parse("1a").is_err());
        assert_eq!(MedType::parse("11").unwrap().to_string(), "11");
    }

    #[test]
    fn facility_codes_follow_the_national_form() {
        let h = FacilityCode::parse("H31010400123").unwrap();
        assert_eq!(h.division().to_string(), "310104");
        assert!(FacilityCode::parse("X31010400123").is_err());
        assert!(FacilityCode::parse("H3101040012").is_err());
        assert!(FacilityCode::parse("P11010500001").unwrap().is_pharmacy());
    }

    #[test]
    fn names_are_masked() {
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_name(""), "");
    }
}
