from sqlalchemy import func, select

from liaison.dates import current_fiscal_year
from liaison.extensions import db
from liaison.models import AuditEvent, Body, BodyKind, Committee, Membership, PlanPolicy, Role, User
from liaison.seed import seed_reference_data
from liaison.seed.demo import seed_demo


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_reference_data_counts(ctx):
    assert _count(Body) == 64
    kinds = dict(db.session.execute(select(Body.kind, func.count()).group_by(Body.kind)).all())
    assert kinds == {BodyKind.PREFECTURE: 1, BodyKind.CITY: 40, BodyKind.TOWN: 22, BodyKind.VILLAGE: 1}
    assert db.session.scalar(select(Body.name).order_by(Body.position).limit(1)) == "埼玉県"
    assert _count(Committee) == 4
    assert {c.slug for c in db.session.scalars(select(Committee))} == {
        "council", "planning", "municipal-training", "prefectural-training",
    }
    planning = db.session.scalar(select(Committee).where(Committee.slug == "planning"))
    assert planning.parent.slug == "council"
    assert _count(PlanPolicy) == 13


def test_seed_is_idempotent(ctx):
    assert seed_reference_data() == 0
    assert _count(Body) == 64 and _count(Committee) == 4 and _count(PlanPolicy) == 13


def test_seed_restores_a_changed_row(ctx):
    body = db.session.scalar(select(Body).where(Body.name == "川越市"))
    body.district = "間違い"
    db.session.flush()
    assert seed_reference_data() == 1
    assert body.district == ""


def test_demo_seed_builds_the_documented_logins_and_is_idempotent(ctx):
    seed_demo()
    db.session.commit()
    users, memberships = _count(User), _count(Membership)
    audit_rows = _count(AuditEvent)
    seed_demo()
    db.session.commit()
    assert (_count(User), _count(Membership), _count(AuditEvent)) == (users, memberships, audit_rows)

    fy = current_fiscal_year()
    admin = db.session.scalar(select(User).where(User.email == "admin@example.jp"))
    assert admin.is_admin and admin.check_password("liaison-demo")
    # One hash of the demo password serves every demo login (the seed hashes it once).
    assert db.session.scalar(select(func.count(func.distinct(User.password_hash)))) == 1
    assert db.session.scalar(select(User).where(User.email == "member37@example.jp")).check_password("liaison-demo")
    assert db.session.scalar(select(User).where(User.email == "secretariat@example.jp")).is_secretariat
    member01 = db.session.scalar(select(User).where(User.email == "member01@example.jp"))
    member64 = db.session.scalar(select(User).where(User.email == "member64@example.jp"))
    assert member01.body.name == "埼玉県"
    assert member64.body.name == db.session.scalar(select(Body.name).order_by(Body.position.desc()).limit(1))
    council = db.session.scalar(select(Committee).where(Committee.slug == "council"))
    council_seats = _count(Membership, Membership.committee_id == council.id, Membership.fiscal_year == fy)
    assert council_seats == 64
    chair = db.session.scalar(
        select(Membership).where(Membership.committee_id == council.id, Membership.fiscal_year == fy,
                                 Membership.role == Role.CHAIR)
    )
    assert chair.user.email == "member01@example.jp"
    prefectural = db.session.scalar(select(Committee).where(Committee.slug == "prefectural-training"))
    departments = db.session.scalars(
        select(Membership.department).where(
            Membership.committee_id == prefectural.id, Membership.fiscal_year == fy, Membership.role != Role.OBSERVER
        )
    ).all()
    assert len(departments) == 8 and "総務部" in departments
    planning = db.session.scalar(select(Committee).where(Committee.slug == "planning"))
    assert 3 <= _count(Membership, Membership.committee_id == planning.id, Membership.fiscal_year == fy) <= 12
    # last year's council exists too, with a few seats held by predecessors (人事異動)
    assert _count(Membership, Membership.committee_id == council.id, Membership.fiscal_year == fy - 1) == 64
    _check_todays_meeting(planning)


def _check_todays_meeting(planning):
    """Today's 企画運営部会 (issue 18): convened, five items with planned minutes and a PDF 資料 each (資料1 …
    資料5, frozen at 招集), 出欠 from most seats, a 議決事項; a rerun the same day added none, another day adds one."""
    from datetime import timedelta

    from liaison.dates import to_tokyo, utcnow
    from liaison.domain import materials
    from liaison.domain import meetings as rules
    from liaison.models import AgendaKind, Meeting, MeetingStatus
    from liaison.seed.demo import seed_demo_today
    from liaison.seed.demo_meetings import demo_meeting_today

    today = to_tokyo(utcnow()).date()
    meetings = [m for m in db.session.scalars(select(Meeting).where(Meeting.committee_id == planning.id))
                if to_tokyo(m.starts_at).date() == today]
    assert len(meetings) == 1
    meeting = meetings[0]
    assert meeting.status is MeetingStatus.CONVENED and meeting.title
    agenda = rules.agenda_of(meeting)
    assert 4 <= len(agenda) <= 5 and all(item.minutes_allotted for item in agenda)
    assert any(item.kind is AgendaKind.RESOLUTION for item in agenda)
    documents = rules.meeting_attachments(meeting)
    assert [materials.label_of(d.material_number) for d in documents] == [f"資料{n}" for n in range(1, len(agenda) + 1)]
    assert all(d.content_type == "application/pdf" and rules.files.content_of(d).startswith(b"%PDF") for d in documents)
    sheet = rules.attendance_sheet(meeting)
    assert sum(1 for line in sheet.lines if line.answered) >= 0.8 * len(sheet.lines)
    seed_demo_today({"secretariat": meeting.created_by})  # the same day: nothing
    assert demo_meeting_today(planning, meeting.created_by, now=utcnow() + timedelta(days=1)) is not None


def test_demo_meetings_are_held_in_the_current_fiscal_year_whatever_the_date():
    from datetime import datetime, timedelta, timezone

    from liaison.dates import fiscal_year_of
    from liaison.seed.demo import held_meeting_starts

    for when in ("2026-11-24", "2027-04-02", "2027-04-20", "2027-06-15", "2027-09-01", "2028-03-31"):
        now = datetime.fromisoformat(when).replace(hour=12, tzinfo=timezone.utc)
        for offset, council in ((0, True), (1, False), (2, False), (3, False)):
            starts = held_meeting_starts(now, offset, council=council)
            assert starts, (when, offset)
            assert len(starts) == (1 if council else 2) or when == "2027-04-02", (when, offset, starts)
            assert all(fiscal_year_of(s) == fiscal_year_of(now) for s in starts)
            assert all(s + timedelta(hours=2) < now for s in starts) and starts == sorted(set(starts))
