//! `smtplog ingest`: read logs into the store, incrementally (see smtplog-core's `ingest`).

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use chrono::Utc;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use smtplog_core::ingest::{self, IngestError, IngestOptions, Input, Progress};
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

pub(crate) fn run(cli: &Cli, args: &IngestArgs) -> Result<(), Failure> {
    let tz = zone(cli.tz.as_deref(), None)?;
    let mut store = open_writing(&cli.db)?;
    let mut files: Vec<PathBuf> = args
        .files
        .iter()
        .filter(|f| f.as_os_str() != "-")
        .cloned()
        .collect();
    let stdin = files.len() < args.files.len();
    source::oldest_first(&mut files);
    let now = Utc::now();
    let mut inputs = Vec::new();
    for f in &files {
        inputs.push(Input::open(f, now).with_context(|| format!("cannot open {}", f.display()))?);
    }
    if stdin {
        inputs.push(Input::from_reader("-", io::stdin(), now)?);
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
    let summary = match ingest::ingest(&mut store, inputs, &options, &mut progress) {
        Ok(summary) => summary,
        Err(IngestError::Busy(db)) => {
            return Err(Failure::Nothing(format!(
                "another ingest into {db} is running"
            )));
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(bar) = &progress.0 {
        bar.finish_and_clear();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &summary.to_json(elapsed))
            .map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        let mut err = io::stderr().lock();
        for i in &summary.inputs {
            let how = &i.outcome;
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
