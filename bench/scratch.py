"""Scratch databases for the benchmarks: a new, empty database, dropped afterwards.

PostgreSQL at LIAISON_TEST_PG_URL (default: 127.0.0.1:5432, user postgres, trust, as the tests use).
"""
from __future__ import annotations

import contextlib
import os
import secrets
import tempfile

PG_ADMIN_URL = os.environ.get("LIAISON_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def pg_url(name: str) -> str:
    """The URL of database `name` on the benchmark's PostgreSQL server."""
    from sqlalchemy.engine import make_url

    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _admin(statement: str) -> None:
    from sqlalchemy import create_engine, text

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


@contextlib.contextmanager
def scratch_database(kind: str):
    """Yield (URL, what it is) of a new empty database, "sqlite" or "postgresql"; removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite3", "scratch SQLite file"
        return
    name = f"liaison_bench_{os.getpid()}_{secrets.token_hex(4)}"
    url = create_pg_database(name)
    try:
        yield url, "scratch PostgreSQL database"
    finally:
        drop_pg_database(name)
