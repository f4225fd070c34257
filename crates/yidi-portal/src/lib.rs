//! Yidi's web pages, rendered on the server: the public portal (`/`), the signed-in person's
//! pages, and the agency dashboards (`/agency/`). Every function here turns plain view values into
//! HTML (or SVG, or CSV) text; nothing reads the network, the disk or the clock, so pages are
//! tested as text and the HTTP edge (`yidi-http`) only fetches views from the hub and serves what
//! this crate renders.

pub mod charts;
pub mod csv;
pub mod dashboard;
pub mod html;
pub mod i18n;
pub mod layout;
pub mod person;
pub mod public;
