"""Issue 17: the security headers on every GET route, and pages the Content-Security-Policy does not break.

Every GET endpoint is requested (the pages of tests/web/test_query_budget.py, which must list every GET
route, on the benchmark generator's small data set), plus a static file, the login page, an error page.
"""
from __future__ import annotations

import re

from liaison.extensions import db
from bench.scale import Scale, generate

from .test_query_budget import NOT_PAGES, PAGES, PASSWORD, _ids

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<[a-z][^>]*\sstyle\s*=|<style[\s>]", re.I)


def _check_headers(response, where: str) -> list[str]:
    problems = []
    headers = response.headers
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"{where}: no X-Content-Type-Options: nosniff")
    if headers.get("Referrer-Policy") not in ("same-origin", "no-referrer"):
        problems.append(f"{where}: Referrer-Policy {headers.get('Referrer-Policy')!r} may send a URL to another site")
    if response.mimetype == "text/html":
        csp = headers.get("Content-Security-Policy", "")
        directives = dict((part.split(" ", 1) + [""])[:2] for part in (p.strip() for p in csp.split(";")) if part)
        if directives.get("frame-ancestors") != "'none'":
            problems.append(f"{where}: CSP without frame-ancestors 'none': {csp!r}")
        script_src = directives.get("script-src", directives.get("default-src", ""))
        if not script_src or "unsafe-inline" in script_src or "unsafe-eval" in script_src or "*" in script_src:
            problems.append(f"{where}: CSP script-src allows inline or foreign scripts: {csp!r}")
        if "unsafe-inline" in directives.get("style-src", ""):
            problems.append(f"{where}: CSP allows inline styles")
        if directives.get("object-src") != "'none'":
            problems.append(f"{where}: CSP without object-src 'none'")
        if where.startswith("public."):
            # The public 会議録 pages are the one exception: the same bytes for everyone, cached and shared.
            if headers.get("Cache-Control") != "public, max-age=300" or "ETag" not in headers:
                problems.append(f"{where}: public page without Cache-Control: public and an ETag")
            if "Set-Cookie" in headers:
                problems.append(f"{where}: public page sets a cookie")
        elif "no-store" not in headers.get("Cache-Control", ""):
            problems.append(f"{where}: HTML page without Cache-Control: no-store")
        body = response.get_data(as_text=True)
        for pattern, what in ((INLINE_SCRIPT, "an inline <script>"), (INLINE_HANDLER, "an inline on…= handler"),
                              (INLINE_STYLE, "an inline style")):
            match = pattern.search(body)
            if match:
                problems.append(f"{where}: {what} the CSP blocks: {match.group(0)[:80]!r}")
    return problems


def test_every_get_route_has_the_security_headers(app, client, login):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    assert endpoints <= set(PAGES) | set(NOT_PAGES), "a GET route is missing from test_query_budget.PAGES"
    with app.app_context():
        generate(Scale.small())
        db.session.commit()
    params, emails = _ids(app, client)
    problems, checked = [], 0
    current = "nobody"
    for endpoint, (who, template) in sorted(PAGES.items(), key=lambda page: page[1][0] or ""):
        if who != current:
            client = app.test_client()
            if who is not None:
                login(client, emails[who], PASSWORD)
            current = who
        path = template.format(**params)
        response = client.get(path)
        assert response.status_code == 200, f"{who} {path}: {response.status_code}"
        problems += _check_headers(response, f"{endpoint} {path}")
        checked += 1
    anonymous = app.test_client()
    for path, status in (("/static/style.css", 200), ("/static/actions.js", 200), ("/login", 200),
                         ("/static/no-such-file.css", 404), ("/council/", 302)):
        response = anonymous.get(path)
        response.close()  # a static file is streamed from disk
        assert response.status_code == status, path
        problems += _check_headers(response, path)
        checked += 1
    assert not problems, "\n".join(problems)
    assert checked == len(PAGES) + 5


def test_pages_showing_a_feed_url_send_no_referrer_to_other_sites(app, client, login, factory):
    factory.member("planning", email="member@example.jp")
    login(client, "member@example.jp")
    response = client.get("/account")
    assert "/calendar/" in response.get_data(as_text=True)  # the page shows the secret feed URL
    assert response.headers["Referrer-Policy"] in ("no-referrer", "same-origin")
    assert "no-store" in response.headers["Cache-Control"]


def test_the_csp_itself_blocks_inline_scripts_and_framing(app, client):
    csp = client.get("/login").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert client.get("/login").headers["X-Frame-Options"] == "DENY"
