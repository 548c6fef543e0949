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
use std::sync::mpsc;

use chrono_tz::Tz;

use crate::correlate::{CorrelateStats, Correlator, Limits, Relink, Retract, Sink};
use crate::parse::{ParseStats, Parsed};
use crate::record::{RecordRef, Status};
use crate::store::{Batch, HEAD_LEN, PackedRecords, RowBuilder, Source, Store, StoreError};
use crate::timestamp::{YearPolicy, YearResolver};

mod ahead;
mod input;

use input::{IngestLock, LockError};
pub use input::{Input, ingest_running};

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
    /// Another ingest into the same database is running (it holds `DB.ingest-lock`).
    #[error("another ingest into {0} is running")]
    Busy(String),
    /// The ingest lock file could not be made or locked.
    #[error("cannot lock {path}: {source}")]
    Lock {
        /// The lock file.
        path: String,
        /// The I/O error.
        source: io::Error,
    },
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
    /// Transports that are content filters (`[ingest] filter_transports`).
    pub filter_transports: Vec<String>,
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
            filter_transports: Vec::new(),
        }
    }
}

/// What happened to one input.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
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

impl std::fmt::Display for InputOutcome {
    /// How the input was recognised, in words (`smtplog ingest`'s report).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputOutcome::New => f.write_str("new"),
            InputOutcome::Resumed { from } => write!(f, "resumed at byte {from}"),
            InputOutcome::Truncated => {
                f.write_str("shorter than already read (truncated?): skipped")
            }
            InputOutcome::Empty => f.write_str("empty"),
            InputOutcome::Repeated => f.write_str("same content as an earlier input: skipped"),
        }
    }
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

impl IngestSummary {
    /// The summary as `smtplog ingest --json` prints it, with the run's wall time.
    pub fn to_json(&self, elapsed: f64) -> serde_json::Value {
        let s = self;
        let records: serde_json::Map<String, serde_json::Value> = Status::ALL
            .iter()
            .map(|st| {
                (
                    st.as_str().to_string(),
                    serde_json::json!(s.correlate.records_with(*st)),
                )
            })
            .collect();
        serde_json::json!({
            "inputs": s.inputs.iter().map(|i| serde_json::json!({
                "name": i.name,
                "outcome": match &i.outcome {
                    InputOutcome::New => "new",
                    InputOutcome::Resumed { .. } => "resumed",
                    InputOutcome::Truncated => "truncated",
                    InputOutcome::Empty => "empty",
                    InputOutcome::Repeated => "repeated",
                },
                "lines": i.lines,
                "bytes": i.bytes,
            })).collect::<Vec<_>>(),
            "lines": s.parse.lines,
            "postfix_lines": s.parse.postfix_lines,
            "skipped": s.parse.skipped,
            "malformed": s.parse.malformed,
            "unrecognized_postfix": s.parse.unrecognized_postfix,
            "bad_time": s.bad_time,
            "events": s.parse.by_kind,
            "records": records,
            "records_stored": s.records,
            "orphans": {
                "records": s.correlate.orphan_records,
                "messages": s.correlate.orphan_messages,
                "lines": s.correlate.orphan_lines,
            },
            "evicted": s.correlate.evicted,
            "hops": s.correlate.hops,
            "raced": s.correlate.raced,
            "retracted": s.correlate.retracted,
            "recent_dropped": s.correlate.recent_dropped,
            "pending": s.pending,
            "elapsed_seconds": elapsed,
            "lines_per_second": if elapsed > 0.0 { s.parse.lines as f64 / elapsed } else { 0.0 },
        })
    }
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
    retracts: &'a mut Vec<Retract>,
}

impl Sink for Collect<'_> {
    fn record(&mut self, record: RecordRef<'_>) {
        self.rows.push(&record);
    }

    fn relink(&mut self, relink: Relink) {
        self.relinks.push(relink);
    }

    fn retract(&mut self, retract: Retract) {
        self.retracts.push(retract);
    }
}

/// The most batches the writer puts in one transaction when it has fallen behind.
const GROUP_MAX: usize = 8;

/// Ingests `inputs` (in the order given) into `store`. A store in a file is locked for
/// the run (`DB.ingest-lock`): a second ingest into the same file at the same time gets
/// [`IngestError::Busy`] and changes nothing.
///
/// Three threads overlap: one reads and parses each input ahead, a block at a time
/// (`ahead.rs`); the calling thread resolves times, correlates and packs records into
/// batches; a third commits the batches to SQLite.
pub fn ingest(
    store: &mut Store,
    inputs: Vec<Input>,
    options: &IngestOptions,
    progress: &mut dyn Progress,
) -> Result<IngestSummary, IngestError> {
    let _lock = match store.path() {
        Some(db) => Some(IngestLock::take(&db).map_err(|e| match e {
            LockError::Busy => IngestError::Busy(db.display().to_string()),
            LockError::Io(path, source) => IngestError::Lock {
                path: path.display().to_string(),
                source,
            },
        })?),
        None => None,
    };
    let mut correlator = Correlator::restore(options.limits, store.load_pending()?)
        .with_filter_transports(&options.filter_transports);
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
        let writer = spawn(
            scope,
            "smtplog-write",
            move || -> Result<u64, StoreError> {
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
            },
        );
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

/// Starts a scoped thread named `name` (as profilers and `top -H` show it).
fn spawn<'scope, 'env, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    name: &str,
    f: impl FnOnce() -> T + Send + 'scope,
) -> std::thread::ScopedJoinHandle<'scope, T> {
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn_scoped(scope, f)
        .unwrap_or_else(|e| panic!("cannot start the {name} thread: {e}"))
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
    let Some(src) = plan.source else {
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
    let years = match src.year {
        Some(y) => YearResolver::resume(options.zone, plan.policy, y, src.last_month),
        None => YearResolver::new(options.zone, plan.policy),
    };
    progress.start(&name);

    let mut reading = Reading {
        correlator,
        options,
        summary,
        rows,
        to_writer,
        years,
        batch: Batch::default(),
        pending_lines: 0,
        from: (src.offset, src.lines),
        src,
    };
    // A second thread reads and parses ahead, block by block; this one takes the blocks
    // in order.
    let samples = reading.summary.parse.samples_kept;
    let (taken, ahead) = std::thread::scope(|scope| {
        let (blocks_tx, blocks) = mpsc::sync_channel::<ahead::Block>(ahead::AHEAD);
        let (spent, spent_rx) = mpsc::channel::<ahead::Block>();
        let ahead = spawn(scope, "smtplog-parse", move || {
            ahead::read_ahead(
                &mut content,
                ahead::BLOCK_BYTES,
                plan.complete,
                samples,
                blocks_tx,
                spent_rx,
            )
        });
        let taken = blocks.iter().try_for_each(|block| {
            for (raw_len, parsed) in &block.borrow_dependent().lines {
                reading.take(*raw_len, parsed, progress)?;
            }
            // Back to the parsing thread, to be freed there.
            let _ = spent.send(block);
            Ok::<(), IngestError>(())
        });
        // A failed batch stops the reading: its blocks have nowhere to go.
        drop(blocks);
        let ahead = ahead
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (taken, ahead)
    });
    taken?;
    let (parsed, read) = ahead;
    reading.summary.parse += &parsed;
    // A read error (a truncated gzip stream, a failing disk) ends this input: the complete
    // lines before it are stored, and the error is reported.
    reading.send()?;
    read.map_err(read_err)?;
    progress.advance(reading.read());
    result.lines = reading.src.lines - reading.from.1;
    result.bytes = reading.read();
    Ok(result)
}

/// One input being read: what a parsed line goes through (the year resolver, the
/// correlator) and where its results gather until they are sent as a batch.
struct Reading<'r, 'w> {
    correlator: &'r mut Correlator,
    options: &'r IngestOptions,
    summary: &'r mut IngestSummary,
    rows: &'r mut RowBuilder,
    to_writer: &'r ToWriter<'w>,
    years: YearResolver,
    batch: Batch,
    pending_lines: usize,
    /// The input's position: bytes and lines read, in all runs.
    src: Source,
    /// Where this run started reading it.
    from: (u64, u64),
}

impl Reading<'_, '_> {
    /// Takes one parsed line of `raw_len` bytes: resolves its time, correlates it, and
    /// sends the batch when it is full.
    fn take(
        &mut self,
        raw_len: usize,
        parsed: &Parsed<'_>,
        progress: &mut dyn Progress,
    ) -> Result<(), IngestError> {
        if let Parsed::Entry(entry) = parsed {
            match self.years.resolve(&entry.header.time) {
                Some(time) => {
                    let mut sink = Collect {
                        rows: &mut *self.rows,
                        relinks: &mut self.batch.relinks,
                        retracts: &mut self.batch.retracts,
                    };
                    self.correlator.feed(time, entry, &mut sink);
                }
                None => self.summary.bad_time += 1,
            }
        }
        self.src.offset += raw_len as u64;
        self.src.lines += 1;
        self.pending_lines += 1;
        if self.pending_lines >= self.options.batch_lines {
            self.pending_lines = 0;
            self.send()?;
            progress.advance(self.read());
        }
        Ok(())
    }

    /// Bytes of the input read in this run.
    fn read(&self) -> u64 {
        self.src.offset - self.from.0
    }

    /// Sends what the batch gathered, with the correlator's changed state and the input's
    /// position, to the writer.
    fn send(&mut self) -> Result<(), IngestError> {
        let mut full = std::mem::take(&mut self.batch);
        // What the writer has committed comes back here, where it was allocated: the
        // last batch's buffers are filled again, the others freed.
        let mut spent = None;
        while let Ok(p) = self.to_writer.written.try_recv() {
            spent = Some(p);
        }
        full.packed = Some(self.rows.take(spent));
        full.changes = self.correlator.take_changes();
        let (y, m) = self.years.state();
        let mut s = self.src.clone();
        s.year = Some(y);
        s.last_month = m;
        full.source = Some(s);
        self.to_writer
            .batches
            .send(full)
            .map_err(|_| IngestError::Store(StoreError::WriterStopped))
    }
}

impl From<io::Error> for IngestError {
    fn from(e: io::Error) -> Self {
        IngestError::Read {
            name: String::new(),
            source: e,
        }
    }
}
