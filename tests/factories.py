"""Test data builders (Indico style: defaults filled with setdefault, one line per object)."""
from __future__ import annotations

import itertools
from datetime import timedelta

from flask import has_app_context
from sqlalchemy import func, select

from liaison.dates import current_fiscal_year, utcnow
from liaison.domain import memberships as membership_rules
from liaison.domain import users as user_rules
from liaison.extensions import db
from liaison.models import Body, Committee, Role

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
