#!/usr/bin/env python3
"""List the day's top senders by number of records, with their bounces and refusals.

    python3 top_senders.py --db smtplog.db --tz Asia/Taipei [--day YYYY-MM-DD] [--top 20]

The day defaults to today in the zone. Nobody is mailed.
"""

import argparse
import datetime as dt
import sys
import zoneinfo

import smtplog


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="smtplog.db", help="the database (default smtplog.db)")
    ap.add_argument("--tz", help="the zone of the day (default: $TZ, else the system's)")
    ap.add_argument("--day", help="YYYY-MM-DD (default: today)")
    ap.add_argument("--top", type=int, default=20, help="how many senders (default 20)")
    args = ap.parse_args()

    try:
        with smtplog.Store(args.db, tz=args.tz, read_only=True) as store:
            day = args.day or dt.datetime.now(zoneinfo.ZoneInfo(store.tz)).date()
            senders = store.offenders(day, sum_threshold=1)
    except smtplog.Error as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    senders.sort(key=lambda s: (-s[1].sum, s[0]))
    print(f"{'sender':40} {'sum':>6} {'sent':>6} {'bounced':>7} {'deferred':>8} {'auth_blk':>8}")
    for email, d in senders[: args.top]:
        print(f"{email:40} {d.sum:6} {d.sent:6} {d.bounced:7} {d.deferred:8} {d.auth_blk:8}")
    print(f"{len(senders)} senders on {day}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
