"""The mail side against the real SMTP sink on loopback: a report goes to its owner only,
after the core's policy; the daily warnings are mailed once, sharing their record with
`smtplog notify`."""

import datetime as dt

import pytest

import smtplog
from conftest import cli, loggen, write_config


@pytest.fixture
def yesterday_store(tmp_path, sink):
    """A store of a generated log of yesterday (UTC), configured to mail through the sink
    and to warn senders with at least 40 records or 5 bounces in a day."""
    day = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1)
    log = loggen(tmp_path / "y.log", "--lines", 6000, "--senders", 25, "--days", 1,
                 "--start", day.isoformat(), "--format", "rfc3339", "--seed", 3)
    cfg = write_config(tmp_path / "c.toml", port=sink.port, allowed=["example.edu"],
                       notify_sum=40, notify_bounced=5)
    config = smtplog.Config.load(cfg)
    store = smtplog.Store(tmp_path / "y.db", config=config)
    assert store.tz == "UTC"
    store.ingest(log)
    yield store, day, cfg
    store.close()


def test_a_report_goes_to_its_owner_only(yesterday_store, sink):
    store, day, _ = yesterday_store
    (email, counts), *_ = sorted(store.offenders(day, sum_threshold=1), key=lambda o: -o[1].sum)
    sent = store.send_report(email, day, day.isoformat(), client_ip="192.0.2.7", lang="en")
    assert sent["to"] == email and sent["records"] == counts.sum and not sent["zipped"]
    (mail,) = sink.received()
    assert mail["rcpt_tos"] == [email]
    headers = dict(mail["headers"])
    assert headers["To"] == email
    assert headers["Message-ID"] == sent["message_id"]
    assert headers["Auto-Submitted"] == "auto-generated"

    unsent = store.send_report(email, day, day, send=False)
    assert "Auto-Submitted: auto-generated" in unsent["message"]
    assert len(sink.received()) == 1

    with pytest.raises(smtplog.PolicyError):
        store.send_report("someone@evil.example.org", day, day)
    with pytest.raises(smtplog.PolicyError, match="days"):
        store.send_report(email, day - dt.timedelta(days=40), day)
    assert len(sink.received()) == 1


def test_the_daily_warnings_are_mailed_once(yesterday_store, sink, tmp_path):
    store, day, cfg = yesterday_store
    planned = store.notify(day, dry_run=True)
    due = [p["email"] for p in planned if p["outcome"] == "would_send"]
    assert due and len(due) == len(planned)
    assert sink.received() == []

    first = store.notify()  # yesterday by default
    assert sorted(n["email"] for n in first if n["outcome"] == "sent") == sorted(due)
    for n in first:
        assert n["sum"] >= 40 or n["bounced"] >= 5
        assert n["reasons"]
    mails = sink.received()
    assert sorted(m["rcpt_tos"][0] for m in mails) == sorted(due)
    assert all(len(m["rcpt_tos"]) == 1 for m in mails)

    second = store.notify(day.isoformat())
    assert {n["outcome"] for n in second} == {"already_sent"}
    assert len(sink.received()) == len(due)

    # The CLI's notify reads the same record of warnings sent: nobody is mailed twice.
    out = cli("--db", store.path, "--config", cfg, "notify", "--day", day.isoformat()).stdout
    assert f"{day}: 0 warned, {len(due)} already warned, 0 failed" in out
    assert len(sink.received()) == len(due)


def test_a_failed_warning_is_reported_and_retried(yesterday_store, sink, tmp_path):
    store, day, _ = yesterday_store
    due = [p["email"] for p in store.notify(day, dry_run=True)]
    sink.stop()
    with pytest.raises(smtplog.MailError, match="could not be delivered") as failed:
        store.notify(day)
    assert {n["outcome"] for n in failed.value.notices} == {"failed"}
    assert sorted(n["email"] for n in failed.value.notices) == sorted(due)
    assert [p["outcome"] for p in store.notify(day, dry_run=True)] == ["would_send"] * len(due)
