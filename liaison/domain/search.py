"""The union-wide search (/minutes/): published minutes and the proposals the user may read, in one list.

Both kinds match the same way: every word of the query (split at spaces) must occur as a substring
(liaison.textsearch) — in a published minutes version's text, or in a proposal's title, summary or
body (`proposal_queries.search_condition`). Which proposals a user finds is `proposal_queries.readable_condition`,
the proposals area's own `can_view` as SQL. Newest first: minutes by their meeting's date, proposals
by their last change. A page costs four queries whatever its size: the count, the page's keys (one
UNION ALL, one column 'kind:id' so the public `db.paginate` pages it), then the minutes and the
proposals on it.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import String, cast, literal, select, union_all
from sqlalchemy.orm import joinedload

from .. import textsearch
from ..extensions import db
from ..models import Committee, Meeting, Minutes, MinutesVersion, Proposal
from . import minutes as minutes_rules
from . import proposal_queries


class ResultKind(enum.Enum):
    MINUTES = "minutes"
    PROPOSAL = "proposal"


def kind_label(kind: ResultKind) -> str:
    return {ResultKind.MINUTES: _("議事録"), ResultKind.PROPOSAL: _("提案")}[kind]


@dataclass
class Result:
    """One hit: a published minutes version or a proposal, with the date it is sorted by."""

    kind: ResultKind
    at: datetime
    version: MinutesVersion | None = None
    proposal: Proposal | None = None

    @property
    def text(self) -> str:
        if self.version is not None:
            return self.version.search_text
        return "\n".join((self.proposal.title, self.proposal.summary, self.proposal.body))

    def snippet(self, q: str) -> str:
        return textsearch.snippet(self.text, q)


def _kind_column(kind: ResultKind):
    return literal(kind.value, type_=String(20)).label("kind")


def search_query(user, q: str = "", committee: Committee | None = None, kind: ResultKind | None = None):
    """The key ('minutes:12', 'proposal:3') of every hit, newest first: a one-column select for `pagination.paginate`."""
    parts = []
    if kind in (None, ResultKind.MINUTES):
        parts.append(minutes_rules.published_select(
            _kind_column(ResultKind.MINUTES), MinutesVersion.id.label("id"), Meeting.starts_at.label("at"),
            q=q, committee=committee,
        ))
    if kind in (None, ResultKind.PROPOSAL):
        proposals = select(_kind_column(ResultKind.PROPOSAL), Proposal.id.label("id"), Proposal.updated_at.label("at"))
        proposals = proposals.where(proposal_queries.readable_condition(user))
        for term in textsearch.terms(q):
            proposals = proposals.where(proposal_queries.search_condition(term))
        if committee is not None:
            proposals = proposals.where(Proposal.committee_id == committee.id)
        parts.append(proposals)
    hits = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    key = (hits.c.kind + ":" + cast(hits.c.id, String)).label("key")
    return select(key).order_by(hits.c.at.desc(), hits.c.kind, hits.c.id.desc())


def _parse(key: str) -> tuple[ResultKind, int]:
    kind, _sep, raw_id = key.partition(":")
    return ResultKind(kind), int(raw_id)


def load(keys) -> list[Result]:
    """The keys of a page of search_query as Results, their objects loaded in one query per kind."""
    hits = [_parse(key) for key in keys]
    ids = {kind: [hit_id for hit_kind, hit_id in hits if hit_kind is kind] for kind in ResultKind}
    versions, proposals = {}, {}
    if ids[ResultKind.MINUTES]:
        versions = {
            version.id: version
            for version in db.session.scalars(
                select(MinutesVersion)
                .options(joinedload(MinutesVersion.minutes).joinedload(Minutes.meeting).joinedload(Meeting.committee))
                .where(MinutesVersion.id.in_(ids[ResultKind.MINUTES]))
            )
        }
    if ids[ResultKind.PROPOSAL]:
        proposals = {
            proposal.id: proposal
            for proposal in db.session.scalars(
                select(Proposal)
                .options(joinedload(Proposal.committee), joinedload(Proposal.submitting_body))
                .where(Proposal.id.in_(ids[ResultKind.PROPOSAL]))
            )
        }
    results = []
    for kind, hit_id in hits:
        if kind is ResultKind.MINUTES:
            version = versions[hit_id]
            results.append(Result(kind, version.minutes.meeting.starts_at, version=version))
        else:
            proposal = proposals[hit_id]
            results.append(Result(kind, proposal.updated_at, proposal=proposal))
    return results
