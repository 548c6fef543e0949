//! Logs written by a real Postfix (tests/fixtures/postfix, made by
//! scripts/postfix-fixtures): for every sender, the records smtplog stores equal the
//! truth recorded while the mail was sent, in each of the three log formats.

use std::path::Path;

use chrono::NaiveDate;
use smtplog_core::ingest::{self, IngestOptions, Input, Silent};
use smtplog_core::query::Query;
use smtplog_core::record::Status;
use smtplog_core::store::Store;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/postfix");

fn check_run(run: &str, log: &str) {
    let text = std::fs::read(Path::new(FIXTURES).join(run).join(log)).unwrap();
    check_parts(run, log, &[&text]);
}

/// Ingests `parts` of the fixture `run`'s `log`, one ingest run each, into one store and
/// checks every sender's totals against the truth.
fn check_parts(run: &str, log: &str, parts: &[&[u8]]) {
    let dir = Path::new(FIXTURES).join(run);
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap()).unwrap();
    let zone: chrono_tz::Tz = truth["timezone"].as_str().unwrap().parse().unwrap();
    let started = truth["started"].as_str().unwrap();
    let day: NaiveDate = started[..10].parse().unwrap();
    let year: i32 = started[..4].parse().unwrap();

    let mut store = Store::open_in_memory().unwrap();
    let mut options = IngestOptions::new(zone);
    options.year = Some(year);
    let mut hops = 0;
    let mut summary = None;
    for (i, part) in parts.iter().enumerate() {
        let input = Input {
            name: format!("{log} part {i}"),
            reader: Box::new(std::io::Cursor::new(part.to_vec())),
            complete: true,
            ends_near: (year, 12),
        };
        let s = ingest::ingest(&mut store, vec![input], &options, &mut Silent).unwrap();
        assert_eq!(s.parse.unrecognized_postfix, 0, "{run}/{log}");
        assert_eq!(s.parse.malformed, 0, "{run}/{log}");
        hops += s.correlate.hops;
        summary = Some(s);
    }
    let summary = summary.expect("a part");
    assert_eq!(summary.pending, 0, "{run}/{log}: every message was removed");
    if run.starts_with("filter-") {
        assert!(hops > 0, "{run}/{log}: filter hops followed");
    }

    let senders = truth["senders"].as_object().unwrap();
    assert!(senders.len() >= 5);
    for (sender, want) in senders {
        let query = Query {
            email: sender.clone(),
            begin: day,
            end: day + chrono::Days::new(1),
            zone,
        };
        let total = query.daily(&store).unwrap().total;
        for status in Status::ALL {
            let expected = want[status.as_str()].as_u64().unwrap();
            assert_eq!(
                total.get(status),
                expected,
                "{run}/{log}: {sender} {status}"
            );
        }
    }
    // No record belongs to anyone the truth does not know.
    let owned: Vec<String> = store
        .all_records()
        .unwrap()
        .into_iter()
        .filter_map(|s| s.record.sender)
        .filter(|s| !senders.contains_key(s))
        .collect();
    assert!(owned.is_empty(), "{run}/{log}: records of {owned:?}");
}

/// Every fixture: without a content filter (`run1`, `run2`), then with each of Postfix's
/// three filter designs (after-queue SMTP with and without XFORWARD, pipe + sendmail,
/// before-queue proxy).
const RUNS: [&str; 7] = [
    "run1",
    "run2",
    "filter-smtp",
    "filter-smtp-long",
    "filter-noxforward",
    "filter-pipe",
    "filter-proxy",
];

#[test]
fn postlogd_maillog_file_format() {
    for run in RUNS {
        check_run(run, "maillog.log");
    }
}

#[test]
fn classic_syslog_format() {
    for run in RUNS {
        check_run(run, "syslog.log");
    }
}

#[test]
fn rfc3339_format() {
    for run in RUNS {
        check_run(run, "rfc3339.log");
    }
}

#[test]
fn a_filter_log_split_in_two_runs_gives_the_truth_too() {
    // What ties a filter's two sides is saved between runs: split each filter fixture
    // at every 29th line, and filter-smtp also between its race's two sides (the copy
    // 08ED798C0D2 left the queue before the filter's answer to 07BF698C0D0 was logged).
    for run in RUNS.iter().filter(|r| r.starts_with("filter-")) {
        let text = std::fs::read(Path::new(FIXTURES).join(run).join("maillog.log")).unwrap();
        let ends: Vec<usize> = text
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i + 1)
            .collect();
        let mut splits: Vec<usize> = ends.iter().step_by(29).copied().collect();
        if *run == "filter-smtp" {
            let race = b"08ED798C0D2: removed\n";
            let at = text.windows(race.len()).position(|w| w == race).unwrap();
            splits.push(at + race.len());
        }
        for at in splits {
            check_parts(run, "maillog.log", &[&text[..at], &text[at..]]);
        }
    }
}
