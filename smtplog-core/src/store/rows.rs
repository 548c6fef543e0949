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
    let mut rows: Vec<(MessageFields<'_>, Gathered)> = Vec::with_capacity(records.len() / 2);
    // Open rows by queue ID, host, instance and sender (cheap to hash; the sender keeps
    // refused NOQUEUE submissions apart), then by all fields.
    type Short<'a> = (&'a str, &'a str, &'a str, Option<&'a str>);
    let mut open: FxHashMap<Short<'_>, Vec<usize>> =
        FxHashMap::with_capacity_and_hasher(records.len() / 2, Default::default());
    for (i, r) in records.iter().enumerate() {
        let ms = r.time.timestamp_millis();
        let fields = message_fields(r);
        let candidates = open
            .entry((&r.queue_id, &r.smtp_relay, &r.instance, r.sender.as_deref()))
            .or_default();
        match candidates
            .iter()
            .copied()
            .find(|&k| rows[k].0 == fields && rows[k].1.takes(ms))
        {
            Some(k) => {
                let row = &mut rows[k].1;
                row.records.push(i as u32);
                row.first_ms = row.first_ms.min(ms);
                row.last_ms = row.last_ms.max(ms);
            }
            None => {
                candidates.push(rows.len());
                rows.push((
                    fields,
                    Gathered {
                        records: vec![i as u32],
                        first_ms: ms,
                        last_ms: ms,
                    },
                ));
            }
        }
    }
    rows.into_iter().map(|(_, g)| g).collect()
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
