#!/usr/bin/env python3
"""Cross-check `smtplog parse` against independent regular expressions.

Usage: scripts/corpus-table.py [--smtplog PATH] DIR...

For every *.log file in the given directories (not recursive), counts the lines of six
shapes with simple regular expressions written from Postfix's own format strings (not
from our parser), runs `smtplog parse --summary --year 2020 --tz UTC --samples 100000
FILE`, and prints one markdown table: per file the line count, our unrecognized and
malformed counts, and for each shape `grep/ours`, marked `!` when they differ. Then it
lists every line our parser left unrecognized.

The regular expressions only look at lines with a header: a timestamp (classic syslog or
RFC 3339, optionally behind a container runtime's RFC 3339 prefix), an optional host or
level word, and a program tag that starts with `postfix` (`postfix/smtpd[123]: `,
`postfix-out/submission/smtpd[1] `, `postfix[662]: `). Payload-only lines are not counted.

Standard library only.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys

# Queue IDs (postconf.proto, enable_long_queue_ids): short ones are upper-case hex;
# long ones use 0-9 and the letters without vowels.
QID = r"(?:[0-9A-F]{6,}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,})"
QID_OR_NOQUEUE = rf"(?:{QID}|NOQUEUE)"

# A header: [RFC 3339 prefix] TIMESTAMP [HOST|LEVEL] TAG[PID][:] MESSAGE
_SYSLOG_TIME = r"[A-Z][a-z]{2} {1,2}\d{1,2} \d\d:\d\d:\d\d"
_RFC3339 = r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)"
HEADER = re.compile(
    rf"^(?:{_RFC3339} )?(?:{_SYSLOG_TIME}|{_RFC3339}) +(?:\S+ +)?"
    r"/?postfix[^ \[]*(?:\[\d+\])?:? (?P<msg>.*)$"
)

# The shapes, matched against the message after the tag.
SHAPES = {
    # smtpd.c: "%s: client=%s..."
    "client": re.compile(rf"^{QID_OR_NOQUEUE}: client=\S"),
    # opened.c via qmgr: "%s: from=<%s>, size=%ld, nrcpt=%d"
    "queued": re.compile(rf"^{QID}: from=<.*>, size=\d+, nrcpt=\d+"),
    # log_adhoc.c: "%s: to=<%s>, ... status=%s (%s)"
    "delivery": re.compile(rf"^{QID}: to=<.*>, .*\bstatus=[A-Za-z-]+"),
    # qmgr_active.c: "%s: from=<%s>, status=%s, returned to sender"
    "expired": re.compile(rf"^{QID}: from=<.*>, status=(?:force-)?expired, returned to sender\s*$"),
    # qmgr / postsuper: "%s: removed"
    "removed": re.compile(rf"^{QID}: removed\s*$"),
    # smtpd_check.c log_whatsup, cleanup_message.c cleanup_act_log, milters, proxies.
    "reject": re.compile(
        rf"^{QID_OR_NOQUEUE}: (?:reject|reject_warning|defer|discard|hold|filter|redirect"
        r"|milter-[a-z-]+|proxy-reject|proxy-accept|warning|info|replace|prepend|strip|bcc"
        r"|defer_if_permit): "
    ),
}


def grep_counts(path):
    """Counts per shape with the regular expressions above."""
    counts = dict.fromkeys(SHAPES, 0)
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for raw in lines:
        line = raw.decode("utf-8", "replace").rstrip("\r")
        m = HEADER.match(line)
        if not m:
            continue
        msg = m.group("msg")
        for name, rx in SHAPES.items():
            if rx.search(msg):
                counts[name] += 1
    return counts, len(lines)


def our_summary(smtplog, path):
    out = subprocess.run(
        [smtplog, "parse", "--summary", "--year", "2020", "--tz", "UTC",
         "--samples", "100000", path],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def find_smtplog(given):
    if given:
        return given
    here = os.path.dirname(os.path.abspath(__file__))
    for rel in ("../target/release/smtplog", "../target/debug/smtplog"):
        p = os.path.normpath(os.path.join(here, rel))
        if os.access(p, os.X_OK):
            return p
    p = shutil.which("smtplog")
    if p:
        return p
    sys.exit("smtplog not found: build it (cargo build -p smtplog-cli) or pass --smtplog")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smtplog", help="the smtplog binary (default: target/*/smtplog)")
    ap.add_argument("dirs", nargs="+", metavar="DIR")
    args = ap.parse_args()
    smtplog = find_smtplog(args.smtplog)

    files = []
    for d in args.dirs:
        files += sorted(
            os.path.join(d, n) for n in os.listdir(d)
            if n.endswith(".log") and os.path.isfile(os.path.join(d, n))
        )

    kinds = list(SHAPES)
    print("| file | lines | unrecognized | malformed | " + " | ".join(kinds) + " |")
    print("|---|--:|--:|--:|" + "--:|" * len(kinds))
    unrecognized = []
    totals = {"lines": 0, "unrec": 0, "malformed": 0}
    grep_total = dict.fromkeys(kinds, 0)
    ours_total = dict.fromkeys(kinds, 0)
    mismatched_files = 0
    for path in files:
        grep, nlines = grep_counts(path)
        ours = our_summary(smtplog, path)
        if ours["lines"] != nlines:
            print(f"warning: {path}: {nlines} lines here, {ours['lines']} in smtplog",
                  file=sys.stderr)
        cells = []
        any_mismatch = False
        for k in kinds:
            g, o = grep[k], ours["by_kind"].get(k, 0)
            grep_total[k] += g
            ours_total[k] += o
            mark = "" if g == o else " !"
            any_mismatch |= g != o
            cells.append(f"{g}/{o}{mark}")
        mismatched_files += any_mismatch
        totals["lines"] += ours["lines"]
        totals["unrec"] += ours["unrecognized_postfix"]
        totals["malformed"] += ours["malformed"]
        name = os.path.basename(path)
        print(f"| {name} | {ours['lines']} | {ours['unrecognized_postfix']} | "
              f"{ours['malformed']} | " + " | ".join(cells) + " |")
        for line in ours["samples"]["unrecognized_postfix"]:
            unrecognized.append((name, line))
    cells = [
        f"{grep_total[k]}/{ours_total[k]}" + ("" if grep_total[k] == ours_total[k] else " !")
        for k in kinds
    ]
    print(f"| **total ({len(files)} files)** | {totals['lines']} | {totals['unrec']} | "
          f"{totals['malformed']} | " + " | ".join(cells) + " |")
    print()
    print(f"Files with a mismatch: {mismatched_files} of {len(files)}.")
    print()
    print(f"## Unrecognized Postfix lines ({len(unrecognized)})")
    print()
    for name, line in unrecognized:
        print(f"- `{name}`: `{line}`")


if __name__ == "__main__":
    main()
