"""The JSON API: tokens, access tables like the pages', problem+json, ETag/304, pages, writes audited via API."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from liaison.dates import utcnow
from liaison.domain import api_tokens
from liaison.domain import memberships as membership_rules
from liaison.extensions import db
from liaison.models import ApiToken, Attendance, AttendanceResponse, AuditEvent, Membership, User


def _token(app, user, *, write=False, days=30, **changes) -> str:
    with app.app_context():
        row, secret = api_tokens.create(db.session.get(User, user.id), actor=None, name="test", write=write, days=days)
        for name, value in changes.items():
            setattr(row, name, value)
        db.session.commit()
    return secret


def _auth(secret: str, **headers) -> dict:
    return {"Authorization": f"Bearer {secret}", **headers}


@pytest.fixture()
def people(factory):
    return {
        "member": factory.member(committee="planning", body="川越市", email="member@example.jp"),
        "outsider": factory.member(committee="council", body="秩父市", email="outsider@example.jp"),
        "former": factory.member(committee="planning", body="熊谷市", email="former@example.jp"),
        "secretariat": factory.secretariat(email="staff@example.jp"),
        "admin": factory.admin(email="admin@example.jp"),
    }


@pytest.fixture()
def convened(factory, people):
    return factory.meeting("planning", status="convened", agenda=2)


def _end_seat(app, user) -> None:
    with app.app_context():
        seat = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
        admin = db.session.scalar(select(User).where(User.is_admin.is_(True)))
        membership_rules.end(seat, actor=admin)
        db.session.commit()


# ---------------------------------------------------------------------------------------- access table

@pytest.mark.parametrize("who, status", [
    ("member", 200), ("secretariat", 200), ("outsider", 403), ("former", 403), ("nobody", 401),
])
def test_who_reads_a_meeting(app, client, people, convened, who, status):
    _end_seat(app, people["former"])
    headers = {} if who == "nobody" else _auth(_token(app, people[who]))
    response = client.get(f"/api/v1/meetings/{convened.id}", headers=headers)
    assert response.status_code == status
    if status != 200:
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["status"] == status


def test_a_revoked_or_expired_token_is_refused(app, client, people, convened):
    revoked = _token(app, people["member"], revoked_at=utcnow())
    expired = _token(app, people["member"], expires_at=utcnow() - timedelta(seconds=1))
    for secret in (revoked, expired, "lia_not-a-token", "not-even-the-prefix"):
        response = client.get(f"/api/v1/meetings/{convened.id}", headers=_auth(secret))
        assert response.status_code == 401, secret
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.mimetype == "application/problem+json"


def test_a_deactivated_users_token_stops_working(app, client, people, convened):
    secret = _token(app, people["member"])
    with app.app_context():
        db.session.get(User, people["member"].id).active = False
        db.session.commit()
    assert client.get("/api/v1/me", headers=_auth(secret)).status_code == 401


def test_a_read_token_does_not_write(app, client, people, convened):
    secret = _token(app, people["member"])
    response = client.put(f"/api/v1/meetings/{convened.id}/attendance", json={"response": "attend"}, headers=_auth(secret))
    assert response.status_code == 403
    assert "読み取り専用" in response.get_json()["detail"]
    with app.app_context():
        assert db.session.scalar(select(Attendance.id)) is None


def test_a_session_cookie_does_not_write_and_needs_no_csrf_token_to_be_refused(app, client, login, people, convened):
    login(client, "member@example.jp")
    assert client.get("/account").status_code == 200  # logged in
    response = client.put(f"/api/v1/meetings/{convened.id}/attendance", json={"response": "attend"})
    assert response.status_code == 401
    assert client.get("/api/v1/me").status_code == 401  # the API never takes the cookie
    with app.app_context():
        assert db.session.scalar(select(Attendance.id)) is None


def test_the_member_answers_attendance_with_a_proxy_audited_via_api(app, client, people, convened):
    secret = _token(app, people["member"], write=True)
    url = f"/api/v1/meetings/{convened.id}/attendance"
    refused = client.put(url, json={"response": "proxy"}, headers=_auth(secret))
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert "proxy_name" in refused.get_json()["errors"]
    answered = client.put(url, json={"response": "proxy", "proxy_name": "川越 次郎", "proxy_title": "課長補佐"},
                          headers=_auth(secret))
    assert answered.status_code == 200, answered.get_data(as_text=True)
    assert answered.get_json()["response"] == {"value": "proxy", "label": "代理出席"}
    with app.app_context():
        attendance = db.session.scalar(select(Attendance))
        assert attendance.response is AttendanceResponse.PROXY and attendance.proxy_name == "川越 次郎"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "attendance.answered"))
        assert event.data["via"] == "api"
    shown = client.get(f"/api/v1/meetings/{convened.id}", headers=_auth(secret)).get_json()
    assert shown["my_answer"]["response"]["value"] == "proxy"
    assert shown["attendance"]["proxy"] == 1
    assert shown["starts_at"].endswith("+09:00")
    assert shown["fiscal_year"]["label"].startswith("令和")


def test_an_outsider_cannot_answer_for_a_seat_it_does_not_hold(app, client, people, convened):
    secret = _token(app, people["outsider"], write=True)
    response = client.put(f"/api/v1/meetings/{convened.id}/attendance", json={"response": "attend"}, headers=_auth(secret))
    assert response.status_code == 403


# ---------------------------------------------------------------------------------------- problem+json

def test_problems_are_in_japanese_or_english_by_accept_language(app, client, people):
    secret = _token(app, people["member"])
    japanese = client.get("/api/v1/meetings/999999", headers=_auth(secret))
    english = client.get("/api/v1/meetings/999999", headers=_auth(secret, **{"Accept-Language": "en-US,en;q=0.8"}))
    assert japanese.status_code == english.status_code == 404
    assert japanese.get_json()["title"] == "見つかりません"
    assert english.get_json()["title"] == "Not found"
    assert english.headers["Content-Language"] == "en"
    invalid = client.get("/api/v1/committees?fiscal_year=abc", headers=_auth(secret, **{"Accept-Language": "en"}))
    assert invalid.status_code == 422 and invalid.get_json()["detail"] == "Please check the input."
    assert "fiscal_year" in invalid.get_json()["errors"]
    assert client.get("/api/v1/no-such-thing", headers=_auth(secret)).mimetype == "application/problem+json"


def test_no_objection_is_idempotent_and_a_conflict_is_a_409(app, client, factory, people, monkeypatch):
    meeting = factory.meeting("planning", status="held")
    factory.minutes(meeting, status="in_review")
    secret = _token(app, people["member"], write=True)
    url = f"/api/v1/meetings/{meeting.id}/minutes/no-objection"
    first = client.post(url, headers=_auth(secret))
    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.get_json()["review"]["reviewed"] is True
    assert client.post(url, headers=_auth(secret)).status_code == 200  # the domain keeps one 異議なし per seat
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "minutes.reviewed")).data["via"] == "api"

    from liaison.domain import Conflict
    from liaison.domain import minutes as minutes_rules

    def conflict(*args, **kwargs):
        raise Conflict("この操作はすでに行われています。")

    monkeypatch.setattr(minutes_rules, "mark_no_objection", conflict)
    refused = client.post(url, headers=_auth(secret, **{"Accept-Language": "en"}))
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"


def test_the_per_token_limit_answers_429(app, client, people):
    secret = _token(app, people["member"])
    limits = app.config["API_RATE_LIMITS"]
    app.config["API_RATE_LIMITS"] = "3 per minute"
    try:
        statuses = [client.get("/api/v1/me", headers=_auth(secret)).status_code for _ in range(4)]
    finally:
        app.config["API_RATE_LIMITS"] = limits
    assert statuses == [200, 200, 200, 429]


# ---------------------------------------------------------------------------------------- ETag, pages

def test_every_get_has_an_etag_and_answers_304(app, client, people, convened):
    secret = _token(app, people["member"])
    for path in ("/api/v1/me", "/api/v1/committees", f"/api/v1/meetings/{convened.id}", "/api/v1/meetings/upcoming",
                 "/api/v1/tasks"):
        first = client.get(path, headers=_auth(secret))
        assert first.status_code == 200 and first.headers.get("ETag"), path
        again = client.get(path, headers=_auth(secret, **{"If-None-Match": first.headers["ETag"]}))
        assert again.status_code == 304 and again.data == b"", path


def test_lists_paginate_with_links(app, client, factory, people):
    for _ in range(3):
        factory.meeting("planning", status="convened")
    secret = _token(app, people["member"])
    first = client.get("/api/v1/meetings/upcoming?per_page=2", headers=_auth(secret)).get_json()
    assert first["total"] == 3 and len(first["items"]) == 2 and first["links"]["prev"] is None
    second = client.get(first["links"]["next"], headers=_auth(secret)).get_json()
    assert len(second["items"]) == 1 and second["links"]["next"] is None
    assert {m["id"] for m in first["items"]}.isdisjoint({m["id"] for m in second["items"]})


def test_the_description_and_the_reference_page(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    page = client.get("/api/v1/").get_data(as_text=True)
    for path, item in spec["paths"].items():
        for method in set(item) & {"get", "post", "put", "patch", "delete"}:
            assert f"{method.upper()} {path}" in page
    assert "cdn" not in page.lower() and "<script" not in page


# ---------------------------------------------------------------------------------------- tokens

def test_the_account_page_creates_shows_once_and_revokes_a_token(app, client, login, people):
    login(client, "member@example.jp")
    created = client.form("/account/tokens", {"name": "出欠RPA", "days": "30", "write": "y"})
    assert created.status_code == 200
    text = created.get_data(as_text=True)
    secret = text.split('id="api-token-secret" value="', 1)[1].split('"', 1)[0]
    assert secret.startswith("lia_")
    assert secret not in client.get("/account").get_data(as_text=True)  # shown once
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert row.token_hash == api_tokens.digest(secret) and row.can_write
        token_id = row.id
    assert client.get("/api/v1/me", headers=_auth(secret)).status_code == 200
    assert client.form(f"/account/tokens/{token_id}/revoke").status_code == 303
    assert client.get("/api/v1/me", headers=_auth(secret)).status_code == 401


def test_a_user_cannot_revoke_someone_elses_token(app, client, login, people):
    _token(app, people["outsider"])
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    login(client, "member@example.jp")
    assert client.form(f"/account/tokens/{token_id}/revoke").status_code == 404


def test_the_cli_prints_a_token(app, people):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "token", "member@example.jp", "--name", "cron", "--write", "--days", "7"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[0]
    assert secret.startswith("lia_")
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert row.name == "cron" and row.can_write and row.token_hash == api_tokens.digest(secret)
        assert timedelta(days=6) < row.expires_at - utcnow() <= timedelta(days=7)
    unknown = runner.invoke(args=["users", "token", "nobody@example.jp", "--name", "x"])
    assert unknown.exit_code != 0
    too_long = runner.invoke(args=["users", "token", "member@example.jp", "--name", "x", "--days", "9999"])
    assert too_long.exit_code != 0


def test_token_events_read_well_on_the_audit_log(app, people):
    from liaison.domain import audit_labels

    _token(app, people["member"], write=True)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api_token.created"))
        assert audit_labels.describe(event) == "アクセストークン「test」を作成"
        shown = dict(audit_labels.details(event))
        assert shown["権限"] == "読み取りと書き込み" and shown["利用者"] == people["member"].name


@pytest.mark.parametrize("who, status", [("member", 200), ("secretariat", 200), ("outsider", 403), ("former", 403)])
def test_who_reads_a_proposal_and_the_committees_list(app, client, factory, people, who, status):
    proposal = factory.proposal(people["member"], "planning", status="submitted")
    _end_seat(app, people["former"])
    secret = _token(app, people[who])
    assert client.get(f"/api/v1/proposals/{proposal.id}", headers=_auth(secret)).status_code == status
    with app.app_context():
        planning = factory.committee("planning").id
    listed = client.get(f"/api/v1/committees/{planning}/proposals", headers=_auth(secret))
    assert listed.status_code == status
    if status == 200:
        assert [p["id"] for p in listed.get_json()["items"]] == [proposal.id]
