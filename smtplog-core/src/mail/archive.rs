//! `report.zip`: the attachment of a report too large to mail inline. It holds the same
//! report three times, each made by its renderer in [`crate::report`]: `report.txt`
//! (text), `report.html` (HTML) and `report.csv` (the records, with a byte-order mark,
//! labelled columns and the formula guard, since a spreadsheet is where it is opened).
//! Entries are deflated and dated with the report's generation time in its zone, so the
//! same report gives the same bytes.

use std::io::{Cursor, Write};

use chrono::{Datelike, Timelike};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::MailError;
use crate::report::csv::CsvOptions;
use crate::report::{self, Footer, Report};

/// The attachment's file name.
pub const ZIP_NAME: &str = "report.zip";
/// The text entry's name.
pub const TEXT_NAME: &str = "report.txt";
/// The HTML entry's name.
pub const HTML_NAME: &str = "report.html";
/// The CSV entry's name.
pub const CSV_NAME: &str = "report.csv";

/// How the CSV entry is written.
pub const CSV_OPTIONS: CsvOptions = CsvOptions {
    bom: true,
    labels: true,
    formula_guard: true,
};

/// The report rendered in the three forms the mail carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The text form.
    pub text: Vec<u8>,
    /// The HTML form.
    pub html: Vec<u8>,
    /// The CSV form ([`CSV_OPTIONS`]).
    pub csv: Vec<u8>,
}

impl Rendered {
    /// Renders `report` with `footer`.
    pub fn new(report: &Report, footer: &Footer) -> Result<Rendered, MailError> {
        let mut text = Vec::new();
        report::text::render(report, footer, &mut text)?;
        let mut html = Vec::new();
        report::html::render(report, footer, &mut html)?;
        let mut csv = Vec::new();
        report::csv::render(report, &CSV_OPTIONS, &mut csv)?;
        Ok(Rendered { text, html, csv })
    }
}

/// The bytes of `report.zip` holding `rendered`, its entries dated `report`'s
/// generation time (in its zone; times before 1980 are dated 1980-01-01).
pub fn build(report: &Report, rendered: &Rendered) -> Result<Vec<u8>, MailError> {
    let zip_err = |e: zip::result::ZipError| MailError::Zip(e.to_string());
    let t = report.header.generated.with_timezone(&report.header.zone);
    let modified = zip::DateTime::from_date_and_time(
        u16::try_from(t.year()).unwrap_or(1980),
        t.month() as u8,
        t.day() as u8,
        t.hour() as u8,
        t.minute() as u8,
        t.second() as u8,
    )
    .unwrap_or_default();
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(modified)
        .unix_permissions(0o644);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in [
        (TEXT_NAME, &rendered.text),
        (HTML_NAME, &rendered.html),
        (CSV_NAME, &rendered.csv),
    ] {
        zip.start_file(name, options).map_err(zip_err)?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish().map_err(zip_err)?.into_inner())
}
