//! Queue IDs as Postfix makes them, including their reuse.
//!
//! Correlation is keyed by queue ID, so the generator has to produce the IDs' real shapes
//! and their real hazards: short IDs (five hex digits of microseconds, then the queue
//! file's inode in hex, 10 to 12 characters) whose inode part repeats because the file
//! system hands a freed inode out again, long IDs (`enable_long_queue_ids`: seconds and
//! microseconds in base 52, `z`, the inode in base 51, 15 characters), and now and then
//! the very same ID again after the first message was `removed`. A [`QidPool`] is the queue
//! directory of one Postfix instance: it never hands out an ID that is still in flight.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use super::rng::Rng;

/// One queue ID, stored inline (IDs are at most 16 characters here).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Qid {
    len: u8,
    bytes: [u8; 16],
}

impl Qid {
    fn from_str(s: &str) -> Self {
        let mut bytes = [0u8; 16];
        let n = s.len().min(16);
        bytes[..n].copy_from_slice(&s.as_bytes()[..n]);
        Qid {
            len: n as u8,
            bytes,
        }
    }

    /// The ID as logged.
    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII is ever stored.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

impl fmt::Display for Qid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Qid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Qid({})", self.as_str())
    }
}

/// Which queue-ID format an instance uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IdStyle {
    /// Upper-case hex: microseconds and inode.
    Short,
    /// `enable_long_queue_ids = yes`.
    Long,
}

/// Postfix's base-52 alphabet for long queue IDs (no vowels); base 51 drops the final `z`,
/// which separates the time from the inode.
const LONG_ALPHABET: &[u8; 52] = b"0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";

/// How often a new message takes exactly the ID of a recently removed one.
const REUSE_CHANCE: f64 = 0.004;
/// How often a new message gets a recently freed inode (so its ID shares the suffix).
const INODE_REUSE_CHANCE: f64 = 0.6;
const RECENT: usize = 64;

/// The queue IDs of one Postfix instance.
#[derive(Debug)]
pub(crate) struct QidPool {
    style: IdStyle,
    in_flight: BTreeMap<Qid, u32>,
    free_inodes: Vec<u32>,
    removed: VecDeque<(Qid, u32)>,
}

impl QidPool {
    pub(crate) fn new(style: IdStyle) -> Self {
        QidPool {
            style,
            in_flight: BTreeMap::new(),
            free_inodes: Vec::new(),
            removed: VecDeque::new(),
        }
    }

    /// True for `enable_long_queue_ids` (cleanup then makes message IDs `<QUEUEID@host>`).
    pub(crate) fn is_long(&self) -> bool {
        self.style == IdStyle::Long
    }

    /// A new ID for a queue file created at `t` (µs); `true` when it is a reused ID.
    pub(crate) fn alloc(&mut self, rng: &mut Rng, t: i64) -> (Qid, bool) {
        if !self.removed.is_empty() && rng.chance(REUSE_CHANCE) {
            let i = rng.index(self.removed.len());
            if let Some((qid, inode)) = self.removed.remove(i)
                && !self.in_flight.contains_key(&qid)
            {
                self.in_flight.insert(qid, inode);
                return (qid, true);
            }
        }
        loop {
            let inode = match self.free_inodes.pop() {
                Some(inode) if rng.chance(INODE_REUSE_CHANCE) => inode,
                _ => self.fresh_inode(rng),
            };
            let qid = self.encode(t, inode);
            if let Entry::Vacant(e) = self.in_flight.entry(qid) {
                e.insert(inode);
                return (qid, false);
            }
        }
    }

    /// One of the IDs this instance has in flight (often a deferred message's).
    pub(crate) fn any_in_flight(&self, rng: &mut Rng) -> Option<Qid> {
        let n = self.in_flight.len();
        if n == 0 {
            return None;
        }
        self.in_flight.keys().nth(rng.index(n)).copied()
    }

    /// Takes `qid` (made by another instance) as a new ID here, unless it is in flight here.
    pub(crate) fn adopt(&mut self, qid: Qid) -> bool {
        match self.in_flight.entry(qid) {
            Entry::Vacant(e) => {
                e.insert(0);
                true
            }
            Entry::Occupied(_) => false,
        }
    }

    /// The queue file of `qid` is gone; with `reusable`, its ID may come back.
    pub(crate) fn release(&mut self, qid: Qid, reusable: bool) {
        let Some(inode) = self.in_flight.remove(&qid) else {
            return;
        };
        if inode != 0 && self.free_inodes.len() < RECENT {
            self.free_inodes.push(inode);
        }
        if reusable {
            if self.removed.len() == RECENT {
                self.removed.pop_front();
            }
            self.removed.push_back((qid, inode));
        }
    }

    fn fresh_inode(&self, rng: &mut Rng) -> u32 {
        match self.style {
            // 5 or 6 hex digits mostly (IDs of 10-11 characters), sometimes 7 (12).
            IdStyle::Short if rng.chance(0.1) => rng.range(0x100_0000, 0xFFF_FFFF) as u32,
            IdStyle::Short => rng.range(0x1_0000, 0xFF_FFFF) as u32,
            // Four base-51 digits.
            IdStyle::Long => rng.range(51 * 51 * 51, 51 * 51 * 51 * 51 - 1) as u32,
        }
    }

    fn encode(&self, t: i64, inode: u32) -> Qid {
        let usec = t.rem_euclid(1_000_000) as u64;
        match self.style {
            IdStyle::Short => Qid::from_str(&format!("{usec:05X}{inode:X}")),
            IdStyle::Long => {
                let mut s = String::with_capacity(16);
                push_base(&mut s, t.div_euclid(1_000_000) as u64, 52, 0);
                push_base(&mut s, usec, 52, 4);
                s.push('z');
                push_base(&mut s, u64::from(inode), 51, 0);
                Qid::from_str(&s)
            }
        }
    }
}

/// `v` in `base` over [`LONG_ALPHABET`], most significant digit first, zero-padded to `pad`.
fn push_base(out: &mut String, mut v: u64, base: u64, pad: usize) {
    let mut digits = [0u8; 16];
    let mut n = 0;
    while v > 0 || n < pad.max(1) {
        digits[n] = LONG_ALPHABET[(v % base) as usize];
        v /= base;
        n += 1;
    }
    for &d in digits[..n].iter().rev() {
        out.push(char::from(d));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_772_323_200_123_456; // 2026-03-01T00:00:00.123456Z

    #[test]
    fn short_ids_are_upper_hex_of_10_to_12() {
        let mut pool = QidPool::new(IdStyle::Short);
        let mut rng = Rng::new(3);
        for i in 0..2000 {
            let (q, _) = pool.alloc(&mut rng, T + i * 7919);
            let s = q.as_str();
            assert!((10..=12).contains(&s.len()), "{s}");
            assert!(
                s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'A'..=b'F')),
                "{s}"
            );
        }
    }

    #[test]
    fn long_ids_have_postfix_shape() {
        let mut pool = QidPool::new(IdStyle::Long);
        let mut rng = Rng::new(3);
        let (q, _) = pool.alloc(&mut rng, T);
        let s = q.as_str();
        assert_eq!(s.len(), 15, "{s}");
        assert_eq!(&s[10..11], "z", "{s}");
        assert!(s.starts_with('4'), "{s}");
        assert!(s.bytes().all(|c| LONG_ALPHABET.contains(&c)), "{s}");
    }

    #[test]
    fn in_flight_ids_are_unique_and_removed_ones_come_back() {
        let mut pool = QidPool::new(IdStyle::Short);
        let mut rng = Rng::new(5);
        let mut reused = 0;
        for i in 0..20_000 {
            // Same microsecond again and again: only the inode tells IDs apart.
            let (q, again) = pool.alloc(&mut rng, T + (i % 3));
            reused += usize::from(again);
            pool.release(q, true);
        }
        assert!(reused > 10, "{reused}");
        let (a, _) = pool.alloc(&mut rng, T);
        let (b, _) = pool.alloc(&mut rng, T);
        assert_ne!(a, b);
    }
}
