"""Type stubs of the native part of smtplog (checked against it by mypy.stubtest)."""

import datetime
import os
import pathlib
from typing import Any, Iterator, Optional, Sequence, Union, final

from typing_extensions import Self

_Date = Union[datetime.date, str]
_Path = Union[str, os.PathLike[str]]

__all__ = [
    "__version__",
    "Error",
    "PolicyError",
    "StoreError",
    "BusyError",
    "InputError",
    "ConfigError",
    "MailError",
    "parse_line",
    "parse_file",
    "ParsedLines",
    "Store",
    "Records",
    "Day",
    "Table",
    "Report",
    "Record",
    "Config",
]

__version__: str

class Error(Exception):
    """The base of every error smtplog raises."""

class PolicyError(Error):
    """Refused by the service's policy: nothing was built or sent."""

class StoreError(Error):
    """The database could not be opened, read or written."""

class BusyError(StoreError):
    """Another ingest into the same database is running."""

class InputError(Error):
    """A log could not be read to its end."""

class ConfigError(Error):
    """The configuration is not valid, or lacks a key the work needs."""

class MailError(Error):
    """A mail could not be composed or delivered."""

def parse_line(
    line: str, *, year: Optional[int] = None, tz: Optional[str] = None
) -> Optional[dict[str, Any]]:
    """The `smtplog parse` object of one line, or None when it is not a Postfix line."""

def parse_file(
    path: _Path, *, year: Optional[int] = None, tz: Optional[str] = None
) -> ParsedLines:
    """The `smtplog parse` objects of a log file's Postfix lines, lazily."""

@final
class ParsedLines:
    """An iterator over parsed lines (see parse_file)."""
    def __iter__(self) -> Self: ...
    def __next__(self) -> dict[str, Any]: ...

@final
class Day:
    """One day of a daily table, or the total of a range (date None)."""
    @property
    def date(self) -> Optional[datetime.date]: ...
    @property
    def sum(self) -> int: ...
    @property
    def auth_blk(self) -> int: ...
    @property
    def auth_rcv(self) -> int: ...
    @property
    def bounced(self) -> int: ...
    @property
    def deferred(self) -> int: ...
    @property
    def expired(self) -> int: ...
    @property
    def sent(self) -> int: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...

@final
class Table:
    """One sender's daily table over a range of days."""
    @property
    def email(self) -> str: ...
    @property
    def begin(self) -> datetime.date: ...
    @property
    def end(self) -> datetime.date: ...
    @property
    def days(self) -> list[Day]: ...
    @property
    def total(self) -> Day: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...

@final
class Record:
    """One record of a sender's history."""
    @property
    def no(self) -> int: ...
    @property
    def time(self) -> datetime.datetime: ...
    @property
    def status(self) -> str: ...
    @property
    def queue_id(self) -> str: ...
    @property
    def recipient(self) -> Optional[str]: ...
    @property
    def orig_recipient(self) -> Optional[str]: ...
    @property
    def sender(self) -> Optional[str]: ...
    @property
    def sender_ip(self) -> Optional[str]: ...
    @property
    def sasl_user(self) -> Optional[str]: ...
    @property
    def smtp_relay(self) -> str: ...
    @property
    def relay(self) -> Optional[str]: ...
    @property
    def dsn(self) -> Optional[str]: ...
    @property
    def delay(self) -> Optional[float]: ...
    @property
    def response(self) -> Optional[str]: ...
    @property
    def message_id(self) -> Optional[str]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...

@final
class Report:
    """One sender's report over a range of days."""
    @property
    def email(self) -> str: ...
    @property
    def begin(self) -> datetime.date: ...
    @property
    def end(self) -> datetime.date: ...
    @property
    def lang(self) -> str: ...
    @property
    def client_ip(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def days(self) -> list[Day]: ...
    @property
    def total(self) -> Day: ...
    @property
    def records(self) -> list[Record]: ...
    def render(
        self,
        format: str = "text",
        *,
        contact_url: Optional[str] = None,
        bom: bool = False,
        csv_labels: bool = False,
    ) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...

@final
class Records:
    """The records of one sender over a range, read a chunk at a time."""
    def __iter__(self) -> Self: ...
    def __next__(self) -> Record: ...

@final
class Config:
    """A configuration file (TOML), every key checked."""
    @staticmethod
    def load(path: _Path) -> Config: ...
    @property
    def path(self) -> pathlib.Path: ...
    @property
    def db(self) -> Optional[pathlib.Path]: ...
    @property
    def timezone(self) -> Optional[str]: ...
    @property
    def allowed_domains(self) -> list[str]: ...
    @property
    def notify_sum(self) -> int: ...
    @property
    def notify_bounced(self) -> int: ...
    def to_toml(self) -> str: ...

@final
class Store:
    """A smtplog database, a context manager usable from several threads."""
    def __new__(
        cls,
        path: _Path,
        *,
        tz: Optional[str] = None,
        config: Optional[Config] = None,
        read_only: bool = False,
    ) -> Store: ...
    @property
    def path(self) -> pathlib.Path: ...
    @property
    def tz(self) -> str: ...
    @property
    def read_only(self) -> bool: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *_args: object) -> bool: ...
    def ingest(
        self, paths: Union[_Path, Sequence[_Path]], *, year: Optional[int] = None
    ) -> dict[str, Any]: ...
    def stats(self, email: str, begin: _Date, end: _Date) -> Table: ...
    def query(
        self,
        email: str,
        begin: _Date,
        end: _Date,
        *,
        client_ip: Optional[str] = None,
        lang: str = "zh_TW",
    ) -> Report: ...
    def records(self, email: str, begin: _Date, end: _Date) -> Records: ...
    def trace(self, queue_id_or_message_id: str) -> list[dict[str, Any]]: ...
    def anomalies(
        self, day: _Date, *, lang: Optional[str] = None
    ) -> list[dict[str, Any]]: ...
    def offenders(
        self, day: _Date, *, sum_threshold: int = 250, bounced_threshold: int = 10
    ) -> list[tuple[str, Day]]: ...
    def send_report(
        self,
        email: str,
        begin: _Date,
        end: _Date,
        *,
        client_ip: str = "127.0.0.1",
        lang: Optional[str] = None,
        send: bool = True,
    ) -> dict[str, Any]: ...
    def notify(
        self, day: Optional[_Date] = None, *, dry_run: bool = False, so_far: bool = False
    ) -> list[dict[str, Any]]: ...
