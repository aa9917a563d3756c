"""年度アーカイブ: one fiscal year of a committee as a ZIP, written entry by entry to a file.

Every 招集通知 and the published minutes as PDF/A, the decisions and each closed vote's ballots as CSV
(through csv_export), the committee's audit trail of the year as CSV, and an index: index.html and
manifest.csv with the SHA-256 and size of every other entry. Only one entry is in memory at a time;
the ZIP itself goes to the file (a temporary file for a download), never to memory.
"""
from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO, Iterator

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from . import exports
from .blueprints.csv_export import csv_text
from .dates import fiscal_year_label, format_datetime, utcnow
from .domain import audit, audit_labels, votes
from .domain import minutes as minutes_rules
from .extensions import db
from .models import AgendaItem, Committee, Meeting, MeetingStatus, Minutes, Vote, VoteState
from .notify import documents

MANIFEST = "manifest.csv"
INDEX = "index.html"


@dataclass
class Entry:
    name: str
    title: str
    size: int
    sha256: str


def _notices(committee: Committee, fiscal_year: int) -> Iterator[tuple[str, str, bytes]]:
    meetings = db.session.scalars(
        select(Meeting).where(Meeting.committee_id == committee.id, Meeting.fiscal_year == fiscal_year,
                              Meeting.status != MeetingStatus.DRAFT).order_by(Meeting.number)
    ).all()
    for meeting in meetings:
        yield (f"notices/{meeting.number:02d}_{documents.file_name(meeting, 'pdf')}", documents.file_name(meeting, "pdf"),
               documents.notice_pdf(meeting, variant=exports.PDF_A))


def _minutes(committee: Committee, fiscal_year: int) -> Iterator[tuple[str, str, bytes]]:
    rows = db.session.scalars(
        select(Minutes).join(Minutes.meeting)
        .where(Meeting.committee_id == committee.id, Meeting.fiscal_year == fiscal_year,
               Minutes.published_version.is_not(None)).order_by(Meeting.number)
    ).all()
    for minutes in rows:
        version = minutes_rules.published_version(minutes)
        if version is None:
            continue
        name = exports.file_name(version, "pdf")
        yield (f"minutes/{minutes.meeting.number:02d}_{name}", name,
               exports.minutes_pdf(minutes, version, variant=exports.PDF_A))


def _tables(committee: Committee, fiscal_year: int) -> Iterator[tuple[str, str, bytes]]:
    yield ("decisions.csv", "議決・決定の一覧", csv_text(*votes.decisions_table(committee, fiscal_year)).encode("utf-8"))
    closed = db.session.scalars(
        select(Vote).join(Vote.agenda_item).join(AgendaItem.meeting)
        .where(Meeting.committee_id == committee.id, Meeting.fiscal_year == fiscal_year,
               Vote.state == VoteState.CLOSED).order_by(Meeting.number, AgendaItem.position, Vote.id)
    ).all()
    for vote in closed:
        yield (f"ballots/vote-{vote.id}-ballots.csv", f"表決 {vote.id} の票",
               csv_text(*votes.ballots_table(vote, None)).encode("utf-8"))
    filters = audit.AuditFilter(committee_id=committee.id, day_from=date(fiscal_year, 4, 1),
                                day_to=date(fiscal_year + 1, 3, 31))
    events = db.session.scalars(audit.events_query(filters)).unique()
    yield ("audit.csv", "監査ログ", csv_text(audit_labels.csv_header(), audit_labels.csv_rows(events)).encode("utf-8"))


def write_archive(committee: Committee, fiscal_year: int, out: BinaryIO) -> list[Entry]:
    """Write the ZIP to `out` (a file opened for writing in binary); returns the manifest's entries."""
    entries: list[Entry] = []
    with force_locale("ja"), zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for source in (_notices, _minutes, _tables):
            for name, title, data in source(committee, fiscal_year):
                archive.writestr(name, data)
                entries.append(Entry(name, title, len(data), hashlib.sha256(data).hexdigest()))
                del data
        manifest = csv_text(["file", "title", "bytes", "sha256"],
                            [[e.name, e.title, e.size, e.sha256] for e in entries]).encode("utf-8")
        archive.writestr(MANIFEST, manifest)
        index = current_app.jinja_env.get_template("archive/index.html").render(
            committee=committee, year=fiscal_year_label(fiscal_year), entries=entries,
            made=format_datetime(utcnow(), wareki=True), manifest_sha256=hashlib.sha256(manifest).hexdigest(),
        )
        archive.writestr(INDEX, index.encode("utf-8"))
    return entries


def archive_name(committee: Committee, fiscal_year: int) -> str:
    return f"{committee.slug}-{fiscal_year}-archive.zip"
