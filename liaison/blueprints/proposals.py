"""A committee's proposals (/<slug>/proposals/): list and search, drafting, review, comments, revisions."""
from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..dates import format_date
from ..domain import DomainError, require
from ..domain.access import is_staff
from ..domain import attachments as files
from ..domain import proposals as rules
from ..domain import proposal_permissions as proposal_access
from ..domain import proposal_queries
from ..domain import votes as vote_rules
from ..extensions import db
from ..labels import meeting_name
from ..forms.proposals import (
    ActionForm, AttachmentForm, CommentForm, ProposalForm, ReturnForm, ScheduleForm, WithdrawForm,
)
from ..models import AgendaKind, Body, Meeting, PlanPolicy, Proposal, ProposalStatus
from ..pages import slots
from ..pagination import paginate
from .downloads import send_attachment
from .handling import act
from .loading import attachment_or_404, comment_or_404, proposal_or_404
from .scoping import committee_blueprint

bp = committee_blueprint("proposals", __name__, "/proposals")


def _redirect_to(proposal: Proposal):
    return redirect(url_for("proposals.show", proposal_id=proposal.id), 303)


def _policies() -> list[PlanPolicy]:
    return list(db.session.scalars(select(PlanPolicy).order_by(PlanPolicy.position)))


# ------------------------------------------------------------------------------------------------ list

@bp.get("/")
def index():
    args = request.args
    status = args.get("status", "")
    filters = proposal_queries.ListFilters(
        status=ProposalStatus(status) if status in {s.value for s in ProposalStatus} else None,
        body_id=args.get("body", type=int), plan_policy_id=args.get("policy", type=int),
        fiscal_year=args.get("fy", type=int), q=(args.get("q") or "")[:100],
    )
    page = paginate(proposal_queries.list_query(g.committee, current_user, filters))
    bodies = db.session.scalars(
        select(Body).where(Body.id.in_(select(Proposal.body_id).where(Proposal.committee_id == g.committee.id)))
        .order_by(Body.position)
    ).all()
    return render_template(
        "proposals/index.html", committee=g.committee, page=page, filters=filters, bodies=bodies,
        policies=_policies(), years=proposal_queries.proposal_years(), statuses=list(ProposalStatus),
        can_create=proposal_access.can_create(current_user, g.committee),
    )


# ------------------------------------------------------------------------------------- drafting, editing

def _text_form(proposal: Proposal | None = None) -> ProposalForm:
    form = ProposalForm(obj=proposal if request.method == "GET" else None)
    form.plan_policy_id.choices = [(0, _("選んでください"))] + [(p.id, f"{p.code} {p.area}: {p.title}") for p in _policies()]
    form.desired_meeting_id.choices = [(0, _("(指定なし)"))] + [
        (m.id, _meeting_choice(m)) for m in proposal_queries.schedulable_meetings(g.committee, current_user)
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
    require(proposal_access.can_create(current_user, g.committee), "only a voting seat drafts proposals")
    form = _text_form()
    return act(
        form, lambda: rules.create_draft(g.committee, actor=current_user, **_form_values(form)),
        success=_("下書きを保存しました。内容を確認して「提出」してください。"), to=_redirect_to,
        page=lambda: render_template("proposals/form.html", committee=g.committee, form=form, proposal=None),
    )


def _saved(revision) -> str | None:
    if revision is None:
        flash(_("変更はありませんでした。"), "info")
        return None
    return _("第%(n)d版として保存しました。", n=revision.number)


@bp.route("/<int:proposal_id>/edit", methods=["GET", "POST"])
def edit(proposal_id):
    proposal = proposal_or_404(proposal_id)
    require(proposal_access.can_edit(current_user, proposal), "only the submitting seat edits a draft or returned proposal")
    form = _text_form(proposal)
    return act(
        form, lambda: rules.update(proposal, actor=current_user, **_form_values(form)),
        success=_saved, to=lambda _revision: _redirect_to(proposal),
        page=lambda: render_template("proposals/form.html", committee=g.committee, form=form, proposal=proposal),
    )


# --------------------------------------------------------------------------------------------- the page

def _show(proposal: Proposal, **forms):
    perms = proposal_access.permissions(current_user, proposal)
    schedule_form = forms.get("schedule_form")
    if perms.schedule and schedule_form is None:
        schedule_form = ScheduleForm(formdata=None)
    if schedule_form is not None:
        _schedule_choices(schedule_form)
    return render_template(
        "proposals/show.html", committee=g.committee, proposal=proposal, perms=perms,
        history=proposal_queries.history(proposal),
        comment_form=forms.get("comment_form") or CommentForm(formdata=None),
        return_form=forms.get("return_form") or ReturnForm(formdata=None),
        withdraw_form=forms.get("withdraw_form") or WithdrawForm(formdata=None),
        schedule_form=schedule_form, action_form=ActionForm(formdata=None),
        attachment_form=forms.get("attachment_form") or AttachmentForm(formdata=None), accept=files.ACCEPT,
        max_mb=current_app.config["MAX_UPLOAD_MB"],
        can_edit_comment=proposal_access.can_edit_comment, can_delete_comment=proposal_access.can_delete_comment,
        current_item=proposal_access.current_agenda_item(proposal), decisions=vote_rules.proposal_decisions(proposal),
    )


def _schedule_choices(form: ScheduleForm) -> None:
    form.meeting_id.choices = [(0, _("選んでください"))] + [
        (m.id, _meeting_choice(m)) for m in proposal_queries.schedulable_meetings(g.committee, current_user)
    ]


@bp.get("/<int:proposal_id>")
def show(proposal_id):
    return _show(proposal_or_404(proposal_id, for_page=True))


def _on_page(proposal: Proposal, form, change, success, form_name: str | None = None, to=None):
    """A POST from the proposal page; invalid input or a refusal shows the page again with the form (400)."""
    return act(
        form, change, success=success, to=to or (lambda _result: _redirect_to(proposal)),
        page=lambda: _show(proposal_queries.load_for_page(proposal.id), **({form_name: form} if form_name else {})),
    )


@bp.post("/<int:proposal_id>/submit")
def submit(proposal_id):
    proposal = proposal_or_404(proposal_id)
    return _on_page(proposal, ActionForm(), lambda: rules.submit(proposal, actor=current_user),
                    _("提案を提出しました。事務局が確認します。"))


@bp.post("/<int:proposal_id>/accept")
def accept(proposal_id):
    proposal = proposal_or_404(proposal_id)
    return _on_page(proposal, ActionForm(), lambda: rules.accept(proposal, actor=current_user), _("提案を受理しました。"))


@bp.post("/<int:proposal_id>/withdraw")
def withdraw(proposal_id):
    proposal = proposal_or_404(proposal_id)
    form = WithdrawForm()
    return _on_page(proposal, form, lambda: rules.withdraw(proposal, actor=current_user, reason=form.reason.data or ""),
                    _("提案を取り下げました。"), "withdraw_form")


@bp.post("/<int:proposal_id>/return")
def return_proposal(proposal_id):
    proposal = proposal_or_404(proposal_id)
    require(proposal_access.can_review(current_user), "only the secretariat returns proposals")
    form = ReturnForm()
    return _on_page(proposal, form, lambda: rules.return_to_submitter(proposal, actor=current_user, reason=form.reason.data),
                    _("提案を差し戻しました。"), "return_form")


@bp.post("/<int:proposal_id>/schedule")
def schedule(proposal_id):
    proposal = proposal_or_404(proposal_id)
    require(proposal_access.can_review(current_user), "only the secretariat schedules proposals")
    form = ScheduleForm()
    _schedule_choices(form)

    def put_on_agenda():
        meeting = db.session.get(Meeting, form.meeting_id.data)
        if meeting is None:
            raise DomainError(_("会議を選んでください。"), "meeting_id")
        return rules.schedule(proposal, meeting, actor=current_user, kind=AgendaKind(form.kind.data))

    return _on_page(proposal, form, put_on_agenda, lambda item: _(
        "提案を第%(number)d回の議事(%(position)d)に掲載しました。", number=item.meeting.number, position=item.position),
        "schedule_form")


# ------------------------------------------------------------------------------------------------ 資料

@bp.post("/<int:proposal_id>/attachments")
def add_attachment(proposal_id):
    proposal = proposal_or_404(proposal_id)
    require(proposal_access.can_attach(current_user, proposal), "only the submitting seat attaches documents")
    form = AttachmentForm()
    return _on_page(proposal, form, lambda: rules.add_attachment(proposal, form.file.data, actor=current_user),
                    lambda attachment: _("資料「%(name)s」を添付しました。", name=attachment.original_name), "attachment_form")


@bp.get("/<int:proposal_id>/attachments/<int:attachment_id>")
def download(proposal_id, attachment_id):
    proposal = proposal_or_404(proposal_id)
    return send_attachment(attachment_or_404(attachment_id, proposal=proposal))


@bp.post("/<int:proposal_id>/attachments/<int:attachment_id>/delete")
def delete_attachment(proposal_id, attachment_id):
    proposal = proposal_or_404(proposal_id)
    attachment = attachment_or_404(attachment_id, proposal=proposal)
    name = attachment.original_name
    return act(ActionForm(), lambda: rules.remove_attachment(attachment, actor=current_user),
               success=_("資料「%(name)s」を削除しました。", name=name), to=lambda _result: _redirect_to(proposal))


# -------------------------------------------------------------------------------------------- comments

@bp.post("/<int:proposal_id>/comments")
def add_comment(proposal_id):
    proposal = proposal_or_404(proposal_id)
    require(proposal_access.can_comment(current_user, proposal), "may not comment")
    form = CommentForm()
    return _on_page(
        proposal, form, lambda: rules.add_comment(proposal, actor=current_user, text=form.text.data),
        _("コメントを投稿しました。"), "comment_form",
        to=lambda comment: url_for("proposals.show", proposal_id=proposal.id, _anchor=f"comment-{comment.id}"),
    )


@bp.route("/<int:proposal_id>/comments/<int:comment_id>/edit", methods=["GET", "POST"])
def edit_comment(proposal_id, comment_id):
    proposal = proposal_or_404(proposal_id)
    comment = comment_or_404(proposal, comment_id)
    require(proposal_access.can_edit_comment(current_user, comment), "only the author, within the edit window")
    form = CommentForm(obj=comment if request.method == "GET" else None)
    return act(
        form, lambda: rules.edit_comment(comment, actor=current_user, text=form.text.data),
        success=_("コメントを修正しました。"),
        to=url_for("proposals.show", proposal_id=proposal.id, _anchor=f"comment-{comment.id}"),
        page=lambda: render_template("proposals/comment_form.html", committee=g.committee, proposal=proposal, comment=comment,
                                     form=form, window=int(proposal_access.COMMENT_EDIT_WINDOW.total_seconds() // 60)),
    )


@bp.post("/<int:proposal_id>/comments/<int:comment_id>/delete")
def delete_comment(proposal_id, comment_id):
    proposal = proposal_or_404(proposal_id)
    comment = comment_or_404(proposal, comment_id)
    return act(ActionForm(), lambda: rules.delete_comment(comment, actor=current_user),
               success=_("コメントを削除しました。"), to=lambda _result: _redirect_to(proposal))


# ------------------------------------------------------------------------------------------- revisions

@bp.get("/<int:proposal_id>/revisions")
def revisions(proposal_id):
    """The revision history, and a diff between two revisions (?from=1&to=3; default: the last two)."""
    proposal = proposal_or_404(proposal_id, for_page=True)
    by_number = {r.number: r for r in proposal.revisions}
    latest = max(by_number)
    new_number = request.args.get("to", type=int) or latest
    old_number = request.args.get("from", type=int) or max(new_number - 1, 1)
    if old_number not in by_number or new_number not in by_number:
        abort(404)
    old, new = by_number[old_number], by_number[new_number]
    return render_template(
        "proposals/revisions.html", committee=g.committee, proposal=proposal, old=old, new=new,
        diffs=proposal_queries.diff_revisions(old, new),
    )


@slots.filler("comment_actions")
def _comment_actions(proposal_id: int, comment_id: int, written: str) -> str:
    """The author's own 修正 (within the edit window) and 削除 on their comment (an owned slot: only the author's
    requests render it; templates/proposals/_comment_actions.html). The secretariat's 削除 on any comment is
    part of its shared page. Decided by the same rules as the comment's routes, from what the page holds."""
    comment = SimpleNamespace(deleted_at=None, author_id=current_user.id, created_at=datetime.fromisoformat(written))
    return render_template(
        "proposals/_comment_actions.html", proposal_id=proposal_id, comment_id=comment_id,
        can_edit=proposal_access.can_edit_comment(current_user, comment),
        can_delete=not is_staff(current_user) and proposal_access.can_delete_comment(current_user, comment))
