"""The example scripts of examples/python/ run and give the CLI's answers."""

import datetime as dt
import subprocess
import sys

import pytest

import smtplog
from conftest import FIXTURES, ROOT, cli, loggen, write_config

EXAMPLES = ROOT / "examples" / "python"


def run(script, *args, cwd=None):
    proc = subprocess.run([sys.executable, str(EXAMPLES / script), *map(str, args)],
                          capture_output=True, cwd=cwd)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout.decode("utf-8")


@pytest.fixture(scope="module")
def run1_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("run1") / "run1.db"
    with smtplog.Store(db, tz="Asia/Taipei") as s:
        s.ingest(FIXTURES / "postfix" / "run1" / "syslog.log", year=2026)
    return db


def test_top_senders(run1_db):
    out = run("top_senders.py", "--db", run1_db, "--tz", "Asia/Taipei", "--day", "2026-11-28",
              "--top", "3").splitlines()
    with smtplog.Store(run1_db, tz="Asia/Taipei", read_only=True) as s:
        top = sorted(s.offenders("2026-11-28", sum_threshold=1), key=lambda o: (-o[1].sum, o[0]))
    assert out[0].split() == ["sender", "sum", "sent", "bounced", "deferred", "auth_blk"]
    assert [line.split()[:2] for line in out[1:4]] == [[e, str(d.sum)] for e, d in top[:3]]
    assert out[-1] == f"{len(top)} senders on 2026-11-28"


def test_export_month_csv_is_the_cli_csv(run1_db, tmp_path):
    email = "alice@dept.example.edu"
    out = run("export_month_csv.py", "--db", run1_db, "--tz", "Asia/Taipei", email, "2026-11")
    theirs = cli("--db", run1_db, "--tz", "Asia/Taipei", "query", "--email", email, "--begin",
                 "2026-11-01", "--end", "2026-11-30", "--format", "csv", "--lang", "en").stdout
    assert out == theirs and out.count("\r\n") == 104
    run("export_month_csv.py", "--db", run1_db, "--tz", "Asia/Taipei", "--bom", "--labels",
        email, "2026-11", "-o", tmp_path / "a.csv")
    assert (tmp_path / "a.csv").read_bytes().startswith("\ufeff".encode())


def test_the_cron_script_mails_yesterdays_warnings_once(tmp_path, sink):
    day = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1)
    log = loggen(tmp_path / "y.log", "--lines", 6000, "--senders", 25, "--days", 1,
                 "--start", day.isoformat(), "--format", "rfc3339", "--seed", 3)
    cfg = write_config(tmp_path / "c.toml", port=sink.port, notify_sum=40, notify_bounced=5)
    db = tmp_path / "y.db"
    cli("--db", db, "--tz", "UTC", "ingest", log)
    first = run("mail_yesterdays_warnings.py", "--config", cfg, "--db", db).splitlines()
    sent = [l for l in first if l.startswith("sent")]
    assert sent and first[-1].endswith(f"{len(sent)} warned now")
    assert len(sink.received()) == len(sent)
    again = run("mail_yesterdays_warnings.py", "--config", cfg, "--db", db).splitlines()
    assert again[-1].endswith(" 0 warned now")
    assert all(l.startswith("already_sent") for l in again[:-1])
    assert len(sink.received()) == len(sent)
