#!/usr/bin/env python3
"""postfix-fixtures check: does a recorded log agree with its truth.json?

usage: check.py OUTDIR        (reads OUTDIR/truth.json and every one of
                               OUTDIR/maillog.log, syslog.log, rfc3339.log)

A deliberately small reader, independent of smtplog and of truth.py: a few
regular expressions over the lines, queue IDs followed from qmgr "from=" to
"removed". For each log it
  * counts records per sender (lower-cased) the way docs/records.md's status table
    defines them: sent / deferred / bounced delivery lines, expired = recipients
    still deferred when qmgr logs status=expired, auth_rcv = first qmgr from=
    of a queue ID whose smtpd client= line had sasl_username=, auth_blk =
    "reject:" lines by from=, plus SASL failure warnings by sasl_username=;
    mail from <> is nobody's;
  * compares that table with truth.json "senders";
  * checks the final status (sent / bounced / expired) of every recipient
    listed in truth.json "recipients", found through the Message-ID;
  * checks that every queue ID that was opened was also removed;
  * with a content filter (run.sh FILTER=...): skips the hop deliveries (to
    127.0.0.1:10024 or to the pipe transport pfilter), links each message to
    its copy ("queued as ID" of the hop or of the front smtpd's proxy-accept
    line; for pfilter, the pickup message of user nobody with the same
    Message-ID), checks that each hop made one copy of the same sender that
    reached a final status for every hop recipient, and counts auth_rcv on the
    message the client submitted (for a proxied message, the login of the
    front smtpd's "NOQUEUE: client=" line);
and then compares the three logs with each other (same records, in the same
order, apart from the time stamps).

Exit status 0 when everything agrees, 1 otherwise. stdlib only.
"""

import collections
import json
import os
import re
import sys

LINE = re.compile(
    r"^(?P<ts>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d"
    r"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d))"
    r" (?P<host>\S+) (?P<prog>[^\s\[:]+)(?:\[(?P<pid>\d+)\])?: (?P<msg>.*)$")
QID = re.compile(r"^([0-9A-F]{6,}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,}): (.*)$")
DELIVERY = re.compile(r"^to=<([^>]*)>,(?: orig_to=<[^>]*>,)? relay=([^,]*),.*? status=(sent|deferred|bounced) (.*)$")
QMGR_FROM = re.compile(r"^from=<([^>]*)>, size=")
EXPIRED = re.compile(r"^from=<([^>]*)>, status=expired")
CLIENT = re.compile(r"^client=[^,]*(?:, sasl_method=[^,]*)?(?:, sasl_username=(.*?))?(?:, |$)")
ORIG_QID = re.compile(r", orig_queue_id=(\w+)")
PICKUP = re.compile(r"^uid=(\d+) from=<")
REJECT = re.compile(r"^(?:NOQUEUE|\w+): (?:reject|milter-reject): .*?; from=<([^>]*)>")
SASL_FAIL = re.compile(r"SASL \S+ authentication failed: .*, sasl_username=(\S+)$")
# content filters (run.sh FILTER=...): a delivery to the filter is a hop, not a record
HOP_RELAY = re.compile(r"^(?:pfilter|\S+:10024)$")
QUEUED_AS = re.compile(r"queued as (\w+)\)?$")
FRONT_CLIENT = re.compile(r"^NOQUEUE: (client=.*)$")
PROXY_ACCEPT = re.compile(r"^(?:\w+: )?proxy-accept: END-OF-MESSAGE: .*?queued as (\w+); from=<([^>]*)>")
PROXY_REJECT = re.compile(r"^(?:\w+: )?proxy-reject: ")
STATUSES = ["sent", "deferred", "bounced", "expired", "auth_rcv", "auth_blk"]
LOGS = ["maillog.log", "syslog.log", "rfc3339.log"]


def read_log(path):
    """Follow every queue ID from birth to 'removed'; count records per sender.

    A filter hop (a delivery to 127.0.0.1:10024 or to the pipe transport
    "pfilter") is not a record: it is kept in the message's "hops" and linked
    to the copy it made: through "queued as ID" (SMTP filter; the copy was born
    in the 10025 smtpd before the filter answered), or, for pfilter, through
    the Message-ID of a later pickup message of uid 65534 (nobody) with the
    same sender. A before-queue filter (smtpd_proxy_filter) has no original
    queue file: the front smtpd's "NOQUEUE: client=" line carries the SASL
    login and its "proxy-accept: ... queued as ID" names the message.
    """
    counts = collections.defaultdict(collections.Counter)
    live = {}            # qid -> state of the message now using it
    latest = {}          # qid -> the last message that used it (live or removed)
    messages = []        # every message, in order of birth
    by_msgid = collections.defaultdict(list)
    records = []         # (prog, pid, msg) for comparing logs
    unparsed = 0
    stats = collections.Counter()
    problems = []
    front = {}           # (prog, pid) of a proxying smtpd -> SASL login of its transaction

    def new(qid, n):
        st = {"qid": qid, "sender": None, "sasl": None, "msgid": None, "rcpt": {},
              "born": n, "removed": None, "uid": None, "orig_qid": None,
              "hops": [], "copies": [], "copy_of": None}
        live[qid] = latest[qid] = st
        messages.append(st)
        return st

    def link(orig, copy, n, kind):
        orig["copies"].append(copy)
        copy["copy_of"] = orig
        if copy["removed"] is not None and copy["removed"] < n:
            stats["%s hop lines after the copy's 'removed'" % kind] += 1

    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = LINE.match(line.rstrip("\n"))
            if not m:
                unparsed += 1
                continue
            n = len(records)
            prog, msg = m.group("prog"), m.group("msg")
            records.append((prog, m.group("pid"), msg))
            if not prog.startswith("postfix"):
                continue
            stats["postfix lines"] += 1
            r = REJECT.match(msg)
            if r:
                stats["reject lines"] += 1
                if r.group(1):
                    counts[r.group(1).lower()]["auth_blk"] += 1
                continue
            s = SASL_FAIL.search(msg)
            if s:
                stats["SASL failure lines naming a user"] += 1
                counts[s.group(1).lower()]["auth_blk"] += 1
                continue
            c = FRONT_CLIENT.match(msg)
            if c:
                cm = CLIENT.match(c.group(1))
                front[(prog, m.group("pid"))] = cm.group(1) if cm else None
                continue
            a = PROXY_ACCEPT.match(msg)
            if a:
                stats["proxy-accept lines"] += 1
                copy = latest.get(a.group(1))
                if copy is None:
                    problems.append("proxy-accept names %s, never born" % a.group(1))
                    continue
                copy["sasl"] = front.pop((prog, m.group("pid")), None)
                proxy = {"qid": "NOQUEUE", "sender": a.group(2).lower(), "copies": [],
                         "hops": [{"line": n, "rcpt": None, "status": "sent", "kind": "proxy"}]}
                link(proxy, copy, n, "proxy-accept")
                messages.append(proxy)
                continue
            if PROXY_REJECT.match(msg):
                stats["proxy-reject lines (not counted)"] += 1
                continue
            q = QID.match(msg)
            if not q:
                continue
            qid, rest = q.groups()
            daemon = prog.rsplit("/", 1)[-1]
            if daemon == "smtpd" and rest.startswith("client="):
                st = new(qid, n)
                c = CLIENT.match(rest)
                st["sasl"] = c.group(1) if c else None
                o = ORIG_QID.search(rest)
                st["orig_qid"] = o.group(1) if o else None
            elif daemon == "pickup" and PICKUP.match(rest):
                new(qid, n)["uid"] = PICKUP.match(rest).group(1)
            elif daemon == "cleanup" and rest.startswith("message-id="):
                st = live.get(qid) or new(qid, n)   # bounce notices start at cleanup
                st["msgid"] = rest[len("message-id="):].strip()
                by_msgid[st["msgid"]].append(st)
            elif daemon == "qmgr" and QMGR_FROM.match(rest):
                st = live.get(qid) or new(qid, n)
                if st["sender"] is None:
                    st["sender"] = QMGR_FROM.match(rest).group(1).lower()
            elif daemon == "qmgr" and EXPIRED.match(rest):
                st = live.get(qid)
                if st and st["sender"]:
                    for rcpt, status in st["rcpt"].items():
                        if status == "deferred":
                            st["rcpt"][rcpt] = "expired"
                            counts[st["sender"]]["expired"] += 1
            elif daemon == "qmgr" and rest == "removed":
                st = live.pop(qid, None)
                if st:
                    st["removed"] = n
            else:
                d = DELIVERY.match(rest)
                if d:
                    st = live.get(qid)
                    if st is None:
                        stats["delivery lines of unknown queue IDs"] += 1
                        continue
                    rcpt, relay, status, text = d.group(1).lower(), d.group(2), d.group(3), d.group(4)
                    if HOP_RELAY.match(relay):
                        kind = "pipe" if relay == "pfilter" else "smtp"
                        stats["%s hop lines (%s)" % (kind, relay)] += 1
                        st["hops"].append({"line": n, "rcpt": rcpt, "status": status, "kind": kind})
                        qa = QUEUED_AS.search(text)
                        if kind == "smtp" and qa:
                            copy = latest.get(qa.group(1))
                            if copy is None:
                                problems.append("%s: hop to %s, never born" % (qid, qa.group(1)))
                            elif copy["copy_of"] is not st:
                                link(st, copy, n, kind)
                            elif copy["removed"] is not None:
                                stats["smtp hop lines after the copy's 'removed'"] += 1
                        continue
                    st["rcpt"][rcpt] = status
                    if st["sender"]:
                        counts[st["sender"]][status] += 1

    for kind in ("smtp", "pipe", "proxy-accept"):
        if any(k.startswith(kind + " ") and "hop lines (" in k or k == kind + " lines" for k in stats):
            stats["%s hop lines after the copy's 'removed'" % kind] += 0

    # pfilter copies: the first later pickup message of user nobody (uid 65534)
    # with the same Message-ID and sender
    claimed = set()
    for st in messages:
        pipe_hops = [h for h in st["hops"] if h["kind"] == "pipe"]
        if not pipe_hops:
            continue
        for cand in by_msgid.get(st["msgid"], []):
            if cand["uid"] == "65534" and cand["born"] > st["born"] and id(cand) not in claimed \
                    and cand["sender"] == st["sender"]:
                claimed.add(id(cand))
                st["copies"].append(cand)
                cand["copy_of"] = st
                late = sum(1 for h in pipe_hops
                           if cand["removed"] is not None and cand["removed"] < h["line"])
                if late:
                    stats["pipe hop lines after the copy's 'removed'"] += late
                break

    # auth_rcv: one per message queued from a SASL session (for a proxied
    # message the login comes from the front smtpd), never for a copy
    # re-injected by an after-queue filter
    for st in messages:
        if st["qid"] != "NOQUEUE" and st["sender"] and st["sasl"]:
            counts[st["sender"]]["auth_rcv"] += 1

    # every hop made exactly one copy of the same sender, holding the hop's recipients
    for st in messages:
        if not st["hops"]:
            continue
        stats["messages that passed a filter"] += 1
        if len(st["copies"]) != 1:
            problems.append("%s (%s): %d copies after the filter" % (st["qid"], st.get("msgid"), len(st["copies"])))
            continue
        copy = st["copies"][0]
        if copy["sender"] != st["sender"]:
            problems.append("%s: copy %s has sender %s, not %s" % (st["qid"], copy["qid"], copy["sender"], st["sender"]))
        missing = {h["rcpt"] for h in st["hops"] if h["rcpt"]} - set(copy["rcpt"])
        if missing:
            problems.append("%s: copy %s has no final status for %s" % (st["qid"], copy["qid"], sorted(missing)))
        if copy["orig_qid"]:
            stats["copies whose orig_queue_id= names the original"] += copy["orig_qid"] == st["qid"]
            if copy["orig_qid"] != st["qid"]:
                problems.append("copy %s: orig_queue_id=%s, original %s" % (copy["qid"], copy["orig_qid"], st["qid"]))

    done = [st for st in messages if st["qid"] != "NOQUEUE" and st["removed"] is not None]
    return {"counts": counts, "live": live, "done": done, "by_msgid": by_msgid,
            "records": records, "unparsed": unparsed, "stats": stats, "problems": problems}


def check_log(path, truth):
    log = read_log(path)
    problems = list(log["problems"])
    out = ["== %s: %d lines (%d unparsed), %d postfix lines, %d messages followed to 'removed'" % (
        os.path.basename(path), len(log["records"]) + log["unparsed"], log["unparsed"],
        log["stats"]["postfix lines"], len(log["done"]))]
    for k, v in sorted(log["stats"].items()):
        if k != "postfix lines":
            out.append("   %s: %d" % (k, v))
    if log["live"]:
        problems.append("%d queue IDs never removed: %s" % (len(log["live"]), " ".join(sorted(log["live"]))))

    # per-sender table
    senders = sorted(set(truth["senders"]) | set(log["counts"]))
    out.append("   %-26s %s" % ("sender", " ".join("%13s" % s for s in STATUSES)))
    for s in senders:
        want = truth["senders"].get(s, {})
        got = log["counts"].get(s, collections.Counter())
        cells = []
        for st in STATUSES:
            w, g = want.get(st, 0), got.get(st, 0)
            cells.append("%13s" % (str(g) if g == w else "%d!=%d" % (g, w)))
            if g != w:
                problems.append("%s %s: log %d, truth %d" % (s, st, g, w))
        out.append("   %-26s %s" % (s, " ".join(cells)))

    # every recipient's final status
    ok = 0
    for r in truth["recipients"]:
        finals = [st["rcpt"].get(r["recipient"]) for st in log["by_msgid"].get(r["message_id"], [])
                  if st["sender"] == r["sender"]]
        finals = [x for x in finals if x]
        if finals == [r["final"]]:
            ok += 1
        else:
            problems.append("%s -> %s (%s): final status in log %s, truth %s" % (
                r["sender"], r["recipient"], r["message_id"], finals or "none", r["final"]))
    out.append("   recipients whose final status matches the truth: %d of %d" % (ok, len(truth["recipients"])))
    return log, out, problems


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    outdir = sys.argv[1]
    truth = json.load(open(os.path.join(outdir, "truth.json")))
    failed = False
    logs = {}
    if truth.get("discrepancies"):
        failed = True
        print("truth.json lists %d discrepancies between the plan and the sink" % len(truth["discrepancies"]))
    for name in LOGS:
        path = os.path.join(outdir, name)
        if not os.path.exists(path):
            print("== %s: absent" % name)
            continue
        log, out, problems = check_log(path, truth)
        logs[name] = log
        print("\n".join(out))
        for p in problems[:40]:
            print("   MISMATCH " + p)
        print("   %s: %s" % (name, "PASS" if not problems else "FAIL (%d problems)" % len(problems)))
        failed |= bool(problems)

    # the logs should hold the same records in the same order
    names = list(logs)
    for other in names[1:]:
        a, b = logs[names[0]]["records"], logs[other]["records"]
        if a == b:
            print("== %s and %s: the same %d records in the same order" % (names[0], other, len(a)))
            continue
        ca, cb = collections.Counter(a), collections.Counter(b)
        only_a, only_b = ca - cb, cb - ca
        print("== %s and %s: %d vs %d records; %d only in %s, %d only in %s%s" % (
            names[0], other, len(a), len(b), sum(only_a.values()), names[0],
            sum(only_b.values()), other,
            "" if only_a or only_b else " (same records, different order)"))
        for rec in list(only_a)[:5]:
            print("   only in %s: %s[%s]: %s" % ((names[0],) + rec))
        for rec in list(only_b)[:5]:
            print("   only in %s: %s[%s]: %s" % ((other,) + rec))
        # start/stop lines of postfix-script/master may differ (postlogd is not
        # running yet / any more); anything else is a failure
        rest = [rec for rec in list(only_a) + list(only_b)
                if not rec[0].endswith(("/postfix-script", "/master", "/postlogd"))]
        if rest:
            failed = True
    print("RESULT: %s" % ("FAIL" if failed else "PASS"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
