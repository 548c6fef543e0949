//! `smtplog man`: the manual pages, generated from the command definitions
//! (clap_mangen): smtplog(1) on standard output, or with `--dir` every page (smtplog.1
//! and one smtplog-COMMAND.1 per command) written into a folder.

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, CommandFactory};

use crate::{Cli, Failure};

#[derive(Args, Debug)]
pub(crate) struct ManArgs {
    /// Write smtplog.1 and a smtplog-COMMAND.1 per command into this folder (created if
    /// missing) instead of printing smtplog.1.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

pub(crate) fn run(args: &ManArgs) -> Result<(), Failure> {
    let cmd = Cli::command();
    match &args.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(cmd, dir)
                .with_context(|| format!("cannot write the pages into {}", dir.display()))?;
        }
        None => {
            let mut out = io::stdout().lock();
            clap_mangen::Man::new(cmd).render(&mut out)?;
            out.flush()?;
        }
    }
    Ok(())
}
