"""Test data builders (Indico style: defaults filled with setdefault, one line per object)."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from flask import has_app_context
from sqlalchemy import func, select

from liaison.dates import TOKYO, current_fiscal_year, utcnow
from liaison.domain import meetings as meeting_rules
from liaison.domain import memberships as membership_rules
from liaison.domain import users as user_rules
from liaison.extensions import db
from liaison.models import AgendaKind, Body, Committee, MeetingFormat, Role, User

from .conftest import PASSWORD

_numbers = itertools.count(1)


class Factory:
    """Each builder commits; outside an app context it returns a detached, loaded object."""

    def __init__(self, app):
        self.app = app

    def _run(self, build):
        if has_app_context():
            obj = build()
            db.session.commit()
            return obj
        with self.app.app_context():
            obj = build()
            db.session.commit()
            db.session.refresh(obj)
            db.session.expunge(obj)
            return obj

    @staticmethod
    def body(name: str) -> Body:
        return db.session.scalar(select(Body).where(Body.name == name))

    @staticmethod
    def committee(slug: str) -> Committee:
        return db.session.scalar(select(Committee).where(Committee.slug == slug))

    def user(self, **kwargs):
        def build():
            n = next(_numbers)
            kwargs.setdefault("email", f"user{n}@example.jp")
            kwargs.setdefault("name", f"テスト 利用者{n}")
            kwargs.setdefault("password", PASSWORD)
            body = kwargs.pop("body", None)
            if isinstance(body, str):
                body = self.body(body)
            return user_rules.create_user(actor=None, body=body, **kwargs)

        return self._run(build)

    def admin(self, **kwargs):
        kwargs.setdefault("email", f"admin{next(_numbers)}@example.jp")
        return self.user(is_admin=True, **kwargs)

    def secretariat(self, **kwargs):
        kwargs.setdefault("email", f"secretariat{next(_numbers)}@example.jp")
        return self.user(is_secretariat=True, **kwargs)

    def member(self, committee: str = "planning", body: str = "川越市", role: str = "member",
               fiscal_year: int | None = None, department: str = "", **kwargs):
        """A user holding a seat; returns the user."""

        def build():
            user = self.user(body=body, department=department, **kwargs)
            membership_rules.appoint(
                actor=None, committee=self.committee(committee), fiscal_year=fiscal_year or current_fiscal_year(),
                user=user, body=self.body(body), role=Role(role), department=department,
            )
            return user

        return self._run(build)

    def _staff_actor(self) -> User:
        """One secretariat account per test that builds meetings."""
        actor = db.session.scalar(select(User).where(User.email == "factory-secretariat@example.jp"))
        if actor is None:
            actor = user_rules.create_user(
                actor=None, email="factory-secretariat@example.jp", name="事務局 テスト", password=PASSWORD,
                is_secretariat=True,
            )
        return actor

    def meeting(self, committee: str = "planning", *, status: str = "draft", starts_at: datetime | None = None,
                hours: int = 2, agenda: int = 0, format: MeetingFormat = MeetingFormat.IN_PERSON,
                place: str = "浦和合同庁舎 会議室", **kwargs):
        """A meeting of `committee` in `status` (draft, convened, postponed, cancelled, held).

        Default start: 14:00 Tokyo two weeks ahead (two weeks ago for a held meeting); `agenda`
        items are added before convening. Goes through the domain functions, so numbering,
        sequence and audit rows are real.
        """

        def build():
            actor = self._staff_actor()
            start = starts_at
            if start is None:
                day = (utcnow() + timedelta(days=-14 if status == "held" else 14)).astimezone(TOKYO)
                start = datetime(day.year, day.month, day.day, 14, 0, tzinfo=TOKYO)
            then = min(utcnow(), start - timedelta(days=30))
            meeting = meeting_rules.create_meeting(
                self.committee(committee), actor=actor, starts_at=start, ends_at=start + timedelta(hours=hours),
                format=format, place=place if format is not MeetingFormat.ONLINE else "",
                online_url=kwargs.pop("online_url", "https://meet.example.jp/abc" if format in (MeetingFormat.ONLINE, MeetingFormat.HYBRID) else ""),
                now=then, **kwargs,
            )
            kinds = list(AgendaKind)
            for n in range(agenda):
                meeting_rules.add_agenda_item(meeting, actor=actor, kind=kinds[n % 3], title=f"議事{n + 1}")
            if status != "draft":
                meeting_rules.convene(meeting, actor=actor, now=then)
            if status == "postponed":
                meeting_rules.postpone(meeting, actor=actor, starts_at=start + timedelta(days=7),
                                       ends_at=start + timedelta(days=7, hours=hours), reason="会場の都合", now=then)
            elif status == "cancelled":
                meeting_rules.cancel(meeting, actor=actor, reason="台風接近のため")
            elif status == "held":
                meeting_rules.mark_held(meeting, actor=actor, now=start + timedelta(hours=hours))
            return meeting

        return self._run(build)

    def minutes(self, meeting, *, status: str = "draft", chair=None, texts: dict | None = None):
        """Minutes of a held meeting taken to `status` (draft, in_review, approved, published) through the
        domain functions; approval needs the committee's chair (found, or given as `chair`)."""
        from liaison.domain import minutes as minutes_rules
        from liaison.models import Meeting, Membership, Minutes

        def build():
            actor = self._staff_actor()
            held = db.session.get(Meeting, meeting.id)
            minutes = minutes_rules.create(held, actor=actor)
            if texts:
                minutes_rules.save_text(minutes, actor=actor, texts=texts)
            if status == "draft":
                return minutes
            minutes_rules.open_review(minutes, actor=actor, deadline=utcnow() + timedelta(days=7))
            if status == "in_review":
                return minutes
            approver = db.session.get(User, chair.id) if chair is not None else db.session.scalar(
                select(User).join(Membership, Membership.user_id == User.id).where(
                    Membership.committee_id == held.committee_id, Membership.fiscal_year == held.fiscal_year,
                    Membership.role == Role.CHAIR,
                )
            )
            assert approver is not None, "approving minutes needs the committee's chair: create one with factory.member(role='chair')"
            # the review has run its course: approved once its deadline has passed
            minutes_rules.approve(minutes, actor=approver, now=minutes.review_deadline)
            if status == "published":
                minutes_rules.publish(minutes, actor=actor)
            return db.session.get(Minutes, minutes.id)

        return self._run(build)

    # ------------------------------------------------------------------------------------ votes

    def seated(self, committee: str = "council", n: int = 5, *, fiscal_year: int | None = None) -> list:
        """n members seated for the first n bodies (bodies.csv order): chair, vice chair, then members."""

        def build():
            fy = fiscal_year or current_fiscal_year()
            bodies = list(db.session.scalars(select(Body).order_by(Body.position).limit(n)))
            users = []
            for index, body in enumerate(bodies):
                role = Role.CHAIR if index == 0 else Role.VICE_CHAIR if index == 1 else Role.MEMBER
                number = next(_numbers)
                user = user_rules.create_user(actor=None, email=f"seat{number}@example.jp", name=f"委員 {number}",
                                              password=PASSWORD, body=body)
                membership_rules.appoint(actor=None, committee=self.committee(committee), fiscal_year=fy, user=user,
                                         body=body, role=role)
                users.append(user)
            return users

        if has_app_context():
            users = build()
            db.session.commit()
            return users
        with self.app.app_context():
            users = build()
            db.session.commit()
            for user in users:
                db.session.refresh(user)
                db.session.expunge(user)
            return users

    def sitting(self, meeting, *, absent=()):
        """Put the meeting in session (開会) with every voting seat checked in, except the `absent` users and
        seats whose attendance is already recorded (set directly: a factory meeting may have started already)."""
        from liaison.models import Attendance, AttendanceResponse, MeetingStatus

        def build():
            row = db.session.merge(meeting)
            row.status = MeetingStatus.IN_SESSION
            row.session_opened_at = utcnow()
            recorded = set(db.session.scalars(select(Attendance.membership_id).where(Attendance.meeting_id == row.id)))
            absent_ids = {getattr(u, "id", u) for u in absent}
            for seat in membership_rules.seats(row.committee, row.fiscal_year, include_observers=False):
                if seat.id not in recorded:
                    db.session.add(Attendance(meeting_id=row.id, membership_id=seat.id, response=AttendanceResponse.UNDECIDED,
                                              proxy_name="", proxy_title="", present=seat.user_id not in absent_ids))
            db.session.flush()
            return row

        return self._run(build)

    def agenda_item(self, committee: str = "council", *, kind: str = "resolution", status: str = "held",
                    meeting_format: str = "in_person", title: str = "議案第1号 研修計画の変更について"):
        """An agenda item on a meeting of the current fiscal year (built directly, not through the meetings area)."""

        def build():
            from liaison.models import AgendaItem, AgendaKind, Meeting, MeetingFormat, MeetingStatus

            committee_row = self.committee(committee)
            fy = current_fiscal_year()
            number = 1 + (db.session.scalar(
                select(func.max(Meeting.number)).where(Meeting.committee_id == committee_row.id, Meeting.fiscal_year == fy)
            ) or 0)
            start = utcnow() - timedelta(hours=1)
            meeting = Meeting(committee=committee_row, fiscal_year=fy, number=number, title="", starts_at=start,
                              ends_at=start + timedelta(hours=2), format=MeetingFormat(meeting_format), place="",
                              online_url="", notes="", status=MeetingStatus(status), sequence=0, cancel_reason="")
            item = AgendaItem(meeting=meeting, position=1, kind=AgendaKind(kind), title=title, notes="")
            db.session.add(item)
            db.session.flush()
            return item

        return self._run(build)

    def proposal(self, author, committee: str = "planning", *, status: str = "draft", title: str = "デジタル人材の育成に関する共同研修",
                 summary: str = "DX推進のための共同研修を提案します。", body: str = "## 背景\n\n各団体で人材が不足しています。",
                 policy: str = "HRD-3", reason: str = "資料を添付してください。"):
        """A proposal by `author` (a seat holder) brought to `status` through the domain functions:
        draft, submitted, returned, accepted, withdrawn, on_agenda (of a new convened meeting),
        adopted, rejected or continued."""
        from liaison.domain import proposals as proposal_rules
        from liaison.models import PlanPolicy

        def build():
            writer = db.session.get(User, author.id)
            reviewer = self._staff_actor()
            proposal = proposal_rules.create_draft(
                self.committee(committee), actor=writer, title=title, summary=summary, body=body,
                plan_policy=db.session.scalar(select(PlanPolicy).where(PlanPolicy.code == policy)),
            )
            if status == "withdrawn":
                proposal_rules.withdraw(proposal, actor=writer)
            later = ("accepted", "on_agenda", "adopted", "rejected", "continued")
            if status in ("submitted", "returned", *later):
                proposal_rules.submit(proposal, actor=writer)
            if status == "returned":
                proposal_rules.return_to_submitter(proposal, actor=reviewer, reason=reason)
            if status in later:
                proposal_rules.accept(proposal, actor=reviewer)
            if status in later[1:]:
                meeting = self.meeting(committee, status="convened")
                proposal_rules.schedule(proposal, meeting, actor=reviewer)
            if status in later[2:]:
                proposal_rules.decide(proposal, status, actor=reviewer)
            return proposal

        return self._run(build)
