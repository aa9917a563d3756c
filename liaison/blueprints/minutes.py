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
from wtforms.fields.choices import SelectChoice

from .. import exports
from ..dates import TOKYO
from ..domain import access, require
from ..domain import meetings as meeting_rules
from ..domain import minutes as rules
from ..domain import minutes_signers as signer_rules
from ..domain import search
from ..extensions import db
from ..forms.meetings import ActionForm, SignersForm
from ..forms.minutes import CommentForm, ReviewForm, field_name, text_form
from ..models import Meeting, Minutes, MinutesStatus, MinutesVersion, User
from ..pages import slots
from ..pagination import paginate
from .handling import act
from .loading import minutes_or_404, version_or_404
from .scoping import committee_blueprint, union_wide

bp = committee_blueprint("minutes", __name__, "/meetings")
archive = Blueprint("minutes_archive", __name__, url_prefix="/minutes")

bp.add_app_template_global(rules.item_key, "minutes_item_key")
bp.add_app_template_global(exports.approval_line, "minutes_approval_line")


# ------------------------------------------------------------------------------------------- helpers

def _drafted(meeting_id: int) -> tuple[Meeting, Minutes]:
    """The meeting and its minutes; 404 before the minutes are drafted."""
    meeting, minutes = minutes_or_404(meeting_id)
    if minutes is None:
        abort(404)
    return meeting, minutes


def _managed(meeting_id: int) -> tuple[Meeting, Minutes]:
    """For the secretariat's steps: the meeting and its minutes, 403 for anyone else."""
    meeting, minutes = minutes_or_404(meeting_id)
    require(rules.can_manage(current_user), "only the secretariat manages minutes")
    if minutes is None:
        abort(404)
    return meeting, minutes


def _to_minutes(meeting: Meeting, anchor: str | None = None):
    return redirect(url_for("minutes.show", meeting_id=meeting.id, _anchor=anchor), 303)


def _on_page(meeting: Meeting, minutes: Minutes | None, change, success, form=None, to=None, **page_forms):
    """A POST from the minutes page; invalid input or a refusal shows the page again (400)."""
    return act(
        form if form is not None else ActionForm(), change, success=success,
        to=to or (lambda _result: _to_minutes(meeting)), fields=_FIELDS,
        page=lambda: _page(meeting, rules.minutes_of(meeting) if minutes is None else minutes, **page_forms),
    )


class _MinutesFields(dict):
    """A domain field (a section key) names its form field through forms.minutes.field_name."""

    def get(self, key, default=None):
        return field_name(key) if key else default


_FIELDS = _MinutesFields()


def _sections(version: MinutesVersion) -> list[tuple[str, str]]:
    labels = rules.section_labels()
    sections = [(rules.OPENING, labels[rules.OPENING])]
    for item in version.facts["items"]:
        sections.append((rules.item_key(item["id"]), f"{item['number']}. {item['title']}"))
    sections.append((rules.CLOSING, labels[rules.CLOSING]))
    return sections


# ----------------------------------------------------------------------------------------- the page

def _page(meeting: Meeting, minutes: Minutes | None, review_form=None, comment_form=None, signers_form=None):
    """Everything the minutes page shows, in a fixed number of queries (access: minutes_or_404)."""
    member = meeting_rules.can_view(current_user, meeting)
    version = rules.visible_version(current_user, minutes) if minutes else None
    data = dict(meeting=meeting, committee=g.committee, minutes=minutes, version=version, member=member, steps=rules.STATUS_ORDER,
                can_manage=rules.can_manage(current_user), action_form=ActionForm(formdata=None))
    if minutes is not None and member:
        sheet = rules.review_sheet_rows(minutes)  # columns, not the seats' ORM graph (issue 22)
        my_line = next((line for line in sheet if line.seat.user_id == current_user.id), None)
        if comment_form is None:
            comment_form = CommentForm(formdata=None)
        comment_form.agenda_item_id.choices = [SelectChoice(0, _("議事録全体"))] + [
            SelectChoice(item["id"], f"{item['number']}. {item['title']}") for item in rules.latest_version(minutes).facts["items"]
        ]
        data.update(
            sheet=sheet, reviewed=sum(1 for line in sheet if line.review), my_line=my_line,
            review_rounds=rules.review_rounds(minutes, seat_count=len(sheet)),
            review_complete=rules.review_complete(minutes, lines=sheet),
            comments=rules.comment_rows(minutes), comment_form=comment_form,
            review_form=review_form or ReviewForm(formdata=None),
            can_review=rules.can_review(current_user, minutes), can_approve=rules.can_approve(current_user, minutes),
            can_publish=rules.can_publish(current_user, minutes),
            can_view_versions=rules.can_view_versions(current_user, minutes),
            confirmation=rules.confirmation_item(minutes) if rules.can_manage(current_user) else None,  # 事務局の操作
            next_meeting=rules.next_meeting(minutes) if rules.can_manage(current_user) else None,
        )
    if minutes is not None and signer_rules.required(minutes):  # 議事録署名人 (only for committees that have them)
        named = signer_rules.signers_of(minutes)
        mine = next((s for s in named if s.user_id == current_user.id), None)
        data.update(signers_on=True, signer_lines=signer_rules.lines(minutes, named),
                    can_sign=mine is not None and mine.confirmed_at is None and minutes.status in signer_rules.CONFIRMABLE)
        if (rules.can_manage(current_user) and minutes.status is not MinutesStatus.PUBLISHED
                and not any(s.confirmed_at for s in named)):
            form = signers_form or SignersForm(formdata=None)
            form.members.choices = _signer_choices(minutes)
            if form.members.data is None:
                form.members.data = [s.membership_id for s in named if not s.is_chair]
            data["signers_form"] = form
    if version is not None:
        data["approver"] = rules.approver_of(version)
    return render_template("minutes/show.html", **data)


@slots.filler("minutes_mine")
def _mine(meeting_id: int, part: str) -> str:
    """The viewer's own part of a shared minutes page (templates/minutes/_mine.html): their line of the review
    sheet, or whether they are a named signer still to confirm. Kept for the request (two parts)."""
    kept = g.setdefault("_liaison_minutes_mine", {})
    if meeting_id not in kept:
        meeting, minutes = minutes_or_404(meeting_id)
        data = dict(meeting=meeting, minutes=minutes, can_review=False, my_line=None, can_sign=False)
        if minutes is not None and rules.can_review(current_user, minutes):
            data.update(can_review=True, my_line=next(
                (line for line in rules.review_sheet_rows(minutes) if line.seat.user_id == current_user.id), None))
        if minutes is not None and minutes.status in signer_rules.CONFIRMABLE and signer_rules.required(minutes):
            data["can_sign"] = any(s.user_id == current_user.id and s.confirmed_at is None
                                   for s in signer_rules.signers_of(minutes))
        kept[meeting_id] = data
    return render_template("minutes/_mine.html", part=part, **kept[meeting_id])


def _signer_choices(minutes: Minutes) -> list[tuple[int, str]]:
    return [(seat.id, f"{seat.seat_label} {seat.user.name}") for seat in signer_rules.candidates(minutes)]


@bp.get("/<int:meeting_id>/minutes")
@union_wide
def show(meeting_id):
    return _page(*minutes_or_404(meeting_id))


@bp.post("/<int:meeting_id>/minutes/create")
def create(meeting_id):
    meeting, minutes = minutes_or_404(meeting_id)
    return _on_page(meeting, minutes, lambda: rules.create(meeting, actor=current_user),
                    _("会議の記録から議事録の案を作成しました。各議事の内容を記入してください。"),
                    to=url_for("minutes.edit", meeting_id=meeting.id))


def _regenerated(version) -> str | None:
    if version is None:
        flash(_("会議の記録に変更はありませんでした。"), "info")
        return None
    return _("出欠・議事・表決結果を会議の記録から更新しました(第%(n)d版)。記入した内容はそのままです。", n=version.number)


@bp.post("/<int:meeting_id>/minutes/regenerate")
def regenerate(meeting_id):
    meeting, minutes = _managed(meeting_id)
    return _on_page(meeting, minutes, lambda: rules.regenerate(minutes, actor=current_user), _regenerated)


def _saved(version) -> str | None:
    if version is None:
        flash(_("変更はありませんでした。"), "info")
        return None
    return _("議事録を保存しました(第%(n)d版)。", n=version.number)


@bp.route("/<int:meeting_id>/minutes/edit", methods=["GET", "POST"])
def edit(meeting_id):
    meeting, minutes = _managed(meeting_id)
    current = rules.latest_version(minutes)
    sections = _sections(current)
    form = text_form(sections)
    if request.method == "GET":
        for key, _label in sections:
            form[field_name(key)].data = current.texts.get(key, "")

    def save():
        texts = {key: form[field_name(key)].data or "" for key, _label in sections}
        return rules.save_text(minutes, actor=current_user, texts=texts, reason=form.reason.data or "")

    return act(
        form, save, success=_saved, to=lambda _version: _to_minutes(meeting), fields=_FIELDS,
        page=lambda: render_template(
            "minutes/edit.html", meeting=meeting, committee=g.committee, minutes=minutes, version=current, form=form,
            sections=sections, field_name=field_name, frozen=minutes.status.value in ("approved", "published"),
        ),
    )


# ------------------------------------------------------------------------------- versions and diff

@bp.get("/<int:meeting_id>/minutes/versions")
@union_wide
def versions(meeting_id):
    meeting, minutes = _drafted(meeting_id)
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
    meeting, minutes = _drafted(meeting_id)
    shown = version_or_404(minutes, number)
    return render_template("minutes/version.html", meeting=meeting, committee=g.committee, minutes=minutes,
                           version=shown, approver=rules.approver_of(shown))


@bp.get("/<int:meeting_id>/minutes/diff")
@union_wide
def diff(meeting_id):
    meeting, minutes = _drafted(meeting_id)
    require(rules.can_view_versions(current_user, minutes), "not allowed to see the history")
    latest = rules.latest_version(minutes).number
    new_number = request.args.get("to", latest, type=int)
    old_number = request.args.get("from", max(1, new_number - 1), type=int)
    old, new = version_or_404(minutes, old_number), version_or_404(minutes, new_number)
    return render_template("minutes/diff.html", meeting=meeting, committee=g.committee, minutes=minutes,
                           old=old, new=new, rows=rules.diff(old, new))


# ------------------------------------------------------------------------------------------- review

@bp.post("/<int:meeting_id>/minutes/review")
def open_review(meeting_id):
    meeting, minutes = _managed(meeting_id)
    form = ReviewForm()

    def open_it():
        deadline = form.deadline.data.replace(tzinfo=TOKYO) if form.deadline.data else None
        return rules.open_review(minutes, actor=current_user, deadline=deadline)

    return act(
        form, open_it, success=_("委員に議事録の確認を依頼しました。"), to=lambda _result: _to_minutes(meeting),
        invalid=_("確認の期限を正しく入力してください。"), fields=_FIELDS,
        page=lambda: _page(meeting, minutes, review_form=form),
    )


@bp.post("/<int:meeting_id>/minutes/return")
def return_to_draft(meeting_id):
    meeting, minutes = _managed(meeting_id)
    return _on_page(meeting, minutes, lambda: rules.return_to_draft(minutes, actor=current_user),
                    _("議事録を作成中に戻しました。委員の意見は残っています。"))


@bp.post("/<int:meeting_id>/minutes/no-objection")
@union_wide
def no_objection(meeting_id):
    meeting, minutes = _drafted(meeting_id)
    return _on_page(meeting, minutes, lambda: rules.mark_no_objection(minutes, actor=current_user),
                    _("「異議なし」を登録しました。"), to=lambda _result: _to_minutes(meeting, "review"))


@bp.post("/<int:meeting_id>/minutes/comments")
@union_wide
def comment(meeting_id):
    meeting, minutes = _drafted(meeting_id)
    form = CommentForm()
    form.agenda_item_id.choices = [SelectChoice(0, "")] + [
        SelectChoice(item["id"], item["title"]) for item in rules.latest_version(minutes).facts["items"]
    ]
    return _on_page(
        meeting, minutes,
        lambda: rules.add_comment(minutes, actor=current_user, text=form.text.data or "",
                                  agenda_item_id=form.agenda_item_id.data or None),
        _("意見を送りました。"), form=form, to=lambda _result: _to_minutes(meeting, "comments"), comment_form=form,
    )


# ----------------------------------------------------------------------------- approve and publish

@bp.post("/<int:meeting_id>/minutes/approve")
@union_wide
def approve(meeting_id):
    meeting, minutes = _drafted(meeting_id)
    reason = request.form.get("reason", "")
    return _on_page(meeting, minutes, lambda: rules.approve(minutes, actor=current_user, reason=reason),
                    lambda version: _("議事録(第%(n)d版)を承認しました。", n=version.number))


@bp.post("/<int:meeting_id>/minutes/publish")
def publish(meeting_id):
    meeting, minutes = _managed(meeting_id)
    return _on_page(meeting, minutes, lambda: rules.publish(minutes, actor=current_user),
                    _("議事録を公開しました。連合のすべての利用者が閲覧できます。"))


@bp.post("/<int:meeting_id>/minutes/confirmation")
def add_confirmation(meeting_id):
    meeting, minutes = _managed(meeting_id)
    return _on_page(meeting, minutes, lambda: rules.add_confirmation_item(minutes, actor=current_user),
                    _("次回の会議の議事に「前回議事録の確認」を追加しました。"),
                    to=lambda item: url_for("meetings.show", meeting_id=item.meeting_id, _anchor=f"item-{item.id}"))


# ------------------------------------------------------------------------------------ 議事録署名人

@bp.post("/<int:meeting_id>/minutes/signers")
def name_signers(meeting_id):
    meeting, minutes = _managed(meeting_id)
    form = SignersForm()
    form.members.choices = _signer_choices(minutes)
    return _on_page(meeting, minutes,
                    lambda: signer_rules.name_signers(minutes, actor=current_user, membership_ids=form.members.data or []),
                    _("議事録署名人を指名しました。"), form=form, to=lambda _result: _to_minutes(meeting, "signers"),
                    signers_form=form)


@bp.post("/<int:meeting_id>/minutes/sign")
@union_wide
def sign(meeting_id):
    meeting, minutes = _drafted(meeting_id)
    return _on_page(meeting, minutes, lambda: signer_rules.confirm(minutes, actor=current_user),
                    _("議事録署名人として確認しました。"), to=lambda _result: _to_minutes(meeting, "signers"))


# ------------------------------------------------------------------------------------ PDF and Word

def _export_version(meeting_id: int) -> tuple[Meeting, Minutes, MinutesVersion]:
    """?version=N, or what the user reads on the minutes page."""
    meeting, minutes = _drafted(meeting_id)
    number = request.args.get("version", type=int)
    if number is None:
        shown = rules.visible_version(current_user, minutes)
        require(shown is not None, "minutes not published")
        return meeting, minutes, shown
    return meeting, minutes, version_or_404(minutes, number)


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


@bp.get("/<int:meeting_id>/minutes-pdfa.pdf")
@union_wide
def pdfa(meeting_id):
    meeting, minutes, shown = _export_version(meeting_id)
    return _download(exports.minutes_pdfa(minutes, shown), "application/pdf", shown, "pdf")


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
    page = paginate(search.search_query(current_user, q, committee, kind))
    committees = list(access.all_committees())
    return render_template(
        "minutes/index.html", page=page, results=search.load(page.items), q=q, committee=committee,
        committees=committees, kind=kind, kinds=list(search.ResultKind), kind_label=search.kind_label,
    )
