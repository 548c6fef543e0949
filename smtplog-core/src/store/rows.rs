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

use super::pack::{Entry, PackState};
use crate::record::{Record, RecordRef};

/// The longest time between the first and last record of one message row. A query of
/// `[from, to)` reads the rows whose last record is in `[from, to + MAX_SPAN_MS)`.
pub(super) const MAX_SPAN_MS: i64 = 24 * 3600 * 1000;

/// The most records one message row holds (a flood of identical refusals is spread over
/// several rows).
pub(super) const MAX_RECORDS: usize = 1024;

/// Records grouped into message rows and packed, with the record IDs they took. A
/// batch's texts and blobs are two buffers, not a few allocations per row.
#[derive(Debug, Default)]
pub(crate) struct PackedRecords {
    pub(super) first_id: i64,
    pub(super) count: usize,
    rows: Vec<Open>,
    /// The rows' shared texts, one after the other.
    texts: String,
    /// The rows' blobs, one after the other, in the order of the rows.
    blobs: Vec<u8>,
}

/// One message row: the fields its records share, and the records packed, borrowed
/// from its batch.
#[derive(Debug, PartialEq)]
pub(super) struct MessageRow<'a> {
    pub(super) smtp_relay: &'a str,
    pub(super) instance: &'a str,
    pub(super) queue_id: &'a str,
    pub(super) sender: Option<&'a str>,
    /// The SASL login, lower-cased, when it is an address other than the sender (the
    /// row's second owner).
    pub(super) sasl_login: Option<&'a str>,
    pub(super) sender_ip: Option<&'a str>,
    pub(super) sasl_user: Option<&'a str>,
    pub(super) message_id: Option<&'a str>,
    pub(super) orphan: bool,
    pub(super) first_ms: i64,
    pub(super) last_ms: i64,
    pub(super) count: usize,
    pub(super) blob: &'a [u8],
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

    /// The message rows, in order of their first record.
    pub(super) fn rows(&self) -> impl Iterator<Item = MessageRow<'_>> {
        self.rows.iter().map(|open| {
            let text = |t: Text| &self.texts[t.start..t.end];
            let f = &open.fields;
            MessageRow {
                smtp_relay: text(f.smtp_relay),
                instance: text(f.instance),
                queue_id: text(f.queue_id),
                sender: f.sender.map(text),
                sasl_login: f.sasl_login.map(text),
                sender_ip: f.sender_ip.map(text),
                sasl_user: f.sasl_user.map(text),
                message_id: f.message_id.map(text),
                orphan: f.orphan,
                first_ms: open.first_ms,
                last_ms: open.last_ms,
                count: open.count,
                blob: &self.blobs[open.blob.start..open.blob.end],
            }
        })
    }
}

/// A text of a batch: where it lies in the batch's buffer of texts (or of entries).
#[derive(Debug, Clone, Copy, Default)]
struct Text {
    start: usize,
    end: usize,
}

/// The fields the records of a row share, as texts of the batch.
#[derive(Debug)]
struct Fields {
    smtp_relay: Text,
    instance: Text,
    queue_id: Text,
    sender: Option<Text>,
    sasl_login: Option<Text>,
    sender_ip: Option<Text>,
    sasl_user: Option<Text>,
    message_id: Option<Text>,
    orphan: bool,
}

/// A row being filled (and, once finished, a row of the batch).
#[derive(Debug)]
struct Open {
    fields: Fields,
    first_ms: i64,
    last_ms: i64,
    count: usize,
    /// How the next entry of this row is packed.
    state: PackState,
    /// The first and the last of this row's pieces in the batch's entry buffer.
    pieces: (usize, usize),
    /// The row's blob in the finished batch.
    blob: Text,
    /// The row opened before this one with the same hash.
    previous: Option<usize>,
}

/// Consecutive entries of one row in the batch's entry buffer, and the row's next piece.
#[derive(Debug)]
struct Piece {
    bytes: Text,
    next: Option<usize>,
}

impl Open {
    /// Whether `r` is of this row's message.
    fn holds(&self, texts: &str, r: &RecordRef<'_>) -> bool {
        let f = &self.fields;
        let text = |t: Text| &texts[t.start..t.end];
        text(f.queue_id) == r.queue_id
            && f.sender.map(text) == r.sender
            && text(f.smtp_relay) == r.smtp_relay
            && text(f.instance) == r.instance
            && f.sender_ip.map(text) == r.sender_ip
            && f.sasl_user.map(text) == r.sasl_user
            && f.message_id.map(text) == r.message_id
            && f.orphan == r.orphan
    }

    /// Whether a record at `ms` may join without the row growing past its limits.
    fn takes(&self, ms: i64) -> bool {
        takes(self.count, self.first_ms, self.last_ms, ms)
    }
}

/// Whether a row of `count` records logged in `[first_ms, last_ms]` may take one more,
/// logged at `ms`, within [`MAX_RECORDS`] and [`MAX_SPAN_MS`].
pub(super) fn takes(count: usize, first_ms: i64, last_ms: i64, ms: i64) -> bool {
    count < MAX_RECORDS && ms.max(last_ms).saturating_sub(ms.min(first_ms)) <= MAX_SPAN_MS
}

/// Packs records into message rows as they come: each record joins the open row of
/// exactly its message, or opens one. Every record's entry is appended to one buffer
/// (rows interleave there, each a chain of pieces); `finish` lays each row's entries end
/// to end.
#[derive(Debug, Default)]
pub(crate) struct RowBuilder {
    first_id: i64,
    count: usize,
    rows: Vec<Open>,
    texts: String,
    entries: Vec<u8>,
    pieces: Vec<Piece>,
    /// The last row opened per hash of queue ID and sender (cheap to hash; the sender
    /// keeps refused NOQUEUE submissions apart); rows of one hash are chained.
    last: FxHashMap<u64, usize>,
}

/// Appends `t` to `texts`; where it went.
fn keep(texts: &mut String, t: &str) -> Text {
    let start = texts.len();
    texts.push_str(t);
    Text {
        start,
        end: texts.len(),
    }
}

impl RowBuilder {
    /// An empty batch whose records take the IDs from `first_id` on.
    pub(crate) fn new(first_id: i64) -> RowBuilder {
        RowBuilder {
            first_id,
            ..RowBuilder::default()
        }
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
            if open.holds(&self.texts, r) && open.takes(ms) {
                break;
            }
            candidate = open.previous;
        }
        let k = match candidate {
            Some(k) => k,
            None => {
                let previous = self.last.insert(hash, self.rows.len());
                let t = &mut self.texts;
                let sasl_login = owner_of_login(r.sender, r.sasl_user).map(|login| keep(t, &login));
                let fields = Fields {
                    smtp_relay: keep(t, r.smtp_relay),
                    instance: keep(t, r.instance),
                    queue_id: keep(t, r.queue_id),
                    sender: r.sender.map(|s| keep(t, s)),
                    sasl_login,
                    sender_ip: r.sender_ip.map(|s| keep(t, s)),
                    sasl_user: r.sasl_user.map(|s| keep(t, s)),
                    message_id: r.message_id.map(|s| keep(t, s)),
                    orphan: r.orphan,
                };
                let piece = self.pieces.len();
                self.pieces.push(Piece {
                    bytes: Text {
                        start: self.entries.len(),
                        end: self.entries.len(),
                    },
                    next: None,
                });
                self.rows.push(Open {
                    fields,
                    first_ms: ms,
                    last_ms: ms,
                    count: 0,
                    state: PackState::default(),
                    pieces: (piece, piece),
                    blob: Text::default(),
                    previous,
                });
                self.rows.len() - 1
            }
        };
        let open = &mut self.rows[k];
        open.first_ms = open.first_ms.min(ms);
        open.last_ms = open.last_ms.max(ms);
        open.count += 1;
        let start = self.entries.len();
        open.state.push(&mut self.entries, &Entry::of(id, r));
        // The entry continues the row's last piece when nothing came between them.
        let last = open.pieces.1;
        if self.pieces[last].bytes.end == start {
            self.pieces[last].bytes.end = self.entries.len();
        } else {
            let piece = self.pieces.len();
            self.pieces.push(Piece {
                bytes: Text {
                    start,
                    end: self.entries.len(),
                },
                next: None,
            });
            self.pieces[last].next = Some(piece);
            open.pieces.1 = piece;
        }
    }

    /// The ID the next record added takes.
    pub(crate) fn next_id(&self) -> i64 {
        self.first_id + self.count as i64
    }

    /// The rows, in order of their first record, each row's entries end to end.
    pub(crate) fn finish(mut self) -> PackedRecords {
        self.take(None)
    }

    /// Takes the batch out, finished (as [`RowBuilder::finish`]), and leaves this
    /// builder empty for the next one, whose records take the IDs after these. The
    /// buffers of `spent` (a batch already written) are used again, so a long ingest
    /// keeps filling the same memory.
    pub(crate) fn take(&mut self, spent: Option<PackedRecords>) -> PackedRecords {
        let (mut rows, mut texts, mut blobs) = match spent {
            Some(p) => (p.rows, p.texts, p.blobs),
            None => (
                Vec::with_capacity(self.rows.len()),
                String::with_capacity(self.texts.len()),
                Vec::new(),
            ),
        };
        rows.clear();
        texts.clear();
        blobs.clear();
        std::mem::swap(&mut rows, &mut self.rows);
        std::mem::swap(&mut texts, &mut self.texts);
        blobs.reserve(self.entries.len());
        for open in &mut rows {
            let start = blobs.len();
            let mut piece = Some(open.pieces.0);
            while let Some(p) = piece {
                let Piece { bytes, next } = &self.pieces[p];
                blobs.extend_from_slice(&self.entries[bytes.start..bytes.end]);
                piece = *next;
            }
            open.blob = Text {
                start,
                end: blobs.len(),
            };
        }
        self.entries.clear();
        self.pieces.clear();
        self.last.clear();
        let (first_id, count) = (self.first_id, self.count);
        self.first_id = self.next_id();
        self.count = 0;
        PackedRecords {
            first_id,
            count,
            rows,
            texts,
            blobs,
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
        let rows: Vec<(&str, &str, &str, usize, i64)> = packed
            .rows()
            .map(|r| {
                (
                    r.smtp_relay,
                    r.queue_id,
                    r.sender_ip.unwrap(),
                    r.count,
                    r.last_ms - r.first_ms,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("relay1", "AAA1", "192.0.2.1", 2, 4000),
                ("relay2", "AAA1", "192.0.2.1", 1, 0),
                ("relay1", "NOQUEUE", "192.0.2.2", 2, 3000),
                ("relay1", "NOQUEUE", "192.0.2.3", 1, 0),
            ]
        );
        // Each record keeps its arrival ID.
        let ids: Vec<Vec<i64>> = packed
            .rows()
            .map(|r| {
                super::super::pack::Unpacker::new(r.blob)
                    .map(|e| e.unwrap().id)
                    .collect()
            })
            .collect();
        assert_eq!(ids, [vec![10, 14], vec![11], vec![12, 15], vec![13]]);
    }

    #[test]
    fn interleaved_rows_read_back_whole_with_their_repeats_and_sasl_owner() {
        let mut records = Vec::new();
        for i in 0..6 {
            let (qid, relay) = if i % 2 == 0 {
                ("AAA1", "mx.a.example[192.0.2.7]:25")
            } else {
                ("BBB2", "mx.b.example[192.0.2.8]:25")
            };
            let mut r = record(i, "relay1", qid, "a@x.edu", "192.0.2.1");
            r.relay = Some(relay.into());
            r.response = Some(format!("250 2.0.0 Ok: queued as {qid}"));
            r.sasl_user = Some(
                if qid == "AAA1" {
                    "A@X.EDU"
                } else {
                    "Other@X.edu"
                }
                .into(),
            );
            records.push(r);
        }
        let packed = PackedRecords::of(&records, 1);
        let rows: Vec<MessageRow<'_>> = packed.rows().collect();
        assert_eq!(rows.len(), 2);
        // The login, lower-cased, is a second owner only when it is not the sender.
        assert_eq!(rows[0].sasl_login, None);
        assert_eq!(rows[1].sasl_login, Some("other@x.edu"));
        assert_eq!(rows[1].sasl_user, Some("Other@X.edu"));
        for (row, first) in rows.iter().zip([0usize, 1]) {
            let back: Vec<_> = super::super::pack::Unpacker::new(row.blob)
                .map(|e| e.unwrap())
                .collect();
            assert_eq!(back.len(), 3);
            for (k, e) in back.iter().enumerate() {
                let r = &records[first + 2 * k];
                assert_eq!(e.id, (first + 2 * k + 1) as i64);
                assert_eq!(e.recipient, r.recipient.as_deref());
                assert_eq!(e.relay, r.relay.as_deref());
                assert_eq!(e.response, r.response.as_deref());
            }
        }
    }
}
