"""The scheduler process: `flask --app wsgi scheduler run` (every minute) and `scheduler tick` (one pass).

It runs on its own, never inside create_app() or a web worker; several may run (a standby), the
sender lock lets one send at a time.
"""
from __future__ import annotations

import logging
import signal
from datetime import datetime

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ..dates import TOKYO
from .sender import run_pass

log = logging.getLogger(__name__)
scheduler_cli = AppGroup("scheduler", help="The notification sender (run it as its own process).")


def send_due(app: Flask) -> None:
    """The job: one pass in a fresh app context (so each pass starts with a clean session)."""
    with app.app_context():
        result = run_pass()
    if result.outcomes or result.recovered or not result.locked:
        click.echo(f"scheduler {datetime.now(TOKYO):%Y-%m-%d %H:%M:%S}: {result.summary()}")


@scheduler_cli.command("tick")
def tick_command() -> None:
    """Send what is due now, once, and exit (for cron and tests)."""
    click.echo(f"scheduler tick: {run_pass().summary()}")


@scheduler_cli.command("run")
def run_command() -> None:
    """Send what is due every minute until stopped (Ctrl-C or SIGTERM)."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler

    app = current_app._get_current_object()
    scheduler = BlockingScheduler(timezone=TOKYO, executors={"default": ThreadPoolExecutor(1)})
    interval = float(app.config.get("NOTIFY_INTERVAL_SECONDS", 60))
    scheduler.add_job(
        send_due, "interval", args=[app], seconds=interval, id="send-due-notifications",
        next_run_time=datetime.now(TOKYO),  # catch up at once after a start, then every interval (a minute)
        max_instances=1, coalesce=True, misfire_grace_time=max(1, int(interval * 5 / 6)),
    )

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    click.echo("scheduler: sending due notifications every minute (Asia/Tokyo); Ctrl-C stops.")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)
    click.echo("scheduler: stopped.")
