//! Reports: a sender's history as the people and programs who read it see it.
//!
//! A report is plain data ([`Report`]) made by one query (`build`): the header (whose
//! history, which days, who asked, in which language and zone, when it was made), the
//! daily table and the records in time order. Renderers are free functions over that data
//! that write to any [`std::io::Write`]: [`text`] (the mailed report's layout),
//! [`html`] (one self-contained page), [`csv`] (RFC 4180) and [`json`] (the versioned
//! machine contract). Keeping the query apart from the rendering means every format shows
//! the same rows, and a renderer can be tested without a database.
//!
//! `trace` is the administrators' view of one message, kept here because it renders
//! stored records the same way.
//!
//! `build` and `trace` read the store: they need the `store` feature; [`Report::new`] and
//! the renderers do not.
//!
//! ```
//! use chrono::{NaiveDate, TimeZone, Utc};
//! use smtplog_core::query::Query;
//! use smtplog_core::report::{self, Footer, Lang};
//! use smtplog_core::store::Store;
//!
//! let store = Store::open_in_memory()?;
//! let query = Query {
//!     email: "alice@example.edu".into(),
//!     begin: NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
//!     end: NaiveDate::from_ymd_opt(2024, 3, 3).unwrap(),
//!     zone: "Asia/Taipei".parse().unwrap(),
//! };
//! let generated = Utc.with_ymd_and_hms(2024, 3, 4, 0, 0, 0).unwrap();
//! let report = report::build(&store, &query, [127, 0, 0, 1].into(), Lang::En, generated)?;
//! assert_eq!(report.daily.days.len(), 3);
//! let mut out = Vec::new();
//! report::text::render(&report, &Footer::default(), &mut out)?;
//! assert!(String::from_utf8(out)?.contains("2024/03/01 to 2024/03/03"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod csv;
pub mod html;
pub mod json;
mod labels;
pub mod text;
#[cfg(feature = "store")]
pub mod trace;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

#[cfg(feature = "store")]
use crate::query::Query;
use crate::record::Record;
use crate::stats::DailyTable;
#[cfg(feature = "store")]
use crate::store::{self, Store};

pub use labels::status_label;

/// The language of a report's labels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Lang {
    /// Traditional Chinese with English beside each label, as the modelled service's mail
    /// has them.
    #[default]
    ZhTw,
    /// English only.
    En,
}

impl Lang {
    /// Every language.
    pub const ALL: [Lang; 2] = [Lang::ZhTw, Lang::En];

    /// The name used in reports and on the command line: `zh_TW` or `en`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Lang::ZhTw => "zh_TW",
            Lang::En => "en",
        }
    }

    /// The BCP 47 tag for HTML's `lang` attribute.
    pub fn bcp47(&self) -> &'static str {
        match self {
            Lang::ZhTw => "zh-Hant-TW",
            Lang::En => "en",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing an unknown language name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language {0:?} (expected zh_TW or en)")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;

    /// Parses `zh_TW` or `en`, ignoring case and accepting `-` for `_` (`zh-tw`, `en-US`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace('-', "_");
        match norm.as_str() {
            "zh_tw" | "zh_hant" | "zh_hant_tw" => Ok(Lang::ZhTw),
            "en" => Ok(Lang::En),
            _ if norm.starts_with("en_") => Ok(Lang::En),
            _ => Err(UnknownLang(s.to_string())),
        }
    }
}

/// Who and what a report is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The queried address, as it was asked for.
    pub email: String,
    /// The first day.
    pub begin: NaiveDate,
    /// The last day (inclusive).
    pub end: NaiveDate,
    /// The IP address of the client that asked (`127.0.0.1` for automatic warnings).
    pub client_ip: String,
    /// The language of the labels.
    pub lang: Lang,
    /// The zone of the days and of every time shown.
    pub zone: Tz,
    /// When the report was made (passed in by the caller: the core reads no clock).
    pub generated: DateTime<Utc>,
}

impl Header {
    /// The date range as the report writes it (`2020/02/09 至 2020/02/15 的寄信紀錄`).
    pub fn range_text(&self) -> String {
        let l = labels::labels(self.lang);
        format!(
            "{}{}{}{}",
            self.begin.format(text::DATE_FORMAT),
            l.to,
            self.end.format(text::DATE_FORMAT),
            l.range_end
        )
    }

    /// The generation time in the report's zone, as the report writes it.
    pub fn generated_text(&self) -> String {
        self.generated
            .with_timezone(&self.zone)
            .format(text::TIME_FORMAT)
            .to_string()
    }
}

/// One row of the detail table.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The 1-based row number ("No.").
    pub no: usize,
    /// The record's time in the report's zone.
    pub time: DateTime<Tz>,
    /// The record.
    pub record: Record,
}

/// A sender's history over a range of days: everything a renderer shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// Whose history, which days, who asked.
    pub header: Header,
    /// Every day of the range, zeros included, and the total.
    pub daily: DailyTable,
    /// The records, in time order.
    pub rows: Vec<Row>,
}

impl Report {
    /// The report of `records` (in time order) under `header`. The daily table is
    /// counted from the same records, so each day's Sum is its number of detail rows;
    /// records outside the header's days are left out of both.
    pub fn new(header: Header, records: impl IntoIterator<Item = Record>) -> Report {
        let zone = header.zone;
        let rows: Vec<Row> = records
            .into_iter()
            .filter(|r| {
                let d = r.time.with_timezone(&zone).date_naive();
                d >= header.begin && d <= header.end
            })
            .enumerate()
            .map(|(i, record)| Row {
                no: i + 1,
                time: record.time.with_timezone(&zone),
                record,
            })
            .collect();
        let daily = DailyTable::build(
            rows.iter().map(|r| (r.record.time, r.record.status)),
            header.begin,
            header.end,
            zone,
        );
        Report {
            header,
            daily,
            rows,
        }
    }
}

/// Builds the report of `query` from `store`: one read of the sender's records, from
/// which both tables come. `client_ip` is the address of whoever asked (`127.0.0.1` for
/// automatic warnings), `generated` the time to show as the report's making.
#[cfg(feature = "store")]
pub fn build(
    store: &Store,
    query: &Query,
    client_ip: std::net::IpAddr,
    lang: Lang,
    generated: DateTime<Utc>,
) -> store::Result<Report> {
    let records = query.records(store)?;
    let header = Header {
        email: query.email.clone(),
        begin: query.begin,
        end: query.end,
        client_ip: client_ip.to_string(),
        lang,
        zone: query.zone,
        generated,
    };
    Ok(Report::new(header, records.into_iter().map(|s| s.record)))
}

/// The closing lines of a mailed report: sent automatically, do not reply, whom to ask.
/// Until the configuration supplies them, every field may be left out and the footer
/// still says the first two things.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Footer {
    /// The service's name; default: 寄信紀錄查詢系統 / SMTP Log Query System.
    pub service_name: Option<String>,
    /// Where to ask questions (a web page or `mailto:` link).
    pub contact_url: Option<String>,
    /// The query page's address.
    pub query_url: Option<String>,
    /// The page that explains the service.
    pub help_url: Option<String>,
}

impl Footer {
    /// The footer's lines in `lang`, as plain text (links written out in `<...>`).
    pub fn lines(&self, lang: Lang) -> Vec<FooterLine> {
        labels::footer_lines(self, lang)
    }
}

/// One line of a footer: text, optionally followed by a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FooterLine {
    /// The words.
    pub text: String,
    /// A link shown after the words, if any.
    pub link: Option<String>,
    /// Words after the link (closing punctuation).
    pub after: &'static str,
}

/// The text of a record's response column as the mailed report shows it: the remote
/// relay and, in parentheses, its response
/// (`mx.example.org[192.0.2.1]:25 (250 2.0.0 Ok)`); just the response when there was no
/// remote relay (`relay=none`, refused submissions).
pub fn response_message(r: &Record) -> Option<String> {
    let relay = r.relay.as_deref().filter(|x| !x.is_empty() && *x != "none");
    match (relay, r.response.as_deref()) {
        (Some(relay), Some(resp)) => Some(format!("{relay} ({resp})")),
        (Some(relay), None) => Some(relay.to_string()),
        (None, Some(resp)) => Some(resp.to_string()),
        (None, None) => None,
    }
}

/// The recipient column: the recipient, with the original recipient it was expanded from
/// (`alias@example.org → person@example.org`).
pub fn recipient_cell(r: &Record) -> Option<String> {
    match (&r.orig_recipient, &r.recipient) {
        (Some(orig), Some(rcpt)) if orig != rcpt => Some(format!("{orig} → {rcpt}")),
        (_, Some(rcpt)) => Some(rcpt.clone()),
        (Some(orig), None) => Some(orig.clone()),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_parse_from_their_usual_spellings() {
        for s in ["zh_TW", "zh-TW", "zh_tw", "ZH-tw", "zh-Hant"] {
            assert_eq!(s.parse::<Lang>(), Ok(Lang::ZhTw), "{s}");
        }
        for s in ["en", "EN", "en_US", "en-GB"] {
            assert_eq!(s.parse::<Lang>(), Ok(Lang::En), "{s}");
        }
        for s in ["", "fr", "zh", "zh_CN", "english"] {
            assert!(s.parse::<Lang>().is_err(), "{s}");
        }
        for l in Lang::ALL {
            assert_eq!(l.as_str().parse::<Lang>(), Ok(l));
        }
    }
}
