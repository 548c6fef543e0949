//! The CSV report (RFC 4180: CRLF line ends, fields holding `,` `"` CR or LF quoted, quotes
//! doubled; UTF-8), for spreadsheets and scripts. Two tables, two functions: [`render`]
//! writes one row per record with every field of the record, [`render_daily`] the daily
//! table with its total row. A CSV file holds one table, so they are not mixed.
//!
//! By default the heading row uses the JSON field names, stable for scripts; with
//! [`CsvOptions::labels`] it uses the report language's labels instead. Spreadsheet
//! programs want a byte-order mark to read UTF-8 ([`CsvOptions::bom`]) and may run a
//! field that starts with `=`, `+`, `-` or `@` as a formula; [`CsvOptions::formula_guard`]
//! puts a `'` before such fields (which changes the data, so it is off by default).

use std::borrow::Cow;
use std::io::{self, Write};

use crate::record::Status;
use crate::stats::Counts;

use super::Report;
use super::labels::labels;

/// How to write CSV.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CsvOptions {
    /// Start with a UTF-8 byte-order mark (for spreadsheet programs).
    pub bom: bool,
    /// Head the columns with the report language's labels instead of field names.
    pub labels: bool,
    /// Prefix `'` to fields that start with `=`, `+`, `-`, `@`, tab or CR.
    pub formula_guard: bool,
}

/// The UTF-8 byte-order mark.
pub const BOM: &str = "\u{FEFF}";

/// The field names of the records table, in column order.
pub const RECORD_FIELDS: [&str; 13] = [
    "no",
    "time",
    "smtp_relay",
    "queue_id",
    "sender_ip",
    "sasl_user",
    "recipient",
    "orig_recipient",
    "status",
    "dsn",
    "relay",
    "delay",
    "response",
];

/// The field names of the daily table, in column order.
pub const DAILY_FIELDS: [&str; 8] = [
    "date", "sum", "auth_blk", "auth_rcv", "bounced", "deferred", "expired", "sent",
];

/// One CSV field, quoted when it holds `,`, `"`, CR or LF (RFC 4180).
pub fn field(s: &str) -> Cow<'_, str> {
    if s.contains([',', '"', '\r', '\n']) {
        Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(s)
    }
}

fn write_row<W: Write + ?Sized>(
    out: &mut W,
    cells: &[Option<&str>],
    opts: &CsvOptions,
) -> io::Result<()> {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        let mut v = Cow::Borrowed(cell.unwrap_or(""));
        if opts.formula_guard && v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            v = Cow::Owned(format!("'{v}"));
        }
        out.write_all(field(&v).as_bytes())?;
    }
    out.write_all(b"\r\n")
}

/// Writes the records table: a heading row, then one row per record. Times are RFC 3339
/// in the report's zone, as in JSON; absent values are empty fields.
pub fn render<W: Write + ?Sized>(
    report: &Report,
    opts: &CsvOptions,
    out: &mut W,
) -> io::Result<()> {
    if opts.bom {
        out.write_all(BOM.as_bytes())?;
    }
    let l = labels(report.header.lang);
    let head: [&str; 13] = if opts.labels {
        [
            l.no,
            l.time,
            l.smtp_relay,
            l.queue_id,
            l.sender_ip,
            l.sasl_user,
            l.recipient,
            l.orig_recipient,
            l.status,
            l.dsn,
            l.relay,
            l.delay,
            l.response,
        ]
    } else {
        RECORD_FIELDS
    };
    write_row(out, &head.map(Some), &CsvOptions::default())?;
    for row in &report.rows {
        let r = &row.record;
        let no = row.no.to_string();
        let time = row.time.to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
        let delay = r.delay.map(|d| d.to_string());
        write_row(
            out,
            &[
                Some(&no),
                Some(&time),
                Some(&r.smtp_relay),
                Some(&r.queue_id),
                r.sender_ip.as_deref(),
                r.sasl_user.as_deref(),
                r.recipient.as_deref(),
                r.orig_recipient.as_deref(),
                Some(r.status.as_str()),
                r.dsn.as_deref(),
                r.relay.as_deref(),
                delay.as_deref(),
                r.response.as_deref(),
            ],
            opts,
        )?;
    }
    Ok(())
}

/// Writes the daily table: a heading row, one row per day (`YYYY-MM-DD`), then the total
/// row (`total`, or the language's label with [`CsvOptions::labels`]).
pub fn render_daily<W: Write + ?Sized>(
    report: &Report,
    opts: &CsvOptions,
    out: &mut W,
) -> io::Result<()> {
    if opts.bom {
        out.write_all(BOM.as_bytes())?;
    }
    let lang = report.header.lang;
    let l = labels(lang);
    let head: Vec<&str> = if opts.labels {
        let mut h = vec![l.day, l.sum];
        h.extend(Status::ALL.map(|s| super::status_label(s, lang)));
        h
    } else {
        DAILY_FIELDS.to_vec()
    };
    let plain = CsvOptions::default();
    write_row(out, &head.into_iter().map(Some).collect::<Vec<_>>(), &plain)?;
    let counts = |first: String, c: &Counts| -> Vec<String> {
        let mut v = vec![first, c.sum().to_string()];
        v.extend(Status::ALL.map(|s| c.get(s).to_string()));
        v
    };
    let write = |out: &mut W, cells: Vec<String>| {
        write_row(
            out,
            &cells.iter().map(|c| Some(c.as_str())).collect::<Vec<_>>(),
            &plain,
        )
    };
    for d in &report.daily.days {
        write(out, counts(d.date.to_string(), &d.counts))?;
    }
    let total = if opts.labels { l.total } else { "total" };
    write(out, counts(total.to_string(), &report.daily.total))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(field("plain 中文"), Cow::Borrowed("plain 中文"));
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\r\nlines"), "\"two\r\nlines\"");
        assert_eq!(field(""), "");
    }

    #[test]
    fn the_formula_guard_prefixes_a_quote() {
        let mut out = Vec::new();
        let opts = CsvOptions {
            formula_guard: true,
            ..CsvOptions::default()
        };
        write_row(
            &mut out,
            &[Some("=HYPERLINK(\"x\")"), Some("ok"), None],
            &opts,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"'=HYPERLINK(\"\"x\"\")\",ok,\r\n"
        );
    }
}
