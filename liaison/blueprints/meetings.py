"""A committee's meetings (/<slug>/meetings/): the list, scheduling, the page, 招集通知, the lifecycle's buttons.

The agenda and 資料 are in meeting_agenda.py, attendance in meeting_attendance.py; all register on one `bp`
(meeting_page.py), so the endpoints stay "meetings.*".
"""
from __future__ import annotations

from itertools import groupby

from flask import Response, flash, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..dates import to_tokyo, utcnow
from ..domain import require
from ..domain import documents as document_rules
from ..domain import minutes_signers as signer_rules
from ..domain import meetings as rules
from ..labels import label, meeting_name
from ..forms.meetings import CancelForm, DocumentPrefixForm, MeetingForm, PostponeForm
from ..models import Meeting
from .. import exports
from ..notify import content
from ..notify import documents as notice_documents
from ..pagination import paginate
from . import meeting_agenda, meeting_attendance  # noqa: F401 (their views join bp)
from .handling import act
from .loading import meeting_or_404
from .meeting_page import (  # noqa: F401 (bp: registered from here by blueprints/__init__.py)
    FORM_FIELD, _at, _button, _local, _redirect_to, _schedule, _show, _unless_allowed, _warn_day_off, bp,
)


# ---------------------------------------------------------------------------------------------- list

@bp.get("/")
def index():
    page = paginate(rules.meetings_for_list(g.committee, current_user))
    now = utcnow()
    upcoming = [m for m in page.items if m.ends_at >= now]
    past = [(year, list(group)) for year, group in groupby((m for m in page.items if m.ends_at < now), key=lambda m: m.fiscal_year)]
    return render_template("meetings/index.html", committee=g.committee, page=page, upcoming=upcoming, past=past)


@bp.route("/new", methods=["GET", "POST"])
def new():
    require(rules.can_manage(current_user), "only the secretariat schedules meetings")
    form = MeetingForm()

    def created(meeting: Meeting):
        _warn_day_off(meeting)
        return _redirect_to(meeting)

    return act(
        form, lambda: rules.create_meeting(g.committee, actor=current_user, **_schedule(form)),
        success=lambda meeting: _("%(name)sを下書きとして作成しました。議事を追加してから招集してください。", name=meeting_name(meeting)),
        to=created, fields=FORM_FIELD,
        page=lambda: render_template("meetings/form.html", form=form, meeting=None, committee=g.committee),
    )


def _edited(changed, meeting: Meeting) -> str | None:
    if not changed:
        flash(_("変更はありませんでした。"), "info")
        return None
    if meeting.status in rules.ANNOUNCED and set(changed) & set(rules.SCHEDULE_FIELDS):
        return _("会議を変更しました。委員に変更が通知されます。")
    return _("会議を変更しました。")


@bp.route("/<int:meeting_id>/edit", methods=["GET", "POST"])
def edit(meeting_id):
    meeting = meeting_or_404(meeting_id)
    require(rules.can_manage(current_user), "only the secretariat edits meetings")
    refused = _unless_allowed(meeting, rules.EDITABLE, _("開催済み・中止の会議は編集できません。"))
    if refused:
        return refused
    form = MeetingForm()
    if request.method == "GET":
        start, end = to_tokyo(meeting.starts_at), to_tokyo(meeting.ends_at)
        form.day.data, form.start_time.data, form.end_time.data = start.date(), start.time(), end.time()
        form.format.data, form.place.data, form.online_url.data = meeting.format.value, meeting.place, meeting.online_url
        form.title.data, form.notes.data = meeting.title, meeting.notes
        form.answer_deadline.data = to_tokyo(meeting.answer_deadline).replace(tzinfo=None) if meeting.answer_deadline else None
        form.proposal_deadline.data = to_tokyo(meeting.proposal_deadline).replace(tzinfo=None) if meeting.proposal_deadline else None

    def edited(_changed):
        _warn_day_off(meeting)
        return _redirect_to(meeting)

    return act(
        form, lambda: rules.update_meeting(meeting, actor=current_user, **_schedule(form)),
        success=lambda changed: _edited(changed, meeting), to=edited, fields=FORM_FIELD,
        page=lambda: render_template("meetings/form.html", form=form, meeting=meeting, committee=g.committee),
    )


@bp.get("/<int:meeting_id>")
def show(meeting_id):
    return _show(meeting_or_404(meeting_id))


@bp.get("/<int:meeting_id>/notice")
def notice(meeting_id):
    meeting = meeting_or_404(meeting_id)
    head = content.notice_head(meeting)
    body = content.notice_body(meeting, content.convocation_text(meeting))
    return render_template("meetings/notice.html", meeting=meeting, committee=g.committee, head=head, body=body)


def _notice_download(meeting: Meeting, data: bytes, mimetype: str, suffix: str) -> Response:
    response = Response(data, mimetype=mimetype)
    name = notice_documents.file_name(meeting, suffix)
    response.headers["Content-Disposition"] = exports.content_disposition(name, inline=suffix == "pdf")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/document-prefix", methods=["GET", "POST"])
def document_prefix():
    """文書番号 of the committee's notices: the administrator sets the prefix (「彩人広連第」)."""
    require(getattr(current_user, "is_admin", False), "only administrators set the document number prefix")
    committee = g.committee
    form = DocumentPrefixForm()
    if request.method == "GET":
        form.prefix.data = committee.document_prefix
        form.minutes_signers.data = committee.minutes_signers  # 議事録署名人 (liaison.domain.minutes_signers)
        form.signer_members.data = committee.minutes_signer_members
        form.signers_before_approval.data = committee.signers_before_approval

    def save():
        document_rules.set_document_prefix(committee, actor=current_user, prefix=form.prefix.data)
        signer_rules.set_settings(committee, actor=current_user, required=form.minutes_signers.data,
                                  members=form.signer_members.data if form.signer_members.data is not None else 2,
                                  before_approval=form.signers_before_approval.data)

    return act(
        form, save,
        success=_("公文書の設定を保存しました。"), to=url_for(".document_prefix"), fallback_field="prefix",
        page=lambda: render_template("meetings/document_prefix.html", form=form, committee=committee),
    )


@bp.get("/<int:meeting_id>/notice.pdf")
def notice_pdf(meeting_id):
    meeting = meeting_or_404(meeting_id)
    return _notice_download(meeting, notice_documents.notice_pdf(meeting), "application/pdf", "pdf")


@bp.get("/<int:meeting_id>/notice.docx")
def notice_docx(meeting_id):
    meeting = meeting_or_404(meeting_id)
    return _notice_download(meeting, notice_documents.notice_docx(meeting), notice_documents.DOCX_MIMETYPE, "docx")


# ----------------------------------------------------------------------------------------- lifecycle


@bp.post("/<int:meeting_id>/convene")
def convene(meeting_id):
    meeting = meeting_or_404(meeting_id)
    return _button(meeting, lambda: rules.convene(meeting, actor=current_user),
                   lambda _result: _("%(name)sを招集しました。委員に招集通知が送られます。", name=meeting_name(meeting)))


@bp.route("/<int:meeting_id>/postpone", methods=["GET", "POST"])
def postpone(meeting_id):
    meeting = meeting_or_404(meeting_id)
    require(rules.can_manage(current_user), "only the secretariat postpones meetings")
    refused = _unless_allowed(meeting, rules.ANNOUNCED, _("「%(status)s」の会議は延期できません。", status=label(meeting.status)))
    if refused:
        return refused
    form = PostponeForm()

    def postponed(_result):
        _warn_day_off(meeting)
        return _redirect_to(meeting)

    return act(
        form,
        lambda: rules.postpone(
            meeting, actor=current_user, starts_at=_at(form.day.data, form.start_time.data),
            ends_at=_at(form.day.data, form.end_time.data), reason=form.reason.data or "",
            answer_deadline=_local(form.answer_deadline.data),
        ),
        success=_("会議を延期しました。委員に延期が通知されます。"), to=postponed, fields=FORM_FIELD,
        page=lambda: render_template("meetings/postpone.html", form=form, meeting=meeting, committee=g.committee),
    )


@bp.route("/<int:meeting_id>/cancel", methods=["GET", "POST"])
def cancel(meeting_id):
    meeting = meeting_or_404(meeting_id)
    require(rules.can_manage(current_user), "only the secretariat cancels meetings")
    refused = _unless_allowed(meeting, rules.ANNOUNCED, _("「%(status)s」の会議は中止できません。", status=label(meeting.status)))
    if refused:
        return refused
    form = CancelForm()
    return act(
        form, lambda: rules.cancel(meeting, actor=current_user, reason=form.reason.data or ""),
        success=_("会議を中止しました。委員に中止が通知されます。"), to=lambda _result: _redirect_to(meeting),
        page=lambda: render_template("meetings/cancel.html", form=form, meeting=meeting, committee=g.committee),
    )


@bp.post("/<int:meeting_id>/open-session")
def open_session(meeting_id):
    meeting = meeting_or_404(meeting_id)
    return _button(meeting, lambda: rules.open_session(meeting, actor=current_user),
                   _("開会しました。出席の確認と会議中の表決ができます。"))


@bp.post("/<int:meeting_id>/close-session")
def close_session(meeting_id):
    meeting = meeting_or_404(meeting_id)
    return _button(meeting, lambda: rules.close_session(meeting, actor=current_user), _("閉会しました。"))


@bp.post("/<int:meeting_id>/held")
def mark_held(meeting_id):
    meeting = meeting_or_404(meeting_id)
    return _button(meeting, lambda: rules.mark_held(meeting, actor=current_user), _("会議を開催済みにしました。"))


@bp.post("/<int:meeting_id>/delete")
def delete(meeting_id):
    meeting = meeting_or_404(meeting_id)
    name = meeting_name(meeting)
    return _button(meeting, lambda: rules.delete_draft(meeting, actor=current_user),
                   _("%(name)sの下書きを削除しました。", name=name), to=url_for("meetings.index"))
