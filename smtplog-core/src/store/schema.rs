//! Versioned migrations. `PRAGMA user_version` holds the version; each step runs in its
//! own transaction, so a file is always at one version or the next.

use rusqlite::Connection;

use super::{Result, StoreError};

/// The migrations, in order; the schema version is how many have run.
const MIGRATIONS: &[&str] = &[
    // 1: records, the correlator's unfinished messages, inputs read, key/value metadata.
    "CREATE TABLE records (
        id INTEGER PRIMARY KEY,
        time_ms INTEGER NOT NULL,
        smtp_relay TEXT NOT NULL,
        instance TEXT NOT NULL,
        queue_id TEXT NOT NULL,
        sender TEXT,
        sender_ip TEXT,
        sasl_user TEXT,
        recipient TEXT,
        orig_recipient TEXT,
        status INTEGER NOT NULL,
        dsn TEXT,
        relay TEXT,
        delay REAL,
        response TEXT,
        message_id TEXT,
        orphan INTEGER NOT NULL DEFAULT 0,
        -- The SASL user, lower-cased, when it is an address other than the sender: the
        -- record belongs to that address's history too.
        sasl_owner TEXT
     );
     CREATE INDEX records_sender_time ON records (sender, time_ms);
     CREATE INDEX records_sasl_owner_time ON records (sasl_owner, time_ms)
        WHERE sasl_owner IS NOT NULL;
     CREATE INDEX records_queue_id ON records (queue_id);
     CREATE TABLE pending (key TEXT PRIMARY KEY, state TEXT NOT NULL) WITHOUT ROWID;
     CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        head BLOB NOT NULL,
        offset INTEGER NOT NULL,
        lines INTEGER NOT NULL,
        name TEXT NOT NULL,
        year INTEGER,
        last_month INTEGER
     );
     CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;",
    // 2: the daily warnings of `notify`, one row per address and day: 'sending' while a
    // run is mailing it (a claim, so two runs never mail the same warning), 'sent' once
    // the relay accepted it. And an index on time alone, for the per-day counts of every
    // sender (`notify`) and for `prune`, which otherwise scan the whole table.
    "CREATE INDEX records_time ON records (time_ms);
     CREATE TABLE warnings (
        email TEXT NOT NULL,
        day TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('sending', 'sent')),
        claimed_ms INTEGER NOT NULL,
        sent_ms INTEGER,
        sum INTEGER NOT NULL,
        bounced INTEGER NOT NULL,
        message_id TEXT,
        PRIMARY KEY (email, day)
     ) WITHOUT ROWID;",
    // 3: cheaper writes. The queue-ID and time indexes cost two B-tree inserts for every
    // record; they become summaries written once per batch.
    // `record_spans`: each committed batch's row-ID range and the times it holds, so a
    // time range is read as the row-ID ranges whose spans overlap it (notify, prune).
    // `queue_ids`: per batch, the first record of each queue ID and sender, so the records
    // of a queue ID are found through the sender index (trace, late hop fix-ups).
    // Existing records are summarised in spans of 16384 row IDs.
    "DROP INDEX records_queue_id;
     DROP INDEX records_time;
     CREATE TABLE record_spans (
        first_id INTEGER PRIMARY KEY,
        last_id INTEGER NOT NULL,
        min_ms INTEGER NOT NULL,
        max_ms INTEGER NOT NULL
     );
     INSERT INTO record_spans
        SELECT min(id), max(id), min(time_ms), max(time_ms) FROM records GROUP BY id >> 14;
     CREATE TABLE queue_ids (
        queue_id TEXT NOT NULL,
        first_id INTEGER NOT NULL,
        sender TEXT,
        first_ms INTEGER NOT NULL,
        PRIMARY KEY (queue_id, first_id)
     ) WITHOUT ROWID;
     INSERT INTO queue_ids
        SELECT queue_id, min(id), sender, min(time_ms) FROM records
         WHERE queue_id <> 'NOQUEUE' GROUP BY queue_id, sender;",
];

/// The newest schema version this build knows.
pub(crate) const VERSION: i64 = MIGRATIONS.len() as i64;

pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    migrate_to(conn, VERSION)
}

/// Runs the migrations after the file's version up to `version`.
pub(crate) fn migrate_to(conn: &mut Connection, version: i64) -> Result<()> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > VERSION {
        return Err(StoreError::TooNew {
            found,
            supported: VERSION,
        });
    }
    let steps = MIGRATIONS.iter().enumerate().take(version as usize);
    for (i, sql) in steps.skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
