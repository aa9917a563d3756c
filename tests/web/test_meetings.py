"""Meeting pages: access per role, CSRF, bad input leaves the database unchanged, the flows, query counts."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from liaison.dates import TOKYO, current_fiscal_year, utcnow
from liaison.extensions import db
from liaison.models import (
    AgendaItem, Attendance, AttendanceResponse, Body, Committee, Meeting, MeetingStatus, Membership, PlanPolicy, Proposal,
    ProposalStatus, Role, User,
)


@pytest.fixture()
def people(factory):
    """A planning member, a council-only member (another committee), the secretariat."""
    return {
        "member": factory.member(committee="planning", body="川越市", email="member@example.jp", name="川越 太郎"),
        "outsider": factory.member(committee="council", body="秩父市", email="outsider@example.jp"),
        "secretariat": factory.secretariat(email="staff@example.jp"),
    }


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _get(app, model, object_id):
    with app.app_context():
        obj = db.session.get(model, object_id)
        db.session.expunge(obj)
        return obj


def _future_day(days=21, weekday=True):
    """A Tokyo date `days` ahead, moved to a Wednesday (no holiday surprises) unless weekday is False."""
    day = (utcnow() + timedelta(days=days)).astimezone(TOKYO).date()
    if weekday:
        day += timedelta(days=(2 - day.weekday()) % 7)
    return day


def _meeting_form(on, **changes):
    data = {"day": on.isoformat(), "start_time": "14:00", "end_time": "16:00", "format": "in_person",
            "place": "浦和合同庁舎 5階 会議室", "online_url": "", "title": "", "answer_deadline": "",
            "proposal_deadline": "", "notes": ""}
    data.update(changes)
    return data


# ------------------------------------------------------------------------------------------- access

ANON, MEMBER, OUTSIDER, STAFF = None, "member", "outsider", "secretariat"


@pytest.mark.parametrize("path, user, expected", [
    ("/planning/meetings/", ANON, 302),
    ("/planning/meetings/", MEMBER, 200),
    ("/planning/meetings/", OUTSIDER, 403),
    ("/planning/meetings/", STAFF, 200),
    ("/planning/meetings/{convened}", ANON, 302),
    ("/planning/meetings/{convened}", MEMBER, 200),
    ("/planning/meetings/{convened}", OUTSIDER, 403),
    ("/planning/meetings/{convened}", STAFF, 200),
    ("/planning/meetings/{convened}/notice", MEMBER, 200),
    ("/planning/meetings/{convened}/notice", OUTSIDER, 403),
    ("/planning/meetings/{convened}/notice", ANON, 302),
    ("/planning/meetings/{draft}", MEMBER, 403),
    ("/planning/meetings/{draft}", STAFF, 200),
    ("/planning/meetings/{draft}/notice", MEMBER, 403),
    ("/planning/meetings/new", MEMBER, 403),
    ("/planning/meetings/new", OUTSIDER, 403),
    ("/planning/meetings/new", ANON, 302),
    ("/planning/meetings/new", STAFF, 200),
    ("/planning/meetings/{convened}/edit", MEMBER, 403),
    ("/planning/meetings/{convened}/edit", STAFF, 200),
    ("/planning/meetings/{convened}/postpone", MEMBER, 403),
    ("/planning/meetings/{convened}/postpone", STAFF, 200),
    ("/planning/meetings/{convened}/cancel", MEMBER, 403),
    ("/planning/meetings/{convened}/cancel", STAFF, 200),
    ("/planning/meetings/{convened}/agenda/new", MEMBER, 403),
    ("/planning/meetings/{convened}/agenda/new", STAFF, 200),
    ("/planning/meetings/{convened}/agenda/{item}/edit", MEMBER, 403),
    ("/planning/meetings/{convened}/agenda/{item}/edit", STAFF, 200),
    ("/planning/meetings/{convened}/attendance", MEMBER, 403),
    ("/planning/meetings/{convened}/attendance", STAFF, 200),
    ("/council/meetings/{convened}", STAFF, 404),  # a meeting lives under its own committee only
    ("/planning/meetings/999999", STAFF, 404),
    ("/nowhere/meetings/", STAFF, 404),
])
def test_get_access_table(client, login, factory, people, path, user, expected):
    draft = factory.meeting("planning")
    convened = factory.meeting("planning", status="convened", agenda=1)
    with client.application.app_context():
        item = db.session.scalar(select(AgendaItem.id).where(AgendaItem.meeting_id == convened.id))
    if user:
        login(client, people[user].email)
    response = client.get(path.format(draft=draft.id, convened=convened.id, item=item))
    assert response.status_code == expected
    if expected == 302:
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("action", ["convene", "held", "delete", "agenda/new", "postpone", "cancel", "presence"])
@pytest.mark.parametrize("user, expected", [(MEMBER, 403), (OUTSIDER, 403)])
def test_members_cannot_manage_meetings(client, login, factory, people, app, action, user, expected):
    meeting = factory.meeting("planning", status="draft" if action in ("convene", "delete") else "convened")
    login(client, people[user].email)
    response = client.form(f"/planning/meetings/{meeting.id}/{action}",
                           {"reason": "x", "kind": "report", "title": "x", "day": "2030-01-09"})
    assert response.status_code == expected
    assert _get(app, Meeting, meeting.id).sequence == meeting.sequence


def test_posts_without_a_csrf_token_are_refused(client, login, factory, people, app):
    meeting = factory.meeting("planning")
    login(client, people["secretariat"].email)
    response = client.post(f"/planning/meetings/{meeting.id}/convene")
    assert response.status_code == 400
    assert "不正な送信" in response.get_data(as_text=True)
    assert _get(app, Meeting, meeting.id).status is MeetingStatus.DRAFT
    response = client.post("/planning/meetings/new", data=_meeting_form(_future_day()))
    assert response.status_code == 400
    assert _count(app, Meeting) == 1


# -------------------------------------------------------------------------------------- create, edit

def test_the_secretariat_creates_a_meeting_numbered_for_the_fiscal_year(client, login, people, app):
    login(client, people["secretariat"].email)
    day = _future_day()
    response = client.form("/planning/meetings/new", _meeting_form(day, title="研修計画の協議"))
    assert response.status_code == 303
    with app.app_context():
        meeting = db.session.scalar(select(Meeting))
        assert meeting.status is MeetingStatus.DRAFT and meeting.number == 1
        assert meeting.starts_at == datetime(day.year, day.month, day.day, 14, tzinfo=TOKYO)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "第1回企画運営部会" in page and "研修計画の協議" in page and "下書き" in page


def test_a_weekend_date_warns_but_is_saved(client, login, people, app):
    login(client, people["secretariat"].email)
    day = _future_day(weekday=False)
    saturday = day + timedelta(days=(5 - day.weekday()) % 7)
    response = client.form("/planning/meetings/new", _meeting_form(saturday), follow_redirects=True)
    assert response.status_code == 200
    shown = response.get_data(as_text=True)
    assert "は土曜日です。" in shown or "祝日" in shown  # the day it is, not 「土曜日・日曜日」
    assert "土曜日・日曜日です" not in shown and "は日曜日です。" not in shown
    assert _count(app, Meeting) == 1


@pytest.mark.parametrize("changes, message", [
    ({"day": "2020-04-01"}, "開始日時が過去"),
    ({"end_time": "13:00"}, "終了時刻は開始時刻より後"),
    ({"place": ""}, "会場を入力"),
    ({"format": "online", "place": ""}, "URLを入力"),
    ({"format": "hybrid", "online_url": ""}, "URLを入力"),
    ({"start_time": ""}, "開始時刻を入力"),
    ({"format": "bogus"}, "Not a valid choice"),
])
def test_bad_input_re_renders_with_the_message_and_saves_nothing(client, login, people, app, changes, message):
    login(client, people["secretariat"].email)
    response = client.form("/planning/meetings/new", _meeting_form(_future_day(), **changes))
    assert response.status_code == 400
    if message != "Not a valid choice":
        assert message in response.get_data(as_text=True)
    assert _count(app, Meeting) == 0


def test_editing_a_convened_meetings_place_raises_its_sequence(client, login, factory, people, app):
    meeting = factory.meeting("planning", status="convened")
    login(client, people["secretariat"].email)
    day = meeting.starts_at.astimezone(TOKYO).date()
    bad = client.form(f"/planning/meetings/{meeting.id}/edit", _meeting_form(day, place=""))
    assert bad.status_code == 400 and "会場を入力" in bad.get_data(as_text=True)
    assert _get(app, Meeting, meeting.id).place == meeting.place
    response = client.form(f"/planning/meetings/{meeting.id}/edit", _meeting_form(day, place="別館 大会議室"))
    assert response.status_code == 303
    changed = _get(app, Meeting, meeting.id)
    assert changed.place == "別館 大会議室" and changed.sequence == meeting.sequence + 1
    assert changed.updated_at > meeting.updated_at


# ------------------------------------------------------------------------------------------- lifecycle

def test_convene_postpone_cancel_and_the_notice(client, login, factory, people, app):
    meeting = factory.meeting("planning", agenda=2)
    login(client, people["secretariat"].email)
    assert client.form(f"/planning/meetings/{meeting.id}/convene").status_code == 303
    assert _get(app, Meeting, meeting.id).status is MeetingStatus.CONVENED
    again = client.form(f"/planning/meetings/{meeting.id}/convene")  # twice: one transition, the second is a 409
    assert again.status_code == 409 and "すでに招集されています" in again.get_data(as_text=True)

    notice = client.get(f"/planning/meetings/{meeting.id}/notice").get_data(as_text=True)
    assert "開催について(通知)" in notice and "令和" in notice and "議事1" in notice
    assert f"http://liaison.test/planning/meetings/{meeting.id}" in notice

    new_day = meeting.starts_at.astimezone(TOKYO).date() + timedelta(days=7)
    if new_day.year * 100 + new_day.month >= (current_fiscal_year() + 1) * 100 + 4:
        new_day -= timedelta(days=14)
    form = {"day": new_day.isoformat(), "start_time": "10:00", "end_time": "12:00", "answer_deadline": "", "reason": "会場の都合"}
    bad = client.form(f"/planning/meetings/{meeting.id}/postpone", {**form, "end_time": "09:00"})
    assert bad.status_code == 400 and _get(app, Meeting, meeting.id).status is MeetingStatus.CONVENED
    assert client.form(f"/planning/meetings/{meeting.id}/postpone", form).status_code == 303
    postponed = _get(app, Meeting, meeting.id)
    assert postponed.status is MeetingStatus.POSTPONED and postponed.original_starts_at == meeting.starts_at
    assert "延期されました" in client.get(f"/planning/meetings/{meeting.id}").get_data(as_text=True)

    no_reason = client.form(f"/planning/meetings/{meeting.id}/cancel", {"reason": ""})
    assert no_reason.status_code == 400 and "中止の理由を入力" in no_reason.get_data(as_text=True)
    assert _get(app, Meeting, meeting.id).status is MeetingStatus.POSTPONED
    assert client.form(f"/planning/meetings/{meeting.id}/cancel", {"reason": "台風接近のため"}).status_code == 303
    page = client.get(f"/planning/meetings/{meeting.id}").get_data(as_text=True)
    assert "中止になりました" in page and "台風接近のため" in page


def test_mark_held_before_the_start_is_refused(client, login, factory, people, app):
    meeting = factory.meeting("planning", status="convened")
    login(client, people["secretariat"].email)
    response = client.form(f"/planning/meetings/{meeting.id}/held")
    assert response.status_code == 400 and "開始日時より前" in response.get_data(as_text=True)
    assert _get(app, Meeting, meeting.id).status is MeetingStatus.CONVENED


def test_deleting_a_draft(client, login, factory, people, app):
    meeting = factory.meeting("planning", agenda=2)
    login(client, people["secretariat"].email)
    assert client.form(f"/planning/meetings/{meeting.id}/delete").status_code == 303
    assert _count(app, Meeting) == 0 and _count(app, AgendaItem) == 0


def test_the_list_shows_upcoming_first_then_past_by_fiscal_year(client, login, factory, people):
    factory.meeting("planning", status="held")
    factory.meeting("planning", status="convened")
    factory.meeting("planning")  # a draft: the member does not see it
    login(client, people["member"].email)
    page = client.get("/planning/meetings/").get_data(as_text=True)
    assert page.index("今後の会議") < page.index("の会議(終了)")
    assert "下書き" not in page and "招集済み" in page and "開催済み" in page


# ---------------------------------------------------------------------------------------------- agenda

def test_the_agenda_is_built_and_reordered_without_javascript(client, login, factory, people, app):
    meeting = factory.meeting("planning")
    login(client, people["secretariat"].email)
    url = f"/planning/meetings/{meeting.id}/agenda/new"
    assert client.form(url, {"kind": "report", "title": "", "presenter_body_id": "0"}).status_code == 400
    assert _count(app, AgendaItem) == 0
    for title, kind in (("研修実績の報告", "report"), ("研修計画(案)", "resolution")):
        assert client.form(url, {"kind": kind, "title": title, "presenter_body_id": "0", "minutes_allotted": "15"}).status_code == 303
    with app.app_context():
        second = db.session.scalar(select(AgendaItem).where(AgendaItem.title == "研修計画(案)"))
        kawagoe = db.session.scalar(select(Body.id).where(Body.name == "川越市"))
        second_id = second.id
    assert client.form(f"/planning/meetings/{meeting.id}/agenda/{second_id}/move", {"direction": "up"}).status_code == 303
    edit = client.form(f"/planning/meetings/{meeting.id}/agenda/{second_id}/edit",
                       {"kind": "resolution", "title": "令和9年度研修計画(案)", "presenter_body_id": str(kawagoe), "minutes_allotted": ""})
    assert edit.status_code == 303
    page = client.get(f"/planning/meetings/{meeting.id}").get_data(as_text=True)
    assert page.index("令和9年度研修計画(案)") < page.index("研修実績の報告")
    assert "川越市" in page and "議決事項" in page
    assert client.form(f"/planning/meetings/{meeting.id}/agenda/{second_id}/remove").status_code == 303
    with app.app_context():
        assert db.session.scalars(select(AgendaItem.position)).all() == [1]


# ------------------------------------------------------------------------------------------ attendance

def _membership_id(app, user_id, slug="planning"):
    with app.app_context():
        return db.session.scalar(select(Membership.id).join(Membership.committee).where(
            Membership.user_id == user_id, Committee.slug == slug))


def test_a_member_answers_proxy_with_a_name(client, login, factory, people, app):
    meeting = factory.meeting("planning", status="convened")
    login(client, people["member"].email)
    page = client.get(f"/planning/meetings/{meeting.id}").get_data(as_text=True)
    assert "まだ回答していません" in page and "川越市" in page
    url = f"/planning/meetings/{meeting.id}/attendance"
    bad = client.form(url, {"response": "proxy", "proxy_name": "", "proxy_title": "課長補佐"})
    assert bad.status_code == 400 and "代理出席者の氏名を入力" in bad.get_data(as_text=True)
    assert _count(app, Attendance) == 0
    response = client.form(url, {"response": "proxy", "proxy_name": "川越 次郎", "proxy_title": "職員課 課長補佐"})
    assert response.status_code == 303
    page = client.get(f"/planning/meetings/{meeting.id}").get_data(as_text=True)
    assert "代理出席" in page and "川越 次郎" in page and "職員課 課長補佐" in page
    with app.app_context():
        answer = db.session.scalar(select(Attendance))
        assert answer.response is AttendanceResponse.PROXY and answer.answered_by_id == people["member"].id


def test_members_answer_only_for_their_own_seat(client, login, factory, people, app):
    meeting = factory.meeting("planning", status="convened")
    other = factory.member(committee="planning", body="熊谷市")
    login(client, people["member"].email)
    seat = _membership_id(app, other.id)
    response = client.form(f"/planning/meetings/{meeting.id}/attendance/{seat}", {"response": "absent"})
    assert response.status_code == 403
    client.form("/logout")
    login(client, people["outsider"].email)
    assert client.form(f"/planning/meetings/{meeting.id}/attendance", {"response": "attend"}).status_code == 403
    assert _count(app, Attendance) == 0


def test_the_secretariat_answers_for_a_seat_and_records_presence(client, login, factory, people, app):
    meeting = factory.meeting("planning", status="convened")
    login(client, people["secretariat"].email)
    seat = _membership_id(app, people["member"].id)
    response = client.form(f"/planning/meetings/{meeting.id}/attendance/{seat}", {"response": "attend"})
    assert response.status_code == 303
    bad = client.form(f"/planning/meetings/{meeting.id}/attendance/{seat}", {"response": "proxy"})
    assert bad.status_code == 400
    assert client.form(f"/planning/meetings/{meeting.id}/presence", {"present": str(seat)}).status_code == 303
    with app.app_context():
        answer = db.session.scalar(select(Attendance))
        assert answer.response is AttendanceResponse.ATTEND and answer.present is True
        assert answer.answered_by_id == people["secretariat"].id
    page = client.get(f"/planning/meetings/{meeting.id}/attendance").get_data(as_text=True)
    assert "記録済み: 1名" in page


def test_the_presence_checklist_is_there_while_the_meeting_is_in_session(client, login, factory, people, app):
    """開会 then 出席の記録: the sheet must not say the meeting takes no answers while it sits."""
    meeting = factory.meeting("planning", status="convened")
    factory.sitting(meeting, absent=(people["member"],))
    login(client, people["secretariat"].email)
    page = client.get(f"/planning/meetings/{meeting.id}/attendance").get_data(as_text=True)
    assert "この会議は出欠を受け付けていません" not in page
    assert 'class="checklist"' in page and "出席者を保存" in page
    seat = _membership_id(app, people["member"].id)
    assert client.form(f"/planning/meetings/{meeting.id}/presence", {"present": str(seat)}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Attendance.present).where(Attendance.membership_id == seat)) is True


def test_non_answerers_and_the_tally_are_shown(client, login, factory, people, app):
    meeting = factory.meeting("planning", status="convened")
    factory.member(committee="planning", body="熊谷市", name="熊谷 花子")
    login(client, people["member"].email)
    client.form(f"/planning/meetings/{meeting.id}/attendance", {"response": "attend"})
    page = client.get(f"/planning/meetings/{meeting.id}").get_data(as_text=True)
    assert "未回答の議席(1)" in page and "熊谷 花子" in page


# ---------------------------------------------------------------------------------- home and dashboard

def test_committee_home_and_dashboard_show_upcoming_meetings_and_owed_answers(client, login, factory, people):
    meeting = factory.meeting("planning", status="convened")
    login(client, people["member"].email)
    home = client.get("/planning/").get_data(as_text=True)
    assert f"/planning/meetings/{meeting.id}" in home and "今後の会議" in home
    dashboard = client.get("/").get_data(as_text=True)
    assert "出欠の回答をお願いします" in dashboard and f"/planning/meetings/{meeting.id}#my-answer" in dashboard
    client.form(f"/planning/meetings/{meeting.id}/attendance", {"response": "absent"})
    assert "出欠の回答をお願いします" not in client.get("/").get_data(as_text=True)


def test_dashboard_query_count_is_fixed(client, login, factory, people, count_queries):
    login(client, people["member"].email)
    factory.meeting("planning", status="convened")
    with count_queries() as few:
        client.get("/")
    for _ in range(4):
        factory.meeting("planning", status="convened")
    with count_queries() as many:
        client.get("/")
    assert few.count == many.count


# -------------------------------------------------------------------------------------- query counts

def _seat_many(app, committee_slug: str, n: int) -> None:
    """n voting seats on a committee, written directly (fast) for the query-count test."""
    with app.app_context():
        committee = db.session.scalar(select(Committee).where(Committee.slug == committee_slug))
        seated = select(Membership.body_id).where(Membership.committee_id == committee.id)
        bodies = db.session.scalars(select(Body).where(Body.id.not_in(seated)).order_by(Body.position).limit(n)).all()
        hashed = db.session.scalar(select(User.password_hash).limit(1))
        for index, body in enumerate(bodies):
            user = User(email=f"seat{committee_slug}{index}@example.jp", name=f"委員 {index}", body=body,
                        password_hash=hashed, active=True)
            db.session.add(user)
            db.session.add(Membership(committee=committee, fiscal_year=current_fiscal_year(), user=user, body=body,
                                      department="", role=Role.MEMBER))
        db.session.commit()


def _propose_items(app, meeting_id: int) -> list[str]:
    """Every item of the meeting carries an accepted proposal on the agenda (rows written directly); their numbers."""
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        policy = db.session.scalar(select(PlanPolicy).order_by(PlanPolicy.position).limit(1))
        body = db.session.scalar(select(Body).order_by(Body.position).limit(1))
        numbers = []
        for item in meeting.agenda_items:
            number = f"{meeting.committee.short_name}-T-{meeting.id}-{item.position:03d}"
            item.proposal = Proposal(
                committee_id=meeting.committee_id, body_id=body.id, title=item.title, plan_policy_id=policy.id,
                status=ProposalStatus.ON_AGENDA, fiscal_year=meeting.fiscal_year, serial=item.position, number=number,
                submitted_at=utcnow(), accepted_at=utcnow(),
            )
            numbers.append(number)
        db.session.commit()
        return numbers


def test_the_meeting_page_runs_a_fixed_number_of_queries(client, login, factory, people, app, count_queries):
    small = factory.meeting("municipal-training", status="convened", agenda=2)
    large = factory.meeting("council", status="convened", agenda=40)
    _propose_items(app, small.id)
    numbers = _propose_items(app, large.id)
    _seat_many(app, "municipal-training", 5)
    _seat_many(app, "council", 63)  # plus the outsider's seat: 64
    with app.app_context():
        for meeting_id in (small.id, large.id):
            meeting = db.session.get(Meeting, meeting_id)
            for membership in db.session.scalars(select(Membership).where(Membership.committee_id == meeting.committee_id)):
                db.session.add(Attendance(meeting_id=meeting.id, membership_id=membership.id,
                                          response=AttendanceResponse.ATTEND, answered_at=utcnow(),
                                          answered_by_id=membership.user_id, proxy_name="", proxy_title=""))
        db.session.commit()
    assert _count(app, Membership, Membership.committee.has(slug="council")) == 64
    login(client, people["secretariat"].email)
    with count_queries() as few:
        assert client.get(f"/municipal-training/meetings/{small.id}").status_code == 200
    with count_queries() as many:
        page = client.get(f"/council/meetings/{large.id}")
        assert page.status_code == 200
    assert "議事40" in page.get_data(as_text=True)
    assert f"(提案 {numbers[-1]})</a>" in page.get_data(as_text=True)
    assert few.count == many.count
    # and the secretariat's attendance sheet
    with count_queries() as few:
        client.get(f"/municipal-training/meetings/{small.id}/attendance")
    with count_queries() as many:
        client.get(f"/council/meetings/{large.id}/attendance")
    assert few.count == many.count


def test_forms_for_steps_the_state_does_not_allow_send_you_back(client, login, factory, people):
    held = factory.meeting("planning", status="held")
    draft = factory.meeting("planning")
    login(client, people["secretariat"].email)
    for path in (f"/planning/meetings/{held.id}/edit", f"/planning/meetings/{held.id}/agenda/new",
                 f"/planning/meetings/{draft.id}/postpone", f"/planning/meetings/{draft.id}/cancel"):
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["Location"].endswith(path.rsplit("/", 2 if "agenda" in path else 1)[0])
    page = client.get(f"/planning/meetings/{held.id}").get_data(as_text=True)
    assert "開催済み・中止の会議は編集できません" in page or "議事は変更できません" in page
    assert "会議を編集" not in page and "議事を追加" not in page
    assert "資料を添付" in page  # 当日配布資料 may still be posted


def test_the_list_and_the_notice_run_a_fixed_number_of_queries(client, login, factory, people, app, count_queries):
    login(client, people["secretariat"].email)
    few_meeting = factory.meeting("planning", status="convened", agenda=2)
    with count_queries() as few_list:
        client.get("/planning/meetings/")
    with count_queries() as few_notice:
        client.get(f"/planning/meetings/{few_meeting.id}/notice")
    many_meeting = factory.meeting("planning", status="convened", agenda=30)
    with app.app_context():  # presenters from many bodies
        bodies = db.session.scalars(select(Body).order_by(Body.position).limit(30)).all()
        for item, body in zip(db.session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == many_meeting.id)), bodies):
            item.presenter_body = body
        db.session.commit()
    for status in ("held", "held", "draft", "cancelled", "postponed"):
        factory.meeting("planning", status=status)
    with count_queries() as many_list:
        client.get("/planning/meetings/")
    with count_queries() as many_notice:
        assert "議事30" in client.get(f"/planning/meetings/{many_meeting.id}/notice").get_data(as_text=True)
    assert few_list.count == many_list.count
    assert few_notice.count == many_notice.count


def test_committee_and_meeting_pages_offer_the_calendar(client, login, people, factory):
    """The committee feed and each meeting's .ics are linked from the pages (issue 20 item 7)."""
    convened = factory.meeting(status="convened", agenda=1)
    draft = factory.meeting(starts_at=datetime.combine(_future_day(40), datetime.min.time(), tzinfo=TOKYO))
    login(client, people["member"].email)
    committee_page = client.get("/planning/").get_data(as_text=True)
    assert 'id="calendar"' in committee_page
    assert 'href="webcal://' in committee_page and "/calendar/" in committee_page  # the personal feed
    assert "https://calendar.google.com/calendar/r?cid=webcal" in committee_page
    assert "https://outlook.office.com/calendar/0/addfromweb?" in committee_page
    assert 'href="/planning/calendar.ics"' in committee_page
    assert client.get("/planning/calendar.ics").status_code == 200

    shown = client.get(f"/planning/meetings/{convened.id}").get_data(as_text=True)
    assert f'href="/planning/meetings/{convened.id}.ics"' in shown
    assert "https://calendar.google.com/calendar/render?action=TEMPLATE" in shown
    assert "deeplink/compose?" in shown and "startdt=" in shown
    assert client.get(f"/planning/meetings/{convened.id}.ics").status_code == 200

    login(client, people["secretariat"].email)
    unannounced = client.get(f"/planning/meetings/{draft.id}").get_data(as_text=True)
    assert f"/planning/meetings/{draft.id}.ics" not in unannounced  # a draft is not announced


def test_the_tally_and_the_agenda_stack_on_narrow_screens(client, login, people, factory):
    """Every cell of the attendance tally and the agenda says its column (td data-label) for the stacked layout."""
    import re

    meeting = factory.meeting(status="convened", agenda=2)
    login(client, people["secretariat"].email)
    shown = client.get(f"/planning/meetings/{meeting.id}").get_data(as_text=True)
    for section in ("attendance", "agenda"):
        part = shown[shown.index(f'<section id="{section}">'):]
        table = part[:part.index("</table>")]
        assert re.search(r'<table class="[^"]*\bstacked\b', table), section
        cells = re.findall(r"<td\b[^>]*>", table)
        assert cells and all("data-label=" in cell for cell in cells), (section, cells)
    assert 'data-label="未回答"' in shown and 'data-label="議席数"' in shown and 'data-label="資料"' in shown
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static" / "style.css").read_text(encoding="utf-8")
    assert "table.stacked td::before { content: attr(data-label)" in css
