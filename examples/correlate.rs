//! Correlate a log without any database: parse each line, give it its year and zone, and
//! let the correlator hand every record to a sink of your own — here, one that counts
//! records per sender and status.
//!
//! Run: `cargo run -p smtplog-examples --example correlate`

use std::collections::BTreeMap;

use smtplog_core::correlate::Relink;
use smtplog_core::correlate::Retract;
use smtplog_core::parse::decode;
use smtplog_core::{Correlator, Limits, Parsed, RecordRef, Sink, YearPolicy, YearResolver};

/// Records per (sender, status), and the `sent` records a pipe filter's hop took back.
#[derive(Default)]
struct Tally(BTreeMap<(String, &'static str), u64>, u64);

impl Sink for Tally {
    fn record(&mut self, record: RecordRef<'_>) {
        let sender = record.sender.unwrap_or("(nobody)").to_string();
        *self.0.entry((sender, record.status.as_str())).or_default() += 1;
    }

    // Fix-ups of records already handed over: a sink that keeps records would apply them.
    fn relink(&mut self, _relink: Relink) {}

    // A `sent` record handed over earlier turned out to be a pipe filter's hop.
    fn retract(&mut self, _retract: Retract) {
        self.1 += 1;
    }
}

#[allow(clippy::print_stdout)]
fn main() {
    let log = include_str!("sample.log");
    let mut years = YearResolver::new(
        smtplog_core::chrono_tz::Asia::Taipei,
        YearPolicy::Starting(2026),
    );
    let mut correlator = Correlator::new(Limits::default());
    let mut tally = Tally::default();
    for line in log.lines() {
        let text = decode(line.as_bytes());
        if let Parsed::Entry(entry) = smtplog_core::parse_line(&text)
            && let Some(time) = years.resolve(&entry.header.time)
        {
            correlator.feed(time, &entry, &mut tally);
        }
    }
    for ((sender, status), n) in &tally.0 {
        println!("{sender:32} {status:9} {n}");
    }
    println!(
        "{} sent records taken back, {} messages still in the queue",
        tally.1,
        correlator.pending()
    );
}
