//! The plain-text report, laid out like the mail of the service smtplog models (see
//! `docs/records.md`): the header lines
//! (`查詢信箱(Email)：...`), the daily table with its total row, the detail table and the
//! footer. It exists because plain text is what every mail client shows and what an
//! administrator reads in a terminal.
//!
//! Columns are aligned by display width, not by bytes or characters: a CJK character
//! takes two columns of a monospace terminal (Unicode East Asian Width, via the
//! `unicode-width` crate; ambiguous-width characters count as one). Control characters
//! in logged text (a response is written by a stranger) are replaced, so nothing in a
//! report can move the cursor of the terminal that shows it.

use std::borrow::Cow;
use std::io::{self, Write};

use unicode_width::UnicodeWidthStr;

use crate::record::Status;
use crate::stats::Counts;

use super::labels::{Labels, labels};
use super::{Footer, Report, recipient_cell, response_message, status_label};

/// The date format of the text and HTML reports (`2020/02/10`).
pub const DATE_FORMAT: &str = "%Y/%m/%d";
/// The time format of the text and HTML reports (`2020/02/10 10:07:11`).
pub const TIME_FORMAT: &str = "%Y/%m/%d %H:%M:%S";

/// What an empty cell shows.
const EMPTY: &str = "-";
/// Between two columns.
const GAP: &str = "  ";

/// Writes the text report.
pub fn render<W: Write + ?Sized>(report: &Report, footer: &Footer, out: &mut W) -> io::Result<()> {
    let h = &report.header;
    let l = labels(h.lang);
    let line = |label: &str, value: &str| format!("{label}{}{}", l.colon, clean(value));
    let range = h.range_text();
    let generated = h.generated_text();
    for text in [
        line(l.email, &h.email),
        line(l.date, &range),
        line(l.client_ip, &h.client_ip),
        line(l.language, h.lang.as_str()),
        line(l.timezone, h.zone.name()),
        line(l.generated, &generated),
    ] {
        writeln!(out, "{text}")?;
    }

    writeln!(out)?;
    writeln!(out, "{}", l.stats_title)?;
    writeln!(out)?;
    write_table(out, &daily_table(report, l))?;

    writeln!(out)?;
    writeln!(out, "{}", l.records_title)?;
    writeln!(out)?;
    if report.rows.is_empty() {
        writeln!(out, "{}", l.no_records)?;
    } else {
        write_table(out, &detail_table(report, l))?;
    }

    writeln!(out)?;
    for f in footer.lines(h.lang) {
        match &f.link {
            Some(link) => writeln!(out, "{}<{}>{}", clean(&f.text), clean(link), f.after)?,
            None => writeln!(out, "{}", clean(&f.text))?,
        }
    }
    Ok(())
}

/// The number of terminal columns `s` takes (CJK characters take two).
pub fn display_width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` with tabs turned into spaces and every other control character (C0, DEL, C1,
/// line and paragraph separators) replaced by U+FFFD, so that it stays on one line and
/// cannot drive a terminal.
pub fn clean(s: &str) -> Cow<'_, str> {
    let bad = |c: char| c.is_control() || c == '\u{2028}' || c == '\u{2029}';
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\t' => ' ',
                c if bad(c) => '\u{FFFD}',
                c => c,
            })
            .collect(),
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

/// A table: a heading row, body rows and an optional total row below a rule.
struct Table {
    aligns: Vec<Align>,
    head: Vec<String>,
    body: Vec<Vec<String>>,
    total: Option<Vec<String>>,
}

fn counts_cells(c: &Counts) -> impl Iterator<Item = String> + '_ {
    std::iter::once(c.sum().to_string()).chain(Status::ALL.iter().map(|s| c.get(*s).to_string()))
}

fn daily_table(report: &Report, l: &Labels) -> Table {
    let lang = report.header.lang;
    let mut head = vec![l.day.to_string(), l.sum.to_string()];
    head.extend(
        Status::ALL
            .iter()
            .map(|s| status_label(*s, lang).to_string()),
    );
    let mut aligns = vec![Align::Left];
    aligns.extend([Align::Right; 7]);
    let body = report
        .daily
        .days
        .iter()
        .map(|d| {
            std::iter::once(d.date.format(DATE_FORMAT).to_string())
                .chain(counts_cells(&d.counts))
                .collect()
        })
        .collect();
    let total = std::iter::once(l.total.to_string())
        .chain(counts_cells(&report.daily.total))
        .collect();
    Table {
        aligns,
        head,
        body,
        total: Some(total),
    }
}

fn detail_table(report: &Report, l: &Labels) -> Table {
    let head = [
        l.no,
        l.sender_ip,
        l.smtp_relay,
        l.time,
        l.queue_id,
        l.recipient,
        l.status,
        l.dsn,
        l.response,
    ]
    .map(str::to_string)
    .to_vec();
    let mut aligns = vec![Align::Right];
    aligns.extend([Align::Left; 8]);
    let cell = |v: Option<&str>| clean(v.unwrap_or(EMPTY)).into_owned();
    let body = report
        .rows
        .iter()
        .map(|row| {
            let r = &row.record;
            vec![
                row.no.to_string(),
                cell(r.sender_ip.as_deref()),
                cell(Some(&r.smtp_relay)),
                row.time.format(TIME_FORMAT).to_string(),
                cell(Some(&r.queue_id)),
                cell(recipient_cell(r).as_deref()),
                r.status.as_str().to_string(),
                cell(r.dsn.as_deref()),
                cell(response_message(r).as_deref()),
            ]
        })
        .collect();
    Table {
        aligns,
        head,
        body,
        total: None,
    }
}

fn write_table<W: Write + ?Sized>(out: &mut W, t: &Table) -> io::Result<()> {
    let n = t.head.len();
    let mut widths: Vec<usize> = t.head.iter().map(|c| display_width(c)).collect();
    for row in t.body.iter().chain(t.total.iter()) {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(display_width(c));
        }
    }
    // A left-aligned last column is not padded; its rule is as wide as its heading.
    if t.aligns[n - 1] == Align::Left {
        widths[n - 1] = display_width(&t.head[n - 1]);
    }
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    let write_row = |out: &mut W, cells: &[String], aligns: &[Align]| -> io::Result<()> {
        let mut line = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                line.push_str(GAP);
            }
            let pad = widths[i].saturating_sub(display_width(cell));
            let last = i + 1 == cells.len();
            match aligns[i] {
                Align::Right => {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                }
                Align::Left => {
                    line.push_str(cell);
                    if !last {
                        line.push_str(&" ".repeat(pad));
                    }
                }
            }
        }
        writeln!(out, "{}", line.trim_end())
    };
    let left = vec![Align::Left; n];
    write_row(out, &t.head, &left)?;
    write_row(out, &rule, &left)?;
    for row in &t.body {
        write_row(out, row, &t.aligns)?;
    }
    if let Some(total) = &t.total {
        write_row(out, &rule, &left)?;
        write_row(out, total, &t.aligns)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_characters_take_two_columns() {
        assert_eq!(display_width("Date"), 4);
        assert_eq!(display_width("日期 Date"), 9);
        assert_eq!(display_width("："), 2);
    }

    #[test]
    fn control_characters_are_replaced() {
        assert_eq!(clean("plain"), Cow::Borrowed("plain"));
        assert_eq!(clean("a\tb"), "a b");
        assert_eq!(
            clean("a\nb\x1b[31mc\u{85}d"),
            "a\u{FFFD}b\u{FFFD}[31mc\u{FFFD}d"
        );
    }
}
