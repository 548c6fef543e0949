"""Every exception class is reached, each for what it names; bad arguments raise
ValueError or TypeError naming the argument; missing files FileNotFoundError."""

import fcntl
import gzip
import socket

import pytest

import smtplog
from conftest import FIXTURES, write_config

LOG = FIXTURES / "postfix" / "run1" / "syslog.log"
ALICE = "alice@dept.example.edu"


@pytest.fixture
def store(tmp_path):
    with smtplog.Store(tmp_path / "s.db", tz="Asia/Taipei") as s:
        s.ingest(LOG, year=2026)
        yield s


def test_the_hierarchy():
    for cls in (smtplog.PolicyError, smtplog.StoreError, smtplog.ConfigError,
                smtplog.MailError, smtplog.InputError):
        assert issubclass(cls, smtplog.Error)
    assert issubclass(smtplog.BusyError, smtplog.StoreError)
    assert issubclass(smtplog.Error, Exception) and smtplog.Error is not Exception


def test_policy_error_for_a_reversed_range(store):
    with pytest.raises(smtplog.PolicyError, match="before it begins"):
        store.query(ALICE, "2026-11-29", "2026-11-28")
    with pytest.raises(smtplog.PolicyError, match="before it begins"):
        store.stats(ALICE, "2026-11-29", "2026-11-28")
    with pytest.raises(smtplog.PolicyError):
        list(store.records(" ", "2026-11-28", "2026-11-28"))


def test_policy_error_for_a_foreign_address_and_a_future_day(tmp_path):
    config = smtplog.Config.load(write_config(tmp_path / "c.toml", port=9, allowed=["example.edu"]))
    with smtplog.Store(tmp_path / "p.db", config=config) as s:
        with pytest.raises(smtplog.PolicyError, match="not in an allowed domain"):
            s.send_report("mallory@evil.example.org", "2026-11-28", "2026-11-28", send=False)
        with pytest.raises(smtplog.PolicyError, match="after today"):
            s.notify("2999-01-01")
    nobody = smtplog.Config.load(write_config(tmp_path / "n.toml", port=9, allowed=[]))
    with smtplog.Store(tmp_path / "p.db", config=nobody) as s:
        with pytest.raises(smtplog.PolicyError, match="no allowed domains"):
            s.notify()


def test_store_errors(tmp_path, store):
    with pytest.raises(smtplog.StoreError, match="no database"):
        smtplog.Store(tmp_path / "missing.db", read_only=True)
    (tmp_path / "garbage.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(smtplog.StoreError):
        smtplog.Store(tmp_path / "garbage.db")
    reader = smtplog.Store(store.path, read_only=True)
    assert reader.stats(ALICE, "2026-11-28", "2026-11-28").total.sum > 0
    with pytest.raises(smtplog.StoreError, match="read-only"):
        reader.ingest(LOG)
    reader.close()
    with pytest.raises(smtplog.StoreError, match="closed"):
        reader.stats(ALICE, "2026-11-28", "2026-11-28")
    reader.close()


def test_busy_error_while_another_ingest_holds_the_lock(store):
    with open(f"{store.path}.ingest-lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(smtplog.BusyError, match="another ingest"):
            store.ingest(LOG, year=2026)
        fcntl.flock(lock, fcntl.LOCK_UN)
    assert store.ingest(LOG, year=2026)["inputs"][0]["outcome"] != "new"


def test_input_error_for_a_truncated_gzip(tmp_path, store):
    data = gzip.compress(LOG.read_bytes())
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(smtplog.InputError, match="cut.log.gz"):
        store.ingest(cut, year=2026)
    with pytest.raises(smtplog.InputError):
        list(smtplog.parse_file(cut, year=2026))


def test_config_errors(tmp_path, store):
    bad = tmp_path / "bad.toml"
    bad.write_text('[policy]\nno_such_key = 1\n')
    with pytest.raises(smtplog.ConfigError, match="no_such_key"):
        smtplog.Config.load(bad)
    with pytest.raises(smtplog.ConfigError, match="configuration"):
        store.send_report(ALICE, "2026-11-28", "2026-11-28")
    no_mail = tmp_path / "nomail.toml"
    no_mail.write_text('[policy]\nallowed_domains = ["example.edu"]\n')
    with smtplog.Store(store.path, config=smtplog.Config.load(no_mail)) as s:
        with pytest.raises(smtplog.ConfigError, match=r"\[mail\]|mail"):
            s.send_report(ALICE, "2026-11-28", "2026-11-28")


def test_mail_error_when_the_relay_is_down(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = smtplog.Config.load(
        write_config(tmp_path / "c.toml", port=port, allowed=["dept.example.edu"]))
    with smtplog.Store(tmp_path / "m.db", tz="UTC", config=config) as s:
        import datetime as dt
        today = dt.date.today()
        with pytest.raises(smtplog.MailError, match="not sent"):
            s.send_report(ALICE, today, today)


def test_missing_files_raise_file_not_found(tmp_path, store):
    with pytest.raises(FileNotFoundError, match="nope.log"):
        store.ingest(tmp_path / "nope.log")
    with pytest.raises(FileNotFoundError, match="nope.log"):
        store.ingest([LOG, tmp_path / "nope.log"])
    with pytest.raises(FileNotFoundError):
        smtplog.parse_file(tmp_path / "nope.log")
    with pytest.raises(FileNotFoundError):
        smtplog.Config.load(tmp_path / "nope.toml")


def test_bad_arguments_name_the_argument(store):
    with pytest.raises(ValueError, match="begin"):
        store.query(ALICE, "2026-13-01", "2026-11-28")
    with pytest.raises(ValueError, match="end"):
        store.stats(ALICE, "2026-11-28", "28/11/2026")
    with pytest.raises(TypeError, match="begin"):
        store.stats(ALICE, 20261128, "2026-11-28")
    with pytest.raises(TypeError, match="day"):
        store.offenders(None)
    with pytest.raises(ValueError, match="tz"):
        smtplog.Store(store.path, tz="Mars/Olympus")
    with pytest.raises(ValueError, match="tz"):
        smtplog.parse_line("x", tz="Nowhere")
    with pytest.raises(ValueError, match="lang"):
        store.query(ALICE, "2026-11-28", "2026-11-28", lang="fr")
    with pytest.raises(ValueError, match="client_ip"):
        store.query(ALICE, "2026-11-28", "2026-11-28", client_ip="localhost")
    with pytest.raises(ValueError, match="format"):
        store.query(ALICE, "2026-11-28", "2026-11-28").render("pdf")
    with pytest.raises(TypeError, match="paths"):
        store.ingest(42)
    with pytest.raises(ValueError, match="paths"):
        store.ingest([])
    with pytest.raises(TypeError):
        smtplog.parse_line(b"bytes are not a line")


def test_values_other_than_errors():
    assert smtplog.parse_line("Nov 28 10:00:00 host dovecot: imap-login: Login", year=2026) is None
    assert smtplog.parse_line("\x00\xff garbage", year=2026) is None
    entry = smtplog.parse_line(
        "Nov 28 20:47:52 relay1 postfix/qmgr[1]: 9850099E091: from=<a@example.edu>, size=1, nrcpt=1 (queue active)\n",
        year=2026, tz="Asia/Taipei")
    assert entry["kind"] == "queued" and entry["time"] == "2026-11-28T20:47:52+08:00"
    assert isinstance(smtplog.__version__, str) and smtplog.__version__
