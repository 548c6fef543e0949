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
    // 3: cheaper writes. Each record used to carry its message's fields, its owners as
    // text and three indexes; now:
    // `addresses`: each owner address once; records name their owners by row ID, so the
    // owner index compares integers.
    // `messages`: the fields a message's records share (host, instance, queue ID, sender,
    // client, SASL user, message-id, orphan), one row per message and batch that wrote
    // records of it (refused NOQUEUE submissions with the same fields share one), with
    // the sender's address ID and the time of its first record there. Indexed by queue
    // ID, for `trace`.
    // `records`: the record's own fields, its message row, its owners (sender, and a SASL
    // login that is another address) for the one index by (owner, time). A message
    // row's records are found through that index: same owner, at or after `first_ms`.
    // `record_spans`: each batch's row-ID range and the times it holds, so a time range
    // is read as the row-ID ranges whose spans overlap it (notify, prune); existing
    // records are summarised in spans of 16384 row IDs.
    "CREATE TABLE addresses (
        id INTEGER PRIMARY KEY,
        address TEXT NOT NULL UNIQUE
     );
     INSERT INTO addresses (address)
        SELECT sender FROM records WHERE sender IS NOT NULL
        UNION SELECT sasl_owner FROM records WHERE sasl_owner IS NOT NULL;
     CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        smtp_relay TEXT NOT NULL,
        instance TEXT NOT NULL,
        queue_id TEXT NOT NULL,
        sender TEXT,
        owner INTEGER,
        sender_ip TEXT,
        sasl_user TEXT,
        message_id TEXT,
        orphan INTEGER NOT NULL,
        first_ms INTEGER NOT NULL
     );
     INSERT INTO messages (smtp_relay, instance, queue_id, sender, owner, sender_ip,
                           sasl_user, message_id, orphan, first_ms)
        SELECT smtp_relay, instance, queue_id, sender,
               (SELECT id FROM addresses WHERE address = sender), sender_ip, sasl_user,
               message_id, orphan, min(time_ms)
          FROM records
         GROUP BY smtp_relay, instance, queue_id, sender, sender_ip, sasl_user, message_id,
                  orphan;
     CREATE INDEX messages_queue_id ON messages (queue_id);
     CREATE INDEX messages_fields ON messages (queue_id, smtp_relay, instance, sender,
                                               sender_ip, sasl_user, message_id, orphan);
     CREATE TABLE records_3 (
        id INTEGER PRIMARY KEY,
        time_ms INTEGER NOT NULL,
        message INTEGER NOT NULL,
        owner INTEGER,
        sasl_owner INTEGER,
        status INTEGER NOT NULL,
        recipient TEXT,
        orig_recipient TEXT,
        dsn TEXT,
        relay TEXT,
        delay REAL,
        response TEXT
     );
     INSERT INTO records_3 (id, time_ms, message, owner, sasl_owner, status, recipient,
                            orig_recipient, dsn, relay, delay, response)
        SELECT r.id, r.time_ms, m.id, m.owner,
               (SELECT id FROM addresses WHERE address = r.sasl_owner), r.status,
               r.recipient, r.orig_recipient, r.dsn, r.relay, r.delay, r.response
          FROM records r JOIN messages m
            ON m.queue_id = r.queue_id AND m.smtp_relay = r.smtp_relay
           AND m.instance = r.instance AND m.sender IS r.sender
           AND m.sender_ip IS r.sender_ip AND m.sasl_user IS r.sasl_user
           AND m.message_id IS r.message_id AND m.orphan = r.orphan;
     DROP INDEX messages_fields;
     DROP TABLE records;
     ALTER TABLE records_3 RENAME TO records;
     CREATE INDEX records_owner_time ON records (owner, time_ms);
     CREATE INDEX records_sasl_owner_time ON records (sasl_owner, time_ms)
        WHERE sasl_owner IS NOT NULL;
     CREATE TABLE record_spans (
        first_id INTEGER PRIMARY KEY,
        last_id INTEGER NOT NULL,
        min_ms INTEGER NOT NULL,
        max_ms INTEGER NOT NULL
     );
     INSERT INTO record_spans
        SELECT min(id), max(id), min(time_ms), max(time_ms) FROM records GROUP BY id >> 14;",
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
