"""Scratch databases for the benchmarks: a new, empty database, dropped afterwards.

PostgreSQL at LIAISON_TEST_PG_URL (default: 127.0.0.1:5432, user postgres, trust), created and
dropped by the tests' own helper (tests/dbs.py): the benchmarks use the tests' code, never the reverse.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
import time

from tests.dbs import PG_ADMIN_URL, create_pg_database, drop_pg_database, pg_url

__all__ = ["PG_ADMIN_URL", "create_pg_database", "drop_pg_database", "pg_url", "scale_app", "scratch_database"]


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


@contextlib.contextmanager
def scale_app(kind: str, scale: str):
    """A scratch database of `kind`, migrated and filled with the scale data set ("full" or "small"), and the app on
    it: yields (app, seconds the filling took) inside the app's context; the database goes afterwards."""
    from flask_migrate import upgrade

    from bench.scale import Scale, generate
    from liaison import create_app
    from liaison.extensions import db
    from liaison.seed import seed_reference_data

    with scratch_database(kind) as (url, _what):
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" + "x" * 40, "TESTING": True,
                          "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
        with app.app_context():
            upgrade()
            seed_reference_data()
            db.session.commit()
            started = time.perf_counter()
            generate(Scale() if scale == "full" else Scale.small())
            db.session.commit()
            yield app, time.perf_counter() - started
            db.session.remove()
            db.engine.dispose()
