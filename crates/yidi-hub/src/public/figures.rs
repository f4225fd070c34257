//! The published service figures: settlements today, the median time the hub took to answer a
//! settlement (2207/2304), and the direct-settlement rate.
//!
//! Definitions (also shown on the home page):
//! * settlements today — successful 2207/2304 answers since 00:00 Beijing time (the hub's clock),
//!   not counting a replayed answer to a repeated `msgid`;
//! * settlement attempts today — those plus the 2207/2304 calls the hub read and refused
//!   (HTTP 200 with an `err_code`); calls not processed at all (busy, rate limit, authentication)
//!   are not attempts;
//! * direct-settlement rate — settlements ÷ attempts, in basis points (integer arithmetic);
//! * median settlement time — the median of the last [`FIGURE_SAMPLE_LEN`] successful
//!   settlements' processing time in the hub, from taking the call to releasing its answer after
//!   the durable commit, in milliseconds of the hub's clock.
//!
//! The counters live in memory only: they restart at zero with the process and at midnight.
//! That is stated on the page; durable statistics are the dashboards' business.

use std::collections::VecDeque;
use std::sync::Mutex;

use yidi_domain::Date;

use crate::Reply;

/// How many recent settlement times the median is taken over.
pub const FIGURE_SAMPLE_LEN: usize = 1_024;

/// The figures as published.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServiceFigures {
    pub date: Option<Date>,
    pub settled_today: u64,
    pub refused_today: u64,
    /// `settled ÷ (settled + refused)` in basis points; `None` before the first attempt.
    pub direct_rate_bp: Option<u32>,
    /// `None` before the first settlement.
    pub median_ms: Option<i64>,
    /// Settlements the median was taken over.
    pub sample_len: usize,
}

#[derive(Debug, Default)]
struct Counters {
    date: Option<Date>,
    settled: u64,
    refused: u64,
    times_ms: VecDeque<i64>,
}

/// Counts settlement answers as they leave the hub (`Hub::call`).
#[derive(Debug, Default)]
pub struct ServiceFiguresRecorder {
    counters: Mutex<Counters>,
}

impl ServiceFiguresRecorder {
    /// Records one answered call received at `received_ms` and answered at `answered_ms` (hub
    /// clock, Beijing milliseconds). Only 2207/2304 count.
    pub fn record(&self, reply: &Reply, received_ms: i64, answered_ms: i64) {
        if !matches!(reply.infno.as_str(), "2207" | "2304") || reply.replay || reply.status != 200 {
            return;
        }
        let date = yidi_domain::DateTime::from_epoch_secs(received_ms.div_euclid(1_000)).date();
        let mut c = self.counters.lock().expect("figures lock");
        if c.date != Some(date) {
            c.date = Some(date);
            c.settled = 0;
            c.refused = 0;
        }
        if reply.err_code.is_some() {
            c.refused += 1;
            return;
        }
        c.settled += 1;
        if c.times_ms.len() == FIGURE_SAMPLE_LEN {
            c.times_ms.pop_front();
        }
        c.times_ms.push_back((answered_ms - received_ms).max(0));
    }

    /// The figures for `today`: zero counts when nothing was recorded today.
    pub fn snapshot(&self, today: Date) -> ServiceFigures {
        let c = self.counters.lock().expect("figures lock");
        let (settled, refused) = if c.date == Some(today) { (c.settled, c.refused) } else { (0, 0) };
        let attempts = settled + refused;
        let direct_rate_bp =
            (attempts > 0).then(|| u32::try_from(settled * 10_000 / attempts).expect("at most 10 000"));
        let mut times: Vec<i64> = c.times_ms.iter().copied().collect();
        times.sort_unstable();
        let median_ms = match times.len() {
            0 => None,
            n if n % 2 == 1 => Some(times[n / 2]),
            n => Some((times[n / 2 - 1] + times[n / 2]) / 2),
        };
        ServiceFigures {
            date: Some(today),
            settled_today: settled,
            refused_today: refused,
            direct_rate_bp,
            median_ms,
            sample_len: times.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yidi_domain::DateTime;

    fn reply(infno: &str, err: Option<&str>) -> Reply {
        Reply {
            status: 200,
            body: String::new(),
            replay: false,
            infno: infno.to_string(),
            msgid: "m".to_string(),
            err_code: err.map(str::to_string),
            retry_after_secs: None,
        }
    }

    #[test]
    fn counts_settlements_and_refusals_of_today_and_takes_the_median() {
        let day = Date::parse("2025-03-03").unwrap();
        let t0 = DateTime::start_of(day).to_epoch_secs() * 1_000 + 9 * 3_600_000;
        let r = ServiceFiguresRecorder::default();
        r.record(&reply("2207", None), t0, t0 + 10);
        r.record(&reply("2304", None), t0, t0 + 30);
        r.record(&reply("2207", None), t0, t0 + 20);
        r.record(&reply("2207", Some("region_not_open")), t0, t0 + 5);
        r.record(&reply("2206", None), t0, t0 + 500);
        let mut replayed = reply("2207", None);
        replayed.replay = true;
        r.record(&replayed, t0, t0 + 900);
        let f = r.snapshot(day);
        assert_eq!((f.settled_today, f.refused_today), (3, 1));
        assert_eq!(f.direct_rate_bp, Some(7_500));
        assert_eq!(f.median_ms, Some(20));
        let next = r.snapshot(day.add_days(1));
        assert_eq!((next.settled_today, next.direct_rate_bp), (0, None));
    }

    #[test]
    fn the_sample_is_bounded() {
        let r = ServiceFiguresRecorder::default();
        for i in 0..(FIGURE_SAMPLE_LEN as i64 + 10) {
            r.record(&reply("2207", None), 0, i);
        }
        assert_eq!(r.snapshot(Date::parse("1970-01-01").unwrap()).sample_len, FIGURE_SAMPLE_LEN);
    }
}
