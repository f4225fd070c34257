//! Adjudicating a sequence of claims against a pack, carrying each person's accumulators and
//! account from one claim to the next (`yidi adjudicate --claims`), or not (`--pre`).

use std::collections::BTreeMap;

use yidi_adjudication::{Context, Refusal, adjudicate};
use yidi_domain::{Pack, PersonState};

use crate::claimfile::parse_claim;
use crate::result::{render_refusal, render_settlement};

#[derive(Clone, Copy, Debug, Default)]
pub struct BatchOptions {
    /// Pre-settlement: compute each claim from the pack's opening state and change nothing.
    pub pre: bool,
    /// Add the human-readable trace to each result.
    pub explain: bool,
    /// Indent the JSON (one object per claim either way).
    pub pretty: bool,
}

/// Adjudicates claims given as JSON texts, in order, returning one result text per claim.
pub fn adjudicate_batch<'t>(
    pack: &Pack,
    claims: impl IntoIterator<Item = &'t str>,
    opts: BatchOptions,
) -> Vec<String> {
    let mut states: BTreeMap<String, PersonState> = BTreeMap::new();
    let empty = PersonState::default();
    let mut out = Vec::new();
    for text in claims {
        let claim = match parse_claim(text) {
            Ok(claim) => claim,
            Err(e) => {
                out.push(render_refusal(
                    &e.claim_id,
                    &Refusal::InvalidClaim { reason: e.reason },
                    opts.pretty,
                ));
                continue;
            }
        };
        let record = pack.persons.get(&claim.psn_no);
        let state = states.get(&claim.psn_no).or_else(|| pack.states.get(&claim.psn_no)).unwrap_or(&empty);
        let ctx = Context { refdata: &pack.refdata, person: record, state };
        match adjudicate(&ctx, &claim) {
            Ok(settlement) => {
                out.push(render_settlement(&settlement, opts.explain, opts.pretty));
                if !opts.pre {
                    let mut next = state.clone();
                    next.apply(&settlement.delta);
                    states.insert(claim.psn_no.clone(), next);
                }
            }
            Err(refusal) => out.push(render_refusal(&claim.claim_id, &refusal, opts.pretty)),
        }
    }
    out
}
