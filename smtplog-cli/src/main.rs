//! The `smtplog` command: arguments in, a core call, output out. No rule lives here;
//! `main` maps errors to exit codes (0 ok, 1 refused or nothing to do, 2 error) and treats
//! a closed output pipe as success.

mod ingest_cmd;
mod inputs;
mod parse_cmd;
mod query_cmd;
mod stats_cmd;
mod trace_cmd;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Postfix relay logs into per-sender sending histories.
#[derive(Parser, Debug)]
#[command(name = "smtplog", version, about)]
struct Cli {
    /// The SQLite database file.
    #[arg(long, global = true, default_value = "smtplog.db")]
    db: PathBuf,
    /// The time zone of the logs' local timestamps and of calendar days (IANA name, e.g.
    /// Asia/Taipei). Default: the configuration's, else the system's.
    #[arg(long, global = true)]
    tz: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Parse logs and print one JSON object per Postfix line, or a summary.
    Parse(parse_cmd::ParseArgs),
    /// Read logs into the database, incrementally (only what was not read before).
    Ingest(ingest_cmd::IngestArgs),
    /// Print one sender's daily table over a date range.
    Stats(stats_cmd::StatsArgs),
    /// Print one sender's report (header, daily table, records) as text, HTML, CSV or JSON.
    Query(query_cmd::QueryArgs),
    /// Print every stored record of one message (queue ID or message-id), for administrators.
    Trace(trace_cmd::TraceArgs),
}

/// An error with the exit code it maps to.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Refused by policy, or nothing to do: exit 1.
    Refused(String),
    /// Anything else: exit 2.
    Error(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Error(e)
    }
}

impl From<smtplog_core::store::StoreError> for Failure {
    fn from(e: smtplog_core::store::StoreError) -> Self {
        Failure::Error(e.into())
    }
}

impl From<smtplog_core::ingest::IngestError> for Failure {
    fn from(e: smtplog_core::ingest::IngestError) -> Self {
        Failure::Error(e.into())
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Error(e.into())
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Parse(args) => parse_cmd::run(&cli, args),
        Command::Ingest(args) => ingest_cmd::run(&cli, args),
        Command::Stats(args) => stats_cmd::run(&cli, args),
        Command::Query(args) => query_cmd::run(&cli, args),
        Command::Trace(args) => trace_cmd::run(&cli, args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Error(e)) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(Failure::Refused(why)) => {
            let _ = writeln!(io::stderr(), "smtplog: {why}");
            ExitCode::from(1)
        }
        Err(Failure::Error(e)) => {
            let _ = writeln!(io::stderr(), "smtplog: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
