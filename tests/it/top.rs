//! `smtplog top` end to end: every sender's row is what `stats` gives for that sender,
//! and the hosts' and client IPs' rows account for every record of the range.

use serde_json::Value;

use crate::ingest::cli;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/sample.log");
const RANGE: [&str; 4] = ["--begin", "2026-11-27", "--end", "2026-11-29"];

fn top(db: &std::path::Path, extra: &[&str]) -> Value {
    let mut args = vec!["top", "--json"];
    args.extend(RANGE);
    args.extend(extra);
    if !extra.contains(&"--limit") {
        args.extend(["--limit", "100000"]);
    }
    let out = cli(db, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

const COLUMNS: [&str; 7] = [
    "sum", "auth_blk", "auth_rcv", "bounced", "deferred", "expired", "sent",
];

fn column_sum(rows: &[Value], column: &str) -> u64 {
    rows.iter().map(|r| r[column].as_u64().unwrap()).sum()
}

#[test]
fn each_senders_row_is_its_stats_total_and_groups_account_for_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("top.db");
    let out = cli(&db, &["ingest", "--year", "2026", SAMPLE]);
    assert!(out.status.success());

    let senders = top(&db, &[]);
    let rows = senders["rows"].as_array().unwrap();
    assert!(rows.len() >= 5, "{senders}");
    assert_eq!(senders["groups"].as_u64().unwrap(), rows.len() as u64);
    for row in rows {
        let email = row["key"].as_str().unwrap();
        assert_eq!(email, email.to_lowercase(), "owners are lower-case");
        let mut args = vec!["stats", "--json", "--email", email];
        args.extend(RANGE);
        let out = cli(&db, &args);
        assert!(out.status.success());
        let stats: Value = serde_json::from_slice(&out.stdout).unwrap();
        for column in COLUMNS {
            assert_eq!(row[column], stats["total"][column], "{email} {column}");
        }
    }
    // Ranked by Sum, largest first.
    let sums: Vec<u64> = rows.iter().map(|r| r["sum"].as_u64().unwrap()).collect();
    assert!(sums.windows(2).all(|w| w[0] >= w[1]), "{sums:?}");
    // Every record is some sender's or nobody's (a message with a SASL user other than
    // its sender counts for both).
    let total = &senders["total"];
    for column in COLUMNS {
        assert!(
            column_sum(rows, column) + senders["unattributed"][column].as_u64().unwrap()
                >= total[column].as_u64().unwrap()
        );
    }

    // Every record has a host; client IPs and the records without one add up too.
    for group in ["host", "client-ip"] {
        let t = top(&db, &["--group", group]);
        assert_eq!(t["total"], *total, "{group}");
        let rows = t["rows"].as_array().unwrap();
        for column in COLUMNS {
            assert_eq!(
                column_sum(rows, column) + t["unattributed"][column].as_u64().unwrap(),
                total[column].as_u64().unwrap(),
                "{group} {column}"
            );
        }
    }
    let hosts = top(&db, &["--group", "host"]);
    assert_eq!(hosts["unattributed"]["sum"], 0);

    // Ranked by one status: rows without it are left out, the limit holds.
    let bounced = top(&db, &["--by", "bounced", "--limit", "2"]);
    let rows = bounced["rows"].as_array().unwrap();
    assert!(!rows.is_empty() && rows.len() <= 2);
    assert!(rows.iter().all(|r| r["bounced"].as_u64().unwrap() > 0));
    assert!(
        rows.windows(2)
            .all(|w| w[0]["bounced"].as_u64() >= w[1]["bounced"].as_u64())
    );

    // Statuses are named as in JSON.
    let blocked = top(&db, &["--by", "auth_blk"]);
    assert_eq!(blocked["by"], "auth_blk");
    let rows = blocked["rows"].as_array().unwrap();
    assert!(rows.iter().all(|r| r["auth_blk"].as_u64().unwrap() > 0));
    assert_eq!(
        column_sum(rows, "auth_blk"),
        column_sum(senders["rows"].as_array().unwrap(), "auth_blk")
    );

    // The text table: a heading, the rows, the total.
    let mut args = vec!["top", "--limit", "3"];
    args.extend(RANGE);
    let out = cli(&db, &args);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("Sender") && lines[0].ends_with("Sent"),
        "{text}"
    );
    assert!(lines[1].starts_with(senders["rows"][0]["key"].as_str().unwrap()));
    assert!(lines.last().unwrap().starts_with("Total"));
    assert!(lines.last().unwrap().ends_with(&total["sent"].to_string()));

    // A reversed range is refused.
    let out = cli(
        &db,
        &["top", "--begin", "2026-11-29", "--end", "2026-11-28"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("before it begins"));
}
