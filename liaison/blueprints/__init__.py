"""One blueprint per area; committee-scoped ones are served under /<slug>/."""
from __future__ import annotations

from flask import Flask
from werkzeug.routing import BaseConverter


class SlugConverter(BaseConverter):
    """A committee slug: lower-case letters, digits and hyphens (never a file name)."""

    regex = r"[a-z][a-z0-9-]*"


def register_blueprints(app: Flask) -> None:
    from .handling import init_transactions

    app.url_map.converters["slug"] = SlugConverter
    init_transactions(app)  # the request's one commit, after the view
    from . import (
        admin, auth, calendar, committees, dashboard, health, meetings, minutes, notifications, proposals, public,
        reports, sitting, votes,
    )
    from . import sitting_materials  # noqa: F401 (「この資料を全員に表示」: its views join sitting.bp)

    app.register_blueprint(health.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(minutes.archive)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(notifications.admin_bp)
    app.register_blueprint(calendar.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(public.bp)
    from ..api import init_api

    init_api(app)  # /api/v1 (liaison/api): before the committee-scoped /<committee>/ paths
    # Committee-scoped blueprints last: their /<committee>/ prefix must not shadow fixed paths.
    app.register_blueprint(committees.bp)
    app.register_blueprint(meetings.bp)
    app.register_blueprint(sitting.bp)
    app.register_blueprint(votes.bp)
    app.register_blueprint(notifications.meeting_bp)
    app.register_blueprint(calendar.committee_bp)
    app.register_blueprint(proposals.bp)
    app.register_blueprint(minutes.bp)
