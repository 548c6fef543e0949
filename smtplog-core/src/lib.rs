//! smtplog-core: Postfix relay logs into per-sender sending histories.
//!
//! The flow runs one way: bytes → lines → [`parse`] (total: an event, a skipped line or a
//! malformed one) → time resolution ([`timestamp`]) → correlation → store → reports.
//! Nothing here prints, exits, reads environment variables or the wall clock.
//!
//! # Features
//!
//! All on by default. Without them (`default-features = false`) the core parses
//! ([`parse`]), reads input ([`source`], gzip included), resolves times ([`timestamp`]),
//! correlates ([`correlate`], [`record`]), counts ([`stats`]), applies the service's rules
//! ([`policy`]) and renders a [`report::Report`] value as text, HTML, CSV or JSON
//! ([`report`]), with none of SQLite, TOML, lettre, rustls or zip compiled.
//!
//! - `store` (rusqlite with SQLite bundled; self_cell): modules `store`, `ingest`, `query`
//!   and `notify` (offenders of a day, warning state); `report::build`, `report::trace`
//!   and `report::json::JsonReport::new`.
//! - `config` (toml; ipnet): module `config`, the TOML configuration file.
//! - `mail` (lettre with rustls; zip; and the `config` feature): module `mail`, message
//!   composition, the `report.zip` archive and SMTP; with `store` also `notify::run`.
//!
//! `mail` turns on `config`: a message is composed and sent from the configuration's
//! `MailConfig` and `SmtpConfig`. `notify::run` mails the warnings it claims in the store,
//! so it is there only when both `store` and `mail` are.

#![warn(missing_docs)]

#[cfg(feature = "config")]
pub mod config;
pub mod correlate;
#[cfg(feature = "store")]
pub mod ingest;
#[cfg(feature = "mail")]
pub mod mail;
#[cfg(feature = "store")]
pub mod notify;
pub mod parse;
pub mod policy;
#[cfg(feature = "store")]
pub mod query;
pub mod record;
pub mod report;
pub mod source;
pub mod stats;
#[cfg(feature = "store")]
pub mod store;
pub mod timestamp;

/// The version of this library.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
