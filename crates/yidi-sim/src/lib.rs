//! Yidi's load simulator (`yidi bench`): realistic hospital traffic, generated from a reference
//! pack, sent to a running hub over HTTP with the national protocol and nothing else.
//!
//! Key design decisions:
//! - **An outside client.** The crate speaks only `protocol.md`: it writes envelopes and reads
//!   answers as JSON, and never links the hub, its HTTP edge or its protocol types, so it
//!   measures what a hospital system meets and can drive any implementation of the interface.
//!   The pack is read only for persons, facilities and catalog codes.
//! - **Traffic that should settle.** Patients are chosen so that their care settles under the
//!   public rules (filers in their filed area, emergencies, local care; facilities open for the
//!   kind; catalog rows without unmet restrictions), so every error counted reflects the hub.
//! - **Seeded and deterministic.** [`Generator`] draws the sequence of flows from a seed and
//!   [`plan`] expands each flow purely: the same seed gives the same requests.
//! - **Open loop without coordinated omission.** With a target rate, flows start on a fixed
//!   schedule and the first request of each is timed from its scheduled start, so a slow hub
//!   shows as latency, not as a slower simulator. Without one, a fixed number of terminals run
//!   flows back to back (closed loop) to find the maximum throughput.

mod answer;
mod client;
mod flow;
pub mod limits;
mod rng;
mod run;
mod stats;
mod traffic;
mod wire;
mod world;

pub use answer::judge;
pub use client::{BadUrl, Endpoint};
pub use flow::REPLAY_MISMATCH;
pub use rng::Rng;
pub use run::{CLIENT_BACKLOG, Credentials, NOT_STARTED, RunConfig, SimError, UNFINISHED, run};
pub use stats::{Histogram, Latency, Mode, Stats, Summary};
pub use traffic::{FlowPlan, FlowSpec, Generator, Line, Mix, plan};
pub use wire::{
    Credential, HEADER_NONCE, HEADER_PAASID, HEADER_SIGNATURE, HEADER_TIMESTAMP, Request, Split, Writer,
    gateway_headers, signature,
};
pub use world::{Audience, Category, Item, Kind, Patient, Site, World, WorldConfig, WorldError};
