//! `smtplog check`: is the file sound? SQLite's own integrity check of every page and
//! index, then the store's own rules: every message row's packed records read back and
//! agree with the row's count and times, record IDs stay below the next one to be given,
//! every row lies in a time span (what `notify` and `prune` read through), the inputs'
//! positions and the correlator's saved state read back, the warnings' states are known.
//! Each problem is named (the row, the input, the key); the check reads only, and a
//! step that cannot run is itself a problem, so a damaged file is reported, not a panic.

use rusqlite::params;

use super::pack::Unpacker;
use super::{HEAD_LEN, Result, Store, saved_row, schema};

/// At most this many problems of one kind are listed; the rest are counted.
pub const MAX_LISTED: usize = 20;

/// What `check` found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// The file's schema version.
    pub schema: i64,
    /// The newest schema version this build knows.
    pub supported: i64,
    /// Message rows read.
    pub rows: u64,
    /// Records in them.
    pub records: u64,
    /// Inputs read before.
    pub sources: u64,
    /// Saved correlator states.
    pub pending: u64,
    /// Every problem, each with what it concerns; empty when the file is sound.
    pub problems: Vec<Problem>,
    /// Problems found beyond those listed ([`MAX_LISTED`] per kind).
    pub unlisted: u64,
}

/// One problem found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// What part of the file: `integrity`, `records`, `spans`, `sources`, `pending`,
    /// `warnings`, `meta`.
    pub part: &'static str,
    /// What is wrong, naming the row, input or key.
    pub what: String,
}

impl CheckReport {
    /// True when nothing is wrong.
    pub fn is_sound(&self) -> bool {
        self.problems.is_empty() && self.unlisted == 0
    }

    fn add(&mut self, part: &'static str, what: String) {
        if self.problems.iter().filter(|p| p.part == part).count() < MAX_LISTED {
            self.problems.push(Problem { part, what });
        } else {
            self.unlisted += 1;
        }
    }

    /// Runs one step; an error that stops it is a problem of its part.
    fn step(&mut self, part: &'static str, f: impl FnOnce(&mut CheckReport) -> Result<()>) {
        if let Err(e) = f(self) {
            self.add(part, format!("cannot be read: {e}"));
        }
    }
}

impl Store {
    /// Checks the whole file (see the module's documentation). Reads everything once;
    /// writes nothing.
    pub fn check(&self) -> CheckReport {
        let mut report = CheckReport {
            supported: schema::VERSION,
            ..CheckReport::default()
        };
        report.step("meta", |r| {
            r.schema = self.schema_version()?;
            if r.schema != schema::VERSION {
                r.add(
                    "meta",
                    format!(
                        "schema version {} is not this smtplog's ({})",
                        r.schema,
                        schema::VERSION
                    ),
                );
            }
            Ok(())
        });
        report.step("integrity", |r| self.check_integrity(r));
        report.step("records", |r| self.check_rows(r));
        report.step("spans", |r| self.check_spans(r));
        report.step("sources", |r| self.check_sources(r));
        report.step("pending", |r| self.check_pending(r));
        report.step("warnings", |r| self.check_warnings(r));
        report
    }

    fn check_integrity(&self, r: &mut CheckReport) -> Result<()> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check(100)")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let line: String = row.get(0)?;
            if line != "ok" {
                r.add("integrity", line);
            }
        }
        let mut stmt = self.conn.prepare("PRAGMA foreign_key_check")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let (table, id): (String, Option<i64>) = (row.get(0)?, row.get(1)?);
            r.add(
                "integrity",
                format!("{table} row {id:?} refers to a missing row"),
            );
        }
        Ok(())
    }

    fn check_rows(&self, r: &mut CheckReport) -> Result<()> {
        let next: Option<i64> = self
            .meta("next_record")?
            .map(|v| {
                v.parse().map_err(|_| super::StoreError::CorruptState {
                    key: "next_record".into(),
                    reason: format!("not a number: {v:?}"),
                })
            })
            .transpose()?;
        let mut stmt = self
            .conn
            .prepare("SELECT id, first_ms, last_ms, count, records FROM messages ORDER BY id")?;
        let mut rows = stmt.query([])?;
        let mut highest = 0i64;
        while let Some(row) = rows.next()? {
            r.rows += 1;
            let (id, first, last, count): (i64, i64, i64, i64) =
                (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
            let Ok(blob) = row.get_ref(4)?.as_blob() else {
                r.add(
                    "records",
                    format!("message row {id}: records are not a blob"),
                );
                continue;
            };
            let (mut n, mut lo, mut hi, mut last_id) = (0i64, i64::MAX, i64::MIN, 0i64);
            let mut damage = None;
            for e in Unpacker::new(blob) {
                match e {
                    Ok(e) => {
                        if e.id <= last_id {
                            damage = Some("record IDs out of order");
                            break;
                        }
                        last_id = e.id;
                        n += 1;
                        (lo, hi) = (lo.min(e.time_ms), hi.max(e.time_ms));
                    }
                    Err(d) => {
                        damage = Some(d.0);
                        break;
                    }
                }
            }
            highest = highest.max(last_id);
            r.records += n.max(0) as u64;
            let what = match damage {
                Some(reason) => Some(format!("damaged records: {reason}")),
                None if n != count => Some(format!("holds {n} records, its count says {count}")),
                None if n > 0 && (lo, hi) != (first, last) => Some(format!(
                    "records logged from {lo} to {hi} ms, its columns say {first} to {last}"
                )),
                None if n == 0 => Some("holds no records".to_string()),
                None => None,
            };
            if let Some(what) = what {
                r.add("records", format!("message row {id}: {what}"));
            }
        }
        if let Some(next) = next
            && highest >= next
        {
            r.add(
                "meta",
                format!("record ID {highest} is stored, but the next to be given is {next}"),
            );
        }
        Ok(())
    }

    fn check_spans(&self, r: &mut CheckReport) -> Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT m.id FROM messages m
              WHERE NOT EXISTS (SELECT 1 FROM record_spans s
                                 WHERE m.id BETWEEN s.first_id AND s.last_id
                                   AND s.min_ms <= m.first_ms AND s.max_ms >= m.last_ms)
              ORDER BY m.id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            r.add(
                "spans",
                format!("message row {id} lies in no time span (notify and prune miss it)"),
            );
        }
        Ok(())
    }

    fn check_sources(&self, r: &mut CheckReport) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, head, offset, lines, name, year, last_month FROM sources")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            r.sources += 1;
            let id: i64 = row.get(0)?;
            let head = row.get_ref(1)?.as_bytes().map(<[u8]>::len);
            let (offset, lines): (i64, i64) = (row.get(2)?, row.get(3)?);
            let name: Option<String> = row.get(4).ok();
            let month: Option<i64> = row.get(6).ok().flatten();
            let what = match head {
                Err(_) => Some("its identity is not bytes".to_string()),
                Ok(0) => Some("its identity is empty".to_string()),
                Ok(n) if n > HEAD_LEN => Some(format!("its identity is {n} bytes")),
                Ok(_) if offset < 0 || lines < 0 => {
                    Some(format!("position {offset} bytes, {lines} lines"))
                }
                Ok(_) if lines > offset => {
                    Some(format!("{lines} lines read in only {offset} bytes"))
                }
                Ok(_) if month.is_some_and(|m| !(1..=12).contains(&m)) => {
                    Some(format!("last month {month:?}"))
                }
                Ok(_) => None,
            };
            if let Some(what) = what {
                let name = name.unwrap_or_default();
                r.add("sources", format!("input {id} ({name}): {what}"));
            }
        }
        Ok(())
    }

    fn check_pending(&self, r: &mut CheckReport) -> Result<()> {
        let mut stmt = self.conn.prepare("SELECT key, state FROM pending")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            r.pending += 1;
            let key: std::result::Result<String, _> = row.get(0);
            let state: std::result::Result<String, _> = row.get(1);
            match (key, state) {
                (Ok(key), Ok(state)) => {
                    if let Err(e) = saved_row(&key, &state) {
                        r.add("pending", e.to_string());
                    }
                }
                _ => r.add("pending", "a saved state that is not text".to_string()),
            }
        }
        Ok(())
    }

    fn check_warnings(&self, r: &mut CheckReport) -> Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT email, day, state, sent_ms FROM warnings
              WHERE (state = 'sent') != (sent_ms IS NOT NULL)
                 OR day NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'",
        )?;
        let mut rows = stmt.query(params![])?;
        while let Some(row) = rows.next()? {
            let (email, day, state): (String, String, String) =
                (row.get(0)?, row.get(1)?, row.get(2)?);
            r.add(
                "warnings",
                format!("the warning of {email} about {day} is {state} with no consistent time"),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Record, Status};

    fn record(time: &str, queue_id: &str, sender: &str) -> Record {
        Record {
            time: time.parse().unwrap(),
            smtp_relay: "relay1".into(),
            instance: "postfix".into(),
            queue_id: queue_id.into(),
            sender: Some(sender.into()),
            sender_ip: None,
            sasl_user: None,
            recipient: Some("to@example.org".into()),
            orig_recipient: None,
            status: Status::Sent,
            dsn: Some("2.0.0".into()),
            relay: None,
            delay: Some(0.5),
            response: Some("250 ok".into()),
            message_id: None,
            orphan: false,
        }
    }

    fn store() -> Store {
        let mut s = Store::open_in_memory().unwrap();
        s.append(vec![
            record("2024-03-01T10:00:00Z", "AAA1", "a@x.edu"),
            record("2024-03-01T10:00:05Z", "AAA1", "a@x.edu"),
            record("2024-03-02T10:00:00Z", "BBB2", "b@x.edu"),
        ])
        .unwrap();
        s
    }

    /// The parts and texts of the problems after `sql` changed a sound store.
    fn problems_after(sql: &str) -> Vec<(&'static str, String)> {
        let s = store();
        assert!(s.check().is_sound(), "{:?}", s.check());
        s.conn.execute_batch(sql).unwrap();
        s.check()
            .problems
            .into_iter()
            .map(|p| (p.part, p.what))
            .collect()
    }

    #[test]
    fn a_sound_store_is_sound_and_counted() {
        let r = store().check();
        assert!(r.is_sound(), "{r:?}");
        assert_eq!((r.rows, r.records, r.schema), (2, 3, schema::VERSION));
    }

    #[test]
    fn each_kind_of_problem_is_named() {
        let one = |sql: &str, part: &str, says: &str| {
            let p = problems_after(sql);
            assert!(
                p.iter().any(|(pt, w)| *pt == part && w.contains(says)),
                "{sql}: {p:?}"
            );
        };
        one(
            "UPDATE messages SET records = x'0102' WHERE id = 1",
            "records",
            "message row 1: damaged records: truncated",
        );
        one(
            "UPDATE messages SET count = 7 WHERE id = 1",
            "records",
            "message row 1: holds 2 records, its count says 7",
        );
        one(
            "UPDATE messages SET first_ms = first_ms - 1 WHERE id = 2",
            "records",
            "message row 2: records logged from",
        );
        one(
            "UPDATE meta SET value = '2' WHERE key = 'next_record'",
            "meta",
            "record ID 3 is stored, but the next to be given is 2",
        );
        one(
            "DELETE FROM record_spans",
            "spans",
            "message row 1 lies in no time span",
        );
        one(
            "INSERT INTO sources (head, offset, lines, name) VALUES (x'41', 3, 9, 'mail.log')",
            "sources",
            "(mail.log): 9 lines read in only 3 bytes",
        );
        one(
            "INSERT INTO sources (head, offset, lines, name) VALUES (x'', 0, 0, 'x')",
            "sources",
            "its identity is empty",
        );
        one(
            "INSERT INTO pending (key, state) VALUES ('nonsense', '{}')",
            "pending",
            "corrupt saved state for nonsense",
        );
        one(
            "INSERT INTO warnings (email, day, state, claimed_ms, sent_ms, sum, bounced)
             VALUES ('a@x.edu', '2024-03-01', 'sending', 1, 5, 1, 0)",
            "warnings",
            "the warning of a@x.edu about 2024-03-01 is sending",
        );
        one(
            "PRAGMA user_version = 4",
            "meta",
            "schema version 4 is not this smtplog's",
        );
    }

    #[test]
    fn problems_past_the_listed_ones_are_counted() {
        let s = store();
        let rows: String = (0..30)
            .map(|i| {
                format!(
                    "INSERT INTO sources (head, offset, lines, name) VALUES (x'', 0, 0, 's{i}');"
                )
            })
            .collect();
        s.conn.execute_batch(&rows).unwrap();
        let r = s.check();
        assert_eq!(r.problems.len(), MAX_LISTED);
        assert_eq!(r.unlisted, 30 - MAX_LISTED as u64);
        assert!(!r.is_sound());
    }
}
