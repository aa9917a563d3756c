"""Log in, log out, and the user's own account page."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..domain import DomainError
from ..domain import users as user_rules
from ..forms.auth import LocaleForm, LoginForm, PasswordChangeForm
from .handling import act, keep_changes

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """Only a local path: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target:
        return None
    target = target.strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("dashboard.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")

    def authenticate():
        try:
            return user_rules.authenticate(form.email.data, form.password.data)
        except user_rules.LoginRefused as refused:
            keep_changes()  # the failure count and any lock stay
            raise DomainError(refused.message) from None

    def logged_in(user):
        session.clear()
        login_user(user)
        session["locale"] = user.locale
        return redirect(safe_next(form.next.data) or url_for("dashboard.index"))

    return act(
        form, authenticate, success=None, to=logged_in,
        page=lambda: render_template("auth/login.html", form=form),
        refused=lambda: (render_template("auth/login.html", form=form), 401),
    )


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.clear()
    flash(_("ログアウトしました。"), "success")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = PasswordChangeForm()

    def changed(_result):
        login_user(current_user)  # the session version changed: renew this session only
        return redirect(url_for("auth.account"))

    return act(
        form, lambda: user_rules.change_own_password(current_user, form.current.data, form.password.data),
        success=_("パスワードを変更しました。"), to=changed,
        page=lambda: render_template("auth/account.html", form=form),
    )


@bp.post("/locale")
def set_locale():
    form = LocaleForm()

    def choose():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data

    return act(
        form, choose, success=None, to=lambda _result: safe_next(form.next.data) or url_for("dashboard.index"),
        page=lambda: (redirect(url_for("dashboard.index")), 303), invalid=_("表示言語を変更できませんでした。"),
    )
