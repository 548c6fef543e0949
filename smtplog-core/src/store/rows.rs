//! A batch's records grouped into message rows and packed (`pack.rs`), ready to insert.
//! Pure: ingest does it on the reading thread, where the records were just made, so the
//! writer thread only inserts rows.
//!
//! A row holds the records of one message (the same host, instance, queue ID, sender,
//! client, SASL user, message-id and orphan flag) of one batch, at most
//! [`MAX_RECORDS`] of them, at most [`MAX_SPAN_MS`] apart. Records take consecutive IDs
//! in arrival order.

use rustc_hash::FxHashMap;

use super::pack::{Entry, Packer};
use crate::record::Record;

/// The longest time between the first and last record of one message row. A query of
/// `[from, to)` reads the rows whose last record is in `[from, to + MAX_SPAN_MS)`.
pub(super) const MAX_SPAN_MS: i64 = 24 * 3600 * 1000;

/// The most records one message row holds (a flood of identical refusals is spread over
/// several rows).
pub(super) const MAX_RECORDS: usize = 1024;

/// Records grouped into message rows and packed, with the record IDs they took.
#[derive(Debug, Default)]
pub struct PackedRecords {
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

/// The records of one message row being gathered: positions in the batch.
struct Gathered {
    records: Vec<u32>,
    first_ms: i64,
    last_ms: i64,
}

impl Gathered {
    /// Whether a record at `ms` may join without the row growing past its limits.
    fn takes(&self, ms: i64) -> bool {
        self.records.len() < MAX_RECORDS
            && ms.max(self.last_ms).saturating_sub(ms.min(self.first_ms)) <= MAX_SPAN_MS
    }
}

impl PackedRecords {
    /// Packs `records` (emptied, its capacity kept for the next batch), which take the
    /// IDs from `first_id` on in their order.
    pub fn pack(records: &mut Vec<Record>, first_id: i64) -> PackedRecords {
        let gathered = gather(records);
        let mut rows = Vec::with_capacity(gathered.len());
        for g in &gathered {
            let mut packer = Packer::with_capacity(g.first_ms, 160 * g.records.len());
            for &i in &g.records {
                packer.push(&Entry::of(first_id + i64::from(i), &records[i as usize]));
            }
            // The row's fields move out of its first record.
            let r = &mut records[g.records[0] as usize];
            rows.push(MessageRow {
                sasl_login: owner_of_login(r.sender.as_deref(), r.sasl_user.as_deref()),
                smtp_relay: std::mem::take(&mut r.smtp_relay),
                instance: std::mem::take(&mut r.instance),
                queue_id: std::mem::take(&mut r.queue_id),
                sender: r.sender.take(),
                sender_ip: r.sender_ip.take(),
                sasl_user: r.sasl_user.take(),
                message_id: r.message_id.take(),
                orphan: r.orphan,
                first_ms: g.first_ms,
                last_ms: g.last_ms,
                count: g.records.len(),
                blob: packer.finish(),
            });
        }
        let count = records.len();
        records.clear();
        PackedRecords {
            first_id,
            count,
            rows,
        }
    }

    /// How many records.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// The message rows of `records`, in order of their first record.
fn gather(records: &[Record]) -> Vec<Gathered> {
    // Each row, with its fields and the previous row of the same queue ID and sender.
    let mut rows: Vec<(MessageFields<'_>, Option<usize>, Gathered)> =
        Vec::with_capacity(records.len() / 2);
    // The last row opened per queue ID and sender (cheap to hash; the sender keeps
    // refused NOQUEUE submissions apart); the rest of the fields are compared.
    let mut last: FxHashMap<(&str, Option<&str>), usize> =
        FxHashMap::with_capacity_and_hasher(records.len() / 2, Default::default());
    for (i, r) in records.iter().enumerate() {
        let ms = r.time.timestamp_millis();
        let fields = message_fields(r);
        let key = (r.queue_id.as_str(), r.sender.as_deref());
        let mut candidate = last.get(&key).copied();
        while let Some(k) = candidate {
            let (f, prev, row) = &rows[k];
            if *f == fields && row.takes(ms) {
                break;
            }
            candidate = *prev;
        }
        match candidate {
            Some(k) => {
                let row = &mut rows[k].2;
                row.records.push(i as u32);
                row.first_ms = row.first_ms.min(ms);
                row.last_ms = row.last_ms.max(ms);
            }
            None => {
                let prev = last.insert(key, rows.len());
                rows.push((
                    fields,
                    prev,
                    Gathered {
                        records: vec![i as u32],
                        first_ms: ms,
                        last_ms: ms,
                    },
                ));
            }
        }
    }
    rows.into_iter().map(|(_, _, g)| g).collect()
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
                super::super::pack::Unpacker::new(&r.blob, r.first_ms)
                    .map(|e| e.unwrap().id)
                    .collect()
            })
            .collect();
        assert_eq!(ids, [vec![10, 14], vec![11], vec![12, 15], vec![13]]);
    }
}
