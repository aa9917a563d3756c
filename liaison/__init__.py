"""liaison: meetings of 彩の国さいたま人づくり広域連合's 連絡調整会議 and its 部会."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from .config import load_config
from .extensions import babel, csrf, db, login_manager, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """The app factory: config, extensions, blueprints, CLI, error pages."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(load_config(Path(app.instance_path), config))

    from . import models  # noqa: F401  (register the tables with the metadata)
    from .security import init_security
    from .web import init_web

    db.init_app(app)
    from .domain import audit_chain

    audit_chain.init_app(app)  # seals audit rows into the hash chain at commit
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    init_web(app, babel)
    init_security(app)
    from .pages import cache as page_cache

    page_cache.init_app(app)  # after the session checks: a cached page is served to a checked viewer only

    from . import notify
    from .blueprints import register_blueprints
    from .cli import register_cli

    notify.init_app(app)  # the notifier listens to the domain's events
    register_blueprints(app)
    register_cli(app)
    from . import admission, live_edge

    admission.init_app(app)  # a few application calls of this process at once (the interpreter runs one)
    live_edge.init_app(app)  # the screen's 304 of live.json, in front of Flask
    from . import hot_commit

    hot_commit.install()  # last: the commit hooks above queue their hot statements for it (PostgreSQL)

    return app
