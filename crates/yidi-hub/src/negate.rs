//! The answer to a cancellation: the settlement's `output` with every amount negated
//! (`protocol.md` "Settlement output"), built from the stored answer text so that it matches the
//! original to the fen without re-running anything. Amounts are rewritten from their exact text;
//! no number passes through a float.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use yidi_domain::{DateTime, Fen};

/// A JSON object kept in its original key order with raw values.
struct Ordered(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Ordered, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Box<RawValue>>()? {
                    out.push((k, v));
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(V)
    }
}

const SETLINFO_AMOUNTS: [&str; 20] = [
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
    "hosp_part_amt",
];

fn negated(raw: &RawValue) -> String {
    match Fen::parse_yuan(raw.get()) {
        Ok(v) => (-v).yuan(),
        Err(_) => raw.get().to_string(),
    }
}

fn render(fields: &[(String, String)]) -> String {
    let body: Vec<String> =
        fields.iter().map(|(k, v)| format!("{}:{v}", serde_json::to_string(k).expect("key"))).collect();
    format!("{{{}}}", body.join(","))
}

fn json_text(s: &str) -> String {
    serde_json::to_string(s).expect("string")
}

/// Negates a stored settlement `output` for its cancellation at `time` by `msgid`, with the
/// account balance after the cancellation.
pub fn negate_output(output_json: &str, time: DateTime, msgid: &str, balc: Fen) -> Option<String> {
    let top: Ordered = serde_json::from_str(output_json).ok()?;
    let mut out = Vec::new();
    for (key, value) in top.0 {
        let text = match key.as_str() {
            "setlinfo" => negate_setlinfo(&value, time, msgid, balc)?,
            "setldetail" => negate_details(&value)?,
            _ => value.get().to_string(),
        };
        out.push((key, text));
    }
    Some(render(&out))
}

fn negate_setlinfo(value: &RawValue, time: DateTime, msgid: &str, balc: Fen) -> Option<String> {
    let info: Ordered = serde_json::from_str(value.get()).ok()?;
    let fields = info
        .0
        .into_iter()
        .map(|(k, v)| {
            let text = match k.as_str() {
                "setl_time" => json_text(&time.to_string()),
                "medins_setl_id" => json_text(msgid),
                "balc" => balc.yuan(),
                key if SETLINFO_AMOUNTS.contains(&key) => negated(&v),
                _ => v.get().to_string(),
            };
            (k, text)
        })
        .collect::<Vec<_>>();
    Some(render(&fields))
}

fn negate_details(value: &RawValue) -> Option<String> {
    let rows: Vec<Ordered> = serde_json::from_str(value.get()).ok()?;
    let rows: Vec<String> = rows
        .into_iter()
        .map(|row| {
            let fields = row
                .0
                .into_iter()
                .map(|(k, v)| {
                    let text = match k.as_str() {
                        "fund_payamt" | "inscp_scp_amt" => negated(&v),
                        "crt_payb_lmt_amt" => "null".to_string(),
                        _ => v.get().to_string(),
                    };
                    (k, text)
                })
                .collect::<Vec<_>>();
            render(&fields)
        })
        .collect();
    Some(format!("[{}]", rows.join(",")))
}

/// Appends `key: value_json` to the text of a JSON object, keeping its fields in order and their
/// values byte for byte (an ext node added to a stored settlement output, e.g. 2601's
/// `yidi_revsinfo`). `None` if `object_json` is not an object.
pub fn append_field(object_json: &str, key: &str, value_json: &str) -> Option<String> {
    let top: Ordered = serde_json::from_str(object_json).ok()?;
    let mut fields: Vec<(String, String)> =
        top.0.into_iter().map(|(k, v)| (k, v.get().to_string())).collect();
    fields.push((key.to_string(), value_json.to_string()));
    Some(render(&fields))
}

/// Appends `key: value_json` to the `setlinfo` node of a stored settlement output (5203's
/// `refd_setl_flag`); every other byte is kept.
pub fn append_setlinfo_field(output_json: &str, key: &str, value_json: &str) -> Option<String> {
    let top: Ordered = serde_json::from_str(output_json).ok()?;
    let mut out = Vec::new();
    for (k, v) in top.0 {
        let text =
            if k == "setlinfo" { append_field(v.get(), key, value_json)? } else { v.get().to_string() };
        out.push((k, text));
    }
    Some(render(&out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_fields_keeping_order_and_text() {
        let out = r#"{"setlinfo":{"mdtrt_id":"1","medfee_sumamt":666.50},"setldetail":[]}"#;
        let flagged = append_setlinfo_field(out, "refd_setl_flag", r#""1""#).unwrap();
        assert_eq!(
            flagged,
            r#"{"setlinfo":{"mdtrt_id":"1","medfee_sumamt":666.50,"refd_setl_flag":"1"},"setldetail":[]}"#
        );
        let revs = append_field(out, "yidi_revsinfo", r#"{"revs_rslt":"1"}"#).unwrap();
        assert_eq!(
            revs,
            r#"{"setlinfo":{"mdtrt_id":"1","medfee_sumamt":666.50},"setldetail":[],"yidi_revsinfo":{"revs_rslt":"1"}}"#
        );
        assert_eq!(append_field("[1]", "k", "1"), None);
    }

    #[test]
    fn negates_amounts_keeps_ratio_and_order() {
        let out = r#"{"setlinfo":{"mdtrt_id":"1","medfee_sumamt":666.50,"pool_prop_selfpay":0.7000,"acct_pay":500.00,"balc":0.00,"setl_time":"2025-03-02 09:41:00","medins_setl_id":"m1"},"setldetail":[{"fund_pay_type":"310200","inscp_scp_amt":539.50,"crt_payb_lmt_amt":100.00,"fund_payamt":500.00}]}"#;
        let t = DateTime::parse("2025-03-03 10:00:00").unwrap();
        let neg = negate_output(out, t, "m2", Fen::new(50_000)).unwrap();
        assert_eq!(
            neg,
            r#"{"setlinfo":{"mdtrt_id":"1","medfee_sumamt":-666.50,"pool_prop_selfpay":0.7000,"acct_pay":-500.00,"balc":500.00,"setl_time":"2025-03-03 10:00:00","medins_setl_id":"m2"},"setldetail":[{"fund_pay_type":"310200","inscp_scp_amt":-539.50,"crt_payb_lmt_amt":null,"fund_payamt":-500.00}]}"#
        );
    }
}
