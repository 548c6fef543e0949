//! `parse_line` and `parse_file`: the `smtplog parse` objects of log lines. A file is read
//! and parsed on a thread of its own, a chunk of lines ahead, without the GIL.

use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use chrono::{Datelike, Utc};
use chrono_tz::Tz;
use pyo3::prelude::*;
use serde_json::Value;
use smtplog_core::ingest::Input;
use smtplog_core::parse::{MAX_LINE, Malformed, Parsed, decode};
use smtplog_core::source;
use smtplog_core::timestamp::{YearPolicy, YearResolver};

use crate::convert;
use crate::errors::{InputError, open_error};

/// Lines parsed per chunk handed from the parsing thread.
const CHUNK: usize = 1024;

fn zone_or_local(tz: Option<&str>) -> PyResult<Tz> {
    match tz {
        Some(name) => convert::zone("tz", name),
        None => Ok(convert::local_zone()),
    }
}

/// The `smtplog parse` object of one line, or None when it is not a Postfix line (another
/// program's, or one that cannot be read).
///
/// `year` is the year of a yearless (classic syslog) timestamp; without it the line is
/// taken as logged within the last year (ending this month). `tz` is the IANA zone of
/// local timestamps (default: $TZ, else the system's).
#[pyfunction]
#[pyo3(signature = (line, *, year = None, tz = None))]
pub(crate) fn parse_line<'py>(
    py: Python<'py>,
    line: &str,
    year: Option<i32>,
    tz: Option<&str>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let zone = zone_or_local(tz)?;
    let line = line.strip_suffix('\n').unwrap_or(line);
    let line = line.strip_suffix('\r').unwrap_or(line);
    let now = Utc::now();
    let policy = match year {
        Some(y) => YearPolicy::Starting(y),
        None => YearPolicy::EndingIn {
            year: now.year(),
            month: now.month() as u8,
        },
    };
    let mut years = YearResolver::new(zone, policy);
    let parsed = if line.len() > MAX_LINE {
        Parsed::Malformed(Malformed::TooLong)
    } else {
        smtplog_core::parse_line(line)
    };
    match parsed {
        Parsed::Entry(entry) => {
            let obj = entry.to_json(years.resolve(&entry.header.time));
            Ok(Some(convert::json(py, &obj)?))
        }
        _ => Ok(None),
    }
}

/// What the parsing thread hands over.
type Chunk = Result<Vec<Value>, String>;

/// Parses `input` on this thread, sending chunks until the end or until the receiver is
/// gone.
fn parse_ahead(input: Input, mut years: YearResolver, tx: SyncSender<Chunk>) {
    let (name, mut reader) = (input.name, input.reader);
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut stop = false;
    let done = source::for_each_line::<_, std::io::Error>(&mut reader, MAX_LINE, |line| {
        if stop {
            return Ok(());
        }
        let text = decode(line.bytes);
        let parsed = if line.too_long {
            Parsed::Malformed(Malformed::TooLong)
        } else {
            smtplog_core::parse_line(&text)
        };
        if let Parsed::Entry(entry) = &parsed {
            chunk.push(entry.to_json(years.resolve(&entry.header.time)));
            if chunk.len() == CHUNK {
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                if tx.send(Ok(full)).is_err() {
                    stop = true;
                }
            }
        }
        Ok(())
    });
    let _ = match done {
        Ok(()) if !chunk.is_empty() => tx.send(Ok(chunk)),
        Ok(()) => Ok(()),
        Err(e) => tx.send(Err(format!("reading {name}: {e}"))),
    };
}

/// An iterator over the `smtplog parse` objects of a log file's Postfix lines (see
/// `parse_file`).
#[pyclass(frozen, module = "smtplog")]
pub(crate) struct ParsedLines {
    state: Mutex<(std::collections::VecDeque<Value>, Option<Receiver<Chunk>>)>,
}

#[pymethods]
impl ParsedLines {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let next = py.detach(|| {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let (buffer, rx) = &mut *state;
            loop {
                if let Some(v) = buffer.pop_front() {
                    return Ok(Some(v));
                }
                let Some(r) = rx else {
                    return Ok(None);
                };
                match r.recv() {
                    Ok(Ok(chunk)) => buffer.extend(chunk),
                    Ok(Err(e)) => {
                        *rx = None;
                        return Err(e);
                    }
                    Err(_) => {
                        *rx = None;
                        return Ok(None);
                    }
                }
            }
        });
        match next {
            Ok(Some(v)) => Ok(Some(convert::json(py, &v)?)),
            Ok(None) => Ok(None),
            Err(e) => Err(InputError::new_err(e)),
        }
    }
}

/// The `smtplog parse` objects of the Postfix lines of the log at `path` (plain or gzip),
/// lazily: the file is read and parsed ahead on another thread, a chunk at a time.
///
/// `year` is the year of the first yearless timestamp (default: from the file's
/// modification date); `tz` the zone of local timestamps (default: $TZ, else the
/// system's). A missing file raises FileNotFoundError.
#[pyfunction]
#[pyo3(signature = (path, *, year = None, tz = None))]
pub(crate) fn parse_file(
    py: Python<'_>,
    path: std::path::PathBuf,
    year: Option<i32>,
    tz: Option<&str>,
) -> PyResult<ParsedLines> {
    let zone = zone_or_local(tz)?;
    let input = py
        .detach(|| Input::open(&path, Utc::now()))
        .map_err(|e| open_error(&path, e))?;
    let years = YearResolver::new(zone, input.year_policy(year));
    let (tx, rx) = sync_channel(4);
    std::thread::Builder::new()
        .name("smtplog-parse".into())
        .spawn(move || parse_ahead(input, years, tx))
        .map_err(|e| InputError::new_err(format!("cannot start the parsing thread: {e}")))?;
    Ok(ParsedLines {
        state: Mutex::new((std::collections::VecDeque::new(), Some(rx))),
    })
}
