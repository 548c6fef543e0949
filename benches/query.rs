//! The report query at scale: one sender's 31-day report (`report::build`, then the JSON
//! renderer) on a store holding over ten million records, a few thousand senders spread
//! over a year. This is what the query page and `smtplog query` pay per request.
//!
//! The store is synthetic (records inserted directly through `Store::commit`, one
//! transaction per 500,000 records, not through the parser) because what is measured
//! here is the read path; building it takes minutes, so it is built once and kept in
//! `benches/cache/` (git-ignored). A store left half-built by an interrupted run lacks
//! its completion mark and is rebuilt. Set `SMTPLOG_BENCH_RECORDS` to change the size
//! (the cache file's name includes it).
//!
//! Also `anomalies_one_day`: `anomaly::on_day` (every sender of one day against their
//! previous 30 days, as `smtplog anomalies --day D` does) on the same store.
//!
//! Run: `cargo bench -p smtplog-benches --bench query`; the medians are in
//! `target/criterion/query/{report_31_days_json,anomalies_one_day}/new/estimates.json`.

// A bench talks to whoever runs it: the store's build progress goes to stderr.
#![allow(clippy::print_stderr)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use smtplog_core::anomaly;
use smtplog_core::query::Query;
use smtplog_core::record::{Record, Status};
use smtplog_core::report::{self, Lang};
use smtplog_core::store::Store;

/// Records in the store (default).
const RECORDS: u64 = 10_500_000;
/// Distinct senders.
const SENDERS: u64 = 4_000;
/// Records per committed transaction.
const BATCH: u64 = 500_000;
/// The span the records cover.
const DAYS: i64 = 365;
/// Bump when the synthetic data or the store's table layout changes, so old caches are
/// not reused (2: the `sasl_owner` column; 3: messages, owner addresses, record spans;
/// 4: records packed into their message rows).
const VERSION: u32 = 4;
/// The generator's seed (the data is that of version 3).
const SEED: u64 = 0x5EED_0003;

fn zone() -> chrono_tz::Tz {
    "Asia/Taipei".parse().expect("zone")
}

/// SplitMix64: a tiny deterministic generator, so every build of the store is the same.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn sender(i: u64) -> String {
    format!("user{i:05}@dept{}.example.edu.tw", i % 17)
}

/// The `k`-th of `n` records: times increase with `k` (as ingest writes them), senders
/// and statuses are drawn at random with a realistic mix.
fn record(rng: &mut Rng, k: u64, n: u64, start: DateTime<Utc>) -> Record {
    let span_ms = DAYS * 86_400_000;
    let time_ms = start.timestamp_millis() + (k as i64) * span_ms / n as i64;
    let s = rng.below(SENDERS);
    let email = sender(s);
    let roll = rng.below(1000);
    let status = match roll {
        0..=699 => Status::Sent,
        700..=799 => Status::Deferred,
        800..=849 => Status::Bounced,
        850..=969 => Status::AuthRcv,
        970..=979 => Status::Expired,
        _ => Status::AuthBlk,
    };
    let sasl = (!s.is_multiple_of(5)).then(|| email.clone());
    let qid = format!("{:010X}", k.wrapping_mul(2_654_435_761) & 0xFF_FFFF_FFFF);
    let rcpt = format!("r{}@remote{}.example", rng.below(100_000), rng.below(500));
    let (recipient, dsn, relay, response) = match status {
        Status::AuthRcv => (None, None, None, None),
        Status::AuthBlk => (
            Some(rcpt),
            Some("5.7.1".to_string()),
            None,
            Some("554 5.7.1 Relay access denied".to_string()),
        ),
        _ => {
            let (dsn, resp) = match status {
                Status::Sent => (
                    "2.0.0",
                    format!("250 2.0.0 Ok: queued as {:X}", rng.next() >> 24),
                ),
                Status::Deferred | Status::Expired => (
                    "4.7.1",
                    "451 4.7.1 Greylisted, please try again later".to_string(),
                ),
                _ => (
                    "5.1.1",
                    "550 5.1.1 User unknown in virtual mailbox table".to_string(),
                ),
            };
            (
                Some(rcpt),
                Some(dsn.to_string()),
                Some(format!(
                    "mx{}.remote.example[198.51.100.{}]:25",
                    rng.below(4),
                    rng.below(250)
                )),
                Some(resp),
            )
        }
    };
    Record {
        time: DateTime::from_timestamp_millis(time_ms).expect("time"),
        smtp_relay: format!("smtp{}", 1 + rng.below(4)),
        instance: "postfix".to_string(),
        queue_id: if status == Status::AuthBlk {
            "NOQUEUE".to_string()
        } else {
            qid
        },
        sender: Some(email),
        sender_ip: Some(format!("140.114.{}.{}", rng.below(256), rng.below(256))),
        sasl_user: sasl,
        recipient,
        orig_recipient: None,
        status,
        dsn,
        relay,
        delay: Some((rng.below(5000) as f64) / 1000.0),
        response,
        message_id: Some(format!("<{k}.{s}@example.edu.tw>")),
        orphan: false,
    }
}

fn start() -> DateTime<Utc> {
    zone()
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .expect("start")
        .with_timezone(&Utc)
}

/// The cached store, built when missing or incomplete.
fn store(n: u64) -> Store {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cache");
    std::fs::create_dir_all(&dir).expect("cache dir");
    let path = dir.join(format!("query-v{VERSION}-{n}.db"));
    let mark = format!("v{VERSION}:{n}");
    // Written beside the database once it is whole.
    let complete = dir.join(format!("query-v{VERSION}-{n}.complete"));
    if path.exists() {
        let store = Store::open(&path).expect("open cached store");
        if std::fs::read_to_string(&complete).ok().as_deref() == Some(mark.as_str()) {
            return store;
        }
        drop(store);
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
        }
    }
    eprintln!(
        "building {} ({n} records; once, then cached)",
        path.display()
    );
    let began = Instant::now();
    let mut store = Store::open(&path).expect("create store");
    let mut rng = Rng(SEED);
    let start = start();
    let mut k = 0;
    while k < n {
        let end = (k + BATCH).min(n);
        store
            .append((k..end).map(|i| record(&mut rng, i, n, start)).collect())
            .expect("append");
        k = end;
        eprintln!("  {k} records, {:.0?}", began.elapsed());
    }
    std::fs::write(&complete, &mark).expect("mark");
    eprintln!("built in {:.1?}", began.elapsed());
    store
}

fn bench(c: &mut Criterion) {
    let n = std::env::var("SMTPLOG_BENCH_RECORDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(RECORDS);
    let store = store(n);
    let query = Query {
        email: sender(42),
        begin: NaiveDate::from_ymd_opt(2025, 6, 1).expect("date"),
        end: NaiveDate::from_ymd_opt(2025, 7, 1).expect("date"),
        zone: zone(),
    };
    let generated = start();
    let probe =
        report::build(&store, &query, [127, 0, 0, 1].into(), Lang::ZhTw, generated).expect("query");
    eprintln!(
        "store: {} records; report of {}: {} records over {} days",
        store.count_records().expect("count"),
        query.email,
        probe.rows.len(),
        probe.daily.days.len()
    );
    let mut group = c.benchmark_group("query");
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("report_31_days_json", |b| {
        let mut out = Vec::with_capacity(1 << 20);
        b.iter(|| {
            out.clear();
            let r = report::build(&store, &query, [127, 0, 0, 1].into(), Lang::ZhTw, generated)
                .expect("query");
            report::json::render(&r, &mut out).expect("render");
            black_box(out.len())
        })
    });
    let day = NaiveDate::from_ymd_opt(2025, 7, 1).expect("date");
    let t = anomaly::Thresholds::default();
    let began = Instant::now();
    let flags = anomaly::on_day(&store, day, zone(), &t).expect("anomalies");
    eprintln!(
        "anomalies of {day}: {} senders flagged, first run {:.0?}",
        flags.len(),
        began.elapsed()
    );
    group.bench_function("anomalies_one_day", |b| {
        b.iter(|| {
            black_box(
                anomaly::on_day(&store, day, zone(), &t)
                    .expect("anomalies")
                    .len(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
