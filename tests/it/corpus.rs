//! The parser over whole real log files (tests/fixtures/corpus, see SOURCES.md there):
//! per-file counts by outcome and by event kind against a snapshot, no panic on any line,
//! and every entry's `Display` form parsing back to an equal entry.

use std::collections::BTreeMap;
use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use smtplog_core::parse::{ParseStats, Parsed, decode, parse_line};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/corpus")
}

/// The `.log` fixture files, sorted by name.
fn fixture_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(corpus_dir())
        .expect("tests/fixtures/corpus exists")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    files.sort();
    files
}

/// The lines of a file as `smtplog parse` reads them: split on `\n`, a final line without
/// a newline included, no empty line after the last newline.
fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    if out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out
}

/// What went wrong on one line (panic or a failed round trip), for the failure message.
struct Problem {
    place: String,
    what: String,
}

/// Parses every line of one file; returns its counters and any problems.
fn parse_file(path: &Path) -> (ParseStats, Vec<Problem>) {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let bytes = fs::read(path).expect("readable fixture");
    let mut stats = ParseStats::default();
    let mut problems = Vec::new();
    for (i, raw) in lines(&bytes).into_iter().enumerate() {
        let place = format!("{name}:{}", i + 1);
        let text = decode(raw);
        let parsed = match catch_unwind(AssertUnwindSafe(|| parse_line(&text))) {
            Ok(parsed) => parsed,
            Err(_) => {
                problems.push(Problem {
                    place,
                    what: format!("parse_line panicked on {text:?}"),
                });
                continue;
            }
        };
        if let Parsed::Entry(entry) = &parsed {
            let shown = entry.to_string();
            match catch_unwind(AssertUnwindSafe(|| parse_line(&shown))) {
                Ok(Parsed::Entry(again)) if again == *entry => {}
                Ok(other) => problems.push(Problem {
                    place,
                    what: format!("{text:?} is shown as {shown:?}, which parses to {other:?}"),
                }),
                Err(_) => problems.push(Problem {
                    place,
                    what: format!("parse_line panicked on the display form {shown:?}"),
                }),
            }
        }
        stats.record(&text, &parsed);
    }
    (stats, problems)
}

/// The summary object of `smtplog parse --summary` without its sample lines.
fn counts(s: &ParseStats) -> Value {
    let mut v = serde_json::to_value(s).unwrap();
    v.as_object_mut().unwrap().remove("samples");
    v
}

#[test]
fn corpus_counts_by_file_and_kind() {
    let files = fixture_files();
    assert!(files.len() >= 50, "fixtures missing: {}", files.len());
    let mut per_file = BTreeMap::new();
    let mut total = ParseStats::default();
    let mut problems = Vec::new();
    for path in &files {
        let (stats, mut p) = parse_file(path);
        // The outcomes add up.
        assert_eq!(
            stats.lines,
            stats.postfix_lines + stats.skipped + stats.malformed,
            "{path:?}"
        );
        assert_eq!(
            stats.postfix_lines,
            stats.by_kind.values().sum::<u64>() + stats.unrecognized_postfix,
            "{path:?}"
        );
        total += &stats;
        problems.append(&mut p);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        per_file.insert(name, counts(&stats));
    }
    let report: Vec<String> = problems
        .iter()
        .take(20)
        .map(|p| format!("{}: {}", p.place, p.what))
        .collect();
    assert!(
        problems.is_empty(),
        "{} lines panic or do not round-trip:\n{}",
        problems.len(),
        report.join("\n")
    );
    insta::assert_json_snapshot!(
        "corpus_counts",
        json!({ "files": per_file, "total": counts(&total) })
    );
}

/// The fixture directory holds what SOURCES.md credits: every `.log` file is named there.
#[test]
fn every_fixture_is_credited() {
    let sources = fs::read_to_string(corpus_dir().join("SOURCES.md")).expect("SOURCES.md");
    for path in fixture_files() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let credited = sources.contains(&name)
            || name.starts_with(
                "lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_",
            ) && sources.contains(
                "lightmeterio__ControlCenter__test_files_postfix_logs_individual_files_*.log",
            );
        assert!(
            credited,
            "{name} is not in tests/fixtures/corpus/SOURCES.md"
        );
    }
}

#[test]
fn lines_are_split_like_the_cli_does() {
    assert_eq!(lines(b"a\nb\n"), vec![&b"a"[..], &b"b"[..]]);
    assert_eq!(lines(b"a\n\nb"), vec![&b"a"[..], &b""[..], &b"b"[..]]);
    assert!(lines(b"").is_empty());
}
