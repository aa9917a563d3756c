"""A meeting's minutes (/<slug>/meetings/<id>/minutes): draft, edit, versions and diff, review,
approval, publication, PDF and Word; and the union-wide search of published minutes together with proposals (/minutes/).

Access: the blueprint is committee-scoped, so its pages are for the committee's members and the
secretariat — except the reading pages (the minutes page, a version, the PDF and the .docx), marked
@union_wide: any logged-in user reaches them, and the domain (`minutes.visible_version`,
`can_read_version`) lets a non-member read the published version only (403 otherwise). The review
steps (history, diff, 異議なし, comments, approval) are @union_wide too, because the domain grants them
by the seat of the meeting's fiscal year: after the April handover, last year's members still review
the minutes of the meetings they sat in, though this year's committee pages are closed to them.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from .. import exports
from ..dates import TOKYO
from ..domain import DomainError, access, require
from ..domain import meetings as meeting_rules
from ..domain import minutes as rules
from ..domain import search
from ..extensions import db
from ..forms.meetings import ActionForm
from ..forms.minutes import CommentForm, ReviewForm, field_name, text_form
from ..models import Meeting, Minutes, MinutesVersion, User
from ..pagination import paginate_rows
from .scoping import committee_blueprint, union_wide

bp = committee_blueprint("minutes", __name__, "/meetings")
archive = Blueprint("minutes_archive", __name__, url_prefix="/minutes")

bp.add_app_template_global(rules.status_label, "minutes_status_label")
bp.add_app_template_global(rules.item_key, "minutes_item_key")
bp.add_app_template_global(exports.approval_line, "minutes_approval_line")


# ------------------------------------------------------------------------------------------- helpers

def _meeting_or_404(meeting_id: int) -> Meeting:
    meeting = db.session.scalar(
        select(Meeting).options(joinedload(Meeting.committee), joinedload(Meeting.convened_by), joinedload(Meeting.created_by))
        .where(Meeting.id == meeting_id, Meeting.committee_id == g.committee.id)
    )
    if meeting is None:
        abort(404)
    return meeting


def _minutes_or_404(meeting: Meeting) -> Minutes:
    minutes = rules.minutes_of(meeting)
    if minutes is None:
        abort(404)
    return minutes


def _managed(meeting_id: int) -> tuple[Meeting, Minutes]:
    """For the secretariat's steps: the meeting and its minutes, 403 for anyone else."""
    meeting = _meeting_or_404(meeting_id)
    require(rules.can_manage(current_user), "only the secretariat manages minutes")
    return meeting, _minutes_or_404(meeting)


def _version_or_404(minutes: Minutes, number: int | None) -> MinutesVersion:
    version = rules.latest_version(minutes) if number is None else rules.load_version(minutes, number)
    if version is None:
        abort(404)
    require(rules.can_read_version(current_user, minutes, version), "not allowed to read this version")
    return version


def _to_minutes(meeting: Meeting, anchor: str | None = None):
    return redirect(url_for("minutes.show", meeting_id=meeting.id, _anchor=anchor), 303)


def _valid_post() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


def _act(meeting: Meeting, minutes, change, success, anchor: str | None = None):
    """One button's POST: run the domain change, commit once; a refusal re-renders the page (400)."""
    _valid_post()
    try:
        result = change()
        db.session.commit()
    except DomainError as error:
        _failed(error)
        return _page(meeting, minutes, 400)
    flash(success(result) if callable(success) else success, "success")
    return _to_minutes(meeting, anchor)


def _failed(error: DomainError, form=None) -> None:
    db.session.rollback()
    if form is not None and error.field:
        name = field_name(error.field) if error.field not in form else error.field
        if name in form:
            form[name].errors = list(form[name].errors) + [error.message]
    flash(error.message, "error")


def _sections(version: MinutesVersion) -> list[tuple[str, str]]:
    labels = rules.section_labels()
    sections = [(rules.OPENING, labels[rules.OPENING])]
    for item in version.facts["items"]:
        sections.append((rules.item_key(item["id"]), f"{item['number']}. {item['title']}"))
    sections.append((rules.CLOSING, labels[rules.CLOSING]))
    return sections


# ----------------------------------------------------------------------------------------- the page

def _page(meeting: Meeting, minutes: Minutes | None, status: int = 200, review_form=None, comment_form=None):
    """Everything the minutes page shows, in a fixed number of queries."""
    member = meeting_rules.can_view(current_user, meeting)
    version = rules.visible_version(current_user, minutes) if minutes else None
    if version is None and not member:
        require(False, "minutes not published")
    data = dict(meeting=meeting, committee=g.committee, minutes=minutes, version=version, member=member, steps=rules.STATUS_ORDER,
                can_manage=rules.can_manage(current_user), action_form=ActionForm(formdata=None))
    if minutes is not None and member:
        sheet = rules.review_sheet(minutes)
        my_line = next((line for line in sheet if line.seat.user_id == current_user.id), None)
        if comment_form is None:
            comment_form = CommentForm(formdata=None)
        comment_form.agenda_item_id.choices = [SelectChoice(0, _("議事録全体"))] + [
            SelectChoice(item["id"], f"{item['number']}. {item['title']}") for item in rules.latest_version(minutes).facts["items"]
        ]
        data.update(
            sheet=sheet, reviewed=sum(1 for line in sheet if line.review), my_line=my_line,
            review_rounds=rules.review_rounds(minutes), review_complete=rules.review_complete(minutes),
            comments=rules.comments_of(minutes), comment_form=comment_form,
            review_form=review_form or ReviewForm(formdata=None),
            can_review=rules.can_review(current_user, minutes), can_approve=rules.can_approve(current_user, minutes),
            can_publish=rules.can_publish(current_user, minutes),
            can_view_versions=rules.can_view_versions(current_user, minutes),
            confirmation=rules.confirmation_item(minutes),
            next_meeting=rules.next_meeting(minutes) if rules.can_manage(current_user) else None,
        )
    if version is not None:
        data["approver"] = rules.approver_of(version)
    return render_template("minutes/show.html", **data), status


@bp.get("/<int:meeting_id>/minutes")
@union_wide
def show(meeting_id):
    meeting = _meeting_or_404(meeting_id)
    return _page(meeting, rules.minutes_of(meeting))


@bp.post("/<int:meeting_id>/minutes/create")
def create(meeting_id):
    meeting = _meeting_or_404(meeting_id)
    _valid_post()
    try:
        rules.create(meeting, actor=current_user)
        db.session.commit()
    except DomainError as error:
        _failed(error)
        return _page(meeting, rules.minutes_of(meeting), 400)
    flash(_("会議の記録から議事録の案を作成しました。各議事の内容を記入してください。"), "success")
    return redirect(url_for("minutes.edit", meeting_id=meeting.id), 303)


@bp.post("/<int:meeting_id>/minutes/regenerate")
def regenerate(meeting_id):
    meeting, minutes = _managed(meeting_id)
    _valid_post()
    try:
        version = rules.regenerate(minutes, actor=current_user)
        db.session.commit()
    except DomainError as error:
        _failed(error)
        return _page(meeting, minutes, 400)
    if version is None:
        flash(_("会議の記録に変更はありませんでした。"), "info")
    else:
        flash(_("出欠・議事・表決結果を会議の記録から更新しました(第%(n)d版)。記入した内容はそのままです。", n=version.number), "success")
    return _to_minutes(meeting)


@bp.route("/<int:meeting_id>/minutes/edit", methods=["GET", "POST"])
def edit(meeting_id):
    meeting, minutes = _managed(meeting_id)
    current = rules.latest_version(minutes)
    sections = _sections(current)
    form = text_form(sections)
    if request.method == "GET":
        for key, _label in sections:
            form[field_name(key)].data = current.texts.get(key, "")
    status = 200
    if form.validate_on_submit():
        texts = {key: form[field_name(key)].data or "" for key, _label in sections}
        try:
            version = rules.save_text(minutes, actor=current_user, texts=texts, reason=form.reason.data or "")
            db.session.commit()
        except DomainError as error:
            _failed(error, form)
            status = 400
        else:
            if version is None:
                flash(_("変更はありませんでした。"), "info")
            else:
                flash(_("議事録を保存しました(第%(n)d版)。", n=version.number), "success")
            return _to_minutes(meeting)
    elif request.method == "POST":
        status = 400
    return render_template(
        "minutes/edit.html", meeting=meeting, committee=g.committee, minutes=minutes, version=current, form=form,
        sections=sections, field_name=field_name,
        frozen=minutes.status.value in ("approved", "published"),
    ), status


# ------------------------------------------------------------------------------- versions and diff

@bp.get("/<int:meeting_id>/minutes/versions")
@union_wide
def versions(meeting_id):
    meeting = _meeting_or_404(meeting_id)
    minutes = _minutes_or_404(meeting)
    require(rules.can_view_versions(current_user, minutes), "not allowed to see the history")
    rows = [v for v in reversed(minutes.versions) if rules.can_read_version(current_user, minutes, v)]
    authors = {user.id: user for user in db.session.scalars(
        select(User).where(User.id.in_({v.author_id for v in rows} | {v.approved_by_id for v in rows}))
    )} if rows else {}
    return render_template("minutes/versions.html", meeting=meeting, committee=g.committee, minutes=minutes,
                           rows=rows, authors=authors)


@bp.get("/<int:meeting_id>/minutes/versions/<int:number>")
@union_wide
def version(meeting_id, number):
    meeting = _meeting_or_404(meeting_id)
    minutes = _minutes_or_404(meeting)
    shown = _version_or_404(minutes, number)
    return render_template("minutes/version.html", meeting=meeting, committee=g.committee, minutes=minutes,
                           version=shown, approver=rules.approver_of(shown))


@bp.get("/<int:meeting_id>/minutes/diff")
@union_wide
def diff(meeting_id):
    meeting = _meeting_or_404(meeting_id)
    minutes = _minutes_or_404(meeting)
    require(rules.can_view_versions(current_user, minutes), "not allowed to see the history")
    latest = rules.latest_version(minutes).number
    new_number = request.args.get("to", latest, type=int)
    old_number = request.args.get("from", max(1, new_number - 1), type=int)
    old, new = _version_or_404(minutes, old_number), _version_or_404(minutes, new_number)
    return render_template("minutes/diff.html", meeting=meeting, committee=g.committee, minutes=minutes,
                           old=old, new=new, rows=rules.diff(old, new))


# ------------------------------------------------------------------------------------------- review

@bp.post("/<int:meeting_id>/minutes/review")
def open_review(meeting_id):
    meeting, minutes = _managed(meeting_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        flash(_("確認の期限を正しく入力してください。"), "error")
        return _page(meeting, minutes, 400, review_form=form)
    deadline = form.deadline.data.replace(tzinfo=TOKYO) if form.deadline.data else None
    try:
        rules.open_review(minutes, actor=current_user, deadline=deadline)
        db.session.commit()
    except DomainError as error:
        _failed(error, form)
        return _page(meeting, minutes, 400, review_form=form)
    flash(_("委員に議事録の確認を依頼しました。"), "success")
    return _to_minutes(meeting)


@bp.post("/<int:meeting_id>/minutes/return")
def return_to_draft(meeting_id):
    meeting, minutes = _managed(meeting_id)
    return _act(meeting, minutes, lambda: rules.return_to_draft(minutes, actor=current_user),
                _("議事録を作成中に戻しました。委員の意見は残っています。"))


@bp.post("/<int:meeting_id>/minutes/no-objection")
@union_wide
def no_objection(meeting_id):
    meeting = _meeting_or_404(meeting_id)
    minutes = _minutes_or_404(meeting)
    return _act(meeting, minutes, lambda: rules.mark_no_objection(minutes, actor=current_user),
                _("「異議なし」を登録しました。"), "review")


@bp.post("/<int:meeting_id>/minutes/comments")
@union_wide
def comment(meeting_id):
    meeting = _meeting_or_404(meeting_id)
    minutes = _minutes_or_404(meeting)
    form = CommentForm()
    form.agenda_item_id.choices = [SelectChoice(0, "")] + [
        SelectChoice(item["id"], item["title"]) for item in rules.latest_version(minutes).facts["items"]
    ]
    if not form.validate_on_submit():
        return _page(meeting, minutes, 400, comment_form=form)
    try:
        rules.add_comment(minutes, actor=current_user, text=form.text.data or "",
                          agenda_item_id=form.agenda_item_id.data or None)
        db.session.commit()
    except DomainError as error:
        _failed(error, form)
        return _page(meeting, minutes, 400, comment_form=form)
    flash(_("意見を送りました。"), "success")
    return _to_minutes(meeting, "comments")


# ----------------------------------------------------------------------------- approve and publish

@bp.post("/<int:meeting_id>/minutes/approve")
@union_wide
def approve(meeting_id):
    meeting = _meeting_or_404(meeting_id)
    minutes = _minutes_or_404(meeting)
    reason = request.form.get("reason", "")
    return _act(meeting, minutes, lambda: rules.approve(minutes, actor=current_user, reason=reason),
                lambda version: _("議事録(第%(n)d版)を承認しました。", n=version.number))


@bp.post("/<int:meeting_id>/minutes/publish")
def publish(meeting_id):
    meeting, minutes = _managed(meeting_id)
    return _act(meeting, minutes, lambda: rules.publish(minutes, actor=current_user),
                _("議事録を公開しました。連合のすべての利用者が閲覧できます。"))


@bp.post("/<int:meeting_id>/minutes/confirmation")
def add_confirmation(meeting_id):
    meeting, minutes = _managed(meeting_id)
    _valid_post()
    try:
        item = rules.add_confirmation_item(minutes, actor=current_user)
        db.session.commit()
    except DomainError as error:
        _failed(error)
        return _page(meeting, minutes, 400)
    flash(_("次回の会議の議事に「前回議事録の確認」を追加しました。"), "success")
    return redirect(url_for("meetings.show", meeting_id=item.meeting_id, _anchor=f"item-{item.id}"), 303)


# ------------------------------------------------------------------------------------ PDF and Word

def _export_version(meeting_id: int) -> tuple[Meeting, Minutes, MinutesVersion]:
    """?version=N, or what the user reads on the minutes page."""
    meeting = _meeting_or_404(meeting_id)
    minutes = _minutes_or_404(meeting)
    number = request.args.get("version", type=int)
    if number is None:
        shown = rules.visible_version(current_user, minutes)
        require(shown is not None, "minutes not published")
        return meeting, minutes, shown
    return meeting, minutes, _version_or_404(minutes, number)


def _download(content: bytes, mimetype: str, version: MinutesVersion, suffix: str) -> Response:
    name = exports.file_name(version, suffix)
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = exports.content_disposition(name, inline=suffix == "pdf")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<int:meeting_id>/minutes.pdf")
@union_wide
def pdf(meeting_id):
    meeting, minutes, shown = _export_version(meeting_id)
    return _download(exports.minutes_pdf(minutes, shown), "application/pdf", shown, "pdf")


@bp.get("/<int:meeting_id>/minutes.docx")
@union_wide
def docx(meeting_id):
    meeting, minutes, shown = _export_version(meeting_id)
    return _download(exports.minutes_docx(minutes, shown), exports.DOCX_MIMETYPE, shown, "docx")


# ------------------------------------------------------------- search: published minutes and proposals

@archive.get("/")
@login_required
def index():
    """Published minutes and the proposals the user may read, searched together (issue 6)."""
    q = (request.args.get("q") or "").strip()[:100]
    committee = None
    slug = request.args.get("committee") or ""
    if slug:
        committee = access.committee_by_slug(slug)
    kinds = {kind.value: kind for kind in search.ResultKind}
    kind = kinds.get(request.args.get("kind") or "")
    page = paginate_rows(search.search_query(current_user, q, committee, kind))
    committees = list(access.all_committees())
    return render_template(
        "minutes/index.html", page=page, results=search.load(page.items), q=q, committee=committee,
        committees=committees, kind=kind, kinds=list(search.ResultKind), kind_label=search.kind_label,
    )
