"""The demo's meetings (held, upcoming, postponed, cancelled, a draft) and the votes that decided them."""
from __future__ import annotations

from sqlalchemy import select

from ..dates import TOKYO, current_fiscal_year
from ..domain import memberships as membership_rules
from ..extensions import db
from ..models import Body, Committee
from .demo_people import person_name
from .demo_proposals import decided_demo_proposals


# ------------------------------------------------------------------------------------------- meetings

DEMO_AGENDAS = {
    "council": (
        ("report", "令和8年度上半期の研修実施状況について", None),
        ("report", "構成団体の人事異動に伴う委員の交代について", None),
        ("discussion", "第6次広域計画の進捗状況について", "さいたま市"),
        ("resolution", "令和9年度研修計画(案)について", None),
    ),
    "planning": (
        ("report", "令和8年度事業の執行状況について", None),
        ("discussion", "令和9年度事業計画の策定方針について", "川越市"),
        ("resolution", "広域計画推進事業の見直し(案)について", None),
    ),
    "municipal-training": (
        ("report", "市町村職員合同研修の受講者アンケート結果について", None),
        ("discussion", "階層別研修のオンライン化について", "上尾市"),
        ("resolution", "令和9年度市町村職員研修の日程(案)について", None),
    ),
    "prefectural-training": (
        ("report", "県職員研修の実施結果について", None),
        ("discussion", "新任課長研修のカリキュラム見直しについて", None),
    ),
}
DEMO_PLACES = {
    "council": "埼玉会館 7階 会議室",
    "planning": "彩の国さいたま人づくり広域連合 研修室A",
    "municipal-training": "彩の国さいたま人づくり広域連合 研修室B",
    "prefectural-training": "埼玉県庁 第二庁舎 5階 会議室",
}
# A tiny, valid PDF for the demo's 資料.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
    b"4 0 obj<</Length 44>>stream\nBT /F1 18 Tf 72 770 Td (liaison demo) Tj ET\nendstream endobj\n"
    b"5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _working_day_at(day, hour: int):
    """The first working day (not a weekend or 祝日) on or after `day`, at `hour` in Tokyo."""
    from datetime import datetime, timedelta

    from ..dates import is_day_off

    while is_day_off(day):
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=TOKYO)


def _deadline_before(starts_at, days: int):
    """17:00 on the last working day at least `days` before the meeting."""
    from datetime import datetime, timedelta

    from ..dates import TOKYO, is_day_off, to_tokyo

    day = to_tokyo(starts_at).date() - timedelta(days=days)
    while is_day_off(day):
        day -= timedelta(days=1)
    return datetime(day.year, day.month, day.day, 17, 0, tzinfo=TOKYO)


def _demo_meeting(committee, actor, starts_at, *, hours=2, agenda=(), answers=0.0, held=False, convene=True,
                  format=None, attach=False, on_convened=None, title=""):
    """One meeting through the domain functions, as the secretariat would have built it back then."""
    import io
    from datetime import timedelta

    from werkzeug.datastructures import FileStorage

    from ..domain import meetings as meeting_rules
    from ..models import AgendaKind, AttendanceResponse, MeetingFormat, MeetingStatus

    body_by_name = {b.name: b for b in db.session.scalars(select(Body))}
    then = starts_at - timedelta(days=30)
    meeting_format = format or MeetingFormat.IN_PERSON
    meeting = meeting_rules.create_meeting(
        committee, actor=actor, starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours), format=meeting_format,
        place=DEMO_PLACES[committee.slug] if meeting_format is not MeetingFormat.ONLINE else "",
        online_url="https://meet.example.jp/" + committee.slug if meeting_format is not MeetingFormat.IN_PERSON else "",
        answer_deadline=_deadline_before(starts_at, 5), proposal_deadline=_deadline_before(starts_at, 14), now=then,
        title=title,
    )
    for index, (kind, title, presenter) in enumerate(agenda):
        item = meeting_rules.add_agenda_item(
            meeting, actor=actor, kind=AgendaKind(kind), title=title,
            presenter_body=body_by_name.get(presenter) if presenter else None, minutes_allotted=20,
        )
        if attach and index == len(agenda) - 1:
            meeting_rules.add_attachment(
                meeting, FileStorage(stream=io.BytesIO(DEMO_PDF), filename=f"資料 {title}.pdf"), actor=actor, agenda_item=item,
            )
    if not convene:
        return meeting
    answering = _convene_with_answers(meeting, actor, then, answers)
    if held:
        present = [seat.id for index, seat in enumerate(answering) if index % 7 != 3]
        meeting_rules.record_presence(meeting, actor=actor, present_membership_ids=present)
    if on_convened is not None:  # e.g. proposals put on this agenda (opening the sitting) and decided at the meeting
        on_convened(meeting)
    if held:
        if meeting.status is not MeetingStatus.IN_SESSION:
            meeting_rules.open_session(meeting, actor=actor, now=meeting.starts_at)  # 開会
        meeting_rules.close_session(meeting, actor=actor, now=meeting.ends_at)  # 閉会
    return meeting


def _convene_with_answers(meeting, actor, then, answers: float) -> list:
    """招集 at `then`, then 出欠 from the first `answers` share of the seats (one in seven absent, one proxy)."""
    from datetime import timedelta

    from ..domain import meetings as meeting_rules
    from ..models import AttendanceResponse

    meeting_rules.convene(meeting, actor=actor, now=then)
    seats = meeting_rules.voting_seats(meeting)
    answering = seats[: round(len(seats) * answers)]
    for index, seat in enumerate(answering):
        response = AttendanceResponse.ATTEND
        proxy = {}
        if index % 7 == 3:
            response = AttendanceResponse.ABSENT
        elif index % 7 == 5:
            response = AttendanceResponse.PROXY
            proxy = {"proxy_name": person_name(300 + index), "proxy_title": "課長補佐"}
        meeting_rules.answer_attendance(meeting, seat, actor=seat.user, response=response,
                                        now=then + timedelta(days=1 + index % 10), **proxy)
    return answering


def demo_meeting_today(committee, actor, now=None):
    """企画運営部会 today (Tokyo), 14:00–16:00, convened: five items with planned minutes, a small PDF 資料 each
    (資料1 … 資料5, liaison/seed/demo_today.py), 出欠 from most seats, the 議決事項 to be voted in the room.
    Nothing when the committee already has a meeting today (a rerun the same day); a rerun another day adds
    that day's."""
    import io
    from datetime import datetime, timedelta

    from werkzeug.datastructures import FileStorage

    from ..dates import to_tokyo, utcnow
    from ..domain import meetings as meeting_rules
    from ..models import AgendaKind, Meeting, MeetingFormat
    from .demo_today import TODAY_AGENDA, TODAY_TITLE, material_pdf

    day = to_tokyo(now or utcnow()).date()
    start = datetime(day.year, day.month, day.day, 14, 0, tzinfo=TOKYO)
    if db.session.scalar(select(Meeting.id).where(
            Meeting.committee_id == committee.id, Meeting.starts_at >= start - timedelta(hours=14),
            Meeting.starts_at < start + timedelta(hours=10)).limit(1)):
        return None
    if not membership_rules.seats(committee, current_fiscal_year(), include_observers=False):
        return None
    then = start - timedelta(days=30)
    meeting = _demo_meeting(committee, actor, start, agenda=(), convene=False, format=MeetingFormat.IN_PERSON,
                            title=TODAY_TITLE)
    bodies = {b.name: b for b in db.session.scalars(select(Body))}
    for number, (kind, title, presenter, planned, _pages) in enumerate(TODAY_AGENDA, start=1):
        item = meeting_rules.add_agenda_item(meeting, actor=actor, kind=AgendaKind(kind), title=title,
                                             presenter_body=bodies.get(presenter) if presenter else None,
                                             minutes_allotted=planned)
        data = material_pdf(number)
        meeting_rules.add_attachment(meeting, FileStorage(stream=io.BytesIO(data), filename=f"資料{number} {title}.pdf"),
                                     actor=actor, agenda_item=item)
    _convene_with_answers(meeting, actor, then, 0.9)
    return meeting


def seed_demo_today(users: dict) -> None:
    """A rerun of seed --demo on another day adds that day's 企画運営部会 (demo_meeting_today)."""
    planning = db.session.scalar(select(Committee).where(Committee.slug == "planning"))
    if planning is not None:
        demo_meeting_today(planning, users["secretariat"])
    db.session.flush()


def held_meeting_starts(now, offset: int, *, council: bool) -> list:
    """When a committee's demo meetings were held: 60 (and, for a 部会, 150) days before `now`.

    The council (64 seats) meets less often than the 部会. Early in the fiscal year (April to June) a
    meeting 60 or 150 days back would fall in the last one, whose 部会 have no seats: it is held on one of
    this year's first working days instead, so that every committee has held meetings (with minutes, votes,
    decided proposals) whatever the date; only on the morning of 1 April can there be none yet.
    """
    from datetime import date, timedelta

    from ..dates import fiscal_year_of

    fiscal_year = fiscal_year_of(now)
    hour = 14 if offset % 2 else 10
    starts = []
    for index, days in enumerate((60,) if council else (150, 60)):
        start = _working_day_at(now.date() - timedelta(days=days + offset), hour)
        if fiscal_year_of(start) != fiscal_year:
            start = _working_day_at(date(fiscal_year, 4, 1) + timedelta(days=2 * index), hour)
        if start + timedelta(hours=2) < now and start not in starts:
            starts.append(start)
    return sorted(starts)


def seed_demo_meetings(users: dict) -> None:
    """Past held meetings, an upcoming convened one with agenda and answers in each committee, a draft,
    a postponed and a cancelled meeting. Committees that already have meetings are left alone."""
    from datetime import date, timedelta

    from ..dates import utcnow
    from ..domain import meetings as meeting_rules
    from ..models import Meeting, MeetingFormat

    actor = users["secretariat"]
    now = utcnow()
    today = now.date()
    fiscal_year = current_fiscal_year()
    committees = list(db.session.scalars(select(Committee).order_by(Committee.position)))
    for offset, committee in enumerate(committees):
        if db.session.scalar(select(Meeting.id).where(Meeting.committee_id == committee.id).limit(1)):
            continue
        agenda = DEMO_AGENDAS[committee.slug]
        if committee.slug == "council":  # last fiscal year's closing meeting, with last year's seats
            _demo_meeting(committee, actor, _working_day_at(date(fiscal_year, 2, 12), 14), agenda=agenda[:2],
                          answers=1.0, held=True)
        held_starts = held_meeting_starts(now, offset, council=committee.slug == "council")
        for number, start in enumerate(held_starts, start=1):
            # the latest one decided this year's demo proposals
            _demo_meeting(committee, actor, start, agenda=agenda, answers=1.0, held=True,
                          on_convened=(lambda m: decided_demo_proposals(m, users)) if number == len(held_starts) else None)
        # Created in the order of their (first) dates, so 第N回 follows the calendar.
        if committee.slug == "planning":  # today's, to run from the console (会議進行)
            demo_meeting_today(committee, actor, now)
        if committee.slug == "planning":
            postponed = _demo_meeting(committee, actor, _working_day_at(today + timedelta(days=7), 15),
                                      agenda=agenda[:2], answers=0.3, format=MeetingFormat.ONLINE)
            new_start = _working_day_at(today + timedelta(days=28), 15)
            meeting_rules.postpone(postponed, actor=actor, starts_at=new_start, ends_at=new_start + timedelta(hours=1),
                                   reason="議案の調整に時間を要するため", answer_deadline=_deadline_before(new_start, 5),
                                   now=postponed.convened_at)
        if committee.slug == "municipal-training":
            cancelled = _demo_meeting(committee, actor, _working_day_at(today + timedelta(days=9), 10),
                                      agenda=agenda[:1], answers=0.2)
            meeting_rules.cancel(cancelled, actor=actor, reason="講師の都合により研修視察が中止となったため")
        _demo_meeting(committee, actor, _working_day_at(today + timedelta(days=14 + offset * 3), 14), agenda=agenda,
                      answers=0.6, attach=True,
                      format=MeetingFormat.HYBRID if committee.slug == "council" else MeetingFormat.IN_PERSON)
        if committee.slug == "planning":  # the secretariat's next one, still a draft
            _demo_meeting(committee, actor, _working_day_at(today + timedelta(days=45), 10), agenda=agenda[:1],
                          convene=False)
    db.session.flush()


# ------------------------------------------------------------------------------------------- votes

WRITTEN_ITEM = "議案第2号 広域連合職員研修規程の一部改正について"


def _demo_written_session(council: Committee, actor):
    """A convened written session (書面開催) of the council with one resolution item, through the meetings domain."""
    from datetime import timedelta

    from ..dates import utcnow
    from ..models import Meeting, MeetingFormat, MeetingStatus

    meeting = db.session.scalar(
        select(Meeting).where(Meeting.committee_id == council.id, Meeting.format == MeetingFormat.WRITTEN,
                              Meeting.status == MeetingStatus.CONVENED).order_by(Meeting.id.desc()).limit(1)
    )
    if meeting is None:
        # after the council's next ordinary meeting, so that one stays the first upcoming
        start = _working_day_at(utcnow().date() + timedelta(days=21), 17)
        meeting = _demo_meeting(council, actor, start, hours=1, agenda=(("resolution", WRITTEN_ITEM, None),),
                                format=MeetingFormat.WRITTEN)
    return meeting


def seed_demo_votes(users: dict) -> None:
    """Decided items on every held meeting and an open written vote in the council, about two thirds answered.

    Report items are noted (報告了承), discussion items continued (継続審議), resolutions voted by
    show of hands by the seats present. Idempotent: decided items and an open written vote are left alone.
    """
    from ..domain import votes as vote_rules
    from ..models import AgendaKind, Attendance, Choice, Majority, Meeting, MeetingStatus, Vote, VoteMethod, VoteState

    staff = users["secretariat"]
    pattern = (Choice.YES,) * 7 + (Choice.NO, Choice.YES, Choice.ABSTAIN)
    held = db.session.scalars(select(Meeting).where(Meeting.status == MeetingStatus.HELD).order_by(Meeting.starts_at))
    for meeting in held:
        if not membership_rules.seats(meeting.committee, meeting.fiscal_year, include_observers=False):
            continue
        present = set(db.session.scalars(
            select(Attendance.membership_id).where(Attendance.meeting_id == meeting.id, Attendance.present.is_(True))
        ))
        for item in meeting.agenda_items:
            live = db.session.scalar(select(Vote.id).where(
                Vote.agenda_item_id == item.id, Vote.state.in_([VoteState.OPEN, VoteState.TIED])))
            if item.outcome is not None or live is not None:
                continue
            if item.kind is AgendaKind.REPORT:
                vote_rules.note_item(item, actor=staff, now=meeting.ends_at)
            elif item.kind is AgendaKind.DISCUSSION:
                vote_rules.defer_item(item, actor=staff, now=meeting.ends_at)
            else:
                vote = vote_rules.open_vote(item, actor=staff, method=VoteMethod.IN_MEETING, majority=Majority.SIMPLE,
                                            now=meeting.starts_at)
                choices = {line.membership.id: pattern[n % len(pattern)]
                           for n, line in enumerate(vote_rules.seat_lines(vote)) if line.membership.id in present
                           and not vote_rules.presides_without_vote(vote, line.membership.id)}  # the chair decides, never votes
                vote_rules.record_ballots(vote, choices, actor=staff, now=meeting.starts_at)
                vote_rules.close_vote(vote, actor=staff, now=meeting.ends_at)

    council = db.session.scalar(select(Committee).where(Committee.slug == "council"))
    open_written = db.session.scalar(select(Vote.id).where(
        Vote.committee_id == council.id, Vote.method == VoteMethod.WRITTEN, Vote.state == VoteState.OPEN))
    if open_written is None:
        meeting = _demo_written_session(council, staff)
        item = meeting.agenda_items[0]
        if item.outcome is None:
            vote = vote_rules.open_vote(item, actor=staff, method=VoteMethod.WRITTEN, majority=Majority.SIMPLE,
                                        closes_at=meeting.starts_at)
            # member01 (埼玉県, the chair) and every third body have not answered yet
            for n, line in enumerate(vote_rules.seat_lines(vote)):
                if n % 3 != 0:
                    vote_rules.cast_ballot(vote, line.membership, pattern[n % len(pattern)], actor=line.membership.user)
