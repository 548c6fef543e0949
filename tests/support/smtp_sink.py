#!/usr/bin/env python3
"""A real SMTP server for the mail tests: listens on 127.0.0.1 (a free port, or --port),
accepts every message and writes it into --dir as

  N.eml          the message exactly as received (DATA, CRLF line ends)
  N.json         the envelope (MAIL FROM, RCPT TOs) and the message as Python's email
                 package parses it: headers (decoded), defects, and every leaf part with
                 its content type, charset, file name and the path of its decoded bytes
  N.partK.bin    the decoded bytes of leaf part K

and appends one line per event to DIR/sink.log. RCPT TO an address given with --refuse
is answered 550 (the message then goes nowhere, and nothing is written for it).
--stall rcpt holds every RCPT TO for --stall-secs before answering it (no message can
have come yet: a client killed then has delivered nothing); --stall after-data writes the message and
then holds the reply for --stall-secs (a client killed then has delivered a message it
never saw accepted). Either logs "stalling" when it starts holding.
The port is written to --port-file (then the server is ready). Stops on SIGTERM/SIGINT
or when killed.

Needs aiosmtpd (python3 -m pip install aiosmtpd).
"""

import argparse
import ssl
import asyncio
import email
import email.header
import email.policy
import json
import os
import signal
import sys
import time

from aiosmtpd.smtp import SMTP


def decode(value):
    """A raw (folded, encoded) header value as text."""
    return str(email.header.make_header(email.header.decode_header(value)))


class Sink:
    def __init__(self, directory, refuse, stall=None, stall_secs=0.0):
        self.stall = stall
        self.stall_secs = stall_secs
        self.dir = directory
        self.refuse = {a.lower() for a in refuse}
        self.count = 0
        self.log_path = os.path.join(directory, "sink.log")

    def log(self, line):
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        with open(self.log_path, "a", encoding="utf-8") as f:
            f.write(f"{stamp} {line}\n")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.stall == "rcpt":
            self.log(f"stalling RCPT TO:<{address}> for {self.stall_secs} s")
            await asyncio.sleep(self.stall_secs)
        if address.lower() in self.refuse:
            self.log(f"refused RCPT TO:<{address}> with 550")
            return "550 5.1.1 <%s>: refused by the test sink" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        n = self.count
        raw = envelope.original_content or envelope.content
        base = os.path.join(self.dir, str(n))
        with open(base + ".eml", "wb") as f:
            f.write(raw)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        parts = []
        for k, part in enumerate(p for p in msg.walk() if not p.is_multipart()):
            payload = part.get_payload(decode=True) or b""
            path = f"{base}.part{k}.bin"
            with open(path, "wb") as f:
                f.write(payload)
            parts.append(
                {
                    "content_type": part.get_content_type(),
                    "charset": part.get_content_charset(),
                    "filename": part.get_filename(),
                    "disposition": part.get_content_disposition(),
                    "transfer_encoding": part.get("Content-Transfer-Encoding"),
                    "file": path,
                    "size": len(payload),
                }
            )
        summary = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            # RFC 2047 decoding by email.header: the default policy's address parser
            # keeps the space between two encoded-words of a folded display name
            # ("Sy stem"), which RFC 2047 section 6.2 says to drop.
            "headers": [[k, decode(v)] for k, v in email.message_from_bytes(raw).items()],
            "content_type": msg.get_content_type(),
            "defects": [repr(d) for d in msg.defects],
            "parts": parts,
        }
        tmp = base + ".json.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(summary, f, ensure_ascii=False, indent=1)
        os.replace(tmp, base + ".json")
        attachments = [p["filename"] for p in parts if p["filename"]]
        self.log(
            f"received message {n}: MAIL FROM:<{envelope.mail_from}> "
            f"RCPT TO:{['<%s>' % r for r in envelope.rcpt_tos]} "
            f"Subject: {msg.get('Subject', '')!r} "
            f"{msg.get_content_type()} parts={[p['content_type'] for p in parts]} "
            f"attachments={attachments} bytes={len(raw)}"
        )
        if self.stall == "after-data":
            self.log(f"stalling after DATA of message {n} for {self.stall_secs} s")
            await asyncio.sleep(self.stall_secs)
        return "250 2.0.0 Ok: queued as sink-%d" % n


async def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--refuse", action="append", default=[])
    ap.add_argument(
        "--starttls",
        nargs=2,
        metavar=("CERT", "KEY"),
        help="offer STARTTLS with this certificate and key, and require it before MAIL",
    )
    ap.add_argument(
        "--tls",
        nargs=2,
        metavar=("CERT", "KEY"),
        help="speak TLS from the first byte (implicit TLS) with this certificate and key",
    )
    ap.add_argument(
        "--hang",
        action="store_true",
        help="accept connections but never answer (to test client timeouts)",
    )
    ap.add_argument("--stall", choices=["rcpt", "after-data"])
    ap.add_argument("--stall-secs", type=float, default=600.0)
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    sink = Sink(args.dir, args.refuse, args.stall, args.stall_secs)
    loop = asyncio.get_running_loop()
    def context(pair):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pair[0], pair[1])
        return ctx

    if args.hang:
        factory = asyncio.Protocol
    elif args.starttls:
        ctx = context(args.starttls)
        factory = lambda: SMTP(
            sink,
            hostname="sink.test",
            decode_data=False,
            tls_context=ctx,
            require_starttls=True,
        )
    else:
        factory = lambda: SMTP(sink, hostname="sink.test", decode_data=False)
    server = await loop.create_server(
        factory,
        host="127.0.0.1",
        port=args.port,
        ssl=context(args.tls) if args.tls else None,
    )
    port = server.sockets[0].getsockname()[1]
    sink.log(f"listening on 127.0.0.1:{port}")
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(port))
    os.replace(tmp, args.port_file)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    sink.log("stopped")


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
