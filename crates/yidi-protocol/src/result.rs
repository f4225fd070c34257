//! The result format of `yidi adjudicate` (`data-formats.md`, "Result"): national field names,
//! amounts as yuan numbers with two decimals, ratios as four-place fractions.

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use yidi_adjudication::{Refusal, Settlement, explain};
use yidi_domain::{Bp, Fen};

/// An amount serialised as a JSON number with exactly two decimals (`666.50`).
pub(crate) struct Yuan(pub(crate) Fen);

impl Serialize for Yuan {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(self.0.yuan()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

/// A ratio serialised as a JSON number with four decimals (`0.7000`).
pub(crate) struct Fraction(pub(crate) Bp);

impl Serialize for Fraction {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(self.0.fraction()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

#[derive(Serialize)]
struct SetlInfoOut<'a> {
    psn_no: &'a str,
    insutype: &'static str,
    med_type: String,
    medfee_sumamt: Yuan,
    fulamt_ownpay_amt: Yuan,
    overlmt_selfpay: Yuan,
    preselfpay_amt: Yuan,
    inscp_scp_amt: Yuan,
    act_pay_dedc: Yuan,
    hifp_pay: Yuan,
    pool_prop_selfpay: Fraction,
    cvlserv_pay: Yuan,
    hifes_pay: Yuan,
    hifmi_pay: Yuan,
    hifob_pay: Yuan,
    maf_pay: Yuan,
    oth_pay: Yuan,
    fund_pay_sumamt: Yuan,
    psn_part_amt: Yuan,
    acct_pay: Yuan,
    psn_cash_pay: Yuan,
    hosp_part_amt: Yuan,
    balc: Yuan,
}

#[derive(Serialize)]
struct DetailOut {
    fund_pay_type: &'static str,
    fund_payamt: Yuan,
}

#[derive(Serialize)]
struct LineOut<'a> {
    feedetl_sn: &'a str,
    chrgitm_lv: &'static str,
    fulamt_ownpay_amt: Yuan,
    overlmt_amt: Yuan,
    preselfpay_amt: Yuan,
    inscp_scp_amt: Yuan,
}

#[derive(Serialize)]
struct OkOut<'a> {
    claim_id: &'a str,
    ok: bool,
    setlinfo: SetlInfoOut<'a>,
    setldetail: Vec<DetailOut>,
    result: Vec<LineOut<'a>>,
    filing_class: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace: Option<Vec<String>>,
}

#[derive(Serialize)]
struct RefusedOut<'a> {
    claim_id: &'a str,
    ok: bool,
    err_code: &'a str,
    err_msg: &'a str,
}

/// Renders a settlement as one JSON object; `with_trace` adds the human-readable trace.
pub fn render_settlement(s: &Settlement<'_>, with_trace: bool, pretty: bool) -> String {
    let i = &s.setlinfo;
    let out = OkOut {
        claim_id: &s.claim.claim_id,
        ok: true,
        setlinfo: SetlInfoOut {
            psn_no: &s.person.psn_no,
            insutype: s.person.insutype.as_str(),
            med_type: s.claim.med_type.to_string(),
            medfee_sumamt: Yuan(i.medfee_sumamt),
            fulamt_ownpay_amt: Yuan(i.fulamt_ownpay_amt),
            overlmt_selfpay: Yuan(i.overlmt_selfpay),
            preselfpay_amt: Yuan(i.preselfpay_amt),
            inscp_scp_amt: Yuan(i.inscp_scp_amt),
            act_pay_dedc: Yuan(i.act_pay_dedc),
            hifp_pay: Yuan(i.hifp_pay),
            pool_prop_selfpay: Fraction(i.pool_prop_selfpay),
            cvlserv_pay: Yuan(i.cvlserv_pay),
            hifes_pay: Yuan(i.hifes_pay),
            hifmi_pay: Yuan(i.hifmi_pay),
            hifob_pay: Yuan(i.hifob_pay),
            maf_pay: Yuan(i.maf_pay),
            oth_pay: Yuan(i.oth_pay),
            fund_pay_sumamt: Yuan(i.fund_pay_sumamt),
            psn_part_amt: Yuan(i.psn_part_amt),
            acct_pay: Yuan(i.acct_pay),
            psn_cash_pay: Yuan(i.psn_cash_pay),
            hosp_part_amt: Yuan(i.hosp_part_amt),
            balc: Yuan(i.balc),
        },
        setldetail: s
            .setldetail
            .iter()
            .map(|d| DetailOut { fund_pay_type: d.fund_pay_type, fund_payamt: Yuan(d.amount) })
            .collect(),
        result: s
            .lines
            .iter()
            .map(|l| LineOut {
                feedetl_sn: &s.claim.lines[l.index].feedetl_sn,
                chrgitm_lv: l.item.lv.as_str(),
                fulamt_ownpay_amt: Yuan(l.fulamt_ownpay),
                overlmt_amt: Yuan(l.overlmt),
                preselfpay_amt: Yuan(l.preselfpay),
                inscp_scp_amt: Yuan(l.inscp),
            })
            .collect(),
        filing_class: s.filing_class().as_str(),
        trace: with_trace.then(|| explain(s)),
    };
    to_json(&out, pretty)
}

/// Renders a refusal: `{ "claim_id", "ok": false, "err_code", "err_msg" }`.
pub fn render_refusal(claim_id: &str, refusal: &Refusal, pretty: bool) -> String {
    let msg = refusal.to_string();
    to_json(&RefusedOut { claim_id, ok: false, err_code: refusal.err_code(), err_msg: &msg }, pretty)
}

fn to_json<T: Serialize>(value: &T, pretty: bool) -> String {
    let result = if pretty { serde_json::to_string_pretty(value) } else { serde_json::to_string(value) };
    result.expect("result values always serialise")
}
