//! `yidi import DIR --db PATH`: checks a pack and stores it as the database's latest pack.
//!
//! The pack is checked whole before the database is even opened, so a rejected pack changes
//! nothing; the same pack twice is reported unchanged (the store compares contents).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use yidi_store::Store;

use crate::db;

#[derive(clap::Args)]
pub struct Args {
    /// 数据包目录 / pack directory
    dir: PathBuf,
    /// 数据库文件（不存在则创建）/ database file (created if missing)
    #[arg(long, default_value = "yidi.db")]
    db: PathBuf,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let (files, pack) = match db::read_pack_dir(&args.dir) {
        Ok(checked) => checked,
        Err(code) => return Ok(code),
    };
    let store = db::open_store(&args.db)?;
    let changed = store.save_pack(&files, db::now()).context("无法保存数据包")?;
    if changed {
        println!(
            "已导入 / imported: {} 个文件，{} 家定点机构，{} 名参保人 → {}",
            files.len(),
            pack.refdata.facilities.len(),
            pack.persons.len(),
            args.db.display()
        );
    } else {
        println!(
            "无变化 / unchanged: 与数据库中最新的数据包相同 / same as the latest pack in {}",
            args.db.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
