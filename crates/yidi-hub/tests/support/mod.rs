//! Helpers shared by the hub's integration tests: an in-process [`Hub`] on a real SQLite file
//! with a pack from `test_data/packs/` and a manual clock, and national calls as JSON.
#![allow(dead_code)] // each test binary uses its own part of these helpers

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};
use yidi_domain::{ChrgitmLv, DateTime, Facility, Fen, Pack, Qty, line_fen};
use yidi_hub::{Hub, HubConfig, ManualClock};
use yidi_store::{Snapshot, Store};
use yidi_store_sqlite::SqliteStore;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn pack(name: &str) -> Arc<Pack> {
    let dir = repo().join("test_data/packs").join(name);
    Arc::new(yidi_refdata::load_pack(&dir).unwrap_or_else(|p| panic!("pack {name} rejected: {p:?}")))
}

/// A fresh database file for one test (removed first if a previous run left it).
pub fn temp_db(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("yidi-hub-tx-{}-{name}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
    }
    p
}

/// What the database holds, read back as the hub would at start.
pub fn snapshot(db: &Path) -> Snapshot {
    SqliteStore::open(db).expect("store").load().expect("load")
}

pub struct World {
    pub hub: Arc<Hub>,
    pub clock: Arc<ManualClock>,
    pub pack: Arc<Pack>,
    pub db: PathBuf,
    n: u32,
}

impl World {
    pub fn start(pack: Arc<Pack>, db: &Path, at: &str) -> World {
        World::start_with(HubConfig::default(), pack, db, at)
    }

    pub fn start_with(config: HubConfig, pack: Arc<Pack>, db: &Path, at: &str) -> World {
        let store = Arc::new(SqliteStore::open(db).expect("store"));
        let clock = Arc::new(ManualClock::at(DateTime::parse(at).expect("time")));
        let hub = Hub::start(config, store, pack.clone(), clock.clone()).expect("hub");
        World { hub: Arc::new(hub), clock, pack, db: db.to_path_buf(), n: 0 }
    }

    /// Stops the hub and starts a new one on the same database (a restart).
    pub fn restart(self, at: &str) -> World {
        self.hub.shutdown();
        let (pack, db, n) = (self.pack.clone(), self.db.clone(), self.n);
        drop(self);
        let mut w = World::start(pack, &db, at);
        w.n = n;
        w
    }

    pub fn advance_secs(&self, secs: i64) {
        self.clock.advance_millis(secs * 1_000);
    }

    /// A fresh `msgid` for `fac`.
    pub fn msgid(&mut self, fac: &str) -> String {
        self.n += 1;
        format!("{fac}{:018}", self.n)
    }

    /// The raw answer body of one call.
    pub async fn body(&self, fac: &str, infno: &str, msgid: &str, input: &Value) -> String {
        let reply = self.hub.call(fac, None, envelope(fac, infno, msgid, input).as_bytes()).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body
    }

    pub async fn call_id(&self, fac: &str, infno: &str, msgid: &str, input: Value) -> Value {
        serde_json::from_str(&self.body(fac, infno, msgid, &input).await).expect("envelope is JSON")
    }

    pub async fn call(&mut self, fac: &str, infno: &str, input: Value) -> Value {
        let msgid = self.msgid(fac);
        self.call_id(fac, infno, &msgid, input).await
    }
}

pub fn envelope(fac: &str, infno: &str, msgid: &str, input: &Value) -> String {
    json!({
        "infno": infno, "msgid": msgid, "mdtrtarea_admvs": format!("{}0000", &fac[1..3]),
        "opter_type": "1", "opter": "T01", "opter_name": "测试收费员", "inf_time": "2025-03-02 09:41:00",
        "fixmedins_code": fac, "fixmedins_name": "测试医院", "input": input
    })
    .to_string()
}

/// The `output` of a success (fails the test otherwise).
#[track_caller]
pub fn ok(v: &Value) -> &Value {
    assert_eq!(v["infcode"], 0, "expected success: {v}");
    &v["output"]
}

/// Asserts a refusal with `code` whose message starts at `path`.
#[track_caller]
pub fn refused(v: &Value, code: &str, path: &str) {
    assert_eq!(v["infcode"], -1, "expected a refusal: {v}");
    assert_eq!(v["err_code"], code, "{v}");
    let msg = v["err_msg"].as_str().unwrap_or_default();
    assert!(msg.starts_with(&format!("[{path}]")), "err_msg should start with [{path}]: {msg}");
}

/// A number field as its JSON text (`666.5`), for exact comparisons.
pub fn num(v: &Value) -> String {
    v.to_string()
}

/// A fee upload (2204 or 2301) of five unrestricted 甲/乙 rows of the facility's province
/// catalog, one of each at its sample price, under `chrg_bchno` when given; the lines and their
/// total.
pub fn plain_lines(
    pack: &Pack,
    facility: &Facility,
    at: DateTime,
    (mdtrt_id, psn_no): (&str, &str),
    chrg_bchno: Option<&str>,
) -> (Vec<Value>, Fen) {
    let catalog = &pack.refdata.catalogs[&facility.admdvs.province()];
    let mut total = Fen::ZERO;
    let lines = catalog
        .unrestricted(at.date())
        .into_iter()
        .filter(|row| row.lv != ChrgitmLv::C)
        .take(5)
        .enumerate()
        .map(|(n, row)| {
            let (cnt, pric) = (Qty::from_units(1), row.sample_price());
            let amount = line_fen(cnt, pric);
            total += amount;
            let mut line = json!({"feedetl_sn": format!("{}", n + 1), "mdtrt_id": mdtrt_id, "psn_no": psn_no,
                "fee_ocur_time": at.to_string(), "med_list_codg": row.code, "medins_list_codg": row.code,
                "det_item_fee_sumamt": amount.yuan(), "cnt": cnt.to_string(), "pric": pric.to_string()});
            if let Some(batch) = chrg_bchno {
                line["chrg_bchno"] = json!(batch);
            }
            line
        })
        .collect();
    (lines, total)
}
