"""The JSON API's query budget, as the pages' (tests/web/test_query_budget.py): every GET of /api/v1 runs the
same number of queries on the benchmark generator's small data set and on ten times it, and no more than
the pages' budget. Each is asked with a token of the user who sees the most on it."""
from __future__ import annotations

from sqlalchemy import select

from bench.scale import Scale, generate
from liaison.domain import api_tokens
from liaison.extensions import db
from liaison.models import Committee, Meeting, User

from ..conftest import _clean
from ..web.test_query_budget import BUDGET, NOT_PAGES, _extra, _ids

API = {
    "api.me": ("member", "/api/v1/me"),
    "api.committees": ("member", "/api/v1/committees"),
    "api.seats": ("member", "/api/v1/committees/{council}/seats"),
    "api.upcoming": ("member", "/api/v1/meetings/upcoming"),
    "api.committee_meetings": ("member", "/api/v1/committees/{council}/meetings"),
    "api.meeting": ("member", "/api/v1/meetings/{held}"),
    "api.live": ("member", "/api/v1/meetings/{held}/live"),
    "api.vote": ("member", "/api/v1/votes/{vote}"),
    "api.proposals": ("member", "/api/v1/committees/{council}/proposals?q=研修&status=adopted"),
    "api.proposal": ("member", "/api/v1/proposals/{proposal}"),
    "api.minutes": ("member", "/api/v1/meetings/{published}/minutes"),
    "api.tasks": ("member", "/api/v1/tasks"),
}
SECOND_VIEWS = [
    ("secretariat", "/api/v1/meetings/upcoming"),
    ("secretariat", "/api/v1/meetings/{held}"),
    ("secretariat", "/api/v1/committees/{council}/proposals?fy={year}"),
    ("secretariat", "/api/v1/tasks"),
    ("member", "/api/v1/meetings/{convened}"),
]


def test_every_api_get_is_in_the_budget_list(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()
                 if "GET" in rule.methods and rule.endpoint.startswith("api.")}
    assert endpoints == set(API)
    assert set(API) <= set(NOT_PAGES)


def _measure(app, client, count_queries) -> dict[str, list[str]]:
    params, emails = _ids(app, client)
    secrets = {}
    with app.app_context():
        params["council"] = db.session.scalar(select(Committee.id).where(Committee.slug == "council"))
        for who in ("member", "secretariat"):
            user = db.session.scalar(select(User).where(User.email == emails[who]))
            secrets[who] = api_tokens.create(user, actor=None, name="budget")[1]
        db.session.commit()
    counts, failures = {}, []
    for who, template in list(API.values()) + SECOND_VIEWS:
        path = template.format(**params)
        headers = {"Authorization": f"Bearer {secrets[who]}"}
        client.get(path, headers=headers)  # warm-up (and the token's last_used_at written once)
        with count_queries() as counter:
            response = client.get(path, headers=headers)
        if response.status_code != 200:
            failures.append(f"{who} {path}: {response.status_code}")
        counts[f"{who} {template}"] = counter.statements
    assert not failures, failures
    return counts


def test_no_api_get_runs_more_queries_on_ten_times_the_data(app, client, count_queries):
    small_scale = Scale.small()
    with app.app_context():
        generate(small_scale)
        db.session.commit()
        small_meetings = db.session.query(Meeting).count()
    small = _measure(app, client, count_queries)
    _clean(app)
    with app.app_context():
        generate(small_scale.times(10))
        db.session.commit()
        assert db.session.query(Meeting).count() == 10 * small_meetings
    large = _measure(app, client, count_queries)
    grown = {page: (len(small[page]), len(large[page]), _extra(small[page], large[page]))
             for page in small if len(large[page]) != len(small[page])}
    over = {page: len(statements) for page, statements in small.items() if len(statements) > BUDGET}
    print({page: len(statements) for page, statements in small.items()})
    assert not grown and not over, (
        f"query counts that change with the data (small, 10×, the statements added): {grown}; "
        f"pages over the budget of {BUDGET} queries: {over}"
    )
