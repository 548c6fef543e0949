//! Render one sender's report in each form: the text laid out for mail, HTML (every
//! logged text escaped), CSV and the versioned JSON.
//!
//! Run: `cargo run -p smtplog-examples --example render`

use smtplog_core::chrono::{NaiveDate, TimeZone, Utc};
use smtplog_core::report::csv::CsvOptions;
use smtplog_core::report::{self, Footer};
use smtplog_core::{IngestOptions, Input, Lang, Query, Silent, Store, ingest};

#[allow(clippy::print_stdout)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let zone = smtplog_core::chrono_tz::Asia::Taipei;
    let mut store = Store::open_in_memory()?;
    let mut options = IngestOptions::new(zone);
    options.year = Some(2026);
    let log = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/sample.log"));
    ingest(
        &mut store,
        vec![Input::open(log, Utc::now())?],
        &options,
        &mut Silent,
    )?;

    let day = NaiveDate::from_ymd_opt(2026, 11, 28).expect("a day");
    let query = Query::new("carol@example.edu", day, day, zone)?;
    let generated = Utc.with_ymd_and_hms(2026, 11, 29, 1, 0, 0).unwrap();
    let report = report::build(&store, &query, [127, 0, 0, 1].into(), Lang::En, generated)?;

    let mut text = Vec::new();
    report::text::render(&report, &Footer::default(), &mut text)?;
    println!("{}", String::from_utf8_lossy(&text));
    let mut html = Vec::new();
    report::html::render(&report, &Footer::default(), &mut html)?;
    let mut csv = Vec::new();
    report::csv::render(&report, &CsvOptions::default(), &mut csv)?;
    let mut json = Vec::new();
    report::json::render(&report, &mut json)?;
    println!(
        "HTML {} bytes, CSV {} lines, JSON {} bytes",
        html.len(),
        csv.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count(),
        json.len()
    );
    Ok(())
}
