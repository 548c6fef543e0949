//! `smtplog audit` end to end: the query page's submissions as stored by the core, listed
//! by the built binary with hostile text made harmless; and `prune` removing the old ones.

use chrono::{DateTime, NaiveDate, Utc};
use smtplog_core::store::{Store, Submission, SubmissionOutcome};

use crate::ingest::cli;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

const HOSTILE: &str = "<script>alert(1)</script>\n\u{1b}[2J\u{1b}]0;owned\u{7}x@y.edu\there";

/// A database holding three submissions: an accepted one (2026-01-05 in Taipei), a refused
/// one with a hostile address and detail, and one the day after.
fn audit_db(dir: &std::path::Path) -> std::path::PathBuf {
    let db = dir.join("audit.db");
    let mut store = Store::open(&db).unwrap();
    let mut accepted = Submission::new(
        at("2026-01-05T02:03:04.500Z"),
        "192.0.2.7",
        "Alice@Dept.Example.edu",
        SubmissionOutcome::Accepted,
        "ok",
        202,
    );
    accepted.begin = NaiveDate::from_ymd_opt(2026, 1, 1);
    accepted.end = NaiveDate::from_ymd_opt(2026, 1, 4);
    let mut hostile = Submission::new(
        at("2026-01-05T03:00:00Z"),
        "2001:db8::1",
        HOSTILE,
        SubmissionOutcome::Refused,
        "address",
        400,
    );
    hostile.detail = Some("bad\u{1b}[31m address\r\n".into());
    let next_day = Submission::new(
        // 2026-01-06 00:30 in Taipei.
        at("2026-01-05T16:30:00Z"),
        "198.51.100.9",
        "b@x.edu",
        SubmissionOutcome::Refused,
        "rate_ip",
        429,
    );
    for s in [&accepted, &hostile, &next_day] {
        store.record_submission(s).unwrap();
    }
    db
}

#[test]
fn audit_lists_submissions_oldest_first_with_control_characters_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let db = audit_db(dir.path());
    let out = cli(&db, &["audit"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(
        lines[0],
        "2026-01-05 10:03:04\t192.0.2.7\tAlice@Dept.Example.edu\t2026-01-01..2026-01-04\taccepted\t202\tok"
    );
    // One line, seven columns, no control character but the tabs between them.
    assert!(
        !text
            .chars()
            .any(|c| c.is_control() && c != '\t' && c != '\n'),
        "{text:?}"
    );
    let fields: Vec<&str> = lines[1].split('\t').collect();
    assert_eq!(fields.len(), 7, "{:?}", lines[1]);
    assert_eq!(
        fields,
        [
            "2026-01-05 11:00:00",
            "2001:db8::1",
            "<script>alert(1)</script>\u{FFFD}\u{FFFD}[2J\u{FFFD}]0;owned\u{FFFD}x@y.edu here",
            "?..?",
            "refused",
            "400",
            "address: bad\u{FFFD}[31m address\u{FFFD}\u{FFFD}",
        ]
    );
    assert!(lines[2].starts_with("2026-01-06 00:30:00\t198.51.100.9\tb@x.edu\t"));

    // From the start of a day in the zone (Asia/Taipei): the last one only.
    let out = cli(&db, &["audit", "--since", "2026-01-06"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("rate_ip"));
}

#[test]
fn audit_json_keeps_the_text_exactly_and_times_carry_the_zone_s_offset() {
    let dir = tempfile::tempdir().unwrap();
    let db = audit_db(dir.path());
    let out = cli(&db, &["audit", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // JSON escapes control characters: none reaches the terminal raw.
    assert!(!out.stdout.contains(&0x1b));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["time"], "2026-01-05T10:03:04+08:00");
    assert_eq!(rows[0]["client_ip"], "192.0.2.7");
    assert_eq!(rows[0]["email"], "Alice@Dept.Example.edu");
    assert_eq!(rows[0]["begin"], "2026-01-01");
    assert_eq!(rows[0]["end"], "2026-01-04");
    assert_eq!(rows[0]["outcome"], "accepted");
    assert_eq!(rows[0]["status"], 202);
    assert_eq!(rows[0]["reason"], "ok");
    assert_eq!(rows[1]["email"], HOSTILE);
    assert!(rows[1]["begin"].is_null() && rows[1]["end"].is_null());
    assert_eq!(rows[1]["outcome"], "refused");
    assert_eq!(rows[2]["reason"], "rate_ip");

    let out = cli(&db, &["audit", "--json", "--since", "2027-01-01"]);
    assert!(out.status.success());
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows, serde_json::json!([]));
}

#[test]
fn audit_of_an_empty_log_prints_nothing_and_never_creates_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    let out = cli(&missing, &["audit"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no database at"));
    assert!(!missing.exists());

    let db = dir.path().join("empty.db");
    drop(Store::open(&db).unwrap());
    let out = cli(&db, &["audit"]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
}

#[test]
fn prune_deletes_the_submissions_before_the_retention_window() {
    let dir = tempfile::tempdir().unwrap();
    let db = audit_db(dir.path());
    // Now, to the millisecond (as stored).
    let now = DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap();
    let recent = Submission::new(
        now,
        "192.0.2.8",
        "c@x.edu",
        SubmissionOutcome::Refused,
        "captcha_wrong",
        400,
    );
    Store::open(&db)
        .unwrap()
        .record_submission(&recent)
        .unwrap();
    let out = cli(&db, &["prune", "--keep-days", "7"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("3 query page submissions and 0 mailed reports"),
        "{said}"
    );
    let left = Store::open(&db).unwrap().submissions(None).unwrap();
    assert_eq!(left, [recent]);
}
