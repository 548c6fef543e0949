//! Messages that left the queue a short while ago. A content filter's answer
//! (`queued as NEWID`), a pipe filter's copy coming back through `pickup`, or a
//! before-queue proxy's `proxy-accept` may be logged after the message they concern was
//! already `removed`; this memory lets the correlator still tie them together.
//!
//! Bounded twice: by log time (entries older than the window are dropped as newer ones
//! arrive) and by size (past the limit the oldest are dropped early and counted).

use std::collections::VecDeque;

use rustc_hash::FxHashMap;

use super::key::Key;
use super::state::Finished;

/// The finished messages of the last few minutes of log, oldest first.
#[derive(Debug, Default)]
pub(super) struct Recent {
    entries: FxHashMap<Key, Finished>,
    /// (finished_ms, key) in the order of arrival; an entry whose key was removed or
    /// finished again since is stale and skipped.
    order: VecDeque<(i64, Key)>,
}

/// What `Recent::insert` dropped to keep within its bounds.
#[derive(Debug, Default)]
pub(super) struct Dropped {
    /// Keys aged out or dropped for room: their saved copies must be deleted.
    pub(super) keys: Vec<(Key, Finished)>,
    /// How many were dropped for room before their time was up.
    pub(super) early: u64,
}

impl Recent {
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }

    pub(super) fn get(&self, key: &Key) -> Option<&Finished> {
        self.entries.get(key)
    }

    pub(super) fn get_mut(&mut self, key: &Key) -> Option<&mut Finished> {
        self.entries.get_mut(key)
    }

    pub(super) fn remove(&mut self, key: &Key) -> Option<Finished> {
        self.entries.remove(key)
    }

    /// Remembers `finished`; drops what is older than `window_ms` before its time, then
    /// the oldest while more than `max` are held.
    pub(super) fn insert(
        &mut self,
        key: Key,
        finished: Finished,
        window_ms: i64,
        max: usize,
    ) -> Dropped {
        let now = finished.finished_ms;
        self.order.push_back((now, key));
        self.entries.insert(key, finished);
        let mut dropped = Dropped::default();
        while let Some(&(at, old)) = self.order.front() {
            let aged = at < now - window_ms;
            if !aged && self.entries.len() <= max {
                break;
            }
            self.order.pop_front();
            if self.entries.get(&old).is_some_and(|f| f.finished_ms == at) {
                let f = self.entries.remove(&old).expect("present");
                dropped.early += u64::from(!aged);
                dropped.keys.push((old, f));
            }
        }
        // Stale order entries (keys removed or finished again) are not left to pile up.
        if self.order.len() > 2 * self.entries.len() + 1024 {
            let entries = &self.entries;
            self.order
                .retain(|(at, k)| entries.get(k).is_some_and(|f| f.finished_ms == *at));
        }
        dropped
    }

    /// Restores an entry saved earlier (callers restore in `finished_ms` order).
    pub(super) fn restore(&mut self, key: Key, finished: Finished) {
        self.order.push_back((finished.finished_ms, key));
        self.entries.insert(key, finished);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::correlate::key::Qid;

    fn key(id: &str) -> Key {
        Key {
            origin: 0,
            qid: Qid::new(id),
        }
    }

    fn at(ms: i64) -> Finished {
        Finished {
            finished_ms: ms,
            ..Finished::default()
        }
    }

    #[test]
    fn old_entries_age_out_and_room_is_made_by_dropping_the_oldest() {
        let mut r = Recent::default();
        assert!(r.insert(key("A"), at(0), 1000, 3).keys.is_empty());
        assert!(r.insert(key("B"), at(500), 1000, 3).keys.is_empty());
        // A is 1001 ms older than C: aged out, not counted as early.
        let d = r.insert(key("C"), at(1001), 1000, 3);
        assert_eq!(
            d.keys.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            [key("A")]
        );
        assert_eq!(d.early, 0);
        assert!(r.get(&key("A")).is_none() && r.get(&key("B")).is_some());
        r.insert(key("D"), at(1002), 1000, 3);
        // Four within the window and room for three: B goes early.
        let d = r.insert(key("E"), at(1003), 1000, 3);
        assert_eq!(
            d.keys.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            [key("B")]
        );
        assert_eq!(d.early, 1);
        assert_eq!(r.len(), 3);
    }

    #[test]
    fn a_removed_or_refinished_key_is_not_dropped_by_its_stale_order_entry() {
        let mut r = Recent::default();
        r.insert(key("A"), at(0), 1000, 10);
        r.remove(&key("A"));
        r.insert(key("A"), at(900), 1000, 10);
        // The first entry of A (at 0) ages out; the live one (at 900) stays.
        let d = r.insert(key("B"), at(1500), 1000, 10);
        assert!(d.keys.is_empty());
        assert_eq!(r.get(&key("A")).map(|f| f.finished_ms), Some(900));
    }
}
