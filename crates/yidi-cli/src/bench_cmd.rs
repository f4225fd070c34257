//! `yidi bench`: drives a running hub with realistic traffic from a pack (`yidi-sim`) and prints
//! throughput, latency percentiles per transaction and errors by `err_code`.
//!
//! Credentials: `--demo` signs as every facility of the pack with the public demo credentials of
//! `yidi serve --demo`; otherwise `--paasid` and `--token` of one facility (its code taken from
//! `--fixmedins-code`, or from a `yidi_CODE` paasid) and only that facility's patients are sent.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use yidi_domain::Date;
use yidi_sim::{Credential, Credentials, Mix, RunConfig, World, WorldConfig};

use crate::check_pack_cmd;

/// The demo pack, relative to the repository root.
const DEMO_DIR: &str = "test_data/demo";
/// The service date of every generated visit: inside the demo pack's 2025 policy year, before
/// the mid-year catalog and policy revisions.
const SERVICE_DATE_DEFAULT: &str = "2025-04-10";
/// Run tags repeat after this many seconds (about 11.6 days).
const RUN_TAG_PERIOD_SECS: u64 = 1_000_000;

#[derive(clap::Args)]
pub struct Args {
    /// 结算中心地址 / the hub's base URL (http only), e.g. http://127.0.0.1:8080
    #[arg(long)]
    url: String,
    /// 使用演示凭据（yidi serve --demo）/ sign as every facility with the public demo credentials
    #[arg(long, conflicts_with_all = ["paasid", "token"])]
    demo: bool,
    /// 单一机构的接入账号（不用 --demo 时必填）/ one facility's paasid (required without --demo)
    #[arg(long, requires = "token", required_unless_present = "demo")]
    paasid: Option<String>,
    /// 该机构的令牌 / that facility's token
    #[arg(long, requires = "paasid")]
    token: Option<String>,
    /// 该机构编码（默认取自 yidi_CODE 形式的 paasid）/ its fixmedins_code (default: from the paasid)
    #[arg(long, requires = "paasid")]
    fixmedins_code: Option<String>,
    /// 开环：每秒开始的流程数；不填为闭环（尽力）/ open loop at N flows/s; closed loop when absent
    #[arg(long)]
    rate: Option<u32>,
    /// 运行时长（如 30s、2m、500ms）/ how long to start flows
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    duration: Duration,
    /// 写入 JSON 摘要 / write the JSON summary to FILE
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// 并发终端（长连接）数 / terminals (keep-alive connections), one flow at a time each
    #[arg(long, default_value_t = 64)]
    concurrency: u32,
    /// 数据包目录（取参保人、机构和目录编码）/ pack to draw persons, facilities and codes from
    #[arg(long, default_value = DEMO_DIR)]
    data: PathBuf,
    /// 随机种子（相同种子产生相同请求）/ seed: the same seed sends the same requests
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// 就诊日期 / service date of every visit and admission
    #[arg(long, default_value = SERVICE_DATE_DEFAULT, value_parser = parse_date)]
    service_date: Date,
    /// 压测端线程数 / threads of the simulator's own runtime
    #[arg(long, default_value_t = 1)]
    client_threads: usize,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let pack = match check_pack_cmd::load(&data_dir(&args.data)) {
        Ok(pack) => pack,
        Err(code) => return Ok(code),
    };
    let credentials = credentials(args)?;
    let only_facility = match &credentials {
        Credentials::Demo => None,
        Credentials::One { fixmedins_code, .. } => Some(fixmedins_code.clone()),
    };
    let world = World::build(&pack, &WorldConfig { service_date: args.service_date, only_facility })?;
    drop(pack);
    let unix = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let config = RunConfig {
        url: args.url.clone(),
        credentials,
        rate: args.rate,
        duration: args.duration,
        concurrency: args.concurrency,
        seed: args.seed,
        run_tag: u32::try_from(unix.as_secs() % RUN_TAG_PERIOD_SECS).expect("below 10^6"),
        mix: Mix::default(),
        client_threads: args.client_threads,
        progress: true,
    };
    eprintln!(
        "压测 / bench {}: {} 家机构, {} 名参保人 / facilities, patients; {}",
        args.url,
        world.sites.len(),
        world.patients.len(),
        args.rate.map_or_else(
            || format!("闭环 closed loop, {} terminals", args.concurrency),
            |r| format!("开环 open loop, {r} flows/s")
        ),
    );
    let summary = yidi_sim::run(Arc::new(world), &config)?;
    print!("{}", summary.table());
    if let Some(path) = &args.json {
        std::fs::write(path, summary.to_json() + "\n")
            .with_context(|| format!("无法写入 / cannot write {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn credentials(args: &Args) -> anyhow::Result<Credentials> {
    if args.demo {
        return Ok(Credentials::Demo);
    }
    let (Some(paasid), Some(token)) = (&args.paasid, &args.token) else {
        anyhow::bail!("需要 --demo，或 --paasid 与 --token / --demo or --paasid with --token required");
    };
    let code = match (&args.fixmedins_code, paasid.strip_prefix("yidi_")) {
        (Some(code), _) => code.clone(),
        (None, Some(code)) => code.to_string(),
        (None, None) => {
            anyhow::bail!("paasid {paasid} 不是 yidi_CODE 形式，请用 --fixmedins-code 指定机构编码")
        }
    };
    let credential = Credential { paasid: paasid.clone(), token: token.clone() };
    Ok(Credentials::One { fixmedins_code: code, credential })
}

/// `dir` as given, or for the default demo pack the one in the source tree this binary was built
/// from when the working directory is elsewhere.
fn data_dir(dir: &Path) -> PathBuf {
    let from_source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(DEMO_DIR);
    if dir == Path::new(DEMO_DIR) && !dir.is_dir() && from_source.is_dir() {
        return from_source;
    }
    dir.to_path_buf()
}

/// `30s`, `2m`, `1h`, `500ms`, or plain seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 =
        digits.parse().map_err(|_| format!("“{text}” 不是时长 / not a duration (30s, 2m, 500ms)"))?;
    let millis = match unit {
        "ms" => Some(n),
        "" | "s" => n.checked_mul(1_000),
        "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        _ => None,
    };
    millis
        .map(Duration::from_millis)
        .ok_or_else(|| format!("“{text}” 不是时长 / not a duration (30s, 2m, 500ms)"))
}

fn parse_date(text: &str) -> Result<Date, String> {
    Date::parse(text).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3_600)));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("3d").is_err());
    }
}
