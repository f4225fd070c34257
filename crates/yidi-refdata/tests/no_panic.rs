//! The loader faces outside data: no input may panic it, and every problem it reports points at
//! a file of the pack and a line that exists in that file.

mod common;

use common::GOOD;
use proptest::prelude::*;
use yidi_refdata::{PackFiles, parse_pack};

/// Parses and checks that each problem names a real file and a line within it.
fn check(pairs: &[(&str, &str)]) -> Result<(), TestCaseError> {
    let files = PackFiles::from_pairs(pairs);
    if let Err(problems) = parse_pack(&files) {
        prop_assert!(!problems.is_empty());
        for problem in &problems {
            let text = files.get(&problem.file);
            prop_assert!(text.is_some(), "{problem}");
            let lines = text.map_or(0, |t| t.lines().count().max(1));
            prop_assert!(problem.line as usize <= lines, "{problem} (file has {lines} lines)");
        }
    }
    Ok(())
}

/// Text that looks like pack data: separators, quotes, digits, codes and some Chinese.
fn pack_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9A-Za-z,|\"=\\[\\]{}. _:\n-]{0,80}",
        "[0-9]{0,20}",
        "(H|P)[0-9]{11}",
        "[0-9]{16}[0-9X]{0,3}é?",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2})?",
        "[一-龥]{0,6}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Replacing one line of one file of the good pack never panics.
    #[test]
    fn one_line_replaced(file in 0..GOOD.len(), line in 0usize..12, replacement in pack_like()) {
        let (path, text) = GOOD[file];
        let mut lines: Vec<&str> = text.lines().collect();
        if line < lines.len() {
            lines[line] = &replacement;
        } else {
            lines.push(&replacement);
        }
        let changed = lines.join("\n");
        let mut pairs = GOOD.to_vec();
        pairs.push((path, &changed));
        check(&pairs)?;
    }

    /// One cell of one CSV row replaced by anything.
    #[test]
    fn one_cell_replaced(file in 0..GOOD.len(), line in 1usize..5, cell in 0usize..11, replacement in pack_like()) {
        let (path, text) = GOOD[file];
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        if let Some(row) = lines.get_mut(line) {
            let mut cells: Vec<String> = row.split(',').map(str::to_string).collect();
            if let Some(c) = cells.get_mut(cell) {
                *c = replacement.replace([',', '\n', '"'], "");
            }
            *row = cells.join(",");
        }
        let changed = lines.join("\n");
        let mut pairs = GOOD.to_vec();
        pairs.push((path, &changed));
        check(&pairs)?;
    }
}

#[test]
fn multibyte_identity_numbers_are_rejected_not_panicked_on() {
    // 16 digits and a two-byte character: 18 bytes, with byte 17 inside the character.
    let persons = "psn_no,certno,psn_name,gend,brdy,insuplc_admdvs,insutype,psn_group\n\
                   P1,1501021988080800é,赵五,1,1988-08-08,150100,390,adult\n";
    let problems = parse_pack(&PackFiles::from_pairs(&[("persons.csv", persons)])).unwrap_err();
    assert!(problems.iter().any(|p| p.line == 2 && p.message.contains("应为 18 位")), "{problems:?}");
}
