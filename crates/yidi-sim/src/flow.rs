//! One flow on one terminal: the requests of an outpatient visit or an inpatient stay in the
//! order of `protocol.md` §5, each timed and judged, stopping at the first failure (the ids the
//! next step needs come from the answers).
//!
//! Coordinated omission: the first request of a flow is timed from the flow's start, which in
//! open loop is its *scheduled* start, so a hub that falls behind shows its queueing in the
//! latencies instead of silently slowing the simulator down.

use std::time::Instant;

use bytes::Bytes;

use crate::answer;
use crate::client::Terminal;
use crate::run::Shared;
use crate::traffic::{self, FlowPlan, FlowSpec};
use crate::wire::{self, Request, Split, Writer};
use crate::world::Kind;

/// The error counted when a retried settlement is not answered with the first answer's bytes.
pub const REPLAY_MISMATCH: &str = "replay_mismatch";

/// The flow failed; its error is already counted.
struct Failed;

/// Runs one flow and counts it.
pub(crate) async fn run_flow(shared: &Shared, terminal: &mut Terminal, spec: FlowSpec, start: Instant) {
    let plan = traffic::plan(&shared.world, &spec, shared.run_tag);
    let mut flow = Flow {
        shared,
        terminal,
        plan: &plan,
        writer: Writer::new(&shared.world, &plan),
        first_start: Some(start),
    };
    let outcome = match spec.kind {
        Kind::Outpatient => flow.outpatient().await,
        Kind::Inpatient => flow.inpatient().await,
    };
    let label = match spec.kind {
        Kind::Outpatient => "outpatient",
        Kind::Inpatient => "inpatient",
    };
    shared.flow_done(label, outcome.is_ok(), start.elapsed());
}

struct Flow<'a> {
    shared: &'a Shared,
    terminal: &'a mut Terminal,
    plan: &'a FlowPlan,
    writer: Writer<'a>,
    /// The flow's (scheduled) start, used as the send time of its first request.
    first_start: Option<Instant>,
}

impl Flow<'_> {
    async fn outpatient(&mut self) -> Result<(), Failed> {
        self.sign_in().await?;
        let body = self.call(self.writer.register()).await?;
        let mdtrt_id = self.read(answer::registered(&body))?;
        self.call(self.writer.visit_info(&mdtrt_id)).await?;
        for request in self.writer.fees(&mdtrt_id) {
            self.call(request).await?;
        }
        let split = if self.plan.spec.pre_settle { Some(self.pre_settle(&mdtrt_id).await?) } else { None };
        let setl_id = self.settle(&mdtrt_id, split.as_ref()).await?;
        if self.plan.spec.cancel {
            self.call(self.writer.cancel(&mdtrt_id, &setl_id)).await?;
        }
        Ok(())
    }

    async fn inpatient(&mut self) -> Result<(), Failed> {
        self.sign_in().await?;
        let body = self.call(self.writer.admit()).await?;
        let mdtrt_id = self.read(answer::admitted(&body))?;
        for request in self.writer.fees(&mdtrt_id) {
            self.call(request).await?;
        }
        self.call(self.writer.discharge(&mdtrt_id)).await?;
        let split = self.pre_settle(&mdtrt_id).await?;
        self.settle(&mdtrt_id, Some(&split)).await?;
        Ok(())
    }

    /// 9001 once per facility per terminal.
    async fn sign_in(&mut self) -> Result<(), Failed> {
        let site = self.plan.spec.site;
        if !self.terminal.signed_in.contains(&site) {
            self.call(self.writer.sign_in()).await?;
            self.terminal.signed_in.insert(site);
        }
        Ok(())
    }

    async fn pre_settle(&mut self, mdtrt_id: &str) -> Result<Split, Failed> {
        let body = self.call(self.writer.pre_settle(mdtrt_id)).await?;
        self.read(answer::pre_settled(&body))
    }

    /// 2207/2304, then for a retried flow the same message again, whose answer must be the
    /// same bytes (`protocol.md` §4.3).
    async fn settle(&mut self, mdtrt_id: &str, split: Option<&Split>) -> Result<String, Failed> {
        let request = self.writer.settle(mdtrt_id, split);
        let resend = self.plan.spec.retry.then(|| request.body.clone());
        let infno = request.infno;
        let body = self.call(request).await?;
        let setl_id = self.read(answer::settled(&body))?;
        if let Some(resend) = resend {
            let label = if infno == "2207" { "2207_replay" } else { "2304_replay" };
            let again = self.send(label, resend).await?;
            if again != body {
                self.shared.error(REPLAY_MISMATCH);
                return Err(Failed);
            }
            self.shared.replay_verified();
        }
        Ok(setl_id)
    }

    async fn call(&mut self, request: Request) -> Result<Bytes, Failed> {
        self.send(request.infno, request.body).await
    }

    /// Signs and sends one body, counts its latency and, if it failed, its error.
    async fn send(&mut self, label: &'static str, body: Vec<u8>) -> Result<Bytes, Failed> {
        let start = self.first_start.take().unwrap_or_else(Instant::now);
        let key = &self.shared.keys[self.plan.spec.site as usize];
        let headers = wire::gateway_headers(key, wire::unix_now(), &self.shared.nonce());
        let result = self.terminal.post(&self.shared.endpoint, &headers, body).await;
        let verdict = match &result {
            Ok((status, answer)) => answer::judge(*status, answer),
            Err(failure) => Err(failure.code().to_string()),
        };
        self.shared.request_done(label, start.elapsed(), verdict.as_ref().err().map(String::as_str));
        match (verdict, result) {
            (Ok(()), Ok((_, answer))) => Ok(answer),
            _ => Err(Failed),
        }
    }

    /// A value read from a successful answer; an unreadable one is counted as `bad_answer`.
    fn read<T>(&self, value: Result<T, String>) -> Result<T, Failed> {
        value.map_err(|code| {
            self.shared.error(&code);
            Failed
        })
    }
}
