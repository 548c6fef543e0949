//! Counters of what the correlator did; they add up (`+=`) across runs.

use std::ops::AddAssign;

use crate::record::Status;

/// What the correlator saw and emitted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CorrelateStats {
    /// Records emitted, by status (indexed by [`Status::index`]).
    pub records: [u64; 6],
    /// Records of messages whose start was not seen (client and SASL user unknown).
    pub orphan_records: u64,
    /// Messages finished (`removed`) whose start was never seen.
    pub orphan_messages: u64,
    /// Lines about a message the correlator did not know (e.g. a lone `removed`).
    pub orphan_lines: u64,
    /// Messages or pending hop links forgotten because the memory limit was reached.
    pub evicted: u64,
    /// Content-filter and forwarding hops followed.
    pub hops: u64,
    /// Filter answers (`queued as NEWID`) logged after their copy had left the queue.
    pub raced: u64,
    /// Pipe deliveries stored as `sent` and taken back when their copy came back.
    pub retracted: u64,
    /// Messages that left the queue and were forgotten for room before
    /// `Limits::recent_secs` had passed: a filter line naming them later is not tied.
    pub recent_dropped: u64,
    /// Address-verification probes (not records).
    pub probes: u64,
    /// Deliveries and expiries of mail that belongs to nobody (null sender, double-bounce).
    pub notifications: u64,
    /// Rejects and SASL failures that name no sender.
    pub unattributed: u64,
    /// Delivery lines with a status word that is no outcome Postfix logs.
    pub unknown_status: u64,
}

impl CorrelateStats {
    /// Records emitted with `status`.
    pub fn records_with(&self, status: Status) -> u64 {
        self.records[status.index()]
    }

    /// All records emitted.
    pub fn total_records(&self) -> u64 {
        self.records.iter().sum()
    }
}

impl AddAssign<&CorrelateStats> for CorrelateStats {
    fn add_assign(&mut self, o: &CorrelateStats) {
        for (a, b) in self.records.iter_mut().zip(o.records) {
            *a += b;
        }
        self.orphan_records += o.orphan_records;
        self.orphan_messages += o.orphan_messages;
        self.orphan_lines += o.orphan_lines;
        self.evicted += o.evicted;
        self.hops += o.hops;
        self.raced += o.raced;
        self.retracted += o.retracted;
        self.recent_dropped += o.recent_dropped;
        self.probes += o.probes;
        self.notifications += o.notifications;
        self.unattributed += o.unattributed;
        self.unknown_status += o.unknown_status;
    }
}
