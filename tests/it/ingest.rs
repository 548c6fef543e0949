//! Ingest end to end: exactly-once across split inputs and killed runs, and the records of
//! a generated log against the generator's own account of what it wrote.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use smtplog_benches::generator::{self, GenConfig, TimeFormat};
use smtplog_core::ingest::{self, IngestOptions, Input, Silent};
use smtplog_core::query::Query;
use smtplog_core::record::Status;
use smtplog_core::store::{Store, StoredRecord};

use crate::correlate::{ingest_into, rows};

/// The `smtplog` binary of this build. `cargo test` does not build the binaries of a
/// package without integration tests, so the first call builds it (once per test run; a
/// no-op when it is up to date), which also keeps it from being stale.
pub(crate) fn smtplog_bin() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("test binary path");
        let dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target directory");
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "smtplog-cli"])
            .status()
            .expect("cargo build");
        assert!(status.success(), "building smtplog failed");
        dir.join("smtplog")
    })
    .clone()
}

/// A log with the hard cases (content filter, forwarding, expiry, reuse, rejects),
/// assembled from the correlator tests' shapes.
const MIXED: &str = include_str!("../fixtures/ingest/mixed.log");

#[test]
fn splitting_a_log_at_every_line_into_two_runs_gives_the_same_records() {
    let mut whole = Store::open_in_memory().unwrap();
    ingest_into(&mut whole, &[MIXED], 2024);
    let expected = rows(&whole);
    assert!(expected.len() >= 10, "the fixture makes records");
    let lines: Vec<&str> = MIXED.split_inclusive('\n').collect();
    for cut in 1..lines.len() {
        let first: String = lines[..cut].concat();
        let second: String = lines[cut..].concat();
        let mut store = Store::open_in_memory().unwrap();
        ingest_into(&mut store, &[&first], 2024);
        ingest_into(&mut store, &[&second], 2024);
        assert_eq!(rows(&store), expected, "split before line {}", cut + 1);
        assert_eq!(
            store.count_pending().unwrap(),
            whole.count_pending().unwrap(),
            "split before line {}",
            cut + 1
        );
    }
}

#[test]
fn ingesting_the_same_bytes_twice_adds_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    ingest_into(&mut store, &[MIXED], 2024);
    let once = rows(&store);
    let again = ingest_into(&mut store, &[MIXED], 2024);
    assert_eq!(again.parse.lines, 0);
    assert_eq!(rows(&store), once);
}

pub(crate) fn generated_log(dir: &Path, lines: usize) -> (PathBuf, generator::Truth) {
    let path = dir.join("generated.log");
    let file = std::fs::File::create(&path).unwrap();
    let cfg = GenConfig {
        lines,
        senders: 200,
        days: 3,
        format: TimeFormat::Mixed,
        ..GenConfig::default()
    };
    let truth = generator::generate(&cfg, std::io::BufWriter::new(file)).unwrap();
    (path, truth)
}

/// Lines per batch of the killed ingests (and of their clean run).
pub(crate) const KILL_BATCH_LINES: usize = 5_000;

/// How far past the end of the batch it should commit last a killed ingest's input goes:
/// more than the ingest reads before it parses (one block of 256 KiB,
/// `smtplog-core/src/ingest/ahead.rs`), so that batch is certainly parsed and committed,
/// and less than a batch holds (checked), so no later batch can be.
const FED_PAST_BATCH: usize = 512 * 1024;

/// `smtplog ingest` of `input` (a file, or `-` for a pipe on standard input) into `db`.
pub(crate) fn ingest_cli(db: &Path, input: &Path, stdin: Stdio) -> std::process::Child {
    Command::new(smtplog_bin())
        .arg("--db")
        .arg(db)
        .args(["--tz", "UTC", "ingest", "--year", "2026", "--batch-lines"])
        .arg(KILL_BATCH_LINES.to_string())
        .arg(input)
        .stdin(stdin)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start smtplog")
}

/// Everything stored that a run must reproduce: every record with its ID and all its
/// fields, and the number of unfinished messages kept for the next run.
pub(crate) fn stored(db: &Path) -> (Vec<StoredRecord>, u64) {
    let store = Store::open(db).unwrap();
    (store.all_records().unwrap(), store.count_pending().unwrap())
}

/// Deterministic kill points, no timing: for each batch boundary k, an ingest reads the
/// log from a pipe that is fed up to FED_PAST_BATCH bytes past the end of batch k and
/// then kept open, so the process (its reading, correlating and writing threads alive,
/// the lines after batch k parsed or being parsed, never committed) waits for more input.
/// The test polls the database until batch k is committed, SIGKILLs the process, checks
/// that exactly batches 1..=k are stored, and runs the ingest again over the whole file.
#[test]
fn an_ingest_killed_at_any_point_and_run_again_gives_the_records_of_a_clean_run() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = generated_log(dir.path(), 60_000);
    // Cut before the end, so that messages still in the queue are saved between runs.
    let mut bytes = std::fs::read(&log).unwrap();
    let cut = bytes.len() * 9 / 10;
    let cut = cut + bytes[cut..].iter().position(|&b| b == b'\n').unwrap() + 1;
    bytes.truncate(cut);
    std::fs::write(&log, &bytes).unwrap();
    let clean_db = dir.path().join("clean.db");
    let status = ingest_cli(&clean_db, &log, Stdio::null()).wait().unwrap();
    assert!(status.success());
    let clean = stored(&clean_db);
    assert!(clean.0.len() > 5_000);
    assert!(clean.1 > 0, "the log ends with unfinished messages");

    // Where each batch ends: after every KILL_BATCH_LINES-th line.
    let mut ends = vec![0usize];
    ends.extend(
        bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i + 1)
            .skip(KILL_BATCH_LINES - 1)
            .step_by(KILL_BATCH_LINES),
    );
    assert!(ends.len() >= 10, "{} batches", ends.len() - 1);
    for w in ends.windows(2) {
        assert!(
            w[1] - w[0] > FED_PAST_BATCH,
            "a batch shorter than the feed"
        );
    }

    // Every batch boundary but the last full batch's end (its feed could pass the log's end).
    for (k, &end) in ends[..ends.len() - 1].iter().enumerate() {
        let fed = end + FED_PAST_BATCH;
        let db = dir.path().join(format!("killed{k}.db"));
        // Made here, so the polling below never meets a half-made schema.
        drop(Store::open(&db).unwrap());
        let mut child = ingest_cli(&db, Path::new("-"), Stdio::piped());
        let mut pipe = child.stdin.take().unwrap();
        let input = bytes[..fed].to_vec();
        // The pipe stays open (returned, not dropped) until the process is killed.
        let feeder = std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
            pipe
        });
        let watch = Store::open(&db).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        loop {
            let committed = watch.sources().unwrap().first().map(|s| s.lines);
            if committed.is_some_and(|lines| lines >= (k * KILL_BATCH_LINES) as u64) {
                break;
            }
            assert!(
                child.try_wait().unwrap().is_none(),
                "kill point {k}: the ingest ended before its input did"
            );
            assert!(
                std::time::Instant::now() < deadline,
                "kill point {k}: batch {k} was never committed from {fed} bytes of input \
                 (does ingest read more than {FED_PAST_BATCH} bytes before parsing?)"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        drop(watch);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        drop(feeder.join().unwrap());

        // Killed with exactly batches 1..=k stored.
        let store = Store::open(&db).unwrap();
        let src = &store.sources().unwrap()[0];
        assert_eq!(
            (src.lines, src.offset),
            ((k * KILL_BATCH_LINES) as u64, end as u64),
            "kill point {k}"
        );
        let partial = store.count_records().unwrap() as usize;
        assert!(partial < clean.0.len(), "kill point {k}");
        assert_eq!(partial == 0, k == 0, "kill point {k}");
        drop(store);

        let status = ingest_cli(&db, &log, Stdio::null()).wait().unwrap();
        assert!(status.success(), "kill point {k}: the run after");
        let again = stored(&db);
        assert_eq!(again.1, clean.1, "kill point {k}: unfinished messages");
        assert_eq!(again.0.len(), clean.0.len(), "kill point {k}: records");
        for (a, c) in again.0.iter().zip(&clean.0) {
            assert_eq!(a, c, "kill point {k}");
        }
    }
}

#[test]
fn the_stats_of_a_generated_log_equal_what_the_generator_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let (log, truth) = generated_log(dir.path(), 40_000);
    let text = std::fs::read_to_string(&log).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let summary = ingest_into(&mut store, &[&text], 2026);
    assert_eq!(summary.parse.unrecognized_postfix, 0);
    assert_eq!(summary.parse.malformed, 0);
    // Some content filters answered after their copy had left the queue.
    assert!(truth.situations.late_filter_answers > 0);
    assert!(summary.correlate.raced > 0, "{:?}", summary.correlate);
    let start = chrono::NaiveDate::parse_from_str(&truth.start, "%Y-%m-%d").unwrap();
    // Retries and expiries run past the days new mail arrives on.
    let end = start + chrono::Days::new(u64::from(truth.days) + 10);
    let mut compared = 0;
    for (sender, days) in &truth.senders {
        let query = Query {
            email: sender.clone(),
            begin: start,
            end,
            zone: chrono_tz::UTC,
        };
        let table = query.daily(&store).unwrap();
        for day in &table.days {
            let want = truth.day(sender, &day.date.to_string());
            let got = day.counts;
            let pairs = [
                (got.get(Status::Sent), want.sent, "sent"),
                (got.get(Status::Deferred), want.deferred, "deferred"),
                (got.get(Status::Bounced), want.bounced, "bounced"),
                (got.get(Status::Expired), want.expired, "expired"),
                (got.get(Status::AuthRcv), want.auth_rcv, "auth_rcv"),
                (got.get(Status::AuthBlk), want.auth_blk, "auth_blk"),
            ];
            for (g, w, name) in pairs {
                assert_eq!(g, w, "{sender} {} {name}", day.date);
            }
            assert_eq!(got.sum(), want.sum, "{sender} {} sum", day.date);
        }
        compared += days.len();
    }
    assert!(compared > 100, "compared {compared} sender-days");
    // Nothing is counted for anyone the generator did not write records for. (SASL
    // failures that name a user that is not an address are kept, with no sender: they
    // belong to no sender's history.)
    let owned = store
        .all_records()
        .unwrap()
        .iter()
        .filter(|s| s.record.sender.is_some())
        .count() as u64;
    assert_eq!(owned, truth.totals.sum);
}

#[test]
fn a_sender_is_matched_case_insensitively_by_envelope_sender_or_sasl_login() {
    let log = "\
Mar  1 10:00:00 relay1 postfix/submission/smtpd[10]: 1A2B3C4D5E: client=pc[192.0.2.10], sasl_method=PLAIN, sasl_username=Boss@Example.EDU
Mar  1 10:00:01 relay1 postfix/qmgr[12]: 1A2B3C4D5E: from=<Office@example.edu>, size=1000, nrcpt=1 (queue active)
Mar  1 10:00:02 relay1 postfix/smtp[13]: 1A2B3C4D5E: to=<bob@remote.example>, relay=mx.remote.example[198.51.100.1]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, status=sent (250 ok)
Mar  1 10:00:03 relay1 postfix/submission/smtpd[10]: 2A2B3C4D5E: client=pc[192.0.2.10], sasl_method=PLAIN, sasl_username=carol
Mar  1 10:00:04 relay1 postfix/qmgr[12]: 2A2B3C4D5E: from=<carol@example.edu>, size=1000, nrcpt=1 (queue active)
";
    let mut store = Store::open_in_memory().unwrap();
    ingest_into(&mut store, &[log], 2024);
    let day = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    let sum = |email: &str| {
        Query {
            email: email.to_string(),
            begin: day,
            end: day,
            zone: chrono_tz::UTC,
        }
        .daily(&store)
        .unwrap()
        .total
        .sum()
    };
    assert_eq!(sum("office@EXAMPLE.edu"), 2);
    assert_eq!(sum("boss@example.edu"), 2);
    assert_eq!(sum("BOSS@example.edu"), 2);
    assert_eq!(sum("carol@example.edu"), 1);
    // A login that is not an address owns nothing by itself.
    assert_eq!(sum("carol"), 0);
    assert_eq!(sum("nobody@example.edu"), 0);
}

/// Runs `smtplog` on `db` in Asia/Taipei.
pub(crate) fn cli(db: &Path, args: &[&str]) -> std::process::Output {
    Command::new(smtplog_bin())
        .arg("--db")
        .arg(db)
        .args(["--tz", "Asia/Taipei"])
        .args(args)
        .output()
        .expect("run smtplog")
}

#[test]
fn rotated_compressed_and_replaced_files_are_recognised_by_content() {
    use std::io::Write;
    let sample = include_str!("../../examples/sample.log");
    let lines: Vec<&str> = sample.split_inclusive('\n').collect();
    let third = lines.len() / 3;
    let (a, b, c) = (
        lines[..third].concat(),
        lines[third..2 * third].concat(),
        lines[2 * third..].concat(),
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rot.db");
    let log = dir.path().join("mail.log");
    let log1 = dir.path().join("mail.log.1");
    let log2 = dir.path().join("mail.log.2.gz");
    let path = |p: &Path| p.to_str().unwrap().to_string();
    let ingest = |files: &[&Path]| {
        let mut args = vec![
            "ingest".to_string(),
            "--year".into(),
            "2026".into(),
            "--json".into(),
        ];
        args.extend(files.iter().map(|p| path(p)));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = cli(&db, &args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };

    // Run 1: mail.log holds part A.
    std::fs::write(&log, &a).unwrap();
    let s = ingest(&[&log]);
    assert_eq!(s["inputs"][0]["outcome"], "new");
    assert_eq!(s["lines"], third as u64);

    // Part B is appended, then the file is rotated and part C starts a new mail.log.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(b.as_bytes())
        .unwrap();
    std::fs::rename(&log, &log1).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(&log, &c).unwrap();
    // A shell glob lists the newest first; the older file must be read first.
    let s = ingest(&[&log, &log1]);
    assert_eq!(s["inputs"][0]["name"], path(&log1));
    assert_eq!(s["inputs"][0]["outcome"], "resumed");
    assert_eq!(s["inputs"][0]["lines"], third as u64);
    assert_eq!(s["inputs"][1]["outcome"], "new");

    // mail.log.1 is compressed by the next rotation: recognised, nothing new to read.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(std::fs::read(&log1).unwrap().as_slice())
        .unwrap();
    std::fs::write(&log2, gz.finish().unwrap()).unwrap();
    std::fs::remove_file(&log1).unwrap();
    let s = ingest(&[&log, &log2]);
    assert_eq!(s["lines"], 0);
    assert_eq!(s["inputs"][0]["outcome"], "resumed");
    assert_eq!(s["inputs"][1]["outcome"], "resumed");

    // The same records as one run over the whole log.
    let mut whole = Store::open_in_memory().unwrap();
    let mut options = smtplog_core::ingest::IngestOptions::new("Asia/Taipei".parse().unwrap());
    options.year = Some(2026);
    smtplog_core::ingest::ingest(
        &mut whole,
        vec![smtplog_core::ingest::Input {
            name: "whole".into(),
            reader: Box::new(std::io::Cursor::new(sample.as_bytes().to_vec())),
            complete: true,
            ends_near: (2026, 12),
        }],
        &options,
        &mut smtplog_core::ingest::Silent,
    )
    .unwrap();
    assert_eq!(rows(&Store::open(&db).unwrap()), rows(&whole));

    // A file truncated in place (same first bytes, shorter than what was read) is
    // detected and not read again.
    std::fs::write(&log, &c[..c.len() / 2]).unwrap();
    let s = ingest(&[&log]);
    assert_eq!(s["inputs"][0]["outcome"], "truncated");
    // A file replaced by other content is a new input.
    std::fs::write(
        &log,
        "Nov 29 10:00:00 relay1 postfix/qmgr[1]: ABCDEF123456: removed\n",
    )
    .unwrap();
    let s = ingest(&[&log]);
    assert_eq!(s["inputs"][0]["outcome"], "new");
    assert_eq!(s["lines"], 1);
}

#[test]
fn a_last_line_still_being_written_is_left_for_the_next_run() {
    use smtplog_core::ingest::{IngestOptions, Input, Silent};
    let first = "Mar  1 10:00:00 relay1 postfix/smtpd[1]: 1A2B3C4D5E: client=pc[192.0.2.1]\nMar  1 10:00:01 relay1 postfix/qmgr[2]: 1A2B3C4D5E: from=<amy@example.edu>, size=1, nrcpt=1 (queue active)\nMar  1 10:00:02 relay1 postfix/smtp[3]: 1A2B3C4D5E: to=<b@remote.example>, relay=mx[198.51.100.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ";
    let whole = format!("{first}ok)\n");
    let run = |store: &mut Store, text: &str| {
        let mut options = IngestOptions::new(chrono_tz::UTC);
        options.year = Some(2024);
        let input = Input {
            name: "mail.log".into(),
            reader: Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
            complete: false,
            ends_near: (2024, 3),
        };
        smtplog_core::ingest::ingest(store, vec![input], &options, &mut Silent).unwrap()
    };
    let mut store = Store::open_in_memory().unwrap();
    let s = run(&mut store, first);
    assert_eq!(s.parse.lines, 2);
    assert_eq!(store.count_records().unwrap(), 0);
    let s = run(&mut store, &whole);
    assert_eq!(s.parse.lines, 1);
    let r = rows(&store);
    assert_eq!(
        r,
        vec!["sent amy@example.edu 192.0.2.1 - b@remote.example 1A2B3C4D5E@relay1/postfix"]
    );
}

#[test]
fn prune_deletes_records_older_than_the_retention_window_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("prune.db");
    let log = dir.path().join("mail.log");
    std::fs::write(&log, MIXED).unwrap();
    let out = cli(&db, &["ingest", "--year", "2024", log.to_str().unwrap()]);
    assert!(out.status.success());
    let before = Store::open(&db).unwrap().count_records().unwrap();
    assert!(before > 0);
    // Records of 2024 are inside a window of 100,000 days ...
    let out = cli(&db, &["prune", "--keep-days", "100000"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(Store::open(&db).unwrap().count_records().unwrap(), before);
    // ... and outside a window of one day.
    let out = cli(&db, &["prune", "--keep-days", "1"]);
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with(&format!("deleted {before} records")),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(Store::open(&db).unwrap().count_records().unwrap(), 0);
    // A usage error, not a refusal: exit 2, naming the flag.
    let out = cli(&db, &["prune", "--keep-days", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--keep-days"));
}

#[test]
fn a_truncated_gzip_file_is_a_clear_error_and_the_lines_before_the_damage_are_kept() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gz.db");
    let gz = dir.path().join("mail.log.2.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(MIXED.as_bytes()).unwrap();
    let whole = enc.finish().unwrap();
    std::fs::write(&gz, &whole[..whole.len() * 2 / 3]).unwrap();
    let out = cli(&db, &["ingest", "--year", "2024", gz.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mail.log.2.gz"), "{err}");
    // Said once: the cause is not repeated by the error that carries it.
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(err.matches("deflate").count(), 1, "{err}");
    let store = Store::open(&db).unwrap();
    let kept = store.sources().unwrap()[0].lines;
    assert!(kept > 0, "lines before the damage were read");
    // Each stored record comes from a line before the damage: the same as ingesting
    // exactly those lines.
    let prefix: String = MIXED.split_inclusive('\n').take(kept as usize).collect();
    let mut expected = Store::open_in_memory().unwrap();
    ingest_into(&mut expected, &[&prefix], 2024);
    assert_eq!(rows(&store), rows(&expected));
}

#[test]
fn parse_prints_one_object_per_postfix_line_or_the_summary_contract() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("sample.log.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(MIXED.as_bytes()).unwrap();
    enc.write_all(b"Nov  1 06:29:49 conch dovecot: imap-login: Disconnected\nnot a log line\n")
        .unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let db = dir.path().join("unused.db");

    let out = cli(
        &db,
        &["parse", "--summary", "--year", "2024", gz.to_str().unwrap()],
    );
    assert!(out.status.success());
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The fixture holds one dovecot line; two more lines are added above.
    let lines = MIXED.lines().count() as u64 + 2;
    assert_eq!(s["lines"], lines);
    assert_eq!(s["postfix_lines"], lines - 3);
    assert_eq!(s["skipped"], 2);
    assert_eq!(s["malformed"], 1);
    assert_eq!(s["unrecognized_postfix"], 0);
    for kind in [
        "client", "queued", "delivery", "expired", "removed", "reject",
    ] {
        assert!(s["by_kind"][kind].as_u64().unwrap() > 0, "{kind}");
    }
    assert_eq!(s["samples"]["malformed"][0], "no timestamp: not a log line");
    assert!(
        s["samples"]["unrecognized_postfix"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Without --summary, from standard input: one JSON object per Postfix line.
    let mut child = Command::new(smtplog_bin())
        .args(["--tz", "UTC", "parse", "--year", "2024", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(MIXED.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let objects: Vec<serde_json::Value> = out
        .stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(objects.len(), MIXED.lines().count() - 1);
    let first = &objects[0];
    assert_eq!(first["kind"], "client");
    assert_eq!(first["queue_id"], "8BD903012026");
    assert_eq!(first["time"], "2024-01-28T06:40:37+00:00");
    assert_eq!(first["sasl_username"], "erin@example.edu");
}

#[test]
fn the_core_s_ingest_takes_the_database_s_lock_itself() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("locked.db");
    let log = dir.path().join("mail.log");
    std::fs::write(
        &log,
        "Mar  1 10:00:00 relay1 postfix/qmgr[1]: 1A2B3C: removed\n",
    )
    .unwrap();
    let now = chrono::Utc::now();
    let mut store = Store::open(&db).unwrap();
    let options = IngestOptions::new(chrono_tz::UTC);

    // Another process's ingest holds the lock (a second open file description of it).
    let held = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.path().join("locked.db.ingest-lock"))
        .unwrap();
    held.try_lock().unwrap();
    assert!(ingest::ingest_running(&db));
    let input = Input::open(&log, now).unwrap();
    let err = ingest::ingest(&mut store, vec![input], &options, &mut Silent).unwrap_err();
    assert!(matches!(err, ingest::IngestError::Busy(_)), "{err}");
    assert!(err.to_string().contains("another ingest into"), "{err}");
    assert!(store.sources().unwrap().is_empty(), "nothing was read");

    drop(held);
    assert!(!ingest::ingest_running(&db));
    let input = Input::open(&log, now).unwrap();
    assert!(!input.complete, "a plain file may still be written");
    let summary = ingest::ingest(&mut store, vec![input], &options, &mut Silent).unwrap();
    assert_eq!(summary.parse.lines, 1);
}
