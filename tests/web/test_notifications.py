"""Notification pages: my list with the header badge, reading, settings; the outbox for administrators."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from liaison.dates import to_tokyo, utcnow
from liaison.domain import notifications as notification_rules
from liaison.extensions import db
from liaison.forms.notifications import PREFERENCE_KINDS
from liaison.models import (
    AuditEvent, Committee, Meeting, Notification, NotificationKind, NotificationPreference, NotificationState,
)

from ..notify_support import convene, make_meeting


def notify(app, user, n: int = 1, *, state=NotificationState.SENT, kind=NotificationKind.MEETING_REMINDER,
           due_in=timedelta(minutes=-5), **fields) -> list[int]:
    """n notices to a user, made directly in the outbox."""
    ids = []
    with app.app_context():
        start = db.session.scalar(select(func.count()).select_from(Notification))
        for i in range(n):
            row = Notification(
                recipient_id=user.id, kind=kind, object_type="meetings", object_id=1,
                idempotency_key=f"test:{user.id}:{start + i}", subject=f"【開催のお知らせ】テスト{start + i}",
                body="本文", link="/planning/meetings/1", due_at=utcnow() + due_in, state=state, **fields,
            )
            db.session.add(row)
            db.session.flush()
            ids.append(row.id)
        db.session.commit()
    return ids


def test_my_list_shows_due_notices_with_the_unread_count_in_the_header(app, client, login, factory):
    member = factory.member()
    notify(app, member, 2)
    notify(app, member, 1, due_in=timedelta(days=3), state=NotificationState.PENDING)  # not yet due
    notify(app, member, 1, state=NotificationState.VOID)  # its reason went away
    notify(app, factory.member(body="熊谷市"), 1)  # someone else's
    login(client, member.email)
    page = client.get("/notifications/").get_data(as_text=True)
    assert page.count("【開催のお知らせ】") == 2
    assert '<span class="unread-badge"' in page and ">2</span>" in page
    assert page.count("未読") >= 2


def test_opening_a_notice_marks_it_read_and_goes_to_its_page(app, client, login, factory):
    member = factory.member()
    [notice] = notify(app, member)
    login(client, member.email)
    response = client.form(f"/notifications/{notice}/open")
    assert response.status_code == 303 and response.headers["Location"].endswith("/planning/meetings/1")
    assert '<span class="unread-badge"' not in client.get("/notifications/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Notification, notice).read_at is not None


def test_mark_one_and_mark_all_read(app, client, login, factory):
    member = factory.member()
    first, *rest = notify(app, member, 3)
    login(client, member.email)
    assert client.form(f"/notifications/{first}/read").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Notification.read_at.is_(None))) == 2
    response = client.form("/notifications/read-all", follow_redirects=True)
    assert "2件を既読にしました" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Notification.read_at.is_(None))) == 0


def test_the_header_count_comes_with_the_user_and_follows_reading(app, factory, count_queries):
    member = factory.member()
    first, second, _third = notify(app, member, 3)
    with app.test_request_context():  # a GET: web.load_user loads the user with the count
        with count_queries() as counter:
            user = notification_rules.load_with_unread_count(member.id)
            assert notification_rules.unread_count(user) == 3
        assert counter.count == 1
        notification_rules.mark_read(db.session.get(Notification, first), actor=user)
        assert notification_rules.unread_count(user) == 2
        notification_rules.mark_all_read(actor=user)
        assert notification_rules.unread_count(user) == 0


def test_someone_elses_notice_is_not_found_and_posts_need_the_csrf_token(app, client, login, factory):
    member = factory.member()
    [other] = notify(app, factory.member(body="熊谷市"))
    [mine] = notify(app, member)
    login(client, member.email)
    assert client.form(f"/notifications/{other}/read").status_code == 404
    assert client.post(f"/notifications/{mine}/read").status_code == 400
    assert client.post("/notifications/read-all").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Notification.read_at.is_not(None))) == 0


def test_preferences_are_saved_and_shown(app, client, login, factory):
    member = factory.member()
    login(client, member.email)
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert '<input checked id="email_convocation"' in page and '<input id="daily_digest"' in page
    off = {NotificationKind.ATTENDANCE_DEADLINE, NotificationKind.MEETING_REMINDER, NotificationKind.VOTE_RESULT}
    wanted = {f"email_{kind.value}": "y" for kind in PREFERENCE_KINDS if kind not in off}
    response = client.form("/notifications/settings", {**wanted, "daily_digest": "y"})
    assert response.status_code == 303
    with app.app_context():
        preference = db.session.get(NotificationPreference, member.id)
        assert preference.daily_digest is True
        assert preference.email_off == ["attendance_deadline", "meeting_reminder", "vote_result"]
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "notification.preferences")) is not None
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert '<input checked id="daily_digest"' in page
    assert '<input id="email_meeting_reminder"' in page and '<input checked id="email_convocation"' in page
    assert '<input id="email_vote_result"' in page and '<input checked id="email_minutes_published"' in page


NEW_KIND_LABELS = {
    "proposal_deadline": "提案締切のお知らせ", "proposal_returned": "提案の差戻し", "proposal_accepted": "提案の受理",
    "proposal_scheduled": "提案の議事掲載", "vote_deadline": "書面表決の締切のお知らせ", "vote_result": "表決の結果",
    "minutes_review": "議事録の確認依頼", "minutes_review_deadline": "議事録の確認期限のお知らせ",
    "minutes_published": "議事録の公開",
}


def test_every_kind_of_the_other_areas_can_be_turned_off_on_the_settings_page(client, login, factory):
    login(client, factory.member().email)
    page = client.get("/notifications/settings").get_data(as_text=True)
    for value, label in NEW_KIND_LABELS.items():
        assert f'<input checked id="email_{value}"' in page and label in page


def test_a_returned_proposal_is_listed_in_app_with_its_japanese_subject_and_opens_the_proposal(app, client, login,
                                                                                                factory):
    from liaison.domain import proposals as proposal_rules
    from liaison.models import Proposal, User

    member = factory.member()
    proposal = factory.proposal(member, status="submitted")
    with app.app_context():
        staff = db.session.get(User, factory.secretariat().id)
        proposal_rules.return_to_submitter(db.session.get(Proposal, proposal.id), actor=staff, reason="資料を追加してください。")
        db.session.commit()
    login(client, member.email)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "提案の差戻し" in page and "【差戻し】提案「デジタル人材の育成に関する共同研修」" in page
    [notice] = notify_ids(app, member)
    response = client.form(f"/notifications/{notice}/open")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/planning/proposals/{proposal.id}")


def notify_ids(app, user) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Notification.id).where(Notification.recipient_id == user.id)))


ADMIN_PATHS = ["/admin/notifications/", "/admin/notifications/reminders"]


@pytest.mark.parametrize("path", ADMIN_PATHS + ["/notifications/", "/notifications/settings"])
@pytest.mark.parametrize("who", ["anonymous", "member", "secretariat", "admin"])
def test_access(client, login, factory, path, who):
    if who != "anonymous":
        user = {"member": factory.member, "secretariat": factory.secretariat, "admin": factory.admin}[who]()
        login(client, user.email)
    expected = 302 if who == "anonymous" else 403 if path in ADMIN_PATHS and who != "admin" else 200
    assert client.get(path).status_code == expected


def test_administrators_see_failed_mails_with_the_error_and_can_retry(app, client, login, factory):
    member = factory.member()
    [failed] = notify(app, member, state=NotificationState.FAILED, attempts=8,
                      last_error="ConnectionRefusedError: [Errno 111] Connection refused")
    notify(app, member, 2)  # sent ones are not listed by default
    login(client, factory.admin().email)
    page = client.get("/admin/notifications/").get_data(as_text=True)
    assert "Connection refused" in page and page.count("【開催のお知らせ】") == 1
    response = client.form(f"/admin/notifications/{failed}/retry")
    assert response.status_code == 303
    with app.app_context():
        row = db.session.get(Notification, failed)
        assert row.state is NotificationState.PENDING and row.attempts == 0
    assert client.form(f"/admin/notifications/{failed}/retry").status_code == 400  # no longer failed


def test_committee_reminder_defaults_are_validated_and_applied(app, client, login, factory):
    factory.member()
    login(client, factory.admin().email)
    with app.app_context():
        meeting_id = convene(make_meeting(starts_in=timedelta(days=10))).id
    deadlines = {"planning-proposal_days": "3", "planning-vote_days": "2,0", "planning-review_days": "1"}
    bad = client.form("/admin/notifications/reminders/planning",
                      {"planning-days": "7,1", "planning-at": "25時", "planning-answer_days": "2", **deadlines})
    assert bad.status_code == 400 and "09:00" in bad.get_data(as_text=True)
    bad = client.form("/admin/notifications/reminders/planning", {
        "planning-days": "7,1", "planning-at": "09:00", "planning-answer_days": "2", **deadlines,
        "planning-vote_days": "前日"})
    assert bad.status_code == 400 and "「2,0」のように" in bad.get_data(as_text=True)
    try:
        ok = client.form("/admin/notifications/reminders/planning", {
            "planning-days": "3", "planning-at": "17:00", "planning-answer_days": "2",
            "planning-proposal_days": "5", "planning-vote_days": "1", "planning-review_days": "2"})
        assert ok.status_code == 303
        with app.app_context():
            saved = db.session.scalar(select(Committee).where(Committee.slug == "planning"))
            assert (saved.proposal_reminder_days, saved.vote_reminder_days, saved.review_reminder_days) == (5, "1", 2)
        with app.app_context():
            pending = db.session.scalars(select(Notification.due_at).where(
                Notification.object_id == meeting_id, Notification.kind == NotificationKind.MEETING_REMINDER,
                Notification.state == NotificationState.PENDING)).all()
            assert len(pending) == 1 and to_tokyo(pending[0]).strftime("%H:%M") == "17:00"
    finally:
        with app.app_context():
            planning = db.session.scalar(select(Committee).where(Committee.slug == "planning"))
            planning.reminder_days = "7,1"
            planning.reminder_time = planning.reminder_time.replace(hour=9, minute=0)
            planning.proposal_reminder_days, planning.vote_reminder_days, planning.review_reminder_days = 3, "2,0", 1
            db.session.commit()


def test_the_secretariat_turns_a_meetings_reminders_off(app, client, login, factory):
    member = factory.member()
    with app.app_context():
        meeting_id = convene(make_meeting(starts_in=timedelta(days=10))).id
    member_client = app.test_client()
    login(member_client, member.email)
    assert member_client.get(f"/planning/meetings/{meeting_id}/reminders").status_code == 403
    login(client, factory.secretariat().email)
    assert f'href="/planning/meetings/{meeting_id}/reminders"' in client.get(f"/planning/meetings/{meeting_id}").get_data(as_text=True)
    assert "送信予定" in client.get(f"/planning/meetings/{meeting_id}/reminders").get_data(as_text=True)
    assert client.get(f"/council/meetings/{meeting_id}/reminders").status_code == 404
    response = client.form(f"/planning/meetings/{meeting_id}/reminders", {"days": ""})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Meeting, meeting_id).reminders_enabled is False
        assert db.session.scalar(select(func.count()).where(
            Notification.kind == NotificationKind.MEETING_REMINDER,
            Notification.state == NotificationState.PENDING)) == 0


@pytest.mark.parametrize("path, who", [("/notifications/", "member"), ("/admin/notifications/?state=all", "admin")])
def test_query_count_does_not_grow_with_notices(app, client, login, factory, count_queries, path, who):
    member = factory.member()
    user = member if who == "member" else factory.admin()
    others = [factory.member(body=body) for body in ("熊谷市", "川口市")]
    notify(app, member, 2)
    login(client, user.email)
    client.get(path)
    with count_queries() as small:
        assert client.get(path).status_code == 200
    for other in [member, *others]:
        notify(app, other, 8)
    with count_queries() as large:
        assert client.get(path).status_code == 200
    assert large.count == small.count, large.statements
