//! `smtplog check`: is the database sound? The checks are the core's (`Store::check`);
//! this prints what it found, one problem a line, and exits 2 when anything is wrong.

use std::io::{self, Write};

use clap::Args;
use smtplog_core::store::MAX_LISTED;

use crate::database::open_reading;
use crate::{Cli, Failure};

#[derive(Args, Debug)]
#[command(after_help = "\
What check reads: SQLite's integrity check of every page and index (and foreign keys); \
every message row's packed records (each must read back, and agree with the row's count \
and times); the time spans notify and prune read rows through; the next record ID; each \
input's position; the correlator's saved state; the warnings' states; the schema version. \
It only reads (a read-only file works). Exit code 0 when the file is sound, 2 when \
anything is wrong or the file cannot be read (not SQLite, truncated, newer schema).")]
pub(crate) struct CheckArgs {}

pub(crate) fn run(cli: &Cli, _args: &CheckArgs) -> Result<(), Failure> {
    let store = open_reading(&cli.db)?;
    let report = store.check();
    let mut out = io::stdout().lock();
    let db = cli.db.display();
    writeln!(
        out,
        "{db}: schema version {} (this smtplog: {})",
        report.schema, report.supported
    )?;
    writeln!(
        out,
        "{} message rows, {} records, {} inputs, {} saved states read",
        report.rows, report.records, report.sources, report.pending
    )?;
    for p in &report.problems {
        writeln!(out, "{:<10} {}", p.part, p.what)?;
    }
    if report.unlisted > 0 {
        writeln!(
            out,
            "... and {} more problems (at most {MAX_LISTED} listed of each kind)",
            report.unlisted
        )?;
    }
    if report.is_sound() {
        writeln!(out, "{db}: ok")?;
        return Ok(());
    }
    let n = report.problems.len() as u64 + report.unlisted;
    out.flush()?;
    Err(Failure::Error(anyhow::anyhow!(
        "{db}: {n} problem{} found",
        if n == 1 { "" } else { "s" }
    )))
}
