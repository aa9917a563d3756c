"""A committee's meetings (/<slug>/meetings/): schedule, convene, agenda, 資料, attendance, 招集通知."""
from __future__ import annotations

from datetime import datetime
from itertools import groupby

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..dates import TOKYO, to_tokyo, utcnow
from ..domain import require
from ..domain import attachments as files
from ..domain import documents as document_rules
from ..domain import materials
from ..domain import minutes_signers as signer_rules
from ..domain import meetings as rules
from ..extensions import db
from ..labels import label, meeting_name, response_label
from ..forms.meetings import (
    ActionForm, AgendaItemForm, AttachmentForm, AttendanceForm, CancelForm, DocumentPrefixForm, MeetingForm, PostponeForm,
)
from ..models import (
    AgendaItem, AgendaKind, AttendanceResponse, Body, Meeting, MeetingFormat, MeetingStatus, Membership,
)
from .. import exports
from ..notify import content
from ..notify import documents as notice_documents
from ..pagination import paginate
from .downloads import send_attachment
from .handling import act
from .loading import agenda_item_or_404, attachment_or_404, get_or_404, meeting_or_404
from .scoping import committee_blueprint

bp = committee_blueprint("meetings", __name__, "/meetings")

bp.add_app_template_global(files.size_label, "size_label")
bp.add_app_template_global(rules.can_manage, "can_manage_meetings")

# Domain fields that a form shows under another name.
FORM_FIELD = {"starts_at": "start_time", "ends_at": "end_time"}


# ------------------------------------------------------------------------------------------- helpers

def _unless_allowed(meeting: Meeting, allowed_states, message: str):
    """A form for a step the meeting's state does not allow: back to the meeting page, saying why."""
    if meeting.status in allowed_states:
        return None
    flash(message, "error")
    return _redirect_to(meeting)


def _warn_day_off(meeting: Meeting) -> None:
    warning = rules.day_off_warning(meeting.starts_at)
    if warning:
        flash(warning, "warning")


def _at(day, time) -> datetime | None:
    return datetime.combine(day, time, tzinfo=TOKYO) if day and time else None


def _local(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=TOKYO) if value else None


def _schedule(form: MeetingForm) -> dict:
    return dict(
        starts_at=_at(form.day.data, form.start_time.data), ends_at=_at(form.day.data, form.end_time.data),
        format=MeetingFormat(form.format.data), place=form.place.data or "", online_url=form.online_url.data or "",
        title=form.title.data or "", answer_deadline=_local(form.answer_deadline.data),
        proposal_deadline=_local(form.proposal_deadline.data), notes=form.notes.data or "",
    )


def _redirect_to(meeting: Meeting, anchor: str | None = None):
    return redirect(url_for("meetings.show", meeting_id=meeting.id, _anchor=anchor), 303)


def _presenter_choices(meeting: Meeting) -> list[tuple[int, str]]:
    """事務局, then the bodies holding seats in the committee that year (all bodies if none)."""
    query = select(Body).order_by(Body.position)
    seated = select(Membership.body_id).where(
        Membership.committee_id == meeting.committee_id, Membership.fiscal_year == meeting.fiscal_year
    )
    bodies = list(db.session.scalars(query.where(Body.id.in_(seated)))) or list(db.session.scalars(query))
    return [SelectChoice(0, _("事務局"))] + [SelectChoice(body.id, body.name) for body in bodies]


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


# ---------------------------------------------------------------------------------------------- show

def _page_data(meeting: Meeting) -> dict:
    """Everything the meeting page shows, in a fixed number of queries."""
    agenda = rules.agenda_of(meeting)
    documents = rules.meeting_attachments(meeting)
    numbers = materials.numbers_of(agenda, documents)
    by_item: dict = {}
    for document in sorted(documents, key=lambda d: materials.sort_key(numbers[d.id])):
        by_item.setdefault(document.agenda_item_id, []).append(document)
    sheet = rules.attendance_sheet(meeting)
    my_seat = next((line.membership for line in sheet.lines if line.membership.user_id == current_user.id), None)
    return dict(
        meeting=meeting, committee=g.committee, agenda=agenda, documents_by_item=by_item, sheet=sheet,
        material_labels={key: materials.label_of(number) for key, number in numbers.items()},
        my_seat=my_seat, my_line=sheet.line_for(my_seat),
        can_manage=rules.can_manage(current_user),
        can_answer=my_seat is not None and rules.can_answer_for(current_user, meeting, my_seat),
        deadline=rules.answer_deadline_of(meeting), editable=meeting.status in rules.EDITABLE,
        attachable=meeting.status in rules.ATTACHABLE,
        announced=meeting.status in rules.ANNOUNCED, action_form=ActionForm(formdata=None),
        in_session=meeting.status is MeetingStatus.IN_SESSION,
    )


def _show(meeting: Meeting, attendance_form=None, attachment_form=None):
    data = _page_data(meeting)
    if attendance_form is None:
        attendance_form = AttendanceForm(formdata=None)
        line = data["my_line"]
        if line is not None and line.answered:
            attendance_form.response.data = line.attendance.response.value
            attendance_form.proxy_name.data = line.attendance.proxy_name
            attendance_form.proxy_title.data = line.attendance.proxy_title
    if attachment_form is None:
        attachment_form = AttachmentForm(formdata=None)
    attachment_form.agenda_item_id.choices = [SelectChoice(0, _("会議全体"))] + [
        SelectChoice(item.id, f"{item.position}. {item.title}") for item in data["agenda"]
    ]
    return render_template(
        "meetings/show.html", attendance_form=attendance_form, attachment_form=attachment_form,
        accept=files.ACCEPT, max_mb=current_app.config["MAX_UPLOAD_MB"], **data,
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

def _button(meeting: Meeting, change, success, to=None):
    """One button's POST on a meeting; a refusal shows the meeting page again (400)."""
    return act(ActionForm(), change, success=success, to=to or (lambda _result: _redirect_to(meeting)),
               page=lambda: _show(meeting))


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


@bp.post("/<int:meeting_id>/check-in")
def check_in(meeting_id):
    """出席確認: a member checks in their own seat during the sitting."""
    meeting = meeting_or_404(meeting_id)
    seat = next((m for m in rules.voting_seats(meeting) if m.user_id == current_user.id), None)
    require(seat is not None, "only the meeting's seats check in")
    return _button(meeting, lambda: rules.check_in(meeting, seat, actor=current_user), _("出席を確認しました。"))


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


# -------------------------------------------------------------------------------------------- agenda

def _agenda_form(meeting: Meeting, item: AgendaItem | None = None) -> AgendaItemForm:
    form = AgendaItemForm(obj=item if request.method == "GET" else None)
    form.presenter_body_id.choices = _presenter_choices(meeting)
    if request.method == "GET" and item is not None:
        form.kind.data = item.kind.value
        form.presenter_body_id.data = item.presenter_body_id or 0
    return form


def _agenda_values(form: AgendaItemForm) -> dict:
    return dict(
        kind=AgendaKind(form.kind.data), title=form.title.data or "",
        presenter_body=db.session.get(Body, form.presenter_body_id.data) if form.presenter_body_id.data else None,
        minutes_allotted=form.minutes_allotted.data, notes=form.notes.data or "",
    )


@bp.route("/<int:meeting_id>/agenda/new", methods=["GET", "POST"])
def add_item(meeting_id):
    meeting = meeting_or_404(meeting_id)
    require(rules.can_manage(current_user), "only the secretariat builds agendas")
    refused = _unless_allowed(meeting, rules.EDITABLE, _("開催済み・中止の会議の議事は変更できません。"))
    if refused:
        return refused
    form = _agenda_form(meeting)
    return act(
        form, lambda: rules.add_agenda_item(meeting, actor=current_user, **_agenda_values(form)),
        success=_("議事を追加しました。"), to=lambda _item: _redirect_to(meeting, "agenda"),
        page=lambda: render_template("meetings/item_form.html", form=form, meeting=meeting, item=None, committee=g.committee),
    )


@bp.route("/<int:meeting_id>/agenda/<int:item_id>/edit", methods=["GET", "POST"])
def edit_item(meeting_id, item_id):
    meeting = meeting_or_404(meeting_id)
    require(rules.can_manage(current_user), "only the secretariat builds agendas")
    item = agenda_item_or_404(meeting, item_id)
    refused = _unless_allowed(meeting, rules.EDITABLE, _("開催済み・中止の会議の議事は変更できません。"))
    if refused:
        return refused
    form = _agenda_form(meeting, item)
    return act(
        form, lambda: rules.update_agenda_item(item, actor=current_user, **_agenda_values(form)),
        success=_("議事を変更しました。"), to=lambda _result: _redirect_to(meeting, "agenda"),
        page=lambda: render_template("meetings/item_form.html", form=form, meeting=meeting, item=item, committee=g.committee),
    )


@bp.post("/<int:meeting_id>/agenda/<int:item_id>/remove")
def remove_item(meeting_id, item_id):
    meeting = meeting_or_404(meeting_id)
    item = agenda_item_or_404(meeting, item_id)
    return _button(meeting, lambda: rules.remove_agenda_item(item, actor=current_user), _("議事を削除しました。"),
                   to=lambda _result: _redirect_to(meeting, "agenda"))


@bp.post("/<int:meeting_id>/agenda/<int:item_id>/move")
def move_item(meeting_id, item_id):
    meeting = meeting_or_404(meeting_id)
    item = agenda_item_or_404(meeting, item_id)
    return _button(meeting, lambda: rules.move_agenda_item(item, actor=current_user, direction=request.form.get("direction", "")),
                   None, to=lambda _result: _redirect_to(meeting, f"item-{item.id}"))


# ---------------------------------------------------------------------------------------------- 資料

@bp.post("/<int:meeting_id>/attachments")
def upload(meeting_id):
    meeting = meeting_or_404(meeting_id)
    require(rules.can_manage(current_user), "only the secretariat attaches documents")
    form = AttachmentForm()
    form.agenda_item_id.choices = [SelectChoice(0)] + [SelectChoice(item.id) for item in meeting.agenda_items]

    def attach():
        item = agenda_item_or_404(meeting, form.agenda_item_id.data) if form.agenda_item_id.data else None
        return rules.add_attachment(meeting, form.file.data, actor=current_user, agenda_item=item)

    return act(
        form, attach, invalid=_("添付先を選び直してください。"),
        success=lambda attachment: _("資料「%(name)s」を添付しました。", name=attachment.original_name),
        to=lambda _attachment: _redirect_to(meeting, "documents"), page=lambda: _show(meeting, attachment_form=form),
    )


@bp.get("/<int:meeting_id>/attachments/<int:attachment_id>")
def download(meeting_id, attachment_id):
    meeting = meeting_or_404(meeting_id)  # who may see the meeting may read its 資料
    return send_attachment(attachment_or_404(attachment_id, meeting=meeting))


@bp.get("/<int:meeting_id>/materials/<int:attachment_id>/view")
def view_material(meeting_id, attachment_id):
    """A 資料 inside the page: a PDF through pdf.js (static/material_viewer.js), anything else as its download link.

    `?page=` opens a page; the page listens for `liaison:follow-page` (the live pages' 「資料を合わせる」)."""
    meeting = meeting_or_404(meeting_id)
    attachment = attachment_or_404(attachment_id, meeting=meeting)
    page = request.args.get("page", default=1, type=int) or 1
    numbers = materials.numbers_of(rules.agenda_of(meeting), rules.meeting_attachments(meeting))
    item = db.session.get(AgendaItem, attachment.agenda_item_id) if attachment.agenda_item_id else None
    return render_template(
        "meetings/material.html", meeting=meeting, committee=g.committee, attachment=attachment, item=item,
        number=materials.label_of(numbers.get(attachment.id, "")), page=max(page, 1),
        is_pdf=attachment.content_type == "application/pdf",
    )


@bp.post("/<int:meeting_id>/attachments/<int:attachment_id>/delete")
def delete_attachment(meeting_id, attachment_id):
    meeting = meeting_or_404(meeting_id)
    attachment = attachment_or_404(attachment_id, meeting=meeting)
    name = attachment.original_name
    return _button(meeting, lambda: rules.remove_attachment(attachment, actor=current_user),
                   _("資料「%(name)s」を削除しました。", name=name), to=lambda _result: _redirect_to(meeting, "documents"))


# ----------------------------------------------------------------------------------------- attendance

def _answer(meeting: Meeting, membership: Membership, form: AttendanceForm) -> None:
    rules.answer_attendance(
        meeting, membership, actor=current_user, response=AttendanceResponse(form.response.data),
        proxy_name=form.proxy_name.data or "", proxy_title=form.proxy_title.data or "",
    )


def _answered(form: AttendanceForm) -> str:
    return _("出欠を「%(answer)s」で回答しました。", answer=response_label(AttendanceResponse(form.response.data)))


@bp.post("/<int:meeting_id>/attendance")
def answer(meeting_id):
    """A member answers for their own seat."""
    meeting = meeting_or_404(meeting_id)
    form = AttendanceForm()
    seat = next((m for m in rules.voting_seats(meeting) if m.user_id == current_user.id), None)
    require(seat is not None, "only seat holders answer attendance")
    return act(
        form, lambda: _answer(meeting, seat, form), success=lambda _result: _answered(form),
        to=lambda _result: _redirect_to(meeting, "attendance"), page=lambda: _show(meeting, attendance_form=form),
    )


@bp.get("/<int:meeting_id>/attendance")
def attendance(meeting_id):
    """The secretariat's sheet: answer for any seat (e.g. by phone) and record who was present."""
    meeting = meeting_or_404(meeting_id)
    require(rules.can_manage(current_user), "only the secretariat manages attendance")
    return _attendance_page(meeting)


def _attendance_page(meeting: Meeting, failed_form=None, failed_seat: int | None = None):
    sheet = rules.attendance_sheet(meeting)
    forms = {}
    for line in sheet.lines:
        if failed_form is not None and line.membership.id == failed_seat:
            forms[line.membership.id] = failed_form
            continue
        form = AttendanceForm(formdata=None)
        if line.answered:
            form.response.data = line.attendance.response.value
            form.proxy_name.data, form.proxy_title.data = line.attendance.proxy_name, line.attendance.proxy_title
        forms[line.membership.id] = form
    return render_template(
        "meetings/attendance.html", meeting=meeting, committee=g.committee, sheet=sheet, forms=forms,
        action_form=ActionForm(formdata=None), open_for_answers=meeting.status in rules.PRESENCE_STATUSES,  # in session too (出席の記録)
    )


@bp.post("/<int:meeting_id>/attendance/<int:membership_id>")
def answer_for_seat(meeting_id, membership_id):
    meeting = meeting_or_404(meeting_id)
    require(rules.can_manage(current_user), "only the secretariat answers for a seat")
    membership = get_or_404(Membership, membership_id)
    form = AttendanceForm()
    return act(
        form, lambda: _answer(meeting, membership, form),
        success=_("%(seat)sの出欠を記録しました。", seat=membership.seat_label),
        to=url_for("meetings.attendance", meeting_id=meeting.id, _anchor=f"seat-{membership_id}"),
        page=lambda: _attendance_page(meeting, form, membership_id),
    )


def _present_ids() -> list[int]:
    try:
        return [int(value) for value in request.form.getlist("present")]
    except ValueError:
        abort(400)


@bp.post("/<int:meeting_id>/presence")
def record_presence(meeting_id):
    meeting = meeting_or_404(meeting_id)
    require(rules.can_manage(current_user), "only the secretariat records presence")
    return act(
        ActionForm(), lambda: rules.record_presence(meeting, actor=current_user, present_membership_ids=_present_ids()),
        success=lambda count: _("出席者を記録しました(%(n)d名)。", n=count),
        to=url_for("meetings.attendance", meeting_id=meeting.id), page=lambda: _attendance_page(meeting),
    )
