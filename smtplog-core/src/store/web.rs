//! The store's part of the query page (`smtplog serve`), in the tables of migration 5:
//!
//! - captchas: issued with an answer and a lifetime; the first guess uses one up, right or
//!   wrong ([`Store::issue_captcha`], [`Store::check_captcha`]);
//! - submissions: every form submission, accepted or refused, is one row: the audit log
//!   (`smtplog audit`) and the count behind both rate limits, so a restart resets
//!   nothing ([`Store::record_submission`], [`Store::submissions_from_ip`],
//!   [`Store::reports_mailed_to`]);
//! - the outbox: accepted reports waiting for the relay, so one that is down loses
//!   nothing ([`Store::enqueue_report`], [`Store::due_reports`], [`Store::mark_report_sent`],
//!   [`Store::mark_report_failed`]).
//!
//! Every time comes from the caller; nothing here reads the clock.

use std::net::IpAddr;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{Result, Store};
use crate::report::Lang;

/// The longest address kept in a submission (RFC 5321's path limit is 256 octets; this
/// leaves room for what was typed around it). Longer text is cut at this many characters.
pub const MAX_EMAIL_CHARS: usize = 320;
/// The longest client IP text kept (an IPv6 address with a zone is far shorter).
pub const MAX_CLIENT_IP_CHARS: usize = 64;
/// The longest reason word and free-text detail kept in a submission, and error kept in
/// the outbox.
pub const MAX_DETAIL_CHARS: usize = 1000;

/// How long [`Store::due_reports`] hands an entry to one sender: until then no other
/// sender is given it; if the sender says nothing by then (it died), the entry is due
/// again. Longer than any SMTP attempt takes.
pub const REPORT_CLAIM_SECS: i64 = 15 * 60;

/// What a captcha's guess found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptchaCheck {
    /// The right answer (the captcha is now used).
    Right,
    /// A wrong answer (the captcha is now used: one guess per captcha).
    Wrong,
    /// The captcha's lifetime had passed (it is now used).
    Expired,
    /// The captcha was guessed before.
    Reused,
    /// No such captcha: never issued, or used or expired and since pruned.
    Unknown,
}

impl CaptchaCheck {
    /// The submission's reason word when the guess refuses it (`captcha_wrong`,
    /// `captcha_expired`, `captcha_reused`, `captcha_unknown`); `None` when it was right.
    pub fn refusal_reason(self) -> Option<&'static str> {
        match self {
            CaptchaCheck::Right => None,
            CaptchaCheck::Wrong => Some("captcha_wrong"),
            CaptchaCheck::Expired => Some("captcha_expired"),
            CaptchaCheck::Reused => Some("captcha_reused"),
            CaptchaCheck::Unknown => Some("captcha_unknown"),
        }
    }
}

/// Whether a submission was accepted (its report queued) or refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubmissionOutcome {
    /// The report was queued for mailing: this counts against the address's limit.
    Accepted,
    /// Refused; the reason says why.
    Refused,
}

impl SubmissionOutcome {
    /// The stored word: `accepted` or `refused`.
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionOutcome::Accepted => "accepted",
            SubmissionOutcome::Refused => "refused",
        }
    }

    fn from_word(word: &str) -> Option<SubmissionOutcome> {
        match word {
            "accepted" => Some(SubmissionOutcome::Accepted),
            "refused" => Some(SubmissionOutcome::Refused),
            _ => None,
        }
    }
}

/// One submission of the query page, as audited. Texts come from the network and are
/// stored as given (cut at the `MAX_*` lengths): whoever shows them must escape them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission {
    /// When it arrived (kept to the millisecond).
    pub time: DateTime<Utc>,
    /// The client's IP address as text (the counted key of the limit per client).
    pub client_ip: String,
    /// The address as typed (at most [`MAX_EMAIL_CHARS`] characters kept).
    pub email: String,
    /// The first day asked for; `None` when it did not parse.
    pub begin: Option<NaiveDate>,
    /// The last day asked for; `None` when it did not parse.
    pub end: Option<NaiveDate>,
    /// Accepted or refused.
    pub outcome: SubmissionOutcome,
    /// A short machine word: `ok` for an accepted one; for a refused one what refused it,
    /// such as `network`, `rate_ip`, `captcha_wrong`, `captcha_expired`,
    /// `captcha_reused`, `csrf`, `address`, `domain`, `range`, `rate_address`.
    pub reason: String,
    /// Free text about the reason (a refusal's wording), if any.
    pub detail: Option<String>,
    /// The HTTP status code answered.
    pub status: u16,
}

impl Submission {
    /// A submission with no dates and no detail (set the fields for more).
    pub fn new(
        time: DateTime<Utc>,
        client_ip: &str,
        email: &str,
        outcome: SubmissionOutcome,
        reason: &str,
        status: u16,
    ) -> Submission {
        Submission {
            time,
            client_ip: client_ip.to_string(),
            email: email.to_string(),
            begin: None,
            end: None,
            outcome,
            reason: reason.to_string(),
            detail: None,
            status,
        }
    }
}

/// An accepted report in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The entry's ID.
    pub id: i64,
    /// When it was queued.
    pub created: DateTime<Utc>,
    /// The address the report is about and goes to (checked before it was queued).
    pub email: String,
    /// The first day.
    pub begin: NaiveDate,
    /// The last day (inclusive).
    pub end: NaiveDate,
    /// Who asked (shown in the report's header).
    pub client_ip: IpAddr,
    /// The report's language.
    pub lang: Lang,
    /// How many times a sender was given it, this time included.
    pub attempts: u32,
    /// The error of the last failed attempt.
    pub last_error: Option<String>,
}

#[cfg(feature = "mail")]
impl OutboxEntry {
    /// The entry as a request for [`prepare_report`](crate::mail::prepare_report), which
    /// applies the whole policy again at sending time.
    pub fn request(&self) -> crate::mail::ReportRequest {
        crate::mail::ReportRequest {
            email: self.email.clone(),
            begin: self.begin,
            end: self.end,
            client_ip: self.client_ip,
            lang: self.lang,
        }
    }
}

/// `s` cut to at most `max` characters.
fn bounded(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn instant(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// A stored value that does not read back as its type (written by something else).
fn bad_value(column: usize, what: &str, text: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        format!("not {what}: {text:?}").into(),
    )
}

/// Answers compare case-insensitively, without surrounding white space.
fn same_answer(answer: &str, guess: &str) -> bool {
    answer.trim().to_lowercase() == guess.trim().to_lowercase()
}

impl Store {
    /// Stores captcha `id` with its `answer`, valid for `ttl` from `now`, after removing
    /// the captchas that expired at least `ttl` ago ([`Store::prune_captchas`]; one
    /// expired more recently still answers [`CaptchaCheck::Expired`]). An ID still stored is an
    /// error (IDs are the caller's random values and are never reused).
    pub fn issue_captcha(
        &mut self,
        id: &str,
        answer: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<()> {
        // Captchas past their lifetime for another lifetime: until then a late answer is
        // told "expired", not "unknown".
        self.prune_captchas(now - ttl)?;
        let expires = now
            .timestamp_millis()
            .saturating_add(ttl.num_milliseconds());
        self.conn.execute(
            "INSERT INTO captchas (id, answer, expires_ms) VALUES (?1, ?2, ?3)",
            params![id, answer, expires],
        )?;
        Ok(())
    }

    /// Checks `guess` against captcha `id` at `now`. The first check uses the captcha up
    /// whatever it finds (right, wrong or expired); every later check of the same ID is
    /// [`CaptchaCheck::Reused`] until the captcha's lifetime ends and it is pruned, then
    /// [`CaptchaCheck::Unknown`]. A captcha is valid while `now` is before its issue time
    /// plus its lifetime. Two checks at once cannot both use it (one statement marks it).
    pub fn check_captcha(
        &mut self,
        id: &str,
        guess: &str,
        now: DateTime<Utc>,
    ) -> Result<CaptchaCheck> {
        let now_ms = now.timestamp_millis();
        let used: Option<(String, i64)> = self
            .conn
            .query_row(
                "UPDATE captchas SET used_ms = ?2 WHERE id = ?1 AND used_ms IS NULL
                 RETURNING answer, expires_ms",
                params![id, now_ms],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(match used {
            Some((_, expires)) if now_ms >= expires => CaptchaCheck::Expired,
            Some((answer, _)) if same_answer(&answer, guess) => CaptchaCheck::Right,
            Some(_) => CaptchaCheck::Wrong,
            None => {
                let stored = self
                    .conn
                    .query_row("SELECT 1 FROM captchas WHERE id = ?1", params![id], |_| {
                        Ok(())
                    })
                    .optional()?;
                match stored {
                    Some(()) => CaptchaCheck::Reused,
                    None => CaptchaCheck::Unknown,
                }
            }
        })
    }

    /// Removes the captchas whose lifetime ended at or before `now`, used or not; returns
    /// how many.
    pub fn prune_captchas(&mut self, now: DateTime<Utc>) -> Result<u64> {
        let n = self.conn.execute(
            "DELETE FROM captchas WHERE expires_ms <= ?1",
            params![now.timestamp_millis()],
        )?;
        Ok(n as u64)
    }

    /// Runs `f` in one write transaction taken at once (`BEGIN IMMEDIATE`): no other
    /// writer comes between what `f` reads and what it writes, so a count checked against
    /// a limit is still the count when the row it allows is written. Committed when `f`
    /// succeeds, rolled back when it fails. `f` must not begin a transaction of its own.
    pub fn write_at_once<T>(&mut self, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let done = f(self).and_then(|v| {
            self.conn.execute_batch("COMMIT")?;
            Ok(v)
        });
        if done.is_err() && !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        done
    }

    /// Records one submission (its texts cut at the `MAX_*` lengths); returns its row ID.
    pub fn record_submission(&mut self, s: &Submission) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO submissions (time_ms, client_ip, email, begin, end, outcome, reason,
                                      detail, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                s.time.timestamp_millis(),
                bounded(&s.client_ip, MAX_CLIENT_IP_CHARS),
                bounded(&s.email, MAX_EMAIL_CHARS),
                s.begin.map(day_text),
                s.end.map(day_text),
                s.outcome.as_str(),
                bounded(&s.reason, MAX_DETAIL_CHARS),
                s.detail.as_deref().map(|d| bounded(d, MAX_DETAIL_CHARS)),
                i64::from(s.status)
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// How many submissions came from `client_ip` at or after `since`, refused ones
    /// included (the limit per client).
    pub fn submissions_from_ip(&self, client_ip: &str, since: DateTime<Utc>) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM submissions WHERE client_ip = ?1 AND time_ms >= ?2",
            params![
                bounded(client_ip, MAX_CLIENT_IP_CHARS),
                since.timestamp_millis()
            ],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    /// How many submissions for `email` (any case) were accepted at or after `since` (the
    /// limit per address: refused ones do not count).
    pub fn reports_mailed_to(&self, email: &str, since: DateTime<Utc>) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM submissions
              WHERE lower(email) = lower(?1) AND outcome = 'accepted' AND time_ms >= ?2",
            params![bounded(email, MAX_EMAIL_CHARS), since.timestamp_millis()],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    /// The submissions made at or after `since` (all of them with `None`), oldest first.
    pub fn submissions(&self, since: Option<DateTime<Utc>>) -> Result<Vec<Submission>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT time_ms, client_ip, email, begin, end, outcome, reason, detail, status
               FROM submissions WHERE time_ms >= ?1 ORDER BY time_ms, id",
        )?;
        let since = since.map_or(i64::MIN, |t| t.timestamp_millis());
        let rows = stmt.query_map(params![since], |r| {
            let outcome: String = r.get(5)?;
            Ok(Submission {
                time: instant(r.get(0)?),
                client_ip: r.get(1)?,
                email: r.get(2)?,
                begin: r
                    .get::<_, Option<String>>(3)?
                    .as_deref()
                    .and_then(parse_day),
                end: r
                    .get::<_, Option<String>>(4)?
                    .as_deref()
                    .and_then(parse_day),
                outcome: SubmissionOutcome::from_word(&outcome)
                    .ok_or_else(|| bad_value(5, "an outcome", &outcome))?,
                reason: r.get(6)?,
                detail: r.get(7)?,
                status: u16::try_from(r.get::<_, i64>(8)?).unwrap_or(0),
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Queues the report of `email` over `[begin, end]` asked for by `client_ip`, due at
    /// once; returns its ID.
    pub fn enqueue_report(
        &mut self,
        email: &str,
        begin: NaiveDate,
        end: NaiveDate,
        client_ip: IpAddr,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let now = now.timestamp_millis();
        self.conn.execute(
            "INSERT INTO outbox (created_ms, email, begin, end, client_ip, lang, next_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?1)",
            params![
                now,
                email,
                day_text(begin),
                day_text(end),
                client_ip.to_string(),
                lang.as_str()
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Up to `limit` unsent reports whose next attempt is due at `now`, oldest due first,
    /// each handed to this caller: its attempts go up by one and it is not due again for
    /// [`REPORT_CLAIM_SECS`], so a second sender running at the same time is not given it.
    /// Say how each went with [`Store::mark_report_sent`] or [`Store::mark_report_failed`];
    /// an entry neither was said of (its sender died) is due again when the claim lapses.
    pub fn due_reports(&mut self, now: DateTime<Utc>, limit: usize) -> Result<Vec<OutboxEntry>> {
        let now_ms = now.timestamp_millis();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let entries = {
            let mut stmt = tx.prepare(
                "UPDATE outbox SET attempts = attempts + 1, next_ms = ?2
                  WHERE id IN (SELECT id FROM outbox
                                WHERE sent_ms IS NULL AND next_ms <= ?1
                                ORDER BY next_ms, id LIMIT ?3)
                 RETURNING id, created_ms, email, begin, end, client_ip, lang, attempts,
                           last_error",
            )?;
            let rows = stmt.query_map(
                params![
                    now_ms,
                    now_ms.saturating_add(REPORT_CLAIM_SECS * 1000),
                    i64::try_from(limit).unwrap_or(i64::MAX)
                ],
                |r| {
                    let begin: String = r.get(3)?;
                    let end: String = r.get(4)?;
                    let ip: String = r.get(5)?;
                    let lang: String = r.get(6)?;
                    Ok(OutboxEntry {
                        id: r.get(0)?,
                        created: instant(r.get(1)?),
                        email: r.get(2)?,
                        begin: parse_day(&begin).ok_or_else(|| bad_value(3, "a day", &begin))?,
                        end: parse_day(&end).ok_or_else(|| bad_value(4, "a day", &end))?,
                        client_ip: ip.parse().map_err(|_| bad_value(5, "an IP address", &ip))?,
                        lang: lang
                            .parse()
                            .map_err(|_| bad_value(6, "a language", &lang))?,
                        attempts: u32::try_from(r.get::<_, i64>(7)?).unwrap_or(u32::MAX),
                        last_error: r.get(8)?,
                    })
                },
            )?;
            rows.collect::<std::result::Result<Vec<_>, _>>()?
        };
        tx.commit()?;
        let mut entries = entries;
        // RETURNING gives no order: the order they were due in.
        entries.sort_by_key(|e| e.id);
        Ok(entries)
    }

    /// Records that the relay accepted report `id` at `now`, with the mail's Message-ID:
    /// it is never due again. Returns false when it was not waiting (unknown, or sent
    /// already).
    pub fn mark_report_sent(
        &mut self,
        id: i64,
        now: DateTime<Utc>,
        message_id: &str,
    ) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE outbox SET sent_ms = ?2, message_id = ?3, next_ms = NULL
              WHERE id = ?1 AND sent_ms IS NULL",
            params![id, now.timestamp_millis(), message_id],
        )?;
        Ok(n == 1)
    }

    /// Records that an attempt at report `id` failed at `now` with `error`: it is due
    /// again at `retry_at`. Returns false when it was not waiting (unknown, or sent).
    pub fn mark_report_failed(
        &mut self,
        id: i64,
        now: DateTime<Utc>,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE outbox SET last_error = ?2, last_error_ms = ?3, next_ms = ?4
              WHERE id = ?1 AND sent_ms IS NULL",
            params![
                id,
                bounded(error, MAX_DETAIL_CHARS),
                now.timestamp_millis(),
                retry_at.timestamp_millis()
            ],
        )?;
        Ok(n == 1)
    }

    /// How many reports wait in the outbox (not sent yet).
    pub fn unsent_reports(&self) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM outbox WHERE sent_ms IS NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    /// Deletes the submissions made before `before` and the reports sent before it (the
    /// retention window of `prune`; unsent reports stay); returns how many of each.
    pub fn prune_web(&mut self, before: DateTime<Utc>) -> Result<(u64, u64)> {
        let ms = before.timestamp_millis();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let submissions = tx.execute("DELETE FROM submissions WHERE time_ms < ?1", params![ms])?;
        let reports = tx.execute(
            "DELETE FROM outbox WHERE sent_ms IS NOT NULL AND sent_ms < ?1",
            params![ms],
        )?;
        tx.commit()?;
        Ok((submissions as u64, reports as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        parse_day(s).unwrap()
    }

    #[test]
    fn a_captcha_takes_one_guess_whatever_it_finds() {
        let mut store = Store::open_in_memory().unwrap();
        let now = at("2026-01-05T10:00:00Z");
        let ttl = Duration::minutes(10);
        store.issue_captcha("c1", "Kx7Pq", now, ttl).unwrap();
        store.issue_captcha("c2", "kx7pq", now, ttl).unwrap();
        store.issue_captcha("c3", "abc", now, ttl).unwrap();
        // Case and surrounding spaces do not matter.
        let later = now + Duration::minutes(9);
        assert_eq!(
            store.check_captcha("c1", "  kX7pQ\t", later).unwrap(),
            CaptchaCheck::Right
        );
        // Used: even the right answer again is refused.
        assert_eq!(
            store.check_captcha("c1", "Kx7Pq", later).unwrap(),
            CaptchaCheck::Reused
        );
        // A wrong guess uses it up too: no second guess.
        assert_eq!(
            store.check_captcha("c2", "kx7pg", later).unwrap(),
            CaptchaCheck::Wrong
        );
        assert_eq!(
            store.check_captcha("c2", "kx7pq", later).unwrap(),
            CaptchaCheck::Reused
        );
        // Never issued.
        assert_eq!(
            store.check_captcha("nope", "abc", later).unwrap(),
            CaptchaCheck::Unknown
        );
        // At issue time plus the lifetime it has expired, right answer or not, and is
        // used up as well.
        let end = now + ttl;
        assert_eq!(
            store.check_captcha("c3", "abc", end).unwrap(),
            CaptchaCheck::Expired
        );
        assert_eq!(
            store.check_captcha("c3", "abc", end).unwrap(),
            CaptchaCheck::Reused
        );
        assert_eq!(
            CaptchaCheck::Reused.refusal_reason(),
            Some("captcha_reused")
        );
        assert_eq!(CaptchaCheck::Right.refusal_reason(), None);
    }

    #[test]
    fn expired_captchas_are_pruned_and_then_unknown() {
        let mut store = Store::open_in_memory().unwrap();
        let now = at("2026-01-05T10:00:00Z");
        store
            .issue_captcha("old", "a", now, Duration::minutes(5))
            .unwrap();
        store
            .issue_captcha("used", "a", now, Duration::minutes(5))
            .unwrap();
        assert_eq!(
            store.check_captcha("used", "a", now).unwrap(),
            CaptchaCheck::Right
        );
        store
            .issue_captcha("young", "a", now, Duration::minutes(20))
            .unwrap();
        // Just after their lifetime they are still known, as expired...
        let expired = now + Duration::minutes(5);
        store
            .issue_captcha("new0", "b", expired, Duration::minutes(5))
            .unwrap();
        assert_eq!(
            store.check_captcha("old", "a", expired).unwrap(),
            CaptchaCheck::Expired
        );
        // ... and issuing another a lifetime later removes them.
        let later = now + Duration::minutes(10);
        store
            .issue_captcha("new", "b", later, Duration::minutes(5))
            .unwrap();
        assert_eq!(
            store.check_captcha("old", "a", later).unwrap(),
            CaptchaCheck::Unknown
        );
        assert_eq!(
            store.check_captcha("used", "a", later).unwrap(),
            CaptchaCheck::Unknown
        );
        assert_eq!(
            store.check_captcha("young", "a", later).unwrap(),
            CaptchaCheck::Right
        );
        assert_eq!(store.prune_captchas(later + Duration::hours(1)).unwrap(), 3);
        // An ID still stored cannot be issued again.
        store
            .issue_captcha("x", "a", later, Duration::minutes(5))
            .unwrap();
        assert!(
            store
                .issue_captcha("x", "b", later, Duration::minutes(5))
                .is_err()
        );
    }

    fn submission(time: &str, ip: &str, email: &str, outcome: SubmissionOutcome) -> Submission {
        let reason = match outcome {
            SubmissionOutcome::Accepted => "ok",
            SubmissionOutcome::Refused => "captcha_wrong",
        };
        Submission::new(at(time), ip, email, outcome, reason, 200)
    }

    #[test]
    fn rate_limit_counts_are_exact_at_the_window_s_start() {
        use SubmissionOutcome::{Accepted, Refused};
        let mut store = Store::open_in_memory().unwrap();
        let since = at("2026-01-05T10:00:00Z");
        // Just before the window: counted by nothing.
        store
            .record_submission(&submission(
                "2026-01-05T09:59:59.999Z",
                "192.0.2.7",
                "a@x.edu",
                Accepted,
            ))
            .unwrap();
        // In it: three from 192.0.2.7 (one refused), one from elsewhere.
        for (t, ip, email, outcome) in [
            ("2026-01-05T10:00:00Z", "192.0.2.7", "A@X.edu", Accepted),
            ("2026-01-05T10:30:00Z", "192.0.2.7", "a@x.edu", Refused),
            ("2026-01-05T10:59:00Z", "192.0.2.7", "b@x.edu", Accepted),
            ("2026-01-05T10:59:30Z", "198.51.100.1", "a@x.EDU", Accepted),
        ] {
            store
                .record_submission(&submission(t, ip, email, outcome))
                .unwrap();
        }
        assert_eq!(store.submissions_from_ip("192.0.2.7", since).unwrap(), 3);
        assert_eq!(store.submissions_from_ip("198.51.100.1", since).unwrap(), 1);
        assert_eq!(store.submissions_from_ip("203.0.113.9", since).unwrap(), 0);
        // Accepted ones only, any case: the refused one does not count.
        assert_eq!(store.reports_mailed_to("a@x.edu", since).unwrap(), 2);
        assert_eq!(store.reports_mailed_to("B@x.edu", since).unwrap(), 1);
        // One millisecond earlier, the first one counts too.
        let wider = since - Duration::milliseconds(1);
        assert_eq!(store.submissions_from_ip("192.0.2.7", wider).unwrap(), 4);
        assert_eq!(store.reports_mailed_to("a@x.edu", wider).unwrap(), 3);
    }

    /// The plan SQLite makes for `sql`, in one string.
    fn plan(store: &Store, sql: &str) -> String {
        let mut stmt = store
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap();
        let rows = stmt
            .query_map(["x", "0"], |r| r.get::<_, String>(3))
            .unwrap();
        rows.map(|r| r.unwrap()).collect::<Vec<_>>().join("; ")
    }

    #[test]
    fn both_rate_limit_counts_are_index_lookups() {
        let store = Store::open_in_memory().unwrap();
        let by_ip = plan(
            &store,
            "SELECT count(*) FROM submissions WHERE client_ip = ?1 AND time_ms >= ?2",
        );
        assert!(by_ip.contains("submissions_ip_time"), "{by_ip}");
        let by_address = plan(
            &store,
            "SELECT count(*) FROM submissions
              WHERE lower(email) = lower(?1) AND outcome = 'accepted' AND time_ms >= ?2",
        );
        assert!(
            by_address.contains("submissions_accepted_email_time"),
            "{by_address}"
        );
    }

    #[test]
    fn submissions_read_back_as_given_oldest_first_with_long_text_cut() {
        let mut store = Store::open_in_memory().unwrap();
        let hostile = "<script>alert(1)</script>\n\u{1b}[31mx@y.edu\t";
        let mut refused = Submission::new(
            at("2026-01-05T10:00:02Z"),
            "2001:db8::1",
            hostile,
            SubmissionOutcome::Refused,
            "address",
            400,
        );
        refused.detail = Some("not an address: \u{1b}]0;title\u{7}".into());
        let mut accepted = Submission::new(
            at("2026-01-05T10:00:01.250Z"),
            "192.0.2.7",
            "a@x.edu",
            SubmissionOutcome::Accepted,
            "ok",
            202,
        );
        accepted.begin = Some(d("2026-01-01"));
        accepted.end = Some(d("2026-01-04"));
        let long = Submission::new(
            at("2026-01-05T10:00:03Z"),
            &"1".repeat(100),
            &"é".repeat(400),
            SubmissionOutcome::Refused,
            "address",
            400,
        );
        let first = store.record_submission(&refused).unwrap();
        let second = store.record_submission(&accepted).unwrap();
        store.record_submission(&long).unwrap();
        assert!(second > first);
        let all = store.submissions(None).unwrap();
        // By time, not by insertion.
        assert_eq!(all[0], accepted);
        assert_eq!(all[1], refused);
        assert_eq!(all[2].email, "é".repeat(MAX_EMAIL_CHARS));
        assert_eq!(all[2].client_ip.len(), MAX_CLIENT_IP_CHARS);
        let since = store.submissions(Some(at("2026-01-05T10:00:02Z"))).unwrap();
        assert_eq!(since.len(), 2);
        assert_eq!(since[0].email, hostile);
    }

    #[test]
    fn an_outbox_entry_is_due_until_sent_and_waits_for_its_retry_after_a_failure() {
        let mut store = Store::open_in_memory().unwrap();
        let t0 = at("2026-01-05T10:00:00Z");
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let id = store
            .enqueue_report(
                "a@x.edu",
                d("2026-01-01"),
                d("2026-01-04"),
                ip,
                Lang::En,
                t0,
            )
            .unwrap();
        assert_eq!(store.unsent_reports().unwrap(), 1);
        let due = store.due_reports(t0, 10).unwrap();
        assert_eq!(due.len(), 1);
        let e = &due[0];
        assert_eq!(
            (
                e.id,
                e.created,
                e.email.as_str(),
                e.begin,
                e.end,
                e.client_ip
            ),
            (id, t0, "a@x.edu", d("2026-01-01"), d("2026-01-04"), ip)
        );
        assert_eq!(
            (e.lang, e.attempts, e.last_error.as_deref()),
            (Lang::En, 1, None)
        );
        // Claimed: a second sender is not given it meanwhile.
        assert!(store.due_reports(t0, 10).unwrap().is_empty());
        // Failed: not due before the retry time, due at it.
        let retry = t0 + Duration::minutes(5);
        assert!(
            store
                .mark_report_failed(id, t0 + Duration::seconds(30), "421 try later", retry)
                .unwrap()
        );
        assert!(
            store
                .due_reports(retry - Duration::milliseconds(1), 10)
                .unwrap()
                .is_empty()
        );
        let due = store.due_reports(retry, 10).unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].attempts, 2);
        assert_eq!(due[0].last_error.as_deref(), Some("421 try later"));
        // Sent: never due again, and cannot fail or be sent afterwards.
        assert!(store.mark_report_sent(id, retry, "<m1@x.edu>").unwrap());
        assert!(!store.mark_report_sent(id, retry, "<m2@x.edu>").unwrap());
        assert!(!store.mark_report_failed(id, retry, "late", retry).unwrap());
        let much_later = at("2027-01-01T00:00:00Z");
        assert!(store.due_reports(much_later, 10).unwrap().is_empty());
        assert_eq!(store.unsent_reports().unwrap(), 0);
        assert!(!store.mark_report_sent(999, retry, "<m@x>").unwrap());
    }

    #[test]
    fn a_claim_lapses_when_its_sender_says_nothing_and_limit_takes_the_oldest_due() {
        let mut store = Store::open_in_memory().unwrap();
        let t0 = at("2026-01-05T10:00:00Z");
        let ip: IpAddr = "2001:db8::7".parse().unwrap();
        let mut ids = Vec::new();
        for i in 0..3 {
            ids.push(
                store
                    .enqueue_report(
                        "a@x.edu",
                        d("2026-01-01"),
                        d("2026-01-01"),
                        ip,
                        Lang::ZhTw,
                        t0 + Duration::seconds(i),
                    )
                    .unwrap(),
            );
        }
        let now = t0 + Duration::minutes(1);
        let first: Vec<i64> = store
            .due_reports(now, 2)
            .unwrap()
            .iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(first, ids[..2]);
        let rest = store.due_reports(now, 2).unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(
            (rest[0].id, rest[0].client_ip, rest[0].lang),
            (ids[2], ip, Lang::ZhTw)
        );
        // The first sender died: its entries come back once the claim lapses.
        let lapse = now + Duration::seconds(REPORT_CLAIM_SECS);
        assert!(
            store
                .due_reports(lapse - Duration::milliseconds(1), 10)
                .unwrap()
                .is_empty()
        );
        let again = store.due_reports(lapse, 10).unwrap();
        assert_eq!(again.len(), 3);
        assert!(again.iter().all(|e| e.attempts == 2));
    }

    #[test]
    fn prune_web_removes_old_submissions_and_old_sent_reports_only() {
        let mut store = Store::open_in_memory().unwrap();
        let cutoff = at("2026-01-05T00:00:00Z");
        for t in [
            "2026-01-03T10:00:00Z",
            "2026-01-04T23:59:59.999Z",
            "2026-01-05T00:00:00Z",
        ] {
            store
                .record_submission(&submission(
                    t,
                    "192.0.2.7",
                    "a@x.edu",
                    SubmissionOutcome::Accepted,
                ))
                .unwrap();
        }
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let old = at("2026-01-02T00:00:00Z");
        let enqueue = |store: &mut Store| {
            store
                .enqueue_report(
                    "a@x.edu",
                    d("2026-01-01"),
                    d("2026-01-01"),
                    ip,
                    Lang::En,
                    old,
                )
                .unwrap()
        };
        let sent_old = enqueue(&mut store);
        let sent_new = enqueue(&mut store);
        let unsent_old = enqueue(&mut store);
        store.mark_report_sent(sent_old, old, "<1@x>").unwrap();
        store.mark_report_sent(sent_new, cutoff, "<2@x>").unwrap();
        assert_eq!(store.prune_web(cutoff).unwrap(), (2, 1));
        let left = store.submissions(None).unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].time, cutoff);
        // The old unsent report still waits; the recent sent one is kept.
        let due = store.due_reports(cutoff, 10).unwrap();
        assert_eq!(due.iter().map(|e| e.id).collect::<Vec<_>>(), [unsent_old]);
        assert_eq!(store.prune_web(cutoff).unwrap(), (0, 0));
        let kept: i64 = store
            .conn
            .query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kept, 2);
    }

    #[test]
    fn a_version_4_file_upgrades_and_keeps_what_it_held() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        super::super::schema::migrate_to(&mut conn, 4).unwrap();
        conn.execute_batch(
            "INSERT INTO warnings (email, day, state, claimed_ms, sum, bounced)
                VALUES ('a@x.edu', '2026-01-01', 'sent', 1, 5, 1);
             UPDATE meta SET value = '42' WHERE key = 'next_record';",
        )
        .unwrap();
        let no_table = conn.execute("SELECT count(*) FROM submissions", []);
        assert!(no_table.is_err(), "version 4 has no submissions table");
        super::super::schema::migrate(&mut conn).unwrap();
        let mut store = Store {
            conn,
            known: Default::default(),
        };
        assert_eq!(
            store.schema_version().unwrap(),
            super::super::schema::VERSION
        );
        assert_eq!(store.meta("next_record").unwrap().as_deref(), Some("42"));
        assert!(
            store
                .warning_state("a@x.edu", d("2026-01-01"))
                .unwrap()
                .is_some()
        );
        let now = at("2026-01-05T10:00:00Z");
        store
            .issue_captcha("c", "a", now, Duration::minutes(1))
            .unwrap();
        assert_eq!(
            store.check_captcha("c", "A", now).unwrap(),
            CaptchaCheck::Right
        );
        store
            .record_submission(&submission(
                "2026-01-05T10:00:00Z",
                "192.0.2.7",
                "a@x.edu",
                SubmissionOutcome::Accepted,
            ))
            .unwrap();
        assert_eq!(store.reports_mailed_to("a@x.edu", now).unwrap(), 1);
        store
            .enqueue_report(
                "a@x.edu",
                d("2026-01-01"),
                d("2026-01-01"),
                "192.0.2.7".parse().unwrap(),
                Lang::En,
                now,
            )
            .unwrap();
        assert_eq!(store.due_reports(now, 1).unwrap().len(), 1);
    }
}
