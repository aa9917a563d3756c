"""Issue 17 item 7: no 500 on any input. Each bad-input class answers 400/404 with a Japanese message,
on SQLite and PostgreSQL alike, and writes nothing. (tests/web/test_fuzz.py generates many more.)"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from liaison.extensions import db
from liaison.models import Meeting, PlanPolicy, Proposal, User


@pytest.fixture()
def staff(factory):
    return factory.secretariat(email="bad-input-staff@example.jp")


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("huge", [2**31, 2**32, 2**63, 2**63 + 1, 10**30])
def test_ids_beyond_the_database_integer_are_404(client, login, staff, huge):
    login(client, staff.email)
    for path in (f"/planning/meetings/{huge}", f"/planning/proposals/{huge}", f"/council/votes/{huge}",
                 f"/planning/meetings/{huge}/minutes.docx", f"/admin/users/{huge}"):
        assert client.get(path).status_code == 404, path
    assert client.form(f"/planning/meetings/{huge}/convene").status_code == 404


def test_page_numbers_out_of_range_show_the_last_page_or_400(client, login, staff, factory):
    for n in range(3):
        factory.user(email=f"paged{n}@example.jp")
    login(client, staff.email)
    for page in ("-5", "0", "999999", "2147483647"):
        response = client.get(f"/planning/meetings/?page={page}")
        assert response.status_code == 200, page
    too_big = client.get(f"/planning/meetings/?page={2**63}")
    assert too_big.status_code == 400 and "数値が大きすぎます" in too_big.get_data(as_text=True)


@pytest.mark.parametrize("query", ["to=9999-12-31", "from=0001-01-01", "to=1899-12-31", "from=2201-01-01"])
def test_audit_dates_outside_1900_2200_are_400_with_a_message(client, login, factory, query):
    login(client, factory.admin().email)
    response = client.get(f"/admin/audit?{query}")
    assert response.status_code == 400
    assert "1900年から2200年まで" in response.get_data(as_text=True)


def test_the_handover_year_out_of_range_is_400_not_500(client, login, factory):
    login(client, factory.admin().email)
    for year in ("3000", "-1", str(2**31), str(10**30)):
        response = client.form("/admin/handover?committee=council", {"from_year": year})
        assert response.status_code == 400, year


def test_a_meeting_date_outside_1900_2200_is_refused_with_a_message(client, login, staff, app):
    login(client, staff.email)
    before = _count(app, Meeting)
    for day in ("0001-01-01", "2201-04-01"):
        response = client.form("/planning/meetings/new", {
            "day": day, "start_time": "14:00", "end_time": "16:00", "format": "in_person", "place": "会議室",
        })
        assert response.status_code == 400, day
        assert "1900年から2200年までの日付を入力してください" in response.get_data(as_text=True)
    assert _count(app, Meeting) == before


def test_a_nul_byte_anywhere_is_400_with_a_message(client, login, staff, app):
    nul = client.form("/login", {"email": "secretariat\x00@example.jp", "password": "x"})
    assert nul.status_code == 400 and "NUL" in nul.get_data(as_text=True)
    login(client, staff.email)
    for path in ("/minutes/?q=%00", "/planning/proposals/?q=a%00b", "/admin/audit?actor=%00"):
        response = client.get(path)
        assert response.status_code == 400 and "NUL" in response.get_data(as_text=True), path
    before = _count(app, Meeting)
    response = client.form("/planning/meetings/new", {
        "day": "2027-05-10", "start_time": "14:00", "end_time": "16:00", "format": "in_person", "place": "会議\x00室",
    })
    assert response.status_code == 400 and _count(app, Meeting) == before


def _policy(app) -> str:
    with app.app_context():
        return str(db.session.scalar(select(PlanPolicy.id).order_by(PlanPolicy.id).limit(1)))


@pytest.fixture()
def author(factory):
    return factory.member(committee="planning", body="川越市", email="bad-input-author@example.jp")


@pytest.mark.parametrize("title", ["件名\r\nBcc: x@example.jp", "件名\n二行目", "タブ\t入り", "制御\x1b[31m文字"])
def test_control_characters_in_a_title_are_refused_with_a_message(client, login, author, app, title):
    login(client, author.email)
    response = client.form("/planning/proposals/new", {"title": title, "summary": "", "body": "", "plan_policy_id": _policy(app),
                                                       "desired_meeting_id": "0"})
    assert response.status_code == 400
    assert "改行や制御文字は入力できません" in response.get_data(as_text=True)
    assert _count(app, Proposal) == 0


def test_bidi_overrides_are_stripped_from_titles_and_names(client, login, author, app, factory):
    login(client, author.email)
    response = client.form("/planning/proposals/new", {"title": "研修\u202e計画\u2066案\u2069", "summary": "",
                                                       "body": "本文\u202eは複数行のため対象外", "plan_policy_id": _policy(app),
                                                       "desired_meeting_id": "0"})
    assert response.status_code in (302, 303)
    with app.app_context():
        assert db.session.scalar(select(Proposal.title)) == "研修計画案"
    client.form("/logout")
    login(client, factory.admin().email)
    client.form("/admin/users/new", {"email": "bidi@example.jp", "name": "山田\u202e太郎", "password": "long-enough-pw",
                                     "body_id": "0"})
    with app.app_context():
        assert db.session.scalar(select(User.name).where(User.email == "bidi@example.jp")) == "山田太郎"


def test_multi_line_text_keeps_line_breaks_but_refuses_other_control_characters(client, login, author, app):
    login(client, author.email)
    fine = client.form("/planning/proposals/new", {"title": "複数行", "summary": "一行目\r\n二行目\tタブ",
                                                   "body": "", "plan_policy_id": _policy(app), "desired_meeting_id": "0"})
    assert fine.status_code in (302, 303)
    refused = client.form("/planning/proposals/new", {"title": "制御文字", "summary": "ベル\x07",
                                                      "body": "", "plan_policy_id": _policy(app), "desired_meeting_id": "0"})
    assert refused.status_code == 400 and "制御文字が含まれています" in refused.get_data(as_text=True)
    assert _count(app, Proposal) == 1
