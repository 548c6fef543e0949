//! The administrator's overview (`smtplog top`): senders, relay hosts or client IPs
//! ranked by their daily-table totals over a range of days.
//!
//! A sender is an owner as [`crate::query::Query`] matches one: the lower-cased envelope
//! sender, or the SASL user when that is another address. A message whose sender and SASL
//! user differ counts for both (as each one's `stats` counts it), so the senders' rows
//! may add up to more than the range's total; records that belong to nobody (the null
//! sender, orphans) are counted apart. A relay host is the host name of the Postfix
//! that logged the record; a client IP is the address of the SMTP client that submitted
//! the message (none for local submissions and orphans).
//!
//! Ranking is pure ([`Top::rank`]); reading the counts is the store's
//! ([`crate::store::Store::counts_by_group`]) and [`Top::build`] ties the two together.

use std::io::{self, Write};

use chrono::NaiveDate;
use serde::Serialize;

use crate::record::Status;
use crate::report::json::JsonCounts;
use crate::report::text::{clean, display_width};
use crate::stats::Counts;

/// What the rows are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Group {
    /// Owners: envelope sender, or SASL user that is another address (lower-case).
    Sender,
    /// The relay host that logged the record.
    Host,
    /// The SMTP client's IP address.
    ClientIp,
}

impl Group {
    /// Every group, in the order `--group` lists them.
    pub const ALL: [Group; 3] = [Group::Sender, Group::Host, Group::ClientIp];

    /// The name used on the command line and in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Group::Sender => "sender",
            Group::Host => "host",
            Group::ClientIp => "client-ip",
        }
    }

    /// The heading of the key column.
    fn heading(&self) -> &'static str {
        match self {
            Group::Sender => "Sender",
            Group::Host => "Host",
            Group::ClientIp => "Client_IP",
        }
    }

    /// What the records of no group are called in text.
    fn nobody(&self) -> &'static str {
        match self {
            Group::Sender => "(no sender)",
            Group::Host => "(no host)",
            Group::ClientIp => "(no client IP)",
        }
    }
}

/// The column rows are ranked by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum By {
    /// All records.
    Sum,
    /// One status.
    Status(Status),
}

impl By {
    /// Every column, in the order of the daily table.
    pub const ALL: [By; 7] = [
        By::Sum,
        By::Status(Status::AuthBlk),
        By::Status(Status::AuthRcv),
        By::Status(Status::Bounced),
        By::Status(Status::Deferred),
        By::Status(Status::Expired),
        By::Status(Status::Sent),
    ];

    /// The name used on the command line and in JSON (`sum`, or a status's name).
    pub fn as_str(&self) -> &'static str {
        match self {
            By::Sum => "sum",
            By::Status(s) => s.as_str(),
        }
    }

    /// The column's value in `c`.
    pub fn of(&self, c: &Counts) -> u64 {
        match self {
            By::Sum => c.sum(),
            By::Status(s) => c.get(*s),
        }
    }
}

/// One ranked row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The sender, host or client IP, as stored.
    pub key: String,
    /// Its counts over the range.
    pub counts: Counts,
}

/// The counts of a range by group, as the store reads them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grouped {
    /// Each group's counts (any order; keys distinct).
    pub rows: Vec<Row>,
    /// Every record of the range, each counted once.
    pub total: Counts,
    /// The records of the range that belong to no group.
    pub unattributed: Counts,
}

/// The ranked overview of a range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Top {
    /// What the rows are.
    pub group: Group,
    /// The column they are ranked by.
    pub by: By,
    /// The first day.
    pub begin: NaiveDate,
    /// The last day (inclusive).
    pub end: NaiveDate,
    /// How many groups had a record in the range (rows before the limit).
    pub groups: usize,
    /// The first rows: the largest `by` first, then the largest Sum, then by key; rows
    /// whose `by` is 0 are left out.
    pub rows: Vec<Row>,
    /// Every record of the range, each counted once.
    pub total: Counts,
    /// The records of the range that belong to no group.
    pub unattributed: Counts,
}

/// Refuses a range that ends before it begins (the overview has no other limit: it is
/// the administrator's).
pub fn check_days(begin: NaiveDate, end: NaiveDate) -> Result<(), crate::policy::Refusal> {
    if end < begin {
        return Err(crate::policy::Refusal::Reversed { begin, end });
    }
    Ok(())
}

impl Top {
    /// Ranks `grouped` by `by` and keeps the first `limit` rows.
    pub fn rank(
        grouped: Grouped,
        group: Group,
        by: By,
        limit: usize,
        begin: NaiveDate,
        end: NaiveDate,
    ) -> Top {
        let groups = grouped.rows.len();
        let mut rows: Vec<Row> = grouped
            .rows
            .into_iter()
            .filter(|r| by.of(&r.counts) > 0)
            .collect();
        rows.sort_by(|a, b| {
            by.of(&b.counts)
                .cmp(&by.of(&a.counts))
                .then(b.counts.sum().cmp(&a.counts.sum()))
                .then_with(|| a.key.cmp(&b.key))
        });
        rows.truncate(limit);
        Top {
            group,
            by,
            begin,
            end,
            groups,
            rows,
            total: grouped.total,
            unattributed: grouped.unattributed,
        }
    }

    /// The overview of the days `[begin, end]` in `zone` ([`check_days`] first: a
    /// reversed range gives no rows).
    #[cfg(feature = "store")]
    pub fn build(
        store: &crate::store::Store,
        group: Group,
        by: By,
        limit: usize,
        begin: NaiveDate,
        end: NaiveDate,
        zone: chrono_tz::Tz,
    ) -> crate::store::Result<Top> {
        let (from, to) = crate::stats::range_bounds(begin, end, zone);
        let grouped = store.counts_by_group(group, from, to)?;
        Ok(Top::rank(grouped, group, by, limit, begin, end))
    }

    /// The overview as an aligned text table: a heading, a line per row (the key cleaned
    /// of control characters), then the records of no group (when there are any) and the
    /// total of the range.
    pub fn write_text(&self, out: &mut impl Write) -> io::Result<()> {
        let mut lines: Vec<(String, Counts)> = self
            .rows
            .iter()
            .map(|r| (clean(&r.key).into_owned(), r.counts))
            .collect();
        if self.unattributed.sum() > 0 {
            lines.push((self.group.nobody().to_string(), self.unattributed));
        }
        lines.push(("Total".to_string(), self.total));
        let heading: Vec<&str> = std::iter::once(self.group.heading())
            .chain([
                "Sum", "Auth_blk", "Auth_rcv", "Bounced", "Deferred", "Expired", "Sent",
            ])
            .collect();
        let cells: Vec<Vec<String>> = lines
            .iter()
            .map(|(key, c)| {
                std::iter::once(key.clone())
                    .chain(By::ALL.iter().map(|b| b.of(c).to_string()))
                    .collect()
            })
            .collect();
        let mut widths: Vec<usize> = heading.iter().map(|h| display_width(h)).collect();
        for row in &cells {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(display_width(cell));
            }
        }
        let line = |out: &mut dyn Write, row: &[&str]| -> io::Result<()> {
            let mut text = String::new();
            for (i, (cell, w)) in row.iter().zip(&widths).enumerate() {
                let pad = " ".repeat(w - display_width(cell));
                if i == 0 {
                    text.push_str(cell);
                    text.push_str(&pad);
                } else {
                    text.push_str("  ");
                    text.push_str(&pad);
                    text.push_str(cell);
                }
            }
            writeln!(out, "{}", text.trim_end())
        };
        line(out, &heading)?;
        for row in &cells {
            let row: Vec<&str> = row.iter().map(String::as_str).collect();
            line(out, &row)?;
        }
        Ok(())
    }

    /// The overview as its JSON object ([`JsonTop`]).
    pub fn to_json(&self) -> JsonTop<'_> {
        JsonTop {
            begin: self.begin.to_string(),
            end: self.end.to_string(),
            group: self.group.as_str(),
            by: self.by.as_str(),
            groups: self.groups,
            rows: self
                .rows
                .iter()
                .map(|r| JsonRow {
                    key: &r.key,
                    counts: (&r.counts).into(),
                })
                .collect(),
            unattributed: (&self.unattributed).into(),
            total: (&self.total).into(),
        }
    }
}

/// `smtplog top --json`: `{"begin", "end", "group", "by", "groups", "rows": [{"key",
/// "sum", "auth_blk", ...}], "unattributed": {counts}, "total": {counts}}`.
#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct JsonTop<'a> {
    /// The first day, `YYYY-MM-DD`.
    pub begin: String,
    /// The last day, `YYYY-MM-DD`.
    pub end: String,
    /// `sender`, `host` or `client-ip`.
    pub group: &'static str,
    /// `sum` or a status's name.
    pub by: &'static str,
    /// How many groups had a record in the range.
    pub groups: usize,
    /// The ranked rows.
    pub rows: Vec<JsonRow<'a>>,
    /// The records of no group.
    pub unattributed: JsonCounts,
    /// Every record of the range, each once.
    pub total: JsonCounts,
}

/// One row of [`JsonTop`]: the key and its counts side by side.
#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct JsonRow<'a> {
    /// The sender, host or client IP.
    pub key: &'a str,
    /// Its counts.
    #[serde(flatten)]
    pub counts: JsonCounts,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(sent: u64, bounced: u64) -> Counts {
        let mut c = Counts::default();
        c.0[Status::Sent.index()] = sent;
        c.0[Status::Bounced.index()] = bounced;
        c
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn grouped() -> Grouped {
        let rows = [
            ("b@x.edu", counts(5, 1)),
            ("a@x.edu", counts(5, 1)),
            ("c@x.edu", counts(1, 9)),
            ("d@x.edu", counts(7, 0)),
        ]
        .into_iter()
        .map(|(k, c)| Row {
            key: k.to_string(),
            counts: c,
        })
        .collect();
        Grouped {
            rows,
            total: counts(18, 11),
            unattributed: counts(0, 1),
        }
    }

    fn keys(t: &Top) -> Vec<&str> {
        t.rows.iter().map(|r| r.key.as_str()).collect()
    }

    #[test]
    fn rows_are_ranked_by_the_column_then_sum_then_key_and_zeros_are_left_out() {
        let (b, e) = (day("2025-06-01"), day("2025-06-30"));
        let t = Top::rank(grouped(), Group::Sender, By::Sum, 10, b, e);
        assert_eq!(keys(&t), ["c@x.edu", "d@x.edu", "a@x.edu", "b@x.edu"]);
        let t = Top::rank(
            grouped(),
            Group::Sender,
            By::Status(Status::Bounced),
            10,
            b,
            e,
        );
        assert_eq!(keys(&t), ["c@x.edu", "a@x.edu", "b@x.edu"]);
        assert_eq!(t.groups, 4);
        let t = Top::rank(grouped(), Group::Sender, By::Sum, 2, b, e);
        assert_eq!(keys(&t), ["c@x.edu", "d@x.edu"]);
        let t = Top::rank(
            grouped(),
            Group::Sender,
            By::Status(Status::Expired),
            10,
            b,
            e,
        );
        assert!(t.rows.is_empty());
    }

    #[test]
    fn text_is_aligned_cleaned_and_ends_with_the_unattributed_and_the_total() {
        let mut g = grouped();
        g.rows[0].key = "evil\u{1b}[2J@x.edu".to_string();
        let t = Top::rank(
            g,
            Group::Sender,
            By::Sum,
            10,
            day("2025-06-01"),
            day("2025-06-01"),
        );
        let mut out = Vec::new();
        t.write_text(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains('\u{1b}'), "{text}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1 + 4 + 2, "{text}");
        assert!(lines[0].starts_with("Sender"));
        assert!(lines[0].ends_with("Sent"));
        assert!(lines[5].starts_with("(no sender)"));
        assert!(lines[6].starts_with("Total"));
        // Every number column ends at the same place as its heading.
        let end_of_sum = lines[0].find("Sum").unwrap() + 3;
        for l in &lines[1..] {
            // Every character here is one column wide (U+FFFD included).
            let columns: Vec<char> = l.chars().collect();
            assert_eq!(columns[end_of_sum], ' ', "{l}");
            assert_ne!(columns[end_of_sum - 1], ' ', "{l}");
        }
        assert!(lines[6].ends_with(" 18"), "{}", lines[6]);
    }

    #[test]
    fn json_has_the_key_beside_the_counts() {
        let t = Top::rank(
            grouped(),
            Group::ClientIp,
            By::Status(Status::Sent),
            1,
            day("2025-06-01"),
            day("2025-06-02"),
        );
        let v = serde_json::to_value(t.to_json()).unwrap();
        assert_eq!(v["group"], "client-ip");
        assert_eq!(v["by"], "sent");
        assert_eq!(v["groups"], 4);
        assert_eq!(v["rows"][0]["key"], "d@x.edu");
        assert_eq!(v["rows"][0]["sent"], 7);
        assert_eq!(v["rows"][0]["sum"], 7);
        assert_eq!(v["unattributed"]["bounced"], 1);
        assert_eq!(v["total"]["sum"], 29);
        assert_eq!(v["end"], "2025-06-02");
    }
}
