"""A believable demo union: fixed logins, seats in every committee (through the domain functions)."""
from __future__ import annotations

from flask import g
from sqlalchemy import select

from ..dates import TOKYO, current_fiscal_year
from ..domain import memberships as membership_rules
from ..domain import users as user_rules
from ..extensions import db
from ..models import Body, BodyKind, Committee, Membership, Role, User
from ..models.users import hash_password

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


def _demo_password_hash() -> str:
    """DEMO_PASSWORD hashed once per seed run and shared by every demo login (one scrypt hash takes ~0.15 s)."""
    if "demo_password_hash" not in g:
        g.demo_password_hash = hash_password(DEMO_PASSWORD)
    return g.demo_password_hash


def _user(email: str, name: str, **fields) -> User:
    user = user_rules.find_by_email(email)
    if user is None:
        user = user_rules.create_user(actor=None, email=email, name=name, password_hash=_demo_password_hash(), **fields)
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
    seed_demo_proposals(users)
    seed_demo_minutes(users)
    leave_history_unsent()
    return users


def leave_history_unsent(now=None) -> int:
    """The demo's history was never mailed: its due notices that the sender would not send any more
    (convocations of meetings held months ago, reminders whose time has passed) are voided at seed
    time, by the sender's own rule, so the first scheduler pass sends only the present's news.
    Notices due later are left to the sender. Returns how many."""
    from ..dates import utcnow
    from ..models import Notification, NotificationState
    from ..notify.sender import void_reason

    now = now or utcnow()
    voided = 0
    for notification in db.session.scalars(select(Notification).where(
            Notification.state == NotificationState.PENDING, Notification.due_at <= now)):
        reason = void_reason(notification, now)
        if reason:
            notification.state, notification.last_error = NotificationState.VOID, f"demo history, not sent: {reason}"
            voided += 1
    db.session.flush()
    return voided


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
                  format=None, attach=False, on_convened=None):
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
    if on_convened is not None:  # e.g. proposals put on this agenda (opening the sitting) and decided at the meeting
        on_convened(meeting)
    if held:
        if meeting.status is not MeetingStatus.IN_SESSION:
            meeting_rules.open_session(meeting, actor=actor, now=meeting.starts_at)  # 開会
        meeting_rules.close_session(meeting, actor=actor, now=meeting.ends_at)  # 閉会
    return meeting


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
# ------------------------------------------------------------------------------------------ proposals

DEMO_PROPOSALS = {
    # (status, policy, title, summary)
    "council": (
        ("submitted", "RES-2", "構成団体間の研修情報共有の様式統一について",
         "各団体が個別に作成している研修実績報告の様式を統一し、集計作業の負担を軽減する。"),
        ("returned", "REC-1", "合同就職説明会の共同開催について",
         "県内市町村の職員採用に関する合同説明会を年2回共同で開催する。"),
        ("accepted", "HRD-1", "新規採用職員研修の日程調整について",
         "新規採用職員研修の受講枠を団体規模に応じて配分する方法を見直す。"),
        ("draft", "EXC-3", "民間企業との相互派遣研修の検討について", "民間企業への短期派遣研修の試行を検討する。"),
    ),
    "planning": (
        ("submitted", "HRD-3", "デジタル人材育成のための共同研修の新設について",
         "各団体で不足しているデジタル人材の育成に向け、DX推進リーダー研修を共同で新設する。"),
        ("returned", "HRD-6", "リスキリング支援のためのオンライン講座の導入について",
         "職員が自律的に学び直せるよう、オンライン講座の共同契約を行う。"),
        ("accepted", "EXC-2", "専門職ネットワーク交流会の開催について",
         "保健師・土木技師等の専門職が団体を越えて情報交換できる交流会を開催する。"),
        ("on_agenda", "HRD-4", "政策形成研修における地域課題演習の拡充について",
         "政策形成研修に構成団体の実際の地域課題を題材とする演習を加える。"),
        ("withdrawn", "REC-2", "専門人材の共同採用試験の実施について",
         "土木・建築職の共同採用試験の実施を提案する(各団体の意向調査の結果を受け取下げ)。"),
        ("draft", "HRD-5", "女性職員のキャリア形成支援研修について", "管理職登用を見据えたキャリア形成研修を検討する。"),
    ),
    "municipal-training": (
        ("submitted", "HRD-2", "若手職員向け課題解決ワークショップの実施について",
         "入庁3〜5年目の職員を対象に、他団体職員と課題解決に取り組むワークショップを実施する。"),
        ("on_agenda", "EXC-1", "市町村合同研修の会場輪番制について", "合同研修の会場を構成市町村の輪番とし、移動負担を平準化する。"),
        ("withdrawn", "HRD-1", "接遇研修の内容見直しについて", "接遇研修の内容を窓口対応の実態に合わせて見直す。"),
    ),
    "prefectural-training": (
        ("submitted", "HRD-3", "県職員向け生成AI活用研修の実施について", "生成AIの業務活用に関する研修を全部局向けに実施する。"),
        ("returned", "HRD-5", "部局横断チームによる研修企画について", "部局横断のチームで研修テーマを企画する仕組みを設ける。"),
    ),
}
DEMO_DECIDED = {
    # Decided at the committee's last held meeting (可決 / 否決 / 継続審議).
    "council": (("adopted", "RES-1", "人材開発に関する共同調査の実施について", "構成団体の研修ニーズ調査を共同で実施する。"),),
    "planning": (
        ("adopted", "HRD-3", "DX推進リーダー養成研修の試行について", "DX推進リーダー養成研修を令和期の新規事業として試行する。"),
        ("rejected", "EXC-3", "民間企業派遣研修の全団体必須化について", "民間企業派遣研修をすべての構成団体の必須研修とする。"),
        ("continued", "HRD-6", "職員の学び直し休暇制度の共同研究について", "自己啓発等休業制度の運用を共同で研究する。"),
    ),
    "municipal-training": (("adopted", "HRD-4", "地域課題解決型研修の共同実施について", "市町村の地域課題を題材にした研修を共同で実施する。"),),
    "prefectural-training": (("continued", "HRD-2", "県職員の越境学習プログラムについて", "県職員が市町村や民間で学ぶ越境学習を検討する。"),),
}
DEMO_BODY = (
    "## 提案の背景\n\n第6次広域計画の推進に向け、構成団体からの要望を踏まえて提案します。\n\n"
    "## 内容\n\n- 対象: 構成団体の職員\n- 実施時期: 次年度上半期\n- 費用: 広域連合の研修費で負担\n\n"
    "## 期待される効果\n\n団体の規模にかかわらず、職員が同じ水準の研修を受けられるようになります。"
)


def _demo_seats(committee: Committee) -> list[Membership]:
    from ..domain.memberships import seats

    return seats(committee, current_fiscal_year(), include_observers=False)


def _demo_proposal(committee, seat, status, policy_code, title, summary, *, secretariat, meeting=None, now=None,
                   kind=None):
    """One proposal walked through the domain functions to `status`, with a revision and a comment or two."""
    from ..domain import proposals as proposal_rules
    from ..models import PlanPolicy

    policy = db.session.scalar(select(PlanPolicy).where(PlanPolicy.code == policy_code))
    author = seat.user
    proposal = proposal_rules.create_draft(committee, actor=author, title=title, summary=summary, body=DEMO_BODY,
                                           plan_policy=policy, now=now)
    if status == "draft":
        return proposal
    # Every proposal beyond the draft was revised once before it went in.
    proposal_rules.update(proposal, actor=author, title=title, summary=summary + "(所要経費の見込みを追記)",
                          body=DEMO_BODY + "\n\n## 所要経費\n\n約120万円(講師謝金・会場費)", plan_policy=policy, now=now)
    proposal_rules.submit(proposal, actor=author, now=now)
    if status == "withdrawn":
        proposal_rules.withdraw(proposal, actor=author, reason="各団体の意向調査の結果を受けて")
        return proposal
    others = [s for s in _demo_seats(committee) if s.user_id != author.id]
    if others:
        proposal_rules.add_comment(proposal, actor=others[0].user, text="趣旨に賛成です。実施時期について調整をお願いします。", now=now)
    if status == "submitted":
        return proposal
    proposal_rules.return_to_submitter(
        proposal, actor=secretariat, now=now,
        reason="所要経費の積算根拠と、既存の研修との違いを本文に追記のうえ再提出してください。",
    )
    if status == "returned":
        return proposal
    proposal_rules.update(proposal, actor=author, title=title, summary=proposal.summary,
                          body=proposal.body + "\n\n## 既存研修との違い\n\n実務演習を中心とし、団体横断の班編成とします。",
                          plan_policy=policy, now=now)
    proposal_rules.submit(proposal, actor=author, now=now)
    proposal_rules.accept(proposal, actor=secretariat, now=now)
    proposal_rules.add_comment(proposal, actor=secretariat, text="受理しました。次回の会議で協議予定です。", now=now)
    if status == "accepted" or meeting is None:
        return proposal
    proposal_rules.schedule(proposal, meeting, actor=secretariat, now=now, kind=kind)
    return proposal


def decided_demo_proposals(meeting, users: dict) -> None:
    """Called at a past demo meeting (convened, presence recorded): proposals go on its agenda and the
    meeting decides them through the votes domain (可決 / 否決 by show of hands, 継続審議 deferred)."""
    from datetime import timedelta

    from ..domain import proposals as proposal_rules
    from ..domain import meetings as meeting_rules
    from ..domain import votes as vote_rules
    from ..models import AgendaKind, Attendance, Choice, Majority, VoteMethod

    committee, staff = meeting.committee, users["secretariat"]
    seats = _demo_seats(committee)
    if not seats:
        return
    present = set(db.session.scalars(
        select(Attendance.membership_id).where(Attendance.meeting_id == meeting.id, Attendance.present.is_(True))
    ))
    scheduled = []
    for index, (status, policy, title, summary) in enumerate(DEMO_DECIDED.get(committee.slug, ())):
        kind = AgendaKind.DISCUSSION if status == "continued" else AgendaKind.RESOLUTION
        proposal = _demo_proposal(committee, seats[(index * 3 + 2) % len(seats)], status, policy, title, summary,
                                  secretariat=staff, meeting=meeting, now=meeting.starts_at - timedelta(days=20),
                                  kind=kind)
        scheduled.append((status, proposal))
    # 開会: the items are decided at the sitting, by the seats checked in.
    meeting_rules.open_session(meeting, actor=staff, now=meeting.starts_at)
    for status, proposal in scheduled:
        item = proposal_rules.current_agenda_item(proposal)
        if status == "continued":
            vote_rules.defer_item(item, actor=staff, now=meeting.ends_at)
            continue
        vote = vote_rules.open_vote(item, actor=staff, method=VoteMethod.IN_MEETING, majority=Majority.SIMPLE,
                                    now=meeting.starts_at)
        choice = Choice.YES if status == "adopted" else Choice.NO
        vote_rules.record_ballots(vote, {line.membership.id: choice for line in vote_rules.seat_lines(vote)
                                         if line.membership.id in present
                                         and not vote_rules.presides_without_vote(vote, line.membership.id)},
                              actor=staff, now=meeting.starts_at)
        vote_rules.close_vote(vote, actor=staff, now=meeting.ends_at)


def seed_demo_proposals(users: dict) -> None:
    """Proposals in every state in each committee; committees that already have open proposals are left alone."""
    from ..models import Meeting, MeetingStatus, Proposal, ProposalStatus

    for committee in db.session.scalars(select(Committee).order_by(Committee.position)):
        open_states = [s for s in ProposalStatus if s not in (ProposalStatus.ADOPTED, ProposalStatus.REJECTED,
                                                               ProposalStatus.CONTINUED)]
        if db.session.scalar(select(Proposal.id).where(Proposal.committee_id == committee.id,
                                                       Proposal.status.in_(open_states)).limit(1)):
            continue
        seats = _demo_seats(committee)
        upcoming = db.session.scalar(
            select(Meeting).where(Meeting.committee_id == committee.id, Meeting.status == MeetingStatus.CONVENED)
            .order_by(Meeting.starts_at).limit(1)
        )
        for index, (status, policy, title, summary) in enumerate(DEMO_PROPOSALS.get(committee.slug, ())):
            _demo_proposal(committee, seats[index % len(seats)], status, policy, title, summary,
                           secretariat=users["secretariat"], meeting=upcoming)
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
    """Published minutes for every held meeting, except the 企画運営部会's latest, which is in review,
    and the 県職員研修部会's latest, whose minutes the secretariat has not drafted yet.

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
    not_drafted = max((m for m in held if m.committee.slug == "prefectural-training"), key=lambda m: m.starts_at, default=None)
    for meeting in held:
        if meeting is not_drafted or db.session.scalar(select(Minutes.id).where(Minutes.meeting_id == meeting.id)):
            continue
        minutes = minutes_rules.create(meeting, actor=actor)
        minutes_rules.save_text(minutes, actor=actor, texts=_demo_minutes_texts(minutes_rules.latest_version(minutes).facts))
        seats = meeting_rules.voting_seats(meeting)
        if meeting is planning_latest:
            due = (utcnow() + timedelta(days=7)).astimezone(TOKYO)
            minutes_rules.open_review(minutes, actor=actor, deadline=due.replace(hour=17, minute=0, second=0, microsecond=0),
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
