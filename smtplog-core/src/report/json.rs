//! The JSON report, the machine contract (`"schema": 1`, `docs/reports.md`). Built from its own
//! types, so the contract changes only when these change, whatever happens to the
//! [`Report`] model or the other renderers.

use std::io::{self, Write};

use chrono::DateTime;
use chrono_tz::Tz;
use serde::Serialize;

use super::Report;
#[cfg(feature = "store")]
use crate::query::Query;
use crate::record::{Record, Status};
use crate::stats::{Counts, DailyTable};
#[cfg(feature = "store")]
use crate::store::StoredRecord;

/// The schema version of the JSON report.
pub const SCHEMA: u32 = 1;

/// Counts of one day or of the whole range.
#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct JsonCounts {
    /// All records.
    pub sum: u64,
    /// Refused submissions.
    pub auth_blk: u64,
    /// Accepted SASL submissions.
    pub auth_rcv: u64,
    /// Bounced recipients.
    pub bounced: u64,
    /// Deferral occurrences.
    pub deferred: u64,
    /// Expired recipients.
    pub expired: u64,
    /// Delivered recipients.
    pub sent: u64,
}

impl From<&Counts> for JsonCounts {
    fn from(c: &Counts) -> Self {
        JsonCounts {
            sum: c.sum(),
            auth_blk: c.get(Status::AuthBlk),
            auth_rcv: c.get(Status::AuthRcv),
            bounced: c.get(Status::Bounced),
            deferred: c.get(Status::Deferred),
            expired: c.get(Status::Expired),
            sent: c.get(Status::Sent),
        }
    }
}

/// One day of the daily table.
#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct JsonDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// The day's counts.
    #[serde(flatten)]
    pub counts: JsonCounts,
}

/// One record.
#[derive(Serialize, Debug, PartialEq)]
pub struct JsonRecord {
    /// 1-based row number.
    pub no: usize,
    /// RFC 3339 with the report zone's offset.
    pub time: String,
    /// Our relay that logged it.
    pub smtp_relay: String,
    /// The queue ID.
    pub queue_id: String,
    /// The submitting client's IP.
    pub sender_ip: Option<String>,
    /// The SASL user.
    pub sasl_user: Option<String>,
    /// The recipient.
    pub recipient: Option<String>,
    /// The original recipient.
    pub orig_recipient: Option<String>,
    /// The status name.
    pub status: &'static str,
    /// The enhanced status code.
    pub dsn: Option<String>,
    /// The remote relay.
    pub relay: Option<String>,
    /// The delay in seconds.
    pub delay: Option<f64>,
    /// The response, exactly as logged.
    pub response: Option<String>,
}

/// The whole JSON report (without `records` for `stats`).
#[derive(Serialize, Debug, PartialEq)]
pub struct JsonReport {
    /// Always [`SCHEMA`].
    pub schema: u32,
    /// The queried address.
    pub email: String,
    /// The first day.
    pub begin: String,
    /// The last day.
    pub end: String,
    /// The zone of the days and times.
    pub timezone: String,
    /// Every day of the range.
    pub days: Vec<JsonDay>,
    /// The range's counts.
    pub total: JsonCounts,
    /// The records, in time order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<Vec<JsonRecord>>,
}

impl JsonReport {
    /// The report of `query` with its daily table and, optionally, its records (what
    /// `smtplog stats --json` prints without them).
    #[cfg(feature = "store")]
    pub fn new(query: &Query, table: &DailyTable, records: Option<&[StoredRecord]>) -> Self {
        let zone = query.zone;
        JsonReport {
            records: records.map(|rs| {
                rs.iter()
                    .enumerate()
                    .map(|(i, s)| {
                        JsonRecord::new(i + 1, s.record.time.with_timezone(&zone), &s.record)
                    })
                    .collect()
            }),
            ..JsonReport::daily(&query.email, query.begin, query.end, zone, table)
        }
    }

    /// The JSON form of a [`Report`], records included.
    pub fn from_report(report: &Report) -> Self {
        let h = &report.header;
        JsonReport {
            records: Some(
                report
                    .rows
                    .iter()
                    .map(|row| JsonRecord::new(row.no, row.time, &row.record))
                    .collect(),
            ),
            ..JsonReport::daily(&h.email, h.begin, h.end, h.zone, &report.daily)
        }
    }

    fn daily(
        email: &str,
        begin: chrono::NaiveDate,
        end: chrono::NaiveDate,
        zone: Tz,
        table: &DailyTable,
    ) -> Self {
        JsonReport {
            schema: SCHEMA,
            email: email.to_string(),
            begin: begin.to_string(),
            end: end.to_string(),
            timezone: zone.name().to_string(),
            days: table
                .days
                .iter()
                .map(|d| JsonDay {
                    date: d.date.to_string(),
                    counts: (&d.counts).into(),
                })
                .collect(),
            total: (&table.total).into(),
            records: None,
        }
    }
}

impl JsonRecord {
    /// Record `r` as row `no` of a report, its time in the report's zone.
    pub fn new(no: usize, time: DateTime<Tz>, r: &Record) -> Self {
        JsonRecord {
            no,
            time: time.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            smtp_relay: r.smtp_relay.clone(),
            queue_id: r.queue_id.clone(),
            sender_ip: r.sender_ip.clone(),
            sasl_user: r.sasl_user.clone(),
            recipient: r.recipient.clone(),
            orig_recipient: r.orig_recipient.clone(),
            status: r.status.as_str(),
            dsn: r.dsn.clone(),
            relay: r.relay.clone(),
            delay: r.delay,
            response: r.response.clone(),
        }
    }
}

/// Writes the JSON report of `report` (pretty-printed, records included) and a newline.
pub fn render<W: Write + ?Sized>(report: &Report, out: &mut W) -> io::Result<()> {
    let mut out = out;
    serde_json::to_writer_pretty(&mut out, &JsonReport::from_report(report))
        .map_err(io::Error::from)?;
    out.write_all(b"\n")
}
