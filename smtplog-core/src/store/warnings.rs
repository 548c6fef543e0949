//! The store's part of the daily warnings: every sender's counts of one day, and the
//! `warnings` table (migration 2) that makes `notify` mail each warning once.
//!
//! A warning is first claimed (a `'sending'` row), then marked `'sent'` when the relay
//! accepted it, or released when it was not, so the next run tries again. A second run
//! that meets a fresh claim leaves it alone (another run is mailing it); a claim older
//! than the caller's `stale_before` was left by a run that died and may be taken over.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{OptionalExtension, params};

use std::collections::BTreeMap;

use super::pack::Unpacker;
use super::{Result, Store, damaged};
use crate::stats::Counts;

/// A warning that was mailed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentWarning {
    /// The address warned (lower-cased).
    pub email: String,
    /// The day the warning was about.
    pub day: NaiveDate,
    /// When the relay accepted it.
    pub sent: DateTime<Utc>,
    /// The day's Sum then.
    pub sum: u64,
    /// The day's Bounced then.
    pub bounced: u64,
    /// The mail's Message-ID.
    pub message_id: Option<String>,
}

/// Where a warning stands.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WarningState {
    /// A run claimed it at this time and is (or was) mailing it.
    Sending(DateTime<Utc>),
    /// It was mailed.
    Sent(SentWarning),
}

fn day_key(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

impl Store {
    /// The counts of every owner (envelope sender, or SASL user that is another address)
    /// of the records logged in `[from, to)`, by owner. Owners are lower-case; records
    /// without a sender (orphans, refused SASL logins) belong to nobody here. Reads the
    /// message rows of the batches whose spans overlap the range.
    pub fn counts_by_owner(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(String, Counts)>> {
        let (from, to) = (from.timestamp_millis(), to.timestamp_millis());
        let mut stmt = self.conn.prepare_cached(
            "SELECT m.id, a.address, b.address, m.records
               FROM record_spans s CROSS JOIN messages m
               LEFT JOIN addresses a ON a.id = m.owner
               LEFT JOIN addresses b ON b.id = m.sasl_owner
              WHERE s.max_ms >= ?1 AND s.min_ms < ?2
                AND m.id BETWEEN s.first_id AND s.last_id
                AND m.last_ms >= ?1 AND m.first_ms < ?2
                AND (m.owner IS NOT NULL OR m.sasl_owner IS NOT NULL)",
        )?;
        let mut rows = stmt.query(params![from, to])?;
        let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let owners: [Option<String>; 2] = [row.get(1)?, row.get(2)?];
            let blob = row.get_ref(3)?.as_blob().map_err(rusqlite::Error::from)?;
            let mut day = Counts::default();
            for e in Unpacker::new(blob) {
                let e = e.map_err(|e| damaged(id, e))?;
                if (from..to).contains(&e.time_ms) {
                    day.0[e.status.index()] += 1;
                }
            }
            if day.sum() == 0 {
                continue;
            }
            for owner in owners.into_iter().flatten().filter(|o| !o.is_empty()) {
                let c = counts.entry(owner).or_default();
                for (total, n) in c.0.iter_mut().zip(day.0) {
                    *total += n;
                }
            }
        }
        Ok(counts.into_iter().collect())
    }

    /// Claims the warning of `email` about `day` for this run: true when this run may
    /// mail it (no row yet, or a claim made before `stale_before`); false when it was
    /// sent, or another run claimed it recently.
    pub fn claim_warning(
        &mut self,
        email: &str,
        day: NaiveDate,
        counts: &Counts,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<bool> {
        let n = self.conn.execute(
            "INSERT INTO warnings (email, day, state, claimed_ms, sum, bounced)
             VALUES (lower(?1), ?2, 'sending', ?3, ?4, ?5)
             ON CONFLICT (email, day) DO UPDATE SET claimed_ms = excluded.claimed_ms,
                 sum = excluded.sum, bounced = excluded.bounced
              WHERE state = 'sending' AND claimed_ms < ?6",
            params![
                email,
                day_key(day),
                now.timestamp_millis(),
                counts.sum() as i64,
                counts.get(crate::record::Status::Bounced) as i64,
                stale_before.timestamp_millis()
            ],
        )?;
        Ok(n == 1)
    }

    /// Records that the claimed warning of `email` about `day` was accepted by the relay.
    pub fn mark_warning_sent(
        &mut self,
        email: &str,
        day: NaiveDate,
        sent: DateTime<Utc>,
        message_id: &str,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE warnings SET state = 'sent', sent_ms = ?3, message_id = ?4
              WHERE email = lower(?1) AND day = ?2",
            params![email, day_key(day), sent.timestamp_millis(), message_id],
        )?;
        Ok(())
    }

    /// Gives up the claim of a warning that was not delivered, so the next run retries it.
    /// A warning already marked sent is left alone.
    pub fn release_warning(&mut self, email: &str, day: NaiveDate) -> Result<()> {
        self.conn.execute(
            "DELETE FROM warnings WHERE email = lower(?1) AND day = ?2 AND state = 'sending'",
            params![email, day_key(day)],
        )?;
        Ok(())
    }

    /// Where the warning of `email` about `day` stands; `None` when it was never claimed.
    pub fn warning_state(&self, email: &str, day: NaiveDate) -> Result<Option<WarningState>> {
        Ok(self
            .conn
            .query_row(
                "SELECT email, state, claimed_ms, sent_ms, sum, bounced, message_id
                   FROM warnings WHERE email = lower(?1) AND day = ?2",
                params![email, day_key(day)],
                |r| {
                    let state: String = r.get(1)?;
                    let claimed: i64 = r.get(2)?;
                    if state == "sending" {
                        return Ok(WarningState::Sending(
                            DateTime::from_timestamp_millis(claimed).unwrap_or_default(),
                        ));
                    }
                    Ok(WarningState::Sent(SentWarning {
                        email: r.get(0)?,
                        day,
                        sent: r
                            .get::<_, Option<i64>>(3)?
                            .and_then(DateTime::from_timestamp_millis)
                            .unwrap_or_default(),
                        sum: r.get::<_, i64>(4)?.max(0) as u64,
                        bounced: r.get::<_, i64>(5)?.max(0) as u64,
                        message_id: r.get(6)?,
                    }))
                },
            )
            .optional()?)
    }

    /// The warnings mailed about `day`, by address.
    pub fn sent_warnings(&self, day: NaiveDate) -> Result<Vec<SentWarning>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT email, sent_ms, sum, bounced, message_id FROM warnings
              WHERE day = ?1 AND state = 'sent' ORDER BY email",
        )?;
        let rows = stmt.query_map(params![day_key(day)], |r| {
            Ok(SentWarning {
                email: r.get(0)?,
                day,
                sent: r
                    .get::<_, Option<i64>>(1)?
                    .and_then(DateTime::from_timestamp_millis)
                    .unwrap_or_default(),
                sum: r.get::<_, i64>(2)?.max(0) as u64,
                bounced: r.get::<_, i64>(3)?.max(0) as u64,
                message_id: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Forgets the warnings of days before `oldest` (outside the retention window, where
    /// no warning can be sent again); returns how many.
    pub fn prune_warnings(&mut self, oldest: NaiveDate) -> Result<u64> {
        let n = self.conn.execute(
            "DELETE FROM warnings WHERE day < ?1",
            params![day_key(oldest)],
        )?;
        Ok(n as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn warnings_of_days_before_the_retention_window_are_forgotten() {
        let mut store = Store::open_in_memory().unwrap();
        let c = Counts::default();
        let now = at("2024-03-05T01:00:00Z");
        for day in ["2024-03-01", "2024-03-02", "2024-03-03"] {
            assert!(
                store
                    .claim_warning("a@x.edu", d(day), &c, now, now)
                    .unwrap()
            );
            store
                .mark_warning_sent("a@x.edu", d(day), now, "<id@host>")
                .unwrap();
        }
        assert_eq!(store.prune_warnings(d("2024-03-03")).unwrap(), 2);
        assert!(store.sent_warnings(d("2024-03-02")).unwrap().is_empty());
        assert_eq!(store.sent_warnings(d("2024-03-03")).unwrap().len(), 1);
    }

    #[test]
    fn a_warning_is_claimed_once_sent_once_and_released_for_a_retry() {
        let mut store = Store::open_in_memory().unwrap();
        let day = d("2024-03-01");
        let c = Counts::default();
        let now = at("2024-03-02T01:00:00Z");
        let stale = at("2024-03-02T00:00:00Z");
        assert!(store.claim_warning("A@x.edu", day, &c, now, stale).unwrap());
        // A second run while the first is mailing: no.
        assert!(!store.claim_warning("a@x.edu", day, &c, now, stale).unwrap());
        assert!(matches!(
            store.warning_state("a@x.edu", day).unwrap(),
            Some(WarningState::Sending(_))
        ));
        // Delivery failed: released, and the next run may claim it again.
        store.release_warning("a@x.edu", day).unwrap();
        assert_eq!(store.warning_state("a@x.edu", day).unwrap(), None);
        assert!(store.claim_warning("a@x.edu", day, &c, now, stale).unwrap());
        store
            .mark_warning_sent("a@x.edu", day, now, "<id@host>")
            .unwrap();
        // Sent: never claimable again, not even much later, and not released.
        let later = at("2024-04-01T00:00:00Z");
        assert!(
            !store
                .claim_warning("a@x.edu", day, &c, later, later)
                .unwrap()
        );
        store.release_warning("a@x.edu", day).unwrap();
        let sent = store.sent_warnings(day).unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].email, "a@x.edu");
        assert_eq!(sent[0].message_id.as_deref(), Some("<id@host>"));
        // Another day is another warning.
        assert!(
            store
                .claim_warning("a@x.edu", d("2024-03-02"), &c, now, stale)
                .unwrap()
        );
    }

    #[test]
    fn a_stale_claim_is_taken_over() {
        let mut store = Store::open_in_memory().unwrap();
        let day = d("2024-03-01");
        let c = Counts::default();
        let t0 = at("2024-03-02T01:00:00Z");
        assert!(store.claim_warning("a@x.edu", day, &c, t0, t0).unwrap());
        let t1 = at("2024-03-02T03:00:00Z");
        // Claims older than two hours before t1 are stale: this one is not.
        assert!(
            !store
                .claim_warning("a@x.edu", day, &c, t1, at("2024-03-02T00:30:00Z"))
                .unwrap()
        );
        // Claims older than t1 - 1 h are: this one is.
        assert!(
            store
                .claim_warning("a@x.edu", day, &c, t1, at("2024-03-02T02:00:00Z"))
                .unwrap()
        );
    }
}
