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
from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from .. import events, textsearch
from ..events import Event
from ..dates import format_datetime, to_tokyo, utcnow
from ..extensions import db
from ..labels import label, meeting_name, role_label
from ..models import (
    AgendaItem, AgendaKind, AttendanceResponse, Committee, Meeting, MeetingStatus, Membership, Minutes,
    MinutesComment, MinutesReview, MinutesStatus, MinutesVersion, Role, User, Vote, VoteState,
)
from . import access, audit, check, lock, once, require
from . import materials
from . import meetings as meeting_rules
from . import memberships as membership_rules

OPENING, CLOSING = "opening", "closing"
MAX_TEXT = 20000
MAX_COMMENT = 4000
MAX_REASON = 1000
STATUS_ORDER = (MinutesStatus.DRAFT, MinutesStatus.IN_REVIEW, MinutesStatus.APPROVED, MinutesStatus.PUBLISHED)
CONFIRMATION_TITLE = "前回議事録の確認"


def item_key(item_id: int) -> str:
    return f"item-{item_id}"


# --------------------------------------------------------------------------------------------- labels

def section_labels() -> dict[str, str]:
    return {OPENING: _("開会・会議の概要"), CLOSING: _("その他・閉会")}


# ---------------------------------------------------------------------------------------- permissions

def can_manage(user) -> bool:
    """The secretariat (and administrators) draft, edit, open review and publish."""
    return access.is_staff(user)


def _committee_member(user, minutes: Minutes) -> bool:
    meeting = minutes.meeting
    return (
        access.membership_in(user, meeting.committee, meeting.fiscal_year) is not None
        or access.membership_in(user, meeting.committee) is not None
    )


def reviewer_seat(user, minutes: Minutes) -> Membership | None:
    """The user's voting seat among the meeting's seats (those who review its minutes)."""
    if not getattr(user, "is_authenticated", False):
        return None
    meeting = minutes.meeting
    seat = access.membership_in(user, meeting.committee, meeting.fiscal_year)
    return seat if seat is not None and seat.has_vote else None


def published_version(minutes: Minutes | None) -> MinutesVersion | None:
    if minutes is None or minutes.published_version is None:
        return None
    return next((v for v in minutes.versions if v.number == minutes.published_version), None)


def latest_version(minutes: Minutes) -> MinutesVersion:
    return minutes.versions[-1]


def latest_approved_version(minutes: Minutes) -> MinutesVersion | None:
    return next((v for v in reversed(minutes.versions) if v.approved_at is not None), None)


def visible_version(user, minutes: Minutes) -> MinutesVersion | None:
    """The version this user reads on the minutes page (None: nothing for them yet)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if can_manage(user):
        return latest_version(minutes)
    if minutes.status is not MinutesStatus.DRAFT and _committee_member(user, minutes):
        return latest_version(minutes)
    return published_version(minutes)


def has_reviewed(minutes: Minutes, user_id: int) -> bool:
    """The user's seat gave 異議なし on the version now under review (the latest one)."""
    latest = (select(MinutesVersion.id).where(MinutesVersion.minutes_id == minutes.id)
              .order_by(MinutesVersion.number.desc()).limit(1).scalar_subquery())
    return db.session.scalar(
        select(MinutesReview.id).join(Membership, Membership.id == MinutesReview.membership_id)
        .where(MinutesReview.version_id == latest, Membership.user_id == user_id).limit(1)
    ) is not None


def can_see(user, meeting: Meeting, minutes: Minutes | None) -> bool:
    """The minutes pages of a meeting: who may see the meeting, and anyone with a version to read
    (the published one for the whole union; last year's members for the meetings they sat in)."""
    if meeting_rules.can_view(user, meeting):
        return True
    return minutes is not None and visible_version(user, minutes) is not None


def can_view_versions(user, minutes: Minutes) -> bool:
    """Version history and diffs: the secretariat, and the committee once review has been opened."""
    return can_manage(user) or (minutes.review_opened_at is not None and _committee_member(user, minutes))


def can_read_version(user, minutes: Minutes, version: MinutesVersion) -> bool:
    """The published version: everyone logged in. Members: approved versions, and the whole history
    while the minutes are out of the secretariat's draft. The secretariat: everything."""
    if can_manage(user):
        return True
    if version.number == minutes.published_version:
        return bool(getattr(user, "is_authenticated", False))
    if not can_view_versions(user, minutes):
        return False
    return version.approved_at is not None or minutes.status is not MinutesStatus.DRAFT


def can_review(user, minutes: Minutes) -> bool:
    return minutes.status is MinutesStatus.IN_REVIEW and reviewer_seat(user, minutes) is not None


def can_approve(user, minutes: Minutes) -> bool:
    """The chair (議長・部会長) approves; the vice chair stands in. Of the meeting's year or the current one."""
    if minutes.status is not MinutesStatus.IN_REVIEW:
        return False
    return _chair_seat(user, minutes) is not None


def _chair_seat(user, minutes: Minutes) -> Membership | None:
    meeting = minutes.meeting
    for fiscal_year in (meeting.fiscal_year, None):
        seat = access.membership_in(user, meeting.committee, fiscal_year)
        if seat is not None and seat.role in (Role.CHAIR, Role.VICE_CHAIR):
            return seat
    return None


def can_publish(user, minutes: Minutes) -> bool:
    return can_manage(user) and minutes.status is MinutesStatus.APPROVED


# ----------------------------------------------------------------------------------------- generation

def vote_results(items: list[AgendaItem]) -> dict[int, dict]:
    """The stored result of each decided item's closed vote, by item id (one query).

    Tallies, outcome (可決 / 否決 / 定足数不足), and the chair's casting vote (議長裁決) after a tie.
    """
    if not items:
        return {}
    closed = db.session.scalars(
        select(Vote).options(joinedload(Vote.casting_by))
        .where(Vote.agenda_item_id.in_([item.id for item in items]), Vote.state == VoteState.CLOSED)
        .order_by(Vote.id)
    )
    results = {}
    for vote in closed:  # the latest closed vote of an item wins
        results[vote.agenda_item_id] = {
            "yes": vote.yes_count, "no": vote.no_count, "abstain": vote.abstain_count,
            "not_voting": vote.not_voting_count, "entitled": vote.entitled_count, "present": vote.present_count,
            "method": label(vote.method), "majority": label(vote.majority),
            "outcome": label(vote.outcome),
            "casting_vote": label(vote.casting_vote) if vote.casting_vote else "",
            "casting_by": vote.casting_by.name if vote.casting_by else "",
        }
    return results


def _item_outcome(item: AgendaItem) -> str:
    """可決 / 否決 / 継続審議 / 報告了承 as recorded on the item."""
    return label(item.outcome) if item.outcome else ""


def _proposal_facts(item: AgendaItem) -> dict | None:
    """The proposal (提案) the item discusses: its number and title, as they stood when the draft was generated."""
    proposal = item.proposal
    if proposal is None:
        return None
    return {"number": proposal.number or "", "title": proposal.title}


def _when(meeting: Meeting) -> str:
    when = format_datetime(meeting.starts_at, wareki=True, locale="ja")
    if to_tokyo(meeting.starts_at).date() == to_tokyo(meeting.ends_at).date():
        return when + f"〜{to_tokyo(meeting.ends_at):%H:%M}"
    return when + "〜" + format_datetime(meeting.ends_at, wareki=True, locale="ja")


def _place(meeting: Meeting) -> str:
    parts = []
    if meeting.place:
        parts.append(meeting.place)
    if meeting.online_url or not meeting.place:
        parts.append(label(meeting.format))
    return "(".join(parts) + (")" if len(parts) == 2 else "")


def _attendance_facts(meeting: Meeting) -> dict:
    sheet = meeting_rules.attendance_sheet(meeting)
    recorded = sheet.presence_recorded
    present, proxies, absent = [], [], []
    for line in sheet.lines:
        seat, answer = line.membership, line.attendance
        entry = {"seat": seat.seat_label, "name": seat.user.name, "role": ""}
        if seat.role in (Role.CHAIR, Role.VICE_CHAIR):
            entry["role"] = role_label(seat.role, meeting.committee)
        if recorded:
            attended = bool(answer and answer.present)
        else:
            attended = line.answered and answer.response in (AttendanceResponse.ATTEND, AttendanceResponse.PROXY)
        if attended and answer.response is AttendanceResponse.PROXY:
            proxies.append(entry | {"proxy_name": answer.proxy_name, "proxy_title": answer.proxy_title})
        elif attended:
            present.append(entry)
        else:
            absent.append(entry)
    return {"present": present, "proxies": proxies, "absent": absent, "seats": len(sheet.lines)}


def _secretariat(meeting: Meeting, actor) -> list[dict]:
    """事務局: whoever convened and drafted the meeting, and the author of the minutes."""
    people: list[User] = []
    for user in (meeting.convened_by, meeting.created_by, actor):
        if user is not None and getattr(user, "is_secretariat", False) and user not in people:
            people.append(user)
    return [{"name": user.name, "title": user.title} for user in people]


def _agenda(meeting: Meeting) -> list[AgendaItem]:
    options = [
        joinedload(AgendaItem.presenter_body), joinedload(AgendaItem.confirmed_minutes).joinedload(Minutes.meeting),
        joinedload(AgendaItem.proposal),
    ]
    return list(db.session.scalars(
        select(AgendaItem).options(*options).where(AgendaItem.meeting_id == meeting.id).order_by(AgendaItem.position)
    ))


def generate_facts(meeting: Meeting, *, actor=None) -> dict:
    """The facts of a held meeting, in Japanese (the minutes are an official Japanese record)."""
    with force_locale("ja"):
        agenda = _agenda(meeting)
        votes = vote_results(agenda)
        listed = _materials(meeting, agenda)
        items = []
        for item in agenda:
            confirms = item.confirmed_minutes
            items.append({
                "id": item.id, "number": item.position, "kind": label(item.kind),
                "kind_value": item.kind.value, "title": item.title,
                "presenter": item.presenter_body.name if item.presenter_body else _("事務局"),
                "proposal": _proposal_facts(item), "vote": votes.get(item.id), "outcome": _item_outcome(item),
                "confirms": meeting_name(confirms.meeting) if confirms else "",
                "materials": listed.get(item.id, []),
            })
        return {
            "name": meeting_name(meeting), "committee": meeting.committee.name,
            "fiscal_year": meeting.fiscal_year, "number": meeting.number, "title": meeting.title,
            "when": _when(meeting), "place": _place(meeting), "format": label(meeting.format),
            "starts_at": meeting.starts_at.isoformat(),
            "attendance": _attendance_facts(meeting), "secretariat": _secretariat(meeting, actor), "items": items,
            "materials": listed.get(None, []),
        }


def _materials(meeting: Meeting, agenda: list[AgendaItem]) -> dict[int | None, list[str]]:
    """「資料2-1 予算案.pdf」 by agenda item id (None: the meeting's 参考資料), in number order."""
    documents = meeting_rules.meeting_attachments(meeting)
    numbers = materials.numbers_of(agenda, documents)
    listed: dict[int | None, list[str]] = {}
    for document in sorted(documents, key=lambda d: materials.sort_key(numbers[d.id])):
        name = f"{materials.label_of(numbers[document.id])}\u3000{document.original_name}".strip("\u3000")
        listed.setdefault(document.agenda_item_id, []).append(name)
    return listed


def section_keys(facts: dict) -> list[str]:
    return [OPENING, *(item_key(item["id"]) for item in facts["items"]), CLOSING]


def document_lines(facts: dict, texts: dict) -> list[str]:
    """The whole version as plain text lines (for the diff and the search)."""
    with force_locale("ja"):
        attendance = facts["attendance"]
        lines = [f"{facts['name']} 議事録", f"日時 {facts['when']}", f"場所 {facts['place']}"]
        lines.append("出席委員 " + "、".join(_person(p) for p in attendance["present"]))
        lines += [f"代理出席 {p['seat']} {p['proxy_name']}({p['proxy_title']})" for p in attendance["proxies"]]
        lines.append("欠席委員 " + "、".join(_person(p) for p in attendance["absent"]))
        lines.append("事務局 " + "、".join(s["name"] for s in facts["secretariat"]))
        lines += (texts.get(OPENING) or "").splitlines()
        for item in facts["items"]:
            lines.append(f"{item['number']} {item['kind']} {item['title']}({item['presenter']})")
            if item["proposal"]:
                lines.append(f"提案 {item['proposal']['number']} {item['proposal']['title']}")
            if item["vote"]:
                vote = item["vote"]
                casting = f" 議長裁決 {vote['casting_vote']}" if vote.get("casting_vote") else ""
                lines.append(f"表決 賛成{vote['yes']} 反対{vote['no']} 棄権{vote['abstain']} {vote['outcome']}{casting}")
            lines += [f"資料 {name}" for name in item.get("materials", [])]
            if item["outcome"]:
                lines.append(f"結果 {item['outcome']}")
            lines += (texts.get(item_key(item["id"])) or "").splitlines()
        lines += (texts.get(CLOSING) or "").splitlines()
        return lines


def _person(person: dict) -> str:
    role = f"({person['role']})" if person.get("role") else ""
    return f"{person['seat']} {person['name']}{role}"


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


def _label(minutes: Minutes) -> str:
    return _("%(name)s 議事録", name=meeting_name(minutes.meeting))


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


def clean_texts(facts: dict, texts: dict) -> dict:
    keys = section_keys(facts)
    cleaned = {}
    for key in keys:
        value = (texts.get(key) or "").replace("\r\n", "\n").strip()
        check(len(value) <= MAX_TEXT, _("各欄は%(max)d文字以内で入力してください。", max=MAX_TEXT), key)
        if value:
            cleaned[key] = value
    return cleaned


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


# ---------------------------------------------------------------------------------------------- review

def open_review(minutes: Minutes, *, actor, deadline: datetime, now: datetime | None = None) -> None:
    """委員確認: the members are asked to review the latest version by the deadline."""
    require(can_manage(actor), "only the secretariat opens review")
    now = now or utcnow()
    check(
        minutes.status is MinutesStatus.DRAFT,
        _("「%(status)s」の議事録は確認依頼できません。", status=label(minutes.status)),
        "status",
    )
    check(deadline is not None, _("確認の期限を入力してください。"), "deadline")
    if deadline.tzinfo is None:
        raise ValueError("the review deadline must be timezone-aware")
    check(deadline > now, _("確認の期限はこれからの日時にしてください。"), "deadline")
    before = minutes.status
    minutes.status = MinutesStatus.IN_REVIEW
    minutes.review_deadline = deadline
    minutes.review_opened_at = now
    # A new round: the marks of the earlier rounds stay as they were (round 1: 8/8 異議なし, round 2: …).
    minutes.review_round = (minutes.review_round or 0) + 1
    minutes.updated_at = now
    db.session.flush()
    audit.record(actor, "minutes.review_opened", minutes, label=_label(minutes), before=before, after=minutes.status,
                 deadline=deadline, version=latest_version(minutes).number, round=minutes.review_round)
    events.emit(Event.MINUTES_REVIEW_OPENED, minutes, deadline=deadline)


def return_to_draft(minutes: Minutes, *, actor) -> None:
    """Back to the secretariat to work in the comments; the comments and 異議なし marks are kept."""
    require(can_manage(actor), "only the secretariat takes minutes back to draft")
    check(minutes.status is MinutesStatus.IN_REVIEW, _("委員確認中の議事録ではありません。"), "status")
    minutes.status = MinutesStatus.DRAFT
    minutes.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "minutes.returned", minutes, label=_label(minutes), before=MinutesStatus.IN_REVIEW,
                 after=minutes.status)


def mark_no_objection(minutes: Minutes, *, actor, now: datetime | None = None) -> MinutesReview:
    """異議なし from the actor's seat on the version under review (once per seat and version)."""
    seat = reviewer_seat(actor, minutes)
    require(seat is not None, "only the meeting's members review its minutes")
    check(minutes.status is MinutesStatus.IN_REVIEW, _("この議事録は現在確認を受け付けていません。"), "status")
    version = latest_version(minutes)
    round_ = current_round(minutes)
    existing = db.session.scalar(
        select(MinutesReview).where(MinutesReview.version_id == version.id, MinutesReview.round == round_,
                                    MinutesReview.membership_id == seat.id)
    )
    if existing is not None:
        return existing
    review = MinutesReview(minutes_id=minutes.id, version_id=version.id, membership_id=seat.id, user_id=actor.id,
                           round=round_, at=now or utcnow())
    db.session.add(review)
    db.session.flush()
    audit.record(actor, "minutes.reviewed", minutes, label=_label(minutes), version=version.number,
                 seat=seat.seat_label, round=round_)
    return review


def add_comment(minutes: Minutes, *, actor, text: str, agenda_item_id: int | None = None,
                now: datetime | None = None) -> MinutesComment:
    """A member's comment on the whole minutes or one agenda item; the secretariat may answer too."""
    seat = reviewer_seat(actor, minutes)
    require(seat is not None or can_manage(actor), "only the meeting's members comment on its minutes")
    check(minutes.status is MinutesStatus.IN_REVIEW, _("この議事録は現在意見を受け付けていません。"), "status")
    text = (text or "").replace("\r\n", "\n").strip()
    check(text, _("意見を入力してください。"), "text")
    check(len(text) <= MAX_COMMENT, _("意見は%(max)d文字以内で入力してください。", max=MAX_COMMENT), "text")
    item_ids = {item["id"] for item in latest_version(minutes).facts["items"]}
    check(agenda_item_id is None or agenda_item_id in item_ids, _("議事が見つかりません。"), "agenda_item_id")
    comment = MinutesComment(
        minutes_id=minutes.id, version_id=latest_version(minutes).id, user_id=actor.id,
        membership_id=seat.id if seat else None, agenda_item_id=agenda_item_id, text=text, at=now or utcnow(),
    )
    db.session.add(comment)
    db.session.flush()
    audit.record(actor, "minutes.commented", minutes, label=_label(minutes), comment_id=comment.id,
                 agenda_item_id=agenda_item_id)
    return comment


# ------------------------------------------------------------------------------------ approve, publish

def current_round(minutes: Minutes) -> int:
    """The review round under way (or the last one): 1 for the first review."""
    return max(minutes.review_round or 0, 1)


def review_complete(minutes: Minutes, now: datetime | None = None) -> bool:
    """The review has run its course: its deadline has passed (or is exactly now), or every seat marked 異議なし."""
    now = now or utcnow()
    if minutes.review_deadline is not None and now >= minutes.review_deadline:
        return True
    lines = review_sheet(minutes)
    return bool(lines) and all(line.review is not None for line in lines)


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


# ------------------------------------------------------------------------------------------ page data

@dataclass
class ReviewLine:
    seat: Membership
    review: MinutesReview | None


def review_sheet(minutes: Minutes, round_: int | None = None) -> list[ReviewLine]:
    """Every voting seat of the meeting with its 異議なし on the latest version in a round (default: the current one)."""
    version = latest_version(minutes)
    meeting = minutes.meeting
    round_ = round_ or current_round(minutes)
    rows = db.session.execute(
        membership_rules.seats_query(meeting.committee, meeting.fiscal_year)
        .add_columns(MinutesReview)
        .outerjoin(MinutesReview, (MinutesReview.membership_id == Membership.id) & (MinutesReview.version_id == version.id)
                   & (MinutesReview.round == round_))
    ).all()
    lines = [ReviewLine(seat, review) for seat, review in rows if seat.role.has_vote]
    return membership_rules.by_role(lines, lambda line: line.seat)


def comments_of(minutes: Minutes) -> list[MinutesComment]:
    return list(db.session.scalars(
        select(MinutesComment)
        .options(joinedload(MinutesComment.user), joinedload(MinutesComment.membership).joinedload(Membership.body),
                 joinedload(MinutesComment.version))
        .where(MinutesComment.minutes_id == minutes.id).order_by(MinutesComment.at, MinutesComment.id)
    ))


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


@dataclass
class ReviewRound:
    number: int
    marked: int
    seats: int


def review_rounds(minutes: Minutes) -> list[ReviewRound]:
    """Every review round with its 異議なし count, earlier rounds kept (round 1: 8/8, round 2: …), one query."""
    meeting = minutes.meeting
    seat_count = sum(1 for seat in membership_rules.seats(meeting.committee, meeting.fiscal_year, include_observers=False))
    marked = dict(db.session.execute(
        select(MinutesReview.round, func.count(func.distinct(MinutesReview.membership_id)))
        .where(MinutesReview.minutes_id == minutes.id).group_by(MinutesReview.round)
    ).all())
    return [ReviewRound(n, marked.get(n, 0), seat_count) for n in range(1, (minutes.review_round or 0) + 1)]
