//! `yidi person activate`: issues a one-time activation code for a person's online account (the
//! counter route of the insured region's agency), printed once; the database keeps its SHA-256.
//!
//! Safe beside a running `yidi serve` on the same database: the code is written with
//! `Store::put_person_activation` (through `issue_activation`), one statement that sets the
//! activation fields only and never reads or writes the password, so it cannot put back a
//! password that an activation in the server has just replaced.

use std::path::PathBuf;
use std::process::ExitCode;

use yidi_http::people::issue_activation;

use crate::db;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: PersonCommand,
}

#[derive(clap::Subcommand)]
enum PersonCommand {
    /// 签发参保人“我的医保”激活码（72 小时内有效，只能使用一次）/ issue a one-time activation code
    Activate(Activate),
}

#[derive(clap::Args)]
struct Activate {
    /// 人员编号 / the person's psn_no
    #[arg(long)]
    psn_no: String,
    /// 数据库文件 / database file
    #[arg(long, default_value = "yidi.db")]
    db: PathBuf,
    /// 数据包目录（默认用数据库中最新导入的数据包核对人员）/ pack directory (default: the database's latest pack)
    #[arg(long)]
    data: Option<PathBuf>,
    /// 签发人，记入账户 / who issues the code, recorded on the account
    #[arg(long, default_value = "cli")]
    by: String,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let PersonCommand::Activate(a) = &args.command;
    let store = db::open_store(&a.db)?;
    let pack = match &a.data {
        Some(dir) => match db::read_pack_dir(dir) {
            Ok((_, pack)) => pack,
            Err(code) => return Ok(code),
        },
        None => match db::stored_pack(store.as_ref(), &a.db)? {
            Some(Ok(pack)) => pack,
            Some(Err(code)) => return Ok(code),
            None => anyhow::bail!(
                "数据库 {} 中没有数据包：请用 --data 指定数据包目录，或先 yidi import",
                a.db.display()
            ),
        },
    };
    let Some(record) = pack.persons.get(&a.psn_no) else {
        anyhow::bail!("数据包中没有人员编号为 {} 的参保人，请核对人员编号", a.psn_no);
    };
    // Writes the activation fields only (never the password): see the module doc.
    let issued = issue_activation(store.as_ref(), &a.psn_no, &a.by, db::now())?;
    println!(
        "已签发激活码 / activation code issued: {}（身份证号 / identity {}）",
        issued.psn_no,
        record.person.certno.masked()
    );
    println!("code:   {}", issued.code);
    println!("有效期至 / valid until: {}（北京时间，只能使用一次 / single use）", issued.expires_at);
    println!(
        "激活码只显示这一次，数据库只保存其 SHA-256 / shown only once; the database keeps only its SHA-256"
    );
    Ok(ExitCode::SUCCESS)
}
