"""Secret feed URLs: /calendar/<user id>-<HMAC of SECRET_KEY and the user's feed_counter>.ics.

Nothing secret is stored: the database holds only the counter, so a leaked database does not
reveal any feed URL, and bumping the counter (regenerate) makes the old URL answer 404.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timezone
from urllib.parse import quote, urlencode

from flask import current_app

from ..extensions import db
from ..models import User
from ..labels import meeting_name
from ..urls import external_url, meeting_url

# 192 bits of HMAC-SHA256, as 32 URL-safe characters.
MAC_BYTES = 24
_PURPOSE = b"liaison.calendar-feed"


def _mac(user_id: int, counter: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = b"%s\x00%d\x00%d" % (_PURPOSE, user_id, counter)
    digest = hmac.new(key, message, hashlib.sha256).digest()[:MAC_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def feed_token(user: User) -> str:
    return f"{user.id}-{_mac(user.id, user.feed_counter)}"


def user_for_token(token: str) -> User | None:
    """The active user whose current token this is, else None (compared in constant time)."""
    user_part, _, mac = token.partition("-")
    if not user_part.isdigit() or len(user_part) > 12 or not mac:
        return None
    user = db.session.get(User, int(user_part))
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(mac.encode(), _mac(user.id, user.feed_counter).encode()):
        return None
    return user


def feed_url(user: User) -> str:
    """The https:// (or http:// in development) URL of the user's personal feed."""
    return external_url("calendar.feed", token=feed_token(user))


def webcal_url(url: str) -> str:
    """webcal:// opens the subscription dialog of Apple Calendar, Outlook and Thunderbird."""
    return "webcal://" + url.split("://", 1)[1]


def google_subscribe_url(url: str) -> str:
    return "https://calendar.google.com/calendar/r?" + urlencode({"cid": webcal_url(url)}, quote_via=quote)


def outlook_subscribe_url(url: str, name: str) -> str:
    """Outlook on the web (Microsoft 365) 'subscribe from web' with the URL and name filled in."""
    return "https://outlook.office.com/calendar/0/addfromweb?" + urlencode({"url": url, "name": name}, quote_via=quote)


def _event_fields(meeting) -> tuple[str, str]:
    """The event's title (令和8年度第3回企画運営部会) and its details: the meeting page's address."""
    return meeting_name(meeting), meeting_url(meeting)


def google_event_url(meeting) -> str:
    """Google Calendar's 'add this event' form, filled in (one event, not a subscription)."""
    name, url = _event_fields(meeting)
    stamp = "%Y%m%dT%H%M%SZ"
    dates = f"{meeting.starts_at.astimezone(timezone.utc):{stamp}}/{meeting.ends_at.astimezone(timezone.utc):{stamp}}"
    return "https://calendar.google.com/calendar/render?" + urlencode(
        {"action": "TEMPLATE", "text": name, "dates": dates, "location": meeting.place, "details": url}, quote_via=quote)


def outlook_event_url(meeting) -> str:
    """Outlook on the web's new-event form, filled in (one event, not a subscription)."""
    name, url = _event_fields(meeting)
    return "https://outlook.office.com/calendar/0/deeplink/compose?" + urlencode({
        "path": "/calendar/action/compose", "rru": "addevent", "subject": name,
        "startdt": meeting.starts_at.astimezone(timezone.utc).isoformat(),
        "enddt": meeting.ends_at.astimezone(timezone.utc).isoformat(),
        "location": meeting.place, "body": url,
    }, quote_via=quote)
