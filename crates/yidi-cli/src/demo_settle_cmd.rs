//! `yidi demo-settle --url URL`: one real outpatient settlement against a hub started with
//! `yidi serve --demo`, as a hospital system would send it: sign-in, registration, visit info,
//! a fee upload and the settlement (2207), signed with the demo credentials. It prints each
//! answer's gist and the full 2207 answer, so a new user sees the protocol work end to end.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use yidi_domain::{
    BenefitKind, ChrgitmLv, DateTime, Facility, Fen, Pack, PersonRecord, Price, Qty, line_fen,
};
use yidi_http::crypto::{demo_facility_token, signature};

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
    let mut client = Client::new(&args.url, facility.code.as_str())?;
    let p = &record.person;
    println!(
        "演示 / demo: {}（{}，参保地 {}）在 {}（{}）普通门诊就医",
        yidi_domain::codes::mask_name(&p.name),
        p.certno,
        p.insuplc,
        facility.name,
        facility.code
    );
    client.call("9001", json!({"signIn": {"opter_no": "DEMO01"}}))?;
    let time = now.to_string();
    let reg = client.call("2201", json!({"data": {"psn_no": p.psn_no, "insutype": p.insutype.as_str(), "begntime": time,
        "mdtrt_cert_type": "02", "mdtrt_cert_no": p.certno.as_str(), "ipt_otp_no": format!("MZ{}", client.counter)}}))?;
    let mdtrt_id = reg["output"]["data"]["mdtrt_id"].as_str().context("2201 没有返回 mdtrt_id")?.to_string();
    client.call("2203", json!({"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": p.psn_no, "med_type": "11", "begntime": time, "dise_codg": "I10"}}))?;
    let (lines, total) = fee_lines(&pack, facility, now, &mdtrt_id, &p.psn_no);
    client.call("2204", json!({"feedetail": lines}))?;
    let (_, settle) = client.call_raw("2207", json!({"data": {"psn_no": p.psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": p.certno.as_str(),
        "med_type": "11", "medfee_sumamt": total.yuan(), "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": "DEMO",
        "acct_used_flag": "1", "insutype": p.insutype.as_str()}}))?;
    println!("\n2207 门诊结算应答（原文）/ settlement answer (as sent by the hub):\n{settle}");
    Ok(ExitCode::SUCCESS)
}

fn now_beijing() -> DateTime {
    let unix =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    DateTime::from_epoch_secs(unix + 8 * 3_600)
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

/// Five unrestricted 甲/乙 lines of the facility's province.
fn fee_lines(
    pack: &Pack,
    facility: &Facility,
    now: DateTime,
    mdtrt_id: &str,
    psn_no: &str,
) -> (Vec<Value>, Fen) {
    let catalog = &pack.refdata.catalogs[&facility.admdvs.province()];
    let mut codes: Vec<(&String, String)> = catalog
        .items
        .iter()
        .filter_map(|(code, versions)| {
            let item = versions.iter().find(|i| yidi_domain::in_period(now.date(), i.begndate, i.enddate))?;
            let plain = item.lv != ChrgitmLv::C
                && item.lmt_med_types.is_empty()
                && item.lmt_min_level.is_none()
                && item.lmt_dise_prefix.is_none();
            plain.then(|| (code, item.price_cap.map_or_else(|| "25.00".to_string(), |c| c.yuan())))
        })
        .collect();
    codes.sort();
    let mut total = Fen::ZERO;
    let lines = codes
        .iter()
        .take(5)
        .enumerate()
        .map(|(n, (code, price))| {
            let cnt = Qty::from_units(1 + n as i64 % 2);
            let pric = Price::parse(price).expect("catalog price is a valid amount");
            let amount = line_fen(cnt, pric);
            total += amount;
            json!({"feedetl_sn": format!("{}", n + 1), "mdtrt_id": mdtrt_id, "psn_no": psn_no, "chrg_bchno": "DEMO",
                   "fee_ocur_time": now.to_string(), "med_list_codg": code, "medins_list_codg": code,
                   "det_item_fee_sumamt": amount.yuan(), "cnt": cnt.to_string(), "pric": pric.to_string()})
        })
        .collect();
    (lines, total)
}

/// A minimal HTTP/1.1 client: one connection per request, signed with the demo credentials.
struct Client {
    host_port: String,
    facility: String,
    token: String,
    counter: u64,
}

impl Client {
    fn new(url: &str, facility: &str) -> anyhow::Result<Client> {
        let host_port =
            url.strip_prefix("http://").context("只支持 http:// 地址")?.trim_end_matches('/').to_string();
        let counter = now_beijing().to_epoch_secs() as u64 % 1_000_000;
        Ok(Client {
            host_port,
            facility: facility.to_string(),
            token: demo_facility_token(facility),
            counter,
        })
    }

    fn call(&mut self, infno: &str, input: Value) -> anyhow::Result<Value> {
        self.call_raw(infno, input).map(|(v, _)| v)
    }

    /// The parsed answer and its exact text (amounts print as sent: `666.50`).
    fn call_raw(&mut self, infno: &str, input: Value) -> anyhow::Result<(Value, String)> {
        self.counter += 1;
        let msgid = format!("{}{:018}", self.facility, self.counter);
        let body = json!({"infno": infno, "msgid": msgid, "mdtrtarea_admvs": format!("{}0000", &self.facility[1..3]),
            "opter_type": "1", "opter": "DEMO01", "opter_name": "演示收费员", "inf_time": now_beijing().to_string(),
            "fixmedins_code": self.facility, "fixmedins_name": "演示", "input": input})
        .to_string();
        let answer = self.post(&body)?;
        let v: Value =
            serde_json::from_str(&answer).with_context(|| format!("{infno} 应答不是 JSON：{answer}"))?;
        if v["infcode"] != 0 {
            bail!("{infno} 被拒绝：{} {}", v["err_code"], v["err_msg"]);
        }
        println!("{infno} 成功 / ok  inf_refmsgid {}", v["inf_refmsgid"]);
        Ok((v, answer))
    }

    fn post(&self, body: &str) -> anyhow::Result<String> {
        let ts = (now_beijing().to_epoch_secs() - 8 * 3_600).to_string();
        let nonce = format!("demo{}x{}", self.counter, std::process::id());
        let sig = signature(&ts, &self.token, &nonce);
        let mut stream = TcpStream::connect(&self.host_port)
            .with_context(|| format!("无法连接 {}，请先运行 yidi serve --demo", self.host_port))?;
        stream.set_read_timeout(Some(REQUEST_TIMEOUT))?;
        let request = format!(
            "POST /fsi/api/callService HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             x-tif-paasid: yidi_{}\r\nx-tif-timestamp: {ts}\r\nx-tif-nonce: {nonce}\r\nx-tif-signature: {sig}\r\nConnection: close\r\n\r\n{body}",
            self.host_port,
            body.len(),
            self.facility
        );
        stream.write_all(request.as_bytes())?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let (_, payload) = response.split_once("\r\n\r\n").context("HTTP 应答不完整")?;
        Ok(payload.to_string())
    }
}
