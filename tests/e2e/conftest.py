"""Browser journeys: one real app server (gunicorn) for the session, an SMTP catcher, headless Chromium.

The database is a fresh PostgreSQL one when PostgreSQL answers (always under LIAISON_REQUIRE_POSTGRES=1),
SQLite otherwise; LIAISON_E2E_DATABASE=sqlite|postgresql picks one. It is migrated and seeded with
`flask db upgrade` and `flask seed --demo`, so journeys use the demo logins (password liaison-demo).
The server is shared by every journey: a journey makes its own users or objects (unique names) or
uses demo users no other journey changes, and never relies on the order journeys run in.

Without /usr/bin/chromium (or node_modules/axe-core) the journeys are skipped and the summary says
why; LIAISON_REQUIRE_BROWSER=1 (CI) turns that into a failure.

A journey asks for `browse` and gets people at browsers:
    secretariat = browse()                   # a fresh browser context at 1280×900, Japanese
    member = browse(viewport=PHONE)           # 390×844
    member.log_in("member02@example.jp"); member.follow("企画運営部会"); member.sees("…")
Every page a visitor lands on is checked with axe-core (serious or critical violations fail).
`mailbox` holds the mail the app sent; `live_server.cli("scheduler", "tick")` runs a CLI command
against the same database.

Adding a journey for an area: a file test_<area>_journeys.py with `pytestmark = pytest.mark.e2e`,
one test per story, written with the Visitor's verbs (open, follow, press, fill, choose, tick,
log_in, sees, fits_the_screen) and Playwright's `expect`. A download is
`with visitor.page.expect_download() as d: visitor.page.get_by_role("link", name=...).click()`;
a reminder is `live_server.cli("scheduler", "tick")` then `mailbox.wait_for(address, subject)`.
A page worth showing gets a line in screenshots.py's SHOTS.
"""
from __future__ import annotations

import os
import re

import pytest

from ..dbs import REQUIRE_POSTGRES, postgres_unavailable, temporary_database
from . import harness

REQUIRE_BROWSER = os.environ.get("LIAISON_REQUIRE_BROWSER", "") not in ("", "0", "false")
FAILURE_SHOTS = harness.PROJECT_ROOT / "screenshots-tmp" / "e2e-failures"
_state: dict[str, str] = {}


def _database_backend() -> str:
    forced = os.environ.get("LIAISON_E2E_DATABASE", "")
    if forced:
        return forced
    if REQUIRE_POSTGRES or postgres_unavailable() is None:
        return "postgresql"
    return "sqlite"


def pytest_collection_modifyitems(items):
    """Everything under tests/e2e is a browser journey, marked or not (-m "not e2e" leaves them out)."""
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here + os.sep) and item.get_closest_marker("e2e") is None:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def _browser_ready():
    reason = harness.browser_missing()
    if reason:
        _state["skip_reason"] = reason
        if REQUIRE_BROWSER:
            pytest.fail(f"LIAISON_REQUIRE_BROWSER is set but {reason}", pytrace=False)
        pytest.skip(f"browser journeys skipped: {reason}")


@pytest.fixture(scope="session")
def mail_catcher(_browser_ready):
    with harness.mail_server() as (port, mailbox):
        yield port, mailbox


@pytest.fixture()
def mailbox(mail_catcher):
    """The mail the app sent during the session (harness.Mailbox: .to(address), .wait_for(address, subject))."""
    return mail_catcher[1]


@pytest.fixture(scope="session")
def live_server(_browser_ready, mail_catcher, tmp_path_factory):
    backend = _database_backend()
    tmp_dir = tmp_path_factory.mktemp("e2e")
    with temporary_database(backend, tmp_dir) as url:
        with harness.live_server(url, tmp_dir, backend=backend, smtp_port=mail_catcher[0]) as server:
            _state["where"] = f"{harness.chromium_version()}, {backend}"
            yield server


@pytest.fixture(scope="session")
def browser(_browser_ready):
    with harness.chromium() as chromium:
        yield chromium


@pytest.fixture()
def browse(request, browser, live_server):
    """browse(viewport=DESKTOP, locale="ja-JP") -> a Visitor with its own cookies."""
    from playwright.sync_api import expect

    from .visitor import Visitor

    expect.set_options(timeout=10_000)
    visitors: list[Visitor] = []

    def _browse(*, viewport=harness.DESKTOP, locale="ja-JP", name=None) -> Visitor:
        phone = viewport["width"] < 600  # a touch screen: tap() works, mobile viewport rules apply
        context = browser.new_context(base_url=live_server.url, viewport=viewport, locale=locale,
                                      timezone_id="Asia/Tokyo", is_mobile=phone, has_touch=phone)
        context.set_default_timeout(15_000)
        visitor = Visitor(context, name or f"visitor{len(visitors) + 1}")
        visitors.append(visitor)
        return visitor

    request.node.stash[_VISITORS] = visitors
    yield _browse
    unchecked = {visitor.name: visitor.unchecked_pages() for visitor in visitors if visitor.unchecked_pages()}
    blocked = [violation for visitor in visitors for violation in visitor.csp_violations]
    for visitor in visitors:
        visitor.context.close()
    if unchecked and not getattr(request.node, "_e2e_failed", False):
        pytest.fail(f"pages reached without an accessibility check (use the Visitor's methods): {unchecked}")
    if blocked and not getattr(request.node, "_e2e_failed", False):
        pytest.fail("the Content-Security-Policy blocked something on these pages:\n" + "\n".join(blocked))


_VISITORS = pytest.StashKey[list]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if item.get_closest_marker("e2e") is None:
        return
    if report.failed:
        item._e2e_failed = True
        if report.when == "call":
            _keep_evidence(item, report)


def _keep_evidence(item, report) -> None:
    """A failed journey leaves a screenshot of each visitor's page and the server log's tail."""
    FAILURE_SHOTS.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", item.name)
    for visitor in item.stash.get(_VISITORS, []):
        path = FAILURE_SHOTS / f"{stem}-{visitor.name}.png"
        try:
            visitor.page.screenshot(path=str(path), full_page=True)
            report.sections.append((f"screenshot of {visitor.name}", f"{visitor.page.url} -> {path}"))
        except Exception as error:  # the page may be gone; the report matters more
            report.sections.append((f"screenshot of {visitor.name}", f"not taken: {error}"))
    server = item.funcargs.get("live_server")
    if server is not None:
        report.sections.append(("app server log (tail)", server.log_tail()))
