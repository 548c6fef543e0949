//! The time-ordered queue of lines not yet written.
//!
//! Postfix interleaves many sessions and messages, and a message's lines reach into the
//! future (deliveries seconds later, retries hours or days later). The generator decides a
//! message's near future at once and parks those lines here; deferred messages park a
//! [`What::Retry`] instead, so their later attempts are decided only when their time
//! comes. The writer pops in time order (ties in push order), so only what is in flight is
//! ever held in memory.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::mail::Msg;
use super::qid::Qid;
use super::truth::Status;

/// What writing a line means for the [`Truth`](super::Truth) and the queue-ID pools.
#[derive(Debug, Default)]
pub(crate) struct Effect {
    /// `n` records of a status for a sender.
    pub(crate) record: Option<(u32, Status, u32)>,
    /// The first qmgr `from=` of a message accepted from a client or pickup.
    pub(crate) message: bool,
    /// A queue file is gone: `(pool, queue ID, may the ID come back)`.
    pub(crate) free: Option<(usize, Qid, bool)>,
}

impl Effect {
    pub(crate) fn none() -> Self {
        Effect::default()
    }

    pub(crate) fn record(who: u32, status: Status) -> Self {
        Effect {
            record: Some((who, status, 1)),
            ..Effect::default()
        }
    }

    /// A record for `who` if there is one (bounce notices belong to nobody).
    pub(crate) fn record_for(who: Option<u32>, status: Status) -> Self {
        match who {
            Some(w) => Effect::record(w, status),
            None => Effect::none(),
        }
    }

    pub(crate) fn free(pool: usize, qid: Qid, reusable: bool) -> Self {
        Effect {
            free: Some((pool, qid, reusable)),
            ..Effect::default()
        }
    }
}

/// One line to write: the relay host's index and everything after `host `.
#[derive(Debug)]
pub(crate) struct Line {
    pub(crate) host: usize,
    pub(crate) body: String,
    pub(crate) effect: Effect,
}

/// Something due at a time.
#[derive(Debug)]
pub(crate) enum What {
    Line(Line),
    /// qmgr takes a deferred message from the deferred queue again.
    Retry(Box<Msg>),
}

#[derive(Debug)]
pub(crate) struct Item {
    pub(crate) t: i64,
    seq: u64,
    pub(crate) what: What,
}

impl PartialEq for Item {
    fn eq(&self, o: &Self) -> bool {
        (self.t, self.seq) == (o.t, o.seq)
    }
}
impl Eq for Item {}
impl PartialOrd for Item {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Item {
    // Reversed: `BinaryHeap` is a max-heap and the earliest item must come out first.
    fn cmp(&self, o: &Self) -> Ordering {
        (o.t, o.seq).cmp(&(self.t, self.seq))
    }
}

/// The pending lines and retries, earliest first.
#[derive(Debug, Default)]
pub(crate) struct Schedule {
    heap: BinaryHeap<Item>,
    seq: u64,
}

impl Schedule {
    pub(crate) fn push(&mut self, t: i64, what: What) {
        self.seq += 1;
        self.heap.push(Item {
            t,
            seq: self.seq,
            what,
        });
    }

    pub(crate) fn line(&mut self, t: i64, host: usize, body: String, effect: Effect) {
        self.push(t, What::Line(Line { host, body, effect }));
    }

    /// The time of the earliest pending item.
    pub(crate) fn next_time(&self) -> Option<i64> {
        self.heap.peek().map(|i| i.t)
    }

    pub(crate) fn pop(&mut self) -> Option<Item> {
        self.heap.pop()
    }
}
