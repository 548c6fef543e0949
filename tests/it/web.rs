//! The query page end to end: the built `smtplog serve` listens on a free loopback port
//! with a temporary configuration, and a tiny HTTP/1.1 client (a TcpStream) talks to it;
//! reports go to the real SMTP sink of `mail.rs`.
//!
//! Checked: the form's contract in both languages (method, action, inputs, captcha image
//! and audio link, token cookie) and the security headers on every response; a
//! submission accepted (200) and its report mailed to that address only, with the client
//! IP in its text; each refusal's status (403 outside `allowed_networks`, 422 wrong or
//! reused captcha, bad token, foreign domain, 429 with `Retry-After` over
//! `per_ip_per_hour`) and nothing queued; a hostile address shown escaped;
//! `X-Forwarded-For` believed from a trusted proxy only (the audit rows); `/healthz`;
//! the audio captcha (a WAV spoken by espeak-ng); no `[mail]` section and a fixed
//! captcha off loopback are errors; SIGTERM stops the server cleanly.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate, Utc};
use smtplog_core::store::{Store, SubmissionOutcome};
use tempfile::TempDir;

use crate::ingest::smtplog_bin;
use crate::mail::Sink;

const ANSWER: &str = "24680";
const OWNER: &str = "alice@cs.nthu.edu.tw";

/// `smtplog serve` running with a configuration whose `[web]` section is `web`.
pub(crate) struct Server {
    child: Child,
    pub(crate) addr: SocketAddr,
    dir: TempDir,
    pub(crate) stderr: Arc<Mutex<String>>,
}

impl Server {
    fn start(smtp_port: u16, web: &str) -> Server {
        Server::with_config(
            tempfile::tempdir().expect("temp dir"),
            &format!(
                r#"db = "smtplog.db"
timezone = "UTC"

[smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "none"
timeout_secs = 5

[mail]
from = "smtplog@net.nthu.edu.tw"

[policy]
allowed_domains = ["nthu.edu.tw"]

[web]
listen = "127.0.0.1:0"
unsafe_fixed_captcha = "{ANSWER}"
{web}
"#
            ),
        )
    }

    /// `smtplog serve --config DIR/smtplog.toml` with `config` as that file (its relative
    /// paths are under `dir`, which the server keeps).
    pub(crate) fn with_config(dir: TempDir, config: &str) -> Server {
        let config_path = dir.path().join("smtplog.toml");
        std::fs::write(&config_path, config).unwrap();
        let config = config_path;
        let mut child = Command::new(smtplog_bin())
            .arg("--config")
            .arg(&config)
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run smtplog serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let lines = BufReader::new(child.stderr.take().unwrap());
        let kept = stderr.clone();
        std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("smtplog: serving the query page on http://")
                {
                    let _ = tx.send(rest.trim_end_matches('/').to_string());
                }
                let mut k = kept.lock().unwrap();
                k.push_str(&line);
                k.push('\n');
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(addr) => addr.parse().expect("a socket address"),
            Err(_) => {
                let _ = child.kill();
                panic!("smtplog serve did not start:\n{}", stderr.lock().unwrap());
            }
        };
        Server {
            child,
            addr,
            dir,
            stderr,
        }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("smtplog.db")
    }

    fn get(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        request(self.addr, "GET", path, headers, "")
    }

    /// A fresh form: (captcha ID, token, the cookie header to send back).
    fn form(&self) -> (String, String, String) {
        let r = self.get("/?lang=en", &[]);
        assert_eq!(r.status, 200, "{}", r.body);
        let cookie = r.header("set-cookie").expect("a token cookie").to_string();
        let pair = cookie.split(';').next().unwrap().to_string();
        (
            input_value(&r.body, "captcha_id"),
            input_value(&r.body, "token"),
            pair,
        )
    }

    /// Submits a fresh form with `change` applied to its fields.
    fn submit(&self, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> Response {
        let (id, token, cookie) = self.form();
        let day = yesterday().to_string();
        let mut form = vec![
            ("email", OWNER.to_string()),
            ("begin", day.clone()),
            ("end", day),
            ("captcha", ANSWER.to_string()),
            ("captcha_id", id),
            ("token", token),
            ("lang", "en".to_string()),
        ];
        for (name, value) in fields {
            form.retain(|(n, _)| n != name);
            form.push((name, value.to_string()));
        }
        let body = encode(&form);
        let mut h = vec![
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", cookie.as_str()),
        ];
        h.retain(|(n, _)| !headers.iter().any(|(m, _)| m.eq_ignore_ascii_case(n)));
        h.extend_from_slice(headers);
        request(self.addr, "POST", "/submit", &h, &body)
    }

    fn submissions(&self) -> Vec<smtplog_core::store::Submission> {
        Store::open_read_only(&self.db())
            .unwrap()
            .submissions(None)
            .unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn yesterday() -> NaiveDate {
    Utc::now()
        .date_naive()
        .checked_sub_days(Days::new(1))
        .unwrap()
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn assert_secure(&self) {
        let csp = self.header("content-security-policy").expect("CSP");
        for part in [
            "default-src 'none'",
            "img-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ] {
            assert!(csp.contains(part), "{csp}");
        }
        assert_eq!(self.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(self.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(self.header("cache-control"), Some("no-store"));
    }
}

/// One HTTP/1.1 request on its own connection.
fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Response {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect::<Vec<_>>();
    Response {
        status,
        headers,
        body: body.to_string(),
    }
}

fn encode(fields: &[(&str, String)]) -> String {
    fields
        .iter()
        .map(|(n, v)| {
            let mut out = format!("{n}=");
            for b in v.bytes() {
                if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                    out.push(char::from(b));
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The `value` of the input named `name`.
fn input_value(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no input {name}"));
    let rest = &html[at..];
    let v = rest.find("value=\"").expect("a value") + 7;
    rest[v..v + rest[v..].find('"').unwrap()].to_string()
}

/// A loopback port nobody listens on (the relay of servers that never mail).
fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn the_form_has_its_contract_in_both_languages_and_every_response_its_headers() {
    let server = Server::start(dead_port(), "allowed_networks = [\"127.0.0.0/8\"]");
    for (path, accept, lang) in [
        ("/?lang=en", "zh-TW", "lang=\"en\""),
        ("/?lang=zh_TW", "en", "lang=\"zh-Hant-TW\""),
        ("/", "zh-TW,zh;q=0.9", "lang=\"zh-Hant-TW\""),
        ("/", "en-US", "lang=\"en\""),
    ] {
        let r = server.get(path, &[("Accept-Language", accept)]);
        assert_eq!(r.status, 200);
        r.assert_secure();
        let b = &r.body;
        assert!(b.contains(lang), "{path} {accept}: {b}");
        assert!(
            b.contains("<form method=\"post\" action=\"/submit\">"),
            "{b}"
        );
        assert!(b.contains("name=\"viewport\""));
        for (name, kind) in [
            ("email", "email"),
            ("begin", "date"),
            ("end", "date"),
            ("captcha", "text"),
            ("captcha_id", "hidden"),
            ("token", "hidden"),
        ] {
            assert!(
                b.contains(&format!("name=\"{name}\" type=\"{kind}\""))
                    || b.contains(&format!("type=\"{kind}\" name=\"{name}\"")),
                "input {name}: {b}"
            );
            if kind != "hidden" {
                assert!(b.contains(&format!("<label for=\"{name}\">")), "{name}");
            }
        }
        assert!(b.contains("nthu.edu.tw"), "the allowed domains are shown");
        assert!(
            b.contains("unsafe_fixed_captcha"),
            "the fixed captcha is said"
        );
        assert!(!b.contains("<script"));
        let id = input_value(b, "captcha_id");
        assert_eq!(id.len(), 32);
        assert!(b.contains(&format!("<img src=\"/captcha/{id}.svg\" alt=\"")));
        assert!(b.contains(&format!("<a href=\"/captcha/{id}.wav\">")));
        assert_eq!(input_value(b, "begin").len(), 10);
        let cookie = r.header("set-cookie").expect("token cookie");
        assert!(cookie.starts_with("smtplog_token="), "{cookie}");
        for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(cookie.contains(attr), "{cookie}");
        }
        assert_eq!(
            cookie.split(';').next().unwrap()["smtplog_token=".len()..],
            input_value(b, "token")
        );
        let image = server.get(&format!("/captcha/{id}.svg"), &[]);
        assert_eq!(image.status, 200);
        assert_eq!(image.header("content-type"), Some("image/svg+xml"));
        assert!(image.body.starts_with("<svg") && image.body.contains(">2<"));
        image.assert_secure();
        // The audio alternative: the digits spoken by espeak-ng (scripts/test installs it).
        let audio = server.get(&format!("/captcha/{id}.wav"), &[]);
        assert_eq!(audio.status, 200, "{}", audio.body);
        assert_eq!(audio.header("content-type"), Some("audio/wav"));
        assert!(audio.body.starts_with("RIFF"), "a WAV file");
        assert!(
            audio.body.len() > 8_000,
            "{} bytes of sound",
            audio.body.len()
        );
        audio.assert_secure();
    }
    let unknown = server.get(&format!("/captcha/{}.svg", "0".repeat(32)), &[]);
    assert_eq!(unknown.status, 404);
    unknown.assert_secure();
    let css = server.get("/style.css", &[]);
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
    let health = server.get("/healthz", &[]);
    assert_eq!((health.status, health.body.trim()), (200, "ok"));
    health.assert_secure();
    // Bodies over 16 KiB are refused before any handler.
    let big = "x".repeat(20 * 1024);
    let r = request(
        server.addr,
        "POST",
        "/submit",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &big,
    );
    assert_eq!(r.status, 413);
    r.assert_secure();
    // One access-log line per request, without query values.
    let log = server.stderr.lock().unwrap().clone();
    assert!(
        log.contains("method=GET path=/ status=200"),
        "access log: {log}"
    );
    assert!(
        !log.contains("lang=en"),
        "no query values in the log: {log}"
    );
}

#[test]
fn an_accepted_submission_is_mailed_to_that_address_with_the_client_ip() {
    let sink = Sink::start(&[]);
    let mut server = Server::start(sink.port, "allowed_networks = [\"127.0.0.0/8\"]");
    let r = server.submit(&[], &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_secure();
    assert!(r.body.contains(OWNER), "{}", r.body);
    assert!(r.body.contains("ZIP"));
    // The outbox worker is woken by the submission.
    let received = sink.wait_for(1, Duration::from_secs(30), || {
        server.stderr.lock().unwrap().clone()
    });
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].rcpt_tos(), vec![OWNER]);
    let text = received[0]
        .parts()
        .into_iter()
        .find(|(ct, _, _)| ct == "text/plain")
        .map(|(_, _, bytes)| String::from_utf8(bytes).unwrap())
        .expect("a text part");
    assert!(text.contains("Client IP"), "{text}");
    assert!(text.contains("127.0.0.1"), "{text}");
    let audit = server.submissions();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].outcome, SubmissionOutcome::Accepted);
    // SIGTERM: a clean stop.
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(server.child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = server.child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "smtplog serve did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
}

#[test]
fn each_refusal_has_its_status_and_nothing_is_queued() {
    let server = Server::start(
        dead_port(),
        "allowed_networks = [\"127.0.0.0/8\"]\nper_ip_per_hour = 6",
    );
    let (id, token, cookie) = server.form();
    let day = yesterday().to_string();
    let post = |captcha: &str, email: &str| {
        let body = encode(&[
            ("email", email.to_string()),
            ("begin", day.clone()),
            ("end", day.clone()),
            ("captcha", captcha.to_string()),
            ("captcha_id", id.clone()),
            ("token", token.clone()),
            ("lang", "en".to_string()),
        ]);
        request(
            server.addr,
            "POST",
            "/submit",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", cookie.as_str()),
            ],
            &body,
        )
    };
    // A wrong guess uses the captcha up: the right answer after it is a reuse.
    let wrong = post("11111", OWNER);
    assert_eq!(wrong.status, 422);
    wrong.assert_secure();
    assert!(
        wrong.body.contains("verification code was wrong"),
        "{}",
        wrong.body
    );
    assert!(
        wrong.body.contains("<form method=\"post\""),
        "the form again"
    );
    assert_ne!(input_value(&wrong.body, "captcha_id"), id, "a new captcha");
    let reused = post(ANSWER, OWNER);
    assert_eq!(reused.status, 422);
    assert!(reused.body.contains("already used"), "{}", reused.body);

    // The token: missing from the cookie, or different.
    let r = server.submit(&[("token", "0123456789abcdef0123456789abcdef")], &[]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("form has expired"), "{}", r.body);
    let r = server.submit(&[], &[("Cookie", "other=1")]);
    assert_eq!(r.status, 422);

    let r = server.submit(&[("email", "mallory@evilnthu.edu.tw")], &[]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("campus domains"), "{}", r.body);

    let hostile = "<script>alert(1)</script>@x";
    let r = server.submit(&[("email", hostile)], &[]);
    assert_eq!(r.status, 422);
    assert!(!r.body.contains("<script>"), "{}", r.body);
    assert!(
        r.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;@x"),
        "{}",
        r.body
    );

    // The seventh submission of this client within the hour.
    let r = server.submit(&[], &[]);
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(r.header("retry-after"), Some("3600"));
    r.assert_secure();

    let audit = server.submissions();
    assert_eq!(
        audit.iter().map(|s| s.status).collect::<Vec<_>>(),
        [422, 422, 422, 422, 422, 422, 429]
    );
    assert!(
        audit
            .iter()
            .all(|s| s.outcome == SubmissionOutcome::Refused)
    );
    let store = Store::open_read_only(&server.db()).unwrap();
    assert_eq!(store.unsent_reports().unwrap(), 0, "nothing queued");
}

#[test]
fn outside_the_allowed_networks_is_403_and_the_header_is_believed_only_from_a_proxy() {
    let outside = Server::start(dead_port(), "allowed_networks = [\"192.0.2.0/24\"]");
    let r = outside.submit(&[], &[]);
    assert_eq!(r.status, 403, "{}", r.body);
    r.assert_secure();
    assert!(r.body.contains("campus network"), "{}", r.body);
    assert!(!r.body.contains("<form"), "no form for outsiders");
    // A forged header from an untrusted peer changes nothing.
    let r = outside.submit(&[], &[("X-Forwarded-For", "192.0.2.9")]);
    assert_eq!(r.status, 403);
    let audit = outside.submissions();
    assert_eq!(audit.len(), 2);
    assert!(audit.iter().all(|s| s.client_ip == "127.0.0.1"));

    // Behind a trusted proxy on loopback: the right-most untrusted address.
    let proxied = Server::start(
        dead_port(),
        "allowed_networks = [\"192.0.2.0/24\"]\ntrusted_proxies = [\"127.0.0.1/32\"]",
    );
    let r = proxied.submit(
        &[("captcha", "00000")],
        &[("X-Forwarded-For", "6.6.6.6, 192.0.2.9")],
    );
    assert_eq!(r.status, 422, "inside the network now: {}", r.body);
    let r = proxied.submit(&[], &[]);
    assert_eq!(r.status, 403, "the proxy itself is not inside");
    let ips = proxied
        .submissions()
        .into_iter()
        .map(|s| s.client_ip)
        .collect::<Vec<_>>();
    assert_eq!(ips, ["192.0.2.9", "127.0.0.1"]);
}

#[test]
fn serve_needs_a_mail_section() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("smtplog.toml");
    std::fs::write(
        &config,
        "db = \"smtplog.db\"\n[web]\nlisten = \"127.0.0.1:0\"\n",
    )
    .unwrap();
    let out = Command::new(smtplog_bin())
        .arg("--config")
        .arg(&config)
        .arg("serve")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("[mail]"), "{err}");

    // The fixed captcha is refused on an address that is not loopback, --listen included.
    std::fs::write(
        &config,
        "db = \"smtplog.db\"\n[mail]\nfrom = \"smtplog@nthu.edu.tw\"\n\
         [web]\nlisten = \"127.0.0.1:0\"\nunsafe_fixed_captcha = \"1\"\n",
    )
    .unwrap();
    let out = Command::new(smtplog_bin())
        .arg("--config")
        .arg(&config)
        .args(["serve", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unsafe_fixed_captcha"), "{err}");
    assert!(err.contains("loopback"), "{err}");
}

#[test]
fn a_report_accepted_while_the_relay_is_down_arrives_once_when_it_is_back() {
    // Nothing listens on the relay's port: the submission is accepted all the same, and
    // the outbox's first attempt fails.
    let port = dead_port();
    let server = Server::start(port, "allowed_networks = [\"127.0.0.0/8\"]");
    let r = server.submit(&[], &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    let failed_at = Instant::now();
    let deadline = failed_at + Duration::from_secs(20);
    while !server.stderr.lock().unwrap().contains("retry_at=") {
        assert!(Instant::now() < deadline, "no failed attempt logged");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The relay comes back on the same port. The retry is due a minute after the failure;
    // a second submission then wakes the outbox, which mails both.
    let sink = Sink::start_on(port);
    std::thread::sleep(
        (failed_at + Duration::from_secs(62)).saturating_duration_since(Instant::now()),
    );
    let r = server.submit(&[], &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    sink.wait_for(2, Duration::from_secs(40), || {
        server.stderr.lock().unwrap().clone()
    });
    // Each report once: nothing more comes.
    std::thread::sleep(Duration::from_secs(2));
    let received = sink.received();
    assert_eq!(received.len(), 2);
    assert!(received.iter().all(|m| m.rcpt_tos() == vec![OWNER]));
}

#[test]
fn a_captcha_answered_after_its_lifetime_is_refused() {
    let sink = Sink::start(&[]);
    let server = Server::start(
        sink.port,
        "allowed_networks = [\"127.0.0.0/8\"]\ncaptcha_ttl_secs = 30",
    );
    let (old, _, _) = server.form();
    std::thread::sleep(Duration::from_secs(31));
    // A fresh token, and the right answer to the old captcha.
    let r = server.submit(&[("captcha_id", &old)], &[]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("expired"), "{}", r.body);
    r.assert_secure();
    let audit = server.submissions();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].reason, "captcha_expired");
    // A captcha of now is still good.
    let r = server.submit(&[], &[]);
    assert_eq!(r.status, 200, "{}", r.body);
}
