//! Ingest: read inputs, parse, correlate, and commit records to the store in batches,
//! incrementally and exactly once.
//!
//! An input is identified by its first bytes (after decompression), not by its name, so
//! a rotated file (`mail.log` renamed to `mail.log.1`, later compressed) is recognised
//! and only its unread tail is read, while a replaced file starts afresh. Each batch
//! commits the records, the correlator's changed state and the input's new position in
//! one transaction: a run killed at any instant and run again ends with exactly the
//! records of an uninterrupted run.

use std::borrow::Cow;
use std::io::{self, BufRead, Cursor, Read};
use std::sync::mpsc;

use chrono_tz::Tz;

use crate::correlate::{CorrelateStats, Correlator, Limits, Relink, Sink};
use crate::parse::{
    MAX_LINE, Malformed, ParseStats, Parsed, decode, parse_line, parse_line_without_nul,
};
use crate::record::RecordRef;
use crate::source::{self, Line};
use crate::store::{Batch, HEAD_LEN, PackedRecords, RowBuilder, Source, Store, StoreError};
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
    /// Options for `zone` with the defaults: year from the inputs, batches of 50,000
    /// lines, default limits.
    pub fn new(zone: Tz) -> Self {
        IngestOptions {
            zone,
            year: None,
            batch_lines: 50_000,
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
    /// The same content as an input given earlier in this run: read once only.
    Repeated,
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

/// The stream's ends of the channels to and from the writer thread.
struct ToWriter<'a> {
    /// Batches to commit.
    batches: &'a mpsc::SyncSender<Batch>,
    /// The records of committed batches, coming back to be freed.
    written: &'a mpsc::Receiver<PackedRecords>,
}

/// Where a batch gathers what the correlator finds: records packed into message rows,
/// and fix-ups of stored records.
struct Collect<'a> {
    rows: &'a mut RowBuilder,
    relinks: &'a mut Vec<Relink>,
}

impl Sink for Collect<'_> {
    fn record(&mut self, record: RecordRef<'_>) {
        self.rows.push(&record);
    }

    fn relink(&mut self, relink: Relink) {
        self.relinks.push(relink);
    }
}

/// The most batches the writer puts in one transaction when it has fallen behind.
const GROUP_MAX: usize = 8;

/// Ingests `inputs` (in the order given) into `store`.
///
/// Reading, parsing and correlating run on the calling thread; committing batches to
/// SQLite runs on a second thread, so the two overlap.
pub fn ingest(
    store: &mut Store,
    inputs: Vec<Input>,
    options: &IngestOptions,
    progress: &mut dyn Progress,
) -> Result<IngestSummary, IngestError> {
    let mut correlator = Correlator::restore(options.limits, store.load_pending()?);
    let mut summary = IngestSummary::default();
    let plans = plan(store, inputs, options)?;
    // Records are packed into message rows as the correlator makes them, across inputs;
    // the writer checks that their IDs follow the stored ones.
    let mut rows = RowBuilder::new(store.next_record()?);
    let written = std::thread::scope(|scope| -> Result<u64, IngestError> {
        let (tx, rx) = mpsc::sync_channel::<Batch>(2);
        // Written records go back to this thread, which allocated them, to be freed:
        // freeing them on the writer's thread cost it a tenth of its time.
        let (back_tx, back) = mpsc::channel::<PackedRecords>();
        let writer = scope.spawn(move || -> Result<u64, StoreError> {
            let mut records = 0u64;
            store.set_bulk(true)?;
            let done = |b: Batch| {
                // A closed channel means the stream ended: the records are freed here.
                if let Some(p) = b.packed {
                    let _ = back_tx.send(p);
                }
            };
            loop {
                let first = match rx.try_recv() {
                    Ok(batch) => batch,
                    Err(mpsc::TryRecvError::Disconnected) => break,
                    // Waiting for the next batch: meanwhile, copy what is committed into
                    // the database file, so little is left to copy at the end.
                    Err(mpsc::TryRecvError::Empty) => {
                        store.checkpoint()?;
                        match rx.recv() {
                            Ok(batch) => batch,
                            Err(_) => break,
                        }
                    }
                };
                records += store.commit_group(first, GROUP_MAX, || rx.try_recv().ok(), done)?;
            }
            store.set_bulk(false)?;
            Ok(records)
        });
        let to_writer = ToWriter {
            batches: &tx,
            written: &back,
        };
        let mut streamed = Ok(());
        for plan in plans {
            match stream(
                plan,
                &mut correlator,
                options,
                progress,
                &mut summary,
                &mut rows,
                &to_writer,
            ) {
                Ok(one) => summary.inputs.push(one),
                Err(e) => {
                    streamed = Err(e);
                    break;
                }
            }
        }
        drop(tx);
        let written = writer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        // A failed commit stops the stream (its channel closes); report the commit's error.
        let written = written?;
        streamed?;
        Ok(written)
    })?;
    summary.records = written;
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

/// One input, identified and ready to stream.
struct Plan {
    name: String,
    content: Box<dyn BufRead + Send>,
    /// `None` for an empty input or one already read earlier in this run.
    source: Option<Source>,
    outcome: InputOutcome,
    complete: bool,
    policy: YearPolicy,
}

/// Identifies every input by its first bytes: an input read before (its stored head is a
/// prefix of ours; the longest such wins) resumes; a new one gets its source row now, so
/// that every batch names its input by row ID.
fn plan(
    store: &mut Store,
    inputs: Vec<Input>,
    options: &IngestOptions,
) -> Result<Vec<Plan>, IngestError> {
    let mut known = store.sources()?;
    let mut used: Vec<i64> = Vec::new();
    let mut plans = Vec::new();
    for input in inputs {
        let name = input.name;
        let mut reader = input.reader;
        let head = read_head(&mut reader).map_err(|e| IngestError::Read {
            name: name.clone(),
            source: e,
        })?;
        let policy = match options.year {
            Some(y) => YearPolicy::Starting(y),
            None => YearPolicy::EndingIn {
                year: input.ends_near.0,
                month: input.ends_near.1,
            },
        };
        let content: Box<dyn BufRead + Send> = Box::new(Cursor::new(head.clone()).chain(reader));
        let mut plan = Plan {
            name: name.clone(),
            content,
            source: None,
            outcome: InputOutcome::Empty,
            complete: input.complete,
            policy,
        };
        if head.is_empty() {
            plans.push(plan);
            continue;
        }
        let found = known
            .iter()
            .filter(|s| !s.head.is_empty() && head.starts_with(&s.head))
            .max_by_key(|s| s.head.len())
            .cloned();
        match found {
            Some(s) if used.contains(&s.id) => plan.outcome = InputOutcome::Repeated,
            Some(mut s) => {
                used.push(s.id);
                plan.outcome = InputOutcome::Resumed { from: s.offset };
                s.head = head;
                s.name = name;
                plan.source = Some(s);
            }
            None => {
                let mut s = Source {
                    id: 0,
                    head,
                    offset: 0,
                    lines: 0,
                    name,
                    year: None,
                    last_month: None,
                };
                s.id = store
                    .commit(&Batch {
                        source: Some(s.clone()),
                        ..Batch::default()
                    })?
                    .unwrap_or(0);
                used.push(s.id);
                known.push(s.clone());
                plan.outcome = InputOutcome::New;
                plan.source = Some(s);
            }
        }
        plans.push(plan);
    }
    Ok(plans)
}

/// Streams one planned input through parse and correlate, sending batches to the writer.
fn stream(
    plan: Plan,
    correlator: &mut Correlator,
    options: &IngestOptions,
    progress: &mut dyn Progress,
    summary: &mut IngestSummary,
    rows: &mut RowBuilder,
    to_writer: &ToWriter<'_>,
) -> Result<InputSummary, IngestError> {
    let name = plan.name;
    let mut result = InputSummary {
        name: name.clone(),
        outcome: plan.outcome,
        lines: 0,
        bytes: 0,
    };
    let Some(mut src) = plan.source else {
        return Ok(result);
    };
    let read_err = |e: io::Error| IngestError::Read {
        name: name.clone(),
        source: e,
    };
    let mut content = plan.content;
    if src.offset > 0 {
        let skipped =
            io::copy(&mut (&mut content).take(src.offset), &mut io::sink()).map_err(read_err)?;
        if skipped < src.offset {
            result.outcome = InputOutcome::Truncated;
            return Ok(result);
        }
    }
    let mut years = match src.year {
        Some(y) => YearResolver::resume(options.zone, plan.policy, y, src.last_month),
        None => YearResolver::new(options.zone, plan.policy),
    };
    progress.start(&name);

    let closed = || IngestError::Store(StoreError::WriterStopped);
    let mut batch = Batch::default();
    let mut pending_lines = 0usize;
    let complete = plan.complete;
    let mut read = 0u64;
    let send = |batch: &mut Batch,
                rows: &mut RowBuilder,
                correlator: &mut Correlator,
                src: &Source,
                years: &YearResolver|
     -> Result<(), IngestError> {
        let mut full = std::mem::take(batch);
        // Free what the writer has committed, here where it was allocated.
        while to_writer.written.try_recv().is_ok() {}
        let room = RowBuilder::with_capacity(rows.next_id(), rows.rows());
        full.packed = Some(std::mem::replace(rows, room).finish());
        full.changes = correlator.take_changes();
        let (y, m) = years.state();
        let mut s = src.clone();
        s.year = Some(y);
        s.last_month = m;
        full.source = Some(s);
        to_writer.batches.send(full).map_err(|_| closed())
    };
    let streamed = source::for_each_line(&mut content, MAX_LINE, |line: Line<'_>| {
        if !line.terminated && !complete {
            return Ok(());
        }
        let text = match line.text {
            Some(checked) => Cow::Borrowed(checked),
            None => decode(line.bytes),
        };
        let parsed = if line.too_long {
            Parsed::Malformed(Malformed::TooLong)
        } else if line.nul_free {
            parse_line_without_nul(&text)
        } else {
            parse_line(&text)
        };
        summary.parse.record(&text, &parsed);
        if let Parsed::Entry(entry) = &parsed {
            match years.resolve(&entry.header.time) {
                Some(time) => {
                    let mut sink = Collect {
                        rows: &mut *rows,
                        relinks: &mut batch.relinks,
                    };
                    correlator.feed(time, entry, &mut sink);
                }
                None => summary.bad_time += 1,
            }
        }
        src.offset += line.raw_len as u64;
        src.lines += 1;
        read += line.raw_len as u64;
        result.lines += 1;
        pending_lines += 1;
        if pending_lines >= options.batch_lines {
            pending_lines = 0;
            send(&mut batch, rows, correlator, &src, &years)?;
            progress.advance(read);
        }
        Ok::<(), IngestError>(())
    });
    match streamed {
        Ok(()) => {}
        Err(IngestError::Read { source, .. }) => {
            // A read error (a truncated gzip stream, a failing disk) ends this input: the
            // complete lines before it are stored, and the error is reported.
            send(&mut batch, rows, correlator, &src, &years)?;
            return Err(read_err(source));
        }
        Err(e) => return Err(e),
    }
    send(&mut batch, rows, correlator, &src, &years)?;
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
