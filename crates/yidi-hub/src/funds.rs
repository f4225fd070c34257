//! Funds operations of the agencies (清算, 预付金, and — from other modules — 拒付/扣款/追回,
//! 协查, 手工报销), run on the sequencer thread and recorded as append-only funds events.
//!
//! # The event API (for every funds module)
//!
//! A funds operation is an agency call that changes money or its paperwork. It runs like any
//! agency operation (`Hub::on_sequencer`), checks everything first, and then records itself:
//!
//! 1. **Postings first.** Any ledger posting the operation causes goes through
//!    [`State::put_posting`] before anything else, so a posting the ledger refuses (a closed
//!    month, a payment that does not match its clearing) changes nothing.
//! 2. **Then one event.** [`put_event`]`(state, kind, reference, at, by, &body)` queues a
//!    [`yidi_store::FundsEventRecord`] for the same commit as those postings (one SQLite
//!    transaction) and returns its `event_id`. `kind` is `module.action` with the module's
//!    prefix: `clearing.*`, `prepayment.*` here; `adjust.*`, `inquiry.*`, `reimburse.*` for the
//!    refusal/recovery, verification and manual-reimbursement modules. `reference` is what the
//!    event is about (`110000>310000:2025-10`, a `setl_id`); `by` the agency user's token name,
//!    a facility code or `system`; `body` any `Serialize` value (stored as JSON text). The
//!    helper also stores the ledger position (`posting_seq`, the next `posting_id` at the time),
//!    so the restart replays the event after exactly the postings made before it.
//! 3. **Then the view.** The operation applies the event to its in-memory view (a field of
//!    [`FundsState`]) with the *same function* its replay uses, so live and restored state
//!    cannot differ.
//!
//! **Replay.** At start `State::restore` calls [`restore`], which walks postings and events
//! together in the order they were made and hands every event to [`replay`]. A module registers
//! its prefix there (one `match` arm calling its `replay(state, &event, body)`) and adds its view
//! to [`FundsState`] (one field, `Default`). An unknown prefix stops the start: the events of a
//! newer build are never silently ignored.
//!
//! # Roles (who may act for a province)
//!
//! Clearing and prepayment are between provinces. An agency token whose `admdvs` is a province
//! code (`XX0000`, `yidi agency add --admdvs 320000`) acts for that province: it freezes months,
//! confirms and pays clearings, sets clearing modes, issues prepayment notices, asks for and
//! approves top-ups. A region-level token (`320100`) reads its own province's clearings,
//! statements and prepayments but changes nothing (403 `province_token_required`). A pair or
//! month the token's province is not a party to is answered 404 like an unknown one.

mod clearing;
mod prepayment;
mod render;
mod roles;
mod views;
mod workdays;

use serde::Serialize;
use serde_json::Value;
use yidi_domain::DateTime;
use yidi_store::{FundsEventRecord, PostingRecord};

use crate::state::State;

pub use clearing::{ClearingBook, FreezeInput, LedgerClosing, ModeInput, PaymentInput, ledger_closings};
pub use prepayment::{NoticeInput, PrepaymentBook, TopUpInput};
pub use views::{
    AlertView, CareLineView, ClearingMonthView, ClearingPairView, ConfirmationView, FundCellView, ModeView,
    NettingView, NoticeView, PaymentView, PositionView, PrepaymentView, StatementView, TopUpView,
    TransferView,
};

/// Working days the two provinces have to confirm a frozen month's statement (rule 23 default).
pub const CONFIRM_WORKING_DAYS_DEFAULT: u32 = 5;
/// Working days from the freeze to the insured province's payment (rule 23 default).
pub const PAY_WORKING_DAYS_DEFAULT: u32 = 10;
/// Longest deadline a freeze may set, in working days.
pub const DEADLINE_WORKING_DAYS_MAX: u32 = 60;
/// Longest text kept in a payment's bank name, serial or a reason.
pub const FUNDS_TEXT_CHARS_MAX: usize = 64;

const _: () = assert!(CONFIRM_WORKING_DAYS_DEFAULT <= PAY_WORKING_DAYS_DEFAULT);
const _: () = assert!(PAY_WORKING_DAYS_DEFAULT <= DEADLINE_WORKING_DAYS_MAX);

/// The funds modules' views, rebuilt from the events at start.
#[derive(Clone, Debug, Default)]
pub struct FundsState {
    pub clearing: ClearingBook,
    pub prepayment: PrepaymentBook,
    /// Clearing applications, facility payments, refusals/recoveries, 协查, 手工报销.
    pub adjust: crate::adjust::AdjustBook,
}

/// The JSON body of a stored event: the module's own fields plus the ledger position.
const POSTING_SEQ: &str = "posting_seq";

/// Queues a funds event for the next commit (see the module doc) and returns its `event_id`.
pub fn put_event<B: Serialize>(
    state: &mut State,
    kind: &str,
    reference: &str,
    at: DateTime,
    by: &str,
    body: &B,
) -> u64 {
    let mut value = serde_json::to_value(body).expect("funds event bodies serialise");
    let Value::Object(map) = &mut value else { panic!("funds event {kind}: the body must be a JSON object") };
    map.insert(POSTING_SEQ.to_string(), Value::from(state.next_posting_id()));
    state.put_funds_event(kind, reference, at, by, value.to_string())
}

/// Rebuilds the ledger and every funds view from the stored postings and events, in the order
/// they were made: an event stamped with `posting_seq = n` is replayed after the postings with
/// `posting_id < n` and before the others. The books must balance at the end.
pub(crate) fn restore(
    state: &mut State,
    postings: &[PostingRecord],
    events: &[FundsEventRecord],
) -> Result<(), String> {
    let mut next = 0;
    for event in events {
        let body: Value = serde_json::from_str(&event.body_json)
            .map_err(|e| format!("资金事件 #{}（{}）不是合法的 JSON：{e}", event.event_id, event.kind))?;
        if let Some(seq) = body.get(POSTING_SEQ).and_then(Value::as_u64) {
            while let Some(r) = postings.get(next).filter(|r| r.posting_id < seq) {
                state.restore_posting(r)?;
                next += 1;
            }
        }
        replay(state, event, body)
            .map_err(|e| format!("资金事件 #{}（{}）：{e}", event.event_id, event.kind))?;
        state.restore_event_id(event.event_id);
    }
    for r in &postings[next..] {
        state.restore_posting(r)?;
    }
    state.check_restored_books()
}

/// Hands one stored event to the module that owns its prefix. Register new prefixes here.
fn replay(state: &mut State, event: &FundsEventRecord, body: Value) -> Result<(), String> {
    match event.kind.split_once('.').map(|(prefix, _)| prefix) {
        Some("clearing") => clearing::replay(state, event, body),
        Some("prepayment") => prepayment::replay(state, event, body),
        Some("adjust" | "inquiry" | "reimburse" | "facility_payment" | "clearing_apply") => {
            crate::adjust::replay(state, event, body)
        }
        _ => Err(format!("未知的资金事件类型“{}”（由更新版本写入？）", event.kind)),
    }
}

/// Decodes an event body into the module's type (the `posting_seq` field is ignored).
pub(crate) fn decode<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, String> {
    serde_json::from_value(body).map_err(|e| format!("事件内容无法读取：{e}"))
}
