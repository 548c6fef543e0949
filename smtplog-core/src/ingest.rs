//! Ingest: read inputs, parse, correlate, and commit records to the store in batches,
//! incrementally and exactly once.
//!
//! An input is identified by its first bytes (after decompression), not by its name, so
//! a rotated file (`mail.log` renamed to `mail.log.1`, later compressed) is recognised
//! and only its unread tail is read, while a replaced file starts afresh. Each batch
//! commits the records, the correlator's changed state and the input's new position in
//! one transaction: a run killed at any instant and run again ends with exactly the
//! records of an uninterrupted run.

use std::io::{self, BufRead, Cursor, Read};

use chrono_tz::Tz;

use crate::correlate::{CorrelateStats, Correlator, Limits, Output};
use crate::parse::{MAX_LINE, Malformed, ParseStats, Parsed, decode, parse_line};
use crate::source::{self, Line};
use crate::store::{Batch, HEAD_LEN, Source, Store, StoreError};
use crate::timestamp::{YearPolicy, YearResolver};

/// Errors of an ingest run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// Reading an input failed (including a truncated gzip stream).
    #[error("reading {name}: {source}")]
    Read {
        /// The input's name.
        name: String,
        /// The I/O error.
        source: io::Error,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How to ingest.
#[derive(Clone, Debug)]
pub struct IngestOptions {
    /// The zone of local timestamps.
    pub zone: Tz,
    /// An explicit year for the first yearless timestamp of each new input; else each
    /// input's reference date is used.
    pub year: Option<i32>,
    /// Lines per committed batch.
    pub batch_lines: usize,
    /// The correlator's memory limits.
    pub limits: Limits,
}

impl IngestOptions {
    /// Options for `zone` with the defaults: year from the inputs, batches of 100,000
    /// lines, default limits.
    pub fn new(zone: Tz) -> Self {
        IngestOptions {
            zone,
            year: None,
            batch_lines: 100_000,
            limits: Limits::default(),
        }
    }
}

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

/// What happened to one input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputOutcome {
    /// Never seen before: read from the start.
    New,
    /// Seen before: read from where the last run stopped.
    Resumed {
        /// The position it resumed at (bytes of content).
        from: u64,
    },
    /// Seen before and shorter now than what was read: truncated in place; not read.
    Truncated,
    /// Empty.
    Empty,
}

/// What one input gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputSummary {
    /// The input's name.
    pub name: String,
    /// How it was recognised.
    pub outcome: InputOutcome,
    /// Lines read in this run.
    pub lines: u64,
    /// Bytes of content read in this run.
    pub bytes: u64,
}

/// What an ingest run did.
#[derive(Clone, Debug, Default)]
pub struct IngestSummary {
    /// Per input, in the order read.
    pub inputs: Vec<InputSummary>,
    /// Lines by parse outcome and events by kind.
    pub parse: ParseStats,
    /// Records by status, orphans, hops, evictions.
    pub correlate: CorrelateStats,
    /// Postfix lines whose timestamp names a day that does not exist (`Feb 29` of a
    /// non-leap year); counted and skipped.
    pub bad_time: u64,
    /// Records committed in this run.
    pub records: u64,
    /// Unfinished messages held after the run.
    pub pending: u64,
}

/// Reports progress: called with the bytes of content read so far in the current input.
pub trait Progress {
    /// A new input starts.
    fn start(&mut self, _name: &str) {}
    /// `bytes` of the current input have been read.
    fn advance(&mut self, _bytes: u64) {}
}

/// A [`Progress`] that reports nothing.
pub struct Silent;
impl Progress for Silent {}

/// Ingests `inputs` (in the order given) into `store`.
pub fn ingest(
    store: &mut Store,
    inputs: Vec<Input>,
    options: &IngestOptions,
    progress: &mut dyn Progress,
) -> Result<IngestSummary, IngestError> {
    let mut correlator = Correlator::restore(options.limits, store.load_pending()?);
    let mut summary = IngestSummary::default();
    for input in inputs {
        let one = ingest_one(
            store,
            &mut correlator,
            input,
            options,
            progress,
            &mut summary,
        )?;
        summary.inputs.push(one);
    }
    summary.correlate = correlator.stats().clone();
    summary.pending = correlator.pending() as u64;
    Ok(summary)
}

/// Reads up to [`HEAD_LEN`] bytes from the start of `reader`.
fn read_head(reader: &mut dyn BufRead) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD_LEN);
    reader.take(HEAD_LEN as u64).read_to_end(&mut head)?;
    Ok(head)
}

fn ingest_one(
    store: &mut Store,
    correlator: &mut Correlator,
    input: Input,
    options: &IngestOptions,
    progress: &mut dyn Progress,
    summary: &mut IngestSummary,
) -> Result<InputSummary, IngestError> {
    let name = input.name.clone();
    let read_err = |e: io::Error| IngestError::Read {
        name: name.clone(),
        source: e,
    };
    let mut reader = input.reader;
    let head = read_head(&mut reader).map_err(read_err)?;
    let mut result = InputSummary {
        name: name.clone(),
        outcome: InputOutcome::Empty,
        lines: 0,
        bytes: 0,
    };
    if head.is_empty() {
        return Ok(result);
    }
    // The same content as an input read before: its stored head is a prefix of ours
    // (it may have been read when shorter). The longest such head wins.
    let known = store
        .sources()?
        .into_iter()
        .filter(|s| !s.head.is_empty() && head.starts_with(&s.head))
        .max_by_key(|s| s.head.len());
    let policy = match options.year {
        Some(y) => YearPolicy::Starting(y),
        None => YearPolicy::EndingIn {
            year: input.ends_near.0,
            month: input.ends_near.1,
        },
    };
    let mut content: Box<dyn BufRead> = Box::new(Cursor::new(head.clone()).chain(reader));
    let (mut src, mut years) = match known {
        Some(s) => {
            let skipped =
                io::copy(&mut (&mut content).take(s.offset), &mut io::sink()).map_err(read_err)?;
            if skipped < s.offset {
                result.outcome = InputOutcome::Truncated;
                return Ok(result);
            }
            result.outcome = InputOutcome::Resumed { from: s.offset };
            let years = match s.year {
                Some(y) => YearResolver::resume(options.zone, policy, y, s.last_month),
                None => YearResolver::new(options.zone, policy),
            };
            (s, years)
        }
        None => {
            result.outcome = InputOutcome::New;
            let src = Source {
                id: 0,
                head: Vec::new(),
                offset: 0,
                lines: 0,
                name: name.clone(),
                year: None,
                last_month: None,
            };
            (src, YearResolver::new(options.zone, policy))
        }
    };
    src.name = name.clone();
    src.head = head;
    progress.start(&name);

    let mut batch = Batch::default();
    let mut outputs: Vec<Output> = Vec::new();
    let mut pending_lines = 0usize;
    let complete = input.complete;
    let mut read = 0u64;
    let mut commit = |store: &mut Store,
                      batch: &mut Batch,
                      correlator: &mut Correlator,
                      src: &mut Source,
                      years: &YearResolver|
     -> Result<(), IngestError> {
        batch.changes = correlator.take_changes();
        let (y, m) = years.state();
        src.year = Some(y);
        src.last_month = m;
        batch.source = Some(src.clone());
        let records = batch.records.len() as u64;
        if let Some(id) = store.commit(batch)? {
            src.id = id;
        }
        summary.records += records;
        *batch = Batch::default();
        Ok(())
    };
    let stream = source::for_each_line(&mut content, MAX_LINE, |line: Line<'_>| {
        if !line.terminated && !complete {
            return Ok(());
        }
        let text = decode(line.bytes);
        let parsed = if line.too_long {
            Parsed::Malformed(Malformed::TooLong)
        } else {
            parse_line(&text)
        };
        summary.parse.record(&text, &parsed);
        if let Parsed::Entry(entry) = &parsed {
            match years.resolve(&entry.header.time) {
                Some(time) => correlator.feed(time, entry, &mut outputs),
                None => summary.bad_time += 1,
            }
            for o in outputs.drain(..) {
                match o {
                    Output::Record(r) => batch.records.push(r),
                    Output::Relink(l) => batch.relinks.push(l),
                }
            }
        }
        src.offset += line.raw_len as u64;
        src.lines += 1;
        read += line.raw_len as u64;
        result.lines += 1;
        pending_lines += 1;
        if pending_lines >= options.batch_lines {
            pending_lines = 0;
            commit(store, &mut batch, correlator, &mut src, &years)?;
            progress.advance(read);
        }
        Ok::<(), IngestError>(())
    });
    match stream {
        Ok(()) => {}
        Err(IngestError::Read { source, .. }) => return Err(read_err(source)),
        Err(e) => return Err(e),
    }
    commit(store, &mut batch, correlator, &mut src, &years)?;
    progress.advance(read);
    result.bytes = read;
    Ok(result)
}

impl From<io::Error> for IngestError {
    fn from(e: io::Error) -> Self {
        IngestError::Read {
            name: String::new(),
            source: e,
        }
    }
}
