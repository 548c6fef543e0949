//! Ingest a log file into a SQLite database, as `smtplog ingest` does: incrementally (a
//! second run over the same file adds nothing) and under the database's ingest lock.
//!
//! Run: `cargo run -p smtplog-examples --example ingest`

use smtplog_core::chrono::Utc;
use smtplog_core::{IngestOptions, Input, Silent, Store, ingest};

#[allow(clippy::print_stdout)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let log = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/sample.log"));
    let db = std::env::temp_dir().join(format!("smtplog-example-{}.db", std::process::id()));
    let mut store = Store::open(&db)?;
    let mut options = IngestOptions::new(smtplog_core::chrono_tz::Asia::Taipei);
    options.year = Some(2026);
    for run in 1..=2 {
        let input = Input::open(log, Utc::now())?;
        let summary = ingest(&mut store, vec![input], &options, &mut Silent)?;
        println!(
            "run {run}: {} lines read, {} records stored, {} messages still queued",
            summary.parse.lines, summary.records, summary.pending
        );
    }
    drop(store);
    for suffix in ["", "-wal", "-shm", ".ingest-lock"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    Ok(())
}
