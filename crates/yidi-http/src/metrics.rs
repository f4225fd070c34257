//! Request counters and the `/metrics` page (Prometheus text format, version 0.0.4).
//!
//! The edge counts requests and latency by `infno` and its own refusals by `err_code`; the
//! hub's counters (settlements, refusals, commit batch sizes) are rendered from
//! [`yidi_hub::HubStats`] at scrape time, so the two never double-count.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

use yidi_hub::HubStats;

use crate::limits::METRICS_INFNO_LABELS_MAX;

/// Upper bounds of the latency histogram, in seconds.
const LATENCY_BUCKETS_SECS: [f64; 12] =
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// The label for a request whose `infno` is unknown (refused before the body was read).
const INFNO_NONE: &str = "none";
/// The label for odd or too many distinct `infno` values.
const INFNO_OTHER: &str = "other";

#[derive(Debug, Default)]
struct InfnoStats {
    by_status: BTreeMap<u16, u64>,
    /// Non-cumulative counts per bucket of [`LATENCY_BUCKETS_SECS`]; the last is +Inf.
    buckets: [u64; LATENCY_BUCKETS_SECS.len() + 1],
    count: u64,
    sum_micros: u64,
}

#[derive(Debug, Default)]
struct Counters {
    by_infno: BTreeMap<String, InfnoStats>,
    edge_refusals: BTreeMap<&'static str, u64>,
}

/// The edge's own counters.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    counters: Mutex<Counters>,
}

impl HttpMetrics {
    /// Counts one answered request.
    pub fn record(&self, infno: &str, status: u16, latency: Duration) {
        let mut c = self.counters.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let label = infno_label(infno, &c.by_infno);
        count(c.by_infno.entry(label).or_default(), status, latency);
    }

    /// Counts one answered request of a route of Yidi's own API (`agency_persons`, …), labelled
    /// like a transaction: the label is ours, not client text, so it is used as is.
    pub fn record_route(&self, route: &'static str, status: u16, latency: Duration) {
        let mut c = self.counters.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        count(c.by_infno.entry(route.to_string()).or_default(), status, latency);
    }

    /// Counts a refusal the edge gave itself (auth, size, validity).
    pub fn record_edge_refusal(&self, err_code: &'static str) {
        let mut c = self.counters.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *c.edge_refusals.entry(err_code).or_default() += 1;
    }

    /// The whole `/metrics` page.
    pub fn render(&self, hub: &HubStats, nonces_kept: usize) -> String {
        let mut out = String::new();
        {
            let c = self.counters.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            render_requests(&mut out, &c);
            render_refusals(&mut out, &c.edge_refusals, hub);
        }
        render_hub(&mut out, hub);
        let _ = writeln!(out, "# HELP yidi_nonces_kept (paasid, nonce) pairs held for replay detection.");
        let _ = writeln!(out, "# TYPE yidi_nonces_kept gauge");
        let _ = writeln!(out, "yidi_nonces_kept {nonces_kept}");
        out
    }
}

/// Adds one request to a label's counts.
fn count(stats: &mut InfnoStats, status: u16, latency: Duration) {
    *stats.by_status.entry(status).or_default() += 1;
    let secs = latency.as_secs_f64();
    let bucket = LATENCY_BUCKETS_SECS.iter().position(|b| secs <= *b).unwrap_or(LATENCY_BUCKETS_SECS.len());
    stats.buckets[bucket] += 1;
    stats.count += 1;
    stats.sum_micros =
        stats.sum_micros.saturating_add(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX));
}

/// `infno` values are client text: only short alphanumerics become labels, and only the first
/// [`METRICS_INFNO_LABELS_MAX`] of them.
fn infno_label(infno: &str, seen: &BTreeMap<String, InfnoStats>) -> String {
    if infno.is_empty() {
        return INFNO_NONE.to_string();
    }
    let plain = infno.len() <= 6 && infno.bytes().all(|b| b.is_ascii_alphanumeric());
    if plain && (seen.contains_key(infno) || seen.len() < METRICS_INFNO_LABELS_MAX) {
        return infno.to_string();
    }
    INFNO_OTHER.to_string()
}

fn render_requests(out: &mut String, c: &Counters) {
    let _ = writeln!(out, "# HELP yidi_http_requests_total Requests answered, by infno and HTTP status.");
    let _ = writeln!(out, "# TYPE yidi_http_requests_total counter");
    for (infno, stats) in &c.by_infno {
        for (status, n) in &stats.by_status {
            let _ = writeln!(out, "yidi_http_requests_total{{infno=\"{infno}\",status=\"{status}\"}} {n}");
        }
    }
    let _ = writeln!(out, "# HELP yidi_http_request_duration_seconds Time from request to answer, by infno.");
    let _ = writeln!(out, "# TYPE yidi_http_request_duration_seconds histogram");
    for (infno, stats) in &c.by_infno {
        let mut cumulative = 0;
        for (i, n) in stats.buckets.iter().enumerate() {
            cumulative += n;
            let le = LATENCY_BUCKETS_SECS.get(i).map_or_else(|| "+Inf".to_string(), |b| b.to_string());
            let _ = writeln!(
                out,
                "yidi_http_request_duration_seconds_bucket{{infno=\"{infno}\",le=\"{le}\"}} {cumulative}"
            );
        }
        let sum = stats.sum_micros as f64 / 1e6;
        let _ = writeln!(out, "yidi_http_request_duration_seconds_sum{{infno=\"{infno}\"}} {sum}");
        let _ =
            writeln!(out, "yidi_http_request_duration_seconds_count{{infno=\"{infno}\"}} {}", stats.count);
    }
}

fn render_refusals(out: &mut String, edge: &BTreeMap<&'static str, u64>, hub: &HubStats) {
    let _ = writeln!(
        out,
        "# HELP yidi_refusals_total Refused requests by err_code; source edge (HTTP layer) or hub."
    );
    let _ = writeln!(out, "# TYPE yidi_refusals_total counter");
    for (code, n) in edge {
        let _ = writeln!(out, "yidi_refusals_total{{source=\"edge\",err_code=\"{code}\"}} {n}");
    }
    for (code, n) in &hub.refusals_by_code {
        let code = if code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            code.as_str()
        } else {
            "other"
        };
        let _ = writeln!(out, "yidi_refusals_total{{source=\"hub\",err_code=\"{code}\"}} {n}");
    }
}

fn render_hub(out: &mut String, hub: &HubStats) {
    let _ = writeln!(out, "# HELP yidi_settlements_total Settlements committed (2207, 2304).");
    let _ = writeln!(out, "# TYPE yidi_settlements_total counter");
    let _ = writeln!(out, "yidi_settlements_total {}", hub.settlements);
    let _ = writeln!(
        out,
        "# HELP yidi_reversals_total Cancellations and reversals committed (2208, 2305, 2601)."
    );
    let _ = writeln!(out, "# TYPE yidi_reversals_total counter");
    let _ = writeln!(out, "yidi_reversals_total {}", hub.reversals);
    let _ = writeln!(out, "# HELP yidi_commits_total Group commits written to the store.");
    let _ = writeln!(out, "# TYPE yidi_commits_total counter");
    let _ = writeln!(out, "yidi_commits_total {}", hub.commits);
    // The hub keeps per-bucket counts without a sum, so they are exposed as a counter family
    // rather than a Prometheus histogram (which needs `_sum`).
    let _ = writeln!(
        out,
        "# HELP yidi_commit_batches_total Group commits by jobs per commit (batch_len_max bucket)."
    );
    let _ = writeln!(out, "# TYPE yidi_commit_batches_total counter");
    for (bound, n) in &hub.batch_len_buckets {
        let bound = if *bound == usize::MAX { "+Inf".to_string() } else { bound.to_string() };
        let _ = writeln!(out, "yidi_commit_batches_total{{batch_len_max=\"{bound}\"}} {n}");
    }
    let _ = writeln!(out, "# HELP yidi_hub_queue_len Calls waiting for the hub's sequencer.");
    let _ = writeln!(out, "# TYPE yidi_hub_queue_len gauge");
    let _ = writeln!(out, "yidi_hub_queue_len {}", hub.queue_len);
}
