//! The hospital's and the agencies' side of the wire for the demo commands (`yidi demo-settle`,
//! `yidi demo-month`): plain HTTP/1.1 over one connection per request, national calls signed with
//! a facility's demo credential, agency calls with a bearer token, and a bill of unrestricted
//! catalog lines.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use yidi_domain::{ChrgitmLv, DateTime, Facility, Fen, Pack, Qty, line_fen};
use yidi_http::crypto::{demo_facility_token, signature};

/// A hub's address; one connection per request.
pub struct Http {
    host_port: String,
    timeout: Duration,
}

impl Http {
    /// `url` is `http://HOST:PORT`; a request slower than `timeout` fails.
    pub fn new(url: &str, timeout: Duration) -> anyhow::Result<Http> {
        let host_port =
            url.strip_prefix("http://").context("只支持 http:// 地址")?.trim_end_matches('/').to_string();
        Ok(Http { host_port, timeout })
    }

    /// One request; the status and the body.
    pub fn exchange(
        &self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: &str,
    ) -> anyhow::Result<(u16, String)> {
        let mut stream = TcpStream::connect(&self.host_port)
            .with_context(|| format!("无法连接 {}，请先运行 yidi serve --demo", self.host_port))?;
        stream.set_read_timeout(Some(self.timeout))?;
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.host_port,
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes())?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response)?;
        let response = String::from_utf8(response).context("应答不是 UTF-8")?;
        let (head, payload) = response.split_once("\r\n\r\n").context("HTTP 应答不完整")?;
        let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).context("HTTP 状态行无法识别")?;
        Ok((status, payload.to_string()))
    }

    /// An agency call with a bearer token; the status and the JSON answer.
    pub fn agency(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: &Value,
    ) -> anyhow::Result<(u16, Value)> {
        let headers = vec![
            ("Authorization".to_string(), format!("Bearer {token}")),
            ("Content-Type".to_string(), "application/json".to_string()),
        ];
        let body = if body.is_null() { String::new() } else { body.to_string() };
        let (status, text) = self.exchange(method, path, &headers, &body)?;
        let v = serde_json::from_str(&text).with_context(|| format!("{path} 应答不是 JSON：{text}"))?;
        Ok((status, v))
    }

    /// A text the agency API serves (a CSV or HTML statement); anything but 200 is an error.
    pub fn get_text(&self, path: &str, token: &str) -> anyhow::Result<String> {
        let (status, text) =
            self.exchange("GET", path, &[("Authorization".to_string(), format!("Bearer {token}"))], "")?;
        if status != 200 {
            bail!("{path}: {status} {text}");
        }
        Ok(text)
    }
}

/// Seconds since the Unix epoch by this machine's clock.
pub fn real_unix_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// Beijing time by this machine's clock.
pub fn now_beijing() -> DateTime {
    DateTime::from_epoch_secs(real_unix_secs() + 8 * 3_600)
}

/// A facility's side of the national interface, signed with its demo credential.
pub struct Hospital<'h> {
    http: &'h Http,
    facility: String,
    token: String,
    counter: u64,
}

impl<'h> Hospital<'h> {
    pub fn new(http: &'h Http, facility: &str) -> Hospital<'h> {
        Hospital {
            http,
            facility: facility.to_string(),
            token: demo_facility_token(facility),
            // msgids stay unique across runs of a command: they start from the clock.
            counter: real_unix_secs() as u64 % 1_000_000 * 1_000,
        }
    }

    /// The same client speaking for another facility; msgids continue this one's sequence.
    pub fn at(self, facility: &str) -> Hospital<'h> {
        Hospital { facility: facility.to_string(), token: demo_facility_token(facility), ..self }
    }

    /// A number for this facility's next registration (`ipt_otp_no`).
    pub fn counter(&self) -> u64 {
        self.counter
    }

    /// One call sent at `now`; the JSON answer, or an error naming the refusal.
    pub fn call(&mut self, infno: &str, input: Value, now: DateTime) -> anyhow::Result<Value> {
        self.call_raw(infno, input, now).map(|(v, _)| v)
    }

    /// The parsed answer and its exact text (amounts print as the hub sent them: `666.50`).
    pub fn call_raw(&mut self, infno: &str, input: Value, now: DateTime) -> anyhow::Result<(Value, String)> {
        self.counter += 1;
        let msgid = format!("{}{:018}", self.facility, self.counter);
        let body = json!({"infno": infno, "msgid": msgid, "mdtrtarea_admvs": format!("{}0000", &self.facility[1..3]),
            "opter_type": "1", "opter": "DEMO01", "opter_name": "演示收费员", "inf_time": now.to_string(),
            "fixmedins_code": self.facility, "fixmedins_name": "演示", "input": input})
        .to_string();
        let ts = real_unix_secs().to_string();
        let nonce = format!("demo{}x{}", self.counter, std::process::id());
        let headers = vec![
            ("Content-Type".to_string(), "application/json".to_string()),
            ("x-tif-paasid".to_string(), format!("yidi_{}", self.facility)),
            ("x-tif-timestamp".to_string(), ts.clone()),
            ("x-tif-nonce".to_string(), nonce.clone()),
            ("x-tif-signature".to_string(), signature(&ts, &self.token, &nonce)),
        ];
        let (_, text) = self.http.exchange("POST", "/fsi/api/callService", &headers, &body)?;
        let v: Value =
            serde_json::from_str(&text).with_context(|| format!("{infno} 应答不是 JSON：{text}"))?;
        if v["infcode"] != 0 {
            bail!("{infno} 被拒绝：{} {}", v["err_code"], v["err_msg"]);
        }
        Ok((v, text))
    }
}

/// A 2204 bill of the first five unrestricted 甲/乙 rows (by code) of the facility's province
/// catalog, at each row's sample price, line `n` with quantity `qty(n)`; the lines and their
/// total.
pub fn fee_lines(
    pack: &Pack,
    facility: &Facility,
    now: DateTime,
    (mdtrt_id, psn_no): (&str, &str),
    qty: impl Fn(usize) -> Qty,
) -> (Vec<Value>, Fen) {
    let catalog = &pack.refdata.catalogs[&facility.admdvs.province()];
    let rows = catalog.unrestricted(now.date());
    let mut total = Fen::ZERO;
    let lines = rows
        .iter()
        .filter(|row| row.lv != ChrgitmLv::C)
        .take(5)
        .enumerate()
        .map(|(n, row)| {
            let (cnt, pric) = (qty(n), row.sample_price());
            let amount = line_fen(cnt, pric);
            total += amount;
            json!({"feedetl_sn": format!("{}", n + 1), "mdtrt_id": mdtrt_id, "psn_no": psn_no, "chrg_bchno": "DEMO",
                   "fee_ocur_time": now.to_string(), "med_list_codg": row.code, "medins_list_codg": row.code,
                   "det_item_fee_sumamt": amount.yuan(), "cnt": cnt.to_string(), "pric": pric.to_string()})
        })
        .collect();
    (lines, total)
}
