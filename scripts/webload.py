"""Shared parts of scripts/page-load and scripts/page-under-ingest: the SMTP sink, the
release `smtplog serve` with a test configuration (fixed captcha, loopback), and a raw
HTTP/1.1 client that gets the form and submits it with a chosen X-Forwarded-For.

Python 3 standard library only (the sink itself needs aiosmtpd)."""

import atexit
import html
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SMTPLOG = os.path.join(ROOT, "target", "release", "smtplog")
LOGGEN = os.path.join(ROOT, "target", "release", "smtplog-loggen")
SINK = os.path.join(ROOT, "tests", "support", "smtp_sink.py")
ANSWER = "24680"

# Every sink and server started, stopped at exit if still running (a failed check exits).
_started = []


def _stop_all():
    for proc in _started:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


atexit.register(_stop_all)


def build():
    subprocess.run(
        ["cargo", "build", "--release", "--locked", "-q", "-p", "smtplog-cli", "-p", "smtplog-benches"],
        cwd=ROOT,
        check=True,
    )


def wait_for(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.05)
    sys.exit(f"timed out waiting for {what}")


class Sink:
    """tests/support/smtp_sink.py on a free loopback port, writing into DIR."""

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        port_file = os.path.join(directory, "port")
        self.proc = subprocess.Popen(
            [sys.executable, SINK, "--dir", directory, "--port-file", port_file],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(directory, "sink.stderr"), "w"),
        )
        _started.append(self.proc)
        wait_for(lambda: os.path.exists(port_file), 20, "the SMTP sink")
        self.port = int(open(port_file).read())

    def received(self):
        """How many messages the sink has received (its N.json files)."""
        return sum(1 for n in os.listdir(self.dir) if n.endswith(".json"))

    def recipients(self):
        import json

        out = []
        for n in os.listdir(self.dir):
            if n.endswith(".json"):
                out.extend(json.load(open(os.path.join(self.dir, n)))["rcpt_tos"])
        return out

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


class Serve:
    """`smtplog serve` (release build) on 127.0.0.1:0 with the database DB and WEB as the
    rest of its [web] section; its stderr goes to DIR/serve.stderr."""

    def __init__(self, directory, db, smtp_port, web, domain="example.edu"):
        self.dir = directory
        self.config = os.path.join(directory, "smtplog.toml")
        with open(self.config, "w") as f:
            f.write(
                f'''db = "{db}"
timezone = "UTC"

[smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "none"
timeout_secs = 10

[mail]
from = "smtplog@example.edu"

[policy]
allowed_domains = ["{domain}"]

[web]
listen = "127.0.0.1:0"
unsafe_fixed_captcha = "{ANSWER}"
allowed_networks = ["127.0.0.0/8"]
trusted_proxies = ["127.0.0.1"]
{web}
'''
            )
        self.stderr_path = os.path.join(directory, "serve.stderr")
        self.proc = subprocess.Popen(
            [SMTPLOG, "--config", self.config, "serve"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(self.stderr_path, "w"),
        )
        _started.append(self.proc)

        def ready():
            if self.proc.poll() is not None:
                sys.exit(f"smtplog serve exited:\n{self.stderr()}")
            m = re.search(r"serving the query page on http://([0-9.]+):(\d+)", self.stderr())
            return m and (m.group(1), int(m.group(2)))

        self.addr = wait_for(ready, 20, "smtplog serve")

    def stderr(self):
        return open(self.stderr_path, encoding="utf-8", errors="replace").read()

    def peak_rss_kib(self):
        """VmHWM of the serve process, in KiB."""
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return None

    def stop(self):
        self.proc.terminate()
        return self.proc.wait(30)


def request(addr, method, path, headers=(), body=b"", timeout=60):
    """One HTTP/1.1 request on its own connection: (status, headers dict, body text)."""
    with socket.create_connection(addr, timeout=timeout) as s:
        head = f"{method} {path} HTTP/1.1\r\nHost: {addr[0]}:{addr[1]}\r\nConnection: close\r\n"
        head += f"Content-Length: {len(body)}\r\n"
        for name, value in headers:
            head += f"{name}: {value}\r\n"
        s.sendall(head.encode() + b"\r\n" + body)
        chunks = []
        while True:
            c = s.recv(65536)
            if not c:
                break
            chunks.append(c)
    raw = b"".join(chunks).decode("utf-8", "replace")
    head, _, text = raw.partition("\r\n\r\n")
    lines = head.split("\r\n")
    status = int(lines[0].split(" ")[1])
    hdrs = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        hdrs[name.strip().lower()] = value.strip()
    return status, hdrs, text


def input_value(page, name):
    m = re.search(r'<input[^>]*name="%s"[^>]*value="([^"]*)"' % name, page)
    if not m:
        m = re.search(r'<input[^>]*value="([^"]*)"[^>]*name="%s"' % name, page)
    if not m:
        raise ValueError(f"no input {name} in the form")
    return html.unescape(m.group(1))


def get_form(addr, client):
    """GET / as CLIENT (X-Forwarded-For): (captcha id, token, cookie pair)."""
    status, hdrs, page = request(addr, "GET", "/?lang=en", [("X-Forwarded-For", client)])
    if status != 200:
        raise RuntimeError(f"GET / answered {status}")
    cookie = hdrs["set-cookie"].split(";")[0]
    return input_value(page, "captcha_id"), input_value(page, "token"), cookie


def post_submit(addr, client, form, email, begin, end):
    """POST /submit as CLIENT with the form FORM from get_form: (status, seconds)."""
    captcha_id, token, cookie = form
    body = urllib.parse.urlencode(
        [
            ("email", email),
            ("begin", begin),
            ("end", end),
            ("captcha", ANSWER),
            ("captcha_id", captcha_id),
            ("token", token),
            ("lang", "en"),
        ]
    ).encode()
    headers = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Cookie", cookie),
        ("X-Forwarded-For", client),
    ]
    t = time.monotonic()
    status, _, _ = request(addr, "POST", "/submit", headers, body)
    return status, time.monotonic() - t


def percentile(values, p):
    """The nearest-rank percentile P (0-100) of VALUES."""
    v = sorted(values)
    k = max(0, min(len(v) - 1, -(-len(v) * p // 100) - 1))
    return v[int(k)]


def audit_counts(db):
    """(outcome, reason, status) -> count over the audit table, read after serve stopped."""
    import sqlite3

    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = con.execute(
        "SELECT outcome, reason, status, count(*) FROM submissions GROUP BY 1, 2, 3"
    ).fetchall()
    unsent = con.execute("SELECT count(*) FROM outbox WHERE sent_ms IS NULL").fetchone()[0]
    con.close()
    return {(o, r, s): n for o, r, s, n in rows}, unsent
