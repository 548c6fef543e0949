//! The `smtplog` command: arguments in, a core call, output out. No rule lives here;
//! `main` maps errors to exit codes (0 ok, 1 refused or nothing to do, 2 error) and treats
//! a closed output pipe as success.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Asks Linux for ordinary 4 KiB pages only. The allocator would otherwise take
/// transparent huge pages, and every first touch of one zeroes 2 MiB: on a virtual
/// machine that was a third of the ingest thread's time (scripts/ingest-speed: 1.56M
/// lines/s with huge pages, 1.82M without, and 20 MiB less peak memory). A refusal
/// changes nothing but speed.
fn small_pages() {
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
}

mod anomalies_cmd;
mod audit_cmd;
mod check_cmd;
mod completions_cmd;
mod config_cmd;
mod database;
mod ingest_cmd;
mod inputs;
mod man_cmd;
mod migrate_cmd;
mod notify_cmd;
mod parse_cmd;
mod prune_cmd;
mod query_cmd;
mod report_cmd;
mod sender_days;
mod serve_cmd;
mod stats_cmd;
mod top_cmd;
mod trace_cmd;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use smtplog_core::config::Config;

/// Postfix relay logs into per-sender sending histories.
#[derive(Parser, Debug)]
#[command(name = "smtplog", version, about)]
struct Cli {
    /// The SQLite database file. Default: the configuration's `db`, else ./smtplog.db.
    #[arg(long, global = true, default_value = "smtplog.db")]
    db: PathBuf,
    /// The configuration file (TOML; see examples/smtplog.toml and `smtplog config check`).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// The configuration read from `--config` (empty defaults without it).
    #[arg(skip)]
    settings: Config,
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
    /// Rank senders, relay hosts or client IPs by their daily-table totals over a range.
    Top(top_cmd::TopArgs),
    /// Print every stored record of one message (queue ID or message-id), for administrators.
    Trace(trace_cmd::TraceArgs),
    /// Mail one sender's report to that sender (only), or print the mail that would be sent.
    Report(report_cmd::ReportArgs),
    /// Mail the daily warnings (Sum or Bounced over the thresholds, or a day that looks
    /// like a stolen account), each sender at most once a day.
    Notify(notify_cmd::NotifyArgs),
    /// List the senders whose day looks like a stolen account, with the reasons.
    Anomalies(anomalies_cmd::AnomaliesArgs),
    /// Delete records older than the retention window.
    Prune(prune_cmd::PruneArgs),
    /// List the query page's submissions (accepted and refused), oldest first.
    Audit(audit_cmd::AuditArgs),
    /// Serve the query page (the form that mails a report to its owner) and mail the
    /// reports it accepts.
    Serve(serve_cmd::ServeArgs),
    /// Upgrade the database to this smtplog's schema (the commands that only read refuse
    /// an older one).
    Migrate,
    /// Check the database: SQLite's integrity, every row's packed records, inputs, saved
    /// state (exit 2 when anything is wrong).
    Check(check_cmd::CheckArgs),
    /// Check a configuration file and print the effective configuration.
    #[command(subcommand)]
    Config(config_cmd::ConfigCommand),
    /// Print the shell completion script for bash, zsh or fish.
    Completions(completions_cmd::CompletionsArgs),
    /// Print the manual page (or write every page into a folder).
    Man(man_cmd::ManArgs),
}

/// An error with the exit code it maps to.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Refused by policy: exit 1, printed after "refused: ".
    Refused(String),
    /// Nothing to do or nothing found: exit 1.
    Nothing(String),
    /// Anything else: exit 2.
    Error(anyhow::Error),
}

/// An error and its causes, each said once: a cause whose text its error already
/// includes (thiserror's `{0}`, SQLite's code after its message) is left out.
fn said_once(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        // SQLite's own error repeats its message after its code ("Error code 26: ...").
        let repeated = text
            .strip_prefix("Error code ")
            .and_then(|t| t.split_once(": "))
            .is_some_and(|(_, said)| out.contains(said));
        if text.is_empty() || out.contains(&text) || repeated {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
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

impl From<smtplog_core::config::ConfigError> for Failure {
    fn from(e: smtplog_core::config::ConfigError) -> Self {
        Failure::Error(e.into())
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Error(e.into())
    }
}

/// True when the database file could not be written (a full disk): see
/// `StoreError::is_write_failure`.
fn is_write_failure(e: &anyhow::Error) -> bool {
    use smtplog_core::ingest::IngestError;
    use smtplog_core::store::StoreError;
    e.chain().any(|c| {
        c.downcast_ref::<StoreError>()
            .is_some_and(StoreError::is_write_failure)
            || matches!(c.downcast_ref::<IngestError>(), Some(IngestError::Store(s)) if s.is_write_failure())
    })
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Reads `--config` and lets it supply what the flags left out: `--db` and `--tz` given
/// on the command line win over the file's `db` and `timezone`, which win over the
/// defaults.
fn configure(cli: &mut Cli, db_from_default: bool) -> Result<(), Failure> {
    let Some(path) = &cli.config else {
        return Ok(());
    };
    let settings = config_cmd::load_config(path)?;
    if db_from_default && let Some(db) = &settings.db {
        cli.db = db.clone();
    }
    if cli.tz.is_none() {
        cli.tz = settings.timezone.map(|tz| tz.name().to_string());
    }
    cli.settings = settings;
    Ok(())
}

fn main() -> ExitCode {
    small_pages();
    let matches = Cli::command().get_matches();
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let db_from_default = matches!(
        matches.value_source("db"),
        None | Some(ValueSource::DefaultValue)
    );
    let result = configure(&mut cli, db_from_default).and_then(|()| run(&cli));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Error(e)) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(Failure::Refused(why)) => {
            let _ = writeln!(io::stderr(), "smtplog: refused: {why}");
            ExitCode::from(1)
        }
        Err(Failure::Nothing(why)) => {
            let _ = writeln!(io::stderr(), "smtplog: {why}");
            ExitCode::from(1)
        }
        Err(Failure::Error(e)) => {
            let hint = if is_write_failure(&e) {
                " (is the disk full? what was stored before is kept: free some space \
                 and run again, it goes on from there)"
            } else {
                ""
            };
            let _ = writeln!(io::stderr(), "smtplog: error: {}{hint}", said_once(&e));
            ExitCode::from(2)
        }
    }
}

fn run(cli: &Cli) -> Result<(), Failure> {
    match &cli.command {
        Command::Parse(args) => parse_cmd::run(cli, args),
        Command::Ingest(args) => ingest_cmd::run(cli, args),
        Command::Stats(args) => stats_cmd::run(cli, args),
        Command::Query(args) => query_cmd::run(cli, args),
        Command::Top(args) => top_cmd::run(cli, args),
        Command::Trace(args) => trace_cmd::run(cli, args),
        Command::Report(args) => report_cmd::run(cli, args),
        Command::Notify(args) => notify_cmd::run(cli, args),
        Command::Anomalies(args) => anomalies_cmd::run(cli, args),
        Command::Prune(args) => prune_cmd::run(cli, args),
        Command::Audit(args) => audit_cmd::run(cli, args),
        Command::Serve(args) => serve_cmd::run(cli, args),
        Command::Migrate => migrate_cmd::run(cli),
        Command::Check(args) => check_cmd::run(cli, args),
        Command::Config(cmd) => config_cmd::run(cli, cmd),
        Command::Completions(args) => completions_cmd::run(args),
        Command::Man(args) => man_cmd::run(args),
    }
}
