"""The migrations are the schema: from empty they reach the models exactly, and go down and up again."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from liaison.extensions import db

from .conftest import make_app
from .dbs import BACKENDS, temporary_database


def _differences(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


@pytest.mark.parametrize("backend", BACKENDS)
def test_migrations_match_models_and_round_trip(backend, tmp_path):
    with temporary_database(backend, tmp_path) as url:
        app = make_app(url, tmp_path)
        with app.app_context():
            upgrade()
        assert _differences(app) == []
        with app.app_context():
            downgrade(revision="base")
            tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
            assert tables == set()
            upgrade()
        assert _differences(app) == []
        with app.app_context():
            db.engine.dispose()
