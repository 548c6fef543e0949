//! smtplog-core: Postfix relay logs into per-sender sending histories.
//!
//! The flow runs one way: bytes → lines → [`parse`] (total: an event, a skipped line or a
//! malformed one) → time resolution ([`timestamp`]) → correlation → store → reports.
//! Nothing here prints, exits, reads environment variables or the wall clock.

#![warn(missing_docs)]

pub mod config;
pub mod correlate;
pub mod ingest;
pub mod mail;
pub mod notify;
pub mod parse;
pub mod policy;
pub mod query;
pub mod record;
pub mod report;
pub mod source;
pub mod stats;
pub mod store;
pub mod timestamp;

/// The version of this library.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
