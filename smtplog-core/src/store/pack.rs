//! The records of one message row, packed into one blob: each record's own fields (row
//! ID, time, status, recipient, original recipient, DSN, remote relay, delay, response)
//! one after the other. The fields the records share are the row's columns.
//!
//! Per record: the record ID as a varint delta from the previous one (the first from 0),
//! the time as a zigzag varint delta in milliseconds from the previous one (the first
//! from 0), the status index (and which texts repeat the last of their field), a byte
//! of presence flags, then each present text not repeated as a varint length and its
//! UTF-8 bytes, and the delay: a varint of
//! hundredths of a second when that is exact (Postfix logs two decimals), else the 8
//! bytes of the float. Decoding checks everything and reports a damaged blob as an
//! error, never a panic.

use crate::record::{RecordRef, Status};

const RECIPIENT: u8 = 1;
const ORIG_RECIPIENT: u8 = 1 << 1;
const DSN: u8 = 1 << 2;
const RELAY: u8 = 1 << 3;
const RESPONSE: u8 = 1 << 4;
const DELAY: u8 = 1 << 5;
/// The delay is a varint of hundredths, not a float.
const DELAY_HUNDREDTHS: u8 = 1 << 6;

/// A record's own fields, as read back from a blob (texts borrowed from it).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Entry<'a> {
    pub(super) id: i64,
    pub(super) time_ms: i64,
    pub(super) status: Status,
    pub(super) recipient: Option<&'a str>,
    pub(super) orig_recipient: Option<&'a str>,
    pub(super) dsn: Option<&'a str>,
    pub(super) relay: Option<&'a str>,
    pub(super) delay: Option<f64>,
    pub(super) response: Option<&'a str>,
}

impl<'a> Entry<'a> {
    /// The own fields of `r`, stored as record `id`.
    pub(super) fn of(id: i64, r: &RecordRef<'a>) -> Entry<'a> {
        Entry {
            id,
            time_ms: r.time.timestamp_millis(),
            status: r.status,
            recipient: r.recipient,
            orig_recipient: r.orig_recipient,
            dsn: r.dsn,
            relay: r.relay,
            delay: r.delay,
            response: r.response,
        }
    }
}

/// The status byte's low bits hold the status; each higher bit says that one text (in
/// the order recipient, original recipient, DSN, relay, response) is the same as the
/// last one written for that field, and is not written again (a message's deliveries
/// share relays and DSNs, its retries share responses).
const STATUS_BITS: u8 = 0b111;
const SAME_SHIFT: u32 = 3;

/// Appends entries to a blob. Entries must come in increasing ID order.
#[derive(Debug)]
pub(super) struct Packer {
    blob: Vec<u8>,
    state: PackState,
}

impl Packer {
    /// An empty blob.
    pub(super) fn new() -> Packer {
        Packer {
            blob: Vec::new(),
            state: PackState::default(),
        }
    }

    /// Appends one entry.
    pub(super) fn push(&mut self, e: &Entry<'_>) {
        self.state.push(&mut self.blob, e);
    }

    /// The blob.
    pub(super) fn finish(self) -> Vec<u8> {
        self.blob
    }
}

/// What packing the next entry of one blob depends on: the last ID and time, and where
/// the last text of each field was written. The entries themselves go to any buffer,
/// which may hold other blobs' entries between them (ingest packs every row of a batch
/// into one buffer, and lays each row's entries end to end afterwards).
#[derive(Debug, Default, Clone)]
pub(super) struct PackState {
    last_id: i64,
    last_ms: i64,
    /// Where in the buffer the last text of each field was written.
    last_text: [Option<(usize, usize)>; 5],
}

impl PackState {
    /// Appends the bytes of entry `e` to `b` (the buffer every earlier entry of this
    /// blob went to).
    pub(super) fn push(&mut self, b: &mut Vec<u8>, e: &Entry<'_>) {
        put_varint(b, e.id.wrapping_sub(self.last_id) as u64);
        put_varint(b, zigzag(e.time_ms.wrapping_sub(self.last_ms)));
        self.last_id = e.id;
        self.last_ms = e.time_ms;
        let texts = [e.recipient, e.orig_recipient, e.dsn, e.relay, e.response];
        let mut status = e.status.index() as u8;
        for (field, text) in texts.iter().enumerate() {
            if let (Some(t), Some((at, len))) = (text, self.last_text[field])
                && b[at..at + len] == *t.as_bytes()
            {
                status |= 1 << (SAME_SHIFT + field as u32);
            }
        }
        b.push(status);
        let hundredths = e.delay.and_then(hundredths);
        let mut flags = 0;
        for (present, flag) in [
            (e.recipient.is_some(), RECIPIENT),
            (e.orig_recipient.is_some(), ORIG_RECIPIENT),
            (e.dsn.is_some(), DSN),
            (e.relay.is_some(), RELAY),
            (e.response.is_some(), RESPONSE),
            (e.delay.is_some(), DELAY),
            (hundredths.is_some(), DELAY_HUNDREDTHS),
        ] {
            if present {
                flags |= flag;
            }
        }
        b.push(flags);
        for (field, text) in texts.into_iter().enumerate() {
            let Some(text) = text else { continue };
            if status & (1 << (SAME_SHIFT + field as u32)) != 0 {
                continue;
            }
            put_varint(b, text.len() as u64);
            self.last_text[field] = Some((b.len(), text.len()));
            b.extend_from_slice(text.as_bytes());
        }
        match (hundredths, e.delay) {
            (Some(h), _) => put_varint(b, h),
            (None, Some(d)) => b.extend_from_slice(&d.to_le_bytes()),
            (None, None) => {}
        }
    }
}

/// `d` as hundredths of a second, when that reads back as exactly `d`.
fn hundredths(d: f64) -> Option<u64> {
    let h = (d * 100.0).round();
    (d.is_sign_positive() && h < 1e15 && h / 100.0 == d).then_some(h as u64)
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

fn put_varint(b: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        b.push((v as u8) | 0x80);
        v >>= 7;
    }
    b.push(v as u8);
}

/// Reads the entries of a blob back, in the order they were packed.
pub(super) struct Unpacker<'a> {
    rest: &'a [u8],
    last_id: i64,
    last_ms: i64,
    /// The last text read of each field.
    last_text: [Option<&'a str>; 5],
    failed: bool,
}

/// What is wrong with a damaged blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Damaged(pub(super) &'static str);

impl<'a> Unpacker<'a> {
    /// The entries of `blob`.
    pub(super) fn new(blob: &'a [u8]) -> Unpacker<'a> {
        Unpacker {
            rest: blob,
            last_id: 0,
            last_ms: 0,
            last_text: [None; 5],
            failed: false,
        }
    }

    fn byte(&mut self) -> Result<u8, Damaged> {
        let (&b, rest) = self.rest.split_first().ok_or(Damaged("truncated"))?;
        self.rest = rest;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, Damaged> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(Damaged("varint too long"))
    }

    fn text(&mut self) -> Result<&'a str, Damaged> {
        let len = usize::try_from(self.varint()?).map_err(|_| Damaged("text too long"))?;
        if len > self.rest.len() {
            return Err(Damaged("truncated text"));
        }
        let (bytes, rest) = self.rest.split_at(len);
        self.rest = rest;
        std::str::from_utf8(bytes).map_err(|_| Damaged("text is not UTF-8"))
    }

    fn entry(&mut self) -> Result<Entry<'a>, Damaged> {
        let id = self.last_id.wrapping_add(self.varint()? as i64);
        let time_ms = self.last_ms.wrapping_add(unzigzag(self.varint()?));
        let status_byte = self.byte()?;
        let status = *Status::ALL
            .get(usize::from(status_byte & STATUS_BITS))
            .ok_or(Damaged("unknown status"))?;
        let flags = self.byte()?;
        if flags & !(RECIPIENT | ORIG_RECIPIENT | DSN | RELAY | RESPONSE | DELAY | DELAY_HUNDREDTHS)
            != 0
        {
            return Err(Damaged("unknown flags"));
        }
        let mut texts = [None; 5];
        for (field, flag) in [RECIPIENT, ORIG_RECIPIENT, DSN, RELAY, RESPONSE]
            .into_iter()
            .enumerate()
        {
            let same = status_byte & (1 << (SAME_SHIFT + field as u32)) != 0;
            texts[field] = match (flags & flag != 0, same) {
                (false, false) => None,
                (false, true) => return Err(Damaged("a repeat of an absent text")),
                (true, true) => {
                    Some(self.last_text[field].ok_or(Damaged("a repeat of no earlier text"))?)
                }
                (true, false) => {
                    let t = self.text()?;
                    self.last_text[field] = Some(t);
                    Some(t)
                }
            };
        }
        let [recipient, orig_recipient, dsn, relay, response] = texts;
        let delay = match (flags & DELAY != 0, flags & DELAY_HUNDREDTHS != 0) {
            (false, false) => None,
            (true, true) => Some(self.varint()? as f64 / 100.0),
            (true, false) => {
                let (bytes, rest) = self
                    .rest
                    .split_first_chunk::<8>()
                    .ok_or(Damaged("truncated delay"))?;
                self.rest = rest;
                Some(f64::from_le_bytes(*bytes))
            }
            (false, true) => return Err(Damaged("unknown flags")),
        };
        self.last_id = id;
        self.last_ms = time_ms;
        Ok(Entry {
            id,
            time_ms,
            status,
            recipient,
            orig_recipient,
            dsn,
            relay,
            delay,
            response,
        })
    }
}

impl<'a> Iterator for Unpacker<'a> {
    type Item = Result<Entry<'a>, Damaged>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() || self.failed {
            return None;
        }
        let e = self.entry();
        self.failed = e.is_err();
        Some(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry(id: i64, time_ms: i64) -> Entry<'static> {
        Entry {
            id,
            time_ms,
            status: Status::Sent,
            recipient: Some("to@example.org"),
            orig_recipient: None,
            dsn: Some("2.0.0"),
            relay: Some("mx.example.org[192.0.2.1]:25"),
            delay: Some(0.31),
            response: Some("250 2.0.0 Ok: queued as 4QmX"),
        }
    }

    fn pack(entries: &[Entry<'_>]) -> Vec<u8> {
        let mut p = Packer::new();
        for e in entries {
            p.push(e);
        }
        p.finish()
    }

    #[test]
    fn entries_read_back_as_packed_in_any_time_order() {
        let mut late = entry(7, 1_700_000_000_500);
        late.delay = Some(1e-3);
        late.status = Status::Deferred;
        let mut early = entry(9, 1_700_000_000_000);
        early.recipient = None;
        early.delay = None;
        early.response = Some("");
        let entries = [entry(3, 1_700_000_000_100), late, early];
        let blob = pack(&entries);
        let back: Vec<Entry<'_>> = Unpacker::new(&blob).collect::<Result<_, _>>().unwrap();
        assert_eq!(back, entries);
    }

    #[test]
    fn a_text_equal_to_the_last_of_its_field_is_not_written_again() {
        let first = entry(1, 0);
        let mut second = entry(2, 1000);
        second.recipient = Some("other@example.org");
        let mut third = entry(3, 2000);
        third.relay = None;
        let one = pack(std::slice::from_ref(&first)).len();
        let blob = pack(&[first.clone(), second.clone(), third.clone()]);
        // Each later entry: ID and time deltas (1 + 2 bytes), status, flags, delay
        // (1 byte each), and only the texts that differ from the last of their field:
        // the second's recipient; the third's recipient, which differs from the
        // second's (DSN and response repeat, relay is absent).
        let head = 1 + 2 + 1 + 1 + 1;
        let second_len = head + 1 + "other@example.org".len();
        let third_len = head + 1 + "to@example.org".len();
        assert_eq!(blob.len(), one + second_len + third_len);
        let back: Vec<Entry<'_>> = Unpacker::new(&blob).collect::<Result<_, _>>().unwrap();
        assert_eq!(back, [first, second, third]);
        // A repeat with nothing before it is damage.
        let mut bad = pack(&[entry(1, 0)]);
        bad[2] |= 1 << SAME_SHIFT;
        assert_eq!(
            Unpacker::new(&bad).next(),
            Some(Err(Damaged("a repeat of no earlier text")))
        );
    }

    #[test]
    fn a_two_decimal_delay_takes_one_byte_and_others_eight() {
        let mut e = entry(1, 0);
        let short = pack(&[e.clone()]).len();
        e.delay = Some(0.3 + 1e-9);
        assert_eq!(pack(&[e]).len(), short + 7);
    }

    #[test]
    fn a_damaged_blob_is_an_error_not_a_panic() {
        let blob = pack(&[entry(1, 5), entry(2, 6)]);
        // The first entry alone: a cut there is a whole, shorter blob.
        let one = pack(&[entry(1, 5)]).len();
        for cut in 1..blob.len() {
            let read: Vec<_> = Unpacker::new(&blob[..cut]).collect();
            if cut == one {
                assert_eq!(read, [Ok(entry(1, 5))]);
            } else {
                assert!(read.last().unwrap().is_err(), "cut at {cut}: {read:?}");
            }
        }
        let mut bad = blob.clone();
        bad[2] = 6; // status index past the six statuses
        assert_eq!(
            Unpacker::new(&bad).next(),
            Some(Err(Damaged("unknown status")))
        );
    }

    proptest! {
        #[test]
        fn any_entries_round_trip(
            rows in proptest::collection::vec(
                (0i64..1 << 20, any::<i64>(), 0usize..6,
                 proptest::option::of(".{0,40}"), proptest::option::of("[ab]{0,2}"),
                 proptest::option::of(any::<f64>().prop_filter("not NaN", |d| !d.is_nan()))),
                0..20),
        ) {
            let mut id = 0i64;
            let entries: Vec<Entry<'_>> = rows
                .iter()
                .map(|(step, ms, st, text, dsn, delay)| {
                    id += step + 1;
                    Entry {
                        id,
                        time_ms: *ms,
                        status: Status::ALL[*st],
                        recipient: text.as_deref(),
                        orig_recipient: dsn.as_deref(),
                        dsn: dsn.as_deref(),
                        relay: text.as_deref(),
                        delay: *delay,
                        response: text.as_deref(),
                    }
                })
                .collect();
            let blob = pack(&entries);
            let back: Vec<Entry<'_>> = Unpacker::new(&blob)
                .collect::<Result<_, _>>()
                .unwrap();
            prop_assert_eq!(back, entries);
        }
    }
}
