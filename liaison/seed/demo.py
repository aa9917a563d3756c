"""A believable demo union: fixed logins, seats in every committee (through the domain functions)."""
from __future__ import annotations

from sqlalchemy import select

from ..dates import current_fiscal_year
from ..domain import memberships as membership_rules
from ..domain import users as user_rules
from ..extensions import db
from ..models import Body, BodyKind, Committee, Membership, Role, User

DEMO_PASSWORD = "liaison-demo"

SURNAMES = (
    "佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林 斎藤 清水 "
    "山崎 森 池田 橋本 阿部 石川 山下 中島 石井 小川 前田 岡田 長谷川 藤田 後藤 近藤 村上 遠藤 青木 坂本"
).split()
GIVEN_NAMES = (
    "健一 裕子 誠 美穂 浩二 直美 隆 恵子 修 由美 大輔 真理子 和也 智子 勝 陽子 学 典子 剛 久美子 "
    "淳 明美 哲也 幸子 亮 理恵 聡 香織 拓也 純子"
).split()
PREFECTURAL_DEPARTMENTS = (
    "総務部", "企画財政部", "県民生活部", "環境部", "福祉部", "保健医療部", "産業労働部", "県土整備部",
)
# 企画運営部会: a handful of bodies (埼玉県 and larger cities, one town), by bodies.csv name.
PLANNING_BODIES = ("埼玉県", "さいたま市", "川越市", "熊谷市", "川口市", "所沢市", "越谷市", "伊奈町")
# 市町村職員広域研修部会: municipal bodies across the districts.
MUNICIPAL_TRAINING_BODIES = (
    "さいたま市", "川越市", "行田市", "秩父市", "飯能市", "加須市", "本庄市", "東松山市", "狭山市",
    "鴻巣市", "深谷市", "上尾市", "草加市", "戸田市", "朝霞市", "三芳町", "毛呂山町", "小川町",
    "寄居町", "宮代町", "杉戸町", "東秩父村",
)
# Bodies whose council seat changed hands at the last April handover (人事異動).
HANDED_OVER = ("さいたま市", "熊谷市", "春日部市", "戸田市", "小鹿野町")


def person_name(index: int) -> str:
    return f"{SURNAMES[index % len(SURNAMES)]} {GIVEN_NAMES[(index * 7) % len(GIVEN_NAMES)]}"


def _user(email: str, name: str, **fields) -> User:
    user = user_rules.find_by_email(email)
    if user is None:
        user = user_rules.create_user(actor=None, email=email, name=name, password=DEMO_PASSWORD, **fields)
    return user


def _seat(committee: Committee, fiscal_year: int, user: User, body: Body, role: Role, department: str = "") -> None:
    exists = db.session.scalar(
        select(Membership.id).where(
            Membership.committee_id == committee.id, Membership.fiscal_year == fiscal_year,
            Membership.user_id == user.id,
        )
    )
    if exists is None:
        membership_rules.appoint(
            actor=None, committee=committee, fiscal_year=fiscal_year, user=user, body=body, role=role,
            department=department,
        )


def seed_demo() -> dict[str, User]:
    """Create the demo users and seats for the current (and, for the council, the previous) fiscal year."""
    fiscal_year = current_fiscal_year()
    bodies = list(db.session.scalars(select(Body).order_by(Body.position)))
    body_by_name = {b.name: b for b in bodies}
    committees = {c.slug: c for c in db.session.scalars(select(Committee))}
    prefecture = next(b for b in bodies if b.kind is BodyKind.PREFECTURE)

    users = {
        "admin": _user("admin@example.jp", "システム 管理者", title="システム管理者", is_admin=True),
        "secretariat": _user(
            "secretariat@example.jp", "事務局 担当", title="彩の国さいたま人づくり広域連合 事務局 主査",
            is_secretariat=True,
        ),
    }
    members = []
    for index, body in enumerate(bodies, start=1):
        title = "人材育成課長" if body.kind is BodyKind.PREFECTURE else ("職員課長" if index % 3 else "人事課長")
        members.append(_user(f"member{index:02d}@example.jp", person_name(index), title=title, body=body))
    departments = [
        _user(f"pref{index:02d}@example.jp", person_name(100 + index), title=f"{department} 総務課長",
              body=prefecture, department=department)
        for index, department in enumerate(PREFECTURAL_DEPARTMENTS, start=1)
    ]
    member_by_body = {m.body_id: m for m in members}
    db.session.flush()

    council = committees["council"]
    for index, member in enumerate(members):
        role = Role.CHAIR if index == 0 else Role.VICE_CHAIR if index == 1 else Role.MEMBER
        _seat(council, fiscal_year, member, member.body, role)
    # Last year's council: the same seats, a few held by predecessors moved on at the handover.
    for index, member in enumerate(members):
        holder = member
        if member.body.name in HANDED_OVER:
            holder = _user(
                f"former-{member.email}", person_name(200 + index), title="(前任)職員課長", body=member.body
            )
        role = Role.CHAIR if index == 0 else Role.VICE_CHAIR if index == 1 else Role.MEMBER
        _seat(council, fiscal_year - 1, holder, member.body, role)

    for slug, names in (("planning", PLANNING_BODIES), ("municipal-training", MUNICIPAL_TRAINING_BODIES)):
        for index, name in enumerate(names):
            body = body_by_name[name]
            role = Role.CHAIR if index == 0 else Role.VICE_CHAIR if index == 1 else Role.MEMBER
            _seat(committees[slug], fiscal_year, member_by_body[body.id], body, role)
    # An observer seat (no vote) shows the role.
    _seat(committees["planning"], fiscal_year, member_by_body[body_by_name["戸田市"].id], body_by_name["戸田市"], Role.OBSERVER)

    prefectural = committees["prefectural-training"]
    for index, user in enumerate(departments):
        role = Role.CHAIR if index == 0 else Role.VICE_CHAIR if index == 1 else Role.MEMBER
        _seat(prefectural, fiscal_year, user, prefecture, role, department=user.department)
    _seat(prefectural, fiscal_year, members[0], prefecture, Role.OBSERVER, department="人材育成課")

    users.update({"members": members, "departments": departments})
    db.session.flush()
    seed_demo_meetings(users)
    seed_demo_votes(users)
    seed_demo_minutes(users)
    return users


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

    from ..dates import TOKYO, is_day_off

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
                  format=None, attach=False):
    """One meeting through the domain functions, as the secretariat would have built it back then."""
    import io
    from datetime import timedelta

    from werkzeug.datastructures import FileStorage

    from ..domain import meetings as meeting_rules
    from ..models import AgendaKind, AttendanceResponse, MeetingFormat

    body_by_name = {b.name: b for b in db.session.scalars(select(Body))}
    then = starts_at - timedelta(days=30)
    meeting_format = format or MeetingFormat.IN_PERSON
    meeting = meeting_rules.create_meeting(
        committee, actor=actor, starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours), format=meeting_format,
        place=DEMO_PLACES[committee.slug] if meeting_format is not MeetingFormat.ONLINE else "",
        online_url="https://meet.example.jp/" + committee.slug if meeting_format is not MeetingFormat.IN_PERSON else "",
        answer_deadline=_deadline_before(starts_at, 5), proposal_deadline=_deadline_before(starts_at, 14), now=then,
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
    if held:
        present = [seat.id for index, seat in enumerate(answering) if index % 7 != 3]
        meeting_rules.record_presence(meeting, actor=actor, present_membership_ids=present)
        meeting_rules.mark_held(meeting, actor=actor, now=meeting.ends_at)
    return meeting


def seed_demo_meetings(users: dict) -> None:
    """Past held meetings, an upcoming convened one with agenda and answers in each committee, a draft,
    a postponed and a cancelled meeting. Committees that already have meetings are left alone."""
    from datetime import date, timedelta

    from ..dates import fiscal_year_of, utcnow
    from ..domain import meetings as meeting_rules
    from ..models import Meeting, MeetingFormat

    actor = users["secretariat"]
    today = utcnow().date()
    fiscal_year = current_fiscal_year()
    committees = list(db.session.scalars(select(Committee).order_by(Committee.position)))
    for offset, committee in enumerate(committees):
        if db.session.scalar(select(Meeting.id).where(Meeting.committee_id == committee.id).limit(1)):
            continue
        agenda = DEMO_AGENDAS[committee.slug]
        if committee.slug == "council":  # last fiscal year's closing meeting, with last year's seats
            _demo_meeting(committee, actor, _working_day_at(date(fiscal_year, 2, 12), 14), agenda=agenda[:2],
                          answers=1.0, held=True)
        # The council (64 seats) meets less often than the 部会.
        for days in (60,) if committee.slug == "council" else (150, 60):
            start = _working_day_at(today - timedelta(days=days + offset), 14 if offset % 2 else 10)
            if fiscal_year_of(start) == fiscal_year:
                _demo_meeting(committee, actor, start, agenda=agenda, answers=1.0, held=True)
        # Created in the order of their (first) dates, so 第N回 follows the calendar.
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
                           for n, line in enumerate(vote_rules.seat_lines(vote)) if line.membership.id in present}
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
# -------------------------------------------------------------------------------------------- minutes

def _demo_minutes_texts(facts: dict) -> dict:
    """What a secretariat writes: the opening, a line or two per item, the closing."""
    from ..domain import minutes as minutes_rules

    chair = next((p for p in facts["attendance"]["present"] if p["role"] in ("議長", "部会長")), None)
    opening = (f"{chair['role']}({chair['seat']} {chair['name']})が開会を宣言し、" if chair else "事務局が開会を宣言し、")
    texts = {minutes_rules.OPENING: opening + "出席委員が定足数を満たしていることを確認して議事に入った。"}
    for item in facts["items"]:
        lines = [f"{item['presenter']}から、資料に基づき説明があった。"]
        if item["kind"] == "協議事項":
            lines.append("- 委員から、各団体の実情に合わせた運用を求める意見があった。\n- 事務局から、次回までに具体案を示すと回答した。")
        elif item["kind"] == "議決事項":
            lines.append("質疑の後、採決を行った。")
        else:
            lines.append("質疑はなく、報告のとおり了承された。")
        texts[minutes_rules.item_key(item["id"])] = "\n\n".join(lines)
    texts[minutes_rules.CLOSING] = "次回の日程は事務局から追って連絡することとし、閉会した。"
    return texts


def seed_demo_minutes(users: dict) -> None:
    """Published minutes for every held meeting, except the 企画運営部会's latest, which is in review.

    Meetings that already have minutes are left alone (idempotent).
    """
    from datetime import timedelta

    from ..dates import utcnow
    from ..domain import meetings as meeting_rules
    from ..domain import minutes as minutes_rules
    from ..models import Meeting, MeetingStatus, Minutes

    actor = users["secretariat"]
    held = list(db.session.scalars(
        select(Meeting).where(Meeting.status == MeetingStatus.HELD).order_by(Meeting.starts_at, Meeting.id)
    ))
    planning_latest = max((m for m in held if m.committee.slug == "planning"), key=lambda m: m.starts_at, default=None)
    for meeting in held:
        if db.session.scalar(select(Minutes.id).where(Minutes.meeting_id == meeting.id)):
            continue
        minutes = minutes_rules.create(meeting, actor=actor)
        minutes_rules.save_text(minutes, actor=actor, texts=_demo_minutes_texts(minutes_rules.latest_version(minutes).facts))
        seats = meeting_rules.voting_seats(meeting)
        if meeting is planning_latest:
            minutes_rules.open_review(minutes, actor=actor, deadline=utcnow() + timedelta(days=7),
                                      now=utcnow() - timedelta(days=1))
            for seat in seats[: len(seats) // 2]:
                minutes_rules.mark_no_objection(minutes, actor=seat.user)
            item = minutes_rules.latest_version(minutes).facts["items"][-1]
            minutes_rules.add_comment(minutes, actor=seats[-1].user, agenda_item_id=item["id"],
                                      text="採決の結果に賛成・反対の数も記載してはいかがでしょうか。")
            continue
        reviewed_at = meeting.ends_at + timedelta(days=3)
        minutes_rules.open_review(minutes, actor=actor, deadline=reviewed_at + timedelta(days=7), now=reviewed_at)
        for seat in seats:
            minutes_rules.mark_no_objection(minutes, actor=seat.user, now=reviewed_at + timedelta(days=2))
        chair = next(seat.user for seat in seats if seat.role is Role.CHAIR)
        minutes_rules.approve(minutes, actor=chair, now=reviewed_at + timedelta(days=8))
        minutes_rules.publish(minutes, actor=actor, now=reviewed_at + timedelta(days=9))
    db.session.flush()
