"""The live version of a meeting day (会議進行): one counter per meeting, raised in the transaction of a change.

A domain action that changes what the live pages show (check-in, 開会/閉会, the current item, a hand, a
vote opened, a ballot cast, a vote closed) calls `touch(meeting_id)`. Just before that transaction commits,
`meetings.live_version` is raised once per touched meeting (UPDATE … RETURNING), and on PostgreSQL a
`NOTIFY liaison_live, '<meeting id>:<version>'` is queued by the same statement (`RETURNING pg_notify(…)`): it is delivered to the
listeners only if the change commits, and never before the new version is visible. The version in the
database is the truth; the notification only wakes the waiting pages sooner (liaison.fanout).

Raising the version at commit time (not when the action runs) keeps the meeting's row locked for the
shortest time: 64 ballots cast at once queue on it only for their commit.
"""
from __future__ import annotations

import base64
import hashlib
import hmac

from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from .. import hot_commit
from ..models import Meeting

CHANNEL = "liaison_live"
_PENDING = "liaison_live_touched"
# PostgreSQL: RETURNING sees the raised version, so the notification names it (delivered only at COMMIT)
_RAISE_AND_NOTIFY = (f"UPDATE meetings SET live_version = live_version + 1 WHERE id = %(id)s "
                     f"RETURNING live_version, pg_notify('{CHANNEL}', concat(id, ':', live_version))")


def touch(meeting_id: int | None, session: Session | None = None) -> None:
    """Raise the meeting's live version when the current transaction commits (once, however many touches)."""
    if meeting_id is None:
        return
    if session is None:
        from ..extensions import db

        session = db.session
    session.info.setdefault(_PENDING, set()).add(int(meeting_id))


@event.listens_for(Session, "before_commit")
def _raise_versions(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the outer transaction commits later
    touched = session.info.pop(_PENDING, None)
    if not touched:
        return
    session.flush()
    if hot_commit.batched(session):  # sent with the commit's other hot statements (liaison.hot_commit)
        for meeting_id in sorted(touched):
            hot_commit.queue(session, hot_commit.MEETINGS, _RAISE_AND_NOTIFY, {"id": meeting_id}, writes="meetings")
        return
    postgres = session.get_bind().dialect.name == "postgresql"
    for meeting_id in sorted(touched):  # one order everywhere: no deadlock between two multi-meeting commits
        returning = [Meeting.live_version]
        if postgres:  # the notification in the same statement: RETURNING sees the raised version
            returning.append(func.pg_notify(CHANNEL, func.concat(Meeting.id, ":", Meeting.live_version)))
        session.execute(
            update(Meeting).where(Meeting.id == meeting_id).values(live_version=Meeting.live_version + 1)
            .returning(*returning).execution_options(synchronize_session=False)
        ).first()


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)


def current_version(meeting_id: int) -> int | None:
    from ..extensions import db

    return db.session.scalar(select(Meeting.live_version).where(Meeting.id == meeting_id))


# ------------------------------------------------------------------------------------------ screen link

def screen_token(meeting: Meeting, secret_key: str) -> str:
    """The projector's link key: derived from the app's secret, the meeting and its screen generation.

    Nothing secret is stored; revoking raises the generation, so every host refuses the old key at once.
    """
    message = f"liaison-screen:{meeting.id}:{meeting.screen_generation}".encode()
    digest = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def screen_token_valid(meeting: Meeting, token: str | None, secret_key: str) -> bool:
    if not token or len(token) > 64:
        return False
    return hmac.compare_digest(screen_token(meeting, secret_key), token)
