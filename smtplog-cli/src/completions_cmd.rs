//! `smtplog completions SHELL`: the shell completion script, generated from the command
//! definitions (clap_complete), on standard output.

use std::io::{self, Write};

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::{Cli, Failure};

#[derive(Args, Debug)]
#[command(after_help = "\
Install, for example: smtplog completions bash > /etc/bash_completion.d/smtplog \
(the Debian package installs all three).")]
pub(crate) struct CompletionsArgs {
    /// The shell.
    #[arg(value_parser = ["bash", "zsh", "fish"])]
    shell: String,
}

pub(crate) fn run(args: &CompletionsArgs) -> Result<(), Failure> {
    let shell: Shell = args
        .shell
        .parse()
        .map_err(|e: String| Failure::Error(anyhow::anyhow!(e)))?;
    // Made in memory first: the generator panics on a write error (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "smtplog", &mut script);
    let mut out = io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(())
}
