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
    let input = Input {
        name: log.to_string(),
        reader: Box::new(std::io::Cursor::new(std::fs::read(dir.join(log)).unwrap())),
        complete: true,
        ends_near: (year, 12),
    };
    let summary = ingest::ingest(&mut store, vec![input], &options, &mut Silent).unwrap();
    assert_eq!(summary.parse.unrecognized_postfix, 0, "{run}/{log}");
    assert_eq!(summary.parse.malformed, 0, "{run}/{log}");
    assert_eq!(summary.pending, 0, "{run}/{log}: every message was removed");

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
const RUNS: [&str; 4] = ["run1", "run2", "filter-smtp", "filter-noxforward"];

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
