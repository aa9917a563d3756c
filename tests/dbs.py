"""Throwaway test databases on SQLite and PostgreSQL (the benchmarks' scratch databases use these too)."""
from __future__ import annotations

import contextlib
import os
import secrets

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_ADMIN_URL = os.environ.get("LIAISON_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REQUIRE_POSTGRES = os.environ.get("LIAISON_REQUIRE_POSTGRES", "") not in ("", "0", "false")
BACKENDS = ("sqlite", "postgresql")


def pg_url(name: str) -> str:
    """The URL of database `name` on the test PostgreSQL server."""
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _admin(statement: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()


def create_pg_database(name: str, *, replace: bool = False) -> str:
    """Create database `name` (first dropping one of that name when `replace`); returns its URL."""
    if replace:
        drop_pg_database(name)
    _admin(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    return pg_url(name)


def drop_pg_database(name: str) -> None:
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_unavailable() -> str | None:
    """Why the PostgreSQL leg cannot run here, or None when it can."""
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # any driver or network failure means: no PostgreSQL here
        return f"PostgreSQL not reachable at {make_url(PG_ADMIN_URL).render_as_string(hide_password=True)}: {type(error).__name__}"
    return None


def skip_or_fail_without_postgres() -> None:
    reason = postgres_unavailable()
    if reason:
        if REQUIRE_POSTGRES:
            pytest.fail(f"LIAISON_REQUIRE_POSTGRES is set but {reason}", pytrace=False)
        pytest.skip(f"PostgreSQL leg skipped: {reason}")


@contextlib.contextmanager
def temporary_database(backend: str, tmp_dir):
    """Yield the URL of a new empty database; drop it afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_dir / f'liaison-{secrets.token_hex(4)}.sqlite3'}"
        return
    skip_or_fail_without_postgres()
    name = f"liaison_test_{os.getpid()}_{secrets.token_hex(4)}"
    url = create_pg_database(name)
    try:
        yield url
    finally:
        drop_pg_database(name)
