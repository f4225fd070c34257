//! Civil dates and Beijing-time timestamps, as plain values.
//!
//! The engine never reads a clock: the service date, the settlement time and every effective date
//! arrive as values, so year ends and replays are deterministic. Dates are proleptic Gregorian;
//! the arithmetic is Howard Hinnant's days-from-civil algorithm.

use std::fmt;

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i16,
    month: u8,
    day: u8,
}

/// A date and a time of day to the second (Beijing time, as on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    date: Date,
    secs_of_day: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("“{0}” 不是合法日期（应为 YYYY-MM-DD）")]
    BadDate(String),
    #[error("“{0}” 不是合法时间（应为 YYYY-MM-DD HH:MM:SS）")]
    BadDateTime(String),
    #[error("“{0}” 不是合法月日（应为 MM-DD）")]
    BadMonthDay(String),
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

impl Date {
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        if !(1900..=2999).contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        if day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year: year as i16, month, day })
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Date, TimeError> {
        let bad = || TimeError::BadDate(text.to_string());
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let year = parse_digits(&text[0..4]).ok_or_else(bad)?;
        let month = parse_digits(&text[5..7]).ok_or_else(bad)?;
        let day = parse_digits(&text[8..10]).ok_or_else(bad)?;
        Date::new(year as i32, month as u8, day as u8).ok_or_else(bad)
    }

    /// Parses a `YYYYMMDD` run of digits (as inside an identity number).
    pub fn parse_compact(text: &str) -> Option<Date> {
        if text.len() != 8 {
            return None;
        }
        let year = parse_digits(&text[0..4])?;
        let month = parse_digits(&text[4..6])?;
        let day = parse_digits(&text[6..8])?;
        Date::new(year as i32, month as u8, day as u8)
    }

    pub fn year(self) -> i32 {
        i32::from(self.year)
    }
    pub fn month(self) -> u8 {
        self.month
    }
    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01.
    pub fn to_days(self) -> i64 {
        let (y, m, d) = (i64::from(self.year), i64::from(self.month), i64::from(self.day));
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i16;
        Date { year, month, day }
    }

    pub fn add_days(self, days: i64) -> Date {
        Date::from_days(self.to_days() + days)
    }

    /// The same day `months` later, clamped to the month's last day (used for validity periods).
    pub fn add_months(self, months: i32) -> Date {
        let total = self.year() * 12 + i32::from(self.month) - 1 + months;
        let year = total.div_euclid(12);
        let month = (total.rem_euclid(12) + 1) as u8;
        let day = self.day.min(days_in_month(year, month));
        Date { year: year as i16, month, day }
    }

    /// `yyyymm`, the key of a calendar month (monthly caps, clearing months).
    pub fn year_month(self) -> u32 {
        self.year as u32 * 100 + u32::from(self.month)
    }

    /// The policy year containing this date for a year starting on `start` (month, day): the
    /// calendar year in which that policy year begins (`data-formats.md`, accumulators.csv).
    pub fn policy_year(self, start: MonthDay) -> i32 {
        if (self.month, self.day) >= (start.month, start.day) { self.year() } else { self.year() - 1 }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A month and day without a year (a policy year's start, `07-01`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthDay {
    month: u8,
    day: u8,
}

impl MonthDay {
    pub const JAN_1: MonthDay = MonthDay { month: 1, day: 1 };

    pub fn parse(text: &str) -> Result<MonthDay, TimeError> {
        let bad = || TimeError::BadMonthDay(text.to_string());
        let b = text.as_bytes();
        if b.len() != 5 || b[2] != b'-' {
            return Err(bad());
        }
        let month = parse_digits(&text[0..2]).ok_or_else(bad)? as u8;
        let day = parse_digits(&text[3..5]).ok_or_else(bad)? as u8;
        // 2001 is not a leap year: a policy year may not start on 29 February.
        Date::new(2001, month, day).ok_or_else(bad)?;
        Ok(MonthDay { month, day })
    }
    pub fn month(self) -> u8 {
        self.month
    }
    pub fn day(self) -> u8 {
        self.day
    }
}

impl fmt::Display for MonthDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

impl DateTime {
    pub fn new(date: Date, hour: u8, minute: u8, second: u8) -> Option<DateTime> {
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        Some(DateTime {
            date,
            secs_of_day: u32::from(hour) * 3_600 + u32::from(minute) * 60 + u32::from(second),
        })
    }

    /// The first second of a date.
    pub fn start_of(date: Date) -> DateTime {
        DateTime { date, secs_of_day: 0 }
    }

    /// Parses `YYYY-MM-DD HH:MM:SS`; a `T` separator is accepted as on the wire.
    pub fn parse(text: &str) -> Result<DateTime, TimeError> {
        let bad = || TimeError::BadDateTime(text.to_string());
        let b = text.as_bytes();
        if b.len() != 19 || !(b[10] == b' ' || b[10] == b'T') || b[13] != b':' || b[16] != b':' {
            return Err(bad());
        }
        let date = Date::parse(&text[0..10]).map_err(|_| bad())?;
        let hour = parse_digits(&text[11..13]).ok_or_else(bad)? as u8;
        let minute = parse_digits(&text[14..16]).ok_or_else(bad)? as u8;
        let second = parse_digits(&text[17..19]).ok_or_else(bad)? as u8;
        DateTime::new(date, hour, minute, second).ok_or_else(bad)
    }

    pub fn date(self) -> Date {
        self.date
    }
    pub fn secs_of_day(self) -> u32 {
        self.secs_of_day
    }
    /// Seconds since 1970-01-01 00:00:00 in the same (Beijing) time zone.
    pub fn to_epoch_secs(self) -> i64 {
        self.date.to_days() * 86_400 + i64::from(self.secs_of_day)
    }
    pub fn from_epoch_secs(secs: i64) -> DateTime {
        DateTime {
            date: Date::from_days(secs.div_euclid(86_400)),
            secs_of_day: secs.rem_euclid(86_400) as u32,
        }
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.secs_of_day;
        write!(f, "{} {:02}:{:02}:{:02}", self.date, s / 3_600, s / 60 % 60, s % 60)
    }
}

fn parse_digits(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_dates() {
        let d = Date::parse("2024-02-29").unwrap();
        assert_eq!(d.to_string(), "2024-02-29");
        assert!(Date::parse("2025-02-29").is_err());
        assert!(Date::parse("2025-13-01").is_err());
        assert!(Date::parse("2025-1-01").is_err());
        assert_eq!(Date::from_days(d.to_days()), d);
        assert_eq!(Date::parse("1970-01-01").unwrap().to_days(), 0);
    }

    #[test]
    fn policy_year_follows_the_start() {
        let july = MonthDay::parse("07-01").unwrap();
        assert_eq!(Date::parse("2025-06-30").unwrap().policy_year(july), 2024);
        assert_eq!(Date::parse("2025-07-01").unwrap().policy_year(july), 2025);
        assert_eq!(Date::parse("2025-01-01").unwrap().policy_year(MonthDay::JAN_1), 2025);
    }

    #[test]
    fn months_clamp_to_month_end() {
        assert_eq!(Date::parse("2025-08-31").unwrap().add_months(6).to_string(), "2026-02-28");
        assert_eq!(Date::parse("2025-01-15").unwrap().add_months(-1).to_string(), "2024-12-15");
    }

    #[test]
    fn parses_date_times() {
        let t = DateTime::parse("2025-03-02 09:41:00").unwrap();
        assert_eq!(t.to_string(), "2025-03-02 09:41:00");
        assert_eq!(DateTime::parse("2025-03-02T09:41:00").unwrap(), t);
        assert!(DateTime::parse("2025-03-02 24:00:00").is_err());
        assert_eq!(DateTime::from_epoch_secs(t.to_epoch_secs()), t);
    }
}
