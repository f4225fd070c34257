//! `yidi demo-month settle|clear`: one month of inter-provincial money on the demo data, against a
//! running `yidi serve --demo`, through the same interfaces a hospital and the agencies use.
//!
//! `settle` sends real outpatient settlements (2201 → 2203 → 2204 → 2207) of long-term filers at
//! hospitals in other provinces, then the insured provinces issue prepayment notices for their
//! pairs. `clear --month M` freezes month M, fetches every pair's statement (JSON, CSV, detail CSV
//! and printable HTML into `--out`), confirms with both provinces' demo province tokens, records
//! the payments, prints the netting and the prepayments, and — with `--db` — verifies the books.
//! Month M must have ended by the hub clock: start the hub with `yidi serve --demo --clock` (the
//! README gives the whole sequence).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use yidi_domain::{BenefitKind, DateTime, DivisionCode, Facility, Fen, Pack, PersonRecord, Qty};
use yidi_http::crypto::demo_agency_token;

use crate::demo_client::{Hospital, Http, fee_lines, now_beijing};

/// How long one request may take before the command gives up.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// 发送跨省门诊结算并下发预付金通知 / send cross-province settlements and prepayment notices.
    Settle(SettleArgs),
    /// 冻结、取清算单、双方确认、登记付款、轧差 / freeze, statements, confirm, pay, net.
    Clear(ClearArgs),
}

#[derive(clap::Args)]
struct SettleArgs {
    /// 结算中心地址 / the hub's address
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// 演示数据包 / the demo pack
    #[arg(long, default_value = "test_data/demo")]
    data: PathBuf,
    /// 结算笔数 / settlements to make
    #[arg(long, default_value_t = 20)]
    count: usize,
}

#[derive(clap::Args)]
struct ClearArgs {
    /// 结算中心地址 / the hub's address
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// 清算月份 / the month to clear, YYYY-MM
    #[arg(long)]
    month: String,
    /// 演示数据包（取省份列表）/ the demo pack (for the list of provinces)
    #[arg(long, default_value = "test_data/demo")]
    data: PathBuf,
    /// 清算单文件目录 / where statement files are written
    #[arg(long, default_value = "demo-month")]
    out: PathBuf,
    /// 结算中心的数据库：付款后核对账簿 / the hub's database: verify the books at the end
    #[arg(long)]
    db: Option<PathBuf>,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    match &args.command {
        Command::Settle(a) => settle(a),
        Command::Clear(a) => clear(a),
    }
}

fn settle(args: &SettleArgs) -> anyhow::Result<ExitCode> {
    let pack = yidi_refdata::load_pack(&args.data)
        .map_err(|p| anyhow::anyhow!("演示数据包无效：{} 个问题", p.len()))?;
    let http = Http::new(&args.url, REQUEST_TIMEOUT)?;
    let mut facilities: Vec<&Facility> = pack.refdata.facilities.values().collect();
    facilities.sort_by(|a, b| a.code.cmp(&b.code));
    let first = facilities.first().context("演示数据包没有定点机构")?;
    let mut hospital = Hospital::new(&http, first.code.as_str());
    let now = hub_time(&mut hospital)?;
    println!("结算中心时间 / hub time: {now}（清算月份 / clearing month {}）", &now.to_string()[..7]);
    let persons = round_robin(&pack);
    let mut by_pair: BTreeMap<(DivisionCode, DivisionCode), (usize, Fen)> = BTreeMap::new();
    let mut made = 0;
    for record in persons {
        if made == args.count {
            break;
        }
        let Some(facility) = cross_province_facility(record, &facilities, now) else { continue };
        hospital = hospital.at(facility.code.as_str());
        match settle_visit(&mut hospital, &pack, record, facility, now) {
            Ok((setl_id, pooled, acct)) => {
                made += 1;
                let pair = (record.person.insuplc.province(), facility.admdvs.province());
                let e = by_pair.entry(pair).or_default();
                e.0 += 1;
                e.1 += pooled;
                println!(
                    "2207 {setl_id}  {}>{}  {}  统筹等 / pooled {pooled}  个账 / account {acct}",
                    pair.0, pair.1, facility.code
                );
            }
            Err(e) => println!("跳过 / skipped {}：{e:#}", record.person.psn_no),
        }
    }
    if made == 0 {
        bail!("没有一笔跨省结算成功：请确认结算中心以 --demo 启动，且 --clock 在 2025 年内");
    }
    println!("\n共 {made} 笔跨省结算 / cross-province settlements; 各省份对预付金通知 / prepayment notices:");
    // The pair with the most fund share gets a tight float, to show the red warning and the
    // emergency top-up; the others twice the month's share.
    let tight = by_pair.iter().max_by_key(|(_, (_, pooled))| *pooled).map(|(pair, _)| *pair);
    for ((insured, treatment), (count, pooled)) in &by_pair {
        // No previous-year history in the demo: the insured province sets the amount.
        let amount = if tight == Some((*insured, *treatment)) {
            Fen::new(pooled.get() * 21 / 20)
        } else {
            Fen::new((pooled.get() * 2).max(10_000))
        };
        let token = demo_agency_token(&insured.to_string());
        let path = format!("/api/agency/prepayments/{insured}/{treatment}/notices");
        let (status, v) = http.agency("POST", &path, &token, &json!({"amount": amount.yuan()}))?;
        let note = match status {
            200 => format!(
                "预付金 / prepayment {} 元，使用率 / utilisation {}",
                v["funded"].as_str().unwrap_or(""),
                v["utilisation"].as_str().unwrap_or("")
            ),
            _ => format!("{} {}", v["code"].as_str().unwrap_or(""), v["message"].as_str().unwrap_or("")),
        };
        println!("  {insured}>{treatment}: {count} 笔 / settlements, 统筹等 / pooled {pooled} 元；{note}");
        if status == 200 && v["warning"] == "red" {
            top_up(&http, &insured.to_string(), &treatment.to_string())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Red: the treatment province asks for an emergency top-up and the insured province approves.
fn top_up(http: &Http, insured: &str, treatment: &str) -> anyhow::Result<()> {
    let base = format!("/api/agency/prepayments/{insured}/{treatment}/top-ups");
    let reason = json!({"reason": "使用率超过 90%，申请紧急追加"});
    let (status, v) = http.agency("POST", &base, &demo_agency_token(treatment), &reason)?;
    if status != 200 {
        bail!("{treatment} 申请紧急追加失败：{status} {v}");
    }
    let id = v["top_ups"][0]["id"].as_str().unwrap_or("").to_string();
    println!(
        "    红色预警 / red: {treatment} 申请紧急追加 / asks for a top-up {id}：{} 元",
        v["top_ups"][0]["amount"].as_str().unwrap_or("")
    );
    let (status, v) =
        http.agency("POST", &format!("{base}/{id}/approve"), &demo_agency_token(insured), &json!({}))?;
    if status != 200 {
        bail!("{insured} 批准紧急追加失败：{status} {v}");
    }
    println!(
        "    {insured} 已批准 / approved：预付金 / prepayment {} 元，使用率 / utilisation {}（{}）",
        v["funded"].as_str().unwrap_or(""),
        v["utilisation"].as_str().unwrap_or(""),
        v["warning"].as_str().unwrap_or("")
    );
    Ok(())
}

/// Persons taken in turn from each insured province (by `psn_no` within one), so the month has
/// money flowing between many provinces in both directions.
fn round_robin(pack: &Pack) -> Vec<&PersonRecord> {
    let mut by_province: BTreeMap<DivisionCode, Vec<&PersonRecord>> = BTreeMap::new();
    for r in pack.persons.values() {
        by_province.entry(r.person.insuplc.province()).or_default().push(r);
    }
    let mut queues: Vec<std::vec::IntoIter<&PersonRecord>> = by_province
        .into_values()
        .map(|mut v| {
            v.sort_by(|a, b| a.person.psn_no.cmp(&b.person.psn_no));
            v.into_iter()
        })
        .collect();
    let mut out = Vec::with_capacity(pack.persons.len());
    while out.len() < pack.persons.len() {
        for q in &mut queues {
            out.extend(q.next());
        }
    }
    out
}

/// A hospital in another province that a long-term filing of the person covers.
fn cross_province_facility<'p>(
    record: &PersonRecord,
    facilities: &[&'p Facility],
    now: DateTime,
) -> Option<&'p Facility> {
    let home = record.person.insuplc.province();
    let filing = record.filings.iter().find(|f| f.category.is_long_term() && f.valid_for(now.date(), now))?;
    facilities
        .iter()
        .find(|f| {
            f.admdvs.province() != home
                && filing.covers(f.admdvs)
                && f.open_for(BenefitKind::Outpatient)
                && f.level >= 2
                && yidi_domain::in_period(now.date(), f.begndate, f.enddate)
        })
        .copied()
}

fn clear(args: &ClearArgs) -> anyhow::Result<ExitCode> {
    let month = args.month.trim();
    if yidi_ledger::Month::parse(month).is_none() || month.len() != 7 {
        bail!("--month “{month}” 应为 YYYY-MM");
    }
    let http = Http::new(&args.url, REQUEST_TIMEOUT)?;
    std::fs::create_dir_all(&args.out).with_context(|| format!("无法创建目录 {}", args.out.display()))?;
    let pack = yidi_refdata::load_pack(&args.data)
        .map_err(|p| anyhow::anyhow!("演示数据包无效：{} 个问题", p.len()))?;
    let provinces: Vec<String> = pack
        .refdata
        .regions
        .keys()
        .map(|r| r.province().to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let token = |p: &str| demo_agency_token(p);
    // Freeze: any province token; a month frozen before is fine.
    let first = provinces.first().context("演示数据包没有统筹区")?;
    let (status, v) =
        http.agency("POST", &format!("/api/agency/clearing/{month}/freeze"), &token(first), &json!({}))?;
    match (status, v["code"].as_str()) {
        (200, _) => println!(
            "{month} 已冻结 / frozen: 确认期限 / confirm by {}, 付款期限 / pay by {}",
            v["confirm_by"], v["pay_by"]
        ),
        (409, Some("month_already_frozen")) => println!("{month} 此前已冻结 / already frozen"),
        _ => bail!("冻结失败 / freeze refused: {status} {v}"),
    }
    // Every pair, from the insured side's view of the month.
    let mut pairs: Vec<(String, String)> = Vec::new();
    for p in &provinces {
        let (status, v) =
            http.agency("GET", &format!("/api/agency/clearing/{month}"), &token(p), &json!(null))?;
        if status != 200 {
            bail!("{p} 读取 {month} 清算失败：{status} {v}");
        }
        for pair in v["pairs"].as_array().into_iter().flatten().filter(|x| x["side"] == "insured") {
            pairs.push((
                pair["insured"].as_str().unwrap_or("").into(),
                pair["treatment"].as_str().unwrap_or("").into(),
            ));
        }
    }
    println!("{} 个省份对 / province pairs", pairs.len());
    for (insured, treatment) in &pairs {
        clear_pair(&http, &args.out, month, insured, treatment)?;
    }
    // Each province sees its own transfers; together they are the whole netting.
    let (mut gross, mut net) = (std::collections::BTreeSet::new(), std::collections::BTreeSet::new());
    let mut totals = Value::Null;
    for p in &provinces {
        let (_, n) =
            http.agency("GET", &format!("/api/agency/clearing/{month}/netting"), &token(p), &json!(null))?;
        let transfer = |t: &Value| {
            let text = |k: &str| t[k].as_str().unwrap_or("").to_string();
            (text("from"), text("to"), text("amount"))
        };
        gross.extend(n["gross"].as_array().into_iter().flatten().map(transfer));
        net.extend(n["net"].as_array().into_iter().flatten().map(transfer));
        totals = n;
    }
    println!("\n轧差 / netting {month}:");
    println!(
        "  全额划拨 / gross: {} 笔 / transfers, {} 元",
        gross.len(),
        totals["gross_total"].as_str().unwrap_or("")
    );
    for (from, to, amount) in &net {
        println!("  净额划拨 / net transfer {from} → {to}: {amount} 元");
    }
    println!(
        "  净额合计 / net total {} 元，节省 / saving {} 元",
        totals["net_total"].as_str().unwrap_or(""),
        totals["saving"].as_str().unwrap_or("")
    );
    println!("\n预付金 / prepayments (after payment the prepayment is restored):");
    let mut seen = std::collections::BTreeSet::new();
    for p in &provinces {
        let (_, list) = http.agency("GET", "/api/agency/prepayments", &token(p), &json!(null))?;
        for x in list.as_array().into_iter().flatten().filter(|x| seen.insert(x["pair"].to_string())) {
            println!(
                "  {}: 预付 / funded {}，占用 / charged {}，使用率 / utilisation {}，预警 / warning {}",
                x["pair"].as_str().unwrap_or(""),
                x["funded"].as_str().unwrap_or(""),
                x["charged"].as_str().unwrap_or(""),
                x["utilisation"].as_str().unwrap_or(""),
                x["warning"].as_str().unwrap_or("")
            );
        }
    }
    println!("\n清算单文件 / statement files: {}", args.out.display());
    match &args.db {
        Some(db) => {
            println!("\n账簿核对 / verifying the books ({}):", db.display());
            crate::ledger_cmd::verify_db(db)
        }
        None => {
            println!(
                "核对账簿 / verify the books: yidi ledger verify --db <结算中心的数据库 / the hub's database>"
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn clear_pair(
    http: &Http,
    out: &std::path::Path,
    month: &str,
    insured: &str,
    treatment: &str,
) -> anyhow::Result<()> {
    let (ti, tt) = (demo_agency_token(insured), demo_agency_token(treatment));
    let base = format!("/api/agency/clearing/{month}/{insured}/{treatment}");
    let (status, s) = http.agency("GET", &base, &ti, &json!(null))?;
    if status != 200 {
        bail!("{insured}>{treatment} 清算单读取失败：{status} {s}");
    }
    println!(
        "\n== {insured}>{treatment} {month}（{}）应清算 / due {} 元：统筹等 / pooled {}，个账 / account {}，拒付追回 / adjustments {}",
        s["mode"]["mode"].as_str().unwrap_or(""),
        s["due"].as_str().unwrap_or(""),
        s["pooled"].as_str().unwrap_or(""),
        s["personal"].as_str().unwrap_or(""),
        s["adjustments"].as_str().unwrap_or("")
    );
    for l in s["lines"].as_array().into_iter().flatten() {
        println!(
            "   {:<24} {:>4} 笔  {:>12} 元",
            l["label"].as_str().unwrap_or(""),
            l["count"],
            l["total"].as_str().unwrap_or("")
        );
    }
    for file in ["statement.csv", "statement.html", "detail.csv"] {
        let body = http.get_text(&format!("{base}/{file}"), &ti)?;
        let path = out.join(format!("{month}-{insured}-{treatment}-{file}"));
        std::fs::write(&path, body).with_context(|| format!("无法写入 {}", path.display()))?;
    }
    for (side, token) in [("参保省 / insured", &ti), ("就医省 / treatment", &tt)] {
        let (status, v) = http.agency("POST", &format!("{base}/confirm"), token, &json!({}))?;
        match (status, v["code"].as_str()) {
            (200, _) => println!("   {side} 已确认 / confirmed"),
            (409, Some("already_confirmed")) => println!("   {side} 此前已确认 / already confirmed"),
            _ => bail!("{side} 确认失败：{status} {v}"),
        }
    }
    let payer = if s["due"].as_str().is_some_and(|d| d.starts_with('-')) { &tt } else { &ti };
    let (status, now) = http.agency("GET", &format!("/api/agency/clearing/{month}"), payer, &json!(null))?;
    let paid_on = match status {
        200 => now["frozen_at"].as_str().unwrap_or("").get(..10).unwrap_or("").to_string(),
        _ => String::new(),
    };
    let body = json!({"bank_name": "演示银行", "bank_serial": format!("DEMO{}{}{}", &insured[..2], &treatment[..2], month.replace('-', "")), "paid_on": paid_on});
    let (status, v) = http.agency("POST", &format!("{base}/payment"), payer, &body)?;
    match (status, v["code"].as_str()) {
        (200, _) => println!(
            "   已付款 / paid {} 元 {} → {}，流水号 / serial {}",
            v["payment"]["amount"].as_str().unwrap_or(""),
            v["payment"]["payer"].as_str().unwrap_or(""),
            v["payment"]["payee"].as_str().unwrap_or(""),
            v["payment"]["bank_serial"].as_str().unwrap_or("")
        ),
        (409, Some("already_paid")) => println!("   此前已付款 / already paid"),
        _ => bail!("付款登记失败：{status} {v}"),
    }
    Ok(())
}

/// The hub's own time (its clock may be a demo clock): from a sign-in's `respond_time`.
fn hub_time(hospital: &mut Hospital<'_>) -> anyhow::Result<DateTime> {
    let v = hospital.call("9001", json!({"signIn": {"opter_no": "DEMO01"}}), now_beijing())?;
    let t = v["respond_time"].as_str().context("9001 应答没有 respond_time")?;
    let text = format!("{}-{}-{} {}:{}:{}", &t[0..4], &t[4..6], &t[6..8], &t[8..10], &t[10..12], &t[12..14]);
    DateTime::parse(&text).map_err(|e| anyhow::anyhow!("respond_time {t}: {e}"))
}

/// One outpatient visit settled; its `setl_id`, pooled fund share and account share.
fn settle_visit(
    hospital: &mut Hospital<'_>,
    pack: &Pack,
    record: &PersonRecord,
    facility: &Facility,
    now: DateTime,
) -> anyhow::Result<(String, Fen, Fen)> {
    let p = &record.person;
    let time = now.to_string();
    let insutype = p.insutype.as_str();
    let reg = hospital.call("2201", json!({"data": {"psn_no": p.psn_no, "insutype": insutype, "begntime": time,
        "mdtrt_cert_type": "02", "mdtrt_cert_no": p.certno.as_str(), "ipt_otp_no": format!("MZ{}", hospital.counter())}}), now)?;
    let mdtrt_id = reg["output"]["data"]["mdtrt_id"].as_str().context("2201 没有返回 mdtrt_id")?.to_string();
    hospital.call("2203", json!({"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": p.psn_no, "med_type": "11", "begntime": time, "dise_codg": "I10"}}), now)?;
    let (lines, total) =
        fee_lines(pack, facility, now, (&mdtrt_id, &p.psn_no), |n| Qty::from_units(40 + 10 * n as i64));
    hospital.call("2204", json!({"feedetail": lines}), now)?;
    let v = hospital.call("2207", json!({"data": {"psn_no": p.psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": p.certno.as_str(),
        "med_type": "11", "medfee_sumamt": total.yuan(), "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": "DEMO",
        "acct_used_flag": "1", "insutype": insutype}}), now)?;
    let i = &v["output"]["setlinfo"];
    let amount = |f: &str| -> anyhow::Result<Fen> {
        let text = match &i[f] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        Fen::parse_yuan(&text).map_err(|e| anyhow::anyhow!("{f} {text}: {e}"))
    };
    let pooled = amount("hifp_pay")? + amount("hifob_pay")? + amount("hifmi_pay")? + amount("maf_pay")?;
    Ok((i["setl_id"].as_str().unwrap_or("").to_string(), pooled, amount("acct_pay")?))
}
