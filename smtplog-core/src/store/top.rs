//! The store's part of `smtplog top`: every record of a time range counted by sender
//! (owner), relay host or client IP, in one pass over the message rows of the range.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::pack::Unpacker;
use super::{Result, Store, damaged};
use crate::stats::Counts;
use crate::top::{Group, Grouped, Row};

/// The message rows that may hold records of `[?1, ?2)`, found through the batches'
/// spans, with the columns a group needs (`{}`) and the packed records last.
fn rows_in_range(columns: &str) -> String {
    format!(
        "SELECT m.id, {columns}, m.records
           FROM record_spans s CROSS JOIN messages m
          WHERE s.max_ms >= ?1 AND s.min_ms < ?2
            AND m.id BETWEEN s.first_id AND s.last_id
            AND m.last_ms >= ?1 AND m.first_ms < ?2"
    )
}

impl Store {
    /// The counts of the records logged in `[from, to)` by `group`: per owner (envelope
    /// sender, or SASL user that is another address; a message with both counts for
    /// both, as [`Store::statuses_of`] counts it for each), per relay host, or per client
    /// IP; with every record counted once in the total, and those of no group apart.
    pub fn counts_by_group(
        &self,
        group: Group,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Grouped> {
        let (from, to) = (from.timestamp_millis(), to.timestamp_millis());
        let mut total = Counts::default();
        let mut unattributed = Counts::default();
        let rows = match group {
            Group::Sender => {
                // Owners are counted by address row ID and named at the end.
                let mut stmt = self
                    .conn
                    .prepare_cached(&rows_in_range("m.owner, m.sasl_owner"))?;
                let mut rows = stmt.query(params![from, to])?;
                let mut by_id: HashMap<i64, Counts> = HashMap::new();
                while let Some(row) = rows.next()? {
                    let id: i64 = row.get(0)?;
                    let owners: [Option<i64>; 2] = [row.get(1)?, row.get(2)?];
                    let c = count_row(id, row.get_ref(3)?, from, to)?;
                    if c.sum() == 0 {
                        continue;
                    }
                    total += c;
                    if owners.iter().all(Option::is_none) {
                        unattributed += c;
                    }
                    for owner in owners.into_iter().flatten() {
                        *by_id.entry(owner).or_default() += c;
                    }
                }
                let mut name = self
                    .conn
                    .prepare_cached("SELECT address FROM addresses WHERE id = ?1")?;
                let mut out = Vec::with_capacity(by_id.len());
                for (id, counts) in by_id {
                    let key: String = name.query_row(params![id], |r| r.get(0))?;
                    out.push(Row { key, counts });
                }
                out
            }
            Group::Host | Group::ClientIp => {
                let column = match group {
                    Group::Host => "m.smtp_relay",
                    _ => "m.sender_ip",
                };
                let mut stmt = self.conn.prepare_cached(&rows_in_range(column))?;
                let mut rows = stmt.query(params![from, to])?;
                let mut by_key: HashMap<String, Counts> = HashMap::new();
                while let Some(row) = rows.next()? {
                    let id: i64 = row.get(0)?;
                    let c = count_row(id, row.get_ref(2)?, from, to)?;
                    if c.sum() == 0 {
                        continue;
                    }
                    total += c;
                    match row
                        .get_ref(1)?
                        .as_str_or_null()
                        .map_err(rusqlite::Error::from)?
                    {
                        Some(key) if !key.is_empty() => match by_key.get_mut(key) {
                            Some(counts) => *counts += c,
                            None => {
                                by_key.insert(key.to_string(), c);
                            }
                        },
                        _ => unattributed += c,
                    }
                }
                by_key
                    .into_iter()
                    .map(|(key, counts)| Row { key, counts })
                    .collect()
            }
        };
        Ok(Grouped {
            rows,
            total,
            unattributed,
        })
    }
}

/// The counts of the records of one message row's blob logged in `[from, to)`.
fn count_row(id: i64, blob: rusqlite::types::ValueRef<'_>, from: i64, to: i64) -> Result<Counts> {
    let blob = blob.as_blob().map_err(rusqlite::Error::from)?;
    let mut c = Counts::default();
    for e in Unpacker::new(blob) {
        let e = e.map_err(|e| damaged(id, e))?;
        if (from..to).contains(&e.time_ms) {
            c.add(e.status);
        }
    }
    Ok(c)
}
