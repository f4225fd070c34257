//! Clock readings the client needs: Unix seconds for the gateway headers, Beijing civil time
//! (UTC+8, no daylight saving) for `inf_time`, service dates and reconciliation periods, and the
//! shape checks of the answer stamps (`yyyyMMddHHmmss[SSS]`).

use std::time::{SystemTime, UNIX_EPOCH};

/// Beijing time is UTC+8 all year.
const BEIJING_OFFSET_SECS: i64 = 8 * 3_600;

pub fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

pub fn unix_millis_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// (year, month, day) of days since 1970-01-01 (proleptic Gregorian; Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// `yyyy-MM-dd HH:mm:ss` in Beijing time for Unix seconds.
pub fn beijing_datetime(unix: i64) -> String {
    let local = unix + BEIJING_OFFSET_SECS;
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    let s = local.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", s / 3_600, s / 60 % 60, s % 60)
}

/// Today's Beijing date, `yyyy-MM-dd`.
pub fn beijing_today() -> String {
    beijing_datetime(unix_now())[..10].to_string()
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Whether `digits` starts with a valid `yyyyMMddHHmmss`.
pub fn valid_compact_datetime(digits: &str) -> bool {
    if digits.len() < 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let n = |r: std::ops::Range<usize>| digits[r].parse::<u32>().unwrap_or(u32::MAX);
    let (y, mo, d, h, mi, s) = (n(0..4), n(4..6), n(6..8), n(8..10), n(10..12), n(12..14));
    (1..=12).contains(&mo) && d >= 1 && d <= days_in_month(y, mo) && h < 24 && mi < 60 && s < 60
}

/// `yyyyMMddHHmmssSSS` (17 digits, a valid date and time).
pub fn valid_stamp17(text: &str) -> bool {
    text.len() == 17 && valid_compact_datetime(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_time_is_utc_plus_eight() {
        assert_eq!(beijing_datetime(1_740_879_660), "2025-03-02 09:41:00");
        assert_eq!(beijing_datetime(0), "1970-01-01 08:00:00");
        assert_eq!(beijing_datetime(951_782_400), "2000-02-29 08:00:00");
    }

    #[test]
    fn stamps_are_checked_as_dates() {
        assert!(valid_stamp17("20250302094100123"));
        assert!(!valid_stamp17("20250230094100123"));
        assert!(!valid_stamp17("2025030209410012"));
        assert!(valid_compact_datetime("20240229235959"));
        assert!(!valid_compact_datetime("20250229000000"));
    }
}
