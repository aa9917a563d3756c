"""The meeting day (会議進行): the console, the members' tablets, the room's screen and the live state they follow.

Stable URLs under /<slug>/meetings/<id>/:
- console (the secretariat and the presiding chair), live (a member's tablet), screen?k=… (the projector);
- live.json: the live state (liaison.domain.live_state) with an ETag of (meeting, version, viewer) → 304;
- live/events: Server-Sent Events, `id: <version>`, `event: state`, `data: <live.json>` at connect and on
  every new version, a comment every LIVE_HEARTBEAT_SECONDS; Last-Event-ID honoured;
- POST live/ballot, live/hand, live/check-in and console/… : ordinary domain actions (one transaction,
  audited); a fetch() caller (Accept: application/json) gets JSON, a form post is redirected back.

live.json, live/events and screen also answer the screen link's key `k` without a login (no personal data).
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from ..i18n import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import contains_eager, joinedload
from werkzeug.exceptions import Forbidden, NotFound

from ..dates import to_tokyo, utcnow
from ..domain import Conflict, DomainError, access, check, require
from ..domain import live as live_rules
from ..domain import meetings as meeting_rules
from ..domain import sitting as rules
from ..domain import votes as vote_rules
from ..domain.live_state import Viewer, live_state, viewer_for
from ..extensions import db, login_manager
from ..fanout import Mirror, hub_for
from ..forms.meetings import ActionForm
from ..models import AgendaItem, Attachment, Choice, Majority, Meeting, Membership, Vote, VoteMethod
from .live_stream import cached_state, documents_url, event_stream, live_etag, not_modified, state_event

bp = Blueprint("sitting", __name__, url_prefix="/<slug:committee>/meetings")
SCREEN_ENDPOINTS = {"sitting.live_json", "sitting.events", "sitting.screen", "sitting.screen_material"}


@bp.app_template_global()
def minutes_since(iso: str) -> int:
    """Whole minutes from an ISO time of the live state to now (the item's elapsed time)."""
    return max(0, int((utcnow() - datetime.fromisoformat(iso)).total_seconds() // 60))


@bp.app_template_filter()
def isotime(iso: str | None) -> str:
    return "" if not iso else to_tokyo(datetime.fromisoformat(iso)).strftime("%H:%M")


@bp.url_value_preprocessor
def _load_committee(endpoint, values):
    slug = values.pop("committee", None) if values else None
    committee = access.committee_by_slug(slug) if slug else None
    if committee is None:
        raise NotFound()
    g.committee = committee


@bp.url_defaults
def _fill_committee(endpoint, values):
    if "committee" not in values and "committee" in g:
        values["committee"] = g.committee.slug


@bp.before_request
def _check_access():
    """The screen's key, or a login with access to the committee (as every committee page)."""
    if request.endpoint in SCREEN_ENDPOINTS and request.args.get("k"):
        return None  # the view checks the key against the meeting
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not access.can_view_committee(current_user, g.committee):
        raise Forbidden()
    return None


# ------------------------------------------------------------------------------------------- helpers

def _meeting(meeting_id: int) -> Meeting:
    meeting = db.session.scalar(
        select(Meeting).options(joinedload(Meeting.committee))
        .where(Meeting.id == meeting_id, Meeting.committee_id == g.committee.id)
    )
    if meeting is None:
        abort(404)
    return meeting


def _viewer(meeting: Meeting) -> Viewer:
    """Who is looking: the screen's key (checked), else the logged-in user allowed to see the meeting."""
    key = request.args.get("k")
    if key and request.endpoint in SCREEN_ENDPOINTS:
        if not live_rules.screen_token_valid(meeting, key, current_app.config["SECRET_KEY"]):
            abort(403)
        return Viewer("screen")
    require(meeting_rules.can_view(current_user, meeting), "not allowed to see this meeting")
    return viewer_for(current_user, meeting)


def _wants_json() -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _state(meeting: Meeting, viewer: Viewer, seats: list | None = None) -> dict:
    return documents_url(meeting, live_state(meeting, viewer, seats))


def screen_url(meeting: Meeting) -> str:
    return url_for("sitting.screen", meeting_id=meeting.id,
                   k=live_rules.screen_token(meeting, current_app.config["SECRET_KEY"]), _external=True)


# ------------------------------------------------------------------------------------------- live state

@bp.get("/<int:meeting_id>/live.json")
def live_json(meeting_id):
    hub = hub_for(current_app.config["SQLALCHEMY_DATABASE_URI"])
    epoch = hub.epoch  # before any read: liaison.live_edge answers the screen's next 304s from what is read here
    unchanged = not_modified(meeting_id)
    if unchanged is not None:
        return unchanged
    meeting = _meeting(meeting_id)
    viewer = _viewer(meeting)
    state = cached_state(meeting.id, viewer, meeting)
    if state is None:
        abort(404)
    if viewer.kind == "screen" and state["version"] == meeting.live_version:
        hub.remember(Mirror(meeting.id, g.committee.slug, meeting.live_version, meeting.screen_generation), epoch)
    etag = live_etag(meeting.id, state["version"], viewer.etag_part)
    response = jsonify(state)
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(request)


@bp.get("/<int:meeting_id>/live/events")
def events(meeting_id):
    meeting = _meeting(meeting_id)
    viewer = _viewer(meeting)
    meeting_key, created_at = meeting.id, meeting.created_at

    def read_event(known: int | None) -> tuple[int, str] | None:
        return state_event(meeting_key, viewer, created_at, known)

    return event_stream(meeting_key, read_event)


# ------------------------------------------------------------------------------------------------ pages

def _page(template: str, meeting: Meeting, viewer: Viewer, state: dict | None = None, **extra):
    state = state if state is not None else _state(meeting, viewer)
    fragment = request.headers.get("X-Live-Fragment") == "1"
    return render_template(template, meeting=meeting, committee=g.committee, state=state, viewer=viewer,
                           fragment=fragment, form=ActionForm(formdata=None), Choice=Choice, **extra)


@bp.get("/<int:meeting_id>/console")
def console(meeting_id):
    meeting = _meeting(meeting_id)
    viewer = _viewer(meeting)
    require(rules.can_run(current_user, meeting), "only the secretariat or the chair runs the meeting")
    manage = meeting_rules.can_manage(current_user)
    sheet = meeting_rules.attendance_sheet(meeting)
    state = _state(meeting, viewer, [line.membership for line in sheet.lines])
    casting = False
    if state["vote"] and state["vote"]["state"] == "tied":
        vote = db.session.get(Vote, state["vote"]["id"])
        casting = vote_rules.casting_seat(current_user, vote) is not None
    presented = db.session.get(Attachment, meeting.presented_attachment_id) if state["presenting"] else None
    return _page("sitting/console.html", meeting, viewer, state=state, sheet=sheet,
                 screen_link=screen_url(meeting) if manage else None, manage=manage, majorities=list(Majority),
                 casting=casting, presented_pages=rules.pdf_pages(presented) if presented else None)


@bp.get("/<int:meeting_id>/live")
def live(meeting_id):
    meeting = _meeting(meeting_id)
    return _page("sitting/live.html", meeting, _viewer(meeting))


@bp.get("/<int:meeting_id>/screen")
def screen(meeting_id):
    meeting = _meeting(meeting_id)
    viewer = _viewer(meeting)
    if viewer.kind != "screen":
        viewer = Viewer("screen")
    return _page("sitting/screen.html", meeting, viewer)


# ---------------------------------------------------------------------------------------------- actions

def _act(meeting: Meeting, change, success: str, back: str):
    """One action: the CSRF-checked form, the domain call; JSON for fetch(), else flash and redirect back."""
    form = ActionForm()
    to = url_for(back, meeting_id=meeting.id)
    if not form.validate_on_submit():
        if _wants_json():
            return jsonify(error=_("フォームの有効期限が切れたか、不正な送信です。ページを再読み込みしてもう一度お試しください。")), 400
        abort(400)
    try:
        change()
    except Conflict as error:
        db.session.rollback()
        if _wants_json():
            return jsonify(error=error.message), 409
        flash(error.message, "error")
        return redirect(to, 303)
    except DomainError as error:
        db.session.rollback()
        if _wants_json():
            return jsonify(error=error.message, field=error.field), 409
        flash(error.message, "error")
        return redirect(to, 303)
    except Forbidden:
        db.session.rollback()
        if _wants_json():
            return jsonify(error=_("この操作を行う権限がありません。")), 403
        raise
    if _wants_json():
        return jsonify(ok=True, message=success)
    flash(success, "success")
    return redirect(to, 303)


def _my_seat(meeting: Meeting) -> Membership:
    seat = rules.seat_of(current_user, meeting)
    if seat is None:
        if _wants_json():
            abort(Response(current_app.json.dumps({"error": _("この会議の議席がありません。")}), 403,
                           mimetype="application/json"))
        abort(403)
    return seat


def _form_vote_id() -> int | None:
    value = request.form.get("vote_id", "")
    return int(value) if value.isdecimal() else None


_MEETING_AND_VOTE = (  # built once: 64 tablets cast at once
    select(Meeting, Vote).where(Meeting.id == bindparam("meeting_id"), Meeting.committee_id == bindparam("committee_id"))
    .outerjoin(Vote, (Vote.id == bindparam("vote_id")) & (Vote.committee_id == Meeting.committee_id))
    .outerjoin(AgendaItem, AgendaItem.id == Vote.agenda_item_id)
    .options(joinedload(Meeting.committee), contains_eager(Vote.agenda_item)))


def _meeting_and_vote(meeting_id: int) -> tuple[Meeting, Vote | None]:
    """`_meeting` and the form's vote (None: not the committee's) with its item, in one query (64 tablets at once)."""
    ids = {"meeting_id": meeting_id, "committee_id": g.committee.id, "vote_id": _form_vote_id() or 0}
    row = db.session.execute(_MEETING_AND_VOTE, ids).first()
    if row is None:
        abort(404)
    return row.Meeting, row.Vote


def _vote_of(meeting: Meeting, vote: Vote | None = None) -> Vote:
    """The form's vote on one of the meeting's items (`vote`: already loaded by `_meeting_and_vote`)."""
    vote_id = _form_vote_id()
    if vote_id is None:
        abort(400)
    vote = vote or db.session.scalar(select(Vote).options(joinedload(Vote.agenda_item))
                                     .where(Vote.id == vote_id, Vote.committee_id == meeting.committee_id))
    if vote is None or vote.agenda_item.meeting_id != meeting.id:
        abort(404)
    return vote


def _choice(values=tuple(Choice)) -> Choice | None:
    try:
        choice = Choice(request.form.get("choice", ""))
    except ValueError:
        return None
    return choice if choice in values else None


@bp.post("/<int:meeting_id>/live/ballot")
def ballot(meeting_id):
    meeting, vote = _meeting_and_vote(meeting_id)
    require(meeting_rules.can_view(current_user, meeting), "not allowed to see this meeting")
    seat = _my_seat(meeting)
    vote = _vote_of(meeting, vote)
    choice = _choice()

    def cast():
        check(choice is not None, _("賛成・反対・棄権のいずれかを選んでください。"), "choice")
        check(vote.method is VoteMethod.ELECTRONIC, _("この表決は端末からは投票できません。"), "choice")
        vote_rules.cast_ballot(vote, seat, choice, actor=current_user)

    return _act(meeting, cast, _("投票しました。"), "sitting.live")


@bp.post("/<int:meeting_id>/live/hand")
def hand(meeting_id):
    meeting = _meeting(meeting_id)
    require(meeting_rules.can_view(current_user, meeting), "not allowed to see this meeting")
    seat = _my_seat(meeting)
    if request.form.get("action") == "lower":
        return _act(meeting, lambda: rules.lower_hand(meeting, seat, actor=current_user), _("挙手を取り下げました。"),
                    "sitting.live")
    return _act(meeting, lambda: rules.raise_hand(meeting, seat, actor=current_user), _("挙手しました。"), "sitting.live")


@bp.post("/<int:meeting_id>/live/check-in")
def self_check_in(meeting_id):
    meeting = _meeting(meeting_id)
    require(meeting_rules.can_view(current_user, meeting), "not allowed to see this meeting")
    seat = _my_seat(meeting)
    return _act(meeting, lambda: rules.check_in_seat(meeting, seat, actor=current_user, mode="present"),
                _("出席を確認しました。"), "sitting.live")


# -------------------------------------------------------------------------------------- console actions

def _console(meeting_id: int) -> Meeting:
    meeting = _meeting(meeting_id)
    require(rules.can_run(current_user, meeting), "only the secretariat or the chair runs the meeting")
    return meeting


@bp.post("/<int:meeting_id>/console/check-in/<int:membership_id>")
def console_check_in(meeting_id, membership_id):
    meeting = _console(meeting_id)
    seat = next((m for m in meeting_rules.voting_seats(meeting) if m.id == membership_id), None)
    if seat is None:
        abort(404)
    mode = request.form.get("mode", "present")
    return _act(meeting, lambda: rules.check_in_seat(
        meeting, seat, actor=current_user, mode=mode, proxy_name=request.form.get("proxy_name", ""),
        proxy_title=request.form.get("proxy_title", "")), _("%(seat)sの出席を記録しました。", seat=seat.seat_label),
        "sitting.console")


@bp.post("/<int:meeting_id>/console/open")
def console_open(meeting_id):
    meeting = _console(meeting_id)
    return _act(meeting, lambda: meeting_rules.open_session(meeting, actor=current_user), _("開会しました。"),
                "sitting.console")


@bp.post("/<int:meeting_id>/console/close")
def console_close(meeting_id):
    meeting = _console(meeting_id)
    return _act(meeting, lambda: meeting_rules.close_session(meeting, actor=current_user), _("閉会しました。"),
                "sitting.console")


@bp.post("/<int:meeting_id>/console/next")
def console_next(meeting_id):
    meeting = _console(meeting_id)
    return _act(meeting, lambda: rules.move(meeting, actor=current_user, direction="next"), _("次の議事に進みました。"),
                "sitting.console")


@bp.post("/<int:meeting_id>/console/prev")
def console_prev(meeting_id):
    meeting = _console(meeting_id)
    return _act(meeting, lambda: rules.move(meeting, actor=current_user, direction="prev"), _("前の議事に戻りました。"),
                "sitting.console")


@bp.post("/<int:meeting_id>/console/vote/open")
def console_open_vote(meeting_id):
    meeting = _console(meeting_id)
    try:
        majority = Majority(request.form.get("majority", Majority.SIMPLE.value))
    except ValueError:
        majority = None
    return _act(meeting, lambda: rules.open_item_vote(meeting, actor=current_user, majority=majority),
                _("表決を開始しました。"), "sitting.console")


@bp.post("/<int:meeting_id>/console/vote/close")
def console_close_vote(meeting_id):
    meeting = _console(meeting_id)
    vote = _vote_of(meeting)
    return _act(meeting, lambda: vote_rules.close_vote(vote, actor=current_user), _("表決を締め切りました。"),
                "sitting.console")


@bp.post("/<int:meeting_id>/console/vote/tie")
def console_tie(meeting_id):
    meeting = _console(meeting_id)
    vote = _vote_of(meeting)
    choice = _choice((Choice.YES, Choice.NO))

    def decide():
        check(choice is not None, _("可とするか否とするかを選んでください。"), "choice")
        vote_rules.record_casting_vote(vote, choice, actor=current_user)

    return _act(meeting, decide, _("議長裁決を記録しました。"), "sitting.console")


@bp.post("/<int:meeting_id>/console/defer")
def console_defer(meeting_id):
    meeting = _console(meeting_id)
    return _act(meeting, lambda: rules.settle_item(meeting, actor=current_user, how="defer"),
                _("継続審議としました。"), "sitting.console")


@bp.post("/<int:meeting_id>/console/note")
def console_note(meeting_id):
    meeting = _console(meeting_id)
    return _act(meeting, lambda: rules.settle_item(meeting, actor=current_user, how="note"),
                _("報告了承としました。"), "sitting.console")


@bp.post("/<int:meeting_id>/console/call/<int:hand_id>")
def console_call(meeting_id, hand_id):
    meeting = _console(meeting_id)
    return _act(meeting, lambda: rules.call_speaker(meeting, hand_id, actor=current_user), _("指名しました。"),
                "sitting.console")


@bp.post("/<int:meeting_id>/console/screen/revoke")
def console_revoke_screen(meeting_id):
    meeting = _console(meeting_id)
    return _act(meeting, lambda: rules.revoke_screen_link(meeting, actor=current_user),
                _("スクリーン表示用リンクを無効にし、新しいリンクを発行しました。"), "sitting.console")
