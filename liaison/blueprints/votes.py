"""Votes (表決) under a committee: the secretariat's panel on an agenda item, the ballot and result page, CSV."""
from __future__ import annotations

from flask import abort, flash, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from ..dates import current_fiscal_year, utcnow
from ..domain import require
from ..domain import votes
from ..extensions import db
from ..labels import choices as label_choices
from ..labels import label
from ..forms.votes import (
    BallotForm, CancelVoteForm, CastingVoteForm, ChairRuleForm, ConfirmForm, OpenVoteForm, QuorumForm, tokyo_to_utc,
)
from ..models import AgendaItem, Ballot, Choice, Majority, Membership, Vote, VoteMethod, VoteSeat, VoteState
from ..pages import slots
from ..pagination import paginate
from .csv_export import csv_response
from .handling import act
from .loading import item_with_meeting_or_404, vote_or_404
from .scoping import committee_blueprint

bp = committee_blueprint("votes", __name__)
# The meeting page shows each agenda item's outcome (可決, 継続審議 …).


def _fiscal_year() -> int:
    fiscal_year = request.args.get("fy", type=int) or current_fiscal_year()
    return fiscal_year if 2000 <= fiscal_year <= 2100 else current_fiscal_year()


def _panel_url(item: AgendaItem) -> str:
    return url_for(".panel", meeting_id=item.meeting_id, item_id=item.id)


def _vote_url(vote) -> str:
    return url_for(".show", vote_id=vote.id)


def _open_form() -> OpenVoteForm:
    return OpenVoteForm()


def _choice_form(choices=(Choice.YES, Choice.NO, Choice.ABSTAIN)) -> BallotForm:
    form = BallotForm()
    form.choice.choices = label_choices(Choice, order=choices)
    return form


def _casting_form() -> CastingVoteForm:
    form = CastingVoteForm()
    form.choice.choices = [(Choice.YES.value, _("可とする(可決)")), (Choice.NO.value, _("否とする(否決)"))]
    return form


# --------------------------------------------------------------------------------------- the panel

def _render_panel(item: AgendaItem, form: OpenVoteForm | None = None, cancel_form=None):
    require(votes.can_manage(current_user), "the vote panel is the secretariat's")
    history = votes.votes_of_item(item)
    live = next((v for v in history if v.state in (VoteState.OPEN, VoteState.TIED)), None)
    return render_template(
        "votes/panel.html", item=item, meeting=item.meeting, history=history, live=live,
        lines=votes.seat_lines(live) if live else [], form=form or _open_form(),
        cancel_form=cancel_form or CancelVoteForm(), confirm_form=ConfirmForm(), votes=votes,
    )


@bp.get("/meetings/<int:meeting_id>/items/<int:item_id>/vote")
def panel(meeting_id: int, item_id: int):
    return _render_panel(item_with_meeting_or_404(meeting_id, item_id))


@bp.post("/meetings/<int:meeting_id>/items/<int:item_id>/vote")
def open_vote(meeting_id: int, item_id: int):
    item = item_with_meeting_or_404(meeting_id, item_id)
    require(votes.can_manage(current_user), "only the secretariat opens votes")
    form = _open_form()
    return act(
        form,
        lambda: votes.open_vote(
            item, actor=current_user, method=VoteMethod(form.method.data), majority=Majority(form.majority.data),
            abstentions_in_base=form.abstentions_in_base.data, secret=form.secret.data,
            opens_at=tokyo_to_utc(form.opens_at.data), closes_at=tokyo_to_utc(form.closes_at.data),
        ),
        success=_("表決を開始しました。"), fallback_field="method",
        to=lambda vote: _vote_url(vote) if vote.method is not VoteMethod.IN_MEETING else _panel_url(item),
        page=lambda: _render_panel(item, form),
    )


def _decide_without_vote(meeting_id: int, item_id: int, decide, success: str):
    """継続審議 / 報告了承: an outcome without a vote, by a button (a refusal is the DomainError page, 400)."""
    item = item_with_meeting_or_404(meeting_id, item_id)
    return act(ConfirmForm(), lambda: decide(item, actor=current_user), success=success, to=_panel_url(item))


@bp.post("/meetings/<int:meeting_id>/items/<int:item_id>/defer")
def defer(meeting_id: int, item_id: int):
    return _decide_without_vote(meeting_id, item_id, votes.defer_item, _("「継続審議」としました。"))


@bp.post("/meetings/<int:meeting_id>/items/<int:item_id>/note")
def note(meeting_id: int, item_id: int):
    return _decide_without_vote(meeting_id, item_id, votes.note_item, _("「報告了承」としました。"))


# ------------------------------------------------------------------------------ the vote and result page

def _render_vote(vote, *, ballot_form=None, casting_form=None, template: str = "votes/show.html"):
    my_seat = votes.seat_of(current_user, vote)
    lines = votes.seat_row_lines(vote)  # columns, not the seats' ORM graph (issue 22)
    my_line = next((line for line in lines if my_seat and line.seat.id == my_seat.id), None)
    return render_template(
        template, vote=vote, item=vote.agenda_item, meeting=vote.agenda_item.meeting, lines=lines,
        my_line=my_line, can_cast=votes.can_cast(current_user, vote, my_seat),
        show_choices=votes.may_see_choices(current_user, vote), can_manage=votes.can_manage(current_user),
        casting_seat=votes.casting_seat(current_user, vote) if vote.state is VoteState.TIED else None,
        ballot_form=ballot_form or _choice_form(), casting_form=casting_form or _casting_form(),
        cancel_form=CancelVoteForm(), confirm_form=ConfirmForm(), cast_count=sum(1 for line in lines if line.ballot),
        votes=votes, now=utcnow(),
    )


@slots.filler("vote_mine")
def _mine(vote_id: int) -> str:
    """The viewer's own part of a shared vote page (templates/votes/_mine.html): their frozen seat and its
    ballot (one query with the vote's), and the casting vote's seat on a tie — never the vote's seat list."""
    vote = db.session.get(Vote, vote_id)
    mine = db.session.execute(
        select(VoteSeat, Ballot).join(VoteSeat.membership)
        .options(contains_eager(VoteSeat.membership).joinedload(Membership.body))
        .outerjoin(Ballot, (Ballot.vote_id == VoteSeat.vote_id) & (Ballot.membership_id == VoteSeat.membership_id))
        .where(VoteSeat.vote_id == vote_id, Membership.user_id == current_user.id)).first()
    my_seat, ballot = mine if mine is not None else (None, None)
    return render_template(
        "votes/_mine.html", vote=vote, my_line=None if my_seat is None else votes.SeatLine(my_seat, ballot),
        can_cast=votes.can_cast(current_user, vote, my_seat), ballot_form=_choice_form(),
        casting_seat=votes.casting_seat(current_user, vote) if vote.state is VoteState.TIED else None,
        casting_form=_casting_form(), votes=votes, now=utcnow())


@bp.get("/votes/<int:vote_id>")
def show(vote_id: int):
    return _render_vote(vote_or_404(vote_id))


@bp.post("/votes/<int:vote_id>/ballot")
def cast(vote_id: int):
    """A member's own ballot; a written vote asks for confirmation before it is saved."""
    vote = vote_or_404(vote_id)
    my_seat = votes.seat_of(current_user, vote)
    require(my_seat is not None, "only the seat's member casts its ballot")
    form = _choice_form()
    if form.validate_on_submit() and vote.method is VoteMethod.WRITTEN and form.confirmed.data != "1":
        return _render_vote(vote, ballot_form=form, template="votes/confirm.html")
    return act(
        form, lambda: votes.cast_ballot(vote, my_seat.membership, Choice(form.choice.data), actor=current_user),
        success=lambda _ballot: _("「%(choice)s」で投票しました。締切までは変更できます。", choice=label(Choice(form.choice.data))),
        to=_vote_url(vote), fallback_field="choice", page=lambda: _render_vote(vote, ballot_form=form),
    )


@bp.post("/votes/<int:vote_id>/record")
def record(vote_id: int):
    """The secretariat records seats' ballots (show of hands, roll call, proxies, paper ballots)."""
    vote = vote_or_404(vote_id)
    require(votes.can_manage(current_user), "only the secretariat records ballots")
    return act(
        ConfirmForm(), lambda: votes.record_ballots(vote, _recorded_choices(), actor=current_user,
                                                  reason=request.form.get("reason", "")),
        success=lambda changed: _("%(n)d議席の票を記録しました。", n=changed), to=_panel_url(vote.agenda_item),
        page=lambda: _render_panel(vote.agenda_item),
    )


def _recorded_choices() -> dict:
    """seat-<membership id> = yes | no | abstain | withdraw, from the secretariat's sheet."""
    choices = {}
    for key, value in request.form.items():
        if not key.startswith("seat-") or not value:
            continue
        try:
            membership_id = int(key.removeprefix("seat-"))
            choices[membership_id] = None if value == "withdraw" else Choice(value)
        except ValueError:
            abort(400)
    return choices


@bp.post("/votes/<int:vote_id>/admit")
def admit(vote_id: int):
    """遅参: the secretariat admits a seat that checked in after the vote opened, with a reason."""
    vote = vote_or_404(vote_id)
    require(votes.can_manage(current_user), "only the secretariat admits late arrivals")
    membership = db.session.get(Membership, request.form.get("membership_id", type=int) or 0)
    if membership is None:
        abort(400)
    return act(
        ConfirmForm(), lambda: votes.admit_late_arrival(vote, membership, actor=current_user, reason=request.form.get("reason", "")),
        success=_("%(seat)sを表決に加えました。", seat=membership.seat_label), to=_panel_url(vote.agenda_item),
        page=lambda: _render_panel(vote.agenda_item),
    )


@bp.post("/votes/<int:vote_id>/close")
def close(vote_id: int):
    vote = vote_or_404(vote_id)
    return act(ConfirmForm(), lambda: votes.close_vote(vote, actor=current_user), success=lambda _result: _closed(vote),
               to=_vote_url(vote), page=lambda: _render_vote(vote))


def _closed(vote) -> str | None:
    if vote.state is VoteState.TIED:
        flash(_("可否同数です。議長の裁決により結果が確定します。"), "warning")
        return None
    return _("表決を締め切りました。結果: %(outcome)s", outcome=label(vote.outcome))


@bp.post("/votes/<int:vote_id>/cancel")
def cancel(vote_id: int):
    vote = vote_or_404(vote_id)
    require(votes.can_manage(current_user), "only the secretariat cancels votes")
    form = CancelVoteForm()
    return act(form, lambda: votes.cancel_vote(vote, actor=current_user, reason=form.reason.data),
               success=_("表決を取り消しました。"), to=_panel_url(vote.agenda_item), invalid=_("取消の理由を入力してください。"),
               page=lambda: _render_panel(vote.agenda_item, cancel_form=form))


@bp.post("/votes/<int:vote_id>/casting")
def casting(vote_id: int):
    vote = vote_or_404(vote_id)
    require(votes.casting_seat(current_user, vote) is not None, "only the chair decides a tie")
    form = _casting_form()
    return act(form, lambda: votes.record_casting_vote(vote, Choice(form.choice.data), actor=current_user),
               success=lambda _result: _("議長裁決を記録しました。結果: %(outcome)s", outcome=label(vote.outcome)),
               to=_vote_url(vote), page=lambda: _render_vote(vote, casting_form=form))


@bp.get("/votes/<int:vote_id>/ballots.csv")
def ballots_csv(vote_id: int):
    vote = vote_or_404(vote_id)
    return csv_response(*votes.ballots_table(vote, current_user), f"vote-{vote.id}-ballots.csv")


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
    return csv_response(*votes.decisions_table(g.committee, fiscal_year), f"{g.committee.slug}-{fiscal_year}-decisions.csv")


@bp.route("/votes/quorum", methods=["GET", "POST"])
def quorum():
    require(votes.can_set_quorum(current_user), "only administrators set the quorum")
    committee = g.committee
    form = QuorumForm()
    chair_form = ChairRuleForm(formdata=None, chair_votes="1" if committee.chair_votes else "0")
    if request.method == "GET":
        form.numerator.data, form.denominator.data = committee.quorum_numerator, committee.quorum_denominator
        form.at_least.data = committee.quorum_at_least
    return act(
        form, lambda: votes.set_quorum(committee, actor=current_user, numerator=form.numerator.data,
                                       denominator=form.denominator.data, at_least=form.at_least.data),
        success=_("定足数を変更しました。"), to=url_for(".quorum"), fallback_field="numerator",
        page=lambda: render_template("votes/quorum.html", form=form, chair_form=chair_form, committee=committee,
                                     votes=votes),
    )


@bp.post("/votes/chair-rule")
def chair_rule():
    """The chair's role in a vote, beside the quorum (administrators)."""
    require(votes.can_set_quorum(current_user), "only administrators set the chair's role")
    committee = g.committee
    chair_form = ChairRuleForm()
    form = QuorumForm(formdata=None, numerator=committee.quorum_numerator, denominator=committee.quorum_denominator,
                      at_least=committee.quorum_at_least)
    return act(
        chair_form, lambda: votes.set_chair_rule(committee, actor=current_user,
                                                 chair_votes=chair_form.chair_votes.data == "1"),
        success=_("議長の表決の扱いを変更しました。"), to=url_for(".quorum"), fallback_field="chair_votes",
        page=lambda: render_template("votes/quorum.html", form=form, chair_form=chair_form, committee=committee,
                                     votes=votes),
    )

