"""The meeting's agenda (議事) and 資料 (/<slug>/meetings/<id>/agenda/…, …/attachments/…, …/materials/…)."""
from __future__ import annotations

from flask import g, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..domain import require
from ..domain import materials
from ..domain import meetings as rules
from ..extensions import db
from ..forms.meetings import AgendaItemForm, AttachmentForm
from ..models import AgendaItem, AgendaKind, Body, Meeting, Membership
from .downloads import send_attachment
from .handling import act
from .loading import agenda_item_or_404, attachment_or_404, meeting_or_404
from .meeting_page import _button, _redirect_to, _show, _unless_allowed, bp


def _presenter_choices(meeting: Meeting) -> list[tuple[int, str]]:
    """事務局, then the bodies holding seats in the committee that year (all bodies if none)."""
    query = select(Body).order_by(Body.position)
    seated = select(Membership.body_id).where(
        Membership.committee_id == meeting.committee_id, Membership.fiscal_year == meeting.fiscal_year
    )
    bodies = list(db.session.scalars(query.where(Body.id.in_(seated)))) or list(db.session.scalars(query))
    return [SelectChoice(0, _("事務局"))] + [SelectChoice(body.id, body.name) for body in bodies]


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
