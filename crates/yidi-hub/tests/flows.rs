//! The hub end to end in-process, on a real SQLite file: the §10 worked examples through the
//! national transactions, idempotent replays, cancellation, and a restart that keeps everything.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};
use yidi_domain::DateTime;
use yidi_hub::{Hub, HubConfig, ManualClock};
use yidi_store_sqlite::SqliteStore;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn temp_db(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("yidi-hub-{}-{name}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
    }
    p
}

struct World {
    hub: Hub,
    n: u32,
}

const FAC_SH: &str = "H31010400123";
const FAC_BJ: &str = "H11010500001";

fn start(db: &Path, at: &str) -> World {
    let pack = yidi_refdata::load_pack(&repo().join("test_data/packs/worked")).expect("pack");
    let store = Arc::new(SqliteStore::open(db).expect("store"));
    let clock = Arc::new(ManualClock::at(DateTime::parse(at).unwrap()));
    let hub = Hub::start(HubConfig::default(), store, Arc::new(pack), clock).expect("hub");
    World { hub, n: 0 }
}

impl World {
    async fn call_id(&mut self, fac: &str, infno: &str, msgid: &str, input: Value) -> Value {
        let body = json!({
            "infno": infno, "msgid": msgid, "mdtrtarea_admvs": format!("{}0000", &fac[1..3]),
            "opter_type": "1", "opter": "T01", "opter_name": "测试收费员", "inf_time": "2025-03-02 09:41:00",
            "fixmedins_code": fac, "fixmedins_name": "测试医院", "input": input
        });
        let reply = self.hub.call(fac, None, body.to_string().as_bytes()).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        serde_json::from_str(&reply.body).expect("envelope is JSON")
    }
    async fn call(&mut self, fac: &str, infno: &str, input: Value) -> Value {
        self.n += 1;
        let msgid = format!("{fac}{:018}", self.n);
        self.call_id(fac, infno, &msgid, input).await
    }
}

fn ok(v: &Value) -> &Value {
    assert_eq!(v["infcode"], 0, "expected success: {v}");
    &v["output"]
}

fn line(sn: &str, mdtrt: &str, psn: &str, code: &str, cnt: &str, pric: &str, amt: &str) -> Value {
    json!({"feedetl_sn": sn, "mdtrt_id": mdtrt, "psn_no": psn, "chrg_bchno": "CB1", "fee_ocur_time": "2025-03-02 09:20:00",
           "med_list_codg": code, "medins_list_codg": code, "det_item_fee_sumamt": amt, "cnt": cnt, "pric": pric})
}

#[tokio::test(flavor = "current_thread")]
async fn worked_example_1_through_the_protocol_with_replay_cancel_and_restart() {
    let db = temp_db("ex1");
    let mut w = start(&db, "2025-03-02 09:41:00");
    let psn = "P0000000001";
    let reg = w
        .call(
            FAC_SH,
            "2201",
            json!({"data": {"psn_no": psn, "insutype": "310", "begntime": "2025-03-02 09:10:00",
            "mdtrt_cert_type": "02", "mdtrt_cert_no": "320102197005120015", "ipt_otp_no": "MZ001"}}),
        )
        .await;
    let mdtrt = ok(&reg)["data"]["mdtrt_id"].as_str().unwrap().to_string();
    assert!(mdtrt.starts_with("310104") && mdtrt.len() == 18, "{mdtrt}");
    ok(&w
        .call(
            FAC_SH,
            "2203",
            json!({"mdtrtinfo": {"mdtrt_id": mdtrt, "psn_no": psn, "med_type": "11",
        "begntime": "2025-03-02 09:10:00", "dise_codg": "I10"}}),
        )
        .await);
    let up = w
        .call(
            FAC_SH,
            "2204",
            json!({"feedetail": [
            line("a", &mdtrt, psn, "XA01AAA001", "3", "45.50", "136.50"),
            line("b", &mdtrt, psn, "XB01ACB001", "2", "210.00", "420.00"),
            line("c", &mdtrt, psn, "XC10AAC001", "1", "80.00", "80.00"),
            line("d", &mdtrt, psn, "001102000010000", "1", "30.00", "30.00")]}),
        )
        .await;
    assert_eq!(ok(&up)["result"][1]["preselfpay_amt"].to_string(), "42.0");
    let data = json!({"data": {"psn_no": psn, "mdtrt_cert_type": "02", "mdtrt_cert_no": "320102197005120015",
        "med_type": "11", "medfee_sumamt": "666.50", "psn_setlway": "01", "mdtrt_id": mdtrt, "chrg_bchno": "CB1",
        "acct_used_flag": "1", "insutype": "310", "fulamt_ownpay_amt": 80.00, "overlmt_selfpay": 5.00,
        "preselfpay_amt": 42.00, "inscp_scp_amt": 539.50}});
    let pre = w.call(FAC_SH, "2206", data.clone()).await;
    assert_eq!(ok(&pre)["setlinfo"]["psn_cash_pay"].to_string(), "166.5");
    assert!(ok(&pre)["setlinfo"]["setl_id"].is_null());

    let first = w.call_id(FAC_SH, "2207", "SETTLE-1", data.clone()).await;
    let info = &ok(&first)["setlinfo"];
    assert_eq!(info["acct_pay"].to_string(), "500.0");
    assert_eq!(info["psn_cash_pay"].to_string(), "166.5");
    assert_eq!(info["act_pay_dedc"].to_string(), "539.5");
    let setl_id = info["setl_id"].as_str().unwrap().to_string();

    // The same msgid and body: the stored answer, byte for byte; another body: refused.
    let again = w.call_id(FAC_SH, "2207", "SETTLE-1", data.clone()).await;
    assert_eq!(again, first);
    let mut other = data.clone();
    other["data"]["acct_used_flag"] = json!("0");
    let dup = w.call_id(FAC_SH, "2207", "SETTLE-1", other).await;
    assert_eq!(dup["err_code"], "duplicate_msgid_different_body");
    // The batch is settled: a new msgid is refused with the way out.
    let twice = w.call(FAC_SH, "2207", data.clone()).await;
    assert_eq!(twice["err_code"], "visit_state");
    assert!(twice["err_msg"].as_str().unwrap().starts_with("[input.data.chrg_bchno]"), "{twice}");

    // Restart: everything acknowledged is still there.
    w.hub.shutdown();
    let used = w.n;
    drop(w);
    let mut w = start(&db, "2025-03-02 10:00:00");
    w.n = used;
    let replay = w.call_id(FAC_SH, "2207", "SETTLE-1", data.clone()).await;
    assert_eq!(replay, first);

    // Cancel: negated figures, the account restored; cancelling again is refused.
    let cancel =
        w.call(FAC_SH, "2208", json!({"data": {"setl_id": setl_id, "mdtrt_id": mdtrt, "psn_no": psn}})).await;
    let neg = &ok(&cancel)["setlinfo"];
    assert_eq!(neg["medfee_sumamt"].to_string(), "-666.5");
    assert_eq!(neg["balc"].to_string(), "500.0");
    let again =
        w.call(FAC_SH, "2208", json!({"data": {"setl_id": setl_id, "mdtrt_id": mdtrt, "psn_no": psn}})).await;
    assert_eq!(again["err_code"], "already_reversed");
    // Settling again after the cancellation gives the same figures.
    let resettle = w.call(FAC_SH, "2207", data).await;
    assert_eq!(ok(&resettle)["setlinfo"]["psn_cash_pay"].to_string(), "166.5");
}

#[tokio::test(flavor = "current_thread")]
async fn worked_example_2_inpatient_through_the_protocol() {
    let db = temp_db("ex2");
    let mut w = start(&db, "2025-03-20 10:30:00");
    let psn = "P0000000002";
    let adm = w
        .call(FAC_BJ, "2401", json!({"mdtrtinfo": {"psn_no": psn, "insutype": "390", "begntime": "2025-03-01 08:00:00",
            "mdtrt_cert_type": "02", "mdtrt_cert_no": "150102196503080021", "med_type": "21", "ipt_no": "ZY001",
            "adm_dept_codg": "A01", "adm_dept_name": "胸外科"},
            "diseinfo": [{"diag_type": "1", "maindiag_flag": "1", "diag_srt_no": 1, "diag_code": "C34.1", "diag_name": "肺癌"}]}))
        .await;
    let mdtrt = ok(&adm)["result"]["mdtrt_id"].as_str().unwrap().to_string();
    let l = |sn: &str, code: &str, cnt: &str, pric: &str, amt: &str| {
        json!({"feedetl_sn": sn, "mdtrt_id": mdtrt, "psn_no": psn, "fee_ocur_time": "2025-03-05 09:00:00",
               "med_list_codg": code, "medins_list_codg": code, "det_item_fee_sumamt": amt, "cnt": cnt, "pric": pric})
    };
    ok(&w.call(FAC_BJ, "2301", json!({"feedetail": [
        l("a", "001201000010000", "10", "300.00", "3000.00"), l("b", "XL01XCB001", "1", "50000.00", "50000.00"),
        l("c", "C0301000001", "1", "25000.00", "25000.00"), l("d", "XL04AAC001", "1", "2000.00", "2000.00"),
        l("e", "003100000010000", "1", "40000.00", "40000.00")]})).await);
    let settle_input = json!({"data": {"psn_no": psn, "mdtrt_cert_type": "02", "mdtrt_cert_no": "150102196503080021",
        "medfee_sumamt": 120000, "psn_setlway": "01", "mdtrt_id": mdtrt, "acct_used_flag": "0", "insutype": "390"}});
    let early = w.call(FAC_BJ, "2304", settle_input.clone()).await;
    assert_eq!(early["err_code"], "visit_state", "a stay settles only after discharge");
    ok(&w.call(FAC_BJ, "2402", json!({"dscginfo": {"mdtrt_id": mdtrt, "psn_no": psn, "insutype": "390",
        "endtime": "2025-03-20 10:00:00", "dscg_way": "1", "dscg_dept_codg": "A01", "dscg_dept_name": "胸外科"}})).await);
    let s = w.call(FAC_BJ, "2304", settle_input).await;
    let info = &ok(&s)["setlinfo"];
    for (field, want) in [
        ("hifp_pay", "50600.0"),
        ("hifmi_pay", "28930.0"),
        ("maf_pay", "15729.0"),
        ("fund_pay_sumamt", "95259.0"),
        ("psn_cash_pay", "24741.0"),
        ("pool_prop_selfpay", "0.5"),
    ] {
        assert_eq!(info[field].to_string(), want, "{field}");
    }
    assert_eq!(s["warn_msg"], "异地转诊人员，统筹比例0.6000→0.5000");
}
