"""Scratch databases for the benchmarks: a new, empty database, dropped afterwards.

PostgreSQL at LIAISON_TEST_PG_URL (default: 127.0.0.1:5432, user postgres, trust), created and
dropped by the tests' own helper (tests/dbs.py): the benchmarks use the tests' code, never the reverse.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import tempfile

from tests.dbs import PG_ADMIN_URL, create_pg_database, drop_pg_database, pg_url

__all__ = ["PG_ADMIN_URL", "create_pg_database", "drop_pg_database", "pg_url", "scratch_database"]


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
