//! What log hosts do to a program, end to end on the built binary: damaged and foreign
//! database files, a newer schema, read-only files and folders, a full disk, runs at the
//! same time, and runs killed between steps. The promise each test holds: a clear message
//! and exit 2 (exit 1 for "another ingest holds the lock"), never a panic; nothing already
//! stored lost or changed; `smtplog check` sound after; once the fault is gone, the next
//! run gives what an uninterrupted run gives, and no warning is mailed twice or lost.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use smtplog_core::store::Store;

use crate::ingest::{KILL_BATCH_LINES, generated_log, ingest_cli, smtplog_bin, stored};
use crate::mail::{Env, Sink, code, relay_log, stderr, stdout, threshold_log, yesterday};

/// Every command that opens the database, with its arguments (`D` stands for the day of
/// the test's log, `LOG` for a log file), and whether it writes.
const COMMANDS: &[(&[&str], bool)] = &[
    (&["check"], false),
    (
        &[
            "stats",
            "--email",
            "sum250@cs.nthu.edu.tw",
            "--begin",
            "D",
            "--end",
            "D",
        ],
        false,
    ),
    (
        &[
            "query",
            "--email",
            "sum250@cs.nthu.edu.tw",
            "--begin",
            "D",
            "--end",
            "D",
        ],
        false,
    ),
    (&["trace", "000000A001"], false),
    (
        &[
            "report",
            "--email",
            "sum250@cs.nthu.edu.tw",
            "--begin",
            "D",
            "--end",
            "D",
        ],
        false,
    ),
    (&["notify", "--day", "D", "--dry-run"], false),
    (&["audit"], false),
    (&["notify", "--day", "D"], true),
    (&["prune"], true),
    (&["migrate"], true),
    (&["ingest", "LOG"], true),
];

/// The arguments of a command of [`COMMANDS`] for `day` and `log`.
fn args_of(args: &[&str], day: &str, log: &Path) -> Vec<String> {
    args.iter()
        .map(|a| match *a {
            "D" => day.to_string(),
            "LOG" => log.display().to_string(),
            a => a.to_string(),
        })
        .collect()
}

/// Runs every command against `env`'s database, each on a fresh copy of `damaged`; each
/// must exit 2 with a message containing `says` and no panic, and leave the file as it
/// was (the writers too, when `writers_keep` holds).
fn every_command_refuses(env: &Env, damaged: &[u8], says: &[&str], writers_keep: bool) {
    let day = yesterday().to_string();
    let log = env.path().join("more.log");
    std::fs::write(
        &log,
        relay_log(yesterday(), &[("late@nthu.edu.tw", 1, 0)], ""),
    )
    .unwrap();
    for (args, writes) in COMMANDS {
        remove_db(&env.db());
        std::fs::write(env.db(), damaged).unwrap();
        let args = args_of(args, &day, &log);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = env.run(&args);
        let err = stderr(&out);
        assert_eq!(code(&out), 2, "{args:?}: {err}{}", stdout(&out));
        assert!(err.starts_with("smtplog: error: "), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(
            says.iter().any(|s| err.contains(s)),
            "{args:?}: {err} (expected one of {says:?})"
        );
        if !writes || writers_keep {
            assert!(
                std::fs::read(env.db()).unwrap() == damaged,
                "{args:?} changed the file"
            );
        }
    }
}

/// Removes a database file and its write-ahead log and shared memory.
fn remove_db(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// `smtplog check` of `db`: its exit code and output.
fn check(db: &Path) -> (i32, String) {
    let out = Command::new(smtplog_bin())
        .arg("--db")
        .arg(db)
        .arg("check")
        .output()
        .unwrap();
    (code(&out), stdout(&out) + &stderr(&out))
}

fn assert_sound(db: &Path, when: &str) {
    let (code, text) = check(db);
    assert_eq!(code, 0, "{when}: {text}");
    assert!(text.contains(": ok\n"), "{when}: {text}");
}

#[test]
fn check_finds_a_sound_database_sound_after_ingest_notify_and_prune() {
    let day = yesterday();
    let env = Env::new(&threshold_log(day));
    let sink = Sink::start(&[]);
    env.configure(sink.port, "");
    let (log, _) = generated_log(env.path(), 20_000);
    let out = env.run(&["ingest", "--year", "2026", log.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = env.run(&["notify", "--day", &day.to_string()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = env.run(&["check"]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    let v = schema_version();
    assert!(
        text.contains(&format!("schema version {v} (this smtplog: {v})")),
        "{text}"
    );
    assert!(text.ends_with(": ok\n"), "{text}");
    let store = Store::open_read_only(&env.db()).unwrap();
    let report = store.check();
    assert!(report.is_sound(), "{report:?}");
    assert_eq!(report.records, store.count_records().unwrap());
    assert!(
        report.rows > 1000 && report.sources == 2 && report.pending > 0,
        "{report:?}"
    );
    drop(store);
    // The generated log is of 2026: prune keeps a few days of it, cutting rows in two.
    let out = env.run(&["prune", "--keep-days", "400"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_sound(&env.db(), "after prune");
}

#[test]
fn a_file_that_is_not_sqlite_or_is_cut_short_is_refused_by_every_command() {
    let env = Env::new(&threshold_log(yesterday()));
    env.configure(9, "");
    let good = std::fs::read(env.db()).unwrap();
    assert!(good.len() > 16384 * 4, "a database of several pages");

    let text = b"Mar  1 10:00:00 relay1 postfix/qmgr[1]: 1A2B3C: removed\n".repeat(2000);
    every_command_refuses(&env, &text, &["file is not a database"], true);

    let mut zeros = good.clone();
    zeros[..100].fill(0);
    every_command_refuses(&env, &zeros, &["file is not a database"], true);

    // A copy cut short (a full disk during a copy, a partial restore): the header's page
    // count no longer matches the file.
    let half = &good[..good.len() / 2];
    every_command_refuses(&env, half, &["database disk image is malformed"], true);
    let (code, text) = check(&env.db());
    assert_eq!(code, 2, "{text}");
}

#[test]
fn a_database_of_a_newer_smtplog_is_refused_naming_both_versions_and_left_alone() {
    let env = Env::new(&threshold_log(yesterday()));
    env.configure(9, "");
    {
        let c = rusqlite::Connection::open(env.db()).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
    }
    let newer = std::fs::read(env.db()).unwrap();
    every_command_refuses(
        &env,
        &newer,
        &[&format!(
            "database schema version 99 is newer than this smtplog understands ({})",
            schema_version()
        )],
        true,
    );
}

/// The schema version this build writes (that of a new store).
fn schema_version() -> i64 {
    Store::open_in_memory().unwrap().schema_version().unwrap()
}

/// Sets one byte of the database file at `db` to `value` where `needle` is stored
/// (every place it is found), with the write-ahead log checkpointed first.
fn damage_where(db: &Path, needle: &[u8], value: u8) -> usize {
    {
        let c = rusqlite::Connection::open(db).unwrap();
        c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
    }
    let mut bytes = std::fs::read(db).unwrap();
    let mut hits = 0;
    let mut i = 0;
    while i + needle.len() <= bytes.len() {
        if bytes[i..i + needle.len()] == *needle {
            bytes[i] = value;
            hits += 1;
            i += needle.len();
        } else {
            i += 1;
        }
    }
    std::fs::write(db, bytes).unwrap();
    hits
}

#[test]
fn a_damaged_records_blob_is_named_its_owner_s_queries_refuse_and_the_rest_are_served() {
    let day = yesterday();
    let d = day.to_string();
    // The bounces of bounce10 carry this response; nobody else's records do.
    let env = Env::new(&relay_log(
        day,
        &[
            ("sum250@cs.nthu.edu.tw", 250, 0),
            ("bounce10@nthu.edu.tw", 0, 10),
        ],
        "550 5.1.1 DAMAGE-HERE no such user",
    ));
    env.configure(9, "");
    let query = |email: &str| {
        env.run(&[
            "query", "--email", email, "--begin", &d, "--end", &d, "--format", "json",
        ])
    };
    let before = query("sum250@cs.nthu.edu.tw");
    assert_eq!(code(&before), 0, "{}", stderr(&before));
    assert_sound(&env.db(), "before the damage");

    // Bytes flipped inside the packed records (a response is not UTF-8 any more); the
    // pages and indexes are intact, so only the store's own check can see it.
    assert!(damage_where(&env.db(), b"DAMAGE-HERE", 0xff) >= 1);
    let (status, text) = check(&env.db());
    assert_eq!(status, 2, "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("records ")
            && l.contains(" message row ")
            && l.ends_with(": damaged records: text is not UTF-8")),
        "{text}"
    );
    assert!(text.contains(": 1 problem found"), "{text}");
    assert!(
        !text.contains("integrity "),
        "SQLite sees nothing wrong: {text}"
    );

    // The owner of the damaged row: a clear refusal naming the row.
    let out = query("bounce10@nthu.edu.tw");
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains("damaged records in message row ")
            && err.contains("`smtplog check` lists every damaged row"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    // Everyone else: served as before, byte for byte.
    let after = query("sum250@cs.nthu.edu.tw");
    assert_eq!(code(&after), 0, "{}", stderr(&after));
    assert_eq!(stdout(&after), stdout(&before));
    let stats = env.run(&[
        "stats",
        "--email",
        "sum250@cs.nthu.edu.tw",
        "--begin",
        &d,
        "--end",
        &d,
    ]);
    assert_eq!(code(&stats), 0, "{}", stderr(&stats));
    // notify counts every sender of the day: it refuses the day, naming the row.
    let out = env.run(&["notify", "--day", &d, "--dry-run"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("damaged records in message row "));
}

/// Runs `smtplog` as an unprivileged user when the tests run as root (root writes any
/// file whatever its mode), so that read-only files and folders are read-only to it.
fn unprivileged(args: &[&str], db: &Path) -> Output {
    let root = std::env::var("USER").is_ok_and(|u| u == "root")
        || std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        });
    let mut cmd = if root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(smtplog_bin());
        c
    } else {
        Command::new(smtplog_bin())
    };
    cmd.arg("--db").arg(db).args(["--tz", "UTC"]).args(args);
    cmd.output().expect("run smtplog")
}

#[test]
fn a_read_only_file_or_folder_is_read_and_writes_are_refused_clearly() {
    let day = yesterday();
    let d = day.to_string();
    let env = Env::new(&threshold_log(day));
    let db = env.db();
    let log = env.path().join("more.log");
    std::fs::write(&log, relay_log(day, &[("late@nthu.edu.tw", 1, 0)], "")).unwrap();
    let set_mode = |p: &Path, mode: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    // The binary's folders must be reachable by the unprivileged user.
    let mut p = smtplog_bin();
    while p.pop() {
        let m = std::fs::metadata(&p).unwrap().permissions().mode();
        if m & 0o001 == 0 {
            set_mode(&p, m | 0o001);
        }
    }
    set_mode(&log, 0o644);
    let before = std::fs::read(&db).unwrap();
    let query = [
        "query",
        "--email",
        "sum250@cs.nthu.edu.tw",
        "--begin",
        &d,
        "--end",
        &d,
    ];
    for (what, file_mode, dir_mode) in [("file", 0o444, 0o777), ("folder", 0o666, 0o555)] {
        set_mode(&db, file_mode);
        set_mode(env.path(), dir_mode);
        let out = unprivileged(&query, &db);
        assert_eq!(code(&out), 0, "read-only {what}: {}", stderr(&out));
        assert!(stdout(&out).contains("sum250@cs.nthu.edu.tw"));
        let out = unprivileged(&["check"], &db);
        assert_eq!(code(&out), 0, "read-only {what}: {}", stderr(&out));
        for args in [
            vec!["ingest", "--year", "2026", log.to_str().unwrap()],
            vec!["prune"],
        ] {
            let out = unprivileged(&args, &db);
            let err = stderr(&out);
            assert_eq!(code(&out), 2, "read-only {what}, {args:?}: {err}");
            assert!(
                err.starts_with("smtplog: error: ") && !err.contains("panicked"),
                "{err}"
            );
            assert!(
                err.contains("readonly database")
                    || err.contains("unable to open database file")
                    || err.contains("Permission denied"),
                "read-only {what}, {args:?}: {err}"
            );
        }
        // Nothing to upgrade: migrate says so without writing.
        let out = unprivileged(&["migrate"], &db);
        assert_eq!(code(&out), 0, "read-only {what}: {}", stderr(&out));
        assert!(stdout(&out).contains("up to date"));
        set_mode(env.path(), 0o755);
        set_mode(&db, 0o644);
        assert!(
            std::fs::read(&db).unwrap() == before,
            "read-only {what}: file changed"
        );
    }
}

/// `smtplog ARGS` run with every file it writes limited to `kib` KiB (`ulimit -f`, the
/// signal of a write past it ignored, so the write fails as on a full disk).
fn with_file_limit(kib: u64, db: &Path, args: &[&str]) -> Output {
    Command::new("bash")
        .arg("-c")
        .arg(format!("trap '' XFSZ; ulimit -f {kib}; exec \"$@\""))
        .arg("bash")
        .arg(smtplog_bin())
        .arg("--db")
        .arg(db)
        .args(["--tz", "UTC"])
        .args(args)
        .output()
        .expect("run smtplog under bash")
}

/// The file size of `db` and its write-ahead log, in KiB.
fn kib_of(db: &Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    (size(db) + size(Path::new(&wal))) / 1024
}

fn assert_disk_full_message(out: &Output, what: &str) {
    let err = stderr(out);
    assert_eq!(code(out), 2, "{what}: {err}{}", stdout(out));
    assert!(
        err.starts_with("smtplog: error: ")
            && err.contains("is the disk full? what was stored before is kept")
            && !err.contains("panicked"),
        "{what}: {err}"
    );
}

#[test]
fn an_ingest_that_fills_the_disk_keeps_what_it_committed_and_the_rerun_equals_a_clean_run() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = generated_log(dir.path(), 20_000);
    let log = log.to_str().unwrap();
    let ingest = ["ingest", "--year", "2026", "--batch-lines", "5000", log];
    let clean_db = dir.path().join("clean.db");
    let out = with_file_limit(1 << 30, &clean_db, &ingest);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let clean = stored(&clean_db);
    let full = kib_of(&clean_db);
    assert!(full > 1000, "{full} KiB");

    // A disk that is full when the database is made: its schema is made a step at a
    // time, so the file is left at an older schema version, which the next run brings up
    // to date.
    let db = dir.path().join("full-at-start.db");
    let out = with_file_limit(64, &db, &ingest);
    assert_disk_full_message(&out, "ingest into a new file limited to 64 KiB");
    let out = with_file_limit(1 << 30, &db, &ingest);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_sound(&db, "made on a full disk, the run after");
    assert!(
        stored(&db) == clean,
        "made on a full disk: the run after equals a clean run"
    );

    for share in [3, 6, 9] {
        let limit = full * share / 10;
        let db = dir.path().join(format!("full{share}.db"));
        drop(Store::open(&db).unwrap());
        assert!(
            kib_of(&db) < limit,
            "{limit} KiB: room for the empty database"
        );
        let out = with_file_limit(limit, &db, &ingest);
        assert_disk_full_message(&out, &format!("ingest limited to {limit} KiB"));
        assert_sound(&db, &format!("after the disk filled at {limit} KiB"));
        // What was committed is the start of a clean run, field for field.
        let (kept, _) = stored(&db);
        // (At nine tenths the fault may come after the last batch was committed.)
        assert!(
            kept.len() < clean.0.len() || share == 9,
            "{limit} KiB: the fault came mid-run"
        );
        assert_eq!(kept[..], clean.0[..kept.len()], "{limit} KiB");

        let out = with_file_limit(1 << 30, &db, &ingest);
        assert_eq!(
            code(&out),
            0,
            "{limit} KiB, the run after: {}",
            stderr(&out)
        );
        assert_sound(&db, &format!("{limit} KiB, the run after"));
        assert!(
            stored(&db) == clean,
            "{limit} KiB: the run after equals a clean run"
        );
    }
}

#[test]
fn prune_and_notify_on_a_full_disk_change_nothing_and_the_rerun_does_all_once() {
    let day = yesterday();
    let d = day.to_string();
    let env = Env::new(&threshold_log(day));
    let sink = Sink::start(&[]);
    env.configure(sink.port, "");
    let (log, _) = generated_log(env.path(), 20_000);
    let out = env.run(&["ingest", "--year", "2026", log.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let before = stored(&env.db());
    let clean = env.path().join("clean.db");
    std::fs::copy(env.db(), &clean).unwrap();

    // notify: the claim cannot be written, so nothing is mailed.
    let config = env.config();
    let notify = ["--config", config.to_str().unwrap(), "notify", "--day", &d];
    let out = with_file_limit(8, &env.db(), &notify);
    assert_disk_full_message(&out, "notify");
    assert!(sink.received().is_empty(), "nothing mailed without a claim");
    assert_sound(&env.db(), "after notify on a full disk");
    let out = env.run(&["notify", "--day", &d]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).ends_with(&format!("{d}: 2 warned, 0 already warned, 0 failed\n")));
    let out = env.run(&["notify", "--day", &d]);
    assert!(stdout(&out).ends_with(&format!("{d}: 0 warned, 2 already warned, 0 failed\n")));
    assert_eq!(sink.received().len(), 2, "each warning mailed once");

    // prune (the generated log is of 2026-01: most of it goes): rolled back whole.
    let prune = ["prune", "--keep-days", "300"];
    let out = with_file_limit(8, &env.db(), &prune);
    assert_disk_full_message(&out, "prune");
    assert_sound(&env.db(), "after prune on a full disk");
    assert!(stored(&env.db()) == before, "nothing lost or changed");
    let out = env.run(&prune);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = Command::new(smtplog_bin())
        .arg("--db")
        .arg(&clean)
        .args(["--tz", "UTC"])
        .args(prune)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stored(&env.db()) == stored(&clean),
        "the rerun equals a clean prune"
    );
    assert_sound(&env.db(), "after the prune that had room");
}

/// Waits until `ready` holds, failing with `what` after a minute.
fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() {
        assert!(Instant::now() < deadline, "waited a minute for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_second_ingest_is_refused_while_one_runs_others_work_beside_it_and_a_kill_leaves_no_lock() {
    use std::io::Write;
    let day = yesterday();
    let d = day.to_string();
    let env = Env::new(&threshold_log(day));
    let sink = Sink::start(&[]);
    env.configure(sink.port, "");
    let (log, _) = generated_log(env.path(), 30_000);
    let bytes = std::fs::read(&log).unwrap();
    let clean = env.path().join("clean.db");
    std::fs::copy(env.db(), &clean).unwrap();
    let status = ingest_cli(&clean, &log, Stdio::null()).wait().unwrap();
    assert!(status.success());
    let sources_before = Store::open_read_only(&env.db())
        .unwrap()
        .sources()
        .unwrap()
        .len();

    // An ingest from a pipe fed two batches and a half and kept open: it holds the lock,
    // has committed, and waits for more.
    let mut first = ingest_cli(&env.db(), Path::new("-"), Stdio::piped());
    let mut pipe = first.stdin.take().unwrap();
    let fed: Vec<u8> = bytes[..bytes.len() / 2].to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = pipe.write_all(&fed);
        pipe
    });
    wait_until("the first batches to be committed", || {
        Store::open_read_only(&env.db()).is_ok_and(|s| {
            s.sources().is_ok_and(|v| {
                v.len() > sources_before && v[sources_before].lines >= 2 * KILL_BATCH_LINES as u64
            })
        })
    });
    let during = stored(&env.db());

    // A second ingest: exit 1, saying why, writing nothing.
    let out = Command::new(smtplog_bin())
        .arg("--db")
        .arg(env.db())
        .args(["--tz", "UTC", "ingest", "--year", "2026"])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("another ingest into") && stderr(&out).contains("is running"),
        "{}",
        stderr(&out)
    );
    // Readers and the other writers work beside it.
    for args in [
        vec![
            "query",
            "--email",
            "sum250@cs.nthu.edu.tw",
            "--begin",
            &d,
            "--end",
            &d,
        ],
        vec![
            "stats",
            "--email",
            "sum250@cs.nthu.edu.tw",
            "--begin",
            &d,
            "--end",
            &d,
        ],
        vec!["trace", "000000A001"],
        vec!["notify", "--day", &d, "--dry-run"],
        vec!["notify", "--day", &d],
        vec!["prune", "--keep-days", "3650"],
        vec!["check"],
    ] {
        let out = env.run(&args);
        assert_eq!(code(&out), 0, "{args:?} beside an ingest: {}", stderr(&out));
    }
    assert_eq!(sink.received().len(), 2);
    assert!(first.try_wait().unwrap().is_none(), "the ingest still runs");
    assert!(stored(&env.db()) == during, "the others changed no record");

    // Killed, it leaves no lock: the next ingest goes on from its last batch.
    first.kill().unwrap();
    first.wait().unwrap();
    drop(feeder.join().unwrap());
    let status = ingest_cli(&env.db(), &log, Stdio::null()).wait().unwrap();
    assert!(status.success(), "an ingest after the killed one");
    assert!(stored(&env.db()) == stored(&clean), "equals a clean run");
    assert_sound(&env.db(), "after the killed ingest's successor");
}

#[test]
fn notify_run_twice_at_the_same_instant_mails_each_warning_once() {
    let day = yesterday();
    let d = day.to_string();
    let env = Env::new(&threshold_log(day));
    // Each delivery held a second, so the two runs overlap.
    let sink = Sink::spawn(&[], false, &["--stall", "after-data", "--stall-secs", "1"]);
    env.configure(sink.port, "");
    let start = || {
        Command::new(smtplog_bin())
            .arg("--config")
            .arg(env.config())
            .args(["notify", "--day", &d])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (start(), start());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert_eq!(code(&a), 0, "{}", stderr(&a));
    assert_eq!(code(&b), 0, "{}", stderr(&b));
    let mails = sink.received();
    let mut to: Vec<&str> = mails.iter().map(|m| m.rcpt_tos()[0]).collect();
    to.sort();
    assert_eq!(
        to,
        ["bounce10@nthu.edu.tw", "sum250@cs.nthu.edu.tw"],
        "each once"
    );
    let warned = |o: &Output| {
        stdout(o)
            .lines()
            .filter(|l| l.starts_with("warned "))
            .count()
    };
    assert_eq!(warned(&a) + warned(&b), 2, "{}\n{}", stdout(&a), stdout(&b));
}

/// Moves every claim of a warning back by two hours: what the passing of the claim
/// timeout (an hour) does to a claim left by a killed run.
fn age_claims(db: &Path) {
    let c = rusqlite::Connection::open(db).unwrap();
    let n = c
        .execute(
            "UPDATE warnings SET claimed_ms = claimed_ms - 7200000 WHERE state = 'sending'",
            [],
        )
        .unwrap();
    assert_eq!(n, 1, "one claim left");
}

/// Starts `notify` for `day` against a sink that stalls at `stall`, kills it (SIGKILL)
/// once the sink holds its first warning, and returns the address being warned and
/// whether the sink had the message.
fn notify_killed_at(env: &Env, d: &str, stall: &str) -> (String, bool) {
    let sink = Sink::spawn(&[], false, &["--stall", stall, "--stall-secs", "600"]);
    env.configure(sink.port, "");
    let mut child: Child = Command::new(smtplog_bin())
        .arg("--config")
        .arg(env.config())
        .args(["notify", "--day", d])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("the sink to hold the first warning", || {
        sink.log().contains("stalling")
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let received = sink.received();
    let store = Store::open_read_only(&env.db()).unwrap();
    let claimed: Vec<String> = ["bounce10@nthu.edu.tw", "sum250@cs.nthu.edu.tw"]
        .into_iter()
        .filter(|e| {
            matches!(
                store.warning_state(e, yesterday()).unwrap(),
                Some(smtplog_core::store::WarningState::Sending(_))
            )
        })
        .map(str::to_string)
        .collect();
    assert_eq!(claimed.len(), 1, "the killed run left one claim");
    assert!(store.sent_warnings(yesterday()).unwrap().is_empty());
    (claimed[0].clone(), !received.is_empty())
}

#[test]
fn notify_killed_between_claim_and_send_mails_that_warning_once_after_the_claim_timeout() {
    let day = yesterday();
    let d = day.to_string();
    let env = Env::new(&threshold_log(day));
    let (claimed, delivered) = notify_killed_at(&env, &d, "rcpt");
    assert!(!delivered, "killed before the message was sent");
    assert_sound(&env.db(), "after notify was killed");

    // Within the claim timeout: the claimed warning is left alone, the other is mailed.
    let sink = Sink::start(&[]);
    env.configure(sink.port, "");
    let out = env.run(&["notify", "--day", &d]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("being sent      {claimed}")),
        "{}",
        stdout(&out)
    );
    assert_eq!(sink.received().len(), 1);
    assert_ne!(sink.received()[0].rcpt_tos(), [claimed.as_str()]);

    // After it: taken over and mailed, once.
    age_claims(&env.db());
    let out = env.run(&["notify", "--day", &d]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).ends_with(&format!("{d}: 1 warned, 1 already warned, 0 failed\n")));
    let out = env.run(&["notify", "--day", &d]);
    assert!(stdout(&out).ends_with(&format!("{d}: 0 warned, 2 already warned, 0 failed\n")));
    let mails = sink.received();
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[1].rcpt_tos(), [claimed.as_str()]);
}

#[test]
fn notify_killed_between_send_and_mark_mails_that_warning_again_only_after_the_claim_timeout() {
    let day = yesterday();
    let d = day.to_string();
    let env = Env::new(&threshold_log(day));
    let (claimed, delivered) = notify_killed_at(&env, &d, "after-data");
    assert!(
        delivered,
        "the relay had the message when the run was killed"
    );
    assert_sound(&env.db(), "after notify was killed");

    let sink = Sink::start(&[]);
    env.configure(sink.port, "");
    // Within the claim timeout (an hour): not mailed again.
    let out = env.run(&["notify", "--day", &d]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains(&format!("being sent      {claimed}")));
    assert_eq!(sink.received().len(), 1, "only the other warning");
    // After it, the store cannot tell this from a run killed before sending: the
    // warning is mailed a second time (docs/reliability.md, "Exactly once").
    age_claims(&env.db());
    let out = env.run(&["notify", "--day", &d]);
    assert!(stdout(&out).ends_with(&format!("{d}: 1 warned, 1 already warned, 0 failed\n")));
    let mails = sink.received();
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[1].rcpt_tos(), [claimed.as_str()]);
}

#[test]
fn prune_killed_at_any_moment_leaves_a_sound_file_and_the_rerun_equals_a_clean_prune() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = generated_log(dir.path(), 30_000);
    let base = dir.path().join("base.db");
    assert!(
        ingest_cli(&base, &log, Stdio::null())
            .wait()
            .unwrap()
            .success()
    );
    let before = stored(&base);
    // The generated log covers 2026-03-01 to 03-03: keep from 03-02 on, so rows across
    // the cut are repacked and rows before it deleted.
    let today = chrono::Utc::now().date_naive();
    let keep = (today - chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()).num_days() + 1;
    let keep = keep.to_string();
    let prune = |db: &Path| {
        Command::new(smtplog_bin())
            .arg("--db")
            .arg(db)
            .args(["--tz", "UTC", "prune", "--keep-days", &keep])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let clean = dir.path().join("clean.db");
    std::fs::copy(&base, &clean).unwrap();
    assert!(prune(&clean).wait().unwrap().success());
    let pruned = stored(&clean);
    assert!(!pruned.0.is_empty() && pruned.0.len() < before.0.len());

    for ms in [0u64, 2, 5, 10, 20, 30, 50, 80, 120, 200] {
        let db = dir.path().join(format!("killed{ms}.db"));
        remove_db(&db);
        std::fs::copy(&base, &db).unwrap();
        let mut child = prune(&db);
        std::thread::sleep(Duration::from_millis(ms));
        let _ = child.kill();
        child.wait().unwrap();
        assert_sound(&db, &format!("prune killed after {ms} ms"));
        // All of the records' prune or none of it.
        let now = stored(&db);
        assert!(
            now.0 == before.0 || now.0 == pruned.0,
            "killed after {ms} ms: half a prune"
        );
        assert!(prune(&db).wait().unwrap().success());
        assert!(stored(&db) == pruned, "killed after {ms} ms: the rerun");
    }
}

/// A file of schema version 3 (records one per row, before they were packed) holding
/// 50,000 messages of two records each, to be upgraded by `smtplog migrate`.
fn version_3_file(db: &Path) {
    Store::create_at_version(db, 3).unwrap();
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute_batch(
        "BEGIN;
         WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 1000)
         INSERT INTO addresses (id, address) SELECT v, 's' || v || '@example.edu' FROM n;
         WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 50000)
         INSERT INTO messages (id, smtp_relay, instance, queue_id, sender, owner, sender_ip,
                               sasl_user, message_id, orphan, first_ms)
         SELECT v, 'relay1', 'postfix', printf('%010X', v), 's' || (v % 1000 + 1) || '@example.edu',
                v % 1000 + 1, '192.0.2.1', NULL, '<m' || v || '@example.edu>', 0,
                1772359200000 + v * 1000 FROM n;
         WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 100000)
         INSERT INTO records (id, time_ms, message, owner, sasl_owner, status, recipient,
                              orig_recipient, dsn, relay, delay, response)
         SELECT v, 1772359200000 + ((v + 1) / 2) * 1000 + v % 2, (v + 1) / 2,
                ((v + 1) / 2) % 1000 + 1, NULL, v % 3, 'r' || v || '@example.org', NULL,
                '2.0.0', 'mx.example.org[192.0.2.1]:25', 0.5, '250 2.0.0 Ok' FROM n;
         INSERT INTO record_spans
            SELECT min(id), max(id), min(time_ms), max(time_ms) FROM records GROUP BY id >> 14;
         COMMIT;",
    )
    .unwrap();
}

/// The schema version of `db` and SQLite's integrity check of it.
fn version_and_integrity(db: &Path) -> (i64, String) {
    let c = rusqlite::Connection::open(db).unwrap();
    let v = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    let ok = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    (v, ok)
}

#[test]
fn migrate_killed_at_any_moment_leaves_one_version_or_the_next_and_the_rerun_completes_it() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("v3.db");
    version_3_file(&base);
    let migrate = |db: &Path| {
        Command::new(smtplog_bin())
            .arg("--db")
            .arg(db)
            .arg("migrate")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let clean = dir.path().join("clean.db");
    std::fs::copy(&base, &clean).unwrap();
    assert!(migrate(&clean).wait().unwrap().success());
    let upgraded = stored(&clean);
    assert_eq!(upgraded.0.len(), 100_000);
    assert_sound(&clean, "a clean upgrade");

    let mut versions = Vec::new();
    for ms in [0u64, 20, 100, 250, 500, 1000] {
        let db = dir.path().join(format!("killed{ms}.db"));
        remove_db(&db);
        std::fs::copy(&base, &db).unwrap();
        let mut child = migrate(&db);
        std::thread::sleep(Duration::from_millis(ms));
        let _ = child.kill();
        child.wait().unwrap();
        let (version, integrity) = version_and_integrity(&db);
        assert_eq!(integrity, "ok", "killed after {ms} ms");
        assert!(
            (3..=schema_version()).contains(&version),
            "killed after {ms} ms: version {version}"
        );
        versions.push(version);
        assert!(
            migrate(&db).wait().unwrap().success(),
            "killed after {ms} ms: rerun"
        );
        assert_sound(&db, &format!("killed after {ms} ms, migrated again"));
        assert!(
            stored(&db) == upgraded,
            "killed after {ms} ms: the rerun equals a clean upgrade"
        );
    }
    // Kills came before the upgrade was done at least once (else nothing was tested).
    assert!(
        versions.iter().any(|v| *v < schema_version()),
        "{versions:?}"
    );
}
