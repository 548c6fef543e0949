//! The store: one SQLite file holding the records, the correlator's unfinished state and
//! how far each input has been read. This is the only module that contains SQL.
//!
//! Every ingest batch is one transaction: its records, the relinks, the correlator's
//! state changes and the new read position of its input commit together, so a run
//! killed at any instant resumes from the last batch without loss or duplicates.

mod schema;
mod warnings;
mod write;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use rustc_hash::FxHashMap;

use crate::correlate::{Change, MessageKey, Relink, Saved};
use crate::parse::QueueId;
use crate::record::{Record, Status};

pub use warnings::{SentWarning, WarningState};
use write::write_batch;

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
    /// The thread that commits batches stopped (after an error of its own).
    #[error("the database writer stopped")]
    WriterStopped,
    /// A saved correlator state could not be read back.
    #[error("corrupt saved state for {key}: {reason}")]
    CorruptState {
        /// The message key.
        key: String,
        /// What went wrong.
        reason: String,
    },
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
pub struct Batch {
    /// New records.
    pub records: Vec<Record>,
    /// Fix-ups of stored records.
    pub relinks: Vec<Relink>,
    /// Correlator state changes.
    pub changes: Vec<Change>,
    /// The input's new position (its row is created when `id` is `None`).
    pub source: Option<Source>,
}

/// A record as stored, with its row ID.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredRecord {
    /// The row ID (increases with ingest order).
    pub id: i64,
    /// The record.
    pub record: Record,
}

/// The start of every query that reads whole records (the column order `row_to_record`
/// reads).
macro_rules! select_records {
    () => {
        "SELECT r.id, r.time_ms, m.smtp_relay, m.instance, m.queue_id, m.sender, m.sender_ip, \
         m.sasl_user, r.recipient, r.orig_recipient, r.status, r.dsn, r.relay, r.delay, \
         r.response, m.message_id, m.orphan \
         FROM records r JOIN messages m ON m.id = r.message"
    };
}

/// A query of whole records, in time order, of the message rows `m2` that match
/// `$condition`. A message row's records are reached through the owner index: same owner,
/// at or after the row's first time.
macro_rules! records_of_messages {
    ($condition:literal) => {
        concat!(
            select_records!(),
            " WHERE r.id IN (SELECT r2.id FROM messages m2 CROSS JOIN records r2 WHERE ",
            $condition,
            " AND r2.owner IS m2.owner AND r2.time_ms >= m2.first_ms \
               AND r2.message = m2.id) ORDER BY r.time_ms, r.id"
        )
    };
}

/// The SQLite store.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    /// Row IDs of owner addresses, as committed (cleared when a write fails or `prune`
    /// forgets addresses).
    addresses: FxHashMap<String, i64>,
}

impl Store {
    /// Opens (creating if needed) the database file at `path`, in WAL mode with a busy
    /// timeout, and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        let conn = Connection::open(path)?;
        Store::setup(conn)
    }

    /// A store in memory (for tests and one-off use).
    pub fn open_in_memory() -> Result<Store> {
        Store::setup(Connection::open_in_memory()?)
    }

    fn setup(conn: Connection) -> Result<Store> {
        conn.busy_timeout(Duration::from_secs(30))?;
        // WAL lets readers (the query page) work while an ingest writes.
        let _mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // A 16 MiB page cache keeps the owner index's hot pages in memory during ingest
        // (32 MiB measured no faster and 40 MB more resident).
        conn.pragma_update(None, "cache_size", -16384)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut store = Store {
            conn,
            addresses: FxHashMap::default(),
        };
        // Migrations sort whole tables: their temporary B-trees go to disk, not memory.
        schema::migrate(&mut store.conn)?;
        // Queries sort a sender's records or a day's counts: small, kept in memory.
        store.conn.pragma_update(None, "temp_store", "MEMORY")?;
        Ok(store)
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Bulk mode for a long ingest: the write-ahead log is not checkpointed after every
    /// commit but once when bulk mode ends, so pages written many times are copied into
    /// the database once. Commits stay atomic and durable either way.
    pub fn set_bulk(&mut self, on: bool) -> Result<()> {
        if on {
            self.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        } else {
            self.conn.pragma_update(None, "wal_autocheckpoint", 1000)?;
            self.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
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

    /// Writes one batch in one transaction; returns the source's row ID.
    pub fn commit(&mut self, batch: &Batch) -> Result<Option<i64>> {
        let tx = self.conn.transaction()?;
        let written = write_batch(&tx, &mut self.addresses, batch).and_then(|id| {
            tx.commit()?;
            Ok(id)
        });
        if written.is_err() {
            self.addresses.clear();
        }
        written
    }

    /// Writes `first` and then each batch `next` gives, up to `max` batches in all, in
    /// one transaction; returns how many records were written. Each batch goes to `done`
    /// once written. A writer that falls behind its producer writes what has queued up
    /// in one go: fewer commits rewrite the same index pages less often.
    pub fn commit_group(
        &mut self,
        first: Batch,
        max: usize,
        mut next: impl FnMut() -> Option<Batch>,
        mut done: impl FnMut(Batch),
    ) -> Result<u64> {
        let tx = self.conn.transaction()?;
        let addresses = &mut self.addresses;
        let written = (|| {
            let mut records = first.records.len() as u64;
            write_batch(&tx, addresses, &first)?;
            done(first);
            for _ in 1..max {
                let Some(batch) = next() else { break };
                write_batch(&tx, addresses, &batch)?;
                records += batch.records.len() as u64;
                done(batch);
            }
            tx.commit()?;
            Ok(records)
        })();
        if written.is_err() {
            // Addresses added by the failed transaction are gone again.
            self.addresses.clear();
        }
        written
    }
}

impl Store {
    /// The records of `email` (as envelope sender, or as SASL user) logged in
    /// `[from, to)`, in time order.
    pub fn records_of(
        &self,
        email: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StoredRecord>> {
        self.select_records(
            concat!(
                select_records!(),
                " WHERE r.owner = (SELECT id FROM addresses WHERE address = lower(?1)) \
                   AND r.time_ms >= ?2 AND r.time_ms < ?3 UNION ",
                select_records!(),
                " WHERE r.sasl_owner = (SELECT id FROM addresses WHERE address = lower(?1)) \
                   AND r.time_ms >= ?2 AND r.time_ms < ?3 ORDER BY 2, 1"
            ),
            params![email, from.timestamp_millis(), to.timestamp_millis()],
        )
    }

    /// The time and status of each record of `email` in `[from, to)` (for daily counts).
    pub fn statuses_of(
        &self,
        email: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, Status)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, time_ms, status FROM records
              WHERE owner = (SELECT id FROM addresses WHERE address = lower(?1))
                AND time_ms >= ?2 AND time_ms < ?3
             UNION
             SELECT id, time_ms, status FROM records
              WHERE sasl_owner = (SELECT id FROM addresses WHERE address = lower(?1))
                AND time_ms >= ?2 AND time_ms < ?3",
        )?;
        let rows = stmt.query_map(
            params![email, from.timestamp_millis(), to.timestamp_millis()],
            |r| Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)),
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (ms, st) = row?;
            if let (Some(t), Some(s)) = (DateTime::from_timestamp_millis(ms), status_of(st)) {
                out.push((t, s));
            }
        }
        Ok(out)
    }

    /// Runs a query made with `select_records!` and reads its rows as records.
    fn select_records<P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
    ) -> Result<Vec<StoredRecord>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params, row_to_record)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Every record, in ingest order (for tests, export and comparison).
    pub fn all_records(&self) -> Result<Vec<StoredRecord>> {
        self.select_records(concat!(select_records!(), " ORDER BY r.id"), [])
    }

    /// The records of every message with queue ID `queue_id` (on any host and instance,
    /// and every reuse of the ID), in time order. For `smtplog trace`.
    pub fn records_of_queue_id(&self, queue_id: &str) -> Result<Vec<StoredRecord>> {
        // Refused submissions have no queue ID: `NOQUEUE` names no message.
        if queue_id == QueueId::NOQUEUE.as_str() {
            return Ok(Vec::new());
        }
        self.select_records(records_of_messages!("m2.queue_id = ?1"), params![queue_id])
    }

    /// The records whose message-id is exactly `message_id` (as logged, with its angle
    /// brackets), in time order. No index covers `message_id`: this reads the messages
    /// table, which is fine for an administrator's occasional trace.
    pub fn records_of_message_id(&self, message_id: &str) -> Result<Vec<StoredRecord>> {
        self.select_records(
            records_of_messages!("m2.message_id = ?1"),
            params![message_id],
        )
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
            .query_row("SELECT count(*) FROM records", [], |r| r.get::<_, i64>(0))?
            as u64)
    }

    /// How many unfinished messages the correlator has saved.
    pub fn count_pending(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM pending", [], |r| r.get::<_, i64>(0))?
            as u64)
    }

    /// Deletes records logged before `before`, and the summaries that no longer
    /// describe any record; returns how many records.
    pub fn prune(&mut self, before: DateTime<Utc>) -> Result<u64> {
        let tx = self.conn.transaction()?;
        let ms = before.timestamp_millis();
        let n = tx.execute(
            "DELETE FROM records WHERE id IN (
                 SELECT r.id FROM record_spans s CROSS JOIN records r
                  WHERE s.min_ms < ?1 AND r.id BETWEEN s.first_id AND s.last_id
                    AND r.time_ms < ?1)",
            params![ms],
        )?;
        tx.execute("DELETE FROM record_spans WHERE max_ms < ?1", params![ms])?;
        tx.execute(
            "DELETE FROM messages WHERE first_ms < ?1 AND NOT EXISTS (
                 SELECT 1 FROM records r
                  WHERE r.owner IS messages.owner AND r.time_ms >= messages.first_ms
                    AND r.message = messages.id)",
            params![ms],
        )?;
        tx.execute(
            "DELETE FROM addresses
              WHERE id NOT IN (SELECT owner FROM messages WHERE owner IS NOT NULL)
                AND id NOT IN (SELECT sasl_owner FROM records WHERE sasl_owner IS NOT NULL)",
            [],
        )?;
        self.addresses.clear();
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

    /// Sets a value of the store's key/value table.
    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }
}

/// A row of the `pending` table read back.
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

fn row_to_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRecord> {
    let status_index: i64 = r.get(10)?;
    let status = status_of(status_index).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            10,
            rusqlite::types::Type::Integer,
            format!("unknown status {status_index}").into(),
        )
    })?;
    let ms: i64 = r.get(1)?;
    Ok(StoredRecord {
        id: r.get(0)?,
        record: Record {
            time: DateTime::from_timestamp_millis(ms).unwrap_or_default(),
            smtp_relay: r.get(2)?,
            instance: r.get(3)?,
            queue_id: r.get(4)?,
            sender: r.get(5)?,
            sender_ip: r.get(6)?,
            sasl_user: r.get(7)?,
            recipient: r.get(8)?,
            orig_recipient: r.get(9)?,
            status,
            dsn: r.get(11)?,
            relay: r.get(12)?,
            delay: r.get(13)?,
            response: r.get(14)?,
            message_id: r.get(15)?,
            orphan: r.get(16)?,
        },
    })
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
            addresses: FxHashMap::default(),
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
}
