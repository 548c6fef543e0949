//! `smtplog ingest`: read logs into the store, incrementally (see smtplog-core's `ingest`).

use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use anyhow::{Context, anyhow};
use chrono::{DateTime, Datelike, Utc};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use smtplog_core::ingest::{self, IngestOptions, IngestSummary, Input, InputOutcome, Progress};
use smtplog_core::record::Status;
use smtplog_core::source;

use crate::database::open_writing;
use crate::inputs::zone;
use crate::{Cli, Failure};

#[derive(Args, Debug)]
pub(crate) struct IngestArgs {
    /// The year of the first yearless timestamp of a new input (default: from each file's
    /// modification date).
    #[arg(long)]
    year: Option<i32>,
    /// Print a JSON summary on standard output.
    #[arg(long)]
    json: bool,
    /// Lines per committed batch.
    #[arg(long, default_value_t = 50_000, hide = true)]
    batch_lines: usize,
    /// How many unfinished messages to keep in memory.
    #[arg(long, default_value_t = 500_000)]
    max_pending: usize,
    /// Log files (plain or gzip; any order: read oldest first), or `-` for standard input.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Holds the database's ingest lock file for the life of the run, so two ingests never
/// read the same input at once.
struct IngestLock(#[allow(dead_code)] File);

fn lock(db: &Path) -> Result<IngestLock, Failure> {
    let mut name = db.as_os_str().to_owned();
    name.push(".ingest-lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&name)
        .with_context(|| format!("cannot create lock file {}", Path::new(&name).display()))?;
    match file.try_lock() {
        Ok(()) => Ok(IngestLock(file)),
        Err(std::fs::TryLockError::WouldBlock) => Err(Failure::Refused(format!(
            "another ingest into {} is running",
            db.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(anyhow!(e).context("cannot lock").into()),
    }
}

struct Bar(Option<ProgressBar>);

impl Progress for Bar {
    fn start(&mut self, name: &str) {
        if let Some(bar) = &self.0 {
            let len = std::fs::metadata(name).map(|m| m.len()).unwrap_or(0);
            bar.set_length(len);
            bar.set_position(0);
            bar.set_message(name.to_string());
        }
    }
    fn advance(&mut self, bytes: u64) {
        if let Some(bar) = &self.0 {
            bar.set_position(bytes);
        }
    }
}

fn ends_near(path: Option<&Path>) -> (i32, u8) {
    let when: DateTime<Utc> = path
        .and_then(|p| std::fs::metadata(p).ok()?.modified().ok())
        .unwrap_or_else(SystemTime::now)
        .into();
    (when.year(), when.month() as u8)
}

pub(crate) fn run(cli: &Cli, args: &IngestArgs) -> Result<(), Failure> {
    let tz = zone(cli.tz.as_deref(), None)?;
    let _lock = lock(&cli.db)?;
    let mut store = open_writing(&cli.db)?;
    let mut files: Vec<PathBuf> = args
        .files
        .iter()
        .filter(|f| f.as_os_str() != "-")
        .cloned()
        .collect();
    let stdin = files.len() < args.files.len();
    source::oldest_first(&mut files);
    let mut inputs = Vec::new();
    for f in &files {
        let reader = source::open(f).with_context(|| format!("cannot open {}", f.display()))?;
        let gz = is_gzip_file(f)?;
        inputs.push(Input {
            name: f.display().to_string(),
            reader,
            complete: gz,
            ends_near: ends_near(Some(f)),
        });
    }
    if stdin {
        inputs.push(Input {
            name: "-".to_string(),
            reader: source::reader(io::stdin())?,
            complete: true,
            ends_near: ends_near(None),
        });
    }
    let mut options = IngestOptions::new(tz);
    options.year = args.year;
    options.batch_lines = args.batch_lines.max(1);
    options.limits.max_pending = args.max_pending.max(1);
    options.filter_transports = cli.settings.ingest.filter_transports.clone();
    let bar = io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    });
    let mut progress = Bar(bar);
    let started = Instant::now();
    let summary = ingest::ingest(&mut store, inputs, &options, &mut progress)?;
    if let Some(bar) = &progress.0 {
        bar.finish_and_clear();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &summary_json(&summary, elapsed))
            .map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        let mut err = io::stderr().lock();
        for i in &summary.inputs {
            let how = match &i.outcome {
                InputOutcome::New => "new".to_string(),
                InputOutcome::Resumed { from } => format!("resumed at byte {from}"),
                InputOutcome::Truncated => {
                    "shorter than already read (truncated?): skipped".to_string()
                }
                InputOutcome::Empty => "empty".to_string(),
                InputOutcome::Repeated => "same content as an earlier input: skipped".to_string(),
            };
            writeln!(err, "{}: {how}, {} lines read", i.name, i.lines)?;
        }
        writeln!(
            err,
            "{} lines, {} records stored, {} unfinished messages held, {:.1} s",
            summary.parse.lines, summary.records, summary.pending, elapsed
        )?;
    }
    Ok(())
}

fn is_gzip_file(path: &Path) -> Result<bool, Failure> {
    use std::io::Read;
    let mut head = [0u8; 2];
    let mut f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let n = f.read(&mut head)?;
    Ok(source::is_gzip(&head[..n]))
}

fn summary_json(s: &IngestSummary, elapsed: f64) -> serde_json::Value {
    let records: serde_json::Map<String, serde_json::Value> = Status::ALL
        .iter()
        .map(|st| {
            (
                st.as_str().to_string(),
                json!(s.correlate.records_with(*st)),
            )
        })
        .collect();
    json!({
        "inputs": s.inputs.iter().map(|i| json!({
            "name": i.name,
            "outcome": match &i.outcome {
                InputOutcome::New => "new",
                InputOutcome::Resumed { .. } => "resumed",
                InputOutcome::Truncated => "truncated",
                InputOutcome::Empty => "empty",
                InputOutcome::Repeated => "repeated",
            },
            "lines": i.lines,
            "bytes": i.bytes,
        })).collect::<Vec<_>>(),
        "lines": s.parse.lines,
        "postfix_lines": s.parse.postfix_lines,
        "skipped": s.parse.skipped,
        "malformed": s.parse.malformed,
        "unrecognized_postfix": s.parse.unrecognized_postfix,
        "bad_time": s.bad_time,
        "events": s.parse.by_kind,
        "records": records,
        "records_stored": s.records,
        "orphans": {
            "records": s.correlate.orphan_records,
            "messages": s.correlate.orphan_messages,
            "lines": s.correlate.orphan_lines,
        },
        "evicted": s.correlate.evicted,
        "hops": s.correlate.hops,
        "raced": s.correlate.raced,
        "retracted": s.correlate.retracted,
        "recent_dropped": s.correlate.recent_dropped,
        "pending": s.pending,
        "elapsed_seconds": elapsed,
        "lines_per_second": if elapsed > 0.0 { s.parse.lines as f64 / elapsed } else { 0.0 },
    })
}
