"""Minutes (議事録): a draft generated from the held meeting, the secretariat's edits as versions,
review by the committee's members (コメント, 異議なし), approval by the chair, publication.

A version keeps two things apart: the facts generated from the meeting (heading, attendance,
agenda items, vote results — refreshed only by regenerating) and the secretariat's Markdown per
section (never touched by regenerating). Every save makes a new version; saved versions never
change (the model refuses), and approval stamps one version once.

Who sees what:
  the secretariat (staff)       every version, in every state
  the committee's members       the latest version once review has been opened and while the
                                minutes are not back in draft; otherwise the published one
  any other logged-in user      the published version only (the minutes pages let them in for it)

Events (liaison.events):
  "minutes.review_opened"  minutes, deadline=   members are asked to review
  "minutes.approved"       minutes, version=
  "minutes.published"      minutes, version=
"""
from __future__ import annotations

import difflib
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import events, textsearch
from ..events import Event
from ..dates import format_datetime, utcnow
from ..extensions import db
from ..labels import label, meeting_name, role_label
from ..models import (
    AgendaItem, AgendaKind, Committee, Meeting, MeetingStatus, Minutes, MinutesStatus, MinutesVersion, User,
)
from . import audit, check, lock, once, require
from . import meetings as meeting_rules
from . import minutes_signers as signers
# The minutes' rules live in files by concern; they are read here as minutes.can_manage, minutes.open_review …
from .minutes_access import (  # noqa: F401
    _chair_seat, _committee_member, _label, can_approve, can_manage, can_publish, can_read_version, can_review,
    can_see, can_view_versions, has_reviewed, latest_approved_version, latest_version, published_version,
    reviewer_seat, visible_version,
)
from .minutes_facts import (  # noqa: F401
    CLOSING, MAX_TEXT, OPENING, clean_texts, document_lines, generate_facts, item_key, section_keys, section_labels,
    vote_results,
)
from .minutes_review import (  # noqa: F401
    MAX_COMMENT, ReviewLine, ReviewRound, add_comment, comment_rows, comments_of, current_round, mark_no_objection,
    open_review, return_to_draft, review_complete, review_rounds, review_sheet, review_sheet_rows,
)

MAX_REASON = 1000
STATUS_ORDER = (MinutesStatus.DRAFT, MinutesStatus.IN_REVIEW, MinutesStatus.APPROVED, MinutesStatus.PUBLISHED)
CONFIRMATION_TITLE = "前回議事録の確認"



def _new_version(minutes: Minutes, *, actor, facts: dict, texts: dict, reason: str = "") -> MinutesVersion:
    number = (minutes.versions[-1].number if minutes.versions else 0) + 1
    texts = {key: value for key, value in texts.items() if value}
    version = MinutesVersion(
        minutes=minutes, number=number, facts=facts, texts=texts, reason=reason, author_id=actor.id,
        created_at=utcnow(), search_text="\n".join(document_lines(facts, texts)), approver_role="",
    )
    db.session.add(version)
    minutes.updated_at = utcnow()
    db.session.flush()
    return version


def minutes_of(meeting: Meeting) -> Minutes | None:
    """The meeting's minutes with their versions (one query)."""
    return db.session.scalar(
        select(Minutes).options(joinedload(Minutes.versions), joinedload(Minutes.published_by))
        .where(Minutes.meeting_id == meeting.id)
    )


def create(meeting: Meeting, *, actor) -> Minutes:
    """議事録の作成: the generated draft of a held meeting (version 1)."""
    require(can_manage(actor), "only the secretariat drafts minutes")
    check(meeting.status is MeetingStatus.HELD, _("議事録は開催済みの会議について作成できます。"), "meeting")
    check(minutes_of(meeting) is None, _("この会議の議事録はすでにあります。"), "meeting")
    minutes = Minutes(meeting=meeting, status=MinutesStatus.DRAFT, created_by_id=actor.id, created_at=utcnow(),
                      updated_at=utcnow())
    db.session.add(minutes)
    db.session.flush()
    version = _new_version(minutes, actor=actor, facts=generate_facts(meeting, actor=actor), texts={})
    audit.record(actor, "minutes.created", minutes, label=_label(minutes), version=version.number)
    return minutes


def _check_draft(minutes: Minutes) -> None:
    check(
        minutes.status is MinutesStatus.DRAFT,
        _("「%(status)s」の議事録は編集できません。", status=label(minutes.status)),
        "status",
    )


def regenerate(minutes: Minutes, *, actor) -> MinutesVersion | None:
    """Refresh the generated facts (attendance, items, votes) in a new version; the written text stays.

    Returns None when the facts are unchanged.
    """
    require(can_manage(actor), "only the secretariat regenerates minutes")
    _check_draft(minutes)
    current = latest_version(minutes)
    facts = generate_facts(minutes.meeting, actor=actor)
    if facts == current.facts:
        return None
    version = _new_version(minutes, actor=actor, facts=facts, texts=dict(current.texts),
                           reason=_("会議の記録から再生成"))
    audit.record(actor, "minutes.regenerated", minutes, label=_label(minutes), version=version.number)
    return version


def save_text(minutes: Minutes, *, actor, texts: dict, reason: str = "") -> MinutesVersion | None:
    """The secretariat's Markdown per section, saved as a new version (None when nothing changed).

    Approved (or published) minutes are frozen: saving makes a corrected version that needs a
    reason and goes back to draft for review and approval; the approved text stays readable.
    """
    require(can_manage(actor), "only the secretariat edits minutes")
    reason = (reason or "").strip()
    check(len(reason) <= MAX_REASON, _("理由は%(max)d文字以内で入力してください。", max=MAX_REASON), "reason")
    reopening = minutes.status in (MinutesStatus.APPROVED, MinutesStatus.PUBLISHED)
    if not reopening:
        _check_draft(minutes)
    current = latest_version(minutes)
    texts = clean_texts(current.facts, texts)
    if texts == current.texts:
        return None
    if reopening:
        check(reason, _("承認済みの議事録を修正するには、修正の理由を入力してください。"), "reason")
    before = minutes.status
    version = _new_version(minutes, actor=actor, facts=current.facts, texts=texts, reason=reason)
    if reopening:
        minutes.status = MinutesStatus.DRAFT
        audit.record(actor, "minutes.revised", minutes, label=_label(minutes), version=version.number,
                     reason=reason, before=before, after=minutes.status)
    else:
        audit.record(actor, "minutes.edited", minutes, label=_label(minutes), version=version.number,
                     changed=sorted(set(texts) ^ set(current.texts) | {k for k in texts if current.texts.get(k) != texts[k]}))
    return version


# ------------------------------------------------------------------------------------ approve, publish

def approve(minutes: Minutes, *, actor, reason: str = "", now: datetime | None = None) -> MinutesVersion:
    """承認: the chair (or the vice chair standing in) approves the version under review; it is frozen.

    Approval needs the review: after its deadline or with every seat's 異議なし; earlier only with a
    written reason, kept on the version and shown in the minutes' history.
    """
    seat = _chair_seat(actor, minutes)
    require(seat is not None, "only the chair or vice chair approves minutes")
    lock(minutes)
    once(minutes.status not in (MinutesStatus.APPROVED, MinutesStatus.PUBLISHED), _("この議事録はすでに承認されています。"))
    check(
        minutes.status is MinutesStatus.IN_REVIEW,
        _("委員確認中の議事録だけが承認できます(現在: %(status)s)。", status=label(minutes.status)),
        "status",
    )
    now = now or utcnow()
    reason = (reason or "").strip()
    complete = review_complete(minutes, now)
    check(complete or reason,
          _("確認の期限(%(deadline)s)前で、全委員の「異議なし」がそろっていません。期限前に承認する場合は理由を入力してください。",
            deadline=format_datetime(minutes.review_deadline) if minutes.review_deadline else "-"), "reason")
    check(len(reason) <= MAX_COMMENT, _("理由は%(max)d文字以内で入力してください。", max=MAX_COMMENT), "reason")
    waiting = signers.approval_refusal(minutes)  # the committee may wait for its 議事録署名人
    check(waiting is None, waiting or "", "signers")
    version = latest_version(minutes)
    role = role_label(seat.role, minutes.meeting.committee)  # may query: the stamp is then set in one go
    with db.session.no_autoflush:
        version.approval_reason = "" if complete else reason
        version.approver_role = role
        version.approved_by_id = actor.id
        version.approved_at = now
    minutes.status = MinutesStatus.APPROVED
    minutes.updated_at = now
    db.session.flush()
    audit.record(actor, "minutes.approved", minutes, label=_label(minutes), version=version.number,
                 role=version.approver_role, before=MinutesStatus.IN_REVIEW, after=minutes.status,
                 round=current_round(minutes), early_reason=version.approval_reason)
    events.emit(Event.MINUTES_APPROVED, minutes, version=version)
    return version


def publish(minutes: Minutes, *, actor, now: datetime | None = None) -> MinutesVersion:
    """公開: the approved version becomes readable by every logged-in user of the union."""
    require(can_manage(actor), "only the secretariat publishes minutes")
    lock(minutes)
    once(minutes.status is not MinutesStatus.PUBLISHED, _("この議事録はすでに公開されています。"))
    check(
        minutes.status is MinutesStatus.APPROVED,
        _("承認された議事録だけが公開できます(現在: %(status)s)。", status=label(minutes.status)),
        "status",
    )
    now = now or utcnow()
    version = latest_approved_version(minutes)
    before = minutes.published_version
    minutes.status = MinutesStatus.PUBLISHED
    minutes.published_version = version.number
    minutes.published_at = now
    minutes.published_by_id = actor.id
    minutes.updated_at = now
    db.session.flush()
    audit.record(actor, "minutes.published", minutes, label=_label(minutes), version=version.number,
                 before=before, after=version.number)
    events.emit(Event.MINUTES_PUBLISHED, minutes, version=version)
    return version


# ---------------------------------------------------------------------------------- 前回議事録の確認

def next_meeting(minutes: Minutes) -> Meeting | None:
    """The committee's next meeting after this one whose agenda can still change."""
    meeting = minutes.meeting
    return db.session.scalar(
        select(Meeting).where(
            Meeting.committee_id == meeting.committee_id, Meeting.starts_at > meeting.starts_at,
            Meeting.status.in_(meeting_rules.EDITABLE),
        ).order_by(Meeting.starts_at, Meeting.id).limit(1)
    )


def confirmation_item(minutes: Minutes) -> AgendaItem | None:
    return db.session.scalar(
        select(AgendaItem).options(joinedload(AgendaItem.meeting).joinedload(Meeting.committee))
        .where(AgendaItem.minutes_id == minutes.id).order_by(AgendaItem.id).limit(1)
    )


def add_confirmation_item(minutes: Minutes, *, actor) -> AgendaItem:
    """Put 「前回議事録の確認」 on the committee's next meeting, linked to these minutes."""
    require(can_manage(actor), "only the secretariat builds agendas")
    check(confirmation_item(minutes) is None, _("この議事録の確認はすでに次回の議事にあります。"), "minutes")
    target = next_meeting(minutes)
    check(target is not None, _("議事を追加できる次回の会議がありません。先に次回の会議を作成してください。"), "minutes")
    with force_locale("ja"):
        notes = _("%(name)sの議事録を確認します。", name=meeting_name(minutes.meeting))
    item = meeting_rules.add_agenda_item(target, actor=actor, kind=AgendaKind.REPORT, title=CONFIRMATION_TITLE,
                                         notes=notes)
    item.minutes_id = minutes.id
    db.session.flush()
    audit.record(actor, "minutes.confirmation_added", minutes, label=_label(minutes), meeting_id=target.id,
                 agenda_item_id=item.id)
    return item


def load_version(minutes: Minutes, number: int) -> MinutesVersion | None:
    return next((v for v in minutes.versions if v.number == number), None)


def approver_of(version: MinutesVersion) -> User | None:
    return db.session.get(User, version.approved_by_id) if version.approved_by_id else None


def diff(old: MinutesVersion, new: MinutesVersion) -> list[tuple[str, str]]:
    """Line by line: ("same" | "removed" | "added", text). Plain text; the template escapes it."""
    before = document_lines(old.facts, old.texts)
    after = document_lines(new.facts, new.texts)
    rows = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [("same", line) for line in before[i1:i2]]
            continue
        rows += [("removed", line) for line in before[i1:i2]]
        rows += [("added", line) for line in after[j1:j2]]
    return rows


# --------------------------------------------------------------------------------------------- search

def published_select(*columns, q: str = "", committee: Committee | None = None):
    """SELECT columns FROM the published versions of published minutes, every word of q in their text."""
    query = (
        select(*columns).select_from(MinutesVersion)
        .join(Minutes, (Minutes.id == MinutesVersion.minutes_id) & (Minutes.published_version == MinutesVersion.number))
        .join(Meeting, Meeting.id == Minutes.meeting_id)
    )
    for term in textsearch.terms(q):
        query = query.where(textsearch.contains((MinutesVersion.search_key,), term))
    if committee is not None:
        query = query.where(Meeting.committee_id == committee.id)
    return query


def published_query(q: str = "", committee: Committee | None = None):
    """Published minutes (their published version), newest meeting first; q is a Japanese substring."""
    return (
        published_select(MinutesVersion, q=q, committee=committee)
        .options(joinedload(MinutesVersion.minutes).joinedload(Minutes.meeting).joinedload(Meeting.committee))
        .order_by(Meeting.starts_at.desc(), Minutes.id.desc())
    )


def snippet(version: MinutesVersion, q: str, width: int = 40) -> str:
    """The text around the first match, for the search results."""
    return textsearch.snippet(version.search_text, q, width)


