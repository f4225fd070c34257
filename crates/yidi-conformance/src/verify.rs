//! Pure judgements of answers: the envelope of §2.2, refusals (§4.1–4.2), the five identities of
//! "Settlement output", line splits, exact negation and expected figures. Each returns the
//! problems it found as sentences; an empty list means the answer is right.

use crate::client::Exchange;
use crate::json::Json;
use crate::money::{fmt_fen, same_decimal};
use crate::profile::Expected;
use crate::time;

/// `err_code`s of `protocol.md` §4.2, with the settlement reasons of `data-formats.md`.
pub const ERR_CODES: &[&str] = &[
    "bad_envelope",
    "bad_field",
    "unknown_infno",
    "too_large",
    "auth_failed",
    "replay",
    "forbidden_facility",
    "rate_limited",
    "unavailable",
    "duplicate_msgid_different_body",
    "visit_not_found",
    "setl_not_found",
    "visit_state",
    "already_reversed",
    "not_reversible",
    "month_cleared",
    "unknown_person",
    "unknown_catalog_code",
    "amount_mismatch",
    "unknown_facility",
    "facility_not_open",
    "filing_required",
    "no_policy",
    "med_type_not_supported",
    "region_not_open",
    "chronic_not_entitled",
    "chronic_not_listed",
    "invalid_claim",
];

/// Fields of every answer envelope (§2.2).
const ENVELOPE_FIELDS: [&str; 11] = [
    "infcode",
    "inf_refmsgid",
    "refmsg_time",
    "respond_time",
    "err_msg",
    "warn_msg",
    "cainfo",
    "signtype",
    "enctype",
    "output",
    "err_code",
];

/// `setlinfo` amounts a cancellation negates (`balc` is the balance after, judged apart).
pub const NEGATED_AMOUNTS: [&str; 19] = [
    "medfee_sumamt",
    "fulamt_ownpay_amt",
    "overlmt_selfpay",
    "preselfpay_amt",
    "inscp_scp_amt",
    "act_pay_dedc",
    "hifp_pay",
    "cvlserv_pay",
    "hifes_pay",
    "hifmi_pay",
    "hifob_pay",
    "maf_pay",
    "oth_pay",
    "fund_pay_sumamt",
    "psn_part_amt",
    "acct_pay",
    "psn_cash_pay",
    "hosp_part_amt",
    "acct_mulaid_pay",
];

/// `setlinfo` fields a cancellation keeps as they were.
const UNCHANGED: [&str; 15] = [
    "mdtrt_id",
    "setl_id",
    "psn_no",
    "psn_name",
    "psn_cert_type",
    "certno",
    "gend",
    "brdy",
    "age",
    "insutype",
    "psn_type",
    "med_type",
    "pool_prop_selfpay",
    "clr_optins",
    "clr_type",
];

/// Problems with the envelope of any answer.
pub fn envelope_problems(x: &Exchange) -> Vec<String> {
    let Some(j) = &x.json else {
        return vec![format!("{}: body is not JSON: {}", x.what, crate::client::shorten(&x.body, 60))];
    };
    let mut out = Vec::new();
    let content_type = x.header("content-type").unwrap_or("").to_ascii_lowercase().replace(' ', "");
    if content_type != "application/json;charset=utf-8" {
        out.push(format!("{}: content-type “{content_type}”", x.what));
    }
    let missing: Vec<&str> = ENVELOPE_FIELDS.iter().copied().filter(|f| j.get(f).is_none()).collect();
    if !missing.is_empty() {
        out.push(format!("{}: missing {}", x.what, missing.join(", ")));
    }
    for f in ["cainfo", "signtype", "enctype"] {
        if j.get(f).is_some_and(|v| v.str() != Some("")) {
            out.push(format!("{}: {f} is not \"\"", x.what));
        }
    }
    if !j.get("warn_msg").is_none_or(|w| w.is_null() || w.str().is_some()) {
        out.push(format!("{}: warn_msg neither null nor a string", x.what));
    }
    if x.is_success() {
        let nulls = ["err_msg", "err_code"].into_iter().filter(|f| !j.get(f).is_some_and(Json::is_null));
        out.extend(nulls.map(|f| format!("{}: success with {f} not null", x.what)));
        if !matches!(j.get("output"), Some(Json::Obj(_))) {
            out.push(format!("{}: success without an output object", x.what));
        }
        if x.status != 200 {
            out.push(format!("{}: success with HTTP {}", x.what, x.status));
        }
    }
    out
}

/// `inf_refmsgid` (§2.2): `province` or `000000`, then a valid `yyyyMMddHHmmss`, 2 + 8 digits.
pub fn refmsgid_problems(x: &Exchange, province: &str) -> Vec<String> {
    let Some(id) = x.json.as_ref().and_then(|j| j.get("inf_refmsgid")).and_then(Json::str) else {
        return vec![format!("{}: inf_refmsgid is not a string", x.what)];
    };
    let digits = id.len() == 30 && id.bytes().all(|b| b.is_ascii_digit());
    let prefix_ok = id.get(0..6).is_some_and(|p| p == province || p == "000000");
    if digits && prefix_ok && time::valid_compact_datetime(&id[6..20]) {
        return Vec::new();
    }
    vec![format!("{}: inf_refmsgid “{id}” (want {province}+yyyyMMddHHmmss+2+8 digits)", x.what)]
}

/// `refmsg_time` / `respond_time` (§2.2).
pub fn stamp_problems(x: &Exchange) -> Vec<String> {
    let j = x.json.as_ref();
    let get = |f: &str| j.and_then(|j| j.get(f)).and_then(Json::str).unwrap_or("");
    let (received, responded) = (get("refmsg_time"), get("respond_time"));
    let mut out = Vec::new();
    for (name, v) in [("refmsg_time", received), ("respond_time", responded)] {
        if !time::valid_stamp17(v) {
            out.push(format!("{}: {name} “{v}” is not yyyyMMddHHmmssSSS", x.what));
        }
    }
    if out.is_empty() && responded < received {
        out.push(format!("{}: respond_time {responded} before refmsg_time {received}", x.what));
    }
    out
}

/// The three refusal judgements: (`infcode`/`output`, `err_code`, `err_msg`).
pub fn refusal_problems(x: &Exchange) -> (Vec<String>, Vec<String>, Vec<String>) {
    let Some(j) = &x.json else { return (vec![format!("{}: not JSON", x.what)], vec![], vec![]) };
    let mut infcode = Vec::new();
    if j.get("infcode").and_then(Json::text) != Some("-1") {
        infcode.push(format!(
            "{}: infcode {}",
            x.what,
            j.get("infcode").map_or("absent".into(), Json::to_string)
        ));
    }
    if !j.get("output").is_some_and(Json::is_null) {
        infcode.push(format!("{}: refusal with output not null", x.what));
    }
    let code = x.err_code().unwrap_or("");
    let err_code =
        if ERR_CODES.contains(&code) { vec![] } else { vec![format!("{}: err_code “{code}”", x.what)] };
    let msg = x.err_msg().unwrap_or("");
    let path_ok = msg.starts_with('[') && msg.find(']').is_some_and(|end| end > 1);
    let err_msg = if path_ok {
        vec![]
    } else {
        vec![format!("{}: err_msg “{}”", x.what, crate::client::shorten(msg, 40))]
    };
    (infcode, err_code, err_msg)
}

fn fen_of(node: &Json, field: &str) -> Result<i64, String> {
    node.get(field).and_then(Json::fen).ok_or_else(|| format!("{field} missing or not an amount"))
}

/// Identities 1–5 of "Settlement output" on an `output` with `setlinfo` and `setldetail`.
pub fn identity_problems(output: &Json) -> Vec<String> {
    let Some(i) = output.get("setlinfo") else { return vec!["no setlinfo".to_string()] };
    let sum = |fields: &[&str]| fields.iter().map(|f| fen_of(i, f)).sum::<Result<i64, String>>();
    let parts = || -> Result<Vec<String>, String> {
        let medfee = fen_of(i, "medfee_sumamt")?;
        let split = sum(&["fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt"])?;
        let fund = fen_of(i, "fund_pay_sumamt")?;
        let funds =
            sum(&["hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay"])?;
        let psn = fen_of(i, "psn_part_amt")?;
        let hosp = fen_of(i, "hosp_part_amt")?;
        let acct_cash = sum(&["acct_pay", "psn_cash_pay"])?;
        let acct = fen_of(i, "acct_pay")?;
        let details = output.get("setldetail").map_or(&[][..], Json::rows);
        let detail_sum = details.iter().map(|d| fen_of(d, "fund_payamt")).sum::<Result<i64, String>>()?;
        let checks = [
            (medfee == split, format!("1: medfee {} ≠ parts {}", fmt_fen(medfee), fmt_fen(split))),
            (fund == funds, format!("2: fund_pay_sumamt {} ≠ funds {}", fmt_fen(fund), fmt_fen(funds))),
            (
                psn == medfee - fund - hosp,
                format!("3: psn_part_amt {} ≠ {}", fmt_fen(psn), fmt_fen(medfee - fund - hosp)),
            ),
            (
                psn == acct_cash,
                format!("4: psn_part_amt {} ≠ acct+cash {}", fmt_fen(psn), fmt_fen(acct_cash)),
            ),
            (
                detail_sum == fund + acct,
                format!("5: Σ fund_payamt {} ≠ {}", fmt_fen(detail_sum), fmt_fen(fund + acct)),
            ),
        ];
        Ok(checks.into_iter().filter(|(ok, _)| !ok).map(|(_, why)| why).collect())
    };
    parts().unwrap_or_else(|e| vec![e])
}

/// Each row's four parts sum to `det_item_fee_sumamt` (2204/2301 `result[]`, 5204 `data[]`).
pub fn line_split_problems(rows: &[Json]) -> Vec<String> {
    let row_problem = |r: &Json| -> Option<String> {
        let sn = r.get("feedetl_sn").and_then(Json::text).unwrap_or("?");
        let parts = ["fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt", "inscp_scp_amt"];
        let sum: Result<i64, String> = parts.iter().map(|f| fen_of(r, f)).sum();
        match (fen_of(r, "det_item_fee_sumamt"), sum) {
            (Ok(a), Ok(s)) if a == s => None,
            (Ok(a), Ok(s)) => Some(format!("line {sn}: parts {} ≠ amount {}", fmt_fen(s), fmt_fen(a))),
            (Err(e), _) | (_, Err(e)) => Some(format!("line {sn}: {e}")),
        }
    };
    rows.iter().filter_map(row_problem).collect()
}

/// A cancellation's output against its settlement's (§6 "Settlement output").
pub fn negation_problems(settled: &Json, cancel: &Json, cancel_msgid: &str) -> Vec<String> {
    let (Some(s), Some(c)) = (settled.get("setlinfo"), cancel.get("setlinfo")) else {
        return vec!["setlinfo missing".to_string()];
    };
    let mut out = Vec::new();
    for f in NEGATED_AMOUNTS {
        match (s.get(f).and_then(Json::fen), c.get(f).and_then(Json::fen)) {
            (Some(a), Some(b)) if a == -b => {}
            (a, b) => out.push(format!("{f}: {} then {}", show(a), show(b))),
        }
    }
    for f in UNCHANGED {
        if s.get(f) != c.get(f)
            && !(s.get(f).and_then(Json::text).zip(c.get(f).and_then(Json::text)))
                .is_some_and(|(a, b)| same_decimal(a, b))
        {
            out.push(format!("{f} changed"));
        }
    }
    let balance_before =
        s.get("balc").and_then(Json::fen).zip(s.get("acct_pay").and_then(Json::fen)).map(|(b, a)| b + a);
    if balance_before.is_none() || c.get("balc").and_then(Json::fen) != balance_before {
        out.push(format!(
            "balc {} (balance before the settlement {})",
            show(c.get("balc").and_then(Json::fen)),
            show(balance_before)
        ));
    }
    if c.get("medins_setl_id").and_then(Json::str) != Some(cancel_msgid) {
        out.push("medins_setl_id is not the cancelling msgid".to_string());
    }
    out.extend(detail_negation_problems(settled, cancel));
    out
}

fn detail_negation_problems(settled: &Json, cancel: &Json) -> Vec<String> {
    let rows = |j: &Json| j.get("setldetail").map_or(&[][..], Json::rows).to_vec();
    let (s, c) = (rows(settled), rows(cancel));
    if s.len() != c.len() {
        return vec![format!("setldetail has {} rows, the settlement {}", c.len(), s.len())];
    }
    let mut out = Vec::new();
    for (a, b) in s.iter().zip(&c) {
        let fund = a.get("fund_pay_type").and_then(Json::text).unwrap_or("?");
        if a.get("fund_pay_type") != b.get("fund_pay_type") {
            out.push(format!("setldetail order differs at {fund}"));
        }
        for f in ["fund_payamt", "inscp_scp_amt"] {
            let (x, y) = (a.get(f).and_then(Json::fen), b.get(f).and_then(Json::fen));
            if x.is_none() || x.map(|v| -v) != y {
                out.push(format!("setldetail {fund} {f}: {} then {}", show(x), show(y)));
            }
        }
        if !b.get("crt_payb_lmt_amt").is_some_and(Json::is_null) {
            out.push(format!("setldetail {fund} crt_payb_lmt_amt is not null"));
        }
    }
    out
}

fn show(fen: Option<i64>) -> String {
    fen.map_or_else(|| "?".to_string(), fmt_fen)
}

/// The profile's expected figures against an `output` (to the fen; codes as text).
pub fn expected_problems(output: &Json, expected: &Expected) -> Vec<String> {
    let info = output.get("setlinfo");
    let mut out = Vec::new();
    for (field, want) in &expected.setlinfo {
        let got = info.and_then(|i| i.get(field));
        if !value_matches(got, want) {
            out.push(format!("{field} {want} ≠ {}", got.map_or("absent".into(), Json::to_string)));
        }
    }
    if expected.setldetail.is_empty() {
        return out;
    }
    let rows = output.get("setldetail").map_or(&[][..], Json::rows);
    if rows.len() != expected.setldetail.len() {
        out.push(format!("setldetail has {} rows, expected {}", rows.len(), expected.setldetail.len()));
        return out;
    }
    for (n, (row, want)) in rows.iter().zip(&expected.setldetail).enumerate() {
        for (field, v) in want {
            if !value_matches(row.get(field), v) {
                let got = row.get(field).map_or("absent".into(), Json::to_string);
                out.push(format!("setldetail[{n}].{field} {v} ≠ {got}"));
            }
        }
    }
    out
}

/// A number compares by value (`0.7000` = `0.70`), a string by text, `null` by the word.
fn value_matches(got: Option<&Json>, want: &str) -> bool {
    match got {
        Some(Json::Num(n)) => same_decimal(n, want),
        Some(Json::Str(s)) => s == want,
        Some(Json::Null) => want == "null",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settlement answer of protocol.md §7 (output only).
    const EXAMPLE: &str = r#"{"setlinfo":{"mdtrt_id":"310104000000481207","setl_id":"310104000000390554","psn_no":"P","psn_name":"王某","psn_cert_type":"01","certno":"320102197208150513","gend":"1","naty":null,"brdy":"1972-08-15","age":52.5,"insutype":"310","psn_type":"1101","cvlserv_flag":"0","setl_time":"2025-03-02 09:41:00","mdtrt_cert_type":"02","med_type":"11","medfee_sumamt":666.50,"fulamt_ownpay_amt":80.00,"overlmt_selfpay":5.00,"preselfpay_amt":42.00,"inscp_scp_amt":539.50,"act_pay_dedc":539.50,"hifp_pay":0.00,"pool_prop_selfpay":0.7000,"cvlserv_pay":0.00,"hifes_pay":0.00,"hifmi_pay":0.00,"hifob_pay":0.00,"maf_pay":0.00,"oth_pay":0.00,"fund_pay_sumamt":0.00,"psn_part_amt":666.50,"acct_pay":500.00,"psn_cash_pay":166.50,"hosp_part_amt":0.00,"balc":0.00,"acct_mulaid_pay":0.00,"medins_setl_id":"M1","clr_optins":"310000","clr_way":"01","clr_type":"11"},"setldetail":[{"fund_pay_type":"310200","inscp_scp_amt":539.50,"crt_payb_lmt_amt":null,"fund_payamt":500.00,"fund_pay_type_name":"x","setl_proc_info":"y"}]}"#;

    /// The example cancelled by `M2`: amounts negated, balance restored.
    fn negated(j: &Json) -> Json {
        let neg = |v: &Json| match v {
            Json::Num(t) => Json::Num(t.strip_prefix('-').map_or_else(|| format!("-{t}"), str::to_string)),
            other => other.clone(),
        };
        let map = |node: &Json, f: &dyn Fn(&str, &Json) -> Json| {
            Json::Obj(node.fields().iter().map(|(k, v)| (k.clone(), f(k, v))).collect())
        };
        let info = map(j.get("setlinfo").unwrap(), &|k, v| match k {
            "balc" => Json::Num("500.00".into()),
            "medins_setl_id" => Json::Str("M2".into()),
            k if NEGATED_AMOUNTS.contains(&k) => neg(v),
            _ => v.clone(),
        });
        let rows = j.get("setldetail").unwrap().rows().iter().map(|r| {
            map(r, &|k, v| if k == "fund_payamt" || k == "inscp_scp_amt" { neg(v) } else { v.clone() })
        });
        Json::Obj(vec![("setlinfo".into(), info), ("setldetail".into(), Json::Arr(rows.collect()))])
    }

    #[test]
    fn the_protocol_example_satisfies_the_identities() {
        let j = Json::parse(EXAMPLE).unwrap();
        assert_eq!(identity_problems(&j), Vec::<String>::new());
        let broken =
            Json::parse(&EXAMPLE.replace("\"psn_cash_pay\":166.50", "\"psn_cash_pay\":166.49")).unwrap();
        assert_eq!(identity_problems(&broken).len(), 1, "{:?}", identity_problems(&broken));
    }

    #[test]
    fn exact_negation_is_recognised() {
        let s = Json::parse(EXAMPLE).unwrap();
        let c = negated(&s);
        assert_eq!(negation_problems(&s, &c, "M2"), Vec::<String>::new());
        assert!(!negation_problems(&s, &c, "M3").is_empty());
        assert!(!negation_problems(&s, &s, "M1").is_empty());
    }

    #[test]
    fn expected_figures_compare_by_value() {
        let j = Json::parse(EXAMPLE).unwrap();
        let mut e = Expected::default();
        e.setlinfo.insert("pool_prop_selfpay".into(), "0.70".into());
        e.setlinfo.insert("clr_optins".into(), "310000".into());
        assert_eq!(expected_problems(&j, &e), Vec::<String>::new());
        e.setlinfo.insert("acct_pay".into(), "500.01".into());
        assert_eq!(expected_problems(&j, &e).len(), 1);
    }
}
