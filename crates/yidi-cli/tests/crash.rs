//! Crash tests of `yidi serve`: the real binary is killed with SIGKILL under load and restarted
//! on the same SQLite file while hospital clients resend what went unanswered; afterwards the
//! database is read back and checked against every answer the clients received.
//!
//! Randomness comes from one printed seed (`YIDI_CRASH_SEED=N` replays a run's choices; thread
//! timing still differs between runs, which is the point of a crash test).

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use serde_json::value::RawValue;
use serde_json::{Value, json};
use support::{CALL_SERVICE, Gateway, Response, Server, beijing_now, repo, temp_dir};
use yidi_domain::{
    BenefitKind, ChrgitmLv, DateTime, Facility, Fen, Pack, PersonRecord, PersonState, Price, Qty, line_fen,
};
use yidi_store::{SettlementStatus, Snapshot, Store};
use yidi_store_sqlite::SqliteStore;

/// Client threads sending complete outpatient flows at once.
const THREADS: usize = 8;
/// Demo persons per client thread; a person belongs to one thread, so its order is known.
const PERSONS_PER_THREAD: usize = 2;
/// SIGKILLs per run.
const KILLS: usize = 20;
/// Most answers the controller waits for after a restart before it picks the moment to kill.
const ANSWERS_BEFORE_KILL_MAX: u64 = 120;
/// Most extra milliseconds before a kill, so it lands anywhere inside a request.
const KILL_JITTER_MS_MAX: u64 = 40;
/// Answers served by the last server before the clients are told to finish.
const ANSWERS_AFTER_LAST_RESTART: u64 = 60;
/// One in N answered writing requests is sent again at once (a HIS retry after a timeout).
const DUPLICATE_ONE_IN: u64 = 6;
/// One in N settlements is cancelled (2208); one in N cancelled batches is settled again.
const CANCEL_ONE_IN: u64 = 3;
const RESETTLE_ONE_IN: u64 = 2;
/// One in N visits has a second charge batch.
const SECOND_BATCH_ONE_IN: u64 = 3;
/// Longest a request may stay unanswered (server restarts included) before the test fails.
const DELIVER_WAIT_SECS_MAX: u64 = 120;
/// Pause between resends while the hub is down.
const RESEND_PAUSE_MS: u64 = 20;
/// Same request sent at once by this many threads in the replay test.
const SAME_REQUEST_THREADS: usize = 50;

/// The seed of this run: `YIDI_CRASH_SEED`, else from the clock; printed either way.
fn seed(test: &str) -> u64 {
    let seed = match std::env::var("YIDI_CRASH_SEED") {
        Ok(text) => text.parse().expect("YIDI_CRASH_SEED is a u64"),
        Err(_) => {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
        }
    };
    eprintln!("{test}: seed {seed} (rerun with YIDI_CRASH_SEED={seed})");
    seed
}

/// splitmix64: small, seeded, good enough to pick moments and branches.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

/// POSTs `body` to `callService`, signed with the facility's demo token. Any failure to get a
/// whole answer (refused connection, reset, short body) is an error: the request went unanswered.
fn post(addr: SocketAddr, facility: &str, nonce: &str, body: &str) -> std::io::Result<Response> {
    let request = Gateway::demo(facility, nonce).request(addr, CALL_SERVICE, body.as_bytes());
    let raw = support::send(addr, &request)?;
    Response::parse(&raw)
        .filter(Response::is_complete)
        .ok_or_else(|| std::io::Error::other("incomplete HTTP answer"))
}

/// The exact text of the JSON value at `path` (strings without their quotes), read without
/// turning numbers into floats.
fn raw<'a>(json: &'a str, path: &[&str]) -> &'a str {
    let mut text = json;
    for key in path {
        let node: BTreeMap<&str, &RawValue> =
            serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: not an object at {key}: {json}"));
        text = node.get(key).unwrap_or_else(|| panic!("no {key} in {json}")).get();
    }
    text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(text)
}

fn fen_at(json: &str, path: &[&str]) -> Fen {
    Fen::parse_yuan(raw(json, path)).unwrap_or_else(|e| panic!("{path:?} is not an amount ({e}): {json}"))
}

/// A request body as a HIS sends it.
fn envelope(facility: &str, infno: &str, msgid: &str, input: Value) -> String {
    json!({"infno": infno, "msgid": msgid, "mdtrtarea_admvs": format!("{}0000", &facility[1..3]),
        "opter_type": "1", "opter": "CRASH01", "opter_name": "压测收费员", "inf_time": beijing_now().to_string(),
        "fixmedins_code": facility, "fixmedins_name": "压测", "input": input})
    .to_string()
}

/// A demo person the tests settle for: a long-term filer, a hospital in the filed area that is
/// open for outpatient care, and five plain class A/B catalog items of its province.
struct Patient<'p> {
    person: &'p PersonRecord,
    facility: &'p Facility,
    items: Vec<(&'p str, Price)>,
}

/// Every such person, in `psn_no` order (as `yidi demo-settle` picks one).
fn patients(pack: &Pack, now: DateTime) -> Vec<Patient<'_>> {
    let mut facilities: Vec<&Facility> = pack.refdata.facilities.values().collect();
    facilities.sort_by(|a, b| a.code.cmp(&b.code));
    pack.persons
        .values()
        .filter_map(|r| {
            let filing =
                r.filings.iter().find(|f| f.category.is_long_term() && f.valid_for(now.date(), now))?;
            let facility = facilities.iter().copied().find(|f| {
                filing.covers(f.admdvs)
                    && f.open_for(BenefitKind::Outpatient)
                    && f.level >= 2
                    && yidi_domain::in_period(now.date(), f.begndate, f.enddate)
            })?;
            Some(Patient { person: r, facility, items: plain_items(pack, facility, now) })
        })
        .collect()
}

fn plain_items<'p>(pack: &'p Pack, facility: &Facility, now: DateTime) -> Vec<(&'p str, Price)> {
    let catalog = &pack.refdata.catalogs[&facility.admdvs.province()];
    let items: Vec<(&str, Price)> = catalog
        .unrestricted(now.date())
        .into_iter()
        .filter(|row| row.lv != ChrgitmLv::C)
        .take(5)
        .map(|row| (row.code.as_str(), row.sample_price()))
        .collect();
    assert!(!items.is_empty(), "no plain catalog items for {}", facility.code);
    items
}

/// One writing request as the client journal keeps it.
struct Entry {
    facility: String,
    msgid: String,
    infno: &'static str,
    body: String,
    /// The answer that finally arrived (every request is resent until one does).
    answer: String,
    /// Sends of this request that got no answer (hub killed, reset, 503) before the answer.
    lost_sends: u32,
    /// The answer carried `X-Yidi-Replay: 1`.
    replayed: bool,
}

/// A settlement the client was answered for.
struct Acked {
    facility: String,
    setl_id: String,
    msgid: String,
    psn_no: String,
    mdtrt_id: String,
    chrg_bchno: String,
    /// medfee_sumamt, fund_pay_sumamt, acct_pay, psn_cash_pay as answered.
    amounts: [Fen; 4],
    answer: String,
    /// The 2208 msgid, once the cancellation was answered.
    cancelled_by: Option<String>,
}

const AMOUNT_FIELDS: [&str; 4] = ["medfee_sumamt", "fund_pay_sumamt", "acct_pay", "psn_cash_pay"];

fn amounts_of(answer: &str) -> [Fen; 4] {
    AMOUNT_FIELDS.map(|field| fen_at(answer, &["output", "setlinfo", field]))
}

/// What the controller and the client threads share.
struct Shared {
    /// The live server's address; `None` while it is down.
    addr: Mutex<Option<SocketAddr>>,
    answers: AtomicU64,
    stop: AtomicBool,
    failed: AtomicBool,
}

/// Sets `failed` when its thread unwinds, so that the others stop waiting for it.
struct FailFlag<'a>(&'a AtomicBool);

impl Drop for FailFlag<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::SeqCst);
        }
    }
}

/// A hospital system: sends complete outpatient flows for its own persons, resends every
/// unanswered request with the same msgid and body, and journals everything.
struct Client<'s> {
    thread: usize,
    shared: &'s Shared,
    rng: Rng,
    counter: u64,
    nonce: u64,
    journal: Vec<Entry>,
    acked: Vec<Acked>,
    duplicates: u64,
    /// What the hub did wrong as seen from this client.
    findings: Vec<String>,
}

impl<'s> Client<'s> {
    fn new(thread: usize, shared: &'s Shared, seed: u64) -> Client<'s> {
        let rng = Rng(seed ^ (thread as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
        Client {
            thread,
            shared,
            rng,
            counter: 0,
            nonce: 0,
            journal: Vec::new(),
            acked: Vec::new(),
            duplicates: 0,
            findings: Vec::new(),
        }
    }

    /// Sends until a whole answer arrives; returns it and how many sends went unanswered.
    fn deliver(&mut self, facility: &str, body: &str) -> (Response, u32) {
        let deadline = Instant::now() + Duration::from_secs(DELIVER_WAIT_SECS_MAX);
        let mut lost_sends = 0;
        loop {
            assert!(!self.shared.failed.load(Ordering::SeqCst), "another thread failed");
            assert!(Instant::now() < deadline, "no answer in {DELIVER_WAIT_SECS_MAX} s to {body}");
            let addr = *self.shared.addr.lock().unwrap();
            let Some(addr) = addr else {
                std::thread::sleep(Duration::from_millis(RESEND_PAUSE_MS));
                continue;
            };
            self.nonce += 1;
            let nonce = format!("crash{}n{}", self.thread, self.nonce);
            match post(addr, facility, &nonce, body) {
                Ok(x) if x.status == 200 => {
                    self.shared.answers.fetch_add(1, Ordering::SeqCst);
                    return (x, lost_sends);
                }
                Ok(x) if x.status == 503 => lost_sends += 1,
                // The restart guard: signed just before a restart that reused the port.
                Ok(x) if x.status == 401 && x.body.contains("x-tif-timestamp") => lost_sends += 1,
                Ok(x) => panic!("HTTP {} to {body}: {}", x.status, x.body),
                Err(_) => lost_sends += 1,
            }
            std::thread::sleep(Duration::from_millis(RESEND_PAUSE_MS));
        }
    }

    /// One writing request: sent (and resent) until answered; now and then sent once more with
    /// the same msgid and body, which must replay the answer byte for byte. Every request of the
    /// flows should succeed, so a refusal (`Err`) is a finding about the hub, as is a resend not
    /// replayed; findings end the run and are reported with the store's problems.
    fn send(&mut self, facility: &str, infno: &'static str, input: Value) -> Result<String, ()> {
        self.counter += 1;
        let msgid = format!("{facility}{:02}{:016}", self.thread, self.counter);
        let body = envelope(facility, infno, &msgid, input);
        let (x, lost_sends) = self.deliver(facility, &body);
        let refused = raw(&x.body, &["infcode"]) != "0";
        if refused {
            self.findings
                .push(format!("{infno} {msgid} refused after {lost_sends} unanswered sends: {}", x.body));
        } else if self.rng.one_in(DUPLICATE_ONE_IN) {
            self.duplicates += 1;
            let (again, _) = self.deliver(facility, &body);
            if !again.is_replay() || again.body != x.body {
                self.findings.push(format!(
                    "{infno} {msgid} sent again, answered (replay: {})\n  {}\nrather than as first answered\n  {}",
                    again.is_replay(), again.body, x.body
                ));
            }
        }
        self.journal.push(Entry {
            facility: facility.to_string(),
            msgid,
            infno,
            body,
            answer: x.body.clone(),
            lost_sends,
            replayed: x.is_replay(),
        });
        if refused { Err(()) } else { Ok(x.body) }
    }

    /// One visit: register, visit info, one or two charge batches each uploaded and settled,
    /// some settlements cancelled and some cancelled batches settled again.
    fn visit(&mut self, patient: &Patient<'_>, visit_no: u64) -> Result<(), ()> {
        let mdtrt_id = self.open_visit(patient, visit_no)?;
        let batches = if self.rng.one_in(SECOND_BATCH_ONE_IN) { 2 } else { 1 };
        for batch in 0..batches {
            let chrg_bchno = format!("B{batch}");
            let total = self.upload(patient, &mdtrt_id, &chrg_bchno, batch)?;
            self.settle(patient, &mdtrt_id, &chrg_bchno, total)?;
            if self.rng.one_in(CANCEL_ONE_IN) {
                self.cancel()?;
                if self.rng.one_in(RESETTLE_ONE_IN) {
                    self.settle(patient, &mdtrt_id, &chrg_bchno, total)?;
                }
            }
        }
        Ok(())
    }

    /// 2201 and 2203: an ordinary outpatient visit (`11`, hypertension); returns its `mdtrt_id`.
    fn open_visit(&mut self, patient: &Patient<'_>, visit_no: u64) -> Result<String, ()> {
        let p = &patient.person.person;
        let code = patient.facility.code.as_str();
        let time = beijing_now().to_string();
        let answer = self.send(
            code,
            "2201",
            json!({"data": {"psn_no": p.psn_no, "insutype": p.insutype.as_str(),
            "begntime": time, "mdtrt_cert_type": "02", "mdtrt_cert_no": p.certno.as_str(),
            "ipt_otp_no": format!("CR{:02}{visit_no:06}", self.thread)}}),
        )?;
        let mdtrt_id = raw(&answer, &["output", "data", "mdtrt_id"]).to_string();
        self.send(
            code,
            "2203",
            json!({"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": p.psn_no, "med_type": "11",
            "begntime": time, "dise_codg": "I10"}}),
        )?;
        Ok(mdtrt_id)
    }

    fn upload(
        &mut self,
        patient: &Patient<'_>,
        mdtrt_id: &str,
        chrg_bchno: &str,
        batch: u32,
    ) -> Result<Fen, ()> {
        let psn_no = &patient.person.person.psn_no;
        let now = beijing_now().to_string();
        let count = 1 + self.rng.below(3) as usize;
        let mut total = Fen::ZERO;
        let mut lines = Vec::new();
        for n in 0..count {
            let (code, pric) = patient.items[self.rng.below(patient.items.len() as u64) as usize];
            let cnt = Qty::from_units(1 + self.rng.below(3) as i64);
            let amount = line_fen(cnt, pric);
            total += amount;
            lines.push(json!({"feedetl_sn": format!("{batch}{n}"), "mdtrt_id": mdtrt_id, "psn_no": psn_no,
                "chrg_bchno": chrg_bchno, "fee_ocur_time": now, "med_list_codg": code, "medins_list_codg": code,
                "det_item_fee_sumamt": amount.yuan(), "cnt": cnt.to_string(), "pric": pric.to_string()}));
        }
        self.send(patient.facility.code.as_str(), "2204", json!({"feedetail": lines}))?;
        Ok(total)
    }

    fn settle(
        &mut self,
        patient: &Patient<'_>,
        mdtrt_id: &str,
        chrg_bchno: &str,
        total: Fen,
    ) -> Result<(), ()> {
        let p = &patient.person.person;
        let code = patient.facility.code.as_str();
        let answer = self.send(code, "2207", json!({"data": {"psn_no": p.psn_no, "mdtrt_cert_type": "02",
            "mdtrt_cert_no": p.certno.as_str(), "med_type": "11", "medfee_sumamt": total.yuan(), "psn_setlway": "01",
            "mdtrt_id": mdtrt_id, "chrg_bchno": chrg_bchno, "acct_used_flag": "1", "insutype": p.insutype.as_str()}}))?;
        self.acked.push(Acked {
            facility: code.to_string(),
            setl_id: raw(&answer, &["output", "setlinfo", "setl_id"]).to_string(),
            msgid: self.journal.last().unwrap().msgid.clone(),
            psn_no: p.psn_no.clone(),
            mdtrt_id: mdtrt_id.to_string(),
            chrg_bchno: chrg_bchno.to_string(),
            amounts: amounts_of(&answer),
            answer,
            cancelled_by: None,
        });
        Ok(())
    }

    /// Cancels the last settlement (2208).
    fn cancel(&mut self) -> Result<(), ()> {
        let last = self.acked.last().unwrap();
        let (code, input) = (
            last.facility.clone(),
            json!({"data": {"setl_id": last.setl_id, "mdtrt_id": last.mdtrt_id, "psn_no": last.psn_no}}),
        );
        self.send(&code, "2208", input)?;
        let msgid = self.journal.last().unwrap().msgid.clone();
        self.acked.last_mut().unwrap().cancelled_by = Some(msgid);
        Ok(())
    }
}

/// What a client thread hands back.
struct ClientLog {
    journal: Vec<Entry>,
    acked: Vec<Acked>,
    duplicates: u64,
    visits: u64,
    findings: Vec<String>,
}

fn run_client(thread: usize, shared: &Shared, seed: u64, mine: &[Patient<'_>]) -> ClientLog {
    let _flag = FailFlag(&shared.failed);
    let mut client = Client::new(thread, shared, seed);
    let mut visits = 0;
    while !shared.stop.load(Ordering::SeqCst) {
        assert!(!shared.failed.load(Ordering::SeqCst), "another thread failed");
        let refused = client.visit(&mine[visits as usize % mine.len()], visits).is_err();
        visits += 1;
        if refused || !client.findings.is_empty() {
            // Stop everyone: the store is checked as it is now, to explain the finding.
            shared.stop.store(true, Ordering::SeqCst);
        }
    }
    ClientLog {
        journal: client.journal,
        acked: client.acked,
        duplicates: client.duplicates,
        visits,
        findings: client.findings,
    }
}

/// Waits until the clients got `more` answers beyond `from`, or a client stopped everyone.
fn wait_for_answers(shared: &Shared, from: u64, more: u64) {
    let deadline = Instant::now() + Duration::from_secs(DELIVER_WAIT_SECS_MAX);
    while shared.answers.load(Ordering::SeqCst) < from + more && !shared.stop.load(Ordering::SeqCst) {
        assert!(!shared.failed.load(Ordering::SeqCst), "a client thread failed");
        assert!(Instant::now() < deadline, "the clients got no answers for {DELIVER_WAIT_SECS_MAX} s");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Kills the server `KILLS` times at random moments under load, restarting it each time on the
/// same file; lets the last server serve a little, tells the clients to finish their visits and
/// returns it (still running) with the kills made and the time spent down. A client's finding
/// ends the kills early.
fn run_controller(shared: &Shared, rng: &mut Rng, db: &Path, log: &Path) -> (Server, usize, Duration) {
    let _flag = FailFlag(&shared.failed);
    let mut server = Server::demo(db, &[], log);
    *shared.addr.lock().unwrap() = Some(server.addr);
    let mut down = Duration::ZERO;
    let mut kills = 0;
    while kills < KILLS && !shared.stop.load(Ordering::SeqCst) {
        wait_for_answers(
            shared,
            shared.answers.load(Ordering::SeqCst),
            1 + rng.below(ANSWERS_BEFORE_KILL_MAX),
        );
        std::thread::sleep(Duration::from_millis(rng.below(KILL_JITTER_MS_MAX + 1)));
        let killed_at = Instant::now();
        *shared.addr.lock().unwrap() = None;
        server.kill();
        server = Server::demo(db, &[], log);
        *shared.addr.lock().unwrap() = Some(server.addr);
        down += killed_at.elapsed();
        kills += 1;
    }
    wait_for_answers(shared, shared.answers.load(Ordering::SeqCst), ANSWERS_AFTER_LAST_RESTART);
    shared.stop.store(true, Ordering::SeqCst);
    (server, kills, down)
}

/// Goal: nothing acknowledged is ever lost, nothing unacknowledged is half-present, a resent
/// msgid never pays twice, and every person's accumulators and account equal what their live
/// settlements changed — across `KILLS` SIGKILLs of `yidi serve` under load from `THREADS`
/// hospital clients that resend every unanswered request with the same msgid and body.
#[test]
fn sigkill_under_load_loses_no_acknowledged_settlement() {
    let started = Instant::now();
    let seed = seed("sigkill_under_load");
    let mut rng = Rng(seed);
    let dir = temp_dir("load");
    let (db, log) = (dir.join("yidi.db"), dir.join("serve.log"));
    let pack = yidi_refdata::load_pack(&repo().join("test_data/demo")).expect("the demo pack loads");
    let all = patients(&pack, beijing_now());
    assert!(all.len() >= THREADS * PERSONS_PER_THREAD, "only {} demo long-term filers", all.len());
    let mine: Vec<&[Patient<'_>]> = all.chunks(PERSONS_PER_THREAD).take(THREADS).collect();
    let shared = Shared {
        addr: Mutex::new(None),
        answers: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        failed: AtomicBool::new(false),
    };
    let (logs, kills, down) = std::thread::scope(|s| {
        let handles: Vec<_> = mine
            .iter()
            .enumerate()
            .map(|(thread, mine)| {
                let shared = &shared;
                s.spawn(move || run_client(thread, shared, seed, mine))
            })
            .collect();
        let (server, kills, down) = run_controller(&shared, &mut rng, &db, &log);
        let logs: Vec<ClientLog> =
            handles.into_iter().map(|h| h.join().expect("a client thread failed")).collect();
        server.stop();
        (logs, kills, down)
    });

    let snapshot = SqliteStore::open(&db).expect("open the database").load().expect("load the database");
    let journal: Vec<&Entry> = logs.iter().flat_map(|l| &l.journal).collect();
    let acked: Vec<&Acked> = logs.iter().flat_map(|l| &l.acked).collect();
    let persons: Vec<&str> =
        mine.iter().flat_map(|m| m.iter()).map(|p| p.person.person.psn_no.as_str()).collect();
    let mut problems: Vec<String> = logs.iter().flat_map(|l| l.findings.iter().cloned()).collect();
    problems.extend(check_store(&pack, &snapshot, &journal, &acked, &persons));

    let resent = journal.iter().filter(|e| e.lost_sends > 0).count();
    let recovered = journal.iter().filter(|e| e.lost_sends > 0 && e.replayed).count();
    let recovered_2207 =
        journal.iter().filter(|e| e.lost_sends > 0 && e.replayed && e.infno == "2207").count();
    let cancelled = acked.iter().filter(|a| a.cancelled_by.is_some()).count();
    eprintln!(
        "sigkill_under_load: seed {seed}, {kills} kills ({:.1} s down), {} visits, {} requests ({} unanswered sends), \
         {resent} resent after a lost answer of which {recovered} were already committed ({recovered_2207} 2207), \
         {} duplicates replayed, {} settlements acknowledged ({cancelled} cancelled), {:.1} s",
        down.as_secs_f64(),
        logs.iter().map(|l| l.visits).sum::<u64>(),
        journal.len(),
        journal.iter().map(|e| u64::from(e.lost_sends)).sum::<u64>(),
        logs.iter().map(|l| l.duplicates).sum::<u64>(),
        acked.len(),
        started.elapsed().as_secs_f64(),
    );
    if !problems.is_empty() {
        write_journal(&dir.join("journal.txt"), &logs);
        panic!(
            "seed {seed}: {} problems (database, server log and client journal kept in {}):\n{}",
            problems.len(),
            dir.display(),
            problems.join("\n")
        );
    }
    assert_eq!(kills, KILLS);
    assert!(resent > 0, "seed {seed}: no kill ever caught a request in flight");
    let _ = fs::remove_dir_all(&dir);
}

/// Every thread's requests in order, for minimising a failure by hand.
fn write_journal(path: &Path, logs: &[ClientLog]) {
    let mut text = String::new();
    for (thread, log) in logs.iter().enumerate() {
        for e in &log.journal {
            text += &format!(
                "thread {thread} {} {} unanswered_sends={} replayed={}\n  > {}\n  < {}\n",
                e.infno, e.msgid, e.lost_sends, e.replayed, e.body, e.answer
            );
        }
    }
    fs::write(path, text).unwrap();
}

/// Whether the hub accepted the request; a refusal changes nothing and is not stored.
fn accepted(e: &Entry) -> bool {
    raw(&e.answer, &["infcode"]) == "0"
}

/// Everything the database must say after the crashes, given what the clients were answered;
/// every problem is listed.
fn check_store(
    pack: &Pack,
    snapshot: &Snapshot,
    journal: &[&Entry],
    acked: &[&Acked],
    persons: &[&str],
) -> Vec<String> {
    let mut problems = Vec::new();
    check_answers(snapshot, journal, &mut problems);
    check_settlements(snapshot, acked, &mut problems);
    check_lines_and_visits(snapshot, journal, &mut problems);
    check_persons(pack, snapshot, acked, persons, &mut problems);
    problems
}

/// Every answer a client received is stored byte for byte, and nothing else is.
fn check_answers(snapshot: &Snapshot, journal: &[&Entry], problems: &mut Vec<String>) {
    let stored: HashMap<(&str, &str), &yidi_store::AnswerRecord> =
        snapshot.answers.iter().map(|a| ((a.fixmedins_code.as_str(), a.msgid.as_str()), a)).collect();
    for e in journal.iter().filter(|e| accepted(e)) {
        match stored.get(&(e.facility.as_str(), e.msgid.as_str())) {
            None => problems.push(format!(
                "lost ack: {} {} was answered (after {} unanswered sends) but no answer is stored",
                e.infno, e.msgid, e.lost_sends
            )),
            Some(a) if a.body != e.answer || a.infno != e.infno => problems.push(format!(
                "{} {}: stored answer differs from the one received\nreceived {}\nstored   {}",
                e.infno, e.msgid, e.answer, a.body
            )),
            Some(_) => {}
        }
    }
    let sent: BTreeSet<(&str, &str)> =
        journal.iter().filter(|e| accepted(e)).map(|e| (e.facility.as_str(), e.msgid.as_str())).collect();
    for a in &snapshot.answers {
        if !sent.contains(&(a.fixmedins_code.as_str(), a.msgid.as_str())) {
            problems.push(format!("stored answer for {} {} that no client sent", a.infno, a.msgid));
        }
    }
}

/// Settlements are exactly the acknowledged ones, with their answered figures and status; each is
/// tied to its stored answers; at most one is live per charge batch.
fn check_settlements(snapshot: &Snapshot, acked: &[&Acked], problems: &mut Vec<String>) {
    let answers: HashMap<(&str, &str), &yidi_store::AnswerRecord> =
        snapshot.answers.iter().map(|a| ((a.fixmedins_code.as_str(), a.msgid.as_str()), a)).collect();
    let by_id: HashMap<&str, &yidi_store::SettlementRecord> =
        snapshot.settlements.iter().map(|s| (s.setl_id.as_str(), s)).collect();
    for a in acked {
        let Some(s) = by_id.get(a.setl_id.as_str()) else {
            problems.push(format!(
                "lost settlement: 2207 {} answered setl_id {} but it is not stored",
                a.msgid, a.setl_id
            ));
            continue;
        };
        let same = s.msgid == a.msgid
            && s.fixmedins_code == a.facility
            && s.psn_no == a.psn_no
            && s.mdtrt_id == a.mdtrt_id
            && s.chrg_bchno.as_deref() == Some(a.chrg_bchno.as_str());
        if !same {
            problems.push(format!(
                "settlement {} is not the one 2207 {} was answered: {s:?}",
                a.setl_id, a.msgid
            ));
        }
        let stored = [s.medfee_sumamt, s.fund_pay_sumamt, s.acct_pay, s.psn_cash_pay];
        if stored != a.amounts || s.delta.acct_pay != a.amounts[2] || !a.answer.contains(&s.output_json) {
            problems.push(format!(
                "settlement {}: stored amounts {stored:?} (delta acct {}) differ from the answer {:?}",
                a.setl_id, s.delta.acct_pay, a.amounts
            ));
        }
        let expected =
            if a.cancelled_by.is_some() { SettlementStatus::Reversed } else { SettlementStatus::Settled };
        if s.status != expected || s.reversal_msgid != a.cancelled_by {
            problems.push(format!(
                "settlement {}: status {:?} by {:?}, the client was answered {expected:?} by {:?}",
                a.setl_id, s.status, s.reversal_msgid, a.cancelled_by
            ));
        }
    }
    let acked_ids: BTreeSet<&str> = acked.iter().map(|a| a.setl_id.as_str()).collect();
    let mut by_msgid: HashMap<(&str, &str), u32> = HashMap::new();
    let mut live_by_batch: HashMap<(&str, Option<&str>), Vec<&str>> = HashMap::new();
    for s in &snapshot.settlements {
        if !acked_ids.contains(s.setl_id.as_str()) {
            problems.push(format!(
                "settlement {} (2207 {}) was never acknowledged to any client",
                s.setl_id, s.msgid
            ));
        }
        *by_msgid.entry((s.fixmedins_code.as_str(), s.msgid.as_str())).or_default() += 1;
        if s.status == SettlementStatus::Settled {
            live_by_batch
                .entry((s.mdtrt_id.as_str(), s.chrg_bchno.as_deref()))
                .or_default()
                .push(s.setl_id.as_str());
        }
        let key = (s.fixmedins_code.as_str(), s.msgid.as_str());
        match answers.get(&key) {
            Some(a) if a.infno == "2207" && a.body.contains(&format!("\"setl_id\":\"{}\"", s.setl_id)) => {}
            other => problems.push(format!(
                "half-present: settlement {} has no stored 2207 answer naming it for msgid {}: {:?}",
                s.setl_id,
                s.msgid,
                other.map(|a| &a.body)
            )),
        }
        if let Some(m) = &s.reversal_msgid {
            let ok = answers.get(&(s.fixmedins_code.as_str(), m.as_str())).is_some_and(|a| {
                a.infno == "2208"
                    && s.reversal_output_json.as_ref().is_some_and(|out| a.body.contains(out.as_str()))
            });
            if !ok {
                problems.push(format!(
                    "half-present: cancellation {m} of {} has no matching stored 2208 answer",
                    s.setl_id
                ));
            }
        }
    }
    for ((facility, msgid), n) in by_msgid.into_iter().filter(|(_, n)| *n > 1) {
        problems.push(format!("double pay: {n} settlements for msgid {msgid} of {facility}"));
    }
    for ((mdtrt_id, batch), ids) in live_by_batch.into_iter().filter(|(_, ids)| ids.len() > 1) {
        problems.push(format!("double pay: visit {mdtrt_id} batch {batch:?} has live settlements {ids:?}"));
    }
    let reversing: BTreeSet<(&str, &str)> = snapshot
        .settlements
        .iter()
        .filter_map(|s| s.reversal_msgid.as_deref().map(|m| (s.fixmedins_code.as_str(), m)))
        .collect();
    let settling: BTreeSet<(&str, &str)> =
        snapshot.settlements.iter().map(|s| (s.fixmedins_code.as_str(), s.msgid.as_str())).collect();
    for a in &snapshot.answers {
        let key = (a.fixmedins_code.as_str(), a.msgid.as_str());
        let ok = match a.infno.as_str() {
            "2207" => settling.contains(&key),
            "2208" => reversing.contains(&key),
            _ => true,
        };
        if !ok {
            problems
                .push(format!("stored {} answer {} has no settlement record behind it", a.infno, a.msgid));
        }
    }
}

/// Visits and fee lines are exactly the answered ones; a line's `setl_id` names a live
/// settlement of its batch, and a live settlement's lines add up to its total.
fn check_lines_and_visits(snapshot: &Snapshot, journal: &[&Entry], problems: &mut Vec<String>) {
    let registered: BTreeSet<&str> = journal
        .iter()
        .filter(|e| e.infno == "2201" && accepted(e))
        .map(|e| raw(&e.answer, &["output", "data", "mdtrt_id"]))
        .collect();
    let stored: BTreeSet<&str> = snapshot.visits.iter().map(|v| v.mdtrt_id.as_str()).collect();
    if registered != stored {
        let extra: Vec<_> = stored.difference(&registered).collect();
        let lost: Vec<_> = registered.difference(&stored).collect();
        problems.push(format!("visits: stored but never answered {extra:?}; answered but lost {lost:?}"));
    }
    let mut uploaded = BTreeSet::new();
    for e in journal.iter().filter(|e| e.infno == "2204" && accepted(e)) {
        let body: Value = serde_json::from_str(&e.body).unwrap();
        for line in body["input"]["feedetail"].as_array().unwrap() {
            uploaded.insert((
                line["mdtrt_id"].as_str().unwrap().to_string(),
                line["feedetl_sn"].as_str().unwrap().to_string(),
            ));
        }
    }
    let lines: BTreeSet<(String, String)> =
        snapshot.fee_lines.iter().map(|l| (l.mdtrt_id.clone(), l.feedetl_sn.clone())).collect();
    if uploaded != lines {
        problems.push(format!(
            "fee lines: {} uploaded and answered, {} stored ({} missing)",
            uploaded.len(),
            lines.len(),
            uploaded.difference(&lines).count()
        ));
    }
    let by_id: HashMap<&str, &yidi_store::SettlementRecord> =
        snapshot.settlements.iter().map(|s| (s.setl_id.as_str(), s)).collect();
    let mut linked: HashMap<&str, Fen> = HashMap::new();
    for l in &snapshot.fee_lines {
        let Some(id) = l.setl_id.as_deref() else { continue };
        *linked.entry(id).or_insert(Fen::ZERO) += l.amount;
        let ok = by_id.get(id).is_some_and(|s| {
            s.status == SettlementStatus::Settled && s.mdtrt_id == l.mdtrt_id && s.chrg_bchno == l.chrg_bchno
        });
        if !ok || !l.live {
            problems.push(format!(
                "fee line {} {} names {id}, which is not its batch's live settlement",
                l.mdtrt_id, l.feedetl_sn
            ));
        }
    }
    for s in snapshot.settlements.iter().filter(|s| s.status == SettlementStatus::Settled) {
        let sum = linked.get(s.setl_id.as_str()).copied().unwrap_or(Fen::ZERO);
        if sum != s.medfee_sumamt {
            problems.push(format!(
                "settlement {}: its lines add up to {sum}, its total is {}",
                s.setl_id, s.medfee_sumamt
            ));
        }
    }
}

/// Each person's stored state is the opening state with the live settlements' deltas applied in
/// the order they were answered; nobody else's state moved.
fn check_persons(
    pack: &Pack,
    snapshot: &Snapshot,
    acked: &[&Acked],
    persons: &[&str],
    problems: &mut Vec<String>,
) {
    let by_id: HashMap<&str, &yidi_store::SettlementRecord> =
        snapshot.settlements.iter().map(|s| (s.setl_id.as_str(), s)).collect();
    let mut expected: BTreeMap<&str, PersonState> = persons.iter().map(|p| (*p, pack.state_of(p))).collect();
    for a in acked.iter().filter(|a| a.cancelled_by.is_none()) {
        if let (Some(state), Some(s)) = (expected.get_mut(a.psn_no.as_str()), by_id.get(a.setl_id.as_str())) {
            state.apply(&s.delta);
        }
    }
    for (psn_no, want) in &expected {
        let got = snapshot.person_states.get(*psn_no).cloned().unwrap_or_else(|| pack.state_of(psn_no));
        if &got != want {
            problems.push(format!(
                "person {psn_no}: stored state\n  {got:?}\nis not opening + live deltas\n  {want:?}"
            ));
        }
    }
    for (psn_no, got) in &snapshot.person_states {
        if !expected.contains_key(psn_no.as_str()) && *got != pack.state_of(psn_no) {
            problems.push(format!("person {psn_no} was never settled for, yet their state changed: {got:?}"));
        }
    }
}

/// Goal: one 2207 sent by 50 threads at once (same msgid and body, as racing HIS retries)
/// settles once; all 50 answers are the same bytes and all but the first are marked replays.
#[test]
fn same_settlement_sent_50_times_at_once_pays_once() {
    let dir = temp_dir("same");
    let db = dir.join("yidi.db");
    let server = Server::demo(&db, &[], &dir.join("serve.log"));
    let pack = yidi_refdata::load_pack(&repo().join("test_data/demo")).expect("the demo pack loads");
    let all = patients(&pack, beijing_now());
    let patient = all.first().expect("a demo long-term filer");
    let p = &patient.person.person;
    let code = patient.facility.code.as_str();
    let shared = Shared {
        addr: Mutex::new(Some(server.addr)),
        answers: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        failed: AtomicBool::new(false),
    };
    let mut client = Client::new(0, &shared, 0);
    let opened = client.open_visit(patient, 0);
    let mdtrt_id = opened.unwrap_or_else(|()| panic!("{:?}", client.findings));
    let uploaded = client.upload(patient, &mdtrt_id, "B0", 0);
    let total = uploaded.unwrap_or_else(|()| panic!("{:?}", client.findings));
    assert!(client.findings.is_empty(), "{:?}", client.findings);
    let msgid = format!("{code}99{:016}", 1);
    let body = envelope(
        code,
        "2207",
        &msgid,
        json!({"data": {"psn_no": p.psn_no, "mdtrt_cert_type": "02",
        "mdtrt_cert_no": p.certno.as_str(), "med_type": "11", "medfee_sumamt": total.yuan(), "psn_setlway": "01",
        "mdtrt_id": mdtrt_id, "chrg_bchno": "B0", "acct_used_flag": "1", "insutype": p.insutype.as_str()}}),
    );

    let start = Barrier::new(SAME_REQUEST_THREADS);
    let answers: Vec<Response> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..SAME_REQUEST_THREADS)
            .map(|n| {
                let (start, body, addr) = (&start, &body, server.addr);
                s.spawn(move || {
                    start.wait();
                    post(addr, code, &format!("same{n}"), body).expect("the hub answers")
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    server.stop();

    let first = &answers[0].body;
    assert_eq!(raw(first, &["infcode"]), "0", "{first}");
    for x in &answers {
        assert_eq!(x.status, 200, "{}", x.body);
        assert_eq!(&x.body, first, "every sender gets the same bytes");
    }
    let replays = answers.iter().filter(|x| x.is_replay()).count();
    assert_eq!(replays, SAME_REQUEST_THREADS - 1, "all but the one that settled are replays");
    let snapshot = SqliteStore::open(&db).expect("open the database").load().expect("load the database");
    assert_eq!(snapshot.settlements.len(), 1, "one settlement: {:?}", snapshot.settlements);
    let s = &snapshot.settlements[0];
    assert_eq!(s.msgid, msgid);
    assert_eq!(s.setl_id, raw(first, &["output", "setlinfo", "setl_id"]));
    assert_eq!([s.medfee_sumamt, s.fund_pay_sumamt, s.acct_pay, s.psn_cash_pay], amounts_of(first));
    let stored = snapshot.answers.iter().find(|a| a.msgid == msgid).expect("the answer is stored");
    assert_eq!(&stored.body, first);
    let mut want = pack.state_of(&p.psn_no);
    want.apply(&s.delta);
    assert_eq!(snapshot.person_states.get(&p.psn_no), Some(&want), "the person paid once");
    let _ = fs::remove_dir_all(&dir);
}
