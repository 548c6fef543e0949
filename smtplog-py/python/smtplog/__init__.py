"""smtplog: Postfix relay logs into per-sender sending histories."""

from ._smtplog import version

__all__ = ["version"]
