//! `smtplog query`: one sender's report over a date range, printed in one of the four
//! formats (text, HTML, CSV, JSON) and two languages. The report itself is the core's
//! (`smtplog_core::report`); this file only reads the arguments and picks the renderer.

use std::io::{self, BufWriter, Write};
use std::net::IpAddr;

use chrono::Utc;
use clap::{Args, ValueEnum};
use smtplog_core::report::csv::CsvOptions;
use smtplog_core::report::{self, Footer, Lang};

use crate::database::open_reading;
use crate::inputs::zone;
use crate::sender_days::SenderDays;
use crate::{Cli, Failure};

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Plain text laid out like the mailed report.
    Text,
    /// One self-contained HTML page.
    Html,
    /// CSV (RFC 4180), one row per record.
    Csv,
    /// CSV of the daily table (one row per day, then the total).
    CsvDaily,
    /// The JSON contract ("schema": 1).
    Json,
}

#[derive(Args, Debug)]
#[command(after_help = "\
The report covers whole calendar days of the time zone (--tz), both ends included. \
--client-ip is the address shown as \"Client IP\" in the header: who asked for the \
report. It defaults to 127.0.0.1, the value the mailed warnings use for reports that \
nobody asked for, here meaning \"asked on this host\". Exit code 1 when the range ends \
before it begins.")]
pub(crate) struct QueryArgs {
    #[command(flatten)]
    days: SenderDays,
    /// The output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The language of the labels: zh_TW (Chinese with English) or en.
    #[arg(long, default_value = "zh_TW", value_parser = parse_lang)]
    lang: Lang,
    /// The IP address shown as the client that asked for the report.
    #[arg(long, default_value = "127.0.0.1")]
    client_ip: IpAddr,
    /// The contact link of the footer (a web page or mailto: address).
    #[arg(long)]
    contact_url: Option<String>,
    /// CSV: start with a UTF-8 byte-order mark (for spreadsheet programs).
    #[arg(long)]
    bom: bool,
    /// CSV: head the columns with the language's labels instead of field names.
    #[arg(long)]
    csv_labels: bool,
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    s.parse::<Lang>().map_err(|e| e.to_string())
}

pub(crate) fn run(cli: &Cli, args: &QueryArgs) -> Result<(), Failure> {
    let tz = zone(cli.tz.as_deref(), None)?;
    let query = args.days.query(tz)?;
    let store = open_reading(&cli.db)?;
    let report = report::build(&store, &query, args.client_ip, args.lang, Utc::now())?;
    let footer = Footer {
        contact_url: args.contact_url.clone(),
        ..Footer::default()
    };
    let csv = CsvOptions {
        bom: args.bom,
        labels: args.csv_labels,
        formula_guard: false,
    };
    let mut out = BufWriter::new(io::stdout().lock());
    match args.format {
        Format::Text => report::text::render(&report, &footer, &mut out)?,
        Format::Html => report::html::render(&report, &footer, &mut out)?,
        Format::Csv => report::csv::render(&report, &csv, &mut out)?,
        Format::CsvDaily => report::csv::render_daily(&report, &csv, &mut out)?,
        Format::Json => report::json::render(&report, &mut out)?,
    }
    out.flush()?;
    Ok(())
}
