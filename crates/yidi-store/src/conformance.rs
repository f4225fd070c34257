//! The storage conformance suite: the checks every [`Store`] backend must pass, so SQLite and
//! PostgreSQL keep one meaning (style habit 16).
//!
//! A backend's test file calls each check (or [`run_all`]) with an `open` function: `open(name)`
//! opens the database called `name`, creating it empty on first use, and opens the same database
//! again when called later with the same name. Each check uses names of its own, so a backend can
//! map a name to a temporary file or a scratch schema, and a fresh database per test is the
//! backend's test file's business (`yidi-store-sqlite/tests/conformance.rs`).
//!
//! The expected state is computed by [`expected`], an independent in-memory model of the trait's
//! contract (last write per key wins, sequences keep their maximum, vectors ordered by key), not by
//! reading the backend. The sample builders are public so benches and crash tests write the same
//! shapes of record the suite checks.

use std::collections::BTreeMap;

use crate::{
    AgencyTokenRecord, AnswerRecord, BlockedMsgid, CommitBatch, CredentialRecord, FeeLineRecord,
    FilingRecord, FundsEventRecord, PostingRecord, SettlementRecord, SettlementStatus, SignRecord, Snapshot,
    Store, StoreError, VisitKind, VisitRecord, VisitState,
};
use yidi_domain::{Date, DateTime, Fen, PersonState, Price, Qty, StateDelta, YearAcc, line_fen};

/// Opens the named database of the backend under test (see the module doc).
pub type Open<'a> = &'a dyn Fn(&str) -> Box<dyn Store>;

/// One check of the suite.
pub type Check = fn(Open);

/// Every check, by name; a backend's test file runs each as its own test.
pub const CHECKS: &[(&str, Check)] = &[
    ("fresh_store_is_empty", fresh_store_is_empty),
    ("empty_batch_is_a_no_op", empty_batch_is_a_no_op),
    ("round_trip_every_record", round_trip_every_record),
    ("later_records_replace_earlier", later_records_replace_earlier),
    ("identical_answer_may_be_committed_again", identical_answer_may_be_committed_again),
    ("sequences_never_move_backwards", sequences_never_move_backwards),
    ("failed_batch_leaves_nothing", failed_batch_leaves_nothing),
    ("reopen_sees_everything", reopen_sees_everything),
    ("save_pack_is_idempotent_and_latest_wins", save_pack_is_idempotent_and_latest_wins),
    ("credentials_round_trip", credentials_round_trip),
    ("agency_tokens_round_trip", agency_tokens_round_trip),
    ("filings_round_trip", filings_round_trip),
    ("postings_are_append_only", postings_are_append_only),
    ("funds_events_are_append_only", funds_events_are_append_only),
    ("filing_history_is_append_only", filing_history_is_append_only),
    ("person_accounts_round_trip", person_accounts_round_trip),
    ("person_activation_leaves_the_password", person_activation_leaves_the_password),
    ("refusals_are_kept_and_loaded_for_the_last_days", refusals_are_kept_and_loaded_for_the_last_days),
];

/// Runs every check in turn (each on databases named after it).
pub fn run_all(open: Open) {
    for (_, check) in CHECKS {
        check(open);
    }
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

/// A new database holds nothing: no records, no pack, no credentials.
pub fn fresh_store_is_empty(open: Open) {
    let store = open("fresh_store_is_empty");
    assert_snapshot(&load(&*store), &Snapshot::default(), "fresh store");
    assert_eq!(store.latest_pack().expect("latest_pack"), None);
    assert_eq!(store.credentials().expect("credentials"), Vec::new());
    assert_eq!(store.agency_tokens().expect("agency_tokens"), Vec::new());
}

/// Committing an empty batch succeeds and changes nothing.
pub fn empty_batch_is_a_no_op(open: Open) {
    let store = open("empty_batch_is_a_no_op");
    store.commit(&CommitBatch::default()).expect("empty batch on an empty store");
    assert_snapshot(&load(&*store), &Snapshot::default(), "after an empty batch");
    let batch = rich_batch();
    store.commit(&batch).expect("rich batch");
    store.commit(&CommitBatch::default()).expect("empty batch on a full store");
    assert_snapshot(&load(&*store), &expected(&[&batch]), "after rich + empty batch");
}

/// Every record type, every optional field both set and unset, and edge values (negative and
/// extreme amounts, non-ASCII text, every byte value) read back exactly.
pub fn round_trip_every_record(open: Open) {
    let store = open("round_trip_every_record");
    let rich = rich_batch();
    store.commit(&rich).expect("rich batch");
    assert_snapshot(&load(&*store), &expected(&[&rich]), "after the rich batch");

    // Many flows, some one per batch and some grouped, as the hub's group commit does.
    let mut batches = vec![rich];
    for n in 1..=20 {
        batches.push(outpatient_flow(n));
    }
    let mut grouped = CommitBatch::default();
    for n in 21..=60 {
        grouped.extend(outpatient_flow(n));
    }
    batches.push(grouped);
    for batch in &batches[1..] {
        store.commit(batch).expect("flow batch");
    }
    let all: Vec<&CommitBatch> = batches.iter().collect();
    let snapshot = load(&*store);
    assert_snapshot(&snapshot, &expected(&all), "after 60 flows");
    assert_snapshot(&load(&*store), &snapshot, "a second load");
}

/// A record whose key is already stored replaces it, across batches and within one batch; a
/// person state that shrank (fewer years, pools or months) loses what it no longer has.
pub fn later_records_replace_earlier(open: Open) {
    let store = open("later_records_replace_earlier");
    let first = rich_batch();
    store.commit(&first).expect("first batch");
    let second = replacing_batch(&first);
    store.commit(&second).expect("replacing batch");
    let snapshot = load(&*store);
    assert_snapshot(&snapshot, &expected(&[&first, &second]), "after replacing");
    assert_eq!(snapshot.person_states["P-RICH-1"], PersonState::default(), "shrunk person state");

    // Within one batch the later record for a key wins.
    let mut twice = CommitBatch::default();
    let mut visit = first.visits[0].clone();
    visit.state = VisitState::Discharged;
    twice.visits.push(visit.clone());
    visit.state = VisitState::Settled;
    visit.endtime = Some(at(99_000));
    twice.visits.push(visit.clone());
    twice.person_states.push(("P-TWICE".into(), person_state(1)));
    twice.person_states.push(("P-TWICE".into(), person_state(2)));
    store.commit(&twice).expect("batch with two records per key");
    let snapshot = load(&*store);
    assert_snapshot(&snapshot, &expected(&[&first, &second, &twice]), "after two records per key");
    assert_eq!(snapshot.visits.iter().find(|v| v.mdtrt_id == visit.mdtrt_id), Some(&visit));
}

/// Committing an answer that is already stored, byte for byte, is accepted and stores one copy.
pub fn identical_answer_may_be_committed_again(open: Open) {
    let store = open("identical_answer_may_be_committed_again");
    let flow = outpatient_flow(7);
    store.commit(&flow).expect("flow");
    let again = CommitBatch { answers: flow.answers.clone(), ..Default::default() };
    store.commit(&again).expect("the same answers again");
    let mut within = CommitBatch::default();
    within.answers.push(flow.answers[0].clone());
    within.answers.push(flow.answers[0].clone());
    store.commit(&within).expect("the same answer twice in one batch");
    let snapshot = load(&*store);
    assert_eq!(snapshot.answers.len(), 3, "one copy of each answer");
    assert_snapshot(&snapshot, &expected(&[&flow]), "after re-committing answers");
}

/// A sequence keeps its maximum: a smaller value, in a later batch or later in the same batch,
/// never lowers it.
pub fn sequences_never_move_backwards(open: Open) {
    let store = open("sequences_never_move_backwards");
    let seq = |pairs: &[(&str, u64)]| CommitBatch {
        sequences: pairs.iter().map(|(name, v)| (name.to_string(), *v)).collect(),
        ..Default::default()
    };
    let read = |name: &str| load(&*store).sequences.get(name).copied();
    store.commit(&seq(&[("setl_id", 10), ("mdtrt_id", 3)])).expect("first");
    assert_eq!(read("setl_id"), Some(10));
    store.commit(&seq(&[("setl_id", 5)])).expect("lower");
    assert_eq!(read("setl_id"), Some(10), "a lower value must not win");
    store.commit(&seq(&[("setl_id", 12)])).expect("higher");
    assert_eq!(read("setl_id"), Some(12));
    store.commit(&seq(&[("mdtrt_id", 9), ("mdtrt_id", 4)])).expect("two in one batch");
    assert_eq!(read("mdtrt_id"), Some(9), "the maximum within a batch wins");
    let top = i64::MAX as u64;
    store.commit(&seq(&[("big", top), ("zero", 0)])).expect("extremes");
    assert_eq!(read("big"), Some(top));
    assert_eq!(read("zero"), Some(0));
}

/// A batch that fails midway leaves nothing of itself behind, and the store keeps working.
pub fn failed_batch_leaves_nothing(open: Open) {
    let store = open("failed_batch_leaves_nothing");
    let base = outpatient_flow(1);
    store.commit(&base).expect("base batch");
    let before = load(&*store);

    // Two different answers for one (fixmedins_code, msgid) inside one batch, placed after
    // records of every other kind so a backend must undo writes it already made.
    let mut doomed = rich_batch();
    doomed.extend(outpatient_flow(2));
    doomed.sequences.push(("setl_id".into(), 1_000));
    let mut other = doomed.answers[0].clone();
    other.body.push_str(" (different)");
    doomed.answers.push(other);
    let result = store.commit(&doomed);
    assert!(matches!(result, Err(StoreError::Corrupt(_))), "conflicting answers: {result:?}");
    assert_snapshot(&load(&*store), &before, "after a batch failing inside itself");

    // An answer that differs from one stored by an earlier batch.
    let mut doomed = outpatient_flow(3);
    let mut other = base.answers[1].clone();
    other.fingerprint[0] ^= 1;
    doomed.answers.push(other);
    let result = store.commit(&doomed);
    assert!(matches!(result, Err(StoreError::Corrupt(_))), "answer differing from stored: {result:?}");
    assert_snapshot(&load(&*store), &before, "after a batch conflicting with the store");

    let next = outpatient_flow(4);
    store.commit(&next).expect("a good batch after failed ones");
    assert_snapshot(&load(&*store), &expected(&[&base, &next]), "after the good batch");
}

/// Dropping the store and opening the same database again shows everything committed.
pub fn reopen_sees_everything(open: Open) {
    let rich = rich_batch();
    let flow = outpatient_flow(5);
    let files = pack_files("a");
    let (credential, token) = (credential("paas-1", 1), agency_token("agency-1", 1));
    {
        let store = open("reopen_sees_everything");
        store.commit(&rich).expect("rich batch");
        store.commit(&flow).expect("flow");
        assert!(store.save_pack(&files, at(10)).expect("save_pack"));
        store.put_credential(&credential).expect("put_credential");
        store.put_agency_token(&token).expect("put_agency_token");
    }
    let store = open("reopen_sees_everything");
    assert_snapshot(&load(&*store), &expected(&[&rich, &flow]), "after reopening");
    assert_eq!(store.latest_pack().expect("latest_pack"), Some(files));
    assert_eq!(store.credentials().expect("credentials"), vec![credential]);
    assert_eq!(store.agency_tokens().expect("agency_tokens"), vec![token]);
}

/// Saving the latest pack's files again changes nothing; a different pack becomes the latest,
/// and going back to an older pack counts as a change.
pub fn save_pack_is_idempotent_and_latest_wins(open: Open) {
    let store = open("save_pack_is_idempotent_and_latest_wins");
    let (a, b) = (pack_files("a"), pack_files("b"));
    assert!(store.save_pack(&a, at(1)).expect("save a"), "first pack is a change");
    assert!(!store.save_pack(&a, at(2)).expect("save a again"), "same files are no change");
    assert_eq!(store.latest_pack().expect("latest"), Some(a.clone()));
    assert!(store.save_pack(&b, at(3)).expect("save b"), "different files are a change");
    assert_eq!(store.latest_pack().expect("latest"), Some(b.clone()));
    assert!(store.save_pack(&a, at(4)).expect("save a after b"), "back to a is a change");
    assert!(!store.save_pack(&a, at(5)).expect("save a once more"));
    assert_eq!(store.latest_pack().expect("latest"), Some(a.clone()));

    // One byte of one file, or a file moved to another path, is a different pack.
    let mut edited = a.clone();
    edited.insert("policies/4101.toml".into(), "deductible_fen = 80001\n".into());
    assert!(store.save_pack(&edited, at(6)).expect("edited"));
    let mut moved = BTreeMap::new();
    for (path, text) in &edited {
        moved.insert(format!("moved/{path}"), text.clone());
    }
    assert!(store.save_pack(&moved, at(7)).expect("moved"));
    assert_eq!(store.latest_pack().expect("latest"), Some(moved));
}

/// Credentials read back exactly, ordered by `paasid`; a later put replaces the earlier one,
/// the SM2 key and its requirement included (set, changed and removed).
pub fn credentials_round_trip(open: Open) {
    let store = open("credentials_round_trip");
    let (c2, c1) = (credential("paas-2", 2), credential("paas-1", 1));
    store.put_credential(&c2).expect("put c2");
    store.put_credential(&c1).expect("put c1");
    assert_eq!(store.credentials().expect("credentials"), vec![c1.clone(), c2.clone()]);
    let rotated = CredentialRecord {
        token_sealed: vec![9; 40],
        previous_sealed: Some(c1.token_sealed.clone()),
        previous_until: Some(at(86_400)),
        updated_at: at(3_600),
        sm2_public_key: Some(vec![4; 65]),
        sm2_required: true,
        ..c1
    };
    store.put_credential(&rotated).expect("rotate c1");
    let revoked = CredentialRecord { revoked: true, previous_sealed: None, previous_until: None, ..c2 };
    store.put_credential(&revoked).expect("revoke c2");
    assert_eq!(store.credentials().expect("credentials"), vec![rotated.clone(), revoked.clone()]);
    let key_dropped = CredentialRecord { sm2_public_key: None, sm2_required: false, ..rotated };
    store.put_credential(&key_dropped).expect("drop c1's key");
    assert_eq!(store.credentials().expect("credentials"), vec![key_dropped, revoked]);
}

/// Agency tokens read back exactly, ordered by name; a later put replaces the earlier one.
pub fn agency_tokens_round_trip(open: Open) {
    let store = open("agency_tokens_round_trip");
    let (t2, t1) = (agency_token("医保局-郑州", 2), agency_token("agency-1", 1));
    store.put_agency_token(&t2).expect("put t2");
    store.put_agency_token(&t1).expect("put t1");
    assert_eq!(store.agency_tokens().expect("agency_tokens"), vec![t1.clone(), t2.clone()]);
    let revoked = AgencyTokenRecord { revoked: true, ..t1 };
    store.put_agency_token(&revoked).expect("revoke t1");
    assert_eq!(store.agency_tokens().expect("agency_tokens"), vec![revoked, t2]);
}

/// Filing records read back exactly, ordered by `filing_id`; a later record for an id (a
/// cancellation) replaces the earlier one, within a batch and across batches, and a reopened
/// store still has them.
pub fn filings_round_trip(open: Open) {
    let created = filing("BA110000000000000001", "P1100000007", None);
    let other = FilingRecord { created_by: "pack".into(), ..filing("F00000001", "P1", None) };
    let first = CommitBatch { filings: vec![created.clone(), other], ..Default::default() };
    let cancelled = FilingRecord {
        cancelled_at: Some(at(3_600)),
        changed_by: "医保局-苏州 02".into(),
        changed_at: at(3_600),
        ..created.clone()
    };
    let mut twice = CommitBatch::default();
    twice.filings.push(FilingRecord { enddate: None, ..cancelled.clone() });
    twice.filings.push(cancelled.clone());
    {
        let store = open("filings_round_trip");
        store.commit(&first).expect("first filings");
        assert_snapshot(&load(&*store), &expected(&[&first]), "after the first filings");
        store.commit(&twice).expect("cancellation, twice in one batch");
    }
    let store = open("filings_round_trip");
    let snapshot = load(&*store);
    assert_snapshot(&snapshot, &expected(&[&first, &twice]), "after reopening");
    let ids: Vec<&str> = snapshot.filings.iter().map(|f| f.filing_id.as_str()).collect();
    assert_eq!(ids, ["BA110000000000000001", "F00000001"], "ordered by filing_id");
    assert_eq!(snapshot.filings[0], cancelled, "the later record wins");
}

/// Ledger postings read back exactly, in `posting_id` order, entries in their order; a posting
/// id already stored — by an earlier batch or earlier in the same batch, identical or not —
/// fails the whole batch as corrupt and leaves nothing of it (postings are never replaced).
pub fn postings_are_append_only(open: Open) {
    let store = open("postings_are_append_only");
    let first =
        CommitBatch { postings: vec![posting(7, "S-7", 0), posting(3, "S-3", 1)], ..Default::default() };
    store.commit(&first).expect("first postings");
    let before = load(&*store);
    assert_snapshot(&before, &expected(&[&first]), "after the first postings");
    let ids: Vec<u64> = before.postings.iter().map(|p| p.posting_id).collect();
    assert_eq!(ids, [3, 7], "ordered by posting_id");

    let mut again = outpatient_flow(9);
    again.postings.push(first.postings[0].clone());
    let result = store.commit(&again);
    assert!(matches!(result, Err(StoreError::Corrupt(_))), "a stored posting again: {result:?}");
    let mut twice = outpatient_flow(10);
    twice.postings.push(posting(11, "S-11", 2));
    twice.postings.push(PostingRecord { reference: "other".into(), ..posting(11, "S-11", 2) });
    let result = store.commit(&twice);
    assert!(matches!(result, Err(StoreError::Corrupt(_))), "one posting id twice in a batch: {result:?}");
    assert_snapshot(&load(&*store), &before, "after refused postings");

    let next = CommitBatch { postings: vec![posting(8, "S-8", 3)], ..Default::default() };
    store.commit(&next).expect("a new posting id");
    assert_snapshot(&load(&*store), &expected(&[&first, &next]), "after a new posting");
}

/// Filing history events read back exactly, in `event_id` order; an event id already stored
/// fails the whole batch as corrupt and leaves nothing of it (not even its filing record).
pub fn filing_history_is_append_only(open: Open) {
    let store = open("filing_history_is_append_only");
    let first = CommitBatch {
        filing_events: vec![filing_event(7, "BA1", "create"), filing_event(2, "BA2", "create")],
        ..Default::default()
    };
    store.commit(&first).expect("first events");
    let after_first = load(&*store);
    let ids: Vec<u64> = after_first.filing_events.iter().map(|e| e.event_id).collect();
    assert_eq!(ids, [2, 7], "ordered by event_id");
    let again = CommitBatch {
        filings: vec![filing("BA9", "P9", None)],
        filing_events: vec![filing_event(8, "BA9", "create"), filing_event(7, "BA1", "cancel")],
        ..Default::default()
    };
    assert!(matches!(store.commit(&again), Err(StoreError::Corrupt(_))), "a stored event id fails the batch");
    assert_snapshot(&load(&*store), &after_first, "after the refused batch");
    let next = CommitBatch { filing_events: vec![filing_event(8, "BA1", "cancel")], ..Default::default() };
    store.commit(&next).expect("a new event");
    assert_snapshot(&load(&*store), &expected(&[&first, &next]), "after a new event");
}

/// A person's account reads back exactly; a put replaces it; unknown persons have none.
pub fn person_accounts_round_trip(open: Open) {
    let store = open("person_accounts_round_trip");
    assert_eq!(store.person_account("P1").expect("read"), None);
    let pending = crate::PersonAccountRecord {
        psn_no: "P1".into(),
        password_phc: None,
        activation_sha256: Some([0xA5; 32]),
        activation_expires_at: Some(at(72 * 3_600)),
        activation_issued_by: Some("北京医保中心-张".into()),
        created_at: at(0),
        updated_at: at(0),
    };
    store.put_person_account(&pending).expect("put");
    assert_eq!(store.person_account("P1").expect("read"), Some(pending.clone()));
    let active = crate::PersonAccountRecord {
        password_phc: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        activation_sha256: None,
        activation_expires_at: None,
        activation_issued_by: None,
        updated_at: at(60),
        ..pending
    };
    store.put_person_account(&active).expect("replace");
    assert_eq!(store.person_account("P1").expect("read"), Some(active));
    assert_eq!(store.person_account("P2").expect("read"), None);
}

/// Issuing a code (`put_person_activation`) writes the activation fields only: it creates a
/// password-less account when there is none, and on an existing account replaces the pending code
/// and `updated_at` but keeps `password_phc` and `created_at` — also a password written after the
/// issuer last read the account (an activation finishing meanwhile, perhaps in another process).
pub fn person_activation_leaves_the_password(open: Open) {
    let store = open("person_activation_leaves_the_password");
    store.put_person_activation("P1", [0x11; 32], at(72 * 3_600), "cli", at(0)).expect("issue");
    let issued = crate::PersonAccountRecord {
        psn_no: "P1".into(),
        password_phc: None,
        activation_sha256: Some([0x11; 32]),
        activation_expires_at: Some(at(72 * 3_600)),
        activation_issued_by: Some("cli".into()),
        created_at: at(0),
        updated_at: at(0),
    };
    assert_eq!(store.person_account("P1").expect("read"), Some(issued.clone()), "a new account");

    // The issuer has read the account (no password yet); an activation then sets a password.
    let read_by_issuer = store.person_account("P1").expect("read");
    assert_eq!(read_by_issuer.as_ref().and_then(|a| a.password_phc.clone()), None);
    let phc = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$bmV3";
    let activated = crate::PersonAccountRecord {
        password_phc: Some(phc.into()),
        activation_sha256: None,
        activation_expires_at: None,
        activation_issued_by: None,
        updated_at: at(60),
        ..issued.clone()
    };
    store.put_person_account(&activated).expect("activate");

    // The issuer's write (a new code) keeps the password it never read.
    store
        .put_person_activation("P1", [0x22; 32], at(120 + 72 * 3_600), "北京医保中心-张", at(120))
        .expect("reissue");
    let expected = crate::PersonAccountRecord {
        password_phc: Some(phc.into()),
        activation_sha256: Some([0x22; 32]),
        activation_expires_at: Some(at(120 + 72 * 3_600)),
        activation_issued_by: Some("北京医保中心-张".into()),
        created_at: at(0),
        updated_at: at(120),
        ..issued
    };
    assert_eq!(store.person_account("P1").expect("read"), Some(expected.clone()), "password kept");
    assert_eq!(store.person_account("P2").expect("read"), None, "no other account made");
    drop(store);
    let reopened = open("person_activation_leaves_the_password");
    assert_eq!(reopened.person_account("P1").expect("read"), Some(expected), "durable");
}

/// Funds events read back exactly, in `event_id` order; an event id already stored — by an
/// earlier batch or earlier in the same batch, identical or not — fails the whole batch as
/// corrupt and leaves nothing of it (events are never replaced), including its postings.
pub fn funds_events_are_append_only(open: Open) {
    let first = CommitBatch {
        funds_events: vec![funds_event(9, "clearing.freeze", 0), funds_event(2, "prepayment.notice", 1)],
        postings: vec![posting(5, "通知 1", 1)],
        ..Default::default()
    };
    {
        let store = open("funds_events_are_append_only");
        store.commit(&first).expect("first events");
    }
    let store = open("funds_events_are_append_only");
    let before = load(&*store);
    assert_snapshot(&before, &expected(&[&first]), "after the first events, reopened");
    let ids: Vec<u64> = before.funds_events.iter().map(|e| e.event_id).collect();
    assert_eq!(ids, [2, 9], "ordered by event_id");

    let mut again = outpatient_flow(12);
    again.funds_events.push(first.funds_events[0].clone());
    let result = store.commit(&again);
    assert!(matches!(result, Err(StoreError::Corrupt(_))), "a stored event again: {result:?}");
    let twice = CommitBatch {
        funds_events: vec![
            funds_event(11, "clearing.confirm", 2),
            FundsEventRecord { by: "other".into(), ..funds_event(11, "clearing.confirm", 2) },
        ],
        postings: vec![posting(6, "S-6", 2)],
        ..Default::default()
    };
    let result = store.commit(&twice);
    assert!(matches!(result, Err(StoreError::Corrupt(_))), "one event id twice in a batch: {result:?}");
    assert_snapshot(&load(&*store), &before, "after refused events");

    let next = CommitBatch { funds_events: vec![funds_event(10, "adjust.refuse", 3)], ..Default::default() };
    store.commit(&next).expect("a new event id");
    assert_snapshot(&load(&*store), &expected(&[&first, &next]), "after a new event");
}

// ---------------------------------------------------------------------------------------------
// The model of the contract
// ---------------------------------------------------------------------------------------------

/// Refused calls are appended in order and survive a reopen; a load reads those of the last
/// [`crate::REFUSALS_LOADED_DAYS`] days before the newest, no older ones.
pub fn refusals_are_kept_and_loaded_for_the_last_days(open: Open) {
    let day = 86_400;
    let old = refusal(-(crate::REFUSALS_LOADED_DAYS + 1) * day, "filing_required");
    let first = CommitBatch { refusals: vec![old, refusal(0, "filing_required")], ..Default::default() };
    let next = CommitBatch { refusals: vec![refusal(60, "visit_state")], ..outpatient_flow(21) };
    {
        let store = open("refusals_are_kept_and_loaded_for_the_last_days");
        store.commit(&first).expect("refusals");
        store.commit(&next).expect("refusals with a flow");
    }
    let store = open("refusals_are_kept_and_loaded_for_the_last_days");
    let loaded = load(&*store).refusals;
    assert_eq!(loaded, [first.refusals[1].clone(), next.refusals[0].clone()], "the last days, in order");
}

/// A refused 2207 `offset_s` seconds after [`at`]`(0)`.
pub fn refusal(offset_s: i64, err_code: &str) -> crate::RefusalRecord {
    crate::RefusalRecord {
        at: at(offset_s),
        psn_no: "P0000000001".into(),
        fixmedins_code: "H31010400123".into(),
        mdtrt_id: format!("MD{offset_s}"),
        err_code: err_code.into(),
    }
}

/// The snapshot a store must load after committing `batches` in order (none failing): the last
/// record per key wins, sequences keep their maximum, answers their first (identical) copy, and
/// every vector is ordered by its key, compared byte-wise.
pub fn expected(batches: &[&CommitBatch]) -> Snapshot {
    let mut visits = BTreeMap::new();
    let mut fee_lines = BTreeMap::new();
    let mut settlements = BTreeMap::new();
    let mut answers = BTreeMap::new();
    let mut blocked = BTreeMap::new();
    let mut signs = BTreeMap::new();
    let mut filings = BTreeMap::new();
    let mut postings = BTreeMap::new();
    let mut funds_events = BTreeMap::new();
    let mut filing_events = BTreeMap::new();
    let mut snapshot = Snapshot::default();
    for batch in batches {
        for v in &batch.visits {
            visits.insert(v.mdtrt_id.clone(), v.clone());
        }
        for f in &batch.fee_lines {
            fee_lines.insert((f.mdtrt_id.clone(), f.feedetl_sn.clone()), f.clone());
        }
        for s in &batch.settlements {
            settlements.insert(s.setl_id.clone(), s.clone());
        }
        for (psn_no, state) in &batch.person_states {
            snapshot.person_states.insert(psn_no.clone(), state.clone());
        }
        for a in &batch.answers {
            answers.entry((a.fixmedins_code.clone(), a.msgid.clone())).or_insert_with(|| a.clone());
        }
        for b in &batch.blocked {
            blocked.insert((b.fixmedins_code.clone(), b.msgid.clone()), b.clone());
        }
        for s in &batch.signs {
            signs.insert(s.sign_no.clone(), s.clone());
        }
        for f in &batch.filings {
            filings.insert(f.filing_id.clone(), f.clone());
        }
        for p in &batch.postings {
            postings.insert(p.posting_id, p.clone());
        }
        for e in &batch.funds_events {
            funds_events.insert(e.event_id, e.clone());
        }
        for e in &batch.filing_events {
            filing_events.insert(e.event_id, e.clone());
        }
        snapshot.refusals.extend(batch.refusals.iter().cloned());
        for (name, value) in &batch.sequences {
            let kept = snapshot.sequences.entry(name.clone()).or_insert(*value);
            *kept = (*kept).max(*value);
        }
    }
    snapshot.visits = visits.into_values().collect();
    snapshot.fee_lines = fee_lines.into_values().collect();
    snapshot.settlements = settlements.into_values().collect();
    snapshot.answers = answers.into_values().collect();
    snapshot.blocked = blocked.into_values().collect();
    snapshot.signs = signs.into_values().collect();
    snapshot.filings = filings.into_values().collect();
    snapshot.postings = postings.into_values().collect();
    snapshot.funds_events = funds_events.into_values().collect();
    snapshot.filing_events = filing_events.into_values().collect();
    snapshot
}

fn load(store: &dyn Store) -> Snapshot {
    store.load().expect("load")
}

/// Compares field by field, so a failure names the record kind that differs.
fn assert_snapshot(actual: &Snapshot, expected: &Snapshot, when: &str) {
    assert_eq!(actual.visits, expected.visits, "visits {when}");
    assert_eq!(actual.fee_lines, expected.fee_lines, "fee lines {when}");
    assert_eq!(actual.settlements, expected.settlements, "settlements {when}");
    assert_eq!(actual.person_states, expected.person_states, "person states {when}");
    assert_eq!(actual.answers, expected.answers, "answers {when}");
    assert_eq!(actual.blocked, expected.blocked, "blocked msgids {when}");
    assert_eq!(actual.signs, expected.signs, "signs {when}");
    assert_eq!(actual.sequences, expected.sequences, "sequences {when}");
    assert_eq!(actual.filings, expected.filings, "filings {when}");
    assert_eq!(actual.postings, expected.postings, "ledger postings {when}");
    assert_eq!(actual.funds_events, expected.funds_events, "funds events {when}");
    assert_eq!(actual.filing_events, expected.filing_events, "filing events {when}");
    assert_eq!(actual.refusals, expected.refusals, "refusals {when}");
    assert_eq!(actual, expected, "snapshot {when}");
}

// ---------------------------------------------------------------------------------------------
// Sample records
// ---------------------------------------------------------------------------------------------

/// `2025-03-02 09:00:00` plus `offset_s` seconds.
pub fn at(offset_s: i64) -> DateTime {
    let base = DateTime::parse("2025-03-02 09:00:00").expect("base time parses");
    DateTime::from_epoch_secs(base.to_epoch_secs() + offset_s)
}

/// Fee lines per outpatient flow (as the bench's "outpatient flow" is defined).
pub const FLOW_FEE_LINES: u64 = 10;

/// The records of one outpatient visit, settled: a visit, [`FLOW_FEE_LINES`] fee lines, a
/// settlement whose amounts add up, the person's state after it, and the three answers (2201,
/// 2204, 2207). All keys derive from `n`, so flows with different `n` never share a key.
pub fn outpatient_flow(n: u64) -> CommitBatch {
    let fixmedins_code = format!("H41010{:05}", n % 97);
    let mdtrt_id = format!("MD{n:012}");
    let psn_no = format!("41000000{n:010}");
    let offset_s = (n % 10_000) as i64 * 60;
    let visit = VisitRecord {
        mdtrt_id: mdtrt_id.clone(),
        fixmedins_code: fixmedins_code.clone(),
        psn_no: psn_no.clone(),
        kind: VisitKind::Outpatient,
        insutype: "310".into(),
        med_type: Some("11".into()),
        begntime: at(offset_s),
        endtime: None,
        visit_no: format!("MZ{n:08}"),
        dise_codg: None,
        state: VisitState::Settled,
        extra_json: format!(r#"{{"psn_name":"张三{n}","mdtrt_cert_type":"02"}}"#),
        msgid: format!("{fixmedins_code}-{n}-1"),
    };
    let fee_lines: Vec<FeeLineRecord> = (1..=FLOW_FEE_LINES).map(|i| flow_fee_line(n, i, &visit)).collect();
    let medfee = fee_lines.iter().map(|f| f.amount).sum::<Fen>();
    let settlement = flow_settlement(n, &visit, medfee);
    let mut state = PersonState { acct_balance: Fen::new(50_000), ..Default::default() };
    state.apply(&settlement.delta);
    let answers = ["2201", "2204", "2207"]
        .iter()
        .enumerate()
        .map(|(k, infno)| AnswerRecord {
            fixmedins_code: fixmedins_code.clone(),
            msgid: format!("{fixmedins_code}-{n}-{}", k + 1),
            infno: infno.to_string(),
            fingerprint: fingerprint(n, k as u8),
            body: format!(r#"{{"infcode":0,"output":{{"n":{n},"infno":"{infno}"}}}}"#),
            answered_at: at(offset_s + k as i64),
        })
        .collect();
    let postings = vec![posting(n, &settlement.setl_id, offset_s)];
    CommitBatch {
        visits: vec![visit],
        fee_lines,
        settlements: vec![settlement],
        person_states: vec![(psn_no, state)],
        answers,
        postings,
        ..Default::default()
    }
}

/// A balanced settlement-shaped posting (the shape the hub appends per cross-province
/// settlement: 8 lines), amounts derived from `id`.
pub fn posting(id: u64, reference: &str, offset_s: i64) -> PostingRecord {
    let pooled = Fen::new(10_000 + (id % 1_000) as i64);
    let (acct, cash) = (Fen::new(1_234), Fen::new(567));
    let total = pooled + acct;
    let entries = [
        ("fund:150100:310100", pooled),
        ("fund:150100:310200", acct),
        ("prepay:150000>410000", -pooled),
        ("transit:150000>410000", -acct),
        ("fac:H41010500001:recv", total),
        ("agency:410100:pay", -total),
        ("fac:H41010500001:cash", cash),
        ("cash:150100", -cash),
    ];
    PostingRecord {
        posting_id: id,
        kind: "settle:150000>410000:11".into(),
        sense: "normal".into(),
        reference: reference.to_string(),
        at: at(offset_s),
        month: "2025-03".into(),
        entries: entries.iter().map(|(a, f)| (a.to_string(), *f)).collect(),
    }
}

fn flow_fee_line(n: u64, i: u64, visit: &VisitRecord) -> FeeLineRecord {
    let cnt = Qty::from_ten_thousandths((i as i64) * 5_000);
    let pric = Price::from_micro_yuan(12_345_678 + (n as i64 % 1_000) * 10_000);
    FeeLineRecord {
        mdtrt_id: visit.mdtrt_id.clone(),
        feedetl_sn: format!("{i:04}"),
        chrg_bchno: Some(format!("CB{n:010}")),
        med_list_codg: format!("XA01AAA{i:03}"),
        medins_list_codg: format!("H-{i}"),
        cnt,
        pric,
        amount: line_fen(cnt, pric),
        fee_ocur_time: visit.begntime,
        init_feedetl_sn: None,
        live: true,
        setl_id: Some(format!("S{n:012}")),
        extra_json: "{}".into(),
        msgid: format!("{}-{n}-2", visit.fixmedins_code),
    }
}

fn flow_settlement(n: u64, visit: &VisitRecord, medfee: Fen) -> SettlementRecord {
    let fund = Fen::new(medfee.get() * 6 / 10);
    let acct = Fen::new(100).min(medfee - fund);
    let cash = medfee - fund - acct;
    SettlementRecord {
        setl_id: format!("S{n:012}"),
        mdtrt_id: visit.mdtrt_id.clone(),
        fixmedins_code: visit.fixmedins_code.clone(),
        psn_no: visit.psn_no.clone(),
        chrg_bchno: Some(format!("CB{n:010}")),
        insutype: "310".into(),
        clr_type: "11".into(),
        clr_optins: "410100".into(),
        setl_time: visit.begntime,
        status: SettlementStatus::Settled,
        medfee_sumamt: medfee,
        fund_pay_sumamt: fund,
        acct_pay: acct,
        psn_cash_pay: cash,
        delta: StateDelta {
            policy_year: 2025,
            cap_pool: "outpatient".into(),
            cap_month: Some(202503),
            fund_paid: fund,
            acct_pay: acct,
            ..Default::default()
        },
        output_json: format!(r#"{{"setlinfo":{{"setl_id":"S{n:012}","medfee_sumamt":"{medfee}"}}}}"#),
        trace: format!("lines: {medfee}\nfund: {fund}\naccount: {acct}\ncash: {cash}"),
        msgid: format!("{}-{n}-3", visit.fixmedins_code),
        reversal_msgid: None,
        reversal_time: None,
        reversal_output_json: None,
    }
}

fn fingerprint(n: u64, k: u8) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = (n as u8).wrapping_mul(31).wrapping_add(i as u8).wrapping_add(k.wrapping_mul(97));
    }
    bytes
}

/// A person state with `years` policy years, several pools and monthly entries.
fn person_state(years: i32) -> PersonState {
    let mut state = PersonState { acct_balance: Fen::new(123_456), ..Default::default() };
    for y in 0..years {
        let mut year = YearAcc {
            hifmi_base: Fen::new(5_140_000 + i64::from(y)),
            hifmi_paid: Fen::new(2_893_000),
            hifob_base: Fen::new(7),
            hifob_paid: Fen::new(3),
            maf_paid: Fen::new(1_572_900),
            ..YearAcc::EMPTY
        };
        for (p, pool) in ["inpatient", "outpatient", "chronic_m01"].iter().enumerate() {
            let acc = year.pools.entry(pool.to_string()).or_default();
            acc.deductible_paid = Fen::new(80_000 + p as i64);
            acc.admissions = u32::MAX - p as u32;
            acc.fund_paid = Fen::MAX;
        }
        year.month_fund_paid.insert(("outpatient".into(), 202503), Fen::new(1));
        year.month_fund_paid.insert(("outpatient".into(), 202504), Fen::new(2));
        // A month entry whose pool has no yearly entry: the encoding must not assume one.
        year.month_fund_paid.insert(("gone".into(), 202412), Fen::new(3));
        state.years.insert(2024 + y, year);
    }
    // An all-zero year is still a key of the map and must come back.
    state.years.insert(1999, YearAcc::EMPTY);
    state
}

/// One batch with every record type, every optional field both set and unset, and edge values.
pub fn rich_batch() -> CommitBatch {
    CommitBatch {
        visits: rich_visits(),
        fee_lines: rich_fee_lines(),
        settlements: rich_settlements(),
        person_states: vec![
            ("P-RICH-2".into(), person_state(2)),
            ("P-RICH-1".into(), person_state(1)),
            ("P-RICH-0".into(), PersonState::default()),
            ("P-RICH-NEG".into(), PersonState { acct_balance: Fen::new(-1), ..Default::default() }),
        ],
        answers: vec![
            AnswerRecord {
                fixmedins_code: "H41010500001".into(),
                msgid: "H410105000012025030209410001".into(),
                infno: "2207".into(),
                fingerprint: std::array::from_fn(|i| (i as u8).wrapping_mul(8).wrapping_add(7)),
                body: "{\"infcode\":0,\"err_msg\":\"成功 ✓ 'q' \\\"dq\\\" \\\\ \\n\"}".into(),
                answered_at: at(0),
            },
            AnswerRecord {
                fixmedins_code: "H41010500001".into(),
                msgid: "".into(),
                infno: "2201".into(),
                fingerprint: [0xFF; 32],
                body: "".into(),
                answered_at: at(-86_400 * 365 * 30),
            },
        ],
        blocked: vec![
            BlockedMsgid { fixmedins_code: "H2".into(), msgid: "m-2".into(), blocked_by: "m-9".into() },
            BlockedMsgid { fixmedins_code: "H1".into(), msgid: "m-1".into(), blocked_by: "".into() },
        ],
        signs: vec![
            SignRecord {
                sign_no: "SIGN-2".into(),
                fixmedins_code: "H1".into(),
                opter_no: "收费员 01".into(),
                sign_in_time: at(0),
                sign_out_time: Some(at(8 * 3_600)),
            },
            SignRecord {
                sign_no: "SIGN-1".into(),
                fixmedins_code: "H1".into(),
                opter_no: "".into(),
                sign_in_time: at(60),
                sign_out_time: None,
            },
        ],
        sequences: vec![("setl_id".into(), 42), ("zero".into(), 0), ("max".into(), i64::MAX as u64)],
        filings: vec![
            filing("F-RICH-2", "P-RICH-2", Some(at(-86_400))),
            FilingRecord {
                enddate: None,
                filed_at: None,
                created_by: "pack".into(),
                changed_by: "".into(),
                ..filing("F-RICH-1", "P-RICH-1", None)
            },
        ],
        postings: rich_postings(),
        funds_events: rich_funds_events(),
        filing_events: vec![
            filing_event(3, "BA110000000000000001", "create"),
            crate::FilingEventRecord {
                enddate: None,
                related_filing_id: Some("F-RICH-1".into()),
                channel: "person".into(),
                by: "person:110***********001X".into(),
                note: "本人已确认告知承诺书（承诺制）".into(),
                ..filing_event(i64::MAX as u64, "F-RICH-1", "change_out")
            },
        ],
        refusals: vec![refusal(5, "filing_required"), refusal(5, "visit_state")],
    }
}

/// A history event of a filing by an agency user.
pub fn filing_event(id: u64, filing_id: &str, action: &str) -> crate::FilingEventRecord {
    crate::FilingEventRecord {
        event_id: id,
        filing_id: filing_id.into(),
        psn_no: "P1100000007".into(),
        action: action.into(),
        category: "other_temporary".into(),
        mdtrtarea_admvs: "310000".into(),
        begndate: Date::parse("2025-03-01").expect("date"),
        enddate: Some(Date::parse("2025-09-01").expect("date")),
        related_filing_id: None,
        channel: "agency".into(),
        by: "北京医保中心-张".into(),
        at: at(id as i64 % 86_400),
        note: String::new(),
    }
}

/// A funds event of `kind` by an agency user, with a JSON body naming a province pair.
pub fn funds_event(id: u64, kind: &str, offset_s: i64) -> FundsEventRecord {
    FundsEventRecord {
        event_id: id,
        kind: kind.into(),
        reference: "110000>310000:2025-02".into(),
        at: at(offset_s),
        by: "医保局-北京 省级".into(),
        body_json: format!(r#"{{"id":{id},"amount_fen":123456,"note":"确认 \"二月\""}}"#),
    }
}

/// Events with edge values: the largest id, empty text, non-ASCII text, a large body.
fn rich_funds_events() -> Vec<FundsEventRecord> {
    vec![
        FundsEventRecord { event_id: i64::MAX as u64, ..funds_event(1, "clearing.pay", -60) },
        FundsEventRecord {
            reference: String::new(),
            by: "system".into(),
            body_json: "{}".into(),
            ..funds_event(1, "prepayment.notice", 0)
        },
        FundsEventRecord { body_json: "x".repeat(100_000), ..funds_event(3, "inquiry.open", 5) },
    ]
}

/// Postings with edge values: the largest id, a reversal, non-ASCII text, extreme signed
/// amounts, no entries at all (the store does not judge balance; the hub and `verify` do).
fn rich_postings() -> Vec<PostingRecord> {
    let extreme =
        vec![("fund:150100:390100".to_string(), Fen::new(i64::MAX)), ("x".into(), Fen::new(i64::MIN))];
    vec![
        PostingRecord { posting_id: i64::MAX as u64, entries: extreme, ..posting(1, "ZY-结算-1", -60) },
        PostingRecord { sense: "reversal".into(), ..posting(1_000_001, "S-RICH-1", 120) },
        PostingRecord {
            entries: Vec::new(),
            kind: "prepay:150000>410000".into(),
            ..posting(1_000_002, "通知 1", 0)
        },
    ]
}

fn rich_visits() -> Vec<VisitRecord> {
    let inpatient = VisitRecord {
        mdtrt_id: "ZY-2025-0001".into(),
        fixmedins_code: "H41010500001".into(),
        psn_no: "P-RICH-1".into(),
        kind: VisitKind::Inpatient,
        insutype: "390".into(),
        med_type: None,
        begntime: at(0),
        endtime: Some(at(5 * 86_400 + 59)),
        visit_no: "住院 7 号".into(),
        dise_codg: Some("I21.9".into()),
        state: VisitState::Discharged,
        extra_json: r#"{"adm_bed":"12床","note":"line\nbreak \"quoted\" 🏥"}"#.into(),
        msgid: "M-ADMIT".into(),
    };
    let mut outpatient = inpatient.clone();
    outpatient.mdtrt_id = "MZ-2025-0001".into();
    outpatient.kind = VisitKind::Outpatient;
    outpatient.med_type = Some("11".into());
    outpatient.endtime = None;
    outpatient.dise_codg = None;
    outpatient.state = VisitState::Open;
    outpatient.extra_json = String::new();
    let mut cancelled = outpatient.clone();
    cancelled.mdtrt_id = "MZ-2025-0000".into();
    cancelled.state = VisitState::Cancelled;
    let mut settled = inpatient.clone();
    settled.mdtrt_id = "ZY-2024-9999".into();
    settled.state = VisitState::Settled;
    vec![inpatient, outpatient, cancelled, settled]
}

fn rich_fee_lines() -> Vec<FeeLineRecord> {
    let line = FeeLineRecord {
        mdtrt_id: "ZY-2025-0001".into(),
        feedetl_sn: "0002".into(),
        chrg_bchno: None,
        med_list_codg: "XA01AAA001".into(),
        medins_list_codg: "院内-1".into(),
        cnt: Qty::from_ten_thousandths(33_333),
        pric: Price::from_micro_yuan(1_000_005),
        amount: Fen::new(333),
        fee_ocur_time: at(3_600),
        init_feedetl_sn: None,
        live: true,
        setl_id: Some("S-RICH-1".into()),
        extra_json: r#"{"bilg_dept_codg":"A03"}"#.into(),
        msgid: "M-FEE".into(),
    };
    let refund = FeeLineRecord {
        feedetl_sn: "0001".into(),
        cnt: Qty::from_ten_thousandths(-33_333),
        pric: Price::from_micro_yuan(i64::MAX),
        amount: Fen::new(-333),
        init_feedetl_sn: Some("0002".into()),
        live: false,
        setl_id: None,
        ..line.clone()
    };
    let outpatient = FeeLineRecord {
        mdtrt_id: "MZ-2025-0001".into(),
        feedetl_sn: "0002".into(),
        chrg_bchno: Some("CB-1".into()),
        cnt: Qty::from_ten_thousandths(i64::MIN),
        pric: Price::from_micro_yuan(0),
        amount: Fen::MAX,
        ..line.clone()
    };
    vec![line, refund, outpatient]
}

fn rich_settlements() -> Vec<SettlementRecord> {
    let reversed = SettlementRecord {
        setl_id: "S-RICH-1".into(),
        mdtrt_id: "ZY-2025-0001".into(),
        fixmedins_code: "H41010500001".into(),
        psn_no: "P-RICH-1".into(),
        chrg_bchno: None,
        insutype: "390".into(),
        clr_type: "21".into(),
        clr_optins: "410100".into(),
        setl_time: at(6 * 86_400),
        status: SettlementStatus::Reversed,
        medfee_sumamt: Fen::new(5_140_000),
        fund_pay_sumamt: Fen::new(3_467_100),
        acct_pay: Fen::new(0),
        psn_cash_pay: Fen::new(1_672_900),
        delta: StateDelta {
            policy_year: -1,
            cap_pool: "住院".into(),
            cap_month: None,
            deductible_paid: Fen::new(80_000),
            admissions: u32::MAX,
            fund_paid: Fen::new(5_060_000),
            hifmi_base: Fen::new(5_140_000),
            hifmi_paid: Fen::new(2_893_000),
            hifob_base: Fen::new(1),
            hifob_paid: Fen::new(2),
            maf_paid: Fen::new(1_572_900),
            acct_pay: Fen::new(-Fen::MAX.get()),
        },
        output_json: r#"{"setlinfo":{"setl_id":"S-RICH-1"}}"#.into(),
        trace: "① 起付线 800.00\n② 统筹 70%\n".into(),
        msgid: "M-SETL".into(),
        reversal_msgid: Some("M-REV".into()),
        reversal_time: Some(at(7 * 86_400)),
        reversal_output_json: Some(r#"{"setlinfo":{"setl_id":"S-RICH-1-R"}}"#.into()),
    };
    let settled = SettlementRecord {
        setl_id: "S-RICH-0".into(),
        mdtrt_id: "MZ-2025-0001".into(),
        chrg_bchno: Some("CB-1".into()),
        clr_type: "11".into(),
        status: SettlementStatus::Settled,
        delta: StateDelta { cap_month: Some(202503), ..Default::default() },
        reversal_msgid: None,
        reversal_time: None,
        reversal_output_json: None,
        ..reversed.clone()
    };
    vec![reversed, settled]
}

/// The rich batch's keys with other values: every field that can change in the hub's life does,
/// and `P-RICH-1`'s state shrinks to nothing.
fn replacing_batch(first: &CommitBatch) -> CommitBatch {
    let mut batch = first.clone();
    for v in &mut batch.visits {
        v.state = VisitState::Cancelled;
        v.endtime = Some(at(1));
        v.extra_json.push(' ');
    }
    for f in &mut batch.fee_lines {
        f.live = !f.live;
        f.setl_id = None;
        f.amount = Fen::new(f.amount.get() / 2);
    }
    for s in &mut batch.settlements {
        s.status = SettlementStatus::Reversed;
        s.reversal_msgid = Some(format!("{}-R2", s.setl_id));
        s.reversal_time = Some(at(2));
        s.delta.cap_month = None;
    }
    batch.person_states =
        vec![("P-RICH-1".into(), PersonState::default()), ("P-RICH-2".into(), person_state(1))];
    batch.answers.clear();
    for b in &mut batch.blocked {
        b.blocked_by.push_str("-again");
    }
    for s in &mut batch.signs {
        s.sign_out_time = Some(at(9));
    }
    batch.sequences = vec![("setl_id".into(), 43)];
    // Postings are never replaced: a later batch only appends new ones.
    batch.postings = vec![posting(2_000_001, "S-RICH-2", 5)];
    batch.funds_events = vec![funds_event(2_000_001, "clearing.confirm", 5)];
    batch.filing_events = vec![filing_event(2_000_001, "F-RICH-1", "cancel")];
    for f in &mut batch.filings {
        f.cancelled_at = Some(at(10));
        f.enddate = Some(Date::parse("2030-12-31").expect("date"));
        f.changed_by = "经办人 \"乙\"".into();
        f.changed_at = at(10);
    }
    batch
}

fn pack_files(variant: &str) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    files.insert("pack.toml".into(), format!("name = \"demo-{variant}\"\n"));
    files.insert("catalog/41.csv".into(), "code,name\nXA01AAA001,阿莫西林\n".into());
    files.insert("policies/4101.toml".into(), "deductible_fen = 80000\n".into());
    files.insert("empty.csv".into(), String::new());
    files
}

fn credential(paasid: &str, n: u8) -> CredentialRecord {
    CredentialRecord {
        paasid: paasid.into(),
        fixmedins_code: format!("H4101050000{n}"),
        token_sealed: (0..=255u8).map(|b| b.wrapping_add(n)).collect(),
        previous_sealed: Some(vec![]),
        previous_until: Some(at(i64::from(n))),
        revoked: false,
        updated_at: at(0),
        sm2_public_key: n.is_multiple_of(2).then(|| (0..65u8).map(|b| b.wrapping_mul(n)).collect()),
        sm2_required: false,
    }
}

/// A filing made by an agency user at `at(0)`, optionally already cancelled.
fn filing(filing_id: &str, psn_no: &str, cancelled_at: Option<DateTime>) -> FilingRecord {
    FilingRecord {
        filing_id: filing_id.into(),
        psn_no: psn_no.into(),
        category: "other_temporary".into(),
        mdtrtarea_admvs: "310000".into(),
        begndate: Date::parse("2025-03-02").expect("date"),
        enddate: Some(Date::parse("2025-09-01").expect("date")),
        filed_at: Some(at(0)),
        cancelled_at,
        created_by: "医保局-北京 01".into(),
        changed_by: "医保局-北京 01".into(),
        changed_at: at(0),
    }
}

fn agency_token(name: &str, n: u8) -> AgencyTokenRecord {
    AgencyTokenRecord {
        name: name.into(),
        admdvs: "410100".into(),
        token_sha256: [n; 32],
        revoked: false,
        created_at: at(i64::from(n) * 60),
    }
}
