"""smtplog: Postfix relay logs into per-sender sending histories.

The same parser, correlator, store, reports and mail as the ``smtplog`` command, for
Python scripts::

    import smtplog
    with smtplog.Store("smtplog.db", tz="Asia/Taipei") as store:
        store.ingest("/var/log/mail.log")
        report = store.query("alice@dept.example.edu", "2026-11-28", "2026-11-29", lang="en")
        print(report.render("text"))

Dates are accepted as ``datetime.date`` or ``"YYYY-MM-DD"``; times come back as aware
``datetime`` objects. Every error smtplog raises is a ``smtplog.Error``; bad arguments
raise ``ValueError``/``TypeError`` naming the argument, a missing file
``FileNotFoundError``.
"""

from ._smtplog import (
    BusyError,
    Config,
    ConfigError,
    Day,
    Error,
    InputError,
    MailError,
    ParsedLines,
    PolicyError,
    Record,
    Records,
    Report,
    Store,
    StoreError,
    Table,
    __version__,
    parse_file,
    parse_line,
)

__all__ = [
    "BusyError",
    "Config",
    "ConfigError",
    "Day",
    "Error",
    "InputError",
    "MailError",
    "ParsedLines",
    "PolicyError",
    "Record",
    "Records",
    "Report",
    "Store",
    "StoreError",
    "Table",
    "__version__",
    "parse_file",
    "parse_line",
]
