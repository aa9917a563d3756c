"""A believable demo union: fixed logins, seats in every committee (through the domain functions)."""
from __future__ import annotations

from sqlalchemy import func, select

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
    seed_demo_votes(users)
    return users


# ------------------------------------------------------------------------------------------- votes

DEMO_ITEMS = (
    ("report", "令和7年度研修実施結果について"),
    ("resolution", "議案第1号 令和9年度共同研修計画(案)について"),
    ("discussion", "協議 オンライン研修の受講環境について"),
)


def _demo_held_meeting(committee: Committee, fiscal_year: int):
    """A held meeting of the year to decide; created minimally when the meetings demo has none."""
    from datetime import datetime, timedelta

    from ..dates import TOKYO, fiscal_year_bounds, utcnow
    from ..models import AgendaItem, AgendaKind, Meeting, MeetingFormat, MeetingStatus

    held = list(db.session.scalars(
        select(Meeting).where(Meeting.committee_id == committee.id, Meeting.fiscal_year == fiscal_year,
                              Meeting.status == MeetingStatus.HELD).order_by(Meeting.number)
    ))
    if held:
        return held
    day = max(fiscal_year_bounds(fiscal_year)[0], utcnow() - timedelta(days=30)).astimezone(TOKYO)
    starts_at = datetime(day.year, day.month, day.day, 14, 0, tzinfo=TOKYO)
    number = 1 + (db.session.scalar(select(func.max(Meeting.number)).where(
        Meeting.committee_id == committee.id, Meeting.fiscal_year == fiscal_year)) or 0)
    meeting = Meeting(
        committee=committee, fiscal_year=fiscal_year, number=number, title="", starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2), format=MeetingFormat.IN_PERSON, place="浦和合同庁舎 第1会議室",
        online_url="", notes="", status=MeetingStatus.HELD, sequence=0, cancel_reason="",
    )
    for position, (kind, title) in enumerate(DEMO_ITEMS, start=1):
        meeting.agenda_items.append(AgendaItem(position=position, kind=AgendaKind(kind), title=title, notes=""))
    db.session.add(meeting)
    db.session.flush()
    return [meeting]


def _demo_written_meeting(council: Committee, fiscal_year: int):
    """A convened written session (書面開催) of the council with one resolution item."""
    from datetime import timedelta

    from ..dates import utcnow
    from ..models import AgendaItem, AgendaKind, Meeting, MeetingFormat, MeetingStatus

    meeting = db.session.scalar(
        select(Meeting).where(Meeting.committee_id == council.id, Meeting.fiscal_year == fiscal_year,
                              Meeting.format == MeetingFormat.WRITTEN, Meeting.status == MeetingStatus.CONVENED)
    )
    if meeting is None:
        starts_at = utcnow().replace(second=0, microsecond=0)
        number = 1 + (db.session.scalar(select(func.max(Meeting.number)).where(
            Meeting.committee_id == council.id, Meeting.fiscal_year == fiscal_year)) or 0)
        meeting = Meeting(
            committee=council, fiscal_year=fiscal_year, number=number, title="書面開催", starts_at=starts_at,
            ends_at=starts_at + timedelta(days=10), format=MeetingFormat.WRITTEN, place="", online_url="", notes="",
            status=MeetingStatus.CONVENED, sequence=0, cancel_reason="", convened_at=starts_at,
        )
        meeting.agenda_items.append(AgendaItem(
            position=1, kind=AgendaKind.RESOLUTION, title="議案第2号 広域連合職員研修規程の一部改正について", notes="",
        ))
        db.session.add(meeting)
        db.session.flush()
    return meeting


def seed_demo_votes(users: dict) -> None:
    """Decided votes on the held meetings' items and an open written vote in the council, half answered.

    Idempotent: decided items and an existing open written vote are left alone. Goes through the
    votes domain, so ballots, results and audit rows are real.
    """
    from datetime import datetime, timedelta

    from ..dates import TOKYO, utcnow
    from ..domain import votes as vote_rules
    from ..models import AgendaKind, Choice, Majority, Vote, VoteMethod, VoteState

    staff = users["secretariat"]
    fiscal_year = current_fiscal_year()
    pattern = (Choice.YES,) * 7 + (Choice.NO, Choice.YES, Choice.ABSTAIN)
    for committee in db.session.scalars(select(Committee).order_by(Committee.position)):
        if not membership_rules.seats(committee, fiscal_year, include_observers=False):
            continue
        for meeting in _demo_held_meeting(committee, fiscal_year):
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
                    vote = vote_rules.open_vote(item, actor=staff, method=VoteMethod.IN_MEETING,
                                                majority=Majority.SIMPLE, now=meeting.starts_at)
                    lines = vote_rules.seat_lines(vote)
                    # one seat in ten absent; the others raise their hands
                    choices = {line.membership.id: pattern[n % len(pattern)]
                               for n, line in enumerate(lines) if n % 10 != 9}
                    vote_rules.record_ballots(vote, choices, actor=staff, now=meeting.starts_at)
                    vote_rules.close_vote(vote, actor=staff, now=meeting.ends_at)

    council = db.session.scalar(select(Committee).where(Committee.slug == "council"))
    open_written = db.session.scalar(select(Vote.id).where(
        Vote.committee_id == council.id, Vote.method == VoteMethod.WRITTEN, Vote.state == VoteState.OPEN))
    if open_written is None:
        item = _demo_written_meeting(council, fiscal_year).agenda_items[0]
        if item.outcome is None:
            day = (utcnow() + timedelta(days=10)).astimezone(TOKYO)
            vote = vote_rules.open_vote(item, actor=staff, method=VoteMethod.WRITTEN, majority=Majority.SIMPLE,
                                        closes_at=datetime(day.year, day.month, day.day, 17, 0, tzinfo=TOKYO))
            # about two thirds of the bodies have answered; member01 (埼玉県, the chair) and a few others not yet
            for n, line in enumerate(vote_rules.seat_lines(vote)):
                if n % 3 != 0:
                    vote_rules.cast_ballot(vote, line.membership, pattern[n % len(pattern)], actor=line.membership.user)
    db.session.flush()
