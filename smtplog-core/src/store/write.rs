//! The write path of ingest: one batch inside a transaction. Records packed into their
//! message rows, with owner addresses, record IDs and the batch's row-ID span; late hop
//! fix-ups; the correlator's state changes; the input's position.

use rusqlite::{OptionalExtension, Transaction, params};
use rustc_hash::FxHashMap;

use super::pack::{Entry, Packer, Unpacker};
use super::rows::MAX_SPAN_MS;
use super::rows::{PackedRecords, owner_of_login};
use super::{Batch, Result, Source, StoreError, damaged, of_queue_id};
use crate::correlate::{Change, Relink, Retract};
use crate::record::Status;

/// What the writer remembers between transactions: the row IDs of owner addresses, as
/// committed. Forgotten when a write fails.
#[derive(Debug, Default)]
pub(super) struct Known {
    pub(super) addresses: FxHashMap<String, i64>,
}

impl Known {
    pub(super) fn forget(&mut self) {
        self.addresses.clear();
    }
}

/// Writes one batch inside `tx`: its records in their message rows, the relinks, the
/// correlator's state changes and the input's position; returns the source's row ID.
pub(super) fn write_batch(
    tx: &Transaction<'_>,
    known: &mut Known,
    batch: &Batch,
) -> Result<Option<i64>> {
    let mut span = None;
    write_records(tx, known, batch, &mut span)?;
    for l in &batch.relinks {
        relink(tx, known, l, &mut span)?;
    }
    for r in &batch.retracts {
        retract(tx, r)?;
    }
    if let Some(s) = span {
        tx.prepare_cached(
            "INSERT INTO record_spans (first_id, last_id, min_ms, max_ms)
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![s.first_id, s.last_id, s.min_ms, s.max_ms])?;
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

/// The next record ID: kept in `meta` (a record's ID never changes, and the records of
/// a batch take consecutive IDs in arrival order).
pub(super) fn next_record(tx: &Transaction<'_>) -> Result<i64> {
    let stored: Option<String> = tx
        .prepare_cached("SELECT value FROM meta WHERE key = 'next_record'")?
        .query_row([], |r| r.get(0))
        .optional()?;
    match stored {
        None => Ok(1),
        Some(v) => v.parse().map_err(|_| StoreError::CorruptState {
            key: "next_record".into(),
            reason: format!("not a number: {v:?}"),
        }),
    }
}

/// Writes a batch's records, packed into message rows (here, unless the caller packed
/// them already with the IDs the store expects).
fn write_records(
    tx: &Transaction<'_>,
    known: &mut Known,
    batch: &Batch,
    span: &mut Option<Span>,
) -> Result<()> {
    if batch.records.is_empty() && batch.packed.as_ref().is_none_or(PackedRecords::is_empty) {
        return Ok(());
    }
    let expected = next_record(tx)?;
    let packed_here;
    let packed = match &batch.packed {
        Some(p) => p,
        None => {
            packed_here = PackedRecords::of(&batch.records, expected);
            &packed_here
        }
    };
    if packed.first_id != expected {
        return Err(StoreError::RecordIds {
            expected,
            found: packed.first_id,
        });
    }
    let mut insert = tx.prepare_cached(INSERT_MESSAGE)?;
    for row in packed.rows() {
        let owner = owner_id(tx, known, row.sender)?;
        let sasl_owner = owner_id(tx, known, row.sasl_login)?;
        insert.execute(params![
            row.smtp_relay,
            row.instance,
            row.queue_id,
            row.sender,
            owner,
            sasl_owner,
            row.sender_ip,
            row.sasl_user,
            row.message_id,
            row.orphan,
            row.first_ms,
            row.last_ms,
            row.count as i64,
            row.blob,
        ])?;
        Span::add(span, tx.last_insert_rowid(), row.first_ms, row.last_ms);
    }
    let next = expected + packed.len() as i64;
    tx.prepare_cached(
        "INSERT INTO meta (key, value) VALUES ('next_record', ?1)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![next.to_string()])?;
    Ok(())
}

/// Inserts a message row: host, instance, queue ID, sender, owner, SASL owner, client
/// IP, SASL user, message-id, orphan, first and last time, record count, records.
pub(super) const INSERT_MESSAGE: &str = "INSERT INTO messages (smtp_relay, instance, queue_id,
        sender, owner, sasl_owner, sender_ip, sasl_user, message_id, orphan, first_ms, last_ms,
        count, records)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

/// The rows of the message (queue ID `?1`, host `?2`, instance `?3`) whose last record
/// was logged at or after `?4` (`?5`: the latest time to look for).
pub(super) const RELINKED_ROWS: &str = concat!(
    "SELECT id, sender, records FROM messages",
    of_queue_id!("?4", "?5"),
    " AND smtp_relay = ?2 AND instance = ?3 AND last_ms >= ?4"
);

/// The rows of the message (queue ID `?1`, host `?2`, instance `?3`) that hold time `?4`
/// (`?5`: `?4` plus the longest span of a row), in order.
pub(super) const RETRACTED_ROWS: &str = concat!(
    "SELECT id, records FROM messages",
    of_queue_id!("?4", "?5"),
    " AND smtp_relay = ?2 AND instance = ?3 AND first_ms <= ?4 AND last_ms >= ?4 ORDER BY id"
);

/// Fixes up the stored records of a message that turned out to be a hop's copy: those of
/// its host, instance and queue ID logged at or after `since` (and, for a message that
/// left the queue, at or before `until`) take the origin's client,
/// SASL user (and SASL owner) and, where they have none, original recipient. A message
/// row that also holds earlier records (another message with the very same fields) is
/// split first, so only the hop's copy changes.
fn relink(
    tx: &Transaction<'_>,
    known: &mut Known,
    l: &Relink,
    span: &mut Option<Span>,
) -> Result<()> {
    let since = l.since.timestamp_millis();
    let until = l.until.map_or(i64::MAX, |t| t.timestamp_millis());
    type Found = (i64, Option<String>, Vec<u8>);
    let rows: Vec<Found> = {
        let mut stmt = tx.prepare_cached(RELINKED_ROWS)?;
        stmt.query_map(
            params![l.key.queue_id, l.key.host, l.key.instance, since, i64::MAX],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?
        .collect::<std::result::Result<_, _>>()?
    };
    for (id, sender, blob) in rows {
        let entries = Unpacker::new(&blob)
            .collect::<std::result::Result<Vec<Entry<'_>>, _>>()
            .map_err(|e| damaged(id, e))?;
        let (before, mut after): (Vec<Entry<'_>>, Vec<Entry<'_>>) = entries
            .into_iter()
            .partition(|e| e.time_ms < since || e.time_ms > until);
        for e in &mut after {
            e.orig_recipient = e.orig_recipient.or(l.orig_recipient.as_deref());
        }
        let Some(after_rows) = Packed::of(&after) else {
            continue;
        };
        let login = owner_of_login(sender.as_deref(), l.sasl_user.as_deref());
        let sasl_owner = owner_id(tx, known, login.as_deref())?;
        match Packed::of(&before) {
            // Only the hop's records: the row changes in place.
            None => {
                tx.prepare_cached(
                    "UPDATE messages SET sender_ip = ?1, sasl_user = ?2, orphan = 0,
                            sasl_owner = ?3, records = ?4
                      WHERE id = ?5",
                )?
                .execute(params![
                    l.sender_ip,
                    l.sasl_user,
                    sasl_owner,
                    after_rows.blob,
                    id
                ])?;
            }
            // Earlier records of another message too: they keep the row, the hop's
            // records move to a copy with the origin's fields.
            Some(kept) => {
                kept.update(tx, id)?;
                tx.prepare_cached(
                    "INSERT INTO messages (smtp_relay, instance, queue_id, sender, owner,
                            sasl_owner, sender_ip, sasl_user, message_id, orphan, first_ms,
                            last_ms, count, records)
                     SELECT smtp_relay, instance, queue_id, sender, owner, ?2, ?3, ?4,
                            message_id, 0, ?5, ?6, ?7, ?8
                       FROM messages WHERE id = ?1",
                )?
                .execute(params![
                    id,
                    sasl_owner,
                    l.sender_ip,
                    l.sasl_user,
                    after_rows.first_ms,
                    after_rows.last_ms,
                    after_rows.count,
                    after_rows.blob
                ])?;
                Span::add(
                    span,
                    tx.last_insert_rowid(),
                    after_rows.first_ms,
                    after_rows.last_ms,
                );
            }
        }
    }
    Ok(())
}

/// Takes back one stored `sent` record: the one of the message `r.key` logged at `r.at`
/// to `r.recipient`. A row left without records is deleted. Nothing matches when the
/// record was pruned already.
fn retract(tx: &Transaction<'_>, r: &Retract) -> Result<()> {
    let at = r.at.timestamp_millis();
    type Found = (i64, Vec<u8>);
    let rows: Vec<Found> = {
        // A row spans at most `MAX_SPAN_MS`: one that holds `at` ends by `at` plus that.
        let mut stmt = tx.prepare_cached(RETRACTED_ROWS)?;
        stmt.query_map(
            params![
                r.key.queue_id,
                r.key.host,
                r.key.instance,
                at,
                at.saturating_add(MAX_SPAN_MS)
            ],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?
        .collect::<std::result::Result<_, _>>()?
    };
    for (id, blob) in rows {
        let mut entries = Unpacker::new(&blob)
            .collect::<std::result::Result<Vec<Entry<'_>>, _>>()
            .map_err(|e| damaged(id, e))?;
        let Some(i) = entries.iter().position(|e| {
            e.time_ms == at && e.status == Status::Sent && e.recipient == Some(&r.recipient)
        }) else {
            continue;
        };
        entries.remove(i);
        match Packed::of(&entries) {
            Some(rest) => rest.update(tx, id)?,
            None => {
                tx.prepare_cached("DELETE FROM messages WHERE id = ?1")?
                    .execute(params![id])?;
            }
        }
        return Ok(());
    }
    Ok(())
}

/// Entries packed again, with what their row's columns say of them.
pub(super) struct Packed {
    pub(super) first_ms: i64,
    pub(super) last_ms: i64,
    pub(super) count: i64,
    pub(super) blob: Vec<u8>,
}

impl Packed {
    /// `entries` packed (in the order given), or `None` when there are none.
    pub(super) fn of(entries: &[Entry<'_>]) -> Option<Packed> {
        let first_ms = entries.iter().map(|e| e.time_ms).min()?;
        let last_ms = entries.iter().map(|e| e.time_ms).max()?;
        let mut packer = Packer::new();
        for e in entries {
            packer.push(e);
        }
        Some(Packed {
            first_ms,
            last_ms,
            count: entries.len() as i64,
            blob: packer.finish(),
        })
    }

    /// Makes these the records of message row `id`.
    pub(super) fn update(&self, tx: &Transaction<'_>, id: i64) -> Result<()> {
        tx.prepare_cached(
            "UPDATE messages SET first_ms = ?1, last_ms = ?2, count = ?3, records = ?4
              WHERE id = ?5",
        )?
        .execute(params![
            self.first_ms,
            self.last_ms,
            self.count,
            self.blob,
            id
        ])?;
        Ok(())
    }
}

/// The address ID of an owner, if there is one.
fn owner_id(tx: &Transaction<'_>, known: &mut Known, owner: Option<&str>) -> Result<Option<i64>> {
    owner
        .map(|a| address_id(tx, &mut known.addresses, a))
        .transpose()
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

/// The message row IDs one batch wrote and the times of their records.
struct Span {
    first_id: i64,
    last_id: i64,
    min_ms: i64,
    max_ms: i64,
}

impl Span {
    /// Adds row `id`, whose records are logged in `[first_ms, last_ms]`, to `span`.
    fn add(span: &mut Option<Span>, id: i64, first_ms: i64, last_ms: i64) {
        match span {
            Some(s) => {
                s.first_id = s.first_id.min(id);
                s.last_id = s.last_id.max(id);
                s.min_ms = s.min_ms.min(first_ms);
                s.max_ms = s.max_ms.max(last_ms);
            }
            None => {
                *span = Some(Span {
                    first_id: id,
                    last_id: id,
                    min_ms: first_ms,
                    max_ms: last_ms,
                })
            }
        }
    }
}
