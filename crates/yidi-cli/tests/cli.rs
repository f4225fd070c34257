//! The `yidi` binary's contract with outside tools: exit statuses, where problems are printed, and
//! the single-claim form of `yidi adjudicate`.

mod support;

use std::fs;

use support::{repo, temp_dir, yidi};

/// A valid pack passes `check-pack` with status 0 and a summary on stdout.
#[test]
fn check_pack_accepts_a_good_pack() {
    let out = yidi(&["check-pack", "test_data/packs/worked"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("pack OK") && stdout.contains("4 个统筹区"), "{stdout}");
}

/// A bad pack exits 2 and lists each problem as `file:line: message` on stderr, for both
/// `check-pack` and `adjudicate`.
#[test]
fn bad_pack_exits_2_with_file_and_line() {
    let dir = temp_dir("bad");
    let good = repo().join("test_data/packs/worked");
    for entry in ["pooling_regions.csv", "facilities.csv", "filings.csv"] {
        fs::copy(good.join(entry), dir.join(entry)).unwrap();
    }
    fs::write(
        dir.join("persons.csv"),
        "psn_no,certno,psn_name,gend,brdy,insuplc_admdvs,insutype,psn_group,assist_class,acct_balance,color\n\
         P0000000001,320102197005120016,王建国,1,1970-05-12,320100,310,in_service,,50000,red\n",
    )
    .unwrap();
    let claims = repo().join("test_data/adjudication/ok/001_worked_example_1/claims.jsonl");
    let (dir_arg, claims_arg) = (dir.to_str().unwrap(), claims.to_str().unwrap());
    for args in [vec!["check-pack", dir_arg], vec!["adjudicate", "--data", dir_arg, "--claims", claims_arg]] {
        let out = yidi(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("persons.csv:1: "), "unknown column reported at the header: {stderr}");
        assert!(stderr.contains("color"), "{stderr}");
        assert!(out.stdout.is_empty(), "nothing is adjudicated against a rejected pack");
    }
    let _ = fs::remove_dir_all(&dir);
}

/// `--claim FILE` settles one (possibly multi-line) JSON object; `--pre` and `--explain` apply.
#[test]
fn adjudicates_a_single_pretty_claim() {
    let dir = temp_dir("single");
    let line = fs::read_to_string(repo().join("test_data/adjudication/ok/001_worked_example_1/claims.jsonl"))
        .unwrap();
    let first: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    let path = dir.join("claim.json");
    fs::write(&path, serde_json::to_string_pretty(&first).unwrap()).unwrap();
    let out = yidi(&[
        "adjudicate",
        "--data",
        "test_data/packs/worked",
        "--claim",
        path.to_str().unwrap(),
        "--explain",
    ]);
    assert!(out.status.success());
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["ok"], true);
    assert_eq!(result["setlinfo"]["psn_cash_pay"].to_string(), "166.5");
    assert!(result["trace"].as_array().is_some_and(|t| t.len() > 5));
    let _ = fs::remove_dir_all(&dir);
}

/// A missing claims file is an operating error (status 1), not a refused claim.
#[test]
fn missing_claims_file_exits_1() {
    let out =
        yidi(&["adjudicate", "--data", "test_data/packs/worked", "--claims", "/nonexistent/claims.jsonl"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("无法读取单据文件"));
}

/// Prepayment parameters are checked before anything starts: a yellow warning above the red
/// one, a ratio past 100 % or zero months exit 1 naming the flag, on stderr.
#[test]
fn serve_refuses_bad_prepayment_parameters() {
    let dir = temp_dir("prepayment-flags");
    let db = dir.join("yidi.db");
    for (args, says) in [
        (vec!["--prepayment-yellow-bp", "9500"], "黄色预警线不高于红色"),
        (vec!["--prepayment-red-bp", "10001"], "--prepayment-red-bp 10001"),
        (vec!["--prepayment-months", "0"], "月数 1 至"),
    ] {
        let mut all = vec!["serve", "--demo", "--listen", "127.0.0.1:0", "--db", db.to_str().unwrap()];
        all.extend(args.iter().copied());
        let out = yidi(&all);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(!db.exists(), "nothing was created for {args:?}");
    }
}
