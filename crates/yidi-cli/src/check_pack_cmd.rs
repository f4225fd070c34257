//! `yidi check-pack DIR`: validates a pack and prints every problem as `file:line: message`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Exit status for a rejected pack (`data-formats.md`).
pub const EXIT_BAD_PACK: u8 = 2;

#[derive(clap::Args)]
pub struct Args {
    /// 数据包目录 / pack directory
    dir: PathBuf,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    match load(&args.dir) {
        Ok(pack) => {
            let r = &pack.refdata;
            let items: usize = r.catalogs.values().map(|c| c.len()).sum();
            let filings: usize = pack.persons.values().map(|p| p.filings.len()).sum();
            println!(
                "数据包有效 / pack OK: {} 个统筹区, {} 家定点机构, {} 个省级目录 ({} 条), {} 个参保地政策, {} 名参保人, {} 条备案 ({} ms)",
                r.regions.len(),
                r.facilities.len(),
                r.catalogs.len(),
                items,
                r.policies.len(),
                pack.persons.len(),
                filings,
                started.elapsed().as_millis()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(code) => Ok(code),
    }
}

/// Loads a pack, printing every problem to standard error when it is rejected.
pub fn load(dir: &std::path::Path) -> Result<yidi_domain::Pack, ExitCode> {
    yidi_refdata::load_pack(dir).map_err(|problems| {
        for p in &problems {
            eprintln!("{p}");
        }
        eprintln!("数据包被拒绝 / pack rejected: {} 个问题 / problems in {}", problems.len(), dir.display());
        ExitCode::from(EXIT_BAD_PACK)
    })
}
