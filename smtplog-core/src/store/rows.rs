//! A batch's records grouped into message rows and packed (`pack.rs`), ready to insert.
//! Pure: ingest does it on its correlating thread as the correlator makes each record (its
//! texts are copied straight into the row's blob, nothing else is allocated per
//! record), so the writer thread only inserts rows.
//!
//! A row holds the records of one message (the same host, instance, queue ID, sender,
//! client, SASL user, message-id and orphan flag) of one batch, at most
//! [`MAX_RECORDS`] of them, at most [`MAX_SPAN_MS`] apart. Records take consecutive IDs
//! in arrival order.

use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHasher};

use super::pack::{Entry, Packer};
use crate::record::{Record, RecordRef};

/// The longest time between the first and last record of one message row. A query of
/// `[from, to)` reads the rows whose last record is in `[from, to + MAX_SPAN_MS)`.
pub(super) const MAX_SPAN_MS: i64 = 24 * 3600 * 1000;

/// The most records one message row holds (a flood of identical refusals is spread over
/// several rows).
pub(super) const MAX_RECORDS: usize = 1024;

/// Records grouped into message rows and packed, with the record IDs they took.
#[derive(Debug, Default)]
pub(crate) struct PackedRecords {
    pub(super) first_id: i64,
    pub(super) count: usize,
    pub(super) rows: Vec<MessageRow>,
}

/// One message row: the fields its records share, and the records packed.
#[derive(Debug)]
pub(super) struct MessageRow {
    pub(super) smtp_relay: String,
    pub(super) instance: String,
    pub(super) queue_id: String,
    pub(super) sender: Option<String>,
    /// The SASL login, lower-cased, when it is an address other than the sender (the
    /// row's second owner).
    pub(super) sasl_login: Option<String>,
    pub(super) sender_ip: Option<String>,
    pub(super) sasl_user: Option<String>,
    pub(super) message_id: Option<String>,
    pub(super) orphan: bool,
    pub(super) first_ms: i64,
    pub(super) last_ms: i64,
    pub(super) count: usize,
    pub(super) blob: Vec<u8>,
}

impl PackedRecords {
    /// Packs `records`, which take the IDs from `first_id` on in their order.
    pub(crate) fn of(records: &[Record], first_id: i64) -> PackedRecords {
        let mut rows = RowBuilder::new(first_id);
        for r in records {
            rows.push(&r.view());
        }
        rows.finish()
    }

    /// As [`PackedRecords::of`], leaving `records` empty with its capacity.
    #[cfg(test)]
    pub(crate) fn pack(records: &mut Vec<Record>, first_id: i64) -> PackedRecords {
        let packed = PackedRecords::of(records, first_id);
        records.clear();
        packed
    }

    /// How many records.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Whether there are none.
    pub(crate) fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// Packs records into message rows as they come: each record joins the open row of
/// exactly its message, or opens one.
#[derive(Debug, Default)]
pub(crate) struct RowBuilder {
    first_id: i64,
    count: usize,
    rows: Vec<Open>,
    /// The last row opened per hash of queue ID and sender (cheap to hash; the sender
    /// keeps refused NOQUEUE submissions apart); rows of one hash are chained.
    last: FxHashMap<u64, usize>,
}

/// A row being filled.
#[derive(Debug)]
struct Open {
    row: MessageRow,
    packer: Packer,
    /// The row opened before this one with the same hash.
    previous: Option<usize>,
}

impl Open {
    /// Whether `r` is of this row's message.
    fn holds(&self, r: &RecordRef<'_>) -> bool {
        let m = &self.row;
        m.queue_id == r.queue_id
            && m.sender.as_deref() == r.sender
            && m.smtp_relay == r.smtp_relay
            && m.instance == r.instance
            && m.sender_ip.as_deref() == r.sender_ip
            && m.sasl_user.as_deref() == r.sasl_user
            && m.message_id.as_deref() == r.message_id
            && m.orphan == r.orphan
    }

    /// Whether a record at `ms` may join without the row growing past its limits.
    fn takes(&self, ms: i64) -> bool {
        let m = &self.row;
        takes(m.count, m.first_ms, m.last_ms, ms)
    }
}

/// Whether a row of `count` records logged in `[first_ms, last_ms]` may take one more,
/// logged at `ms`, within [`MAX_RECORDS`] and [`MAX_SPAN_MS`].
pub(super) fn takes(count: usize, first_ms: i64, last_ms: i64, ms: i64) -> bool {
    count < MAX_RECORDS && ms.max(last_ms).saturating_sub(ms.min(first_ms)) <= MAX_SPAN_MS
}

impl RowBuilder {
    /// An empty batch whose records take the IDs from `first_id` on.
    pub(crate) fn new(first_id: i64) -> RowBuilder {
        RowBuilder::with_capacity(first_id, 0)
    }

    /// As [`RowBuilder::new`], with room for `rows` message rows (a batch like the last
    /// one grows without copying its rows).
    pub(crate) fn with_capacity(first_id: i64, rows: usize) -> RowBuilder {
        RowBuilder {
            first_id,
            count: 0,
            rows: Vec::with_capacity(rows),
            last: FxHashMap::with_capacity_and_hasher(rows, Default::default()),
        }
    }

    /// How many message rows are open.
    pub(crate) fn rows(&self) -> usize {
        self.rows.len()
    }

    /// Adds one record, which takes the next ID.
    pub(crate) fn push(&mut self, r: &RecordRef<'_>) {
        let ms = r.time.timestamp_millis();
        let id = self.first_id + self.count as i64;
        self.count += 1;
        let mut h = FxHasher::default();
        (r.queue_id, r.sender).hash(&mut h);
        let hash = h.finish();
        let mut candidate = self.last.get(&hash).copied();
        while let Some(k) = candidate {
            let open = &self.rows[k];
            if open.holds(r) && open.takes(ms) {
                break;
            }
            candidate = open.previous;
        }
        let k = match candidate {
            Some(k) => k,
            None => {
                let previous = self.last.insert(hash, self.rows.len());
                self.rows.push(Open {
                    row: MessageRow {
                        smtp_relay: r.smtp_relay.to_string(),
                        instance: r.instance.to_string(),
                        queue_id: r.queue_id.to_string(),
                        sender: r.sender.map(str::to_string),
                        sasl_login: owner_of_login(r.sender, r.sasl_user),
                        sender_ip: r.sender_ip.map(str::to_string),
                        sasl_user: r.sasl_user.map(str::to_string),
                        message_id: r.message_id.map(str::to_string),
                        orphan: r.orphan,
                        first_ms: ms,
                        last_ms: ms,
                        count: 0,
                        blob: Vec::new(),
                    },
                    packer: Packer::with_capacity(256),
                    previous,
                });
                self.rows.len() - 1
            }
        };
        let open = &mut self.rows[k];
        open.row.first_ms = open.row.first_ms.min(ms);
        open.row.last_ms = open.row.last_ms.max(ms);
        open.row.count += 1;
        open.packer.push(&Entry::of(id, r));
    }

    /// The ID the next record added takes.
    pub(crate) fn next_id(&self) -> i64 {
        self.first_id + self.count as i64
    }

    /// The rows, in order of their first record.
    pub(crate) fn finish(self) -> PackedRecords {
        PackedRecords {
            first_id: self.first_id,
            count: self.count,
            rows: self
                .rows
                .into_iter()
                .map(|open| MessageRow {
                    blob: open.packer.finish(),
                    ..open.row
                })
                .collect(),
        }
    }
}

/// The SASL login `user`, lower-cased, when it is an address other than `sender`.
pub(super) fn owner_of_login(sender: Option<&str>, user: Option<&str>) -> Option<String> {
    let user = user?;
    if !user.contains('@') {
        return None;
    }
    let user = user.to_ascii_lowercase();
    (sender != Some(user.as_str())).then_some(user)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Status;

    fn record(second: i64, host: &str, queue_id: &str, sender: &str, ip: &str) -> Record {
        Record {
            time: chrono::DateTime::from_timestamp(1_709_287_200 + second, 0).unwrap(),
            smtp_relay: host.into(),
            instance: "postfix".into(),
            queue_id: queue_id.into(),
            sender: Some(sender.into()),
            sender_ip: Some(ip.into()),
            sasl_user: None,
            recipient: Some(format!("r{second}@example.org")),
            orig_recipient: None,
            status: Status::Sent,
            dsn: None,
            relay: None,
            delay: None,
            response: None,
            message_id: None,
            orphan: false,
        }
    }

    #[test]
    fn records_join_the_row_of_exactly_their_message_in_arrival_order() {
        let mut records = vec![
            record(0, "relay1", "AAA1", "a@x.edu", "192.0.2.1"),
            // The same queue ID on another host is another message.
            record(1, "relay2", "AAA1", "a@x.edu", "192.0.2.1"),
            record(2, "relay1", "NOQUEUE", "b@x.edu", "192.0.2.2"),
            // A refusal of the same sender from another client is another row.
            record(3, "relay1", "NOQUEUE", "b@x.edu", "192.0.2.3"),
            record(4, "relay1", "AAA1", "a@x.edu", "192.0.2.1"),
            record(5, "relay1", "NOQUEUE", "b@x.edu", "192.0.2.2"),
        ];
        let packed = PackedRecords::pack(&mut records, 10);
        assert!(records.is_empty());
        assert_eq!((packed.first_id, packed.len()), (10, 6));
        let rows: Vec<(String, String, String, usize, i64)> = packed
            .rows
            .iter()
            .map(|r| {
                (
                    r.smtp_relay.clone(),
                    r.queue_id.clone(),
                    r.sender_ip.clone().unwrap(),
                    r.count,
                    r.last_ms - r.first_ms,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("relay1".into(), "AAA1".into(), "192.0.2.1".into(), 2, 4000),
                ("relay2".into(), "AAA1".into(), "192.0.2.1".into(), 1, 0),
                (
                    "relay1".into(),
                    "NOQUEUE".into(),
                    "192.0.2.2".into(),
                    2,
                    3000
                ),
                ("relay1".into(), "NOQUEUE".into(), "192.0.2.3".into(), 1, 0),
            ]
        );
        // Each record keeps its arrival ID.
        let ids: Vec<Vec<i64>> = packed
            .rows
            .iter()
            .map(|r| {
                super::super::pack::Unpacker::new(&r.blob)
                    .map(|e| e.unwrap().id)
                    .collect()
            })
            .collect();
        assert_eq!(ids, [vec![10, 14], vec![11], vec![12, 15], vec![13]]);
    }
}
