//! Fuzzes the parser and the correlator together on a short sequence of lines (at most
//! 64): each line is parsed, given its year and zone, and fed to a correlator with small
//! limits, whose records, fix-ups and state changes must come without a panic; then the
//! saved state is restored into a new correlator, which must take the same lines again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtplog_core::parse::decode;
use smtplog_core::{Correlator, Limits, Output, Parsed, YearPolicy, YearResolver, parse_line};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_pending: 16,
        ..Limits::default()
    };
    let mut years = YearResolver::new(
        smtplog_core::chrono_tz::Asia::Taipei,
        YearPolicy::Starting(2026),
    );
    let mut correlator = Correlator::new(limits);
    let mut out: Vec<Output> = Vec::new();
    let lines: Vec<&[u8]> = data.split(|b| *b == b'\n').take(64).collect();
    for raw in &lines {
        let text = decode(raw);
        if let Parsed::Entry(entry) = parse_line(&text)
            && let Some(time) = years.resolve(&entry.header.time)
        {
            correlator.feed(time, &entry, &mut out);
        }
    }
    // What a batch would save, restored as the next run restores it.
    let saved: Vec<_> = correlator
        .take_changes()
        .into_iter()
        .filter_map(|(key, state)| Some((key, state?)))
        .collect();
    let mut again = Correlator::restore(limits, saved);
    for raw in &lines {
        let text = decode(raw);
        if let Parsed::Entry(entry) = parse_line(&text)
            && let Some(time) = years.resolve(&entry.header.time)
        {
            again.feed(time, &entry, &mut out);
        }
    }
});
