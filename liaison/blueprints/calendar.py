"""Calendar feeds: the personal feed behind a secret URL, its settings on the account page,
a committee's feed and a single meeting's .ics (the stable URLs of DESIGN.md)."""
from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..calendar import feeds, tokens
from ..calendar.feeds import Feed
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


def _not_modified(feed: Feed) -> bool:
    """If-None-Match decides when present (RFC 9110); only without it is If-Modified-Since asked."""
    if request.if_none_match:
        return request.if_none_match.contains_weak(feed.etag)
    if request.if_modified_since:
        return feed.last_modified.replace(microsecond=0) <= request.if_modified_since
    return False


def calendar_response(feed: Feed, filename: str | None = None):
    """text/calendar with a strong ETag and Last-Modified, or 304 on a matching revalidation."""
    response = current_app.response_class()
    response.set_etag(feed.etag)
    response.last_modified = feed.last_modified
    response.headers["Cache-Control"] = "private, no-cache"
    if _not_modified(feed):
        response.status_code = 304
        return response
    response.set_data(feed.body)
    response.content_type = CONTENT_TYPE
    if filename:  # a single meeting: shown by the browser or the calendar app, saved under a useful name
        response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _too_many_wrong_tokens(retry_after: int):
    minutes = max(1, (retry_after + 59) // 60)
    message = _(
        "誤ったカレンダーURLへのアクセスが続いたため、一時的に受け付けを停止しています。約%(minutes)d分後に再度お試しください。",
        minutes=minutes,
    )
    body = render_template("errors/error.html", status=429, title=_("アクセスが集中しています"), message=message)
    return body, 429, {"Retry-After": str(retry_after)}


# Personal feeds answered recently: token → (until, ETag, Last-Modified). Calendar apps revalidate
# every few minutes; within FEED_RECHECK_SECONDS of the last full check, a request whose If-None-Match
# names the same ETag gets its 304 without touching the database (a feed may show a change up to that
# many seconds late, and a 304 carries no content, so nothing is revealed to a token revoked meanwhile).
_recently_checked: dict[str, tuple[float, str, dict[str, str]]] = {}
_RECENTLY_CHECKED_MAX = 20_000


def _recent_not_modified(token: str):
    entry = _recently_checked.get(token)
    if entry is None or entry[0] < time.monotonic():
        return None
    _until, etag, headers = entry
    sent = request.headers.get("If-None-Match")
    if not sent:
        return None
    # Calendar apps send back exactly the ETag they were given; anything else is parsed as RFC 9110 says.
    if sent != headers["ETag"] and not request.if_none_match.contains_weak(etag):
        return None
    return current_app.response_class(status=304, headers=headers)


def forget_recent_checks() -> None:
    """Make the next revalidation of every feed check the database (tests; a cold worker)."""
    _recently_checked.clear()


def _remember_check(token: str, feed: Feed) -> None:
    seconds = current_app.config.get("FEED_RECHECK_SECONDS", 0)
    if not seconds:
        return
    if len(_recently_checked) >= _RECENTLY_CHECKED_MAX:
        _recently_checked.clear()
    response = current_app.response_class()  # the same headers calendar_response gives a 304
    response.set_etag(feed.etag)
    response.last_modified = feed.last_modified
    headers = {"ETag": response.headers["ETag"], "Last-Modified": response.headers["Last-Modified"],
               "Cache-Control": "private, no-cache"}
    _recently_checked[token] = (time.monotonic() + seconds, feed.etag, headers)


@bp.get("/calendar/<token>.ics")
def feed(token: str):
    """The personal feed: no log-in (calendar apps cannot), the secret URL is the key."""
    recent = _recent_not_modified(token)
    if recent is not None:
        return recent
    limiter = feeds.state().limiter
    address = request.remote_addr or "unknown"
    retry_after = limiter.retry_after(address)
    if retry_after:
        return _too_many_wrong_tokens(retry_after)
    user = tokens.user_for_token(token)
    if user is None:
        limiter.fail(address)
        abort(404)
    user_feed = feeds.user_feed(user)
    _remember_check(token, user_feed)
    return calendar_response(user_feed)


@bp.app_template_global()
def calendar_feed_section() -> dict:
    """What the account page shows about the current user's feed."""
    url = tokens.feed_url(current_user)
    name = _("人づくり広域連合 会議予定")
    return {
        "url": url,
        "webcal_url": tokens.webcal_url(url),
        "google_url": tokens.google_subscribe_url(url),
        "outlook_url": tokens.outlook_subscribe_url(url, name),
        "settings_form": FeedSettingsForm(formdata=None, include_deadlines=current_user.feed_include_deadlines),
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
