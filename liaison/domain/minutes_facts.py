"""Minutes (議事録), the generated part: the facts of a held meeting (heading, attendance, agenda items, vote
results) as a version stores them, the section keys of the secretariat's text, and the whole version as plain
text lines (for the diff, the search and the public copy). Pure reading: nothing here changes a row.
"""
from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..dates import format_datetime, to_tokyo
from ..extensions import db
from ..labels import label, meeting_name, role_label
from ..models import AgendaItem, AttendanceResponse, Meeting, Membership, Minutes, Role, SpeakerRequest, User, Vote, VoteState
from . import check
from . import materials
from . import meetings as meeting_rules

OPENING, CLOSING = "opening", "closing"
MAX_TEXT = 20000


def item_key(item_id: int) -> str:
    return f"item-{item_id}"


# --------------------------------------------------------------------------------------------- labels

def section_labels() -> dict[str, str]:
    return {OPENING: _("開会・会議の概要"), CLOSING: _("その他・閉会")}


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


def _speakers(meeting: Meeting) -> dict[int, list[dict]]:
    """Who was called to speak (挙手・指名 at the sitting) on which item, in the order called."""
    speakers: dict[int, list[dict]] = {}
    for hand in db.session.scalars(
        select(SpeakerRequest).options(joinedload(SpeakerRequest.membership).joinedload(Membership.user),
                                       joinedload(SpeakerRequest.membership).joinedload(Membership.body))
        .where(SpeakerRequest.meeting_id == meeting.id, SpeakerRequest.called_at.is_not(None))
        .order_by(SpeakerRequest.called_at, SpeakerRequest.id)
    ):
        speakers.setdefault(hand.agenda_item_id, []).append(
            {"seat": hand.membership.seat_label, "name": hand.membership.user.name})
    return speakers


def _session(meeting: Meeting) -> dict | None:
    """開会 14:02 / 閉会 15:47 as recorded at the sitting (None for a meeting recorded as held afterwards)."""
    if meeting.session_opened_at is None:
        return None
    closed = meeting.session_closed_at
    return {"opened": f"{to_tokyo(meeting.session_opened_at):%H:%M}", "closed": f"{to_tokyo(closed):%H:%M}" if closed else ""}


def generate_facts(meeting: Meeting, *, actor=None) -> dict:
    """The facts of a held meeting, in Japanese (the minutes are an official Japanese record)."""
    with force_locale("ja"):
        agenda = _agenda(meeting)
        votes = vote_results(agenda)
        speakers = _speakers(meeting)
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
                "speakers": speakers.get(item.id, []),
                "materials": listed.get(item.id, []),
            })
        return {
            "name": meeting_name(meeting), "committee": meeting.committee.name,
            "fiscal_year": meeting.fiscal_year, "number": meeting.number, "title": meeting.title,
            "when": _when(meeting), "session": _session(meeting), "place": _place(meeting), "format": label(meeting.format),
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
        if facts.get("session"):
            lines.append(f"開会 {facts['session']['opened']} 閉会 {facts['session']['closed']}".rstrip())
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
                lines.append(f"表決時の出席 {vote['present']}/{vote['entitled']}")
            lines += [f"資料 {name}" for name in item.get("materials", [])]
            if item["outcome"]:
                lines.append(f"結果 {item['outcome']}")
            if item.get("speakers"):
                lines.append("発言者 " + "、".join(f"{p['seat']} {p['name']}" for p in item["speakers"]))
            lines += (texts.get(item_key(item["id"])) or "").splitlines()
        lines += (texts.get(CLOSING) or "").splitlines()
        return lines


def _person(person: dict) -> str:
    role = f"({person['role']})" if person.get("role") else ""
    return f"{person['seat']} {person['name']}{role}"


def clean_texts(facts: dict, texts: dict) -> dict:
    keys = section_keys(facts)
    cleaned = {}
    for key in keys:
        value = (texts.get(key) or "").replace("\r\n", "\n").strip()
        check(len(value) <= MAX_TEXT, _("各欄は%(max)d文字以内で入力してください。", max=MAX_TEXT), key)
        if value:
            cleaned[key] = value
    return cleaned

