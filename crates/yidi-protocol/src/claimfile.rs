//! The claim file format of `yidi adjudicate` (`data-formats.md`, "Claim files"): one JSON object
//! per claim, amounts in yuan as numbers or strings, parsed exactly into typed values.

use serde::Deserialize;
use yidi_adjudication::{Claim, FeeLine};
use yidi_domain::{DateTime, FacilityCode, Fen, MedType, Price, Qty};

use crate::wire::{Loose, OneOrMany, present};

/// Why a claim could not be read; becomes an `invalid_claim` refusal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimParseError {
    /// The claim's id when it could be read, so the refusal can name it.
    pub claim_id: String,
    pub reason: String,
}

#[derive(Deserialize)]
struct RawClaim {
    claim_id: Option<Loose>,
    psn_no: Option<Loose>,
    fixmedins_code: Option<Loose>,
    med_type: Option<Loose>,
    begntime: Option<Loose>,
    endtime: Option<Loose>,
    setl_time: Option<Loose>,
    dise_codg: Option<Loose>,
    emergency: Option<Loose>,
    acct_used_flag: Option<Loose>,
    feedetail: Option<OneOrMany<RawLine>>,
}

#[derive(Deserialize)]
struct RawLine {
    feedetl_sn: Option<Loose>,
    med_list_codg: Option<Loose>,
    cnt: Option<Loose>,
    pric: Option<Loose>,
    det_item_fee_sumamt: Option<Loose>,
    fee_ocur_time: Option<Loose>,
}

/// Just the id, to name a claim whose body does not parse.
#[derive(Deserialize)]
struct IdOnly {
    claim_id: Option<Loose>,
}

/// Parses one claim object.
pub fn parse_claim(text: &str) -> Result<Claim, ClaimParseError> {
    let raw: RawClaim = serde_json::from_str(text).map_err(|e| ClaimParseError {
        claim_id: serde_json::from_str::<IdOnly>(text)
            .ok()
            .and_then(|i| present(&i.claim_id).map(str::to_string))
            .unwrap_or_default(),
        reason: format!("JSON 无法解析：{e}"),
    })?;
    let claim_id = present(&raw.claim_id).unwrap_or("").to_string();
    let fail = |reason: String| ClaimParseError { claim_id: claim_id.clone(), reason };
    convert(&raw, &claim_id).map_err(fail)
}

fn required<'a>(v: &'a Option<Loose>, field: &str) -> Result<&'a str, String> {
    present(v).ok_or_else(|| format!("缺少必填字段 {field}"))
}

fn flag(v: &Option<Loose>, field: &str) -> Result<bool, String> {
    match present(v) {
        None | Some("0") | Some("false") => Ok(false),
        Some("1") | Some("true") => Ok(true),
        Some(other) => Err(format!("{field} 应为 0/1 或 true/false，而不是“{other}”")),
    }
}

fn time(v: &Option<Loose>, field: &str) -> Result<Option<DateTime>, String> {
    present(v).map(|t| DateTime::parse(t).map_err(|e| format!("{field}：{e}"))).transpose()
}

fn convert(raw: &RawClaim, claim_id: &str) -> Result<Claim, String> {
    let psn_no = required(&raw.psn_no, "psn_no")?.to_string();
    let fixmedins_code = FacilityCode::parse(required(&raw.fixmedins_code, "fixmedins_code")?)
        .map_err(|e| format!("fixmedins_code：{e}"))?;
    let med_type =
        MedType::parse(required(&raw.med_type, "med_type")?).map_err(|e| format!("med_type：{e}"))?;
    let begntime = time(&raw.begntime, "begntime")?.ok_or("缺少必填字段 begntime")?;
    let endtime = time(&raw.endtime, "endtime")?;
    let setl_time = time(&raw.setl_time, "setl_time")?.or(endtime).unwrap_or(begntime);
    let lines = raw.feedetail.as_ref().map(|f| f.0.as_slice()).unwrap_or(&[]);
    let lines = lines.iter().enumerate().map(|(i, l)| convert_line(i, l)).collect::<Result<Vec<_>, _>>()?;
    Ok(Claim {
        claim_id: claim_id.to_string(),
        psn_no,
        fixmedins_code,
        med_type,
        begntime,
        endtime,
        setl_time,
        dise_codg: present(&raw.dise_codg).map(str::to_string),
        emergency: flag(&raw.emergency, "emergency")?,
        acct_used: flag(&raw.acct_used_flag, "acct_used_flag")?,
        lines,
    })
}

fn convert_line(index: usize, raw: &RawLine) -> Result<FeeLine, String> {
    let sn = present(&raw.feedetl_sn).map_or_else(|| format!("第 {} 条", index + 1), str::to_string);
    let ctx = |field: &str, e: String| format!("明细 {sn}：{field} {e}");
    let cnt = Qty::parse(required(&raw.cnt, "cnt").map_err(|e| ctx("", e))?)
        .map_err(|e| ctx("cnt", e.to_string()))?;
    let pric = Price::parse(required(&raw.pric, "pric").map_err(|e| ctx("", e))?)
        .map_err(|e| ctx("pric", e.to_string()))?;
    let amount =
        Fen::parse_yuan(required(&raw.det_item_fee_sumamt, "det_item_fee_sumamt").map_err(|e| ctx("", e))?)
            .map_err(|e| ctx("det_item_fee_sumamt", e.to_string()))?;
    Ok(FeeLine {
        feedetl_sn: required(&raw.feedetl_sn, "feedetl_sn").map_err(|e| ctx("", e))?.to_string(),
        med_list_codg: required(&raw.med_list_codg, "med_list_codg").map_err(|e| ctx("", e))?.to_string(),
        cnt,
        pric,
        amount,
        fee_ocur_time: time(&raw.fee_ocur_time, "fee_ocur_time").map_err(|e| ctx("", e))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_numbers_and_strings_exactly() {
        let text = r#"{"claim_id":"c1","psn_no":"P1","fixmedins_code":"H31010400123","med_type":11,
            "begntime":"2025-03-02 09:10:00","acct_used_flag":"1",
            "feedetail":{"feedetl_sn":1,"med_list_codg":"X","cnt":3,"pric":45.50,"det_item_fee_sumamt":"136.50"}}"#;
        let claim = parse_claim(text).unwrap();
        assert_eq!(claim.lines.len(), 1);
        assert_eq!(claim.lines[0].amount, Fen::new(13_650));
        assert_eq!(claim.lines[0].feedetl_sn, "1");
        assert_eq!(claim.setl_time, claim.begntime);
        assert!(claim.acct_used);
        assert_eq!(claim.med_type.to_string(), "11");
    }

    #[test]
    fn names_the_bad_field() {
        let text = r#"{"claim_id":"c2","psn_no":"P1","fixmedins_code":"H31010400123","med_type":"11",
            "begntime":"2025-03-02 09:10:00",
            "feedetail":[{"feedetl_sn":"7","med_list_codg":"X","cnt":"1","pric":"1.001","det_item_fee_sumamt":"1.001"}]}"#;
        let err = parse_claim(text).unwrap_err();
        assert_eq!(err.claim_id, "c2");
        assert!(
            err.reason.contains("明细 7") && err.reason.contains("det_item_fee_sumamt"),
            "{}",
            err.reason
        );
        let err = parse_claim("{not json").unwrap_err();
        assert!(err.reason.contains("JSON"));
    }
}
