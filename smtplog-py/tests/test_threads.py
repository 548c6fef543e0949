"""Threads: the GIL is released while the core works, a Store is shared by threads
(reads side by side, writes one at a time), and readers keep working while another
process ingests into the same database."""

import subprocess
import threading

import smtplog
from conftest import CLI, cli_json, loggen

BEGIN, END = "2026-03-01", "2026-03-07"


def busiest(store):
    senders = {}
    for day in ("2026-03-01", "2026-03-02", "2026-03-03"):
        for email, d in store.offenders(day, sum_threshold=1):
            senders[email] = senders.get(email, 0) + d.sum
    return sorted(senders, key=lambda e: -senders[e])[:4]


def test_python_threads_run_while_an_ingest_works(tmp_path):
    log = loggen(tmp_path / "g.log", "--lines", 150000, "--seed", 11)
    small = loggen(tmp_path / "s.log", "--lines", 5000, "--seed", 11)
    with smtplog.Store(tmp_path / "t.db", tz="UTC") as store:
        store.ingest(small, year=2026)
        email = busiest(store)[0]
        done = threading.Event()
        result = {}

        def ingest():
            result["summary"] = store.ingest(log, year=2026)
            done.set()

        worker = threading.Thread(target=ingest)
        worker.start()
        reads = 0
        while not done.is_set():
            # Each call needs the GIL: it can only finish while the ingest has let go of it.
            store.stats(email, BEGIN, END)
            reads += 1
        worker.join()
        assert result["summary"]["records_stored"] > 0
        assert reads >= 10, f"{reads} reads finished during the ingest: the GIL was held"


def test_one_store_shared_by_reader_threads_while_another_process_ingests(tmp_path):
    log = loggen(tmp_path / "g.log", "--lines", 100000, "--seed", 5)
    db = tmp_path / "shared.db"
    with smtplog.Store(db, tz="UTC") as store:
        store.ingest(loggen(tmp_path / "first.log", "--lines", 5000, "--seed", 5), year=2026)
        emails = busiest(store)
        assert len(emails) == 4
        proc = subprocess.Popen(
            [str(CLI), "--db", str(db), "--tz", "UTC", "ingest", "--year", "2026", str(log)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        errors, counts = [], {}

        def reader(email):
            n, last = 0, -1
            try:
                while proc.poll() is None or n < 3:
                    table = store.stats(email, BEGIN, END)
                    report = store.query(email, BEGIN, END, lang="en")
                    lazily = sum(1 for _ in store.records(email, BEGIN, END))
                    # Batches commit whole: what a reader sees never shrinks.
                    assert table.total.sum >= last
                    assert report.total.sum >= table.total.sum
                    assert lazily >= report.total.sum
                    last = lazily
                    n += 1
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(f"{email}: {e!r}")
            counts[email] = n

        threads = [threading.Thread(target=reader, args=(e,)) for e in emails]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert proc.wait() == 0, proc.stderr.read().decode()
        assert errors == []
        assert all(counts[e] >= 3 for e in emails), counts
        for email in emails:
            theirs = cli_json("--db", db, "--tz", "UTC", "stats", "--email", email,
                              "--begin", BEGIN, "--end", END, "--json")
            assert store.stats(email, BEGIN, END).to_dict() == theirs


def test_parallel_reads_give_the_serial_answers(tmp_path):
    log = loggen(tmp_path / "g.log", "--lines", 20000, "--seed", 9)
    with smtplog.Store(tmp_path / "p.db", tz="UTC") as store:
        store.ingest(log, year=2026)
        emails = busiest(store)
        serial = {e: store.query(e, BEGIN, END).render("json") for e in emails}
        got, lock = {}, threading.Lock()

        def work(email):
            for _ in range(5):
                text = store.query(email, BEGIN, END).render("json")
                with lock:
                    got.setdefault(email, set()).add(text)

        threads = [threading.Thread(target=work, args=(e,)) for e in emails * 2]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert got == {e: {serial[e]} for e in emails}
