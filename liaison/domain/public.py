"""The public 会議録 pages (情報公開, /public/): published minutes and decisions, readable without login.

Only committees whose administrator turned `public_minutes` on appear, and of them only the published
version of published minutes (never a draft, a version under review, a proposal draft or a ballot).
Decisions are what those published minutes record: each item's outcome and its vote's tallies, so an
open vote's per-seat choices and a secret vote's ballots never reach the public pages.

Personal names are masked per committee (`public_mask_names`): a member becomes 「さいたま市委員」 (their
seat), a proxy 「さいたま市委員の代理者」, the secretariat 「事務局」 and the chair their role; with
`public_keep_officers` the secretariat's and the chair's (and vice chair's) names stay. Masking is applied
to the generated facts and to the secretariat's text (every spelling of a masked name is replaced), and
the public search matches the masked text, so a name cannot be found by searching for it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import case, literal, or_, select
from sqlalchemy.orm import defer, joinedload

from .. import textsearch
from ..dates import format_date
from ..extensions import db
from ..labels import role_label
from ..models import Committee, Meeting, Minutes, MinutesStatus, MinutesVersion, Role, User
from .. import events
from ..events import Event
from . import audit, require
from . import minutes as minutes_rules
from .minutes_signers import public_lines as signer_lines  # noqa: F401 (the public pages' 議事録署名人)

SEARCH_LIMIT = 100
FEED_ENTRIES = 30
MASK_WORDS = ("委員", "代理", "事務局", "議長", "部会長")  # what masked names are made of


# ------------------------------------------------------------------------------------------ settings

def set_settings(committee: Committee, *, actor, public: bool, mask_names: bool, keep_officers: bool) -> Committee:
    """The administrator decides whether a committee's minutes are public and how names are masked."""
    require(getattr(actor, "is_admin", False), "administrators only")
    fields = {"public_minutes": bool(public), "public_mask_names": bool(mask_names),
              "public_keep_officers": bool(keep_officers)}
    changes = {field: (getattr(committee, field), value) for field, value in fields.items()
               if getattr(committee, field) != value}
    if not changes:
        return committee
    for field, (_old, new) in changes.items():
        setattr(committee, field, new)
    audit.record(actor, "committee.public_settings", committee, changes=changes)
    if {"public_mask_names", "public_keep_officers"} & set(changes):
        store_copies(committee)  # the stored public copies follow the new masking
    db.session.flush()
    return committee


# ------------------------------------------------------------------------------------------- reading

def public_committees() -> list[Committee]:
    return list(db.session.scalars(
        select(Committee).where(Committee.public_minutes.is_(True)).order_by(Committee.position, Committee.id)
    ))


def public_committee(slug: str) -> Committee | None:
    return db.session.scalar(select(Committee).where(Committee.slug == slug, Committee.public_minutes.is_(True)))


# What a list needs of a version when its public copy is stored: not the facts, texts and search columns.
_HEAVY = (MinutesVersion.facts, MinutesVersion.texts, MinutesVersion.search_text, MinutesVersion.search_key)


def _published(committee: Committee | None = None, fiscal_year: int | None = None, q: str = "", stored: bool = False):
    query = (
        minutes_rules.published_select(MinutesVersion, q=q, committee=committee)
        .join(Committee, Committee.id == Meeting.committee_id)
        .where(Committee.public_minutes.is_(True), Minutes.status == MinutesStatus.PUBLISHED)
        .options(joinedload(MinutesVersion.minutes).joinedload(Minutes.meeting).joinedload(Meeting.committee))
        .order_by(Meeting.starts_at.desc(), Minutes.id.desc())
    )
    if stored:
        query = query.options(*(defer(column) for column in _HEAVY))
    if fiscal_year is not None:
        query = query.where(Meeting.fiscal_year == fiscal_year)
    return query


def fiscal_years(committee: Committee | None = None) -> list[int]:
    """The fiscal years with public minutes, newest first."""
    query = (
        select(Meeting.fiscal_year).distinct().select_from(Minutes).join(Meeting, Meeting.id == Minutes.meeting_id)
        .join(Committee, Committee.id == Meeting.committee_id)
        .where(Committee.public_minutes.is_(True), Minutes.status == MinutesStatus.PUBLISHED,
               Minutes.published_version.is_not(None))
    )
    if committee is not None:
        query = query.where(Committee.id == committee.id)
    return sorted(db.session.scalars(query), reverse=True)


@dataclass
class PublicMinutes:
    """A published minutes version as the public sees it: masked facts and texts, the approval line."""

    minutes: Minutes
    version: MinutesVersion
    facts: dict
    texts: dict
    approval: str
    stored_text: str | None = None

    @property
    def meeting(self) -> Meeting:
        return self.minutes.meeting

    @property
    def committee(self) -> Committee:
        return self.minutes.meeting.committee

    @property
    def text(self) -> str:
        if self.stored_text is not None:
            return self.stored_text
        return "\n".join(minutes_rules.document_lines(self.facts, self.texts))

    def snippet(self, q: str, width: int = 40) -> str:
        """The text around the first word of q found as typed (a quick str.find); else the normalised search's
        snippet, which folds the whole text character by character (slow on long minutes: 100 results × ~30 ms)."""
        text = self.text
        for term in textsearch.terms(q):
            index = text.find(term)
            if index >= 0:
                window = textsearch.snippet(text[max(0, index - 2 * width):index + len(term) + 2 * width], term, width)
                return ("…" if index > 2 * width and not window.startswith("…") else "") + window
        return textsearch.snippet(text, q, width)

    def decisions(self) -> list[dict]:
        """The items with an outcome or a closed vote's result (tallies only)."""
        return [item for item in self.facts["items"] if item.get("vote") or item.get("outcome")]


def minutes_list(committee: Committee | None = None, fiscal_year: int | None = None, q: str = "") -> list[PublicMinutes]:
    """Public minutes, newest first (at most SEARCH_LIMIT); every word of q must occur in the masked text.

    The search runs in SQL on the stored masked text (`public_search_key`, normalised: 「ＤＸ」 finds what 「DX」
    finds), so a masked name is not findable and nothing is masked at request time.
    """
    query = _published(committee, fiscal_year, stored=True)
    terms = textsearch.terms(q)
    # A copy made with other settings than the committee's current ones (or none) is let through and checked below.
    marker = (literal(MARK) + case((Committee.public_mask_names.is_(True), MASKED[True]), else_=MASKED[False])
              + case((Committee.public_keep_officers.is_(True), KEPT[True]), else_=KEPT[False]) + MARK + "%")
    stale = or_(MinutesVersion.public_search_key.is_(None), ~MinutesVersion.public_search_key.like(marker))
    for term in terms:
        query = query.where(or_(stale, textsearch.contains((MinutesVersion.public_search_key,), term)))
    results = []
    for version in db.session.scalars(query.limit(SEARCH_LIMIT)).unique():
        shown = masked(version.minutes, version, _STORED)
        if shown.stored_text is None and terms:  # masked now: check the words in Python
            text = textsearch.normalise(shown.text)
            if not all(textsearch.normalise(term) in text for term in terms):
                continue
        results.append(shown)
    return results


def minutes_by_id(minutes_id: int) -> PublicMinutes | None:
    """The public view of one minutes (None: not published, or its committee is not public)."""
    minutes = db.session.scalar(
        select(Minutes).options(joinedload(Minutes.versions), joinedload(Minutes.meeting).joinedload(Meeting.committee))
        .where(Minutes.id == minutes_id)
    )
    if minutes is None or minutes.status is not MinutesStatus.PUBLISHED:
        return None
    if not minutes.meeting.committee.public_minutes:
        return None
    version = minutes_rules.published_version(minutes)
    return None if version is None else masked(minutes, version)


def newest_published(limit: int = FEED_ENTRIES) -> list[PublicMinutes]:
    """For the Atom feed: the most recently published public minutes."""
    query = (
        minutes_rules.published_select(MinutesVersion)
        .join(Committee, Committee.id == Meeting.committee_id)
        .where(Committee.public_minutes.is_(True), Minutes.status == MinutesStatus.PUBLISHED)
        .options(joinedload(MinutesVersion.minutes).joinedload(Minutes.meeting).joinedload(Meeting.committee),
                 *(defer(column) for column in _HEAVY))
        .order_by(Minutes.published_at.desc(), Minutes.id.desc()).limit(limit)
    )
    versions = list(db.session.scalars(query).unique())
    return [masked(version.minutes, version, _STORED) for version in versions]


def _approvers(versions: list[MinutesVersion]) -> dict[int, User]:
    """The approvers of a list's versions, in one query."""
    ids = {version.approved_by_id for version in versions if version.approved_by_id}
    return {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}


# ------------------------------------------------------------------------------------------- masking

def _spellings(name: str, places: tuple[str, ...] = ()) -> list[str]:
    """A name as the secretariat may have typed it: 「佐藤 健一」, 「佐藤健一」, 「佐藤」.

    The family name alone is left out when it is part of a place or body name (「川越」 of 川越市).
    """
    name = (name or "").strip()
    if not name:
        return []
    parts = [part for part in re.split(r"[\s\u3000]+", name) if part]
    spellings = {name, "".join(parts), " ".join(parts), "\u3000".join(parts)}
    family = parts[0]
    if len(parts) > 1 and len(family) >= 2 and not any(family in place for place in places):
        spellings.add(family)  # the family name alone (「佐藤委員」)
    return sorted(spellings, key=len, reverse=True)


class _Masker:
    def __init__(self, committee: Committee, places: tuple[str, ...]):
        self.committee = committee
        self.places = places
        self.replacements: dict[str, str] = {}
        self.officer_roles = {role_label(Role.CHAIR, committee), role_label(Role.VICE_CHAIR, committee)}

    def officer(self, role: str) -> bool:
        return self.committee.public_keep_officers and role in self.officer_roles

    def mask(self, name: str, replacement: str) -> str:
        for spelling in _spellings(name, self.places):
            self.replacements.setdefault(spelling, replacement)
        return replacement

    def text(self, text: str) -> str:
        if not text or not self.replacements:
            return text
        pattern = re.compile("|".join(re.escape(s) for s in sorted(self.replacements, key=len, reverse=True)))
        return pattern.sub(lambda match: self.replacements[match.group(0)], text)


_LOOK_UP = object()
_STORED = object()  # a list's versions: their stored copy is used (loaded without facts and texts)


# The search key starts with the settings it was masked with, in private-use characters nobody types.
MARK, MASKED, KEPT = "\ue000", {True: "\ue001", False: "\ue002"}, {True: "\ue003", False: "\ue004"}


def search_key(committee, text: str) -> str:
    """The normalised masked text, prefixed with the masking settings (so SQL can tell a stale copy)."""
    mask, keep = settings_key(committee)
    return f"{MARK}{MASKED[mask]}{KEPT[keep]}{MARK}{textsearch.normalise(text)}"


def settings_key(committee) -> list[bool]:
    """The masking settings a stored copy was made with."""
    return [bool(committee.public_mask_names), bool(committee.public_keep_officers)]


def masked(minutes: Minutes, version: MinutesVersion, approver=_LOOK_UP) -> PublicMinutes:
    """The public view of a version: its stored copy when it was made with the committee's current settings,
    else masked now (approver: if already loaded)."""
    committee = minutes.meeting.committee
    copy = version.public_copy
    if copy and copy.get("settings") == settings_key(committee):
        return PublicMinutes(minutes, version, copy["facts"], copy["texts"], copy["approval"],
                             stored_text=version.public_text)
    if approver is _STORED or approver is _LOOK_UP:
        approver = minutes_rules.approver_of(version)
    return mask(committee, version, approver.name if approver else "", minutes)


def store_copy(minutes: Minutes, version: MinutesVersion) -> None:
    """Keep the version's public copy (at publication, and when the masking settings change)."""
    approver = minutes_rules.approver_of(version)
    fill_copy(version, mask(minutes.meeting.committee, version, approver.name if approver else "", minutes))


def fill_copy(target, shown: PublicMinutes) -> None:
    """Write a masked view into `target`'s public_copy, public_text and public_search_key (a row or a dict)."""
    text = shown.text
    values = {"public_copy": {"settings": settings_key(shown.committee_settings), "facts": shown.facts,
                              "texts": shown.texts, "approval": shown.approval},
              "public_text": text, "public_search_key": search_key(shown.committee_settings, text)}
    for key, value in values.items():
        if isinstance(target, dict):
            target[key] = value
        else:
            setattr(target, key, value)


def store_copies(committee: Committee | None = None) -> int:
    """Keep the public copy of every published version (of one committee); returns how many."""
    query = minutes_rules.published_select(MinutesVersion, committee=committee).where(
        Minutes.status == MinutesStatus.PUBLISHED).options(
        joinedload(MinutesVersion.minutes).joinedload(Minutes.meeting).joinedload(Meeting.committee))
    versions = list(db.session.scalars(query).unique())
    approvers = _approvers(versions)
    for version in versions:
        approver = approvers.get(version.approved_by_id)
        fill_copy(version, mask(version.minutes.meeting.committee, version, approver.name if approver else "",
                                version.minutes))
    return len(versions)


@events.listen(Event.MINUTES_PUBLISHED)
def _published_minutes(minutes: Minutes, version: MinutesVersion | None = None, **data) -> None:
    store_copy(minutes, version or minutes_rules.published_version(minutes))


def mask(committee, version, approver_name: str, minutes: Minutes | None = None) -> PublicMinutes:
    """The version with personal names masked per the committee's settings. Pure: `committee` needs only
    name, parent_id, public_mask_names and public_keep_officers, `version` facts, texts, approved_at and
    approver_role (the migration that fills the stored copies calls it with plain rows)."""
    facts, texts = _copy_facts(version.facts), dict(version.texts)
    approver = _Named(approver_name) if approver_name else None
    with force_locale("ja"):
        if not committee.public_mask_names:
            return _shown(minutes, version, facts, texts, _approval(version, approver.name if approver else ""), committee)
        attendance = facts["attendance"]
        people = attendance["present"] + attendance["absent"] + attendance["proxies"]
        places = (committee.name, facts.get("place", ""), _("事務局"), *(person["seat"] for person in people),
                  *(item.get("presenter", "") for item in facts["items"]))
        masker = _Masker(committee, places)
        kept: set[str] = set()
        # Translated once per version (gettext costs more than the masking itself).
        member, proxy, secretariat = _("%(seat)s委員"), _("%(seat)s委員の代理者"), _("事務局")
        for person in people:
            if masker.officer(person.get("role", "")):
                kept.add(person["name"])
            else:
                person["name"] = masker.mask(person["name"], member % {"seat": person["seat"]})
            if "proxy_name" in person:
                person["proxy_name"] = masker.mask(person["proxy_name"], proxy % {"seat": person["seat"]})
        for person in facts["secretariat"]:
            if committee.public_keep_officers:
                kept.add(person["name"])
            else:
                person["name"] = masker.mask(person["name"], secretariat)
        chair = role_label(Role.CHAIR, committee)
        for item in facts["items"]:
            vote = item.get("vote")
            if vote and vote.get("casting_by") and not (committee.public_keep_officers and vote["casting_by"] in kept):
                vote["casting_by"] = masker.mask(vote["casting_by"], chair)
        approver_name = approver.name if approver else ""
        if approver_name and committee.public_keep_officers:
            kept.add(approver_name)  # the approver is the chair or the vice chair
        elif approver_name:
            masker.mask(approver_name, version.approver_role or chair)
            approver_name = ""
        for name in kept:  # a kept name is never replaced, even where it shares a family name
            for spelling in _spellings(name, masker.places):
                masker.replacements.pop(spelling, None)
        texts = {key: masker.text(value) for key, value in texts.items()}
        for item in facts["items"]:
            item["title"] = masker.text(item["title"])
        return _shown(minutes, version, facts, texts, _approval(version, approver_name), committee)


@dataclass
class _Named:
    name: str


def _shown(minutes, version, facts, texts, approval, committee) -> PublicMinutes:
    shown = PublicMinutes(minutes, version, facts, texts, approval)
    shown.committee_settings = committee
    return shown


def _copy_facts(facts: dict) -> dict:
    """A copy of the parts masking changes (people, items and their votes); the rest is shared."""
    copied = dict(facts)
    copied["attendance"] = {key: [dict(p) for p in value] if isinstance(value, list) else value
                            for key, value in facts["attendance"].items()}
    copied["secretariat"] = [dict(person) for person in facts["secretariat"]]
    copied["items"] = [dict(item, vote=dict(item["vote"]) if item.get("vote") else item.get("vote"))
                       for item in facts["items"]]
    return copied


def _approval(version: MinutesVersion, name: str) -> str:
    """承認日 令和8年7月1日 承認者 部会長 [name] (the name left out when masked)."""
    if version.approved_at is None:
        return ""
    line = _("承認日 %(date)s\u3000承認者 %(role)s %(name)s", date=format_date(version.approved_at, wareki=True),
             role=version.approver_role, name=name)
    return line.rstrip()


def masked_names(minutes: Minutes, version: MinutesVersion) -> set[str]:
    """The names the public must not see in this version (for tests and checks)."""
    shown = masked(minutes, version)
    names = set()
    original, public = version.facts["attendance"], shown.facts["attendance"]
    for kind in ("present", "absent", "proxies"):
        for before, after in zip(original[kind], public[kind]):
            if before["name"] != after["name"]:
                names.add(before["name"])
            if before.get("proxy_name") and before["proxy_name"] != after.get("proxy_name"):
                names.add(before["proxy_name"])
    for before, after in zip(version.facts["secretariat"], shown.facts["secretariat"]):
        if before["name"] != after["name"]:
            names.add(before["name"])
    return names
