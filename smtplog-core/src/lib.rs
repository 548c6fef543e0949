//! smtplog-core: Postfix relay logs into per-sender sending histories.
//!
//! The flow runs one way: bytes → lines → [`parse`] (total: an event, a skipped line or a
//! malformed one) → time resolution ([`timestamp`]) → correlation → store → reports.
//! Nothing here prints, exits, reads environment variables or the wall clock.

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
