//! The query page in a real browser: headless Chromium driven by `chromedriver` through
//! the W3C WebDriver HTTP protocol (plain HTTP/1.1 on a TcpStream, JSON bodies).
//!
//! The built `smtplog serve` (fixed captcha, loopback, `allowed_networks` 127.0.0.0/8)
//! serves a database ingested from `examples/sample.log`; its relay is the real SMTP sink
//! of `mail.rs`. The browser opens the form, types the address, both dates and the
//! captcha, and clicks the button. Checked: the answer page says the report is being
//! mailed to that address; the sink receives exactly one mail, to that address only,
//! whose text names `127.0.0.1` as the client IP.
//!
//! Never skipped: without `chromium` and `chromedriver` (Debian's `chromium` and
//! `chromium-driver`, which `scripts/test` installs) the test fails and says so.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::ingest::cli;
use crate::mail::Sink;
use crate::web::Server;

const ANSWER: &str = "13579";
const OWNER: &str = "alice@dept.example.edu";
const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/sample.log");
/// The day of the sample's mail (Asia/Taipei).
const SAMPLE_DAY: &str = "2026-11-28";
/// The W3C name of an element reference in WebDriver answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// `chromedriver` on a free loopback port, killed on drop.
struct Driver {
    child: Child,
    addr: SocketAddr,
}

impl Driver {
    fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "chromedriver must be installed for the browser test \
                 (apt-get install chromium chromium-driver; scripts/test does it)",
            );
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let mut driver = Driver { child, addr };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok((200, v)) = try_call(addr, "GET", "/status", None)
                && v["value"]["ready"] == true
            {
                break driver;
            }
            if let Ok(Some(status)) = driver.child.try_wait() {
                panic!("chromedriver exited ({status})");
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// One WebDriver command; panics on an error answer.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, v) = try_call(self.addr, method, path, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        assert_eq!(status, 200, "{method} {path}: {v}");
        v["value"].clone()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser session, deleted on drop.
struct Session<'a> {
    driver: &'a Driver,
    id: String,
}

impl<'a> Session<'a> {
    fn new(driver: &'a Driver) -> Session<'a> {
        let v = driver.call(
            "POST",
            "/session",
            Some(json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": "/usr/bin/chromium",
                    "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                             "--disable-dev-shm-usage", "--lang=en-US"],
                },
            }}})),
        );
        let id = v["sessionId"].as_str().expect("a session id").to_string();
        Session { driver, id }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.driver
            .call(method, &format!("/session/{}{path}", self.id), body)
    }

    fn go(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    fn find(&self, css: &str) -> String {
        let v = self.call(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string()
    }

    /// Clears the input `css` and types `keys` into it; returns its value afterwards.
    fn type_into(&self, css: &str, keys: &str) -> String {
        let el = self.find(css);
        self.call("POST", &format!("/element/{el}/clear"), Some(json!({})));
        self.call(
            "POST",
            &format!("/element/{el}/value"),
            Some(json!({ "text": keys })),
        );
        let v = self.call("GET", &format!("/element/{el}/property/value"), None);
        v.as_str().unwrap_or_default().to_string()
    }

    fn click(&self, css: &str) {
        let el = self.find(css);
        self.call("POST", &format!("/element/{el}/click"), Some(json!({})));
    }

    /// The text of the page's body; `None` while a page is being replaced (a stale or
    /// missing element).
    fn body_text(&self) -> Option<String> {
        let path = format!("/session/{}", self.id);
        let addr = self.driver.addr;
        let find = json!({"using": "css selector", "value": "body"});
        let (200, v) = try_call(addr, "POST", &format!("{path}/element"), Some(find)).ok()? else {
            return None;
        };
        let el = v["value"][ELEMENT].as_str()?;
        let (200, v) = try_call(addr, "GET", &format!("{path}/element/{el}/text"), None).ok()?
        else {
            return None;
        };
        v["value"].as_str().map(str::to_string)
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        let _ = try_call(
            self.driver.addr,
            "DELETE",
            &format!("/session/{}", self.id),
            None,
        );
    }
}

/// One HTTP/1.1 request with a JSON body to the driver: (status, JSON answer).
fn try_call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Result<(u16, Value), String> {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(req.as_bytes())
        .map_err(|e| e.to_string())?;
    // chromedriver keeps the connection open whatever the request says: read the head,
    // then exactly Content-Length bytes.
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed before the response head".into());
        }
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no status")?;
    let length: usize = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .ok_or_else(|| format!("no Content-Length: {head}"))?;
    while raw.len() < head_end + length {
        let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed before the end of the body".into());
        }
        raw.extend_from_slice(&buf[..n]);
    }
    let body = &raw[head_end..head_end + length];
    let v = serde_json::from_slice(body)
        .map_err(|e| format!("{e}: {}", String::from_utf8_lossy(body)))?;
    Ok((status, v))
}

/// The range the browser asks for: the sample's day when it is inside the retention
/// window (31 days ending today, Asia/Taipei), else yesterday to today (then the report
/// may have no rows; the mail and its client IP are what is checked).
fn range() -> (NaiveDate, NaiveDate) {
    let today = Utc::now()
        .with_timezone(&chrono_tz::Asia::Taipei)
        .date_naive();
    let sample: NaiveDate = SAMPLE_DAY.parse().unwrap();
    if sample <= today && sample >= today.checked_sub_days(Days::new(29)).unwrap() {
        (sample, sample)
    } else {
        (today.checked_sub_days(Days::new(1)).unwrap(), today)
    }
}

#[test]
fn a_browser_submits_the_form_and_the_report_is_mailed_with_the_client_ip() {
    let sink = Sink::start(&[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let out = cli(
        &dir.path().join("smtplog.db"),
        &["ingest", "--year", "2026", SAMPLE],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = Server::with_config(
        dir,
        &format!(
            r#"db = "smtplog.db"
timezone = "Asia/Taipei"

[smtp]
host = "127.0.0.1"
port = {}
tls = "none"
timeout_secs = 5

[mail]
from = "smtplog@example.edu"

[policy]
allowed_domains = ["example.edu"]

[web]
listen = "127.0.0.1:0"
allowed_networks = ["127.0.0.0/8"]
unsafe_fixed_captcha = "{ANSWER}"
"#,
            sink.port
        ),
    );

    let driver = Driver::start();
    let answer = {
        let session = Session::new(&driver);
        session.go(&format!("http://{}/?lang=en", server.addr));
        let form = session.body_text().expect("the form");
        assert!(form.contains("unsafe_fixed_captcha"), "{form}");
        let (begin, end) = range();
        assert_eq!(session.type_into("#email", OWNER), OWNER);
        // A date input takes the digits of the browser's locale (en-US: month, day, year).
        for (css, day) in [("#begin", begin), ("#end", end)] {
            let typed = session.type_into(css, &day.format("%m%d%Y").to_string());
            assert_eq!(typed, day.to_string(), "{css}");
        }
        assert_eq!(session.type_into("#captcha", ANSWER), ANSWER);
        session.click("button[type=submit]");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = session.body_text().unwrap_or_default();
            if text.contains("is being mailed to") {
                break text;
            }
            assert!(
                Instant::now() < deadline,
                "no answer page: {text}\n{}",
                server.stderr.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let (begin, end) = range();
    assert!(
        answer.contains(&format!(
            "The report of {begin} to {end} is being mailed to {OWNER}."
        )),
        "{answer}"
    );

    let received = sink.wait_for(1, Duration::from_secs(30), || {
        server.stderr.lock().unwrap().clone()
    });
    // Nothing else follows.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(sink.received().len(), 1);
    assert_eq!(received[0].rcpt_tos(), vec![OWNER]);
    let text = received[0]
        .parts()
        .into_iter()
        .find(|(ct, _, _)| ct == "text/plain")
        .map(|(_, _, bytes)| String::from_utf8(bytes).unwrap())
        .expect("a text part");
    let ip_line = text
        .lines()
        .find(|l| l.contains("Client IP"))
        .unwrap_or_else(|| panic!("no Client IP line: {text}"));
    assert!(ip_line.contains("127.0.0.1"), "{ip_line}");
}
