//! The write path of ingest: one batch inside a transaction. Records with their message
//! rows, owner addresses and row-ID span; late hop fix-ups; the correlator's state
//! changes; the input's position.

use rusqlite::{Transaction, params};
use rustc_hash::FxHashMap;

use super::{Batch, Result, Source, StoreError};
use crate::correlate::{Change, Relink};
use crate::record::Record;

/// Writes one batch inside `tx`: its records with their summaries, the relinks, the
/// correlator's state changes and the input's position; returns the source's row ID.
pub(super) fn write_batch(
    tx: &Transaction<'_>,
    addresses: &mut FxHashMap<String, i64>,
    batch: &Batch,
) -> Result<Option<i64>> {
    write_records(tx, addresses, &batch.records)?;
    for l in &batch.relinks {
        relink(tx, addresses, l)?;
    }
    write_changes(tx, &batch.changes)?;
    match &batch.source {
        Some(s) => write_source(tx, s).map(Some),
        None => Ok(None),
    }
}

/// The correlator's state changes: an unfinished message saved, or forgotten.
fn write_changes(tx: &Transaction<'_>, changes: &[Change]) -> Result<()> {
    let mut upsert = tx.prepare_cached(
        "INSERT INTO pending (key, state) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET state = excluded.state",
    )?;
    let mut delete = tx.prepare_cached("DELETE FROM pending WHERE key = ?1")?;
    for (key, saved) in changes {
        let text = key.to_text();
        match saved {
            Some(s) => {
                let json = serde_json::to_string(s).map_err(|e| StoreError::CorruptState {
                    key: text.clone(),
                    reason: e.to_string(),
                })?;
                upsert.execute(params![text, json])?;
            }
            None => {
                delete.execute(params![text])?;
            }
        }
    }
    Ok(())
}

/// The input's new position; returns its row ID (a new source, id 0, gets one here; a
/// known one is updated in place).
fn write_source(tx: &Transaction<'_>, s: &Source) -> Result<i64> {
    tx.execute(
        "INSERT INTO sources (id, head, offset, lines, name, year, last_month)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(id) DO UPDATE SET head = excluded.head, offset = excluded.offset,
           lines = excluded.lines, name = excluded.name, year = excluded.year,
           last_month = excluded.last_month",
        params![
            (s.id > 0).then_some(s.id),
            s.head,
            s.offset as i64,
            s.lines as i64,
            s.name,
            s.year,
            s.last_month.map(i64::from)
        ],
    )?;
    Ok(if s.id > 0 {
        s.id
    } else {
        tx.last_insert_rowid()
    })
}

/// The fields the records of one message share: host, instance, queue ID, sender,
/// client IP, SASL user, message-id, orphan.
type MessageFields<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    bool,
);

fn message_fields(r: &Record) -> MessageFields<'_> {
    (
        &r.smtp_relay,
        &r.instance,
        &r.queue_id,
        r.sender.as_deref(),
        r.sender_ip.as_deref(),
        r.sasl_user.as_deref(),
        r.message_id.as_deref(),
        r.orphan,
    )
}

/// Writes `records` with one message row for the records of each message (each
/// distinct [`MessageFields`]) and one row-ID span.
fn write_records(
    tx: &Transaction<'_>,
    addresses: &mut FxHashMap<String, i64>,
    records: &[Record],
) -> Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    // Message rows by queue ID, host, instance and sender (cheap to hash; the sender
    // keeps refused NOQUEUE submissions apart), then by all fields.
    // A row's `first_ms` is its earliest record here (lines of several hosts need not
    // arrive in time order): rows whose first record came later are corrected below.
    struct Row<'a> {
        fields: MessageFields<'a>,
        id: i64,
        owner: Option<i64>,
        written_ms: i64,
        first_ms: i64,
    }
    type Short<'a> = (&'a str, &'a str, &'a str, Option<&'a str>);
    let mut messages: FxHashMap<Short<'_>, Vec<Row<'_>>> = FxHashMap::default();
    let mut insert_message = tx.prepare_cached(
        "INSERT INTO messages (smtp_relay, instance, queue_id, sender, owner, sender_ip,
                               sasl_user, message_id, orphan, first_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO records (time_ms, message, owner, sasl_owner, status, recipient,
                              orig_recipient, dsn, relay, delay, response)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    let mut span: Option<Span> = None;
    for r in records {
        let ms = r.time.timestamp_millis();
        let fields = message_fields(r);
        let rows = messages
            .entry((&r.queue_id, &r.smtp_relay, &r.instance, r.sender.as_deref()))
            .or_default();
        let (message, owner) = match rows.iter_mut().find(|row| row.fields == fields) {
            Some(row) => {
                row.first_ms = row.first_ms.min(ms);
                (row.id, row.owner)
            }
            None => {
                let owner = match &r.sender {
                    Some(a) => Some(address_id(tx, addresses, a)?),
                    None => None,
                };
                insert_message.execute(params![
                    r.smtp_relay,
                    r.instance,
                    r.queue_id,
                    r.sender,
                    owner,
                    r.sender_ip,
                    r.sasl_user,
                    r.message_id,
                    r.orphan,
                    ms,
                ])?;
                let id = tx.last_insert_rowid();
                rows.push(Row {
                    fields,
                    id,
                    owner,
                    written_ms: ms,
                    first_ms: ms,
                });
                (id, owner)
            }
        };
        let sasl_owner = match sasl_owner(r) {
            Some(a) => Some(address_id(tx, addresses, &a)?),
            None => None,
        };
        insert.execute(params![
            ms,
            message,
            owner,
            sasl_owner,
            r.status.index() as i64,
            r.recipient,
            r.orig_recipient,
            r.dsn,
            r.relay,
            r.delay,
            r.response,
        ])?;
        let id = tx.last_insert_rowid();
        match &mut span {
            Some(s) => s.add(id, ms),
            None => span = Some(Span::new(id, ms)),
        }
    }
    let mut first = tx.prepare_cached("UPDATE messages SET first_ms = ?1 WHERE id = ?2")?;
    for row in messages.values().flatten() {
        if row.first_ms < row.written_ms {
            first.execute(params![row.first_ms, row.id])?;
        }
    }
    if let Some(s) = span {
        tx.prepare_cached(
            "INSERT INTO record_spans (first_id, last_id, min_ms, max_ms)
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![s.first_id, s.last_id, s.min_ms, s.max_ms])?;
    }
    Ok(())
}

/// Fixes up the stored records of a message that turned out to be a hop's copy: those of
/// its host, instance and queue ID logged at or after `since` take the origin's client,
/// SASL user (and SASL owner) and, where they have none, original recipient. A message
/// row that also holds earlier records (another message with the very same fields) is
/// split first, so only the hop's copy changes.
fn relink(tx: &Transaction<'_>, addresses: &mut FxHashMap<String, i64>, l: &Relink) -> Result<()> {
    let since = l.since.timestamp_millis();
    let rows: Vec<(i64, Option<String>, Option<i64>, i64)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT m.id, m.sender, m.owner, m.first_ms FROM messages m
              WHERE m.queue_id = ?1 AND m.smtp_relay = ?2 AND m.instance = ?3
                AND EXISTS (SELECT 1 FROM records r
                             WHERE r.owner IS m.owner AND r.time_ms >= max(m.first_ms, ?4)
                               AND r.message = m.id)",
        )?;
        stmt.query_map(
            params![l.key.queue_id, l.key.host, l.key.instance, since],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?
        .collect::<std::result::Result<_, _>>()?
    };
    for (id, sender, owner, first_ms) in rows {
        let shared = first_ms < since
            && tx
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM records
                                     WHERE owner IS ?1 AND time_ms >= ?2 AND time_ms < ?3
                                       AND message = ?4)",
                )?
                .query_row(params![owner, first_ms, since, id], |r| r.get::<_, bool>(0))?;
        let target = if shared {
            tx.prepare_cached(
                "INSERT INTO messages (smtp_relay, instance, queue_id, sender, owner,
                                       sender_ip, sasl_user, message_id, orphan, first_ms)
                 SELECT smtp_relay, instance, queue_id, sender, owner, sender_ip, sasl_user,
                        message_id, orphan, ?2
                   FROM messages WHERE id = ?1",
            )?
            .execute(params![id, since])?;
            let copy = tx.last_insert_rowid();
            tx.prepare_cached(
                "UPDATE records SET message = ?1
                  WHERE owner IS ?2 AND time_ms >= ?3 AND message = ?4",
            )?
            .execute(params![copy, owner, since, id])?;
            copy
        } else {
            id
        };
        tx.prepare_cached(
            "UPDATE messages SET sender_ip = ?1, sasl_user = ?2, orphan = 0 WHERE id = ?3",
        )?
        .execute(params![l.sender_ip, l.sasl_user, target])?;
        let sasl_owner = match owner_of_login(sender.as_deref(), l.sasl_user.as_deref()) {
            Some(a) => Some(address_id(tx, addresses, &a)?),
            None => None,
        };
        tx.prepare_cached(
            "UPDATE records SET sasl_owner = ?1, orig_recipient = COALESCE(orig_recipient, ?2)
              WHERE owner IS ?3 AND time_ms >= max(?4, ?5) AND message = ?6",
        )?
        .execute(params![
            sasl_owner,
            l.orig_recipient,
            owner,
            first_ms,
            since,
            target
        ])?;
    }
    Ok(())
}

/// The row ID of `address` in `addresses`, added when new; `cache` holds those known.
fn address_id(
    tx: &Transaction<'_>,
    cache: &mut FxHashMap<String, i64>,
    address: &str,
) -> Result<i64> {
    if let Some(&id) = cache.get(address) {
        return Ok(id);
    }
    tx.prepare_cached("INSERT INTO addresses (address) VALUES (?1) ON CONFLICT DO NOTHING")?
        .execute(params![address])?;
    let id = tx
        .prepare_cached("SELECT id FROM addresses WHERE address = ?1")?
        .query_row(params![address], |r| r.get(0))?;
    cache.insert(address.to_string(), id);
    Ok(id)
}

/// The row IDs and times of the records one batch wrote.
struct Span {
    first_id: i64,
    last_id: i64,
    min_ms: i64,
    max_ms: i64,
}

impl Span {
    fn new(id: i64, ms: i64) -> Span {
        Span {
            first_id: id,
            last_id: id,
            min_ms: ms,
            max_ms: ms,
        }
    }

    fn add(&mut self, id: i64, ms: i64) {
        self.first_id = self.first_id.min(id);
        self.last_id = self.last_id.max(id);
        self.min_ms = self.min_ms.min(ms);
        self.max_ms = self.max_ms.max(ms);
    }
}

/// The second owner of a record: its SASL user, when that is an address other than the
/// envelope sender (senders are matched by address; a SASL login that is an address
/// owns the mail it sent under another envelope sender too).
fn sasl_owner(r: &Record) -> Option<String> {
    owner_of_login(r.sender.as_deref(), r.sasl_user.as_deref())
}

/// The SASL login `user`, lower-cased, when it is an address other than `sender`.
fn owner_of_login(sender: Option<&str>, user: Option<&str>) -> Option<String> {
    let user = user?;
    if !user.contains('@') {
        return None;
    }
    let user = user.to_ascii_lowercase();
    (sender != Some(user.as_str())).then_some(user)
}
