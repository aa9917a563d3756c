"""Votes (表決) under a committee: the secretariat's panel on an agenda item, the ballot and result page, CSV."""
from __future__ import annotations

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..dates import current_fiscal_year, utcnow
from ..domain import DomainError, require
from ..domain import votes
from ..extensions import db
from ..forms.votes import (
    BallotForm, CancelVoteForm, CastingVoteForm, ConfirmForm, OpenVoteForm, QuorumForm, tokyo_to_utc,
)
from ..models import AgendaItem, Choice, Majority, Meeting, Membership, VoteMethod, VoteState
from ..pagination import paginate
from .scoping import committee_blueprint

bp = committee_blueprint("votes", __name__)
# The meeting page shows each agenda item's outcome (可決, 継続審議 …).
bp.add_app_template_global(votes.outcome_label, "vote_outcome_label")


def _item_or_404(meeting_id: int, item_id: int) -> AgendaItem:
    item = db.session.scalar(
        select(AgendaItem).join(AgendaItem.meeting)
        .options(joinedload(AgendaItem.meeting).joinedload(Meeting.committee))
        .where(AgendaItem.id == item_id, AgendaItem.meeting_id == meeting_id, Meeting.committee_id == g.committee.id)
    )
    if item is None:
        abort(404)
    return item


def _vote_or_404(vote_id: int):
    vote = votes.load_vote(vote_id, g.committee)
    if vote is None:
        abort(404)
    return vote


def _fiscal_year() -> int:
    fiscal_year = request.args.get("fy", type=int) or current_fiscal_year()
    return fiscal_year if 2000 <= fiscal_year <= 2100 else current_fiscal_year()


def _csv_response(text: str, filename: str) -> Response:
    return Response(
        text.encode("utf-8"), mimetype="text/csv",
        headers={"Content-Type": "text/csv; charset=utf-8", "Content-Disposition": f"attachment; filename={filename}"},
    )


def _panel_url(item: AgendaItem) -> str:
    return url_for(".panel", meeting_id=item.meeting_id, item_id=item.id)


def _vote_url(vote) -> str:
    return url_for(".show", vote_id=vote.id)


def _open_form() -> OpenVoteForm:
    form = OpenVoteForm()
    form.method.choices = [(m.value, votes.method_label(m)) for m in VoteMethod]
    form.majority.choices = [(m.value, votes.majority_label(m)) for m in Majority]
    return form


def _choice_form(choices=(Choice.YES, Choice.NO, Choice.ABSTAIN)) -> BallotForm:
    form = BallotForm()
    form.choice.choices = [(c.value, votes.choice_label(c)) for c in choices]
    return form


def _casting_form() -> CastingVoteForm:
    form = CastingVoteForm()
    form.choice.choices = [(Choice.YES.value, _("可とする(可決)")), (Choice.NO.value, _("否とする(否決)"))]
    return form


# --------------------------------------------------------------------------------------- the panel

def _render_panel(item: AgendaItem, form: OpenVoteForm | None = None, cancel_form=None, status: int = 200):
    require(votes.can_manage(current_user), "the vote panel is the secretariat's")
    history = votes.votes_of_item(item)
    live = next((v for v in history if v.state in (VoteState.OPEN, VoteState.TIED)), None)
    return render_template(
        "votes/panel.html", item=item, meeting=item.meeting, history=history, live=live,
        lines=votes.seat_lines(live) if live else [], form=form or _open_form(),
        cancel_form=cancel_form or CancelVoteForm(), confirm_form=ConfirmForm(), votes=votes,
    ), status


@bp.get("/meetings/<int:meeting_id>/items/<int:item_id>/vote")
def panel(meeting_id: int, item_id: int):
    return _render_panel(_item_or_404(meeting_id, item_id))


@bp.post("/meetings/<int:meeting_id>/items/<int:item_id>/vote")
def open_vote(meeting_id: int, item_id: int):
    item = _item_or_404(meeting_id, item_id)
    require(votes.can_manage(current_user), "only the secretariat opens votes")
    form = _open_form()
    if not form.validate_on_submit():
        return _render_panel(item, form, status=400)
    try:
        vote = votes.open_vote(
            item, actor=current_user, method=VoteMethod(form.method.data), majority=Majority(form.majority.data),
            abstentions_in_base=form.abstentions_in_base.data, secret=form.secret.data,
            opens_at=tokyo_to_utc(form.opens_at.data), closes_at=tokyo_to_utc(form.closes_at.data),
        )
    except DomainError as error:
        db.session.rollback()
        target = form[error.field] if error.field and error.field in form else form.method
        target.errors = [*target.errors, error.message]
        return _render_panel(item, form, status=400)
    db.session.commit()
    flash(_("表決を開始しました。"), "success")
    return redirect(_vote_url(vote) if vote.method is not VoteMethod.IN_MEETING else _panel_url(item), 303)


def _decide_without_vote(meeting_id: int, item_id: int, decide, success: str):
    """継続審議 / 報告了承: an outcome without a vote, by a button (a refusal is the DomainError page, 400)."""
    item = _item_or_404(meeting_id, item_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    decide(item, actor=current_user)
    db.session.commit()
    flash(success, "success")
    return redirect(_panel_url(item), 303)


@bp.post("/meetings/<int:meeting_id>/items/<int:item_id>/defer")
def defer(meeting_id: int, item_id: int):
    return _decide_without_vote(meeting_id, item_id, votes.defer_item, _("「継続審議」としました。"))


@bp.post("/meetings/<int:meeting_id>/items/<int:item_id>/note")
def note(meeting_id: int, item_id: int):
    return _decide_without_vote(meeting_id, item_id, votes.note_item, _("「報告了承」としました。"))


# ------------------------------------------------------------------------------ the vote and result page

def _render_vote(vote, *, ballot_form=None, casting_form=None, status: int = 200, template: str = "votes/show.html"):
    my_seat = votes.seat_of(current_user, vote)
    lines = votes.seat_lines(vote)
    my_line = next((line for line in lines if my_seat and line.seat.id == my_seat.id), None)
    return render_template(
        template, vote=vote, item=vote.agenda_item, meeting=vote.agenda_item.meeting, lines=lines,
        my_line=my_line, can_cast=votes.can_cast(current_user, vote, my_seat),
        show_choices=votes.may_see_choices(current_user, vote), can_manage=votes.can_manage(current_user),
        casting_seat=votes.casting_seat(current_user, vote) if vote.state is VoteState.TIED else None,
        ballot_form=ballot_form or _choice_form(), casting_form=casting_form or _casting_form(),
        cancel_form=CancelVoteForm(), confirm_form=ConfirmForm(), cast_count=sum(1 for line in lines if line.ballot),
        votes=votes, now=utcnow(),
    ), status


@bp.get("/votes/<int:vote_id>")
def show(vote_id: int):
    return _render_vote(_vote_or_404(vote_id))


@bp.post("/votes/<int:vote_id>/ballot")
def cast(vote_id: int):
    """A member's own ballot; a written vote asks for confirmation before it is saved."""
    vote = _vote_or_404(vote_id)
    my_seat = votes.seat_of(current_user, vote)
    require(my_seat is not None, "only the seat's member casts its ballot")
    form = _choice_form()
    if not form.validate_on_submit():
        return _render_vote(vote, ballot_form=form, status=400)
    choice = Choice(form.choice.data)
    if vote.method is VoteMethod.WRITTEN and form.confirmed.data != "1":
        return _render_vote(vote, ballot_form=form, template="votes/confirm.html")
    try:
        votes.cast_ballot(vote, my_seat.membership, choice, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        form.choice.errors = [*form.choice.errors, error.message]
        flash(error.message, "error")
        return _render_vote(vote, ballot_form=form, status=400)
    db.session.commit()
    flash(_("「%(choice)s」で投票しました。締切までは変更できます。", choice=votes.choice_label(choice)), "success")
    return redirect(_vote_url(vote), 303)


@bp.post("/votes/<int:vote_id>/record")
def record(vote_id: int):
    """The secretariat records seats' ballots (show of hands, roll call, proxies, paper ballots)."""
    vote = _vote_or_404(vote_id)
    require(votes.can_manage(current_user), "only the secretariat records ballots")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    choices = {}
    for key, value in request.form.items():
        if not key.startswith("seat-") or not value:
            continue
        try:
            membership_id = int(key.removeprefix("seat-"))
            choices[membership_id] = None if value == "withdraw" else Choice(value)
        except ValueError:
            abort(400)
    try:
        changed = votes.record_ballots(vote, choices, actor=current_user, reason=request.form.get("reason", ""))
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _render_panel(vote.agenda_item, status=400)
    db.session.commit()
    flash(_("%(n)d議席の票を記録しました。", n=changed), "success")
    return redirect(_panel_url(vote.agenda_item), 303)


@bp.post("/votes/<int:vote_id>/admit")
def admit(vote_id: int):
    """遅参: the secretariat admits a seat that checked in after the vote opened, with a reason."""
    vote = _vote_or_404(vote_id)
    require(votes.can_manage(current_user), "only the secretariat admits late arrivals")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        membership = db.session.get(Membership, int(request.form.get("membership_id", "")))
    except ValueError:
        abort(400)
    if membership is None:
        abort(400)
    try:
        votes.admit_late_arrival(vote, membership, actor=current_user, reason=request.form.get("reason", ""))
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _render_panel(vote.agenda_item, status=400)
    db.session.commit()
    flash(_("%(seat)sを表決に加えました。", seat=membership.seat_label), "success")
    return redirect(_panel_url(vote.agenda_item), 303)


@bp.post("/votes/<int:vote_id>/close")
def close(vote_id: int):
    vote = _vote_or_404(vote_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        votes.close_vote(vote, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _render_vote(vote, status=400)
    db.session.commit()
    if vote.state is VoteState.TIED:
        flash(_("可否同数です。議長の裁決により結果が確定します。"), "warning")
    else:
        flash(_("表決を締め切りました。結果: %(outcome)s", outcome=votes.outcome_label(vote.outcome)), "success")
    return redirect(_vote_url(vote), 303)


@bp.post("/votes/<int:vote_id>/cancel")
def cancel(vote_id: int):
    vote = _vote_or_404(vote_id)
    require(votes.can_manage(current_user), "only the secretariat cancels votes")
    form = CancelVoteForm()
    if not form.validate_on_submit():
        flash(_("取消の理由を入力してください。"), "error")
        return _render_panel(vote.agenda_item, cancel_form=form, status=400)
    votes.cancel_vote(vote, actor=current_user, reason=form.reason.data)
    db.session.commit()
    flash(_("表決を取り消しました。"), "success")
    return redirect(_panel_url(vote.agenda_item), 303)


@bp.post("/votes/<int:vote_id>/casting")
def casting(vote_id: int):
    vote = _vote_or_404(vote_id)
    require(votes.casting_seat(current_user, vote) is not None, "only the chair decides a tie")
    form = _casting_form()
    if not form.validate_on_submit():
        return _render_vote(vote, casting_form=form, status=400)
    votes.record_casting_vote(vote, Choice(form.choice.data), actor=current_user)
    db.session.commit()
    flash(_("議長裁決を記録しました。結果: %(outcome)s", outcome=votes.outcome_label(vote.outcome)), "success")
    return redirect(_vote_url(vote), 303)


@bp.get("/votes/<int:vote_id>/ballots.csv")
def ballots_csv(vote_id: int):
    vote = _vote_or_404(vote_id)
    return _csv_response(votes.ballots_csv(vote, current_user), f"vote-{vote.id}-ballots.csv")


# ------------------------------------------------------------------------------------- lists and settings

@bp.get("/votes/")
def index():
    fiscal_year = _fiscal_year()
    page = paginate(votes.committee_votes_query(g.committee, fiscal_year))
    return render_template(
        "votes/index.html", page=page, fiscal_year=fiscal_year, committee=g.committee, votes=votes,
        years=range(current_fiscal_year() + 1, 2023, -1),
    )


@bp.get("/votes/decisions.csv")
def decisions_csv():
    fiscal_year = _fiscal_year()
    return _csv_response(votes.decisions_csv(g.committee, fiscal_year), f"{g.committee.slug}-{fiscal_year}-decisions.csv")


@bp.route("/votes/quorum", methods=["GET", "POST"])
def quorum():
    require(current_user.is_admin, "only administrators set the quorum")
    committee = g.committee
    form = QuorumForm()
    if request.method == "GET":
        form.numerator.data, form.denominator.data = committee.quorum_numerator, committee.quorum_denominator
        form.at_least.data = committee.quorum_at_least
    elif form.validate_on_submit():
        try:
            votes.set_quorum(committee, actor=current_user, numerator=form.numerator.data,
                             denominator=form.denominator.data, at_least=form.at_least.data)
        except DomainError as error:
            db.session.rollback()
            form.numerator.errors = [*form.numerator.errors, error.message]
        else:
            db.session.commit()
            flash(_("定足数を変更しました。"), "success")
            return redirect(url_for(".quorum"), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("votes/quorum.html", form=form, committee=committee, votes=votes), status

