"""Notification rules: the in-app list, reading, preferences, reminder settings, retrying failed mails."""
from __future__ import annotations

from datetime import time

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select, update

from ..dates import utcnow
from ..extensions import db
from ..models.notifications import ACCOUNT_MAIL_KINDS
from ..models import (
    Committee, Meeting, Notification, NotificationKind, NotificationPreference, NotificationState, User,
)
from .. import events
from ..events import Event
from . import access, audit, check, memo, require
from . import tasks as task_rules
from .meetings import ANNOUNCED

# Kinds a user can choose to get by mail or not (the digest is chosen with its own switch).
MAIL_KINDS = tuple(kind for kind in NotificationKind if kind is not NotificationKind.DIGEST and not kind.is_account_mail)


_NOT_IN_INBOX = (NotificationKind.DIGEST, *sorted(ACCOUNT_MAIL_KINDS, key=lambda kind: kind.value))


def _in_inbox(recipient_id, now=None):
    """A notice of the recipient's in-app list: its time has come, not voided, not a digest."""
    return (
        Notification.recipient_id == recipient_id,
        # not a digest; a personal link is for the mailbox only (one comparison each: an expanding NOT IN
        # rewrites the statement on every execution, and this one runs on every page)
        *(Notification.kind != kind for kind in _NOT_IN_INBOX),
        Notification.state != NotificationState.VOID,
        Notification.due_at <= (utcnow() if now is None else now),
    )


def inbox_query(user: User):
    """The user's in-app list: notices whose time has come, newest first (not voided ones, not digests)."""
    return select(Notification).where(*_in_inbox(user.id)).order_by(Notification.due_at.desc(), Notification.id.desc())


# The header badge's count comes with the logged-in user's row on GET requests (one query for both,
# web.load_user); it is kept for the request (memo.py) and dropped when notifications are written.
_unread = memo.keep("unread", (Notification,))


_user_statements: dict[tuple, object] = {}


def _user_statement(also: tuple, row: bool = True):
    """The user with the unread count, the やること mark and `also`'s columns (without the user's row: their id):
    built once per set of columns (bind parameters user_id and now), so a request pays for running it, not for
    building it."""
    key = (row, *map(id, also))
    statement = _user_statements.get(key)
    if statement is None:
        unread = (
            select(func.count(Notification.id))
            .where(*_in_inbox(User.id, now=bindparam("now")), Notification.read_at.is_(None))
            .scalar_subquery()
        )
        statement = select(User if row else User.id, unread, task_rules.change_mark(), *also).where(
            User.id == bindparam("user_id"))
        _user_statements[key] = statement
    return statement


def load_with_unread_count(user_id: int, also: tuple = (), keep=None) -> User | None:
    """The user and, kept for this request's header badges, their unread count and the mark the やること badge
    is checked against (liaison/domain/tasks.py): one query. `also`: more scalar columns for the same query
    (the web layer's page counters, liaison/pages/versions.py), whose values go to `keep`."""
    row = db.session.execute(_user_statement(also), {"user_id": user_id, "now": utcnow()}).first()
    if row is None:
        return None
    user, count, mark, *values = row
    _unread.put(user.id, count)
    task_rules.keep_mark(user.id, mark)
    if keep is not None:
        keep(values)
    return user


def load_counts(user_id: int, also: tuple = ()) -> list | None:
    """What load_with_unread_count keeps, without the user's row (a caller that has it already): the unread count
    and the mark, kept for the request; returns `also`'s values (None: no such user). One Core statement."""
    row = db.session.connection().execute(_user_statement(also, row=False), {"user_id": user_id, "now": utcnow()}).first()
    if row is None:
        return None
    _, count, mark, *values = row
    _unread.put(user_id, count)
    task_rules.keep_mark(user_id, mark)
    return values


def forget_unread() -> None:
    """Drop the request's kept unread count (the badge asks the database again)."""
    _unread.forget()


def unread_count(user: User) -> int:
    """For the header badge: loaded with the user on a GET request, else one query."""
    known = _unread.known()
    if user.id in known:
        return known[user.id]
    query = inbox_query(user).where(Notification.read_at.is_(None)).order_by(None)
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def mark_read(notification: Notification, *, actor: User) -> None:
    require(notification.recipient_id == actor.id, "only the recipient reads a notification")
    if notification.read_at is None:
        notification.read_at = utcnow()
    db.session.flush()


def mark_all_read(*, actor: User) -> int:
    visible = inbox_query(actor).where(Notification.read_at.is_(None)).with_only_columns(Notification.id)
    marked = db.session.execute(
        update(Notification).where(Notification.id.in_(visible.order_by(None))).values(read_at=utcnow()),
        execution_options={"synchronize_session": False},
    ).rowcount
    forget_unread()
    return marked


def preferences(user: User) -> NotificationPreference:
    """The user's stored choices, or the defaults (every kind by mail, no digest), unsaved."""
    return db.session.get(NotificationPreference, user.id) or NotificationPreference(
        user_id=user.id, daily_digest=False, email_off=[]
    )


def update_preferences(user: User, *, actor: User, daily_digest: bool, email_kinds: set[NotificationKind]) -> None:
    """Which kinds come by mail, and whether as one digest at 08:00 instead of single mails."""
    require(actor.id == user.id, "users set their own notification preferences")
    preference = preferences(user)
    before = {"daily_digest": preference.daily_digest, "email_off": list(preference.email_off or [])}
    preference.daily_digest = daily_digest
    preference.email_off = sorted(kind.value for kind in MAIL_KINDS if kind not in email_kinds)
    db.session.add(preference)
    audit.record(actor, "notification.preferences", user, before=before,
                 after={"daily_digest": daily_digest, "email_off": preference.email_off})
    db.session.flush()


def retry(notification: Notification, *, actor: User) -> None:
    """An administrator sends a failed notice again (after fixing the address or the server)."""
    require(actor.is_admin, "administrators retry failed notifications")
    check(notification.state is NotificationState.FAILED, _("送信に失敗した通知だけを再送できます。"))
    notification.state = NotificationState.PENDING
    notification.attempts = 0
    notification.next_attempt_at = None
    audit.record(actor, "notification.retried", notification, label=notification.subject,
                 error=notification.last_error)
    db.session.flush()


def _parse_clock(value: str) -> time | None:
    try:
        hours, minutes = (int(part) for part in value.strip().split(":"))
        return time(hours, minutes)
    except (ValueError, TypeError):
        return None


def _deadline_settings(committee: Committee) -> dict:
    return {"days": committee.reminder_days, "at": committee.reminder_time.strftime("%H:%M"),
            "answer_days": committee.answer_reminder_days, "proposal_days": committee.proposal_reminder_days,
            "vote_days": committee.vote_reminder_days, "review_days": committee.review_reminder_days}


# Reminder days as typed in the settings.

def parse_days(raw: str | None) -> list[int]:
    """"7,1" → [7, 1]: whole days before, largest first, duplicates and non-positive values dropped."""
    days = {int(part) for part in (raw or "").replace("、", ",").split(",") if part.strip().isdigit()}
    return sorted((d for d in days if 0 < d <= 60), reverse=True)


def parse_deadline_days(raw: str | None) -> list[int]:
    """"2,0" → [2, 0]: days before a deadline (0: on the day), largest first, 0–30, duplicates dropped."""
    days = {int(part) for part in (raw or "").replace("、", ",").split(",") if part.strip().isdigit()}
    return sorted((d for d in days if 0 <= d <= 30), reverse=True)



def set_committee_reminders(
    committee: Committee, *, actor: User, days: str, at: str, answer_days: int,
    proposal_days: int | None = None, vote_days: str | None = None, review_days: int | None = None,
) -> None:
    """A committee's defaults: reminders N days before a meeting at a time of day, and before the answer,
    proposal, written-vote and minutes-review deadlines (left as they are when not given).

    The meetings' reminders are made again at once; written votes and reviews already open keep theirs.
    """
    require(actor.is_admin, "administrators set committee reminder defaults")
    parsed = parse_days(days)
    check(parsed or not days.strip(), _("日数は「7,1」のように1〜60の数をカンマで区切って入力してください。"), "days")
    clock = _parse_clock(at)
    check(clock is not None, _("時刻は「09:00」の形式で入力してください。"), "at")
    check(0 <= answer_days <= 30, _("回答期限の何日前かは0〜30で入力してください。"), "answer_days")
    if proposal_days is not None:
        check(0 <= proposal_days <= 30, _("提案締切の何日前かは0〜30で入力してください。"), "proposal_days")
    if review_days is not None:
        check(0 <= review_days <= 30, _("確認期限の何日前かは0〜30で入力してください。"), "review_days")
    vote_parsed = parse_deadline_days(vote_days) if vote_days is not None else None
    if vote_days is not None:
        check(vote_parsed or not vote_days.strip(),
              _("日数は「2,0」のように0〜30の数をカンマで区切って入力してください(0は当日)。"), "vote_days")
    before = _deadline_settings(committee)
    committee.reminder_days = ",".join(str(d) for d in parsed)
    committee.reminder_time = clock
    committee.answer_reminder_days = answer_days
    if proposal_days is not None:
        committee.proposal_reminder_days = proposal_days
    if vote_parsed is not None:
        committee.vote_reminder_days = ",".join(str(d) for d in vote_parsed)
    if review_days is not None:
        committee.review_reminder_days = review_days
    audit.record(actor, "committee.reminders", committee, before=before, after=_deadline_settings(committee))
    for meeting in upcoming_meetings(committee):
        events.emit(Event.MEETING_REMINDERS_CHANGED, meeting)
    db.session.flush()


def set_meeting_reminders(meeting: Meeting, *, actor: User, enabled: bool, days: str) -> None:
    """One meeting's reminders: off, the committee's days (blank), or other days."""
    require(access.is_staff(actor), "the secretariat sets a meeting's reminders")
    parsed = parse_days(days)
    check(parsed or not days.strip(), _("日数は「7,1」のように1〜60の数をカンマで区切って入力してください。"), "days")
    before = {"enabled": meeting.reminders_enabled, "days": meeting.reminder_days}
    meeting.reminders_enabled = enabled
    meeting.reminder_days = ",".join(str(d) for d in parsed) if parsed else None
    audit.record(actor, "meeting.reminders", meeting, before=before,
                 after={"enabled": enabled, "days": meeting.reminder_days})
    events.emit(Event.MEETING_REMINDERS_CHANGED, meeting)
    db.session.flush()


def upcoming_meetings(committee: Committee | None = None) -> list[Meeting]:
    """Convened meetings still to come (their reminders follow setting changes)."""
    query = select(Meeting).where(Meeting.status.in_(ANNOUNCED), Meeting.starts_at > utcnow()).order_by(Meeting.starts_at)
    if committee is not None:
        query = query.where(Meeting.committee_id == committee.id)
    return list(db.session.scalars(query))
