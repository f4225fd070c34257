//! Requests as a hospital system sends them (`protocol.md` §2, §6): envelope, input nodes and
//! the gateway headers of §3.1. Built from the public protocol only, never from the hub's types.
//!
//! Amounts are written as JSON numbers with two decimals (`136.50`), as HIS send them, from
//! integer fen: the number text is produced by [`Fen::yuan`] and embedded raw, so no amount
//! ever passes through a float.

use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use yidi_domain::Fen;

use crate::limits::{INPATIENT_LINES_PER_CALL_MAX, STEPS_PER_FLOW_MAX};
use crate::traffic::{FlowPlan, Line};
use crate::world::{Kind, World};

pub const HEADER_PAASID: &str = "x-tif-paasid";
pub const HEADER_TIMESTAMP: &str = "x-tif-timestamp";
pub const HEADER_NONCE: &str = "x-tif-nonce";
pub const HEADER_SIGNATURE: &str = "x-tif-signature";

/// The prefix of the public demo tokens of `yidi serve --demo`.
const DEMO_TOKEN_PREFIX: &str = "yidi-demo:";

/// The operator every request names.
const OPTER: &str = "SIM0001";
const OPTER_NAME: &str = "压测收费员";
/// The charge batch of an outpatient visit (one per visit).
const CHRG_BCHNO: &str = "CB0001";
/// Departments named on admission and discharge.
const DEPT_CODE: &str = "A03";
const DEPT_NAME: &str = "内科";

/// `msgid` numbering inside a flow: `flow × STEPS_PER_FLOW_MAX + step`.
const STEP_SIGN_IN: u64 = 0;
const STEP_REGISTER: u64 = 1;
const STEP_VISIT_INFO: u64 = 2;
const STEP_DISCHARGE: u64 = 3;
const STEP_PRE_SETTLE: u64 = 4;
const STEP_SETTLE: u64 = 5;
const STEP_CANCEL: u64 = 6;
const STEP_FEES_FIRST: u64 = 7;

/// A facility's gateway credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    pub paasid: String,
    pub token: String,
}

impl Credential {
    /// The public demo credentials of `yidi serve --demo`: paasid `yidi_` + code, token the hex
    /// SHA-256 of `"yidi-demo:" + code`.
    pub fn demo(fixmedins_code: &str) -> Credential {
        Credential {
            paasid: format!("yidi_{fixmedins_code}"),
            token: sha256_hex(format!("{DEMO_TOKEN_PREFIX}{fixmedins_code}").as_bytes()),
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `x-tif-signature`: lowercase hex SHA-256 of `timestamp + token + nonce + timestamp`.
pub fn signature(timestamp: &str, token: &str, nonce: &str) -> String {
    sha256_hex(format!("{timestamp}{token}{nonce}{timestamp}").as_bytes())
}

/// The four gateway headers of one request.
pub fn gateway_headers(credential: &Credential, timestamp: u64, nonce: &str) -> [(&'static str, String); 4] {
    let timestamp = timestamp.to_string();
    let signature = signature(&timestamp, &credential.token, nonce);
    [
        (HEADER_PAASID, credential.paasid.clone()),
        (HEADER_TIMESTAMP, timestamp),
        (HEADER_NONCE, nonce.to_string()),
        (HEADER_SIGNATURE, signature),
    ]
}

/// One request body, ready to sign and send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub infno: &'static str,
    pub msgid: String,
    pub body: Vec<u8>,
}

/// An amount in fen, written as a JSON number with two decimals.
#[derive(Clone, Copy, Debug)]
struct Yuan(i64);

impl Serialize for Yuan {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(Fen::new(self.0).yuan()).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

/// The four split amounts of a pre-settlement answer, kept as the hub wrote them so the
/// settlement can send them back exactly (`protocol.md` §6, 2207).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Split {
    pub fulamt_ownpay_amt: Box<RawValue>,
    pub overlmt_selfpay: Box<RawValue>,
    pub preselfpay_amt: Box<RawValue>,
    pub inscp_scp_amt: Box<RawValue>,
}

#[derive(Serialize)]
struct Envelope<'a, I> {
    infno: &'a str,
    msgid: &'a str,
    mdtrtarea_admvs: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    insuplc_admdvs: Option<&'a str>,
    opter_type: &'a str,
    opter: &'a str,
    opter_name: &'a str,
    inf_time: &'a str,
    fixmedins_code: &'a str,
    fixmedins_name: &'a str,
    input: I,
}

/// Builds the requests of one flow.
pub struct Writer<'a> {
    pub world: &'a World,
    pub plan: &'a FlowPlan,
    /// `begntime` as text (also the `inf_time` of every request).
    begntime: String,
    /// `fee_ocur_time` as text, by day of the stay.
    fee_times: Vec<String>,
}

/// Bytes reserved for a request body: the envelope, and each fee line.
const BODY_BYTES_BASE: usize = 1_024;
const BODY_BYTES_PER_LINE: usize = 384;

impl<'a> Writer<'a> {
    pub fn new(world: &'a World, plan: &'a FlowPlan) -> Writer<'a> {
        let days = plan.lines.iter().map(|l| l.day).max().unwrap_or(0);
        let fee_times = (0..=days).map(|day| plan.fee_time_on(day).to_string()).collect();
        Writer { world, plan, begntime: plan.begntime.to_string(), fee_times }
    }

    /// `msgid`: facility code, run tag, request number (C(30), unique per run and facility).
    pub fn msgid(&self, step: u64) -> String {
        let site = &self.world.sites[self.plan.spec.site as usize];
        let seq = self.plan.spec.no * STEPS_PER_FLOW_MAX + step;
        format!("{}{:06}{seq:012}", site.code, self.plan.run_tag)
    }

    fn patient(&self) -> &'a crate::world::Patient {
        &self.world.patients[self.plan.spec.patient as usize]
    }

    fn envelope<I: Serialize>(&self, infno: &'static str, step: u64, person: bool, input: I) -> Request {
        let site = &self.world.sites[self.plan.spec.site as usize];
        let msgid = self.msgid(step);
        let envelope = Envelope {
            infno,
            msgid: &msgid,
            mdtrtarea_admvs: &site.region,
            insuplc_admdvs: person.then_some(self.patient().insuplc.as_str()),
            opter_type: "1",
            opter: OPTER,
            opter_name: OPTER_NAME,
            inf_time: &self.begntime,
            fixmedins_code: &site.code,
            fixmedins_name: &site.name,
            input,
        };
        let lines = match infno {
            "2204" | "2301" => self.plan.lines.len(),
            _ => 0,
        };
        let mut body = Vec::with_capacity(BODY_BYTES_BASE + lines * BODY_BYTES_PER_LINE);
        serde_json::to_writer(&mut body, &envelope).expect("requests serialise");
        Request { infno, msgid, body }
    }

    /// 9001 签到.
    pub fn sign_in(&self) -> Request {
        #[derive(Serialize)]
        struct Input<'a> {
            #[serde(rename = "signIn")]
            sign_in: SignIn<'a>,
        }
        #[derive(Serialize)]
        struct SignIn<'a> {
            opter_no: &'a str,
            mac: &'a str,
            ip: &'a str,
        }
        let sign_in = SignIn { opter_no: OPTER, mac: "00-16-3E-00-00-01", ip: "10.0.0.1" };
        self.envelope("9001", STEP_SIGN_IN, false, Input { sign_in })
    }

    /// Outpatient number (2201 `ipt_otp_no`) or admission number (2401 `ipt_no`): unique per
    /// run, so a rerun against the same database never meets a visit still open.
    fn visit_no(&self) -> String {
        let prefix = match self.plan.spec.kind {
            Kind::Outpatient => "MZ",
            Kind::Inpatient => "ZY",
        };
        format!("{prefix}{:06}{:012}", self.plan.run_tag, self.plan.spec.no)
    }

    /// 2201 门诊挂号.
    pub fn register(&self) -> Request {
        #[derive(Serialize)]
        struct Data<'a> {
            psn_no: &'a str,
            insutype: &'a str,
            begntime: &'a str,
            mdtrt_cert_type: &'a str,
            mdtrt_cert_no: &'a str,
            ipt_otp_no: String,
            dept_code: &'a str,
            dept_name: &'a str,
        }
        let p = self.patient();
        let data = Data {
            psn_no: &p.psn_no,
            insutype: p.insutype,
            begntime: &self.begntime,
            mdtrt_cert_type: "02",
            mdtrt_cert_no: &p.certno,
            ipt_otp_no: self.visit_no(),
            dept_code: DEPT_CODE,
            dept_name: DEPT_NAME,
        };
        self.envelope("2201", STEP_REGISTER, true, DataNode { data })
    }

    /// 2203 就诊信息上传.
    pub fn visit_info(&self, mdtrt_id: &str) -> Request {
        #[derive(Serialize)]
        struct Input<'a> {
            mdtrtinfo: MdtrtInfo<'a>,
            diseinfo: [DiseInfo<'a>; 1],
        }
        #[derive(Serialize)]
        struct MdtrtInfo<'a> {
            mdtrt_id: &'a str,
            psn_no: &'a str,
            med_type: &'a str,
            begntime: &'a str,
            dise_codg: &'a str,
            dise_name: &'a str,
        }
        let (code, name) = self.plan.diagnosis;
        let mdtrtinfo = MdtrtInfo {
            mdtrt_id,
            psn_no: &self.patient().psn_no,
            med_type: self.plan.med_type,
            begntime: &self.begntime,
            dise_codg: code,
            dise_name: name,
        };
        self.envelope("2203", STEP_VISIT_INFO, true, Input { mdtrtinfo, diseinfo: [self.diseinfo()] })
    }

    fn diseinfo(&self) -> DiseInfo<'a> {
        let (diag_code, diag_name) = self.plan.diagnosis;
        let inpatient = self.plan.spec.kind == Kind::Inpatient;
        DiseInfo {
            diag_type: "1",
            maindiag_flag: inpatient.then_some("1"),
            diag_srt_no: 1,
            diag_code,
            diag_name,
        }
    }

    /// 2204 (one call) or 2301 (calls of at most [`INPATIENT_LINES_PER_CALL_MAX`] lines).
    pub fn fees(&self, mdtrt_id: &str) -> Vec<Request> {
        let (infno, per_call) = match self.plan.spec.kind {
            Kind::Outpatient => ("2204", self.plan.lines.len().max(1)),
            Kind::Inpatient => ("2301", INPATIENT_LINES_PER_CALL_MAX),
        };
        let rows: Vec<FeeRow<'_>> =
            self.plan.lines.iter().enumerate().map(|(n, line)| self.fee_row(n, line, mdtrt_id)).collect();
        rows.chunks(per_call)
            .enumerate()
            .map(|(k, chunk)| {
                self.envelope(infno, STEP_FEES_FIRST + k as u64, true, FeeNode { feedetail: chunk })
            })
            .collect()
    }

    fn fee_row<'s>(&'s self, n: usize, line: &Line, mdtrt_id: &'s str) -> FeeRow<'s> {
        let item = &self.world.items[line.item as usize];
        let outpatient = self.plan.spec.kind == Kind::Outpatient;
        FeeRow {
            feedetl_sn: format!("L{:05}", n + 1),
            mdtrt_id,
            psn_no: &self.patient().psn_no,
            chrg_bchno: outpatient.then_some(CHRG_BCHNO),
            fee_ocur_time: &self.fee_times[line.day as usize],
            med_list_codg: &item.code,
            medins_list_codg: &item.medins_code,
            det_item_fee_sumamt: Yuan(line.amount_fen()),
            cnt: line.cnt,
            pric: Yuan(line.price_fen),
            dise_codg: outpatient.then_some(self.plan.diagnosis.0),
            exp_content: (self.plan.emergency && outpatient).then_some(ExpContent { er_flag: "1" }),
        }
    }

    /// 2401 入院办理.
    pub fn admit(&self) -> Request {
        #[derive(Serialize)]
        struct Input<'a> {
            mdtrtinfo: AdmInfo<'a>,
            diseinfo: [DiseInfo<'a>; 1],
        }
        #[derive(Serialize)]
        struct AdmInfo<'a> {
            psn_no: &'a str,
            insutype: &'a str,
            begntime: &'a str,
            mdtrt_cert_type: &'a str,
            mdtrt_cert_no: &'a str,
            med_type: &'a str,
            ipt_no: String,
            adm_dept_codg: &'a str,
            adm_dept_name: &'a str,
            dise_codg: &'a str,
            dise_name: &'a str,
        }
        let p = self.patient();
        let mdtrtinfo = AdmInfo {
            psn_no: &p.psn_no,
            insutype: p.insutype,
            begntime: &self.begntime,
            mdtrt_cert_type: "02",
            mdtrt_cert_no: &p.certno,
            med_type: self.plan.med_type,
            ipt_no: self.visit_no(),
            adm_dept_codg: DEPT_CODE,
            adm_dept_name: DEPT_NAME,
            dise_codg: self.plan.diagnosis.0,
            dise_name: self.plan.diagnosis.1,
        };
        self.envelope("2401", STEP_REGISTER, true, Input { mdtrtinfo, diseinfo: [self.diseinfo()] })
    }

    /// 2402 出院办理.
    pub fn discharge(&self, mdtrt_id: &str) -> Request {
        #[derive(Serialize)]
        struct Input<'a> {
            dscginfo: DscgInfo<'a>,
            diseinfo: [DiseInfo<'a>; 1],
        }
        #[derive(Serialize)]
        struct DscgInfo<'a> {
            mdtrt_id: &'a str,
            psn_no: &'a str,
            insutype: &'a str,
            endtime: String,
            dscg_way: &'a str,
            dscg_dept_codg: &'a str,
            dscg_dept_name: &'a str,
        }
        let p = self.patient();
        let dscginfo = DscgInfo {
            mdtrt_id,
            psn_no: &p.psn_no,
            insutype: p.insutype,
            endtime: self.plan.endtime.to_string(),
            dscg_way: "1",
            dscg_dept_codg: DEPT_CODE,
            dscg_dept_name: DEPT_NAME,
        };
        self.envelope("2402", STEP_DISCHARGE, true, Input { dscginfo, diseinfo: [self.diseinfo()] })
    }

    /// 2206 门诊预结算 or 2303 住院预结算.
    pub fn pre_settle(&self, mdtrt_id: &str) -> Request {
        let infno = match self.plan.spec.kind {
            Kind::Outpatient => "2206",
            Kind::Inpatient => "2303",
        };
        self.envelope(infno, STEP_PRE_SETTLE, true, DataNode { data: self.settle_data(mdtrt_id, None) })
    }

    /// 2207 门诊结算 or 2304 住院结算, with the pre-settlement's split amounts if it had one.
    pub fn settle(&self, mdtrt_id: &str, split: Option<&Split>) -> Request {
        let infno = match self.plan.spec.kind {
            Kind::Outpatient => "2207",
            Kind::Inpatient => "2304",
        };
        let invono = format!("FP{:06}{:012}", self.plan.run_tag, self.plan.spec.no);
        let data = self.settle_data(mdtrt_id, Some((invono, split)));
        self.envelope(infno, STEP_SETTLE, true, DataNode { data })
    }

    fn settle_data<'s>(
        &'s self,
        mdtrt_id: &'s str,
        settle: Option<(String, Option<&'s Split>)>,
    ) -> SettleData<'s> {
        let p = self.patient();
        let outpatient = self.plan.spec.kind == Kind::Outpatient;
        let (invono, split) = match settle {
            Some((invono, split)) => (Some(invono), split),
            None => (None, None),
        };
        SettleData {
            psn_no: &p.psn_no,
            mdtrt_cert_type: "02",
            mdtrt_cert_no: &p.certno,
            med_type: outpatient.then_some(self.plan.med_type),
            medfee_sumamt: Yuan(self.plan.total_fen()),
            psn_setlway: "01",
            mdtrt_id,
            chrg_bchno: outpatient.then_some(CHRG_BCHNO),
            acct_used_flag: "1",
            insutype: p.insutype,
            mid_setl_flag: (!outpatient).then_some("0"),
            invono,
            split,
        }
    }

    /// 2208 门诊结算撤销.
    pub fn cancel(&self, mdtrt_id: &str, setl_id: &str) -> Request {
        #[derive(Serialize)]
        struct Data<'a> {
            setl_id: &'a str,
            mdtrt_id: &'a str,
            psn_no: &'a str,
        }
        let data = Data { setl_id, mdtrt_id, psn_no: &self.patient().psn_no };
        self.envelope("2208", STEP_CANCEL, true, DataNode { data })
    }
}

#[derive(Serialize)]
struct DataNode<T> {
    data: T,
}

#[derive(Serialize)]
struct FeeNode<'r, 'a> {
    feedetail: &'r [FeeRow<'a>],
}

#[derive(Serialize)]
struct DiseInfo<'a> {
    diag_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    maindiag_flag: Option<&'a str>,
    diag_srt_no: u32,
    diag_code: &'a str,
    diag_name: &'a str,
}

#[derive(Serialize)]
struct ExpContent<'a> {
    er_flag: &'a str,
}

#[derive(Serialize)]
struct FeeRow<'a> {
    feedetl_sn: String,
    mdtrt_id: &'a str,
    psn_no: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    chrg_bchno: Option<&'a str>,
    fee_ocur_time: &'a str,
    med_list_codg: &'a str,
    medins_list_codg: &'a str,
    det_item_fee_sumamt: Yuan,
    cnt: u32,
    pric: Yuan,
    #[serde(skip_serializing_if = "Option::is_none")]
    dise_codg: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp_content: Option<ExpContent<'a>>,
}

#[derive(Serialize)]
struct SettleData<'a> {
    psn_no: &'a str,
    mdtrt_cert_type: &'a str,
    mdtrt_cert_no: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    med_type: Option<&'a str>,
    medfee_sumamt: Yuan,
    psn_setlway: &'a str,
    mdtrt_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    chrg_bchno: Option<&'a str>,
    acct_used_flag: &'a str,
    insutype: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    mid_setl_flag: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    invono: Option<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    split: Option<&'a Split>,
}

/// Unix seconds now, for `x-tif-timestamp`.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
