"""External links (mails, calendar feeds, the convocation notice): built from the routes under BASE_URL.

Every absolute link is `url_for`'s work on a URL adapter bound to BASE_URL (its scheme, host and path
prefix), the way Indico builds its iCal links under a configured server name; so the scheduler and the
feed need no request, no route is copied by hand, and a request that arrived under another Host (a
health check, an internal address) still links to the public address. SERVER_NAME is left unset on
purpose: in a request Flask 3.1 builds `url_for(..., _external=True)` from the request's Host anyway
and the test client would take SERVER_NAME as its host.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import MapAdapter


def _adapter(base_url: str | None) -> MapAdapter:
    """The app's URL map bound to `base_url` (default BASE_URL), kept per app and base (binding costs µs)."""
    app = current_app._get_current_object()
    base_url = base_url or app.config["BASE_URL"]
    adapters = app.extensions.setdefault("liaison.urls", {})
    adapter = adapters.get(base_url)
    if adapter is None:
        parts = urlsplit(base_url)
        adapter = adapters[base_url] = app.url_map.bind(
            parts.netloc, script_name=parts.path.rstrip("/") or "/", url_scheme=parts.scheme or "http",
        )
    return adapter


def external_url(endpoint: str, *, base_url: str | None = None, **values) -> str:
    """The absolute URL of `endpoint` under BASE_URL (or `base_url`), e.g. a meeting's page in a mail."""
    return _adapter(base_url).build(endpoint, values, force_external=True)


def meeting_url(meeting, base_url: str | None = None) -> str:
    """A meeting's page (DESIGN: /<slug>/meetings/<id>), absolute."""
    return _adapter(base_url).build(
        "meetings.show", {"committee": meeting.committee.slug, "meeting_id": meeting.id}, force_external=True
    )


def internal_path(endpoint: str, **values) -> str:
    """The path of `endpoint` below BASE_URL (what Notification.link stores; `absolute` completes it)."""
    adapters = current_app.extensions.setdefault("liaison.urls", {})
    adapter = adapters.get(None)
    if adapter is None:
        adapter = adapters[None] = current_app.url_map.bind("localhost", script_name="/")
    return adapter.build(endpoint, values)


def absolute(path: str, base_url: str | None = None) -> str:
    """A path below BASE_URL (as Notification.link stores it) made absolute."""
    return (base_url or current_app.config["BASE_URL"]).rstrip("/") + path
