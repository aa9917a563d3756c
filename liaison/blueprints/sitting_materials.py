"""「この資料を全員に表示」 (follow the presenter): the console shows one 資料 of the meeting at a page on every
tablet and the screen; the screen reads that one PDF with its link's key.

Views of the `sitting` Blueprint (liaison.blueprints.sitting imports this module so that they join it):
- POST console/present (attachment_id, page): show the 資料 at that page; each page turn is one more post;
- POST console/present/stop: 「表示をやめる」;
- GET screen/material?k=…: the presented PDF for the projector (no login; only the 資料 presented now).
"""
from __future__ import annotations

from flask import abort, request
from flask_babel import gettext as _
from flask_login import current_user

from ..domain import check
from ..domain import sitting as rules
from ..extensions import db
from ..models import Attachment
from .downloads import send_attachment
from .sitting import _act, _console, _meeting, _viewer, bp


def _page_number() -> int | None:
    try:
        return int(request.form.get("page", "1"))
    except ValueError:
        return None


@bp.post("/<int:meeting_id>/console/present")
def console_present(meeting_id):
    meeting = _console(meeting_id)
    try:
        attachment = db.session.get(Attachment, int(request.form.get("attachment_id", "")))
    except ValueError:
        abort(400)
    if attachment is None:
        abort(404)
    page = _page_number()

    def present():
        check(page is not None, _("ページの指定が正しくありません。"), "page")
        rules.show_material(meeting, attachment, actor=current_user, page=page)

    return _act(meeting, present, _("資料を全員に表示しています(%(page)dページ)。", page=page or 1), "sitting.console")


@bp.post("/<int:meeting_id>/console/present/stop")
def console_present_stop(meeting_id):
    meeting = _console(meeting_id)
    return _act(meeting, lambda: rules.stop_showing(meeting, actor=current_user), _("資料の表示をやめました。"),
                "sitting.console")


@bp.get("/<int:meeting_id>/screen/material")
def screen_material(meeting_id):
    """The PDF the presenter shows, for the screen's viewer (its key) or anyone who may see the meeting."""
    meeting = _meeting(meeting_id)
    _viewer(meeting)  # the screen's key checked, or the login's access to the meeting
    attachment = db.session.get(Attachment, meeting.presented_attachment_id) if meeting.presented_attachment_id else None
    if attachment is None or attachment.meeting_id != meeting.id:
        abort(404)
    response = send_attachment(attachment)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
