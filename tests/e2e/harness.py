"""The browser harness: the app as a real server on loopback, a mail catcher, Chromium and axe-core.

Shared by the journeys (tests/e2e/conftest.py) and the screenshot script (tests/e2e/screenshots.py),
so both see the app the way a visitor does: migrated and seeded through the CLI, served by gunicorn.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("LIAISON_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
AXE_SCRIPT = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
DEMO_PASSWORD = "liaison-demo"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# Impacts that fail a journey; minor and moderate findings are reported only when asked for.
FAILING_IMPACTS = ("serious", "critical")


def browser_missing() -> str | None:
    """Why no browser journey can run here, or None when one can."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if not AXE_SCRIPT.is_file():
        return f"axe-core not installed at {AXE_SCRIPT.relative_to(PROJECT_ROOT)} (npm ci)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- mail ------------------------------------------------------------------------------------


@dataclass
class CaughtMail:
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""


class Mailbox:
    """Every message the app sends over SMTP during the session (an aiosmtpd handler)."""

    def __init__(self) -> None:
        self.messages: list[CaughtMail] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self._arrived:
            self.messages.append(CaughtMail(list(envelope.rcpt_tos), message))
            self._arrived.notify_all()
        return "250 Message accepted"

    def to(self, address: str) -> list[CaughtMail]:
        with self._arrived:
            return [mail for mail in self.messages if address in mail.recipients]

    def wait_for(self, address: str, subject_contains: str = "", timeout: float = 15.0) -> CaughtMail:
        """The first mail to `address` whose subject contains the text, waiting for the scheduler to send it."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for mail in self.messages:
                    if address in mail.recipients and subject_contains in mail.subject:
                        return mail
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [(m.recipients, m.subject) for m in self.messages]
                    raise AssertionError(f"no mail to {address} with {subject_contains!r} within {timeout}s; caught: {seen}")
                self._arrived.wait(remaining)


@contextlib.contextmanager
def mail_server():
    """An SMTP server on loopback that keeps what it receives; yields (port, mailbox)."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, mailbox
    finally:
        controller.stop()


# --- the app under test ----------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    backend: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen = field(repr=False)

    def cli(self, *args: str, timeout: float = 120) -> str:
        """Run `flask --app wsgi ARGS` against the server's database (e.g. "scheduler", "tick")."""
        return run_cli(self.env, *args, timeout=timeout)

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def server_environment(database_url: str, tmp_dir: Path, *, port: int, smtp_port: int, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SMTP_", "MAIL_"))}
    env.update(
        LIAISON_ENV="production",
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_urlsafe(48),
        BASE_URL=f"http://127.0.0.1:{port}",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_port),
        MAIL_FROM="liaison@example.jp",
        UPLOAD_FOLDER=str(tmp_dir / "uploads"),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def run_cli(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


@contextlib.contextmanager
def live_server(database_url: str, tmp_dir: Path, *, backend: str, smtp_port: int, **extra_env: str):
    """Migrate and seed the demo through the CLI, then serve the app with gunicorn until the block ends."""
    port = free_port()
    env = server_environment(database_url, tmp_dir, port=port, smtp_port=smtp_port, **extra_env)
    run_cli(env, "db", "upgrade")
    run_cli(env, "seed", "--demo")
    log_path = tmp_dir / "server.log"
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
               "--access-logfile", "-", "--error-logfile", "-", "--graceful-timeout", "3"]
    if _gunicorn_version() >= (27,):
        command.append("--no-control-socket")  # else every server shares ~/.gunicorn/gunicorn.ctl
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*command, "wsgi:app"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        server = LiveServer(f"http://127.0.0.1:{port}", backend, env, log_path, process)
        try:
            _wait_until_healthy(server)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _gunicorn_version() -> tuple[int, ...]:
    import gunicorn

    return tuple(gunicorn.version_info)


def _wait_until_healthy(server: LiveServer, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the app server exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the app server did not answer /healthz within {timeout}s:\n{server.log_tail()}")


# --- the browser -----------------------------------------------------------------------------


@contextlib.contextmanager
def chromium():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def chromium_version() -> str:
    try:
        out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.strip().splitlines()[-1] if out.strip() else "unknown"


_axe_source: str | None = None


def axe_violations(page, impacts=FAILING_IMPACTS) -> list[dict]:
    """Run axe-core on the page as it is now; the violations of the given impacts."""
    global _axe_source
    if not page.evaluate("() => typeof window.axe === 'object'"):
        if _axe_source is None:
            _axe_source = AXE_SCRIPT.read_text()
        page.evaluate(_axe_source)
    violations = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [v for v in violations if v.get("impact") in impacts]


def describe_violations(url: str, violations: list[dict]) -> str:
    lines = [f"axe-core found {len(violations)} accessibility violation(s) on {url}:"]
    for v in violations:
        targets = ", ".join(str(node["target"]) for node in v["nodes"][:4])
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} — {targets}")
    return "\n".join(lines)
