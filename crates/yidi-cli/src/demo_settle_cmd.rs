//! `yidi demo-settle --url URL`: one real outpatient settlement against a hub started with
//! `yidi serve --demo`, as a hospital system would send it: sign-in, registration, visit info,
//! a fee upload and the settlement (2207), signed with the demo credentials. It prints each
//! answer's gist and the full 2207 answer, so a new user sees the protocol work end to end.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use serde_json::{Value, json};
use yidi_domain::{BenefitKind, DateTime, Facility, Pack, PersonRecord, Qty};

use crate::demo_client::{Hospital, Http, fee_lines, now_beijing};

/// How long one request may take before the command gives up.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(clap::Args)]
pub struct Args {
    /// 结算中心地址 / the hub's address
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// 演示数据包 / the demo pack
    #[arg(long, default_value = "test_data/demo")]
    data: PathBuf,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let pack = yidi_refdata::load_pack(&args.data)
        .map_err(|p| anyhow::anyhow!("演示数据包无效：{} 个问题", p.len()))?;
    let now = now_beijing();
    let (record, facility) = pick(&pack, now).context("演示数据包中没有可用于演示的长期异地备案人员")?;
    let http = Http::new(&args.url, REQUEST_TIMEOUT)?;
    let mut hospital = Hospital::new(&http, facility.code.as_str());
    let p = &record.person;
    println!(
        "演示 / demo: {}（{}，参保地 {}）在 {}（{}）普通门诊就医",
        yidi_domain::codes::mask_name(&p.name),
        p.certno,
        p.insuplc,
        facility.name,
        facility.code
    );
    let mut step = |infno: &str, input: Value| -> anyhow::Result<(Value, String)> {
        let (v, text) = hospital.call_raw(infno, input, now)?;
        println!("{infno} 成功 / ok  inf_refmsgid {}", v["inf_refmsgid"]);
        Ok((v, text))
    };
    step("9001", json!({"signIn": {"opter_no": "DEMO01"}}))?;
    let time = now.to_string();
    let (reg, _) = step(
        "2201",
        json!({"data": {"psn_no": p.psn_no, "insutype": p.insutype.as_str(), "begntime": time,
        "mdtrt_cert_type": "02", "mdtrt_cert_no": p.certno.as_str(), "ipt_otp_no": format!("MZ{}", now.to_epoch_secs())}}),
    )?;
    let mdtrt_id = reg["output"]["data"]["mdtrt_id"].as_str().context("2201 没有返回 mdtrt_id")?.to_string();
    step(
        "2203",
        json!({"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": p.psn_no, "med_type": "11", "begntime": time, "dise_codg": "I10"}}),
    )?;
    let (lines, total) =
        fee_lines(&pack, facility, now, (&mdtrt_id, &p.psn_no), |n| Qty::from_units(1 + n as i64 % 2));
    step("2204", json!({"feedetail": lines}))?;
    let (_, settle) = step(
        "2207",
        json!({"data": {"psn_no": p.psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": p.certno.as_str(),
        "med_type": "11", "medfee_sumamt": total.yuan(), "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": "DEMO",
        "acct_used_flag": "1", "insutype": p.insutype.as_str()}}),
    )?;
    println!("\n2207 门诊结算应答（原文）/ settlement answer (as sent by the hub):\n{settle}");
    Ok(ExitCode::SUCCESS)
}

/// A long-term filer and an open hospital in the filed area.
fn pick(pack: &Pack, now: DateTime) -> Option<(&PersonRecord, &Facility)> {
    let mut facilities: Vec<&Facility> = pack.refdata.facilities.values().collect();
    facilities.sort_by(|a, b| a.code.cmp(&b.code));
    pack.persons.values().find_map(|r| {
        let filing = r.filings.iter().find(|f| f.category.is_long_term() && f.valid_for(now.date(), now))?;
        let f = facilities.iter().find(|f| {
            filing.covers(f.admdvs)
                && f.open_for(BenefitKind::Outpatient)
                && f.level >= 2
                && yidi_domain::in_period(now.date(), f.begndate, f.enddate)
        })?;
        Some((r, *f))
    })
}
