//! Working days for clearing deadlines: Monday to Friday. Public holidays (and the weekend days
//! the State Council makes working days around them) are not modelled; a deadline that falls in
//! a holiday is therefore early, never late.

use yidi_domain::Date;

/// Whether `date` is Monday to Friday. Day 0 (1970-01-01) was a Thursday, so
/// `(days + 3) mod 7` counts from Monday = 0.
pub fn is_working_day(date: Date) -> bool {
    (date.to_days() + 3).rem_euclid(7) < 5
}

/// The date `n` working days after `from` (`from` itself not counted); `from` when `n` is 0.
pub fn add_working_days(from: Date, n: u32) -> Date {
    let mut date = from;
    let mut left = n;
    while left > 0 {
        date = date.add_days(1);
        if is_working_day(date) {
            left -= 1;
        }
    }
    date
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        Date::parse(text).expect("date")
    }

    #[test]
    fn weekends_are_skipped() {
        // 2025-11-03 is a Monday.
        assert!(is_working_day(d("2025-11-03")));
        assert!(is_working_day(d("2025-11-07")));
        assert!(!is_working_day(d("2025-11-08")));
        assert!(!is_working_day(d("2025-11-09")));
        assert_eq!(add_working_days(d("2025-11-03"), 5), d("2025-11-10"));
        assert_eq!(add_working_days(d("2025-11-07"), 1), d("2025-11-10"));
        assert_eq!(add_working_days(d("2025-11-08"), 10), d("2025-11-21"));
        assert_eq!(add_working_days(d("2025-11-08"), 0), d("2025-11-08"));
    }
}
