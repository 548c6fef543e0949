"""Shared helpers of the Python module's tests: the repository, the `smtplog` binary to
compare with, the log generator, and the real SMTP sink on loopback."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
CLI = Path(os.environ.get("SMTPLOG_CLI", TARGET / "debug" / "smtplog"))
LOGGEN = Path(os.environ.get("SMTPLOG_LOGGEN", TARGET / "debug" / "smtplog-loggen"))


def cli(*args, check=True):
    """Runs the `smtplog` binary; returns the completed process (its output decoded, line
    ends kept)."""
    if not CLI.exists():
        pytest.fail(f"{CLI} is missing: build it with cargo build -p smtplog-cli")
    proc = subprocess.run([str(CLI), *map(str, args)], capture_output=True)
    # Decoded by hand: text mode would turn CSV's CRLF into LF.
    proc.stdout = proc.stdout.decode("utf-8")
    proc.stderr = proc.stderr.decode("utf-8", errors="replace")
    if check and proc.returncode != 0:
        pytest.fail(f"smtplog {' '.join(map(str, args))} exited {proc.returncode}: {proc.stderr}")
    return proc


def cli_json(*args):
    return json.loads(cli(*args).stdout)


def loggen(path, *args):
    """Writes a generated log to `path` (smtplog-loggen with `args`)."""
    if not LOGGEN.exists():
        pytest.fail(f"{LOGGEN} is missing: build it with cargo build -p smtplog-benches")
    with open(path, "wb") as out:
        subprocess.run([str(LOGGEN), *map(str, args)], stdout=out, check=True)
    return path


class Sink:
    """tests/support/smtp_sink.py: a real SMTP server on 127.0.0.1 that keeps every
    message it receives (N.json: envelope and headers)."""

    def __init__(self, tmp):
        self.dir = tmp / "mail"
        port_file = tmp / "port"
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "support" / "smtp_sink.py"),
             "--dir", str(self.dir), "--port-file", str(port_file)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while True:
            try:
                self.port = int(port_file.read_text().strip())
                break
            except (FileNotFoundError, ValueError):
                pass
            if self.proc.poll() is not None:
                pytest.fail(f"the SMTP sink exited: {self.proc.stderr.read().decode()}")
            if time.monotonic() > deadline:
                pytest.fail("the SMTP sink did not start")
            time.sleep(0.02)

    def received(self):
        """Every message received so far, in order (the sink's JSON objects)."""
        out = []
        n = 1
        while (self.dir / f"{n}.json").exists():
            out.append(json.loads((self.dir / f"{n}.json").read_text()))
            n += 1
        return out

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def sink(tmp_path):
    s = Sink(tmp_path)
    yield s
    s.stop()


def write_config(path, *, port, allowed=("example.edu",), notify_sum=250, notify_bounced=10,
                 timezone="UTC", extra=""):
    """A configuration mailing through the sink at `port` (plain SMTP on loopback)."""
    domains = ", ".join(f'"{d}"' for d in allowed)
    path.write_text(
        f'timezone = "{timezone}"\n'
        f"[smtp]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\ntimeout_secs = 10\n"
        f"[mail]\nfrom = \"smtplog@example.edu\"\nlang = \"en\"\n"
        f"[policy]\nallowed_domains = [{domains}]\nnotify_sum = {notify_sum}\n"
        f"notify_bounced = {notify_bounced}\n{extra}"
    )
    return path
