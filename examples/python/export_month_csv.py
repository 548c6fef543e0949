#!/usr/bin/env python3
"""Export one sender's records of a month to CSV (the same CSV as `smtplog query
--format csv`), on standard output or into a file.

    python3 export_month_csv.py --db smtplog.db --tz Asia/Taipei alice@dept.example.edu 2026-11 > alice.csv
"""

import argparse
import calendar
import datetime as dt
import sys

import smtplog


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("email", help="the sender's address")
    ap.add_argument("month", help="the month, YYYY-MM")
    ap.add_argument("--db", default="smtplog.db", help="the database (default smtplog.db)")
    ap.add_argument("--tz", help="the zone of the days (default: $TZ, else the system's)")
    ap.add_argument("--labels", action="store_true", help="head the columns with zh_TW/en labels")
    ap.add_argument("--bom", action="store_true", help="start with a UTF-8 BOM (for spreadsheets)")
    ap.add_argument("--lang", default="en", help="the labels' language: en or zh_TW")
    ap.add_argument("-o", "--output", help="write to this file instead of standard output")
    args = ap.parse_args()

    try:
        year, month = (int(x) for x in args.month.split("-"))
        first = dt.date(year, month, 1)
    except ValueError:
        print(f"month: expected YYYY-MM, not {args.month!r}", file=sys.stderr)
        return 2
    last = first.replace(day=calendar.monthrange(year, month)[1])
    try:
        with smtplog.Store(args.db, tz=args.tz, read_only=True) as store:
            report = store.query(args.email, first, last, lang=args.lang)
    except smtplog.Error as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    text = report.render("csv", bom=args.bom, csv_labels=args.labels)
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    else:
        sys.stdout.reconfigure(newline="")
        sys.stdout.write(text)
    print(f"{len(report.records)} records of {args.email}, {first} to {last}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
