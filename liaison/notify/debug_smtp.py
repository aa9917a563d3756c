"""A local SMTP server for the demo: prints one line per mail (time, recipients, decoded subject), or
each mail in full with --full (text and attachments). Nothing is delivered anywhere.

`python -m liaison.notify.debug_smtp [--host 127.0.0.1] [--port 8025] [--full]`
Needs aiosmtpd (installed with the dev extras, as `make run` does).
"""
from __future__ import annotations

import argparse
import email
import errno
import os
import signal
import socket
import sys
import threading
from datetime import datetime
from email.policy import default as default_policy

RULE = "=" * 72


class PrintingHandler:
    """aiosmtpd's handler: each mail received is printed to `out`, in one line or (`full`) in full."""

    def __init__(self, out=None, *, full: bool = False):
        self.out = out or sys.stdout
        self.full = full

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        text = self._full(message, envelope) if self.full else self._line(message, envelope)
        print(text, file=self.out, flush=True)
        return "250 Message accepted (debug server: printed, not delivered)"

    @staticmethod
    def _line(message, envelope) -> str:
        return f"[mail {datetime.now():%H:%M:%S}] {', '.join(envelope.rcpt_tos)}  {message['Subject']}"

    @staticmethod
    def _full(message, envelope) -> str:
        lines = [
            RULE,
            "[DEBUG SMTP: not delivered, printed here only]",
            f"To:         {', '.join(envelope.rcpt_tos)}",
            f"Subject:    {message['Subject']}",
            f"Message-ID: {message['Message-ID']}",
            "-" * 72,
        ]
        body = message.get_body(("plain",))
        if body is not None:
            lines.append(body.get_content().rstrip())
        for part in message.iter_attachments():
            lines.append(f"[attachment] {part.get_filename()} ({part.get_content_type()}, {len(part.get_payload(decode=True))} bytes)")
        lines.append(RULE)
        return "\n".join(lines)


def port_in_use_message(host: str, port: int) -> str:
    """One line, in Japanese and English, instead of aiosmtpd's traceback."""
    return (f"debug SMTP: {host}:{port} は使用中です。別のポートを指定してください(例: SMTP_PORT={port + 1} make run) / "
            f"port {port} is in use: choose another one, e.g. SMTP_PORT={port + 1} make run")


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's server does
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def main(argv: list[str] | None = None) -> int:
    from aiosmtpd.controller import Controller

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--full", action="store_true", help="print each mail in full, not one line per mail")
    args = parser.parse_args(argv)
    if not port_is_free(args.host, args.port):
        print(port_in_use_message(args.host, args.port), file=sys.stderr, flush=True)
        return 1
    controller = Controller(PrintingHandler(full=args.full), hostname=args.host, port=args.port)
    try:
        controller.start()
    except OSError as error:  # taken between the check and the start
        print(port_in_use_message(args.host, args.port) if error.errno == errno.EADDRINUSE else f"debug SMTP: {error}",
              file=sys.stderr, flush=True)
        os._exit(1)  # aiosmtpd's loop thread may still be alive
    print(f"debug SMTP server on {args.host}:{args.port}: one line per mail here, nothing is delivered"
          f"{' (in full)' if args.full else ''}.", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
