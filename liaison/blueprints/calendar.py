"""Calendar feeds: the personal feed behind a secret URL, its settings on the account page,
a committee's feed and a single meeting's .ics (the stable URLs of DESIGN.md)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import security
from ..calendar import feeds, tokens
from ..calendar.cache import Feed
from ..domain import calendar as calendar_rules
from ..domain.meetings import can_view
from ..extensions import db
from ..forms.calendar import FeedRegenerateForm, FeedSettingsForm
from ..models import AgendaItem, Meeting
from .handling import act
from .scoping import committee_blueprint

bp = Blueprint("calendar", __name__)
# /<slug>/calendar.ics and /<slug>/meetings/<id>.ics: logged-in members of the committee and staff.
committee_bp = committee_blueprint("calendar_committee", __name__)

CONTENT_TYPE = "text/calendar; charset=utf-8"


def calendar_response(feed: Feed, filename: str | None = None):
    """text/calendar with a strong ETag and Last-Modified; Werkzeug's make_conditional answers a
    matching revalidation with 304 (If-None-Match decides when present, as RFC 9110 says)."""
    response = current_app.response_class(feed.body, content_type=CONTENT_TYPE)
    response.set_etag(feed.etag)
    response.last_modified = feed.last_modified
    response.headers["Cache-Control"] = "private, no-cache"
    if filename:  # a single meeting: shown by the browser or the calendar app, saved under a useful name
        response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response.make_conditional(request)


def _too_many_wrong_tokens(retry_after: int):
    minutes = max(1, (retry_after + 59) // 60)
    message = _(
        "誤ったカレンダーURLへのアクセスが続いたため、一時的に受け付けを停止しています。約%(minutes)d分後に再度お試しください。",
        minutes=minutes,
    )
    body = render_template("errors/error.html", status=429, title=_("アクセスが集中しています"), message=message)
    return body, 429, {"Retry-After": str(retry_after)}


@bp.get("/calendar/<token>.ics")
def feed(token: str):
    """The personal feed: no log-in (calendar apps cannot), the secret URL is the key.

    Calendar apps revalidate every few minutes: within FEED_RECHECK_SECONDS of the last full check, a
    request whose If-None-Match names the same ETag gets its 304 without touching the database (a feed
    may show a change up to that many seconds late; a 304 carries no content, so nothing is revealed
    to a token revoked meanwhile). Anything else is checked in full.
    """
    recent = feeds.recently_checked(token)
    if recent is not None and request.if_none_match.contains_weak(recent.etag):
        return calendar_response(recent)
    user = tokens.user_for_token(token)
    if user is None:
        # Wrong (or revoked) URLs are counted per address, in the shared throttle storage; a valid URL is
        # never refused for them, so one guesser behind a town hall's NAT cannot stop everyone's calendars.
        address = security.remote_address()
        retry_after = security.FEED_TOKENS.retry_after(address)
        if retry_after:
            return _too_many_wrong_tokens(retry_after)
        security.FEED_TOKENS.fail(address)
        abort(404)
    return calendar_response(feeds.user_feed(user, token=token))


@bp.app_template_global()
def personal_feed_links() -> dict:
    """The current user's personal feed and its subscribe links (webcal, Google, Outlook)."""
    url = tokens.feed_url(current_user)
    name = _("人づくり広域連合 会議予定")
    return {
        "url": url,
        "webcal_url": tokens.webcal_url(url),
        "google_url": tokens.google_subscribe_url(url),
        "outlook_url": tokens.outlook_subscribe_url(url, name),
    }


@bp.app_template_global()
def calendar_feed_section() -> dict:
    """What the account page shows about the current user's feed."""
    return {
        **personal_feed_links(),
        "settings_form": FeedSettingsForm(formdata=None, include_deadlines=current_user.feed_include_deadlines),
    }


@bp.app_template_global()
def meeting_calendar_links(meeting) -> dict:
    """One meeting for a calendar: its .ics, and Google's and Outlook's new-event forms filled in."""
    return {
        "ics_url": url_for("calendar_committee.meeting_ics", committee=meeting.committee.slug, meeting_id=meeting.id),
        "google_url": tokens.google_event_url(meeting),
        "outlook_url": tokens.outlook_event_url(meeting),
    }


@bp.post("/account/calendar/regenerate")
@login_required
def regenerate():
    return act(
        FeedRegenerateForm(), lambda: calendar_rules.regenerate_feed_token(current_user, actor=current_user),
        success=_("カレンダーのURLを再発行しました。以前のURLは使えなくなりました。カレンダーアプリに新しいURLを登録し直してください。"),
        to=url_for("auth.account", _anchor="calendar"),
    )


@bp.post("/account/calendar/settings")
@login_required
def settings():
    form = FeedSettingsForm()
    return act(
        form, lambda: calendar_rules.set_feed_options(current_user, actor=current_user, include_deadlines=form.include_deadlines.data),
        success=lambda changed: _("カレンダーの設定を保存しました。") if changed else None,
        to=url_for("auth.account", _anchor="calendar"),
    )


@committee_bp.get("/calendar.ics")
def committee_feed():
    return calendar_response(feeds.committee_feed(g.committee))


@committee_bp.get("/meetings/<int:meeting_id>.ics")
def meeting_ics(meeting_id: int):
    meeting = db.session.scalar(
        select(Meeting)
        .where(Meeting.id == meeting_id, Meeting.committee_id == g.committee.id)
        .options(joinedload(Meeting.committee), selectinload(Meeting.agenda_items).joinedload(AgendaItem.presenter_body))
    )
    if meeting is None or not can_view(current_user, meeting):
        abort(404)  # a draft is not announced: not even its existence
    return calendar_response(feeds.meeting_feed(meeting), filename=f"meeting-{meeting.id}.ics")
