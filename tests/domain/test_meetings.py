"""Meeting rules without HTTP: numbering, lifecycle, sequence, events, validation, agenda, attendance."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden

from liaison import events
from liaison.dates import TOKYO, utcnow
from liaison.domain import Conflict, DomainError
from liaison.domain import meetings as rules
from liaison.extensions import db
from liaison.models import (
    AgendaItem, AgendaKind, Attendance, AttendanceResponse, AuditEvent, Meeting, MeetingFormat, MeetingStatus, Membership,
)
from liaison.notify import content


def at(year, month, day, hour=14, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=TOKYO)


# 2026-11-24 is the system's "today"; tests pick times relative to a fixed `now` so they never age.
NOW = at(2026, 11, 24, 9)


@pytest.fixture()
def staff(ctx, factory):
    return factory.secretariat()


@pytest.fixture()
def emitted():
    """Record the meeting events emitted during a test."""
    seen = []
    names = ("meeting.convened", "meeting.postponed", "meeting.cancelled", "meeting.changed", "meeting.held",
             "meeting.deadlines_changed")
    recorders = {}
    for name in names:
        def recorder(obj, _name=name, **data):
            seen.append(_name)
        recorders[name] = events.listen(name)(recorder)
    yield seen
    for name, recorder in recorders.items():
        events._listeners[name].remove(recorder)


def new(staff, factory, committee="planning", start=None, **kwargs):
    start = start or at(2026, 12, 10)
    kwargs.setdefault("format", MeetingFormat.IN_PERSON)
    kwargs.setdefault("place", "浦和合同庁舎 5階 会議室")
    return rules.create_meeting(
        factory.committee(committee), actor=staff, starts_at=start, ends_at=start + timedelta(hours=2), now=NOW, **kwargs
    )


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# ------------------------------------------------------------------------------------------ numbering

def test_numbering_per_committee_and_fiscal_year_with_the_april_boundary(staff, factory):
    first = new(staff, factory, start=at(2026, 12, 10))
    second = new(staff, factory, start=at(2027, 3, 31, 13))
    april = new(staff, factory, start=at(2027, 4, 1, 10))
    council = new(staff, factory, committee="council", start=at(2027, 1, 20))
    assert (first.fiscal_year, first.number) == (2026, 1)
    assert (second.fiscal_year, second.number) == (2026, 2)  # 31 March still belongs to 令和8年度
    assert (april.fiscal_year, april.number) == (2027, 1)  # 1 April opens 令和9年度
    assert (council.fiscal_year, council.number) == (2026, 1)  # each committee counts on its own
    assert rules.meeting_name(second) == "令和8年度第2回企画運営部会"
    assert rules.meeting_name(april) == "令和9年度第1回企画運営部会"


def test_a_draft_moved_into_the_next_fiscal_year_is_renumbered_there(staff, factory):
    new(staff, factory, start=at(2027, 4, 20))
    draft = new(staff, factory, start=at(2027, 3, 10))
    assert (draft.fiscal_year, draft.number) == (2026, 1)
    rules.update_meeting(draft, actor=staff, starts_at=at(2027, 5, 10), ends_at=at(2027, 5, 10, 16),
                         format=MeetingFormat.IN_PERSON, place="会議室", now=NOW)
    assert (draft.fiscal_year, draft.number) == (2027, 2)


def test_number_is_stable_after_convening(staff, factory):
    meeting = new(staff, factory, start=at(2027, 3, 10))
    rules.convene(meeting, actor=staff, now=NOW)
    new(staff, factory, start=at(2026, 12, 1))
    rules.update_meeting(meeting, actor=staff, starts_at=at(2027, 3, 12), ends_at=at(2027, 3, 12, 16),
                         format=MeetingFormat.IN_PERSON, place="会議室", now=NOW)
    assert meeting.number == 1
    with pytest.raises(DomainError, match="年度をまたいで"):
        rules.update_meeting(meeting, actor=staff, starts_at=at(2027, 4, 12), ends_at=at(2027, 4, 12, 16),
                             format=MeetingFormat.IN_PERSON, place="会議室", now=NOW)
    with pytest.raises(DomainError, match="年度をまたいで"):
        rules.postpone(meeting, actor=staff, starts_at=at(2027, 4, 12), ends_at=at(2027, 4, 12, 16), now=NOW)


# ------------------------------------------------------------------------------------------ lifecycle

def test_the_lifecycle_and_its_illegal_moves(staff, factory):
    meeting = new(staff, factory)
    assert meeting.status is MeetingStatus.DRAFT
    with pytest.raises(DomainError):
        rules.cancel(meeting, actor=staff, reason="不要")  # a draft is deleted, not cancelled
    with pytest.raises(DomainError):
        rules.postpone(meeting, actor=staff, starts_at=at(2026, 12, 20), ends_at=at(2026, 12, 20, 16), now=NOW)
    with pytest.raises(DomainError):
        rules.mark_held(meeting, actor=staff, now=at(2026, 12, 11))
    rules.convene(meeting, actor=staff, now=NOW)
    assert meeting.status is MeetingStatus.CONVENED and meeting.convened_by_id == staff.id
    with pytest.raises(Conflict, match="すでに招集されています"):  # the same transition twice: a 409
        rules.convene(meeting, actor=staff, now=NOW)
    with pytest.raises(DomainError, match="開始日時より前"):
        rules.mark_held(meeting, actor=staff, now=NOW)
    rules.postpone(meeting, actor=staff, starts_at=at(2026, 12, 17), ends_at=at(2026, 12, 17, 16), reason="会場都合", now=NOW)
    assert meeting.status is MeetingStatus.POSTPONED
    assert meeting.original_starts_at == at(2026, 12, 10) and meeting.starts_at == at(2026, 12, 17)
    rules.mark_held(meeting, actor=staff, now=at(2026, 12, 17, 16))
    assert meeting.status is MeetingStatus.HELD
    for illegal in (
        lambda: rules.cancel(meeting, actor=staff, reason="x"),
        lambda: rules.convene(meeting, actor=staff, now=NOW),
        lambda: rules.postpone(meeting, actor=staff, starts_at=at(2027, 1, 5), ends_at=at(2027, 1, 5, 16), now=NOW),
        lambda: rules.update_meeting(meeting, actor=staff, starts_at=meeting.starts_at, ends_at=meeting.ends_at,
                                     format=meeting.format, place="別会場", now=NOW),
        lambda: rules.add_agenda_item(meeting, actor=staff, kind=AgendaKind.REPORT, title="追加"),
    ):
        with pytest.raises(DomainError):
            illegal()
    assert meeting.status is MeetingStatus.HELD


def test_cancel_needs_a_reason_and_is_final(staff, factory):
    meeting = new(staff, factory)
    rules.convene(meeting, actor=staff, now=NOW)
    with pytest.raises(DomainError, match="理由"):
        rules.cancel(meeting, actor=staff, reason="  ")
    assert meeting.status is MeetingStatus.CONVENED
    rules.cancel(meeting, actor=staff, reason="台風接近のため")
    assert meeting.status is MeetingStatus.CANCELLED and meeting.cancel_reason == "台風接近のため"
    with pytest.raises(DomainError):
        rules.mark_held(meeting, actor=staff, now=at(2026, 12, 11))


def test_convening_a_meeting_whose_start_has_passed_is_refused(staff, factory):
    meeting = new(staff, factory)
    with pytest.raises(DomainError, match="開始日時を過ぎた"):
        rules.convene(meeting, actor=staff, now=at(2026, 12, 10, 15))
    assert meeting.status is MeetingStatus.DRAFT and meeting.sequence == 0


def test_only_the_secretariat_manages_meetings(ctx, staff, factory):
    member = factory.member()
    with pytest.raises(Forbidden):
        new(member, factory)
    meeting = new(staff, factory)
    for attempt in (
        lambda: rules.convene(meeting, actor=member, now=NOW),
        lambda: rules.add_agenda_item(meeting, actor=member, kind=AgendaKind.REPORT, title="x"),
        lambda: rules.delete_draft(meeting, actor=member),
    ):
        with pytest.raises(Forbidden):
            attempt()
    assert not rules.can_view(member, meeting)  # drafts are the secretariat's
    rules.convene(meeting, actor=staff, now=NOW)
    assert rules.can_view(member, meeting)
    outsider = factory.member(committee="council", body="秩父市")
    assert not rules.can_view(outsider, meeting)


def test_delete_draft_removes_it_with_its_agenda(staff, factory):
    meeting = new(staff, factory)
    rules.add_agenda_item(meeting, actor=staff, kind=AgendaKind.REPORT, title="報告")
    meeting_id = meeting.id
    rules.delete_draft(meeting, actor=staff)
    assert db.session.get(Meeting, meeting_id) is None
    assert _count(AuditEvent, AuditEvent.action == "meeting.deleted") == 1


# ------------------------------------------------------------------------------- sequence and events

def test_sequence_rises_on_time_place_status_and_announced_agenda_changes(staff, factory, emitted):
    meeting = new(staff, factory)
    assert meeting.sequence == 0
    stamp = meeting.updated_at

    def edit(**changes):
        fields = dict(starts_at=meeting.starts_at, ends_at=meeting.ends_at, format=meeting.format, place=meeting.place,
                      online_url=meeting.online_url, title=meeting.title, answer_deadline=meeting.answer_deadline,
                      notes=meeting.notes)
        fields.update(changes)
        return rules.update_meeting(meeting, actor=staff, now=NOW, **fields)

    edit(title="第6次広域計画の中間評価")
    assert meeting.sequence == 0 and meeting.updated_at > stamp
    rules.add_agenda_item(meeting, actor=staff, kind=AgendaKind.REPORT, title="報告")  # a draft's agenda: no news
    assert meeting.sequence == 0
    edit(place="別館 2階 大会議室")
    assert meeting.sequence == 1
    assert edit(place="別館 2階 大会議室") == {}  # nothing changed, nothing counted
    assert meeting.sequence == 1
    assert emitted == []
    rules.convene(meeting, actor=staff, now=NOW)
    assert meeting.sequence == 2 and emitted == ["meeting.convened"]
    item = rules.add_agenda_item(meeting, actor=staff, kind=AgendaKind.DISCUSSION, title="協議")
    assert meeting.sequence == 3 and emitted[-1] == "meeting.changed"
    rules.move_agenda_item(item, actor=staff, direction="up")
    assert meeting.sequence == 4
    edit(starts_at=at(2026, 12, 10, 13), ends_at=at(2026, 12, 10, 15))
    assert meeting.sequence == 5 and emitted[-1] == "meeting.changed"
    emitted.clear()
    edit(notes="駐車場はありません。")  # not time, place or agenda: updated, no notice
    assert meeting.sequence == 5 and emitted == []
    edit(answer_deadline=at(2026, 12, 3, 17))  # a deadline alone: its reminders move, no notice, no SEQUENCE
    assert meeting.sequence == 5 and emitted == ["meeting.deadlines_changed"]
    edit(answer_deadline=at(2026, 12, 4, 17), place="本館 3階 会議室")  # with the place: one event, the change
    assert meeting.sequence == 6 and emitted == ["meeting.deadlines_changed", "meeting.changed"]
    emitted.clear()
    rules.postpone(meeting, actor=staff, starts_at=at(2026, 12, 24), ends_at=at(2026, 12, 24, 16), now=NOW)
    assert meeting.sequence == 7 and emitted == ["meeting.postponed"]
    rules.cancel(meeting, actor=staff, reason="感染症対策")
    assert meeting.sequence == 8 and emitted == ["meeting.postponed", "meeting.cancelled"]


def test_state_changes_are_audited_with_before_and_after(staff, factory):
    meeting = new(staff, factory)
    rules.convene(meeting, actor=staff, now=NOW)
    rules.postpone(meeting, actor=staff, starts_at=at(2026, 12, 17), ends_at=at(2026, 12, 17, 16), now=NOW)
    db.session.flush()
    convened = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "meeting.convened"))
    assert convened.actor_id == staff.id and convened.object_id == meeting.id
    assert convened.data["before"] == "draft" and convened.data["after"] == "convened"
    postponed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "meeting.postponed"))
    assert datetime.fromisoformat(postponed.data["before"]["starts_at"]) == at(2026, 12, 10)
    assert datetime.fromisoformat(postponed.data["after"]["starts_at"]) == at(2026, 12, 17)


# ---------------------------------------------------------------------------------------- validation

@pytest.mark.parametrize("changes, message", [
    ({"start": at(2026, 11, 20)}, "開始日時が過去"),
    ({"ends_at": at(2026, 12, 10, 13)}, "終了時刻は開始時刻より後"),
    ({"place": ""}, "会場を入力"),
    ({"format": MeetingFormat.HYBRID, "place": "", "online_url": "https://meet.example.jp/x"}, "会場を入力"),
    ({"format": MeetingFormat.ONLINE, "place": ""}, "URLを入力"),
    ({"format": MeetingFormat.HYBRID, "online_url": ""}, "URLを入力"),
    ({"format": MeetingFormat.ONLINE, "online_url": "javascript:alert(1)"}, "https://"),
    ({"answer_deadline": at(2026, 12, 11)}, "回答期限"),
])
def test_invalid_schedules_are_refused_and_nothing_is_saved(staff, factory, changes, message):
    changes = dict(changes)
    start = changes.pop("start", at(2026, 12, 10))
    fields = dict(starts_at=start, ends_at=start + timedelta(hours=2), format=MeetingFormat.IN_PERSON, place="会議室")
    fields.update(changes)
    with pytest.raises(DomainError, match=message):
        rules.create_meeting(factory.committee("planning"), actor=staff, now=NOW, **fields)
    db.session.rollback()
    assert _count(Meeting) == 0


def test_a_written_session_needs_no_place(staff, factory):
    meeting = new(staff, factory, format=MeetingFormat.WRITTEN, place="ignored")
    assert meeting.place == "" and meeting.format is MeetingFormat.WRITTEN


def test_weekends_and_holidays_warn(ctx):
    saturday = rules.day_off_warning(at(2026, 12, 12))
    assert "は土曜日です。" in saturday and "日曜日" not in saturday  # the day it is (issue 20 item 7)
    sunday = rules.day_off_warning(at(2026, 12, 13))
    assert "は日曜日です。" in sunday and "土曜日" not in sunday
    assert "成人の日" in rules.day_off_warning(at(2027, 1, 11))
    assert rules.day_off_warning(at(2026, 12, 10)) is None  # Thursday


# -------------------------------------------------------------------------------------------- agenda

def test_agenda_items_are_ordered_moved_and_closed_up(staff, factory):
    meeting = new(staff, factory)
    body = factory.body("川越市")
    a = rules.add_agenda_item(meeting, actor=staff, kind=AgendaKind.REPORT, title="A")
    b = rules.add_agenda_item(meeting, actor=staff, kind=AgendaKind.DISCUSSION, title="B", presenter_body=body,
                              minutes_allotted=20, notes="資料1")
    c = rules.add_agenda_item(meeting, actor=staff, kind=AgendaKind.RESOLUTION, title="C")
    assert [i.title for i in meeting.agenda_items] == ["A", "B", "C"]
    assert (b.position, b.presenter_body.name, b.minutes_allotted) == (2, "川越市", 20)
    rules.move_agenda_item(c, actor=staff, direction="up")
    assert [i.title for i in meeting.agenda_items] == ["A", "C", "B"]
    with pytest.raises(DomainError):
        rules.move_agenda_item(a, actor=staff, direction="up")
    rules.remove_agenda_item(c, actor=staff)
    assert [(i.title, i.position) for i in meeting.agenda_items] == [("A", 1), ("B", 2)]
    rules.update_agenda_item(a, actor=staff, kind=AgendaKind.DISCUSSION, title="A改", minutes_allotted=15)
    assert (a.title, a.kind, a.minutes_allotted) == ("A改", AgendaKind.DISCUSSION, 15)
    for bad, message in (({"title": " "}, "件名"), ({"minutes_allotted": 0}, "所要時間")):
        with pytest.raises(DomainError, match=message):
            rules.add_agenda_item(meeting, actor=staff, **{"kind": AgendaKind.REPORT, "title": "x", **bad})


# ---------------------------------------------------------------------------------------- attendance

def _seat(user, committee="planning"):
    return db.session.scalar(select(Membership).join(Membership.committee).where(
        Membership.user_id == user.id, Membership.committee.has(slug=committee)))


def test_a_member_answers_for_their_own_seat_once_and_may_change_it(staff, factory):
    member = factory.member(body="川越市")
    other = factory.member(body="熊谷市")
    meeting = new(staff, factory)
    seat = _seat(member)
    with pytest.raises(DomainError, match="受け付けていません"):  # a draft takes no answers
        rules.answer_attendance(meeting, seat, actor=member, response=AttendanceResponse.ATTEND, now=NOW)
    rules.convene(meeting, actor=staff, now=NOW)
    rules.answer_attendance(meeting, seat, actor=member, response=AttendanceResponse.ATTEND, now=NOW)
    rules.answer_attendance(meeting, seat, actor=member, response=AttendanceResponse.ABSENT, now=NOW)
    assert _count(Attendance, Attendance.membership_id == seat.id) == 1
    sheet = rules.attendance_sheet(meeting)
    assert sheet.counts[AttendanceResponse.ABSENT] == 1 and sheet.counts[AttendanceResponse.ATTEND] == 0
    assert [m.user_id for m in sheet.unanswered] == [other.id]
    with pytest.raises(Forbidden):
        rules.answer_attendance(meeting, _seat(other), actor=member, response=AttendanceResponse.ATTEND, now=NOW)


def test_a_proxy_needs_a_name_and_a_title(staff, factory):
    member = factory.member(body="川越市")
    meeting = new(staff, factory)
    rules.convene(meeting, actor=staff, now=NOW)
    seat = _seat(member)
    with pytest.raises(DomainError, match="氏名"):
        rules.answer_attendance(meeting, seat, actor=member, response=AttendanceResponse.PROXY, proxy_title="課長補佐", now=NOW)
    with pytest.raises(DomainError, match="職名"):
        rules.answer_attendance(meeting, seat, actor=member, response=AttendanceResponse.PROXY, proxy_name="川越 次郎", now=NOW)
    answer = rules.answer_attendance(meeting, seat, actor=member, response=AttendanceResponse.PROXY,
                                     proxy_name="川越 次郎", proxy_title="職員課 課長補佐", now=NOW)
    assert (answer.proxy_name, answer.proxy_title) == ("川越 次郎", "職員課 課長補佐")
    assert rules.attendance_sheet(meeting).expected == 1


def test_the_deadline_binds_members_but_not_the_secretariat(staff, factory):
    member = factory.member(body="川越市")
    meeting = new(staff, factory, answer_deadline=at(2026, 12, 3, 17))
    rules.convene(meeting, actor=staff, now=NOW)
    seat = _seat(member)
    late = at(2026, 12, 4, 9)
    with pytest.raises(DomainError, match="回答期限"):
        rules.answer_attendance(meeting, seat, actor=member, response=AttendanceResponse.ATTEND, now=late)
    assert not rules.can_answer_for(member, meeting, seat, now=late)
    answer = rules.answer_attendance(meeting, seat, actor=staff, response=AttendanceResponse.ATTEND, now=late)
    assert answer.answered_by_id == staff.id


def test_observers_do_not_answer(staff, factory):
    observer = factory.member(body="戸田市", role="observer")
    meeting = new(staff, factory)
    rules.convene(meeting, actor=staff, now=NOW)
    with pytest.raises(DomainError, match="議席ではありません"):
        rules.answer_attendance(meeting, _seat(observer), actor=observer, response=AttendanceResponse.ATTEND, now=NOW)
    assert rules.attendance_sheet(meeting).lines == []


def test_the_secretariat_records_who_was_present(staff, factory):
    present = factory.member(body="川越市")
    absent = factory.member(body="熊谷市")
    meeting = new(staff, factory)
    rules.convene(meeting, actor=staff, now=NOW)
    with pytest.raises(Forbidden):
        rules.record_presence(meeting, actor=present, present_membership_ids=[])
    rules.record_presence(meeting, actor=staff, present_membership_ids=[_seat(present).id])
    sheet = rules.attendance_sheet(meeting)
    assert sheet.present == 1 and sheet.presence_recorded
    assert {line.membership.user_id: line.attendance.present for line in sheet.lines} == {present.id: True, absent.id: False}
    assert len(sheet.unanswered) == 2  # presence is not an answer


# ------------------------------------------------------------------------------------ convocation text

def test_the_convocation_notice_reads_like_an_official_notice(staff, factory):
    meeting = new(staff, factory, answer_deadline=at(2026, 12, 3, 17), online_url="https://meet.example.jp/r8",
                  format=MeetingFormat.HYBRID)
    rules.add_agenda_item(meeting, actor=staff, kind=AgendaKind.REPORT, title="令和7年度研修実績について")
    rules.add_agenda_item(meeting, actor=staff, kind=AgendaKind.RESOLUTION, title="令和9年度研修計画(案)について",
                          presenter_body=factory.body("川越市"))
    rules.convene(meeting, actor=staff, now=NOW)
    text = content.convocation_text(meeting, "https://liaison.example.jp/")
    assert "令和8年度第1回企画運営部会の開催について(通知)" in text
    assert "令和8年12月10日(木) 14:00〜16:00" in text
    assert "浦和合同庁舎 5階 会議室" in text and "https://meet.example.jp/r8" in text
    assert "(1) 報告事項" in text and "ア\u3000令和7年度研修実績について(事務局)" in text
    assert "(2) 議決事項" in text and "ア\u3000令和9年度研修計画(案)について(川越市)" in text
    assert "令和8年12月3日(木) 17:00までに" in text
    assert f"https://liaison.example.jp/planning/meetings/{meeting.id}" in text
    assert text.rstrip().endswith("以上")


def test_my_upcoming_meetings_and_the_answers_i_owe(staff, factory):
    member = factory.member(body="川越市")
    now = utcnow()
    start = (now + timedelta(days=10)).astimezone(TOKYO).replace(hour=14, minute=0, second=0, microsecond=0)
    owed = rules.create_meeting(factory.committee("planning"), actor=staff, starts_at=start,
                                ends_at=start + timedelta(hours=2), format=MeetingFormat.ONLINE,
                                online_url="https://meet.example.jp/a")
    answered = rules.create_meeting(factory.committee("planning"), actor=staff, starts_at=start + timedelta(days=1),
                                    ends_at=start + timedelta(days=1, hours=2), format=MeetingFormat.ONLINE,
                                    online_url="https://meet.example.jp/b")
    draft = rules.create_meeting(factory.committee("planning"), actor=staff, starts_at=start + timedelta(days=2),
                                 ends_at=start + timedelta(days=2, hours=2), format=MeetingFormat.WRITTEN)
    rules.convene(owed, actor=staff)
    rules.convene(answered, actor=staff)
    rules.answer_attendance(answered, _seat(member), actor=member, response=AttendanceResponse.ATTEND)
    meetings, owing = rules.my_upcoming(member, [_seat(member)])
    assert [m.id for m in meetings] == [owed.id, answered.id]  # not the draft
    assert [(m.id, seat.user_id) for m, seat in owing] == [(owed.id, member.id)]
    staff_meetings, _owing = rules.my_upcoming(staff, [])
    assert draft.id in [m.id for m in staff_meetings]


def test_demo_seed_builds_meetings_in_every_committee_once(ctx):
    from liaison.models import Attachment, Committee
    from liaison.seed.demo import seed_demo

    seed_demo()
    db.session.commit()
    counts = (_count(Meeting), _count(AgendaItem), _count(Attendance), _count(Attachment))
    seed_demo()
    db.session.commit()
    assert (_count(Meeting), _count(AgendaItem), _count(Attendance), _count(Attachment)) == counts
    now = utcnow()
    for committee in db.session.scalars(select(Committee)):
        meetings = db.session.scalars(select(Meeting).where(Meeting.committee_id == committee.id)).all()
        assert any(m.status is MeetingStatus.HELD and m.ends_at < now for m in meetings), committee.slug
        upcoming = [m for m in meetings if m.status is MeetingStatus.CONVENED and m.starts_at > now]
        assert upcoming and upcoming[0].agenda_items, committee.slug
        assert rules.attendance_sheet(upcoming[0]).tally["attend"] > 0, committee.slug
    statuses = {m.status for m in db.session.scalars(select(Meeting))}
    assert {MeetingStatus.DRAFT, MeetingStatus.POSTPONED, MeetingStatus.CANCELLED} <= statuses


def test_attendance_row_inserted_concurrently_is_reused_not_an_error(app, factory):
    """Two requests answering for one seat at once: the loser of the insert race uses the winner's row."""
    from sqlalchemy import select

    from liaison.domain.meeting_attendance import _new_attendance_row
    from liaison.extensions import db
    from liaison.models import Attendance, AttendanceResponse, Meeting, Membership

    member = factory.member(committee="planning", body="川越市")
    meeting = factory.meeting("planning", status="convened")
    with app.app_context():
        seat = db.session.scalar(select(Membership).where(Membership.user_id == member.id))
        db.session.add(Attendance(meeting_id=meeting.id, membership_id=seat.id, response=AttendanceResponse.ATTEND))
        db.session.commit()  # "the other request" committed first
    with app.app_context():
        seat = db.session.scalar(select(Membership).where(Membership.user_id == member.id))
        row = _new_attendance_row(db.session.get(Meeting, meeting.id), seat)
        assert row.response is AttendanceResponse.ATTEND
        db.session.commit()
