#!/usr/bin/env python3
"""postfix-fixtures SMTP sink: the whole outside world, on 127.0.0.1:2525.

Postfix delivers every message here (transport_maps: * -> [127.0.0.1]:2525).
The sink stores nothing; it answers each RCPT TO by the recipient's local part
(case-insensitive):

    ok*               250 2.1.5 Ok                        -> sent
    tmp*              451 4.3.0 ... try again later       -> deferred at every
                      (always)                               attempt, expired at the end
    bad*, nouser*     550 5.1.1 ... User unknown          -> bounced
    slow*, flaky*     451 4.2.0 ... the first N times,    -> deferred N times, then sent
                      then 250. N is the number right
                      after the prefix (slow2-x: N = 2),
                      1 without a number; counted per
                      (envelope sender, recipient)
    anything else     250 2.1.5 Ok                        -> sent

DATA is answered "250 2.0.0 Ok: queued as <hex>". Every answer is appended as
one JSON object per line to --journal: {"event": "rcpt", "mail_from",
"rcpt", "code", "reply"} and {"event": "data", "mail_from", "rcpts",
"message_id", "code", "reply"}. truth.py reads the journal to learn how often
each recipient was deferred, which only the sink can know.

Listens on loopback addresses only.
"""

import argparse
import asyncio
import ipaddress
import itertools
import json
import os
import re
import signal
import time

from aiosmtpd.smtp import SMTP

FLAKY = re.compile(r"^(?:slow|flaky)(\d*)")


def answer(local_part, attempts_so_far):
    """(code, text) for a recipient whose local part is given.

    attempts_so_far: how many earlier RCPTs this (sender, recipient) pair had.
    """
    lp = local_part.lower()
    if lp.startswith("tmp"):
        return 451, "4.3.0 <%s>: Recipient address rejected: mailbox temporarily unavailable, try again later"
    if lp.startswith("bad") or lp.startswith("nouser"):
        return 550, "5.1.1 <%s>: Recipient address rejected: User unknown in virtual mailbox table"
    m = FLAKY.match(lp)
    if m:
        n = int(m.group(1)) if m.group(1) else 1
        if attempts_so_far < n:
            return 451, "4.2.0 <%s>: Recipient address rejected: Greylisted, please try again later"
    return 250, "2.1.5 Ok"


class Sink:
    def __init__(self, journal_path):
        self.journal = open(journal_path, "a", encoding="utf-8") if journal_path else None
        self.seen = {}                          # (sender, rcpt) -> RCPTs answered so far
        self.qids = itertools.count(0x5A1E000)  # "queued as" IDs, never repeated

    def note(self, **event):
        if self.journal is None:
            return
        event["t"] = round(time.time(), 3)
        self.journal.write(json.dumps(event, sort_keys=True) + "\n")
        self.journal.flush()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        sender = (envelope.mail_from or "").lower()
        key = (sender, address.lower())
        local_part = address.rsplit("@", 1)[0]
        code, text = answer(local_part, self.seen.get(key, 0))
        self.seen[key] = self.seen.get(key, 0) + 1
        reply = "%d %s" % (code, text.replace("%s", address) if "%s" in text else text)
        if code == 250:
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(rcpt_options)
        self.note(event="rcpt", mail_from=envelope.mail_from or "", rcpt=address,
                  code=code, reply=reply)
        return reply

    async def handle_DATA(self, server, session, envelope):
        message_id = None
        for line in envelope.content.split(b"\r\n\r\n", 1)[0].splitlines():
            if line.lower().startswith(b"message-id:"):
                message_id = line.split(b":", 1)[1].strip().decode("ascii", "replace")
                break
        reply = "250 2.0.0 Ok: queued as %X" % next(self.qids)
        self.note(event="data", mail_from=envelope.mail_from or "", rcpts=list(envelope.rcpt_tos),
                  message_id=message_id, code=250, reply=reply)
        return reply


def loopback(spec):
    host, _, port = spec.rpartition(":")
    if not ipaddress.ip_address(host).is_loopback:
        raise SystemExit("sink.py: %s is not a loopback address" % host)
    return host, int(port)


async def serve(args):
    host, port = loopback(args.listen)
    sink = Sink(args.journal)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="mx.sink.example", ident="sink ESMTP", decode_data=False),
        host=host, port=port)
    if args.pidfile:
        with open(args.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    print("sink.py: listening on %s:%d" % (host, port), flush=True)
    done = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, done.set)
    loop.add_signal_handler(signal.SIGINT, done.set)
    await done.wait()
    server.close()
    await server.wait_closed()
    print("sink.py: stopped", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", default="127.0.0.1:2525")
    ap.add_argument("--journal", help="append one JSON line per answer")
    ap.add_argument("--pidfile")
    asyncio.run(serve(ap.parse_args()))


if __name__ == "__main__":
    main()
