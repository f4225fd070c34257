//! Counting a run: latency histograms per transaction and per flow kind, errors by `err_code`,
//! and the summary printed as a table and written as JSON.
//!
//! The histogram is HDR-style: exact below 2^[`HISTOGRAM_SUB_BITS`] µs, then
//! 2^[`HISTOGRAM_SUB_BITS`] linear sub-buckets per power of two, so every percentile is within
//! 1/128 of the true value at a fixed 30 KiB per histogram. Latencies are the only floats here.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use serde::Serialize;

use crate::limits::{HISTOGRAM_EXP_MAX, HISTOGRAM_SUB_BITS};

const SUB_BUCKETS: u64 = 1 << HISTOGRAM_SUB_BITS;
const BUCKETS: usize = ((HISTOGRAM_EXP_MAX - HISTOGRAM_SUB_BITS + 2) as usize) * SUB_BUCKETS as usize;
const VALUE_MAX_US: u64 = (1 << HISTOGRAM_EXP_MAX) - 1;

/// Latencies in microseconds.
#[derive(Clone, Debug)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max_us: u64,
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram { counts: vec![0; BUCKETS], total: 0, max_us: 0 }
    }
}

fn bucket_of(us: u64) -> usize {
    let v = us.min(VALUE_MAX_US);
    if v < SUB_BUCKETS {
        return v as usize;
    }
    let exp = 63 - u64::from(v.leading_zeros());
    let shift = exp - u64::from(HISTOGRAM_SUB_BITS);
    let sub = (v >> shift) - SUB_BUCKETS;
    ((shift + 1) * SUB_BUCKETS + sub) as usize
}

/// The largest value that falls in bucket `index`.
fn bucket_top(index: usize) -> u64 {
    let (band, sub) = (index as u64 / SUB_BUCKETS, index as u64 % SUB_BUCKETS);
    if band == 0 {
        return sub;
    }
    let shift = band - 1;
    ((SUB_BUCKETS + sub) << shift) + (1 << shift) - 1
}

impl Histogram {
    pub fn record(&mut self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.counts[bucket_of(us)] += 1;
        self.total += 1;
        self.max_us = self.max_us.max(us);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.max_us = self.max_us.max(other.max_us);
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    /// The value at quantile `q` (0 < q ≤ 1), in µs: the top of the bucket holding that rank,
    /// never above the largest value seen.
    pub fn quantile_us(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (index, n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return bucket_top(index).min(self.max_us);
            }
        }
        self.max_us
    }

    pub fn latency(&self) -> Latency {
        let ms = |us: u64| us as f64 / 1_000.0;
        Latency {
            count: self.total,
            p50_ms: ms(self.quantile_us(0.5)),
            p99_ms: ms(self.quantile_us(0.99)),
            p999_ms: ms(self.quantile_us(0.999)),
            max_ms: ms(self.max_us),
        }
    }
}

/// Percentiles of one transaction or flow kind, in milliseconds (µs precision).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Latency {
    pub count: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

/// Everything counted during a run.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// By `infno`, and `2207_replay` / `2304_replay` for the retried settlements.
    pub by_infno: BTreeMap<&'static str, Histogram>,
    /// Whole flows by kind (`outpatient`, `inpatient`), from the (scheduled) start to the last
    /// answer, completed flows only.
    pub by_flow: BTreeMap<&'static str, Histogram>,
    pub errors: BTreeMap<String, u64>,
    pub requests: u64,
    pub flows_ok: u64,
    pub flows_failed: u64,
    pub replays_verified: u64,
}

impl Stats {
    pub fn request(&mut self, label: &'static str, latency: Duration) {
        self.requests += 1;
        self.by_infno.entry(label).or_default().record(latency);
    }
    pub fn error(&mut self, code: &str) {
        match self.errors.get_mut(code) {
            Some(n) => *n += 1,
            None => {
                self.errors.insert(code.to_string(), 1);
            }
        }
    }
}

/// How the run was driven.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Flows started at a fixed rate whatever the answers (`--rate`).
    OpenLoop,
    /// A fixed number of terminals, each starting a flow when its last one ends.
    ClosedLoop,
}

/// The result of a run.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub mode: Mode,
    pub target_rate: Option<u32>,
    pub concurrency: u32,
    pub seed: u64,
    pub duration_s: f64,
    /// Flows completed without an error.
    pub flows: u64,
    pub flows_per_s: f64,
    pub flows_failed: u64,
    pub requests: u64,
    pub replays_verified: u64,
    pub by_infno: BTreeMap<String, Latency>,
    pub by_flow: BTreeMap<String, Latency>,
    pub errors: BTreeMap<String, u64>,
}

/// The settings a summary reports.
#[derive(Clone, Copy, Debug)]
pub struct RunFacts {
    pub mode: Mode,
    pub target_rate: Option<u32>,
    pub concurrency: u32,
    pub seed: u64,
    pub elapsed: Duration,
}

impl Summary {
    pub fn new(stats: &Stats, facts: RunFacts) -> Summary {
        let secs = facts.elapsed.as_secs_f64().max(1e-9);
        let latencies = |m: &BTreeMap<&'static str, Histogram>| {
            m.iter().map(|(k, h)| (k.to_string(), h.latency())).collect::<BTreeMap<_, _>>()
        };
        Summary {
            mode: facts.mode,
            target_rate: facts.target_rate,
            concurrency: facts.concurrency,
            seed: facts.seed,
            duration_s: (secs * 1_000.0).round() / 1_000.0,
            flows: stats.flows_ok,
            flows_per_s: (stats.flows_ok as f64 / secs * 10.0).round() / 10.0,
            flows_failed: stats.flows_failed,
            requests: stats.requests,
            replays_verified: stats.replays_verified,
            by_infno: latencies(&stats.by_infno),
            by_flow: latencies(&stats.by_flow),
            errors: stats.errors.clone(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("summary serialises")
    }

    /// The human-readable report.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let mode = match (self.mode, self.target_rate) {
            (Mode::OpenLoop, Some(rate)) => format!("开环 open loop, {rate} flows/s target"),
            _ => format!("闭环 closed loop, {} terminals", self.concurrency),
        };
        let _ = writeln!(out, "{mode}; {:.1} s; seed {}", self.duration_s, self.seed);
        let _ = writeln!(
            out,
            "完成流程 flows completed {} ({:.1}/s), failed {}; requests {}; replays verified {}",
            self.flows, self.flows_per_s, self.flows_failed, self.requests, self.replays_verified
        );
        let _ = writeln!(
            out,
            "{:<14} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "", "count", "p50 ms", "p99 ms", "p99.9 ms", "max ms"
        );
        let flows = self.by_flow.iter().map(|(k, v)| (format!("flow:{k}"), v));
        for (name, l) in self.by_infno.iter().map(|(k, v)| (k.clone(), v)).chain(flows) {
            let _ = writeln!(
                out,
                "{name:<14} {:>9} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
                l.count, l.p50_ms, l.p99_ms, l.p999_ms, l.max_ms
            );
        }
        if self.errors.is_empty() {
            let _ = writeln!(out, "错误 errors: none");
        } else {
            let _ = writeln!(out, "错误 errors by err_code:");
            for (code, n) in &self.errors {
                let _ = writeln!(out, "  {code:<32} {n}");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Buckets are contiguous and each value lands in a bucket whose top is ≥ it and within
    /// 1/128 of it.
    #[test]
    fn buckets_cover_values_tightly() {
        for v in (0..5_000).chain([1 << 20, (1 << 20) + 12_345, VALUE_MAX_US]) {
            let b = bucket_of(v);
            let top = bucket_top(b);
            assert!(top >= v, "{v} in bucket {b} with top {top}");
            assert!(top - v <= v / SUB_BUCKETS, "{v}: top {top} too far");
            if b > 0 {
                assert!(bucket_top(b - 1) < v, "{v}: previous bucket also holds it");
            }
        }
        assert!(bucket_of(VALUE_MAX_US) < BUCKETS);
    }

    /// Percentiles of 1..=1000 µs come out at the right ranks.
    #[test]
    fn quantiles() {
        let mut h = Histogram::default();
        for us in 1..=1_000 {
            h.record(Duration::from_micros(us));
        }
        let near = |q: f64, want: u64| {
            let got = h.quantile_us(q);
            assert!(got >= want && got - want <= want / 128 + 1, "q {q}: {got} vs {want}");
        };
        near(0.5, 500);
        near(0.99, 990);
        near(0.999, 999);
        assert_eq!(h.latency().max_ms, 1.0);
    }
}
