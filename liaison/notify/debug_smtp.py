"""A local SMTP server for the demo that prints each mail readably (decoded subject, text, attachments).

`python -m liaison.notify.debug_smtp [--host 127.0.0.1] [--port 8025]` — nothing is delivered anywhere.
Needs aiosmtpd (installed with the dev extras, as `make run` does).
"""
from __future__ import annotations

import argparse
import email
import signal
import sys
import threading
from email.policy import default as default_policy

RULE = "=" * 72


class PrintingHandler:
    def __init__(self, out=None):
        self.out = out or sys.stdout

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=default_policy)
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
        print("\n".join(lines), file=self.out, flush=True)
        return "250 Message accepted (debug server: printed, not delivered)"


def main() -> None:
    from aiosmtpd.controller import Controller

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    args = parser.parse_args()
    controller = Controller(PrintingHandler(), hostname=args.host, port=args.port)
    controller.start()
    print(f"debug SMTP server on {args.host}:{args.port}: mails are printed here, not delivered.", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
