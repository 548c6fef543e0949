#!/usr/bin/env python3
"""postfix-fixtures content filter: an SMTP filter on 127.0.0.1:10024 that
re-injects every message unchanged into Postfix's second smtpd on
127.0.0.1:10025 (run.sh, FILTER=smtp, smtp-noxforward and proxy).

It plays the part amavisd-new plays in Postfix's FILTER_README ("advanced
content filter", after queue) and SMTPD_PROXY_README (before queue):

  * each transaction is forwarded as it happens: at MAIL FROM the filter opens
    a connection to 10025 (EHLO, then XFORWARD with the attributes Postfix
    forwarded to the filter, when 10025 offers XFORWARD and --no-xforward is
    not given), and MAIL, every RCPT and DATA go on to 10025; a refusal from
    10025 is passed back with its code and text;
  * after 10025 accepted DATA, and only then, the filter answers
    "250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as NEWID"
    (the text amavisd-new uses), so the queue ID of the copy is in Postfix's log.
  * the content is not changed (no header is added).

XFORWARD is offered to Postfix (NAME ADDR PORT PROTO HELO IDENT SOURCE) unless
--no-xforward is given. Attributes are kept per transaction, as smtpd does.

Every transaction that reached MAIL FROM is appended as one JSON object per
line to --journal: {"event": "transaction", "mail_from", "rcpts" (accepted by
10025), "refused" ([rcpt, reply]...), "message_id", "xforward" {...}, "reply"
(what the filter answered at the end, or null if the client left before DATA)}.
truth.py reads it to check that every message passed the filter once; the
truth itself comes from the client's and the sink's journals.

stdlib only; loopback addresses only. No PIPELINING, no TLS, no AUTH.
"""

import argparse
import asyncio
import ipaddress
import json
import os
import signal
import time

XFORWARD_ATTRS = ["NAME", "ADDR", "PORT", "PROTO", "HELO", "IDENT", "SOURCE"]
HOSTNAME = "filter.relay1.example.edu"


class Upstream:
    """A minimal SMTP client (asyncio streams) for the connection to 10025."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        self.ehlo = []

    @classmethod
    async def open(cls, host, port):
        reader, writer = await asyncio.open_connection(host, port, local_addr=("127.0.0.1", 0))
        up = cls(reader, writer)
        code, lines = await up.reply()
        if code != 220:
            raise ConnectionError("greeting %d %s" % (code, lines))
        code, lines = await up.cmd("EHLO " + HOSTNAME)
        if code != 250:
            raise ConnectionError("EHLO %d %s" % (code, lines))
        up.ehlo = [line.upper() for line in lines[1:]]
        return up

    def offers(self, keyword):
        for line in self.ehlo:
            words = line.split()
            if words and words[0] == keyword:
                return words[1:]
        return None

    async def reply(self):
        lines = []
        while True:
            raw = await self.reader.readline()
            if not raw:
                raise ConnectionError("connection closed by 10025")
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            lines.append(line[4:])
            if len(line) < 4 or line[3] != "-":
                return int(line[:3]), lines

    async def cmd(self, text):
        self.writer.write(text.encode("utf-8", "surrogateescape") + b"\r\n")
        await self.writer.drain()
        return await self.reply()

    async def data(self, content):
        code, lines = await self.cmd("DATA")
        if code != 354:
            return code, lines
        out = []
        for line in content.split(b"\r\n"):
            out.append(b"." + line if line.startswith(b".") else line)
        if out and out[-1] == b"":
            out.pop()
        self.writer.write(b"\r\n".join(out) + b"\r\n.\r\n")
        await self.writer.drain()
        return await self.reply()

    async def close(self):
        try:
            self.writer.write(b"QUIT\r\n")
            await self.writer.drain()
            await asyncio.wait_for(self.reply(), 5)
        except (ConnectionError, OSError, asyncio.TimeoutError, ValueError):
            pass
        self.writer.close()


def reply_text(code, lines):
    """A multi-line reply from 10025 as one line (code + first text line)."""
    return "%d %s" % (code, " ".join(lines).strip())


class Session:
    def __init__(self, filt, reader, writer):
        self.f = filt
        self.reader, self.writer = reader, writer
        self.xforward = {}
        self.reset()

    def reset(self):
        self.mail_from = None
        self.rcpts = []
        self.refused = []
        self.up = None

    async def send(self, text):
        self.writer.write(text.encode("utf-8", "surrogateescape") + b"\r\n")
        await self.writer.drain()

    async def close_up(self):
        if self.up:
            await self.up.close()
        self.up = None

    async def end_transaction(self, reply, message_id=None):
        if self.mail_from is not None:
            self.f.note(event="transaction", mail_from=self.mail_from, rcpts=self.rcpts,
                        refused=self.refused, message_id=message_id,
                        xforward=self.xforward, reply=reply)
        await self.close_up()
        self.reset()
        self.xforward = {}

    async def run(self):
        await self.send("220 %s ESMTP postfix-fixtures filter" % HOSTNAME)
        try:
            while True:
                raw = await self.reader.readline()
                if not raw:
                    break
                line = raw.decode("utf-8", "surrogateescape").rstrip("\r\n")
                verb, _, arg = line.partition(" ")
                verb = verb.upper()
                handler = getattr(self, "do_" + verb, None)
                if handler is None:
                    await self.send("502 5.5.2 Error: command not recognized")
                    continue
                if await handler(arg.strip()) == "quit":
                    break
        except (ConnectionError, OSError):
            pass
        finally:
            await self.end_transaction(None)
            self.writer.close()

    async def do_EHLO(self, arg):
        await self.end_transaction(None)
        ext = ["8BITMIME"]
        if not self.f.no_xforward:
            ext.append("XFORWARD " + " ".join(XFORWARD_ATTRS))
        lines = [HOSTNAME] + ext
        for i, text in enumerate(lines):
            await self.send("250%s%s" % ("-" if i < len(lines) - 1 else " ", text))

    async def do_HELO(self, arg):
        await self.end_transaction(None)
        await self.send("250 " + HOSTNAME)

    async def do_XFORWARD(self, arg):
        if self.f.no_xforward:
            return await self.send("502 5.5.2 Error: command not recognized")
        if self.mail_from is not None:
            return await self.send("503 5.5.1 Error: MAIL transaction in progress")
        for item in arg.split():
            name, _, value = item.partition("=")
            if name.upper() not in XFORWARD_ATTRS:
                return await self.send("501 5.5.4 Bad XFORWARD attribute name: " + name)
            self.xforward[name.upper()] = value
        await self.send("250 2.0.0 Ok")

    async def do_MAIL(self, arg):
        if self.mail_from is not None:
            return await self.send("503 5.5.1 Error: nested MAIL command")
        if not arg.upper().startswith("FROM:"):
            return await self.send("501 5.5.4 Syntax: MAIL FROM:<address>")
        addr, _, params = arg[5:].strip().partition(" ")
        address = addr.strip("<>")
        keep = [p for p in params.split() if p.upper().startswith("BODY=")]
        try:
            self.up = await Upstream.open(*self.f.upstream)
            offered = self.up.offers("XFORWARD")
            if self.xforward and offered is not None and not self.f.no_xforward:
                # one attribute per command keeps every line short
                for name in XFORWARD_ATTRS:
                    if name in self.xforward and name in offered:
                        code, lines = await self.up.cmd("XFORWARD %s=%s" % (name, self.xforward[name]))
                        if code != 250:
                            raise ConnectionError("XFORWARD: " + reply_text(code, lines))
            code, lines = await self.up.cmd(" ".join(["MAIL FROM:<%s>" % address] + keep))
        except (ConnectionError, OSError) as e:
            await self.close_up()
            return await self.send("451 4.3.0 Error: cannot reach 127.0.0.1:10025 (%s)" % e)
        if code != 250:
            await self.close_up()
            return await self.send(reply_text(code, lines))
        self.mail_from = address
        await self.send("250 2.1.0 Ok")

    async def do_RCPT(self, arg):
        if self.mail_from is None:
            return await self.send("503 5.5.1 Error: need MAIL command")
        if not arg.upper().startswith("TO:"):
            return await self.send("501 5.5.4 Syntax: RCPT TO:<address>")
        address = arg[3:].strip().split(" ")[0].strip("<>")
        try:
            code, lines = await self.up.cmd("RCPT TO:<%s>" % address)
        except (ConnectionError, OSError) as e:
            return await self.send("451 4.3.0 Error: lost 127.0.0.1:10025 (%s)" % e)
        if code == 250:
            self.rcpts.append(address)
            return await self.send("250 2.1.5 Ok")
        self.refused.append([address, reply_text(code, lines)])
        await self.send(reply_text(code, lines))

    async def do_DATA(self, arg):
        if self.mail_from is None:
            return await self.send("503 5.5.1 Error: need MAIL command")
        if not self.rcpts:
            return await self.send("554 5.5.1 Error: no valid recipients")
        await self.send("354 End data with <CR><LF>.<CR><LF>")
        lines = []
        while True:
            raw = await self.reader.readline()
            if not raw:
                raise ConnectionError("client left during DATA")
            if raw in (b".\r\n", b".\n"):
                break
            line = raw.rstrip(b"\r\n")
            lines.append(line[1:] if line.startswith(b".") else line)
        content = b"\r\n".join(lines) + b"\r\n"
        message_id = None
        for line in content.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                message_id = line.split(b":", 1)[1].strip().decode("ascii", "replace")
                break
        try:
            code, rlines = await self.up.data(content)
            if code == 250:
                reply = "250 2.0.0 from MTA(smtp:[%s]:%d): %s" % (
                    self.f.upstream[0], self.f.upstream[1], reply_text(code, rlines))
            else:
                reply = reply_text(code, rlines)
        except (ConnectionError, OSError) as e:
            reply = "451 4.3.0 Error: lost 127.0.0.1:10025 (%s)" % e
        await self.end_transaction(reply, message_id)
        await self.send(reply)

    async def do_RSET(self, arg):
        await self.end_transaction(None)
        await self.send("250 2.0.0 Ok")

    async def do_NOOP(self, arg):
        await self.send("250 2.0.0 Ok")

    async def do_QUIT(self, arg):
        await self.send("221 2.0.0 Bye")
        return "quit"


class Filter:
    def __init__(self, args):
        self.upstream = loopback(args.upstream)
        self.no_xforward = args.no_xforward
        self.journal = open(args.journal, "a", encoding="utf-8") if args.journal else None

    def note(self, **event):
        if self.journal is None:
            return
        event["t"] = round(time.time(), 3)
        self.journal.write(json.dumps(event, sort_keys=True) + "\n")
        self.journal.flush()

    async def client(self, reader, writer):
        await Session(self, reader, writer).run()


def loopback(spec):
    host, _, port = spec.rpartition(":")
    if not ipaddress.ip_address(host).is_loopback:
        raise SystemExit("filter.py: %s is not a loopback address" % host)
    return host, int(port)


async def serve(args):
    filt = Filter(args)
    host, port = loopback(args.listen)
    server = await asyncio.start_server(filt.client, host, port)
    if args.pidfile:
        with open(args.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    print("filter.py: listening on %s:%d, re-injecting into %s:%d%s" % (
        host, port, filt.upstream[0], filt.upstream[1],
        " without XFORWARD" if args.no_xforward else ""), flush=True)
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, done.set)
    loop.add_signal_handler(signal.SIGINT, done.set)
    await done.wait()
    server.close()
    await server.wait_closed()
    print("filter.py: stopped", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", default="127.0.0.1:10024")
    ap.add_argument("--upstream", default="127.0.0.1:10025")
    ap.add_argument("--no-xforward", action="store_true",
                    help="neither offer XFORWARD to Postfix nor send it to 10025")
    ap.add_argument("--journal", help="append one JSON line per transaction")
    ap.add_argument("--pidfile")
    asyncio.run(serve(ap.parse_args()))


if __name__ == "__main__":
    main()
