//! `yidi conformance`: runs the HIS-side checks of `protocol.md` §8 against a server and prints
//! `PASS id` / `FAIL id expected … got …` / `SKIP id (why)` per check and a summary.
//!
//! Exit statuses: 0 every check passed (skips allowed); 1 a check failed, or the server could
//! not be reached, or the flags or profile are wrong.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use yidi_conformance::{Config, Credentials, Profile};

#[derive(clap::Args)]
pub struct Args {
    /// 被测服务地址 / the server under test
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// 接入账号 / gateway paasid
    #[arg(long, requires_all = ["token", "fixmedins_code"], conflicts_with = "demo")]
    paasid: Option<String>,
    /// 令牌 / gateway token
    #[arg(long, requires = "paasid")]
    token: Option<String>,
    /// 定点机构编码 / facility code
    #[arg(long, requires = "paasid")]
    fixmedins_code: Option<String>,
    /// 测试档案：TOML 文件，或内置的 demo / worked（默认 demo）/ test profile: a TOML file or built-in demo|worked
    #[arg(long)]
    profile: Option<String>,
    /// 第二家机构的账号（跨机构访问检查）/ a second facility's paasid (scope checks)
    #[arg(long, requires = "other_token")]
    other_paasid: Option<String>,
    /// 第二家机构的令牌 / the second facility's token
    #[arg(long, requires = "other_paasid")]
    other_token: Option<String>,
    /// SM2 私钥文件（机构已登记公钥时）/ SM2 private key of a facility registered with its key
    #[arg(long)]
    sm2_key: Option<PathBuf>,
    /// 演示模式：用档案中机构的公开演示凭据（yidi serve --demo）/ use the profile's demo credentials
    #[arg(long)]
    demo: bool,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let profile = load_profile(args.profile.as_deref())?;
    let credentials = match (&args.paasid, &args.token, &args.fixmedins_code, args.demo) {
        (Some(paasid), Some(token), Some(code), false) => {
            Credentials::Given { paasid: paasid.clone(), token: token.clone(), fixmedins_code: code.clone() }
        }
        (None, None, None, true) => Credentials::Demo,
        _ => bail!("请给出 --paasid --token --fixmedins-code，或用 --demo / give credentials or --demo"),
    };
    if let Some(key) = args.sm2_key.as_deref().filter(|k| !k.is_file()) {
        bail!("SM2 密钥文件不存在：{} / no such key file", key.display());
    }
    let other = args.other_paasid.clone().zip(args.other_token.clone());
    let config = Config { url: args.url.clone(), credentials, other, profile, sm2_key: args.sm2_key.clone() };
    println!("一致性检查 / conformance: {} profile “{}”", config.url, config.profile.name);
    let mut stdout = std::io::stdout();
    let summary = yidi_conformance::run(&config, |line| {
        let _ = writeln!(stdout, "{line}");
        let _ = stdout.flush();
    })
    .map_err(anyhow::Error::msg)?;
    println!(
        "合计 / total: {} checks, {} passed, {} failed, {} skipped",
        summary.passed + summary.failed + summary.skipped,
        summary.passed,
        summary.failed,
        summary.skipped
    );
    Ok(if summary.failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// A profile file, else a built-in one by name (`demo` when none is given).
fn load_profile(arg: Option<&str>) -> anyhow::Result<Profile> {
    let arg = arg.unwrap_or("demo");
    let path = Path::new(arg);
    if path.is_file() {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("无法读取档案 {}", path.display()))?;
        return Profile::parse(&text, &path.display().to_string()).map_err(anyhow::Error::msg);
    }
    Profile::built_in(arg)
        .with_context(|| format!("没有档案文件 {arg}，内置档案只有 demo 和 worked / no such profile"))
}
