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

//! # A first program
//!
//! Parse a log, correlate it into records and keep them in a SQLite store, then ask for
//! one sender's days (the `store` feature; `examples/` has a program per entry point):
//!
//! ```
//! use smtplog_core::chrono::{NaiveDate, Utc};
//! use smtplog_core::{IngestOptions, Input, Query, Silent, Store, ingest};
//!
//! let log = "\
//! Mar  1 10:00:00 relay1 postfix/submission/smtpd[10]: 1A2B3C4D5E: client=pc1.example.edu[192.0.2.10], sasl_method=PLAIN, sasl_username=alice@example.edu
//! Mar  1 10:00:01 relay1 postfix/qmgr[12]: 1A2B3C4D5E: from=<alice@example.edu>, size=1000, nrcpt=1 (queue active)
//! Mar  1 10:00:02 relay1 postfix/smtp[13]: 1A2B3C4D5E: to=<bob@remote.example>, relay=mx.remote.example[198.51.100.1]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok)
//! Mar  1 10:00:02 relay1 postfix/qmgr[12]: 1A2B3C4D5E: removed
//! ";
//! let zone = smtplog_core::chrono_tz::Asia::Taipei;
//! let mut store = Store::open_in_memory()?;
//! let mut options = IngestOptions::new(zone);
//! options.year = Some(2024);
//! let input = Input::from_reader("example", std::io::Cursor::new(log), Utc::now())?;
//! let summary = ingest(&mut store, vec![input], &options, &mut Silent)?;
//! assert_eq!(summary.records, 2); // auth_rcv and sent
//!
//! let day = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
//! let table = Query::new("Alice@Example.edu", day, day, zone)?.daily(&store)?;
//! assert_eq!(table.total.sum(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The date and zone types of the API are chrono's and chrono-tz's, re-exported here as
//! [`chrono`] and [`chrono_tz`] so that a dependent uses the very versions the core does.

#![warn(missing_docs)]

pub use chrono;
pub use chrono_tz;

pub mod anomaly;
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
pub mod top;
#[cfg(feature = "config")]
pub mod web;

pub use correlate::{Correlator, Limits, Output, Sink};
pub use parse::{Entry, Event, Parsed, parse_line};
pub use policy::{EmailAddress, Policy, Recipient, Refusal};
pub use record::{Record, RecordRef, Status};
pub use report::{Lang, Report};
pub use stats::{Counts, DailyTable};
pub use timestamp::{YearPolicy, YearResolver};

#[cfg(feature = "config")]
pub use config::Config;
#[cfg(feature = "store")]
pub use ingest::{IngestError, IngestOptions, IngestSummary, Input, Silent, ingest};
#[cfg(feature = "mail")]
pub use mail::{Deliver, MailContext, Outgoing, SmtpDeliverer, compose};
#[cfg(all(feature = "mail", feature = "store"))]
pub use mail::{ReportRequest, prepare_report};
#[cfg(feature = "store")]
pub use query::Query;
#[cfg(feature = "store")]
pub use store::{Store, StoreError};

/// The version of this library.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
