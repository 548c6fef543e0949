//! A record: one row of a sender's history, with exactly one [`Status`].

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

/// The status of a record (what each counts: `docs/records.md`, "The six statuses").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// A submission refused: a `reject:`/`milter-reject:` line, or a SASL failure.
    AuthBlk,
    /// A message accepted from an authenticated (SASL) session.
    AuthRcv,
    /// A recipient refused permanently.
    Bounced,
    /// One failed delivery attempt.
    Deferred,
    /// A recipient still undelivered when its message expired.
    Expired,
    /// A recipient delivered.
    Sent,
}

impl Status {
    /// All statuses, in the order of the daily table's columns.
    pub const ALL: [Status; 6] = [
        Status::AuthBlk,
        Status::AuthRcv,
        Status::Bounced,
        Status::Deferred,
        Status::Expired,
        Status::Sent,
    ];

    /// The name used in JSON, CSV and the store.
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::AuthBlk => "auth_blk",
            Status::AuthRcv => "auth_rcv",
            Status::Bounced => "bounced",
            Status::Deferred => "deferred",
            Status::Expired => "expired",
            Status::Sent => "sent",
        }
    }

    /// The position in [`Status::ALL`].
    pub fn index(&self) -> usize {
        *self as usize
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing an unknown status name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status {0:?}")]
pub struct UnknownStatus(pub String);

impl FromStr for Status {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

/// One row of a sender's history.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// When the line that made the record was logged.
    pub time: DateTime<Utc>,
    /// Our relay that logged it (the syslog host; "SMTP relay" in the report).
    pub smtp_relay: String,
    /// The Postfix instance on that host (`postfix`, `postfix-out`).
    pub instance: String,
    /// The queue ID (`NOQUEUE` for refused submissions).
    pub queue_id: String,
    /// The envelope sender, lower-cased; `None` when unknown (orphan lines) or when a
    /// SASL failure names only a user.
    pub sender: Option<String>,
    /// The submitting client's IP (`127.0.0.1` for local pickup); `None` when unknown.
    pub sender_ip: Option<String>,
    /// The SASL user name of the submission, if any.
    pub sasl_user: Option<String>,
    /// The recipient, when the record is about one.
    pub recipient: Option<String>,
    /// The original recipient (alias or forward expansion), when it differs.
    pub orig_recipient: Option<String>,
    /// The status.
    pub status: Status,
    /// The enhanced status code.
    pub dsn: Option<String>,
    /// The remote relay (`mx.example.org[192.0.2.1]:25`).
    pub relay: Option<String>,
    /// The delay in seconds.
    pub delay: Option<f64>,
    /// The remote server's response (or the reject reply) exactly as logged.
    pub response: Option<String>,
    /// The message-id of the message, when known.
    pub message_id: Option<String>,
    /// True when the message's start was not seen (its client and SASL user are unknown).
    pub orphan: bool,
}

/// A record as the correlator makes it, every text borrowed (from its memory of the
/// message and from the line): ingest packs it straight into the store's form without
/// allocating; [`RecordRef::to_record`] makes an owned [`Record`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RecordRef<'a> {
    /// See [`Record::time`].
    pub time: DateTime<Utc>,
    /// See [`Record::smtp_relay`].
    pub smtp_relay: &'a str,
    /// See [`Record::instance`].
    pub instance: &'a str,
    /// See [`Record::queue_id`].
    pub queue_id: &'a str,
    /// See [`Record::sender`].
    pub sender: Option<&'a str>,
    /// See [`Record::sender_ip`].
    pub sender_ip: Option<&'a str>,
    /// See [`Record::sasl_user`].
    pub sasl_user: Option<&'a str>,
    /// See [`Record::recipient`].
    pub recipient: Option<&'a str>,
    /// See [`Record::orig_recipient`].
    pub orig_recipient: Option<&'a str>,
    /// See [`Record::status`].
    pub status: Status,
    /// See [`Record::dsn`].
    pub dsn: Option<&'a str>,
    /// See [`Record::relay`].
    pub relay: Option<&'a str>,
    /// See [`Record::delay`].
    pub delay: Option<f64>,
    /// See [`Record::response`].
    pub response: Option<&'a str>,
    /// See [`Record::message_id`].
    pub message_id: Option<&'a str>,
    /// See [`Record::orphan`].
    pub orphan: bool,
}

impl RecordRef<'_> {
    /// The record, owned.
    pub fn to_record(&self) -> Record {
        let owned = |s: Option<&str>| s.map(str::to_string);
        Record {
            time: self.time,
            smtp_relay: self.smtp_relay.to_string(),
            instance: self.instance.to_string(),
            queue_id: self.queue_id.to_string(),
            sender: owned(self.sender),
            sender_ip: owned(self.sender_ip),
            sasl_user: owned(self.sasl_user),
            recipient: owned(self.recipient),
            orig_recipient: owned(self.orig_recipient),
            status: self.status,
            dsn: owned(self.dsn),
            relay: owned(self.relay),
            delay: self.delay,
            response: owned(self.response),
            message_id: owned(self.message_id),
            orphan: self.orphan,
        }
    }
}

impl Record {
    /// The record, borrowed.
    pub fn view(&self) -> RecordRef<'_> {
        RecordRef {
            time: self.time,
            smtp_relay: &self.smtp_relay,
            instance: &self.instance,
            queue_id: &self.queue_id,
            sender: self.sender.as_deref(),
            sender_ip: self.sender_ip.as_deref(),
            sasl_user: self.sasl_user.as_deref(),
            recipient: self.recipient.as_deref(),
            orig_recipient: self.orig_recipient.as_deref(),
            status: self.status,
            dsn: self.dsn.as_deref(),
            relay: self.relay.as_deref(),
            delay: self.delay,
            response: self.response.as_deref(),
            message_id: self.message_id.as_deref(),
            orphan: self.orphan,
        }
    }
}
