//! The `yidi` binary: wiring only. Each subcommand parses its flags, calls the library crates,
//! and maps the outcome to an exit status.
//!
//! Exit statuses: 0 success (a refused claim is a normal result); 1 an operating error (a file
//! that cannot be read, a credential move that makes no sense); 2 a rejected pack (every problem
//! printed as `file:line: message`).

mod adjudicate_cmd;
mod bench_cmd;
mod check_pack_cmd;
mod conformance_cmd;
mod credentials_cmd;
mod db;
mod demo_client;
mod demo_month_cmd;
mod demo_settle_cmd;
mod import_cmd;
mod ledger_cmd;
mod person_cmd;
mod serve_cmd;

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
    /// 启动结算中心（HTTP 服务）/ run the hub and its HTTP server.
    Serve(serve_cmd::Args),
    /// 校验并导入数据包到数据库 / validate a pack and import it into the database.
    Import(import_cmd::Args),
    /// 定点机构接入凭据 / facility gateway credentials.
    Facility(credentials_cmd::FacilityArgs),
    /// 经办机构用户令牌 / agency user tokens.
    Agency(credentials_cmd::AgencyArgs),
    /// 压测：按数据包生成真实流量驱动运行中的结算中心 / load-test a running hub with realistic traffic.
    Bench(bench_cmd::Args),
    /// 向演示中心发送一笔真实门诊结算 / send one real outpatient settlement to a demo hub.
    DemoSettle(demo_settle_cmd::Args),
    /// 演示一个月的省际清算：跨省结算、冻结、清算单、确认、付款、轧差 / run one month of clearing on the demo.
    DemoMonth(demo_month_cmd::Args),
    /// 接口一致性检查（医院端）/ run the protocol conformance checks against a server.
    Conformance(conformance_cmd::Args),
    /// 资金账簿：核对 / the funds ledger: verify the books.
    Ledger(ledger_cmd::Args),
    /// 参保人网上账户：签发激活码 / people's online accounts: issue activation codes.
    Person(person_cmd::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Adjudicate(args) => adjudicate_cmd::run(&args),
        Command::CheckPack(args) => check_pack_cmd::run(&args),
        Command::Serve(args) => serve_cmd::run(&args),
        Command::Import(args) => import_cmd::run(&args),
        Command::Facility(args) => credentials_cmd::run_facility(&args),
        Command::Agency(args) => credentials_cmd::run_agency(&args),
        Command::Bench(args) => bench_cmd::run(&args),
        Command::DemoSettle(args) => demo_settle_cmd::run(&args),
        Command::DemoMonth(args) => demo_month_cmd::run(&args),
        Command::Conformance(args) => conformance_cmd::run(&args),
        Command::Ledger(args) => ledger_cmd::run(&args),
        Command::Person(args) => person_cmd::run(&args),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误 / error: {e:#}");
            ExitCode::from(1)
        }
    }
}
