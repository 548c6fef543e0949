//! Stolen-account warnings end to end: a real SQLite store holding 30 days of history,
//! the `smtplog` binary, and the SMTP sink of `mail.rs`.
//!
//! Checked: `smtplog anomalies` prints the contract's JSON and one text line per flagged
//! sender, in the chosen language; `notify --so-far` warns today's anomalies only (a
//! sender over the thresholds without anomalies waits for the day's run), each once;
//! the day's run then warns the threshold sender and mails nobody twice, across both
//! rules and both modes; the anomaly warning says what was unusual and what to do, in
//! zh_TW (with the English after it) and in en, and carries the day's report.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use chrono::{Days, NaiveDate, Utc};
use serde_json::Value;
use smtplog_core::store::Store;
use tempfile::TempDir;

use crate::correlate::ingest_into;
use crate::ingest::smtplog_bin;
use crate::mail::Sink;

const FROM: &str = "smtplog@net.nthu.edu.tw";

/// Builds a relay log, message by message, in RFC 3339 (UTC).
#[derive(Default)]
struct Log {
    text: String,
    qid: u32,
}

impl Log {
    /// One message of `sender`, logged in by SASL from `ip`, at `day` `hour`:`minute`, to
    /// `rcpts` (address, bounced).
    fn message(
        &mut self,
        day: NaiveDate,
        (hour, minute): (u32, u32),
        sender: &str,
        ip: &str,
        rcpts: &[(String, bool)],
    ) {
        self.qid += 1;
        let q = format!("{:010X}", 0xB000_0000u32 + self.qid);
        let mut s = 0;
        let mut t = || {
            s += 1;
            format!(
                "{day}T{hour:02}:{minute:02}:{:02}.000000+00:00 relay1",
                s.min(59)
            )
        };
        let text = &mut self.text;
        text.push_str(&format!(
            "{} postfix/submission/smtpd[100]: {q}: client=host[{ip}], sasl_method=PLAIN, sasl_username={sender}\n",
            t()
        ));
        text.push_str(&format!(
            "{} postfix/cleanup[101]: {q}: message-id=<{q}@nthu.edu.tw>\n",
            t()
        ));
        text.push_str(&format!(
            "{} postfix/qmgr[102]: {q}: from=<{sender}>, size=1000, nrcpt={} (queue active)\n",
            t(),
            rcpts.len()
        ));
        for (to, bounced) in rcpts {
            let domain = to.rsplit_once('@').unwrap().1;
            let (dsn, status) = if *bounced {
                ("5.1.1", "bounced (host mx said: 550 5.1.1 User unknown)")
            } else {
                ("2.0.0", "sent (250 2.0.0 Ok)")
            };
            text.push_str(&format!(
                "{} postfix/smtp[103]: {q}: to=<{to}>, relay=mx.{domain}[192.0.2.1]:25, delay=1, delays=0/0/0.5/0.5, dsn={dsn}, status={status}\n",
                t()
            ));
        }
        text.push_str(&format!("{} postfix/qmgr[102]: {q}: removed\n", t()));
    }

    /// A failed login naming `user` from `ip`.
    fn sasl_failure(&mut self, day: NaiveDate, (hour, minute): (u32, u32), ip: &str, user: &str) {
        self.text.push_str(&format!(
            "{day}T{hour:02}:{minute:02}:30.000000+00:00 relay1 postfix/submission/smtpd[100]: warning: unknown[{ip}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username={user}\n"
        ));
    }
}

fn rcpts(n: usize, domain: impl Fn(usize) -> String, bounced_every: usize) -> Vec<(String, bool)> {
    (0..n)
        .map(|i| {
            (
                format!("r{i}@{}", domain(i)),
                bounced_every > 0 && i % bounced_every == 0,
            )
        })
        .collect()
}

/// The relay's days: 30 days of usual mail for four senders, then on `yesterday` and
/// `today` the events (see each test).
fn relay(yesterday: NaiveDate, today: NaiveDate) -> String {
    let mut log = Log::default();
    let first = yesterday.checked_sub_days(Days::new(30)).unwrap();
    for d in first.iter_days().take_while(|d| *d < yesterday) {
        for (i, who) in ["thief", "guessed", "busy", "spammed"].iter().enumerate() {
            let sender = format!("{who}@nthu.edu.tw");
            let ip = format!("140.114.1.{}", 10 + i);
            log.message(
                d,
                (9, 0),
                &sender,
                &ip,
                &rcpts(4, |_| "nthu.edu.tw".into(), 0),
            );
            log.message(
                d,
                (14, 0),
                &sender,
                &ip,
                &rcpts(2, |_| "example.org".into(), 0),
            );
        }
    }
    // Yesterday: spammed@ sends 300 mails to 300 new domains from a foreign address.
    for k in 0..6 {
        log.message(
            yesterday,
            (10, k),
            "spammed@nthu.edu.tw",
            "203.0.113.66",
            &rcpts(50, |i| format!("d{k}x{i}.example"), 5),
        );
    }
    for (i, who) in ["thief", "guessed", "busy"].iter().enumerate() {
        let sender = format!("{who}@nthu.edu.tw");
        log.message(
            yesterday,
            (9, 0),
            &sender,
            &format!("140.114.1.{}", 10 + i),
            &rcpts(4, |_| "nthu.edu.tw".into(), 0),
        );
    }
    // Today: thief@ mails 80 recipients at new domains from a new address at night
    // (Sum 84, under 250; 28 bounced, over 10); guessed@ is the target of 30 failed
    // logins from 6 addresses; busy@ mails a class of 300 students at its own domain
    // from its own address (over Sum 250, not an anomaly).
    for k in 0..4 {
        log.message(
            today,
            (1, k),
            "thief@nthu.edu.tw",
            "198.51.100.23",
            &rcpts(20, |i| format!("t{k}x{i}.example"), 3),
        );
    }
    for k in 0..30u32 {
        log.sasl_failure(
            today,
            (2, k),
            &format!("192.0.2.{}", 100 + k % 6),
            "guessed@nthu.edu.tw",
        );
    }
    for k in 0..6 {
        log.message(
            today,
            (9, k),
            "busy@nthu.edu.tw",
            "140.114.1.12",
            &rcpts(50, |_| "nthu.edu.tw".into(), 0),
        );
    }
    log.text
}

struct Env {
    dir: TempDir,
}

impl Env {
    fn new(log: &str) -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut store = Store::open(&dir.path().join("smtplog.db")).expect("store");
        ingest_into(&mut store, &[log], 2024);
        Env { dir }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("smtplog.db")
    }

    fn configure(&self, port: u16, lang: &str) {
        let text = format!(
            r#"db = "smtplog.db"
timezone = "UTC"

[smtp]
host = "127.0.0.1"
port = {port}
tls = "none"
timeout_secs = 5

[mail]
from = "{FROM}"
lang = "{lang}"
contact_url = "https://net.nthu.edu.tw/contact"
help_url = "https://net.nthu.edu.tw/password"

[policy]
allowed_domains = ["nthu.edu.tw"]
"#
        );
        std::fs::write(self.dir.path().join("smtplog.toml"), text).expect("config");
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(smtplog_bin())
            .arg("--config")
            .arg(self.dir.path().join("smtplog.toml"))
            .args(args)
            .output()
            .expect("run smtplog")
    }
}

fn ok(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8")
}

fn days() -> (NaiveDate, NaiveDate) {
    let today = Utc::now().date_naive();
    (today.checked_sub_days(Days::new(1)).unwrap(), today)
}

#[test]
fn anomalies_prints_the_contract_json_and_a_line_per_sender() {
    let (yesterday, today) = days();
    let env = Env::new(&relay(yesterday, today));
    env.configure(25, "en");
    let out = ok(&env.run(&["anomalies", "--day", &today.to_string(), "--json"]));
    let v: Value = serde_json::from_str(&out).expect("JSON");
    let flagged: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["email"].as_str().unwrap())
        .collect();
    assert_eq!(flagged, vec!["guessed@nthu.edu.tw", "thief@nthu.edu.tw"]);
    for f in v.as_array().unwrap() {
        let keys: Vec<&String> = f.as_object().unwrap().keys().collect();
        assert_eq!(keys, vec!["email", "reasons", "score"]);
        assert!(f["score"].as_f64().unwrap() >= 2.0);
        for r in f["reasons"].as_array().unwrap() {
            let keys: Vec<&String> = r.as_object().unwrap().keys().collect();
            assert_eq!(keys, vec!["baseline", "kind", "text", "value"]);
        }
    }
    let guessed = &v[0]["reasons"][0];
    assert_eq!(guessed["kind"], "sasl_failures");
    assert_eq!(guessed["value"], 30);
    assert_eq!(guessed["baseline"], 0);
    assert!(
        guessed["text"]
            .as_str()
            .unwrap()
            .contains("from 6 different IP addresses")
    );
    let thief: Vec<&str> = v[1]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        thief,
        vec![
            "new_client_ip",
            "new_recipient_domains",
            "failure_share",
            "unusual_hours"
        ]
    );

    // Text, in the configured language unless --lang says otherwise.
    let text = ok(&env.run(&["anomalies", "--day", &today.to_string(), "--lang", "zh_TW"]));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("guessed@nthu.edu.tw  score 2  [sasl_failures] 有 30 次"));
    // A busy day to the sender's own domain from its own address is not an anomaly, nor
    // is yesterday for anyone but the spammed account.
    let y = ok(&env.run(&["anomalies", "--day", &yesterday.to_string()]));
    assert!(y.starts_with("spammed@nthu.edu.tw  score "), "{y}");
    assert_eq!(y.lines().count(), 1, "{y}");
}

#[test]
fn anomaly_warnings_are_mailed_once_across_both_rules_and_both_modes() {
    let (yesterday, today) = days();
    let env = Env::new(&relay(yesterday, today));
    let sink = Sink::start(&[]);
    env.configure(sink.port, "zh_TW");
    let t = today.to_string();

    // After an ingest: today's anomalies only. busy@ is over Sum 250 but waits.
    let dry = ok(&env.run(&["notify", "--so-far", "--dry-run"]));
    assert!(dry.contains("would warn      guessed@nthu.edu.tw"), "{dry}");
    assert!(dry.contains("would warn      thief@nthu.edu.tw"), "{dry}");
    assert!(!dry.contains("busy@"), "{dry}");
    let first = ok(&env.run(&["notify", "--so-far"]));
    assert!(
        first.ends_with(&format!("{t}: 2 warned, 0 already warned, 0 failed\n")),
        "{first}"
    );
    let again = ok(&env.run(&["notify", "--so-far"]));
    assert!(
        again.ends_with(&format!("{t}: 0 warned, 2 already warned, 0 failed\n")),
        "{again}"
    );
    let mails = sink.wait_for(2, Duration::from_secs(10), String::new);
    assert_eq!(mails.len(), 2);

    // The day's run (the next morning's, here given the day): thresholds and anomalies.
    // thief@ is over Bounced 10 too, but was warned about this day already.
    let day_run = ok(&env.run(&["notify", "--day", &t]));
    assert!(
        day_run.contains("warned          busy@nthu.edu.tw"),
        "{day_run}"
    );
    assert!(
        day_run.contains("already warned  thief@nthu.edu.tw"),
        "{day_run}"
    );
    assert!(
        day_run.ends_with(&format!("{t}: 1 warned, 2 already warned, 0 failed\n")),
        "{day_run}"
    );
    let mails = sink.wait_for(3, Duration::from_secs(10), String::new);
    assert_eq!(
        mails.len(),
        3,
        "one mail per sender and day across both rules"
    );
    let mut to: Vec<&str> = mails.iter().map(|m| m.rcpt_tos()[0]).collect();
    to.sort();
    assert_eq!(
        to,
        vec![
            "busy@nthu.edu.tw",
            "guessed@nthu.edu.tw",
            "thief@nthu.edu.tw"
        ]
    );
    let sent = Store::open(&env.db())
        .unwrap()
        .sent_warnings(today)
        .unwrap();
    assert_eq!(sent.len(), 3);

    // The zh_TW anomaly warning: what was unusual, what to do, then the report.
    let thief = mails
        .iter()
        .find(|m| m.rcpt_tos() == vec!["thief@nthu.edu.tw"])
        .unwrap();
    assert_eq!(thief.content_type(), "multipart/mixed");
    let parts = thief.parts();
    let preface = String::from_utf8(parts[0].2.clone())
        .unwrap()
        .replace("\r\n", "\n");
    print_mail("zh_TW anomaly warning (preface part)", &preface);
    assert!(
        preface.contains("您的帳號 thief@nthu.edu.tw 在"),
        "{preface}"
    );
    assert!(preface.contains("1 個此帳號從未用過的 IP"), "{preface}");
    assert!(
        preface.contains("請立即變更密碼 <https://net.nthu.edu.tw/password>"),
        "{preface}"
    );
    assert!(
        preface.contains("聯絡郵件管理人員 <https://net.nthu.edu.tw/contact>"),
        "{preface}"
    );
    assert!(preface.contains("change your password now <https://net.nthu.edu.tw/password>"));
    let report = String::from_utf8(parts[1].2.clone()).unwrap();
    assert!(
        report.contains("查詢來源(Client IP)：127.0.0.1"),
        "{report}"
    );
    // Its subject and report speak of the account, not of a threshold it did not reach.
    assert_eq!(
        thief.one("Subject"),
        format!(
            "【自動通知 Automatic warning】{today} 帳號異常使用提醒 Unusual use of your account"
        )
    );
    assert!(!report.contains("提醒門檻"), "{report}");
    // The threshold warning has no preface: the report alone, as before.
    let busy = mails
        .iter()
        .find(|m| m.rcpt_tos() == vec!["busy@nthu.edu.tw"])
        .unwrap();
    assert_eq!(busy.content_type(), "multipart/alternative");
    assert!(busy.one("Subject").contains("寄信紀錄提醒"));

    // Yesterday's day run, in English: spammed@'s warning.
    env.configure(sink.port, "en");
    let y = yesterday.to_string();
    let out = ok(&env.run(&["notify", "--day", &y]));
    assert!(
        out.ends_with(&format!("{y}: 1 warned, 0 already warned, 0 failed\n")),
        "{out}"
    );
    let mails = sink.wait_for(4, Duration::from_secs(10), String::new);
    let spammed = &mails[3];
    assert_eq!(spammed.rcpt_tos(), vec!["spammed@nthu.edu.tw"]);
    assert_eq!(
        spammed.one("Subject"),
        format!("[Automatic warning] Unusual use of your account on {y}")
    );
    let preface = String::from_utf8(spammed.parts()[0].2.clone())
        .unwrap()
        .replace("\r\n", "\n");
    print_mail("en anomaly warning (preface part)", &preface);
    assert!(!preface.contains("您的帳號"), "en only: {preface}");
    assert!(
        preface.contains("300 recipients at 300 domains never written to before"),
        "{preface}"
    );
    assert!(
        preface.contains("usually about 2 domains a day"),
        "{preface}"
    );
    let report = String::from_utf8(spammed.parts()[1].2.clone()).unwrap();
    assert!(report.contains("Client IP: 127.0.0.1"), "{report}");
    assert!(!report.contains("reached a threshold"), "{report}");
}

#[allow(clippy::print_stderr)]
fn print_mail(what: &str, text: &str) {
    eprintln!("---- {what}\n{text}");
}
