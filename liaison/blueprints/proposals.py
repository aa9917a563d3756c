"""A committee's proposals (/<slug>/proposals/): list and search, drafting, review, comments, revisions."""
from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import attachments as files
from ..dates import format_date
from ..domain import DomainError, require
from ..domain import proposals as rules
from ..extensions import db
from ..labels import meeting_name
from ..forms.proposals import (
    ActionForm, AttachmentForm, CommentForm, ProposalForm, ReturnForm, ScheduleForm, WithdrawForm,
)
from ..models import AgendaKind, Attachment, Body, Meeting, PlanPolicy, Proposal, ProposalComment, ProposalStatus
from ..pagination import paginate
from .scoping import committee_blueprint

bp = committee_blueprint("proposals", __name__, "/proposals")


def _redirect_to(proposal: Proposal):
    return redirect(url_for("proposals.show", proposal_id=proposal.id), 303)


def _proposal_or_404(proposal_id: int, *, for_page: bool = False) -> Proposal:
    """Load (404 if missing or in another committee), then check the user may see it (403)."""
    proposal = rules.load_for_page(proposal_id) if for_page else db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.committee_id != g.committee.id:
        abort(404)
    require(rules.can_view(current_user, proposal), "not visible to this user")
    return proposal


def _policies() -> list[PlanPolicy]:
    return list(db.session.scalars(select(PlanPolicy).order_by(PlanPolicy.position)))


def _fail(error: DomainError, form=None) -> None:
    db.session.rollback()
    if form is not None and error.field and error.field in form:
        form[error.field].errors.append(error.message)
    else:
        flash(error.message, "error")


# ------------------------------------------------------------------------------------------------ list

@bp.get("/")
def index():
    args = request.args
    status = args.get("status", "")
    filters = rules.ListFilters(
        status=ProposalStatus(status) if status in {s.value for s in ProposalStatus} else None,
        body_id=args.get("body", type=int), plan_policy_id=args.get("policy", type=int),
        fiscal_year=args.get("fy", type=int), q=(args.get("q") or "")[:100],
    )
    page = paginate(rules.list_query(g.committee, current_user, filters))
    bodies = db.session.scalars(
        select(Body).where(Body.id.in_(select(Proposal.body_id).where(Proposal.committee_id == g.committee.id)))
        .order_by(Body.position)
    ).all()
    return render_template(
        "proposals/index.html", committee=g.committee, page=page, filters=filters, bodies=bodies,
        policies=_policies(), years=rules.proposal_years(), statuses=list(ProposalStatus),
        can_create=rules.can_create(current_user, g.committee),
    )


# ------------------------------------------------------------------------------------- drafting, editing

def _text_form(proposal: Proposal | None = None) -> ProposalForm:
    form = ProposalForm(obj=proposal if request.method == "GET" else None)
    form.plan_policy_id.choices = [(0, _("選んでください"))] + [(p.id, f"{p.code} {p.area}: {p.title}") for p in _policies()]
    form.desired_meeting_id.choices = [(0, _("(指定なし)"))] + [
        (m.id, _meeting_choice(m)) for m in rules.schedulable_meetings(g.committee)
    ]
    if request.method == "GET" and proposal is not None:
        form.desired_meeting_id.data = proposal.desired_meeting_id or 0
    return form


def _meeting_choice(meeting: Meeting) -> str:
    return f"{meeting_name(meeting)}({format_date(meeting.starts_at)})"


def _form_values(form: ProposalForm) -> dict:
    meeting = db.session.get(Meeting, form.desired_meeting_id.data) if form.desired_meeting_id.data else None
    return {
        "title": form.title.data, "summary": form.summary.data, "body": form.body.data,
        "plan_policy": db.session.get(PlanPolicy, form.plan_policy_id.data) if form.plan_policy_id.data else None,
        "desired_meeting": meeting,
    }


@bp.route("/new", methods=["GET", "POST"])
def new():
    require(rules.can_create(current_user, g.committee), "only a voting seat drafts proposals")
    form = _text_form()
    if form.validate_on_submit():
        try:
            proposal = rules.create_draft(g.committee, actor=current_user, **_form_values(form))
            db.session.commit()
        except DomainError as error:
            _fail(error, form)
        else:
            flash(_("下書きを保存しました。内容を確認して「提出」してください。"), "success")
            return _redirect_to(proposal)
    status = 400 if request.method == "POST" else 200
    return render_template("proposals/form.html", committee=g.committee, form=form, proposal=None), status


@bp.route("/<int:proposal_id>/edit", methods=["GET", "POST"])
def edit(proposal_id):
    proposal = _proposal_or_404(proposal_id)
    require(rules.can_edit(current_user, proposal), "only the submitting seat edits a draft or returned proposal")
    form = _text_form(proposal)
    if form.validate_on_submit():
        try:
            revision = rules.update(proposal, actor=current_user, **_form_values(form))
            db.session.commit()
        except DomainError as error:
            _fail(error, form)
        else:
            if revision is None:
                flash(_("変更はありませんでした。"), "info")
            else:
                flash(_("第%(n)d版として保存しました。", n=revision.number), "success")
            return _redirect_to(proposal)
    status = 400 if request.method == "POST" else 200
    return render_template("proposals/form.html", committee=g.committee, form=form, proposal=proposal), status


# --------------------------------------------------------------------------------------------- the page

def _show(proposal: Proposal, status: int = 200, **forms):
    perms = rules.permissions(current_user, proposal)
    schedule_form = forms.get("schedule_form")
    if perms.schedule and schedule_form is None:
        schedule_form = ScheduleForm(formdata=None)
    if schedule_form is not None:
        _schedule_choices(schedule_form)
    return render_template(
        "proposals/show.html", committee=g.committee, proposal=proposal, perms=perms,
        history=rules.history(proposal),
        comment_form=forms.get("comment_form") or CommentForm(formdata=None),
        return_form=forms.get("return_form") or ReturnForm(formdata=None),
        withdraw_form=forms.get("withdraw_form") or WithdrawForm(formdata=None),
        schedule_form=schedule_form, action_form=ActionForm(formdata=None),
        attachment_form=forms.get("attachment_form") or AttachmentForm(formdata=None), accept=files.ACCEPT,
        max_mb=current_app.config["MAX_UPLOAD_MB"],
        can_edit_comment=rules.can_edit_comment, can_delete_comment=rules.can_delete_comment,
        current_item=rules.current_agenda_item(proposal), decisions=rules.decisions(proposal),
    ), status


def _schedule_choices(form: ScheduleForm) -> None:
    form.meeting_id.choices = [(0, _("選んでください"))] + [
        (m.id, _meeting_choice(m)) for m in rules.schedulable_meetings(g.committee)
    ]


@bp.get("/<int:proposal_id>")
def show(proposal_id):
    return _show(_proposal_or_404(proposal_id, for_page=True))


def _act(proposal_id: int, action, success: str):
    """A POST with only the CSRF token: load, check, act, commit once, redirect."""
    proposal = _proposal_or_404(proposal_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        action(proposal)
        db.session.commit()
    except DomainError as error:
        _fail(error)
        return _show(rules.load_for_page(proposal.id), 400)
    flash(success, "success")
    return _redirect_to(proposal)


def _act_with_form(proposal: Proposal, form, form_name: str, action, success, redirect_to=None):
    """A POST with a form: validate, act, commit once, redirect; invalid input or a refusal re-renders the
    proposal page with the form and its errors (400), nothing written."""

    def again():
        return _show(rules.load_for_page(proposal.id), 400, **{form_name: form})

    if not form.validate_on_submit():
        return again()
    try:
        result = action()
        db.session.commit()
    except DomainError as error:
        _fail(error, form)
        return again()
    flash(success(result), "success")
    return redirect_to(result) if redirect_to else _redirect_to(proposal)


@bp.post("/<int:proposal_id>/submit")
def submit(proposal_id):
    return _act(proposal_id, lambda p: rules.submit(p, actor=current_user), _("提案を提出しました。事務局が確認します。"))


@bp.post("/<int:proposal_id>/accept")
def accept(proposal_id):
    return _act(proposal_id, lambda p: rules.accept(p, actor=current_user), _("提案を受理しました。"))


@bp.post("/<int:proposal_id>/withdraw")
def withdraw(proposal_id):
    proposal = _proposal_or_404(proposal_id)
    form = WithdrawForm()
    return _act_with_form(proposal, form, "withdraw_form",
                          lambda: rules.withdraw(proposal, actor=current_user, reason=form.reason.data or ""),
                          lambda _result: _("提案を取り下げました。"))


@bp.post("/<int:proposal_id>/return")
def return_proposal(proposal_id):
    proposal = _proposal_or_404(proposal_id)
    require(rules.can_review(current_user), "only the secretariat returns proposals")
    form = ReturnForm()
    return _act_with_form(proposal, form, "return_form",
                          lambda: rules.return_to_submitter(proposal, actor=current_user, reason=form.reason.data),
                          lambda _result: _("提案を差し戻しました。"))


@bp.post("/<int:proposal_id>/schedule")
def schedule(proposal_id):
    proposal = _proposal_or_404(proposal_id)
    require(rules.can_review(current_user), "only the secretariat schedules proposals")
    form = ScheduleForm()
    _schedule_choices(form)

    def put_on_agenda():
        meeting = db.session.get(Meeting, form.meeting_id.data)
        if meeting is None:
            raise DomainError(_("会議を選んでください。"), "meeting_id")
        return rules.schedule(proposal, meeting, actor=current_user, kind=AgendaKind(form.kind.data))

    return _act_with_form(proposal, form, "schedule_form", put_on_agenda, lambda item: _(
        "提案を第%(number)d回の議事(%(position)d)に掲載しました。", number=item.meeting.number, position=item.position))


# ------------------------------------------------------------------------------------------------ 資料

@bp.post("/<int:proposal_id>/attachments")
def add_attachment(proposal_id):
    proposal = _proposal_or_404(proposal_id)
    require(rules.can_attach(current_user, proposal), "only the submitting seat attaches documents")
    form = AttachmentForm()
    return _act_with_form(proposal, form, "attachment_form",
                          lambda: rules.add_attachment(proposal, form.file.data, actor=current_user),
                          lambda attachment: _("資料「%(name)s」を添付しました。", name=attachment.original_name))


def _attachment_or_404(proposal: Proposal, attachment_id: int) -> Attachment:
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.proposal_id != proposal.id:
        abort(404)
    return attachment


@bp.get("/<int:proposal_id>/attachments/<int:attachment_id>")
def download(proposal_id, attachment_id):
    proposal = _proposal_or_404(proposal_id)
    return files.send_attachment(_attachment_or_404(proposal, attachment_id))


@bp.post("/<int:proposal_id>/attachments/<int:attachment_id>/delete")
def delete_attachment(proposal_id, attachment_id):
    proposal = _proposal_or_404(proposal_id)
    attachment = _attachment_or_404(proposal, attachment_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    name = attachment.original_name
    rules.remove_attachment(attachment, actor=current_user)
    db.session.commit()
    flash(_("資料「%(name)s」を削除しました。", name=name), "success")
    return _redirect_to(proposal)


# -------------------------------------------------------------------------------------------- comments

@bp.post("/<int:proposal_id>/comments")
def add_comment(proposal_id):
    proposal = _proposal_or_404(proposal_id)
    require(rules.can_comment(current_user, proposal), "may not comment")
    form = CommentForm()
    return _act_with_form(
        proposal, form, "comment_form", lambda: rules.add_comment(proposal, actor=current_user, text=form.text.data),
        lambda _comment: _("コメントを投稿しました。"),
        redirect_to=lambda comment: redirect(
            url_for("proposals.show", proposal_id=proposal.id, _anchor=f"comment-{comment.id}"), 303),
    )


def _comment_or_404(proposal: Proposal, comment_id: int) -> ProposalComment:
    comment = db.session.get(ProposalComment, comment_id)
    if comment is None or comment.proposal_id != proposal.id:
        abort(404)
    return comment


@bp.route("/<int:proposal_id>/comments/<int:comment_id>/edit", methods=["GET", "POST"])
def edit_comment(proposal_id, comment_id):
    proposal = _proposal_or_404(proposal_id)
    comment = _comment_or_404(proposal, comment_id)
    require(rules.can_edit_comment(current_user, comment), "only the author, within the edit window")
    form = CommentForm(obj=comment if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            rules.edit_comment(comment, actor=current_user, text=form.text.data)
            db.session.commit()
        except DomainError as error:
            _fail(error, form)
        else:
            flash(_("コメントを修正しました。"), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id, _anchor=f"comment-{comment.id}"), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("proposals/comment_form.html", committee=g.committee, proposal=proposal, comment=comment,
                           form=form, window=int(rules.COMMENT_EDIT_WINDOW.total_seconds() // 60)), status


@bp.post("/<int:proposal_id>/comments/<int:comment_id>/delete")
def delete_comment(proposal_id, comment_id):
    proposal = _proposal_or_404(proposal_id)
    comment = _comment_or_404(proposal, comment_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    rules.delete_comment(comment, actor=current_user)
    db.session.commit()
    flash(_("コメントを削除しました。"), "success")
    return _redirect_to(proposal)


# ------------------------------------------------------------------------------------------- revisions

@bp.get("/<int:proposal_id>/revisions")
def revisions(proposal_id):
    """The revision history, and a diff between two revisions (?from=1&to=3; default: the last two)."""
    proposal = _proposal_or_404(proposal_id, for_page=True)
    by_number = {r.number: r for r in proposal.revisions}
    latest = max(by_number)
    new_number = request.args.get("to", type=int) or latest
    old_number = request.args.get("from", type=int) or max(new_number - 1, 1)
    if old_number not in by_number or new_number not in by_number:
        abort(404)
    old, new = by_number[old_number], by_number[new_number]
    return render_template(
        "proposals/revisions.html", committee=g.committee, proposal=proposal, old=old, new=new,
        diffs=rules.diff_revisions(old, new),
    )

