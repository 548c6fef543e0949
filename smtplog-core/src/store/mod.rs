//! The store: one SQLite file holding the records, the correlator's unfinished state and
//! how far each input has been read. This is the only module that contains SQL.
//!
//! Every ingest batch is one transaction: its records, the relinks, the correlator's
//! state changes and the new read position of its input commit together, so a run
//! killed at any instant resumes from the last batch without loss or duplicates.

mod check;
mod features;
mod pack;
mod rows;
mod schema;
mod top;
mod warnings;
mod web;
mod write;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use crate::correlate::{Change, MessageKey, Relink, Retract, Saved};
use crate::parse::QueueId;
use crate::record::{Record, Status};

pub use check::{CheckReport, MAX_LISTED, Problem};
use pack::{Damaged, Entry, Unpacker};
use rows::MAX_SPAN_MS;
pub(crate) use rows::{PackedRecords, RowBuilder};
pub use warnings::{SentWarning, WarningState};
pub use web::{
    CaptchaCheck, MAX_CLIENT_IP_CHARS, MAX_DETAIL_CHARS, MAX_EMAIL_CHARS, OutboxEntry,
    REPORT_CLAIM_SECS, Submission, SubmissionOutcome,
};
use write::{Known, Packed, write_batch};

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The file was written by a newer smtplog.
    #[error("database schema version {found} is newer than this smtplog understands ({supported})")]
    TooNew {
        /// The file's version.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// A file opened for reading has an older schema; reading never rewrites it.
    #[error(
        "database schema version {found} is older than this smtplog's ({supported}); \
         run `smtplog migrate` to upgrade it"
    )]
    TooOld {
        /// The file's version.
        found: i64,
        /// The version this build reads.
        supported: i64,
    },
    /// A file opened for reading does not exist (reading never creates one).
    #[error("no database at {0}")]
    Missing(String),
    /// The thread that commits batches stopped (after an error of its own).
    #[error("the database writer stopped")]
    WriterStopped,
    /// The packed records of a message row could not be read back.
    #[error(
        "damaged records in message row {row}: {reason} (`smtplog check` lists every damaged row)"
    )]
    Damaged {
        /// The row ID.
        row: i64,
        /// What is wrong.
        reason: &'static str,
    },
    /// A batch's records were packed with IDs the store did not expect.
    #[error("record IDs out of step: the store expects {expected}, the batch starts at {found}")]
    RecordIds {
        /// The store's next record ID.
        expected: i64,
        /// The batch's first.
        found: i64,
    },
    /// A saved correlator state could not be read back.
    #[error("corrupt saved state for {key}: {reason}")]
    CorruptState {
        /// The message key.
        key: String,
        /// What went wrong.
        reason: String,
    },
}

impl StoreError {
    /// True when SQLite could not write the file (a full disk or file-size limit,
    /// another I/O error): the transaction was rolled back, so the file holds what was
    /// committed before, and a run after space is freed goes on from there.
    pub fn is_write_failure(&self) -> bool {
        matches!(
            self,
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DiskFull | rusqlite::ErrorCode::SystemIoFailure
                )
        )
    }
}

/// A shorthand for store results.
pub type Result<T> = std::result::Result<T, StoreError>;

/// One input the store has read before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The row ID.
    pub id: i64,
    /// The first bytes of the input's content (up to [`HEAD_LEN`]): its identity.
    pub head: Vec<u8>,
    /// How many bytes of content (after decompression) were read.
    pub offset: u64,
    /// How many lines were read.
    pub lines: u64,
    /// The name it was last read under.
    pub name: String,
    /// The year resolver's state after the last line read: year and last month.
    pub year: Option<i32>,
    /// See `year`.
    pub last_month: Option<u8>,
}

/// How many leading bytes of an input identify it.
pub const HEAD_LEN: usize = 4096;

/// What one ingest batch writes.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// New records (packed into message rows when written)...
    pub(crate) records: Vec<Record>,
    /// ...or new records packed already, with their IDs ([`Batch::pack`]).
    pub(crate) packed: Option<PackedRecords>,
    /// Fix-ups of stored records.
    pub(crate) relinks: Vec<Relink>,
    /// Stored records taken back.
    pub(crate) retracts: Vec<Retract>,
    /// Correlator state changes.
    pub(crate) changes: Vec<Change>,
    /// The input's new position (its row is created when `id` is `None`).
    pub(crate) source: Option<Source>,
}

impl Batch {
    /// Packs the records into message rows now (on the caller's thread), taking the IDs
    /// from `first_id` on; `records` is left empty with its capacity.
    #[cfg(test)]
    pub(crate) fn pack(&mut self, first_id: i64) {
        self.packed = Some(PackedRecords::pack(&mut self.records, first_id));
    }

    /// How many records the batch holds, packed or not.
    pub(crate) fn record_count(&self) -> usize {
        self.records.len() + self.packed.as_ref().map_or(0, PackedRecords::len)
    }
}

/// A record as stored, with its row ID.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredRecord {
    /// The row ID (increases with ingest order).
    pub id: i64,
    /// The record.
    pub record: Record,
}

/// The start of every query that reads whole records: the message row's columns (the
/// order `push_records` reads) and its packed records.
macro_rules! select_rows {
    () => {
        "SELECT m.id, m.smtp_relay, m.instance, m.queue_id, m.sender, m.sender_ip, \
         m.sasl_user, m.message_id, m.orphan, m.records FROM messages m"
    };
}

/// The time buckets of `size` milliseconds (`last_ms / size`, the leading key of the
/// message rows' indexes: `size` 3600000 for queue IDs, 86400000 for owners) of the
/// times from `lo` to `hi` (SQL expressions), as a list for `IN`, so that a lookup reads
/// the index once per bucket. Only buckets between the first and last of the rows that
/// `index` (the partial index's condition) holds are named: a range of centuries costs no
/// more than the store's history, and the first and last are read from that index.
macro_rules! buckets {
    ($size:literal, $lo:literal, $hi:literal, $index:expr) => {
        concat!(
            "(WITH RECURSIVE b(n) AS (SELECT max(",
            $lo,
            " / ",
            $size,
            ", (SELECT min(last_ms / ",
            $size,
            ") FROM messages WHERE ",
            $index,
            ")) UNION ALL SELECT n + 1 FROM b WHERE n < min(",
            $hi,
            " / ",
            $size,
            ", (SELECT max(last_ms / ",
            $size,
            ") FROM messages WHERE ",
            $index,
            "))) SELECT n FROM b)"
        )
    };
}
pub(crate) use buckets;

/// The condition on the rows of queue ID `?1` (never `NOQUEUE`, which names no message)
/// whose last record was logged from `lo` to `hi` (SQL expressions), found through
/// `messages_hour_queue_id` one hour at a time.
macro_rules! of_queue_id {
    ($lo:literal, $hi:literal) => {
        concat!(
            " WHERE last_ms / 3600000 IN ",
            $crate::store::buckets!("3600000", $lo, $hi, "queue_id <> 'NOQUEUE'"),
            " AND queue_id = ?1 AND queue_id <> 'NOQUEUE'"
        )
    };
}
pub(crate) use of_queue_id;

/// The rows of one owner (`?1`, any case) that may hold records of `[?2, ?3)`; `?4` is
/// `?3` plus the longest span of a row.
macro_rules! rows_of_owner {
    ($owner:literal) => {
        concat!(
            " WHERE m.last_ms / 86400000 IN ",
            buckets!(
                "86400000",
                "?2",
                "(?4 - 1)",
                concat!($owner, " IS NOT NULL")
            ),
            " AND m.",
            $owner,
            " = (SELECT id FROM addresses WHERE address = lower(?1)) \
               AND m.last_ms >= ?2 AND m.last_ms < ?4 AND m.first_ms < ?3"
        )
    };
}

/// The SQLite store.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    /// Owner addresses' row IDs, as committed (forgotten when a write fails or `prune`
    /// forgets addresses).
    known: Known,
}

impl Store {
    /// Opens (creating if needed) the database file at `path`, in WAL mode with a busy
    /// timeout, and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        let conn = Connection::open(path)?;
        Store::setup(conn)
    }

    /// Opens the database file at `path` for reading only: it is never created, never
    /// migrated and never written, so it may be a read-only file or on a read-only
    /// mount. A file of an older schema is refused ([`StoreError::TooOld`]; `smtplog
    /// migrate`, that is [`Store::open`], upgrades it), one of a newer schema too.
    pub fn open_read_only(path: &Path) -> Result<Store> {
        if !path.exists() {
            return Err(StoreError::Missing(path.display().to_string()));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = match Connection::open_with_flags(path, flags).and_then(|c| {
            c.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
                .map(|_| c)
        }) {
            Ok(conn) => conn,
            // A write-ahead-log database whose shared-memory file cannot be made (a
            // read-only folder or mount, after the last writer removed it) is read as
            // immutable: nothing can be writing it there.
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly
                ) =>
            {
                Connection::open_with_flags(
                    format!("file:{}?immutable=1", uri_path(path)),
                    flags | OpenFlags::SQLITE_OPEN_URI,
                )?
            }
            Err(e) => return Err(e.into()),
        };
        conn.busy_timeout(Duration::from_secs(30))?;
        let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if found > schema::VERSION {
            return Err(StoreError::TooNew {
                found,
                supported: schema::VERSION,
            });
        }
        if found < schema::VERSION {
            return Err(StoreError::TooOld {
                found,
                supported: schema::VERSION,
            });
        }
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        Ok(Store {
            conn,
            known: Known::default(),
        })
    }

    /// Upgrades the existing database file at `path` to this build's schema, on
    /// purpose (`smtplog migrate`); returns the versions before and after.
    pub fn migrate(path: &Path) -> Result<(i64, i64)> {
        if !path.exists() {
            return Err(StoreError::Missing(path.display().to_string()));
        }
        let conn = Connection::open(path)?;
        let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let store = Store::setup(conn)?;
        Ok((found, store.schema_version()?))
    }

    /// Makes (or brings) the file at `path` to schema `version` only, as an older
    /// smtplog left it: for tests of `migrate` on files of earlier versions.
    #[doc(hidden)]
    pub fn create_at_version(path: &Path, version: i64) -> Result<()> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "page_size", 16384)?;
        let _mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        schema::migrate_to(&mut conn, version)
    }

    /// A store in memory (for tests and one-off use).
    pub fn open_in_memory() -> Result<Store> {
        Store::setup(Connection::open_in_memory()?)
    }

    fn setup(conn: Connection) -> Result<Store> {
        conn.busy_timeout(Duration::from_secs(30))?;
        // A new file gets 16 KiB pages: a message row with its packed records is a few
        // hundred bytes, and a bulk ingest writes each page to the log and then to the
        // file; larger pages take a third fewer system calls for that (an existing
        // file keeps its page size).
        conn.pragma_update(None, "page_size", 16384)?;
        // WAL lets readers (the query page) work while an ingest writes.
        let _mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // A 16 MiB page cache keeps the owner index's hot pages in memory during ingest
        // (32 MiB measured no faster and 40 MB more resident).
        conn.pragma_update(None, "cache_size", -16384)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut store = Store {
            conn,
            known: Known::default(),
        };
        // Migrations sort whole tables: their temporary B-trees go to disk, not memory.
        schema::migrate(&mut store.conn)?;
        // Queries sort a sender's records or a day's counts: small, kept in memory.
        store.conn.pragma_update(None, "temp_store", "MEMORY")?;
        Ok(store)
    }

    /// The file the store is in; `None` for a store in memory.
    pub fn path(&self) -> Option<std::path::PathBuf> {
        self.conn
            .path()
            .filter(|p| !p.is_empty())
            .map(std::path::PathBuf::from)
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Bulk mode for a long ingest: the write-ahead log is not checkpointed after every
    /// commit but when the caller says ([`Store::checkpoint`]) and once when bulk mode
    /// ends, so pages written many times are copied into the database once. Commits stay
    /// atomic and durable either way.
    pub(crate) fn set_bulk(&mut self, on: bool) -> Result<()> {
        if on {
            self.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        } else {
            self.conn.pragma_update(None, "wal_autocheckpoint", 1000)?;
            self.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
        Ok(())
    }

    /// The ID the next record written will take.
    pub fn next_record(&mut self) -> Result<i64> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = write::next_record(&tx);
        tx.commit()?;
        n
    }

    /// Copies the committed pages of the write-ahead log into the database file, as far
    /// as readers allow, without waiting for them (a passive checkpoint).
    pub(crate) fn checkpoint(&mut self) -> Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// Every input read before.
    pub fn sources(&self) -> Result<Vec<Source>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, head, offset, lines, name, year, last_month FROM sources ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Source {
                id: r.get(0)?,
                head: r.get(1)?,
                offset: r.get::<_, i64>(2)? as u64,
                lines: r.get::<_, i64>(3)? as u64,
                name: r.get(4)?,
                year: r.get(5)?,
                last_month: r.get::<_, Option<i64>>(6)?.map(|m| m as u8),
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// The correlator's saved state.
    pub fn load_pending(&self) -> Result<Vec<(MessageKey, Saved)>> {
        let mut stmt = self.conn.prepare_cached("SELECT key, state FROM pending")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (key_text, state) = row?;
            out.push(saved_row(&key_text, &state)?);
        }
        Ok(out)
    }

    /// Stores `records` made elsewhere (an import, a benchmark's synthetic history), in
    /// one transaction: the store gives them their IDs, after every stored record, and
    /// groups them into message rows as ingest does. Nothing else changes (no input
    /// position, no correlator state).
    pub fn append(&mut self, records: Vec<Record>) -> Result<()> {
        self.commit(&Batch {
            records,
            ..Batch::default()
        })
        .map(|_| ())
    }

    /// Writes one batch in one transaction; returns the source's row ID.
    pub(crate) fn commit(&mut self, batch: &Batch) -> Result<Option<i64>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let written = write_batch(&tx, &mut self.known, batch).and_then(|id| {
            tx.commit()?;
            Ok(id)
        });
        if written.is_err() {
            self.known.forget();
        }
        written
    }

    /// Writes `first` and then each batch `next` gives, up to `max` batches in all, in
    /// one transaction; returns how many records were written. Each batch goes to `done`
    /// once written. A writer that falls behind its producer writes what has queued up
    /// in one go: fewer commits rewrite the same index pages less often.
    pub(crate) fn commit_group(
        &mut self,
        first: Batch,
        max: usize,
        mut next: impl FnMut() -> Option<Batch>,
        mut done: impl FnMut(Batch),
    ) -> Result<u64> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let known = &mut self.known;
        let written = (|| {
            let mut records = first.record_count() as u64;
            write_batch(&tx, known, &first)?;
            done(first);
            for _ in 1..max {
                let Some(batch) = next() else { break };
                write_batch(&tx, known, &batch)?;
                records += batch.record_count() as u64;
                done(batch);
            }
            tx.commit()?;
            Ok(records)
        })();
        if written.is_err() {
            // Addresses added by the failed transaction are gone again.
            self.known.forget();
        }
        written
    }
}

/// The rows of one owner, as envelope sender or SASL login: see `rows_of_owner!`.
const ROWS_OF_OWNER: &str = concat!(
    select_rows!(),
    rows_of_owner!("owner"),
    " UNION ALL ",
    select_rows!(),
    rows_of_owner!("sasl_owner")
);

/// The rows of queue ID `?1` whose last record was logged in `[?2, ?3]`.
const ROWS_OF_QUEUE_ID: &str = concat!(select_rows!(), of_queue_id!("?2", "?3"));

impl Store {
    /// The records of `email` (as envelope sender, or as SASL user) logged in
    /// `[from, to)`, in time order.
    pub fn records_of(
        &self,
        email: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StoredRecord>> {
        let (from, to) = (from.timestamp_millis(), to.timestamp_millis());
        let mut out = self.select_records(
            ROWS_OF_OWNER,
            params![email, from, to, to.saturating_add(MAX_SPAN_MS)],
            |e| (from..to).contains(&e.time_ms),
        )?;
        out.sort_by_key(|s| (s.record.time, s.id));
        Ok(out)
    }

    /// The time and status of each record of `email` in `[from, to)` (for daily counts).
    pub fn statuses_of(
        &self,
        email: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, Status)>> {
        let (from, to) = (from.timestamp_millis(), to.timestamp_millis());
        let mut stmt = self.conn.prepare_cached(concat!(
            "SELECT m.id, m.records FROM messages m",
            rows_of_owner!("owner"),
            " UNION ALL SELECT m.id, m.records FROM messages m",
            rows_of_owner!("sasl_owner")
        ))?;
        let mut rows = stmt.query(params![email, from, to, to.saturating_add(MAX_SPAN_MS)])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let blob = row.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
            for e in Unpacker::new(blob) {
                let e = e.map_err(|e| damaged(id, e))?;
                if (from..to).contains(&e.time_ms)
                    && let Some(t) = DateTime::from_timestamp_millis(e.time_ms)
                {
                    out.push((t, e.status));
                }
            }
        }
        Ok(out)
    }

    /// Runs a query made with `select_rows!` and reads the records `keep` accepts, in the
    /// order of the rows and of the records in each.
    fn select_records<P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
        keep: impl Fn(&Entry<'_>) -> bool,
    ) -> Result<Vec<StoredRecord>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut rows = stmt.query(params)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            push_records(row, &keep, &mut out)?;
        }
        Ok(out)
    }

    /// Every record, in ingest order (for tests, export and comparison).
    pub fn all_records(&self) -> Result<Vec<StoredRecord>> {
        let mut out = self.select_records(select_rows!(), [], |_| true)?;
        out.sort_by_key(|s| s.id);
        Ok(out)
    }

    /// The records of every message with queue ID `queue_id` (on any host and instance,
    /// and every reuse of the ID), in time order. For `smtplog trace`.
    pub fn records_of_queue_id(&self, queue_id: &str) -> Result<Vec<StoredRecord>> {
        // Refused submissions have no queue ID: `NOQUEUE` names no message.
        if queue_id == QueueId::NOQUEUE.as_str() {
            return Ok(Vec::new());
        }
        self.message_records(ROWS_OF_QUEUE_ID, params![queue_id, i64::MIN, i64::MAX])
    }

    /// The records whose message-id is exactly `message_id` (as logged, with its angle
    /// brackets), in time order. No index covers `message_id`: this reads the messages
    /// table, which is fine for an administrator's occasional trace.
    pub fn records_of_message_id(&self, message_id: &str) -> Result<Vec<StoredRecord>> {
        self.message_records(
            concat!(select_rows!(), " WHERE m.message_id = ?1"),
            params![message_id],
        )
    }

    /// Every record of the rows a `select_rows!` query finds, in time order.
    fn message_records<P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
    ) -> Result<Vec<StoredRecord>> {
        let mut out = self.select_records(sql, params, |_| true)?;
        out.sort_by_key(|s| (s.record.time, s.id));
        Ok(out)
    }

    /// The correlator's saved state for queue ID `queue_id` on any host and instance:
    /// messages still in the queue, and hop links waiting for their new message.
    pub fn pending_of_queue_id(&self, queue_id: &str) -> Result<Vec<(MessageKey, Saved)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT key, state FROM pending WHERE key LIKE '%' || char(9) || ?1")?;
        let rows = stmt.query_map(params![queue_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (key_text, state) = row?;
            let (key, saved) = saved_row(&key_text, &state)?;
            // LIKE treats `_` and `%` in the ID as wildcards: keep exact matches only.
            if key.queue_id == queue_id {
                out.push((key, saved));
            }
        }
        Ok(out)
    }

    /// How many records the store holds.
    pub fn count_records(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT coalesce(sum(count), 0) FROM messages", [], |r| {
                r.get::<_, i64>(0)
            })? as u64)
    }

    /// How many unfinished messages (and hop links waiting for their message) the
    /// correlator has saved.
    pub fn count_pending(&self) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM pending
                  WHERE state LIKE '{\"Message\"%' OR state LIKE '{\"Link\"%'",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// Deletes records logged before `before`, and the summaries that no longer
    /// describe any record; returns how many records.
    pub fn prune(&mut self, before: DateTime<Utc>) -> Result<u64> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ms = before.timestamp_millis();
        // Rows reached through the spans that reach back before the cut.
        const OLD_ROWS: &str = "FROM record_spans s CROSS JOIN messages m
              WHERE s.min_ms < ?1 AND m.id BETWEEN s.first_id AND s.last_id
                AND m.first_ms < ?1";
        let mut n: i64 = tx.query_row(
            &format!("SELECT coalesce(sum(m.count), 0) {OLD_ROWS} AND m.last_ms < ?1"),
            params![ms],
            |r| r.get(0),
        )?;
        tx.execute(
            &format!(
                "DELETE FROM messages WHERE id IN (SELECT m.id {OLD_ROWS} AND m.last_ms < ?1)"
            ),
            params![ms],
        )?;
        // Rows across the cut keep their later records.
        let across: Vec<(i64, Vec<u8>)> = tx
            .prepare(&format!("SELECT m.id, m.records {OLD_ROWS}"))?
            .query_map(params![ms], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<std::result::Result<_, _>>()?;
        for (id, blob) in across {
            let entries = Unpacker::new(&blob)
                .collect::<std::result::Result<Vec<Entry<'_>>, _>>()
                .map_err(|e| damaged(id, e))?;
            let kept: Vec<Entry<'_>> = entries
                .iter()
                .filter(|e| e.time_ms >= ms)
                .cloned()
                .collect();
            n += (entries.len() - kept.len()) as i64;
            match Packed::of(&kept) {
                Some(p) => p.update(&tx, id)?,
                None => {
                    tx.execute("DELETE FROM messages WHERE id = ?1", params![id])?;
                }
            }
        }
        tx.execute("DELETE FROM record_spans WHERE max_ms < ?1", params![ms])?;
        tx.execute(
            "DELETE FROM addresses
              WHERE id NOT IN (SELECT owner FROM messages WHERE owner IS NOT NULL)
                AND id NOT IN (SELECT sasl_owner FROM messages WHERE sasl_owner IS NOT NULL)",
            [],
        )?;
        self.known.forget();
        tx.commit()?;
        Ok(n as u64)
    }

    /// A value of the store's key/value table.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
                r.get(0)
            })
            .optional()?)
    }
}

/// Reads a packed records blob (a message row's `records` column) back without storing
/// anything: how many records it holds, or what is damaged. Never panics, whatever the
/// bytes (`smtplog check` reads every row with it; the fuzzer feeds it any bytes).
pub fn unpack_count(blob: &[u8]) -> std::result::Result<usize, &'static str> {
    let mut n = 0;
    for e in Unpacker::new(blob) {
        e.map_err(|d| d.0)?;
        n += 1;
    }
    Ok(n)
}

/// A row of the `pending` table read back.
/// `path` written for an SQLite URI (`file:PATH?...`): `%`, `?` and `#` escaped.
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
    out
}

fn saved_row(key_text: &str, state: &str) -> Result<(MessageKey, Saved)> {
    let corrupt = |reason: String| StoreError::CorruptState {
        key: key_text.to_string(),
        reason,
    };
    let key = MessageKey::from_text(key_text).ok_or_else(|| corrupt("bad key".into()))?;
    let saved = serde_json::from_str(state).map_err(|e| corrupt(e.to_string()))?;
    Ok((key, saved))
}

fn status_of(i: i64) -> Option<Status> {
    Status::ALL.get(usize::try_from(i).ok()?).copied()
}

/// A message row's packed records as an error's "damaged" report.
fn damaged(row: i64, e: Damaged) -> StoreError {
    StoreError::Damaged { row, reason: e.0 }
}

/// Reads a row of a `select_rows!` query: the records `keep` accepts, each with its
/// message's columns, onto `out`.
fn push_records(
    r: &rusqlite::Row<'_>,
    keep: &impl Fn(&Entry<'_>) -> bool,
    out: &mut Vec<StoredRecord>,
) -> Result<()> {
    let id: i64 = r.get(0)?;
    let (smtp_relay, instance, queue_id): (String, String, String) =
        (r.get(1)?, r.get(2)?, r.get(3)?);
    let (sender, sender_ip, sasl_user, message_id): (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    ) = (r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?);
    let orphan: bool = r.get(8)?;
    let blob = r.get_ref(9)?.as_blob().map_err(rusqlite::Error::from)?;
    let owned = |s: Option<&str>| s.map(str::to_string);
    for e in Unpacker::new(blob) {
        let e = e.map_err(|e| damaged(id, e))?;
        if !keep(&e) {
            continue;
        }
        out.push(StoredRecord {
            id: e.id,
            record: Record {
                time: DateTime::from_timestamp_millis(e.time_ms).unwrap_or_default(),
                smtp_relay: smtp_relay.clone(),
                instance: instance.clone(),
                queue_id: queue_id.clone(),
                sender: sender.clone(),
                sender_ip: sender_ip.clone(),
                sasl_user: sasl_user.clone(),
                recipient: owned(e.recipient),
                orig_recipient: owned(e.orig_recipient),
                status: e.status,
                dsn: owned(e.dsn),
                relay: owned(e.relay),
                delay: e.delay,
                response: owned(e.response),
                message_id: message_id.clone(),
                orphan,
            },
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn record(time: &str, queue_id: &str, sender: Option<&str>, status: Status) -> Record {
        Record {
            time: at(time),
            smtp_relay: "relay1".into(),
            instance: "postfix".into(),
            queue_id: queue_id.into(),
            sender: sender.map(str::to_string),
            sender_ip: Some("192.0.2.7".into()),
            sasl_user: None,
            recipient: Some("to@example.org".into()),
            orig_recipient: None,
            status,
            dsn: Some("2.0.0".into()),
            relay: Some("mx.example.org[192.0.2.1]:25".into()),
            delay: Some(1.5),
            response: Some("250 ok".into()),
            message_id: Some("<m@x>".into()),
            orphan: false,
        }
    }

    /// Every lookup of message rows by owner or queue ID reads its index, one bucket at
    /// a time, never the whole table (the plans are those of a store with rows).
    #[test]
    fn lookups_by_owner_and_queue_id_search_their_indexes() {
        let mut store = Store::open_in_memory().unwrap();
        commit_all(&mut store);
        let plan = |sql: &str, n: usize| -> String {
            let params: Vec<i64> = vec![0; n];
            let mut stmt = store
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap();
            let rows = stmt
                .query_map(rusqlite::params_from_iter(params), |r| {
                    r.get::<_, String>(3)
                })
                .unwrap();
            rows.map(|r| r.unwrap()).collect::<Vec<_>>().join("\n")
        };
        for (sql, n, indexes) in [
            (
                ROWS_OF_OWNER,
                4,
                &["messages_day_owner (", "messages_day_sasl_owner ("][..],
            ),
            (ROWS_OF_QUEUE_ID, 3, &["messages_hour_queue_id ("]),
            (write::RELINKED_ROWS, 5, &["messages_hour_queue_id ("]),
            (write::RETRACTED_ROWS, 5, &["messages_hour_queue_id ("]),
        ] {
            let plan = plan(sql, n);
            for index in indexes {
                assert!(
                    plan.contains(&format!("SEARCH m USING INDEX {index}"))
                        || plan.contains(&format!("SEARCH messages USING INDEX {index}")),
                    "{index} not searched:\n{plan}"
                );
            }
            // Every read of the table goes through an index (a bare `SEARCH messages` is
            // a scan for min/max that found no index).
            for line in plan.lines() {
                let reads_table = ["SCAN m", "SEARCH m"].iter().any(|p| line.starts_with(p));
                assert!(
                    !reads_table || line.contains(" INDEX "),
                    "a read of every row:\n{plan}"
                );
            }
        }
    }

    /// A message deferred on day 1 and delivered on day 3, in two batches; another
    /// sender's message on day 2; an orphan (no sender) on day 3; a refused submission;
    /// a message deferred on day 1 and delivered on day 3 within one batch.
    fn batches() -> Vec<Vec<Record>> {
        vec![
            vec![
                record(
                    "2024-03-01T10:00:00Z",
                    "AAA1",
                    Some("a@x.edu"),
                    Status::Deferred,
                ),
                record(
                    "2024-03-01T11:00:00Z",
                    "DDD4",
                    Some("a@x.edu"),
                    Status::Deferred,
                ),
                record(
                    "2024-03-03T11:00:00Z",
                    "DDD4",
                    Some("a@x.edu"),
                    Status::Sent,
                ),
                record(
                    "2024-03-01T10:00:00Z",
                    "NOQUEUE",
                    Some("a@x.edu"),
                    Status::AuthBlk,
                ),
                record(
                    "2024-03-02T09:00:00Z",
                    "BBB2",
                    Some("b@x.edu"),
                    Status::Sent,
                ),
            ],
            vec![
                record(
                    "2024-03-03T08:00:00Z",
                    "AAA1",
                    Some("a@x.edu"),
                    Status::Sent,
                ),
                record("2024-03-03T08:30:00Z", "CCC3", None, Status::Sent),
            ],
        ]
    }

    fn by_queue_id(store: &Store, queue_id: &str) -> Vec<(String, Status)> {
        store
            .records_of_queue_id(queue_id)
            .unwrap()
            .into_iter()
            .map(|s| (s.record.time.to_rfc3339(), s.record.status))
            .collect()
    }

    fn commit_all(store: &mut Store) {
        for records in batches() {
            store
                .commit(&Batch {
                    records,
                    ..Batch::default()
                })
                .unwrap();
        }
    }

    #[test]
    fn a_queue_id_finds_its_records_across_batches_and_senders() {
        let mut store = Store::open_in_memory().unwrap();
        commit_all(&mut store);
        assert_eq!(
            by_queue_id(&store, "AAA1"),
            [
                ("2024-03-01T10:00:00+00:00".to_string(), Status::Deferred),
                ("2024-03-03T08:00:00+00:00".to_string(), Status::Sent)
            ]
        );
        assert_eq!(
            by_queue_id(&store, "CCC3").len(),
            1,
            "a record without sender"
        );
        assert!(by_queue_id(&store, "NOQUEUE").is_empty());
        assert!(by_queue_id(&store, "ZZZ9").is_empty());
    }

    #[test]
    fn a_partial_prune_keeps_the_later_records_and_their_summaries() {
        let mut store = Store::open_in_memory().unwrap();
        commit_all(&mut store);
        assert_eq!(store.prune(at("2024-03-02T00:00:00Z")).unwrap(), 3);
        assert_eq!(store.count_records().unwrap(), 4);
        // The message that spans the cut keeps its later delivery.
        assert_eq!(
            by_queue_id(&store, "AAA1"),
            [("2024-03-03T08:00:00+00:00".to_string(), Status::Sent)]
        );
        assert_eq!(
            by_queue_id(&store, "DDD4"),
            [("2024-03-03T11:00:00+00:00".to_string(), Status::Sent)]
        );
        assert_eq!(by_queue_id(&store, "BBB2").len(), 1);
        let day3 = store
            .counts_by_owner(at("2024-03-03T00:00:00Z"), at("2024-03-04T00:00:00Z"))
            .unwrap();
        assert_eq!(day3.len(), 1);
        assert_eq!(day3[0].0, "a@x.edu");
        assert_eq!(day3[0].1.0[Status::Sent.index()], 2);
        // Pruning everything leaves no summaries behind.
        assert_eq!(store.prune(at("2025-01-01T00:00:00Z")).unwrap(), 4);
        let left: i64 = store
            .conn
            .query_row(
                "SELECT (SELECT count(*) FROM record_spans) + (SELECT count(*) FROM messages)
                      + (SELECT count(*) FROM addresses)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(left, 0);
        // The owners' row IDs known to the store went with them: the same records again
        // are found by address.
        commit_all(&mut store);
        let a = store
            .records_of(
                "A@x.edu",
                at("2024-03-01T00:00:00Z"),
                at("2024-03-04T00:00:00Z"),
            )
            .unwrap();
        assert_eq!(a.len(), 5);
        assert!(
            a.iter()
                .all(|s| s.record.sender.as_deref() == Some("a@x.edu"))
        );
    }

    #[test]
    fn upgrading_a_version_2_file_summarises_its_records() {
        let mut conn = Connection::open_in_memory().unwrap();
        schema::migrate_to(&mut conn, 2).unwrap();
        for (i, r) in batches().into_iter().flatten().enumerate() {
            conn.execute(
                "INSERT INTO records (time_ms, smtp_relay, instance, queue_id, sender, status)
                 VALUES (?1, 'relay1', 'postfix', ?2, ?3, ?4)",
                params![
                    r.time.timestamp_millis(),
                    r.queue_id,
                    r.sender,
                    r.status.index() as i64
                ],
            )
            .unwrap();
            assert_eq!(conn.last_insert_rowid(), i as i64 + 1);
        }
        schema::migrate(&mut conn).unwrap();
        let store = Store {
            conn,
            known: Known::default(),
        };
        assert_eq!(store.schema_version().unwrap(), schema::VERSION);
        assert_eq!(by_queue_id(&store, "AAA1").len(), 2);
        assert_eq!(by_queue_id(&store, "CCC3").len(), 1);
        let all = store
            .counts_by_owner(at("2024-03-01T00:00:00Z"), at("2024-03-04T00:00:00Z"))
            .unwrap();
        let owners: Vec<(&str, u64)> = all
            .iter()
            .map(|(o, c)| (o.as_str(), c.0.iter().sum()))
            .collect();
        assert_eq!(owners, [("a@x.edu", 5), ("b@x.edu", 1)]);
        assert_eq!(by_queue_id(&store, "DDD4").len(), 2);
    }

    fn message_rows(store: &Store, queue_id: &str) -> i64 {
        store
            .conn
            .query_row(
                "SELECT count(*) FROM messages WHERE queue_id = ?1",
                params![queue_id],
                |r| r.get(0),
            )
            .unwrap()
    }

    fn times(records: &[StoredRecord]) -> Vec<String> {
        records
            .iter()
            .map(|s| format!("{} {}", s.record.time.to_rfc3339(), s.record.status))
            .collect()
    }

    #[test]
    fn records_more_than_a_day_apart_take_two_rows_and_each_is_found_by_its_day() {
        let mut store = Store::open_in_memory().unwrap();
        commit_all(&mut store);
        // DDD4's deferral (day 1) and delivery (day 3) came in one batch.
        assert_eq!(message_rows(&store, "DDD4"), 2);
        let day = |d: &str| {
            let from = at(&format!("{d}T00:00:00Z"));
            times(
                &store
                    .records_of("a@x.edu", from, from + chrono::Duration::days(1))
                    .unwrap(),
            )
        };
        assert_eq!(
            day("2024-03-01"),
            // Same time: in arrival order (AAA1's deferral came first).
            [
                "2024-03-01T10:00:00+00:00 deferred",
                "2024-03-01T10:00:00+00:00 auth_blk",
                "2024-03-01T11:00:00+00:00 deferred"
            ]
        );
        assert!(day("2024-03-02").is_empty());
        assert_eq!(
            day("2024-03-03"),
            [
                "2024-03-03T08:00:00+00:00 sent",
                "2024-03-03T11:00:00+00:00 sent"
            ]
        );
        // Record IDs follow arrival order across rows and batches.
        let ids: Vec<i64> = store.all_records().unwrap().iter().map(|s| s.id).collect();
        assert_eq!(ids, (1..=7).collect::<Vec<i64>>());
    }

    #[test]
    fn a_flood_of_identical_refusals_is_spread_over_rows_and_all_kept() {
        let mut store = Store::open_in_memory().unwrap();
        let records: Vec<Record> = (0..2500)
            .map(|i| {
                let mut r = record(
                    "2024-03-01T10:00:00Z",
                    "NOQUEUE",
                    Some("a@x.edu"),
                    Status::AuthBlk,
                );
                r.time += chrono::Duration::seconds(i);
                r
            })
            .collect();
        store
            .commit(&Batch {
                records: records.clone(),
                ..Batch::default()
            })
            .unwrap();
        assert_eq!(message_rows(&store, "NOQUEUE"), 3);
        assert_eq!(store.count_records().unwrap(), 2500);
        let back: Vec<Record> = store
            .records_of(
                "a@x.edu",
                at("2024-03-01T00:00:00Z"),
                at("2024-03-02T00:00:00Z"),
            )
            .unwrap()
            .into_iter()
            .map(|s| s.record)
            .collect();
        assert_eq!(back, records);
    }

    #[test]
    fn damaged_packed_records_are_reported_not_guessed() {
        let mut store = Store::open_in_memory().unwrap();
        commit_all(&mut store);
        store
            .conn
            .execute(
                "UPDATE messages SET records = substr(records, 1, 5) WHERE queue_id = 'BBB2'",
                [],
            )
            .unwrap();
        let err = store
            .records_of(
                "b@x.edu",
                at("2024-03-01T00:00:00Z"),
                at("2024-03-04T00:00:00Z"),
            )
            .unwrap_err();
        assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
        assert!(err.to_string().contains("damaged records in message row"));
        // Other senders' records still read.
        assert_eq!(by_queue_id(&store, "AAA1").len(), 2);
    }

    /// A file in the system's temporary folder, removed (with its WAL files) when dropped.
    struct TempDb(std::path::PathBuf);

    impl TempDb {
        fn new(name: &str) -> TempDb {
            let path = std::env::temp_dir()
                .join(format!("smtplog-store-{}-{name}.db", std::process::id()));
            let db = TempDb(path);
            db.remove();
            db
        }

        fn remove(&self) {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = self.0.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
    }

    impl Drop for TempDb {
        fn drop(&mut self) {
            self.remove();
        }
    }

    #[test]
    fn reading_never_creates_migrates_or_writes_and_migrate_upgrades_on_purpose() {
        let db = TempDb::new("read-only");
        let err = Store::open_read_only(&db.0).unwrap_err();
        assert!(matches!(err, StoreError::Missing(_)), "{err}");
        assert!(!db.0.exists(), "reading created the file");

        // A version 3 file, as an older smtplog left it.
        {
            let mut conn = Connection::open(&db.0).unwrap();
            conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))
                .unwrap();
            schema::migrate_to(&mut conn, 3).unwrap();
        }
        let before = std::fs::read(&db.0).unwrap();
        let err = Store::open_read_only(&db.0).unwrap_err();
        assert!(
            matches!(err, StoreError::TooOld { found: 3, supported } if supported == schema::VERSION),
            "{err}"
        );
        assert!(err.to_string().contains("smtplog migrate"), "{err}");
        assert_eq!(
            std::fs::read(&db.0).unwrap(),
            before,
            "the file was rewritten"
        );

        assert_eq!(Store::migrate(&db.0).unwrap(), (3, schema::VERSION));
        assert_eq!(
            Store::migrate(&db.0).unwrap(),
            (schema::VERSION, schema::VERSION)
        );
        let mut store = Store::open_read_only(&db.0).unwrap();
        assert_eq!(store.count_records().unwrap(), 0);
        // Nothing can be written through it.
        let cutoff: DateTime<Utc> = "2024-03-01T00:00:00Z".parse().unwrap();
        assert!(store.prune(cutoff).is_err());
        drop(store);

        let conn = Connection::open(&db.0).unwrap();
        conn.pragma_update(None, "user_version", schema::VERSION + 1)
            .unwrap();
        drop(conn);
        let err = Store::open_read_only(&db.0).unwrap_err();
        assert!(matches!(err, StoreError::TooNew { .. }), "{err}");
    }

    #[test]
    fn upgrading_a_version_3_file_packs_its_records_and_keeps_their_ids() {
        let mut conn = Connection::open_in_memory().unwrap();
        schema::migrate_to(&mut conn, 3).unwrap();
        // As the version 3 write path stored them: a message row per message, its
        // records pointing at it; record 2 is AAA1's late delivery, after another
        // message's record.
        conn.execute_batch(
            "INSERT INTO addresses (id, address) VALUES (1, 'a@x.edu'), (2, 'login@x.edu');
             INSERT INTO messages (id, smtp_relay, instance, queue_id, sender, owner,
                                   sender_ip, sasl_user, message_id, orphan, first_ms)
                VALUES (1, 'relay1', 'postfix', 'AAA1', 'a@x.edu', 1, '192.0.2.7',
                        'login@x.edu', '<m@x>', 0, 1709287200000),
                       (2, 'relay1', 'postfix', 'CCC3', NULL, NULL, NULL, NULL, NULL, 1,
                        1709287300000);
             INSERT INTO records (id, time_ms, message, owner, sasl_owner, status, recipient,
                                  orig_recipient, dsn, relay, delay, response)
                VALUES (1, 1709287200000, 1, 1, 2, 3, 'to@example.org', NULL, '4.2.0',
                        'mx.example.org[192.0.2.1]:25', 1.5, '450 try later'),
                       (2, 1709287300000, 2, NULL, NULL, 5, 'x@example.org', 'y@example.org',
                        '2.0.0', 'local', 0.25, 'delivered to mailbox'),
                       (3, 1709460000000, 1, 1, 2, 5, 'to@example.org', NULL, '2.0.0',
                        'mx.example.org[192.0.2.1]:25', 172800.5, '250 ok');
             INSERT INTO record_spans VALUES (1, 3, 1709287200000, 1709460000000);",
        )
        .unwrap();
        schema::migrate(&mut conn).unwrap();
        let mut store = Store {
            conn,
            known: Known::default(),
        };
        assert_eq!(store.schema_version().unwrap(), schema::VERSION);
        let all = store.all_records().unwrap();
        type Summary = (i64, String, Option<String>, Option<String>, Option<f64>);
        let summary: Vec<Summary> = all
            .iter()
            .map(|s| {
                (
                    s.id,
                    format!(
                        "{} {} {}",
                        s.record.queue_id,
                        s.record.status,
                        s.record.time.to_rfc3339()
                    ),
                    s.record.sasl_user.clone(),
                    s.record.orig_recipient.clone(),
                    s.record.delay,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    1,
                    "AAA1 deferred 2024-03-01T10:00:00+00:00".into(),
                    Some("login@x.edu".into()),
                    None,
                    Some(1.5)
                ),
                (
                    2,
                    "CCC3 sent 2024-03-01T10:01:40+00:00".into(),
                    None,
                    Some("y@example.org".into()),
                    Some(0.25)
                ),
                (
                    3,
                    "AAA1 sent 2024-03-03T10:00:00+00:00".into(),
                    Some("login@x.edu".into()),
                    None,
                    Some(172800.5)
                ),
            ]
        );
        // AAA1's records are two days apart: two rows. The SASL login still owns them.
        assert_eq!(message_rows(&store, "AAA1"), 2);
        let login = store
            .records_of(
                "login@x.edu",
                at("2024-03-01T00:00:00Z"),
                at("2024-03-04T00:00:00Z"),
            )
            .unwrap();
        assert_eq!(login.len(), 2);
        let day1 = store
            .counts_by_owner(at("2024-03-01T00:00:00Z"), at("2024-03-02T00:00:00Z"))
            .unwrap();
        let owners: Vec<&str> = day1.iter().map(|(o, _)| o.as_str()).collect();
        assert_eq!(owners, ["a@x.edu", "login@x.edu"]);
        // New records continue after the old IDs.
        store
            .commit(&Batch {
                records: vec![record(
                    "2024-03-04T08:00:00Z",
                    "EEE5",
                    Some("a@x.edu"),
                    Status::Sent,
                )],
                ..Batch::default()
            })
            .unwrap();
        let last = store.all_records().unwrap().pop().unwrap();
        assert_eq!((last.id, last.record.queue_id.as_str()), (4, "EEE5"));
    }

    #[test]
    fn records_packed_by_the_caller_are_stored_as_if_packed_here_and_ids_are_checked() {
        let mut here = Store::open_in_memory().unwrap();
        commit_all(&mut here);
        let mut caller = Store::open_in_memory().unwrap();
        for records in batches() {
            let mut batch = Batch {
                records,
                ..Batch::default()
            };
            batch.pack(caller.next_record().unwrap());
            assert!(batch.records.is_empty());
            caller.commit(&batch).unwrap();
        }
        assert_eq!(caller.all_records().unwrap(), here.all_records().unwrap());
        // A batch packed with IDs the store does not expect is refused, and nothing of
        // it is written.
        let mut stale = Batch {
            records: batches().remove(1),
            ..Batch::default()
        };
        stale.pack(3);
        let err = caller.commit(&stale).unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::RecordIds {
                    expected: 8,
                    found: 3
                }
            ),
            "{err}"
        );
        assert_eq!(caller.count_records().unwrap(), 7);
        assert_eq!(caller.next_record().unwrap(), 8);
    }
}
