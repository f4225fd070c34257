//! The `yidi` binary: wiring only. Each subcommand parses its flags, calls the library crates,
//! and maps the outcome to an exit status.
//!
//! Exit statuses: 0 success (a refused claim is a normal result); 1 an operating error (a file
//! that cannot be read); 2 a rejected pack (every problem printed as `file:line: message`).

mod adjudicate_cmd;
mod check_pack_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Yidi（异地）跨区域医保直接结算中心 / cross-region medical insurance direct-settlement hub.
#[derive(Parser)]
#[command(name = "yidi", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// 按数据包结算理算单据 / adjudicate claims against a pack.
    Adjudicate(adjudicate_cmd::Args),
    /// 校验数据包并列出全部问题 / validate a pack and list every problem.
    CheckPack(check_pack_cmd::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Adjudicate(args) => adjudicate_cmd::run(&args),
        Command::CheckPack(args) => check_pack_cmd::run(&args),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误 / error: {e:#}");
            ExitCode::from(1)
        }
    }
}
