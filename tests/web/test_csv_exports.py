"""Every CSV export neutralises formula cells (OWASP CSV injection): walked from app.url_map, not listed by hand."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from liaison.blueprints.csv_export import FORMULA_STARTS, csv_text, neutralise
from liaison.dates import current_fiscal_year
from liaison.domain import votes
from liaison.extensions import db
from liaison.models import AgendaItem, Choice, Membership, User, Vote, VoteMethod

from .test_votes import open_vote

# Tab and CR starts are covered by test_neutralise_follows_the_owasp_rule: titles and names refuse control characters.
ATTACKS = ["=HYPERLINK(\"http://evil.example/\",\"詳細\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"]


@pytest.mark.parametrize("value, written", [
    ("=1+1", "'=1+1"), ("+81-3", "'+81-3"), ("-", "'-"), ("@x", "'@x"), ("\t=x", "'\t=x"), ("\rx", "'\rx"),
    ("川越市", "川越市"), ("a=b", "a=b"), ("", ""), (None, ""), (40, 40), (-1, -1), (2.5, 2.5),
])
def test_neutralise_follows_the_owasp_rule(value, written):
    assert neutralise(value) == written


def test_csv_text_neutralises_header_and_every_cell():
    text = csv_text(["=見出し"], [["=A1", 3], ["@B", "ok"]])
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows == [["'=見出し"], ["'=A1", "3"], ["'@B", "ok"]]


@pytest.fixture()
def hostile(app, factory):
    """Data whose user-entered text starts like a formula, reachable from every CSV export."""
    staff = factory.secretariat(email="csv-staff@example.jp", is_admin=True)  # the audit CSV is the administrators'
    users = factory.seated("council", 4)[1:]  # the first seat is the chair, who presides and does not vote
    item = factory.agenda_item("council", title=ATTACKS[0])
    vote_id = open_vote(app, item.id, method=VoteMethod.ELECTRONIC)
    with app.app_context():
        for user, name in zip(users, ATTACKS[1:4]):
            db.session.get(User, user.id).name = name
        vote = db.session.get(Vote, vote_id)
        for user in users:
            membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
            if votes.presides_without_vote(vote, membership.id):
                continue  # the presiding chair does not vote (issue 15); the seat's name is still in the CSVs
            votes.cast_ballot(vote, membership, Choice.YES, actor=db.session.get(User, user.id))
        votes.close_vote(vote, actor=db.session.get(User, staff.id))
        db.session.commit()
        assert db.session.get(AgendaItem, item.id).outcome is not None
    author = factory.member(committee="planning", body="川越市", email="csv-author@example.jp")
    for title in ATTACKS[2:]:
        factory.proposal(author, status="accepted", title=title, policy="HRD-3")
    return {"vote_id": vote_id, "staff": staff}


def _csv_urls(app, vote_id: int) -> list[str]:
    values = {"committee": "council", "vote_id": vote_id}
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.rule.endswith(".csv") and "GET" in rule.methods:
                missing = set(rule.arguments) - set(values)
                assert not missing, f"{rule.rule}: teach this test the arguments {missing}"
                urls.append(app.url_for(rule.endpoint, **{k: values[k] for k in rule.arguments}))
    return urls


def test_every_csv_route_neutralises_formula_cells(app, client, login, hostile):
    fy = current_fiscal_year()
    urls = _csv_urls(app, hostile["vote_id"])
    assert len(urls) >= 3, urls
    login(client, hostile["staff"].email)
    seen: set[str] = set()
    for url in urls:
        response = client.get(url, query_string={"fy": fy})
        assert response.status_code == 200, url
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        text = response.get_data(as_text=True)
        assert text.startswith("\ufeff"), url
        cells = [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]
        formulas = [cell for cell in cells if cell.startswith(FORMULA_STARTS) and not _is_number(cell)]
        assert formulas == [], f"{url} writes formula cells {formulas}"
        seen |= {attack for attack in ATTACKS if "'" + attack in cells}
    # the hostile texts did reach the exports (so the check above could have failed), quoted
    assert set(ATTACKS) <= seen


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
