"""Links sent by mail to an account: the invitation of a new user, a password reset, a new e-mail's confirmation.

A link is /<kind>/<token id>-<HMAC of SECRET_KEY, the id and the row's random nonce>. Nothing secret is stored
(the database holds the nonce, the mail's outbox row holds no link: the sender puts it in when it builds the mail),
so a leaked database opens no account. A link works once, until it expires, while it is the newest of its kind
for the user, and while the password is the one it was issued under.
"""
from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from ..dates import format_datetime, utcnow
from ..extensions import db
from ..models import AccountToken, Notification, NotificationKind, NotificationState, TokenPurpose, User
from ..models.users import hash_password
from .. import events
from ..events import Event
from . import audit, check, require
from . import users as user_rules

MAC_BYTES = 24
LIFETIME = {
    TokenPurpose.INVITATION: timedelta(days=14),
    TokenPurpose.PASSWORD_RESET: timedelta(hours=2),
    TokenPurpose.EMAIL_CHANGE: timedelta(hours=24),
}
MAIL_KIND = {
    TokenPurpose.INVITATION: NotificationKind.ACCOUNT_INVITATION,
    TokenPurpose.PASSWORD_RESET: NotificationKind.PASSWORD_RESET,
    TokenPurpose.EMAIL_CHANGE: NotificationKind.EMAIL_CONFIRMATION,
}
SENT_ACTION = {
    TokenPurpose.INVITATION: "user.invitation_sent",
    TokenPurpose.PASSWORD_RESET: "user.password_reset_sent",
    TokenPurpose.EMAIL_CHANGE: "user.email_change_sent",
}


class LinkProblem(enum.Enum):
    INVALID = "invalid"  # not a link we sent (mistyped, forged)
    EXPIRED = "expired"
    USED = "used"
    SUPERSEDED = "superseded"  # a newer link of the same kind was sent, or the password changed since


class LinkRefused(Exception):
    def __init__(self, problem: LinkProblem):
        super().__init__(problem.value)
        self.problem = problem

    @property
    def message(self) -> str:
        return {
            LinkProblem.INVALID: _("このリンクは無効です。メールに記載されたリンクをそのまま開いてください。"),
            LinkProblem.EXPIRED: _("このリンクは有効期限が切れています。"),
            LinkProblem.USED: _("このリンクは既に使用されています。"),
            LinkProblem.SUPERSEDED: _("このリンクは、より新しいメールの送信またはパスワードの変更により無効になりました。"),
        }[self.problem]


def _mac(token_id: int, nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = b"liaison.account-link\x00%d\x00%s" % (token_id, nonce.encode())
    return base64.urlsafe_b64encode(hmac.new(key, message, hashlib.sha256).digest()[:MAC_BYTES]).decode().rstrip("=")


def link_secret(token: AccountToken) -> str:
    """The part of the link that proves it was sent by us: `<id>-<mac>`."""
    return f"{token.id}-{_mac(token.id, token.nonce)}"


def link_path(token: AccountToken) -> str:
    if token.purpose is TokenPurpose.EMAIL_CHANGE:
        return f"/account/email/{link_secret(token)}"
    return f"/password/set/{link_secret(token)}"


def fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()


def unusable_password_hash() -> str:
    """The stored password of an invited account: the hash of a random secret nobody knows."""
    return hash_password(secrets.token_urlsafe(32))


def issue(user: User, purpose: TokenPurpose, *, actor, new_email: str = "", now: datetime | None = None) -> AccountToken:
    """Create a link and queue its mail (to `new_email` for an e-mail change); older links of the kind die."""
    now = now or utcnow()
    token = AccountToken(
        user=user, purpose=purpose, nonce=secrets.token_hex(16), password_fingerprint=fingerprint(user),
        new_email=new_email, created_at=now, expires_at=now + LIFETIME[purpose],
    )
    db.session.add(token)
    db.session.flush()
    kind = MAIL_KIND[purpose]
    # A pending mail of an older link is pointless: the sender would void it anyway.
    db.session.execute(
        update(Notification)
        .where(Notification.recipient_id == user.id, Notification.kind == kind,
               Notification.state == NotificationState.PENDING)
        .values(state=NotificationState.VOID, last_error="superseded by a newer link")
        .execution_options(synchronize_session=False)
    )
    subject, body = mail_text(token, user)
    events.emit(Event.ACCOUNT_LINK_ISSUED, token, recipient=user, kind=kind, subject=subject, body=body, due_at=now)
    audit.record(actor, SENT_ACTION[purpose], user, expires_at=token.expires_at.isoformat(),
                 **({"new_email": new_email} if new_email else {}))
    return token


def invite(user: User, *, actor, now: datetime | None = None) -> AccountToken:
    """Mail a new account's holder a link to choose a password (administrators; None is the CLI)."""
    if actor is not None:
        require(actor.is_admin, "only administrators invite users")
    return issue(user, TokenPurpose.INVITATION, actor=actor, now=now)


def create_invited_user(*, actor, now: datetime | None = None, **details) -> User:
    """A new account with no known password, and its invitation mail."""
    user = user_rules.create_user(actor=actor, password_hash=unusable_password_hash(), **details)
    db.session.flush()
    invite(user, actor=actor, now=now)
    return user


def request_password_reset(email: str, *, now: datetime | None = None) -> AccountToken | None:
    """「パスワードを忘れた場合」: mail a reset link when the address is an active account; else nothing.

    The caller answers the same either way; the work differs only by a few inserts.
    """
    user = user_rules.find_by_email(email)
    if user is None or not user.active:
        return None
    return issue(user, TokenPurpose.PASSWORD_RESET, actor=None, now=now)


def _newest_id(user_id: int, purpose: TokenPurpose) -> int | None:
    return db.session.scalar(
        select(func.max(AccountToken.id)).where(AccountToken.user_id == user_id, AccountToken.purpose == purpose)
    )


def problem_of(token: AccountToken, now: datetime) -> LinkProblem | None:
    """Why the link no longer works (None: it works)."""
    if token.used_at is not None:
        return LinkProblem.USED
    if _newest_id(token.user_id, token.purpose) != token.id:
        return LinkProblem.SUPERSEDED
    if token.purpose is not TokenPurpose.EMAIL_CHANGE and token.password_fingerprint != fingerprint(token.user):
        return LinkProblem.SUPERSEDED
    if now >= token.expires_at:
        return LinkProblem.EXPIRED
    if not token.user.active:
        return LinkProblem.INVALID
    return None


def resolve(secret: str, purposes: tuple[TokenPurpose, ...], *, now: datetime | None = None) -> AccountToken:
    """The token a link names, checked (constant-time MAC), or LinkRefused saying why not."""
    id_part, _sep, mac = (secret or "").partition("-")
    if not id_part.isdigit() or len(id_part) > 12 or not mac:
        raise LinkRefused(LinkProblem.INVALID)
    token = db.session.get(AccountToken, int(id_part))
    if token is None or token.purpose not in purposes or not hmac.compare_digest(mac, _mac(token.id, token.nonce)):
        raise LinkRefused(LinkProblem.INVALID)
    problem = problem_of(token, now or utcnow())
    if problem is not None:
        raise LinkRefused(problem)
    return token


def _use(token: AccountToken, now: datetime) -> None:
    """Mark the link used, once: the conditional update decides between two simultaneous requests."""
    result = db.session.execute(
        update(AccountToken).where(AccountToken.id == token.id, AccountToken.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise LinkRefused(LinkProblem.USED)
    token.used_at = now


def set_password(token: AccountToken, password: str, *, now: datetime | None = None) -> User:
    """Choose a password from an invitation or reset link; every other session of the user ends."""
    now = now or utcnow()
    check(token.purpose in (TokenPurpose.INVITATION, TokenPurpose.PASSWORD_RESET), _("このリンクは無効です。"))
    user_rules.validate_password(password)
    _use(token, now)
    user = token.user
    user.set_password(password)
    user.session_version += 1
    audit.record(user, "user.password_set_by_link", user, purpose=token.purpose.value)
    return user


def request_email_change(user: User, new_email: str, *, now: datetime | None = None) -> AccountToken:
    """Mail a confirmation link to the new address; the address changes only when the link is followed."""
    new_email = user_rules.normalise_email(new_email)
    check(new_email and "@" in new_email, _("メールアドレスを入力してください。"), "email")
    check(new_email != user.email, _("現在と同じメールアドレスです。"), "email")
    check(user_rules.find_by_email(new_email) is None, _("このメールアドレスは既に登録されています。"), "email")
    return issue(user, TokenPurpose.EMAIL_CHANGE, actor=user, new_email=new_email, now=now)


def confirm_email(token: AccountToken, *, now: datetime | None = None) -> User:
    now = now or utcnow()
    check(token.purpose is TokenPurpose.EMAIL_CHANGE, _("このリンクは無効です。"))
    check(user_rules.find_by_email(token.new_email) is None, _("このメールアドレスは既に登録されています。"))
    _use(token, now)
    user = token.user
    before = user.email
    user.email = token.new_email
    audit.record(user, "user.email_confirmed", user, changes={"email": (before, user.email)})
    return user


# --- the mails -------------------------------------------------------------------------------------

def mail_text(token: AccountToken, user: User) -> tuple[str, str]:
    """Subject and the body without the link (the sender adds it, see mail_body)."""
    with force_locale("ja"):
        until = format_datetime(token.expires_at, wareki=True)
        if token.purpose is TokenPurpose.INVITATION:
            subject = _("【アカウントのご案内】人づくり広域連合 会議システム")
            intro = _("人づくり広域連合 会議システムのアカウントが作成されました。下記のリンクからパスワードを設定して"
                      "ください。ログインに使うメールアドレスは %(email)s です。", email=user.email)
        elif token.purpose is TokenPurpose.PASSWORD_RESET:
            subject = _("【パスワードの再設定】人づくり広域連合 会議システム")
            intro = _("パスワードの再設定を受け付けました。下記のリンクから新しいパスワードを設定してください。"
                      "お心当たりがない場合は、このメールを破棄してください。パスワードは変更されません。")
        else:
            subject = _("【メールアドレスの確認】人づくり広域連合 会議システム")
            intro = _("このメールアドレスを会議システムのログインに使うには、下記のリンクを開いて確認してください。"
                      "確認するまでは、これまでのメールアドレスが使われます。")
        note = _("リンクの有効期限は%(until)sです。一度だけ使えます。", until=until)
        return subject, f"{intro}\n\n{note}"


def base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def mail_body(notification: Notification) -> str:
    """The stored body with the link put in, built when the mail is sent (the outbox never holds the link)."""
    token = db.session.get(AccountToken, notification.object_id)
    return f"{notification.body}\n\n{base_url()}{link_path(token)}"


def mail_address(notification: Notification) -> str:
    """An e-mail change is confirmed at the new address; every other link goes to the account's."""
    token = db.session.get(AccountToken, notification.object_id)
    return token.new_email or notification.recipient.email


def void_reason(notification: Notification, now: datetime) -> str:
    token = db.session.get(AccountToken, notification.object_id)
    if token is None:
        return "link deleted"
    problem = problem_of(token, now)
    if problem is LinkProblem.INVALID and token.user.active:
        return ""
    return f"link {problem.value}" if problem else ""
