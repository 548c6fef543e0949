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
];

/// The newest schema version this build knows.
pub(crate) const VERSION: i64 = MIGRATIONS.len() as i64;

pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > VERSION {
        return Err(StoreError::TooNew {
            found,
            supported: VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
