//! Versioned migrations. `PRAGMA user_version` holds the version; each step runs in its
//! own transaction, so a file is always at one version or the next.

use rusqlite::{Connection, Transaction, params};

use super::pack::Entry;
use super::rows::takes;
use super::write::{INSERT_MESSAGE, Packed};
use super::{Result, StoreError, status_of};

/// One migration: SQL, or SQL around a step that needs Rust (packing records).
enum Step {
    Sql(&'static str),
    Rust(fn(&Transaction<'_>) -> Result<()>),
}

/// The migrations, in order; the schema version is how many have run.
const MIGRATIONS: &[Step] = &[
    // 1: records, the correlator's unfinished messages, inputs read, key/value metadata.
    Step::Sql(
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
    ),
    // 2: the daily warnings of `notify`, one row per address and day: 'sending' while a
    // run is mailing it (a claim, so two runs never mail the same warning), 'sent' once
    // the relay accepted it. And an index on time alone, for the per-day counts of every
    // sender (`notify`) and for `prune`, which otherwise scan the whole table.
    Step::Sql(
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
    ),
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
    Step::Sql(
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
    ),
    // 4: fewer rows. The records of a message row are packed into one blob in the row
    // (`pack.rs`), so a batch writes one row and three index entries per message
    // instead of one row and two index entries per record plus the message row. A row
    // holds the records of one message written by one batch, at most a day apart (and
    // at most 1024), with its owners, the times of its first and last record and their
    // count; indexed by queue ID, by (owner, last time) and by (SASL owner, last time).
    // Record IDs are kept in the blobs; the next one is `meta.next_record`.
    // `record_spans` now hold message row IDs.
    Step::Rust(pack_records),
    // 5: the query page's tables (`web.rs`). `captchas`: each issued captcha until it
    // expires, marked used by its first guess. `submissions`: every form submission, the
    // audit log and the source of the rate limits: indexed by (client IP, time) for the
    // limit per client, by (lower-cased address, time) over the accepted ones only for
    // the limit per address, and by time for `audit --since` and `prune`. `outbox`: the
    // accepted reports until the relay took them, with their attempts; the pending ones
    // indexed by their next attempt, the sent ones by when they were sent (`prune`).
    Step::Sql(
        "CREATE TABLE captchas (
        id TEXT PRIMARY KEY,
        answer TEXT NOT NULL,
        expires_ms INTEGER NOT NULL,
        used_ms INTEGER
     ) WITHOUT ROWID;
     CREATE INDEX captchas_expires ON captchas (expires_ms);
     CREATE TABLE submissions (
        id INTEGER PRIMARY KEY,
        time_ms INTEGER NOT NULL,
        client_ip TEXT NOT NULL,
        email TEXT NOT NULL,
        begin TEXT,
        end TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'refused')),
        reason TEXT NOT NULL,
        detail TEXT,
        status INTEGER NOT NULL
     );
     CREATE INDEX submissions_ip_time ON submissions (client_ip, time_ms);
     CREATE INDEX submissions_accepted_email_time ON submissions (lower(email), time_ms)
        WHERE outcome = 'accepted';
     CREATE INDEX submissions_time ON submissions (time_ms);
     CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        created_ms INTEGER NOT NULL,
        email TEXT NOT NULL,
        begin TEXT NOT NULL,
        end TEXT NOT NULL,
        client_ip TEXT NOT NULL,
        lang TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_ms INTEGER,
        last_error TEXT,
        last_error_ms INTEGER,
        sent_ms INTEGER,
        message_id TEXT,
        CHECK ((sent_ms IS NULL) = (next_ms IS NOT NULL))
     );
     CREATE INDEX outbox_due ON outbox (next_ms) WHERE sent_ms IS NULL;
     CREATE INDEX outbox_sent ON outbox (sent_ms) WHERE sent_ms IS NOT NULL;",
    ),
    // 6: the message rows' indexes lead with a time bucket of their last record, so a
    // batch's new entries land together at the end of each index instead of all over it
    // (each page an insert touches is written again at the next commit: with the owner
    // or queue ID first, an ingest into a store of millions of rows rewrote most of the
    // indexes at every commit). Readers name the buckets of their time range
    // (`store::buckets`): the hour for queue IDs, the day for owners. Refused submissions
    // (`NOQUEUE`, a fifth to a half of the rows) and rows of no owner are left out: no
    // lookup asks for them. An owner's index holds no time beyond the day: a lookup reads
    // the owner's rows of each day of the range and the time filters those of its first
    // and last day, so the indexes stay as small as the ones they replace.
    Step::Sql(
        "DROP INDEX messages_queue_id;
         DROP INDEX messages_owner_time;
         DROP INDEX messages_sasl_owner_time;
         CREATE INDEX messages_hour_queue_id ON messages (last_ms / 3600000, queue_id)
          WHERE queue_id <> 'NOQUEUE';
         CREATE INDEX messages_day_owner ON messages (last_ms / 86400000, owner)
          WHERE owner IS NOT NULL;
         CREATE INDEX messages_day_sasl_owner ON messages (last_ms / 86400000, sasl_owner)
          WHERE sasl_owner IS NOT NULL;",
    ),
];

/// Migration 4: every message row's records packed into it.
fn pack_records(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(
        "CREATE TABLE messages_4 (
            id INTEGER PRIMARY KEY,
            smtp_relay TEXT NOT NULL,
            instance TEXT NOT NULL,
            queue_id TEXT NOT NULL,
            sender TEXT,
            owner INTEGER,
            sasl_owner INTEGER,
            sender_ip TEXT,
            sasl_user TEXT,
            message_id TEXT,
            orphan INTEGER NOT NULL,
            first_ms INTEGER NOT NULL,
            last_ms INTEGER NOT NULL,
            count INTEGER NOT NULL,
            records BLOB NOT NULL
         );",
    )?;
    let insert_into_4 = INSERT_MESSAGE.replacen("INTO messages", "INTO messages_4", 1);
    let mut insert = tx.prepare(&insert_into_4)?;
    let mut select = tx.prepare(
        "SELECT m.id, m.smtp_relay, m.instance, m.queue_id, m.sender, m.owner, r.sasl_owner,
                m.sender_ip, m.sasl_user, m.message_id, m.orphan,
                r.id, r.time_ms, r.status, r.recipient, r.orig_recipient, r.dsn, r.relay,
                r.delay, r.response
           FROM records r JOIN messages m ON m.id = r.message
          ORDER BY m.id, r.sasl_owner, r.id",
    )?;
    let mut rows = select.query([])?;
    // The row being gathered: its (message row, SASL owner), columns and entries.
    type Columns = (
        String,
        String,
        String,
        Option<String>,
        Option<i64>,
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<String>,
        bool,
    );
    type Own = (
        i64,
        i64,
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<f64>,
        Option<String>,
    );
    // (message row, SASL owner): one message's records with the same owners.
    type Message = ((i64, Option<i64>), Columns, Vec<Own>);
    let mut current: Option<Message> = None;
    let mut flush = |current: Option<Message>| -> Result<()> {
        let Some((_, c, own)) = current else {
            return Ok(());
        };
        let entries: Vec<Entry<'_>> = own
            .iter()
            .filter_map(|o| {
                Some(Entry {
                    id: o.0,
                    time_ms: o.1,
                    status: status_of(o.2)?,
                    recipient: o.3.as_deref(),
                    orig_recipient: o.4.as_deref(),
                    dsn: o.5.as_deref(),
                    relay: o.6.as_deref(),
                    delay: o.7,
                    response: o.8.as_deref(),
                })
            })
            .collect();
        // Split where a row would pass its limits, as the write path does.
        let mut start = 0;
        while start < entries.len() {
            let (mut lo, mut hi) = (entries[start].time_ms, entries[start].time_ms);
            let mut end = start + 1;
            while end < entries.len() && takes(end - start, lo, hi, entries[end].time_ms) {
                (lo, hi) = (lo.min(entries[end].time_ms), hi.max(entries[end].time_ms));
                end += 1;
            }
            let Some(row) = Packed::of(&entries[start..end]) else {
                break;
            };
            insert.execute(params![
                c.0,
                c.1,
                c.2,
                c.3,
                c.4,
                c.5,
                c.6,
                c.7,
                c.8,
                c.9,
                row.first_ms,
                row.last_ms,
                row.count,
                row.blob
            ])?;
            start = end;
        }
        Ok(())
    };
    while let Some(r) = rows.next()? {
        let key = (r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(6)?);
        if current.as_ref().is_none_or(|(k, _, _)| *k != key) {
            let columns: Columns = (
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
                r.get(10)?,
            );
            flush(current.replace((key, columns, Vec::new())))?;
        }
        if let Some((_, _, own)) = &mut current {
            own.push((
                r.get(11)?,
                r.get(12)?,
                r.get(13)?,
                r.get(14)?,
                r.get(15)?,
                r.get(16)?,
                r.get(17)?,
                r.get(18)?,
                r.get(19)?,
            ));
        }
    }
    flush(current.take())?;
    drop(rows);
    drop(select);
    drop(insert);
    tx.execute_batch(
        "INSERT INTO meta (key, value)
            SELECT 'next_record', coalesce(max(id), 0) + 1 FROM records
             WHERE true ON CONFLICT (key) DO UPDATE SET value = excluded.value;
         DROP TABLE records;
         DROP TABLE messages;
         ALTER TABLE messages_4 RENAME TO messages;
         CREATE INDEX messages_queue_id ON messages (queue_id);
         CREATE INDEX messages_owner_time ON messages (owner, last_ms);
         CREATE INDEX messages_sasl_owner_time ON messages (sasl_owner, last_ms)
            WHERE sasl_owner IS NOT NULL;
         DELETE FROM record_spans;
         INSERT INTO record_spans
            SELECT min(id), max(id), min(first_ms), max(last_ms) FROM messages
             GROUP BY id >> 12;",
    )?;
    Ok(())
}

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
    for (i, step) in steps.skip(found as usize) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        match step {
            Step::Sql(sql) => tx.execute_batch(sql)?,
            Step::Rust(f) => f(&tx)?,
        }
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
