"""Test data builders (Indico style: defaults filled with setdefault, one line per object)."""
from __future__ import annotations

import itertools

from flask import has_app_context
from sqlalchemy import select

from liaison.dates import current_fiscal_year
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

    def proposal(self, author, committee: str = "planning", *, status: str = "draft", title: str = "デジタル人材の育成に関する共同研修",
                 summary: str = "DX推進のための共同研修を提案します。", body: str = "## 背景\n\n各団体で人材が不足しています。",
                 policy: str = "HRD-3", reason: str = "資料を添付してください。"):
        """A proposal by `author` (a seat holder) brought to `status` through the domain functions:
        draft, submitted, returned, accepted or withdrawn."""
        from liaison.domain import proposals as proposal_rules
        from liaison.models import PlanPolicy, User

        def build():
            writer = db.session.get(User, author.id)
            reviewer = db.session.scalar(select(User).where(User.email == "factory-secretariat@example.jp"))
            if reviewer is None:
                reviewer = user_rules.create_user(
                    actor=None, email="factory-secretariat@example.jp", name="事務局 テスト", password=PASSWORD,
                    is_secretariat=True,
                )
            proposal = proposal_rules.create_draft(
                self.committee(committee), actor=writer, title=title, summary=summary, body=body,
                plan_policy=db.session.scalar(select(PlanPolicy).where(PlanPolicy.code == policy)),
            )
            if status == "withdrawn":
                proposal_rules.withdraw(proposal, actor=writer)
            if status in ("submitted", "returned", "accepted"):
                proposal_rules.submit(proposal, actor=writer)
            if status == "returned":
                proposal_rules.return_to_submitter(proposal, actor=reviewer, reason=reason)
            if status == "accepted":
                proposal_rules.accept(proposal, actor=reviewer)
            return proposal

        return self._run(build)
