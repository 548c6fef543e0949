//! Ingest throughput, per stage: parse + time + correlate (no database), and the whole
//! ingest (parse, correlate, commit to a SQLite file), over 300,000 generated lines
//! (about 0.30 records per line). The whole ingest also runs over a real relay's log
//! repeated to 300,000 lines (about 0.17 records per line), the density of production
//! logs. Each reports lines per second and bytes per second, so a regression names its
//! stage.
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

/// The allocator of the `smtplog` binary, so the bench measures what the command does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

/// A real relay's log (a test fixture) repeated to [`LINES`] lines.
fn real_log() -> Vec<u8> {
    let one: &[u8] =
        include_bytes!("../tests/fixtures/corpus/kdent__postfix_log_analysis__mail.log");
    let mut out = Vec::with_capacity(LINES * 200);
    let mut lines = 0;
    while lines < LINES {
        for line in one.split_inclusive(|b| *b == b'\n') {
            if lines == LINES {
                break;
            }
            out.extend_from_slice(line);
            lines += 1;
        }
    }
    out
}

/// The whole ingest of `text` into a new SQLite file; returns the records stored.
fn ingest_whole(text: &[u8], year: i32) -> u64 {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(&dir.path().join("bench.db")).expect("store");
    let mut options = IngestOptions::new(chrono_tz::UTC);
    options.year = Some(year);
    let input = Input {
        name: "bench".into(),
        reader: Box::new(Cursor::new(text.to_vec())),
        complete: true,
        ends_near: (year, 12),
    };
    ingest(&mut store, vec![input], &options, &mut Silent)
        .expect("ingest")
        .records
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
            b.iter(|| black_box(ingest_whole(&text, 2026)));
        });
        group.finish();
    }
}

fn real(c: &mut Criterion) {
    let text = real_log();
    let mut group = c.benchmark_group("ingest_lines");
    group.throughput(Throughput::Elements(LINES as u64));
    group.sample_size(10);
    group.bench_function("whole_into_sqlite_real_log", |b| {
        b.iter(|| black_box(ingest_whole(&text, 2024)));
    });
    group.finish();
}

criterion_group!(benches, stages, real);
criterion_main!(benches);
