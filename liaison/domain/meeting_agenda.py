"""Meetings: the agenda (議事) and the 資料 attached to a meeting or one of its items.

A change of an announced meeting's agenda raises `sequence` and emits "meeting.changed" (what=added/updated/
removed/moved); "agenda_item.removed" goes out before an item is deleted (a linked proposal may go back).
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from . import attachments as files
from .. import events
from ..events import Event
from ..extensions import db
from ..models import AgendaItem, AgendaKind, Attachment, Body, Meeting
from . import audit, check, live, materials, require
from .meeting_permissions import ANNOUNCED, ATTACHABLE, EDITABLE, can_manage
from .meeting_permissions import touch as _touch

MAX_MINUTES = 600


# --------------------------------------------------------------------------------------------- agenda

def _check_agenda_editable(meeting: Meeting) -> None:
    check(meeting.status in EDITABLE, _("開催済み・中止の会議の議事は変更できません。"), "status")


def _agenda_changed(meeting: Meeting, what: str) -> None:
    _touch(meeting)
    if meeting.status in ANNOUNCED:
        meeting.sequence += 1
        events.emit(Event.MEETING_CHANGED, meeting, changed=["agenda"], what=what)


def _clean_item(kind, title, minutes_allotted, notes) -> dict:
    check(isinstance(kind, AgendaKind), _("議事の種類を選んでください。"), "kind")
    title = (title or "").strip()
    check(title, _("議事の件名を入力してください。"), "title")
    check(len(title) <= 200, _("件名は200文字以内で入力してください。"), "title")
    if minutes_allotted is not None:
        check(
            0 < minutes_allotted <= MAX_MINUTES,
            _("所要時間は1〜%(max)d分で入力してください。", max=MAX_MINUTES),
            "minutes_allotted",
        )
    return {"kind": kind, "title": title, "minutes_allotted": minutes_allotted, "notes": (notes or "").strip()}


def _item_snapshot(item: AgendaItem) -> dict:
    return {
        "position": item.position, "kind": item.kind, "title": item.title, "presenter_body_id": item.presenter_body_id,
        "minutes_allotted": item.minutes_allotted, "notes": item.notes,
    }


def add_agenda_item(
    meeting: Meeting, *, actor, kind: AgendaKind, title: str, presenter_body: Body | None = None,
    minutes_allotted: int | None = None, notes: str = "",
) -> AgendaItem:
    """Append an item (議事) to the agenda; presenter None means the secretariat (事務局)."""
    require(can_manage(actor), "only the secretariat builds agendas")
    _check_agenda_editable(meeting)
    values = _clean_item(kind, title, minutes_allotted, notes)
    position = max((item.position for item in meeting.agenda_items), default=0) + 1
    item = AgendaItem(meeting=meeting, position=position, presenter_body=presenter_body, **values)
    db.session.add(item)
    db.session.flush()
    _agenda_changed(meeting, "added")
    audit.record(actor, "agenda_item.added", item, label=item.title, after=_item_snapshot(item))
    return item


def update_agenda_item(
    item: AgendaItem, *, actor, kind: AgendaKind, title: str, presenter_body: Body | None = None,
    minutes_allotted: int | None = None, notes: str = "",
) -> bool:
    require(can_manage(actor), "only the secretariat builds agendas")
    _check_agenda_editable(item.meeting)
    values = _clean_item(kind, title, minutes_allotted, notes)
    values["presenter_body_id"] = presenter_body.id if presenter_body else None
    before = _item_snapshot(item)
    changed = {name: value for name, value in values.items() if getattr(item, name) != value}
    if not changed:
        return False
    for name, value in changed.items():
        setattr(item, name, value)
    item.presenter_body = presenter_body
    db.session.flush()
    _agenda_changed(item.meeting, "updated")
    after = _item_snapshot(item)
    audit.record(
        actor, "agenda_item.updated", item, label=item.title,
        before={k: v for k, v in before.items() if after[k] != v}, after={k: v for k, v in after.items() if before[k] != v},
    )
    return True


def remove_agenda_item(item: AgendaItem, *, actor) -> None:
    """Remove an item and its 資料; the rest close up. Emits "agenda_item.removed" first (a linked proposal returns)."""
    require(can_manage(actor), "only the secretariat builds agendas")
    meeting = item.meeting
    _check_agenda_editable(meeting)
    audit.record(actor, "agenda_item.removed", item, label=item.title, before=_item_snapshot(item))
    events.emit(Event.AGENDA_ITEM_REMOVED, item)
    for attachment in db.session.scalars(select(Attachment).where(Attachment.agenda_item_id == item.id)):
        files.remove(attachment)
    db.session.flush()  # the files' rows go before the item they point to
    meeting.agenda_items.remove(item)
    db.session.flush()
    for position, other in enumerate(meeting.agenda_items, start=1):
        other.position = position
    _agenda_changed(meeting, "removed")
    db.session.flush()


def move_agenda_item(item: AgendaItem, *, actor, direction: str) -> None:
    """Swap an item with its neighbour above ("up") or below ("down")."""
    require(can_manage(actor), "only the secretariat builds agendas")
    meeting = item.meeting
    _check_agenda_editable(meeting)
    check(direction in ("up", "down"), _("移動の方向が正しくありません。"))
    items = sorted(meeting.agenda_items, key=lambda i: i.position)
    index = items.index(item)
    other_index = index - 1 if direction == "up" else index + 1
    check(0 <= other_index < len(items), _("これ以上移動できません。"))
    other = items[other_index]
    before = item.position
    item.position, other.position = other.position, item.position
    db.session.flush()
    db.session.expire(meeting, ["agenda_items"])
    _agenda_changed(meeting, "moved")
    audit.record(actor, "agenda_item.moved", item, label=item.title, before=before, after=item.position)


# ------------------------------------------------------------------------------------------- 資料

def _check_attachable(meeting: Meeting) -> None:
    check(meeting.status in ATTACHABLE, _("中止した会議の資料は変更できません。"), "file")


def add_attachment(meeting: Meeting, file_storage, *, actor, agenda_item: AgendaItem | None = None) -> Attachment:
    """Attach an uploaded 資料 to the meeting, or to one of its agenda items."""
    require(can_manage(actor), "only the secretariat attaches documents")
    _check_attachable(meeting)
    check(agenda_item is None or agenda_item.meeting_id == meeting.id, _("議事が見つかりません。"), "agenda_item")
    attachment = files.store_upload(file_storage, actor=actor)
    attachment.meeting_id = meeting.id
    attachment.agenda_item_id = agenda_item.id if agenda_item else None
    db.session.flush()
    materials.number_new(meeting, attachment)
    _touch(meeting)
    audit.record(
        actor, "attachment.added", attachment, label=attachment.original_name,
        meeting_id=meeting.id, agenda_item_id=attachment.agenda_item_id, size=attachment.size,
    )
    return attachment


def remove_attachment(attachment: Attachment, *, actor) -> None:
    require(can_manage(actor), "only the secretariat removes documents")
    meeting = db.session.get(Meeting, attachment.meeting_id)
    _check_attachable(meeting)
    audit.record(actor, "attachment.removed", attachment, label=attachment.original_name, meeting_id=meeting.id)
    if meeting.presented_attachment_id == attachment.id:  # the live pages stop showing it
        meeting.presented_attachment_id = meeting.presented_page = None
        live.touch(meeting.id)
    files.remove(attachment)
    _touch(meeting)
    db.session.flush()
