//! SM2 body signatures (`protocol.md` §3.3): with `signtype` `SM2`, `cainfo` is the Base64 of the
//! DER SM2 signature (SM3, user id `1234567812345678`) over
//! `infno|msgid|fixmedins_code|inf_time|` followed by the exact text of `input` as received.
//!
//! The gateway headers authenticate the sender; this signature binds the body to a key the
//! facility registered (`yidi facility sm2-key`). It is checked only for facilities that have a
//! key, so the common path parses nothing twice. The prefix fields are the envelope's as Yidi
//! reads them: `infno` normalised (`2203A` → `2203`, the alias path's when absent), `inf_time`
//! as `yyyy-MM-dd HH:mm:ss`; for a client that sends these in their usual form this is the text
//! it sent. Keys are registered as the hex of the uncompressed point (`04` ‖ X ‖ Y).

use std::fmt;

use base64ct::{Base64, Encoding};
use sm2::dsa::signature::Verifier;
use sm2::dsa::{Signature, VerifyingKey};
use yidi_protocol::envelope::Envelope;
use yidi_protocol::errors::AUTH_FAILED;

use crate::auth::Refusal;

/// The SM2 user id (distinguishing identifier) of §3.3, the GM/T 0009 default.
pub const SM2_USER_ID: &str = "1234567812345678";
/// The `signtype` that asks for verification; other values are ignored (§3.3).
pub const SIGNTYPE_SM2: &str = "SM2";
/// Bytes of a registered key: the uncompressed SEC1 point `04` ‖ X ‖ Y.
pub const SM2_PUBLIC_KEY_BYTES: usize = 65;
/// Where an SM2 refusal points in `err_msg`.
const CAINFO: &str = "cainfo";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Sm2Error {
    #[error(
        "SM2 公钥应为未压缩点的十六进制：04 开头共 {} 位（{SM2_PUBLIC_KEY_BYTES} 字节），可含空白",
        SM2_PUBLIC_KEY_BYTES * 2
    )]
    KeyFormat,
    #[error("SM2 公钥不是 SM2 曲线上的有效点")]
    KeyPoint,
}

/// A facility's registered key, ready to verify, and whether every request must be signed.
#[derive(Clone)]
pub struct Sm2Policy {
    public_key: Vec<u8>,
    verifying: VerifyingKey,
    pub required: bool,
}

impl Sm2Policy {
    /// Builds the verifier from a stored key (65-byte uncompressed point). Computing the user
    /// hash `Z` happens here, once per credential load, not per request.
    pub fn new(public_key: &[u8], required: bool) -> Result<Sm2Policy, Sm2Error> {
        if public_key.len() != SM2_PUBLIC_KEY_BYTES || public_key[0] != 0x04 {
            return Err(Sm2Error::KeyFormat);
        }
        let verifying =
            VerifyingKey::from_sec1_bytes(SM2_USER_ID, public_key).map_err(|_| Sm2Error::KeyPoint)?;
        Ok(Sm2Policy { public_key: public_key.to_vec(), verifying, required })
    }

    /// The key as registered (65 bytes).
    pub fn public_key(&self) -> &[u8] {
        &self.public_key
    }
}

impl PartialEq for Sm2Policy {
    fn eq(&self, other: &Sm2Policy) -> bool {
        self.public_key == other.public_key && self.required == other.required
    }
}
impl Eq for Sm2Policy {}

impl fmt::Debug for Sm2Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sm2Policy")
            .field("public_key", &hex::encode(&self.public_key))
            .field("required", &self.required)
            .finish()
    }
}

/// Reads a key file: the hex of the uncompressed point (130 digits starting `04`); whitespace
/// and line breaks are ignored. The point is checked to lie on the curve.
pub fn parse_public_key_hex(text: &str) -> Result<Vec<u8>, Sm2Error> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = hex::decode(&digits).map_err(|_| Sm2Error::KeyFormat)?;
    Sm2Policy::new(&bytes, false)?;
    Ok(bytes)
}

/// The signed text of §3.3: `infno|msgid|fixmedins_code|inf_time|` + `input` as received.
pub fn signed_text(envelope: &Envelope) -> String {
    format!(
        "{}|{}|{}|{}|{}",
        envelope.infno, envelope.msgid, envelope.fixmedins_code, envelope.inf_time, envelope.input_text
    )
}

/// Checks an envelope against the facility's policy: a `cainfo` sent with `signtype` `SM2` must
/// verify; without one the request passes unless the facility is registered `--required`.
/// A failure is HTTP 200 `auth_failed` (§3.4): the message was read, and refused.
pub fn check(policy: &Sm2Policy, envelope: &Envelope) -> Result<(), Refusal> {
    let is_sm2 = envelope.signtype.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(SIGNTYPE_SM2));
    match (is_sm2, envelope.cainfo.as_deref()) {
        (true, Some(cainfo)) => verify(policy, cainfo, &signed_text(envelope)),
        _ if policy.required => Err(refusal(
            "本机构已登记 SM2 公钥并要求报文签名：请以 signtype “SM2” 发送 cainfo（对 infno|msgid|fixmedins_code|inf_time|input 的签名）",
        )),
        _ => Ok(()),
    }
}

fn verify(policy: &Sm2Policy, cainfo: &str, text: &str) -> Result<(), Refusal> {
    let der = Base64::decode_vec(cainfo).map_err(|_| refusal("不是合法的 Base64 文本"))?;
    let signature =
        Signature::from_der(&der).map_err(|_| refusal("不是 DER 编码的 SM2 签名（SEQUENCE { r, s }）"))?;
    policy.verifying.verify(text.as_bytes(), &signature).map_err(|_| {
        refusal("SM2 签名验证失败：签名与报文或本机构登记的公钥不符（签名内容为 infno|msgid|fixmedins_code|inf_time|input 原文）")
    })
}

fn refusal(reason: &str) -> Refusal {
    Refusal {
        status: 200,
        err_code: AUTH_FAILED,
        at: CAINFO,
        reason: reason.to_string(),
        retry_after_secs: None,
    }
}

#[cfg(test)]
mod tests {
    use sm2::dsa::SigningKey;
    use sm2::dsa::signature::Signer;
    use yidi_protocol::envelope::parse_envelope;

    use super::*;

    fn signing_key() -> SigningKey {
        SigningKey::from_slice(SM2_USER_ID, &[0x5a; 32]).unwrap()
    }

    fn policy(required: bool) -> Sm2Policy {
        Sm2Policy::new(&signing_key().verifying_key().to_sec1_bytes(), required).unwrap()
    }

    /// An envelope whose `input` is sent with odd spacing, signed (or not) over the given text.
    fn envelope(input_text: &str, cainfo: Option<&str>) -> Envelope {
        let mut body = format!(
            r#"{{"infno":"1201","msgid":"M1","mdtrtarea_admvs":"310000","opter_type":"1","opter":"A",
            "opter_name":"甲","inf_time":"2025-03-02 09:41:00","fixmedins_code":"H31010400123",
            "fixmedins_name":"医院","signtype":"SM2","input":{input_text}"#
        );
        if let Some(cainfo) = cainfo {
            body.push_str(&format!(r#","cainfo":"{cainfo}""#));
        }
        body.push('}');
        parse_envelope(body.as_bytes(), None).unwrap()
    }

    fn sign(text: &str) -> String {
        let signature: Signature = signing_key().sign(text.as_bytes());
        Base64::encode_string(signature.to_der().as_bytes())
    }

    const INPUT: &str = r#"{ "medinsinfo" : {"fixmedins_code":"H31010400123"} }"#;

    /// A signature over the prefix and the exact `input` text verifies; any change to either
    /// fails with 200 `auth_failed` naming `cainfo`.
    #[test]
    fn valid_passes_and_tampering_fails() {
        let cainfo = sign(&format!("1201|M1|H31010400123|2025-03-02 09:41:00|{INPUT}"));
        let env = envelope(INPUT, Some(&cainfo));
        assert_eq!(env.input_text, INPUT, "the text as received, spacing kept");
        assert_eq!(check(&policy(true), &env), Ok(()));
        let compact = r#"{"medinsinfo":{"fixmedins_code":"H31010400123"}}"#;
        let refused = check(&policy(false), &envelope(compact, Some(&cainfo))).unwrap_err();
        assert_eq!((refused.status, refused.err_code), (200, AUTH_FAILED));
        assert!(refused.err_msg().starts_with("[cainfo]SM2 签名验证失败"), "{}", refused.err_msg());
        let other = Sm2Policy::new(
            &SigningKey::from_slice(SM2_USER_ID, &[7; 32]).unwrap().verifying_key().to_sec1_bytes(),
            false,
        )
        .unwrap();
        assert!(check(&other, &env).is_err(), "another facility's key");
    }

    /// Garbage in `cainfo` is refused with a reason; no `cainfo` passes unless required.
    #[test]
    fn malformed_and_missing() {
        let not_base64 = check(&policy(false), &envelope(INPUT, Some("%%%"))).unwrap_err();
        assert!(not_base64.reason.contains("Base64"), "{}", not_base64.reason);
        let not_der = check(&policy(false), &envelope(INPUT, Some("AAAA"))).unwrap_err();
        assert!(not_der.reason.contains("DER"), "{}", not_der.reason);
        assert_eq!(check(&policy(false), &envelope(INPUT, None)), Ok(()));
        let missing = check(&policy(true), &envelope(INPUT, None)).unwrap_err();
        assert!(missing.err_msg().starts_with("[cainfo]本机构已登记 SM2 公钥"), "{}", missing.err_msg());
    }

    /// Key files: hex of the uncompressed point, whitespace ignored; anything else is refused.
    #[test]
    fn key_file_format() {
        let key = signing_key().verifying_key().to_sec1_bytes();
        let text = hex::encode(&key);
        let wrapped = format!("{}\n  {}\n", &text[..64], &text[64..].to_ascii_uppercase());
        assert_eq!(parse_public_key_hex(&wrapped).unwrap(), key.to_vec());
        assert_eq!(parse_public_key_hex(&text[2..]), Err(Sm2Error::KeyFormat), "no 04 prefix");
        assert_eq!(parse_public_key_hex("zz"), Err(Sm2Error::KeyFormat));
        let mut off_curve = key.to_vec();
        off_curve[64] ^= 1;
        assert_eq!(parse_public_key_hex(&hex::encode(off_curve)), Err(Sm2Error::KeyPoint));
    }
}
