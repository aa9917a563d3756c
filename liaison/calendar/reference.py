"""The same events and calendars as icalendar objects: the reference the writer is tested against
(tests/domain/test_ical_writer.py) and what a reader of the feeds compares with."""
from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar, Component, Event, Timezone, vDuration, vUri

from ..models import Meeting
from .ical import TOKYO_VTIMEZONE, Deadline, calendar_properties, deadline_properties, meeting_properties
from .texts import NO_WRITTEN_VOTES, WrittenVotes
from .writer import Raw, Uri


def icalendar_component(component: Component, properties) -> Component:
    """The same properties added to an icalendar component (the tests compare both)."""
    for name, value, parameters in properties:
        if isinstance(value, Uri):
            value = vUri(str(value))
        elif isinstance(value, Raw):
            value = str(value)
        elif isinstance(value, timedelta):
            value = vDuration(value)
        elif isinstance(value, tuple):
            value = list(value)
        component.add(name.lower(), value, parameters=dict(parameters) if parameters else None)
    return component


def meeting_event(meeting: Meeting, base_url: str, votes: WrittenVotes = NO_WRITTEN_VOTES) -> Event:
    """meeting_properties as an icalendar Event."""
    return icalendar_component(Event(), meeting_properties(meeting, base_url, votes))


def deadline_event(deadline: Deadline, meeting: Meeting, base_url: str) -> Event:
    """deadline_properties as an icalendar Event."""
    return icalendar_component(Event(), deadline_properties(deadline, meeting, base_url))


def tokyo_timezone() -> Timezone:
    return Timezone.from_ical(TOKYO_VTIMEZONE)


def new_calendar(name: str) -> Calendar:
    """An empty icalendar VCALENDAR with the headers and the Tokyo VTIMEZONE (the reference of `calendar_bytes`)."""
    calendar = icalendar_component(Calendar(), calendar_properties(name))
    calendar.add_component(tokyo_timezone())
    return calendar


def build_calendar(name: str, meetings, base_url: str, deadlines=(), written_votes: dict | None = None) -> Calendar:
    """An icalendar Calendar of meetings (in the order given) followed by deadlines (of those meetings).

    `written_votes` maps a written session's id to its WrittenVotes.
    """
    calendar = new_calendar(name)
    by_id = {meeting.id: meeting for meeting in meetings}
    written_votes = written_votes or {}
    for meeting in meetings:
        calendar.add_component(meeting_event(meeting, base_url, written_votes.get(meeting.id, NO_WRITTEN_VOTES)))
    for deadline in deadlines:
        calendar.add_component(deadline_event(deadline, by_id[deadline.meeting_id], base_url))
    return calendar
