//! Tests of the generated pack as a whole: it matches the shipped files, it is deterministic, and
//! the rules of `data-formats.md` and `policy-background.md` §10 hold for the rows it writes.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use yidi_domain::{CertNo, Date};

use crate::Pack;
use crate::persons::age_on;
use crate::policy::{self, Group, Insu};
use crate::reference::Reference;

fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}

fn pack() -> &'static Pack {
    static PACK: OnceLock<Pack> = OnceLock::new();
    PACK.get_or_init(|| {
        let reference = Reference::load(&repo_path("data/reference")).expect("reference data");
        Pack::build(&reference).expect("pack")
    })
}

fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).expect("prefix").to_string_lossy().replace('\\', "/");
                out.insert(rel, fs::read(&path).expect("read"));
            }
        }
    }
    out
}

/// Goal: test_data/demo is exactly what the generator writes, so a changed generator cannot
/// leave a stale pack behind. `UPDATE_EXPECT=1` rewrites the shipped pack.
#[test]
fn shipped_pack_matches_the_generator() {
    let shipped = repo_path("test_data/demo");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        pack().write(&shipped).expect("write pack");
    }
    let fresh = std::env::temp_dir().join(format!("yidi-demogen-{}", std::process::id()));
    let _ = fs::remove_dir_all(&fresh);
    pack().write(&fresh).expect("write pack");
    let (want, got) = (files_under(&fresh), files_under(&shipped));
    let fresh_claims = fs::read(crate::claims_path(&fresh)).expect("fresh claims");
    let _ = fs::remove_dir_all(&fresh);
    let _ = fs::remove_file(crate::claims_path(&fresh));
    let shipped_claims = fs::read(crate::claims_path(&shipped)).expect("shipped claims");
    assert!(fresh_claims == shipped_claims, "demo_claims.jsonl differs from a fresh generation");
    assert_eq!(
        want.keys().collect::<Vec<_>>(),
        got.keys().collect::<Vec<_>>(),
        "file list differs; rerun the generator"
    );
    for (name, bytes) in &want {
        assert!(
            got[name] == *bytes,
            "{name} differs from a fresh generation; run `cargo run -p yidi-demogen -- data/reference test_data/demo`"
        );
    }
}

/// Goal: two independent builds give the same rows (determinism).
#[test]
fn builds_are_deterministic() {
    let reference = Reference::load(&repo_path("data/reference")).expect("reference data");
    let again = Pack::build(&reference).expect("pack");
    assert_eq!(again.summary(), pack().summary());
    assert_eq!(crate::claims::render(&again.claims), crate::claims::render(&pack().claims));
    let certnos = |p: &Pack| p.persons.iter().map(|x| x.certno.clone()).collect::<Vec<_>>();
    assert_eq!(certnos(&again), certnos(pack()));
}

/// Goal: identity numbers are valid and agree with the person's region, birth date, sex and group.
#[test]
fn persons_are_consistent() {
    let p = pack();
    assert!(p.persons.len() >= 2000);
    let jan1 = Date::new(2025, 1, 1).expect("date");
    let dec31 = Date::new(2025, 12, 31).expect("date");
    for person in &p.persons {
        let cert = CertNo::parse(&person.certno).expect("valid certno");
        assert_eq!(cert.birth_date(), person.birth);
        assert_eq!(cert.gender() == yidi_domain::Gender::Male, person.male);
        let region = p.regions.iter().find(|r| r.admdvs == person.region).expect("region");
        assert!(region.covers(&person.certno[..6]), "{} outside {}", person.certno, person.region);
        match person.group {
            Group::Retired => assert!(age_on(person.birth, jan1) >= 60),
            Group::Minor => assert!(age_on(person.birth, dec31) < 18),
            Group::Adult => assert!(age_on(person.birth, jan1) >= 18),
            Group::InService => assert!(age_on(person.birth, dec31) < 60),
            Group::Any => unreachable!("persons have a group"),
        }
        assert_eq!(person.acct_fen.is_some(), person.insutype == Insu::Employee);
    }
}

/// Goal: filings follow §10 rules 2–4 and 8 as the generator promises.
#[test]
fn filings_follow_the_rules() {
    let p = pack();
    let mut by_person: BTreeMap<&str, Vec<&crate::filings::Filing>> = BTreeMap::new();
    for f in &p.filings {
        let person = p.persons.iter().find(|x| x.psn_no == f.psn_no).expect("person");
        let region = p.regions.iter().find(|r| r.admdvs == person.region).expect("region");
        let long_term = ["retired_resettled", "long_term_resident", "posted_worker"].contains(&f.category);
        assert_eq!(long_term, f.enddate.is_none(), "{f:?}");
        assert!(f.area != "000000" || !long_term, "{f:?}");
        assert!(f.area == "000000" || !region.covers(&f.area), "area covers the insured region: {f:?}");
        if let Some(end) = f.enddate {
            let months = region.policy.filing.map_or(6, |r| r.temporary_months) as i32;
            assert!(end >= f.begndate.add_months(months), "{f:?}");
        }
        by_person.entry(&f.psn_no).or_default().push(f);
    }
    for filings in by_person.values() {
        for pair in filings.windows(2) {
            let cancelled = pair[0].cancelled_at.as_deref().expect("an earlier filing is cancelled");
            assert!(cancelled < pair[1].begndate.to_string().as_str(), "{pair:?}");
        }
    }
}

/// Goal: the ceiling check catches a referral factor that falls more than 10 pp.
#[test]
fn ceiling_check_catches_a_violation() {
    let mut region = crate::policies::suzhou();
    assert!(policy::check(&region).is_empty());
    region.general[policy::Class::Referral as usize] = policy::factor(8000);
    let problems = policy::check(&region);
    assert!(problems.iter().any(|m| m.contains("referral") && m.contains("falls 1900")), "{problems:?}");
}
