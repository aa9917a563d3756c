"""/api/v1/meetings/{id}/live is the meeting day's live state of liaison.domain.live_state — the same state as the
pages' live.json for the same user (times given in Asia/Tokyo), with the same visibility."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from liaison.dates import TOKYO, utcnow
from liaison.domain import api_tokens, sitting
from liaison.domain import meetings as meeting_rules
from liaison.domain import votes as vote_rules
from liaison.extensions import db
from liaison.models import AgendaKind, Choice, Meeting, Membership, User

from ..web.test_sitting import as_user

TIMES = {"opened_at", "closed_at", "started_at", "raised_at", "called_at"}


def _seat(user_id) -> Membership:
    return db.session.scalar(select(Membership).where(Membership.user_id == user_id))


@pytest.fixture()
def day(app, factory):
    """A council meeting in session: chair, vice and a checked in, the first item that is not a report current, a's hand raised, its vote
    open with a's ballot cast; b absent; an outsider of another committee."""
    staff = factory.secretariat()
    chair, vice, a, b = factory.seated("council", 4)
    outsider = factory.member("planning")
    with app.app_context():
        meeting = db.session.get(Meeting, factory.meeting(
            "council", status="convened", starts_at=utcnow().astimezone(TOKYO) + timedelta(minutes=5), agenda=3).id)
        actor = db.session.get(User, staff.id)
        meeting_rules.open_session(meeting, actor=actor)
        for user in (chair, vice, a):
            sitting.check_in_seat(meeting, _seat(user.id), actor=db.session.get(User, user.id), mode="present")
        item = sitting.move(meeting, actor=actor, direction="next")
        while item.kind is AgendaKind.REPORT:
            item = sitting.move(meeting, actor=actor, direction="next")
        member = db.session.get(User, a.id)
        sitting.raise_hand(meeting, _seat(a.id), actor=member)
        vote = sitting.open_item_vote(meeting, actor=actor)
        vote_rules.cast_ballot(vote, _seat(a.id), Choice.YES, actor=member)
        db.session.commit()
        return {"meeting": meeting.id, "staff": staff, "chair": chair, "a": a, "b": b, "outsider": outsider,
                "base": f"/council/meetings/{meeting.id}"}


def _secret(app, user) -> str:
    with app.app_context():
        _row, secret = api_tokens.create(db.session.get(User, user.id), actor=None, name="live")
        db.session.commit()
    return secret


def _instants(value, offsets: set):
    """The state with every time parsed (so +00:00 and +09:00 of one instant compare equal); offsets collected."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in TIMES and isinstance(item, str):
                parsed = datetime.fromisoformat(item)
                offsets.add(parsed.utcoffset())
                out[key] = parsed
            else:
                out[key] = _instants(item, offsets)
        return out
    if isinstance(value, list):
        return [_instants(item, offsets) for item in value]
    return value


@pytest.mark.parametrize("who", ["a", "chair", "staff", "b"])
def test_the_api_gives_the_live_json_state_of_the_same_user(app, client, login, day, who):
    api = client.get(f"/api/v1/meetings/{day['meeting']}/live",
                     headers={"Authorization": f"Bearer {_secret(app, day[who])}"})
    assert api.status_code == 200 and api.mimetype == "application/json"
    as_user(client, login, day[who])
    page = client.get(f"{day['base']}/live.json")
    assert page.status_code == 200
    api_offsets, page_offsets = set(), set()
    assert _instants(api.get_json(), api_offsets) == _instants(page.get_json(), page_offsets)
    assert api_offsets == {timedelta(hours=9)}  # every API time is given in Tokyo
    state = api.get_json()
    assert state["in_session"] is True and state["current_item"]["kind"] != "report"
    assert state["vote"]["cast_count"] == 1 and state["vote"]["result"] is None  # how, only once closed
    assert state["hand_count"] == 1 and state["hands"][0]["name"]
    assert ("speakers" in state) is (who in ("chair", "staff"))  # the console's view
    if who in ("a", "chair", "b"):
        assert state["me"]["present"] is (who != "b")
        assert state["me"]["ballot"] == ("yes" if who == "a" else None)
    else:
        assert state["me"] is None


def test_who_reads_the_live_state(app, client, day):
    url = f"/api/v1/meetings/{day['meeting']}/live"
    assert client.get(url).status_code == 401
    outsider = client.get(url, headers={"Authorization": f"Bearer {_secret(app, day['outsider'])}"})
    assert outsider.status_code == 403 and outsider.mimetype == "application/problem+json"
    assert client.get("/api/v1/meetings/999999/live",
                      headers={"Authorization": f"Bearer {_secret(app, day['a'])}"}).status_code == 404
