//! One submission of the query page, checked in the contract's order, each refusal with
//! its HTTP status, its audit reason and its message in the page's language:
//!
//! 1. the client's network (`403`);
//! 2. the client IP's submissions of the last hour, refused ones included (`429`);
//! 3. the form's anti-forgery token (`422`);
//! 4. the captcha: right, unexpired, never guessed before; one guess per captcha (`422`);
//! 5. the address: strict syntax and an allowed domain (`422`);
//! 6. the dates: `YYYY-MM-DD`, begin ≤ end, at most `max_range_days`, inside retention,
//!    not in the future (`422`);
//! 7. the reports mailed to that address in the last day (`429`).
//!
//! Every submission is recorded (the audit log, and the count behind the limits). An
//! accepted one queues its report in the outbox; [`deliver_due`](super::deliver_due)
//! mails it to that address only, through the same entry point as `smtplog report`.

use std::net::IpAddr;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::config::Config;
use crate::policy::{Recipient, Refusal};
use crate::report::Lang;
use crate::store::{CaptchaCheck, Result, Store, Submission, SubmissionOutcome};

/// What the page's form sent.
#[derive(Clone, Debug)]
pub struct Form<'a> {
    /// The address, as typed.
    pub email: &'a str,
    /// The first day, as typed (`YYYY-MM-DD`).
    pub begin: &'a str,
    /// The last day, as typed.
    pub end: &'a str,
    /// The captcha's ID (a hidden input).
    pub captcha_id: &'a str,
    /// The answer typed.
    pub captcha: &'a str,
    /// True when the form's anti-forgery token matched the one the page set (the
    /// frontend checks its own token and cookie pair).
    pub token_ok: bool,
    /// The page's language: of the refusal's message and of the report.
    pub lang: Lang,
}

/// Why a submission was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refused {
    /// The client is outside `web.allowed_networks`.
    Network,
    /// The client IP reached `web.per_ip_per_hour`.
    RateIp,
    /// The anti-forgery token was missing or wrong.
    Token,
    /// The captcha's guess.
    Captcha(CaptchaCheck),
    /// The address (syntax or domain).
    Address(Refusal),
    /// A date that is not `YYYY-MM-DD` (which field).
    DateSyntax(&'static str),
    /// The range (order, length, retention, future).
    Range(Refusal),
    /// The address reached `web.per_address_per_day`.
    RateAddress,
}

impl Refused {
    /// The HTTP status of the refusal.
    pub fn status(&self) -> u16 {
        match self {
            Refused::Network => 403,
            Refused::RateIp | Refused::RateAddress => 429,
            _ => 422,
        }
    }

    /// Seconds after which trying again may succeed, for `429` (`Retry-After`): the
    /// limit's window.
    pub fn retry_after(&self) -> Option<u32> {
        match self {
            Refused::RateIp => Some(3600),
            Refused::RateAddress => Some(86_400),
            _ => None,
        }
    }

    /// The audit log's reason word.
    pub fn reason(&self) -> &'static str {
        match self {
            Refused::Network => "network",
            Refused::RateIp => "rate_ip",
            Refused::Token => "token",
            Refused::Captcha(c) => c.refusal_reason().unwrap_or("captcha"),
            Refused::Address(Refusal::DomainNotAllowed { .. } | Refusal::NoAllowedDomains) => {
                "domain"
            }
            Refused::Address(_) => "address",
            Refused::DateSyntax(_) => "date",
            Refused::Range(_) => "range",
            Refused::RateAddress => "rate_address",
        }
    }

    /// What the page says, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let en = matches!(lang, Lang::En);
        let pick = |zh: &str, e: &str| if en { e.to_string() } else { zh.to_string() };
        match self {
            Refused::Network => pick(
                "此查詢頁只開放校內網路使用。",
                "This page can only be used from the campus network.",
            ),
            Refused::RateIp => pick(
                "此來源查詢次數過多，請一小時後再試。",
                "Too many queries from your address; please try again in an hour.",
            ),
            Refused::Token => pick(
                "表單已失效，請重新整理頁面後再送出。",
                "The form has expired; please reload the page and submit it again.",
            ),
            Refused::Captcha(CaptchaCheck::Wrong) => pick(
                "驗證碼不正確，請輸入新的驗證碼。",
                "The verification code was wrong; please enter the new one.",
            ),
            Refused::Captcha(CaptchaCheck::Expired) => pick(
                "驗證碼已逾時，請輸入新的驗證碼。",
                "The verification code has expired; please enter the new one.",
            ),
            Refused::Captcha(_) => pick(
                "驗證碼已使用過或不存在，請輸入新的驗證碼。",
                "The verification code was already used or is unknown; please enter the new one.",
            ),
            Refused::Address(Refusal::DomainNotAllowed { .. } | Refusal::NoAllowedDomains) => pick(
                "只能查詢本校網域的信箱。",
                "Only addresses of the campus domains can be queried.",
            ),
            Refused::Address(_) => pick(
                "信箱格式不正確，請輸入完整信箱。",
                "This is not a valid address; please enter your full address.",
            ),
            Refused::DateSyntax(_) => pick(
                "日期格式應為 YYYY-MM-DD。",
                "Dates must be written YYYY-MM-DD.",
            ),
            Refused::Range(r) => match r {
                Refusal::Reversed { .. } => pick(
                    "結束日期早於開始日期。",
                    "The end date is before the begin date.",
                ),
                Refusal::TooLong { max, .. } => {
                    if en {
                        format!("At most {max} days can be queried at once.")
                    } else {
                        format!("查詢範圍最多 {max} 天。")
                    }
                }
                Refusal::TooOld { oldest, .. } => {
                    if en {
                        format!("Records are kept from {oldest} on only.")
                    } else {
                        format!("紀錄只保留到 {oldest}。")
                    }
                }
                _ => pick("不能查詢未來的日期。", "Future dates cannot be queried."),
            },
            Refused::RateAddress => pick(
                "此信箱今日已寄出過多份報表，請明天再試。",
                "Too many reports were mailed to this address today; please try again tomorrow.",
            ),
        }
    }
}

/// What became of a submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The report of `[begin, end]` is queued (outbox entry `queued`) for `to` alone.
    Accepted {
        /// The address, as the policy accepted it.
        to: Recipient,
        /// The first day.
        begin: NaiveDate,
        /// The last day.
        end: NaiveDate,
        /// The outbox entry.
        queued: i64,
    },
    /// Refused; nothing is queued.
    Refused(Refused),
}

/// Checks `form`, sent by `client` (as [`client_ip`](super::client_ip) found it) at
/// `now`, in the order of the module documentation; records it; queues an accepted
/// report. Days are `zone`'s.
pub fn submit(
    store: &mut Store,
    config: &Config,
    client: IpAddr,
    form: &Form<'_>,
    zone: Tz,
    now: DateTime<Utc>,
) -> Result<Verdict> {
    // The limits' counts, the captcha's use and the rows they allow are one transaction:
    // two submissions at once cannot both pass a limit that has room for one.
    store.write_at_once(|store| submit_now(store, config, client, form, zone, now))
}

fn submit_now(
    store: &mut Store,
    config: &Config,
    client: IpAddr,
    form: &Form<'_>,
    zone: Tz,
    now: DateTime<Utc>,
) -> Result<Verdict> {
    let verdict = check(store, config, client, form, zone, now)?;
    let (outcome, reason, status, detail) = match &verdict {
        Verdict::Accepted { .. } => (SubmissionOutcome::Accepted, "ok", 200, None),
        Verdict::Refused(r) => (
            SubmissionOutcome::Refused,
            r.reason(),
            r.status(),
            refusal_detail(r),
        ),
    };
    let mut row = Submission::new(
        now,
        &client.to_string(),
        form.email,
        outcome,
        reason,
        status,
    );
    row.begin = parse_day(form.begin);
    row.end = parse_day(form.end);
    row.detail = detail;
    store.record_submission(&row)?;
    Ok(verdict)
}

fn refusal_detail(r: &Refused) -> Option<String> {
    match r {
        Refused::Address(why) | Refused::Range(why) => Some(why.to_string()),
        Refused::DateSyntax(field) => Some(format!("{field} is not YYYY-MM-DD")),
        _ => None,
    }
}

/// A day written exactly `YYYY-MM-DD` (what an `<input type="date">` sends).
fn parse_day(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let b = s.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    shaped
        .then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .flatten()
}

fn check(
    store: &mut Store,
    config: &Config,
    client: IpAddr,
    form: &Form<'_>,
    zone: Tz,
    now: DateTime<Utc>,
) -> Result<Verdict> {
    let web = &config.web;
    let refuse = |r: Refused| Ok(Verdict::Refused(r));
    if !super::network_allowed(client, &web.allowed_networks) {
        return refuse(Refused::Network);
    }
    let this_hour = store.submissions_from_ip(&client.to_string(), now - Duration::hours(1))?;
    if this_hour >= u64::from(web.per_ip_per_hour) {
        return refuse(Refused::RateIp);
    }
    if !form.token_ok {
        return refuse(Refused::Token);
    }
    match store.check_captcha(form.captcha_id, form.captcha, now)? {
        CaptchaCheck::Right => {}
        other => return refuse(Refused::Captcha(other)),
    }
    let to = match config.policy.check_address(form.email.trim()) {
        Ok(to) => to,
        Err(why) => return refuse(Refused::Address(why)),
    };
    let Some(begin) = parse_day(form.begin) else {
        return refuse(Refused::DateSyntax("begin"));
    };
    let Some(end) = parse_day(form.end) else {
        return refuse(Refused::DateSyntax("end"));
    };
    let today = now.with_timezone(&zone).date_naive();
    if let Err(why) = config.policy.check_range(begin, end, today) {
        return refuse(Refused::Range(why));
    }
    let today_count = store.reports_mailed_to(&to.to_string(), now - Duration::days(1))?;
    if today_count >= u64::from(web.per_address_per_day) {
        return refuse(Refused::RateAddress);
    }
    let queued = store.enqueue_report(&to.to_string(), begin, end, client, form.lang, now)?;
    Ok(Verdict::Accepted {
        to,
        begin,
        end,
        queued,
    })
}

/// Issues the captcha `id` whose image shows `answer` (both chosen by the frontend),
/// valid for `web.captcha_ttl_secs` from `now`. With `web.unsafe_fixed_captcha` (tests
/// only) the answer stored is that text instead.
pub fn issue_captcha(
    store: &mut Store,
    config: &Config,
    id: &str,
    answer: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let answer = config.web.unsafe_fixed_captcha.as_deref().unwrap_or(answer);
    let ttl = Duration::seconds(i64::from(config.web.captcha_ttl_secs));
    store.issue_captcha(id, answer, now, ttl)
}
