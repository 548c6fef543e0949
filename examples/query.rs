//! One sender's days and records, as `smtplog stats` and `smtplog query` show them.
//!
//! Run: `cargo run -p smtplog-examples --example query`

use smtplog_core::chrono::{NaiveDate, Utc};
use smtplog_core::{IngestOptions, Input, Query, Silent, Store, ingest};

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

    let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).expect("a day");
    let query = Query::new("alice@dept.example.edu", day(28), day(29), zone)?;
    query.daily(&store)?.write_tsv(&mut std::io::stdout())?;
    for stored in query.records(&store)?.iter().take(5) {
        let r = &stored.record;
        println!(
            "{}  {:8}  {}  {}",
            r.time.with_timezone(&zone).format("%H:%M:%S"),
            r.status,
            r.recipient.as_deref().unwrap_or("-"),
            r.response.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}
