"""CPU budget, robust on a noisy machine: the Python function calls a page costs do not grow with the data.

Counted with `sys.setprofile` (Python calls only), on the query budget's data sets (bench/scale.py: `Scale.small()`
and ten times it), for the pages of issue 22 as the member and the secretariat see them, in their steady state:
the page cache on (liaison/pages/cache.py), the page already rendered once for this version of the data. A
page whose count changes by more than SLACK calls between the data sets, or that costs more than BUDGET calls,
fails, like a query count in tests/web/test_query_budget.py. The first render after a change is not counted
here: it shows every row the page lists (64 seats, 20 agenda items), so it grows with what the page shows;
bench/cpu.py measures it.
"""
from __future__ import annotations

import sys

from bench.scale import Scale, generate
from liaison.extensions import db
from liaison.models import Meeting
from liaison.pages import cache as page_cache

from ..conftest import _clean
from .test_page_cache import pinned_minute  # noqa: F401 (fixture)
from .test_query_budget import PASSWORD, _ids

BUDGET = 8000  # calls per request from the cache (the bare route of bench/wsgi.py costs about 2,500)
SLACK = 150

VIEWS = [
    ("member", "/"),
    ("member", "/council/meetings/"),
    ("member", "/council/meetings/{held}"),
    ("member", "/council/meetings/{convened}"),
    ("member", "/council/proposals/?q=研修&status=adopted"),
    ("member", "/council/proposals/{proposal}"),
    ("member", "/council/votes/{vote}"),
    ("member", "/council/meetings/{published}/minutes"),
    ("secretariat", "/"),
    ("secretariat", "/council/meetings/{held}"),
    ("secretariat", "/council/proposals/?fy={year}"),
    ("secretariat", "/council/meetings/{published}/minutes"),
]


def _calls(client, path: str) -> int:
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        if event == "call":
            count += 1

    sys.setprofile(profile)
    try:
        response = client.get(path)
    finally:
        sys.setprofile(None)
    assert response.status_code == 200, (path, response.status_code)
    return count


def _measure(app, login) -> dict[str, int]:
    params, emails = _ids(app, app.test_client())
    counts, clients = {}, {}
    for who, template in VIEWS:
        if who not in clients:
            clients[who] = app.test_client()
            login(clients[who], emails[who], PASSWORD)
        path = template.format(**params)
        for _ in range(3):  # the page rendered and stored (the dashboard's やること count settled in the session)
            clients[who].get(path)
        counts[f"{who} {template}"] = _calls(clients[who], path)
    return counts


def test_no_cached_page_makes_more_calls_on_ten_times_the_data(app, client, login, pinned_minute):
    extension = app.extensions[page_cache.EXTENSION]
    saved = extension["store"], app.config.get("PAGE_CACHE")
    extension["store"], app.config["PAGE_CACHE"] = page_cache.LocalStore(32 << 20), True
    try:
        small_scale = Scale.small()
        with app.app_context():
            generate(small_scale)
            db.session.commit()
            small_meetings = db.session.query(Meeting).count()
        small = _measure(app, login)
        _clean(app)
        extension["headers"].clear()  # kept headers and slots of the first data set (its counters start anew)
        with app.app_context():
            generate(small_scale.times(10))
            db.session.commit()
            assert db.session.query(Meeting).count() == 10 * small_meetings
        large = _measure(app, login)
    finally:
        extension["store"], app.config["PAGE_CACHE"] = saved
    grown = {page: (small[page], large[page]) for page in small if abs(large[page] - small[page]) > SLACK}
    over = {page: count for page, count in {**small, **large}.items() if count > BUDGET}
    assert not grown and not over, (
        f"call counts that change with the data (small, 10×): {grown}; pages over {BUDGET} calls: {over}; "
        f"all: {small} / {large}"
    )
