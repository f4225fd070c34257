//! `yidi conformance`: the HIS side of `protocol.md` §8. It speaks the national interface to any
//! server over plain HTTP/1.1, as a hospital system would, and judges every answer: transport and
//! authentication, both settlement cycles forwards and back with every refused move, 2601,
//! reconciliation, idempotency and concurrency, the arithmetic of every settlement (to the fen,
//! from the answer's own text) and the shape of every refusal.
//!
//! Design decision: this crate is an outside client. It depends on no other Yidi crate, so a
//! check can never pass because client and server share a type or a bug; the profile's
//! figures come from the spec's worked examples or from an independent adjudication, not from
//! the server under test. Every settlement it makes is reversed and every visit cancelled.

pub mod checks;
pub mod client;
pub mod http;
pub mod json;
pub mod money;
pub mod profile;
pub mod report;
pub mod time;
pub mod verify;

use std::path::PathBuf;

use checks::Run;
use client::{Client, Party};
pub use profile::Profile;
pub use report::{Line, Verdict};

/// Whose credentials the run uses.
#[derive(Clone, Debug)]
pub enum Credentials {
    /// `--demo`: the profile's facilities with their public demo tokens.
    Demo,
    /// `--paasid --token --fixmedins-code`.
    Given { paasid: String, token: String, fixmedins_code: String },
}

/// Everything a run needs.
#[derive(Clone, Debug)]
pub struct Config {
    pub url: String,
    pub credentials: Credentials,
    /// `--other-paasid`, `--other-token`: a second facility for the scope checks.
    pub other: Option<(String, String)>,
    pub profile: Profile,
    pub sm2_key: Option<PathBuf>,
}

/// How the run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

fn parties(config: &Config) -> (Party, Option<Party>) {
    let f = &config.profile.facility;
    let party = |code: &str, paasid: &str, token: &str| {
        let admvs = f.mdtrtarea_admvs.as_deref().filter(|_| code == f.fixmedins_code);
        let mut p = Party::new(code, paasid, token, admvs);
        if code == f.fixmedins_code && !f.fixmedins_name.is_empty() {
            p.name = f.fixmedins_name.clone();
        }
        p
    };
    let main = match &config.credentials {
        Credentials::Demo => {
            let code = &f.fixmedins_code;
            party(code, &format!("yidi_{code}"), &client::demo_token(code))
        }
        Credentials::Given { paasid, token, fixmedins_code } => party(fixmedins_code, paasid, token),
    };
    let other = match (&config.other, &config.credentials, &f.other_fixmedins_code) {
        (Some((paasid, token)), _, code) => {
            let code = code.clone().or_else(|| paasid.strip_prefix("yidi_").map(str::to_string));
            code.map(|c| party(&c, paasid, token))
        }
        (None, Credentials::Demo, Some(code)) => {
            Some(party(code, &format!("yidi_{code}"), &client::demo_token(code)))
        }
        (None, _, _) => None,
    };
    (main, other)
}

/// Runs every check, handing each line to `sink` as it is decided. `Err` only when the server
/// cannot be reached at all (then nothing was judged).
pub fn run(config: &Config, sink: impl FnMut(&Line)) -> Result<Summary, String> {
    let client = Client::new(&config.url)?;
    let (main, other) = parties(config);
    let probe = client.post_signed(&main, client::CALL_SERVICE, "1201", "", b"{}");
    if let Some(why) = probe.failure {
        return Err(format!("无法访问 {}：{why}", config.url));
    }
    let mut run = Run {
        client: &client,
        main,
        other,
        demo: matches!(config.credentials, Credentials::Demo),
        profile: &config.profile,
        report: report::Report::new(sink),
        records: Vec::new(),
        baseline: None,
        sm2_key: config.sm2_key.clone(),
    };
    checks::transport::run(&mut run);
    checks::auth::run(&mut run);
    checks::recon::baseline(&mut run);
    if let Err(checks::Abort(why)) = checks::outpatient::run(&mut run) {
        run.report.fail_unreported(&why);
    }
    if let Err(checks::Abort(why)) = checks::inpatient::run(&mut run) {
        run.report.fail_unreported(&why);
    }
    checks::unsent::run(&mut run);
    checks::recon::details(&mut run);
    run.report.finish_aggregates();
    let (passed, failed, skipped) = run.report.counts();
    Ok(Summary { passed, failed, skipped })
}
