//! Mail end to end against a real SMTP server on loopback: `tests/support/smtp_sink.py`
//! (aiosmtpd), started and stopped by each test, writes every message it receives and its
//! envelope to a folder, parsed by Python's `email` package. The `smtplog` binary is run
//! with a temporary configuration pointing at the sink's port.
//!
//! Checked: an inline report reaches its owner and nobody else (headers and envelope),
//! with text and HTML parts equal to the renderers' output; a large report arrives as
//! `report.zip` whose three files equal the renderers' output byte for byte; a relay
//! that is down is a clear error (exit 2) and records nothing; `notify` warns at the
//! thresholds exactly (249/9 nothing, 250/10 a warning), once across runs, keeps going
//! after a refused delivery and retries it on the next run; policy refusals and header
//! injection attempts exit 1 and send nothing.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde_json::Value;
use smtplog_core::mail::archive;
use smtplog_core::query::Query;
use smtplog_core::report::{self, Footer, Lang, Report};
use smtplog_core::store::Store;
use tempfile::TempDir;

use crate::correlate::ingest_into;
use crate::ingest::smtplog_bin;

const FROM: &str = "smtplog@net.nthu.edu.tw";
const CONTACT: &str = "https://net.nthu.edu.tw/contact";

/// The SMTP sink: a python3 process serving on a free loopback port, killed on drop.
pub(crate) struct Sink {
    child: Child,
    pub(crate) port: u16,
    dir: TempDir,
}

impl Sink {
    pub(crate) fn start(refuse: &[&str]) -> Sink {
        Sink::spawn(refuse, false, &[])
    }

    /// A sink on the given `port` (a relay that comes back where it was).
    pub(crate) fn start_on(port: u16) -> Sink {
        Sink::spawn(&[], false, &["--port", &port.to_string()])
    }

    /// A server that accepts connections and never answers.
    fn hanging() -> Sink {
        Sink::spawn(&[], true, &[])
    }

    /// A server that speaks TLS: `mode` is `--starttls` or `--tls`, with a certificate for
    /// `localhost` signed by `ca` (see [`TestCa`]).
    fn with_tls(mode: &str, ca: &TestCa) -> Sink {
        let cert = ca.cert.to_str().unwrap().to_string();
        let key = ca.key.to_str().unwrap().to_string();
        Sink::spawn(&[], false, &[mode, &cert, &key])
    }

    pub(crate) fn spawn(refuse: &[&str], hang: bool, extra: &[&str]) -> Sink {
        let dir = tempfile::tempdir().expect("temp dir");
        let port_file = dir.path().join("port");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("support/smtp_sink.py");
        let mut cmd = Command::new("python3");
        cmd.arg(&script)
            .arg("--dir")
            .arg(dir.path().join("mail"))
            .arg("--port-file")
            .arg(&port_file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for r in refuse {
            cmd.arg("--refuse").arg(r);
        }
        if hang {
            cmd.arg("--hang");
        }
        cmd.args(extra);
        let mut child = cmd
            .spawn()
            .expect("python3 must be installed to run the mail tests");
        let deadline = Instant::now() + Duration::from_secs(15);
        let port = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file)
                && let Ok(port) = text.trim().parse::<u16>()
            {
                break port;
            }
            if let Ok(Some(status)) = child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!(
                    "the SMTP sink exited ({status}); is aiosmtpd installed \
                     (python3 -m pip install aiosmtpd)?\n{err}"
                );
            }
            assert!(Instant::now() < deadline, "the SMTP sink did not start");
            std::thread::sleep(Duration::from_millis(20));
        };
        Sink { child, port, dir }
    }

    fn mail_dir(&self) -> PathBuf {
        self.dir.path().join("mail")
    }

    /// Waits up to `timeout` for at least `n` messages and returns every message received;
    /// fails saying how many came, with `context()` (a server's log, say).
    pub(crate) fn wait_for(
        &self,
        n: usize,
        timeout: Duration,
        context: impl Fn() -> String,
    ) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} mails received:\n{}",
                got.len(),
                context()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Every message received, in order.
    pub(crate) fn received(&self) -> Vec<Received> {
        let mut out = Vec::new();
        for n in 1.. {
            let path = self.mail_dir().join(format!("{n}.json"));
            let Ok(text) = std::fs::read_to_string(&path) else {
                break;
            };
            out.push(Received(serde_json::from_str(&text).expect("sink JSON")));
        }
        out
    }

    /// The sink's log lines.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.mail_dir().join("sink.log")).unwrap_or_default()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A private CA and a server certificate for `localhost` it signed, made with openssl.
struct TestCa {
    _dir: TempDir,
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

impl TestCa {
    fn new() -> TestCa {
        let dir = tempfile::tempdir().expect("temp dir");
        let p = |name: &str| dir.path().join(name);
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir.path())
                .output()
                .expect("openssl must be installed to run the TLS mail tests");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=smtplog test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ]);
        std::fs::write(
            p("ext.cnf"),
            "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            "server.pem",
            "-extfile",
            "ext.cnf",
        ]);
        TestCa {
            ca: p("ca.pem"),
            cert: p("server.pem"),
            key: p("server.key"),
            _dir: dir,
        }
    }
}

/// One received message as the sink parsed it.
pub(crate) struct Received(Value);

impl Received {
    fn mail_from(&self) -> &str {
        self.0["mail_from"].as_str().unwrap()
    }

    pub(crate) fn rcpt_tos(&self) -> Vec<&str> {
        self.0["rcpt_tos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect()
    }

    /// The values of header `name` (any case).
    pub(crate) fn header(&self, name: &str) -> Vec<&str> {
        self.0["headers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h[0].as_str().unwrap().eq_ignore_ascii_case(name))
            .map(|h| h[1].as_str().unwrap())
            .collect()
    }

    pub(crate) fn one(&self, name: &str) -> &str {
        let v = self.header(name);
        assert_eq!(v.len(), 1, "exactly one {name} header: {v:?}");
        v[0]
    }

    pub(crate) fn content_type(&self) -> &str {
        self.0["content_type"].as_str().unwrap()
    }

    /// (content type, file name, decoded bytes) of each leaf part.
    pub(crate) fn parts(&self) -> Vec<(String, Option<String>, Vec<u8>)> {
        self.0["parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["content_type"].as_str().unwrap().to_string(),
                    p["filename"].as_str().map(str::to_string),
                    std::fs::read(p["file"].as_str().unwrap()).expect("part file"),
                )
            })
            .collect()
    }

    /// The `Date` header: the time the CLI passed as "now" (to seconds).
    fn date(&self) -> DateTime<Utc> {
        DateTime::parse_from_rfc2822(self.one("Date"))
            .expect("Date parses")
            .with_timezone(&Utc)
    }

    fn assert_only_to(&self, owner: &str) {
        assert_eq!(self.rcpt_tos(), vec![owner], "envelope: only the owner");
        assert_eq!(self.one("To"), owner, "To: only the owner");
        for h in ["Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc"] {
            assert!(self.header(h).is_empty(), "no {h} header");
        }
        assert_eq!(self.mail_from(), FROM);
        assert_eq!(self.one("Auto-Submitted"), "auto-generated");
        assert!(self.one("Message-ID").starts_with('<'));
        assert_eq!(
            self.0["defects"].as_array().unwrap().len(),
            0,
            "parsed without defects"
        );
    }
}

/// Mail parts travel with CRLF line ends; the renderers write LF.
fn lf(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec())
        .expect("UTF-8 part")
        .replace("\r\n", "\n")
}

/// A database, a configuration and the `smtplog` binary.
pub(crate) struct Env {
    dir: TempDir,
}

impl Env {
    pub(crate) fn new(log: &str) -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut store = Store::open(&dir.path().join("smtplog.db")).expect("store");
        ingest_into(&mut store, &[log], 2024);
        Env { dir }
    }

    /// The folder holding the database and the configuration.
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn db(&self) -> PathBuf {
        self.dir.path().join("smtplog.db")
    }

    pub(crate) fn config(&self) -> PathBuf {
        self.dir.path().join("smtplog.toml")
    }

    /// Writes the configuration: the relay at `port`, `extra` lines added to `[mail]`.
    pub(crate) fn configure(&self, port: u16, mail_extra: &str) {
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
from_name = "寄信紀錄查詢系統 SMTP Log Query System"
contact_url = "{CONTACT}"
{mail_extra}

[policy]
allowed_domains = ["nthu.edu.tw"]
"#
        );
        std::fs::write(self.config(), text).expect("write config");
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        Command::new(smtplog_bin())
            .arg("--config")
            .arg(self.config())
            .args(args)
            .output()
            .expect("run smtplog")
    }

    /// The report the CLI made at `generated` (the same query, so the same bytes).
    fn report(&self, email: &str, day: NaiveDate, generated: DateTime<Utc>, lang: Lang) -> Report {
        let store = Store::open(&self.db()).expect("store");
        let query = Query {
            email: email.into(),
            begin: day,
            end: day,
            zone: chrono_tz::UTC,
        };
        report::build(&store, &query, [127, 0, 0, 1].into(), lang, generated).expect("report")
    }
}

fn footer() -> Footer {
    Footer {
        contact_url: Some(CONTACT.into()),
        ..Footer::default()
    }
}

pub(crate) fn code(out: &Output) -> i32 {
    out.status.code().expect("exit code")
}

pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Shows a command's output and the sink's log in the test output (`--nocapture`).
#[allow(clippy::print_stderr)]
fn show(what: &str, text: &str) {
    eprintln!("---- {what}\n{}", text.trim_end());
}

pub(crate) fn yesterday() -> NaiveDate {
    Utc::now()
        .date_naive()
        .checked_sub_days(Days::new(1))
        .unwrap()
}

/// A relay log of `day`: for each (sender, sent, bounced), one message to that many
/// recipients, each a record. `hostile` is the response of every bounce.
pub(crate) fn relay_log(day: NaiveDate, senders: &[(&str, usize, usize)], hostile: &str) -> String {
    let mut log = String::new();
    for (i, (sender, sent, bounced)) in senders.iter().enumerate() {
        let qid = format!("{:010X}", 0xA000 + i);
        let t = |s: usize| {
            format!(
                "{day}T{:02}:{:02}:{:02}.000000+00:00 relay1",
                8 + i,
                (s / 60) % 60,
                s % 60
            )
        };
        log.push_str(&format!(
            "{} postfix/smtpd[100]: {qid}: client=pc{i}.nthu.edu.tw[140.114.1.{i}]\n",
            t(0)
        ));
        log.push_str(&format!(
            "{} postfix/cleanup[101]: {qid}: message-id=<m{i}@nthu.edu.tw>\n",
            t(0)
        ));
        log.push_str(&format!(
            "{} postfix/qmgr[102]: {qid}: from=<{sender}>, size=1000, nrcpt={} (queue active)\n",
            t(1),
            sent + bounced
        ));
        for r in 0..*sent {
            log.push_str(&format!(
                "{} postfix/smtp[103]: {qid}: to=<r{r}@example.org>, relay=mx.example.org[192.0.2.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as X{r})\n",
                t(2 + r)
            ));
        }
        for r in 0..*bounced {
            log.push_str(&format!(
                "{} postfix/smtp[103]: {qid}: to=<b{r}@example.org>, relay=mx.example.org[192.0.2.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced ({hostile})\n",
                t(2 + sent + r)
            ));
        }
        log.push_str(&format!(
            "{} postfix/qmgr[102]: {qid}: removed\n",
            t(3 + sent + bounced)
        ));
    }
    log
}

/// A response that tries to start header lines of its own (CR survives in a log line).
pub(crate) const HOSTILE: &str = "host mx.example.org[192.0.2.1] said: 550 5.1.1 no such user\rBcc: evil@example.org\rSubject: pwned <script>alert(1)</script> (in reply to RCPT TO command)";

#[test]
fn an_inline_report_reaches_its_owner_only_with_the_renderers_text_and_html() {
    let day = yesterday();
    let owner = "owner@cs.nthu.edu.tw";
    let env = Env::new(&relay_log(
        day,
        &[(owner, 3, 2), ("other@nthu.edu.tw", 4, 0)],
        HOSTILE,
    ));
    let sink = Sink::start(&[]);
    env.configure(sink.port, "");
    let d = day.to_string();
    let out = env.run(&[
        "report", "--email", owner, "--begin", &d, "--end", &d, "--send", "--lang", "en",
    ]);
    show("smtplog report --send (inline)", &stdout(&out));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("inline"), "{}", stdout(&out));

    let mails = sink.received();
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    m.assert_only_to(owner);
    assert_eq!(
        m.one("From"),
        format!("寄信紀錄查詢系統 SMTP Log Query System <{FROM}>")
    );
    assert_eq!(m.one("Subject"), format!("SMTP log report: {d} to {d}"));
    assert!(m.header("Reply-To").is_empty(), "no-reply by default");
    assert_eq!(m.content_type(), "multipart/alternative");
    let parts = m.parts();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].0, "text/plain");
    assert_eq!(parts[1].0, "text/html");

    let report = env.report(owner, day, m.date(), Lang::En);
    assert_eq!(report.rows.len(), 5);
    let mut text = Vec::new();
    report::text::render(&report, &footer(), &mut text).unwrap();
    let mut html = Vec::new();
    report::html::render(&report, &footer(), &mut html).unwrap();
    assert_eq!(lf(&parts[0].2), String::from_utf8(text).unwrap());
    assert_eq!(lf(&parts[1].2), String::from_utf8(html).unwrap());
    assert!(lf(&parts[1].2).contains("&lt;script&gt;"));
    show("sink log", &sink.log());
}

#[test]
fn a_large_report_arrives_as_a_zip_of_the_renderers_output_byte_for_byte() {
    let day = yesterday();
    let owner = "big@nthu.edu.tw";
    let env = Env::new(&relay_log(day, &[(owner, 40, 3)], HOSTILE));
    let sink = Sink::start(&[]);
    env.configure(sink.port, "zip_threshold_bytes = 2000");
    let d = day.to_string();
    let out = env.run(&[
        "report", "--email", owner, "--begin", &d, "--end", &d, "--send",
    ]);
    show("smtplog report --send (zipped)", &stdout(&out));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("as report.zip"), "{}", stdout(&out));

    let mails = sink.received();
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    m.assert_only_to(owner);
    assert!(m.one("Subject").contains(&format!("{d} 至 {d}")));
    assert_eq!(m.content_type(), "multipart/mixed");
    let parts = m.parts();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].0, "text/plain");
    assert!(lf(&parts[0].2).contains("report.zip"));
    assert_eq!(parts[1].0, "application/zip");
    assert_eq!(parts[1].1.as_deref(), Some("report.zip"));

    let report = env.report(owner, day, m.date(), Lang::ZhTw);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(parts[1].2.clone())).unwrap();
    let names: Vec<String> = (0..zip.len())
        .map(|i| zip.by_index(i).unwrap().name().unwrap().to_string())
        .collect();
    assert_eq!(names, vec!["report.txt", "report.html", "report.csv"]);
    let entry = |zip: &mut zip::ZipArchive<_>, name: &str| {
        let mut f = zip.by_name(name).unwrap();
        assert_eq!(f.compression(), zip::CompressionMethod::Deflated);
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        bytes
    };
    let mut text = Vec::new();
    report::text::render(&report, &footer(), &mut text).unwrap();
    let mut html = Vec::new();
    report::html::render(&report, &footer(), &mut html).unwrap();
    let mut csv = Vec::new();
    report::csv::render(&report, &archive::CSV_OPTIONS, &mut csv).unwrap();
    assert!(text.len() >= 2000, "the text form is over the threshold");
    assert_eq!(entry(&mut zip, "report.txt"), text);
    assert_eq!(entry(&mut zip, "report.html"), html);
    assert_eq!(entry(&mut zip, "report.csv"), csv);
    show("sink log", &sink.log());
}

#[test]
fn without_send_the_mail_is_printed_and_nothing_is_sent() {
    let day = yesterday();
    let owner = "owner@nthu.edu.tw";
    let env = Env::new(&relay_log(day, &[(owner, 1, 0)], HOSTILE));
    let sink = Sink::start(&[]);
    env.configure(sink.port, "reply_to = \"help@net.nthu.edu.tw\"");
    let d = day.to_string();
    let out = env.run(&["report", "--email", owner, "--begin", &d, "--end", &d]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("\r\nTo: owner@nthu.edu.tw\r\n"), "{text}");
    assert!(
        text.contains("\r\nReply-To: help@net.nthu.edu.tw\r\n"),
        "{text}"
    );
    assert!(
        text.contains("\r\nAuto-Submitted: auto-generated\r\n"),
        "{text}"
    );
    assert!(sink.received().is_empty());
}

#[test]
fn a_relay_that_is_down_is_an_error_and_no_warning_is_recorded_as_sent() {
    let day = yesterday();
    let env = Env::new(&relay_log(day, &[("heavy@nthu.edu.tw", 260, 0)], HOSTILE));
    // A port that nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    env.configure(port, "");
    let d = day.to_string();
    let out = env.run(&[
        "report",
        "--email",
        "heavy@nthu.edu.tw",
        "--begin",
        &d,
        "--end",
        &d,
        "--send",
    ]);
    show("smtplog report --send, relay down", &stderr(&out));
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains(&format!(
            "cannot connect to the SMTP relay 127.0.0.1:{port}"
        )),
        "{}",
        stderr(&out)
    );

    let out = env.run(&["notify", "--day", &d]);
    show(
        "smtplog notify, relay down",
        &(stdout(&out) + &stderr(&out)),
    );
    assert_eq!(code(&out), 2);
    assert!(stdout(&out).contains("FAILED"), "{}", stdout(&out));
    {
        let store = Store::open(&env.db()).unwrap();
        assert!(store.sent_warnings(day).unwrap().is_empty());
        assert_eq!(store.warning_state("heavy@nthu.edu.tw", day).unwrap(), None);
    }

    // The relay is back: the next run delivers the warning.
    let sink = Sink::start(&[]);
    env.configure(sink.port, "");
    let out = env.run(&["notify", "--day", &d]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(sink.received().len(), 1);
    assert_eq!(
        Store::open(&env.db())
            .unwrap()
            .sent_warnings(day)
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_relay_that_does_not_answer_times_out() {
    let day = yesterday();
    let owner = "owner@nthu.edu.tw";
    let env = Env::new(&relay_log(day, &[(owner, 1, 0)], HOSTILE));
    let sink = Sink::hanging();
    env.configure(sink.port, "");
    let text = std::fs::read_to_string(env.config()).unwrap();
    std::fs::write(
        env.config(),
        text.replace("timeout_secs = 5", "timeout_secs = 1"),
    )
    .unwrap();
    let d = day.to_string();
    let started = Instant::now();
    let out = env.run(&[
        "report", "--email", owner, "--begin", &d, "--end", &d, "--send",
    ]);
    show("smtplog report --send, relay silent", &stderr(&out));
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains(&format!(
            "the SMTP relay 127.0.0.1:{} did not answer within 1 s",
            sink.port
        )),
        "{}",
        stderr(&out)
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn starttls_required_but_not_offered_is_an_error_and_nothing_is_sent_in_clear() {
    let day = yesterday();
    let owner = "owner@nthu.edu.tw";
    let env = Env::new(&relay_log(day, &[(owner, 1, 0)], HOSTILE));
    let sink = Sink::start(&[]);
    env.configure(sink.port, "");
    let text = std::fs::read_to_string(env.config()).unwrap();
    std::fs::write(
        env.config(),
        text.replace("tls = \"none\"", "tls = \"starttls\""),
    )
    .unwrap();
    let d = day.to_string();
    let out = env.run(&[
        "report", "--email", owner, "--begin", &d, "--end", &d, "--send",
    ]);
    show("smtplog report --send, STARTTLS not offered", &stderr(&out));
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("STARTTLS"), "{}", stderr(&out));
    assert!(sink.received().is_empty());
}

#[test]
fn a_report_goes_through_starttls_and_implicit_tls_to_a_relay_with_a_private_ca() {
    let day = yesterday();
    let owner = "owner@nthu.edu.tw";
    let env = Env::new(&relay_log(day, &[(owner, 1, 0)], HOSTILE));
    let ca = TestCa::new();
    let d = day.to_string();
    for (mode, tls) in [("--starttls", "starttls"), ("--tls", "tls")] {
        let sink = Sink::with_tls(mode, &ca);
        env.configure(sink.port, "");
        let text = std::fs::read_to_string(env.config()).unwrap();
        let text = text
            .replace("host = \"127.0.0.1\"", "host = \"localhost\"")
            .replace(
                "tls = \"none\"",
                &format!("tls = \"{tls}\"\nca_file = \"{}\"", ca.ca.display()),
            );
        std::fs::write(env.config(), &text).unwrap();
        let out = env.run(&[
            "report", "--email", owner, "--begin", &d, "--end", &d, "--send",
        ]);
        show(&format!("smtplog report --send over {tls}"), &sink.log());
        assert_eq!(code(&out), 0, "{tls}: {}", stderr(&out));
        let got = sink.received();
        assert_eq!(got.len(), 1, "{tls}");
        got[0].assert_only_to(owner);

        // Without the private CA the relay's certificate is not trusted: nothing is sent.
        let untrusting = text.replace(&format!("ca_file = \"{}\"", ca.ca.display()), "");
        std::fs::write(env.config(), untrusting).unwrap();
        let out = env.run(&[
            "report", "--email", owner, "--begin", &d, "--end", &d, "--send",
        ]);
        assert_eq!(code(&out), 2, "{tls}: {}", stdout(&out));
        assert_eq!(
            sink.received().len(),
            1,
            "{tls}: nothing more was delivered"
        );
    }
}

/// The thresholds' edges: 249 records and 9 bounces get nothing; 250 and 10 get a
/// warning; an address outside the allowed domains gets nothing however much it sent.
pub(crate) fn threshold_log(day: NaiveDate) -> String {
    relay_log(
        day,
        &[
            ("sum249@nthu.edu.tw", 249, 0),
            ("Sum250@CS.nthu.edu.tw", 250, 0),
            ("bounce9@nthu.edu.tw", 5, 9),
            ("bounce10@nthu.edu.tw", 0, 10),
            ("spam@evilnthu.edu.tw", 400, 40),
        ],
        HOSTILE,
    )
}

#[test]
fn notify_warns_at_the_thresholds_exactly_once_across_runs() {
    let day = yesterday();
    let env = Env::new(&threshold_log(day));
    let sink = Sink::start(&[]);
    env.configure(sink.port, "");
    let d = day.to_string();

    let dry = env.run(&["notify", "--day", &d, "--dry-run"]);
    show("smtplog notify --dry-run", &stdout(&dry));
    assert_eq!(code(&dry), 0, "{}", stderr(&dry));
    let dry_out = stdout(&dry);
    assert!(
        dry_out.contains(
            "would warn      sum250@cs.nthu.edu.tw  sum 250, bounced 0  (sum 250 >= 250)"
        ),
        "{dry_out}"
    );
    assert!(
        dry_out.contains(
            "would warn      bounce10@nthu.edu.tw  sum 10, bounced 10  (bounced 10 >= 10)"
        ),
        "{dry_out}"
    );
    assert!(
        !dry_out.contains("sum249") && !dry_out.contains("bounce9@") && !dry_out.contains("evil")
    );
    assert!(sink.received().is_empty(), "a dry run sends nothing");
    assert!(
        Store::open(&env.db())
            .unwrap()
            .sent_warnings(day)
            .unwrap()
            .is_empty()
    );

    let first = env.run(&["notify", "--day", &d]);
    show("smtplog notify (first run)", &stdout(&first));
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    assert!(stdout(&first).ends_with(&format!("{d}: 2 warned, 0 already warned, 0 failed\n")));
    let second = env.run(&["notify", "--day", &d]);
    show("smtplog notify (second run)", &stdout(&second));
    assert_eq!(code(&second), 0, "{}", stderr(&second));
    assert!(stdout(&second).ends_with(&format!("{d}: 0 warned, 2 already warned, 0 failed\n")));

    let mails = sink.received();
    assert_eq!(mails.len(), 2, "one mail per offender, however many runs");
    let mut to: Vec<&str> = mails.iter().map(|m| m.rcpt_tos()[0]).collect();
    to.sort();
    assert_eq!(to, vec!["bounce10@nthu.edu.tw", "sum250@cs.nthu.edu.tw"]);
    for m in &mails {
        let owner = m.rcpt_tos()[0].to_string();
        m.assert_only_to(&owner);
        let subject = m.one("Subject");
        assert!(
            subject.contains("Automatic warning") && subject.contains(&d),
            "{subject}"
        );
        assert_eq!(m.content_type(), "multipart/alternative");
        let text = lf(&m.parts()[0].2);
        assert!(text.contains("查詢來源(Client IP)：127.0.0.1"), "{text}");
        assert!(
            text.contains(&format!("查詢信箱(Email)：{owner}")),
            "{text}"
        );
    }
    let warned = Store::open(&env.db()).unwrap().sent_warnings(day).unwrap();
    assert_eq!(warned.len(), 2);
    show("sink log", &sink.log());
}

#[test]
fn a_refused_warning_does_not_stop_the_others_and_is_retried_next_run() {
    let day = yesterday();
    let env = Env::new(&threshold_log(day));
    let d = day.to_string();
    {
        let sink = Sink::start(&["bounce10@nthu.edu.tw"]);
        env.configure(sink.port, "");
        let out = env.run(&["notify", "--day", &d]);
        show(
            "smtplog notify, one recipient refused",
            &(stdout(&out) + &stderr(&out)),
        );
        assert_eq!(code(&out), 2);
        assert!(
            stdout(&out).contains("FAILED          bounce10@nthu.edu.tw"),
            "{}",
            stdout(&out)
        );
        assert!(stdout(&out).contains("permanent 550"), "{}", stdout(&out));
        let mails = sink.received();
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].rcpt_tos(), vec!["sum250@cs.nthu.edu.tw"]);
    }
    let sink = Sink::start(&[]);
    env.configure(sink.port, "");
    let out = env.run(&["notify", "--day", &d]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains(&format!("{d}: 1 warned, 1 already warned, 0 failed")));
    let mails = sink.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].rcpt_tos(), vec!["bounce10@nthu.edu.tw"]);
}

#[test]
fn policy_refusals_and_header_injection_attempts_exit_1_and_send_nothing() {
    let day = yesterday();
    let env = Env::new(&threshold_log(day));
    let sink = Sink::start(&[]);
    env.configure(sink.port, "");
    let d = day.to_string();
    let long_ago = day.checked_sub_days(Days::new(31)).unwrap().to_string();
    let cases: Vec<(String, String, String)> = vec![
        ("spam@evilnthu.edu.tw".into(), d.clone(), d.clone()),
        ("x@nthu.edu.tw.evil.org".into(), d.clone(), d.clone()),
        ("sum250@cs.nthu.edu.tw".into(), long_ago.clone(), d.clone()),
        (
            "sum250@cs.nthu.edu.tw\r\nBcc: evil@example.org".into(),
            d.clone(),
            d.clone(),
        ),
        (
            "sum250@cs.nthu.edu.tw\nCc: evil@example.org".into(),
            d.clone(),
            d.clone(),
        ),
        (
            "sum250@cs.nthu.edu.tw, evil@example.org".into(),
            d.clone(),
            d.clone(),
        ),
        ("Evil <sum250@cs.nthu.edu.tw>".into(), d.clone(), d.clone()),
        (
            "\"evil@example.org\"@nthu.edu.tw".into(),
            d.clone(),
            d.clone(),
        ),
        ("evil@example.org@nthu.edu.tw".into(), d.clone(), d.clone()),
    ];
    for (email, begin, end) in &cases {
        let out = env.run(&[
            "report", "--email", email, "--begin", begin, "--end", end, "--send",
        ]);
        assert_eq!(code(&out), 1, "{email:?} {begin}..{end}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("refused") && err.contains("nothing was sent"),
            "{err}"
        );
        assert!(
            !err.contains('\r'),
            "the message shows control characters escaped"
        );
    }
    // The 32-day range names its length.
    let out = env.run(&[
        "report",
        "--email",
        "sum250@cs.nthu.edu.tw",
        "--begin",
        &long_ago,
        "--end",
        &d,
        "--send",
    ]);
    assert!(stderr(&out).contains("32 days"), "{}", stderr(&out));
    assert!(sink.received().is_empty(), "nothing was sent");
}
