//! The chart of accounts: typed accounts, each with a stable text code for storage.
//!
//! The chart is small on purpose. Personal accounts are one aggregated account per insured region
//! (fund code 310200), not one per person: the person's balance lives in `PersonState`, and the
//! ledger only has to show how much personal-account money went to other provinces. A chart of
//! tens of thousands of accounts (regions × funds, province pairs, facilities) stays in memory.

use std::fmt;

use yidi_domain::{DivisionCode, FacilityCode, InsuType};

/// A problem with an account code or a code inside it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("账户代码“{0}”无法识别")]
    Code(String),
    #[error("“{0}”不是省级区划代码（应为 xx0000）")]
    NotProvince(String),
    #[error("省份对 {0} 的参保省与就医省相同，不属于跨省")]
    SameProvince(String),
    #[error("基金代码“{0}”无效（可选：310100 390100 330100 390200 610100 310200）")]
    Fund(String),
    #[error("定点机构编码“{0}”无效")]
    Facility(String),
}

/// A fund that pays part of a settlement (`setldetail.fund_pay_type`, `settlement.md` §8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fund {
    /// 310100: employees' basic pool (`hifp_pay` of insutype 310).
    EmployeeBasic,
    /// 390100: residents' basic pool (`hifp_pay` of insutype 390).
    ResidentBasic,
    /// 330100: employees' large-amount subsidy (`hifob_pay`).
    LargeAmount,
    /// 390200: residents' critical-illness insurance (`hifmi_pay`).
    CriticalIllness,
    /// 610100: medical assistance (`maf_pay`).
    Assistance,
    /// 310200: personal accounts (`acct_pay`), aggregated per insured region.
    PersonalAccount,
}

impl Fund {
    /// Every fund, in the order of `setldetail` and of statement columns.
    pub const ALL: [Fund; 6] = [
        Fund::EmployeeBasic,
        Fund::ResidentBasic,
        Fund::LargeAmount,
        Fund::CriticalIllness,
        Fund::Assistance,
        Fund::PersonalAccount,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Fund::EmployeeBasic => "310100",
            Fund::ResidentBasic => "390100",
            Fund::LargeAmount => "330100",
            Fund::CriticalIllness => "390200",
            Fund::Assistance => "610100",
            Fund::PersonalAccount => "310200",
        }
    }

    pub fn parse(text: &str) -> Result<Fund, AccountError> {
        Fund::ALL.into_iter().find(|f| f.code() == text).ok_or_else(|| AccountError::Fund(text.to_string()))
    }

    /// The basic pool of an insurance type.
    pub fn basic(insutype: InsuType) -> Fund {
        match insutype {
            InsuType::Employee => Fund::EmployeeBasic,
            InsuType::Resident => Fund::ResidentBasic,
        }
    }

    /// Pooled funds make up the fund share charged against a prepayment (rule 21); the personal
    /// account does not.
    pub fn is_pooled(self) -> bool {
        self != Fund::PersonalAccount
    }

    /// Position in [`Fund::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Fund {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// `clr_type`: the care type a settlement is cleared under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClrType {
    /// 11: outpatient and chronic-disease care.
    Outpatient,
    /// 21: inpatient care.
    Inpatient,
}

impl ClrType {
    pub const ALL: [ClrType; 2] = [ClrType::Outpatient, ClrType::Inpatient];

    pub fn code(self) -> &'static str {
        match self {
            ClrType::Outpatient => "11",
            ClrType::Inpatient => "21",
        }
    }
    pub fn parse(text: &str) -> Option<ClrType> {
        ClrType::ALL.into_iter().find(|c| c.code() == text)
    }
    pub fn index(self) -> usize {
        self as usize
    }
}

/// An insured province → treatment province pair: the unit of prepayment and clearing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pair {
    insured: DivisionCode,
    treatment: DivisionCode,
}

impl Pair {
    /// Both codes must be provinces, and different ones.
    pub fn new(insured: DivisionCode, treatment: DivisionCode) -> Result<Pair, AccountError> {
        for code in [insured, treatment] {
            if !code.is_province() {
                return Err(AccountError::NotProvince(code.to_string()));
            }
        }
        if insured == treatment {
            return Err(AccountError::SameProvince(format!("{insured}>{treatment}")));
        }
        Ok(Pair { insured, treatment })
    }

    pub fn insured(self) -> DivisionCode {
        self.insured
    }
    pub fn treatment(self) -> DivisionCode {
        self.treatment
    }

    /// Parses `150000>110000`.
    pub fn parse(text: &str) -> Result<Pair, AccountError> {
        let bad = || AccountError::Code(text.to_string());
        let (a, b) = text.split_once('>').ok_or_else(bad)?;
        let a = DivisionCode::parse(a).map_err(|_| bad())?;
        let b = DivisionCode::parse(b).map_err(|_| bad())?;
        Pair::new(a, b)
    }
}

impl fmt::Display for Pair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}>{}", self.insured, self.treatment)
    }
}

/// A facility code packed into an integer, so that accounts are `Copy` and hash cheaply: the
/// national code is `H`/`P` + 11 digits, which fits 38 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FacilityId(u64);

const PHARMACY_BIT: u64 = 1 << 40;

impl FacilityId {
    pub fn of(code: &FacilityCode) -> FacilityId {
        let text = code.as_str();
        let digits: u64 = text[1..].parse().expect("a facility code has 11 digits after its letter");
        FacilityId(if code.is_pharmacy() { PHARMACY_BIT | digits } else { digits })
    }

    pub fn parse(text: &str) -> Result<FacilityId, AccountError> {
        FacilityCode::parse(text)
            .map(|c| FacilityId::of(&c))
            .map_err(|_| AccountError::Facility(text.to_string()))
    }

    /// The division embedded in the code (the facility's place).
    pub fn division(self) -> DivisionCode {
        let digits = self.0 & (PHARMACY_BIT - 1);
        DivisionCode::parse(&format!("{:06}", digits / 100_000)).expect("six digits")
    }
}

impl fmt::Display for FacilityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let letter = if self.0 & PHARMACY_BIT != 0 { 'P' } else { 'H' };
        write!(f, "{letter}{:011}", self.0 & (PHARMACY_BIT - 1))
    }
}

/// An account of the chart. The comment on each variant says what its balance (debits − credits)
/// means; "Dr" accounts normally carry a positive balance, "Cr" accounts a negative one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Account {
    /// `fund:150100:390100` — Dr: cross-province care charged to this fund of the insured pooling
    /// region (net of reversals, refusals and recoveries). 310200 is the region's personal
    /// accounts, aggregated.
    Fund { region: DivisionCode, fund: Fund },
    /// `cash:150100` — Cr: cash that persons insured in the region paid at facilities.
    PersonsCash { region: DivisionCode },
    /// `prov:150000` — Cr: money the insured province's finance paid to treatment provinces
    /// (prepayments and clearing payments, net).
    ProvinceFinance { province: DivisionCode },
    /// `prepay:150000>110000` — Dr: the prepayment float the treatment province holds for the
    /// insured province and has not yet spent: funded − fund shares charged + clearing payments.
    Prepayment { pair: Pair },
    /// `transit:150000>110000` — Cr: clearing in transit outside the float: personal-account
    /// shares the treatment side advanced, which the next clearing payment brings back.
    Transit { pair: Pair },
    /// `adj:150000>110000` — Dr: refusals, deductions and recoveries booked in the insured
    /// province's favour and not yet applied by a clearing payment.
    Adjustment { pair: Pair },
    /// `lump:150000>110000` — the difference between itemised and per-capita lump-sum clearing:
    /// Cr when the treatment side bore more than the lump sum brought, Dr when it kept a surplus.
    LumpSum { pair: Pair },
    /// `agency:110100:pay` — Cr: what the treatment-place agency owes its facilities for
    /// cross-province care (the control account of the facility receivables below).
    AgencyPayable { agency: DivisionCode },
    /// `fac:H11010500001:recv` — Dr: what the facility is owed by its agency for the insured share
    /// of cross-province settlements, not yet paid under the local agreement.
    FacilityReceivable { facility: FacilityId },
    /// `fac:H11010500001:cash` — Dr: cash the facility collected from cross-province patients.
    FacilityCash { facility: FacilityId },
    /// `reimb:150100:pay` — Cr: manual reimbursements (手工报销, rule 26) the insured pooling region
    /// computed and owes its persons, not yet paid.
    ReimbursementPayable { region: DivisionCode },
    /// `bank:150100` — Cr: money the insured pooling region's funds paid out of their own bank
    /// account to persons (manual reimbursements), as opposed to the province's finance.
    FundBank { region: DivisionCode },
}

impl Account {
    /// The stable text code stored with each entry.
    pub fn code(&self) -> String {
        self.to_string()
    }

    /// Parses a code written by [`Account::code`].
    pub fn parse(text: &str) -> Result<Account, AccountError> {
        let bad = || AccountError::Code(text.to_string());
        let division = |t: &str| DivisionCode::parse(t).map_err(|_| bad());
        let province = |t: &str| {
            let d = division(t)?;
            if d.is_province() { Ok(d) } else { Err(AccountError::NotProvince(t.to_string())) }
        };
        let parts: Vec<&str> = text.split(':').collect();
        match parts.as_slice() {
            ["fund", region, fund] => {
                Ok(Account::Fund { region: division(region)?, fund: Fund::parse(fund)? })
            }
            ["cash", region] => Ok(Account::PersonsCash { region: division(region)? }),
            ["prov", p] => Ok(Account::ProvinceFinance { province: province(p)? }),
            ["prepay", pair] => Ok(Account::Prepayment { pair: Pair::parse(pair)? }),
            ["transit", pair] => Ok(Account::Transit { pair: Pair::parse(pair)? }),
            ["adj", pair] => Ok(Account::Adjustment { pair: Pair::parse(pair)? }),
            ["lump", pair] => Ok(Account::LumpSum { pair: Pair::parse(pair)? }),
            ["agency", agency, "pay"] => Ok(Account::AgencyPayable { agency: division(agency)? }),
            ["fac", f, "recv"] => Ok(Account::FacilityReceivable { facility: FacilityId::parse(f)? }),
            ["fac", f, "cash"] => Ok(Account::FacilityCash { facility: FacilityId::parse(f)? }),
            ["reimb", region, "pay"] => Ok(Account::ReimbursementPayable { region: division(region)? }),
            ["bank", region] => Ok(Account::FundBank { region: division(region)? }),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Account::Fund { region, fund } => write!(f, "fund:{region}:{fund}"),
            Account::PersonsCash { region } => write!(f, "cash:{region}"),
            Account::ProvinceFinance { province } => write!(f, "prov:{province}"),
            Account::Prepayment { pair } => write!(f, "prepay:{pair}"),
            Account::Transit { pair } => write!(f, "transit:{pair}"),
            Account::Adjustment { pair } => write!(f, "adj:{pair}"),
            Account::LumpSum { pair } => write!(f, "lump:{pair}"),
            Account::AgencyPayable { agency } => write!(f, "agency:{agency}:pay"),
            Account::FacilityReceivable { facility } => write!(f, "fac:{facility}:recv"),
            Account::FacilityCash { facility } => write!(f, "fac:{facility}:cash"),
            Account::ReimbursementPayable { region } => write!(f, "reimb:{region}:pay"),
            Account::FundBank { region } => write!(f, "bank:{region}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in [
            "fund:150100:390100",
            "fund:150100:310200",
            "cash:150100",
            "prov:150000",
            "prepay:150000>110000",
            "transit:150000>110000",
            "adj:150000>110000",
            "lump:150000>110000",
            "agency:110100:pay",
            "fac:H11010500001:recv",
            "fac:P31010400123:cash",
            "reimb:150100:pay",
            "bank:150100",
        ] {
            let account = Account::parse(code).unwrap();
            assert_eq!(account.code(), code);
        }
    }

    #[test]
    fn bad_codes_are_refused() {
        for code in ["fund:150100:999999", "prepay:150100>110000", "prepay:110000>110000", "fac:X1:recv", "x"]
        {
            assert!(Account::parse(code).is_err(), "{code} accepted");
        }
    }

    #[test]
    fn facility_ids_keep_the_division() {
        let id = FacilityId::parse("P31010400123").unwrap();
        assert_eq!(id.to_string(), "P31010400123");
        assert_eq!(id.division().to_string(), "310104");
    }
}
