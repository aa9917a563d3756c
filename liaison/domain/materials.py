"""資料番号: the numbers of a meeting's 資料 (資料1, 資料2-1, 資料2-2 …, 参考資料1 …).

An agenda item's 資料 carry the item's number in the agenda (資料3 for the third item), with -1, -2 …
when the item has several; the meeting's own documents (会議全体) are 参考資料1, 参考資料2 ….

Until 招集 the numbers follow the agenda as it is now (a reordered agenda renumbers them). At 招集
they are frozen into `Attachment.material_number` ("2-1", "3", "R1"): the members have them in their
招集通知, so a later reorder keeps them. A 資料 added after 招集 takes the next free number of its item
(資料2-3 after 資料2-2, 資料2-2 after 資料2) or, for an item without 資料 yet, the item's number if it is
still free and otherwise the next number after the highest one given.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import AgendaItem, Attachment, Meeting

REFERENCE = "R"  # prefix of a stored 参考資料 number
_ITEM_NUMBER = re.compile(r"^(\d+)(?:-(\d+))?$")


def _ordered(agenda: Iterable[AgendaItem]) -> list[AgendaItem]:
    return sorted(agenda, key=lambda item: item.position)


def computed_numbers(agenda: Iterable[AgendaItem], attachments: Iterable[Attachment]) -> dict[int, str]:
    """The numbers from the agenda's present order (no stored number looked at): attachment id -> "2-1"."""
    by_item: dict[int | None, list[Attachment]] = {}
    for attachment in sorted(attachments, key=lambda a: a.id):
        by_item.setdefault(attachment.agenda_item_id, []).append(attachment)
    numbers: dict[int, str] = {}
    for index, item in enumerate(_ordered(agenda), start=1):
        documents = by_item.get(item.id, [])
        for sub, document in enumerate(documents, start=1):
            numbers[document.id] = str(index) if len(documents) == 1 else f"{index}-{sub}"
    for sub, document in enumerate(by_item.get(None, []), start=1):
        numbers[document.id] = f"{REFERENCE}{sub}"
    return numbers


def numbers_of(agenda: Iterable[AgendaItem], attachments: Iterable[Attachment]) -> dict[int, str]:
    """Every 資料's number: the stored one where frozen, else the computed one."""
    attachments = list(attachments)
    computed = computed_numbers(agenda, attachments)
    return {a.id: a.material_number or computed.get(a.id, "") for a in attachments}


def label_of(number: str) -> str:
    """"2-1" -> 資料2-1, "R1" -> 参考資料1; empty for a 資料 that has none."""
    if not number:
        return ""
    if number.startswith(REFERENCE):
        return _("参考資料%(n)s", n=number[len(REFERENCE):])
    return _("資料%(n)s", n=number)


def labels_of(agenda: Iterable[AgendaItem], attachments: Iterable[Attachment]) -> dict[int, str]:
    """attachment id -> 「資料2-1」 / 「参考資料1」, for every list of a meeting's 資料."""
    return {key: label_of(number) for key, number in numbers_of(agenda, attachments).items()}


def sort_key(number: str) -> tuple:
    """Order of the 資料 list: 資料1, 資料2-1, 資料2-2 … then 参考資料1 …."""
    if number.startswith(REFERENCE):
        return (1, int(number[len(REFERENCE):] or 0), 0)
    match = _ITEM_NUMBER.match(number or "")
    if not match:
        return (2, 0, 0)
    return (0, int(match.group(1)), int(match.group(2) or 0))


def _meeting_documents(meeting: Meeting) -> list[Attachment]:
    return list(db.session.scalars(select(Attachment).where(Attachment.meeting_id == meeting.id)))


def freeze(meeting: Meeting) -> None:
    """At 招集: keep the numbers the notice lists (a 資料 numbered already keeps its number)."""
    documents = _meeting_documents(meeting)
    numbers = numbers_of(meeting.agenda_items, documents)
    for document in documents:
        if not document.material_number:
            document.material_number = numbers[document.id]


def number_new(meeting: Meeting, attachment: Attachment) -> None:
    """After 招集: give a new 資料 the next free number of its item (see the module's text)."""
    if meeting.convened_at is None or attachment.material_number:
        return
    others = [a for a in _meeting_documents(meeting) if a.id != attachment.id]
    numbers = numbers_of(meeting.agenda_items, others)
    if attachment.agenda_item_id is None:
        taken = [int(n[len(REFERENCE):]) for n in numbers.values() if n.startswith(REFERENCE) and n[1:].isdigit()]
        attachment.material_number = f"{REFERENCE}{max(taken, default=0) + 1}"
        return
    bases: dict[int, list[int]] = {}
    mine: list[tuple[int, int]] = []
    for other in others:
        match = _ITEM_NUMBER.match(numbers.get(other.id, ""))
        if not match:
            continue
        base, sub = int(match.group(1)), int(match.group(2) or 1)
        bases.setdefault(base, []).append(sub)
        if other.agenda_item_id == attachment.agenda_item_id:
            mine.append((base, sub))
    if mine:
        base = mine[0][0]
        attachment.material_number = f"{base}-{max(sub for b, sub in mine if b == base) + 1}"
        return
    position = next(
        (index for index, item in enumerate(_ordered(meeting.agenda_items), start=1) if item.id == attachment.agenda_item_id),
        None,
    )
    base = position if position is not None and position not in bases else max(bases, default=0) + 1
    attachment.material_number = str(base)
