//! The clearing month (`setlym`): the period every statement, refusal and closing speaks about.

use std::fmt;

use yidi_domain::{Date, DateTime};

/// A calendar month, ordered in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: u16,
    month: u8,
}

impl Month {
    pub fn new(year: i32, month: u8) -> Option<Month> {
        if !(1900..=2999).contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        Some(Month { year: year as u16, month })
    }

    /// The month a date falls in.
    pub fn of(date: Date) -> Month {
        Month { year: date.year() as u16, month: date.month() }
    }

    /// The month a time falls in.
    pub fn at(at: DateTime) -> Month {
        Month::of(at.date())
    }

    /// Parses `YYYY-MM` (or `YYYYMM`, the national `setlym`).
    pub fn parse(text: &str) -> Option<Month> {
        let (y, m) = match text.len() {
            7 if text.as_bytes()[4] == b'-' => (&text[0..4], &text[5..7]),
            6 => (&text[0..4], &text[4..6]),
            _ => return None,
        };
        if !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        Month::new(y.parse().ok()?, m.parse().ok()?)
    }

    pub fn year(self) -> i32 {
        i32::from(self.year)
    }
    pub fn month(self) -> u8 {
        self.month
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month { year: self.year + 1, month: 1 }
        } else {
            Month { month: self.month + 1, ..self }
        }
    }

    /// The first day of the month.
    pub fn first_day(self) -> Date {
        Date::new(self.year(), self.month, 1).expect("a month's first day exists")
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_print_and_advance() {
        let m = Month::parse("2025-12").unwrap();
        assert_eq!(m.to_string(), "2025-12");
        assert_eq!(Month::parse("202512"), Some(m));
        assert_eq!(m.next().to_string(), "2026-01");
        assert!(Month::parse("2025-13").is_none());
        assert!(Month::parse("2025/12").is_none());
        assert!(Month::new(2025, 3).unwrap() < Month::new(2025, 4).unwrap());
    }
}
