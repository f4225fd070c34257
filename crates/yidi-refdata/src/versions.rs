//! Dated versions of one code (catalog rows, chronic diseases) must not overlap.

use std::collections::BTreeMap;

use yidi_domain::Date;

use crate::problem::Problems;
use crate::values::period;

/// One dated version of a code and the line it came from.
pub(crate) struct Version {
    pub begin: Date,
    pub end: Option<Date>,
    pub line: u32,
}

/// Reports every version that overlaps an earlier-starting version of the same code, naming
/// both lines. Sorting by start date makes this O(n log n) even for a huge file.
pub(crate) fn check_overlaps(
    file: &str,
    what: &str,
    versions: &mut BTreeMap<String, Vec<Version>>,
    p: &mut Problems,
) {
    for (code, list) in versions.iter_mut() {
        list.sort_by_key(|v| (v.begin, v.line));
        // The version reaching furthest so far (an open end reaches furthest).
        let mut reach: Option<&Version> = None;
        for v in list.iter() {
            if let Some(r) = reach
                && r.end.is_none_or(|end| v.begin <= end)
            {
                let msg = format!(
                    "{what} {code} 的版本（{}）与第 {} 行的版本（{}）日期范围重叠：同一编码的各版本不能重叠",
                    period(v.begin, v.end),
                    r.line,
                    period(r.begin, r.end)
                );
                p.push(file, v.line, msg);
            }
            let further = match (reach, v.end) {
                (None, _) => true,
                (Some(r), Some(end)) => r.end.is_some_and(|r_end| end > r_end),
                (Some(r), None) => r.end.is_some(),
            };
            if further {
                reach = Some(v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(begin: &str, end: Option<&str>, line: u32) -> Version {
        Version { begin: Date::parse(begin).unwrap(), end: end.map(|e| Date::parse(e).unwrap()), line }
    }

    #[test]
    fn touching_versions_are_fine_overlapping_ones_are_not() {
        let mut versions = BTreeMap::new();
        versions.insert(
            "A".to_string(),
            vec![
                v("2025-01-01", None, 4),
                v("2024-01-01", Some("2024-12-31"), 2),
                v("2024-06-01", Some("2024-07-01"), 3),
            ],
        );
        let mut p = Problems::default();
        check_overlaps("c.csv", "编码", &mut versions, &mut p);
        let problems = p.into_sorted();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 3);
        assert!(problems[0].message.contains("第 2 行"), "{}", problems[0]);
    }
}
