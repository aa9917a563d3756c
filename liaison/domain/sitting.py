"""The meeting day (会議進行): the item under discussion, 挙手 and the speakers, check-in with a proxy, the screen link.

Each action is the secretariat's or the presiding chair's (次へ/戻る, 指名), or the seat's own member's
(挙手); it locks the meeting's row, checks, changes, audits and raises the live version (liaison.domain.live)
in the request's one transaction. Votes of the sitting are the vote domain's (liaison.domain.votes); the
state the live pages show is `live_state` (liaison.domain.live_state).
"""
from __future__ import annotations

from datetime import datetime

from ..i18n import gettext as _
from sqlalchemy import select

from ..dates import utcnow
from ..extensions import db
from ..labels import meeting_name
from ..models import (
    AgendaItem, Attachment, AgendaKind, Attendance, AttendanceResponse, Majority, Meeting, MeetingStatus, Membership, Role,
    SpeakerRequest, Vote, VoteMethod, VoteState,
)
from . import access, attachments, audit, check, live, lock, once, require
from . import meetings as meeting_rules
from . import votes as vote_rules

CHECK_IN_MODES = ("present", "proxy", "absent")


# ------------------------------------------------------------------------------------------- who may

def chairs_meeting(user, meeting: Meeting) -> bool:
    """The chair or the vice chair of the meeting's committee in its fiscal year."""
    membership = access.membership_in(user, meeting.committee, meeting.fiscal_year)
    return membership is not None and membership.role in (Role.CHAIR, Role.VICE_CHAIR)


def can_run(user, meeting: Meeting) -> bool:
    """The console: the secretariat, and the presiding chair (who moves the agenda on and calls speakers)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return meeting_rules.can_manage(user) or chairs_meeting(user, meeting)


def seat_of(user, meeting: Meeting) -> Membership | None:
    """The user's voting seat in the meeting's committee and fiscal year (None: not a member with a vote)."""
    membership = access.membership_in(user, meeting.committee, meeting.fiscal_year)
    if membership is None or not membership.has_vote:
        return None
    return membership


def _in_session(meeting: Meeting) -> None:
    check(meeting.status is MeetingStatus.IN_SESSION, _("開会中の会議でだけ行えます。"), "status")


# ------------------------------------------------------------------------------------------- agenda

def agenda(meeting: Meeting) -> list[AgendaItem]:
    return list(db.session.scalars(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting.id).order_by(AgendaItem.position, AgendaItem.id)
    ))


def current_item(meeting: Meeting, items: list[AgendaItem] | None = None) -> AgendaItem | None:
    if meeting.current_item_id is None:
        return None
    items = agenda(meeting) if items is None else items
    return next((item for item in items if item.id == meeting.current_item_id), None)


def move(meeting: Meeting, *, actor, direction: str, now: datetime | None = None) -> AgendaItem:
    """次へ / 戻る: take up the next (or the previous) item; its first start time is kept for the elapsed time."""
    require(can_run(actor, meeting), "only the secretariat or the chair moves the agenda")
    check(direction in ("next", "prev"), _("操作が正しくありません。"), "direction")
    lock(meeting)
    _in_session(meeting)
    items = agenda(meeting)
    check(items, _("この会議には議事がありません。"))
    ids = [item.id for item in items]
    index = ids.index(meeting.current_item_id) if meeting.current_item_id in ids else None
    if direction == "next":
        target = 0 if index is None else index + 1
        check(target < len(items), _("最後の議事です。次の議事はありません。"))
    else:
        check(index is not None and index > 0, _("最初の議事です。前の議事はありません。"))
        target = index - 1
    item = items[target]
    before = meeting.current_item_id
    meeting.current_item_id = item.id
    if item.started_at is None:
        item.started_at = now or utcnow()
    db.session.flush()
    audit.record(actor, "meeting.item_taken_up", meeting, label=f"{meeting_name(meeting)} {item.title}",
                 item_id=item.id, item=item.title, before=before, after=item.id, direction=direction)
    live.touch(meeting.id)
    return item


def open_item_vote(meeting: Meeting, *, actor, method: VoteMethod = VoteMethod.ELECTRONIC,
                   majority: Majority = Majority.SIMPLE, secret: bool = False, now: datetime | None = None) -> Vote:
    """表決 on the item under discussion, through the vote domain (presence at the opening frozen there)."""
    require(meeting_rules.can_manage(actor), "only the secretariat opens votes")
    _in_session(meeting)
    item = current_item(meeting)
    check(item is not None, _("議事を選んでから表決を開始してください(「次へ」で議事に進みます)。"))
    check(method in (VoteMethod.ELECTRONIC, VoteMethod.IN_MEETING), _("表決の方法を選んでください。"), "method")
    return vote_rules.open_vote(item, actor=actor, method=method, majority=majority, secret=secret, now=now)


def settle_item(meeting: Meeting, *, actor, how: str, now: datetime | None = None) -> AgendaItem:
    """継続審議 (defer) or 報告了承 (note) the item under discussion, through the vote domain."""
    _in_session(meeting)
    item = current_item(meeting)
    check(item is not None, _("議事を選んでください。"))
    check(how in ("defer", "note"), _("操作が正しくありません。"))
    if how == "defer":
        vote_rules.defer_item(item, actor=actor, now=now)
    else:
        vote_rules.note_item(item, actor=actor, now=now)
    return item


def live_vote(meeting: Meeting, item_id: int | None) -> Vote | None:
    """The vote the live pages show: the latest vote of the sitting on the item (open, tied or closed)."""
    if item_id is None:
        return None
    return db.session.scalar(
        select(Vote).where(Vote.agenda_item_id == item_id, Vote.method != VoteMethod.WRITTEN,
                           Vote.state != VoteState.CANCELLED)
        .order_by(Vote.id.desc()).limit(1)
    )


# ------------------------------------------------------------------------------ 「この資料を全員に表示」

def pdf_pages(attachment: Attachment) -> int | None:
    """The PDF's page count (pypdf), or None when the file cannot be read as one."""
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    content = attachments.content_of(attachment)
    if content is None:
        return None
    try:
        return len(PdfReader(io.BytesIO(content)).pages)
    except (PdfReadError, ValueError, KeyError, OSError):
        return None


def show_material(meeting: Meeting, attachment: Attachment, *, actor, page: int = 1) -> None:
    """「この資料を全員に表示」 and each page turn: the tablets and the screen show this 資料 at this page.

    Audited when another 資料 is shown, not for each page turned; the live version is raised."""
    require(can_run(actor, meeting), "only the secretariat or the chair presents 資料")
    check(attachment.meeting_id == meeting.id, _("この会議の資料ではありません。"), "attachment_id")
    check(attachment.content_type == "application/pdf", _("PDFの資料だけを全員に表示できます。"), "attachment_id")
    check(isinstance(page, int) and page >= 1, _("ページの指定が正しくありません。"), "page")
    lock(meeting)
    _in_session(meeting)
    pages = pdf_pages(attachment)
    check(pages is None or page <= pages, _("この資料は%(pages)dページまでです。", pages=pages or 0), "page")
    if meeting.presented_attachment_id == attachment.id and meeting.presented_page == page:
        return
    other = meeting.presented_attachment_id != attachment.id
    meeting.presented_attachment_id, meeting.presented_page = attachment.id, page
    db.session.flush()
    if other:
        audit.record(actor, "meeting.material_shown", meeting, label=f"{meeting_name(meeting)} {attachment.original_name}",
                     attachment_id=attachment.id, name=attachment.original_name)
    live.touch(meeting.id)


def stop_showing(meeting: Meeting, *, actor) -> None:
    """「表示をやめる」: the tablets and the screen show no 資料 (each member may still open one)."""
    require(can_run(actor, meeting), "only the secretariat or the chair presents 資料")
    lock(meeting)
    once(meeting.presented_attachment_id is not None, _("全員に表示している資料はありません。"))
    before = meeting.presented_attachment_id
    meeting.presented_attachment_id = meeting.presented_page = None
    db.session.flush()
    audit.record(actor, "meeting.material_hidden", meeting, label=meeting_name(meeting), before=before)
    live.touch(meeting.id)


# --------------------------------------------------------------------------------------------- check-in

def check_in_seat(meeting: Meeting, membership: Membership, *, actor, mode: str, proxy_name: str = "",
                  proxy_title: str = "", now: datetime | None = None) -> Attendance:
    """受付: the seat present (本人), present through a proxy (代理: name and title), or absent (欠席)."""
    check(mode in CHECK_IN_MODES, _("出席・代理出席・欠席のいずれかを選んでください。"), "mode")
    if mode == "proxy":
        require(meeting_rules.can_manage(actor), "only the secretariat records a proxy")
        proxy_name, proxy_title = (proxy_name or "").strip(), (proxy_title or "").strip()
        check(proxy_name, _("代理出席者の氏名を入力してください。"), "proxy_name")
        check(len(proxy_name) <= 100 and len(proxy_title) <= 100, _("氏名・職名は100文字以内で入力してください。"),
              "proxy_name")
    attendance = meeting_rules.check_in(meeting, membership, actor=actor, present=mode != "absent", now=now)
    if mode == "proxy":
        attendance.response, attendance.proxy_name, attendance.proxy_title = AttendanceResponse.PROXY, proxy_name, proxy_title
    elif mode == "present" and attendance.response is AttendanceResponse.PROXY and meeting_rules.can_manage(actor):
        attendance.response = AttendanceResponse.ATTEND  # the member came in person after all
    db.session.flush()
    return attendance


# ---------------------------------------------------------------------------------------------- 挙手

def _open_hand(meeting: Meeting, membership_id: int) -> SpeakerRequest | None:
    return db.session.scalar(
        select(SpeakerRequest).where(SpeakerRequest.meeting_id == meeting.id, SpeakerRequest.membership_id == membership_id,
                                     SpeakerRequest.lowered_at.is_(None), SpeakerRequest.called_at.is_(None))
    )


def raise_hand(meeting: Meeting, membership: Membership, *, actor, now: datetime | None = None) -> SpeakerRequest:
    """挙手: the seat's own member asks to speak; the queue keeps the order of the hands."""
    require(membership.user_id == getattr(actor, "id", None), "members raise only their own hand")
    lock(meeting)
    _in_session(meeting)
    present = db.session.scalar(select(Attendance.present).where(
        Attendance.meeting_id == meeting.id, Attendance.membership_id == membership.id))
    check(present is True, _("挙手は出席の確認の後にできます。"))
    once(_open_hand(meeting, membership.id) is None, _("すでに挙手しています。"))
    hand = SpeakerRequest(meeting_id=meeting.id, membership_id=membership.id, agenda_item_id=meeting.current_item_id,
                          raised_at=now or utcnow())
    db.session.add(hand)
    db.session.flush()
    audit.record(actor, "hand.raised", meeting, label=f"{meeting_name(meeting)} {membership.seat_label}",
                 seat=membership.seat_label, item_id=meeting.current_item_id)
    live.touch(meeting.id)
    return hand


def lower_hand(meeting: Meeting, membership: Membership, *, actor, now: datetime | None = None) -> None:
    """The member lowers their hand (or the secretariat clears it)."""
    require(membership.user_id == getattr(actor, "id", None) or can_run(actor, meeting), "not this seat's hand")
    lock(meeting)
    hand = _open_hand(meeting, membership.id)
    once(hand is not None, _("挙手していません。"))
    hand.lowered_at = now or utcnow()
    db.session.flush()
    audit.record(actor, "hand.lowered", meeting, label=f"{meeting_name(meeting)} {membership.seat_label}",
                 seat=membership.seat_label)
    live.touch(meeting.id)


def call_speaker(meeting: Meeting, hand_id: int, *, actor, now: datetime | None = None) -> SpeakerRequest:
    """指名: the chair (or the secretariat) calls a raised hand; the speaker is recorded on the current item."""
    require(can_run(actor, meeting), "only the chair or the secretariat calls speakers")
    lock(meeting)
    _in_session(meeting)
    hand = db.session.get(SpeakerRequest, hand_id)
    check(hand is not None and hand.meeting_id == meeting.id, _("この挙手は見つかりません。"))
    once(hand.called_at is None, _("この委員はすでに指名されています。"))
    check(hand.lowered_at is None, _("この委員は挙手を取り下げました。"))
    hand.called_at, hand.called_by_id, hand.agenda_item_id = now or utcnow(), actor.id, meeting.current_item_id
    db.session.flush()
    seat = hand.membership.seat_label
    audit.record(actor, "speaker.called", meeting, label=f"{meeting_name(meeting)} {seat}", seat=seat,
                 item_id=meeting.current_item_id)
    live.touch(meeting.id)
    return hand


def open_hands(meeting: Meeting) -> list[SpeakerRequest]:
    """The queue: raised hands not yet called nor lowered, first raised first."""
    return list(db.session.scalars(
        select(SpeakerRequest).where(SpeakerRequest.meeting_id == meeting.id, SpeakerRequest.lowered_at.is_(None),
                                     SpeakerRequest.called_at.is_(None))
        .order_by(SpeakerRequest.raised_at, SpeakerRequest.id)
    ))


def speakers_by_item(meeting_id: int) -> dict[int | None, list[SpeakerRequest]]:
    """Who was called on which item, in the order called (the minutes' 発言者)."""
    result: dict[int | None, list[SpeakerRequest]] = {}
    for hand in db.session.scalars(
        select(SpeakerRequest).where(SpeakerRequest.meeting_id == meeting_id, SpeakerRequest.called_at.is_not(None))
        .order_by(SpeakerRequest.called_at, SpeakerRequest.id)
    ):
        result.setdefault(hand.agenda_item_id, []).append(hand)
    return result


# ------------------------------------------------------------------------------------------ screen link

def revoke_screen_link(meeting: Meeting, *, actor) -> int:
    """The projector's link stops working on every host; a new one is shown on the console."""
    require(meeting_rules.can_manage(actor), "only the secretariat revokes the screen link")
    lock(meeting)
    before = meeting.screen_generation
    meeting.screen_generation = before + 1
    db.session.flush()
    audit.record(actor, "meeting.screen_link_revoked", meeting, label=meeting_name(meeting),
                 before=before, after=meeting.screen_generation)
    live.touch(meeting.id)
    return meeting.screen_generation


def is_report(item: AgendaItem) -> bool:
    return item.kind is AgendaKind.REPORT
