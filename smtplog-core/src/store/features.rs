//! The store's part of the stolen-account signs: what each sender did on each of a run
//! of days ([`crate::anomaly::DayFeatures`]), from one scan of the message rows whose
//! records fall in those days. A record counts for its envelope sender and for a SASL
//! user that is another address, as the reports do.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::pack::Unpacker;
use super::{Result, Store, damaged};
use crate::anomaly::DayFeatures;
use crate::record::Status;

const HOUR_MS: i64 = 3_600_000;

impl Store {
    /// Each owner's features of each day of `days` (consecutive, ascending `[start, end)`
    /// bounds, such as local calendar days): the owner (lower-case) and one entry per
    /// day, in the order of `days`. The hour of a record is counted from the start of its
    /// day. A failed SASL login is a refused record without a queue (`NOQUEUE`) whose
    /// response is Postfix's `SASL ... authentication failed`.
    pub fn sender_day_features(
        &self,
        days: &[(DateTime<Utc>, DateTime<Utc>)],
    ) -> Result<Vec<(String, Vec<DayFeatures>)>> {
        let (Some(first), Some(last)) = (days.first(), days.last()) else {
            return Ok(Vec::new());
        };
        let starts: Vec<i64> = days.iter().map(|d| d.0.timestamp_millis()).collect();
        let (from, to) = (first.0.timestamp_millis(), last.1.timestamp_millis());
        let mut stmt = self.conn.prepare_cached(
            "SELECT m.id, m.owner, m.sasl_owner, m.sender_ip, m.queue_id = 'NOQUEUE', m.records
               FROM record_spans s CROSS JOIN messages m
              WHERE s.max_ms >= ?1 AND s.min_ms < ?2
                AND m.id BETWEEN s.first_id AND s.last_id
                AND m.last_ms >= ?1 AND m.first_ms < ?2
                AND (m.owner IS NOT NULL OR m.sasl_owner IS NOT NULL)",
        )?;
        let mut rows = stmt.query(params![from, to])?;
        let mut by_owner: HashMap<i64, Vec<DayFeatures>> = HashMap::new();
        // One row's features, before they go to its owners.
        let mut row_days: Vec<(usize, DayFeatures)> = Vec::new();
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let owner: Option<i64> = row.get(1)?;
            let sasl_owner: Option<i64> = row.get(2)?;
            let ip: Option<String> = row.get(3)?;
            let noqueue: bool = row.get(4)?;
            let blob = row.get_ref(5)?.as_blob().map_err(rusqlite::Error::from)?;
            row_days.clear();
            for e in Unpacker::new(blob) {
                let e = e.map_err(|e| damaged(id, e))?;
                if !(from..to).contains(&e.time_ms) {
                    continue;
                }
                let i = starts.partition_point(|&s| s <= e.time_ms) - 1;
                let at = match row_days.iter().position(|(d, _)| *d == i) {
                    Some(at) => at,
                    None => {
                        row_days.push((i, DayFeatures::default()));
                        row_days.len() - 1
                    }
                };
                let f = &mut row_days[at].1;
                let hour = ((e.time_ms - starts[i]) / HOUR_MS).clamp(0, 23) as usize;
                let delivery = match e.status {
                    Status::AuthBlk => {
                        if noqueue && e.response.is_some_and(|r| r.starts_with("SASL ")) {
                            f.sasl_failures += 1;
                            if let Some(ip) = &ip {
                                f.sasl_failure_ips.insert(ip.clone());
                            }
                        }
                        continue;
                    }
                    Status::AuthRcv => continue,
                    Status::Deferred => {
                        f.deliveries += 1;
                        f.failed += 1;
                        continue;
                    }
                    Status::Bounced | Status::Expired => {
                        f.failed += 1;
                        true
                    }
                    Status::Sent => true,
                };
                if delivery {
                    f.deliveries += 1;
                    f.recipients += 1;
                    f.hours[hour] += 1;
                    if let Some(ip) = &ip {
                        match f.clients.get_mut(ip.as_str()) {
                            Some(n) => *n += 1,
                            None => {
                                f.clients.insert(ip.clone(), 1);
                            }
                        }
                    }
                    if let Some(domain) = e.recipient.and_then(|r| r.rsplit_once('@')) {
                        let domain = domain.1.to_ascii_lowercase();
                        *f.domains.entry(domain).or_default() += 1;
                    }
                }
            }
            if row_days.is_empty() {
                continue;
            }
            let owners = [owner, sasl_owner.filter(|s| Some(*s) != owner)];
            for o in owners.into_iter().flatten() {
                let all = by_owner
                    .entry(o)
                    .or_insert_with(|| vec![DayFeatures::default(); days.len()]);
                for (i, f) in &row_days {
                    all[*i].add(f);
                }
            }
        }
        drop(rows);
        let mut name = self
            .conn
            .prepare_cached("SELECT address FROM addresses WHERE id = ?1")?;
        let mut out = Vec::with_capacity(by_owner.len());
        for (id, features) in by_owner {
            let address: String = name.query_row(params![id], |r| r.get(0))?;
            if !address.is_empty() {
                out.push((address, features));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }
}
