"""The user's calendar feed: regenerating its secret URL and choosing what it holds."""
from __future__ import annotations

from ..dates import utcnow
from ..extensions import db
from ..models import User
from . import audit, require


def can_manage_feed(actor, user: User) -> bool:
    """Users manage their own feed; administrators may regenerate anyone's (e.g. a leaked URL)."""
    return bool(getattr(actor, "is_authenticated", False) and (actor.id == user.id or actor.is_admin))


def regenerate_feed_token(user: User, *, actor) -> None:
    """A new feed URL; the old one answers 404 from now on (the token derives from the counter)."""
    require(can_manage_feed(actor, user), "only the user or an administrator regenerates a feed URL")
    before = user.feed_counter
    user.feed_counter += 1
    user.feed_updated_at = utcnow()
    audit.record(actor, "calendar.feed_regenerated", user, label=user.name, before=before, after=user.feed_counter)
    db.session.flush()


def set_feed_options(user: User, *, actor, include_deadlines: bool) -> bool:
    """Whether the feed shows the user's deadlines as events of their own; True when it changed."""
    require(can_manage_feed(actor, user), "only the user or an administrator changes feed settings")
    include_deadlines = bool(include_deadlines)
    if user.feed_include_deadlines == include_deadlines:
        return False
    user.feed_include_deadlines = include_deadlines
    user.feed_updated_at = utcnow()
    audit.record(
        actor, "calendar.feed_settings_changed", user, label=user.name,
        before={"include_deadlines": not include_deadlines}, after={"include_deadlines": include_deadlines},
    )
    db.session.flush()
    return True
