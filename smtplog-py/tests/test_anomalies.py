"""Store.anomalies and notify(so_far=True) against the CLI: the labelled relay of the
benches' account generator (smtplog-anomaly-eval --log), ingested once by each."""

import datetime
import os
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import smtplog
from conftest import TARGET, cli, cli_json, write_config

EVAL = Path(os.environ.get("SMTPLOG_ANOMALY_EVAL", TARGET / "debug" / "smtplog-anomaly-eval"))
START = datetime.date(2026, 3, 1)


@pytest.fixture(scope="module")
def relay(tmp_path_factory):
    """The labelled 60-day log, and a database the CLI ingested it into."""
    if not EVAL.exists():
        pytest.fail(f"{EVAL} is missing: build it with cargo build -p smtplog-benches")
    tmp = tmp_path_factory.mktemp("anomalies")
    log = tmp / "relay.log"
    subprocess.run(
        [str(EVAL), "--normal", "20", "--per-kind", "1", "--start", START.isoformat(),
         "--log", str(log)],
        check=True, capture_output=True,
    )
    db = tmp / "cli.db"
    cli("--db", db, "--tz", "Asia/Taipei", "ingest", "--json", log)
    return log, db


def test_anomalies_equal_the_cli_json_every_day(relay, tmp_path):
    log, cli_db = relay
    flagged = 0
    with smtplog.Store(tmp_path / "py.db", tz="Asia/Taipei") as store:
        store.ingest(log)
        for n in range(30, 60):
            day = START + datetime.timedelta(days=n)
            want = cli_json("--db", cli_db, "--tz", "Asia/Taipei", "anomalies",
                            "--day", day, "--json", "--lang", "en")
            assert store.anomalies(day, lang="en") == want, day
            flagged += len(want)
        # The generator's stolen and attacked accounts are flagged on some of these days.
        assert flagged > 0
        day = (START + datetime.timedelta(days=59)).isoformat()
        zh = cli_json("--db", cli_db, "--tz", "Asia/Taipei", "anomalies", "--day", day, "--json")
        assert store.anomalies(day) == zh


def test_anomalies_bad_arguments(relay, tmp_path):
    with smtplog.Store(tmp_path / "py.db", tz="UTC") as store:
        with pytest.raises(ValueError, match="lang"):
            store.anomalies("2026-03-01", lang="fr")
        with pytest.raises(ValueError, match="day"):
            store.anomalies("2026-13-01")
        with pytest.raises(TypeError, match="day"):
            store.anomalies(20260301)


def first_flagged_offset(cli_db):
    """The first day (days after START) of the second half that the CLI flags."""
    for n in range(30, 60):
        day = START + datetime.timedelta(days=n)
        if cli_json("--db", cli_db, "--tz", "Asia/Taipei", "anomalies", "--day", day, "--json"):
            return n
    pytest.fail("the labelled relay has no flagged day")


def test_notify_so_far_warns_todays_anomalies_once(relay, sink, tmp_path):
    _, cli_db = relay
    # The same relay moved so that its first flagged day is today (in the store's zone).
    today = datetime.datetime.now(ZoneInfo("Asia/Taipei")).date()
    start = today - datetime.timedelta(days=first_flagged_offset(cli_db))
    log = tmp_path / "today.log"
    subprocess.run(
        [str(EVAL), "--normal", "20", "--per-kind", "1", "--start", start.isoformat(),
         "--log", str(log)],
        check=True, capture_output=True,
    )
    cfg = write_config(tmp_path / "c.toml", port=sink.port, allowed=["example.edu.tw"],
                       timezone="Asia/Taipei")
    with smtplog.Store(tmp_path / "py.db", config=smtplog.Config.load(cfg)) as store:
        store.ingest(log)
        with pytest.raises(ValueError, match="so_far"):
            store.notify(today, so_far=True)
        flagged = {f["email"]: f for f in store.anomalies(today)}
        assert flagged

        planned = store.notify(so_far=True, dry_run=True)
        assert {p["email"] for p in planned} == set(flagged)
        assert {p["outcome"] for p in planned} == {"would_send"}
        assert sink.received() == []

        first = store.notify(so_far=True)
        assert {n["email"] for n in first} == set(flagged)
        assert {n["outcome"] for n in first} == {"sent"}
        for n in first:
            assert n["anomaly"] == flagged[n["email"]]
        mailed = [m["rcpt_tos"] for m in sink.received()]
        assert sorted(mailed) == sorted([e] for e in flagged)

        again = store.notify(so_far=True)
        assert {n["outcome"] for n in again} == {"already_sent"}
        # The day's run (thresholds and signs) mails nobody of them a second time.
        day_run = store.notify(today)
        for n in day_run:
            if n["email"] in flagged:
                assert n["outcome"] == "already_sent"
        later = [m["rcpt_tos"] for m in sink.received()[len(mailed):]]
        assert not [r for r in later if r[0] in flagged]
