//! Ingest throughput, per stage: parse + time + correlate (no database), and the whole
//! ingest (parse, correlate, commit to a SQLite file), over 300,000 generated lines.
//! Both report lines per second and bytes per second, so a regression names its stage.
//!
//! ```text
//! cargo bench -p smtplog-benches --bench ingest -- --warm-up-time 1 --measurement-time 10
//! ```

use std::hint::black_box;
use std::io::Cursor;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smtplog_benches::generator::{GenConfig, TimeFormat, generate};
use smtplog_core::correlate::{Correlator, Limits};
use smtplog_core::ingest::{IngestOptions, Input, Silent, ingest};
use smtplog_core::parse::{Parsed, decode, parse_line};
use smtplog_core::store::Store;
use smtplog_core::timestamp::{YearPolicy, YearResolver};

const LINES: usize = 300_000;

fn log() -> Vec<u8> {
    let cfg = GenConfig {
        lines: LINES,
        format: TimeFormat::Mixed,
        ..GenConfig::default()
    };
    let mut out = Vec::with_capacity(LINES * 200);
    generate(&cfg, &mut out).expect("generating into memory");
    out
}

fn stages(c: &mut Criterion) {
    let text = log();
    let lines = text
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count() as u64;
    for (unit, throughput) in [
        ("lines", Throughput::Elements(lines)),
        ("bytes", Throughput::Bytes(text.len() as u64)),
    ] {
        let mut group = c.benchmark_group(format!("ingest_{unit}"));
        group.throughput(throughput);
        group.sample_size(10);
        group.bench_function("parse_correlate", |b| {
            b.iter(|| {
                let mut years = YearResolver::new(chrono_tz::UTC, YearPolicy::Starting(2026));
                let mut correlator = Correlator::new(Limits::default());
                let mut out = Vec::new();
                let mut records = 0usize;
                for raw in text.split(|b| *b == b'\n') {
                    let line = decode(raw);
                    if let Parsed::Entry(entry) = parse_line(&line)
                        && let Some(t) = years.resolve(&entry.header.time)
                    {
                        correlator.feed(t, &entry, &mut out);
                        records += out.len();
                        out.clear();
                    }
                }
                black_box((records, correlator.take_changes().len()))
            });
        });
        group.bench_function("whole_into_sqlite", |b| {
            b.iter(|| {
                let dir = tempfile::tempdir().expect("temp dir");
                let mut store = Store::open(&dir.path().join("bench.db")).expect("store");
                let mut options = IngestOptions::new(chrono_tz::UTC);
                options.year = Some(2026);
                let input = Input {
                    name: "generated".into(),
                    reader: Box::new(Cursor::new(text.clone())),
                    complete: true,
                    ends_near: (2026, 12),
                };
                let summary =
                    ingest(&mut store, vec![input], &options, &mut Silent).expect("ingest");
                black_box(summary.records)
            });
        });
        group.finish();
    }
}

criterion_group!(benches, stages);
criterion_main!(benches);
