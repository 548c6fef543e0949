//! The exception hierarchy (`smtplog.Error` and its subclasses) and the conversion of the
//! core's errors into them. A message says what failed and each cause once.

use std::error::Error as StdError;
use std::io;

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyFileNotFoundError, PyOSError};
use pyo3::prelude::*;
use smtplog_core::config::ConfigError as CoreConfigError;
use smtplog_core::ingest::IngestError;
use smtplog_core::mail::{RequestError, SendError};
use smtplog_core::policy::Refusal;
use smtplog_core::store::StoreError as CoreStoreError;

create_exception!(
    smtplog,
    Error,
    PyException,
    "The base of every error smtplog raises (besides ValueError, TypeError and OSError for bad arguments and unreadable files)."
);
create_exception!(
    smtplog,
    PolicyError,
    Error,
    "Refused by the service's policy (an address outside the allowed domains, a range too long, reversed, too old or in the future): nothing was built or sent."
);
create_exception!(
    smtplog,
    StoreError,
    Error,
    "The database could not be opened, read or written (missing, damaged, of another schema, or closed)."
);
create_exception!(
    smtplog,
    BusyError,
    StoreError,
    "Another ingest into the same database is running (it holds DB.ingest-lock); nothing was read."
);
create_exception!(
    smtplog,
    InputError,
    Error,
    "A log could not be read to its end (a read error, a truncated gzip stream)."
);
create_exception!(
    smtplog,
    ConfigError,
    Error,
    "The configuration file is not valid, or lacks a key the asked-for work needs."
);
create_exception!(
    smtplog,
    MailError,
    Error,
    "A mail could not be composed or delivered (the relay is down, refuses it, or TLS failed)."
);

/// `e` and its causes, each said once (a cause whose text is already included is left out).
pub(crate) fn said_once(e: &(dyn StdError + 'static)) -> String {
    let mut out = String::new();
    let mut next: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(cause) = next {
        let text = cause.to_string();
        if !text.is_empty() && !out.contains(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}

pub(crate) fn store_error(e: CoreStoreError) -> PyErr {
    StoreError::new_err(said_once(&e))
}

pub(crate) fn refused(e: Refusal) -> PyErr {
    PolicyError::new_err(e.to_string())
}

pub(crate) fn ingest_error(e: IngestError) -> PyErr {
    match e {
        IngestError::Busy(_) => BusyError::new_err(e.to_string()),
        IngestError::Store(e) => store_error(e),
        IngestError::Read { .. } => InputError::new_err(said_once(&e)),
        other => StoreError::new_err(said_once(&other)),
    }
}

/// A file that could not be opened: `FileNotFoundError` when it is missing, else `OSError`.
pub(crate) fn open_error(path: &std::path::Path, e: io::Error) -> PyErr {
    let msg = format!("cannot open {}: {e}", path.display());
    match e.kind() {
        io::ErrorKind::NotFound => PyFileNotFoundError::new_err(msg),
        _ => PyOSError::new_err(msg),
    }
}

pub(crate) fn config_error(e: CoreConfigError) -> PyErr {
    if let CoreConfigError::Read { path, source } = &e
        && source.kind() == io::ErrorKind::NotFound
    {
        return PyFileNotFoundError::new_err(format!(
            "no configuration at {}: {source}",
            path.display()
        ));
    }
    ConfigError::new_err(said_once(&e))
}

pub(crate) fn request_error(e: RequestError) -> PyErr {
    match e {
        RequestError::Refused(why) => PolicyError::new_err(format!("{why}; nothing was sent")),
        RequestError::Store(e) => store_error(e),
        other => MailError::new_err(said_once(&other)),
    }
}

pub(crate) fn send_error(e: SendError) -> PyErr {
    MailError::new_err(said_once(&e))
}

/// Registers the exception classes on the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("Error", py.get_type::<Error>())?;
    m.add("PolicyError", py.get_type::<PolicyError>())?;
    m.add("StoreError", py.get_type::<StoreError>())?;
    m.add("BusyError", py.get_type::<BusyError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("MailError", py.get_type::<MailError>())?;
    Ok(())
}
