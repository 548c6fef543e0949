//! `smtplog config check [PATH]`: reads a configuration file (PATH, else `--config`),
//! reports the first bad key, or prints the effective configuration (every key with its
//! value or default, the password masked) and warnings about settings that are allowed
//! but probably not meant. The rules are the core's (`smtplog_core::config`).

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::anyhow;
use clap::Subcommand;
use smtplog_core::config::{Config, ConfigError};

use crate::{Cli, Failure};

#[derive(Subcommand, Debug)]
pub(crate) enum ConfigCommand {
    /// Check a configuration file and print the effective configuration (password masked).
    /// Exit 0 when it is valid, 2 with the offending key when not.
    Check {
        /// The file; default: the one given with --config.
        path: Option<PathBuf>,
    },
}

/// Reads the configuration at `path`; errors name the file and the key.
pub(crate) fn load_config(path: &Path) -> Result<Config, Failure> {
    Config::load(path).map_err(|e| match e {
        ConfigError::Invalid { .. } | ConfigError::Missing { .. } => {
            Failure::Error(anyhow!(e).context(format!("invalid configuration {}", path.display())))
        }
        other => Failure::Error(other.into()),
    })
}

pub(crate) fn run(cli: &Cli, cmd: &ConfigCommand) -> Result<(), Failure> {
    let ConfigCommand::Check { path } = cmd;
    let (path, config) = match (path, &cli.config) {
        (Some(p), _) => (p.clone(), load_config(p)?),
        (None, Some(p)) => (p.clone(), cli.settings.clone()),
        (None, None) => {
            return Err(Failure::Error(anyhow!(
                "no configuration file to check: give its PATH or --config PATH"
            )));
        }
    };
    let mut err = io::stderr().lock();
    for w in config.warnings() {
        writeln!(err, "smtplog: warning: {w}")?;
    }
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "# {}: valid. The effective configuration (defaults filled in, password masked):",
        path.display()
    )?;
    write!(out, "{}", config.to_toml())?;
    Ok(())
}
