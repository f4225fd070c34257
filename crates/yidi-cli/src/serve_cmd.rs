//! `yidi serve`: opens the database, loads the pack (from `--data`/`--demo`, importing it, or
//! the database's latest), opens the key file, starts the hub and the HTTP server, and runs until
//! SIGINT/SIGTERM.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use yidi_domain::Pack;
use yidi_http::ServeConfig;
use yidi_http::crypto;
use yidi_hub::HubConfig;
use yidi_store::Store;

use crate::db;

/// The demo pack, relative to the repository root.
const DEMO_DIR: &str = "test_data/demo";
/// Demo credentials printed at start-up as examples of the rule.
const DEMO_EXAMPLES_SHOWN: usize = 3;

#[derive(clap::Args)]
pub struct Args {
    /// 监听地址 / address to listen on
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// 数据库文件（不存在则创建）/ database file (created if missing)
    #[arg(long, default_value = "yidi.db")]
    db: PathBuf,
    /// 启动时导入的数据包目录 / pack directory imported at start
    #[arg(long)]
    data: Option<PathBuf>,
    /// 演示模式：载入 test_data/demo（或 --data），所有机构和统筹区使用公开的演示凭据
    /// / demo mode: load test_data/demo (or --data) with public demo credentials for all
    #[arg(long)]
    demo: bool,
    /// 令牌加密密钥文件（默认为数据库旁的 DB.key，不存在则创建）/ key file (default DB.key, created if missing)
    #[arg(long)]
    secret_key_file: Option<PathBuf>,
    /// 每个机构每秒请求上限，超出答 429；0 为不限（压测用）/ requests per second per facility, 429 beyond; 0 = off
    #[arg(long, value_name = "N", default_value_t = yidi_http::limits::RATE_LIMIT_PER_SEC)]
    rate_limit: u32,
    /// 仅演示：结算中心时钟从此时刻（北京时间）起走，如 "2025-11-03 09:00:00"；须与 --demo 同用
    /// / demo only: the hub clock starts at this Beijing time and runs on; requires --demo
    #[arg(long, value_name = "YYYY-MM-DD HH:MM:SS")]
    clock: Option<String>,
    /// 预付金年度额度的月数（按上年月均统筹基金）/ months of average fund share in a year's prepayment
    #[arg(long, value_name = "N", default_value_t = 2)]
    prepayment_months: u32,
    /// 预付金黄色预警线（万分比，7000 = 70%）/ prepayment yellow warning, basis points
    #[arg(long, value_name = "BP", default_value_t = 7_000)]
    prepayment_yellow_bp: u32,
    /// 预付金红色预警线（万分比，9000 = 90%）/ prepayment red warning, basis points
    #[arg(long, value_name = "BP", default_value_t = 9_000)]
    prepayment_red_bp: u32,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let prepayment = prepayment_config(args)?;
    let hub_clock_start = match (&args.clock, args.demo) {
        (None, _) => None,
        (Some(_), false) => anyhow::bail!(
            "--clock 只能用于演示模式（--demo）：生产环境的结算中心只用系统时钟 / --clock requires --demo"
        ),
        (Some(text), true) => Some(yidi_domain::DateTime::parse(text.trim()).map_err(|e| {
            anyhow::anyhow!("--clock “{text}” 不是 YYYY-MM-DD HH:MM:SS 格式的时间：{e} / not a time")
        })?),
    };
    let dir = match (&args.data, args.demo) {
        (Some(dir), _) => Some(dir.clone()),
        (None, true) => Some(demo_dir()?),
        (None, false) => None,
    };
    let from_dir = match &dir {
        Some(dir) => match db::read_pack_dir(dir) {
            Ok(checked) => Some(checked),
            Err(code) => return Ok(code),
        },
        None => None,
    };
    let store = db::open_store(&args.db)?;
    let pack = match from_dir {
        Some((files, pack)) => {
            let changed = store.save_pack(&files, db::now()).context("无法保存数据包")?;
            let what = if changed { "已导入 / imported" } else { "无变化 / unchanged" };
            println!("数据包 / pack {}: {what}", dir.as_deref().unwrap_or(Path::new("")).display());
            pack
        }
        None => match db::stored_pack(store.as_ref(), &args.db)? {
            Some(Ok(pack)) => pack,
            Some(Err(code)) => return Ok(code),
            None => anyhow::bail!(
                "数据库 {} 中没有数据包：请先运行 yidi import DIR --db {}，或用 --data DIR / --demo 启动 / no pack in the database",
                args.db.display(),
                args.db.display()
            ),
        },
    };
    let key = db::open_key(&db::key_path(&args.db, args.secret_key_file.as_deref()), store.as_ref())?;
    if args.demo {
        print_demo_credentials(&pack);
    }
    yidi_http::init_logging();
    let config = ServeConfig {
        listen: args.listen,
        demo_mode: args.demo,
        rate_limit_per_sec: args.rate_limit,
        hub: HubConfig { prepayment, ..HubConfig::default() },
        hub_clock_start,
    };
    yidi_http::run(config, store, Arc::new(pack), key, |ready| {
        if !ready.unreadable.is_empty() {
            eprintln!(
                "警告 / warning: {} 个凭据无法用此密钥文件解密，这些机构无法接入：{}",
                ready.unreadable.len(),
                ready.unreadable.join(", ")
            );
        }
        println!("Yidi 已启动 / listening on http://{}（{} 个机构凭据）", ready.addr, ready.credentials);
        println!("经办机构接口文档 / agency API docs: http://{}/api/docs", ready.addr);
        println!("公众服务门户 / public portal: http://{}/", ready.addr);
        println!(
            "经办看板 / agency dashboards: http://{}/agency/（以经办机构令牌登录 / sign in with an agency token）",
            ready.addr
        );
        if let Some(start) = hub_clock_start {
            println!("演示时钟 / demo clock: 结算中心时间从 {start} 起走 / the hub's time starts at {start}");
        }
    })?;
    println!("已停止 / stopped");
    Ok(ExitCode::SUCCESS)
}

/// `test_data/demo` under the working directory, else under the source tree this binary was
/// built from.
fn demo_dir() -> anyhow::Result<PathBuf> {
    let candidates =
        [PathBuf::from(DEMO_DIR), Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(DEMO_DIR)];
    candidates.into_iter().find(|dir| dir.join("facilities.csv").is_file()).with_context(|| {
        format!("找不到演示数据包 {DEMO_DIR}：请在仓库根目录运行，或用 --data DIR 指定 / demo pack not found")
    })
}

fn print_demo_credentials(pack: &Pack) {
    let r = &pack.refdata;
    println!("演示模式 / demo mode: 以下凭据由公开规则推导，任何人都能算出，只在 --demo 下有效");
    println!(
        "  定点机构 / facility: paasid = yidi_<fixmedins_code>, token = hex(SHA-256(\"yidi-demo:\" + fixmedins_code))"
    );
    println!("  经办机构 / agency:   token = hex(SHA-256(\"yidi-demo-agency:\" + admdvs))");
    let mut facilities: Vec<_> = r.facilities.values().collect();
    facilities.sort_by(|a, b| a.code.cmp(&b.code));
    for f in facilities.iter().take(DEMO_EXAMPLES_SHOWN) {
        println!("  yidi_{}  token {}  {}", f.code, crypto::demo_facility_token(f.code.as_str()), f.name);
    }
    for region in r.regions.values().take(DEMO_EXAMPLES_SHOWN) {
        let admdvs = region.admdvs.to_string();
        println!("  agency {admdvs}  token {}  {}", crypto::demo_agency_token(&admdvs), region.name);
    }
    let provinces: std::collections::BTreeSet<_> = r.regions.keys().map(|c| c.province()).collect();
    if let Some(p) = provinces.iter().find(|p| !r.regions.contains_key(p)) {
        let admdvs = p.to_string();
        println!(
            "  agency {admdvs}  token {}  省级（清算、预付金）/ province token: clearing and prepayment",
            crypto::demo_agency_token(&admdvs)
        );
    }
    println!(
        "  {} 个省份各有省级演示令牌，规则相同 / each of the {} provinces has a demo province token by the same rule",
        provinces.len(),
        provinces.len()
    );
    println!(
        "  全部 {} 家机构和 {} 个统筹区都按此规则 / all {} facilities and {} regions follow the rule",
        r.facilities.len(),
        r.regions.len(),
        r.facilities.len(),
        r.regions.len()
    );
}

/// The prepayment parameters from the command line, checked.
fn prepayment_config(args: &Args) -> anyhow::Result<yidi_ledger::PrepaymentConfig> {
    let bp = |v: u32, flag: &str| {
        yidi_domain::Bp::new(i64::from(v))
            .map_err(|_| anyhow::anyhow!("--{flag} {v} 应为 0 至 10000 的万分比 / basis points 0..=10000"))
    };
    let (yellow, red) = (
        bp(args.prepayment_yellow_bp, "prepayment-yellow-bp")?,
        bp(args.prepayment_red_bp, "prepayment-red-bp")?,
    );
    yidi_ledger::PrepaymentConfig::new(args.prepayment_months, yellow, red).map_err(|e| {
        anyhow::anyhow!(
            "预付金参数无效（月数 1 至 {}，黄色预警线不高于红色）/ bad prepayment parameters: {e}",
            yidi_ledger::limits::PREPAYMENT_MONTHS_MAX
        )
    })
}
