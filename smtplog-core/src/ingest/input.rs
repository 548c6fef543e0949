//! Where an ingest's inputs come from: log files (plain or gzip, told apart by content)
//! and readers such as standard input, each with what ingest must know of it: whether it
//! is complete, and near which year and month it ends (for yearless timestamps). And the
//! lock that keeps two ingests from writing one database at once.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Utc};

use crate::source;
use crate::timestamp::YearPolicy;

/// One input to ingest.
pub struct Input {
    /// A name for messages and the store (a path, or `-`).
    pub name: String,
    /// The content, already decompressed (see [`crate::source::reader`]).
    pub reader: Box<dyn BufRead + Send>,
    /// True when the content is complete (standard input, a compressed rotation): a last
    /// line without a newline is read. For a plain file that may still be written it is
    /// left for the next run.
    pub complete: bool,
    /// The year and month the input ends near (its modification date), for yearless
    /// timestamps when no explicit year is given.
    pub ends_near: (i32, u8),
}

impl Input {
    /// The log file at `path`. A gzip file (recognised by its content) is a finished
    /// rotation, so it is complete; a plain file may still be written. Its yearless
    /// timestamps end near its modification date (`now` when the system does not say).
    pub fn open(path: &Path, now: DateTime<Utc>) -> io::Result<Input> {
        let mut head = [0u8; 2];
        let mut file = File::open(path)?;
        let n = read_up_to(&mut file, &mut head)?;
        let ends: DateTime<Utc> = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .map(DateTime::from)
            .unwrap_or(now);
        Ok(Input {
            name: path.display().to_string(),
            reader: source::open(path)?,
            complete: source::is_gzip(&head[..n]),
            ends_near: (ends.year(), ends.month() as u8),
        })
    }

    /// A stream such as standard input, plain or gzip, named `name`: complete when it
    /// ends, and ending near `now`.
    pub fn from_reader(
        name: &str,
        reader: impl Read + Send + 'static,
        now: DateTime<Utc>,
    ) -> io::Result<Input> {
        Ok(Input {
            name: name.to_string(),
            reader: source::reader(reader)?,
            complete: true,
            ends_near: (now.year(), now.month() as u8),
        })
    }

    /// How the yearless timestamps of this input get their year: from `year` when given
    /// (the first line's year), else as ending near [`Input::ends_near`].
    pub fn year_policy(&self, year: Option<i32>) -> YearPolicy {
        match year {
            Some(y) => YearPolicy::Starting(y),
            None => YearPolicy::EndingIn {
                year: self.ends_near.0,
                month: self.ends_near.1,
            },
        }
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The lock of the database at `db` held by an ingest for the whole run
/// (`DB.ingest-lock`, an advisory file lock the system drops when the process ends, so a
/// killed run leaves none behind).
#[derive(Debug)]
pub(super) struct IngestLock(#[allow(dead_code)] File);

/// Why the ingest lock was not taken.
pub(super) enum LockError {
    /// Another ingest holds it.
    Busy,
    /// The lock file could not be made or locked.
    Io(PathBuf, io::Error),
}

/// True when an ingest into the database at `db` is running now (it holds the lock). The
/// query page waits for it before building reports, so that the two do not share the
/// machine's cores.
pub fn ingest_running(db: &Path) -> bool {
    matches!(IngestLock::take(db), Err(LockError::Busy))
}

impl IngestLock {
    /// Takes the lock of `db`, without waiting.
    pub(super) fn take(db: &Path) -> Result<IngestLock, LockError> {
        let mut name = db.as_os_str().to_owned();
        name.push(".ingest-lock");
        let path = PathBuf::from(name);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| LockError::Io(path.clone(), e))?;
        match file.try_lock() {
            Ok(()) => Ok(IngestLock(file)),
            Err(std::fs::TryLockError::WouldBlock) => Err(LockError::Busy),
            Err(std::fs::TryLockError::Error(e)) => Err(LockError::Io(path, e)),
        }
    }
}
