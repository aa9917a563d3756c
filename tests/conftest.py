"""Shared fixtures: the app on SQLite and PostgreSQL, clients, log-in, factories, query counting.

Every test that uses `app` runs twice, once per database. HTTP tests must not hold an app
context while they make requests (a request would share it, and with it the logged-in user);
set up data inside `with app.app_context():` blocks, or use the `ctx` fixture in domain tests.
"""
from __future__ import annotations

import contextlib
import os
import re

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import event

from liaison import create_app
from liaison.extensions import db
from liaison.security import reset_throttles
from liaison.seed import seed_reference_data

from .dbs import BACKENDS, REQUIRE_POSTGRES, temporary_database

PASSWORD = "test-password-1"
REFERENCE_TABLES = {"bodies", "committees", "plan_policies", "alembic_version"}
_leg_results: dict[str, dict[str, int]] = {backend: {"passed": 0, "failed": 0, "skipped": 0} for backend in BACKENDS}
_skip_reasons: dict[str, str] = {}


def make_app(database_url: str, tmp_dir, **overrides):
    config = {
        "TESTING": True,
        "LIAISON_ENV": "testing",
        "SECRET_KEY": "test-secret-key-not-for-production-0123456789",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_FOLDER": str(tmp_dir / "uploads"),
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "BASE_URL": "http://liaison.test",
        "FEED_RECHECK_SECONDS": 0,  # every revalidation checks the database (tests/web/test_calendar.py turns it on)
    }
    config.update(overrides)
    app = create_app(config)
    _throwaway_apps.append(app)
    return app


_throwaway_apps: list = []  # apps a test made for itself (a second host, a probe): their pools closed after it


@pytest.fixture(autouse=True)
def _close_throwaway_apps():
    """Close the connection pools of the apps a test made, so no open connection is left to the garbage collector
    (psycopg reports one collected while open as an unraisable exception, during whichever test runs then)."""
    yield
    while _throwaway_apps:
        made = _throwaway_apps.pop()
        with made.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture(scope="session")
def _session_app(backend, tmp_path_factory):
    """One migrated, seeded database per backend for the whole run."""
    tmp_dir = tmp_path_factory.mktemp(f"app-{backend}")
    with temporary_database(backend, tmp_dir) as url:
        app = make_app(url, tmp_dir)
        _throwaway_apps.remove(app)  # kept for the whole run, closed below
        with app.app_context():
            upgrade()
            seed_reference_data()
            db.session.commit()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _clean(app) -> None:
    """Delete everything but the reference data, children first."""
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                if table.name not in REFERENCE_TABLES:
                    connection.execute(table.delete())
            # a test may switch a committee's chair rule (a reference row): back to the default
            connection.execute(db.metadata.tables["committees"].update().values(
                chair_votes=False, minutes_signers=False, minutes_signer_members=2, signers_before_approval=False))


@pytest.fixture()
def app(_session_app):
    yield _session_app
    _clean(_session_app)
    with _session_app.app_context():
        reset_throttles()  # log-in and feed-token failures counted by one test do not slow the next


@pytest.fixture()
def ctx(app):
    """An app context for domain tests (no HTTP requests while it is held)."""
    with app.app_context():
        yield db.session
        db.session.rollback()


class Client(FlaskClient):
    """A test client that fills in the CSRF token the way a browser form would."""

    _token: str | None = None

    def csrf_token(self) -> str:
        if self._token is None:
            response = self.get("/login")
            if response.status_code == 302:
                response = self.get("/account")
            match = re.search(r'<meta name="csrf-token" content="([^"]+)"', response.get_data(as_text=True))
            assert match, "no CSRF token on the page"
            self._token = match.group(1)
        return self._token

    def forget_token(self) -> None:
        self._token = None

    def form(self, url: str, data: dict | None = None, **kwargs):
        """POST a form with a valid CSRF token."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kwargs)


@pytest.fixture()
def client(app):
    app.test_client_class = Client
    return app.test_client()


@pytest.fixture()
def login():
    """login(client, email): log in through the real form."""

    def _login(client: Client, email: str, password: str = PASSWORD):
        client.forget_token()
        response = client.form("/login", {"email": email, "password": password})
        client.forget_token()  # the session (and its CSRF secret) was renewed
        assert response.status_code == 302, f"login as {email} failed: {response.status_code}"
        return response

    return _login


@pytest.fixture()
def factory(app):
    """Builders for test data; each returns committed objects' ids through a fresh context."""
    from .factories import Factory

    return Factory(app)


@pytest.fixture()
def count_queries(app):
    """with count_queries() as counter: ...; counter.count is the number of SQL statements run."""

    @contextlib.contextmanager
    def _counter():
        with app.app_context():
            engine = db.engine
        counter = _QueryCounter()
        event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", counter)

    return _counter


class _QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "PRAGMA")):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


def _leg(nodeid: str) -> str | None:
    """The database leg of a test from its id (works in xdist's controller too, which has no items)."""
    match = re.search(r"\[(.*)\]$", nodeid)
    if not match:
        return None
    parts = set(match.group(1).split("-"))
    return next((backend for backend in BACKENDS if backend in parts), None)


_journeys = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
_journey_skip: list[str] = []
REQUIRE_BROWSER = os.environ.get("LIAISON_REQUIRE_BROWSER", "") not in ("", "0", "false")


def _count_journey(report) -> None:
    """Browser journeys (tests/e2e) are counted here, in the root conftest, which xdist's controller loads."""
    if report.when == "call" and report.passed:
        _journeys["passed"] += 1
    elif report.failed:
        _journeys["failed" if report.when == "call" else "errors"] += 1
    elif report.skipped and report.when in ("setup", "call"):
        _journeys["skipped"] += 1
        if isinstance(report.longrepr, tuple) and not _journey_skip:
            _journey_skip.append(report.longrepr[2])


def pytest_runtest_logreport(report):
    if report.nodeid.startswith("tests/e2e/"):
        _count_journey(report)
    leg = _leg(report.nodeid)
    if leg is None:
        return
    if report.when == "call" and report.passed:
        _leg_results[leg]["passed"] += 1
    elif report.failed:
        _leg_results[leg]["failed"] += 1
    elif report.skipped and report.when in ("setup", "call"):
        _leg_results[leg]["skipped"] += 1
        if isinstance(report.longrepr, tuple):
            _skip_reasons.setdefault(leg, report.longrepr[2])


def pytest_terminal_summary(terminalreporter):
    _journey_summary(terminalreporter)
    terminalreporter.section("database legs")
    for leg, counts in _leg_results.items():
        ran = counts["passed"] + counts["failed"]
        if ran == 0 and counts["skipped"]:
            state = f"SKIPPED ({_skip_reasons.get(leg, 'see the skip reasons above')})"
        elif ran == 0:
            state = "not selected"
        else:
            state = "ran"
        terminalreporter.write_line(
            f"{leg:>10} leg: {state}: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
        )
    if REQUIRE_POSTGRES and _leg_results["postgresql"]["passed"] + _leg_results["postgresql"]["failed"] == 0:
        terminalreporter.write_line("LIAISON_REQUIRE_POSTGRES is set and no PostgreSQL test ran", red=True)


def _journey_summary(terminalreporter) -> None:
    counts = _journeys
    ran = counts["passed"] + counts["failed"]
    if ran:
        state = "ran in headless Chromium"
    elif counts["errors"]:
        state = "DID NOT RUN (the set-up failed, see the errors above)"
    elif counts["skipped"]:
        state = f"SKIPPED ({_journey_skip[0] if _journey_skip else 'see the skip reasons above'})"
    else:
        state = "not selected"
    terminalreporter.section("browser journeys")
    terminalreporter.write_line(
        f"browser journeys: {state}: {counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['errors']} errors, {counts['skipped']} skipped"
    )
    if REQUIRE_BROWSER and ran == 0:
        terminalreporter.write_line("LIAISON_REQUIRE_BROWSER is set and no browser journey ran", red=True)


def pytest_sessionfinish(session, exitstatus):
    pg = _leg_results["postgresql"]
    if REQUIRE_POSTGRES and pg["passed"] + pg["failed"] == 0 and exitstatus == 0:
        session.exitstatus = 1
    if REQUIRE_BROWSER and _journeys["passed"] + _journeys["failed"] == 0 and exitstatus == 0:
        session.exitstatus = 1
