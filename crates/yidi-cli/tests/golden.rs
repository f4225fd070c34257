//! Golden adjudication cases, run twice: through the library (`adjudicate_batch`) and through the
//! `yidi adjudicate` binary, both of which must print exactly `expected.jsonl`.
//!
//! Each case is a folder under `test_data/adjudication/{ok,refused}/NNN_name/`:
//! - `pack.ref`: the base pack, relative to `test_data/` (`packs/worked`, `demo`, …);
//! - `pack/` (optional): a pack fragment whose files replace or add to the base pack's;
//! - `claims.jsonl`: the claims, settled in order carrying state (or `claims.ref`: a claims file
//!   relative to `test_data/`, for the demo story);
//! - `args` (optional): extra flags, e.g. `--pre`;
//! - `expected.jsonl`: the results; `explain.txt`: the human-readable traces, for reviewers.
//!
//! A missing expectation is written and the test fails; `UPDATE_EXPECT=1` rewrites them all.
//! In `ok/` every result must settle; in `refused/` the last result must be a refusal; `mixed/`
//! holds whole stories with both.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use yidi_protocol::{BatchOptions, adjudicate_batch};
use yidi_refdata::{PackFiles, parse_pack};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repo root")
}

fn read_tree(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() { name.clone() } else { format!("{prefix}/{name}") };
        if entry.path().is_dir() {
            read_tree(&entry.path(), &rel, out);
        } else {
            out.insert(rel, fs::read_to_string(entry.path()).expect("pack file is UTF-8"));
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    AllSettle,
    RefusalLast,
    Mixed,
}

struct Case {
    name: String,
    dir: PathBuf,
    expect: Expect,
    claims: PathBuf,
}

fn cases(root: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    for (kind, expect) in
        [("ok", Expect::AllSettle), ("refused", Expect::RefusalLast), ("mixed", Expect::Mixed)]
    {
        let Ok(entries) = fs::read_dir(root.join("test_data/adjudication").join(kind)) else { continue };
        for entry in entries.flatten().filter(|e| e.path().is_dir()) {
            let name = format!("{kind}/{}", entry.file_name().to_string_lossy());
            let claims = match fs::read_to_string(entry.path().join("claims.ref")) {
                Ok(rel) => root.join("test_data").join(rel.trim()),
                Err(_) => entry.path().join("claims.jsonl"),
            };
            cases.push(Case { name, dir: entry.path(), expect, claims });
        }
    }
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

/// The case's pack files: the base pack with the case's fragment laid over it.
fn pack_files(root: &Path, case: &Case) -> BTreeMap<String, String> {
    let base = fs::read_to_string(case.dir.join("pack.ref")).expect("pack.ref names the base pack");
    let mut files = BTreeMap::new();
    read_tree(&root.join("test_data").join(base.trim()), "", &mut files);
    read_tree(&case.dir.join("pack"), "", &mut files);
    files
}

fn run_binary(case: &Case, files: &BTreeMap<String, String>, args: &[String]) -> String {
    let dir = std::env::temp_dir().join(format!(
        "yidi-golden-{}-{}",
        std::process::id(),
        case.name.replace('/', "-")
    ));
    let _ = fs::remove_dir_all(&dir);
    for (rel, text) in files {
        let path = dir.join(rel);
        fs::create_dir_all(path.parent().expect("file has a parent")).expect("temp dir");
        fs::write(path, text).expect("write temp pack");
    }
    let output = Command::new(env!("CARGO_BIN_EXE_yidi"))
        .arg("adjudicate")
        .arg("--data")
        .arg(&dir)
        .arg("--claims")
        .arg(&case.claims)
        .args(args)
        .output()
        .expect("run yidi");
    let _ = fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "{}: yidi exited {:?}: {}",
        case.name,
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

fn traces(results: &[String]) -> String {
    let mut out = String::new();
    for r in results {
        let v: serde_json::Value = serde_json::from_str(r).expect("result is JSON");
        out.push_str(&format!(
            "== {} ({})\n",
            v["claim_id"].as_str().unwrap_or(""),
            v["filing_class"].as_str().or(v["err_code"].as_str()).unwrap_or("")
        ));
        match v["trace"].as_array() {
            Some(lines) => {
                lines.iter().for_each(|l| out.push_str(&format!("{}\n", l.as_str().unwrap_or(""))))
            }
            None => out.push_str(&format!("{}\n", v["err_msg"].as_str().unwrap_or(""))),
        }
    }
    out
}

/// Compares against an expectation file, writing it when missing or when UPDATE_EXPECT is set.
fn check(path: &Path, actual: &str, failures: &mut Vec<String>, label: &str) {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    match fs::read_to_string(path) {
        Ok(expected) if expected == actual => {}
        Ok(_) if update => fs::write(path, actual).expect("rewrite expectation"),
        Ok(expected) => failures.push(format!(
            "{label}: differs from {}\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        )),
        Err(_) => {
            fs::write(path, actual).expect("write expectation");
            if !update {
                failures
                    .push(format!("{label}: {} was missing and has been written; review it", path.display()));
            }
        }
    }
}

#[test]
fn golden_cases() {
    let root = repo_root();
    let cases = cases(&root);
    assert!(cases.len() >= 2, "golden cases not found under test_data/adjudication");
    let mut failures = Vec::new();
    for case in &cases {
        let files = pack_files(&root, case);
        let pairs: Vec<(&str, &str)> = files.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let pack = parse_pack(&PackFiles::from_pairs(&pairs)).unwrap_or_else(|problems| {
            panic!(
                "{}: pack rejected:\n{}",
                case.name,
                problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n")
            )
        });
        let args: Vec<String> = fs::read_to_string(case.dir.join("args"))
            .map(|a| a.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
        let pre = args.iter().any(|a| a == "--pre");
        let claims_text = fs::read_to_string(&case.claims).expect("claims file");
        let claims: Vec<&str> = claims_text.lines().filter(|l| !l.trim().is_empty()).collect();
        let lib = adjudicate_batch(&pack, claims.iter().copied(), BatchOptions { pre, ..Default::default() });
        let lib_text: String = lib.iter().map(|l| format!("{l}\n")).collect();
        check(&case.dir.join("expected.jsonl"), &lib_text, &mut failures, &case.name);

        let bin_text = run_binary(case, &files, &args);
        if bin_text != lib_text {
            failures.push(format!(
                "{}: `yidi adjudicate` output differs from the library's\n{bin_text}",
                case.name
            ));
        }
        let explained = adjudicate_batch(
            &pack,
            claims.iter().copied(),
            BatchOptions { pre, explain: true, pretty: false },
        );
        check(&case.dir.join("explain.txt"), &traces(&explained), &mut failures, &case.name);

        let oks: Vec<bool> = lib.iter().map(|r| r.contains("\"ok\":true")).collect();
        match case.expect {
            Expect::RefusalLast if oks.last() != Some(&false) => {
                failures.push(format!("{}: a refused/ case must end with a refusal", case.name));
            }
            Expect::AllSettle if oks.iter().any(|ok| !ok) => {
                failures.push(format!("{}: an ok/ case must settle every claim", case.name));
            }
            _ => {}
        }
    }
    assert!(failures.is_empty(), "{} golden failures:\n\n{}", failures.len(), failures.join("\n\n"));
}
