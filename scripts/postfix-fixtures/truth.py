#!/usr/bin/env python3
"""postfix-fixtures truth: expected smtplog records per sender, from what the
SMTP client (traffic.py) and the SMTP sink (sink.py) saw. The Postfix log is
not read here; check.py compares the log with this file.

usage: truth.py --traffic traffic.json --sink sink.jsonl --out truth.json
                [--sasl-failure-names-user yes|no] [--postfix-version V]
                [--timezone Z] [--lifetime L]
                [--filter none|smtp|smtp-noxforward|pipe|proxy --filter-journal filter.jsonl]

One record per (see docs/records.md, "The six statuses"):
  sent      recipient the sink accepted (DATA 250 for a transaction naming it)
  deferred  4xx answer of the sink to a RCPT (Postfix logs one status=deferred
            line per recipient per failed attempt)
  bounced   5xx answer of the sink to a RCPT
  expired   recipient of a queued message that the sink answered only with 4xx
            (Postfix gives up after maximal_queue_lifetime: status=expired)
  auth_rcv  message queued by Postfix (DATA 250) in an AUTHenticated session
  auth_blk  5xx answer of Postfix's smtpd to a RCPT (one "reject:" line whose
            from= is the envelope sender), plus each failed AUTH, counted for
            the login name, when this Postfix logs "sasl_username=" in its
            "SASL ... authentication failed" warning
Senders are the envelope senders, lower-cased. Non-delivery notices (null
sender) belong to nobody and are counted under "not_counted".

With a content filter (run.sh FILTER=...), a filter hop is not a record: the
counts are the same as without one. The sink still sees only Postfix's final
deliveries (the filter talks to Postfix's 10025 smtpd, never to the sink), and
auth_rcv / auth_blk still come from what the client was told, so a message is
counted once and a refused RCPT once, however many log lines (hop deliveries,
the copy's lines, proxy-accept / proxy-reject) it causes. The filter's own
journal (filter.py) is only checked: every message that should pass the filter
passed it exactly once, unchanged in sender and recipients.

Every count is also derived from the traffic plan (what the local parts
promise); the two must agree, except the number of deferrals of tmp-*
recipients, which only the sink knows (it depends on retry timing). Any
disagreement is listed in "discrepancies" and makes the exit status 1.
"""

import argparse
import collections
import json
import sys

STATUSES = ["sent", "deferred", "bounced", "expired", "auth_rcv", "auth_blk"]


def null_sender(s):
    return s in ("", "<>", None)


FILTER_NOTES = {
    "none": [],
    "smtp": [
        "content filter: after queue (content_filter = scan:[127.0.0.1]:10024, filter.py re-injects into "
        "the 10025 smtpd with XFORWARD); every message is queued twice (original, then the copy whose "
        "queue ID is in the hop's 'queued as'); the hop delivery to 127.0.0.1:10024 is not a record, the "
        "copy's deliveries are; auth_rcv is counted once per message, for the original's SASL session",
    ],
    "smtp-noxforward": [
        "content filter: after queue as with FILTER=smtp, but without XFORWARD: the 10025 smtpd logs "
        "no orig_queue_id=/orig_client=; the hop's 'queued as' names the copy; the hop is not a record",
    ],
    "pipe": [
        "content filter: after queue, pipe(8) 'simple content filter' (content_filter=pfilter:dummy on the "
        "SMTP services); pfilter.sh re-submits with sendmail -G, the copy comes back through pickup "
        "(uid=65534, same Message-ID); 'relay=pfilter' deliveries are not records, the copy's "
        "deliveries are; sendmail jobs are not filtered",
    ],
    "proxy": [
        "content filter: before queue (smtpd_proxy_filter=127.0.0.1:10024 on the SMTP services); the "
        "queue ID is born in the 10025 smtpd; the front smtpd logs 'NOQUEUE: client=' (with the SASL "
        "login) and 'proxy-accept: END-OF-MESSAGE: ... queued as ID'; auth_rcv is one per message the "
        "client saw accepted in an authenticated session; a refused RCPT counts once (auth_blk), even "
        "when a 'proxy-reject:' line repeats a refusal of the back end; sendmail jobs are not filtered",
    ],
}


def check_filter(args, traffic, not_counted, discrepancies):
    """filter.py's journal against the client's: each message that should pass
    the filter passed it once, with the same sender and recipients."""
    journal = [json.loads(line) for line in open(args.filter_journal) if line.strip()]
    passed = collections.defaultdict(list)        # message_id -> transactions
    for t in journal:
        for rcpt, reply in t.get("refused") or []:
            discrepancies.append("filter: %s -> %s refused by the 10025 smtpd: %s"
                                 % (t["mail_from"], rcpt, reply))
        if t.get("reply") is None:
            continue                              # client left before DATA (rejected RCPTs)
        if not t["reply"].startswith("250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 "):
            discrepancies.append("filter: message %s from %s answered %s"
                                 % (t.get("message_id"), t["mail_from"], t["reply"]))
        if null_sender(t["mail_from"]):
            not_counted["filter_passed_null_sender"] += 1
            continue
        passed[t.get("message_id")].append(t)
        has_xforward = bool(t.get("xforward"))
        if has_xforward != (args.filter != "smtp-noxforward"):
            discrepancies.append("filter: message %s %s XFORWARD" % (
                t.get("message_id"), "had" if has_xforward else "lacked"))
    expected = set()
    for j in traffic["jobs"]:
        if not j.get("queued") or (j["pickup"] and args.filter == "proxy"):
            continue
        expected.add(j["message_id"])
        got = passed.get(j["message_id"], [])
        if len(got) != 1:
            discrepancies.append("job %d: passed the filter %d times" % (j["job"], len(got)))
            continue
        want = sorted(r["address"].lower() for r in j["rcpts"] if r["smtpd"] == "accept")
        if got[0]["mail_from"].lower() != j["mail_from"].lower() or \
                sorted(r.lower() for r in got[0]["rcpts"]) != want:
            discrepancies.append("job %d: the filter passed %s -> %s, the client sent %s -> %s" % (
                j["job"], got[0]["mail_from"], got[0]["rcpts"], j["mail_from"], want))
        if args.filter == "proxy" and "from MTA(smtp:[127.0.0.1]:10025)" not in (j.get("data_reply") or ""):
            discrepancies.append("job %d: DATA reply not from the proxy filter: %s"
                                 % (j["job"], j.get("data_reply")))
    for mid in set(passed) - expected:
        discrepancies.append("filter: passed message %s, which no queued job sent" % mid)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--traffic", required=True)
    ap.add_argument("--sink", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--sasl-failure-names-user", choices=["yes", "no"], default="no")
    ap.add_argument("--postfix-version", default="")
    ap.add_argument("--timezone", default="")
    ap.add_argument("--lifetime", default="")
    ap.add_argument("--filter", default="none",
                    choices=["none", "smtp", "smtp-noxforward", "pipe", "proxy"])
    ap.add_argument("--filter-journal", help="filter.py's journal (FILTER=smtp, smtp-noxforward, proxy)")
    args = ap.parse_args()

    traffic = json.load(open(args.traffic))
    sink = [json.loads(line) for line in open(args.sink) if line.strip()]
    discrepancies = []

    # ---------------------------------------------------- the sink's view
    seen = collections.defaultdict(lambda: collections.Counter())   # sender -> status -> n
    not_counted = collections.Counter()
    rcpt_codes = collections.defaultdict(list)   # (sender, rcpt) -> [codes...]
    accepted = collections.Counter()             # (sender, rcpt) -> DATA acceptances
    for ev in sink:
        sender = ev["mail_from"]
        if ev["event"] == "rcpt":
            if null_sender(sender):
                not_counted["bounce_notice_rcpt_%dxx" % (ev["code"] // 100)] += 1
                continue
            key = (sender.lower(), ev["rcpt"].lower())
            rcpt_codes[key].append(ev["code"])
            if 400 <= ev["code"] < 500:
                seen[key[0]]["deferred"] += 1
            elif ev["code"] >= 500:
                seen[key[0]]["bounced"] += 1
        elif ev["event"] == "data":
            if null_sender(sender):
                not_counted["bounce_notice_delivered"] += len(ev["rcpts"])
                continue
            for r in ev["rcpts"]:
                seen[sender.lower()]["sent"] += 1
                accepted[(sender.lower(), r.lower())] += 1
    for key, codes in rcpt_codes.items():
        if not accepted[key] and codes and all(400 <= c < 500 for c in codes):
            seen[key[0]]["expired"] += 1

    # ---------------------------------------------------- the client's view
    planned = collections.defaultdict(lambda: collections.Counter())
    recipients = []
    rejects = []
    sasl_failures = []
    for j in traffic["jobs"]:
        if j.get("error"):
            discrepancies.append("job %d (%s) failed: %s" % (j["job"], j["kind"], j["error"]))
        for a in j.get("auth_results", []):
            if a["code"] != 235:
                sasl_failures.append({"job": j["job"], "login": a["login"].lower(),
                                      "client_ip": j["client_ip"], "reply": a["reply"]})
                if args.sasl_failure_names_user == "yes":
                    planned[a["login"].lower()]["auth_blk"] += 1
        if not j.get("rcpts"):
            continue
        sender = j["mail_from"].lower()
        for r in j["rcpts"]:
            code = r.get("smtpd_code")
            if r["smtpd"] == "reject":
                if code is None or code < 500:
                    discrepancies.append("job %d: RCPT %s expected a 5xx reject, got %s"
                                         % (j["job"], r["address"], r.get("smtpd_reply")))
                    continue
                planned[sender]["auth_blk"] += 1
                rejects.append({"job": j["job"], "sender": sender, "recipient": r["address"].lower(),
                                "client_ip": j["client_ip"], "port": j["port"],
                                "reply": r["smtpd_reply"]})
            elif not j["pickup"] and code != 250:
                discrepancies.append("job %d: RCPT %s expected 250, got %s"
                                     % (j["job"], r["address"], r.get("smtpd_reply")))
        if not j.get("queued"):
            if any(r["smtpd"] == "accept" for r in j["rcpts"]):
                discrepancies.append("job %d: message expected to be queued, was not (%s)"
                                     % (j["job"], j.get("data_reply") or j.get("sendmail_rc")))
            continue
        if j.get("authenticated_as"):
            planned[sender]["auth_rcv"] += 1
        for r in j["rcpts"]:
            if r["smtpd"] != "accept":
                continue
            key = (sender, r["address"].lower())
            planned[sender][r["final"]] += 1
            n_def = sum(1 for c in rcpt_codes.get(key, []) if 400 <= c < 500)
            if r["deferrals"] is not None:
                planned[sender]["deferred"] += r["deferrals"]
                if r["rule"] in ("slow", "flaky") and n_def != r["deferrals"]:
                    discrepancies.append("job %d: %s was deferred %d times by the sink, planned %d"
                                         % (j["job"], r["address"], n_def, r["deferrals"]))
            else:
                if n_def < 1:
                    discrepancies.append("job %d: %s (tmp) never deferred by the sink"
                                         % (j["job"], r["address"]))
                planned[sender]["deferred"] += n_def   # only the sink knows how many
            recipients.append({"job": j["job"], "message_id": j["message_id"],
                               "queue_id": j.get("queue_id"), "sender": sender,
                               "recipient": r["address"].lower(), "final": r["final"],
                               "deferrals": n_def, "sasl_user": j.get("authenticated_as"),
                               "client_ip": "127.0.0.1" if j["pickup"] else j["client_ip"]})

    # ---------------------------------------------------- the filter's view (a check only)
    if args.filter in ("smtp", "smtp-noxforward", "proxy"):
        check_filter(args, traffic, not_counted, discrepancies)

    # sink-side statuses must match the plan
    senders = {}
    for s in sorted(set(planned) | set(seen)):
        row = {st: planned[s][st] for st in STATUSES}
        for st in ("sent", "deferred", "bounced", "expired"):
            if seen[s][st] != planned[s][st]:
                discrepancies.append("%s: %s per sink journal %d, per plan %d"
                                     % (s, st, seen[s][st], planned[s][st]))
        senders[s] = row
    totals = {st: sum(r[st] for r in senders.values()) for st in STATUSES}

    truth = {
        "schema": 1,
        "generator": "scripts/postfix-fixtures",
        "seed": traffic["seed"],
        "jobs": traffic["messages"],
        "started": traffic["started"],
        "finished": traffic["finished"],
        "timezone": args.timezone,
        "postfix_version": args.postfix_version,
        "lifetime": args.lifetime,
        "relay_host": "relay1",
        "statuses": STATUSES,
        "senders": senders,
        "totals": totals,
        "not_counted": dict(sorted(not_counted.items())),
        "sasl_failure_names_user": args.sasl_failure_names_user == "yes",
        "notes": [
            "senders: expected number of smtplog records per envelope sender (lower-cased) and status, "
            "per the status table of docs/records.md",
            "sent/bounced/deferred/expired come from the sink's journal (every RCPT answer it gave) and "
            "agree with the traffic plan; 'deferred' counts of tmp-* recipients depend on retry timing "
            "and are known only from the journal (one status=deferred line per 4xx RCPT answer)",
            "auth_rcv: messages queued over an authenticated submission session (port 587)",
            "auth_blk: one per smtpd 'reject:' line naming the sender in from= (recipient_access, "
            "sender_access, reject_sender_login_mismatch, Relay access denied), plus one per "
            "'SASL ... authentication failed: ..., sasl_username=LOGIN' warning, counted for LOGIN, "
            "when sasl_failure_names_user is true (this Postfix logs the user name); the separate "
            "Cyrus 'SASL authentication failure: Password verification failed' lines are not counted",
            "not_counted: non-delivery notices (from=<>) generated by Postfix for bounced and expired "
            "mail; they belong to nobody's history",
            "client_ip of a local (sendmail/pickup) submission is 127.0.0.1 by the spec",
        ] + FILTER_NOTES[args.filter],
        "recipients": recipients,
        "rejects": rejects,
        "sasl_failures": sasl_failures,
        "discrepancies": discrepancies,
    }
    with open(args.out, "w") as f:
        json.dump(truth, f, indent=1)
        f.write("\n")
    print("truth.py: %d senders; totals %s; %d discrepancies"
          % (len(senders), json.dumps(totals), len(discrepancies)))
    for d in discrepancies:
        print("truth.py: DISCREPANCY " + d, file=sys.stderr)
    sys.exit(1 if discrepancies else 0)


if __name__ == "__main__":
    main()
