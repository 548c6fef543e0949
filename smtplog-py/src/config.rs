//! `Config`: the TOML configuration, read and checked by the core.

use std::path::PathBuf;

use pyo3::prelude::*;
use smtplog_core::config::Config as CoreConfig;

use crate::errors::config_error;

/// A configuration file (TOML, as for `smtplog --config`), every key checked.
#[pyclass(frozen, module = "smtplog")]
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) config: CoreConfig,
    path: PathBuf,
}

#[pymethods]
impl Config {
    /// Reads and checks the configuration at `path`. A missing file raises
    /// FileNotFoundError; a bad key ConfigError naming it.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Config> {
        let config = py
            .detach(|| CoreConfig::load(&path))
            .map_err(config_error)?;
        Ok(Config { config, path })
    }

    /// The file it was read from.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }
    /// The database file the configuration names (`db`), or None.
    #[getter]
    fn db(&self) -> Option<PathBuf> {
        self.config.db.clone()
    }
    /// The IANA zone the configuration names (`timezone`), or None.
    #[getter]
    fn timezone(&self) -> Option<&'static str> {
        self.config.timezone.map(|tz| tz.name())
    }
    /// `policy.allowed_domains`: the domains whose senders may receive reports.
    #[getter]
    fn allowed_domains(&self) -> Vec<String> {
        self.config.policy.allowed_domains.clone()
    }
    /// `policy.notify_sum`: the daily Sum that earns a warning.
    #[getter]
    fn notify_sum(&self) -> u64 {
        self.config.policy.notify_sum
    }
    /// `policy.notify_bounced`: the daily Bounced count that earns a warning.
    #[getter]
    fn notify_bounced(&self) -> u64 {
        self.config.policy.notify_bounced
    }
    /// The effective configuration as TOML, the password masked (`smtplog config check`).
    fn to_toml(&self) -> String {
        self.config.to_toml()
    }
    fn __repr__(&self) -> String {
        format!("Config.load({:?})", self.path.display().to_string())
    }
}
