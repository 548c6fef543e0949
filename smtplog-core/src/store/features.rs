//! The store's part of the stolen-account signs: what each sender did on each of a run
//! of days ([`crate::anomaly::DayFeatures`]), from one scan of the message rows whose
//! records fall in those days. A record counts for its envelope sender and for a SASL
//! user that is another address, as the reports do.

use rustc_hash::FxHashMap;

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
        let mut by_owner: FxHashMap<i64, Vec<DayFeatures>> = FxHashMap::default();
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let owner: Option<i64> = row.get(1)?;
            let sasl_owner: Option<i64> =
                row.get::<_, Option<i64>>(2)?.filter(|s| Some(*s) != owner);
            let ip: Option<&str> = row
                .get_ref(3)?
                .as_str_or_null()
                .map_err(rusqlite::Error::from)?;
            let noqueue: bool = row.get(4)?;
            let blob = row.get_ref(5)?.as_blob().map_err(rusqlite::Error::from)?;
            for o in [owner, sasl_owner].into_iter().flatten() {
                let all = by_owner
                    .entry(o)
                    .or_insert_with(|| vec![DayFeatures::default(); days.len()]);
                for e in Unpacker::new(blob) {
                    let e = e.map_err(|e| damaged(id, e))?;
                    if !(from..to).contains(&e.time_ms) {
                        continue;
                    }
                    let i = starts.partition_point(|&s| s <= e.time_ms) - 1;
                    let hour = ((e.time_ms - starts[i]) / HOUR_MS).clamp(0, 23) as usize;
                    add_entry(
                        &mut all[i],
                        e.status,
                        e.recipient,
                        e.response,
                        ip,
                        noqueue,
                        hour,
                    );
                }
            }
        }
        drop(rows);
        let mut name = self
            .conn
            .prepare_cached("SELECT address FROM addresses WHERE id = ?1")?;
        let mut out = Vec::with_capacity(by_owner.len());
        by_owner.retain(|_, f| f.iter().any(DayFeatures::active));
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

/// Counts one record into a day's features.
fn add_entry(
    f: &mut DayFeatures,
    status: Status,
    recipient: Option<&str>,
    response: Option<&str>,
    ip: Option<&str>,
    noqueue: bool,
    hour: usize,
) {
    match status {
        Status::AuthBlk => {
            if noqueue && response.is_some_and(|r| r.starts_with("SASL ")) {
                f.sasl_failures += 1;
                if let Some(ip) = ip
                    && !f.sasl_failure_ips.contains(ip)
                {
                    f.sasl_failure_ips.insert(ip.to_string());
                }
            }
        }
        Status::AuthRcv => {}
        Status::Deferred => {
            f.deliveries += 1;
            f.failed += 1;
        }
        Status::Bounced | Status::Expired | Status::Sent => {
            if status != Status::Sent {
                f.failed += 1;
            }
            f.deliveries += 1;
            f.recipients += 1;
            f.hours[hour] += 1;
            if let Some(ip) = ip {
                bump(&mut f.clients, ip);
            }
            if let Some((_, domain)) = recipient.and_then(|r| r.rsplit_once('@')) {
                if domain.bytes().any(|b| b.is_ascii_uppercase()) {
                    bump(&mut f.domains, &domain.to_ascii_lowercase());
                } else {
                    bump(&mut f.domains, domain);
                }
            }
        }
    }
}

/// Adds one to `key`'s count, allocating the key only the first time.
fn bump(map: &mut std::collections::BTreeMap<String, u64>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_string(), 1);
        }
    }
}
