"""Convocations due now, as the producer writes them: the outbox the sender benchmarks start from
(bench/scheduler_throughput.py and bench/faults.py)."""
from __future__ import annotations

import math
from datetime import datetime, timedelta


def add_due_convocations(count: int, user_ids: list[int], committees: list, now: datetime, *, first_number=lambda n: n + 1,
                         place: str = "会議室", online_url: str = "", items: list[tuple] | None = None) -> int:
    """Convened meetings two weeks ahead (one per len(user_ids) rows) and `count` convocation rows due a second
    ago, one per user and meeting, added to the outbox (not committed). `first_number(n)` numbers the n-th
    meeting; `items` are its agenda items as (kind, title). Returns how many meetings were made."""
    from liaison.dates import current_fiscal_year
    from liaison.extensions import db
    from liaison.models import AgendaItem, AgendaKind, Meeting, MeetingFormat, MeetingStatus, NotificationKind
    from liaison.notify import content, outbox, producers

    items = items or [(AgendaKind.REPORT, "議題1")]
    kind = NotificationKind.CONVOCATION
    rows: list[dict] = []
    meetings = math.ceil(count / len(user_ids))
    for n in range(meetings):
        starts_at = (now + timedelta(days=14 + n)).replace(hour=5, minute=0, second=0, microsecond=0)
        meeting = Meeting(
            committee=committees[n % len(committees)], fiscal_year=current_fiscal_year(), number=first_number(n),
            title="研修計画と予算について", starts_at=starts_at, ends_at=starts_at + timedelta(hours=2),
            format=MeetingFormat.HYBRID, place=place, online_url=online_url,
            answer_deadline=starts_at - timedelta(days=3), status=MeetingStatus.CONVENED, convened_at=now,
            sequence=1, updated_at=now,
        )
        for position, (item_kind, title) in enumerate(items, start=1):
            meeting.agenda_items.append(AgendaItem(position=position, kind=item_kind, title=title))
        db.session.add(meeting)
        db.session.flush()
        subject, body = content.meeting_notice(kind, meeting)
        rows += [
            producers._row(kind, meeting, user_id, producers._key(kind, meeting, user_id, 0), subject, body,
                           now - timedelta(seconds=1), meeting.ends_at)
            for user_id in user_ids[:count - len(rows)]
        ]
    for start in range(0, len(rows), 1000):
        outbox.add(rows[start:start + 1000])
    return meetings
