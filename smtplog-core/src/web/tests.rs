//! The page's submission checks, limits and outbox, on a real SQLite store in memory.

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::config::{Config, MailConfig};
use crate::mail::{Deliver, MailContext, Outgoing, SendError};
use crate::policy::{EmailAddress, Refusal};
use crate::report::Lang;
use crate::store::{CaptchaCheck, Store, SubmissionOutcome};

fn now() -> DateTime<Utc> {
    "2024-03-10T02:00:00Z".parse().unwrap()
}

fn config() -> Config {
    let mut c = Config::from_toml_str(
        r#"
        [policy]
        allowed_domains = ["example.edu"]
        [web]
        allowed_networks = ["192.0.2.0/24"]
        per_ip_per_hour = 4
        per_address_per_day = 2
        "#,
        None,
    )
    .unwrap();
    c.mail = Some(MailConfig::new(
        EmailAddress::parse("smtplog@example.edu").unwrap(),
    ));
    c
}

const CLIENT: [u8; 4] = [192, 0, 2, 7];

/// A form for `email` over 2024-03-08..09 whose captcha `id` is issued first.
fn form<'a>(store: &mut Store, config: &Config, id: &'a str, email: &'a str) -> Form<'a> {
    issue_captcha(store, config, id, "right", now()).unwrap();
    Form {
        email,
        begin: "2024-03-08",
        end: "2024-03-09",
        captcha_id: id,
        captcha: "right",
        token_ok: true,
        lang: Lang::En,
    }
}

fn refused(v: Verdict) -> Refused {
    match v {
        Verdict::Refused(r) => r,
        other => panic!("accepted: {other:?}"),
    }
}

#[test]
fn each_check_refuses_in_order_with_its_status_and_is_audited() {
    let c = config();
    let mut store = Store::open_in_memory().unwrap();
    let z = chrono_tz::UTC;
    let client = std::net::IpAddr::from(CLIENT);

    let outside = std::net::IpAddr::from([198, 51, 100, 1]);
    let f = form(&mut store, &c, "c1", "alice@example.edu");
    let r = refused(submit(&mut store, &c, outside, &f, z, now()).unwrap());
    assert_eq!((r.status(), r.reason()), (403, "network"));

    let mut f = form(&mut store, &c, "c2", "alice@example.edu");
    f.token_ok = false;
    let r = refused(submit(&mut store, &c, client, &f, z, now()).unwrap());
    assert_eq!((r.status(), r.reason()), (422, "token"));

    let mut f = form(&mut store, &c, "c3", "alice@example.edu");
    f.captcha = "wrong";
    let r = refused(submit(&mut store, &c, client, &f, z, now()).unwrap());
    assert_eq!(r, Refused::Captcha(CaptchaCheck::Wrong));
    assert!(r.message(Lang::En).contains("wrong"));
    // One guess per captcha: the right answer now is a reuse.
    f.captcha = "right";
    let r = refused(submit(&mut store, &c, client, &f, z, now()).unwrap());
    assert_eq!(r.reason(), "captcha_reused");

    // The fourth submission of this IP within the hour is the last allowed.
    let f = form(&mut store, &c, "c4", "mallory@evil.example.org");
    let r = refused(submit(&mut store, &c, client, &f, z, now()).unwrap());
    assert_eq!((r.status(), r.reason()), (422, "domain"));
    let f = form(&mut store, &c, "c5", "alice@example.edu");
    let r = refused(submit(&mut store, &c, client, &f, z, now()).unwrap());
    assert_eq!(
        (r.status(), r.reason(), r.retry_after()),
        (429, "rate_ip", Some(3600))
    );

    let audit = store.submissions(None).unwrap();
    assert_eq!(audit.len(), 6, "every submission is recorded");
    assert!(
        audit
            .iter()
            .all(|s| s.outcome == SubmissionOutcome::Refused)
    );
    assert_eq!(
        audit.iter().map(|s| s.status).collect::<Vec<_>>(),
        [403, 422, 422, 422, 422, 429]
    );
}

#[test]
fn the_dates_and_the_address_limit_are_checked_last_and_exactly() {
    let c = config();
    let mut store = Store::open_in_memory().unwrap();
    let z = chrono_tz::UTC;
    // Four client addresses, so that the per-IP limit stays out of the way.
    let ip = |n: u8| std::net::IpAddr::from([192, 0, 2, n]);

    let mut f = form(&mut store, &c, "d1", "alice@example.edu");
    f.end = "2024-3-9";
    let r = refused(submit(&mut store, &c, ip(1), &f, z, now()).unwrap());
    assert_eq!(r, Refused::DateSyntax("end"));
    let mut f = form(&mut store, &c, "d2", "alice@example.edu");
    f.end = "2024-03-11";
    let r = refused(submit(&mut store, &c, ip(1), &f, z, now()).unwrap());
    assert!(
        matches!(r, Refused::Range(Refusal::InFuture { .. })),
        "{r:?}"
    );

    // Two reports a day to one address: the second is the last.
    for (n, id) in [(2, "a1"), (3, "a2")] {
        let f = form(&mut store, &c, id, "Alice@Example.edu");
        let v = submit(&mut store, &c, ip(n), &f, z, now()).unwrap();
        assert!(matches!(v, Verdict::Accepted { .. }), "{v:?}");
    }
    let f = form(&mut store, &c, "a3", "alice@example.edu");
    let r = refused(submit(&mut store, &c, ip(4), &f, z, now()).unwrap());
    assert_eq!((r.status(), r.reason()), (429, "rate_address"));
    // A day later the address may have reports again.
    let later = now() + Duration::days(1) + Duration::seconds(1);
    issue_captcha(&mut store, &c, "a4", "x", later).unwrap();
    let f = Form {
        captcha_id: "a4",
        captcha: "x",
        begin: "2024-03-09",
        end: "2024-03-10",
        ..form(&mut store, &c, "a5", "alice@example.edu")
    };
    let v = submit(&mut store, &c, ip(4), &f, z, later).unwrap();
    assert!(matches!(v, Verdict::Accepted { .. }), "{v:?}");
}

/// Refuses the first `fail` deliveries, then records the recipients.
struct Relay {
    fail: usize,
    delivered: Vec<String>,
}

impl Deliver for Relay {
    fn deliver(&mut self, mail: &Outgoing) -> Result<(), SendError> {
        if self.fail > 0 {
            self.fail -= 1;
            return Err(SendError::Other {
                relay: "test".into(),
                reason: "relay down".into(),
            });
        }
        let to = mail.envelope().to();
        assert_eq!(to.len(), 1);
        self.delivered.push(to[0].to_string());
        Ok(())
    }
}

#[test]
fn an_accepted_report_survives_a_relay_that_is_down_and_arrives_once() {
    let c = config();
    let mut store = Store::open_in_memory().unwrap();
    let z = chrono_tz::UTC;
    let f = form(&mut store, &c, "o1", "alice@example.edu");
    let v = submit(&mut store, &c, CLIENT.into(), &f, z, now()).unwrap();
    assert!(matches!(v, Verdict::Accepted { .. }));

    let mail = c.mail.as_ref().unwrap();
    let mut relay = Relay {
        fail: 1,
        delivered: Vec::new(),
    };
    let ctx = |now| MailContext {
        now,
        host: "log.example.edu".into(),
    };
    let first = deliver_due(&mut store, &c.policy, mail, &mut relay, z, &ctx(now()), 10).unwrap();
    assert!(matches!(first[0].1, Mailed::Retry { .. }), "{first:?}");
    // Not due again before its retry time.
    let soon = now() + Duration::seconds(30);
    assert!(
        deliver_due(&mut store, &c.policy, mail, &mut relay, z, &ctx(soon), 10)
            .unwrap()
            .is_empty()
    );
    let later = now() + backoff(1) + Duration::seconds(1);
    let second = deliver_due(&mut store, &c.policy, mail, &mut relay, z, &ctx(later), 10).unwrap();
    assert!(matches!(second[0].1, Mailed::Sent { .. }), "{second:?}");
    assert_eq!(relay.delivered, ["alice@example.edu"]);
    let much_later = later + Duration::hours(5);
    assert!(
        deliver_due(
            &mut store,
            &c.policy,
            mail,
            &mut relay,
            z,
            &ctx(much_later),
            10
        )
        .unwrap()
        .is_empty()
    );
    assert_eq!(relay.delivered.len(), 1, "mailed once");
}

#[test]
fn the_fixed_test_captcha_overrides_every_answer() {
    let mut c = config();
    c.web.unsafe_fixed_captcha = Some("letmein".into());
    let mut store = Store::open_in_memory().unwrap();
    issue_captcha(&mut store, &c, "t1", "random", now()).unwrap();
    assert_eq!(
        store.check_captcha("t1", "letmein", now()).unwrap(),
        CaptchaCheck::Right
    );
}

#[test]
fn the_limits_hold_exactly_when_submissions_arrive_together() {
    // Twelve submissions of one client at the same instant, each through its own
    // connection to one database file: exactly `per_ip_per_hour` (4) get past the limit.
    let path = std::env::temp_dir().join(format!("smtplog-web-race-{}.db", std::process::id()));
    let remove = || {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    };
    remove();
    let c = config();
    drop(Store::open(&path).unwrap());
    let start = std::sync::Barrier::new(12);
    let verdicts: Vec<Verdict> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..12)
            .map(|i| {
                let (c, path, start) = (&c, &path, &start);
                scope.spawn(move || {
                    let mut store = Store::open(path).unwrap();
                    let id = format!("race{i}");
                    issue_captcha(&mut store, c, &id, "right", now()).unwrap();
                    let f = Form {
                        email: "alice@example.edu",
                        begin: "2024-03-08",
                        end: "2024-03-09",
                        captcha_id: &id,
                        captcha: "right",
                        token_ok: true,
                        lang: Lang::En,
                    };
                    start.wait();
                    submit(&mut store, c, CLIENT.into(), &f, chrono_tz::UTC, now()).unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    remove();
    let over_ip = verdicts
        .iter()
        .filter(|v| matches!(v, Verdict::Refused(Refused::RateIp)))
        .count();
    assert_eq!(over_ip, 12 - 4, "{verdicts:?}");
    // Of the four let through, the address limit (2) lets exactly two be mailed.
    let accepted = verdicts
        .iter()
        .filter(|v| matches!(v, Verdict::Accepted { .. }))
        .count();
    assert_eq!(accepted, 2, "{verdicts:?}");
}
