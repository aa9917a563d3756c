"""Accounts: creation, deactivation, password resets and log-in with lock-out."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import Body, Membership, User
from . import check, require
from . import audit

MIN_PASSWORD_LENGTH = 10
_dummy_hash: str | None = None


def _spend_hash_time(password: str) -> None:
    """Check a throwaway hash so a log-in with an unknown e-mail takes as long as a wrong password."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = generate_password_hash("liaison-unknown-user")
    check_password_hash(_dummy_hash, password)


class LoginRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User:
    """Return the user for a correct e-mail and password, or raise LoginRefused.

    An unknown e-mail and a wrong password get the same message after the same work. Repeated failures
    are throttled by the caller (liaison.security), per account and per address, never by a lock here.
    """
    user = find_by_email(email)
    if user is None:
        _spend_hash_time(password or "")
        raise LoginRefused(_("メールアドレスまたはパスワードが正しくありません。"))
    if not user.check_password(password or ""):
        raise LoginRefused(_("メールアドレスまたはパスワードが正しくありません。"))
    if not user.active:
        raise LoginRefused(_("このアカウントは無効になっています。事務局にお問い合わせください。"))
    return user


def end_sessions(user: User, *, actor) -> None:
    """End every session of the user on every host (log-out, or an administrator's "log out everywhere")."""
    require(actor is not None and (actor.id == user.id or actor.is_admin), "only the user or an administrator")
    user.session_version += 1
    audit.record(actor, "user.sessions_ended", user)


def validate_password(password: str) -> None:
    check(
        password and len(password) >= MIN_PASSWORD_LENGTH,
        _("パスワードは%(n)d文字以上にしてください。", n=MIN_PASSWORD_LENGTH),
        "password",
    )


def create_user(
    *,
    actor,
    email: str,
    name: str,
    password: str | None = None,
    password_hash: str | None = None,
    body: Body | None = None,
    department: str = "",
    title: str = "",
    is_admin: bool = False,
    is_secretariat: bool = False,
    check_password_rules: bool = True,
) -> User:
    """Create an account (administrators only; actor None is the CLI or the seed).

    Give either `password` (checked against the rules, then hashed) or `password_hash`, an already
    hashed password: the demo seed hashes its one shared password once for its ~80 users, since each
    scrypt hash takes a noticeable fraction of a second.
    """
    if (password is None) == (password_hash is None):
        raise ValueError("give exactly one of password and password_hash")
    if actor is not None:
        require(actor.is_admin, "only administrators create users")
    email = normalise_email(email)
    check(email and "@" in email, _("メールアドレスを入力してください。"), "email")
    check(name and name.strip(), _("氏名を入力してください。"), "name")
    check(
        db.session.scalar(select(func.count()).select_from(User).where(User.email == email)) == 0,
        _("このメールアドレスは既に登録されています。"),
        "email",
    )
    if check_password_rules and password_hash is None:
        validate_password(password)
    user = User(
        email=email,
        name=name.strip(),
        title=(title or "").strip(),
        body=body,
        department=(department or "").strip(),
        is_admin=is_admin,
        is_secretariat=is_secretariat,
        active=True,
        locale="ja",
        session_version=1,
        feed_counter=1,
    )
    if password_hash is not None:
        user.password_hash = password_hash
    else:
        user.set_password(password)
    db.session.add(user)
    audit.record(actor, "user.created", user, email=email, is_admin=is_admin, is_secretariat=is_secretariat)
    return user


def set_active(user: User, active: bool, *, actor) -> None:
    require(actor.is_admin, "only administrators deactivate users")
    check(not (user.id == actor.id and not active), _("自分自身のアカウントは無効にできません。"))
    if user.active == active:
        return
    user.active = active
    user.session_version += 1
    audit.record(actor, "user.activated" if active else "user.deactivated", user, before=not active, after=active)


def reset_password(user: User, new_password: str, *, actor) -> None:
    require(actor.is_admin, "only administrators reset passwords")
    validate_password(new_password)
    user.set_password(new_password)
    user.session_version += 1
    audit.record(actor, "user.password_reset", user)


def change_own_password(user: User, current: str, new_password: str) -> None:
    check(user.check_password(current or ""), _("現在のパスワードが正しくありません。"), "current")
    validate_password(new_password)
    user.set_password(new_password)
    user.session_version += 1
    audit.record(user, "user.password_changed", user)


def update_profile(user: User, *, actor, email: str, name: str, title: str, body: Body | None,
                   department: str, is_admin: bool, is_secretariat: bool) -> None:
    """Change an account's details and global roles (administrators only)."""
    require(actor.is_admin, "only administrators edit users")
    email = normalise_email(email)
    check(email and "@" in email, _("メールアドレスを入力してください。"), "email")
    check(name and name.strip(), _("氏名を入力してください。"), "name")
    clash = db.session.scalar(select(User.id).where(User.email == email, User.id != user.id))
    check(clash is None, _("このメールアドレスは既に登録されています。"), "email")
    check(not (user.id == actor.id and not is_admin), _("自分自身の管理者権限は外せません。"), "is_admin")
    before = {"email": user.email, "name": user.name, "is_admin": user.is_admin, "is_secretariat": user.is_secretariat}
    user.email, user.name, user.title = email, name.strip(), (title or "").strip()
    user.body, user.department = body, (department or "").strip()
    user.is_admin, user.is_secretariat = is_admin, is_secretariat
    after = {"email": user.email, "name": user.name, "is_admin": user.is_admin, "is_secretariat": user.is_secretariat}
    audit.record(actor, "user.updated", user, before=before, after=after)


def update_own_details(user: User, *, name: str, title: str) -> None:
    """The user's own name and title (the e-mail changes only through a confirmed link: domain.accounts)."""
    check(name and name.strip(), _("氏名を入力してください。"), "name")
    before = {"name": user.name, "title": user.title}
    user.name, user.title = name.strip(), (title or "").strip()
    after = {"name": user.name, "title": user.title}
    if before != after:
        audit.record(user, "user.updated", user, before=before, after=after)


def seats_by_year(user: User) -> list[tuple[int, list]]:
    """Every seat the user has held or will hold, newest fiscal year first (one query)."""
    rows = db.session.scalars(
        select(Membership).options(joinedload(Membership.committee), joinedload(Membership.body))
        .where(Membership.user_id == user.id).order_by(Membership.fiscal_year.desc(), Membership.committee_id)
    )
    years: dict[int, list] = {}
    for seat in rows:
        years.setdefault(seat.fiscal_year, []).append(seat)
    return list(years.items())
