"""議事録署名人 (issue 20 item 3): signers of a meeting's minutes and their electronic confirmation.

A committee setting (`Committee.minutes_signers`) says whether its minutes have signers and how many
members besides the chair (`minutes_signer_members`, e.g. the chair and two members). The secretariat names
them per meeting, from the members who were present; the chair's seat is always one of them. Each named
signer confirms on the minutes page (name and time are kept; no seal), once, audited, in the request's one
transaction. The confirmations appear on the minutes PDF and .docx as
「議事録署名人 川越市 山田 太郎 (令和8年12月4日 電子確認)」.

Approval: when the committee also sets `signers_before_approval`, the chair approves only once every
named signer has confirmed (the signers then confirm the version under review); otherwise the signers may
confirm before or after approval and the approval does not wait for them.
Signers may be named again (another choice) only while nobody has confirmed.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..dates import format_date, utcnow
from ..extensions import db
from ..labels import role_label
from ..models import AttendanceResponse, Membership, Minutes, MinutesSigner, MinutesStatus, Role
from . import audit, check, lock, once, require
from . import meetings as meeting_rules
from .minutes_access import _label, can_manage, latest_version

MAX_MEMBERS = 5
CONFIRMABLE = (MinutesStatus.IN_REVIEW, MinutesStatus.APPROVED, MinutesStatus.PUBLISHED)


def required(minutes: Minutes) -> bool:
    return bool(minutes.meeting.committee.minutes_signers)


def set_settings(committee, *, actor, required: bool, members: int, before_approval: bool) -> None:
    """The administrator's committee setting: signers or not, how many members besides the chair, and
    whether approval waits for every signer's confirmation."""
    require(getattr(actor, "is_admin", False), "only administrators set the minutes signers")
    check(members is not None and 0 <= members <= MAX_MEMBERS,
          _("議長のほかの署名人は0人から%(n)d人までで入力してください。", n=MAX_MEMBERS), "signer_members")
    fields = {"minutes_signers": bool(required), "minutes_signer_members": int(members),
              "signers_before_approval": bool(required and before_approval)}
    changes = {key: (getattr(committee, key), value) for key, value in fields.items() if getattr(committee, key) != value}
    if not changes:
        return
    for key, (_before, after) in changes.items():
        setattr(committee, key, after)
    db.session.flush()
    audit.record(actor, "committee.minutes_signers", committee, changes=changes)


def signers_of(minutes: Minutes) -> list[MinutesSigner]:
    """The named signers, the chair first (one query)."""
    return list(db.session.scalars(
        select(MinutesSigner).options(joinedload(MinutesSigner.user),
                                      joinedload(MinutesSigner.membership).joinedload(Membership.body))
        .where(MinutesSigner.minutes_id == minutes.id).order_by(MinutesSigner.position, MinutesSigner.id)
    ).unique())


def present_seats(minutes: Minutes) -> list[Membership]:
    """The meeting's voting seats whose holder was present (checked in, or answered 出席 when presence
    was not recorded); proxies are not the seat holder and cannot sign."""
    sheet = meeting_rules.attendance_sheet(minutes.meeting)
    seats = []
    for line in sheet.lines:
        answer = line.attendance
        if sheet.presence_recorded:
            attended = bool(answer and answer.present) and answer.response is not AttendanceResponse.PROXY
        else:
            attended = line.answered and answer.response is AttendanceResponse.ATTEND
        if attended:
            seats.append(line.membership)
    return seats


def candidates(minutes: Minutes) -> list[Membership]:
    """Members the secretariat may name besides the chair: present, with a vote, not the chair."""
    return [seat for seat in present_seats(minutes) if seat.role is not Role.CHAIR]


def name_signers(minutes: Minutes, *, actor, membership_ids: list[int], now: datetime | None = None) -> list[MinutesSigner]:
    """The secretariat names the meeting's signers: the chair and `minutes_signer_members` present members."""
    require(can_manage(actor), "only the secretariat names the signers of minutes")
    committee = minutes.meeting.committee
    check(committee.minutes_signers, _("この会議体は議事録署名人を置いていません。"), "signers")
    lock(minutes)
    check(minutes.status is not MinutesStatus.PUBLISHED, _("公開した議事録の署名人は変更できません。"), "signers")
    current = signers_of(minutes)
    check(not any(s.confirmed_at for s in current),
          _("署名人の確認が始まっているため、署名人は変更できません。"), "signers")
    wanted = list(dict.fromkeys(int(i) for i in membership_ids))
    count = committee.minutes_signer_members
    check(len(wanted) == count, _("議長のほかに%(n)d人の委員を選んでください。", n=count), "signers")
    allowed = {seat.id: seat for seat in candidates(minutes)}
    check(all(i in allowed for i in wanted), _("署名人は会議に出席した委員から選んでください。"), "signers")
    chair = next((line.membership for line in meeting_rules.attendance_sheet(minutes.meeting).lines
                  if line.membership.role is Role.CHAIR), None)
    check(chair is not None, _("この年度の議長(部会長)が登録されていないため、署名人を指名できません。"), "signers")
    if [s.membership_id for s in current] == [chair.id, *wanted]:
        return current
    for signer in current:
        db.session.delete(signer)
    db.session.flush()
    now = now or utcnow()
    seats = [chair, *(allowed[i] for i in wanted)]
    rows = [MinutesSigner(minutes_id=minutes.id, membership_id=seat.id, user_id=seat.user_id, position=n,
                          is_chair=seat is chair, named_at=now, named_by_id=actor.id) for n, seat in enumerate(seats)]
    db.session.add_all(rows)
    db.session.flush()
    audit.record(actor, "minutes.signers_named", minutes, label=_label(minutes),
                 before=[s.user.name for s in current] or None, after=[seat.user.name for seat in seats])
    return rows


def signer_of(minutes: Minutes, user) -> MinutesSigner | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(MinutesSigner).where(MinutesSigner.minutes_id == minutes.id,
                                                         MinutesSigner.user_id == user.id))


def can_confirm(user, minutes: Minutes) -> bool:
    signer = signer_of(minutes, user)
    return signer is not None and signer.confirmed_at is None and minutes.status in CONFIRMABLE


def confirm(minutes: Minutes, *, actor, now: datetime | None = None) -> MinutesSigner:
    """A named signer confirms the minutes electronically (once): the name and the time are kept."""
    signer = signer_of(minutes, actor)
    require(signer is not None, "only a named signer confirms")
    lock(minutes)
    db.session.refresh(signer)
    once(signer.confirmed_at is None, _("議事録の確認はすでに済んでいます。"))
    check(minutes.status in CONFIRMABLE, _("委員確認が始まってから確認できます。"), "status")
    now = now or utcnow()
    signer.confirmed_at = now
    signer.confirmed_version = latest_version(minutes).number
    db.session.flush()
    audit.record(actor, "minutes.signer_confirmed", minutes, label=_label(minutes), version=signer.confirmed_version,
                 signer=actor.name)
    return signer


def all_confirmed(minutes: Minutes) -> bool:
    signers = signers_of(minutes)
    return bool(signers) and all(s.confirmed_at is not None for s in signers)


def approval_refusal(minutes: Minutes) -> str | None:
    """Why the chair may not approve yet (the committee waits for its signers), or None."""
    committee = minutes.meeting.committee
    if not (committee.minutes_signers and committee.signers_before_approval):
        return None
    if not signers_of(minutes):
        return _("議事録署名人が指名されていません。事務局が署名人を指名し、全員が確認してから承認してください。")
    if not all_confirmed(minutes):
        return _("議事録署名人全員の確認がそろっていません。全員が確認してから承認してください。")
    return None


def lines(minutes: Minutes, signers: list[MinutesSigner] | None = None, masked=None) -> list[str]:
    """「議事録署名人 議長 さいたま市 佐藤 健一 (令和8年12月4日 電子確認)」, one line per named signer.

    `masked(signer)`: what stands for the seat and name on the public pages (「さいたま市委員」), None to keep them.
    """
    signers = signers_of(minutes) if signers is None else signers
    committee = minutes.meeting.committee
    with force_locale("ja"):
        result = []
        for signer in signers:
            seat = signer.membership
            who = f"{role_label(Role.CHAIR, committee)} " if signer.is_chair else ""
            shown = masked(signer) if masked else None
            who += shown if shown is not None else f"{seat.seat_label} {signer.user.name}"
            if signer.confirmed_at is not None:
                state = _("%(date)s 電子確認", date=format_date(signer.confirmed_at, weekday=False))
            else:
                state = _("未確認")
            result.append(_("議事録署名人 %(who)s (%(state)s)", who=who, state=state))
        return result


def public_lines(shown) -> list[str]:
    """The lines on the public 会議録 page and PDF (`shown`: liaison.domain.public.PublicMinutes), read when shown
    (signers may confirm after publication), names as the committee's masking allows: masked as the attendance is
    (「さいたま市委員」), the chair's and vice chair's kept with public_keep_officers. No query without signers."""
    minutes, committee = shown.minutes, shown.committee
    if not required(minutes):
        return []
    if not committee.public_mask_names:
        return lines(minutes)
    with force_locale("ja"):
        member = _("%(seat)s委員")

    def masked_seat(signer) -> str | None:
        seat = signer.membership
        if committee.public_keep_officers and seat.role in (Role.CHAIR, Role.VICE_CHAIR):
            return None
        return member % {"seat": seat.seat_label}

    return lines(minutes, masked=masked_seat)
