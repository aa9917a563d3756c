"""Personal access tokens for the JSON API: created (the secret shown once), named, revoked, looked up.

The secret is `lia_` + 43 URL-safe characters (256 random bits); the row keeps its SHA-256 digest, so a
leaked database opens nothing. A token works until `expires_at`, unless revoked, and only while its user
is active; it acts as its user with the user's visibility, and writes only when its scope is WRITE.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..dates import utcnow
from ..extensions import db
from ..i18n import gettext as _
from ..models import ApiToken, TokenScope, User
from . import audit, check, once, require

PREFIX = "lia_"
DEFAULT_DAYS = 90
MAX_DAYS = 366
NAME_MAX = 100
# last_used_at is written at most this often per token (a busy script does not write on every request).
TOUCH_SECONDS = 60


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def can_manage(actor, token: ApiToken) -> bool:
    """A user manages their own tokens; an administrator may revoke anyone's (e.g. a leaked one)."""
    return bool(getattr(actor, "is_authenticated", False) and (actor.id == token.user_id or actor.is_admin))


def create(user: User, *, actor, name: str, write: bool = False, days: int = DEFAULT_DAYS,
           now: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for user; returns the row and the secret (shown once, never stored).

    actor None: an operator on the command line (`flask users token`)."""
    require(actor is None or getattr(actor, "id", None) == user.id,
            "a user creates their own tokens (or an operator from the command line)")
    name = (name or "").strip()
    check(name, _("トークンの名前を入力してください。"), "name")
    check(len(name) <= NAME_MAX, _("トークンの名前は%(n)d文字以内で入力してください。", n=NAME_MAX), "name")
    check(isinstance(days, int) and 1 <= days <= MAX_DAYS,
          _("有効期間は1日から%(n)d日までの日数で指定してください。", n=MAX_DAYS), "days")
    check(user.active, _("無効な利用者にはトークンを作成できません。"))
    now = now or utcnow()
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=digest(secret),
                     scope=TokenScope.WRITE if write else TokenScope.READ,
                     created_at=now, expires_at=now + timedelta(days=days))
    token.user = user
    db.session.add(token)
    db.session.flush()
    audit.record(actor, "api_token.created", token, label=name, scope=token.scope, expires_at=token.expires_at,
                 holder=user.name)
    return token, secret


def revoke(token: ApiToken, *, actor, now: datetime | None = None) -> None:
    require(can_manage(actor, token), "only the token's user or an administrator revokes it")
    once(token.revoked_at is None, _("このトークンはすでに無効化されています。"))
    token.revoked_at = now or utcnow()
    db.session.flush()
    audit.record(actor, "api_token.revoked", token, label=token.name, holder=token.user.name)


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked and expired ones too: the account page shows them)."""
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ))


def token_of(user: User, token_id: int) -> ApiToken | None:
    token = db.session.get(ApiToken, token_id)
    return token if token is not None and token.user_id == user.id else None


def is_usable(token: ApiToken, now: datetime | None = None) -> bool:
    return token.revoked_at is None and (now or utcnow()) < token.expires_at and token.user.active


def authenticate(secret: str, now: datetime | None = None) -> ApiToken | None:
    """The usable token with this secret (its user loaded, one query), or None; notes when it was last used."""
    if not secret or not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    now = now or utcnow()
    token = db.session.scalar(
        select(ApiToken).options(joinedload(ApiToken.user)).where(ApiToken.token_hash == digest(secret))
    )
    if token is None or not is_usable(token, now):
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= TOUCH_SECONDS:
        token.last_used_at = now  # written with the request's one commit (a refused request keeps its old value)
    return token
