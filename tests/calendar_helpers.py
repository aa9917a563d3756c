"""Meetings built straight through the models for the calendar tests (the meetings area has its own rules)."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import has_app_context
from sqlalchemy import func, select

from liaison.calendar import cache
from liaison.dates import TOKYO, fiscal_year_of, utcnow
from liaison.extensions import db
from liaison.models import AgendaItem, AgendaKind, Committee, Meeting, MeetingFormat, MeetingStatus


def tokyo_day_at(days: int, hour: int = 14, minute: int = 0) -> datetime:
    """An aware datetime `days` from today at hour:minute in Tokyo."""
    day = (utcnow().astimezone(TOKYO) + timedelta(days=days)).date()
    return datetime.combine(day, time(hour, minute), tzinfo=TOKYO)


def reset_calendar_state(app) -> None:
    """Forget cached feeds, recent checks and wrong-token counts (they live in the session-wide app)."""
    from liaison.security import reset_throttles

    with app.app_context():
        cache.state().clear()
        reset_throttles()


class MeetingBuilder:
    """make(committee="planning", status=..., days=10, agenda=["議題"]) → a committed, detached Meeting."""

    def __init__(self, app):
        self.app = app

    def many(self, count: int, committee: str = "planning", *, first_day: int = 1, **fields) -> None:
        """`count` meetings on consecutive days from `first_day`, each with two agenda items and a deadline."""
        with self.app.app_context():
            for days in range(first_day, first_day + count):
                self._build(committee, days=days, agenda=["報告", "協議"], answer_deadline=tokyo_day_at(days - 1, 17), **fields)
            db.session.commit()

    def make(self, committee: str = "planning", **fields) -> Meeting:
        return self._run(lambda: self._build(committee, **fields))

    @staticmethod
    def _build(committee: str = "planning", *, status: MeetingStatus = MeetingStatus.CONVENED,
               days: int = 10, hour: int = 14, hours: int = 2, starts_at: datetime | None = None,
               agenda: list[str] | tuple = (), **fields) -> Meeting:
        the_committee = db.session.scalar(select(Committee).where(Committee.slug == committee))
        start = starts_at or tokyo_day_at(days, hour)
        fiscal_year = fields.pop("fiscal_year", fiscal_year_of(start))
        highest = db.session.scalar(
            select(func.max(Meeting.number)).where(
                Meeting.committee_id == the_committee.id, Meeting.fiscal_year == fiscal_year
            )
        )
        fields.setdefault("format", MeetingFormat.IN_PERSON)
        fields.setdefault("place", "" if fields["format"] in (MeetingFormat.ONLINE, MeetingFormat.WRITTEN) else "彩の国すこやかプラザ 会議室")
        fields.setdefault("updated_at", utcnow())
        meeting = Meeting(
            committee=the_committee, fiscal_year=fiscal_year, number=fields.pop("number", (highest or 0) + 1),
            starts_at=start, ends_at=fields.pop("ends_at", start + timedelta(hours=hours)), status=status,
            sequence=fields.pop("sequence", 0 if status is MeetingStatus.DRAFT else 1), **fields,
        )
        for position, title in enumerate(agenda, start=1):
            meeting.agenda_items.append(AgendaItem(position=position, kind=AgendaKind.DISCUSSION, title=title))
        db.session.add(meeting)
        db.session.flush()
        return meeting

    def change(self, meeting_id: int, **changes) -> Meeting:
        """Change a meeting as the meetings area would: new values, sequence + 1, updated_at now."""

        def build():
            meeting = db.session.get(Meeting, meeting_id)
            for name, value in changes.items():
                setattr(meeting, name, value)
            meeting.sequence += 1
            meeting.updated_at = utcnow()
            return meeting

        return self._run(build)

    def _run(self, build) -> Meeting:
        if has_app_context():
            meeting = build()
            db.session.commit()
            return meeting
        with self.app.app_context():
            meeting = build()
            db.session.commit()
            meeting = db.session.scalar(select(Meeting).where(Meeting.id == meeting.id))
            for item in meeting.agenda_items:  # load what the tests read before detaching
                item.presenter_body
            meeting.committee.name
            db.session.expunge_all()
            return meeting
