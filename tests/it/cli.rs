//! The command-line contract of the read-only commands, end to end on the built binary:
//! output shapes and exit codes (0 ok, 1 refused or nothing found, 2 error).

use std::path::Path;

use crate::ingest::cli;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/sample.log");

fn sample_db(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("cli.db");
    let out = cli(&db, &["ingest", "--year", "2026", SAMPLE]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    db
}

#[test]
fn stats_and_query_agree_and_refuse_a_reversed_range() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_db(dir.path());
    let range = [
        "--email",
        "Alice@Dept.Example.edu",
        "--begin",
        "2026-11-27",
        "--end",
        "2026-11-29",
    ];

    let mut args = vec!["stats", "--json"];
    args.extend(range);
    let out = cli(&db, &args);
    assert!(out.status.success());
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["schema"], 1);
    assert_eq!(stats["days"].as_array().unwrap().len(), 3);
    assert!(stats.get("records").is_none());

    let mut args = vec!["query", "--format", "json"];
    args.extend(range);
    let out = cli(&db, &args);
    assert!(out.status.success());
    let query: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(query["total"], stats["total"]);
    let records = query["records"].as_array().unwrap();
    assert_eq!(
        records.len() as u64,
        query["total"]["sum"].as_u64().unwrap()
    );
    assert!(records.len() > 50);

    for format in ["text", "html", "csv", "csv-daily"] {
        let mut args = vec!["query", "--format", format, "--lang", "en"];
        args.extend(range);
        let out = cli(&db, &args);
        assert!(out.status.success(), "{format}");
        assert!(!out.stdout.is_empty(), "{format}");
    }

    let out = cli(
        &db,
        &[
            "query",
            "--email",
            "a@b.c",
            "--begin",
            "2026-11-29",
            "--end",
            "2026-11-28",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("before it begins"));

    let missing = dir.path().join("missing.db");
    let out = cli(
        &missing,
        &[
            "stats",
            "--email",
            "a@b.c",
            "--begin",
            "2026-11-28",
            "--end",
            "2026-11-28",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!missing.exists(), "a read-only command creates no database");
}

#[test]
fn trace_shows_a_stored_message_and_exits_1_for_an_unknown_id() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_db(dir.path());
    let out = cli(
        &db,
        &[
            "query",
            "--format",
            "json",
            "--email",
            "alice@dept.example.edu",
            "--begin",
            "2026-11-28",
            "--end",
            "2026-11-28",
        ],
    );
    let query: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let record = &query["records"][1];
    let queue_id = record["queue_id"].as_str().unwrap();

    let out = cli(&db, &["trace", queue_id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(queue_id));
    assert!(text.contains(record["recipient"].as_str().unwrap()));

    let out = cli(&db, &["trace", "ABCDEF0123456"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn reading_commands_never_create_or_write_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    let range = [
        "--email",
        "alice@dept.example.edu",
        "--begin",
        "2026-11-28",
        "--end",
        "2026-11-29",
    ];
    for args in [
        [&["stats"][..], &range[..]].concat(),
        [&["query"][..], &range[..]].concat(),
        vec!["trace", "ABC123"],
    ] {
        let out = cli(&missing, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("no database at"), "{args:?}: {err}");
        assert!(err.contains("smtplog ingest"), "{args:?}: {err}");
        assert!(!missing.exists(), "{args:?} created the file");
    }

    // An existing database is read, byte for byte untouched, and no write-ahead log is
    // left beside it.
    let db = sample_db(dir.path());
    let before = std::fs::read(&db).unwrap();
    let out = cli(&db, &[&["stats", "--json"][..], &range[..]].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);
    // `migrate` on an up-to-date file says so.
    let out = cli(&db, &["migrate"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("up to date"));
}
