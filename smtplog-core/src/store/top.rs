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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Record, Status};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn record(
        time: &str,
        queue_id: &str,
        host: &str,
        sender: Option<&str>,
        sasl: Option<&str>,
        ip: Option<&str>,
        status: Status,
    ) -> Record {
        Record {
            time: at(time),
            smtp_relay: host.into(),
            instance: "postfix".into(),
            queue_id: queue_id.into(),
            sender: sender.map(str::to_string),
            sender_ip: ip.map(str::to_string),
            sasl_user: sasl.map(str::to_string),
            recipient: Some("to@example.org".into()),
            orig_recipient: None,
            status,
            dsn: None,
            relay: None,
            delay: None,
            response: None,
            message_id: None,
            orphan: sender.is_none(),
        }
    }

    fn store() -> Store {
        let mut store = Store::open_in_memory().unwrap();
        let ip = Some("192.0.2.7");
        store
            .append(vec![
                // Sent as a@x.edu by the SASL user b@x.edu: both owners.
                record(
                    "2024-03-01T10:00:00Z",
                    "AAA1",
                    "relay1",
                    Some("a@x.edu"),
                    Some("b@x.edu"),
                    ip,
                    Status::Sent,
                ),
                record(
                    "2024-03-01T10:00:01Z",
                    "AAA1",
                    "relay1",
                    Some("a@x.edu"),
                    Some("b@x.edu"),
                    ip,
                    Status::Bounced,
                ),
                // Nobody's, no client.
                record(
                    "2024-03-01T11:00:00Z",
                    "BBB2",
                    "relay2",
                    None,
                    None,
                    None,
                    Status::Sent,
                ),
                // One record in the range, one the next day.
                record(
                    "2024-03-01T12:00:00Z",
                    "CCC3",
                    "relay1",
                    Some("c@x.edu"),
                    None,
                    Some("192.0.2.8"),
                    Status::Deferred,
                ),
                record(
                    "2024-03-02T12:00:00Z",
                    "CCC3",
                    "relay1",
                    Some("c@x.edu"),
                    None,
                    Some("192.0.2.8"),
                    Status::Sent,
                ),
            ])
            .unwrap();
        store
    }

    fn counts(g: &Grouped) -> Vec<(String, u64)> {
        let mut out: Vec<(String, u64)> = g
            .rows
            .iter()
            .map(|r| (r.key.clone(), r.counts.sum()))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn each_group_counts_the_records_of_the_range_and_nobodys_apart() {
        let store = store();
        let (from, to) = (at("2024-03-01T00:00:00Z"), at("2024-03-02T00:00:00Z"));

        let senders = store.counts_by_group(Group::Sender, from, to).unwrap();
        assert_eq!(
            counts(&senders),
            [
                ("a@x.edu".into(), 2),
                ("b@x.edu".into(), 2),
                ("c@x.edu".into(), 1)
            ]
        );
        assert_eq!(senders.total.sum(), 4);
        assert_eq!(senders.unattributed.sum(), 1);
        // Each sender's counts are those its own query reads.
        for row in &senders.rows {
            let mut own = Counts::default();
            for (_, status) in store.statuses_of(&row.key, from, to).unwrap() {
                own.add(status);
            }
            assert_eq!(row.counts, own, "{}", row.key);
        }

        let hosts = store.counts_by_group(Group::Host, from, to).unwrap();
        assert_eq!(counts(&hosts), [("relay1".into(), 3), ("relay2".into(), 1)]);
        assert_eq!(hosts.unattributed.sum(), 0);

        let clients = store.counts_by_group(Group::ClientIp, from, to).unwrap();
        assert_eq!(
            counts(&clients),
            [("192.0.2.7".into(), 2), ("192.0.2.8".into(), 1)]
        );
        assert_eq!(clients.unattributed.sum(), 1);
        assert_eq!(clients.total, senders.total);

        // A range with nothing in it.
        let empty = store
            .counts_by_group(
                Group::Sender,
                at("2024-04-01T00:00:00Z"),
                at("2024-04-02T00:00:00Z"),
            )
            .unwrap();
        assert_eq!(empty, Grouped::default());
    }
}
