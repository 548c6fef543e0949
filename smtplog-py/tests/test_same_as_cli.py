"""The module gives what the `smtplog` command gives, on the same logs: the ingest
summary, parse objects, daily tables, and reports in every format and language (the
same bytes), on the real Postfix fixtures and on a generated log."""

import datetime as dt
import json
import re

import pytest

import smtplog
from conftest import FIXTURES, cli, cli_json, loggen

# (name, log, year, zone, first day, last day)
CASES = [
    ("run1", FIXTURES / "postfix" / "run1" / "syslog.log", 2026, "Asia/Taipei", "2026-11-28", "2026-11-29"),
    ("run2", FIXTURES / "postfix" / "run2" / "rfc3339.log", 2026, "Asia/Taipei", "2026-11-27", "2026-11-30"),
    ("filter-smtp", FIXTURES / "postfix" / "filter-smtp" / "syslog.log", 2026, "Asia/Taipei", "2026-12-02", "2026-12-04"),
    ("report", FIXTURES / "report" / "mail.log", 2020, "Asia/Taipei", "2020-02-09", "2020-02-15"),
    ("generated", None, 2026, "UTC", "2026-03-01", "2026-03-07"),
]

TIME = re.compile(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d")


def same_but_generated(mine, theirs):
    """Equal, except that the header's generation time (a second apart at most) may
    differ: on one line at most, and only in a timestamp."""
    if mine == theirs:
        return True
    a, b = mine.split("\n"), theirs.split("\n")
    if len(a) != len(b):
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 1 and TIME.sub("T", a[diff[0]]) == TIME.sub("T", b[diff[0]])


@pytest.fixture(scope="module", params=CASES, ids=[c[0] for c in CASES])
def case(request, tmp_path_factory):
    name, log, year, tz, begin, end = request.param
    tmp = tmp_path_factory.mktemp(name)
    if log is None:
        log = loggen(tmp / "generated.log", "--lines", 20000, "--senders", 40, "--seed", 7)
    py_db, cli_db = tmp / "py.db", tmp / "cli.db"
    store = smtplog.Store(py_db, tz=tz)
    summary = store.ingest(log, year=year)
    cli_summary = cli_json("--db", cli_db, "--tz", tz, "ingest", "--json", "--year", year, log)
    days = [dt.date.fromisoformat(begin) + dt.timedelta(days=i)
            for i in range((dt.date.fromisoformat(end) - dt.date.fromisoformat(begin)).days + 1)]
    senders = sorted({email for d in days for email, _ in store.offenders(d, sum_threshold=1)})
    yield dict(name=name, log=log, year=year, tz=tz, begin=begin, end=end, store=store,
               summary=summary, cli_summary=cli_summary, cli_db=cli_db, senders=senders)
    store.close()


def test_ingest_summary_is_the_cli_json(case):
    mine, theirs = dict(case["summary"]), dict(case["cli_summary"])
    for timing in ("elapsed_seconds", "lines_per_second"):
        assert isinstance(mine.pop(timing), float)
        theirs.pop(timing)
    assert mine == theirs
    assert mine["records_stored"] > 0


def test_stats_is_the_cli_json(case):
    assert case["senders"], "the log has senders"
    for email in case["senders"]:
        table = case["store"].stats(email, case["begin"], case["end"])
        theirs = cli_json("--db", case["cli_db"], "--tz", case["tz"], "stats", "--email", email,
                          "--begin", case["begin"], "--end", case["end"], "--json")
        assert table.to_dict() == theirs
        assert [d.to_dict() for d in table.days] == theirs["days"]
        assert table.total.to_dict() == theirs["total"]
        assert table.total.sum == sum(d.sum for d in table.days)
        assert table.days[0].date == dt.date.fromisoformat(case["begin"])
        assert table.total.date is None


@pytest.mark.parametrize("lang", ["zh_TW", "en"])
def test_reports_are_the_cli_output_in_every_format(case, lang):
    store = case["store"]
    for email in case["senders"][:12]:
        report = store.query(email, case["begin"], dt.date.fromisoformat(case["end"]), lang=lang)
        args = ["--db", case["cli_db"], "--tz", case["tz"], "query", "--email", email,
                "--begin", case["begin"], "--end", case["end"], "--lang", lang]
        json_text = cli(*args, "--format", "json").stdout
        assert report.render("json") == json_text
        assert report.to_dict() == json.loads(json_text)
        assert [r.to_dict() for r in report.records] == json.loads(json_text)["records"]
        for fmt in ("text", "html", "csv", "csv-daily"):
            theirs = cli(*args, "--format", fmt).stdout
            assert same_but_generated(report.render(fmt), theirs), f"{email} {fmt} {lang}"
        labelled = cli(*args, "--format", "csv", "--bom", "--csv-labels").stdout
        assert report.render("csv", bom=True, csv_labels=True) == labelled
        linked = cli(*args, "--contact-url", "https://example.edu/help").stdout
        assert same_but_generated(report.render("text", contact_url="https://example.edu/help"), linked)
        assert report.email == email and report.lang == lang and report.timezone == case["tz"]
        assert report.total.sum == len(report.records)


def test_records_iterates_the_report_rows(case):
    store = case["store"]
    for email in case["senders"][:12]:
        report = store.query(email, case["begin"], case["end"])
        lazily = list(store.records(email, case["begin"], case["end"]))
        assert lazily == report.records
        for r in lazily:
            assert r.time.tzinfo is not None and r.time.utcoffset() is not None
            # The JSON contract writes whole seconds; the time keeps its milliseconds.
            assert r.time.replace(microsecond=0).isoformat() == r.to_dict()["time"]


def test_parse_file_and_parse_line_are_the_cli_parse(case):
    theirs = [json.loads(line) for line in
              cli("--tz", case["tz"], "parse", "--year", case["year"], case["log"]).stdout.splitlines()]
    mine = list(smtplog.parse_file(case["log"], year=case["year"], tz=case["tz"]))
    assert mine == theirs
    if case["name"] != "generated":
        with open(case["log"], encoding="utf-8", errors="replace") as f:
            by_line = [smtplog.parse_line(line, year=case["year"], tz=case["tz"]) for line in f]
        assert [p for p in by_line if p is not None] == theirs


def test_trace_finds_every_record_of_a_queue_id(case):
    store = case["store"]
    queued = []
    for email in case["senders"]:
        report = store.query(email, case["begin"], case["end"])
        queued = [r for r in report.records if r.queue_id != "NOQUEUE"]
        if queued:
            break
    assert queued
    qid = queued[0].queue_id
    traced = store.trace(qid)
    asked = [t for t in traced if t["found"] == "asked"]
    assert all(t["queue_id"] == qid for t in asked)
    mine = {(r.to_dict()["time"], r.status, r.recipient) for r in queued if r.queue_id == qid}
    assert mine <= {(t["time"], t["status"], t["recipient"]) for t in asked}
    assert store.trace("NOSUCHQUEUEID") == []
