//! 2601 of a `msgid` that was never sent (`protocol.md` §6): nothing had happened
//! (`revs_rslt` 0), and the `msgid` is blocked, so a late call with it is `already_reversed`.

use super::{Run, expect_ok, expect_refusal, inputs};
use crate::json::Json;
use crate::report::Mismatch;

pub const IDS: [&str; 2] = ["rev.2601_unsent", "rev.unsent_msgid_blocked"];

pub fn run(run: &mut Run<'_, '_>) {
    let party = run.main.clone();
    let psn_no = run.profile.person.first().map_or_else(String::new, |p| p.psn_no.clone());
    let never_sent = run.client.next_msgid();
    let x = run.call(&party, "2601", inputs::reverse_call(&psn_no, &never_sent, "2207"));
    let result = expect_ok(&x).and_then(|o| match o.at("yidi_revsinfo.revs_rslt").and_then(Json::text) {
        None | Some("0") => Ok(()),
        Some(other) => Err(Mismatch::new("yidi_revsinfo.revs_rslt 0 (nothing had happened)", other)),
    });
    run.check(IDS[0], result);
    // The late call: any writing transaction under the blocked msgid; a harmless sign-in.
    let x = run.call_as(&party, "9001", &never_sent, inputs::sign_in());
    run.check(IDS[1], expect_refusal(&x, 200, &["already_reversed"]));
}
