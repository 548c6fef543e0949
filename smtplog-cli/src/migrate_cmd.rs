//! `smtplog migrate`: upgrade the database's schema to this smtplog's, on purpose. The
//! commands that only read refuse an older schema instead of rewriting the file.

use std::io::{self, Write};

use anyhow::Context;
use smtplog_core::store::Store;

use crate::{Cli, Failure};

pub(crate) fn run(cli: &Cli) -> Result<(), Failure> {
    let (from, to) =
        Store::migrate(&cli.db).with_context(|| format!("cannot migrate {}", cli.db.display()))?;
    let mut out = io::stdout().lock();
    if from == to {
        writeln!(out, "{}: schema version {to}, up to date", cli.db.display())?;
    } else {
        writeln!(
            out,
            "{}: upgraded from schema version {from} to {to}",
            cli.db.display()
        )?;
    }
    Ok(())
}
