//! `yidi facility credentials issue|rotate|revoke CODE` (also `yidi facility add|rotate|revoke`),
//! `yidi facility sm2-key CODE --public-key FILE [--required]` and `yidi agency add NAME --admdvs
//! CODE`: tokens are printed once and stored sealed (facility) or hashed (agency); an SM2 public
//! key is stored as given, since it is public.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use yidi_domain::{DivisionCode, FacilityCode};
use yidi_http::credentials::{self, Issued};
use yidi_http::limits::CREDENTIALS_REFRESH_SECS;
use yidi_http::sm2;
use yidi_store::Store;

use crate::db;

#[derive(clap::Args)]
pub struct FacilityArgs {
    #[command(subcommand)]
    command: FacilityCommand,
}

#[derive(Subcommand)]
enum FacilityCommand {
    /// 机构接入凭据（paasid + 令牌）/ a facility's gateway credential
    Credentials {
        #[command(subcommand)]
        action: CredentialAction,
    },
    /// 同 credentials issue / same as `credentials issue`
    Add(Target),
    /// 同 credentials rotate / same as `credentials rotate`
    Rotate(Target),
    /// 同 credentials revoke / same as `credentials revoke`
    Revoke(Target),
    /// 登记机构 SM2 公钥（报文签名 cainfo）/ register the facility's SM2 public key (body signature)
    #[command(name = "sm2-key")]
    Sm2Key(Sm2KeyArgs),
}

#[derive(clap::Args)]
struct Sm2KeyArgs {
    /// 定点机构编码（须已签发凭据）/ facility code (fixmedins_code), with an issued credential
    code: String,
    /// 公钥文件：未压缩点的十六进制（04 开头 130 位，可含空白）/ key file: hex of the uncompressed point (04 + X + Y, 130 digits)
    #[arg(long, value_name = "FILE")]
    public_key: PathBuf,
    /// 要求每个请求都带有效 SM2 签名 / every request must carry a valid SM2 signature
    #[arg(long)]
    required: bool,
    /// 数据库文件 / database file
    #[arg(long, default_value = "yidi.db")]
    db: PathBuf,
}

#[derive(Subcommand)]
enum CredentialAction {
    /// 签发凭据，令牌只显示一次 / issue a credential; the token is shown once
    Issue(Target),
    /// 更换令牌，旧令牌 24 小时内仍有效 / replace the token; the old one works 24 h more
    Rotate(Target),
    /// 注销凭据，立即失效 / end the credential at once
    Revoke(Target),
}

#[derive(clap::Args)]
struct Target {
    /// 定点机构编码 / facility code (fixmedins_code)
    code: String,
    /// 数据库文件 / database file
    #[arg(long, default_value = "yidi.db")]
    db: PathBuf,
    /// 令牌加密密钥文件（默认为数据库旁的 DB.key）/ key file sealing tokens (default DB.key)
    #[arg(long)]
    secret_key_file: Option<PathBuf>,
}

#[derive(Clone, Copy)]
enum Action {
    Issue,
    Rotate,
    Revoke,
}

pub fn run_facility(args: &FacilityArgs) -> anyhow::Result<ExitCode> {
    let (action, target) =
        match &args.command {
            FacilityCommand::Sm2Key(key) => return run_sm2_key(key),
            FacilityCommand::Credentials { action: CredentialAction::Issue(t) } | FacilityCommand::Add(t) => {
                (Action::Issue, t)
            }
            FacilityCommand::Credentials { action: CredentialAction::Rotate(t) }
            | FacilityCommand::Rotate(t) => (Action::Rotate, t),
            FacilityCommand::Credentials { action: CredentialAction::Revoke(t) }
            | FacilityCommand::Revoke(t) => (Action::Revoke, t),
        };
    let code = FacilityCode::parse(&target.code).map_err(|e| anyhow::anyhow!("{e}"))?;
    let store = db::open_store(&target.db)?;
    warn_if_not_in_pack(store.as_ref(), &code, &target.db)?;
    let now = db::now();
    match action {
        Action::Issue | Action::Rotate => {
            let key =
                db::open_key(&db::key_path(&target.db, target.secret_key_file.as_deref()), store.as_ref())?;
            let issued = match action {
                Action::Issue => credentials::issue(store.as_ref(), &key, &code, now)?,
                _ => credentials::rotate(store.as_ref(), &key, &code, now)?,
            };
            print_issued(&issued);
        }
        Action::Revoke => {
            let paasid = credentials::revoke(store.as_ref(), &code, now)?;
            println!(
                "已注销 / revoked: {paasid}（运行中的服务 10 秒内生效 / a running server drops it within 10 s）"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Registers the key on the facility's credential; a running server picks it up on its next
/// credential refresh.
fn run_sm2_key(args: &Sm2KeyArgs) -> anyhow::Result<ExitCode> {
    let code = FacilityCode::parse(&args.code).map_err(|e| anyhow::anyhow!("{e}"))?;
    let text = std::fs::read_to_string(&args.public_key)
        .with_context(|| format!("无法读取公钥文件 {}", args.public_key.display()))?;
    let public_key = sm2::parse_public_key_hex(&text)
        .with_context(|| format!("公钥文件 {} 格式不对", args.public_key.display()))?;
    let store = db::open_store(&args.db)?;
    let paasid = credentials::set_sm2_key(store.as_ref(), &code, &public_key, args.required, db::now())?;
    let mode = if args.required {
        "必须签名 / required: unsigned requests are refused"
    } else {
        "签名可选 / optional: signatures are verified when sent"
    };
    println!("已登记 SM2 公钥 / SM2 key registered: {paasid}（{mode}）");
    println!(
        "运行中的服务 {CREDENTIALS_REFRESH_SECS} 秒内生效 / a running server applies it within {CREDENTIALS_REFRESH_SECS} s"
    );
    Ok(ExitCode::SUCCESS)
}

fn print_issued(issued: &Issued) {
    match issued.previous_until {
        None => println!("已签发凭据 / credential issued"),
        Some(until) => {
            println!("已更换令牌 / token rotated（旧令牌有效至 / old token valid until {until}，北京时间）")
        }
    }
    println!("paasid: {}", issued.paasid);
    println!("token:  {}", issued.token);
    println!("令牌只显示这一次，请安全转交机构 / the token is shown only once: hand it over securely");
}

/// A credential for a facility the current pack does not list cannot be used (403); say so,
/// but allow it, since the pack may be imported later.
fn warn_if_not_in_pack(store: &dyn Store, code: &FacilityCode, db: &Path) -> anyhow::Result<()> {
    let files = store.latest_pack().context("无法读取数据库中的数据包")?;
    let listed = files.as_ref().and_then(|f| f.get("facilities.csv")).is_some_and(|text| {
        text.lines().any(|line| line.split(',').any(|field| field.trim() == code.as_str()))
    });
    if !listed {
        eprintln!(
            "注意 / note: {} 的最新数据包中没有机构 {code}；导入含该机构的数据包之前，其请求会被拒绝（403）",
            db.display()
        );
    }
    Ok(())
}

#[derive(clap::Args)]
pub struct AgencyArgs {
    #[command(subcommand)]
    command: AgencyCommand,
}

#[derive(Subcommand)]
enum AgencyCommand {
    /// 为经办机构用户签发令牌（只显示一次，只存 SHA-256）/ issue an agency token (shown once, stored as SHA-256)
    Add(AgencyAdd),
    /// 吊销经办机构用户的令牌（API 拒绝，页面会话结束）/ revoke an agency user's token (API refused, page sessions end)
    Revoke(AgencyRevoke),
}

#[derive(clap::Args)]
struct AgencyRevoke {
    /// 用户名称 / user name
    name: String,
    /// 数据库文件 / database file
    #[arg(long, default_value = "yidi.db")]
    db: PathBuf,
}

#[derive(clap::Args)]
struct AgencyAdd {
    /// 用户名称 / user name
    name: String,
    /// 所代表的统筹区代码 / pooling region it acts for
    #[arg(long)]
    admdvs: String,
    /// 数据库文件 / database file
    #[arg(long, default_value = "yidi.db")]
    db: PathBuf,
}

pub fn run_agency(args: &AgencyArgs) -> anyhow::Result<ExitCode> {
    let add = match &args.command {
        AgencyCommand::Add(add) => add,
        AgencyCommand::Revoke(r) => {
            let store = db::open_store(&r.db)?;
            let revoked = credentials::revoke_agency(store.as_ref(), &r.name)?;
            println!(
                "已吊销经办机构令牌 / agency token revoked: {}（统筹区 / region {}）",
                revoked.name, revoked.admdvs
            );
            println!(
                "运行中的服务在 {} 秒内停止接受该令牌，用它登录的页面会话随之结束 / a running server stops accepting it within {} s",
                yidi_http::limits::CREDENTIALS_REFRESH_SECS,
                yidi_http::limits::CREDENTIALS_REFRESH_SECS
            );
            return Ok(ExitCode::SUCCESS);
        }
    };
    let admdvs = DivisionCode::parse(&add.admdvs).map_err(|e| anyhow::anyhow!("{e}"))?;
    let store = db::open_store(&add.db)?;
    let issued = credentials::add_agency(store.as_ref(), &add.name, admdvs, db::now())?;
    println!(
        "已签发经办机构令牌 / agency token issued: {}（统筹区 / region {}）",
        issued.name, issued.admdvs
    );
    if issued.admdvs.is_province() {
        println!(
            "省级令牌：代表本省办理省际清算和预付金（冻结、确认、付款、通知、追加）/ a province token: acts for the province in clearing and prepayment"
        );
    }
    println!("token:  {}", issued.token);
    println!(
        "令牌只显示这一次，数据库只保存其 SHA-256 / shown only once; the database keeps only its SHA-256"
    );
    Ok(ExitCode::SUCCESS)
}
