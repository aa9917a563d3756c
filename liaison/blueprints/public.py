"""The public 会議録 pages (情報公開): /public/, readable without login and cacheable.

What is shown and how names are masked is liaison.domain.public. Every page is rendered in Japanese
(the official record) on its own base template, which carries no user, no CSRF token and no link
into the logged-in system except the login page, so the same bytes can be served to everyone: each
response has an ETag (304 on revalidation) and `Cache-Control: public`.
"""
from __future__ import annotations

import hashlib
from xml.sax.saxutils import escape

from flask import Blueprint, Response, abort, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import force_locale

from .. import exports
from ..dates import utcnow
from ..domain import public as rules
from ..urls import external_url

bp = Blueprint("public", __name__, url_prefix="/public")


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, never sent with a public page: a response that sets a cookie is not shared
    by caches, and a public page changes nothing in the session (a logged-in reader's cookie is simply
    not refreshed by it)."""

    def should_set_cookie(self, app, session) -> bool:
        if request.blueprint == bp.name:
            return False
        return super().should_set_cookie(app, session)


@bp.record_once
def _install_session_interface(state) -> None:
    if type(state.app.session_interface) is SecureCookieSessionInterface:
        state.app.session_interface = _SessionInterface()

MAX_AGE = 300  # seconds a cache may serve a page before revalidating
CACHE_CONTROL = f"public, max-age={MAX_AGE}"


def _cacheable(response: Response) -> Response:
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Content-Language"] = "ja"
    if not response.get_etag()[0]:
        response.add_etag()
    return response.make_conditional(request)


def _page(template: str, **context) -> Response:
    with force_locale("ja"):
        html = render_template(template, **context)
    return _cacheable(Response(html, mimetype="text/html"))


def _year() -> int | None:
    year = request.args.get("year", type=int)
    return year if year is not None and 1900 <= year <= 2200 else None


@bp.get("/")
def index():
    q = (request.args.get("q") or "").strip()[:100]
    committees = rules.public_committees()
    slug = request.args.get("committee") or ""
    committee = next((c for c in committees if c.slug == slug), None)
    year = _year()
    searched = bool(q or committee or year)
    results = rules.minutes_list(committee, year, q) if searched else rules.newest_published(limit=10)
    return _page("public/index.html", committees=committees, years=rules.fiscal_years(), q=q, committee=committee,
                 year=year, searched=searched, results=results, limit=rules.SEARCH_LIMIT)


@bp.get("/<slug:slug>/")
def committee(slug):
    shown = rules.public_committee(slug) or abort(404)
    years = rules.fiscal_years(shown)
    year = _year()
    if year is None and years:
        year = years[0]
    minutes = rules.minutes_list(shown, year) if year is not None else []
    decisions = [(entry, item) for entry in minutes for item in entry.decisions()]
    return _page("public/committee.html", committee=shown, years=years, year=year, minutes=minutes,
                 decisions=decisions)


@bp.get("/minutes/<int:minutes_id>")
def minutes(minutes_id):
    shown = rules.minutes_by_id(minutes_id) or abort(404)
    return _page("public/minutes.html", shown=shown, committee=shown.committee, signers=rules.signer_lines(shown))


@bp.get("/minutes/<int:minutes_id>.pdf")
def minutes_pdf(minutes_id):
    shown = rules.minutes_by_id(minutes_id) or abort(404)
    committee = shown.committee
    signers = rules.signer_lines(shown)
    # The ETag names what the PDF is made of, so a revalidation costs no rendering.
    key = (f"{shown.minutes.id}:{shown.version.id}:{shown.minutes.published_at}:{committee.public_mask_names}:"
           f"{committee.public_keep_officers}:{shown.approval}:{signers}")
    etag = hashlib.sha256(key.encode()).hexdigest()[:32]
    if request.if_none_match.contains(etag):
        response = Response(status=304)
        response.set_etag(etag)
        response.headers["Cache-Control"] = CACHE_CONTROL
        return response
    content = exports.minutes_pdf(shown.minutes, shown.version, shown=(shown.facts, shown.texts, shown.approval),
                                  shown_signers=signers)
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = exports.content_disposition(
        exports.file_name(shown.version, "pdf"), inline=True)
    response.set_etag(etag)
    return _cacheable(response)


@bp.get("/feed.atom")
def feed():
    """Atom feed of newly published minutes (no personal data: titles and links only)."""
    entries = rules.newest_published()
    updated = max((e.minutes.published_at for e in entries if e.minutes.published_at), default=None) or utcnow()
    self_url = external_url("public.feed")
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ja">',
        f"<title>{escape('人づくり広域連合 会議録(新着)')}</title>",
        f"<id>{escape(self_url)}</id>",
        f'<link rel="self" href="{escape(self_url)}"/>',
        f'<link rel="alternate" type="text/html" href="{escape(external_url("public.index"))}"/>',
        f"<updated>{_atom_time(updated)}</updated>",
        f"<author><name>{escape('彩の国さいたま人づくり広域連合')}</name></author>",
    ]
    for entry in entries:
        url = external_url("public.minutes", minutes_id=entry.minutes.id)
        title = f"{entry.facts['name']} 議事録"
        lines += [
            "<entry>",
            f"<title>{escape(title)}</title>",
            f"<id>{escape(url)}</id>",
            f'<link rel="alternate" type="text/html" href="{escape(url)}"/>',
            f"<updated>{_atom_time(entry.minutes.published_at or updated)}</updated>",
            f"<summary>{escape(entry.committee.name + ' ' + entry.facts['when'])}</summary>",
            "</entry>",
        ]
    lines.append("</feed>")
    return _cacheable(Response("\n".join(lines) + "\n", mimetype="application/atom+xml"))


def _atom_time(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
