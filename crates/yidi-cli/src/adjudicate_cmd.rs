//! `yidi adjudicate`: settles claims from a file against a pack and prints one result per claim.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use yidi_protocol::{BatchOptions, adjudicate_batch};

use crate::check_pack_cmd;

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["claim", "claims"])))]
pub struct Args {
    /// 数据包目录 / pack directory
    #[arg(long)]
    data: PathBuf,
    /// 一个结算单据（JSON 对象）/ one claim (a JSON object)
    #[arg(long)]
    claim: Option<PathBuf>,
    /// 多个单据（每行一个 JSON），按顺序结算并累计 / claims, one per line, settled in order carrying state
    #[arg(long)]
    claims: Option<PathBuf>,
    /// 预结算：不累计状态 / pre-settlement: carry no state
    #[arg(long)]
    pre: bool,
    /// 附带逐分解释 / add the human-readable trace
    #[arg(long)]
    explain: bool,
    /// 缩进输出 / indent the JSON output
    #[arg(long)]
    pretty: bool,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let pack = match check_pack_cmd::load(&args.data) {
        Ok(pack) => pack,
        Err(code) => return Ok(code),
    };
    let (path, single) = match (&args.claim, &args.claims) {
        (Some(p), _) => (p, true),
        (None, Some(p)) => (p, false),
        (None, None) => unreachable!("clap requires one of --claim and --claims"),
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("无法读取单据文件 {}", path.display()))?;
    let claims: Vec<&str> =
        if single { vec![text.as_str()] } else { text.lines().filter(|l| !l.trim().is_empty()).collect() };
    let opts = BatchOptions { pre: args.pre, explain: args.explain, pretty: args.pretty };
    let mut stdout = std::io::stdout().lock();
    for line in adjudicate_batch(&pack, claims, opts) {
        writeln!(stdout, "{line}")?;
    }
    Ok(ExitCode::SUCCESS)
}
