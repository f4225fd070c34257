//! The filing service: new filing, cancellation and change (cancel + new in one step) for both
//! channels — the agency API and the person — under [`crate::filing_rules`], with every change
//! recorded in the append-only filing history.
//!
//! Runs on the sequencer thread. Each operation reads the person's overlaid record, asks the
//! pure rules, and only then puts the filing records and their history events into the state
//! (memory + the pending commit), so a refusal changes nothing and an accepted change is seen by
//! the very next settlement and committed in the same batch as its history.

use std::collections::HashMap;

use serde::Serialize;

use yidi_domain::{DateTime, DivisionCode, Filing, FilingCategory, FilingRules, Pack, PersonRecord};
use yidi_store::{FilingEventRecord, FilingRecord};

use super::overlay::{self, PACK_AUTHOR};
use super::query::FilingInput;
use super::views::{FilingView, filing_view};
use crate::filing_rules::{self, Channel, FilingRequest, RuleContext, RuleRefusal};
use crate::state::State;

/// Who makes a change: the channel and the name recorded (`created_by`, `changed_by`, the
/// history's `by`): an agency user's token name, or `person:<masked identity number>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub channel: Channel,
    pub by: String,
}

/// The filing history in memory: every stored event by `filing_id`, in `event_id` order.
#[derive(Debug, Default)]
pub struct FilingHistory {
    by_filing: HashMap<String, Vec<FilingEventRecord>>,
    next_event_id: u64,
}

impl FilingHistory {
    pub fn restore(events: Vec<FilingEventRecord>) -> FilingHistory {
        let mut history = FilingHistory { by_filing: HashMap::new(), next_event_id: 1 };
        for e in events {
            history.record(e);
        }
        history
    }

    /// Adds one event (at start, and through `State::put_filing_event`).
    pub(crate) fn record(&mut self, e: FilingEventRecord) {
        self.next_event_id = self.next_event_id.max(e.event_id + 1);
        self.by_filing.entry(e.filing_id.clone()).or_default().push(e);
    }

    /// The events of one filing, oldest first.
    pub fn of(&self, filing_id: &str) -> &[FilingEventRecord] {
        self.by_filing.get(filing_id).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn take_id(&mut self) -> u64 {
        let id = self.next_event_id.max(1);
        self.next_event_id = id + 1;
        id
    }
}

/// What an event records besides the filing's columns.
struct Event<'a> {
    action: &'static str,
    related: Option<&'a str>,
    note: String,
}

/// Files a new filing for `psn_no` (whose scope the caller checked); returns its `filing_id`.
pub fn add(
    state: &mut State,
    actor: &Actor,
    psn_no: &str,
    input: &FilingInput,
    now: DateTime,
) -> Result<String, RuleRefusal> {
    let pack = state.pack.clone();
    let record = state.agency.person(&pack, psn_no).expect("the caller checked the person").clone();
    let rules = region_rules(&pack, &record);
    let ctx = context(state, &pack, &record, &rules, actor, now);
    let accepted = filing_rules::check_new(&ctx, &record.filings, None, &request(input))?;
    let filing_id = new_filing_id(state, &record);
    let new = new_record(&filing_id, psn_no, input, accepted, actor, now);
    let note = accepted_note(input, accepted.retroactive, actor);
    put(state, new, actor, now, Event { action: "create", related: None, note });
    Ok(filing_id)
}

/// Cancels one of the person's filings.
pub fn cancel(
    state: &mut State,
    actor: &Actor,
    record: &PersonRecord,
    filing_id: &str,
    now: DateTime,
) -> Result<(), RuleRefusal> {
    let pack = state.pack.clone();
    let rules = region_rules(&pack, record);
    let old = find(record, filing_id);
    filing_rules::check_cancel(&context(state, &pack, record, &rules, actor, now), old)?;
    let cancelled = cancelled_record(state, old, actor, now);
    put(state, cancelled, actor, now, Event { action: "cancel", related: None, note: String::new() });
    Ok(())
}

/// Changes a filing (area, category or dates): the old one is cancelled and a new one made in one
/// step, under the rules of both; returns the new `filing_id`.
pub fn change(
    state: &mut State,
    actor: &Actor,
    record: &PersonRecord,
    filing_id: &str,
    input: &FilingInput,
    now: DateTime,
) -> Result<String, RuleRefusal> {
    let pack = state.pack.clone();
    let rules = region_rules(&pack, record);
    let old = find(record, filing_id);
    let ctx = context(state, &pack, record, &rules, actor, now);
    filing_rules::check_cancel(&ctx, old)?;
    let accepted = filing_rules::check_new(&ctx, &record.filings, Some(old), &request(input))?;
    let new_id = new_filing_id(state, record);
    let cancelled = cancelled_record(state, old, actor, now);
    let new = new_record(&new_id, &record.person.psn_no, input, accepted, actor, now);
    let out = Event { action: "change_out", related: Some(&new_id), note: format!("变更为 {new_id}") };
    put(state, cancelled, actor, now, out);
    let note = format!("由 {filing_id} 变更而来；{}", accepted_note(input, accepted.retroactive, actor));
    put(state, new, actor, now, Event { action: "change_in", related: Some(filing_id), note });
    Ok(new_id)
}

/// The insured region's local rules, else the national defaults.
pub fn region_rules(pack: &Pack, record: &PersonRecord) -> FilingRules {
    let region = insured_region_code(pack, record);
    pack.refdata.policies.get(&region).map(|p| p.filing_rules.clone()).unwrap_or_default()
}

fn insured_region_code(pack: &Pack, record: &PersonRecord) -> DivisionCode {
    pack.refdata.pooling_region_of(record.person.insuplc).map_or(record.person.insuplc, |r| r.admdvs)
}

fn context<'a>(
    state: &State,
    pack: &'a Pack,
    record: &'a PersonRecord,
    rules: &'a FilingRules,
    actor: &Actor,
    now: DateTime,
) -> RuleContext<'a> {
    RuleContext {
        rules,
        divisions: &pack.refdata.divisions,
        insured_region: insured_region_code(pack, record),
        person: &record.person,
        now,
        channel: actor.channel,
        open_stay_admitted: state.open_stay_of(&record.person.psn_no).map(|v| v.begntime.date()),
    }
}

fn request(input: &FilingInput) -> FilingRequest {
    FilingRequest {
        category: input.category,
        area: input.area,
        begndate: input.begndate,
        enddate: input.enddate,
        commitment: input.commitment,
    }
}

fn find<'r>(record: &'r PersonRecord, filing_id: &str) -> &'r Filing {
    record.filings.iter().find(|f| f.filing_id == filing_id).expect("the caller found the filing")
}

fn new_filing_id(state: &mut State, record: &PersonRecord) -> String {
    let region = overlay::insured_region(&state.pack.refdata, &record.person);
    loop {
        let id = state.seq.filing_id(&region);
        if state.agency.filing_owner(&id).is_none() {
            break id;
        }
    }
}

fn new_record(
    filing_id: &str,
    psn_no: &str,
    input: &FilingInput,
    accepted: filing_rules::Accepted,
    actor: &Actor,
    now: DateTime,
) -> FilingRecord {
    FilingRecord {
        filing_id: filing_id.to_string(),
        psn_no: psn_no.to_string(),
        category: input.category.as_str().to_string(),
        mdtrtarea_admvs: input.area.to_string(),
        begndate: accepted.begndate,
        enddate: accepted.enddate,
        filed_at: Some(now),
        cancelled_at: None,
        created_by: actor.by.clone(),
        changed_by: actor.by.clone(),
        changed_at: now,
    }
}

fn cancelled_record(state: &State, old: &Filing, actor: &Actor, now: DateTime) -> FilingRecord {
    let created_by = state.agency.record(&old.filing_id).map_or(PACK_AUTHOR, |r| r.created_by.as_str());
    let mut changed = overlay::record_of(old, created_by, &actor.by, now);
    changed.cancelled_at = Some(now);
    changed
}

fn accepted_note(input: &FilingInput, retroactive: bool, actor: &Actor) -> String {
    let mut notes = Vec::new();
    if actor.channel == Channel::Person && input.commitment {
        notes.push("本人已确认告知承诺书（承诺制）");
    }
    if retroactive {
        notes.push("住院期间补办备案，开始日期追溯至入院日期");
    }
    if input.category == FilingCategory::OtherTemporary && input.enddate.is_none() {
        notes.push("有效期按参保地规定的最短期限");
    }
    notes.join("；")
}

fn put(state: &mut State, record: FilingRecord, actor: &Actor, now: DateTime, event: Event<'_>) {
    let event = FilingEventRecord {
        event_id: state.filing_history.take_id(),
        filing_id: record.filing_id.clone(),
        psn_no: record.psn_no.clone(),
        action: event.action.to_string(),
        category: record.category.clone(),
        mdtrtarea_admvs: record.mdtrtarea_admvs.clone(),
        begndate: record.begndate,
        enddate: record.enddate,
        related_filing_id: event.related.map(str::to_string),
        channel: actor.channel.as_str().to_string(),
        by: actor.by.clone(),
        at: now,
        note: event.note,
    };
    state.put_filing(record);
    state.put_filing_event(event);
}

/// One recorded change of a filing.
#[derive(Clone, Debug, Serialize)]
pub struct FilingEventView {
    pub event_id: u64,
    /// `create`, `cancel`, `change_out` or `change_in`.
    pub action: String,
    /// The action in Chinese (新办、取消、变更（原备案）、变更（新备案）).
    pub action_name: &'static str,
    pub category: String,
    pub category_name: String,
    pub mdtrtarea_admvs: String,
    pub begndate: String,
    pub enddate: Option<String>,
    pub related_filing_id: Option<String>,
    /// `agency` or `person`.
    pub channel: String,
    /// The agency user, or `person:<masked identity number>`.
    pub by: String,
    pub at: String,
    pub note: String,
}

/// A filing as it is now and every recorded change of it, oldest first. A pack filing never
/// changed through the hub has no events (`filing.origin` is `pack`).
#[derive(Clone, Debug, Serialize)]
pub struct FilingHistoryView {
    pub filing: FilingView,
    pub events: Vec<FilingEventView>,
}

pub fn history_view(state: &State, record: &PersonRecord, filing_id: &str) -> FilingHistoryView {
    let filing = find(record, filing_id);
    let events = state.filing_history.of(filing_id).iter().map(event_view).collect();
    FilingHistoryView { filing: filing_view(filing, state.agency.record(filing_id)), events }
}

fn event_view(e: &FilingEventRecord) -> FilingEventView {
    let category_name =
        FilingCategory::parse(&e.category).map_or_else(|_| e.category.clone(), |c| c.name_zh().to_string());
    FilingEventView {
        event_id: e.event_id,
        action: e.action.clone(),
        action_name: match e.action.as_str() {
            "create" => "新办备案",
            "cancel" => "取消备案",
            "change_out" => "变更（原备案取消）",
            "change_in" => "变更（新备案生效）",
            _ => "其他",
        },
        category: e.category.clone(),
        category_name,
        mdtrtarea_admvs: e.mdtrtarea_admvs.clone(),
        begndate: e.begndate.to_string(),
        enddate: e.enddate.map(|d| d.to_string()),
        related_filing_id: e.related_filing_id.clone(),
        channel: e.channel.clone(),
        by: e.by.clone(),
        at: e.at.to_string(),
        note: e.note.clone(),
    }
}
