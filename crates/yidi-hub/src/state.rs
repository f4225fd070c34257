//! The hub's working state in memory, and the records each change adds to the pending commit.
//!
//! Every mutation goes through a method here that changes memory **and** queues the changed
//! record, so memory and the next commit can never disagree. Handlers check everything first and
//! mutate only once they know the transaction succeeds: a refusal changes nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use yidi_domain::{DateTime, Pack, PersonState};
use yidi_ledger::{Ledger, LedgerError, Posting, PostingKind, Sense};
use yidi_store::{
    AnswerRecord, BlockedMsgid, CommitBatch, FeeLineRecord, FilingRecord, SettlementRecord, SettlementStatus,
    SignRecord, Snapshot, VisitRecord, VisitState,
};

use crate::ids::Sequences;

type Key = (String, String);

pub struct State {
    pub pack: Arc<Pack>,
    pub node: u8,
    /// Identity number → `psn_no`, built once from the pack.
    certno_index: HashMap<String, String>,
    pub visits: HashMap<String, VisitRecord>,
    /// Lines per visit, by `feedetl_sn`.
    pub lines: HashMap<String, BTreeMap<String, FeeLineRecord>>,
    pub settlements: HashMap<String, SettlementRecord>,
    /// Indexes kept beside the maps so lookups never scan the whole state.
    visits_by_person: HashMap<String, Vec<String>>,
    setl_by_visit: HashMap<String, Vec<String>>,
    /// (facility, settling or reversing msgid) → setl_id, for 2601.
    pub setl_by_msgid: HashMap<Key, String>,
    /// Facility → (time, setl_id) of every settlement and every cancellation, so that a
    /// reconciliation (3201/3202) reads only its period, never the whole hub.
    setl_events: HashMap<String, BTreeSet<(DateTime, String)>>,
    /// Person states that differ from the pack's opening state.
    pub persons: HashMap<String, PersonState>,
    pub answers: HashMap<Key, AnswerRecord>,
    pub blocked: HashSet<Key>,
    pub signs: HashMap<String, SignRecord>,
    /// (facility, `ipt_otp_no`/`ipt_no`) → `mdtrt_id` of visits and stays still open.
    pub open_visit_nos: HashMap<Key, String>,
    pub seq: Sequences,
    /// Counter of `inf_refmsgid` (wraps at 10^8).
    pub refmsg_counter: u32,
    pending: CommitBatch,
    /// The funds ledger: every stored posting rolled up (balances, open months' statements).
    pub ledger: Ledger,
    /// `setl_id` → its settlement posting, for the reversal a cancellation posts and the posting
    /// a 2601 reinstatement repeats. Same-province settlements have none (`books` module doc).
    pub settle_postings: HashMap<String, Posting>,
    /// The next `posting_id` (one more than the largest stored).
    next_posting_id: u64,
    /// Filing records laid over the pack, and the agency API's per-region indexes.
    pub agency: crate::agency::AgencyState,
    /// Every filing change (append-only history), by `filing_id`.
    pub filing_history: crate::agency::FilingHistory,
    /// Refused settlements and pre-settlements since the start, for the agency dashboards
    /// (refusals are never stored; `agency::dashboard` module doc).
    pub refusals: crate::agency::dashboard::RefusalLog,
    /// Views rebuilt from the funds events (clearing, prepayment, …; `funds` module doc).
    pub funds: crate::funds::FundsState,
    /// The next funds `event_id` (one more than the largest stored).
    next_event_id: u64,
}

impl State {
    /// Rebuilds the working state from the durable snapshot.
    pub fn restore(pack: Arc<Pack>, s: Snapshot, node: u8) -> Result<State, String> {
        let agency = crate::agency::AgencyState::restore(&pack, s.filings)?;
        let certno_index = pack
            .persons
            .values()
            .map(|r| (r.person.certno.as_str().to_string(), r.person.psn_no.clone()))
            .collect();
        let mut state = State {
            pack,
            node,
            certno_index,
            visits: HashMap::new(),
            lines: HashMap::new(),
            settlements: HashMap::new(),
            visits_by_person: HashMap::new(),
            setl_by_visit: HashMap::new(),
            setl_by_msgid: HashMap::new(),
            setl_events: HashMap::new(),
            persons: s.person_states.into_iter().collect(),
            answers: HashMap::new(),
            blocked: HashSet::new(),
            signs: HashMap::new(),
            open_visit_nos: HashMap::new(),
            seq: Sequences::restore(&s.sequences),
            refmsg_counter: 0,
            pending: CommitBatch::default(),
            ledger: Ledger::new(),
            settle_postings: HashMap::new(),
            next_posting_id: 1,
            agency,
            filing_history: crate::agency::FilingHistory::restore(s.filing_events),
            refusals: Default::default(),
            funds: crate::funds::FundsState::default(),
            next_event_id: 1,
        };
        // Postings and funds events are replayed together, in the order they were made.
        crate::funds::restore(&mut state, &s.postings, &s.funds_events)?;
        for v in s.visits {
            state.index_visit_no(&v);
            state.visits_by_person.entry(v.psn_no.clone()).or_default().push(v.mdtrt_id.clone());
            state.visits.insert(v.mdtrt_id.clone(), v);
        }
        for l in s.fee_lines {
            if !state.visits.contains_key(&l.mdtrt_id) {
                return Err(format!("fee line {} of unknown visit {}", l.feedetl_sn, l.mdtrt_id));
            }
            state.lines.entry(l.mdtrt_id.clone()).or_default().insert(l.feedetl_sn.clone(), l);
        }
        for st in s.settlements {
            state.agency.index_settlement(&state.pack, &st);
            state.index_settlement(&st);
            state.index_events(&st);
            state.setl_by_visit.entry(st.mdtrt_id.clone()).or_default().push(st.setl_id.clone());
            state.settlements.insert(st.setl_id.clone(), st);
        }
        for a in s.answers {
            state.answers.insert((a.fixmedins_code.clone(), a.msgid.clone()), a);
        }
        for b in s.blocked {
            state.blocked.insert((b.fixmedins_code, b.msgid));
        }
        for sign in s.signs {
            state.signs.insert(sign.sign_no.clone(), sign);
        }
        let pack = state.pack.clone();
        for r in &s.refusals {
            let code = crate::agency::dashboard::intern_err_code(&r.err_code);
            state.refusals.record(&pack, &r.psn_no, &r.fixmedins_code, &r.mdtrt_id, code, r.at);
        }
        // The store loads (and keeps) only a window before the newest refusal: counts are whole
        // from its start at the earliest.
        if let Some(newest) = s.refusals.iter().map(|r| r.at).max() {
            let window = yidi_store::REFUSALS_LOADED_DAYS;
            state.refusals.mark_counted_from(newest.date().add_days(-window));
        }
        Ok(state)
    }

    /// Records a refused settlement or pre-settlement call for the agency dashboards: counted now
    /// and stored with the next commit (a statistic: the call changed nothing else).
    pub fn record_refusal(
        &mut self,
        psn_no: &str,
        fixmedins_code: &str,
        mdtrt_id: &str,
        err_code: &'static str,
        now: DateTime,
    ) {
        let pack = self.pack.clone();
        self.refusals.record(&pack, psn_no, fixmedins_code, mdtrt_id, err_code, now);
        self.pending.refusals.push(yidi_store::RefusalRecord {
            at: now,
            psn_no: psn_no.to_string(),
            fixmedins_code: fixmedins_code.to_string(),
            mdtrt_id: mdtrt_id.to_string(),
            err_code: err_code.to_string(),
        });
    }

    /// Replays one stored posting into the ledger (called in `posting_id` order by
    /// `funds::restore`); a malformed posting or one the ledger refuses stops the start.
    pub(crate) fn restore_posting(&mut self, r: &yidi_store::PostingRecord) -> Result<(), String> {
        let posting = crate::books::posting_of_record(r)?;
        self.ledger.post(&posting).map_err(|e| format!("记账 #{}（{}）：{e}", r.posting_id, r.reference))?;
        self.index_posting(posting);
        self.next_posting_id = self.next_posting_id.max(r.posting_id + 1);
        Ok(())
    }

    /// After the replay: books that do not balance stop the start.
    pub(crate) fn check_restored_books(&self) -> Result<(), String> {
        let trial = self.ledger.trial_balance();
        if trial != yidi_domain::Fen::ZERO {
            return Err(format!("账不平 / books do not balance: trial balance {trial}"));
        }
        Ok(())
    }

    fn index_posting(&mut self, posting: Posting) {
        if matches!(posting.kind(), PostingKind::Settlement { .. }) && posting.sense() == Sense::Normal {
            self.settle_postings.insert(posting.reference().to_string(), posting);
        }
    }

    /// The `posting_id` the next posting will get (funds events record it to replay in order).
    pub(crate) fn next_posting_id(&self) -> u64 {
        self.next_posting_id
    }

    /// Queues a funds event for the next commit (with any postings put in the same operation)
    /// and returns its `event_id`. The caller changes its view in `state.funds` itself, exactly as
    /// its replay function does at start (`funds` module doc).
    pub fn put_funds_event(
        &mut self,
        kind: &str,
        reference: &str,
        at: DateTime,
        by: &str,
        body_json: String,
    ) -> u64 {
        let event_id = self.next_event_id;
        self.next_event_id += 1;
        self.pending.funds_events.push(yidi_store::FundsEventRecord {
            event_id,
            kind: kind.to_string(),
            reference: reference.to_string(),
            at,
            by: by.to_string(),
            body_json,
        });
        event_id
    }

    /// Notes a stored event's id at start, so new events get larger ones.
    pub(crate) fn restore_event_id(&mut self, event_id: u64) {
        self.next_event_id = self.next_event_id.max(event_id + 1);
    }

    /// Posts to the ledger and queues the posting for the same commit as the state change it
    /// records (an append, never an update). A refusal (a closed month) changes nothing, so
    /// handlers call this before their other changes.
    pub fn put_posting(&mut self, posting: Posting) -> Result<(), LedgerError> {
        self.ledger.post(&posting)?;
        self.pending.postings.push(crate::books::posting_record(self.next_posting_id, &posting));
        self.next_posting_id += 1;
        self.index_posting(posting);
        Ok(())
    }

    fn index_visit_no(&mut self, v: &VisitRecord) {
        let key = (v.fixmedins_code.clone(), v.visit_no.clone());
        let live = match v.kind {
            yidi_store::VisitKind::Outpatient => v.state == VisitState::Open,
            yidi_store::VisitKind::Inpatient => matches!(v.state, VisitState::Open | VisitState::Discharged),
        };
        if live {
            self.open_visit_nos.insert(key, v.mdtrt_id.clone());
        } else if self.open_visit_nos.get(&key) == Some(&v.mdtrt_id) {
            self.open_visit_nos.remove(&key);
        }
    }

    fn index_settlement(&mut self, st: &SettlementRecord) {
        self.setl_by_msgid.insert((st.fixmedins_code.clone(), st.msgid.clone()), st.setl_id.clone());
        if let Some(m) = &st.reversal_msgid {
            self.setl_by_msgid.insert((st.fixmedins_code.clone(), m.clone()), st.setl_id.clone());
        }
    }

    /// Moves a settlement's events in the reconciliation index; call before storing `st`.
    fn index_events(&mut self, st: &SettlementRecord) {
        let times =
            |r: &SettlementRecord| std::iter::once(r.setl_time).chain(r.reversal_time).collect::<Vec<_>>();
        let old = self.settlements.get(&st.setl_id).map(times).unwrap_or_default();
        let events = self.setl_events.entry(st.fixmedins_code.clone()).or_default();
        for t in old {
            events.remove(&(t, st.setl_id.clone()));
        }
        for t in times(st) {
            events.insert((t, st.setl_id.clone()));
        }
    }

    /// A facility's settlements settled or cancelled in `[from, until)`, by `setl_id`.
    pub fn settlements_between(
        &self,
        facility: &str,
        from: DateTime,
        until: DateTime,
    ) -> Vec<&SettlementRecord> {
        let Some(events) = self.setl_events.get(facility) else { return Vec::new() };
        let ids: BTreeSet<&str> =
            events.range((from, String::new())..(until, String::new())).map(|(_, id)| id.as_str()).collect();
        ids.into_iter().filter_map(|id| self.settlements.get(id)).collect()
    }

    /// The records changed since the last call, for one commit.
    pub fn take_pending(&mut self) -> CommitBatch {
        let mut batch = std::mem::take(&mut self.pending);
        batch.sequences = self.seq.drain_dirty();
        batch
    }

    /// The person's current state: the last committed one, else the pack's opening state.
    pub fn person_state(&self, psn_no: &str) -> PersonState {
        self.persons.get(psn_no).cloned().unwrap_or_else(|| self.pack.state_of(psn_no))
    }

    pub fn put_person_state(&mut self, psn_no: &str, state: PersonState) {
        self.pending.person_states.push((psn_no.to_string(), state.clone()));
        self.persons.insert(psn_no.to_string(), state);
    }

    pub fn put_visit(&mut self, visit: VisitRecord) {
        match self.visits.get(&visit.mdtrt_id) {
            None => {
                self.visits_by_person.entry(visit.psn_no.clone()).or_default().push(visit.mdtrt_id.clone())
            }
            // A stay renumbered by 2403 frees its old `ipt_no`.
            Some(old) if old.visit_no != visit.visit_no => {
                let key = (old.fixmedins_code.clone(), old.visit_no.clone());
                if self.open_visit_nos.get(&key) == Some(&visit.mdtrt_id) {
                    self.open_visit_nos.remove(&key);
                }
            }
            Some(_) => {}
        }
        self.index_visit_no(&visit);
        self.pending.visits.push(visit.clone());
        self.visits.insert(visit.mdtrt_id.clone(), visit);
    }

    pub fn put_line(&mut self, line: FeeLineRecord) {
        self.pending.fee_lines.push(line.clone());
        self.lines.entry(line.mdtrt_id.clone()).or_default().insert(line.feedetl_sn.clone(), line);
    }

    pub fn put_settlement(&mut self, st: SettlementRecord) {
        self.agency.index_settlement(&self.pack, &st);
        self.index_settlement(&st);
        self.index_events(&st);
        if !self.settlements.contains_key(&st.setl_id) {
            self.setl_by_visit.entry(st.mdtrt_id.clone()).or_default().push(st.setl_id.clone());
        }
        self.pending.settlements.push(st.clone());
        self.settlements.insert(st.setl_id.clone(), st);
    }

    /// One filing history event (append-only), queued for the same commit as its filing record.
    pub fn put_filing_event(&mut self, event: yidi_store::FilingEventRecord) {
        self.filing_history.record(event.clone());
        self.pending.filing_events.push(event);
    }

    /// A filing made or changed by an agency: the next settlement of its person sees it.
    pub fn put_filing(&mut self, filing: FilingRecord) {
        self.agency
            .put_filing(&self.pack, filing.clone())
            .expect("agency filings are checked before they are put");
        self.pending.filings.push(filing);
    }

    /// The person's record as settlement reads it: the pack's, with agency filings applied.
    /// The person holding an identity number (1101 keys persons by it).
    pub fn psn_no_by_certno(&self, certno: &yidi_domain::CertNo) -> Option<String> {
        self.certno_index.get(certno.as_str()).cloned()
    }

    pub fn person_record(&self, psn_no: &str) -> crate::agency::PersonRecordRef {
        self.agency.person_ref(&self.pack, psn_no)
    }

    pub fn put_answer(&mut self, answer: AnswerRecord) {
        self.pending.answers.push(answer.clone());
        self.answers.insert((answer.fixmedins_code.clone(), answer.msgid.clone()), answer);
    }

    pub fn put_blocked(&mut self, b: BlockedMsgid) {
        self.blocked.insert((b.fixmedins_code.clone(), b.msgid.clone()));
        self.pending.blocked.push(b);
    }

    pub fn put_sign(&mut self, sign: SignRecord) {
        self.pending.signs.push(sign.clone());
        self.signs.insert(sign.sign_no.clone(), sign);
    }

    /// Live lines of a visit, in `feedetl_sn` order.
    pub fn live_lines<'a>(&'a self, mdtrt_id: &str) -> impl Iterator<Item = &'a FeeLineRecord> + 'a {
        self.lines.get(mdtrt_id).into_iter().flat_map(|m| m.values()).filter(|l| l.live)
    }

    /// Every visit and stay of a person, on any facility.
    pub fn visits_of<'a>(&'a self, psn_no: &str) -> impl Iterator<Item = &'a VisitRecord> + 'a {
        let ids = self.visits_by_person.get(psn_no).map(Vec::as_slice).unwrap_or(&[]);
        ids.iter().filter_map(|id| self.visits.get(id))
    }

    /// Whether the person has a stay that is not settled or cancelled, anywhere on the hub.
    pub fn open_stay_of(&self, psn_no: &str) -> Option<&VisitRecord> {
        let ids = self.visits_by_person.get(psn_no).map(Vec::as_slice).unwrap_or(&[]);
        ids.iter().filter_map(|id| self.visits.get(id)).find(|v| {
            v.kind == yidi_store::VisitKind::Inpatient
                && matches!(v.state, VisitState::Open | VisitState::Discharged)
        })
    }

    /// Every settlement of a visit, live or cancelled.
    pub fn settlements_of_visit<'a>(
        &'a self,
        mdtrt_id: &str,
    ) -> impl Iterator<Item = &'a SettlementRecord> + 'a {
        let ids = self.setl_by_visit.get(mdtrt_id).map(Vec::as_slice).unwrap_or(&[]);
        ids.iter().filter_map(|id| self.settlements.get(id))
    }

    /// Live settlements of a visit.
    pub fn live_settlements<'a>(&'a self, mdtrt_id: &str) -> impl Iterator<Item = &'a SettlementRecord> + 'a {
        let ids = self.setl_by_visit.get(mdtrt_id).map(Vec::as_slice).unwrap_or(&[]);
        ids.iter().filter_map(|id| self.settlements.get(id)).filter(|s| s.status == SettlementStatus::Settled)
    }
}
