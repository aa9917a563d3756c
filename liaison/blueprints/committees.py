"""A committee's home (/<slug>/): its purpose and its members for a fiscal year."""
from __future__ import annotations

import tempfile

from flask import Response, g, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from .. import archive
from ..dates import current_fiscal_year
from ..domain import check, require
from ..domain import meetings as meeting_rules
from ..domain.memberships import seats
from .scoping import committee_blueprint

bp = committee_blueprint("committees", __name__)


@bp.get("/")
def show():
    committee = g.committee
    fiscal_year = request.args.get("fy", type=int) or current_fiscal_year()
    if not 2000 <= fiscal_year <= 2100:
        fiscal_year = current_fiscal_year()
    members = seats(committee, fiscal_year)
    return render_template(
        "committees/show.html",
        committee=committee,
        fiscal_year=fiscal_year,
        members=members,
        years=range(current_fiscal_year() + 1, 2023, -1),
        upcoming_meetings=meeting_rules.upcoming_in(committee, current_user),
        can_archive=meeting_rules.can_manage(current_user),
    )


@bp.get("/archive/<int:fiscal_year>.zip")
def fiscal_year_archive(fiscal_year: int):
    """年度アーカイブ for the secretariat: the ZIP is written to a temporary file, then streamed from it."""
    require(meeting_rules.can_manage(current_user), "only the secretariat downloads the archive")
    check(2000 <= fiscal_year <= 2100, _("年度が正しくありません。"))
    out = tempfile.TemporaryFile()  # on disk, not in memory
    try:
        archive.write_archive(g.committee, fiscal_year, out)
    except BaseException:
        out.close()
        raise
    size = out.tell()
    out.seek(0)
    name = archive.archive_name(g.committee, fiscal_year)
    return Response(_chunks(out), mimetype="application/zip", headers={
        "Content-Length": str(size), "Cache-Control": "private, no-store",
        "Content-Disposition": f'attachment; filename="{name}"',
    })


def _chunks(out, size: int = 64 * 1024):
    """The file in chunks; closed when read to the end or when the response is dropped."""
    try:
        while chunk := out.read(size):
            yield chunk
    finally:
        out.close()
