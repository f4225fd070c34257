//! Verdicts and their lines: `PASS id`, `FAIL id expected … got …`, `SKIP id (why)`, a summary,
//! and the aggregate checks that judge every answer of the run (envelope shape, refusal shape,
//! settlement arithmetic) rather than one call.

use std::collections::BTreeMap;
use std::fmt;

/// How one check ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail { expected: String, got: String },
    Skip(String),
}

/// What a single check found wrong: what it expected and what it got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    pub expected: String,
    pub got: String,
}

impl Mismatch {
    pub fn new(expected: impl Into<String>, got: impl Into<String>) -> Mismatch {
        Mismatch { expected: expected.into(), got: got.into() }
    }
}

/// A check's result as the flows compute it.
pub type Check = Result<(), Mismatch>;

/// One printed line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub id: String,
    pub verdict: Verdict,
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.verdict {
            Verdict::Pass => write!(f, "PASS {}", self.id),
            Verdict::Fail { expected, got } => write!(f, "FAIL {} expected {expected} got {got}", self.id),
            Verdict::Skip(why) => write!(f, "SKIP {} ({why})", self.id),
        }
    }
}

/// The aggregate checks, in the order they are reported.
pub const AGGREGATES: [(&str, &str); 9] = [
    ("transport.envelope", "every answer is one §2.2 envelope (fields, types, content type)"),
    ("transport.inf_refmsgid", "every inf_refmsgid is province + yyyyMMddHHmmss + node + counter"),
    ("transport.stamps", "every refmsg_time/respond_time is yyyyMMddHHmmssSSS, respond ≥ refmsg"),
    ("errors.infcode", "every refusal has infcode −1 (number or string) and output null"),
    ("errors.err_code", "every refusal's err_code is one of §4.2"),
    ("errors.err_msg_path", "every refusal's err_msg starts with [path]"),
    ("arith.identities", "identities 1–5 hold on every settlement answer"),
    ("arith.line_splits", "every line's four parts sum to its amount (2204, 2301, 5204)"),
    ("arith.negation", "every cancellation negates its settlement exactly"),
];

/// Most problems quoted in one aggregate FAIL line.
const PROBLEMS_SHOWN_MAX: usize = 3;

/// Collects verdicts, hands each line to `sink` as it is decided.
pub struct Report<'s> {
    sink: Box<dyn FnMut(&Line) + 's>,
    pub lines: Vec<Line>,
    /// Ids announced by a flow that must be reported before the run ends.
    planned: Vec<String>,
    /// Per aggregate: how many items were judged, and the problems found.
    aggregates: BTreeMap<&'static str, (usize, Vec<String>)>,
}

impl<'s> Report<'s> {
    pub fn new(sink: impl FnMut(&Line) + 's) -> Report<'s> {
        Report { sink: Box::new(sink), lines: Vec::new(), planned: Vec::new(), aggregates: BTreeMap::new() }
    }

    pub fn push(&mut self, id: &str, verdict: Verdict) {
        let line = Line { id: id.to_string(), verdict };
        (self.sink)(&line);
        self.planned.retain(|p| p != id);
        self.lines.push(line);
    }

    pub fn check(&mut self, id: &str, result: Check) {
        let verdict = match result {
            Ok(()) => Verdict::Pass,
            Err(m) => Verdict::Fail { expected: m.expected, got: m.got },
        };
        self.push(id, verdict);
    }

    /// Announces checks a flow will report, so an aborted flow still lists them.
    pub fn plan(&mut self, ids: impl IntoIterator<Item = String>) {
        self.planned.extend(ids);
    }

    /// Fails every announced check not reported yet, saying why it did not run.
    pub fn fail_unreported(&mut self, why: &str) {
        for id in std::mem::take(&mut self.planned) {
            self.push(
                &id,
                Verdict::Fail { expected: "the check to run".into(), got: format!("not run: {why}") },
            );
        }
    }

    /// One judged item of an aggregate check, with its problems (none: it passed).
    pub fn aggregate(&mut self, id: &'static str, problems: impl IntoIterator<Item = String>) {
        debug_assert!(AGGREGATES.iter().any(|(a, _)| *a == id), "unknown aggregate {id}");
        let entry = self.aggregates.entry(id).or_default();
        entry.0 += 1;
        entry.1.extend(problems);
    }

    /// Reports every aggregate check.
    pub fn finish_aggregates(&mut self) {
        for (id, what) in AGGREGATES {
            let (seen, problems) = self.aggregates.remove(id).unwrap_or_default();
            let result = if seen == 0 {
                Err(Mismatch::new(what, "nothing to judge (the flows did not get that far)"))
            } else if problems.is_empty() {
                Ok(())
            } else {
                let shown: Vec<&str> = problems.iter().take(PROBLEMS_SHOWN_MAX).map(String::as_str).collect();
                let more = problems.len().saturating_sub(PROBLEMS_SHOWN_MAX);
                let more = if more > 0 { format!(" (+{more} more)") } else { String::new() };
                Err(Mismatch::new(what, format!("{}{more}", shown.join("; "))))
            };
            self.check(id, result);
        }
    }

    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |f: fn(&Verdict) -> bool| self.lines.iter().filter(|l| f(&l.verdict)).count();
        (
            count(|v| matches!(v, Verdict::Pass)),
            count(|v| matches!(v, Verdict::Fail { .. })),
            count(|v| matches!(v, Verdict::Skip(_))),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_print_as_specified() {
        let mut seen = Vec::new();
        let mut r = Report::new(|l: &Line| seen.push(l.to_string()));
        r.plan(["a".to_string(), "b".to_string()]);
        r.check("a", Ok(()));
        r.check("c", Err(Mismatch::new("x", "y")));
        r.fail_unreported("2201 failed");
        assert_eq!(r.counts(), (1, 2, 0));
        drop(r);
        assert_eq!(
            seen,
            [
                "PASS a",
                "FAIL c expected x got y",
                "FAIL b expected the check to run got not run: 2201 failed"
            ]
        );
    }
}
